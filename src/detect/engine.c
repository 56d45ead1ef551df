/* The detect stage (include/vigil/detect.h). Holds the current compiled
 * Sigma set in a reference-counted holder ("ruleset"); each batch takes a
 * reference under a short mutex (once per batch, not per event), borrows a
 * Sigma context from that ruleset's pool, matches every event, builds an
 * alert per hit on the batch arena and gives everything back. A reload
 * builds the next set off to the side and swaps the pointer; the old
 * ruleset is freed by whoever drops its last reference, so batches in
 * flight finish on the set they started with and no event waits or is
 * skipped. (The prefilter branch adds vg_sigma_set_ref/unref; this holder
 * only needs vg_sigma_set_free, which stays the last-reference drop.)
 *
 * Correlations (include/vigil/correlate.h): when the set has correlation
 * documents, the ruleset also holds a correlation engine (one mutex). Hits
 * of referenced rules are fed to it; each firing becomes an alert of the
 * correlation rule on the event that completed it; base rules referenced
 * only by correlations without `generate: true` make no alert of their own.
 * A reload carries the correlation state over (save -> restore).
 *
 * Threat intel: an IoC set in a vg_intel_slot, taken once per batch; each
 * event is matched after the Sigma rules and every hit (deduplicated per
 * indicator and field by the matcher) becomes an alert of its own. */
#include "vigil/detect.h"
#include "vigil/correlate.h"
#include "vigil/intel.h"
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

struct ruleset {
    struct vg_sigma_set *set;
    atomic_long refs;
    pthread_mutex_t mu;            /* guards the context pool */
    struct vg_sigma_ctx **pool;
    size_t npool, cap;
    struct vg_detect_load_info info;
    size_t nrules;                 /* detection rules */
    struct vg_corr *corr;          /* NULL without correlations */
    pthread_mutex_t corr_mu;       /* guards corr */
    const struct vg_sigma_rule **corr_rule; /* by correlation index */
    uint8_t *rflags;               /* by rule index: RF_* */
};
#define RF_FEED 1u                 /* referenced by a correlation: feed its hits */
#define RF_QUIET 2u                /* ... and no correlation says generate: true */
#define CORR_LATENESS_NS (60LL * 1000000000LL) /* batches of parallel workers interleave */
#define CORR_MAX_FUTURE_NS (3600LL * 1000000000LL) /* clock skew accepted before a hit is ignored */

struct vg_detect {
    pthread_mutex_t cur_mu;        /* guards cur and taking a reference to it */
    struct ruleset *cur;
    pthread_mutex_t reload_mu;     /* one reload at a time */
    char *pack, *mappings, *config;
    char **rules;
    size_t nrules;
    char **filters;                /* --filters paths (filter documents only) */
    size_t nfilters;
    int min_level;
    uint64_t generation;
    atomic_uint_fast64_t events, below_min, errors, reloads, reload_failures;
    atomic_uint_fast64_t alerts[VG_ALERT_NLEVELS];
    struct vg_intel_slot *intel;   /* current IoC set (empty: no matching) */
    atomic_uint_fast64_t intel_hits, intel_alerts, intel_suppressed, intel_expired, intel_loads, intel_failures;
};
#define INTEL_MAX_HITS 32          /* intel hits turned into alerts per event */

static void ruleset_free(struct ruleset *rs)
{
    if (!rs) return;
    for (size_t i = 0; i < rs->npool; i++) vg_sigma_ctx_free(rs->pool[i]);
    vg_free(rs->pool);
    vg_sigma_set_free(rs->set);
    vg_corr_free(rs->corr);
    vg_free(rs->corr_rule);
    vg_free(rs->rflags);
    pthread_mutex_destroy(&rs->corr_mu);
    pthread_mutex_destroy(&rs->mu);
    vg_free(rs);
}

static void ruleset_unref(struct ruleset *rs)
{
    if (rs && atomic_fetch_sub(&rs->refs, 1) == 1) ruleset_free(rs);
}

static struct ruleset *acquire(struct vg_detect *d)
{
    pthread_mutex_lock(&d->cur_mu);
    struct ruleset *rs = d->cur;
    if (rs) atomic_fetch_add(&rs->refs, 1);
    pthread_mutex_unlock(&d->cur_mu);
    return rs;
}

