/* The event pipeline (include/vigil/pipeline.h): sources submit raw batches
 * into in_q; `workers` threads decode every event, run the detect hook and
 * pass the batch to out_q; one writer thread owns the store handle, groups
 * whatever batches are waiting into transactions (one commit per source in
 * the group, so per-source stored/duplicate counters are exact), retries
 * failed commits with backoff, then calls each batch's on_commit and frees it.
 * When the store can split its write (ops->prepare), the workers also encode
 * each batch for storage, so the writer only runs the SQLite inserts
 * (ops->put_prepared); a batch whose prepare failed is committed with
 * put_events, which reports the error the same way.
 *
 * Accounting per source: received = stored + duplicates + dropped once the
 * pipeline is idle; decoded + failed = received. */
#include "vigil/pipeline.h"
#include "vigil/queue.h"
#include "vigil/alert.h"
#include <pthread.h>
#include <unistd.h>

#define MAX_SOURCES 1024
#define COMMIT_ATTEMPTS 7        /* 10 ms .. 640 ms backoff: ~1.3 s before giving up on a group */

struct item {
    struct vg_batch *b;
    struct vg_source_counters *src;
    bool decoded;                /* events arrive decoded: skip vg_decode */
    struct vg_store_prepared *prep; /* encoded by a worker (store->ops->prepare), or NULL */
};

struct vg_pipeline {
    struct vg_pipeline_opts o;
    struct vg_store *store;
    struct vg_queue *in_q, *out_q;
    pthread_t *workers;
    size_t nworkers;
    pthread_t writer;
    bool writer_started;
    atomic_bool stopping;
    bool stopped;
    pthread_mutex_t mu;          /* guards srcs[] growth and stop */
    struct vg_source_counters *srcs[MAX_SOURCES];
    size_t nsrcs;
    atomic_uint_fast64_t commits, commit_retries, commit_failures;
    struct alvec { const struct vg_alert **v; size_t n, cap; } alerts; /* writer thread only */
};

static void fill_defaults(struct vg_pipeline_opts *o)
{
    if (!o->queue_batches) o->queue_batches = 64;
    if (!o->workers) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        o->workers = n > 0 ? (size_t)n : 1;
    }
    if (o->workers > 64) o->workers = 64;
    if (!o->commit_max_events) o->commit_max_events = 50000;
    if (o->commit_max_delay_ns <= 0) o->commit_max_delay_ns = 50 * 1000000LL;
}

struct vg_source_counters *vg_pipeline_counters(struct vg_pipeline *p, const char *name)
{
    struct vg_source_counters *c = NULL;
    pthread_mutex_lock(&p->mu);
    for (size_t i = 0; i < p->nsrcs; i++)
        if (strcmp(p->srcs[i]->name, name) == 0) { c = p->srcs[i]; goto out; }
    if (p->nsrcs == MAX_SOURCES) goto out;
    c = vg_calloc(1, sizeof *c);
    if (!c) goto out;
    snprintf(c->name, sizeof c->name, "%s", name);
    p->srcs[p->nsrcs++] = c;
out:
    pthread_mutex_unlock(&p->mu);
    return c;
}

/* Logs decode failures without flooding: the 1st, 10th, 100th ... per source. */
static void note_failure(struct vg_source_counters *src, uint64_t nfailed, const struct vg_err *e)
{
    uint64_t n = nfailed;
    while (n >= 10 && n % 10 == 0) n /= 10;
    if (n == 1) vg_warn("pipeline", "%s: %llu decode failure(s) so far; latest: %s", src->name,
                        (unsigned long long)nfailed, e->msg[0] ? e->msg : vg_strerror(e->code));
}

static bool can_prepare(const struct vg_store *s)
{
    return s->ops->prepare && s->ops->put_prepared && s->ops->prepared_free;
}

static void item_free(struct vg_pipeline *p, struct item *it)
{
    if (it->prep) p->store->ops->prepared_free(it->prep);
    vg_batch_free(it->b);
    vg_free(it);
}

/* Encodes the batch for storage on this worker thread. A failure is not
 * an error here: the writer then uses put_events, which fails (and counts)
 * the batch as before, or succeeds when the cause was transient. */
