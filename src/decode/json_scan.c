/* Zero-copy strict JSON scanner (include/vigil/json.h): validation, value
 * spans, record splitting and object flattening with interned dotted names.
 * It sits under the json decoder (dec_json.c) and the ingest record
 * splitters. Design notes: docs/internals/json.md.
 *
 * Hot loop: strings are scanned 16 bytes at a time (SSE2 on x86-64, a SWAR
 * fallback elsewhere) for the only bytes that need attention: '"', '\\',
 * control characters and non-ASCII; everything else is skipped without a
 * per-byte branch. Keys are turned into field ids through a per-thread
 * cache keyed by (parent id, key bytes), so the dotted name is only built
 * on a miss. */
#include "vigil/json.h"
#include "json_map.h"
#include <math.h>
#include <stdatomic.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* ---- error helpers --------------------------------------------------- */

struct scan {
    const char *base, *end;
    struct vg_err *err; /* may be NULL */
    int code;           /* last error code */
};

static int fail_at(struct scan *s, const char *p, int code, const char *what)
{
    size_t off = p ? (size_t)(p - s->base) : 0;
    s->code = code;
    int rc = vg_err_set(s->err, code, "json: %s at byte %zu", what, off);
    if (s->err) { s->err->line = 0; s->err->col = (int)(off + 1 > INT32_MAX ? INT32_MAX : off + 1); }
    return rc;
}

static const unsigned char ws_tab[256] = {[' '] = 1, ['\t'] = 1, ['\n'] = 1, ['\r'] = 1};

static inline const char *skip_ws(const char *p, const char *end)
{
    while (p < end && ws_tab[(unsigned char)*p]) p++;
    return p;
}

/* ---- strings --------------------------------------------------------- */

/* Length of the valid UTF-8 sequence (2..4 bytes) at p, 0 if invalid. */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
    unsigned c = p[0];
    size_t avail = (size_t)(end - p);
    if (c >= 0xC2 && c <= 0xDF) {
        return avail >= 2 && (p[1] & 0xC0) == 0x80 ? 2 : 0;
    }
    if (c >= 0xE0 && c <= 0xEF) {
        if (avail < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80) return 0;
        if (c == 0xE0 && p[1] < 0xA0) return 0; /* overlong */
        if (c == 0xED && p[1] >= 0xA0) return 0; /* UTF-16 surrogates */
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (avail < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80) return 0;
        if (c == 0xF0 && p[1] < 0x90) return 0; /* overlong */
        if (c == 0xF4 && p[1] >= 0x90) return 0; /* > U+10FFFF */
        return 4;
    }
    return 0;
}

static inline int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    c |= 0x20;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

static int hex4(const char *p, const char *end, unsigned *out)
{
    if (end - p < 4) return -1;
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval((unsigned char)p[i]);
        if (h < 0) return -1;
        v = (v << 4) | (unsigned)h;
    }
    *out = v;
    return 0;
}

/* Returns the first byte at or after p that is '"', '\\', < 0x20 or >= 0x80,
 * or end. */
static inline const char *find_special(const char *p, const char *end)
{
#if defined(__SSE2__)
    const __m128i q = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\'), sp = _mm_set1_epi8(0x20);
    while (end - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        /* signed compare: bytes 0x00-0x1f and 0x80-0xff are both "< 0x20" */
        __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, q), _mm_cmpeq_epi8(v, bs)), _mm_cmplt_epi8(v, sp));
        unsigned mask = (unsigned)_mm_movemask_epi8(m);
        if (mask) return p + __builtin_ctz(mask);
        p += 16;
    }
#else
    while (end - p >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
        uint64_t xq = w ^ (ones * '"'), xb = w ^ (ones * '\\');
        uint64_t t = ((xq - ones) & ~xq) | ((xb - ones) & ~xb) | ((w - ones * 0x20) & ~w) | w;
        t &= high;
        if (t) {
            for (int i = 0; i < 8; i++) {
                unsigned char c = (unsigned char)p[i];
                if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) return p + i;
            }
        }
        p += 8;
    }
#endif
    while (p < end) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) return p;
        p++;
    }
    return end;
}

/* p points just after an opening quote. Validates the string and returns a
 * pointer to its closing quote, or NULL after setting the error. *esc is
 * set when the string holds escapes. */
static const char *scan_string(struct scan *s, const char *p, bool *esc)
{
    const char *end = s->end;
    for (;;) {
        p = find_special(p, end);
        if (VG_UNLIKELY(p >= end)) { fail_at(s, end, VG_EPARSE, "unterminated string"); return NULL; }
        unsigned char c = (unsigned char)*p;
        if (VG_LIKELY(c == '"')) return p;
        if (c == '\\') {
            *esc = true;
            if (end - p < 2) { fail_at(s, p, VG_EPARSE, "unterminated escape"); return NULL; }
            switch (p[1]) {
            case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
                p += 2;
                continue;
            case 'u': {
                unsigned u;
                if (hex4(p + 2, end, &u)) { fail_at(s, p, VG_EPARSE, "bad \\u escape"); return NULL; }
                p += 6;
                if (u >= 0xDC00 && u <= 0xDFFF) { fail_at(s, p - 6, VG_EUTF8, "lone low surrogate"); return NULL; }
                if (u >= 0xD800 && u <= 0xDBFF) {
                    unsigned lo;
                    if (end - p < 6 || p[0] != '\\' || p[1] != 'u' || hex4(p + 2, end, &lo) || lo < 0xDC00 ||
                        lo > 0xDFFF) {
                        fail_at(s, p - 6, VG_EUTF8, "lone high surrogate");
                        return NULL;
                    }
                    p += 6;
                }
                continue;
            }
            default:
                fail_at(s, p, VG_EPARSE, "bad escape");
                return NULL;
            }
        }
        if (c < 0x20) { fail_at(s, p, VG_EPARSE, "control character in string"); return NULL; }
        size_t n = utf8_len((const unsigned char *)p, (const unsigned char *)end);
        if (!n) { fail_at(s, p, VG_EUTF8, "invalid UTF-8 in string"); return NULL; }
        p += n;
    }
}

