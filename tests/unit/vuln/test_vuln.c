/* Advisory import and matching: the shared tracker mock and OSV example,
 * a small fixture written for these tests (data/status, data/tracker.json,
 * data/osv.json: older-than-fixed reported, equal/newer not, epoch bump,
 * source-version comparison, unfixed reported with no fix, tracker/OSV
 * duplicates reported once), and malformed JSON rejected with line:col. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <unistd.h>
#include "vigil/vuln.h"

static char pbuf[4096];

static const char *shared(const char *rel)
{
    const char *s = getenv("VG_SHARED");
    assert_non_null(s);
    snprintf(pbuf, sizeof pbuf, "%s/data/vuln/%s", s, rel);
    return pbuf;
}

static const char *fixture(const char *name)
{
    const char *s = getenv("VG_SRC");
    assert_non_null(s);
    snprintf(pbuf, sizeof pbuf, "%s/tests/unit/vuln/data/%s", s, name);
    return pbuf;
}

static const struct vg_advisory *find_adv(const struct vg_vuln_db *db, const char *src, const char *id)
{
    size_t first, n = vg_vuln_db_lookup(db, src, &first);
    for (size_t i = first; i < first + n; i++)
        if (strcmp(vg_vuln_db_get(db, i)->id, id) == 0) return vg_vuln_db_get(db, i);
    return NULL;
}

static void test_tracker_mock(void **st)
{
    (void)st;
    struct vg_vuln_db *db = vg_vuln_db_new("bookworm");
    struct vg_vuln_load_report rep;
    struct vg_err e = VG_ERR_INIT;
    int rc = vg_vuln_db_load_file(db, shared("vulnfeeds/test_data/debian/debian_security_tracker_mock.json"), &rep, &e);
    if (rc) fail_msg("%s", e.msg);
    assert_int_equal(rep.entries, 3);
    assert_int_equal(rep.kept, 2);
    assert_int_equal(rep.not_affected, 1);      /* CVE-2014-1424: fixed_version "0" */
    assert_int_equal(rep.invalid, 0);
    const struct vg_advisory *a = find_adv(db, "apparmor", "CVE-2016-1585");
    assert_non_null(a);
    assert_int_equal(a->status, VG_VULN_OPEN);
    assert_string_equal(a->fixed, "");
    assert_int_equal(a->urg, VG_URG_UNIMPORTANT);
    a = find_adv(db, "apparmor", "CVE-2017-6507");
    assert_non_null(a);
    assert_int_equal(a->status, VG_VULN_RESOLVED);
    assert_string_equal(a->fixed, "2.11.0-3");
    assert_int_equal(a->urg, VG_URG_UNASSIGNED);
    assert_string_equal(a->urgency, "not yet assigned");
    assert_null(find_adv(db, "apparmor", "CVE-2014-1424"));
    vg_vuln_db_free(db);

    /* sid: CVE-2016-1585 resolved in 3.0.12-1 */
    db = vg_vuln_db_new("sid");
    assert_int_equal(vg_vuln_db_load_file(db, shared("vulnfeeds/test_data/debian/debian_security_tracker_mock.json"), &rep, &e), 0);
    a = find_adv(db, "apparmor", "CVE-2016-1585");
    assert_non_null(a);
    assert_string_equal(a->fixed, "3.0.12-1");
    vg_vuln_db_free(db);
}

static void test_osv_example(void **st)
{
    (void)st;
    const char *p = shared("gcp/workers/oss_fuzz_worker/testdata/DSA-3029-1.json");
    struct vg_vuln_load_report rep;
    struct vg_err e = VG_ERR_INIT;
    struct vg_vuln_db *db = vg_vuln_db_new("7");  /* Debian 7 = wheezy */
    assert_string_equal(vg_vuln_db_release(db), "wheezy");
    assert_int_equal(vg_vuln_db_load_file(db, p, &rep, &e), 0);
    assert_int_equal(rep.kept, 1);
    const struct vg_advisory *a = find_adv(db, "nginx", "DSA-3029-1");
    assert_non_null(a);
    assert_string_equal(a->cve, "CVE-2014-3616");
    assert_string_equal(a->fixed, "1.2.1-2.2+wheezy3");
    assert_string_equal(a->introduced, "");
    assert_int_equal(a->origin, VG_VULN_OSV);
    struct vg_dpkg_version v;
    assert_int_equal(vg_dpkg_version_parse("1.2.1-2.2+wheezy2", 17, &v, 0, NULL), 0);
    assert_true(vg_vuln_affects(a, &v));
    assert_int_equal(vg_dpkg_version_parse("1.2.1-2.2+wheezy3", 17, &v, 0, NULL), 0);
    assert_false(vg_vuln_affects(a, &v));
    vg_vuln_db_free(db);
    db = vg_vuln_db_new(NULL); /* bookworm: the wheezy advisory does not apply */
    assert_int_equal(vg_vuln_db_load_file(db, p, &rep, &e), 0);
    assert_int_equal(rep.kept, 0);
    assert_int_equal(rep.other_release, 1);
    vg_vuln_db_free(db);
}

