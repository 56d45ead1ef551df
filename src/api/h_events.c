/* GET /api/v1/events?q=QUERY&since=&until=&limit=&order=asc|desc: parses the
 * query (vg_query_parse: field:value, wildcards, phrases, AND/OR/NOT,
 * comparisons, CIDR), scopes it to the token's tenant, runs it on a store
 * read handle and answers {"events":[...],"count":N,"truncated":bool} with
 * each event as stored. since/until take a duration back from now ("15m",
 * "1h", "7d") or an RFC 3339 time. truncated = more events matched than
 * the limit (asked as limit+1), or the answer hit its size cap. */
#include "internal.h"

static int on_event(void *vctx, const struct vg_stored_event *ev)
{
    return vg__api_collect_add(vctx, ev->json, ev->json_len);
}

enum MHD_Result vg__h_events(struct vg__api_req *r)
{
    struct vg_api *api = r->api;
    const char *qtext = vg__api_arg(r, "q");
    int64_t t0, t1;
    size_t limit;
    bool asc;
    enum MHD_Result ret;
    if (vg__api_time_args(r, vg_now_ns(), &t0, &t1, &ret)) return ret;
    if (vg__api_page_args(r, &limit, &asc, &ret)) return ret;

    struct vg_query q;
    memset(&q, 0, sizeof q);
    struct vg_err err = VG_ERR_INIT;
    if (!api->deps.query_parse)
        return vg__api_reply_json_error(r, 503, "unavailable", "search is not available on this server");
    int rc = api->deps.query_parse(&q, qtext ? qtext : "", &err);
    if (rc) {
        api->deps.query_release(&q);
        struct vg_buf b = VG_BUF_INIT;
        int e = vg_buf_adds(&b, "{\"error\":\"bad query\",\"detail\":");
        if (!e) e = vg_buf_add_json_str(&b, err.msg[0] ? err.msg : vg_strerror(rc), strlen(err.msg[0] ? err.msg : vg_strerror(rc)));
        if (!e) e = vg_buf_addf(&b, ",\"column\":%d}\n", err.col);
        if (e) vg_buf_release(&b);
        return vg__api_reply_buf(r, 400, "application/json", e ? NULL : &b);
    }
    q.since = t0;
    q.until = t1;
    q.limit = limit + 1;
    q.ascending = asc;
    q.tenant = r->who.tenant;

    struct vg_buf out = VG_BUF_INIT;
    out.cap_limit = VG__API_MAX_ANSWER + 4096;
    struct vg_store *s = vg__api_store_get(api, &err);
    if (!s) {
        ret = vg__api_reply_json_error(r, 503, "unavailable", "cannot open the store: %s", err.msg);
        goto out;
    }
    struct vg__api_collect c = {&out, 0, limit, false, 0};
    rc = vg_buf_adds(&out, "{\"events\":[");
    if (!rc) {
        rc = vg_store_search(s, &q, on_event, &c, &err);
        if (rc == 1) rc = c.rc;
    }
    vg__api_store_put(api, s);
    if (rc) {
        vg_buf_release(&out);
        vg_warn("api", "search failed: %s", err.msg[0] ? err.msg : vg_strerror(rc));
        ret = vg__api_reply_json_error(r, 500, "search failed", "%s", err.msg[0] ? err.msg : vg_strerror(rc));
        goto out;
    }
    rc = vg_buf_addf(&out, "],\"count\":%zu,\"truncated\":%s}\n", c.count, c.truncated ? "true" : "false");
    if (rc) {
        vg_buf_release(&out);
        ret = vg__api_reply_json_error(r, 500, "internal error", "cannot build the answer");
        goto out;
    }
    ret = vg__api_reply_buf(r, 200, "application/json", &out);
out:
    api->deps.query_release(&q);
    return ret;
}
