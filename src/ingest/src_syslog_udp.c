/* Source: syslog over UDP (RFC 5426): one datagram is one record (a
 * trailing LF/NUL is dropped). A single thread reads with recvmmsg and
 * submits batches without blocking: when the pipeline is full the batch is
 * dropped and counted (UDP has no way to slow the sender). Datagrams longer
 * than max_frame are counted as oversized (failed + dropped). */
#include "internal.h"
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <unistd.h>

#define VLEN 64

struct vg_source {
    struct vg_source_conf conf;
    struct vg_source_counters *c;
    int fd;
    pthread_t th;
    atomic_bool stop;
    size_t max;
    char *bufs;
};

static void *udp_main(void *arg)
{
    struct vg_source *s = arg;
    struct vg__batcher bt;
    vg__batcher_init(&bt, &s->conf, s->c, "syslog-udp", false);
    struct mmsghdr msgs[VLEN];
    struct iovec iov[VLEN];
    struct sockaddr_storage from[VLEN];
    size_t slot = s->max + 1;   /* one extra byte reveals truncation */
    int64_t stop_deadline = 0;
    for (;;) {
        bool stopping = atomic_load(&s->stop);
        if (stopping && !stop_deadline) stop_deadline = vg_mono_ns() + 1000000000LL;
        if (stopping && vg_mono_ns() > stop_deadline) break;   /* a sender that never pauses */
        memset(msgs, 0, sizeof msgs);
        for (int i = 0; i < VLEN; i++) {
            iov[i].iov_base = s->bufs + (size_t)i * slot;
            iov[i].iov_len = slot;
            msgs[i].msg_hdr.msg_iov = &iov[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
            msgs[i].msg_hdr.msg_name = &from[i];
            msgs[i].msg_hdr.msg_namelen = sizeof from[i];
        }
        int n = recvmmsg(s->fd, msgs, VLEN, MSG_DONTWAIT, NULL);
        if (n > 0) {
            char peer[64] = "";
            for (int i = 0; i < n; i++) {
                size_t len = msgs[i].msg_len;
                if (len > s->max || (msgs[i].msg_hdr.msg_flags & MSG_TRUNC)) { vg__count_lost(s->c, 1); continue; }
                const char *p = iov[i].iov_base;
                while (len && (p[len - 1] == '\n' || p[len - 1] == '\0' || p[len - 1] == '\r')) len--;
                if (!len) continue;
                vg__net_peer(&from[i], peer, sizeof peer);
                vg__batcher_add(&bt, p, len, peer);
            }
            if (vg__batcher_due_in(&bt) <= 0) vg__batcher_flush(&bt);
            continue;
        }
        if (stopping) break;   /* socket drained after stop */
        int64_t due = vg__batcher_due_in(&bt);
        if (due <= 0) { vg__batcher_flush(&bt); due = INT64_MAX; }
        int timeout = 100;
        if (due != INT64_MAX && due / 1000000 + 1 < timeout) timeout = (int)(due / 1000000 + 1);
        struct pollfd pfd = {s->fd, POLLIN, 0};
        poll(&pfd, 1, timeout);
    }
    /* at shutdown the pipeline is still running: a blocking flush loses nothing */
    bt.block = true;
    vg__batcher_flush(&bt);
    return NULL;
}

static int start(struct vg_source **out, const struct vg_source_conf *conf, char *bound, size_t bsz,
                 struct vg_err *err)
{
    *out = NULL;
    struct vg_source *s = vg_calloc(1, sizeof *s);
    if (!s) return vg_err_set(err, VG_ENOMEM, "out of memory");
    s->conf = *conf;
    s->fd = -1;
    s->max = conf->max_frame ? conf->max_frame : 64 * 1024;
    if (s->max > 65535) s->max = 65535;   /* the largest UDP payload */
    int rc = 0;
    s->c = vg_pipeline_counters(conf->pipeline, "syslog-udp");
    s->bufs = vg_malloc((s->max + 1) * VLEN);
    if (!s->c || !s->bufs) { rc = vg_err_set(err, VG_ENOMEM, "out of memory"); goto fail; }
    rc = vg__net_listen(conf->listen, SOCK_DGRAM, &s->fd, bound, bsz, err);
    if (rc) goto fail;
    int rcvbuf = 8 << 20;
    setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    if (pthread_create(&s->th, NULL, udp_main, s) != 0) {
        rc = vg_err_set(err, VG_ESTATE, "cannot start the syslog-udp thread");
        goto fail;
    }
    *out = s;
    return 0;
fail:
    if (s->fd >= 0) close(s->fd);
    vg_free(s->bufs);
    vg_free(s);
    return rc;
}

static void stop(struct vg_source *s)
{
    if (!s) return;
    atomic_store(&s->stop, true);
    pthread_join(s->th, NULL);
    close(s->fd);
    vg_free(s->bufs);
    vg_free(s);
}

const struct vg_source_ops vg_src_syslog_udp = {
    .name = "syslog-udp",
    .desc = "syslog over UDP (RFC 5426), one datagram per record; drops counted when the pipeline is full",
    .start = start,
    .stop = stop,
};
