/* Importer for the Debian security tracker's JSON
 * (https://security-tracker.debian.org/tracker/data/json):
 *   {source: {CVE-or-TEMP-id: {description, scope, debianbug,
 *             releases: {codename: {status, repositories, fixed_version, urgency}}}}}
 * Walked with the pull scanner so the (tens of MB) file is never a tree;
 * only the db's release is kept. status "resolved" with fixed_version "0"
 * means the release was never affected; "open" and "undetermined" have no
 * fix yet. */
#include "internal.h"

struct rel_fields {
    char status[32];
    char fixed[VG_DPKG_VERSION_MAX + 1];
    char urgency[64];
    bool has_status, has_fixed, bad_type;
};

/* Copies the current string token into dst; false when it does not fit. */
static bool take(const struct vg__jscan *js, char *dst, size_t cap)
{
    if (js->s.len >= cap || (js->s.len && memchr(js->s.data, 0, js->s.len))) return false;
    memcpy(dst, js->s.data ? js->s.data : "", js->s.len);
    dst[js->s.len] = 0;
    return true;
}

static int parse_release(struct vg__jscan *js, struct rel_fields *rf)
{
    bool first = true;
    int k;
    while ((k = vg__js_key(js, &first)) == 1) {
        char key[32];
        bool kept = take(js, key, sizeof key);
        int t = vg__js_next(js);
        if (t < 0) return t;
        char *dst = NULL;
        size_t cap = 0;
        bool *flag = NULL;
        if (kept && strcmp(key, "status") == 0) { dst = rf->status; cap = sizeof rf->status; flag = &rf->has_status; }
        else if (kept && strcmp(key, "fixed_version") == 0) { dst = rf->fixed; cap = sizeof rf->fixed; flag = &rf->has_fixed; }
        else if (kept && strcmp(key, "urgency") == 0) { dst = rf->urgency; cap = sizeof rf->urgency; }
        if (dst) {
            if (t != VG__J_STR || !take(js, dst, cap)) rf->bad_type = true;
            else if (flag) *flag = true;
        }
        if ((t = vg__js_skip(js, t, 4)) < 0) return t;
    }
    return k;
}

/* One advisory object; emits at most one entry (for the db's release). */
static int parse_cve(struct vg__jscan *js, struct vg_vuln_db *db, const char *src, const char *id,
                     struct vg_vuln_load_report *rep)
{
    bool first = true, found = false;
    struct rel_fields rf;
    memset(&rf, 0, sizeof rf);
    int k;
    while ((k = vg__js_key(js, &first)) == 1) {
        bool releases = js->s.len == 8 && strcmp(js->s.data, "releases") == 0;
        int t = vg__js_next(js);
        if (t < 0) return t;
        if (!releases || t != VG__J_OBJ) {
            if (releases) rf.bad_type = true;
            if ((t = vg__js_skip(js, t, 3)) < 0) return t;
            continue;
        }
        bool f2 = true;
        int k2;
        while ((k2 = vg__js_key(js, &f2)) == 1) {
            bool mine = js->s.len == strlen(db->release) && memcmp(js->s.data, db->release, js->s.len) == 0;
            int t2 = vg__js_next(js);
            if (t2 < 0) return t2;
            if (mine && t2 == VG__J_OBJ && !found) {
                found = true;
                if ((t2 = parse_release(js, &rf)) < 0) return t2;
            } else {
                if (mine) rf.bad_type = true;
                if ((t2 = vg__js_skip(js, t2, 4)) < 0) return t2;
            }
        }
        if (k2 < 0) return k2;
    }
    if (k < 0) return k;
    if (rf.bad_type) { vg__vuln_invalid(rep, "%s %s: unexpected JSON types", src, id); return 0; }
    if (!found) { rep->other_release++; return 0; }
    struct vg_advisory a = {0};
    a.source = src;
    a.id = id;
    a.cve = id;
    a.release = db->release;
    a.introduced = "";
    a.last_affected = "";
    a.fixed = "";
    a.urgency = rf.urgency;
    a.urg = vg_vuln_urgency_parse(rf.urgency);
    a.origin = VG_VULN_TRACKER;
    if (!rf.has_status) { vg__vuln_invalid(rep, "%s %s: no status for %s", src, id, db->release); return 0; }
    if (strcmp(rf.status, "resolved") == 0) {
        if (!rf.has_fixed) { vg__vuln_invalid(rep, "%s %s: resolved without fixed_version", src, id); return 0; }
        if (strcmp(rf.fixed, "0") == 0) { rep->not_affected++; return 0; }
        struct vg_dpkg_version v;
        struct vg_err e = VG_ERR_INIT;
        if (vg_dpkg_version_parse(rf.fixed, strlen(rf.fixed), &v, 0, &e) != 0) {
            vg__vuln_invalid(rep, "%s %s: fixed_version: %s", src, id, e.msg);
            return 0;
        }
        a.status = VG_VULN_RESOLVED;
        a.fixed = rf.fixed;
    } else if (strcmp(rf.status, "open") == 0) {
        a.status = VG_VULN_OPEN;
    } else if (strcmp(rf.status, "undetermined") == 0) {
        a.status = VG_VULN_UNDETERMINED;
    } else {
        vg__vuln_invalid(rep, "%s %s: unknown status '%.32s'", src, id, rf.status);
        return 0;
    }
    return vg__vuln_add(db, &a, rep);
}

