/* GET /metrics: OpenMetrics text. The pipeline's per-source counters
 * (received, decoded, failed, dropped, stored, ...) followed by the API's
 * own: requests by route and status, auth failures by reason, rejected
 * ingest records, uptime. One "# EOF" at the end. */
#include "internal.h"

static int api_metrics(struct vg_api *api, struct vg_buf *b)
{
    int rc = vg_buf_adds(b, "# TYPE vigil_api_requests counter\n"
                            "# HELP vigil_api_requests HTTP requests answered, by route and status code.\n");
    for (size_t row = 0; rc == 0 && row <= vg__api_nroutes; row++) {
        const char *method = row < vg__api_nroutes ? vg__api_routes[row].method : "any";
        const char *path = row < vg__api_nroutes ? vg__api_routes[row].path : "unrouted";
        for (size_t k = 0; rc == 0 && k < VG__API_NCODES; k++) {
            uint64_t v = atomic_load(&api->req_counts[row * VG__API_NCODES + k]);
            bool always = row < vg__api_nroutes && vg__api_codes[k] == 200;
            if (!v && !always) continue;
            char code[16];
            if (vg__api_codes[k]) snprintf(code, sizeof code, "%d", vg__api_codes[k]);
            else snprintf(code, sizeof code, "other");
            rc = vg_buf_addf(b, "vigil_api_requests_total{method=\"%s\",route=\"%s\",code=\"%s\"} %llu\n", method,
                             path, code, (unsigned long long)v);
        }
    }
    if (!rc) rc = vg_buf_adds(b, "# TYPE vigil_api_auth_failures counter\n"
                                 "# HELP vigil_api_auth_failures Requests refused by authentication or role checks.\n");
    static const char *reasons[VG__AUTH__COUNT] = {NULL, "missing", "malformed", "invalid", "forbidden", "unavailable"};
    for (int k = 1; rc == 0 && k < VG__AUTH__COUNT; k++)
        rc = vg_buf_addf(b, "vigil_api_auth_failures_total{reason=\"%s\"} %llu\n", reasons[k],
                         (unsigned long long)atomic_load(&api->auth_fail[k]));
    if (!rc)
        rc = vg_buf_addf(b,
                         "# TYPE vigil_api_ingest_rejected_records counter\n"
                         "# HELP vigil_api_ingest_rejected_records Ingest records refused by the validator.\n"
                         "vigil_api_ingest_rejected_records_total %llu\n"
                         "# TYPE vigil_api_uptime_seconds gauge\n"
                         "# HELP vigil_api_uptime_seconds Seconds since the API started.\n"
                         "vigil_api_uptime_seconds %.3f\n",
                         (unsigned long long)atomic_load(&api->ingest_rejected),
                         (double)(vg_mono_ns() - api->started_mono) / 1e9);
    return rc;
}

enum MHD_Result vg__h_metrics(struct vg__api_req *r)
{
    struct vg_api *api = r->api;
    struct vg_buf b = VG_BUF_INIT;
    int rc = 0;
    if (api->opts.pipeline && api->deps.metrics) {
        rc = api->deps.metrics(api->opts.pipeline, &b);
        /* Drop the pipeline's "# EOF" so ours can follow; one EOF at the end. */
        while (!rc && b.len && b.data[b.len - 1] == '\n') b.data[--b.len] = 0;
        if (!rc && b.len >= 5 && memcmp(b.data + b.len - 5, "# EOF", 5) == 0) {
            b.len -= 5;
            b.data[b.len] = 0;
        }
        while (!rc && b.len && b.data[b.len - 1] == '\n') b.data[--b.len] = 0;
        if (!rc && b.len) rc = vg_buf_addc(&b, '\n');
    }
    if (!rc && api->opts.detect_metrics) rc = api->opts.detect_metrics(api->opts.detect_ctx, &b); /* alerts, rules */
    if (!rc) rc = api_metrics(api, &b);
    if (!rc) rc = vg_buf_adds(&b, "# EOF\n");
    if (rc) {
        vg_buf_release(&b);
        return vg__api_reply_json_error(r, 500, "internal error", "cannot render metrics: %s", vg_strerror(rc));
    }
    return vg__api_reply_buf(r, 200, "application/openmetrics-text; version=1.0.0; charset=utf-8", &b);
}
