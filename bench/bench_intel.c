/* bench_intel: IoC matching with N synthetic indicators (default 1,000,000:
 * IPv4 addresses and CIDRs, IPv6, domains, URLs, SHA-256/MD5 hashes).
 * Reports build time, memory (RSS delta and the set's own accounting),
 * then events/s on one core checking four fields per event (source.ip,
 * destination.ip, dns.question.name, file.hash.sha256; ~1% of events hit),
 * against a baseline measured in the same run: sorted arrays with binary
 * search (IPs: ranges by start; strings: strcmp over a sorted pointer
 * array, domains probed at every label suffix).
 * usage: bench_intel [N_INDICATORS] [N_EVENTS] */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "vigil/intel.h"

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static uint64_t xr(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return rng; }

static size_t rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long pages = 0, res = 0;
    if (f) { if (fscanf(f, "%lu %lu", &pages, &res) != 2) res = 0; fclose(f); }
    return (size_t)res * (size_t)sysconf(_SC_PAGESIZE);
}

/* CPU time of this thread: the per-core figure does not count time the
 * shared machine gave to other processes. */
static int64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void hex(uint64_t a, uint64_t b, uint64_t c, uint64_t d, char *out, int n)
{
    char tmp[80];
    snprintf(tmp, sizeof tmp, "%016llx%016llx%016llx%016llx", (unsigned long long)a, (unsigned long long)b,
             (unsigned long long)c, (unsigned long long)d);
    memcpy(out, tmp, (size_t)n);
    out[n] = 0;
}

/* kind of the i-th indicator: 30% v4 /32, 10% v4 CIDR /22../30, 5% v6, 25% domain, 5% URL, 20% sha256, 5% md5 */
static int kind_of(size_t i)
{
    unsigned r = (unsigned)(i % 100);
    return r < 30 ? 0 : r < 40 ? 1 : r < 45 ? 2 : r < 70 ? 3 : r < 75 ? 4 : r < 95 ? 5 : 6;
}

static void make_value(size_t i, int kind, char *out, size_t outsz)
{
    uint64_t h = i * 0x9E3779B97F4A7C15ULL ^ 0x5bd1e995;
    h ^= h >> 29;
    switch (kind) {
    case 0: snprintf(out, outsz, "%u.%u.%u.%u", (unsigned)(h >> 24 & 255) | 1, (unsigned)(h >> 16 & 255), (unsigned)(h >> 8 & 255), (unsigned)(h & 255)); break;
    case 1: snprintf(out, outsz, "%u.%u.%u.0/%u", (unsigned)(h >> 24 & 255) | 1, (unsigned)(h >> 16 & 255), (unsigned)(h >> 8 & 255), 22 + (unsigned)(h >> 40) % 9); break;
    case 2: snprintf(out, outsz, "2001:db8:%x:%x::%x", (unsigned)(h >> 16 & 0xffff), (unsigned)(h & 0xffff), (unsigned)(h >> 32 & 0xffff)); break;
    case 3: snprintf(out, outsz, "d%zx.bad%u.com", i, (unsigned)(h % 97)); break;
    case 4: snprintf(out, outsz, "http://u%zx.bad.example/p/%u", i, (unsigned)(h % 1000)); break;
    case 5: hex(h, ~h, h * 3, h * 7, out, 64); break;
    default: hex(h, ~h, 0, 0, out, 32); break;
    }
}

/* ---- baseline: sorted arrays ---- */
struct brange { uint32_t lo, hi; };
static int cmp_range(const void *a, const void *b)
{
    const struct brange *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}
static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

struct baseline {
    struct brange *r; size_t nr;
    char **s; size_t ns;
};

static bool base_ip(const struct baseline *b, const char *txt, size_t len)
{
    uint8_t ip[16];
    if (vg_ip_parse(txt, len, ip) != 4) return false;
    uint32_t a = (uint32_t)ip[0] << 24 | (uint32_t)ip[1] << 16 | (uint32_t)ip[2] << 8 | ip[3];
    size_t lo = 0, hi = b->nr;
    while (lo < hi) { size_t m = (lo + hi) / 2; if (b->r[m].lo <= a) lo = m + 1; else hi = m; }
    /* nested ranges: scan back a little (naive) */
    for (size_t k = lo, steps = 0; k > 0 && steps < 8; k--, steps++)
        if (b->r[k - 1].hi >= a) return true;
    return false;
}

static bool base_str(const struct baseline *b, const char *s)
{
    return bsearch(&s, b->s, b->ns, sizeof *b->s, cmp_str) != NULL;
}

