/* Sigma values and modifiers: turns one detection entry `field|mod|mod:
 * value(s)` into a leaf matcher. String values are parsed for wildcards
 * and escapes (only \*, \? and \\ are escapes), transformed by the
 * modifiers left to right (contains/startswith/endswith, base64,
 * base64offset, utf16*, windash, expand) and compiled into lowercase glob
 * patterns; other modifiers select regex, CIDR, numeric, exists, fieldref or
 * time-part leaves. Part of src/detect/sigma (see internal.h). */
#include "internal.h"
#include <math.h>

static const struct {
    const char *name;
    char cls;
} mods[] = {
#define M(id, name, cls, desc) [id] = {name, #cls[0]},
#include "modifiers.def"
#undef M
};

const uint8_t vg__sig_lower[256] = {
#define L4(i) L1(i), L1(i + 1), L1(i + 2), L1(i + 3)
#define L1(i) (uint8_t)((i) >= 'A' && (i) <= 'Z' ? (i) + 32 : (i))
#define L16(i) L4(i), L4(i + 4), L4(i + 8), L4(i + 12)
#define L64(i) L16(i), L16(i + 16), L16(i + 32), L16(i + 48)
    L64(0), L64(64), L64(128), L64(192)
#undef L1
#undef L4
#undef L16
#undef L64
};

/* ---- small growable vector of values under transformation ---- */
struct uvec {
    struct vg__sig_uval *v;
    size_t n, cap;
};

static void uvec_release(struct uvec *a)
{
    for (size_t i = 0; i < a->n; i++) vg_free(a->v[i].u);
    vg_free(a->v);
    a->v = NULL;
    a->n = a->cap = 0;
}

static int uvec_push(struct uvec *a, uint16_t *u, uint32_t n)
{
    if (a->n == a->cap) {
        size_t nc = a->cap ? a->cap * 2 : 4;
        struct vg__sig_uval *nv = vg_realloc(a->v, nc * sizeof *nv);
        if (!nv) { vg_free(u); return -1; }
        a->v = nv;
        a->cap = nc;
    }
    a->v[a->n].u = u;
    a->v[a->n].n = n;
    a->n++;
    return 0;
}

/* Parses Sigma string syntax into units. */
static uint16_t *parse_sigma_string(const char *s, size_t n, uint32_t *outn)
{
    uint16_t *u = vg_malloc((n + 1) * sizeof *u);
    if (!u) return NULL;
    uint32_t k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\\' && i + 1 < n && (s[i + 1] == '*' || s[i + 1] == '?' || s[i + 1] == '\\')) {
            u[k++] = (unsigned char)s[++i];
        } else if (c == '*') {
            if (k == 0 || u[k - 1] != U_STAR) u[k++] = U_STAR; /* "**" is one star */
        } else if (c == '?') {
            u[k++] = U_QMARK;
        } else {
            u[k++] = c;
        }
    }
    *outn = k;
    return u;
}

static bool has_wild(const struct vg__sig_uval *v)
{
    for (uint32_t i = 0; i < v->n; i++)
        if (v->u[i] > 255) return true;
    return false;
}

/* ---- transforms: each maps every value of a to zero or more values ---- */
static int t_wrap(struct uvec *a, bool lead, bool trail)
{
    for (size_t i = 0; i < a->n; i++) {
        struct vg__sig_uval *v = &a->v[i];
        bool addl = lead && !(v->n && v->u[0] == U_STAR);
        bool addt = trail && !(v->n && v->u[v->n - 1] == U_STAR);
        if (!addl && !addt) continue;
        uint16_t *u = vg_malloc((v->n + 2) * sizeof *u);
        if (!u) return -1;
        uint32_t k = 0;
        if (addl) u[k++] = U_STAR;
        memcpy(u + k, v->u, v->n * sizeof *u);
        k += v->n;
        if (addt && !(k && u[k - 1] == U_STAR)) u[k++] = U_STAR;
        vg_free(v->u);
        v->u = u;
        v->n = k;
    }
    return 0;
}

static const char b64c[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static uint16_t *b64_units(const uint8_t *in, size_t n, uint32_t *outn)
{
    size_t m = 4 * ((n + 2) / 3);
    uint16_t *u = vg_malloc((m + 1) * sizeof *u);
    if (!u) return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t x = (uint32_t)in[i] << 16;
        if (i + 1 < n) x |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < n) x |= in[i + 2];
        u[k++] = (uint16_t)b64c[(x >> 18) & 63];
        u[k++] = (uint16_t)b64c[(x >> 12) & 63];
        u[k++] = i + 1 < n ? (uint16_t)b64c[(x >> 6) & 63] : '=';
        u[k++] = i + 2 < n ? (uint16_t)b64c[x & 63] : '=';
    }
    *outn = (uint32_t)k;
    return u;
}

