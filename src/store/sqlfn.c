/* SQLite extensions that let compiled search SQL filter events stored in
 * blocks: the eponymous table-valued function vg_events(block_blob), which
 * expands one block into event rows (ts, ev, idx, id), and the scalar
 * functions the compiler emits:
 *   vg_match(ev, field, op, value)  one query term against one event
 *   vg_bloom(bloom, key)            block pruning by the per-block bloom
 *   vg_json(ev, tenant)             the event as JSON (vg_event_to_json form)
 * plus general helpers for hand-written SQL: vg_field(ev, name),
 * vg_like(text, pattern), vg_cidr(ip, net). The ev column is an SQLite
 * pointer value ("vg_ev") that only these functions can read. */
#include "internal.h"
#include <math.h>

#define PTR_TYPE "vg_ev"

/* ---- vg_events virtual table ------------------------------------------ */
enum { COL_TS, COL_EV, COL_IDX, COL_ID, COL_DATA };

struct ev_cursor {
    sqlite3_vtab_cursor base;
    struct vg__dblock d;
    ZSTD_DCtx *dctx;
    uint32_t i;
};

static int ev_connect(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out, char **errmsg)
{
    (void)aux; (void)argc; (void)argv; (void)errmsg;
    int rc = sqlite3_declare_vtab(db, "CREATE TABLE x(ts INTEGER, ev, idx INTEGER, id BLOB, data HIDDEN)");
    if (rc != SQLITE_OK) return rc;
    sqlite3_vtab *v = sqlite3_malloc(sizeof *v);
    if (!v) return SQLITE_NOMEM;
    memset(v, 0, sizeof *v);
    sqlite3_vtab_config(db, SQLITE_VTAB_INNOCUOUS);
    *out = v;
    return SQLITE_OK;
}

static int ev_disconnect(sqlite3_vtab *v)
{
    sqlite3_free(v);
    return SQLITE_OK;
}

static int ev_best_index(sqlite3_vtab *v, sqlite3_index_info *info)
{
    (void)v;
    int have = -1;
    bool unusable = false;
    for (int i = 0; i < info->nConstraint; i++) {
        const struct sqlite3_index_constraint *c = &info->aConstraint[i];
        if (c->iColumn != COL_DATA || c->op != SQLITE_INDEX_CONSTRAINT_EQ) continue;
        if (!c->usable) { unusable = true; continue; }
        have = i;
    }
    if (have < 0) return unusable ? SQLITE_CONSTRAINT : SQLITE_CONSTRAINT;
    info->aConstraintUsage[have].argvIndex = 1;
    info->aConstraintUsage[have].omit = 1;
    info->estimatedCost = 2000;
    info->estimatedRows = VG__BLK_MAX_EVENTS;
    return SQLITE_OK;
}

static int ev_open(sqlite3_vtab *v, sqlite3_vtab_cursor **out)
{
    (void)v;
    struct ev_cursor *c = sqlite3_malloc(sizeof *c);
    if (!c) return SQLITE_NOMEM;
    memset(c, 0, sizeof *c);
    *out = &c->base;
    return SQLITE_OK;
}

static int ev_close(sqlite3_vtab_cursor *cur)
{
    struct ev_cursor *c = (struct ev_cursor *)cur;
    vg__dblock_release(&c->d);
    if (c->dctx) ZSTD_freeDCtx(c->dctx);
    sqlite3_free(c);
    return SQLITE_OK;
}

static int ev_filter(sqlite3_vtab_cursor *cur, int idxnum, const char *idxstr, int argc, sqlite3_value **argv)
{
    (void)idxnum; (void)idxstr;
    struct ev_cursor *c = (struct ev_cursor *)cur;
    c->i = 0;
    c->d.nev = 0;
    if (argc < 1 || sqlite3_value_type(argv[0]) != SQLITE_BLOB) return SQLITE_OK;
    const uint8_t *blob = sqlite3_value_blob(argv[0]);
    int n = sqlite3_value_bytes(argv[0]);
    if (!c->dctx && !(c->dctx = vg__zstd_dctx_new())) return SQLITE_NOMEM;
    int rc = vg__blk_decode(&c->d, blob, (size_t)n, c->dctx);
    if (rc == 0) return SQLITE_OK;
    c->d.nev = 0;
    if (rc == VG_ENOMEM) return SQLITE_NOMEM;
    sqlite3_free(cur->pVtab->zErrMsg);
    cur->pVtab->zErrMsg = sqlite3_mprintf("corrupt event block (%s)", vg_strerror(rc));
    return SQLITE_CORRUPT;
}

