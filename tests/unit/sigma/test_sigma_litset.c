/* Literal sets (src/detect/sigma/litset.c), the prefilter's matcher for a
 * field's literal patterns: differential against a naive reference (every
 * literal tried at every position with its case rule and anchors) on
 * random sets and texts over a small alphabet (so literals really occur,
 * overlap and share windows), with cased and caseless, start/end/whole
 * anchored and unanchored literals of 1..40 bytes, NUL and high bytes; plus
 * fixed cases at the edges (text shorter than a key, literal = text,
 * suffix longer than 8 bytes, many literals on one window), the stamp skip,
 * and the lowercase copy against the table at every length and offset.
 * Every scan runs with each kernel set (portable, AVX2, AVX-512, as the CPU
 * has them) and must give the portable code's exact callback sequence;
 * texts of 0..130 bytes at every alignment exercise the kernels' blocks
 * and tails. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "../../../src/detect/sigma/internal.h"

static uint64_t rng = 0x243f6a8885a308d3ull;
static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

static const uint8_t alpha[] = {'a', 'B', 'c', 'A', 'b', '\\', '.', ' ', 'e', 'E', 'x', 0, 0xc3, '-', 'Z', 'z'};

static bool ref_has(const struct vg__lit *l, const uint8_t *t, size_t n)
{
    if (l->len > n) return false;
    for (size_t p = 0; p + l->len <= n; p++) {
        if (l->st && p != 0) continue;
        if (l->en && p + l->len != n) continue;
        bool ok = true;
        for (uint32_t i = 0; i < l->len && ok; i++)
            ok = l->cased ? t[p + i] == l->b[i] : vg__sig_lower[t[p + i]] == vg__sig_lower[l->b[i]];
        if (ok) return true;
    }
    return false;
}

struct got {
    uint8_t *hit;
    uint32_t calls;
    uint32_t seq[512];       /* ids in callback order (the first 512) */
};
static void on_hit(uint32_t id, void *arg)
{
    struct got *g = arg;
    g->hit[id] = 1;
    if (g->calls < 512) g->seq[g->calls] = id;
    g->calls++;
}

/* Kernel sets to compare: 0 portable, 1 AVX2, 2 AVX-512 (each clamped to
 * what the CPU has, so a kernel the CPU lacks repeats a lower one). */
#define NIMPL 3

/* Scans t with every kernel: each must report exactly the literals the
 * reference finds, with the same callback sequence as the scalar loop.
 * t and low are copied into buffers of exactly tn bytes, so a kernel that
 * reads past the text trips AddressSanitizer. */
static void check(const struct vg__litset *ls, const struct vg__lit *lits, uint32_t n, const uint8_t *t, size_t tn)
{
    uint8_t *low = malloc(tn ? tn : 1), *tc = malloc(tn ? tn : 1);
    static uint8_t hit[4096];
    static struct got g, g0;
    assert_non_null(low);
    assert_non_null(tc);
    if (tn) memcpy(tc, t, tn);
    vg__sig_lower_copy(low, tc, tn);
    for (int impl = 0; impl < NIMPL; impl++) {
        const char *name = vg__litset_impl(impl);
        memset(hit, 0, n);
        g.hit = hit;
        g.calls = 0;
        vg__litset_scan(ls, tc, low, tn, NULL, 0, on_hit, &g);
        for (uint32_t i = 0; i < n; i++) {
            bool want = ref_has(&lits[i], t, tn);
            if (want != (hit[i] != 0)) {
                print_error("%s: literal %u (len %u cased %u st %u en %u) on text of %zu bytes: want %d got %d\n", name,
                            i, lits[i].len, lits[i].cased, lits[i].st, lits[i].en, tn, want, hit[i]);
                fail();
            }
        }
        if (impl == 0) {
            g0 = g;
        } else {
            assert_int_equal(g.calls, g0.calls);
            assert_memory_equal(g.seq, g0.seq, (g.calls < 512 ? g.calls : 512) * sizeof g.seq[0]);
        }
    }
    vg__litset_impl(NIMPL);
    free(low);
    free(tc);
}

