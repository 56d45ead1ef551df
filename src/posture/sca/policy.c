/* Policy loader: one YAML document (libfyaml) becomes an immutable policy -
 * metadata, platforms and checks whose conditions are compiled into trees of
 * all/any/not and typed probe nodes. Validation is strict: unknown keys,
 * unknown probes, wrong types, aliases, excessive sizes, nesting and regexes
 * that do not compile are rejected with "file:line:col: reason". Part of
 * src/posture/sca (see internal.h). */
#include "internal.h"
#include <libfyaml.h>
#include <errno.h>
#include <unistd.h>

struct platform { const char *id, *version_id; };

struct vg_sca_policy {
    struct vg_arena ar;
    const char *id, *name, *version, *description, *file;
    struct platform *plat;
    size_t nplat;
    struct vg_sca_check *checks;
    size_t nchecks;
    pcre2_code **res;     /* every compiled regex, freed with the policy */
    size_t nres, capres;
};

struct ld {
    struct vg_sca_policy *p;
    const char *file;
    struct vg_err *err;
    bool failed;
    int nodes;            /* condition nodes in the current check */
};

/* ---- positions and failure ---- */

static void node_pos(struct fy_node *n, int *line, int *col)
{
    *line = *col = 0;
    for (int d = 0; n && d < 64; d++) {
        enum fy_node_type t = fy_node_get_type(n);
        if (t == FYNT_SCALAR || fy_node_is_alias(n)) {
            struct fy_token *tok = fy_node_get_scalar_token(n);
            const struct fy_mark *m = tok ? fy_token_start_mark(tok) : NULL;
            if (m) { *line = m->line + 1; *col = m->column + 1; }
            return;
        }
        void *it = NULL;
        if (t == FYNT_MAPPING) {
            struct fy_node_pair *pr = fy_node_mapping_iterate(n, &it);
            n = pr ? fy_node_pair_key(pr) : NULL;
        } else {
            n = fy_node_sequence_iterate(n, &it);
        }
    }
}

