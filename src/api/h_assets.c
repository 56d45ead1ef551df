/* Assets and their posture, as agents report them (tenant of the token,
 * read roles; docs/internals/api.md):
 *   GET /api/v1/assets                {"assets":[{host, os, kernel, packages, last_seen, ...}],"count":N}
 *   GET /api/v1/assets/{host}         {"asset":{...},"inventory":{snapshot},"recent_changes":[...]}
 *                                     (?changes=N, default 50, at most 1000)
 *   GET /api/v1/posture/{host}        {"host":H,"policies":[{policy, ts, score, report, trend}],
 *                                      "vulnerabilities":{ts, count, findings} | null}
 *   GET /api/v1/vulns?host=H          {"host":H,"vulnerabilities":{ts, count, findings} | null}; without host:
 *                                     {"hosts":[{"host":H,"vulnerable_packages":N}],"count":N}
 * Stored JSON (snapshots, reports, findings) is passed through as the
 * store keeps it. Unknown hosts are 404; a store without assets is 503. */
#include "internal.h"

static void add_time(struct vg_buf *b, const char *key, int64_t ns)
{
    char t[48] = "";
    if (ns > 0) vg_time_format(ns, t, sizeof t, 3);
    vg_buf_addf(b, ",\"%s\":", key);
    if (ns > 0) vg_buf_add_json_str(b, t, strlen(t));
    else vg_buf_adds(b, "null");
}

static int info_json(struct vg_buf *b, const struct vg_asset_info *a)
{
    vg_buf_adds(b, "{\"host\":");
    vg_buf_add_json_str(b, a->host, strlen(a->host));
    vg_buf_adds(b, ",\"tenant\":");
    vg_buf_add_json_str(b, a->tenant, strlen(a->tenant));
    vg_buf_adds(b, ",\"os\":");
    vg_buf_add_json_str(b, a->os, strlen(a->os));
    vg_buf_adds(b, ",\"kernel\":");
    vg_buf_add_json_str(b, a->kernel, strlen(a->kernel));
    vg_buf_adds(b, ",\"criticality\":");
    vg_buf_add_json_str(b, a->criticality, strlen(a->criticality));
    add_time(b, "first_seen", a->first_seen);
    add_time(b, "last_seen", a->last_seen);
    add_time(b, "inventory_time", a->inventory_ts);
    vg_buf_addf(b, ",\"packages\":%lld,\"inventory_changes\":%lld,\"posture_score\":", (long long)a->packages,
                (long long)a->changes);
    if (a->score >= 0) vg_buf_addf(b, "%.2f", a->score);
    else vg_buf_adds(b, "null");
    if (a->vulns >= 0) return vg_buf_addf(b, ",\"vulnerable_packages\":%lld}", (long long)a->vulns);
    return vg_buf_adds(b, ",\"vulnerable_packages\":null}");
}

/* The store handle, or a 503 already queued. */
static struct vg_store *store_or_503(struct vg__api_req *r, enum MHD_Result *ret)
{
    struct vg_err err = VG_ERR_INIT;
    struct vg_store *s = vg__api_store_get(r->api, &err);
    if (!s) {
        *ret = vg__api_reply_json_error(r, 503, "unavailable", "cannot open the store: %s", err.msg);
        return NULL;
    }
    if (!s->ops->asset_list || !s->ops->asset_get || !s->ops->asset_get_posture) {
        vg__api_store_put(r->api, s);
        *ret = vg__api_reply_json_error(r, 503, "unavailable", "this store keeps no assets");
        return NULL;
    }
    return s;
}

static enum MHD_Result finish(struct vg__api_req *r, struct vg_buf *out, int rc)
{
    if (!rc) rc = vg_buf_addc(out, '\n');
    if (rc) {
        vg_buf_release(out);
        return vg__api_reply_json_error(r, 500, "internal error", "cannot build the answer");
    }
    return vg__api_reply_buf(r, 200, "application/json", out);
}

enum MHD_Result vg__h_assets(struct vg__api_req *r)
{
    enum MHD_Result ret;
    struct vg_store *s = store_or_503(r, &ret);
    if (!s) return ret;
    struct vg_asset_info *a = NULL;
    size_t n = 0;
    struct vg_err err = VG_ERR_INIT;
    int rc = s->ops->asset_list(s, r->who.tenant, &a, &n, &err);
    vg__api_store_put(r->api, s);
    if (rc) return vg__api_reply_json_error(r, 500, "store error", "%s", err.msg);
    struct vg_buf out = VG_BUF_INIT;
    out.cap_limit = VG__API_MAX_ANSWER + 4096;
    rc = vg_buf_adds(&out, "{\"assets\":[");
    for (size_t i = 0; !rc && i < n; i++) {
        if (i) vg_buf_addc(&out, ',');
        rc = info_json(&out, &a[i]);
    }
    if (!rc) rc = vg_buf_addf(&out, "],\"count\":%zu}", n);
    vg_free(a);
    return finish(r, &out, rc);
}

