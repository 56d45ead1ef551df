/* Event blocks: the compact on-disk encoding of many events in one SQLite
 * row (docs/internals/store.md). The builder encodes events with per-block
 * dictionaries for field names and origin strings, string values that point
 * into the raw text as (offset, length), varint/zigzag integers, and
 * compresses the block with zstd; it also fills a small bloom filter of
 * field-name and field=value keys used to skip blocks at search time. The
 * decoder validates every length and index, since stored blocks are input
 * too (fuzz/fuzz_block.c). */
#include "internal.h"

#define MAGIC0 'V'
#define MAGIC1 'B'
#define VERSION 1
#define CODEC_RAW 0
#define CODEC_ZSTD 1
#define FID_SPACE 65536u
#define DICT_SLOTS 8192u
#define BLOOM_BITS (1u << VG__BLOOM_MAX_LOG2)
#define T_RAWREF 0x80     /* type byte flag: STR/IP value is (offset, len) into raw */

/* ---- zstd through vg_malloc ------------------------------------------- */
static void *zalloc(void *opaque, size_t n) { (void)opaque; return vg_malloc(n); }
static void zfree(void *opaque, void *p) { (void)opaque; vg_free(p); }
static const ZSTD_customMem zmem = {zalloc, zfree, NULL};
ZSTD_CCtx *vg__zstd_cctx_new(void) { return ZSTD_createCCtx_advanced(zmem); }
ZSTD_DCtx *vg__zstd_dctx_new(void) { return ZSTD_createDCtx_advanced(zmem); }

/* ---- hashing ---------------------------------------------------------- */
/* Lowercases the ASCII capitals of 8 bytes at once (SWAR). */
static inline uint64_t lower8(uint64_t x)
{
    const uint64_t ones = 0x0101010101010101ull;
    uint64_t hept = x & (0x7f * ones);
    uint64_t gt_z = hept + (0x7f - 'Z') * ones;
    uint64_t ge_a = hept + (0x80 - 'A') * ones;
    uint64_t upper = ~x & (ge_a ^ gt_z) & (0x80 * ones);
    return x | (upper >> 2);
}

static inline uint64_t mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}

uint64_t vg__hash_ci(const char *s, size_t n, uint64_t seed)
{
    uint64_t h = seed ^ (n * 0x9E3779B97F4A7C15ull);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        h = (h ^ lower8(w)) * 0xbf58476d1ce4e5b9ull;
        h ^= h >> 31;
    }
    if (i < n) {
        uint64_t w = 0;
        memcpy(&w, s + i, n - i);
        h = (h ^ lower8(w)) * 0x94d049bb133111ebull;
    }
    return mix(h);
}

uint64_t vg__key_exists(uint64_t name_hash) { return mix(name_hash ^ 0x45584953ull); }
uint64_t vg__key_value(uint64_t name_hash, uint64_t value_hash) { return mix(name_hash * 31 + value_hash); }

static inline uint32_t bloom_pos(uint64_t key, int i)
{
    uint32_t h1 = (uint32_t)key, h2 = (uint32_t)(key >> 32) | 1u;
    return (h1 + (uint32_t)i * h2) & (BLOOM_BITS - 1);
}

bool vg__bloom_test(const uint8_t *bloom, size_t n, uint64_t key)
{
    if (!bloom || n < 2) return true;
    unsigned lg = bloom[0];
    if (lg < 3 || lg > VG__BLOOM_MAX_LOG2 || n != 1 + ((size_t)1 << lg) / 8) return true;
    uint32_t mask = (1u << lg) - 1;
    for (int i = 0; i < 4; i++) {
        uint32_t p = bloom_pos(key, i) & mask;
        if (!(bloom[1 + p / 8] & (1u << (p % 8)))) return false;
    }
    return true;
}

/* ---- builder ------------------------------------------------------------ */
struct dict_slot {
    uint64_t h;
    uint32_t idx;
    uint32_t stamp;
};

struct vg__blk_builder {
    struct vg_buf body, hdr, out, strbuf;
    uint32_t *fid_stamp, *fid_idx;   /* fid -> local name index (valid when stamp matches) */
    uint64_t *fid_hash;              /* fid -> name hash (0 = not yet computed) */
    uint32_t stamp;
    uint32_t *names;                 /* local index -> fid */
    uint32_t nnames, names_cap;
    struct dict_slot *slots;
    uint32_t *str_off, *str_len;     /* dict entries in strbuf */
    uint32_t nstrs;
    const char *last_ptr[3];         /* host/collector/format of the previous event */
    uint32_t last_idx[3];
    uint8_t bloom[BLOOM_BITS / 8 + 1];
    uint32_t bloom_keys;
    uint32_t count;
    int64_t ts_base, ts_min, ts_max;
    size_t raw_bytes;
};

