/* vigil scan: offline detection over log files, for an analyst holding a
 * folder of logs from a compromised host. Walks files and directories
 * (recursively, sorted), detects each file's format (EVTX by magic, JSON
 * lines / arrays / evtx_dump JSON by the first byte, else text lines for
 * the syslog-family decoders; --format forces one), decodes every record
 * with the same decoders as the server, matches it against Vigil's rule
 * pack and any --rules (the detect engine, include/vigil/detect.h) and
 * writes each alert as a JSON line naming its file and record or line.
 * Ends with a summary table on stderr; shows a progress bar when stderr is
 * a terminal. With -j N (default: the number of cores) worker threads
 * decode and match chunks of records (or whole EVTX files) while the main
 * thread frames records and writes the chunks' alerts in input order, so
 * the output is the same as with -j 1 (the single-threaded path). */
#include "cli.h"
#include "vigil/decode.h"
#include "vigil/detect.h"
#include "vigil/evtx.h"
#include "vigil/json.h"
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Events decoded ahead of matching. Small, so a decoded event is still in
 * the CPU cache when it is matched (1,024 measured 15-20 % slower). */
#define BATCH 64
#define MAX_RECORD (16u << 20)
#define MAX_PATHS 4096
#define MAX_DEPTH 32
#define JOB_RECORDS 1024       /* records per chunk handed to a worker */
#define JOB_BYTES (1u << 20)   /* ... or this many bytes of them */
#define MAX_JOBS 64            /* -j limit */

static const char usage_text[] =
    "usage: vigil scan [--rules PATH]... [--filters PATH]... [--mappings PATH] [--config FILE]\n"
    "                  [--no-default-rules] [--min-level LEVEL] [--fail-level LEVEL] [--format NAME]\n"
    "                  [--year YYYY] [--output FILE] [--json] [--quiet | --progress] [-j N] FILE|DIR...\n"
    "\n"
    "  Reads log files (directories recursively) and reports what the rules detect.\n"
    "  Formats are detected per file: EVTX, JSON lines / JSON arrays / evtx_dump JSON,\n"
    "  or text lines (syslog, auditd, access logs ...). Compressed files and archives (gzip, bzip2,\n"
    "  xz, zstd; zip, tar, 7z) are read member by member; alerts name ARCHIVE:MEMBER.\n"
    "  --rules PATH        more Sigma rules (file or directory, e.g. a SigmaHQ checkout); repeatable\n"
    "  --filters PATH      Sigma filter documents (tuning: AND-ed onto the rules they name); repeatable\n"
    "  --no-default-rules  leave out Vigil's own rules ($VIGIL_RULES or the built-in rules/);\n"
    "                      its log source mappings stay unless --mappings names others\n"
    "  --mappings PATH     log source mappings (default: the pack's mappings/)\n"
    "  --config FILE       Sigma placeholders for |expand (YAML: placeholders: {name: [values]})\n"
    "  --min-level LEVEL   informational|low|medium|high|critical: report only alerts at or above\n"
    "  --fail-level LEVEL  exit 1 when an alert at or above LEVEL was found\n"
    "  --format NAME       evtx, json, or a decoder name for text lines (vigil list decoders)\n"
    "  --year YYYY         year of syslog timestamps that have none (default: the file's mtime)\n"
    "  --output FILE       write alert JSON lines to FILE (stdout then shows nothing)\n"
    "  --json              alert JSON lines on stdout (default: one readable line per alert)\n"
    "  --quiet             no progress bar\n"
    "  --progress          show the progress bar even when stderr is not a terminal\n"
    "  -j N                decode and match on N threads (default: the number of cores; 1: one thread);\n"
    "                      alerts come out in input order either way\n"
    "Alert JSON: docs/internals/alerts.md; each has origin {file, line|record}.\n"
    "The summary (alerts by level, top rules, events read, events/s, events per CPU second) goes to stderr.\n"
    "exit status: 0, 1 with --fail-level when such an alert was found, 2 usage or nothing readable";

struct rulecount {
    char *id, *title, *author;
    int level;
    uint64_t n;
};

struct scan {
    struct vg_detect *det;
    struct vg_decode_opts dopts;
    const char *format;          /* --format */
    bool json_out, quiet, tty;
    FILE *out;                   /* alert sink */
    struct vg_batch *b;
    const char *cur_file;
    bool cur_is_line;
    /* figures */
    uint64_t files, unreadable, events, failed, alerts, bytes_total, bytes_done, file_base;
    uint64_t by_level[VG_ALERT_NLEVELS];
    int64_t t0, last_draw;
    struct rulecount *rc;        /* open-addressing table keyed by rule id */
    size_t nrc, caprc;
    int fail_level;
    bool failed_level;
    int io_rc;                   /* first output error */
    struct vg_buf obuf;          /* rendered alerts: written to out (main) or kept for the chunk (worker) */
    bool worker;                 /* a worker's scan: obuf is not written */
    struct par *par;             /* -j > 1 on the main thread: records go into chunks */
    /* archives and compressed files (scan_archive) */
    char **names;                /* "archive:member" names alerts refer to, freed at the end */
    size_t nnames, capnames;
    char tmpdir[256];            /* EVTX members are extracted here; "" until needed */
    uint64_t ntmp;
};

/* ---- per-rule counts -------------------------------------------------- */
static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static int rc_grow(struct scan *s)
{
    size_t nc = s->caprc ? s->caprc * 2 : 256;
    struct rulecount *nt = vg_calloc(nc, sizeof *nt);
    if (!nt) return VG_ENOMEM;
    for (size_t i = 0; i < s->caprc; i++) {
        if (!s->rc[i].id) continue;
        size_t j = hash_str(s->rc[i].id) & (nc - 1);
        while (nt[j].id) j = (j + 1) & (nc - 1);
        nt[j] = s->rc[i];
    }
    vg_free(s->rc);
    s->rc = nt;
    s->caprc = nc;
    return 0;
}

