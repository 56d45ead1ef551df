/* Probe file_owner: every file matching `path` is owned by one of `user`
 * and has one of `group` (names resolved through the root's /etc/passwd and
 * /etc/group, numeric ids also accepted). Part of src/posture/sca. */
#include "internal.h"

enum { A_PATH, A_USER, A_GROUP, A_MISSING };
static const struct vg__sca_param params[] = {
    {"path", PT_STR, true, NULL, "absolute path or glob inside the root"},
    {"user", PT_STRS, false, NULL, "allowed owner name(s) or uid(s)"},
    {"group", PT_STRS, false, NULL, "allowed group name(s) or gid(s)"},
    {"missing", PT_ENUM, false, VG__SCA_MISSING, "result when nothing matches (default fail)"},
};

static int check(const struct vg__sca_node *n, char *why, size_t whylen)
{
    if (!ARG(n, A_USER)->set && !ARG(n, A_GROUP)->set) { snprintf(why, whylen, "needs 'user' or 'group'"); return -1; }
    return 0;
}

static void note_owner(struct vg__sca_ctx *c, const char *path, const struct stat *st, struct vg_buf *ev)
{
    const char *u = vg__sca_uid_name(c, st->st_uid), *g = vg__sca_gid_name(c, st->st_gid);
    vg__sca_ev(ev, "%s owned by %s:%s", path, u ? u : "?", g ? g : "?");
}

static enum vg_sca_status run(struct vg__sca_ctx *c, const struct vg__sca_node *n, struct vg_buf *ev)
{
    return vg__sca_stat_files(c, ARG(n, A_PATH)->s, ARG(n, A_MISSING), NULL, NULL, ARG(n, A_USER), ARG(n, A_GROUP),
                              note_owner, ev);
}

const struct vg__sca_probe vg__sca_probe_file_owner = {
    .name = "file_owner", .desc = "files are owned by the expected user and group", .params = params,
    .nparams = VG_ARRAY_LEN(params), .check = check, .run = run};