/* base64 (offsets == 1) or base64offset (3 forms, neighbour-dependent
 * characters trimmed, empty forms dropped). */
static int t_base64(struct uvec *a, bool offsets, struct vg__sig_build *b, struct fy_node *at)
{
    struct uvec out = {0};
    int rc = -1;
    uint8_t *buf = NULL;
    for (size_t i = 0; i < a->n; i++) {
        struct vg__sig_uval *v = &a->v[i];
        if (has_wild(v)) {
            vg__sig_fail(b, at, "base64/base64offset cannot encode a value with wildcards (apply contains after it)");
            goto out;
        }
        buf = vg_malloc(v->n + 3);
        if (!buf) goto out;
        for (int off = 0; off < (offsets ? 3 : 1); off++) {
            memset(buf, 0, 3);
            for (uint32_t j = 0; j < v->n; j++) buf[off + j] = (uint8_t)v->u[j];
            uint32_t m;
            uint16_t *u = b64_units(buf, v->n + (size_t)off, &m);
            if (!u) goto out;
            if (offsets) {
                static const uint32_t start[3] = {0, 2, 3};
                static const uint32_t endcut[3] = {0, 3, 2};
                uint32_t s = start[off], e = endcut[(v->n + (size_t)off) % 3];
                if (s + e >= m) { vg_free(u); continue; }
                memmove(u, u + s, (m - s - e) * sizeof *u);
                m = m - s - e;
            }
            if (uvec_push(&out, u, m) != 0) goto out;
        }
        vg_free(buf);
        buf = NULL;
    }
    if (out.n == 0) {
        vg__sig_fail(b, at, "base64offset of this value leaves nothing to match");
        goto out;
    }
    uvec_release(a);
    *a = out;
    out = (struct uvec){0};
    rc = 0;
out:
    vg_free(buf);
    uvec_release(&out);
    return rc;
}

/* Decodes one UTF-8 code point of literal units starting at u[i]; returns
 * units consumed (invalid bytes map to themselves). */
static uint32_t utf8_cp(const uint16_t *u, uint32_t n, uint32_t i, uint32_t *cp)
{
    uint32_t c = u[i];
    uint32_t need = (c >= 0xF0 && c < 0xF8) ? 3 : (c >= 0xE0 && c < 0xF0) ? 2 : (c >= 0xC0 && c < 0xE0) ? 1 : 0;
    *cp = c;
    if (need == 0 || i + need >= n) return 1;
    uint32_t v = c & (0x3Fu >> need);
    for (uint32_t k = 1; k <= need; k++) {
        uint16_t d = u[i + k];
        if (d > 255 || (d & 0xC0) != 0x80) return 1;
        v = (v << 6) | (d & 0x3F);
    }
    *cp = v;
    return need + 1;
}

static int t_utf16(struct uvec *a, int mode /* 0 le, 1 be, 2 le+bom */)
{
    for (size_t i = 0; i < a->n; i++) {
        struct vg__sig_uval *v = &a->v[i];
        uint16_t *u = vg_malloc((4 * (size_t)v->n + 2) * sizeof *u);
        if (!u) return -1;
        uint32_t k = 0;
        if (mode == 2) { u[k++] = 0xFF; u[k++] = 0xFE; }
        for (uint32_t j = 0; j < v->n;) {
            if (v->u[j] > 255) { u[k++] = v->u[j++]; continue; }
            uint32_t cp;
            j += utf8_cp(v->u, v->n, j, &cp);
            uint32_t cu[2], ncu = 1;
            if (cp >= 0x10000) {
                cp -= 0x10000;
                cu[0] = 0xD800 + (cp >> 10);
                cu[1] = 0xDC00 + (cp & 0x3FF);
                ncu = 2;
            } else {
                cu[0] = cp;
            }
            for (uint32_t c = 0; c < ncu; c++) {
                if (mode == 1) { u[k++] = (uint16_t)(cu[c] >> 8); u[k++] = (uint16_t)(cu[c] & 0xFF); }
                else { u[k++] = (uint16_t)(cu[c] & 0xFF); u[k++] = (uint16_t)(cu[c] >> 8); }
            }
        }
        vg_free(v->u);
        v->u = u;
        v->n = k;
    }
    return 0;
}

