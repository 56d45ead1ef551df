/* The search language parser (include/vigil/query.h): a hand-written
 * recursive-descent parser from query text to an AST of AND/OR/NOT/TERM
 * nodes, an S-expression printer for tests and debugging, and the wildcard
 * matcher shared by backends. Part of the store layer; it never touches SQL
 * (store_sqlite.c compiles the AST to parameterised SQL). */
#include "vigil/query.h"
#include "vigil/event.h" /* vg_ip_parse */
#include <math.h>

struct parser {
    const char *s;
    size_t n, pos;
    int depth, terms;
    struct vg_err *err;
};

static int perr(struct parser *p, int code, size_t at, const char *fmt, const char *arg)
{
    int rc = vg_err_set(p->err, code, fmt, arg, (int)at + 1);
    if (p->err) { p->err->col = (int)at + 1; p->err->line = 1; }
    return rc;
}

static struct vg_qnode *node_new(enum vg_qnode_kind kind)
{
    struct vg_qnode *n = vg_calloc(1, sizeof *n);
    if (n) n->kind = kind;
    return n;
}

static void node_free(struct vg_qnode *n)
{
    /* Iterative on the left spine (AND/OR chains are left-deep), recursive
     * on the right, which is bounded by the nesting depth. */
    while (n) {
        struct vg_qnode *next = n->a;
        node_free(n->b);
        vg_free(n->field);
        vg_free(n->value);
        vg_free(n);
        n = next;
    }
}

void vg_query_release(struct vg_query *q)
{
    if (!q) return;
    node_free(q->root);
    q->root = NULL;
}

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
static bool is_delim(char c) { return is_space(c) || c == '(' || c == ')' || c == '"'; }

static void skip_ws(struct parser *p)
{
    while (p->pos < p->n && is_space(p->s[p->pos])) p->pos++;
}

/* Is there an unescaped keyword (AND/OR/NOT) at pos, followed by a delimiter? */
static bool at_keyword(struct parser *p, const char *kw)
{
    size_t l = strlen(kw);
    if (p->pos + l > p->n || memcmp(p->s + p->pos, kw, l) != 0) return false;
    return p->pos + l == p->n || is_delim(p->s[p->pos + l]);
}

static struct vg_qnode *parse_or(struct parser *p, const char *dfield, int *rc);

/* Field name characters: anything but delimiters, ':' and the specials. */
static bool field_char(char c)
{
    return !is_delim(c) && c != ':' && c != '\\' && c != '*' && c != '?' && c != '>' && c != '<' && c != '=';
}

/* Reads a word (value) up to an unescaped delimiter. Produces the unescaped
 * text and the pattern form (escapes kept for * ? \). */
static int read_word(struct parser *p, struct vg_buf *plain, struct vg_buf *pat, bool *wild)
{
    *wild = false;
    while (p->pos < p->n && !is_delim(p->s[p->pos])) {
        char c = p->s[p->pos];
        if (c == '\\') {
            if (p->pos + 1 >= p->n) return perr(p, VG_EPARSE, p->pos, "%sdangling backslash at column %d", "");
            char e = p->s[p->pos + 1];
            if (vg_buf_addc(plain, e)) return VG_ENOMEM;
            if ((e == '*' || e == '?' || e == '\\') && vg_buf_addc(pat, '\\')) return VG_ENOMEM;
            if (vg_buf_addc(pat, e)) return VG_ENOMEM;
            p->pos += 2;
            continue;
        }
        if (c == '*' || c == '?') *wild = true;
        if (vg_buf_addc(plain, c) || vg_buf_addc(pat, c)) return VG_ENOMEM;
        p->pos++;
    }
    return 0;
}

static bool valid_number(const char *s)
{
    if (!*s) return false;
    char *end = NULL;
    double d = strtod(s, &end);
    return end && *end == 0 && isfinite(d);
}

static bool valid_cidr(const char *s)
{
    const char *slash = strchr(s, '/');
    if (!slash || slash == s || !slash[1]) return false;
    uint8_t a[16];
    int fam = vg_ip_parse(s, (size_t)(slash - s), a);
    if (!fam) return false;
    int64_t pre;
    if (vg_parse_i64(slash + 1, strlen(slash + 1), &pre) || pre < 0 || pre > fam * 8) return false;
    return true;
}

static struct vg_qnode *make_term(struct parser *p, const char *field, size_t col, int *rc)
{
    if (++p->terms > VG_QUERY_MAX_TERMS) {
        *rc = perr(p, VG_ETOOBIG, col, "%stoo many terms (limit 256) at column %d", "");
        return NULL;
    }
    struct vg_qnode *t = node_new(VG_Q_TERM);
    if (!t) { *rc = VG_ENOMEM; return NULL; }
    t->col = (int)col + 1;
    if (field && !(t->field = vg_strdup(field))) { vg_free(t); *rc = VG_ENOMEM; return NULL; }
    return t;
}

