/* Bounded MPMC pointer queue: a ring buffer under one mutex with two
 * condition variables (not_full for producers, not_empty for consumers).
 * The pipeline moves batches of ~1000 events through it, so a mutex per
 * hand-off costs nothing measurable; simplicity wins over lock-freedom. */
#include "vigil/queue.h"
#include <pthread.h>
#include <time.h>

struct vg_queue {
    pthread_mutex_t mu;
    pthread_cond_t not_full, not_empty;
    void **ring;
    size_t cap, head, len;  /* items at ring[(head + i) % cap], i < len */
    bool closed;
};

struct vg_queue *vg_queue_new(size_t cap)
{
    if (cap == 0) return NULL;
    struct vg_queue *q = vg_calloc(1, sizeof *q);
    if (!q) return NULL;
    q->ring = vg_calloc(cap, sizeof *q->ring);
    if (!q->ring) { vg_free(q); return NULL; }
    q->cap = cap;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->not_full, &ca);
    pthread_cond_init(&q->not_empty, &ca);
    pthread_condattr_destroy(&ca);
    return q;
}

void vg_queue_free(struct vg_queue *q)
{
    if (!q) return;
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->not_full);
    pthread_cond_destroy(&q->not_empty);
    vg_free(q->ring);
    vg_free(q);
}

static struct timespec deadline_after(int64_t ns)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t t = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec + ns;
    ts.tv_sec = (time_t)(t / 1000000000);
    ts.tv_nsec = (long)(t % 1000000000);
    return ts;
}

/* Waits on cv until pred holds; returns 0, VG_EAGAIN or VG_ETIMEOUT. Caller
 * holds q->mu. The predicate is re-checked by the caller's loop. */
static int wait_on(struct vg_queue *q, pthread_cond_t *cv, int64_t timeout_ns, const struct timespec *dl)
{
    if (timeout_ns == 0) return VG_EAGAIN;
    if (timeout_ns < 0) {
        pthread_cond_wait(cv, &q->mu);
        return 0;
    }
    if (pthread_cond_timedwait(cv, &q->mu, dl) != 0) return VG_ETIMEOUT;
    return 0;
}

int vg_queue_push(struct vg_queue *q, void *item, int64_t timeout_ns)
{
    struct timespec dl = {0, 0};
    if (timeout_ns > 0) dl = deadline_after(timeout_ns);
    int rc = 0;
    pthread_mutex_lock(&q->mu);
    for (;;) {
        if (q->closed) { rc = VG_ECLOSED; break; }
        if (q->len < q->cap) {
            q->ring[(q->head + q->len) % q->cap] = item;
            q->len++;
            pthread_cond_signal(&q->not_empty);
            break;
        }
        rc = wait_on(q, &q->not_full, timeout_ns, &dl);
        if (rc) {
            /* a timed wait may race with room appearing: take it */
            if (!q->closed && q->len < q->cap) continue;
            break;
        }
    }
    pthread_mutex_unlock(&q->mu);
    return rc;
}

int vg_queue_pop(struct vg_queue *q, void **out, int64_t timeout_ns)
{
    struct timespec dl = {0, 0};
    if (timeout_ns > 0) dl = deadline_after(timeout_ns);
    int rc = 0;
    *out = NULL;
    pthread_mutex_lock(&q->mu);
    for (;;) {
        if (q->len) {
            *out = q->ring[q->head];
            q->ring[q->head] = NULL;
            q->head = (q->head + 1) % q->cap;
            q->len--;
            pthread_cond_signal(&q->not_full);
            rc = 0;
            break;
        }
        if (q->closed) { rc = VG_ECLOSED; break; }
        rc = wait_on(q, &q->not_empty, timeout_ns, &dl);
        if (rc) {
            if (q->len) continue;
            break;
        }
    }
    pthread_mutex_unlock(&q->mu);
    return rc;
}

void vg_queue_close(struct vg_queue *q)
{
    pthread_mutex_lock(&q->mu);
    q->closed = true;
    pthread_cond_broadcast(&q->not_full);
    pthread_cond_broadcast(&q->not_empty);
    pthread_mutex_unlock(&q->mu);
}

bool vg_queue_closed(struct vg_queue *q)
{
    pthread_mutex_lock(&q->mu);
    bool c = q->closed;
    pthread_mutex_unlock(&q->mu);
    return c;
}

size_t vg_queue_len(struct vg_queue *q)
{
    pthread_mutex_lock(&q->mu);
    size_t n = q->len;
    pthread_mutex_unlock(&q->mu);
    return n;
}

size_t vg_queue_cap(const struct vg_queue *q) { return q->cap; }
