/* Unit tests for the native EVTX Binary XML decoder (src/decode/binxml.c)
 * and the native-first EVTX reader (src/decode/evtx.c):
 *  - equivalence: every .evtx of $VG_SHARED/sigma/regression_data read
 *    natively gives the same events (raw XML, field names, types, values,
 *    timestamps, record numbers) as the libevtx path (VG_EVTX_LIBEVTX=1);
 *  - the two files Debian's libevtx cannot read ($VG_SHARED/data/windows/
 *    evtx-modern) decode fully and carry the fields visible in them;
 *  - value formatting edge cases and malformed BinXml, on chunks built here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <glob.h>
#include <stdlib.h>
#include "decode/binxml.h"
#include "vigil/decode.h"
#include "vigil/evtx.h"
#include "test_util.h"

/* ---- a tiny chunk builder ------------------------------------------- */

struct cb {
    unsigned char c[65536];
    size_t n;
    size_t rec;      /* offset of the record being built */
};

static void w8(struct cb *b, unsigned v) { b->c[b->n++] = (unsigned char)v; }
static void w16(struct cb *b, unsigned v) { w8(b, v & 0xff); w8(b, (v >> 8) & 0xff); }
static void w32(struct cb *b, uint32_t v) { w16(b, v & 0xffff); w16(b, v >> 16); }
static void put32(struct cb *b, size_t at, uint32_t v)
{
    for (int i = 0; i < 4; i++) b->c[at + i] = (unsigned char)(v >> (8 * i));
}
static void wmem(struct cb *b, const void *p, size_t n) { memcpy(b->c + b->n, p, n); b->n += n; }

/* name offset + the name inline right after it */
static void wname(struct cb *b, const char *s)
{
    w32(b, (uint32_t)b->n + 4);
    w32(b, 0);
    w16(b, 0);
    w16(b, (unsigned)strlen(s));
    for (const char *p = s; *p; p++) w16(b, (unsigned char)*p);
    w16(b, 0);
}

static void chunk_init(struct cb *b)
{
    memset(b, 0, sizeof *b);
    memcpy(b->c, "ElfChnk", 8);
    b->n = VG_BX_CHUNK_HEADER;
}

static void rec_begin(struct cb *b)
{
    b->rec = b->n;
    w32(b, 0x2a2a);
    w32(b, 0);
    w32(b, 1);
    w32(b, 0);
    w32(b, 0);
    w32(b, 0);
    wmem(b, "\x0f\x01\x01\x00", 4);
}

static void rec_end(struct cb *b)
{
    w8(b, 0);
    uint32_t size = (uint32_t)(b->n - b->rec + 4);
    w32(b, size);
    put32(b, b->rec + 4, size);
}

/* <name> or <name attr="val"> start tag, closed with 0x02 */
static void el(struct cb *b, const char *name, const char *attr, const char *val)
{
    w8(b, attr ? 0x41 : 0x01);
    w16(b, 0xffff);
    w32(b, 0); /* data size: not used by the renderer */
    wname(b, name);
    if (attr) {
        size_t al = b->n;
        w32(b, 0);
        w8(b, 0x06);
        wname(b, attr);
        w8(b, 0x05);
        w8(b, 0x01);
        w16(b, (unsigned)strlen(val));
        for (const char *p = val; *p; p++) w16(b, (unsigned char)*p);
        put32(b, al, (uint32_t)(b->n - al - 4));
    }
    w8(b, 0x02);
}

static void txt(struct cb *b, const char *s)
{
    w8(b, 0x05);
    w8(b, 0x01);
    w16(b, (unsigned)strlen(s));
    for (const char *p = s; *p; p++) w16(b, (unsigned char)*p);
}

static void sub(struct cb *b, unsigned idx, unsigned type, bool opt)
{
    w8(b, opt ? 0x0e : 0x0d);
    w16(b, idx);
    w8(b, type);
}

static void end(struct cb *b) { w8(b, 0x04); }

/* template instance with the definition inline; returns where the body
 * size goes (patch with tmpl_body_end) */
static size_t tmpl_begin(struct cb *b)
{
    w8(b, 0x0c);
    w8(b, 0x01);
    w32(b, 7);
    w32(b, (uint32_t)b->n + 4);
    w32(b, 0);
    for (int i = 0; i < 16; i++) w8(b, i);
    size_t at = b->n;
    w32(b, 0);
    wmem(b, "\x0f\x01\x01\x00", 4);
    return at;
}