static void prepare_item(struct vg_pipeline *p, struct item *it, const struct vg_event ***vec, size_t *cap)
{
    if (!can_prepare(p->store) || it->b->n == 0) return;
    if (it->b->n > *cap) {
        const struct vg_event **nv = vg_realloc(*vec, it->b->n * sizeof *nv);
        if (!nv) return;
        *vec = nv;
        *cap = it->b->n;
    }
    for (size_t i = 0; i < it->b->n; i++) (*vec)[i] = &it->b->ev[i];
    struct vg_err e = VG_ERR_INIT;
    if (p->store->ops->prepare(p->store, *vec, it->b->n, &it->prep, &e) != 0) it->prep = NULL;
}

static void *worker_main(void *arg)
{
    struct vg_pipeline *p = arg;
    pthread_setname_np(pthread_self(), "vg-decode"); /* for top/perf/bench_e2e; best effort */
    const struct vg_event **vec = NULL;
    size_t vcap = 0;
    void *v;
    while (vg_queue_pop(p->in_q, &v, -1) == 0) {
        struct item *it = v;
        uint64_t ok = 0;
        for (size_t i = 0; i < it->b->n; i++) {
            struct vg_err e = VG_ERR_INIT;
            if (it->decoded) {
                if (!(it->b->ev[i].flags & VG_EV_DECODE_FAILED)) ok++;
                else atomic_fetch_add(&it->src->failed, 1);
            } else if (vg_decode(&it->b->ev[i], &p->o.decode, &e) == 0) {
                ok++;
            } else {
                uint64_t total = atomic_fetch_add(&it->src->failed, 1) + 1;
                note_failure(it->src, total, &e);
            }
        }
        atomic_fetch_add(&it->src->decoded, ok);
        if (p->o.detect) p->o.detect(p->o.detect_ctx, it->b);
        prepare_item(p, it, &vec, &vcap);
        /* out_q is closed only after every worker has exited: this cannot fail */
        if (vg_queue_push(p->out_q, it, -1) != 0) {
            vg_error("pipeline", "internal: writer queue closed early; batch lost");
            atomic_fetch_add(&it->src->dropped, it->b->n);
            if (it->b->on_commit) it->b->on_commit(it->b->ack, VG_ECLOSED);
            item_free(p, it);
        }
    }
    vg_free(vec);
    return NULL;
}

/* put_events (or put_prepared when pp is set) with retries and backoff;
 * 0 or the last error. */
static int put_retry(struct vg_pipeline *p, const struct vg_event *const *ev, size_t n,
                     struct vg_store_prepared *const *pp, size_t np, size_t *stored, size_t *dups, int attempts)
{
    int rc = 0;
    int64_t backoff_ms = 10;
    for (int a = 0; a < attempts; a++) {
        struct vg_err e = VG_ERR_INIT;
        *stored = *dups = 0;
        rc = pp ? p->store->ops->put_prepared(p->store, pp, np, stored, dups, &e)
                : p->store->ops->put_events(p->store, ev, n, stored, dups, &e);
        if (rc == 0) return 0;
        vg_warn("pipeline", "commit of %zu events failed (attempt %d of %d): %s", n, a + 1, attempts,
                e.msg[0] ? e.msg : vg_strerror(rc));
        atomic_fetch_add(&p->commit_retries, 1);
        if (rc == VG_EINVAL || rc == VG_EUNSUP) break;   /* not transient */
        if (a + 1 < attempts) {
            usleep((useconds_t)(backoff_ms * 1000));
            if (backoff_ms < 640) backoff_ms *= 2;
        }
    }
    return rc;
}

static void finish_item(struct vg_pipeline *p, struct item *it, int status)
{
    if (status != 0) {
        atomic_fetch_add(&p->commit_failures, 1);
        atomic_fetch_add(&it->src->dropped, it->b->n);
        vg_error("pipeline", "%s: %zu events could not be committed: %s", it->src->name, it->b->n,
                 vg_strerror(status));
    }
    if (it->b->on_commit) it->b->on_commit(it->b->ack, status);
    item_free(p, it);
}

struct evvec {
    const struct vg_event **v;
    size_t n, cap;
    struct vg_store_prepared **pp;   /* prepared batches of the group being committed */
    size_t np, pcap;
};

static int evvec_add_batch(struct evvec *x, const struct vg_batch *b)
{
    if (x->n + b->n > x->cap) {
        size_t nc = x->cap ? x->cap : 1024;
        while (nc < x->n + b->n) nc *= 2;
        const struct vg_event **nv = vg_realloc(x->v, nc * sizeof *nv);
        if (!nv) return VG_ENOMEM;
        x->v = nv;
        x->cap = nc;
    }
    for (size_t i = 0; i < b->n; i++) x->v[x->n++] = &b->ev[i];
    return 0;
}

