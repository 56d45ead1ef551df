/* Streaming parser for the dpkg status database (/var/lib/dpkg/status and
 * status.d files): RFC 822-like stanzas separated by blank lines, fields
 * "Name: value", continuation lines starting with a blank. Only the fields
 * the inventory needs are kept, each capped, so memory per stanza is bounded
 * whatever the input; a malformed stanza is counted with its line number and
 * skipped. Feeds the package inventory (inventory in this file too) that the
 * vulnerability matcher reads. */
#include "vigil/pkg.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK (64u << 10)

/* ---- line reader over memory or a file descriptor ---------------------- */

struct reader {
    const char *mem;        /* memory input, or NULL */
    size_t memlen, pos;
    int fd;                 /* file input when mem == NULL */
    char *chunk;            /* file: read buffer of CHUNK bytes */
    size_t clen, cpos;
    bool eof;
    struct vg_buf line;     /* file: the current line (capped) */
    const char *path;
};

/* Next line without its newline (and a trailing CR). Returns 1 with *l, *n set
 * (*toolong when the line exceeded VG_DPKG_MAX_LINE: only its head is kept),
 * 0 at the end, VG_EIO on a read error. */
static int next_line(struct reader *r, const char **l, size_t *n, bool *toolong, struct vg_err *err)
{
    *toolong = false;
    if (r->mem) {
        if (r->pos >= r->memlen) return 0;
        const char *s = r->mem + r->pos;
        size_t left = r->memlen - r->pos;
        const char *nl = memchr(s, '\n', left);
        size_t len = nl ? (size_t)(nl - s) : left;
        r->pos += len + (nl ? 1 : 0);
        if (len > VG_DPKG_MAX_LINE) { *toolong = true; len = VG_DPKG_MAX_LINE; }
        else if (len && s[len - 1] == '\r') len--;
        *l = s;
        *n = len;
        return 1;
    }
    vg_buf_reset(&r->line);
    bool got = false;
    for (;;) {
        if (r->cpos == r->clen) {
            if (r->eof) break;
            ssize_t k;
            do k = read(r->fd, r->chunk, CHUNK); while (k < 0 && errno == EINTR);
            if (k < 0) return vg_err_set(err, VG_EIO, "%s: read: %s", r->path, strerror(errno));
            if (k == 0) { r->eof = true; break; }
            r->clen = (size_t)k;
            r->cpos = 0;
        }
        got = true;
        const char *s = r->chunk + r->cpos;
        size_t left = r->clen - r->cpos;
        const char *nl = memchr(s, '\n', left);
        size_t len = nl ? (size_t)(nl - s) : left;
        r->cpos += len + (nl ? 1 : 0);
        size_t room = VG_DPKG_MAX_LINE - r->line.len;
        if (len > room) { *toolong = true; len = room; }
        if (len && vg_buf_add(&r->line, s, len) != 0) return vg_err_set(err, VG_ENOMEM, "out of memory");
        if (nl) break;
    }
    if (!got) return 0;
    size_t len = r->line.len;
    if (!*toolong && len && r->line.data[len - 1] == '\r') len--;
    *l = r->line.data ? r->line.data : "";
    *n = len;
    return 1;
}

/* ---- stanza state ------------------------------------------------------ */

enum { F_PACKAGE, F_VERSION, F_ARCH, F_SOURCE, F_MAINT, F_DESC, F_STATUS, F_ISIZE, F_COUNT };
static const char *const field_names[F_COUNT] = {
    "Package", "Version", "Architecture", "Source", "Maintainer", "Description", "Status", "Installed-Size",
};

struct stanza {
    char val[F_COUNT][VG_DPKG_MAX_FIELD + 1];
    bool seen[F_COUNT];
    int start_line;
    bool any;           /* a line of this stanza was seen */
    int cur;            /* field continuation lines belong to: index, -1 unkept, -2 none */
    bool bad;           /* skip to the next blank line */
    int bad_line;
    char bad_msg[160];
};

static void stanza_reset(struct stanza *st)
{
    for (int i = 0; i < F_COUNT; i++) { st->seen[i] = false; st->val[i][0] = 0; }
    st->any = false;
    st->cur = -2;
    st->bad = false;
    st->bad_line = 0;
    st->bad_msg[0] = 0;
}

