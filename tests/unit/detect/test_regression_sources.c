/* Conformance through the real readers: every case of
 * sigma/regression_data/rules/windows/process_creation/<case>/ must make
 * at least match_count alerts (info.yml; 1 when absent) of its rule
 * (rule_metadata[0].id) from its .evtx file read with vg_evtx_read_file AND
 * from its .json file split with the JSON iterator and decoded by
 * vg_decode, through the detect engine (vg_detect_run) with all SigmaHQ
 * rules and rules/mappings. Prints both counts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "vigil/decode.h"
#include "vigil/detect.h"
#include "vigil/evtx.h"
#include "vigil/json.h"
#include <dirent.h>
#include <libfyaml.h>
#include "../sigma/regression_info.h"

static const char *env_or(const char *name, const char *dflt)
{
    const char *s = getenv(name);
    return s && *s ? s : dflt;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static long count_rule(struct vg_detect *d, struct vg_batch *b, const char *id, const char *file, bool line)
{
    int n = vg_detect_run(d, b, file, line);
    assert_true(n >= 0);
    long k = 0;
    for (struct vg_alert *a = b->alerts; a; a = a->next) {
        if (strcmp(a->rule_id, id) != 0) continue;
        k++;
        assert_true(a->nmatched > 0);
        assert_non_null(a->origin.file);
        assert_true(a->origin.record > 0);
    }
    b->n = 0;
    b->alerts = NULL;
    b->nalerts = 0;
    vg_arena_reset(&b->arena);
    return k;
}

struct evtx_x { int64_t mtime; long events; };

static int on_record(void *ctx, struct vg_batch *b, struct vg_event *ev)
{
    struct evtx_x *x = ctx;
    (void)b;
    ev->tenant = "default";
    ev->recv_ts = x->mtime;
    vg_event_finish(ev);
    x->events++;
    return 0;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    struct vg_buf b = VG_BUF_INIT;
    char tmp[65536];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        if (vg_buf_add(&b, tmp, n)) break;
    fclose(f);
    return vg_buf_detach(&b, len);
}

static void test_sources(void **st)
{
    (void)st;
    const char *shared = env_or("VG_SHARED", "../shared"), *src = env_or("VG_SRC", ".");
    static const char *const dirs[] = {"rules", "rules-emerging-threats", "rules-threat-hunting", "rules-placeholder",
                                       "rules-compliance"};
    char paths[5][4096], maps[4096], base[4096];
    const char *rules[5];
    for (size_t i = 0; i < 5; i++) {
        snprintf(paths[i], sizeof paths[i], "%s/sigma/%s", shared, dirs[i]);
        rules[i] = paths[i];
    }
    snprintf(maps, sizeof maps, "%s/rules/mappings", src);
    struct vg_detect_opts o = {.rules = rules, .nrules = 5, .mappings = maps};
    struct vg_detect *d = NULL;
    struct vg_detect_load_info li;
    struct vg_err err = VG_ERR_INIT;
    assert_int_equal(vg_detect_new(&d, &o, NULL, &li, &err), 0);
    printf("rules: %zu loaded, %zu rejected (unconfigured expand placeholders) in %.0f ms\n", li.loaded, li.rejected, li.ms);

    snprintf(base, sizeof base, "%s/sigma/regression_data/rules/windows/process_creation", shared);
    DIR *dir = opendir(base);
    assert_non_null(dir);
    char *names[1024];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL && n < 1024)
        if (e->d_name[0] != '.') names[n++] = vg_strdup(e->d_name);
    closedir(dir);
    qsort(names, n, sizeof *names, cmp_str);
    struct vg_batch *b = vg_batch_new(64);
    assert_non_null(b);
    size_t pass_json = 0, pass_evtx = 0;
    long ev_json = 0, ev_evtx = 0;
    int64_t t_json = 0, t_evtx = 0;
    for (size_t i = 0; i < n; i++) {
        char path[8192], id[128];
        long want = 1;
        assert_int_equal(vg_test_regression_info(base, names[i], id, sizeof id, &want), 0);
        long got_json = 0, got_evtx = 0;
        int files_json = 0, files_evtx = 0;
        snprintf(path, sizeof path, "%s/%s", base, names[i]);
        DIR *cd = opendir(path);
        assert_non_null(cd);
        while ((e = readdir(cd)) != NULL) {
            size_t l = strlen(e->d_name);
            char fp[16384];
            snprintf(fp, sizeof fp, "%s/%s", path, e->d_name);
            if (l > 5 && strcmp(e->d_name + l - 5, ".json") == 0) {
                files_json++;
                size_t len;
                char *text = slurp(fp, &len);
                assert_non_null(text);
                int64_t t0 = vg_mono_ns();
                struct vg_json_iter it;
                vg_json_iter_init(&it, text, len);
                const char *rec;
                size_t rl;
                int rc;
                uint64_t k = 0;
                while ((rc = vg_json_iter_next(&it, &rec, &rl, NULL)) == 1) {
                    struct vg_event *ev = vg_batch_push(b);
                    assert_non_null(ev);
                    ev->tenant = "default";
                    ev->recv_ts = 1;
                    ev->seq = ++k;
                    assert_int_equal(vg_event_set_raw(ev, rec, rl), 0);
                    struct vg_decode_opts dop = {0};
                    assert_int_equal(vg_decode(ev, &dop, NULL), 0);
                    ev_json++;
                }
                assert_int_equal(rc, 0);
                got_json += count_rule(d, b, id, fp, false);
                t_json += vg_mono_ns() - t0;
                vg_free(text);
            } else if (l > 5 && strcmp(e->d_name + l - 5, ".evtx") == 0) {
                files_evtx++;
                struct evtx_x x = {1, 0};
                struct vg_evtx_stats es;
                int64_t t0 = vg_mono_ns();
                assert_int_equal(vg_evtx_read_file(fp, 0, b, on_record, &x, &es, &err), 0);
                got_evtx += count_rule(d, b, id, fp, false);
                t_evtx += vg_mono_ns() - t0;
                ev_evtx += x.events;
            }
        }
        closedir(cd);
        bool ok_j = files_json > 0 && got_json >= want, ok_e = files_evtx > 0 && got_evtx >= want;
        pass_json += ok_j;
        pass_evtx += ok_e;
        if (!ok_j || !ok_e)
            printf("FAIL %s (%s): want %ld; .json %ld (%d files), .evtx %ld (%d files)\n", names[i], id, want, got_json,
                   files_json, got_evtx, files_evtx);
    }
    for (size_t i = 0; i < n; i++) vg_free(names[i]);
    printf("regression from .json via vg_decode: %zu of %zu cases (%ld events, %.0f ms with detection)\n", pass_json, n,
           ev_json, t_json / 1e6);
    printf("regression from .evtx via vg_evtx_read_file: %zu of %zu cases (%ld events, %.0f ms with detection)\n",
           pass_evtx, n, ev_evtx, t_evtx / 1e6);
    assert_true(n >= 130);
    assert_int_equal(pass_json, n);
    assert_int_equal(pass_evtx, n);
    vg_batch_free(b);
    vg_detect_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_sources)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
