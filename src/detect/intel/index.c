/* Compiled lookup structures of the threat-intel set:
 *  - a string set with open addressing: keys are (type, lower-cased value),
 *    hashed right-to-left so that every label-boundary suffix of a domain
 *    gets its hash in one backwards pass (domain suffix matching = one probe
 *    per label);
 *  - IPv4/IPv6 prefix tables: the nested CIDRs are flattened into disjoint
 *    intervals, each owned by its longest covering prefix (with a parent
 *    chain to the shorter ones); IPv4 lookups go through a /16 directory
 *    and a short binary search, IPv6 through a binary search.
 * Value normalisation helpers live here too. */
#include "internal.h"

#include <stdlib.h>

static inline unsigned char lc(unsigned char c) { return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c; }

static inline uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

/* FNV-1a over the bytes from last to first, lower-cased. */
static uint64_t rhash_step(uint64_t h, unsigned char c) { return (h ^ lc(c)) * 0x100000001b3ULL; }
#define RHASH_SEED 0xcbf29ce484222325ULL

static uint64_t key_hash(uint64_t rh, int type) { return mix64(rh ^ ((uint64_t)(type + 1) * 0x9E3779B97F4A7C15ULL)); }

static uint64_t rhash(const char *s, size_t len)
{
    uint64_t h = RHASH_SEED;
    for (size_t i = len; i-- > 0;) h = rhash_step(h, (unsigned char)s[i]);
    return h;
}

/* Word-at-a-time hash for exact keys (hashes, URLs, e-mail, warninglist
 * strings): ASCII lower-casing by SWAR, bytes with the high bit unchanged
 * (the same mapping as lc()). Domains use rhash for suffix probing. */
static inline uint64_t swar_lower(uint64_t x)
{
    uint64_t hi = x & 0x8080808080808080ULL;
    uint64_t y = x & 0x7f7f7f7f7f7f7f7fULL;
    uint64_t ge_a = y + 0x3f3f3f3f3f3f3f3fULL;   /* bit 7 set when byte >= 'A' */
    uint64_t gt_z = y + 0x2525252525252525ULL;   /* bit 7 set when byte > 'Z' */
    uint64_t up = ge_a & ~gt_z & ~hi & 0x8080808080808080ULL;
    return x | (up >> 2);
}

static uint64_t whash(const char *s, size_t len)
{
    uint64_t h = RHASH_SEED ^ (len * 0x9E3779B97F4A7C15ULL);
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        h = (h ^ swar_lower(w)) * 0x100000001b3ULL;
        h ^= h >> 31;
    }
    if (i < len) {
        uint64_t w = 0;
        memcpy(&w, s + i, len - i);
        h = (h ^ swar_lower(w)) * 0x100000001b3ULL;
    }
    return h;
}

static bool is_domain_type(int type) { return type == VG_INTEL_DOMAIN || type == VG_INTEL_HOSTNAME; }

static uint64_t base_hash(int type, const char *s, size_t len)
{
    return is_domain_type(type) ? rhash(s, len) : whash(s, len);
}

static int atom_str_cmp(const void *a, const void *b)
{
    const struct intel_atom *x = a, *y = b;
    if (x->type != y->type) return x->type < y->type ? -1 : 1;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->s, y->s, n);
    if (c) return c;
    if (x->len != y->len) return x->len < y->len ? -1 : 1;
    return x->ind < y->ind ? -1 : x->ind > y->ind;
}

static bool str_eq_ci(const char *a, const char *b, size_t n) { return vg_strncasecmp_ascii(a, b, n) == 0; }

/* atoms: string atoms only (not IP), values already normalised so that
 * byte equality == key equality (URLs are lower-cased for the key). */
