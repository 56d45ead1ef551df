/* bench_store: throughput of the SQLite store's put_events on synthetic
 * syslog events (~300 bytes, 9 fields) in pipeline-sized transactions,
 * database bytes per event, and search rates, against a baseline measured
 * in the same run: a plain row-per-event table with 3 indexes (id unique,
 * ts, host) holding the event JSON, inserted the same way.
 *
 *   bench_store [EVENTS [BATCH]]       (default 1000000 5000)
 *   VIGIL_SQLITE_SYNC=normal bench_store  synchronous=NORMAL (default FULL) for both
 *   VG_BENCH_KEEP=1 bench_store         keep the Vigil store directory
 *   VG_BENCH_PUT_ONLY=1 bench_store     stop after the Vigil insert phase
 *   VG_BENCH_SECOND_TS=1 bench_store    timestamps of whole seconds (like RFC 3164 syslog)
 *
 * Only the store calls are timed; generating events is not. The Vigil
 * insert is done as the pipeline does it, in two steps timed apart:
 * ops->prepare (encoding, compression, blooms: the part decode workers run
 * in parallel) and ops->put_prepared (the SQLite transaction: the part the
 * single writer thread runs). The commit step's CPU time gives the writer's
 * ceiling in events per CPU-second. */
#include "vigil/store.h"
#include <dirent.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const progs[] = {"sshd", "sudo", "nginx", "kernel", "CRON", "systemd", "postfix/smtpd", "dhclient"};
static const char *const tmpl[] = {
    "Failed password for invalid user %s from %s port %d ssh2",
    "Accepted publickey for %s from %s port %d ssh2: RSA SHA256:%s",
    "pam_unix(sudo:session): session opened for user root(uid=0) by %s(uid=1000) src=%s port=%d",
    "%s - - \"GET /api/v2/items?id=%d HTTP/1.1\" 200 5123 \"-\" \"Mozilla/5.0 (X11; Linux x86_64) %s\"",
    "connection from %s port %d user %s: reverse mapping checking getaddrinfo failed - POSSIBLE BREAK-IN",
};

struct rng { uint64_t s; };
static uint64_t rnd(struct rng *r)
{
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    return r->s;
}

