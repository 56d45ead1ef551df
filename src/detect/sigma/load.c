/* Sigma document loader: one YAML document (from libfyaml) becomes a
 * detection rule (metadata + compiled program), a correlation or a filter,
 * or a rejection with file, line, column and reason. Part of
 * src/detect/sigma (see internal.h). */
#include "internal.h"
#include <ctype.h>

void vg__sig_node_pos(struct fy_node *n, int *line, int *col)
{
    *line = *col = 0;
    for (int d = 0; n && d < 16; d++) {
        enum fy_node_type t = fy_node_get_type(n);
        if (t == FYNT_SCALAR) {
            struct fy_token *tok = fy_node_get_scalar_token(n);
            const struct fy_mark *m = tok ? fy_token_start_mark(tok) : NULL;
            if (m) { *line = m->line + 1; *col = m->column + 1; }
            return;
        }
        if (t == FYNT_MAPPING) {
            void *it = NULL;
            struct fy_node_pair *p = fy_node_mapping_iterate(n, &it);
            n = p ? fy_node_pair_key(p) : NULL;
        } else {
            void *it = NULL;
            n = fy_node_sequence_iterate(n, &it);
        }
    }
}

void vg__sig_fail(struct vg__sig_build *b, struct fy_node *at, const char *fmt, ...)
{
    if (b->failed) return;
    b->failed = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->reason, sizeof b->reason, fmt, ap);
    va_end(ap);
    int l = 0, c = 0;
    if (at) vg__sig_node_pos(at, &l, &c);
    if (l) { b->line = l; b->col = c; }
}

int vg__sig_emit(struct vg__sig_build *b, uint8_t op, uint32_t arg)
{
    if (b->ncode >= VG_SIGMA_MAX_PROG + 16) {
        vg__sig_fail(b, NULL, "program larger than %d instructions", VG_SIGMA_MAX_PROG);
        return -1;
    }
    if (b->ncode == b->capcode) {
        uint32_t nc = b->capcode ? b->capcode * 2 : 64;
        struct vg__sig_insn *n = vg_realloc(b->code, nc * sizeof *n);
        if (!n) { vg__sig_fail(b, NULL, "out of memory"); return -1; }
        b->code = n;
        b->capcode = nc;
    }
    b->code[b->ncode].op = op;
    b->code[b->ncode].arg = arg;
    b->ncode++;
    return 0;
}

int vg__sig_ident(struct vg__sig_build *b, struct fy_node *v, int depth)
{
    if (!v) {
        vg__sig_fail(b, NULL, "search identifier without a value");
        return -1;
    }
    if (depth > 4) {
        vg__sig_fail(b, v, "search identifier nested too deeply");
        return -1;
    }
    enum fy_node_type t = fy_node_get_type(v);
    if (fy_node_is_alias(v)) {
        vg__sig_fail(b, v, "YAML aliases are not supported in detections");
        return -1;
    }
    if (t == FYNT_MAPPING) {
        int n = fy_node_mapping_item_count(v);
        if (n <= 0) {
            vg__sig_fail(b, v, "empty selection map");
            return -1;
        }
        void *it = NULL;
        struct fy_node_pair *p;
        while ((p = fy_node_mapping_iterate(v, &it)) != NULL) {
            struct fy_node *k = fy_node_pair_key(p);
            size_t kl = 0;
            const char *ks = (k && fy_node_get_type(k) == FYNT_SCALAR && !fy_node_is_alias(k)) ? fy_node_get_scalar(k, &kl) : NULL;
            if (!ks) {
                vg__sig_fail(b, k ? k : v, "selection keys must be field names");
                return -1;
            }
            if (vg__sig_entry(b, ks, kl, fy_node_pair_value(p), k) != 0) return -1;
        }
        if (n > 1 && vg__sig_emit(b, n == 2 ? OP_AND : OP_ANDN, n == 2 ? 0 : (uint32_t)n) != 0) return -1;
        return 0;
    }
    if (t == FYNT_SEQUENCE) {
        int n = fy_node_sequence_item_count(v);
        if (n <= 0) {
            vg__sig_fail(b, v, "empty search identifier list");
            return -1;
        }
        if (n > VG_SIGMA_MAX_VALUES) {
            vg__sig_fail(b, v, "more than %d entries in a search identifier", VG_SIGMA_MAX_VALUES);
            return -1;
        }
        /* all scalars: one keyword leaf; otherwise each map or scalar is an OR branch */
        bool allscalar = true;
        void *it = NULL;
        struct fy_node *e;
        while ((e = fy_node_sequence_iterate(v, &it)) != NULL)
            if (fy_node_get_type(e) != FYNT_SCALAR) allscalar = false;
        if (allscalar) return vg__sig_entry(b, "", 0, v, v);
        it = NULL;
        uint32_t k = 0;
        while ((e = fy_node_sequence_iterate(v, &it)) != NULL) {
            if (fy_node_get_type(e) == FYNT_SEQUENCE) {
                vg__sig_fail(b, e, "nested lists are not allowed in a search identifier");
                return -1;
            }
            if (fy_node_get_type(e) == FYNT_SCALAR) {
                if (vg__sig_entry(b, "", 0, e, e) != 0) return -1;
            } else if (vg__sig_ident(b, e, depth + 1) != 0) {
                return -1;
            }
            k++;
        }
        if (k > 1 && vg__sig_emit(b, k == 2 ? OP_OR : OP_ORN, k == 2 ? 0 : k) != 0) return -1;
        return 0;
    }
    /* a lone scalar: one keyword */
    return vg__sig_entry(b, "", 0, v, v);
}

