/* The HTTP server of the api layer: libmicrohttpd with an internal thread
 * pool, suspend/resume for ingest requests (answered after commit without
 * tying a thread), a capped body per request, per-request arena, the route
 * table lookup, bearer auth before the body is read, request counters and
 * a debug-level access log. Handlers live in h_<resource>.c.
 *
 * Sits above ingest and store: it calls them only through struct
 * vg__api_deps so unit tests can run the server over test doubles. */
#include "internal.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <errno.h>
#include <unistd.h>

const int vg__api_codes[VG__API_NCODES] = {200, 400, 401, 403, 404, 405, 413, 415, 429, 500, 503, 0};

static size_t code_index(int status)
{
    for (size_t i = 0; i + 1 < VG__API_NCODES; i++)
        if (vg__api_codes[i] == status) return i;
    return VG__API_NCODES - 1;
}

/* ---- listen address ------------------------------------------------- */

static int parse_listen(const char *listen, struct sockaddr_storage *ss, bool *v6, struct vg_err *err)
{
    memset(ss, 0, sizeof *ss);
    *v6 = false;
    if (!listen || !*listen) listen = "127.0.0.1:8080";
    char host[128];
    const char *port;
    if (listen[0] == '[') {
        const char *rb = strchr(listen, ']');
        if (!rb || rb[1] != ':' || (size_t)(rb - listen - 1) >= sizeof host)
            return vg_err_set(err, VG_EINVAL, "bad listen address '%s': expected [IPv6]:PORT", listen);
        memcpy(host, listen + 1, (size_t)(rb - listen - 1));
        host[rb - listen - 1] = 0;
        port = rb + 2;
        *v6 = true;
    } else {
        const char *colon = strrchr(listen, ':');
        if (!colon || (size_t)(colon - listen) >= sizeof host || memchr(listen, ':', (size_t)(colon - listen)))
            return vg_err_set(err, VG_EINVAL, "bad listen address '%s': expected HOST:PORT or [IPv6]:PORT", listen);
        memcpy(host, listen, (size_t)(colon - listen));
        host[colon - listen] = 0;
        port = colon + 1;
    }
    int64_t pn;
    if (vg_parse_i64(port, strlen(port), &pn) || pn < 0 || pn > 65535)
        return vg_err_set(err, VG_EINVAL, "bad port in listen address '%s'", listen);
    if (!host[0] || strcmp(host, "localhost") == 0) snprintf(host, sizeof host, "%s", *v6 ? "::1" : "127.0.0.1");
    if (*v6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)pn);
        if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
            return vg_err_set(err, VG_EINVAL, "bad IPv6 address '%s' in listen address", host);
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)ss;
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)pn);
        if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
            return vg_err_set(err, VG_EINVAL, "bad IPv4 address '%s' in listen address (use an IP literal)", host);
    }
    return 0;
}

/* ---- store handle pool ---------------------------------------------- */

struct vg_store *vg__api_store_get(struct vg_api *api, struct vg_err *err)
{
    struct vg_store *s = NULL;
    pthread_mutex_lock(&api->pool_mu);
    if (api->npool) s = api->pool[--api->npool];
    pthread_mutex_unlock(&api->pool_mu);
    if (s) return s;
    if (!api->store_location || !api->deps.store_open) {
        vg_err_set(err, VG_ESTATE, "no store configured");
        return NULL;
    }
    if (api->deps.store_open(&s, api->store_location, err)) return NULL;
    return s;
}

void vg__api_store_put(struct vg_api *api, struct vg_store *s)
{
    if (!s) return;
    pthread_mutex_lock(&api->pool_mu);
    if (api->npool < api->pool_cap) {
        api->pool[api->npool++] = s;
        s = NULL;
    }
    pthread_mutex_unlock(&api->pool_mu);
    if (s) api->deps.store_close(s);
}

/* ---- replies -------------------------------------------------------- */

enum MHD_Result vg__api_reply_buf(struct vg__api_req *r, int status, const char *ctype, struct vg_buf *buf)
{
    struct MHD_Response *resp;
    size_t len = 0;
    char *data = buf ? vg_buf_detach(buf, &len) : NULL;
    if (data) resp = MHD_create_response_from_buffer_with_free_callback(len, data, vg_free);
    else resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        vg_free(data);
        return MHD_NO;
    }
    if (ctype) MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    if (r->xhdr_name) MHD_add_response_header(resp, r->xhdr_name, r->xhdr_val);
    enum MHD_Result ok = MHD_queue_response(r->conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
    if (ok == MHD_YES) {
        r->replied = true;
        r->status = status;
        r->resp_bytes = len;
        /* Counted when queued, before the client can see the answer, so a
         * follow-up GET /metrics always includes this request. */
        size_t row = r->route >= 0 ? (size_t)r->route : vg__api_nroutes;
        atomic_fetch_add(&r->api->req_counts[row * VG__API_NCODES + code_index(status)], 1);
    }
    return ok;
}