static void stanza_fail(struct stanza *st, int line, const char *fmt, ...) VG_PRINTF(3, 4);
static void stanza_fail(struct stanza *st, int line, const char *fmt, ...)
{
    if (st->bad) return;
    st->bad = true;
    st->bad_line = line;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->bad_msg, sizeof st->bad_msg, fmt, ap);
    va_end(ap);
}

static void add_issue(struct vg_dpkg_report *rep, int line, const char *fmt, ...) VG_PRINTF(3, 4);
static void add_issue(struct vg_dpkg_report *rep, int line, const char *fmt, ...)
{
    rep->errors++;
    if (rep->nissues >= VG_DPKG_MAX_ISSUES) return;
    struct vg_pkg_issue *is = &rep->issues[rep->nissues++];
    is->line = line;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(is->msg, sizeof is->msg, fmt, ap);
    va_end(ap);
}

static bool valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 256) return false;
    unsigned char c0 = (unsigned char)s[0];
    if (!((c0 >= '0' && c0 <= '9') || ((c0 | 32) >= 'a' && (c0 | 32) <= 'z'))) return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!((c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z') || c == '+' || c == '-' || c == '.' ||
              c == '_'))
            return false;
    }
    return true;
}

static bool valid_arch(const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '-' || c == '_')) return false;
    }
    return true;
}

/* Replaces control bytes in free text so it is safe to print. */
static void scrub(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f) *s = '?';
}

static int parse_status(const char *s, struct vg_pkg *p)
{
    static const char *const wants[] = {"unknown", "install", "hold", "deinstall", "purge"};
    static const char *const flags[] = {"ok", "reinstreq"};
    static const char *const states[] = {NULL, "not-installed", "config-files", "half-installed", "unpacked",
                                         "half-configured", "triggers-awaited", "triggers-pending", "installed"};
    char w[3][24];
    int k = 0;
    const char *q = s;
    while (*q) {
        while (*q == ' ' || *q == '\t') q++;
        if (!*q) break;
        const char *b = q;
        while (*q && *q != ' ' && *q != '\t') q++;
        if (k == 3 || (size_t)(q - b) >= sizeof w[0]) return -1;
        memcpy(w[k], b, (size_t)(q - b));
        w[k][q - b] = 0;
        k++;
    }
    if (k != 3) return -1;
    int wi = -1, fi = -1, si = -1;
    for (int i = 0; i < (int)VG_ARRAY_LEN(wants); i++) if (strcmp(w[0], wants[i]) == 0) wi = i;
    for (int i = 0; i < (int)VG_ARRAY_LEN(flags); i++) if (strcmp(w[1], flags[i]) == 0) fi = i;
    for (int i = 1; i < (int)VG_ARRAY_LEN(states); i++) if (strcmp(w[2], states[i]) == 0) si = i;
    if (wi < 0 || fi < 0 || si < 0) return -1;
    p->want = (enum vg_pkg_want)wi;
    p->flag = (enum vg_pkg_eflag)fi;
    p->state = (enum vg_pkg_state)si;
    return 0;
}

