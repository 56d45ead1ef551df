/* Correlation engine benchmark: 1,000 correlation rules of every type
 * (group-by users, hosts, source IPs), fed N base-rule hits on one core.
 * Prints hits/s, correlation updates/s, live keys, and state memory per
 * tracked key. Baseline in the same run: a naive implementation that keeps
 * every hit of a correlation in one list and rescans the window for each
 * hit (same semantics: inclusive window, reset after a firing); it runs on
 * a prefix of the same hits, and its fire count must equal the engine's on
 * that prefix (the run fails otherwise).
 *   bench_correlate [hits=300000] [baseline_hits=30000] [rules=1000] */
#include "vigil/correlate.h"
#include <math.h>

#define NBASE 100      /* base rules r0..r99 */
#define NUSERS 2000
#define NHOSTS 500
#define NIPS 10000
#define NIMAGES 64
#define STEP_NS 10000000LL /* 10 ms between hits: 100 hits/s of event time */

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

struct gen_hit {
    uint16_t rule, user, host, image;
    uint32_t ip, bytes;
};

static char users[NUSERS][16], hosts[NHOSTS][16], ips[NIPS][16], images[NIMAGES][32], rnames[NBASE][8];

static void fill_kv(const struct gen_hit *g, struct vg_corr_kv kv[5], char *bytes)
{
    snprintf(bytes, 16, "%u", g->bytes);
    kv[0] = (struct vg_corr_kv){"User", users[g->user], strlen(users[g->user])};
    kv[1] = (struct vg_corr_kv){"Host", hosts[g->host], strlen(hosts[g->host])};
    kv[2] = (struct vg_corr_kv){"SourceIP", ips[g->ip], strlen(ips[g->ip])};
    kv[3] = (struct vg_corr_kv){"Image", images[g->image], strlen(images[g->image])};
    kv[4] = (struct vg_corr_kv){"bytes", bytes, strlen(bytes)};
}

/* ---- naive baseline ------------------------------------------------------ */
struct nent {
    int64_t ts;
    char key[64];
    uint32_t rule;
    double num;
    char val[32];
    bool alive;
};
struct nlist {
    struct nent *e;
    size_t n, cap, head;
};

static const char *kv_get(const struct vg_corr_kv *kv, const char *name, size_t *len)
{
    *len = 0;
    for (int i = 0; i < 5; i++)
        if (strcmp(kv[i].name, name) == 0) { *len = kv[i].len; return kv[i].value; }
    return "";
}

static bool cond(const struct vg_corr_def *d, double v)
{
    if (!d->ncond) return v >= (double)d->nrules;
    for (size_t i = 0; i < d->ncond; i++) {
        double x = (double)d->values[i];
        bool ok = d->ops[i] == VG_CORR_GT ? v > x : d->ops[i] == VG_CORR_GTE ? v >= x : d->ops[i] == VG_CORR_LT ? v < x
                : d->ops[i] == VG_CORR_LTE ? v <= x : d->ops[i] == VG_CORR_EQ ? v == x : v != x;
        if (!ok) return false;
    }
    return true;
}

