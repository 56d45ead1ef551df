/* Package inventory (DESIGN §1 posture): Debian version ordering exactly as
 * dpkg, and a streaming parser for the dpkg status database that yields the
 * installed binary packages with their source package (binary-to-source
 * mapping). The vulnerability matcher (vigil/vuln.h) consumes the inventory;
 * the agent will ship it to the server as records.
 *
 * Invariants: a struct vg_dpkg_version holds views into the caller's string
 * (never owned); every string in a struct vg_pkg obtained from an inventory
 * is owned by that inventory's arena and lives until vg_pkg_inventory_release.
 * Strings handed to a parse callback live only during the callback. */
#ifndef VIGIL_PKG_H
#define VIGIL_PKG_H

#include "vigil/core.h"

/* ---- Debian versions ------------------------------------------------- */

#define VG_DPKG_VERSION_MAX 1024 /* bytes; longer version strings are rejected */

/* [epoch:]upstream[-revision], as dpkg splits it: the epoch ends at the
 * first colon, the revision starts after the last hyphen. revision_len is 0
 * when there is no revision (dpkg then orders it like "0"). */
struct vg_dpkg_version {
    uint32_t epoch;           /* 0 .. INT_MAX */
    const char *upstream;     /* view into the parsed string, not NUL-terminated */
    size_t upstream_len;      /* > 0 */
    const char *revision;     /* view; "" when absent */
    size_t revision_len;
    bool bad_syntax;          /* dpkg would warn: upstream not starting with a
                                 digit, or a character outside the allowed set */
};

/* Parse flags. */
#define VG_DPKG_STRICT 1u /* also reject what dpkg only warns about */

/* Parses s[0..n) (leading and trailing blanks are ignored, as dpkg does).
 * Fails with VG_EPARSE and a message in err for what dpkg rejects: empty,
 * embedded blanks, empty/non-numeric/negative/too big epoch, nothing after
 * the colon, empty revision, empty upstream, longer than VG_DPKG_VERSION_MAX;
 * with VG_DPKG_STRICT also for what dpkg only warns about (bad_syntax). The
 * views in v point into s, which must outlive v. */
int vg_dpkg_version_parse(const char *s, size_t n, struct vg_dpkg_version *v, unsigned flags,
                          struct vg_err *err);

/* Orders two parsed versions: <0, 0, >0. Digit runs are compared by value
 * without converting them to integers, so arbitrarily long runs are exact. */
int vg_dpkg_version_compare(const struct vg_dpkg_version *a, const struct vg_dpkg_version *b);

/* Compares two NUL-terminated version strings exactly as
 * `dpkg --compare-versions a lt|eq|gt b`: <0, 0, >0. Never fails: an empty
 * string sorts before everything (as dpkg treats an empty version); a string
 * dpkg would refuse to parse sorts after the empty string and before every
 * valid version, and two such strings compare bytewise, so the order stays
 * total. Use vg_dpkg_version_parse to find out whether a version is valid. */
int vg_dpkg_version_cmp(const char *a, const char *b);

/* ---- the dpkg status database ---------------------------------------- */

/* Hard caps (bounded memory per stanza; hostile files fail cleanly). */
#define VG_DPKG_MAX_LINE     (256u << 10) /* bytes per physical line */
#define VG_DPKG_MAX_FIELD    4096         /* bytes of a kept field value */
#define VG_DPKG_MAX_PKGS     1000000      /* stanzas per inventory */
#define VG_DPKG_MAX_ISSUES   64           /* issues kept (all are counted) */

/* The three words of the Status field: want, error flag, current state. */
enum vg_pkg_want { VG_PKG_WANT_UNKNOWN, VG_PKG_WANT_INSTALL, VG_PKG_WANT_HOLD, VG_PKG_WANT_DEINSTALL,
                   VG_PKG_WANT_PURGE };
