/* Incidents, suppressions and risk (issue 4; docs/internals/incidents.md),
 * all scoped to the token's tenant:
 *   GET  /api/v1/incidents?status=&all=1&limit=   list by priority
 *   GET  /api/v1/incidents/{id}                   one incident with its timeline
 *   POST /api/v1/incidents/{id}/merge   {"from":"INC-..."}     merge from into id
 *   POST /api/v1/incidents/{id}/split   {"alerts":["<32 hex>",...]} -> {"id":new}
 *   POST /api/v1/incidents/{id}/status  {"status":"in_progress"|"closed"|"new"}
 *   GET  /api/v1/suppressions                     active suppressions
 *   POST /api/v1/suppressions {"rule":R,"entity":"host:web1","for":"24h","reason":...}
 *   GET  /api/v1/risk?limit=                      entities by risk
 * Reads need a viewer token or better, changes analyst, responder or
 * admin (routes.def). The work is done by the respond layer. */
#include "internal.h"
#include "vigil/respond.h"
#include <jansson.h>

#define PREFIX "/api/v1/incidents/"

static enum MHD_Result store_error(struct vg__api_req *r, int rc, const struct vg_err *err, const char *what)
{
    const char *d = err->msg[0] ? err->msg : vg_strerror(rc);
    if (rc == VG_ENOENT) return vg__api_reply_json_error(r, 404, "not found", "%s", d);
    if (rc == VG_EINVAL) return vg__api_reply_json_error(r, 400, "bad request", "%s", d);
    if (rc == VG_EUNSUP) return vg__api_reply_json_error(r, 503, "unavailable", "%s", d);
    vg_warn("api", "%s failed: %s", what, d);
    return vg__api_reply_json_error(r, 500, "internal error", "%s: %s", what, d);
}

/* Runs fn on a pooled store handle and answers the buffer it filled. */
static enum MHD_Result answer(struct vg__api_req *r, struct vg_buf *out, int rc, const struct vg_err *err, const char *what)
{
    if (rc) {
        vg_buf_release(out);
        return store_error(r, rc, err, what);
    }
    if (vg_buf_addc(out, '\n')) {
        vg_buf_release(out);
        return vg__api_reply_json_error(r, 500, "internal error", "cannot build the answer");
    }
    return vg__api_reply_buf(r, 200, "application/json", out);
}

enum MHD_Result vg__h_incidents(struct vg__api_req *r)
{
    const char *status = vg__api_arg(r, "status"), *all = vg__api_arg(r, "all");
    size_t limit;
    bool asc;
    enum MHD_Result ret;
    if (vg__api_page_args(r, &limit, &asc, &ret)) return ret;
    struct vg_inc_query q = {.tenant = r->who.tenant, .status = status && *status ? status : NULL,
                             .all = all && (!strcmp(all, "1") || !strcmp(all, "true")), .limit = limit};
    struct vg_err err = VG_ERR_INIT;
    struct vg_store *s = vg__api_store_get(r->api, &err);
    if (!s) return vg__api_reply_json_error(r, 503, "unavailable", "cannot open the store: %s", err.msg);
    struct vg_buf out = VG_BUF_INIT;
    out.cap_limit = VG__API_MAX_ANSWER;
    int rc = vg_incident_list_json(s, &q, &out, &err);
    vg__api_store_put(r->api, s);
    return answer(r, &out, rc, &err, "incident list");
}

/* Splits "/api/v1/incidents/ID[/ACTION]" into id and action. */
static int parse_path(const char *url, char id[VG_INC_ID_MAX], char action[16])
{
    const char *p = url + strlen(PREFIX);
    const char *slash = strchr(p, '/');
    size_t n = slash ? (size_t)(slash - p) : strlen(p);
    if (!n || n >= VG_INC_ID_MAX) return -1;
    memcpy(id, p, n);
    id[n] = 0;
    action[0] = 0;
    if (slash) {
        size_t an = strlen(slash + 1);
        if (!an || an >= 16 || strchr(slash + 1, '/')) return -1;
        memcpy(action, slash + 1, an + 1);
    }
    return 0;
}

