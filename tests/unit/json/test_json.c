/* Unit tests for the JSON scanner (json_scan.c) and the json decoders
 * (dec_json.c, map_windows.c, map_suricata.c): validity tables, flattening,
 * unescaping, limits, and the Suricata / Windows mappings over the shared
 * sample data ($VG_SHARED). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <glob.h>
#include "vigil/decode.h"
#include "vigil/json.h"
#include "test_util.h"

/* ---- scanner validity ------------------------------------------------ */

static const char *const valid_docs[] = {
    "{}", "[]", "0", "-0", "1.5e10", "-1E-3", "\"\"", "true", "false", "null", " \t\r\n{ } \n",
    "{\"a\":1}", "{\"a\":[1,2,{\"b\":null}],\"c\":\"x\"}", "[1,\"a\",true,null,{},[]]",
    "\"\\u00e9\\ud83d\\ude00\\n\\t\\\"\\\\\\/\\b\\f\\r\"", "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"",
    "{\"\":\"\"}", "123456789012345678901234567890", "-9223372036854775808", "1e999", "[[[[[[[[]]]]]]]]",
    "{\"a\" : 1 , \"b\" : [ 1 , 2 ] }", "\"\\u0000\"",
};

struct bad { const char *doc; int code; };
static const struct bad invalid_docs[] = {
    {"", VG_EPARSE}, {"   ", VG_EPARSE}, {"{", VG_EPARSE}, {"}", VG_EPARSE}, {"{\"a\"}", VG_EPARSE},
    {"{\"a\":}", VG_EPARSE}, {"{\"a\":1,}", VG_EPARSE}, {"[1,]", VG_EPARSE}, {"[1 2]", VG_EPARSE},
    {"{a:1}", VG_EPARSE}, {"{'a':1}", VG_EPARSE}, {"01", VG_EPARSE}, {"-", VG_EPARSE}, {"1.", VG_EPARSE},
    {".5", VG_EPARSE}, {"1e", VG_EPARSE}, {"+1", VG_EPARSE}, {"tru", VG_EPARSE}, {"nul", VG_EPARSE},
    {"True", VG_EPARSE}, {"NaN", VG_EPARSE}, {"Infinity", VG_EPARSE}, {"\"abc", VG_EPARSE},
    {"\"a\tb\"", VG_EPARSE}, {"\"a\nb\"", VG_EPARSE}, {"\"\\x41\"", VG_EPARSE}, {"\"\\u12\"", VG_EPARSE},
    {"\"\\u12G4\"", VG_EPARSE}, {"\"\\", VG_EPARSE}, {"{} {}", VG_EPARSE}, {"{}x", VG_EPARSE}, {"[1]]", VG_EPARSE},
    {"\"\xff\"", VG_EUTF8}, {"\"\xc0\xaf\"", VG_EUTF8}, {"\"\xe0\x80\xaf\"", VG_EUTF8}, {"\"\xed\xa0\x80\"", VG_EUTF8},
    {"\"\xf4\x90\x80\x80\"", VG_EUTF8}, {"\"\xc3\"", VG_EUTF8}, {"\"\x80\"", VG_EUTF8},
    {"\"\\ud800\"", VG_EUTF8}, {"\"\\udc00\"", VG_EUTF8}, {"\"\\ud800\\u0041\"", VG_EUTF8},
    {"\"\\ud800x\"", VG_EUTF8},
};

static void test_valid_table(void **st)
{
    (void)st;
    for (size_t i = 0; i < sizeof valid_docs / sizeof *valid_docs; i++) {
        struct vg_err e = VG_ERR_INIT;
        int rc = vg_json_validate(valid_docs[i], strlen(valid_docs[i]), &e);
        if (rc) print_error("valid doc %zu rejected: %s (%s)\n", i, valid_docs[i], e.msg);
        assert_int_equal(rc, 0);
    }
}

static void test_invalid_table(void **st)
{
    (void)st;
    for (size_t i = 0; i < sizeof invalid_docs / sizeof *invalid_docs; i++) {
        struct vg_err e = VG_ERR_INIT;
        int rc = vg_json_validate(invalid_docs[i].doc, strlen(invalid_docs[i].doc), &e);
        if (rc != invalid_docs[i].code) print_error("doc %zu '%s': rc %d, want %d\n", i, invalid_docs[i].doc, rc, invalid_docs[i].code);
        assert_int_equal(rc, invalid_docs[i].code);
        assert_true(e.msg[0] != 0);
    }
}

static void test_value_end(void **st)
{
    (void)st;
    const char *s = "  {\"a\":[1,{\"b\":\"}\"}]} trailing";
    size_t end;
    assert_int_equal(vg_json_value_end(s, strlen(s), &end, NULL), 0);
    assert_int_equal(end, strlen("  {\"a\":[1,{\"b\":\"}\"}]}"));
    /* truncated: error, end = len */
    assert_int_equal(vg_json_value_end(s, 10, &end, NULL), VG_EPARSE);
    assert_int_equal(end, 10);
    assert_int_equal(vg_json_value_end("42,", 3, &end, NULL), 0);
    assert_int_equal(end, 2);
}

static void collect(const char *body, const char **want, size_t nwant, int final_rc)
{
    struct vg_json_iter it;
    vg_json_iter_init(&it, body, strlen(body));
    const char *rec;
    size_t rl, i = 0;
    int rc;
    while ((rc = vg_json_iter_next(&it, &rec, &rl, NULL)) == 1) {
        assert_true(i < nwant);
        assert_int_equal(rl, strlen(want[i]));
        assert_memory_equal(rec, want[i], rl);
        i++;
    }
    assert_int_equal(i, nwant);
    assert_int_equal(rc, final_rc);
}