static int fail(struct ld *l, struct fy_node *at, int code, const char *fmt, ...) VG_PRINTF(4, 5);
static int fail(struct ld *l, struct fy_node *at, int code, const char *fmt, ...)
{
    if (l->failed) return l->err ? l->err->code : code;
    l->failed = true;
    char why[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    int line = 0, col = 0;
    if (at) node_pos(at, &line, &col);
    if (l->err) {
        vg_err_set(l->err, code, "%s:%d:%d: %s", l->file, line, col, why);
        l->err->line = line;
        l->err->col = col;
    }
    return code;
}

/* ---- scalar helpers ---- */

static const char *scalar(struct fy_node *n, size_t *len)
{
    if (!n || fy_node_is_alias(n) || fy_node_get_type(n) != FYNT_SCALAR) return NULL;
    return fy_node_get_scalar(n, len);
}

static bool key_is(struct fy_node *k, const char *s)
{
    size_t l;
    const char *t = scalar(k, &l);
    return t && l == strlen(s) && memcmp(t, s, l) == 0;
}

/* Copies a scalar string into the arena with length and UTF-8 checks. */
static int get_str(struct ld *l, struct fy_node *n, const char *what, size_t max, const char **out)
{
    size_t len = 0;
    if (n && fy_node_is_alias(n)) return fail(l, n, VG_EPARSE, "YAML aliases are not allowed (%s)", what);
    const char *s = scalar(n, &len);
    if (!s) return fail(l, n, VG_EPARSE, "%s must be a string", what);
    if (len > max) return fail(l, n, VG_ETOOBIG, "%s longer than %zu bytes", what, max);
    if (memchr(s, 0, len)) return fail(l, n, VG_EPARSE, "%s contains a NUL byte", what);
    char *d = vg_arena_strndup(&l->p->ar, s, len);
    if (!d) return fail(l, n, VG_ENOMEM, "out of memory");
    *out = d;
    return 0;
}

static int get_str_list(struct ld *l, struct fy_node *n, const char *what, const char *const **out, size_t *nout)
{
    if (n && fy_node_is_alias(n)) return fail(l, n, VG_EPARSE, "YAML aliases are not allowed (%s)", what);
    if (n && fy_node_get_type(n) == FYNT_SCALAR) {
        const char **a = vg_arena_alloc(&l->p->ar, sizeof *a);
        if (!a) return fail(l, n, VG_ENOMEM, "out of memory");
        int rc = get_str(l, n, what, VG_SCA_MAX_STR, &a[0]);
        if (rc) return rc;
        *out = a;
        *nout = 1;
        return 0;
    }
    if (!n || fy_node_get_type(n) != FYNT_SEQUENCE)
        return fail(l, n, VG_EPARSE, "%s must be a string or a list of strings", what);
    int cnt = fy_node_sequence_item_count(n);
    if (cnt < 1) return fail(l, n, VG_EPARSE, "%s must not be an empty list", what);
    if (cnt > VG_SCA_MAX_LIST) return fail(l, n, VG_ETOOBIG, "%s has more than %d entries", what, VG_SCA_MAX_LIST);
    const char **a = vg_arena_alloc(&l->p->ar, (size_t)cnt * sizeof *a);
    if (!a) return fail(l, n, VG_ENOMEM, "out of memory");
    void *it = NULL;
    struct fy_node *e;
    size_t i = 0;
    while ((e = fy_node_sequence_iterate(n, &it)) != NULL && i < (size_t)cnt) {
        int rc = get_str(l, e, what, VG_SCA_MAX_STR, &a[i++]);
        if (rc) return rc;
    }
    *out = a;
    *nout = i;
    return 0;
}

/* ---- regexes ---- */

static int add_re(struct ld *l, pcre2_code *re)
{
    struct vg_sca_policy *p = l->p;
    if (p->nres == p->capres) {
        size_t nc = p->capres ? p->capres * 2 : 32;
        pcre2_code **n = vg_realloc(p->res, nc * sizeof *n);
        if (!n) { pcre2_code_free(re); return VG_ENOMEM; }
        p->res = n;
        p->capres = nc;
    }
    p->res[p->nres++] = re;
    return 0;
}

static int compile_re(struct ld *l, struct fy_node *at, const char *pat, pcre2_code **out)
{
    size_t len = strlen(pat);
    if (len > VG_SCA_MAX_REGEX) return fail(l, at, VG_ETOOBIG, "regex longer than %d bytes", VG_SCA_MAX_REGEX);
    pcre2_compile_context *cc = pcre2_compile_context_create(NULL);
    if (!cc) return fail(l, at, VG_ENOMEM, "out of memory");
    pcre2_set_max_pattern_length(cc, VG_SCA_MAX_REGEX);
    pcre2_set_parens_nest_limit(cc, 64);
    int ec = 0;
    PCRE2_SIZE eo = 0;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pat, len, PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_NEVER_BACKSLASH_C,
                                   &ec, &eo, cc);
    pcre2_compile_context_free(cc);
    if (!re) {
        PCRE2_UCHAR msg[160];
        pcre2_get_error_message(ec, msg, sizeof msg);
        return fail(l, at, VG_EPARSE, "bad regex at offset %zu: %s", (size_t)eo, (const char *)msg);
    }
    size_t sz = 0;
    pcre2_pattern_info(re, PCRE2_INFO_SIZE, &sz);
    if (sz > (256u << 10)) {
        pcre2_code_free(re);
        return fail(l, at, VG_ETOOBIG, "compiled regex larger than 256 KiB");
    }
    (void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* optional speed-up */
    if (add_re(l, re) != 0) return fail(l, at, VG_ENOMEM, "out of memory");
    *out = re;
    return 0;
}

/* ---- probe parameters ---- */

static int enum_index(const char *choices, const char *s, size_t len)
{
    int idx = 0;
    for (const char *c = choices; *c; idx++) {
        const char *e = strchr(c, '|');
        size_t cl = e ? (size_t)(e - c) : strlen(c);
        if (cl == len && memcmp(c, s, len) == 0) return idx;
        if (!e) break;
        c = e + 1;
    }
    return -1;
}

static int parse_val(struct ld *l, const struct vg__sca_param *pm, struct fy_node *v, struct vg__sca_val *out)
{
    char what[96];
    snprintf(what, sizeof what, "parameter '%s'", pm->name);
    int rc = 0;
    out->set = true;
    switch (pm->type) {
    case PT_STR:
        return get_str(l, v, what, VG_SCA_MAX_STR, &out->s);
    case PT_STRS:
        return get_str_list(l, v, what, &out->list, &out->n);
    case PT_REGEX:
        if ((rc = get_str(l, v, what, VG_SCA_MAX_REGEX, &out->s)) != 0) return rc;
        return compile_re(l, v, out->s, &out->re);
    case PT_INT: {
        if ((rc = get_str(l, v, what, 32, &out->s)) != 0) return rc;
        if (vg_parse_i64(out->s, strlen(out->s), &out->i) != 0)
            return fail(l, v, VG_EPARSE, "%s must be an integer", what);
        return 0;
    }
    case PT_BOOL:
        if ((rc = get_str(l, v, what, 8, &out->s)) != 0) return rc;
        if (strcmp(out->s, "true") == 0) out->i = 1;
        else if (strcmp(out->s, "false") == 0) out->i = 0;
        else return fail(l, v, VG_EPARSE, "%s must be true or false", what);
        return 0;
    case PT_MODE: {
        if ((rc = get_str(l, v, what, 8, &out->s)) != 0) return rc;
        const char *s = out->s;
        int64_t m = 0;
        if (!*s) return fail(l, v, VG_EPARSE, "%s must be an octal mode like \"0640\"", what);
        for (; *s; s++) {
            if (*s < '0' || *s > '7') return fail(l, v, VG_EPARSE, "%s must be an octal mode like \"0640\"", what);
            m = m * 8 + (*s - '0');
        }
        if (m > 07777) return fail(l, v, VG_EPARSE, "%s is larger than 07777", what);
        out->i = m;
        return 0;
    }
    case PT_ENUM: {
        if ((rc = get_str(l, v, what, 64, &out->s)) != 0) return rc;
        int idx = enum_index(pm->choices, out->s, strlen(out->s));
        if (idx < 0) return fail(l, v, VG_EPARSE, "%s must be one of %s, not '%s'", what, pm->choices, out->s);
        out->i = idx;
        return 0;
    }
    }
    return fail(l, v, VG_EPARSE, "internal: unknown parameter type");
}

static int parse_cond(struct ld *l, struct fy_node *n, int depth, struct vg__sca_node **out);

static int parse_probe(struct ld *l, const struct vg__sca_probe *pr, struct fy_node *key, struct fy_node *v,
                       struct vg__sca_node *node)
{
    node->kind = NK_PROBE;
    node->probe = pr;
    node->vals = vg_arena_alloc(&l->p->ar, (pr->nparams ? pr->nparams : 1) * sizeof *node->vals);
    if (!node->vals) return fail(l, key, VG_ENOMEM, "out of memory");
    memset(node->vals, 0, (pr->nparams ? pr->nparams : 1) * sizeof *node->vals);
    if (v && fy_node_is_alias(v)) return fail(l, v, VG_EPARSE, "YAML aliases are not allowed");
    if (!v || fy_node_get_type(v) != FYNT_MAPPING)
        return fail(l, v ? v : key, VG_EPARSE, "probe '%s' takes a mapping of parameters", pr->name);
    void *it = NULL;
    struct fy_node_pair *pp;
    while ((pp = fy_node_mapping_iterate(v, &it)) != NULL) {
        struct fy_node *k = fy_node_pair_key(pp);
        size_t kl = 0;
        const char *ks = scalar(k, &kl);
        if (!ks) return fail(l, k ? k : v, VG_EPARSE, "parameter names must be plain strings");
        size_t i;
        for (i = 0; i < pr->nparams; i++)
            if (strlen(pr->params[i].name) == kl && memcmp(pr->params[i].name, ks, kl) == 0) break;
        if (i == pr->nparams) {
            char known[400] = "";
            size_t o = 0;
            for (size_t j = 0; j < pr->nparams && o < sizeof known; j++)
                o += (size_t)snprintf(known + o, sizeof known - o, "%s%s", j ? ", " : "", pr->params[j].name);
            return fail(l, k, VG_EPARSE, "unknown parameter '%.*s' for probe '%s' (known: %s)", (int)(kl > 64 ? 64 : kl), ks,
                        pr->name, known);
        }
        int rc = parse_val(l, &pr->params[i], fy_node_pair_value(pp), &node->vals[i]);
        if (rc) return rc;
    }
    for (size_t i = 0; i < pr->nparams; i++)
        if (pr->params[i].required && !node->vals[i].set)
            return fail(l, v, VG_EPARSE, "probe '%s' needs parameter '%s'", pr->name, pr->params[i].name);
    if (pr->check) {
        char why[200] = "";
        if (pr->check(node, why, sizeof why) != 0) return fail(l, v, VG_EPARSE, "probe '%s': %s", pr->name, why);
    }
    return 0;
}

static int parse_cond(struct ld *l, struct fy_node *n, int depth, struct vg__sca_node **out)
{
    if (depth > VG_SCA_MAX_DEPTH) return fail(l, n, VG_ETOOBIG, "condition nested deeper than %d levels", VG_SCA_MAX_DEPTH);
    if (++l->nodes > VG_SCA_MAX_NODES)
        return fail(l, n, VG_ETOOBIG, "condition has more than %d nodes", VG_SCA_MAX_NODES);
    if (n && fy_node_is_alias(n)) return fail(l, n, VG_EPARSE, "YAML aliases are not allowed");
    if (!n || fy_node_get_type(n) != FYNT_MAPPING || fy_node_mapping_item_count(n) != 1)
        return fail(l, n, VG_EPARSE, "a condition is a mapping with exactly one key: all, any, not or a probe name");
    struct vg__sca_node *node = vg_arena_alloc(&l->p->ar, sizeof *node);
    if (!node) return fail(l, n, VG_ENOMEM, "out of memory");
    memset(node, 0, sizeof *node);
    node_pos(n, &node->line, &node->col);
    void *it = NULL;
    struct fy_node_pair *pp = fy_node_mapping_iterate(n, &it);
    struct fy_node *k = fy_node_pair_key(pp), *v = fy_node_pair_value(pp);
    size_t kl = 0;
    const char *ks = scalar(k, &kl);
    if (!ks) return fail(l, k ? k : n, VG_EPARSE, "condition keys must be plain strings");
    if (key_is(k, "all") || key_is(k, "any")) {
        node->kind = key_is(k, "all") ? NK_ALL : NK_ANY;
        if (v && fy_node_is_alias(v)) return fail(l, v, VG_EPARSE, "YAML aliases are not allowed");
        if (!v || fy_node_get_type(v) != FYNT_SEQUENCE || fy_node_sequence_item_count(v) < 1)
            return fail(l, k, VG_EPARSE, "'%s' takes a non-empty list of conditions", node->kind == NK_ALL ? "all" : "any");
        int cnt = fy_node_sequence_item_count(v);
        if (cnt > VG_SCA_MAX_NODES) return fail(l, k, VG_ETOOBIG, "too many conditions in one all/any");
        node->kids = vg_arena_alloc(&l->p->ar, (size_t)cnt * sizeof *node->kids);
        if (!node->kids) return fail(l, v, VG_ENOMEM, "out of memory");
        void *it2 = NULL;
        struct fy_node *e;
        while ((e = fy_node_sequence_iterate(v, &it2)) != NULL && node->nkids < (size_t)cnt) {
            int rc = parse_cond(l, e, depth + 1, &node->kids[node->nkids]);
            if (rc) return rc;
            node->nkids++;
        }
    } else if (key_is(k, "not")) {
        node->kind = NK_NOT;
        node->kids = vg_arena_alloc(&l->p->ar, sizeof *node->kids);
        if (!node->kids) return fail(l, v, VG_ENOMEM, "out of memory");
        int rc = parse_cond(l, v, depth + 1, &node->kids[0]);
        if (rc) return rc;
        node->nkids = 1;
    } else {
        const struct vg__sca_probe *pr = vg__sca_probe_find(ks, kl);
        if (!pr) {
            char known[512] = "";
            size_t o = 0;
            for (size_t j = 0; j < vg__sca_probe_count() && o < sizeof known; j++)
                o += (size_t)snprintf(known + o, sizeof known - o, "%s%s", j ? ", " : "", vg__sca_probe_at(j)->name);
            return fail(l, k, VG_EPARSE, "unknown probe type '%.*s' (known: all, any, not, %s)", (int)(kl > 64 ? 64 : kl), ks,
                        known);
        }
        int rc = parse_probe(l, pr, k, v, node);
        if (rc) return rc;
    }
    *out = node;
    return 0;
}

/* ---- checks ---- */

static const char *const check_keys[] = {"id", "title", "description", "rationale", "remediation", "severity",
                                         "references", "applies_if", "condition"};

static bool valid_id(const char *s)
{
    if (!*s) return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '-' ||
              *s == '_' || *s == '.'))
            return false;
    return true;
}

