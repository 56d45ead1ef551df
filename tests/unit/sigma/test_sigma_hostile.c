/* Hostile input: malformed YAML, binary, invalid UTF-8, deep nesting (YAML
 * and condition), huge lists and maps (200,000 keys), enormous strings and
 * names, catastrophic regexes, windash/expand blow-ups, aliases anywhere
 * (billion laughs), duplicate keys, oversized and empty files. Each must be rejected
 * with a reason (and a position where one exists), quickly and without
 * growing memory beyond a bound. */
#include "common.h"

struct hcase {
    const char *name;
    char *text;      /* vg_malloc'd */
    size_t len;
    const char *reason; /* substring expected in the rejection */
};

static char *rule_with(const char *det, size_t *len)
{
    struct vg_buf b = VG_BUF_INIT;
    b.cap_limit = 64u << 20;
    vg_buf_addf(&b, "title: hostile\nlogsource: {product: test}\ndetection:\n%s\n", det);
    return vg_buf_detach(&b, len);
}

static char *repeat(const char *head, const char *unit, size_t n, const char *tail, size_t *len)
{
    struct vg_buf b = VG_BUF_INIT;
    b.cap_limit = 64u << 20;
    vg_buf_adds(&b, head);
    for (size_t i = 0; i < n; i++) vg_buf_adds(&b, unit);
    vg_buf_adds(&b, tail);
    return vg_buf_detach(&b, len);
}

static void check_rejected(const char *name, const char *text, size_t len, const char *reason, bool want_pos)
{
    struct vg_sigma_set *set = vg_sigma_set_new();
    struct vg_sigma_report rep = VG_SIGMA_REPORT_INIT;
    int64_t t0 = vg_mono_ns();
    int rc = vg_sigma_load_string(set, text, len, name, &rep);
    double ms = (vg_mono_ns() - t0) / 1e6;
    printf("%-28s %8zu bytes  %7.1f ms  %s\n", name, len, ms, rep.nrej ? rep.rej[0].reason : "(loaded!)");
    assert_int_equal(rc, 0);
    assert_int_equal(rep.loaded, 0);
    assert_true(rep.rejected >= 1);
    if (reason && !strstr(rep.rej[0].reason, reason)) {
        printf("  expected reason containing '%s'\n", reason);
        fail();
    }
    if (want_pos) assert_true(rep.rej[0].line > 0 && rep.rej[0].col > 0);
    assert_true(ms < 5000);
    vg_sigma_report_release(&rep);
    vg_sigma_set_free(set);
}

