/* Correlation state: restart in the middle of a window (save, free,
 * restore, continue), corrupt and truncated blobs refused with the engine
 * unchanged, eviction at the key cap counted, expiry, the per-key cap. */
#include "helpers.h"

static const char *const R_A[] = {"a"};
static const char *const R_AB[] = {"a", "b"};
static const char *const G_USER[] = {"User"};

static struct vg_corr_def def_count(int64_t n)
{
    struct vg_corr_def d = {.id = "cnt", .type = VG_CORR_EVENT_COUNT, .rules = R_A, .nrules = 1, .group_by = G_USER,
                            .ngroup_by = 1, .timespan_ns = SEC(60), .ncond = 1};
    d.ops[0] = VG_CORR_GTE;
    d.values[0] = n;
    return d;
}
static struct vg_corr_def def_vc(void)
{
    struct vg_corr_def d = {.id = "vc", .type = VG_CORR_VALUE_COUNT, .rules = R_A, .nrules = 1, .group_by = G_USER,
                            .ngroup_by = 1, .timespan_ns = SEC(60), .field = "Host", .ncond = 1};
    d.ops[0] = VG_CORR_GTE;
    d.values[0] = 3;
    return d;
}
static struct vg_corr_def def_tord(void)
{
    struct vg_corr_def d = {.id = "to", .type = VG_CORR_TEMPORAL_ORDERED, .rules = R_AB, .nrules = 2,
                            .group_by = G_USER, .ngroup_by = 1, .timespan_ns = SEC(60)};
    return d;
}
static struct vg_corr_def def_sum(void)
{
    struct vg_corr_def d = {.id = "sum", .type = VG_CORR_VALUE_SUM, .rules = R_A, .nrules = 1, .group_by = G_USER,
                            .ngroup_by = 1, .timespan_ns = SEC(60), .field = "n", .ncond = 1};
    d.ops[0] = VG_CORR_GT;
    d.values[0] = 10;
    return d;
}

static struct vg_corr *mk_all(const struct vg_corr_opts *o)
{
    struct vg_corr *c = vg_corr_new(o);
    struct vg_corr_def d[4] = {def_count(3), def_vc(), def_tord(), def_sum()};
    for (int i = 0; i < 4; i++) assert_int_equal(vg_corr_add(c, &d[i], NULL), i);
    return c;
}

static struct vg_corr *restart(struct vg_corr *c, const struct vg_corr_opts *o)
{
    struct vg_buf b = VG_BUF_INIT;
    assert_int_equal(vg_corr_save(c, &b), 0);
    vg_corr_free(c);
    c = mk_all(o);
    struct vg_err err = VG_ERR_INIT;
    int rc = vg_corr_restore(c, b.data, b.len, &err);
    if (rc) fprintf(stderr, "restore: %s\n", err.msg);
    assert_int_equal(rc, 0);
    vg_buf_release(&b);
    return c;
}

