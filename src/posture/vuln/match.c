/* Vulnerability matching: for each installed binary package, the advisories
 * of its source package (binary search in the sorted db) are checked against
 * the binary's source version, since Debian advisories name source packages
 * and source versions. Also the JSON form of a finding and the host's
 * release codename from os-release. */
#include "internal.h"

#include <errno.h>

#define MAX_FINDINGS 10000000

static int push(struct vg_vuln_findings *f, const struct vg_pkg *p, const struct vg_advisory *a)
{
    if (f->n >= MAX_FINDINGS) return VG_ETOOBIG;
    if (f->n == f->cap) {
        size_t nc = f->cap ? f->cap * 2 : 64;
        struct vg_vuln_finding *nv = vg_realloc(f->v, nc * sizeof *nv);
        if (!nv) return VG_ENOMEM;
        f->v = nv;
        f->cap = nc;
    }
    f->v[f->n].pkg = p;
    f->v[f->n].adv = a;
    f->n++;
    return 0;
}

static int cmp_finding(const void *x, const void *y)
{
    const struct vg_vuln_finding *a = x, *b = y;
    int c = strcmp(a->pkg->name, b->pkg->name);
    if (c) return c;
    if ((c = strcmp(a->pkg->arch, b->pkg->arch))) return c;
    if ((c = strcmp(a->adv->cve, b->adv->cve))) return c;
    return a->adv < b->adv ? -1 : a->adv > b->adv;
}

static int cmp_cve(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

int vg_vuln_match(const struct vg_vuln_db *db, const struct vg_pkg_inventory *inv, const char *host,
                  struct vg_vuln_findings *out, struct vg_err *err)
{
    int rc = 0;
    size_t start = out->n;
    const char **cves = NULL;
    snprintf(out->host, sizeof out->host, "%s", host ? host : "");
    for (size_t i = 0; i < inv->n; i++) {
        const struct vg_pkg *p = &inv->pkgs[i];
        if (!vg_pkg_is_installed(p)) continue;
        out->packages++;
        const char *sv = p->source_version[0] ? p->source_version : p->version;
        struct vg_dpkg_version v;
        if (vg_dpkg_version_parse(sv, strlen(sv), &v, 0, NULL) != 0) { out->invalid_versions++; continue; }
        size_t first, cnt = vg_vuln_db_lookup(db, p->source, &first);
        const char *last_cve = NULL;
        for (size_t k = first; k < first + cnt; k++) {
            const struct vg_advisory *a = &db->a[k];
            /* same CVE from another feed or interval: the first match wins */
            if (last_cve && strcmp(last_cve, a->cve) == 0) continue;
            if (!vg_vuln_affects(a, &v)) continue;
            if ((rc = push(out, p, a))) {
                vg_err_set(err, rc, "findings: %s", vg_strerror(rc));
                goto out;
            }
            last_cve = a->cve;
            out->by_urgency[a->urg < VG_URG_COUNT ? a->urg : 0]++;
            if (!a->fixed[0]) out->no_fix++;
        }
    }
    if (out->n - start > 1) qsort(out->v + start, out->n - start, sizeof *out->v, cmp_finding);
    /* distinct CVEs over all findings in out */
    if (out->n) {
        cves = vg_malloc(out->n * sizeof *cves);
        if (!cves) { rc = vg_err_set(err, VG_ENOMEM, "out of memory"); goto out; }
        for (size_t i = 0; i < out->n; i++) cves[i] = out->v[i].adv->cve;
        qsort(cves, out->n, sizeof *cves, cmp_cve);
        out->cves = 0;
        for (size_t i = 0; i < out->n; i++)
            if (i == 0 || strcmp(cves[i], cves[i - 1]) != 0) out->cves++;
    }
out:
    vg_free(cves);
    return rc;
}

void vg_vuln_findings_release(struct vg_vuln_findings *f)
{
    if (!f) return;
    vg_free(f->v);
    memset(f, 0, sizeof *f);
}

static void kv(struct vg_buf *b, const char *k, const char *v, bool comma)
{
    if (comma) vg_buf_addc(b, ',');
    vg_buf_add_json_str(b, k, strlen(k));
    vg_buf_addc(b, ':');
    vg_buf_add_json_str(b, v, strlen(v));
}

int vg_vuln_finding_json(const struct vg_vuln_findings *f, const struct vg_vuln_finding *x, struct vg_buf *b)
{
    size_t len0 = b->len;
    const struct vg_pkg *p = x->pkg;
    const struct vg_advisory *a = x->adv;
    vg_buf_addc(b, '{');
    kv(b, "host", f->host, false);
    kv(b, "package", p->name, true);
    kv(b, "arch", p->arch, true);
    kv(b, "installed_version", p->version, true);
    kv(b, "source", p->source, true);
    kv(b, "source_version", p->source_version[0] ? p->source_version : p->version, true);
    vg_buf_adds(b, ",\"fixed_version\":");
    if (a->fixed[0]) vg_buf_add_json_str(b, a->fixed, strlen(a->fixed));
    else vg_buf_adds(b, "null");
    if (a->introduced[0]) kv(b, "introduced", a->introduced, true);
    if (a->last_affected[0]) kv(b, "last_affected", a->last_affected, true);
    kv(b, "id", a->id, true);
    kv(b, "cve", a->cve, true);
    kv(b, "urgency", vg_vuln_urgency_name(a->urg), true);
    kv(b, "urgency_raw", a->urgency, true);
    kv(b, "status", vg_vuln_status_name(a->status), true);
    kv(b, "release", a->release, true);
    kv(b, "feed", a->origin == VG_VULN_OSV ? "osv" : "debian-tracker", true);
    int rc = vg_buf_addc(b, '}');
    if (rc) { b->len = len0; if (b->data) b->data[len0] = 0; }
    return rc;
}

int vg_vuln_os_codename(const char *path, char *buf, size_t bufsz, struct vg_err *err)
{
    const char *paths[2] = {path, NULL};
    if (!path) { paths[0] = "/etc/os-release"; paths[1] = "/usr/lib/os-release"; }
    for (int i = 0; i < 2 && paths[i]; i++) {
        FILE *f = fopen(paths[i], "r");
        if (!f) continue;
        char line[512];
        int rc = VG_ENOENT;
        while (fgets(line, sizeof line, f)) {
            if (strncmp(line, "VERSION_CODENAME=", 17) != 0) continue;
            char *v = line + 17;
            v[strcspn(v, "\r\n")] = 0;
            size_t n = strlen(v);
            if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) { v[n - 1] = 0; v++; n -= 2; }
            if (n == 0 || n >= bufsz) break;
            bool ok = true;
            for (size_t k = 0; k < n; k++)
                if (!((v[k] >= 'a' && v[k] <= 'z') || (v[k] >= '0' && v[k] <= '9') || v[k] == '-')) ok = false;
            if (!ok) break;
            memcpy(buf, v, n + 1);
            rc = 0;
            break;
        }
        fclose(f);
        if (rc == 0) return 0;
        return vg_err_set(err, VG_ENOENT, "%s: no usable VERSION_CODENAME", paths[i]);
    }
    return vg_err_set(err, VG_ENOENT, "no os-release file");
}