/* Adds n to the count of a rule (title and author are copied). */
static void count_rule_n(struct scan *s, const char *id, const char *title, const char *author, int level, uint64_t n)
{
    if ((s->nrc + 1) * 2 > s->caprc && rc_grow(s) != 0) return;
    size_t j = hash_str(id) & (s->caprc - 1);
    while (s->rc[j].id && strcmp(s->rc[j].id, id) != 0) j = (j + 1) & (s->caprc - 1);
    if (!s->rc[j].id) {
        s->rc[j].id = vg_strdup(id);
        s->rc[j].title = vg_strdup(title ? title : id);
        s->rc[j].author = author ? vg_strdup(author) : NULL;
        s->rc[j].level = level;
        if (!s->rc[j].id || !s->rc[j].title) {
            vg_free(s->rc[j].id);
            vg_free(s->rc[j].title);
            vg_free(s->rc[j].author);
            memset(&s->rc[j], 0, sizeof s->rc[j]);
            return;
        }
        s->nrc++;
    }
    s->rc[j].n += n;
}

static void count_rule(struct scan *s, const struct vg_alert *a)
{
    count_rule_n(s, a->rule_id, a->title, a->author, a->level, 1);
}

/* ---- progress and output ------------------------------------------------ */
static void draw(struct scan *s, bool force)
{
    if (!s->tty || s->quiet) return;
    int64_t now = vg_mono_ns();
    if (!force && now - s->last_draw < 100000000) return;
    s->last_draw = now;
    double el = (double)(now - s->t0) / 1e9;
    double frac = s->bytes_total ? (double)s->bytes_done / (double)s->bytes_total : 1.0;
    if (frac > 1) frac = 1;
    char bar[31];
    int fill = (int)(frac * 30);
    for (int i = 0; i < 30; i++) bar[i] = i < fill ? '#' : '.';
    bar[30] = 0;
    fprintf(stderr, "\r[%s] %3.0f%% %.1f/%.1f MiB  %.0f events/s  %llu alerts ", bar, frac * 100,
            (double)s->bytes_done / 1048576.0, (double)s->bytes_total / 1048576.0,
            el > 0 ? (double)s->events / el : 0.0, (unsigned long long)s->alerts);
    fflush(stderr);
}

static void esc_add(struct vg_buf *o, const char *p)
{
    for (; p && *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20 || c == 0x7f) vg_buf_addf(o, "\\x%02x", c);
        else vg_buf_addc(o, (char)c);
    }
}

static void print_escaped(FILE *f, const char *p)
{
    struct vg_buf b = VG_BUF_INIT;
    esc_add(&b, p);
    if (b.len) fwrite(b.data, 1, b.len, f);
    vg_buf_release(&b);
}

/* Writes rendered alerts to the sink (main thread only). */
static void out_write(struct scan *s, const char *p, size_t n)
{
    if (!n) return;
    if (s->tty && !s->quiet && s->out == stdout) fputs("\r\033[K", stderr); /* keep the bar off alert lines */
    fwrite(p, 1, n, s->out);
    if (ferror(s->out) && !s->io_rc) s->io_rc = VG_EIO;
}

static void emit(struct scan *s, const struct vg_alert *a)
{
    s->alerts++;
    s->by_level[a->level]++;
    if (a->level >= s->fail_level) s->failed_level = true;
    count_rule(s, a);
    struct vg_buf *o = &s->obuf;
    int rc = 0;
    if (s->json_out) {
        rc |= vg_buf_add(o, a->json, a->json_len);
        rc |= vg_buf_addc(o, '\n');
    } else {
        char t[48];
        vg_time_format(a->ts, t, sizeof t, 0);
        rc |= vg_buf_addf(o, "%s  %-13s  ", t, vg_alert_level_name(a->level));
        esc_add(o, a->title);
        if (a->host_name) { rc |= vg_buf_adds(o, "  host="); esc_add(o, a->host_name); }
        if (a->user_name) { rc |= vg_buf_adds(o, "  user="); esc_add(o, a->user_name); }
        if (a->source_ip) { rc |= vg_buf_adds(o, "  src="); esc_add(o, a->source_ip); }
        rc |= vg_buf_adds(o, "  ");
        esc_add(o, a->origin.file ? a->origin.file : "-");
        if (a->origin.record) rc |= vg_buf_addf(o, ":%s%llu", a->origin.is_line ? "" : "#", (unsigned long long)a->origin.record);
        rc |= vg_buf_addc(o, '\n');
    }
    /* a chunk's alerts are kept until its turn (capped buffer): a chunk with
     * more than the cap of alert text fails the run rather than lose any */
    if (rc && !s->io_rc) s->io_rc = VG_ETOOBIG;
    if (!s->worker) {
        out_write(s, o->data, o->len);
        vg_buf_reset(o);
    }
}

/* Matches the pending batch, writes its alerts and empties it. */
static void flush_batch(struct scan *s)
{
    struct vg_batch *b = s->b;
    if (b->n) {
        vg_detect_run(s->det, b, s->cur_file, s->cur_is_line);
        for (struct vg_alert *a = b->alerts; a; a = a->next) emit(s, a);
    }
    b->n = 0;
    b->alerts = NULL;
    b->nalerts = 0;
    vg_arena_reset(&b->arena);
    draw(s, false);
}

static void par_add(struct scan *s, const char *p, size_t n, uint64_t seq, int64_t recv);

static void add_record(struct scan *s, const char *p, size_t n, uint64_t seq, int64_t recv)
{
    if (s->par) { par_add(s, p, n, seq, recv); return; }
    if (s->b->n >= BATCH) flush_batch(s);
    struct vg_event *ev = vg_batch_push(s->b);
    if (!ev) { s->failed++; return; }
    ev->tenant = "default";
    ev->collector = "scan";
    ev->recv_ts = recv;
    ev->seq = seq;
    s->events++;
    struct vg_err e = VG_ERR_INIT;
    if (vg_event_set_raw(ev, p, n) != 0) { s->b->n--; s->failed++; return; }
    if (vg_decode(ev, &s->dopts, &e) != 0) s->failed++;
}

/* ---- formats ------------------------------------------------------------- */
static void scan_lines(struct scan *s, const char *d, size_t n, int64_t recv)
{
    s->cur_is_line = true;
    uint64_t line = 0;
    size_t i = 0;
    while (i < n) {
        const char *nl = memchr(d + i, '\n', n - i);
        size_t seg = nl ? (size_t)(nl - (d + i)) : n - i;
        line++;
        size_t k = seg;
        while (k && d[i + k - 1] == '\r') k--;
        if (k > MAX_RECORD) { s->failed++; s->events++; }
        else if (k) add_record(s, d + i, k, line, recv);
        i += seg + 1;
        s->bytes_done = s->file_base + i;
    }
}

