/* Sigma matching: leaf matchers (glob patterns, PCRE2, CIDR, numbers,
 * exists, fieldref, time parts, keywords), the postfix program evaluator
 * and the naive evaluator that runs every applicable rule on an event (the
 * correctness reference for the later prefilter). Each thread uses its own
 * vg_sigma_ctx. Part of src/detect/sigma (see internal.h). */
#include "internal.h"

struct vg_sigma_ctx *vg_sigma_ctx_new(const struct vg_sigma_set *set)
{
    if (!set || !set->compiled) return NULL;
    struct vg_sigma_ctx *c = vg_calloc(1, sizeof *c);
    if (!c) return NULL;
    c->set = set;
    c->fid_format = vg_fid("vigil.format", 12);
    c->fid_collector = vg_fid("vigil.collector", 15);
    c->fid_host = vg_fid("vigil.host", 10);
    c->fid_tenant = vg_fid("vigil.tenant", 12);
    c->nslots = vg_fid_count() + 1;
    c->stamp = vg_calloc(c->nslots, sizeof *c->stamp);
    c->slot = vg_calloc(c->nslots, sizeof *c->slot);
    c->lstamp = vg_calloc(c->nslots, sizeof *c->lstamp);
    c->low = vg_calloc(c->nslots, sizeof *c->low);
    c->used = vg_calloc(c->nslots, 1);
    if (c->used) {
        /* only fields the set reads are indexed per event (set->fused); the
         * pseudo-fields always, since they are not in ev->fields */
        uint32_t n = set->nfused < c->nslots ? set->nfused : c->nslots;
        if (set->fused) memcpy(c->used, set->fused, n);
        else memset(c->used, 1, c->nslots);
        uint32_t pf[4] = {c->fid_format, c->fid_collector, c->fid_host, c->fid_tenant};
        for (int i = 0; i < 4; i++)
            if (pf[i] < c->nslots) c->used[pf[i]] = 1;
    }
    vg_arena_init(&c->lar, 64 * 1024);
    c->md = pcre2_match_data_create(1, NULL);
    c->lsres = vg_calloc(set->nls + 1, 1);
    if (!c->stamp || !c->slot || !c->lstamp || !c->low || !c->used || !c->md || !c->lsres) { vg_sigma_ctx_free(c); return NULL; }
    if (set->pf && vg__sig_pfx_new(c) != 0) { vg_sigma_ctx_free(c); return NULL; }
    return c;
}

void vg_sigma_ctx_free(struct vg_sigma_ctx *c)
{
    if (!c) return;
    vg_free(c->stamp);
    vg_free(c->slot);
    vg_free(c->lstamp);
    vg_free(c->low);
    vg_free(c->used);
    vg_arena_release(&c->lar);
    if (c->md) pcre2_match_data_free(c->md);
    vg_free(c->stk);
    vg_free(c->stk_begin);
    vg_free(c->fl);
    vg_free(c->lsres);
    vg_free(c->hits);
    vg_free(c->hf);
    vg__sig_pfx_free(c->pfx);
    vg_free(c);
}

uint64_t vg_sigma_ctx_regex_limited(const struct vg_sigma_ctx *c) { return c ? c->regex_limited : 0; }

void vg_sigma_ctx_stats(const struct vg_sigma_ctx *c, struct vg_sigma_stats *out)
{
    if (c) *out = c->stats;
    else memset(out, 0, sizeof *out);
}

static void put_slot(struct vg_sigma_ctx *c, uint32_t fid, const struct vg_field *f)
{
    if (fid < c->nslots && c->stamp[fid] != c->gen) {
        c->stamp[fid] = c->gen;
        c->slot[fid] = f;
    }
}

void vg__sig_index(struct vg_sigma_ctx *c, const struct vg_event *ev)
{
    if (c->ev == ev && c->gen) return;
    c->ev = ev;
    if (++c->gen == 0) {
        memset(c->stamp, 0, c->nslots * sizeof *c->stamp);
        memset(c->lstamp, 0, c->nslots * sizeof *c->lstamp);
        c->raw_low_gen = 0;
        c->gen = 1;
    }
    vg_arena_reset(&c->lar);
    for (uint32_t i = 0; i < ev->nfields; i++) {
        uint32_t fid = ev->fields[i].name;
        if (fid < c->nslots && c->used[fid]) put_slot(c, fid, &ev->fields[i]);
    }
    const char *ps[4] = {ev->format, ev->collector, ev->host, ev->tenant};
    uint32_t pf[4] = {c->fid_format, c->fid_collector, c->fid_host, c->fid_tenant};
    for (int i = 0; i < 4; i++) {
        if (!ps[i]) continue;
        c->pseudo[i].name = pf[i];
        c->pseudo[i].v.type = VG_V_STR;
        c->pseudo[i].v.u.s = ps[i];
        c->pseudo[i].v.len = (uint32_t)strlen(ps[i]);
        put_slot(c, pf[i], &c->pseudo[i]);
    }
    memset(c->lsres, 0xff, c->set->nls); /* -1: not yet known */
}

