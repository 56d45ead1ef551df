/* Source: tails configured files. Follows appends, detects rotation (the
 * path names another inode: the old file is read to its end first, its
 * unterminated last line included) and truncation (size below our
 * position: restart at 0). Positions are persisted in DATA/tail.state
 * (written to a temporary file and renamed) only for data the store has
 * committed, and only in order: batches of one file may commit out of
 * order across decode workers, so a position advances when every earlier
 * batch of that file committed too. A restart resumes at the committed
 * position, so lines are neither lost nor read twice (a kill -9 between a
 * commit and the state write can repeat that one batch; identical records
 * then dedupe by event id). */
#include "internal.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#define PENDING_CAP 512
#define CHUNK (256 * 1024)

struct pending { uint64_t seq; dev_t dev; ino_t ino; uint64_t off; bool done; };

struct tail_file {
    struct vg_source *src;
    char *path;
    struct vg_source_counters *c;
    struct vg__batcher bt;
    int fd;
    dev_t dev;
    ino_t ino;
    uint64_t pos;              /* bytes read from the current file */
    uint64_t consumed;         /* end of the last complete line handed on */
    char *line;                /* partial line carried between reads */
    size_t line_len;
    bool skipping;             /* inside an oversized line */
    bool opened_once;
    size_t max_events;         /* records per batch (the batcher itself never flushes) */
    /* commit tracking, guarded by src->mu */
    struct pending ring[PENDING_CAP];
    size_t rhead, rlen;
    uint64_t next_seq;
    bool have_state;           /* restored or committed position known */
    dev_t c_dev;
    ino_t c_ino;
    uint64_t c_off;
};

struct ack { struct tail_file *tf; uint64_t seq; };

struct vg_source {
    struct vg_source_conf conf;
    struct tail_file *files;
    size_t nfiles;
    size_t max_line;
    char state_path[1200];
    char host[256];
    pthread_t th;
    atomic_bool stop;
    pthread_mutex_t mu;
    pthread_cond_t cv;         /* signalled when a pending slot frees */
    char *chunk;
};

/* Writes every file's committed position. Caller holds mu. */
static void save_state(struct vg_source *s)
{
    char tmp[1300];
    snprintf(tmp, sizeof tmp, "%s.tmp", s->state_path);
    FILE *f = fopen(tmp, "w");
    if (!f) { vg_warn("ingest", "file: cannot write %s: %s", tmp, strerror(errno)); return; }
    for (size_t i = 0; i < s->nfiles; i++) {
        struct tail_file *tf = &s->files[i];
        if (!tf->have_state) continue;
        fprintf(f, "v1\t%llu\t%llu\t%llu\t%s\n", (unsigned long long)tf->c_dev, (unsigned long long)tf->c_ino,
                (unsigned long long)tf->c_off, tf->path);
    }
    if (fclose(f) != 0 || rename(tmp, s->state_path) != 0)
        vg_warn("ingest", "file: cannot update %s: %s", s->state_path, strerror(errno));
}

static void load_state(struct vg_source *s)
{
    FILE *f = fopen(s->state_path, "r");
    if (!f) return;
    char line[4300];
    while (fgets(line, sizeof line, f)) {
        size_t n = strlen(line);
        if (n && line[n - 1] == '\n') line[--n] = 0;
        char *fld[5];
        size_t nf = 0;
        char *p = line;
        while (nf < 4) {
            char *t = strchr(p, '\t');
            if (!t) break;
            *t = 0;
            fld[nf++] = p;
            p = t + 1;
        }
        if (nf != 4 || strcmp(fld[0], "v1") != 0) continue;
        fld[4] = p;
        uint64_t dev, ino, off;
        if (vg_parse_u64(fld[1], strlen(fld[1]), &dev) || vg_parse_u64(fld[2], strlen(fld[2]), &ino) ||
            vg_parse_u64(fld[3], strlen(fld[3]), &off))
            continue;
        for (size_t i = 0; i < s->nfiles; i++) {
            struct tail_file *tf = &s->files[i];
            if (strcmp(tf->path, fld[4]) != 0) continue;
            tf->have_state = true;
            tf->c_dev = (dev_t)dev;
            tf->c_ino = (ino_t)ino;
            tf->c_off = off;
        }
    }
    fclose(f);
}

