/* Probe mount: mount options of a mount point, from the live mount table
 * (/proc/self/mounts) on the live root, else from the root's /etc/fstab.
 * When the path is not a separate mount the result is `missing` (default
 * not applicable). Part of src/posture/sca. */
#include "internal.h"

enum { A_PATH, A_OPTIONS, A_MISSING };
static const struct vg__sca_param params[] = {
    {"path", PT_STR, true, NULL, "mount point, e.g. /tmp"},
    {"options", PT_STRS, true, NULL, "options that must be present, e.g. [nodev, nosuid]"},
    {"missing", PT_ENUM, false, VG__SCA_MISSING, "result when the path is not a separate mount (default na)"},
};

static bool has_opt(const char *opts, const char *want)
{
    size_t wl = strlen(want);
    for (const char *p = opts; *p;) {
        const char *e = strchr(p, ',');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l == wl && memcmp(p, want, l) == 0) return true;
        p += l;
        if (*p == ',') p++;
    }
    return false;
}

static enum vg_sca_status run(struct vg__sca_ctx *c, const struct vg__sca_node *n, struct vg_buf *ev)
{
    const char *src = c->live ? "/proc/self/mounts" : "/etc/fstab";
    char *t;
    size_t len;
    int rc = vg__sca_read(c, src, 4u << 20, &t, &len);
    if (rc == VG_ENOENT) { vg__sca_ev(ev, "no %s", src); return vg__sca_missing(ARG(n, A_MISSING), VG_SCA_NA); }
    if (rc) { vg__sca_ev(ev, "%s: %s", src, vg_strerror(rc)); return VG_SCA_ERROR; }
    const char *want = ARG(n, A_PATH)->s;
    char opts[1024] = "";
    int found = 0;
    const char *p = t, *end = t + len;
    int no = 0;
    while (p < end) {
        const char *e = memchr(p, '\n', (size_t)(end - p));
        if (!e) e = end;
        char line[2048];
        snprintf(line, sizeof line, "%.*s", (int)((size_t)(e - p) < sizeof line - 1 ? (size_t)(e - p) : sizeof line - 1), p);
        p = e < end ? e + 1 : end;
        no++;
        char *f[4] = {0};
        int nf = 0;
        for (char *q = line; *q && nf < 4;) {
            while (*q == ' ' || *q == '\t') q++;
            if (!*q || (nf == 0 && *q == '#')) break;
            f[nf++] = q;
            while (*q && *q != ' ' && *q != '\t') q++;
            if (*q) *q++ = 0;
        }
        if (nf < 4) continue;
        size_t ml = strlen(f[1]);
        while (ml > 1 && f[1][ml - 1] == '/') f[1][--ml] = 0;
        if (strcmp(f[1], want) != 0) continue;
        found = no; /* the last entry for a mount point wins */
        snprintf(opts, sizeof opts, "%s", f[3]);
    }
    if (!found) {
        vg__sca_ev(ev, "%s is not a separate mount (%s)", want, src);
        return vg__sca_missing(ARG(n, A_MISSING), VG_SCA_NA);
    }
    bool ok = true;
    vg__sca_ev(ev, "%s options %s (%s line %d)", want, opts, src, found);
    const struct vg__sca_val *o = ARG(n, A_OPTIONS);
    for (size_t i = 0; i < o->n; i++)
        if (!has_opt(opts, o->list[i])) {
            vg__sca_ev(ev, "missing %s", o->list[i]);
            ok = false;
        }
    return ok ? VG_SCA_PASS : VG_SCA_FAIL;
}

const struct vg__sca_probe vg__sca_probe_mount = {
    .name = "mount", .desc = "mount options of a separate mount point", .params = params,
    .nparams = VG_ARRAY_LEN(params), .run = run};