static struct vg_sigma_ctx *ctx_take(struct ruleset *rs)
{
    struct vg_sigma_ctx *c = NULL;
    pthread_mutex_lock(&rs->mu);
    if (rs->npool) c = rs->pool[--rs->npool];
    pthread_mutex_unlock(&rs->mu);
    return c ? c : vg_sigma_ctx_new(rs->set);
}

static void ctx_give(struct ruleset *rs, struct vg_sigma_ctx *c)
{
    pthread_mutex_lock(&rs->mu);
    if (rs->npool == rs->cap) {
        size_t nc = rs->cap ? rs->cap * 2 : 8;
        struct vg_sigma_ctx **np = vg_realloc(rs->pool, nc * sizeof *np);
        if (np) { rs->pool = np; rs->cap = nc; }
    }
    if (rs->npool < rs->cap) { rs->pool[rs->npool++] = c; c = NULL; }
    pthread_mutex_unlock(&rs->mu);
    vg_sigma_ctx_free(c); /* only when the pool could not grow */
}

/* ---- loading ------------------------------------------------------------- */
static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Loads a rule file or directory (vg_sigma_load_path: .yml and .yaml files,
 * recursively; log source mappings and hardening policies among them are
 * recognised and skipped by the loader itself, so `vigil rules check` on
 * the same directory counts the same); filters_only for --filters paths. */
static int load_rules_path(struct vg_sigma_set *set, const char *path, bool filters_only, struct vg_sigma_report *rep,
                           struct vg_err *err)
{
    int rc = filters_only ? vg_sigma_load_filters(set, path, rep) : vg_sigma_load_path(set, path, rep);
    if (rc == VG_EIO) return vg_err_set(err, rc, "cannot read %s %s", filters_only ? "filters" : "rules", path);
    return rc ? vg_err_set(err, rc, "loading %s: %s", path, vg_strerror(rc)) : 0;
}

/* The correlation engine of a set: every correlation document that can be
 * evaluated (others are skipped), and per rule whether to feed it. */
static int corr_build(struct ruleset *rs, struct vg_err *err)
{
    size_t n = vg_sigma_rule_count(rs->set), ncorr = 0;
    for (size_t i = 0; i < n; i++) ncorr += vg_sigma_rule_at(rs->set, i)->kind == VG_SIGMA_CORRELATION;
    if (!ncorr) return 0;
    rs->corr = vg_corr_new(&(struct vg_corr_opts){.lateness_ns = CORR_LATENESS_NS, .max_future_ns = CORR_MAX_FUTURE_NS});
    rs->corr_rule = vg_calloc(ncorr, sizeof *rs->corr_rule);
    rs->rflags = vg_calloc(n, 1);
    if (!rs->corr || !rs->corr_rule || !rs->rflags) return vg_err_set(err, VG_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const struct vg_sigma_rule *r = vg_sigma_rule_at(rs->set, i);
        if (r->kind != VG_SIGMA_CORRELATION) continue;
        struct vg_corr_alias al[64];
        struct vg_corr_def def;
        struct vg_err e2 = VG_ERR_INIT;
        int idx = vg_corr_def_from_sigma(&def, r, al, VG_ARRAY_LEN(al), &e2);
        if (idx == 0) idx = vg_corr_add(rs->corr, &def, &e2);
        if (idx == VG_ENOMEM) return vg_err_set(err, VG_ENOMEM, "out of memory");
        if (idx < 0) {
            vg_warn("detect", "correlation %s (%s:%d) not evaluated: %s", r->title ? r->title : "?", r->file ? r->file : "?",
                    r->line, e2.msg);
            continue;
        }
        rs->corr_rule[idx] = r;
    }
    for (size_t i = 0; i < n; i++) {
        const struct vg_sigma_rule *r = vg_sigma_rule_at(rs->set, i);
        if (r->kind != VG_SIGMA_RULE || !vg_corr_references(rs->corr, r->id, r->name)) continue;
        rs->rflags[i] = RF_FEED | (vg_corr_rule_generates(rs->corr, r->id, r->name) ? 0 : RF_QUIET);
    }
    return 0;
}