/* Writer thread: a batch of tf committed (or failed for good). */
static void file_committed(void *arg, int status)
{
    struct ack *a = arg;
    struct tail_file *tf = a->tf;
    struct vg_source *s = tf->src;
    if (status != 0)
        vg_warn("ingest", "file %s: a batch could not be committed (%s); it is skipped", tf->path, vg_strerror(status));
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < tf->rlen; i++) {
        struct pending *pd = &tf->ring[(tf->rhead + i) % PENDING_CAP];
        if (pd->seq == a->seq) { pd->done = true; break; }
    }
    bool moved = false;
    while (tf->rlen && tf->ring[tf->rhead].done) {
        struct pending *pd = &tf->ring[tf->rhead];
        tf->have_state = true;
        tf->c_dev = pd->dev;
        tf->c_ino = pd->ino;
        tf->c_off = pd->off;
        tf->rhead = (tf->rhead + 1) % PENDING_CAP;
        tf->rlen--;
        moved = true;
    }
    if (moved) {
        save_state(s);
        pthread_cond_broadcast(&s->cv);
    }
    pthread_mutex_unlock(&s->mu);
    vg_free(a);
}

/* Hands the open batch on, tagged with the position it completes. */
static void flush_file(struct tail_file *tf)
{
    struct vg_source *s = tf->src;
    if (!tf->bt.b || tf->bt.b->n == 0) return;
    struct ack *a = vg_malloc(sizeof *a);
    if (!a) { vg__batcher_flush(&tf->bt); return; }   /* stored, but the position is not advanced */
    pthread_mutex_lock(&s->mu);
    while (tf->rlen == PENDING_CAP) pthread_cond_wait(&s->cv, &s->mu);
    a->tf = tf;
    a->seq = tf->next_seq++;
    tf->ring[(tf->rhead + tf->rlen) % PENDING_CAP] =
        (struct pending){.seq = a->seq, .dev = tf->dev, .ino = tf->ino, .off = tf->consumed, .done = false};
    tf->rlen++;
    pthread_mutex_unlock(&s->mu);
    tf->bt.b->ack = a;
    tf->bt.b->on_commit = file_committed;
    vg__batcher_flush(&tf->bt);   /* on failure it calls file_committed with the error */
}

static void add_line(struct tail_file *tf, const char *p, size_t n, uint64_t end_off)
{
    while (n && p[n - 1] == '\r') n--;
    if (n) {
        vg__batcher_add(&tf->bt, p, n, tf->src->host);
        tf->consumed = end_off;
        if (tf->bt.b && tf->bt.b->n >= tf->max_events) flush_file(tf);
    } else {
        tf->consumed = end_off;
    }
}

/* Splits a chunk read at file offset `base` into lines. */
static void feed(struct tail_file *tf, const char *buf, size_t n, uint64_t base)
{
    size_t i = 0;
    while (i < n) {
        const char *nl = memchr(buf + i, '\n', n - i);
        size_t seg = nl ? (size_t)(nl - (buf + i)) : n - i;
        uint64_t end = base + i + seg + (nl ? 1 : 0);
        if (tf->skipping) {
            if (nl) { tf->skipping = false; tf->consumed = end; }
        } else if (tf->line_len + seg > tf->src->max_line) {
            vg__count_lost(tf->c, 1);
            vg_warn("ingest", "file %s: line longer than %zu bytes skipped", tf->path, tf->src->max_line);
            tf->line_len = 0;
            if (nl) tf->consumed = end;
            else tf->skipping = true;
        } else if (nl && tf->line_len == 0) {
            add_line(tf, buf + i, seg, end);
        } else {
            memcpy(tf->line + tf->line_len, buf + i, seg);
            tf->line_len += seg;
            if (nl) {
                add_line(tf, tf->line, tf->line_len, end);
                tf->line_len = 0;
            }
        }
        i += seg + (nl ? 1 : 0);
    }
}

