/* Sigma condition compiler: parses a detection's condition text and emits
 * a postfix program in which each search identifier's code fragment is
 * inlined. Grammar, loosest to tightest binding: or < and < not < x of <
 * parentheses. Keywords are lowercase whole words (`notification` is an
 * identifier). v1 aggregations (`| count() by`, `near`) are rejected with a
 * pointer to correlation rules. Part of src/detect/sigma (see internal.h). */
#include "internal.h"

enum { T_END, T_LP, T_RP, T_PIPE, T_WORD };

struct cp {
    struct vg__sig_build *b;
    const struct vg__sig_idents *ids;
    struct fy_node *at;
    const char *s;
    size_t n, pos;
    int tok;
    const char *w;   /* current word */
    size_t wl;
    int depth;
};

static void next(struct cp *c)
{
    while (c->pos < c->n && (c->s[c->pos] == ' ' || c->s[c->pos] == '\t' || c->s[c->pos] == '\n' || c->s[c->pos] == '\r'))
        c->pos++;
    if (c->pos >= c->n) { c->tok = T_END; return; }
    char ch = c->s[c->pos];
    if (ch == '(') { c->tok = T_LP; c->pos++; return; }
    if (ch == ')') { c->tok = T_RP; c->pos++; return; }
    if (ch == '|') { c->tok = T_PIPE; c->pos++; return; }
    size_t st = c->pos;
    while (c->pos < c->n) {
        ch = c->s[c->pos];
        if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '(' || ch == ')' || ch == '|') break;
        c->pos++;
    }
    c->tok = T_WORD;
    c->w = c->s + st;
    c->wl = c->pos - st;
}

static bool is_word(const struct cp *c, const char *kw)
{
    size_t l = strlen(kw);
    return c->tok == T_WORD && c->wl == l && memcmp(c->w, kw, l) == 0;
}

static int fail(struct cp *c, const char *fmt, const char *arg, size_t al)
{
    char msg[300];
    snprintf(msg, sizeof msg, fmt, (int)(al > 80 ? 80 : al), arg ? arg : "");
    vg__sig_fail(c->b, c->at, "condition: %s (at offset %zu)", msg, c->pos);
    return -1;
}

static int emit_frag(struct cp *c, size_t i)
{
    for (uint32_t k = 0; k < c->ids->len[i]; k++) {
        struct vg__sig_insn in = c->b->code[c->ids->off[i] + k];
        if (c->b->ncode >= VG_SIGMA_MAX_PROG) return fail(c, "program too large%.*s", "", 0);
        if (vg__sig_emit(c->b, in.op, in.arg) != 0) return -1;
    }
    return 0;
}

/* '*' glob over identifier names (whole name, case-sensitive). */
static bool glob(const char *p, size_t pn, const char *s, size_t sn)
{
    size_t pi = 0, si = 0, star = (size_t)-1, mark = 0;
    while (si < sn) {
        if (pi < pn && p[pi] == '*') { star = pi++; mark = si; }
        else if (pi < pn && p[pi] == s[si]) { pi++; si++; }
        else if (star != (size_t)-1) { pi = star + 1; si = ++mark; }
        else return false;
    }
    while (pi < pn && p[pi] == '*') pi++;
    return pi == pn;
}

static int or_expr(struct cp *c);

static int primary(struct cp *c)
{
    if (++c->depth > VG_SIGMA_MAX_COND_DEPTH) return fail(c, "nested too deeply%.*s", "", 0);
    int rc = -1;
    if (c->tok == T_LP) {
        next(c);
        if (or_expr(c) != 0) goto out;
        if (c->tok != T_RP) { rc = fail(c, "expected ')'%.*s", "", 0); goto out; }
        next(c);
        rc = 0;
    } else if (is_word(c, "not")) {
        next(c);
        if (primary(c) != 0) goto out;
        rc = vg__sig_emit(c->b, OP_NOT, 0);
    } else if (c->tok == T_PIPE) {
        rc = fail(c, "the v1 aggregation '| count() ...' was removed in Sigma v2: write a correlation rule%.*s", "", 0);
    } else if (c->tok == T_WORD) {
        bool all = is_word(c, "all");
        bool quant = all || is_word(c, "1") || is_word(c, "any");
        if (quant) {
            size_t save = c->pos;
            const char *qw = c->w;
            size_t qwl = c->wl;
            next(c);
            if (!is_word(c, "of")) {
                c->pos = save;
                c->tok = T_WORD;
                c->w = qw;
                c->wl = qwl;
                quant = false;
            }
        }
        if (quant) {
            next(c);
            if (c->tok != T_WORD) { rc = fail(c, "expected a pattern or 'them' after 'of'%.*s", "", 0); goto out; }
            bool them = is_word(c, "them");
            bool pat_us = c->wl > 0 && c->w[0] == '_';
            uint32_t k = 0;
            for (size_t i = 0; i < c->ids->n; i++) {
                const char *nm = c->ids->name[i];
                size_t nl = c->ids->nlen[i];
                if (nl && nm[0] == '_' && !pat_us) continue; /* them and patterns skip _identifiers */
                if (!them && !glob(c->w, c->wl, nm, nl)) continue;
                if (emit_frag(c, i) != 0) goto out;
                k++;
            }
            if (k == 0) { rc = fail(c, "'%.*s' matches no search identifier", c->w, c->wl); goto out; }
            if (k > 1 && vg__sig_emit(c->b, all ? OP_ANDN : OP_ORN, k) != 0) goto out;
            next(c);
            rc = 0;
        } else if (is_word(c, "and") || is_word(c, "or") || is_word(c, "of")) {
            rc = fail(c, "unexpected '%.*s'", c->w, c->wl);
        } else {
            size_t i;
            for (i = 0; i < c->ids->n; i++)
                if (c->ids->nlen[i] == c->wl && memcmp(c->ids->name[i], c->w, c->wl) == 0) break;
            if (i == c->ids->n) { rc = fail(c, "unknown search identifier '%.*s'", c->w, c->wl); goto out; }
            if (emit_frag(c, i) != 0) goto out;
            next(c);
            rc = 0;
        }
    } else {
        rc = fail(c, c->tok == T_END ? "unexpected end%.*s" : "unexpected ')'%.*s", "", 0);
    }
out:
    c->depth--;
    return rc;
}