struct vg_sigma_prog *vg__sig_prog_finish(struct vg__sig_build *b)
{
    /* code[0..ncode) here is the final program (caller moved it to the front) */
    struct vg_sigma_prog *p = vg_arena_alloc(b->ar, sizeof *p);
    if (!p) return NULL;
    memset(p, 0, sizeof *p);
    p->code = vg_arena_alloc(b->ar, (b->ncode ? b->ncode : 1) * sizeof *p->code);
    p->leaf = vg_arena_alloc(b->ar, (b->nleaf ? b->nleaf : 1) * sizeof *p->leaf);
    if (!p->code || !p->leaf) return NULL;
    memcpy(p->code, b->code, b->ncode * sizeof *p->code);
    if (b->nleaf) memcpy(p->leaf, b->leaf, b->nleaf * sizeof *p->leaf);
    p->ncode = b->ncode;
    p->nleaf = b->nleaf;
    /* stack depth check */
    long sp = 0, maxsp = 0;
    for (uint32_t i = 0; i < p->ncode; i++) {
        switch (p->code[i].op) {
        case OP_LEAF: case OP_TRUE: case OP_FALSE: sp++; break;
        case OP_NOT: if (sp < 1) return NULL; break;
        case OP_AND: case OP_OR: if (sp < 2) return NULL; sp--; break;
        default:
            if (p->code[i].arg < 1 || sp < (long)p->code[i].arg) return NULL;
            sp -= (long)p->code[i].arg - 1;
            break;
        }
        if (sp > maxsp) maxsp = sp;
    }
    if (sp != 1) return NULL;
    p->maxstack = (uint32_t)maxsp;
    return p;
}

/* ---- metadata ---- */

static const char *dup_scalar(struct vg_arena *ar, struct fy_node *n)
{
    if (!n || fy_node_get_type(n) != FYNT_SCALAR || fy_node_is_alias(n)) return NULL;
    size_t l;
    const char *s = fy_node_get_scalar(n, &l);
    if (!s) return NULL;
    if (l > VG_SIGMA_MAX_VALUE_LEN) l = VG_SIGMA_MAX_VALUE_LEN;
    return vg_arena_strndup(ar, s, l);
}

static struct fy_node *get(struct fy_node *map, const char *key)
{
    if (!map || fy_node_get_type(map) != FYNT_MAPPING) return NULL;
    void *it = NULL;
    struct fy_node_pair *p;
    size_t kl = strlen(key);
    while ((p = fy_node_mapping_iterate(map, &it)) != NULL) {
        struct fy_node *k = fy_node_pair_key(p);
        size_t l;
        const char *s = (k && fy_node_get_type(k) == FYNT_SCALAR) ? fy_node_get_scalar(k, &l) : NULL;
        if (s && l == kl && memcmp(s, key, l) == 0) return fy_node_pair_value(p);
    }
    return NULL;
}

static bool has_key(struct fy_node *map, const char *key)
{
    if (!map || fy_node_get_type(map) != FYNT_MAPPING) return false;
    void *it = NULL;
    struct fy_node_pair *p;
    size_t kl = strlen(key);
    while ((p = fy_node_mapping_iterate(map, &it)) != NULL) {
        struct fy_node *k = fy_node_pair_key(p);
        size_t l;
        const char *s = (k && fy_node_get_type(k) == FYNT_SCALAR) ? fy_node_get_scalar(k, &l) : NULL;
        if (s && l == kl && memcmp(s, key, l) == 0) return true;
    }
    return false;
}

