/* A test double for struct vg_store: keeps event ids in memory, detects
 * duplicates, can be gated (put_events blocks until opened) and can fail
 * the next N commits or every commit. Used by the ingest unit tests. */
#ifndef VG_TEST_FAKE_STORE_H
#define VG_TEST_FAKE_STORE_H
#include "vigil/store.h"
#include <pthread.h>

struct fake_store {
    struct vg_store base;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool gated;            /* put_events waits while true */
    int fail_next;         /* fail this many commits (transient) */
    bool fail_always;
    size_t commits, events;
    size_t nids, cap;
    uint8_t (*ids)[16];
    char **raws;           /* raw text of each stored event (NUL-terminated copies) */
    char kv[8][2][256];
};

static int fake_put(struct vg_store *s, const struct vg_event *const *ev, size_t n, size_t *stored, size_t *dups,
                    struct vg_err *err)
{
    struct fake_store *f = (struct fake_store *)s;
    pthread_mutex_lock(&f->mu);
    while (f->gated) pthread_cond_wait(&f->cv, &f->mu);
    int rc = 0;
    if (f->fail_always || f->fail_next > 0) {
        if (f->fail_next > 0) f->fail_next--;
        rc = vg_err_set(err, VG_EDB, "fake failure");
        goto out;
    }
    *stored = *dups = 0;
    for (size_t i = 0; i < n; i++) {
        bool dup = false;
        for (size_t k = 0; k < f->nids && !dup; k++) dup = memcmp(f->ids[k], ev[i]->id, 16) == 0;
        if (dup) { (*dups)++; continue; }
        if (f->nids == f->cap) {
            f->cap = f->cap ? f->cap * 2 : 1024;
            f->ids = realloc(f->ids, f->cap * 16);
            f->raws = realloc(f->raws, f->cap * sizeof *f->raws);
        }
        f->raws[f->nids] = strndup(ev[i]->raw ? ev[i]->raw : "", ev[i]->raw_len);
        memcpy(f->ids[f->nids++], ev[i]->id, 16);
        (*stored)++;
    }
    f->commits++;
    f->events += *stored;
out:
    pthread_mutex_unlock(&f->mu);
    return rc;
}

static void fake_close(struct vg_store *s) { (void)s; }

static const struct vg_store_ops fake_ops = {.name = "fake", .desc = "test double", .close = fake_close,
                                             .put_events = fake_put};

static inline void fake_init(struct fake_store *f)
{
    memset(f, 0, sizeof *f);
    f->base.ops = &fake_ops;
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cv, NULL);
}

static inline void fake_gate(struct fake_store *f, bool closed)
{
    pthread_mutex_lock(&f->mu);
    f->gated = closed;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
}

static inline void fake_release(struct fake_store *f)
{
    for (size_t i = 0; i < f->nids; i++) free(f->raws[i]);
    free(f->raws);
    free(f->ids);
}

/* Number of stored events whose raw text equals s. */
static inline size_t fake_count_raw(struct fake_store *f, const char *s)
{
    size_t n = 0;
    pthread_mutex_lock(&f->mu);
    for (size_t i = 0; i < f->nids; i++) n += strcmp(f->raws[i], s) == 0;
    pthread_mutex_unlock(&f->mu);
    return n;
}

static inline size_t fake_events(struct fake_store *f)
{
    pthread_mutex_lock(&f->mu);
    size_t n = f->events;
    pthread_mutex_unlock(&f->mu);
    return n;
}

/* Waits up to ms for the store to hold at least n events. */
static inline bool fake_wait(struct fake_store *f, size_t n, int ms)
{
    for (int i = 0; i < ms / 5; i++) {
        if (fake_events(f) >= n) return true;
        struct timespec ts = {0, 5000000};
        nanosleep(&ts, NULL);
    }
    return fake_events(f) >= n;
}
#endif
