/* Fast path == naive evaluator: with every active SigmaHQ rule and the
 * mappings loaded, vg_sigma_match and vg_sigma_match_naive must give
 * identical hits (rules, order, matched fields) on every event of the 130
 * regression cases and on 20,000 generated Windows events
 * (bench/gen_sysmon.c). Also checks that the prefilter is really in use
 * (far fewer rule evaluations than naive) and that the generated events do
 * produce alerts, so the comparison is not vacuous. A third evaluator, the
 * naive one over the same rules compiled without leaf literal sets (long
 * value lists as one literal scan, VG_SIGMA_NOLEAFLITS), must agree too. */
#include "common.h"
#include "evtx_json.h"
#include "gen_sysmon.h"
#include <dirent.h>

static struct vg_sigma_set *g_set, *g_set_ref;
static struct vg_sigma_ctx *g_fast, *g_naive, *g_ref;

/* The same rules compiled without leaf literal sets (VG_SIGMA_NOLEAFLITS):
 * its naive evaluator loops over every value, the reference for both
 * evaluators of g_set, which test long value lists with one literal scan. */
static struct vg_sigma_set *load_ref(void)
{
    char path[4096];
    struct vg_sigma_report rep = VG_SIGMA_REPORT_INIT;
    struct vg_err err = VG_ERR_INIT;
    struct vg_sigma_set *s = vg_sigma_set_new();
    snprintf(path, sizeof path, "%s/rules/mappings", src_dir());
    if (!s || vg_sigma_load_mappings(s, path, &err) != 0) return NULL;
    for (size_t i = 0; i < VG_ARRAY_LEN(active_dirs); i++) {
        snprintf(path, sizeof path, "%s/sigma/%s", shared_dir(), active_dirs[i]);
        if (vg_sigma_load_path(s, path, &rep) != 0) return NULL;
    }
    vg_sigma_report_release(&rep);
    setenv("VG_SIGMA_NOLEAFLITS", "1", 1);
    int rc = vg_sigma_compile(s, &err);
    unsetenv("VG_SIGMA_NOLEAFLITS");
    return rc == 0 ? s : NULL;
}

static int setup(void **st)
{
    (void)st;
    char path[4096];
    struct vg_sigma_report rep = VG_SIGMA_REPORT_INIT;
    struct vg_err err = VG_ERR_INIT;
    g_set_ref = load_ref();
    if (!g_set_ref || !(g_ref = vg_sigma_ctx_new(g_set_ref))) return -1;
    g_set = vg_sigma_set_new();
    snprintf(path, sizeof path, "%s/rules/mappings", src_dir());
    if (vg_sigma_load_mappings(g_set, path, &err) != 0) return -1;
    for (size_t i = 0; i < VG_ARRAY_LEN(active_dirs); i++) {
        snprintf(path, sizeof path, "%s/sigma/%s", shared_dir(), active_dirs[i]);
        if (vg_sigma_load_path(g_set, path, &rep) != 0) return -1;
    }
    printf("%zu rules loaded\n", rep.loaded);
    vg_sigma_report_release(&rep);
    if (vg_sigma_compile(g_set, &err) != 0) return -1;
    struct vg_sigma_pf_info pi;
    vg_sigma_prefilter_info(g_set, &pi);
    printf("prefilter: %zu covered, %zu always, %zu unmapped, %zu per-event log source, %zu patterns, %zu databases\n",
           pi.covered, pi.always, pi.unmapped, pi.complex_ls, pi.patterns, pi.databases);
    g_fast = vg_sigma_ctx_new(g_set);
    g_naive = vg_sigma_ctx_new(g_set);
    return g_fast && g_naive && pi.patterns > 0 ? 0 : -1;
}

static int teardown(void **st)
{
    (void)st;
    vg_sigma_ctx_free(g_fast);
    vg_sigma_ctx_free(g_naive);
    vg_sigma_ctx_free(g_ref);
    vg_sigma_set_free(g_set);
    vg_sigma_set_free(g_set_ref);
    return 0;
}

static size_t g_windows_hits; /* hits by rules with product: windows (unmapped rules of other
                                 * products, e.g. a zeek rule that is a pure negation, fire everywhere) */

