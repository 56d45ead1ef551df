/* Threat-intel builder and compiled set: collects indicators and their
 * atoms (normalised values), compiles them into the string set and IP
 * prefix tables of index.c, and matches events and single values against
 * them, applying validity windows and warninglist suppression. Also the
 * reference counting and the swap slot used by feed refreshes. */
#include "internal.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <stdarg.h>
#include <stdatomic.h>

enum fkind { FK_NONE = 0, FK_IP, FK_DOMAIN, FK_URL, FK_HASH, FK_HASHES, FK_EMAIL };

struct vg_intel_set {
    atomic_int refs;
    struct vg_arena arena;
    struct vg_intel_indicator *ind;
    size_t nind;
    struct intel_strset ss, wss;
    struct intel_ipidx ip, wip;
    char **substr;
    uint32_t *substr_len;
    size_t nsubstr;
    uint8_t *fkind;
    uint32_t nfk;
    size_t atoms[VG_INTEL_NTYPES];
    size_t nwl;
    struct intel_conj *conj;      /* conjunctions of AND patterns (atoms with INTEL_CONJ_BIT) */
    size_t nconj;
    struct intel_cons *cons;
    size_t ncons;
    struct intel_cval *cvals;
    size_t ncvals;
};

const char *vg_intel_type_name(int type)
{
    static const char *const names[VG_INTEL_NTYPES] = {"ip", "domain", "hostname", "url", "md5",
                                                       "sha1", "sha256", "sha512", "email"};
    return type >= 0 && type < VG_INTEL_NTYPES ? names[type] : "unknown";
}

/* ---- report ------------------------------------------------------------ */

void intel_report_add(struct vg_intel_report *rep, bool note, const char *feed, const char *id, const char *fmt, ...)
{
    if (!rep) return;
    struct vg_intel_reject **arr = note ? &rep->notes : &rep->rej;
    size_t *n = note ? &rep->nnotes : &rep->nrej;
    if (*n >= VG_INTEL_MAX_REJECTS) return;
    if (*n == 0 || (*n & (*n - 1)) == 0) { /* grow at powers of two */
        size_t cap = *n ? *n * 2 : 8;
        struct vg_intel_reject *r = vg_realloc(*arr, cap * sizeof *r);
        if (!r) return;
        *arr = r;
    }
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    struct vg_intel_reject *r = &(*arr)[*n];
    r->feed = feed ? vg_strdup(feed) : NULL;
    r->id = id ? vg_strdup(id) : NULL;
    r->reason = vg_strdup(buf);
    (*n)++;
}

void vg_intel_report_release(struct vg_intel_report *rep)
{
    if (!rep) return;
    for (size_t i = 0; i < rep->nrej; i++) { vg_free(rep->rej[i].feed); vg_free(rep->rej[i].id); vg_free(rep->rej[i].reason); }
    for (size_t i = 0; i < rep->nnotes; i++) { vg_free(rep->notes[i].feed); vg_free(rep->notes[i].id); vg_free(rep->notes[i].reason); }
    vg_free(rep->rej);
    vg_free(rep->notes);
    memset(rep, 0, sizeof *rep);
}

/* ---- builder ----------------------------------------------------------- */

struct vg_intel_builder *vg_intel_builder_new(void)
{
    struct vg_intel_builder *b = vg_calloc(1, sizeof *b);
    if (!b) return NULL;
    vg_arena_init(&b->arena, 64u << 10);
    return b;
}

void vg_intel_builder_free(struct vg_intel_builder *b)
{
    if (!b) return;
    vg_arena_release(&b->arena);
    vg_free(b->ind);
    vg_free(b->atoms);
    vg_free(b->wl);
    vg_free(b->substr);
    vg_free(b->substr_len);
    for (size_t i = 0; i < b->ncons; i++) pcre2_code_free(b->cons[i].re);
    vg_free(b->conj);
    vg_free(b->cons);
    vg_free(b->cvals);
    vg_free(b);
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return 0;
    size_t nc = *cap ? *cap * 2 : 64;
    while (nc < need) nc *= 2;
    void *q = vg_realloc(*p, nc * elem);
    if (!q) return VG_ENOMEM;
    *p = q;
    *cap = nc;
    return 0;
}

static const char *adup(struct vg_intel_builder *b, const char *s)
{
    return s ? vg_arena_strndup(&b->arena, s, strlen(s)) : NULL;
}

