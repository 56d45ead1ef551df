/* STIX 2.1 patterning subset: parses a pattern fully (syntax errors are
 * rejections), expands it into an OR of conjunctions and hands each to the
 * loader: observation expressions joined by OR; inside each, comparison
 * expressions joined by AND / OR with parentheses. A conjunction ("[a AND
 * b]": the same observed object, so the same event) is indexed on its most
 * selective indexable comparison (a hash, URL, e-mail, domain or address
 * with =, IN or ISSUBSET) and keeps the other comparisons as constraints
 * checked on the event (=, !=, IN, LIKE, MATCHES, <, <=, >, >=, ISSUBSET,
 * NOT), over the ECS fields that carry each object path (table below).
 * Rejected with a reason: observation-level AND ("[a] AND [b]", two
 * observations), FOLLOWEDBY, qualifiers, EXISTS, conjunctions without an
 * indexable comparison or with an object path no event field carries;
 * inside an OR such parts are dropped (notes) and the rest is kept. */
#include "internal.h"

#define MAX_CMP 1024
#define MAX_DEPTH 64
#define MAX_VALS 4096
#define MAX_NODES 2048
#define MAX_KIDS 4096
#define MAX_TERMS 256
#define MAX_TERM_CMP 16
#define MAX_OBS 256

enum tok { T_EOF, T_LB, T_RB, T_LP, T_RP, T_COMMA, T_OP, T_STR, T_WORD, T_NUM, T_TYPED, T_BAD };

struct cmp {
    const char *path; size_t plen;
    const char *op; size_t oplen;
    size_t v0, nv;       /* values: indices into the value table */
    bool negated;
    bool typed;          /* a value was a typed literal (t'', h'', b'') */
    bool num;            /* a value was a number or a boolean */
};

struct val { size_t off, len; };

enum nkind { N_CMP, N_AND, N_OR };
struct node { uint8_t kind; uint32_t a, n; };  /* CMP: a = cmp index; AND/OR: kids[a .. a+n) */

struct ps {
    const char *p, *end;
    enum tok t;
    const char *ts; size_t tl;   /* token text (strings: raw between quotes) */
    struct cmp cmp[MAX_CMP];
    size_t ncmp;
    struct val vals[MAX_VALS];
    size_t nvals;
    struct vg_buf vbuf;          /* unescaped string values */
    struct node nodes[MAX_NODES];
    size_t nnodes;
    uint32_t kids[MAX_KIDS];
    size_t nkids;
    uint32_t obs[MAX_OBS];       /* root node of each observation */
    size_t nobs;
    bool has_obs_and, has_follow, has_qual, has_not;
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
    size_t off = s->vbuf.len;
    if (s->t == T_STR) {
        for (size_t i = 0; i < s->tl; i++) {
            char ch = s->ts[i];
            if (ch == '\\' && i + 1 < s->tl) ch = s->ts[++i];
            if (vg_buf_addc(&s->vbuf, ch) != 0) return fail(s, "%s", "out of memory");
        }
    } else if (s->t == T_NUM || is_kw(s, "true") || is_kw(s, "false")) {
        c->num = true;
        if (vg_buf_add(&s->vbuf, s->ts, s->tl) != 0) return fail(s, "%s", "out of memory");
    } else if (s->t == T_TYPED) {
        c->typed = true;
    } else {
        return fail(s, "%s", "expected a literal value");
    }
    s->vals[s->nvals++] = (struct val){off, s->vbuf.len - off};
    c->nv++;
    next(s);
    return 0;
}

static int new_node(struct ps *s, uint8_t kind, uint32_t a, uint32_t n, uint32_t *out)
{
    if (s->nnodes >= MAX_NODES) return fail(s, "%s", "pattern too complex");
    s->nodes[s->nnodes] = (struct node){kind, a, n};
    *out = (uint32_t)s->nnodes++;
    return 0;
}

static int comp_or(struct ps *s, uint32_t *out);

