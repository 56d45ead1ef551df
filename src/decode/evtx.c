/* EVTX files and Windows event XML (expat) -> events; the FORMAT decoder
 * "evtx" for single XML records. EVTX records are framed natively and
 * rendered to XML by Vigil's own BinXML decoder (binxml.c); libevtx only
 * reads the records it rejects (or everything, in the libevtx-first order
 * VG_EVTX_LIBEVTX=1 selects), and records neither can read are kept as
 * decode-failed events. XML elements become the same dotted leaves
 * evtx_dump's JSON gives (Event.System.EventID,
 * Event.System.Provider.#attributes.Name, Event.EventData.<Data Name>), fed
 * through the json decoder's mapping context (json_map.h), so EVTX and its
 * JSON rendering produce the same bare, dotted and ECS names. See
 * include/vigil/evtx.h, docs/internals/json.md and evtx-binxml.md. */
#include "vigil/evtx.h"
#include "vigil/decode.h"
#include "json_map.h"
#include "binxml.h"
#include <expat.h>
#include <fcntl.h>
#include <libevtx.h>
#include <unistd.h>

#define XML_MAX_LEN ((size_t)1 << 20)
#define XML_MAX_LEAVES 4096u

/* ---- XML -> leaves --------------------------------------------------- */

enum { K_PLAIN, K_DATA_NAMED, K_DATA_UNNAMED };

struct frame {
    uint32_t fid;            /* dotted name of this element (or of the Data Name) */
    uint32_t parent, grand;  /* ids of the enclosing elements */
    const char *key;         /* last component (arena copy) */
    uint32_t klen;
    uint8_t kind;
    bool has_attrs, has_children;
};

struct xctx {
    struct vg__jmap m;
    XML_Parser p;
    struct frame st[VG_JSON_MAX_DEPTH + 2];
    int depth;
    struct vg_buf text;
    int rc;
    uint32_t leaves;
    struct vg_str *data;     /* unnamed <Data> values of the current EventData */
    size_t ndata, capdata;
};

static void xstop(struct xctx *x, int rc)
{
    if (!x->rc) x->rc = rc;
    XML_StopParser(x->p, XML_FALSE);
}

/* Canonical decimal integers become VG_V_INT (as evtx_dump types them),
 * empty text NULL, everything else a string copied to the arena. */
static int make_value(struct xctx *x, const char *s, size_t n, struct vg_value *v)
{
    if (n == 0) {
        v->type = VG_V_NULL;
        return 0;
    }
    if (n <= 18 && (n == 1 || s[0] != '0') && (s[0] != '-' || (n > 1 && s[1] != '0'))) {
        int64_t i;
        if ((unsigned)(s[n - 1] - '0') <= 9 && vg_parse_i64(s, n, &i) == 0 && s[0] != '+') {
            v->type = VG_V_INT;
            v->u.i = i;
            return 0;
        }
    }
    char *c = vg_arena_strndup(x->m.ev->arena, s, n);
    if (!c) return VG_ENOMEM;
    v->type = VG_V_STR;
    v->u.s = c;
    v->len = (uint32_t)n;
    return 0;
}

static int emit_leaf(struct xctx *x, uint32_t fid, uint32_t parent, uint32_t grand, const char *key, size_t klen,
                     const struct vg_value *v)
{
    if (++x->leaves > XML_MAX_LEAVES) return VG_ETOOBIG;
    struct vg_json_leaf lf = {.fid = fid, .parent = parent, .grandparent = grand, .key = key,
                              .klen = (uint32_t)klen, .depth = (uint32_t)x->depth, .raw_json = false, .v = *v};
    return vg__jmap_leaf(&x->m, &lf);
}