const struct vg_field *vg__sig_get_field(struct vg_sigma_ctx *c, uint32_t fid)
{
    if (fid < c->nslots && c->used[fid]) return c->stamp[fid] == c->gen ? c->slot[fid] : NULL;
    return vg_event_get(c->ev, fid);
}

static const struct vg_field *leaf_field(struct vg_sigma_ctx *c, const struct vg__sig_leaf *l)
{
    for (uint32_t i = 0; i < l->nfid; i++) {
        const struct vg_field *f = vg__sig_get_field(c, l->fid[i]);
        if (f) { c->last_fid = f->name; return f; }
    }
    return NULL;
}

/* ---- string patterns ---- */
static inline bool eqb(const uint8_t *t, const uint8_t *p, size_t n, bool cased)
{
    if (cased) return memcmp(t, p, n) == 0;
    for (size_t i = 0; i < n; i++)
        if (vg__sig_lower[t[i]] != p[i]) return false;
    return true;
}

static size_t utf8_adv(const uint8_t *t, size_t n, size_t j)
{
    uint8_t c = t[j];
    size_t k = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    size_t e = j + 1;
    while (e < n && e < j + k && (t[e] & 0xC0) == 0x80) e++;
    return e;
}

/* Matches segment s at t[pos]; returns end position or SIZE_MAX. */
static size_t seg_at(const struct vg__sig_pat *p, bool cs, const struct vg__sig_seg *s, const uint8_t *t, size_t n,
                     size_t pos)
{
    const uint8_t *b = p->b + s->off;
    if (!p->q) {
        if (n - pos < s->len || !eqb(t + pos, b, s->len, cs)) return SIZE_MAX;
        return pos + s->len;
    }
    const uint8_t *q = p->q + s->off;
    size_t j = pos;
    for (uint32_t i = 0; i < s->len; i++) {
        if (j >= n) return SIZE_MAX;
        if (q[i]) { j = utf8_adv(t, n, j); continue; }
        uint8_t ch = cs ? t[j] : vg__sig_lower[t[j]];
        if (ch != b[i]) return SIZE_MAX;
        j++;
    }
    return j;
}

static bool find_ci(const uint8_t *t, size_t n, const uint8_t *p, size_t m, bool cased)
{
    if (m == 0) return true;
    if (m > n) return false;
    if (cased) return memmem(t, n, p, m) != NULL;
    uint8_t c0 = p[0];
    uint8_t up = (c0 >= 'a' && c0 <= 'z') ? (uint8_t)(c0 - 32) : c0;
    size_t last = n - m;
    for (size_t i = 0; i <= last; i++) {
        if (t[i] != c0 && t[i] != up) continue;
        if (eqb(t + i + 1, p + 1, m - 1, false)) return true;
    }
    return false;
}

/* Matches pattern p against text t (raw bytes) or, when low is given, its
 * ASCII-lowercased copy (so case-insensitive patterns compare bytes). */
static bool pat_match(const struct vg__sig_pat *p, const uint8_t *t, const uint8_t *low, size_t n)
{
    bool cs = p->cased || low;
    if (!p->cased && low) t = low;
    switch (p->kind) {
    case PK_EQ: return n == p->len && eqb(t, p->b, n, cs);
    case PK_PREFIX: return n >= p->len && eqb(t, p->b, p->len, cs);
    case PK_SUFFIX: return n >= p->len && eqb(t + n - p->len, p->b, p->len, cs);
    case PK_CONTAINS: return find_ci(t, n, p->b, p->len, cs);
    case PK_ANY: return true;
    default: break;
    }
    /* general glob */
    uint32_t first = 0, last = p->nseg;
    size_t pos = 0;
    if (!p->lead) {
        if (p->nseg == 1 && !p->trail) return seg_at(p, cs, &p->seg[0], t, n, 0) == n;
        pos = seg_at(p, cs, &p->seg[0], t, n, 0);
        if (pos == SIZE_MAX) return false;
        first = 1;
    }
    if (!p->trail && last > first) last--; /* the last segment is anchored at the end */
    for (uint32_t s = first; s < last; s++) {
        size_t found = SIZE_MAX;
        for (size_t i = pos; i <= n; i++) {
            size_t e = seg_at(p, cs, &p->seg[s], t, n, i);
            if (e != SIZE_MAX) { found = e; break; }
        }
        if (found == SIZE_MAX) return false;
        pos = found;
    }
    if (!p->trail && last < p->nseg && p->nseg > first) {
        const struct vg__sig_seg *s = &p->seg[p->nseg - 1];
        for (size_t i = pos; i <= n; i++)
            if (seg_at(p, cs, s, t, n, i) == n) return true;
        return false;
    }
    return true;
}

/* Text of a scalar value (not lists). */
const uint8_t *vg__sig_vtext(const struct vg_value *v, char *buf, size_t bufsz, size_t *len)
{
    if (v->type == VG_V_INT && bufsz >= 24) {
        /* the common case, without printf */
        uint64_t x = v->u.i < 0 ? 0 - (uint64_t)v->u.i : (uint64_t)v->u.i;
        size_t k = 24;
        do { buf[--k] = (char)('0' + x % 10); x /= 10; } while (x);
        if (v->u.i < 0) buf[--k] = '-';
        memmove(buf, buf + k, 24 - k);
        *len = 24 - k;
        return (const uint8_t *)buf;
    }
    if (v->type == VG_V_FLOAT) {
        int k = snprintf(buf, bufsz, "%.15g", v->u.f);
        if (k > 0 && strtod(buf, NULL) != v->u.f) k = snprintf(buf, bufsz, "%.17g", v->u.f);
        *len = k < 0 ? 0 : (size_t)k;
        return (const uint8_t *)buf;
    }
    return (const uint8_t *)vg_value_text(v, buf, bufsz, len);
}