enum vg_pkg_eflag { VG_PKG_FLAG_OK, VG_PKG_FLAG_REINSTREQ };
enum vg_pkg_state {
    VG_PKG_STATE_UNKNOWN = 0,    /* no or unparsable Status field */
    VG_PKG_NOT_INSTALLED,        /* known to dpkg (e.g. purged but selected) */
    VG_PKG_CONFIG_FILES,         /* removed; only its conffiles remain */
    VG_PKG_HALF_INSTALLED,       /* unpacking or removal was interrupted */
    VG_PKG_UNPACKED,
    VG_PKG_HALF_CONFIGURED,
    VG_PKG_TRIGGERS_AWAITED,
    VG_PKG_TRIGGERS_PENDING,
    VG_PKG_INSTALLED,            /* unpacked and configured */
};
const char *vg_pkg_state_name(enum vg_pkg_state s);

/* One binary package stanza. Strings are never NULL ("" when absent). */
struct vg_pkg {
    const char *name;            /* Package */
    const char *version;         /* Version, as written */
    const char *arch;            /* Architecture */
    const char *source;          /* Source name; defaults to name */
    const char *source_version;  /* "Source: name (ver)" -> ver; else version */
    const char *maintainer;      /* Maintainer */
    const char *description;     /* first line of Description (the synopsis) */
    const char *status;          /* Status, as written */
    enum vg_pkg_want want;
    enum vg_pkg_eflag flag;
    enum vg_pkg_state state;
    int64_t installed_size;      /* Installed-Size in KiB, -1 when absent or invalid */
    int line;                    /* 1-based line where the stanza starts */
};

/* True when the package's files are on disk and configured: the current
 * state is "installed", whatever the selection (install, hold, deinstall,
 * purge) or error flag. See docs/internals/vuln.md for why "hold ok
 * installed" counts. */
bool vg_pkg_is_installed(const struct vg_pkg *p);
/* True when Status is exactly "install ok installed". */
bool vg_pkg_is_install_ok_installed(const struct vg_pkg *p);

/* One malformed stanza or line; the stanza is skipped and parsing goes on. */
struct vg_pkg_issue {
    int line;        /* 1-based line of the problem */
    char msg[200];
};

/* What a parse saw. Counters cover every stanza (including skipped ones). */
struct vg_dpkg_report {
    size_t lines;           /* physical lines read */
    size_t stanzas;         /* non-empty stanzas */
    size_t parsed;          /* stanzas delivered as packages */
    size_t known;           /* parsed with state != not-installed: what `dpkg-query -W` lists */
    size_t installed;       /* parsed with state installed (vg_pkg_is_installed) */
    size_t ok_installed;    /* parsed with Status exactly "install ok installed" */
    size_t config_files;    /* parsed in state config-files */
    size_t half_installed;  /* parsed in state half-installed */
    size_t other_state;     /* parsed in another state (unpacked, half-configured, ...) */
    size_t no_status;       /* parsed without a Status field */
    size_t errors;          /* malformed stanzas skipped */
    struct vg_pkg_issue issues[VG_DPKG_MAX_ISSUES]; /* the first errors */
    size_t nissues;
};

/* Called once per well-formed stanza; p and its strings live only during the
 * call. Return 0 to go on, a negative VG_E* code to stop the parse with it. */
typedef int (*vg_dpkg_pkg_fn)(void *ud, const struct vg_pkg *p);

/* Parse flags. */
#define VG_DPKG_STATUS_D 1u /* a /var/lib/dpkg/status.d file: a stanza without
                               Status is an installed package (distroless images) */

/* Streams a status database from memory / a file through fn. Malformed
 * stanzas (no Package, no or invalid Version, a line that is not a field,
 * a duplicated field, a NUL byte, a line over VG_DPKG_MAX_LINE, a kept value
 * over VG_DPKG_MAX_FIELD) are counted in rep with their line and skipped.
 * Returns 0 (even when stanzas were skipped: check rep->errors), VG_EIO when
 * the file cannot be read (err says why), VG_ETOOBIG past VG_DPKG_MAX_PKGS,
 * or the callback's error. rep may be NULL. */
int vg_dpkg_status_parse_mem(const char *data, size_t n, unsigned flags, vg_dpkg_pkg_fn fn, void *ud,
                             struct vg_dpkg_report *rep, struct vg_err *err);
int vg_dpkg_status_parse_file(const char *path, unsigned flags, vg_dpkg_pkg_fn fn, void *ud,
                              struct vg_dpkg_report *rep, struct vg_err *err);