static uint64_t naive_update(const struct vg_corr_def *d, struct nlist *L, uint32_t pos, int64_t ts, const struct vg_corr_kv *kv)
{
    char key[64] = "";
    size_t kl = 0;
    for (size_t g = 0; g < d->ngroup_by; g++) {
        size_t n = 0;
        const char *v = kv_get(kv, d->group_by[g], &n);
        kl += (size_t)snprintf(key + kl, sizeof key - kl, "%s%.*s", g ? "|" : "", (int)n, v);
    }
    struct nent ne = {.ts = ts, .rule = pos, .num = NAN, .alive = true};
    snprintf(ne.key, sizeof ne.key, "%s", key);
    if (d->field) {
        size_t n = 0;
        const char *v = kv_get(kv, d->field, &n);
        snprintf(ne.val, sizeof ne.val, "%.*s", (int)n, v);
        char *end;
        ne.num = strtod(ne.val, &end);
        if (*end) ne.num = NAN;
    }
    while (L->head < L->n && L->e[L->head].ts < ts - d->timespan_ns) L->head++;
    if (L->n == L->cap) {
        if (L->head) {
            memmove(L->e, L->e + L->head, (L->n - L->head) * sizeof *L->e);
            L->n -= L->head;
            L->head = 0;
        } else {
            L->cap = L->cap ? L->cap * 2 : 64;
            L->e = vg_realloc(L->e, L->cap * sizeof *L->e);
        }
    }
    L->e[L->n++] = ne;
    /* rescan the window for this key */
    double cnt = 0, sum = 0, same = 0, le = 0, distinct = 0;
    uint32_t want = 0, seen = 0;
    for (size_t i = L->head; i < L->n; i++) {
        struct nent *e = &L->e[i];
        if (!e->alive || strcmp(e->key, ne.key) != 0) continue;
        cnt++;
        sum += e->num;
        if (d->type == VG_CORR_VALUE_COUNT) {
            bool dup = false;
            for (size_t j = L->head; j < i && !dup; j++)
                dup = L->e[j].alive && strcmp(L->e[j].key, ne.key) == 0 && strcmp(L->e[j].val, e->val) == 0;
            if (!dup) distinct++;
        }
        if (d->type == VG_CORR_VALUE_PERCENTILE) {
            if (isnan(ne.num)) same += strcmp(e->val, ne.val) == 0;
            else le += !isnan(e->num) && e->num <= ne.num;
        }
        if (want < d->nrules && e->rule == want) want++;
        seen |= 1u << e->rule;
    }
    double v = 0;
    switch (d->type) {
    case VG_CORR_EVENT_COUNT: v = cnt; break;
    case VG_CORR_VALUE_COUNT: v = distinct; break;
    case VG_CORR_TEMPORAL: v = __builtin_popcount(seen); break;
    case VG_CORR_TEMPORAL_ORDERED: v = want; break;
    case VG_CORR_VALUE_SUM: v = sum; break;
    case VG_CORR_VALUE_AVG: v = sum / cnt; break;
    default: v = 100.0 * (isnan(ne.num) ? same : le) / cnt; break;
    }
    if (!cond(d, v)) return 0;
    for (size_t i = L->head; i < L->n; i++)
        if (L->e[i].alive && strcmp(L->e[i].key, ne.key) == 0) L->e[i].alive = false;
    return 1;
}

/* ---- rules ------------------------------------------------------------------ */
struct rdef {
    struct vg_corr_def d;
    const char *rules[3];
    char id[24];
};

static void make_rules(struct rdef *r, size_t n)
{
    static const char *const g_user[] = {"User"}, *const g_host[] = {"Host"}, *const g_ip[] = {"SourceIP"},
                             *const g_hu[] = {"Host", "User"};
    static const char *const *gbs[] = {g_user, g_host, g_ip, g_hu};
    static const size_t ngb[] = {1, 1, 1, 2};
    for (size_t i = 0; i < n; i++) {
        struct vg_corr_def *d = &r[i].d;
        memset(d, 0, sizeof *d);
        snprintf(r[i].id, sizeof r[i].id, "corr%zu", i);
        d->id = r[i].id;
        unsigned pick = (unsigned)(next() % 100);
        d->type = pick < 40 ? VG_CORR_EVENT_COUNT : pick < 60 ? VG_CORR_VALUE_COUNT : pick < 70 ? VG_CORR_TEMPORAL
                : pick < 80 ? VG_CORR_TEMPORAL_ORDERED : pick < 90 ? VG_CORR_VALUE_SUM : pick < 95 ? VG_CORR_VALUE_AVG
                : VG_CORR_VALUE_PERCENTILE;
        bool temporal = d->type == VG_CORR_TEMPORAL || d->type == VG_CORR_TEMPORAL_ORDERED;
        d->nrules = temporal ? 2 + next() % 2 : 1 + next() % 2;
        for (size_t k = 0; k < d->nrules; k++) r[i].rules[k] = rnames[(i * 7 + k * 13) % NBASE];
        d->rules = r[i].rules;
        int g = (int)(next() % 4);
        d->group_by = gbs[g];
        d->ngroup_by = ngb[g];
        static const int64_t spans[] = {60, 300, 900, 3600};
        d->timespan_ns = spans[next() % 4] * 1000000000LL;
        d->ncond = temporal ? 0 : 1;
        d->ops[0] = VG_CORR_GTE;
        switch (d->type) {
        case VG_CORR_EVENT_COUNT: d->values[0] = 3 + (int64_t)(next() % 8); break;
        case VG_CORR_VALUE_COUNT: d->field = g == 2 ? "User" : "SourceIP"; d->values[0] = 3 + (int64_t)(next() % 4); break;
        case VG_CORR_VALUE_SUM: d->field = "bytes"; d->values[0] = 200000; d->ops[0] = VG_CORR_GT; break;
        case VG_CORR_VALUE_AVG: d->field = "bytes"; d->values[0] = 90000; d->ops[0] = VG_CORR_GT; break;
        case VG_CORR_VALUE_PERCENTILE: d->field = "Image"; d->values[0] = 2; d->ops[0] = VG_CORR_LTE; break;
        default: break;
        }
    }
}

