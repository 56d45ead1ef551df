/* Hash indicators in the fast path (prefilter.c, hex_key / hex_scan): a
 * literal whose run of >= 16 hex digits must start a hex run of the value
 * ('SHA256=ABC...', a start-anchored hash) becomes a key of a hash set
 * probed with the prefixes of the value's hex runs; any other hex literal
 * (bare 'ABC...' under contains/endswith, a run glued to hex) stays a
 * Vectorscan literal. Each case checks which way its literal went (the
 * prefilter's hex_keys count) and that the fast path and the naive
 * evaluator agree with the expected outcome on events that put the hash at
 * a run start, inside a longer run, in another case, in a list, at the end
 * of the value, behind more hex digits. */
#include "common.h"
#include <stdio.h>
#include <string.h>

#define H64 "B5ACF14CDAC40BE590318DEE95425D0746E85B1B7B1CBD14DA66F21F2522BF4D"
#define H64L "b5acf14cdac40be590318dee95425d0746e85b1b7b1cbd14da66f21f2522bf4d"
#define H32 "330768A4F172E10ACB6287B87289D83B"
#define H20 "0123456789ABCDEF0123" /* 20 digits: a 16-byte key */

struct hcase {
    const char *name;
    const char *det;        /* YAML lines under detection: */
    size_t keys;            /* expected hex keys in the prefilter */
    const char *val[4];     /* values of Hashes (one event each; "l:" prefix = list a|b) */
    int want[4];            /* 1 = the rule matches that event */
};

static const struct hcase cases[] = {
    {"sha256-token", "    sel:\n      Hashes|contains: 'SHA256=" H64 "'\n    condition: sel", 1,
     {"SHA1=AA,MD5=BB,SHA256=" H64 ",IMPHASH=CC", "sha256=" H64L, "SHA256=" H64 "00FF", "SHA256=0" H64}, {1, 1, 1, 0}},
    {"imphash-list", "    sel:\n      Hashes|contains:\n        - 'IMPHASH=" H32 "'\n        - 'MD5=" H32 "'\n    condition: sel", 1,
     {"l:x|IMPHASH=" H32, "MD5=" H32 ",SHA1=0", "IMPHASH=" H32 "7", "IMPHASH=A" H32}, {1, 1, 1, 0}},
    /* a bare hash under contains may sit inside a longer run: Vectorscan */
    {"bare-contains", "    sel:\n      Hashes|contains: '" H32 "'\n    condition: sel", 0,
     {"MD5=FF" H32, "MD5=" H32, "x", "MD5=" H32 "AB"}, {1, 1, 0, 1}},
    {"bare-endswith", "    sel:\n      Hashes|endswith: '" H32 "'\n    condition: sel", 0,
     {"MD5=FF" H32, "MD5=" H32 "AB", "" H32, "q"}, {1, 0, 1, 0}},
    /* start-anchored: the value's first run starts with it */
    {"startswith", "    sel:\n      Hashes|startswith: '" H64 "'\n    condition: sel", 1,
     {H64, H64L "ff,x", "0" H64, " " H64}, {1, 1, 0, 0}},
    {"equals", "    sel:\n      sha256: '" H64 "'\n    condition: sel", 1,
     {0}, {0}},
    /* 20 digits: the key is the 16-digit prefix */
    {"sixteen", "    sel:\n      Hashes|contains: 'X=" H20 "'\n    condition: sel", 1,
     {"X=" H20, "X=" H20 "1", "X=0123456789ABCDEF0124", "Y=" H20}, {1, 1, 0, 0}},
    /* too short to be a key: 15 digits */
    {"short", "    sel:\n      Hashes|contains: 'MD5=0123456789ABCDE'\n    condition: sel", 0,
     {"MD5=0123456789ABCDE", "md5=0123456789abcdef", "MD5=0123456789ABCD", 0}, {1, 1, 0, 0}},
    /* the run is glued to hex in the literal ('=' then 'A' starts it, but 'SHA' is not a separator for '256'...) */
    {"wildcard-middle", "    sel:\n      Hashes: '*=" H32 "*'\n    condition: sel", 1,
     {"MD5=" H32, "x=" H32 "0", "x" H32, 0}, {1, 1, 0, 0}},
    {"qmark-before", "    sel:\n      Hashes|contains: '?" H32 "'\n    condition: sel", 0,
     {"=" H32, "0" H32, H32, 0}, {1, 1, 0, 0}},
    /* an AND: the hash key is the cheaper operand; the other one vetoes */
    {"and", "    sel:\n      Hashes|contains: 'SHA256=" H64 "'\n      Image|endswith: '\\evil.exe'\n    condition: sel", 1,
     {"SHA256=" H64, 0}, {0}},
};

