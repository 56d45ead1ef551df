/* A pull JSON scanner (RFC 8259) over a buffer: tokens one at a time, no
 * tree, so a tracker file of tens of MB costs its own size plus what the
 * importer keeps. Strict: control characters and invalid UTF-8 in strings,
 * lone surrogates, bad numbers and trailing garbage are errors with line and
 * column. Nesting is bounded by the callers (VG_VULN_MAX_DEPTH). */
#include "internal.h"

void vg__js_init(struct vg__jscan *js, const char *data, size_t n, const char *name, struct vg_err *err)
{
    memset(js, 0, sizeof *js);
    js->base = js->p = data ? data : "";
    js->end = js->base + (data ? n : 0);
    js->name = name ? name : "json";
    js->s.cap_limit = 16u << 20;
    js->err = err;
}

void vg__js_release(struct vg__jscan *js) { vg_buf_release(&js->s); }

int vg__js_fail(struct vg__jscan *js, const char *fmt, ...)
{
    int line = 1, col = 1;
    for (const char *q = js->base; q < js->p && q < js->end; q++) {
        if (*q == '\n') { line++; col = 1; }
        else col++;
    }
    char msg[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    int rc = vg_err_set(js->err, VG_EPARSE, "%s:%d:%d: %s", js->name, line, col, msg);
    if (js->err) { js->err->line = line; js->err->col = col; }
    return rc;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if ((c | 32) >= 'a' && (c | 32) <= 'f') return (c | 32) - 'a' + 10;
    return -1;
}

static int hex4(const char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(p[i]);
        if (h < 0) return -1;
        v = v * 16 + h;
    }
    return v;
}

static int put_utf8(struct vg_buf *b, uint32_t cp)
{
    char o[4];
    size_t n;
    if (cp < 0x80) { o[0] = (char)cp; n = 1; }
    else if (cp < 0x800) { o[0] = (char)(0xc0 | (cp >> 6)); o[1] = (char)(0x80 | (cp & 63)); n = 2; }
    else if (cp < 0x10000) {
        o[0] = (char)(0xe0 | (cp >> 12)); o[1] = (char)(0x80 | ((cp >> 6) & 63)); o[2] = (char)(0x80 | (cp & 63)); n = 3;
    } else {
        o[0] = (char)(0xf0 | (cp >> 18)); o[1] = (char)(0x80 | ((cp >> 12) & 63));
        o[2] = (char)(0x80 | ((cp >> 6) & 63)); o[3] = (char)(0x80 | (cp & 63)); n = 4;
    }
    return vg_buf_add(b, o, n);
}

static int scan_string(struct vg__jscan *js)
{
    vg_buf_reset(&js->s);
    const char *p = js->p + 1; /* after the quote */
    for (;;) {
        const char *run = p;
        while (p < js->end && *p != '"' && *p != '\\' && (unsigned char)*p >= 0x20) p++;
        if (p > run) {
            if (!vg_utf8_valid(run, (size_t)(p - run))) { js->p = run; return vg__js_fail(js, "invalid UTF-8 in string"); }
            int rc = vg_buf_add(&js->s, run, (size_t)(p - run));
            if (rc) { js->p = run; return rc == VG_ENOMEM ? vg_err_set(js->err, VG_ENOMEM, "out of memory")
                                                          : vg__js_fail(js, "string too long"); }
        }
        if (p >= js->end) { js->p = p; return vg__js_fail(js, "unterminated string"); }
        if (*p == '"') { js->p = p + 1; break; }
        if ((unsigned char)*p < 0x20) { js->p = p; return vg__js_fail(js, "control character in string"); }
        /* escape */
        if (p + 1 >= js->end) { js->p = p; return vg__js_fail(js, "unterminated string"); }
        char c = p[1], out = 0;
        switch (c) {
        case '"': out = '"'; break;
        case '\\': out = '\\'; break;
        case '/': out = '/'; break;
        case 'b': out = '\b'; break;
        case 'f': out = '\f'; break;
        case 'n': out = '\n'; break;
        case 'r': out = '\r'; break;
        case 't': out = '\t'; break;
        case 'u': {
            if (js->end - p < 6 || hex4(p + 2) < 0) { js->p = p; return vg__js_fail(js, "bad \\u escape"); }
            uint32_t cp = (uint32_t)hex4(p + 2);
            p += 6;
            if (cp >= 0xdc00 && cp <= 0xdfff) { js->p = p - 6; return vg__js_fail(js, "lone low surrogate"); }
            if (cp >= 0xd800 && cp <= 0xdbff) {
                if (js->end - p < 6 || p[0] != '\\' || p[1] != 'u' || hex4(p + 2) < 0xdc00 || hex4(p + 2) > 0xdfff) {
                    js->p = p - 6;
                    return vg__js_fail(js, "lone high surrogate");
                }
                cp = 0x10000 + ((cp - 0xd800) << 10) + ((uint32_t)hex4(p + 2) - 0xdc00);
                p += 6;
            }
            int rc = put_utf8(&js->s, cp);
            if (rc) return rc == VG_ENOMEM ? vg_err_set(js->err, VG_ENOMEM, "out of memory") : vg__js_fail(js, "string too long");
            continue;
        }
        default: js->p = p; return vg__js_fail(js, "bad escape '\\%c'", (c >= 0x20 && c < 0x7f) ? c : '?');
        }
        int rc = vg_buf_addc(&js->s, out);
        if (rc) return rc == VG_ENOMEM ? vg_err_set(js->err, VG_ENOMEM, "out of memory") : vg__js_fail(js, "string too long");
        p += 2;
    }
    if (!js->s.data && vg_buf_add(&js->s, "", 0) != 0) return vg_err_set(js->err, VG_ENOMEM, "out of memory");
    return VG__J_STR;
}

