/* Literal set micro-benchmark (src/detect/sigma/litset.c): builds one set
 * from the CommandLine literals of the SigmaHQ Windows rules (a small line
 * parser reads `CommandLine|contains` / `|startswith` / `|endswith` / plain
 * `CommandLine:` values, single values and lists, out of the YAML files
 * under $VG_SHARED/sigma/rules/windows; ` -x` flags also get their ` /x`
 * variant as windash would), plus a few generated 2- and 3-byte literals,
 * then scans the CommandLine values of synthetic events (bench/gen_sysmon.c)
 * with each scan kernel set (portable code, AVX2, AVX-512; those the CPU
 * has: today they differ in the test of the 1-byte literals, see litset.c),
 * the way the prefilter does (lowercased copy made beforehand, stamp array,
 * callback). Kernels alternate over the repeats and the best time of each
 * is reported in ns per byte, ns and TSC ticks per call, with the ratio
 * scalar / kernel measured in this run. A second round cuts every text to
 * its first 24 bytes (short values).
 *
 * usage: bench_litset [--texts N] [--repeat N] [--only K] [RULE_DIR]
 * --only K runs just kernel K (0 scalar, 1 AVX2, 2 AVX-512) besides the
 * scalar baseline, e.g. to compare them under `perf stat`.
 * Defaults: 20,000 texts, 7 repeats, $VG_SHARED/sigma/rules/windows. */
#include "detect/sigma/internal.h"
#include "gen_sysmon.h"
#include <dirent.h>
#include <sys/stat.h>
#include <time.h>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

static int64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint64_t ticks(void)
{
#if defined(__x86_64__)
    return __rdtsc();
#else
    return 0;
#endif
}

/* ---- literals ---- */
struct lits {
    struct vg__lit *v;
    size_t n, cap;
    struct vg_buf bytes;   /* literal bytes; v[i].b are offsets until fixed up */
};

static int add_lit(struct lits *L, const char *s, size_t len, uint8_t st, uint8_t en)
{
    if (len == 0 || len > 200) return 0;
    if (L->n == L->cap) {
        size_t nc = L->cap ? L->cap * 2 : 1024;
        struct vg__lit *nv = vg_realloc(L->v, nc * sizeof *nv);
        if (!nv) return VG_ENOMEM;
        L->v = nv;
        L->cap = nc;
    }
    size_t off = L->bytes.len;
    if (vg_buf_add(&L->bytes, s, len) != 0) return VG_ENOMEM;
    L->v[L->n] = (struct vg__lit){.b = (const uint8_t *)(uintptr_t)off, .len = (uint32_t)len, .id = (uint32_t)L->n,
                                  .st = st, .en = en};
    L->n++;
    /* windash: " -x" also as " /x" */
    if (len >= 2 && (s[0] == '-' || (s[0] == ' ' && s[1] == '-'))) {
        char tmp[201];
        memcpy(tmp, s, len);
        tmp[s[0] == '-' ? 0 : 1] = '/';
        return add_lit(L, tmp, len, st, en);
    }
    return 0;
}

/* One YAML scalar (after the key's colon or a list dash): quoted or plain. */
static size_t unquote(const char *p, const char *end, char *out, size_t cap)
{
    size_t o = 0;
    while (p < end && (*p == ' ' || *p == '\t')) p++;
    while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r')) end--;
    if (p < end && (*p == '\'' || *p == '"')) {
        char q = *p++;
        while (p < end && o < cap) {
            if (*p == q) {
                if (q == '\'' && p + 1 < end && p[1] == '\'') { out[o++] = '\''; p += 2; continue; }
                break;
            }
            if (q == '"' && *p == '\\' && p + 1 < end) p++;
            out[o++] = *p++;
        }
        return o;
    }
    if (p < end && *p == '#') return 0;
    while (p < end && o < cap) out[o++] = *p++;
    return o;
}

