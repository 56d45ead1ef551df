/* Differential tests of the JSON scanner's fast paths (json_scan.c): the
 * 64-byte window validator behind vg_json_value_end / vg_json_validate /
 * vg_json_iter_next, and the one-pass validate + unescape of strings that
 * start with a backslash in vg_json_flatten. Every input is run with the
 * fast paths on and off (vg__json_impl) and everything observable must be
 * identical: return codes, ends, error messages and offsets, leaves (names,
 * types, value bytes). Inputs put each kind of special byte (quote,
 * escapes, \u escapes and surrogate pairs, control bytes, valid and
 * invalid UTF-8, truncated escapes) at every offset across the 16-, 32-
 * and 64-byte boundaries, and end the buffer at every length for some of
 * them. Each document sits in an exactly sized heap block, so the
 * sanitizer build catches any read past the end. Also: the json+suricata
 * probe against memmem. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "vigil/decode.h"
#include "vigil/json.h"
#include "decode/json_map.h"

static int leaf_dump(void *ctx, const struct vg_json_leaf *lf)
{
    struct vg_buf *b = ctx;
    char tmp[160];
    size_t nl = 0;
    const char *nm = lf->fid == UINT32_MAX ? "?" : vg_fid_name(lf->fid, &nl);
    if (lf->fid == UINT32_MAX) nl = 1;
    bool sized = lf->v.type == VG_V_STR || lf->v.type == VG_V_LIST; /* len means nothing for the others */
    int n = snprintf(tmp, sizeof tmp, "|%u:%u:%d:%u:", (unsigned)nl, lf->klen, lf->v.type, sized ? lf->v.len : 0);
    if (vg_buf_add(b, tmp, (size_t)n) || vg_buf_add(b, nm, nl) || vg_buf_add(b, ":", 1) ||
        vg_buf_add(b, lf->key, lf->klen))
        return VG_ENOMEM;
    if (lf->v.type == VG_V_STR) {
        if (vg_buf_add(b, "=", 1) || vg_buf_add(b, lf->v.u.s, lf->v.len)) return VG_ENOMEM;
    } else if (lf->v.type == VG_V_LIST) {
        for (uint32_t i = 0; i < lf->v.len; i++)
            if (vg_buf_add(b, "[", 1) || vg_buf_add(b, lf->v.u.list[i].s, lf->v.u.list[i].len)) return VG_ENOMEM;
    } else {
        char vb[64];
        size_t vl;
        const char *t = vg_value_text(&lf->v, vb, sizeof vb, &vl);
        if (t && (vg_buf_add(b, "=", 1) || vg_buf_add(b, t, vl))) return VG_ENOMEM;
    }
    return 0;
}

static void add_err(struct vg_buf *out, const char *tag, int rc, const struct vg_err *e)
{
    char tmp[700];
    int n = snprintf(tmp, sizeof tmp, "%s rc=%d col=%d msg=%s\n", tag, rc, rc ? e->col : 0, rc ? e->msg : "");
    assert_int_equal(vg_buf_add(out, tmp, (size_t)n), 0);
}

/* Everything the scanner says about buf, as text. */
static void observe(const char *buf, size_t len, struct vg_buf *out)
{
    struct vg_err e = VG_ERR_INIT;
    char tmp[64];
    size_t end = 0;
    int rc = vg_json_value_end(buf, len, &end, &e);
    add_err(out, "value_end", rc, &e);
    int n = snprintf(tmp, sizeof tmp, "end=%zu\n", end);
    assert_int_equal(vg_buf_add(out, tmp, (size_t)n), 0);
    rc = vg_json_validate(buf, len, &e);
    add_err(out, "validate", rc, &e);

    struct vg_json_iter it;
    vg_json_iter_init(&it, buf, len);
    const char *r;
    size_t rl;
    int k = 0;
    while ((rc = vg_json_iter_next(&it, &r, &rl, &e)) == 1 && k++ < 64) {
        n = snprintf(tmp, sizeof tmp, "rec %zu %zu\n", (size_t)(r - buf), rl);
        assert_int_equal(vg_buf_add(out, tmp, (size_t)n), 0);
    }
    add_err(out, "iter", rc < 0 ? rc : 0, &e);

    struct vg_arena a;
    vg_arena_init(&a, 4096);
    rc = vg_json_flatten(buf, len, &a, NULL, leaf_dump, out, &e);
    add_err(out, "\nflatten", rc, &e);
    vg_arena_release(&a);
}

