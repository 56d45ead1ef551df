/* Unit tests for the pipeline (src/ingest/pipeline.c) against a store test
 * double: counters and on_commit, duplicates, back-pressure (non-blocking
 * submits refused while the store is stalled), shutdown draining, commit
 * retries and definitive commit failures, metrics text, detect hook. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <unistd.h>
#include "vigil/pipeline.h"
#include "ingest/fake_store.h"

static atomic_int commits_ok, commits_err, detect_calls;

static void on_commit(void *ack, int status)
{
    (void)ack;
    if (status == 0) atomic_fetch_add(&commits_ok, 1);
    else atomic_fetch_add(&commits_err, 1);
}

static void reset(void) { commits_ok = commits_err = detect_calls = 0; }

/* A batch of n records "<tag> i"; recv_ts fixed so ids are reproducible. */
static struct vg_batch *mk(const char *tag, int first, int n)
{
    struct vg_batch *b = vg_batch_new((size_t)n);
    assert_non_null(b);
    for (int i = 0; i < n; i++) {
        struct vg_event *ev = vg_batch_push(b);
        char raw[128];
        int len = snprintf(raw, sizeof raw, "%s record %d", tag, first + i);
        assert_int_equal(vg_event_set_raw(ev, raw, (size_t)len), 0);
        ev->recv_ts = 1700000000000000000LL;
        ev->tenant = "default";
        ev->host = "127.0.0.1";
        ev->collector = "test";
    }
    b->on_commit = on_commit;
    return b;
}

static struct vg_pipeline *start(struct fake_store *fs, size_t qb, size_t workers)
{
    struct vg_pipeline_opts o = {.queue_batches = qb, .workers = workers};
    struct vg_pipeline *p = NULL;
    struct vg_err e = VG_ERR_INIT;
    assert_int_equal(vg_pipeline_new(&p, &fs->base, &o, &e), 0);
    return p;
}

static void test_counters(void **st)
{
    (void)st;
    reset();
    struct fake_store fs;
    fake_init(&fs);
    struct vg_pipeline *p = start(&fs, 4, 2);
    struct vg_source_counters *a = vg_pipeline_counters(p, "a"), *b = vg_pipeline_counters(p, "b");
    assert_ptr_equal(a, vg_pipeline_counters(p, "a"));
    for (int i = 0; i < 10; i++) {
        atomic_fetch_add(&a->received, 100);
        assert_int_equal(vg_pipeline_submit(p, mk("a", i * 100, 100), a, true), 0);
        atomic_fetch_add(&b->received, 50);
        assert_int_equal(vg_pipeline_submit(p, mk("b", i * 50, 50), b, true), 0);
    }
    assert_int_equal(vg_pipeline_stop(p), 0);
    assert_int_equal(vg_pipeline_stop(p), 0);
    struct vg_batch *late = mk("a", 0, 1);
    assert_int_equal(vg_pipeline_submit(p, late, a, true), VG_ECLOSED);
    vg_batch_free(late);
    assert_int_equal(commits_ok, 20);
    assert_int_equal(commits_err, 0);
    assert_int_equal(atomic_load(&a->stored), 1000);
    assert_int_equal(atomic_load(&b->stored), 500);
    assert_int_equal(atomic_load(&a->decoded) + atomic_load(&a->failed), 1000);
    assert_int_equal(atomic_load(&b->decoded) + atomic_load(&b->failed), 500);
    assert_int_equal(fs.events, 1500);

    struct vg_buf m = VG_BUF_INIT;
    assert_int_equal(vg_pipeline_metrics(p, &m), 0);
    assert_non_null(strstr(m.data, "vigil_events_stored_total{source=\"a\"} 1000\n"));
    assert_non_null(strstr(m.data, "vigil_events_received_total{source=\"b\"} 500\n"));
    assert_non_null(strstr(m.data, "# TYPE vigil_events_dropped counter\n"));
    assert_true(m.len > 6 && strcmp(m.data + m.len - 6, "# EOF\n") == 0);
    vg_buf_release(&m);
    struct vg_store *back = NULL;
    vg_pipeline_free(p, &back);
    assert_ptr_equal(back, &fs.base);
    fake_release(&fs);
}

static void test_duplicates(void **st)
{
    (void)st;
    reset();
    struct fake_store fs;
    fake_init(&fs);
    struct vg_pipeline *p = start(&fs, 4, 1);
    struct vg_source_counters *a = vg_pipeline_counters(p, "a");
    assert_int_equal(vg_pipeline_submit(p, mk("d", 0, 30), a, true), 0);
    assert_int_equal(vg_pipeline_submit(p, mk("d", 10, 30), a, true), 0);  /* 20 overlap */
    vg_pipeline_stop(p);
    assert_int_equal(atomic_load(&a->stored), 40);
    assert_int_equal(atomic_load(&a->duplicates), 20);
    vg_pipeline_free(p, NULL);
    fake_release(&fs);
}