static size_t put_utf8(char *d, unsigned cp)
{
    if (cp < 0x80) { d[0] = (char)cp; return 1; }
    if (cp < 0x800) { d[0] = (char)(0xC0 | (cp >> 6)); d[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        d[0] = (char)(0xE0 | (cp >> 12));
        d[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        d[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    d[0] = (char)(0xF0 | (cp >> 18));
    d[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    d[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    d[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Unescapes an already validated string body [p, p+n) into the arena
 * (NUL-terminated). The result is never longer than the input. */
static char *unescape(struct vg_arena *a, const char *p, size_t n, const char *lim, size_t *out_len, bool *uesc)
{
    /* +16: the block copy below may write up to 15 bytes past the output,
     * which is never longer than the input */
    char *dst = vg_arena_alloc(a, n + 16), *d = dst;
    if (!dst) return NULL;
    const char *end = p + n;
    for (;;) {
#if defined(__SSE2__)
        const __m128i bsl = _mm_set1_epi8('\\');
        while (end - p >= 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
            _mm_storeu_si128((__m128i *)(void *)d, v);
            unsigned mask = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, bsl));
            if (mask) {
                unsigned k = (unsigned)__builtin_ctz(mask);
                p += k;
                d += k;
                goto escape;
            }
            p += 16;
            d += 16;
        }
#endif
#if defined(__SSE2__)
        /* tail of fewer than 16 bytes: the input buffer (lim) usually has
         * room to load a whole block; bytes past the string are masked */
        if (p < end && lim - p >= 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
            _mm_storeu_si128((__m128i *)(void *)d, v);
            unsigned k = (unsigned)(end - p);
            unsigned mask = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, bsl)) & ((1u << k) - 1);
            if (mask) k = (unsigned)__builtin_ctz(mask);
            p += k;
            d += k;
            if (!mask) break;
            goto escape;
        }
#endif
        while (p < end && *p != '\\') *d++ = *p++;
        if (p >= end) break;
#if defined(__SSE2__)
    escape:;
#endif
        char c = p[1];
        p += 2;
        switch (c) {
        case 'b': *d++ = '\b'; break;
        case 'f': *d++ = '\f'; break;
        case 'n': *d++ = '\n'; break;
        case 'r': *d++ = '\r'; break;
        case 't': *d++ = '\t'; break;
        case 'u': {
            *uesc = true;
            unsigned u = 0, lo = 0;
            hex4(p, end, &u);
            p += 4;
            if (u >= 0xD800 && u <= 0xDBFF) {
                hex4(p + 2, end, &lo);
                p += 6;
                u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
            }
            d += put_utf8(d, u);
            break;
        }
        default: *d++ = c; break; /* " \ / */
        }
    }
    *d = 0;
    *out_len = (size_t)(d - dst);
    return dst;
}

/* ---- numbers and literals ------------------------------------------- */

/* Scans a number at p. Returns its end or NULL. When v is non-NULL, fills
 * it as VG_V_INT (no fraction/exponent and fits int64) or VG_V_FLOAT. */
static const char *scan_number(struct scan *s, const char *p, struct vg_value *v)
{
    const char *start = p, *end = s->end;
    bool neg = false, isint = true;
    if (*p == '-') { neg = true; p++; }
    if (p >= end || (unsigned)(*p - '0') > 9) { fail_at(s, start, VG_EPARSE, "bad number"); return NULL; }
    uint64_t acc = 0;
    bool ovf = false;
    if (*p == '0') {
        p++;
        if (p < end && (unsigned)(*p - '0') <= 9) { fail_at(s, start, VG_EPARSE, "leading zero in number"); return NULL; }
    } else {
        const char *ds = p;
        while (p < end && (unsigned)(*p - '0') <= 9) {
            acc = acc * 10 + (unsigned)(*p - '0'); /* wraps only past 19 digits, caught below */
            p++;
        }
        ovf = p - ds > 19;
    }
    if (p < end && *p == '.') {
        isint = false;
        p++;
        if (p >= end || (unsigned)(*p - '0') > 9) { fail_at(s, start, VG_EPARSE, "bad fraction"); return NULL; }
        while (p < end && (unsigned)(*p - '0') <= 9) p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        isint = false;
        p++;
        if (p < end && (*p == '+' || *p == '-')) p++;
        if (p >= end || (unsigned)(*p - '0') > 9) { fail_at(s, start, VG_EPARSE, "bad exponent"); return NULL; }
        while (p < end && (unsigned)(*p - '0') <= 9) p++;
    }
    if (!v) return p;
    if (isint && !ovf && (neg ? acc <= (uint64_t)INT64_MAX + 1 : acc <= (uint64_t)INT64_MAX)) {
        v->type = VG_V_INT;
        v->u.i = neg ? (acc == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)acc) : (int64_t)acc;
        return p;
    }
    /* strtod needs a terminator: numbers are short, so copy into a local
     * buffer; absurdly long ones (legal JSON) take a heap copy. */
    char tmp[128];
    size_t n = (size_t)(p - start);
    v->type = VG_V_FLOAT;
    if (n >= sizeof tmp) {
        char *big = vg_malloc(n + 1);
        if (!big) { fail_at(s, start, VG_ENOMEM, "out of memory"); return NULL; }
        memcpy(big, start, n);
        big[n] = 0;
        v->u.f = strtod(big, NULL);
        vg_free(big);
        return p;
    }
    memcpy(tmp, start, n);
    tmp[n] = 0;
    v->u.f = strtod(tmp, NULL);
    return p;
}

static const char *scan_literal(struct scan *s, const char *p, struct vg_value *v)
{
    size_t avail = (size_t)(s->end - p);
    if (*p == 't' && avail >= 4 && memcmp(p, "true", 4) == 0) {
        if (v) { v->type = VG_V_BOOL; v->u.b = true; }
        return p + 4;
    }
    if (*p == 'f' && avail >= 5 && memcmp(p, "false", 5) == 0) {
        if (v) { v->type = VG_V_BOOL; v->u.b = false; }
        return p + 5;
    }
    if (*p == 'n' && avail >= 4 && memcmp(p, "null", 4) == 0) {
        if (v) v->type = VG_V_NULL;
        return p + 4;
    }
    fail_at(s, p, VG_EPARSE, "unexpected character");
    return NULL;
}

/* ---- skipping (validating) any value, iteratively -------------------- */

/* Validates the value at p (no leading whitespace) and returns its end.
 * depth0 is the nesting depth already used by the caller. The reference
 * path: exact errors; skip_value below tries skip_fast first. */
static const char *skip_value_ref(struct scan *s, const char *p, unsigned depth0)
{
    const char *end = s->end;
    uint64_t kinds = 0; /* bit i set: level i is an object */
    unsigned depth = 0;
    for (;;) {
        /* parse one value at p */
        if (p >= end) { fail_at(s, p, VG_EPARSE, "unexpected end of input"); return NULL; }
        char c = *p;
        if (c == '{' || c == '[') {
            if (depth0 + depth + 1 > VG_JSON_MAX_DEPTH) { fail_at(s, p, VG_EPARSE, "nesting too deep"); return NULL; }
            bool obj = c == '{';
            if (obj) kinds |= (uint64_t)1 << depth;
            else kinds &= ~((uint64_t)1 << depth);
            depth++;
            p = skip_ws(p + 1, end);
            if (p < end && *p == (obj ? '}' : ']')) { p++; depth--; goto after_value; }
            if (obj) {
                if (p >= end || *p != '"') { fail_at(s, p, VG_EPARSE, "expected a key"); return NULL; }
                bool esc = false;
                p = scan_string(s, p + 1, &esc);
                if (!p) return NULL;
                p = skip_ws(p + 1, end);
                if (p >= end || *p != ':') { fail_at(s, p, VG_EPARSE, "expected ':'"); return NULL; }
                p = skip_ws(p + 1, end);
            }
            continue;
        } else if (c == '"') {
            bool esc = false;
            p = scan_string(s, p + 1, &esc);
            if (!p) return NULL;
            p++;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            p = scan_number(s, p, NULL);
            if (!p) return NULL;
        } else {
            p = scan_literal(s, p, NULL);
            if (!p) return NULL;
        }
    after_value:
        if (depth == 0) return p;
        p = skip_ws(p, end);
        if (p >= end) { fail_at(s, p, VG_EPARSE, "unexpected end of input"); return NULL; }
        bool obj = (kinds >> (depth - 1)) & 1;
        if (*p == ',') {
            p = skip_ws(p + 1, end);
            if (obj) {
                if (p >= end || *p != '"') { fail_at(s, p, VG_EPARSE, "expected a key"); return NULL; }
                bool esc = false;
                p = scan_string(s, p + 1, &esc);
                if (!p) return NULL;
                p = skip_ws(p + 1, end);
                if (p >= end || *p != ':') { fail_at(s, p, VG_EPARSE, "expected ':'"); return NULL; }
                p = skip_ws(p + 1, end);
            }
            continue;
        }
        if (*p == (obj ? '}' : ']')) {
            p++;
            depth--;
            goto after_value;
        }
        fail_at(s, p, VG_EPARSE, obj ? "expected ',' or '}'" : "expected ',' or ']'");
        return NULL;
    }
}

/* Implementation level (tests compare them): 0 = reference paths only,
 * 1 = fast paths. */
static _Atomic int impl_level = 1;

int vg__json_impl(int level)
{
    return atomic_exchange_explicit(&impl_level, level, memory_order_relaxed);
}

static inline bool is_ws(char c)
{
    return ws_tab[(unsigned char)c] != 0;
}

/* ---- 64-byte windows of "special" bytes --------------------------------- */

/* Strings are the bulk of a record. Scanning each one with its own vector
 * loop puts a load, compares, a movemask and a ctz on the critical path of
 * every string (the next position depends on them). The fast paths
 * instead classify a 64-byte window once into one bit mask of the bytes
 * that need a look inside strings ('"', '\\', < 0x20, >= 0x80) and find the
 * end of each string in the window with a shift and a ctz. A window starts
 * wherever a string starts outside the current one; the last < 64 bytes of
 * the input are copied into a buffer padded with 0x00 (a "special" byte
 * that is past the end, so it ends nothing). */
struct win {
    uintptr_t base;    /* input address of data[0]; WIN_NONE = none yet */
    const char *data;  /* the 64 bytes: the input itself or pad */
    uint64_t sp;       /* bit i: data[i] is '"', '\\', < 0x20 or >= 0x80 */
    char pad[64];
};

#define WIN_NONE ((uintptr_t)0 - 128) /* every real position is >= 64 past it */


/* Mask of special bytes of d[0..63]. */
static inline uint64_t special_mask64(const char *d)
{
#if defined(__SSE2__)
    const __m128i q = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\'), sp = _mm_set1_epi8(0x20);
    uint64_t m = 0;
    for (int k = 0; k < 4; k++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(d + 16 * k));
        __m128i x = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, q), _mm_cmpeq_epi8(v, bs)), _mm_cmplt_epi8(v, sp));
        m |= (uint64_t)(unsigned)_mm_movemask_epi8(x) << (16 * k);
    }
    return m;
