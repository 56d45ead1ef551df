/* Vulnerability matching for an inventory snapshot (what an agent sends):
 * its Debian packages are turned back into dpkg status stanzas and read by
 * the same validating parser as a status file, then matched (match.c).
 * Also loads every advisory file of a directory (DATA/advisories, filled
 * by `vigil vulns import`). Used by the server when an inventory arrives
 * and by `vigil vulns --host`. */
#include "internal.h"
#include "vigil/inventory.h"
#include <dirent.h>
#include <sys/stat.h>

const char *vg_vuln_snapshot_release(const struct vg_inv_snapshot *s, char *buf, size_t bufsz)
{
    const char *r = s->os.os_codename && *s->os.os_codename ? s->os.os_codename
                    : s->os.os_version_id && *s->os.os_version_id ? s->os.os_version_id : NULL;
    if (!r) return NULL;
    snprintf(buf, bufsz, "%s", r);
    return buf;
}

/* One stanza; values come from a parsed snapshot, so a newline in one
 * would only make that stanza malformed (counted and skipped). */
static int stanza(struct vg_buf *b, const struct vg_inv_pkg *p)
{
    int rc = vg_buf_addf(b, "Package: %s\nStatus: %s\nVersion: %s\nArchitecture: %s\n", p->name,
                         *p->status ? p->status : "install ok installed", p->version, p->arch);
    if (!rc && p->source && *p->source && strcmp(p->source, p->name) != 0) {
        if (p->source_version && *p->source_version && strcmp(p->source_version, p->version) != 0)
            rc = vg_buf_addf(b, "Source: %s (%s)\n", p->source, p->source_version);
        else rc = vg_buf_addf(b, "Source: %s\n", p->source);
    } else if (!rc && p->source_version && *p->source_version && strcmp(p->source_version, p->version) != 0) {
        rc = vg_buf_addf(b, "Source: %s (%s)\n", p->name, p->source_version);
    }
    if (!rc) rc = vg_buf_addc(b, '\n');
    return rc;
}

int vg_vuln_match_snapshot(const struct vg_vuln_db *db, const struct vg_inv_snapshot *s, const char *host,
                           struct vg_buf *json, size_t *count, struct vg_err *err)
{
    struct vg_buf st = VG_BUF_INIT;
    struct vg_pkg_inventory inv = VG_PKG_INVENTORY_INIT;
    struct vg_vuln_findings f = VG_VULN_FINDINGS_INIT;
    st.cap_limit = (size_t)1 << 30;
    *count = 0;
    int rc = 0;
    for (size_t i = 0; i < s->npkgs && !rc; i++) {
        const struct vg_inv_pkg *p = &s->pkgs[i];
        if (p->format && *p->format && strcmp(p->format, "deb") != 0) continue;
        rc = stanza(&st, p);
    }
    if (rc) { rc = vg_err_set(err, rc, "out of memory"); goto out; }
    if (st.len && (rc = vg_pkg_inventory_load_dpkg_mem(&inv, st.data, st.len, 0, err))) goto out;
    if ((rc = vg_vuln_match(db, &inv, host, &f, err))) goto out;
    size_t start = json->len;
    rc = vg_buf_addc(json, '[');
    for (size_t i = 0; !rc && i < f.n; i++) {
        if (i) rc = vg_buf_addc(json, ',');
        if (!rc) rc = vg_vuln_finding_json(&f, &f.v[i], json);
    }
    if (!rc) rc = vg_buf_addc(json, ']');
    if (rc) { json->len = start; rc = vg_err_set(err, rc, "out of memory"); goto out; }
    *count = f.n;
out:
    vg_vuln_findings_release(&f);
    vg_pkg_inventory_release(&inv);
    vg_buf_release(&st);
    return rc;
}

static int name_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int vg_vuln_db_load_dir(struct vg_vuln_db *db, const char *dir, size_t *files, uint64_t *stamp, struct vg_err *err)
{
    if (files) *files = 0;
    if (stamp) *stamp = 0;
    DIR *d = opendir(dir);
    if (!d) return vg_err_set(err, VG_ENOENT, "%s: no advisory directory", dir);
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    struct dirent *de;
    while ((de = readdir(d)) && !rc) {
        size_t l = strlen(de->d_name);
        if (l < 6 || strcmp(de->d_name + l - 5, ".json") != 0 || de->d_name[0] == '.') continue;
        if (n == 4096) break;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            char **nn = vg_realloc(names, nc * sizeof *nn);
            if (!nn) { rc = VG_ENOMEM; break; }
            names = nn;
            cap = nc;
        }
        if (!(names[n] = vg_strdup(de->d_name))) rc = VG_ENOMEM;
        else n++;
    }
    closedir(d);
    if (n > 1) qsort(names, n, sizeof *names, name_cmp);
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n && !rc; i++) {
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        struct stat sb;
        if (stat(p, &sb) != 0 || !S_ISREG(sb.st_mode)) continue;
        h = (h ^ ((uint64_t)sb.st_mtim.tv_sec * 1000000000ULL + (uint64_t)sb.st_mtim.tv_nsec)) * 1099511628211ULL;
        h = (h ^ (uint64_t)sb.st_size) * 1099511628211ULL;
        if (db && (rc = vg_vuln_db_load_file(db, p, NULL, err))) break;
        if (files) (*files)++;
    }
    if (rc == VG_ENOMEM && err && !err->msg[0]) vg_err_set(err, rc, "out of memory");
    for (size_t i = 0; i < n; i++) vg_free(names[i]);
    vg_free(names);
    if (stamp) *stamp = h ^ n;
    return rc;
}
