/* Literal sets: the prefilter's matcher for the literal patterns of one
 * event field (prefilter.c). Vectorscan's per-call cost (~250 cycles) and
 * its confirm cost for thousands of short caseless literals (CommandLine:
 * ~50 cycles per byte) dominated matching; most field values are short, so
 * a table-driven scan that costs a few cycles per byte and almost nothing
 * per call does better. Regular expressions and the keyword database stay
 * in Vectorscan.
 *
 * A literal is bytes plus flags: cased (compare exactly; otherwise ASCII
 * case-insensitive) and anchored at the start and/or the end of the text.
 *   - anchored at the start (and whole values): keyed by a hash of their
 *     first k bytes, k the largest length class <= the literal's length;
 *     probed once per class at position 0;
 *   - anchored at the end only: the same with their last k bytes;
 *   - unanchored, 4 bytes or more: keyed by one of their 4-byte windows,
 *     the one fewest literals of the set share (a proxy for how often it
 *     occurs in text: `.exe` is in hundreds of literals); every position
 *     of the text probes a bitmap (in L1) and, on a hit, the table;
 *   - unanchored, 2 or 3 bytes: whole-literal keys, probed at every
 *     position (a direct 64 Ki-bit bitmap for 2 bytes).
 * Every table hit is verified against the literal, so the scan reports
 * exactly the literals that occur: no false positives, no misses. Part of
 * src/detect/sigma (see internal.h). */
#include "internal.h"
#include <stdlib.h>

#define LS_NCLS 6
static const uint8_t ls_cls[LS_NCLS] = {1, 2, 3, 4, 6, 8}; /* start/end-anchored key lengths */

struct ls_ent {
    const uint8_t *b;         /* lowercased unless cased */
    uint32_t len;
    uint32_t id;
    uint16_t off;             /* unanchored: offset of the key window in the literal */
    uint8_t cased, st, en;
};

struct ls_slot {
    uint64_t key;
    uint32_t first, n;        /* n == 0: empty */
};

struct ls_tab {
    struct ls_slot *slot;
    uint32_t mask;
};

struct vg__litset {
    struct vg_arena ar;
    struct ls_ent *ent;
    uint32_t nent;
    struct ls_tab tab;        /* every key kind (the kind is mixed into the key) */
    uint64_t *bm4;            /* 4-byte windows: bit (w * M) >> sh4 */
    uint32_t sh4;
    uint64_t *bm3;            /* 3-byte literals: bit (w * M) >> 16 */
    uint64_t *bm2;            /* 2-byte literals: bit w (65,536 bits) */
    uint16_t pre, suf;        /* bit c: some start/end-anchored key of class c */
    uint32_t wmin, wmax;      /* lengths of whole-value literals (wmin > wmax: none) */
    uint64_t *abm;            /* anchored keys: bit key >> ash (8 bits per key: these stay in cache) */
    uint32_t ash;
    uint32_t minlen;
    uint32_t *one, none;      /* unanchored 1-byte literals (entry indices): memchr */
    uint8_t *one_b, one_cased; /* their bytes (SIMD kernels); some of them cased */
};

enum { K_ANY4 = 1, K_ANY3, K_ANY2, K_ONE, K_PRE, K_SUF, K_WHOLE };
#define LS_M 0x9e3779b1u

static inline uint64_t kmix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}

/* Key of an anchored window of class c (k bytes, already lowercased):
 * for k > 8 its first and last 8 bytes, for 4..8 its first and last 4
 * (overlapping loads; k is part of the key, so they identify the window
 * up to the bytes they skip, which verification compares anyway). */
static inline uint64_t akey(int kind, uint32_t c, const uint8_t *b, uint32_t k)
{
    uint64_t tag = ((uint64_t)kind << 56) ^ ((uint64_t)c << 32) ^ 0x9e3779b97f4a7c15ull;
    if (k >= 8) {
        uint64_t w1, w2;
        memcpy(&w1, b, 8);
        memcpy(&w2, b + k - 8, 8);
        return kmix(w1 ^ kmix(w2 ^ tag));
    }
    uint64_t w;
    if (k >= 4) {
        uint32_t lo, hi;
        memcpy(&lo, b, 4);
        memcpy(&hi, b + k - 4, 4);
        w = lo | (uint64_t)hi << 32;
    } else {
        w = b[0];
        if (k > 1) w |= (uint64_t)b[1] << 8;
        if (k > 2) w |= (uint64_t)b[2] << 16;
    }
    return kmix(w ^ tag);
}

