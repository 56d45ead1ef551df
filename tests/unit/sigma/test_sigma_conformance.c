/* conformance_load: every active SigmaHQ rule (rules, rules-emerging-threats,
 * rules-threat-hunting, rules-placeholder, rules-compliance) loads, except
 * rules whose expand placeholders have no configured value, which must be
 * rejected with exactly that reason. The expected total is counted here
 * from the files (3,780 at the time of writing). With every placeholder
 * configured, all of them load. Prints load+compile time and RSS. */
#include "common.h"
#include <dirent.h>
#include <sys/stat.h>

static size_t count_yml(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char p[8192];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(p, &st) != 0) continue;
        size_t l = strlen(e->d_name);
        if (S_ISDIR(st.st_mode)) n += count_yml(p);
        else if (l > 4 && strcmp(e->d_name + l - 4, ".yml") == 0) n++;
    }
    closedir(d);
    return n;
}

static int cmp_count(const void *a, const void *b)
{
    const struct { const char *r; size_t n; } *x = a, *y = b;
    return x->n != y->n ? (x->n < y->n ? 1 : -1) : strcmp(x->r, y->r);
}

/* The counts the conformance run reports: loaded, and rejected by reason
 * (each distinct reason text with its count, most frequent first). */
static void print_by_reason(const struct vg_sigma_report *rep)
{
    struct { const char *r; size_t n; } *by = calloc(rep->nrej + 1, sizeof *by);
    size_t nby = 0;
    assert_non_null(by);
    for (size_t i = 0; i < rep->nrej; i++) {
        size_t k = 0;
        while (k < nby && strcmp(by[k].r, rep->rej[i].reason) != 0) k++;
        if (k == nby) by[nby++].r = rep->rej[i].reason;
        by[k].n++;
    }
    qsort(by, nby, sizeof *by, cmp_count);
    printf("counts: %zu files, %zu documents, %zu loaded, %zu correlations, %zu filters, %zu skipped, %zu rejected\n", rep->files,
           rep->documents, rep->loaded, rep->correlations, rep->filters, rep->skipped, rep->rejected);
    printf("rejected by reason:\n");
    for (size_t k = 0; k < nby; k++) printf("  %5zu  %s\n", by[k].n, by[k].r);
    free(by);
}

static void load_all(struct vg_sigma_set *set, struct vg_sigma_report *rep)
{
    char path[4096];
    for (size_t i = 0; i < VG_ARRAY_LEN(active_dirs); i++) {
        snprintf(path, sizeof path, "%s/sigma/%s", shared_dir(), active_dirs[i]);
        assert_int_equal(vg_sigma_load_path(set, path, rep), 0);
    }
}

static void test_conformance_load(void **st)
{
    (void)st;
    char path[4096];
    size_t files = 0;
    for (size_t i = 0; i < VG_ARRAY_LEN(active_dirs); i++) {
        snprintf(path, sizeof path, "%s/sigma/%s", shared_dir(), active_dirs[i]);
        size_t k = count_yml(path);
        printf("%-24s %zu rule files\n", active_dirs[i], k);
        files += k;
    }
    printf("active rule files: %zu (SIGMA.md says 3,780)\n", files);
    assert_int_equal(files, 3780);

    long rss0 = rss_kib();
    int64_t t0 = vg_mono_ns();
    struct vg_sigma_set *set = vg_sigma_set_new();
    struct vg_sigma_report rep = VG_SIGMA_REPORT_INIT;
    struct vg_err err = VG_ERR_INIT;
    assert_non_null(set);
    snprintf(path, sizeof path, "%s/rules/mappings", src_dir());
    assert_int_equal(vg_sigma_load_mappings(set, path, &err), 0);
    load_all(set, &rep);
    assert_int_equal(vg_sigma_compile(set, &err), 0);
    int64_t t1 = vg_mono_ns();
    long rss1 = rss_kib();
    size_t expand = 0, other = 0;
    for (size_t i = 0; i < rep.nrej; i++) {
        if (rep.rej[i].expand && strstr(rep.rej[i].reason, "has no configured value")) expand++;
        else {
            other++;
            printf("unexpected rejection %s:%d:%d: %s\n", rep.rej[i].file, rep.rej[i].line, rep.rej[i].col, rep.rej[i].reason);
        }
        assert_true(rep.rej[i].line > 0 && rep.rej[i].col > 0);
    }
    printf("loaded %zu, rejected %zu (%zu for unconfigured expand placeholders, %zu other)\n", rep.loaded, rep.rejected,
           expand, other);
    print_by_reason(&rep);
    printf("load+compile: %.0f ms, RSS %ld MiB after (%ld MiB before)\n", (t1 - t0) / 1e6, rss1 / 1024, rss0 / 1024);
    assert_int_equal(other, 0);
    assert_int_equal(rep.files, files);
    assert_int_equal(rep.loaded + expand, files);
    assert_true(expand > 0);
    /* metadata sanity on one well-known rule */
    const struct vg_sigma_rule *r = vg_sigma_rule_find(set, "7dbbcac2-57a0-45ac-b306-ff30a8bd2981");
    assert_non_null(r);
    assert_non_null(r->title);
    assert_non_null(r->author);
    assert_string_equal(r->product, "windows");
    assert_string_equal(r->category, "process_creation");
    assert_true(r->ntechniques > 0);
    for (size_t i = 0; i < r->ntechniques; i++) assert_true(r->techniques[i][0] == 'T');
    assert_true(r->ntactics > 0);

    /* configure every missing placeholder: then everything loads (a rule may
     * name several placeholders, so repeat until no new name shows up) */
    static char names[256][128];
    size_t nnames = 0;
    struct vg_sigma_report rep2 = VG_SIGMA_REPORT_INIT;
    const struct vg_sigma_report *src = &rep;
    for (int round = 0; round < 8; round++) {
        for (size_t i = 0; i < src->nrej; i++) {
            const char *p = strchr(src->rej[i].reason, '%');
            const char *q = p ? strchr(p + 1, '%') : NULL;
            assert_non_null(q);
            assert_true(nnames < 256);
            snprintf(names[nnames++], sizeof names[0], "%.*s", (int)(q - p - 1), p + 1);
        }
        vg_sigma_report_release(&rep2);
        struct vg_sigma_set *set2 = vg_sigma_set_new();
        assert_non_null(set2);
        for (size_t i = 0; i < nnames; i++) {
            const char *vals[] = {"example-value", "10.0.0.1"};
            assert_int_equal(vg_sigma_set_placeholder(set2, names[i], vals, 2), 0);
        }
        load_all(set2, &rep2);
        vg_sigma_set_free(set2);
        if (rep2.rejected == 0) break;
        src = &rep2;
    }
    printf("with placeholders configured: loaded %zu, rejected %zu\n", rep2.loaded, rep2.rejected);
    for (size_t i = 0; i < rep2.nrej; i++) printf("  still rejected: %s: %s\n", rep2.rej[i].file, rep2.rej[i].reason);
    assert_int_equal(rep2.rejected, 0);
    assert_int_equal(rep2.loaded, files);
    vg_sigma_report_release(&rep2);
    vg_sigma_report_release(&rep);
    vg_sigma_set_free(set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_conformance_load)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
