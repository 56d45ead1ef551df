/* vigil posture HOST [--data DIR] [--tenant T] [--json]: the stored posture
 * of an asset: score per policy, failed checks with their remediation, and
 * vulnerable packages. With --collect it first runs a hardening policy on
 * this host (or --root DIR) and stores the result for HOST, which is how a
 * single machine without an agent gets a posture. Exit 0 ok, 1 error or
 * nothing stored, 2 usage error. */
#include "cli.h"
#include "vigil/pkg.h"
#include "vigil/sca.h"
#include "vigil/vuln.h"
#include "vigil/store.h"
#include <jansson.h>


static const char usage_text[] =
    "usage: vigil posture HOST [--data DIR] [--tenant T] [--json]\n"
    "       vigil posture HOST --collect [--root DIR] [--policy FILE] [--advisories FILE]...\n"
    "                     [--release NAME] [--data DIR] [--tenant T]\n"
    "  Shows the stored posture of HOST: score, failed checks with remediation,\n"
    "  vulnerable packages. --collect runs the hardening policy (default the\n"
    "  Debian 12 baseline) here and stores the result for HOST first; with\n"
    "  --advisories (tracker or OSV JSON, as for vigil vulns) it also matches\n"
    "  the packages of the root and stores the vulnerable ones.\n"
    "exit status: 0 ok, 1 error or nothing stored, 2 usage error";

static const char *js(json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    return v ? v : "";
}

static int collect(struct vg_store *st, const char *tenant, const char *host, const char *root, const char *policy)
{
    char buf[4096];
    if (!policy) policy = vg_sca_default_policy(buf, sizeof buf);
    struct vg_err err = VG_ERR_INIT;
    struct vg_sca_policy *p = NULL;
    struct vg_sca_report *r = NULL;
    struct vg_buf j = VG_BUF_INIT;
    int ret = 1;
    if (vg_sca_policy_load_file(policy, &p, &err)) goto fail;
    struct vg_sca_opts o = VG_SCA_OPTS_INIT;
    o.root = root;
    o.ignore_platform = true;
    if (vg_sca_run(p, &o, &r, &err)) goto fail;
    if (vg_sca_report_posture_json(r, r->started_ns, &j)) {
        fprintf(stderr, "vigil posture: out of memory\n");
        goto out;
    }
    if (!st->ops->asset_put_posture) {
        fprintf(stderr, "vigil posture: store has no asset support\n");
        goto out;
    }
    if (st->ops->asset_put_posture(st, tenant, host, r->policy_id, r->scored ? r->score : -1, j.data, r->started_ns, &err))
        goto fail;
    ret = 0;
    goto out;
fail:
    fprintf(stderr, "vigil posture: %s\n", err.msg);
out:
    vg_buf_release(&j);
    vg_sca_report_free(r);
    vg_sca_policy_free(p);
    return ret;
}

/* Matches <root>/var/lib/dpkg/status against the advisory files and stores
 * the findings for host. */
static int collect_vulns(struct vg_store *st, const char *tenant, const char *host, const char *root,
                         const char *const *adv, size_t nadv, const char *release)
{
    struct vg_err err = VG_ERR_INIT;
    char rel[64], path[4096];
    if (!release) {
        snprintf(path, sizeof path, "%s/etc/os-release", strcmp(root, "/") == 0 ? "" : root);
        release = vg_vuln_os_codename(path, rel, sizeof rel, NULL) == 0 ? rel : "bookworm";
    }
    struct vg_vuln_db *db = vg_vuln_db_new(release);
    struct vg_pkg_inventory inv = VG_PKG_INVENTORY_INIT;
    struct vg_vuln_findings f = VG_VULN_FINDINGS_INIT;
    struct vg_buf j = VG_BUF_INIT;
    j.cap_limit = (size_t)1 << 30;
    int ret = 1;
    if (!db) {
        fprintf(stderr, "vigil posture: bad release name '%s'\n", release);
        goto out;
    }
    for (size_t i = 0; i < nadv; i++)
        if (vg_vuln_db_load_file(db, adv[i], NULL, &err)) goto fail;
    snprintf(path, sizeof path, "%s/var/lib/dpkg/status", strcmp(root, "/") == 0 ? "" : root);
    if (vg_pkg_inventory_load_dpkg(&inv, path, 0, &err) || vg_vuln_match(db, &inv, host, &f, &err)) goto fail;
    int rc = vg_buf_addc(&j, '[');
    for (size_t i = 0; i < f.n && !rc; i++) {
        if (i) rc = vg_buf_addc(&j, ',');
        if (!rc) rc = vg_vuln_finding_json(&f, &f.v[i], &j);
    }
    if (rc || vg_buf_addc(&j, ']')) {
        fprintf(stderr, "vigil posture: out of memory\n");
        goto out;
    }
    if (!st->ops->asset_put_vulns || st->ops->asset_put_vulns(st, tenant, host, f.n, j.data, 0, &err)) goto fail;
    ret = 0;
    goto out;
fail:
    fprintf(stderr, "vigil posture: %s\n", err.msg[0] ? err.msg : "store has no asset support");
out:
    vg_buf_release(&j);
    vg_vuln_findings_release(&f);
    vg_pkg_inventory_release(&inv);
    vg_vuln_db_free(db);
    return ret;
}