/* A value (word or phrase) after an optional field. */
static struct vg_qnode *parse_value(struct parser *p, const char *field, size_t col, int *rc)
{
    struct vg_buf plain = VG_BUF_INIT, pat = VG_BUF_INIT;
    struct vg_qnode *t = NULL;
    plain.cap_limit = pat.cap_limit = VG_QUERY_MAX_TEXT * 2;
    if (p->pos < p->n && p->s[p->pos] == '"') {
        size_t start = p->pos++;
        bool closed = false;
        while (p->pos < p->n) {
            char c = p->s[p->pos];
            if (c == '\\' && p->pos + 1 < p->n) {
                if (vg_buf_addc(&plain, p->s[p->pos + 1])) goto oom;
                p->pos += 2;
                continue;
            }
            if (c == '"') { closed = true; p->pos++; break; }
            if (vg_buf_addc(&plain, c)) goto oom;
            p->pos++;
        }
        if (!closed) { *rc = perr(p, VG_EPARSE, start, "%sunterminated quoted phrase starting at column %d", ""); goto out; }
        if (!(t = make_term(p, field, col, rc))) goto out;
        t->op = VG_QOP_PHRASE;
        t->value = plain.data ? vg_buf_detach(&plain, NULL) : vg_strdup("");
        if (!t->value) goto oom;
        goto out;
    }
    size_t vstart = p->pos;
    bool wild;
    if ((*rc = read_word(p, &plain, &pat, &wild))) goto out;
    if (plain.len == 0) {
        *rc = perr(p, VG_EPARSE, vstart, field ? "expected a value after '%s:' at column %d" : "%sexpected a term at column %d",
                   field ? field : "");
        goto out;
    }
    if (!vg_utf8_valid(plain.data, plain.len)) { *rc = perr(p, VG_EUTF8, vstart, "%sinvalid UTF-8 at column %d", ""); goto out; }
    if (!(t = make_term(p, field, col, rc))) goto out;
    const char *raw = p->s + vstart;
    size_t rawlen = p->pos - vstart;
    if (rawlen == 1 && raw[0] == '*') {
        if (!field) { t->kind = VG_Q_ALL; goto out; } /* bare * = everything */
        t->op = VG_QOP_EXISTS;
        if (!(t->value = vg_strdup("*"))) goto oom;
        goto out;
    }
    if (field && (raw[0] == '>' || raw[0] == '<')) {
        size_t skip = 1;
        if (rawlen > 1 && raw[1] == '=') skip = 2;
        t->op = raw[0] == '>' ? (skip == 2 ? VG_QOP_GTE : VG_QOP_GT) : (skip == 2 ? VG_QOP_LTE : VG_QOP_LT);
        if (!(t->value = vg_strdup(plain.data + skip))) goto oom;
        if (!valid_number(t->value)) {
            *rc = perr(p, VG_EPARSE, vstart + skip, "%sexpected a number after the comparison at column %d", "");
            goto out;
        }
        goto out;
    }
    if (field && !wild && valid_cidr(plain.data)) {
        t->op = VG_QOP_CIDR;
        t->value = vg_buf_detach(&plain, NULL);
        if (!t->value) goto oom;
        goto out;
    }
    t->op = VG_QOP_EQ;
    t->has_wildcard = wild;
    t->value = wild ? vg_buf_detach(&pat, NULL) : vg_buf_detach(&plain, NULL);
    if (!t->value) goto oom;
    goto out;
oom:
    *rc = VG_ENOMEM;
out:
    vg_buf_release(&plain);
    vg_buf_release(&pat);
    if (*rc && t) { node_free(t); t = NULL; }
    return t;
}

/* A parenthesised group at p->pos ('(' ... ')'); dfield is the default
 * field of its terms (from `field:( ... )`) or NULL. */
static struct vg_qnode *parse_group(struct parser *p, const char *dfield, int *rc)
{
    size_t open = p->pos++;
    if (++p->depth > VG_QUERY_MAX_DEPTH) { *rc = perr(p, VG_ETOOBIG, open, "%snesting deeper than 64 at column %d", ""); return NULL; }
    struct vg_qnode *e = parse_or(p, dfield, rc);
    if (!e) return NULL;
    skip_ws(p);
    if (p->pos >= p->n || p->s[p->pos] != ')') {
        node_free(e);
        *rc = perr(p, VG_EPARSE, open, "%sunbalanced '(' opened at column %d", "");
        return NULL;
    }
    p->pos++;
    p->depth--;
    return e;
}