static const char *arena_key(struct xctx *x, const char *s, size_t n)
{
    return vg_arena_strndup(x->m.ev->arena, s, n);
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
    struct xctx *x = ud;
    if (x->rc) return;
    if (x->depth >= VG_JSON_MAX_DEPTH) { xstop(x, VG_ETOOBIG); return; }
    struct frame *pf = x->depth ? &x->st[x->depth - 1] : NULL;
    uint32_t parent = pf ? pf->fid : VG_JSON_ROOT;
    uint32_t grand = pf ? pf->parent : UINT32_MAX;
    if (pf) pf->has_children = true;
    x->text.len = 0;
    struct frame *f = &x->st[x->depth];
    memset(f, 0, sizeof *f);
    f->parent = parent;
    f->grand = grand;
    size_t nl = strlen(name);
    const struct vg__jfids *F = vg__jfids();
    const char *data_name = NULL;
    if (nl == 4 && memcmp(name, "Data", 4) == 0 && parent == F->event_eventdata) {
        f->kind = K_DATA_UNNAMED;
        for (int i = 0; attrs[i]; i += 2)
            if (strcmp(attrs[i], "Name") == 0) data_name = attrs[i + 1];
        if (data_name && *data_name) f->kind = K_DATA_NAMED;
    }
    const char *key = f->kind == K_DATA_NAMED ? data_name : name;
    size_t klen = strlen(key);
    f->key = arena_key(x, key, klen);
    if (!f->key) { xstop(x, VG_ENOMEM); return; }
    f->klen = (uint32_t)klen;
    f->fid = vg_json_child_fid(parent, f->key, klen);
    x->depth++;
    if (f->kind != K_PLAIN) return; /* Data's Name is its key, not an attribute */
    for (int i = 0; attrs[i]; i += 2) {
        f->has_attrs = true;
        uint32_t aobj = vg_json_child_fid(f->fid, "#attributes", 11);
        size_t al = strlen(attrs[i]);
        const char *ak = arena_key(x, attrs[i], al);
        struct vg_value v;
        int rc = ak ? make_value(x, attrs[i + 1], strlen(attrs[i + 1]), &v) : VG_ENOMEM;
        if (rc == 0) rc = emit_leaf(x, vg_json_child_fid(aobj, ak, al), aobj, f->fid, ak, al, &v);
        if (rc) { xstop(x, rc); return; }
    }
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
    (void)name;
    struct xctx *x = ud;
    if (x->rc || x->depth == 0) return;
    struct frame *f = &x->st[x->depth - 1];
    const struct vg__jfids *F = vg__jfids();
    int rc = 0;
    struct vg_value v;
    if (f->kind == K_DATA_UNNAMED) {
        if (x->ndata == x->capdata) {
            size_t nc = x->capdata ? x->capdata * 2 : 8;
            struct vg_str *nd = vg_arena_alloc(x->m.ev->arena, nc * sizeof *nd);
            if (!nd) { xstop(x, VG_ENOMEM); return; }
            if (x->ndata) memcpy(nd, x->data, x->ndata * sizeof *nd);
            x->data = nd;
            x->capdata = nc;
        }
        char *c = vg_arena_strndup(x->m.ev->arena, x->text.data ? x->text.data : "", x->text.len);
        if (!c) { xstop(x, VG_ENOMEM); return; }
        x->data[x->ndata].s = c;
        x->data[x->ndata].len = (uint32_t)x->text.len;
        x->ndata++;
    } else if (f->kind == K_DATA_NAMED) {
        rc = make_value(x, x->text.data, x->text.len, &v);
        if (rc == 0) rc = emit_leaf(x, f->fid, f->parent, f->grand, f->key, f->klen, &v);
    } else if (f->fid == F->event_eventdata && x->ndata) {
        v.type = VG_V_LIST;
        v.u.list = x->data;
        v.len = (uint32_t)x->ndata;
        rc = emit_leaf(x, vg_json_child_fid(f->fid, "Data", 4), f->fid, f->parent, "Data", 4, &v);
        x->data = NULL;
        x->ndata = x->capdata = 0;
    } else if (!f->has_children) {
        rc = make_value(x, x->text.data, x->text.len, &v);
        if (rc == 0) {
            if (f->has_attrs) { /* <EventID Qualifiers="0">4625</EventID> -> EventID.#text */
                if (v.type != VG_V_NULL)
                    rc = emit_leaf(x, vg_json_child_fid(f->fid, "#text", 5), f->fid, f->parent, "#text", 5, &v);
            } else {
                rc = emit_leaf(x, f->fid, f->parent, f->grand, f->key, f->klen, &v);
            }
        }
    }
    if (rc) xstop(x, rc);
    x->text.len = 0;
    x->depth--;
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
    struct xctx *x = ud;
    if (x->rc || len <= 0) return;
    if (vg_buf_add(&x->text, s, (size_t)len)) xstop(x, VG_ETOOBIG);
}

static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid, const XML_Char *pubid,
                               int has_internal)
{
    (void)name; (void)sysid; (void)pubid; (void)has_internal;
    xstop(ud, VG_EPARSE); /* event records have no DTD; refuse entity games */
}

