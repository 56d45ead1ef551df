/* Sigma filters in the detect engine: a filter among the rules and one in
 * a filters path (vg_detect_opts.filters) suppress alerts; both are
 * re-read by a reload (adding, changing and removing a filter takes effect
 * on the next reload); a non-filter document in a filters path is
 * rejected; a reload that meets an unreadable rule file fails and keeps
 * the current set; mapping documents among the rules are skipped, not
 * rejected. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "vigil/detect.h"
#include <sys/stat.h>
#include <unistd.h>

static char tmp[256], rules_dir[300], filt_dir[300];

static void write_file(const char *dir, const char *name, const char *text)
{
    char p[600];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void remove_file(const char *dir, const char *name)
{
    char p[600];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    unlink(p);
}

static const char rule[] =
    "title: Test Root Login Failure\nid: 11111111-1111-4111-8111-111111111111\nauthor: Test\n"
    "logsource: {product: linux, service: sshd}\n"
    "detection: {sel: {event.outcome: failure, user.name: root}, condition: sel}\nlevel: high\n";
static const char filter_lab[] =
    "title: Not from the lab\nlogsource: {product: linux}\n"
    "filter:\n  rules: [11111111-1111-4111-8111-111111111111]\n  lab: {source.ip|cidr: 203.0.113.0/24}\n  condition: not lab\n";
static const char filter_web1[] =
    "title: Not on web1\nlogsource: {product: linux, service: sshd}\n"
    "filter:\n  rules: any\n  h: {host.name: web1}\n  condition: not h\n";

/* Two events: root failures from 203.0.113.7 on web1 and from 198.51.100.9 on db1. */
static int alerts_for(struct vg_detect *d)
{
    struct vg_batch *b = vg_batch_new(2);
    static const char *const ip[] = {"203.0.113.7", "198.51.100.9"}, *const host[] = {"web1", "db1"};
    for (int i = 0; i < 2; i++) {
        struct vg_event *ev = vg_batch_push(b);
        ev->tenant = "default";
        ev->ts = 1700000000000000000LL + i;
        vg_event_set_raw(ev, "x", 1);
        vg_event_add_str_copy(ev, VG_FID_EVENT_OUTCOME, VG_FF_ECS, "failure", 7);
        vg_event_add_str_copy(ev, VG_FID_USER_NAME, VG_FF_ECS, "root", 4);
        vg_event_add_ip(ev, VG_FID_SOURCE_IP, VG_FF_ECS, ip[i], strlen(ip[i]));
        vg_event_add_str_copy(ev, VG_FID_HOST_NAME, VG_FF_ECS, host[i], strlen(host[i]));
        vg_event_finish(ev);
    }
    int n = vg_detect_run(d, b, NULL, false);
    vg_batch_free(b);
    return n;
}

static int setup(void **st)
{
    (void)st;
    snprintf(tmp, sizeof tmp, "/tmp/vg_detect_filters_%d", (int)getpid());
    snprintf(rules_dir, sizeof rules_dir, "%s/rules", tmp);
    snprintf(filt_dir, sizeof filt_dir, "%s/filters", tmp);
    mkdir(tmp, 0700);
    mkdir(rules_dir, 0700);
    mkdir(filt_dir, 0700);
    write_file(rules_dir, "a.yml", rule);
    write_file(rules_dir, "maps.yml", "fields: {}\nlogsources: []\n"); /* a mapping document among rules */
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_filters_reload(void **st)
{
    (void)st;
    const char *rules[] = {rules_dir}, *filters[] = {filt_dir};
    struct vg_detect_opts o = {.rules = rules, .nrules = 1, .filters = filters, .nfilters = 1};
    struct vg_detect *d = NULL;
    struct vg_sigma_report rep = VG_SIGMA_REPORT_INIT;
    struct vg_detect_load_info li;
    struct vg_err err = VG_ERR_INIT;
    assert_int_equal(vg_detect_new(&d, &o, &rep, &li, &err), 0);
    assert_int_equal(li.loaded, 1);
    assert_int_equal(li.rejected, 0);
    assert_int_equal(li.skipped, 1);
    assert_int_equal(li.filters, 0);
    assert_int_equal(alerts_for(d), 2);
    vg_sigma_report_release(&rep);

    /* a filter among the rules: the lab source is tuned out after a reload */
    write_file(rules_dir, "mf_lab.yml", filter_lab);
    assert_int_equal(alerts_for(d), 2); /* not before the reload */
    assert_int_equal(vg_detect_reload(d, NULL, &li, &err), 0);
    assert_int_equal(li.filters, 1);
    assert_int_equal(li.filters_applied, 1);
    assert_int_equal(alerts_for(d), 1);

    /* a second filter in the filters path: both apply */
    write_file(filt_dir, "mf_web1.yml", filter_web1);
    assert_int_equal(vg_detect_reload(d, NULL, &li, &err), 0);
    assert_int_equal(li.filters, 2);
    assert_int_equal(li.filters_applied, 2);
    assert_int_equal(alerts_for(d), 1); /* web1 is also the lab event: db1 remains */

    /* the lab filter removed, web1 filter widened to every host: nothing left */
    remove_file(rules_dir, "mf_lab.yml");
    write_file(filt_dir, "mf_web1.yml",
               "title: Quiet\nlogsource: {product: linux}\nfilter:\n  rules: any\n  h: {host.name: [web1, db1]}\n  condition: not h\n");
    assert_int_equal(vg_detect_reload(d, NULL, &li, &err), 0);
    assert_int_equal(li.filters, 1);
    assert_int_equal(alerts_for(d), 0);

    /* a rule in the filters path is rejected, the filter still applies */
    write_file(filt_dir, "not_a_filter.yml", rule);
    rep = (struct vg_sigma_report)VG_SIGMA_REPORT_INIT;
    assert_int_equal(vg_detect_reload(d, &rep, &li, &err), 0);
    assert_int_equal(li.rejected, 1);
    assert_non_null(strstr(rep.rej[0].reason, "not a filter document"));
    assert_int_equal(alerts_for(d), 0);
    vg_sigma_report_release(&rep);
    remove_file(filt_dir, "not_a_filter.yml");
    remove_file(filt_dir, "mf_web1.yml");

    /* an unreadable rule file fails the reload and keeps the current set
     * (a dangling link: unreadable even for root) */
    char link[600];
    snprintf(link, sizeof link, "%s/dangling.yml", rules_dir);
    assert_int_equal(symlink("/nonexistent/vigil-rule.yml", link), 0);
    assert_int_not_equal(vg_detect_reload(d, NULL, &li, &err), 0);
    assert_non_null(strstr(err.msg, "cannot read"));
    assert_int_equal(alerts_for(d), 0); /* still the set with the quiet filter */
    unlink(link);
    assert_int_equal(vg_detect_reload(d, NULL, &li, &err), 0);
    assert_int_equal(alerts_for(d), 2); /* filters gone */
    struct vg_detect_stats s;
    vg_detect_stats(d, &s);
    assert_int_equal(s.reloads, 5);
    assert_int_equal(s.reload_failures, 1);
    vg_detect_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test_setup_teardown(test_filters_reload, setup, teardown)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
