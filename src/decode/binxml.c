/* Native EVTX Binary XML -> XML text, in the indented form libevtx prints
 * (two spaces per level, one element per line, `<X/>` when empty), so the
 * EVTX reader (evtx.c) can decode records libevtx cannot read and feed
 * them through the same expat mapping. Written from the public format notes
 * (libyal's "Windows XML Event Log (EVTX)", MS-EVEN6); rendering details
 * were learned by running libevtx on synthetic files
 * (tests/integration/evtx_synth.py). Sits in the decode layer below evtx.c;
 * see binxml.h for the contract and docs/internals/evtx-binxml.md for the
 * rules. Every read is bounds-checked against the current stream (record,
 * template body or BinXml value) or the chunk; nesting, tokens and output
 * are capped. */
#include "binxml.h"
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct sval {
    const unsigned char *p;
    uint32_t size;
    uint8_t type;
};

struct subs {
    const struct sval *v;
    uint32_t n;
};

struct bx {
    const unsigned char *c;
    size_t clen;
    struct vg__bx_cache *cache;
    struct vg_buf *out;
    struct vg_err *err;
    uint32_t steps;
    int nest;
};

enum { M_TEXT, M_ATTR };
enum { ST_PENDING, ST_TEXT, ST_CHILDREN };

static inline uint16_t rd16(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t rd64(const unsigned char *p) { return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32; }

static int bad(struct bx *b, size_t pos, const char *what)
{
    return vg_err_set(b->err, VG_EPARSE, "binxml: %s at chunk offset %zu", what, pos);
}

static int outerr(struct bx *b, int rc)
{
    if (rc == VG_ETOOBIG) return vg_err_set(b->err, rc, "binxml: XML text over the %zu byte cap", VG_BX_MAX_OUT);
    return vg_err_set(b->err, rc, "binxml: out of memory");
}

static int step(struct bx *b, size_t pos)
{
    if (++b->steps > VG_BX_MAX_STEPS)
        return vg_err_set(b->err, VG_ETOOBIG, "binxml: over %u tokens at chunk offset %zu", VG_BX_MAX_STEPS, pos);
    return 0;
}

static int put(struct bx *b, const char *s, size_t n)
{
    int rc = vg_buf_add(b->out, s, n);
    return rc ? outerr(b, rc) : 0;
}

static void rollback(struct bx *b, size_t len)
{
    b->out->len = len;
    if (b->out->data) b->out->data[len] = 0;
}

static int indent(struct bx *b, int depth)
{
    static const char sp[] = "                                                                "
                             "                                                                ";
    return put(b, sp, (size_t)depth * 2 <= sizeof sp - 1 ? (size_t)depth * 2 : sizeof sp - 1);
}

/* One code point, escaped for mode; characters XML 1.0 cannot carry
 * (C0 controls but tab/LF/CR, U+FFFE/U+FFFF) become U+FFFD. */
static char *put_cp(char *d, uint32_t u, int mode)
{
    switch (u) {
    case '&': memcpy(d, "&amp;", 5); return d + 5;
    case '<': memcpy(d, "&lt;", 4); return d + 4;
    case '>': memcpy(d, "&gt;", 4); return d + 4;
    case '"':
        if (mode == M_ATTR) { memcpy(d, "&quot;", 6); return d + 6; }
        break;
    default: break;
    }
    if ((u < 0x20 && u != '\t' && u != '\n' && u != '\r') || u == 0xFFFE || u == 0xFFFF || u > 0x10FFFF ||
        (u >= 0xD800 && u < 0xE000))
        u = 0xFFFD;
    if (u < 0x80) {
        *d++ = (char)u;
    } else if (u < 0x800) {
        *d++ = (char)(0xC0 | (u >> 6));
        *d++ = (char)(0x80 | (u & 0x3F));
    } else if (u < 0x10000) {
        *d++ = (char)(0xE0 | (u >> 12));
        *d++ = (char)(0x80 | ((u >> 6) & 0x3F));
        *d++ = (char)(0x80 | (u & 0x3F));
    } else {
        *d++ = (char)(0xF0 | (u >> 18));
        *d++ = (char)(0x80 | ((u >> 12) & 0x3F));
        *d++ = (char)(0x80 | ((u >> 6) & 0x3F));
        *d++ = (char)(0x80 | (u & 0x3F));
    }
    return d;
}

/* n UTF-16LE code units (stopping at a NUL unit) as escaped UTF-8; lone
 * surrogates become U+FFFD. Written in blocks so the reservation stays
 * close to the real size. */
static int put_utf16(struct bx *b, const unsigned char *p, size_t n, int mode)
{
    size_t i = 0;
    while (i < n) {
        size_t lim = n - i < 1024 ? n : i + 1024;
        int rc = vg_buf_reserve(b->out, (lim - i) * 6 + 8);
        if (rc) return outerr(b, rc);
        char *d0 = b->out->data + b->out->len, *d = d0;
        while (i < lim) {
            uint32_t u = rd16(p + 2 * i++);
            if (u == 0) {
                n = i; /* a NUL ends the string */
                break;
            }
            if (u >= 0xD800 && u < 0xDC00 && i < n) {
                uint32_t lo = rd16(p + 2 * i);
                if (lo >= 0xDC00 && lo < 0xE000) {
                    u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
                    i++;
                }
            }
            d = put_cp(d, u, mode);
        }
        b->out->len += (size_t)(d - d0);
        b->out->data[b->out->len] = 0;
    }
    return 0;
}

/* Windows-1252 (libevtx's default codepage) for 0x80..0x9F; the rest is Latin-1. */
static const uint16_t cp1252[32] = {
    0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD, 0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178,
};

static int put_ansi(struct bx *b, const unsigned char *p, size_t n, int mode)
{
    int rc = vg_buf_reserve(b->out, n * 6 + 8);
    if (rc) return outerr(b, rc);
    char *d0 = b->out->data + b->out->len, *d = d0;
    for (size_t i = 0; i < n && p[i]; i++) {
        uint32_t u = p[i];
        if (u >= 0x80 && u < 0xA0) u = cp1252[u - 0x80];
        d = put_cp(d, u, mode);
    }
    b->out->len += (size_t)(d - d0);
    b->out->data[b->out->len] = 0;
    return 0;
}

/* ---- names ------------------------------------------------------------ */

/* A name (next offset 4, hash 2, count 2, UTF-16 chars, NUL) at chunk
 * offset n is usable from position `here` when it is inline (n == here,
 * inside the stream) or earlier in the chunk, after the chunk header. */
static bool name_ok(const struct bx *b, uint32_t n, size_t here, size_t end)
{
    size_t limit;
    if (n < VG_BX_CHUNK_HEADER) return false;
    if (n == here) limit = end;
    else if (n < here) limit = b->clen;
    else return false;
    if (limit < 8 || n > limit - 8) return false;
    size_t cnt = rd16(b->c + n + 6);
    if (cnt == 0 || (limit - n - 8) / 2 < cnt + 1) return false;
    return rd16(b->c + n + 8 + 2 * cnt) == 0;
}

/* Name referenced by the 4-byte offset at *pos; skips an inline copy. */
static int take_name(struct bx *b, size_t *pos, size_t end, uint32_t *name)
{
    if (*pos > end || end - *pos < 4) return bad(b, *pos, "truncated name offset");
    uint32_t n = rd32(b->c + *pos);
    size_t here = *pos + 4;
    if (!name_ok(b, n, here, end)) return bad(b, *pos, "name offset outside the chunk or malformed name");
    *pos = n == here ? here + 8 + 2 * (size_t)rd16(b->c + n + 6) + 2 : here;
    *name = n;
    return 0;
}

/* Element and attribute names: letters, digits, '_', '-', '.', ':' and
 * anything non-ASCII; anything else would change the XML's structure. */
static int put_name(struct bx *b, uint32_t n)
{
    size_t cnt = rd16(b->c + n + 6);
    const unsigned char *p = b->c + n + 8;
    for (size_t i = 0; i < cnt; i++) {
        uint16_t u = rd16(p + 2 * i);
        bool ok = u >= 0x80 || (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') ||
                  u == '_' || u == '-' || u == '.' || u == ':';
        if (!ok) return bad(b, n, "character not allowed in an XML name");
    }
    return put_utf16(b, p, cnt, M_TEXT);
}

/* ---- values ----------------------------------------------------------- */

static int put_fmt(struct bx *b, const char *fmt, ...) VG_PRINTF(2, 3);
static int put_fmt(struct bx *b, const char *fmt, ...)
{
    char tmp[96];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) return bad(b, 0, "number formatting");
    return put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static int put_hex(struct bx *b, const unsigned char *p, size_t n)
{
    static const char hx[] = "0123456789ABCDEF";
    int rc = vg_buf_reserve(b->out, n * 2);
    if (rc) return outerr(b, rc);
    char *d = b->out->data + b->out->len;
    for (size_t i = 0; i < n; i++) {
        d[2 * i] = hx[p[i] >> 4];
        d[2 * i + 1] = hx[p[i] & 15];
    }
    b->out->len += n * 2;
    b->out->data[b->out->len] = 0;
    return 0;
}

/* Proleptic Gregorian date of a day count from 1970-01-01. */
static void civil(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* FILETIME as libevtx prints it: 100 ns ticks since 1601, nine digits. */
static int put_filetime(struct bx *b, uint64_t ft)
{
    uint64_t secs = ft / 10000000u;
    unsigned frac = (unsigned)(ft % 10000000u);
    int64_t days = (int64_t)(secs / 86400u) - 134774; /* 1601-01-01 -> 1970-01-01 */
    unsigned sod = (unsigned)(secs % 86400u), mo, d;
    int64_t y;
    civil(days, &y, &mo, &d);
    return put_fmt(b, "%04lld-%02u-%02uT%02u:%02u:%02u.%07u00Z", (long long)y, mo, d, sod / 3600, sod / 60 % 60,
                   sod % 60, frac);
}

/* Floating point as libevtx prints it: %e with a three-digit exponent. */
static int put_real(struct bx *b, double v)
{
    if (isnan(v)) return put(b, "1.#IND", 6);
    if (isinf(v)) return v < 0 ? put(b, "-1.#INF", 7) : put(b, "1.#INF", 6);
    char tmp[64];
    int n = snprintf(tmp, sizeof tmp, "%.6e", v);
    if (n <= 0 || (size_t)n >= sizeof tmp) return bad(b, 0, "number formatting");
    char *e = strchr(tmp, 'e');
    if (e && strlen(e + 2) == 2) { /* e+05 -> e+005 */
        memmove(e + 3, e + 2, 3);
        e[2] = '0';
        n++;
    }
    return put(b, tmp, (size_t)n);
}

static int put_sid(struct bx *b, const unsigned char *p, size_t n)
{
    if (n < 8 || n != 8 + 4 * (size_t)p[1]) return put_hex(b, p, n);
    uint64_t auth = 0;
    for (int i = 2; i < 8; i++) auth = auth << 8 | p[i];
    int rc = auth >> 32 ? put_fmt(b, "S-%u-0x%012llx", p[0], (unsigned long long)auth)
                        : put_fmt(b, "S-%u-%llu", p[0], (unsigned long long)auth);
    for (size_t i = 0; rc == 0 && i < p[1]; i++) rc = put_fmt(b, "-%u", (unsigned)rd32(p + 8 + 4 * i));
    return rc;
}

static size_t fixed_size(uint8_t t)
{
    switch (t) {
    case 0x03: case 0x04: return 1;
    case 0x05: case 0x06: return 2;
    case 0x07: case 0x08: case 0x0b: case 0x0d: case 0x14: return 4;
    case 0x09: case 0x0a: case 0x0c: case 0x11: case 0x15: return 8;
    case 0x0f: case 0x12: return 16;
    default: return 0;
    }
}

/* One scalar value of type t (no array bit) from p[0, n). Sizes that do
 * not fit the type are printed as hex bytes rather than guessed at. */
static int put_scalar(struct bx *b, uint8_t t, const unsigned char *p, size_t n, int mode)
{
    size_t fs = fixed_size(t);
    if (fs && n != fs) return put_hex(b, p, n);
    switch (t) {
    case 0x00: return 0;
    case 0x01: return put_utf16(b, p, n / 2, mode);
    case 0x02: return put_ansi(b, p, n, mode);
    case 0x03: return put_fmt(b, "%d", (int)(int8_t)p[0]);
    case 0x04: return put_fmt(b, "%u", (unsigned)p[0]);
    case 0x05: return put_fmt(b, "%d", (int)(int16_t)rd16(p));
    case 0x06: return put_fmt(b, "%u", (unsigned)rd16(p));
    case 0x07: return put_fmt(b, "%ld", (long)(int32_t)rd32(p));
    case 0x08: return put_fmt(b, "%lu", (unsigned long)rd32(p));
    case 0x09: return put_fmt(b, "%lld", (long long)(int64_t)rd64(p));
    case 0x0a: return put_fmt(b, "%llu", (unsigned long long)rd64(p));
    case 0x0b: {
        uint32_t u = rd32(p);
        float f;
        memcpy(&f, &u, sizeof f);
        return put_real(b, (double)f);
    }
    case 0x0c: {
        uint64_t u = rd64(p);
        double f;
        memcpy(&f, &u, sizeof f);
        return put_real(b, f);
    }
    case 0x0d: return rd32(p) ? put(b, "true", 4) : put(b, "false", 5);
    case 0x0f:
        return put_fmt(b, "{%08lX-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X}", (unsigned long)rd32(p), rd16(p + 4),
                       rd16(p + 6), p[8], p[9], p[10], p[11], p[12], p[13], p[14], p[15]);
    case 0x10:
        if (n == 4) return put_fmt(b, "%lu", (unsigned long)rd32(p));
        if (n == 8) return put_fmt(b, "%llu", (unsigned long long)rd64(p));
        return put_hex(b, p, n);
    case 0x11: return put_filetime(b, rd64(p));
    case 0x12:
        return put_fmt(b, "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ", rd16(p), rd16(p + 2), rd16(p + 6), rd16(p + 8),
                       rd16(p + 10), rd16(p + 12), rd16(p + 14));
    case 0x13: return put_sid(b, p, n);
    case 0x14: return put_fmt(b, "0x%08lx", (unsigned long)rd32(p));
    case 0x15: return put_fmt(b, "0x%016llx", (unsigned long long)rd64(p));
    default: return put_hex(b, p, n); /* binary (0x0e) and types without a text form */
    }
}

/* Item idx of an array value (type with 0x80). Strings are NUL-separated;
 * SIDs are back to back; fixed-size types every fixed_size bytes; size_t
 * (0x90) every 8 bytes (4 when the size is not a multiple of 8). Returns
 * false past the last item; *count gets the number of items. */
static bool arr_item(uint8_t t, const unsigned char *p, size_t n, size_t idx, const unsigned char **ip, size_t *in,
                     size_t *count)
{
    t &= 0x7f;
    size_t k = 0, i = 0, fs = t == 0x10 ? (n % 8 ? 4 : 8) : fixed_size(t);
    bool found = false;
    if (t == 0x01 || t == 0x02) {
        size_t u = t == 0x01 ? 2 : 1;
        while (i + u <= n) {
            size_t j = i;
            while (j + u <= n && (u == 2 ? rd16(p + j) : p[j]) != 0) j += u;
            if (k == idx) { *ip = p + i; *in = j - i; found = true; }
            k++;
            i = j + u;
        }
    } else if (t == 0x13) {
        while (i + 8 <= n && n - i - 8 >= 4 * (size_t)p[i + 1]) {
            size_t sz = 8 + 4 * (size_t)p[i + 1];
            if (k == idx) { *ip = p + i; *in = sz; found = true; }
            k++;
            i += sz;
        }
    } else if (fs) {
        k = n / fs;
        if (idx < k) { *ip = p + idx * fs; *in = fs; found = true; }
    } else { /* binary and others: one item */
        k = 1;
        if (idx == 0) { *ip = p; *in = n; found = true; }
    }
    *count = k;
    return found;
}

/* ---- structure -------------------------------------------------------- */

static int stream(struct bx *b, size_t pos, size_t end, const struct subs *s, int depth);
static int element(struct bx *b, size_t *pos, size_t end, const struct subs *s, int depth);
static int template_instance(struct bx *b, size_t *pos, size_t end, int depth);

/* Substitution token at *pos (token, index 2, type 1) -> its value. */
static int take_sub(struct bx *b, size_t *pos, size_t end, const struct subs *s, struct sval *v)
{
    if (end - *pos < 4) return bad(b, *pos, "truncated substitution");
    uint16_t id = rd16(b->c + *pos + 1);
    if (!s || id >= s->n) return bad(b, *pos, "substitution index out of range");
    *v = s->v[id];
    *pos += 4;
    return 0;
}

/* Counted UTF-16 text (count 2, chars) after a 1-byte token [+ type]. */
static int take_text(struct bx *b, size_t *pos, size_t end, size_t hdr, const unsigned char **p, size_t *n)
{
    if (end - *pos < hdr + 2) return bad(b, *pos, "truncated text");
    size_t cnt = rd16(b->c + *pos + hdr);
    if ((end - *pos - hdr - 2) / 2 < cnt) return bad(b, *pos, "text runs past its stream");
    *p = b->c + *pos + hdr + 2;
    *n = cnt;
    *pos += hdr + 2 + 2 * cnt;
    return 0;
}

static int put_entity(struct bx *b, uint32_t name, int mode)
{
    static const char *const known[] = {"lt", "gt", "amp", "quot", "apos"};
    size_t cnt = rd16(b->c + name + 6);
    char nm[8];
    if (cnt < sizeof nm) {
        for (size_t i = 0; i < cnt; i++) {
            uint16_t u = rd16(b->c + name + 8 + 2 * i);
            nm[i] = u < 0x80 ? (char)u : '?';
        }
        nm[cnt] = 0;
        for (size_t i = 0; i < sizeof known / sizeof *known; i++)
            if (strcmp(nm, known[i]) == 0) {
                int rc = put(b, "&", 1);
                if (rc == 0) rc = put(b, nm, cnt);
                return rc ? rc : put(b, ";", 1);
            }
    }
    /* an entity XML does not predefine is kept as its literal text */
    int rc = put(b, "&amp;", 5);
    if (rc == 0) rc = put_utf16(b, b->c + name + 8, cnt, mode);
    return rc ? rc : put(b, ";", 1);
}

static int put_charref(struct bx *b, uint16_t u, int mode)
{
    int rc = vg_buf_reserve(b->out, 8);
    if (rc) return outerr(b, rc);
    char *d0 = b->out->data + b->out->len;
    b->out->len += (size_t)(put_cp(d0, u, mode) - d0);
    b->out->data[b->out->len] = 0;
    return 0;
}

static bool is_piece(uint8_t t)
{
    switch (t) {
    case 0x05: case 0x45: case 0x0d: case 0x0e: case 0x08: case 0x48: case 0x09: case 0x49: return true;
    default: return false;
    }
}

/* Attribute value pieces up to the next attribute or the end of the start
 * tag. An optional substitution that is NULL or empty drops the attribute
 * (*drop); array items are joined with ','. */
static int attr_value(struct bx *b, size_t *pos, size_t end, const struct subs *s, bool *drop)
{
    int rc = 0;
    while (rc == 0 && *pos < end && is_piece(b->c[*pos])) {
        if ((rc = step(b, *pos))) break;
        uint8_t t = b->c[*pos];
        const unsigned char *p;
        size_t n;
        uint32_t name;
        struct sval v;
        switch (t & 0xbf) {
        case 0x05:
            if (end - *pos < 2 || b->c[*pos + 1] != 0x01) return bad(b, *pos, "value text that is not a string");
            rc = take_text(b, pos, end, 2, &p, &n);
            if (rc == 0) rc = put_utf16(b, p, n, M_ATTR);
            break;
        case 0x08:
            if (end - *pos < 3) return bad(b, *pos, "truncated character reference");
            rc = put_charref(b, rd16(b->c + *pos + 1), M_ATTR);
            *pos += 3;
            break;
        case 0x09:
            (*pos)++;
            rc = take_name(b, pos, end, &name);
            if (rc == 0) rc = put_entity(b, name, M_ATTR);
            break;
        default: /* 0x0d, 0x0e */
            rc = take_sub(b, pos, end, s, &v);
            if (rc) break;
            if (t == 0x0e && (v.type == 0 || v.size == 0)) {
                *drop = true;
            } else if (v.type & 0x80) {
                size_t cnt = 0, in;
                for (size_t i = 0; rc == 0 && arr_item(v.type, v.p, v.size, i, &p, &in, &cnt); i++) {
                    if (i) rc = put(b, ",", 1);
                    if (rc == 0) rc = put_scalar(b, v.type & 0x7f, p, in, M_ATTR);
                }
            } else if (v.type != 0x21) {
                rc = put_scalar(b, v.type, v.p, v.size, M_ATTR);
            }
            break;
        }
    }
    return rc;
}

/* Opens a child line under an element in state *st; see close_child. */
static int open_child(struct bx *b, int *st, size_t *mark, int *prev)
{
    *mark = b->out->len;
    *prev = *st;
    int rc = 0;
    if (*st == ST_PENDING) rc = put(b, ">\n", 2);
    else if (*st == ST_TEXT) rc = put(b, "\n", 1);
    *st = ST_CHILDREN;
    return rc;
}

/* Text content begins under an element in state *st (closing a pending
 * start tag); *mid marks where it starts. */
static int open_text(struct bx *b, int *st, size_t *mid)
{
    if (*st == ST_PENDING) {
        int rc = put(b, ">", 1);
        if (rc) return rc;
        *st = ST_TEXT;
    }
    *mid = b->out->len;
    return 0;
}

/* A child that produced nothing leaves no trace. */
static void close_child(struct bx *b, int *st, size_t mark, int prev, size_t before_child)
{
    if (b->out->len == before_child) {
        rollback(b, mark);
        *st = prev;
    }
}

/* One pass over an element; item selects the array item its own
 * substitutions print (the element repeats once per item, as libevtx
 * does); *nrep gets the largest array seen in its content. */
static int element_once(struct bx *b, size_t *pos, size_t end, const struct subs *s, int depth, size_t item,
                        size_t *nrep)
{
    const unsigned char *c = b->c;
    size_t p0 = *pos, mark = b->out->len;
    uint8_t tok = c[p0];
    uint32_t name = 0;
    size_t p = 0;
    /* dependency id (2 bytes) is usually there; some writers leave it out:
     * the name offset says which layout this is */
    static const size_t hl[2] = {11, 9};
    for (int k = 0; k < 2 && !name; k++) {
        if (end - p0 < hl[k]) continue;
        uint32_t n = rd32(c + p0 + hl[k] - 4);
        if (name_ok(b, n, p0 + hl[k], end)) {
            name = n;
            p = p0 + hl[k];
        }
    }
    if (!name) return bad(b, p0, "element name offset outside the chunk or malformed name");
    if (name == p) p += 8 + 2 * (size_t)rd16(c + name + 6) + 2;
    int rc = indent(b, depth);
    if (rc == 0) rc = put(b, "<", 1);
    if (rc == 0) rc = put_name(b, name);
    if (rc) return rc;
    if (tok & 0x40) {
        if (end - p < 4) return bad(b, p, "truncated attribute list");
        uint32_t al = rd32(c + p);
        p += 4;
        if (al > end - p) return bad(b, p, "attribute list runs past its stream");
        size_t aend = p + al;
        while (p < aend && (c[p] == 0x06 || c[p] == 0x46)) {
            if ((rc = step(b, p))) return rc;
            size_t amark = b->out->len;
            uint32_t an;
            bool drop = false;
            p++;
            rc = take_name(b, &p, aend, &an);
            if (rc == 0) rc = put(b, " ", 1);
            if (rc == 0) rc = put_name(b, an);
            if (rc == 0) rc = put(b, "=\"", 2);
            if (rc == 0) rc = attr_value(b, &p, aend, s, &drop);
            if (rc == 0) rc = put(b, "\"", 1);
            if (rc) return rc;
            if (drop) rollback(b, amark);
        }
        if (p != aend) return bad(b, p, "attribute list does not end where its size says");
    }
    if (p >= end) return bad(b, p, "truncated element");
    if (c[p] == 0x03) {
        *pos = p + 1;
        return put(b, "/>\n", 3);
    }
    if (c[p] != 0x02) return bad(b, p, "expected the end of a start tag");
    p++;
    int st = ST_PENDING;
    bool drop = false;
    for (;;) {
        if (p >= end) return bad(b, p, "element not closed before the end of its stream");
        if ((rc = step(b, p))) return rc;
        uint8_t t = c[p];
        if (t == 0x04) {
            p++;
            break;
        }
        size_t before = b->out->len, mid;
        int prev = st;
        const unsigned char *tp;
        size_t tn;
        uint32_t nm;
        struct sval v;
        switch (t) {
        case 0x01: case 0x41: case 0x0c: {
            size_t cm;
            int cprev;
            rc = open_child(b, &st, &cm, &cprev);
            size_t bc = b->out->len;
            if (rc == 0) rc = t == 0x0c ? template_instance(b, &p, end, depth + 1) : element(b, &p, end, s, depth + 1);
            if (rc) return rc;
            close_child(b, &st, cm, cprev, bc);
            continue;
        }
        case 0x05: case 0x45:
            if (end - p < 2 || c[p + 1] != 0x01) return bad(b, p, "value text that is not a string");
            rc = take_text(b, &p, end, 2, &tp, &tn);
            if (rc) return rc;
            if ((rc = open_text(b, &st, &mid))) return rc;
            rc = put_utf16(b, tp, tn, M_TEXT);
            break;
        case 0x07: case 0x47: /* CDATA: its text, escaped */
            rc = take_text(b, &p, end, 1, &tp, &tn);
            if (rc) return rc;
            if ((rc = open_text(b, &st, &mid))) return rc;
            rc = put_utf16(b, tp, tn, M_TEXT);
            break;
        case 0x08: case 0x48:
            if (end - p < 3) return bad(b, p, "truncated character reference");
            if ((rc = open_text(b, &st, &mid))) return rc;
            rc = put_charref(b, rd16(c + p + 1), M_TEXT);
            p += 3;
            break;
        case 0x09: case 0x49:
            p++;
            rc = take_name(b, &p, end, &nm);
            if (rc) return rc;
            if ((rc = open_text(b, &st, &mid))) return rc;
            rc = put_entity(b, nm, M_TEXT);
            break;
        case 0x0a: /* processing instruction: skipped */
            p++;
            rc = take_name(b, &p, end, &nm);
            if (rc) return rc;
            continue;
        case 0x0b:
            rc = take_text(b, &p, end, 1, &tp, &tn);
            if (rc) return rc;
            continue;
        case 0x0d: case 0x0e:
            rc = take_sub(b, &p, end, s, &v);
            if (rc) return rc;
            if (v.type == 0) {
                if (t == 0x0e) drop = true; /* optional and NULL: the element is not created */
                continue;
            }
            if (v.type == 0x21) { /* embedded BinXml: child elements */
                size_t cm;
                int cprev;
                rc = open_child(b, &st, &cm, &cprev);
                size_t bc = b->out->len;
                if (rc == 0) rc = stream(b, (size_t)(v.p - c), (size_t)(v.p - c) + v.size, NULL, depth + 1);
                if (rc) return rc;
                close_child(b, &st, cm, cprev, bc);
                continue;
            }
            if ((rc = open_text(b, &st, &mid))) return rc;
            if (v.type & 0x80) {
                size_t cnt = 0, in;
                if (arr_item(v.type, v.p, v.size, item, &tp, &in, &cnt)) rc = put_scalar(b, v.type & 0x7f, tp, in, M_TEXT);
                if (cnt > *nrep) *nrep = cnt;
            } else {
                rc = put_scalar(b, v.type, v.p, v.size, M_TEXT);
            }
            break;
        default:
            return bad(b, p, "unexpected token in element content");
        }
        if (rc) return rc;
        if (b->out->len == mid) { /* empty text: as if it were not there */
            rollback(b, before);
            st = prev;
        }
    }
    *pos = p;
    if (drop && depth > 0) { /* a record keeps its root element */
        rollback(b, mark);
        return 0;
    }
    if (st == ST_PENDING) return put(b, "/>\n", 3);
    if (st == ST_CHILDREN && (rc = indent(b, depth))) return rc;
    rc = put(b, "</", 2);
    if (rc == 0) rc = put_name(b, name);
    return rc ? rc : put(b, ">\n", 2);
}

static int element(struct bx *b, size_t *pos, size_t end, const struct subs *s, int depth)
{
    if (depth >= VG_BX_MAX_DEPTH)
        return vg_err_set(b->err, VG_ETOOBIG, "binxml: elements nested deeper than %d", VG_BX_MAX_DEPTH);
    size_t start = *pos, nrep = 0, dummy = 0;
    int rc = element_once(b, pos, end, s, depth, 0, &nrep);
    for (size_t i = 1; rc == 0 && i < nrep; i++) {
        size_t p = start;
        rc = element_once(b, &p, end, s, depth, i, &dummy);
    }
    return rc;
}

/* ---- templates and streams -------------------------------------------- */

void vg__binxml_cache_reset(struct vg__bx_cache *c, const unsigned char *chunk)
{
    c->chunk = chunk;
    c->n = 0;
}

static bool cache_get(const struct bx *b, uint32_t def, size_t *body, size_t *size)
{
    const struct vg__bx_cache *c = b->cache;
    if (!c || c->chunk != b->c) return false;
    for (uint32_t i = 0; i < c->n; i++)
        if (c->t[i].def == def) {
            *body = c->t[i].body;
            *size = c->t[i].size;
            return true;
        }
    return false;
}

static void cache_put(struct bx *b, uint32_t def, size_t body, size_t size)
{
    struct vg__bx_cache *c = b->cache;
    if (!c) return;
    if (c->chunk != b->c) vg__binxml_cache_reset(c, b->c);
    if (c->n < VG_BX_CACHE) {
        c->t[c->n].def = def;
        c->t[c->n].body = (uint32_t)body;
        c->t[c->n].size = (uint32_t)size;
        c->n++;
    }
}

/* Template instance at *pos (token 0x0c, 1 unknown byte, id 4, definition
 * offset 4; the definition follows inline the first time: next offset 4,
 * GUID 16, body size 4, body), then the instance data (count 4, count x
 * {size 2, type 1, 0}, the values back to back). Renders the body with
 * those values and leaves *pos after the values. */
static int template_instance(struct bx *b, size_t *pos, size_t end, int depth)
{
    const unsigned char *c = b->c;
    size_t p = *pos;
    if (end - p < 10) return bad(b, p, "truncated template instance");
    uint32_t def = rd32(c + p + 6);
    size_t q = p + 10, body, bsize;
    if (def == q) { /* definition inline */
        if (end - q < 24) return bad(b, q, "truncated template definition");
        bsize = rd32(c + q + 20);
        body = q + 24;
        if (bsize > end - body) return bad(b, q, "template definition runs past its stream");
        q = body + bsize;
        if (!cache_get(b, def, &body, &bsize)) cache_put(b, def, body, bsize);
    } else if (!cache_get(b, def, &body, &bsize)) {
        if (def < VG_BX_CHUNK_HEADER || def > b->clen || b->clen - def < 24)
            return bad(b, p, "template definition offset outside the chunk");
        bsize = rd32(c + def + 20);
        body = (size_t)def + 24;
        if (bsize > b->clen - body) return bad(b, def, "template definition runs past the chunk");
        cache_put(b, def, body, bsize);
    }
    if (end - q < 4) return bad(b, q, "truncated template values");
    uint32_t n = rd32(c + q);
    q += 4;
    if (n > VG_BX_MAX_VALUES || n > (end - q) / 4) return bad(b, q - 4, "template value count too large");
    struct sval *v = vg_malloc((n ? n : 1) * sizeof *v);
    if (!v) return outerr(b, VG_ENOMEM);
    size_t vp = q + 4 * (size_t)n;
    int rc = 0;
    for (uint32_t i = 0; i < n; i++) {
        size_t sz = rd16(c + q + 4 * i);
        if (sz > end - vp) {
            rc = bad(b, q + 4 * i, "template value runs past its stream");
            goto out;
        }
        v[i] = (struct sval){c + vp, (uint32_t)sz, c[q + 4 * i + 2]};
        vp += sz;
    }
    if (b->nest >= VG_BX_MAX_NEST) {
        rc = vg_err_set(b->err, VG_ETOOBIG, "binxml: templates nested deeper than %d at chunk offset %zu",
                        VG_BX_MAX_NEST, p);
        goto out;
    }
    b->nest++;
    struct subs s = {v, n};
    rc = stream(b, body, body + bsize, &s, depth);
    b->nest--;
    *pos = vp;
out:
    vg_free(v);
    return rc;
}

/* A fragment: header tokens, elements or template instances, up to EOF or
 * the end of the stream. */
static int stream(struct bx *b, size_t pos, size_t end, const struct subs *s, int depth)
{
    const unsigned char *c = b->c;
    int rc = 0;
    if (b->nest > VG_BX_MAX_NEST)
        return vg_err_set(b->err, VG_ETOOBIG, "binxml: fragments nested deeper than %d", VG_BX_MAX_NEST);
    while (rc == 0 && pos < end) {
        if ((rc = step(b, pos))) break;
        const unsigned char *tp;
        size_t tn;
        uint32_t nm;
        switch (c[pos]) {
        case 0x00: return 0;
        case 0x0f:
            if (end - pos < 4) return bad(b, pos, "truncated fragment header");
            pos += 4;
            break;
        case 0x01: case 0x41: rc = element(b, &pos, end, s, depth); break;
        case 0x0c: rc = template_instance(b, &pos, end, depth); break;
        case 0x0a:
            pos++;
            rc = take_name(b, &pos, end, &nm);
            break;
        case 0x0b: rc = take_text(b, &pos, end, 1, &tp, &tn); break;
        default: return bad(b, pos, "unexpected token in a fragment");
        }
    }
    return rc;
}

int vg__binxml_render(const unsigned char *chunk, size_t chunk_len, size_t off, size_t len,
                      struct vg__bx_cache *cache, struct vg_buf *out, struct vg_err *err)
{
    if (!chunk || off > chunk_len || len > chunk_len - off)
        return vg_err_set(err, VG_EINVAL, "binxml: record outside its chunk");
    if (out->cap_limit == 0 || out->cap_limit > VG_BX_MAX_OUT) out->cap_limit = VG_BX_MAX_OUT;
    struct bx b = {.c = chunk, .clen = chunk_len, .cache = cache, .out = out, .err = err};
    if (cache && cache->chunk != chunk) vg__binxml_cache_reset(cache, chunk);
    size_t start = out->len;
    int rc = stream(&b, off, off + len, NULL, 0);
    if (rc == 0 && out->len == start) rc = bad(&b, off, "record renders no element");
    return rc;
}
