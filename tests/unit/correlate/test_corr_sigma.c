/* Sigma correlation documents through the Sigma loader: every example in
 * $VG_SHARED/sigma/spec/tests/schema/correlation/ loads and behaves as the
 * specification says on a timeline built for it; aliases, ranges,
 * generate and chaining written in YAML. */
#include "helpers.h"
#include "vigil/sigma.h"

static struct vg_corr *load_file(const char *name)
{
    const char *sh = getenv("VG_SHARED");
    assert_non_null(sh);
    char path[4096];
    snprintf(path, sizeof path, "%s/sigma/spec/tests/schema/correlation/%s", sh, name);
    struct vg_sigma_set *set = vg_sigma_set_new();
    struct vg_sigma_report rep = VG_SIGMA_REPORT_INIT;
    assert_int_equal(vg_sigma_load_path(set, path, &rep), 0);
    assert_int_equal(rep.rejected, 0);
    assert_int_equal(rep.correlations, 1);
    struct vg_corr *c = vg_corr_new(NULL);
    size_t skipped = 0;
    struct vg_err err = VG_ERR_INIT;
    int n = vg_corr_add_sigma(c, set, &skipped, &err);
    if (n != 1) fprintf(stderr, "%s: %s\n", name, err.msg);
    assert_int_equal(n, 1);
    assert_int_equal(skipped, 0);
    vg_sigma_report_release(&rep);
    vg_sigma_set_free(set); /* the engine copied what it needs */
    return c;
}

#define FAILED_LOGIN "5638f7c0-ac70-491d-8465-2a65075e0d86"

static void test_event_count(void **st)
{
    (void)st;
    const char *files[] = {"event_count.yml", "event_count_ecs.yml"};
    const char *fields[] = {"ComputerName", "dns.question.name"};
    for (int f = 0; f < 2; f++) {
        struct vg_corr *c = load_file(files[f]);
        int n = 0;
        for (int i = 0; i < 99; i++) n += feed(c, FAILED_LOGIN, i * 36, fields[f], "pc1", NULL);
        n += feed(c, FAILED_LOGIN, 3000, fields[f], "pc2", NULL); /* other group */
        assert_int_equal(n, 0);
        /* the 100th within 1 h (first at 0, this at 3600: inclusive) */
        assert_int_equal(feed(c, FAILED_LOGIN, 3600, fields[f], "pc1", NULL), 1);
        assert_string_equal(g_fires[0].def->id, "0e95725d-7320-415d-80f7-004da920fc11");
        assert_string_equal(g_fires[0].key, "pc1");
        /* 99 more at 1 h + 1 s.. and one 1 h + 1 ns after the first of them: the first has left */
        n = 0;
        for (int i = 0; i < 99; i++) n += feed(c, FAILED_LOGIN, 4000 + i, fields[f], "pc3", NULL);
        n += feed_ns(c, FAILED_LOGIN, SEC(7600) + 1, fields[f], "pc3", NULL);
        assert_int_equal(n, 0);
        vg_corr_free(c);
    }
}

static void test_value_count(void **st)
{
    (void)st;
    struct vg_corr *c = load_file("value_count.yml");
    char u[16];
    int n = 0;
    for (int i = 0; i < 99; i++) {
        snprintf(u, sizeof u, "user%d", i);
        n += feed(c, FAILED_LOGIN, i, "ComputerName", "dc1", "WorkstationName", "ws1", "User", u, NULL);
        n += feed(c, FAILED_LOGIN, i, "ComputerName", "dc1", "WorkstationName", "ws1", "User", u, NULL); /* repeats */
        n += feed(c, FAILED_LOGIN, i, "ComputerName", "dc1", "WorkstationName", "ws2", "User", u, NULL);
    }
    assert_int_equal(n, 0);
    assert_int_equal(feed(c, FAILED_LOGIN, 86000, "ComputerName", "dc1", "WorkstationName", "ws1", "User", "user99", NULL), 1);
    assert_true(g_fires[0].value == 100);
    vg_corr_free(c);
}

