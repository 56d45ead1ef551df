/* Building, reading and serialising normalised events, and event batches. */
#include "vigil/event.h"
#include <arpa/inet.h>
#include <sodium.h>

void vg_event_init(struct vg_event *ev, struct vg_arena *arena)
{
    memset(ev, 0, sizeof *ev);
    ev->arena = arena;
    ev->tenant = "default";
}

int vg_event_set_raw(struct vg_event *ev, const char *raw, size_t len)
{
    if (len > UINT32_MAX) return VG_ETOOBIG;
    char *p = vg_arena_strndup(ev->arena, raw, len);
    if (!p) return VG_ENOMEM;
    ev->raw = p;
    ev->raw_len = (uint32_t)len;
    return 0;
}

static struct vg_field *push_field(struct vg_event *ev, uint32_t fid, uint32_t flags)
{
    if (fid == UINT32_MAX) return NULL;
    if (ev->nfields == ev->cap) {
        uint32_t nc = ev->cap ? ev->cap * 2 : 16;
        if (nc > 4096) return NULL; /* hard cap on fields per event */
        struct vg_field *nf = vg_arena_alloc(ev->arena, nc * sizeof *nf);
        if (!nf) return NULL;
        if (ev->nfields) memcpy(nf, ev->fields, ev->nfields * sizeof *nf);
        ev->fields = nf;
        ev->cap = nc;
    }
    struct vg_field *f = &ev->fields[ev->nfields++];
    f->name = fid;
    f->flags = flags;
    memset(&f->v, 0, sizeof f->v);
    return f;
}

int vg_event_add_str(struct vg_event *ev, uint32_t fid, uint32_t flags, const char *s, size_t len)
{
    if (len > UINT32_MAX) return VG_ETOOBIG;
    struct vg_field *f = push_field(ev, fid, flags);
    if (!f) return fid == UINT32_MAX ? VG_EINVAL : VG_ENOMEM;
    f->v.type = VG_V_STR;
    f->v.u.s = s;
    f->v.len = (uint32_t)len;
    return 0;
}

int vg_event_add_str_copy(struct vg_event *ev, uint32_t fid, uint32_t flags, const char *s, size_t len)
{
    char *p = vg_arena_strndup(ev->arena, s, len);
    if (!p) return VG_ENOMEM;
    return vg_event_add_str(ev, fid, flags, p, len);
}

int vg_event_add_int(struct vg_event *ev, uint32_t fid, uint32_t flags, int64_t v)
{
    struct vg_field *f = push_field(ev, fid, flags);
    if (!f) return fid == UINT32_MAX ? VG_EINVAL : VG_ENOMEM;
    f->v.type = VG_V_INT;
    f->v.u.i = v;
    return 0;
}

int vg_event_add_float(struct vg_event *ev, uint32_t fid, uint32_t flags, double v)
{
    struct vg_field *f = push_field(ev, fid, flags);
    if (!f) return fid == UINT32_MAX ? VG_EINVAL : VG_ENOMEM;
    f->v.type = VG_V_FLOAT;
    f->v.u.f = v;
    return 0;
}

int vg_event_add_bool(struct vg_event *ev, uint32_t fid, uint32_t flags, bool v)
{
    struct vg_field *f = push_field(ev, fid, flags);
    if (!f) return fid == UINT32_MAX ? VG_EINVAL : VG_ENOMEM;
    f->v.type = VG_V_BOOL;
    f->v.u.b = v;
    return 0;
}

int vg_event_add_null(struct vg_event *ev, uint32_t fid, uint32_t flags)
{
    struct vg_field *f = push_field(ev, fid, flags);
    if (!f) return fid == UINT32_MAX ? VG_EINVAL : VG_ENOMEM;
    f->v.type = VG_V_NULL;
    return 0;
}

int vg_ip_parse(const char *s, size_t len, uint8_t out[16])
{
    char tmp[64];
    if (len == 0 || len >= sizeof tmp) return 0;
    memcpy(tmp, s, len);
    tmp[len] = 0;
    if (memchr(tmp, ':', len)) {
        char *pct = strchr(tmp, '%'); /* zone id: fe80::1%eth0 */
        if (pct) *pct = 0;
        return inet_pton(AF_INET6, tmp, out) == 1 ? 16 : 0;
    }
    return inet_pton(AF_INET, tmp, out) == 1 ? 4 : 0;
}