static void test_hostile(void **st)
{
    (void)st;
    long rss0 = rss_kib();
    size_t len;
    char *t;
    int64_t t0 = vg_mono_ns();

    check_rejected("unclosed-flow", "title: x\nlogsource: {product: a\ndetection: {}\n", 43, "YAML", true);
    check_rejected("bad-indent", "title: x\n  logsource: y\n bad: [\n", 33, "YAML", true);
    check_rejected("unclosed-quote", "title: \"x\ndetection: y\n", 23, "YAML", true);
    check_rejected("binary", "\x00\x01\x02\xff\xfe\x00garbage", 13, NULL, true);
    check_rejected("invalid-utf8", "title: \xc3\x28\nlogsource: {}\n", 24, "UTF-8", true);
    check_rejected("empty-file", "", 0, "no YAML document", true);
    check_rejected("comments-only", "# nothing\n", 10, "no YAML document", true);
    check_rejected("not-a-map", "- a\n- b\n", 8, "not a map", true);
    check_rejected("scalar-doc", "just text\n", 10, "not a map", true);
    check_rejected("no-detection", "title: x\nlogsource: {product: a}\n", 33, "missing detection", true);
    check_rejected("no-logsource", "title: x\ndetection: {a: {A: 1}, condition: a}\n", 46, "logsource", true);
    check_rejected("no-title", "logsource: {product: a}\ndetection: {a: {A: 1}, condition: a}\n", 61, "title", true);

    t = repeat("title: x\nlogsource: {product: a}\ndetection: {a: ", "[", 20000, "", &len);
    check_rejected("yaml-deep-nesting", t, len, "YAML", true);
    vg_free(t);
    t = repeat("title: x\nlogsource: {product: a}\ndetection: {a: ", "{a: ", 20000, "", &len);
    check_rejected("yaml-deep-maps", t, len, "YAML", true);
    vg_free(t);

    char *c = repeat("    sel: {A: x}\n    condition: ", "(", 5000, "sel", &len);
    t = rule_with(c, &len);
    check_rejected("condition-deep-parens", t, len, "nested too deeply", true);
    vg_free(c);
    vg_free(t);
    c = repeat("    sel: {A: x}\n    condition: ", "not ", 100000, "sel", &len);
    t = rule_with(c, &len);
    check_rejected("condition-not-chain", t, len, "condition", true);
    vg_free(c);
    vg_free(t);
    c = repeat("    sel: {A: x}\n    condition: sel", " or sel", 200000, "", &len);
    t = rule_with(c, &len);
    check_rejected("condition-huge", t, len, "condition", true);
    vg_free(c);
    vg_free(t);

    c = repeat("    sel:\n      A:\n", "        - x\n", 70000, "    condition: sel", &len);
    t = rule_with(c, &len);
    check_rejected("huge-list", t, len, "values under one field", true);
    vg_free(c);
    vg_free(t);
    c = repeat("    sel:\n      A: '", "x", 100000, "'\n    condition: sel", &len);
    t = rule_with(c, &len);
    check_rejected("enormous-string", t, len, "longer than", true);
    vg_free(c);
    vg_free(t);
    c = repeat("    sel:\n", "      A|contains: x\n", 1, "    condition: sel and sel", &len);
    vg_free(c);

    t = rule_with("    sel:\n      A|re: '(a+)+$'\n    condition: sel", &len);
    check_rejected("regex-catastrophic-1", t, len, "backtracks catastrophically", true);
    vg_free(t);
    t = rule_with("    sel:\n      A|re: '(x+x+)+y|(a|aa)*$'\n    condition: sel", &len);
    check_rejected("regex-catastrophic-2", t, len, "backtracks catastrophically", true);
    vg_free(t);
    t = rule_with("    sel:\n      A|re: '(((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((a)))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))'\n    condition: sel", &len);
    check_rejected("regex-parens", t, len, "does not compile", true);
    vg_free(t);
    c = repeat("    sel:\n      A|re: '", "((?:ab|cd){999}){99}", 10, "'\n    condition: sel", &len);
    t = rule_with(c, &len);
    check_rejected("regex-huge", t, len, "regular expression", true);
    vg_free(c);
    vg_free(t);

    t = rule_with("    sel:\n      A|windash: '-a -b -c -d -e -f -g'\n    condition: sel", &len);
    check_rejected("windash-blowup", t, len, "windash expands", true);
    vg_free(t);
    t = rule_with("    sel:\n      A|base64offset: 'x*y'\n    condition: sel", &len);
    check_rejected("base64-wildcard", t, len, "wildcards", true);
    vg_free(t);
    t = rule_with("    sel: &anchor {A: x}\n    other: *anchor\n    condition: sel and other", &len);
    check_rejected("yaml-alias", t, len, "aliases", true);
    vg_free(t);
    /* billion laughs: aliases are never expanded */
    const char *laughs = "title: x\nlogsource: {product: a}\na: &a [l, l, l, l, l, l, l, l, l]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n"
                         "c: &c [*b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c]\n"
                         "detection: {sel: {A: *d}, condition: sel}\n";
    check_rejected("billion-laughs", laughs, strlen(laughs), "aliases", true);
    /* ... nor anywhere else in the document */
    const char *laughs2 = "title: x\nlogsource: {product: a}\na: &a [l, l, l, l, l, l, l, l, l]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n"
                          "c: &c [*b, *b, *b, *b, *b, *b, *b, *b]\ntags: *c\ndetection: {sel: {A: x}, condition: sel}\n";
    check_rejected("billion-laughs-metadata", laughs2, strlen(laughs2), "aliases", true);
    c = repeat("    sel:\n      A", "|contains", 20000, ": x\n    condition: sel", &len);
    t = rule_with(c, &len);
    check_rejected("long-modifier-chain", t, len, "too many modifiers", true);
    vg_free(c);
    vg_free(t);
    c = repeat("    sel:\n      ", "A", 100000, ": x\n    condition: sel", &len);
    t = rule_with(c, &len);
    check_rejected("long-field-name", t, len, "field name", true);
    vg_free(c);
    vg_free(t);
    t = repeat("title: ", "T", 1000000, "\nlogsource: {product: a}\ndetection: {sel: {A: x}, condition: sel}\n", &len);
    check_rejected("long-title", t, len, "title longer", true);
    vg_free(t);
    {
        struct vg_buf b = VG_BUF_INIT;
        b.cap_limit = 64u << 20;
        vg_buf_adds(&b, "title: x\nlogsource: {product: a}\ndetection:\n");
        for (int i = 0; i < 24000; i++) vg_buf_addf(&b, "  s%d: {A: x}\n", i);
        vg_buf_adds(&b, "  condition: all of them\n");
        /* libfyaml's duplicate-key check is quadratic (20,000 keys: 14 s);
         * the loader parses without it and checks duplicates in linear time
         * (24,000 identifiers = 96,000 nodes, just under the node cap) */
        check_rejected("many-identifiers", b.data, b.len, "search identifiers", true);
        vg_buf_release(&b);
    }
    {
        struct vg_buf b = VG_BUF_INIT;
        b.cap_limit = 64u << 20;
        vg_buf_adds(&b, "title: x\nlogsource: {product: a}\nextra: {");
        for (int i = 0; i < 30000; i++) vg_buf_addf(&b, "%sk%d: 1", i ? ", " : "", i);
        vg_buf_adds(&b, ", k77: 2}\ndetection: {sel: {A: x}, condition: sel}\n");
        check_rejected("duplicate-in-huge-map", b.data, b.len, "duplicate key", true);
        vg_buf_release(&b);
    }
    t = rule_with("    sel: {A: 1}\n    sel: {B: 2}\n    condition: sel", &len);
    check_rejected("duplicate-identifier", t, len, "duplicate key", true);
    vg_free(t);
    /* the YAML parser's memory: too many nodes are refused before parsing */
    c = repeat("    sel:\n      A: [", "x, ", 1300000, "y]\n    condition: sel", &len);
    t = rule_with(c, &len);
    check_rejected("too-many-nodes", t, len, "YAML nodes", true);
    vg_free(c);
    vg_free(t);
    c = repeat("    sel:\n      A:\n", "        - x\n", 110000, "    condition: sel", &len);
    t = rule_with(c, &len);
    check_rejected("too-many-list-lines", t, len, "YAML nodes", true);
    vg_free(c);
    vg_free(t);
    c = repeat("    sel:\n      A: [", "x, ", 16000, "y]\n    condition: sel", &len);
    t = rule_with(c, &len);
    {   /* a big but allowed flow list: loads, within the time bound */
        struct vg_sigma_set *set = vg_sigma_set_new();
        struct vg_sigma_report rep = VG_SIGMA_REPORT_INIT;
        int64_t t1 = vg_mono_ns();
        assert_int_equal(vg_sigma_load_string(set, t, len, "big-list", &rep), 0);
        assert_int_equal(vg_sigma_compile(set, NULL), 0);
        double ms = (vg_mono_ns() - t1) / 1e6;
        printf("%-28s %8zu bytes  %7.1f ms  (loaded: 16,001 values)\n", "big-list-allowed", len, ms);
        assert_int_equal(rep.loaded, 1);
        assert_true(ms < 5000);
        vg_sigma_report_release(&rep);
        vg_sigma_set_free(set);
    }
    vg_free(c);
    vg_free(t);
    c = repeat("    sel: {A: x}\n    condition: ", "1 of them and ", 3000, "sel", &len);
    t = rule_with(c, &len);
    check_rejected("condition-wide", t, len, "condition", true);
    vg_free(c);
    vg_free(t);
    /* many identifiers, each inlined many times: the program size cap holds */
    {
        struct vg_buf b = VG_BUF_INIT;
        b.cap_limit = 64u << 20;
        vg_buf_adds(&b, "title: x\nlogsource: {product: a}\ndetection:\n");
        for (int i = 0; i < 1000; i++) vg_buf_addf(&b, "  s%d: {A: [a, b, c, d]}\n", i);
        vg_buf_adds(&b, "  condition: 1 of them");
        for (int i = 0; i < 200; i++) vg_buf_adds(&b, " and all of them");
        vg_buf_adds(&b, "\n");
        check_rejected("program-blowup", b.data, b.len, "program", true);
        vg_buf_release(&b);
    }
    t = repeat("title: x\ndescription: '", "y", 5u << 20, "'\n", &len);
    check_rejected("oversized-file", t, len, "4 MiB", true);
    vg_free(t);
    t = rule_with("    sel:\n      A|cidr|contains: '10.0.0.0/8'\n    condition: sel", &len);
    check_rejected("cidr-with-transform", t, len, "cannot be combined", true);
    vg_free(t);
    t = rule_with("    sel:\n      A|gt|lt: 5\n    condition: sel", &len);
    check_rejected("conflicting-kinds", t, len, "conflicting", true);
    vg_free(t);
    t = rule_with("    sel:\n      A: {nested: map}\n    condition: sel", &len);
    check_rejected("map-value", t, len, "not a map", true);
    vg_free(t);
    t = rule_with("    sel:\n      A: [[1, 2]]\n    condition: sel", &len);
    check_rejected("nested-list", t, len, "scalars", true);
    vg_free(t);
    t = rule_with("    sel: {}\n    condition: sel", &len);
    check_rejected("empty-selection", t, len, "empty", true);
    vg_free(t);
    t = rule_with("    sel:\n      A: []\n    condition: sel", &len);
    check_rejected("empty-value-list", t, len, "empty value list", true);
    vg_free(t);

    double total = (vg_mono_ns() - t0) / 1e9;
    long rss1 = rss_kib();
    printf("hostile cases: %.2f s total, RSS %ld -> %ld MiB\n", total, rss0 / 1024, rss1 / 1024);
    assert_true(total < 30);
    /* AddressSanitizer keeps freed memory in quarantine and pads every
     * allocation: the bound is for the real allocator */
#if defined(__SANITIZE_ADDRESS__)
    const long bound = 1024 * 1024;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    const long bound = 1024 * 1024;
#else
    const long bound = 256 * 1024;
#endif
#else
    const long bound = 256 * 1024;
#endif
    assert_true(rss1 - rss0 < bound);
}

