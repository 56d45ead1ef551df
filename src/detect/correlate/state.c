/* Persistence of the correlation state: the watermark and every key's
 * window and suppression time, in a compact little-endian blob with a
 * magic, a version, the payload length and a checksum. Restore checks the
 * whole blob before touching the engine. Format in
 * docs/internals/correlation.md. Part of src/detect/correlate. */
#include "internal.h"
#include <math.h>

#define STATE_MAGIC "VGCS"
#define STATE_VERSION 1u
#define HDR_LEN 24u

static int put(struct vg_buf *b, const void *p, size_t n) { return vg_buf_add(b, p, n); }
static int put_u8(struct vg_buf *b, uint8_t v) { return put(b, &v, 1); }
static int put_u16(struct vg_buf *b, uint16_t v)
{
    uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    return put(b, x, 2);
}
static int put_u32(struct vg_buf *b, uint32_t v)
{
    uint8_t x[4];
    for (int i = 0; i < 4; i++) x[i] = (uint8_t)(v >> (8 * i));
    return put(b, x, 4);
}
static int put_u64(struct vg_buf *b, uint64_t v)
{
    uint8_t x[8];
    for (int i = 0; i < 8; i++) x[i] = (uint8_t)(v >> (8 * i));
    return put(b, x, 8);
}
static uint64_t dbits(double d)
{
    uint64_t u;
    memcpy(&u, &d, 8);
    return u;
}
static void store_u64(char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (char)(uint8_t)(v >> (8 * i));
}

int vg_corr_save(const struct vg_corr *c, struct vg_buf *out)
{
    size_t start = out->len;
    int rc = put(out, STATE_MAGIC, 4);
    if (!rc) rc = put_u32(out, STATE_VERSION);
    if (!rc) rc = put_u64(out, 0); /* payload length, patched below */
    if (!rc) rc = put_u64(out, 0); /* checksum, patched below */
    if (!rc) rc = put_u64(out, (uint64_t)c->watermark);
    if (!rc) rc = put_u32(out, (uint32_t)c->ndefs);
    for (size_t i = 0; !rc && i < c->ndefs; i++) {
        const struct vg__corr_def *cd = &c->defs[i];
        size_t l = strlen(cd->ident);
        if (l > UINT16_MAX) l = UINT16_MAX;
        rc = put_u16(out, (uint16_t)l);
        if (!rc) rc = put(out, cd->ident, l);
        if (!rc) rc = put_u8(out, (uint8_t)cd->d.type);
        if (!rc) rc = put_u32(out, (uint32_t)cd->d.nrules);
        if (!rc) rc = put_u64(out, (uint64_t)cd->d.timespan_ns);
    }
    if (!rc) rc = put_u64(out, c->nkeys);
    /* coldest first, so restoring each at the LRU front rebuilds the order */
    for (const struct vg__corr_key *k = c->lru_tail; !rc && k; k = k->lprev) {
        rc = put_u32(out, k->corr);
        if (!rc) rc = put_u32(out, k->klen);
        if (!rc) rc = put(out, k->k, k->klen);
        if (!rc) rc = put_u64(out, (uint64_t)k->newest);
        if (!rc) rc = put_u64(out, (uint64_t)k->suppress_until);
        if (!rc) rc = put_u32(out, k->n);
        for (uint32_t j = 0; !rc && j < k->n; j++) {
            const struct vg__corr_ent *e = &k->e[k->head + j];
            rc = put_u64(out, (uint64_t)e->ts);
            if (!rc) rc = put_u64(out, e->vh);
            if (!rc) rc = put_u64(out, dbits(e->num));
            if (!rc) rc = put_u32(out, e->rule);
        }
    }
    if (rc) {
        out->len = start;
        if (out->data) out->data[start] = 0;
        return rc;
    }
    size_t plen = out->len - start - HDR_LEN;
    store_u64(out->data + start + 8, plen);
    store_u64(out->data + start + 16, vg__corr_hash(out->data + start + HDR_LEN, plen, 0x5347));
    return 0;
}

/* ---- restore ------------------------------------------------------------ */

struct rd {
    const uint8_t *p;
    size_t n, pos;
    bool bad;
};

static bool need(struct rd *r, size_t n)
{
    if (r->bad || r->n - r->pos < n) {
        r->bad = true;
        return false;
    }
    return true;
}
static uint64_t get_n(struct rd *r, int bytes)
{
    if (!need(r, (size_t)bytes)) return 0;
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++) v |= (uint64_t)r->p[r->pos + (size_t)i] << (8 * i);
    r->pos += (size_t)bytes;
    return v;
}
static const uint8_t *get_bytes(struct rd *r, size_t n)
{
    if (!need(r, n)) return NULL;
    const uint8_t *p = r->p + r->pos;
    r->pos += n;
    return p;
}

struct cmap {
    int32_t idx;        /* engine correlation, -1 when gone */
    uint32_t nrules;
    uint8_t type;
};

#define ENT_LEN 28u

