/* Regression: every case in sigma/regression_data/rules/windows/
 * process_creation/<rule>/ must fire its rule (info.yml
 * rule_metadata[0].id) at least match_count times (once when absent) on
 * the events of its .json file, through the naive evaluator with the log
 * source mappings of rules/mappings/. Also measures the evaluation rate. */
#include "common.h"
#include "evtx_json.h"
#include <dirent.h>
#include <libfyaml.h>
#include "regression_info.h"
#include <time.h>

static int64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void test_regression(void **st)
{
    (void)st;
    char base[2048], path[8192];
    struct vg_sigma_set *set = vg_sigma_set_new();
    struct vg_sigma_report rep = VG_SIGMA_REPORT_INIT;
    struct vg_err err = VG_ERR_INIT;
    assert_non_null(set);
    snprintf(path, sizeof path, "%s/rules/mappings", src_dir());
    assert_int_equal(vg_sigma_load_mappings(set, path, &err), 0);
    for (size_t i = 0; i < VG_ARRAY_LEN(active_dirs); i++) {
        snprintf(path, sizeof path, "%s/sigma/%s", shared_dir(), active_dirs[i]);
        assert_int_equal(vg_sigma_load_path(set, path, &rep), 0);
    }
    assert_int_equal(vg_sigma_compile(set, &err), 0);
    struct vg_sigma_ctx *ctx = vg_sigma_ctx_new(set);
    assert_non_null(ctx);

    snprintf(base, sizeof base, "%s/sigma/regression_data/rules/windows/process_creation", shared_dir());
    DIR *d = opendir(base);
    assert_non_null(d);
    char *names[1024];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < 1024)
        if (e->d_name[0] != '.') names[n++] = vg_strdup(e->d_name);
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    size_t pass = 0, fail = 0, total_events = 0;
    int64_t eval_ns = 0, eval_cpu = 0;
    for (size_t i = 0; i < n; i++) {
        char id[128];
        long want = 1;
        assert_int_equal(vg_test_regression_info(base, names[i], id, sizeof id, &want), 0);
        const struct vg_sigma_rule *rule = vg_sigma_rule_find(set, id);
        if (!rule) { printf("FAIL %s: rule %s not loaded\n", names[i], id); fail++; continue; }
        /* the .json file(s) of the case */
        snprintf(path, sizeof path, "%s/%s", base, names[i]);
        DIR *cd = opendir(path);
        assert_non_null(cd);
        long got = 0;
        int nev = 0;
        while ((e = readdir(cd)) != NULL) {
            size_t l = strlen(e->d_name);
            if (l < 5 || strcmp(e->d_name + l - 5, ".json") != 0) continue;
            char jp[16384];
            snprintf(jp, sizeof jp, "%s/%s", path, e->d_name);
            size_t len;
            char *text = test_read_file(jp, &len);
            assert_non_null(text);
            struct vg_batch *b = vg_batch_new(16);
            int k = test_evtx_json_load(text, len, b);
            assert_true(k > 0);
            nev += k;
            for (size_t j = 0; j < b->n; j++) {
                const struct vg_sigma_hit *hits;
                int64_t t0 = vg_mono_ns(), c0 = cpu_ns();
                int h = vg_sigma_match(ctx, &b->ev[j], &hits);
                eval_ns += vg_mono_ns() - t0;
                eval_cpu += cpu_ns() - c0;
                assert_true(h >= 0);
                for (int x = 0; x < h; x++) {
                    if (hits[x].rule != rule) continue;
                    got++;
                    assert_true(hits[x].nfields > 0); /* a process_creation rule matches on named fields */
                }
            }
            vg_batch_free(b);
            vg_free(text);
        }
        closedir(cd);
        total_events += (size_t)nev;
        if (got >= want) pass++;
        else { printf("FAIL %s (%s): %ld matches, want %ld, %d events\n", names[i], id, got, want, nev); fail++; }
    }
    for (size_t i = 0; i < n; i++) vg_free(names[i]);
    size_t nrules = 0;
    for (size_t i = 0; i < vg_sigma_rule_count(set); i++) nrules += vg_sigma_rule_at(set, i)->kind == VG_SIGMA_RULE;
    printf("regression: %zu of %zu cases pass (%zu events)\n", pass, pass + fail, total_events);
    printf("naive evaluation: %zu events x %zu rules: wall %.1f ms, CPU %.1f ms = %.0f events/s per core (CPU time)\n",
           total_events, nrules, eval_ns / 1e6, eval_cpu / 1e6, total_events / (eval_cpu / 1e9));
    assert_int_equal(fail, 0);
    assert_int_equal(pass, n);
    assert_true(n >= 130);
    vg_sigma_ctx_free(ctx);
    vg_sigma_report_release(&rep);
    vg_sigma_set_free(set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_regression)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
