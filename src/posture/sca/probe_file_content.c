/* Probe file_content: line-oriented regexes over the files matching `path`
 * (a glob; files are read in sorted order, at most 4 MiB each): `match` must
 * hit some line, `no_match` must hit none. Comment lines (first non-blank
 * byte in `comments`, default "#") are skipped. Part of src/posture/sca. */
#include "internal.h"

enum { A_PATH, A_MATCH, A_NO_MATCH, A_COMMENTS, A_MISSING };
static const struct vg__sca_param params[] = {
    {"path", PT_STR, true, NULL, "absolute path or glob inside the root"},
    {"match", PT_REGEX, false, NULL, "PCRE2 regex that some line must match"},
    {"no_match", PT_REGEX, false, NULL, "PCRE2 regex that no line may match"},
    {"comments", PT_STR, false, NULL, "characters that start a comment line (default \"#\"; \"\" keeps all lines)"},
    {"missing", PT_ENUM, false, VG__SCA_MISSING, "result when no file exists (default fail with match, else pass)"},
};

static int check(const struct vg__sca_node *n, char *why, size_t whylen)
{
    if (!ARG(n, A_MATCH)->set && !ARG(n, A_NO_MATCH)->set) { snprintf(why, whylen, "needs 'match' or 'no_match'"); return -1; }
    return 0;
}

static enum vg_sca_status run(struct vg__sca_ctx *c, const struct vg__sca_node *n, struct vg_buf *ev)
{
    const char *pat = ARG(n, A_PATH)->s;
    const char *comments = ARG(n, A_COMMENTS)->set ? ARG(n, A_COMMENTS)->s : "#";
    pcre2_code *m = ARG(n, A_MATCH)->re, *nm = ARG(n, A_NO_MATCH)->re;
    const char **paths = NULL;
    int np = vg__sca_glob(c, pat, &paths);
    if (np < 0) { vg__sca_ev(ev, "%s: %s", pat, vg_strerror(np)); return VG_SCA_ERROR; }
    bool matched = false, violated = false;
    int read = 0;
    for (int i = 0; i < np; i++) {
        char *t;
        size_t len;
        int rc = vg__sca_read(c, paths[i], 4u << 20, &t, &len);
        if (rc == VG_ENOENT || rc == VG_EINVAL) continue; /* vanished, or a directory */
        if (rc) { vg__sca_ev(ev, "%s: %s", paths[i], vg_strerror(rc)); return VG_SCA_ERROR; }
        read++;
        vg__sca_scan_lines(c, t, len, paths[i], comments, m, nm, &matched, &violated, ev);
    }
    if (!read) {
        vg__sca_ev(ev, "%s does not exist", pat);
        return vg__sca_missing(ARG(n, A_MISSING), m ? VG_SCA_FAIL : VG_SCA_PASS);
    }
    if (m && !matched) vg__sca_ev(ev, "no line of %s matches /%s/", pat, ARG(n, A_MATCH)->s);
    if (nm && !violated && !m) vg__sca_ev(ev, "no line of %s matches /%s/", pat, ARG(n, A_NO_MATCH)->s);
    return (m && !matched) || violated ? VG_SCA_FAIL : VG_SCA_PASS;
}

const struct vg__sca_probe vg__sca_probe_file_content = {
    .name = "file_content", .desc = "file lines match (or do not match) a regex", .params = params,
    .nparams = VG_ARRAY_LEN(params), .check = check, .run = run};
