/* Minimal blocking HTTP/1.1 client (include/vigil/http_client.h): connect
 * with a timeout, (for https) a verified TLS handshake, send one request
 * with Connection: close, read the reply to EOF (capped), then parse
 * status, a few headers and the body (Content-Length, chunked, or
 * read-to-close); redirects are followed up to a bound. Used by
 * `vigil status`, the search CLI, the server's intel feed fetcher, unit
 * tests and bench_api. */
#include "vigil/http_client.h"
#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <fcntl.h>

int vg_http_url_parse(const char *url, struct vg_http_url *u, struct vg_err *err)
{
    memset(u, 0, sizeof *u);
    if (!url) return vg_err_set(err, VG_EINVAL, "no URL given");
    const char *p, *hs, *he;
    if (strncmp(url, "https://", 8) == 0) { u->tls = true; p = url + 8; }
    else if (strncmp(url, "http://", 7) == 0) p = url + 7;
    else return vg_err_set(err, VG_EINVAL, "URL must start with http:// or https://: %s", url);
    if (*p == '[') {
        hs = p + 1;
        he = strchr(hs, ']');
        if (!he) return vg_err_set(err, VG_EINVAL, "unclosed '[' in URL %s", url);
        p = he + 1;
    } else {
        hs = p;
        while (*p && *p != ':' && *p != '/' && *p != '?') p++;
        he = p;
    }
    if (he == hs || (size_t)(he - hs) >= sizeof u->host) return vg_err_set(err, VG_EINVAL, "bad host in URL %s", url);
    memcpy(u->host, hs, (size_t)(he - hs));
    u->port = u->tls ? 443 : 80;
    if (*p == ':') {
        const char *ps = ++p;
        while (*p >= '0' && *p <= '9') p++;
        int64_t port;
        if (vg_parse_i64(ps, (size_t)(p - ps), &port) || port < 1 || port > 65535)
            return vg_err_set(err, VG_EINVAL, "bad port in URL %s", url);
        u->port = (int)port;
    }
    if (*p && *p != '/' && *p != '?') return vg_err_set(err, VG_EINVAL, "bad URL %s", url);
    int w = snprintf(u->path, sizeof u->path, "%s%s", *p == '/' ? "" : "/", p);
    if (w < 0 || (size_t)w >= sizeof u->path) return vg_err_set(err, VG_EINVAL, "URL too long");
    for (const char *c = u->path; *c; c++)
        if ((unsigned char)*c <= 0x20 || *c == 0x7f) return vg_err_set(err, VG_EINVAL, "URL contains spaces or control characters");
    for (const char *c = u->host; *c; c++)
        if ((unsigned char)*c <= 0x20 || *c == 0x7f || *c == '@') return vg_err_set(err, VG_EINVAL, "bad host in URL %s", url);
    return 0;
}

int vg_http_urlencode(struct vg_buf *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        int rc;
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr("-._~", *p))
            rc = vg_buf_addc(out, (char)*p);
        else {
            char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            rc = vg_buf_add(out, e, 3);
        }
        if (rc) return rc;
    }
    return 0;
}

void vg_http_response_release(struct vg_http_response *resp)
{
    if (!resp) return;
    vg_free(resp->body);
    vg_free(resp->headers);
    memset(resp, 0, sizeof *resp);
}

static bool header_safe(const char *s)
{
    for (; s && *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f) return false;
    return true;
}

static int wait_fd(int fd, short ev, int timeout_ms)
{
    struct pollfd pfd = {fd, ev, 0};
    for (;;) {
        int n = poll(&pfd, 1, timeout_ms);
        if (n > 0) return 0;
        if (n == 0) return VG_ETIMEOUT;
        if (errno != EINTR) return VG_ENET;
    }
}

/* One connection: a non-blocking socket, optionally wrapped in TLS. Waits
 * are bounded by tmo and by the overall deadline (0 = none). */