static inline uint64_t gkey(int kind, uint32_t w)
{
    return kmix(((uint64_t)kind << 32) | w);
}

static int ent_cmp(const void *a, const void *b, void *keys)
{
    const uint64_t *k = keys;
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return k[x] < k[y] ? -1 : k[x] > k[y] ? 1 : (x < y ? -1 : x > y);
}

/* qsort_r is a GNU extension; a small merge sort keeps this portable. */
static void sort_idx(uint32_t *idx, uint32_t *tmp, uint32_t n, const uint64_t *keys)
{
    if (n < 2) return;
    uint32_t h = n / 2;
    sort_idx(idx, tmp, h, keys);
    sort_idx(idx + h, tmp, n - h, keys);
    uint32_t i = 0, j = h, o = 0;
    while (i < h && j < n) tmp[o++] = ent_cmp(&idx[j], &idx[i], (void *)keys) < 0 ? idx[j++] : idx[i++];
    while (i < h) tmp[o++] = idx[i++];
    while (j < n) tmp[o++] = idx[j++];
    memcpy(idx, tmp, n * sizeof *idx);
}

/* Window counts for choosing keys: an open-addressing map w -> count. */
struct wmap {
    uint32_t *w, *c, *last, mask; /* last: literal index + 1 that counted the window last */
};

static inline uint32_t wmap_h(const struct wmap *m, uint32_t w)
{
    return (uint32_t)(((uint64_t)w * 0x9e3779b97f4a7c15ull) >> 32) & m->mask;
}

static uint32_t wmap_slot(struct wmap *m, uint32_t w)
{
    uint32_t h = wmap_h(m, w);
    while (m->c[h] && m->w[h] != w) h = (h + 1) & m->mask;
    m->w[h] = w;
    return h;
}

static int byte_weight(uint8_t c)
{
    /* rough commonness in command lines and paths (higher = more common) */
    if (c >= 'a' && c <= 'z') return strchr("etaoinsrlcdmuphwx", c) ? 3 : 2;
    if (c >= '0' && c <= '9') return 2;
    if (c == ' ' || c == '\\' || c == '.' || c == '/' || c == '-' || c == ':' || c == '_') return 4;
    if (c >= 0x80 || c < 0x20) return 0;
    return 1;
}

void vg__litset_free(struct vg__litset *ls)
{
    if (!ls) return;
    vg_arena_release(&ls->ar);
    vg_free(ls);
}

