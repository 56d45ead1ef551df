/* Correlation engine core: copies correlation definitions, indexes the
 * rule names they reference, keeps one window per (correlation, group key)
 * with running aggregates, evaluates the condition on every update and
 * reports firings (feeding them back as hits for chained correlations).
 * Semantics are listed in include/vigil/correlate.h and argued in
 * docs/internals/correlation.md. Part of src/detect/correlate. */
#include "internal.h"
#include <math.h>

static const char *const type_names[VG_CORR_NTYPES] = {
    "event_count", "value_count", "temporal", "temporal_ordered", "value_sum", "value_avg", "value_percentile"};

const char *vg_corr_type_name(enum vg_corr_type t)
{
    return (unsigned)t < VG_CORR_NTYPES ? type_names[t] : "unknown";
}

int vg_corr_type_parse(const char *s)
{
    for (int i = 0; s && i < VG_CORR_NTYPES; i++)
        if (strcmp(s, type_names[i]) == 0) return i;
    return -1;
}

/* 64-bit FNV-1a with a final avalanche (values and keys are short). */
uint64_t vg__corr_hash(const void *p, size_t n, uint64_t seed)
{
    const unsigned char *s = p;
    uint64_t h = 0xcbf29ce484222325ULL ^ (seed * 0x9e3779b97f4a7c15ULL);
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 0x100000001b3ULL;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

static int64_t sat_sub(int64_t a, int64_t b)
{
    if (a == INT64_MIN) return INT64_MIN;
    return (b > 0 && a < INT64_MIN + b) ? INT64_MIN : a - b;
}

static bool is_temporal(enum vg_corr_type t) { return t == VG_CORR_TEMPORAL || t == VG_CORR_TEMPORAL_ORDERED; }
static bool needs_value(enum vg_corr_type t)
{
    return t == VG_CORR_VALUE_COUNT || t == VG_CORR_VALUE_SUM || t == VG_CORR_VALUE_AVG || t == VG_CORR_VALUE_PERCENTILE;
}

struct vg_corr *vg_corr_new(const struct vg_corr_opts *opts)
{
    struct vg_corr *c = vg_calloc(1, sizeof *c);
    if (!c) return NULL;
    if (opts) c->o = *opts;
    if (!c->o.max_keys) c->o.max_keys = 1000000;
    if (!c->o.max_per_key) c->o.max_per_key = 65536;
    if (c->o.max_per_key > (1u << 24)) c->o.max_per_key = 1u << 24;
    if (c->o.lateness_ns < 0) c->o.lateness_ns = 0;
    if (c->o.suppress_ns < 0) c->o.suppress_ns = 0;
    vg_arena_init(&c->ar, 16384);
    vg_arena_init(&c->scratch, 16384);
    c->watermark = INT64_MIN;
    c->fires = vg_calloc(VG_CORR_MAX_FIRES, sizeof *c->fires);
    c->nrefb = 256;
    c->refs = vg_calloc(c->nrefb, sizeof *c->refs);
    c->nkb = 1024;
    c->kb = vg_calloc(c->nkb, sizeof *c->kb);
    if (!c->fires || !c->refs || !c->kb) {
        vg_corr_free(c);
        return NULL;
    }
    return c;
}

static void key_free(struct vg_corr *c, struct vg__corr_key *k)
{
    const struct vg_corr_def *d = &c->defs[k->corr].d;
    c->st.bytes -= sizeof *k + k->klen + (uint64_t)k->cap * sizeof *k->e + (uint64_t)k->vtcap * sizeof *k->vt +
                   (k->rcount ? d->nrules * sizeof *k->rcount : 0);
    vg_free(k->e);
    vg_free(k->rcount);
    vg_free(k->vt);
    vg_free(k);
}

void vg__corr_clear(struct vg_corr *c)
{
    for (size_t i = 0; i < c->nkb; i++) {
        if (c->kb[i].k) key_free(c, c->kb[i].k);
        c->kb[i].k = NULL;
    }
    c->nkeys = 0;
    c->lru_head = c->lru_tail = NULL;
    c->st.keys = 0;
}

void vg_corr_free(struct vg_corr *c)
{
    if (!c) return;
    if (c->kb) vg__corr_clear(c);
    vg_free(c->kb);
    vg_free(c->refs);
    vg_free(c->fires);
    vg_free(c->defs);
    vg_arena_release(&c->ar);
    vg_arena_release(&c->scratch);
    vg_free(c);
}

size_t vg_corr_count(const struct vg_corr *c) { return c ? c->ndefs : 0; }

void vg_corr_stats(const struct vg_corr *c, struct vg_corr_stats *out)
{
    *out = c->st;
    out->keys = c->nkeys;
    out->table_bytes = (uint64_t)c->nkb * sizeof *c->kb;
    out->watermark = c->watermark;
}

/* ---- definitions ------------------------------------------------------ */

static const char *adup(struct vg_corr *c, const char *s)
{
    return s ? vg_arena_strndup(&c->ar, s, strlen(s)) : NULL;
}

static const char **adup_list(struct vg_corr *c, const char *const *v, size_t n, bool *ok)
{
    if (!n) return NULL;
    const char **a = vg_arena_alloc(&c->ar, n * sizeof *a);
    if (!a) { *ok = false; return NULL; }
    for (size_t i = 0; i < n; i++)
        if (!v[i] || !(a[i] = adup(c, v[i]))) *ok = false;
    return a;
}

static int add_ref(struct vg_corr *c, const char *name, uint32_t corr, uint32_t pos)
{
    if (c->nrefs >= c->nrefb) { /* grow x4 and rehash */
        size_t nb = c->nrefb * 4;
        struct vg__corr_ref **b = vg_calloc(nb, sizeof *b);
        if (!b) return VG_ENOMEM;
        for (size_t i = 0; i < c->nrefb; i++) {
            struct vg__corr_ref *r = c->refs[i], *nx;
            for (; r; r = nx) {
                nx = r->next;
                r->next = b[r->hash & (nb - 1)];
                b[r->hash & (nb - 1)] = r;
            }
        }
        vg_free(c->refs);
        c->refs = b;
        c->nrefb = nb;
    }
    struct vg__corr_ref *r = vg_arena_alloc(&c->ar, sizeof *r);
    if (!r) return VG_ENOMEM;
    r->name = name;
    r->hash = vg__corr_hash(name, strlen(name), 0);
    r->corr = corr;
    r->pos = pos;
    r->next = c->refs[r->hash & (c->nrefb - 1)];
    c->refs[r->hash & (c->nrefb - 1)] = r;
    c->nrefs++;
    return 0;
}

/* The field a rule's events carry for a group-by or value name: the
 * alias entry for that rule when the name is an alias, else the name. */
static const char *resolve_field(const struct vg_corr_def *d, const char *name, const char *rule)
{
    for (size_t a = 0; a < d->naliases; a++) {
        if (strcmp(d->aliases[a].name, name) != 0) continue;
        for (size_t j = 0; j < d->aliases[a].n; j++)
            if (strcmp(d->aliases[a].rules[j], rule) == 0) return d->aliases[a].fields[j];
    }
    return name;
}

int vg_corr_add(struct vg_corr *c, const struct vg_corr_def *def, struct vg_err *err)
{
    if (!c || !def) return vg_err_set(err, VG_EINVAL, "no correlation");
    if (c->fed) return vg_err_set(err, VG_ESTATE, "correlations must be added before the first hit");
    if ((unsigned)def->type >= VG_CORR_NTYPES) return vg_err_set(err, VG_EINVAL, "unknown correlation type");
    if (!def->nrules || !def->rules || def->nrules > VG_CORR_MAX_RULES)
        return vg_err_set(err, VG_EINVAL, "a correlation needs 1 to %d rules", VG_CORR_MAX_RULES);
    if (def->ngroup_by > VG_CORR_MAX_GROUP) return vg_err_set(err, VG_EINVAL, "more than %d group-by fields", VG_CORR_MAX_GROUP);
    if (def->timespan_ns <= 0) return vg_err_set(err, VG_EINVAL, "timespan must be positive");
    if (needs_value(def->type) && (!def->field || !*def->field))
        return vg_err_set(err, VG_EINVAL, "%s needs condition.field", vg_corr_type_name(def->type));
    if (!is_temporal(def->type) && !def->ncond)
        return vg_err_set(err, VG_EINVAL, "%s needs a condition", vg_corr_type_name(def->type));
    if (def->ncond > 4) return vg_err_set(err, VG_EINVAL, "more than 4 condition keys");
    for (size_t i = 0; i < def->ncond; i++)
        if ((unsigned)def->ops[i] > VG_CORR_NEQ) return vg_err_set(err, VG_EINVAL, "unknown condition operator");
    if (!def->id && !def->name && !def->title) return vg_err_set(err, VG_EINVAL, "a correlation needs an id, name or title");
    if (c->ndefs >= UINT32_MAX / 2) return vg_err_set(err, VG_ETOOBIG, "too many correlations");
    if (c->ndefs == c->capdefs) {
        size_t nc = c->capdefs ? c->capdefs * 2 : 16;
        struct vg__corr_def *n = vg_realloc(c->defs, nc * sizeof *n);
        if (!n) return vg_err_set(err, VG_ENOMEM, "out of memory");
        c->defs = n;
        c->capdefs = nc;
    }
    struct vg__corr_def *cd = &c->defs[c->ndefs];
    memset(cd, 0, sizeof *cd);
    bool ok = true;
    struct vg_corr_def *d = &cd->d;
    *d = *def;
    d->id = adup(c, def->id);
    d->name = adup(c, def->name);
    d->title = adup(c, def->title);
    d->field = adup(c, def->field);
    d->rules = adup_list(c, def->rules, def->nrules, &ok);
    d->group_by = adup_list(c, def->group_by, def->ngroup_by, &ok);
    struct vg_corr_alias *al = def->naliases ? vg_arena_alloc(&c->ar, def->naliases * sizeof *al) : NULL;
    if (def->naliases && !al) ok = false;
    for (size_t i = 0; ok && i < def->naliases; i++) {
        al[i].name = adup(c, def->aliases[i].name);
        al[i].n = def->aliases[i].n;
        al[i].rules = adup_list(c, def->aliases[i].rules, al[i].n, &ok);
        al[i].fields = adup_list(c, def->aliases[i].fields, al[i].n, &ok);
        if (!al[i].name) ok = false;
    }
    d->aliases = al;
    if (!ok) return vg_err_set(err, VG_ENOMEM, "out of memory (or NULL string in the definition)");
    cd->ident = d->id ? d->id : d->name ? d->name : d->title;
    size_t ng = d->ngroup_by ? d->ngroup_by : 1;
    cd->gfield = vg_arena_alloc(&c->ar, d->nrules * ng * sizeof *cd->gfield);
    cd->vfield = vg_arena_alloc(&c->ar, d->nrules * sizeof *cd->vfield);
    if (!cd->gfield || !cd->vfield) return vg_err_set(err, VG_ENOMEM, "out of memory");
    for (size_t r = 0; r < d->nrules; r++) {
        for (size_t g = 0; g < d->ngroup_by; g++) cd->gfield[r * ng + g] = resolve_field(d, d->group_by[g], d->rules[r]);
        cd->vfield[r] = d->field ? resolve_field(d, d->field, d->rules[r]) : NULL;
    }
    uint32_t idx = (uint32_t)c->ndefs;
    for (size_t r = 0; r < d->nrules; r++)
        if (add_ref(c, d->rules[r], idx, (uint32_t)r) != 0) return vg_err_set(err, VG_ENOMEM, "out of memory");
    c->ndefs++;
    return (int)idx;
}

bool vg_corr_references(const struct vg_corr *c, const char *rule_id, const char *rule_name)
{
    const char *names[2] = {rule_id, rule_name};
    for (int i = 0; i < 2; i++) {
        if (!names[i]) continue;
        uint64_t h = vg__corr_hash(names[i], strlen(names[i]), 0);
        for (const struct vg__corr_ref *r = c->refs[h & (c->nrefb - 1)]; r; r = r->next)
            if (r->hash == h && strcmp(r->name, names[i]) == 0) return true;
    }
    return false;
}

bool vg_corr_rule_generates(const struct vg_corr *c, const char *rule_id, const char *rule_name)
{
    bool found = false, gen = false;
    const char *names[2] = {rule_id, rule_name};
    for (int i = 0; i < 2; i++) {
        if (!names[i]) continue;
        uint64_t h = vg__corr_hash(names[i], strlen(names[i]), 0);
        for (const struct vg__corr_ref *r = c->refs[h & (c->nrefb - 1)]; r; r = r->next) {
            if (r->hash != h || strcmp(r->name, names[i]) != 0) continue;
            found = true;
            gen |= c->defs[r->corr].d.generate;
        }
    }
    return !found || gen;
}

/* ---- keys --------------------------------------------------------------- */

static void lru_unlink(struct vg_corr *c, struct vg__corr_key *k)
{
    if (k->lprev) k->lprev->lnext = k->lnext; else c->lru_head = k->lnext;
    if (k->lnext) k->lnext->lprev = k->lprev; else c->lru_tail = k->lprev;
    k->lprev = k->lnext = NULL;
}

static void lru_front(struct vg_corr *c, struct vg__corr_key *k)
{
    if (c->lru_head == k) return;
    if (k->lprev || k->lnext || c->lru_tail == k) lru_unlink(c, k);
    k->lnext = c->lru_head;
    if (c->lru_head) c->lru_head->lprev = k;
    c->lru_head = k;
    if (!c->lru_tail) c->lru_tail = k;
}

void vg__corr_key_drop(struct vg_corr *c, struct vg__corr_key *k)
{
    size_t m = c->nkb - 1, i = (size_t)k->hash & m;
    while (c->kb[i].k && c->kb[i].k != k) i = (i + 1) & m;
    if (c->kb[i].k) { /* backward-shift deletion keeps probe runs intact */
        size_t j = i;
        for (;;) {
            j = (j + 1) & m;
            if (!c->kb[j].k) break;
            size_t h = (size_t)c->kb[j].hash & m;
            bool move = (i <= j) ? (h <= i || h > j) : (h <= i && h > j);
            if (move) {
                c->kb[i] = c->kb[j];
                i = j;
            }
        }
        c->kb[i].k = NULL;
    }
    lru_unlink(c, k);
    key_free(c, k);
    c->nkeys--;
}

static int grow_keys(struct vg_corr *c)
{
    size_t nb = c->nkb * 2, m = nb - 1;
    struct vg__corr_kslot *b = vg_calloc(nb, sizeof *b);
    if (!b) return VG_ENOMEM;
    for (size_t i = 0; i < c->nkb; i++) {
        if (!c->kb[i].k) continue;
        size_t j = (size_t)c->kb[i].hash & m;
        while (b[j].k) j = (j + 1) & m;
        b[j] = c->kb[i];
    }
    vg_free(c->kb);
    c->kb = b;
    c->nkb = nb;
    return 0;
}

struct vg__corr_key *vg__corr_key_get(struct vg_corr *c, uint32_t corr, const char *kb, size_t klen, bool create)
{
    uint64_t h = vg__corr_hash(kb, klen, (uint64_t)corr + 1);
    size_t m = c->nkb - 1, i = (size_t)h & m;
    for (; c->kb[i].k; i = (i + 1) & m) {
        const struct vg__corr_key *k = c->kb[i].k;
        if (c->kb[i].hash == h && k->corr == corr && k->klen == klen && memcmp(k->k, kb, klen) == 0) return c->kb[i].k;
    }
    if (!create) return NULL;
    while (c->nkeys >= c->o.max_keys && c->lru_tail) {
        vg__corr_key_drop(c, c->lru_tail);
        c->st.evicted++;
    }
    if ((c->nkeys + 1) * 2 > c->nkb) {
        if (grow_keys(c) != 0) return NULL;
    }
    m = c->nkb - 1;
    for (i = (size_t)h & m; c->kb[i].k; i = (i + 1) & m) {}
    struct vg__corr_key *k = vg_calloc(1, sizeof *k + klen + 1);
    if (!k) return NULL;
    const struct vg_corr_def *d = &c->defs[corr].d;
    if (is_temporal(d->type)) {
        k->rcount = vg_calloc(d->nrules, sizeof *k->rcount);
        if (!k->rcount) {
            vg_free(k);
            return NULL;
        }
    }
    memcpy(k->k, kb, klen);
    k->klen = (uint32_t)klen;
    k->corr = corr;
    k->hash = h;
    k->newest = INT64_MIN;
    k->suppress_until = INT64_MIN;
    c->kb[i].hash = h;
    c->kb[i].k = k;
    lru_front(c, k);
    c->nkeys++;
    c->st.bytes += sizeof *k + klen + (k->rcount ? d->nrules * sizeof *k->rcount : 0);
    return k;
}

/* ---- distinct values ----------------------------------------------------- */

static int vt_add(struct vg_corr *c, struct vg__corr_key *k, uint64_t vh)
{
    if ((k->distinct + 1) * 2 > k->vtcap) {
        uint32_t nc = k->vtcap ? k->vtcap * 2 : 8;
        struct vg__corr_vslot *n = vg_calloc(nc, sizeof *n);
        if (!n) return VG_ENOMEM;
        for (uint32_t i = 0; i < k->vtcap; i++) {
            if (!k->vt[i].cnt) continue;
            uint32_t j = (uint32_t)k->vt[i].vh & (nc - 1);
            while (n[j].cnt) j = (j + 1) & (nc - 1);
            n[j] = k->vt[i];
        }
        vg_free(k->vt);
        c->st.bytes += (uint64_t)(nc - k->vtcap) * sizeof *n;
        k->vt = n;
        k->vtcap = nc;
    }
    uint32_t m = k->vtcap - 1, j = (uint32_t)vh & m;
    while (k->vt[j].cnt && k->vt[j].vh != vh) j = (j + 1) & m;
    if (!k->vt[j].cnt) {
        k->vt[j].vh = vh;
        k->distinct++;
    }
    k->vt[j].cnt++;
    return 0;
}

static void vt_del(struct vg__corr_key *k, uint64_t vh)
{
    if (!k->vtcap) return;
    uint32_t m = k->vtcap - 1, i = (uint32_t)vh & m;
    while (k->vt[i].cnt && k->vt[i].vh != vh) i = (i + 1) & m;
    if (!k->vt[i].cnt) return;
    if (--k->vt[i].cnt) return;
    k->distinct--;
    /* backward-shift deletion keeps probe chains intact */
    uint32_t j = i;
    for (;;) {
        j = (j + 1) & m;
        if (!k->vt[j].cnt) break;
        uint32_t h = (uint32_t)k->vt[j].vh & m;
        bool move = (i <= j) ? (h <= i || h > j) : (h <= i && h > j);
        if (move) {
            k->vt[i] = k->vt[j];
            i = j;
        }
    }
    k->vt[i].cnt = 0;
}

/* ---- windows --------------------------------------------------------------- */

static int agg_add(struct vg_corr *c, struct vg__corr_key *k, const struct vg__corr_ent *en)
{
    enum vg_corr_type t = c->defs[k->corr].d.type;
    if (t == VG_CORR_VALUE_COUNT && vt_add(c, k, en->vh) != 0) return VG_ENOMEM;
    if (t == VG_CORR_VALUE_SUM || t == VG_CORR_VALUE_AVG) k->sum += en->num;
    if (k->rcount && k->rcount[en->rule]++ == 0) k->nrules_seen++;
    return 0;
}

static void agg_del(struct vg_corr *c, struct vg__corr_key *k, const struct vg__corr_ent *en)
{
    enum vg_corr_type t = c->defs[k->corr].d.type;
    if (t == VG_CORR_VALUE_COUNT) vt_del(k, en->vh);
    if (t == VG_CORR_VALUE_SUM || t == VG_CORR_VALUE_AVG) k->sum -= en->num;
    if (k->rcount && --k->rcount[en->rule] == 0) k->nrules_seen--;
}

static void pop_front(struct vg_corr *c, struct vg__corr_key *k)
{
    agg_del(c, k, &k->e[k->head]);
    k->head++;
    k->n--;
    if (!k->n) {
        k->head = 0;
        k->sum = 0; /* no drift carried over an empty window */
    }
}

static void key_reset(struct vg_corr *c, struct vg__corr_key *k)
{
    while (k->n) pop_front(c, k);
}

int vg__corr_insert(struct vg_corr *c, struct vg__corr_key *k, const struct vg__corr_ent *en)
{
    const struct vg_corr_def *d = &c->defs[k->corr].d;
    if (k->newest != INT64_MIN && en->ts < sat_sub(k->newest, d->timespan_ns)) return 0;
    if (k->n >= c->o.max_per_key) {
        pop_front(c, k);
        c->st.truncated++;
    }
    if (k->head + k->n == k->cap) {
        if (k->head > 0) {
            memmove(k->e, k->e + k->head, (size_t)k->n * sizeof *k->e);
            k->head = 0;
        } else {
            uint32_t nc = k->cap ? k->cap * 2 : 2;
            if (nc > c->o.max_per_key) nc = (uint32_t)c->o.max_per_key;
            if (nc <= k->cap) nc = k->cap + 1;
            struct vg__corr_ent *n = vg_realloc(k->e, (size_t)nc * sizeof *n);
            if (!n) return VG_ENOMEM;
            c->st.bytes += (uint64_t)(nc - k->cap) * sizeof *n;
            k->e = n;
            k->cap = nc;
        }
    }
    if (agg_add(c, k, en) != 0) return VG_ENOMEM;
    struct vg__corr_ent *w = k->e + k->head;
    uint32_t pos = k->n;
    if (k->n && en->ts < w[k->n - 1].ts) { /* upper bound: after equal times */
        uint32_t lo = 0, hi = k->n;
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (w[mid].ts <= en->ts) lo = mid + 1; else hi = mid;
        }
        pos = lo;
        memmove(w + pos + 1, w + pos, (size_t)(k->n - pos) * sizeof *w);
    }
    w[pos] = *en;
    k->n++;
    if (en->ts > k->newest) vg__corr_set_newest(c, k, en->ts);
    return 1;
}

