/* The detect stage with correlations: a base rule referenced by an
 * event_count correlation (generate: false) makes no alert of its own; the
 * correlation makes one alert on the event that completed it, grouped by
 * user.name; a reload carries the half-filled window over. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "vigil/detect.h"
#include <sys/stat.h>
#include <unistd.h>

static char dir[256];

static const char rules[] =
    "title: Failed login\nname: failed_login\nid: 33333333-3333-4333-8333-333333333333\n"
    "logsource: {product: linux, service: sshd}\n"
    "detection: {sel: {event.outcome: failure}, condition: sel}\nlevel: low\n---\n"
    "title: Any event with a user\nid: 44444444-4444-4444-8444-444444444444\n"
    "logsource: {product: test}\n"
    "detection: {sel: {user.name|exists: true}, condition: sel}\nlevel: informational\n---\n"
    "title: Brute force\nid: 55555555-5555-4555-8555-555555555555\nlevel: high\nauthor: Tester\n"
    "correlation:\n  type: event_count\n  rules: [failed_login]\n  group-by: [user.name]\n"
    "  timespan: 5m\n  condition: {gte: 3}\n";

static struct vg_batch *batch(const char *const *users, size_t n, int64_t t0)
{
    struct vg_batch *b = vg_batch_new(n);
    for (size_t i = 0; i < n; i++) {
        struct vg_event *ev = vg_batch_push(b);
        ev->tenant = "acme";
        ev->ts = t0 + (int64_t)i * 1000000000LL;
        ev->host = "10.0.0.5";
        char raw[64];
        int len = snprintf(raw, sizeof raw, "event %zu %s", i, users[i]);
        vg_event_set_raw(ev, raw, (size_t)len);
        vg_event_add_str_copy(ev, VG_FID_EVENT_OUTCOME, VG_FF_ECS, "failure", 7);
        vg_event_add_str_copy(ev, VG_FID_USER_NAME, VG_FF_ECS, users[i], strlen(users[i]));
        vg_event_finish(ev);
    }
    return b;
}

static size_t count_rule(const struct vg_batch *b, const char *rule_id)
{
    size_t n = 0;
    for (const struct vg_alert *a = b->alerts; a; a = a->next) n += strcmp(a->rule_id, rule_id) == 0;
    return n;
}

static void test_detect_correlation(void **st)
{
    (void)st;
    snprintf(dir, sizeof dir, "/tmp/vg_corr_detect_%d", (int)getpid());
    mkdir(dir, 0700);
    char path[512];
    snprintf(path, sizeof path, "%s/rules.yml", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(rules, f);
    fclose(f);
    const char *paths[] = {dir};
    struct vg_detect_opts o = {.rules = paths, .nrules = 1};
    struct vg_detect *d = NULL;
    struct vg_err err = VG_ERR_INIT;
    struct vg_detect_load_info info;
    int rc = vg_detect_new(&d, &o, NULL, &info, &err);
    if (rc) fprintf(stderr, "%s\n", err.msg);
    assert_int_equal(rc, 0);
    assert_int_equal(info.correlations, 1);
    int64_t t0 = 1700000000000000000LL;
    const char *u1[] = {"alice", "bob", "alice"};
    struct vg_batch *b = batch(u1, 3, t0);
    assert_true(vg_detect_run(d, b, NULL, false) >= 0);
    assert_int_equal(count_rule(b, "33333333-3333-4333-8333-333333333333"), 0); /* generate: false */
    assert_int_equal(count_rule(b, "44444444-4444-4444-8444-444444444444"), 3); /* unrelated rule */
    assert_int_equal(count_rule(b, "55555555-5555-4555-8555-555555555555"), 0);
    vg_batch_free(b);
    /* a reload in the middle of the window keeps alice's 2 hits */
    assert_int_equal(vg_detect_reload(d, NULL, NULL, &err), 0);
    const char *u2[] = {"bob", "alice"};
    b = batch(u2, 2, t0 + 10000000000LL);
    assert_true(vg_detect_run(d, b, NULL, false) >= 0);
    assert_int_equal(count_rule(b, "55555555-5555-4555-8555-555555555555"), 1);
    const struct vg_alert *a = b->alerts;
    while (a && strcmp(a->rule_id, "55555555-5555-4555-8555-555555555555") != 0) a = a->next;
    assert_non_null(a);
    assert_int_equal(a->level, VG_ALERT_HIGH);
    assert_string_equal(a->author, "Tester");
    assert_string_equal(a->title, "Brute force");
    assert_int_equal(a->ts, t0 + 10000000000LL + 1000000000LL); /* the completing event */
    vg_batch_free(b);

    /* restart: save, free, new engine, load, continue the window */
    char state[512];
    snprintf(state, sizeof state, "%s/correlation.state", dir);
    assert_int_equal(vg_detect_corr_load(d, state, &err), VG_ENOENT);
    const char *u3[] = {"carol", "carol"};
    b = batch(u3, 2, t0 + 20000000000LL);
    assert_true(vg_detect_run(d, b, NULL, false) >= 0);
    vg_batch_free(b);
    assert_int_equal(vg_detect_corr_save(d, state, &err), 0);
    vg_detect_free(d);
    assert_int_equal(vg_detect_new(&d, &o, NULL, NULL, &err), 0);
    assert_int_equal(vg_detect_corr_load(d, state, &err), 0);
    const char *u4[] = {"carol"};
    b = batch(u4, 1, t0 + 30000000000LL);
    assert_true(vg_detect_run(d, b, NULL, false) >= 0);
    assert_int_equal(count_rule(b, "55555555-5555-4555-8555-555555555555"), 1);
    vg_batch_free(b);
    /* a damaged file is refused with a reason */
    f = fopen(state, "r+b");
    assert_non_null(f);
    fseek(f, 40, SEEK_SET);
    fputc('X', f);
    fclose(f);
    assert_int_equal(vg_detect_corr_load(d, state, &err), VG_EFORMAT);
    assert_non_null(strstr(err.msg, "checksum"));
    struct vg_buf m = VG_BUF_INIT;
    assert_int_equal(vg_detect_metrics(d, &m), 0);
    assert_non_null(strstr(m.data, "vigil_correlation_fires_total 1"));
    vg_buf_release(&m);
    vg_detect_free(d);
    unlink(state);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_detect_correlation)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