#else
    uint64_t m = 0;
    for (int k = 0; k < 8; k++) {
        uint64_t w;
        memcpy(&w, d + 8 * k, 8);
        const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
        uint64_t xq = w ^ (ones * '"'), xb = w ^ (ones * '\\');
        uint64_t t = ((xq - ones) & ~xq) | ((xb - ones) & ~xb) | ((w - ones * 0x20) & ~w) | w;
        if (!(t & high)) continue;
        for (int i = 0; i < 8; i++) { /* exact per byte: the borrow trick may also flag a byte after a hit */
            unsigned char c = (unsigned char)d[8 * k + i];
            if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) m |= (uint64_t)1 << (8 * k + i);
        }
    }
    return m;
#endif
}

static __attribute__((noinline)) void win_load_tail(struct win *w, const char *p, const char *end)
{
    size_t n = (size_t)(end - p);
    memcpy(w->pad, p, n);
    memset(w->pad + n, 0, sizeof w->pad - n);
    w->data = w->pad;
    w->base = (uintptr_t)p;
    w->sp = special_mask64(w->pad);
}

static inline void win_load(struct win *w, const char *p, const char *end)
{
    if (VG_LIKELY(end - p >= 64)) {
        w->data = p;
        w->base = (uintptr_t)p;
        w->sp = special_mask64(p);
    } else {
        win_load_tail(w, p, end);
    }
}