int intel_builder_add_ind(struct vg_intel_builder *b, const struct vg_intel_indicator *meta, uint32_t *id)
{
    if (b->nind >= UINT32_MAX - 1) return VG_ETOOBIG;
    if (grow((void **)&b->ind, &b->capind, b->nind + 1, sizeof *b->ind)) return VG_ENOMEM;
    struct vg_intel_indicator *d = &b->ind[b->nind];
    memset(d, 0, sizeof *d);
    d->id = adup(b, meta->id);
    d->name = adup(b, meta->name);
    d->feed = adup(b, meta->feed);
    d->pattern = adup(b, meta->pattern);
    d->labels = adup(b, meta->labels);
    if ((meta->id && !d->id) || (meta->name && !d->name) || (meta->feed && !d->feed) ||
        (meta->pattern && !d->pattern) || (meta->labels && !d->labels))
        return VG_ENOMEM;
    d->confidence = meta->confidence;
    d->valid_from = meta->valid_from;
    d->valid_until = meta->valid_until;
    *id = (uint32_t)b->nind++;
    return 0;
}

static inline unsigned char lc(unsigned char c) { return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c; }

/* URL key: a bare "scheme://host/" loses its final slash. */
static size_t url_key_len(const char *s, size_t len)
{
    if (len && s[len - 1] == '/') {
        const char *p = NULL;
        for (size_t i = 0; i + 2 < len; i++)
            if (s[i] == ':' && s[i + 1] == '/' && s[i + 2] == '/') { p = s + i + 3; break; }
        if (p && p <= s + len - 1 && !memchr(p, '/', (size_t)(s + len - 1 - p))) return len - 1;
    }
    return len;
}

static bool hex_len_ok(const char *s, size_t len, int type)
{
    static const size_t want[VG_INTEL_NTYPES] = {[VG_INTEL_MD5] = 32, [VG_INTEL_SHA1] = 40, [VG_INTEL_SHA256] = 64,
                                                 [VG_INTEL_SHA512] = 128};
    if (len != want[type]) return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = lc((unsigned char)s[i]);
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    }
    return true;
}

/* Normalises value of `type` into atom a (string copied into the arena). */
static int make_atom(struct vg_intel_builder *b, int type, const char *v, size_t len, struct intel_atom *a,
                     const char **why)
{
    memset(a, 0, sizeof *a);
    while (len && (*v == ' ' || *v == '\t')) { v++; len--; }
    while (len && (v[len - 1] == ' ' || v[len - 1] == '\t' || v[len - 1] == '\r')) len--;
    if (!len) { *why = "empty value"; return VG_EINVAL; }
    if (len > INTEL_MAX_VALUE) { *why = "value too long"; return VG_EINVAL; }
    a->type = (uint8_t)type;
    char tmp[256];
    size_t n;
    switch (type) {
    case VG_INTEL_IP:
        if (intel_parse_cidr(v, len, a->ip, &a->v6, &a->plen) != 0) { *why = "not an IP address or CIDR"; return VG_EINVAL; }
        return 0;
    case VG_INTEL_DOMAIN:
    case VG_INTEL_HOSTNAME:
        if (len > 2 && v[0] == '*' && v[1] == '.') { v += 2; len -= 2; a->type = VG_INTEL_DOMAIN; }
        n = intel_norm_domain(v, len, tmp, sizeof tmp);
        if (!n || memchr(tmp, '*', n)) { *why = "not a domain name"; return VG_EINVAL; }
        v = tmp;
        len = n;
        break;
    case VG_INTEL_URL:
        if (len < 4) { *why = "not a URL"; return VG_EINVAL; }
        len = url_key_len(v, len);
        break;
    case VG_INTEL_MD5: case VG_INTEL_SHA1: case VG_INTEL_SHA256: case VG_INTEL_SHA512:
        if (!hex_len_ok(v, len, type)) { *why = "not a hex digest of the right length"; return VG_EINVAL; }
        break;
    case VG_INTEL_EMAIL:
        if (!memchr(v, '@', len) || v[0] == '@') { *why = "not an e-mail address"; return VG_EINVAL; }
        break;
    case INTEL_WL_TYPE_STR:
        break;
    default:
        *why = "unknown type";
        return VG_EINVAL;
    }
    char *s = vg_arena_alloc(&b->arena, len + 1);
    if (!s) return VG_ENOMEM;
    for (size_t i = 0; i < len; i++) s[i] = (char)lc((unsigned char)v[i]);
    s[len] = 0;
    a->s = s;
    a->len = (uint32_t)len;
    return 0;
}

int intel_builder_add_atom(struct vg_intel_builder *b, uint32_t ind, int type, const char *value, size_t len,
                           const char **why)
{
    if (b->natoms >= INTEL_MAX_ATOMS) { *why = "too many indicators"; return VG_ETOOBIG; }
    if (grow((void **)&b->atoms, &b->capatoms, b->natoms + 1, sizeof *b->atoms)) return VG_ENOMEM;
    int rc = make_atom(b, type, value, len, &b->atoms[b->natoms], why);
    if (rc) return rc;
    b->atoms[b->natoms++].ind = ind;
    return 0;
}