enum MHD_Result vg__h_incident_show(struct vg__api_req *r)
{
    char id[VG_INC_ID_MAX], action[16];
    if (parse_path(r->url, id, action) || action[0])
        return vg__api_reply_json_error(r, 404, "not found", "no route for %s", r->url);
    struct vg_err err = VG_ERR_INIT;
    struct vg_store *s = vg__api_store_get(r->api, &err);
    if (!s) return vg__api_reply_json_error(r, 503, "unavailable", "cannot open the store: %s", err.msg);
    struct vg_buf out = VG_BUF_INIT;
    out.cap_limit = VG__API_MAX_ANSWER;
    int rc = vg_incident_show_json(s, r->who.tenant, id, &out, &err);
    vg__api_store_put(r->api, s);
    return answer(r, &out, rc, &err, "incident");
}

static json_t *body_json(struct vg__api_req *r, enum MHD_Result *ret)
{
    json_error_t je;
    json_t *j = r->body.len ? json_loadb(r->body.data, r->body.len, 0, &je) : NULL;
    if (!json_is_object(j)) {
        json_decref(j);
        *ret = vg__api_reply_json_error(r, 400, "bad request", "the body must be a JSON object");
        return NULL;
    }
    return j;
}

enum MHD_Result vg__h_incident_action(struct vg__api_req *r)
{
    char id[VG_INC_ID_MAX], action[16];
    if (parse_path(r->url, id, action) || !action[0])
        return vg__api_reply_json_error(r, 404, "not found", "POST %s<id>/merge, /split or /status", PREFIX);
    if (strcmp(action, "merge") && strcmp(action, "split") && strcmp(action, "status"))
        return vg__api_reply_json_error(r, 404, "not found", "unknown incident action '%s' (merge, split, status)", action);
    enum MHD_Result ret;
    json_t *j = body_json(r, &ret);
    if (!j) return ret;
    struct vg_err err = VG_ERR_INIT;
    struct vg_store *s = vg__api_store_get(r->api, &err);
    if (!s) {
        json_decref(j);
        return vg__api_reply_json_error(r, 503, "unavailable", "cannot open the store: %s", err.msg);
    }
    struct vg_buf out = VG_BUF_INIT;
    int rc = 0;
    const char **ids = NULL;
    if (!strcmp(action, "merge")) {
        const char *from = json_string_value(json_object_get(j, "from"));
        if (!from) rc = vg_err_set(&err, VG_EINVAL, "merge needs {\"from\": \"INC-...\"}");
        else rc = vg_incident_merge(s, r->who.tenant, id, from, r->api->opts.respond, &err);
        if (!rc) rc = vg_buf_addf(&out, "{\"ok\":true,\"id\":\"%s\",\"merged\":\"%s\"}", id, from);
        if (!rc) vg_info("api", "%s merged incident %s into %s", r->who.name, from, id);
    } else if (!strcmp(action, "split")) {
        json_t *al = json_object_get(j, "alerts");
        size_t n = json_array_size(al);
        if (!n || n > 10000) rc = vg_err_set(&err, VG_EINVAL, "split needs {\"alerts\": [\"<alert id>\", ...]} (1 to 10000)");
        else if (!(ids = vg_calloc(n, sizeof *ids))) rc = vg_err_set(&err, VG_ENOMEM, "out of memory");
        for (size_t i = 0; !rc && i < n; i++)
            if (!(ids[i] = json_string_value(json_array_get(al, i)))) rc = vg_err_set(&err, VG_EINVAL, "alert ids are strings");
        char nid[VG_INC_ID_MAX] = "";
        if (!rc) rc = vg_incident_split(s, r->who.tenant, id, ids, n, nid, r->api->opts.respond, &err);
        if (!rc) rc = vg_buf_addf(&out, "{\"ok\":true,\"id\":\"%s\",\"from\":\"%s\",\"moved\":%zu}", nid, id, n);
        if (!rc) vg_info("api", "%s split %zu alerts of %s into %s", r->who.name, n, id, nid);
    } else {
        const char *st = json_string_value(json_object_get(j, "status"));
        rc = vg_incident_set_status(s, r->who.tenant, id, st, &err);
        if (!rc) rc = vg_buf_addf(&out, "{\"ok\":true,\"id\":\"%s\",\"status\":\"%s\"}", id, st);
        if (!rc) vg_info("api", "%s set incident %s to %s", r->who.name, id, st);
    }
    vg__api_store_put(r->api, s);
    vg_free(ids);
    json_decref(j);
    return answer(r, &out, rc, &err, "incident change");
}