/* A scalar or a list of scalars -> array of strings in the arena. */
static const char *const *str_list(struct vg_arena *ar, struct fy_node *n, size_t *cnt)
{
    *cnt = 0;
    if (!n) return NULL;
    if (fy_node_get_type(n) == FYNT_SCALAR) {
        const char **a = vg_arena_alloc(ar, sizeof *a);
        if (!a || !(a[0] = dup_scalar(ar, n))) return NULL;
        *cnt = 1;
        return a;
    }
    if (fy_node_get_type(n) != FYNT_SEQUENCE) return NULL;
    int k = fy_node_sequence_item_count(n);
    if (k <= 0) return NULL;
    if (k > VG_SIGMA_MAX_VALUES) k = VG_SIGMA_MAX_VALUES;
    const char **a = vg_arena_alloc(ar, (size_t)k * sizeof *a);
    if (!a) return NULL;
    void *it = NULL;
    struct fy_node *e;
    size_t i = 0;
    while ((e = fy_node_sequence_iterate(n, &it)) != NULL && i < (size_t)k) {
        const char *s = dup_scalar(ar, e);
        if (s) a[i++] = s;
    }
    *cnt = i;
    return a;
}

static void split_tags(struct vg_arena *ar, struct vg_sigma_rule *r)
{
    const char **tac = vg_arena_alloc(ar, (r->ntags + 1) * sizeof *tac);
    const char **tec = vg_arena_alloc(ar, (r->ntags + 1) * sizeof *tec);
    if (!tac || !tec) return;
    for (size_t i = 0; i < r->ntags; i++) {
        const char *t = r->tags[i];
        if (strncmp(t, "attack.", 7) != 0) continue;
        const char *v = t + 7;
        size_t n = strlen(v);
        if (n >= 5 && (v[0] == 't' || v[0] == 'T') && isdigit((unsigned char)v[1])) {
            bool ok = true;
            for (size_t k = 1; k < n; k++)
                if (!isdigit((unsigned char)v[k]) && v[k] != '.') ok = false;
            if (!ok) continue;
            char *c = vg_arena_strndup(ar, v, n);
            if (!c) return;
            c[0] = 'T';
            bool dup = false;
            for (size_t k = 0; k < r->ntechniques; k++) dup |= strcmp(tec[k], c) == 0;
            if (!dup) tec[r->ntechniques++] = c;
            continue;
        }
        /* a tactic is a name of letters, '-' and '_' (attack.gNNNN groups,
         * attack.sNNNN software, attack.taNNNN ids have digits and stay
         * tags only). SigmaHQ writes credential-access, older rules and
         * Vigil's pack credential_access: one form, '_', so searches and
         * counts by tactic agree. */
        bool name = n > 0 && n <= 64;
        for (size_t k = 0; name && k < n; k++)
            if (!(isalpha((unsigned char)v[k]) || v[k] == '-' || v[k] == '_')) name = false;
        if (!name) continue;
        char *c = vg_arena_strndup(ar, v, n);
        if (!c) return;
        for (size_t k = 0; k < n; k++) c[k] = c[k] == '-' ? '_' : (char)tolower((unsigned char)c[k]);
        bool dup = false;
        for (size_t k = 0; k < r->ntactics; k++) dup |= strcmp(tac[k], c) == 0;
        if (!dup) tac[r->ntactics++] = c;
    }
    r->tactics = tac;
    r->techniques = tec;
}

static const char *const corr_types[] = {"event_count", "value_count", "temporal", "temporal_ordered",
                                         "value_sum", "value_avg", "value_percentile"};

/* The parts of a correlation the correlation engine needs beyond the
 * first condition key: every condition key (ranges) and the aliases. Kept
 * separate from load_correlation so the sigma loader's own code stays as
 * it was (owner of this function: the correlate branch). */