static int parse_refs(struct ld *l, struct fy_node *v, struct vg_sca_check *c)
{
    if (v && fy_node_is_alias(v)) return fail(l, v, VG_EPARSE, "YAML aliases are not allowed");
    if (!v || fy_node_get_type(v) != FYNT_MAPPING) return fail(l, v, VG_EPARSE, "references must be a mapping of framework: [ids]");
    void *it = NULL;
    struct fy_node_pair *pp;
    while ((pp = fy_node_mapping_iterate(v, &it)) != NULL) {
        struct fy_node *k = fy_node_pair_key(pp);
        int fw = -1;
        for (int f = 0; f < VG_SCA_NFW; f++)
            if (key_is(k, vg_sca_framework_name((enum vg_sca_framework)f))) fw = f;
        if (fw < 0) {
            size_t kl = 0;
            const char *ks = scalar(k, &kl);
            return fail(l, k ? k : v, VG_EPARSE,
                        "unknown reference framework '%.*s' (known: cis, nist_800_53, pci_dss_v4, iso_27001, hipaa)",
                        ks ? (int)(kl > 64 ? 64 : kl) : 1, ks ? ks : "?");
        }
        int rc = get_str_list(l, fy_node_pair_value(pp), "reference ids", &c->refs[fw], &c->nrefs[fw]);
        if (rc) return rc;
    }
    return 0;
}

