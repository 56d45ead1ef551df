/* One-off file loads for `vigil ingest`: maps the file, splits it into
 * records (lines, or JSON records via the json splitter) and feeds them to
 * the pipeline through a batcher with blocking submits. */
#include "internal.h"
#include "vigil/evtx.h"
#include "vigil/json.h"
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct loader {
    struct vg__batcher bt;
    const char *host;
    uint64_t seq;
    size_t max_record;
};

static void add(struct loader *l, const char *p, size_t n)
{
    while (n && p[n - 1] == '\r') n--;   /* CRLF files; other trailing bytes are data */
    if (!n) return;
    l->seq++;
    if (n > l->max_record) {
        vg__count_lost(l->bt.c, 1);
        vg_warn("ingest", "%s: record %llu is longer than %zu bytes, skipped", l->bt.c->name,
                (unsigned long long)l->seq, l->max_record);
        return;
    }
    l->bt.seq = l->seq;
    vg__batcher_add(&l->bt, p, n, l->host);
}

static void load_lines(struct loader *l, const char *d, size_t n)
{
    size_t i = 0;
    while (i < n) {
        const char *nl = memchr(d + i, '\n', n - i);
        size_t seg = nl ? (size_t)(nl - (d + i)) : n - i;
        add(l, d + i, seg);
        i += seg + 1;
    }
}

static void load_json(struct loader *l, const char *d, size_t n)
{
    size_t base = 0;
    while (base < n) {
        struct vg_json_iter it;
        vg_json_iter_init(&it, d + base, n - base);
        const char *rec;
        size_t rl;
        int rc;
        struct vg_err e = VG_ERR_INIT;
        while ((rc = vg_json_iter_next(&it, &rec, &rl, &e)) == 1) add(l, rec, rl);
        if (rc == 0) return;
        /* malformed record: count it, resume after the next newline */
        l->seq++;
        vg__count_lost(l->bt.c, 1);
        vg_warn("ingest", "%s: malformed JSON near byte %zu: %s", l->bt.c->name, base + it.pos, e.msg);
        size_t at = base + it.pos;
        const char *nl = at < n ? memchr(d + at, '\n', n - at) : NULL;
        if (!nl) return;
        base = (size_t)(nl - d) + 1;
    }
}

/* ---- EVTX: records arrive decoded from vg_evtx_read_file ---------------- */
struct evtx_ctx {
    struct vg_pipeline *p;
    struct vg_source_counters *c;
    const char *tenant, *host;
    size_t max_events;
    int64_t mtime;    /* the file's; stands in for the receive time so ids are stable */
};

/* Hands the reader's events to the pipeline by moving its arena and event
 * array into a fresh batch (no copies); the reader's batch starts empty. */
static int evtx_hand_on(struct evtx_ctx *x, struct vg_batch *rb)
{
    if (rb->n == 0) return 0;
    struct vg_batch *nb = vg_calloc(1, sizeof *nb);
    struct vg_event *fresh = vg_malloc(x->max_events * sizeof *fresh);
    if (!nb || !fresh) {
        vg_free(nb);
        vg_free(fresh);
        return VG_ENOMEM;
    }
    nb->arena = rb->arena;
    nb->ev = rb->ev;
    nb->n = rb->n;
    nb->cap = rb->cap;
    for (size_t i = 0; i < nb->n; i++) nb->ev[i].arena = &nb->arena;
    vg_arena_init(&rb->arena, 64 * 1024);
    rb->ev = fresh;
    rb->n = 0;
    rb->cap = x->max_events;
    size_t n = nb->n;
    int rc = vg_pipeline_submit_decoded(x->p, nb, x->c, true);
    if (rc) {
        atomic_fetch_add(&x->c->dropped, n);
        vg_batch_free(nb);
    }
    return rc;
}

