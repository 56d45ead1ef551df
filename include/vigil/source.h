/* Ingest sources (DESIGN §2): each is one file src/ingest/src_<name>.c plus
 * one line in src/ingest/sources.def, filling a const struct vg_source_ops.
 * A source frames raw records, fills batches (raw copied, recv_ts,
 * collector, host = sender address, tenant) and submits them to the
 * pipeline: network sources block on a full pipeline (TCP/TLS stop reading
 * so senders slow down) except UDP, which submits without blocking and
 * counts the drops.
 *
 * The server starts the sources it has configuration for and stops them
 * before stopping the pipeline; stop() flushes open batches. */
#ifndef VIGIL_SOURCE_H
#define VIGIL_SOURCE_H

#include "vigil/pipeline.h"

/* Agent source: handles one posture document of a RECORD frame (appended
 * by the posture work, backward compatible: NULL keeps RECORD documents
 * stored as raw events like LOG lines). Called on the connection's thread
 * before the frame's events are committed; may write to the store itself
 * (the asset tables) and push derived events onto `events` (raw and
 * recv_ts set; the source fills tenant, host and collector). Returns 0;
 * VG_EPARSE or VG_EINVAL for a document that is wrong (why says how: the
 * source counts it, stores an `agent_record_rejected` event instead and
 * still acknowledges the frame, so a bad document never blocks the
 * agent); any other error is transient (the frame is refused with ERROR
 * and resent by the agent later). */
typedef int (*vg_agent_record_fn)(void *ctx, const char *tenant, const char *host, const char *doc, size_t len,
                                  int64_t ts, struct vg_batch *events, char *why, size_t whysz);

struct vg_source_conf {
    struct vg_pipeline *pipeline; /* borrowed; must outlive the source */
    const char *listen;           /* network sources: "ADDR:PORT" (port 0 = any free) */
    const char *data_dir;         /* for TLS material and tail state */
    const char *tls_cert, *tls_key; /* PEM paths; NULL = DATA/tls/ self-signed */
    const char *const *files;     /* file source: paths to tail */
    size_t nfiles;
    bool tail_from_end;           /* never-seen files start at their end */
    int64_t poll_ns;              /* file source poll period (default 250 ms) */
    size_t max_frame;             /* largest record in bytes (default 64 KiB) */
    size_t batch_events;          /* records per batch (default 1000) */
    int64_t batch_delay_ns;       /* max age of an open batch (default 20 ms) */
    const char *tenant;           /* default "default" */
    int64_t agent_silent_ns;      /* agent source: no heartbeat for this long = silent (default 30 s) */
    vg_agent_record_fn agent_record; /* agent source: posture documents (NULL: stored raw) */
    void *agent_record_ctx;
};

struct vg_source;

struct vg_source_ops {
    const char *name;   /* "syslog-udp", "syslog-tcp", "syslog-tls", "file" */
    const char *desc;   /* one line for `vigil list sources` */
    /* Starts the source; bound_out (>= 64 bytes) receives the listening
     * address ("127.0.0.1:40001") or "" for sources without one. */
    int (*start)(struct vg_source **out, const struct vg_source_conf *conf, char *bound_out, size_t bound_sz,
                 struct vg_err *err);
    /* Stops receiving, flushes open batches into the pipeline (blocking),
     * joins threads and frees. NULL is a no-op. */
    void (*stop)(struct vg_source *s);
};

/* Table access; NULL when unknown. */
const struct vg_source_ops *vg_source_find(const char *name);
const struct vg_source_ops *const *vg_sources(size_t *n);

#endif

/* ---- one-off loads (`vigil ingest FILE`) ------------------------------ */
struct vg_load_opts {
    const char *tenant;       /* default "default" */
    const char *host;         /* origin host; default: this machine's name */
    size_t max_record;        /* longest record in bytes (default 1 MiB) */
    size_t batch_events;      /* default 1000 */
};

/* Reads a file into the pipeline (blocking submits) and returns when every
 * record was handed on (not yet committed: stop the pipeline to wait).
 * EVTX files (by magic) are read record by record with vg_evtx_read_file
 * (records libevtx cannot read are kept raw and flagged as failed).
 * Text files go line by line; a file whose first byte (after whitespace)
 * is '[' or '{' is split into JSON records (array elements or concatenated
 * values / JSON lines; a malformed record counts one failure and reading
 * resumes at the next line). Records get recv_ts = the file's mtime, so
 * loading the same unchanged file twice yields the same event ids.
 * Counters go to the source named "file:PATH" (*counters_out if non-NULL).
 * Fails with VG_EIO/VG_ENOENT when the file cannot be read. */
int vg_ingest_load_file(struct vg_pipeline *p, const char *path, const struct vg_load_opts *opts,
                        struct vg_source_counters **counters_out, struct vg_err *err);