/* Compares both evaluators on ev; returns the number of hits (or -1 on a difference). */
static int compare(const struct vg_event *ev, const char *what)
{
    const struct vg_sigma_hit *hf, *hn, *hr;
    int nf = vg_sigma_match(g_fast, ev, &hf);
    int nn = vg_sigma_match_naive(g_naive, ev, &hn);
    int nr = vg_sigma_match_naive(g_ref, ev, &hr);
    assert_true(nf >= 0 && nn >= 0 && nr >= 0);
    bool same = nf == nn && nf == nr;
    for (int i = 0; same && i < nf; i++) {
        same = hf[i].rule == hn[i].rule && hf[i].nfields == hn[i].nfields && hf[i].nfields == hr[i].nfields &&
               strcmp(hf[i].rule->title, hr[i].rule->title) == 0;
        for (uint32_t k = 0; same && k < hf[i].nfields; k++) same = hf[i].fields[k] == hn[i].fields[k] && hf[i].fields[k] == hr[i].fields[k];
    }
    g_windows_hits = 0;
    for (int i = 0; i < nf; i++) g_windows_hits += hf[i].rule->product && strcmp(hf[i].rule->product, "windows") == 0;
    if (!same) {
        printf("DIFFERENT %s: fast %d hits, naive %d, naive without leaf literal sets %d\n", what, nf, nn, nr);
        for (int i = 0; i < nf; i++) printf("  fast:  %s\n", hf[i].rule->title);
        for (int i = 0; i < nn; i++) printf("  naive: %s\n", hn[i].rule->title);
        for (int i = 0; i < nr; i++) printf("  ref:   %s\n", hr[i].rule->title);
        return -1;
    }
    return nf;
}

static void test_regression_events(void **st)
{
    (void)st;
    char base[2048], path[8192];
    snprintf(base, sizeof base, "%s/sigma/regression_data/rules/windows/process_creation", shared_dir());
    DIR *d = opendir(base);
    assert_non_null(d);
    struct dirent *e;
    size_t cases = 0, events = 0, hits = 0, diff = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "%s/%s", base, e->d_name);
        DIR *cd = opendir(path);
        if (!cd) continue;
        cases++;
        struct dirent *f;
        while ((f = readdir(cd)) != NULL) {
            size_t l = strlen(f->d_name);
            if (l < 5 || strcmp(f->d_name + l - 5, ".json") != 0) continue;
            char jp[16384];
            snprintf(jp, sizeof jp, "%s/%s", path, f->d_name);
            size_t len;
            char *text = test_read_file(jp, &len);
            assert_non_null(text);
            struct vg_batch *b = vg_batch_new(16);
            assert_true(test_evtx_json_load(text, len, b) > 0);
            for (size_t j = 0; j < b->n; j++) {
                int h = compare(&b->ev[j], jp);
                if (h < 0) diff++;
                else hits += (size_t)h;
                events++;
            }
            vg_batch_free(b);
            vg_free(text);
        }
        closedir(cd);
    }
    closedir(d);
    printf("regression events: %zu cases, %zu events, %zu hits, %zu differences\n", cases, events, hits, diff);
    assert_true(cases >= 130);
    assert_true(hits >= cases); /* every case fires its rule at least once */
    assert_int_equal(diff, 0);
}