static void test_iter(void **st)
{
    (void)st;
    const char *w1[] = {"{\"a\":1}", "{\"b\":[2]}", "3"};
    collect(" [ {\"a\":1} ,{\"b\":[2]},3 ]\n", w1, 3, 0);
    collect("{\"a\":1}\n{\"b\":[2]}\r\n3", w1, 3, 0);
    collect("\xEF\xBB\xBF{\"a\":1}{\"b\":[2]} 3\n\n", w1, 3, 0);
    collect("[]", NULL, 0, 0);
    collect("", NULL, 0, 0);
    collect("  \n ", NULL, 0, 0);
    const char *w2[] = {"{\"a\":1}"};
    collect("[{\"a\":1} {\"b\":2}]", w2, 1, VG_EPARSE);
    collect("{\"a\":1}\n{\"b\":", w2, 1, VG_EPARSE);
    collect("[{\"a\":1}", w2, 1, VG_EPARSE);
    collect("[{\"a\":1}] x", w2, 1, VG_EPARSE);
    /* after an error the iterator stays done */
    struct vg_json_iter it;
    vg_json_iter_init(&it, "{x}{}", 5);
    const char *rec;
    size_t rl;
    assert_true(vg_json_iter_next(&it, &rec, &rl, NULL) < 0);
    assert_int_equal(vg_json_iter_next(&it, &rec, &rl, NULL), 0);
}

/* ---- flattening ------------------------------------------------------ */

struct leaves {
    size_t n;
    char names[64][128];
    struct vg_value v[64];
    bool raw[64];
};

static int grab(void *ctx, const struct vg_json_leaf *lf)
{
    struct leaves *l = ctx;
    if (l->n >= 64) return VG_ETOOBIG;
    size_t nl;
    const char *nm = vg_fid_name(lf->fid, &nl);
    snprintf(l->names[l->n], sizeof l->names[0], "%.*s", nm ? (int)nl : 1, nm ? nm : "?");
    l->v[l->n] = lf->v;
    l->raw[l->n] = lf->raw_json;
    l->n++;
    return 0;
}

static void test_flatten(void **st)
{
    (void)st;
    const char *doc = "{\"a\":{\"b\":{\"c\":1},\"d\":\"x\"},\"e\":[1,\"two\",true,null],\"f\":[{\"g\":1},2],"
                      "\"h\":-2.5,\"i\":false,\"j\":null,\"k\":{},\"l\":[],\"m\":9223372036854775807,"
                      "\"n\":9223372036854775808,\"o\":\"a\\\\b\"}";
    struct vg_arena a;
    vg_arena_init(&a, 4096);
    struct leaves l = {0};
    assert_int_equal(vg_json_flatten(doc, strlen(doc), &a, NULL, grab, &l, NULL), 0);
    assert_int_equal(l.n, 11);
    assert_string_equal(l.names[0], "a.b.c");
    assert_int_equal(l.v[0].type, VG_V_INT);
    assert_int_equal(l.v[0].u.i, 1);
    assert_string_equal(l.names[1], "a.d");
    assert_int_equal(l.v[1].type, VG_V_STR);
    assert_true(l.v[1].u.s > doc && l.v[1].u.s < doc + strlen(doc)); /* zero copy */
    assert_string_equal(l.names[2], "e");
    assert_int_equal(l.v[2].type, VG_V_LIST);
    assert_int_equal(l.v[2].len, 4);
    assert_memory_equal(l.v[2].u.list[1].s, "two", 3);
    assert_memory_equal(l.v[2].u.list[2].s, "true", 4);
    assert_string_equal(l.names[3], "f");
    assert_true(l.raw[3]);
    assert_int_equal(l.v[3].type, VG_V_STR);
    assert_int_equal(l.v[3].len, strlen("[{\"g\":1},2]"));
    assert_memory_equal(l.v[3].u.s, "[{\"g\":1},2]", l.v[3].len);
    assert_string_equal(l.names[4], "h");
    assert_int_equal(l.v[4].type, VG_V_FLOAT);
    assert_true(l.v[4].u.f == -2.5);
    assert_int_equal(l.v[5].type, VG_V_BOOL);
    assert_false(l.v[5].u.b);
    assert_int_equal(l.v[6].type, VG_V_NULL);
    assert_string_equal(l.names[7], "l");
    assert_int_equal(l.v[7].type, VG_V_LIST);
    assert_int_equal(l.v[7].len, 0);
    assert_int_equal(l.v[8].type, VG_V_INT);
    assert_true(l.v[8].u.i == INT64_MAX);
    assert_int_equal(l.v[9].type, VG_V_FLOAT);
    assert_true(l.v[9].u.f > 9.2e18);
    assert_string_equal(l.names[10], "o");
    assert_int_equal(l.v[10].len, 3);
    assert_memory_equal(l.v[10].u.s, "a\\b", 3);
    /* not an object */
    l.n = 0;
    assert_int_equal(vg_json_flatten("[1]", 3, &a, NULL, grab, &l, NULL), VG_EFORMAT);
    assert_int_equal(vg_json_flatten("{\"a\":1} x", 9, &a, NULL, grab, &l, NULL), VG_EPARSE);
    vg_arena_release(&a);
}