static bool wordc(uint16_t c)
{
    return c < 256 && (c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_');
}

/* windash: every '-' or '/' not preceded by a word character and followed
 * by one becomes each of - / U+2013 U+2014 U+2015 (all combinations). */
static int t_windash(struct uvec *a, struct vg__sig_build *b, struct fy_node *at)
{
    static const uint8_t alts[5][3] = {{'-'}, {'/'}, {0xE2, 0x80, 0x93}, {0xE2, 0x80, 0x94}, {0xE2, 0x80, 0x95}};
    static const uint8_t altlen[5] = {1, 1, 3, 3, 3};
    struct uvec out = {0};
    uint32_t *pos = NULL;
    int rc = -1;
    for (size_t i = 0; i < a->n; i++) {
        struct vg__sig_uval *v = &a->v[i];
        vg_free(pos);
        pos = vg_malloc((v->n + 1) * sizeof *pos);
        if (!pos) goto out;
        uint32_t np = 0;
        for (uint32_t j = 0; j < v->n; j++) {
            if ((v->u[j] == '-' || v->u[j] == '/') && (j == 0 || !wordc(v->u[j - 1])) && j + 1 < v->n && wordc(v->u[j + 1]))
                pos[np++] = j;
        }
        uint64_t combos = 1;
        for (uint32_t k = 0; k < np; k++) {
            combos *= 5;
            if (combos > VG_SIGMA_MAX_EXPAND) break;
        }
        if (combos + out.n > VG_SIGMA_MAX_EXPAND) {
            vg__sig_fail(b, at, "windash expands to more than %d alternatives", VG_SIGMA_MAX_EXPAND);
            goto out;
        }
        for (uint64_t c = 0; c < combos; c++) {
            uint16_t *u = vg_malloc((3 * (size_t)v->n + 1) * sizeof *u);
            if (!u) goto out;
            uint32_t k = 0, pi = 0;
            uint64_t cc = c;
            for (uint32_t j = 0; j < v->n; j++) {
                if (pi < np && pos[pi] == j) {
                    unsigned d = (unsigned)(cc % 5);
                    cc /= 5;
                    pi++;
                    for (unsigned x = 0; x < altlen[d]; x++) u[k++] = alts[d][x];
                } else {
                    u[k++] = v->u[j];
                }
            }
            if (uvec_push(&out, u, k) != 0) goto out;
        }
    }
    uvec_release(a);
    *a = out;
    out = (struct uvec){0};
    rc = 0;
out:
    vg_free(pos);
    uvec_release(&out);
    return rc;
}

/* expand: replaces each %name% by each configured value (cartesian). */
static int expand_text(struct vg__sig_build *b, struct fy_node *at, const char *s, size_t n, const char ***outv,
                       size_t *outn)
{
    const char **cur = vg_malloc(sizeof *cur);
    size_t ncur = 1;
    if (!cur) return -1;
    cur[0] = vg_strndup(s, n);
    if (!cur[0]) { vg_free(cur); return -1; }
    int rc = -1;
    for (int guard = 0; guard < 16; guard++) {
        /* find the first placeholder in cur[0] (all strings share positions of later ones) */
        const char *p = strchr(cur[0], '%');
        const char *q = p ? strchr(p + 1, '%') : NULL;
        if (!p || !q) break;
        size_t nl = (size_t)(q - p - 1);
        const struct vg__sig_placeholder *ph = NULL;
        for (size_t i = 0; i < b->set->nph; i++)
            if (strlen(b->set->ph[i].name) == nl && memcmp(b->set->ph[i].name, p + 1, nl) == 0) ph = &b->set->ph[i];
        if (!ph || ph->n == 0) {
            vg__sig_fail(b, at, "expand placeholder %%%.*s%% has no configured value", (int)(nl > 100 ? 100 : nl), p + 1);
            b->expand_missing = true;
            goto out;
        }
        if (ncur * ph->n > VG_SIGMA_MAX_EXPAND) {
            vg__sig_fail(b, at, "expand produces more than %d values", VG_SIGMA_MAX_EXPAND);
            goto out;
        }
        const char **nv = vg_calloc(ncur * ph->n, sizeof *nv);
        if (!nv) goto out;
        size_t k = 0;
        for (size_t i = 0; i < ncur; i++) {
            const char *pp = strchr(cur[i], '%');
            const char *qq = strchr(pp + 1, '%');
            for (uint32_t j = 0; j < ph->n; j++) {
                struct vg_buf t = VG_BUF_INIT;
                if (vg_buf_add(&t, cur[i], (size_t)(pp - cur[i])) || vg_buf_adds(&t, ph->vals[j]) ||
                    vg_buf_adds(&t, qq + 1)) {
                    vg_buf_release(&t);
                    for (size_t z = 0; z < k; z++) vg_free((void *)nv[z]);
                    vg_free(nv);
                    goto out;
                }
                nv[k++] = vg_buf_detach(&t, NULL);
            }
        }
        for (size_t i = 0; i < ncur; i++) vg_free((void *)cur[i]);
        vg_free(cur);
        cur = nv;
        ncur = k;
        /* placeholder values are literal text: their own % signs are not re-expanded
         * beyond the guard of 16 rounds */
    }
    *outv = cur;
    *outn = ncur;
    return 0;
out:
    for (size_t i = 0; i < ncur; i++) vg_free((void *)cur[i]);
    vg_free(cur);
    return rc;
}

/* ---- pattern compilation ---- */
static const struct vg__sig_pat *compile_pat(struct vg_arena *ar, const struct vg__sig_uval *v, bool cased)
{
    struct vg__sig_pat *p = vg_arena_alloc(ar, sizeof *p);
    uint8_t *bytes = vg_arena_alloc(ar, v->n + 1);
    uint8_t *q = NULL;
    struct vg__sig_seg *seg = vg_arena_alloc(ar, (v->n / 2 + 2) * sizeof *seg);
    if (!p || !bytes || !seg) return NULL;
    memset(p, 0, sizeof *p);
    p->cased = cased;
    p->lead = v->n && v->u[0] == U_STAR;
    p->trail = v->n && v->u[v->n - 1] == U_STAR;
    uint32_t k = 0, nseg = 0, segstart = 0;
    bool inseg = false, anyq = false;
    for (uint32_t i = 0; i < v->n; i++) {
        uint16_t c = v->u[i];
        if (c == U_STAR) {
            if (inseg) { seg[nseg].off = segstart; seg[nseg].len = k - segstart; nseg++; inseg = false; }
            continue;
        }
        if (!inseg) { inseg = true; segstart = k; }
        if (c == U_QMARK) {
            if (!q) {
                q = vg_arena_alloc(ar, v->n + 1);
                if (!q) return NULL;
                memset(q, 0, v->n + 1);
            }
            q[k] = 1;
            bytes[k++] = '?';
            anyq = true;
        } else {
            bytes[k++] = cased ? (uint8_t)c : vg__sig_lower[c];
        }
    }
    if (inseg) { seg[nseg].off = segstart; seg[nseg].len = k - segstart; nseg++; }
    p->b = bytes;
    p->q = q;
    p->len = k;
    p->seg = seg;
    p->nseg = nseg;
    if (anyq || nseg > 1) p->kind = PK_GLOB;
    else if (nseg == 0) p->kind = (p->lead || p->trail) ? PK_ANY : PK_EQ;
    else if (p->lead && p->trail) p->kind = PK_CONTAINS;
    else if (p->lead) p->kind = PK_SUFFIX;
    else if (p->trail) p->kind = PK_PREFIX;
    else p->kind = PK_EQ;
    return p;
}

/* ---- the entry ---- */

/* Scalar text of a YAML node; *isnull for plain null/~/empty. NULL when the
 * node is not a scalar. */
static const char *scalar(struct fy_node *n, size_t *len, bool *isnull)
{
    *isnull = false;
    if (!n) { *isnull = true; *len = 0; return ""; }
    if (fy_node_get_type(n) != FYNT_SCALAR || fy_node_is_alias(n)) return NULL;
    const char *s = fy_node_get_scalar(n, len);
    if (!s) { s = ""; *len = 0; }
    if (fy_node_get_style(n) == FYNS_PLAIN &&
        (*len == 0 || (*len == 1 && s[0] == '~') ||
         (*len == 4 && (memcmp(s, "null", 4) == 0 || memcmp(s, "Null", 4) == 0 || memcmp(s, "NULL", 4) == 0))))
        *isnull = true;
    return s;
}

struct rawval {
    const char *s;
    size_t n;
    bool isnull;
    struct fy_node *node;
};

static int collect_values(struct vg__sig_build *b, struct fy_node *val, struct fy_node *keynode, struct rawval **out,
                          size_t *nout)
{
    size_t cnt = 1;
    bool seq = val && fy_node_get_type(val) == FYNT_SEQUENCE;
    if (val && fy_node_get_type(val) == FYNT_MAPPING) {
        vg__sig_fail(b, val, "a field's value must be a scalar or a list of scalars, not a map");
        return -1;
    }
    if (seq) cnt = (size_t)fy_node_sequence_item_count(val);
    if (seq && cnt == 0) {
        vg__sig_fail(b, keynode, "empty value list");
        return -1;
    }
    if (cnt > VG_SIGMA_MAX_VALUES) {
        vg__sig_fail(b, keynode, "more than %d values under one field", VG_SIGMA_MAX_VALUES);
        return -1;
    }
    struct rawval *rv = vg_calloc(cnt, sizeof *rv);
    if (!rv) return -1;
    void *it = NULL;
    for (size_t i = 0; i < cnt; i++) {
        struct fy_node *n = seq ? fy_node_sequence_iterate(val, &it) : val;
        rv[i].node = n ? n : keynode;
        rv[i].s = scalar(n, &rv[i].n, &rv[i].isnull);
        if (!rv[i].s) {
            vg__sig_fail(b, n, "list values must be scalars (no nested lists, maps or aliases)");
            vg_free(rv);
            return -1;
        }
        if (rv[i].n > VG_SIGMA_MAX_VALUE_LEN) {
            vg__sig_fail(b, n, "value longer than %d bytes", VG_SIGMA_MAX_VALUE_LEN);
            vg_free(rv);
            return -1;
        }
    }
    *out = rv;
    *nout = cnt;
    return 0;
}

static int add_leaf(struct vg__sig_build *b, const struct vg__sig_leaf *l)
{
    if (b->nleaf >= VG_SIGMA_MAX_LEAVES) return -2;
    if (b->nleaf == b->capleaf) {
        uint32_t nc = b->capleaf ? b->capleaf * 2 : 16;
        struct vg__sig_leaf *nl = vg_realloc(b->leaf, nc * sizeof *nl);
        if (!nl) return -1;
        b->leaf = nl;
        b->capleaf = nc;
    }
    b->leaf[b->nleaf] = *l;
    return vg__sig_emit(b, OP_LEAF, b->nleaf++);
}

static int regex_compile(struct vg__sig_build *b, struct fy_node *at, const char *s, size_t n, uint32_t flags,
                         pcre2_code **out)
{
    int errc;
    PCRE2_SIZE erroff;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)s, n, flags | PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &errc, &erroff,
                                   b->set->cctx);
    if (!re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(errc, msg, sizeof msg);
        vg__sig_fail(b, at, "regular expression does not compile at offset %zu: %s", (size_t)erroff, (char *)msg);
        return -1;
    }
    size_t csize = 0;
    if (pcre2_pattern_info(re, PCRE2_INFO_SIZE, &csize) != 0 || csize > (256u << 10)) {
        pcre2_code_free(re);
        vg__sig_fail(b, at, "compiled regular expression larger than 256 KiB");
        return -1;
    }
    (void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* falls back to the interpreter */
    /* Probe for catastrophic backtracking on a few adversarial subjects:
     * a regex that exhausts the match limit on them is rejected; others
     * stay bounded by the same limit at match time. */
    pcre2_match_data *md = pcre2_match_data_create(1, NULL);
    if (!md) { pcre2_code_free(re); return -1; }
    static char probe[3][1200];
    static bool probe_init;
    if (!probe_init) {
        memset(probe[0], 'a', sizeof probe[0]);
        for (size_t i = 0; i < sizeof probe[1]; i++) probe[1][i] = (char)('a' + (i % 2));
        memset(probe[2], ' ', sizeof probe[2]);
        for (int k = 0; k < 3; k++) probe[k][sizeof probe[k] - 1] = '!';
        probe_init = true;
    }
    for (int k = 0; k < 3; k++) {
        int r = pcre2_match(re, (PCRE2_SPTR)probe[k], sizeof probe[k], 0, 0, md, b->set->mctx);
        if (r == PCRE2_ERROR_MATCHLIMIT || r == PCRE2_ERROR_DEPTHLIMIT || r == PCRE2_ERROR_HEAPLIMIT ||
            r == PCRE2_ERROR_JIT_STACKLIMIT) {
            pcre2_match_data_free(md);
            pcre2_code_free(re);
            vg__sig_fail(b, at, "regular expression backtracks catastrophically (exceeds the match limit on a probe input)");
            return -1;
        }
    }
    pcre2_match_data_free(md);
    if (b->set->ncodes == b->set->capcodes) {
        size_t nc = b->set->capcodes ? b->set->capcodes * 2 : 64;
        pcre2_code **ncd = vg_realloc(b->set->codes, nc * sizeof *ncd);
        if (!ncd) { pcre2_code_free(re); return -1; }
        b->set->codes = ncd;
        b->set->capcodes = nc;
    }
    b->set->codes[b->set->ncodes++] = re;
    *out = re;
    return 0;
}