struct vg__litset *vg__litset_build(const struct vg__lit *lits, uint32_t n)
{
    struct vg__litset *ls = vg_calloc(1, sizeof *ls);
    uint64_t *keys = NULL, *skeys = NULL;
    uint32_t *idx = NULL, *tmp = NULL;
    struct wmap wm = {0};
    bool ok = false;
    if (!ls) return NULL;
    size_t est = 2048;       /* one chunk for a typical set: entries twice, literals, table, bitmaps */
    for (uint32_t i = 0; i < n; i++) est += 2 * sizeof(struct ls_ent) + lits[i].len + 2 * sizeof(struct ls_slot) + 16;
    vg_arena_init(&ls->ar, est < (1u << 20) ? est : (1u << 20));
    ls->ent = vg_arena_alloc(&ls->ar, (n + 1) * sizeof *ls->ent);
    keys = vg_malloc((n + 1) * sizeof *keys);
    idx = vg_malloc((n + 1) * sizeof *idx);
    tmp = vg_malloc((n + 1) * sizeof *tmp);
    uint32_t wsz = 64;
    while (wsz < 2 * (n + 1) * 8) wsz *= 2; /* windows: up to (len - 3) per literal, capped below */
    wm.w = vg_calloc(wsz, sizeof *wm.w);
    wm.c = vg_calloc(wsz, sizeof *wm.c);
    wm.last = vg_calloc(wsz, sizeof *wm.last);
    wm.mask = wsz - 1;
    if (!ls->ent || !keys || !idx || !tmp || !wm.w || !wm.c || !wm.last) goto fail;
    ls->minlen = UINT32_MAX;
    ls->wmin = UINT32_MAX;
    /* copies (lowercased unless cased); window counts of unanchored literals */
    uint32_t nw = 0;
    for (uint32_t i = 0; i < n; i++) {
        const struct vg__lit *l = &lits[i];
        if (l->len == 0 || l->len > UINT16_MAX) continue;
        uint8_t *b = vg_arena_alloc(&ls->ar, l->len);
        if (!b) goto fail;
        for (uint32_t j = 0; j < l->len; j++) b[j] = l->cased ? l->b[j] : vg__sig_lower[l->b[j]];
        struct ls_ent *e = &ls->ent[ls->nent++];
        *e = (struct ls_ent){.b = b, .len = l->len, .id = l->id, .cased = l->cased, .st = l->st, .en = l->en};
        if (l->len < ls->minlen) ls->minlen = l->len;
        if (!l->st && !l->en && l->len >= 4) {
            /* count each distinct window of the literal once (at most 64 per literal) */
            uint32_t lim = l->len - 3 < 64 ? l->len - 3 : 64;
            for (uint32_t o = 0; o < lim && nw < wm.mask / 2; o++) {
                uint32_t w;
                uint8_t lw[4];
                for (int q = 0; q < 4; q++) lw[q] = vg__sig_lower[b[o + q]];
                memcpy(&w, lw, 4);
                uint32_t h = wmap_slot(&wm, w);
                if (wm.last[h] == ls->nent) continue; /* this literal counted it already */
                wm.last[h] = ls->nent;
                if (wm.c[h] == 0) nw++;
                wm.c[h]++;
            }
        }
    }
    /* keys */
    for (uint32_t i = 0; i < ls->nent; i++) {
        struct ls_ent *e = &ls->ent[i];
        uint8_t lwb[64] = {0}, *lw = lwb;
        uint32_t L = e->len;
        if (L > sizeof lwb && !(lw = vg_malloc(L))) goto fail;
        for (uint32_t j = 0; j < L; j++) lw[j] = vg__sig_lower[e->b[j]]; /* keys are caseless */
        if (e->st && e->en) {
            /* whole values: one probe with the whole text */
            keys[i] = akey(K_WHOLE, L, lw, L);
            if (L < ls->wmin) ls->wmin = L;
            if (L > ls->wmax) ls->wmax = L;
        } else if (e->st || e->en) {
            uint32_t c = 0;
            while (c + 1 < LS_NCLS && ls_cls[c + 1] <= L) c++;
            uint32_t k = ls_cls[c];
            if (e->st) {
                keys[i] = akey(K_PRE, c, lw, k);
                ls->pre |= (uint16_t)(1u << c);
            } else {
                keys[i] = akey(K_SUF, c, lw + L - k, k);
                ls->suf |= (uint16_t)(1u << c);
            }
        } else if (L >= 4) {
            uint32_t best = 0, bestc = UINT32_MAX;
            int bestw = 0;
            uint32_t lim = L - 3 < 64 ? L - 3 : 64;
            for (uint32_t o = 0; o < lim; o++) {
                uint8_t ww[4];
                for (int q = 0; q < 4; q++) ww[q] = vg__sig_lower[e->b[o + q]];
                uint32_t w;
                memcpy(&w, ww, 4);
                uint32_t h = wmap_h(&wm, w), cnt = 0;
                while (wm.c[h] && wm.w[h] != w) h = (h + 1) & wm.mask;
                cnt = wm.c[h];
                int wt = byte_weight(ww[0]) + byte_weight(ww[1]) + byte_weight(ww[2]) + byte_weight(ww[3]);
                if (cnt < bestc || (cnt == bestc && wt < bestw)) { bestc = cnt; best = o; bestw = wt; }
            }
            uint8_t ww[4];
            for (int q = 0; q < 4; q++) ww[q] = vg__sig_lower[e->b[best + q]];
            uint32_t w;
            memcpy(&w, ww, 4);
            e->off = (uint16_t)best;
            keys[i] = gkey(K_ANY4, w);
        } else if (L == 3) {
            uint32_t w = (uint32_t)lw[0] | (uint32_t)lw[1] << 8 | (uint32_t)lw[2] << 16;
            keys[i] = gkey(K_ANY3, w);
        } else if (L == 2) {
            keys[i] = gkey(K_ANY2, (uint32_t)lw[0] | (uint32_t)lw[1] << 8);
        } else {
            keys[i] = gkey(K_ONE, lw[0]);
        }
        if (lw != lwb) vg_free(lw);
    }
    /* entries sorted by key; one table slot per distinct key */
    for (uint32_t i = 0; i < ls->nent; i++) idx[i] = i;
    sort_idx(idx, tmp, ls->nent, keys);
    struct ls_ent *sorted = vg_arena_alloc(&ls->ar, (ls->nent + 1) * sizeof *sorted);
    skeys = vg_malloc((ls->nent + 1) * sizeof *skeys);
    if (!sorted || !skeys) goto fail;
    for (uint32_t i = 0; i < ls->nent; i++) {
        sorted[i] = ls->ent[idx[i]];
        skeys[i] = keys[idx[i]];
    }
    ls->ent = sorted;
    uint32_t tsz = 16;
    while (tsz < ls->nent * 2 + 2) tsz *= 2;
    ls->tab.slot = vg_arena_alloc(&ls->ar, tsz * sizeof *ls->tab.slot);
    if (!ls->tab.slot) goto fail;
    memset(ls->tab.slot, 0, tsz * sizeof *ls->tab.slot);
    uint32_t nanch = 0, ab = 6;
    for (uint32_t i = 0; i < ls->nent; i++) nanch += ls->ent[i].st || ls->ent[i].en;
    while (ab < 20 && (1u << ab) < nanch * 8) ab++;
    ls->ash = 64 - ab;
    ls->abm = vg_arena_alloc(&ls->ar, ((size_t)1 << ab) / 8);
    if (!ls->abm) goto fail;
    memset(ls->abm, 0, ((size_t)1 << ab) / 8);
    for (uint32_t i = 0; i < ls->nent; i++)
        if (ls->ent[i].st || ls->ent[i].en) {
            uint64_t h = skeys[i] >> ls->ash;
            ls->abm[h / 64] |= 1ull << (h % 64);
        }
    ls->tab.mask = tsz - 1;
    uint32_t n4 = 0, n3 = 0, n2 = 0, n1 = 0;
    for (uint32_t i = 0; i < ls->nent; i++) n1 += !ls->ent[i].st && !ls->ent[i].en && ls->ent[i].len == 1;
    if (n1) {
        ls->one = vg_arena_alloc(&ls->ar, n1 * sizeof *ls->one);
        if (!ls->one) goto fail;
        ls->one_b = vg_arena_alloc(&ls->ar, n1);
        if (!ls->one_b) goto fail;
        for (uint32_t i = 0; i < ls->nent; i++)
            if (!ls->ent[i].st && !ls->ent[i].en && ls->ent[i].len == 1) {
                ls->one_b[ls->none] = ls->ent[i].b[0];
                ls->one_cased |= ls->ent[i].cased;
                ls->one[ls->none++] = i;
            }
    }
    for (uint32_t i = 0; i < ls->nent;) {
        uint32_t j = i + 1;
        while (j < ls->nent && skeys[j] == skeys[i]) j++;
        uint32_t h = (uint32_t)skeys[i] & ls->tab.mask;
        while (ls->tab.slot[h].n) h = (h + 1) & ls->tab.mask;
        ls->tab.slot[h] = (struct ls_slot){.key = skeys[i], .first = i, .n = j - i};
        const struct ls_ent *e = &ls->ent[i];
        if (!e->st && !e->en) {
            if (e->len >= 4) n4++;
            else if (e->len == 3) n3++;
            else if (e->len == 2) n2++;
        }
        i = j;
    }
    /* bitmaps over the unanchored keys */
    uint32_t b4 = 9;
    while (b4 < 22 && (1u << b4) < n4 * 8) b4++;
    if (n4) {
        ls->sh4 = 32 - b4;
        ls->bm4 = vg_arena_alloc(&ls->ar, ((size_t)1 << b4) / 8);
        if (!ls->bm4) goto fail;
        memset(ls->bm4, 0, ((size_t)1 << b4) / 8);
    }
    if (n3) {
        ls->bm3 = vg_arena_alloc(&ls->ar, 65536 / 8);
        if (!ls->bm3) goto fail;
        memset(ls->bm3, 0, 65536 / 8);
    }
    if (n2) {
        ls->bm2 = vg_arena_alloc(&ls->ar, 65536 / 8);
        if (!ls->bm2) goto fail;
        memset(ls->bm2, 0, 65536 / 8);
    }
    for (uint32_t i = 0; i < ls->nent; i++) {
        const struct ls_ent *e = &ls->ent[i];
        if (e->st || e->en) continue;
        uint8_t lw[4] = {0};
        uint32_t k = e->len >= 4 ? 4 : e->len;
        for (uint32_t q = 0; q < k; q++) lw[q] = vg__sig_lower[e->b[e->off + q]];
        uint32_t w;
        memcpy(&w, lw, 4);
        if (e->len >= 4) {
            uint32_t h = (w * LS_M) >> ls->sh4;
            ls->bm4[h / 64] |= 1ull << (h % 64);
        } else if (e->len == 3) {
            uint32_t h = (w * LS_M) >> 16;
            ls->bm3[h / 64] |= 1ull << (h % 64);
        } else if (e->len == 2) {
            ls->bm2[w / 64] |= 1ull << (w % 64);
        }
    }
    ok = true;
fail:
    vg_free(skeys);
    vg_free(keys);
    vg_free(idx);
    vg_free(tmp);
    vg_free(wm.w);
    vg_free(wm.c);
    vg_free(wm.last);
    if (ok) return ls;
    vg__litset_free(ls);
    return NULL;
}