int intel_strset_build(struct intel_strset *ss, struct intel_atom *atoms, size_t n)
{
    memset(ss, 0, sizeof *ss);
    if (n > UINT32_MAX / 2) return VG_ETOOBIG;
    if (n) qsort(atoms, n, sizeof *atoms, atom_str_cmp);
    size_t nu = 0;
    for (size_t i = 0; i < n; i++)
        if (!i || atom_str_cmp(&atoms[i - 1], &atoms[i]) != 0) nu++;
    uint64_t cap = 16;
    while (cap < nu * 2 + 2) cap <<= 1;
    ss->slots = vg_calloc(cap, sizeof *ss->slots);
    ss->ent = vg_calloc(nu ? nu : 1, sizeof *ss->ent);
    ss->post = vg_calloc(n ? n : 1, sizeof *ss->post);
    if (!ss->slots || !ss->ent || !ss->post) { intel_strset_free(ss); return VG_ENOMEM; }
    ss->mask = cap - 1;
    for (size_t i = 0; i < n; i++) {
        const struct intel_atom *a = &atoms[i];
        bool same = i && atoms[i - 1].type == a->type && atoms[i - 1].len == a->len &&
                    memcmp(atoms[i - 1].s, a->s, a->len) == 0;
        if (!same) {
            struct intel_strent *e = &ss->ent[ss->n];
            e->s = a->s;
            e->len = a->len;
            e->type = a->type;
            e->post = (uint32_t)ss->npost;
            unsigned labels = 1;
            for (uint32_t k = 0; k < a->len; k++) labels += a->s[k] == '.';
            ss->lmask[a->type] |= 1ULL << (labels > 63 ? 63 : labels);
            uint64_t h = key_hash(base_hash(a->type, a->s, a->len), a->type);
            uint64_t pos = h & ss->mask;
            while (ss->slots[pos]) pos = (pos + 1) & ss->mask;
            ss->slots[pos] = ((h >> 32) << 32) | (uint64_t)(ss->n + 1);
            ss->n++;
        }
        struct intel_strent *e = &ss->ent[ss->n - 1];
        if (a->ind != UINT32_MAX && (!e->npost || ss->post[ss->npost - 1] != a->ind)) {
            ss->post[ss->npost++] = a->ind;
            e->npost++;
        }
    }
    return 0;
}

void intel_strset_free(struct intel_strset *ss)
{
    vg_free(ss->slots);
    vg_free(ss->ent);
    vg_free(ss->post);
    memset(ss, 0, sizeof *ss);
}

static const struct intel_strent *probe(const struct intel_strset *ss, uint64_t h, int type, const char *s, size_t len)
{
    if (!ss->n) return NULL;
    uint64_t pos = h & ss->mask, tag = h >> 32;
    for (;;) {
        uint64_t v = ss->slots[pos];
        if (!v) return NULL;
        if ((v >> 32) == tag) {
            const struct intel_strent *e = &ss->ent[(uint32_t)v - 1];
            if (e->type == type && e->len == len && str_eq_ci(e->s, s, len)) return e;
        }
        pos = (pos + 1) & ss->mask;
    }
}

const struct intel_strent *intel_strset_get(const struct intel_strset *ss, int type, const char *s, size_t len)
{
    return probe(ss, key_hash(base_hash(type, s, len), type), type, s, len);
}

int intel_strset_suffixes(const struct intel_strset *ss, int type, int type_full, const char *s, size_t len,
                          intel_suffix_fn fn, void *ctx)
{
    if (!ss->n || !len) return 0;
    uint64_t h = RHASH_SEED, mask = ss->lmask[type & 255];
    uint64_t fmask = type_full >= 0 ? ss->lmask[type_full & 255] : 0;
    if (!mask && !fmask) return 0;
    unsigned labels = 0;
    for (size_t i = len; i-- > 0;) {
        h = rhash_step(h, (unsigned char)s[i]);
        if (i && s[i - 1] != '.') continue;
        labels++;
        uint64_t bit = 1ULL << (labels > 63 ? 63 : labels);
        const struct intel_strent *e = (mask & bit) ? probe(ss, key_hash(h, type), type, s + i, len - i) : NULL;
        if (e) { int rc = fn(e, ctx); if (rc) return rc; }
        if (i == 0 && (fmask & bit)) {
            e = probe(ss, key_hash(h, type_full), type_full, s, len);
            if (e) { int rc = fn(e, ctx); if (rc) return rc; }
        }
    }
    return 0;
}

/* ---- IP prefixes ------------------------------------------------------ */

static vg_u128 ip_to_u128(const uint8_t *ip, int alen)
{
    vg_u128 v = 0;
    for (int i = 0; i < alen; i++) v = (v << 8) | ip[i];
    return v;
}

static int atom_ip_cmp(const void *a, const void *b)
{
    const struct intel_atom *x = a, *y = b;
    if (x->v6 != y->v6) return x->v6 < y->v6 ? -1 : 1;
    int c = memcmp(x->ip, y->ip, 16);
    if (c) return c;
    if (x->plen != y->plen) return x->plen < y->plen ? -1 : 1;
    return x->ind < y->ind ? -1 : x->ind > y->ind;
}

struct emit { vg_u128 pos; int32_t owner; };