int vg_event_add_ip(struct vg_event *ev, uint32_t fid, uint32_t flags, const char *s, size_t len)
{
    uint8_t a[16];
    int rc = vg_event_add_str(ev, fid, flags, s, len);
    if (rc == 0 && vg_ip_parse(s, len, a)) ev->fields[ev->nfields - 1].v.type = VG_V_IP;
    return rc;
}

int vg_event_add_list(struct vg_event *ev, uint32_t fid, uint32_t flags, const struct vg_str *items, size_t n)
{
    if (n > UINT32_MAX) return VG_ETOOBIG;
    struct vg_field *f = push_field(ev, fid, flags);
    if (!f) return fid == UINT32_MAX ? VG_EINVAL : VG_ENOMEM;
    f->v.type = VG_V_LIST;
    f->v.u.list = items;
    f->v.len = (uint32_t)n;
    return 0;
}

int vg_event_set_str(struct vg_event *ev, uint32_t fid, uint32_t flags, const char *s, size_t len)
{
    for (uint32_t i = 0; i < ev->nfields; i++) {
        if (ev->fields[i].name == fid) {
            ev->fields[i].flags = flags;
            ev->fields[i].v.type = VG_V_STR;
            ev->fields[i].v.u.s = s;
            ev->fields[i].v.len = (uint32_t)len;
            return 0;
        }
    }
    return vg_event_add_str(ev, fid, flags, s, len);
}

int vg_event_add_named(struct vg_event *ev, const char *name, uint32_t flags, const char *s, size_t len)
{
    return vg_event_add_str(ev, vg_fid(name, strlen(name)), flags, s, len);
}

const struct vg_field *vg_event_get(const struct vg_event *ev, uint32_t fid)
{
    for (uint32_t i = 0; i < ev->nfields; i++)
        if (ev->fields[i].name == fid) return &ev->fields[i];
    return NULL;
}

const char *vg_value_text(const struct vg_value *v, char *buf, size_t bufsz, size_t *len)
{
    int n = 0;
    switch (v->type) {
    case VG_V_STR:
    case VG_V_IP:
        *len = v->len;
        return v->u.s;
    case VG_V_INT: n = snprintf(buf, bufsz, "%lld", (long long)v->u.i); break;
    case VG_V_FLOAT: n = snprintf(buf, bufsz, "%.17g", v->u.f); break;
    case VG_V_BOOL: n = snprintf(buf, bufsz, "%s", v->u.b ? "true" : "false"); break;
    case VG_V_LIST:
        if (v->len > 0) { *len = v->u.list[0].len; return v->u.list[0].s; }
        n = 0; buf[0] = 0; break;
    default: n = 0; buf[0] = 0; break;
    }
    *len = n < 0 ? 0 : ((size_t)n < bufsz ? (size_t)n : bufsz - 1);
    return buf;
}

static void compute_id(const struct vg_event *ev, uint8_t out[16])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, 16);
    const char *t = ev->tenant ? ev->tenant : "default";
    const char *h = ev->host ? ev->host : "";
    crypto_generichash_update(&st, (const unsigned char *)t, strlen(t) + 1);
    crypto_generichash_update(&st, (const unsigned char *)h, strlen(h) + 1);
    unsigned char tsb[8];
    uint64_t ts = (uint64_t)ev->ts;
    for (int i = 0; i < 8; i++) tsb[i] = (unsigned char)(ts >> (8 * i));
    crypto_generichash_update(&st, tsb, 8);
    if (ev->raw_len) crypto_generichash_update(&st, (const unsigned char *)ev->raw, ev->raw_len);
    crypto_generichash_final(&st, out, 16);
}

void vg_event_finish(struct vg_event *ev)
{
    compute_id(ev, ev->id);
    ev->flags &= ~VG_EV_ID_DEFERRED;
}

void vg_event_id(const struct vg_event *ev, uint8_t out[16])
{
    if (ev->flags & VG_EV_ID_DEFERRED) compute_id(ev, out);
    else memcpy(out, ev->id, 16);
}