/* ---- inventory ------------------------------------------------------- */

/* The packages of one host. Caller-allocated; VG_PKG_INVENTORY_INIT it,
 * vg_pkg_inventory_release it. pkgs[] holds every parsed stanza (all states);
 * filter with vg_pkg_is_installed. */
struct vg_pkg_inventory {
    struct vg_pkg *pkgs;
    size_t n, cap;
    struct vg_arena arena;       /* owns every string */
    struct vg_dpkg_report rep;   /* counters of the loads, summed */
};
#define VG_PKG_INVENTORY_INIT {NULL, 0, 0, VG_ARENA_INIT, {0}}

/* Adds the stanzas of a dpkg status file (flags as for the parser). Returns
 * as vg_dpkg_status_parse_file; VG_ENOMEM when out of memory. */
int vg_pkg_inventory_load_dpkg(struct vg_pkg_inventory *inv, const char *path, unsigned flags, struct vg_err *err);
int vg_pkg_inventory_load_dpkg_mem(struct vg_pkg_inventory *inv, const char *data, size_t n, unsigned flags,
                                   struct vg_err *err);
/* Adds every regular file of a status.d directory (skipping *.md5sums), with
 * VG_DPKG_STATUS_D. VG_ENOENT when the directory does not exist. */
int vg_pkg_inventory_load_dpkg_dir(struct vg_pkg_inventory *inv, const char *dir, struct vg_err *err);
void vg_pkg_inventory_release(struct vg_pkg_inventory *inv);

/* Where an rpm database would be under root ("/" when NULL): returns the path
 * written to buf of the first of rpmdb.sqlite, Packages.db, Packages found
 * under /var/lib/rpm and /usr/lib/sysimage/rpm, or NULL when there is none.
 * Only rpmdb.sqlite is read (vg_rpmdb_sqlite_read); callers report the
 * Berkeley DB / NDB formats as not read. */
const char *vg_pkg_rpmdb_find(const char *root, char *buf, size_t bufsz);

/* ---- rpm (src/posture/rpmdb.c) --------------------------------------- */

#define VG_RPM_MAX_HEADER (16u << 20) /* bytes of one header blob */
#define VG_RPM_MAX_TAGS   65535       /* index entries of one header */

/* The fields of one rpm header that the inventory keeps; strings are
 * NUL-terminated, printable UTF-8, "" when the tag is absent. */
struct vg_rpm_hdr {
    char name[256], version[256], release[256], arch[64], sourcerpm[512];
    int64_t epoch;               /* -1 when absent */
};

/* Parses a header blob as rpmdb.sqlite stores it ([u32 il][u32 dl], il
 * 16-byte index entries, dl data bytes; big-endian). Every offset is
 * checked against the blob. VG_EPARSE / VG_ETOOBIG / VG_EUTF8 (err says
 * why) for a damaged header or one without a name or version. */
int vg_rpm_header_parse(const uint8_t *blob, size_t n, struct vg_rpm_hdr *h, struct vg_err *err);
/* "[epoch:]version[-release]" into buf; VG_ETOOBIG when it does not fit. */
int vg_rpm_evr(const struct vg_rpm_hdr *h, char *buf, size_t bufsz);

struct vg_rpm_report {
    size_t headers;              /* rows read */
    size_t packages;             /* headers parsed and handed to the callback */
    size_t errors;               /* damaged headers skipped */
    struct vg_pkg_issue issues[VG_DPKG_MAX_ISSUES]; /* line = the row's hnum */
    size_t nissues;
};
typedef int (*vg_rpm_pkg_fn)(void *ud, const struct vg_rpm_hdr *h);
/* Reads every header of an rpmdb.sqlite (opened read-only) through fn.
 * Damaged headers are counted in rep and skipped. Returns 0, VG_EIO when
 * the file is not an rpm SQLite database, VG_ETOOBIG past VG_DPKG_MAX_PKGS
 * packages, or fn's non-zero value. */
int vg_rpmdb_sqlite_read(const char *path, vg_rpm_pkg_fn fn, void *ud, struct vg_rpm_report *rep, struct vg_err *err);

#endif
