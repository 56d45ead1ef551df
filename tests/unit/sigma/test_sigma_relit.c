/* Required literals of regexes in the fast path (prefilter.c,
 * re_literals): a `re` leaf whose pattern is a concatenation/alternation
 * the extractor understands is covered by the longest literal run of each
 * top-level branch instead of a HS_FLAG_PREFILTER regex. Each case checks
 * which way the regex went (the prefilter's regex_patterns count: 0 =
 * replaced by literals, 1 = kept) and that the fast path and the naive
 * evaluator agree with the expected outcome on values around the edges:
 * optional and repeated characters, alternation, groups, classes, escapes,
 * case (caseless Unicode folding: the Kelvin sign matches k under `i`). */
#include "common.h"
#include <stdio.h>
#include <string.h>

#define KELVIN "\xE2\x84\xAA" /* U+212A, folds to k */

struct rcase {
    const char *name;
    const char *det;        /* YAML lines under detection: */
    size_t regexes;         /* expected prefilter regexes */
    const char *val[5];
    int want[5];
};

static const struct rcase cases[] = {
    {"space-class", "    sel:\n      CommandLine|re: 'net\\s+user'\n    condition: sel", 0,
     {"net   user x", "x net\tuser", "NET USER", "netuser", "net user"}, {1, 1, 0, 0, 1}},
    {"caseless", "    sel:\n      CommandLine|re|i: 'mimikatz'\n    condition: sel", 0,
     {"MimiKatz.exe", "mimi" KELVIN "atz", "mimi katz", "x", 0}, {1, 1, 0, 0}},
    {"inline-i", "    sel:\n      CommandLine|re: '(?i)power[s]hell\\.exe'\n    condition: sel", 0,
     {"POWERSHELL.EXE -x", "powershellXexe", "hell.ex", "power" KELVIN, 0}, {1, 0, 0, 0}},
    {"optional", "    sel:\n      CommandLine|re: 'https?://evil'\n    condition: sel", 0,
     {"https://evil.com", "http://evil", "ftp://evil", "https:/evil", 0}, {1, 1, 0, 0}},
    {"alternation", "    sel:\n      CommandLine|re: 'foo1bar|baz2qux'\n    condition: sel", 0,
     {"xx baz2qux", "foo1bar", "foo1qux", "baz2bar", 0}, {1, 1, 0, 0}},
    {"plus", "    sel:\n      CommandLine|re: 'abc+def'\n    condition: sel", 0,
     {"abcccdef", "abcdef", "abdef", "abcdf", 0}, {1, 1, 0, 0}},
    {"brace-zero", "    sel:\n      CommandLine|re: 'xyz{0,2}abcd'\n    condition: sel", 0,
     {"xyabcd", "xyzzabcd", "xyzzzabcd", "xabcd", 0}, {1, 1, 0, 0}},
    {"star", "    sel:\n      CommandLine|re: 'qwerty*uiop'\n    condition: sel", 0,
     {"qwertuiop", "qwertyyyuiop", "qwerdyuiop", 0}, {1, 1, 0}},
    {"escapes", "    sel:\n      CommandLine|re: 'C:\\\\x\\|y[|]z\\x41BC'\n    condition: sel", 0,
     {"C:\\x|y|zABC", "C:\\x|y|zabc", "C:\\x|yzABC", 0}, {1, 0, 0}},
    {"groups", "    sel:\n      CommandLine|re: '(?=abc)abcdef(?:gh|ij)klm(x|y)?'\n    condition: sel", 0,
     {"abcdefghklm", "abcdefijklmx", "abcdefklm", "abcdefgh", 0}, {1, 1, 0, 0}},
    {"dot", "    sel:\n      CommandLine|re: 'evil\\.exe'\n    condition: sel", 0,
     {"evil.exe", "evilXexe", "EVIL.EXE", 0}, {1, 0, 0}},
    {"posix-class", "    sel:\n      CommandLine|re: '[[:alpha:]]]xyz'\n    condition: sel", 1,
     {"a]xyz", "]xyz", 0}, {1, 0}},
    /* short literals are covers too: one byte is a memchr */
    {"short-branch", "    sel:\n      CommandLine|re: 'abcdef|gh'\n    condition: sel", 0,
     {"abcdef", "xgh", "abc", 0}, {1, 1, 0}},
    {"one-byte", "    sel:\n      CommandLine|re: '\\+.*\\+.*\\+'\n    condition: sel", 0,
     {"a+b+c+", "++", "+x+", "abc", 0}, {1, 0, 0, 0}},
    /* [Pp] classes: a caseless literal (a superset of the case-sensitive regex) */
    {"case-class", "    sel:\n      CommandLine|re: '[Pp]rogram[Dd]ata\\\\'\n    condition: sel", 0,
     {"C:\\ProgramData\\x", "c:\\programdata\\", "C:\\PROGRAMDATA\\", "C:\\ProgramData", "C:\\pROGRAMdATA\\"}, {1, 1, 0, 0, 0}},
    {"newline", "    sel:\n      CommandLine|re: 'a\\n\\tb'\n    condition: sel", 0,
     {"xa\n\tb", "a\\n\\tb", "a\n b", 0}, {1, 0, 0}},
    /* kept as regexes: a branch without any literal, option settings */
    {"no-literal", "    sel:\n      CommandLine|re: 'abcdef|\\d+'\n    condition: sel", 1,
     {"abcdef", "x12", "abc", 0}, {1, 1, 0}},
    {"option", "    sel:\n      CommandLine|re: 'abc(?s)def'\n    condition: sel", 1,
     {"abcdef", "abcDEF", 0}, {1, 0}},
    /* all: the cheapest regex (the literal 'barbaz'); the other is not in the cover */
    {"all", "    sel:\n      CommandLine|re|all:\n        - 'first\\d+barbaz'\n        - 'zz\\d'\n    condition: sel", 0,
     {"first12barbaz zz1", "first12barbaz", "zz1", 0}, {1, 0, 0}},
    /* an AND: the extracted literal (long) is the cheaper operand, the other one vetoes */
    {"and", "    sel:\n      CommandLine|re: 'longliteral\\d+'\n      Image|endswith: '\\x.exe'\n    condition: sel", 0,
     {"longliteral1", "longliteral", 0}, {1, 0}},
};

