/* Sigma engine benchmark: loads every SigmaHQ Windows rule, reports load +
 * compile time and resident memory, then matches N synthetic Windows events
 * (bench/gen_sysmon.c, 1 % built from attacker tradecraft) on one core with
 * the fast path (vg_sigma_match) and with the naive evaluator
 * (vg_sigma_match_naive) over the same events, printing both rates, their
 * ratio, alert counts and whether every event got identical hits.
 *
 * usage: bench_sigma [--events N] [--naive-seconds S] [--seed N] [--repeat N]
 *                    [--mappings DIR] [--json FILE] [--vigil BINARY] [--jobs N] [RULE_DIR...]
 * Defaults: 1,000,000 events; the naive evaluator runs over as many whole
 * batches as fit in 120 s of CPU (it is ~1000x slower; the rate is measured
 * on that prefix and labelled); rules from $VG_SHARED/sigma (rules/windows,
 * rules-emerging-threats, rules-threat-hunting/windows: files whose log
 * source is product: windows); mappings from $VG_SRC/rules/mappings or
 * ./rules/mappings. Events are generated in batches of 10,000 outside the
 * timed regions; times are thread CPU time.
 *
 * Decode + match: with --json FILE the same events are also written (untimed)
 * as evtx_dump-style JSON lines; with --vigil BINARY (FILE defaults to
 * /tmp/vg_bench_sigma_events.jsonl) the benchmark then runs
 *   BINARY scan --quiet -j N --no-default-rules --rules FILE.rules --mappings DIR --json FILE
 * (N from --jobs, default 1) where FILE.rules/ holds symlinks to exactly the
 * rule files loaded here, and prints vigil scan's events/s (wall clock, from
 * its summary) and events per CPU second of the child (all its threads: the
 * per-core figure) next to the pre-decoded matcher rate. */
#include "vigil/sigma.h"
#include "gen_sysmon.h"
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>

#define BATCH 10000

static int atoi_pos(const char *s)
{
    long v = strtol(s, NULL, 10);
    return v < 1 ? 1 : v > 1000 ? 1000 : (int)v;
}

static int64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = 0;
    if (!f) return 0;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0) v = strtol(line + 6, NULL, 10);
    fclose(f);
    return v;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    struct vg_buf b = VG_BUF_INIT;
    char tmp[65536];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        if (vg_buf_add(&b, tmp, n) != 0) break;
    fclose(f);
    if (!b.data && vg_buf_add(&b, "", 0) != 0) return NULL;
    return vg_buf_detach(&b, len);
}

/* Paths of the rule files loaded (for the vigil scan run). */
static char **loaded_files;
static size_t nloaded, caploaded;

static void note_loaded(const char *path)
{
    if (nloaded == caploaded) {
        size_t nc = caploaded ? caploaded * 2 : 4096;
        char **n = vg_realloc(loaded_files, nc * sizeof *n);
        if (!n) return;
        loaded_files = n;
        caploaded = nc;
    }
    char *d = vg_strdup(path);
    if (d) loaded_files[nloaded++] = d;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Loads every *.yml under dir whose text names product: windows. */
static void load_windows(struct vg_sigma_set *set, const char *dir, struct vg_sigma_report *rep, size_t *skipped)
{
    DIR *d = opendir(dir);
    if (!d) { fprintf(stderr, "cannot open %s\n", dir); return; }
    char *names[4096];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < 4096)
        if (e->d_name[0] != '.') names[n++] = vg_strdup(e->d_name);
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n; i++) {
        char full[4096];
        snprintf(full, sizeof full, "%s/%s", dir, names[i]);
        struct stat st;
        if (stat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
            load_windows(set, full, rep, skipped);
        } else {
            size_t l = strlen(names[i]);
            if (l > 4 && strcmp(names[i] + l - 4, ".yml") == 0) {
                size_t len;
                char *t = slurp(full, &len);
                if (t && strstr(t, "product: windows")) {
                    vg_sigma_load_string(set, t, len, full, rep);
                    note_loaded(full);
                }
                else (*skipped)++;
                vg_free(t);
            }
        }
        vg_free(names[i]);
    }
}

/* Hits of a batch, flattened: rule index and field ids per event. */
struct hitlog {
    uint32_t *off;     /* per event: start in rec */
    uint32_t *rec;     /* rule, nfields, fields... */
    size_t n, cap;
};