static void test_fixture_import(void **st)
{
    (void)st;
    struct vg_vuln_db *db = vg_vuln_db_new("bookworm");
    struct vg_vuln_load_report rep;
    struct vg_err e = VG_ERR_INIT;
    assert_int_equal(vg_vuln_db_load_file(db, fixture("tracker.json"), &rep, &e), 0);
    assert_int_equal(rep.entries, 19);
    assert_int_equal(rep.kept, 12);
    assert_int_equal(rep.not_affected, 1);
    assert_int_equal(rep.other_release, 1);
    assert_int_equal(rep.invalid, 5);
    bool saw_version = false, saw_status = false;
    for (size_t i = 0; i < rep.nissues; i++) {
        if (strstr(rep.issues[i], "CVE-2024-6000: fixed_version: revision number is empty")) saw_version = true;
        if (strstr(rep.issues[i], "unknown status 'sideways'")) saw_status = true;
    }
    assert_true(saw_version);
    assert_true(saw_status);
    assert_int_equal(vg_vuln_db_load_file(db, fixture("osv.json"), &rep, &e), 0);
    assert_int_equal(rep.entries, 3);
    assert_int_equal(rep.kept, 4);
    assert_int_equal(rep.other_release, 1);
    assert_int_equal(rep.other_ecosystem, 1);
    assert_int_equal(rep.withdrawn, 1);
    assert_int_equal(vg_vuln_db_count(db), 16);
    /* sorted by source: lookups find contiguous ranges */
    size_t first;
    assert_int_equal(vg_vuln_db_lookup(db, "curl", &first), 3);
    assert_int_equal(vg_vuln_db_lookup(db, "nginx", &first), 3);
    assert_int_equal(vg_vuln_db_lookup(db, "zzz", &first), 0);
    const struct vg_advisory *a = find_adv(db, "nginx", "DEBIAN-CVE-2023-8888");
    assert_non_null(a);
    assert_string_equal(a->last_affected, "1.22.1-9");
    assert_int_equal(a->urg, VG_URG_HIGH);
    vg_vuln_db_free(db);
}

static const struct vg_vuln_finding *finding(const struct vg_vuln_findings *f, const char *pkg, const char *cve)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->v[i].pkg->name, pkg) == 0 && strcmp(f->v[i].adv->cve, cve) == 0) return &f->v[i];
    return NULL;
}