static int build(struct vg_detect *d, struct ruleset **out, struct vg_sigma_report *rep, struct vg_err *err)
{
    *out = NULL;
    int64_t t0 = vg_mono_ns();
    struct vg_sigma_report local = VG_SIGMA_REPORT_INIT;
    struct vg_sigma_report *r = rep ? rep : &local;
    size_t files0 = r->files, docs0 = r->documents, loaded0 = r->loaded, rej0 = r->rejected, cor0 = r->correlations,
           fil0 = r->filters, warn0 = r->nwarn, fap0 = r->filters_applied, skip0 = r->skipped;
    struct ruleset *rs = vg_calloc(1, sizeof *rs);
    int rc = 0;
    if (!rs || !(rs->set = vg_sigma_set_new())) { vg_free(rs); rs = NULL; rc = vg_err_set(err, VG_ENOMEM, "out of memory"); goto out; }
    pthread_mutex_init(&rs->mu, NULL);
    pthread_mutex_init(&rs->corr_mu, NULL);
    atomic_init(&rs->refs, 1);
    if (d->config && (rc = vg_sigma_load_config(rs->set, d->config, err))) goto out;
    const char *maps = d->mappings;
    struct vg_buf pm = VG_BUF_INIT;
    if (!maps && d->pack) {
        if (vg_buf_addf(&pm, "%s/mappings", d->pack) == 0 && is_dir(pm.data)) maps = pm.data;
    }
    if (maps) rc = vg_sigma_load_mappings(rs->set, maps, err);
    vg_buf_release(&pm);
    if (rc) goto out;
    if (d->pack && (rc = load_rules_path(rs->set, d->pack, false, r, err))) goto out;
    for (size_t i = 0; i < d->nrules; i++)
        if ((rc = load_rules_path(rs->set, d->rules[i], false, r, err))) goto out;
    for (size_t i = 0; i < d->nfilters; i++)
        if ((rc = load_rules_path(rs->set, d->filters[i], true, r, err))) goto out;
    if ((rc = vg_sigma_compile_report(rs->set, r, err))) goto out;
    if ((rc = corr_build(rs, err))) goto out;
    for (size_t i = 0; i < vg_sigma_rule_count(rs->set); i++)
        rs->nrules += vg_sigma_rule_at(rs->set, i)->kind == VG_SIGMA_RULE;
    rs->info.files = r->files - files0;
    rs->info.documents = r->documents - docs0;
    rs->info.loaded = r->loaded - loaded0;
    rs->info.rejected = r->rejected - rej0;
    rs->info.correlations = r->correlations - cor0;
    rs->info.filters = r->filters - fil0;
    rs->info.filters_applied = r->filters_applied - fap0;
    rs->info.warnings = r->nwarn - warn0;
    rs->info.skipped = r->skipped - skip0;
    rs->info.ms = (double)(vg_mono_ns() - t0) / 1e6;
    *out = rs;
    rs = NULL;
out:
    ruleset_free(rs);
    vg_sigma_report_release(&local);
    return rc;
}

static char *dup_opt(const char *s, bool *oom)
{
    if (!s) return NULL;
    char *d = vg_strdup(s);
    if (!d) *oom = true;
    return d;
}

int vg_detect_new(struct vg_detect **out, const struct vg_detect_opts *o, struct vg_sigma_report *rep,
                  struct vg_detect_load_info *info, struct vg_err *err)
{
    *out = NULL;
    struct vg_detect_opts none = {0};
    if (!o) o = &none;
    struct vg_detect *d = vg_calloc(1, sizeof *d);
    if (!d) return vg_err_set(err, VG_ENOMEM, "out of memory");
    pthread_mutex_init(&d->cur_mu, NULL);
    pthread_mutex_init(&d->reload_mu, NULL);
    bool oom = false;
    d->pack = dup_opt(o->pack, &oom);
    d->mappings = dup_opt(o->mappings, &oom);
    d->config = dup_opt(o->config, &oom);
    d->min_level = o->min_level;
    if (!(d->intel = vg_intel_slot_new())) oom = true;
    if (o->nrules) {
        d->rules = vg_calloc(o->nrules, sizeof *d->rules);
        if (!d->rules) oom = true;
        for (size_t i = 0; d->rules && i < o->nrules; i++) d->rules[i] = dup_opt(o->rules[i], &oom);
        d->nrules = d->rules ? o->nrules : 0;
    }
    if (o->nfilters) {
        d->filters = vg_calloc(o->nfilters, sizeof *d->filters);
        if (!d->filters) oom = true;
        for (size_t i = 0; d->filters && i < o->nfilters; i++) d->filters[i] = dup_opt(o->filters[i], &oom);
        d->nfilters = d->filters ? o->nfilters : 0;
    }
    int rc;
    if (oom) { rc = vg_err_set(err, VG_ENOMEM, "out of memory"); goto fail; }
    if ((rc = build(d, &d->cur, rep, err))) goto fail;
    d->cur->info.generation = d->generation = 1;
    if (info) *info = d->cur->info;
    *out = d;
    return 0;
fail:
    vg_detect_free(d);
    return rc;
}