static int parse_check(struct ld *l, struct fy_node *n, struct vg_sca_check *c)
{
    memset(c, 0, sizeof *c);
    if (n && fy_node_is_alias(n)) return fail(l, n, VG_EPARSE, "YAML aliases are not allowed");
    if (!n || fy_node_get_type(n) != FYNT_MAPPING) return fail(l, n, VG_EPARSE, "each check must be a mapping");
    node_pos(n, &c->line, &c->col);
    l->nodes = 0;
    struct fy_node *vals[VG_ARRAY_LEN(check_keys)] = {0};
    void *it = NULL;
    struct fy_node_pair *pp;
    while ((pp = fy_node_mapping_iterate(n, &it)) != NULL) {
        struct fy_node *k = fy_node_pair_key(pp);
        size_t i;
        for (i = 0; i < VG_ARRAY_LEN(check_keys); i++)
            if (key_is(k, check_keys[i])) break;
        if (i == VG_ARRAY_LEN(check_keys)) {
            size_t kl = 0;
            const char *ks = scalar(k, &kl);
            return fail(l, k ? k : n, VG_EPARSE,
                        "unknown check key '%.*s' (known: id, title, description, rationale, remediation, severity, "
                        "references, applies_if, condition)",
                        ks ? (int)(kl > 64 ? 64 : kl) : 1, ks ? ks : "?");
        }
        vals[i] = fy_node_pair_value(pp);
        if (!vals[i]) return fail(l, k, VG_EPARSE, "check key '%s' has no value", check_keys[i]);
    }
    const char **strs[] = {&c->id, &c->title, &c->description, &c->rationale, &c->remediation};
    for (size_t i = 0; i < 5; i++) {
        if (!vals[i]) {
            if (i == 2) continue; /* description is optional */
            return fail(l, n, VG_EPARSE, "check%s%s is missing '%s'", c->id ? " " : "", c->id ? c->id : "", check_keys[i]);
        }
        int rc = get_str(l, vals[i], check_keys[i], i == 0 ? 128 : VG_SCA_MAX_STR, strs[i]);
        if (rc) return rc;
        if (i == 0 && !valid_id(c->id))
            return fail(l, vals[0], VG_EPARSE, "check id '%s' may only use letters, digits, '-', '_' and '.'", c->id);
    }
    if (!vals[5]) return fail(l, n, VG_EPARSE, "check %s is missing 'severity'", c->id);
    const char *sev = NULL;
    int rc = get_str(l, vals[5], "severity", 16, &sev);
    if (rc) return rc;
    int si = enum_index("low|medium|high|critical", sev, strlen(sev));
    if (si < 0) return fail(l, vals[5], VG_EPARSE, "severity must be low, medium, high or critical, not '%s'", sev);
    c->severity = (enum vg_sca_severity)si;
    if (!vals[6]) return fail(l, n, VG_EPARSE, "check %s is missing 'references'", c->id);
    if ((rc = parse_refs(l, vals[6], c)) != 0) return rc;
    if (!vals[8]) return fail(l, n, VG_EPARSE, "check %s is missing 'condition'", c->id);
    struct vg__sca_node *cond = NULL, *app = NULL;
    if (vals[7] && (rc = parse_cond(l, vals[7], 1, &app)) != 0) return rc;
    if ((rc = parse_cond(l, vals[8], 1, &cond)) != 0) return rc;
    c->applies_if = app;
    c->condition = cond;
    return 0;
}

