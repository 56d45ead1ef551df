/* dpkg status parser: the shared edge-case files
 * ($VG_SHARED/data/vuln/extractor/filesystem/os/dpkg/testdata/{dpkg,opkg}/),
 * binary-to-source mapping, status states, and malformed input (missing
 * Package, huge lines, binary garbage, truncated stanzas) that must give a
 * counted error with a line number and never crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <unistd.h>
#include "vigil/pkg.h"

static char path_buf[4096];

static const char *shared(const char *rel)
{
    const char *s = getenv("VG_SHARED");
    assert_non_null(s);
    snprintf(path_buf, sizeof path_buf, "%s/data/vuln/extractor/filesystem/os/dpkg/testdata/%s", s, rel);
    return path_buf;
}

static const struct vg_pkg *find(const struct vg_pkg_inventory *inv, const char *name)
{
    for (size_t i = 0; i < inv->n; i++)
        if (strcmp(inv->pkgs[i].name, name) == 0) return &inv->pkgs[i];
    return NULL;
}

static bool has_issue(const struct vg_dpkg_report *r, int line, const char *text)
{
    for (size_t i = 0; i < r->nissues; i++)
        if ((line == 0 || r->issues[i].line == line) && strstr(r->issues[i].msg, text)) return true;
    return false;
}

static void load(struct vg_pkg_inventory *inv, const char *rel, unsigned flags)
{
    struct vg_err e = VG_ERR_INIT;
    int rc = vg_pkg_inventory_load_dpkg(inv, shared(rel), flags, &e);
    if (rc) fail_msg("%s: %s", rel, e.msg);
}

static void test_valid(void **st)
{
    (void)st;
    struct vg_pkg_inventory inv = VG_PKG_INVENTORY_INIT;
    load(&inv, "dpkg/valid", 0);
    assert_int_equal(inv.n, 7);
    assert_int_equal(inv.rep.errors, 0);
    assert_int_equal(inv.rep.ok_installed, 7);
    const struct vg_pkg *p = find(&inv, "acl");
    assert_non_null(p);
    assert_string_equal(p->version, "2.3.1-3");
    assert_string_equal(p->source, "acl");          /* defaults to the package */
    assert_string_equal(p->source_version, "2.3.1-3");
    assert_string_equal(p->arch, "amd64");
    assert_string_equal(p->maintainer, "Guillem Jover <guillem@debian.org>");
    assert_string_equal(p->description, "access control list - utilities");
    assert_int_equal(p->installed_size, 210);
    assert_true(vg_pkg_is_installed(p));
    p = find(&inv, "libacl1");
    assert_non_null(p);
    assert_string_equal(p->source, "acl");          /* Source: acl */
    assert_string_equal(p->source_version, "2.3.1-3");
    p = find(&inv, "util-linux-extra");
    assert_non_null(p);
    assert_string_equal(p->source, "util-linux");   /* Source: util-linux (2.38.1-5) */
    assert_string_equal(p->source_version, "2.38.1-5");
    assert_string_equal(p->version, "2.38.1-5+b1");
    p = find(&inv, "attr");
    assert_non_null(p);
    assert_string_equal(p->version, "1:2.5.1-4");
    vg_pkg_inventory_release(&inv);
}

