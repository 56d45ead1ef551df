/* Helpers shared by the hardening probes: the probe table, root-prefixed
 * file access and globbing with caps, running a command (argv, no shell)
 * with a timeout and an output cap, bounded regex matching, value
 * comparison operators and evidence formatting. Part of src/posture/sca. */
#include "internal.h"
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

static const struct vg__sca_probe *const probes[] = {
#define P(name) &vg__sca_probe_##name,
#include "probes.def"
#undef P
};

const struct vg__sca_probe *vg__sca_probe_find(const char *name, size_t len)
{
    for (size_t i = 0; i < VG_ARRAY_LEN(probes); i++)
        if (strlen(probes[i]->name) == len && memcmp(probes[i]->name, name, len) == 0) return probes[i];
    return NULL;
}

size_t vg__sca_probe_count(void) { return VG_ARRAY_LEN(probes); }
const struct vg__sca_probe *vg__sca_probe_at(size_t i) { return i < VG_ARRAY_LEN(probes) ? probes[i] : NULL; }

/* ---- names ---- */

const char *vg_sca_status_name(enum vg_sca_status s)
{
    static const char *const n[] = {"pass", "fail", "not_applicable", "error"};
    return (unsigned)s < VG_ARRAY_LEN(n) ? n[s] : "?";
}

const char *vg_sca_severity_name(enum vg_sca_severity s)
{
    static const char *const n[] = {"low", "medium", "high", "critical"};
    return (unsigned)s < VG_ARRAY_LEN(n) ? n[s] : "?";
}

const char *vg_sca_framework_name(enum vg_sca_framework f)
{
    static const char *const n[] = {"cis", "nist_800_53", "pci_dss_v4", "iso_27001", "hipaa"};
    return (unsigned)f < VG_ARRAY_LEN(n) ? n[f] : "?";
}

int vg_sca_severity_weight(enum vg_sca_severity s)
{
    static const int w[] = {1, 2, 4, 8};
    return (unsigned)s < VG_ARRAY_LEN(w) ? w[s] : 0;
}

/* ---- files under the root ---- */

const char *vg__sca_path(const struct vg__sca_ctx *c, const char *path, char *buf, size_t bufsz)
{
    int n = snprintf(buf, bufsz, "%s%s%s", c->root, path[0] == '/' ? "" : "/", path);
    return n < 0 || (size_t)n >= bufsz ? NULL : buf;
}

int vg__sca_read(struct vg__sca_ctx *c, const char *path, size_t cap, char **out, size_t *len)
{
    char full[4096];
    if (!vg__sca_path(c, path, full, sizeof full)) return VG_ETOOBIG;
    int fd = open(full, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) return errno == ENOENT || errno == ENOTDIR ? VG_ENOENT : errno == EACCES ? VG_EPERM : VG_EIO;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) { close(fd); return S_ISDIR(st.st_mode) ? VG_EINVAL : VG_EIO; }
    /* /proc files report size 0: read until EOF, bounded by cap */
    size_t alloc = st.st_size > 0 && (size_t)st.st_size < cap ? (size_t)st.st_size + 1 : (cap < 65536 ? cap + 1 : 65537);
    char *buf = vg_malloc(alloc);
    size_t n = 0;
    int rc = 0;
    if (!buf) { close(fd); return VG_ENOMEM; }
    for (;;) {
        if (n + 1 >= alloc) {
            if (alloc > cap) { rc = VG_ETOOBIG; break; }
            size_t na = alloc * 2 > cap + 1 ? cap + 1 : alloc * 2;
            char *nb = vg_realloc(buf, na);
            if (!nb) { rc = VG_ENOMEM; break; }
            buf = nb;
            alloc = na;
        }
        ssize_t r = read(fd, buf + n, alloc - 1 - n);
        if (r < 0) { if (errno == EINTR) continue; rc = VG_EIO; break; }
        if (r == 0) break;
        n += (size_t)r;
        if (n > cap) { rc = VG_ETOOBIG; break; }
    }
    close(fd);
    if (!rc) {
        char *a = vg_arena_alloc(&c->ar, n + 1);
        if (!a) rc = VG_ENOMEM;
        else {
            memcpy(a, buf, n);
            a[n] = 0;
            *out = a;
            *len = n;
        }
    }
    vg_free(buf);
    return rc;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

