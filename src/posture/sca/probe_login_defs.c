/* Probe login_defs: a key of the root's /etc/login.defs (last assignment
 * wins) compared with op/value; `default` stands in when the key is unset.
 * Part of src/posture/sca. */
#include "internal.h"

enum { A_KEY, A_OP, A_VALUE, A_REGEX, A_DEFAULT };
static const struct vg__sca_param params[] = {
    {"key", PT_STR, true, NULL, "login.defs key, e.g. PASS_MAX_DAYS"},
    {"op", PT_ENUM, false, VG__SCA_OPS, "comparison (default eq)"},
    {"value", PT_STRS, false, NULL, "expected value(s)"},
    {"regex", PT_REGEX, false, NULL, "regex for op match / no_match"},
    {"default", PT_STR, false, NULL, "value assumed when the key is not set"},
};

static int check(const struct vg__sca_node *n, char *why, size_t whylen)
{
    return vg__sca_op_check(n, A_OP, A_VALUE, A_REGEX, why, whylen);
}

static enum vg_sca_status run(struct vg__sca_ctx *c, const struct vg__sca_node *n, struct vg_buf *ev)
{
    const char *key = ARG(n, A_KEY)->s;
    const struct vg__sca_kv *kv;
    size_t nkv;
    int rc = vg__sca_db_logindefs(c, &kv, &nkv);
    if (rc) { vg__sca_ev(ev, "%s", c->logindefs.msg); return VG_SCA_ERROR; }
    const struct vg__sca_kv *hit = vg__sca_kv_find(kv, nkv, key, false);
    const char *val = hit ? hit->value : ARG(n, A_DEFAULT)->set ? ARG(n, A_DEFAULT)->s : NULL;
    enum vg__sca_op op = ARG(n, A_OP)->set ? (enum vg__sca_op)ARG(n, A_OP)->i : OP_EQ;
    bool ok = vg__sca_compare(op, val, ARG(n, A_VALUE), ARG(n, A_REGEX), false, false);
    if (hit) vg__sca_ev(ev, "%s %s (from /etc/login.defs line %d)", key, hit->value, hit->line);
    else if (val) vg__sca_ev(ev, "%s not set, default %s", key, val);
    else vg__sca_ev(ev, "%s is not set in /etc/login.defs", key);
    return ok ? VG_SCA_PASS : VG_SCA_FAIL;
}

const struct vg__sca_probe vg__sca_probe_login_defs = {
    .name = "login_defs", .desc = "login.defs setting", .params = params,
    .nparams = VG_ARRAY_LEN(params), .check = check, .run = run};
