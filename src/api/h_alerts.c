/* GET /api/v1/alerts?since=&until=&level=&rule=&status=&q=&limit=&order=:
 * alerts of the token's tenant from the store (ops->alert_search), newest
 * first, as {"alerts":[...],"count":N,"truncated":bool,"levels":{...}}
 * with each alert as stored (docs/internals/alerts.md) and the number of
 * matching alerts per level. level is a minimum (high = high and
 * critical); q is the search language over the alert's fields.
 * POST /api/v1/rules/reload (admin): re-reads the server's rules and swaps
 * the rule set (callback given by the server, vg_api_opts.rules_reload). */
#include "internal.h"

static int on_alert(void *vctx, const struct vg_stored_alert *a)
{
    return vg__api_collect_add(vctx, a->json, a->json_len);
}

enum MHD_Result vg__h_alerts(struct vg__api_req *r)
{
    struct vg_api *api = r->api;
    const char *level = vg__api_arg(r, "level");
    const char *rule = vg__api_arg(r, "rule"), *status = vg__api_arg(r, "status"), *qtext = vg__api_arg(r, "q");
    struct vg_alert_query aq;
    memset(&aq, 0, sizeof aq);
    enum MHD_Result ret;
    if (vg__api_time_args(r, vg_now_ns(), &aq.since, &aq.until, &ret)) return ret;
    if (level && *level && (aq.min_level = vg_alert_level_parse(level)) < 0)
        return vg__api_reply_json_error(r, 400, "bad request", "level: '%s' is not informational, low, medium, high or critical", level);
    size_t limit;
    if (vg__api_page_args(r, &limit, &aq.ascending, &ret)) return ret;
    aq.rule = rule && *rule ? rule : NULL;
    aq.status = status && *status ? status : NULL;
    aq.tenant = r->who.tenant;
    aq.limit = limit + 1;

    struct vg_query q;
    memset(&q, 0, sizeof q);
    struct vg_err err = VG_ERR_INIT;
    if (qtext && *qtext) {
        if (!api->deps.query_parse)
            return vg__api_reply_json_error(r, 503, "unavailable", "search is not available on this server");
        int rc = api->deps.query_parse(&q, qtext, &err);
        if (rc) {
            api->deps.query_release(&q);
            return vg__api_reply_json_error(r, 400, "bad query", "%s (column %d)", err.msg[0] ? err.msg : vg_strerror(rc), err.col);
        }
        aq.where = q.root;
    }

    struct vg_buf out = VG_BUF_INIT;
    out.cap_limit = VG__API_MAX_ANSWER + 4096;
    struct vg_store *s = vg__api_store_get(api, &err);
    if (!s) {
        ret = vg__api_reply_json_error(r, 503, "unavailable", "cannot open the store: %s", err.msg);
        goto out;
    }
    if (!s->ops->alert_search || !s->ops->alert_counts) {
        vg__api_store_put(api, s);
        ret = vg__api_reply_json_error(r, 503, "unavailable", "this store keeps no alerts");
        goto out;
    }
    struct vg__api_collect c = {&out, 0, limit, false, 0};
    uint64_t counts[VG_ALERT_NLEVELS];
    int rc = vg_buf_adds(&out, "{\"alerts\":[");
    if (!rc) {
        rc = s->ops->alert_search(s, &aq, on_alert, &c, &err);
        if (rc == 1) rc = c.rc;
    }
    if (!rc) rc = s->ops->alert_counts(s, &aq, counts, &err);
    vg__api_store_put(api, s);
    if (rc == VG_EINVAL) {
        vg_buf_release(&out);
        ret = vg__api_reply_json_error(r, 400, "bad query", "%s", err.msg[0] ? err.msg : vg_strerror(rc));
        goto out;
    }
    if (rc) {
        vg_buf_release(&out);
        vg_warn("api", "alert search failed: %s", err.msg[0] ? err.msg : vg_strerror(rc));
        ret = vg__api_reply_json_error(r, 500, "search failed", "%s", err.msg[0] ? err.msg : vg_strerror(rc));
        goto out;
    }
    rc = vg_buf_addf(&out, "],\"count\":%zu,\"truncated\":%s,\"levels\":{", c.count, c.truncated ? "true" : "false");
    for (int l = 0; !rc && l < VG_ALERT_NLEVELS; l++)
        rc = vg_buf_addf(&out, "%s\"%s\":%llu", l ? "," : "", vg_alert_level_name(l), (unsigned long long)counts[l]);
    if (!rc) rc = vg_buf_adds(&out, "}}\n");
    if (rc) {
        vg_buf_release(&out);
        ret = vg__api_reply_json_error(r, 500, "internal error", "cannot build the answer");
        goto out;
    }
    ret = vg__api_reply_buf(r, 200, "application/json", &out);
out:
    if (api->deps.query_release) api->deps.query_release(&q);
    return ret;
}

enum MHD_Result vg__h_rules_reload(struct vg__api_req *r)
{
    struct vg_api *api = r->api;
    if (!api->opts.rules_reload)
        return vg__api_reply_json_error(r, 503, "unavailable", "this server has no detection rules to reload");
    struct vg_buf out = VG_BUF_INIT;
    struct vg_err err = VG_ERR_INIT;
    int rc = api->opts.rules_reload(api->opts.detect_ctx, &out, &err);
    if (rc) {
        vg_buf_release(&out);
        vg_warn("api", "rule reload by %s failed: %s", r->who.name, err.msg[0] ? err.msg : vg_strerror(rc));
        return vg__api_reply_json_error(r, rc == VG_ENOMEM ? 500 : 422, "reload failed", "%s; the previous rules stay in use",
                                        err.msg[0] ? err.msg : vg_strerror(rc));
    }
    vg_info("api", "rules reloaded by %s", r->who.name);
    if (vg_buf_addc(&out, '\n')) {
        vg_buf_release(&out);
        return vg__api_reply_json_error(r, 500, "internal error", "cannot build the answer");
    }
    return vg__api_reply_buf(r, 200, "application/json", &out);
}