/* Finishes a stanza: validates it, counts it, hands it to fn. */
static int stanza_end(struct stanza *st, unsigned flags, vg_dpkg_pkg_fn fn, void *ud, struct vg_dpkg_report *rep,
                      struct vg_err *err)
{
    int rc = 0;
    if (!st->any) goto out;
    rep->stanzas++;
    if (rep->stanzas > VG_DPKG_MAX_PKGS) {
        rc = vg_err_set(err, VG_ETOOBIG, "more than %d stanzas", VG_DPKG_MAX_PKGS);
        goto out;
    }
    const char *pkgname = st->seen[F_PACKAGE] ? st->val[F_PACKAGE] : "";
    if (st->bad) {
        if (*pkgname && valid_name(pkgname))
            add_issue(rep, st->bad_line, "package '%s': %s", pkgname, st->bad_msg);
        else
            add_issue(rep, st->bad_line, "%s", st->bad_msg);
        goto out;
    }
    if (!st->seen[F_PACKAGE]) {
        add_issue(rep, st->start_line, "stanza has no Package field");
        goto out;
    }
    if (!valid_name(pkgname)) {
        add_issue(rep, st->start_line, "invalid package name");
        goto out;
    }
    struct vg_pkg p = {0};
    p.name = pkgname;
    p.line = st->start_line;
    p.installed_size = -1;
    p.status = st->val[F_STATUS];
    if (st->seen[F_STATUS]) {
        if (parse_status(st->val[F_STATUS], &p) != 0) {
            add_issue(rep, st->start_line, "package '%s': invalid Status '%.60s'", pkgname, st->val[F_STATUS]);
            goto out;
        }
    } else if (flags & VG_DPKG_STATUS_D) {
        p.want = VG_PKG_WANT_INSTALL;
        p.state = VG_PKG_INSTALLED;
    }
    p.version = st->val[F_VERSION];
    if (!st->seen[F_VERSION] || !*p.version) {
        if (p.state != VG_PKG_NOT_INSTALLED) {
            add_issue(rep, st->start_line, "package '%s': stanza has no Version field", pkgname);
            goto out;
        }
    } else {
        struct vg_dpkg_version v;
        struct vg_err e = VG_ERR_INIT;
        if (vg_dpkg_version_parse(p.version, strlen(p.version), &v, 0, &e) != 0) {
            add_issue(rep, st->start_line, "package '%s': invalid Version: %s", pkgname, e.msg);
            goto out;
        }
    }
    p.arch = st->val[F_ARCH];
    if (!valid_arch(p.arch)) {
        add_issue(rep, st->start_line, "package '%s': invalid Architecture", pkgname);
        goto out;
    }
    /* Source: "name" or "name (version)"; defaults to the binary's own. */
    p.source = pkgname;
    p.source_version = p.version;
    if (st->seen[F_SOURCE] && st->val[F_SOURCE][0]) {
        char *src = st->val[F_SOURCE];
        char *sp = src;
        while (*sp && *sp != ' ' && *sp != '\t' && *sp != '(') sp++;
        char *rest = sp;
        while (*rest == ' ' || *rest == '\t') rest++;
        char *sver = NULL;
        if (*rest == '(') {
            char *close = strchr(rest, ')');
            char *tail = close ? close + 1 : NULL;
            while (tail && (*tail == ' ' || *tail == '\t')) tail++;
            if (!close || *tail) {
                add_issue(rep, st->start_line, "package '%s': malformed Source field", pkgname);
                goto out;
            }
            *close = 0;
            sver = rest + 1;
            while (*sver == ' ' || *sver == '\t') sver++;
            struct vg_dpkg_version v;
            struct vg_err e = VG_ERR_INIT;
            if (vg_dpkg_version_parse(sver, strlen(sver), &v, 0, &e) != 0) {
                add_issue(rep, st->start_line, "package '%s': invalid Source version: %s", pkgname, e.msg);
                goto out;
            }
        } else if (*rest) {
            add_issue(rep, st->start_line, "package '%s': malformed Source field", pkgname);
            goto out;
        }
        *sp = 0;
        if (!valid_name(src)) {
            add_issue(rep, st->start_line, "package '%s': invalid Source package name", pkgname);
            goto out;
        }
        p.source = src;
        if (sver) {
            /* trim the version's trailing blanks in place */
            size_t l = strlen(sver);
            while (l && (sver[l - 1] == ' ' || sver[l - 1] == '\t')) sver[--l] = 0;
            p.source_version = sver;
        }
    }
    scrub(st->val[F_MAINT]);
    scrub(st->val[F_DESC]);
    p.maintainer = st->val[F_MAINT];
    p.description = st->val[F_DESC];
    if (st->seen[F_ISIZE]) {
        uint64_t u;
        if (vg_parse_u64(st->val[F_ISIZE], strlen(st->val[F_ISIZE]), &u) == 0 && u <= INT64_MAX)
            p.installed_size = (int64_t)u;
    }
    rep->parsed++;
    if (!st->seen[F_STATUS]) rep->no_status++;
    if (p.state != VG_PKG_NOT_INSTALLED && p.state != VG_PKG_STATE_UNKNOWN) rep->known++;
    if (vg_pkg_is_installed(&p)) rep->installed++;
    else if (p.state == VG_PKG_CONFIG_FILES) rep->config_files++;
    else if (p.state == VG_PKG_HALF_INSTALLED) rep->half_installed++;
    else if (p.state != VG_PKG_NOT_INSTALLED && p.state != VG_PKG_STATE_UNKNOWN) rep->other_state++;
    if (vg_pkg_is_install_ok_installed(&p)) rep->ok_installed++;
    if (fn) rc = fn(ud, &p);
out:
    stanza_reset(st);
    return rc;
}

