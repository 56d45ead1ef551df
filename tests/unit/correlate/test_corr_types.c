/* Correlation types on hand-built timelines: every type exactly at the
 * threshold, one below, one above; window edges (just inside, just
 * outside); ranges; group-by splitting; aliases; chaining; after-fire
 * reset and suppression; lateness. */
#include "helpers.h"

static const char *const R_A[] = {"a"};
static const char *const R_ABC[] = {"a", "b", "c"};
static const char *const G_USER[] = {"User"};

static struct vg_corr_def count_def(enum vg_corr_op op, int64_t v, int64_t span_s)
{
    struct vg_corr_def d = {.id = "c1", .type = VG_CORR_EVENT_COUNT, .rules = R_A, .nrules = 1, .group_by = G_USER,
                            .ngroup_by = 1, .timespan_ns = SEC(span_s), .ncond = 1};
    d.ops[0] = op;
    d.values[0] = v;
    return d;
}

static void test_event_count_threshold(void **st)
{
    (void)st;
    struct vg_corr_def d = count_def(VG_CORR_GTE, 3, 10);
    struct vg_corr *c = mk1(&d, NULL);
    assert_int_equal(feed(c, "a", 0, "User", "alice", NULL), 0);
    assert_int_equal(feed(c, "a", 1, "User", "alice", NULL), 0); /* one below */
    assert_int_equal(feed(c, "a", 2, "User", "alice", NULL), 1); /* exactly at */
    assert_int_equal(g_fires[0].hits, 3);
    assert_true(g_fires[0].value == 3);
    assert_int_equal(g_fires[0].first_ts, T0);
    assert_int_equal(g_fires[0].ts, T0 + SEC(2));
    assert_string_equal(g_fires[0].key, "alice");
    vg_corr_free(c);
    /* gt 3: the third hit (at the value) does not fire, the fourth (one above) does */
    d = count_def(VG_CORR_GT, 3, 10);
    c = mk1(&d, NULL);
    for (int i = 0; i < 3; i++) assert_int_equal(feed(c, "a", i, "User", "u", NULL), 0);
    assert_int_equal(feed(c, "a", 3, "User", "u", NULL), 1);
    assert_true(g_fires[0].value == 4);
    /* unreferenced rules change nothing */
    assert_int_equal(feed(c, "zzz", 4, "User", "u", NULL), 0);
    assert_int_equal(stats_of(c).updates, 4);
    vg_corr_free(c);
}

static void test_window_edges(void **st)
{
    (void)st;
    struct vg_corr_def d = count_def(VG_CORR_GTE, 2, 10);
    struct vg_corr *c = mk1(&d, NULL);
    /* just inside: exactly timespan apart (both ends inclusive) */
    assert_int_equal(feed(c, "a", 0, "User", "x", NULL), 0);
    assert_int_equal(feed(c, "a", 10, "User", "x", NULL), 1);
    /* just outside: timespan + 1 ns apart */
    assert_int_equal(feed(c, "a", 100, "User", "y", NULL), 0);
    assert_int_equal(feed_ns(c, "a", SEC(110) + 1, "User", "y", NULL), 0);
    /* the window still slides: a third hit within 10 s of the second fires */
    assert_int_equal(feed(c, "a", 115, "User", "y", NULL), 1);
    assert_int_equal(g_fires[0].first_ts, T0 + SEC(110) + 1);
    vg_corr_free(c);
}

static void test_reset_after_fire(void **st)
{
    (void)st;
    struct vg_corr_def d = count_def(VG_CORR_GTE, 2, 60);
    struct vg_corr *c = mk1(&d, NULL);
    assert_int_equal(feed(c, "a", 0, "User", "u", NULL), 0);
    assert_int_equal(feed(c, "a", 1, "User", "u", NULL), 1);
    /* the window was cleared: the next hit alone does not fire again */
    assert_int_equal(feed(c, "a", 2, "User", "u", NULL), 0);
    assert_int_equal(feed(c, "a", 3, "User", "u", NULL), 1);
    assert_int_equal(g_fires[0].hits, 2);
    vg_corr_free(c);
}