/* wltype: VG_INTEL_IP (cidr), VG_INTEL_DOMAIN (hostname), INTEL_WL_TYPE_STR (string), -1 substring */
int intel_builder_add_wl(struct vg_intel_builder *b, int wltype, const char *value, size_t len, const char **why)
{
    if (b->nwl + b->nsubstr >= INTEL_MAX_ATOMS) { *why = "too many warninglist entries"; return VG_ETOOBIG; }
    if (wltype < 0) {
        if (!len || len > INTEL_MAX_VALUE) { *why = "bad substring"; return VG_EINVAL; }
        size_t oldcap = b->capsubstr;
        if (grow((void **)&b->substr, &b->capsubstr, b->nsubstr + 1, sizeof *b->substr)) return VG_ENOMEM;
        if (b->capsubstr != oldcap || !b->substr_len) {
            uint32_t *q = vg_realloc(b->substr_len, b->capsubstr * sizeof *q);
            if (!q) { b->capsubstr = oldcap; return VG_ENOMEM; }
            b->substr_len = q;
        }
        char *s = vg_arena_strndup(&b->arena, value, len);
        if (!s) return VG_ENOMEM;
        b->substr[b->nsubstr] = s;
        b->substr_len[b->nsubstr++] = (uint32_t)len;
        return 0;
    }
    if (grow((void **)&b->wl, &b->capwl, b->nwl + 1, sizeof *b->wl)) return VG_ENOMEM;
    int rc = make_atom(b, wltype, value, len, &b->wl[b->nwl], why);
    if (rc) return rc;
    b->wl[b->nwl++].ind = UINT32_MAX;
    return 0;
}

int vg_intel_add(struct vg_intel_builder *b, int type, const char *value, size_t len,
                 const struct vg_intel_indicator *meta)
{
    if (!b || !meta || type < 0 || type >= VG_INTEL_NTYPES) return VG_EINVAL;
    uint32_t id;
    int rc = intel_builder_add_ind(b, meta, &id);
    if (rc) return rc;
    const char *why = NULL;
    rc = intel_builder_add_atom(b, id, type, value, len, &why);
    if (rc) b->nind--;
    return rc;
}

void intel_builder_rollback_conj(struct vg_intel_builder *b, size_t nconj, size_t ncons, size_t ncvals)
{
    for (size_t i = ncons; i < b->ncons; i++) pcre2_code_free(b->cons[i].re);
    if (nconj < b->nconj) b->nconj = nconj;
    if (ncons < b->ncons) b->ncons = ncons;
    if (ncvals < b->ncvals) b->ncvals = ncvals;
}

int intel_builder_add_conj(struct vg_intel_builder *b, uint32_t ind, const struct intel_pconj *cj, uint32_t *entry,
                           const char **why)
{
    size_t nv = 0;
    for (size_t i = 0; i < cj->ncons; i++) nv += cj->cons[i].nv;
    if (b->nconj >= INTEL_MAX_CONJ || b->ncvals + nv >= INTEL_MAX_ATOMS) { *why = "too many AND patterns"; return VG_ETOOBIG; }
    if (grow((void **)&b->conj, &b->capconj, b->nconj + 1, sizeof *b->conj) ||
        grow((void **)&b->cons, &b->capcons, b->ncons + cj->ncons, sizeof *b->cons) ||
        grow((void **)&b->cvals, &b->capcvals, b->ncvals + nv + 1, sizeof *b->cvals))
        return VG_ENOMEM;
    size_t s_cons = b->ncons, s_cvals = b->ncvals;
    int rc = 0;
    for (size_t i = 0; i < cj->ncons && !rc; i++) {
        const struct intel_pcons *pc = &cj->cons[i];
        struct intel_cons *c = &b->cons[b->ncons];
        memset(c, 0, sizeof *c);
        c->op = pc->op;
        c->neg = pc->neg;
        c->ci = pc->ci;
        c->ip = pc->ip;
        for (size_t f = 0; pc->fields[f] && c->nf < VG_ARRAY_LEN(c->fid); f++) {
            uint32_t id = vg_fid(pc->fields[f], strlen(pc->fields[f]));
            if (id != UINT32_MAX) c->fid[c->nf++] = id;
        }
        c->v0 = (uint32_t)b->ncvals;
        c->nv = (uint32_t)pc->nv;
        if (!c->nf) { *why = "no event field carries the compared property"; rc = VG_EINVAL; break; }
        for (size_t k = 0; k < pc->nv; k++) {
            struct intel_cval *v = &b->cvals[b->ncvals];
            memset(v, 0, sizeof *v);
            if (pc->vals[k].len > INTEL_MAX_VALUE) { *why = "value too long"; rc = VG_EINVAL; break; }
            char *cp = vg_arena_strndup(&b->arena, pc->vals[k].s, pc->vals[k].len);
            if (!cp) { rc = VG_ENOMEM; break; }
            v->s = cp;
            v->len = (uint32_t)pc->vals[k].len;
            if (c->ip && intel_parse_cidr(cp, v->len, v->ip, &v->v6, &v->plen) != 0) {
                *why = "compared address is not an IP address or CIDR";
                rc = VG_EINVAL;
                break;
            }
            b->ncvals++;
        }
        if (!rc && c->op == COP_MATCHES) {
            if (pc->nv != 1) { *why = "MATCHES takes one regular expression"; rc = VG_EINVAL; break; }
            int errc;
            PCRE2_SIZE eo;
            c->re = pcre2_compile((PCRE2_SPTR)pc->vals[0].s, pc->vals[0].len, PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &errc, &eo, NULL);
            if (!c->re) { *why = "MATCHES: the regular expression does not compile"; rc = VG_EINVAL; break; }
        }
        if (!rc) b->ncons++;
    }
    if (rc) {
        intel_builder_rollback_conj(b, b->nconj, s_cons, s_cvals);
        return rc;
    }
    b->conj[b->nconj] = (struct intel_conj){ind, (uint32_t)s_cons, (uint32_t)(b->ncons - s_cons)};
    *entry = INTEL_CONJ_BIT | (uint32_t)b->nconj++;
    return 0;
}