int vg__blk_builder_new(struct vg__blk_builder **out)
{
    struct vg__blk_builder *b = vg_calloc(1, sizeof *b);
    if (!b) goto oom;
    b->fid_stamp = vg_calloc(FID_SPACE, sizeof *b->fid_stamp);
    b->fid_idx = vg_calloc(FID_SPACE, sizeof *b->fid_idx);
    b->fid_hash = vg_calloc(FID_SPACE, sizeof *b->fid_hash);
    b->slots = vg_calloc(DICT_SLOTS, sizeof *b->slots);
    b->str_off = vg_calloc(VG__BLK_MAX_DICT, sizeof *b->str_off);
    b->str_len = vg_calloc(VG__BLK_MAX_DICT, sizeof *b->str_len);
    if (!b->fid_stamp || !b->fid_idx || !b->fid_hash || !b->slots || !b->str_off || !b->str_len) goto oom;
    b->body.cap_limit = b->out.cap_limit = b->hdr.cap_limit = VG__BLK_MAX_USIZE;
    vg__blk_builder_reset(b);
    *out = b;
    return 0;
oom:
    vg__blk_builder_free(b);
    *out = NULL;
    return VG_ENOMEM;
}

void vg__blk_builder_free(struct vg__blk_builder *b)
{
    if (!b) return;
    vg_buf_release(&b->body);
    vg_buf_release(&b->hdr);
    vg_buf_release(&b->out);
    vg_buf_release(&b->strbuf);
    vg_free(b->fid_stamp);
    vg_free(b->fid_idx);
    vg_free(b->fid_hash);
    vg_free(b->names);
    vg_free(b->slots);
    vg_free(b->str_off);
    vg_free(b->str_len);
    vg_free(b);
}

void vg__blk_builder_reset(struct vg__blk_builder *b)
{
    vg_buf_reset(&b->body);
    vg_buf_reset(&b->strbuf);
    if (++b->stamp == 0) { /* wrapped: clear the stamps */
        memset(b->fid_stamp, 0, FID_SPACE * sizeof *b->fid_stamp);
        for (uint32_t i = 0; i < DICT_SLOTS; i++) b->slots[i].stamp = 0;
        b->stamp = 1;
    }
    b->nnames = b->nstrs = 0;
    memset(b->last_ptr, 0, sizeof b->last_ptr);
    memset(b->bloom, 0, sizeof b->bloom);
    b->bloom_keys = 0;
    b->count = 0;
    b->ts_base = b->ts_min = b->ts_max = 0;
    b->raw_bytes = 0;
}

bool vg__blk_full(const struct vg__blk_builder *b)
{
    return b->count >= VG__BLK_MAX_EVENTS || b->body.len >= VG__BLK_MAX_BYTES || b->nstrs + 3 > VG__BLK_MAX_DICT;
}

uint32_t vg__blk_count(const struct vg__blk_builder *b) { return b->count; }

static inline int put_varint(struct vg_buf *o, uint64_t v)
{
    if (VG_UNLIKELY(o->alloc - o->len < 11) && vg_buf_reserve(o, 10)) return VG_ETOOBIG;
    uint8_t *p = (uint8_t *)o->data + o->len;
    size_t n = 0;
    while (v >= 0x80) { p[n++] = (uint8_t)(v | 0x80); v >>= 7; }
    p[n++] = (uint8_t)v;
    o->len += n;
    o->data[o->len] = 0;
    return 0;
}

static inline int put_bytes(struct vg_buf *o, const void *p, size_t n)
{
    int rc = put_varint(o, n);
    return rc ? rc : vg_buf_add(o, p, n);
}

static void bloom_add(struct vg__blk_builder *b, uint64_t key)
{
    bool fresh = false;
    for (int i = 0; i < 4; i++) {
        uint32_t p = bloom_pos(key, i);
        uint8_t m = (uint8_t)(1u << (p % 8));
        if (!(b->bloom[p / 8] & m)) { b->bloom[p / 8] |= m; fresh = true; }
    }
    b->bloom_keys += fresh;
}

static int dict_lookup(struct vg__blk_builder *b, const char *s, uint32_t *out);

/* Dictionary index of an origin string, +1 (0 encodes NULL). role picks
 * the one-entry pointer cache (collector/format strings are usually the
 * same static string for a whole batch). */