static void test_unescape(void **st)
{
    (void)st;
    const char *doc = "{\"k\\u0065y\":\"\\u00e9\\u20ac\\ud83d\\ude00 \\\"q\\\" \\/ \\b\\f\\n\\r\\t \\u0000!\"}";
    struct vg_arena a;
    vg_arena_init(&a, 4096);
    struct leaves l = {0};
    assert_int_equal(vg_json_flatten(doc, strlen(doc), &a, NULL, grab, &l, NULL), 0);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.names[0], "key");
    const char want[] = "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 \"q\" / \b\f\n\r\t \0!";
    assert_int_equal(l.v[0].len, sizeof want - 1);
    assert_memory_equal(l.v[0].u.s, want, sizeof want - 1);
    vg_arena_release(&a);
}

static char *repeat_doc(const char *open, const char *mid, const char *close, size_t n)
{
    size_t lo = strlen(open), lm = strlen(mid), lc = strlen(close);
    char *d = vg_malloc(n * (lo + lc) + lm + 1), *p = d;
    for (size_t i = 0; i < n; i++) { memcpy(p, open, lo); p += lo; }
    memcpy(p, mid, lm);
    p += lm;
    for (size_t i = 0; i < n; i++) { memcpy(p, close, lc); p += lc; }
    *p = 0;
    return d;
}

static int count_leaf(void *ctx, const struct vg_json_leaf *lf)
{
    (void)lf;
    (*(size_t *)ctx)++;
    return 0;
}

static void test_limits(void **st)
{
    (void)st;
    struct vg_arena a;
    vg_arena_init(&a, 1 << 16);
    size_t n = 0;
    struct vg_err e = VG_ERR_INIT;
    /* depth 10,000 of arrays and of objects: rejected, no stack overflow */
    char *deep = repeat_doc("[", "1", "]", 10000);
    assert_int_equal(vg_json_validate(deep, strlen(deep), &e), VG_EPARSE);
    assert_non_null(strstr(e.msg, "deep"));
    vg_free(deep);
    deep = repeat_doc("{\"a\":", "1", "}", 10000);
    assert_int_equal(vg_json_validate(deep, strlen(deep), NULL), VG_EPARSE);
    assert_int_equal(vg_json_flatten(deep, strlen(deep), &a, NULL, count_leaf, &n, NULL), VG_EPARSE);
    vg_free(deep);
    /* exactly 64 levels pass, 65 fail */
    deep = repeat_doc("{\"a\":", "1", "}", 64);
    assert_int_equal(vg_json_validate(deep, strlen(deep), NULL), 0);
    n = 0;
    assert_int_equal(vg_json_flatten(deep, strlen(deep), &a, NULL, count_leaf, &n, NULL), 0);
    assert_int_equal(n, 1);
    vg_free(deep);
    deep = repeat_doc("{\"a\":", "1", "}", 65);
    assert_int_equal(vg_json_validate(deep, strlen(deep), NULL), VG_EPARSE);
    assert_int_equal(vg_json_flatten(deep, strlen(deep), &a, NULL, count_leaf, &n, NULL), VG_EPARSE);
    vg_free(deep);
    deep = repeat_doc("{\"a\":", "[[1]]", "}", 62); /* 62 objects + 2 arrays = 64 */
    assert_int_equal(vg_json_flatten(deep, strlen(deep), &a, NULL, count_leaf, &n, NULL), 0);
    vg_free(deep);
    deep = repeat_doc("{\"a\":", "[[[1]]]", "}", 62);
    assert_int_equal(vg_json_flatten(deep, strlen(deep), &a, NULL, count_leaf, &n, NULL), VG_EPARSE);
    vg_free(deep);

    /* a 10 MB string, plain and with escapes */
    size_t big = 10u << 20;
    char *doc = vg_malloc(big + 32);
    memcpy(doc, "{\"s\":\"", 6);
    memset(doc + 6, 'x', big);
    for (size_t i = 6; i + 2 < big; i += 4096) { doc[i] = '\\'; doc[i + 1] = 'n'; }
    memcpy(doc + 6 + big, "\"}", 3);
    struct leaves *l = vg_calloc(1, sizeof *l);
    assert_int_equal(vg_json_flatten(doc, strlen(doc), &a, NULL, grab, l, NULL), 0);
    assert_int_equal(l->n, 1);
    assert_true(l->v[0].len < big && l->v[0].len > big - big / 2048 - 8);
    doc[100] = '\x01';
    assert_int_equal(vg_json_validate(doc, strlen(doc), NULL), VG_EPARSE);
    vg_free(doc);
    vg_free(l);

    /* field count: 4096 pass, 4097 fail; caller-set cap */
    struct vg_buf b = VG_BUF_INIT;
    vg_buf_addc(&b, '{');
    for (int i = 0; i < 4097; i++) vg_buf_addf(&b, "%s\"f%d\":%d", i ? "," : "", i % 4096, i);
    vg_buf_addc(&b, '}');
    n = 0;
    assert_int_equal(vg_json_flatten(b.data, b.len, &a, NULL, count_leaf, &n, &e), VG_ETOOBIG);
    assert_int_equal(n, 4096);
    char *cut = strstr(b.data, ",\"f0\":4096");
    assert_non_null(cut);
    cut[0] = '}';
    n = 0;
    assert_int_equal(vg_json_flatten(b.data, (size_t)(cut + 1 - b.data), &a, NULL, count_leaf, &n, NULL), 0);
    assert_int_equal(n, 4096);
    struct vg_json_opts o = {.max_fields = 10};
    assert_int_equal(vg_json_flatten(b.data, (size_t)(cut + 1 - b.data), &a, &o, count_leaf, &n, NULL), VG_ETOOBIG);
    vg_buf_release(&b);

    /* invalid UTF-8 and lone surrogates inside an object, keys too */
    assert_int_equal(vg_json_flatten("{\"a\":\"\xfe\"}", 8, &a, NULL, count_leaf, &n, NULL), VG_EUTF8);
    assert_int_equal(vg_json_flatten("{\"\xfe\":1}", 7, &a, NULL, count_leaf, &n, NULL), VG_EUTF8);
    const char *ls = "{\"a\":\"\\udbff\"}";
    assert_int_equal(vg_json_flatten(ls, strlen(ls), &a, NULL, count_leaf, &n, NULL), VG_EUTF8);

    /* numbers at the limits */
    const char *nums = "{\"a\":-9223372036854775808,\"b\":-9223372036854775809,\"c\":1e309,\"d\":-1e-400,"
                       "\"e\":18446744073709551616,\"f\":0.1}";
    struct leaves *ln = vg_calloc(1, sizeof *ln);
    assert_int_equal(vg_json_flatten(nums, strlen(nums), &a, NULL, grab, ln, NULL), 0);
    assert_int_equal(ln->v[0].type, VG_V_INT);
    assert_true(ln->v[0].u.i == INT64_MIN);
    assert_int_equal(ln->v[1].type, VG_V_FLOAT);
    assert_int_equal(ln->v[2].type, VG_V_FLOAT);
    assert_true(ln->v[2].u.f > 1e308);
    assert_int_equal(ln->v[3].type, VG_V_FLOAT);
    assert_true(ln->v[3].u.f == 0.0);
    assert_int_equal(ln->v[4].type, VG_V_FLOAT);
    assert_true(ln->v[5].u.f == 0.1);
    /* a very long number is still exact enough */
    struct vg_buf lb = VG_BUF_INIT;
    vg_buf_adds(&lb, "{\"x\":1.");
    for (int i = 0; i < 1000; i++) vg_buf_addc(&lb, '5');
    vg_buf_adds(&lb, "}");
    ln->n = 0;
    assert_int_equal(vg_json_flatten(lb.data, lb.len, &a, NULL, grab, ln, NULL), 0);
    assert_true(ln->v[0].u.f > 1.55 && ln->v[0].u.f < 1.56);
    vg_buf_release(&lb);
    vg_free(ln);

    /* a key too long to intern is dropped by the decoder and counted */
    vg_arena_release(&a);
}