int vg_evtx_decode_xml(struct vg_event *ev, const char *xml, size_t len, struct vg_err *err)
{
    if (len > XML_MAX_LEN) return vg_err_set(err, VG_ETOOBIG, "evtx: XML record of %zu bytes is over the 1 MiB cap", len);
    struct xctx *x = vg_calloc(1, sizeof *x);
    if (!x) return vg_err_set(err, VG_ENOMEM, "evtx: out of memory");
    int rc = 0;
    x->text.cap_limit = XML_MAX_LEN;
    vg__jmap_begin(&x->m, ev);
    x->p = XML_ParserCreate("UTF-8");
    if (!x->p) { rc = vg_err_set(err, VG_ENOMEM, "evtx: out of memory"); goto out; }
    XML_SetUserData(x->p, x);
    XML_SetElementHandler(x->p, on_start, on_end);
    XML_SetCharacterDataHandler(x->p, on_text);
    XML_SetStartDoctypeDeclHandler(x->p, on_doctype);
    XML_SetParamEntityParsing(x->p, XML_PARAM_ENTITY_PARSING_NEVER);
    if (XML_Parse(x->p, xml, (int)len, XML_TRUE) != XML_STATUS_OK) {
        if (x->rc) rc = vg_err_set(err, x->rc, "evtx: XML record rejected: %s", vg_strerror(x->rc));
        else
            rc = vg_err_set(err, VG_EPARSE, "evtx: XML error at line %lu column %lu: %s",
                            (unsigned long)XML_GetCurrentLineNumber(x->p),
                            (unsigned long)XML_GetCurrentColumnNumber(x->p), XML_ErrorString(XML_GetErrorCode(x->p)));
        if (err && rc == VG_EPARSE) {
            err->line = (int)XML_GetCurrentLineNumber(x->p);
            err->col = (int)XML_GetCurrentColumnNumber(x->p) + 1;
        }
        goto out;
    }
    rc = vg__jmap_finish(&x->m, err);
out:
    if (x->p) XML_ParserFree(x->p);
    vg_buf_release(&x->text);
    vg_free(x);
    return rc;
}