static const uint8_t *lower_copy(struct vg_sigma_ctx *c, const uint8_t *t, size_t n)
{
    uint8_t *l = vg_arena_alloc(&c->lar, n + 1);
    if (!l) return NULL; /* falls back to case-folding compares */
    vg__sig_lower_copy(l, t, n);
    return l;
}

/* Lowercased text of a string field, computed once per event. */
static const uint8_t *field_low(struct vg_sigma_ctx *c, const struct vg_field *f);
const uint8_t *vg__sig_field_low(struct vg_sigma_ctx *c, const struct vg_field *f)
{
    if (f->v.type != VG_V_STR && f->v.type != VG_V_IP) return NULL;
    return field_low(c, f);
}

static const uint8_t *field_low(struct vg_sigma_ctx *c, const struct vg_field *f)
{
    if (f->name >= c->nslots || c->slot[f->name] != f || c->stamp[f->name] != c->gen) return NULL;
    if (c->lstamp[f->name] != c->gen) {
        c->low[f->name] = lower_copy(c, (const uint8_t *)f->v.u.s, f->v.len);
        c->lstamp[f->name] = c->gen;
    }
    return c->low[f->name];
}

static bool val_match(struct vg_sigma_ctx *c, const struct vg__sig_val *v, const struct vg_field *f)
{
    char buf[64];
    const struct vg_value *fv = &f->v;
    if (fv->type == VG_V_LIST) {
        for (uint32_t i = 0; i < fv->len; i++)
            for (uint32_t k = 0; k < v->npat; k++)
                if (pat_match(&v->pat[k], (const uint8_t *)fv->u.list[i].s, NULL, fv->u.list[i].len)) return true;
        return false;
    }
    size_t n;
    const uint8_t *low = NULL;
    const uint8_t *t;
    if (fv->type == VG_V_STR || fv->type == VG_V_IP) {
        t = (const uint8_t *)fv->u.s;
        n = fv->len;
        if (v->npat > 0 && n > 0) low = field_low(c, f);
    } else {
        t = vg__sig_vtext(fv, buf, sizeof buf, &n);
    }
    for (uint32_t k = 0; k < v->npat; k++)
        if (pat_match(&v->pat[k], t, low, n)) return true;
    return false;
}

/* ---- leaf literal sets: a long list of simple values in one scan ---- */
#define LEAF_LITS_MIN 6   /* patterns: below this the loop is as fast */

/* A pattern a literal set can stand for: the whole literal with its anchors. */
static bool simple_pat(const struct vg__sig_pat *p)
{
    return p->len > 0 && p->len <= UINT16_MAX &&
           (p->kind == PK_EQ || p->kind == PK_PREFIX || p->kind == PK_SUFFIX || p->kind == PK_CONTAINS);
}

int vg__sig_leaf_lits(struct vg_sigma_set *s)
{
    struct vg__lit *lv = NULL;
    size_t caplv = 0;
    int rc = 0;
    if (getenv("VG_SIGMA_NOLEAFLITS")) return 0; /* A/B and the differential test */
    for (size_t r = 0; r < s->nrules && rc == 0; r++) {
        struct vg_sigma_prog *p = s->rules[r]->prog;
        if (!p || s->rules[r]->kind != VG_SIGMA_RULE) continue;
        for (uint32_t li = 0; li < p->nleaf && rc == 0; li++) {
            struct vg__sig_leaf *l = &p->leaf[li];
            if (l->kind != LK_STR || l->all || l->lits) continue;
            size_t n = 0, rest = 0;
            bool hasnull = false;
            for (uint32_t i = 0; i < l->nval; i++) {
                if (l->val[i].is_null) { hasnull = true; continue; }
                for (uint32_t k = 0; k < l->val[i].npat; k++) {
                    if (simple_pat(&l->val[i].pat[k])) n++;
                    else rest++;
                }
            }
            if (n < LEAF_LITS_MIN || n > UINT32_MAX / 2) continue;
            if (n > caplv) {
                struct vg__lit *nl = vg_realloc(lv, n * sizeof *nl);
                if (!nl) { rc = VG_ENOMEM; break; }
                lv = nl;
                caplv = n;
            }
            size_t m = 0;
            for (uint32_t i = 0; i < l->nval; i++) {
                if (l->val[i].is_null) continue;
                for (uint32_t k = 0; k < l->val[i].npat; k++) {
                    const struct vg__sig_pat *pt = &l->val[i].pat[k];
                    if (!simple_pat(pt)) continue;
                    lv[m] = (struct vg__lit){.b = pt->b, .len = pt->len, .id = (uint32_t)m, .cased = pt->cased,
                                               .st = pt->kind == PK_EQ || pt->kind == PK_PREFIX,
                                               .en = pt->kind == PK_EQ || pt->kind == PK_SUFFIX};
                    m++;
                }
            }
            if (s->nlsets % 64 == 0) {
                struct vg__litset **nl = vg_realloc(s->lsets, (s->nlsets + 64) * sizeof *nl);
                if (!nl) { rc = VG_ENOMEM; break; }
                s->lsets = nl;
            }
            struct vg__litset *ls = vg__litset_build(lv, (uint32_t)m);
            if (!ls) { rc = VG_ENOMEM; break; }
            s->lsets[s->nlsets++] = ls;
            l->lits = ls;
            l->lits_null = hasnull;
            l->lits_rest = rest > 0;
        }
    }
    vg_free(lv);
    return rc;
}