/* A regex that survives the load-time probe is still bounded at match time. */
static void test_regex_bounded_at_match(void **st)
{
    (void)st;
    const char *y = "title: r\nlogsource: {product: t}\ndetection: {sel: {A|re: '^(x+x+)+$'}, condition: sel}\n";
    struct vg_sigma_set *set = vg_sigma_set_new();
    struct vg_sigma_report rep = VG_SIGMA_REPORT_INIT;
    assert_int_equal(vg_sigma_load_string(set, y, strlen(y), "r", &rep), 0);
    if (rep.rejected) {
        printf("rejected at load: %s\n", rep.rej[0].reason);
        assert_non_null(strstr(rep.rej[0].reason, "regular expression"));
    } else {
        assert_int_equal(vg_sigma_compile(set, NULL), 0);
        struct vg_sigma_ctx *ctx = vg_sigma_ctx_new(set);
        struct vg_arena ar;
        vg_arena_init(&ar, 4096);
        struct vg_event ev;
        vg_event_init(&ev, &ar);
        char subj[4096];
        memset(subj, 'x', sizeof subj);
        subj[sizeof subj - 1] = '!';
        vg_event_add_str(&ev, vg_fid("A", 1), 0, subj, sizeof subj);
        int64_t t0 = vg_mono_ns();
        const struct vg_sigma_hit *hits;
        assert_int_equal(vg_sigma_match_naive(ctx, &ev, &hits), 0);
        double ms = (vg_mono_ns() - t0) / 1e6;
        printf("pathological regex at match time: %.1f ms, limited %llu\n", ms, (unsigned long long)vg_sigma_ctx_regex_limited(ctx));
        assert_true(ms < 2000);
        assert_true(vg_sigma_ctx_regex_limited(ctx) >= 1);
        /* the fast path agrees (Vectorscan rules the subject out before PCRE2 runs) */
        t0 = vg_mono_ns();
        assert_int_equal(vg_sigma_match(ctx, &ev, &hits), 0);
        printf("same event through the prefilter: %.2f ms\n", (vg_mono_ns() - t0) / 1e6);
        vg_arena_release(&ar);
        vg_sigma_ctx_free(ctx);
    }
    vg_sigma_report_release(&rep);
    vg_sigma_set_free(set);
}