void vg__corr_set_newest(struct vg_corr *c, struct vg__corr_key *k, int64_t newest)
{
    if (newest <= k->newest) return;
    k->newest = newest;
    int64_t lo = sat_sub(k->newest, c->defs[k->corr].d.timespan_ns);
    while (k->n && k->e[k->head].ts < lo) pop_front(c, k);
}

/* ---- evaluation -------------------------------------------------------------- */

static double key_value(struct vg_corr *c, const struct vg__corr_key *k, const struct vg__corr_ent *cur)
{
    const struct vg_corr_def *d = &c->defs[k->corr].d;
    const struct vg__corr_ent *w = k->e + k->head;
    switch (d->type) {
    case VG_CORR_EVENT_COUNT: return k->n;
    case VG_CORR_VALUE_COUNT: return k->distinct;
    case VG_CORR_TEMPORAL: return k->nrules_seen;
    case VG_CORR_TEMPORAL_ORDERED: {
        uint32_t want = 0; /* greedy earliest match of rules[0], rules[1], ... in time order */
        for (uint32_t i = 0; i < k->n && want < d->nrules; i++)
            if (w[i].rule == want) want++;
        return want;
    }
    case VG_CORR_VALUE_SUM: return k->sum;
    case VG_CORR_VALUE_AVG: return k->n ? k->sum / k->n : 0;
    case VG_CORR_VALUE_PERCENTILE: {
        /* percentile rank of the current value: numbers: share of values <= it;
         * text: share of values equal to it (rarity), in percent */
        uint32_t le = 0;
        bool num = !isnan(cur->num);
        for (uint32_t i = 0; i < k->n; i++) {
            if (num ? (!isnan(w[i].num) && w[i].num <= cur->num) : w[i].vh == cur->vh) le++;
        }
        return k->n ? 100.0 * le / k->n : 0;
    }
    default: return 0;
    }
}

