/* Host databases read from the root prefix, loaded at most once per run:
 * passwd, group, shadow, the dpkg status file, configured sysctl values
 * (sysctl.d drop-ins in systemd order, then /etc/sysctl.conf), login.defs
 * and the effective sshd configuration (`sshd -T` on the live root, the
 * config files elsewhere). Names are resolved through the root's own files,
 * never the host's NSS, so fixture trees behave like real hosts. Part of
 * src/posture/sca. */
#include "internal.h"
#include "vigil/pkg.h"
#include <fnmatch.h>
#include <unistd.h>

#define DB_FILE_CAP (64u << 20)
#define DB_MAX_ROWS 200000

static int db_fail(struct vg__sca_db *db, int rc, const char *fmt, const char *arg)
{
    db->loaded = true;
    db->rc = rc;
    snprintf(db->msg, sizeof db->msg, fmt, arg, vg_strerror(rc));
    return rc;
}

/* Splits [s, s+n) on ':' into at most max fields (arena copies). */
static size_t split_colon(struct vg_arena *ar, const char *s, size_t n, const char **f, size_t max)
{
    size_t k = 0;
    const char *p = s, *end = s + n;
    while (k < max) {
        const char *e = memchr(p, ':', (size_t)(end - p));
        if (!e) e = end;
        f[k++] = vg_arena_strndup(ar, p, (size_t)(e - p));
        if (!f[k - 1]) return 0;
        if (e == end) break;
        p = e + 1;
    }
    return k;
}

/* vg__sca_line_next without a trailing '\r' */
static bool next_line(struct vg__sca_lines *l, const char **s, size_t *n)
{
    if (!vg__sca_line_next(l, s, n)) return false;
    if (*n && (*s)[*n - 1] == '\r') (*n)--;
    return true;
}

static int read_db_file(struct vg__sca_ctx *c, struct vg__sca_db *db, const char *path, char **t, size_t *len)
{
    int rc = vg__sca_read(c, path, DB_FILE_CAP, t, len);
    if (rc) return db_fail(db, rc, "%s: %s", path);
    return 0;
}

static int grow(struct vg__sca_ctx *c, struct vg__sca_db *db, size_t *cap, size_t sz)
{
    if (db->n < *cap) return 0;
    if (db->n >= DB_MAX_ROWS) return VG_ETOOBIG;
    size_t nc = *cap ? *cap * 2 : 64;
    void *n = vg_arena_alloc(&c->ar, nc * sz);
    if (!n) return VG_ENOMEM;
    if (db->n) memcpy(n, db->items, db->n * sz);
    db->items = n;
    *cap = nc;
    return 0;
}

int vg__sca_db_passwd(struct vg__sca_ctx *c, const struct vg__sca_user **u, size_t *n)
{
    struct vg__sca_db *db = &c->passwd;
    if (!db->loaded) {
        char *t;
        size_t len, cap = 0;
        if (read_db_file(c, db, "/etc/passwd", &t, &len)) goto done;
        struct vg__sca_lines l = {t, t + len, 0};
        const char *s;
        size_t sl;
        while (next_line(&l, &s, &sl)) {
            if (!sl || *s == '#' || *s == '+' || *s == '-') continue;
            const char *f[7];
            if (split_colon(&c->ar, s, sl, f, 7) != 7) continue;
            int64_t uid, gid;
            if (vg_parse_i64(f[2], strlen(f[2]), &uid) || vg_parse_i64(f[3], strlen(f[3]), &gid)) continue;
            int rc = grow(c, db, &cap, sizeof(struct vg__sca_user));
            if (rc) { db_fail(db, rc, "%s: %s", "/etc/passwd"); goto done; }
            struct vg__sca_user *x = &((struct vg__sca_user *)db->items)[db->n++];
            *x = (struct vg__sca_user){f[0], uid, gid, f[1], f[5], f[6], l.no};
        }
        db->loaded = true;
    }
done:
    *u = db->items;
    *n = db->n;
    return db->rc;
}