void vg_detect_free(struct vg_detect *d)
{
    if (!d) return;
    ruleset_unref(d->cur);
    vg_intel_slot_free(d->intel);
    pthread_mutex_destroy(&d->cur_mu);
    pthread_mutex_destroy(&d->reload_mu);
    vg_free(d->pack);
    vg_free(d->mappings);
    vg_free(d->config);
    for (size_t i = 0; i < d->nrules; i++) vg_free(d->rules[i]);
    vg_free(d->rules);
    for (size_t i = 0; i < d->nfilters; i++) vg_free(d->filters[i]);
    vg_free(d->filters);
    vg_free(d);
}

int vg_detect_reload(struct vg_detect *d, struct vg_sigma_report *rep, struct vg_detect_load_info *info,
                     struct vg_err *err)
{
    pthread_mutex_lock(&d->reload_mu);
    struct ruleset *rs = NULL;
    int rc = build(d, &rs, rep, err);
    if (rc) {
        atomic_fetch_add(&d->reload_failures, 1);
        pthread_mutex_unlock(&d->reload_mu);
        return rc;
    }
    rs->info.generation = ++d->generation;
    if (info) *info = rs->info;
    struct ruleset *prev = acquire(d);
    if (prev && prev->corr && rs->corr) { /* carry the correlation state over */
        struct vg_buf blob = VG_BUF_INIT;
        blob.cap_limit = (size_t)1 << 30;
        pthread_mutex_lock(&prev->corr_mu);
        int src = vg_corr_save(prev->corr, &blob);
        pthread_mutex_unlock(&prev->corr_mu);
        if (src == 0 && vg_corr_restore(rs->corr, blob.data, blob.len, NULL) != 0) src = -1;
        if (src) vg_warn("detect", "correlation state not carried over the reload");
        vg_buf_release(&blob);
    }
    ruleset_unref(prev);
    pthread_mutex_lock(&d->cur_mu);
    struct ruleset *old = d->cur;
    d->cur = rs;
    pthread_mutex_unlock(&d->cur_mu);
    ruleset_unref(old); /* freed now, or by the last batch still using it */
    atomic_fetch_add(&d->reloads, 1);
    pthread_mutex_unlock(&d->reload_mu);
    return 0;
}

/* ---- matching ------------------------------------------------------------ */
struct ev_get {
    const struct vg_event *ev;
    char buf[64];
};

/* Correlation field lookup: the event field of that name. */
static int ev_field(void *ud, const char *name, const char **v, size_t *n)
{
    struct ev_get *g = ud;
    uint32_t fid = vg_fid_lookup(name, strlen(name));
    const struct vg_field *f = fid == UINT32_MAX ? NULL : vg_event_get(g->ev, fid);
    if (!f) return -1;
    *v = vg_value_text(&f->v, g->buf, sizeof g->buf, n);
    return *v ? 0 : -1;
}

/* Feeds one hit to the correlations and turns their firings into alerts of
 * the correlation rule on ev. */
