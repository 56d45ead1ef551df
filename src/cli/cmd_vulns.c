/* vigil vulns: lists the vulnerable packages of this host. Reads the local
 * dpkg status database (the package inventory) and advisory files (Debian
 * security tracker JSON or OSV), matches them (src/posture/vuln/) and prints
 * the findings as a table or JSON lines, then a summary line.
 * vigil vulns --host H --data DIR matches the inventory H's agent last
 * reported (the store) against the server's advisories (DIR/advisories,
 * filled by `vigil vulns import FILE...`) and any --advisories. */
#include "cli.h"
#include "vigil/inventory.h"
#include "vigil/store.h"
#include "vigil/vuln.h"
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>

#include <sys/stat.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: vigil vulns [--status FILE|DIR] [--advisories FILE]... [--release NAME] [--json] [FILE...]\n"
    "       vigil vulns --host H [--data DIR] [--tenant T] [--advisories FILE]... [--json]\n"
    "       vigil vulns import FILE... [--data DIR]\n"
    "  Matches the installed packages against vulnerability advisories.\n"
    "  --status PATH      dpkg status file, or a status.d directory (default /var/lib/dpkg/status)\n"
    "  --advisories FILE  Debian security tracker JSON or OSV JSON (repeatable; bare FILEs too)\n"
    "  --release NAME     Debian release codename or number (default: VERSION_CODENAME of\n"
    "                     /etc/os-release for the local status file, else bookworm)\n"
    "  --host H           the inventory host H's agent reported to the server in DIR, matched\n"
    "                     against DIR/advisories (the server's) and --advisories\n"
    "  import FILE...     validate advisory files and install them into DIR/advisories, where\n"
    "                     the server matches every agent's packages against them\n"
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

/* vigil vulns import FILE... [--data DIR] */
static int cmd_import(int argc, char **argv)
{
    const char *data = vg_cli_default_data();
    const char *files[256];
    size_t n = 0;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--data") == 0 && i + 1 < argc) data = argv[++i];
        else if (argv[i][0] == '-' || n == VG_ARRAY_LEN(files)) { fprintf(stderr, "%s\n", usage_text); return 2; }
        else files[n++] = argv[i];
    }
    if (!n) { fprintf(stderr, "vigil vulns import: no files\n%s\n", usage_text); return 2; }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/advisories", data);
    if (mkdir(data, 0700) != 0 && errno != EEXIST) { fprintf(stderr, "vigil vulns import: cannot create %s\n", data); return 1; }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) { fprintf(stderr, "vigil vulns import: cannot create %s\n", dir); return 1; }
    for (size_t i = 0; i < n; i++) {
        struct vg_err err = VG_ERR_INIT;
        struct vg_vuln_db *db = vg_vuln_db_new("bookworm");
        int rc = db ? vg_vuln_db_load_file(db, files[i], NULL, &err) : VG_ENOMEM;
        size_t cnt = db ? vg_vuln_db_count(db) : 0;
        vg_vuln_db_free(db);
        if (rc) { fprintf(stderr, "vigil vulns import: %s\n", err.msg[0] ? err.msg : vg_strerror(rc)); return 1; }
        const char *base = strrchr(files[i], '/');
        base = base ? base + 1 : files[i];
        size_t bl = strlen(base);
        char dst[4400], tmp[4500];
        snprintf(dst, sizeof dst, "%s/%s%s", dir, base, bl > 5 && strcmp(base + bl - 5, ".json") == 0 ? "" : ".json");
        snprintf(tmp, sizeof tmp, "%s.tmp", dst);
        FILE *in = fopen(files[i], "rb"), *out = fopen(tmp, "wb");
        bool ok = in && out;
        char buf[65536];
        size_t r;
        while (ok && (r = fread(buf, 1, sizeof buf, in)) > 0) ok = fwrite(buf, 1, r, out) == r;
        if (in) { ok = ok && !ferror(in); fclose(in); }
        if (out) { ok = fflush(out) == 0 && fsync(fileno(out)) == 0 && ok; ok = fclose(out) == 0 && ok; }
        if (!ok || rename(tmp, dst) != 0) {
            unlink(tmp);
            fprintf(stderr, "vigil vulns import: cannot copy %s to %s\n", files[i], dst);
            return 1;
        }
        printf("imported %s: %zu bookworm advisories -> %s\n", files[i], cnt, dst);
    }
    return 0;
}

static const char *jstr(json_t *o, const char *k)
{
    const char *v = json_string_value(json_object_get(o, k));
    return v ? v : "";
}

/* --host H: the stored inventory of H matched against DIR/advisories and
 * the extra files. */
