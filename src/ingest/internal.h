/* Private helpers shared by the ingest sources (vg__ingest_* names):
 * the batcher (records -> batches -> pipeline), address parsing and
 * listening sockets, and the stream server used by TCP and TLS syslog. */
#ifndef VG_INGEST_INTERNAL_H
#define VG_INGEST_INTERNAL_H

#include "vigil/source.h"
#include <sys/socket.h>

/* Builds batches for one producer thread and submits them. */
struct vg__batcher {
    struct vg_pipeline *p;
    struct vg_source_counters *c;
    const char *collector;      /* static string */
    const char *tenant;         /* outlives every batch */
    size_t max_events;
    int64_t max_delay_ns;
    bool block;                 /* false: drop (and count) when the pipeline is full */
    struct vg_batch *b;         /* open batch or NULL */
    int64_t opened;             /* vg_mono_ns() of its first record */
    const char *host_copy;      /* last host string copied into b's arena */
    size_t host_len;
    int64_t fixed_recv_ts;      /* when non-zero, used instead of the clock */
    uint64_t seq;               /* copied into each event's seq */
};

void vg__batcher_init(struct vg__batcher *bt, const struct vg_source_conf *conf, struct vg_source_counters *c,
                      const char *collector, bool block);
/* Adds one record (raw copied); host is copied into the batch arena. Flushes
 * a full batch. Returns 0 or VG_ENOMEM (the record is counted as dropped). */
int vg__batcher_add(struct vg__batcher *bt, const char *raw, size_t n, const char *host);
/* Opens the batch if needed and returns it (to set ack/on_commit); NULL on OOM. */
struct vg_batch *vg__batcher_batch(struct vg__batcher *bt);
/* Submits the open batch, if any. Returns 0, or the submit error (the
 * records were then counted as dropped and freed). */
int vg__batcher_flush(struct vg__batcher *bt);
/* Nanoseconds until the open batch is due (INT64_MAX when none; <= 0 due). */
int64_t vg__batcher_due_in(const struct vg__batcher *bt);
/* Adds framing losses (oversized, bad headers, truncated) to the counters. */
void vg__count_lost(struct vg_source_counters *c, uint64_t n);

/* Parses "ADDR:PORT" / "[IPv6]:PORT" (numeric or "localhost"). */
int vg__net_addr(const char *s, int socktype, struct sockaddr_storage *ss, socklen_t *len, struct vg_err *err);
/* Creates a bound (and for SOCK_STREAM listening) socket, non-blocking and
 * close-on-exec; writes the bound "ADDR:PORT" into bound. */
int vg__net_listen(const char *addr, int socktype, int *fd_out, char *bound, size_t bsz, struct vg_err *err);
/* One turn of a listener's accept loop, shared by the stream and agent
 * listeners: waits up to 100 ms for a connection on lfd and accepts it with
 * accept4 flags. Returns the new fd, or -1 when none came, accept failed,
 * or the process is out of descriptors (then it pauses 100 ms, and warns
 * "WHO: out of file descriptors" when who is not NULL). */
int vg__net_accept(int lfd, int flags, struct sockaddr_storage *ss, const char *who);
/* The IP address text of a peer (IPv4-mapped IPv6 shown as IPv4). */
void vg__net_peer(const struct sockaddr_storage *ss, char *out, size_t sz);

/* Stream (TCP or TLS) syslog server: acceptor thread + one thread per
 * connection, RFC 6587 framing, blocking submits (back-pressure). */
struct vg__stream_srv;
int vg__stream_start(struct vg__stream_srv **out, const struct vg_source_conf *conf, const char *collector,
                     void *ssl_ctx, char *bound, size_t bsz, struct vg_err *err);
/* Stops: no new connections; each connection drains what is readable
 * (bounded), flushes and closes. Frees ssl_ctx too. */
void vg__stream_stop(struct vg__stream_srv *s);

#endif
