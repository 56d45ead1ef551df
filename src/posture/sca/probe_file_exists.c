/* Probe file_exists: does any path matching `path` (a glob under the root)
 * exist, optionally of a given type. `exists: false` inverts the test.
 * Part of src/posture/sca. */
#include "internal.h"

enum { A_PATH, A_EXISTS, A_TYPE };
static const struct vg__sca_param params[] = {
    {"path", PT_STR, true, NULL, "absolute path or glob inside the root"},
    {"exists", PT_BOOL, false, NULL, "true (default): must exist; false: must not exist"},
    {"type", PT_ENUM, false, "any|file|dir|link", "kind of file that counts (default any)"},
};

static bool type_ok(struct vg__sca_ctx *c, const char *path, int64_t type)
{
    char full[4096];
    struct stat st;
    if (!vg__sca_path(c, path, full, sizeof full)) return false;
    if (type == 3) return lstat(full, &st) == 0 && S_ISLNK(st.st_mode);
    if (stat(full, &st) != 0) return type == 0 && lstat(full, &st) == 0;
    return type == 0 || (type == 1 && S_ISREG(st.st_mode)) || (type == 2 && S_ISDIR(st.st_mode));
}

static enum vg_sca_status run(struct vg__sca_ctx *c, const struct vg__sca_node *n, struct vg_buf *ev)
{
    const char *pat = ARG(n, A_PATH)->s;
    bool want = !ARG(n, A_EXISTS)->set || ARG(n, A_EXISTS)->i;
    int64_t type = ARG(n, A_TYPE)->set ? ARG(n, A_TYPE)->i : 0;
    const char **paths = NULL;
    int np = vg__sca_glob(c, pat, &paths);
    if (np < 0) { vg__sca_ev(ev, "%s: %s", pat, vg_strerror(np)); return VG_SCA_ERROR; }
    const char *found = NULL;
    for (int i = 0; i < np && !found; i++)
        if (type_ok(c, paths[i], type)) found = paths[i];
    if (found) vg__sca_ev(ev, "%s exists", found);
    else vg__sca_ev(ev, "%s does not exist", pat);
    return (found != NULL) == want ? VG_SCA_PASS : VG_SCA_FAIL;
}

const struct vg__sca_probe vg__sca_probe_file_exists = {
    .name = "file_exists", .desc = "a file (or glob) exists or not", .params = params,
    .nparams = VG_ARRAY_LEN(params), .run = run};