/* ---- build ------------------------------------------------------------- */

static const struct { const char *name; uint8_t kind; } field_map[] = {
    {"source.ip", FK_IP}, {"destination.ip", FK_IP}, {"host.ip", FK_IP}, {"client.ip", FK_IP},
    {"server.ip", FK_IP}, {"source.nat.ip", FK_IP}, {"destination.nat.ip", FK_IP}, {"related.ip", FK_IP},
    {"dns.question.name", FK_DOMAIN}, {"url.domain", FK_DOMAIN}, {"destination.domain", FK_DOMAIN},
    {"source.domain", FK_DOMAIN}, {"server.domain", FK_DOMAIN}, {"client.domain", FK_DOMAIN},
    {"tls.client.server_name", FK_DOMAIN}, {"related.hosts", FK_DOMAIN},
    {"url.full", FK_URL}, {"url.original", FK_URL},
    {"file.hash.md5", FK_HASH}, {"file.hash.sha1", FK_HASH}, {"file.hash.sha256", FK_HASH},
    {"file.hash.sha512", FK_HASH}, {"process.hash.md5", FK_HASH}, {"process.hash.sha1", FK_HASH},
    {"process.hash.sha256", FK_HASH}, {"process.hash.sha512", FK_HASH}, {"process.parent.hash.md5", FK_HASH},
    {"process.parent.hash.sha1", FK_HASH}, {"process.parent.hash.sha256", FK_HASH}, {"dll.hash.md5", FK_HASH},
    {"dll.hash.sha1", FK_HASH}, {"dll.hash.sha256", FK_HASH}, {"related.hash", FK_HASH},
    {"Hashes", FK_HASHES}, {"winlog.event_data.Hashes", FK_HASHES},
    {"email.from.address", FK_EMAIL}, {"email.to.address", FK_EMAIL}, {"email.sender.address", FK_EMAIL},
    {"email.reply_to.address", FK_EMAIL}, {"user.email", FK_EMAIL}, {"source.user.email", FK_EMAIL},
};

void vg_intel_set_unref(struct vg_intel_set *s)
{
    if (!s || atomic_fetch_sub(&s->refs, 1) != 1) return;
    intel_strset_free(&s->ss);
    intel_strset_free(&s->wss);
    intel_ipidx_free(&s->ip);
    intel_ipidx_free(&s->wip);
    vg_free(s->ind);
    vg_free(s->substr);
    vg_free(s->substr_len);
    vg_free(s->fkind);
    for (size_t i = 0; i < s->ncons; i++) pcre2_code_free(s->cons[i].re);
    vg_free(s->conj);
    vg_free(s->cons);
    vg_free(s->cvals);
    vg_arena_release(&s->arena);
    vg_free(s);
}

struct vg_intel_set *vg_intel_set_ref(struct vg_intel_set *s)
{
    if (s) atomic_fetch_add(&s->refs, 1);
    return s;
}

/* Splits atoms into IP and string atoms (in place: IPs first). */
static size_t partition_ip(struct intel_atom *a, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (a[i].type == VG_INTEL_IP) {
            struct intel_atom t = a[k];
            a[k++] = a[i];
            a[i] = t;
        }
    return k;
}

