/* Unit tests for the pipeline's split write (src/ingest/pipeline.c): the
 * decode workers prepare batches with the real SQLite store
 * (ops->prepare) and the writer commits them (ops->put_prepared).
 * Duplicates within and across batches must be counted exactly; a failing
 * put_prepared is retried with the same prepared batches; a failing
 * prepare falls back to put_events. A thin wrapper around the SQLite store
 * injects the failures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>
#include "vigil/pipeline.h"

struct wrap {
    struct vg_store base;
    struct vg_store *real;
    atomic_int fail_prepare;     /* prepare fails while > 0 (each call decrements) */
    atomic_int fail_commit;      /* put_prepared fails this many more times */
    atomic_int prepares, prepared_commits, plain_commits;
};

static struct wrap *W(struct vg_store *s) { return (struct wrap *)s; }

static int w_put_events(struct vg_store *s, const struct vg_event *const *ev, size_t n, size_t *st, size_t *du,
                        struct vg_err *err)
{
    atomic_fetch_add(&W(s)->plain_commits, 1);
    return W(s)->real->ops->put_events(W(s)->real, ev, n, st, du, err);
}

static int w_prepare(struct vg_store *s, const struct vg_event *const *ev, size_t n, struct vg_store_prepared **out,
                     struct vg_err *err)
{
    atomic_fetch_add(&W(s)->prepares, 1);
    if (atomic_fetch_sub(&W(s)->fail_prepare, 1) > 0) {
        *out = NULL;
        return vg_err_set(err, VG_ENOMEM, "injected prepare failure");
    }
    return W(s)->real->ops->prepare(W(s)->real, ev, n, out, err);
}

static int w_put_prepared(struct vg_store *s, struct vg_store_prepared *const *p, size_t np, size_t *st, size_t *du,
                          struct vg_err *err)
{
    if (atomic_fetch_sub(&W(s)->fail_commit, 1) > 0) return vg_err_set(err, VG_EIO, "injected commit failure");
    atomic_fetch_add(&W(s)->prepared_commits, 1);
    return W(s)->real->ops->put_prepared(W(s)->real, p, np, st, du, err);
}

static const struct vg_store_ops *real_ops; /* the SQLite backend's table */

static void w_free(struct vg_store_prepared *p) { real_ops->prepared_free(p); }

static void w_close(struct vg_store *s) { vg_store_close(W(s)->real); }

static const struct vg_store_ops wrap_ops = {.name = "wrap", .desc = "test wrapper", .close = w_close,
                                             .put_events = w_put_events, .prepare = w_prepare,
                                             .put_prepared = w_put_prepared, .prepared_free = w_free};

static char dir[64];

static void rm_rf(const char *d)
{
    DIR *dd = opendir(d);
    if (!dd) return;
    struct dirent *e;
    while ((e = readdir(dd))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char p[512];
        snprintf(p, sizeof p, "%s/%s", d, e->d_name);
        unlink(p);
    }
    closedir(dd);
    rmdir(d);
}

static struct wrap *wrap_open(void)
{
    snprintf(dir, sizeof dir, "/tmp/vg_pipe_store_XXXXXX");
    assert_non_null(mkdtemp(dir));
    struct wrap *w = calloc(1, sizeof *w);
    w->base.ops = &wrap_ops;
    struct vg_err e = VG_ERR_INIT;
    if (vg_store_open(&w->real, dir, &e)) fail_msg("open: %s", e.msg);
    real_ops = w->real->ops;
    return w;
}

static uint64_t stored_in(const char *d)
{
    struct vg_store *s = NULL;
    assert_int_equal(vg_store_open(&s, d, NULL), 0);
    struct vg_store_stats st;
    assert_int_equal(s->ops->stats(s, NULL, &st, NULL), 0);
    vg_store_close(s);
    return st.events;
}