static int load_correlation_more(struct vg__sig_build *b, struct vg_sigma_correlation *co, struct fy_node *c)
{
    static const char *const ops[] = {"gt", "gte", "lt", "lte", "eq", "neq"};
    struct fy_node *cond = get(c, "condition");
    if (cond && fy_node_get_type(cond) == FYNT_MAPPING) {
        void *it = NULL;
        struct fy_node_pair *p;
        while ((p = fy_node_mapping_iterate(cond, &it)) != NULL) {
            const char *k = dup_scalar(b->ar, fy_node_pair_key(p));
            if (!k || strcmp(k, "field") == 0) continue;
            const char *v = dup_scalar(b->ar, fy_node_pair_value(p));
            bool known = false;
            for (size_t i = 0; i < VG_ARRAY_LEN(ops); i++) known |= strcmp(k, ops[i]) == 0;
            int64_t iv = 0;
            if (!known || !v || vg_parse_i64(v, strlen(v), &iv) != 0) {
                vg__sig_fail(b, fy_node_pair_key(p), "correlation condition key '%s' must be one of gt, gte, lt, lte, eq, neq with an integer", k);
                return -1;
            }
            if (co->ncond >= VG_ARRAY_LEN(co->cond_ops)) {
                vg__sig_fail(b, fy_node_pair_key(p), "correlation condition has more than %zu keys", VG_ARRAY_LEN(co->cond_ops));
                return -1;
            }
            co->cond_ops[co->ncond] = k;
            co->cond_values[co->ncond++] = iv;
        }
    }
    struct fy_node *al = get(c, "aliases");
    if (!al) return 0;
    if (fy_node_get_type(al) != FYNT_MAPPING) {
        vg__sig_fail(b, al, "correlation aliases must be a map of name -> {rule: field}");
        return -1;
    }
    int n = fy_node_mapping_item_count(al);
    if (n <= 0 || n > 64) {
        vg__sig_fail(b, al, "correlation aliases must have 1 to 64 names");
        return -1;
    }
    struct vg_sigma_corr_alias *a = vg_arena_alloc(b->ar, (size_t)n * sizeof *a);
    if (!a) return -1;
    void *it = NULL;
    struct fy_node_pair *p;
    size_t na = 0;
    while ((p = fy_node_mapping_iterate(al, &it)) != NULL && na < (size_t)n) {
        struct fy_node *m = fy_node_pair_value(p);
        const char *name = dup_scalar(b->ar, fy_node_pair_key(p));
        int k = m && fy_node_get_type(m) == FYNT_MAPPING ? fy_node_mapping_item_count(m) : -1;
        if (!name || k <= 0 || k > 1024) {
            vg__sig_fail(b, m ? m : al, "correlation alias must map rule names to field names");
            return -1;
        }
        const char **rs = vg_arena_alloc(b->ar, (size_t)k * sizeof *rs);
        const char **fs = vg_arena_alloc(b->ar, (size_t)k * sizeof *fs);
        if (!rs || !fs) return -1;
        void *it2 = NULL;
        struct fy_node_pair *q;
        size_t nk = 0;
        while ((q = fy_node_mapping_iterate(m, &it2)) != NULL && nk < (size_t)k) {
            rs[nk] = dup_scalar(b->ar, fy_node_pair_key(q));
            fs[nk] = dup_scalar(b->ar, fy_node_pair_value(q));
            if (!rs[nk] || !fs[nk]) {
                vg__sig_fail(b, q ? fy_node_pair_key(q) : m, "correlation alias entries must be rule: field");
                return -1;
            }
            nk++;
        }
        a[na].name = name;
        a[na].rules = rs;
        a[na].fields = fs;
        a[na].n = nk;
        na++;
    }
    co->aliases = a;
    co->naliases = na;
    return 0;
}

static int load_correlation(struct vg__sig_build *b, struct vg_sigma_rule *r, struct fy_node *c)
{
    struct vg_sigma_correlation *co = vg_arena_alloc(b->ar, sizeof *co);
    if (!co) return -1;
    memset(co, 0, sizeof *co);
    if (fy_node_get_type(c) != FYNT_MAPPING) {
        vg__sig_fail(b, c, "correlation must be a map");
        return -1;
    }
    co->type = dup_scalar(b->ar, get(c, "type"));
    bool known = false;
    for (size_t i = 0; co->type && i < VG_ARRAY_LEN(corr_types); i++) known |= strcmp(co->type, corr_types[i]) == 0;
    if (!known) {
        vg__sig_fail(b, get(c, "type") ? get(c, "type") : c, "correlation type missing or unknown");
        return -1;
    }
    co->rules = str_list(b->ar, get(c, "rules"), &co->nrules);
    if (!co->nrules) {
        vg__sig_fail(b, c, "correlation needs a list of rules");
        return -1;
    }
    co->group_by = str_list(b->ar, get(c, "group-by"), &co->ngroup_by);
    co->timespan = dup_scalar(b->ar, get(c, "timespan"));
    if (!co->timespan || vg_duration_parse(co->timespan, &co->timespan_ns) != 0) {
        vg__sig_fail(b, get(c, "timespan") ? get(c, "timespan") : c, "correlation needs a timespan like 30s, 5m, 1h, 1d");
        return -1;
    }
    co->field = dup_scalar(b->ar, get(c, "field"));
    struct fy_node *cond = get(c, "condition");
    if (cond && fy_node_get_type(cond) == FYNT_MAPPING) {
        void *it = NULL;
        struct fy_node_pair *p = fy_node_mapping_iterate(cond, &it);
        for (; p; p = fy_node_mapping_iterate(cond, &it)) {
            const char *k = dup_scalar(b->ar, fy_node_pair_key(p));
            const char *v = dup_scalar(b->ar, fy_node_pair_value(p));
            if (!k || !v) continue;
            if (strcmp(k, "field") == 0) { co->field = v; continue; }
            if (!co->cond_op && vg_parse_i64(v, strlen(v), &co->cond_value) == 0) co->cond_op = k;
        }
    } else if (strncmp(co->type, "temporal", 8) != 0) {
        vg__sig_fail(b, c, "correlation of type %s needs a condition", co->type);
        return -1;
    }
    if (load_correlation_more(b, co, c) != 0) return -1;
    const char *gen = dup_scalar(b->ar, get(c, "generate"));
    co->generate = gen && strcmp(gen, "true") == 0;
    r->correlation = co;
    return 0;
}

