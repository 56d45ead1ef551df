/* Probe pam: a module line in /etc/pam.d/<file> (following @include and
 * include/substack, 4 levels): present or absent, with arguments present or
 * absent, and one `setting` (name=value argument, else the last `key = value`
 * in the `conf` files, e.g. /etc/security/pwquality.conf) compared with
 * op/value. Part of src/posture/sca. */
#include "internal.h"

enum { A_FILE, A_MODULE, A_TYPE, A_PRESENT, A_ARGS_PRESENT, A_ARGS_ABSENT, A_SETTING, A_OP, A_VALUE, A_CONF };
static const struct vg__sca_param params[] = {
    {"file", PT_STR, true, NULL, "PAM service file, e.g. common-password (relative to /etc/pam.d)"},
    {"module", PT_STR, true, NULL, "module, e.g. pam_pwquality.so"},
    {"type", PT_ENUM, false, "auth|account|password|session", "only lines of this type"},
    {"present", PT_BOOL, false, NULL, "module line must exist (default true) or must not (false)"},
    {"args_present", PT_STRS, false, NULL, "arguments some module line must carry (name or name=value)"},
    {"args_absent", PT_STRS, false, NULL, "argument names no module line may carry"},
    {"setting", PT_STR, false, NULL, "argument / config key whose value is compared"},
    {"op", PT_ENUM, false, "eq|ne|lt|le|gt|ge|in|not_in|set|unset", "comparison for setting (default eq)"},
    {"value", PT_STRS, false, NULL, "expected value(s) of setting"},
    {"conf", PT_STRS, false, NULL, "key = value files (globs) consulted when the argument is absent"},
};

static int check(const struct vg__sca_node *n, char *why, size_t whylen)
{
    const char *f = ARG(n, A_FILE)->s;
    if (!*f || strstr(f, "..") || (f[0] != '/' && strchr(f, '/'))) {
        snprintf(why, whylen, "'file' must be a PAM service name or an absolute path");
        return -1;
    }
    if (ARG(n, A_SETTING)->set && !ARG(n, A_VALUE)->set &&
        !(ARG(n, A_OP)->set && (ARG(n, A_OP)->i == 8 || ARG(n, A_OP)->i == 9))) {
        snprintf(why, whylen, "'setting' needs 'value'");
        return -1;
    }
    return 0;
}

#define MAX_ARGS 64
struct pline { const char *file; int line; const char *args[MAX_ARGS]; size_t nargs; };
struct scan {
    struct vg__sca_ctx *c;
    const struct vg__sca_node *n;
    struct pline *hits;
    size_t nhits, cap;
    int files;
    int err;
};

/* Next token; [..] groups (with \] escapes) stay one token. */
static bool token(const char **p, const char *end, const char **ts, size_t *tl)
{
    const char *s = *p;
    while (s < end && (*s == ' ' || *s == '\t')) s++;
    if (s >= end) return false;
    const char *e = s;
    if (*s == '[') {
        while (e < end && *e != ']') e += (*e == '\\' && e + 1 < end) ? 2 : 1;
        if (e < end) e++;
    }
    while (e < end && *e != ' ' && *e != '\t') e++;
    *ts = s;
    *tl = (size_t)(e - s);
    *p = e;
    return true;
}

static bool module_is(const char *path, size_t pl, const char *want)
{
    const char *b = path;
    for (size_t i = 0; i < pl; i++)
        if (path[i] == '/') b = path + i + 1;
    size_t bl = pl - (size_t)(b - path), wl = strlen(want);
    if (bl == wl && memcmp(b, want, wl) == 0) return true;
    return bl == wl + 3 && memcmp(b, want, wl) == 0 && memcmp(b + wl, ".so", 3) == 0;
}