static void test_suppression(void **st)
{
    (void)st;
    struct vg_corr_def d = count_def(VG_CORR_GTE, 2, 10);
    struct vg_corr_opts o = {.suppress_ns = SEC(5)};
    struct vg_corr *c = mk1(&d, &o);
    assert_int_equal(feed(c, "a", 0, "User", "u", NULL), 0);
    assert_int_equal(feed(c, "a", 1, "User", "u", NULL), 1); /* quiet until 6 */
    assert_int_equal(feed(c, "a", 2, "User", "u", NULL), 0);
    assert_int_equal(feed(c, "a", 3, "User", "u", NULL), 0); /* would fire: suppressed */
    assert_int_equal(stats_of(c).suppressed, 1);
    assert_int_equal(feed(c, "a", 4, "User", "u", NULL), 0);
    assert_int_equal(stats_of(c).suppressed, 2);
    /* after the quiet period the hits kept meanwhile count */
    assert_int_equal(feed(c, "a", 6, "User", "u", NULL), 1);
    assert_int_equal(g_fires[0].hits, 4);
    /* another key is not suppressed */
    assert_int_equal(feed(c, "a", 6, "User", "v", NULL), 0);
    assert_int_equal(feed(c, "a", 7, "User", "v", NULL), 1);
    vg_corr_free(c);
}

static void test_lateness(void **st)
{
    (void)st;
    struct vg_corr_def d = count_def(VG_CORR_GTE, 3, 10);
    struct vg_corr_opts o = {.lateness_ns = SEC(5)};
    struct vg_corr *c = mk1(&d, &o);
    assert_int_equal(feed(c, "a", 10, "User", "u", NULL), 0);
    assert_int_equal(feed(c, "a", 12, "User", "u", NULL), 0);
    /* 4 s late, within the lateness: inserted in order, fires */
    assert_int_equal(feed(c, "a", 8, "User", "u", NULL), 1);
    assert_int_equal(g_fires[0].first_ts, T0 + SEC(8));
    assert_int_equal(stats_of(c).reordered, 1);
    /* 6 s late: beyond the lateness, dropped and counted */
    assert_int_equal(feed(c, "a", 20, "User", "w", NULL), 0);
    assert_int_equal(feed(c, "a", 21, "User", "w", NULL), 0);
    assert_int_equal(feed(c, "a", 15, "User", "w", NULL), 0);
    assert_int_equal(stats_of(c).late_dropped, 1);
    /* exactly at watermark - lateness is accepted */
    assert_int_equal(feed(c, "a", 16, "User", "w", NULL), 1);
    vg_corr_free(c);
    /* a late hit within the lateness but before its key's window: counted, not inserted */
    d = count_def(VG_CORR_GTE, 2, 10);
    o.lateness_ns = SEC(60);
    c = mk1(&d, &o);
    assert_int_equal(feed(c, "a", 30, "User", "u", NULL), 0);
    assert_int_equal(feed(c, "a", 5, "User", "u", NULL), 0);
    assert_int_equal(stats_of(c).outside_window, 1);
    assert_int_equal(feed(c, "a", 25, "User", "u", NULL), 1);
    vg_corr_free(c);
}

static void test_future_clamp(void **st)
{
    (void)st;
    struct vg_corr_def d = count_def(VG_CORR_GTE, 2, 10);
    struct vg_corr_opts o = {.lateness_ns = SEC(5), .max_future_ns = SEC(3600)};
    struct vg_corr *c = mk1(&d, &o);
    int64_t now = vg_now_ns() - T0;
    assert_int_equal(feed_ns(c, "a", now, "User", "u", NULL), 0);
    /* a clock gone wrong (a day ahead) is ignored and does not move the watermark */
    assert_int_equal(feed_ns(c, "a", now + SEC(86400), "User", "u", NULL), 0);
    assert_int_equal(stats_of(c).future_dropped, 1);
    assert_int_equal(feed_ns(c, "a", now + SEC(1), "User", "u", NULL), 1);
    assert_int_equal(stats_of(c).late_dropped, 0);
    vg_corr_free(c);
}