/* ---- policy metadata ---- */

static int parse_platforms(struct ld *l, struct fy_node *v)
{
    if (v && fy_node_is_alias(v)) return fail(l, v, VG_EPARSE, "YAML aliases are not allowed");
    if (!v || fy_node_get_type(v) != FYNT_SEQUENCE) return fail(l, v, VG_EPARSE, "platforms must be a list");
    int cnt = fy_node_sequence_item_count(v);
    if (cnt > 64) return fail(l, v, VG_ETOOBIG, "more than 64 platforms");
    l->p->plat = vg_arena_alloc(&l->p->ar, (size_t)(cnt ? cnt : 1) * sizeof *l->p->plat);
    if (!l->p->plat) return fail(l, v, VG_ENOMEM, "out of memory");
    void *it = NULL;
    struct fy_node *e;
    while ((e = fy_node_sequence_iterate(v, &it)) != NULL && l->p->nplat < (size_t)cnt) {
        struct platform *pl = &l->p->plat[l->p->nplat++];
        memset(pl, 0, sizeof *pl);
        if (fy_node_is_alias(e) || fy_node_get_type(e) != FYNT_MAPPING)
            return fail(l, e, VG_EPARSE, "a platform is a mapping with 'id' and optional 'version_id' (os-release)");
        void *it2 = NULL;
        struct fy_node_pair *pp;
        while ((pp = fy_node_mapping_iterate(e, &it2)) != NULL) {
            struct fy_node *k = fy_node_pair_key(pp);
            int rc;
            if (key_is(k, "id")) rc = get_str(l, fy_node_pair_value(pp), "platform id", 64, &pl->id);
            else if (key_is(k, "version_id")) rc = get_str(l, fy_node_pair_value(pp), "platform version_id", 64, &pl->version_id);
            else rc = fail(l, k ? k : e, VG_EPARSE, "unknown platform key (known: id, version_id)");
            if (rc) return rc;
        }
        if (!pl->id) return fail(l, e, VG_EPARSE, "platform needs 'id'");
    }
    return 0;
}

