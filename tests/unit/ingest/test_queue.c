/* Unit tests for the bounded queue (src/core/queue.c): FIFO order, full and
 * empty behaviour with each timeout mode, close waking waiters, draining,
 * and many producers/consumers losing nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <pthread.h>
#include "vigil/queue.h"

static void test_fifo_and_full(void **st)
{
    (void)st;
    struct vg_queue *q = vg_queue_new(3);
    assert_non_null(q);
    assert_null(vg_queue_new(0));
    int a[4];
    for (int i = 0; i < 3; i++) assert_int_equal(vg_queue_push(q, &a[i], 0), 0);
    assert_int_equal(vg_queue_push(q, &a[3], 0), VG_EAGAIN);
    int64_t t0 = vg_mono_ns();
    assert_int_equal(vg_queue_push(q, &a[3], 20000000), VG_ETIMEOUT);
    assert_true(vg_mono_ns() - t0 >= 15000000);
    assert_int_equal(vg_queue_len(q), 3);
    void *v;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(vg_queue_pop(q, &v, 0), 0);
        assert_ptr_equal(v, &a[i]);
    }
    assert_int_equal(vg_queue_pop(q, &v, 0), VG_EAGAIN);
    assert_int_equal(vg_queue_pop(q, &v, 1000000), VG_ETIMEOUT);
    vg_queue_free(q);
}

static void test_close_drains(void **st)
{
    (void)st;
    struct vg_queue *q = vg_queue_new(4);
    int a[2];
    assert_int_equal(vg_queue_push(q, &a[0], -1), 0);
    assert_int_equal(vg_queue_push(q, &a[1], -1), 0);
    vg_queue_close(q);
    vg_queue_close(q);
    assert_true(vg_queue_closed(q));
    assert_int_equal(vg_queue_push(q, &a[0], -1), VG_ECLOSED);
    void *v;
    assert_int_equal(vg_queue_pop(q, &v, -1), 0);
    assert_ptr_equal(v, &a[0]);
    assert_int_equal(vg_queue_pop(q, &v, -1), 0);
    assert_ptr_equal(v, &a[1]);
    assert_int_equal(vg_queue_pop(q, &v, -1), VG_ECLOSED);
    vg_queue_free(q);
}

static void *blocked_pop(void *arg)
{
    void *v;
    intptr_t rc = vg_queue_pop(arg, &v, -1);
    return (void *)rc;
}

static void *blocked_push(void *arg)
{
    static int x;
    intptr_t rc = vg_queue_push(arg, &x, -1);
    return (void *)rc;
}

static void test_close_wakes_waiters(void **st)
{
    (void)st;
    struct vg_queue *e = vg_queue_new(1), *f = vg_queue_new(1);
    int x;
    assert_int_equal(vg_queue_push(f, &x, 0), 0);
    pthread_t t1, t2;
    pthread_create(&t1, NULL, blocked_pop, e);
    pthread_create(&t2, NULL, blocked_push, f);
    struct timespec ts = {0, 30000000};
    nanosleep(&ts, NULL);
    vg_queue_close(e);
    vg_queue_close(f);
    void *r1, *r2;
    pthread_join(t1, &r1);
    pthread_join(t2, &r2);
    assert_int_equal((intptr_t)r1, VG_ECLOSED);
    assert_int_equal((intptr_t)r2, VG_ECLOSED);
    vg_queue_free(e);
    vg_queue_free(f);
}

#define NPROD 4
#define PER 20000
struct mp { struct vg_queue *q; int id; long sum; long count; };

static void *producer(void *arg)
{
    struct mp *m = arg;
    for (intptr_t i = 1; i <= PER; i++) assert_int_equal(vg_queue_push(m->q, (void *)(i + (intptr_t)m->id * PER), -1), 0);
    return NULL;
}

static void *consumer(void *arg)
{
    struct mp *m = arg;
    void *v;
    while (vg_queue_pop(m->q, &v, -1) == 0) { m->sum += (long)(intptr_t)v; m->count++; }
    return NULL;
}

static void test_mpmc(void **st)
{
    (void)st;
    struct vg_queue *q = vg_queue_new(8);
    pthread_t pt[NPROD], ct[2];
    struct mp pm[NPROD], cm[2];
    for (int i = 0; i < 2; i++) { cm[i] = (struct mp){q, i, 0, 0}; pthread_create(&ct[i], NULL, consumer, &cm[i]); }
    for (int i = 0; i < NPROD; i++) { pm[i] = (struct mp){q, i, 0, 0}; pthread_create(&pt[i], NULL, producer, &pm[i]); }
    for (int i = 0; i < NPROD; i++) pthread_join(pt[i], NULL);
    vg_queue_close(q);
    for (int i = 0; i < 2; i++) pthread_join(ct[i], NULL);
    long n = (long)NPROD * PER;
    assert_int_equal(cm[0].count + cm[1].count, n);
    assert_int_equal(cm[0].sum + cm[1].sum, n * (n + 1) / 2);
    vg_queue_free(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fifo_and_full),
        cmocka_unit_test(test_close_drains),
        cmocka_unit_test(test_close_wakes_waiters),
        cmocka_unit_test(test_mpmc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