/* One non-blank line of a stanza. */
static void stanza_line(struct stanza *st, const char *l, size_t n, bool toolong, int lineno)
{
    if (!st->any) { st->any = true; st->start_line = lineno; }
    if (st->bad) return;
    if (toolong) { stanza_fail(st, lineno, "line %d: longer than %u bytes", lineno, VG_DPKG_MAX_LINE); return; }
    if (memchr(l, 0, n)) { stanza_fail(st, lineno, "line %d: NUL byte (binary data?)", lineno); return; }
    if (l[0] == ' ' || l[0] == '\t') {
        if (st->cur == -2) { stanza_fail(st, lineno, "line %d: continuation line before any field", lineno); return; }
        if (st->cur >= 0 && st->cur != F_DESC)
            stanza_fail(st, lineno, "line %d: continuation line in single-line field %s", lineno, field_names[st->cur]);
        return; /* unkept fields and the long Description are skipped */
    }
    const char *colon = memchr(l, ':', n);
    if (!colon || colon == l) {
        stanza_fail(st, lineno, "line %d: not a 'Field: value' line", lineno);
        return;
    }
    size_t nlen = (size_t)(colon - l);
    for (size_t i = 0; i < nlen; i++) {
        unsigned char c = (unsigned char)l[i];
        if (c <= 0x20 || c >= 0x7f) { stanza_fail(st, lineno, "line %d: invalid field name", lineno); return; }
    }
    int f = -1;
    for (int i = 0; i < F_COUNT; i++)
        if (strlen(field_names[i]) == nlen && vg_strncasecmp_ascii(l, field_names[i], nlen) == 0) f = i;
    st->cur = f;
    if (f < 0) return;
    if (st->seen[f]) { stanza_fail(st, lineno, "line %d: duplicate %s field", lineno, field_names[f]); return; }
    const char *v = colon + 1, *e = l + n;
    while (v < e && (*v == ' ' || *v == '\t')) v++;
    while (e > v && (e[-1] == ' ' || e[-1] == '\t')) e--;
    if ((size_t)(e - v) > VG_DPKG_MAX_FIELD) {
        stanza_fail(st, lineno, "line %d: %s value longer than %d bytes", lineno, field_names[f], VG_DPKG_MAX_FIELD);
        return;
    }
    memcpy(st->val[f], v, (size_t)(e - v));
    st->val[f][e - v] = 0;
    st->seen[f] = true;
}

static int parse(struct reader *r, unsigned flags, vg_dpkg_pkg_fn fn, void *ud, struct vg_dpkg_report *rep,
                 struct vg_err *err)
{
    struct vg_dpkg_report local;
    if (!rep) rep = &local;
    memset(rep, 0, sizeof *rep);
    struct stanza *st = vg_malloc(sizeof *st);
    if (!st) return vg_err_set(err, VG_ENOMEM, "out of memory");
    stanza_reset(st);
    int rc = 0, lineno = 0;
    for (;;) {
        const char *l = NULL;
        size_t n = 0;
        bool toolong;
        int k = next_line(r, &l, &n, &toolong, err);
        if (k < 0) { rc = k; goto out; }
        if (k == 0) break;
        lineno++;
        rep->lines++;
        size_t i = 0;
        while (i < n && (l[i] == ' ' || l[i] == '\t')) i++;
        if (i == n && !toolong) {
            if ((rc = stanza_end(st, flags, fn, ud, rep, err)) != 0) goto out;
            continue;
        }
        stanza_line(st, l, n, toolong, lineno);
    }
    rc = stanza_end(st, flags, fn, ud, rep, err);
out:
    vg_free(st);
    return rc;
}