static void log_hits(struct hitlog *h, size_t ev, const struct vg_sigma_hit *hits, int nh)
{
    h->off[ev] = (uint32_t)h->n;
    for (int i = 0; i < nh; i++) {
        size_t need = h->n + 2 + hits[i].nfields;
        if (need > h->cap) {
            size_t nc = h->cap ? h->cap * 2 : 65536;
            while (nc < need) nc *= 2;
            h->rec = vg_realloc(h->rec, nc * sizeof *h->rec);
            if (!h->rec) { fprintf(stderr, "OOM\n"); exit(1); }
            h->cap = nc;
        }
        h->rec[h->n++] = hits[i].rule->index;
        h->rec[h->n++] = hits[i].nfields;
        for (uint32_t k = 0; k < hits[i].nfields; k++) h->rec[h->n++] = hits[i].fields[k];
    }
}

struct scan_res { double rate, elapsed, rules_ms, cpu; unsigned long long events, alerts; };

/* One vigil scan run over file; its summary parsed, the child's CPU time. */
static int g_jobs = 1; /* vigil scan -j: 1 = the per-core figure of one thread */

static int scan_once(const char *vigil, const char *dir, const char *mappings, const char *file, bool show, struct scan_res *r)
{
    char cmd[12288], line[1024];
    memset(r, 0, sizeof *r);
    if (snprintf(cmd, sizeof cmd, "'%s' scan --quiet -j %d --no-default-rules --rules '%s' --mappings '%s' --json '%s' 2>&1 >/dev/null", vigil,
                 g_jobs, dir, mappings, file) >= (int)sizeof cmd) { fprintf(stderr, "paths too long\n"); return 1; }
    if (show) printf("decode + match: %s\n", cmd);
    fflush(stdout);
    struct rusage r0, r1;
    getrusage(RUSAGE_CHILDREN, &r0);
    FILE *p = popen(cmd, "r");
    if (!p) { fprintf(stderr, "popen: %s\n", strerror(errno)); return 1; }
    while (fgets(line, sizeof line, p)) {
        if (strncmp(line, "events/s", 8) == 0) r->rate = strtod(line + 8, NULL);
        else if (strncmp(line, "events read", 11) == 0) r->events = strtoull(line + 11, NULL, 10);
        else if (strncmp(line, "elapsed", 7) == 0) {
            r->elapsed = strtod(line + 7, NULL);
            const char *rm = strstr(line, "(rules ");
            if (rm) r->rules_ms = strtod(rm + 7, NULL);
        } else if (strncmp(line, "alerts", 6) == 0 && !r->alerts) r->alerts = strtoull(line + 6, NULL, 10);
    }
    int st = pclose(p);
    getrusage(RUSAGE_CHILDREN, &r1);
    r->cpu = (double)(r1.ru_utime.tv_sec - r0.ru_utime.tv_sec) + (r1.ru_utime.tv_usec - r0.ru_utime.tv_usec) / 1e6 +
             (double)(r1.ru_stime.tv_sec - r0.ru_stime.tv_sec) + (r1.ru_stime.tv_usec - r0.ru_stime.tv_usec) / 1e6;
    if (st != 0) { fprintf(stderr, "vigil scan failed (status %d)\n", st); return 1; }
    return 0;
}

/* Runs vigil scan over the JSON file with the rule files loaded here and
 * prints its rate next to the matcher's (fast = pre-decoded events/s).
 * A second run over the first 1,000 lines measures the fixed cost (start,
 * rule load); the difference of the two CPU times is decode + match. */