static void add_value(struct vg_event *ev, uint32_t fid, const char *v)
{
    if (strncmp(v, "l:", 2) == 0) {
        const char *bar = strchr(v + 2, '|');
        struct vg_str *it = vg_arena_alloc(ev->arena, 2 * sizeof *it);
        assert_non_null(it);
        it[0].s = v + 2;
        it[0].len = (uint32_t)(bar - (v + 2));
        it[1].s = bar + 1;
        it[1].len = (uint32_t)strlen(bar + 1);
        assert_int_equal(vg_event_add_list(ev, fid, 0, it, 2), 0);
    } else {
        assert_int_equal(vg_event_add_str(ev, fid, VG_FF_SOURCE, v, strlen(v)), 0);
    }
}

static void run_case(const struct hcase *c)
{
    struct vg_buf y = VG_BUF_INIT;
    assert_int_equal(vg_buf_addf(&y, "title: %s\nlogsource:\n    product: test\ndetection:\n%s\n", c->name, c->det), 0);
    struct vg_sigma_set *set = vg_sigma_set_new();
    struct vg_sigma_report rep = VG_SIGMA_REPORT_INIT;
    struct vg_err err = VG_ERR_INIT;
    assert_int_equal(vg_sigma_load_string(set, y.data, y.len, c->name, &rep), 0);
    assert_int_equal(rep.rejected, 0);
    assert_int_equal(vg_sigma_compile(set, &err), 0);
    struct vg_sigma_pf_info pi;
    vg_sigma_prefilter_info(set, &pi);
    if (pi.hex_keys != c->keys) printf("%s: %zu hex keys, want %zu\n", c->name, pi.hex_keys, c->keys);
    assert_int_equal(pi.hex_keys, c->keys);
    struct vg_sigma_ctx *ctx = vg_sigma_ctx_new(set);
    assert_non_null(ctx);
    struct vg_arena ar;
    vg_arena_init(&ar, 4096);
    uint32_t hf = vg_fid("Hashes", 6), img = vg_fid("Image", 5), sha = vg_fid("sha256", 6);
    for (size_t i = 0; i < 4 && c->val[i]; i++) {
        for (int variant = 0; variant < 2; variant++) {
            struct vg_event ev;
            vg_event_init(&ev, &ar);
            add_value(&ev, strcmp(c->name, "equals") == 0 ? sha : hf, c->val[i]);
            if (variant) assert_int_equal(vg_event_add_str(&ev, img, VG_FF_SOURCE, "C:\\x\\EVIL.exe", 13), 0);
            const struct vg_sigma_hit *hits;
            int fast = vg_sigma_match(ctx, &ev, &hits);
            int naive = vg_sigma_match_naive(ctx, &ev, &hits);
            int want = strcmp(c->name, "and") == 0 ? variant : c->want[i];
            if (fast != want || naive != want)
                printf("%s value %zu variant %d: fast %d naive %d want %d\n", c->name, i, variant, fast, naive, want);
            assert_int_equal(fast, want);
            assert_int_equal(naive, want);
        }
    }
    if (strcmp(c->name, "equals") == 0) { /* whole value, both cases; not a prefix */
        const char *vals[] = {H64, H64L, H64 "0"};
        for (int i = 0; i < 3; i++) {
            struct vg_event ev;
            vg_event_init(&ev, &ar);
            add_value(&ev, sha, vals[i]);
            const struct vg_sigma_hit *hits;
            assert_int_equal(vg_sigma_match(ctx, &ev, &hits), i < 2);
            assert_int_equal(vg_sigma_match_naive(ctx, &ev, &hits), i < 2);
        }
    }
    vg_arena_release(&ar);
    vg_sigma_ctx_free(ctx);
    vg_sigma_report_release(&rep);
    vg_sigma_set_free(set);
    vg_buf_release(&y);
}