static int parse_num(const char *s, size_t n, double *out)
{
    char tmp[64];
    if (n == 0 || n >= sizeof tmp) return -1;
    memcpy(tmp, s, n);
    tmp[n] = 0;
    char *end;
    double d = strtod(tmp, &end);
    if (*end || isnan(d) || tmp[0] == ' ') return -1;
    *out = d;
    return 0;
}

int vg__sig_parse_cidr(const char *s, size_t n, struct vg__sig_net *out)
{
    const char *slash = memchr(s, '/', n);
    size_t an = slash ? (size_t)(slash - s) : n;
    memset(out, 0, sizeof *out);
    int fam = vg_ip_parse(s, an, out->addr);
    if (!fam) return -1;
    out->fam = (uint8_t)fam;
    int64_t bits = fam * 8;
    if (slash && vg_parse_i64(slash + 1, n - an - 1, &bits) != 0) return -1;
    if (bits < 0 || bits > fam * 8) return -1;
    out->bits = (uint8_t)bits;
    /* normalise host bits away */
    for (int i = 0; i < fam; i++) {
        int keep = (int)bits - 8 * i;
        if (keep >= 8) continue;
        out->addr[i] &= keep <= 0 ? 0 : (uint8_t)(0xFF00u >> keep);
    }
    return 0;
}

