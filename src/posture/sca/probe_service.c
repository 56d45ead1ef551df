/* Probe service: systemd unit state. "enabled" looks for the unit (or its
 * .socket/.timer twin when no suffix is given) in /etc/systemd/system/
 * *.wants|*.requires and SysV /etc/rc[2-5].d start links under the root;
 * "masked" is a /etc/systemd/system/<unit> link to /dev/null; "running" asks
 * `systemctl is-active` on the live root when systemd runs (else not
 * applicable). Several names: enabled/running need any, disabled/not_running
 * need all. Part of src/posture/sca. */
#include "internal.h"
#include <unistd.h>

enum { A_NAME, A_STATE };
static const struct vg__sca_param params[] = {
    {"name", PT_STRS, true, NULL, "unit name(s); without a suffix .service, .socket and .timer are considered"},
    {"state", PT_ENUM, false, "enabled|disabled|running|not_running|masked", "required state (default enabled)"},
};
enum { S_ENABLED, S_DISABLED, S_RUNNING, S_NOT_RUNNING, S_MASKED };

static int check(const struct vg__sca_node *n, char *why, size_t whylen)
{
    const struct vg__sca_val *v = ARG(n, A_NAME);
    for (size_t i = 0; i < v->n; i++)
        for (const char *p = v->list[i]; *p; p++)
            if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("-_.@:\\", *p))) {
                snprintf(why, whylen, "invalid unit name '%.64s'", v->list[i]);
                return -1;
            }
    return 0;
}

static bool masked(struct vg__sca_ctx *c, const char *unit)
{
    static const char *const dirs[] = {"/etc/systemd/system", "/run/systemd/system"};
    for (size_t i = 0; i < VG_ARRAY_LEN(dirs); i++) {
        char rel[512], full[4096], tgt[256];
        snprintf(rel, sizeof rel, "%s/%s", dirs[i], unit);
        if (!vg__sca_path(c, rel, full, sizeof full)) continue;
        ssize_t l = readlink(full, tgt, sizeof tgt - 1);
        if (l > 0) {
            tgt[l] = 0;
            if (strcmp(tgt, "/dev/null") == 0) return true;
        }
    }
    return false;
}

static const char *enabled_link(struct vg__sca_ctx *c, const char *unit)
{
    char pat[512];
    const char **paths;
    static const char *const kinds[] = {"*.wants", "*.requires"};
    for (size_t i = 0; i < VG_ARRAY_LEN(kinds); i++) {
        snprintf(pat, sizeof pat, "/etc/systemd/system/%s/%s", kinds[i], unit);
        if (vg__sca_glob(c, pat, &paths) > 0) return paths[0];
    }
    /* SysV start links (only for services) */
    const char *dot = strrchr(unit, '.');
    if (dot && strcmp(dot, ".service") == 0) {
        snprintf(pat, sizeof pat, "/etc/rc[2345].d/S[0-9][0-9]%.*s", (int)(dot - unit), unit);
        if (vg__sca_glob(c, pat, &paths) > 0) return paths[0];
    }
    return NULL;
}

/* is-active on the live root; 1 active, 0 not, -1 unknown */
static int active(struct vg__sca_ctx *c, const char *unit)
{
    char full[64];
    struct stat st;
    if (!c->live || !vg__sca_path(c, "/run/systemd/system", full, sizeof full) || stat(full, &st) != 0) return -1;
    const char *argv[] = {"systemctl", "is-active", unit, NULL};
    char *out;
    size_t len;
    int status;
    if (vg__sca_exec(c, argv, &out, &len, &status) != 0) return -1;
    return strncmp(out, "active", 6) == 0 && (len == 6 || out[6] == '\n') ? 1 : 0;
}

static enum vg_sca_status run(struct vg__sca_ctx *c, const struct vg__sca_node *n, struct vg_buf *ev)
{
    const struct vg__sca_val *names = ARG(n, A_NAME);
    int64_t state = ARG(n, A_STATE)->set ? ARG(n, A_STATE)->i : S_ENABLED;
    size_t hits = 0;
    bool unknown = false;
    for (size_t i = 0; i < names->n; i++) {
        const char *nm = names->list[i];
        bool suffixed = strchr(nm, '.') != NULL;
        static const char *const sfx[] = {".service", ".socket", ".timer"};
        for (size_t k = 0; k < (suffixed ? 1u : VG_ARRAY_LEN(sfx)); k++) {
            char unit[300];
            snprintf(unit, sizeof unit, "%s%s", nm, suffixed ? "" : sfx[k]);
            if (state == S_ENABLED || state == S_DISABLED) {
                if (masked(c, unit)) { vg__sca_ev(ev, "%s is masked", unit); continue; }
                const char *l = enabled_link(c, unit);
                if (l) { hits++; vg__sca_ev(ev, "%s is enabled (%s)", unit, l); }
            } else if (state == S_MASKED) {
                if (masked(c, unit)) { hits++; vg__sca_ev(ev, "%s is masked", unit); }
            } else {
                int a = active(c, unit);
                if (a < 0) { unknown = true; continue; }
                if (a) { hits++; vg__sca_ev(ev, "%s is active", unit); }
            }
        }
    }
    if (unknown && !hits) {
        vg__sca_ev(ev, "%s: run state unknown (not the live root, or systemd is not running)", names->list[0]);
        return VG_SCA_NA;
    }
    if (!hits) vg__sca_ev(ev, "%s%s is not %s", names->list[0], names->n > 1 ? " (and the others)" : "",
                          state == S_MASKED ? "masked" : state == S_ENABLED || state == S_DISABLED ? "enabled" : "active");
    bool want_hit = state == S_ENABLED || state == S_RUNNING || state == S_MASKED;
    return (hits > 0) == want_hit ? VG_SCA_PASS : VG_SCA_FAIL;
}

const struct vg__sca_probe vg__sca_probe_service = {
    .name = "service", .desc = "systemd unit enabled, masked or running", .params = params,
    .nparams = VG_ARRAY_LEN(params), .check = check, .run = run};