static void test_generated_events(void **st)
{
    (void)st;
#ifdef VG_SANITIZED
    const size_t n = 4000; /* the naive evaluator is slow under ASan */
#else
    const size_t n = 20000;
#endif
    struct vg_sigma_stats s0f, s0n, s1f, s1n;
    vg_sigma_ctx_stats(g_fast, &s0f);
    vg_sigma_ctx_stats(g_naive, &s0n);
    size_t hits = 0, alerted = 0, diff = 0;
    for (size_t base = 0; base < n; base += 1000) {
        struct vg_batch *b = vg_batch_new(1000);
        for (size_t i = 0; i < 1000 && base + i < n; i++) {
            struct vg_event *ev = vg_batch_push(b);
            assert_non_null(ev);
            assert_int_equal(vg_gen_sysmon_event(7, base + i, ev), 0);
        }
        for (size_t i = 0; i < b->n; i++) {
            int h = compare(&b->ev[i], "generated event");
            if (h < 0) { diff++; continue; }
            hits += (size_t)h;
            alerted += g_windows_hits > 0;
        }
        vg_batch_free(b);
    }
    vg_sigma_ctx_stats(g_fast, &s1f);
    vg_sigma_ctx_stats(g_naive, &s1n);
    uint64_t ef = s1f.evaluated - s0f.evaluated, en = s1n.evaluated - s0n.evaluated;
    printf("generated events: %zu, %zu hits, Windows rules fired on %zu events, %zu differences; rules evaluated: fast %llu, naive %llu\n", n,
           hits, alerted, diff, (unsigned long long)ef, (unsigned long long)en);
    assert_int_equal(diff, 0);
    assert_true(alerted > n / 500);      /* the generator's tradecraft does fire rules */
    assert_true(ef * 20 < en);           /* the prefilter prunes: at least 20x fewer evaluations */
    assert_int_equal(s1f.fallback - s0f.fallback, 0);
    /* repeated values (Image, User, Company ...) were answered by the value
     * memo, so these identical results cover it */
    printf("scans %llu, answered by the value memo %llu\n", (unsigned long long)(s1f.scans - s0f.scans),
           (unsigned long long)(s1f.memo_hits - s0f.memo_hits));
    assert_true((s1f.memo_hits - s0f.memo_hits) * 4 > s1f.scans - s0f.scans);
}

/* Generated events rewritten the way decoded events look: the Sigma name
 * and its mapped ECS alternatives (Image -> process.executable). Per event
 * one of: Image renamed to the alternative (the leaf must read the
 * alternative), an alternative with a different, suspicious value next to
 * Image (the leaf must ignore it), both with the same value. */
static void test_alternative_fields(void **st)
{
    (void)st;
    const size_t n = 3000;
    uint32_t img = vg_fid("Image", 5), pimg = vg_fid("ParentImage", 11), cmd = vg_fid("CommandLine", 11);
    uint32_t alt = vg_fid("process.executable", 18), palt = vg_fid("process.parent.executable", 25),
             calt = vg_fid("process.command_line", 20);
    static const char evil[] = "C:\\Users\\Public\\mimikatz.exe";
    static const char evilcmd[] = "powershell -nop -w hidden -enc SQBFAFgA sekurlsa::logonpasswords";
    size_t diff = 0, hits = 0;
    struct vg_batch *src = vg_batch_new(n), *dst = vg_batch_new(n);
    assert_non_null(src);
    assert_non_null(dst);
    for (size_t i = 0; i < n; i++) {
        struct vg_event *e = vg_batch_push(src), *d = vg_batch_push(dst);
        assert_non_null(e);
        assert_non_null(d);
        assert_int_equal(vg_gen_sysmon_event(11, i, e), 0);
        d->ts = e->ts;
        d->format = e->format;
        for (uint32_t k = 0; k < e->nfields; k++) {
            const struct vg_field *f = &e->fields[k];
            uint32_t name = f->name, a = f->name == img ? alt : f->name == pimg ? palt : f->name == cmd ? calt : UINT32_MAX;
            if (a != UINT32_MAX && i % 3 == 0) name = a; /* only the alternative */
            if (f->v.type == VG_V_STR) assert_int_equal(vg_event_add_str(d, name, 0, f->v.u.s, f->v.len), 0);
            else if (f->v.type == VG_V_INT) assert_int_equal(vg_event_add_int(d, name, 0, f->v.u.i), 0);
            if (a == UINT32_MAX || i % 3 == 0) continue;
            if (i % 3 == 1) { /* a different value under the alternative: never read */
                const char *v = a == calt ? evilcmd : evil;
                assert_int_equal(vg_event_add_str(d, a, 0, v, strlen(v)), 0);
            } else {
                assert_int_equal(vg_event_add_str(d, a, 0, f->v.u.s, f->v.len), 0);
            }
        }
        int h = compare(d, "event with alternative fields");
        if (h < 0) diff++;
        else hits += (size_t)h;
    }
    printf("alternative fields: %zu events, %zu hits, %zu differences\n", n, hits, diff);
    assert_int_equal(diff, 0);
    assert_true(hits > 0);
    vg_batch_free(src);
    vg_batch_free(dst);
}