static struct vg_qnode *parse_primary(struct parser *p, const char *dfield, int *rc)
{
    skip_ws(p);
    if (p->pos >= p->n) { *rc = perr(p, VG_EPARSE, p->pos, "%sexpected a term at end of query (column %d)", ""); return NULL; }
    char c = p->s[p->pos];
    if (c == ')') { *rc = perr(p, VG_EPARSE, p->pos, "%sunexpected ')' at column %d", ""); return NULL; }
    if (c == '(') return parse_group(p, dfield, rc);
    size_t col = p->pos;
    /* field ":" prefix? */
    size_t i = p->pos;
    while (i < p->n && field_char(p->s[i])) i++;
    if (i > p->pos && i < p->n && p->s[i] == ':') {
        if (dfield) { *rc = perr(p, VG_EPARSE, p->pos, "%sa field inside 'field:( )' at column %d", ""); return NULL; }
        size_t flen = i - p->pos;
        if (flen > 255) { *rc = perr(p, VG_ETOOBIG, p->pos, "%sfield name longer than 255 bytes at column %d", ""); return NULL; }
        char field[256];
        memcpy(field, p->s + p->pos, flen);
        field[flen] = 0;
        if (!vg_utf8_valid(field, flen)) { *rc = perr(p, VG_EUTF8, p->pos, "%sinvalid UTF-8 at column %d", ""); return NULL; }
        p->pos = i + 1;
        if (p->pos < p->n && p->s[p->pos] == '(') return parse_group(p, field, rc);
        if (p->pos >= p->n || is_space(p->s[p->pos]) || p->s[p->pos] == ')') {
            *rc = perr(p, VG_EPARSE, p->pos, "expected a value after '%s:' at column %d", field);
            return NULL;
        }
        return parse_value(p, field, col, rc);
    }
    return parse_value(p, dfield, col, rc);
}

static struct vg_qnode *parse_unary(struct parser *p, const char *dfield, int *rc)
{
    skip_ws(p);
    int nots = 0;
    size_t first = p->pos;
    while (at_keyword(p, "NOT")) {
        if (++nots > VG_QUERY_MAX_DEPTH) { *rc = perr(p, VG_ETOOBIG, first, "%stoo many NOTs at column %d", ""); return NULL; }
        p->pos += 3;
        skip_ws(p);
    }
    struct vg_qnode *e = parse_primary(p, dfield, rc);
    while (e && nots-- > 0) {
        struct vg_qnode *n = node_new(VG_Q_NOT);
        if (!n) { node_free(e); *rc = VG_ENOMEM; return NULL; }
        n->a = e;
        e = n;
    }
    return e;
}

static struct vg_qnode *join(enum vg_qnode_kind k, struct vg_qnode *a, struct vg_qnode *b, int *rc)
{
    struct vg_qnode *n = node_new(k);
    if (!n) { node_free(a); node_free(b); *rc = VG_ENOMEM; return NULL; }
    n->a = a;
    n->b = b;
    return n;
}

static struct vg_qnode *parse_and(struct parser *p, const char *dfield, int *rc)
{
    struct vg_qnode *left = parse_unary(p, dfield, rc);
    while (left) {
        skip_ws(p);
        if (p->pos >= p->n || p->s[p->pos] == ')' || at_keyword(p, "OR")) break;
        if (at_keyword(p, "AND")) {
            p->pos += 3;
            skip_ws(p);
            if (p->pos >= p->n || p->s[p->pos] == ')' || at_keyword(p, "OR") || at_keyword(p, "AND")) {
                *rc = perr(p, VG_EPARSE, p->pos, "%sexpected a term after AND at column %d", "");
                node_free(left);
                return NULL;
            }
        }
        struct vg_qnode *right = parse_unary(p, dfield, rc);
        if (!right) { node_free(left); return NULL; }
        left = join(VG_Q_AND, left, right, rc);
    }
    return left;
}

static struct vg_qnode *parse_or(struct parser *p, const char *dfield, int *rc)
{
    skip_ws(p);
    if (at_keyword(p, "AND") || at_keyword(p, "OR")) {
        *rc = perr(p, VG_EPARSE, p->pos, "%sexpected a term before the operator at column %d", "");
        return NULL;
    }
    struct vg_qnode *left = parse_and(p, dfield, rc);
    while (left) {
        skip_ws(p);
        if (!at_keyword(p, "OR")) break;
        p->pos += 2;
        skip_ws(p);
        if (p->pos >= p->n || p->s[p->pos] == ')' || at_keyword(p, "OR") || at_keyword(p, "AND")) {
            *rc = perr(p, VG_EPARSE, p->pos, "%sexpected a term after OR at column %d", "");
            node_free(left);
            return NULL;
        }
        struct vg_qnode *right = parse_and(p, dfield, rc);
        if (!right) { node_free(left); return NULL; }
        left = join(VG_Q_OR, left, right, rc);
    }
    return left;
}