static void tmpl_body_end(struct cb *b, size_t at)
{
    w8(b, 0);
    put32(b, at, (uint32_t)(b->n - at - 4));
}

struct tv {
    uint8_t type;
    uint16_t size;
    const void *data;
};

static void tmpl_values(struct cb *b, const struct tv *v, size_t n)
{
    w32(b, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        w16(b, v[i].size);
        w8(b, v[i].type);
        w8(b, 0);
    }
    for (size_t i = 0; i < n; i++) wmem(b, v[i].data, v[i].size);
}

static int render(struct cb *b, struct vg_buf *out, struct vg_err *e)
{
    vg_buf_reset(out);
    uint32_t size = (uint32_t)(b->c[b->rec + 4] | b->c[b->rec + 5] << 8 | b->c[b->rec + 6] << 16);
    return vg__binxml_render(b->c, sizeof b->c, b->rec + 24, size - 28, NULL, out, e);
}

/* ---- value formatting ---------------------------------------------- */

static void test_values(void **st)
{
    (void)st;
    static struct cb b;
    chunk_init(&b);
    rec_begin(&b);
    size_t at = tmpl_begin(&b);
    el(&b, "Event", NULL, NULL);
    for (unsigned i = 0; i < 27; i++) {
        char nm[8];
        snprintf(nm, sizeof nm, "v%u", i);
        el(&b, "Data", "Name", nm);
        sub(&b, i, 0, i == 26);
        end(&b);
    }
    el(&b, "Attrs", NULL, NULL);
    w8(&b, 0x41);
    w16(&b, 0xffff);
    w32(&b, 0);
    wname(&b, "A");
    size_t al = b.n;
    w32(&b, 0);
    w8(&b, 0x46);
    wname(&b, "quoted");
    sub(&b, 0, 1, false);
    w8(&b, 0x46);
    wname(&b, "gone");
    sub(&b, 26, 1, true);
    w8(&b, 0x06);
    wname(&b, "arr");
    sub(&b, 21, 0x88, false);
    put32(&b, al, (uint32_t)(b.n - al - 4));
    w8(&b, 0x03);
    end(&b);
    end(&b);
    tmpl_body_end(&b, at);
    static const unsigned char s16[] = {'a', 0, '&', 0, '"', 0, '<', 0, 0x3a, 0x26, 0x3d, 0xd8, 0x00, 0xde, 0, 0};
    static const unsigned char i8[] = {0xfb}, u8[] = {250}, i16[] = {0xd4, 0xfe}, u32[] = {0, 0x28, 0x6b, 0xee};
    static const unsigned char i64[] = {0x00, 0x0e, 0xfa, 0xd5, 0xfe, 0xff, 0xff, 0xff};
    static const unsigned char f32[] = {0, 0, 0xc0, 0x3f}, f64[] = {0, 0, 0, 0, 0, 0, 0xf0, 0x7f}; /* 1.5, +inf */
    static const unsigned char bin[] = {0x01, 0xab, 0xff}, boolv[] = {1, 0, 0, 0};
    static const unsigned char guid[] = {0x78, 0x56, 0x34, 0x12, 0xbc, 0x9a, 0xf0, 0xde, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0};
    static const unsigned char ft[] = {0xcb, 0x62, 0xb4, 0xfd, 0xb8, 0xcf, 0xd6, 0x01}, ft0[8] = {0};
    static const unsigned char systime[] = {0xe4, 0x07, 12, 0, 5, 0, 11, 0, 12, 0, 28, 0, 1, 0, 177, 0};
    static const unsigned char sid[] = {1, 5, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 0xf4, 1, 0, 0};
    static const unsigned char h32[] = {0xbc, 0x0a, 0, 0}, h64[] = {0xbc, 0x0a, 0, 0, 0, 0, 0, 0x80};
    static const unsigned char arr32[] = {1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0};
    static const unsigned char astr[] = {'o', 0, 'n', 0, 'e', 0, 0, 0, 't', 0, 'w', 0, 'o', 0, 0, 0};
    static const unsigned char ansi[] = {'a', 0xe9, 0x80, 0}, badsz[] = {1, 2, 3};
    static const unsigned char sizet[] = {0x34, 0x12, 0, 0}, ctl[] = {'x', 0, 1, 0, 'y', 0};
    static const unsigned char lone[] = {0x00, 0xd8, 'z', 0};
    const struct tv v[] = {
        {0x01, sizeof s16, s16}, {0x03, 1, i8}, {0x04, 1, u8}, {0x05, 2, i16}, {0x08, 4, u32}, {0x09, 8, i64},
        {0x0b, 4, f32}, {0x0c, 8, f64}, {0x0d, 4, boolv}, {0x0e, 3, bin}, {0x0f, 16, guid}, {0x11, 8, ft},
        {0x11, 8, ft0}, {0x12, 16, systime}, {0x13, sizeof sid, sid}, {0x14, 4, h32}, {0x15, 8, h64},
        {0x81, sizeof astr, astr}, {0x02, sizeof ansi, ansi}, {0x08, 3, badsz}, {0x10, 4, sizet},
        {0x88, sizeof arr32, arr32}, {0x01, sizeof ctl, ctl}, {0x01, sizeof lone, lone}, {0x81, 0, ""},
        {0x01, 0, ""}, {0x00, 0, ""},
    };
    tmpl_values(&b, v, sizeof v / sizeof *v);
    rec_end(&b);
    struct vg_buf out = VG_BUF_INIT;
    struct vg_err e = VG_ERR_INIT;
    int rc = render(&b, &out, &e);
    if (rc) fail_msg("render: %s", e.msg);
    static const char *const want[] = {
        "<Data Name=\"v0\">a&amp;\"&lt;\xe2\x98\xba\xf0\x9f\x98\x80</Data>", /* escaping, surrogate pair */
        "<Data Name=\"v1\">-5</Data>",                     /* libevtx would print -123 (sign + low bits) */
        "<Data Name=\"v2\">250</Data>",
        "<Data Name=\"v3\">-300</Data>",
        "<Data Name=\"v4\">4000000000</Data>",
        "<Data Name=\"v5\">-5000000000</Data>",
        "<Data Name=\"v6\">1.500000e+000</Data>",          /* libevtx's three-digit exponent */
        "<Data Name=\"v7\">1.#INF</Data>",
        "<Data Name=\"v8\">true</Data>",
        "<Data Name=\"v9\">01ABFF</Data>",
        "<Data Name=\"v10\">{12345678-9ABC-DEF0-1234-56789ABCDEF0}</Data>",
        "<Data Name=\"v11\">2020-12-11T12:27:29.139783500Z</Data>",
        "<Data Name=\"v12\">1601-01-01T00:00:00.000000000Z</Data>",
        "<Data Name=\"v13\">2020-12-11T12:28:01.177Z</Data>",
        "<Data Name=\"v14\">S-1-5-21-1-2-3-500</Data>",
        "<Data Name=\"v15\">0x00000abc</Data>",
        "<Data Name=\"v16\">0x8000000000000abc</Data>",
        "<Data Name=\"v17\">one</Data>\n  <Data Name=\"v17\">two</Data>", /* arrays repeat the element */
        "<Data Name=\"v18\">a\xc3\xa9\xe2\x82\xac</Data>",  /* Windows-1252 */
        "<Data Name=\"v19\">010203</Data>",                  /* wrong size: bytes, not a guess */
        "<Data Name=\"v20\">4660</Data>",                    /* size_t in decimal, as libevtx */
        "<Data Name=\"v21\">1</Data>\n  <Data Name=\"v21\">2</Data>\n  <Data Name=\"v21\">3</Data>",
        "<Data Name=\"v22\">x\xef\xbf\xbdy</Data>",          /* control character -> U+FFFD */
        "<Data Name=\"v23\">\xef\xbf\xbdz</Data>",           /* lone surrogate -> U+FFFD */
        "<Data Name=\"v24\"/>",                              /* empty array: one empty element */
        "<Data Name=\"v25\"/>",
        "<A quoted=\"a&amp;&quot;&lt;\xe2\x98\xba\xf0\x9f\x98\x80\" arr=\"1,2,3\"/>",
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        if (!strstr(out.data, want[i])) fail_msg("missing %s in\n%s", want[i], out.data);
    assert_null(strstr(out.data, "v26")); /* optional NULL: element not created */
    assert_null(strstr(out.data, "gone"));
    assert_true(strncmp(out.data, "<Event>\n  <Data Name=\"v0\">", 25) == 0);
    assert_true(strstr(out.data, "  </Attrs>\n</Event>\n") != NULL);
    /* the XML decodes with the same expat path as libevtx's */
    struct vg_batch *bt = vg_batch_new(1);
    struct vg_event *ev = vg_batch_push(bt);
    assert_int_equal(vg_evtx_decode_xml(ev, out.data, out.len, &e), 0);
    assert_str_field(ev, "Event.Attrs.A.#attributes.quoted", "a&\"<\xe2\x98\xba\xf0\x9f\x98\x80");
    vg_batch_free(bt);
    vg_buf_release(&out);
}

/* a record without dependency ids (as some writers store them) and a
 * name shared by offset with an earlier element */
static void test_no_dependency_id(void **st)
{
    (void)st;
    static struct cb b;
    chunk_init(&b);
    rec_begin(&b);
    w8(&b, 0x01);
    w32(&b, 0);
    wname(&b, "Event");
    w8(&b, 0x02);
    w8(&b, 0x01);
    w32(&b, 0);
    size_t name_at = b.n;
    wname(&b, "Item");
    w8(&b, 0x02);
    txt(&b, "one");
    end(&b);
    w8(&b, 0x01);
    w32(&b, 0);
    w32(&b, (uint32_t)name_at + 4); /* by offset */
    w8(&b, 0x02);
    txt(&b, "two");
    end(&b);
    end(&b);
    rec_end(&b);
    struct vg_buf out = VG_BUF_INIT;
    struct vg_err e = VG_ERR_INIT;
    assert_int_equal(render(&b, &out, &e), 0);
    assert_string_equal(out.data, "<Event>\n  <Item>one</Item>\n  <Item>two</Item>\n</Event>\n");
    vg_buf_release(&out);
}

/* ---- malformed input ------------------------------------------------ */

static void expect_fail(struct cb *b, size_t off, size_t len, int want, const char *what)
{
    struct vg_buf out = VG_BUF_INIT;
    struct vg_err e = VG_ERR_INIT;
    int rc = vg__binxml_render(b->c, sizeof b->c, off, len, NULL, &out, &e);
    if (rc != want) fail_msg("%s: got %d (%s), want %d", what, rc, e.msg, want);
    assert_true(e.msg[0] != 0);
    print_message("%-34s -> %s\n", what, e.msg);
    vg_buf_release(&out);
}

static void test_malformed(void **st)
{
    (void)st;
    static struct cb b;
    /* a good record to cut and corrupt */
    chunk_init(&b);
    rec_begin(&b);
    size_t at = tmpl_begin(&b);
    el(&b, "Event", NULL, NULL);
    el(&b, "Data", "Name", "x");
    sub(&b, 0, 1, false);
    end(&b);
    end(&b);
    tmpl_body_end(&b, at);
    static const unsigned char s[] = {'h', 0, 'i', 0};
    const struct tv v[] = {{0x01, 4, s}};
    tmpl_values(&b, v, 1);
    rec_end(&b);
    size_t off = b.rec + 24, len = b.n - 4 - off;
    struct vg_buf out = VG_BUF_INIT;
    struct vg_err e = VG_ERR_INIT;
    assert_int_equal(vg__binxml_render(b.c, sizeof b.c, off, len, NULL, &out, &e), 0);
    assert_non_null(strstr(out.data, "<Data Name=\"x\">hi</Data>"));
    /* every truncation fails cleanly (or renders a prefix), never reads past */
    for (size_t cut = 0; cut < len; cut++) {
        unsigned char *copy = vg_malloc(off + cut); /* exact size: ASan sees any overread */
        memcpy(copy, b.c, off + cut);
        vg_buf_reset(&out);
        int rc = vg__binxml_render(copy, off + cut, off, cut, NULL, &out, &e);
        assert_true(rc == VG_EPARSE || rc == 0);
        vg_free(copy);
    }
    expect_fail(&b, off, 3, VG_EPARSE, "truncated record");

    /* name offset outside the chunk */
    static struct cb m;
    memcpy(&m, &b, sizeof m);
    size_t ev_name = off + 4 + 10 + 24 + 4 + 7; /* record frag, instance, def header, body frag, Event's name offset */
    put32(&m, ev_name, 0xfffff0);
    expect_fail(&m, off, len, VG_EPARSE, "name offset outside the chunk");
    put32(&m, ev_name, 8); /* inside the chunk header */
    expect_fail(&m, off, len, VG_EPARSE, "name offset into the chunk header");

    /* substitution index out of range */
    memcpy(&m, &b, sizeof m);
    for (size_t i = off; i + 4 < m.n; i++)
        if (m.c[i] == 0x0d && m.c[i + 1] == 0 && m.c[i + 2] == 0 && m.c[i + 3] == 1) {
            m.c[i + 1] = 9;
            break;
        }
    expect_fail(&m, off, len, VG_EPARSE, "substitution index out of range");

    /* huge value count / value size */
    memcpy(&m, &b, sizeof m);
    size_t cnt_at = at + 4 + (b.c[at] | b.c[at + 1] << 8 | (size_t)b.c[at + 2] << 16); /* after the body */
    put32(&m, cnt_at, 0x7fffffff);
    expect_fail(&m, off, len, VG_EPARSE, "huge value count");
    memcpy(&m, &b, sizeof m);
    m.c[cnt_at + 4] = 0xff;
    m.c[cnt_at + 5] = 0xff;
    expect_fail(&m, off, len, VG_EPARSE, "value size past the record");
    memcpy(&m, &b, sizeof m);
    put32(&m, at, 0xfffffff0);
    expect_fail(&m, off, len, VG_EPARSE, "template body size huge");

    /* template definition offset loop: a template whose body instantiates itself */
    chunk_init(&m);
    rec_begin(&m);
    w8(&m, 0x0c);
    w8(&m, 1);
    w32(&m, 7);
    size_t def = m.n + 4;
    w32(&m, (uint32_t)def);
    w32(&m, 0);
    for (int i = 0; i < 16; i++) w8(&m, 0);
    size_t sz_at = m.n;
    w32(&m, 0);
    wmem(&m, "\x0f\x01\x01\x00", 4);
    w8(&m, 0x0c); /* the body is an instance of the same definition */
    w8(&m, 1);
    w32(&m, 7);
    w32(&m, (uint32_t)def);
    w32(&m, 0);
    w8(&m, 0);
    put32(&m, sz_at, (uint32_t)(m.n - sz_at - 4));
    w32(&m, 0);
    rec_end(&m);
    expect_fail(&m, m.rec + 24, m.n - 4 - m.rec - 24, VG_ETOOBIG, "template offset loop");
    /* template offset pointing at itself from outside any definition */
    chunk_init(&m);
    rec_begin(&m);
    w8(&m, 0x0c);
    w8(&m, 1);
    w32(&m, 7);
    w32(&m, 0xfff0);
    w32(&m, 0);
    rec_end(&m);
    expect_fail(&m, m.rec + 24, m.n - 4 - m.rec - 24, VG_EPARSE, "template offset outside the chunk");

    /* nesting deeper than the cap */
    chunk_init(&m);
    rec_begin(&m);
    size_t a_at = 0;
    for (int i = 0; i < 80; i++) {
        w8(&m, 0x01);
        w16(&m, 0xffff);
        w32(&m, 0);
        if (i == 0) {
            a_at = m.n;
            wname(&m, "a");
        } else {
            w32(&m, (uint32_t)a_at + 4);
        }
        w8(&m, 0x02);
    }
    for (int i = 0; i < 80; i++) end(&m);
    rec_end(&m);
    expect_fail(&m, m.rec + 24, m.n - 4 - m.rec - 24, VG_ETOOBIG, "elements nested 80 deep");

    /* output cap: an array value repeating its element tens of thousands of times */
    chunk_init(&m);
    rec_begin(&m);
    at = tmpl_begin(&m);
    el(&m, "Event", NULL, NULL);
    for (int i = 0; i < 40; i++) {
        el(&m, "Data", "Name", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
        sub(&m, 0, 0x84, false);
        end(&m);
    }
    end(&m);
    tmpl_body_end(&m, at);
    static unsigned char big[50000];
    const struct tv bv[] = {{0x84, sizeof big, big}};
    tmpl_values(&m, bv, 1);
    rec_end(&m);
    expect_fail(&m, m.rec + 24, m.n - 4 - m.rec - 24, VG_ETOOBIG, "output over 1 MiB");

    /* a name with characters that would change the XML */
    chunk_init(&m);
    rec_begin(&m);
    el(&m, "a b=\"1\"", NULL, NULL);
    end(&m);
    rec_end(&m);
    expect_fail(&m, m.rec + 24, m.n - 4 - m.rec - 24, VG_EPARSE, "name with a space and quotes");
    /* unknown tokens and a record that renders nothing */
    chunk_init(&m);
    rec_begin(&m);
    w8(&m, 0x1f);
    rec_end(&m);
    expect_fail(&m, m.rec + 24, m.n - 4 - m.rec - 24, VG_EPARSE, "unknown token");
    chunk_init(&m);
    rec_begin(&m);
    rec_end(&m);
    expect_fail(&m, m.rec + 24, m.n - 4 - m.rec - 24, VG_EPARSE, "empty record");
    expect_fail(&m, 65530, 100, VG_EINVAL, "record outside the chunk");
    vg_buf_release(&out);
}

/* ---- files ------------------------------------------------------------ */

static int count_cb(void *ctx, struct vg_batch *b, struct vg_event *ev)
{
    (void)b;
    (void)ev;
    (*(size_t *)ctx)++;
    return 0;
}

static bool same_value(const struct vg_value *a, const struct vg_value *b)
{
    if (a->type != b->type) return false;
    char ba[64], bb[64];
    size_t la, lb;
    const char *ta = vg_value_text(a, ba, sizeof ba, &la);
    const char *tb = vg_value_text(b, bb, sizeof bb, &lb);
    if (a->type == VG_V_LIST) {
        if (a->len != b->len) return false;
        for (uint32_t i = 0; i < a->len; i++)
            if (a->u.list[i].len != b->u.list[i].len || memcmp(a->u.list[i].s, b->u.list[i].s, a->u.list[i].len))
                return false;
        return true;
    }
    return la == lb && memcmp(ta, tb, la) == 0;
}

static struct vg_batch *read_all(const char *path, bool libevtx, struct vg_evtx_stats *s)
{
    if (libevtx) setenv("VG_EVTX_LIBEVTX", "1", 1);
    else unsetenv("VG_EVTX_LIBEVTX");
    struct vg_batch *b = vg_batch_new(8);
    size_t n = 0;
    struct vg_err e = VG_ERR_INIT;
    int rc = vg_evtx_read_file(path, 0, b, count_cb, &n, s, &e);
    if (rc) fail_msg("%s: %s", path, e.msg);
    unsetenv("VG_EVTX_LIBEVTX");
    assert_int_equal(n, b->n);
    return b;
}

static void test_equivalence(void **st)
{
    (void)st;
    char pat[1024];
    glob_t g;
    snprintf(pat, sizeof pat, "%s/sigma/regression_data/rules/windows/*/*/*.evtx", shared_dir());
    assert_int_equal(glob(pat, 0, NULL, &g), 0);
    assert_true(g.gl_pathc >= 100);
    size_t events = 0, fields = 0, files = 0;
    for (size_t fi = 0; fi < g.gl_pathc; fi++) {
        struct vg_evtx_stats sn, sl;
        struct vg_batch *nb = read_all(g.gl_pathv[fi], false, &sn);
        struct vg_batch *lb = read_all(g.gl_pathv[fi], true, &sl);
        assert_int_equal(sn.unreadable, 0);
        assert_int_equal(sn.libevtx, 0); /* nothing needed the fallback */
        assert_int_equal(sn.native, sn.records);
        assert_int_equal(sn.decoded, sl.decoded);
        assert_int_equal(sn.records, sl.records);
        assert_int_equal(nb->n, lb->n);
        for (size_t i = 0; i < nb->n; i++) {
            const struct vg_event *a = &nb->ev[i], *b = &lb->ev[i];
            assert_int_equal(a->raw_len, b->raw_len);
            if (memcmp(a->raw, b->raw, a->raw_len) != 0) fail_msg("%s: record %zu: XML differs", g.gl_pathv[fi], i);
            assert_true(a->ts == b->ts);
            assert_true(a->seq == b->seq);
            assert_int_equal(a->flags, b->flags);
            assert_memory_equal(a->id, b->id, 16);
            assert_int_equal(a->nfields, b->nfields);
            for (uint32_t k = 0; k < a->nfields; k++) {
                const struct vg_field *fa = &a->fields[k], *fb = &b->fields[k];
                size_t nl;
                const char *nm = vg_fid_name(fa->name, &nl);
                if (fa->name != fb->name || fa->flags != fb->flags || !same_value(&fa->v, &fb->v))
                    fail_msg("%s: field %.*s differs", g.gl_pathv[fi], (int)nl, nm);
                fields++;
            }
            events++;
        }
        vg_batch_free(nb);
        vg_batch_free(lb);
        files++;
    }
    globfree(&g);
    print_message("native vs libevtx: %zu files, %zu events, %zu fields identical (names, flags, types, values)\n",
                  files, events, fields);
    assert_true(events >= files);
}

static const struct vg_event *find_event(const struct vg_batch *b, int64_t event_id)
{
    for (size_t i = 0; i < b->n; i++) {
        const struct vg_field *f = field(&b->ev[i], "EventID");
        if (f && f->v.type == VG_V_INT && f->v.u.i == event_id) return &b->ev[i];
    }
    return NULL;
}

static void test_modern(void **st)
{
    (void)st;
    char path[1024];
    struct vg_evtx_stats s;
    snprintf(path, sizeof path, "%s/data/windows/evtx-modern/defender-1116-1117-threat-detected.evtx", shared_dir());
    struct vg_batch *b = read_all(path, false, &s);
    print_message("defender: records %llu, native %llu, libevtx %llu, unreadable %llu\n", (unsigned long long)s.records,
                  (unsigned long long)s.native, (unsigned long long)s.libevtx, (unsigned long long)s.unreadable);
    assert_int_equal(s.records, 6);
    assert_int_equal(s.native, 6);
    assert_int_equal(s.unreadable, 0);
    assert_int_equal(b->n, 6);
    const struct vg_event *ev = find_event(b, 1116);
    assert_non_null(ev);
    assert_false(ev->flags & VG_EV_DECODE_FAILED);
    assert_str_field(ev, "Threat Name", "HackTool:Win64/Mikatz!dha");
    assert_str_field(ev, "Event.EventData.Threat Name", "HackTool:Win64/Mikatz!dha");
    assert_str_field(ev, "Path", "file:_C:\\Users\\admmig\\Documents\\mimidrv.sys");
    assert_str_field(ev, "Process Name", "C:\\Windows\\explorer.exe");
    assert_str_field(ev, "Detection User", "OFFSEC\\admmig");
    assert_str_field(ev, "Provider_Name", "Microsoft-Windows-Windows Defender");
    assert_str_field(ev, "Channel", "Microsoft-Windows-Windows Defender/Operational");
    assert_str_field(ev, "host.name", "WIN10-client01.offsec.lan");
    assert_str_field(ev, "FWLink",
                     "https://go.microsoft.com/fwlink/?linkid=37020&name=HackTool:Win64/Mikatz!dha&threatid=2147705511&enterprise=0");
    assert_int_equal(field(ev, "Threat ID")->v.u.i, 2147705511);
    int64_t want;
    vg_time_parse_iso("2020-12-11T12:28:01.2990045Z", 28, &want);
    assert_true(ev->ts == want);
    assert_non_null(find_event(b, 1117));
    vg_batch_free(b);

    snprintf(path, sizeof path, "%s/data/windows/evtx-modern/powershell-800-4103-pipeshell.evtx", shared_dir());
    b = read_all(path, false, &s);
    assert_int_equal(s.records, 30);
    assert_int_equal(s.native, 30);
    assert_int_equal(s.unreadable, 0);
    ev = find_event(b, 4103);
    assert_non_null(ev);
    const struct vg_field *payload = field(ev, "Payload"), *ctx = field(ev, "ContextInfo");
    assert_non_null(payload);
    assert_non_null(ctx);
    assert_non_null(memmem(payload->v.u.s, payload->v.len, "CommandInvocation(", 18));
    assert_non_null(memmem(ctx->v.u.s, ctx->v.len, "Host Application", 16));
    assert_str_field(ev, "Provider_Name", "Microsoft-Windows-PowerShell");
    assert_non_null(find_event(b, 800));
    size_t failed = 0;
    for (size_t i = 0; i < b->n; i++) failed += (b->ev[i].flags & VG_EV_DECODE_FAILED) != 0;
    assert_int_equal(failed, 0);
    vg_batch_free(b);

    /* the old order still works and still keeps them (as decode failures) */
    b = read_all(path, true, &s);
    assert_int_equal(s.unreadable, 30);
    vg_batch_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_no_dependency_id),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_equivalence),
        cmocka_unit_test(test_modern),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