/* ---- decoder: generic ------------------------------------------------ */

static void test_decode_generic(void **st)
{
    (void)st;
    const char *rec = "  {\"@timestamp\":\"2024-05-06T07:08:09.5Z\",\"host\":{\"name\":\"web1\"},\"user\":{\"name\":\"bob\"},"
                      "\"msg\":\"hi\",\"n\":3,\"tags\":[\"a\",\"b\"],\"x\":{\"y\":[{\"z\":1}]},\"dup\":1,\"dup\":2}";
    struct tev t;
    tev_init(&t, rec);
    struct vg_err e = VG_ERR_INIT;
    assert_int_equal(vg_decode(t.ev, NULL, &e), 0);
    assert_string_equal(t.ev->format, "json");
    assert_false(t.ev->flags & VG_EV_TS_FROM_RECV);
    int64_t want;
    vg_time_parse_iso("2024-05-06T07:08:09.5Z", 22, &want);
    assert_true(t.ev->ts == want);
    assert_string_equal(t.ev->host, "web1");
    const struct vg_field *f = field(t.ev, "host.name");
    assert_non_null(f);
    assert_int_equal(f->flags, VG_FF_SOURCE | VG_FF_ECS);
    f = field(t.ev, "user.name");
    assert_non_null(f);
    assert_true(f->flags & VG_FF_ECS);
    f = field(t.ev, "msg");
    assert_int_equal(f->flags, VG_FF_SOURCE);
    assert_str_field(t.ev, "msg", "hi");
    assert_int_equal(field(t.ev, "n")->v.type, VG_V_INT);
    assert_int_equal(field(t.ev, "tags")->v.type, VG_V_LIST);
    assert_str_field(t.ev, "x.y", "[{\"z\":1}]");
    /* duplicate key: first kept, counted */
    assert_int_equal(field(t.ev, "dup")->v.u.i, 1);
    assert_int_equal(field(t.ev, "vigil.duplicate_fields")->v.u.i, 1);
    tev_release(&t);

    /* VG_FF_UNESC: strings unescaped into a copy with two-character
     * escapes only (the keyword prefilter relies on it: docs/internals/sigma.md) */
    tev_init(&t, "{\"p\":\"C:\\\\x\\\\y.exe\",\"q\":\"a\\u0041b\",\"r\":\"plain\",\"s\":\"x\\\"y\\/z\\n\","
                 "\"t\":\"\\\\u0041\",\"u\":\"\\\\\\u0041\"}");
    assert_int_equal(vg_decode(t.ev, NULL, &e), 0);
    assert_str_field(t.ev, "p", "C:\\x\\y.exe");
    assert_true(field(t.ev, "p")->flags & VG_FF_UNESC);
    assert_str_field(t.ev, "q", "aAb");
    assert_false(field(t.ev, "q")->flags & VG_FF_UNESC);  /* a \u escape */
    assert_false(field(t.ev, "r")->flags & VG_FF_UNESC);  /* no escape: points into the raw text */
    assert_true(field(t.ev, "s")->flags & VG_FF_UNESC);
    assert_str_field(t.ev, "t", "\\u0041");                 /* an escaped backslash, then u0041 */
    assert_true(field(t.ev, "t")->flags & VG_FF_UNESC);
    assert_str_field(t.ev, "u", "\\A");                     /* an escaped backslash, then \u0041 */
    assert_false(field(t.ev, "u")->flags & VG_FF_UNESC);
    tev_release(&t);

    /* epoch numbers */
    tev_init(&t, "{\"time\":1700000000123}");
    assert_int_equal(vg_decode(t.ev, NULL, NULL), 0);
    assert_true(t.ev->ts == 1700000000123LL * 1000000);
    tev_release(&t);
    tev_init(&t, "{\"timestamp\":1700000000.5}");
    assert_int_equal(vg_decode(t.ev, NULL, NULL), 0);
    assert_true(t.ev->ts == 1700000000500000000LL);
    tev_release(&t);

    /* malformed: flagged, kept raw, error detail */
    tev_init(&t, "{\"a\":\"\xff\"}");
    assert_int_equal(vg_decode(t.ev, NULL, &e), VG_EUTF8);
    assert_true(t.ev->flags & VG_EV_DECODE_FAILED);
    assert_non_null(strstr(e.msg, "UTF-8"));
    tev_release(&t);

    /* a name longer than 255 bytes is dropped and counted */
    struct vg_buf b = VG_BUF_INIT;
    vg_buf_adds(&b, "{\"ok\":1,\"");
    for (int i = 0; i < 300; i++) vg_buf_addc(&b, 'k');
    vg_buf_adds(&b, "\":2}");
    tev_init(&t, b.data);
    assert_int_equal(vg_decode(t.ev, NULL, NULL), 0);
    assert_int_equal(field(t.ev, "vigil.dropped_fields")->v.u.i, 1);
    assert_non_null(field(t.ev, "ok"));
    tev_release(&t);
    vg_buf_release(&b);

    /* probe */
    const struct vg_decoder *d = vg_decoder_find("json");
    assert_non_null(d);
    assert_int_equal(d->probe(" \n{", 3), 90);
    assert_int_equal(d->probe("<13>Jan", 7), 0);
    assert_int_equal(d->probe("[{}]", 4), 0);
}