static size_t checked;

/* Runs doc[0..len) (copied into an exactly sized block) with the fast paths
 * off and on and compares. */
static void same(const char *doc, size_t len)
{
    char *buf = vg_malloc(len ? len : 1);
    assert_non_null(buf);
    memcpy(buf, doc, len);
    struct vg_buf ref = VG_BUF_INIT, fast = VG_BUF_INIT;
    int old = vg__json_impl(0);
    observe(buf, len, &ref);
    vg__json_impl(1);
    observe(buf, len, &fast);
    vg__json_impl(old);
    if (ref.len != fast.len || memcmp(ref.data, fast.data, ref.len) != 0) {
        print_error("fast path differs on %zu bytes: %.*s\n--- reference:\n%s\n--- fast:\n%s\n", len, (int)len, doc,
                    ref.data, fast.data);
        fail();
    }
    vg_buf_release(&ref);
    vg_buf_release(&fast);
    vg_free(buf);
    checked++;
}

/* What may sit inside a string: specials and sequences around them. */
static const char *const specials[] = {
    "\"", "\\\\", "\\\"", "\\/", "\\b\\f\\n\\r\\t", "\\u00e9", "\\u20AC", "\\ud83d\\ude00", "\\u0000",
    "C:\\\\Windows\\\\System32\\\\cmd.exe",
    "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xc2\xae\\\\x",
    /* invalid */
    "\\", "\\x", "\\u12", "\\u12G4", "\\ud800", "\\udc00", "\\ud83dx", "\\ud83d\\u0041", "\x01", "\x1f", "\t",
    "\x7f", "\x80", "\xc0\xaf", "\xc3", "\xe2\x82", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xf0\x80\x80\x80", "\xff",
};

static void test_specials_at_every_offset(void **st)
{
    (void)st;
    static char run[300], doc[700];
    memset(run, 'a', sizeof run);
    for (size_t si = 0; si < VG_ARRAY_LEN(specials); si++) {
        for (size_t L = 0; L <= 140; L += (L < 70 ? 1 : 3)) {
            for (size_t off = 0; off <= L; off++) {
                /* as a value after keys of varying length, and as a key */
                size_t kl = (L + off) % 23;
                int n = snprintf(doc, sizeof doc, "{\"%.*s\":\"%.*s%s%.*s\",\"n\":-1.5e3,\"t\":[true,\"x\"]}", (int)kl,
                                 run, (int)off, run, specials[si], (int)(L - off), run);
                same(doc, (size_t)n);
                /* as a key: fewer, every distinct key is a name interned for good */
                if (L <= 20 || ((L % 32 == 31 || L % 32 == 0 || L % 32 == 1) && (off == 0 || off == L / 2 || off == L))) {
                    n = snprintf(doc, sizeof doc, "{\"%.*s%s%.*s\":{\"b\":\"%.*s\"}}", (int)off, run, specials[si],
                                 (int)(L - off), run, (int)kl, run);
                    same(doc, (size_t)n);
                }
                /* the buffer ends inside or just after the string */
                if ((L % 16 == 15 || L % 16 == 0 || L % 16 == 1) && off % 5 == 0) {
                    n = snprintf(doc, sizeof doc, "[\"%.*s%s%.*s\"]", (int)off, run, specials[si], (int)(L - off), run);
                    for (int cut = 0; cut <= n; cut++) same(doc, (size_t)cut);
                }
            }
        }
    }
    assert_true(checked > 100000);
    /* the keys above must not have filled the name table (later tests
     * need real ids) */
    assert_true(vg_fid("test_json_fast.probe", 20) != UINT32_MAX);
}

