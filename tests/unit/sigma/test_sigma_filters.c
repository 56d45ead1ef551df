/* Sigma filters (filters specification v2, docs/internals/sigma.md
 * "Filters"): table-driven vectors (base rules + filter documents + an
 * event -> the rules that must fire), each run through the fast path and
 * the naive evaluator, which must agree; warnings for references to
 * unknown rules, rules of another log source and correlations; malformed
 * filters rejected with positions; the specification's example filters
 * applied to a rule of their log source; and, on all SigmaHQ Windows rules
 * with broad filters over 10,000 generated events, fast path == naive and
 * filtered hits a subset of unfiltered hits (a filter only removes). */
#include "common.h"
#include "gen_sysmon.h"
#include <unistd.h>

/* Base rules of the vectors (no mappings: all run on every event). */
static const char base_rules[] =
    "title: Whoami\nid: r1\nname: whoami_exec\nlogsource: {product: windows, category: process_creation}\n"
    "detection: {sel: {Image|endswith: '\\whoami.exe'}, condition: sel}\nlevel: high\n"
    "---\n"
    "title: Whoami any windows\nid: r4\nlogsource: {product: windows}\n"
    "detection: {sel: {Image|endswith: '\\whoami.exe'}, condition: sel}\n"
    "---\n"
    "title: Net user add\nid: r2\nlogsource: {product: windows, category: process_creation}\n"
    "detection: {sel: {CommandLine|contains: ' /add'}, condition: sel}\n"
    "---\n"
    "title: Linux whoami\nid: r3\nlogsource: {product: linux, service: auditd}\n"
    "detection: {sel: {Image|endswith: '/whoami'}, condition: sel}\n"
    "---\n"
    "title: Many whoami\nid: c1\ncorrelation: {type: event_count, rules: [r1], group-by: [User], timespan: 5m, condition: {gte: 3}}\n";

#define WHOAMI "Image=C:\\Windows\\System32\\whoami.exe"

struct fvec {
    const char *name;
    const char *filters;   /* filter documents (YAML), may be NULL */
    const char *ev[4];     /* "Field=value"; "raw=..." sets the raw text */
    const char *want;      /* rule ids that fire, in set order, comma-separated ("" = none) */
    const char *warning;   /* substring of the only expected warning, or NULL for none */
};

#define F_ADMIN(ls, rules) "title: no admins\nid: f1\nlogsource: " ls "\nfilter:\n  rules: " rules \
                           "\n  sel: {User|startswith: adm_}\n  condition: not sel\n"

