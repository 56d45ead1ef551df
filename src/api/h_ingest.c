/* POST /api/v1/ingest: JSON lines or a JSON array of objects. Each valid
 * record becomes one raw event (collector "http", host = client address,
 * tenant = the token's tenant) in one batch handed to the pipeline; the
 * connection is suspended and answered only after the writer committed the
 * batch (on_commit resumes it). Invalid records are rejected one by one
 * with their index and reason, counted on the "http" source as received,
 * failed and dropped (the pipeline's accounting: decoded + failed =
 * received = stored + duplicates + dropped) and logged; their neighbours
 * are still stored. 400 only when the body is empty or no record is
 * usable, 413 when too large.
 *
 * Answer: {"accepted":N,"committed":N,"failed":M,"errors":[{"index":i,
 * "error":"..."}]}. committed counts records durably in the store, new or
 * already present: the pipeline commits several requests' batches in one
 * transaction, so a per-request new/duplicate split is not known here
 * (the per-source totals are in /metrics). */
#include "internal.h"

#define MAX_ERRORS_LISTED 1000  /* errors[] in the answer; all are counted */
#define MAX_ERRORS_LOGGED 5     /* per request, then one summary line */

struct ingest_ctx {
    struct vg__api_req *r;
    struct vg_batch *b;
    const char *tenant, *host;
    int64_t now;
    int rc;
};

static int add_error(struct vg__api_req *r, size_t index, const char *why)
{
    r->n_failed++;
    if (r->n_failed <= MAX_ERRORS_LOGGED)
        vg_warn("api", "ingest from %s (token %s): record %zu rejected: %s", r->client, r->who.name, index, why);
    if (r->n_failed > MAX_ERRORS_LISTED) return 0;
    int rc = vg_buf_adds(&r->errors, r->errors.len ? ",{\"index\":" : "{\"index\":");
    if (!rc) rc = vg_buf_addf(&r->errors, "%zu,\"error\":", index);
    if (!rc) rc = vg_buf_add_json_str(&r->errors, why, strlen(why));
    if (!rc) rc = vg_buf_addc(&r->errors, '}');
    return rc == VG_ETOOBIG ? 0 : rc;
}

static int on_record(void *vctx, size_t index, const char *p, size_t len, const char *why)
{
    struct ingest_ctx *c = vctx;
    if (why) return add_error(c->r, index, why);
    struct vg_event *ev = vg_batch_push(c->b);
    if (!ev || vg_event_set_raw(ev, p, len)) return VG_ENOMEM;
    ev->recv_ts = c->now;
    ev->tenant = c->tenant;
    ev->host = c->host;
    ev->collector = "http";
    ev->seq = index + 1;
    c->r->n_valid++;
    return 0;
}

static void on_commit(void *ack, int status)
{
    struct vg__api_req *r = ack;
    struct MHD_Connection *conn = r->conn;
    r->commit_status = status;
    atomic_store_explicit(&r->commit_state, 2, memory_order_release);
    /* r may be freed once resumed and answered: touch nothing after this. */
    MHD_resume_connection(conn);
}

static enum MHD_Result reply_result(struct vg__api_req *r)
{
    int st = r->commit_status;
    if (st == VG_ECLOSED) {
        r->xhdr_name = MHD_HTTP_HEADER_RETRY_AFTER;
        snprintf(r->xhdr_val, sizeof r->xhdr_val, "5");
        return vg__api_reply_json_error(r, 503, "shutting down", "the server is stopping; retry later");
    }
    if (st != 0)
        return vg__api_reply_json_error(r, 500, "commit failed", "%zu events were not stored: %s", r->n_valid,
                                        vg_strerror(st));
    struct vg_buf b = VG_BUF_INIT;
    int rc = vg_buf_addf(&b, "{\"accepted\":%zu,\"committed\":%zu,\"failed\":%zu,\"errors\":[", r->n_valid,
                         r->n_valid, r->n_failed);
    if (!rc && r->errors.len) rc = vg_buf_add(&b, r->errors.data, r->errors.len);
    if (!rc) rc = vg_buf_addf(&b, "]%s}\n", r->n_failed > MAX_ERRORS_LISTED ? ",\"errors_truncated\":true" : "");
    if (rc) {
        vg_buf_release(&b);
        return vg__api_reply_json_error(r, 500, "internal error", "cannot build the answer");
    }
    return vg__api_reply_buf(r, 200, "application/json", &b);
}