/* A value a mapper copies: non-empty and not the Windows "-" placeholder. */
static bool meaningful(const struct vg_field *f)
{
    return f && !(f->v.type == VG_V_STR && (f->v.len == 0 || (f->v.len == 1 && f->v.u.s[0] == '-')));
}

/* ---- Suricata -------------------------------------------------------- */

static void test_suricata_files(void **st)
{
    (void)st;
    char pat[1024];
    snprintf(pat, sizeof pat, "%s/data/network/suricata/*.json", shared_dir());
    glob_t g;
    assert_int_equal(glob(pat, 0, NULL, &g), 0);
    assert_true(g.gl_pathc >= 4);
    size_t total = 0, alerts = 0;
    for (size_t fi = 0; fi < g.gl_pathc; fi++) {
        size_t len;
        char *body = read_file(g.gl_pathv[fi], &len);
        assert_non_null(body);
        struct vg_json_iter it;
        vg_json_iter_init(&it, body, len);
        const char *rec;
        size_t rl;
        int rc;
        while ((rc = vg_json_iter_next(&it, &rec, &rl, NULL)) == 1) {
            struct tev t;
            tev_initn(&t, rec, rl);
            struct vg_err e = VG_ERR_INIT;
            int drc = vg_decode(t.ev, NULL, &e);
            if (drc) print_error("%s record %llu: %s\n", g.gl_pathv[fi], (unsigned long long)it.index, e.msg);
            assert_int_equal(drc, 0);
            assert_string_equal(t.ev->format, "json+suricata");
            assert_false(t.ev->flags & VG_EV_TS_FROM_RECV);
            const struct vg_field *src = field(t.ev, "src_ip");
            if (src) {
                const struct vg_field *sip = field(t.ev, "source.ip");
                assert_non_null(sip);
                assert_int_equal(sip->v.type, VG_V_IP);
                assert_int_equal(sip->v.len, src->v.len);
                assert_memory_equal(sip->v.u.s, src->v.u.s, src->v.len);
                assert_int_equal(src->flags, VG_FF_SOURCE);
            }
            if (field(t.ev, "dest_port")) assert_int_equal(field(t.ev, "destination.port")->v.u.i, field(t.ev, "dest_port")->v.u.i);
            const struct vg_field *proto = field(t.ev, "proto");
            if (proto) {
                const struct vg_field *tr = field(t.ev, "network.transport");
                assert_non_null(tr);
                for (uint32_t i = 0; i < tr->v.len; i++)
                    assert_true(tr->v.u.s[i] == (char)(proto->v.u.s[i] | (proto->v.u.s[i] >= 'A' && proto->v.u.s[i] <= 'Z' ? 0x20 : 0)));
            }
            assert_str_field(t.ev, "observer.product", "suricata");
            const struct vg_field *et = field(t.ev, "event_type");
            if (et->v.len == 5 && memcmp(et->v.u.s, "alert", 5) == 0) {
                alerts++;
                assert_str_field(t.ev, "event.kind", "alert");
                const struct vg_field *sig = field(t.ev, "alert.signature");
                const struct vg_field *rn = field(t.ev, "rule.name");
                assert_non_null(sig);
                assert_non_null(rn);
                assert_int_equal(rn->v.len, sig->v.len);
                assert_memory_equal(rn->v.u.s, sig->v.u.s, sig->v.len);
                char buf[32];
                size_t bl;
                const char *sid = vg_value_text(&field(t.ev, "alert.signature_id")->v, buf, sizeof buf, &bl);
                assert_int_equal(field(t.ev, "rule.id")->v.len, bl);
                assert_memory_equal(field(t.ev, "rule.id")->v.u.s, sid, bl);
                assert_int_equal(field(t.ev, "event.severity")->v.u.i, field(t.ev, "alert.severity")->v.u.i);
                const struct vg_field *cat = field(t.ev, "event.category");
                assert_int_equal(cat->v.type, VG_V_LIST);
                assert_memory_equal(cat->v.u.list[1].s, "intrusion_detection", 19);
            }
            if (meaningful(field(t.ev, "dns.rrname"))) assert_non_null(field(t.ev, "dns.question.name"));
            if (meaningful(field(t.ev, "http.hostname"))) assert_non_null(field(t.ev, "url.domain"));
            if (meaningful(field(t.ev, "http.url"))) assert_non_null(field(t.ev, "url.original"));
            if (meaningful(field(t.ev, "http.http_user_agent"))) assert_non_null(field(t.ev, "user_agent.original"));
            total++;
            tev_release(&t);
        }
        assert_int_equal(rc, 0);
        vg_free(body);
    }
    globfree(&g);
    print_message("suricata: %zu records, %zu alerts\n", total, alerts);
    assert_true(total > 100);
    assert_true(alerts > 0);
}