struct vg_intel_set *vg_intel_build(struct vg_intel_builder *b, struct vg_err *err)
{
    struct vg_intel_set *s = NULL;
    if (!b) { vg_err_set(err, VG_EINVAL, "no builder"); return NULL; }
    s = vg_calloc(1, sizeof *s);
    if (!s) goto oom;
    atomic_init(&s->refs, 1);
    vg_arena_init(&s->arena, 64u << 10);
    for (size_t i = 0; i < b->natoms; i++) s->atoms[b->atoms[i].type]++;
    size_t nip = partition_ip(b->atoms, b->natoms);
    if (intel_ipidx_build(&s->ip, b->atoms, nip)) goto oom;
    if (intel_strset_build(&s->ss, b->atoms ? b->atoms + nip : NULL, b->natoms - nip)) goto oom;
    size_t nwip = partition_ip(b->wl, b->nwl);
    if (intel_ipidx_build(&s->wip, b->wl, nwip)) goto oom;
    if (intel_strset_build(&s->wss, b->wl ? b->wl + nwip : NULL, b->nwl - nwip)) goto oom;
    s->nwl = b->nwl + b->nsubstr;
    /* field table */
    uint32_t maxid = 0, ids[VG_ARRAY_LEN(field_map)];
    for (size_t i = 0; i < VG_ARRAY_LEN(field_map); i++) {
        ids[i] = vg_fid(field_map[i].name, strlen(field_map[i].name));
        if (ids[i] != UINT32_MAX && ids[i] + 1 > maxid) maxid = ids[i] + 1;
    }
    s->fkind = vg_calloc(maxid ? maxid : 1, 1);
    if (!s->fkind) goto oom;
    s->nfk = maxid;
    for (size_t i = 0; i < VG_ARRAY_LEN(field_map); i++)
        if (ids[i] != UINT32_MAX) s->fkind[ids[i]] = field_map[i].kind;
    /* take over the builder's storage */
    s->ind = b->ind; b->ind = NULL;
    s->nind = b->nind;
    s->substr = b->substr; b->substr = NULL;
    s->substr_len = b->substr_len; b->substr_len = NULL;
    s->nsubstr = b->nsubstr;
    s->conj = b->conj; b->conj = NULL;
    s->nconj = b->nconj;
    s->cons = b->cons; b->cons = NULL;
    s->ncons = b->ncons; b->ncons = 0;
    s->cvals = b->cvals; b->cvals = NULL;
    s->ncvals = b->ncvals;
    vg_arena_release(&s->arena);
    s->arena = b->arena;
    vg_arena_init(&b->arena, 64u << 10);
    vg_intel_builder_free(b);
    return s;
oom:
    vg_err_set(err, VG_ENOMEM, "out of memory building the intel set");
    if (s) { atomic_store(&s->refs, 1); vg_intel_set_unref(s); }
    vg_intel_builder_free(b);
    return NULL;
}

void vg_intel_stats(const struct vg_intel_set *s, struct vg_intel_stats *out)
{
    memset(out, 0, sizeof *out);
    if (!s) return;
    out->indicators = s->nind;
    memcpy(out->atoms, s->atoms, sizeof out->atoms);
    out->ip_prefixes = s->ip.npfx;
    out->ip_intervals4 = s->ip.n4;
    out->ip_intervals6 = s->ip.n6;
    out->strings = s->ss.n;
    out->wl_entries = s->nwl;
    size_t by = s->nind * sizeof *s->ind;
    by += (s->ss.mask + 1) * 8 + s->ss.n * sizeof(struct intel_strent) + s->ss.npost * 4;
    by += s->ip.npfx * sizeof(struct intel_pfx) + s->ip.npost * 4 + s->ip.n4 * 8 + (s->ip.idx4 ? 65537 * 4 : 0) + s->ip.n6 * 20;
    by += (s->wss.mask + 1) * 8 + s->wss.n * sizeof(struct intel_strent) + s->wip.npfx * sizeof(struct intel_pfx) +
          s->wip.n4 * 8 + s->wip.n6 * 20 + (s->wip.idx4 ? 65537 * 4 : 0);
    by += s->arena.total;
    out->bytes = by;
}

const struct vg_intel_indicator *vg_intel_indicators(const struct vg_intel_set *s, size_t *n)
{
    *n = s ? s->nind : 0;
    return s ? s->ind : NULL;
}

/* ---- matching ------------------------------------------------------------ */

struct mctx {
    const struct vg_intel_set *s;
    const struct vg_event *ev;   /* NULL for single-value checks: conjunctions are not verified */
    int64_t ts;
    struct vg_intel_hit *hits;
    size_t max, n;
    uint32_t fid;
    const char *value;
    uint32_t vlen;
    int vtype;             /* detected value class for suppression */
    int8_t suppressed;     /* -1 unknown, 0 no, 1 yes */
    struct vg_intel_match_stats *st;
    bool any_suppressed;
    bool no_suppress;      /* look-up: warninglists do not hide hits */
};

static bool substr_ci(const char *h, size_t hl, const char *n, size_t nl)
{
    if (nl > hl) return false;
    for (size_t i = 0; i + nl <= hl; i++)
        if (vg_strncasecmp_ascii(h + i, n, nl) == 0) return true;
    return false;
}

static int wl_dom_fn(const struct intel_strent *e, void *ctx)
{
    (void)e;
    (void)ctx;
    return 1;
}