int vg__sca_glob(struct vg__sca_ctx *c, const char *pattern, const char ***out)
{
    char full[4096];
    *out = NULL;
    if (!vg__sca_path(c, pattern, full, sizeof full)) return VG_ETOOBIG;
    glob_t g;
    memset(&g, 0, sizeof g);
    int r = glob(full, GLOB_NOSORT | GLOB_NOESCAPE, NULL, &g);
    if (r == GLOB_NOMATCH) { globfree(&g); return 0; }
    if (r != 0) { globfree(&g); return r == GLOB_NOSPACE ? VG_ENOMEM : VG_EIO; }
    size_t n = g.gl_pathc > 4096 ? 4096 : g.gl_pathc;
    const char **a = vg_arena_alloc(&c->ar, (n ? n : 1) * sizeof *a);
    size_t rl = strlen(c->root);
    int rc = 0;
    if (!a) rc = VG_ENOMEM;
    for (size_t i = 0; !rc && i < n; i++) {
        const char *s = g.gl_pathv[i] + rl;
        a[i] = vg_arena_strndup(&c->ar, s, strlen(s));
        if (!a[i]) rc = VG_ENOMEM;
    }
    globfree(&g);
    if (rc) return rc;
    qsort(a, n, sizeof *a, cmp_str);
    *out = a;
    return (int)n;
}

/* ---- commands ---- */

static const char *const exec_dirs[] = {"/usr/sbin", "/usr/bin", "/sbin", "/bin"};

int vg__sca_exec(struct vg__sca_ctx *c, const char *const *argv, char **out, size_t *len, int *status)
{
    char prog[512];
    *out = NULL;
    *len = 0;
    *status = -1;
    if (!c->live || !argv || !argv[0]) return VG_EINVAL;
    if (argv[0][0] == '/') {
        if (snprintf(prog, sizeof prog, "%s", argv[0]) >= (int)sizeof prog || access(prog, X_OK) != 0) return VG_ENOENT;
    } else {
        if (strchr(argv[0], '/')) return VG_EINVAL;
        size_t i;
        for (i = 0; i < VG_ARRAY_LEN(exec_dirs); i++) {
            snprintf(prog, sizeof prog, "%s/%s", exec_dirs[i], argv[0]);
            if (access(prog, X_OK) == 0) break;
        }
        if (i == VG_ARRAY_LEN(exec_dirs)) return VG_ENOENT;
    }
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) != 0) return VG_EIO;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
    posix_spawn_file_actions_adddup2(&fa, pfd[1], 2);
    posix_spawnattr_t at;
    posix_spawnattr_init(&at);
    sigset_t def;
    sigemptyset(&def);
    sigaddset(&def, SIGPIPE);
    posix_spawnattr_setsigdefault(&at, &def);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&at, 0);
    char *const envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", "SYSTEMD_PAGER=", "SYSTEMD_COLORS=0", NULL};
    pid_t pid;
    int sr = posix_spawn(&pid, prog, &fa, &at, (char *const *)argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    close(pfd[1]);
    if (sr != 0) { close(pfd[0]); return VG_EIO; }
    const size_t cap = 1u << 20;
    struct vg_buf b = VG_BUF_INIT;
    b.cap_limit = cap + 1;
    int timeout = c->cmd_timeout_ms > 0 ? c->cmd_timeout_ms : 10000;
    int64_t deadline = vg_mono_ns() + (int64_t)timeout * 1000000;
    int rc = 0;
    char tmp[8192];
    for (;;) {
        int64_t left = (deadline - vg_mono_ns()) / 1000000;
        if (left <= 0) { rc = VG_ETIMEOUT; break; }
        struct pollfd pf = {pfd[0], POLLIN, 0};
        int pr = poll(&pf, 1, (int)left);
        if (pr < 0) { if (errno == EINTR) continue; rc = VG_EIO; break; }
        if (pr == 0) continue;
        ssize_t r = read(pfd[0], tmp, sizeof tmp);
        if (r < 0) { if (errno == EINTR || errno == EAGAIN) continue; rc = VG_EIO; break; }
        if (r == 0) break;
        if (b.len < cap) vg_buf_add(&b, tmp, (size_t)r > cap - b.len ? cap - b.len : (size_t)r);
    }
    close(pfd[0]);
    if (rc == VG_ETIMEOUT) kill(-pid, SIGKILL);
    int ws = 0;
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR) {}
    if (!rc) {
        *status = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
        *out = vg_arena_strndup(&c->ar, b.data ? b.data : "", b.len);
        *len = b.len;
        if (!*out) rc = VG_ENOMEM;
    }
    vg_buf_release(&b);
    return rc;
}

