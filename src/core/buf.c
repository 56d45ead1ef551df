/* Capped growable byte buffer, always NUL-terminated. */
#include "vigil/core.h"

#define VG_BUF_DEFAULT_CAP ((size_t)64 << 20)

int vg_buf_reserve(struct vg_buf *b, size_t extra)
{
    size_t cap = b->cap_limit ? b->cap_limit : VG_BUF_DEFAULT_CAP;
    if (extra > cap || b->len > cap - extra) return VG_ETOOBIG;
    size_t need = b->len + extra + 1;
    if (need <= b->alloc) return 0;
    size_t na = b->alloc ? b->alloc : 64;
    while (na < need) na *= 2;
    char *p = vg_realloc(b->data, na);
    if (!p) return VG_ENOMEM;
    b->data = p;
    b->alloc = na;
    return 0;
}

int vg_buf_add(struct vg_buf *b, const void *p, size_t n)
{
    int rc = vg_buf_reserve(b, n);
    if (rc) return rc;
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0;
    return 0;
}

int vg_buf_addc(struct vg_buf *b, char c) { return vg_buf_add(b, &c, 1); }
int vg_buf_adds(struct vg_buf *b, const char *s) { return vg_buf_add(b, s, strlen(s)); }

int vg_buf_vaddf(struct vg_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap2);
    va_end(ap2);
    if (n < 0) return VG_EINVAL;
    if ((size_t)n < sizeof small) return vg_buf_add(b, small, (size_t)n);
    int rc = vg_buf_reserve(b, (size_t)n);
    if (rc) return rc;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int vg_buf_addf(struct vg_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vg_buf_vaddf(b, fmt, ap);
    va_end(ap);
    return rc;
}

/* Length of a valid UTF-8 sequence at s (max n bytes), 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    if (c < 0x80) return 1;
    size_t len;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; }
    else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; }
    else return 0;
    if (n < len) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000)) return 0;
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return len;
}

bool vg_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        if (p[i] < 0x80) { i++; continue; }
        size_t l = utf8_seq(p + i, n - i);
        if (!l) return false;
        i += l;
    }
    return true;
}

int vg_buf_add_json_str(struct vg_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    int rc = vg_buf_reserve(b, n + 2);
    if (rc) return rc;
    b->data[b->len++] = '"';
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        size_t run = i;
        while (run < n && p[run] >= 0x20 && p[run] < 0x80 && p[run] != '"' && p[run] != '\\') run++;
        if (run > i) {
            if ((rc = vg_buf_add(b, p + i, run - i))) return rc;
            i = run;
            continue;
        }
        unsigned char c = p[i];
        if (c >= 0x80) {
            size_t l = utf8_seq(p + i, n - i);
            if (l) { rc = vg_buf_add(b, p + i, l); i += l; }
            else { rc = vg_buf_add(b, "\\ufffd", 6); i++; }
        } else if (c == '"') { rc = vg_buf_add(b, "\\\"", 2); i++; }
        else if (c == '\\') { rc = vg_buf_add(b, "\\\\", 2); i++; }
        else if (c == '\n') { rc = vg_buf_add(b, "\\n", 2); i++; }
        else if (c == '\r') { rc = vg_buf_add(b, "\\r", 2); i++; }
        else if (c == '\t') { rc = vg_buf_add(b, "\\t", 2); i++; }
        else {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            rc = vg_buf_add(b, e, 6);
            i++;
        }
        if (rc) return rc;
    }
    return vg_buf_addc(b, '"');
}

void vg_buf_reset(struct vg_buf *b)
{
    b->len = 0;
    if (b->data) b->data[0] = 0;
}

void vg_buf_release(struct vg_buf *b)
{
    vg_free(b->data);
    b->data = NULL;
    b->len = b->alloc = 0;
}

char *vg_buf_detach(struct vg_buf *b, size_t *len)
{
    char *d = b->data;
    if (len) *len = b->len;
    if (!d) d = vg_strndup("", 0);
    b->data = NULL;
    b->len = b->alloc = 0;
    return d;
}
