/* GET /api/v1/events?q=QUERY&since=&until=&limit=&order=asc|desc: parses the
 * query (vg_query_parse: field:value, wildcards, phrases, AND/OR/NOT,
 * comparisons, CIDR), scopes it to the token's tenant, runs it on a store
 * read handle and answers {"events":[...],"count":N,"truncated":bool} with
 * each event as stored. since/until take a duration back from now ("15m",
 * "1h", "7d") or an RFC 3339 time. truncated = more events matched than
 * the limit (asked as limit+1), or the answer hit its size cap. */
#include "internal.h"

#define DEFAULT_LIMIT 100
#define MAX_LIMIT 10000
#define MAX_ANSWER ((size_t)64 << 20)

struct collect {
    struct vg_buf *out;
    size_t count, limit;
    bool truncated;
    int rc;
};

static int on_event(void *vctx, const struct vg_stored_event *ev)
{
    struct collect *c = vctx;
    if (c->count == c->limit) {
        c->truncated = true;
        return 1;
    }
    if (!ev->json || !ev->json_len) return 0;
    if (c->out->len + ev->json_len + 64 > MAX_ANSWER) {
        c->truncated = true;
        return 1;
    }
    int rc = c->count ? vg_buf_addc(c->out, ',') : 0;
    if (!rc) rc = vg_buf_add(c->out, ev->json, ev->json_len);
    if (rc) {
        c->rc = rc;
        return 1;
    }
    c->count++;
    return 0;
}

/* Parses a since/until value into ns; 0 when absent. */
static int parse_time_arg(const char *v, int64_t now, int64_t *out)
{
    *out = 0;
    if (!v || !*v) return 0;
    int64_t d;
    if (vg_duration_parse(v, &d) == 0) {
        *out = now - d;
        return 0;
    }
    return vg_time_parse_iso(v, strlen(v), out);
}

enum MHD_Result vg__h_events(struct vg__api_req *r)
{
    struct vg_api *api = r->api;
    const char *qtext = vg__api_arg(r, "q");
    const char *since = vg__api_arg(r, "since"), *until = vg__api_arg(r, "until");
    const char *limit_s = vg__api_arg(r, "limit"), *order = vg__api_arg(r, "order");
    int64_t now = vg_now_ns(), t0, t1;
    if (parse_time_arg(since, now, &t0))
        return vg__api_reply_json_error(r, 400, "bad request", "since: '%s' is neither a duration (15m, 1h, 7d) nor an RFC 3339 time", since);
    if (parse_time_arg(until, now, &t1))
        return vg__api_reply_json_error(r, 400, "bad request", "until: '%s' is neither a duration (15m, 1h, 7d) nor an RFC 3339 time", until);
    size_t limit = DEFAULT_LIMIT;
    if (limit_s && *limit_s) {
        uint64_t l;
        if (vg_parse_u64(limit_s, strlen(limit_s), &l) || l == 0)
            return vg__api_reply_json_error(r, 400, "bad request", "limit: '%s' is not a positive integer", limit_s);
        limit = l > MAX_LIMIT ? MAX_LIMIT : (size_t)l;
    }
    bool asc = false;
    if (order && *order) {
        if (strcmp(order, "asc") == 0) asc = true;
        else if (strcmp(order, "desc") != 0)
            return vg__api_reply_json_error(r, 400, "bad request", "order: '%s' must be asc or desc", order);
    }

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

    enum MHD_Result ret;
    struct vg_buf out = VG_BUF_INIT;
    out.cap_limit = MAX_ANSWER + 4096;
    struct vg_store *s = vg__api_store_get(api, &err);
    if (!s) {
        ret = vg__api_reply_json_error(r, 503, "unavailable", "cannot open the store: %s", err.msg);
        goto out;
    }
    struct collect c = {&out, 0, limit, false, 0};
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
