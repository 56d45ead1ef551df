/* Unit tests for the search-language parser (src/store/query.c): table tests
 * with expected AST printouts, error cases with columns, hostile inputs
 * (deep nesting, thousands of terms, unbalanced quotes), and the wildcard
 * matcher. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "vigil/query.h"

static char *ast(const char *text, int *rc, struct vg_err *e)
{
    struct vg_query q = VG_QUERY_INIT;
    *rc = vg_query_parse(&q, text, e);
    if (*rc) { assert_null(q.root); return NULL; }
    struct vg_buf b = VG_BUF_INIT;
    assert_int_equal(vg_query_format(q.root, &b), 0);
    vg_query_release(&q);
    assert_null(q.root);
    return vg_buf_detach(&b, NULL);
}

static void check(const char *text, const char *want)
{
    int rc;
    struct vg_err e = VG_ERR_INIT;
    char *got = ast(text, &rc, &e);
    if (rc) fail_msg("query '%s' failed: %s", text, e.msg);
    if (strcmp(got, want) != 0) fail_msg("query '%s'\n  got  %s\n  want %s", text, got, want);
    vg_free(got);
}

static void check_err(const char *text, int code, int col)
{
    int rc;
    struct vg_err e = VG_ERR_INIT;
    char *got = ast(text, &rc, &e);
    if (rc == 0) fail_msg("query '%s' should fail, parsed as %s", text, got);
    if (rc != code) fail_msg("query '%s': code %d want %d (%s)", text, rc, code, e.msg);
    if (col && e.col != col) fail_msg("query '%s': column %d want %d (%s)", text, e.col, col, e.msg);
    assert_true(e.msg[0] != 0);
}

static void test_forms(void **st)
{
    (void)st;
    static const char *const cases[][2] = {
        {"", "ALL"},
        {"   ", "ALL"},
        {"*", "ALL"},
        {"user.name:alice", "(EQ user.name \"alice\")"},
        {"alice", "(EQ _ \"alice\")"},
        {"fail*", "(LIKE _ \"fail*\")"},
        {"user.name:al?ce", "(LIKE user.name \"al?ce\")"},
        {"\"failed password\"", "(PHRASE _ \"failed password\")"},
        {"message:\"a \\\"quoted\\\" word\"", "(PHRASE message \"a \\\"quoted\\\" word\")"},
        {"a b", "(AND (EQ _ \"a\") (EQ _ \"b\"))"},
        {"a AND b", "(AND (EQ _ \"a\") (EQ _ \"b\"))"},
        {"a OR b c", "(OR (EQ _ \"a\") (AND (EQ _ \"b\") (EQ _ \"c\")))"},
        {"a b OR c", "(OR (AND (EQ _ \"a\") (EQ _ \"b\")) (EQ _ \"c\"))"},
        {"(a OR b) c", "(AND (OR (EQ _ \"a\") (EQ _ \"b\")) (EQ _ \"c\"))"},
        {"NOT a", "(NOT (EQ _ \"a\"))"},
        {"NOT NOT a", "(NOT (NOT (EQ _ \"a\")))"},
        {"a AND NOT b", "(AND (EQ _ \"a\") (NOT (EQ _ \"b\")))"},
        {"process.pid:>100", "(GT process.pid \"100\")"},
        {"process.pid:>=100", "(GTE process.pid \"100\")"},
        {"x:<-1.5", "(LT x \"-1.5\")"},
        {"x:<=2e3", "(LTE x \"2e3\")"},
        {"source.ip:10.0.0.0/8", "(CIDR source.ip \"10.0.0.0/8\")"},
        {"source.ip:fe80::/10", "(CIDR source.ip \"fe80::/10\")"},
        {"source.ip:10.1.2.3", "(EQ source.ip \"10.1.2.3\")"},
        {"source.ip:fe80::1", "(EQ source.ip \"fe80::1\")"},
        {"url.path:/a/b", "(EQ url.path \"/a/b\")"},
        {"user.name:*", "(EXISTS user.name)"},
        {"Image:*\\\\cmd.exe", "(LIKE Image \"*\\\\\\\\cmd.exe\")"},
        {"file.path:C\\:\\\\x", "(EQ file.path \"C:\\\\x\")"},
        {"a\\*b", "(EQ _ \"a*b\")"},
        {"a\\*b*", "(LIKE _ \"a\\\\*b*\")"},
        {"host.name:(web1 OR web2)", "(OR (EQ host.name \"web1\") (EQ host.name \"web2\"))"},
        {"sshd.user:root AND event.outcome:failure", "(AND (EQ sshd.user \"root\") (EQ event.outcome \"failure\"))"},
        {"and or not", "(AND (AND (EQ _ \"and\") (EQ _ \"or\")) (EQ _ \"not\"))"},
        {"ANDROID", "(EQ _ \"ANDROID\")"},
        {"'; DROP TABLE partitions; --", "(AND (AND (AND (AND (EQ _ \"';\") (EQ _ \"DROP\")) (EQ _ \"TABLE\")) (EQ _ \"partitions;\")) (EQ _ \"--\"))"},
        {"user.name:\"\"", "(PHRASE user.name \"\")"},
        {"@timestamp:*", "(EXISTS @timestamp)"},
        {"(((a)))", "(EQ _ \"a\")"},
        {"\"unicode é\"", "(PHRASE _ \"unicode é\")"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) check(cases[i][0], cases[i][1]);
}

static void test_errors(void **st)
{
    (void)st;
    check_err("\"unterminated", VG_EPARSE, 1);
    check_err("a \"b c", VG_EPARSE, 3);
    check_err("(a", VG_EPARSE, 1);
    check_err("a)", VG_EPARSE, 2);
    check_err(")", VG_EPARSE, 1);
    check_err("()", VG_EPARSE, 2);
    check_err("a AND", VG_EPARSE, 6);
    check_err("AND a", VG_EPARSE, 1);
    check_err("a OR OR b", VG_EPARSE, 6);
    check_err("NOT", VG_EPARSE, 4);
    check_err("user.name:", VG_EPARSE, 11);
    check_err("user.name: x", VG_EPARSE, 11);
    check_err("x:>abc", VG_EPARSE, 4);
    check_err("x:>", VG_EPARSE, 0);
    check_err("a\\", VG_EPARSE, 2);
    check_err("a:(b:c)", VG_EPARSE, 4);
    check_err("bad\xff", VG_EUTF8, 1);
}

static void test_hostile(void **st)
{
    (void)st;
    char buf[5000];
    /* nesting deeper than 64 */
    size_t n = 0;
    for (int i = 0; i < 100; i++) buf[n++] = '(';
    buf[n++] = 'a';
    for (int i = 0; i < 100; i++) buf[n++] = ')';
    buf[n] = 0;
    check_err(buf, VG_ETOOBIG, 65);
    /* 64 levels is fine */
    n = 0;
    for (int i = 0; i < 64; i++) buf[n++] = '(';
    buf[n++] = 'a';
    for (int i = 0; i < 64; i++) buf[n++] = ')';
    buf[n] = 0;
    check(buf, "(EQ _ \"a\")");
    /* too many NOTs */
    n = 0;
    for (int i = 0; i < 100; i++) { memcpy(buf + n, "NOT ", 4); n += 4; }
    buf[n++] = 'a';
    buf[n] = 0;
    check_err(buf, VG_ETOOBIG, 1);
    /* 257 terms */
    n = 0;
    for (int i = 0; i < 257; i++) { buf[n++] = 'a'; buf[n++] = ' '; }
    buf[n] = 0;
    check_err(buf, VG_ETOOBIG, 513);
    /* 10k terms: over the byte limit */
    struct vg_buf big = VG_BUF_INIT;
    for (int i = 0; i < 10000; i++) assert_int_equal(vg_buf_adds(&big, "x OR "), 0);
    assert_int_equal(vg_buf_adds(&big, "x"), 0);
    int rc;
    struct vg_err e = VG_ERR_INIT;
    assert_null(ast(big.data, &rc, &e));
    assert_int_equal(rc, VG_ETOOBIG);
    vg_buf_release(&big);
    /* 256 terms OR-ed: accepted, freed without deep recursion issues */
    n = 0;
    for (int i = 0; i < 256; i++) { n += (size_t)snprintf(buf + n, sizeof buf - n, "%sa", i ? " OR " : ""); }
    struct vg_query q = VG_QUERY_INIT;
    assert_int_equal(vg_query_parse(&q, buf, NULL), 0);
    vg_query_release(&q);
    /* unbalanced quotes everywhere */
    check_err("\"\"\"", VG_EPARSE, 3);
    check_err("a:\"b", VG_EPARSE, 3);
}