/* Compiles the detection map of a rule or filter into a program. skip
 * names a key that is not a search identifier (a filter's `rules`), or is
 * NULL; one_cond requires the condition to be one text (filters). */
static struct vg_sigma_prog *load_detection(struct vg__sig_build *b, struct fy_node *det, const char *skip, bool one_cond)
{
    struct vg__sig_idents ids = {0};
    struct vg_sigma_prog *prog = NULL;
    if (!det || fy_node_get_type(det) != FYNT_MAPPING) {
        vg__sig_fail(b, det, "detection must be a map");
        return NULL;
    }
    int n = fy_node_mapping_item_count(det);
    if (n > VG_SIGMA_MAX_IDENTS) {
        vg__sig_fail(b, det, "more than %d search identifiers", VG_SIGMA_MAX_IDENTS);
        return NULL;
    }
    ids.name = vg_calloc((size_t)n + 1, sizeof *ids.name);
    ids.nlen = vg_calloc((size_t)n + 1, sizeof *ids.nlen);
    ids.off = vg_calloc((size_t)n + 1, sizeof *ids.off);
    ids.len = vg_calloc((size_t)n + 1, sizeof *ids.len);
    if (!ids.name || !ids.nlen || !ids.off || !ids.len) { vg__sig_fail(b, det, "out of memory"); goto out; }
    struct fy_node *cond = NULL, *condkey = NULL;
    void *it = NULL;
    struct fy_node_pair *p;
    while ((p = fy_node_mapping_iterate(det, &it)) != NULL) {
        struct fy_node *k = fy_node_pair_key(p);
        size_t kl = 0;
        const char *ks = (k && fy_node_get_type(k) == FYNT_SCALAR && !fy_node_is_alias(k)) ? fy_node_get_scalar(k, &kl) : NULL;
        if (!ks || kl == 0) { vg__sig_fail(b, k ? k : det, "search identifiers must be non-empty names"); goto out; }
        if (kl == 9 && memcmp(ks, "condition", 9) == 0) { cond = fy_node_pair_value(p); condkey = k; continue; }
        if (skip && kl == strlen(skip) && memcmp(ks, skip, kl) == 0) continue;
        if (kl == 9 && memcmp(ks, "timeframe", 9) == 0) {
            vg__sig_fail(b, k, "detection.timeframe was removed in Sigma v2: write a correlation rule with a timespan");
            goto out;
        }
        ids.name[ids.n] = ks;
        ids.nlen[ids.n] = kl;
        ids.off[ids.n] = b->ncode;
        if (vg__sig_ident(b, fy_node_pair_value(p), 0) != 0) goto out;
        ids.len[ids.n] = b->ncode - ids.off[ids.n];
        ids.n++;
    }
    if (!cond) { vg__sig_fail(b, condkey ? condkey : det, "detection has no condition"); goto out; }
    long start = -1;
    if (one_cond && fy_node_get_type(cond) != FYNT_SCALAR) {
        vg__sig_fail(b, cond, "a filter condition must be one text (like 'not selection')");
        goto out;
    }
    if (fy_node_get_type(cond) == FYNT_SEQUENCE) {
        uint32_t k = 0;
        void *ci = NULL;
        struct fy_node *e;
        int cnt = fy_node_sequence_item_count(cond);
        if (cnt <= 0 || cnt > 64) { vg__sig_fail(b, cond, "condition list must hold 1 to 64 conditions"); goto out; }
        while ((e = fy_node_sequence_iterate(cond, &ci)) != NULL) {
            size_t l;
            const char *s = (fy_node_get_type(e) == FYNT_SCALAR && !fy_node_is_alias(e)) ? fy_node_get_scalar(e, &l) : NULL;
            if (!s) { vg__sig_fail(b, e, "condition must be text"); goto out; }
            long st = vg__sig_cond(b, s, l, &ids, e);
            if (st < 0) goto out;
            if (start < 0) start = st;
            k++;
        }
        if (k > 1 && vg__sig_emit(b, k == 2 ? OP_OR : OP_ORN, k == 2 ? 0 : k) != 0) goto out;
    } else {
        size_t l;
        const char *s = (fy_node_get_type(cond) == FYNT_SCALAR && !fy_node_is_alias(cond)) ? fy_node_get_scalar(cond, &l) : NULL;
        if (!s) { vg__sig_fail(b, cond, "condition must be text or a list of texts"); goto out; }
        start = vg__sig_cond(b, s, l, &ids, cond);
        if (start < 0) goto out;
    }
    /* move the final program to the front */
    memmove(b->code, b->code + start, (b->ncode - (size_t)start) * sizeof *b->code);
    b->ncode -= (uint32_t)start;
    prog = vg__sig_prog_finish(b);
    if (!prog) vg__sig_fail(b, det, "internal: malformed program");
out:
    vg_free(ids.name);
    vg_free(ids.nlen);
    vg_free(ids.off);
    vg_free(ids.len);
    return prog;
}