static bool wl_check(const struct vg_intel_set *s, const char *v, size_t len)
{
    if (!s->nwl || !len) return false;
    uint8_t ip[16];
    int alen = vg_ip_parse(v, len, ip);
    if (alen == 16 && !memcmp(ip, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12)) { memmove(ip, ip + 12, 4); alen = 4; }
    if ((alen == 4 || alen == 16) && intel_ipidx_lookup(&s->wip, ip, alen) >= 0) return true;
    size_t l = len;
    while (l && v[l - 1] == '.') l--;
    if (intel_strset_get(&s->wss, INTEL_WL_TYPE_STR, v, l)) return true;
    if (intel_strset_suffixes(&s->wss, VG_INTEL_DOMAIN, -1, v, l, wl_dom_fn, NULL)) return true;
    for (size_t i = 0; i < s->nsubstr; i++)
        if (substr_ci(v, len, s->substr[i], s->substr_len[i])) return true;
    return false;
}

bool vg_intel_warninglisted(const struct vg_intel_set *s, const char *value, size_t len)
{
    return s && wl_check(s, value, len);
}

/* Does one event value satisfy constraint c (before NOT)? */
static bool cons_value(const struct intel_cons *c, const struct intel_cval *vals, const char *v, size_t n)
{
    if (c->op == COP_MATCHES) {
        pcre2_match_data *md = pcre2_match_data_create(1, NULL);
        if (!md) return false;
        int rc = pcre2_match(c->re, (PCRE2_SPTR)(v ? v : ""), n, 0, 0, md, NULL);
        pcre2_match_data_free(md);
        return rc >= 0;
    }
    if (c->op >= COP_GT && c->op <= COP_LE) {
        char buf[64];
        if (!n || n >= sizeof buf || vals[0].len >= sizeof buf) return false;
        memcpy(buf, v, n);
        buf[n] = 0;
        char *e;
        double x = strtod(buf, &e);
        if (e != buf + n) return false;
        memcpy(buf, vals[0].s, vals[0].len);
        buf[vals[0].len] = 0;
        double y = strtod(buf, &e);
        if (e != buf + vals[0].len) return false;
        return c->op == COP_GT ? x > y : c->op == COP_GE ? x >= y : c->op == COP_LT ? x < y : x <= y;
    }
    bool any = false;
    uint8_t ip[16];
    int alen = 0;
    if (c->ip) {
        alen = vg_ip_parse(v, n, ip);
        if (alen == 16 && !memcmp(ip, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12)) { memmove(ip, ip + 12, 4); alen = 4; }
        if (alen != 4 && alen != 16) return c->op == COP_NEQ;
    }
    for (uint32_t k = 0; k < c->nv && !any; k++) {
        const struct intel_cval *x = &vals[k];
        if (c->ip) {
            if ((alen == 16) != (x->v6 != 0)) continue;
            uint8_t full = x->plen / 8, rem = x->plen % 8;
            any = !memcmp(ip, x->ip, full) && (!rem || ((ip[full] ^ x->ip[full]) & (uint8_t)(0xff << (8 - rem))) == 0);
        } else if (c->op == COP_LIKE) {
            /* SQL LIKE: % any run, _ one byte (iterative, backtracking on the last %) */
            size_t pi = 0, vi = 0, star = SIZE_MAX, mark = 0;
            while (vi < n) {
                char pc = pi < x->len ? x->s[pi] : 0;
                if (pi < x->len && pc == '%') { star = pi++; mark = vi; continue; }
                if (pi < x->len && (pc == '_' || (c->ci ? lc((unsigned char)pc) == lc((unsigned char)v[vi]) : pc == v[vi]))) { pi++; vi++; continue; }
                if (star == SIZE_MAX) break;
                pi = star + 1;
                vi = ++mark;
            }
            while (pi < x->len && x->s[pi] == '%') pi++;
            any = vi == n && pi == x->len;
        } else {
            any = x->len == n && (c->ci ? vg_strncasecmp_ascii(x->s, v, n) == 0 : memcmp(x->s, v, n) == 0);
        }
    }
    return c->op == COP_NEQ ? !any : any;
}

/* Are all constraints of conjunction cj met by the event? A constraint
 * holds when some value of one of its fields satisfies it (NOT: when none
 * does, the field being absent included). */
static bool conj_ok(const struct vg_intel_set *s, const struct intel_conj *cj, const struct vg_event *ev)
{
    for (uint32_t i = 0; i < cj->nc; i++) {
        const struct intel_cons *c = &s->cons[cj->c0 + i];
        bool hit = false;
        for (uint32_t f = 0; f < ev->nfields && !hit; f++) {
            const struct vg_field *fl = &ev->fields[f];
            bool want = false;
            for (uint8_t k = 0; k < c->nf; k++) want |= fl->name == c->fid[k];
            if (!want) continue;
            if (fl->v.type == VG_V_LIST) {
                for (uint32_t k = 0; k < fl->v.len && k < 256 && !hit; k++)
                    hit = cons_value(c, s->cvals + c->v0, fl->v.u.list[k].s, fl->v.u.list[k].len);
            } else {
                char buf[64];
                size_t n = 0;
                const char *t = vg_value_text(&fl->v, buf, sizeof buf, &n);
                hit = t && cons_value(c, s->cvals + c->v0, t, n);
            }
        }
        if (hit == (bool)c->neg) return false;
    }
    return true;
}