/* 1 for the characters that may follow a backslash alone (not 'u'). */
static const unsigned char esc1_tab[256] = {['"'] = 1, ['\\'] = 1, ['/'] = 1, ['b'] = 1, ['f'] = 1,
                                            ['n'] = 1, ['r'] = 1, ['t'] = 1};

/* After an opening quote: the closing quote, or NULL when the string is
 * invalid (the error, if any, is not meaningful: callers rerun the exact
 * path). Simple escapes and valid UTF-8 stay in the window scan; \u
 * escapes go through scan_string. */
static inline __attribute__((always_inline)) const char *string_end_win(struct scan *s, struct win *w, const char *p)
{
    const char *end = s->end;
    for (;;) {
        uintptr_t off = (uintptr_t)p - w->base;
        if (VG_UNLIKELY(off >= 64)) {
            if (p >= end) return NULL;
            win_load(w, p, end);
            off = 0;
        }
        uint64_t m = w->sp >> off;
        if (VG_UNLIKELY(!m)) {
            p = (const char *)(w->base + 64);
            continue;
        }
        unsigned i = (unsigned)off + (unsigned)__builtin_ctzll(m);
        const char *q = (const char *)(w->base + i);
        if (VG_UNLIKELY(q >= end)) return NULL; /* padding: unterminated */
        unsigned char c = (unsigned char)w->data[i];
        if (VG_LIKELY(c == '"')) return q;
        if (c == '\\') {
            if (VG_LIKELY(end - q >= 2 && esc1_tab[(unsigned char)q[1]])) {
                p = q + 2;
                continue;
            }
            bool esc = false;
            return scan_string(s, q, &esc);
        }
        if (c < 0x20) return NULL;
        size_t n = utf8_len((const unsigned char *)q, (const unsigned char *)end);
        if (!n) return NULL;
        p = q + n;
    }
}

/* skip_value for the common case: the same grammar and the same checks as
 * skip_value_ref, in one flat loop with inline string scanning and no
 * error reporting. Returns the end of a valid value, or NULL for anything
 * invalid (the caller then reruns skip_value_ref for the exact error). */
static const char *skip_fast(struct scan *s, const char *p, unsigned depth0)
{
    const char *end = s->end;
    uint64_t kinds = 0; /* bit i set: level i is an object */
    unsigned depth = 0;
    struct win w;
    w.base = WIN_NONE;
    for (;;) {
        if (VG_UNLIKELY(p >= end)) return NULL;
        char c = *p;
        if (c == '"') {
            p = string_end_win(s, &w, p + 1);
            if (VG_UNLIKELY(!p)) return NULL;
            p++;
        } else if (c == '{' || c == '[') {
            if (VG_UNLIKELY(depth0 + depth + 1 > VG_JSON_MAX_DEPTH)) return NULL;
            bool obj = c == '{';
            if (obj) kinds |= (uint64_t)1 << depth;
            else kinds &= ~((uint64_t)1 << depth);
            depth++;
            p++;
            if (p < end && VG_UNLIKELY(is_ws(*p))) p = skip_ws(p, end);
            if (VG_UNLIKELY(p >= end)) return NULL;
            if (*p == (obj ? '}' : ']')) {
                p++;
                depth--;
                goto after_value;
            }
            if (obj) goto key;
            continue;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            p = scan_number(s, p, NULL);
            if (VG_UNLIKELY(!p)) return NULL;
        } else {
            p = scan_literal(s, p, NULL);
            if (VG_UNLIKELY(!p)) return NULL;
        }
    after_value:
        if (depth == 0) return p;
        if (p < end && VG_UNLIKELY(is_ws(*p))) p = skip_ws(p, end);
        if (VG_UNLIKELY(p >= end)) return NULL;
        if (*p == ',') {
            p++;
            if (p < end && VG_UNLIKELY(is_ws(*p))) p = skip_ws(p, end);
            if (!((kinds >> (depth - 1)) & 1)) continue;
            goto key;
        }
        if (*p == (((kinds >> (depth - 1)) & 1) ? '}' : ']')) {
            p++;
            depth--;
            goto after_value;
        }
        return NULL;
    key: /* p: after '{' or ',' and whitespace, in an object */
        if (VG_UNLIKELY(p >= end || *p != '"')) return NULL;
        p = string_end_win(s, &w, p + 1);
        if (VG_UNLIKELY(!p)) return NULL;
        p++;
        if (p < end && VG_UNLIKELY(is_ws(*p))) p = skip_ws(p, end);
        if (VG_UNLIKELY(p >= end || *p != ':')) return NULL;
        p++;
        if (p < end && VG_UNLIKELY(is_ws(*p))) p = skip_ws(p, end);
    }
}