static const struct fvec fvecs[] = {
    {"no-filter", NULL, {WHOAMI, "User=adm_x"}, "r1,r4", NULL},
    {"by-id", F_ADMIN("{product: windows}", "[r1]"), {WHOAMI, "User=adm_x"}, "r4", NULL},
    {"by-id-near-miss", F_ADMIN("{product: windows}", "[r1]"), {WHOAMI, "User=bob"}, "r1,r4", NULL},
    {"by-id-missing-field", F_ADMIN("{product: windows}", "[r1]"), {WHOAMI}, "r1,r4", NULL},
    {"by-name", F_ADMIN("{product: windows}", "[whoami_exec]"), {WHOAMI, "User=ADM_x"}, "r4", NULL},
    {"one-scalar", F_ADMIN("{product: windows}", "r4"), {WHOAMI, "User=adm_x"}, "r1", NULL},
    {"any", F_ADMIN("{product: windows}", "any"), {WHOAMI, "User=adm_x", "CommandLine=net user x /add"}, "", NULL},
    {"any-near-miss", F_ADMIN("{product: windows}", "any"), {WHOAMI, "User=x", "CommandLine=net user x /add"}, "r1,r4,r2", NULL},
    {"all-keyword", F_ADMIN("{product: windows}", "all"), {WHOAMI, "User=adm_x"}, "", NULL},
    {"empty-list-is-any", F_ADMIN("{product: windows}", "[]"), {WHOAMI, "User=adm_x"}, "", NULL},
    /* the filter's log source must contain the rule's: windows/process_creation does not contain windows */
    {"any-narrow-logsource", F_ADMIN("{product: windows, category: process_creation}", "any"), {WHOAMI, "User=adm_x"}, "r4", NULL},
    {"named-wider-rule", F_ADMIN("{product: windows, category: process_creation}", "[r4]"), {WHOAMI, "User=adm_x"}, "r1,r4",
     "whose log source (windows/-/-) is not within"},
    {"other-logsource", F_ADMIN("{product: linux}", "[r1]"), {WHOAMI, "User=adm_x"}, "r1,r4", "is not within the filter's (linux/*/*)"},
    {"other-logsource-any", F_ADMIN("{product: linux, service: sshd}", "any"), {WHOAMI, "User=adm_x"}, "r1,r4",
     "no loaded rule has it"},
    {"logsource-case", F_ADMIN("{product: Windows}", "[r1]"), {WHOAMI, "User=adm_x"}, "r4", NULL},
    {"empty-logsource-any", F_ADMIN("{}", "any"), {WHOAMI, "User=adm_x"}, "", NULL},
    {"unknown-rule", F_ADMIN("{product: windows}", "[r1, nosuchrule]"), {WHOAMI, "User=adm_x"}, "r4", "unknown rule 'nosuchrule'"},
    {"correlation-named", F_ADMIN("{product: windows}", "[c1]"), {WHOAMI, "User=adm_x"}, "r1,r4", "which is a correlation"},
    /* the specification's example form: condition `selection` keeps only those events */
    {"positive", "title: only admins\nlogsource: {product: windows}\nfilter:\n  rules: [r1]\n"
                 "  selection: {User|startswith: adm_}\n  condition: selection\n",
     {WHOAMI, "User=adm_x"}, "r1,r4", NULL},
    {"positive-near-miss", "title: only admins\nlogsource: {product: windows}\nfilter:\n  rules: [r1]\n"
                           "  selection: {User|startswith: adm_}\n  condition: selection\n",
     {WHOAMI, "User=bob"}, "r4", NULL},
    /* two filters on one rule: both apply */
    {"two-filters", F_ADMIN("{product: windows}", "[r1]") "---\ntitle: no backups\nlogsource: {product: windows}\n"
                    "filter:\n  rules: [r1]\n  b: {CommandLine|contains: backup}\n  condition: not b\n",
     {WHOAMI, "User=bob", "CommandLine=whoami backup"}, "r4", NULL},
    {"two-filters-near-miss", F_ADMIN("{product: windows}", "[r1]") "---\ntitle: no backups\nlogsource: {product: windows}\n"
                              "filter:\n  rules: [r1]\n  b: {CommandLine|contains: backup}\n  condition: not b\n",
     {WHOAMI, "User=bob", "CommandLine=whoami /all"}, "r1,r4", NULL},
    /* richer conditions and modifiers in filters */
    {"cond-1-of", "title: f\nlogsource: {product: windows}\nfilter:\n  rules: any\n  s_a: {User: svc}\n"
                  "  s_b: {ParentImage|endswith: '\\sccm.exe'}\n  condition: not 1 of s_*\n",
     {WHOAMI, "User=bob", "ParentImage=C:\\x\\SCCM.exe"}, "", NULL},
    {"cond-1-of-near-miss", "title: f\nlogsource: {product: windows}\nfilter:\n  rules: any\n  s_a: {User: svc}\n"
                            "  s_b: {ParentImage|endswith: '\\sccm.exe'}\n  condition: not 1 of s_*\n",
     {WHOAMI, "User=bob", "ParentImage=C:\\x\\SCCM.exe.bak"}, "r1,r4", NULL},
    {"keywords", "title: f\nlogsource: {product: windows}\nfilter:\n  rules: [r1]\n  kw: [benign-marker]\n  condition: not kw\n",
     {WHOAMI, "raw=... Benign-Marker ..."}, "r4", NULL},
    {"keywords-near-miss", "title: f\nlogsource: {product: windows}\nfilter:\n  rules: [r1]\n  kw: [benign-marker]\n  condition: not kw\n",
     {WHOAMI, "raw=... benign marker ..."}, "r1,r4", NULL},
    {"regex", "title: f\nlogsource: {product: windows}\nfilter:\n  rules: [r1]\n  r: {User|re: '^adm_[0-9]+$'}\n  condition: not r\n",
     {WHOAMI, "User=adm_42"}, "r4", NULL},
    {"regex-near-miss", "title: f\nlogsource: {product: windows}\nfilter:\n  rules: [r1]\n  r: {User|re: '^adm_[0-9]+$'}\n  condition: not r\n",
     {WHOAMI, "User=adm_4x"}, "r1,r4", NULL},
};