int vg_query_parse(struct vg_query *q, const char *text, struct vg_err *err)
{
    if (!q || !text) return vg_err_set(err, VG_EINVAL, "no query");
    q->root = NULL;
    struct parser p = {.s = text, .n = strlen(text), .err = err};
    if (p.n > VG_QUERY_MAX_TEXT) {
        if (err) err->col = VG_QUERY_MAX_TEXT + 1;
        return vg_err_set(err, VG_ETOOBIG, "query longer than %d bytes", VG_QUERY_MAX_TEXT);
    }
    skip_ws(&p);
    if (p.pos == p.n) {
        q->root = node_new(VG_Q_ALL);
        return q->root ? 0 : vg_err_set(err, VG_ENOMEM, "out of memory");
    }
    int rc = 0;
    struct vg_qnode *root = parse_or(&p, NULL, &rc);
    if (root) {
        skip_ws(&p);
        if (p.pos < p.n) {
            rc = perr(&p, VG_EPARSE, p.pos, "%sunexpected ')' at column %d", "");
            node_free(root);
            root = NULL;
        }
    }
    if (!root) {
        if (rc == VG_ENOMEM || rc == 0) rc = vg_err_set(err, VG_ENOMEM, "out of memory while parsing the query");
        return rc;
    }
    q->root = root;
    return 0;
}

/* ---- printing ---------------------------------------------------------- */
static int add_quoted(struct vg_buf *out, const char *s)
{
    int rc = vg_buf_addc(out, '"');
    for (; rc == 0 && *s; s++) {
        if (*s == '"' || *s == '\\') rc = vg_buf_addc(out, '\\');
        if (rc == 0) rc = vg_buf_addc(out, *s);
    }
    return rc ? rc : vg_buf_addc(out, '"');
}

static const char *op_name(const struct vg_qnode *n)
{
    switch (n->op) {
    case VG_QOP_EQ: return n->has_wildcard ? "LIKE" : "EQ";
    case VG_QOP_PHRASE: return "PHRASE";
    case VG_QOP_GT: return "GT";
    case VG_QOP_GTE: return "GTE";
    case VG_QOP_LT: return "LT";
    case VG_QOP_LTE: return "LTE";
    case VG_QOP_CIDR: return "CIDR";
    case VG_QOP_EXISTS: return "EXISTS";
    }
    return "?";
}

int vg_query_format(const struct vg_qnode *n, struct vg_buf *out)
{
    if (!n) return vg_buf_adds(out, "NULL");
    int rc;
    switch (n->kind) {
    case VG_Q_ALL: return vg_buf_adds(out, "ALL");
    case VG_Q_NOT:
        rc = vg_buf_adds(out, "(NOT ");
        if (!rc) rc = vg_query_format(n->a, out);
        return rc ? rc : vg_buf_addc(out, ')');
    case VG_Q_AND:
    case VG_Q_OR:
        rc = vg_buf_adds(out, n->kind == VG_Q_AND ? "(AND " : "(OR ");
        if (!rc) rc = vg_query_format(n->a, out);
        if (!rc) rc = vg_buf_addc(out, ' ');
        if (!rc) rc = vg_query_format(n->b, out);
        return rc ? rc : vg_buf_addc(out, ')');
    case VG_Q_TERM:
        rc = vg_buf_addf(out, "(%s %s", op_name(n), n->field ? n->field : "_");
        if (!rc && n->op != VG_QOP_EXISTS) { rc = vg_buf_addc(out, ' '); if (!rc) rc = add_quoted(out, n->value ? n->value : ""); }
        return rc ? rc : vg_buf_addc(out, ')');
    }
    return VG_EINVAL;
}

/* ---- wildcard matching ------------------------------------------------- */
static inline unsigned char lc(unsigned char c) { return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c; }

/* Greedy matcher with one backtrack point (the last '*'): O(plen * slen)
 * worst case, never exponential. */
bool vg_wildcard_match(const char *pat, size_t plen, const char *s, size_t slen)
{
    size_t p = 0, i = 0, star_p = (size_t)-1, star_i = 0;
    while (i < slen) {
        if (p < plen) {
            char c = pat[p];
            if (c == '*') { star_p = ++p; star_i = i; continue; }
            if (c == '?') { p++; i++; continue; }
            size_t adv = 1;
            if (c == '\\' && p + 1 < plen) { c = pat[p + 1]; adv = 2; }
            if (lc((unsigned char)c) == lc((unsigned char)s[i])) { p += adv; i++; continue; }
        }
        if (star_p == (size_t)-1) return false;
        p = star_p;
        i = ++star_i;
    }
    while (p < plen && pat[p] == '*') p++;
    return p == plen;
}