static void lit_found(uint32_t id, void *arg)
{
    (void)id;
    *(bool *)arg = true;
}

/* Does any literal of ls occur in text t (n bytes; low: lowercased or NULL)? */
static bool lits_in(struct vg_sigma_ctx *c, const struct vg__litset *ls, const uint8_t *t, const uint8_t *low, size_t n)
{
    uint8_t sb[256];
    uint8_t *tmp = NULL;
    if (!low) {
        if (n <= sizeof sb) {
            low = sb;
        } else {
            tmp = vg_arena_alloc(&c->lar, n + 1);
            if (!tmp) { /* no memory: compare through a copy-free path is not available; be exact anyway */
                uint8_t *h = vg_malloc(n + 1);
                if (!h) return false;
                vg__sig_lower_copy(h, t, n);
                bool f = false;
                vg__litset_scan(ls, t, h, n, NULL, 0, lit_found, &f);
                vg_free(h);
                return f;
            }
            low = tmp;
        }
        vg__sig_lower_copy((uint8_t *)low, t, n);
    }
    bool found = false;
    vg__litset_scan(ls, t, low, n, NULL, 0, lit_found, &found);
    return found;
}

static bool leaf_lits(struct vg_sigma_ctx *c, const struct vg__sig_leaf *l, const struct vg_field *f)
{
    const struct vg_value *fv = &f->v;
    if (fv->type == VG_V_LIST) {
        for (uint32_t i = 0; i < fv->len; i++)
            if (lits_in(c, l->lits, (const uint8_t *)fv->u.list[i].s, NULL, fv->u.list[i].len)) return true;
        return false;
    }
    if (fv->type == VG_V_STR || fv->type == VG_V_IP)
        return lits_in(c, l->lits, (const uint8_t *)fv->u.s, fv->len ? field_low(c, f) : NULL, fv->len);
    char buf[64];
    size_t n;
    const uint8_t *t = vg__sig_vtext(fv, buf, sizeof buf, &n);
    return lits_in(c, l->lits, t, NULL, n);
}

/* The patterns of l a literal set does not cover, against f (not null). */
static bool rest_match(struct vg_sigma_ctx *c, const struct vg__sig_leaf *l, const struct vg_field *f)
{
    char buf[64];
    const struct vg_value *fv = &f->v;
    size_t n;
    const uint8_t *t, *low = NULL;
    if (fv->type == VG_V_LIST) {
        for (uint32_t e = 0; e < fv->len; e++)
            for (uint32_t i = 0; i < l->nval; i++)
                for (uint32_t k = 0; k < l->val[i].npat; k++) {
                    const struct vg__sig_pat *p = &l->val[i].pat[k];
                    if (!simple_pat(p) && pat_match(p, (const uint8_t *)fv->u.list[e].s, NULL, fv->u.list[e].len)) return true;
                }
        return false;
    }
    if (fv->type == VG_V_STR || fv->type == VG_V_IP) {
        t = (const uint8_t *)fv->u.s;
        n = fv->len;
        if (n > 0) low = field_low(c, f);
    } else {
        t = vg__sig_vtext(fv, buf, sizeof buf, &n);
    }
    for (uint32_t i = 0; i < l->nval; i++)
        for (uint32_t k = 0; k < l->val[i].npat; k++) {
            const struct vg__sig_pat *p = &l->val[i].pat[k];
            if (!simple_pat(p) && pat_match(p, t, low, n)) return true;
        }
    return false;
}

static bool leaf_str(struct vg_sigma_ctx *c, const struct vg__sig_leaf *l)
{
    const struct vg_field *f = leaf_field(c, l);
    bool fnull = !f || f->v.type == VG_V_NULL;
    bool any = false;
    if (l->lits) {
        /* no `all`: the OR of every value (null ones match a null field);
         * the simple patterns in one scan, the others (globs) one by one */
        any = fnull ? l->lits_null : leaf_lits(c, l, f);
        if (!any && !fnull && l->lits_rest) any = rest_match(c, l, f);
        if (l->neq) return !fnull && !any;
        return any;
    }
    for (uint32_t i = 0; i < l->nval; i++) {
        const struct vg__sig_val *v = &l->val[i];
        bool r = v->is_null ? fnull : (!fnull && val_match(c, v, f));
        if (l->all && !l->neq) {
            if (!r) return false;
        } else if (r) {
            any = true;
            break;
        }
    }
    if (l->neq) return !fnull && !any;
    return (l->all && l->nval) ? true : any;
}

