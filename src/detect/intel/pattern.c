/* STIX 2.1 patterning subset: parses a pattern fully (syntax errors are
 * rejections), then turns each comparison into an IoC atom. Supported:
 * observation expressions joined by OR, comparison expressions joined by
 * OR, operators = / ISSUBSET / IN over ipv4-addr:value, ipv6-addr:value,
 * domain-name:value, url:value, email-addr:value, network-traffic:
 * (src|dst)_ref.value and file:hashes.(MD5|SHA-1|SHA-256|SHA-512).
 * AND (comparison or observation level), FOLLOWEDBY, NOT and qualifiers
 * reject the whole pattern: a single-event IoC lookup cannot honour them.
 * Other comparisons inside an OR are dropped with a reason. */
#include "internal.h"

#define MAX_CMP 1024
#define MAX_DEPTH 64
#define MAX_VALS 4096

enum tok { T_EOF, T_LB, T_RB, T_LP, T_RP, T_COMMA, T_OP, T_STR, T_WORD, T_NUM, T_TYPED, T_BAD };

struct cmp {
    const char *path; size_t plen;
    const char *op; size_t oplen;
    size_t v0, nv;       /* values: indices into the value table */
    bool negated;
    bool nonstr;         /* a value was not a plain string */
};

struct val { size_t off, len; };

struct ps {
    const char *p, *end;
    enum tok t;
    const char *ts; size_t tl;   /* token text (strings: raw between quotes) */
    struct cmp cmp[MAX_CMP];
    size_t ncmp;
    struct val vals[MAX_VALS];
    size_t nvals;
    struct vg_buf vbuf;          /* unescaped string values */
    bool has_and, has_follow, has_qual, has_not;
    int depth;
    char *why; size_t whysz;
    bool failed;
};

static bool word_ch(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
           c == ':' || c == '.' || c == '*';
}

static int fail(struct ps *s, const char *fmt, const char *a)
{
    if (!s->failed) snprintf(s->why, s->whysz, fmt, a);
    s->failed = true;
    return VG_EPARSE;
}

/* Reads a quoted string starting at *q == '\''; returns end (after quote) or NULL. */
static const char *skip_str(const char *q, const char *end)
{
    for (q++; q < end; q++) {
        if (*q == '\\') { if (++q >= end) return NULL; continue; }
        if (*q == '\'') return q + 1;
    }
    return NULL;
}

static void next(struct ps *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r')) s->p++;
    s->ts = s->p;
    s->tl = 0;
    if (s->p >= s->end) { s->t = T_EOF; return; }
    char c = *s->p;
    const char *q;
    switch (c) {
    case '[': s->t = T_LB; s->p++; s->tl = 1; return;
    case ']': s->t = T_RB; s->p++; s->tl = 1; return;
    case '(': s->t = T_LP; s->p++; s->tl = 1; return;
    case ')': s->t = T_RP; s->p++; s->tl = 1; return;
    case ',': s->t = T_COMMA; s->p++; s->tl = 1; return;
    case '=': case '!': case '<': case '>':
        q = s->p + 1;
        if (q < s->end && *q == '=') q++;
        if (c == '!' && q == s->p + 1) { s->t = T_BAD; return; }
        s->t = T_OP; s->tl = (size_t)(q - s->p); s->p = q; return;
    case '\'':
        q = skip_str(s->p, s->end);
        if (!q) { s->t = T_BAD; return; }
        s->t = T_STR; s->ts = s->p + 1; s->tl = (size_t)(q - s->p) - 2; s->p = q; return;
    default: break;
    }
    if ((c == 't' || c == 'h' || c == 'b') && s->p + 1 < s->end && s->p[1] == '\'') {
        q = skip_str(s->p + 1, s->end);
        if (!q) { s->t = T_BAD; return; }
        s->t = T_TYPED; s->tl = (size_t)(q - s->p); s->p = q; return;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        q = s->p + 1;
        while (q < s->end && ((*q >= '0' && *q <= '9') || *q == '.')) q++;
        if (!(c == '-' && q == s->p + 1)) { s->t = T_NUM; s->tl = (size_t)(q - s->p); s->p = q; return; }
    }
    if (word_ch(c)) {
        q = s->p;
        while (q < s->end) {
            if (word_ch(*q)) { q++; continue; }
            if (*q == '\'' && q > s->p && q[-1] == '.') { /* quoted path component */
                const char *e = skip_str(q, s->end);
                if (!e) break;
                q = e;
                continue;
            }
            if (*q == '[' && q > s->p) { /* list index: [*] or [n] */
                const char *e = q + 1;
                while (e < s->end && ((*e >= '0' && *e <= '9') || *e == '*')) e++;
                if (e < s->end && *e == ']' && e > q + 1) { q = e + 1; continue; }
            }
            break;
        }
        s->t = T_WORD; s->tl = (size_t)(q - s->p); s->p = q; return;
    }
    s->t = T_BAD;
}

