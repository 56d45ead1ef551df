/* What the list endpoints (GET /api/v1/events, GET /api/v1/alerts) share:
 * the since/until/limit/order query arguments and the collector that
 * appends stored JSON objects to a bounded answer. since/until take a
 * duration back from now ("15m", "1h", "7d") or an RFC 3339 time; limit is
 * a positive integer capped at VG__API_MAX_LIMIT; order is asc or desc. */
#include "internal.h"

#define DEFAULT_LIMIT 100

int vg__api_collect_add(struct vg__api_collect *c, const char *json, size_t len)
{
    if (c->count == c->limit) {
        c->truncated = true;
        return 1;
    }
    if (!json || !len) return 0;
    if (c->out->len + len + 64 > VG__API_MAX_ANSWER) {
        c->truncated = true;
        return 1;
    }
    int rc = c->count ? vg_buf_addc(c->out, ',') : 0;
    if (!rc) rc = vg_buf_add(c->out, json, len);
    if (rc) {
        c->rc = rc;
        return 1;
    }
    c->count++;
    return 0;
}

/* Parses a since/until value into ns; 0 when absent. */
static int time_arg(const char *v, int64_t now, int64_t *out)
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

int vg__api_time_args(struct vg__api_req *r, int64_t now, int64_t *since, int64_t *until, enum MHD_Result *reply)
{
    const char *s = vg__api_arg(r, "since"), *u = vg__api_arg(r, "until");
    if (time_arg(s, now, since)) {
        *reply = vg__api_reply_json_error(r, 400, "bad request",
                                          "since: '%s' is neither a duration (15m, 1h, 7d) nor an RFC 3339 time", s);
        return -1;
    }
    if (time_arg(u, now, until)) {
        *reply = vg__api_reply_json_error(r, 400, "bad request",
                                          "until: '%s' is neither a duration (15m, 1h, 7d) nor an RFC 3339 time", u);
        return -1;
    }
    return 0;
}

int vg__api_page_args(struct vg__api_req *r, size_t *limit, bool *ascending, enum MHD_Result *reply)
{
    const char *limit_s = vg__api_arg(r, "limit"), *order = vg__api_arg(r, "order");
    *limit = DEFAULT_LIMIT;
    *ascending = false;
    if (limit_s && *limit_s) {
        uint64_t l;
        if (vg_parse_u64(limit_s, strlen(limit_s), &l) || l == 0) {
            *reply = vg__api_reply_json_error(r, 400, "bad request", "limit: '%s' is not a positive integer", limit_s);
            return -1;
        }
        *limit = l > VG__API_MAX_LIMIT ? VG__API_MAX_LIMIT : (size_t)l;
    }
    if (order && *order) {
        if (strcmp(order, "asc") == 0) *ascending = true;
        else if (strcmp(order, "desc") != 0) {
            *reply = vg__api_reply_json_error(r, 400, "bad request", "order: '%s' must be asc or desc", order);
            return -1;
        }
    }
    return 0;
}
