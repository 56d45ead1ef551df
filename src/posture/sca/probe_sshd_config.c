/* Probe sshd_config: one keyword of the effective sshd configuration
 * (`sshd -T` on the live root when sshd is installed; otherwise
 * /etc/ssh/sshd_config with Include, first value wins, OpenSSH defaults for
 * unset keys) compared with op/value (case-insensitive; times like "1m"
 * understood). Evidence names where the value came from.
 * Part of src/posture/sca. */
#include "internal.h"

enum { A_KEY, A_OP, A_VALUE, A_REGEX };
static const struct vg__sca_param params[] = {
    {"key", PT_STR, true, NULL, "sshd keyword, e.g. PermitRootLogin"},
    {"op", PT_ENUM, false, VG__SCA_OPS, "comparison (default eq); none_of: comma list holds none of the values"},
    {"value", PT_STRS, false, NULL, "expected value(s)"},
    {"regex", PT_REGEX, false, NULL, "regex for op match / no_match"},
};

int vg__sca_op_check(const struct vg__sca_node *n, int iop, int ival, int ire, char *why, size_t whylen)
{
    enum vg__sca_op op = ARG(n, iop)->set ? (enum vg__sca_op)ARG(n, iop)->i : OP_EQ;
    bool needs_re = op == OP_MATCH || op == OP_NO_MATCH;
    bool needs_val = !needs_re && op != OP_SET && op != OP_UNSET;
    if (needs_re && !ARG(n, ire)->set) { snprintf(why, whylen, "op %s needs 'regex'", ARG(n, iop)->s); return -1; }
    if (needs_val && !ARG(n, ival)->set) { snprintf(why, whylen, "needs 'value'"); return -1; }
    return 0;
}

static int check(const struct vg__sca_node *n, char *why, size_t whylen)
{
    return vg__sca_op_check(n, A_OP, A_VALUE, A_REGEX, why, whylen);
}

static enum vg_sca_status run(struct vg__sca_ctx *c, const struct vg__sca_node *n, struct vg_buf *ev)
{
    const char *key = ARG(n, A_KEY)->s;
    const struct vg__sca_kv *kv;
    size_t nkv;
    int rc = vg__sca_db_sshd(c, &kv, &nkv);
    if (rc == VG_ENOENT) { vg__sca_ev(ev, "no /etc/ssh/sshd_config"); return VG_SCA_NA; }
    if (rc) { vg__sca_ev(ev, "%s", c->sshd.msg); return VG_SCA_ERROR; }
    const struct vg__sca_kv *hit = vg__sca_kv_find(kv, nkv, key, true);
    enum vg__sca_op op = ARG(n, A_OP)->set ? (enum vg__sca_op)ARG(n, A_OP)->i : OP_EQ;
    bool ok = vg__sca_compare(op, hit ? hit->value : NULL, ARG(n, A_VALUE), ARG(n, A_REGEX), true, true);
    if (!hit) vg__sca_ev(ev, "%s is not set", key);
    else {
        vg__sca_ev(ev, "%s ", key);
        vg__sca_ev_excerpt(ev, hit->value, strlen(hit->value));
        if (!hit->file) vg_buf_adds(ev, " (OpenSSH default)");
        else if (c->sshd_from_cmd) vg_buf_adds(ev, " (from sshd -T)");
        else vg_buf_addf(ev, " (from %s line %d)", hit->file, hit->line);
    }
    return ok ? VG_SCA_PASS : VG_SCA_FAIL;
}

const struct vg__sca_probe vg__sca_probe_sshd_config = {
    .name = "sshd_config", .desc = "effective sshd configuration value", .params = params,
    .nparams = VG_ARRAY_LEN(params), .check = check, .run = run};