static const char *skip_value(struct scan *s, const char *p, unsigned depth0)
{
    if (VG_LIKELY(atomic_load_explicit(&impl_level, memory_order_relaxed) > 0)) {
        const char *e = skip_fast(s, p, depth0);
        if (VG_LIKELY(e != NULL)) return e;
    }
    return skip_value_ref(s, p, depth0);
}

int vg_json_value_end(const char *buf, size_t len, size_t *end, struct vg_err *err)
{
    struct scan s = {buf, buf + len, err, VG_EPARSE};
    const char *p = skip_ws(buf, s.end);
    if (p >= s.end) {
        *end = len;
        return fail_at(&s, p, VG_EPARSE, "no value");
    }
    const char *e = skip_value(&s, p, 0);
    if (!e) {
        *end = len;
        return s.code;
    }
    *end = (size_t)(e - buf);
    return 0;
}

int vg_json_validate(const char *buf, size_t len, struct vg_err *err)
{
    size_t e;
    int rc = vg_json_value_end(buf, len, &e, err);
    if (rc) return rc;
    struct scan s = {buf, buf + len, err, 0};
    if (skip_ws(buf + e, s.end) != s.end) return fail_at(&s, skip_ws(buf + e, s.end), VG_EPARSE, "trailing garbage");
    return 0;
}

/* ---- record iterator ------------------------------------------------- */

void vg_json_iter_init(struct vg_json_iter *it, const char *buf, size_t len)
{
    it->buf = buf;
    it->len = len;
    it->pos = 0;
    it->mode = 0;
    it->index = 0;
}

int vg_json_iter_next(struct vg_json_iter *it, const char **rec, size_t *rec_len, struct vg_err *err)
{
    struct scan s = {it->buf, it->buf + it->len, err, VG_EPARSE};
    const char *p = it->buf + it->pos;
    if (it->mode == 3) return 0;
    if (it->mode == 0) {
        if (it->len >= 3 && memcmp(it->buf, "\xEF\xBB\xBF", 3) == 0) p += 3;
        p = skip_ws(p, s.end);
        if (p < s.end && *p == '[') {
            it->mode = 1;
            p = skip_ws(p + 1, s.end);
            if (p < s.end && *p == ']') {
                p = skip_ws(p + 1, s.end);
                it->mode = 3;
                it->pos = (size_t)(p - it->buf);
                if (p != s.end) return fail_at(&s, p, VG_EPARSE, "trailing garbage after array");
                return 0;
            }
        } else {
            it->mode = 2;
        }
    } else if (it->mode == 1) {
        p = skip_ws(p, s.end);
        if (p < s.end && *p == ']') {
            p = skip_ws(p + 1, s.end);
            it->mode = 3;
            it->pos = (size_t)(p - it->buf);
            if (p != s.end) return fail_at(&s, p, VG_EPARSE, "trailing garbage after array");
            return 0;
        }
        if (p >= s.end || *p != ',') {
            it->mode = 3;
            it->pos = (size_t)(p - it->buf);
            return fail_at(&s, p, VG_EPARSE, "expected ',' or ']' between records");
        }
        p = skip_ws(p + 1, s.end);
    }
    if (it->mode == 2) {
        p = skip_ws(p, s.end);
        if (p >= s.end) {
            it->mode = 3;
            it->pos = it->len;
            return 0;
        }
    }
    const char *e = skip_value(&s, p, it->mode == 1 ? 1 : 0);
    if (!e) {
        it->mode = 3;
        it->pos = (size_t)(p - it->buf);
        return s.code;
    }
    *rec = p;
    *rec_len = (size_t)(e - p);
    it->pos = (size_t)(e - it->buf);
    it->index++;
    return 1;
}

/* ---- per-thread key cache ------------------------------------------- */

/* 2-way set associative; a set is two adjacent entries. Keys of at most 16
 * bytes are compared through the two words that also feed the hash (they
 * cover every byte), longer ones with memcmp. */
#define KC_SETS 1024u

struct kc_ent {
    uint64_t a, b;     /* key words (see key_words) */
    const char *k;     /* key bytes inside the interned name (static lifetime), NULL = empty */
    uint32_t parent;
    uint32_t fid;
    uint32_t klen;
    uint32_t age;      /* which way to evict */
};

static _Thread_local struct kc_ent kcache[KC_SETS * 2];

/* Two words that together hold every byte of a key of <= 16 bytes. */
static inline void key_words(const char *k, size_t n, uint64_t *a, uint64_t *b)
{
    if (n >= 8) {
        memcpy(a, k, 8);
        memcpy(b, k + n - 8, 8);
    } else if (n >= 4) {
        uint32_t x, y;
        memcpy(&x, k, 4);
        memcpy(&y, k + n - 4, 4);
        *a = x;
        *b = y;
    } else {
        *a = n ? (uint64_t)(unsigned char)k[0] | ((uint64_t)(unsigned char)k[n / 2] << 8) |
                     ((uint64_t)(unsigned char)k[n - 1] << 16)
               : 0;
        *b = 0;
    }
}

static inline uint32_t key_set(uint32_t parent, size_t n, uint64_t a, uint64_t b)
{
    uint64_t h = (a ^ ((uint64_t)parent << 32 | n)) * 0x9E3779B97F4A7C15ull;
    h ^= (b + n) * 0xC2B2AE3D27D4EB4Full;
    h ^= h >> 29;
    return (uint32_t)h & (KC_SETS - 1);
}

