/* Importer for OSV records (https://ossf.github.io/osv-schema/): one record
 * or an array of them, parsed with jansson (records are small; files are
 * capped at VG_VULN_MAX_OSV_FILE). Only affected[] entries of the "Debian"
 * ecosystem are kept: "Debian:<N>" for the db's release number, or bare
 * "Debian" for any release. Each ECOSYSTEM range becomes one advisory per
 * introduced..fixed (or ..last_affected, or open-ended) interval; a bare
 * versions[] list is used only when there is no ECOSYSTEM range. Debian's
 * OSV data names source packages, like the tracker. */
#include "internal.h"

#include <jansson.h>

static const char *str_of(json_t *o, const char *key)
{
    json_t *v = json_is_object(o) ? json_object_get(o, key) : NULL;
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* A version from an event: "0" (introduced from the start) becomes "".
 * Returns false (and counts) when it is not a valid Debian version. */
static bool event_version(const char *v, bool introduced, const char **out, struct vg_vuln_load_report *rep,
                          const char *src, const char *id)
{
    if (introduced && strcmp(v, "0") == 0) { *out = ""; return true; }
    struct vg_dpkg_version pv;
    struct vg_err e = VG_ERR_INIT;
    if (vg_dpkg_version_parse(v, strlen(v), &pv, 0, &e) != 0) {
        vg__vuln_invalid(rep, "%s %s: version '%.40s': %s", src, id, v, e.msg);
        return false;
    }
    *out = v;
    return true;
}

/* Emits the intervals of one ECOSYSTEM range. */
static int osv_range(struct vg_vuln_db *db, struct vg_advisory *t, json_t *events, struct vg_vuln_load_report *rep)
{
    const char *intro = NULL;
    size_t i;
    json_t *ev;
    int rc;
    json_array_foreach(events, i, ev) {
        const char *v;
        if ((v = str_of(ev, "introduced"))) {
            if (intro) { /* two introduced in a row: the first is open-ended */
                t->introduced = intro; t->fixed = ""; t->last_affected = ""; t->status = VG_VULN_OPEN;
                if ((rc = vg__vuln_add(db, t, rep))) return rc;
            }
            if (!event_version(v, true, &intro, rep, t->source, t->id)) return 1;
        } else if ((v = str_of(ev, "fixed")) || (v = str_of(ev, "last_affected"))) {
            bool fixed = str_of(ev, "fixed") != NULL;
            const char *ver;
            if (!intro) { vg__vuln_invalid(rep, "%s %s: '%s' without 'introduced'", t->source, t->id, fixed ? "fixed" : "last_affected"); return 1; }
            if (!event_version(v, false, &ver, rep, t->source, t->id)) return 1;
            t->introduced = intro;
            t->fixed = fixed ? ver : "";
            t->last_affected = fixed ? "" : ver;
            t->status = fixed ? VG_VULN_RESOLVED : VG_VULN_OPEN;
            if ((rc = vg__vuln_add(db, t, rep))) return rc;
            intro = NULL;
        } else if (!str_of(ev, "limit")) {
            vg__vuln_invalid(rep, "%s %s: unknown range event", t->source, t->id);
            return 1;
        }
    }
    if (intro) {
        t->introduced = intro; t->fixed = ""; t->last_affected = ""; t->status = VG_VULN_OPEN;
        if ((rc = vg__vuln_add(db, t, rep))) return rc;
    }
    return 0;
}

static int osv_record(struct vg_vuln_db *db, json_t *rec, struct vg_vuln_load_report *rep)
{
    if (!json_is_object(rec)) { vg__vuln_invalid(rep, "record is not an object"); return 0; }
    const char *id = str_of(rec, "id");
    if (!id || !vg__vuln_valid_id(id)) { vg__vuln_invalid(rep, "record without a valid id"); return 0; }
    json_t *wd = json_object_get(rec, "withdrawn");
    if (wd && !json_is_null(wd)) { rep->withdrawn++; return 0; }
    const char *cve = id;
    if (strncmp(id, "CVE-", 4) != 0) {
        size_t i;
        json_t *al;
        json_array_foreach(json_object_get(rec, "aliases"), i, al) {
            const char *s = json_string_value(al);
            if (s && strncmp(s, "CVE-", 4) == 0 && vg__vuln_valid_id(s)) { cve = s; break; }
        }
    }
    json_t *dbs = json_object_get(rec, "database_specific");
    const char *top_urg = str_of(dbs, "urgency");
    if (!top_urg) top_urg = str_of(dbs, "severity");
    if (!top_urg) top_urg = str_of(json_array_get(json_object_get(rec, "severity"), 0), "score");

    size_t ai;
    json_t *aff;
    json_t *affected = json_object_get(rec, "affected");
    if (affected && !json_is_array(affected)) { vg__vuln_invalid(rep, "%s: affected is not an array", id); return 0; }
    json_array_foreach(affected, ai, aff) {
        json_t *pkg = json_object_get(aff, "package");
        const char *eco = str_of(pkg, "ecosystem"), *name = str_of(pkg, "name");
        if (!eco || !name) { vg__vuln_invalid(rep, "%s: affected[%zu] without package ecosystem and name", id, ai); continue; }
        const char *release;
        if (strcmp(eco, "Debian") == 0) {
            release = "";
        } else if (strncmp(eco, "Debian:", 7) == 0) {
            int64_t num;
            if (vg_parse_i64(eco + 7, strlen(eco + 7), &num) != 0) { vg__vuln_invalid(rep, "%s: ecosystem '%.40s'", id, eco); continue; }
            if (num != db->relnum || num <= 0) { rep->other_release++; continue; }
            release = db->release;
        } else {
            rep->other_ecosystem++;
            continue;
        }
        rep->entries++;
        if (!vg__vuln_valid_source(name)) { vg__vuln_invalid(rep, "%s: invalid package name", id); continue; }
        const char *urg = str_of(json_object_get(aff, "ecosystem_specific"), "urgency");
        if (!urg) urg = str_of(json_object_get(aff, "database_specific"), "urgency");
        if (!urg) urg = str_of(json_array_get(json_object_get(aff, "severity"), 0), "score");
        if (!urg) urg = top_urg;
        struct vg_advisory t = {0};
        t.source = name;
        t.id = id;
        t.cve = cve;
        t.release = release;
        t.introduced = t.fixed = t.last_affected = "";
        t.urgency = urg ? urg : "";
        t.urg = vg_vuln_urgency_parse(urg);
        t.origin = VG_VULN_OSV;
        size_t ri, ranges = 0;
        json_t *r;
        int rc;
        json_array_foreach(json_object_get(aff, "ranges"), ri, r) {
            const char *type = str_of(r, "type");
            if (!type || strcmp(type, "ECOSYSTEM") != 0) continue;
            json_t *events = json_object_get(r, "events");
            if (!json_is_array(events)) { vg__vuln_invalid(rep, "%s: range without events", id); continue; }
            ranges++;
            if ((rc = osv_range(db, &t, events, rep)) < 0) return rc;
        }
        if (ranges) continue;
        size_t vi, versions = 0;
        json_t *v;
        json_array_foreach(json_object_get(aff, "versions"), vi, v) {
            const char *s = json_string_value(v), *ok;
            if (!s || !event_version(s, false, &ok, rep, name, id)) continue;
            t.introduced = t.last_affected = s;
            t.fixed = "";
            t.status = VG_VULN_OPEN;
            if ((rc = vg__vuln_add(db, &t, rep))) return rc;
            versions++;
        }
        if (!versions) vg__vuln_invalid(rep, "%s %s: no ECOSYSTEM range and no versions", name, id);
    }
    return 0;
}

int vg_vuln_db_load_osv_mem(struct vg_vuln_db *db, const char *data, size_t n, const char *name,
                            struct vg_vuln_load_report *rep, struct vg_err *err)
{
    struct vg_vuln_load_report local;
    if (!rep) rep = &local;
    memset(rep, 0, sizeof *rep);
    if (!name) name = "osv";
    if (n > VG_VULN_MAX_OSV_FILE)
        return vg_err_set(err, VG_ETOOBIG, "%s: %zu bytes, more than the %u byte cap", name, n, VG_VULN_MAX_OSV_FILE);
    json_error_t je;
    json_t *root = json_loadb(data ? data : "", data ? n : 0, 0, &je);
    if (!root) {
        int rc = vg_err_set(err, VG_EPARSE, "%s:%d:%d: %s", name, je.line, je.column, je.text);
        if (err) { err->line = je.line; err->col = je.column; }
        return rc;
    }
    size_t n0 = db->n;
    int rc = 0;
    if (json_is_array(root)) {
        size_t i;
        json_t *rec;
        json_array_foreach(root, i, rec) if ((rc = osv_record(db, rec, rep)) < 0) break;
    } else if (json_is_object(root)) {
        rc = osv_record(db, root, rep);
    } else {
        rc = vg_err_set(err, VG_EPARSE, "%s: expected an OSV object or an array of them", name);
    }
    json_decref(root);
    if (rc < 0) {
        if (rc != VG_EPARSE) vg_err_set(err, rc, "%s: %s", name, vg_strerror(rc));
        db->n = n0;
        rep->kept = 0;
        return rc;
    }
    vg__vuln_sort(db);
    return 0;
}
