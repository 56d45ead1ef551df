/* Probe sysctl: a kernel parameter's running value (root/proc/sys/...) and
 * its configured value (sysctl.d drop-ins and /etc/sysctl.conf, last
 * assignment wins) compared with `op` and `value`. With source "both" (the
 * default) the running value must conform when /proc is present and the
 * configured value must conform when set; at least one must exist.
 * Part of src/posture/sca. */
#include "internal.h"

enum { A_KEY, A_OP, A_VALUE, A_SOURCE };
static const struct vg__sca_param params[] = {
    {"key", PT_STR, true, NULL, "parameter name, e.g. net.ipv4.ip_forward"},
    {"op", PT_ENUM, false, "eq|ne|lt|le|gt|ge|in|not_in", "comparison (default eq)"},
    {"value", PT_STRS, true, NULL, "expected value(s)"},
    {"source", PT_ENUM, false, "both|runtime|config", "which value is checked (default both)"},
};

static int check(const struct vg__sca_node *n, char *why, size_t whylen)
{
    for (const char *p = ARG(n, A_KEY)->s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' ||
              *p == '_' || *p == '-' || *p == '/')) {
            snprintf(why, whylen, "invalid sysctl key '%.64s'", ARG(n, A_KEY)->s);
            return -1;
        }
    if (strstr(ARG(n, A_KEY)->s, "..")) { snprintf(why, whylen, "invalid sysctl key"); return -1; }
    return 0;
}

/* Collapses runs of blanks to one space (sysctl prints tabs between fields). */
static void normalise(char *s)
{
    char *o = s;
    bool sp = false;
    for (char *p = s; *p; p++) {
        if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') { sp = o != s; continue; }
        if (sp) *o++ = ' ';
        sp = false;
        *o++ = *p;
    }
    *o = 0;
}

static enum vg_sca_status run(struct vg__sca_ctx *c, const struct vg__sca_node *n, struct vg_buf *ev)
{
    const char *key = ARG(n, A_KEY)->s;
    enum vg__sca_op op = ARG(n, A_OP)->set ? (enum vg__sca_op)ARG(n, A_OP)->i : OP_EQ;
    int64_t src = ARG(n, A_SOURCE)->set ? ARG(n, A_SOURCE)->i : 0;
    char dotted[256], path[300];
    snprintf(dotted, sizeof dotted, "%s", key);
    for (char *p = dotted; *p; p++)
        if (*p == '/') *p = '.';
    bool ok = true, any = false;
    if (src != 2) {
        snprintf(path, sizeof path, "/proc/sys/%s", dotted);
        for (char *p = path + 10; *p; p++)
            if (*p == '.') *p = '/';
        char *t;
        size_t len;
        int rc = vg__sca_read(c, path, 65536, &t, &len);
        if (rc == 0) {
            normalise(t);
            any = true;
            bool good = vg__sca_compare(op, t, ARG(n, A_VALUE), NULL, false, false);
            vg__sca_ev(ev, "%s = %s (running)", dotted, t);
            if (!good) ok = false;
        } else if (rc != VG_ENOENT) {
            vg__sca_ev(ev, "%s: %s", path, vg_strerror(rc));
            if (src == 1) return VG_SCA_ERROR;
        } else if (src == 1) {
            vg__sca_ev(ev, "%s: no running value (no %s)", dotted, path);
            return VG_SCA_NA;
        }
    }
    if (src != 1) {
        const struct vg__sca_kv *kv;
        size_t nkv;
        int rc = vg__sca_db_sysctl(c, &kv, &nkv);
        if (rc) { vg__sca_ev(ev, "%s", c->sysctl.msg); return VG_SCA_ERROR; }
        const struct vg__sca_kv *hit = vg__sca_kv_find(kv, nkv, dotted, false);
        if (hit) {
            char v[512];
            snprintf(v, sizeof v, "%s", hit->value);
            normalise(v);
            any = true;
            vg__sca_ev(ev, "%s = %s (from %s line %d)", dotted, v, hit->file, hit->line);
            if (!vg__sca_compare(op, v, ARG(n, A_VALUE), NULL, false, false)) ok = false;
        } else if (src == 2) {
            vg__sca_ev(ev, "%s is not set in sysctl configuration", dotted);
            return VG_SCA_FAIL;
        } else {
            vg__sca_ev(ev, "%s not configured", dotted);
        }
    }
    if (!any) return VG_SCA_FAIL;
    return ok ? VG_SCA_PASS : VG_SCA_FAIL;
}

const struct vg__sca_probe vg__sca_probe_sysctl = {
    .name = "sysctl", .desc = "kernel parameter value (running and configured)", .params = params,
    .nparams = VG_ARRAY_LEN(params), .check = check, .run = run};
