/* The current compiled rule set of a running server (DESIGN §4: "a
 * compiled rule set is immutable and reference-counted; reloading swaps it
 * whole while events keep flowing"). Workers take a reference per batch
 * with vg_sigma_engine_acquire; a reload installs a new set with
 * vg_sigma_engine_swap; the old set is freed by whoever drops its last
 * reference. A mutex guards only the pointer exchange and the increment, so
 * a reader can never take a reference to a set that is being freed. Part of
 * src/detect/sigma (see internal.h). */
#include "internal.h"
#include <pthread.h>

struct vg_sigma_engine {
    pthread_mutex_t mu;
    struct vg_sigma_set *cur;   /* holds one reference */
    uint64_t generation;        /* swaps so far */
};

struct vg_sigma_engine *vg_sigma_engine_new(struct vg_sigma_set *set)
{
    struct vg_sigma_engine *e = vg_calloc(1, sizeof *e);
    if (!e) {
        vg_sigma_set_unref(set);
        return NULL;
    }
    pthread_mutex_init(&e->mu, NULL);
    e->cur = set;
    return e;
}

void vg_sigma_engine_free(struct vg_sigma_engine *e)
{
    if (!e) return;
    vg_sigma_set_unref(e->cur);
    pthread_mutex_destroy(&e->mu);
    vg_free(e);
}

struct vg_sigma_set *vg_sigma_engine_acquire(struct vg_sigma_engine *e, uint64_t *generation)
{
    if (!e) return NULL;
    pthread_mutex_lock(&e->mu);
    struct vg_sigma_set *s = vg_sigma_set_ref(e->cur);
    if (generation) *generation = e->generation;
    pthread_mutex_unlock(&e->mu);
    return s;
}

int vg_sigma_engine_swap(struct vg_sigma_engine *e, struct vg_sigma_set *set)
{
    if (!e) return VG_EINVAL;
    if (set && !set->compiled) return VG_ESTATE;
    pthread_mutex_lock(&e->mu);
    struct vg_sigma_set *old = e->cur;
    e->cur = set;
    e->generation++;
    pthread_mutex_unlock(&e->mu);
    vg_sigma_set_unref(old); /* outside the lock: freeing may take a while */
    return 0;
}