/* A filter document (Sigma filters v2): logsource, `filter: {rules,
 * search identifiers..., condition}`. rules is a list of rule ids or names,
 * one id or name, `any`/`all` or an empty list (every rule of the log
 * source); the rest compiles like a detection. Applied at compile
 * (set.c: apply_filters). Returns 0 (loaded or rejected) or -1 on OOM. */
static int load_filter(struct vg__sig_build *b, struct vg_sigma_rule *r, struct fy_node *root, struct fy_node *f,
                       struct fy_node *ls)
{
    if (!ls || fy_node_get_type(ls) != FYNT_MAPPING) {
        vg__sig_fail(b, ls ? ls : root, "a filter needs a logsource map (the log source of the rules it tunes)");
        return 0;
    }
    if (!f || fy_node_get_type(f) != FYNT_MAPPING) {
        vg__sig_fail(b, f ? f : root, "filter must be a map of rules, search identifiers and a condition");
        return 0;
    }
    struct vg_sigma_filter *fl = vg_arena_alloc(b->ar, sizeof *fl);
    if (!fl) return -1;
    memset(fl, 0, sizeof *fl);
    struct fy_node *rl = get(f, "rules");
    if (!rl) {
        vg__sig_fail(b, f, "filter needs `rules`: a list of rule ids or names, or `any` for every rule of its log source");
        return 0;
    }
    int n = 0;
    if (fy_node_get_type(rl) == FYNT_SCALAR && !fy_node_is_alias(rl)) {
        size_t l;
        const char *t = fy_node_get_scalar(rl, &l);
        bool any = t && ((l == 3 && vg_strncasecmp_ascii(t, "any", 3) == 0) || (l == 3 && vg_strncasecmp_ascii(t, "all", 3) == 0));
        if (!t || l == 0) {
            vg__sig_fail(b, rl, "filter rules must be rule ids or names, or `any`");
            return 0;
        }
        n = any ? 0 : 1;
    } else if (fy_node_get_type(rl) == FYNT_SEQUENCE) {
        n = fy_node_sequence_item_count(rl);
        if (n < 0 || n > VG_SIGMA_MAX_IDENTS) {
            vg__sig_fail(b, rl, "filter names more than %d rules", VG_SIGMA_MAX_IDENTS);
            return 0;
        }
    } else {
        vg__sig_fail(b, rl, "filter rules must be a list of rule ids or names, or `any`");
        return 0;
    }
    if (n > 0) {
        const char **refs = vg_arena_alloc(b->ar, (size_t)n * sizeof *refs);
        int *lines = vg_arena_alloc(b->ar, (size_t)n * sizeof *lines);
        int *cols = vg_arena_alloc(b->ar, (size_t)n * sizeof *cols);
        if (!refs || !lines || !cols) return -1;
        void *it = NULL;
        struct fy_node *e = fy_node_get_type(rl) == FYNT_SCALAR ? rl : fy_node_sequence_iterate(rl, &it);
        for (int i = 0; e && i < n; i++) {
            size_t l = 0;
            const char *t = (fy_node_get_type(e) == FYNT_SCALAR && !fy_node_is_alias(e)) ? fy_node_get_scalar(e, &l) : NULL;
            if (!t || l == 0 || l > 256) {
                vg__sig_fail(b, e, "filter rules must be rule ids or names (text of 1 to 256 bytes)");
                return 0;
            }
            if (!(refs[i] = vg_arena_strndup(b->ar, t, l))) return -1;
            vg__sig_node_pos(e, &lines[i], &cols[i]);
            fl->nrules++;
            e = fy_node_get_type(rl) == FYNT_SCALAR ? NULL : fy_node_sequence_iterate(rl, &it);
        }
        fl->rules = refs;
        fl->line = lines;
        fl->col = cols;
    }
    r->filter = fl;
    r->prog = load_detection(b, f, "rules", true);
    return 0;
}

