/* Reload while matching: worker threads match generated events through a
 * vg_sigma_engine while another thread keeps compiling fresh rule sets
 * (alternating two variants) and swapping them in. Every event must be
 * processed exactly once, each with the hits its set's variant gives
 * (checked against precomputed naive results), and every replaced set must
 * be freed (ASan reports leaks and use-after-free; the logic is also
 * TSan-clean: see docs/internals/sigma.md). Plus reference-count basics. */
#include "common.h"
#include "gen_sysmon.h"
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#define NEV 3000
#define ROUNDS 8                          /* every event is matched once per round */
#define BATCH 16
#define WORKERS 3

static const char *const variant[2] = {
    "title: a1\nid: a1\nlogsource: {product: windows, category: process_creation}\n"
    "detection: {sel: {Image|endswith: ['\\cmd.exe', '\\powershell.exe']}, condition: sel}\n"
    "---\ntitle: a2\nid: a2\nlogsource: {product: windows, category: network_connection}\n"
    "detection: {sel: {DestinationPort: [4444, 1337]}, condition: sel}\n"
    "---\ntitle: a3\nid: a3\nlogsource: {product: windows, category: dns_query}\n"
    "detection: {sel: {QueryName|contains: ngrok}, condition: sel}\n",
    "title: b1\nid: b1\nlogsource: {product: windows, category: registry_set}\n"
    "detection: {sel: {TargetObject|contains: '\\CurrentVersion\\Run\\'}, condition: sel}\n"
    "---\ntitle: b2\nid: b2\nlogsource: {product: windows, category: process_creation}\n"
    "detection: {sel: {CommandLine|contains: ' /add'}, f: {User|startswith: 'NT AUTHORITY'}, condition: sel and not f}\n",
};

static char g_map[4096];
static struct vg_batch *g_events;
static int g_expect[2][NEV];             /* hits per event per variant */
static struct vg_sigma_engine *g_eng;
static atomic_uint g_next;                /* next batch to claim */
static atomic_int g_done[NEV];            /* times each event was processed */
static atomic_int g_wrong, g_errors, g_stop;
static atomic_uint g_swaps;

static struct vg_sigma_set *make_set(int v)
{
    struct vg_sigma_set *s = vg_sigma_set_new();
    struct vg_sigma_report rep = VG_SIGMA_REPORT_INIT;
    if (!s || vg_sigma_load_mappings(s, g_map, NULL) != 0 ||
        vg_sigma_load_string(s, variant[v], strlen(variant[v]), v ? "b.yml" : "a.yml", &rep) != 0 || rep.rejected ||
        vg_sigma_compile(s, NULL) != 0) {
        vg_sigma_report_release(&rep);
        vg_sigma_set_free(s);
        return NULL;
    }
    vg_sigma_report_release(&rep);
    return s;
}

static int which(const struct vg_sigma_set *s) { return vg_sigma_rule_at(s, 0)->id[0] == 'b'; }

static void *worker(void *arg)
{
    (void)arg;
    struct vg_sigma_set *cur = NULL;
    struct vg_sigma_ctx *ctx = NULL;
    uint64_t gen_seen = UINT64_MAX;
    for (;;) {
        unsigned b = atomic_fetch_add(&g_next, 1);
        if ((size_t)b * BATCH >= (size_t)NEV * ROUNDS) break;
        /* checkpoints: at every quarter, wait (bounded) for a swap, so swaps
         * certainly happen while the other workers are matching */
        unsigned nb = (unsigned)(((size_t)NEV * ROUNDS + BATCH - 1) / BATCH);
        if (b && b % (nb / 4) == 0) {
            unsigned seen = atomic_load(&g_swaps);
            int64_t t0 = vg_mono_ns();
            while (atomic_load(&g_swaps) == seen && vg_mono_ns() - t0 < 10000000000LL) sched_yield();
        }
        /* one reference per batch: pick up a new set when the engine swapped */
        uint64_t gen;
        struct vg_sigma_set *s = vg_sigma_engine_acquire(g_eng, &gen);
        if (!s) { atomic_fetch_add(&g_errors, 1); break; }
        if (gen != gen_seen || s != cur) {
            vg_sigma_ctx_free(ctx);
            vg_sigma_set_unref(cur);
            cur = s;
            ctx = vg_sigma_ctx_new(cur);
            gen_seen = gen;
            if (!ctx) { atomic_fetch_add(&g_errors, 1); break; }
        } else {
            vg_sigma_set_unref(s); /* already holding cur */
        }
        int v = which(cur);
        for (size_t j = (size_t)b * BATCH; j < (size_t)(b + 1) * BATCH && j < (size_t)NEV * ROUNDS; j++) {
            size_t i = j % NEV;
            const struct vg_sigma_hit *hits;
            int h = vg_sigma_match(ctx, &g_events->ev[i], &hits);
            if (h < 0) atomic_fetch_add(&g_errors, 1);
            else if (h != g_expect[v][i]) atomic_fetch_add(&g_wrong, 1);
            atomic_fetch_add(&g_done[i], 1);
        }
    }
    vg_sigma_ctx_free(ctx);
    vg_sigma_set_unref(cur);
    return NULL;
}