static int dict_idx(struct vg__blk_builder *b, int role, const char *s, uint32_t *out)
{
    if (!s) { *out = 0; return 0; }
    if (s == b->last_ptr[role]) { *out = b->last_idx[role]; return 0; }
    int rc = dict_lookup(b, s, out);
    if (rc == 0) { b->last_ptr[role] = s; b->last_idx[role] = *out; }
    return rc;
}

static int dict_lookup(struct vg__blk_builder *b, const char *s, uint32_t *out)
{
    size_t n = strnlen(s, VG__EV_MAX_STR + 1);
    if (n > VG__EV_MAX_STR) return VG_ETOOBIG;
    uint64_t h = vg__hash_ci(s, n, 0x64696374ull);
    uint32_t i = (uint32_t)h & (DICT_SLOTS - 1);
    for (;;) {
        struct dict_slot *sl = &b->slots[i];
        if (sl->stamp != b->stamp) break;
        if (sl->h == h && b->str_len[sl->idx] == n && memcmp(b->strbuf.data + b->str_off[sl->idx], s, n) == 0) {
            *out = sl->idx + 1;
            return 0;
        }
        i = (i + 1) & (DICT_SLOTS - 1);
    }
    if (b->nstrs >= VG__BLK_MAX_DICT) return VG_ETOOBIG;
    uint32_t idx = b->nstrs++;
    b->str_off[idx] = (uint32_t)b->strbuf.len;
    b->str_len[idx] = (uint32_t)n;
    if (vg_buf_add(&b->strbuf, s, n)) { b->nstrs--; return VG_ENOMEM; }
    b->slots[i].stamp = b->stamp;
    b->slots[i].h = h;
    b->slots[i].idx = idx;
    *out = idx + 1;
    return 0;
}

static int name_idx(struct vg__blk_builder *b, uint32_t fid, uint32_t *out, uint64_t *hash)
{
    if (fid >= FID_SPACE) return VG_EINVAL;
    if (b->fid_stamp[fid] == b->stamp) {
        *out = b->fid_idx[fid];
        *hash = b->fid_hash[fid];
        return 0;
    }
    size_t nl;
    const char *nm = vg_fid_name(fid, &nl);
    if (!nm) return VG_EINVAL;
    if (b->nnames == b->names_cap) {
        uint32_t nc = b->names_cap ? b->names_cap * 2 : 64;
        uint32_t *nn = vg_realloc(b->names, nc * sizeof *nn);
        if (!nn) return VG_ENOMEM;
        b->names = nn;
        b->names_cap = nc;
    }
    if (!b->fid_hash[fid]) b->fid_hash[fid] = vg__hash_ci(nm, nl, VG__NAME_SEED) | 1;
    b->names[b->nnames] = fid;
    b->fid_idx[fid] = b->nnames++;
    b->fid_stamp[fid] = b->stamp;
    bloom_add(b, vg__key_exists(b->fid_hash[fid]));
    *out = b->fid_idx[fid];
    *hash = b->fid_hash[fid];
    return 0;
}

/* Decimal text of an integer without snprintf (hot path). */
static size_t i64_text(int64_t v, char *buf)
{
    char tmp[24];
    size_t n = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do { tmp[n++] = (char)('0' + u % 10); u /= 10; } while (u);
    size_t o = 0;
    if (v < 0) buf[o++] = '-';
    while (n) buf[o++] = tmp[--n];
    buf[o] = 0;
    return o;
}

static size_t float_text(double f, char *buf, size_t sz)
{
    int n = snprintf(buf, sz, "%.17g", f);
    return n < 0 ? 0 : (size_t)n < sz ? (size_t)n : sz - 1;
}