static void scan_json(struct scan *s, const char *d, size_t n, int64_t recv)
{
    s->cur_is_line = false;
    size_t base = 0;
    uint64_t rec = 0;
    while (base < n) {
        struct vg_json_iter it;
        vg_json_iter_init(&it, d + base, n - base);
        const char *r;
        size_t rl;
        int rc;
        struct vg_err e = VG_ERR_INIT;
        while ((rc = vg_json_iter_next(&it, &r, &rl, &e)) == 1) {
            rec++;
            if (rl > MAX_RECORD) { s->failed++; s->events++; continue; }
            add_record(s, r, rl, rec, recv);
            s->bytes_done = s->file_base + base + it.pos;
        }
        if (rc == 0) return;
        /* malformed record: count it, go on after the next newline */
        rec++;
        s->events++;
        s->failed++;
        size_t at = base + it.pos;
        if (!s->quiet) {
            if (s->tty) fputs("\r\033[K", stderr);
            fprintf(stderr, "vigil scan: %s: malformed JSON near byte %zu: %s\n", s->cur_file, at, e.msg);
        }
        const char *nl = at < n ? memchr(d + at, '\n', n - at) : NULL;
        if (!nl) return;
        base = (size_t)(nl - d) + 1;
    }
}

struct evtx_cb { struct scan *s; int64_t mtime; };

static int evtx_record(void *ctx, struct vg_batch *b, struct vg_event *ev)
{
    struct evtx_cb *x = ctx;
    struct scan *s = x->s;
    ev->tenant = "default";
    ev->collector = "scan";
    ev->recv_ts = x->mtime;
    if (ev->flags & VG_EV_TS_FROM_RECV) ev->ts = x->mtime;
    ev->flags |= VG_EV_ID_DEFERRED; /* computed for the events that alert (vg_event_id) */
    s->events++;
    if (ev->flags & VG_EV_DECODE_FAILED) s->failed++;
    if (b->n >= BATCH) flush_batch(s);
    return s->io_rc;
}

static void scan_evtx(struct scan *s, const char *path, int64_t mtime)
{
    struct evtx_cb x = {s, mtime};
    struct vg_evtx_stats es;
    memset(&es, 0, sizeof es);
    struct vg_err e = VG_ERR_INIT;
    int rc = vg_evtx_read_file(path, 0, s->b, evtx_record, &x, &es, &e);
    flush_batch(s);
    s->failed += es.lost;
    s->events += es.lost;
    if (rc && rc != s->io_rc) {
        if (s->tty) fputs("\r\033[K", stderr);
        fprintf(stderr, "vigil scan: %s: %s\n", path, e.msg[0] ? e.msg : vg_strerror(rc));
        if (rc == VG_EIO || rc == VG_EFORMAT) s->unreadable++;
    }
}

/* ---- -j N: chunks decoded and matched on worker threads ------------------ */
struct fmap { const char *d; size_t n; int refs; bool heap; };  /* a mapped file (or a decompressed buffer: heap),
                                                                  released when its last chunk is written */

struct rec { const char *p; size_t n; uint64_t seq; };

struct job {
    bool evtx;                   /* a whole EVTX file, else records of a mapped file */
    const char *file;
    const char *rpath;           /* EVTX: the file to read when it is not `file` (an archive member's copy) */
    bool is_line;
    int64_t recv;
    struct fmap *map;
    struct rec *recs;
    size_t nrec, caprec, bytes;
    /* results (the worker's counts for this chunk) */
    struct vg_buf out;
    uint64_t events, failed, alerts, unreadable, by_level[VG_ALERT_NLEVELS];
    int rc;
    bool done;
};

struct worker { struct par *p; struct scan s; pthread_t th; bool started; };

struct par {
    pthread_mutex_t mu;
    pthread_cond_t work, done;
    struct job *jobs;            /* ring of q chunks: submitted - written <= q */
    uint32_t q;
    uint64_t submitted, taken, written;
    bool stop;
    struct job *cur;             /* being filled, not yet submitted */
    struct fmap *map;            /* the file being framed */
    struct worker *w;
    int nw;
};

static void fmap_unref(struct fmap *m)
{
    if (m && --m->refs == 0) {
        if (m->heap) vg_free((void *)m->d);
        else munmap((void *)m->d, m->n);
        vg_free(m);
    }
}

static void work_job(struct scan *w, struct job *j)
{
    uint64_t e0 = w->events, f0 = w->failed, a0 = w->alerts, u0 = w->unreadable, l0[VG_ALERT_NLEVELS];
    memcpy(l0, w->by_level, sizeof l0);
    w->cur_file = j->file;
    w->cur_is_line = j->is_line;
    if (j->evtx) {
        scan_evtx(w, j->rpath ? j->rpath : j->file, j->recv);
    } else {
        for (size_t i = 0; i < j->nrec; i++) add_record(w, j->recs[i].p, j->recs[i].n, j->recs[i].seq, j->recv);
        flush_batch(w);
    }
    j->events = w->events - e0;
    j->failed = w->failed - f0;
    j->alerts = w->alerts - a0;
    j->unreadable = w->unreadable - u0;
    for (int l = 0; l < VG_ALERT_NLEVELS; l++) j->by_level[l] = w->by_level[l] - l0[l];
    struct vg_buf t = j->out; /* hand over the rendered alerts, keep the other buffer */
    j->out = w->obuf;
    w->obuf = t;
    vg_buf_reset(&w->obuf);
    j->rc = w->io_rc;
    w->io_rc = 0;
}