static void test_temporal(void **st)
{
    (void)st;
    struct vg_corr *c = load_file("temporal.yml");
    assert_int_equal(feed(c, "recon_cmd_c", 0, "ComputerName", "pc", "User", "u", NULL), 0);
    assert_int_equal(feed(c, "recon_cmd_a", 100, "ComputerName", "pc", "User", "u", NULL), 0);
    assert_int_equal(feed(c, "recon_cmd_b", 200, "ComputerName", "pc", "User", "other", NULL), 0);
    assert_int_equal(feed(c, "recon_cmd_b", 300, "ComputerName", "pc", "User", "u", NULL), 1); /* any order, 5 min */
    assert_string_equal(g_fires[0].def->title, "Recon");
    vg_corr_free(c);
}

static void test_temporal_ordered(void **st)
{
    (void)st;
    struct vg_corr *c = load_file("temporal_ordered.yml");
    assert_int_equal(feed(c, "recon_cmd_c", 0, "ComputerName", "pc", "User", "u", NULL), 0);
    assert_int_equal(feed(c, "recon_cmd_a", 1, "ComputerName", "pc", "User", "u", NULL), 0);
    assert_int_equal(feed(c, "recon_cmd_b", 2, "ComputerName", "pc", "User", "u", NULL), 0); /* c came first */
    assert_int_equal(feed(c, "recon_cmd_c", 301, "ComputerName", "pc", "User", "u", NULL), 1); /* a@1 b@2 c@301 */
    assert_string_equal(g_fires[0].def->title, "Recon ordered");
    vg_corr_free(c);
}

static void test_value_sum_avg_percentile(void **st)
{
    (void)st;
    struct vg_corr *c = load_file("value_sum.yml");
    assert_int_equal(feed(c, "website_access", 0, "SourceIP", "10.1.1.1", "User", "u", "bytes_sent", "999999", NULL), 0);
    assert_int_equal(feed(c, "website_access", 1, "SourceIP", "10.1.1.1", "User", "u", "bytes_sent", "1", NULL), 0);
    assert_int_equal(feed(c, "website_access", 2, "SourceIP", "10.1.1.2", "User", "u", "bytes_sent", "5", NULL), 0);
    assert_int_equal(feed(c, "website_access", 3, "SourceIP", "10.1.1.1", "User", "u", "bytes_sent", "1", NULL), 1);
    vg_corr_free(c);
    c = load_file("value_avg.yml");
    assert_int_equal(feed(c, "rule_a_id", 0, "SourceIP", "s", "User", "u", "BytesOut", "500", NULL), 0);
    assert_int_equal(feed(c, "rule_a_id", 80000, "SourceIP", "s", "User", "u", "BytesOut", "502", NULL), 1); /* 501 */
    vg_corr_free(c);
    c = load_file("value_percentile.yml");
    int n = 0;
    for (int i = 0; i < 98; i++) n += feed(c, "process_creation", i, "ComputerName", "pc", "Image", i % 2 ? "a.exe" : "b.exe", NULL);
    assert_int_equal(n, 0);
    /* 1 of 99 = 1.01 %: just above 1, no */
    assert_int_equal(feed(c, "process_creation", 500, "ComputerName", "pc", "Image", "rare1.exe", NULL), 0);
    /* 1 of 100 = 1 %: exactly at lte 1 */
    assert_int_equal(feed(c, "process_creation", 501, "ComputerName", "pc", "Image", "rare2.exe", NULL), 1);
    assert_true(g_fires[0].value == 1.0);
    /* another computer has its own population */
    assert_int_equal(feed(c, "process_creation", 502, "ComputerName", "pc2", "Image", "rare2.exe", NULL), 0);
    vg_corr_free(c);
}

/* The spec examples at their window edges and group boundaries: the same
 * timelines one nanosecond past the timespan do not fire, and hits of
 * another group never help. */
