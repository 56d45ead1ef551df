/* Private declarations shared by the files of the api layer (src/api/):
 * the server object, the per-request context, the route table, the
 * pluggable dependencies (real pipeline/store or test doubles), auth, the
 * ingest body splitter and small reply helpers. Nothing here is public. */
#ifndef VG_API_INTERNAL_H
#define VG_API_INTERNAL_H

#include "vigil/api.h"
#include "vigil/store.h"
#include "vigil/query.h"
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>

/* ---- roles (rbac.c) ------------------------------------------------- */
/* Role bits; a route names the set of roles that may call it. */
#define VG__ROLE_ADMIN     0x01u
#define VG__ROLE_ANALYST   0x02u
#define VG__ROLE_RESPONDER 0x04u
#define VG__ROLE_VIEWER    0x08u
#define VG__ROLE_INGEST    0x10u  /* log shippers: may only POST /api/v1/ingest */
/* Route permission classes used in routes.def. */
#define ROLE_NONE   0u  /* no authentication (health probe) */
#define ROLE_READ   (VG__ROLE_ADMIN | VG__ROLE_ANALYST | VG__ROLE_RESPONDER | VG__ROLE_VIEWER)
#define ROLE_WRITE  (VG__ROLE_ADMIN | VG__ROLE_ANALYST | VG__ROLE_INGEST)
#define ROLE_ADMIN  VG__ROLE_ADMIN

/* Maps a role name (admin, analyst, responder, viewer, ingest;
 * case-sensitive) to its bit; 0 for an unknown role (which may do nothing). */
unsigned vg__api_role_bit(const char *name);

/* ---- dependencies --------------------------------------------------- */
/* What the API calls below itself. vg_api_start fills these with the real
 * store/query/pipeline functions; unit tests pass doubles. */
struct vg__api_deps {
    int (*store_open)(struct vg_store **out, const char *location, struct vg_err *err);
    void (*store_close)(struct vg_store *s);
    int (*query_parse)(struct vg_query *q, const char *text, struct vg_err *err);
    void (*query_release)(struct vg_query *q);
    int (*submit)(struct vg_pipeline *p, struct vg_batch *b, struct vg_source_counters *src, bool block);
    struct vg_source_counters *(*counters)(struct vg_pipeline *p, const char *name);
    int (*metrics)(struct vg_pipeline *p, struct vg_buf *out);
};

/* Starts the server with explicit dependencies (vg_api_start's body). */
int vg__api_start_with(struct vg_api **out, const struct vg_api_opts *opts, const struct vg__api_deps *deps,
                       int *port_out, struct vg_err *err);

/* ---- routes --------------------------------------------------------- */
struct vg__api_req;
typedef enum MHD_Result (*vg__api_handler)(struct vg__api_req *r);

struct vg__api_route {
    const char *method;   /* "GET", "POST" */
    const char *path;     /* exact path, no query string */
    vg__api_handler fn;
    unsigned roles;       /* ROLE_* mask; 0 = no authentication */
};

#define R(m, p, h, role) enum MHD_Result h(struct vg__api_req *r);
#include "routes.def"
#undef R

/* The table built from routes.def, and its length. */
extern const struct vg__api_route vg__api_routes[];
extern const size_t vg__api_nroutes;

/* Finds the route for method+path. Returns its index, -1 when no route has
 * that path (404) or -2 when the path exists with other methods (405; the
 * allowed methods are written to allow, comma-separated). */
int vg__api_route_find(const char *method, const char *path, char *allow, size_t allowsz);
/* Does path match the route pattern (segments "{name}" match one non-empty
 * segment)? With arg, the (last) parameter is copied there percent-decoded;
 * false when it does not fit or decodes to a control byte or '/'. */
bool vg__api_route_match(const char *pattern, const char *path, char *arg, size_t argsz);

/* ---- auth (auth.c) -------------------------------------------------- */
struct vg__api_principal {
    char token_id[33];
    char name[128];
    char tenant[64];
    unsigned role;        /* one VG__ROLE_* bit */
};