static int ev_next(sqlite3_vtab_cursor *cur)
{
    ((struct ev_cursor *)cur)->i++;
    return SQLITE_OK;
}

static int ev_eof(sqlite3_vtab_cursor *cur)
{
    struct ev_cursor *c = (struct ev_cursor *)cur;
    return c->i >= c->d.nev;
}

static int ev_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col)
{
    struct ev_cursor *c = (struct ev_cursor *)cur;
    struct vg__devent *e = &c->d.ev[c->i];
    switch (col) {
    case COL_TS: sqlite3_result_int64(ctx, e->ts); break;
    case COL_EV: sqlite3_result_pointer(ctx, e, PTR_TYPE, NULL); break;
    case COL_IDX: sqlite3_result_int64(ctx, c->i); break;
    case COL_ID: sqlite3_result_blob(ctx, e->id, 16, SQLITE_TRANSIENT); break;
    default: sqlite3_result_null(ctx); break;
    }
    return SQLITE_OK;
}

static int ev_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *rowid)
{
    *rowid = ((struct ev_cursor *)cur)->i;
    return SQLITE_OK;
}

static const sqlite3_module ev_module = {
    .iVersion = 0,
    .xCreate = NULL, /* eponymous only */
    .xConnect = ev_connect,
    .xBestIndex = ev_best_index,
    .xDisconnect = ev_disconnect,
    .xDestroy = ev_disconnect,
    .xOpen = ev_open,
    .xClose = ev_close,
    .xFilter = ev_filter,
    .xNext = ev_next,
    .xEof = ev_eof,
    .xColumn = ev_column,
    .xRowid = ev_rowid,
};

/* ---- term matching -------------------------------------------------------- */
static inline unsigned char lc(unsigned char c) { return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c; }

static bool eq_ci(const char *a, size_t an, const char *b, size_t bn)
{
    return an == bn && vg_strncasecmp_ascii(a, b, an) == 0;
}

static bool contains_ci(const char *h, size_t hn, const char *nd, size_t nn)
{
    if (nn == 0) return true;
    if (nn > hn) return false;
    unsigned char f = lc((unsigned char)nd[0]);
    for (size_t i = 0; i + nn <= hn; i++) {
        if (lc((unsigned char)h[i]) != f) continue;
        if (vg_strncasecmp_ascii(h + i + 1, nd + 1, nn - 1) == 0) return true;
    }
    return false;
}

int vg__virtual_field(const char *name, size_t len)
{
    static const char *const names[] = {"vigil.origin", "vigil.collector", "vigil.format", "event.original", "event.id"};
    for (size_t i = 0; i < VG_ARRAY_LEN(names); i++)
        if (eq_ci(name, len, names[i], strlen(names[i]))) return (int)i + 1;
    return 0;
}

struct cterm {
    int op;                   /* enum vg_qop */
    int virt;                 /* vg__virtual_field of the field name */
    bool wild;
    char *field;              /* NULL: free text */
    size_t flen;
    char *val;                /* value, or pattern (free-text patterns wrapped in '*') */
    size_t vlen;
    double num;
    uint8_t net[16];
    int fam, prefix;
    uint64_t serial;          /* block whose names idx[] resolves */
    uint32_t nidx;
    uint32_t idx[8];
};

static void cterm_free(void *p)
{
    struct cterm *t = p;
    if (!t) return;
    vg_free(t->field);
    vg_free(t->val);
    vg_free(t);
}