enum MHD_Result vg__h_ingest(struct vg__api_req *r)
{
    struct vg_api *api = r->api;
    int state = atomic_load_explicit(&r->commit_state, memory_order_acquire);
    if (state == 2) return reply_result(r);
    if (state == 1) return MHD_YES; /* not reached: the connection is suspended */

    if (atomic_load(&api->stopping)) {
        r->xhdr_name = MHD_HTTP_HEADER_RETRY_AFTER;
        snprintf(r->xhdr_val, sizeof r->xhdr_val, "5");
        return vg__api_reply_json_error(r, 503, "shutting down", "the server is stopping; retry later");
    }
    if (!api->opts.pipeline || !api->deps.submit)
        return vg__api_reply_json_error(r, 503, "unavailable", "this server has no ingest pipeline");

    struct vg_batch *b = vg_batch_new(256);
    if (!b) return vg__api_reply_json_error(r, 500, "internal error", "out of memory");
    struct ingest_ctx c = {r, b, NULL, NULL, vg_now_ns(), 0};
    c.tenant = vg_arena_strndup(&b->arena, r->who.tenant, strlen(r->who.tenant));
    c.host = vg_arena_strndup(&b->arena, r->client, strlen(r->client));
    struct vg_err err = VG_ERR_INIT;
    struct vg__split_opts so = {api->opts.max_record, api->opts.max_records, 128};
    int rc = (c.tenant && c.host) ? vg__api_split_body(r->body.data, r->body.len, &so, on_record, &c, &r->n_records, &err)
                                  : VG_ENOMEM;

    /* The batch holds its own copy of every record: free the body now. Its
     * bytes stay counted in pending_bytes until the request completes, as a
     * proxy for the batch waiting for its commit. */
    size_t body_len = r->body.len;
    vg_buf_release(&r->body);

    struct vg_source_counters *src = api->http_src;
    if (src && rc != VG_EFORMAT) {
        /* A request refused as a whole loses all its records. */
        size_t lost = rc ? r->n_records : r->n_failed;
        atomic_fetch_add(&src->received, r->n_records);
        atomic_fetch_add(&src->failed, lost);
        atomic_fetch_add(&src->dropped, lost);
        atomic_fetch_add(&src->bytes, body_len);
    }
    atomic_fetch_add(&api->ingest_rejected, r->n_failed);
    if (r->n_failed > MAX_ERRORS_LOGGED)
        vg_warn("api", "ingest from %s: %zu of %zu records rejected in total", r->client, r->n_failed, r->n_records);

    enum MHD_Result ret;
    if (rc == VG_EFORMAT) {
        ret = vg__api_reply_json_error(r, 400, "bad request", "%s", err.msg);
        goto fail;
    }
    if (rc == VG_ETOOBIG) {
        ret = vg__api_reply_json_error(r, 413, "too many records", "%s", err.msg);
        goto fail;
    }
    if (rc) {
        ret = vg__api_reply_json_error(r, 500, "internal error", "%s", rc == VG_ENOMEM ? "out of memory" : vg_strerror(rc));
        goto fail;
    }
    if (r->n_valid == 0) {
        struct vg_buf out = VG_BUF_INIT;
        int e = vg_buf_addf(&out, "{\"error\":\"no valid records\",\"detail\":\"all %zu records were rejected\","
                                  "\"accepted\":0,\"committed\":0,\"failed\":%zu,\"errors\":[", r->n_records, r->n_failed);
        if (!e && r->errors.len) e = vg_buf_add(&out, r->errors.data, r->errors.len);
        if (!e) e = vg_buf_adds(&out, "]}\n");
        if (e) vg_buf_release(&out);
        ret = vg__api_reply_buf(r, 400, "application/json", e ? NULL : &out);
        goto fail;
    }

    b->ack = r;
    b->on_commit = on_commit;
    atomic_store(&r->commit_state, 1);
    atomic_fetch_add(&api->inflight_ingest, 1);
    r->counted_inflight = true;
    /* Suspend before submitting: on_commit may run (and resume) before
     * vg_pipeline_submit returns. A full queue blocks this thread, which is
     * the back-pressure DESIGN §7 asks for. */
    MHD_suspend_connection(r->conn);
    rc = api->deps.submit(api->opts.pipeline, b, src, true);
    if (rc) {
        /* Not taken: we still own the batch. Answer on resume. */
        vg_batch_free(b);
        if (src) atomic_fetch_add(&src->dropped, r->n_valid);
        r->commit_status = rc;
        atomic_store_explicit(&r->commit_state, 2, memory_order_release);
        MHD_resume_connection(r->conn);
    }
    return MHD_YES;
fail:
    vg_batch_free(b);
    return ret;
}