enum vg__auth_result {
    VG__AUTH_OK = 0,
    VG__AUTH_MISSING,     /* no Authorization header */
    VG__AUTH_MALFORMED,   /* not "Bearer <token>" */
    VG__AUTH_INVALID,     /* unknown, revoked, or expired token */
    VG__AUTH_FORBIDDEN,   /* valid token, role not allowed */
    VG__AUTH_UNAVAILABLE, /* the token store could not be asked */
    VG__AUTH__COUNT
};

struct vg__auth_cache;
struct vg__auth_cache *vg__auth_cache_new(int64_t ttl_ns);
void vg__auth_cache_free(struct vg__auth_cache *c);

/* Parses an Authorization header value; on success *tok and *toklen delimit the
 * token inside hdr. Returns VG__AUTH_OK, _MISSING (hdr NULL) or _MALFORMED. */
enum vg__auth_result vg__auth_parse_header(const char *hdr, const char **tok, size_t *toklen);

/* Checks a token: cache first (keyed by a keyed hash of the token, never the
 * plaintext), else store->ops->token_check. roles = the route's mask. */
enum vg__auth_result vg__auth_check(struct vg__auth_cache *c, struct vg_store *store, const char *tok,
                                    size_t toklen, unsigned roles, struct vg__api_principal *who);

/* ---- store handle pool (http.c) ------------------------------------ */
/* Borrows a read handle (opened on demand); NULL with err set on failure. */
struct vg_store *vg__api_store_get(struct vg_api *api, struct vg_err *err);
void vg__api_store_put(struct vg_api *api, struct vg_store *s);

/* ---- ingest body splitting (body.c) -------------------------------- */
struct vg__split_opts {
    size_t max_record;    /* bytes of one record (default 1 MiB) */
    size_t max_records;   /* records of one body (default 100000) */
    int max_depth;        /* nesting of one record (default 128) */
};

/* Called once per record in order. why == NULL for a valid JSON object,
 * else a human reason (the record is then rejected, neighbours are not).
 * A non-zero return stops the split and is returned. */
typedef int (*vg__split_fn)(void *ctx, size_t index, const char *p, size_t len, const char *why);

/* Splits an ingest body into records: a JSON array of objects when the
 * first non-space byte is '[', else JSON lines (one object per line, blank
 * lines skipped). Every record is validated strictly (RFC 8259 grammar,
 * UTF-8, depth, size) and handed to fn. Returns 0; VG_EFORMAT for an
 * empty body; VG_ETOOBIG for more than max_records; or fn's value. *nrec
 * gets the number of records seen. Never reads outside [body, body+n). */
int vg__api_split_body(const char *body, size_t n, const struct vg__split_opts *o, vg__split_fn fn,
                       void *ctx, size_t *nrec, struct vg_err *err);

/* Validates one JSON value in [p, p+n) (surrounding spaces allowed).
 * Returns true, or false with a reason (offset included) in why. */
bool vg__api_json_validate(const char *p, size_t n, int max_depth, bool want_object, char *why, size_t whysz);

/* ---- server and request -------------------------------------------- */
#define VG__API_NCODES 12
/* Status code buckets for the request counters (last = other). */
extern const int vg__api_codes[VG__API_NCODES];

struct vg_api {
    struct MHD_Daemon *mhd;
    struct vg_api_opts opts;          /* copy; strings borrowed from the caller */
    struct vg__api_deps deps;
    char *store_location;             /* own copy */
    struct vg__auth_cache *auth;
    int64_t started_mono, started_wall;
    atomic_bool stopping;
    atomic_long inflight_ingest;      /* suspended or answering ingest requests */
    atomic_size_t pending_bytes;      /* body bytes held by all requests (<= opts.max_pending) */
    struct vg_source_counters *http_src; /* counters of the "http" source (pipeline-owned) */
    /* store read-handle pool */
    pthread_mutex_t pool_mu;
    struct vg_store **pool;
    size_t npool, pool_cap;
    /* API counters */
    atomic_uint_fast64_t *req_counts; /* (nroutes + 1) * VG__API_NCODES; last row = unrouted */
    atomic_uint_fast64_t auth_fail[VG__AUTH__COUNT];
    atomic_uint_fast64_t ingest_rejected;  /* records rejected by the validator */
};

