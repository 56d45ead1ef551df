/* Stream syslog server shared by TCP (RFC 6587) and TLS (RFC 5425): an
 * acceptor thread polls the listening socket; each connection gets its own
 * thread that reads, frames and batches. Submits block while the pipeline
 * is full, so a busy store stops our reads and TCP flow control slows the
 * sender. On stop, each connection drains what the peer already sent
 * (until 50 ms of silence, at most 5 s), flushes and closes. */
#include "internal.h"
#include "framing.h"
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#define MAX_CONNS 1024
#define READ_BUF (256 * 1024)
#define HANDSHAKE_NS (10 * 1000000000LL)
#define DRAIN_QUIET_MS 50
#define DRAIN_MAX_NS (5 * 1000000000LL)

struct conn {
    struct conn *next;
    struct vg__stream_srv *srv;
    int fd;
    SSL *ssl;
    pthread_t th;
    atomic_bool done;
    char peer[64];
};

struct vg__stream_srv {
    struct vg_source_conf conf;
    const char *collector;
    SSL_CTX *ssl_ctx;
    struct vg_source_counters *c;
    int lfd;
    pthread_t acceptor;
    atomic_bool stop;
    pthread_mutex_t mu;
    struct conn *conns;
    size_t nconns;
};

struct rd_ctx { struct vg__batcher *bt; const char *peer; };

static int on_frame(void *ctx, const char *p, size_t n)
{
    struct rd_ctx *r = ctx;
    vg__batcher_add(r->bt, p, n, r->peer);   /* OOM is counted as a drop; keep going */
    return 0;
}

enum { IO_DATA = 1, IO_AGAIN = 0, IO_EOF = -1, IO_ERR = -2 };

/* One read; *events gets what to poll for when IO_AGAIN. */
static int io_read(struct conn *cn, char *buf, size_t sz, size_t *got, short *events)
{
    *events = POLLIN;
    if (!cn->ssl) {
        ssize_t r = read(cn->fd, buf, sz);
        if (r > 0) { *got = (size_t)r; return IO_DATA; }
        if (r == 0) return IO_EOF;
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return IO_AGAIN;
        return IO_ERR;
    }
    ERR_clear_error();
    int r = SSL_read(cn->ssl, buf, (int)sz);
    if (r > 0) { *got = (size_t)r; return IO_DATA; }
    switch (SSL_get_error(cn->ssl, r)) {
    case SSL_ERROR_WANT_READ: return IO_AGAIN;
    case SSL_ERROR_WANT_WRITE: *events = POLLOUT; return IO_AGAIN;
    case SSL_ERROR_ZERO_RETURN: return IO_EOF;
    case SSL_ERROR_SYSCALL: if (errno == EAGAIN || errno == EINTR) return IO_AGAIN; return IO_EOF;
    default: return IO_ERR;
    }
}

static bool tls_handshake(struct conn *cn)
{
    int64_t deadline = vg_mono_ns() + HANDSHAKE_NS;
    for (;;) {
        ERR_clear_error();
        int r = SSL_accept(cn->ssl);
        if (r == 1) return true;
        int e = SSL_get_error(cn->ssl, r);
        short ev;
        if (e == SSL_ERROR_WANT_READ) ev = POLLIN;
        else if (e == SSL_ERROR_WANT_WRITE) ev = POLLOUT;
        else {
            unsigned long le = ERR_get_error();
            char msg[256] = "connection closed";
            if (le) ERR_error_string_n(le, msg, sizeof msg);
            vg_warn("ingest", "%s: TLS handshake with %s failed: %s", cn->srv->collector, cn->peer, msg);
            return false;
        }
        int64_t left = deadline - vg_mono_ns();
        if (left <= 0 || atomic_load(&cn->srv->stop)) {
            vg_warn("ingest", "%s: TLS handshake with %s timed out", cn->srv->collector, cn->peer);
            return false;
        }
        struct pollfd pfd = {cn->fd, ev, 0};
        poll(&pfd, 1, (int)(left / 1000000 > 100 ? 100 : left / 1000000 + 1));
    }
}

static void *conn_main(void *arg)
{
    struct conn *cn = arg;
    struct vg__stream_srv *s = cn->srv;
    struct vg__batcher bt;
    struct vg_framer fr;
    char *buf = vg_malloc(READ_BUF);
    bool have_framer = vg_framer_init(&fr, s->conf.max_frame) == 0;
    vg__batcher_init(&bt, &s->conf, s->c, s->collector, true);
    struct rd_ctx rc = {&bt, cn->peer};
    uint64_t lost_seen = 0;
    int64_t drain_until = 0;
    if (!buf || !have_framer) { vg_error("ingest", "%s: out of memory for a connection", s->collector); goto out; }
    if (cn->ssl && !tls_handshake(cn)) goto out;
    for (;;) {
        bool stopping = atomic_load(&s->stop);
        if (stopping && !drain_until) drain_until = vg_mono_ns() + DRAIN_MAX_NS;
        if (drain_until && vg_mono_ns() > drain_until) break;
        short events = POLLIN;
        size_t got = 0;
        int r = io_read(cn, buf, READ_BUF, &got, &events);
        if (r == IO_DATA) {
            vg_framer_feed(&fr, buf, got, on_frame, &rc);
            uint64_t lost = vg_framer_lost(&fr);
            if (lost != lost_seen) {
                vg_warn("ingest", "%s: %llu unusable frame(s) from %s (oversized or bad length)", s->collector,
                        (unsigned long long)(lost - lost_seen), cn->peer);
                vg__count_lost(s->c, lost - lost_seen);
                lost_seen = lost;
            }
            if (vg__batcher_due_in(&bt) <= 0) vg__batcher_flush(&bt);
            continue;
        }
        if (r == IO_EOF || r == IO_ERR) break;
        /* nothing to read now */
        int64_t due = vg__batcher_due_in(&bt);
        if (due <= 0) { vg__batcher_flush(&bt); due = INT64_MAX; }
        int timeout_ms = drain_until ? DRAIN_QUIET_MS : 100;
        if (due != INT64_MAX && due / 1000000 + 1 < timeout_ms) timeout_ms = (int)(due / 1000000 + 1);
        struct pollfd pfd = {cn->fd, events, 0};
        int pr = poll(&pfd, 1, timeout_ms);
        if (pr == 0 && drain_until) break;   /* quiet: everything sent before stop was read */
    }
    vg_framer_finish(&fr, on_frame, &rc);
    {
        uint64_t lost = vg_framer_lost(&fr);
        if (lost != lost_seen) vg__count_lost(s->c, lost - lost_seen);
    }
    vg__batcher_flush(&bt);
out:
    if (have_framer) vg_framer_release(&fr);
    vg_free(buf);
    if (cn->ssl) {
        SSL_shutdown(cn->ssl);
        SSL_free(cn->ssl);
        cn->ssl = NULL;
    }
    close(cn->fd);
    cn->fd = -1;
    atomic_store(&cn->done, true);
    return NULL;
}