static void *worker_main(void *arg)
{
    struct worker *wk = arg;
    struct par *p = wk->p;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (p->taken == p->submitted && !p->stop) pthread_cond_wait(&p->work, &p->mu);
        if (p->taken == p->submitted) break;
        struct job *j = &p->jobs[p->taken++ % p->q];
        pthread_mutex_unlock(&p->mu);
        work_job(&wk->s, j);
        pthread_mutex_lock(&p->mu);
        j->done = true;
        pthread_cond_broadcast(&p->done);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* Writes the oldest submitted chunk when it is done (waits when block). */
static bool par_write_one(struct scan *s, bool block)
{
    struct par *p = s->par;
    if (p->written == p->submitted) return false;
    struct job *j = &p->jobs[p->written % p->q];
    pthread_mutex_lock(&p->mu);
    while (!j->done && block) pthread_cond_wait(&p->done, &p->mu);
    bool done = j->done;
    pthread_mutex_unlock(&p->mu);
    if (!done) return false;
    if (j->rc && !s->io_rc) {
        fprintf(stderr, "vigil scan: %s: the alerts of one chunk exceed the output buffer; run with -j 1\n", j->file);
        s->io_rc = j->rc;
    }
    if (!s->io_rc) out_write(s, j->out.data, j->out.len);
    vg_buf_reset(&j->out);
    s->events += j->events;
    s->failed += j->failed;
    s->alerts += j->alerts;
    s->unreadable += j->unreadable;
    for (int l = 0; l < VG_ALERT_NLEVELS; l++) s->by_level[l] += j->by_level[l];
    fmap_unref(j->map);
    j->map = NULL;
    p->written++;
    draw(s, false);
    return true;
}

/* The chunk being filled; a free ring slot (writing older chunks first). */
static struct job *par_cur(struct scan *s)
{
    struct par *p = s->par;
    if (p->cur) return p->cur;
    while (p->submitted - p->written >= p->q) par_write_one(s, true);
    struct job *j = &p->jobs[p->submitted % p->q];
    j->evtx = false;
    j->file = s->cur_file;
    j->rpath = NULL;
    j->is_line = s->cur_is_line;
    j->recv = 0;
    j->nrec = j->bytes = 0;
    j->done = false;
    j->rc = 0;
    j->map = p->map;
    if (j->map) j->map->refs++;
    return p->cur = j;
}

static void par_submit(struct scan *s)
{
    struct par *p = s->par;
    if (!p->cur) return;
    pthread_mutex_lock(&p->mu);
    p->submitted++;
    pthread_cond_signal(&p->work);
    pthread_mutex_unlock(&p->mu);
    p->cur = NULL;
    while (par_write_one(s, false)) {}
}

static void par_add(struct scan *s, const char *p, size_t n, uint64_t seq, int64_t recv)
{
    struct job *j = par_cur(s);
    if (j->nrec == j->caprec) {
        size_t nc = j->caprec ? j->caprec * 2 : 256;
        struct rec *nr = vg_realloc(j->recs, nc * sizeof *nr);
        if (!nr) { s->failed++; s->events++; return; }
        j->recs = nr;
        j->caprec = nc;
    }
    j->recv = recv;
    j->recs[j->nrec++] = (struct rec){p, n, seq};
    j->bytes += n;
    if (j->nrec >= JOB_RECORDS || j->bytes >= JOB_BYTES) par_submit(s);
}

static void par_evtx(struct scan *s, const char *path, const char *rpath, int64_t mtime)
{
    par_submit(s);
    struct job *j = par_cur(s);
    j->evtx = true;
    j->file = path;
    j->rpath = rpath;
    j->recv = mtime;
    par_submit(s);
}

static void par_stop(struct scan *s)
{
    struct par *p = s->par;
    if (!p) return;
    par_submit(s);
    while (par_write_one(s, true)) {}
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->nw; i++)
        if (p->w[i].started) {
            pthread_join(p->w[i].th, NULL);
            p->w[i].started = false;
        }
}

/* Frames the records of a text or JSON buffer (a mapped file, or a
 * decompressed one: heap) and releases it when they are matched. */