static int add_value_json(struct vg_buf *out, const struct vg_value *v)
{
    switch (v->type) {
    case VG_V_NULL: return vg_buf_adds(out, "null");
    case VG_V_STR:
    case VG_V_IP: return vg_buf_add_json_str(out, v->u.s, v->len);
    case VG_V_INT: return vg_buf_addf(out, "%lld", (long long)v->u.i);
    case VG_V_FLOAT:
        if (v->u.f != v->u.f || v->u.f > 1.7e308 || v->u.f < -1.7e308) return vg_buf_adds(out, "null");
        return vg_buf_addf(out, "%.17g", v->u.f);
    case VG_V_BOOL: return vg_buf_adds(out, v->u.b ? "true" : "false");
    case VG_V_LIST: {
        int rc = vg_buf_addc(out, '[');
        for (uint32_t i = 0; rc == 0 && i < v->len; i++) {
            if (i) rc = vg_buf_addc(out, ',');
            if (rc == 0) rc = vg_buf_add_json_str(out, v->u.list[i].s, v->u.list[i].len);
        }
        return rc ? rc : vg_buf_addc(out, ']');
    }
    default: return vg_buf_adds(out, "null");
    }
}

int vg_event_to_json(const struct vg_event *ev, struct vg_buf *out)
{
    char idhex[33], ts[48];
    vg_hex(ev->id, 16, idhex);
    vg_time_format(ev->ts, ts, sizeof ts, 9);
    int rc = vg_buf_addf(out, "{\"event.id\":\"%s\",\"@timestamp\":\"%s\",\"tenant\":", idhex, ts);
    if (rc == 0) rc = vg_buf_add_json_str(out, ev->tenant ? ev->tenant : "default", strlen(ev->tenant ? ev->tenant : "default"));
    if (rc == 0 && ev->host) { rc = vg_buf_adds(out, ",\"vigil.origin\":"); if (!rc) rc = vg_buf_add_json_str(out, ev->host, strlen(ev->host)); }
    if (rc == 0 && ev->collector) { rc = vg_buf_adds(out, ",\"vigil.collector\":"); if (!rc) rc = vg_buf_add_json_str(out, ev->collector, strlen(ev->collector)); }
    if (rc == 0 && ev->format) { rc = vg_buf_adds(out, ",\"vigil.format\":"); if (!rc) rc = vg_buf_add_json_str(out, ev->format, strlen(ev->format)); }
    if (rc == 0 && (ev->flags & VG_EV_DECODE_FAILED)) rc = vg_buf_adds(out, ",\"vigil.decode_failed\":true");
    if (rc == 0) { rc = vg_buf_adds(out, ",\"event.original\":"); if (!rc) rc = vg_buf_add_json_str(out, ev->raw ? ev->raw : "", ev->raw_len); }
    for (uint32_t i = 0; rc == 0 && i < ev->nfields; i++) {
        size_t nl;
        const char *name = vg_fid_name(ev->fields[i].name, &nl);
        if (!name || ev->fields[i].name == VG_FID_TIMESTAMP) continue;
        rc = vg_buf_addc(out, ',');
        if (!rc) rc = vg_buf_add_json_str(out, name, nl);
        if (!rc) rc = vg_buf_addc(out, ':');
        if (!rc) rc = add_value_json(out, &ev->fields[i].v);
    }
    return rc ? rc : vg_buf_addc(out, '}');
}

struct vg_batch *vg_batch_new(size_t cap_hint)
{
    struct vg_batch *b = vg_calloc(1, sizeof *b);
    if (!b) return NULL;
    vg_arena_init(&b->arena, 64 * 1024);
    b->cap = cap_hint ? cap_hint : 256;
    b->ev = vg_malloc(b->cap * sizeof *b->ev);
    if (!b->ev) { vg_free(b); return NULL; }
    return b;
}

struct vg_event *vg_batch_push(struct vg_batch *b)
{
    if (b->n == b->cap) {
        size_t nc = b->cap * 2;
        struct vg_event *ne = vg_realloc(b->ev, nc * sizeof *ne);
        if (!ne) return NULL;
        b->ev = ne;
        b->cap = nc;
    }
    struct vg_event *ev = &b->ev[b->n++];
    vg_event_init(ev, &b->arena);
    return ev;
}

void vg_batch_free(struct vg_batch *b)
{
    if (!b) return;
    vg_arena_release(&b->arena);
    vg_free(b->ev);
    vg_free(b);
}