static int and_expr(struct cp *c)
{
    if (primary(c) != 0) return -1;
    uint32_t n = 1;
    while (is_word(c, "and")) {
        next(c);
        if (primary(c) != 0) return -1;
        n++;
    }
    return n > 1 ? vg__sig_emit(c->b, n == 2 ? OP_AND : OP_ANDN, n == 2 ? 0 : n) : 0;
}

static int or_expr(struct cp *c)
{
    if (++c->depth > VG_SIGMA_MAX_COND_DEPTH) { c->depth--; return fail(c, "nested too deeply%.*s", "", 0); }
    int rc = -1;
    if (and_expr(c) != 0) goto out;
    uint32_t n = 1;
    while (is_word(c, "or")) {
        next(c);
        if (and_expr(c) != 0) goto out;
        n++;
    }
    rc = n > 1 ? vg__sig_emit(c->b, n == 2 ? OP_OR : OP_ORN, n == 2 ? 0 : n) : 0;
out:
    c->depth--;
    return rc;
}

long vg__sig_cond(struct vg__sig_build *b, const char *cond, size_t len, const struct vg__sig_idents *ids,
                  struct fy_node *at)
{
    struct cp c = {.b = b, .ids = ids, .at = at, .s = cond, .n = len};
    if (len > VG_SIGMA_MAX_COND_LEN) {
        vg__sig_fail(b, at, "condition longer than %d bytes", VG_SIGMA_MAX_COND_LEN);
        return -1;
    }
    long start = b->ncode;
    next(&c);
    if (c.tok == T_END) {
        vg__sig_fail(b, at, "condition: empty");
        return -1;
    }
    if (or_expr(&c) != 0) return -1;
    if (c.tok == T_PIPE)
        return fail(&c, "the v1 aggregation '| ...' was removed in Sigma v2: write a correlation rule%.*s", "", 0);
    if (is_word(&c, "near"))
        return fail(&c, "'near' was removed in Sigma v2: write a temporal correlation rule%.*s", "", 0);
    if (c.tok != T_END) return fail(&c, "unexpected '%.*s'", c.tok == T_WORD ? c.w : ")", c.tok == T_WORD ? c.wl : 1);
    return start;
}

int vg_sigma_cond_check(const char *cond, size_t len, const char *const *idents, size_t nidents, struct vg_err *err)
{
    struct vg__sig_build b;
    memset(&b, 0, sizeof b);
    struct vg__sig_idents ids = {0};
    int rc = VG_ENOMEM;
    ids.n = nidents;
    ids.name = vg_calloc(nidents + 1, sizeof *ids.name);
    ids.nlen = vg_calloc(nidents + 1, sizeof *ids.nlen);
    ids.off = vg_calloc(nidents + 1, sizeof *ids.off);
    ids.len = vg_calloc(nidents + 1, sizeof *ids.len);
    if (!ids.name || !ids.nlen || !ids.off || !ids.len) goto out;
    for (size_t i = 0; i < nidents; i++) {
        ids.name[i] = idents[i];
        ids.nlen[i] = strlen(idents[i]);
        ids.off[i] = b.ncode;
        ids.len[i] = 1;
        if (vg__sig_emit(&b, OP_TRUE, 0) != 0) goto out;
    }
    if (vg__sig_cond(&b, cond, len, &ids, NULL) < 0) {
        rc = b.failed ? VG_EPARSE : VG_ENOMEM;
        if (b.failed) vg_err_set(err, VG_EPARSE, "%s", b.reason);
        goto out;
    }
    rc = 0;
out:
    vg_free(ids.name);
    vg_free(ids.nlen);
    vg_free(ids.off);
    vg_free(ids.len);
    vg_free(b.code);
    vg_free(b.leaf);
    return rc;
}
