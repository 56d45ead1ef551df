/* Probe file_mode: every file matching `path` is no more permissive than
 * `max` and has all bits of `has` (e.g. the sticky bit 1000 on /tmp).
 * Part of src/posture/sca. */
#include "internal.h"

enum { A_PATH, A_MAX, A_HAS, A_MISSING };
static const struct vg__sca_param params[] = {
    {"path", PT_STR, true, NULL, "absolute path or glob inside the root"},
    {"max", PT_MODE, false, NULL, "most permissive mode allowed, e.g. \"0640\""},
    {"has", PT_MODE, false, NULL, "bits that must be set, e.g. \"1000\""},
    {"missing", PT_ENUM, false, VG__SCA_MISSING, "result when nothing matches (default fail)"},
};

static int check(const struct vg__sca_node *n, char *why, size_t whylen)
{
    if (!ARG(n, A_MAX)->set && !ARG(n, A_HAS)->set) { snprintf(why, whylen, "needs 'max' or 'has'"); return -1; }
    return 0;
}

static void note_mode(struct vg__sca_ctx *c, const char *path, const struct stat *st, struct vg_buf *ev)
{
    (void)c;
    vg__sca_ev(ev, "%s mode %04o", path, (unsigned)st->st_mode & 07777);
}

static enum vg_sca_status run(struct vg__sca_ctx *c, const struct vg__sca_node *n, struct vg_buf *ev)
{
    return vg__sca_stat_files(c, ARG(n, A_PATH)->s, ARG(n, A_MISSING), ARG(n, A_MAX), ARG(n, A_HAS), NULL, NULL,
                              note_mode, ev);
}

const struct vg__sca_probe vg__sca_probe_file_mode = {
    .name = "file_mode", .desc = "permission bits of files are not too permissive", .params = params,
    .nparams = VG_ARRAY_LEN(params), .check = check, .run = run};
