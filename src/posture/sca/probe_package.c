/* Probe package: dpkg package(s) installed or absent, read from the root's
 * /var/lib/dpkg/status. With several names, "installed" needs any of them
 * and "absent" needs all of them absent. Part of src/posture/sca. */
#include "internal.h"

enum { A_NAME, A_STATE };
static const struct vg__sca_param params[] = {
    {"name", PT_STRS, true, NULL, "package name(s)"},
    {"state", PT_ENUM, false, "installed|absent", "required state (default installed)"},
};

static enum vg_sca_status run(struct vg__sca_ctx *c, const struct vg__sca_node *n, struct vg_buf *ev)
{
    const struct vg__sca_val *names = ARG(n, A_NAME);
    bool want_absent = ARG(n, A_STATE)->set && ARG(n, A_STATE)->i == 1;
    size_t inst = 0;
    for (size_t i = 0; i < names->n; i++) {
        int rc;
        bool yes = vg__sca_pkg_installed(c, names->list[i], &rc);
        if (rc) { vg__sca_ev(ev, "%s", c->dpkg.msg); return VG_SCA_ERROR; }
        if (yes) {
            inst++;
            vg__sca_ev(ev, "package %s is installed", names->list[i]);
        }
    }
    if (!inst) {
        vg__sca_ev(ev, "%s ", names->n == 1 ? "package" : "none of");
        for (size_t i = 0; i < names->n; i++) vg_buf_addf(ev, "%s%s", i ? ", " : "", names->list[i]);
        vg_buf_adds(ev, names->n == 1 ? " is not installed" : " is installed");
    }
    return want_absent ? (inst ? VG_SCA_FAIL : VG_SCA_PASS) : (inst ? VG_SCA_PASS : VG_SCA_FAIL);
}

const struct vg__sca_probe vg__sca_probe_package = {
    .name = "package", .desc = "dpkg package installed or absent", .params = params,
    .nparams = VG_ARRAY_LEN(params), .run = run};
