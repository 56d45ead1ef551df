/* vigil vulns: lists the vulnerable packages of this host. Reads the local
 * dpkg status database (the package inventory) and advisory files (Debian
 * security tracker JSON or OSV), matches them (src/posture/vuln/) and prints
 * the findings as a table or JSON lines, then a summary line. Per-host
 * inventories stored by the server arrive with the agent. */
#include "cli.h"
#include "vigil/vuln.h"

#include <sys/stat.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: vigil vulns [--status FILE|DIR] [--advisories FILE]... [--release NAME] [--host H] [--json] [FILE...]\n"
    "  Matches the installed packages against vulnerability advisories.\n"
    "  --status PATH      dpkg status file, or a status.d directory (default /var/lib/dpkg/status)\n"
    "  --advisories FILE  Debian security tracker JSON or OSV JSON (repeatable; bare FILEs too)\n"
    "  --release NAME     Debian release codename or number (default: VERSION_CODENAME of\n"
    "                     /etc/os-release for the local status file, else bookworm)\n"
    "  --host H           only this host (the local host until agents report inventories)\n"
    "  --json             one JSON object per finding, then a {\"summary\":...} line\n"
    "exit status: 0 done (findings or not), 1 unreadable or malformed input, 2 usage";

#define DEFAULT_STATUS "/var/lib/dpkg/status"

static void print_table(const struct vg_vuln_findings *f)
{
    if (!f->n) return;
    printf("%-28s %-26s %-26s %-18s %-16s %s\n", "PACKAGE", "INSTALLED", "FIXED", "CVE", "URGENCY", "STATUS");
    for (size_t i = 0; i < f->n; i++) {
        const struct vg_pkg *p = f->v[i].pkg;
        const struct vg_advisory *a = f->v[i].adv;
        char name[300];
        if (strcmp(p->source, p->name) != 0) snprintf(name, sizeof name, "%s (%s)", p->name, p->source);
        else snprintf(name, sizeof name, "%s", p->name);
        char fixed[VG_DPKG_VERSION_MAX + 8];
        if (a->fixed[0]) snprintf(fixed, sizeof fixed, "%s", a->fixed);
        else if (a->last_affected[0]) snprintf(fixed, sizeof fixed, ">%s", a->last_affected); /* OSV last_affected */
        else snprintf(fixed, sizeof fixed, "none");
        printf("%-28s %-26s %-26s %-18s %-16s %s\n", name, p->version, fixed, a->cve,
               vg_vuln_urgency_name(a->urg), vg_vuln_status_name(a->status));
    }
}

static void summary(struct vg_buf *b, const struct vg_vuln_findings *f, const struct vg_pkg_inventory *inv,
                    const struct vg_vuln_db *db, bool json)
{
    static const enum vg_vuln_urgency order[] = {VG_URG_CRITICAL, VG_URG_HIGH, VG_URG_MEDIUM, VG_URG_LOW,
                                                 VG_URG_UNIMPORTANT, VG_URG_END_OF_LIFE, VG_URG_UNASSIGNED};
    if (json) {
        vg_buf_adds(b, "{\"summary\":{\"host\":");
        vg_buf_add_json_str(b, f->host, strlen(f->host));
        vg_buf_adds(b, ",\"release\":");
        vg_buf_add_json_str(b, vg_vuln_db_release(db), strlen(vg_vuln_db_release(db)));
        vg_buf_addf(b, ",\"packages_installed\":%zu,\"packages_known\":%zu,\"status_errors\":%zu,\"advisories\":%zu,"
                       "\"findings\":%zu,\"cves\":%zu,\"no_fix\":%zu,\"by_urgency\":{",
                    inv->rep.installed, inv->rep.known, inv->rep.errors, vg_vuln_db_count(db), f->n, f->cves, f->no_fix);
        for (size_t i = 0; i < VG_ARRAY_LEN(order); i++) {
            const char *nm = vg_vuln_urgency_name(order[i]);
            if (i) vg_buf_addc(b, ',');
            vg_buf_add_json_str(b, nm, strlen(nm));
            vg_buf_addf(b, ":%zu", f->by_urgency[order[i]]);
        }
        vg_buf_adds(b, "}}}\n");
        return;
    }
    vg_buf_addf(b, "host %s (%s): %zu installed packages (%zu known to dpkg), %zu advisories; %zu findings (%zu CVEs):",
                f->host, vg_vuln_db_release(db), inv->rep.installed, inv->rep.known, vg_vuln_db_count(db), f->n, f->cves);
    for (size_t i = 0; i < VG_ARRAY_LEN(order); i++)
        vg_buf_addf(b, "%s %zu %s", i ? "," : "", f->by_urgency[order[i]], vg_vuln_urgency_name(order[i]));
    vg_buf_addf(b, "; %zu without a fix\n", f->no_fix);
}