static bool text_any(struct vg_sigma_ctx *c, const struct vg__sig_val *v)
{
    const struct vg_event *ev = c->ev;
    if (ev->raw_len) {
        if (c->raw_low_gen != c->gen) {
            c->raw_low = lower_copy(c, (const uint8_t *)ev->raw, ev->raw_len);
            c->raw_low_gen = c->gen;
        }
        for (uint32_t k = 0; k < v->npat; k++)
            if (pat_match(&v->pat[k], (const uint8_t *)ev->raw, c->raw_low, ev->raw_len)) return true;
    }
    for (uint32_t i = 0; i < ev->nfields; i++) {
        const struct vg_value *fv = &ev->fields[i].v;
        if (fv->type == VG_V_STR || fv->type == VG_V_IP || fv->type == VG_V_LIST)
            if (val_match(c, v, &ev->fields[i])) return true;
    }
    return false;
}

static bool leaf_keyword(struct vg_sigma_ctx *c, const struct vg__sig_leaf *l)
{
    c->last_fid = VG_SIGMA_FIELD_KEYWORDS;
    for (uint32_t i = 0; i < l->nval; i++) {
        bool r = text_any(c, &l->val[i]);
        if (l->all && !r) return false;
        if (!l->all && r) return true;
    }
    return l->all && l->nval;
}

static bool leaf_re(struct vg_sigma_ctx *c, const struct vg__sig_leaf *l)
{
    const struct vg_field *f = leaf_field(c, l);
    if (!f || f->v.type == VG_V_NULL) return false;
    char buf[64];
    for (uint32_t i = 0; i < l->nval; i++) {
        bool r = false;
        uint32_t cnt = f->v.type == VG_V_LIST ? f->v.len : 1;
        for (uint32_t e = 0; e < cnt && !r; e++) {
            size_t n;
            const uint8_t *t;
            if (f->v.type == VG_V_LIST) { t = (const uint8_t *)f->v.u.list[e].s; n = f->v.u.list[e].len; }
            else t = vg__sig_vtext(&f->v, buf, sizeof buf, &n);
            int rc = pcre2_match(l->re[i], t ? t : (const uint8_t *)"", n, 0, 0, c->md, c->set->mctx);
            if (rc >= 0) r = true;
            else if (rc != PCRE2_ERROR_NOMATCH) c->regex_limited++;
        }
        if (l->all && !r) return false;
        if (!l->all && r) return true;
    }
    return l->all && l->nval;
}

static bool net_has(const struct vg__sig_net *net, const uint8_t *a, int fam)
{
    if (fam == 16 && net->fam == 4) {
        static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (memcmp(a, mapped, 12) != 0) return false;
        a += 12;
        fam = 4;
    }
    if (fam != net->fam) return false;
    uint32_t full = net->bits / 8u, rem = net->bits % 8u;
    if (memcmp(a, net->addr, full) != 0) return false;
    if (rem && ((a[full] & (uint8_t)(0xFF00u >> rem)) != net->addr[full])) return false;
    return true;
}

static bool leaf_cidr(struct vg_sigma_ctx *c, const struct vg__sig_leaf *l)
{
    const struct vg_field *f = leaf_field(c, l);
    if (!f || (f->v.type != VG_V_STR && f->v.type != VG_V_IP)) return false;
    uint8_t a[16];
    int fam = vg_ip_parse(f->v.u.s, f->v.len, a);
    if (!fam) return false;
    for (uint32_t i = 0; i < l->nval; i++) {
        bool r = net_has(&l->net[i], a, fam);
        if (l->all && !r) return false;
        if (!l->all && r) return true;
    }
    return l->all && l->nval;
}

static bool num_of(const struct vg_value *v, double *out)
{
    if (v->type == VG_V_INT) { *out = (double)v->u.i; return true; }
    if (v->type == VG_V_FLOAT) { *out = v->u.f; return true; }
    if (v->type != VG_V_STR || v->len == 0 || v->len >= 64) return false;
    char tmp[64];
    memcpy(tmp, v->u.s, v->len);
    tmp[v->len] = 0;
    char *end;
    double d = strtod(tmp, &end);
    if (*end || end == tmp || tmp[0] == ' ' || d != d) return false;
    *out = d;
    return true;
}

static bool cmp(uint8_t op, double a, double b)
{
    switch (op) {
    case CMP_GT: return a > b;
    case CMP_GTE: return a >= b;
    case CMP_LT: return a < b;
    case CMP_LTE: return a <= b;
    default: return a == b;
    }
}

static bool leaf_num(struct vg_sigma_ctx *c, const struct vg__sig_leaf *l, double x)
{
    for (uint32_t i = 0; i < l->nval; i++) {
        bool r = cmp(l->cmp, x, l->num[i]);
        if (l->all && !r) return false;
        if (!l->all && r) return true;
    }
    (void)c;
    return l->all && l->nval;
}

static int iso_weeks_in(int y)
{
    int p = (y + y / 4 - y / 100 + y / 400) % 7;
    int q = ((y - 1) + (y - 1) / 4 - (y - 1) / 100 + (y - 1) / 400) % 7;
    return 52 + ((p == 4 || q == 3) ? 1 : 0);
}