static bool base_domain(const struct baseline *b, const char *s)
{
    for (const char *p = s; p; p = strchr(p, '.')) {
        if (*p == '.') p++;
        if (base_str(b, p)) return true;
    }
    return false;
}

struct swapctx {
    struct vg_intel_slot *slot;
    const struct vg_event *ev;
    size_t nev;
    atomic_bool stop;
    int64_t get_max, p999, unref_max;
    uint64_t ngets, matched;
};

/* Reader: slot get, match one event, release; records the get latencies. */
static void *swap_reader(void *arg)
{
    struct swapctx *c = arg;
    enum { NB = 64 };
    uint64_t hist[NB] = {0}; /* log2 buckets of ns */
    size_t e = 0;
    struct vg_intel_hit h[16];
    while (!atomic_load(&c->stop)) {
        int64_t t0 = vg_mono_ns();
        struct vg_intel_set *s = vg_intel_slot_get(c->slot);
        int64_t d = vg_mono_ns() - t0;
        if (d > c->get_max) c->get_max = d;
        int bk = 0;
        while (bk < NB - 1 && (1LL << bk) < d) bk++;
        hist[bk]++;
        c->ngets++;
        (void)vg_intel_match_event(s, &c->ev[e], h, 16, NULL);
        c->matched++;
        if (++e == c->nev) e = 0;
        int64_t u0 = vg_mono_ns();
        vg_intel_set_unref(s);
        int64_t ud = vg_mono_ns() - u0;
        if (ud > c->unref_max) c->unref_max = ud;
    }
    uint64_t want = c->ngets - c->ngets / 1000, acc = 0;
    for (int bk = 0; bk < NB; bk++) {
        acc += hist[bk];
        if (acc >= want) { c->p999 = 1LL << bk; break; }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? (size_t)strtoull(argv[1], NULL, 10) : 1000000;
    size_t nev = argc > 2 ? (size_t)strtoull(argv[2], NULL, 10) : 200000;
    char v[256], id[32];
    size_t rss0 = rss_bytes();
    int64_t t0 = vg_mono_ns();
    struct vg_intel_builder *b = vg_intel_builder_new();
    static const int types[] = {VG_INTEL_IP, VG_INTEL_IP, VG_INTEL_IP, VG_INTEL_DOMAIN, VG_INTEL_URL,
                                VG_INTEL_SHA256, VG_INTEL_MD5};
    for (size_t i = 0; i < n; i++) {
        int k = kind_of(i);
        make_value(i, k, v, sizeof v);
        snprintf(id, sizeof id, "ind-%zu", i);
        struct vg_intel_indicator meta = {.id = id, .name = "synthetic", .feed = "bench", .confidence = 50,
                                          .valid_from = INT64_MIN, .valid_until = INT64_MAX};
        if (vg_intel_add(b, types[k], v, strlen(v), &meta) != 0) { fprintf(stderr, "add failed: %s\n", v); return 1; }
    }
    int64_t t1 = vg_mono_ns();
    struct vg_err err = VG_ERR_INIT;
    struct vg_intel_set *s = vg_intel_build(b, &err);
    if (!s) { fprintf(stderr, "%s\n", err.msg); return 1; }
    int64_t t2 = vg_mono_ns();
    size_t rss1 = rss_bytes();
    struct vg_intel_stats st;
    vg_intel_stats(s, &st);
    printf("indicators: %zu (ip %zu, domain %zu, url %zu, sha256 %zu, md5 %zu)\n", st.indicators,
           st.atoms[VG_INTEL_IP], st.atoms[VG_INTEL_DOMAIN], st.atoms[VG_INTEL_URL], st.atoms[VG_INTEL_SHA256],
           st.atoms[VG_INTEL_MD5]);
    printf("load (parse+normalise): %.0f ms, compile: %.0f ms\n", (double)(t1 - t0) / 1e6, (double)(t2 - t1) / 1e6);
    printf("memory: RSS delta %.1f MiB, set accounting %.1f MiB (%.0f bytes/indicator)\n",
           (double)(rss1 - rss0) / 1048576.0, (double)st.bytes / 1048576.0, (double)st.bytes / (double)n);

    /* events: 4 fields; 1% carry a loaded value in one field */
    struct vg_arena arena = VG_ARENA_INIT;
    vg_arena_init(&arena, 1u << 20);
    struct vg_event *ev = vg_calloc(nev, sizeof *ev);
    uint32_t fdns = VG_FID_DNS_QUESTION_NAME, fhash = vg_fid("file.hash.sha256", 16);
    for (size_t e = 0; e < nev; e++) {
        vg_event_init(&ev[e], &arena);
        ev[e].ts = 1700000000LL * 1000000000LL;
        char a[64], d[128], h[80], hv[80];
        uint64_t r = xr();
        snprintf(a, sizeof a, "%u.%u.%u.%u", (unsigned)(r >> 24 & 255), (unsigned)(r >> 16 & 255), (unsigned)(r >> 8 & 255), (unsigned)(r & 255));
        vg_event_add_ip(&ev[e], VG_FID_SOURCE_IP, VG_FF_ECS, vg_arena_strndup(&arena, a, strlen(a)), strlen(a));
        r = xr();
        snprintf(a, sizeof a, "%u.%u.%u.%u", (unsigned)(r >> 24 & 255), (unsigned)(r >> 16 & 255), (unsigned)(r >> 8 & 255), (unsigned)(r & 255));
        if (e % 100 == 0) make_value((size_t)(r % n) / 100 * 100, 0, a, sizeof a); /* a loaded /32 */
        vg_event_add_ip(&ev[e], VG_FID_DESTINATION_IP, VG_FF_ECS, vg_arena_strndup(&arena, a, strlen(a)), strlen(a));
        snprintf(d, sizeof d, "www.host%llu.example.net", (unsigned long long)(xr() % 1000000));
        vg_event_add_str_copy(&ev[e], fdns, VG_FF_ECS, d, strlen(d));
        r = xr();
        hex(r, r * 5, r * 11, r * 13, h, 64);
        if (e % 100 == 50) { make_value((size_t)(r % (n / 100)) * 100 + 75, 5, hv, sizeof hv); memcpy(h, hv, 65); }
        vg_event_add_str_copy(&ev[e], fhash, VG_FF_ECS, h, 64);
    }
    struct vg_intel_hit hits[16];
    struct vg_intel_match_stats ms = {0};
    int reps = 0;
    int64_t m0 = vg_mono_ns(), m1, c0 = cpu_ns();
    uint64_t nhits = 0;
    do {
        for (size_t e = 0; e < nev; e++) nhits += vg_intel_match_event(s, &ev[e], hits, 16, &ms);
        reps++;
        m1 = vg_mono_ns();
    } while (m1 - m0 < 2000000000LL);
    double weps = (double)nev * reps / ((double)(m1 - m0) / 1e9);
    double eps = (double)nev * reps / ((double)(cpu_ns() - c0) / 1e9);
    printf("intel match: %.0f events/s per core (CPU time; wall %.0f/s), 4 fields/event, %llu hits in %llu events, %.0f ns/event\n",
           eps, weps, (unsigned long long)nhits, (unsigned long long)ms.events, 1e9 / eps);

    /* baseline over the same values */
    struct baseline bl = {0};
    bl.r = vg_malloc(n * sizeof *bl.r);
    bl.s = vg_malloc(n * sizeof *bl.s);
    for (size_t i = 0; i < n; i++) {
        int k = kind_of(i);
        make_value(i, k, v, sizeof v);
        if (k == 0 || k == 1) {
            uint8_t ip[16], v6, pl;
            (void)v6;
            char *sl = strchr(v, '/');
            unsigned plen = sl ? (unsigned)strtoul(sl + 1, NULL, 10) : 32;
            if (sl) *sl = 0;
            if (vg_ip_parse(v, strlen(v), ip) != 4) continue;
            (void)pl;
            uint32_t a = (uint32_t)ip[0] << 24 | (uint32_t)ip[1] << 16 | (uint32_t)ip[2] << 8 | ip[3];
            uint32_t mask = plen >= 32 ? 0 : (uint32_t)(0xffffffffu >> plen);
            bl.r[bl.nr++] = (struct brange){a & ~mask, a | mask};
        } else if (k == 3 || k == 5 || k == 6 || k == 4) {
            bl.s[bl.ns++] = vg_strdup(v);
        }
    }
    qsort(bl.r, bl.nr, sizeof *bl.r, cmp_range);
    qsort(bl.s, bl.ns, sizeof *bl.s, cmp_str);
    uint64_t bhits = 0;
    reps = 0;
    m0 = vg_mono_ns();
    c0 = cpu_ns();
    do {
        for (size_t e = 0; e < nev; e++) {
            const struct vg_event *x = &ev[e];
            bhits += base_ip(&bl, x->fields[0].v.u.s, x->fields[0].v.len);
            bhits += base_ip(&bl, x->fields[1].v.u.s, x->fields[1].v.len);
            bhits += base_domain(&bl, x->fields[2].v.u.s);
            bhits += base_str(&bl, x->fields[3].v.u.s);
        }
        reps++;
        m1 = vg_mono_ns();
    } while (m1 - m0 < 2000000000LL);
    double bweps = (double)nev * reps / ((double)(m1 - m0) / 1e9);
    double beps = (double)nev * reps / ((double)(cpu_ns() - c0) / 1e9);
    printf("baseline (sorted arrays + binary search, same events): %.0f events/s per core (wall %.0f/s), %llu hits\n",
           beps, bweps, (unsigned long long)bhits);
    printf("ratio intel/baseline: %.2fx; target 1,000,000 events/s/core: %s\n", eps / beps, eps >= 1e6 ? "met" : "NOT met");
    /* swap pause: a reader takes the current set from a slot for every event
     * (as a detect batch does once per batch) while the main thread swaps a
     * second, equally large set in and out */
    {
        struct vg_intel_builder *b2 = vg_intel_builder_new();
        for (size_t i = 0; i < n; i++) {
            int k = kind_of(i);
            make_value(i, k, v, sizeof v);
            char id2[32];
            snprintf(id2, sizeof id2, "ind2-%zu", i);
            struct vg_intel_indicator meta = {.id = id2, .name = "bench", .feed = "bench2", .confidence = 50,
                                              .valid_from = INT64_MIN, .valid_until = INT64_MAX};
            static const int types2[] = {VG_INTEL_IP, VG_INTEL_IP, VG_INTEL_IP, VG_INTEL_DOMAIN, VG_INTEL_URL,
                                         VG_INTEL_SHA256, VG_INTEL_MD5};
            vg_intel_add(b2, types2[k], v, strlen(v), &meta);
        }
        struct vg_intel_set *s2 = vg_intel_build(b2, &err);
        struct swapctx sc = {.slot = vg_intel_slot_new(), .ev = ev, .nev = nev};
        atomic_init(&sc.stop, false);
        vg_intel_slot_put(sc.slot, vg_intel_set_ref(s));
        pthread_t th;
        pthread_create(&th, NULL, swap_reader, &sc);
        int64_t put_max = 0, put_sum = 0;
        const int swaps = 20;
        for (int k = 0; k < swaps; k++) {
            usleep(50000);
            struct vg_intel_set *nx = vg_intel_set_ref(k % 2 ? s : s2);
            int64_t p0 = vg_mono_ns();
            struct vg_intel_set *old = vg_intel_slot_swap(sc.slot, nx);
            int64_t d = vg_mono_ns() - p0;
            vg_intel_set_unref(old); /* main still holds both sets: nothing is freed in the loop */
            put_sum += d;
            if (d > put_max) put_max = d;
        }
        /* the last swap as vg_detect_intel_put does it: the swapper waits for
         * the readers and frees the old set itself */
        struct vg_intel_set *cur = vg_intel_slot_get(sc.slot);
        bool cur_is_s2 = cur == s2;
        vg_intel_set_unref(cur);
        if (!cur_is_s2) vg_intel_slot_put(sc.slot, vg_intel_set_ref(s2));
        vg_intel_set_unref(s2); /* now only the slot (and the reader, briefly) hold s2 */
        int64_t f0 = vg_mono_ns();
        struct vg_intel_set *last = vg_intel_slot_swap(sc.slot, vg_intel_set_ref(s));
        bool freed_here = vg_intel_set_release_last(last, 10000);
        int64_t free_ns = vg_mono_ns() - f0;
        usleep(50000);
        atomic_store(&sc.stop, true);
        pthread_join(th, NULL);
        printf("swap: %d swaps of a %zu-indicator set; slot put %.1f us mean, %.1f us max; reader slot get max %.1f us "
               "over %llu gets (p99.9 %.1f us); reader release max %.1f us; events matched during swaps %llu\n",
               swaps, n, (double)put_sum / swaps / 1e3, (double)put_max / 1e3, (double)sc.get_max / 1e3,
               (unsigned long long)sc.ngets, (double)sc.p999 / 1e3, (double)sc.unref_max / 1e3,
               (unsigned long long)sc.matched);
        vg_intel_slot_free(sc.slot);
        printf("final swap with release_last: old %zu-indicator set freed by the swapper: %s, %.1f ms (the reader's "
               "release max above stays at the cost of a reference drop)\n",
               n, freed_here ? "yes" : "no", (double)free_ns / 1e6);
    }
    for (size_t i = 0; i < bl.ns; i++) vg_free(bl.s[i]);
    vg_free(bl.s);
    vg_free(bl.r);
    vg_free(ev);
    vg_arena_release(&arena);
    vg_intel_set_unref(s);
    return 0;
}