static int comp_unit(struct ps *s, uint32_t *out)
{
    if (s->t == T_LP) {
        if (++s->depth > MAX_DEPTH) return fail(s, "%s", "pattern nested too deeply");
        next(s);
        int rc = comp_or(s, out);
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
        return new_node(s, N_CMP, UINT32_MAX, 0, out);
    }
    if (s->t != T_WORD || !memchr(s->ts, ':', s->tl)) return fail(s, "%s", "expected an object path (type:property)");
    if (s->ncmp >= MAX_CMP) return fail(s, "%s", "too many comparisons in pattern");
    struct cmp *c = &s->cmp[s->ncmp];
    memset(c, 0, sizeof *c);
    c->path = s->ts;
    c->plen = s->tl;
    next(s);
    if (is_kw(s, "NOT")) { c->negated = true; next(s); }
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
    } else {
        int rc = add_value(s, c);
        if (rc) return rc;
    }
    return new_node(s, N_CMP, (uint32_t)s->ncmp++, 0, out);
}

/* unit (KW unit)*: one node, or an n-ary node of kind over the units. */
static int comp_list(struct ps *s, const char *kw, uint8_t kind, int (*unit)(struct ps *, uint32_t *), uint32_t *out)
{
    uint32_t first;
    int rc = unit(s, &first);
    if (rc || !is_kw(s, kw)) { *out = first; return rc; }
    uint32_t tmp[MAX_KIDS / 4];
    size_t n = 0;
    tmp[n++] = first;
    while (is_kw(s, kw)) {
        next(s);
        if (n >= VG_ARRAY_LEN(tmp)) return fail(s, "%s", "pattern too complex");
        if ((rc = unit(s, &tmp[n++]))) return rc;
    }
    if (s->nkids + n > MAX_KIDS) return fail(s, "%s", "pattern too complex");
    memcpy(s->kids + s->nkids, tmp, n * sizeof *tmp);
    rc = new_node(s, kind, (uint32_t)s->nkids, (uint32_t)n, out);
    s->nkids += n;
    return rc;
}

static int comp_and(struct ps *s, uint32_t *out) { return comp_list(s, "AND", N_AND, comp_unit, out); }
static int comp_or(struct ps *s, uint32_t *out) { return comp_list(s, "OR", N_OR, comp_and, out); }

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
        uint32_t root;
        if ((rc = comp_or(s, &root)) != 0) return rc;
        if (s->t != T_RB) return fail(s, "%s", "expected ']'");
        if (s->nobs >= MAX_OBS) return fail(s, "%s", "too many observation expressions");
        s->obs[s->nobs++] = root;
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
        else if (is_kw(s, "AND")) { s->has_obs_and = true; next(s); rc = obs_unit(s); }
        else if (is_kw(s, "FOLLOWEDBY")) { s->has_follow = true; next(s); rc = obs_unit(s); }
        else break;
    }
    return rc;
}

/* The value buffer (never NULL, even when every value was empty). */
static const char *vtext(const struct ps *s) { return s->vbuf.data ? s->vbuf.data : ""; }

/* ---- DNF ------------------------------------------------------------------ */

struct term { uint16_t n; uint16_t c[MAX_TERM_CMP]; };
struct tlist { struct term *t; size_t n; };