static void scan_file(struct scan *sc, const char *name, int depth)
{
    if (depth > 4 || ++sc->files > 32) return;
    char path[512];
    if (name[0] == '/') snprintf(path, sizeof path, "%s", name);
    else snprintf(path, sizeof path, "/etc/pam.d/%s", name);
    char *t;
    size_t len;
    int rc = vg__sca_read(sc->c, path, 1u << 20, &t, &len);
    if (rc) { if (depth == 0) sc->err = rc; return; }
    const char *file = vg_arena_strndup(&sc->c->ar, path, strlen(path));
    if (!file) { sc->err = VG_ENOMEM; return; }
    /* join "\\\n" continuations in place */
    for (size_t i = 0; i + 1 < len; i++)
        if (t[i] == '\\' && t[i + 1] == '\n') t[i] = t[i + 1] = ' ';
    const char *p = t, *end = t + len;
    int lineno = 0;
    const char *want_type = ARG(sc->n, A_TYPE)->set ? ARG(sc->n, A_TYPE)->s : NULL;
    while (p < end && !sc->err) {
        const char *e = memchr(p, '\n', (size_t)(end - p));
        if (!e) e = end;
        const char *ls = p, *le = e;
        p = e < end ? e + 1 : end;
        lineno++;
        const char *hash = memchr(ls, '#', (size_t)(le - ls));
        if (hash) le = hash;
        const char *q = ls, *ts;
        size_t tl;
        if (!token(&q, le, &ts, &tl)) continue;
        if (tl == 8 && memcmp(ts, "@include", 8) == 0) {
            if (token(&q, le, &ts, &tl) && tl < 200) {
                char inc[256];
                snprintf(inc, sizeof inc, "%.*s", (int)tl, ts);
                if (!strstr(inc, "..")) scan_file(sc, inc, depth + 1);
            }
            continue;
        }
        const char *type = ts;
        size_t typel = tl;
        if (typel && *type == '-') { type++; typel--; }
        const char *ctl, *mod;
        size_t ctll, modl;
        if (!token(&q, le, &ctl, &ctll) || !token(&q, le, &mod, &modl)) continue;
        bool type_ok = !want_type || (typel == strlen(want_type) && memcmp(type, want_type, typel) == 0);
        if ((ctll == 7 && memcmp(ctl, "include", 7) == 0) || (ctll == 8 && memcmp(ctl, "substack", 8) == 0)) {
            if (type_ok && modl < 200) {
                char inc[256];
                snprintf(inc, sizeof inc, "%.*s", (int)modl, mod);
                if (!strstr(inc, "..")) scan_file(sc, inc, depth + 1);
            }
            continue;
        }
        if (!type_ok || !module_is(mod, modl, ARG(sc->n, A_MODULE)->s)) continue;
        if (sc->nhits == sc->cap) {
            if (sc->cap >= 256) continue;
            size_t nc = sc->cap ? sc->cap * 2 : 8;
            struct pline *nh = vg_arena_alloc(&sc->c->ar, nc * sizeof *nh);
            if (!nh) { sc->err = VG_ENOMEM; return; }
            if (sc->nhits) memcpy(nh, sc->hits, sc->nhits * sizeof *nh);
            sc->hits = nh;
            sc->cap = nc;
        }
        struct pline *pl = &sc->hits[sc->nhits++];
        pl->file = file;
        pl->line = lineno;
        pl->nargs = 0;
        while (pl->nargs < MAX_ARGS && token(&q, le, &ts, &tl)) {
            pl->args[pl->nargs] = vg_arena_strndup(&sc->c->ar, ts, tl);
            if (!pl->args[pl->nargs]) { sc->err = VG_ENOMEM; return; }
            pl->nargs++;
        }
    }
}

/* arg name (before '=') equals name */
static const char *arg_value(const struct pline *pl, const char *name, bool *found)
{
    size_t nl = strlen(name);
    *found = false;
    for (size_t i = 0; i < pl->nargs; i++) {
        const char *a = pl->args[i];
        if (strncmp(a, name, nl) == 0 && (a[nl] == 0 || a[nl] == '=')) {
            *found = true;
            return a[nl] == '=' ? a + nl + 1 : "";
        }
    }
    return NULL;
}

static bool has_arg(const struct pline *pl, const char *want)
{
    const char *eq = strchr(want, '=');
    if (!eq) { bool f; arg_value(pl, want, &f); return f; }
    for (size_t i = 0; i < pl->nargs; i++)
        if (strcmp(pl->args[i], want) == 0) return true;
    return false;
}

static const char *conf_value(struct vg__sca_ctx *c, const struct vg__sca_val *conf, const char *key, struct vg_buf *where)
{
    const char *val = NULL;
    size_t kl = strlen(key);
    for (size_t i = 0; conf->set && i < conf->n; i++) {
        const char **paths;
        int np = vg__sca_glob(c, conf->list[i], &paths);
        for (int j = 0; j < np; j++) {
            char *t;
            size_t len;
            if (vg__sca_read(c, paths[j], 1u << 20, &t, &len) != 0) continue;
            struct vg__sca_lines ln = {t, t + len, 0};
            int no = 0;
            const char *s;
            size_t n;
            while (vg__sca_line_next(&ln, &s, &n)) {
                no++;
                vg__sca_trim(&s, &n);
                if (n <= kl || *s == '#' || memcmp(s, key, kl) != 0) continue;
                const char *v = s + kl;
                size_t vl = n - kl;
                vg__sca_trim(&v, &vl);
                if (vl && *v == '=') { v++; vl--; }
                else if (vl == n - kl) continue; /* longer key, e.g. minlen vs minlenx */
                vg__sca_trim(&v, &vl);
                val = vg_arena_strndup(&c->ar, v, vl);
                vg_buf_reset(where);
                vg_buf_addf(where, "%s line %d", paths[j], no);
            }
        }
    }
    return val;
}