static int xml_probe(const char *buf, size_t len)
{
    size_t i = 0;
    while (i < len && i < 64 && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n')) i++;
    if (len - i >= 7 && memcmp(buf + i, "<Event ", 7) == 0) return 90;
    if (len - i >= 7 && memcmp(buf + i, "<Event>", 7) == 0) return 90;
    if (len - i >= 5 && memcmp(buf + i, "<?xml", 5) == 0 && memmem(buf + i, len - i < 256 ? len - i : 256, "<Event", 6))
        return 85;
    return 0;
}

static int xml_decode(struct vg_event *ev, const char *buf, size_t len, struct vg_err *err)
{
    return vg_evtx_decode_xml(ev, buf, len, err);
}

const struct vg_decoder vg_dec_evtx = {
    .name = "evtx",
    .desc = "Windows event XML record (EVTX via libevtx, wevtutil): EventData names bare, System names, ECS",
    .kind = VG_DEC_FORMAT,
    .probe = xml_probe,
    .decode = xml_decode,
};

/* ---- native record framing (fallback for records libevtx cannot read) -- */

static inline uint32_t le32(const unsigned char *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static inline uint64_t le64(const unsigned char *p) { return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32; }

#define EVTX_HEADER 4096u
#define EVTX_CHUNK 65536u
#define CHUNK_HEADER 512u
#define MAX_CANDIDATES (1u << 20) /* free-space records noted per file */

static int64_t filetime_ns(uint64_t ft)
{
    const uint64_t epoch = 116444736000000000ull; /* 1601 -> 1970 in 100 ns */
    if (ft < epoch || ft > epoch + 9000000000000000000ull / 100) return 0;
    return (int64_t)(ft - epoch) * 100;
}

/* UTF-16LE runs of >= 3 printable Latin-1 characters as UTF-8, joined by
 * " | ": what a person can search for when the BinXML could not be
 * rendered (names, paths, threat names). Other scripts are not guessed at:
 * random binary pairs look like CJK text. */
static int utf16_strings(struct vg_arena *a, const unsigned char *p, size_t n, const char **out, size_t *out_len)
{
    size_t cap = n * 3 / 2 + 16, o = 0;
    if (cap > 65536) cap = 65536;
    char *d = vg_arena_alloc(a, cap);
    if (!d) return VG_ENOMEM;
    size_t i = 0;
    while (i + 1 < n) {
        size_t j = i, chars = 0;
        while (j + 1 < n) {
            unsigned c = (unsigned)p[j] | (unsigned)p[j + 1] << 8;
            if (c < 0x20 || (c >= 0x7f && c < 0xa0) || c > 0xff) break;
            j += 2;
            chars++;
        }
        if (chars >= 3) {
            size_t need = chars * 3 + 3;
            if (o + need > cap) break;
            if (o) { memcpy(d + o, " | ", 3); o += 3; }
            for (size_t k = i; k < j; k += 2) {
                unsigned c = (unsigned)p[k] | (unsigned)p[k + 1] << 8;
                if (c < 0x80) d[o++] = (char)c;
                else if (c < 0x800) { d[o++] = (char)(0xC0 | (c >> 6)); d[o++] = (char)(0x80 | (c & 0x3F)); }
                else { d[o++] = (char)(0xE0 | (c >> 12)); d[o++] = (char)(0x80 | ((c >> 6) & 0x3F)); d[o++] = (char)(0x80 | (c & 0x3F)); }
            }
            i = j;
        } else {
            i = j > i ? j : i + 1;
        }
    }
    *out = d;
    *out_len = o;
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* A live record the native decoder could not render: where to find it again. */
struct pending {
    uint64_t id, ft;
    uint32_t chunk, off, size;
    bool done;               /* libevtx read it after all */
};

struct reader {
    struct vg_batch *batch;
    vg_evtx_record_fn fn;
    void *ctx;
    struct vg_evtx_stats *st;
    uint64_t *ids;           /* record ids delivered as decoded events */
    size_t nids, capids;
    struct pending *pend;    /* native failures, in file order */
    size_t npend, cappend;
    struct pending *cand;    /* record framings found in chunk free space */
    size_t ncand, capcand;
    struct vg_buf xml;       /* the native renderer's output, reused */
    struct vg__bx_cache cache;
};

static int remember_id(struct reader *r, uint64_t id)
{
    if (r->nids == r->capids) {
        size_t nc = r->capids ? r->capids * 2 : 256;
        uint64_t *n = vg_realloc(r->ids, nc * sizeof *n);
        if (!n) return VG_ENOMEM;
        r->ids = n;
        r->capids = nc;
    }
    r->ids[r->nids++] = id;
    return 0;
}

static bool delivered(const struct reader *r, uint64_t id)
{
    return r->nids && bsearch(&id, r->ids, r->nids, sizeof id, cmp_u64) != NULL;
}

/* One record libevtx could not read: keep its bytes and what we can tell. */
static int emit_unread(struct reader *r, const unsigned char *rec, uint32_t size, uint64_t id, uint64_t ft)
{
    struct vg_event *ev = vg_batch_push(r->batch);
    if (!ev) return VG_ENOMEM;
    ev->recv_ts = vg_now_ns();
    ev->collector = "evtx";
    ev->format = "evtx";
    ev->seq = id;
    ev->flags |= VG_EV_DECODE_FAILED;
    int rc = vg_event_set_raw(ev, (const char *)rec, size);
    if (rc) return rc;
    ev->ts = filetime_ns(ft);
    if (!ev->ts) {
        ev->ts = ev->recv_ts;
        ev->flags |= VG_EV_TS_FROM_RECV;
    }
    const char *msg;
    size_t ml;
    rc = vg_event_add_int(ev, vg_fid("EventRecordID", 13), VG_FF_SOURCE, (int64_t)(id & INT64_MAX));
    if (rc == 0) rc = vg_event_add_int(ev, VG_FID_WINLOG_RECORD_ID, VG_FF_ECS, (int64_t)(id & INT64_MAX));
    if (rc == 0) rc = utf16_strings(ev->arena, rec + 24, size > 28 ? size - 28 : 0, &msg, &ml);
    if (rc == 0 && ml) rc = vg_event_add_str(ev, VG_FID_MESSAGE, VG_FF_ECS, msg, ml);
    if (rc == 0) rc = vg_event_add_bool(ev, vg_fid("vigil.evtx.unreadable", 21), 0, true);
    if (rc) return rc;
    vg_event_finish(ev);
    r->st->unreadable++;
    return r->fn(r->ctx, r->batch, ev);
}

/* Walks file header, chunks and record headers; emits every framed record
 * whose id libevtx did not deliver. *framed = records found. */
static int walk_native(struct reader *r, int fd, uint64_t *framed, struct vg_err *err)
{
    unsigned char *chunk = vg_malloc(EVTX_CHUNK);
    if (!chunk) return vg_err_set(err, VG_ENOMEM, "evtx: out of memory");
    int rc = 0;
    *framed = 0;
    ssize_t got = pread(fd, chunk, EVTX_HEADER, 0);
    if (got < 128 || memcmp(chunk, "ElfFile\0", 8) != 0) {
        rc = vg_err_set(err, VG_EFORMAT, "evtx: not an EVTX file (no ElfFile header)");
        goto out;
    }
    for (uint64_t ci = 0; ci < 65536; ci++) {
        off_t off = (off_t)EVTX_HEADER + (off_t)ci * EVTX_CHUNK;
        got = pread(fd, chunk, EVTX_CHUNK, off);
        if (got < (ssize_t)CHUNK_HEADER) break;
        if (memcmp(chunk, "ElfChnk\0", 8) != 0) continue; /* unused or damaged chunk */
        uint32_t free_off = le32(chunk + 48);
        size_t limit = (size_t)got;
        if (free_off >= CHUNK_HEADER && free_off <= limit) limit = free_off;
        size_t p = CHUNK_HEADER;
        while (p + 28 <= limit) {
            const unsigned char *rec = chunk + p;
            uint32_t size = le32(rec + 4);
            if (le32(rec) != 0x00002a2au || size < 28 || size > limit - p || le32(rec + size - 4) != size) break;
            uint64_t id = le64(rec + 8), ft = le64(rec + 16);
            (*framed)++;
            if (!delivered(r, id)) {
                rc = emit_unread(r, rec, size, id, ft);
                if (rc) goto out;
            }
            p += size; /* records are packed back to back */
        }
    }
out:
    vg_free(chunk);
    return rc;
}

static void lib_error(struct vg_evtx_stats *st, libevtx_error_t **le)
{
    if (*le && !st->first_error[0]) {
        char buf[1024];
        if (libevtx_error_sprint(*le, buf, sizeof buf) > 0) {
            /* keep the last line: libevtx prints the call chain outermost last */
            size_t n = strlen(buf);
            while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' ')) buf[--n] = 0;
            const char *last = strrchr(buf, '\n');
            snprintf(st->first_error, sizeof st->first_error, "%s", last ? last + 1 : buf);
        }
    }
    libevtx_error_free(le);
}

/* One record's XML (from either decoder) -> decoded event -> callback. */
static int emit_xml(struct reader *r, const char *xml, size_t n, uint64_t id, bool recovered)
{
    struct vg_event *ev = vg_batch_push(r->batch);
    int rc = ev ? vg_event_set_raw(ev, xml, n) : VG_ENOMEM;
    if (rc) return rc;
    ev->recv_ts = vg_now_ns();
    ev->collector = "evtx";
    ev->seq = id;
    struct vg_decode_opts opts = {.format = "evtx"};
    vg_decode(ev, &opts, NULL); /* a record that fails to decode is still kept (flagged) */
    if (recovered) {
        rc = vg_event_add_bool(ev, vg_fid("vigil.evtx.recovered", 20), 0, true);
        if (rc) return rc;
    }
    if (!recovered) {
        rc = remember_id(r, id);
        if (rc) return rc;
        r->st->decoded++;
    }
    return r->fn(r->ctx, r->batch, ev);
}

/* Returns 1 when libevtx cannot give the record's XML, else emit_xml's code. */
static int emit_record(struct reader *r, libevtx_record_t *rec, libevtx_error_t **le, bool recovered)
{
    size_t sz = 0;
    uint64_t id = 0;
    if (libevtx_record_get_utf8_xml_string_size(rec, &sz, le) != 1 || sz == 0) return 1;
    if (sz > XML_MAX_LEN + 1) return 1;
    uint8_t *xml = vg_malloc(sz);
    if (!xml) return VG_ENOMEM;
    if (libevtx_record_get_utf8_xml_string(rec, xml, sz, le) != 1) {
        vg_free(xml);
        return 1;
    }
    libevtx_record_get_identifier(rec, &id, le);
    int rc = emit_xml(r, (const char *)xml, strnlen((const char *)xml, sz), id, recovered);
    vg_free(xml);
    return rc;
}

/* The libevtx-first reader (VG_EVTX_LIBEVTX=1): every record through
 * libevtx, then the native framing for the ones it did not deliver. Kept
 * for A/B comparisons with the native path. */
static int read_libevtx_first(struct reader *r, const char *path, unsigned flags, struct vg_err *err)
{
    struct vg_evtx_stats *st = r->st;
    libevtx_file_t *f = NULL;
    libevtx_error_t *le = NULL;
    int rc = 0, fd = -1;
    uint64_t lib_failed = 0;
    bool opened = false;
    if (libevtx_file_initialize(&f, &le) != 1) {
        libevtx_error_free(&le);
        return vg_err_set(err, VG_ENOMEM, "evtx: libevtx initialisation failed");
    }
    if (libevtx_file_open(f, path, libevtx_get_access_flags_read(), &le) == 1) {
        opened = true;
        int n = 0, nrec = 0;
        if (libevtx_file_get_number_of_records(f, &n, &le) != 1) lib_error(st, &le);
        st->records = n > 0 ? (uint64_t)n : 0;
        for (int i = 0; i < n; i++) {
            libevtx_record_t *rec = NULL;
            int e = 1;
            if (libevtx_file_get_record_by_index(f, i, &rec, &le) == 1) e = emit_record(r, rec, &le, false);
            if (rec) libevtx_record_free(&rec, NULL);
            if (e < 0) { rc = e; goto out; }
            if (e > 0) { lib_failed++; lib_error(st, &le); }
        }
        if (libevtx_file_get_number_of_recovered_records(f, &nrec, &le) != 1) libevtx_error_free(&le);
        if (r->nids) qsort(r->ids, r->nids, sizeof *r->ids, cmp_u64);
        for (int i = 0; i < nrec; i++) {
            libevtx_record_t *rec = NULL;
            uint64_t id = 0;
            if (libevtx_file_get_recovered_record_by_index(f, i, &rec, &le) == 1 &&
                libevtx_record_get_identifier(rec, &id, &le) == 1 && !delivered(r, id)) {
                st->recovered++;
                if (flags & VG_EVTX_RECOVERED) {
                    int e = emit_record(r, rec, &le, true);
                    if (e < 0) { libevtx_record_free(&rec, NULL); rc = e; goto out; }
                }
            }
            libevtx_error_free(&le);
            if (rec) libevtx_record_free(&rec, NULL);
        }
    } else {
        lib_error(st, &le);
    }
    /* Always cross-check with the native framing: a record libevtx did not
     * deliver (failed, or not even counted) becomes a decode-failed event. */
    if (r->nids) qsort(r->ids, r->nids, sizeof *r->ids, cmp_u64);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rc = vg_err_set(err, VG_EIO, "evtx: cannot open %s", path);
        goto out;
    }
    uint64_t framed = 0;
    rc = walk_native(r, fd, &framed, err);
    if (rc == VG_EFORMAT && opened && st->decoded) rc = 0; /* libevtx read it; the header was just odd */
    if (rc) goto out;
    if (framed > st->records) st->records = framed;
    if (lib_failed > st->unreadable) st->lost = lib_failed - st->unreadable;
out:
    if (fd >= 0) close(fd);
    if (opened) libevtx_file_close(f, NULL);
    libevtx_file_free(&f, NULL);
    return rc;
}