static inline bool kc_hit(const struct kc_ent *e, uint32_t parent, const char *key, size_t klen, uint64_t a, uint64_t b)
{
    if (e->parent != parent || e->klen != klen || e->a != a || e->b != b || !e->k) return false;
    return klen <= 16 || memcmp(e->k + 8, key + 8, klen - 16) == 0;
}

static __attribute__((noinline)) uint32_t child_fid_miss(struct kc_ent *set, uint32_t parent, const char *key, size_t klen, uint64_t a, uint64_t b)
{
    char name[256];
    size_t n = 0;
    if (parent != VG_JSON_ROOT) {
        size_t pl;
        const char *pn = vg_fid_name(parent, &pl);
        if (!pn || pl + 1 + klen > 255) return UINT32_MAX;
        memcpy(name, pn, pl);
        name[pl] = '.';
        n = pl + 1;
    } else if (klen > 255) {
        return UINT32_MAX;
    }
    memcpy(name + n, key, klen);
    n += klen;
    uint32_t fid = vg_fid(name, n);
    if (fid == UINT32_MAX) return fid;
    size_t nl;
    const char *stored = vg_fid_name(fid, &nl);
    if (stored && nl >= klen) {
        struct kc_ent *e = !set[0].k ? &set[0] : !set[1].k ? &set[1] : &set[set[0].age & 1];
        set[0].age++;
        e->k = stored + nl - klen;
        e->a = a;
        e->b = b;
        e->parent = parent;
        e->fid = fid;
        e->klen = (uint32_t)klen;
    }
    return fid;
}

static inline __attribute__((always_inline)) uint32_t child_fid(uint32_t parent, const char *key, size_t klen)
{
    if (VG_UNLIKELY(parent == UINT32_MAX || klen == 0 || klen > 255)) return UINT32_MAX;
    uint64_t a, b;
    key_words(key, klen, &a, &b);
    struct kc_ent *set = &kcache[key_set(parent, klen, a, b) * 2];
    if (VG_LIKELY(kc_hit(&set[0], parent, key, klen, a, b))) return set[0].fid;
    if (kc_hit(&set[1], parent, key, klen, a, b)) return set[1].fid;
    return child_fid_miss(set, parent, key, klen, a, b);
}

uint32_t vg_json_child_fid(uint32_t parent, const char *key, size_t klen)
{
    return child_fid(parent, key, klen);
}

/* ---- flattening ------------------------------------------------------ */

struct walker {
    struct scan s;
    bool fast;      /* impl_level > 0: the one-pass unescape */
    bool uesc;      /* the last string unescaped held a \uXXXX escape */
    struct vg_arena *arena;
    vg_json_leaf_fn fn;
    void *ctx;
    uint32_t nfields, max_fields;
    uint32_t path[VG_JSON_MAX_DEPTH + 2]; /* path[d] = id of the object at depth d (path[0] = ROOT) */
};

static int emit(struct walker *w, struct vg_json_leaf *lf)
{
    if (VG_UNLIKELY(++w->nfields > w->max_fields)) {
        return vg_err_set(w->s.err, VG_ETOOBIG, "json: more than %u fields", w->max_fields);
    }
    return w->fn(w->ctx, lf);
}

/* One pass over a string with escapes: validates and unescapes into the
 * arena, for strings whose first special byte (at f; b is just after the
 * opening quote) is a backslash, the Windows path case. The text is copied
 * 16 bytes at a time into a stack buffer up to the next special byte, so a
 * path costs about one block scan per escape instead of the two passes of
 * scan_string + unescape. Returns the closing quote, or NULL when the
 * string is longer than the buffer or invalid: the caller then runs the
 * exact two-pass path (same output, and the exact error). */
#define ONEPASS_MAX 2048
static __attribute__((noinline)) const char *scan_unescape(struct walker *w, const char *b, const char *f,
                                                           const char **out, uint32_t *n)
{
    char buf[ONEPASS_MAX + 16];
    const char *end = w->s.end;
    size_t pre = (size_t)(f - b);
    if (pre > ONEPASS_MAX) return NULL;
    memcpy(buf, b, pre);
    char *d = buf + pre, *dlim = buf + ONEPASS_MAX; /* d + 16 stays inside buf while d <= dlim */
    for (;;) {
        /* f (< end): a special byte; at most 4 bytes are written for it */
        if (d > dlim) return NULL;
        unsigned char c = (unsigned char)*f;
        if (c == '"') break;
        if (c == '\\') {
            if (end - f < 2) return NULL;
            char e = f[1];
            switch (e) {
            case '"': case '\\': case '/': *d++ = e; f += 2; break;
            case 'b': *d++ = '\b'; f += 2; break;
            case 'f': *d++ = '\f'; f += 2; break;
            case 'n': *d++ = '\n'; f += 2; break;
            case 'r': *d++ = '\r'; f += 2; break;
            case 't': *d++ = '\t'; f += 2; break;
            case 'u': {
                unsigned u, lo;
                w->uesc = true;
                if (hex4(f + 2, end, &u)) return NULL;
                f += 6;
                if (u >= 0xDC00 && u <= 0xDFFF) return NULL;
                if (u >= 0xD800 && u <= 0xDBFF) {
                    if (end - f < 6 || f[0] != '\\' || f[1] != 'u' || hex4(f + 2, end, &lo) || lo < 0xDC00 || lo > 0xDFFF)
                        return NULL;
                    f += 6;
                    u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
                }
                d += put_utf8(d, u);
                break;
            }
            default: return NULL;
            }
        } else if (c >= 0x80) {
            size_t k = utf8_len((const unsigned char *)f, (const unsigned char *)end);
            if (!k) return NULL;
            memcpy(d, f, k);
            d += k;
            f += k;
        } else if (c < 0x20) {
            return NULL;
        }
        /* copy the run up to the next special byte (16 bytes a store) */
        for (;;) {
            if (d > dlim) return NULL;
#if defined(__SSE2__)
            if (end - f >= 16) {
                const __m128i q16 = _mm_set1_epi8('"'), bs16 = _mm_set1_epi8('\\'), sp16 = _mm_set1_epi8(0x20);
                __m128i v = _mm_loadu_si128((const __m128i *)(const void *)f);
                _mm_storeu_si128((__m128i *)(void *)d, v);
                __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, q16), _mm_cmpeq_epi8(v, bs16)), _mm_cmplt_epi8(v, sp16));
                unsigned mask = (unsigned)_mm_movemask_epi8(m);
                if (mask) {
                    unsigned k = (unsigned)__builtin_ctz(mask);
                    f += k;
                    d += k;
                    break;
                }
                f += 16;
                d += 16;
                continue;
            }