static void test_hexkeys(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) run_case(&cases[i]);
}

/* Many keys of every length in one set (collisions in the table and the
 * bloom bits): each one is found, its neighbours are not. */
static void test_many_keys(void **state)
{
    (void)state;
    static const unsigned lens[] = {16, 32, 40, 64};
    struct vg_buf y = VG_BUF_INIT;
    assert_int_equal(vg_buf_adds(&y, "title: many\nlogsource:\n    product: test\ndetection:\n    sel:\n      Hashes|contains:\n"), 0);
    char key[80];
    for (unsigned k = 0; k < 2000; k++) {
        unsigned L = lens[k % 4];
        uint64_t x = 0x9e3779b97f4a7c15ull * (k + 1);
        for (unsigned j = 0; j < L; j++) { key[j] = "0123456789ABCDEF"[((x >> ((j * 4) % 64)) & 15) ^ (j % 16)]; }
        key[L] = 0;
        assert_int_equal(vg_buf_addf(&y, "        - 'H=%s'\n", key), 0);
    }
    assert_int_equal(vg_buf_adds(&y, "    condition: sel\n"), 0);
    struct vg_sigma_set *set = vg_sigma_set_new();
    struct vg_sigma_report rep = VG_SIGMA_REPORT_INIT;
    struct vg_err err = VG_ERR_INIT;
    assert_int_equal(vg_sigma_load_string(set, y.data, y.len, "many", &rep), 0);
    assert_int_equal(rep.loaded, 1);
    assert_int_equal(vg_sigma_compile(set, &err), 0);
    struct vg_sigma_pf_info pi;
    vg_sigma_prefilter_info(set, &pi);
    assert_true(pi.hex_keys > 1900); /* distinct keys (a few may repeat) */
    struct vg_sigma_ctx *ctx = vg_sigma_ctx_new(set);
    struct vg_arena ar;
    vg_arena_init(&ar, 4096);
    uint32_t hf = vg_fid("Hashes", 6);
    for (unsigned k = 0; k < 2000; k += 7) {
        unsigned L = lens[k % 4];
        uint64_t x = 0x9e3779b97f4a7c15ull * (k + 1);
        for (unsigned j = 0; j < L; j++) { key[j] = "0123456789abcdef"[((x >> ((j * 4) % 64)) & 15) ^ (j % 16)]; }
        for (int miss = 0; miss < 2; miss++) {
            char v[100];
            snprintf(v, sizeof v, "A=1,h=%.*s%s", (int)L, key, miss ? "" : ",z");
            if (miss) v[6 + L - 1] = v[6 + L - 1] == '0' ? '1' : '0'; /* last digit changed */
            struct vg_event ev;
            vg_event_init(&ev, &ar);
            assert_int_equal(vg_event_add_str(&ev, hf, VG_FF_SOURCE, v, strlen(v)), 0);
            const struct vg_sigma_hit *hits;
            int naive = vg_sigma_match_naive(ctx, &ev, &hits);
            assert_int_equal(vg_sigma_match(ctx, &ev, &hits), naive);
            if (!miss) assert_int_equal(naive, 1);
        }
    }
    vg_arena_release(&ar);
    vg_sigma_ctx_free(ctx);
    vg_sigma_report_release(&rep);
    vg_sigma_set_free(set);
    vg_buf_release(&y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hexkeys),
        cmocka_unit_test(test_many_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
