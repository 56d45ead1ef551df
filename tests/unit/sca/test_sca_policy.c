/* Policy loader tests: the shipped Debian 12 baseline loads with at least
 * 60 fully documented checks, and hostile or malformed policy files are
 * rejected with a positioned reason instead of crashing. */
#include "fixture.h"
#include <stdlib.h>

static void test_baseline(void **state)
{
    (void)state;
    const char *src = getenv("VG_SRC");
    assert_non_null(src);
    char path[1024];
    snprintf(path, sizeof path, "%s/rules/policies/debian12-baseline.yml", src);
    struct vg_sca_policy *p = NULL;
    struct vg_err err = VG_ERR_INIT;
    int rc = vg_sca_policy_load_file(path, &p, &err);
    if (rc) fail_msg("%s", err.msg);
    size_t n = vg_sca_policy_count(p);
    printf("baseline: %zu checks\n", n);
    assert_true(n >= 60);
    size_t per_sev[VG_SCA_NSEVERITY] = {0}, with_cis = 0;
    for (size_t i = 0; i < n; i++) {
        const struct vg_sca_check *c = vg_sca_policy_check(p, i);
        assert_true(c->id && *c->id);
        assert_true(c->title && *c->title);
        assert_true(c->rationale && strlen(c->rationale) > 20);
        assert_true(c->remediation && *c->remediation);
        assert_true(c->severity < VG_SCA_NSEVERITY);
        per_sev[c->severity]++;
        size_t refs = 0;
        for (int f = 0; f < VG_SCA_NFW; f++) refs += c->nrefs[f];
        if (!refs) fail_msg("check %s has no reference", c->id);
        if (c->nrefs[VG_SCA_FW_CIS]) with_cis++;
        assert_non_null(c->condition);
    }
    /* the areas the baseline must cover, by id prefix */
    static const char *const areas[] = {"ssh-", "pass-", "sudo-", "sysctl-", "audit", "firewall-", "unattended-", "no-",
                                        "module-", "mount-"};
    for (size_t a = 0; a < VG_ARRAY_LEN(areas); a++) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++) k += strncmp(vg_sca_policy_check(p, i)->id, areas[a], strlen(areas[a])) == 0;
        if (!k) fail_msg("no check for area %s", areas[a]);
    }
    assert_true(with_cis >= 60);
    assert_true(per_sev[VG_SCA_CRITICAL] > 0 && per_sev[VG_SCA_HIGH] > 0 && per_sev[VG_SCA_LOW] > 0);
    assert_string_equal(vg_sca_policy_id(p), "vigil-debian12-baseline");
    vg_sca_policy_free(p);
}

#define HEAD "policy: {id: h, name: h, version: '1'}\nchecks:\n"
#define CHECK(cond) "  - {id: a, title: t, rationale: r, remediation: m, severity: low, references: {cis: ['1']}, condition: " cond "}\n"

struct hostile { const char *name, *text, *reason; int line; };
static const struct hostile cases[] = {
    {"unknown probe", HEAD CHECK("{frobnicate: {path: /x}}"), "unknown probe type 'frobnicate'", 3},
    {"unknown parameter", HEAD CHECK("{file_mode: {path: /x, max: '0600', mood: happy}}"), "unknown parameter 'mood'", 3},
    {"missing parameter", HEAD CHECK("{sysctl: {value: '1'}}"), "needs parameter 'key'", 3},
    {"bad mode", HEAD CHECK("{file_mode: {path: /x, max: '0999'}}"), "octal mode", 3},
    {"bad enum", HEAD CHECK("{package: {name: x, state: maybe}}"), "must be one of installed|absent", 3},
    {"bad regex", HEAD CHECK("{file_content: {path: /x, match: '(unclosed'}}"), "bad regex", 3},
    {"huge regex", NULL, "longer than 1024 bytes", 0},
    {"unknown check key", HEAD "  - {id: a, title: t, colour: red}\n", "unknown check key 'colour'", 3},
    {"missing rationale", HEAD "  - {id: a, title: t, remediation: m, severity: low, references: {cis: ['1']}, condition: {file_exists: {path: /x}}}\n",
     "missing 'rationale'", 3},
    {"bad severity", HEAD "  - {id: a, title: t, rationale: r, remediation: m, severity: urgent, references: {cis: ['1']}, condition: {file_exists: {path: /x}}}\n",
     "severity must be", 3},
    {"unknown framework", HEAD "  - {id: a, title: t, rationale: r, remediation: m, severity: low, references: {sox: ['1']}, condition: {file_exists: {path: /x}}}\n",
     "unknown reference framework 'sox'", 3},
    {"duplicate id", HEAD CHECK("{file_exists: {path: /x}}") CHECK("{file_exists: {path: /y}}"), "duplicate check id 'a'", 4},
    {"two keys", HEAD CHECK("{file_exists: {path: /x}, package: {name: y}}"), "exactly one key", 3},
    {"empty all", HEAD CHECK("{all: []}"), "non-empty list", 3},
    {"alias", HEAD "  - &c {id: a, title: t, rationale: r, remediation: m, severity: low, references: {cis: ['1']}, condition: {file_exists: {path: /x}}}\n  - *c\n",
     "aliases are not allowed", 4},
    {"alias in params", "policy: {id: h, name: &n h, version: '1'}\nchecks:\n" CHECK("{file_exists: {path: *n}}"), "aliases are not allowed", 3},
    {"merge key", HEAD CHECK("{file_exists: {<<: {path: /x}}}"), "unknown parameter '<<'", 3},
    {"deep nesting", NULL, "nested deeper than", 0},
    {"huge file", NULL, "larger than", 0},
    {"billion laughs", NULL, "unknown top-level key", 0},
    {"not yaml", "policy: [unclosed\n", "YAML", 0},
    {"binary", "\x00\x01\x02\xff", "", 0},
    {"invalid utf8", "policy: {id: \xc3\x28}\n", "UTF-8", 0},
    {"no checks", "policy: {id: h, name: h, version: '1'}\n", "'checks' must be a non-empty list", 0},
    {"two documents", HEAD CHECK("{file_exists: {path: /x}}") "---\n" HEAD CHECK("{file_exists: {path: /x}}"), "exactly one YAML document", 0},
    {"duplicate key", "policy: {id: h, id: g, name: h, version: '1'}\n", "YAML", 0},
    {"command with relative path", HEAD CHECK("{command_output: {argv: [bin/sh, -c, x], exit_code: 0}}"), "argv[0]", 3},
    {"bad sysctl key", HEAD CHECK("{sysctl: {key: '../../etc/passwd', value: '1'}}"), "invalid sysctl key", 3},
    {"pam path escape", HEAD CHECK("{pam: {file: '../shadow', module: x}}"), "PAM service name", 3},
    {"bad check id", HEAD "  - {id: 'a b', title: t, rationale: r, remediation: m, severity: low, references: {cis: ['1']}, condition: {file_exists: {path: /x}}}\n",
     "check id", 3},
    {"scalar check", HEAD "  - 42\n", "must be a mapping", 3},
};