int vg__api_error_json(struct vg_buf *out, const char *error, const char *detail)
{
    int rc = vg_buf_adds(out, "{\"error\":");
    if (!rc) rc = vg_buf_add_json_str(out, error, strlen(error));
    if (!rc && detail && *detail) {
        rc = vg_buf_adds(out, ",\"detail\":");
        if (!rc) rc = vg_buf_add_json_str(out, detail, strlen(detail));
    }
    if (!rc) rc = vg_buf_adds(out, "}\n");
    return rc;
}

enum MHD_Result vg__api_reply_json_error(struct vg__api_req *r, int status, const char *error, const char *fmt, ...)
{
    char detail[768] = "";
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(detail, sizeof detail, fmt, ap);
        va_end(ap);
    }
    struct vg_buf b = VG_BUF_INIT;
    if (vg__api_error_json(&b, error, detail)) {
        vg_buf_release(&b);
        return vg__api_reply_buf(r, status, "application/json", NULL);
    }
    return vg__api_reply_buf(r, status, "application/json", &b);
}

const char *vg__api_arg(struct vg__api_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

/* ---- request lifecycle ---------------------------------------------- */

static const char *auth_reason[VG__AUTH__COUNT] = {"ok", "missing", "malformed", "invalid", "forbidden", "unavailable"};

static enum MHD_Result reply_auth_failure(struct vg__api_req *r, enum vg__auth_result ar)
{
    atomic_fetch_add(&r->api->auth_fail[ar], 1);
    vg_info("api", "auth %s: %s %s from %s", auth_reason[ar], r->method, r->url, r->client);
    switch (ar) {
    case VG__AUTH_MISSING:
        r->xhdr_name = MHD_HTTP_HEADER_WWW_AUTHENTICATE;
        snprintf(r->xhdr_val, sizeof r->xhdr_val, "Bearer realm=\"vigil\"");
        return vg__api_reply_json_error(r, 401, "unauthorized", "missing Authorization: Bearer <token> header");
    case VG__AUTH_MALFORMED:
        r->xhdr_name = MHD_HTTP_HEADER_WWW_AUTHENTICATE;
        snprintf(r->xhdr_val, sizeof r->xhdr_val, "Bearer realm=\"vigil\", error=\"invalid_request\"");
        return vg__api_reply_json_error(r, 401, "unauthorized", "malformed Authorization header: expected 'Bearer <token>'");
    case VG__AUTH_INVALID:
        r->xhdr_name = MHD_HTTP_HEADER_WWW_AUTHENTICATE;
        snprintf(r->xhdr_val, sizeof r->xhdr_val, "Bearer realm=\"vigil\", error=\"invalid_token\"");
        return vg__api_reply_json_error(r, 401, "unauthorized", "unknown or revoked token");
    case VG__AUTH_FORBIDDEN:
        return vg__api_reply_json_error(r, 403, "forbidden", "role of token '%s' may not %s %s", r->who.name,
                                        r->method, r->url);
    default:
        r->xhdr_name = MHD_HTTP_HEADER_RETRY_AFTER;
        snprintf(r->xhdr_val, sizeof r->xhdr_val, "5");
        return vg__api_reply_json_error(r, 503, "unavailable", "the token store is unavailable");
    }
}

static enum MHD_Result first_call(struct vg__api_req *r)
{
    struct vg_api *api = r->api;
    char allow[64];
    r->route = vg__api_route_find(r->method, r->url, allow, sizeof allow);
    if (r->route == -1) return vg__api_reply_json_error(r, 404, "not found", "no route for %s", r->url);
    if (r->route == -2) {
        r->route = -1;
        r->xhdr_name = MHD_HTTP_HEADER_ALLOW;
        snprintf(r->xhdr_val, sizeof r->xhdr_val, "%s", allow);
        return vg__api_reply_json_error(r, 405, "method not allowed", "%s does not accept %s (allowed: %s)", r->url,
                                        r->method, allow);
    }
    const struct vg__api_route *rt = &vg__api_routes[r->route];
    if (strchr(rt->path, '{') && !vg__api_route_match(rt->path, r->url, r->path_arg, sizeof r->path_arg))
        return vg__api_reply_json_error(r, 400, "bad request", "bad path parameter in %s", r->url);
    if (rt->roles) {
        const char *hdr = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
        const char *tok;
        size_t toklen;
        enum vg__auth_result ar = vg__auth_parse_header(hdr, &tok, &toklen);
        if (ar != VG__AUTH_OK) return reply_auth_failure(r, ar);
        struct vg_err err = VG_ERR_INIT;
        struct vg_store *s = vg__api_store_get(api, &err);
        ar = vg__auth_check(api->auth, s, tok, toklen, rt->roles, &r->who);
        vg__api_store_put(api, s);
        if (ar != VG__AUTH_OK) return reply_auth_failure(r, ar);
    }
    if (strcmp(r->method, "POST") == 0) {
        const char *cl = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        uint64_t n;
        if (cl && vg_parse_u64(cl, strlen(cl), &n) == 0 && n > api->opts.max_body)
            return vg__api_reply_json_error(r, 413, "body too large", "body of %llu bytes exceeds the %zu-byte limit",
                                            (unsigned long long)n, api->opts.max_body);
    }
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    (void)version;
    struct vg_api *api = cls;
    struct vg__api_req *r = *con_cls;
    if (!r) {
        r = vg_calloc(1, sizeof *r);
        if (!r) return MHD_NO;
        r->api = api;
        r->conn = conn;
        r->route = -1;
        r->method = method;
        r->url = url;
        r->start_mono = vg_mono_ns();
        vg_arena_init(&r->arena, 4096);
        r->arena.cap = 1u << 20;
        r->body.cap_limit = api->opts.max_body;
        r->errors.cap_limit = 1u << 20;
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        snprintf(r->client, sizeof r->client, "unknown");
        if (ci && ci->client_addr) {
            const struct sockaddr *sa = ci->client_addr;
            if (sa->sa_family == AF_INET)
                inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, r->client, sizeof r->client);
            else if (sa->sa_family == AF_INET6)
                inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, r->client,
                          sizeof r->client);
        }
        *con_cls = r;
        return first_call(r);
    }
    if (r->replied) {
        *upload_size = 0;
        return MHD_YES;
    }
    if (*upload_size) {
        size_t n = *upload_size;
        *upload_size = 0;
        r->body_seen += n;
        if (!r->too_big && !r->too_busy) {
            /* Global budget first: many large uploads at once must not
             * exhaust memory even though each is under max_body. */
            size_t prev = atomic_fetch_add(&api->pending_bytes, n);
            r->pending += n;
            if (prev + n > api->opts.max_pending) r->too_busy = true;
            else if (vg_buf_add(&r->body, upload, n) != 0) r->too_big = true;
            if (r->too_big || r->too_busy) {
                atomic_fetch_sub(&api->pending_bytes, r->pending);
                r->pending = 0;
                vg_buf_release(&r->body);
            }
        }
        /* Drain a bounded amount of an oversized body so the client can read
         * the 413; beyond that, close the connection. */
        if ((r->too_big || r->too_busy) && r->body_seen > 2 * api->opts.max_body + (1u << 20)) return MHD_NO;
        return MHD_YES;
    }
    if (r->too_big)
        return vg__api_reply_json_error(r, 413, "body too large", "body exceeds the %zu-byte limit", api->opts.max_body);
    if (r->too_busy) {
        r->xhdr_name = MHD_HTTP_HEADER_RETRY_AFTER;
        snprintf(r->xhdr_val, sizeof r->xhdr_val, "2");
        return vg__api_reply_json_error(r, 503, "busy", "too many large requests in flight (%zu bytes buffered); retry",
                                        api->opts.max_pending);
    }
    return vg__api_routes[r->route].fn(r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    struct vg_api *api = cls;
    struct vg__api_req *r = *con_cls;
    if (!r) return;
    *con_cls = NULL;
    vg_debug("api", "%s %s %s %d %zu bytes %.3f ms%s", r->client, r->method, r->url, r->status, r->resp_bytes,
             (double)(vg_mono_ns() - r->start_mono) / 1e6,
             toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (aborted)");
    if (r->counted_inflight) atomic_fetch_sub(&api->inflight_ingest, 1);
    if (r->pending) atomic_fetch_sub(&api->pending_bytes, r->pending);
    vg_buf_release(&r->body);
    vg_buf_release(&r->errors);
    vg_arena_release(&r->arena);
    vg_free(r);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && msg[n - 1] == '\n') msg[--n] = 0;
    vg_debug("api", "microhttpd: %s", msg);
}

