/* Minimal blocking HTTP/1.1 client (include/vigil/http_client.h): connect
 * with a timeout, send one request with Connection: close, read the reply
 * to EOF (capped), then parse status, a few headers and the body
 * (Content-Length, chunked, or read-to-close). Used by `vigil status`, the
 * search CLI, unit tests and bench_api. */
#include "vigil/http_client.h"
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <fcntl.h>

int vg_http_url_parse(const char *url, struct vg_http_url *u, struct vg_err *err)
{
    memset(u, 0, sizeof *u);
    if (!url) return vg_err_set(err, VG_EINVAL, "no URL given");
    if (strncmp(url, "https://", 8) == 0) return vg_err_set(err, VG_EUNSUP, "https is not supported by this client: %s", url);
    if (strncmp(url, "http://", 7) != 0) return vg_err_set(err, VG_EINVAL, "URL must start with http://: %s", url);
    const char *p = url + 7, *hs, *he;
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
    u->port = 80;
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

static int connect_to(const struct vg_http_url *u, int timeout_ms, int *fd_out, struct vg_err *err)
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
            int w = wait_fd(fd, POLLOUT, timeout_ms);
            int soerr = 0;
            socklen_t sl = sizeof soerr;
            if (w == 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr == 0) c = 0;
            else errno = w == VG_ETIMEOUT ? ETIMEDOUT : (soerr ? soerr : errno);
        }
        if (c == 0) {
            *fd_out = fd;
            rc = 0;
            break;
        }
        last_errno = errno;
        close(fd);
    }
    freeaddrinfo(res);
    if (rc) return vg_err_set(err, VG_ENET, "cannot connect to %s port %d: %s", u->host, u->port, strerror(last_errno));
    return 0;
}

static int send_all(int fd, const char *p, size_t n, int timeout_ms)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w > 0) { p += w; n -= (size_t)w; continue; }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            int rc = wait_fd(fd, POLLOUT, timeout_ms);
            if (rc) return rc;
            continue;
        }
        return VG_ENET;
    }
    return 0;
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

int vg_http_fetch(const struct vg_http_request *rq, struct vg_http_response *resp, struct vg_err *err)
{
    memset(resp, 0, sizeof *resp);
    struct vg_http_url u;
    struct vg_buf req = VG_BUF_INIT, raw = VG_BUF_INIT, body = VG_BUF_INIT;
    int fd = -1, rc = vg_http_url_parse(rq->url, &u, err);
    if (rc) return rc;
    const char *method = rq->method ? rq->method : "GET";
    int tmo = rq->timeout_ms > 0 ? rq->timeout_ms : 30000;
    size_t maxr = rq->max_response ? rq->max_response : (size_t)64 << 20;
    if (!header_safe(rq->token) || !header_safe(rq->content_type) || !header_safe(method) || strchr(method, ' '))
        return vg_err_set(err, VG_EINVAL, "token, method or content type contains control characters");
    bool v6 = strchr(u.host, ':') != NULL;
    rc = vg_buf_addf(&req, "%s %s HTTP/1.1\r\nHost: %s%s%s:%d\r\nUser-Agent: vigil/%s\r\nAccept: */*\r\nConnection: close\r\n",
                     method, u.path, v6 ? "[" : "", u.host, v6 ? "]" : "", u.port, VIGIL_VERSION);
    if (!rc && rq->token) rc = vg_buf_addf(&req, "Authorization: Bearer %s\r\n", rq->token);
    if (!rc && rq->content_type) rc = vg_buf_addf(&req, "Content-Type: %s\r\n", rq->content_type);
    if (!rc && (rq->body || strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0))
        rc = vg_buf_addf(&req, "Content-Length: %zu\r\n", rq->body_len);
    if (!rc) rc = vg_buf_adds(&req, "\r\n");
    if (rc) { vg_err_set(err, rc, "cannot build the request"); goto out; }

    if ((rc = connect_to(&u, tmo, &fd, err))) goto out;
    rc = send_all(fd, req.data, req.len, tmo);
    if (!rc && rq->body_len) rc = send_all(fd, rq->body, rq->body_len, tmo);
    /* A server may answer early (401, 413) and close while we still send;
     * read whatever answer arrived before reporting a send error. */
    int send_rc = rc;
    raw.cap_limit = maxr + 65536;
    for (;;) {
        int w = wait_fd(fd, POLLIN, tmo);
        if (w) { rc = w; vg_err_set(err, w, "no answer from %s port %d within %d ms", u.host, u.port, tmo); goto out; }
        if ((rc = vg_buf_reserve(&raw, 65536))) {
            vg_err_set(err, rc, "response from %s larger than %zu bytes", u.host, maxr);
            goto out;
        }
        ssize_t n = recv(fd, raw.data + raw.len, 65536, 0);
        if (n == 0) break;
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
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
    if (v && vl >= 7 && vg_strncasecmp_ascii(v + vl - 7, "chunked", 7) == 0) {
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
    if (fd >= 0) close(fd);
    vg_buf_release(&req);
    vg_buf_release(&raw);
    vg_buf_release(&body);
    if (rc) vg_http_response_release(resp);
    return rc;
}