static char *repeat_text(const char *prefix, const char *unit, size_t times, const char *suffix)
{
    size_t n = strlen(prefix) + strlen(unit) * times + strlen(suffix) + 1;
    char *s = malloc(n);
    assert_non_null(s);
    size_t o = (size_t)snprintf(s, n, "%s", prefix);
    for (size_t i = 0; i < times; i++) o += (size_t)snprintf(s + o, n - o, "%s", unit);
    snprintf(s + o, n - o, "%s", suffix);
    return s;
}

static void test_hostile(void **state)
{
    (void)state;
    for (size_t i = 0; i < VG_ARRAY_LEN(cases); i++) {
        const struct hostile *h = &cases[i];
        char *owned = NULL;
        const char *text = h->text;
        size_t len = text ? strlen(text) : 0;
        if (strcmp(h->name, "binary") == 0) len = 4;
        if (strcmp(h->name, "huge regex") == 0) {
            owned = repeat_text(HEAD "  - {id: a, title: t, rationale: r, remediation: m, severity: low, references: {cis: ['1']}, "
                                     "condition: {file_content: {path: /x, match: '",
                                "a", 5000, "'}}}\n");
        } else if (strcmp(h->name, "deep nesting") == 0) {
            char *a = repeat_text(HEAD "  - {id: a, title: t, rationale: r, remediation: m, severity: low, references: {cis: ['1']}, condition: ",
                                  "{not: ", 40, "{file_exists: {path: /x}");
            owned = repeat_text(a, "}", 41, "}\n");
            free(a);
        } else if (strcmp(h->name, "huge file") == 0) {
            owned = repeat_text(HEAD, "# padding padding padding padding padding padding padding padding\n", 20000, "");
        } else if (strcmp(h->name, "billion laughs") == 0) {
            owned = repeat_text("a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                                "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                                "policy: {id: h, name: *d, version: '1'}\n",
                                "", 0, "checks: [*d]\n");
        }
        if (owned) { text = owned; len = strlen(owned); }
        struct vg_sca_policy *p = NULL;
        struct vg_err err = VG_ERR_INIT;
        int rc = vg_sca_policy_load_string(text, len, "hostile.yml", &p, &err);
        if (rc == 0) fail_msg("case '%s' was accepted", h->name);
        assert_null(p);
        if (!strstr(err.msg, h->reason)) fail_msg("case '%s': reason '%s' lacks '%s'", h->name, err.msg, h->reason);
        assert_non_null(strstr(err.msg, "hostile.yml:"));
        if (h->line && err.line != h->line) fail_msg("case '%s': line %d, expected %d (%s)", h->name, err.line, h->line, err.msg);
        printf("rejected %-28s %s\n", h->name, err.msg);
        free(owned);
    }
}

/* The loader survives every failing allocation (no leaks, no crashes). */
static void test_alloc_failures(void **state)
{
    (void)state;
    static const char text[] = HEAD CHECK("{all: [{file_mode: {path: /x, max: '0600'}}, {file_content: {path: /y, match: 'a+b'}}]}");
    for (long k = 1; k < 200; k++) {
        struct vg_sca_policy *p = NULL;
        struct vg_err err = VG_ERR_INIT;
        vg_alloc_fail_after(k);
        int rc = vg_sca_policy_load_string(text, strlen(text), "t.yml", &p, &err);
        vg_alloc_fail_after(0);
        if (rc == 0) { vg_sca_policy_free(p); break; }
        assert_null(p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_baseline), cmocka_unit_test(test_hostile),
                                       cmocka_unit_test(test_alloc_failures)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