static void test_group_by_split(void **st)
{
    (void)st;
    static const char *const g2[] = {"Host", "User"};
    struct vg_corr_def d = count_def(VG_CORR_GTE, 2, 60);
    d.group_by = g2;
    d.ngroup_by = 2;
    struct vg_corr *c = mk1(&d, NULL);
    assert_int_equal(feed(c, "a", 0, "Host", "h1", "User", "alice", NULL), 0);
    assert_int_equal(feed(c, "a", 1, "Host", "h1", "User", "bob", NULL), 0);
    assert_int_equal(feed(c, "a", 2, "Host", "h2", "User", "alice", NULL), 0);
    assert_int_equal(stats_of(c).keys, 3);
    assert_int_equal(feed(c, "a", 3, "Host", "h1", "User", "alice", NULL), 1);
    assert_int_equal(g_fires[0].key_len, 8);
    assert_memory_equal(g_fires[0].key, "h1\x1f" "alice", 8);
    /* a missing group field is the empty value: its own group */
    assert_int_equal(feed(c, "a", 4, "Host", "h1", NULL), 0);
    assert_int_equal(feed(c, "a", 5, "Host", "h1", "User", "", NULL), 1);
    vg_corr_free(c);
}

static void test_value_count(void **st)
{
    (void)st;
    static const char *const gh[] = {"Host"};
    struct vg_corr_def d = {.id = "vc", .type = VG_CORR_VALUE_COUNT, .rules = R_A, .nrules = 1, .group_by = gh,
                            .ngroup_by = 1, .timespan_ns = SEC(60), .field = "User", .ncond = 1};
    d.ops[0] = VG_CORR_GTE;
    d.values[0] = 3;
    struct vg_corr *c = mk1(&d, NULL);
    assert_int_equal(feed(c, "a", 0, "Host", "h", "User", "alice", NULL), 0);
    assert_int_equal(feed(c, "a", 1, "Host", "h", "User", "alice", NULL), 0);
    assert_int_equal(feed(c, "a", 2, "Host", "h", "User", "bob", NULL), 0); /* 2 distinct: one below */
    assert_int_equal(feed(c, "a", 3, "Host", "h", "User", "bob", NULL), 0);
    assert_int_equal(feed(c, "a", 4, "Host", "h", "User", "carol", NULL), 1); /* at 3 */
    assert_true(g_fires[0].value == 3);
    assert_int_equal(g_fires[0].hits, 5);
    /* distinct values leave with their hits: alice at 100, bob at 130, carol at 161 (alice out) */
    assert_int_equal(feed(c, "a", 100, "Host", "h", "User", "alice", NULL), 0);
    assert_int_equal(feed(c, "a", 130, "Host", "h", "User", "bob", NULL), 0);
    assert_int_equal(feed(c, "a", 161, "Host", "h", "User", "carol", NULL), 0);
    assert_int_equal(feed(c, "a", 162, "Host", "h", "User", "dave", NULL), 1);
    /* a hit without the value field is counted, not used */
    assert_int_equal(feed(c, "a", 163, "Host", "h", NULL), 0);
    assert_int_equal(stats_of(c).missing_field, 1);
    vg_corr_free(c);
    /* many distinct values (table growth, deletion) stay exact */
    d.values[0] = 200;
    d.timespan_ns = SEC(100);
    c = mk1(&d, NULL);
    char v[32];
    int fired = 0;
    for (int i = 0; i < 1000; i++) {
        snprintf(v, sizeof v, "u%d", i % 150); /* at most 150 distinct in any window */
        fired += feed(c, "a", i, "Host", "h", "User", v, NULL);
    }
    assert_int_equal(fired, 0);
    for (int i = 0; i < 199; i++) {
        snprintf(v, sizeof v, "new%d", i);
        fired += feed(c, "a", 1000, "Host", "h", "User", v, NULL);
    }
    /* window [900, 1000] holds 100 distinct old values: the 100th new one makes 200 */
    assert_int_equal(fired, 1);
    vg_corr_free(c);
}