/* Keywords over decoded events: the fast path leaves out of its keyword
 * scan the values whose bytes lie inside the raw text (scanned anyway) and
 * pointer-identical copies of the previous value. A keyword ("Mimikatz
 * Use") placed only in the raw text, only in a value pointing into it, only
 * in an unescaped copy outside it (the raw JSON has `sekurlsa\u003a:`), or
 * only in an ECS-style copy sharing the bytes of such a value must fire in
 * both evaluators; an event without it must not. */
static void test_keywords_raw(void **st)
{
    (void)st;
    uint32_t chan = vg_fid("Channel", 7), eid = vg_fid("EventID", 7), img = vg_fid("Image", 5),
             cmd = vg_fid("CommandLine", 11), ecmd = vg_fid("process.command_line", 20), user = vg_fid("User", 4);
    const char *raws[6] = {
        "{\"Image\":\"x.exe\",\"note\":\"sekurlsa::logonpasswords\"}", /* only in raw */
        "{\"CommandLine\":\"m.exe privilege::debug exit\"}",      /* value points into raw */
        "{\"CommandLine\":\"m.exe sekurlsa\\u003a:x\"}",          /* unescaped copy outside raw */
        "{\"CommandLine\":\"m.exe sekurlsa\\u003a:x\"}",          /* ... and its ECS copy right after */
        "{\"CommandLine\":\"m.exe sekurlsa\\u003ax\"}",           /* none */
        "{\"CommandLine\":\"C:\\\\t\\\\sekurlsa::x\"}",           /* a VG_FF_UNESC copy: found in the raw text */
    };
    const char *copies[6] = {NULL, NULL, "m.exe sekurlsa::x", "m.exe sekurlsa::x", "m.exe sekurlsa:x", "C:\\t\\sekurlsa::x"};
    struct vg_arena ar;
    vg_arena_init(&ar, 4096);
    size_t fired = 0;
    for (int k = 0; k < 6; k++) {
        struct vg_event ev;
        vg_event_init(&ev, &ar);
        assert_int_equal(vg_event_set_raw(&ev, raws[k], strlen(raws[k])), 0);
        assert_int_equal(vg_event_add_str(&ev, chan, 0, "Microsoft-Windows-Sysmon/Operational", 36), 0);
        assert_int_equal(vg_event_add_int(&ev, eid, 0, 1), 0);
        assert_int_equal(vg_event_add_str(&ev, user, 0, "WIN\\alice", 9), 0);
        if (k == 0) assert_int_equal(vg_event_add_str(&ev, img, 0, "x.exe", 5), 0);
        if (k == 1) {
            const char *v = strstr(ev.raw, "m.exe");
            assert_int_equal(vg_event_add_str(&ev, cmd, 0, v, 26), 0);
            assert_int_equal(vg_event_add_str(&ev, ecmd, VG_FF_ECS, v, 26), 0);
        }
        if (copies[k]) {
            size_t n = strlen(copies[k]);
            char *copy = vg_arena_alloc(&ar, n + 1);
            assert_non_null(copy);
            memcpy(copy, copies[k], n + 1);
            if (k == 3) { /* the source field outside raw scanned, its ECS copy skipped */
                assert_int_equal(vg_event_add_str(&ev, ecmd, VG_FF_ECS, copy, n), 0);
                assert_int_equal(vg_event_add_str(&ev, cmd, 0, copy, n), 0);
            } else {
                assert_int_equal(vg_event_add_str(&ev, cmd, k == 5 ? VG_FF_UNESC : 0, copy, n), 0);
            }
        }
        assert_true(compare(&ev, "keyword event") >= 0);
        const struct vg_sigma_hit *h;
        int n = vg_sigma_match(g_fast, &ev, &h);
        bool mimi = false;
        for (int i = 0; i < n; i++) mimi |= strcmp(h[i].rule->title, "Mimikatz Use") == 0;
        printf("keyword event %d: Mimikatz Use %s\n", k, mimi ? "fired" : "silent");
        if (k != 4) assert_true(mimi);
        else assert_false(mimi);
        fired += mimi;
    }
    assert_int_equal(fired, 5);
    vg_arena_release(&ar);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_regression_events),
        cmocka_unit_test(test_generated_events),
        cmocka_unit_test(test_alternative_fields),
        cmocka_unit_test(test_keywords_raw),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