/* ---- alerts: staged on the store so they commit with their events -------- */
/* Collects the alerts of items[0..n) and stages them for the next write
 * (ops->alerts_stage); returns 0 when there are none or the store has no
 * alert support, VG_ENOMEM otherwise failing the group like a store error. */
static int alerts_stage(struct vg_pipeline *p, struct item **items, size_t n)
{
    struct alvec *a = &p->alerts;
    a->n = 0;
    if (!p->store->ops->alerts_stage) return 0;
    for (size_t i = 0; i < n; i++) {
        for (struct vg_alert *x = items[i]->b->alerts; x; x = x->next) {
            if (a->n == a->cap) {
                size_t nc = a->cap ? a->cap * 2 : 256;
                const struct vg_alert **nv = vg_realloc(a->v, nc * sizeof *nv);
                if (!nv) return VG_ENOMEM;
                a->v = nv;
                a->cap = nc;
            }
            a->v[a->n++] = x;
        }
    }
    return a->n ? p->store->ops->alerts_stage(p->store, a->v, a->n, NULL) : 0;
}

static void alerts_unstage(struct vg_pipeline *p)
{
    if (p->alerts.n && p->store->ops->alerts_stage) p->store->ops->alerts_stage(p->store, NULL, 0, NULL);
    p->alerts.n = 0;
}

/* Commits items[0..n) (all of one source) in one transaction, or returns the error. */
static int commit_items(struct vg_pipeline *p, struct item **items, size_t n, struct evvec *x, int attempts)
{
    x->n = x->np = 0;
    int rc = 0;
    bool prepared = true;
    size_t nev = 0;
    for (size_t i = 0; i < n; i++) {
        prepared = prepared && (items[i]->prep || items[i]->b->n == 0);
        nev += items[i]->b->n;
    }
    if (prepared && n > x->pcap) {
        struct vg_store_prepared **np = vg_realloc(x->pp, n * sizeof *np);
        if (np) { x->pp = np; x->pcap = n; }
        else prepared = false;
    }
    size_t stored = 0, dups = 0;
    rc = alerts_stage(p, items, n);   /* alerts commit in the same transaction */
    if (rc == 0 && prepared) {
        for (size_t i = 0; i < n; i++)
            if (items[i]->prep) x->pp[x->np++] = items[i]->prep;
        if (nev) rc = put_retry(p, NULL, nev, x->pp, x->np, &stored, &dups, attempts);
    } else if (rc == 0) {
        for (size_t i = 0; rc == 0 && i < n; i++) rc = evvec_add_batch(x, items[i]->b);
        if (rc == 0 && x->n) rc = put_retry(p, x->v, x->n, NULL, 0, &stored, &dups, attempts);
    }
    bool had_alerts = p->alerts.n > 0;
    alerts_unstage(p);
    if (rc == 0 && had_alerts && p->o.after_commit) p->o.after_commit(p->o.after_commit_ctx); /* incidents */
    if (rc == 0) {
        atomic_fetch_add(&p->commits, 1);
        atomic_fetch_add(&items[0]->src->stored, stored);
        atomic_fetch_add(&items[0]->src->duplicates, dups);
    }
    return rc;
}

static void commit_source_group(struct vg_pipeline *p, struct item **items, size_t n, struct evvec *x)
{
    int rc = commit_items(p, items, n, x, COMMIT_ATTEMPTS);
    if (rc == 0 || n == 1) {
        for (size_t i = 0; i < n; i++) finish_item(p, items[i], rc);
        return;
    }
    /* The group failed for good: commit each batch alone so that one
     * poisoned batch does not fail its neighbours. */
    for (size_t i = 0; i < n; i++) finish_item(p, items[i], commit_items(p, &items[i], 1, x, 2));
}

static void commit_group(struct vg_pipeline *p, struct item **g, size_t n, struct evvec *x)
{
    /* stable partition by source: commit each source's run separately */
    size_t done = 0;
    while (done < n) {
        struct vg_source_counters *src = g[done]->src;
        size_t k = done + 1;
        for (size_t j = done + 1; j < n; j++) {
            if (g[j]->src == src) {
                struct item *t = g[j];
                memmove(&g[k + 1], &g[k], (j - k) * sizeof *g);
                g[k++] = t;
            }
        }
        commit_source_group(p, g + done, k - done, x);
        done = k;
    }
}