static struct cterm *cterm_new(sqlite3_value *field, int op, sqlite3_value *value)
{
    struct cterm *t = vg_calloc(1, sizeof *t);
    if (!t) return NULL;
    t->op = op & 0xff;
    t->wild = (op & VG__OP_WILDCARD) != 0;
    const char *v = (const char *)sqlite3_value_text(value);
    size_t vl = v ? (size_t)sqlite3_value_bytes(value) : 0;
    if (!v) v = "";
    if (sqlite3_value_type(field) != SQLITE_NULL) {
        const char *f = (const char *)sqlite3_value_text(field);
        if (!f) goto fail;
        t->flen = (size_t)sqlite3_value_bytes(field);
        if (!(t->field = vg_strndup(f, t->flen))) goto fail;
        t->virt = vg__virtual_field(t->field, t->flen);
    }
    if (!t->field && t->wild) {
        /* free-text patterns match anywhere in the raw text */
        if (!(t->val = vg_malloc(vl + 3))) goto fail;
        t->val[0] = '*';
        memcpy(t->val + 1, v, vl);
        t->val[vl + 1] = '*';
        t->val[vl + 2] = 0;
        t->vlen = vl + 2;
    } else {
        if (!(t->val = vg_strndup(v, vl))) goto fail;
        t->vlen = vl;
    }
    switch (t->op) {
    case VG_QOP_GT: case VG_QOP_GTE: case VG_QOP_LT: case VG_QOP_LTE: {
        char *end = NULL;
        t->num = strtod(t->val, &end);
        if (!end || *end || !isfinite(t->num)) t->op = -1; /* never matches */
        break;
    }
    case VG_QOP_CIDR: {
        const char *slash = strchr(t->val, '/');
        int64_t pre = -1;
        if (slash) t->fam = vg_ip_parse(t->val, (size_t)(slash - t->val), t->net);
        if (!slash || !t->fam || vg_parse_i64(slash + 1, strlen(slash + 1), &pre) || pre < 0 || pre > t->fam * 8) t->op = -1;
        t->prefix = (int)pre;
        break;
    }
    default: break;
    }
    return t;
fail:
    cterm_free(t);
    return NULL;
}

static bool num_of(const struct vg__dfield *f, const char *s, size_t n, double *out)
{
    if (f && f->type == VG_V_INT) { *out = (double)f->u.i; return true; }
    if (f && f->type == VG_V_FLOAT) { *out = f->u.f; return !isnan(f->u.f); }
    char buf[64];
    if (n == 0 || n >= sizeof buf) return false;
    memcpy(buf, s, n);
    buf[n] = 0;
    char *end = NULL;
    double d = strtod(buf, &end);
    if (!end || *end || isnan(d)) return false;
    *out = d;
    return true;
}

static bool cidr_match(const struct cterm *t, const char *s, size_t n)
{
    uint8_t a[16];
    int fam = vg_ip_parse(s, n, a);
    if (fam != t->fam) return false;
    int full = t->prefix / 8, rem = t->prefix % 8;
    if (memcmp(a, t->net, (size_t)full) != 0) return false;
    if (rem) {
        uint8_t m = (uint8_t)(0xff << (8 - rem));
        if ((a[full] & m) != (t->net[full] & m)) return false;
    }
    return true;
}

/* One text value (s, n) of field f (NULL for free text) against the term. */
static bool match_text(const struct cterm *t, const struct vg__dfield *f, const char *s, size_t n)
{
    switch (t->op) {
    case VG_QOP_EQ:
    case VG_QOP_PHRASE:
        if (t->wild) return vg_wildcard_match(t->val, t->vlen, s, n);
        return t->field ? eq_ci(s, n, t->val, t->vlen) : contains_ci(s, n, t->val, t->vlen);
    case VG_QOP_GT: case VG_QOP_GTE: case VG_QOP_LT: case VG_QOP_LTE: {
        double d;
        if (!num_of(f, s, n, &d)) return false;
        return t->op == VG_QOP_GT ? d > t->num : t->op == VG_QOP_GTE ? d >= t->num : t->op == VG_QOP_LT ? d < t->num : d <= t->num;
    }
    case VG_QOP_CIDR: return cidr_match(t, s, n);
    case VG_QOP_EXISTS: return true;
    default: return false;
    }
}

