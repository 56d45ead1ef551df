/* Hardening scan benchmark: loads the Debian 12 baseline and runs the full
 * scan against the live root "/" several times, reporting the median wall
 * and CPU time per scan. Baseline in the same run: the same scan against a
 * fixture root whose etc/, var/, usr/, boot/ are symlinks to the host's, so
 * the same files are read but nothing live (/proc, sshd -T, systemctl,
 * mount table) is consulted. Also times the policy load.
 *   bench_sca [policy=rules/policies/debian12-baseline.yml] [runs=21] */
#include "vigil/sca.h"
#include <unistd.h>
#include <sys/stat.h>

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static void scan(const struct vg_sca_policy *p, const char *root, int runs, double *wall_ms, double *cpu_ms, double *score,
                 size_t *counts)
{
    int64_t w[256], c[256];
    for (int i = 0; i < runs; i++) {
        struct vg_sca_opts o = VG_SCA_OPTS_INIT;
        o.root = root;
        o.ignore_platform = true;
        struct vg_sca_report *r = NULL;
        struct vg_err err = VG_ERR_INIT;
        if (vg_sca_run(p, &o, &r, &err) != 0) { fprintf(stderr, "run: %s\n", err.msg); exit(1); }
        w[i] = r->wall_ns;
        c[i] = r->cpu_ns;
        *score = r->score;
        for (int s = 0; s < VG_SCA_NSTATUS; s++) counts[s] = r->count[s];
        vg_sca_report_free(r);
    }
    qsort(w, (size_t)runs, sizeof *w, cmp_i64);
    qsort(c, (size_t)runs, sizeof *c, cmp_i64);
    *wall_ms = (double)w[runs / 2] / 1e6;
    *cpu_ms = (double)c[runs / 2] / 1e6;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "rules/policies/debian12-baseline.yml";
    int runs = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 21;
    if (runs < 1 || runs > 256) runs = 21;
    struct vg_sca_policy *p = NULL;
    struct vg_err err = VG_ERR_INIT;
    int64_t t0 = vg_mono_ns();
    if (vg_sca_policy_load_file(path, &p, &err) != 0) { fprintf(stderr, "%s\n", err.msg); return 1; }
    double load_ms = (double)(vg_mono_ns() - t0) / 1e6;
    char root[] = "/tmp/vg-bench-sca-XXXXXX";
    if (!mkdtemp(root)) { perror("mkdtemp"); return 1; }
    static const char *const dirs[] = {"etc", "var", "usr", "boot", "lib"};
    char l[512], t[64];
    for (size_t i = 0; i < VG_ARRAY_LEN(dirs); i++) {
        snprintf(l, sizeof l, "%s/%s", root, dirs[i]);
        snprintf(t, sizeof t, "/%s", dirs[i]);
        if (symlink(t, l) != 0) { perror("symlink"); return 1; }
    }
    size_t cl[VG_SCA_NSTATUS], cf[VG_SCA_NSTATUS];
    double lw, lc, fw, fc, ls, fs;
    scan(p, root, 3, &fw, &fc, &fs, cf); /* warm the page cache */
    scan(p, "/", runs, &lw, &lc, &ls, cl);
    scan(p, root, runs, &fw, &fc, &fs, cf);
    printf("policy %s: %zu checks, load %.2f ms\n", vg_sca_policy_id(p), vg_sca_policy_count(p), load_ms);
    printf("live root /      : wall %7.2f ms  cpu %7.2f ms  (median of %d)  pass %zu fail %zu n/a %zu error %zu  score %.1f%%\n",
           lw, lc, runs, cl[0], cl[1], cl[2], cl[3], ls);
    printf("fixture (symlink): wall %7.2f ms  cpu %7.2f ms  (median of %d)  pass %zu fail %zu n/a %zu error %zu  score %.1f%%\n",
           fw, fc, runs, cf[0], cf[1], cf[2], cf[3], fs);
    printf("ratio live/fixture: wall %.2fx  cpu %.2fx\n", fw > 0 ? lw / fw : 0, fc > 0 ? lc / fc : 0);
    for (size_t i = 0; i < VG_ARRAY_LEN(dirs); i++) {
        snprintf(l, sizeof l, "%s/%s", root, dirs[i]);
        unlink(l);
    }
    rmdir(root);
    vg_sca_policy_free(p);
    return 0;
}