static void test_alloc_failures(void **st)
{
    (void)st;
    const char *text = "(user.name:al* OR \"x y\") AND NOT source.ip:10.0.0.0/8 host.name:(a OR b)";
    for (long k = 1; k < 200; k++) {
        struct vg_query q = VG_QUERY_INIT;
        vg_alloc_fail_after(k);
        int rc = vg_query_parse(&q, text, NULL);
        vg_alloc_fail_after(0);
        if (rc == 0) { vg_query_release(&q); continue; }
        assert_int_equal(rc, VG_ENOMEM);
        assert_null(q.root);
    }
}

static void test_wildcard(void **st)
{
    (void)st;
    struct { const char *p, *s; bool m; } c[] = {
        {"*", "", true}, {"*", "abc", true}, {"a*", "ABC", true}, {"*c", "abC", true}, {"a?c", "abc", true},
        {"a?c", "ac", false}, {"a*b*c", "axxbyyc", true}, {"a*b*c", "axxbyy", false}, {"\\*", "*", true},
        {"\\*", "a", false}, {"a\\?", "a?", true}, {"a\\?", "ab", false}, {"", "", true}, {"", "a", false},
        {"*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
        {"C:\\\\*\\\\cmd.exe", "c:\\windows\\system32\\CMD.EXE", true},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++)
        if (vg_wildcard_match(c[i].p, strlen(c[i].p), c[i].s, strlen(c[i].s)) != c[i].m)
            fail_msg("pattern '%s' vs '%s' should be %d", c[i].p, c[i].s, c[i].m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forms),     cmocka_unit_test(test_errors),   cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_alloc_failures), cmocka_unit_test(test_wildcard),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