static int parse_meta(struct ld *l, struct fy_node *v)
{
    if (v && fy_node_is_alias(v)) return fail(l, v, VG_EPARSE, "YAML aliases are not allowed");
    if (!v || fy_node_get_type(v) != FYNT_MAPPING) return fail(l, v, VG_EPARSE, "'policy' must be a mapping");
    void *it = NULL;
    struct fy_node_pair *pp;
    while ((pp = fy_node_mapping_iterate(v, &it)) != NULL) {
        struct fy_node *k = fy_node_pair_key(pp), *val = fy_node_pair_value(pp);
        int rc;
        if (key_is(k, "id")) {
            rc = get_str(l, val, "policy id", 128, &l->p->id);
            if (!rc && !valid_id(l->p->id)) rc = fail(l, val, VG_EPARSE, "policy id may only use letters, digits, '-', '_' and '.'");
        } else if (key_is(k, "name")) rc = get_str(l, val, "policy name", 512, &l->p->name);
        else if (key_is(k, "version")) rc = get_str(l, val, "policy version", 64, &l->p->version);
        else if (key_is(k, "description")) rc = get_str(l, val, "policy description", VG_SCA_MAX_STR, &l->p->description);
        else if (key_is(k, "platforms")) rc = parse_platforms(l, val);
        else rc = fail(l, k ? k : v, VG_EPARSE, "unknown policy key (known: id, name, version, description, platforms)");
        if (rc) return rc;
    }
    if (!l->p->id || !l->p->name || !l->p->version) return fail(l, v, VG_EPARSE, "policy needs id, name and version");
    return 0;
}

