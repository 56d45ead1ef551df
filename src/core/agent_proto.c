/* Codec of the agent channel frames and payloads (include/vigil/
 * agent_proto.h). Lives in vg_core so that both vigil (server side) and
 * vigil-agent link it; it does no I/O and never reads beyond the bytes it
 * is given. */
#include "vigil/agent_proto.h"
#include <string.h>

static void put_u16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (24 - 8 * i));
}
static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (56 - 8 * i));
}
static uint16_t get_u16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static uint32_t get_u32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static uint64_t get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = (v << 8) | p[i];
    return v;
}

const char *vg_ap_type_name(uint8_t t)
{
    static const char *const names[] = {"?", "HELLO", "LOG", "RECORD", "HEARTBEAT", "ACK", "ERROR", "ENROLL", "ENROLL_OK"};
    return t <= VG_AP__MAX ? names[t] : "?";
}

int vg_ap_decode(const uint8_t *buf, size_t n, struct vg_ap_frame *f, size_t *consumed, struct vg_err *err)
{
    *consumed = 0;
    if (n < 4) return VG_EAGAIN;
    uint32_t len = get_u32(buf);
    if (len > VG_AP_MAX_FRAME) return vg_err_set(err, VG_ETOOBIG, "frame of %u bytes exceeds the %u byte limit", len, VG_AP_MAX_FRAME);
    if (len < 9) return vg_err_set(err, VG_EPARSE, "frame length %u is below the 9 byte header", len);
    if (n >= 5 && (buf[4] == 0 || buf[4] > VG_AP__MAX)) return vg_err_set(err, VG_EPARSE, "unknown frame type %u", buf[4]);
    if (n - 4 < len) return VG_EAGAIN;
    f->type = buf[4];
    f->seq = get_u64(buf + 5);
    f->payload = buf + VG_AP_HDR;
    f->len = len - 9;
    *consumed = 4 + (size_t)len;
    return 0;
}

size_t vg_ap_begin(struct vg_buf *out, uint8_t type, uint64_t seq)
{
    size_t start = out->len;
    uint8_t h[VG_AP_HDR];
    put_u32(h, 0);
    h[4] = type;
    put_u64(h + 5, seq);
    if (vg_buf_add(out, h, sizeof h) != 0) return (size_t)-1;
    return start;
}

int vg_ap_end(struct vg_buf *out, size_t start)
{
    size_t len = out->len - start - 4;
    if (len > VG_AP_MAX_FRAME) {
        out->len = start;
        if (out->data) out->data[start] = 0;
        return VG_ETOOBIG;
    }
    put_u32((uint8_t *)out->data + start, (uint32_t)len);
    return 0;
}

int vg_ap_encode(struct vg_buf *out, uint8_t type, uint64_t seq, const void *payload, size_t len)
{
    if (len > VG_AP_MAX_FRAME - 9) return VG_ETOOBIG;
    size_t st = vg_ap_begin(out, type, seq);
    if (st == (size_t)-1) return VG_ENOMEM;
    if (len && vg_buf_add(out, payload, len) != 0) { out->len = st; return VG_ENOMEM; }
    return vg_ap_end(out, st);
}

int vg_ap_kv_add(struct vg_buf *out, const char *key, const void *val, size_t vlen)
{
    size_t kl = strlen(key);
    if (kl > VG_AP_MAX_KEY || vlen > VG_AP_MAX_FRAME) return VG_EINVAL;
    uint8_t h[6];
    put_u16(h, (uint16_t)kl);
    if (vg_buf_add(out, h, 2) || vg_buf_add(out, key, kl)) return VG_ENOMEM;
    put_u32(h, (uint32_t)vlen);
    if (vg_buf_add(out, h, 4) || (vlen && vg_buf_add(out, val, vlen))) return VG_ENOMEM;
    return 0;
}

int vg_ap_kv_get(const uint8_t *p, size_t n, const char *key, const uint8_t **val, size_t *vlen)
{
    size_t kl = strlen(key), off = 0;
    int found = VG_ENOENT;
    while (off < n) {
        if (n - off < 2) return VG_EPARSE;
        size_t k = get_u16(p + off);
        off += 2;
        if (k > VG_AP_MAX_KEY || n - off < k + 4) return VG_EPARSE;
        const uint8_t *kp = p + off;
        off += k;
        size_t v = get_u32(p + off);
        off += 4;
        if (n - off < v) return VG_EPARSE;
        if (found != 0 && k == kl && memcmp(kp, key, kl) == 0) {
            *val = p + off;
            *vlen = v;
            found = 0;
        }
        off += v;
    }
    return found;
}

int vg_ap_kv_str(const uint8_t *p, size_t n, const char *key, char *dst, size_t dsz)
{
    const uint8_t *v;
    size_t vl;
    int rc = vg_ap_kv_get(p, n, key, &v, &vl);
    if (rc) return rc;
    if (vl >= dsz) return VG_ETOOBIG;
    if (vl && memchr(v, 0, vl)) return VG_EPARSE;
    if (vl) memcpy(dst, v, vl);
    dst[vl] = 0;
    return 0;
}

int vg_ap_rec_add(struct vg_buf *out, int64_t ts, const char *src, size_t srclen, const void *data, size_t len)
{
    if (srclen > VG_AP_MAX_SOURCE || len > VG_AP_MAX_FRAME) return VG_EINVAL;
    uint8_t h[8];
    put_u64(h, (uint64_t)ts);
    if (vg_buf_add(out, h, 8)) return VG_ENOMEM;
    put_u16(h, (uint16_t)srclen);
    if (vg_buf_add(out, h, 2) || (srclen && vg_buf_add(out, src, srclen))) return VG_ENOMEM;
    put_u32(h, (uint32_t)len);
    if (vg_buf_add(out, h, 4) || (len && vg_buf_add(out, data, len))) return VG_ENOMEM;
    return 0;
}

int vg_ap_rec_next(const uint8_t *p, size_t n, size_t *off, struct vg_ap_rec *r)
{
    size_t o = *off;
    if (o >= n) return 0;
    if (n - o < 10) return VG_EPARSE;
    r->ts = (int64_t)get_u64(p + o);
    size_t sl = get_u16(p + o + 8);
    o += 10;
    if (sl > VG_AP_MAX_SOURCE || n - o < sl + 4) return VG_EPARSE;
    r->src = (const char *)p + o;
    r->srclen = sl;
    o += sl;
    size_t dl = get_u32(p + o);
    o += 4;
    if (n - o < dl) return VG_EPARSE;
    r->data = (const char *)p + o;
    r->len = dl;
    *off = o + dl;
    return 1;
}