static int run(int argc, char **argv)
{
    if (argc < 2 || argv[1][0] == '-') goto usage;
    const char *host = argv[1], *data = vg_cli_default_data(), *tenant = "default", *root = "/", *policy = NULL;
    bool json = false, do_collect = false;
    const char *adv[64], *release = NULL;
    size_t nadv = 0;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--data") == 0 && i + 1 < argc) data = argv[++i];
        else if (strcmp(argv[i], "--tenant") == 0 && i + 1 < argc) tenant = argv[++i];
        else if (strcmp(argv[i], "--root") == 0 && i + 1 < argc) root = argv[++i];
        else if (strcmp(argv[i], "--policy") == 0 && i + 1 < argc) policy = argv[++i];
        else if (strcmp(argv[i], "--advisories") == 0 && i + 1 < argc && nadv < 64) adv[nadv++] = argv[++i];
        else if (strcmp(argv[i], "--release") == 0 && i + 1 < argc) release = argv[++i];
        else if (strcmp(argv[i], "--json") == 0) json = true;
        else if (strcmp(argv[i], "--collect") == 0) do_collect = true;
        else goto usage;
    }
    struct vg_err err = VG_ERR_INIT;
    struct vg_store *st = NULL;
    if (vg_store_open(&st, data, &err)) {
        fprintf(stderr, "vigil posture: %s\n", err.msg);
        return 1;
    }
    int ret = 1;
    char *pj = NULL, *vj = NULL;
    json_t *po = NULL, *vo = NULL;
    if (do_collect && collect(st, tenant, host, root, policy)) goto out;
    if (do_collect && nadv && collect_vulns(st, tenant, host, root, adv, nadv, release)) goto out;
    if (!st->ops->asset_get_posture || st->ops->asset_get_posture(st, tenant, host, &pj, &vj, &err)) {
        fprintf(stderr, "vigil posture: %s\n", err.msg[0] ? err.msg : "store has no asset support");
        goto out;
    }
    po = json_loads(pj, 0, NULL);
    vo = json_loads(vj, JSON_DECODE_ANY, NULL);
    if (!json_array_size(po) && !json_is_object(vo)) {
        fprintf(stderr, "vigil posture: nothing stored for %s (tenant %s); try --collect\n", host, tenant);
        goto out;
    }
    if (json) {
        json_t *o = json_object();
        json_object_set_new(o, "host", json_string(host));
        json_object_set_new(o, "tenant", json_string(tenant));
        json_object_set(o, "policies", po ? po : json_array());
        json_object_set(o, "vulnerabilities", vo ? vo : json_null());
        char *t = json_dumps(o, JSON_INDENT(2));
        if (t) printf("%s\n", t);
        free(t);
        json_decref(o);
    } else {
        size_t i, k;
        json_t *p, *c;
        json_array_foreach(po, i, p)
        {
            json_t *r = json_object_get(p, "report");
            char ts[48];
            vg_time_format(json_integer_value(json_object_get(p, "ts")), ts, sizeof ts, 0);
            json_t *sc = json_object_get(p, "score");
            printf("policy %s (%s), assessed %s\n", js(p, "policy"), js(r, "platform"), ts);
            if (json_is_number(sc)) printf("score: %.1f%%", json_number_value(sc));
            else printf("score: n/a");
            printf("  (%lld checks: %lld pass, %lld fail, %lld not applicable, %lld error)\n",
                   (long long)json_integer_value(json_object_get(r, "checks")),
                   (long long)json_integer_value(json_object_get(r, "pass")),
                   (long long)json_integer_value(json_object_get(r, "fail")),
                   (long long)json_integer_value(json_object_get(r, "not_applicable")),
                   (long long)json_integer_value(json_object_get(r, "error")));
            json_t *trend = json_object_get(p, "trend");
            if (json_array_size(trend)) {
                printf("trend (newest first, %zu scans):", json_array_size(trend));
                json_array_foreach(trend, k, c)
                {
                    char t2[48];
                    vg_time_format(json_integer_value(json_object_get(c, "ts")), t2, sizeof t2, 0);
                    json_t *v = json_object_get(c, "score");
                    if (k && k % 4 == 0) printf("\n  ");
                    if (json_is_number(v)) printf(" %.1f%% (%s)", json_number_value(v), t2);
                    else printf(" n/a (%s)", t2);
                    if (k == 11) break;
                }
                putchar('\n');
            }
            json_array_foreach(json_object_get(r, "failed"), k, c)
            {
                printf("  [%s] %-8s %s: %s\n", js(c, "result"), js(c, "severity"), js(c, "id"), js(c, "title"));
                if (*js(c, "evidence")) printf("      evidence: %s\n", js(c, "evidence"));
                if (*js(c, "remediation")) printf("      fix: %s\n", js(c, "remediation"));
            }
        }
        if (json_is_object(vo)) {
            printf("vulnerable packages: %lld\n", (long long)json_integer_value(json_object_get(vo, "count")));
            json_array_foreach(json_object_get(vo, "findings"), k, c)
                printf("  %-24s %-24s %-16s fixed in %s (%s)\n", js(c, "package"), js(c, "installed_version"),
                       js(c, "cve"), *js(c, "fixed_version") ? js(c, "fixed_version") : "-", js(c, "urgency"));
        } else {
            printf("vulnerable packages: no findings stored\n");
        }
    }
    ret = 0;
out:
    json_decref(po);
    json_decref(vo);
    vg_free(pj);
    vg_free(vj);
    vg_store_close(st);
    return ret;
usage:
    fprintf(stderr, "%s\n", usage_text);
    return 2;
}

const struct vg_cmd vg_cmd_posture = {
    .name = "posture", .desc = "posture of an asset: score, failed checks with remediation, vulnerable packages",
    .usage = usage_text, .run = run};
