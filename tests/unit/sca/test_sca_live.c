/* The Debian 12 baseline against the real machine ("/"), as root or not:
 * results are not asserted (they depend on the host); the test checks that
 * every check produced a result with evidence, that no probe reported an
 * internal error other than permission problems, and prints the score and
 * scan time. Label: live. */
#include "fixture.h"
#include <stdlib.h>

static void test_live(void **state)
{
    (void)state;
    char path[1024];
    const char *src = getenv("VG_SRC");
    assert_non_null(src);
    snprintf(path, sizeof path, "%s/rules/policies/debian12-baseline.yml", src);
    struct vg_sca_policy *p = NULL;
    struct vg_err err = VG_ERR_INIT;
    if (vg_sca_policy_load_file(path, &p, &err) != 0) fail_msg("%s", err.msg);
    struct vg_sca_opts o = VG_SCA_OPTS_INIT;
    o.root = "/";
    o.ignore_platform = true; /* CI may run on another distribution */
    struct vg_sca_report *r = NULL;
    assert_int_equal(vg_sca_run(p, &o, &r, &err), 0);
    assert_int_equal(r->nresults, vg_sca_policy_count(p));
    size_t sum = 0;
    for (int s = 0; s < VG_SCA_NSTATUS; s++) sum += r->count[s];
    assert_int_equal(sum, r->nresults);
    for (size_t i = 0; i < r->nresults; i++) {
        const struct vg_sca_result *x = &r->results[i];
        assert_true(x->status < VG_SCA_NSTATUS);
        if (!x->evidence[0]) fail_msg("%s has no evidence", x->check->id);
        /* errors are allowed only for files a non-root user may not read */
        if (x->status == VG_SCA_ERROR && !strstr(x->evidence, "permission denied"))
            fail_msg("%s: probe error: %s", x->check->id, x->evidence);
    }
    printf("live root (%s, uid %u): %zu checks: %zu pass, %zu fail, %zu n/a, %zu error; score %.1f%%; wall %.2f ms, cpu %.2f ms\n",
           r->platform, (unsigned)getuid(), r->nresults, r->count[VG_SCA_PASS], r->count[VG_SCA_FAIL], r->count[VG_SCA_NA],
           r->count[VG_SCA_ERROR], r->scored ? r->score : -1.0, (double)r->wall_ns / 1e6, (double)r->cpu_ns / 1e6);
    vg_sca_report_free(r);
    vg_sca_policy_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_live)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
