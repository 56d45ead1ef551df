/* The incident processor (include/vigil/respond.h): rounds over the alert
 * rows committed after a cursor (alerts.seq, kept in kv "incidents.seq"),
 * each in one transaction with its results, so a crash repeats at most an
 * uncommitted round and loses nothing; and the thread that runs them when
 * the pipeline's writer says alerts were committed (vg_respond_notify) or
 * once a second. Grouping rule (docs/internals/incidents.md): an alert
 * joins the open incident that shares a strong entity with it within the
 * window; when it links several, the unlocked ones are merged into the
 * oldest; with none it opens a new incident. */
#include "internal.h"
#include <pthread.h>
#include <stdatomic.h>

#define CURSOR_KEY "incidents.seq"
#define MAX_ENTS 8
#define MAX_CAND 16
#define DRAIN_NS (5LL * 1000000000LL) /* at stop: group what is left for up to this long */
#define MAX_INC_ALERTS 1000    /* alert rows an incident takes; then linked alerts open a new one */

struct row {
    uint8_t id[16];
    uint64_t seq;
    char tenant[64];
    char rule[256];
    char incident[VG_INC_ID_MAX];
    int level, score;              /* score: risk score (rule's, else from level) */
    int64_t ts, first, last;
    bool suppressed;
    char ents[MAX_ENTS][VG_INC_ENTITY_MAX];
    size_t nents;
    char facts[VG__FACTS_MAX];     /* computed now for a new row, kept in alerts.facts */
};

bool vg__rsp_memo_off;

struct rows {
    struct row *v;
    size_t n, cap;
};

static int read_row(void *ctx, const struct vg_inc_alert *a)
{
    struct rows *r = ctx;
    if (r->n == r->cap) return 1; /* the batch limit also bounds this */
    struct row *w = &r->v[r->n++];
    memset(w, 0, sizeof *w);
    memcpy(w->id, a->id, 16);
    w->seq = a->seq;
    snprintf(w->tenant, sizeof w->tenant, "%s", a->tenant);
    snprintf(w->rule, sizeof w->rule, "%s", a->rule_id);
    if (a->incident) snprintf(w->incident, sizeof w->incident, "%s", a->incident);
    w->level = a->level;
    w->score = a->risk > 0 ? a->risk : vg_alert_level_risk(a->level);
    w->ts = a->ts;
    w->first = a->first_ns;
    w->last = a->last_ns;
    w->suppressed = a->suppressed;
    if (!a->incident && !a->suppressed) { /* new: digest the record once */
        vg__rsp_facts(a, w->facts);
        w->nents = vg__rsp_row_entities(a, w->facts, w->ents, MAX_ENTS);
    }
    return 0;
}

/* Links made in this round (the store's links are rewritten only when the
 * incident is recomputed at the end of the round). */
struct link {
    char tenant[64];
    char entity[VG_INC_ENTITY_MAX];
    char incident[VG_INC_ID_MAX];
    int64_t last_ns;
};

struct touched {
    char tenant[64];
    char id[VG_INC_ID_MAX];
};

struct sups {
    char tenant[64];
    struct vg_suppression *v;
    size_t n;
};

struct round {
    struct vg_store *s;
    const struct vg_respond_opts *o;
    int64_t now;
    struct link *links;
    size_t nlinks, caplinks;
    uint32_t *lslot;               /* entity hash -> link index + 1 (open addressing), nslot a power of two */
    size_t nslot;
    struct touched *t;
    size_t nt, capt;
    struct sups *sup;
    size_t nsup;
    struct vg__rsp_counts *c;
    struct vg_err *err;
};

static void *grow(void *v, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return v;
    size_t nc = *cap ? *cap * 2 : 32;
    while (nc < need) nc *= 2;
    void *nv = vg_realloc(v, nc * elem);
    if (nv) *cap = nc;
    return nv;
}