/* a == b over n bytes (short literals: overlapping word compares) */
static inline bool eqn(const uint8_t *a, const uint8_t *b, uint32_t n)
{
    if (n >= 8) {
        uint64_t x, y;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        if (x != y) return false;
        memcpy(&x, a + n - 8, 8);
        memcpy(&y, b + n - 8, 8);
        if (x != y) return false;
        return n <= 16 || memcmp(a + 8, b + 8, n - 16) == 0;
    }
    if (n >= 4) {
        uint32_t x, y;
        memcpy(&x, a, 4);
        memcpy(&y, b, 4);
        if (x != y) return false;
        memcpy(&x, a + n - 4, 4);
        memcpy(&y, b + n - 4, 4);
        return x == y;
    }
    for (uint32_t i = 0; i < n; i++)
        if (a[i] != b[i]) return false;
    return true;
}

/* ASCII lowercase copy: 8 bytes at a time (A-Z get 0x20, other bytes as they are). */
void vg__sig_lower_copy(uint8_t *dst, const uint8_t *src, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, src + i, 8);
        w = vg__sig_lower8(w);
        memcpy(dst + i, &w, 8);
    }
    for (; i < n; i++) dst[i] = vg__sig_lower[src[i]];
}

static inline const struct ls_slot *find(const struct vg__litset *ls, uint64_t key)
{
    uint32_t h = (uint32_t)key & ls->tab.mask;
    for (;; h = (h + 1) & ls->tab.mask) {
        const struct ls_slot *s = &ls->tab.slot[h];
        if (!s->n) return NULL;
        if (s->key == key) return s;
    }
}