static int read_rule(struct lits *L, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    char line[4096], val[256];
    int in_list = -1;     /* indentation of the key whose list we read, or -1 */
    uint8_t st = 0, en = 0;
    int rc = 0;
    while (!rc && fgets(line, sizeof line, f)) {
        size_t len = strlen(line);
        int ind = 0;
        while (line[ind] == ' ') ind++;
        const char *p = line + ind;
        if (in_list >= 0) {
            if (*p == '-' && ind >= in_list && p[1] == ' ') {
                size_t n = unquote(p + 2, line + len - 1, val, sizeof val);
                rc = add_lit(L, val, n, st, en);
                continue;
            }
            in_list = -1;
        }
        if (*p == '-' && p[1] == ' ') { p += 2; ind += 2; }
        if (strncmp(p, "CommandLine", 11) != 0) continue;
        const char *m = p + 11, *colon = strchr(m, ':');
        if (!colon) continue;
        if (m != colon && *m != '|') continue;
        st = en = 0;
        if (strstr(m, "|re") && strstr(m, "|re") < colon) continue;
        if (strstr(m, "|startswith") && strstr(m, "|startswith") < colon) st = 1;
        else if (strstr(m, "|endswith") && strstr(m, "|endswith") < colon) en = 1;
        else if (!(strstr(m, "|contains") && strstr(m, "|contains") < colon)) st = en = 1;
        size_t n = unquote(colon + 1, line + len - 1, val, sizeof val);
        if (n) rc = add_lit(L, val, n, st, en);
        else in_list = ind;
    }
    fclose(f);
    return rc;
}