static int touch(struct round *r, const char *tenant, const char *id)
{
    for (size_t i = 0; i < r->nt; i++)
        if (!strcmp(r->t[i].id, id) && !strcmp(r->t[i].tenant, tenant)) return 0;
    struct touched *nv = grow(r->t, &r->capt, r->nt + 1, sizeof *nv);
    if (!nv) return vg_err_set(r->err, VG_ENOMEM, "out of memory");
    r->t = nv;
    snprintf(r->t[r->nt].tenant, sizeof r->t[r->nt].tenant, "%s", tenant);
    snprintf(r->t[r->nt].id, sizeof r->t[r->nt].id, "%s", id);
    r->nt++;
    return 0;
}

static size_t ent_slot(const struct round *r, const char *entity)
{
    uint64_t h = 1469598103934665603ULL;
    for (const char *p = entity; *p; p++) h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    return (size_t)(h ^ (h >> 32)) & (r->nslot - 1);
}

/* Index of the next link of entity from slot *k on (advancing *k), or -1.
 * A link's slot is fixed when it is added (links are never removed in a
 * round), so every link of one entity is found along its probe run, in
 * the order the links were added (each new one takes the first free slot
 * after them): candidates come in the same order as a linear scan. */
static long link_next(const struct round *r, const char *entity, size_t *k)
{
    while (r->lslot[*k]) {
        uint32_t i = r->lslot[*k] - 1;
        *k = (*k + 1) & (r->nslot - 1);
        if (!strcmp(r->links[i].entity, entity)) return (long)i;
    }
    return -1;
}

static int link_add(struct round *r, const char *tenant, const char *entity, const char *id, int64_t last)
{
    size_t k = ent_slot(r, entity);
    for (long i; (i = link_next(r, entity, &k)) >= 0;) {
        struct link *l = &r->links[i];
        if (!strcmp(l->incident, id) && !strcmp(l->tenant, tenant)) {
            if (last > l->last_ns) l->last_ns = last;
            return 0;
        }
    }
    if (r->nlinks + 1 > r->nslot / 2) return vg_err_set(r->err, VG_ETOOBIG, "too many links in one round");
    struct link *nv = grow(r->links, &r->caplinks, r->nlinks + 1, sizeof *nv);
    if (!nv) return vg_err_set(r->err, VG_ENOMEM, "out of memory");
    r->links = nv;
    struct link *l = &r->links[r->nlinks++];
    snprintf(l->tenant, sizeof l->tenant, "%s", tenant);
    snprintf(l->entity, sizeof l->entity, "%s", entity);
    snprintf(l->incident, sizeof l->incident, "%s", id);
    l->last_ns = last;
    r->lslot[k] = (uint32_t)r->nlinks; /* k: the free slot that ended the probe */
    return 0;
}

static const struct sups *sups_of(struct round *r, const char *tenant)
{
    for (size_t i = 0; i < r->nsup; i++)
        if (!strcmp(r->sup[i].tenant, tenant)) return &r->sup[i];
    if (r->nsup == 64) return NULL; /* bounded: more tenants in one round are checked without cache */
    struct sups *nv = vg_realloc(r->sup, (r->nsup + 1) * sizeof *nv);
    if (!nv) return NULL;
    r->sup = nv;
    struct sups *p = &r->sup[r->nsup];
    memset(p, 0, sizeof *p);
    snprintf(p->tenant, sizeof p->tenant, "%s", tenant);
    if (r->s->ops->sup_list(r->s, tenant, r->now, &p->v, &p->n, r->err) != 0) return NULL;
    r->nsup++;
    return p;
}

static void add_cand(char (*cand)[VG_INC_ID_MAX], size_t *nc, const char *id)
{
    for (size_t i = 0; i < *nc; i++)
        if (!strcmp(cand[i], id)) return;
    if (*nc < MAX_CAND) snprintf(cand[(*nc)++], VG_INC_ID_MAX, "%s", id);
}