static void scan_buffer(struct scan *s, const char *d, size_t n, int64_t mtime, bool heap)
{
    size_t i = n >= 3 && memcmp(d, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    while (i < n && (d[i] == ' ' || d[i] == '\t' || d[i] == '\r' || d[i] == '\n')) i++;
    bool json = s->format ? strcmp(s->format, "json") == 0 : i < n && (d[i] == '[' || d[i] == '{');
    struct fmap *fm = NULL;
    if (s->par) {
        fm = vg_malloc(sizeof *fm);
        if (!fm) {
            if (heap) vg_free((void *)d);
            else munmap((void *)d, n);
            fprintf(stderr, "vigil scan: %s: out of memory\n", s->cur_file);
            s->unreadable++;
            return;
        }
        *fm = (struct fmap){d, n, 1, heap};
        s->par->map = fm;
    }
    if (json) scan_json(s, d, n, mtime);
    else scan_lines(s, d, n, mtime);
    if (s->par) { /* chunks never span files; the last one to be written releases */
        par_submit(s);
        s->par->map = NULL;
        fmap_unref(fm);
    } else {
        flush_batch(s);
        if (heap) vg_free((void *)d);
        else munmap((void *)d, n);
    }
}

/* ---- compressed files and archives ---------------------------------------
 * A folder pulled from a host holds rotated logs (auth.log.2.gz) and
 * collections (triage.zip, logs.tar.gz): libarchive reads gzip, bzip2, xz,
 * zstd, lz4 and zip, tar, 7z, cpio; a single compressed file is one member.
 * Each regular member is scanned like a file named "ARCHIVE:MEMBER";
 * members that are archives or compressed themselves are opened once more
 * (depth 2); EVTX members are copied to a private temporary directory
 * (the EVTX reader works on files). Limits: a member of more than 1 GiB
 * once decompressed is skipped with a message. */
#define MAX_MEMBER ((size_t)1 << 30)
#define MAX_ARCHIVE_DEPTH 2

static bool archive_magic(const unsigned char *m, size_t k)
{
    if (k >= 2 && m[0] == 0x1f && m[1] == 0x8b) return true;                                     /* gzip */
    if (k >= 10 && memcmp(m, "BZh", 3) == 0 && m[3] >= '1' && m[3] <= '9' &&                    /* bzip2: block or end magic */
        (memcmp(m + 4, "1AY&SY", 6) == 0 || memcmp(m + 4, "\x17\x72\x45\x38\x50\x90", 6) == 0)) return true;
    if (k >= 6 && memcmp(m, "\xFD" "7zXZ\0", 6) == 0) return true;                               /* xz */
    if (k >= 4 && memcmp(m, "\x28\xB5\x2F\xFD", 4) == 0) return true;                           /* zstd */
    if (k >= 4 && memcmp(m, "\x04\x22\x4D\x18", 4) == 0) return true;                           /* lz4 */
    if (k >= 4 && m[0] == 'P' && m[1] == 'K' && ((m[2] == 3 && m[3] == 4) || (m[2] == 5 && m[3] == 6))) return true; /* zip */
    if (k >= 6 && memcmp(m, "7z\xBC\xAF\x27\x1C", 6) == 0) return true;                         /* 7z */
    if (k >= 265 && (memcmp(m + 257, "ustar\0", 6) == 0 || memcmp(m + 257, "ustar  \0", 8) == 0)) return true; /* tar */
    return false;
}

/* A reader for any compressed file or archive libarchive knows; a single
 * compressed stream is one member ("raw" format). NULL on OOM. */
static struct archive *archive_new(void)
{
    struct archive *a = archive_read_new();
    if (a) {
        archive_read_support_filter_all(a);
        archive_read_support_format_all(a);
        archive_read_support_format_raw(a);
    }
    return a;
}

/* Keeps an allocated string until the scan ends (names alerts refer to,
 * paths of temporary copies); frees it and returns NULL on OOM. */
static char *keep(struct scan *s, char *str)
{
    if (str && s->nnames == s->capnames) {
        size_t nc = s->capnames ? s->capnames * 2 : 16;
        char **nv = vg_realloc(s->names, nc * sizeof *nv);
        if (!nv) { vg_free(str); return NULL; }
        s->names = nv;
        s->capnames = nc;
    }
    return str ? s->names[s->nnames++] = str : NULL;
}

static const char *keep_name(struct scan *s, const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *n = vg_malloc(la + lb + 2);
    if (n) {
        memcpy(n, a, la);
        n[la] = ':';
        memcpy(n + la + 1, b, lb + 1);
    }
    return keep(s, n);
}

/* A private copy of an EVTX member; its path is kept with the names. */
static const char *evtx_copy(struct scan *s, const char *d, size_t n)
{
    if (!s->tmpdir[0]) {
        const char *t = getenv("TMPDIR");
        snprintf(s->tmpdir, sizeof s->tmpdir, "%s/vigil-scan-XXXXXX", t && *t && strlen(t) < 200 ? t : "/tmp");
        if (!mkdtemp(s->tmpdir)) { s->tmpdir[0] = 0; return NULL; }
    }
    char num[32];
    snprintf(num, sizeof num, "%llu.evtx", (unsigned long long)++s->ntmp);
    size_t lt = strlen(s->tmpdir);
    char *path = vg_malloc(lt + strlen(num) + 2);
    if (!path) return NULL;
    snprintf(path, lt + strlen(num) + 2, "%s/%s", s->tmpdir, num);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    bool ok = fd >= 0;
    for (size_t off = 0; ok && off < n;) {
        ssize_t w = write(fd, d + off, n - off);
        if (w <= 0) ok = false;
        else off += (size_t)w;
    }
    if (fd >= 0 && close(fd) != 0) ok = false;
    if (!ok) { unlink(path); vg_free(path); return NULL; }
    if (!keep(s, path)) { unlink(path); return NULL; } /* keep frees it */
    return path;
}

static void cleanup_tmp(struct scan *s)
{
    if (!s->tmpdir[0]) return;
    size_t lt = strlen(s->tmpdir);
    for (size_t i = 0; i < s->nnames; i++)
        if (strncmp(s->names[i], s->tmpdir, lt) == 0 && s->names[i][lt] == '/') unlink(s->names[i]);
    rmdir(s->tmpdir);
    s->tmpdir[0] = 0;
}

static void scan_archive(struct scan *s, struct archive *a, const char *name, int64_t mtime, int depth);

/* One member's bytes (heap, owned): an archive, EVTX, or records. */
static void scan_member(struct scan *s, const char *name, char *d, size_t n, int64_t mtime, int depth)
{
    s->files++;
    s->cur_file = name;
    if (n && depth < MAX_ARCHIVE_DEPTH && archive_magic((const unsigned char *)d, n)) {
        struct archive *a = archive_new();
        if (a && archive_read_open_memory(a, d, n) == ARCHIVE_OK) {
            s->files--; /* counted by its members */
            scan_archive(s, a, name, mtime, depth + 1);
            archive_read_free(a);
            vg_free(d);
            return;
        }
        if (a) archive_read_free(a); /* not an archive after all: scan the bytes */
    }
    if (n >= 8 && memcmp(d, "ElfFile", 8) == 0) {
        const char *tmp = evtx_copy(s, d, n);
        vg_free(d);
        if (!tmp) {
            fprintf(stderr, "vigil scan: %s: cannot copy the EVTX member: %s\n", name, strerror(errno));
            s->unreadable++;
            return;
        }
        s->cur_is_line = false;
        if (s->par) par_evtx(s, name, tmp, mtime);
        else scan_evtx(s, tmp, mtime);
        return;
    }
    if (!n) { vg_free(d); return; }
    scan_buffer(s, d, n, mtime, true);
}

static void scan_archive(struct scan *s, struct archive *a, const char *name, int64_t mtime, int depth)
{
    struct archive_entry *e;
    int r;
    while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
        bool raw = archive_format(a) == ARCHIVE_FORMAT_RAW;
        if (!raw && archive_entry_filetype(e) != AE_IFREG) continue;
        /* a compressed file (raw format) keeps the file's own name; lines
         * and records count in its decompressed text */
        const char *mp = archive_entry_pathname(e);
        const char *mname = raw ? name : keep_name(s, name, mp ? mp : "?");
        if (!mname) { fprintf(stderr, "vigil scan: out of memory\n"); s->unreadable++; return; }
        size_t cap = 1 << 16, len = 0;
        char *buf = vg_malloc(cap);
        bool big = false;
        ssize_t k = 0;
        while (buf) {
            if (len == cap) {
                if (cap >= MAX_MEMBER) { big = true; break; }
                char *nb = vg_realloc(buf, cap * 2);
                if (!nb) { vg_free(buf); buf = NULL; break; }
                buf = nb;
                cap *= 2;
            }
            k = archive_read_data(a, buf + len, cap - len);
            if (k <= 0) break;
            len += (size_t)k;
        }
        if (!buf || big || k < 0) {
            if (s->tty) fputs("\r\033[K", stderr);
            fprintf(stderr, "vigil scan: %s: %s\n", mname,
                    !buf ? "out of memory" : big ? "over 1 GiB once decompressed: skipped" : archive_error_string(a));
            vg_free(buf);
            s->unreadable++;
            if (k < 0 && archive_errno(a) != 0 && r != ARCHIVE_WARN) return; /* the stream is broken: stop here */
            continue;
        }
        scan_member(s, mname, buf, len, mtime, depth);
        if (s->io_rc) return;
    }
    if (r != ARCHIVE_EOF) {
        if (s->tty) fputs("\r\033[K", stderr);
        fprintf(stderr, "vigil scan: %s: %s\n", name, archive_error_string(a) ? archive_error_string(a) : "unreadable archive");
        s->unreadable++;
    }
}