static void test_matching(void **st)
{
    (void)st;
    struct vg_pkg_inventory inv = VG_PKG_INVENTORY_INIT;
    struct vg_err e = VG_ERR_INIT;
    assert_int_equal(vg_pkg_inventory_load_dpkg(&inv, fixture("status"), 0, &e), 0);
    assert_int_equal(inv.n, 10);
    struct vg_vuln_db *db = vg_vuln_db_new("bookworm");
    assert_int_equal(vg_vuln_db_load_file(db, fixture("tracker.json"), NULL, &e), 0);
    assert_int_equal(vg_vuln_db_load_file(db, fixture("osv.json"), NULL, &e), 0);
    struct vg_vuln_findings f = VG_VULN_FINDINGS_INIT;
    assert_int_equal(vg_vuln_match(db, &inv, "web-01", &f, &e), 0);
    for (size_t i = 0; i < f.n; i++)
        printf("  finding: %s %s %s fixed=%s\n", f.v[i].pkg->name, f.v[i].pkg->version, f.v[i].adv->cve, f.v[i].adv->fixed);
    assert_int_equal(f.packages, 8);           /* installed: not config-files / half-installed */

    /* older than the fixed version: reported (binary libssl3 of source openssl) */
    const struct vg_vuln_finding *x = finding(&f, "libssl3", "CVE-2024-0001");
    assert_non_null(x);
    assert_string_equal(x->adv->fixed, "3.0.11-1~deb12u2");
    assert_string_equal(x->pkg->source, "openssl");
    /* at the fixed version: not reported */
    assert_null(finding(&f, "openssl", "CVE-2024-0001"));
    assert_null(finding(&f, "curl", "CVE-2024-1001"));
    assert_null(finding(&f, "tzdata", "TEMP-0000000-ABCDEF"));
    /* past the fixed version: not reported */
    assert_null(finding(&f, "libssl3", "CVE-2024-0002"));
    /* not affected ("0") and other releases: not reported */
    assert_null(finding(&f, "libssl3", "CVE-2024-0003"));
    assert_null(finding(&f, "libssl3", "CVE-2024-0004"));
    /* the source version is compared, not the binary's 2:5.0-1 */
    x = finding(&f, "libfoo-bin", "CVE-2024-2000");
    assert_non_null(x);
    assert_int_equal(x->adv->urg, VG_URG_HIGH);
    /* epoch: 1:1.0-1 is past 2.0-1, but before 1:1.5-1 (and hold ok installed counts) */
    assert_null(finding(&f, "epochy", "CVE-2024-3000"));
    assert_non_null(finding(&f, "epochy", "CVE-2024-3001"));
    /* open and undetermined: reported with no fix */
    x = finding(&f, "bash", "CVE-2024-4000");
    assert_non_null(x);
    assert_string_equal(x->adv->fixed, "");
    assert_int_equal(x->adv->status, VG_VULN_OPEN);
    x = finding(&f, "bash", "CVE-2024-4001");
    assert_non_null(x);
    assert_int_equal(x->adv->status, VG_VULN_UNDETERMINED);
    /* removed or broken installs are not reported */
    assert_null(finding(&f, "oldpkg", "CVE-2024-5000"));
    assert_null(finding(&f, "halfpkg", "CVE-2024-5001"));
    /* tracker and OSV name the same CVE: one finding, the tracker's */
    x = finding(&f, "curl", "CVE-2024-1000");
    assert_non_null(x);
    assert_int_equal(x->adv->origin, VG_VULN_TRACKER);
    assert_int_equal(x->adv->urg, VG_URG_LOW); /* "low*" */
    /* OSV last_affected (inclusive) and versions lists */
    assert_non_null(finding(&f, "nginx", "CVE-2023-8888"));
    assert_non_null(finding(&f, "nginx", "CVE-2023-5555"));
    assert_null(finding(&f, "nginx", "CVE-2023-7777"));   /* Debian:11 only */

    assert_int_equal(f.n, 8);
    assert_int_equal(f.cves, 8);
    assert_int_equal(f.no_fix, 4);
    assert_int_equal(f.by_urgency[VG_URG_HIGH], 2);
    assert_int_equal(f.by_urgency[VG_URG_MEDIUM], 2);
    assert_int_equal(f.by_urgency[VG_URG_LOW], 1);
    assert_int_equal(f.by_urgency[VG_URG_UNIMPORTANT], 1);
    assert_int_equal(f.by_urgency[VG_URG_UNASSIGNED], 2);
    /* ordered by package, then CVE */
    for (size_t i = 1; i < f.n; i++) assert_true(strcmp(f.v[i - 1].pkg->name, f.v[i].pkg->name) <= 0);

    struct vg_buf b = VG_BUF_INIT;
    assert_int_equal(vg_vuln_finding_json(&f, finding(&f, "libfoo-bin", "CVE-2024-2000"), &b), 0);
    assert_string_equal(b.data,
        "{\"host\":\"web-01\",\"package\":\"libfoo-bin\",\"arch\":\"amd64\",\"installed_version\":\"2:5.0-1\","
        "\"source\":\"foo\",\"source_version\":\"1.2-3\",\"fixed_version\":\"1.2-4\",\"id\":\"CVE-2024-2000\","
        "\"cve\":\"CVE-2024-2000\",\"urgency\":\"high\",\"urgency_raw\":\"high\",\"status\":\"resolved\","
        "\"release\":\"bookworm\",\"feed\":\"debian-tracker\"}");
    vg_buf_reset(&b);
    assert_int_equal(vg_vuln_finding_json(&f, finding(&f, "bash", "CVE-2024-4000"), &b), 0);
    assert_non_null(strstr(b.data, "\"fixed_version\":null"));
    vg_buf_release(&b);
    vg_vuln_findings_release(&f);
    vg_vuln_db_free(db);
    vg_pkg_inventory_release(&inv);
}

