/* Debian version ordering: every comparison of the shared reference files
 * ($VG_SHARED/data/vuln/semantic/testdata/debian-versions*.txt, "A op B" per
 * line), hand cases (epochs, tildes, long digit runs, missing revisions),
 * rejected versions, and a sample cross-checked against the machine's own
 * `dpkg --compare-versions` when dpkg is installed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <glob.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include "vigil/pkg.h"

extern char **environ;

static int sign(int x) { return x < 0 ? -1 : x > 0; }

/* Splits "A op B" in place; returns the op's sign or 2 when not a case. */
static int split_case(char *line, char **a, char **b)
{
    char *s1 = strchr(line, ' ');
    if (!s1 || !s1[1] || s1[2] != ' ') return 2;
    *s1 = 0;
    char op = s1[1];
    *a = line;
    *b = s1 + 3;
    return op == '<' ? -1 : op == '>' ? 1 : op == '=' ? 0 : 2;
}

static void test_shared_reference(void **st)
{
    (void)st;
    const char *shared = getenv("VG_SHARED");
    assert_non_null(shared);
    char pat[4096];
    snprintf(pat, sizeof pat, "%s/data/vuln/semantic/testdata/debian-versions*.txt", shared);
    glob_t g;
    assert_int_equal(glob(pat, 0, NULL, &g), 0);
    assert_true(g.gl_pathc >= 2);
    size_t total = 0, failed = 0, invalid = 0;
    for (size_t i = 0; i < g.gl_pathc; i++) {
        FILE *f = fopen(g.gl_pathv[i], "r");
        assert_non_null(f);
        char line[4096];
        int lineno = 0;
        while (fgets(line, sizeof line, f)) {
            lineno++;
            line[strcspn(line, "\r\n")] = 0;
            if (!line[0] || line[0] == '#') continue;
            char *a, *b;
            int want = split_case(line, &a, &b);
            if (want == 2) { print_error("%s:%d: not a case\n", g.gl_pathv[i], lineno); failed++; continue; }
            struct vg_dpkg_version va, vb;
            if (vg_dpkg_version_parse(a, strlen(a), &va, 0, NULL) || vg_dpkg_version_parse(b, strlen(b), &vb, 0, NULL))
                invalid++;
            total++;
            int got = sign(vg_dpkg_version_cmp(a, b)), rev = sign(vg_dpkg_version_cmp(b, a));
            if (got != want || rev != -want) {
                if (failed < 20) print_error("%s:%d: %s vs %s: got %d/%d want %d\n", g.gl_pathv[i], lineno, a, b, got, rev, want);
                failed++;
            }
        }
        fclose(f);
    }
    globfree(&g);
    printf("dpkg version reference: %zu comparisons, %zu failed, %zu with an invalid version\n", total, failed, invalid);
    assert_int_equal(total, 14472);
    assert_int_equal(failed, 0);
    assert_int_equal(invalid, 0);
}

static void expect(const char *a, const char *b, int want)
{
    int got = sign(vg_dpkg_version_cmp(a, b));
    if (got != want) fail_msg("%s vs %s: got %d want %d", a, b, got, want);
    got = sign(vg_dpkg_version_cmp(b, a));
    if (got != -want) fail_msg("%s vs %s (reversed): got %d want %d", b, a, got, -want);
}

static void test_hand_cases(void **st)
{
    (void)st;
    expect("1.0", "1.0", 0);
    expect("1:1.0", "2.0", 1);            /* epoch wins */
    expect("0:1.0", "1.0", 0);
    expect("00:1.0", "1.0", 0);
    expect("+1:2", "1:2", 0);             /* dpkg parses the epoch with strtol */
    expect("2147483647:1", "2147483646:9", 1);
    expect("1.0~rc1", "1.0", -1);          /* tilde before the end */
    expect("1.0~~", "1.0~", -1);
    expect("1.0~", "1.0~a", -1);
    expect("1.0", "1.0a", -1);
    expect("1.0a", "1.0+", -1);            /* letters before non-letters */
    expect("1.0+", "1.0.", -1);            /* '+' (43) before '.' (46) */
    expect("1.0-1", "1.0", 1);
    expect("1.0", "1.0-0", 0);             /* missing revision orders like "0" */
    expect("1.0-0", "1.0-00", 0);
    expect("1.0-", "1.0", -1);            /* invalid (empty revision) sorts before valid */
    expect("1.0-1~bpo1", "1.0-1", -1);
    expect("1.2.3-1~deb12u1", "1.2.3-1", -1);
    expect("3.0.11-1~deb12u2", "3.0.11-1~deb12u1", 1);
    expect("1:2.38.1-5+b1", "1:2.38.1-5", 1);
    expect("10", "9", 1);
    expect("010", "9", 1);
    expect("1.a-b-c", "1.a-b", 1);         /* revision after the last hyphen */
    /* digit runs longer than any integer type */
    expect("1.123456789012345678901234567890", "1.123456789012345678901234567889", 1);
    expect("1.000000000000000000000000000000000000001", "1.1", 0);
    expect("99999999999999999999999999999999999999", "100000000000000000000000000000000000000", -1);
    /* empty sorts first, as dpkg --compare-versions lt does */
    expect("", "", 0);
    expect("", "~", -1);
    expect("", "0", -1);
}