static void correlate(struct vg_detect *d, struct ruleset *rs, const struct vg_sigma_hit *hit, const struct vg_event *ev,
                      int64_t now, const struct vg_alert_origin *org, struct vg_batch *b, struct vg_alert ***tail,
                      uint64_t *lv, int *made, uint64_t *errors)
{
    struct ev_get g = {.ev = ev};
    struct vg_corr_hit ch = {.rule_id = hit->rule->id, .rule_name = hit->rule->name, .ts = ev->ts, .get = ev_field, .ud = &g};
    const struct vg_corr_fire *f;
    pthread_mutex_lock(&rs->corr_mu);
    int nf = vg_corr_feed(rs->corr, &ch, &f);
    if (nf < 0) (*errors)++;
    for (int i = 0; i < nf; i++) {
        const struct vg_sigma_rule *cr = rs->corr_rule[f[i].corr];
        if (!cr) continue;
        int level = vg_alert_level_parse(cr->level);
        if (level < 0) level = VG_ALERT_MEDIUM;
        if (level < d->min_level) { atomic_fetch_add(&d->below_min, 1); continue; }
        struct vg_sigma_hit chit = {.rule = cr, .fields = NULL, .nfields = 0};
        struct vg_alert *a = vg_arena_alloc(&b->arena, sizeof *a);
        if (!a || vg_alert_build(a, &b->arena, &chit, ev, now, org) != 0) {
            (*errors)++;
            continue;
        }
        **tail = a;
        *tail = &a->next;
        b->nalerts++;
        lv[a->level]++;
        (*made)++;
    }
    pthread_mutex_unlock(&rs->corr_mu);
}

int vg_detect_run(struct vg_detect *d, struct vg_batch *b, const char *origin_file, bool seq_is_line)
{
    struct ruleset *rs = acquire(d);
    if (!rs) return VG_ESTATE;
    struct vg_sigma_ctx *ctx = ctx_take(rs);
    if (!ctx) {
        atomic_fetch_add(&d->errors, b->n);
        ruleset_unref(rs);
        return VG_ENOMEM;
    }
    struct vg_alert **tail = &b->alerts;
    while (*tail) tail = &(*tail)->next;
    int64_t now = vg_now_ns();
    uint64_t lv[VG_ALERT_NLEVELS] = {0}, below = 0, errors = 0, ialerts = 0;
    int made = 0;
    struct vg_intel_set *iset = d->intel ? vg_intel_slot_get(d->intel) : NULL; /* once per batch */
    struct vg_intel_match_stats ist = {0};
    for (size_t i = 0; i < b->n; i++) {
        const struct vg_event *ev = &b->ev[i];
        if (iset) {
            struct vg_intel_hit ih[INTEL_MAX_HITS];
            size_t nh = vg_intel_match_event(iset, ev, ih, INTEL_MAX_HITS, &ist);
            for (size_t k = 0; k < nh && k < INTEL_MAX_HITS; k++) {
                struct vg_alert *a = vg_arena_alloc(&b->arena, sizeof *a);
                if (!a || vg_intel_alert_build(a, &b->arena, &ih[k], ev, now) != 0) {
                    errors++;
                    continue;
                }
                a->ev = ev;
                if ((int)a->level < d->min_level) { below++; continue; }
                *tail = a;
                tail = &a->next;
                b->nalerts++;
                lv[a->level]++;
                ialerts++;
                made++;
            }
        }
        const struct vg_sigma_hit *hits;
        int h = vg_sigma_match(ctx, ev, &hits);
        if (h < 0) { errors++; continue; }
        for (int k = 0; k < h; k++) {
            uint8_t rf = rs->rflags ? rs->rflags[hits[k].rule->index] : 0;
            if (rf & RF_FEED) {
                struct vg_alert_origin org = {origin_file, ev->seq, seq_is_line};
                correlate(d, rs, &hits[k], ev, now, origin_file ? &org : NULL, b, &tail, lv, &made, &errors);
            }
            if (rf & RF_QUIET) continue;
            int level = vg_alert_level_parse(hits[k].rule->level);
            if (level < 0) level = VG_ALERT_MEDIUM;
            if (level < d->min_level) { below++; continue; }
            struct vg_alert *a = vg_arena_alloc(&b->arena, sizeof *a);
            struct vg_alert_origin org = {origin_file, ev->seq, seq_is_line};
            if (!a || vg_alert_build(a, &b->arena, &hits[k], ev, now, origin_file ? &org : NULL) != 0) {
                errors++;
                continue;
            }
            *tail = a;
            tail = &a->next;
            b->nalerts++;
            lv[a->level]++;
            made++;
        }
    }
    ctx_give(rs, ctx);
    ruleset_unref(rs);
    if (iset) {
        vg_intel_set_unref(iset);
        if (ist.hits) atomic_fetch_add(&d->intel_hits, ist.hits);
        if (ist.suppressed) atomic_fetch_add(&d->intel_suppressed, ist.suppressed);
        if (ist.expired) atomic_fetch_add(&d->intel_expired, ist.expired);
        if (ialerts) atomic_fetch_add(&d->intel_alerts, ialerts);
    }
    atomic_fetch_add(&d->events, b->n);
    for (int l = 0; l < VG_ALERT_NLEVELS; l++)
        if (lv[l]) atomic_fetch_add(&d->alerts[l], lv[l]);
    if (below) atomic_fetch_add(&d->below_min, below);
    if (errors) atomic_fetch_add(&d->errors, errors);
    return made;
}