static void test_temporal(void **st)
{
    (void)st;
    struct vg_corr_def d = {.id = "t", .type = VG_CORR_TEMPORAL, .rules = R_ABC, .nrules = 3, .group_by = G_USER,
                            .ngroup_by = 1, .timespan_ns = SEC(300)};
    struct vg_corr *c = mk1(&d, NULL);
    assert_int_equal(feed(c, "b", 0, "User", "u", NULL), 0);
    assert_int_equal(feed(c, "b", 1, "User", "u", NULL), 0);
    assert_int_equal(feed(c, "a", 2, "User", "u", NULL), 0); /* 2 of 3 */
    assert_int_equal(feed(c, "c", 3, "User", "v", NULL), 0); /* other user */
    assert_int_equal(feed(c, "c", 300, "User", "u", NULL), 1); /* b at 0 still inside (inclusive) */
    assert_true(g_fires[0].value == 3);
    /* just outside: a at 1000, b at 1100, c at 1300 s + 1 ns */
    assert_int_equal(feed(c, "a", 1000, "User", "u", NULL), 0);
    assert_int_equal(feed(c, "b", 1100, "User", "u", NULL), 0);
    assert_int_equal(feed_ns(c, "c", SEC(1300) + 1, "User", "u", NULL), 0);
    vg_corr_free(c);
    /* with a condition: any 2 of the 3 rules */
    d.ncond = 1;
    d.ops[0] = VG_CORR_GTE;
    d.values[0] = 2;
    c = mk1(&d, NULL);
    assert_int_equal(feed(c, "a", 0, "User", "u", NULL), 0);
    assert_int_equal(feed(c, "a", 1, "User", "u", NULL), 0);
    assert_int_equal(feed(c, "c", 2, "User", "u", NULL), 1);
    vg_corr_free(c);
}

static void test_temporal_ordered(void **st)
{
    (void)st;
    struct vg_corr_def d = {.id = "to", .type = VG_CORR_TEMPORAL_ORDERED, .rules = R_ABC, .nrules = 3,
                            .group_by = G_USER, .ngroup_by = 1, .timespan_ns = SEC(300)};
    struct vg_corr *c = mk1(&d, NULL);
    assert_int_equal(feed(c, "c", 0, "User", "u", NULL), 0);
    assert_int_equal(feed(c, "b", 1, "User", "u", NULL), 0);
    assert_int_equal(feed(c, "a", 2, "User", "u", NULL), 0); /* all three, wrong order */
    assert_int_equal(feed(c, "c", 3, "User", "u", NULL), 0); /* a, c: b missing after a */
    assert_int_equal(feed(c, "b", 4, "User", "u", NULL), 0); /* a, b */
    assert_int_equal(feed(c, "c", 5, "User", "u", NULL), 1); /* a(2) b(4) c(5) */
    vg_corr_free(c);
    /* out of order arrival within lateness is put in time order */
    struct vg_corr_opts o = {.lateness_ns = SEC(10)};
    c = mk1(&d, &o);
    assert_int_equal(feed(c, "a", 100, "User", "u", NULL), 0);
    assert_int_equal(feed(c, "c", 103, "User", "u", NULL), 0);
    assert_int_equal(feed(c, "b", 101, "User", "u", NULL), 1); /* a(100) b(101) c(103) */
    /* arriving late with a time that breaks the order does not fire */
    assert_int_equal(feed(c, "b", 201, "User", "w", NULL), 0);
    assert_int_equal(feed(c, "c", 202, "User", "w", NULL), 0);
    assert_int_equal(feed(c, "a", 203, "User", "w", NULL), 0);
    /* a late a (lateness 10: 203-10 = 193 <= 199) puts a(199) b(201) c(202) in time order: fires */
    assert_int_equal(feed(c, "a", 199, "User", "w", NULL), 1);
    assert_int_equal(stats_of(c).fires, 2);
    vg_corr_free(c);
}

