/* Ingest body splitting and strict JSON validation for POST /api/v1/ingest.
 * A body is either one JSON array of objects or JSON lines. Each record is
 * validated on its own, without allocating, so one bad record (truncated,
 * binary, invalid UTF-8, too deep, too big) is rejected with a reason while
 * its neighbours are kept. The validator follows the RFC 8259 grammar and
 * additionally rejects lone UTF-16 surrogates in \u escapes, which no
 * downstream consumer can represent. Fuzzed by fuzz/fuzz_ingest_body.c. */
#include "internal.h"

struct vstate {
    const unsigned char *p, *end, *start;
    int max_depth;
    char *why;
    size_t whysz;
    bool failed;
};

static bool fail(struct vstate *s, const unsigned char *at, const char *what)
{
    if (!s->failed) {
        size_t off = (size_t)(at - s->start);
        if (at >= s->end) snprintf(s->why, s->whysz, "%s at end of record (byte %zu): truncated JSON", what, off);
        else if (*at >= 0x20 && *at < 0x7f)
            snprintf(s->why, s->whysz, "%s at byte %zu ('%c')", what, off, *at);
        else snprintf(s->why, s->whysz, "%s at byte %zu (0x%02x)", what, off, *at);
        s->failed = true;
    }
    return false;
}

static void skip_ws(struct vstate *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r')) s->p++;
}

/* Length of a well-formed UTF-8 sequence at p (lead byte >= 0x80), or 0. */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
    size_t avail = (size_t)(end - p);
    unsigned c = p[0];
    if (c >= 0xc2 && c <= 0xdf) return avail >= 2 && (p[1] & 0xc0) == 0x80 ? 2 : 0;
    if (c >= 0xe0 && c <= 0xef) {
        if (avail < 3 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80) return 0;
        if (c == 0xe0 && p[1] < 0xa0) return 0;  /* overlong */
        if (c == 0xed && p[1] > 0x9f) return 0;  /* UTF-16 surrogate */
        return 3;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        if (avail < 4 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80) return 0;
        if (c == 0xf0 && p[1] < 0x90) return 0;  /* overlong */
        if (c == 0xf4 && p[1] > 0x8f) return 0;  /* above U+10FFFF */
        return 4;
    }
    return 0;
}

static int hex4(const unsigned char *p, const unsigned char *end)
{
    if (end - p < 4) return -1;
    int v = 0;
    for (int i = 0; i < 4; i++) {
        int c = p[i], d;
        if (c >= '0' && c <= '9') d = c - '0';
        else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
        else return -1;
        v = v * 16 + d;
    }
    return v;
}

static bool v_string(struct vstate *s)
{
    const unsigned char *open = s->p;
    s->p++; /* opening quote */
    while (s->p < s->end) {
        unsigned c = *s->p;
        if (c == '"') { s->p++; return true; }
        if (c < 0x20) return fail(s, s->p, "control character in string");
        if (c == '\\') {
            if (s->p + 1 >= s->end) return fail(s, s->end, "unterminated escape");
            unsigned e = s->p[1];
            if (e == 'u') {
                int u = hex4(s->p + 2, s->end);
                if (u < 0) return fail(s, s->p, "invalid \\u escape");
                s->p += 6;
                if (u >= 0xd800 && u <= 0xdbff) {
                    int lo = (s->end - s->p >= 6 && s->p[0] == '\\' && s->p[1] == 'u') ? hex4(s->p + 2, s->end) : -1;
                    if (lo < 0xdc00 || lo > 0xdfff) return fail(s, s->p - 6, "lone UTF-16 surrogate in \\u escape");
                    s->p += 6;
                } else if (u >= 0xdc00 && u <= 0xdfff) {
                    return fail(s, s->p - 6, "lone UTF-16 surrogate in \\u escape");
                }
                continue;
            }
            if (!strchr("\"\\/bfnrt", (int)e) || e == 0) return fail(s, s->p, "invalid escape");
            s->p += 2;
            continue;
        }
        if (c >= 0x80) {
            size_t l = utf8_len(s->p, s->end);
            if (!l) return fail(s, s->p, "invalid UTF-8");
            s->p += l;
            continue;
        }
        s->p++;
    }
    return fail(s, open, "unterminated string starting");
}

static bool digits(struct vstate *s)
{
    const unsigned char *b = s->p;
    while (s->p < s->end && *s->p >= '0' && *s->p <= '9') s->p++;
    return s->p > b;
}