/* Verifies the entries of slot s with the literal starting at text offset
 * base + e->off ... (pos = where the key window starts; for anchored
 * keys 0 or n - k). */
static inline void verify(const struct vg__litset *ls, const struct ls_slot *s, const uint8_t *t, const uint8_t *low,
                          size_t n, size_t pos, bool anchored_end, const uint32_t *stamp, uint32_t gen,
                          vg__lit_fn fn, void *arg)
{
    for (uint32_t i = s->first; i < s->first + s->n; i++) {
        const struct ls_ent *e = &ls->ent[i];
        if (stamp && stamp[e->id] == gen) continue;
        size_t p;
        if (anchored_end) {
            if (e->len > n) continue;
            p = n - e->len;
        } else {
            if (pos < e->off) continue;
            p = pos - e->off;
            if (p + e->len > n) continue;
        }
        if (e->st && p != 0) continue;
        if (e->en && p + e->len != n) continue;
        if (!eqn((e->cased ? t : low) + p, e->b, e->len)) continue;
        fn(e->id, arg);
    }
}

/* ---- the per-position loop and the SIMD kernels ----
 * The per-position probes (bm4, bm3, bm2) stay scalar: a gather-based
 * AVX2 / AVX-512 candidate filter (windows and hashes of 8 or 16 positions
 * at once, vpgatherdd of the bitmap words, then the scalar find/verify of
 * the set positions in the same order) was measured on the benchmark
 * machine (AMD Zen 4, bench/bench_litset.c) and did not pay: its gathers
 * cost about one cycle per element, and the scalar loop's probing hides
 * under the latency of the hits' table lookups and verifications, which
 * the SIMD filter cannot overlap (0.91x AVX2, 0.96x AVX-512 on CommandLine
 * values; see git history for the kernels). What did pay is the test of
 * the unanchored 1-byte literals: one vector compare per literal and 32
 * (AVX2) or 64 (AVX-512BW) bytes instead of one memchr call per literal.
 * The kernel is chosen once (__builtin_cpu_supports); VG_LITSET_SCALAR=1
 * in the environment forces the portable code. */

