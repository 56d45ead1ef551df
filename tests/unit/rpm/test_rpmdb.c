/* rpm header parser and rpmdb.sqlite reader: synthetic headers (built by
 * rpm_builder.h) in a temporary rpmdb.sqlite under a fixture root, read by
 * the inventory collector (epoch-version-release, source rpm name, counts);
 * damaged headers (truncated, offsets out of bounds, unterminated strings,
 * wrong types, huge counts) are counted and skipped, never trusted. */
#include "sca/fixture.h"
#include "rpm/rpm_builder.h"
#include "vigil/inventory.h"
#include "vigil/pkg.h"
#include <sqlite3.h>

static void test_header_ok(void **state)
{
    (void)state;
    size_t n;
    uint8_t *b = rpmb_package("bash", "5.1.8", "6.el9", -1, "x86_64", "bash-5.1.8-6.el9.src.rpm", &n);
    struct vg_rpm_hdr h;
    struct vg_err e = VG_ERR_INIT;
    assert_int_equal(vg_rpm_header_parse(b, n, &h, &e), 0);
    assert_string_equal(h.name, "bash");
    assert_string_equal(h.version, "5.1.8");
    assert_string_equal(h.release, "6.el9");
    assert_string_equal(h.arch, "x86_64");
    assert_string_equal(h.sourcerpm, "bash-5.1.8-6.el9.src.rpm");
    assert_int_equal(h.epoch, -1);
    char evr[128];
    assert_int_equal(vg_rpm_evr(&h, evr, sizeof evr), 0);
    assert_string_equal(evr, "5.1.8-6.el9");
    free(b);
    b = rpmb_package("openssl-libs", "3.0.7", "27.el9", 1, "x86_64", NULL, &n);
    assert_int_equal(vg_rpm_header_parse(b, n, &h, &e), 0);
    assert_int_equal(h.epoch, 1);
    assert_int_equal(vg_rpm_evr(&h, evr, sizeof evr), 0);
    assert_string_equal(evr, "1:3.0.7-27.el9");
    assert_string_equal(h.sourcerpm, "");
    free(b);
}

static void test_header_bad(void **state)
{
    (void)state;
    size_t n;
    uint8_t *b = rpmb_package("zlib", "1.2.11", "40.el9", 0, "x86_64", "zlib-1.2.11-40.el9.src.rpm", &n);
    struct vg_rpm_hdr h;
    struct vg_err e = VG_ERR_INIT;
    /* every truncation fails cleanly */
    for (size_t k = 0; k < n; k++) assert_int_not_equal(vg_rpm_header_parse(b, k, &h, &e), 0);
    assert_int_equal(vg_rpm_header_parse(b, n, &h, &e), 0);
    uint8_t *c = malloc(n);
    /* index count far beyond the blob */
    memcpy(c, b, n);
    rpmb_put32(c, 0x7fffffff);
    assert_int_equal(vg_rpm_header_parse(c, n, &h, &e), VG_EPARSE);
    /* data length beyond the blob (would wrap in 32 bits) */
    memcpy(c, b, n);
    rpmb_put32(c + 4, 0xfffffff0u);
    assert_int_equal(vg_rpm_header_parse(c, n, &h, &e), VG_EPARSE);
    /* the name's offset (entry 1) beyond the data */
    memcpy(c, b, n);
    rpmb_put32(c + 8 + 16 + 8, 0xffff0000u);
    assert_int_equal(vg_rpm_header_parse(c, n, &h, &e), VG_EPARSE);
    assert_non_null(strstr(e.msg, "offset"));
    /* the name typed as int32 */
    memcpy(c, b, n);
    rpmb_put32(c + 8 + 16 + 4, 4);
    assert_int_equal(vg_rpm_header_parse(c, n, &h, &e), VG_EPARSE);
    /* an unterminated last string: drop the final NUL from the data */
    memcpy(c, b, n);
    c[n - 1] = 'x';
    assert_int_not_equal(vg_rpm_header_parse(c, n, &h, &e), 0);
    /* control bytes and invalid UTF-8 in a name */
    memcpy(c, b, n);
    uint32_t name_off = (uint32_t)c[8 + 16 + 8] << 24 | (uint32_t)c[8 + 16 + 9] << 16 | (uint32_t)c[8 + 16 + 10] << 8 | c[8 + 16 + 11];
    size_t data0 = 8 + 16u * ((uint32_t)c[3]);
    c[data0 + name_off] = 0x1b;
    assert_int_equal(vg_rpm_header_parse(c, n, &h, &e), VG_EPARSE);
    c[data0 + name_off] = 0xff;
    assert_int_equal(vg_rpm_header_parse(c, n, &h, &e), VG_EUTF8);
    /* no name at all */
    struct rpmb nb;
    memset(&nb, 0, sizeof nb);
    rpmb_str(&nb, 1001, "1.0");
    size_t nn;
    uint8_t *x = rpmb_blob(&nb, &nn);
    assert_int_equal(vg_rpm_header_parse(x, nn, &h, &e), VG_EPARSE);
    free(x);
    /* a misaligned epoch */
    memset(&nb, 0, sizeof nb);
    rpmb_str(&nb, 1000, "a");
    rpmb_str(&nb, 1001, "1");
    rpmb_entry(&nb, 1003, 4, 1, 1);
    x = rpmb_blob(&nb, &nn);
    assert_int_equal(vg_rpm_header_parse(x, nn, &h, &e), VG_EPARSE);
    free(x);
    assert_int_equal(vg_rpm_header_parse(NULL, 0, &h, &e), VG_EPARSE);
    free(c);
    free(b);
}

