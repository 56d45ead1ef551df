/* /api/v1/intel: the registered threat-intel feeds (list, add, remove,
 * refresh now), the current IoC set's figures and the analyst's look-up
 * ("which feeds and indicators hold this value?"). The work is done by the
 * server (vg_api_opts.intel, src/server/intel.c); these handlers map its
 * answers and error codes to HTTP. Reads need a read role, changes admin
 * (routes.def). Changes are logged with the caller's token name. */
#include "internal.h"

static enum MHD_Result unavailable(struct vg__api_req *r)
{
    return vg__api_reply_json_error(r, 503, "unavailable", "threat intel is not available on this server (detection is off)");
}

static int status_of(int rc)
{
    switch (rc) {
    case VG_EINVAL: case VG_EPARSE: case VG_EFORMAT: return 400;
    case VG_ENOENT: return 404;
    case VG_EEXIST: return 409;
    case VG_EUNSUP: return 503;
    default: return 500;
    }
}

static const char *error_of(int status)
{
    switch (status) {
    case 400: return "bad request";
    case 404: return "not found";
    case 409: return "conflict";
    case 503: return "unavailable";
    default: return "internal error";
    }
}

/* Answers out (status ok) or the error of rc. */
static enum MHD_Result answer(struct vg__api_req *r, int rc, int ok, struct vg_buf *out, const struct vg_err *err)
{
    if (rc) {
        vg_buf_release(out);
        int st = status_of(rc);
        return vg__api_reply_json_error(r, st, error_of(st), "%s", err->msg[0] ? err->msg : vg_strerror(rc));
    }
    if (vg_buf_addc(out, '\n')) {
        vg_buf_release(out);
        return vg__api_reply_json_error(r, 500, "internal error", "cannot build the answer");
    }
    return vg__api_reply_buf(r, ok, "application/json", out);
}

enum MHD_Result vg__h_intel_feeds(struct vg__api_req *r)
{
    const struct vg_api_intel *in = r->api->opts.intel;
    if (!in) return unavailable(r);
    struct vg_buf out = VG_BUF_INIT;
    struct vg_err err = VG_ERR_INIT;
    int rc = in->feeds_list(r->api->opts.intel_ctx, &out, &err);
    return answer(r, rc, 200, &out, &err);
}

enum MHD_Result vg__h_intel_feed_add(struct vg__api_req *r)
{
    const struct vg_api_intel *in = r->api->opts.intel;
    if (!in) return unavailable(r);
    struct vg_buf out = VG_BUF_INIT;
    struct vg_err err = VG_ERR_INIT;
    int rc = in->feed_add(r->api->opts.intel_ctx, r->body.data, r->body.len, &out, &err);
    if (!rc) vg_info("api", "intel feed added by %s", r->who.name);
    return answer(r, rc, 201, &out, &err);
}

enum MHD_Result vg__h_intel_feed_remove(struct vg__api_req *r)
{
    const struct vg_api_intel *in = r->api->opts.intel;
    if (!in) return unavailable(r);
    struct vg_buf out = VG_BUF_INIT;
    struct vg_err err = VG_ERR_INIT;
    int rc = in->feed_remove(r->api->opts.intel_ctx, r->path_arg, &out, &err);
    if (!rc) vg_info("api", "intel feed %s removed by %s", r->path_arg, r->who.name);
    return answer(r, rc, 200, &out, &err);
}

enum MHD_Result vg__h_intel_feed_refresh(struct vg__api_req *r)
{
    const struct vg_api_intel *in = r->api->opts.intel;
    if (!in) return unavailable(r);
    struct vg_buf out = VG_BUF_INIT;
    struct vg_err err = VG_ERR_INIT;
    int rc = in->feed_refresh(r->api->opts.intel_ctx, r->path_arg, &out, &err);
    if (!rc) vg_info("api", "intel feed %s refreshed by %s", r->path_arg, r->who.name);
    return answer(r, rc, 200, &out, &err);
}

enum MHD_Result vg__h_intel_stats(struct vg__api_req *r)
{
    const struct vg_api_intel *in = r->api->opts.intel;
    if (!in) return unavailable(r);
    struct vg_buf out = VG_BUF_INIT;
    struct vg_err err = VG_ERR_INIT;
    int rc = in->stats(r->api->opts.intel_ctx, &out, &err);
    return answer(r, rc, 200, &out, &err);
}

enum MHD_Result vg__h_intel_lookup(struct vg__api_req *r)
{
    const struct vg_api_intel *in = r->api->opts.intel;
    if (!in) return unavailable(r);
    const char *v = vg__api_arg(r, "value");
    if (!v || !*v) return vg__api_reply_json_error(r, 400, "bad request", "value: the IP, domain, URL, hash or e-mail to look up");
    struct vg_buf out = VG_BUF_INIT;
    struct vg_err err = VG_ERR_INIT;
    int rc = in->lookup(r->api->opts.intel_ctx, v, &out, &err);
    return answer(r, rc, 200, &out, &err);
}