static void reject(const char *s, const char *why, unsigned flags)
{
    struct vg_dpkg_version v;
    struct vg_err e = VG_ERR_INIT;
    int rc = vg_dpkg_version_parse(s, strlen(s), &v, flags, &e);
    if (rc != VG_EPARSE) fail_msg("'%s' accepted", s);
    if (!strstr(e.msg, why)) fail_msg("'%s': message '%s' lacks '%s'", s, e.msg, why);
}

static void test_invalid(void **st)
{
    (void)st;
    reject("", "empty", 0);
    reject("   ", "empty", 0);
    reject("1 2", "embedded spaces", 0);
    reject(":1.0", "epoch in version is empty", 0);
    reject("x:1.0", "epoch in version is empty", 0);
    reject("1a:1.0", "not number", 0);
    reject("-1:1.0", "negative", 0);
    reject("2147483648:1", "too big", 0);
    reject("99999999999999999999999:1", "too big", 0);
    reject("1:", "nothing after colon", 0);
    reject("1.0-", "revision number is empty", 0);
    reject("-1", "version number is empty", 0);
    reject("1:-1", "version number is empty", 0);
    reject("a1.0", "does not start with digit", VG_DPKG_STRICT);
    reject("1.0_1", "invalid character in version", VG_DPKG_STRICT);
    reject("1.0-a_b", "invalid character in revision", VG_DPKG_STRICT);
    char big[VG_DPKG_VERSION_MAX + 8];
    memset(big, '1', sizeof big - 1);
    big[sizeof big - 1] = 0;
    reject(big, "longer than", 0);
    /* warnings only: accepted without STRICT, flagged */
    struct vg_dpkg_version v;
    assert_int_equal(vg_dpkg_version_parse("a1.0", 4, &v, 0, NULL), 0);
    assert_true(v.bad_syntax);
    assert_int_equal(vg_dpkg_version_parse(" 1:2.0-3 ", 9, &v, VG_DPKG_STRICT, NULL), 0);
    assert_int_equal(v.epoch, 1);
    assert_int_equal(v.upstream_len, 3);
    assert_memory_equal(v.upstream, "2.0", 3);
    assert_int_equal(v.revision_len, 1);
    assert_false(v.bad_syntax);
    /* invalid strings keep a total order: after "", before every valid version */
    assert_true(vg_dpkg_version_cmp("1.0-", "") > 0);
    assert_true(vg_dpkg_version_cmp("1.0-", "0") < 0);
    assert_true(vg_dpkg_version_cmp("1.0-", "1:") != 0);
}

/* Runs `dpkg --compare-versions a op b`; returns its exit status. */
static int dpkg_says(const char *a, const char *op, const char *b)
{
    char *argv[] = {"dpkg", "--compare-versions", (char *)a, (char *)op, (char *)b, NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    int rc = posix_spawnp(&pid, "dpkg", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) return -1;
    int status;
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status)) return -1;
    return WEXITSTATUS(status);
}

static void test_against_dpkg(void **st)
{
    (void)st;
    if (access("/usr/bin/dpkg", X_OK) != 0) {
        printf("dpkg not installed: cross-check not run\n");
        return;
    }
    static const char *const v[] = {
        "1.0", "1.0-1", "1:0.9", "1.0~rc1", "1.0a", "1.0+b1", "1.0.", "2.7.4+reloaded2-13+deb9u1",
        "1.2.3-1~deb7u1", "0.0.0-0", "1.000000000000000000000000001", "1.1", "3.0.11-1~deb12u2", "1.0-1.1",
        "a1.0", "1.0~~", "1.0~", "0:1.0-0", "7.88.1-10+deb12u5", "7.88.1-10+deb12u12",
    };
    size_t checked = 0;
    for (size_t i = 0; i < VG_ARRAY_LEN(v); i++)
        for (size_t j = 0; j < VG_ARRAY_LEN(v); j += 3) {
            int ours = sign(vg_dpkg_version_cmp(v[i], v[j]));
            const char *op = ours < 0 ? "lt" : ours > 0 ? "gt" : "eq";
            int rc = dpkg_says(v[i], op, v[j]);
            if (rc != 0) fail_msg("dpkg disagrees: %s %s %s (dpkg exit %d)", v[i], op, v[j], rc);
            checked++;
        }
    printf("cross-checked %zu comparisons with dpkg --compare-versions\n", checked);
    assert_true(checked > 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shared_reference),
        cmocka_unit_test(test_hand_cases),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_against_dpkg),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