static bool cond_ok(const struct vg_corr_def *d, double v)
{
    if (!d->ncond) return v >= (double)d->nrules; /* temporal default: all rules */
    for (size_t i = 0; i < d->ncond; i++) {
        double x = (double)d->values[i];
        bool ok;
        switch (d->ops[i]) {
        case VG_CORR_GT: ok = v > x; break;
        case VG_CORR_GTE: ok = v >= x; break;
        case VG_CORR_LT: ok = v < x; break;
        case VG_CORR_LTE: ok = v <= x; break;
        case VG_CORR_EQ: ok = v == x; break;
        default: ok = v != x; break;
        }
        if (!ok) return false;
    }
    return true;
}

/* ---- feeding -------------------------------------------------------------------- */

static int lookup(const struct vg_corr_hit *h, const char *name, const char **v, size_t *n)
{
    if (h->get) return h->get(h->ud, name, v, n);
    for (size_t i = 0; i < h->nfields; i++) {
        if (h->fields[i].name && strcmp(h->fields[i].name, name) == 0) {
            *v = h->fields[i].value ? h->fields[i].value : "";
            *n = h->fields[i].value ? h->fields[i].len : 0;
            return 0;
        }
    }
    return -1;
}

static double parse_num(const char *v, size_t n)
{
    char buf[64];
    if (!n || n >= sizeof buf) return NAN;
    memcpy(buf, v, n);
    buf[n] = 0;
    char *end = NULL;
    double x = strtod(buf, &end);
    if (end != buf + n || !isfinite(x)) return NAN;
    return x;
}