static void *writer_main(void *arg)
{
    struct vg_pipeline *p = arg;
    pthread_setname_np(pthread_self(), "vg-writer");
    struct evvec x = {0};
    enum { GCAP = 1024 };
    struct item *g[GCAP];
    void *v;
    for (;;) {
        int rc = vg_queue_pop(p->out_q, &v, -1);
        if (rc == VG_ECLOSED) break;
        if (rc != 0) continue;
        size_t gn = 0;
        g[gn++] = v;
        size_t nev = ((struct item *)v)->b->n;
        int64_t deadline = vg_mono_ns() + p->o.commit_max_delay_ns;
        /* group commit: take what is already waiting, up to the caps */
        while (nev < p->o.commit_max_events && gn < GCAP && vg_mono_ns() < deadline) {
            if (vg_queue_pop(p->out_q, &v, 0) != 0) break;
            g[gn++] = v;
            nev += ((struct item *)v)->b->n;
        }
        commit_group(p, g, gn, &x);
    }
    vg_free(x.v);
    vg_free(x.pp);
    return NULL;
}

int vg_pipeline_new(struct vg_pipeline **out, struct vg_store *store, const struct vg_pipeline_opts *opts,
                    struct vg_err *err)
{
    *out = NULL;
    if (!store) return vg_err_set(err, VG_EINVAL, "pipeline needs a store");
    struct vg_pipeline *p = vg_calloc(1, sizeof *p);
    if (!p) return vg_err_set(err, VG_ENOMEM, "out of memory");
    int rc = VG_ENOMEM;
    if (opts) p->o = *opts;
    fill_defaults(&p->o);
    p->store = store;
    pthread_mutex_init(&p->mu, NULL);
    p->in_q = vg_queue_new(p->o.queue_batches);
    p->out_q = vg_queue_new(p->o.queue_batches);
    p->workers = vg_calloc(p->o.workers, sizeof *p->workers);
    if (!p->in_q || !p->out_q || !p->workers) { vg_err_set(err, rc, "out of memory"); goto out; }
    if (pthread_create(&p->writer, NULL, writer_main, p) != 0) {
        rc = vg_err_set(err, VG_ESTATE, "cannot start the writer thread");
        goto out;
    }
    p->writer_started = true;
    for (size_t i = 0; i < p->o.workers; i++) {
        if (pthread_create(&p->workers[i], NULL, worker_main, p) != 0) {
            rc = vg_err_set(err, VG_ESTATE, "cannot start decode worker %zu", i);
            goto out;
        }
        p->nworkers++;
    }
    *out = p;
    return 0;
out:
    vg_pipeline_free(p, &store);   /* the store stays the caller's on failure */
    return rc;
}

static int submit(struct vg_pipeline *p, struct vg_batch *b, struct vg_source_counters *src, bool block, bool decoded)
{
    if (atomic_load(&p->stopping)) return VG_ECLOSED;
    if (!src || !b) return VG_EINVAL;
    struct item *it = vg_malloc(sizeof *it);
    if (!it) return VG_ENOMEM;
    it->b = b;
    it->src = src;
    it->decoded = decoded;
    it->prep = NULL;
    int rc = vg_queue_push(p->in_q, it, block ? -1 : 0);
    if (rc != 0) vg_free(it);
    return rc;
}

int vg_pipeline_submit(struct vg_pipeline *p, struct vg_batch *b, struct vg_source_counters *src, bool block)
{
    return submit(p, b, src, block, false);
}

int vg_pipeline_submit_decoded(struct vg_pipeline *p, struct vg_batch *b, struct vg_source_counters *src, bool block)
{
    return submit(p, b, src, block, true);
}

static int add_label(struct vg_buf *out, const char *s)
{
    int rc = 0;
    for (; rc == 0 && *s; s++) {
        if (*s == '"' || *s == '\\') rc = vg_buf_addc(out, '\\');
        if (rc == 0) rc = *s == '\n' ? vg_buf_adds(out, "\\n") : vg_buf_addc(out, *s);
    }
    return rc;
}

