/* Inventory, FIM and hardening timing on this machine. Runs the full
 * inventory of the live root "/" several times (median wall time), and as
 * the baseline in the same run the same collectors against a fixture root
 * whose etc/, var/, usr/, lib/ are symlinks to the host's (same files, but
 * no /proc, uname, getifaddrs or systemctl). Also times the Debian 12
 * hardening scan of "/" and a FIM baseline scan (SHA-256) of /etc and /usr/bin.
 *   bench_inventory [runs=11] [policy=rules/policies/debian12-baseline.yml] */
#include "vigil/fim.h"
#include "vigil/inventory.h"
#include "vigil/sca.h"
#include <unistd.h>

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static double inv_median(const char *root, int runs, struct vg_inv_snapshot **keep)
{
    int64_t w[64];
    for (int i = 0; i < runs; i++) {
        struct vg_inv_snapshot *s = vg_inv_snapshot_new(root);
        struct vg_err err = VG_ERR_INIT;
        if (!s || vg_inv_collect(s, VG_INV_ALL, &err)) { fprintf(stderr, "collect: %s\n", err.msg); exit(1); }
        w[i] = s->collect_ns;
        if (i == runs - 1) *keep = s;
        else vg_inv_snapshot_free(s);
    }
    qsort(w, (size_t)runs, sizeof *w, cmp_i64);
    return (double)w[runs / 2] / 1e6;
}

int main(int argc, char **argv)
{
    int runs = 11;
    if (argc > 1) {
        int64_t v;
        if (vg_parse_i64(argv[1], strlen(argv[1]), &v) == 0 && v >= 1 && v <= 64) runs = (int)v;
    }
    const char *policy = argc > 2 ? argv[2] : "rules/policies/debian12-baseline.yml";
    char root[] = "/tmp/vg-bench-inv-XXXXXX";
    if (!mkdtemp(root)) { perror("mkdtemp"); return 1; }
    static const char *const dirs[] = {"etc", "var", "usr", "lib"};
    for (size_t i = 0; i < VG_ARRAY_LEN(dirs); i++) {
        char l[512], t[64];
        snprintf(l, sizeof l, "%s/%s", root, dirs[i]);
        snprintf(t, sizeof t, "/%s", dirs[i]);
        if (symlink(t, l) != 0) { perror("symlink"); return 1; }
    }
    struct vg_inv_snapshot *live = NULL, *fx = NULL;
    double ms_fx = inv_median(root, runs, &fx);
    double ms_live = inv_median("/", runs, &live);
    struct vg_buf j = VG_BUF_INIT;
    int64_t t0 = vg_mono_ns();
    vg_inv_to_json(live, &j);
    double ms_json = (double)(vg_mono_ns() - t0) / 1e6;
    printf("inventory live /     : %8.2f ms median of %d  (%zu pkgs, %zu users, %zu ports, %zu procs, %zu services)\n",
           ms_live, runs, live->pkgs_known, live->nusers, live->nports, live->nprocs, live->nservices);
    printf("inventory files only : %8.2f ms median of %d  (baseline: same files via symlinked root, no proc/systemctl)\n",
           ms_fx, runs);
    printf("ratio live/baseline  : %8.2f\n", ms_fx > 0 ? ms_live / ms_fx : 0.0);
    printf("snapshot JSON        : %8.2f ms, %zu bytes\n", ms_json, j.len);
    vg_buf_release(&j);
    vg_inv_snapshot_free(live);
    vg_inv_snapshot_free(fx);
    for (size_t i = 0; i < VG_ARRAY_LEN(dirs); i++) {
        char l[512];
        snprintf(l, sizeof l, "%s/%s", root, dirs[i]);
        unlink(l);
    }
    rmdir(root);

    struct vg_sca_policy *p = NULL;
    struct vg_err err = VG_ERR_INIT;
    if (vg_sca_policy_load_file(policy, &p, &err) == 0) {
        int64_t w[64];
        for (int i = 0; i < runs; i++) {
            struct vg_sca_opts o = VG_SCA_OPTS_INIT;
            o.root = "/";
            o.ignore_platform = true;
            struct vg_sca_report *r = NULL;
            if (vg_sca_run(p, &o, &r, &err) != 0) { fprintf(stderr, "sca: %s\n", err.msg); return 1; }
            w[i] = r->wall_ns;
            vg_sca_report_free(r);
        }
        qsort(w, (size_t)runs, sizeof *w, cmp_i64);
        printf("hardening scan /     : %8.2f ms median of %d (%zu checks)\n", (double)w[runs / 2] / 1e6, runs,
               vg_sca_policy_count(p));
        vg_sca_policy_free(p);
    } else {
        printf("hardening scan       : skipped (%s)\n", err.msg);
    }

    const char *paths[] = {"/etc", "/usr/bin"};
    struct vg_fim_config cfg = {paths, 2, NULL, 0, true, 0, 0};
    struct vg_fim_baseline *b = NULL;
    t0 = vg_mono_ns();
    if (vg_fim_scan(&cfg, &b, &err) == 0) {
        double ms = (double)(vg_mono_ns() - t0) / 1e6;
        uint64_t bytes = 0;
        for (size_t i = 0; i < b->n; i++)
            if (b->e[i].hashed && b->e[i].type == 'f') bytes += b->e[i].size;
        printf("FIM baseline /etc /usr/bin: %8.2f ms, %zu entries, %.1f MiB hashed (%.0f MiB/s)\n", ms, b->n,
               (double)bytes / 1048576.0, ms > 0 ? (double)bytes / 1048576.0 / (ms / 1000.0) : 0.0);
        vg_fim_baseline_free(b);
    }
    return 0;
}