#endif
            if (f >= end) return NULL; /* unterminated */
            unsigned char x = (unsigned char)*f;
            if (x == '"' || x == '\\' || x < 0x20 || x >= 0x80) break;
            *d++ = (char)x;
            f++;
        }
    }
    size_t len = (size_t)(d - buf);
    char *u = vg_arena_alloc(w->arena, len + 1);
    if (!u) return NULL; /* the two-pass path reports it */
    memcpy(u, buf, len);
    u[len] = 0;
    *out = u;
    *n = (uint32_t)len;
    return f;
}

/* Reads a string at p (pointing at the opening quote) into out and n (zero
 * copy, or unescaped into the arena; w->uesc set when a \uXXXX escape was
 * among the escapes). Returns the byte after the closing quote or NULL
 * with *rc set. */
static inline __attribute__((always_inline)) const char *read_string(struct walker *w, const char *p,
                                                                     const char **out, uint32_t *n, int *rc)
{
    bool esc = false;
    const char *from = p + 1;
#if defined(__SSE2__)
    /* Fast path: plain ASCII up to the closing quote, found 16 bytes at a
     * time without leaving this function. Anything else goes through
     * scan_string from the first byte that needs a look. */
    const char *end = w->s.end;
    const __m128i q16 = _mm_set1_epi8('"'), bs16 = _mm_set1_epi8('\\'), sp16 = _mm_set1_epi8(0x20);
    while (end - from >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)from);
        __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, q16), _mm_cmpeq_epi8(v, bs16)), _mm_cmplt_epi8(v, sp16));
        unsigned mask = (unsigned)_mm_movemask_epi8(m);
        if (mask) {
            from += __builtin_ctz(mask);
            if (VG_LIKELY(*from == '"')) {
                *out = p + 1;
                *n = (uint32_t)(from - (p + 1));
                return from + 1;
            }
            break;
        }
        from += 16;
    }
#endif
    if (from < w->s.end && *from == '\\' && w->fast) {
        const char *q1 = scan_unescape(w, p + 1, from, out, n);
        if (VG_LIKELY(q1 != NULL)) return q1 + 1;
    }
    const char *q = scan_string(&w->s, from, &esc);
    if (VG_UNLIKELY(!q)) { *rc = w->s.code; return NULL; }
    size_t len = (size_t)(q - (p + 1));
    if (len > UINT32_MAX) { *rc = fail_at(&w->s, p, VG_ETOOBIG, "string too long"); return NULL; }
    if (VG_UNLIKELY(esc)) {
        size_t ul;
        char *u = unescape(w->arena, p + 1, len, w->s.end, &ul, &w->uesc);
        if (!u) { *rc = vg_err_set(w->s.err, VG_ENOMEM, "json: out of memory"); return NULL; }
        *out = u;
        *n = (uint32_t)ul;
    } else {
        *out = p + 1;
        *n = (uint32_t)len;
    }
    return q + 1;
}

/* Array value at p ('['): list of scalar texts, or raw JSON text when any
 * element is an object or array. */
static const char *walk_array(struct walker *w, const char *p, unsigned depth, struct vg_json_leaf *lf, int *rc)
{
    const char *start = p, *end = w->s.end;
    if (depth + 1 > VG_JSON_MAX_DEPTH) { *rc = fail_at(&w->s, p, VG_EPARSE, "nesting too deep"); return NULL; }
    struct vg_str local[32];
    struct vg_str *items = local;
    size_t n = 0, cap = VG_ARRAY_LEN(local);
    p = skip_ws(p + 1, end);
    if (p < end && *p == ']') {
        p++;
        goto done;
    }
    for (;;) {
        if (p >= end) { *rc = fail_at(&w->s, p, VG_EPARSE, "unexpected end of input"); return NULL; }
        char c = *p;
        struct vg_str it;
        if (c == '"') {
            p = read_string(w, p, &it.s, &it.len, rc);
            if (!p) return NULL;
        } else if (c == '{' || c == '[') {
            /* containers inside: keep the whole array as raw text */
            const char *e = skip_value(&w->s, start, depth);
            if (!e) { *rc = w->s.code; return NULL; }
            lf->raw_json = true;
            lf->v.type = VG_V_STR;
            lf->v.u.s = start;
            lf->v.len = (uint32_t)(e - start);
            return e;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            const char *e = scan_number(&w->s, p, NULL);
            if (!e) { *rc = w->s.code; return NULL; }
            it.s = p;
            it.len = (uint32_t)(e - p);
            p = e;
        } else {
            struct vg_value v;
            const char *e = scan_literal(&w->s, p, &v);
            if (!e) { *rc = w->s.code; return NULL; }
            it.s = p;
            it.len = (uint32_t)(e - p);
            p = e;
        }
        if (n == cap) {
            size_t nc = cap * 2;
            struct vg_str *ni = vg_arena_alloc(w->arena, nc * sizeof *ni);
            if (!ni) { *rc = vg_err_set(w->s.err, VG_ENOMEM, "json: out of memory"); return NULL; }
            memcpy(ni, items, n * sizeof *ni);
            items = ni;
            cap = nc;
        }
        items[n++] = it;
        p = skip_ws(p, end);
        if (p < end && *p == ',') {
            p = skip_ws(p + 1, end);
            continue;
        }
        if (p < end && *p == ']') {
            p++;
            break;
        }
        *rc = fail_at(&w->s, p, VG_EPARSE, "expected ',' or ']'");
        return NULL;
    }
done:
    if (items == local && n) {
        items = vg_arena_alloc(w->arena, n * sizeof *items);
        if (!items) { *rc = vg_err_set(w->s.err, VG_ENOMEM, "json: out of memory"); return NULL; }
        memcpy(items, local, n * sizeof *items);
    }
    lf->v.type = VG_V_LIST;
    lf->v.u.list = n ? items : NULL;
    lf->v.len = (uint32_t)n;
    return p;
}