/* ---- Windows --------------------------------------------------------- */

static void check_windows_event(struct vg_event *ev)
{
    assert_string_equal(ev->format, "json");
    assert_false(ev->flags & VG_EV_TS_FROM_RECV);
    const struct vg_field *id = field(ev, "EventID");
    assert_non_null(id);
    assert_true(id->flags & VG_FF_SOURCE);
    assert_non_null(field(ev, "Event.System.EventID"));
    assert_int_equal(field(ev, "winlog.event_id")->v.u.i, id->v.u.i);
    char buf[32];
    size_t bl;
    const char *idt = vg_value_text(&id->v, buf, sizeof buf, &bl);
    assert_int_equal(field(ev, "event.code")->v.len, bl);
    assert_memory_equal(field(ev, "event.code")->v.u.s, idt, bl);
    assert_non_null(field(ev, "Channel"));
    assert_non_null(field(ev, "winlog.channel"));
    assert_non_null(field(ev, "Provider_Name"));
    assert_non_null(field(ev, "winlog.provider_name"));
    const struct vg_field *comp = field(ev, "Computer");
    assert_non_null(comp);
    assert_int_equal(field(ev, "host.name")->v.len, comp->v.len);
    assert_non_null(field(ev, "winlog.record_id"));
    const struct vg_field *img = field(ev, "Image");
    if (img) {
        assert_non_null(field(ev, "Event.EventData.Image"));
        const struct vg_field *pe = field(ev, "process.executable");
        assert_non_null(pe);
        assert_int_equal(pe->flags, VG_FF_ECS);
        assert_int_equal(pe->v.len, img->v.len);
        assert_memory_equal(pe->v.u.s, img->v.u.s, img->v.len);
        assert_non_null(field(ev, "process.name"));
    }
    const struct vg_field *cl = field(ev, "CommandLine");
    if (cl) {
        const struct vg_field *pc = field(ev, "process.command_line");
        assert_non_null(pc);
        assert_int_equal(pc->v.len, cl->v.len);
        assert_memory_equal(pc->v.u.s, cl->v.u.s, cl->v.len);
    }
    if (meaningful(field(ev, "ParentImage"))) assert_non_null(field(ev, "process.parent.executable"));
    if (meaningful(field(ev, "ProcessId"))) assert_non_null(field(ev, "process.pid"));
    if (meaningful(field(ev, "User"))) assert_non_null(field(ev, "user.name"));
}

static void test_windows_regression_json(void **st)
{
    (void)st;
    char pat[1024];
    snprintf(pat, sizeof pat, "%s/sigma/regression_data/rules/windows/*/*/*.json", shared_dir());
    glob_t g;
    assert_int_equal(glob(pat, 0, NULL, &g), 0);
    assert_true(g.gl_pathc >= 100);
    size_t events = 0, with_image = 0, with_cmd = 0;
    for (size_t fi = 0; fi < g.gl_pathc; fi++) {
        size_t len;
        char *body = read_file(g.gl_pathv[fi], &len);
        assert_non_null(body);
        struct vg_json_iter it;
        vg_json_iter_init(&it, body, len);
        const char *rec;
        size_t rl;
        int rc;
        size_t in_file = 0;
        while ((rc = vg_json_iter_next(&it, &rec, &rl, NULL)) == 1) {
            struct tev t;
            tev_initn(&t, rec, rl);
            struct vg_err e = VG_ERR_INIT;
            int drc = vg_decode(t.ev, NULL, &e);
            if (drc) print_error("%s: %s\n", g.gl_pathv[fi], e.msg);
            assert_int_equal(drc, 0);
            check_windows_event(t.ev);
            if (field(t.ev, "Image")) with_image++;
            if (field(t.ev, "CommandLine")) with_cmd++;
            events++;
            in_file++;
            tev_release(&t);
        }
        assert_int_equal(rc, 0);
        assert_true(in_file >= 1);
        vg_free(body);
    }
    globfree(&g);
    print_message("windows regression json: %zu events, %zu with Image, %zu with CommandLine\n", events, with_image, with_cmd);
    assert_true(events >= g.gl_pathc);
    assert_true(with_image > 0 && with_cmd > 0);
}

