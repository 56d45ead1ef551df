/* vigil-agent's TLS channel to the server: TCP connect with a timeout,
 * TLS 1.3 only, the server verified against the pinned CA (DATA/ca.pem)
 * under the name "vigil-server" (which only the server's certificate
 * carries: agent certificates are clientAuth only), the agent's own
 * certificate presented when enrolled. Frames are read into a buffer that
 * grows to at most VG_AP_MAX_FRAME. */
#include "agent.h"
#include "vigil/agent_ca.h"
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

struct vg_chan {
    int fd;
    SSL_CTX *ctx;
    SSL *ssl;
    uint8_t *buf;
    size_t len, cap, used;
};

static int ssl_err(struct vg_err *err, int code, const char *what)
{
    char msg[256] = "connection closed";
    unsigned long e = ERR_get_error();
    if (e) ERR_error_string_n(e, msg, sizeof msg);
    ERR_clear_error();
    return vg_err_set(err, code, "%s: %s", what, msg);
}

int vg_pem_fingerprint(const char *pem, size_t len, char out[65])
{
    BIO *b = BIO_new_mem_buf(pem, (int)len);
    X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    int rc = VG_EPARSE;
    if (x && X509_digest(x, EVP_sha256(), md, &n) == 1 && n == 32) { vg_hex(md, 32, out); rc = 0; }
    X509_free(x);
    BIO_free(b);
    ERR_clear_error();
    return rc;
}

static int tcp_connect(const char *server, int timeout_ms, struct vg_err *err)
{
    char host[256], port[16];
    const char *colon = strrchr(server, ':');
    if (!colon || colon == server || strlen(colon + 1) >= sizeof port) return vg_err_set(err, VG_EINVAL, "bad server address '%s' (want HOST:PORT)", server);
    size_t hl = (size_t)(colon - server);
    if (server[0] == '[' && hl >= 2 && server[hl - 1] == ']') { server++; hl -= 2; }
    if (hl >= sizeof host) return vg_err_set(err, VG_EINVAL, "bad server address");
    memcpy(host, server, hl);
    host[hl] = 0;
    snprintf(port, sizeof port, "%s", colon + 1);
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_socktype = SOCK_STREAM;
    int g = getaddrinfo(host, port, &hints, &res);
    if (g != 0) return vg_err_set(err, VG_ENET, "cannot resolve %s: %s", host, gai_strerror(g));
    int fd = -1, rc = VG_ENET;
    for (struct addrinfo *a = res; a; a = a->ai_next) {
        fd = socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0) continue;
        int r = connect(fd, a->ai_addr, a->ai_addrlen);
        if (r != 0 && errno == EINPROGRESS) {
            struct pollfd p = {fd, POLLOUT, 0};
            int soerr = 0;
            socklen_t sl = sizeof soerr;
            if (poll(&p, 1, timeout_ms) == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr == 0) r = 0;
            else errno = soerr ? soerr : ETIMEDOUT;
        }
        if (r == 0) { rc = 0; break; }
        vg_err_set(err, VG_ENET, "cannot connect to %s: %s", server, strerror(errno));
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (rc) return err && err->code ? err->code : VG_ENET;
    /* back to blocking with timeouts */
    int fl = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    return fd;
}