int vg__sca_db_group(struct vg__sca_ctx *c, const struct vg__sca_group **g, size_t *n)
{
    struct vg__sca_db *db = &c->group;
    if (!db->loaded) {
        char *t;
        size_t len, cap = 0;
        if (read_db_file(c, db, "/etc/group", &t, &len)) goto done;
        struct vg__sca_lines l = {t, t + len, 0};
        const char *s;
        size_t sl;
        while (next_line(&l, &s, &sl)) {
            if (!sl || *s == '#' || *s == '+' || *s == '-') continue;
            const char *f[4];
            if (split_colon(&c->ar, s, sl, f, 4) != 4) continue;
            int64_t gid;
            if (vg_parse_i64(f[2], strlen(f[2]), &gid)) continue;
            int rc = grow(c, db, &cap, sizeof(struct vg__sca_group));
            if (rc) { db_fail(db, rc, "%s: %s", "/etc/group"); goto done; }
            struct vg__sca_group *x = &((struct vg__sca_group *)db->items)[db->n++];
            *x = (struct vg__sca_group){f[0], gid, f[3], l.no};
        }
        db->loaded = true;
    }
done:
    *g = db->items;
    *n = db->n;
    return db->rc;
}

int vg__sca_db_shadow(struct vg__sca_ctx *c, const struct vg__sca_shadow **sh, size_t *n)
{
    struct vg__sca_db *db = &c->shadow;
    if (!db->loaded) {
        char *t;
        size_t len, cap = 0;
        if (read_db_file(c, db, "/etc/shadow", &t, &len)) goto done;
        struct vg__sca_lines l = {t, t + len, 0};
        const char *s;
        size_t sl;
        while (next_line(&l, &s, &sl)) {
            if (!sl || *s == '#') continue;
            const char *f[2];
            if (split_colon(&c->ar, s, sl, f, 2) != 2) continue;
            int rc = grow(c, db, &cap, sizeof(struct vg__sca_shadow));
            if (rc) { db_fail(db, rc, "%s: %s", "/etc/shadow"); goto done; }
            struct vg__sca_shadow *x = &((struct vg__sca_shadow *)db->items)[db->n++];
            *x = (struct vg__sca_shadow){f[0], f[1], l.no};
        }
        db->loaded = true;
    }
done:
    *sh = db->items;
    *n = db->n;
    return db->rc;
}

const char *vg__sca_uid_name(struct vg__sca_ctx *c, int64_t uid)
{
    const struct vg__sca_user *u;
    size_t n;
    vg__sca_db_passwd(c, &u, &n);
    for (size_t i = 0; i < n; i++)
        if (u[i].uid == uid) return u[i].name;
    return NULL;
}

const char *vg__sca_gid_name(struct vg__sca_ctx *c, int64_t gid)
{
    const struct vg__sca_group *g;
    size_t n;
    vg__sca_db_group(c, &g, &n);
    for (size_t i = 0; i < n; i++)
        if (g[i].gid == gid) return g[i].name;
    return NULL;
}

/* ---- dpkg ---- */