int vg__blk_add(struct vg__blk_builder *b, const struct vg_event *ev)
{
    struct vg_buf *o = &b->body;
    size_t mark = o->len;
    uint32_t nmark = b->nnames, smark = b->nstrs;
    int rc = 0;
    if (ev->raw_len > VG__EV_MAX_RAW || ev->nfields > 4096) return VG_ETOOBIG;
    uint32_t hi, ci, fi;
    if ((rc = dict_idx(b, 0, ev->host, &hi)) || (rc = dict_idx(b, 1, ev->collector, &ci)) || (rc = dict_idx(b, 2, ev->format, &fi)))
        goto fail;
    if (b->count == 0) b->ts_base = b->ts_min = b->ts_max = ev->ts;
    if ((rc = vg_buf_add(o, ev->id, 16))) goto fail;
    rc = put_varint(o, vg__zz((int64_t)((uint64_t)ev->ts - (uint64_t)b->ts_base)));
    if (!rc) rc = put_varint(o, vg__zz((int64_t)((uint64_t)ev->recv_ts - (uint64_t)ev->ts)));
    if (!rc) rc = put_varint(o, hi);
    if (!rc) rc = put_varint(o, ci);
    if (!rc) rc = put_varint(o, fi);
    if (!rc) rc = put_varint(o, ev->flags);
    if (!rc) rc = put_varint(o, ev->seq);
    if (!rc) rc = put_bytes(o, ev->raw ? ev->raw : "", ev->raw_len);
    if (!rc) rc = put_varint(o, ev->nfields);
    if (rc) goto fail;
    uintptr_t r0 = (uintptr_t)ev->raw, r1 = r0 + ev->raw_len;
    for (uint32_t i = 0; i < ev->nfields; i++) {
        const struct vg_field *f = &ev->fields[i];
        uint32_t ni;
        uint64_t nh;
        if ((rc = name_idx(b, f->name, &ni, &nh))) goto fail;
        uint8_t type = f->v.type;
        if (type > VG_V_LIST) type = VG_V_NULL;
        uint8_t tb = (uint8_t)(type | ((f->flags & 3u) << 4));
        char tmp[40];
        const char *txt = NULL;
        size_t tl = 0;
        if ((rc = put_varint(o, ni))) goto fail;
        switch (type) {
        case VG_V_STR:
        case VG_V_IP: {
            uintptr_t p = (uintptr_t)f->v.u.s;
            txt = f->v.u.s ? f->v.u.s : "";
            tl = f->v.len;
            if (r0 && f->v.u.s && p >= r0 && p + f->v.len <= r1) {
                rc = vg_buf_addc(o, (char)(tb | T_RAWREF));
                if (!rc) rc = put_varint(o, p - r0);
                if (!rc) rc = put_varint(o, f->v.len);
            } else {
                rc = vg_buf_addc(o, (char)tb);
                if (!rc) rc = put_bytes(o, txt, tl);
            }
            break;
        }
        case VG_V_INT:
            rc = vg_buf_addc(o, (char)tb);
            if (!rc) rc = put_varint(o, vg__zz(f->v.u.i));
            tl = i64_text(f->v.u.i, tmp);
            txt = tmp;
            break;
        case VG_V_FLOAT: {
            rc = vg_buf_addc(o, (char)tb);
            uint64_t bits;
            memcpy(&bits, &f->v.u.f, 8);
            uint8_t le[8];
            for (int k = 0; k < 8; k++) le[k] = (uint8_t)(bits >> (8 * k));
            if (!rc) rc = vg_buf_add(o, le, 8);
            tl = float_text(f->v.u.f, tmp, sizeof tmp);
            txt = tmp;
            break;
        }
        case VG_V_BOOL:
            rc = vg_buf_addc(o, (char)tb);
            if (!rc) rc = vg_buf_addc(o, f->v.u.b ? 1 : 0);
            txt = f->v.u.b ? "true" : "false";
            tl = strlen(txt);
            break;
        case VG_V_LIST:
            rc = vg_buf_addc(o, (char)tb);
            if (!rc) rc = put_varint(o, f->v.len);
            for (uint32_t k = 0; rc == 0 && k < f->v.len; k++) {
                const struct vg_str *it = &f->v.u.list[k];
                rc = put_bytes(o, it->s ? it->s : "", it->len);
                if (!rc) bloom_add(b, vg__key_value(nh, vg__hash_ci(it->s ? it->s : "", it->len, VG__VALUE_SEED)));
            }
            break;
        default:
            rc = vg_buf_addc(o, (char)tb);
            break;
        }
        if (rc) goto fail;
        if (txt) bloom_add(b, vg__key_value(nh, vg__hash_ci(txt, tl, VG__VALUE_SEED)));
    }
    b->count++;
    if (ev->ts < b->ts_min) b->ts_min = ev->ts;
    if (ev->ts > b->ts_max) b->ts_max = ev->ts;
    b->raw_bytes += ev->raw_len;
    return 0;
fail:
    /* Roll the block back to before this event (bloom bits may stay: false
     * positives only). New names/strings are forgotten by unstamping. */
    o->len = mark;
    if (o->data) o->data[mark] = 0;
    for (uint32_t k = nmark; k < b->nnames; k++) b->fid_stamp[b->names[k]] = 0;
    b->nnames = nmark;
    if (b->nstrs != smark) {
        for (uint32_t k = 0; k < DICT_SLOTS; k++)
            if (b->slots[k].stamp == b->stamp && b->slots[k].idx >= smark) b->slots[k].stamp = 0;
        b->strbuf.len = b->str_off[smark];
        b->nstrs = smark;
        memset(b->last_ptr, 0, sizeof b->last_ptr);
    }
    return rc == VG_ETOOBIG || rc == VG_EINVAL ? rc : VG_ENOMEM;
}

