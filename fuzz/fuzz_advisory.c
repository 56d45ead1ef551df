/* libFuzzer target: advisory import (Debian tracker JSON through the pull
 * scanner, OSV through jansson), then matching a tiny fixed inventory
 * against whatever loaded. */
#include <stdint.h>
#include <stddef.h>
#include "vigil/vuln.h"

static const char status[] =
    "Package: curl\nStatus: install ok installed\nVersion: 7.88.1-10+deb12u5\n\n"
    "Package: libssl3\nStatus: install ok installed\nSource: openssl (3.0.11-1~deb12u1)\nVersion: 3.0.11-1~deb12u1+b1\n\n"
    "Package: a\nStatus: install ok installed\nVersion: 1:1.0\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vg_pkg_inventory inv = VG_PKG_INVENTORY_INIT;
    vg_pkg_inventory_load_dpkg_mem(&inv, status, sizeof status - 1, 0, NULL);
    struct vg_vuln_db *db = vg_vuln_db_new("bookworm");
    if (!db) goto out;
    struct vg_err err = VG_ERR_INIT;
    vg_vuln_db_load_tracker_mem(db, (const char *)data, size, "fuzz", NULL, &err);
    vg_vuln_db_load_osv_mem(db, (const char *)data, size, "fuzz", NULL, &err);
    struct vg_vuln_findings f = VG_VULN_FINDINGS_INIT;
    vg_vuln_match(db, &inv, "h", &f, &err);
    struct vg_buf b = VG_BUF_INIT;
    for (size_t i = 0; i < f.n; i++) vg_vuln_finding_json(&f, &f.v[i], &b);
    vg_buf_release(&b);
    vg_vuln_findings_release(&f);
out:
    vg_vuln_db_free(db);
    vg_pkg_inventory_release(&inv);
    return 0;
}