static void test_edge_files(void **st)
{
    (void)st;
    struct vg_pkg_inventory inv = VG_PKG_INVENTORY_INIT;
    load(&inv, "dpkg/empty", 0);
    assert_int_equal(inv.n, 0);
    assert_int_equal(inv.rep.errors, 0);
    vg_pkg_inventory_release(&inv);

    load(&inv, "dpkg/single", 0);
    assert_int_equal(inv.n, 1);
    vg_pkg_inventory_release(&inv);

    load(&inv, "dpkg/trailingnewlines", 0);
    assert_int_equal(inv.n, 1);
    assert_int_equal(inv.rep.errors, 0);
    vg_pkg_inventory_release(&inv);

    load(&inv, "dpkg/invalid", 0);        /* "asdf\n\nyolo" */
    assert_int_equal(inv.n, 0);
    assert_int_equal(inv.rep.errors, 2);
    assert_true(has_issue(&inv.rep, 1, "not a 'Field: value' line"));
    assert_true(has_issue(&inv.rep, 3, "not a 'Field: value' line"));
    vg_pkg_inventory_release(&inv);

    load(&inv, "dpkg/nopackage", 0);
    assert_int_equal(inv.n, 2);           /* foo, bar; the middle stanza is skipped */
    assert_int_equal(inv.rep.errors, 1);
    assert_true(has_issue(&inv.rep, 5, "no Package field"));
    assert_non_null(find(&inv, "foo"));
    assert_non_null(find(&inv, "bar"));
    vg_pkg_inventory_release(&inv);

    load(&inv, "dpkg/noversion", 0);
    assert_int_equal(inv.n, 2);
    assert_int_equal(inv.rep.errors, 1);
    assert_true(has_issue(&inv.rep, 5, "package 'acl': stanza has no Version field"));
    vg_pkg_inventory_release(&inv);

    load(&inv, "dpkg/transitional", 0);
    assert_int_equal(inv.n, 1);
    assert_string_equal(inv.pkgs[0].source, "firefox-esr");
    assert_string_equal(inv.pkgs[0].source_version, "78.13.0esr-1~deb10u1");
    vg_pkg_inventory_release(&inv);

    load(&inv, "dpkg/transitional_dummy", 0);
    assert_int_equal(inv.n, 1);
    assert_string_equal(inv.pkgs[0].source, "git");
    assert_string_equal(inv.pkgs[0].version, "1:2.14.2-1");
    vg_pkg_inventory_release(&inv);

    load(&inv, "dpkg/transitional_empty", 0);
    assert_int_equal(inv.n, 1);
    assert_string_equal(inv.pkgs[0].source, "runit");
    vg_pkg_inventory_release(&inv);
}

static void test_status_states(void **st)
{
    (void)st;
    struct vg_pkg_inventory inv = VG_PKG_INVENTORY_INIT;
    load(&inv, "dpkg/statusfield", 0);
    const struct vg_dpkg_report *r = &inv.rep;
    assert_int_equal(inv.n, 7);
    assert_int_equal(r->errors, 0);
    assert_int_equal(r->ok_installed, 1);      /* exactly "install ok installed" */
    assert_int_equal(r->installed, 3);         /* state installed: install/deinstall/purge wanted */
    assert_int_equal(r->config_files, 1);
    assert_int_equal(r->half_installed, 1);
    assert_int_equal(r->other_state, 1);       /* unpacked */
    assert_int_equal(r->no_status, 1);
    assert_int_equal(r->known, 6);
    const struct vg_pkg *p = find(&inv, "wantinstall_halfinstalled");
    assert_non_null(p);
    assert_int_equal(p->state, VG_PKG_HALF_INSTALLED);
    assert_int_equal(p->flag, VG_PKG_FLAG_REINSTREQ);
    assert_false(vg_pkg_is_installed(p));
    assert_string_equal(vg_pkg_state_name(p->state), "half-installed");
    p = find(&inv, "wantdeinstall_configfiles");
    assert_int_equal(p->state, VG_PKG_CONFIG_FILES);
    p = find(&inv, "wantnostatus");
    assert_int_equal(p->state, VG_PKG_STATE_UNKNOWN);
    assert_false(vg_pkg_is_installed(p));
    vg_pkg_inventory_release(&inv);

    /* status.d: no Status means installed (distroless images); *.md5sums skipped */
    const char *s = getenv("VG_SHARED");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/data/vuln/extractor/filesystem/os/dpkg/testdata/dpkg/status.d", s);
    struct vg_err e = VG_ERR_INIT;
    assert_int_equal(vg_pkg_inventory_load_dpkg_dir(&inv, dir, &e), 0);
    assert_int_equal(inv.n, 2);
    assert_int_equal(inv.rep.errors, 0);
    assert_true(vg_pkg_is_installed(find(&inv, "foo")));
    assert_false(vg_pkg_is_installed(find(&inv, "bar")));
    assert_int_equal(inv.rep.installed, 1);
    vg_pkg_inventory_release(&inv);
    assert_int_equal(vg_pkg_inventory_load_dpkg_dir(&inv, "/nonexistent/status.d", &e), VG_ENOENT);
    vg_pkg_inventory_release(&inv);
}