static void test_random(void **state)
{
    (void)state;
    for (int round = 0; round < 300; round++) {
        uint32_t n = 1 + rnd(round % 10 == 0 ? 3000 : 60);
        struct vg__lit *lits = calloc(n, sizeof *lits);
        uint8_t *bytes = malloc((size_t)n * 40);
        assert_non_null(lits);
        assert_non_null(bytes);
        uint32_t alph = 3 + rnd(sizeof alpha - 3);
        for (uint32_t i = 0; i < n; i++) {
            uint32_t len = 1 + (rnd(4) == 0 ? rnd(40) : rnd(6));
            uint8_t *b = bytes + (size_t)i * 40;
            for (uint32_t k = 0; k < len; k++) b[k] = alpha[rnd(alph)];
            lits[i] = (struct vg__lit){.b = b, .len = len, .id = i, .cased = rnd(3) == 0};
            uint32_t a = rnd(6);
            lits[i].st = a == 1 || a == 3;
            lits[i].en = a == 2 || a == 3;
        }
        struct vg__litset *ls = vg__litset_build(lits, n);
        assert_non_null(ls);
        for (int k = 0; k < 40; k++) {
            uint8_t t[200];
            size_t tn = rnd(k < 5 ? 4 : 200);
            for (size_t j = 0; j < tn; j++) t[j] = alpha[rnd(alph)];
            /* plant a literal now and then, whole or inside */
            if (tn && rnd(2)) {
                const struct vg__lit *l = &lits[rnd(n)];
                if (l->len <= tn) {
                    size_t at = l->st ? 0 : l->en ? tn - l->len : rnd((uint32_t)(tn - l->len + 1));
                    for (uint32_t j = 0; j < l->len; j++)
                        t[at + j] = rnd(2) && !l->cased ? (uint8_t)(l->b[j] ^ ((l->b[j] | 0x20) >= 'a' && (l->b[j] | 0x20) <= 'z' ? 0x20 : 0)) : l->b[j];
                }
            }
            check(ls, lits, n, t, tn);
        }
        vg__litset_free(ls);
        free(lits);
        free(bytes);
    }
}