static int update(struct vg_corr *c, uint32_t corr, uint32_t pos, const struct vg_corr_hit *hit, uint32_t depth)
{
    struct vg__corr_def *cd = &c->defs[corr];
    const struct vg_corr_def *d = &cd->d;
    char kb[VG_CORR_MAX_KEY];
    size_t kl = 0;
    size_t ng = d->ngroup_by ? d->ngroup_by : 1;
    for (size_t g = 0; g < d->ngroup_by; g++) {
        const char *v = "";
        size_t n = 0;
        if (lookup(hit, cd->gfield[pos * ng + g], &v, &n) != 0) { v = ""; n = 0; } /* missing: empty value */
        if (g && kl < sizeof kb) kb[kl++] = 0x1f;
        if (n > sizeof kb - kl) n = sizeof kb - kl;
        memcpy(kb + kl, v, n);
        kl += n;
    }
    struct vg__corr_ent en = {.ts = hit->ts, .vh = 0, .num = NAN, .rule = pos, .pad = 0};
    if (needs_value(d->type)) {
        const char *v;
        size_t n;
        if (lookup(hit, cd->vfield[pos], &v, &n) != 0) {
            c->st.missing_field++;
            return 0;
        }
        en.vh = vg__corr_hash(v, n, 7);
        en.num = parse_num(v, n);
        if ((d->type == VG_CORR_VALUE_SUM || d->type == VG_CORR_VALUE_AVG) && isnan(en.num)) {
            c->st.missing_field++;
            return 0;
        }
    }
    struct vg__corr_key *k = vg__corr_key_get(c, corr, kb, kl, true);
    if (!k) return VG_ENOMEM;
    lru_front(c, k);
    c->st.updates++;
    int rc = vg__corr_insert(c, k, &en);
    if (rc < 0) return rc;
    if (rc == 0) {
        c->st.outside_window++;
        return 0;
    }
    double v = key_value(c, k, &en);
    if (!cond_ok(d, v)) return 0;
    if (k->suppress_until != INT64_MIN && hit->ts < k->suppress_until) {
        c->st.suppressed++;
        return 0;
    }
    c->st.fires++;
    if (c->nfires < VG_CORR_MAX_FIRES) {
        char *kc = vg_arena_strndup(&c->scratch, kb, kl);
        if (!kc) return VG_ENOMEM;
        struct vg_corr_fire *f = &c->fires[c->nfires++];
        f->corr = corr;
        f->def = d;
        f->key = kc;
        f->key_len = kl;
        f->ts = hit->ts;
        f->first_ts = k->n ? k->e[k->head].ts : hit->ts;
        f->value = v;
        f->hits = k->n;
        f->depth = depth;
    } else {
        c->st.chain_cut++; /* more fires than one call reports */
    }
    key_reset(c, k);
    k->suppress_until = c->o.suppress_ns ? hit->ts + c->o.suppress_ns : INT64_MIN;
    return 0;
}