static int dnf(struct ps *s, uint32_t node, struct tlist *out, int depth)
{
    out->t = NULL;
    out->n = 0;
    if (depth > MAX_DEPTH + 2) return fail(s, "%s", "pattern nested too deeply");
    const struct node *nd = &s->nodes[node];
    if (nd->kind == N_CMP) {
        if (nd->a == UINT32_MAX) return 0; /* EXISTS: flagged, no term */
        if (!(out->t = vg_malloc(sizeof *out->t))) return fail(s, "%s", "out of memory");
        out->t[0].n = 1;
        out->t[0].c[0] = (uint16_t)nd->a;
        out->n = 1;
        return 0;
    }
    if (nd->kind == N_OR) {
        for (uint32_t k = 0; k < nd->n; k++) {
            struct tlist sub;
            int rc = dnf(s, s->kids[nd->a + k], &sub, depth + 1);
            if (!rc && out->n + sub.n > MAX_TERMS) rc = fail(s, "%s", "pattern too complex (too many alternatives)");
            struct term *g = rc ? NULL : vg_realloc(out->t, (out->n + sub.n + 1) * sizeof *g);
            if (!rc && !g) rc = fail(s, "%s", "out of memory");
            if (rc) { vg_free(sub.t); vg_free(out->t); out->t = NULL; out->n = 0; return rc; }
            out->t = g;
            if (sub.n) memcpy(out->t + out->n, sub.t, sub.n * sizeof *sub.t);
            out->n += sub.n;
            vg_free(sub.t);
        }
        return 0;
    }
    /* AND: cross product */
    if (!(out->t = vg_calloc(1, sizeof *out->t))) return fail(s, "%s", "out of memory");
    out->n = 1;
    for (uint32_t k = 0; k < nd->n; k++) {
        struct tlist sub;
        int rc = dnf(s, s->kids[nd->a + k], &sub, depth + 1);
        struct term *x = NULL;
        size_t nx = 0;
        if (!rc && out->n * sub.n > MAX_TERMS) rc = fail(s, "%s", "pattern too complex (too many alternatives)");
        if (!rc && sub.n && !(x = vg_malloc(out->n * sub.n * sizeof *x))) rc = fail(s, "%s", "out of memory");
        for (size_t i = 0; !rc && i < out->n; i++)
            for (size_t j = 0; !rc && j < sub.n; j++) {
                if (out->t[i].n + sub.t[j].n > MAX_TERM_CMP) { rc = fail(s, "%s", "too many comparisons joined by AND"); break; }
                x[nx] = out->t[i];
                memcpy(x[nx].c + x[nx].n, sub.t[j].c, sub.t[j].n * sizeof x[nx].c[0]);
                x[nx].n = (uint16_t)(x[nx].n + sub.t[j].n);
                nx++;
            }
        vg_free(sub.t);
        vg_free(out->t);
        out->t = x;
        out->n = nx;
        if (rc) { vg_free(out->t); out->t = NULL; out->n = 0; return rc; }
    }
    return 0;
}

/* ---- object paths ----------------------------------------------------------- */

static const char *const F_IP[] = {"source.ip", "destination.ip", "host.ip", "client.ip", "server.ip",
                                   "source.nat.ip", "destination.nat.ip", "related.ip", NULL};
static const char *const F_SRC_IP[] = {"source.ip", NULL};
static const char *const F_DST_IP[] = {"destination.ip", NULL};
static const char *const F_SRC_PORT[] = {"source.port", NULL};
static const char *const F_DST_PORT[] = {"destination.port", NULL};
static const char *const F_PROTO[] = {"network.transport", "network.protocol", NULL};
static const char *const F_DOMAIN[] = {"dns.question.name", "url.domain", "destination.domain", "source.domain",
                                       "server.domain", "client.domain", "tls.client.server_name", "related.hosts", NULL};
static const char *const F_URL[] = {"url.full", "url.original", NULL};
static const char *const F_EMAIL[] = {"email.from.address", "email.to.address", "email.sender.address",
                                      "email.reply_to.address", "user.email", "source.user.email", NULL};