/* ---- regex ---- */

bool vg__sca_re_match(struct vg__sca_ctx *c, pcre2_code *re, const char *s, size_t n)
{
    if (!c->md) return false;
    int r = pcre2_match(re, (PCRE2_SPTR)s, n, 0, 0, c->md, c->mc);
    return r >= 0;
}

/* ---- comparisons ---- */

static bool parse_num(const char *s, bool timesuffix, int64_t *v)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
    while (n && (*s == ' ' || *s == '\t')) { s++; n--; }
    if (!n) return false;
    if (vg_parse_i64(s, n, v) == 0) return true;
    if (!timesuffix) return false;
    /* sshd time format: 1h30m, 90s, 2m */
    int64_t total = 0, cur = 0;
    bool digits = false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (ch >= '0' && ch <= '9') {
            if (cur > 100000000) return false;
            cur = cur * 10 + (ch - '0');
            digits = true;
            continue;
        }
        int64_t mul;
        switch (ch | 0x20) {
        case 's': mul = 1; break;
        case 'm': mul = 60; break;
        case 'h': mul = 3600; break;
        case 'd': mul = 86400; break;
        case 'w': mul = 604800; break;
        default: return false;
        }
        if (!digits) return false;
        total += cur * mul;
        cur = 0;
        digits = false;
    }
    *v = total + cur;
    return true;
}

static bool str_eq(const char *a, const char *b, bool casefold)
{
    size_t la = strlen(a), lb = strlen(b);
    return la == lb && (casefold ? vg_strncasecmp_ascii(a, b, la) == 0 : memcmp(a, b, la) == 0);
}

/* Is item (len il) in the comma/space separated list? */
static bool in_csv(const char *list, const char *item, bool casefold)
{
    size_t il = strlen(item);
    const char *p = list;
    while (*p) {
        while (*p == ',' || *p == ' ' || *p == '\t') p++;
        const char *e = p;
        while (*e && *e != ',' && *e != ' ' && *e != '\t') e++;
        if ((size_t)(e - p) == il && (casefold ? vg_strncasecmp_ascii(p, item, il) == 0 : memcmp(p, item, il) == 0))
            return true;
        p = e;
    }
    return false;
}