static int add_field(struct vg_event *ev, const char *spec)
{
    const char *eq = strchr(spec, '=');
    if (!eq) return VG_EINVAL;
    if (eq - spec == 3 && strncmp(spec, "raw", 3) == 0) return vg_event_set_raw(ev, eq + 1, strlen(eq + 1));
    return vg_event_add_str(ev, vg_fid(spec, (size_t)(eq - spec)), VG_FF_SOURCE, eq + 1, strlen(eq + 1));
}

/* Hits of both evaluators must be the same rules in the same order with
 * the same fields; returns their count (or -1 on a difference). */
static int both_hits(struct vg_sigma_ctx *ctx, const struct vg_event *ev, char *ids, size_t idlen,
                     const struct vg_sigma_hit **out)
{
    const struct vg_sigma_hit *hf, *hn;
    int nf = vg_sigma_match(ctx, ev, &hf);
    if (nf < 0) return -1;
    /* copy the fast path's hits: the next call reuses the buffers */
    enum { MAXH = 64, MAXF = 16 };
    const struct vg_sigma_rule *rf[MAXH];
    uint32_t fl[MAXH][MAXF], nfl[MAXH];
    for (int i = 0; i < nf && i < MAXH; i++) {
        rf[i] = hf[i].rule;
        nfl[i] = hf[i].nfields < MAXF ? hf[i].nfields : MAXF;
        memcpy(fl[i], hf[i].fields, nfl[i] * sizeof fl[i][0]);
    }
    int nn = vg_sigma_match_naive(ctx, ev, &hn);
    if (nn != nf || nf > MAXH) return -1;
    size_t o = 0;
    if (idlen) ids[0] = 0;
    for (int i = 0; i < nn; i++) {
        if (hn[i].rule != rf[i]) return -1;
        uint32_t k = hn[i].nfields < MAXF ? hn[i].nfields : MAXF;
        if (k != nfl[i] || memcmp(fl[i], hn[i].fields, k * sizeof fl[i][0]) != 0) return -1;
        int w = snprintf(ids + o, idlen - o, "%s%s", i ? "," : "", hn[i].rule->id);
        if (w > 0 && (size_t)w < idlen - o) o += (size_t)w;
    }
    if (out) *out = hn;
    return nn;
}

static int both(struct vg_sigma_ctx *ctx, const struct vg_event *ev, char *ids, size_t idlen)
{
    return both_hits(ctx, ev, ids, idlen, NULL);
}