static bool is_kw(const struct ps *s, const char *kw)
{
    size_t n = strlen(kw);
    return s->t == T_WORD && s->tl == n && vg_strncasecmp_ascii(s->ts, kw, n) == 0;
}

static int add_value(struct ps *s, struct cmp *c)
{
    if (s->nvals >= MAX_VALS) return fail(s, "%s", "too many values in pattern");
    if (s->t == T_STR) {
        size_t off = s->vbuf.len;
        for (size_t i = 0; i < s->tl; i++) {
            char ch = s->ts[i];
            if (ch == '\\' && i + 1 < s->tl) ch = s->ts[++i];
            if (vg_buf_addc(&s->vbuf, ch) != 0) return fail(s, "%s", "out of memory");
        }
        s->vals[s->nvals++] = (struct val){off, s->vbuf.len - off};
    } else if (s->t == T_NUM || s->t == T_TYPED || is_kw(s, "true") || is_kw(s, "false")) {
        c->nonstr = true;
        s->vals[s->nvals++] = (struct val){0, 0};
    } else {
        return fail(s, "%s", "expected a literal value");
    }
    c->nv++;
    next(s);
    return 0;
}

static int comp_or(struct ps *s);

static int comp_unit(struct ps *s)
{
    if (s->t == T_LP) {
        if (++s->depth > MAX_DEPTH) return fail(s, "%s", "pattern nested too deeply");
        next(s);
        int rc = comp_or(s);
        if (rc) return rc;
        if (s->t != T_RP) return fail(s, "%s", "expected ')'");
        next(s);
        s->depth--;
        return 0;
    }
    if (is_kw(s, "EXISTS")) {
        s->has_not = true; /* EXISTS is unsupported as a whole; flagged like NOT */
        next(s);
        if (s->t != T_WORD) return fail(s, "%s", "expected an object path after EXISTS");
        next(s);
        return 0;
    }
    if (s->t != T_WORD || !memchr(s->ts, ':', s->tl)) return fail(s, "%s", "expected an object path (type:property)");
    if (s->ncmp >= MAX_CMP) return fail(s, "%s", "too many comparisons in pattern");
    struct cmp *c = &s->cmp[s->ncmp++];
    memset(c, 0, sizeof *c);
    c->path = s->ts;
    c->plen = s->tl;
    next(s);
    if (is_kw(s, "NOT")) { c->negated = true; s->has_not = true; next(s); }
    if (s->t == T_OP || is_kw(s, "IN") || is_kw(s, "LIKE") || is_kw(s, "MATCHES") || is_kw(s, "ISSUBSET") ||
        is_kw(s, "ISSUPERSET")) {
        c->op = s->ts;
        c->oplen = s->tl;
    } else {
        return fail(s, "%s", "expected a comparison operator");
    }
    bool in = is_kw(s, "IN");
    next(s);
    c->v0 = s->nvals;
    if (in) {
        if (s->t != T_LP) return fail(s, "%s", "expected '(' after IN");
        next(s);
        for (;;) {
            int rc = add_value(s, c);
            if (rc) return rc;
            if (s->t == T_COMMA) { next(s); continue; }
            if (s->t == T_RP) { next(s); break; }
            return fail(s, "%s", "expected ',' or ')' in IN list");
        }
        return 0;
    }
    return add_value(s, c);
}

static int comp_and(struct ps *s)
{
    int rc = comp_unit(s);
    while (!rc && is_kw(s, "AND")) {
        s->has_and = true;
        next(s);
        rc = comp_unit(s);
    }
    return rc;
}