static void test_value_sum_avg(void **st)
{
    (void)st;
    static const char *const g2[] = {"SourceIP", "User"};
    struct vg_corr_def d = {.id = "vs", .type = VG_CORR_VALUE_SUM, .rules = R_A, .nrules = 1, .group_by = g2,
                            .ngroup_by = 2, .timespan_ns = SEC(3600), .field = "bytes_sent", .ncond = 1};
    d.ops[0] = VG_CORR_GT;
    d.values[0] = 1000000;
    struct vg_corr *c = mk1(&d, NULL);
    assert_int_equal(feed(c, "a", 0, "SourceIP", "10.0.0.1", "User", "u", "bytes_sent", "600000", NULL), 0);
    assert_int_equal(feed(c, "a", 1, "SourceIP", "10.0.0.1", "User", "u", "bytes_sent", "400000", NULL), 0); /* = 1e6 */
    assert_int_equal(feed(c, "a", 2, "SourceIP", "10.0.0.1", "User", "u", "bytes_sent", "1", NULL), 1);       /* above */
    assert_true(g_fires[0].value == 1000001);
    /* not a number: counted, ignored */
    assert_int_equal(feed(c, "a", 3, "SourceIP", "10.0.0.1", "User", "u", "bytes_sent", "lots", NULL), 0);
    assert_int_equal(stats_of(c).missing_field, 1);
    /* sliding: old values leave the sum */
    assert_int_equal(feed(c, "a", 4000, "SourceIP", "10.0.0.1", "User", "u", "bytes_sent", "900000", NULL), 0);
    assert_int_equal(feed_ns(c, "a", SEC(7600) + 1, "SourceIP", "10.0.0.1", "User", "u", "bytes_sent", "200000", NULL), 0);
    vg_corr_free(c);

    d.type = VG_CORR_VALUE_AVG;
    d.field = "BytesOut";
    d.values[0] = 500;
    c = mk1(&d, NULL);
    assert_int_equal(feed(c, "a", 0, "SourceIP", "s", "User", "u", "BytesOut", "400", NULL), 0);
    assert_int_equal(feed(c, "a", 1, "SourceIP", "s", "User", "u", "BytesOut", "600", NULL), 0); /* avg 500 */
    assert_int_equal(feed(c, "a", 2, "SourceIP", "s", "User", "u", "BytesOut", "503", NULL), 1); /* 501 */
    assert_true(g_fires[0].value == 501);
    vg_corr_free(c);
}

static void test_value_percentile(void **st)
{
    (void)st;
    static const char *const gc[] = {"ComputerName"};
    struct vg_corr_def d = {.id = "vp", .type = VG_CORR_VALUE_PERCENTILE, .rules = R_A, .nrules = 1, .group_by = gc,
                            .ngroup_by = 1, .timespan_ns = SEC(86400), .field = "Image", .ncond = 1};
    d.ops[0] = VG_CORR_LTE;
    d.values[0] = 1;
    struct vg_corr *c = mk1(&d, NULL);
    int fired = 0;
    for (int i = 0; i < 99; i++) fired += feed(c, "a", i, "ComputerName", "pc", "Image", "explorer.exe", NULL);
    assert_int_equal(fired, 0);
    /* 1 of 100 = 1 %: exactly at the threshold */
    assert_int_equal(feed(c, "a", 100, "ComputerName", "pc", "Image", "evil.exe", NULL), 1);
    assert_true(g_fires[0].value == 1.0);
    vg_corr_free(c);
    /* one below the share needed: 1 of 99 = 1.01 % does not fire */
    c = mk1(&d, NULL);
    for (int i = 0; i < 98; i++) fired += feed(c, "a", i, "ComputerName", "pc", "Image", "explorer.exe", NULL);
    assert_int_equal(feed(c, "a", 100, "ComputerName", "pc", "Image", "evil.exe", NULL), 0);
    vg_corr_free(c);
    /* numbers: percentile rank = share of window values <= the value */
    d.field = "Size";
    d.values[0] = 10;
    c = mk1(&d, NULL);
    char v[16];
    fired = 0;
    for (int i = 1; i <= 10; i++) {
        snprintf(v, sizeof v, "%d", i * 10);
        fired += feed(c, "a", i, "ComputerName", "pc", "Size", v, NULL);
    }
    assert_int_equal(fired, 0);
    assert_int_equal(feed(c, "a", 20, "ComputerName", "pc", "Size", "5", NULL), 1); /* 1/11 = 9.1 % */
    vg_corr_free(c);
}

