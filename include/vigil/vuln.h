/* Vulnerable packages (DESIGN §1 posture): an in-memory advisory database
 * imported from the Debian security tracker's JSON
 * ({source: {CVE: {releases: {codename: {status, fixed_version, urgency}}}}})
 * and from OSV records (one object or an array; ecosystem "Debian" or
 * "Debian:<N>"), keyed by source package and restricted to one release; and
 * the matcher that turns a package inventory (vigil/pkg.h) into findings.
 *
 * Life cycle: vg_vuln_db_new(release) -> vg_vuln_db_load_* (any number, any
 * mix) -> vg_vuln_match (read-only; the db may be shared across threads once
 * loading is done) -> vg_vuln_db_free.
 *
 * Invariants: advisories are sorted by (source, primary CVE, origin) after
 * every load, so all advisories of one source package are contiguous; every
 * string is owned by the db and never NULL ("" when absent). A finding
 * borrows from the db and the inventory it came from. */
#ifndef VIGIL_VULN_H
#define VIGIL_VULN_H

#include "vigil/pkg.h"

#define VG_VULN_MAX_FILE      (512u << 20) /* bytes of one tracker file */
#define VG_VULN_MAX_OSV_FILE  (64u << 20)  /* bytes of one OSV file (parsed as a tree) */
#define VG_VULN_MAX_DEPTH     64           /* JSON nesting in tracker files */
#define VG_VULN_MAX_ADVISORIES 10000000    /* per db */
#define VG_VULN_MAX_ISSUES    16           /* issues kept per load (all are counted) */

enum vg_vuln_status {
    VG_VULN_RESOLVED = 0,   /* fixed in `fixed`; older versions are vulnerable */
    VG_VULN_OPEN,           /* no fix yet: every version (from `introduced`) is vulnerable */
    VG_VULN_UNDETERMINED,   /* impact not assessed yet: reported, with no fix */
    VG_VULN_NOT_AFFECTED,   /* fixed_version "0": the release never shipped the flaw */
};
const char *vg_vuln_status_name(enum vg_vuln_status s);

/* Ordered from least to most pressing; summaries count by it. */
enum vg_vuln_urgency {
    VG_URG_UNASSIGNED = 0,  /* "not yet assigned", absent or unrecognised */
    VG_URG_END_OF_LIFE,     /* the release no longer supports the package */
    VG_URG_UNIMPORTANT,
    VG_URG_LOW,
    VG_URG_MEDIUM,
    VG_URG_HIGH,
    VG_URG_CRITICAL,
    VG_URG_COUNT
};
const char *vg_vuln_urgency_name(enum vg_vuln_urgency u);
/* Maps tracker urgencies ("low", "medium**", "not yet assigned",
 * "end-of-life") and OSV/CVSS words (moderate, important, critical, ...). */
enum vg_vuln_urgency vg_vuln_urgency_parse(const char *s);

enum vg_vuln_origin { VG_VULN_TRACKER = 0, VG_VULN_OSV };

/* One (source package, advisory, release) entry. */
struct vg_advisory {
    const char *source;        /* source package name */
    const char *id;            /* CVE-2023-1234, DSA-3029-1, TEMP-0000000-xxxx ... */
    const char *cve;           /* primary CVE: id when it is one, else the first
                                  CVE alias, else id */
    const char *release;       /* codename ("bookworm"); "" = any release */
    const char *introduced;    /* first affected version; "" = from the start */
    const char *fixed;         /* first fixed version; "" = no fix available */
    const char *last_affected; /* OSV: last affected version (inclusive); "" = none */
    const char *urgency;       /* as written in the data (or "" when absent) */
    enum vg_vuln_urgency urg;
    enum vg_vuln_status status;
    enum vg_vuln_origin origin;
    uint32_t seq;              /* load order: the last sort key */
};

/* What one load saw. */
struct vg_vuln_load_report {
    size_t entries;        /* (source, advisory) pairs read */
    size_t kept;           /* advisories added for the db's release */
    size_t not_affected;   /* release entries with fixed_version "0" (not stored) */
    size_t other_release;  /* entries without data for the db's release */
    size_t other_ecosystem;/* OSV affected[] entries for other ecosystems */
    size_t withdrawn;      /* OSV records with "withdrawn" */
    size_t invalid;        /* entries skipped: wrong types, bad names or versions */
    char issues[VG_VULN_MAX_ISSUES][200]; /* the first invalid entries, why */
    size_t nissues;
};

struct vg_vuln_db;

/* Creates an empty db for one release: a codename ("bookworm") or a Debian
 * version number ("12"); NULL means "bookworm". NULL on out of memory or an
 * invalid name (only [a-z0-9-], at most 32 bytes). Free with vg_vuln_db_free. */
struct vg_vuln_db *vg_vuln_db_new(const char *release);
void vg_vuln_db_free(struct vg_vuln_db *db);
const char *vg_vuln_db_release(const struct vg_vuln_db *db);   /* codename, or the number if unknown */

