/* The thread-safe half of a store write (store.h ops->prepare): validates a
 * batch, orders it by (day, tenant), encodes and compresses its blocks and
 * builds their bloom filters, so that the single writer thread only has to
 * run the SQLite inserts (ops->put_prepared in store_sqlite.c). Decode
 * workers call this in parallel; each call borrows a block builder and a
 * zstd context from a small pool kept in the store handle.
 * docs/internals/store.md ("Write path") describes the split. */
#include "internal.h"

#define DAY_NS 86400000000000LL
#define MAX_DAY (INT64_MAX / DAY_NS) /* 2262-04-11: int64 ns ends there */

int64_t vg__day_of(int64_t ts)
{
    if (ts < 0) return 0;
    int64_t d = ts / DAY_NS;
    return d > MAX_DAY ? MAX_DAY : d;
}

/* ---- scratch pool ----------------------------------------------------- */
struct vg__scratch {
    struct vg__blk_builder *bld;
    ZSTD_CCtx *cctx;
    struct vg__scratch *next;
};

static void scratch_free(struct vg__scratch *x)
{
    if (!x) return;
    vg__blk_builder_free(x->bld);
    if (x->cctx) ZSTD_freeCCtx(x->cctx);
    vg_free(x);
}

static struct vg__scratch *scratch_get(struct vg__sq *s)
{
    pthread_mutex_lock(&s->scratch_mu);
    struct vg__scratch *x = s->scratch;
    if (x) s->scratch = x->next;
    pthread_mutex_unlock(&s->scratch_mu);
    if (x) return x;
    x = vg_calloc(1, sizeof *x);
    if (!x) return NULL;
    if (vg__blk_builder_new(&x->bld) || !(x->cctx = vg__zstd_cctx_new())) {
        scratch_free(x);
        return NULL;
    }
    return x;
}

static void scratch_put(struct vg__sq *s, struct vg__scratch *x)
{
    pthread_mutex_lock(&s->scratch_mu);
    x->next = s->scratch;
    s->scratch = x;
    pthread_mutex_unlock(&s->scratch_mu);
}

void vg__scratch_release_all(struct vg__sq *s)
{
    while (s->scratch) {
        struct vg__scratch *n = s->scratch->next;
        scratch_free(s->scratch);
        s->scratch = n;
    }
}

/* ---- validation --------------------------------------------------------- */
/* Bounded length check of an origin string; the previous event's pointer
 * is remembered so a batch sharing one host/collector/format string checks
 * it once. */
static bool str_ok(const char *p, const char **last)
{
    if (!p || p == *last) return true;
    if (strnlen(p, VG__EV_MAX_STR + 1) > VG__EV_MAX_STR) return false;
    *last = p;
    return true;
}

int vg__validate(const struct vg_event *const *ev, size_t n, struct vg_err *err)
{
    const char *last[4] = {0};
    for (size_t i = 0; i < n; i++) {
        const struct vg_event *e = ev[i];
        if (!e) return vg_err_set(err, VG_EINVAL, "event %zu is NULL", i);
        const char *t = e->tenant ? e->tenant : "default";
        if (t != last[3]) {
            size_t tl = strnlen(t, VG__TENANT_MAX + 1);
            if (tl == 0 || tl > VG__TENANT_MAX)
                return vg_err_set(err, VG_EINVAL, "event %zu: tenant id empty or longer than 63 bytes", i);
            last[3] = t;
        }
        if (e->raw_len > VG__EV_MAX_RAW) return vg_err_set(err, VG_ETOOBIG, "event %zu: raw text over 16 MiB", i);
        if (e->nfields > 4096) return vg_err_set(err, VG_ETOOBIG, "event %zu: more than 4096 fields", i);
        if (!str_ok(e->host, &last[0]) || !str_ok(e->collector, &last[1]) || !str_ok(e->format, &last[2]))
            return vg_err_set(err, VG_ETOOBIG, "event %zu: host, collector or format longer than 4096 bytes", i);
        for (uint32_t k = 0; k < e->nfields; k++)
            if (!vg_fid_name(e->fields[k].name, NULL)) return vg_err_set(err, VG_EINVAL, "event %zu: unknown field id", i);
    }
    return 0;
}

/* ---- ordering ------------------------------------------------------------ */
struct ord {
    int64_t day;
    const char *tenant;
    uint32_t i;
};

static int ord_cmp(const void *a, const void *b)
{
    const struct ord *x = a, *y = b;
    if (x->day != y->day) return x->day < y->day ? -1 : 1;
    if (x->tenant != y->tenant) {
        int c = strcmp(x->tenant, y->tenant);
        if (c) return c;
    }
    return x->i < y->i ? -1 : x->i > y->i;
}