/* Groups one new alert row. */
static int group(struct round *r, struct row *w)
{
    struct vg_store *s = r->s;
    const struct vg_respond_opts *o = r->o;
    int rc = 0;
    const struct sups *sp = sups_of(r, w->tenant);
    if (!sp) return r->err && r->err->code ? r->err->code : vg_err_set(r->err, VG_ENOMEM, "out of memory");
    if (vg__rsp_suppressed(sp->v, sp->n, w->rule, r->now, w->ents, w->nents)) {
        r->c->suppressed++;
        return s->ops->inc_alert_set(s, w->id, NULL, true, w->facts, r->err);
    }
    /* count every entity (the hub rule), keep the strong ones as links */
    int64_t hour = w->ts / (3600LL * 1000000000LL);
    bool strong[MAX_ENTS] = {0};
    for (size_t i = 0; i < w->nents; i++) {
        if (vg_entity_static_weak(w->ents[i])) continue;
        uint64_t total = 0;
        if ((rc = s->ops->inc_entity_bump(s, w->tenant, w->ents[i], hour, w->score, 1, hour - 23, &total, r->err))) return rc;
        strong[i] = vg_entity_strength(w->ents[i], total, o->hub_alerts) == VG_ENTITY_STRONG;
    }
    /* candidate incidents: in the store and linked earlier in this round */
    char cand[MAX_CAND][VG_INC_ID_MAX];
    size_t nc = 0;
    int64_t since = w->first - o->window_ns;
    for (size_t i = 0; i < w->nents; i++) {
        if (!strong[i]) continue;
        char ids[MAX_CAND][VG_INC_ID_MAX];
        size_t n = 0;
        if ((rc = s->ops->inc_entity_find(s, w->tenant, w->ents[i], since, ids, MAX_CAND, &n, r->err))) return rc;
        for (size_t k = 0; k < n; k++) add_cand(cand, &nc, ids[k]);
        size_t slot = ent_slot(r, w->ents[i]);
        for (long k; (k = link_next(r, w->ents[i], &slot)) >= 0;) {
            const struct link *l = &r->links[k];
            if (l->last_ns >= since && !strcmp(l->tenant, w->tenant)) add_cand(cand, &nc, l->incident);
        }
    }
    /* target: the oldest unlocked candidate (else the newest locked one);
     * the other unlocked candidates are merged into it */
    char target[VG_INC_ID_MAX] = "";
    int64_t best = INT64_MAX;
    bool target_locked = false;
    bool locked[MAX_CAND] = {0}, usable[MAX_CAND] = {0};
    int64_t size_k[MAX_CAND] = {0}, target_size = 0;
    for (size_t k = 0; k < nc; k++) {
        struct vg_incident inc;
        int g = s->ops->inc_get(s, w->tenant, cand[k], &inc, r->err);
        if (g == VG_ENOENT) continue;
        if (g) return g;
        usable[k] = strcmp(inc.status, "closed") && strcmp(inc.status, "merged") && inc.nalerts < MAX_INC_ALERTS;
        locked[k] = inc.locked;
        size_k[k] = inc.nalerts;
        int64_t created = inc.created_ns;
        vg_incident_release(&inc);
        if (!usable[k]) continue;
        if (!locked[k] && (created < best || target_locked || !target[0])) {
            best = created;
            target_locked = false;
            target_size = size_k[k];
            snprintf(target, sizeof target, "%s", cand[k]);
        } else if (locked[k] && !target[0]) {
            target_locked = true;
            snprintf(target, sizeof target, "%s", cand[k]);
        }
    }
    if (!target[0]) {
        vg__rsp_new_id(target, w->id, 16);
        if ((rc = vg__rsp_create(s, w->tenant, target, false, r->now, r->err))) return rc;
        r->c->created++;
    } else if (!target_locked) {
        for (size_t k = 0; k < nc; k++) {
            if (!usable[k] || locked[k] || !strcmp(cand[k], target)) continue;
            if (target_size + size_k[k] > MAX_INC_ALERTS) continue; /* would pass the size cap: both stay */
            target_size += size_k[k];
            if ((rc = vg__rsp_merge_into(s, w->tenant, target, cand[k], r->now, r->err))) return rc;
            r->c->merges++;
            for (size_t i = 0; i < r->nlinks; i++) /* links of the merged incident now lead to the target */
                if (!strcmp(r->links[i].incident, cand[k])) snprintf(r->links[i].incident, sizeof r->links[i].incident, "%s", target);
            for (size_t i = 0; i < r->nt; i++)
                if (!strcmp(r->t[i].id, cand[k])) snprintf(r->t[i].id, sizeof r->t[i].id, "%s", target);
        }
    }
    if ((rc = s->ops->inc_alert_set(s, w->id, target, false, w->facts, r->err))) return rc;
    for (size_t i = 0; i < w->nents; i++)
        if (strong[i] && (rc = link_add(r, w->tenant, w->ents[i], target, w->last))) return rc;
    return touch(r, w->tenant, target);
}