void vg_detect_batch(void *ctx, struct vg_batch *b)
{
    struct vg_detect *d = ctx;
    if (d && b && b->n && vg_detect_run(d, b, NULL, false) > 1) vg_alert_aggregate(b); /* repeats: one record each */
}

const char *vg_detect_default_pack(void)
{
    const char *env = getenv("VIGIL_RULES");
    if (env && *env) return is_dir(env) ? env : NULL;
#ifdef VG_DEFAULT_RULES_DIR
    return is_dir(VG_DEFAULT_RULES_DIR) ? VG_DEFAULT_RULES_DIR : NULL;
#else
    return NULL;
#endif
}

const char *vg_detect_default_mappings(char *buf, size_t n)
{
    const char *pack = vg_detect_default_pack();
    if (!pack) return NULL;
    int k = snprintf(buf, n, "%s/mappings", pack);
    return k > 0 && (size_t)k < n && is_dir(buf) ? buf : NULL;
}

/* ---- correlation state across restarts ----------------------------------- */
int vg_detect_corr_save(struct vg_detect *d, const char *path, struct vg_err *err)
{
    struct ruleset *rs = acquire(d);
    if (!rs || !rs->corr) {
        ruleset_unref(rs);
        return 0;
    }
    struct vg_buf blob = VG_BUF_INIT, tmp = VG_BUF_INIT;
    blob.cap_limit = (size_t)1 << 30;
    pthread_mutex_lock(&rs->corr_mu);
    int rc = vg_corr_save(rs->corr, &blob);
    pthread_mutex_unlock(&rs->corr_mu);
    ruleset_unref(rs);
    if (rc) { rc = vg_err_set(err, rc, "correlation state: %s", vg_strerror(rc)); goto out; }
    if ((rc = vg_buf_addf(&tmp, "%s.tmp", path))) goto out;
    int fd = open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) { rc = vg_err_set(err, VG_EIO, "cannot write %s", tmp.data); goto out; }
    size_t off = 0;
    while (off < blob.len) {
        ssize_t w = write(fd, blob.data + off, blob.len - off);
        if (w <= 0) break;
        off += (size_t)w;
    }
    bool ok = off == blob.len && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp.data, path) != 0) {
        unlink(tmp.data);
        rc = vg_err_set(err, VG_EIO, "cannot write %s", path);
    }
out:
    vg_buf_release(&blob);
    vg_buf_release(&tmp);
    return rc;
}

int vg_detect_corr_load(struct vg_detect *d, const char *path, struct vg_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno == ENOENT ? VG_ENOENT : vg_err_set(err, VG_EIO, "cannot read %s", path);
    struct vg_buf blob = VG_BUF_INIT;
    blob.cap_limit = (size_t)1 << 30;
    int rc = 0;
    char chunk[65536];
    for (;;) {
        ssize_t r = read(fd, chunk, sizeof chunk);
        if (r < 0) { rc = vg_err_set(err, VG_EIO, "cannot read %s", path); break; }
        if (r == 0) break;
        if ((rc = vg_buf_add(&blob, chunk, (size_t)r))) { rc = vg_err_set(err, rc, "%s: too large", path); break; }
    }
    close(fd);
    struct ruleset *rs = rc ? NULL : acquire(d);
    if (rs && rs->corr) {
        pthread_mutex_lock(&rs->corr_mu);
        rc = vg_corr_restore(rs->corr, blob.data, blob.len, err);
        pthread_mutex_unlock(&rs->corr_mu);
    }
    ruleset_unref(rs);
    vg_buf_release(&blob);
    return rc;
}

/* ---- threat intel ---------------------------------------------------------- */
void vg_detect_intel_put(struct vg_detect *d, struct vg_intel_set *s)
{
    if (!d || !d->intel) {
        vg_intel_set_unref(s);
        return;
    }
    struct vg_intel_set *old = vg_intel_slot_swap(d->intel, s);
    if (s) atomic_fetch_add(&d->intel_loads, 1);
    /* the caller (a refresh, not a detect worker) frees the old set once the
     * batches that took it are done: freeing a large set takes tens of ms */
    vg_intel_set_release_last(old, 10000);
}

