/* The event pipeline (DESIGN §1, §7): sources hand batches of framed raw
 * records to the pipeline; worker threads decode them (and run the detect
 * hook, a pass-through slot the Sigma engine fills later); one writer thread
 * commits them to the store in grouped transactions and then calls each
 * batch's on_commit callback (that is when HTTP answers 2xx and agents get
 * their acknowledgement). Queues between stages are bounded: a full queue
 * blocks the submitter (TCP/HTTP slow down) or, for non-blocking submits
 * (UDP), rejects the batch and the source counts the drop.
 *
 * Lives in the ingest layer (src/ingest/pipeline.c); the api and server
 * layers use it. Counters are per source name and exported as OpenMetrics. */
#ifndef VIGIL_PIPELINE_H
#define VIGIL_PIPELINE_H

#include "vigil/event.h"
#include "vigil/decode.h"
#include "vigil/store.h"
#include <stdatomic.h>

/* Per-source health counters (all monotonically increasing). */
struct vg_source_counters {
    char name[64];               /* "syslog-udp", "syslog-tcp", "http", "file:/var/log/auth.log" */
    atomic_uint_fast64_t received;  /* records framed and accepted by the source */
    atomic_uint_fast64_t decoded;   /* records a decoder understood */
    atomic_uint_fast64_t failed;    /* records no decoder understood, or framing errors (kept raw when possible) */
    atomic_uint_fast64_t dropped;   /* records lost before the store: UDP queue full, oversized frames */
    atomic_uint_fast64_t stored;    /* records committed (duplicates included once) */
    atomic_uint_fast64_t duplicates;/* records whose id was already stored */
    atomic_uint_fast64_t bytes;     /* raw bytes received */
};

/* Detect hook: called by decode workers for every decoded batch before it
 * goes to the writer. The default is NULL (pass-through). */
typedef void (*vg_detect_fn)(void *ctx, struct vg_batch *b);

struct vg_pipeline_opts {
    size_t queue_batches;        /* capacity of each stage queue in batches (default 64) */
    size_t workers;              /* decode/detect threads (default: cores, at least 1) */
    size_t commit_max_events;    /* max events per store transaction (default 50000) */
    int64_t commit_max_delay_ns; /* max wait to fill a transaction (default 50 ms) */
    vg_detect_fn detect;         /* may be NULL */
    void *detect_ctx;
    struct vg_decode_opts decode;
    /* Appended by the incidents slice (NULL = none): called by the writer
     * thread after a transaction that stored alerts committed (e.g.
     * vg_respond_notify). Must be quick and must not block. */
    void (*after_commit)(void *ctx);
    void *after_commit_ctx;
};

struct vg_pipeline;

/* Creates the pipeline and starts its threads. The store handle becomes
 * owned by the writer thread (the caller must not use it concurrently). */
int vg_pipeline_new(struct vg_pipeline **out, struct vg_store *store, const struct vg_pipeline_opts *opts,
                    struct vg_err *err);
/* Registers (or finds) the counters of a source by name; never NULL except
 * on OOM. Pointers stay valid until vg_pipeline_free. */
struct vg_source_counters *vg_pipeline_counters(struct vg_pipeline *p, const char *name);
/* Hands a batch of raw events (raw, recv_ts, host, collector, tenant set;
 * not yet decoded) to the pipeline, which takes ownership. The batch's
 * counters pointer says which source it came from. With block=true waits
 * while the queue is full; with block=false returns VG_EAGAIN instead (the
 * caller still owns the batch then). After commit, b->on_commit(b->ack,
 * status) is called from the writer thread, then the batch is freed.
 * Returns VG_ECLOSED once shutdown began. */
int vg_pipeline_submit(struct vg_pipeline *p, struct vg_batch *b, struct vg_source_counters *src, bool block);
/* Like vg_pipeline_submit for a batch whose events are already decoded
 * (ids computed), e.g. EVTX records read by vg_evtx_read_file: workers skip
 * vg_decode, count VG_EV_DECODE_FAILED events as failed and the others as
 * decoded, and still run the detect hook. (Added by the ingest helper;
 * backward compatible.) */
int vg_pipeline_submit_decoded(struct vg_pipeline *p, struct vg_batch *b, struct vg_source_counters *src, bool block);
/* Appends all counters in OpenMetrics text format (ends with "# EOF\n"). */
int vg_pipeline_metrics(struct vg_pipeline *p, struct vg_buf *out);
/* Stops accepting, drains every queue, commits, joins threads. Idempotent. */
int vg_pipeline_stop(struct vg_pipeline *p);
/* Stops (if needed) and frees; returns the store handle to the caller via
 * *store_out if non-NULL, else closes it. */
void vg_pipeline_free(struct vg_pipeline *p, struct vg_store **store_out);

#endif
