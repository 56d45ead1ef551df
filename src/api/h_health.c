/* GET /healthz: liveness probe, no authentication, no store access. */
#include "internal.h"

enum MHD_Result vg__h_health(struct vg__api_req *r)
{
    struct vg_buf b = VG_BUF_INIT;
    if (vg_buf_adds(&b, atomic_load(&r->api->stopping) ? "{\"status\":\"stopping\"}\n" : "{\"status\":\"ok\"}\n")) {
        vg_buf_release(&b);
        return MHD_NO;
    }
    return vg__api_reply_buf(r, atomic_load(&r->api->stopping) ? 503 : 200, "application/json", &b);
}