int vg_dpkg_status_parse_mem(const char *data, size_t n, unsigned flags, vg_dpkg_pkg_fn fn, void *ud,
                             struct vg_dpkg_report *rep, struct vg_err *err)
{
    struct reader r = {0};
    r.mem = data ? data : "";
    r.memlen = data ? n : 0;
    r.fd = -1;
    return parse(&r, flags, fn, ud, rep, err);
}

int vg_dpkg_status_parse_file(const char *path, unsigned flags, vg_dpkg_pkg_fn fn, void *ud,
                              struct vg_dpkg_report *rep, struct vg_err *err)
{
    struct reader r = {0};
    r.path = path;
    r.line.cap_limit = VG_DPKG_MAX_LINE + 16;
    r.fd = open(path, O_RDONLY | O_CLOEXEC);
    if (r.fd < 0) {
        int code = errno == ENOENT ? VG_ENOENT : VG_EIO;
        return vg_err_set(err, code, "%s: %s", path, strerror(errno));
    }
    int rc;
    struct stat sb;
    if (fstat(r.fd, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        rc = vg_err_set(err, VG_EIO, "%s: is a directory", path);
        goto out;
    }
    r.chunk = vg_malloc(CHUNK);
    if (!r.chunk) { rc = vg_err_set(err, VG_ENOMEM, "out of memory"); goto out; }
    rc = parse(&r, flags, fn, ud, rep, err);
out:
    vg_free(r.chunk);
    vg_buf_release(&r.line);
    close(r.fd);
    return rc;
}

/* ---- states ------------------------------------------------------------ */

const char *vg_pkg_state_name(enum vg_pkg_state s)
{
    static const char *const names[] = {"unknown", "not-installed", "config-files", "half-installed", "unpacked",
                                        "half-configured", "triggers-awaited", "triggers-pending", "installed"};
    return (unsigned)s < VG_ARRAY_LEN(names) ? names[s] : "unknown";
}

bool vg_pkg_is_installed(const struct vg_pkg *p) { return p->state == VG_PKG_INSTALLED; }

bool vg_pkg_is_install_ok_installed(const struct vg_pkg *p)
{
    return p->want == VG_PKG_WANT_INSTALL && p->flag == VG_PKG_FLAG_OK && p->state == VG_PKG_INSTALLED &&
           p->status[0];
}

/* ---- inventory --------------------------------------------------------- */

static const char *adup(struct vg_arena *a, const char *s, int *rc)
{
    char *d = vg_arena_strndup(a, s, strlen(s));
    if (!d) *rc = VG_ENOMEM;
    return d ? d : "";
}

static int inv_add(void *ud, const struct vg_pkg *p)
{
    struct vg_pkg_inventory *inv = ud;
    if (inv->n == inv->cap) {
        size_t nc = inv->cap ? inv->cap * 2 : 256;
        struct vg_pkg *np = vg_realloc(inv->pkgs, nc * sizeof *np);
        if (!np) return VG_ENOMEM;
        inv->pkgs = np;
        inv->cap = nc;
    }
    int rc = 0;
    struct vg_pkg *d = &inv->pkgs[inv->n];
    *d = *p;
    struct vg_arena *a = &inv->arena;
    d->name = adup(a, p->name, &rc);
    d->version = adup(a, p->version, &rc);
    d->arch = adup(a, p->arch, &rc);
    d->source = p->source == p->name ? d->name : adup(a, p->source, &rc);
    d->source_version = p->source_version == p->version ? d->version : adup(a, p->source_version, &rc);
    d->maintainer = adup(a, p->maintainer, &rc);
    d->description = adup(a, p->description, &rc);
    d->status = adup(a, p->status, &rc);
    if (rc) return rc;
    inv->n++;
    return 0;
}

static void rep_add(struct vg_dpkg_report *to, const struct vg_dpkg_report *r)
{
    to->lines += r->lines;
    to->stanzas += r->stanzas;
    to->parsed += r->parsed;
    to->known += r->known;
    to->installed += r->installed;
    to->ok_installed += r->ok_installed;
    to->config_files += r->config_files;
    to->half_installed += r->half_installed;
    to->other_state += r->other_state;
    to->no_status += r->no_status;
    to->errors += r->errors;
    for (size_t i = 0; i < r->nissues && to->nissues < VG_DPKG_MAX_ISSUES; i++) to->issues[to->nissues++] = r->issues[i];
}

int vg_pkg_inventory_load_dpkg(struct vg_pkg_inventory *inv, const char *path, unsigned flags, struct vg_err *err)
{
    struct vg_dpkg_report *r = vg_malloc(sizeof *r);
    if (!r) return vg_err_set(err, VG_ENOMEM, "out of memory");
    int rc = vg_dpkg_status_parse_file(path, flags, inv_add, inv, r, err);
    if (rc == VG_ENOMEM) vg_err_set(err, VG_ENOMEM, "out of memory");
    rep_add(&inv->rep, r);
    vg_free(r);
    return rc;
}

int vg_pkg_inventory_load_dpkg_mem(struct vg_pkg_inventory *inv, const char *data, size_t n, unsigned flags,
                                   struct vg_err *err)
{
    struct vg_dpkg_report *r = vg_malloc(sizeof *r);
    if (!r) return vg_err_set(err, VG_ENOMEM, "out of memory");
    int rc = vg_dpkg_status_parse_mem(data, n, flags, inv_add, inv, r, err);
    if (rc == VG_ENOMEM) vg_err_set(err, VG_ENOMEM, "out of memory");
    rep_add(&inv->rep, r);
    vg_free(r);
    return rc;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int vg_pkg_inventory_load_dpkg_dir(struct vg_pkg_inventory *inv, const char *dir, struct vg_err *err)
{
    DIR *d = opendir(dir);
    if (!d) return vg_err_set(err, errno == ENOENT ? VG_ENOENT : VG_EIO, "%s: %s", dir, strerror(errno));
    char **names = NULL;
    size_t nn = 0, cap = 0;
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (e->d_name[0] == '.' || (l > 8 && strcmp(e->d_name + l - 8, ".md5sums") == 0)) continue;
        if (nn == 100000) { rc = vg_err_set(err, VG_ETOOBIG, "%s: too many files", dir); goto out; }
        if (nn == cap) {
            size_t nc = cap ? cap * 2 : 64;
            char **np = vg_realloc(names, nc * sizeof *np);
            if (!np) { rc = vg_err_set(err, VG_ENOMEM, "out of memory"); goto out; }
            names = np;
            cap = nc;
        }
        if (!(names[nn] = vg_strdup(e->d_name))) { rc = vg_err_set(err, VG_ENOMEM, "out of memory"); goto out; }
        nn++;
    }
    if (nn) qsort(names, nn, sizeof *names, cmp_str);
    for (size_t i = 0; i < nn; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        struct stat sb;
        if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) continue;
        if ((rc = vg_pkg_inventory_load_dpkg(inv, path, VG_DPKG_STATUS_D, err)) != 0) goto out;
    }
out:
    for (size_t i = 0; i < nn; i++) vg_free(names[i]);
    vg_free(names);
    closedir(d);
    return rc;
}