/* Vigil's own YAML documents that live beside rules but are not Sigma
 * (rules/mappings/, rules/policies/, a placeholder configuration): what
 * they are, or NULL. Recognised by their top-level keys, so the loader,
 * `vigil rules check` and the detect engine agree wherever they sit. */
static const char *foreign_doc(struct fy_node *root)
{
    static const char *const sigma_keys[] = {"title", "detection", "logsource", "correlation", "filter"};
    for (size_t i = 0; i < VG_ARRAY_LEN(sigma_keys); i++)
        if (has_key(root, sigma_keys[i])) return NULL;
    if (has_key(root, "logsources") || has_key(root, "fields")) return "log source mapping (load it with --mappings)";
    if (has_key(root, "policy") && has_key(root, "checks")) return "hardening policy (vigil harden)";
    if (has_key(root, "placeholders")) return "Sigma placeholder configuration (load it with --config)";
    return NULL;
}

/* Keys of one map, for the duplicate check (the parser runs with
 * FYPCF_ALLOW_DUPLICATE_KEYS: libfyaml's own check is quadratic in the
 * number of keys, 20,000 keys took 14-30 s, so set.c turns it off and this
 * linear one replaces it). Returns the first repeated scalar key, NULL if
 * none; *oom on allocation failure. */
static struct fy_node *dup_key(struct fy_node *map, bool *oom)
{
    int n = fy_node_mapping_item_count(map);
    if (n < 2) return NULL;
    size_t cap = 16;
    while (cap < (size_t)n * 2) cap *= 2;
    struct slot { uint64_t h; const char *s; size_t l; } *tab = vg_calloc(cap, sizeof *tab);
    if (!tab) { *oom = true; return NULL; }
    struct fy_node *hit = NULL;
    void *it = NULL;
    struct fy_node_pair *p;
    while (!hit && (p = fy_node_mapping_iterate(map, &it)) != NULL) {
        struct fy_node *k = fy_node_pair_key(p);
        size_t l = 0;
        const char *t = (k && fy_node_get_type(k) == FYNT_SCALAR && !fy_node_is_alias(k)) ? fy_node_get_scalar(k, &l) : NULL;
        if (!t) continue;
        uint64_t h = 1469598103934665603ull;
        for (size_t i = 0; i < l; i++) h = (h ^ (unsigned char)t[i]) * 1099511628211ull;
        h |= 1; /* 0 marks an empty slot */
        size_t j = (size_t)h & (cap - 1);
        for (; tab[j].h; j = (j + 1) & (cap - 1))
            if (tab[j].h == h && tab[j].l == l && memcmp(tab[j].s, t, l) == 0) { hit = k; break; }
        if (!hit) tab[j] = (struct slot){h, t, l};
    }
    vg_free(tab);
    return hit;
}

/* Checks a whole document before it is read as Sigma: the first alias
 * anywhere (aliases are never resolved, so a billion-laughs document costs
 * nothing, but it is not a rule either) or repeated key of a map. Returns
 * the offending node with *why set, or NULL; *oom on allocation failure. */
static struct fy_node *check_tree(struct fy_node *n, int depth, const char **why, bool *oom)
{
    if (!n || depth > 128 || *oom) return NULL;
    if (fy_node_is_alias(n)) { *why = "YAML aliases are not supported in Sigma documents"; return n; }
    void *it = NULL;
    if (fy_node_get_type(n) == FYNT_MAPPING) {
        struct fy_node *d = dup_key(n, oom);
        if (d) { *why = "duplicate key in a map"; return d; }
        struct fy_node_pair *p;
        while ((p = fy_node_mapping_iterate(n, &it)) != NULL) {
            struct fy_node *a = check_tree(fy_node_pair_key(p), depth + 1, why, oom);
            if (!a) a = check_tree(fy_node_pair_value(p), depth + 1, why, oom);
            if (a) return a;
        }
    } else if (fy_node_get_type(n) == FYNT_SEQUENCE) {
        struct fy_node *e;
        while ((e = fy_node_sequence_iterate(n, &it)) != NULL) {
            struct fy_node *a = check_tree(e, depth + 1, why, oom);
            if (a) return a;
        }
    }
    return NULL;
}