static void read_to_eof(struct tail_file *tf)
{
    struct vg_source *s = tf->src;
    for (int rounds = 0; rounds < 4096 && !atomic_load(&s->stop); rounds++) {
        ssize_t r = read(tf->fd, s->chunk, CHUNK);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        atomic_fetch_add(&tf->c->bytes, (uint64_t)r);
        feed(tf, s->chunk, (size_t)r, tf->pos);
        tf->pos += (uint64_t)r;
    }
}

static void close_file(struct tail_file *tf, bool final_line)
{
    if (final_line && tf->line_len && !tf->skipping) add_line(tf, tf->line, tf->line_len, tf->pos);
    tf->line_len = 0;
    tf->skipping = false;
    if (tf->fd >= 0) close(tf->fd);
    tf->fd = -1;
}

static void open_file(struct tail_file *tf)
{
    int fd = open(tf->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) { close(fd); return; }
    uint64_t start = 0;
    if (!tf->opened_once) {
        pthread_mutex_lock(&tf->src->mu);
        if (tf->have_state && tf->c_dev == st.st_dev && tf->c_ino == st.st_ino && tf->c_off <= (uint64_t)st.st_size)
            start = tf->c_off;                         /* resume where the store left off */
        else if (!tf->have_state && tf->src->conf.tail_from_end)
            start = (uint64_t)st.st_size;
        pthread_mutex_unlock(&tf->src->mu);
        tf->opened_once = true;
    }
    if (start && lseek(fd, (off_t)start, SEEK_SET) < 0) start = 0;
    tf->fd = fd;
    tf->dev = st.st_dev;
    tf->ino = st.st_ino;
    tf->pos = tf->consumed = start;
    vg_info("ingest", "file: following %s from offset %llu", tf->path, (unsigned long long)start);
}

static void poll_file(struct tail_file *tf)
{
    if (tf->fd < 0) open_file(tf);
    if (tf->fd < 0) return;
    struct stat st;
    if (fstat(tf->fd, &st) == 0 && (uint64_t)st.st_size < tf->pos) {
        vg_warn("ingest", "file %s: truncated (size %lld < offset %llu), reading from the start", tf->path,
                (long long)st.st_size, (unsigned long long)tf->pos);
        flush_file(tf);
        lseek(tf->fd, 0, SEEK_SET);
        tf->pos = tf->consumed = 0;
        tf->line_len = 0;
        tf->skipping = false;
    }
    read_to_eof(tf);
    struct stat ps;
    bool rotated = stat(tf->path, &ps) != 0 || ps.st_ino != tf->ino || ps.st_dev != tf->dev;
    if (rotated) {
        read_to_eof(tf);                 /* the rest of the old file first */
        close_file(tf, true);
        flush_file(tf);
        open_file(tf);
        if (tf->fd >= 0) {
            vg_info("ingest", "file %s: rotated, following the new file", tf->path);
            read_to_eof(tf);
        }
    }
    flush_file(tf);
}

static void *file_main(void *arg)
{
    struct vg_source *s = arg;
    int64_t period = s->conf.poll_ns > 0 ? s->conf.poll_ns : 250 * 1000000LL;
    for (;;) {
        bool stopping = atomic_load(&s->stop);
        for (size_t i = 0; i < s->nfiles; i++) poll_file(&s->files[i]);
        if (stopping) break;
        int64_t until = vg_mono_ns() + period;
        while (!atomic_load(&s->stop) && vg_mono_ns() < until) {
            int64_t left = until - vg_mono_ns();
            poll(NULL, 0, left > 50000000 ? 50 : (int)(left / 1000000) + 1);
        }
    }
    return NULL;
}