static int feed_one(struct vg_corr *c, const struct vg_corr_hit *hit, uint32_t depth)
{
    const char *names[2] = {hit->rule_id, hit->rule_name};
    /* one update per (correlation, position), even when a correlation
     * lists both a rule's id and its name */
    uint32_t seen[8];
    size_t nseen = 0;
    for (int i = 0; i < 2; i++) {
        if (!names[i] || (i == 1 && hit->rule_id && strcmp(hit->rule_id, names[1]) == 0)) continue;
        uint64_t h = vg__corr_hash(names[i], strlen(names[i]), 0);
        for (const struct vg__corr_ref *r = c->refs[h & (c->nrefb - 1)]; r; r = r->next) {
            if (r->hash != h || strcmp(r->name, names[i]) != 0) continue;
            if (i == 1 && hit->rule_id) { /* skip if this correlation also named the id */
                bool dup = false;
                for (size_t s = 0; s < nseen; s++) dup |= seen[s] == r->corr;
                if (!dup && nseen == VG_ARRAY_LEN(seen)) {
                    const struct vg_corr_def *d = &c->defs[r->corr].d;
                    for (size_t p = 0; p < d->nrules; p++) dup |= strcmp(d->rules[p], hit->rule_id) == 0;
                }
                if (dup) continue;
            } else if (i == 0 && nseen < VG_ARRAY_LEN(seen)) {
                seen[nseen++] = r->corr;
            }
            int rc = update(c, r->corr, r->pos, hit, depth);
            if (rc < 0) return rc;
        }
    }
    return 0;
}