static int add_family(struct vg_buf *out, struct vg_pipeline *p, const char *fam, const char *help, size_t off)
{
    int rc = vg_buf_addf(out, "# TYPE %s counter\n# HELP %s %s\n", fam, fam, help);
    for (size_t i = 0; rc == 0 && i < p->nsrcs; i++) {
        const struct vg_source_counters *c = p->srcs[i];
        rc = vg_buf_addf(out, "%s_total{source=\"", fam);
        if (rc == 0) rc = add_label(out, c->name);
        const atomic_uint_fast64_t *val = (const atomic_uint_fast64_t *)((const char *)c + off);
        if (rc == 0) rc = vg_buf_addf(out, "\"} %llu\n", (unsigned long long)atomic_load(val));
    }
    return rc;
}

int vg_pipeline_metrics(struct vg_pipeline *p, struct vg_buf *out)
{
    static const struct { const char *fam, *help; size_t off; } fams[] = {
        {"vigil_events_received", "Records framed by a source (including later drops).", offsetof(struct vg_source_counters, received)},
        {"vigil_events_decoded", "Records a decoder understood.", offsetof(struct vg_source_counters, decoded)},
        {"vigil_events_failed", "Records no decoder understood, and framing errors.", offsetof(struct vg_source_counters, failed)},
        {"vigil_events_dropped", "Records lost before the store (queue full, oversized, commit failed).", offsetof(struct vg_source_counters, dropped)},
        {"vigil_events_stored", "Records newly committed to the store.", offsetof(struct vg_source_counters, stored)},
        {"vigil_events_duplicates", "Records whose id was already stored.", offsetof(struct vg_source_counters, duplicates)},
        {"vigil_ingest_bytes", "Raw bytes received.", offsetof(struct vg_source_counters, bytes)},
    };
    int rc = 0;
    pthread_mutex_lock(&p->mu);
    for (size_t i = 0; rc == 0 && i < VG_ARRAY_LEN(fams); i++) rc = add_family(out, p, fams[i].fam, fams[i].help, fams[i].off);
    pthread_mutex_unlock(&p->mu);
    if (rc == 0)
        rc = vg_buf_addf(out,
                         "# TYPE vigil_pipeline_queue_batches gauge\n"
                         "# HELP vigil_pipeline_queue_batches Batches waiting per pipeline stage.\n"
                         "vigil_pipeline_queue_batches{stage=\"decode\"} %zu\n"
                         "vigil_pipeline_queue_batches{stage=\"store\"} %zu\n"
                         "# TYPE vigil_store_commits counter\n"
                         "# HELP vigil_store_commits Store transactions committed.\n"
                         "vigil_store_commits_total %llu\n"
                         "# TYPE vigil_store_commit_retries counter\n"
                         "# HELP vigil_store_commit_retries Failed commit attempts that were retried.\n"
                         "vigil_store_commit_retries_total %llu\n"
                         "# TYPE vigil_store_commit_failures counter\n"
                         "# HELP vigil_store_commit_failures Batches that could not be committed.\n"
                         "vigil_store_commit_failures_total %llu\n",
                         vg_queue_len(p->in_q), vg_queue_len(p->out_q),
                         (unsigned long long)atomic_load(&p->commits),
                         (unsigned long long)atomic_load(&p->commit_retries),
                         (unsigned long long)atomic_load(&p->commit_failures));
    if (rc == 0) rc = vg_buf_adds(out, "# EOF\n");
    return rc;
}

int vg_pipeline_stop(struct vg_pipeline *p)
{
    if (!p) return 0;
    pthread_mutex_lock(&p->mu);
    bool was = p->stopped;
    p->stopped = true;
    pthread_mutex_unlock(&p->mu);
    if (was) return 0;
    atomic_store(&p->stopping, true);
    if (p->in_q) vg_queue_close(p->in_q);         /* workers drain in_q, then exit */
    for (size_t i = 0; i < p->nworkers; i++) pthread_join(p->workers[i], NULL);
    if (p->out_q) vg_queue_close(p->out_q);       /* writer drains out_q, commits, exits */
    if (p->writer_started) pthread_join(p->writer, NULL);
    return 0;
}

void vg_pipeline_free(struct vg_pipeline *p, struct vg_store **store_out)
{
    if (!p) return;
    vg_pipeline_stop(p);
    if (store_out) *store_out = p->store;
    else vg_store_close(p->store);
    vg_queue_free(p->in_q);
    vg_queue_free(p->out_q);
    vg_free(p->workers);
    for (size_t i = 0; i < p->nsrcs; i++) vg_free(p->srcs[i]);
    vg_free(p->alerts.v);
    pthread_mutex_destroy(&p->mu);
    vg_free(p);
}