static void scan_scalar(const struct vg__litset *ls, const uint8_t *t, const uint8_t *low, size_t n,
                        const uint32_t *stamp, uint32_t gen, vg__lit_fn fn, void *arg)
{
    const uint64_t *bm4 = ls->bm4, *bm3 = ls->bm3, *bm2 = ls->bm2;
    uint32_t sh4 = ls->sh4;
    size_t i = 0;
    if (n >= 4) {
        for (; i + 4 <= n; i++) {
            uint32_t w;
            memcpy(&w, low + i, 4);
            if (bm4) {
                uint32_t h = (w * LS_M) >> sh4;
                if (bm4[h / 64] & (1ull << (h % 64))) {
                    const struct ls_slot *s = find(ls, gkey(K_ANY4, w));
                    if (s) verify(ls, s, t, low, n, i, false, stamp, gen, fn, arg);
                }
            }
            if (bm3) {
                uint32_t w3 = w & 0xffffffu, h = (w3 * LS_M) >> 16;
                if (bm3[h / 64] & (1ull << (h % 64))) {
                    const struct ls_slot *s = find(ls, gkey(K_ANY3, w3));
                    if (s) verify(ls, s, t, low, n, i, false, stamp, gen, fn, arg);
                }
            }
            if (bm2) {
                uint32_t w2 = w & 0xffffu;
                if (bm2[w2 / 64] & (1ull << (w2 % 64))) {
                    const struct ls_slot *s = find(ls, gkey(K_ANY2, w2));
                    if (s) verify(ls, s, t, low, n, i, false, stamp, gen, fn, arg);
                }
            }
        }
    }
    /* the last positions: 3- and 2-byte keys only */
    for (; i + 2 <= n; i++) {
        uint32_t w = (uint32_t)low[i] | (uint32_t)low[i + 1] << 8;
        if (bm3 && i + 3 <= n) {
            uint32_t w3 = w | (uint32_t)low[i + 2] << 16, h = (w3 * LS_M) >> 16;
            if (bm3[h / 64] & (1ull << (h % 64))) {
                const struct ls_slot *s = find(ls, gkey(K_ANY3, w3));
                if (s) verify(ls, s, t, low, n, i, false, stamp, gen, fn, arg);
            }
        }
        if (bm2 && (bm2[w / 64] & (1ull << (w % 64)))) {
            const struct ls_slot *s = find(ls, gkey(K_ANY2, w));
            if (s) verify(ls, s, t, low, n, i, false, stamp, gen, fn, arg);
        }
    }
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define LS_X86 1
#include <immintrin.h>

/* Reports the 1-byte literals k0 .. k0 + 63 whose bit is set in found, in
 * order (the stamp is checked at each call, as memchr's loop does). */
static inline void ones_report(const struct vg__litset *ls, uint32_t k0, uint64_t found, const uint32_t *stamp,
                               uint32_t gen, vg__lit_fn fn, void *arg)
{
    while (found) {
        const struct ls_ent *e = &ls->ent[ls->one[k0 + (uint32_t)__builtin_ctzll(found)]];
        found &= found - 1;
        if (!stamp || stamp[e->id] != gen) fn(e->id, arg);
    }
}

/* 1-byte literals (AVX2): one compare per literal and 32 bytes of text
 * instead of one memchr call per literal. */
__attribute__((target("avx2"))) static void ones_avx2(const struct vg__litset *ls, const uint8_t *t, const uint8_t *low,
                                                      size_t n, const uint32_t *stamp, uint32_t gen, vg__lit_fn fn,
                                                      void *arg)
{
    for (uint32_t k0 = 0; k0 < ls->none; k0 += 64) {
        uint32_t kn = ls->none - k0 < 64 ? ls->none - k0 : 64;
        uint64_t found = 0;
        for (size_t i = 0; i < n; i += 32) {
            __m256i vl, vt;
            uint32_t valid = n - i >= 32 ? 0xffffffffu : (uint32_t)((1ull << (n - i)) - 1);
            if (n - i >= 32) {
                vl = _mm256_loadu_si256((const __m256i *)(const void *)(low + i));
                vt = ls->one_cased ? _mm256_loadu_si256((const __m256i *)(const void *)(t + i)) : vl;
            } else {
                uint8_t bl[32] = {0}, bt[32] = {0};
                memcpy(bl, low + i, n - i);
                if (ls->one_cased) memcpy(bt, t + i, n - i);
                vl = _mm256_loadu_si256((const __m256i *)(const void *)bl);
                vt = _mm256_loadu_si256((const __m256i *)(const void *)bt);
            }
            for (uint32_t k = 0; k < kn; k++) {
                const struct ls_ent *e = &ls->ent[ls->one[k0 + k]];
                __m256i eq = _mm256_cmpeq_epi8(e->cased ? vt : vl, _mm256_set1_epi8((char)ls->one_b[k0 + k]));
                found |= (uint64_t)(((uint32_t)_mm256_movemask_epi8(eq) & valid) != 0) << k;
            }
        }
        ones_report(ls, k0, found, stamp, gen, fn, arg);
    }
}

/* 1-byte literals (AVX-512BW): 64 bytes of text per compare. */
__attribute__((target("avx512f,avx512bw"))) static void ones_avx512(const struct vg__litset *ls, const uint8_t *t,
                                                                    const uint8_t *low, size_t n,
                                                                    const uint32_t *stamp, uint32_t gen,
                                                                    vg__lit_fn fn, void *arg)
{
    for (uint32_t k0 = 0; k0 < ls->none; k0 += 64) {
        uint32_t kn = ls->none - k0 < 64 ? ls->none - k0 : 64;
        uint64_t found = 0;
        for (size_t i = 0; i < n; i += 64) {
            size_t left = n - i;
            __mmask64 lm = left >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << left) - 1);
            __m512i vl = _mm512_maskz_loadu_epi8(lm, low + i);
            __m512i vt = ls->one_cased ? _mm512_maskz_loadu_epi8(lm, t + i) : vl;
            for (uint32_t k = 0; k < kn; k++) {
                const struct ls_ent *e = &ls->ent[ls->one[k0 + k]];
                __mmask64 eq = _mm512_mask_cmpeq_epi8_mask(lm, e->cased ? vt : vl, _mm512_set1_epi8((char)ls->one_b[k0 + k]));
                found |= (uint64_t)(eq != 0) << k;
            }
        }
        ones_report(ls, k0, found, stamp, gen, fn, arg);
    }
}
#endif