/* Object at p ('{') at nesting depth `depth` (1 = top level). Its own id is
 * path[depth - 1]; its keys get ids child_fid(that id, key). */
static const char *walk_object(struct walker *w, const char *p, unsigned depth, int *rc)
{
    const char *end = w->s.end;
    if (depth > VG_JSON_MAX_DEPTH) { *rc = fail_at(&w->s, p, VG_EPARSE, "nesting too deep"); return NULL; }
    uint32_t self = w->path[depth - 1];
    p = skip_ws(p + 1, end);
    if (p < end && *p == '}') return p + 1;
    for (;;) {
        if (VG_UNLIKELY(p >= end || *p != '"')) { *rc = fail_at(&w->s, p, VG_EPARSE, "expected a key"); return NULL; }
        struct vg_json_leaf lf;
        p = read_string(w, p, &lf.key, &lf.klen, rc);
        if (VG_UNLIKELY(!p)) return NULL;
        if (VG_LIKELY(p < end && *p == ':')) p++;
        else {
            p = skip_ws(p, end);
            if (p >= end || *p != ':') { *rc = fail_at(&w->s, p, VG_EPARSE, "expected ':'"); return NULL; }
            p++;
        }
        p = skip_ws(p, end);
        if (VG_UNLIKELY(p >= end)) { *rc = fail_at(&w->s, p, VG_EPARSE, "unexpected end of input"); return NULL; }
        lf.fid = child_fid(self, lf.key, lf.klen);
        lf.parent = self;
        lf.grandparent = depth >= 2 ? w->path[depth - 2] : UINT32_MAX;
        lf.depth = depth;
        lf.raw_json = false;
        lf.unesc = false;
        char c = *p;
        if (c == '"') {
            const char *open = p;
            lf.v.type = VG_V_STR;
            w->uesc = false;
            p = read_string(w, p, &lf.v.u.s, &lf.v.len, rc);
            if (VG_UNLIKELY(!p)) return NULL;
            /* unescaped into a copy: note whether every escape was a
             * two-character one (consumers may then find its literals in
             * the raw text between the characters the escapes produce) */
            if (lf.v.u.s < open || lf.v.u.s >= p) lf.unesc = !w->uesc;
        } else if (c == '{') {
            w->path[depth] = lf.fid;
            p = walk_object(w, p, depth + 1, rc);
            if (!p) return NULL;
            goto next;
        } else if (c == '[') {
            p = walk_array(w, p, depth, &lf, rc);
            if (!p) return NULL;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            p = scan_number(&w->s, p, &lf.v);
            if (VG_UNLIKELY(!p)) { *rc = w->s.code; return NULL; }
        } else {
            p = scan_literal(&w->s, p, &lf.v);
            if (VG_UNLIKELY(!p)) { *rc = w->s.code; return NULL; }
        }
        if (VG_UNLIKELY((*rc = emit(w, &lf)) != 0)) return NULL;
    next:
        if (VG_LIKELY(p < end && *p == ',')) {
            p = skip_ws(p + 1, end);
            continue;
        }
        p = skip_ws(p, end);
        if (p < end && *p == ',') {
            p = skip_ws(p + 1, end);
            continue;
        }
        if (p < end && *p == '}') return p + 1;
        *rc = fail_at(&w->s, p, VG_EPARSE, "expected ',' or '}'");
        return NULL;
    }
}

int vg_json_flatten(const char *buf, size_t len, struct vg_arena *arena, const struct vg_json_opts *opts,
                    vg_json_leaf_fn fn, void *ctx, struct vg_err *err)
{
    struct walker w;
    w.s.base = buf;
    w.s.end = buf + len;
    w.s.err = err;
    w.s.code = VG_EPARSE;
    w.arena = arena;
    w.fn = fn;
    w.ctx = ctx;
    w.nfields = 0;
    w.max_fields = opts && opts->max_fields ? opts->max_fields : VG_JSON_MAX_FIELDS;
    w.fast = atomic_load_explicit(&impl_level, memory_order_relaxed) > 0;
    w.uesc = false;
    w.path[0] = VG_JSON_ROOT;
    const char *p = skip_ws(buf, w.s.end);
    if (p >= w.s.end || *p != '{') {
        if (p < w.s.end && skip_value(&w.s, p, 0) == NULL) return w.s.code;
        return fail_at(&w.s, p, VG_EFORMAT, "top-level value is not an object");
    }
    int rc = 0;
    p = walk_object(&w, p, 1, &rc);
    if (!p) return rc ? rc : VG_EPARSE;
    p = skip_ws(p, w.s.end);
    if (p != w.s.end) return fail_at(&w.s, p, VG_EPARSE, "trailing garbage");
    return 0;
}
