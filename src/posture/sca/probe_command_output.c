/* Probe command_output: runs argv (no shell; argv[0] from a fixed PATH)
 * with the run's timeout and a 1 MiB output cap, on the live root only
 * (elsewhere: not applicable), then applies line regexes and an optional
 * expected exit code. Part of src/posture/sca. */
#include "internal.h"

enum { A_ARGV, A_MATCH, A_NO_MATCH, A_EXIT, A_MISSING };
static const struct vg__sca_param params[] = {
    {"argv", PT_STRS, true, NULL, "program and arguments, e.g. [nft, list, ruleset]"},
    {"match", PT_REGEX, false, NULL, "regex some output line must match"},
    {"no_match", PT_REGEX, false, NULL, "regex no output line may match"},
    {"exit_code", PT_INT, false, NULL, "required exit status"},
    {"missing", PT_ENUM, false, VG__SCA_MISSING, "result when the program is not installed (default na)"},
};

static int check(const struct vg__sca_node *n, char *why, size_t whylen)
{
    if (!ARG(n, A_MATCH)->set && !ARG(n, A_NO_MATCH)->set && !ARG(n, A_EXIT)->set) {
        snprintf(why, whylen, "needs 'match', 'no_match' or 'exit_code'");
        return -1;
    }
    if (ARG(n, A_ARGV)->n > 64) { snprintf(why, whylen, "argv longer than 64 entries"); return -1; }
    if (strchr(ARG(n, A_ARGV)->list[0], '/') && ARG(n, A_ARGV)->list[0][0] != '/') {
        snprintf(why, whylen, "argv[0] must be a program name or an absolute path");
        return -1;
    }
    return 0;
}

static enum vg_sca_status run(struct vg__sca_ctx *c, const struct vg__sca_node *n, struct vg_buf *ev)
{
    const struct vg__sca_val *av = ARG(n, A_ARGV);
    if (!c->live) { vg__sca_ev(ev, "%s: commands run only on the live root", av->list[0]); return VG_SCA_NA; }
    const char *argv[65];
    for (size_t i = 0; i < av->n; i++) argv[i] = av->list[i];
    argv[av->n] = NULL;
    char *out;
    size_t len;
    int st;
    int rc = vg__sca_exec(c, argv, &out, &len, &st);
    if (rc == VG_ENOENT) {
        vg__sca_ev(ev, "%s is not installed", av->list[0]);
        return vg__sca_missing(ARG(n, A_MISSING), VG_SCA_NA);
    }
    if (rc) { vg__sca_ev(ev, "%s: %s", av->list[0], vg_strerror(rc)); return VG_SCA_ERROR; }
    bool matched = false, violated = false;
    vg__sca_scan_lines(c, out, len, av->list[0], "", ARG(n, A_MATCH)->re, ARG(n, A_NO_MATCH)->re, &matched, &violated, ev);
    bool ok = true;
    if (ARG(n, A_MATCH)->set && !matched) {
        vg__sca_ev(ev, "output of %s does not match /%s/", av->list[0], ARG(n, A_MATCH)->s);
        ok = false;
    }
    if (violated) ok = false;
    if (ARG(n, A_EXIT)->set && st != ARG(n, A_EXIT)->i) {
        vg__sca_ev(ev, "%s exited with %d, expected %lld", av->list[0], st, (long long)ARG(n, A_EXIT)->i);
        ok = false;
    }
    if (ok && !ev->len) vg__sca_ev(ev, "%s exited with %d", av->list[0], st);
    return ok ? VG_SCA_PASS : VG_SCA_FAIL;
}

const struct vg__sca_probe vg__sca_probe_command_output = {
    .name = "command_output", .desc = "a command's output (live root only)", .params = params,
    .nparams = VG_ARRAY_LEN(params), .check = check, .run = run};