int vg__blk_finish(struct vg__blk_builder *b, ZSTD_CCtx *cctx, int level, const uint8_t **data, size_t *dlen,
                   const uint8_t **bloom, size_t *blen, int64_t *ts_min, int64_t *ts_max, size_t *raw_bytes)
{
    struct vg_buf *h = &b->hdr;
    vg_buf_reset(h);
    int rc = vg_buf_addc(h, MAGIC0);
    if (!rc) rc = vg_buf_addc(h, MAGIC1);
    if (!rc) rc = vg_buf_addc(h, VERSION);
    if (!rc) rc = put_varint(h, b->count);
    if (!rc) rc = put_varint(h, vg__zz(b->ts_base));
    if (!rc) rc = put_varint(h, b->nnames);
    for (uint32_t i = 0; rc == 0 && i < b->nnames; i++) {
        size_t nl;
        const char *nm = vg_fid_name(b->names[i], &nl);
        rc = put_bytes(h, nm, nl);
    }
    if (!rc) rc = put_varint(h, b->nstrs);
    for (uint32_t i = 0; rc == 0 && i < b->nstrs; i++) rc = put_bytes(h, b->strbuf.data + b->str_off[i], b->str_len[i]);
    if (!rc) rc = vg_buf_add(h, b->body.data ? b->body.data : "", b->body.len);
    if (rc) return rc == VG_ETOOBIG ? rc : VG_ENOMEM;
    /* compress */
    vg_buf_reset(&b->out);
    size_t bound = ZSTD_compressBound(h->len);
    if ((rc = vg_buf_reserve(&b->out, bound + 16))) return rc;
    uint8_t *o = (uint8_t *)b->out.data;
    size_t n = 0;
    size_t zs = cctx ? ZSTD_compressCCtx(cctx, o + 11, bound, h->data, h->len, level) : 0;
    if (cctx && !ZSTD_isError(zs) && zs + 11 < h->len) {
        o[n++] = CODEC_ZSTD;
        uint64_t v = h->len;
        uint8_t vb[10];
        size_t vl = 0;
        while (v >= 0x80) { vb[vl++] = (uint8_t)(v | 0x80); v >>= 7; }
        vb[vl++] = (uint8_t)v;
        memmove(o + 1 + vl, o + 11, zs);
        memcpy(o + 1, vb, vl);
        n = 1 + vl + zs;
    } else {
        o[n++] = CODEC_RAW;
        memcpy(o + 1, h->data, h->len);
        n = 1 + h->len;
    }
    b->out.len = n;
    /* fold the bloom down to ~10 bits per distinct key */
    unsigned lg = VG__BLOOM_MAX_LOG2;
    while (lg > VG__BLOOM_MIN_LOG2 && ((size_t)1 << (lg - 1)) >= (size_t)b->bloom_keys * 10) {
        size_t half = ((size_t)1 << (lg - 1)) / 8;
        for (size_t i = 0; i < half; i++) b->bloom[i] |= b->bloom[half + i];
        lg--;
    }
    /* serialised form: [lg][bits]; reuse the tail of the array */
    memmove(b->bloom + 1, b->bloom, ((size_t)1 << lg) / 8);
    b->bloom[0] = (uint8_t)lg;
    *data = o;
    *dlen = n;
    *bloom = b->bloom;
    *blen = 1 + ((size_t)1 << lg) / 8;
    *ts_min = b->ts_min;
    *ts_max = b->ts_max;
    *raw_bytes = b->raw_bytes;
    return 0;
}

/* ---- decoder ------------------------------------------------------------ */
struct rd {
    const uint8_t *p, *end;
};

static inline bool rd_varint(struct rd *r, uint64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (r->p >= r->end) return false;
        uint8_t c = *r->p++;
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            if (shift == 63 && c > 1) return false;
            *out = v;
            return true;
        }
    }
    return false;
}

static inline bool rd_u32(struct rd *r, uint32_t *out, uint64_t max)
{
    uint64_t v;
    if (!rd_varint(r, &v) || v > max) return false;
    *out = (uint32_t)v;
    return true;
}

static inline bool rd_bytes(struct rd *r, const char **s, uint32_t *len)
{
    uint64_t n;
    if (!rd_varint(r, &n) || n > (uint64_t)(r->end - r->p)) return false;
    *s = (const char *)r->p;
    *len = (uint32_t)n;
    r->p += n;
    return true;
}