static void free_source(struct vg_source *s)
{
    for (size_t i = 0; i < s->nfiles; i++) {
        struct tail_file *tf = &s->files[i];
        if (tf->fd >= 0) close(tf->fd);
        vg_free(tf->line);
        vg_free(tf->path);
    }
    vg_free(s->files);
    vg_free(s->chunk);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    vg_free(s);
}

static int start(struct vg_source **out, const struct vg_source_conf *conf, char *bound, size_t bsz,
                 struct vg_err *err)
{
    *out = NULL;
    if (bound && bsz) bound[0] = 0;
    if (!conf->data_dir) return vg_err_set(err, VG_EINVAL, "file source needs a data directory");
    struct vg_source *s = vg_calloc(1, sizeof *s);
    if (!s) return vg_err_set(err, VG_ENOMEM, "out of memory");
    int rc = VG_ENOMEM;
    s->conf = *conf;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    s->max_line = conf->max_frame ? conf->max_frame : 64 * 1024;
    snprintf(s->state_path, sizeof s->state_path, "%s/tail.state", conf->data_dir);
    if (gethostname(s->host, sizeof s->host - 1) != 0 || !s->host[0]) snprintf(s->host, sizeof s->host, "localhost");
    s->files = vg_calloc(conf->nfiles ? conf->nfiles : 1, sizeof *s->files);
    s->chunk = vg_malloc(CHUNK);
    if (!s->files || !s->chunk) goto fail;
    for (size_t i = 0; i < conf->nfiles; i++) {
        struct tail_file *tf = &s->files[i];
        tf->src = s;
        tf->fd = -1;
        if (strchr(conf->files[i], '\n') || strchr(conf->files[i], '\t')) {
            rc = vg_err_set(err, VG_EINVAL, "file paths with tabs or newlines are not supported");
            s->nfiles = i;
            goto fail;
        }
        tf->path = vg_strdup(conf->files[i]);
        tf->line = vg_malloc(s->max_line);
        s->nfiles = i + 1;
        char name[64];
        snprintf(name, sizeof name, "file:%s", conf->files[i]);
        tf->c = vg_pipeline_counters(conf->pipeline, name);
        if (!tf->path || !tf->line || !tf->c) goto fail;
        vg__batcher_init(&tf->bt, conf, tf->c, "file", true);
        tf->max_events = tf->bt.max_events;
        tf->bt.max_events = SIZE_MAX;   /* flush_file tags and submits batches */
    }
    load_state(s);
    if (pthread_create(&s->th, NULL, file_main, s) != 0) {
        rc = vg_err_set(err, VG_ESTATE, "cannot start the file tail thread");
        goto fail;
    }
    *out = s;
    return 0;
fail:
    if (rc == VG_ENOMEM) vg_err_set(err, rc, "out of memory");
    free_source(s);
    return rc;
}

static void stop(struct vg_source *s)
{
    if (!s) return;
    atomic_store(&s->stop, true);
    pthread_join(s->th, NULL);
    /* batches still in the pipeline point at our files: wait for their
     * commits (the pipeline is still running when sources stop) */
    int64_t deadline = vg_mono_ns() + 120 * 1000000000LL;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        size_t inflight = 0;
        for (size_t i = 0; i < s->nfiles; i++) inflight += s->files[i].rlen;
        if (!inflight) break;
        if (vg_mono_ns() > deadline) {
            /* never free what the writer may still touch */
            vg_error("ingest", "file: %zu batches still uncommitted at shutdown; leaking the tail state", inflight);
            pthread_mutex_unlock(&s->mu);
            return;
        }
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 50000000;
        if (ts.tv_nsec >= 1000000000) { ts.tv_sec++; ts.tv_nsec -= 1000000000; }
        pthread_cond_timedwait(&s->cv, &s->mu, &ts);
    }
    pthread_mutex_unlock(&s->mu);
    free_source(s);
}

const struct vg_source_ops vg_src_file = {
    .name = "file",
    .desc = "tails files line by line; follows rotation and truncation; positions persisted after commit",
    .start = start,
    .stop = stop,
};