static void test_backpressure_and_drain(void **st)
{
    (void)st;
    reset();
    struct fake_store fs;
    fake_init(&fs);
    fake_gate(&fs, true);
    struct vg_pipeline *p = start(&fs, 2, 1);
    struct vg_source_counters *a = vg_pipeline_counters(p, "udp");
    int accepted = 0, refused = 0;
    for (int i = 0; i < 40; i++) {
        struct vg_batch *b = mk("bp", i * 10, 10);
        int rc = vg_pipeline_submit(p, b, a, false);
        if (rc == 0) accepted++;
        else { assert_int_equal(rc, VG_EAGAIN); refused++; vg_batch_free(b); }
        usleep(2000);
    }
    /* 2 queued per stage + one in each thread at most */
    assert_true(accepted >= 2 && accepted <= 8);
    assert_true(refused > 0);
    assert_int_equal(fs.events, 0);
    fake_gate(&fs, false);
    vg_pipeline_stop(p);   /* drains all that was accepted */
    assert_int_equal(commits_ok, accepted);
    assert_int_equal(fs.events, (size_t)accepted * 10);
    assert_int_equal(atomic_load(&a->stored), (uint64_t)accepted * 10);
    vg_pipeline_free(p, NULL);
    fake_release(&fs);
}

struct opener { struct fake_store *fs; };
static void *open_later(void *arg)
{
    usleep(50000);
    fake_gate(arg, false);
    return NULL;
}

static void test_shutdown_waits_for_store(void **st)
{
    (void)st;
    reset();
    struct fake_store fs;
    fake_init(&fs);
    fake_gate(&fs, true);
    struct vg_pipeline *p = start(&fs, 8, 2);
    struct vg_source_counters *a = vg_pipeline_counters(p, "a");
    for (int i = 0; i < 6; i++) assert_int_equal(vg_pipeline_submit(p, mk("s", i * 7, 7), a, true), 0);
    pthread_t t;
    pthread_create(&t, NULL, open_later, &fs);
    vg_pipeline_stop(p);
    pthread_join(t, NULL);
    assert_int_equal(commits_ok, 6);
    assert_int_equal(fs.events, 42);
    vg_pipeline_free(p, NULL);
    fake_release(&fs);
}

static void test_commit_retry(void **st)
{
    (void)st;
    reset();
    struct fake_store fs;
    fake_init(&fs);
    fs.fail_next = 2;
    struct vg_pipeline *p = start(&fs, 4, 1);
    struct vg_source_counters *a = vg_pipeline_counters(p, "a");
    assert_int_equal(vg_pipeline_submit(p, mk("r", 0, 5), a, true), 0);
    vg_pipeline_stop(p);
    assert_int_equal(commits_ok, 1);
    assert_int_equal(commits_err, 0);
    assert_int_equal(fs.events, 5);
    vg_pipeline_free(p, NULL);
    fake_release(&fs);
}

static void test_commit_fails_for_good(void **st)
{
    (void)st;
    reset();
    struct fake_store fs;
    fake_init(&fs);
    fs.fail_always = true;
    struct vg_pipeline *p = start(&fs, 4, 1);
    struct vg_source_counters *a = vg_pipeline_counters(p, "a");
    assert_int_equal(vg_pipeline_submit(p, mk("f", 0, 5), a, true), 0);
    vg_pipeline_stop(p);
    assert_int_equal(commits_ok, 0);
    assert_int_equal(commits_err, 1);
    assert_int_equal(atomic_load(&a->dropped), 5);
    assert_int_equal(atomic_load(&a->stored), 0);
    vg_pipeline_free(p, NULL);
    fake_release(&fs);
}

static void detect(void *ctx, struct vg_batch *b)
{
    (void)ctx;
    assert_true(b->n > 0);
    atomic_fetch_add(&detect_calls, 1);
}

static void test_detect_hook(void **st)
{
    (void)st;
    reset();
    struct fake_store fs;
    fake_init(&fs);
    struct vg_pipeline_opts o = {.workers = 2, .detect = detect};
    struct vg_pipeline *p = NULL;
    assert_int_equal(vg_pipeline_new(&p, &fs.base, &o, NULL), 0);
    struct vg_source_counters *a = vg_pipeline_counters(p, "a");
    for (int i = 0; i < 5; i++) assert_int_equal(vg_pipeline_submit(p, mk("h", i * 3, 3), a, true), 0);
    vg_pipeline_free(p, NULL);   /* free stops and drains */
    assert_int_equal(detect_calls, 5);
    assert_int_equal(fs.events, 15);
    fake_release(&fs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counters),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_backpressure_and_drain),
        cmocka_unit_test(test_shutdown_waits_for_store),
        cmocka_unit_test(test_commit_retry),
        cmocka_unit_test(test_commit_fails_for_good),
        cmocka_unit_test(test_detect_hook),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