static int comp_or(struct ps *s)
{
    int rc = comp_and(s);
    while (!rc && is_kw(s, "OR")) {
        next(s);
        rc = comp_and(s);
    }
    return rc;
}

static int obs_or(struct ps *s);

static int qualifiers(struct ps *s)
{
    for (;;) {
        if (is_kw(s, "WITHIN")) {
            next(s);
            if (s->t != T_NUM) return fail(s, "%s", "expected a number after WITHIN");
            next(s);
            if (!is_kw(s, "SECONDS")) return fail(s, "%s", "expected SECONDS");
        } else if (is_kw(s, "REPEATS")) {
            next(s);
            if (s->t != T_NUM) return fail(s, "%s", "expected a number after REPEATS");
            next(s);
            if (!is_kw(s, "TIMES")) return fail(s, "%s", "expected TIMES");
        } else if (is_kw(s, "START")) {
            next(s);
            if (s->t != T_TYPED) return fail(s, "%s", "expected t'...' after START");
            next(s);
            if (!is_kw(s, "STOP")) return fail(s, "%s", "expected STOP");
            next(s);
            if (s->t != T_TYPED) return fail(s, "%s", "expected t'...' after STOP");
        } else {
            return 0;
        }
        s->has_qual = true;
        next(s);
    }
}

static int obs_unit(struct ps *s)
{
    if (++s->depth > MAX_DEPTH) return fail(s, "%s", "pattern nested too deeply");
    int rc;
    if (s->t == T_LB) {
        next(s);
        if ((rc = comp_or(s)) != 0) return rc;
        if (s->t != T_RB) return fail(s, "%s", "expected ']'");
        next(s);
    } else if (s->t == T_LP) {
        next(s);
        if ((rc = obs_or(s)) != 0) return rc;
        if (s->t != T_RP) return fail(s, "%s", "expected ')'");
        next(s);
    } else {
        return fail(s, "%s", "expected '[' or '('");
    }
    s->depth--;
    return qualifiers(s);
}

static int obs_or(struct ps *s)
{
    int rc = obs_unit(s);
    while (!rc) {
        if (is_kw(s, "OR")) { next(s); rc = obs_unit(s); }
        else if (is_kw(s, "AND")) { s->has_and = true; next(s); rc = obs_unit(s); }
        else if (is_kw(s, "FOLLOWEDBY")) { s->has_follow = true; next(s); rc = obs_unit(s); }
        else break;
    }
    return rc;
}

static bool path_is(const struct cmp *c, const char *p)
{
    size_t n = strlen(p);
    return c->plen == n && vg_strncasecmp_ascii(c->path, p, n) == 0;
}

static int hash_path_type(const struct cmp *c)
{
    static const char pre[] = "file:hashes.";
    size_t n = sizeof pre - 1;
    if (c->plen <= n || vg_strncasecmp_ascii(c->path, pre, n) != 0) return -1;
    const char *h = c->path + n;
    size_t hl = c->plen - n;
    if (hl >= 2 && h[0] == '\'' && h[hl - 1] == '\'') { h++; hl -= 2; }
    static const struct { const char *name; int type; } names[] = {
        {"MD5", VG_INTEL_MD5},       {"SHA-1", VG_INTEL_SHA1},     {"SHA1", VG_INTEL_SHA1},
        {"SHA-256", VG_INTEL_SHA256}, {"SHA256", VG_INTEL_SHA256}, {"SHA-512", VG_INTEL_SHA512},
        {"SHA512", VG_INTEL_SHA512},
    };
    for (size_t i = 0; i < VG_ARRAY_LEN(names); i++)
        if (strlen(names[i].name) == hl && vg_strncasecmp_ascii(h, names[i].name, hl) == 0) return names[i].type;
    return -2;
}

static bool op_is(const struct cmp *c, const char *op)
{
    size_t n = strlen(op);
    return c->oplen == n && vg_strncasecmp_ascii(c->op, op, n) == 0;
}