/* Joins finished connections (all of them when `all`). */
static void reap(struct vg__stream_srv *s, bool all)
{
    pthread_mutex_lock(&s->mu);
    struct conn **pp = &s->conns;
    while (*pp) {
        struct conn *cn = *pp;
        if (all || atomic_load(&cn->done)) {
            *pp = cn->next;
            s->nconns--;
            pthread_mutex_unlock(&s->mu);
            pthread_join(cn->th, NULL);
            vg_free(cn);
            pthread_mutex_lock(&s->mu);
        } else {
            pp = &cn->next;
        }
    }
    pthread_mutex_unlock(&s->mu);
}

static void *acceptor_main(void *arg)
{
    struct vg__stream_srv *s = arg;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    while (!atomic_load(&s->stop)) {
        reap(s, false);
        struct sockaddr_storage ss;
        int fd = vg__net_accept(s->lfd, SOCK_NONBLOCK | SOCK_CLOEXEC, &ss, s->collector);
        if (fd < 0) continue;
        if (s->nconns >= MAX_CONNS) {
            vg_warn("ingest", "%s: %d connections open, refusing another", s->collector, MAX_CONNS);
            close(fd);
            continue;
        }
        struct conn *cn = vg_calloc(1, sizeof *cn);
        if (!cn) { close(fd); continue; }
        cn->srv = s;
        cn->fd = fd;
        vg__net_peer(&ss, cn->peer, sizeof cn->peer);
        if (s->ssl_ctx) {
            cn->ssl = SSL_new(s->ssl_ctx);
            if (!cn->ssl || SSL_set_fd(cn->ssl, fd) != 1) {
                if (cn->ssl) SSL_free(cn->ssl);
                close(fd);
                vg_free(cn);
                continue;
            }
        }
        pthread_mutex_lock(&s->mu);
        if (pthread_create(&cn->th, &attr, conn_main, cn) != 0) {
            pthread_mutex_unlock(&s->mu);
            vg_warn("ingest", "%s: cannot start a connection thread", s->collector);
            if (cn->ssl) SSL_free(cn->ssl);
            close(fd);
            vg_free(cn);
            continue;
        }
        cn->next = s->conns;
        s->conns = cn;
        s->nconns++;
        pthread_mutex_unlock(&s->mu);
    }
    pthread_attr_destroy(&attr);
    return NULL;
}

int vg__stream_start(struct vg__stream_srv **out, const struct vg_source_conf *conf, const char *collector,
                     void *ssl_ctx, char *bound, size_t bsz, struct vg_err *err)
{
    *out = NULL;
    /* a peer that vanishes must not kill the process when OpenSSL writes */
    signal(SIGPIPE, SIG_IGN);
    struct vg__stream_srv *s = vg_calloc(1, sizeof *s);
    if (!s) { SSL_CTX_free(ssl_ctx); return vg_err_set(err, VG_ENOMEM, "out of memory"); }
    s->conf = *conf;
    s->collector = collector;
    s->ssl_ctx = ssl_ctx;
    s->lfd = -1;
    pthread_mutex_init(&s->mu, NULL);
    int rc = 0;
    s->c = vg_pipeline_counters(conf->pipeline, collector);
    if (!s->c) { rc = vg_err_set(err, VG_ENOMEM, "out of memory"); goto fail; }
    rc = vg__net_listen(conf->listen, SOCK_STREAM, &s->lfd, bound, bsz, err);
    if (rc) goto fail;
    if (pthread_create(&s->acceptor, NULL, acceptor_main, s) != 0) {
        rc = vg_err_set(err, VG_ESTATE, "cannot start the %s acceptor", collector);
        goto fail;
    }
    *out = s;
    return 0;
fail:
    if (s->lfd >= 0) close(s->lfd);
    SSL_CTX_free(s->ssl_ctx);
    pthread_mutex_destroy(&s->mu);
    vg_free(s);
    return rc;
}

void vg__stream_stop(struct vg__stream_srv *s)
{
    if (!s) return;
    atomic_store(&s->stop, true);
    pthread_join(s->acceptor, NULL);
    close(s->lfd);
    reap(s, true);
    SSL_CTX_free(s->ssl_ctx);
    pthread_mutex_destroy(&s->mu);
    vg_free(s);
}