/* ISO 8601 week number: weeks start on Monday, week 1 holds the year's first Thursday. */
static int iso_week(const struct vg_tm *tm)
{
    int wday = tm->wday == 0 ? 7 : tm->wday; /* Monday=1 .. Sunday=7 */
    int w = (tm->yday + 1 - wday + 10) / 7;   /* yday is 0-based */
    if (w < 1) return iso_weeks_in(tm->year - 1);
    if (w > iso_weeks_in(tm->year)) return 1;
    return w;
}

static bool leaf_time(struct vg_sigma_ctx *c, const struct vg__sig_leaf *l)
{
    const struct vg_field *f = leaf_field(c, l);
    int64_t ns;
    if (f && f->v.type == VG_V_STR) {
        if (vg_time_parse_iso(f->v.u.s, f->v.len, &ns) != 0) return false;
    } else if (!f && l->field && (strcmp(l->field, "@timestamp") == 0 || strcmp(l->field, "timestamp") == 0) && c->ev->ts) {
        ns = c->ev->ts;
        c->last_fid = VG_FID_TIMESTAMP;
    } else {
        return false;
    }
    struct vg_tm tm;
    vg_time_to_tm(ns, &tm);
    double x;
    switch (l->tpart) {
    case MOD_MINUTE: x = tm.min; break;
    case MOD_HOUR: x = tm.hour; break;
    case MOD_DAY: x = tm.day; break;
    case MOD_WEEK: x = iso_week(&tm); break;
    case MOD_MONTH: x = tm.mon; break;
    default: x = tm.year; break;
    }
    return leaf_num(c, l, x);
}

static bool ref_cmp(uint8_t mode, bool cased, const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
    switch (mode) {
    case PK_PREFIX: return an >= bn && (cased ? memcmp(a, b, bn) == 0 : vg_strncasecmp_ascii((const char *)a, (const char *)b, bn) == 0);
    case PK_SUFFIX: return an >= bn && (cased ? memcmp(a + an - bn, b, bn) == 0 : vg_strncasecmp_ascii((const char *)a + an - bn, (const char *)b, bn) == 0);
    case PK_CONTAINS:
        if (bn > an) return false;
        for (size_t i = 0; i + bn <= an; i++)
            if (cased ? memcmp(a + i, b, bn) == 0 : vg_strncasecmp_ascii((const char *)a + i, (const char *)b, bn) == 0) return true;
        return false;
    default: return an == bn && (cased ? memcmp(a, b, bn) == 0 : vg_strncasecmp_ascii((const char *)a, (const char *)b, bn) == 0);
    }
}

static bool leaf_fieldref(struct vg_sigma_ctx *c, const struct vg__sig_leaf *l)
{
    const struct vg_field *f = leaf_field(c, l);
    if (!f || f->v.type == VG_V_NULL || f->v.type == VG_V_LIST) return false;
    char b1[64], b2[64];
    size_t an, bn;
    const uint8_t *a = vg__sig_vtext(&f->v, b1, sizeof b1, &an);
    for (uint32_t i = 0; i < l->nval; i++) {
        const struct vg_field *g = vg__sig_get_field(c, l->ref_fid[i]);
        bool r = false;
        if (g && g->v.type != VG_V_NULL && g->v.type != VG_V_LIST) {
            const uint8_t *b = vg__sig_vtext(&g->v, b2, sizeof b2, &bn);
            r = ref_cmp(l->ref_mode, l->cased, a, an, b, bn);
            if (r) c->last_fid2 = g->name;
        }
        if (l->all && !r) return false;
        if (!l->all && r) return true;
    }
    return l->all && l->nval;
}

static bool leaf_eval(struct vg_sigma_ctx *c, const struct vg__sig_leaf *l)
{
    c->last_fid = UINT32_MAX;
    c->last_fid2 = UINT32_MAX;
    switch (l->kind) {
    case LK_STR: return leaf_str(c, l);
    case LK_KEYWORD: return leaf_keyword(c, l);
    case LK_RE: return leaf_re(c, l);
    case LK_CIDR: return leaf_cidr(c, l);
    case LK_NUM: {
        const struct vg_field *f = leaf_field(c, l);
        double x;
        return f && num_of(&f->v, &x) && leaf_num(c, l, x);
    }
    case LK_EXISTS: {
        const struct vg_field *f = leaf_field(c, l);
        bool present = f && f->v.type != VG_V_NULL;
        if (!l->exists) c->last_fid = UINT32_MAX;
        return present == (bool)l->exists;
    }
    case LK_FIELDREF: return leaf_fieldref(c, l);
    case LK_TIME: return leaf_time(c, l);
    default: return false;
    }
}

static int grow_stack(struct vg_sigma_ctx *c, uint32_t need)
{
    if (need <= c->capstk) return 0;
    uint32_t nc = need < 64 ? 64 : need;
    uint8_t *s = vg_realloc(c->stk, nc);
    if (!s) return VG_ENOMEM;
    c->stk = s;
    uint32_t *b = vg_realloc(c->stk_begin, nc * sizeof *b);
    if (!b) return VG_ENOMEM;
    c->stk_begin = b;
    c->capstk = nc;
    return 0;
}