int vg_vuln_db_load_tracker_mem(struct vg_vuln_db *db, const char *data, size_t n, const char *name,
                                struct vg_vuln_load_report *rep, struct vg_err *err)
{
    struct vg_vuln_load_report local;
    if (!rep) rep = &local;
    memset(rep, 0, sizeof *rep);
    if (n > VG_VULN_MAX_FILE)
        return vg_err_set(err, VG_ETOOBIG, "%s: %zu bytes, more than the %u byte cap", name ? name : "tracker", n,
                          VG_VULN_MAX_FILE);
    size_t n0 = db->n;
    struct vg__jscan js;
    vg__js_init(&js, data, n, name, err);
    int rc = vg__js_next(&js);
    if (rc < 0) goto out;
    if (rc != VG__J_OBJ) { rc = vg__js_fail(&js, "expected an object keyed by source package"); goto out; }
    bool first = true;
    int k;
    while ((k = vg__js_key(&js, &first)) == 1) {
        char src[260];
        bool ok = take(&js, src, sizeof src) && vg__vuln_valid_source(src);
        int t = vg__js_next(&js);
        if (t < 0) { rc = t; goto out; }
        if (!ok || t != VG__J_OBJ) {
            vg__vuln_invalid(rep, "%s: %s", ok ? src : "(source)", ok ? "not an object" : "invalid source package name");
            if ((rc = vg__js_skip(&js, t, 1)) < 0) goto out;
            continue;
        }
        bool f2 = true;
        int k2;
        while ((k2 = vg__js_key(&js, &f2)) == 1) {
            char id[100];
            bool idok = take(&js, id, sizeof id) && vg__vuln_valid_id(id);
            int t2 = vg__js_next(&js);
            if (t2 < 0) { rc = t2; goto out; }
            rep->entries++;
            if (!idok || t2 != VG__J_OBJ) {
                vg__vuln_invalid(rep, "%s: %s", src, idok ? "advisory is not an object" : "invalid advisory id");
                if ((rc = vg__js_skip(&js, t2, 2)) < 0) goto out;
                continue;
            }
            if ((rc = parse_cve(&js, db, src, id, rep)) < 0) {
                if (rc != VG_EPARSE) vg_err_set(err, rc, "%s: %s", name ? name : "tracker", vg_strerror(rc));
                goto out;
            }
        }
        if (k2 < 0) { rc = k2; goto out; }
    }
    if (k < 0) { rc = k; goto out; }
    rc = vg__js_end(&js);
out:
    vg__js_release(&js);
    if (rc < 0) {
        db->n = n0; /* all or nothing: the file's entries were appended after n0 */
        rep->kept = 0;
        return rc;
    }
    vg__vuln_sort(db);
    return 0;
}