static bool match_field(const struct cterm *t, const struct vg__dfield *f)
{
    if (t->op == VG_QOP_EXISTS) return true;
    if (f->type == VG_V_NULL) return false;
    if (f->type == VG_V_LIST) {
        uint32_t i = 0;
        const uint8_t *pos = NULL;
        const char *s;
        uint32_t l;
        while (vg__dlist_next(f, &i, &pos, &s, &l))
            if (match_text(t, NULL, s, l)) return true;
        return false;
    }
    char buf[48];
    size_t n;
    const char *s = vg__dvalue_text(f, buf, sizeof buf, &n);
    return match_text(t, f, s, n);
}

static bool match_virtual(const struct cterm *t, const struct vg__devent *e)
{
    const struct vg__dblock *d = e->blk;
    int32_t di = t->virt == 1 ? e->host : t->virt == 2 ? e->coll : t->virt == 3 ? e->fmt : -2;
    if (di == -1) return false; /* absent */
    if (di >= 0) return match_text(t, NULL, d->strs[di].s, d->strs[di].len);
    if (t->virt == 4) return match_text(t, NULL, e->raw, e->raw_len);
    char hex[33];
    vg_hex(e->id, 16, hex);
    return match_text(t, NULL, hex, 32);
}

static void resolve(struct cterm *t, const struct vg__dblock *d)
{
    t->serial = d->serial;
    t->nidx = 0;
    for (uint32_t i = 0; i < d->nnames && t->nidx < VG_ARRAY_LEN(t->idx); i++)
        if (eq_ci(d->names[i].s, d->names[i].len, t->field, t->flen)) t->idx[t->nidx++] = i;
}

static void fn_match(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const struct vg__devent *e = sqlite3_value_pointer(argv[0], PTR_TYPE);
    if (!e) { sqlite3_result_int(ctx, 0); return; }
    struct cterm *t = sqlite3_get_auxdata(ctx, 3);
    if (!t) {
        t = cterm_new(argv[1], sqlite3_value_int(argv[2]), argv[3]);
        if (!t) { sqlite3_result_error_nomem(ctx); return; }
        sqlite3_set_auxdata(ctx, 3, t, cterm_free);
        t = sqlite3_get_auxdata(ctx, 3);
        if (!t) { /* not retained (non-constant argument): rebuild per call */
            t = cterm_new(argv[1], sqlite3_value_int(argv[2]), argv[3]);
            if (!t) { sqlite3_result_error_nomem(ctx); return; }
            bool m;
            if (!t->field) m = match_text(t, NULL, e->raw, e->raw_len);
            else if (t->virt) m = match_virtual(t, e);
            else {
                resolve(t, e->blk);
                m = false;
                for (uint32_t i = 0; i < e->nf && !m; i++) {
                    const struct vg__dfield *f = &e->blk->fields[e->f0 + i];
                    for (uint32_t k = 0; k < t->nidx; k++)
                        if (f->name == t->idx[k] && match_field(t, f)) { m = true; break; }
                }
            }
            cterm_free(t);
            sqlite3_result_int(ctx, m);
            return;
        }
    }
    if (!t->field) { sqlite3_result_int(ctx, match_text(t, NULL, e->raw, e->raw_len)); return; }
    if (t->virt) { sqlite3_result_int(ctx, match_virtual(t, e)); return; }
    if (t->serial != e->blk->serial) resolve(t, e->blk);
    if (t->nidx == 0) { sqlite3_result_int(ctx, 0); return; }
    for (uint32_t i = 0; i < e->nf; i++) {
        const struct vg__dfield *f = &e->blk->fields[e->f0 + i];
        for (uint32_t k = 0; k < t->nidx; k++) {
            if (f->name == t->idx[k] && match_field(t, f)) { sqlite3_result_int(ctx, 1); return; }
        }
    }
    sqlite3_result_int(ctx, 0);
}