static void test_ranges(void **st)
{
    (void)st;
    struct vg_corr_def d = {.id = "r", .type = VG_CORR_VALUE_SUM, .rules = R_A, .nrules = 1, .group_by = G_USER,
                            .ngroup_by = 1, .timespan_ns = SEC(60), .field = "n", .ncond = 2};
    d.ops[0] = VG_CORR_GTE;
    d.values[0] = 100;
    d.ops[1] = VG_CORR_LTE;
    d.values[1] = 200;
    struct vg_corr *c;
    c = mk1(&d, NULL);
    assert_int_equal(feed(c, "a", 0, "User", "u", "n", "99", NULL), 0);   /* 99: one below 100 */
    assert_int_equal(feed(c, "a", 1, "User", "u", "n", "1", NULL), 1);    /* 100: lower end */
    assert_int_equal(feed(c, "a", 2, "User", "u", "n", "200", NULL), 1);  /* 200: upper end */
    assert_int_equal(feed(c, "a", 3, "User", "u", "n", "201", NULL), 0);  /* above */
    vg_corr_free(c);
    /* eq / neq */
    d.type = VG_CORR_EVENT_COUNT;
    d.ncond = 1;
    d.ops[0] = VG_CORR_EQ;
    d.values[0] = 2;
    c = mk1(&d, NULL);
    assert_int_equal(feed(c, "a", 0, "User", "u", NULL), 0);
    assert_int_equal(feed(c, "a", 1, "User", "u", NULL), 1);
    vg_corr_free(c);
    d.ops[0] = VG_CORR_NEQ;
    d.values[0] = 1;
    c = mk1(&d, NULL);
    assert_int_equal(feed(c, "a", 0, "User", "u", NULL), 0);
    assert_int_equal(feed(c, "a", 1, "User", "u", NULL), 1);
    vg_corr_free(c);
}

static void test_aliases(void **st)
{
    (void)st;
    static const char *const rules[] = {"fail", "ok"};
    static const char *const gb[] = {"user"};
    static const char *const ar[] = {"fail", "ok"};
    static const char *const af[] = {"TargetUserName", "User"};
    struct vg_corr_alias al = {.name = "user", .rules = ar, .fields = af, .n = 2};
    struct vg_corr_def d = {.id = "al", .type = VG_CORR_TEMPORAL_ORDERED, .rules = rules, .nrules = 2, .group_by = gb,
                            .ngroup_by = 1, .aliases = &al, .naliases = 1, .timespan_ns = SEC(60)};
    struct vg_corr *c = mk1(&d, NULL);
    assert_int_equal(feed(c, "fail", 0, "TargetUserName", "alice", "User", "SYSTEM", NULL), 0);
    assert_int_equal(feed(c, "ok", 1, "User", "bob", "TargetUserName", "alice", NULL), 0); /* bob != alice */
    assert_int_equal(feed(c, "ok", 2, "User", "alice", NULL), 1);
    assert_string_equal(g_fires[0].key, "alice");
    vg_corr_free(c);
}

static void test_chained(void **st)
{
    (void)st;
    static const char *const r1[] = {"fail"};
    static const char *const r2[] = {"many_fail", "ok"};
    struct vg_corr_def d1 = count_def(VG_CORR_GTE, 3, 60);
    d1.id = NULL;
    d1.name = "many_fail";
    d1.rules = r1;
    struct vg_corr_def d2 = {.id = "brute_then_ok", .type = VG_CORR_TEMPORAL_ORDERED, .rules = r2, .nrules = 2,
                             .group_by = G_USER, .ngroup_by = 1, .timespan_ns = SEC(300)};
    struct vg_corr *c = vg_corr_new(NULL);
    assert_int_equal(vg_corr_add(c, &d1, NULL), 0);
    assert_int_equal(vg_corr_add(c, &d2, NULL), 1);
    assert_int_equal(feed(c, "ok", 0, "User", "u", NULL), 0); /* ok before the failures: wrong order */
    assert_int_equal(feed(c, "fail", 1, "User", "u", NULL), 0);
    assert_int_equal(feed(c, "fail", 2, "User", "u", NULL), 0);
    assert_int_equal(feed(c, "fail", 3, "User", "u", NULL), 1);
    assert_int_equal(g_fires[0].corr, 0);
    assert_int_equal(feed(c, "fail", 4, "User", "v", NULL), 0);
    assert_int_equal(feed(c, "ok", 5, "User", "v", NULL), 0); /* v never reached many_fail */
    assert_int_equal(feed(c, "ok", 6, "User", "u", NULL), 1);
    assert_int_equal(g_fires[0].corr, 1);
    assert_string_equal(g_fires[0].key, "u");
    vg_corr_free(c);
    /* a chain firing in the same call: count of counts */
    static const char *const r3[] = {"many_fail"};
    struct vg_corr_def d3 = count_def(VG_CORR_GTE, 2, 600);
    d3.id = "repeat";
    d3.rules = r3;
    c = vg_corr_new(NULL);
    assert_int_equal(vg_corr_add(c, &d1, NULL), 0);
    assert_int_equal(vg_corr_add(c, &d3, NULL), 1);
    int total = 0;
    for (int i = 0; i < 5; i++) total += feed(c, "fail", i, "User", "u", NULL);
    assert_int_equal(total, 1); /* many_fail once (3rd) */
    assert_int_equal(feed(c, "fail", 5, "User", "u", NULL), 2); /* many_fail again, and repeat in the same call */
    assert_int_equal(g_fires[0].corr, 0);
    assert_int_equal(g_fires[1].corr, 1);
    assert_int_equal(g_fires[1].depth, 1);
    vg_corr_free(c);
}