int vg__rsp_round(struct vg_store *s, const struct vg_respond_opts *o, size_t *n, struct vg__rsp_counts *c,
                  struct vg_err *err)
{
    *n = 0;
    struct rows rows = {0};
    struct round r = {.s = s, .o = o, .now = vg_now_ns(), .c = c, .err = err};
    int rc = vg__rsp_tx(s, VG_STORE_TX_BEGIN, err);
    if (rc) return rc;
    char *cur = NULL;
    uint64_t cursor = 0;
    rc = s->ops->kv_get(s, CURSOR_KEY, &cur, err);
    if (rc == 0) {
        if (vg_parse_u64(cur, strlen(cur), &cursor)) cursor = 0;
        vg_free(cur);
    } else if (rc == VG_ENOENT) {
        rc = 0;
    }
    if (!rc && !(rows.v = vg_malloc(o->batch * sizeof *rows.v))) rc = vg_err_set(err, VG_ENOMEM, "out of memory");
    for (r.nslot = 64; r.nslot < 2 * (o->batch * MAX_ENTS + 1);) r.nslot *= 2;
    if (!rc && !(r.lslot = vg_calloc(r.nslot, sizeof *r.lslot))) rc = vg_err_set(err, VG_ENOMEM, "out of memory");
    rows.cap = o->batch;
    if (!rc) {
        rc = s->ops->inc_alerts_after(s, cursor, o->batch, read_row, &rows, err);
        if (rc == 1) rc = 0;
    }
    uint64_t last = cursor;
    for (size_t i = 0; !rc && i < rows.n; i++) {
        struct row *w = &rows.v[i];
        if (w->seq > last) last = w->seq;
        if (w->incident[0]) { /* a repeat counted into a grouped alert: refresh the incident */
            rc = touch(&r, w->tenant, w->incident);
            continue;
        }
        if (w->suppressed || w->level < o->min_level) continue;
        c->alerts++;
        rc = group(&r, w);
    }
    struct vg__rsp_memo *memo = r.nt > 1 && !vg__rsp_memo_off ? vg__rsp_memo_new() : NULL; /* NULL: no memo, same results */
    for (size_t i = 0; !rc && i < r.nt; i++)
        rc = vg__rsp_recompute_memo(s, r.t[i].tenant, r.t[i].id, o, r.now, -1, NULL, memo, err);
    vg__rsp_memo_free(memo);
    if (!rc && last != cursor) {
        char v[32];
        snprintf(v, sizeof v, "%llu", (unsigned long long)last);
        rc = s->ops->kv_put(s, CURSOR_KEY, v, err);
    }
    if (!rc) rc = vg__rsp_tx(s, VG_STORE_TX_COMMIT, err);
    if (rc) vg__rsp_tx(s, VG_STORE_TX_ROLLBACK, NULL);
    else *n = rows.n;
    for (size_t i = 0; i < r.nsup; i++) vg_free(r.sup[i].v);
    vg_free(r.sup);
    vg_free(r.links);
    vg_free(r.lslot);
    vg_free(r.t);
    vg_free(rows.v);
    return rc;
}