static int cmp_name(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

/* The probe's "installed": the package's files are on disk, whether or not
 * configuration finished (installed, half-configured, unpacked, triggers-*). */
static bool present_state(enum vg_pkg_state st)
{
    return st == VG_PKG_INSTALLED || st == VG_PKG_HALF_CONFIGURED || st == VG_PKG_UNPACKED ||
           st == VG_PKG_TRIGGERS_AWAITED || st == VG_PKG_TRIGGERS_PENDING;
}

struct dpkg_collect {
    struct vg__sca_ctx *c;
    struct vg__sca_db *db;
    size_t cap;
};

static int dpkg_collect(void *ud, const struct vg_pkg *p)
{
    struct dpkg_collect *dc = ud;
    if (!present_state(p->state)) return 0;
    int rc = grow(dc->c, dc->db, &dc->cap, sizeof(char *));
    if (rc) return rc;
    const char *nm = vg_arena_strndup(&dc->c->ar, p->name, strlen(p->name));
    if (!nm) return VG_ENOMEM;
    ((const char **)dc->db->items)[dc->db->n++] = nm;
    return 0;
}

/* Parsed by the inventory's dpkg status parser (vigil/pkg.h); stanzas it
 * rejects as malformed (e.g. no Version while installed) are skipped. */
int vg__sca_db_dpkg(struct vg__sca_ctx *c, const char *const **names, size_t *n)
{
    struct vg__sca_db *db = &c->dpkg;
    if (!db->loaded) {
        char *t;
        size_t len;
        if (read_db_file(c, db, "/var/lib/dpkg/status", &t, &len)) goto done;
        struct dpkg_collect dc = {c, db, 0};
        int rc = vg_dpkg_status_parse_mem(t, len, 0, dpkg_collect, &dc, NULL, NULL);
        if (rc) { db_fail(db, rc, "%s: %s", "/var/lib/dpkg/status"); goto done; }
        if (db->n) qsort(db->items, db->n, sizeof(char *), cmp_name);
        db->loaded = true;
    }
done:
    *names = db->items;
    *n = db->n;
    return db->rc;
}

bool vg__sca_pkg_installed(struct vg__sca_ctx *c, const char *name, int *rc)
{
    const char *const *names;
    size_t n;
    *rc = vg__sca_db_dpkg(c, &names, &n);
    if (*rc) return false;
    return n && bsearch(&name, names, n, sizeof *names, cmp_name) != NULL;
}

/* ---- key/value files ---- */

static int kv_add(struct vg__sca_ctx *c, struct vg__sca_db *db, size_t *cap, const char *k, size_t kl, const char *v,
                  size_t vl, const char *file, int line)
{
    int rc = grow(c, db, cap, sizeof(struct vg__sca_kv));
    if (rc) return rc;
    struct vg__sca_kv *x = &((struct vg__sca_kv *)db->items)[db->n];
    char *ks = vg_arena_strndup(&c->ar, k, kl);
    x->value = vg_arena_strndup(&c->ar, v, vl);
    if (!ks || !x->value) return VG_ENOMEM;
    for (char *p = ks; *p; p++)
        if (*p == '/') *p = '.';
    x->key = ks;
    x->file = file;
    x->line = line;
    db->n++;
    return 0;
}

static int sysctl_file(struct vg__sca_ctx *c, struct vg__sca_db *db, size_t *cap, const char *path)
{
    char *t;
    size_t len;
    int rc = vg__sca_read(c, path, 4u << 20, &t, &len);
    if (rc == VG_ENOENT || rc == VG_EINVAL) return 0;
    if (rc) return rc;
    const char *file = vg_arena_strndup(&c->ar, path, strlen(path));
    if (!file) return VG_ENOMEM;
    struct vg__sca_lines l = {t, t + len, 0};
    const char *s;
    size_t sl;
    while (next_line(&l, &s, &sl)) {
        vg__sca_trim(&s, &sl);
        if (!sl || *s == '#' || *s == ';') continue;
        if (*s == '-') { s++; sl--; }
        const char *eq = memchr(s, '=', sl);
        if (!eq) continue;
        const char *k = s, *v = eq + 1;
        size_t kl = (size_t)(eq - s), vl = sl - kl - 1;
        vg__sca_trim(&k, &kl);
        vg__sca_trim(&v, &vl);
        if (!kl) continue;
        if ((rc = kv_add(c, db, cap, k, kl, v, vl, file, l.no)) != 0) return rc;
    }
    return 0;
}

static int cmp_base(const void *a, const void *b)
{
    const char *x = strrchr(*(const char *const *)a, '/'), *y = strrchr(*(const char *const *)b, '/');
    return strcmp(x ? x + 1 : *(const char *const *)a, y ? y + 1 : *(const char *const *)b);
}

int vg__sca_db_sysctl(struct vg__sca_ctx *c, const struct vg__sca_kv **kv, size_t *n)
{
    struct vg__sca_db *db = &c->sysctl;
    if (!db->loaded) {
        /* systemd-sysctl order: drop-ins sorted by file name, a name in an
         * earlier directory masks the same name later; then sysctl.conf. */
        static const char *const dirs[] = {"/etc/sysctl.d", "/run/sysctl.d", "/usr/local/lib/sysctl.d",
                                           "/usr/lib/sysctl.d", "/lib/sysctl.d"};
        const char *files[512];
        size_t nf = 0, cap = 0;
        int rc = 0;
        for (size_t d = 0; d < VG_ARRAY_LEN(dirs) && !rc; d++) {
            char pat[256];
            snprintf(pat, sizeof pat, "%s/*.conf", dirs[d]);
            const char **g = NULL;
            int ng = vg__sca_glob(c, pat, &g);
            if (ng < 0) { rc = ng; break; }
            for (int i = 0; i < ng && nf < VG_ARRAY_LEN(files); i++) {
                const char *b = strrchr(g[i], '/');
                bool dup = false;
                for (size_t j = 0; j < nf; j++) {
                    const char *bj = strrchr(files[j], '/');
                    if (strcmp(bj, b) == 0) dup = true;
                }
                /* /lib and /usr/lib are the same directory on merged-/usr systems */
                if (!dup) files[nf++] = g[i];
            }
        }
        if (nf) qsort(files, nf, sizeof *files, cmp_base);
        for (size_t i = 0; i < nf && !rc; i++) rc = sysctl_file(c, db, &cap, files[i]);
        if (!rc) rc = sysctl_file(c, db, &cap, "/etc/sysctl.conf");
        if (rc) db_fail(db, rc, "%s: %s", "sysctl configuration");
        db->loaded = true;
    }
    *kv = db->items;
    *n = db->n;
    return db->rc;
}

int vg__sca_db_logindefs(struct vg__sca_ctx *c, const struct vg__sca_kv **kv, size_t *n)
{
    struct vg__sca_db *db = &c->logindefs;
    if (!db->loaded) {
        char *t;
        size_t len, cap = 0;
        if (read_db_file(c, db, "/etc/login.defs", &t, &len)) goto done;
        struct vg__sca_lines l = {t, t + len, 0};
        const char *s;
        size_t sl;
        while (next_line(&l, &s, &sl)) {
            vg__sca_trim(&s, &sl);
            if (!sl || *s == '#') continue;
            size_t kl = 0;
            while (kl < sl && s[kl] != ' ' && s[kl] != '\t') kl++;
            const char *v = s + kl;
            size_t vl = sl - kl;
            vg__sca_trim(&v, &vl);
            if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"') { v++; vl -= 2; }
            int rc = kv_add(c, db, &cap, s, kl, v, vl, "/etc/login.defs", l.no);
            if (rc) { db_fail(db, rc, "%s: %s", "/etc/login.defs"); goto done; }
        }
        db->loaded = true;
    }
done:
    *kv = db->items;
    *n = db->n;
    return db->rc;
}

const struct vg__sca_kv *vg__sca_kv_find(const struct vg__sca_kv *kv, size_t n, const char *key, bool casefold)
{
    /* last assignment wins; sysctl keys may be globs (systemd syntax) */
    size_t kl = strlen(key);
    for (size_t i = n; i-- > 0;) {
        size_t l = strlen(kv[i].key);
        if (l == kl && (casefold ? vg_strncasecmp_ascii(kv[i].key, key, kl) == 0 : memcmp(kv[i].key, key, kl) == 0))
            return &kv[i];
        if (!casefold && strchr(kv[i].key, '*') && fnmatch(kv[i].key, key, 0) == 0) return &kv[i];
    }
    return NULL;
}

/* ---- sshd ---- */

static int sshd_read(void *user, const char *path, char **text, size_t *len)
{
    return vg__sca_read(user, path, 1u << 20, text, len);
}

static int sshd_glob(void *user, const char *pattern, const char ***paths)
{
    return vg__sca_glob(user, pattern, paths);
}

int vg__sca_db_sshd(struct vg__sca_ctx *c, const struct vg__sca_kv **kv, size_t *n)
{
    struct vg__sca_db *db = &c->sshd;
    if (!db->loaded) {
        struct vg__sca_sshd_parse ps = {.ar = &c->ar, .read = sshd_read, .glob = sshd_glob, .user = c};
        int rc = 0;
        bool done = false;
        if (c->live && access("/usr/sbin/sshd", X_OK) == 0) {
            const char *argv[] = {"/usr/sbin/sshd", "-T", NULL};
            char *out;
            size_t len;
            int st;
            if (vg__sca_exec(c, argv, &out, &len, &st) == 0 && st == 0 && len > 0) {
                rc = vg__sca_sshd_parse_dump(&ps, out, len);
                done = rc == 0;
                c->sshd_from_cmd = done;
                if (!done) ps.n = 0;
            }
        }
        if (!done) {
            char *t;
            size_t len;
            rc = vg__sca_read(c, "/etc/ssh/sshd_config", 1u << 20, &t, &len);
            if (!rc) rc = vg__sca_sshd_parse_text(&ps, t, len, "/etc/ssh/sshd_config");
            if (!rc) rc = vg__sca_sshd_defaults(&ps);
        }
        if (rc) db_fail(db, rc, "%s: %s", "/etc/ssh/sshd_config");
        db->items = ps.kv;
        db->n = ps.n;
        db->loaded = true;
    }
    *kv = db->items;
    *n = db->n;
    return db->rc;
}
