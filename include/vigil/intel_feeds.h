/* Threat-intel feed registry (docs/internals/intel.md, "Feeds"): the
 * feeds an operator registered (`vigil intel feeds add`, POST
 * /api/v1/intel/feeds), each a file path or an http(s) URL with a format,
 * a refresh interval and the outcome of its last fetch. Persisted as
 * DATA/intel/feeds.json; the last good copy of each feed's document is
 * kept as DATA/intel/feeds/NAME.cache, so a restart or a failed fetch
 * keeps serving the previous indicators.
 *
 * Two layers implement this header:
 *  - detect (src/detect/intel/feeds.c): the registry model, its JSON file
 *    (parse / format / atomic save), name and location checks, loading a
 *    document in a given format into a builder;
 *  - server (src/server/intel_fetch.c): fetching a feed (file read or
 *    HTTP(S) conditional GET through include/vigil/http_client.h),
 *    checking the document and replacing the cached copy
 *    (vg_intel_feed_update). The CLI calls it for `feeds refresh --data`.
 * The detect layer never touches the network. */
#ifndef VIGIL_INTEL_FEEDS_H
#define VIGIL_INTEL_FEEDS_H

#include "vigil/intel.h"
#include <stdatomic.h>

#define VG_INTEL_FEEDS_MAX 256                 /* feeds in one registry */
#define VG_INTEL_FEED_NAME_MAX 64              /* bytes of a feed name */
#define VG_INTEL_FEED_LOC_MAX 2048             /* bytes of a location */
#define VG_INTEL_FEEDS_FILE_MAX (4u << 20)     /* bytes of feeds.json */
#define VG_INTEL_FEED_DEFAULT_REFRESH (3600LL * 1000000000LL)

enum vg_intel_format {
    VG_INTEL_FMT_AUTO = 0,    /* detected (vg_intel_load_buffer) */
    VG_INTEL_FMT_STIX,
    VG_INTEL_FMT_MISP,
    VG_INTEL_FMT_CSV,         /* text / CSV list */
    VG_INTEL_FMT_WARNINGLIST, /* MISP warninglist: suppresses hits */
    VG_INTEL_FMT_COUNT
};
/* "auto", "stix", "misp", "csv", "warninglist"; parse returns -1 when unknown
 * ("text" is accepted for csv). */
const char *vg_intel_format_name(int fmt);
int vg_intel_format_parse(const char *s);

/* One registered feed. Invariant: name passes vg_intel_feed_name_ok;
 * location is an absolute path or an http(s) URL; strings NUL-terminated. */
struct vg_intel_feed {
    char name[VG_INTEL_FEED_NAME_MAX + 1];
    char location[VG_INTEL_FEED_LOC_MAX + 1];
    int format;                    /* enum vg_intel_format */
    int64_t refresh_ns;            /* 0 = only on demand */
    bool enabled;
    int64_t added;                 /* UTC ns */
    int64_t last_fetch;            /* last attempt, 0 = never */
    int64_t last_ok;               /* last attempt that ended with a usable copy, 0 = never */
    int64_t last_change;           /* when the cached copy last changed, 0 = never */
    char status[16];               /* "pending", "ok", "unchanged", "error" */
    char error[512];               /* why the last attempt failed ("" when it did not) */
    char etag[256];                /* validators of the cached copy (HTTP) */
    char last_modified[64];
    uint64_t bytes;                /* size of the cached copy */
    uint64_t fetches, failures;    /* attempts, failed attempts */
    uint64_t indicators, accepted, rejected, warninglist_entries; /* of the cached copy */
    double fetch_ms;               /* duration of the last attempt */
};

/* Feed names: 1..64 bytes of [A-Za-z0-9._-], not starting with '.' (they
 * name files and URL path segments). */
bool vg_intel_feed_name_ok(const char *name);
/* True for http:// and https:// locations. */
bool vg_intel_feed_is_url(const char *location);

/* Fills f for a new feed (status "pending", enabled, added = now) after
 * checking name, location (absolute path or http(s) URL without control
 * characters or spaces), format and refresh (0, or 1 s .. 30 d).
 * VG_EINVAL with the reason in err. */