/* ---- start / stop --------------------------------------------------- */

static void api_free(struct vg_api *api)
{
    if (!api) return;
    for (size_t i = 0; i < api->npool; i++) api->deps.store_close(api->pool[i]);
    vg_free(api->pool);
    pthread_mutex_destroy(&api->pool_mu);
    vg__auth_cache_free(api->auth);
    vg_free((void *)api->req_counts);
    vg_free(api->store_location);
    vg_free(api);
}

int vg__api_start_with(struct vg_api **out, const struct vg_api_opts *opts, const struct vg__api_deps *deps,
                       int *port_out, struct vg_err *err)
{
    *out = NULL;
    if (port_out) *port_out = 0;
    if (!opts || !deps) return vg_err_set(err, VG_EINVAL, "vg_api_start: no options");
    struct sockaddr_storage ss;
    bool v6;
    int rc = parse_listen(opts->listen, &ss, &v6, err);
    if (rc) return rc;

    struct vg_api *api = vg_calloc(1, sizeof *api);
    if (!api) return vg_err_set(err, VG_ENOMEM, "out of memory starting the API");
    pthread_mutex_init(&api->pool_mu, NULL);
    api->opts = *opts;
    api->deps = *deps;
    if (!api->opts.max_body) api->opts.max_body = (size_t)64 << 20;
    if (!api->opts.max_record) api->opts.max_record = (size_t)1 << 20;
    if (!api->opts.max_records) api->opts.max_records = 100000;
    if (!api->opts.max_pending) api->opts.max_pending = 4 * api->opts.max_body;
    if (api->opts.max_pending < api->opts.max_body) api->opts.max_pending = api->opts.max_body;
    if (api->opts.threads <= 0) api->opts.threads = 4;
    if (api->opts.threads > 64) api->opts.threads = 64;
    if (api->opts.conn_limit <= 0) api->opts.conn_limit = 1024;
    if (api->opts.timeout_s <= 0) api->opts.timeout_s = 30;
    int64_t ttl = opts->auth_cache_ms < 0 ? 0 : (opts->auth_cache_ms ? opts->auth_cache_ms : 30000) * (int64_t)1000000;
    api->started_mono = vg_mono_ns();
    api->started_wall = vg_now_ns();
    api->pool_cap = (size_t)api->opts.threads + 2;
    api->pool = vg_calloc(api->pool_cap, sizeof *api->pool);
    api->req_counts = vg_calloc((vg__api_nroutes + 1) * VG__API_NCODES, sizeof *api->req_counts);
    api->auth = vg__auth_cache_new(ttl);
    if (opts->store_location) api->store_location = vg_strdup(opts->store_location);
    if (!api->pool || !api->req_counts || !api->auth || (opts->store_location && !api->store_location)) {
        rc = vg_err_set(err, VG_ENOMEM, "out of memory starting the API");
        goto out;
    }
    if (api->opts.pipeline && deps->counters) api->http_src = deps->counters(api->opts.pipeline, "http");

    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    if (v6) flags |= MHD_USE_IPv6;
    api->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, api,
                                MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
                                MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                                MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)api->opts.threads,
                                MHD_OPTION_CONNECTION_LIMIT, (unsigned int)api->opts.conn_limit,
                                MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)api->opts.timeout_s,
                                MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024,
                                MHD_OPTION_NOTIFY_COMPLETED, on_completed, api,
                                MHD_OPTION_END);
    if (!api->mhd) {
        rc = vg_err_set(err, VG_ENET, "cannot listen on %s: %s", opts->listen ? opts->listen : "127.0.0.1:8080",
                        errno ? strerror(errno) : "microhttpd failed to start");
        goto out;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(api->mhd, MHD_DAEMON_INFO_BIND_PORT);
    int port = di ? (int)di->port : 0;
    if (port_out) *port_out = port;
    char host[INET6_ADDRSTRLEN] = "?";
    if (v6) inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, host, sizeof host);
    else inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, host, sizeof host);
    vg_info("api", "HTTP API listening on %s%s%s:%d (%d threads)", v6 ? "[" : "", host, v6 ? "]" : "", port,
            api->opts.threads);
    *out = api;
    return 0;
out:
    api_free(api);
    return rc;
}

void vg_api_stop(struct vg_api *api)
{
    if (!api) return;
    atomic_store(&api->stopping, true);
    /* Ingest requests waiting for their commit are suspended connections;
     * stopping the daemon with any of them is undefined, so wait. */
    int64_t deadline = vg_mono_ns() + (int64_t)30 * 1000000000;
    while (atomic_load(&api->inflight_ingest) > 0 && vg_mono_ns() < deadline) {
        struct timespec ts = {0, 5 * 1000000};
        nanosleep(&ts, NULL);
    }
    if (atomic_load(&api->inflight_ingest) > 0) {
        vg_error("api", "%ld ingest requests still waiting for the pipeline after 30 s; leaking the HTTP server",
                 (long)atomic_load(&api->inflight_ingest));
        return;
    }
    MHD_stop_daemon(api->mhd);
    api_free(api);
}