/* Loads one document. Returns 0 (loaded, noted or rejected: see *kind /
 * b->failed) or -1 on OOM. */
int vg__sig_load_doc(struct vg__sig_build *b, struct fy_node *root, struct vg_sigma_rule **out)
{
    *out = NULL;
    b->failed = false;
    b->expand_missing = false;
    b->foreign = NULL;
    bool coll = b->collection;
    b->reason[0] = 0;
    b->ncode = b->nleaf = 0;
    vg__sig_node_pos(root, &b->line, &b->col);
    if (!root || fy_node_get_type(root) != FYNT_MAPPING) {
        size_t l = 0;
        bool empty = !root || (fy_node_get_type(root) == FYNT_SCALAR && !fy_node_is_alias(root) &&
                               (!fy_node_get_scalar(root, &l) || l == 0));
        vg__sig_fail(b, root, empty ? "empty document" : "document is not a map");
        return 0;
    }
    struct vg_sigma_rule *r = vg_arena_alloc(b->ar, sizeof *r);
    if (!r) return -1;
    memset(r, 0, sizeof *r);
    r->line = b->line;
    r->col = b->col;
    r->file = b->file;
    r->id = dup_scalar(b->ar, get(root, "id"));
    r->name = dup_scalar(b->ar, get(root, "name"));
    r->title = dup_scalar(b->ar, get(root, "title"));
    r->status = dup_scalar(b->ar, get(root, "status"));
    r->level = dup_scalar(b->ar, get(root, "level"));
    r->author = dup_scalar(b->ar, get(root, "author"));
    r->description = dup_scalar(b->ar, get(root, "description"));
    r->date = dup_scalar(b->ar, get(root, "date"));
    r->modified = dup_scalar(b->ar, get(root, "modified"));
    r->tags = str_list(b->ar, get(root, "tags"), &r->ntags);
    r->falsepositives = str_list(b->ar, get(root, "falsepositives"), &r->nfalsepositives);
    r->references = str_list(b->ar, get(root, "references"), &r->nreferences);
    split_tags(b->ar, r);
    struct fy_node *ls = get(root, "logsource");
    if (ls && fy_node_get_type(ls) == FYNT_MAPPING) {
        r->product = dup_scalar(b->ar, get(ls, "product"));
        r->category = dup_scalar(b->ar, get(ls, "category"));
        r->service = dup_scalar(b->ar, get(ls, "service"));
        r->definition = dup_scalar(b->ar, get(ls, "definition"));
    }
    *out = r;
    if (!r->title && (b->foreign = foreign_doc(root)) != NULL) return 0;
    const char *why = NULL;
    bool oom = false;
    struct fy_node *bad = check_tree(root, 0, &why, &oom);
    if (oom) return -1;
    if (bad) {
        vg__sig_fail(b, bad, "%s", why);
        return 0;
    }
    if (coll) {
        vg__sig_fail(b, root, "part of a v1 rule collection (action: global) in this file, which is not supported");
        return 0;
    }
    struct fy_node *act = get(root, "action");
    if (act) {
        vg__sig_fail(b, act, "v1 rule collections (action: global/reset/repeat) are not supported: write one complete rule per document");
        return 0;
    }
    if (!r->title) {
        vg__sig_fail(b, root, "missing title");
        return 0;
    }
    size_t tl = 0;
    struct fy_node *tn = get(root, "title");
    if (fy_node_get_scalar(tn, &tl) && tl > 4096) { /* the specification allows 256 characters */
        vg__sig_fail(b, tn, "title longer than 4096 bytes");
        return 0;
    }
    if (has_key(root, "correlation")) {
        r->kind = VG_SIGMA_CORRELATION;
        if (load_correlation(b, r, get(root, "correlation")) != 0 && !b->failed) return -1;
        return 0;
    }
    if (has_key(root, "filter")) {
        r->kind = VG_SIGMA_FILTER;
        return load_filter(b, r, root, get(root, "filter"), ls);
    }
    if (!ls || fy_node_get_type(ls) != FYNT_MAPPING) {
        vg__sig_fail(b, ls ? ls : root, "missing logsource map");
        return 0;
    }
    struct fy_node *det = get(root, "detection");
    if (!det) {
        vg__sig_fail(b, root, "missing detection");
        return 0;
    }
    r->prog = load_detection(b, det, NULL, false);
    return 0;
}