/* Loads a file, recognising its format: a JSON array or an object whose
 * first key is an OSV field (id, schema_version, modified, ...) is OSV,
 * any other object is tracker JSON. Malformed JSON rejects the whole file
 * (VG_EPARSE, err has "path:line:col: why") and adds nothing; entries that
 * are well-formed JSON but wrong (types, names, versions) are skipped and
 * counted in rep. VG_ETOOBIG past the size caps, VG_EIO/VG_ENOENT when the
 * file cannot be read. rep may be NULL. */
int vg_vuln_db_load_file(struct vg_vuln_db *db, const char *path, struct vg_vuln_load_report *rep,
                         struct vg_err *err);
/* The same from memory, with an explicit format; name labels errors. */
int vg_vuln_db_load_tracker_mem(struct vg_vuln_db *db, const char *data, size_t n, const char *name,
                                struct vg_vuln_load_report *rep, struct vg_err *err);
int vg_vuln_db_load_osv_mem(struct vg_vuln_db *db, const char *data, size_t n, const char *name,
                            struct vg_vuln_load_report *rep, struct vg_err *err);

size_t vg_vuln_db_count(const struct vg_vuln_db *db);
const struct vg_advisory *vg_vuln_db_get(const struct vg_vuln_db *db, size_t i);
/* The advisories of one source package: *first and the count returned
 * (0 when none). O(log n). */
size_t vg_vuln_db_lookup(const struct vg_vuln_db *db, const char *source, size_t *first);

/* Whether version v (a source version) is affected by a. Invalid versions in
 * a were rejected at load, so this only fails (false) for an invalid v. */
bool vg_vuln_affects(const struct vg_advisory *a, const struct vg_dpkg_version *v);

/* ---- findings ---------------------------------------------------------- */

struct vg_vuln_finding {
    const struct vg_pkg *pkg;      /* binary package (name, version, arch, source, source_version) */
    const struct vg_advisory *adv; /* id, cve, fixed ("" = none), urgency, status */
};

/* Findings of one host. Caller-allocated: VG_VULN_FINDINGS_INIT, then
 * vg_vuln_findings_release. */
struct vg_vuln_findings {
    char host[256];
    struct vg_vuln_finding *v;
    size_t n, cap;
    size_t packages;              /* installed packages checked */
    size_t invalid_versions;      /* installed packages skipped: unparsable source version */
    size_t by_urgency[VG_URG_COUNT];
    size_t no_fix;                /* findings without a fixed version */
    size_t cves;                  /* distinct primary CVEs among the findings */
};
#define VG_VULN_FINDINGS_INIT {{0}, NULL, 0, 0, 0, 0, {0}, 0, 0}

/* Matches the installed packages of inv (vg_pkg_is_installed) against db,
 * comparing each binary's source version with the advisories of its source
 * package. A package older than the fixed version is reported, one at or
 * past it is not; open and undetermined advisories are reported with no fix.
 * When several advisories name the same CVE for one package (tracker and
 * OSV), the first in db order (tracker before OSV) is kept. Findings are
 * ordered by package name, then CVE. Appends to out (host copied); returns 0,
 * VG_ENOMEM or VG_ETOOBIG (more than 10 million findings). */
int vg_vuln_match(const struct vg_vuln_db *db, const struct vg_pkg_inventory *inv, const char *host,
                  struct vg_vuln_findings *out, struct vg_err *err);
void vg_vuln_findings_release(struct vg_vuln_findings *f);

/* Appends one finding as a JSON object (no newline). */
int vg_vuln_finding_json(const struct vg_vuln_findings *f, const struct vg_vuln_finding *x, struct vg_buf *b);

/* ---- per host (src/posture/vuln/host.c) -------------------------------- */
struct vg_inv_snapshot;
/* The release to match a snapshot against: its os-release codename, else
 * its VERSION_ID, written to buf; NULL when the snapshot has neither. */
const char *vg_vuln_snapshot_release(const struct vg_inv_snapshot *s, char *buf, size_t bufsz);
/* Matches the Debian packages of an inventory snapshot (format "deb")
 * against db, appending the findings as one JSON array to json and their
 * number to *count. The packages go through the dpkg status parser, so
 * malformed entries are skipped like malformed stanzas. 0, VG_ENOMEM,
 * VG_ETOOBIG. */
int vg_vuln_match_snapshot(const struct vg_vuln_db *db, const struct vg_inv_snapshot *s, const char *host,
                           struct vg_buf *json, size_t *count, struct vg_err *err);
/* Loads every *.json file of dir (sorted by name, at most 4096) into db
 * (db NULL: only computes the stamp). *stamp changes when a file is added,
 * removed or modified (to know when to reload). VG_ENOENT without the
 * directory; a file that fails to load fails the whole call (err names
 * it). */
int vg_vuln_db_load_dir(struct vg_vuln_db *db, const char *dir, size_t *files, uint64_t *stamp, struct vg_err *err);

/* Reads VERSION_CODENAME from an os-release file (NULL = /etc/os-release,
 * then /usr/lib/os-release) into buf. VG_ENOENT when there is none. */
int vg_vuln_os_codename(const char *path, char *buf, size_t bufsz, struct vg_err *err);

#endif