static void test_examples_window_edges(void **st)
{
    (void)st;
    char u[16];
    int n = 0;
    /* value_count.yml (1d, gte 100 distinct User per ComputerName+WorkstationName) */
    struct vg_corr *c = load_file("value_count.yml");
    for (int i = 0; i < 99; i++) {
        snprintf(u, sizeof u, "user%d", i);
        n += feed(c, FAILED_LOGIN, i, "ComputerName", "dc1", "WorkstationName", "ws1", "User", u, NULL);
        n += feed(c, FAILED_LOGIN, i, "ComputerName", "dc2", "WorkstationName", "ws1", "User", "x", NULL);
    }
    /* user0 (at 0) has left: 99 distinct */
    n += feed_ns(c, FAILED_LOGIN, SEC(86400) + 1, "ComputerName", "dc1", "WorkstationName", "ws1", "User", "user99", NULL);
    assert_int_equal(n, 0);
    /* user1 (at 1) is exactly on the lower edge: 100 */
    assert_int_equal(feed(c, FAILED_LOGIN, 86401, "ComputerName", "dc1", "WorkstationName", "ws1", "User", "user100", NULL), 1);
    vg_corr_free(c);
    /* temporal.yml / temporal_ordered.yml (5m) */
    const char *tf[] = {"temporal.yml", "temporal_ordered.yml"};
    for (int f = 0; f < 2; f++) {
        c = load_file(tf[f]);
        assert_int_equal(feed(c, "recon_cmd_a", 0, "ComputerName", "pc", "User", "u", NULL), 0);
        assert_int_equal(feed(c, "recon_cmd_b", 100, "ComputerName", "pc", "User", "u", NULL), 0);
        assert_int_equal(feed(c, "recon_cmd_c", 200, "ComputerName", "pc2", "User", "u", NULL), 0); /* other group */
        assert_int_equal(feed_ns(c, "recon_cmd_c", SEC(300) + 1, "ComputerName", "pc", "User", "u", NULL), 0);
        assert_int_equal(feed(c, "recon_cmd_a", 301, "ComputerName", "pc", "User", "u", NULL), f == 0 ? 1 : 0);
        vg_corr_free(c);
    }
    /* value_sum.yml (1h, gt 1000000 per SourceIP+User) */
    c = load_file("value_sum.yml");
    assert_int_equal(feed(c, "website_access", 0, "SourceIP", "10.1.1.1", "User", "u", "bytes_sent", "600000", NULL), 0);
    assert_int_equal(feed(c, "website_access", 1, "SourceIP", "10.1.1.1", "User", "v", "bytes_sent", "600000", NULL), 0);
    assert_int_equal(feed_ns(c, "website_access", SEC(3600) + 1, "SourceIP", "10.1.1.1", "User", "u", "bytes_sent", "400001", NULL), 0);
    assert_int_equal(feed(c, "website_access", 3601, "SourceIP", "10.1.1.1", "User", "v", "bytes_sent", "400001", NULL), 1);
    vg_corr_free(c);
    /* value_avg.yml (24h, gt 500 per SourceIP+User) */
    c = load_file("value_avg.yml");
    assert_int_equal(feed(c, "rule_a_id", 0, "SourceIP", "s", "User", "u", "BytesOut", "100", NULL), 0);
    assert_int_equal(feed(c, "rule_a_id", 0, "SourceIP", "s", "User", "v", "BytesOut", "100", NULL), 0);
    /* with the 100 still inside the average is 500 (not above); past the edge it is 900 */
    assert_int_equal(feed(c, "rule_a_id", 86400, "SourceIP", "s", "User", "v", "BytesOut", "900", NULL), 0);
    assert_int_equal(feed_ns(c, "rule_a_id", SEC(86400) + 1, "SourceIP", "s", "User", "u", "BytesOut", "900", NULL), 1);
    vg_corr_free(c);
    /* value_percentile.yml (24h, lte 1 % per ComputerName): 99 x then a rare one past the edge of the first */
    c = load_file("value_percentile.yml");
    n = 0;
    for (int i = 0; i < 99; i++) n += feed(c, "process_creation", i, "ComputerName", "pc", "Image", "x.exe", NULL);
    n += feed_ns(c, "process_creation", SEC(86400) + 1, "ComputerName", "pc", "Image", "rare.exe", NULL); /* 1 of 99 */
    assert_int_equal(n, 0);
    vg_corr_free(c);
}