static int scan_file(struct scan *s, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        if (fd >= 0) close(fd);
        if (s->tty) fputs("\r\033[K", stderr);
        fprintf(stderr, "vigil scan: %s: %s\n", path, strerror(errno));
        s->unreadable++;
        return 0;
    }
    s->files++;
    s->cur_file = path;
    s->file_base = s->bytes_done;
    int64_t mtime = (int64_t)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
    size_t n = (size_t)st.st_size;
    unsigned char magic[512] = {0};
    ssize_t nm = pread(fd, magic, sizeof magic, 0);
    if (nm > 0 && archive_magic(magic, (size_t)nm)) {
        struct archive *a = archive_new();
        if (a && archive_read_open_fd(a, fd, 1 << 16) == ARCHIVE_OK) {
            s->files--; /* counted by its members */
            scan_archive(s, a, path, mtime, 1);
            archive_read_free(a);
            close(fd);
            s->bytes_done = s->file_base + n;
            return s->io_rc;
        }
        if (a) archive_read_free(a);
        lseek(fd, 0, SEEK_SET);
    }
    bool evtx = s->format ? strcmp(s->format, "evtx") == 0
                          : nm >= 8 && memcmp(magic, "ElfFile", 8) == 0;
    if (evtx) {
        close(fd);
        s->cur_is_line = false;
        if (s->par) par_evtx(s, path, NULL, mtime);
        else scan_evtx(s, path, mtime);
        s->bytes_done = s->file_base + n;
        return s->io_rc;
    }
    if (n) {
        const char *d = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0);
        if (d == MAP_FAILED) {
            close(fd);
            fprintf(stderr, "vigil scan: %s: cannot map: %s\n", path, strerror(errno));
            s->unreadable++;
            return 0;
        }
        madvise((void *)d, n, MADV_SEQUENTIAL);
        scan_buffer(s, d, n, mtime, false);
    }
    close(fd);
    s->bytes_done = s->file_base + n;
    return s->io_rc;
}

/* Starts n workers, each with its own batch, counts and output buffer. */
static int par_start(struct scan *s, struct par *p, int n)
{
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->work, NULL);
    pthread_cond_init(&p->done, NULL);
    s->par = p; /* par_release frees whatever was set up */
    p->jobs = vg_calloc((size_t)n * 4, sizeof *p->jobs);
    p->w = vg_calloc((size_t)n, sizeof *p->w);
    if (!p->jobs || !p->w) return VG_ENOMEM;
    p->q = (uint32_t)n * 4;
    for (int i = 0; i < n; i++) {
        struct worker *w = &p->w[i];
        w->p = p;
        w->s.det = s->det;
        w->s.dopts = s->dopts;
        w->s.format = s->format;
        w->s.json_out = s->json_out;
        w->s.quiet = true;
        w->s.fail_level = s->fail_level;
        w->s.worker = true;
        w->s.b = vg_batch_new(BATCH);
        p->nw++;
        if (!w->s.b || pthread_create(&w->th, NULL, worker_main, w) != 0) return VG_ENOMEM;
        w->started = true;
    }
    return 0;
}

/* Adds a worker's per-rule counts and level flag to the main scan's. */
static void par_merge(struct scan *s)
{
    struct par *p = s->par;
    if (!p) return;
    for (int i = 0; i < p->nw; i++) {
        struct scan *w = &p->w[i].s;
        s->failed_level |= w->failed_level;
        for (size_t k = 0; k < w->caprc; k++) {
            const struct rulecount *e = &w->rc[k];
            if (e->id) count_rule_n(s, e->id, e->title, e->author, e->level, e->n);
        }
    }
}

static void par_release(struct scan *s)
{
    struct par *p = s->par;
    if (!p) return;
    par_stop(s);
    for (int i = 0; i < p->nw; i++) {
        struct scan *w = &p->w[i].s;
        vg_batch_free(w->b);
        vg_buf_release(&w->obuf);
        for (size_t k = 0; k < w->caprc; k++) {
            vg_free(w->rc[k].id);
            vg_free(w->rc[k].title);
            vg_free(w->rc[k].author);
        }
        vg_free(w->rc);
    }
    for (uint32_t i = 0; p->jobs && i < p->q; i++) {
        vg_free(p->jobs[i].recs);
        vg_buf_release(&p->jobs[i].out);
        fmap_unref(p->jobs[i].map);
    }
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->work);
    pthread_cond_destroy(&p->done);
    vg_free(p->jobs);
    vg_free(p->w);
    memset(p, 0, sizeof *p);
    s->par = NULL;
}

/* ---- walking ------------------------------------------------------------- */
struct pathlist { char **v; size_t n, cap; };

static int pl_add(struct pathlist *l, const char *p)
{
    if (l->n == MAX_PATHS * 64) return VG_ETOOBIG;
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 64;
        char **nv = vg_realloc(l->v, nc * sizeof *nv);
        if (!nv) return VG_ENOMEM;
        l->v = nv;
        l->cap = nc;
    }
    if (!(l->v[l->n] = vg_strdup(p))) return VG_ENOMEM;
    l->n++;
    return 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Appends every regular file under path (sorted per directory). */
