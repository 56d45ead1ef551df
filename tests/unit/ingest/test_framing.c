/* Unit tests for RFC 6587 framing (src/ingest/framing.c): octet counting,
 * LF/NUL/CRLF framing, mixed streams, frames split at every byte,
 * oversized frames skipped without losing neighbours, garbage lengths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "ingest/framing.h"

struct out { char buf[8192]; size_t len; int n; };

static int collect(void *ctx, const char *p, size_t n)
{
    struct out *o = ctx;
    assert_true(o->len + n + 1 < sizeof o->buf);
    memcpy(o->buf + o->len, p, n);
    o->len += n;
    o->buf[o->len++] = '|';
    o->buf[o->len] = 0;
    o->n++;
    return 0;
}

/* Feeds s in chunks of `step` bytes (0 = all at once) and finishes. */
static void run(struct vg_framer *f, const char *s, size_t n, size_t step, struct out *o)
{
    memset(o, 0, sizeof *o);
    if (!step) step = n ? n : 1;
    for (size_t i = 0; i < n; i += step) {
        size_t k = n - i < step ? n - i : step;
        assert_int_equal(vg_framer_feed(f, s + i, k, collect, o), 0);
    }
    assert_int_equal(vg_framer_finish(f, collect, o), 0);
}

static void check_all_splits(const char *s, size_t n, size_t max, const char *want, uint64_t lost)
{
    for (size_t step = 0; step <= n; step++) {
        struct vg_framer f;
        assert_int_equal(vg_framer_init(&f, max), 0);
        struct out o;
        run(&f, s, n, step, &o);
        if (strcmp(o.buf, want) != 0) fail_msg("step %zu: got '%s' want '%s'", step, o.buf, want);
        assert_int_equal(vg_framer_lost(&f), lost);
        vg_framer_release(&f);
    }
}

static void test_newline(void **st)
{
    (void)st;
    const char s[] = "<13>a b\n<14>c\r\n\n\n<15>d\0<16>e";
    check_all_splits(s, sizeof s - 1, 0, "<13>a b|<14>c|<15>d|<16>e|", 0);
}

static void test_octet(void **st)
{
    (void)st;
    const char s[] = "5 <1>ab7 <2>c\nde10 <3>x y z w";
    check_all_splits(s, sizeof s - 1, 0, "<1>ab|<2>c\nde|<3>x y z w|", 0);
}

static void test_mixed(void **st)
{
    (void)st;
    const char s[] = "<13>line one\n4 abcd<13>line two\n2024-01-01 x\n";
    check_all_splits(s, sizeof s - 1, 0, "<13>line one|abcd|<13>line two|2024-01-01 x|", 0);
}

static void test_oversized_line(void **st)
{
    (void)st;
    char s[600];
    size_t n = 0;
    n += (size_t)snprintf(s + n, sizeof s - n, "<1>before\n");
    for (int i = 0; i < 200; i++) s[n++] = 'X';
    n += (size_t)snprintf(s + n, sizeof s - n, "\n<1>after\n");
    check_all_splits(s, n, 64, "<1>before|<1>after|", 1);
}

static void test_oversized_octet(void **st)
{
    (void)st;
    char s[600];
    size_t n = (size_t)snprintf(s, sizeof s, "3 abc100 ");
    for (int i = 0; i < 100; i++) s[n++] = i % 2 ? '\n' : 'Y';   /* LFs inside must not split it */
    n += (size_t)snprintf(s + n, sizeof s - n, "3 def");
    check_all_splits(s, n, 64, "abc|def|", 1);
}

static void test_garbage_lengths(void **st)
{
    (void)st;
    /* 11 digits: not an octet count, an ordinary line */
    const char a[] = "99999999999 x\n<1>ok\n";
    check_all_splits(a, sizeof a - 1, 64, "99999999999 x|<1>ok|", 0);
    /* 9 digits beyond the skip cap: bad header, resync at the next LF */
    const char b[] = "999999999 x\n<1>ok\n";
    check_all_splits(b, sizeof b - 1, 64, "<1>ok|", 1);
    /* digits then a non-space */
    const char c[] = "123abc\n0 zero\n";
    check_all_splits(c, sizeof c - 1, 64, "123abc|0 zero|", 0);
}

static void test_truncated(void **st)
{
    (void)st;
    const char s[] = "3 abc10 short";
    check_all_splits(s, sizeof s - 1, 0, "abc|", 1);
}

static void test_binary(void **st)
{
    (void)st;
    unsigned char s[512];
    for (size_t i = 0; i < sizeof s; i++) s[i] = (unsigned char)(i * 37 + 11);
    struct vg_framer f;
    assert_int_equal(vg_framer_init(&f, 64), 0);
    struct out o;
    run(&f, (const char *)s, sizeof s, 7, &o);
    assert_true(o.n > 0);
    vg_framer_release(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_newline),         cmocka_unit_test(test_octet),
        cmocka_unit_test(test_mixed),           cmocka_unit_test(test_oversized_line),
        cmocka_unit_test(test_oversized_octet), cmocka_unit_test(test_garbage_lengths),
        cmocka_unit_test(test_truncated),       cmocka_unit_test(test_binary),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