static void add_postings(struct mctx *m, const uint32_t *post, uint32_t npost, int type)
{
    for (uint32_t i = 0; i < npost; i++) {
        uint32_t id = post[i];
        if (id & INTEL_CONJ_BIT) {
            const struct intel_conj *cj = &m->s->conj[id & ~INTEL_CONJ_BIT];
            if (m->ev && !conj_ok(m->s, cj, m->ev)) continue;
            id = cj->ind;
        }
        const struct vg_intel_indicator *ind = &m->s->ind[id];
        if (m->ts != INT64_MIN && (m->ts < ind->valid_from || m->ts >= ind->valid_until)) {
            if (m->st) m->st->expired++;
            continue;
        }
        if (m->suppressed < 0) m->suppressed = !m->no_suppress && wl_check(m->s, m->value, m->vlen);
        if (m->suppressed) {
            m->any_suppressed = true;
            if (m->st) m->st->suppressed++;
            return;
        }
        bool dup = false;
        for (size_t k = 0; k < m->n && k < m->max; k++)
            if (m->hits[k].ind == ind && m->hits[k].fid == m->fid) { dup = true; break; }
        if (dup) continue;
        if (m->n < m->max)
            m->hits[m->n] = (struct vg_intel_hit){ind, m->fid, (uint8_t)type, m->value, m->vlen};
        m->n++;
        if (m->st) m->st->hits++;
    }
}

static int dom_fn(const struct intel_strent *e, void *ctx)
{
    add_postings(ctx, ((struct mctx *)ctx)->s->ss.post + e->post, e->npost, e->type);
    return 0;
}

static void begin_value(struct mctx *m, const char *v, size_t len)
{
    m->value = v;
    m->vlen = (uint32_t)len;
    m->suppressed = -1;
    if (m->st) m->st->lookups++;
}

static void check_ip(struct mctx *m, const char *v, size_t len)
{
    uint8_t ip[16];
    int alen = vg_ip_parse(v, len, ip);
    if (alen == 16 && !memcmp(ip, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12)) { memmove(ip, ip + 12, 4); alen = 4; }
    if (alen != 4 && alen != 16) return;
    begin_value(m, v, len);
    for (int32_t p = intel_ipidx_lookup(&m->s->ip, ip, alen); p >= 0; p = m->s->ip.pfx[p].parent)
        add_postings(m, m->s->ip.post + m->s->ip.pfx[p].post, m->s->ip.pfx[p].npost, VG_INTEL_IP);
}

static void check_domain(struct mctx *m, const char *v, size_t len)
{
    while (len && v[len - 1] == '.') len--;
    if (!len || len > 253) return;
    begin_value(m, v, len);
    intel_strset_suffixes(&m->s->ss, VG_INTEL_DOMAIN, VG_INTEL_HOSTNAME, v, len, dom_fn, m);
}

static void check_exact(struct mctx *m, int type, const char *v, size_t len)
{
    begin_value(m, v, len);
    const struct intel_strent *e = intel_strset_get(&m->s->ss, type, v, len);
    if (e) add_postings(m, m->s->ss.post + e->post, e->npost, type);
}

static int hash_type_by_len(size_t len)
{
    switch (len) {
    case 32: return VG_INTEL_MD5;
    case 40: return VG_INTEL_SHA1;
    case 64: return VG_INTEL_SHA256;
    case 128: return VG_INTEL_SHA512;
    default: return -1;
    }
}

static void check_hash(struct mctx *m, const char *v, size_t len)
{
    int t = hash_type_by_len(len);
    if (t >= 0 && m->s->atoms[t]) check_exact(m, t, v, len);
}

/* Sysmon `Hashes`: "SHA1=...,MD5=...,SHA256=...,IMPHASH=..." */
static void check_hashes(struct mctx *m, const char *v, size_t len)
{
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && v[j] != ',') j++;
        const char *eq = memchr(v + i, '=', j - i);
        if (eq && !(eq - (v + i) == 7 && vg_strncasecmp_ascii(v + i, "IMPHASH", 7) == 0))
            check_hash(m, eq + 1, (size_t)(v + j - eq - 1));
        i = j + 1;
    }
}

static void check_url(struct mctx *m, const char *v, size_t len)
{
    if (!m->s->atoms[VG_INTEL_URL]) return;
    check_exact(m, VG_INTEL_URL, v, url_key_len(v, len));
    m->vlen = (uint32_t)len;
}