int vg_intel_feed_init(struct vg_intel_feed *f, const char *name, const char *location, int format,
                       int64_t refresh_ns, struct vg_err *err);

/* Parses a registry document ({"version":1,"feeds":[...]}). *out is a
 * vg_malloc'd array (vg_free it) of *n feeds. Every field is checked;
 * a bad document or entry is VG_EFORMAT / VG_EPARSE with the reason in err
 * (nothing returned), more than VG_INTEL_FEEDS_MAX feeds or a document
 * over VG_INTEL_FEEDS_FILE_MAX is VG_ETOOBIG, duplicate names VG_EFORMAT. */
int vg_intel_feeds_parse(const char *data, size_t len, struct vg_intel_feed **out, size_t *n, struct vg_err *err);
/* Appends the registry document for feeds[0..n) to out. */
int vg_intel_feeds_format(const struct vg_intel_feed *feeds, size_t n, struct vg_buf *out);
/* Appends one feed as a JSON object (the API's representation). */
int vg_intel_feed_json(const struct vg_intel_feed *f, struct vg_buf *out);

/* DATA/intel/feeds.json: load (a missing file is an empty registry, 0) and
 * save (directory created, temp file + fsync + rename). */
int vg_intel_feeds_load(const char *data_dir, struct vg_intel_feed **out, size_t *n, struct vg_err *err);
int vg_intel_feeds_save(const char *data_dir, const struct vg_intel_feed *feeds, size_t n, struct vg_err *err);
/* Path of a feed's cached copy: DATA/intel/feeds/NAME.cache. */
int vg_intel_feed_cache_path(const char *data_dir, const char *name, struct vg_buf *out);
/* Replaces a feed's cached copy (temp file + fsync + rename). VG_EIO. */
int vg_intel_feed_cache_write(const char *data_dir, const char *name, const char *data, size_t len, struct vg_err *err);

/* Loads data in the given format into b (feed name = feed). Same contract
 * as vg_intel_load_buffer. */
int vg_intel_load_format(struct vg_intel_builder *b, const char *feed, int format, const char *data, size_t len,
                         struct vg_intel_report *rep);
/* Loads every enabled feed's cached copy into b (feeds without one are
 * skipped). Returns the number of feeds loaded, or VG_ENOMEM. */
int vg_intel_feeds_load_cached(struct vg_intel_builder *b, const char *data_dir, const struct vg_intel_feed *feeds,
                               size_t n, struct vg_intel_report *rep);

/* Reads a whole file of at most max bytes (vg_malloc'd, NUL-terminated).
 * VG_ENOENT when missing, VG_ETOOBIG, VG_EIO. */
int vg_intel_read_file(const char *path, size_t max, char **data, size_t *len, struct vg_err *err);

/* ---- server layer (src/server/intel_fetch.c) ------------------------ */

struct vg_intel_fetch_opts {
    const char *ca_file;    /* https: PEM CA bundle instead of the system store (NULL: system) */
    size_t max_bytes;       /* cap on a feed document (0 = 256 MiB) */
    int timeout_ms;         /* per network wait (0 = 30 s) */
    int total_timeout_ms;   /* whole fetch (0 = 5 min) */
    int max_redirects;      /* 0 = 5; < 0 = none */
    const atomic_bool *cancel; /* stops a fetch in progress (server shutdown) */
};

/* Fetches f's location (a file is read; a URL is fetched with a
 * conditional GET when a cached copy exists), checks the document (it
 * must load in f's format with at least one usable indicator or
 * warninglist entry when it has candidates, and must not be an HTML page),
 * then replaces DATA/intel/feeds/NAME.cache atomically. Updates f's
 * status, error, validators, counts and times. *changed (optional) is set
 * when the cached copy changed. A failed fetch or a rejected document
 * keeps the previous copy, sets status "error" and returns the error code
 * (the message is also in f->error). */
int vg_intel_feed_update(const char *data_dir, struct vg_intel_feed *f, const struct vg_intel_fetch_opts *o,
                         bool *changed, struct vg_err *err);

#endif
