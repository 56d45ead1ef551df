/* Table-driven helpers for the decoder unit tests (cmocka): run a line
 * through vg_decode(), compare the chain's format, return code and a list
 * of expected field values; and feed hostile input (every truncation of
 * the table's lines, binary garbage, invalid UTF-8, a 10 MB line) to one
 * decoder directly and through the chain, which must never crash and must
 * return 0 or a negative VG_E* code. */
#ifndef VG_TEST_DEC_TEST_H
#define VG_TEST_DEC_TEST_H
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "vigil/decode.h"

struct dt_exp {
    const char *field;   /* field name, or "@ts" for the event time (RFC 3339, ns) */
    const char *value;   /* expected text; NULL = field must be absent */
};

struct dt_case {
    const char *line;
    const char *format;  /* expected ev->format, NULL = not checked */
    int fail;            /* 1 when vg_decode must report failure */
    struct dt_exp e[14];
};

#define DT_RECV "2026-06-01T00:00:00Z"

static inline int64_t dt_recv(void)
{
    int64_t t = 0;
    vg_time_parse_iso(DT_RECV, strlen(DT_RECV), &t);
    return t;
}

static inline const char *dt_field_text(const struct vg_event *ev, const char *name, char *buf, size_t bufsz)
{
    if (strcmp(name, "@ts") == 0) {
        vg_time_format(ev->ts, buf, bufsz, 9);
        return buf;
    }
    uint32_t id = vg_fid_lookup(name, strlen(name));
    const struct vg_field *f = id == UINT32_MAX ? NULL : vg_event_get(ev, id);
    if (!f) return NULL;
    size_t n;
    char tmp[64];
    const char *s = vg_value_text(&f->v, tmp, sizeof tmp, &n);
    if (n >= bufsz) n = bufsz - 1;
    memcpy(buf, s, n);
    buf[n] = 0;
    return buf;
}

static inline void dt_run(const struct dt_case *cases, size_t n)
{
    struct vg_arena arena;
    vg_arena_init(&arena, 1 << 14);
    for (size_t i = 0; i < n; i++) {
        const struct dt_case *c = &cases[i];
        struct vg_event ev;
        vg_event_init(&ev, &arena);
        ev.recv_ts = dt_recv();
        assert_int_equal(vg_event_set_raw(&ev, c->line, strlen(c->line)), 0);
        struct vg_err err = VG_ERR_INIT;
        int rc = vg_decode(&ev, NULL, &err);
        if ((rc != 0) != (c->fail != 0) || (c->format && (!ev.format || strcmp(ev.format, c->format) != 0))) {
            print_error("case %zu: rc=%d (%s) format=%s, expected fail=%d format=%s\n  line: %s\n", i, rc, err.msg,
                        ev.format ? ev.format : "(null)", c->fail, c->format ? c->format : "-", c->line);
            fail();
        }
        if (c->fail) assert_true(ev.flags & VG_EV_DECODE_FAILED);
        for (size_t j = 0; j < VG_ARRAY_LEN(c->e) && c->e[j].field; j++) {
            char buf[4096];
            const char *got = dt_field_text(&ev, c->e[j].field, buf, sizeof buf);
            const char *want = c->e[j].value;
            if ((want == NULL) != (got == NULL) || (want && strcmp(want, got) != 0)) {
                print_error("case %zu: %s = %s, expected %s\n  line: %s\n", i, c->e[j].field, got ? got : "(absent)",
                            want ? want : "(absent)", c->line);
                fail();
            }
        }
        vg_arena_reset(&arena);
    }
    vg_arena_release(&arena);
}

/* Runs decoder `name` directly and the chain over buf; both must return
 * 0 or a negative code, and the event must stay consistent. */
static inline void dt_feed(const char *name, const char *buf, size_t len)
{
    const struct vg_decoder *d = vg_decoder_find(name);
    assert_non_null(d);
    struct vg_arena arena;
    vg_arena_init(&arena, 1 << 14);
    struct vg_event ev;
    vg_event_init(&ev, &arena);
    ev.recv_ts = dt_recv();
    assert_int_equal(vg_event_set_raw(&ev, buf, len), 0);
    struct vg_err err = VG_ERR_INIT;
    int rc = d->decode(&ev, ev.raw, ev.raw_len, &err);
    assert_true(rc <= 0);
    for (uint32_t i = 0; i < ev.nfields; i++) {
        const struct vg_field *f = &ev.fields[i];
        if (f->v.type == VG_V_STR || f->v.type == VG_V_IP) assert_true(f->v.len <= len + 65536);
    }
    struct vg_event ev2;
    vg_event_init(&ev2, &arena);
    ev2.recv_ts = dt_recv();
    assert_int_equal(vg_event_set_raw(&ev2, buf, len), 0);
    rc = vg_decode(&ev2, NULL, &err);
    assert_true(rc <= 0);
    if (rc) assert_true(ev2.flags & VG_EV_DECODE_FAILED);
    struct vg_buf out = VG_BUF_INIT;
    assert_int_equal(vg_event_to_json(&ev2, &out), 0);
    vg_buf_release(&out);
    vg_arena_release(&arena);
}

/* Hostile input for decoder `name`: every truncation of each case line,
 * bytes flipped to garbage, invalid UTF-8, and a 10 MB line. */
static inline void dt_robust(const char *name, const struct dt_case *cases, size_t n)
{
    uint32_t seed = 12345;
    for (size_t i = 0; i < n; i++) {
        const char *l = cases[i].line;
        size_t len = strlen(l);
        for (size_t k = 0; k <= len; k++) dt_feed(name, l, k);
        char *m = vg_malloc(len + 1);
        assert_non_null(m);
        for (int round = 0; round < 64; round++) {
            memcpy(m, l, len);
            for (int f = 0; f < 4 && len; f++) {
                seed = seed * 1103515245u + 12345u;
                m[(seed >> 8) % len] = (char)(seed >> 24);
            }
            dt_feed(name, m, len);
        }
        vg_free(m);
    }
    static const char bad_utf8[] = "Jan  1 00:00:00 h sshd[1]: Failed password for \xff\xfe\xc0\xaf from 1.2.3.4 port 1 ssh2 \xed\xa0\x80";
    dt_feed(name, bad_utf8, sizeof bad_utf8 - 1);
    char garbage[512];
    for (size_t i = 0; i < sizeof garbage; i++) { seed = seed * 1103515245u + 12345u; garbage[i] = (char)(seed >> 24); }
    dt_feed(name, garbage, sizeof garbage);
    dt_feed(name, "", 0);
    /* 10 MB: the first case line followed by a huge tail without separators */
    size_t big = 10u << 20;
    char *b = vg_malloc(big);
    assert_non_null(b);
    size_t l0 = strlen(cases[0].line);
    memcpy(b, cases[0].line, l0);
    memset(b + l0, 'A', big - l0);
    for (size_t i = l0; i < big; i += 4096) b[i] = (i / 4096) % 3 ? '=' : ' ';
    dt_feed(name, b, big);
    vg_free(b);
}

#endif