struct conn {
    int fd;
    SSL_CTX *ctx;
    SSL *ssl;
    int tmo;
    int64_t deadline;   /* vg_mono_ns() limit, 0 = none */
    const atomic_bool *cancel;
};

static int conn_wait(struct conn *c, short ev)
{
    int t = c->tmo;
    if (c->deadline) {
        int64_t left = (c->deadline - vg_mono_ns()) / 1000000;
        if (left <= 0) return VG_ETIMEOUT;
        if (left < t) t = (int)left;
    }
    if (!c->cancel) return wait_fd(c->fd, ev, t);
    for (;;) { /* in slices, so a cancel is seen soon */
        if (atomic_load(c->cancel)) return VG_ECLOSED;
        int slice = t < 200 ? t : 200;
        int rc = wait_fd(c->fd, ev, slice);
        if (rc != VG_ETIMEOUT || slice == t) return rc;
        t -= slice;
    }
}

static int connect_to(const struct vg_http_url *u, struct conn *cn, struct vg_err *err)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    char port[16];
    snprintf(port, sizeof port, "%d", u->port);
    int g = getaddrinfo(u->host, port, &hints, &res);
    if (g) return vg_err_set(err, VG_ENET, "cannot resolve %s: %s", u->host, gai_strerror(g));
    int rc = VG_ENET, last_errno = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
        if (fd < 0) { last_errno = errno; continue; }
        int c = connect(fd, ai->ai_addr, ai->ai_addrlen);
        if (c != 0 && errno == EINPROGRESS) {
            cn->fd = fd;
            int w = conn_wait(cn, POLLOUT);
            int soerr = 0;
            socklen_t sl = sizeof soerr;
            if (w == 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr == 0) c = 0;
            else errno = w == VG_ETIMEOUT ? ETIMEDOUT : (soerr ? soerr : errno);
        }
        if (c == 0) {
            cn->fd = fd;
            rc = 0;
            break;
        }
        cn->fd = -1;
        last_errno = errno;
        close(fd);
    }
    freeaddrinfo(res);
    if (rc) return vg_err_set(err, VG_ENET, "cannot connect to %s port %d: %s", u->host, u->port, strerror(last_errno));
    return 0;
}

static int tls_fail(struct vg_err *err, const char *host, const char *what)
{
    char buf[256] = "";
    unsigned long e = ERR_get_error();
    if (e) ERR_error_string_n(e, buf, sizeof buf);
    ERR_clear_error();
    return vg_err_set(err, VG_ETLS, "TLS with %s: %s%s%s", host, what, buf[0] ? ": " : "", buf);
}

/* TLS client handshake on cn->fd: system CA store or ca_file, peer
 * certificate and host name (or IP literal) verified, TLS >= 1.2. */
static int tls_start(struct conn *cn, const struct vg_http_url *u, const char *ca_file, struct vg_err *err)
{
    cn->ctx = SSL_CTX_new(TLS_client_method());
    if (!cn->ctx) return tls_fail(err, u->host, "cannot create a context");
    SSL_CTX_set_min_proto_version(cn->ctx, TLS1_2_VERSION);
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
    SSL_CTX_set_options(cn->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF); /* bodies are length-checked */
#endif
    SSL_CTX_set_verify(cn->ctx, SSL_VERIFY_PEER, NULL);
    if (ca_file && *ca_file) {
        if (SSL_CTX_load_verify_locations(cn->ctx, ca_file, NULL) != 1)
            return tls_fail(err, u->host, "cannot load the CA file");
    } else if (SSL_CTX_set_default_verify_paths(cn->ctx) != 1) {
        return tls_fail(err, u->host, "cannot load the system CA store");
    }
    cn->ssl = SSL_new(cn->ctx);
    if (!cn->ssl || SSL_set_fd(cn->ssl, cn->fd) != 1) return tls_fail(err, u->host, "cannot create a session");
    unsigned char ipb[16];
    int iplen = inet_pton(AF_INET, u->host, ipb) == 1 ? 4 : inet_pton(AF_INET6, u->host, ipb) == 1 ? 16 : 0;
    if (iplen) {
        if (X509_VERIFY_PARAM_set1_ip(SSL_get0_param(cn->ssl), ipb, (size_t)iplen) != 1)
            return tls_fail(err, u->host, "cannot set the expected address");
    } else {
        SSL_set_tlsext_host_name(cn->ssl, u->host);
        if (SSL_set1_host(cn->ssl, u->host) != 1) return tls_fail(err, u->host, "cannot set the expected host name");
    }
    for (;;) {
        int r = SSL_connect(cn->ssl);
        if (r == 1) return 0;
        int e = SSL_get_error(cn->ssl, r);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
            int w = conn_wait(cn, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT);
            if (w) return vg_err_set(err, w, "TLS handshake with %s port %d timed out", u->host, u->port);
            continue;
        }
        long vr = SSL_get_verify_result(cn->ssl);
        if (vr != X509_V_OK) {
            ERR_clear_error();
            return vg_err_set(err, VG_ETLS, "TLS with %s: certificate not accepted: %s", u->host,
                              X509_verify_cert_error_string(vr));
        }
        return tls_fail(err, u->host, "handshake failed");
    }
}