static void test_opkg_files(void **st)
{
    (void)st;
    struct vg_pkg_inventory inv = VG_PKG_INVENTORY_INIT;
    load(&inv, "opkg/valid", 0);
    assert_true(inv.n >= 3);
    assert_int_equal(inv.rep.errors, 0);
    const struct vg_pkg *p = find(&inv, "busybox");
    assert_non_null(p);
    assert_string_equal(p->version, "1.36.1-r2");
    assert_string_equal(p->arch, "x86_64");
    vg_pkg_inventory_release(&inv);
    static const char *const others[] = {"opkg/empty", "opkg/invalid", "opkg/nopackage", "opkg/noversion",
                                         "opkg/single", "opkg/statusfield", "opkg/trailingnewlines", "opkg/transitional"};
    for (size_t i = 0; i < VG_ARRAY_LEN(others); i++) {
        load(&inv, others[i], 0);
        vg_pkg_inventory_release(&inv);
    }
}

static int parse_str(const char *s, size_t n, struct vg_pkg_inventory *inv)
{
    struct vg_err e = VG_ERR_INIT;
    return vg_pkg_inventory_load_dpkg_mem(inv, s, n, 0, &e);
}

static void test_malformed(void **st)
{
    (void)st;
    struct vg_pkg_inventory inv = VG_PKG_INVENTORY_INIT;
    /* missing Package */
    const char *a = "Status: install ok installed\nVersion: 1.0\n";
    assert_int_equal(parse_str(a, strlen(a), &inv), 0);
    assert_int_equal(inv.n, 0);
    assert_true(has_issue(&inv.rep, 1, "no Package field"));
    vg_pkg_inventory_release(&inv);

    /* continuation before any field, duplicate field, invalid Status, bad versions, bad Source */
    const char *b =
        " orphan continuation\nPackage: a\nVersion: 1\n\n"
        "Package: b\nPackage: b2\nVersion: 1\n\n"
        "Package: c\nStatus: install ok sideways\nVersion: 1\n\n"
        "Package: d\nStatus: install ok installed\nVersion: 1.0-\n\n"
        "Package: e\nStatus: install ok installed\nVersion: 1\nSource: x (1.0\n\n"
        "Package: f\nStatus: install ok installed\nVersion: 1\nSource: x (1 2)\n\n"
        "Package: g\nVersion: 1\nStatus: install ok\n installed\n\n"
        "Package: bad\x1b[31mname\nVersion: 1\n\n"
        "Package: ok\r\nStatus: install ok installed\r\nVersion: 2.0\r\n\r\n"
        "Package: trunc\nStatus: install ok installed\nVersi";
    assert_int_equal(parse_str(b, strlen(b), &inv), 0);
    assert_int_equal(inv.n, 1);
    assert_string_equal(inv.pkgs[0].name, "ok");
    assert_string_equal(inv.pkgs[0].version, "2.0"); /* CRLF tolerated */
    assert_int_equal(inv.rep.errors, 9);
    assert_true(has_issue(&inv.rep, 1, "continuation line before any field"));
    assert_true(has_issue(&inv.rep, 6, "duplicate Package field"));
    assert_true(has_issue(&inv.rep, 9, "invalid Status"));
    assert_true(has_issue(&inv.rep, 13, "revision number is empty"));
    assert_true(has_issue(&inv.rep, 17, "malformed Source field"));
    assert_true(has_issue(&inv.rep, 22, "invalid Source version"));
    assert_true(has_issue(&inv.rep, 30, "continuation line in single-line field Status"));
    assert_true(has_issue(&inv.rep, 32, "invalid package name"));
    assert_true(has_issue(&inv.rep, 41, "not a 'Field: value' line"));
    vg_pkg_inventory_release(&inv);

    /* binary garbage with NUL bytes */
    unsigned char garbage[4096];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof garbage; i++) { x = x * 1103515245u + 12345u; garbage[i] = (unsigned char)(x >> 16); }
    assert_int_equal(parse_str((const char *)garbage, sizeof garbage, &inv), 0);
    assert_int_equal(inv.n, 0);
    assert_true(inv.rep.errors >= 1);
    vg_pkg_inventory_release(&inv);
    const char nul[] = "Package: a\0b\nVersion: 1\n";
    assert_int_equal(parse_str(nul, sizeof nul - 1, &inv), 0);
    assert_int_equal(inv.n, 0);
    assert_true(has_issue(&inv.rep, 1, "NUL byte"));
    vg_pkg_inventory_release(&inv);
}

/* Writes s to a temp file and returns its path (static buffer). */
static const char *temp_file(const void *s, size_t n)
{
    static char p[64];
    snprintf(p, sizeof p, "/tmp/vg_dpkg_status_XXXXXX");
    int fd = mkstemp(p);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, s, n), (ssize_t)n);
    close(fd);
    return p;
}