static void check_kind(struct mctx *m, int kind, const char *v, size_t len)
{
    switch (kind) {
    case FK_IP: check_ip(m, v, len); break;
    case FK_DOMAIN: check_domain(m, v, len); break;
    case FK_URL: check_url(m, v, len); break;
    case FK_HASH: check_hash(m, v, len); break;
    case FK_HASHES: check_hashes(m, v, len); break;
    case FK_EMAIL: if (m->s->atoms[VG_INTEL_EMAIL]) check_exact(m, VG_INTEL_EMAIL, v, len); break;
    default: break;
    }
}

size_t vg_intel_match_event(const struct vg_intel_set *s, const struct vg_event *ev, struct vg_intel_hit *hits,
                            size_t max, struct vg_intel_match_stats *st)
{
    if (!s || !ev) return 0;
    struct mctx m = {.s = s, .ev = ev, .ts = ev->ts, .hits = hits, .max = hits ? max : 0, .st = st};
    if (st) st->events++;
    for (uint32_t i = 0; i < ev->nfields; i++) {
        const struct vg_field *f = &ev->fields[i];
        if (f->name >= s->nfk) continue;
        int kind = s->fkind[f->name];
        if (!kind) continue;
        m.fid = f->name;
        if (f->v.type == VG_V_STR || f->v.type == VG_V_IP) check_kind(&m, kind, f->v.u.s, f->v.len);
        else if (f->v.type == VG_V_LIST)
            for (uint32_t k = 0; k < f->v.len && k < 256; k++) check_kind(&m, kind, f->v.u.list[k].s, f->v.u.list[k].len);
    }
    return m.n;
}

static size_t check_value(const struct vg_intel_set *s, const char *value, size_t len, int64_t ts,
                          struct vg_intel_hit *hits, size_t max, bool *suppressed, bool no_suppress)
{
    if (suppressed) *suppressed = false;
    if (!s || !value) return 0;
    struct mctx m = {.s = s, .ts = ts, .hits = hits, .max = hits ? max : 0, .fid = UINT32_MAX, .no_suppress = no_suppress};
    int t = intel_detect_type(value, len);
    switch (t) {
    case VG_INTEL_IP: check_ip(&m, value, len); break;
    case VG_INTEL_DOMAIN: check_domain(&m, value, len); break;
    case VG_INTEL_URL: check_url(&m, value, len); break;
    case VG_INTEL_EMAIL: check_exact(&m, VG_INTEL_EMAIL, value, len); break;
    case VG_INTEL_MD5: case VG_INTEL_SHA1: case VG_INTEL_SHA256: case VG_INTEL_SHA512: check_hash(&m, value, len); break;
    default: break;
    }
    if (suppressed) *suppressed = m.any_suppressed;
    return m.n;
}

size_t vg_intel_check_value(const struct vg_intel_set *s, const char *value, size_t len, int64_t ts,
                            struct vg_intel_hit *hits, size_t max, bool *suppressed)
{
    return check_value(s, value, len, ts, hits, max, suppressed, false);
}

size_t vg_intel_lookup(const struct vg_intel_set *s, const char *value, size_t len, struct vg_intel_hit *hits,
                       size_t max)
{
    return check_value(s, value, len, INT64_MIN, hits, max, NULL, true);
}

/* ---- swap slot ------------------------------------------------------------- */

struct vg_intel_slot {
    pthread_mutex_t mu;
    struct vg_intel_set *cur;
};

struct vg_intel_slot *vg_intel_slot_new(void)
{
    struct vg_intel_slot *sl = vg_calloc(1, sizeof *sl);
    if (!sl) return NULL;
    pthread_mutex_init(&sl->mu, NULL);
    return sl;
}

void vg_intel_slot_free(struct vg_intel_slot *sl)
{
    if (!sl) return;
    vg_intel_set_unref(sl->cur);
    pthread_mutex_destroy(&sl->mu);
    vg_free(sl);
}

struct vg_intel_set *vg_intel_slot_get(struct vg_intel_slot *sl)
{
    pthread_mutex_lock(&sl->mu);
    struct vg_intel_set *s = vg_intel_set_ref(sl->cur);
    pthread_mutex_unlock(&sl->mu);
    return s;
}

struct vg_intel_set *vg_intel_slot_swap(struct vg_intel_slot *sl, struct vg_intel_set *s)
{
    pthread_mutex_lock(&sl->mu);
    struct vg_intel_set *old = sl->cur;
    sl->cur = s;
    pthread_mutex_unlock(&sl->mu);
    return old;
}

void vg_intel_slot_put(struct vg_intel_slot *sl, struct vg_intel_set *s)
{
    vg_intel_set_unref(vg_intel_slot_swap(sl, s));
}

bool vg_intel_set_release_last(struct vg_intel_set *s, int timeout_ms)
{
    if (!s) return false;
    for (int waited = 0; atomic_load(&s->refs) > 1 && waited < timeout_ms; waited++) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    bool last = atomic_load(&s->refs) == 1;
    vg_intel_set_unref(s);
    return last;
}