static void test_chain_cycle_capped(void **st)
{
    (void)st;
    static const char *const self[] = {"loop"};
    struct vg_corr_def d = count_def(VG_CORR_GTE, 1, 60);
    d.id = "loop";
    d.rules = self;
    struct vg_corr *c = mk1(&d, NULL);
    int n = feed(c, "loop", 0, "User", "u", NULL);
    assert_int_equal(n, VG_CORR_MAX_CHAIN + 1);
    assert_int_equal(stats_of(c).chain_cut, 1);
    vg_corr_free(c);
}

static void test_generate_flag(void **st)
{
    (void)st;
    static const char *const r[] = {"id-1", "named"};
    struct vg_corr_def d = count_def(VG_CORR_GTE, 2, 60);
    d.rules = r;
    d.nrules = 2;
    struct vg_corr *c = mk1(&d, NULL);
    assert_false(vg_corr_rule_generates(c, "id-1", NULL));
    assert_false(vg_corr_rule_generates(c, "x", "named"));
    assert_true(vg_corr_rule_generates(c, "other", "other"));
    d.id = "c2";
    d.generate = true;
    d.nrules = 1;
    assert_int_equal(vg_corr_add(c, &d, NULL), 1);
    assert_true(vg_corr_rule_generates(c, "id-1", NULL));
    assert_false(vg_corr_rule_generates(c, NULL, "named"));
    vg_corr_free(c);
}

static void test_bad_defs(void **st)
{
    (void)st;
    struct vg_corr *c = vg_corr_new(NULL);
    struct vg_err err = VG_ERR_INIT;
    struct vg_corr_def d = count_def(VG_CORR_GTE, 2, 60);
    d.ncond = 0;
    assert_int_equal(vg_corr_add(c, &d, &err), VG_EINVAL);
    d = count_def(VG_CORR_GTE, 2, 0);
    assert_int_equal(vg_corr_add(c, &d, &err), VG_EINVAL);
    d = count_def(VG_CORR_GTE, 2, 60);
    d.type = VG_CORR_VALUE_SUM;
    assert_int_equal(vg_corr_add(c, &d, &err), VG_EINVAL); /* no field */
    d.type = (enum vg_corr_type)99;
    assert_int_equal(vg_corr_add(c, &d, &err), VG_EINVAL);
    d = count_def(VG_CORR_GTE, 2, 60);
    d.nrules = 0;
    assert_int_equal(vg_corr_add(c, &d, &err), VG_EINVAL);
    d = count_def(VG_CORR_GTE, 2, 60);
    assert_int_equal(vg_corr_add(c, &d, &err), 0);
    assert_int_equal(feed(c, "a", 0, "User", "u", NULL), 0);
    assert_int_equal(vg_corr_add(c, &d, &err), VG_ESTATE);
    vg_corr_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_event_count_threshold), cmocka_unit_test(test_window_edges),
        cmocka_unit_test(test_reset_after_fire),      cmocka_unit_test(test_suppression),
        cmocka_unit_test(test_lateness),              cmocka_unit_test(test_future_clamp),              cmocka_unit_test(test_group_by_split),
        cmocka_unit_test(test_value_count),           cmocka_unit_test(test_temporal),
        cmocka_unit_test(test_temporal_ordered),      cmocka_unit_test(test_value_sum_avg),
        cmocka_unit_test(test_value_percentile),      cmocka_unit_test(test_ranges),
        cmocka_unit_test(test_aliases),               cmocka_unit_test(test_chained),
        cmocka_unit_test(test_chain_cycle_capped),    cmocka_unit_test(test_generate_flag),
        cmocka_unit_test(test_bad_defs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
