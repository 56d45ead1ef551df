/* Socket helpers for the network sources: "ADDR:PORT" parsing, bound
 * listening sockets (port 0 = pick one, the chosen address is reported)
 * and peer address text, and the accept step of the stream listeners. */
#include "internal.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

int vg__net_addr(const char *s, int socktype, struct sockaddr_storage *ss, socklen_t *len, struct vg_err *err)
{
    char host[256], port[16];
    const char *colon;
    if (!s || !*s) return vg_err_set(err, VG_EINVAL, "empty address");
    if (s[0] == '[') {
        const char *rb = strchr(s, ']');
        if (!rb || rb[1] != ':') return vg_err_set(err, VG_EINVAL, "bad address '%s' (want [IPv6]:PORT)", s);
        size_t hl = (size_t)(rb - s - 1);
        if (hl >= sizeof host) return vg_err_set(err, VG_EINVAL, "bad address '%s'", s);
        memcpy(host, s + 1, hl);
        host[hl] = 0;
        colon = rb + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon || colon == s) return vg_err_set(err, VG_EINVAL, "bad address '%s' (want ADDR:PORT)", s);
        size_t hl = (size_t)(colon - s);
        if (hl >= sizeof host) return vg_err_set(err, VG_EINVAL, "bad address '%s'", s);
        memcpy(host, s, hl);
        host[hl] = 0;
    }
    int64_t pv;
    if (vg_parse_i64(colon + 1, strlen(colon + 1), &pv) != 0 || pv < 0 || pv > 65535)
        return vg_err_set(err, VG_EINVAL, "bad port in '%s'", s);
    snprintf(port, sizeof port, "%d", (int)pv);
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = socktype;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    if (strcmp(host, "localhost") != 0) hints.ai_flags |= AI_NUMERICHOST;
    int g = getaddrinfo(host, port, &hints, &res);
    if (g != 0 || !res) return vg_err_set(err, VG_EINVAL, "bad address '%s': %s", s, gai_strerror(g));
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

static void addr_text(const struct sockaddr_storage *ss, char *out, size_t sz, bool with_port)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
        port = ntohs(a->sin_port);
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
        if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) inet_ntop(AF_INET, &a->sin6_addr.s6_addr[12], ip, sizeof ip);
        else inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
        port = ntohs(a->sin6_port);
        if (with_port && !IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) {
            snprintf(out, sz, "[%s]:%d", ip, port);
            return;
        }
    }
    if (with_port) snprintf(out, sz, "%s:%d", ip, port);
    else snprintf(out, sz, "%s", ip);
}

void vg__net_peer(const struct sockaddr_storage *ss, char *out, size_t sz) { addr_text(ss, out, sz, false); }

int vg__net_listen(const char *addr, int socktype, int *fd_out, char *bound, size_t bsz, struct vg_err *err)
{
    struct sockaddr_storage ss;
    socklen_t len;
    *fd_out = -1;
    int rc = vg__net_addr(addr, socktype, &ss, &len, err);
    if (rc) return rc;
    int fd = socket(ss.ss_family, socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return vg_err_set(err, VG_ENET, "socket: %s", strerror(errno));
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&ss, len) != 0) {
        rc = vg_err_set(err, VG_ENET, "cannot listen on %s: %s", addr, strerror(errno));
        goto fail;
    }
    if (socktype == SOCK_STREAM && listen(fd, 512) != 0) {
        rc = vg_err_set(err, VG_ENET, "listen %s: %s", addr, strerror(errno));
        goto fail;
    }
    struct sockaddr_storage got;
    socklen_t gl = sizeof got;
    getsockname(fd, (struct sockaddr *)&got, &gl);
    if (bound) addr_text(&got, bound, bsz, true);
    *fd_out = fd;
    return 0;
fail:
    close(fd);
    return rc;
}

int vg__net_accept(int lfd, int flags, struct sockaddr_storage *ss, const char *who)
{
    struct pollfd pfd = {lfd, POLLIN, 0};
    if (poll(&pfd, 1, 100) <= 0) return -1;
    socklen_t sl = sizeof *ss;
    int fd = accept4(lfd, (struct sockaddr *)ss, &sl, flags);
    if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
        if (who) vg_warn("ingest", "%s: out of file descriptors, pausing accepts", who);
        usleep(100000);
    }
    return fd;
}