static void conn_close(struct conn *cn)
{
    if (cn->ssl) SSL_free(cn->ssl);
    if (cn->ctx) SSL_CTX_free(cn->ctx);
    if (cn->fd >= 0) close(cn->fd);
    cn->ssl = NULL;
    cn->ctx = NULL;
    cn->fd = -1;
}

static int send_all(struct conn *cn, const char *p, size_t n)
{
    while (n) {
        if (cn->ssl) {
            size_t w = 0;
            int r = SSL_write_ex(cn->ssl, p, n, &w);
            if (r == 1) { p += w; n -= w; continue; }
            int e = SSL_get_error(cn->ssl, r);
            ERR_clear_error();
            if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) return VG_ENET;
            int rc = conn_wait(cn, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT);
            if (rc) return rc;
            continue;
        }
        ssize_t w = send(cn->fd, p, n, MSG_NOSIGNAL);
        if (w > 0) { p += w; n -= (size_t)w; continue; }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            int rc = conn_wait(cn, POLLOUT);
            if (rc) return rc;
            continue;
        }
        return VG_ENET;
    }
    return 0;
}

/* Reads up to n bytes: > 0 bytes read, 0 at end of stream, or a negative
 * VG_E* code (VG_ETIMEOUT, VG_ENET). */
static ssize_t conn_recv(struct conn *cn, char *buf, size_t n)
{
    for (;;) {
        if (cn->ssl) {
            size_t got = 0;
            int r = SSL_read_ex(cn->ssl, buf, n, &got);
            if (r == 1) return (ssize_t)got;
            int e = SSL_get_error(cn->ssl, r);
            ERR_clear_error();
            if (e == SSL_ERROR_ZERO_RETURN) return 0;
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
                int w = conn_wait(cn, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT);
                if (w) return w;
                continue;
            }
            return e == SSL_ERROR_SYSCALL && errno == 0 ? 0 : VG_ENET;
        }
        int w = conn_wait(cn, POLLIN);
        if (w) return w;
        ssize_t r = recv(cn->fd, buf, n, 0);
        if (r >= 0) return r;
        if (errno == EINTR || errno == EAGAIN) continue;
        return VG_ENET;
    }
}

/* Finds header `name` (case-insensitive) in [h, e); returns its trimmed value. */
static const char *find_header(const char *h, const char *e, const char *name, size_t *vlen)
{
    size_t nl = strlen(name);
    const char *p = h;
    while (p < e) {
        const char *eol = memchr(p, '\n', (size_t)(e - p));
        if (!eol) eol = e;
        if ((size_t)(eol - p) > nl && p[nl] == ':' && vg_strncasecmp_ascii(p, name, nl) == 0) {
            const char *v = p + nl + 1, *ve = eol;
            while (v < ve && (*v == ' ' || *v == '\t')) v++;
            while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t')) ve--;
            *vlen = (size_t)(ve - v);
            return v;
        }
        p = eol + 1;
    }
    return NULL;
}

