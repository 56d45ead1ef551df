/* The HTTP API (DESIGN §9): libmicrohttpd serving JSON routes. Every route
 * except GET /healthz requires `Authorization: Bearer <token>` checked
 * against the store's tokens. Routes are a table (src/api/routes.def), one
 * handler file per resource (src/api/h_<resource>.c).
 *
 * Routes of the foundation: GET /healthz, POST /api/v1/ingest (JSON lines or
 * a JSON array; answers 2xx only after the batch is committed),
 * GET /api/v1/events?q=&since=&until=&limit=&order=, GET /metrics
 * (OpenMetrics), GET /api/v1/status. */
#ifndef VIGIL_API_H
#define VIGIL_API_H

#include "vigil/pipeline.h"

struct vg_api_opts {
    const char *listen;              /* "127.0.0.1:8080"; port 0 = pick a free one */
    const char *store_location;      /* where the API opens its own read handles */
    struct vg_pipeline *pipeline;    /* ingest target and metrics source (borrowed) */
    size_t max_body;                 /* max request body bytes (default 64 MiB) */
    size_t max_record;               /* max bytes of one ingested record (default 1 MiB) */
    int threads;                     /* libmicrohttpd worker threads (default 4) */
};

struct vg_api;

/* Starts the server; *port_out gets the bound port. Fails with a clear
 * message (address in use, bad address). */
int vg_api_start(struct vg_api **out, const struct vg_api_opts *opts, int *port_out, struct vg_err *err);
/* Stops accepting, waits for in-flight requests, frees. NULL is a no-op. */
void vg_api_stop(struct vg_api *api);

#endif