struct vg__api_req {
    struct vg_api *api;
    struct MHD_Connection *conn;
    int route;                        /* index into vg__api_routes, -1 unrouted */
    const char *method, *url;         /* MHD-owned, valid for the request */
    char client[64];                  /* peer address text */
    struct vg_arena arena;            /* per-request scratch memory */
    struct vg_buf body;               /* request body (capped) */
    size_t body_seen;                 /* bytes offered by the client */
    bool too_big;                     /* body exceeded max_body */
    bool too_busy;                    /* all requests together exceeded max_pending */
    size_t pending;                   /* bytes this request added to api->pending_bytes */
    bool replied;                     /* a response was queued */
    int status;                       /* HTTP status queued */
    size_t resp_bytes;
    const char *xhdr_name;            /* one extra response header (static name) */
    char xhdr_val[160];
    int64_t start_mono;
    struct vg__api_principal who;     /* authenticated caller (when route needs auth) */
    char path_arg[256];               /* the route's {parameter}, decoded ("" when none) */
    /* ingest: state shared with the pipeline's writer thread */
    atomic_int commit_state;          /* 0 idle, 1 submitted (suspended), 2 committed */
    int commit_status;                /* status passed to on_commit */
    bool counted_inflight;
    size_t n_records, n_valid, n_failed;
    struct vg_buf errors;             /* JSON array body of per-record errors */
};

/* Reply helpers: queue a response and record the status. They take
 * ownership of nothing; bodies are copied or detached from buf. */
enum MHD_Result vg__api_reply_buf(struct vg__api_req *r, int status, const char *ctype, struct vg_buf *buf);
enum MHD_Result vg__api_reply_json_error(struct vg__api_req *r, int status, const char *error, const char *fmt,
                                         ...) VG_PRINTF(4, 5);
/* Builds an error body {"error":E,"detail":D} into out. */
int vg__api_error_json(struct vg_buf *out, const char *error, const char *detail);
/* Value of a query-string argument, or NULL. */
const char *vg__api_arg(struct vg__api_req *r, const char *name);

/* ---- list endpoints: shared arguments and answer (args.c) ---------- */
#define VG__API_MAX_LIMIT 10000
#define VG__API_MAX_ANSWER ((size_t)64 << 20)
/* Appends stored JSON objects, comma-separated, to out until limit objects
 * or VG__API_MAX_ANSWER bytes (then truncated = true). */
struct vg__api_collect {
    struct vg_buf *out;
    size_t count, limit;
    bool truncated;
    int rc; /* allocation error of the buffer */
};
/* Store-callback body: 0 = go on, 1 = stop (limit, size cap, or error in
 * c->rc). An empty object (json NULL or len 0) is skipped. */
int vg__api_collect_add(struct vg__api_collect *c, const char *json, size_t len);
/* Parses since/until (a duration back from now or RFC 3339; 0 when
 * absent). On a bad value queues a 400 answer into *reply and returns -1. */
int vg__api_time_args(struct vg__api_req *r, int64_t now, int64_t *since, int64_t *until, enum MHD_Result *reply);
/* Parses limit (default 100, capped at VG__API_MAX_LIMIT) and order
 * (asc|desc, default desc). On a bad value queues a 400 answer into *reply
 * and returns -1. */
int vg__api_page_args(struct vg__api_req *r, size_t *limit, bool *ascending, enum MHD_Result *reply);

/* Parses OpenMetrics text into per-source JSON objects, appended to out as
 * {"SOURCE":{"received":N,...},...}. Samples without a source label are
 * skipped. Used by /api/v1/status. */
int vg__api_metrics_to_json(const char *text, size_t n, struct vg_buf *out);

#endif