bool vg_http_response_header(const struct vg_http_response *resp, const char *name, char *out, size_t outsz)
{
    size_t vl;
    if (!resp || !resp->headers) return false;
    const char *v = find_header(resp->headers, resp->headers + resp->headers_len, name, &vl);
    if (!v) return false;
    if (outsz) snprintf(out, outsz, "%.*s", (int)vl, v);
    return true;
}

static int dechunk(const char *p, const char *e, struct vg_buf *out)
{
    for (;;) {
        const char *eol = memchr(p, '\n', (size_t)(e - p));
        if (!eol) return VG_EPARSE;
        uint64_t sz = 0;
        const char *q = p;
        int nd = 0;
        for (; q < eol; q++, nd++) {
            int d;
            if (*q >= '0' && *q <= '9') d = *q - '0';
            else if (*q >= 'a' && *q <= 'f') d = *q - 'a' + 10;
            else if (*q >= 'A' && *q <= 'F') d = *q - 'A' + 10;
            else break;
            if (nd >= 15) return VG_EPARSE;
            sz = sz * 16 + (uint64_t)d;
        }
        if (nd == 0) return VG_EPARSE;
        p = eol + 1;
        if (sz == 0) return 0; /* trailers ignored */
        if (sz > (uint64_t)(e - p)) return VG_EPARSE;
        int rc = vg_buf_add(out, p, (size_t)sz);
        if (rc) return rc;
        p += sz;
        if (p < e && *p == '\r') p++;
        if (p < e && *p == '\n') p++;
        else return VG_EPARSE;
    }
}

/* One exchange with url (no redirects). */
static int fetch_once(const struct vg_http_request *rq, const char *url, int64_t deadline,
                      struct vg_http_response *resp, struct vg_err *err)
{
    memset(resp, 0, sizeof *resp);
    struct vg_http_url u;
    struct vg_buf req = VG_BUF_INIT, raw = VG_BUF_INIT, body = VG_BUF_INIT;
    struct conn cn = {.fd = -1, .deadline = deadline, .cancel = rq->cancel};
    int rc = vg_http_url_parse(url, &u, err);
    if (rc) return rc;
    const char *method = rq->method ? rq->method : "GET";
    cn.tmo = rq->timeout_ms > 0 ? rq->timeout_ms : 30000;
    size_t maxr = rq->max_response ? rq->max_response : (size_t)64 << 20;
    if (!header_safe(rq->token) || !header_safe(rq->content_type) || !header_safe(method) || strchr(method, ' ') ||
        !header_safe(rq->if_none_match) || !header_safe(rq->if_modified_since))
        return vg_err_set(err, VG_EINVAL, "token, method, content type or validator contains control characters");
    bool v6 = strchr(u.host, ':') != NULL;
    bool dflt = u.port == (u.tls ? 443 : 80);
    rc = vg_buf_addf(&req, "%s %s HTTP/1.1\r\nHost: %s%s%s", method, u.path, v6 ? "[" : "", u.host, v6 ? "]" : "");
    if (!rc && !dflt) rc = vg_buf_addf(&req, ":%d", u.port);
    if (!rc) rc = vg_buf_addf(&req, "\r\nUser-Agent: vigil/%s\r\nAccept: */*\r\nConnection: close\r\n", VIGIL_VERSION);
    if (!rc && rq->token) rc = vg_buf_addf(&req, "Authorization: Bearer %s\r\n", rq->token);
    if (!rc && rq->content_type) rc = vg_buf_addf(&req, "Content-Type: %s\r\n", rq->content_type);
    if (!rc && rq->if_none_match && *rq->if_none_match) rc = vg_buf_addf(&req, "If-None-Match: %s\r\n", rq->if_none_match);
    if (!rc && rq->if_modified_since && *rq->if_modified_since)
        rc = vg_buf_addf(&req, "If-Modified-Since: %s\r\n", rq->if_modified_since);
    if (!rc && (rq->body || strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0))
        rc = vg_buf_addf(&req, "Content-Length: %zu\r\n", rq->body_len);
    if (!rc) rc = vg_buf_adds(&req, "\r\n");
    if (rc) { vg_err_set(err, rc, "cannot build the request"); goto out; }