static int parse_root(struct ld *l, struct fy_node *root)
{
    if (!root || fy_node_is_alias(root) || fy_node_get_type(root) != FYNT_MAPPING)
        return fail(l, root, VG_EPARSE, "a policy is a mapping with 'policy' and 'checks'");
    struct fy_node *meta = NULL, *checks = NULL;
    void *it = NULL;
    struct fy_node_pair *pp;
    while ((pp = fy_node_mapping_iterate(root, &it)) != NULL) {
        struct fy_node *k = fy_node_pair_key(pp);
        if (key_is(k, "policy")) meta = fy_node_pair_value(pp);
        else if (key_is(k, "checks")) checks = fy_node_pair_value(pp);
        else return fail(l, k ? k : root, VG_EPARSE, "unknown top-level key (known: policy, checks)");
    }
    if (!meta) return fail(l, root, VG_EPARSE, "missing 'policy' metadata");
    int rc = parse_meta(l, meta);
    if (rc) return rc;
    if (checks && fy_node_is_alias(checks)) return fail(l, checks, VG_EPARSE, "YAML aliases are not allowed");
    if (!checks || fy_node_get_type(checks) != FYNT_SEQUENCE || fy_node_sequence_item_count(checks) < 1)
        return fail(l, checks ? checks : root, VG_EPARSE, "'checks' must be a non-empty list");
    int cnt = fy_node_sequence_item_count(checks);
    if (cnt > VG_SCA_MAX_CHECKS) return fail(l, checks, VG_ETOOBIG, "more than %d checks", VG_SCA_MAX_CHECKS);
    l->p->checks = vg_arena_alloc(&l->p->ar, (size_t)cnt * sizeof *l->p->checks);
    if (!l->p->checks) return fail(l, checks, VG_ENOMEM, "out of memory");
    void *it2 = NULL;
    struct fy_node *e;
    while ((e = fy_node_sequence_iterate(checks, &it2)) != NULL && l->p->nchecks < (size_t)cnt) {
        struct vg_sca_check *c = &l->p->checks[l->p->nchecks];
        if ((rc = parse_check(l, e, c)) != 0) return rc;
        for (size_t j = 0; j < l->p->nchecks; j++)
            if (strcmp(l->p->checks[j].id, c->id) == 0)
                return fail(l, e, VG_EPARSE, "duplicate check id '%s' (first at line %d)", c->id, l->p->checks[j].line);
        l->p->nchecks++;
    }
    return 0;
}

/* ---- YAML diagnostics ---- */
struct diagcap { char msg[240]; int line, col; bool have; };

static void diag_out(struct fy_diag *d, void *user, const char *buf, size_t len)
{
    (void)d;
    struct diagcap *dc = user;
    if (!dc->have) dc->have = vg_diag_parse_error(buf, len, dc->msg, sizeof dc->msg, &dc->line, &dc->col);
}

int vg_sca_policy_load_string(const char *text, size_t len, const char *name, struct vg_sca_policy **out,
                              struct vg_err *err)
{
    if (!out || (!text && len)) return vg_err_set(err, VG_EINVAL, "no policy text");
    *out = NULL;
    name = name ? name : "<string>";
    struct ld l = {.file = name, .err = err};
    if (len > VG_SCA_MAX_FILE) return fail(&l, NULL, VG_ETOOBIG, "policy larger than %u bytes", VG_SCA_MAX_FILE);
    if (!vg_utf8_valid(text, len)) return fail(&l, NULL, VG_EPARSE, "policy is not valid UTF-8");
    if (len && memchr(text, 0, len)) return fail(&l, NULL, VG_EPARSE, "policy contains a NUL byte");
    struct vg_sca_policy *p = vg_calloc(1, sizeof *p);
    if (!p) return vg_err_set(err, VG_ENOMEM, "out of memory");
    vg_arena_init(&p->ar, 65536);
    p->ar.cap = 64u << 20;
    l.p = p;
    int rc = 0;
    struct diagcap dc = {0};
    struct fy_diag_cfg dcfg;
    fy_diag_cfg_default(&dcfg);
    dcfg.fp = NULL;
    dcfg.output_fn = diag_out;
    dcfg.user = &dc;
    dcfg.colorize = false;
    struct fy_diag *diag = fy_diag_create(&dcfg);
    struct fy_parse_cfg cfg = {0};
    cfg.flags = FYPCF_QUIET | FYPCF_DEFAULT_VERSION_AUTO;
    cfg.diag = diag;
    struct fy_parser *fyp = diag ? fy_parser_create(&cfg) : NULL;
    struct fy_document *fyd = NULL;
    if (!fyp || fy_parser_set_string(fyp, text ? text : "", len) != 0) { rc = vg_err_set(err, VG_ENOMEM, "out of memory"); goto out; }
    fyd = fy_parse_load_document(fyp);
    if (!fyd || fy_parser_get_stream_error(fyp)) {
        if (dc.have || fy_parser_get_stream_error(fyp) || !fyd) {
            rc = VG_EPARSE;
            if (err) {
                vg_err_set(err, VG_EPARSE, "%s:%d:%d: YAML: %s", name, dc.line, dc.col, dc.have ? dc.msg : "empty or unreadable document");
                err->line = dc.line;
                err->col = dc.col;
            }
            goto out;
        }
    }
    if ((rc = parse_root(&l, fy_document_root(fyd))) != 0) goto out;
    /* exactly one document */
    struct fy_document *extra = fy_parse_load_document(fyp);
    if (extra) {
        bool empty = fy_document_root(extra) == NULL;
        fy_parse_document_destroy(fyp, extra);
        if (!empty) { rc = fail(&l, NULL, VG_EPARSE, "a policy file holds exactly one YAML document"); goto out; }
    }
    if (fy_parser_get_stream_error(fyp)) {
        rc = VG_EPARSE;
        if (err) vg_err_set(err, VG_EPARSE, "%s:%d:%d: YAML: %s", name, dc.line, dc.col, dc.have ? dc.msg : "stream error");
        goto out;
    }
    p->file = vg_arena_strndup(&p->ar, name, strlen(name));
    if (!p->file) { rc = vg_err_set(err, VG_ENOMEM, "out of memory"); goto out; }
out:
    if (fyd) fy_parse_document_destroy(fyp, fyd);
    if (fyp) fy_parser_destroy(fyp);
    if (diag) fy_diag_destroy(diag);
    if (rc) vg_sca_policy_free(p);
    else *out = p;
    return rc;
}