static void fn_bloom(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    if (sqlite3_value_type(argv[0]) != SQLITE_BLOB) { sqlite3_result_int(ctx, 1); return; }
    const uint8_t *b = sqlite3_value_blob(argv[0]);
    size_t n = (size_t)sqlite3_value_bytes(argv[0]);
    sqlite3_result_int(ctx, vg__bloom_test(b, n, (uint64_t)sqlite3_value_int64(argv[1])));
}

static void fn_json(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const struct vg__devent *e = sqlite3_value_pointer(argv[0], PTR_TYPE);
    if (!e) { sqlite3_result_null(ctx); return; }
    struct vg_buf b = VG_BUF_INIT;
    int rc = vg__devent_json(e, (const char *)sqlite3_value_text(argv[1]), &b);
    if (rc) {
        vg_buf_release(&b);
        if (rc == VG_ENOMEM) sqlite3_result_error_nomem(ctx);
        else sqlite3_result_error(ctx, "event too large for JSON", -1);
        return;
    }
    size_t len;
    char *s = vg_buf_detach(&b, &len);
    sqlite3_result_text64(ctx, s, len, vg_free, SQLITE_UTF8);
}

static void fn_field(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const struct vg__devent *e = sqlite3_value_pointer(argv[0], PTR_TYPE);
    const char *name = (const char *)sqlite3_value_text(argv[1]);
    if (!e || !name) { sqlite3_result_null(ctx); return; }
    size_t nl = (size_t)sqlite3_value_bytes(argv[1]);
    for (uint32_t i = 0; i < e->nf; i++) {
        const struct vg__dfield *f = &e->blk->fields[e->f0 + i];
        const struct vg__dstr *nm = &e->blk->names[f->name];
        if (!eq_ci(nm->s, nm->len, name, nl)) continue;
        switch (f->type) {
        case VG_V_INT: sqlite3_result_int64(ctx, f->u.i); return;
        case VG_V_FLOAT: sqlite3_result_double(ctx, f->u.f); return;
        case VG_V_BOOL: sqlite3_result_int(ctx, f->u.b); return;
        case VG_V_NULL: sqlite3_result_null(ctx); return;
        default: {
            char buf[48];
            size_t n;
            const char *s = vg__dvalue_text(f, buf, sizeof buf, &n);
            sqlite3_result_text64(ctx, s, n, SQLITE_TRANSIENT, SQLITE_UTF8);
            return;
        }
        }
    }
    sqlite3_result_null(ctx);
}

static void fn_like(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const char *s = (const char *)sqlite3_value_text(argv[0]);
    const char *p = (const char *)sqlite3_value_text(argv[1]);
    if (!s || !p) { sqlite3_result_null(ctx); return; }
    sqlite3_result_int(ctx, vg_wildcard_match(p, (size_t)sqlite3_value_bytes(argv[1]), s, (size_t)sqlite3_value_bytes(argv[0])));
}

static void fn_cidr(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const char *s = (const char *)sqlite3_value_text(argv[0]);
    if (!s || sqlite3_value_type(argv[1]) == SQLITE_NULL) { sqlite3_result_null(ctx); return; }
    struct cterm *t = cterm_new(argv[1], VG_QOP_CIDR, argv[1]); /* field unused */
    if (!t) { sqlite3_result_error_nomem(ctx); return; }
    sqlite3_result_int(ctx, t->op == VG_QOP_CIDR && cidr_match(t, s, (size_t)sqlite3_value_bytes(argv[0])));
    cterm_free(t);
}

int vg__sqlfn_register(sqlite3 *db)
{
    const int det = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
    int rc = sqlite3_create_module(db, "vg_events", &ev_module, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_create_function(db, "vg_match", 4, det, NULL, fn_match, NULL, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_create_function(db, "vg_bloom", 2, det, NULL, fn_bloom, NULL, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_create_function(db, "vg_json", 2, det, NULL, fn_json, NULL, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_create_function(db, "vg_field", 2, det, NULL, fn_field, NULL, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_create_function(db, "vg_like", 2, det, NULL, fn_like, NULL, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_create_function(db, "vg_cidr", 2, det, NULL, fn_cidr, NULL, NULL);
    return rc;
}
