/* Probe dir_files: every entry of the directories matching `path` (whose
 * name matches `pattern`, optionally recursively, symlinks skipped) is no
 * more permissive than `max` and owned by `user`/`group`. Walks at most 8
 * levels and 20000 entries. Part of src/posture/sca. */
#include "internal.h"
#include <dirent.h>
#include <fnmatch.h>

enum { A_PATH, A_PATTERN, A_RECURSIVE, A_TYPE, A_MAX, A_USER, A_GROUP, A_MISSING };
static const struct vg__sca_param params[] = {
    {"path", PT_STR, true, NULL, "directory (or glob of directories) inside the root"},
    {"pattern", PT_STR, false, NULL, "glob on entry names (default *)"},
    {"recursive", PT_BOOL, false, NULL, "descend into subdirectories (default false)"},
    {"type", PT_ENUM, false, "file|dir|any", "entries that are checked (default file)"},
    {"max", PT_MODE, false, NULL, "most permissive mode allowed"},
    {"user", PT_STRS, false, NULL, "allowed owner name(s)"},
    {"group", PT_STRS, false, NULL, "allowed group name(s)"},
    {"missing", PT_ENUM, false, VG__SCA_MISSING, "result when the directory does not exist (default na)"},
};

static int check(const struct vg__sca_node *n, char *why, size_t whylen)
{
    if (!ARG(n, A_MAX)->set && !ARG(n, A_USER)->set && !ARG(n, A_GROUP)->set) {
        snprintf(why, whylen, "needs 'max', 'user' or 'group'");
        return -1;
    }
    return 0;
}

struct walk {
    struct vg__sca_ctx *c;
    const struct vg__sca_node *n;
    struct vg_buf *ev, sink; /* sink swallows evidence past the first 5 offenders */
    size_t seen, bad;
    bool trunc;
};

static void walk_dir(struct walk *w, const char *rel, int depth)
{
    char full[4096];
    if (!vg__sca_path(w->c, rel, full, sizeof full)) return;
    DIR *d = opendir(full);
    if (!d) return;
    struct dirent *de;
    const char *pattern = ARG(w->n, A_PATTERN)->set ? ARG(w->n, A_PATTERN)->s : "*";
    int64_t type = ARG(w->n, A_TYPE)->set ? ARG(w->n, A_TYPE)->i : 0;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
        if (w->seen >= 20000) { w->trunc = true; break; }
        char crel[4096], cfull[4096];
        if (snprintf(crel, sizeof crel, "%s/%s", rel, de->d_name) >= (int)sizeof crel) continue;
        if (!vg__sca_path(w->c, crel, cfull, sizeof cfull)) continue;
        struct stat st;
        if (lstat(cfull, &st) != 0 || S_ISLNK(st.st_mode)) continue;
        bool isdir = S_ISDIR(st.st_mode);
        bool counts = type == 2 || (type == 0 && S_ISREG(st.st_mode)) || (type == 1 && isdir);
        if (counts && fnmatch(pattern, de->d_name, 0) == 0) {
            w->seen++;
            if (!vg__sca_stat_ok(w->c, crel, &st, ARG(w->n, A_MAX), NULL, ARG(w->n, A_USER), ARG(w->n, A_GROUP),
                                 w->bad < 5 ? w->ev : &w->sink))
                w->bad++;
            if (w->sink.len > 4096) vg_buf_reset(&w->sink);
        }
        if (isdir && depth < 8 && ARG(w->n, A_RECURSIVE)->set && ARG(w->n, A_RECURSIVE)->i) walk_dir(w, crel, depth + 1);
    }
    closedir(d);
}

static enum vg_sca_status run(struct vg__sca_ctx *c, const struct vg__sca_node *n, struct vg_buf *ev)
{
    const char *pat = ARG(n, A_PATH)->s;
    const char **paths = NULL;
    int np = vg__sca_glob(c, pat, &paths);
    if (np < 0) { vg__sca_ev(ev, "%s: %s", pat, vg_strerror(np)); return VG_SCA_ERROR; }
    struct walk w = {c, n, ev, VG_BUF_INIT, 0, 0, false};
    int dirs = 0;
    for (int i = 0; i < np; i++) {
        char full[4096];
        struct stat st;
        if (!vg__sca_path(c, paths[i], full, sizeof full) || stat(full, &st) != 0 || !S_ISDIR(st.st_mode)) continue;
        dirs++;
        walk_dir(&w, strcmp(paths[i], "/") == 0 ? "" : paths[i], 0);
    }
    vg_buf_release(&w.sink);
    if (!dirs) {
        vg__sca_ev(ev, "%s: no such directory", pat);
        return vg__sca_missing(ARG(n, A_MISSING), VG_SCA_NA);
    }
    if (w.bad > 5) vg__sca_ev(ev, "and %zu more", w.bad - 5);
    if (!w.bad) vg__sca_ev(ev, "%zu entries under %s conform%s", w.seen, pat, w.trunc ? " (stopped at 20000)" : "");
    return w.bad ? VG_SCA_FAIL : VG_SCA_PASS;
}

const struct vg__sca_probe vg__sca_probe_dir_files = {
    .name = "dir_files", .desc = "all files in a directory have safe modes and owners", .params = params,
    .nparams = VG_ARRAY_LEN(params), .check = check, .run = run};