/* Strings over the one-pass buffer (2 KiB), escapes near its end, several
 * records in one buffer (the iterator), pretty-printed input. */
static void test_long_and_multi(void **st)
{
    (void)st;
    struct vg_buf b = VG_BUF_INIT;
    for (size_t len = 2000; len <= 2100; len += 3) {
        b.len = 0;
        assert_int_equal(vg_buf_add(&b, "{\"p\":\"\\\\", 9), 0);
        for (size_t i = 0; i < len; i++) assert_int_equal(vg_buf_add(&b, i % 7 == 0 ? "\\\\" : "x", i % 7 == 0 ? 2 : 1), 0);
        assert_int_equal(vg_buf_add(&b, "\\u00e9\"}", 8), 0);
        same(b.data, b.len);
        same(b.data, b.len - 3); /* truncated */
    }
    vg_buf_release(&b);
    static const char *const multi[] = {
        "{\"a\":\"x\\\\y\"}{\"b\":[1,2]}\n{\"c\":{\"d\":\"\xc3\xa9\"}}",
        "[{\"a\":1},{\"b\":\"\\\\\\\\server\\\\share\"},{\"c\":null}]",
        "[{\"a\":1},{\"b\":\"\\\\\\\\server\\\\share\"},{\"c\":nul}]",
        ("{\n  \"Event\" : {\n    \"System\" : { \"EventID\" : 4688 , \"Channel\" : \"Security\" } ,\n"
         "    \"EventData\" : { \"NewProcessName\" : \"C:\\\\Windows\\\\cmd.exe\" }\n  }\n}\n"),
        "{\"a\":\"b\"} x", "  ", "[]", "[ ]", "{\"a\":[]}", "{\"a\":{}}", "\"\\\\\"", "\"\\\\", "[\"\\\\\"", "{\"a\\\\\":1}",
        "{\"a\":1,\"a\":2}", "{\"a\":\"\\\\\",\"a\":\"\\\\\"}",
    };
    for (size_t i = 0; i < VG_ARRAY_LEN(multi); i++) {
        size_t n = strlen(multi[i]);
        for (size_t cut = 0; cut <= n; cut++) same(multi[i], cut);
    }
}

/* Nesting: the fast validator keeps the same depth limit. */
static void test_depth(void **st)
{
    (void)st;
    static char doc[300];
    for (int d = 60; d <= 70; d++) {
        size_t n = 0;
        for (int i = 0; i < d; i++) doc[n++] = i % 2 ? '[' : '{', n += (i % 2 ? 0 : (size_t)snprintf(doc + n, 8, "\"k\":"));
        doc[n++] = '1';
        for (int i = d - 1; i >= 0; i--) doc[n++] = i % 2 ? ']' : '}';
        same(doc, n);
    }
}

static void test_suricata_probe(void **st)
{
    (void)st;
    const struct vg_decoder *d = vg_decoder_find("json+suricata");
    assert_non_null(d);
    static char doc[1300];
    static const char *const needles[] = {"\"event_type\"", "\"event_typ\"", "event_type\"", "\"event_type", "_event_type_"};
    for (size_t ni = 0; ni < VG_ARRAY_LEN(needles); ni++) {
        size_t nl = strlen(needles[ni]);
        for (size_t at = 1; at + nl + 1 < sizeof doc; at++) {
            memset(doc, '_', sizeof doc); /* many candidates that are not it */
            doc[0] = '{';
            memcpy(doc + at, needles[ni], nl);
            for (size_t len = at + nl - 1; len <= at + nl + 1 && len <= sizeof doc; len++) {
                size_t win = len < 1024 ? len : 1024;
                bool want = memmem(doc, win, "\"event_type\"", 12) != NULL;
                assert_int_equal(d->probe(doc, len), want ? 95 : 0);
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_specials_at_every_offset),
        cmocka_unit_test(test_long_and_multi),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_suricata_probe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