enum MHD_Result vg__h_suppressions(struct vg__api_req *r)
{
    struct vg_err err = VG_ERR_INIT;
    struct vg_store *s = vg__api_store_get(r->api, &err);
    if (!s) return vg__api_reply_json_error(r, 503, "unavailable", "cannot open the store: %s", err.msg);
    struct vg_buf out = VG_BUF_INIT;
    int rc = vg_suppressions_json(s, r->who.tenant, vg_now_ns(), &out, &err);
    vg__api_store_put(r->api, s);
    return answer(r, &out, rc, &err, "suppression list");
}

enum MHD_Result vg__h_suppress(struct vg__api_req *r)
{
    enum MHD_Result ret;
    json_t *j = body_json(r, &ret);
    if (!j) return ret;
    const char *rule = json_string_value(json_object_get(j, "rule")),
               *entity = json_string_value(json_object_get(j, "entity")),
               *dur = json_string_value(json_object_get(j, "for")),
               *reason = json_string_value(json_object_get(j, "reason"));
    int64_t ns = 0;
    struct vg_err err = VG_ERR_INIT;
    int rc = 0;
    if (!dur || vg_duration_parse(dur, &ns) != 0 || ns <= 0)
        rc = vg_err_set(&err, VG_EINVAL, "\"for\" takes a duration such as 30m, 24h or 7d");
    struct vg_buf out = VG_BUF_INIT;
    if (!rc) {
        struct vg_store *s = vg__api_store_get(r->api, &err);
        if (!s) {
            json_decref(j);
            return vg__api_reply_json_error(r, 503, "unavailable", "cannot open the store: %s", err.msg);
        }
        int64_t id = 0;
        rc = vg_suppress(s, r->who.tenant, rule, entity, ns, r->who.name, reason, &id, &err);
        vg__api_store_put(r->api, s);
        if (!rc) rc = vg_buf_addf(&out, "{\"ok\":true,\"id\":%lld}", (long long)id);
        if (!rc) vg_info("api", "%s suppressed rule %s for %s (%s)", r->who.name, rule, entity, dur);
    }
    json_decref(j);
    return answer(r, &out, rc, &err, "suppression");
}

enum MHD_Result vg__h_risk(struct vg__api_req *r)
{
    size_t limit;
    bool asc;
    enum MHD_Result ret;
    if (vg__api_page_args(r, &limit, &asc, &ret)) return ret;
    struct vg_err err = VG_ERR_INIT;
    struct vg_store *s = vg__api_store_get(r->api, &err);
    if (!s) return vg__api_reply_json_error(r, 503, "unavailable", "cannot open the store: %s", err.msg);
    struct vg_buf out = VG_BUF_INIT;
    out.cap_limit = VG__API_MAX_ANSWER;
    int rc = vg_risk_list_json(s, r->who.tenant, vg_now_ns(), r->api->opts.respond, limit, &out, &err);
    vg__api_store_put(r->api, s);
    return answer(r, &out, rc, &err, "risk list");
}