static void test_filter_vectors(void **st)
{
    (void)st;
    size_t bad = 0;
    for (size_t i = 0; i < VG_ARRAY_LEN(fvecs); i++) {
        const struct fvec *v = &fvecs[i];
        struct vg_sigma_set *set = vg_sigma_set_new();
        struct vg_sigma_report rep = VG_SIGMA_REPORT_INIT;
        struct vg_err err = VG_ERR_INIT;
        assert_non_null(set);
        assert_int_equal(vg_sigma_load_string(set, base_rules, strlen(base_rules), "base.yml", &rep), 0);
        if (v->filters) assert_int_equal(vg_sigma_load_string(set, v->filters, strlen(v->filters), "mf_test.yml", &rep), 0);
        if (rep.rejected) printf("%s: rejected %s\n", v->name, rep.rej[0].reason);
        assert_int_equal(rep.rejected, 0);
        assert_int_equal(vg_sigma_compile_report(set, &rep, &err), 0);
        struct vg_sigma_ctx *ctx = vg_sigma_ctx_new(set);
        assert_non_null(ctx);
        struct vg_arena ar;
        vg_arena_init(&ar, 4096);
        struct vg_event ev;
        vg_event_init(&ev, &ar);
        for (size_t k = 0; k < VG_ARRAY_LEN(v->ev) && v->ev[k]; k++) assert_int_equal(add_field(&ev, v->ev[k]), 0);
        char ids[256];
        int n = both(ctx, &ev, ids, sizeof ids);
        bool ok = n >= 0 && strcmp(ids, v->want) == 0;
        if (v->warning) {
            ok = ok && rep.nwarn == 1 && strstr(rep.warn[0].reason, v->warning) && rep.warn[0].line > 0 && rep.warn[0].col > 0 &&
                 strcmp(rep.warn[0].file, "mf_test.yml") == 0;
        } else {
            ok = ok && rep.nwarn == 0;
        }
        printf("%-24s %-4s fired [%s] want [%s], %zu applied, %zu warnings%s%s\n", v->name, ok ? "ok" : "FAIL", n < 0 ? "evaluators differ" : ids,
               v->want, rep.filters_applied, rep.nwarn, rep.nwarn ? ": " : "", rep.nwarn ? rep.warn[0].reason : "");
        bad += !ok;
        vg_arena_release(&ar);
        vg_sigma_ctx_free(ctx);
        vg_sigma_report_release(&rep);
        vg_sigma_set_free(set);
    }
    assert_int_equal(bad, 0);
}

/* Bookkeeping: counts, per-rule filter counts, the filter's metadata, the
 * fields reported for a filtered hit (the rule's, not a negated filter's). */
static void test_filter_bookkeeping(void **st)
{
    (void)st;
    const char *f = F_ADMIN("{product: windows}", "[r1, whoami_exec, r4]");
    struct vg_sigma_set *set = vg_sigma_set_new();
    struct vg_sigma_report rep = VG_SIGMA_REPORT_INIT;
    assert_int_equal(vg_sigma_load_string(set, base_rules, strlen(base_rules), "base.yml", &rep), 0);
    assert_int_equal(vg_sigma_load_string(set, f, strlen(f), "mf.yml", &rep), 0);
    assert_int_equal(rep.loaded, 4);
    assert_int_equal(rep.filters, 1);
    assert_int_equal(rep.correlations, 1);
    assert_int_equal(vg_sigma_compile_report(set, &rep, NULL), 0);
    assert_int_equal(rep.filters_applied, 2); /* r1 (named twice: once) and r4 */
    assert_int_equal(rep.nwarn, 0);
    const struct vg_sigma_rule *fr = vg_sigma_rule_find(set, "f1");
    assert_non_null(fr);
    assert_int_equal(fr->kind, VG_SIGMA_FILTER);
    assert_non_null(fr->filter);
    assert_int_equal(fr->filter->nrules, 3);
    assert_string_equal(fr->filter->rules[1], "whoami_exec");
    assert_int_equal(fr->filter->line[0], 5);
    assert_int_equal(fr->filter->applied, 2);
    assert_int_equal(vg_sigma_rule_find(set, "r1")->nfilters, 1);
    assert_int_equal(vg_sigma_rule_find(set, "r2")->nfilters, 0);
    struct vg_sigma_ctx *ctx = vg_sigma_ctx_new(set);
    struct vg_arena ar;
    vg_arena_init(&ar, 4096);
    struct vg_event ev;
    vg_event_init(&ev, &ar);
    add_field(&ev, WHOAMI);
    add_field(&ev, "User=bob");
    const struct vg_sigma_hit *hits;
    assert_int_equal(vg_sigma_match(ctx, &ev, &hits), 2);
    assert_int_equal(hits[0].nfields, 1);
    assert_int_equal(hits[0].fields[0], vg_fid("Image", 5));
    vg_arena_release(&ar);
    vg_sigma_ctx_free(ctx);
    vg_sigma_report_release(&rep);
    vg_sigma_set_free(set);
}