static int collect(struct pathlist *out, const char *path, int depth, uint64_t *bytes)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "vigil scan: %s: %s\n", path, strerror(errno));
        return 1;
    }
    if (S_ISREG(st.st_mode)) {
        *bytes += (uint64_t)st.st_size;
        return pl_add(out, path) ? -1 : 0;
    }
    if (!S_ISDIR(st.st_mode)) return 0;
    if (depth > MAX_DEPTH) {
        fprintf(stderr, "vigil scan: %s: deeper than %d directories, skipped\n", path, MAX_DEPTH);
        return 1;
    }
    DIR *d = opendir(path);
    if (!d) {
        fprintf(stderr, "vigil scan: %s: %s\n", path, strerror(errno));
        return 1;
    }
    struct pathlist names = {0};
    struct dirent *e;
    int bad = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        if (pl_add(&names, e->d_name)) { bad = -1; break; }
    }
    closedir(d);
    if (names.n) qsort(names.v, names.n, sizeof *names.v, cmp_str);
    for (size_t i = 0; bad >= 0 && i < names.n; i++) {
        struct vg_buf p = VG_BUF_INIT;
        if (vg_buf_addf(&p, "%s%s%s", path, path[strlen(path) - 1] == '/' ? "" : "/", names.v[i])) bad = -1;
        else {
            int r = collect(out, p.data, depth + 1, bytes);
            if (r < 0) bad = -1;
            else bad += r;
        }
        vg_buf_release(&p);
    }
    for (size_t i = 0; i < names.n; i++) vg_free(names.v[i]);
    vg_free(names.v);
    return bad;
}

/* ---- summary ------------------------------------------------------------- */
static int cmp_count(const void *a, const void *b)
{
    const struct rulecount *x = a, *y = b;
    if (x->n != y->n) return x->n > y->n ? -1 : 1;
    return strcmp(x->title, y->title);
}