void vg_detect_intel_failed(struct vg_detect *d)
{
    if (d) atomic_fetch_add(&d->intel_failures, 1);
}

/* ---- figures ------------------------------------------------------------- */
void vg_detect_stats(struct vg_detect *d, struct vg_detect_stats *o)
{
    memset(o, 0, sizeof *o);
    o->events = atomic_load(&d->events);
    for (int l = 0; l < VG_ALERT_NLEVELS; l++) o->alerts[l] = atomic_load(&d->alerts[l]);
    o->below_min = atomic_load(&d->below_min);
    o->errors = atomic_load(&d->errors);
    o->reloads = atomic_load(&d->reloads);
    o->reload_failures = atomic_load(&d->reload_failures);
    o->intel_hits = atomic_load(&d->intel_hits);
    o->intel_alerts = atomic_load(&d->intel_alerts);
    o->intel_suppressed = atomic_load(&d->intel_suppressed);
    o->intel_expired = atomic_load(&d->intel_expired);
    o->intel_loads = atomic_load(&d->intel_loads);
    o->intel_load_failures = atomic_load(&d->intel_failures);
    struct vg_intel_set *is = d->intel ? vg_intel_slot_get(d->intel) : NULL;
    if (is) {
        size_t n = 0;
        vg_intel_indicators(is, &n);
        o->intel_indicators = n;
        vg_intel_set_unref(is);
    }
    pthread_mutex_lock(&d->cur_mu);
    if (d->cur) o->last = d->cur->info;
    pthread_mutex_unlock(&d->cur_mu);
}

size_t vg_detect_rule_count(struct vg_detect *d)
{
    pthread_mutex_lock(&d->cur_mu);
    size_t n = d->cur ? d->cur->nrules : 0;
    pthread_mutex_unlock(&d->cur_mu);
    return n;
}

