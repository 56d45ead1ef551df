/* A tiny blocking HTTP/1.1 client for the CLI talking to a Vigil server
 * (`vigil status`, `vigil search --server`, tests, benchmarks) and for the
 * server fetching threat-intel feeds: http:// and https:// (OpenSSL,
 * certificate and host name verified against the system CA store or a
 * given CA file), one request per connection (Connection: close),
 * responses with Content-Length, chunked encoding or read-to-close, capped
 * in size; optional conditional GET headers, bounded redirects and an
 * overall deadline. Lives in the api layer (src/api/client.c); the server
 * and cli layers may use it. */
#ifndef VIGIL_HTTP_CLIENT_H
#define VIGIL_HTTP_CLIENT_H

#include "vigil/core.h"
#include <stdatomic.h>

/* A parsed http:// URL. Invariant: host is an IP literal (without the IPv6
 * brackets) or a name; path starts with '/' and includes any query. */
struct vg_http_url {
    char host[256];
    int port;            /* 80 when absent */
    char path[4096];
    bool tls;            /* https:// (port 443 when absent) */
};

/* Parses "http[s]://HOST[:PORT][/PATH[?QUERY]]" (HOST may be [IPv6]).
 * VG_EINVAL with a message for anything else (user:password@ included). */
int vg_http_url_parse(const char *url, struct vg_http_url *u, struct vg_err *err);

struct vg_http_request {
    const char *method;        /* "GET", "POST" (default GET) */
    const char *url;           /* full http:// URL including the query */
    const char *token;         /* bearer token, or NULL for none */
    const char *content_type;  /* of body, or NULL */
    const void *body;          /* request body (borrowed), may be NULL */
    size_t body_len;
    int timeout_ms;            /* per connect/read/write wait (default 30000) */
    size_t max_response;       /* cap on the response body (default 64 MiB) */
    /* Appended for feed fetching (zero / NULL = off, default). */
    const char *if_none_match;     /* ETag of the copy we hold: conditional GET (304) */
    const char *if_modified_since; /* Last-Modified of the copy we hold */
    const char *ca_file;           /* https: PEM CA bundle instead of the system store */
    int max_redirects;             /* follow up to this many 301/302/303/307/308 (capped at 10);
                                      https -> http is refused */
    int total_timeout_ms;          /* deadline for the whole exchange, redirects included */
    const atomic_bool *cancel;     /* when set to true the exchange stops (VG_ECLOSED) within ~200 ms */
};

/* A response. body is NUL-terminated and owned by the response. */
struct vg_http_response {
    int status;                /* HTTP status code */
    char content_type[128];
    char retry_after[32];      /* Retry-After header, "" when absent */
    char *body;
    size_t body_len;
    char *headers;             /* raw header lines after the status line (owned) */
    size_t headers_len;
    int redirects;             /* redirects followed (appended) */
};

/* Sends one request and reads the whole response. Returns 0 for any HTTP
 * status (check resp->status); VG_ENET when the server cannot be reached
 * (message names the address and errno), VG_ETIMEOUT, VG_EPARSE for a
 * malformed response, VG_ETOOBIG when the body exceeds max_response,
 * VG_EINVAL for a bad URL or a token/content type with control characters,
 * VG_ETLS when the TLS handshake or the certificate check fails (message
 * says why), VG_ENET for a refused or too long redirect chain.
 * On failure resp is released. Release a response with
 * vg_http_response_release (NULL-safe, idempotent). */
int vg_http_fetch(const struct vg_http_request *rq, struct vg_http_response *resp, struct vg_err *err);
void vg_http_response_release(struct vg_http_response *resp);

/* Copies the value of response header `name` (case-insensitive, first
 * occurrence, trimmed, truncated to outsz-1) into out; false if absent. */
bool vg_http_response_header(const struct vg_http_response *resp, const char *name, char *out, size_t outsz);

/* Appends s percent-encoded for a query-string value (RFC 3986
 * unreserved characters kept). */
int vg_http_urlencode(struct vg_buf *out, const char *s);

#endif