static void run_case(const struct rcase *c)
{
    struct vg_buf y = VG_BUF_INIT;
    assert_int_equal(vg_buf_addf(&y, "title: %s\nlogsource:\n    product: test\ndetection:\n%s\n", c->name, c->det), 0);
    struct vg_sigma_set *set = vg_sigma_set_new();
    struct vg_sigma_report rep = VG_SIGMA_REPORT_INIT;
    struct vg_err err = VG_ERR_INIT;
    assert_int_equal(vg_sigma_load_string(set, y.data, y.len, c->name, &rep), 0);
    if (rep.rejected) printf("%s: rejected\n", c->name);
    assert_int_equal(rep.rejected, 0);
    assert_int_equal(vg_sigma_compile(set, &err), 0);
    struct vg_sigma_pf_info pi;
    vg_sigma_prefilter_info(set, &pi);
    if (pi.regex_patterns != c->regexes) printf("%s: %zu regexes, want %zu\n", c->name, pi.regex_patterns, c->regexes);
    assert_int_equal(pi.regex_patterns, c->regexes);
    struct vg_sigma_ctx *ctx = vg_sigma_ctx_new(set);
    assert_non_null(ctx);
    struct vg_arena ar;
    vg_arena_init(&ar, 4096);
    uint32_t cl = vg_fid("CommandLine", 11), img = vg_fid("Image", 5);
    bool isand = strcmp(c->name, "and") == 0;
    for (size_t i = 0; i < 5 && c->val[i]; i++) {
        for (int variant = 0; variant < 2; variant++) {
            struct vg_event ev;
            vg_event_init(&ev, &ar);
            assert_int_equal(vg_event_add_str(&ev, cl, VG_FF_SOURCE, c->val[i], strlen(c->val[i])), 0);
            if (variant) assert_int_equal(vg_event_add_str(&ev, img, VG_FF_SOURCE, "C:\\X.exe", 8), 0);
            const struct vg_sigma_hit *hits;
            int fast = vg_sigma_match(ctx, &ev, &hits);
            int naive = vg_sigma_match_naive(ctx, &ev, &hits);
            int want = isand ? c->want[i] && variant : c->want[i];
            if (fast != want || naive != want)
                printf("%s value %zu variant %d: fast %d naive %d want %d\n", c->name, i, variant, fast, naive, want);
            assert_int_equal(fast, want);
            assert_int_equal(naive, want);
        }
    }
    vg_arena_release(&ar);
    vg_sigma_ctx_free(ctx);
    vg_sigma_report_release(&rep);
    vg_sigma_set_free(set);
    vg_buf_release(&y);
}

static void test_relit(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) run_case(&cases[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_relit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