static void expect_reject(const char *json, bool tracker, const char *why)
{
    struct vg_vuln_db *db = vg_vuln_db_new("bookworm");
    /* a good file first: a rejected file must add nothing */
    const char *good = "{\"curl\":{\"CVE-1\":{\"releases\":{\"bookworm\":{\"status\":\"open\"}}}}}";
    assert_int_equal(vg_vuln_db_load_tracker_mem(db, good, strlen(good), "good", NULL, NULL), 0);
    assert_int_equal(vg_vuln_db_count(db), 1);
    struct vg_err e = VG_ERR_INIT;
    int rc = tracker ? vg_vuln_db_load_tracker_mem(db, json, strlen(json), "bad.json", NULL, &e)
                     : vg_vuln_db_load_osv_mem(db, json, strlen(json), "bad.json", NULL, &e);
    if (rc != VG_EPARSE) fail_msg("accepted: %s", json);
    if (!strstr(e.msg, why) || !strstr(e.msg, "bad.json:")) fail_msg("'%s': message '%s' lacks '%s'", json, e.msg, why);
    assert_int_equal(vg_vuln_db_count(db), 1);
    size_t first;
    assert_int_equal(vg_vuln_db_lookup(db, "curl", &first), 1);
    vg_vuln_db_free(db);
}

static void test_malformed_json(void **st)
{
    (void)st;
    expect_reject("", true, "expected an object");
    expect_reject("[]", true, "expected an object keyed by source package");
    expect_reject("{\"a\":{\"CVE-2\":{\"releases\":{\"bookworm\":{\"status\":\"open\"}}}}", true, "unexpected end of input");
    expect_reject("{\"a\":{\"CVE-2\":{\"releases\":{\"bookworm\":{\"status\":\"open\"}}}}} x", true, "trailing data");
    expect_reject("{\"a\":{},}", true, "expected a string key");
    expect_reject("{\"a\" {}}", true, "expected ':'");
    expect_reject("{\"a\":{\"b\":\"\\q\"}}", true, "bad escape");
    expect_reject("{\"a\":{\"b\":\"\xff\"}}", true, "invalid UTF-8");
    expect_reject("{\"a\":{\"b\":\"\\ud800\"}}", true, "lone high surrogate");
    expect_reject("{\"a\":{\"b\":\"x\ny\"}}", true, "bad.json:1:");
    expect_reject("{\"a\":{\"b\":01}}", true, "");
    expect_reject("{\"a\":{\"b\":-}}", true, "bad number");
    expect_reject("{\"a\":{\"b\":tru}}", true, "unexpected character");
    expect_reject("{\n\"a\":\n{\"b\": [1,]}}", true, "bad.json:3:");
    char deep[400];
    size_t k = 0;
    k += (size_t)snprintf(deep + k, sizeof deep - k, "{\"a\":{\"b\":");
    for (int i = 0; i < 100; i++) deep[k++] = '[';
    deep[k] = 0;
    expect_reject(deep, true, "nested deeper than");
    expect_reject("{\"id\": ", false, "bad.json:1:");
    expect_reject("42", false, "'[' or '{' expected");
}