static bool is_field_char_ok(const char *f, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)f[i] < 0x20) return false;
    return true;
}

int vg__sig_entry(struct vg__sig_build *b, const char *key, size_t klen, struct fy_node *val, struct fy_node *keynode)
{
    struct vg__sig_leaf l;
    memset(&l, 0, sizeof l);
    struct rawval *rv = NULL;
    size_t nrv = 0;
    struct uvec work = {0};
    int rc = -1;
    uint8_t modlist[32];
    size_t nmod = 0;
    bool have[MOD__COUNT] = {0};
    vg__sig_node_pos(keynode, &l.line, &l.col);

    /* split field|mod|mod */
    const char *bar = memchr(key, '|', klen);
    size_t flen = bar ? (size_t)(bar - key) : klen;
    const char *p = bar;
    while (p && p < key + klen) {
        const char *m = p + 1;
        const char *e = memchr(m, '|', (size_t)(key + klen - m));
        size_t mlen = e ? (size_t)(e - m) : (size_t)(key + klen - m);
        int found = -1;
        for (int i = 0; i < MOD__COUNT; i++)
            if (strlen(mods[i].name) == mlen && memcmp(mods[i].name, m, mlen) == 0) found = i;
        if (found < 0) {
            vg__sig_fail(b, keynode, "unknown modifier '%.*s'", (int)(mlen > 64 ? 64 : mlen), m);
            goto out;
        }
        if (nmod == VG_ARRAY_LEN(modlist)) {
            vg__sig_fail(b, keynode, "too many modifiers");
            goto out;
        }
        modlist[nmod++] = (uint8_t)found;
        have[found] = true;
        p = e;
    }
    if (flen > 255 || !is_field_char_ok(key, flen)) {
        vg__sig_fail(b, keynode, "invalid field name");
        goto out;
    }
    if (flen) {
        l.field = vg_arena_strndup(b->ar, key, flen);
        l.fid = vg_arena_alloc(b->ar, sizeof *l.fid);
        if (!l.field || !l.fid) goto out;
        l.fid[0] = vg_fid(key, flen);
        l.nfid = 1;
        if (l.fid[0] == UINT32_MAX) {
            vg__sig_fail(b, keynode, "too many distinct field names");
            goto out;
        }
    }
    l.all = have[MOD_ALL];
    l.neq = have[MOD_NEQ];
    l.cased = have[MOD_CASED];

    /* the comparison kind */
    int kinds = 0, kmod = -1;
    for (size_t i = 0; i < nmod; i++)
        if (mods[modlist[i]].cls == 'K') {
            bool tp = modlist[i] >= MOD_MINUTE && modlist[i] <= MOD_YEAR;
            bool cmp = modlist[i] >= MOD_GT && modlist[i] <= MOD_LTE;
            if (kmod >= 0 && ((tp && kmod >= MOD_GT && kmod <= MOD_LTE) || (cmp && kmod >= MOD_MINUTE && kmod <= MOD_YEAR))) {
                if (tp) kmod = modlist[i]; /* time part + comparison: keep the part, cmp set below */
                continue;
            }
            kinds++;
            kmod = modlist[i];
        }
    if (kinds > 1) {
        vg__sig_fail(b, keynode, "modifiers select conflicting comparisons");
        goto out;
    }
    if ((have[MOD_RE_I] || have[MOD_RE_M] || have[MOD_RE_S]) && kmod != MOD_RE) {
        vg__sig_fail(b, keynode, "modifiers i, m and s apply only to re");
        goto out;
    }
    if (collect_values(b, val, keynode, &rv, &nrv) != 0) goto out;
    bool anynull = false;
    for (size_t i = 0; i < nrv; i++) anynull |= rv[i].isnull;
    bool anyT = false;
    for (size_t i = 0; i < nmod; i++) anyT |= mods[modlist[i]].cls == 'T';

    if (!flen && kmod >= 0) {
        vg__sig_fail(b, keynode, "modifier '%s' needs a field", mods[kmod].name);
        goto out;
    }
    if (kmod >= 0 && kmod != MOD_FIELDREF && anyT) {
        vg__sig_fail(b, keynode, "modifier '%s' cannot be combined with value transformations", mods[kmod].name);
        goto out;
    }
    if (kmod >= 0 && anynull) {
        vg__sig_fail(b, keynode, "null value with modifier '%s'", mods[kmod].name);
        goto out;
    }
    if (l.neq && kmod >= 0) {
        vg__sig_fail(b, keynode, "neq applies to string values only");
        goto out;
    }
    if (kmod >= 0 && kmod != MOD_EXISTS) {
        /* fall through to kind-specific parsing below */
    }

    if (kmod == MOD_RE) {
        l.kind = LK_RE;
        pcre2_code **res = vg_arena_alloc(b->ar, nrv * sizeof *res);
        if (!res) goto out;
        uint32_t fl = (have[MOD_RE_I] ? PCRE2_CASELESS : 0) | (have[MOD_RE_M] ? PCRE2_MULTILINE : 0) |
                      (have[MOD_RE_S] ? PCRE2_DOTALL : 0);
        const char **src = vg_arena_alloc(b->ar, nrv * sizeof *src);
        uint32_t *srclen = vg_arena_alloc(b->ar, nrv * sizeof *srclen);
        if (!src || !srclen) goto out;
        for (size_t i = 0; i < nrv; i++) {
            if (regex_compile(b, rv[i].node, rv[i].s, rv[i].n, fl, &res[i]) != 0) goto out;
            if (!(src[i] = vg_arena_strndup(b->ar, rv[i].s, rv[i].n))) goto out;
            srclen[i] = (uint32_t)rv[i].n;
        }
        l.re = res;
        l.re_src = src;
        l.re_len = srclen;
        l.re_flags = (uint8_t)((have[MOD_RE_I] ? 1 : 0) | (have[MOD_RE_M] ? 2 : 0) | (have[MOD_RE_S] ? 4 : 0));
        l.nval = (uint32_t)nrv;
    } else if (kmod == MOD_CIDR) {
        l.kind = LK_CIDR;
        struct vg__sig_net *nets = vg_arena_alloc(b->ar, nrv * sizeof *nets);
        if (!nets) goto out;
        for (size_t i = 0; i < nrv; i++)
            if (vg__sig_parse_cidr(rv[i].s, rv[i].n, &nets[i]) != 0) {
                vg__sig_fail(b, rv[i].node, "invalid CIDR network '%.*s'", (int)(rv[i].n > 64 ? 64 : rv[i].n), rv[i].s);
                goto out;
            }
        l.net = nets;
        l.nval = (uint32_t)nrv;
    } else if ((kmod >= MOD_GT && kmod <= MOD_LTE) || (kmod >= MOD_MINUTE && kmod <= MOD_YEAR)) {
        bool tp = kmod >= MOD_MINUTE;
        l.kind = tp ? LK_TIME : LK_NUM;
        l.tpart = tp ? (uint8_t)kmod : 0;
        l.cmp = have[MOD_GT] ? CMP_GT : have[MOD_GTE] ? CMP_GTE : have[MOD_LT] ? CMP_LT : have[MOD_LTE] ? CMP_LTE : CMP_EQ;
        double *nums = vg_arena_alloc(b->ar, nrv * sizeof *nums);
        if (!nums) goto out;
        for (size_t i = 0; i < nrv; i++)
            if (parse_num(rv[i].s, rv[i].n, &nums[i]) != 0) {
                vg__sig_fail(b, rv[i].node, "'%s' needs a number, got '%.*s'", mods[kmod].name,
                             (int)(rv[i].n > 64 ? 64 : rv[i].n), rv[i].s);
                goto out;
            }
        l.num = nums;
        l.nval = (uint32_t)nrv;
    } else if (kmod == MOD_EXISTS) {
        l.kind = LK_EXISTS;
        if (nrv != 1 || !((rv[0].n == 4 && vg_strncasecmp_ascii(rv[0].s, "true", 4) == 0) ||
                          (rv[0].n == 5 && vg_strncasecmp_ascii(rv[0].s, "false", 5) == 0))) {
            vg__sig_fail(b, keynode, "exists needs a single true or false");
            goto out;
        }
        l.exists = rv[0].n == 4;
        l.nval = 1;
    } else if (kmod == MOD_FIELDREF) {
        l.kind = LK_FIELDREF;
        for (size_t i = 0; i < nmod; i++) {
            uint8_t m = modlist[i];
            if (mods[m].cls == 'T' && m != MOD_CONTAINS && m != MOD_STARTSWITH && m != MOD_ENDSWITH) {
                vg__sig_fail(b, keynode, "fieldref combines only with contains, startswith, endswith, cased, all");
                goto out;
            }
        }
        l.ref_mode = have[MOD_CONTAINS] ? PK_CONTAINS : have[MOD_STARTSWITH] ? PK_PREFIX : have[MOD_ENDSWITH] ? PK_SUFFIX : PK_EQ;
        const char **refs = vg_arena_alloc(b->ar, nrv * sizeof *refs);
        uint32_t *rf = vg_arena_alloc(b->ar, nrv * sizeof *rf);
        if (!refs || !rf) goto out;
        for (size_t i = 0; i < nrv; i++) {
            refs[i] = vg_arena_strndup(b->ar, rv[i].s, rv[i].n);
            rf[i] = (rv[i].n && rv[i].n <= 255) ? vg_fid(rv[i].s, rv[i].n) : UINT32_MAX;
            if (!refs[i] || rf[i] == UINT32_MAX) {
                vg__sig_fail(b, rv[i].node, "fieldref needs a valid field name");
                goto out;
            }
        }
        l.ref = refs;
        l.ref_fid = rf;
        l.nval = (uint32_t)nrv;
    } else {
        /* string values */
        l.kind = flen ? LK_STR : LK_KEYWORD;
        if (!flen && (l.neq || anynull)) {
            vg__sig_fail(b, keynode, anynull ? "null keyword" : "neq needs a field");
            goto out;
        }
        struct vg__sig_val *vals = vg_arena_alloc(b->ar, nrv * sizeof *vals);
        if (!vals) goto out;
        memset(vals, 0, nrv * sizeof *vals);
        size_t total = 0;
        for (size_t i = 0; i < nrv; i++) {
            if (rv[i].isnull) {
                if (anyT) {
                    vg__sig_fail(b, rv[i].node, "null value cannot be transformed by modifiers");
                    goto out;
                }
                vals[i].is_null = 1;
                continue;
            }
            const char **texts = NULL;
            size_t ntexts = 0;
            if (have[MOD_EXPAND]) {
                if (expand_text(b, rv[i].node, rv[i].s, rv[i].n, &texts, &ntexts) != 0) goto out;
            }
            uvec_release(&work);
            for (size_t t = 0; t < (texts ? ntexts : 1); t++) {
                uint32_t un;
                const char *s = texts ? texts[t] : rv[i].s;
                size_t sn = texts ? strlen(texts[t]) : rv[i].n;
                uint16_t *u = parse_sigma_string(s, sn, &un);
                if (!u || uvec_push(&work, u, un) != 0) {
                    for (size_t z = 0; z < ntexts; z++) vg_free((void *)texts[z]);
                    vg_free(texts);
                    goto out;
                }
            }
            for (size_t z = 0; z < ntexts; z++) vg_free((void *)texts[z]);
            vg_free(texts);
            bool cased = l.cased;
            for (size_t m = 0; m < nmod; m++) {
                int r = 0;
                switch (modlist[m]) {
                case MOD_CONTAINS: r = t_wrap(&work, true, true); break;
                case MOD_STARTSWITH: r = t_wrap(&work, false, true); break;
                case MOD_ENDSWITH: r = t_wrap(&work, true, false); break;
                case MOD_BASE64: r = t_base64(&work, false, b, rv[i].node); cased = true; break;
                case MOD_BASE64OFFSET: r = t_base64(&work, true, b, rv[i].node); cased = true; break;
                case MOD_UTF16LE: case MOD_WIDE: r = t_utf16(&work, 0); break;
                case MOD_UTF16BE: r = t_utf16(&work, 1); break;
                case MOD_UTF16: r = t_utf16(&work, 2); break;
                case MOD_WINDASH: r = t_windash(&work, b, rv[i].node); break;
                default: break;
                }
                if (r != 0) goto out;
            }
            if (!flen) {
                if (t_wrap(&work, true, true) != 0) goto out; /* keywords: substring of the event text */
            }
            total += work.n;
            if (total > VG_SIGMA_MAX_EXPAND * 4) {
                vg__sig_fail(b, keynode, "too many patterns under one field");
                goto out;
            }
            struct vg__sig_pat *pats = vg_arena_alloc(b->ar, work.n * sizeof *pats);
            if (!pats) goto out;
            for (size_t w = 0; w < work.n; w++) {
                const struct vg__sig_pat *cp = compile_pat(b->ar, &work.v[w], cased);
                if (!cp) goto out;
                pats[w] = *cp;
            }
            vals[i].pat = pats;
            vals[i].npat = (uint32_t)work.n;
        }
        l.val = vals;
        l.nval = (uint32_t)nrv;
    }
    int ar = add_leaf(b, &l);
    if (ar == -2) {
        vg__sig_fail(b, keynode, "more than %d leaf matchers in one rule", VG_SIGMA_MAX_LEAVES);
        goto out;
    }
    if (ar != 0) goto out;
    rc = 0;
out:
    if (rc != 0 && !b->failed) vg__sig_fail(b, keynode, "out of memory");
    uvec_release(&work);
    vg_free(rv);
    return rc;
}

int vg__sig_keywords(struct vg__sig_build *b, struct fy_node *v, const char *mods_s, size_t mlen)
{
    char key[64];
    if (mlen >= sizeof key) {
        vg__sig_fail(b, v, "keyword modifiers too long");
        return -1;
    }
    memcpy(key, mods_s, mlen);
    key[mlen] = 0;
    return vg__sig_entry(b, key, mlen, v, v);
}