/* ---- the processor --------------------------------------------------------- */
struct vg_respond {
    struct vg_store *s;
    struct vg_respond_opts o;
    pthread_t th;
    bool started;
    pthread_mutex_t mu;           /* guards wake/stop and serialises rounds */
    pthread_cond_t cv;
    bool wake, stop;
    int64_t drain_deadline;       /* mono ns: at stop, rounds go on until this */
    pthread_mutex_t run_mu;
    atomic_uint_fast64_t rounds, alerts, suppressed, created, merges, errors;
};

int vg_respond_new(struct vg_respond **out, const char *store_location, const struct vg_respond_opts *o,
                   struct vg_err *err)
{
    *out = NULL;
    struct vg_respond *r = vg_calloc(1, sizeof *r);
    if (!r) return vg_err_set(err, VG_ENOMEM, "out of memory");
    if (o) r->o = *o;
    vg_respond_opts_defaults(&r->o);
    int rc = vg_store_open(&r->s, store_location, err);
    if (rc) {
        vg_free(r);
        return rc;
    }
    if (!r->s->ops->inc_put || !r->s->ops->tx) {
        vg_store_close(r->s);
        vg_free(r);
        return vg_err_set(err, VG_EUNSUP, "this store keeps no incidents");
    }
    pthread_mutex_init(&r->mu, NULL);
    pthread_mutex_init(&r->run_mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    *out = r;
    return 0;
}

/* Rounds until nothing is left, the deadline (mono ns, 0 = none) passes,
 * or (in the thread) a stop is requested past the drain deadline. Between
 * rounds the write lock is free for a moment: the pipeline's writer, which
 * acknowledges events, goes first. */
static int run_rounds(struct vg_respond *r, size_t *processed, int64_t deadline, bool yield, bool *more,
                      struct vg_err *err)
{
    size_t total = 0;
    int rc = 0;
    *more = false;
    pthread_mutex_lock(&r->run_mu);
    for (;;) {
        size_t n = 0;
        struct vg__rsp_counts c = {0};
        int64_t t0 = vg_mono_ns();
        rc = vg__rsp_round(r->s, &r->o, &n, &c, err);
        int64_t took = vg_mono_ns() - t0;
        atomic_fetch_add(&r->rounds, 1);
        if (rc) {
            atomic_fetch_add(&r->errors, 1);
            break;
        }
        atomic_fetch_add(&r->alerts, c.alerts);
        atomic_fetch_add(&r->suppressed, c.suppressed);
        atomic_fetch_add(&r->created, c.created);
        atomic_fetch_add(&r->merges, c.merges);
        total += n;
        *more = n == r->o.batch;
        if (!*more || (deadline && vg_mono_ns() > deadline)) break;
        if (yield) {
            pthread_mutex_lock(&r->mu);
            bool stop = r->stop;
            pthread_mutex_unlock(&r->mu);
            if (stop && vg_mono_ns() > r->drain_deadline) break; /* the rest waits for the next start (cursor) */
            /* a backlog: at most a quarter of a core, so grouping never
             * starves decoding and the writer (it catches up later) */
            int64_t pause = 3 * took;
            if (pause < 2000000) pause = 2000000;
            if (pause > 500000000) pause = 500000000;
            if (stop) pause = 0; /* draining at shutdown: nothing else runs */
            struct timespec ts = {pause / 1000000000, pause % 1000000000};
            if (pause) nanosleep(&ts, NULL);
        }
    }
    pthread_mutex_unlock(&r->run_mu);
    if (processed) *processed = total;
    return rc;
}

int vg_respond_run(struct vg_respond *r, size_t *processed, struct vg_err *err)
{
    bool more;
    return run_rounds(r, processed, 0, false, &more, err);
}

static void *thread_main(void *arg)
{
    struct vg_respond *r = arg;
    pthread_setname_np(pthread_self(), "vg-incidents");
    for (;;) {
        pthread_mutex_lock(&r->mu);
        if (!r->wake && !r->stop) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += 1;
            pthread_cond_timedwait(&r->cv, &r->mu, &ts);
        }
        bool stop = r->stop;
        r->wake = false;
        pthread_mutex_unlock(&r->mu);
        struct vg_err e = VG_ERR_INIT;
        /* at most a second of rounds before looking at stop and wake again */
        bool more = false;
        if (run_rounds(r, NULL, vg_mono_ns() + 1000000000LL, true, &more, &e) != 0) {
            uint64_t n = atomic_load(&r->errors);
            if (n == 1 || n % 100 == 0) vg_warn("incidents", "round failed (%llu so far; retried): %s", (unsigned long long)n, e.msg);
        }
        if (stop && !(more && vg_mono_ns() < r->drain_deadline)) break;
        if (more) { /* a backlog: no waiting before the next rounds */
            pthread_mutex_lock(&r->mu);
            r->wake = true;
            pthread_mutex_unlock(&r->mu);
        }
    }
    return NULL;
}