static double cpu_seconds(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

static void summary(struct scan *s, const struct vg_detect_load_info *li, int threads, double cpu)
{
    double el = (double)(vg_mono_ns() - s->t0) / 1e9;
    if (s->tty && !s->quiet) fputs("\r\033[K", stderr);
    fprintf(stderr, "\n%-22s %llu (%.1f MiB)%s\n", "files", (unsigned long long)s->files,
            (double)s->bytes_done / 1048576.0, s->unreadable ? "  some unreadable, see above" : "");
    fprintf(stderr, "%-22s %llu\n", "events read", (unsigned long long)s->events);
    fprintf(stderr, "%-22s %llu\n", "decode failures", (unsigned long long)s->failed);
    fprintf(stderr, "%-22s %zu (%zu rejected)\n", "rules", li->loaded, li->rejected);
    if (li->filters || li->warnings)
        fprintf(stderr, "%-22s %zu (applied %zu times, %zu warnings)\n", "filters", li->filters, li->filters_applied,
                li->warnings);
    fprintf(stderr, "%-22s %.2f s (rules %.0f ms)\n", "elapsed", el, li->ms);
    fprintf(stderr, "%-22s %.0f\n", "events/s", el > 0 ? (double)s->events / el : 0.0);
    fprintf(stderr, "%-22s %.0f (%.2f CPU s on %d thread%s)\n", "events per CPU second", cpu > 0 ? (double)s->events / cpu : 0.0,
            cpu, threads, threads == 1 ? "" : "s");
    fprintf(stderr, "%-22s %llu\n", "alerts", (unsigned long long)s->alerts);
    for (int l = VG_ALERT_NLEVELS - 1; l >= 0; l--)
        fprintf(stderr, "  %-20s %llu\n", vg_alert_level_name(l), (unsigned long long)s->by_level[l]);
    if (!s->nrc) return;
    struct rulecount *v = vg_malloc(s->nrc * sizeof *v);
    if (!v) return;
    size_t k = 0;
    for (size_t i = 0; i < s->caprc; i++)
        if (s->rc[i].id) v[k++] = s->rc[i];
    qsort(v, k, sizeof *v, cmp_count);
    fprintf(stderr, "top rules:\n  %8s  %-13s  %s\n", "alerts", "level", "rule (author)");
    for (size_t i = 0; i < k && i < 10; i++) {
        fprintf(stderr, "  %8llu  %-13s  ", (unsigned long long)v[i].n, vg_alert_level_name(v[i].level));
        print_escaped(stderr, v[i].title);
        fputs(" (", stderr);
        print_escaped(stderr, v[i].author ? v[i].author : "no author");
        fputs(")\n", stderr);
    }
    vg_free(v);
}

/* ---- main ------------------------------------------------------------------ */
static int run(int argc, char **argv)
{
    const char *rules[256], *filters[256], *mappings = NULL, *config = NULL, *output = NULL;
    size_t nrules = 0, nfilters = 0;
    bool no_default = false, progress = false;
    struct scan s;
    memset(&s, 0, sizeof s);
    s.fail_level = VG_ALERT_NLEVELS;
    s.dopts.defer_id = true; /* scanned events are never stored: ids only for those that alert */
    int min_level = 0;
    long jobs = sysconf(_SC_NPROCESSORS_ONLN);
    struct par par;
    memset(&par, 0, sizeof par);
    struct pathlist inputs = {0};
    int code = 2;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has = i + 1 < argc;
        if (!strcmp(a, "--rules") && has) {
            if (nrules == VG_ARRAY_LEN(rules)) { fprintf(stderr, "vigil scan: too many --rules\n"); goto out; }
            rules[nrules++] = argv[++i];
        } else if (!strcmp(a, "--filters") && has) {
            if (nfilters == VG_ARRAY_LEN(filters)) { fprintf(stderr, "vigil scan: too many --filters\n"); goto out; }
            filters[nfilters++] = argv[++i];
        } else if (!strcmp(a, "--mappings") && has) mappings = argv[++i];
        else if (!strcmp(a, "--config") && has) config = argv[++i];
        else if (!strcmp(a, "--output") && has) output = argv[++i];
        else if (!strcmp(a, "--format") && has) s.format = argv[++i];
        else if (!strcmp(a, "--no-default-rules")) no_default = true;
        else if (!strcmp(a, "--json")) s.json_out = true;
        else if (!strcmp(a, "--quiet")) s.quiet = true;
        else if (!strcmp(a, "--progress")) progress = true;
        else if ((!strcmp(a, "--min-level") || !strcmp(a, "--fail-level")) && has) {
            int lv = vg_alert_level_parse(argv[i + 1]);
            if (lv < 0) { fprintf(stderr, "vigil scan: %s: unknown level '%s'\n", a, argv[i + 1]); goto out; }
            if (a[2] == 'm') min_level = lv;
            else s.fail_level = lv;
            i++;
        } else if (!strcmp(a, "--year") && has) {
            int64_t y;
            if (vg_parse_i64(argv[i + 1], strlen(argv[i + 1]), &y) || y < 1970 || y > 2200) {
                fprintf(stderr, "vigil scan: --year takes a year like 2025\n");
                goto out;
            }
            s.dopts.default_year = y;
            i++;
        } else if ((!strcmp(a, "-j") || !strcmp(a, "--jobs")) && has) {
            int64_t v;
            if (vg_parse_i64(argv[i + 1], strlen(argv[i + 1]), &v) || v < 1 || v > MAX_JOBS) {
                fprintf(stderr, "vigil scan: -j takes a number of threads from 1 to %d\n", MAX_JOBS);
                goto out;
            }
            jobs = (long)v;
            i++;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "vigil scan: unknown or incomplete option '%s'\n%s\n", a, usage_text);
            goto out;
        } else if (inputs.n < MAX_PATHS) {
            if (pl_add(&inputs, a)) { fprintf(stderr, "vigil scan: out of memory\n"); goto out; }
        }
    }
    if (!inputs.n) { fprintf(stderr, "%s\n", usage_text); goto out; }
    if (s.format && strcmp(s.format, "evtx") && strcmp(s.format, "json")) {
        if (!vg_decoder_find(s.format)) {
            fprintf(stderr, "vigil scan: unknown format '%s' (evtx, json or a decoder: vigil list decoders)\n", s.format);
            goto out;
        }
        s.dopts.format = s.format;
    }
    const char *pack = no_default ? NULL : vg_detect_default_pack();
    if (!no_default && !pack)
        fprintf(stderr, "vigil scan: Vigil's rule pack was not found (set VIGIL_RULES); using --rules only\n");
    if (!pack && !nrules) { fprintf(stderr, "vigil scan: no rules to scan with (give --rules PATH)\n"); goto out; }
    char mbuf[4096];
    if (!mappings && !pack) mappings = vg_detect_default_mappings(mbuf, sizeof mbuf); /* the pack's mappings stay */
    struct vg_detect_opts o = {.pack = pack, .rules = rules, .nrules = nrules, .mappings = mappings,
                               .config = config, .min_level = min_level, .filters = filters, .nfilters = nfilters};
    struct vg_sigma_report rep = VG_SIGMA_REPORT_INIT;
    struct vg_detect_load_info li;
    struct vg_err err = VG_ERR_INIT;
    memset(&li, 0, sizeof li);
    if (vg_detect_new(&s.det, &o, &rep, &li, &err) != 0) {
        fprintf(stderr, "vigil scan: %s\n", err.msg[0] ? err.msg : vg_strerror(err.code));
        vg_sigma_report_release(&rep);
        goto out;
    }
    for (size_t i = 0; i < rep.nrej && i < 20; i++)
        fprintf(stderr, "vigil scan: rule rejected: %s:%d:%d: %s\n", rep.rej[i].file, rep.rej[i].line, rep.rej[i].col,
                rep.rej[i].reason);
    if (rep.nrej > 20) fprintf(stderr, "vigil scan: ... %zu more rejected rules (vigil rules check lists them)\n", rep.nrej - 20);
    for (size_t i = 0; i < rep.nwarn && i < 20; i++)
        fprintf(stderr, "vigil scan: warning: %s:%d:%d: %s\n", rep.warn[i].file, rep.warn[i].line, rep.warn[i].col,
                rep.warn[i].reason);
    vg_sigma_report_release(&rep);

    s.out = stdout;
    if (output) {
        s.out = fopen(output, "w");
        if (!s.out) { fprintf(stderr, "vigil scan: cannot write %s: %s\n", output, strerror(errno)); goto out; }
        s.json_out = true;
    }
    s.tty = progress || isatty(STDERR_FILENO) == 1; /* the bar (and its line clearing) */
    s.b = vg_batch_new(BATCH);
    if (!s.b) { fprintf(stderr, "vigil scan: out of memory\n"); goto out; }
    if (jobs < 1) jobs = 1;
    if (jobs > MAX_JOBS) jobs = MAX_JOBS;
    if (jobs > 1 && par_start(&s, &par, (int)jobs) != 0) {
        fprintf(stderr, "vigil scan: cannot start %ld threads; scanning on one\n", jobs);
        par_release(&s);
    }
    int threads = s.par ? s.par->nw : 1;
    struct pathlist files = {0};
    int bad = 0;
    for (size_t i = 0; i < inputs.n; i++) {
        int r = collect(&files, inputs.v[i], 0, &s.bytes_total);
        if (r < 0) { fprintf(stderr, "vigil scan: out of memory\n"); bad = -1; break; }
        bad += r;
    }
    s.unreadable = bad > 0 ? (uint64_t)bad : 0;
    s.t0 = vg_mono_ns();
    double cpu0 = cpu_seconds();
    for (size_t i = 0; bad >= 0 && i < files.n; i++)
        if (scan_file(&s, files.v[i]) != 0) break;
    par_stop(&s);
    par_merge(&s);
    double cpu = cpu_seconds() - cpu0;
    draw(&s, true);
    if (fflush(s.out) != 0 && !s.io_rc) s.io_rc = VG_EIO;
    summary(&s, &li, threads, cpu);
    if (s.io_rc) fprintf(stderr, "vigil scan: writing alerts failed: %s\n", strerror(errno));
    code = s.io_rc || bad < 0 || (files.n && s.files == 0) || (!files.n && bad) ? 2 : s.failed_level ? 1 : 0;
    for (size_t i = 0; i < files.n; i++) vg_free(files.v[i]);
    vg_free(files.v);
out:
    par_stop(&s);
    par_release(&s);
    cleanup_tmp(&s);
    for (size_t i = 0; i < s.nnames; i++) vg_free(s.names[i]);
    vg_free(s.names);
    if (s.out && s.out != stdout) fclose(s.out);
    vg_buf_release(&s.obuf);
    vg_batch_free(s.b);
    vg_detect_free(s.det);
    for (size_t i = 0; i < s.caprc; i++) {
        vg_free(s.rc[i].id);
        vg_free(s.rc[i].title);
        vg_free(s.rc[i].author);
    }
    vg_free(s.rc);
    for (size_t i = 0; i < inputs.n; i++) vg_free(inputs.v[i]);
    vg_free(inputs.v);
    return code;
}

const struct vg_cmd vg_cmd_scan = {.name = "scan",
                                   .desc = "detect threats in log files offline (EVTX, JSON, syslog) with the rule pack",
                                   .usage = usage_text,
                                   .run = run};