bool vg__sca_compare(enum vg__sca_op op, const char *actual, const struct vg__sca_val *values,
                     const struct vg__sca_val *re, bool casefold, bool timesuffix)
{
    if (op == OP_SET) return actual != NULL;
    if (op == OP_UNSET) return actual == NULL;
    if (!actual) return false;
    size_t nv = values && values->set ? values->n : 0;
    switch (op) {
    case OP_EQ:
    case OP_IN:
        for (size_t i = 0; i < nv; i++) {
            if (str_eq(actual, values->list[i], casefold)) return true;
            int64_t a, b;
            if (parse_num(actual, timesuffix, &a) && parse_num(values->list[i], timesuffix, &b) && a == b) return true;
        }
        return false;
    case OP_NE:
    case OP_NOT_IN:
        for (size_t i = 0; i < nv; i++) {
            if (str_eq(actual, values->list[i], casefold)) return false;
            int64_t a, b;
            if (parse_num(actual, timesuffix, &a) && parse_num(values->list[i], timesuffix, &b) && a == b) return false;
        }
        return true;
    case OP_LT: case OP_LE: case OP_GT: case OP_GE: {
        int64_t a, b;
        if (!nv || !parse_num(actual, timesuffix, &a) || !parse_num(values->list[0], timesuffix, &b)) return false;
        return op == OP_LT ? a < b : op == OP_LE ? a <= b : op == OP_GT ? a > b : a >= b;
    }
    case OP_NONE_OF:
        for (size_t i = 0; i < nv; i++)
            if (in_csv(actual, values->list[i], casefold)) return false;
        return true;
    case OP_MATCH:
    case OP_NO_MATCH: {
        if (!re || !re->re) return false;
        pcre2_match_data *md = pcre2_match_data_create_from_pattern(re->re, NULL);
        pcre2_match_context *mc = pcre2_match_context_create(NULL);
        int r = PCRE2_ERROR_NOMEMORY;
        if (md && mc) {
            pcre2_set_match_limit(mc, 1000000);
            pcre2_set_depth_limit(mc, 10000);
            pcre2_set_heap_limit(mc, 8192);
            r = pcre2_match(re->re, (PCRE2_SPTR)actual, strlen(actual), 0, 0, md, mc);
        }
        pcre2_match_data_free(md);
        pcre2_match_context_free(mc);
        return op == OP_MATCH ? r >= 0 : r == PCRE2_ERROR_NOMATCH;
    }
    default:
        return false;
    }
}

/* ---- evidence ---- */

void vg__sca_ev(struct vg_buf *ev, const char *fmt, ...)
{
    if (ev->len >= VG_SCA_MAX_EVIDENCE) return;
    if (ev->len) vg_buf_adds(ev, "; ");
    va_list ap;
    va_start(ap, fmt);
    vg_buf_vaddf(ev, fmt, ap);
    va_end(ap);
}

void vg__sca_ev_excerpt(struct vg_buf *ev, const char *s, size_t n)
{
    vg__sca_trim(&s, &n);
    size_t m = n > 160 ? 160 : n;
    for (size_t i = 0; i < m; i++) vg_buf_addc(ev, (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i]);
    if (m < n) vg_buf_adds(ev, "...");
}

void vg__sca_trim(const char **s, size_t *n)
{
    while (*n && (**s == ' ' || **s == '\t')) { (*s)++; (*n)--; }
    while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t' || (*s)[*n - 1] == '\r')) (*n)--;
}

bool vg__sca_line_next(struct vg__sca_lines *l, const char **s, size_t *n)
{
    if (l->p >= l->end) return false;
    const char *e = memchr(l->p, '\n', (size_t)(l->end - l->p));
    if (!e) e = l->end;
    *s = l->p;
    *n = (size_t)(e - l->p);
    l->p = e < l->end ? e + 1 : l->end;
    l->no++;
    return true;
}

/* ---- shared probe pieces ---- */

enum vg_sca_status vg__sca_missing(const struct vg__sca_val *v, enum vg_sca_status dflt)
{
    if (!v || !v->set) return dflt;
    return v->i == 0 ? VG_SCA_FAIL : v->i == 1 ? VG_SCA_PASS : VG_SCA_NA;
}

static bool name_in(const struct vg__sca_val *v, const char *name, int64_t id)
{
    char num[32];
    snprintf(num, sizeof num, "%lld", (long long)id);
    for (size_t i = 0; i < v->n; i++)
        if ((name && strcmp(v->list[i], name) == 0) || strcmp(v->list[i], num) == 0) return true;
    return false;
}

