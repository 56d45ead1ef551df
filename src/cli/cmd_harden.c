/* vigil harden [--policy FILE] [--root DIR] [--json] [--only ID...]: runs a
 * hardening policy (default: the Debian 12 baseline) against this host or a
 * root prefix and prints one line per check plus the score, or the JSON
 * report. Exit 0 after a scan whatever the results, 2 on usage errors or a
 * policy that does not load. */
#include "cli.h"
#include "vigil/sca.h"
#include <unistd.h>


static const char usage_text[] =
    "usage: vigil harden [--policy FILE] [--root DIR] [--json] [--only ID[,ID...]]... [--ignore-platform]\n"
    "                    [--timeout MS] [--verbose]\n"
    "  Runs hardening checks against this host (root /) or a root prefix (a\n"
    "  mounted image or fixture tree) and prints results and the score.\n"
    "  --policy FILE      policy YAML (default: debian12-baseline.yml, looked up in\n"
    "                     $VIGIL_RULES/policies/, <bindir>/../share/vigil/rules/policies/,\n"
    "                     then the source tree's rules/policies/)\n"
    "  --root DIR         root prefix to assess (default /; commands run only for /)\n"
    "  --json             JSON report on stdout\n"
    "  --only ID          run only these checks (repeatable, comma-separated)\n"
    "  --ignore-platform  run even if os-release does not match the policy\n"
    "  --timeout MS       per-command timeout (default 10000)\n"
    "  --verbose          show evidence for every check, not only failures\n"
    "exit status: 0 scan done, 2 usage error or policy error";

static void print_table(const struct vg_sca_report *r, bool verbose)
{
    printf("%-34s %-14s %-8s %s\n", "ID", "RESULT", "SEVERITY", "TITLE");
    for (size_t i = 0; i < r->nresults; i++) {
        const struct vg_sca_result *x = &r->results[i];
        printf("%-34s %-14s %-8s %s\n", x->check->id, vg_sca_status_name(x->status),
               vg_sca_severity_name(x->check->severity), x->check->title);
        if ((verbose || x->status == VG_SCA_FAIL || x->status == VG_SCA_ERROR) && x->evidence[0])
            printf("    evidence: %s\n", x->evidence);
    }
    printf("\npolicy %s %s on %s (%s%s): %zu checks, %zu pass, %zu fail, %zu not applicable, %zu error\n",
           r->policy_id, r->policy_version, r->root, r->platform, r->platform_match ? "" : ", not covered",
           r->nresults, r->count[VG_SCA_PASS], r->count[VG_SCA_FAIL], r->count[VG_SCA_NA], r->count[VG_SCA_ERROR]);
    for (int f = 0; f < VG_SCA_NFW; f++)
        if (r->framework_score[f] >= 0)
            printf("  %-12s %5.1f%%  (%zu pass, %zu fail)\n", vg_sca_framework_name((enum vg_sca_framework)f),
                   r->framework_score[f], r->by_framework[f][VG_SCA_PASS], r->by_framework[f][VG_SCA_FAIL]);
    if (r->scored) printf("score: %.1f%%", r->score);
    else printf("score: n/a (nothing passed or failed)");
    printf("  (wall %.1f ms, cpu %.1f ms)\n", (double)r->wall_ns / 1e6, (double)r->cpu_ns / 1e6);
}

static int run(int argc, char **argv)
{
    const char *policy = NULL, *root = "/";
    bool json = false, verbose = false;
    struct vg_sca_opts o = VG_SCA_OPTS_INIT;
    const char *only[512];
    size_t nonly = 0;
    char *onlybuf[64];
    size_t nbuf = 0;
    int code = 2;
    struct vg_sca_policy *p = NULL;
    struct vg_sca_report *r = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) json = true;
        else if (strcmp(argv[i], "--verbose") == 0) verbose = true;
        else if (strcmp(argv[i], "--ignore-platform") == 0) o.ignore_platform = true;
        else if (strcmp(argv[i], "--policy") == 0 && i + 1 < argc) policy = argv[++i];
        else if (strcmp(argv[i], "--root") == 0 && i + 1 < argc) root = argv[++i];
        else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
            int64_t v;
            if (vg_parse_i64(argv[i + 1], strlen(argv[i + 1]), &v) != 0 || v < 1 || v > 600000) {
                fprintf(stderr, "vigil harden: bad --timeout\n");
                goto out;
            }
            o.cmd_timeout_ms = (int)v;
            i++;
        } else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
            if (nbuf == VG_ARRAY_LEN(onlybuf)) { fprintf(stderr, "vigil harden: too many --only\n"); goto out; }
            char *s = vg_strdup(argv[++i]);
            if (!s) goto out;
            onlybuf[nbuf++] = s;
            for (char *q = s; q && *q && nonly < VG_ARRAY_LEN(only);) {
                char *c = strchr(q, ',');
                if (c) *c = 0;
                if (*q) only[nonly++] = q;
                q = c ? c + 1 : NULL;
            }
        } else {
            fprintf(stderr, "%s\n", usage_text);
            goto out;
        }
    }
    char pbuf[4096];
    if (!policy) policy = vg_sca_default_policy(pbuf, sizeof pbuf);
    struct vg_err err = VG_ERR_INIT;
    if (vg_sca_policy_load_file(policy, &p, &err) != 0) {
        fprintf(stderr, "vigil harden: %s\n", err.msg);
        goto out;
    }
    o.root = root;
    o.only = nonly ? only : NULL;
    o.nonly = nonly;
    if (vg_sca_run(p, &o, &r, &err) != 0) {
        fprintf(stderr, "vigil harden: %s\n", err.msg);
        goto out;
    }
    if (json) {
        struct vg_buf b = VG_BUF_INIT;
        b.cap_limit = 64u << 20;
        vg_sca_report_json(r, &b);
        vg_buf_addc(&b, '\n');
        if (b.data) fwrite(b.data, 1, b.len, stdout);
        vg_buf_release(&b);
    } else {
        print_table(r, verbose);
    }
    code = 0;
out:
    vg_sca_report_free(r);
    vg_sca_policy_free(p);
    for (size_t i = 0; i < nbuf; i++) vg_free(onlybuf[i]);
    return code;
}

const struct vg_cmd vg_cmd_harden = {
    .name = "harden", .desc = "run hardening checks (a policy) against this host or a root prefix",
    .usage = usage_text, .run = run};