/* Writes root/var/lib/rpm/rpmdb.sqlite with the given blobs. */
static void make_db(const char *root, uint8_t **blobs, size_t *lens, size_t n)
{
    fx_write(root, "var/lib/rpm/.keep", "", 0644);
    char p[4200];
    snprintf(p, sizeof p, "%s/var/lib/rpm/rpmdb.sqlite", root);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "CREATE TABLE Packages(hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL);"
                                      "CREATE TABLE Name(key TEXT NOT NULL, hnum INTEGER NOT NULL, idx INTEGER NOT NULL);",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO Packages(blob) VALUES (?1)", -1, &st, NULL), SQLITE_OK);
    for (size_t i = 0; i < n; i++) {
        sqlite3_bind_blob(st, 1, blobs[i], (int)lens[i], SQLITE_STATIC);
        assert_int_equal(sqlite3_step(st), SQLITE_DONE);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static const struct vg_inv_pkg *pkg(const struct vg_inv_snapshot *s, const char *name)
{
    for (size_t i = 0; i < s->npkgs; i++)
        if (strcmp(s->pkgs[i].name, name) == 0) return &s->pkgs[i];
    return NULL;
}

static void test_inventory_rpmdb(void **state)
{
    (void)state;
    char root[256];
    fx_root(root, sizeof root);
    uint8_t *blobs[5];
    size_t lens[5];
    blobs[0] = rpmb_package("bash", "5.1.8", "6.el9", -1, "x86_64", "bash-5.1.8-6.el9.src.rpm", &lens[0]);
    blobs[1] = rpmb_package("openssl-libs", "3.0.7", "27.el9", 1, "x86_64", "openssl-3.0.7-27.el9.src.rpm", &lens[1]);
    blobs[2] = rpmb_package("gpg-pubkey", "fd431d51", "4ae0493b", -1, "", NULL, &lens[2]);
    blobs[3] = rpmb_package("broken", "1", "1", -1, "noarch", NULL, &lens[3]);
    lens[3] -= 3; /* truncated: counted and skipped */
    uint8_t junk[4] = {0, 0, 0, 9};
    blobs[4] = junk;
    lens[4] = sizeof junk;
    make_db(root, blobs, lens, 5);
    struct vg_inv_snapshot *s = vg_inv_snapshot_new(root);
    struct vg_err e = VG_ERR_INIT;
    assert_int_equal(vg_inv_collect(s, VG_INV_PKGS, &e), 0);
    assert_int_equal(s->pkgs_rpm, 3);
    assert_int_equal(s->pkgs_known, 3);
    assert_int_equal(s->npkgs, 3);
    assert_non_null(strstr(s->rpmdb, "rpmdb.sqlite"));
    const struct vg_inv_pkg *p = pkg(s, "openssl-libs");
    assert_non_null(p);
    assert_string_equal(p->version, "1:3.0.7-27.el9");
    assert_string_equal(p->source, "openssl");
    assert_string_equal(p->format, "rpm");
    assert_string_equal(p->arch, "x86_64");
    assert_true(p->installed);
    assert_string_equal(pkg(s, "bash")->version, "5.1.8-6.el9");
    assert_string_equal(pkg(s, "gpg-pubkey")->source, "gpg-pubkey");
    assert_int_equal(s->issues_total, 2);
    /* JSON round trip keeps the rpm packages */
    struct vg_buf j = VG_BUF_INIT;
    assert_int_equal(vg_inv_to_json(s, &j), 0);
    struct vg_inv_snapshot *r = NULL;
    assert_int_equal(vg_inv_from_json(j.data, j.len, &r, &e), 0);
    assert_int_equal(r->npkgs, 3);
    assert_string_equal(pkg(r, "openssl-libs")->format, "rpm");
    vg_inv_snapshot_free(r);
    vg_buf_release(&j);
    vg_inv_snapshot_free(s);
    for (int i = 0; i < 4; i++) free(blobs[i]);
    /* not an rpm database: an issue, not a failure */
    char p2[4200];
    snprintf(p2, sizeof p2, "%s/var/lib/rpm/rpmdb.sqlite", root);
    FILE *f = fopen(p2, "w");
    fputs("definitely not sqlite", f);
    fclose(f);
    s = vg_inv_snapshot_new(root);
    assert_int_equal(vg_inv_collect(s, VG_INV_PKGS, &e), 0);
    assert_int_equal(s->npkgs, 0);
    assert_true(s->issues_total >= 1);
    vg_inv_snapshot_free(s);
    fx_rmrf(root);
}

static void test_no_rpmdb(void **state)
{
    (void)state;
    char root[256];
    fx_root(root, sizeof root);
    fx_write(root, "etc/hostname", "x\n", 0644);
    struct vg_inv_snapshot *s = vg_inv_snapshot_new(root);
    struct vg_err e = VG_ERR_INIT;
    assert_int_equal(vg_inv_collect(s, VG_INV_PKGS, &e), 0);
    assert_string_equal(s->rpmdb, "");
    assert_int_equal(s->pkgs_rpm, 0);
    vg_inv_snapshot_free(s);
    fx_rmrf(root);
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_header_ok),
        cmocka_unit_test(test_header_bad),
        cmocka_unit_test(test_inventory_rpmdb),
        cmocka_unit_test(test_no_rpmdb),
    };
    return cmocka_run_group_tests(t, NULL, NULL);
}
