/* rpm package database reader (posture layer, pkg.h): the SQLite rpmdb
 * (/var/lib/rpm/rpmdb.sqlite, rpm >= 4.16) keeps one header blob per
 * installed package in Packages(hnum, blob). A blob is an rpm header
 * without its 8-byte magic: [u32 il][u32 dl], il index entries of 16 bytes
 * ([u32 tag][u32 type][i32 offset][u32 count], big-endian), then dl bytes
 * of data. Only NAME, VERSION, RELEASE, EPOCH, ARCH and SOURCERPM are read.
 * Every offset, count and string is bounds-checked against the blob; a
 * damaged header is counted and skipped, never trusted. The older Berkeley
 * DB and NDB formats are detected by vg_pkg_rpmdb_find but not read. */
#include "vigil/pkg.h"
#include <sqlite3.h>

#define RPM_TAG_NAME 1000
#define RPM_TAG_VERSION 1001
#define RPM_TAG_RELEASE 1002
#define RPM_TAG_EPOCH 1003
#define RPM_TAG_ARCH 1022
#define RPM_TAG_SOURCERPM 1044
#define RPM_TYPE_INT32 4
#define RPM_TYPE_STRING 6
#define RPM_TYPE_STRING_ARRAY 8
#define RPM_TYPE_I18NSTRING 9

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Copies the NUL-terminated string at data[off..dl) into dst. */
static int get_str(const uint8_t *data, uint32_t dl, uint32_t off, char *dst, size_t dsz, const char *what,
                   struct vg_err *err)
{
    if (off >= dl) return vg_err_set(err, VG_EPARSE, "rpm header: %s offset %u beyond the data (%u bytes)", what, off, dl);
    const uint8_t *s = data + off;
    const uint8_t *nul = memchr(s, 0, dl - off);
    if (!nul) return vg_err_set(err, VG_EPARSE, "rpm header: %s is not terminated", what);
    size_t n = (size_t)(nul - s);
    if (n >= dsz) return vg_err_set(err, VG_ETOOBIG, "rpm header: %s longer than %zu bytes", what, dsz - 1);
    for (size_t i = 0; i < n; i++)
        if (s[i] < 0x20 || s[i] == 0x7f) return vg_err_set(err, VG_EPARSE, "rpm header: control byte in %s", what);
    if (!vg_utf8_valid((const char *)s, n)) return vg_err_set(err, VG_EUTF8, "rpm header: %s is not UTF-8", what);
    memcpy(dst, s, n);
    dst[n] = 0;
    return 0;
}

int vg_rpm_header_parse(const uint8_t *blob, size_t n, struct vg_rpm_hdr *h, struct vg_err *err)
{
    memset(h, 0, sizeof *h);
    h->epoch = -1;
    if (!blob || n < 8) return vg_err_set(err, VG_EPARSE, "rpm header: %zu bytes, shorter than its 8-byte preamble", n);
    if (n > VG_RPM_MAX_HEADER) return vg_err_set(err, VG_ETOOBIG, "rpm header: %zu bytes (limit %u)", n, VG_RPM_MAX_HEADER);
    uint32_t il = be32(blob), dl = be32(blob + 4);
    if (il == 0 || il > VG_RPM_MAX_TAGS) return vg_err_set(err, VG_EPARSE, "rpm header: bad index count %u", il);
    /* 64-bit arithmetic: il * 16 + dl cannot overflow */
    uint64_t need = 8 + (uint64_t)il * 16 + dl;
    if (need > n) return vg_err_set(err, VG_EPARSE, "rpm header: needs %llu bytes, blob has %zu", (unsigned long long)need, n);
    const uint8_t *idx = blob + 8, *data = blob + 8 + (size_t)il * 16;
    bool have_name = false, have_version = false;
    for (uint32_t i = 0; i < il; i++) {
        const uint8_t *e = idx + (size_t)i * 16;
        uint32_t tag = be32(e), type = be32(e + 4), off = be32(e + 8), count = be32(e + 12);
        char *dst = NULL;
        size_t dsz = 0;
        const char *what = NULL;
        switch (tag) {
        case RPM_TAG_NAME: dst = h->name; dsz = sizeof h->name; what = "name"; have_name = true; break;
        case RPM_TAG_VERSION: dst = h->version; dsz = sizeof h->version; what = "version"; have_version = true; break;
        case RPM_TAG_RELEASE: dst = h->release; dsz = sizeof h->release; what = "release"; break;
        case RPM_TAG_ARCH: dst = h->arch; dsz = sizeof h->arch; what = "arch"; break;
        case RPM_TAG_SOURCERPM: dst = h->sourcerpm; dsz = sizeof h->sourcerpm; what = "sourcerpm"; break;
        case RPM_TAG_EPOCH:
            if (type != RPM_TYPE_INT32 || count < 1) return vg_err_set(err, VG_EPARSE, "rpm header: epoch is not an int32");
            if ((off & 3) || (uint64_t)off + 4 > dl) return vg_err_set(err, VG_EPARSE, "rpm header: epoch offset %u out of bounds", off);
            h->epoch = be32(data + off);
            if (h->epoch > INT32_MAX) return vg_err_set(err, VG_EPARSE, "rpm header: epoch %lld out of range", (long long)h->epoch);
            continue;
        default: continue;
        }
        if (type != RPM_TYPE_STRING && type != RPM_TYPE_I18NSTRING && type != RPM_TYPE_STRING_ARRAY)
            return vg_err_set(err, VG_EPARSE, "rpm header: %s has type %u, not a string", what, type);
        if (count < 1) return vg_err_set(err, VG_EPARSE, "rpm header: %s has no value", what);
        int rc = get_str(data, dl, off, dst, dsz, what, err);
        if (rc) return rc;
    }
    if (!have_name || !have_version || !h->name[0])
        return vg_err_set(err, VG_EPARSE, "rpm header: no %s", have_name && h->name[0] ? "version" : "name");
    return 0;
}

