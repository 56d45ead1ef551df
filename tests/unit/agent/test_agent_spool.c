/* Unit tests for vigil-agent's spool (src/agent/spool.c): frames and
 * acknowledgements, the in-flight frame across a restart, corrupt records,
 * a torn last record, a corrupt state file and the size cap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>
#include "agent.h"

static char dir[256];

static int setup(void **st)
{
    (void)st;
    snprintf(dir, sizeof dir, "/tmp/vg_spool_XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **st)
{
    (void)st;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Drains the spool, acknowledging every frame; returns records seen and
 * checks they are "rec N" with strictly increasing N. */
static size_t drain_lim(struct vg_spool *sp, long *last_n, size_t max_bytes, size_t max_records, bool *seen)
{
    struct vg_buf b = VG_BUF_INIT;
    size_t total = 0;
    for (;;) {
        vg_buf_reset(&b);
        int got = vg_spool_next_frame(sp, &b, max_bytes, max_records, NULL);
        assert_true(got >= 0);
        if (!got) break;
        struct vg_ap_frame f;
        size_t used;
        assert_int_equal(vg_ap_decode((uint8_t *)b.data, b.len, &f, &used, NULL), 0);
        assert_int_equal(f.seq, sp->fl_seq);
        size_t off = 0;
        struct vg_ap_rec r;
        while (vg_ap_rec_next(f.payload, f.len, &off, &r) == 1) {
            long n = strtol(r.data + 4, NULL, 10);
            assert_true(n > *last_n);
            *last_n = n;
            if (seen) seen[n] = true;
            total++;
        }
        assert_true(total > 0);
        assert_int_equal(vg_spool_ack(sp, f.seq, NULL), 0);
    }
    vg_buf_release(&b);
    return total;
}

static size_t drain(struct vg_spool *sp, long *last_n) { return drain_lim(sp, last_n, 64 * 1024, 1000, NULL); }

static void add(struct vg_spool *sp, long from, long to, size_t pad)
{
    char *line = malloc(pad + 32);
    for (long i = from; i < to; i++) {
        int n = snprintf(line, 32, "rec %ld ", i);
        memset(line + n, 'x', pad);
        struct vg_spool_pos pos = {1, 2, (uint64_t)i};
        assert_int_equal(vg_spool_append(sp, &pos, 1000 + i, "/f", 2, line, (size_t)n + pad, NULL), 0);
    }
    free(line);
    assert_int_equal(vg_spool_sync(sp, NULL), 0);
}

static void test_basic_and_inflight(void **st)
{
    (void)st;
    struct vg_spool sp;
    assert_int_equal(vg_spool_open(&sp, dir, 0, NULL), 0);
    add(&sp, 0, 5000, 20);
    struct vg_buf a = VG_BUF_INIT, b = VG_BUF_INIT;
    assert_int_equal(vg_spool_next_frame(&sp, &a, 64 * 1024, 1000, NULL), 1);
    uint64_t seq = sp.fl_seq;
    assert_int_equal(seq, 1);
    /* not acknowledged: a restart resends the very same frame */
    vg_spool_close(&sp);
    assert_int_equal(vg_spool_open(&sp, dir, 0, NULL), 0);
    assert_int_equal(vg_spool_next_frame(&sp, &b, 64 * 1024, 1000, NULL), 1);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
    /* the server says it has committed it: acknowledged by resync */
    assert_int_equal(vg_spool_resync(&sp, 1, NULL), 0);
    assert_int_equal(sp.fl_seq, 0);
    assert_int_equal(sp.next_seq, 2);
    long last = -1;
    size_t rest = drain(&sp, &last);
    assert_int_equal(last, 4999);
    assert_true(rest > 0 && rest < 5000);
    /* a server that lost state: renumber after its last_seq */
    add(&sp, 5000, 5010, 20);
    vg_buf_reset(&a);
    assert_int_equal(vg_spool_next_frame(&sp, &a, 64 * 1024, 1000, NULL), 1);
    assert_int_equal(vg_spool_resync(&sp, 0, NULL), 0);
    assert_int_equal(sp.fl_seq, 1);
    assert_int_equal(drain(&sp, &last), 10);
    vg_spool_close(&sp);
    vg_buf_release(&a);
    vg_buf_release(&b);
}

static void corrupt_at(const char *seg, long off, const char *bytes, size_t n)
{
    FILE *f = fopen(seg, "r+b");
    assert_non_null(f);
    fseek(f, off, SEEK_SET);
    fwrite(bytes, 1, n, f);
    fclose(f);
}

