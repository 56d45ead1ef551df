/* GET /api/v1/status: version, uptime, the caller's tenant, store stats of
 * that tenant and the per-source pipeline counters, as JSON (read by
 * `vigil status`). A store that cannot be read is reported in
 * "store_error" rather than failing the whole answer. */
#include "internal.h"

enum MHD_Result vg__h_status(struct vg__api_req *r)
{
    struct vg_api *api = r->api;
    struct vg_buf b = VG_BUF_INIT;
    char started[48];
    vg_time_format(api->started_wall, started, sizeof started, 3);
    int rc = vg_buf_addf(&b, "{\"version\":\"%s\",\"started\":\"%s\",\"uptime_s\":%.3f,\"tenant\":", VIGIL_VERSION,
                         started, (double)(vg_mono_ns() - api->started_mono) / 1e9);
    if (!rc) rc = vg_buf_add_json_str(&b, r->who.tenant, strlen(r->who.tenant));

    struct vg_err err = VG_ERR_INIT;
    struct vg_store_stats st;
    memset(&st, 0, sizeof st);
    struct vg_store *s = vg__api_store_get(api, &err);
    int src = s ? (s->ops->stats ? s->ops->stats(s, r->who.tenant, &st, &err) : VG_EUNSUP) : VG_EIO;
    vg__api_store_put(api, s);
    if (!rc && src == 0) {
        char oldest[48] = "", newest[48] = "";
        if (st.oldest) vg_time_format(st.oldest, oldest, sizeof oldest, 3);
        if (st.newest) vg_time_format(st.newest, newest, sizeof newest, 3);
        rc = vg_buf_addf(&b,
                         ",\"store\":{\"events\":%llu,\"blocks\":%llu,\"partitions\":%llu,\"bytes\":%llu,"
                         "\"oldest\":%s%s%s,\"newest\":%s%s%s}",
                         (unsigned long long)st.events, (unsigned long long)st.blocks,
                         (unsigned long long)st.partitions, (unsigned long long)st.bytes, st.oldest ? "\"" : "",
                         st.oldest ? oldest : "null", st.oldest ? "\"" : "", st.newest ? "\"" : "",
                         st.newest ? newest : "null", st.newest ? "\"" : "");
    } else if (!rc) {
        const char *m = err.msg[0] ? err.msg : vg_strerror(src);
        rc = vg_buf_adds(&b, ",\"store\":null,\"store_error\":");
        if (!rc) rc = vg_buf_add_json_str(&b, m, strlen(m));
    }

    if (!rc) rc = vg_buf_adds(&b, ",\"sources\":");
    if (!rc) {
        struct vg_buf m = VG_BUF_INIT;
        int mrc = (api->opts.pipeline && api->deps.metrics) ? api->deps.metrics(api->opts.pipeline, &m) : 0;
        rc = mrc ? vg_buf_adds(&b, "{}") : vg__api_metrics_to_json(m.data ? m.data : "", m.len, &b);
        vg_buf_release(&m);
    }
    uint64_t reqs = 0, authf = 0;
    for (size_t i = 0; i < (vg__api_nroutes + 1) * VG__API_NCODES; i++) reqs += atomic_load(&api->req_counts[i]);
    for (int k = 1; k < VG__AUTH__COUNT; k++) authf += atomic_load(&api->auth_fail[k]);
    if (!rc)
        rc = vg_buf_addf(&b, ",\"api\":{\"requests\":%llu,\"auth_failures\":%llu,\"ingest_rejected\":%llu}}\n",
                         (unsigned long long)reqs, (unsigned long long)authf,
                         (unsigned long long)atomic_load(&api->ingest_rejected));
    if (rc) {
        vg_buf_release(&b);
        return vg__api_reply_json_error(r, 500, "internal error", "cannot build the status: %s", vg_strerror(rc));
    }
    return vg__api_reply_buf(r, 200, "application/json", &b);
}