static int run_scan(const char *vigil, const char *json_path, const char *mappings, size_t nevents, double fast)
{
    char dir[4096], link[4200], head[4200];
    snprintf(dir, sizeof dir, "%s.rules", json_path);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) { fprintf(stderr, "%s: %s\n", dir, strerror(errno)); return 1; }
    DIR *d = opendir(dir); /* clear links of an earlier run */
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL)
            if (e->d_name[0] != '.')
                if (snprintf(link, sizeof link, "%s/%s", dir, e->d_name) < (int)sizeof link) unlink(link);
        closedir(d);
    }
    for (size_t i = 0; i < nloaded; i++) {
        const char *base = strrchr(loaded_files[i], '/');
        char abs[PATH_MAX];
        if (snprintf(link, sizeof link, "%s/%05zu_%s", dir, i, base ? base + 1 : loaded_files[i]) >= (int)sizeof link) continue;
        if (!realpath(loaded_files[i], abs) || symlink(abs, link) != 0) { fprintf(stderr, "%s: %s\n", link, strerror(errno)); return 1; }
    }
    /* the first 1,000 lines, for the fixed cost */
    snprintf(head, sizeof head, "%s.head", json_path);
    FILE *in = fopen(json_path, "r"), *out = fopen(head, "w");
    if (!in || !out) { fprintf(stderr, "%s: %s\n", head, strerror(errno)); if (in) fclose(in); if (out) fclose(out); return 1; }
    char *lb = NULL;
    size_t lcap = 0, nhead = 0;
    ssize_t ln;
    while (nhead < 1000 && (ln = getline(&lb, &lcap, in)) > 0) {
        fwrite(lb, 1, (size_t)ln, out);
        nhead++;
    }
    free(lb); /* allocated by getline */
    fclose(in);
    if (fclose(out) != 0) { fprintf(stderr, "%s: write failed\n", head); return 1; }
    struct scan_res full, fix;
    if (scan_once(vigil, dir, mappings, json_path, true, &full) != 0 || scan_once(vigil, dir, mappings, head, false, &fix) != 0) return 1;
    if (full.events != nevents) { fprintf(stderr, "vigil scan read %llu events instead of %zu\n", full.events, nevents); return 1; }
    double cpu = full.cpu - fix.cpu, per_cpu = cpu > 0 ? (double)(full.events - fix.events) / cpu : 0;
    printf("decode + match (vigil scan -j %d): %llu events, %llu alerts\n", g_jobs, full.events, full.alerts);
    printf("            wall: %.2f s after a %.2f s rule load = %.0f events/s (its summary; the machine is shared)\n",
           full.elapsed, full.rules_ms / 1e3, full.rate);
    printf("            CPU: %.2f s, minus %.2f s for the same run over %llu events = %.0f events per CPU second on one core\n",
           full.cpu, fix.cpu, fix.events, per_cpu);
    printf("ratio pre-decoded matcher / vigil scan decode+match (CPU): %.2fx\n", per_cpu > 0 ? fast / per_cpu : 0.0);
    return 0;
}