static bool key_expired(const struct vg_corr *c, const struct vg__corr_key *k, int64_t lim)
{
    const struct vg_corr_def *d = &c->defs[k->corr].d;
    if (k->suppress_until != INT64_MIN && k->suppress_until >= lim) return false;
    return k->newest == INT64_MIN || k->newest < sat_sub(lim, d->timespan_ns);
}

size_t vg_corr_expire(struct vg_corr *c, int64_t now)
{
    int64_t lim = sat_sub(now ? now : c->watermark, c->o.lateness_ns);
    if (lim == INT64_MIN) return 0;
    size_t n = 0;
    for (struct vg__corr_key *k = c->lru_head, *nx; k; k = nx) {
        nx = k->lnext;
        if (key_expired(c, k, lim)) {
            vg__corr_key_drop(c, k);
            n++;
        }
    }
    c->st.expired += n;
    c->since_sweep = 0;
    return n;
}

int vg_corr_feed(struct vg_corr *c, const struct vg_corr_hit *hit, const struct vg_corr_fire **fires)
{
    *fires = c->fires;
    c->nfires = 0;
    vg_arena_reset(&c->scratch);
    c->fed = true;
    c->st.hits++;
    if (c->o.max_future_ns > 0 && hit->ts > vg_now_ns() + c->o.max_future_ns) {
        c->st.future_dropped++;
        return 0;
    }
    if (c->watermark != INT64_MIN && hit->ts < sat_sub(c->watermark, c->o.lateness_ns)) {
        c->st.late_dropped++;
        return 0;
    }
    if (hit->ts < c->watermark) c->st.reordered++;
    else c->watermark = hit->ts;
    int rc = feed_one(c, hit, 0);
    /* chained correlations: each firing is a hit of the correlation */
    for (size_t i = 0; rc == 0 && i < c->nfires; i++) {
        struct vg_corr_fire f = c->fires[i];
        if (f.depth + 1 > VG_CORR_MAX_CHAIN) {
            c->st.chain_cut++;
            continue;
        }
        const struct vg_corr_def *d = f.def;
        struct vg_corr_kv kv[VG_CORR_MAX_GROUP];
        const char *p = f.key, *end = f.key + f.key_len;
        for (size_t g = 0; g < d->ngroup_by; g++) {
            const char *q = memchr(p, 0x1f, (size_t)(end - p));
            if (!q || g + 1 == d->ngroup_by) q = end;
            kv[g].name = d->group_by[g];
            kv[g].value = p;
            kv[g].len = (size_t)(q - p);
            p = q < end ? q + 1 : end;
        }
        struct vg_corr_hit ch = {.rule_id = d->id, .rule_name = d->name ? d->name : (d->id ? NULL : d->title),
                                 .ts = f.ts, .fields = kv, .nfields = d->ngroup_by, .get = NULL, .ud = NULL};
        rc = feed_one(c, &ch, f.depth + 1);
    }
    /* incremental expiry at the cold end, and a full sweep now and then */
    int64_t lim = sat_sub(c->watermark, c->o.lateness_ns);
    for (int i = 0; i < 2 && c->lru_tail && lim != INT64_MIN; i++) {
        if (!key_expired(c, c->lru_tail, lim)) break;
        vg__corr_key_drop(c, c->lru_tail);
        c->st.expired++;
    }
    if (++c->since_sweep >= 65536) vg_corr_expire(c, 0);
    if (rc < 0) return rc;
    return (int)c->nfires;
}