int intel_stix_pattern(const char *p, size_t len, const struct intel_pattern_cb *cb, char *why, size_t whysz)
{
    struct ps *s = vg_calloc(1, sizeof *s);
    if (!s) { snprintf(why, whysz, "out of memory"); return VG_ENOMEM; }
    int rc;
    s->p = p;
    s->end = p + len;
    s->why = why;
    s->whysz = whysz;
    s->vbuf.cap_limit = INTEL_MAX_PATTERN * 2;
    if (len > INTEL_MAX_PATTERN) { rc = fail(s, "%s", "pattern too long"); goto out; }
    next(s);
    if ((rc = obs_or(s)) != 0) goto out;
    if (s->t != T_EOF) {
        char tok[24];
        size_t tl = (size_t)(s->end - s->ts) < 20 ? (size_t)(s->end - s->ts) : 20;
        memcpy(tok, s->ts, tl);
        tok[tl] = 0;
        rc = fail(s, "unexpected '%s' after the pattern", tok);
        goto out;
    }
    rc = VG_EUNSUP;
    if (s->has_and) { snprintf(why, whysz, "AND is not supported (single-event IoC matching cannot evaluate it)"); goto out; }
    if (s->has_follow) { snprintf(why, whysz, "FOLLOWEDBY is not supported"); goto out; }
    if (s->has_qual) { snprintf(why, whysz, "qualifiers (WITHIN/REPEATS/START..STOP) are not supported"); goto out; }
    if (s->has_not) { snprintf(why, whysz, "NOT / EXISTS are not supported"); goto out; }
    size_t added = 0;
    char first[256] = "";
    for (size_t i = 0; i < s->ncmp; i++) {
        const struct cmp *c = &s->cmp[i];
        char reason[256] = "";
        int type = -1;
        if (path_is(c, "ipv4-addr:value") || path_is(c, "ipv6-addr:value") ||
            path_is(c, "network-traffic:dst_ref.value") || path_is(c, "network-traffic:src_ref.value"))
            type = VG_INTEL_IP;
        else if (path_is(c, "domain-name:value")) type = VG_INTEL_DOMAIN;
        else if (path_is(c, "url:value")) type = VG_INTEL_URL;
        else if (path_is(c, "email-addr:value")) type = VG_INTEL_EMAIL;
        else {
            int ht = hash_path_type(c);
            if (ht >= 0) type = ht;
            else if (ht == -2) snprintf(reason, sizeof reason, "unsupported hash algorithm in %.*s", (int)(c->plen > 80 ? 80 : c->plen), c->path);
        }
        if (type < 0) {
            if (!reason[0]) snprintf(reason, sizeof reason, "unsupported object path %.*s", (int)(c->plen > 80 ? 80 : c->plen), c->path);
        } else if (!(op_is(c, "=") || op_is(c, "IN") || (type == VG_INTEL_IP && op_is(c, "ISSUBSET")))) {
            snprintf(reason, sizeof reason, "unsupported operator %.*s on %.*s", (int)c->oplen, c->op,
                     (int)(c->plen > 80 ? 80 : c->plen), c->path);
        } else if (c->nonstr) {
            snprintf(reason, sizeof reason, "non-string literal compared with %.*s", (int)(c->plen > 80 ? 80 : c->plen), c->path);
        } else {
            for (size_t k = 0; k < c->nv; k++) {
                const struct val *v = &s->vals[c->v0 + k];
                int arc = cb->add(cb->ctx, type, s->vbuf.data + v->off, v->len);
                if (arc == VG_ENOMEM) { rc = VG_ENOMEM; snprintf(why, whysz, "out of memory"); goto out; }
                if (arc == 0) { added++; continue; }
                snprintf(reason, sizeof reason, "invalid %s value '%.*s'", vg_intel_type_name(type),
                         (int)(v->len > 80 ? 80 : v->len), s->vbuf.data + v->off);
                if (!first[0]) memcpy(first, reason, sizeof first);
                if (cb->drop) cb->drop(cb->ctx, reason);
                reason[0] = 0;
            }
        }
        if (reason[0]) {
            if (!first[0]) memcpy(first, reason, sizeof first);
            if (cb->drop) cb->drop(cb->ctx, reason);
        }
    }
    if (!added) { snprintf(why, whysz, "%s", first[0] ? first : "no supported comparison"); goto out; }
    rc = 0;
out:
    vg_buf_release(&s->vbuf);
    vg_free(s);
    return rc;
}