static void test_corruption(void **st)
{
    (void)st;
    struct vg_spool sp;
    assert_int_equal(vg_spool_open(&sp, dir, 0, NULL), 0);
    add(&sp, 0, 100, 30);
    vg_spool_close(&sp);
    char seg[400];
    snprintf(seg, sizeof seg, "%s/spool/0000000000000001.seg", dir);
    /* record size: 8 + 24 + 14 + 2 ("/f") + len("rec NN ") + 30 */
    corrupt_at(seg, 50 * 85 + 40, "\xff\xfe\xfd", 3);
    /* a torn record at the end (crash while appending) */
    FILE *f = fopen(seg, "ab");
    fwrite("\x00\x00\x00\x40\x12\x34", 1, 6, f);
    fclose(f);
    assert_int_equal(vg_spool_open(&sp, dir, 0, NULL), 0);
    assert_int_equal(sp.write_seg, 2);   /* appends go to a fresh segment */
    add(&sp, 100, 110, 30);
    long last = -1;
    size_t n = drain(&sp, &last);
    assert_int_equal(last, 109);
    assert_true(n >= 107 && n <= 109);   /* the damaged record (and at most its neighbours' bytes) */
    assert_true(sp.corrupt >= 2);        /* the flipped bytes and the torn tail */
    vg_spool_close(&sp);
    /* a corrupt state file: the spool restarts from its oldest record */
    char stp[400];
    snprintf(stp, sizeof stp, "%s/spool/state", dir);
    f = fopen(stp, "w");
    fputs("garbage\n", f);
    fclose(f);
    assert_int_equal(vg_spool_open(&sp, dir, 0, NULL), 0);
    assert_true(sp.corrupt >= 1);
    vg_spool_close(&sp);
}

/* Frames are built from a window of the segment (the records one frame can
 * take), not the whole segment: small frame limits against a segment with a
 * corrupt region longer than a window and a record bigger than a window. */
static void test_window(void **st)
{
    (void)st;
    enum { N = 600, BIG = 300, PAD = 30 };
    struct vg_spool sp;
    assert_int_equal(vg_spool_open(&sp, dir, 0, NULL), 0);
    add(&sp, 0, BIG, PAD);
    add(&sp, BIG, BIG + 1, 200000);  /* one record much bigger than a window */
    add(&sp, BIG + 1, N, PAD);
    vg_spool_close(&sp);
    /* where each record starts: 8 + 24 + 14 + 2 ("/f") + len("rec N ") + pad */
    static long at[N + 1];
    for (long i = 0; i < N; i++)
        at[i + 1] = at[i] + 48 + snprintf(NULL, 0, "rec %ld ", i) + (i == BIG ? 200000 : PAD);
    char seg[400];
    snprintf(seg, sizeof seg, "%s/spool/0000000000000001.seg", dir);
    const long c0 = at[100] + 10, c1 = c0 + 6000; /* > two windows of garbage */
    static char junk[6000];
    memset(junk, 0xab, sizeof junk);
    corrupt_at(seg, c0, junk, sizeof junk);
    const size_t mb = 2048, mr = 8;
    assert_int_equal(vg_spool_open(&sp, dir, 0, NULL), 0);
    /* the frame in flight is resent identical after a restart */
    struct vg_buf a = VG_BUF_INIT, b = VG_BUF_INIT;
    assert_int_equal(vg_spool_next_frame(&sp, &a, mb, mr, NULL), 1);
    vg_spool_close(&sp);
    assert_int_equal(vg_spool_open(&sp, dir, 0, NULL), 0);
    assert_int_equal(vg_spool_next_frame(&sp, &b, mb, mr, NULL), 1);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
    vg_buf_release(&a);
    vg_buf_release(&b);
    long last = -1;
    static bool seen[N];
    drain_lim(&sp, &last, mb, mr, seen);
    assert_int_equal(last, N - 1);
    /* every record outside the damaged bytes arrives; none inside does */
    for (long i = 0; i < N; i++) {
        bool hit = at[i + 1] > c0 && at[i] < c1;
        assert_int_equal(seen[i], !hit);
    }
    assert_true(seen[BIG]);
    assert_int_equal(sp.corrupt, 1);
    vg_spool_close(&sp);
}

static void test_cap(void **st)
{
    (void)st;
    struct vg_spool sp;
    assert_int_equal(vg_spool_open(&sp, dir, 1, NULL), 0);   /* raised to the 2 MiB minimum */
    assert_int_equal(sp.cap_bytes, 2u << 20);
    add(&sp, 0, 400, 20000);   /* ~8 MB */
    assert_true(sp.lost_records > 0);
    assert_true(sp.bytes <= sp.cap_bytes);
    long last = -1;
    size_t n = drain(&sp, &last);
    assert_int_equal(last, 399);
    assert_int_equal(n + sp.lost_records, 400);
    vg_spool_close(&sp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_basic_and_inflight, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corruption, setup, teardown),
        cmocka_unit_test_setup_teardown(test_window, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cap, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