/* ---- prepare -------------------------------------------------------------- */
void vg__prepared_free(struct vg_store_prepared *p)
{
    if (!p) return;
    for (size_t i = 0; i < p->nblk; i++) vg_free(p->blk[i].mem);
    vg_free(p->blk);
    vg_free(p->ev);
    vg_free(p);
}

/* Finishes the builder's block and appends it to p (a copy of its bytes). */
static int push_block(struct vg_store_prepared *p, struct vg__scratch *x, int level, int64_t day, const char *tenant,
                      size_t ev0)
{
    const uint8_t *data, *bloom;
    size_t dlen, blen, raw_bytes;
    int64_t tmin, tmax;
    int rc = vg__blk_finish(x->bld, x->cctx, level, &data, &dlen, &bloom, &blen, &tmin, &tmax, &raw_bytes);
    if (rc) return rc;
    if (p->nblk == p->blk_cap) {
        size_t nc = p->blk_cap ? p->blk_cap * 2 : 4;
        struct vg__pblock *nb = vg_realloc(p->blk, nc * sizeof *nb);
        if (!nb) return VG_ENOMEM;
        p->blk = nb;
        p->blk_cap = nc;
    }
    uint8_t *mem = vg_malloc(dlen + blen);
    if (!mem) return VG_ENOMEM;
    memcpy(mem, data, dlen);
    memcpy(mem + dlen, bloom, blen);
    p->blk[p->nblk++] = (struct vg__pblock){.day = day, .tenant = tenant, .ev0 = ev0, .nev = vg__blk_count(x->bld),
                                            .ts_min = tmin, .ts_max = tmax, .raw_bytes = raw_bytes, .mem = mem,
                                            .dlen = dlen, .blen = blen};
    vg__blk_builder_reset(x->bld);
    return 0;
}

int vg__sq_prepare(struct vg_store *base, const struct vg_event *const *ev, size_t n, struct vg_store_prepared **out,
                   struct vg_err *err)
{
    struct vg__sq *s = (struct vg__sq *)base;
    *out = NULL;
    if (n && (!ev || n > UINT32_MAX)) return vg_err_set(err, VG_EINVAL, "bad event array");
    int rc = vg__validate(ev, n, err);
    if (rc) return rc;
    struct ord *ord = NULL;
    struct vg__scratch *x = NULL;
    struct vg_store_prepared *p = vg_calloc(1, sizeof *p);
    if (!p) return vg_err_set(err, VG_ENOMEM, "out of memory");
    p->owner = base;
    p->n = n;
    if (n == 0) goto done;
    ord = vg_malloc(n * sizeof *ord);
    p->ev = vg_malloc(n * sizeof *p->ev);
    if (!ord || !p->ev || !(x = scratch_get(s))) { rc = vg_err_set(err, VG_ENOMEM, "out of memory"); goto out; }
    for (size_t i = 0; i < n; i++) {
        ord[i].day = vg__day_of(ev[i]->ts);
        ord[i].tenant = ev[i]->tenant ? ev[i]->tenant : "default";
        ord[i].i = (uint32_t)i;
    }
    qsort(ord, n, sizeof *ord, ord_cmp);
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && ord[j].day == ord[i].day &&
               (ord[j].tenant == ord[i].tenant || strcmp(ord[j].tenant, ord[i].tenant) == 0))
            j++;
        vg__blk_builder_reset(x->bld);
        size_t ev0 = p->nev;
        for (size_t k = i; k < j; k++) {
            const struct vg_event *e = ev[ord[k].i];
            if ((rc = vg__blk_add(x->bld, e))) {
                rc = vg_err_set(err, rc, "cannot encode event: %s", vg_strerror(rc));
                goto out;
            }
            p->ev[p->nev++] = e;
            if (vg__blk_full(x->bld)) {
                if ((rc = push_block(p, x, s->zlevel, ord[i].day, ord[i].tenant, ev0))) goto enc_fail;
                ev0 = p->nev;
            }
        }
        if (vg__blk_count(x->bld) && (rc = push_block(p, x, s->zlevel, ord[i].day, ord[i].tenant, ev0))) goto enc_fail;
        i = j;
    }
done:
    *out = p;
    p = NULL;
    rc = 0;
    goto out;
enc_fail:
    rc = vg_err_set(err, rc, "cannot encode block: %s", vg_strerror(rc));
out:
    if (x) {
        vg__blk_builder_reset(x->bld);
        scratch_put(s, x);
    }
    vg_free(ord);
    vg__prepared_free(p);
    return rc;
}