static int read_dir(struct lits *L, const char *dir, int depth)
{
    DIR *d = opendir(dir);
    if (!d || depth > 8) {
        if (d) closedir(d);
        return 0;
    }
    struct dirent *de;
    int rc = 0;
    while (!rc && (de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        struct stat sb;
        if (stat(path, &sb) != 0) continue;
        size_t nl = strlen(de->d_name);
        if (S_ISDIR(sb.st_mode)) rc = read_dir(L, path, depth + 1);
        else if (nl > 4 && strcmp(de->d_name + nl - 4, ".yml") == 0) rc = read_rule(L, path);
    }
    closedir(d);
    return rc;
}

/* ---- scanning ---- */
struct ctx {
    uint32_t *stamp, gen;
    uint64_t hits;
};

static void on_hit(uint32_t id, void *arg)
{
    struct ctx *c = arg;
    if (c->stamp[id] != c->gen) {
        c->stamp[id] = c->gen;
        c->hits++;
    }
}

struct texts {
    uint8_t *t, *low;
    size_t *off, *len, n, bytes;
};

static int only = -1; /* --only K: run just kernel K (0 scalar, 1 avx2, 2 avx512), e.g. under perf stat */

static void run(const struct vg__litset *ls, const struct texts *T, struct ctx *c, int repeat, const char *title)
{
    static const char *const label[3] = {"scalar", "avx2", "avx512"};
    int64_t best[3] = {INT64_MAX, INT64_MAX, INT64_MAX};
    uint64_t bt[3] = {UINT64_MAX, UINT64_MAX, UINT64_MAX}, hits[3] = {0};
    int have[3] = {0};
    for (int k = 0; k < 3; k++) have[k] = strcmp(vg__litset_impl(k), label[k]) == 0 && (only < 0 || only == k);
    for (int r = 0; r < repeat; r++)
        for (int k = 0; k < 3; k++) {
            if (!have[k]) continue;
            vg__litset_impl(k);
            c->hits = 0;
            int64_t t0 = cpu_ns();
            uint64_t k0 = ticks();
            for (size_t i = 0; i < T->n; i++) {
                c->gen++;
                vg__litset_scan(ls, T->t + T->off[i], T->low + T->off[i], T->len[i], c->stamp, c->gen, on_hit, c);
            }
            uint64_t k1 = ticks();
            int64_t dt = cpu_ns() - t0;
            if (dt < best[k]) best[k] = dt;
            if (k1 - k0 < bt[k]) bt[k] = k1 - k0;
            hits[k] = c->hits;
        }
    int ref = only >= 0 ? only : 0;
    printf("%s: %zu texts, %.1f bytes on average, %.2f literals found per text\n", title, T->n,
           (double)T->bytes / (double)T->n, (double)hits[ref] / (double)T->n);
    for (int k = 0; k < 3; k++) {
        if (!have[k]) {
            if (only < 0) printf("  %-7s not supported by this CPU\n", label[k]);
            continue;
        }
        printf("  %-7s %6.3f ns/byte  %7.1f ns/call  %7.0f TSC ticks/call  scalar/%s = %.2fx%s\n", label[k],
               (double)best[k] / (double)T->bytes, (double)best[k] / (double)T->n, (double)bt[k] / (double)T->n,
               label[k], have[0] ? (double)best[0] / (double)best[k] : 0.0,
               hits[k] == hits[ref] ? "" : "  HIT COUNT DIFFERS");
    }
}

int main(int argc, char **argv)
{
    size_t ntexts = 20000;
    int repeat = 7;
    const char *dir = NULL;
    char dbuf[4096];
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--texts") == 0 && i + 1 < argc) ntexts = (size_t)strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc) repeat = (int)strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) only = (int)strtol(argv[++i], NULL, 10);
        else dir = argv[i];
    }
    if (ntexts < 1) ntexts = 1;
    if (repeat < 1) repeat = 1;
    if (!dir) {
        const char *sh = getenv("VG_SHARED");
        snprintf(dbuf, sizeof dbuf, "%s/sigma/rules/windows", sh ? sh : "/work/shared");
        dir = dbuf;
    }
    struct lits L = {0};
    if (read_dir(&L, dir, 0) != 0) { fprintf(stderr, "OOM reading rules\n"); return 1; }
    size_t from_rules = L.n;
    static const char *const shorts[] = {" /c", " -e", "-w", "..", "%%", " &", "&&", "::", "\\\\", "$(", "-ep",
                                         " -c", "/s", "-nop", "#{", "iex", "''"};
    for (size_t i = 0; i < sizeof shorts / sizeof shorts[0]; i++)
        if (add_lit(&L, shorts[i], strlen(shorts[i]), 0, 0) != 0) return 1;
    for (size_t i = 0; i < L.n; i++) L.v[i].b = (const uint8_t *)L.bytes.data + (uintptr_t)L.v[i].b;
    if (from_rules == 0) { fprintf(stderr, "no CommandLine literals under %s\n", dir); return 1; }
    int64_t b0 = cpu_ns();
    struct vg__litset *ls = vg__litset_build(L.v, (uint32_t)L.n);
    if (!ls) { fprintf(stderr, "build OOM\n"); return 1; }
    printf("literals: %zu from %s (+ windash variants) and %zu generated short ones; built in %.1f ms\n", from_rules,
           dir, L.n - from_rules, (double)(cpu_ns() - b0) / 1e6);

    /* texts: CommandLine values of generated events */
    uint32_t fid = vg_fid("CommandLine", 11);
    struct vg_buf tb = VG_BUF_INIT;
    struct texts T = {0};
    T.off = vg_malloc(ntexts * sizeof *T.off);
    T.len = vg_malloc(ntexts * sizeof *T.len);
    if (!T.off || !T.len) return 1;
    struct vg_arena ar;
    vg_arena_init(&ar, 1 << 16);
    for (uint64_t i = 0; T.n < ntexts && i < ntexts * 100; i++) {
        struct vg_event ev;
        vg_arena_reset(&ar);
        vg_event_init(&ev, &ar);
        if (vg_gen_sysmon_event(1, i, &ev) != 0) { fprintf(stderr, "generator OOM\n"); return 1; }
        const struct vg_field *f = vg_event_get(&ev, fid);
        if (!f || f->v.type != VG_V_STR) continue;
        T.off[T.n] = tb.len;
        T.len[T.n] = f->v.len;
        if (vg_buf_add(&tb, f->v.u.s, f->v.len) != 0) return 1;
        T.bytes += f->v.len;
        T.n++;
    }
    vg_arena_release(&ar);
    if (!T.n) { fprintf(stderr, "no CommandLine values generated\n"); return 1; }
    T.t = (uint8_t *)tb.data;
    T.low = vg_malloc(tb.len + 1);
    if (!T.low) return 1;
    vg__sig_lower_copy(T.low, T.t, tb.len);
    struct ctx c = {vg_calloc(L.n + 1, sizeof *c.stamp), 0, 0};
    if (!c.stamp) return 1;

    run(ls, &T, &c, repeat, "CommandLine values");
    T.bytes = 0;
    for (size_t i = 0; i < T.n; i++) {
        if (T.len[i] > 24) T.len[i] = 24;
        T.bytes += T.len[i];
    }
    run(ls, &T, &c, repeat, "the same cut to 24 bytes");
    printf("best kernel on this CPU: %s\n", vg__litset_impl(3));

    vg__litset_free(ls);
    vg_free(c.stamp);
    vg_free(T.low);
    vg_free(T.off);
    vg_free(T.len);
    vg_buf_release(&tb);
    vg_free(L.v);
    vg_buf_release(&L.bytes);
    return 0;
}