    if ((rc = connect_to(&u, &cn, err))) goto out;
    if (u.tls && (rc = tls_start(&cn, &u, rq->ca_file, err))) goto out;
    rc = send_all(&cn, req.data, req.len);
    if (!rc && rq->body_len) rc = send_all(&cn, rq->body, rq->body_len);
    /* A server may answer early (401, 413) and close while we still send;
     * read whatever answer arrived before reporting a send error. */
    int send_rc = rc;
    raw.cap_limit = maxr + 65536;
    for (;;) {
        if ((rc = vg_buf_reserve(&raw, 65536))) {
            vg_err_set(err, rc, "response from %s larger than %zu bytes", u.host, maxr);
            goto out;
        }
        ssize_t n = conn_recv(&cn, raw.data + raw.len, 65536);
        if (n == 0) break;
        if (n == VG_ECLOSED) {
            rc = vg_err_set(err, VG_ECLOSED, "cancelled");
            goto out;
        }
        if (n == VG_ETIMEOUT) {
            rc = vg_err_set(err, VG_ETIMEOUT, "no (complete) answer from %s port %d within %d ms%s", u.host, u.port,
                            cn.tmo, deadline ? " or the overall deadline" : "");
            goto out;
        }
        if (n < 0) {
            if (raw.len) break; /* reset after a complete answer */
            rc = vg_err_set(err, VG_ENET, "reading from %s port %d: %s", u.host, u.port, strerror(errno));
            goto out;
        }
        raw.len += (size_t)n;
        raw.data[raw.len] = 0;
    }
    if (raw.len == 0) {
        rc = vg_err_set(err, VG_ENET, "%s port %d closed the connection without an answer%s", u.host, u.port,
                        send_rc ? " (send failed)" : "");
        goto out;
    }
    /* status line */
    const char *p = raw.data, *e = raw.data + raw.len;
    const char *hend = NULL;
    for (const char *q = p; q + 3 < e; q++)
        if (q[0] == '\r' && q[1] == '\n' && q[2] == '\r' && q[3] == '\n') { hend = q + 2; break; }
    if (!hend || raw.len < 12 || memcmp(p, "HTTP/1.", 7) != 0 || p[8] != ' ') {
        rc = vg_err_set(err, VG_EPARSE, "malformed HTTP response from %s", u.host);
        goto out;
    }
    int64_t st;
    if (vg_parse_i64(p + 9, 3, &st) || st < 100 || st > 999) {
        rc = vg_err_set(err, VG_EPARSE, "malformed HTTP status from %s", u.host);
        goto out;
    }
    resp->status = (int)st;
    const char *hs = memchr(p, '\n', (size_t)(hend - p));
    hs = hs ? hs + 1 : hend;
    size_t vl;
    const char *v;
    if ((v = find_header(hs, hend, "Content-Type", &vl)))
        snprintf(resp->content_type, sizeof resp->content_type, "%.*s", (int)vl, v);
    if ((v = find_header(hs, hend, "Retry-After", &vl)))
        snprintf(resp->retry_after, sizeof resp->retry_after, "%.*s", (int)vl, v);
    const char *b = hend + 2;
    body.cap_limit = maxr;
    v = find_header(hs, hend, "Transfer-Encoding", &vl);
    if (st == 304 || st == 204 || strcmp(method, "HEAD") == 0) {
        rc = 0; /* no body */
    } else if (v && vl >= 7 && vg_strncasecmp_ascii(v + vl - 7, "chunked", 7) == 0) {
        rc = dechunk(b, e, &body);
    } else if ((v = find_header(hs, hend, "Content-Length", &vl))) {
        uint64_t cl;
        if (vg_parse_u64(v, vl, &cl) || cl > (uint64_t)(e - b)) rc = VG_EPARSE;
        else rc = vg_buf_add(&body, b, (size_t)cl);
    } else {
        rc = vg_buf_add(&body, b, (size_t)(e - b));
    }
    if (!rc && !body.data) rc = vg_buf_reserve(&body, 1);
    if (rc) {
        vg_err_set(err, rc, rc == VG_EPARSE ? "truncated or malformed HTTP body from %s" : "bad HTTP body from %s", u.host);
        goto out;
    }
    resp->headers = vg_strndup(hs, (size_t)(hend - hs));
    if (!resp->headers) {
        rc = vg_err_set(err, VG_ENOMEM, "out of memory");
        goto out;
    }
    resp->headers_len = (size_t)(hend - hs);
    resp->body = vg_buf_detach(&body, &resp->body_len);
out:
    conn_close(&cn);
    vg_buf_release(&req);
    vg_buf_release(&raw);
    vg_buf_release(&body);
    if (rc) vg_http_response_release(resp);
    return rc;
}