static void test_edges(void **state)
{
    (void)state;
    const char *s[] = {"rundll32.exe", "\\rundll32.exe", ".exe", "C:\\Windows\\", "cmd", "ab", "x", "-enc ", " /c ", "Ab"};
    struct vg__lit l[] = {
        {(const uint8_t *)s[0], 12, 0, 0, 0, 1},  /* endswith, > 8 bytes */
        {(const uint8_t *)s[1], 13, 1, 0, 0, 1},
        {(const uint8_t *)s[2], 4, 2, 0, 0, 1},   /* endswith .exe: shares its key with nothing longer */
        {(const uint8_t *)s[3], 11, 3, 0, 1, 0},  /* startswith */
        {(const uint8_t *)s[4], 3, 4, 0, 1, 1},   /* whole value */
        {(const uint8_t *)s[5], 2, 5, 0, 0, 0},   /* 2 bytes anywhere */
        {(const uint8_t *)s[6], 1, 6, 0, 1, 1},   /* 1-byte whole value */
        {(const uint8_t *)s[7], 5, 7, 0, 0, 0},
        {(const uint8_t *)s[8], 4, 8, 0, 0, 0},
        {(const uint8_t *)s[9], 2, 9, 1, 0, 0},   /* cased */
        {(const uint8_t *)"x", 1, 10, 0, 0, 0},   /* 1 byte anywhere */
    };
    uint32_t n = sizeof l / sizeof l[0];
    struct vg__litset *ls = vg__litset_build(l, n);
    assert_non_null(ls);
    assert_int_equal(vg__litset_count(ls), n);
    const char *texts[] = {"", "x", "X", "cmd", "CMD", "cmd ", "C:\\WINDOWS\\System32\\RUNDLL32.EXE", "rundll32.exe",
                           "a.exe", ".exe", "c:\\windows\\", "c:\\windows", "powershell -ENC abc", "cmd /c dir",
                           "cmd /C", "xAb", "xab", "ab", "a", "\\rundll32.exe.bak"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        check(ls, l, n, (const uint8_t *)texts[i], strlen(texts[i]));
    /* the stamp skips literals already reported */
    uint32_t stamp[16] = {0};
    stamp[5] = 7;
    for (int impl = 0; impl < NIMPL; impl++) {
        vg__litset_impl(impl);
        uint8_t hit[16] = {0}, low[8];
        static struct got g;
        g.hit = hit;
        g.calls = 0;
        vg__sig_lower_copy(low, (const uint8_t *)"xab", 3);
        vg__litset_scan(ls, (const uint8_t *)"xab", low, 3, stamp, 7, on_hit, &g);
        assert_int_equal(hit[5], 0);
        assert_int_equal(hit[10], 1);
    }
    vg__litset_impl(NIMPL);
    vg__litset_free(ls);
    /* many literals on one window */
    static uint8_t many[500][12];
    struct vg__lit ml[500];
    for (int i = 0; i < 500; i++) {
        memcpy(many[i], "zzzz", 4);
        many[i][4] = (uint8_t)('a' + i % 26);
        many[i][5] = (uint8_t)('a' + i / 26);
        ml[i] = (struct vg__lit){many[i], 6, (uint32_t)i, 0, 0, 0};
    }
    ls = vg__litset_build(ml, 500);
    assert_non_null(ls);
    check(ls, ml, 500, (const uint8_t *)"..zzzzqc..ZZZZAB", 16);
    vg__litset_free(ls);
}

/* Texts of every length from 0 to 130 bytes (around the 8- and 16-position
 * blocks of the SIMD kernels and their tails) at every alignment, with a
 * literal planted at every position in turn: many hits on all three
 * bitmaps, compared across kernels and with the reference. */
static void test_widths(void **state)
{
    (void)state;
    static const uint8_t ab[] = {'a', 'b', 'C', '.', 0};
    struct vg__lit lits[48];
    uint8_t bytes[48][8];
    for (uint32_t i = 0; i < 48; i++) {
        uint32_t len = 1 + i % 7;          /* 1 (memchr / byte compares), 2, 3 and 4..7 bytes: bm2, bm3, bm4 */
        for (uint32_t k = 0; k < len; k++) bytes[i][k] = ab[rnd(sizeof ab)];
        lits[i] = (struct vg__lit){.b = bytes[i], .len = len, .id = i, .cased = i % 7 == 0};
    }
    struct vg__litset *ls = vg__litset_build(lits, 48);
    assert_non_null(ls);
    uint8_t buf[160];
    for (size_t tn = 0; tn <= 130; tn++)
        for (size_t off = 0; off < 16; off++) {
            uint8_t *t = buf + off;
            for (size_t j = 0; j < tn; j++) t[j] = (uint8_t)('d' + rnd(20)); /* no literal byte */
            check(ls, lits, 48, t, tn);
            const struct vg__lit *l = &lits[rnd(48)];
            for (size_t at = off % 4; at + l->len <= tn; at += 1 + rnd(7)) memcpy(t + at, l->b, l->len);
            check(ls, lits, 48, t, tn);
            if (tn) {
                t[tn - 1] = 'a';           /* a window cut by the end of the text */
                check(ls, lits, 48, t, tn);
            }
        }
    vg__litset_free(ls);
}

static void test_lower_copy(void **state)
{
    (void)state;
    uint8_t src[80], dst[80], want[80];
    for (int i = 0; i < 80; i++) src[i] = (uint8_t)(i * 37 + 11);
    for (int b = 0; b < 256; b += 80) {
        for (int i = 0; i < 80; i++) src[i] = (uint8_t)(b + i);
        for (size_t off = 0; off < 9; off++)
            for (size_t n = 0; off + n <= 80; n++) {
                memset(dst, 0xee, sizeof dst);
                vg__sig_lower_copy(dst, src + off, n);
                for (size_t i = 0; i < n; i++) want[i] = vg__sig_lower[src[off + i]];
                assert_memory_equal(dst, want, n);
                if (n < 80) assert_int_equal(dst[n], 0xee);
            }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random),
        cmocka_unit_test(test_edges),
        cmocka_unit_test(test_widths),
        cmocka_unit_test(test_lower_copy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