bool vg__sca_stat_ok(struct vg__sca_ctx *c, const char *path, const struct stat *st, const struct vg__sca_val *max,
                     const struct vg__sca_val *has, const struct vg__sca_val *user, const struct vg__sca_val *group,
                     struct vg_buf *ev)
{
    unsigned mode = (unsigned)st->st_mode & 07777;
    bool ok = true;
    if (max && max->set && (mode & ~(unsigned)max->i)) {
        vg__sca_ev(ev, "%s has mode %04o, more permissive than %04o", path, mode, (unsigned)max->i);
        ok = false;
    }
    if (has && has->set && (mode & (unsigned)has->i) != (unsigned)has->i) {
        vg__sca_ev(ev, "%s has mode %04o, lacking bits %04o", path, mode, (unsigned)has->i);
        ok = false;
    }
    if (user && user->set) {
        const char *nm = vg__sca_uid_name(c, (int64_t)st->st_uid);
        if (!name_in(user, nm, (int64_t)st->st_uid)) {
            vg__sca_ev(ev, "%s is owned by %s (uid %u)", path, nm ? nm : "an unknown user", (unsigned)st->st_uid);
            ok = false;
        }
    }
    if (group && group->set) {
        const char *nm = vg__sca_gid_name(c, (int64_t)st->st_gid);
        if (!name_in(group, nm, (int64_t)st->st_gid)) {
            vg__sca_ev(ev, "%s has group %s (gid %u)", path, nm ? nm : "unknown", (unsigned)st->st_gid);
            ok = false;
        }
    }
    return ok;
}

enum vg_sca_status vg__sca_stat_files(struct vg__sca_ctx *c, const char *pat, const struct vg__sca_val *missing,
                                      const struct vg__sca_val *max, const struct vg__sca_val *has,
                                      const struct vg__sca_val *user, const struct vg__sca_val *group,
                                      vg__sca_stat_note note, struct vg_buf *ev)
{
    const char **paths = NULL;
    int np = vg__sca_glob(c, pat, &paths);
    if (np < 0) { vg__sca_ev(ev, "%s: %s", pat, vg_strerror(np)); return VG_SCA_ERROR; }
    bool ok = true;
    int seen = 0;
    for (int i = 0; i < np; i++) {
        char full[4096];
        struct stat st;
        if (!vg__sca_path(c, paths[i], full, sizeof full) || stat(full, &st) != 0) continue;
        seen++;
        if (!vg__sca_stat_ok(c, paths[i], &st, max, has, user, group, ev)) ok = false;
        else if (seen <= 3) note(c, paths[i], &st, ev);
    }
    if (!seen) {
        vg__sca_ev(ev, "%s does not exist", pat);
        return vg__sca_missing(missing, VG_SCA_FAIL);
    }
    return ok ? VG_SCA_PASS : VG_SCA_FAIL;
}

size_t vg__sca_scan_lines(struct vg__sca_ctx *c, const char *text, size_t len, const char *file, const char *comments,
                          pcre2_code *match, pcre2_code *no_match, bool *matched, bool *violated, struct vg_buf *ev)
{
    struct vg__sca_lines ln = {text, text + len, 0};
    size_t no = 0;
    const char *s;
    size_t n;
    while (vg__sca_line_next(&ln, &s, &n)) {
        no++;
        if (n && s[n - 1] == '\r') n--;
        const char *t = s;
        size_t tn = n;
        vg__sca_trim(&t, &tn);
        if (tn && comments && *comments && strchr(comments, *t)) continue;
        if (match && !*matched && vg__sca_re_match(c, match, s, n)) {
            *matched = true;
            vg__sca_ev(ev, "%s:%zu: ", file, no);
            vg__sca_ev_excerpt(ev, s, n);
        }
        if (no_match && vg__sca_re_match(c, no_match, s, n)) {
            if (!*violated || ev->len < VG_SCA_MAX_EVIDENCE / 2) {
                vg__sca_ev(ev, "%s:%zu: ", file, no);
                vg__sca_ev_excerpt(ev, s, n);
            }
            *violated = true;
        }
    }
    return no;
}