/* Flattens prefixes [from, to) of one family (sorted by lo, then plen). */
static int flatten(struct intel_pfx *p, size_t from, size_t to, vg_u128 maxv, struct emit **out, size_t *nout)
{
    size_t n = to - from, cap = 2 * n + 2, ne = 0, sp = 0;
    struct emit *e = vg_malloc(cap * sizeof *e);
    int32_t *stack = vg_malloc((n + 1) * sizeof *stack);
    if (!e || !stack) { vg_free(e); vg_free(stack); return VG_ENOMEM; }
    for (size_t k = from; k <= to; k++) {
        while (sp && (k == to || p[stack[sp - 1]].hi < p[k].lo)) {
            int32_t q = stack[--sp];
            if (p[q].hi != maxv) e[ne++] = (struct emit){p[q].hi + 1, sp ? stack[sp - 1] : -1};
        }
        if (k == to) break;
        p[k].parent = sp ? stack[sp - 1] : -1;
        e[ne++] = (struct emit){p[k].lo, (int32_t)k};
        stack[sp++] = (int32_t)k;
    }
    vg_free(stack);
    /* same position: the last emission wins; equal neighbouring owners merge */
    size_t m = 0;
    for (size_t i = 0; i < ne; i++) {
        if (m && e[m - 1].pos == e[i].pos) { e[m - 1].owner = e[i].owner; }
        else e[m++] = e[i];
        if (m >= 2 && e[m - 1].owner == e[m - 2].owner) m--;
    }
    *out = e;
    *nout = m;
    return 0;
}

int intel_ipidx_build(struct intel_ipidx *ix, struct intel_atom *atoms, size_t n)
{
    memset(ix, 0, sizeof *ix);
    int rc = VG_ENOMEM;
    struct emit *e = NULL;
    size_t ne = 0;
    if (n) qsort(atoms, n, sizeof *atoms, atom_ip_cmp);
    ix->pfx = vg_calloc(n ? n : 1, sizeof *ix->pfx);
    ix->post = vg_calloc(n ? n : 1, sizeof *ix->post);
    if (!ix->pfx || !ix->post) goto out;
    size_t first6 = 0;
    for (size_t i = 0; i < n; i++) {
        const struct intel_atom *a = &atoms[i];
        bool same = i && atoms[i - 1].v6 == a->v6 && atoms[i - 1].plen == a->plen && !memcmp(atoms[i - 1].ip, a->ip, 16);
        if (!same) {
            struct intel_pfx *p = &ix->pfx[ix->npfx++];
            int bits = a->v6 ? 128 : 32;
            p->v6 = a->v6;
            p->plen = a->plen;
            p->lo = ip_to_u128(a->ip, a->v6 ? 16 : 4);
            vg_u128 hostmask = a->plen >= bits ? 0 : (((vg_u128)1 << (bits - a->plen)) - 1);
            p->hi = p->lo | hostmask;
            p->post = (uint32_t)ix->npost;
            if (!a->v6) first6 = ix->npfx;
        }
        struct intel_pfx *p = &ix->pfx[ix->npfx - 1];
        if (a->ind != UINT32_MAX && (!p->npost || ix->post[ix->npost - 1] != a->ind)) {
            ix->post[ix->npost++] = a->ind;
            p->npost++;
        }
    }
    /* IPv4 */
    if ((rc = flatten(ix->pfx, 0, first6, (vg_u128)UINT32_MAX, &e, &ne)) != 0) goto out;
    rc = VG_ENOMEM;
    ix->iv4 = vg_malloc((ne ? ne : 1) * sizeof *ix->iv4);
    if (!ix->iv4) goto out;
    for (size_t i = 0; i < ne; i++) ix->iv4[i] = (struct intel_iv4){(uint32_t)e[i].pos, e[i].owner};
    ix->n4 = ne;
    /* idx4[k] = first interval whose start >= k<<16 (only when there are intervals) */
    if (ne && !(ix->idx4 = vg_calloc(65537, sizeof *ix->idx4))) goto out;
    size_t j = 0;
    for (uint32_t k = 0; ne && k <= 65536; k++) {
        uint64_t base = (uint64_t)k << 16;
        while (j < ne && (uint64_t)ix->iv4[j].start < base) j++;
        ix->idx4[k] = (uint32_t)j;
    }
    vg_free(e);
    e = NULL;
    /* IPv6 */
    if ((rc = flatten(ix->pfx, first6, ix->npfx, ~(vg_u128)0, &e, &ne)) != 0) goto out;
    rc = VG_ENOMEM;
    ix->s6 = vg_malloc((ne ? ne : 1) * sizeof *ix->s6);
    ix->o6 = vg_malloc((ne ? ne : 1) * sizeof *ix->o6);
    if (!ix->s6 || !ix->o6) goto out;
    for (size_t i = 0; i < ne; i++) { ix->s6[i] = e[i].pos; ix->o6[i] = e[i].owner; }
    ix->n6 = ne;
    rc = 0;
out:
    vg_free(e);
    if (rc) intel_ipidx_free(ix);
    return rc;
}