/* Malformed filters: rejected with a reason and a position. */
static void test_filter_rejections(void **st)
{
    (void)st;
    static const struct { const char *y, *reason; int line; } cases[] = {
        {"title: f\nlogsource: {product: windows}\nfilter: [a]\n", "filter must be a map", 3},
        {"title: f\nfilter: {rules: any, s: {A: 1}, condition: not s}\n", "needs a logsource", 1},
        {"title: f\nlogsource: {product: windows}\nfilter:\n  s: {A: 1}\n  condition: not s\n", "needs `rules`", 4},
        {"title: f\nlogsource: {product: windows}\nfilter:\n  rules: [{a: b}]\n  s: {A: 1}\n  condition: not s\n", "rule ids or names", 4},
        {"title: f\nlogsource: {product: windows}\nfilter:\n  rules: {a: b}\n  s: {A: 1}\n  condition: not s\n", "list of rule ids", 4},
        {"title: f\nlogsource: {product: windows}\nfilter:\n  rules: [r1]\n  s: {A: 1}\n  condition: [not s, s]\n", "one text", 6},
        {"title: f\nlogsource: {product: windows}\nfilter:\n  rules: [r1]\n  s: {A: 1}\n", "no condition", 4},
        {"title: f\nlogsource: {product: windows}\nfilter:\n  rules: [r1]\n  s: {A: 1}\n  condition: not t\n", "t", 6},
        {"title: f\nlogsource: {product: windows}\nfilter:\n  rules: [r1]\n  s: {A|nosuchmod: 1}\n  condition: not s\n", "modifier", 5},
        {"title: f\nlogsource: {product: windows}\nfilter:\n  rules: [r1]\n  condition: not rules\n", "rules", 5},
        {"logsource: {product: windows}\nfilter: {rules: any, s: {A: 1}, condition: not s}\n", "title", 1},
    };
    for (size_t i = 0; i < VG_ARRAY_LEN(cases); i++) {
        struct vg_sigma_set *set = vg_sigma_set_new();
        struct vg_sigma_report rep = VG_SIGMA_REPORT_INIT;
        assert_int_equal(vg_sigma_load_string(set, cases[i].y, strlen(cases[i].y), "bad.yml", &rep), 0);
        printf("case %zu: %s:%d:%d: %s\n", i, rep.nrej ? rep.rej[0].file : "-", rep.nrej ? rep.rej[0].line : 0,
               rep.nrej ? rep.rej[0].col : 0, rep.nrej ? rep.rej[0].reason : "(loaded!)");
        assert_int_equal(rep.rejected, 1);
        assert_int_equal(rep.filters, 0);
        assert_non_null(strstr(rep.rej[0].reason, cases[i].reason));
        assert_int_equal(rep.rej[0].line, cases[i].line);
        assert_true(rep.rej[0].col > 0);
        vg_sigma_report_release(&rep);
        vg_sigma_set_free(set);
    }
    /* vg_sigma_load_filters takes filter documents only */
    char dir[] = "/tmp/vg_filters_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[512];
    snprintf(path, sizeof path, "%s/mf_mixed.yml", dir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(F_ADMIN("{product: windows}", "[r1]"), fp);
    fputs("---\n", fp);
    fputs("title: a rule\nlogsource: {product: windows}\ndetection: {s: {A: 1}, condition: s}\n", fp);
    fclose(fp);
    struct vg_sigma_set *set = vg_sigma_set_new();
    struct vg_sigma_report rep = VG_SIGMA_REPORT_INIT;
    assert_int_equal(vg_sigma_load_filters(set, dir, &rep), 0);
    assert_int_equal(rep.filters, 1);
    assert_int_equal(rep.loaded, 0);
    assert_int_equal(rep.rejected, 1);
    assert_non_null(strstr(rep.rej[0].reason, "not a filter document"));
    assert_int_equal(rep.rej[0].line, 9);
    vg_sigma_report_release(&rep);
    vg_sigma_set_free(set);
    remove(path);
    rmdir(dir);
}

/* The specification's example filters (sigma/spec/tests/schema/filter/):
 * filter_1 (windows/process_creation) applies to a rule of its log source
 * with the id it names; filter_ecs (network/dns) does not; references to
 * ids that are not loaded are warnings. */
static void test_spec_examples(void **st)
{
    (void)st;
    char path[4096];
    snprintf(path, sizeof path, "%s/sigma/spec/tests/schema/filter", shared_dir());
    const char *rule = "title: rar\nid: 6f3e2987-db24-4c78-a860-b4f4095a7095\n"
                       "logsource: {product: windows, category: process_creation}\n"
                       "detection: {sel: {Image|endswith: '\\rar.exe'}, condition: sel}\n";
    struct vg_sigma_set *set = vg_sigma_set_new();
    struct vg_sigma_report rep = VG_SIGMA_REPORT_INIT;
    assert_int_equal(vg_sigma_load_string(set, rule, strlen(rule), "rar.yml", &rep), 0);
    assert_int_equal(vg_sigma_load_path(set, path, &rep), 0);
    assert_int_equal(rep.rejected, 0);
    assert_int_equal(rep.filters, 2);
    assert_int_equal(vg_sigma_compile_report(set, &rep, NULL), 0);
    for (size_t i = 0; i < rep.nwarn; i++) printf("warning %s:%d:%d: %s\n", rep.warn[i].file, rep.warn[i].line, rep.warn[i].col, rep.warn[i].reason);
    assert_int_equal(rep.filters_applied, 1);
    /* filter_1: df0841c0 unknown; filter_ecs: 6f3e2987 of another log source, df0841c0 unknown */
    assert_int_equal(rep.nwarn, 3);
    /* `condition: selection` keeps only User adm_* events of the rule */
    struct vg_sigma_ctx *ctx = vg_sigma_ctx_new(set);
    struct vg_arena ar;
    vg_arena_init(&ar, 4096);
    const char *users[] = {"adm_joe", "joe"};
    for (int u = 0; u < 2; u++) {
        struct vg_event ev;
        vg_event_init(&ev, &ar);
        add_field(&ev, "Image=C:\\Program Files\\WinRAR\\rar.exe");
        vg_event_add_str(&ev, vg_fid("User", 4), 0, users[u], strlen(users[u]));
        char ids[128];
        assert_int_equal(both(ctx, &ev, ids, sizeof ids), u == 0 ? 1 : 0);
    }
    vg_arena_release(&ar);
    vg_sigma_ctx_free(ctx);
    vg_sigma_report_release(&rep);
    vg_sigma_set_free(set);
}

/* Exactness at scale: every SigmaHQ Windows rule, broad filters (negated
 * and positive, `rules: any`, with keywords and regexes), 10,000 generated
 * events: the fast path equals the naive evaluator on the filtered set, and
 * each event's filtered hits are a subset of its unfiltered hits. */
static const char broad_filters[] =
    "title: not system accounts\nlogsource: {product: windows}\nfilter:\n  rules: any\n"
    "  sys: {User|startswith: ['NT AUTHORITY', 'adm']}\n  condition: not sys\n"
    "---\n"
    "title: not updates or explorer children\nlogsource: {product: windows, category: process_creation}\nfilter:\n"
    "  rules: any\n  upd: {CommandLine|contains: update}\n  exp: {ParentImage|endswith: '\\explorer.exe'}\n"
    "  kw: ['-nop']\n  condition: not (upd or exp) and not kw\n"
    "---\n"
    "title: only registry writes by programs in a folder\nlogsource: {product: windows, category: registry_set}\nfilter:\n"
    "  rules: any\n  sel: {Image|re: '\\\\[A-Za-z]+\\\\'}\n  condition: sel\n";

static struct vg_sigma_set *windows_set(bool filtered, struct vg_sigma_report *rep)
{
    char path[4096];
    struct vg_err err = VG_ERR_INIT;
    struct vg_sigma_set *set = vg_sigma_set_new();
    assert_non_null(set);
    snprintf(path, sizeof path, "%s/rules/mappings", src_dir());
    assert_int_equal(vg_sigma_load_mappings(set, path, &err), 0);
    snprintf(path, sizeof path, "%s/sigma/rules/windows", shared_dir());
    assert_int_equal(vg_sigma_load_path(set, path, rep), 0);
    if (filtered) assert_int_equal(vg_sigma_load_string(set, broad_filters, sizeof broad_filters - 1, "broad.yml", rep), 0);
    assert_int_equal(vg_sigma_compile_report(set, rep, &err), 0);
    return set;
}

static void test_fastpath_exact_with_filters(void **st)
{
    (void)st;
    struct vg_sigma_report rf = VG_SIGMA_REPORT_INIT, ru = VG_SIGMA_REPORT_INIT;
    int64_t t0 = vg_mono_ns();
    struct vg_sigma_set *fs = windows_set(true, &rf), *us = windows_set(false, &ru);
    printf("windows rules: %zu loaded, %zu filters applied %zu times, %zu warnings, %.0f ms for both sets\n", rf.loaded, rf.filters,
           rf.filters_applied, rf.nwarn, (vg_mono_ns() - t0) / 1e6);
    assert_int_equal(rf.filters, 3);
    assert_true(rf.filters_applied > 1000);
    assert_int_equal(rf.nwarn, 0);
    struct vg_sigma_ctx *fc = vg_sigma_ctx_new(fs), *uc = vg_sigma_ctx_new(us);
    assert_non_null(fc);
    assert_non_null(uc);
    struct vg_arena ar;
    vg_arena_init(&ar, 1 << 16);
    size_t nev = 10000, fhits = 0, uhits = 0, diff = 0, notsub = 0;
    for (size_t i = 0; i < nev; i++) {
        vg_arena_reset(&ar);
        struct vg_event ev;
        vg_event_init(&ev, &ar);
        assert_int_equal(vg_gen_sysmon_event(7, i, &ev), 0);
        char fids[2048];
        const struct vg_sigma_hit *fh, *uh;
        int nf = both_hits(fc, &ev, fids, sizeof fids, &fh);
        if (nf < 0) { diff++; continue; }
        int nu = vg_sigma_match(uc, &ev, &uh);
        assert_true(nu >= 0);
        fhits += (size_t)nf;
        uhits += (size_t)nu;
        /* every filtered hit is an unfiltered hit of the same rule */
        for (int a = 0; a < nf; a++) {
            bool found = false;
            for (int b = 0; b < nu && !found; b++) found = strcmp(fh[a].rule->file, uh[b].rule->file) == 0 && fh[a].rule->line == uh[b].rule->line;
            notsub += !found;
        }
    }
    printf("%zu events: %zu hits unfiltered, %zu filtered; fast/naive differences %zu, filtered hits not unfiltered %zu\n", nev, uhits,
           fhits, diff, notsub);
    assert_int_equal(diff, 0);
    assert_int_equal(notsub, 0);
    assert_true(fhits < uhits); /* the filters removed something */
    assert_true(fhits > 0);     /* and not everything */
    vg_arena_release(&ar);
    vg_sigma_ctx_free(fc);
    vg_sigma_ctx_free(uc);
    vg_sigma_report_release(&rf);
    vg_sigma_report_release(&ru);
    vg_sigma_set_free(fs);
    vg_sigma_set_free(us);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_filter_vectors),
        cmocka_unit_test(test_filter_bookkeeping),
        cmocka_unit_test(test_filter_rejections),
        cmocka_unit_test(test_spec_examples),
        cmocka_unit_test(test_fastpath_exact_with_filters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