static int fl_push(struct vg_sigma_ctx *c, uint32_t fid)
{
    if (fid == UINT32_MAX) return 0;
    if (c->nfl == c->capfl) {
        uint32_t nc = c->capfl ? c->capfl * 2 : 32;
        if (nc > (1u << 20)) return VG_ETOOBIG;
        uint32_t *n = vg_realloc(c->fl, nc * sizeof *n);
        if (!n) return VG_ENOMEM;
        c->fl = n;
        c->capfl = nc;
    }
    c->fl[c->nfl++] = fid;
    return 0;
}

/* Combines the top k entries into one: result r keeps the fields of the
 * operands flagged in keep (true operands of a true AND/OR). */
static void explain_combine(struct vg_sigma_ctx *c, uint32_t sp, uint32_t k, bool r, bool neg)
{
    uint32_t base = sp - k;
    uint32_t w = c->stk_begin[base];
    if (r && !neg) {
        for (uint32_t i = 0; i < k; i++) {
            uint32_t from = c->stk_begin[base + i];
            uint32_t to = (i + 1 < k) ? c->stk_begin[base + i + 1] : c->nfl;
            if (!c->stk[base + i] || to == from) continue;
            memmove(c->fl + w, c->fl + from, (to - from) * sizeof *c->fl);
            w += to - from;
        }
    }
    c->nfl = w;
}

int vg__sig_prog_sc(struct vg_arena *ar, struct vg_sigma_prog *p)
{
    struct vg__sig_sc *sc = vg_arena_alloc(ar, (p->ncode + 1) * sizeof *sc);
    uint32_t *end = vg_malloc((p->maxstack + 1) * sizeof *end); /* last instruction of each stack entry */
    if (!sc || !end) { vg_free(end); return VG_ENOMEM; }
    uint32_t sp = 0;
    for (uint32_t i = 0; i < p->ncode; i++) {
        sc[i].ctl = 2;
        uint8_t op = p->code[i].op;
        if (op == OP_LEAF || op == OP_TRUE || op == OP_FALSE) { end[sp++] = i; continue; }
        if (op == OP_NOT) { end[sp - 1] = i; continue; }
        uint32_t k = (op == OP_AND || op == OP_OR) ? 2 : p->code[i].arg;
        uint8_t ctl = (op == OP_AND || op == OP_ANDN) ? 0 : 1;
        for (uint32_t j = 0; j < k; j++) {
            struct vg__sig_sc *x = &sc[end[sp - k + j]];
            x->parent = i;
            x->pos = j + 1;
            x->ctl = ctl;
        }
        sp -= k - 1;
        end[sp - 1] = i;
    }
    vg_free(end);
    p->sc = sc;
    return 0;
}

/* Explain pass: full evaluation keeping the fields of true operands. */
static int eval_explain(struct vg_sigma_ctx *c, const struct vg_sigma_prog *p)
{
    uint32_t sp = 0;
    uint8_t *s = c->stk;
    c->nfl = 0;
    for (uint32_t i = 0; i < p->ncode; i++) {
        const struct vg__sig_insn *in = &p->code[i];
        switch (in->op) {
        case OP_LEAF: {
            bool r = leaf_eval(c, &p->leaf[in->arg]);
            c->stk_begin[sp] = c->nfl;
            if (r && (fl_push(c, c->last_fid) != 0 || fl_push(c, c->last_fid2) != 0)) return VG_ENOMEM;
            s[sp++] = r;
            break;
        }
        case OP_TRUE: case OP_FALSE:
            c->stk_begin[sp] = c->nfl;
            s[sp++] = in->op == OP_TRUE;
            break;
        case OP_NOT:
            s[sp - 1] = !s[sp - 1];
            c->nfl = c->stk_begin[sp - 1];
            break;
        default: {
            uint32_t k = (in->op == OP_AND || in->op == OP_OR) ? 2 : in->arg;
            bool isand = in->op == OP_AND || in->op == OP_ANDN;
            bool r = isand;
            for (uint32_t j = sp - k; j < sp; j++) r = isand ? (r && s[j]) : (r || s[j]);
            explain_combine(c, sp, k, r, false);
            sp -= k - 1;
            s[sp - 1] = r;
            break;
        }
        }
    }
    return sp == 1 && s[0];
}

int vg__sig_eval(struct vg_sigma_ctx *c, const struct vg_sigma_prog *p, const struct vg_event *ev)
{
    vg__sig_index(c, ev);
    if (grow_stack(c, p->maxstack + 1) != 0) return VG_ENOMEM;
    if (c->explain) return eval_explain(c, p);
    uint32_t sp = 0;
    uint8_t *s = c->stk;
    const struct vg__sig_sc *sc = p->sc;
    for (uint32_t i = 0; i < p->ncode; i++) {
        const struct vg__sig_insn *in = &p->code[i];
        switch (in->op) {
        case OP_LEAF: s[sp++] = leaf_eval(c, &p->leaf[in->arg]); break;
        case OP_TRUE: s[sp++] = 1; break;
        case OP_FALSE: s[sp++] = 0; break;
        case OP_NOT: s[sp - 1] = !s[sp - 1]; break;
        default: {
            uint32_t k = (in->op == OP_AND || in->op == OP_OR) ? 2 : in->arg;
            bool isand = in->op == OP_AND || in->op == OP_ANDN;
            bool r = isand;
            for (uint32_t j = sp - k; j < sp; j++) r = isand ? (r && s[j]) : (r || s[j]);
            sp -= k - 1;
            s[sp - 1] = r;
            break;
        }
        }
        /* short circuit: this value decides its operator (and maybe the operator's parent) */
        while (sc && sc[i].ctl == s[sp - 1]) {
            uint8_t v = s[sp - 1];
            sp -= sc[i].pos;
            s[sp++] = v;
            i = sc[i].parent;
        }
    }
    return sp == 1 && s[0];
}