int vg_respond_start(struct vg_respond *r, struct vg_err *err)
{
    if (r->started) return 0;
    if (pthread_create(&r->th, NULL, thread_main, r) != 0) return vg_err_set(err, VG_EIO, "cannot start the incident thread");
    r->started = true;
    return 0;
}

void vg_respond_notify(void *ctx)
{
    struct vg_respond *r = ctx;
    if (!r) return;
    pthread_mutex_lock(&r->mu);
    r->wake = true;
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

void vg_respond_free(struct vg_respond *r)
{
    if (!r) return;
    if (r->started) {
        pthread_mutex_lock(&r->mu);
        r->stop = true;
        r->drain_deadline = vg_mono_ns() + DRAIN_NS;
        pthread_cond_signal(&r->cv);
        pthread_mutex_unlock(&r->mu);
        pthread_join(r->th, NULL);
    }
    vg_store_close(r->s);
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
    pthread_mutex_destroy(&r->run_mu);
    vg_free(r);
}

void vg_respond_stats(struct vg_respond *r, struct vg_respond_stats *o)
{
    memset(o, 0, sizeof *o);
    o->rounds = atomic_load(&r->rounds);
    o->alerts = atomic_load(&r->alerts);
    o->suppressed = atomic_load(&r->suppressed);
    o->incidents_new = atomic_load(&r->created);
    o->merges = atomic_load(&r->merges);
    o->errors = atomic_load(&r->errors);
}

int vg_respond_metrics(struct vg_respond *r, struct vg_buf *out)
{
    struct vg_respond_stats s;
    vg_respond_stats(r, &s);
    return vg_buf_addf(out,
                       "# TYPE vigil_incident_alerts counter\n"
                       "# HELP vigil_incident_alerts Alerts grouped into incidents.\n"
                       "vigil_incident_alerts_total %llu\n"
                       "# TYPE vigil_incident_suppressed counter\n"
                       "# HELP vigil_incident_suppressed Alerts marked suppressed by an analyst's suppression.\n"
                       "vigil_incident_suppressed_total %llu\n"
                       "# TYPE vigil_incidents_created counter\n"
                       "# HELP vigil_incidents_created Incidents opened.\n"
                       "vigil_incidents_created_total %llu\n"
                       "# TYPE vigil_incident_merges counter\n"
                       "# HELP vigil_incident_merges Incidents merged automatically because an alert linked them.\n"
                       "vigil_incident_merges_total %llu\n"
                       "# TYPE vigil_incident_errors counter\n"
                       "# HELP vigil_incident_errors Processing rounds that failed (and were retried).\n"
                       "vigil_incident_errors_total %llu\n",
                       (unsigned long long)s.alerts, (unsigned long long)s.suppressed,
                       (unsigned long long)s.incidents_new, (unsigned long long)s.merges, (unsigned long long)s.errors);
}