void intel_ipidx_free(struct intel_ipidx *ix)
{
    vg_free(ix->pfx);
    vg_free(ix->post);
    vg_free(ix->iv4);
    vg_free(ix->idx4);
    vg_free(ix->s6);
    vg_free(ix->o6);
    memset(ix, 0, sizeof *ix);
}

int32_t intel_ipidx_lookup(const struct intel_ipidx *ix, const uint8_t *addr, int alen)
{
    if (alen == 4) {
        if (!ix->n4) return -1;
        uint32_t a = (uint32_t)addr[0] << 24 | (uint32_t)addr[1] << 16 | (uint32_t)addr[2] << 8 | addr[3];
        /* the interval containing a starts at or before a: search [idx4[hi16] , idx4[hi16+1]) and
         * fall back to the interval before the bucket */
        uint32_t k = a >> 16;
        size_t lo = ix->idx4[k], hi = ix->idx4[k + 1];
        /* last index in [lo,hi) with s4 <= a */
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (ix->iv4[mid].start <= a) lo = mid + 1;
            else hi = mid;
        }
        if (lo == 0) return -1;
        return ix->iv4[lo - 1].owner;
    }
    if (alen != 16 || !ix->n6) return -1;
    vg_u128 a = ip_to_u128(addr, 16);
    size_t lo = 0, hi = ix->n6;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ix->s6[mid] <= a) lo = mid + 1;
        else hi = mid;
    }
    if (lo == 0) return -1;
    return ix->o6[lo - 1];
}

/* ---- normalisation ------------------------------------------------------ */

int intel_parse_cidr(const char *s, size_t len, uint8_t ip[16], uint8_t *v6, uint8_t *plen)
{
    const char *slash = memchr(s, '/', len);
    size_t alen = slash ? (size_t)(slash - s) : len;
    uint8_t buf[16] = {0};
    int n = vg_ip_parse(s, alen, buf);
    if (n != 4 && n != 16) return VG_EINVAL;
    int bits = n * 8, pl = bits;
    if (slash) {
        int64_t v;
        size_t rest = len - alen - 1;
        if (rest == 0 || rest > 3 || vg_parse_i64(slash + 1, rest, &v) != 0 || v < 0 || v > bits) return VG_EINVAL;
        pl = (int)v;
    }
    /* IPv4-mapped IPv6 addresses are treated as IPv4 */
    if (n == 16 && !memcmp(buf, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) && pl >= 96) {
        memmove(buf, buf + 12, 4);
        memset(buf + 4, 0, 12);
        n = 4;
        pl -= 96;
    }
    for (int i = 0; i < 16; i++) {
        int keep = pl - i * 8;
        if (keep >= 8) continue;
        buf[i] = keep <= 0 ? 0 : (uint8_t)(buf[i] & (0xFF << (8 - keep)));
    }
    memcpy(ip, buf, 16);
    *v6 = n == 16;
    *plen = (uint8_t)pl;
    return 0;
}

size_t intel_norm_domain(const char *s, size_t len, char *out, size_t outsz)
{
    while (len && s[len - 1] == '.') len--;
    if (!len || len > 253 || len >= outsz) return 0;
    size_t lab = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = lc((unsigned char)s[i]);
        if (c == '.') {
            if (!lab) return 0;
            lab = 0;
        } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '*') {
            if (++lab > 63) return 0;
        } else {
            return 0;
        }
        out[i] = (char)c;
    }
    if (!lab) return 0;
    out[len] = 0;
    return len;
}

static bool all_hex(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = lc((unsigned char)s[i]);
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    }
    return true;
}

int intel_detect_type(const char *s, size_t len)
{
    if (!len || len > INTEL_MAX_VALUE) return -1;
    uint8_t ip[16], v6, pl;
    if (intel_parse_cidr(s, len, ip, &v6, &pl) == 0) return VG_INTEL_IP;
    if (all_hex(s, len)) {
        switch (len) {
        case 32: return VG_INTEL_MD5;
        case 40: return VG_INTEL_SHA1;
        case 64: return VG_INTEL_SHA256;
        case 128: return VG_INTEL_SHA512;
        default: break;
        }
    }
    for (size_t i = 0; i + 2 < len; i++)
        if (s[i] == ':' && s[i + 1] == '/' && s[i + 2] == '/') return VG_INTEL_URL;
    const char *at = memchr(s, '@', len);
    char tmp[256];
    if (at && at != s && intel_norm_domain(at + 1, len - (size_t)(at - s) - 1, tmp, sizeof tmp)) return VG_INTEL_EMAIL;
    if (memchr(s, '.', len) && intel_norm_domain(s, len, tmp, sizeof tmp)) return VG_INTEL_DOMAIN;
    return -1;
}