static void test_huge_lines(void **st)
{
    (void)st;
    struct vg_buf b = VG_BUF_INIT;
    /* an unkept field of 200 KiB (crosses the 64 KiB read chunks): fine */
    vg_buf_adds(&b, "Package: big\nStatus: install ok installed\nVersion: 1.0\nDepends: ");
    for (int i = 0; i < 200 * 1024; i++) vg_buf_addc(&b, 'a' + i % 26);
    vg_buf_adds(&b, "\nDescription: x\n");
    for (int i = 0; i < 5000; i++) vg_buf_adds(&b, " more description text line\n");
    /* a line over the 256 KiB cap: error with its line number */
    vg_buf_adds(&b, "\nPackage: huge\nVersion: 1.0\nDepends: ");
    for (int i = 0; i < 300 * 1024; i++) vg_buf_addc(&b, 'b');
    /* a kept value over 4 KiB: error */
    vg_buf_adds(&b, "\n\nPackage: longver\nVersion: 1.");
    for (int i = 0; i < 5000; i++) vg_buf_addc(&b, '1');
    vg_buf_adds(&b, "\n\nPackage: after\nStatus: install ok installed\nVersion: 2\n");
    const char *path = temp_file(b.data, b.len);
    for (int pass = 0; pass < 2; pass++) {
        struct vg_pkg_inventory inv = VG_PKG_INVENTORY_INIT;
        struct vg_err e = VG_ERR_INIT;
        int rc = pass ? vg_pkg_inventory_load_dpkg(&inv, path, 0, &e) : vg_pkg_inventory_load_dpkg_mem(&inv, b.data, b.len, 0, &e);
        assert_int_equal(rc, 0);
        assert_int_equal(inv.n, 2);
        assert_string_equal(inv.pkgs[0].name, "big");
        assert_string_equal(inv.pkgs[0].description, "x");
        assert_string_equal(inv.pkgs[1].name, "after");
        assert_int_equal(inv.rep.errors, 2);
        assert_true(has_issue(&inv.rep, 5009, "longer than 262144 bytes"));
        assert_true(has_issue(&inv.rep, 5012, "Version value longer than 4096 bytes"));
        vg_pkg_inventory_release(&inv);
    }
    unlink(path);
    vg_buf_release(&b);

    struct vg_err e = VG_ERR_INIT;
    struct vg_pkg_inventory inv = VG_PKG_INVENTORY_INIT;
    assert_int_equal(vg_pkg_inventory_load_dpkg(&inv, "/nonexistent/status", 0, &e), VG_ENOENT);
    assert_non_null(strstr(e.msg, "/nonexistent/status"));
    assert_int_equal(vg_pkg_inventory_load_dpkg(&inv, "/tmp", 0, &e), VG_EIO);
    vg_pkg_inventory_release(&inv);
}

static int stop_at_two(void *ud, const struct vg_pkg *p)
{
    (void)p;
    int *n = ud;
    return ++*n == 2 ? VG_EAGAIN : 0;
}

static void test_callback_and_alloc_failure(void **st)
{
    (void)st;
    const char *s = "Package: a\nVersion: 1\nStatus: install ok installed\n\nPackage: b\nVersion: 1\nStatus: install ok installed\n\n"
                    "Package: c\nVersion: 1\nStatus: install ok installed\n";
    int n = 0;
    assert_int_equal(vg_dpkg_status_parse_mem(s, strlen(s), 0, stop_at_two, &n, NULL, NULL), VG_EAGAIN);
    assert_int_equal(n, 2);
    /* every allocation failing in turn: an error, never a crash or leak */
    for (long k = 1; k < 40; k++) {
        struct vg_pkg_inventory inv = VG_PKG_INVENTORY_INIT;
        vg_alloc_fail_after(k);
        int rc = vg_pkg_inventory_load_dpkg_mem(&inv, s, strlen(s), 0, NULL);
        vg_alloc_fail_after(0);
        assert_true(rc == 0 || rc == VG_ENOMEM);
        if (rc == 0) assert_int_equal(inv.n, 3);
        vg_pkg_inventory_release(&inv);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_edge_files),
        cmocka_unit_test(test_status_states),
        cmocka_unit_test(test_opkg_files),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_huge_lines),
        cmocka_unit_test(test_callback_and_alloc_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