int vg_chan_connect(struct vg_chan **out, const struct vg_chan_conf *c, struct vg_err *err)
{
    *out = NULL;
    struct vg_chan *ch = vg_calloc(1, sizeof *ch);
    if (!ch) return vg_err_set(err, VG_ENOMEM, "out of memory");
    ch->fd = -1;
    int rc = 0;
    int tmo = c->timeout_ms > 0 ? c->timeout_ms : 10000;
    ch->ctx = SSL_CTX_new(TLS_client_method());
    if (!ch->ctx) { rc = ssl_err(err, VG_ETLS, "SSL_CTX_new"); goto fail; }
    SSL_CTX_set_min_proto_version(ch->ctx, TLS1_3_VERSION);
    SSL_CTX_set_max_proto_version(ch->ctx, TLS1_3_VERSION);
    /* the record buffers (~50 KB) are freed while the channel is idle,
     * which it is between the agent's polls */
    SSL_CTX_set_mode(ch->ctx, SSL_MODE_RELEASE_BUFFERS);
    if (c->ca) {
        if (SSL_CTX_load_verify_locations(ch->ctx, c->ca, NULL) != 1) { rc = ssl_err(err, VG_ETLS, c->ca); goto fail; }
        SSL_CTX_set_verify(ch->ctx, SSL_VERIFY_PEER, NULL);
    } else {
        /* enrollment: the CA is not known yet; it is checked against the
         * fingerprint (when given) once the server sends it */
        SSL_CTX_set_verify(ch->ctx, SSL_VERIFY_NONE, NULL);
    }
    if (c->cert) {
        if (SSL_CTX_use_certificate_file(ch->ctx, c->cert, SSL_FILETYPE_PEM) != 1 ||
            SSL_CTX_use_PrivateKey_file(ch->ctx, c->key, SSL_FILETYPE_PEM) != 1) {
            rc = ssl_err(err, VG_ETLS, "loading the agent certificate");
            goto fail;
        }
    }
    ch->fd = tcp_connect(c->server, tmo, err);
    if (ch->fd < 0) { rc = ch->fd; ch->fd = -1; goto fail; }
    ch->ssl = SSL_new(ch->ctx);
    if (!ch->ssl || SSL_set_fd(ch->ssl, ch->fd) != 1) { rc = ssl_err(err, VG_ETLS, "SSL_new"); goto fail; }
    if (c->ca) SSL_set1_host(ch->ssl, VG_AGENT_SERVER_NAME);
    struct timeval tv = {tmo / 1000, (tmo % 1000) * 1000};
    setsockopt(ch->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ERR_clear_error();
    if (SSL_connect(ch->ssl) != 1) {
        long vr = SSL_get_verify_result(ch->ssl);
        if (vr != X509_V_OK)
            rc = vg_err_set(err, VG_ETLS, "TLS handshake with %s: server certificate rejected: %s", c->server,
                            X509_verify_cert_error_string(vr));
        else rc = ssl_err(err, VG_ETLS, "TLS handshake");
        goto fail;
    }
    ch->cap = 64 * 1024;
    ch->buf = vg_malloc(ch->cap);
    if (!ch->buf) { rc = vg_err_set(err, VG_ENOMEM, "out of memory"); goto fail; }
    *out = ch;
    return 0;
fail:
    vg_chan_close(ch);
    return rc ? rc : VG_ENET;
}

void vg_chan_close(struct vg_chan *ch)
{
    if (!ch) return;
    if (ch->ssl) { SSL_shutdown(ch->ssl); SSL_free(ch->ssl); }
    if (ch->fd >= 0) close(ch->fd);
    SSL_CTX_free(ch->ctx);
    vg_free(ch->buf);
    vg_free(ch);
}

int vg_chan_send(struct vg_chan *ch, const struct vg_buf *frame, struct vg_err *err)
{
    size_t off = 0;
    while (off < frame->len) {
        ERR_clear_error();
        int r = SSL_write(ch->ssl, frame->data + off, (int)(frame->len - off));
        if (r <= 0) return ssl_err(err, VG_ENET, "sending to the server");
        off += (size_t)r;
    }
    return 0;
}

int vg_chan_recv(struct vg_chan *ch, struct vg_ap_frame *f, int timeout_ms, struct vg_err *err)
{
    if (ch->used) {
        memmove(ch->buf, ch->buf + ch->used, ch->len - ch->used);
        ch->len -= ch->used;
        ch->used = 0;
    }
    int64_t deadline = vg_mono_ns() + (int64_t)timeout_ms * 1000000LL;
    for (;;) {
        size_t used = 0;
        int rc = vg_ap_decode(ch->buf, ch->len, f, &used, err);
        if (rc == 0) { ch->used = used; return 0; }
        if (rc != VG_EAGAIN) return rc;
        if (ch->len >= 4) {
            size_t need = 4 + ((size_t)ch->buf[0] << 24 | (size_t)ch->buf[1] << 16 | (size_t)ch->buf[2] << 8 | ch->buf[3]);
            if (need > ch->cap) {
                uint8_t *nb = vg_realloc(ch->buf, need);
                if (!nb) return vg_err_set(err, VG_ENOMEM, "out of memory");
                ch->buf = nb;
                ch->cap = need;
            }
        }
        int64_t left = deadline - vg_mono_ns();
        if (left <= 0) return vg_err_set(err, VG_ETIMEOUT, "no answer from the server");
        if (SSL_pending(ch->ssl) == 0) {
            struct pollfd p = {ch->fd, POLLIN, 0};
            int pr = poll(&p, 1, (int)(left / 1000000 + 1));
            if (pr == 0) continue;
        }
        ERR_clear_error();
        int r = SSL_read(ch->ssl, ch->buf + ch->len, (int)(ch->cap - ch->len));
        if (r > 0) { ch->len += (size_t)r; continue; }
        int e = SSL_get_error(ch->ssl, r);
        if (e == SSL_ERROR_WANT_READ) continue;
        if (ch->len) return vg_err_set(err, VG_EPARSE, "the server closed the connection inside a frame");
        return ssl_err(err, VG_ECLOSED, "the server closed the connection");
    }
}

int vg_chan_check_server(struct vg_chan *ch, const char *ca_pem, size_t len, struct vg_err *err)
{
    BIO *b = BIO_new_mem_buf(ca_pem, (int)len);
    X509 *ca = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    X509 *peer = SSL_get1_peer_certificate(ch->ssl);
    EVP_PKEY *pk = ca ? X509_get0_pubkey(ca) : NULL;
    int rc = 0;
    if (!ca || !peer || !pk || X509_verify(peer, pk) != 1 ||
        X509_check_host(peer, VG_AGENT_SERVER_NAME, 0, 0, NULL) != 1)
        rc = vg_err_set(err, VG_ETLS, "the server's certificate was not issued by the CA it sent");
    X509_free(peer);
    X509_free(ca);
    BIO_free(b);
    ERR_clear_error();
    return rc;
}