void vg_pkg_inventory_release(struct vg_pkg_inventory *inv)
{
    if (!inv) return;
    vg_free(inv->pkgs);
    vg_arena_release(&inv->arena);
    memset(inv, 0, sizeof *inv);
    struct vg_arena a = VG_ARENA_INIT;
    inv->arena = a;
}

const char *vg_pkg_rpmdb_find(const char *root, char *buf, size_t bufsz)
{
    static const char *const cands[] = {
        "/var/lib/rpm/rpmdb.sqlite", "/var/lib/rpm/Packages.db", "/var/lib/rpm/Packages",
        "/usr/lib/sysimage/rpm/rpmdb.sqlite", "/usr/lib/sysimage/rpm/Packages.db", "/usr/lib/sysimage/rpm/Packages",
    };
    if (!root || !*root) root = "/";
    size_t rl = strlen(root);
    while (rl > 1 && root[rl - 1] == '/') rl--;
    for (size_t i = 0; i < VG_ARRAY_LEN(cands); i++) {
        int k = snprintf(buf, bufsz, "%.*s%s", (int)(rl == 1 ? 0 : rl), root, cands[i]);
        if (k < 0 || (size_t)k >= bufsz) continue;
        struct stat sb;
        if (stat(buf, &sb) == 0 && S_ISREG(sb.st_mode)) return buf;
    }
    return NULL;
}