enum MHD_Result vg__h_asset(struct vg__api_req *r)
{
    const char *ch = vg__api_arg(r, "changes");
    int64_t nch = 50;
    if (ch && (vg_parse_i64(ch, strlen(ch), &nch) || nch < 0 || nch > 1000))
        return vg__api_reply_json_error(r, 400, "bad request", "changes: want 0..1000");
    enum MHD_Result ret;
    struct vg_store *s = store_or_503(r, &ret);
    if (!s) return ret;
    struct vg_asset_info info;
    char *snap = NULL, *changes = NULL;
    struct vg_err err = VG_ERR_INIT;
    int rc = s->ops->asset_get(s, r->who.tenant, r->path_arg, &info, &snap, &changes, nch ? (size_t)nch : 1, &err);
    vg__api_store_put(r->api, s);
    if (rc == VG_ENOENT || rc == VG_EINVAL) return vg__api_reply_json_error(r, 404, "not found", "no asset '%s'", r->path_arg);
    if (rc) return vg__api_reply_json_error(r, 500, "store error", "%s", err.msg);
    struct vg_buf out = VG_BUF_INIT;
    out.cap_limit = VG__API_MAX_ANSWER + 4096;
    rc = vg_buf_adds(&out, "{\"asset\":");
    if (!rc) rc = info_json(&out, &info);
    if (!rc) rc = vg_buf_adds(&out, ",\"inventory\":");
    if (!rc) rc = vg_buf_adds(&out, snap && *snap ? snap : "null");
    if (!rc) rc = vg_buf_adds(&out, ",\"recent_changes\":");
    if (!rc) rc = vg_buf_adds(&out, nch && changes && *changes ? changes : "[]");
    if (!rc) rc = vg_buf_addc(&out, '}');
    vg_free(snap);
    vg_free(changes);
    return finish(r, &out, rc);
}

enum MHD_Result vg__h_posture(struct vg__api_req *r)
{
    enum MHD_Result ret;
    struct vg_store *s = store_or_503(r, &ret);
    if (!s) return ret;
    char *pj = NULL, *vj = NULL;
    struct vg_err err = VG_ERR_INIT;
    int rc = s->ops->asset_get(s, r->who.tenant, r->path_arg, NULL, NULL, NULL, 0, &err);
    if (!rc) rc = s->ops->asset_get_posture(s, r->who.tenant, r->path_arg, &pj, &vj, &err);
    vg__api_store_put(r->api, s);
    if (rc == VG_ENOENT || rc == VG_EINVAL) return vg__api_reply_json_error(r, 404, "not found", "no asset '%s'", r->path_arg);
    if (rc) return vg__api_reply_json_error(r, 500, "store error", "%s", err.msg);
    struct vg_buf out = VG_BUF_INIT;
    out.cap_limit = VG__API_MAX_ANSWER + 4096;
    rc = vg_buf_adds(&out, "{\"host\":");
    if (!rc) rc = vg_buf_add_json_str(&out, r->path_arg, strlen(r->path_arg));
    if (!rc) rc = vg_buf_adds(&out, ",\"policies\":");
    if (!rc) rc = vg_buf_adds(&out, pj && *pj ? pj : "[]");
    if (!rc) rc = vg_buf_adds(&out, ",\"vulnerabilities\":");
    if (!rc) rc = vg_buf_adds(&out, vj && *vj ? vj : "null");
    if (!rc) rc = vg_buf_addc(&out, '}');
    vg_free(pj);
    vg_free(vj);
    return finish(r, &out, rc);
}

enum MHD_Result vg__h_vulns(struct vg__api_req *r)
{
    const char *host = vg__api_arg(r, "host");
    enum MHD_Result ret;
    struct vg_store *s = store_or_503(r, &ret);
    if (!s) return ret;
    struct vg_err err = VG_ERR_INIT;
    struct vg_buf out = VG_BUF_INIT;
    out.cap_limit = VG__API_MAX_ANSWER + 4096;
    int rc;
    if (!host || !*host) {
        struct vg_asset_info *a = NULL;
        size_t n = 0, k = 0;
        rc = s->ops->asset_list(s, r->who.tenant, &a, &n, &err);
        vg__api_store_put(r->api, s);
        if (rc) return vg__api_reply_json_error(r, 500, "store error", "%s", err.msg);
        rc = vg_buf_adds(&out, "{\"hosts\":[");
        for (size_t i = 0; !rc && i < n; i++) {
            if (a[i].vulns < 0) continue;
            if (k++) vg_buf_addc(&out, ',');
            rc = vg_buf_adds(&out, "{\"host\":");
            if (!rc) rc = vg_buf_add_json_str(&out, a[i].host, strlen(a[i].host));
            if (!rc) rc = vg_buf_addf(&out, ",\"vulnerable_packages\":%lld}", (long long)a[i].vulns);
        }
        if (!rc) rc = vg_buf_addf(&out, "],\"count\":%zu}", k);
        vg_free(a);
        return finish(r, &out, rc);
    }
    char *pj = NULL, *vj = NULL;
    rc = s->ops->asset_get(s, r->who.tenant, host, NULL, NULL, NULL, 0, &err);
    if (!rc) rc = s->ops->asset_get_posture(s, r->who.tenant, host, &pj, &vj, &err);
    vg__api_store_put(r->api, s);
    vg_free(pj);
    if (rc == VG_ENOENT || rc == VG_EINVAL) return vg__api_reply_json_error(r, 404, "not found", "no asset '%s'", host);
    if (rc) return vg__api_reply_json_error(r, 500, "store error", "%s", err.msg);
    /* vj is {"ts":..,"count":N,"findings":[...]} or null */
    rc = vg_buf_adds(&out, "{\"host\":");
    if (!rc) rc = vg_buf_add_json_str(&out, host, strlen(host));
    if (!rc) rc = vg_buf_adds(&out, ",\"vulnerabilities\":");
    if (!rc) rc = vg_buf_adds(&out, vj && *vj ? vj : "null");
    if (!rc) rc = vg_buf_addc(&out, '}');
    vg_free(vj);
    return finish(r, &out, rc);
}