static void gen_hits(struct gen_hit *h, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t r = next();
        /* skewed: a tenth of users/hosts produce half the hits */
        h[i].rule = (uint16_t)(r % NBASE);
        h[i].user = (uint16_t)((r >> 8) & 1 ? (r >> 16) % (NUSERS / 10) : (r >> 16) % NUSERS);
        h[i].host = (uint16_t)((r >> 9) & 1 ? (r >> 28) % (NHOSTS / 10) : (r >> 28) % NHOSTS);
        h[i].ip = (uint32_t)((r >> 40) % NIPS);
        h[i].image = (uint16_t)((r >> 10) & 7 ? (r >> 52) % 8 : (r >> 52) % NIMAGES);
        h[i].bytes = (uint32_t)(next() % 100000);
    }
}

int main(int argc, char **argv)
{
    size_t nhits = argc > 1 ? strtoul(argv[1], NULL, 10) : 300000;
    size_t nbase = argc > 2 ? strtoul(argv[2], NULL, 10) : 30000;
    size_t nrules = argc > 3 ? strtoul(argv[3], NULL, 10) : 1000;
    if (nbase > nhits) nbase = nhits;
    for (int i = 0; i < NUSERS; i++) snprintf(users[i], sizeof users[i], "user%04d", i);
    for (int i = 0; i < NHOSTS; i++) snprintf(hosts[i], sizeof hosts[i], "host-%03d", i);
    for (int i = 0; i < NIPS; i++) snprintf(ips[i], sizeof ips[i], "10.%d.%d.%d", i >> 16, (i >> 8) & 255, i & 255);
    for (int i = 0; i < NIMAGES; i++) snprintf(images[i], sizeof images[i], "C:\\bin\\tool%02d.exe", i);
    for (int i = 0; i < NBASE; i++) snprintf(rnames[i], sizeof rnames[i], "r%d", i);
    struct rdef *rd = vg_calloc(nrules, sizeof *rd);
    struct gen_hit *hits = vg_malloc(nhits * sizeof *hits);
    make_rules(rd, nrules);
    gen_hits(hits, nhits);
    int64_t t0 = 1700000000LL * 1000000000LL;

    struct vg_corr_opts o = {.max_keys = 4000000};
    struct vg_corr *c = vg_corr_new(&o);
    for (size_t i = 0; i < nrules; i++) {
        struct vg_err err = VG_ERR_INIT;
        if (vg_corr_add(c, &rd[i].d, &err) < 0) { fprintf(stderr, "add: %s\n", err.msg); return 1; }
    }
    /* engine: full run, with the fire count at the baseline prefix */
    uint64_t fires = 0, fires_prefix = 0;
    struct vg_corr_kv kv[5];
    char bytes[16];
    int64_t s = vg_mono_ns();
    for (size_t i = 0; i < nhits; i++) {
        fill_kv(&hits[i], kv, bytes);
        struct vg_corr_hit h = {.rule_id = rnames[hits[i].rule], .ts = t0 + (int64_t)i * STEP_NS, .fields = kv, .nfields = 5};
        const struct vg_corr_fire *f;
        int n = vg_corr_feed(c, &h, &f);
        if (n < 0) { fprintf(stderr, "feed failed\n"); return 1; }
        fires += (uint64_t)n;
        if (i + 1 == nbase) fires_prefix = fires;
    }
    double secs = (double)(vg_mono_ns() - s) / 1e9;
    struct vg_corr_stats st;
    vg_corr_stats(c, &st);
    printf("correlation rules: %zu (every type), base rules: %d, hits: %zu (event time %.0f s)\n", nrules, NBASE, nhits,
           (double)nhits * STEP_NS / 1e9);
    printf("engine:   %.0f hits/s, %.0f correlation updates/s, %llu fires, %.2f s\n", (double)nhits / secs,
           (double)st.updates / secs, (unsigned long long)fires, secs);
    printf("state:    %llu live keys, %llu bytes in keys+windows + %llu table: %.0f bytes per tracked key "
           "(%.0f with the table), %llu expired, %llu evicted\n",
           (unsigned long long)st.keys, (unsigned long long)st.bytes, (unsigned long long)st.table_bytes,
           st.keys ? (double)st.bytes / (double)st.keys : 0,
           st.keys ? (double)(st.bytes + st.table_bytes) / (double)st.keys : 0, (unsigned long long)st.expired,
           (unsigned long long)st.evicted);
    struct vg_buf blob = VG_BUF_INIT;
    blob.cap_limit = (size_t)1 << 31; /* the caller chooses the cap (vg_buf default 64 MiB) */
    s = vg_mono_ns();
    vg_corr_save(c, &blob);
    double save_ms = (double)(vg_mono_ns() - s) / 1e6;
    struct vg_corr *c2 = vg_corr_new(&o);
    for (size_t i = 0; i < nrules; i++) vg_corr_add(c2, &rd[i].d, NULL);
    s = vg_mono_ns();
    int rrc = vg_corr_restore(c2, blob.data, blob.len, NULL);
    double restore_ms = (double)(vg_mono_ns() - s) / 1e6;
    printf("persist:  state blob %zu bytes, save %.1f ms, restore %.1f ms (rc %d)\n", blob.len, save_ms, restore_ms, rrc);
    vg_buf_release(&blob);
    vg_corr_free(c2);
    vg_corr_free(c);

    /* baseline: naive list + rescan, on the prefix */
    struct nlist *lists = vg_calloc(nrules, sizeof *lists);
    /* rule -> correlations index, as the engine has */
    uint64_t nf = 0, nupd = 0;
    s = vg_mono_ns();
    for (size_t i = 0; i < nbase; i++) {
        fill_kv(&hits[i], kv, bytes);
        const char *rn = rnames[hits[i].rule];
        for (size_t r = 0; r < nrules; r++) {
            const struct vg_corr_def *d = &rd[r].d;
            for (size_t p = 0; p < d->nrules; p++) {
                if (strcmp(d->rules[p], rn) != 0) continue;
                nf += naive_update(d, &lists[r], (uint32_t)p, t0 + (int64_t)i * STEP_NS, kv);
                nupd++;
            }
        }
    }
    double bsecs = (double)(vg_mono_ns() - s) / 1e9;
    /* the engine again on the prefix alone, for a like-for-like rate */
    c = vg_corr_new(&o);
    for (size_t i = 0; i < nrules; i++) vg_corr_add(c, &rd[i].d, NULL);
    s = vg_mono_ns();
    uint64_t ef = 0;
    for (size_t i = 0; i < nbase; i++) {
        fill_kv(&hits[i], kv, bytes);
        struct vg_corr_hit h = {.rule_id = rnames[hits[i].rule], .ts = t0 + (int64_t)i * STEP_NS, .fields = kv, .nfields = 5};
        const struct vg_corr_fire *f;
        ef += (uint64_t)vg_corr_feed(c, &h, &f);
    }
    double esecs = (double)(vg_mono_ns() - s) / 1e9;
    vg_corr_free(c);
    printf("prefix:   %zu hits, %llu updates\n", nbase, (unsigned long long)nupd);
    printf("baseline: naive list+rescan %.0f hits/s, %llu fires\n", (double)nbase / bsecs, (unsigned long long)nf);
    printf("engine:   same prefix %.0f hits/s, %llu fires\n", (double)nbase / esecs, (unsigned long long)ef);
    printf("ratio:    engine / naive = %.1fx\n", bsecs / esecs);
    for (size_t r = 0; r < nrules; r++) vg_free(lists[r].e);
    vg_free(lists);
    vg_free(hits);
    vg_free(rd);
    if (nf != ef || ef != fires_prefix) {
        fprintf(stderr, "MISMATCH: naive %llu fires, engine %llu (full-run prefix %llu)\n", (unsigned long long)nf,
                (unsigned long long)ef, (unsigned long long)fires_prefix);
        return 1;
    }
    return 0;
}