enum { LS_IMPL_SCALAR, LS_IMPL_AVX2, LS_IMPL_AVX512 };
static const char *const ls_impl_name[] = {"scalar", "avx2", "avx512"};
static _Atomic int ls_impl = -1; /* chosen on first use */

static int impl_best(void)
{
#ifdef LS_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")) return LS_IMPL_AVX512;
    if (__builtin_cpu_supports("avx2")) return LS_IMPL_AVX2;
#endif
    return LS_IMPL_SCALAR;
}

static int impl_get(void)
{
    int v = atomic_load_explicit(&ls_impl, memory_order_relaxed);
    if (v >= 0) return v;
    const char *e = getenv("VG_LITSET_SCALAR");
    v = e && *e && strcmp(e, "0") != 0 ? LS_IMPL_SCALAR : impl_best();
    atomic_store_explicit(&ls_impl, v, memory_order_relaxed);
    return v;
}

const char *vg__litset_impl(int want)
{
    if (want >= 0) {
        int best = impl_best();
        atomic_store_explicit(&ls_impl, want < best ? want : best, memory_order_relaxed);
    }
    return ls_impl_name[impl_get()];
}

void vg__litset_scan(const struct vg__litset *ls, const uint8_t *t, const uint8_t *low, size_t n, const uint32_t *stamp,
                     uint32_t gen, vg__lit_fn fn, void *arg)
{
    if (!ls || n < ls->minlen) return;
    /* anchored keys: one probe per length class */
    if (n >= ls->wmin && n <= ls->wmax) {
        uint64_t key = akey(K_WHOLE, (uint32_t)n, low, (uint32_t)n), h = key >> ls->ash;
        const struct ls_slot *s = (ls->abm[h / 64] & (1ull << (h % 64))) ? find(ls, key) : NULL;
        if (s) verify(ls, s, t, low, n, 0, false, stamp, gen, fn, arg);
    }
    if (ls->pre | ls->suf) {
        for (uint32_t c = 0; c < LS_NCLS && ls_cls[c] <= n; c++) {
            uint32_t k = ls_cls[c];
            if (ls->pre & (1u << c)) {
                uint64_t key = akey(K_PRE, c, low, k), h = key >> ls->ash;
                const struct ls_slot *s = (ls->abm[h / 64] & (1ull << (h % 64))) ? find(ls, key) : NULL;
                if (s) verify(ls, s, t, low, n, 0, false, stamp, gen, fn, arg);
            }
            if (ls->suf & (1u << c)) {
                uint64_t key = akey(K_SUF, c, low + n - k, k), h = key >> ls->ash;
                const struct ls_slot *s = (ls->abm[h / 64] & (1ull << (h % 64))) ? find(ls, key) : NULL;
                if (s) verify(ls, s, t, low, n, 0, true, stamp, gen, fn, arg);
            }
        }
    }
    int impl = impl_get();
    if (ls->none) {
        switch (impl) {
#ifdef LS_X86
        case LS_IMPL_AVX512: ones_avx512(ls, t, low, n, stamp, gen, fn, arg); break;
        case LS_IMPL_AVX2: ones_avx2(ls, t, low, n, stamp, gen, fn, arg); break;
#endif
        default:
            for (uint32_t k = 0; k < ls->none; k++) {
                const struct ls_ent *e = &ls->ent[ls->one[k]];
                if ((!stamp || stamp[e->id] != gen) && memchr(e->cased ? t : low, e->b[0], n)) fn(e->id, arg);
            }
        }
    }
    if (!ls->bm4 && !ls->bm3 && !ls->bm2) return;
    scan_scalar(ls, t, low, n, stamp, gen, fn, arg);
}

size_t vg__litset_count(const struct vg__litset *ls) { return ls ? ls->nent : 0; }