static void rm_rf(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char p[512];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t fsize(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* Builds one batch of n syslog-like events starting at event number base. */
static struct vg_batch *gen(struct rng *r, size_t base, size_t n, int64_t t0)
{
    struct vg_batch *b = vg_batch_new(n);
    for (size_t i = 0; i < n; i++) {
        size_t k = base + i;
        struct vg_event *ev = vg_batch_push(b);
        char user[32], ip[48], host[32], sess[40], msg[400], raw[600];
        snprintf(user, sizeof user, "user%u", (unsigned)(rnd(r) % 500));
        snprintf(ip, sizeof ip, "10.%u.%u.%u", (unsigned)(rnd(r) % 4), (unsigned)(rnd(r) % 256), (unsigned)(rnd(r) % 256));
        snprintf(host, sizeof host, "web-%03u", (unsigned)(rnd(r) % 50));
        snprintf(sess, sizeof sess, "%016llx", (unsigned long long)rnd(r));
        int port = (int)(rnd(r) % 64000) + 1024, pid = (int)(rnd(r) % 30000) + 100;
        unsigned t = (unsigned)(rnd(r) % VG_ARRAY_LEN(tmpl)), pr = (unsigned)(rnd(r) % VG_ARRAY_LEN(progs));
        switch (t) {
        case 0: snprintf(msg, sizeof msg, tmpl[0], user, ip, port); break;
        case 1: snprintf(msg, sizeof msg, tmpl[1], user, ip, port, sess); break;
        case 2: snprintf(msg, sizeof msg, tmpl[2], user, ip, port); break;
        case 3: snprintf(msg, sizeof msg, tmpl[3], ip, port, sess); break;
        default: snprintf(msg, sizeof msg, tmpl[4], ip, port, user); break;
        }
        int64_t ts = t0 + (int64_t)k * 10000; /* 100 k events/s of wall time */
        if (getenv("VG_BENCH_SECOND_TS")) ts -= ts % 1000000000; /* RFC 3164-like: whole seconds */
        char tsb[48];
        vg_time_format(ts, tsb, sizeof tsb, 6);
        int rl = snprintf(raw, sizeof raw, "<38>1 %s %s.prod.example.com %s %d - [meta sequenceId=\"%zu\" "
                          "session=\"%s\" region=\"eu-west-%u\" team=\"platform\"] %s", tsb, host, progs[pr], pid, k, sess,
                          (unsigned)(k % 3), msg);
        ev->ts = ts;
        ev->recv_ts = ts + 1000000;
        ev->collector = "syslog-tcp";
        ev->format = "rfc5424";
        vg_event_set_raw(ev, raw, (size_t)rl);
        const char *rw = ev->raw;
        const char *hp = strstr(rw, host), *pp = strstr(rw, progs[pr]), *mp = strstr(rw, msg), *up = strstr(mp, user),
                   *ipp = strstr(mp, ip);
        ev->host = vg_arena_strndup(&b->arena, host, strlen(host));
        vg_event_add_str(ev, VG_FID_HOST_NAME, VG_FF_ECS, hp, strlen(host));
        vg_event_add_str(ev, VG_FID_PROCESS_NAME, VG_FF_ECS, pp, strlen(progs[pr]));
        vg_event_add_int(ev, VG_FID_PROCESS_PID, VG_FF_ECS, pid);
        vg_event_add_str(ev, VG_FID_MESSAGE, VG_FF_ECS, mp, strlen(msg));
        if (up) vg_event_add_str(ev, VG_FID_USER_NAME, VG_FF_ECS, up, strlen(user));
        if (ipp) vg_event_add_ip(ev, VG_FID_SOURCE_IP, VG_FF_ECS, ipp, strlen(ip));
        vg_event_add_int(ev, VG_FID_SOURCE_PORT, VG_FF_ECS, port);
        vg_event_add_int(ev, VG_FID_LOG_SYSLOG_PRIORITY, VG_FF_ECS, 38);
        vg_event_add_str(ev, VG_FID_EVENT_OUTCOME, VG_FF_ECS, t == 0 || t == 4 ? "failure" : "success",
                         t == 0 || t == 4 ? 7 : 7);
        vg_event_finish(ev);
    }
    return b;
}

static int count_cb(void *ctx, const struct vg_stored_event *ev)
{
    (void)ev;
    (*(size_t *)ctx)++;
    return 0;
}

int main(int argc, char **argv)
{
    size_t total = argc > 1 ? (size_t)strtoull(argv[1], NULL, 10) : 1000000;
    size_t batch = argc > 2 ? (size_t)strtoull(argv[2], NULL, 10) : 5000;
    if (total == 0 || batch == 0) { fprintf(stderr, "usage: bench_store [EVENTS [BATCH]]\n"); return 2; }
    const char *sync = getenv("VIGIL_SQLITE_SYNC");
    char dir[] = "/tmp/vg_bench_store_XXXXXX";
    if (!mkdtemp(dir)) { perror("mkdtemp"); return 1; }
    int64_t t0 = vg_time_from_civil(2024, 3, 1, 23, 59, 0); /* crosses midnight: two partitions */
    printf("bench_store: %zu events, %zu per transaction, synchronous=%s\n", total, batch,
           sync && !strcmp(sync, "normal") ? "NORMAL" : "FULL");

    /* ---- Vigil store ---- */
    struct vg_store *s;
    struct vg_err e = VG_ERR_INIT;
    if (vg_store_open(&s, dir, &e)) { fprintf(stderr, "open: %s\n", e.msg); return 1; }
    struct rng r = {0x9E3779B97F4A7C15ull};
    double t_store = 0, c_store = 0, c_prep = 0, c_commit = 0, t_commit = 0;
    size_t raw_bytes = 0, stored_total = 0;
    const struct vg_event **ptr = malloc(batch * sizeof *ptr);
    for (size_t off = 0; off < total; off += batch) {
        size_t n = total - off < batch ? total - off : batch;
        struct vg_batch *b = gen(&r, off, n, t0);
        for (size_t i = 0; i < n; i++) { ptr[i] = &b->ev[i]; raw_bytes += b->ev[i].raw_len; }
        size_t st, du;
        int64_t a = vg_mono_ns();
        double c0 = cpu_s();
        struct vg_store_prepared *pp = NULL;
        if (s->ops->prepare(s, ptr, n, &pp, &e)) { fprintf(stderr, "prepare: %s\n", e.msg); return 1; }
        double c1 = cpu_s();
        int64_t a1 = vg_mono_ns();
        if (s->ops->put_prepared(s, &pp, 1, &st, &du, &e)) { fprintf(stderr, "put: %s\n", e.msg); return 1; }
        double c2 = cpu_s();
        int64_t a2 = vg_mono_ns();
        s->ops->prepared_free(pp);
        c_prep += c1 - c0;
        c_commit += c2 - c1;
        t_commit += (double)(a2 - a1) / 1e9;
        c_store += cpu_s() - c0;
        t_store += (double)(vg_mono_ns() - a) / 1e9;
        stored_total += st;
        vg_batch_free(b);
    }
    /* re-delivery of the last batch: all duplicates */
    struct rng r2 = r;
    (void)r2;
    vg_store_close(s);
    char db[256], wal[260];
    snprintf(db, sizeof db, "%s/vigil.db", dir);
    snprintf(wal, sizeof wal, "%s/vigil.db-wal", dir);
    uint64_t vg_bytes = fsize(db) + fsize(wal);
    double vg_rate = (double)total / t_store;
    printf("vigil blocks : %9.0f events/s wall, %9.0f events/s per CPU-second  (%.2f s, %zu stored)  %.1f bytes/event on disk"
           "  (avg raw %.0f bytes)\n", vg_rate, (double)total / c_store, t_store, stored_total, (double)vg_bytes / (double)total,
           (double)raw_bytes / (double)total);
    printf("  split: prepare %.2f CPU-s per million events (parallel, decode workers), commit %.2f CPU-s per million "
           "events (single writer) = writer ceiling %.0f events per CPU-second, %.0f events/s wall\n",
           c_prep / ((double)total / 1e6), c_commit / ((double)total / 1e6), (double)total / c_commit,
           (double)total / t_commit);

    if (getenv("VG_BENCH_PUT_ONLY")) { rm_rf(dir); return 0; } /* for profiling the write path */
    /* ---- search ---- */
    if (vg_store_open(&s, dir, &e)) { fprintf(stderr, "reopen: %s\n", e.msg); return 1; }
    const char *queries[] = {"source.ip:10.2.33.44", "user.name:user42 AND source.ip:10.1.0.0/16", "session opened user.name:user7",
                             "\"POSSIBLE BREAK-IN\" user.name:user42", "process.name:nosuchprogram", ""};
    for (size_t qi = 0; qi < VG_ARRAY_LEN(queries); qi++) {
        struct vg_query q = VG_QUERY_INIT;
        if (vg_query_parse(&q, queries[qi], &e)) { fprintf(stderr, "query: %s\n", e.msg); return 1; }
        q.limit = 100;
        size_t hits = 0;
        uint64_t cnt = 0;
        int64_t a = vg_mono_ns();
        if (vg_store_search(s, &q, count_cb, &hits, &e)) { fprintf(stderr, "search: %s\n", e.msg); return 1; }
        double ts1 = (double)(vg_mono_ns() - a) / 1e9;
        a = vg_mono_ns();
        if (s->ops->count(s, &q, &cnt, &e)) { fprintf(stderr, "count: %s\n", e.msg); return 1; }
        double ts2 = (double)(vg_mono_ns() - a) / 1e9;
        printf("search %-44s limit 100: %3zu hits in %7.1f ms | count %7llu in %7.1f ms = %6.2f M events/s scanned\n",
               queries[qi][0] ? queries[qi] : "(all)", hits, ts1 * 1e3, (unsigned long long)cnt, ts2 * 1e3,
               (double)total / ts2 / 1e6);
        vg_query_release(&q);
    }
    /* full scan with a non-prunable predicate */
    {
        struct vg_query q = VG_QUERY_INIT;
        vg_query_parse(&q, "*BREAK-IN*", &e);
        uint64_t cnt = 0;
        int64_t a = vg_mono_ns();
        s->ops->count(s, &q, &cnt, &e);
        double tsec = (double)(vg_mono_ns() - a) / 1e9;
        printf("scan   %-44s           : count %7llu in %7.1f ms = %6.2f M events/s scanned\n", "*BREAK-IN* (no pruning)",
               (unsigned long long)cnt, tsec * 1e3, (double)total / tsec / 1e6);
        vg_query_release(&q);
    }
    vg_store_close(s);
    if (getenv("VG_BENCH_KEEP")) printf("kept the Vigil store in %s\n", dir); /* for manual `vigil search --data` */
    else rm_rf(dir);

    /* ---- baseline: row per event, 3 indexes ---- */
    char bdir[] = "/tmp/vg_bench_base_XXXXXX";
    if (!mkdtemp(bdir)) return 1;
    snprintf(db, sizeof db, "%s/base.db", bdir);
    snprintf(wal, sizeof wal, "%s/base.db-wal", bdir);
    sqlite3 *bd;
    sqlite3_open(db, &bd);
    char pragmas[256];
    snprintf(pragmas, sizeof pragmas, "PRAGMA journal_mode=WAL; PRAGMA synchronous=%s; PRAGMA cache_size=-65536;",
             sync && !strcmp(sync, "normal") ? "NORMAL" : "FULL");
    sqlite3_exec(bd, pragmas, NULL, NULL, NULL);
    sqlite3_exec(bd,
                 "CREATE TABLE events(id BLOB NOT NULL UNIQUE, ts INTEGER NOT NULL, tenant TEXT NOT NULL, host TEXT, "
                 "collector TEXT, format TEXT, raw TEXT, doc TEXT);"
                 "CREATE INDEX events_ts ON events(ts); CREATE INDEX events_host ON events(host);",
                 NULL, NULL, NULL);
    sqlite3_stmt *ins;
    sqlite3_prepare_v2(bd, "INSERT OR IGNORE INTO events VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", -1, &ins, NULL);
    r.s = 0x9E3779B97F4A7C15ull;
    double t_base = 0, c_base = 0;
    struct vg_buf js = VG_BUF_INIT;
    for (size_t off = 0; off < total; off += batch) {
        size_t n = total - off < batch ? total - off : batch;
        struct vg_batch *b = gen(&r, off, n, t0);
        int64_t a = vg_mono_ns();
        double c0 = cpu_s();
        sqlite3_exec(bd, "BEGIN IMMEDIATE", NULL, NULL, NULL);
        for (size_t i = 0; i < n; i++) {
            const struct vg_event *ev = &b->ev[i];
            vg_buf_reset(&js);
            vg_event_to_json(ev, &js);
            sqlite3_bind_blob(ins, 1, ev->id, 16, SQLITE_STATIC);
            sqlite3_bind_int64(ins, 2, ev->ts);
            sqlite3_bind_text(ins, 3, ev->tenant, -1, SQLITE_STATIC);
            sqlite3_bind_text(ins, 4, ev->host, -1, SQLITE_STATIC);
            sqlite3_bind_text(ins, 5, ev->collector, -1, SQLITE_STATIC);
            sqlite3_bind_text(ins, 6, ev->format, -1, SQLITE_STATIC);
            sqlite3_bind_text(ins, 7, ev->raw, (int)ev->raw_len, SQLITE_STATIC);
            sqlite3_bind_text(ins, 8, js.data, (int)js.len, SQLITE_STATIC);
            if (sqlite3_step(ins) != SQLITE_DONE) { fprintf(stderr, "baseline: %s\n", sqlite3_errmsg(bd)); return 1; }
            sqlite3_reset(ins);
        }
        sqlite3_exec(bd, "COMMIT", NULL, NULL, NULL);
        c_base += cpu_s() - c0;
        t_base += (double)(vg_mono_ns() - a) / 1e9;
        vg_batch_free(b);
    }
    vg_buf_release(&js);
    sqlite3_finalize(ins);
    /* baseline search: LIKE over the JSON (no field index) */
    sqlite3_stmt *qs;
    sqlite3_prepare_v2(bd, "SELECT count(*) FROM events WHERE doc LIKE '%BREAK-IN%'", -1, &qs, NULL);
    int64_t a = vg_mono_ns();
    sqlite3_step(qs);
    long long bcnt = sqlite3_column_int64(qs, 0);
    double tq = (double)(vg_mono_ns() - a) / 1e9;
    sqlite3_finalize(qs);
    sqlite3_close(bd);
    uint64_t base_bytes = fsize(db) + fsize(wal);
    double base_rate = (double)total / t_base;
    printf("baseline rows: %9.0f events/s wall, %9.0f events/s per CPU-second  (%.2f s)  %.1f bytes/event on disk\n",
           base_rate, (double)total / c_base, t_base, (double)base_bytes / (double)total);
    printf("baseline scan  LIKE '%%BREAK-IN%%'                          : count %7lld in %7.1f ms = %6.2f M events/s scanned\n",
           bcnt, tq * 1e3, (double)total / tq / 1e6);
    printf("ratio: insert %.2fx faster (wall), %.2fx (CPU), %.2fx smaller than the row-per-event baseline\n",
           vg_rate / base_rate, c_base / c_store, (double)base_bytes / (double)vg_bytes);
    rm_rf(bdir);
    free(ptr);
    return 0;
}