static void test_restart_mid_window(void **st)
{
    (void)st;
    struct vg_corr_opts o = {.lateness_ns = SEC(5), .suppress_ns = SEC(30)};
    struct vg_corr *c = mk_all(&o);
    assert_int_equal(feed(c, "a", 0, "User", "u", "Host", "h1", "n", "4", NULL), 0);
    assert_int_equal(feed(c, "a", 1, "User", "u", "Host", "h2", "n", "4", NULL), 0);
    assert_int_equal(feed(c, "b", 2, "User", "u", NULL), 1); /* temporal_ordered: a then b */
    assert_int_equal(stats_of(c).fires, 1);
    assert_int_equal(feed(c, "a", 3, "User", "v", "Host", "h1", "n", "1", NULL), 0);
    c = restart(c, &o);
    struct vg_corr_stats s = stats_of(c);
    assert_int_equal(s.keys, 8); /* u and v in each of the 4 correlations */
    assert_int_equal(s.watermark, T0 + SEC(3));
    /* each window continues where it was */
    int n = feed(c, "a", 10, "User", "u", "Host", "h3", "n", "4", NULL);
    assert_int_equal(n, 3); /* count 3, distinct hosts 3, sum 12 > 10 */
    /* lateness survives: 10 - 5 = 5 is the limit */
    assert_int_equal(feed(c, "a", 4, "User", "z", "Host", "h", "n", "0", NULL), 0);
    assert_int_equal(stats_of(c).late_dropped, 1);
    /* suppression survives: temporal_ordered for u fired at 2, quiet until 32 */
    c = restart(c, &o);
    assert_int_equal(feed(c, "a", 11, "User", "u", NULL), 0);
    assert_int_equal(feed(c, "b", 12, "User", "u", NULL), 0);
    assert_int_equal(stats_of(c).suppressed, 1);
    /* v's window restored: two more hits make 3 */
    assert_int_equal(feed(c, "a", 13, "User", "v", "Host", "h1", "n", "1", NULL), 0);
    assert_int_equal(feed(c, "a", 14, "User", "v", "Host", "h1", "n", "1", NULL), 1);
    vg_corr_free(c);
}

static void test_restore_rejects_bad_blobs(void **st)
{
    (void)st;
    struct vg_corr *c = mk_all(NULL);
    assert_int_equal(feed(c, "a", 0, "User", "u", "Host", "h1", "n", "4", NULL), 0);
    assert_int_equal(feed(c, "a", 1, "User", "u", "Host", "h2", "n", "4", NULL), 0);
    struct vg_buf b = VG_BUF_INIT;
    assert_int_equal(vg_corr_save(c, &b), 0);
    struct vg_err err = VG_ERR_INIT;
    /* every single-byte corruption and every truncation is refused */
    char *copy = vg_malloc(b.len);
    for (size_t i = 0; i < b.len; i++) {
        memcpy(copy, b.data, b.len);
        copy[i] ^= 0x41;
        assert_int_equal(vg_corr_restore(c, copy, b.len, &err), VG_EFORMAT);
    }
    for (size_t l = 0; l < b.len; l++) assert_int_equal(vg_corr_restore(c, b.data, l, &err), VG_EFORMAT);
    assert_int_equal(vg_corr_restore(c, NULL, 0, &err), VG_EFORMAT);
    vg_free(copy);
    /* the engine is unchanged: the third hit fires the count */
    assert_int_equal(stats_of(c).keys, 4);
    /* count 3 fires; 2 distinct hosts and sum 9 do not */
    assert_int_equal(feed(c, "a", 2, "User", "u", "Host", "h2", "n", "1", NULL), 1);
    assert_string_equal(g_fires[0].def->id, "cnt");
    vg_buf_release(&b);
    vg_corr_free(c);
}

static void test_restore_other_rules(void **st)
{
    (void)st;
    struct vg_corr *c = mk_all(NULL);
    assert_int_equal(feed(c, "a", 0, "User", "u", "Host", "h1", "n", "4", NULL), 0);
    struct vg_buf b = VG_BUF_INIT;
    assert_int_equal(vg_corr_save(c, &b), 0);
    vg_corr_free(c);
    /* an engine with only the count rule, timespan changed: nothing carried */
    struct vg_corr_def d = def_count(2);
    d.timespan_ns = SEC(61);
    c = mk1(&d, NULL);
    assert_int_equal(vg_corr_restore(c, b.data, b.len, NULL), 0);
    assert_int_equal(stats_of(c).keys, 0);
    vg_corr_free(c);
    /* same identity: carried */
    d = def_count(2);
    c = mk1(&d, NULL);
    assert_int_equal(vg_corr_restore(c, b.data, b.len, NULL), 0);
    assert_int_equal(stats_of(c).keys, 1);
    assert_int_equal(feed(c, "a", 1, "User", "u", NULL), 1);
    vg_corr_free(c);
    vg_buf_release(&b);
}