static const char *const F_MD5[] = {"file.hash.md5", "process.hash.md5", "process.parent.hash.md5", "dll.hash.md5", "related.hash", NULL};
static const char *const F_SHA1[] = {"file.hash.sha1", "process.hash.sha1", "process.parent.hash.sha1", "dll.hash.sha1", "related.hash", NULL};
static const char *const F_SHA256[] = {"file.hash.sha256", "process.hash.sha256", "process.parent.hash.sha256", "dll.hash.sha256", "related.hash", NULL};
static const char *const F_SHA512[] = {"file.hash.sha512", "process.hash.sha512", "related.hash", NULL};
static const char *const F_FILE_NAME[] = {"file.name", NULL};
static const char *const F_FILE_SIZE[] = {"file.size", NULL};
static const char *const F_FILE_DIR[] = {"file.directory", NULL};
static const char *const F_PROC_NAME[] = {"process.name", NULL};
static const char *const F_PROC_CMD[] = {"process.command_line", NULL};
static const char *const F_PROC_PID[] = {"process.pid", NULL};
static const char *const F_USER[] = {"user.name", NULL};
static const char *const F_REG_KEY[] = {"registry.key", "registry.path", NULL};
static const char *const F_X509_ISSUER[] = {"tls.server.x509.issuer.distinguished_name", "file.x509.issuer.distinguished_name", NULL};
static const char *const F_X509_SUBJECT[] = {"tls.server.x509.subject.distinguished_name", "file.x509.subject.distinguished_name", NULL};
static const char *const F_X509_SERIAL[] = {"tls.server.x509.serial_number", "file.x509.serial_number", NULL};
static const char *const F_MAIL_SUBJECT[] = {"email.subject", NULL};

struct pathinfo { const char *path; int type; const char *const *fields; bool ci, ip; };

static const struct pathinfo paths[] = {
    {"ipv4-addr:value", VG_INTEL_IP, F_IP, false, true},
    {"ipv6-addr:value", VG_INTEL_IP, F_IP, false, true},
    {"network-traffic:src_ref.value", VG_INTEL_IP, F_SRC_IP, false, true},
    {"network-traffic:dst_ref.value", VG_INTEL_IP, F_DST_IP, false, true},
    {"network-traffic:src_port", -1, F_SRC_PORT, false, false},
    {"network-traffic:dst_port", -1, F_DST_PORT, false, false},
    {"network-traffic:protocols[*]", -1, F_PROTO, true, false},
    {"domain-name:value", VG_INTEL_DOMAIN, F_DOMAIN, true, false},
    {"url:value", VG_INTEL_URL, F_URL, true, false},
    {"email-addr:value", VG_INTEL_EMAIL, F_EMAIL, true, false},
    {"file:name", -1, F_FILE_NAME, false, false},
    {"file:size", -1, F_FILE_SIZE, false, false},
    {"file:parent_directory_ref.path", -1, F_FILE_DIR, false, false},
    {"process:name", -1, F_PROC_NAME, false, false},
    {"process:binary_ref.name", -1, F_PROC_NAME, false, false},
    {"process:command_line", -1, F_PROC_CMD, false, false},
    {"process:pid", -1, F_PROC_PID, false, false},
    {"user-account:account_login", -1, F_USER, false, false},
    {"user-account:user_id", -1, F_USER, false, false},
    {"windows-registry-key:key", -1, F_REG_KEY, true, false},
    {"x509-certificate:issuer", -1, F_X509_ISSUER, false, false},
    {"x509-certificate:subject", -1, F_X509_SUBJECT, false, false},
    {"x509-certificate:serial_number", -1, F_X509_SERIAL, true, false},
    {"email-message:subject", -1, F_MAIL_SUBJECT, false, false},
};

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

/* Fills pi for c's path; false (with a reason) when no event field carries it. */
static bool path_info(const struct cmp *c, struct pathinfo *pi, char *reason, size_t rsz)
{
    for (size_t i = 0; i < VG_ARRAY_LEN(paths); i++)
        if (path_is(c, paths[i].path)) { *pi = paths[i]; return true; }
    int ht = hash_path_type(c);
    static const char *const *hf[VG_INTEL_NTYPES] = {[VG_INTEL_MD5] = F_MD5, [VG_INTEL_SHA1] = F_SHA1,
                                                     [VG_INTEL_SHA256] = F_SHA256, [VG_INTEL_SHA512] = F_SHA512};
    int pl = (int)(c->plen > 80 ? 80 : c->plen);
    if (ht >= 0) { *pi = (struct pathinfo){"file:hashes", ht, hf[ht], true, false}; return true; }
    if (ht == -2) snprintf(reason, rsz, "unsupported hash algorithm in %.*s", pl, c->path);
    else snprintf(reason, rsz, "unsupported object path %.*s", pl, c->path);
    return false;
}