/* Allocation failures anywhere in load and match never crash or leak. */
static void test_alloc_failures(void **st)
{
    (void)st;
    const char *y = "title: t\nid: x\ntags: [attack.execution, attack.t1059]\nlogsource: {product: t}\n"
                    "detection:\n  a: {A|contains|windash: ' -x', B|re: 'a+b', C|cidr: '10.0.0.0/8'}\n"
                    "  b: [{D|base64offset|contains: foo}, {E: [null, '', 'x*y?z']}]\n  k: [kw1, kw2]\n"
                    "  condition: (a or 1 of b*) and not k\n";
    for (long n = 1; n < 400; n++) {
        struct vg_sigma_set *set = vg_sigma_set_new();
        if (!set) continue;
        struct vg_sigma_report rep = VG_SIGMA_REPORT_INIT;
        vg_alloc_fail_after(n);
        int rc = vg_sigma_load_string(set, y, strlen(y), "t", &rep);
        if (rc == 0 && rep.loaded == 1) {
            if (vg_sigma_compile(set, NULL) == 0) {
                struct vg_sigma_ctx *ctx = vg_sigma_ctx_new(set);
                if (ctx) {
                    struct vg_arena ar;
                    vg_arena_init(&ar, 4096);
                    struct vg_event ev;
                    vg_event_init(&ev, &ar);
                    vg_event_add_str(&ev, vg_fid("E", 1), 0, "", 0);
                    const struct vg_sigma_hit *hits;
                    (void)vg_sigma_match(ctx, &ev, &hits);
                    vg_arena_release(&ar);
                    vg_sigma_ctx_free(ctx);
                }
            }
        }
        vg_alloc_fail_after(0);
        vg_sigma_report_release(&rep);
        vg_sigma_set_free(set);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_regex_bounded_at_match),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