static void *swapper(void *arg)
{
    (void)arg;
    int v = 1;
    while (!atomic_load(&g_stop)) {
        struct vg_sigma_set *s = make_set(v);
        if (!s) { atomic_fetch_add(&g_errors, 1); break; }
        if (vg_sigma_engine_swap(g_eng, s) != 0) { vg_sigma_set_free(s); atomic_fetch_add(&g_errors, 1); break; }
        atomic_fetch_add(&g_swaps, 1);
        v ^= 1;
    }
    return NULL;
}

static void test_swap_while_matching(void **st)
{
    (void)st;
    snprintf(g_map, sizeof g_map, "%s/rules/mappings", src_dir());
    g_events = vg_batch_new(NEV);
    for (size_t i = 0; i < NEV; i++) assert_int_equal(vg_gen_sysmon_event(11, i, vg_batch_push(g_events)), 0);
    size_t total[2] = {0, 0};
    for (int v = 0; v < 2; v++) {
        struct vg_sigma_set *s = make_set(v);
        assert_non_null(s);
        struct vg_sigma_ctx *c = vg_sigma_ctx_new(s);
        for (size_t i = 0; i < NEV; i++) {
            const struct vg_sigma_hit *hits;
            g_expect[v][i] = vg_sigma_match_naive(c, &g_events->ev[i], &hits);
            assert_true(g_expect[v][i] >= 0);
            total[v] += (size_t)g_expect[v][i];
        }
        vg_sigma_ctx_free(c);
        vg_sigma_set_free(s);
    }
    printf("expected hits: variant a %zu, variant b %zu\n", total[0], total[1]);
    assert_true(total[0] > 0 && total[1] > 0 && total[0] != total[1]);

    g_eng = vg_sigma_engine_new(make_set(0));
    assert_non_null(g_eng);
    pthread_t w[WORKERS], sw;
    assert_int_equal(pthread_create(&sw, NULL, swapper, NULL), 0);
    while (atomic_load(&g_swaps) < 1 && !atomic_load(&g_errors)) sched_yield();
    unsigned before = atomic_load(&g_swaps);
    for (int i = 0; i < WORKERS; i++) assert_int_equal(pthread_create(&w[i], NULL, worker, NULL), 0);
    for (int i = 0; i < WORKERS; i++) pthread_join(w[i], NULL);
    unsigned during = atomic_load(&g_swaps) - before;
    atomic_store(&g_stop, 1);
    pthread_join(sw, NULL);
    vg_sigma_engine_free(g_eng);
    size_t once = 0;
    for (size_t i = 0; i < NEV; i++) once += atomic_load(&g_done[i]) == ROUNDS;
    printf("%u swaps while %d workers matched %d events x %d rounds: %zu processed exactly once per round, %d wrong, %d errors\n",
           during, WORKERS, NEV, ROUNDS, once, atomic_load(&g_wrong), atomic_load(&g_errors));
    assert_int_equal(once, NEV);
    assert_int_equal(atomic_load(&g_wrong), 0);
    assert_int_equal(atomic_load(&g_errors), 0);
    assert_true(during >= 1); /* guaranteed by the checkpoints (they may share a swap) */
    vg_batch_free(g_events);
}

static void test_refcount_basics(void **st)
{
    (void)st;
    struct vg_sigma_set *s = vg_sigma_set_new();
    assert_ptr_equal(vg_sigma_set_ref(s), s);
    vg_sigma_set_unref(s);
    assert_int_equal(vg_sigma_rule_count(s), 0); /* still alive: one reference left */
    /* an uncompiled set cannot be installed; the caller keeps its reference */
    struct vg_sigma_engine *e = vg_sigma_engine_new(NULL);
    assert_non_null(e);
    assert_null(vg_sigma_engine_acquire(e, NULL));
    assert_int_equal(vg_sigma_engine_swap(e, s), VG_ESTATE);
    assert_int_equal(vg_sigma_compile(s, NULL), 0);
    assert_int_equal(vg_sigma_engine_swap(e, s), 0);
    uint64_t g;
    struct vg_sigma_set *a = vg_sigma_engine_acquire(e, &g);
    assert_ptr_equal(a, s);
    assert_int_equal(g, 1);
    assert_int_equal(vg_sigma_engine_swap(e, NULL), 0); /* engine drops its reference; a keeps the set alive */
    assert_int_equal(vg_sigma_rule_count(a), 0);
    vg_sigma_set_unref(a);
    vg_sigma_engine_free(e);
    vg_sigma_engine_free(NULL);
    vg_sigma_set_unref(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refcount_basics),
        cmocka_unit_test(test_swap_while_matching),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