/* The target of a redirect: an absolute http(s) URL, or a path on the same
 * origin. */
static int redirect_target(const char *base, const char *loc, struct vg_buf *out)
{
    out->len = 0;
    if (strncmp(loc, "http://", 7) == 0 || strncmp(loc, "https://", 8) == 0) return vg_buf_adds(out, loc);
    if (loc[0] != '/' || loc[1] == '/') return VG_EINVAL; /* relative paths and //host are not followed */
    const char *hs = strstr(base, "://");
    if (!hs) return VG_EINVAL;
    const char *pe = hs + 3;
    while (*pe && *pe != '/' && *pe != '?') pe++;
    int rc = vg_buf_add(out, base, (size_t)(pe - base));
    return rc ? rc : vg_buf_adds(out, loc);
}

int vg_http_fetch(const struct vg_http_request *rq, struct vg_http_response *resp, struct vg_err *err)
{
    int64_t deadline = rq->total_timeout_ms > 0 ? vg_mono_ns() + (int64_t)rq->total_timeout_ms * 1000000 : 0;
    int maxred = rq->max_redirects < 0 ? 0 : rq->max_redirects > 10 ? 10 : rq->max_redirects;
    struct vg_buf cur = VG_BUF_INIT, next = VG_BUF_INIT;
    cur.cap_limit = next.cap_limit = 8192;
    int rc = vg_buf_adds(&cur, rq->url ? rq->url : "");
    if (rc) return vg_err_set(err, rc, "URL too long");
    for (int hop = 0;; hop++) {
        rc = fetch_once(rq, cur.data, deadline, resp, err);
        if (rc) break;
        int st = resp->status;
        if (!(st == 301 || st == 302 || st == 303 || st == 307 || st == 308) || maxred == 0) { resp->redirects = hop; break; }
        char loc[4096];
        if (!vg_http_response_header(resp, "Location", loc, sizeof loc) || !loc[0]) { resp->redirects = hop; break; }
        if (hop >= maxred) {
            vg_http_response_release(resp);
            rc = vg_err_set(err, VG_ENET, "more than %d redirects (last to %s)", maxred, loc);
            break;
        }
        if (redirect_target(cur.data, loc, &next) != 0 || strlen(next.data) >= 4096) {
            vg_http_response_release(resp);
            rc = vg_err_set(err, VG_ENET, "cannot follow the redirect to '%.200s'", loc);
            break;
        }
        if (strncmp(cur.data, "https://", 8) == 0 && strncmp(next.data, "https://", 8) != 0) {
            vg_http_response_release(resp);
            rc = vg_err_set(err, VG_ENET, "refusing a redirect from https to %s", next.data);
            break;
        }
        vg_http_response_release(resp);
        struct vg_buf t = cur;
        cur = next;
        next = t;
    }
    vg_buf_release(&cur);
    vg_buf_release(&next);
    return rc;
}