static int evtx_record(void *ctx, struct vg_batch *rb, struct vg_event *ev)
{
    struct evtx_ctx *x = ctx;
    ev->tenant = x->tenant;
    if (!ev->host) ev->host = x->host;
    ev->recv_ts = x->mtime;
    if (ev->flags & VG_EV_TS_FROM_RECV) ev->ts = x->mtime;
    vg_event_finish(ev);   /* the id covers the tenant and host set here */
    atomic_fetch_add(&x->c->received, 1);
    atomic_fetch_add(&x->c->bytes, ev->raw_len);
    if (rb->n >= x->max_events) return evtx_hand_on(x, rb);
    return 0;
}

static int load_evtx(struct vg_pipeline *p, const char *path, struct vg_source_counters *c, const char *tenant,
                     const char *host, size_t max_events, int64_t mtime, struct vg_err *err)
{
    struct evtx_ctx x = {p, c, tenant && *tenant ? tenant : "default", host, max_events ? max_events : 1000, mtime};
    struct vg_batch *rb = vg_batch_new(x.max_events);
    if (!rb) return vg_err_set(err, VG_ENOMEM, "out of memory");
    struct vg_evtx_stats st;
    memset(&st, 0, sizeof st);
    int rc = vg_evtx_read_file(path, 0, rb, evtx_record, &x, &st, err);
    int rc2 = evtx_hand_on(&x, rb);
    vg_batch_free(rb);
    if (st.lost) vg__count_lost(c, st.lost);
    if (st.unreadable)
        vg_warn("ingest", "%s: %llu records neither the native decoder nor libevtx could read were kept raw (%s)", path,
                (unsigned long long)st.unreadable, st.first_error);
    if (rc == 0 && rc2) rc = vg_err_set(err, rc2, "%s: %s", path, vg_strerror(rc2));
    return rc;
}

int vg_ingest_load_file(struct vg_pipeline *p, const char *path, const struct vg_load_opts *opts,
                        struct vg_source_counters **counters_out, struct vg_err *err)
{
    struct vg_load_opts o = {0};
    if (opts) o = *opts;
    char host[256];
    if (!o.host) {
        if (gethostname(host, sizeof host - 1) != 0 || !host[0]) snprintf(host, sizeof host, "localhost");
        host[sizeof host - 1] = 0;
        o.host = host;
    }
    char name[64];
    snprintf(name, sizeof name, "file:%s", path);
    struct vg_source_counters *c = vg_pipeline_counters(p, name);
    if (counters_out) *counters_out = c;
    if (!c) return vg_err_set(err, VG_ENOMEM, "out of memory");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return vg_err_set(err, errno == ENOENT ? VG_ENOENT : VG_EIO, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return vg_err_set(err, VG_EIO, "%s: not a regular file", path);
    }
    char magic[8] = {0};
    if (pread(fd, magic, sizeof magic, 0) == (ssize_t)sizeof magic && memcmp(magic, "ElfFile", 8) == 0) {
        close(fd);
        return load_evtx(p, path, c, o.tenant, o.host, o.batch_events,
                         (int64_t)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec, err);
    }
    struct loader l = {.host = o.host, .max_record = o.max_record ? o.max_record : 1024 * 1024};
    struct vg_source_conf conf = {.pipeline = p, .tenant = o.tenant, .batch_events = o.batch_events};
    vg__batcher_init(&l.bt, &conf, c, "file", true);
    l.bt.fixed_recv_ts = (int64_t)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
    size_t n = (size_t)st.st_size;
    if (n) {
        const char *d = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0);
        if (d == MAP_FAILED) {
            close(fd);
            return vg_err_set(err, VG_EIO, "%s: cannot map: %s", path, strerror(errno));
        }
        madvise((void *)d, n, MADV_SEQUENTIAL);
        atomic_fetch_add(&c->bytes, n);
        size_t i = 0;
        if (n >= 3 && memcmp(d, "\xEF\xBB\xBF", 3) == 0) i = 3;
        while (i < n && (d[i] == ' ' || d[i] == '\t' || d[i] == '\r' || d[i] == '\n')) i++;
        if (i < n && (d[i] == '[' || d[i] == '{')) load_json(&l, d, n);
        else load_lines(&l, d, n);
        munmap((void *)d, n);
    }
    close(fd);
    vg__batcher_flush(&l.bt);
    return 0;
}