static bool op_is(const struct cmp *c, const char *op)
{
    size_t n = strlen(op);
    return c->oplen == n && vg_strncasecmp_ascii(c->op, op, n) == 0;
}

static int cop_of(const struct cmp *c)
{
    static const struct { const char *op; int cop; } ops[] = {
        {"=", COP_EQ}, {"!=", COP_NEQ}, {"IN", COP_IN}, {"LIKE", COP_LIKE}, {"MATCHES", COP_MATCHES},
        {">", COP_GT}, {">=", COP_GE}, {"<", COP_LT}, {"<=", COP_LE}, {"ISSUBSET", COP_SUBSET},
    };
    for (size_t i = 0; i < VG_ARRAY_LEN(ops); i++)
        if (op_is(c, ops[i].op)) return ops[i].cop;
    return -1;
}

/* How selective an indexed comparison is (higher first); -1 when it cannot be indexed. */
static int index_score(const struct ps *s, const struct cmp *c, const struct pathinfo *pi)
{
    int cop = cop_of(c);
    if (pi->type < 0 || c->negated || c->typed || c->num) return -1;
    if (!(cop == COP_EQ || cop == COP_IN || (cop == COP_SUBSET && pi->type == VG_INTEL_IP))) return -1;
    static const int rank[VG_INTEL_NTYPES] = {[VG_INTEL_IP] = 10, [VG_INTEL_DOMAIN] = 20, [VG_INTEL_HOSTNAME] = 20,
                                              [VG_INTEL_URL] = 30, [VG_INTEL_MD5] = 30, [VG_INTEL_SHA1] = 40,
                                              [VG_INTEL_SHA256] = 50, [VG_INTEL_SHA512] = 60, [VG_INTEL_EMAIL] = 25};
    int sc = rank[pi->type] * 4;
    if (pi->type == VG_INTEL_IP) { /* a single address beats a range */
        for (size_t k = 0; k < c->nv; k++)
            if (memchr(vtext(s) + s->vals[c->v0 + k].off, '/', s->vals[c->v0 + k].len)) { sc -= 10; break; }
    }
    if (c->nv > 1) sc -= 1;
    return sc;
}

/* One conjunction (term) -> cb->add. Returns 1 when added, 0 when dropped
 * (reason set), or a negative code. */