static int run(int argc, char **argv)
{
    const char *status = DEFAULT_STATUS, *release = NULL, *host = NULL;
    const char *adv[256];
    size_t nadv = 0;
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) json = true;
        else if (strcmp(argv[i], "--status") == 0 && i + 1 < argc) status = argv[++i];
        else if (strcmp(argv[i], "--release") == 0 && i + 1 < argc) release = argv[++i];
        else if (strcmp(argv[i], "--host") == 0 && i + 1 < argc) host = argv[++i];
        else if (strcmp(argv[i], "--advisories") == 0 && i + 1 < argc) {
            if (nadv == VG_ARRAY_LEN(adv)) { fprintf(stderr, "vigil vulns: too many advisory files\n"); return 2; }
            adv[nadv++] = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1]) { fprintf(stderr, "%s\n", usage_text); return 2; }
        else {
            if (nadv == VG_ARRAY_LEN(adv)) { fprintf(stderr, "vigil vulns: too many advisory files\n"); return 2; }
            adv[nadv++] = argv[i];
        }
    }
    if (!nadv) {
        fprintf(stderr, "vigil vulns: no advisory files given\n%s\n", usage_text);
        return 2;
    }
    char local[256] = "localhost";
    if (gethostname(local, sizeof local - 1) != 0) snprintf(local, sizeof local, "localhost");
    local[sizeof local - 1] = 0;
    if (host && strcmp(host, local) != 0) {
        fprintf(stderr, "vigil vulns: host '%s' is not this host ('%s'); per-host inventories are stored by the "
                        "server once agents report them (not available yet)\n", host, local);
        return 2;
    }
    char codename[64];
    if (!release && strcmp(status, DEFAULT_STATUS) == 0 && vg_vuln_os_codename(NULL, codename, sizeof codename, NULL) == 0)
        release = codename;

    int code = 1;
    struct vg_err err = VG_ERR_INIT;
    struct vg_pkg_inventory inv = VG_PKG_INVENTORY_INIT;
    struct vg_vuln_findings f = VG_VULN_FINDINGS_INIT;
    struct vg_buf out = VG_BUF_INIT;
    out.cap_limit = 1u << 30;
    struct vg_vuln_load_report *rep = vg_malloc(sizeof *rep);
    struct vg_vuln_db *db = vg_vuln_db_new(release);
    if (!db || !rep) {
        fprintf(stderr, "vigil vulns: %s\n", db || !rep ? "out of memory" : "invalid --release name");
        if (!db && rep) code = 2;
        goto out;
    }
    struct stat sb;
    int rc = stat(status, &sb) == 0 && S_ISDIR(sb.st_mode) ? vg_pkg_inventory_load_dpkg_dir(&inv, status, &err)
                                                            : vg_pkg_inventory_load_dpkg(&inv, status, 0, &err);
    if (rc) { fprintf(stderr, "vigil vulns: %s\n", err.msg); goto out; }
    for (size_t i = 0; i < inv.rep.nissues; i++)
        fprintf(stderr, "vigil vulns: %s:%d: %s\n", status, inv.rep.issues[i].line, inv.rep.issues[i].msg);
    if (inv.rep.errors > inv.rep.nissues)
        fprintf(stderr, "vigil vulns: %s: %zu more malformed stanzas\n", status, inv.rep.errors - inv.rep.nissues);
    if (inv.rep.errors && !inv.rep.parsed) {
        fprintf(stderr, "vigil vulns: %s: no valid package stanza (is it a dpkg status file?)\n", status);
        goto out;
    }
    char rpm[4096];
    if (vg_pkg_rpmdb_find("/", rpm, sizeof rpm))
        fprintf(stderr, "vigil vulns: note: rpm database %s present but not read (rpm inventory is not implemented)\n", rpm);
    for (size_t i = 0; i < nadv; i++) {
        if ((rc = vg_vuln_db_load_file(db, adv[i], rep, &err)) != 0) {
            fprintf(stderr, "vigil vulns: %s\n", err.msg);
            goto out;
        }
        for (size_t k = 0; k < rep->nissues; k++) fprintf(stderr, "vigil vulns: %s: skipped: %s\n", adv[i], rep->issues[k]);
        if (rep->invalid > rep->nissues)
            fprintf(stderr, "vigil vulns: %s: %zu more entries skipped\n", adv[i], rep->invalid - rep->nissues);
    }
    if ((rc = vg_vuln_match(db, &inv, local, &f, &err)) != 0) { fprintf(stderr, "vigil vulns: %s\n", err.msg); goto out; }
    if (json) {
        for (size_t i = 0; i < f.n; i++) {
            vg_vuln_finding_json(&f, &f.v[i], &out);
            vg_buf_addc(&out, '\n');
        }
        summary(&out, &f, &inv, db, true);
        if (out.data) fwrite(out.data, 1, out.len, stdout);
    } else {
        print_table(&f);
        summary(&out, &f, &inv, db, false);
        if (out.data) fwrite(out.data, 1, out.len, stdout);
    }
    code = 0;
out:
    vg_buf_release(&out);
    vg_vuln_findings_release(&f);
    vg_vuln_db_free(db);
    vg_free(rep);
    vg_pkg_inventory_release(&inv);
    return code;
}

const struct vg_cmd vg_cmd_vulns = {
    .name = "vulns",
    .desc = "list vulnerable packages (dpkg inventory vs Debian tracker / OSV advisories)",
    .usage = usage_text,
    .run = run,
};