int main(int argc, char **argv)
{
    size_t nevents = 1000000;
    double naive_budget = 120;
    int repeat = 1;
    uint64_t seed = 42;
    const char *mappings = NULL, *json_path = NULL, *vigil = NULL;
    const char *dirs[64];
    size_t ndirs = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--events") == 0 && i + 1 < argc) nevents = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--naive-seconds") == 0 && i + 1 < argc) naive_budget = strtod(argv[++i], NULL);
        else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) seed = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc) repeat = atoi_pos(argv[++i]);
        else if (strcmp(argv[i], "--mappings") == 0 && i + 1 < argc) mappings = argv[++i];
        else if (strcmp(argv[i], "--json") == 0 && i + 1 < argc) json_path = argv[++i];
        else if (strcmp(argv[i], "--vigil") == 0 && i + 1 < argc) vigil = argv[++i];
        else if (strcmp(argv[i], "--jobs") == 0 && i + 1 < argc) g_jobs = atoi_pos(argv[++i]);
        else if (argv[i][0] == '-') {
            fprintf(stderr, "usage: bench_sigma [--events N] [--naive-seconds S] [--seed N] [--repeat N] [--mappings DIR] [--json FILE] [--vigil BINARY] [--jobs N] [RULE_DIR...]\n");
            return 2;
        }
        else if (ndirs < 64) dirs[ndirs++] = argv[i];
    }
    static char defdirs[3][2048], mapbuf[2048];
    if (!ndirs) {
        const char *sh = getenv("VG_SHARED");
        if (!sh || !*sh) sh = "../shared";
        const char *sub[3] = {"rules/windows", "rules-emerging-threats", "rules-threat-hunting/windows"};
        for (int k = 0; k < 3; k++) {
            snprintf(defdirs[k], sizeof defdirs[k], "%s/sigma/%s", sh, sub[k]);
            dirs[ndirs++] = defdirs[k];
        }
    }
    if (!mappings) {
        const char *src = getenv("VG_SRC");
        snprintf(mapbuf, sizeof mapbuf, "%s/rules/mappings", src && *src ? src : ".");
        mappings = mapbuf;
    }

    if (vigil && !json_path) json_path = "/tmp/vg_bench_sigma_events.jsonl";
    FILE *jf = NULL;
    struct vg_buf jb = VG_BUF_INIT;
    if (json_path && !(jf = fopen(json_path, "w"))) { fprintf(stderr, "%s: %s\n", json_path, strerror(errno)); return 1; }

    /* ---- load + compile ---- */
    long rss0 = rss_kib();
    int64_t t0 = vg_mono_ns();
    struct vg_sigma_set *set = vg_sigma_set_new();
    struct vg_sigma_report rep = VG_SIGMA_REPORT_INIT;
    struct vg_err err = VG_ERR_INIT;
    if (vg_sigma_load_mappings(set, mappings, &err) != 0) { fprintf(stderr, "mappings: %s\n", err.msg); return 1; }
    size_t skipped = 0;
    for (size_t i = 0; i < ndirs; i++) load_windows(set, dirs[i], &rep, &skipped);
    int64_t t1 = vg_mono_ns();
    if (vg_sigma_compile(set, &err) != 0) { fprintf(stderr, "compile: %s\n", err.msg); return 1; }
    int64_t t2 = vg_mono_ns();
    long rss1 = rss_kib();
    struct vg_sigma_pf_info pi;
    vg_sigma_prefilter_info(set, &pi);
    printf("rules: %zu loaded, %zu rejected (%zu non-Windows files skipped)\n", rep.loaded, rep.rejected, skipped);
    printf("load %.0f ms + compile %.0f ms (prefilter %.0f ms) = %.0f ms; RSS %ld MiB (%ld MiB before loading)\n",
           (t1 - t0) / 1e6, (t2 - t1) / 1e6, pi.compile_ms, (t2 - t0) / 1e6, rss1 / 1024, rss0 / 1024);
    printf("prefilter: %zu rules covered, %zu always evaluated in their log source, %zu unmapped, %zu per-event log source;\n"
           "           %zu patterns (%zu regex, %zu hash keys) in %zu databases (%zu literal sets), %zu log source buckets\n",
           pi.covered, pi.always, pi.unmapped, pi.complex_ls, pi.patterns, pi.regex_patterns, pi.hex_keys,
           pi.databases, pi.literal_sets, pi.buckets);

    struct vg_sigma_ctx *fast = vg_sigma_ctx_new(set), *naive = vg_sigma_ctx_new(set);
    if (!fast || !naive) { fprintf(stderr, "ctx OOM\n"); return 1; }
    struct hitlog hf = {0}, hn = {0};
    hf.off = vg_malloc((BATCH + 1) * sizeof *hf.off);
    hn.off = vg_malloc((BATCH + 1) * sizeof *hn.off);
    uint32_t *per_rule = vg_calloc(vg_sigma_rule_count(set) + 1, sizeof *per_rule);
    int64_t fast_ns = 0, naive_ns = 0, gen_ns = 0;
    size_t naive_events = 0, compared = 0, mismatched = 0, alerts = 0, alert_events = 0, naive_alerts = 0;
    for (size_t base = 0; base < nevents; base += BATCH) {
        size_t n = nevents - base < BATCH ? nevents - base : BATCH;
        int64_t g0 = cpu_ns();
        struct vg_batch *b = vg_batch_new(n);
        for (size_t i = 0; i < n; i++) {
            struct vg_event *ev = vg_batch_push(b);
            if (!ev || vg_gen_sysmon_event(seed, base + i, ev) != 0) { fprintf(stderr, "generator OOM\n"); return 1; }
        }
        gen_ns += cpu_ns() - g0;
        if (jf) {
            vg_buf_reset(&jb);
            for (size_t i = 0; i < n; i++)
                if (vg_gen_sysmon_json(&b->ev[i], &jb) != 0) { fprintf(stderr, "JSON OOM\n"); return 1; }
            if (fwrite(jb.data, 1, jb.len, jf) != jb.len) { fprintf(stderr, "%s: write failed\n", json_path); return 1; }
        }
        g0 = cpu_ns();
        gen_ns += cpu_ns() - g0;
        hf.n = 0;
        int64_t c0 = cpu_ns();
        for (size_t i = 0; i < n; i++) {
            const struct vg_sigma_hit *hits;
            int h = vg_sigma_match(fast, &b->ev[i], &hits);
            if (h < 0) { fprintf(stderr, "match error %d\n", h); return 1; }
            log_hits(&hf, i, hits, h);
        }
        fast_ns += cpu_ns() - c0;
        hf.off[n] = (uint32_t)hf.n;
        /* --repeat: more passes over the same batch (timed, results
         * discarded), for profiling and steadier figures */
        for (int rp = 1; rp < repeat; rp++) {
            c0 = cpu_ns();
            for (size_t i = 0; i < n; i++) {
                const struct vg_sigma_hit *hits;
                if (vg_sigma_match(fast, &b->ev[i], &hits) < 0) { fprintf(stderr, "match error\n"); return 1; }
            }
            fast_ns += cpu_ns() - c0;
        }
        for (size_t i = 0; i < n; i++) {
            bool any = false;
            for (uint32_t k = hf.off[i]; k < hf.off[i + 1]; k += 2 + hf.rec[k + 1]) {
                alerts++;
                per_rule[hf.rec[k]]++;
                any = true;
            }
            alert_events += any;
        }
        if (naive_ns < naive_budget * 1e9) {
            hn.n = 0;
            c0 = cpu_ns();
            for (size_t i = 0; i < n; i++) {
                const struct vg_sigma_hit *hits;
                int h = vg_sigma_match_naive(naive, &b->ev[i], &hits);
                if (h < 0) { fprintf(stderr, "naive error %d\n", h); return 1; }
                log_hits(&hn, i, hits, h);
                naive_alerts += (size_t)h;
            }
            naive_ns += cpu_ns() - c0;
            hn.off[n] = (uint32_t)hn.n;
            naive_events += n;
            for (size_t i = 0; i < n; i++) {
                uint32_t la = hf.off[i + 1] - hf.off[i], lb = hn.off[i + 1] - hn.off[i];
                compared++;
                if (la != lb || memcmp(hf.rec + hf.off[i], hn.rec + hn.off[i], la * sizeof *hf.rec) != 0) {
                    if (mismatched < 10) fprintf(stderr, "MISMATCH event %zu\n", base + i);
                    mismatched++;
                }
            }
        }
        vg_batch_free(b);
    }
    struct vg_sigma_stats st;
    vg_sigma_ctx_stats(fast, &st);
    double fr = (double)nevents * repeat / (fast_ns / 1e9), nr = naive_events ? naive_events / (naive_ns / 1e9) : 0;
    printf("events: %zu generated (%.0f events/s generator, not timed below)\n", nevents, nevents / (gen_ns / 1e9));
    printf("fast path:  %zu events x %d pass(es) in %.2f s CPU = %.0f events/s on one core\n", nevents, repeat, fast_ns / 1e9, fr);
    printf("            per event: %.2f scans (%.2f answered by the value memo), %.2f patterns fired, %.2f rules evaluated; %llu naive fallbacks\n",
           (double)st.scans / st.events, (double)st.memo_hits / st.events, (double)st.fired / st.events,
           (double)st.evaluated / st.events, (unsigned long long)st.fallback);
    printf("naive:      %zu events (first %zu of %zu) in %.2f s CPU = %.0f events/s on one core\n", naive_events,
           naive_events, nevents, naive_ns / 1e9, nr);
    if (nr > 0) printf("ratio fast/naive: %.0fx (same events, same run)\n", fr / nr);
    printf("alerts (fast path): %zu hits on %zu events (%.2f %% of events); naive: %zu hits on its %zu events\n", alerts,
           alert_events, 100.0 * alert_events / nevents, naive_alerts, naive_events);
    size_t nfired_rules = 0;
    for (size_t r = 0; r < vg_sigma_rule_count(set); r++) nfired_rules += per_rule[r] > 0;
    printf("        %zu distinct rules fired; top:\n", nfired_rules);
    for (int top = 0; top < 12; top++) {
        size_t best = SIZE_MAX;
        for (size_t r = 0; r < vg_sigma_rule_count(set); r++)
            if (per_rule[r] && (best == SIZE_MAX || per_rule[r] > per_rule[best])) best = r;
        if (best == SIZE_MAX) break;
        printf("        %8u  %s\n", per_rule[best], vg_sigma_rule_at(set, best)->title);
        per_rule[best] = 0;
    }
    printf("equivalence: %zu of %zu events compared (naive budget %.0f s), %zu mismatches: %s\n", compared, nevents,
           naive_budget, mismatched, mismatched ? "FAIL" : compared == nevents ? "identical on all events" : "identical on the compared prefix");
    if (jf) {
        bool bad = fclose(jf) != 0;
        vg_buf_release(&jb);
        if (bad) { fprintf(stderr, "%s: write failed\n", json_path); return 1; }
        printf("events written as JSON lines to %s\n", json_path);
    }
    int scan_rc = vigil ? run_scan(vigil, json_path, mappings, nevents, fr) : 0;
    for (size_t i = 0; i < nloaded; i++) vg_free(loaded_files[i]);
    vg_free(loaded_files);
    vg_free(per_rule);
    vg_free(hf.off);
    vg_free(hf.rec);
    vg_free(hn.off);
    vg_free(hn.rec);
    vg_sigma_ctx_free(fast);
    vg_sigma_ctx_free(naive);
    vg_sigma_report_release(&rep);
    vg_sigma_set_free(set);
    return mismatched || scan_rc ? 1 : 0;
}