static const char *yaml_chain =
    "title: failed\nname: failed_login\nlogsource: {product: linux, service: auth}\n"
    "detection: {sel: {msg|contains: failed}, condition: sel}\n---\n"
    "title: ok\nname: ok_login\nlogsource: {product: windows, service: security}\n"
    "detection: {sel: {EventID: 4624}, condition: sel}\n---\n"
    "title: brute force\nname: brute\nlevel: high\ncorrelation:\n  type: event_count\n  rules: [failed_login]\n"
    "  aliases:\n    user:\n      failed_login: user.name\n"
    "  group-by: [user]\n  timespan: 10m\n  condition: {gte: 3, lte: 4}\n  generate: true\n---\n"
    "title: brute then success\nid: 11111111-2222-3333-4444-555555555555\ncorrelation:\n  type: temporal_ordered\n"
    "  rules: [brute, ok_login]\n  aliases:\n    user:\n      brute: user\n      ok_login: TargetUserName\n"
    "  group-by: [user]\n  timespan: 1h\n";

static void test_yaml_aliases_ranges_chain(void **st)
{
    (void)st;
    struct vg_sigma_set *set = vg_sigma_set_new();
    struct vg_sigma_report rep = VG_SIGMA_REPORT_INIT;
    assert_int_equal(vg_sigma_load_string(set, yaml_chain, strlen(yaml_chain), "chain.yml", &rep), 0);
    for (size_t i = 0; i < rep.nrej; i++) fprintf(stderr, "rejected: %s\n", rep.rej[i].reason);
    assert_int_equal(rep.rejected, 0);
    const struct vg_sigma_rule *r = vg_sigma_rule_find(set, "brute");
    assert_non_null(r);
    assert_int_equal(r->correlation->ncond, 2);
    assert_int_equal(r->correlation->naliases, 1);
    struct vg_corr *c = vg_corr_new(NULL);
    assert_int_equal(vg_corr_add_sigma(c, set, NULL, NULL), 2);
    vg_sigma_report_release(&rep);
    vg_sigma_set_free(set);
    /* generate: brute says true for failed_login; ok_login is only in a correlation without it */
    assert_true(vg_corr_rule_generates(c, NULL, "failed_login"));
    assert_false(vg_corr_rule_generates(c, NULL, "ok_login"));
    assert_true(vg_corr_rule_generates(c, NULL, "unrelated"));
    assert_int_equal(feed(c, "ok_login", 0, "TargetUserName", "root", NULL), 0);
    struct vg_corr_kv kv = {"user.name", "root", 4};
    struct vg_corr_hit h = {.rule_name = "failed_login", .ts = T0 + SEC(10), .fields = &kv, .nfields = 1};
    for (int i = 0; i < 2; i++) assert_int_equal(vg_corr_feed(c, &h, &g_fires), 0);
    assert_int_equal(vg_corr_feed(c, &h, &g_fires), 1); /* 3: in the range */
    assert_string_equal(g_fires[0].def->name, "brute");
    struct vg_corr_hit ok = {.rule_name = "ok_login", .ts = T0 + SEC(20), .fields = NULL, .nfields = 0};
    struct vg_corr_kv kv2 = {"TargetUserName", "root", 4};
    ok.fields = &kv2;
    ok.nfields = 1;
    assert_int_equal(vg_corr_feed(c, &ok, &g_fires), 1); /* brute(10) then ok(20), same user via aliases */
    assert_string_equal(g_fires[0].def->id, "11111111-2222-3333-4444-555555555555");
    vg_corr_free(c);
}

static void test_yaml_bad_condition_rejected(void **st)
{
    (void)st;
    const char *y = "title: x\ncorrelation:\n  type: event_count\n  rules: [a]\n  group-by: [u]\n  timespan: 5m\n"
                    "  condition: {above: 3}\n";
    struct vg_sigma_set *set = vg_sigma_set_new();
    struct vg_sigma_report rep = VG_SIGMA_REPORT_INIT;
    assert_int_equal(vg_sigma_load_string(set, y, strlen(y), "bad.yml", &rep), 0);
    assert_int_equal(rep.rejected, 1);
    assert_non_null(strstr(rep.rej[0].reason, "above"));
    vg_sigma_report_release(&rep);
    vg_sigma_set_free(set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_event_count),          cmocka_unit_test(test_value_count),
        cmocka_unit_test(test_temporal),             cmocka_unit_test(test_temporal_ordered),
        cmocka_unit_test(test_value_sum_avg_percentile), cmocka_unit_test(test_yaml_aliases_ranges_chain),
        cmocka_unit_test(test_yaml_bad_condition_rejected), cmocka_unit_test(test_examples_window_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