static bool digit(const char *p, const char *end) { return p < end && *p >= '0' && *p <= '9'; }

static int scan_number(struct vg__jscan *js)
{
    const char *p = js->p;
    if (*p == '-') p++;
    if (!digit(p, js->end)) return vg__js_fail(js, "bad number");
    if (*p == '0') p++;
    else while (digit(p, js->end)) p++;
    if (p < js->end && *p == '.') {
        p++;
        if (!digit(p, js->end)) { js->p = p; return vg__js_fail(js, "bad number"); }
        while (digit(p, js->end)) p++;
    }
    if (p < js->end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < js->end && (*p == '+' || *p == '-')) p++;
        if (!digit(p, js->end)) { js->p = p; return vg__js_fail(js, "bad number"); }
        while (digit(p, js->end)) p++;
    }
    js->p = p;
    return VG__J_NUM;
}

static int scan_word(struct vg__jscan *js, const char *w, int tok)
{
    size_t n = strlen(w);
    if ((size_t)(js->end - js->p) < n || memcmp(js->p, w, n) != 0) return vg__js_fail(js, "unexpected character");
    js->p += n;
    return tok;
}

static void skip_ws(struct vg__jscan *js)
{
    while (js->p < js->end && (*js->p == ' ' || *js->p == '\t' || *js->p == '\n' || *js->p == '\r')) js->p++;
}

int vg__js_next(struct vg__jscan *js)
{
    skip_ws(js);
    if (js->p >= js->end) return VG__J_EOF;
    switch (*js->p) {
    case '{': js->p++; return VG__J_OBJ;
    case '}': js->p++; return VG__J_OBJ_END;
    case '[': js->p++; return VG__J_ARR;
    case ']': js->p++; return VG__J_ARR_END;
    case ':': js->p++; return VG__J_COLON;
    case ',': js->p++; return VG__J_COMMA;
    case '"': return scan_string(js);
    case 't': return scan_word(js, "true", VG__J_TRUE);
    case 'f': return scan_word(js, "false", VG__J_FALSE);
    case 'n': return scan_word(js, "null", VG__J_NULL);
    default:
        if (*js->p == '-' || (*js->p >= '0' && *js->p <= '9')) return scan_number(js);
        return vg__js_fail(js, "unexpected character");
    }
}

int vg__js_key(struct vg__jscan *js, bool *first)
{
    int t = vg__js_next(js);
    if (t < 0) return t;
    if (t == VG__J_OBJ_END) return 0;
    if (!*first) {
        if (t != VG__J_COMMA) return vg__js_fail(js, t == VG__J_EOF ? "unexpected end of input" : "expected ',' or '}'");
        if ((t = vg__js_next(js)) < 0) return t;
    }
    *first = false;
    if (t != VG__J_STR) return vg__js_fail(js, t == VG__J_EOF ? "unexpected end of input" : "expected a string key");
    int c = vg__js_next(js);
    if (c < 0) return c;
    if (c != VG__J_COLON) return vg__js_fail(js, "expected ':'");
    return 1;
}

int vg__js_elem(struct vg__jscan *js, bool *first)
{
    int t = vg__js_next(js);
    if (t < 0) return t;
    if (t == VG__J_ARR_END) {
        if (*first) return 0;
        return vg__js_fail(js, "expected a value after ','");
    }
    if (!*first) {
        if (t != VG__J_COMMA) return vg__js_fail(js, "expected ',' or ']'");
        if ((t = vg__js_next(js)) < 0) return t;
    }
    *first = false;
    if (t == VG__J_EOF) return vg__js_fail(js, "unexpected end of input");
    return t;
}

int vg__js_skip(struct vg__jscan *js, int tok, int depth)
{
    if (depth > VG_VULN_MAX_DEPTH) return vg__js_fail(js, "nested deeper than %d", VG_VULN_MAX_DEPTH);
    switch (tok) {
    case VG__J_STR: case VG__J_NUM: case VG__J_TRUE: case VG__J_FALSE: case VG__J_NULL:
        return 0;
    case VG__J_OBJ: {
        bool first = true;
        int k;
        while ((k = vg__js_key(js, &first)) == 1) {
            int t = vg__js_next(js);
            if (t < 0) return t;
            if ((t = vg__js_skip(js, t, depth + 1)) < 0) return t;
        }
        return k;
    }
    case VG__J_ARR: {
        bool first = true;
        int t;
        while ((t = vg__js_elem(js, &first)) > 0)
            if ((t = vg__js_skip(js, t, depth + 1)) < 0) return t;
        return t;
    }
    case VG__J_EOF: return vg__js_fail(js, "unexpected end of input");
    default: return vg__js_fail(js, "expected a value");
    }
}

int vg__js_end(struct vg__jscan *js)
{
    skip_ws(js);
    if (js->p < js->end) return vg__js_fail(js, "trailing data after the JSON value");
    return 0;
}