static void test_windows_security_shapes(void **st)
{
    (void)st;
    /* evtx_dump Security 4688 with EventID as {#attributes,#text}, hex pids */
    const char *sec =
        "{\"Event\":{\"#attributes\":{\"xmlns\":\"x\"},\"System\":{\"Provider\":{\"#attributes\":{\"Name\":"
        "\"Microsoft-Windows-Security-Auditing\",\"Guid\":\"54849625\"}},\"EventID\":{\"#attributes\":{\"Qualifiers\":0},"
        "\"#text\":4688},\"TimeCreated\":{\"#attributes\":{\"SystemTime\":\"2023-01-02T03:04:05.123456Z\"}},"
        "\"EventRecordID\":77,\"Channel\":\"Security\",\"Computer\":\"DC01.corp.local\"},\"EventData\":{"
        "\"SubjectUserName\":\"alice\",\"SubjectDomainName\":\"CORP\",\"NewProcessId\":\"0x1a4\",\"NewProcessName\":"
        "\"C:\\\\Windows\\\\System32\\\\cmd.exe\",\"ProcessId\":\"0x3e8\",\"CommandLine\":\"cmd /c whoami\","
        "\"ParentProcessName\":\"C:\\\\Windows\\\\explorer.exe\",\"TargetUserName\":\"-\"}}}";
    struct tev t;
    tev_init(&t, sec);
    struct vg_err e = VG_ERR_INIT;
    assert_int_equal(vg_decode(t.ev, NULL, &e), 0);
    check_windows_event(t.ev);
    assert_int_equal(field(t.ev, "EventID")->v.u.i, 4688);
    assert_int_equal(field(t.ev, "Event.System.EventID")->v.u.i, 4688);
    assert_int_equal(field(t.ev, "Qualifiers")->v.u.i, 0);
    assert_int_equal(field(t.ev, "process.pid")->v.u.i, 0x1a4);
    assert_int_equal(field(t.ev, "process.parent.pid")->v.u.i, 0x3e8);
    assert_str_field(t.ev, "process.executable", "C:\\Windows\\System32\\cmd.exe");
    assert_str_field(t.ev, "process.name", "cmd.exe");
    assert_str_field(t.ev, "process.parent.executable", "C:\\Windows\\explorer.exe");
    assert_str_field(t.ev, "user.name", "alice");
    assert_str_field(t.ev, "user.domain", "CORP");
    assert_str_field(t.ev, "event.category", "process");
    assert_str_field(t.ev, "event.module", "security");
    assert_str_field(t.ev, "Provider_Name", "Microsoft-Windows-Security-Auditing");
    assert_str_field(t.ev, "host.name", "DC01.corp.local");
    int64_t want;
    vg_time_parse_iso("2023-01-02T03:04:05.123456Z", 27, &want);
    assert_true(t.ev->ts == want);
    tev_release(&t);

    /* the same 4688 as XML-to-JSON converters (xmltodict) write it:
     * attributes as "@Name", EventData as a list of {"@Name","#text"} */
    const char *xd =
        "{\"Event\":{\"@xmlns\":\"x\",\"System\":{\"Provider\":{\"@Name\":\"Microsoft-Windows-Security-Auditing\","
        "\"@Guid\":\"54849625\"},\"EventID\":{\"@Qualifiers\":\"0\",\"#text\":\"4688\"},\"TimeCreated\":{\"@SystemTime\":"
        "\"2023-01-02T03:04:05.123456Z\"},\"EventRecordID\":\"77\",\"Channel\":\"Security\",\"Computer\":\"DC01.corp.local\"},"
        "\"EventData\":{\"Data\":[{\"@Name\":\"SubjectUserName\",\"#text\":\"alice\"},{\"@Name\":\"SubjectDomainName\","
        "\"#text\":\"CORP\"},{\"@Name\":\"NewProcessName\",\"#text\":\"C:\\\\Windows\\\\System32\\\\cmd.exe\"},"
        "{\"@Name\":\"CommandLine\",\"#text\":\"cmd /c whoami\"},{\"@Name\":\"TargetUserName\"},"
        "{\"@Name\":\"ParentProcessName\",\"#text\":\"C:\\\\Windows\\\\explorer.exe\"}]}}}";
    tev_init(&t, xd);
    assert_int_equal(vg_decode(t.ev, NULL, &e), 0);
    assert_str_field(t.ev, "EventID", "4688");
    assert_str_field(t.ev, "Provider_Name", "Microsoft-Windows-Security-Auditing");
    assert_str_field(t.ev, "Qualifiers", "0");
    assert_str_field(t.ev, "NewProcessName", "C:\\Windows\\System32\\cmd.exe");
    assert_str_field(t.ev, "Event.EventData.CommandLine", "cmd /c whoami");
    assert_str_field(t.ev, "CommandLine", "cmd /c whoami");
    assert_int_equal(field(t.ev, "TargetUserName")->v.type, VG_V_NULL); /* <Data Name="TargetUserName"/> */
    assert_str_field(t.ev, "process.executable", "C:\\Windows\\System32\\cmd.exe");
    assert_str_field(t.ev, "process.parent.executable", "C:\\Windows\\explorer.exe");
    assert_str_field(t.ev, "user.name", "alice");
    assert_str_field(t.ev, "event.category", "process");
    assert_str_field(t.ev, "host.name", "DC01.corp.local");
    assert_true(t.ev->ts == want);
    tev_release(&t);
    /* one Data element: an object, not a list; junk items are skipped */
    tev_init(&t, "{\"Event\":{\"System\":{\"EventID\":\"1\",\"Channel\":\"Microsoft-Windows-Sysmon/Operational\"},"
                 "\"EventData\":{\"Data\":{\"#text\":\"C:\\\\x\\\\y.exe\",\"@Name\":\"Image\"}}}}");
    assert_int_equal(vg_decode(t.ev, NULL, &e), 0);
    assert_str_field(t.ev, "Image", "C:\\x\\y.exe");
    assert_str_field(t.ev, "process.executable", "C:\\x\\y.exe");
    tev_release(&t);
    tev_init(&t, "{\"Event\":{\"EventData\":{\"Data\":[{\"@Name\":\"A\",\"#text\":\"1\"},[1],{\"x\":2},{\"@Name\":\"B\","
                 "\"#text\":\"2\"}]}}}");
    assert_int_equal(vg_decode(t.ev, NULL, &e), 0);
    assert_str_field(t.ev, "A", "1");
    assert_str_field(t.ev, "B", "2"); /* items that are not {"@Name",...} objects are skipped */
    tev_release(&t);

    /* Winlogbeat 4625 with IpAddress */
    const char *wlb =
        "{\"@timestamp\":\"2023-03-04T05:06:07.000Z\",\"host\":{\"name\":\"ws7\"},\"winlog\":{\"channel\":\"Security\","
        "\"event_id\":\"4625\",\"provider_name\":\"Microsoft-Windows-Security-Auditing\",\"computer_name\":"
        "\"ws7.corp\",\"record_id\":991,\"event_data\":{\"TargetUserName\":\"admin\",\"TargetDomainName\":\"WS7\","
        "\"SubjectUserName\":\"WS7$\",\"IpAddress\":\"203.0.113.9\",\"IpPort\":\"51234\",\"LogonType\":\"3\"}}}";
    tev_init(&t, wlb);
    assert_int_equal(vg_decode(t.ev, NULL, &e), 0);
    assert_str_field(t.ev, "TargetUserName", "admin");
    assert_str_field(t.ev, "winlog.event_data.TargetUserName", "admin");
    assert_str_field(t.ev, "EventID", "4625");
    assert_int_equal(field(t.ev, "winlog.event_id")->flags, VG_FF_SOURCE | VG_FF_ECS);
    assert_str_field(t.ev, "Channel", "Security");
    assert_str_field(t.ev, "event.code", "4625");
    assert_str_field(t.ev, "user.name", "admin");
    assert_str_field(t.ev, "source.ip", "203.0.113.9");
    assert_int_equal(field(t.ev, "source.ip")->v.type, VG_V_IP);
    assert_int_equal(field(t.ev, "source.port")->v.u.i, 51234);
    assert_int_equal(field(t.ev, "winlog.logon.type")->v.u.i, 3);
    assert_str_field(t.ev, "event.outcome", "failure");
    assert_str_field(t.ev, "host.name", "ws7"); /* the source's own ECS host.name wins */
    assert_string_equal(t.ev->host, "ws7");
    tev_release(&t);

    /* NXLog-style flat Sysmon network event */
    const char *flat = "{\"EventTime\":\"x\",\"Hostname\":\"h\",\"EventID\":3,\"SourceName\":\"Microsoft-Windows-Sysmon\","
                       "\"Channel\":\"Microsoft-Windows-Sysmon/Operational\",\"Computer\":\"h1\",\"Image\":\"C:\\\\a\\\\b.exe\","
                       "\"SourceIp\":\"10.0.0.5\",\"SourcePort\":\"5000\",\"DestinationIp\":\"::1\",\"DestinationPort\":\"443\","
                       "\"Protocol\":\"TCP\",\"User\":\"NT AUTHORITY\\\\SYSTEM\"}";
    tev_init(&t, flat);
    assert_int_equal(vg_decode(t.ev, NULL, &e), 0);
    assert_str_field(t.ev, "source.ip", "10.0.0.5");
    assert_str_field(t.ev, "destination.ip", "::1");
    assert_int_equal(field(t.ev, "destination.port")->v.u.i, 443);
    assert_str_field(t.ev, "network.transport", "tcp");
    assert_str_field(t.ev, "user.name", "SYSTEM");
    assert_str_field(t.ev, "user.domain", "NT AUTHORITY");
    assert_str_field(t.ev, "process.name", "b.exe");
    tev_release(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_table),
        cmocka_unit_test(test_invalid_table),
        cmocka_unit_test(test_value_end),
        cmocka_unit_test(test_iter),
        cmocka_unit_test(test_flatten),
        cmocka_unit_test(test_unescape),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_decode_generic),
        cmocka_unit_test(test_suricata_files),
        cmocka_unit_test(test_windows_regression_json),
        cmocka_unit_test(test_windows_security_shapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