static int grow(void **arr, uint32_t *cap, uint32_t need, size_t elem)
{
    if (need <= *cap) return 0;
    uint32_t nc = *cap ? *cap : 16;
    while (nc < need) nc *= 2;
    void *p = vg_realloc(*arr, (size_t)nc * elem);
    if (!p) return VG_ENOMEM;
    *arr = p;
    *cap = nc;
    return 0;
}

void vg__dblock_release(struct vg__dblock *d)
{
    if (!d) return;
    vg_free(d->buf);
    vg_free(d->names);
    vg_free(d->strs);
    vg_free(d->ev);
    vg_free(d->fields);
    memset(d, 0, sizeof *d);
}

int vg__blk_decode(struct vg__dblock *d, const uint8_t *blob, size_t n, ZSTD_DCtx *dctx)
{
    static uint64_t serial_counter;
    d->nev = d->nnames = d->nstrs = d->nfields = 0;
    d->serial = __atomic_add_fetch(&serial_counter, 1, __ATOMIC_RELAXED);
    if (!blob || n < 1) return VG_EFORMAT;
    struct rd r = {blob + 1, blob + n};
    const uint8_t *body;
    size_t blen;
    if (blob[0] == CODEC_ZSTD) {
        uint64_t us;
        if (!rd_varint(&r, &us)) return VG_EFORMAT;
        if (us > VG__BLK_MAX_USIZE) return VG_ETOOBIG;
        unsigned long long fs = ZSTD_getFrameContentSize(r.p, (size_t)(r.end - r.p));
        if (fs != ZSTD_CONTENTSIZE_UNKNOWN && fs != us) return VG_EFORMAT;
        if (us + 1 > d->buf_cap) {
            uint8_t *nb = vg_realloc(d->buf, (size_t)us + 1);
            if (!nb) return VG_ENOMEM;
            d->buf = nb;
            d->buf_cap = (size_t)us + 1;
        }
        ZSTD_DCtx *own = NULL;
        if (!dctx && !(dctx = own = vg__zstd_dctx_new())) return VG_ENOMEM;
        size_t got = ZSTD_decompressDCtx(dctx, d->buf, (size_t)us, r.p, (size_t)(r.end - r.p));
        if (own) ZSTD_freeDCtx(own);
        if (ZSTD_isError(got)) return ZSTD_getErrorCode(got) == ZSTD_error_memory_allocation ? VG_ENOMEM : VG_EFORMAT;
        if (got != us) return VG_EFORMAT;
        body = d->buf;
        blen = (size_t)us;
    } else if (blob[0] == CODEC_RAW) {
        /* copy: decoded pointers must outlive the caller's blob */
        blen = n - 1;
        if (blen > VG__BLK_MAX_USIZE) return VG_ETOOBIG;
        if (blen + 1 > d->buf_cap) {
            uint8_t *nb = vg_realloc(d->buf, blen + 1);
            if (!nb) return VG_ENOMEM;
            d->buf = nb;
            d->buf_cap = blen + 1;
        }
        memcpy(d->buf, blob + 1, blen);
        body = d->buf;
    } else {
        return VG_EFORMAT;
    }
    r.p = body;
    r.end = body + blen;
    if (blen < 3 || body[0] != MAGIC0 || body[1] != MAGIC1 || body[2] != VERSION) return VG_EFORMAT;
    r.p += 3;
    uint32_t count, nn, ns;
    uint64_t zb;
    if (!rd_u32(&r, &count, VG__BLK_MAX_EVENTS * 16u) || !rd_varint(&r, &zb)) return VG_EFORMAT;
    int64_t base = vg__unzz(zb);
    if (!rd_u32(&r, &nn, VG__BLK_MAX_NAMES) || nn > (size_t)(r.end - r.p)) return VG_EFORMAT;
    if (grow((void **)&d->names, &d->names_cap, nn, sizeof *d->names)) return VG_ENOMEM;
    for (uint32_t i = 0; i < nn; i++) {
        if (!rd_bytes(&r, &d->names[i].s, &d->names[i].len) || d->names[i].len == 0 || d->names[i].len > 255)
            return VG_EFORMAT;
    }
    d->nnames = nn;
    if (!rd_u32(&r, &ns, VG__BLK_MAX_DICT) || ns > (size_t)(r.end - r.p)) return VG_EFORMAT;
    if (grow((void **)&d->strs, &d->strs_cap, ns, sizeof *d->strs)) return VG_ENOMEM;
    for (uint32_t i = 0; i < ns; i++)
        if (!rd_bytes(&r, &d->strs[i].s, &d->strs[i].len)) return VG_EFORMAT;
    d->nstrs = ns;
    /* every event takes at least 16 + 9 bytes */
    if ((uint64_t)count * 25 > (uint64_t)(r.end - r.p)) return VG_EFORMAT;
    if (grow((void **)&d->ev, &d->ev_cap, count, sizeof *d->ev)) return VG_ENOMEM;
    for (uint32_t e = 0; e < count; e++) {
        struct vg__devent *ev = &d->ev[e];
        uint64_t v;
        if ((size_t)(r.end - r.p) < 16) return VG_EFORMAT;
        ev->id = r.p;
        r.p += 16;
        if (!rd_varint(&r, &v)) return VG_EFORMAT;
        ev->ts = (int64_t)((uint64_t)base + (uint64_t)vg__unzz(v));
        if (!rd_varint(&r, &v)) return VG_EFORMAT;
        ev->recv_ts = (int64_t)((uint64_t)ev->ts + (uint64_t)vg__unzz(v));
        uint32_t hi, ci, fi, nf;
        if (!rd_u32(&r, &hi, ns) || !rd_u32(&r, &ci, ns) || !rd_u32(&r, &fi, ns)) return VG_EFORMAT;
        ev->host = (int32_t)hi - 1;
        ev->coll = (int32_t)ci - 1;
        ev->fmt = (int32_t)fi - 1;
        if (!rd_u32(&r, &ev->flags, UINT32_MAX) || !rd_varint(&r, &ev->seq)) return VG_EFORMAT;
        if (!rd_bytes(&r, &ev->raw, &ev->raw_len)) return VG_EFORMAT;
        if (!rd_u32(&r, &nf, 4096) || nf * 2u > (size_t)(r.end - r.p)) return VG_EFORMAT;
        ev->f0 = d->nfields;
        ev->nf = nf;
        ev->blk = d;
        if (grow((void **)&d->fields, &d->fields_cap, d->nfields + nf, sizeof *d->fields)) return VG_ENOMEM;
        for (uint32_t k = 0; k < nf; k++) {
            struct vg__dfield *f = &d->fields[d->nfields + k];
            if (!rd_u32(&r, &f->name, nn ? nn - 1 : 0) || nn == 0 || r.p >= r.end) return VG_EFORMAT;
            uint8_t tb = *r.p++;
            f->type = tb & 0x0f;
            f->flags = (tb >> 4) & 3;
            f->len = 0;
            switch (f->type) {
            case VG_V_NULL: break;
            case VG_V_STR:
            case VG_V_IP:
                if (tb & T_RAWREF) {
                    uint64_t off, len;
                    if (!rd_varint(&r, &off) || !rd_varint(&r, &len) || off > ev->raw_len || len > ev->raw_len - off)
                        return VG_EFORMAT;
                    f->u.s = ev->raw + off;
                    f->len = (uint32_t)len;
                } else if (!rd_bytes(&r, &f->u.s, &f->len)) {
                    return VG_EFORMAT;
                }
                break;
            case VG_V_INT:
                if (!rd_varint(&r, &v)) return VG_EFORMAT;
                f->u.i = vg__unzz(v);
                break;
            case VG_V_FLOAT: {
                if ((size_t)(r.end - r.p) < 8) return VG_EFORMAT;
                uint64_t bits = 0;
                for (int q = 0; q < 8; q++) bits |= (uint64_t)r.p[q] << (8 * q);
                memcpy(&f->u.f, &bits, 8);
                r.p += 8;
                break;
            }
            case VG_V_BOOL:
                if (r.p >= r.end || *r.p > 1) return VG_EFORMAT;
                f->u.b = *r.p++ != 0;
                break;
            case VG_V_LIST: {
                uint32_t cnt;
                if (!rd_u32(&r, &cnt, (uint64_t)(r.end - r.p))) return VG_EFORMAT;
                f->u.list = r.p;
                f->len = cnt;
                for (uint32_t q = 0; q < cnt; q++) {
                    const char *s;
                    uint32_t l;
                    if (!rd_bytes(&r, &s, &l)) return VG_EFORMAT;
                }
                break;
            }
            default: return VG_EFORMAT;
            }
            if ((tb & T_RAWREF) && f->type != VG_V_STR && f->type != VG_V_IP) return VG_EFORMAT;
        }
        d->nfields += nf;
    }
    if (r.p != r.end) return VG_EFORMAT;
    d->nev = count;
    return 0;
}

