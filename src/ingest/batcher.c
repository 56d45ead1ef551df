/* Batcher: turns framed records into pipeline batches (raw copied into the
 * batch arena, receive time, collector, tenant, sender address) and submits
 * them when full or when the source finds them due. */
#include "internal.h"

void vg__batcher_init(struct vg__batcher *bt, const struct vg_source_conf *conf, struct vg_source_counters *c,
                      const char *collector, bool block)
{
    memset(bt, 0, sizeof *bt);
    bt->p = conf->pipeline;
    bt->c = c;
    bt->collector = collector;
    bt->tenant = conf->tenant && *conf->tenant ? conf->tenant : "default";
    bt->max_events = conf->batch_events ? conf->batch_events : 1000;
    bt->max_delay_ns = conf->batch_delay_ns > 0 ? conf->batch_delay_ns : 20 * 1000000LL;
    bt->block = block;
}

void vg__count_lost(struct vg_source_counters *c, uint64_t n)
{
    if (!n) return;
    atomic_fetch_add(&c->received, n);
    atomic_fetch_add(&c->failed, n);
    atomic_fetch_add(&c->dropped, n);
}

struct vg_batch *vg__batcher_batch(struct vg__batcher *bt)
{
    if (!bt->b) {
        bt->b = vg_batch_new(bt->max_events < 1024 ? bt->max_events : 1024);
        if (!bt->b) return NULL;
        bt->opened = vg_mono_ns();
        bt->host_copy = NULL;
    }
    return bt->b;
}

int vg__batcher_add(struct vg__batcher *bt, const char *raw, size_t n, const char *host)
{
    struct vg_batch *b = vg__batcher_batch(bt);
    struct vg_event *ev = b ? vg_batch_push(b) : NULL;
    atomic_fetch_add(&bt->c->received, 1);
    atomic_fetch_add(&bt->c->bytes, n);
    if (!ev || vg_event_set_raw(ev, raw, n) != 0) goto oom;
    size_t hl = host ? strlen(host) : 0;
    if (hl && (!bt->host_copy || bt->host_len != hl || memcmp(bt->host_copy, host, hl) != 0)) {
        bt->host_copy = vg_arena_strndup(&b->arena, host, hl);
        bt->host_len = hl;
        if (!bt->host_copy) goto oom;
    }
    ev->host = hl ? bt->host_copy : NULL;
    ev->recv_ts = bt->fixed_recv_ts ? bt->fixed_recv_ts : vg_now_ns();
    ev->seq = bt->seq;
    ev->tenant = bt->tenant;
    ev->collector = bt->collector;
    if (b->n >= bt->max_events) return vg__batcher_flush(bt);
    return 0;
oom:
    if (ev) b->n--;   /* the half-made event is not handed on */
    atomic_fetch_add(&bt->c->failed, 1);
    atomic_fetch_add(&bt->c->dropped, 1);
    return VG_ENOMEM;
}

int vg__batcher_flush(struct vg__batcher *bt)
{
    struct vg_batch *b = bt->b;
    if (!b) return 0;
    bt->b = NULL;
    if (b->n == 0 && !b->on_commit) { vg_batch_free(b); return 0; }
    size_t n = b->n;
    int rc = vg_pipeline_submit(bt->p, b, bt->c, bt->block);
    if (rc != 0) {
        uint64_t before = atomic_fetch_add(&bt->c->dropped, n);
        if (before == 0 || before / 100000 != (before + n) / 100000)
            vg_warn("ingest", "%s: pipeline %s, %zu records dropped (%llu so far)", bt->c->name,
                    rc == VG_EAGAIN ? "full" : vg_strerror(rc), n, (unsigned long long)(before + n));
        if (b->on_commit) b->on_commit(b->ack, rc);
        vg_batch_free(b);
    }
    return rc;
}

int64_t vg__batcher_due_in(const struct vg__batcher *bt)
{
    if (!bt->b) return INT64_MAX;
    return bt->opened + bt->max_delay_ns - vg_mono_ns();
}