static void test_eviction_at_cap(void **st)
{
    (void)st;
    struct vg_corr_opts o = {.max_keys = 2};
    struct vg_corr_def d = def_count(2);
    struct vg_corr *c = mk1(&d, &o);
    assert_int_equal(feed(c, "a", 0, "User", "u1", NULL), 0);
    assert_int_equal(feed(c, "a", 1, "User", "u2", NULL), 0);
    assert_int_equal(feed(c, "a", 2, "User", "u1", NULL), 1); /* u1 becomes most recent */
    assert_int_equal(feed(c, "a", 3, "User", "u2", NULL), 1);
    assert_int_equal(feed(c, "a", 4, "User", "u1", NULL), 0);
    assert_int_equal(feed(c, "a", 5, "User", "u3", NULL), 0); /* evicts u2 (least recent) */
    struct vg_corr_stats s = stats_of(c);
    assert_int_equal(s.evicted, 1);
    assert_int_equal(s.keys, 2);
    assert_int_equal(feed(c, "a", 6, "User", "u1", NULL), 1); /* u1 kept its hit at 4 */
    assert_int_equal(feed(c, "a", 7, "User", "u2", NULL), 0); /* evicts u3; u2 starts over */
    assert_int_equal(stats_of(c).evicted, 2);
    vg_corr_free(c);
}

static void test_expiry_and_memory(void **st)
{
    (void)st;
    struct vg_corr_opts o = {.lateness_ns = SEC(10)};
    struct vg_corr_def d = def_count(5);
    struct vg_corr *c = mk1(&d, &o);
    char u[16];
    for (int i = 0; i < 100; i++) {
        snprintf(u, sizeof u, "u%d", i);
        assert_int_equal(feed(c, "a", i / 10, "User", u, NULL), 0);
    }
    struct vg_corr_stats s = stats_of(c);
    assert_int_equal(s.keys, 100);
    assert_true(s.bytes > 100 * 64 && s.bytes < 100 * 512);
    /* window 60 s + lateness 10 s: keys last hit at 0 expire just after 70 */
    assert_int_equal(vg_corr_expire(c, T0 + SEC(70)), 0);
    assert_int_equal(vg_corr_expire(c, T0 + SEC(70) + 1), 10);
    assert_int_equal(stats_of(c).keys, 90);
    /* feeding moves the watermark; the cold end expires incrementally */
    for (int i = 0; i < 200; i++) feed(c, "a", 1000, "User", "fresh", NULL);
    assert_true(stats_of(c).keys < 90);
    uint64_t left = stats_of(c).keys;
    assert_int_equal(vg_corr_expire(c, 0), left - 1);
    assert_int_equal(stats_of(c).keys, 1);
    vg_corr_free(c);
    c = mk1(&d, &o);
    /* memory returns to zero when the keys go */
    feed(c, "a", 0, "User", "x", NULL);
    assert_true(stats_of(c).bytes > 0);
    assert_int_equal(vg_corr_expire(c, T0 + SEC(1000)), 1);
    assert_int_equal(stats_of(c).bytes, 0);
    vg_corr_free(c);
}

static void test_per_key_cap(void **st)
{
    (void)st;
    struct vg_corr_opts o = {.max_per_key = 4};
    struct vg_corr_def d = def_count(5);
    struct vg_corr *c = mk1(&d, &o);
    int f = 0;
    for (int i = 0; i < 10; i++) f += feed(c, "a", i, "User", "u", NULL);
    assert_int_equal(f, 0); /* never more than 4 kept: a gte 5 count cannot be reached */
    assert_int_equal(stats_of(c).truncated, 6);
    vg_corr_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_restart_mid_window), cmocka_unit_test(test_restore_rejects_bad_blobs),
        cmocka_unit_test(test_restore_other_rules), cmocka_unit_test(test_eviction_at_cap),
        cmocka_unit_test(test_expiry_and_memory),  cmocka_unit_test(test_per_key_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