bool vg__dlist_next(const struct vg__dfield *f, uint32_t *i, const uint8_t **pos, const char **s, uint32_t *len)
{
    if (*i >= f->len) return false;
    if (*i == 0) *pos = f->u.list;
    /* entries were validated by vg__blk_decode, so no end bound is needed */
    const uint8_t *p = *pos;
    uint64_t n = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        uint8_t c = *p++;
        n |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) break;
    }
    *s = (const char *)p;
    *len = (uint32_t)n;
    *pos = p + n;
    (*i)++;
    return true;
}

const char *vg__dvalue_text(const struct vg__dfield *f, char *buf, size_t bufsz, size_t *len)
{
    switch (f->type) {
    case VG_V_STR:
    case VG_V_IP: *len = f->len; return f->u.s;
    case VG_V_INT: *len = i64_text(f->u.i, buf); return buf;
    case VG_V_FLOAT: *len = float_text(f->u.f, buf, bufsz); return buf;
    case VG_V_BOOL: *len = (size_t)snprintf(buf, bufsz, "%s", f->u.b ? "true" : "false"); return buf;
    case VG_V_LIST: {
        uint32_t i = 0;
        const uint8_t *pos = NULL;
        const char *s;
        uint32_t l;
        if (vg__dlist_next(f, &i, &pos, &s, &l)) { *len = l; return s; }
        break;
    }
    default: break;
    }
    *len = 0;
    buf[0] = 0;
    return buf;
}