static void test_wrong_types_counted(void **st)
{
    (void)st;
    struct vg_vuln_db *db = vg_vuln_db_new("bookworm");
    struct vg_vuln_load_report rep;
    const char *t = "{\"bad name!\":{},\"x\":[],\"y\":{\"CVE-1\":[],\"bad id\":{},\"CVE-2\":{\"releases\":{\"bookworm\":"
                    "{\"status\":\"resolved\",\"fixed_version\":\"1:\"}}}}}";
    assert_int_equal(vg_vuln_db_load_tracker_mem(db, t, strlen(t), "t", &rep, NULL), 0);
    assert_int_equal(rep.kept, 0);
    assert_int_equal(rep.invalid, 5);
    const char *o = "[1, {\"id\":\"X-1\",\"affected\":[{\"package\":{\"ecosystem\":\"Debian:12\",\"name\":\"a\"},"
                    "\"ranges\":[{\"type\":\"ECOSYSTEM\",\"events\":[{\"fixed\":\"1.0\"}]}]},"
                    "{\"package\":{\"ecosystem\":\"Debian:12\",\"name\":\"b\"},"
                    "\"ranges\":[{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":\"0\"},{\"fixed\":\"1.0-\"}]}]},"
                    "{\"package\":{\"ecosystem\":\"Debian:12\",\"name\":\"c\"}},"
                    "{\"package\":{\"ecosystem\":\"Debian:12\",\"name\":\"d\"},"
                    "\"ranges\":[{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":\"1.0\"},{\"introduced\":\"2.0\"},{\"fixed\":\"2.5\"}]}]}]},"
                    "{\"affected\":[]}]";
    assert_int_equal(vg_vuln_db_load_osv_mem(db, o, strlen(o), "o", &rep, NULL), 0);
    assert_int_equal(rep.invalid, 5); /* 1, fixed without introduced, bad version, no ranges, no id */
    assert_int_equal(rep.kept, 2);    /* d: [1.0, inf) and [2.0, 2.5) */
    size_t first;
    assert_int_equal(vg_vuln_db_lookup(db, "d", &first), 2);
    vg_vuln_db_free(db);
    assert_null(vg_vuln_db_new("Bookworm!"));
    assert_int_equal(vg_vuln_urgency_parse("medium**"), VG_URG_MEDIUM);
    assert_int_equal(vg_vuln_urgency_parse("end-of-life"), VG_URG_END_OF_LIFE);
    assert_int_equal(vg_vuln_urgency_parse("MODERATE"), VG_URG_MEDIUM);
    assert_int_equal(vg_vuln_urgency_parse("whatever"), VG_URG_UNASSIGNED);
}

static void test_os_release(void **st)
{
    (void)st;
    char path[] = "/tmp/vg_osrel_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *s = "NAME=\"Debian GNU/Linux\"\nVERSION_CODENAME=\"trixie\"\nID=debian\n";
    assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
    close(fd);
    char buf[64];
    assert_int_equal(vg_vuln_os_codename(path, buf, sizeof buf, NULL), 0);
    assert_string_equal(buf, "trixie");
    fd = open(path, O_WRONLY | O_TRUNC);
    s = "VERSION_CODENAME=$(rm -rf /)\n";
    assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
    close(fd);
    assert_int_equal(vg_vuln_os_codename(path, buf, sizeof buf, NULL), VG_ENOENT);
    unlink(path);
    assert_int_equal(vg_vuln_os_codename("/nonexistent", buf, sizeof buf, NULL), VG_ENOENT);
}

static void test_alloc_failures(void **st)
{
    (void)st;
    struct vg_pkg_inventory inv = VG_PKG_INVENTORY_INIT;
    assert_int_equal(vg_pkg_inventory_load_dpkg(&inv, fixture("status"), 0, NULL), 0);
    for (long k = 1; k < 200; k++) {
        struct vg_vuln_db *db = NULL;
        vg_alloc_fail_after(k);
        db = vg_vuln_db_new("bookworm");
        int rc = db ? vg_vuln_db_load_file(db, fixture("tracker.json"), NULL, NULL) : VG_ENOMEM;
        struct vg_vuln_findings f = VG_VULN_FINDINGS_INIT;
        if (rc == 0) rc = vg_vuln_match(db, &inv, "h", &f, NULL);
        vg_alloc_fail_after(0);
        assert_true(rc == 0 || rc == VG_ENOMEM);
        vg_vuln_findings_release(&f);
        vg_vuln_db_free(db);
    }
    vg_pkg_inventory_release(&inv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tracker_mock),
        cmocka_unit_test(test_osv_example),
        cmocka_unit_test(test_fixture_import),
        cmocka_unit_test(test_matching),
        cmocka_unit_test(test_malformed_json),
        cmocka_unit_test(test_wrong_types_counted),
        cmocka_unit_test(test_os_release),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