static enum vg_sca_status run(struct vg__sca_ctx *c, const struct vg__sca_node *n, struct vg_buf *ev)
{
    struct scan sc = {.c = c, .n = n};
    scan_file(&sc, ARG(n, A_FILE)->s, 0);
    const char *mod = ARG(n, A_MODULE)->s;
    if (sc.err == VG_ENOENT) {
        vg__sca_ev(ev, "no PAM file %s", ARG(n, A_FILE)->s);
        return ARG(n, A_PRESENT)->set && !ARG(n, A_PRESENT)->i ? VG_SCA_PASS : VG_SCA_FAIL;
    }
    if (sc.err) { vg__sca_ev(ev, "PAM %s: %s", ARG(n, A_FILE)->s, vg_strerror(sc.err)); return VG_SCA_ERROR; }
    bool want = !ARG(n, A_PRESENT)->set || ARG(n, A_PRESENT)->i;
    if (!want) {
        if (sc.nhits) vg__sca_ev(ev, "%s used in %s line %d", mod, sc.hits[0].file, sc.hits[0].line);
        else vg__sca_ev(ev, "%s not used by %s", mod, ARG(n, A_FILE)->s);
        return sc.nhits ? VG_SCA_FAIL : VG_SCA_PASS;
    }
    bool ok = true;
    if (!sc.nhits && !ARG(n, A_SETTING)->set) {
        vg__sca_ev(ev, "%s not used by %s", mod, ARG(n, A_FILE)->s);
        return VG_SCA_FAIL;
    }
    for (size_t i = 0; i < sc.nhits && i < 2; i++) vg__sca_ev(ev, "%s in %s line %d", mod, sc.hits[i].file, sc.hits[i].line);
    const struct vg__sca_val *ap = ARG(n, A_ARGS_PRESENT), *aa = ARG(n, A_ARGS_ABSENT);
    for (size_t k = 0; ap->set && k < ap->n; k++) {
        bool any = false;
        for (size_t i = 0; i < sc.nhits && !any; i++) any = has_arg(&sc.hits[i], ap->list[k]);
        if (!any) { vg__sca_ev(ev, "argument %s missing", ap->list[k]); ok = false; }
    }
    for (size_t k = 0; aa->set && k < aa->n; k++)
        for (size_t i = 0; i < sc.nhits; i++)
            if (has_arg(&sc.hits[i], aa->list[k])) {
                vg__sca_ev(ev, "argument %s present (%s line %d)", aa->list[k], sc.hits[i].file, sc.hits[i].line);
                ok = false;
                break;
            }
    if (ARG(n, A_SETTING)->set) {
        const char *key = ARG(n, A_SETTING)->s;
        const char *val = NULL;
        struct vg_buf where = VG_BUF_INIT;
        where.cap_limit = 1024;
        for (size_t i = 0; i < sc.nhits && !val; i++) {
            bool f;
            const char *v = arg_value(&sc.hits[i], key, &f);
            if (f) {
                val = v;
                vg_buf_addf(&where, "%s line %d", sc.hits[i].file, sc.hits[i].line);
            }
        }
        if (!val) val = conf_value(c, ARG(n, A_CONF), key, &where);
        enum vg__sca_op op = ARG(n, A_OP)->set ? (enum vg__sca_op)ARG(n, A_OP)->i : OP_EQ;
        if (op == 8) op = OP_SET;
        else if (op == 9) op = OP_UNSET;
        if (!vg__sca_compare(op, val, ARG(n, A_VALUE), NULL, false, false)) ok = false;
        if (val) vg__sca_ev(ev, "%s=%s (from %s)", key, val, where.data ? where.data : "?");
        else vg__sca_ev(ev, "%s is not set", key);
        vg_buf_release(&where);
    }
    return ok ? VG_SCA_PASS : VG_SCA_FAIL;
}

const struct vg__sca_probe vg__sca_probe_pam = {
    .name = "pam", .desc = "PAM module line, arguments and settings", .params = params,
    .nparams = VG_ARRAY_LEN(params), .check = check, .run = run};