static int add_str_or_dict(struct vg_buf *out, const char *key, const struct vg__dblock *d, int32_t idx)
{
    if (idx < 0) return 0;
    int rc = vg_buf_adds(out, key);
    return rc ? rc : vg_buf_add_json_str(out, d->strs[idx].s, d->strs[idx].len);
}

int vg__devent_json(const struct vg__devent *e, const char *tenant, struct vg_buf *out)
{
    const struct vg__dblock *d = e->blk;
    char idhex[33], ts[48];
    vg_hex(e->id, 16, idhex);
    vg_time_format(e->ts, ts, sizeof ts, 9);
    if (!tenant) tenant = "default";
    int rc = vg_buf_addf(out, "{\"event.id\":\"%s\",\"@timestamp\":\"%s\",\"tenant\":", idhex, ts);
    if (!rc) rc = vg_buf_add_json_str(out, tenant, strlen(tenant));
    if (!rc) rc = add_str_or_dict(out, ",\"vigil.origin\":", d, e->host);
    if (!rc) rc = add_str_or_dict(out, ",\"vigil.collector\":", d, e->coll);
    if (!rc) rc = add_str_or_dict(out, ",\"vigil.format\":", d, e->fmt);
    if (!rc && (e->flags & VG_EV_DECODE_FAILED)) rc = vg_buf_adds(out, ",\"vigil.decode_failed\":true");
    if (!rc) rc = vg_buf_adds(out, ",\"event.original\":");
    if (!rc) rc = vg_buf_add_json_str(out, e->raw, e->raw_len);
    for (uint32_t i = 0; rc == 0 && i < e->nf; i++) {
        const struct vg__dfield *f = &d->fields[e->f0 + i];
        const struct vg__dstr *nm = &d->names[f->name];
        if (nm->len == 10 && memcmp(nm->s, "@timestamp", 10) == 0) continue;
        rc = vg_buf_addc(out, ',');
        if (!rc) rc = vg_buf_add_json_str(out, nm->s, nm->len);
        if (!rc) rc = vg_buf_addc(out, ':');
        if (rc) break;
        switch (f->type) {
        case VG_V_STR:
        case VG_V_IP: rc = vg_buf_add_json_str(out, f->u.s, f->len); break;
        case VG_V_INT: rc = vg_buf_addf(out, "%lld", (long long)f->u.i); break;
        case VG_V_FLOAT:
            if (f->u.f != f->u.f || f->u.f > 1.7e308 || f->u.f < -1.7e308) rc = vg_buf_adds(out, "null");
            else rc = vg_buf_addf(out, "%.17g", f->u.f);
            break;
        case VG_V_BOOL: rc = vg_buf_adds(out, f->u.b ? "true" : "false"); break;
        case VG_V_LIST: {
            rc = vg_buf_addc(out, '[');
            uint32_t k = 0;
            const uint8_t *pos = NULL;
            const char *s;
            uint32_t l;
            bool first = true;
            while (rc == 0 && vg__dlist_next(f, &k, &pos, &s, &l)) {
                if (!first) rc = vg_buf_addc(out, ',');
                first = false;
                if (!rc) rc = vg_buf_add_json_str(out, s, l);
            }
            if (!rc) rc = vg_buf_addc(out, ']');
            break;
        }
        default: rc = vg_buf_adds(out, "null"); break;
        }
    }
    return rc ? rc : vg_buf_addc(out, '}');
}