int vg_sca_policy_load_file(const char *path, struct vg_sca_policy **out, struct vg_err *err)
{
    if (!path || !out) return vg_err_set(err, VG_EINVAL, "no policy path");
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return vg_err_set(err, VG_EIO, "%s: cannot open: %s", path, strerror(errno));
    char *buf = vg_malloc(VG_SCA_MAX_FILE + 1);
    int rc = 0;
    if (!buf) { fclose(f); return vg_err_set(err, VG_ENOMEM, "out of memory"); }
    size_t n = fread(buf, 1, VG_SCA_MAX_FILE + 1, f);
    if (ferror(f)) rc = vg_err_set(err, VG_EIO, "%s: read error", path);
    else if (n > VG_SCA_MAX_FILE) rc = vg_err_set(err, VG_ETOOBIG, "%s:0:0: policy larger than %u bytes", path, VG_SCA_MAX_FILE);
    fclose(f);
    if (!rc) rc = vg_sca_policy_load_string(buf, n, path, out, err);
    vg_free(buf);
    return rc;
}

void vg_sca_policy_free(struct vg_sca_policy *p)
{
    if (!p) return;
    for (size_t i = 0; i < p->nres; i++) pcre2_code_free(p->res[i]);
    vg_free(p->res);
    vg_arena_release(&p->ar);
    vg_free(p);
}

const char *vg_sca_policy_id(const struct vg_sca_policy *p) { return p ? p->id : NULL; }
const char *vg_sca_policy_name(const struct vg_sca_policy *p) { return p ? p->name : NULL; }
const char *vg_sca_policy_version(const struct vg_sca_policy *p) { return p ? p->version : NULL; }
size_t vg_sca_policy_count(const struct vg_sca_policy *p) { return p ? p->nchecks : 0; }

const struct vg_sca_check *vg_sca_policy_check(const struct vg_sca_policy *p, size_t i)
{
    return p && i < p->nchecks ? &p->checks[i] : NULL;
}

/* Platform matching for the engine: returns true when the policy lists no
 * platforms or one matches (id, and version_id when given). */
bool vg__sca_policy_platform(const struct vg_sca_policy *p, const char *id, const char *version_id)
{
    if (!p->nplat) return true;
    for (size_t i = 0; i < p->nplat; i++) {
        if (!id || strcmp(p->plat[i].id, id) != 0) continue;
        if (p->plat[i].version_id && (!version_id || strcmp(p->plat[i].version_id, version_id) != 0)) continue;
        return true;
    }
    return false;
}

/* ---- default policy location ---- */

#ifndef VG_SCA_SOURCE_RULES
#define VG_SCA_SOURCE_RULES "rules"
#endif
#ifndef VG_SCA_INSTALL_RULES
#define VG_SCA_INSTALL_RULES "/usr/local/share/vigil/rules"
#endif

const char *vg_sca_default_policy(char *buf, size_t bufsz)
{
    static const char name[] = "policies/debian12-baseline.yml";
    const char *env = getenv("VIGIL_RULES");
    if (env && *env) {
        snprintf(buf, bufsz, "%s/%s", env, name);
        return buf;
    }
    char exe[2048];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = 0;
            snprintf(buf, bufsz, "%s/../share/vigil/rules/%s", exe, name);
            if (access(buf, R_OK) == 0) return buf;
        }
    }
    snprintf(buf, bufsz, "%s/%s", VG_SCA_INSTALL_RULES, name);
    if (access(buf, R_OK) == 0) return buf;
    snprintf(buf, bufsz, "%s/%s", VG_SCA_SOURCE_RULES, name);
    return buf;
}