static bool v_number(struct vstate *s)
{
    const unsigned char *b = s->p;
    if (*s->p == '-') s->p++;
    if (s->p < s->end && *s->p == '0') s->p++;
    else if (!digits(s)) return fail(s, b, "invalid number");
    if (s->p < s->end && *s->p == '.') {
        s->p++;
        if (!digits(s)) return fail(s, s->p, "invalid number fraction");
    }
    if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
        s->p++;
        if (s->p < s->end && (*s->p == '+' || *s->p == '-')) s->p++;
        if (!digits(s)) return fail(s, s->p, "invalid number exponent");
    }
    return true;
}

static bool v_lit(struct vstate *s, const char *lit)
{
    size_t l = strlen(lit);
    if ((size_t)(s->end - s->p) < l || memcmp(s->p, lit, l) != 0) return fail(s, s->p, "unexpected character");
    s->p += l;
    return true;
}

static bool v_value(struct vstate *s, int depth);

static bool v_container(struct vstate *s, int depth, bool obj)
{
    if (depth >= s->max_depth) {
        if (!s->failed) snprintf(s->why, s->whysz, "nesting deeper than %d at byte %zu", s->max_depth,
                                 (size_t)(s->p - s->start));
        s->failed = true;
        return false;
    }
    unsigned char close = obj ? '}' : ']';
    s->p++;
    skip_ws(s);
    if (s->p < s->end && *s->p == close) { s->p++; return true; }
    for (;;) {
        if (obj) {
            skip_ws(s);
            if (s->p >= s->end || *s->p != '"') return fail(s, s->p, "expected a string key");
            if (!v_string(s)) return false;
            skip_ws(s);
            if (s->p >= s->end || *s->p != ':') return fail(s, s->p, "expected ':'");
            s->p++;
        }
        if (!v_value(s, depth + 1)) return false;
        skip_ws(s);
        if (s->p >= s->end) return fail(s, s->p, obj ? "unterminated object" : "unterminated array");
        if (*s->p == ',') { s->p++; continue; }
        if (*s->p == close) { s->p++; return true; }
        return fail(s, s->p, obj ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static bool v_value(struct vstate *s, int depth)
{
    skip_ws(s);
    if (s->p >= s->end) return fail(s, s->p, "expected a value");
    switch (*s->p) {
    case '{': return v_container(s, depth, true);
    case '[': return v_container(s, depth, false);
    case '"': return v_string(s);
    case 't': return v_lit(s, "true");
    case 'f': return v_lit(s, "false");
    case 'n': return v_lit(s, "null");
    default:
        if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9')) return v_number(s);
        return fail(s, s->p, "unexpected character");
    }
}

bool vg__api_json_validate(const char *p, size_t n, int max_depth, bool want_object, char *why, size_t whysz)
{
    struct vstate s = {(const unsigned char *)p, (const unsigned char *)p + n, (const unsigned char *)p,
                       max_depth > 0 ? max_depth : 128, why, whysz, false};
    if (whysz) why[0] = 0;
    skip_ws(&s);
    if (want_object && (s.p >= s.end || *s.p != '{')) {
        if (s.p < s.end && (*s.p == '[' || *s.p == '"' || *s.p == '-' || (*s.p >= '0' && *s.p <= '9') ||
                            *s.p == 't' || *s.p == 'f' || *s.p == 'n')) {
            /* Valid JSON of the wrong kind gets a clearer message. */
            struct vstate t = s;
            char tmp[8];
            t.why = tmp;
            t.whysz = sizeof tmp;
            if (v_value(&t, 0)) { snprintf(why, whysz, "record is not a JSON object"); return false; }
        }
        return fail(&s, s.p, "record does not start with '{'");
    }
    if (!v_value(&s, 0)) return false;
    skip_ws(&s);
    if (s.p < s.end) return fail(&s, s.p, "trailing data after the JSON value");
    return true;
}

/* ---- splitting ------------------------------------------------------ */

struct split {
    const struct vg__split_opts *o;
    vg__split_fn fn;
    void *ctx;
    size_t index;
    char why[256];
};

static int emit(struct split *sp, const char *p, size_t len)
{
    /* Trim spaces (and a CR before LF) so raw text is the record alone. */
    while (len && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) { p++; len--; }
    while (len && (p[len - 1] == ' ' || p[len - 1] == '\t' || p[len - 1] == '\r' || p[len - 1] == '\n')) len--;
    if (sp->index >= sp->o->max_records) return VG_ETOOBIG;
    const char *why = NULL;
    if (len > sp->o->max_record) {
        snprintf(sp->why, sizeof sp->why, "record of %zu bytes exceeds the %zu-byte limit", len, sp->o->max_record);
        why = sp->why;
    } else if (len == 0) {
        snprintf(sp->why, sizeof sp->why, "empty record");
        why = sp->why;
    } else if (!vg__api_json_validate(p, len, sp->o->max_depth, true, sp->why, sizeof sp->why)) {
        why = sp->why;
    }
    return sp->fn(sp->ctx, sp->index++, p, len, why);
}

/* Finds the end of one array element starting at p: the ',' or ']' at
 * depth 0 outside strings, or end when the array is truncated. Brackets
 * are only counted (the element is validated separately). */
static const char *element_end(const char *p, const char *end)
{
    long depth = 0;
    bool in_str = false;
    for (; p < end; p++) {
        char c = *p;
        if (in_str) {
            if (c == '\\') { if (p + 1 < end) p++; }
            else if (c == '"') in_str = false;
            continue;
        }
        if (c == '"') in_str = true;
        else if (c == '{' || c == '[') depth++;
        else if (c == '}' || c == ']') {
            if (depth == 0) return p;
            depth--;
        } else if (c == ',' && depth == 0) return p;
    }
    return end;
}

static int split_array(struct split *sp, const char *p, const char *end)
{
    p++; /* '[' */
    for (;;) {
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
        if (p >= end) {
            if (sp->index == 0) {
                snprintf(sp->why, sizeof sp->why, "truncated JSON: array not closed");
                return sp->fn(sp->ctx, sp->index++, p, 0, sp->why);
            }
            return 0; /* the truncation was reported with the last element */
        }
        if (*p == ']' && sp->index == 0) { p++; break; }
        const char *e = element_end(p, end);
        int rc;
        if (e >= end) {
            /* Truncated array: the last element is reported with the cause. */
            size_t len = (size_t)(e - p);
            if (len <= sp->o->max_record && vg__api_json_validate(p, len, sp->o->max_depth, true, sp->why, sizeof sp->why))
                snprintf(sp->why, sizeof sp->why, "truncated JSON: array not closed after this element");
            if (len > sp->o->max_record)
                snprintf(sp->why, sizeof sp->why, "record of %zu bytes exceeds the %zu-byte limit", len,
                         sp->o->max_record);
            if (sp->index >= sp->o->max_records) return VG_ETOOBIG;
            return sp->fn(sp->ctx, sp->index++, p, len > sp->o->max_record ? 0 : len, sp->why);
        }
        if ((rc = emit(sp, p, (size_t)(e - p)))) return rc;
        p = e + 1;
        if (*e == ']') break;
    }
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
    if (p < end) {
        snprintf(sp->why, sizeof sp->why, "trailing data after the JSON array");
        if (sp->index >= sp->o->max_records) return VG_ETOOBIG;
        size_t len = (size_t)(end - p);
        return sp->fn(sp->ctx, sp->index++, p, len > sp->o->max_record ? 0 : len, sp->why);
    }
    return 0;
}

static int split_lines(struct split *sp, const char *p, const char *end)
{
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        const char *q = p;
        while (q < e && (*q == ' ' || *q == '\t' || *q == '\r')) q++;
        if (q < e) {
            int rc = emit(sp, p, (size_t)(e - p));
            if (rc) return rc;
        }
        p = nl ? nl + 1 : end;
    }
    return 0;
}

int vg__api_split_body(const char *body, size_t n, const struct vg__split_opts *o, vg__split_fn fn, void *ctx,
                       size_t *nrec, struct vg_err *err)
{
    struct vg__split_opts def = {1u << 20, 100000, 128};
    struct split sp = {o ? o : &def, fn, ctx, 0, {0}};
    if (nrec) *nrec = 0;
    const char *p = body, *end = body ? body + n : body;
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
    if (p >= end) return vg_err_set(err, VG_EFORMAT, "empty body: expected JSON lines or a JSON array");
    int rc = *p == '[' ? split_array(&sp, p, end) : split_lines(&sp, p, end);
    if (nrec) *nrec = sp.index;
    if (rc == VG_ETOOBIG) return vg_err_set(err, VG_ETOOBIG, "more than %zu records in one request", sp.o->max_records);
    return rc;
}