static int host_mode(const char *data, const char *tenant, const char *host, const char *const *adv, size_t nadv,
                     const char *release, bool json)
{
    struct vg_err err = VG_ERR_INIT;
    struct vg_store *st = NULL;
    char *snap = NULL;
    struct vg_inv_snapshot *s = NULL;
    struct vg_vuln_db *db = NULL;
    struct vg_buf fj = VG_BUF_INIT;
    json_t *arr = NULL;
    fj.cap_limit = (size_t)1 << 30;
    int code = 1;
    if (vg_store_open(&st, data, &err) != 0) { fprintf(stderr, "vigil vulns: %s\n", err.msg); return 1; }
    if (!st->ops->asset_get || st->ops->asset_get(st, tenant, host, NULL, &snap, NULL, 0, &err) != 0) {
        fprintf(stderr, "vigil vulns: %s\n", err.msg[0] ? err.msg : "store has no asset support");
        goto out;
    }
    if (!snap || !*snap) { fprintf(stderr, "vigil vulns: no inventory stored for %s (tenant %s)\n", host, tenant); goto out; }
    if (vg_inv_from_json(snap, strlen(snap), &s, &err) != 0) { fprintf(stderr, "vigil vulns: stored inventory: %s\n", err.msg); goto out; }
    char relbuf[64], dir[4096];
    if (!release) release = vg_vuln_snapshot_release(s, relbuf, sizeof relbuf);
    if (!release) release = "bookworm";
    if (!(db = vg_vuln_db_new(release))) { fprintf(stderr, "vigil vulns: unknown release '%s'\n", release); code = 2; goto out; }
    snprintf(dir, sizeof dir, "%s/advisories", data);
    size_t files = 0;
    int rc = vg_vuln_db_load_dir(db, dir, &files, NULL, &err);
    if (rc && rc != VG_ENOENT) { fprintf(stderr, "vigil vulns: %s\n", err.msg); goto out; }
    for (size_t i = 0; i < nadv; i++, files++)
        if (vg_vuln_db_load_file(db, adv[i], NULL, &err) != 0) { fprintf(stderr, "vigil vulns: %s\n", err.msg); goto out; }
    if (!files) { fprintf(stderr, "vigil vulns: no advisories: run `vigil vulns import FILE --data %s` or give --advisories\n", data); goto out; }
    size_t n = 0;
    if (vg_vuln_match_snapshot(db, s, host, &fj, &n, &err) != 0) { fprintf(stderr, "vigil vulns: %s\n", err.msg); goto out; }
    arr = json_loadb(fj.data, fj.len, 0, NULL);
    size_t i;
    json_t *x;
    if (!json) printf("%-28s %-26s %-26s %-18s %s\n", "PACKAGE", "INSTALLED", "FIXED", "CVE", "URGENCY");
    json_array_foreach(arr, i, x)
    {
        if (json) {
            char *t = json_dumps(x, JSON_COMPACT | JSON_PRESERVE_ORDER);
            if (t) printf("%s\n", t);
            free(t);
        } else {
            printf("%-28s %-26s %-26s %-18s %s\n", jstr(x, "package"), jstr(x, "installed_version"),
                   *jstr(x, "fixed_version") ? jstr(x, "fixed_version") : "none", jstr(x, "cve"), jstr(x, "urgency"));
        }
    }
    if (json) printf("{\"summary\":{\"host\":\"%s\",\"release\":\"%s\",\"packages\":%zu,\"advisories\":%zu,\"findings\":%zu}}\n",
                     host, release, s->npkgs, vg_vuln_db_count(db), n);
    else printf("host %s (%s, tenant %s): %zu packages reported, %zu advisories; %zu findings\n", host, release, tenant,
                s->npkgs, vg_vuln_db_count(db), n);
    code = 0;
out:
    json_decref(arr);
    vg_buf_release(&fj);
    vg_vuln_db_free(db);
    vg_inv_snapshot_free(s);
    vg_free(snap);
    vg_store_close(st);
    return code;
}

static int run(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "import") == 0) return cmd_import(argc, argv);
    const char *data = NULL, *tenant = "default";
    const char *status = DEFAULT_STATUS, *release = NULL, *host = NULL;
    const char *adv[256];
    size_t nadv = 0;
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) json = true;
        else if (strcmp(argv[i], "--status") == 0 && i + 1 < argc) status = argv[++i];
        else if (strcmp(argv[i], "--release") == 0 && i + 1 < argc) release = argv[++i];
        else if (strcmp(argv[i], "--host") == 0 && i + 1 < argc) host = argv[++i];
        else if (strcmp(argv[i], "--data") == 0 && i + 1 < argc) data = argv[++i];
        else if (strcmp(argv[i], "--tenant") == 0 && i + 1 < argc) tenant = argv[++i];
        else if (strcmp(argv[i], "--advisories") == 0 && i + 1 < argc) {
            if (nadv == VG_ARRAY_LEN(adv)) { fprintf(stderr, "vigil vulns: too many advisory files\n"); return 2; }
            adv[nadv++] = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1]) { fprintf(stderr, "%s\n", usage_text); return 2; }
        else {
            if (nadv == VG_ARRAY_LEN(adv)) { fprintf(stderr, "vigil vulns: too many advisory files\n"); return 2; }
            adv[nadv++] = argv[i];
        }
    }
    char local[256] = "localhost";
    if (gethostname(local, sizeof local - 1) != 0) snprintf(local, sizeof local, "localhost");
    local[sizeof local - 1] = 0;
    if (host && (data || strcmp(host, local) != 0))
        return host_mode(data ? data : vg_cli_default_data(), tenant, host, adv, nadv, release, json);
    if (!nadv) {
        fprintf(stderr, "vigil vulns: no advisory files given\n%s\n", usage_text);
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
        fprintf(stderr, "vigil vulns: note: rpm database %s: rpm packages are inventoried but not matched "
                        "(the advisories are Debian's)\n", rpm);
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