int vg_rpm_evr(const struct vg_rpm_hdr *h, char *buf, size_t bufsz)
{
    int k;
    if (h->epoch >= 0) k = snprintf(buf, bufsz, "%lld:%s%s%s", (long long)h->epoch, h->version, h->release[0] ? "-" : "", h->release);
    else k = snprintf(buf, bufsz, "%s%s%s", h->version, h->release[0] ? "-" : "", h->release);
    return k < 0 || (size_t)k >= bufsz ? VG_ETOOBIG : 0;
}

int vg_rpmdb_sqlite_read(const char *path, vg_rpm_pkg_fn fn, void *ud, struct vg_rpm_report *rep, struct vg_err *err)
{
    struct vg_rpm_report dummy;
    if (!rep) rep = &dummy;
    memset(rep, 0, sizeof *rep);
    char uri[4200];
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int rc = 0;
    /* read-only; immutable=1 as the fallback when the WAL index cannot be
     * created (a read-only directory): then uncheckpointed writes are missed */
    for (int attempt = 0; attempt < 2 && !st; attempt++) {
        int k = snprintf(uri, sizeof uri, "file:%s?mode=ro%s", path, attempt ? "&immutable=1" : "");
        if (k < 0 || (size_t)k >= sizeof uri || strchr(path, '?') || strchr(path, '#'))
            return vg_err_set(err, VG_EINVAL, "rpmdb path unusable: %s", path);
        if (sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL) != SQLITE_OK ||
            sqlite3_prepare_v2(db, "SELECT hnum, blob FROM Packages", -1, &st, NULL) != SQLITE_OK) {
            if (attempt) rc = vg_err_set(err, VG_EIO, "%s: %s", path, db ? sqlite3_errmsg(db) : "cannot open");
            sqlite3_finalize(st);
            st = NULL;
            sqlite3_close(db);
            db = NULL;
        }
    }
    if (!st) return rc ? rc : vg_err_set(err, VG_EIO, "%s: cannot read", path);
    sqlite3_busy_timeout(db, 2000);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (rep->packages >= VG_DPKG_MAX_PKGS) { rc = vg_err_set(err, VG_ETOOBIG, "%s: more than %d packages", path, VG_DPKG_MAX_PKGS); break; }
        rep->headers++;
        const void *b = sqlite3_column_blob(st, 1);
        int bn = sqlite3_column_bytes(st, 1);
        struct vg_rpm_hdr h;
        struct vg_err he = VG_ERR_INIT;
        if (!b || bn <= 0 || vg_rpm_header_parse(b, (size_t)bn, &h, &he) != 0) {
            if (rep->nissues < VG_DPKG_MAX_ISSUES) {
                struct vg_pkg_issue *is = &rep->issues[rep->nissues++];
                is->line = (int)sqlite3_column_int64(st, 0);
                snprintf(is->msg, sizeof is->msg, "%.190s", he.msg[0] ? he.msg : "empty header blob");
            }
            rep->errors++;
            continue;
        }
        rep->packages++;
        if ((rc = fn(ud, &h)) != 0) break;
    }
    if (!rc && step != SQLITE_DONE && step != SQLITE_ROW) rc = vg_err_set(err, VG_EIO, "%s: %s", path, sqlite3_errmsg(db));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc;
}
