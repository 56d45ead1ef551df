/* Schema examples: the specification's example documents in
 * sigma/spec/tests/schema/{rules,correlation,filter}/ load as rules,
 * correlations and filters respectively (all of them are valid examples;
 * none is marked invalid). Also checks a v1 rule from sigma/deprecated is
 * either loaded or rejected with a reason, never dropped. */
#include "common.h"
#include <dirent.h>

static size_t count_dir(const char *dir)
{
    DIR *d = opendir(dir);
    size_t n = 0;
    struct dirent *e;
    if (!d) return 0;
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l > 4 && strcmp(e->d_name + l - 4, ".yml") == 0) n++;
    }
    closedir(d);
    return n;
}

static void load_kind(const char *sub, size_t *files, struct vg_sigma_set **setp, struct vg_sigma_report *rep)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/sigma/spec/tests/schema/%s", shared_dir(), sub);
    *files = count_dir(path);
    assert_true(*files > 0);
    *setp = vg_sigma_set_new();
    assert_int_equal(vg_sigma_load_path(*setp, path, rep), 0);
    for (size_t i = 0; i < rep->nrej; i++)
        printf("%s: rejected %s:%d:%d: %s\n", sub, rep->rej[i].file, rep->rej[i].line, rep->rej[i].col, rep->rej[i].reason);
    printf("%s: %zu files, %zu loaded, %zu correlations, %zu filters, %zu rejected\n", sub, *files, rep->loaded,
           rep->correlations, rep->filters, rep->rejected);
}

static void test_schema_rules(void **st)
{
    (void)st;
    size_t files;
    struct vg_sigma_set *set;
    struct vg_sigma_report rep = VG_SIGMA_REPORT_INIT;
    load_kind("rules", &files, &set, &rep);
    assert_int_equal(rep.rejected, 0);
    assert_int_equal(rep.loaded, files);
    const struct vg_sigma_rule *r = vg_sigma_rule_find(set, "545a5da6-f103-4919-a519-e9aec1026ee4");
    assert_non_null(r);
    assert_non_null(r->title);
    assert_int_equal(vg_sigma_compile(set, NULL), 0);
    vg_sigma_report_release(&rep);
    vg_sigma_set_free(set);
}

static void test_schema_correlations(void **st)
{
    (void)st;
    size_t files;
    struct vg_sigma_set *set;
    struct vg_sigma_report rep = VG_SIGMA_REPORT_INIT;
    load_kind("correlation", &files, &set, &rep);
    assert_int_equal(rep.rejected, 0);
    assert_int_equal(rep.correlations, files);
    assert_int_equal(rep.nnotes, files);
    for (size_t i = 0; i < rep.nnotes; i++)
        assert_true(strstr(rep.notes[i].reason, "correlation (evaluated by") || strstr(rep.notes[i].reason, "filter (AND-ed onto"));
    for (size_t i = 0; i < vg_sigma_rule_count(set); i++) {
        const struct vg_sigma_rule *r = vg_sigma_rule_at(set, i);
        assert_int_equal(r->kind, VG_SIGMA_CORRELATION);
        assert_non_null(r->correlation);
        assert_true(r->correlation->nrules > 0);
        assert_true(r->correlation->timespan_ns > 0);
        if (strncmp(r->correlation->type, "temporal", 8) != 0) assert_non_null(r->correlation->cond_op);
    }
    vg_sigma_report_release(&rep);
    vg_sigma_set_free(set);
}

static void test_schema_filters(void **st)
{
    (void)st;
    size_t files;
    struct vg_sigma_set *set;
    struct vg_sigma_report rep = VG_SIGMA_REPORT_INIT;
    load_kind("filter", &files, &set, &rep);
    assert_int_equal(rep.rejected, 0);
    assert_int_equal(rep.filters, files);
    vg_sigma_report_release(&rep);
    vg_sigma_set_free(set);
}

/* deprecated/ and unsupported/: every document is accounted for. */
static void test_deprecated_unsupported_accounted(void **st)
{
    (void)st;
    const char *dirs[] = {"deprecated", "unsupported"};
    for (size_t i = 0; i < 2; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/sigma/%s", shared_dir(), dirs[i]);
        struct vg_sigma_set *set = vg_sigma_set_new();
        struct vg_sigma_report rep = VG_SIGMA_REPORT_INIT;
        assert_int_equal(vg_sigma_load_path(set, path, &rep), 0);
        printf("%s: %zu documents, %zu loaded, %zu rejected\n", dirs[i], rep.documents, rep.loaded, rep.rejected);
        assert_int_equal(rep.loaded + rep.rejected + rep.correlations + rep.filters, rep.documents);
        for (size_t k = 0; k < rep.nrej; k++) assert_true(strlen(rep.rej[k].reason) > 5);
        vg_sigma_report_release(&rep);
        vg_sigma_set_free(set);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schema_rules),
        cmocka_unit_test(test_schema_correlations),
        cmocka_unit_test(test_schema_filters),
        cmocka_unit_test(test_deprecated_unsupported_accounted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