/* n syslog lines "<tag> i" with a fixed receive time, so ids repeat. */
static struct vg_batch *mk(const char *tag, int first, int n)
{
    struct vg_batch *b = vg_batch_new((size_t)n);
    assert_non_null(b);
    for (int i = 0; i < n; i++) {
        struct vg_event *ev = vg_batch_push(b);
        char raw[160];
        int len = snprintf(raw, sizeof raw, "<38>Mar  1 10:00:%02d web1 sshd[%d]: Failed password for root from "
                                            "10.0.0.%d port %d ssh2 %s", (first + i) % 60, 100 + first + i,
                           (first + i) % 250, 1000 + first + i, tag);
        assert_int_equal(vg_event_set_raw(ev, raw, (size_t)len), 0);
        ev->recv_ts = 1709287200000000000LL;
        ev->tenant = "default";
        ev->host = "127.0.0.1";
        ev->collector = "test";
    }
    return b;
}

static void run(struct wrap *w, size_t workers, int nbatches, uint64_t *stored, uint64_t *dups, uint64_t *dropped)
{
    struct vg_pipeline_opts o = {.queue_batches = 8, .workers = workers};
    struct vg_pipeline *p = NULL;
    assert_int_equal(vg_pipeline_new(&p, &w->base, &o, NULL), 0);
    struct vg_source_counters *c = vg_pipeline_counters(p, "t");
    for (int i = 0; i < nbatches; i++) {
        /* batch i holds records 50i .. 50i+59: 10 repeat the batch before;
         * every 5th batch also repeats one record inside itself */
        struct vg_batch *b = mk("x", i * 50, 60);
        if (i % 5 == 0) {
            struct vg_batch *again = mk("x", i * 50 + 20, 1);
            struct vg_event *ev = vg_batch_push(b);
            *ev = again->ev[0];
            ev->arena = &b->arena;
            ev->raw = vg_arena_strndup(&b->arena, again->ev[0].raw, again->ev[0].raw_len);
            vg_batch_free(again);
        }
        atomic_fetch_add(&c->received, b->n);
        assert_int_equal(vg_pipeline_submit(p, b, c, true), 0);
    }
    vg_pipeline_stop(p);
    *stored = atomic_load(&c->stored);
    *dups = atomic_load(&c->duplicates);
    *dropped = atomic_load(&c->dropped);
    assert_int_equal(*stored + *dups + *dropped, atomic_load(&c->received));
    struct vg_store *back = NULL;
    vg_pipeline_free(p, &back);
    assert_ptr_equal(back, &w->base);
}

static void finish(struct wrap *w)
{
    w_close(&w->base);
    free(w);
    rm_rf(dir);
}

static void test_prepared_counts(void **st)
{
    (void)st;
    struct wrap *w = wrap_open();
    uint64_t s, d, x;
    run(w, 2, 40, &s, &d, &x);
    /* 40 batches: 50 new records each + the first batch's extra 10, 39 x 10 repeats, 8 repeats inside */
    assert_int_equal(s, 40 * 50 + 10);
    assert_int_equal(d, 39 * 10 + 8);
    assert_int_equal(x, 0);
    assert_true(atomic_load(&w->prepared_commits) > 0);
    assert_int_equal(atomic_load(&w->plain_commits), 0);
    /* the same again: everything is a duplicate */
    run(w, 1, 40, &s, &d, &x);
    assert_int_equal(s, 0);
    assert_int_equal(d, 40 * 60 + 8);
    assert_int_equal(stored_in(dir), 40 * 50 + 10);
    finish(w);
}

static void test_prepared_retry_and_fallback(void **st)
{
    (void)st;
    struct wrap *w = wrap_open();
    atomic_store(&w->fail_commit, 3);      /* transient: retried with the same prepared batches */
    atomic_store(&w->fail_prepare, 7);     /* those batches go through put_events */
    uint64_t s, d, x;
    run(w, 2, 30, &s, &d, &x);
    assert_int_equal(s, 30 * 50 + 10);
    assert_int_equal(d, 29 * 10 + 6);
    assert_int_equal(x, 0);
    assert_true(atomic_load(&w->plain_commits) > 0);
    assert_true(atomic_load(&w->prepared_commits) > 0);
    assert_int_equal(stored_in(dir), s);
    /* a store that fails every commit: everything is counted as dropped */
    atomic_store(&w->fail_commit, 1000000);
    atomic_store(&w->fail_prepare, 0);
    run(w, 1, 2, &s, &d, &x);
    assert_int_equal(s, 0);
    assert_int_equal(x, 2 * 60 + 1);
    finish(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prepared_counts),
        cmocka_unit_test(test_prepared_retry_and_fallback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