/* Walks the keys; when apply is false only checks, else inserts them. */
static int walk_keys(struct vg_corr *c, struct rd *r, const struct cmap *map, uint32_t ncorr, bool apply, struct vg_err *err)
{
    uint64_t nkeys = get_n(r, 8);
    if (r->bad || nkeys > (r->n - r->pos) / 28) return vg_err_set(err, VG_EFORMAT, "correlation state: bad key count");
    for (uint64_t i = 0; i < nkeys; i++) {
        uint32_t corr = (uint32_t)get_n(r, 4);
        uint32_t klen = (uint32_t)get_n(r, 4);
        if (r->bad || corr >= ncorr || klen > VG_CORR_MAX_KEY)
            return vg_err_set(err, VG_EFORMAT, "correlation state: bad key %llu header", (unsigned long long)i);
        const uint8_t *kb = get_bytes(r, klen);
        int64_t newest = (int64_t)get_n(r, 8);
        int64_t sup = (int64_t)get_n(r, 8);
        uint32_t n = (uint32_t)get_n(r, 4);
        if (r->bad || n > (1u << 24) || (uint64_t)n * ENT_LEN > r->n - r->pos)
            return vg_err_set(err, VG_EFORMAT, "correlation state: key %llu truncated", (unsigned long long)i);
        const struct cmap *m = &map[corr];
        struct vg__corr_key *k = NULL;
        if (apply && m->idx >= 0) {
            k = vg__corr_key_get(c, (uint32_t)m->idx, (const char *)kb, klen, true);
            if (!k) return VG_ENOMEM;
        }
        int64_t prev = INT64_MIN;
        for (uint32_t j = 0; j < n; j++) {
            struct vg__corr_ent e;
            e.ts = (int64_t)get_n(r, 8);
            e.vh = get_n(r, 8);
            uint64_t nb = get_n(r, 8);
            memcpy(&e.num, &nb, 8);
            e.rule = (uint32_t)get_n(r, 4);
            e.pad = 0;
            bool sumt = m->type == VG_CORR_VALUE_SUM || m->type == VG_CORR_VALUE_AVG;
            if (r->bad || e.rule >= m->nrules || e.ts < prev || e.ts > newest || (sumt && !isfinite(e.num)) ||
                (!isnan(e.num) && !isfinite(e.num)))
                return vg_err_set(err, VG_EFORMAT, "correlation state: bad entry %u of key %llu", j,
                                  (unsigned long long)i);
            prev = e.ts;
            if (k && vg__corr_insert(c, k, &e) < 0) return VG_ENOMEM;
        }
        if (k) {
            vg__corr_set_newest(c, k, newest);
            k->suppress_until = sup;
        }
        if (n && newest == INT64_MIN) return vg_err_set(err, VG_EFORMAT, "correlation state: key %llu without time", (unsigned long long)i);
    }
    if (r->pos != r->n) return vg_err_set(err, VG_EFORMAT, "correlation state: %zu trailing bytes", r->n - r->pos);
    return 0;
}

int vg_corr_restore(struct vg_corr *c, const void *blob, size_t len, struct vg_err *err)
{
    struct cmap *map = NULL;
    int rc = 0;
    const uint8_t *b = blob;
    if (!b || len < HDR_LEN || memcmp(b, STATE_MAGIC, 4) != 0)
        return vg_err_set(err, VG_EFORMAT, "correlation state: not a state blob");
    struct rd r = {b, len, 4, false};
    uint32_t ver = (uint32_t)get_n(&r, 4);
    uint64_t plen = get_n(&r, 8);
    uint64_t sum = get_n(&r, 8);
    if (ver != STATE_VERSION) return vg_err_set(err, VG_EFORMAT, "correlation state: version %u unsupported", ver);
    if (plen != len - HDR_LEN) return vg_err_set(err, VG_EFORMAT, "correlation state: length mismatch");
    if (vg__corr_hash(b + HDR_LEN, (size_t)plen, 0x5347) != sum)
        return vg_err_set(err, VG_EFORMAT, "correlation state: checksum mismatch");
    int64_t wm = (int64_t)get_n(&r, 8);
    uint32_t ncorr = (uint32_t)get_n(&r, 4);
    if (r.bad || ncorr > (len - r.pos) / 15) return vg_err_set(err, VG_EFORMAT, "correlation state: bad correlation count");
    map = vg_calloc(ncorr ? ncorr : 1, sizeof *map);
    if (!map) return vg_err_set(err, VG_ENOMEM, "out of memory");
    for (uint32_t i = 0; i < ncorr; i++) {
        size_t l = (size_t)get_n(&r, 2);
        const uint8_t *id = get_bytes(&r, l);
        map[i].type = (uint8_t)get_n(&r, 1);
        map[i].nrules = (uint32_t)get_n(&r, 4);
        int64_t ts = (int64_t)get_n(&r, 8);
        map[i].idx = -1;
        if (r.bad || map[i].type >= VG_CORR_NTYPES || map[i].nrules == 0 || map[i].nrules > VG_CORR_MAX_RULES) {
            rc = vg_err_set(err, VG_EFORMAT, "correlation state: bad correlation %u", i);
            goto out;
        }
        /* same identity, type, rules and timespan, else its keys are dropped */
        for (size_t j = 0; j < c->ndefs; j++) {
            const struct vg__corr_def *cd = &c->defs[j];
            if (strlen(cd->ident) == l && memcmp(cd->ident, id, l) == 0 && (uint8_t)cd->d.type == map[i].type &&
                cd->d.nrules == map[i].nrules && cd->d.timespan_ns == ts) {
                map[i].idx = (int32_t)j;
                break;
            }
        }
    }
    size_t keys_at = r.pos;
    rc = walk_keys(c, &r, map, ncorr, false, err);
    if (rc) goto out;
    vg__corr_clear(c);
    c->watermark = wm;
    c->fed = true;
    r.pos = keys_at;
    rc = walk_keys(c, &r, map, ncorr, true, err);
    if (rc) {
        vg__corr_clear(c); /* only VG_ENOMEM can get here: leave an empty, consistent state */
        rc = vg_err_set(err, rc, "correlation state: out of memory while restoring (state emptied)");
    }
out:
    vg_free(map);
    return rc;
}
