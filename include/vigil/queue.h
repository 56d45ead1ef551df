/* Bounded blocking queue of pointers (multi-producer, multi-consumer), the
 * hand-off between pipeline stages (DESIGN §7). Capacity is fixed at
 * creation; a full queue blocks producers (or refuses non-blocking pushes),
 * which is how back-pressure travels upstream.
 *
 * Closing: after vg_queue_close() pushes fail with VG_ECLOSED and every
 * waiter wakes up; pops keep returning the items still queued (drain) and
 * return VG_ECLOSED only once the queue is both closed and empty. */
#ifndef VIGIL_QUEUE_H
#define VIGIL_QUEUE_H

#include "vigil/core.h"

struct vg_queue;

/* Creates a queue holding at most cap (>= 1) pointers. NULL on OOM or cap 0. */
struct vg_queue *vg_queue_new(size_t cap);
/* Frees the queue (not the items still in it). NULL is a no-op. The caller
 * guarantees no thread still uses it. */
void vg_queue_free(struct vg_queue *q);

/* Pushes item. timeout_ns < 0 waits for room without limit, 0 never waits
 * (VG_EAGAIN when full), > 0 waits at most that long (VG_ETIMEOUT).
 * Returns VG_ECLOSED once the queue is closed (the caller keeps the item). */
int vg_queue_push(struct vg_queue *q, void *item, int64_t timeout_ns);
/* Pops the oldest item into *out. Same timeout rules (VG_EAGAIN for 0 on
 * an empty queue, VG_ETIMEOUT). VG_ECLOSED when closed and empty. */
int vg_queue_pop(struct vg_queue *q, void **out, int64_t timeout_ns);

/* Refuses further pushes and wakes every waiter. Idempotent. */
void vg_queue_close(struct vg_queue *q);
bool vg_queue_closed(struct vg_queue *q);
size_t vg_queue_len(struct vg_queue *q);
size_t vg_queue_cap(const struct vg_queue *q);

#endif