static int emit_term(struct ps *s, const struct term *t, const struct intel_pattern_cb *cb, char *reason, size_t rsz)
{
    struct pathinfo pi[MAX_TERM_CMP];
    int best = -1, bestsc = -1;
    int pl0 = (int)(s->cmp[t->c[0]].plen > 80 ? 80 : s->cmp[t->c[0]].plen);
    for (uint16_t i = 0; i < t->n; i++) {
        const struct cmp *c = &s->cmp[t->c[i]];
        if (!path_info(c, &pi[i], reason, rsz)) return 0;
        int sc = index_score(s, c, &pi[i]);
        if (sc > bestsc) { bestsc = sc; best = i; }
    }
    if (best < 0) {
        const struct cmp *c = &s->cmp[t->c[0]];
        if (t->n == 1 && pi[0].type >= 0 && c->negated) snprintf(reason, rsz, "NOT on %.*s cannot be indexed", pl0, c->path);
        else if (t->n == 1 && pi[0].type >= 0 && (c->typed || c->num))
            snprintf(reason, rsz, "non-string literal compared with %.*s", pl0, c->path);
        else if (t->n == 1 && pi[0].type >= 0)
            snprintf(reason, rsz, "unsupported operator %.*s on %.*s", (int)c->oplen, c->op, pl0, c->path);
        else if (t->n == 1) snprintf(reason, rsz, "%.*s alone cannot be indexed (needs an IP, domain, URL, e-mail or hash comparison)", pl0, c->path);
        else snprintf(reason, rsz, "no comparison in the AND of %u (first %.*s) can be indexed (IP, domain, URL, e-mail or hash with =, IN, ISSUBSET)", t->n, pl0, c->path);
        return 0;
    }
    struct intel_pcons cons[MAX_TERM_CMP];
    size_t ncons = 0;
    /* values of all comparisons, the indexed one first (its values, then each constraint's) */
    struct intel_pval *vals = vg_malloc(MAX_VALS * sizeof *vals);
    if (!vals) return VG_ENOMEM;
    size_t nvals = 0;
    const struct cmp *ic = &s->cmp[t->c[best]];
    for (size_t k = 0; k < ic->nv; k++) {
        const struct val *v = &s->vals[ic->v0 + k];
        vals[nvals++] = (struct intel_pval){vtext(s) + v->off, v->len};
    }
    int rc = 1;
    for (uint16_t i = 0; i < t->n; i++) {
        if (i == best) continue;
        const struct cmp *c = &s->cmp[t->c[i]];
        int cop = cop_of(c);
        int pl = (int)(c->plen > 80 ? 80 : c->plen);
        if (cop < 0) { snprintf(reason, rsz, "unsupported operator %.*s on %.*s", (int)c->oplen, c->op, pl, c->path); rc = 0; break; }
        if (c->typed) { snprintf(reason, rsz, "typed literal (t'', h'', b'') compared with %.*s", pl, c->path); rc = 0; break; }
        if (cop == COP_SUBSET && !pi[i].ip) { snprintf(reason, rsz, "ISSUBSET on %.*s (only addresses)", pl, c->path); rc = 0; break; }
        struct intel_pcons *k = &cons[ncons++];
        *k = (struct intel_pcons){.fields = pi[i].fields, .op = (uint8_t)cop, .neg = c->negated, .ci = pi[i].ci,
                                  .ip = pi[i].ip && (cop == COP_EQ || cop == COP_IN || cop == COP_NEQ || cop == COP_SUBSET),
                                  .vals = vals + nvals, .nv = c->nv};
        for (size_t j = 0; j < c->nv; j++) {
            const struct val *v = &s->vals[c->v0 + j];
            vals[nvals++] = (struct intel_pval){vtext(s) + v->off, v->len};
        }
    }
    if (rc == 1) {
        struct intel_pconj cj = {.type = pi[best].type, .vals = vals, .nv = ic->nv, .cons = cons, .ncons = ncons};
        int arc = cb->add(cb->ctx, &cj, reason, rsz);
        rc = arc == 0 ? 1 : arc == VG_ENOMEM ? VG_ENOMEM : 0;
    }
    vg_free(vals);
    return rc;
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
    if (s->has_obs_and) {
        snprintf(why, whysz, "observation-level AND ([a] AND [b]: two observations, two events) is not supported; "
                             "express it as a Sigma correlation");
        goto out;
    }
    if (s->has_follow) { snprintf(why, whysz, "FOLLOWEDBY is not supported"); goto out; }
    if (s->has_qual) { snprintf(why, whysz, "qualifiers (WITHIN/REPEATS/START..STOP) are not supported"); goto out; }
    if (s->has_not) { snprintf(why, whysz, "EXISTS is not supported"); goto out; }
    size_t added = 0;
    char first[300] = "";
    for (size_t o = 0; o < s->nobs; o++) {
        struct tlist tl;
        if ((rc = dnf(s, s->obs[o], &tl, 0)) != 0) goto out;
        for (size_t i = 0; i < tl.n; i++) {
            char reason[300] = "";
            int er = emit_term(s, &tl.t[i], cb, reason, sizeof reason);
            if (er < 0) { vg_free(tl.t); rc = er; snprintf(why, whysz, "out of memory"); goto out; }
            if (er == 1) { added++; continue; }
            if (!first[0]) memcpy(first, reason, sizeof first);
            if (cb->drop) cb->drop(cb->ctx, reason);
        }
        vg_free(tl.t);
    }
    rc = VG_EUNSUP;
    if (!added) { snprintf(why, whysz, "%s", first[0] ? first : "no supported comparison"); goto out; }
    rc = 0;
out:
    vg_buf_release(&s->vbuf);
    vg_free(s);
    return rc;
}