/* ---- native-first reader ------------------------------------------------ */

static int add_pending(struct reader *r, uint32_t chunk, uint32_t off, uint32_t size, uint64_t id, uint64_t ft)
{
    if (r->npend == r->cappend) {
        size_t nc = r->cappend ? r->cappend * 2 : 16;
        struct pending *n = vg_realloc(r->pend, nc * sizeof *n);
        if (!n) return VG_ENOMEM;
        r->pend = n;
        r->cappend = nc;
    }
    r->pend[r->npend++] = (struct pending){.id = id, .ft = ft, .chunk = chunk, .off = off, .size = size};
    return 0;
}

static int cmp_pending(const void *a, const void *b)
{
    const struct pending *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

static bool valid_record(const unsigned char *chunk, size_t p, size_t limit)
{
    if (p > limit || limit - p < 28 || le32(chunk + p) != 0x00002a2au) return false;
    uint32_t size = le32(chunk + p + 4);
    return size >= 28 && size <= limit - p && le32(chunk + p + size - 4) == size;
}

/* Renders the record at chunk offset p natively; 0 and r->xml filled, or a
 * negative code (message in err). */
static int render(struct reader *r, const unsigned char *chunk, size_t p, struct vg_err *err)
{
    vg_buf_reset(&r->xml);
    uint32_t size = le32(chunk + p + 4);
    return vg__binxml_render(chunk, EVTX_CHUNK, p + 24, size - 28, &r->cache, &r->xml, err);
}

/* Deleted records left in a chunk's free space: record signatures after
 * the free-space offset whose framing holds (size, size copy). Only noted
 * here; read_native_first counts them once every live id is known. */
static int find_free_space(struct reader *r, const unsigned char *chunk, uint32_t ci, size_t from)
{
    size_t q = from < CHUNK_HEADER ? CHUNK_HEADER : from;
    while (q + 28 <= EVTX_CHUNK && r->ncand < MAX_CANDIDATES) {
        const unsigned char *sig = memchr(chunk + q, '*', EVTX_CHUNK - 28 - q + 1);
        if (!sig) break;
        q = (size_t)(sig - chunk);
        if (sig[1] != '*' || sig[2] || sig[3] || !valid_record(chunk, q, EVTX_CHUNK)) {
            q++;
            continue;
        }
        if (r->ncand == r->capcand) {
            size_t nc = r->capcand ? r->capcand * 2 : 64;
            struct pending *n = vg_realloc(r->cand, nc * sizeof *n);
            if (!n) return VG_ENOMEM;
            r->cand = n;
            r->capcand = nc;
        }
        r->cand[r->ncand++] = (struct pending){.id = le64(chunk + q + 8), .chunk = ci, .off = (uint32_t)q};
        q += le32(chunk + q + 4);
    }
    return 0;
}

/* libevtx for the records the native decoder failed on (and for any record
 * libevtx frames that the native walk did not). */
static int libevtx_fallback(struct reader *r, const char *path, uint64_t framed, struct vg_err *err)
{
    struct vg_evtx_stats *st = r->st;
    libevtx_file_t *f = NULL;
    libevtx_error_t *le = NULL;
    int rc = 0;
    (void)err;
    if (libevtx_file_initialize(&f, &le) != 1) {
        libevtx_error_free(&le);
        return 0; /* the pending records stay unreadable */
    }
    if (libevtx_file_open(f, path, libevtx_get_access_flags_read(), &le) != 1) {
        lib_error(st, &le);
        libevtx_file_free(&f, NULL);
        return 0;
    }
    int n = 0;
    uint64_t extra = 0;
    if (libevtx_file_get_number_of_records(f, &n, &le) != 1) lib_error(st, &le);
    qsort(r->pend, r->npend, sizeof *r->pend, cmp_pending);
    if (r->nids) qsort(r->ids, r->nids, sizeof *r->ids, cmp_u64);
    size_t nids_native = r->nids; /* delivered() below only looks at the sorted prefix */
    for (int i = 0; i < n; i++) {
        libevtx_record_t *rec = NULL;
        uint64_t id = 0;
        int e = 1;
        if (libevtx_file_get_record_by_index(f, i, &rec, &le) == 1 && libevtx_record_get_identifier(rec, &id, &le) == 1) {
            size_t keep = r->nids;
            r->nids = nids_native;
            bool seen = delivered(r, id);
            r->nids = keep;
            if (seen) {
                e = 0;
            } else {
                struct pending key = {.id = id};
                struct pending *pd = bsearch(&key, r->pend, r->npend, sizeof *r->pend, cmp_pending);
                e = emit_record(r, rec, &le, false);
                if (e == 0) {
                    st->libevtx++;
                    if (pd) pd->done = true;
                    else extra++;
                }
            }
        }
        if (rec) libevtx_record_free(&rec, NULL);
        if (e < 0) { rc = e; break; }
        if (e > 0) lib_error(st, &le);
        libevtx_error_free(&le);
    }
    libevtx_file_close(f, NULL);
    libevtx_file_free(&f, NULL);
    if ((uint64_t)(n > 0 ? n : 0) > framed + extra) st->lost = (uint64_t)n - framed - extra;
    if (st->records < framed + extra) st->records = framed + extra;
    return rc;
}

static int read_native_first(struct reader *r, const char *path, unsigned flags, struct vg_err *err)
{
    struct vg_evtx_stats *st = r->st;
    int rc = 0;
    uint64_t framed = 0;
    unsigned char *chunk = vg_malloc(EVTX_CHUNK);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (!chunk) { rc = vg_err_set(err, VG_ENOMEM, "evtx: out of memory"); goto out; }
    if (fd < 0) { rc = vg_err_set(err, VG_EIO, "evtx: cannot open %s", path); goto out; }
    r->xml.cap_limit = XML_MAX_LEN;
    ssize_t got = pread(fd, chunk, EVTX_HEADER, 0);
    if (got < 128 || memcmp(chunk, "ElfFile\0", 8) != 0) {
        rc = vg_err_set(err, VG_EFORMAT, "evtx: not an EVTX file (no ElfFile header)");
        goto out;
    }
    char first_native[160] = "";
    for (uint32_t ci = 0; ci < 65536; ci++) {
        got = pread(fd, chunk, EVTX_CHUNK, (off_t)EVTX_HEADER + (off_t)ci * EVTX_CHUNK);
        if (got < (ssize_t)CHUNK_HEADER) break;
        if (got < (ssize_t)EVTX_CHUNK) memset(chunk + got, 0, EVTX_CHUNK - (size_t)got);
        if (memcmp(chunk, "ElfChnk\0", 8) != 0) continue; /* unused or damaged chunk */
        vg__binxml_cache_reset(&r->cache, chunk);
        uint32_t free_off = le32(chunk + 48);
        size_t limit = (size_t)got;
        if (free_off >= CHUNK_HEADER && free_off <= limit) limit = free_off;
        size_t p = CHUNK_HEADER;
        while (valid_record(chunk, p, limit)) {
            uint32_t size = le32(chunk + p + 4);
            uint64_t id = le64(chunk + p + 8), ft = le64(chunk + p + 16);
            framed++;
            struct vg_err e = VG_ERR_INIT;
            int x = render(r, chunk, p, &e);
            if (x == 0) {
                rc = emit_xml(r, r->xml.data, r->xml.len, id, false);
                if (rc) goto out;
                st->native++;
            } else if (x == VG_ENOMEM) {
                rc = vg_err_set(err, x, "evtx: out of memory");
                goto out;
            } else {
                if (!first_native[0]) snprintf(first_native, sizeof first_native, "%.150s", e.msg);
                if ((rc = add_pending(r, ci, (uint32_t)p, size, id, ft))) goto out;
            }
            p += size; /* records are packed back to back */
        }
        if (got == (ssize_t)EVTX_CHUNK && free_off >= CHUNK_HEADER && free_off < EVTX_CHUNK &&
            (rc = find_free_space(r, chunk, ci, free_off)))
            goto out;
    }
    st->records = framed;
    /* deleted records: counted when their id is not a live one, emitted
     * (when asked for) when they render */
    if (r->nids) qsort(r->ids, r->nids, sizeof *r->ids, cmp_u64);
    uint32_t loaded = UINT32_MAX;
    for (size_t k = 0; k < r->ncand; k++) {
        struct pending *cd = &r->cand[k];
        if (delivered(r, cd->id)) continue;
        st->recovered++;
        if (!(flags & VG_EVTX_RECOVERED)) continue;
        if (cd->chunk != loaded) {
            got = pread(fd, chunk, EVTX_CHUNK, (off_t)EVTX_HEADER + (off_t)cd->chunk * EVTX_CHUNK);
            if (got != (ssize_t)EVTX_CHUNK) continue;
            loaded = cd->chunk;
            vg__binxml_cache_reset(&r->cache, chunk);
        }
        struct vg_err e = VG_ERR_INIT;
        int x = render(r, chunk, cd->off, &e);
        if (x == VG_ENOMEM) { rc = vg_err_set(err, x, "evtx: out of memory"); goto out; }
        if (x == 0 && (rc = emit_xml(r, r->xml.data, r->xml.len, cd->id, true))) goto out;
    }
    if (r->npend) {
        rc = libevtx_fallback(r, path, framed, err);
        if (rc) goto out;
        for (size_t k = 0; k < r->npend; k++) {
            struct pending *pd = &r->pend[k];
            if (pd->done) continue;
            got = pread(fd, chunk, EVTX_CHUNK, (off_t)EVTX_HEADER + (off_t)pd->chunk * EVTX_CHUNK);
            if (got < (ssize_t)(pd->off + pd->size)) { st->lost++; continue; }
            if (!st->unreadable) {
                char lib[256];
                snprintf(lib, sizeof lib, "%s", st->first_error);
                snprintf(st->first_error, sizeof st->first_error, "native: %.150s%s%.80s", first_native,
                         lib[0] ? "; libevtx: " : "", lib);
            }
            if ((rc = emit_unread(r, chunk + pd->off, pd->size, pd->id, pd->ft))) goto out;
        }
    }
out:
    if (fd >= 0) close(fd);
    vg_free(chunk);
    return rc;
}

int vg_evtx_read_file(const char *path, unsigned flags, struct vg_batch *batch, vg_evtx_record_fn fn, void *ctx,
                      struct vg_evtx_stats *st, struct vg_err *err)
{
    struct vg_evtx_stats local;
    if (!st) st = &local;
    memset(st, 0, sizeof *st);
    struct reader *r = vg_calloc(1, sizeof *r);
    if (!r) return vg_err_set(err, VG_ENOMEM, "evtx: out of memory");
    r->batch = batch;
    r->fn = fn;
    r->ctx = ctx;
    r->st = st;
    const char *mode = getenv("VG_EVTX_LIBEVTX");
    int rc = mode && mode[0] == '1' ? read_libevtx_first(r, path, flags, err) : read_native_first(r, path, flags, err);
    vg_free(r->ids);
    vg_free(r->pend);
    vg_free(r->cand);
    vg_buf_release(&r->xml);
    vg_free(r);
    return rc;
}
