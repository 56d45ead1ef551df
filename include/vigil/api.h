/* The HTTP API (DESIGN §9): libmicrohttpd serving JSON routes. Every route
 * except GET /healthz requires `Authorization: Bearer <token>` checked
 * against the store's tokens. Routes are a table (src/api/routes.def), one
 * handler file per resource (src/api/h_<resource>.c).
 *
 * Routes of the foundation: GET /healthz, POST /api/v1/ingest (JSON lines or
 * a JSON array; answers 2xx only after the batch is committed),
 * GET /api/v1/events?q=&since=&until=&limit=&order=, GET /metrics
 * (OpenMetrics), GET /api/v1/status. Alerts slice: GET /api/v1/alerts?since=&until=
 * &level=&rule=&status=&q=&limit=&order= and POST /api/v1/rules/reload (admin). */
#ifndef VIGIL_API_H
#define VIGIL_API_H

#include "vigil/pipeline.h"

struct vg_respond_opts;

struct vg_api_opts {
    const char *listen;              /* "127.0.0.1:8080"; port 0 = pick a free one */
    const char *store_location;      /* where the API opens its own read handles */
    struct vg_pipeline *pipeline;    /* ingest target and metrics source (borrowed) */
    size_t max_body;                 /* max request body bytes (default 64 MiB) */
    size_t max_record;               /* max bytes of one ingested record (default 1 MiB) */
    int threads;                     /* libmicrohttpd worker threads (default 4) */
    /* Appended after the first interface; zero means the default. */
    size_t max_records;              /* records per ingest request (default 100000) */
    int conn_limit;                  /* concurrent connections (default 1024) */
    int timeout_s;                   /* idle connection timeout in seconds (default 30) */
    int auth_cache_ms;               /* cache of successful token checks (default 30000; <0 disables) */
    size_t max_pending;              /* request body bytes held by all requests together
                                        (default 4 * max_body); beyond it: 503 + Retry-After */
    /* Appended by the alerts slice (NULL = not available): the detect
     * engine lives above the api layer, so the server passes these in.
     * rules_reload re-reads the rules and appends a JSON object describing
     * the result to out (returns 0, or a VG_E* code with detail in err);
     * detect_metrics appends OpenMetrics families (no "# EOF"). */
    int (*rules_reload)(void *ctx, struct vg_buf *out, struct vg_err *err);
    int (*detect_metrics)(void *ctx, struct vg_buf *out);
    void *detect_ctx;
    /* Appended by the incidents slice: the server's incident settings
     * (risk window and threshold for GET /api/v1/risk); NULL = defaults. */
    const struct vg_respond_opts *respond;
    /* Appended by the intel feeds slice (NULL = the /api/v1/intel routes
     * answer 503): threat-intel feeds and look-ups, implemented by the
     * server (src/server/intel.c) with intel_ctx. */
    const struct vg_api_intel *intel;
    void *intel_ctx;
};

/* Threat-intel operations behind /api/v1/intel/... Each appends a JSON
 * value to out and returns 0, or a VG_E* code with detail in err:
 * VG_EINVAL (400), VG_ENOENT (404), VG_EEXIST (409), VG_EUNSUP (503),
 * others (500). feed_add takes the request body {"name","location",
 * "format","refresh"} and answers the new feed after its first fetch;
 * feed_refresh fetches now and answers the feed (a failed fetch is not an
 * error of the call: the feed's status says it). */
struct vg_api_intel {
    int (*feeds_list)(void *ctx, struct vg_buf *out, struct vg_err *err);
    int (*feed_add)(void *ctx, const char *body, size_t len, struct vg_buf *out, struct vg_err *err);
    int (*feed_remove)(void *ctx, const char *name, struct vg_buf *out, struct vg_err *err);
    int (*feed_refresh)(void *ctx, const char *name, struct vg_buf *out, struct vg_err *err);
    int (*stats)(void *ctx, struct vg_buf *out, struct vg_err *err);
    int (*lookup)(void *ctx, const char *value, struct vg_buf *out, struct vg_err *err);
};

struct vg_api;

/* Starts the server; *port_out gets the bound port. Fails with a clear
 * message (address in use, bad address). listen accepts "HOST:PORT" with an
 * IPv4 literal, "[IPv6]:PORT", "localhost:PORT" or ":PORT" (= loopback).
 * The API opens its own store read handles from store_location; the
 * pipeline must outlive the server. Roles: GET routes need admin, analyst,
 * responder or viewer; POST /api/v1/ingest needs admin, analyst or ingest;
 * GET /healthz needs no token. */
int vg_api_start(struct vg_api **out, const struct vg_api_opts *opts, int *port_out, struct vg_err *err);
/* Stops accepting, answers new ingest requests with 503, waits (up to 30 s)
 * for in-flight ingest requests to be committed and answered, frees. NULL
 * is a no-op. Call before stopping the pipeline. */
void vg_api_stop(struct vg_api *api);

#endif