int vg_detect_metrics(struct vg_detect *d, struct vg_buf *out)
{
    struct vg_detect_stats s;
    vg_detect_stats(d, &s);
    int rc = vg_buf_adds(out, "# TYPE vigil_alerts counter\n"
                              "# HELP vigil_alerts Alerts made by the detect stage, by level.\n");
    for (int l = 0; rc == 0 && l < VG_ALERT_NLEVELS; l++)
        rc = vg_buf_addf(out, "vigil_alerts_total{level=\"%s\"} %llu\n", vg_alert_level_name(l),
                         (unsigned long long)s.alerts[l]);
    if (rc == 0)
        rc = vg_buf_addf(out,
                         "# TYPE vigil_detect_events counter\n"
                         "# HELP vigil_detect_events Events matched against the rules.\n"
                         "vigil_detect_events_total %llu\n"
                         "# TYPE vigil_detect_errors counter\n"
                         "# HELP vigil_detect_errors Match or alert-building failures (event stored, alert lost).\n"
                         "vigil_detect_errors_total %llu\n"
                         "# TYPE vigil_rules_loaded gauge\n"
                         "# HELP vigil_rules_loaded Sigma rules in the current set.\n"
                         "vigil_rules_loaded %zu\n"
                         "# TYPE vigil_rules_rejected gauge\n"
                         "# HELP vigil_rules_rejected Rule documents rejected by the last successful load.\n"
                         "vigil_rules_rejected %zu\n"
                         "# TYPE vigil_rules_generation gauge\n"
                         "# HELP vigil_rules_generation Rule set generation (1 at start, +1 per reload).\n"
                         "vigil_rules_generation %llu\n"
                         "# TYPE vigil_rules_load_seconds gauge\n"
                         "# HELP vigil_rules_load_seconds Wall time of the last successful load and compile.\n"
                         "vigil_rules_load_seconds %.3f\n"
                         "# TYPE vigil_rules_reloads counter\n"
                         "# HELP vigil_rules_reloads Successful rule reloads.\n"
                         "vigil_rules_reloads_total %llu\n"
                         "# TYPE vigil_rules_reload_failures counter\n"
                         "# HELP vigil_rules_reload_failures Reloads that failed (the previous set stayed).\n"
                         "vigil_rules_reload_failures_total %llu\n",
                         (unsigned long long)s.events, (unsigned long long)s.errors, s.last.loaded, s.last.rejected,
                         (unsigned long long)s.last.generation, s.last.ms / 1e3, (unsigned long long)s.reloads,
                         (unsigned long long)s.reload_failures);
    if (rc == 0)
        rc = vg_buf_addf(out,
                         "# TYPE vigil_intel_indicators gauge\n"
                         "# HELP vigil_intel_indicators Indicators of the current threat-intel set.\n"
                         "vigil_intel_indicators %zu\n"
                         "# TYPE vigil_intel_hits counter\n"
                         "# HELP vigil_intel_hits Indicator hits on events (after warninglists and validity).\n"
                         "vigil_intel_hits_total %llu\n"
                         "# TYPE vigil_intel_alerts counter\n"
                         "# HELP vigil_intel_alerts Alerts made from indicator hits.\n"
                         "vigil_intel_alerts_total %llu\n"
                         "# TYPE vigil_intel_suppressed counter\n"
                         "# HELP vigil_intel_suppressed Hits suppressed because the value is on a warninglist.\n"
                         "vigil_intel_suppressed_total %llu\n"
                         "# TYPE vigil_intel_expired counter\n"
                         "# HELP vigil_intel_expired Hits ignored because the event lies outside the indicator's validity.\n"
                         "vigil_intel_expired_total %llu\n"
                         "# TYPE vigil_intel_loads counter\n"
                         "# HELP vigil_intel_loads Threat-intel sets loaded (start, reloads, scheduled refreshes).\n"
                         "vigil_intel_loads_total %llu\n"
                         "# TYPE vigil_intel_load_failures counter\n"
                         "# HELP vigil_intel_load_failures Threat-intel loads that failed (the previous set stayed).\n"
                         "vigil_intel_load_failures_total %llu\n",
                         s.intel_indicators, (unsigned long long)s.intel_hits, (unsigned long long)s.intel_alerts,
                         (unsigned long long)s.intel_suppressed, (unsigned long long)s.intel_expired,
                         (unsigned long long)s.intel_loads, (unsigned long long)s.intel_load_failures);
    struct ruleset *rs = rc == 0 ? acquire(d) : NULL;
    if (rs && rs->corr) {
        struct vg_corr_stats cs;
        pthread_mutex_lock(&rs->corr_mu);
        vg_corr_stats(rs->corr, &cs);
        pthread_mutex_unlock(&rs->corr_mu);
        rc = vg_buf_addf(out,
                         "# TYPE vigil_correlation_keys gauge\n"
                         "# HELP vigil_correlation_keys Live (correlation, group) keys.\n"
                         "vigil_correlation_keys %llu\n"
                         "# TYPE vigil_correlation_state_bytes gauge\n"
                         "# HELP vigil_correlation_state_bytes Memory of the correlation state.\n"
                         "vigil_correlation_state_bytes %llu\n"
                         "# TYPE vigil_correlation_fires counter\n"
                         "# HELP vigil_correlation_fires Correlation firings.\n"
                         "vigil_correlation_fires_total %llu\n"
                         "# TYPE vigil_correlation_dropped counter\n"
                         "# HELP vigil_correlation_dropped Correlation state dropped, by reason.\n"
                         "vigil_correlation_dropped_total{reason=\"late\"} %llu\n"
                         "vigil_correlation_dropped_total{reason=\"future\"} %llu\n"
                         "vigil_correlation_dropped_total{reason=\"evicted\"} %llu\n"
                         "vigil_correlation_dropped_total{reason=\"truncated\"} %llu\n"
                         "vigil_correlation_dropped_total{reason=\"suppressed\"} %llu\n"
                         "vigil_correlation_dropped_total{reason=\"missing_field\"} %llu\n",
                         (unsigned long long)cs.keys, (unsigned long long)(cs.bytes + cs.table_bytes),
                         (unsigned long long)cs.fires, (unsigned long long)cs.late_dropped, (unsigned long long)cs.future_dropped,
                         (unsigned long long)cs.evicted, (unsigned long long)cs.truncated,
                         (unsigned long long)cs.suppressed, (unsigned long long)cs.missing_field);
    }
    ruleset_unref(rs);
    return rc;
}