int vg__sig_ls_applies(struct vg_sigma_ctx *c, const struct vg_sigma_prog *p, const struct vg_event *ev)
{
    if (p->unmapped) return 1;
    vg__sig_index(c, ev);
    for (uint32_t i = 0; i < p->nls; i++) {
        uint32_t e = p->ls[i];
        if (c->lsres[e] < 0) {
            const struct vg__sig_lsmap *m = &c->set->ls[e];
            bool saved = c->explain;
            c->explain = false;
            int r = m->match ? vg__sig_eval(c, m->match, ev) : 1;
            c->explain = saved;
            if (r < 0) return r;
            c->lsres[e] = (int8_t)r;
        }
        if (!c->lsres[e]) return 0;
    }
    return 1;
}

int vg_sigma_applies(struct vg_sigma_ctx *c, const struct vg_sigma_rule *r, const struct vg_event *ev)
{
    if (!r->prog) return 0;
    c->ev = NULL;
    return vg__sig_ls_applies(c, r->prog, ev);
}

int vg_sigma_match_rule(struct vg_sigma_ctx *c, const struct vg_sigma_rule *r, const struct vg_event *ev)
{
    if (!r->prog) return VG_EINVAL;
    c->ev = NULL;
    c->explain = false;
    return vg__sig_eval(c, r->prog, ev);
}

void vg__sig_hits_reset(struct vg_sigma_ctx *c)
{
    c->nhits = 0;
    c->nhf = 0;
    c->explain = false;
}

/* Records r as a hit of ev: runs the explain pass for its fields. */
int vg__sig_hit_add(struct vg_sigma_ctx *c, const struct vg_sigma_rule *r, const struct vg_event *ev)
{
    c->explain = true;
    int m = vg__sig_eval(c, r->prog, ev);
    c->explain = false;
    if (m < 0) return m;
    if (c->nhits == c->caphits) {
        size_t nc = c->caphits ? c->caphits * 2 : 8;
        struct vg_sigma_hit *nh = vg_realloc(c->hits, nc * sizeof *nh);
        if (!nh) return VG_ENOMEM;
        c->hits = nh;
        c->caphits = nc;
    }
    size_t start = c->nhf;
    for (uint32_t k = 0; k < c->nfl; k++) {
        bool dup = false;
        for (size_t j = start; j < c->nhf; j++) dup |= c->hf[j] == c->fl[k];
        if (dup) continue;
        if (c->nhf == c->caphf) {
            size_t nc = c->caphf ? c->caphf * 2 : 32;
            uint32_t *nf = vg_realloc(c->hf, nc * sizeof *nf);
            if (!nf) return VG_ENOMEM;
            c->hf = nf;
            c->caphf = nc;
        }
        c->hf[c->nhf++] = c->fl[k];
    }
    c->hits[c->nhits].rule = r;
    c->hits[c->nhits].nfields = (uint32_t)(c->nhf - start);
    c->hits[c->nhits].fields = (const uint32_t *)(uintptr_t)start; /* fixed up in hits_done */
    c->nhits++;
    return 0;
}

int vg__sig_hits_done(struct vg_sigma_ctx *c, const struct vg_sigma_hit **hits)
{
    for (size_t i = 0; i < c->nhits; i++)
        c->hits[i].fields = c->hf ? c->hf + (uintptr_t)c->hits[i].fields : NULL;
    c->stats.hits += c->nhits;
    *hits = c->hits;
    return (int)c->nhits;
}

int vg_sigma_match_naive(struct vg_sigma_ctx *c, const struct vg_event *ev, const struct vg_sigma_hit **hits)
{
    const struct vg_sigma_set *set = c->set;
    *hits = NULL;
    if (!set->compiled) return VG_ESTATE;
    c->ev = NULL; /* force re-index: the caller may reuse event storage */
    vg__sig_hits_reset(c);
    vg__sig_index(c, ev);
    for (size_t i = 0; i < set->nrules; i++) {
        const struct vg_sigma_rule *r = set->rules[i];
        if (r->kind != VG_SIGMA_RULE || !r->prog) continue;
        int a = vg__sig_ls_applies(c, r->prog, ev);
        if (a <= 0) { if (a < 0) return a; continue; }
        c->stats.evaluated++;
        int m = vg__sig_eval(c, r->prog, ev);
        if (m < 0) return m;
        if (m && (m = vg__sig_hit_add(c, r, ev)) < 0) return m;
    }
    return vg__sig_hits_done(c, hits);
}
