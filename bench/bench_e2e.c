/* End-to-end benchmark: TCP syslog -> decode -> committed in SQLite.
 *
 * 1. Baseline: the same load generator sends into an in-process discard
 *    listener for a few seconds (raw loopback TCP rate of this machine).
 * 2. Starts the real `vigil serve` on loopback ephemeral ports with a fresh
 *    data directory, pushes realistic, unique sshd/sudo lines over TCP as
 *    fast as the server accepts (blocking sends: back-pressure) for
 *    --seconds, and samples the committed count (vigil_events_stored_total
 *    of syslog-tcp at /metrics, incremented only after a commit) every
 *    second. Reports the sustained rate (average over the run, and the
 *    slowest 10 s window), then SIGTERMs the server and checks with the
 *    store itself that sent == stored.
 * 3. CPU cost, less sensitive to other load on the machine than rates:
 *    utime+stime of the server process (/proc/PID/stat) from the start of
 *    the load until everything sent was committed, per million events, and
 *    each thread's share (/proc/PID/task/TID/stat; the pipeline names its
 *    threads vg-writer and vg-decode).
 *
 * usage: bench_e2e [--vigil PATH] [--seconds N] [--conns N] [--workers N] [--keep] [--serve-arg ARG]...
 *                  [--sources N]   (failed logins from N addresses: a storm of repeats)
 *   PATH defaults to $VG_BIN/vigil, else ./vigil, else ../vigil. */
#include "vigil/http_client.h"
#include "vigil/store.h"
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static atomic_bool gen_stop;
static atomic_uint_fast64_t gen_sent;

struct gen { int port; int id; uint64_t sent; };

static const char *users[] = {"root", "admin", "oracle", "test", "ubuntu", "deploy", "git", "postgres"};

/* --sources N: the failed logins come from N addresses only (0: ~63,000),
 * so the same rule fires again and again on the same host, user and source
 * (an alert storm that repeat aggregation folds; docs/internals/incidents.md). */
static uint64_t nsources;

/* One realistic line, unique by (id, n). */
static int make_line(char *out, size_t sz, int id, uint64_t n, const struct vg_tm *tm)
{
    static const char *mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const char *u = users[n % VG_ARRAY_LEN(users)];
    unsigned ip3 = (unsigned)(n / 7 % 250) + 1, ip4 = (unsigned)(n % 253) + 1;
    if (nsources) ip3 = 1, ip4 = (unsigned)(n / 5 % nsources % 253) + 1;
    /* pid and port together are unique for n < 2.4e11 */
    unsigned long long pid = 100 + n % 4000000ull, port = 1024 + (n / 4000000ull) % 60000;
    switch (n % 5) {
    case 0: case 1: case 2:
        return snprintf(out, sz, "<38>%s %2d %02d:%02d:%02d web%d sshd[%llu]: Failed password for invalid user %s from 173.234.%u.%u port %llu ssh2\n",
                        mon[tm->mon - 1], tm->day, tm->hour, tm->min, tm->sec, id, pid, u, ip3, ip4, port);
    case 3:
        return snprintf(out, sz, "<38>%s %2d %02d:%02d:%02d web%d sshd[%llu]: Accepted publickey for %s from 10.%u.%u.%u port %llu ssh2: RSA SHA256:seq%llu\n",
                        mon[tm->mon - 1], tm->day, tm->hour, tm->min, tm->sec, id, pid, u, ip3, ip4, (unsigned)(n % 200),
                        port, (unsigned long long)n);
    default:
        return snprintf(out, sz, "<85>%s %2d %02d:%02d:%02d web%d sudo: %s : TTY=pts/%u ; PWD=/home/%s ; USER=root ; COMMAND=/usr/bin/systemctl restart app%llu\n",
                        mon[tm->mon - 1], tm->day, tm->hour, tm->min, tm->sec, id, u, (unsigned)(n % 9), u,
                        (unsigned long long)n);
    }
}

static int connect_port(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        if (fd >= 0) close(fd);
        return -1;
    }
    return fd;
}

static void *gen_main(void *arg)
{
    struct gen *g = arg;
    int fd = connect_port(g->port);
    if (fd < 0) { perror("bench_e2e: connect"); return NULL; }
    char *buf = malloc(1 << 16);
    uint64_t n = 0;
    while (!atomic_load(&gen_stop)) {
        struct vg_tm tm;
        vg_time_to_tm(vg_now_ns(), &tm);
        size_t len = 0;
        uint64_t in_buf = 0;
        while (len < (1 << 16) - 400) {
            /* unique per generator and line: the counter goes into the line */
            int k = make_line(buf + len, (1 << 16) - len, g->id, n * 16 + (uint64_t)g->id, &tm);
            len += (size_t)k;
            n++;
            in_buf++;
        }
        size_t off = 0;
        while (off < len) {
            ssize_t w = send(fd, buf + off, len - off, MSG_NOSIGNAL);
            if (w <= 0) { if (errno == EINTR) continue; perror("bench_e2e: send"); goto out; }
            off += (size_t)w;
        }
        g->sent += in_buf;
        atomic_fetch_add(&gen_sent, in_buf);
    }
out:
    close(fd);
    free(buf);
    return NULL;
}

/* ---- baseline: discard listener ---------------------------------------- */
static atomic_uint_fast64_t discard_lines;
static int discard_fd;

static void *discard_conn(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char *buf = malloc(1 << 18);
    for (;;) {
        ssize_t r = read(fd, buf, 1 << 18);
        if (r <= 0) break;
        uint64_t nl = 0;
        for (const char *p = buf, *e = buf + r; (p = memchr(p, '\n', (size_t)(e - p))); p++) nl++;
        atomic_fetch_add(&discard_lines, nl);
    }
    free(buf);
    close(fd);
    return NULL;
}

static void *discard_accept(void *arg)
{
    (void)arg;
    for (;;) {
        int fd = accept(discard_fd, NULL, NULL);
        if (fd < 0) break;
        pthread_t t;
        pthread_create(&t, NULL, discard_conn, (void *)(intptr_t)fd);
        pthread_detach(t);
    }
    return NULL;
}

static double run_generators(int port, int conns, double seconds, uint64_t (*count)(void *), void *ctx,
                             double *min_window)
{
    pthread_t th[16];
    struct gen g[16];
    atomic_store(&gen_stop, false);
    for (int i = 0; i < conns; i++) {
        g[i] = (struct gen){port, i, 0};
        pthread_create(&th[i], NULL, gen_main, &g[i]);
    }
    int64_t t0 = vg_mono_ns();
    uint64_t c0 = count(ctx), hist[1024];
    int nh = 0;
    hist[nh++] = c0;
    double worst = -1;
    while ((double)(vg_mono_ns() - t0) / 1e9 < seconds) {
        usleep(1000000);
        uint64_t c = count(ctx);
        if (nh < 1024) hist[nh++] = c;
        if (nh > 10) {
            double w = (double)(hist[nh - 1] - hist[nh - 11]) / 10.0;
            if (worst < 0 || w < worst) worst = w;
        }
        printf("  t=%3ds committed/received %llu (+%llu/s), sent %llu\n", nh - 1, (unsigned long long)(c - c0),
               (unsigned long long)(nh >= 2 ? hist[nh - 1] - hist[nh - 2] : 0),
               (unsigned long long)atomic_load(&gen_sent));
        fflush(stdout);
    }
    double el = (double)(vg_mono_ns() - t0) / 1e9;
    uint64_t c1 = count(ctx);
    atomic_store(&gen_stop, true);
    for (int i = 0; i < conns; i++) pthread_join(th[i], NULL);
    if (min_window) *min_window = worst;
    return (double)(c1 - c0) / el;
}

static uint64_t count_discard(void *ctx) { (void)ctx; return atomic_load(&discard_lines); }

/* ---- CPU time of the server from /proc ---------------------------------- */
struct tcpu { int tid; char comm[32]; double s; };
struct cpu_snap { double total; struct tcpu t[256]; int n; };

/* Reads "pid (comm) state ..." and returns utime+stime in seconds. */
static double stat_cpu(const char *path, char *comm, size_t csz)
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char line[1024];
    size_t n = fread(line, 1, sizeof line - 1, f);
    fclose(f);
    line[n] = 0;
    char *l = strchr(line, '('), *r = strrchr(line, ')');
    if (!l || !r || r < l) return -1;
    if (comm) snprintf(comm, csz, "%.*s", (int)(r - l - 1), l + 1);
    /* after ") ": field 3 is state; utime and stime are fields 14 and 15 */
    char *p = r + 2;
    unsigned long long ut = 0, st = 0;
    for (int field = 3; field <= 15 && p && *p; field++) {
        if (field == 14) ut = strtoull(p, NULL, 10);
        if (field == 15) st = strtoull(p, NULL, 10);
        p = strchr(p, ' ');
        if (p) p++;
    }
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static void cpu_snapshot(pid_t pid, struct cpu_snap *c)
{
    char path[128];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    c->total = stat_cpu(path, NULL, 0);
    c->n = 0;
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) && c->n < 256) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        char tp[300];
        snprintf(tp, sizeof tp, "/proc/%d/task/%s/stat", (int)pid, e->d_name);
        struct tcpu *t = &c->t[c->n];
        t->tid = (int)strtol(e->d_name, NULL, 10);
        t->s = stat_cpu(tp, t->comm, sizeof t->comm);
        if (t->s >= 0) c->n++;
    }
    closedir(d);
}

static int tcpu_cmp(const void *a, const void *b)
{
    const struct tcpu *x = a, *y = b;
    return x->s < y->s ? 1 : x->s > y->s ? -1 : 0;
}

/* Prints the server's CPU seconds between two snapshots, per million events
 * and per thread (threads grouped by name). */
static void cpu_report(const struct cpu_snap *a, const struct cpu_snap *b, uint64_t events)
{
    double total = b->total - a->total;
    printf("server CPU: %.1f s (user+system) for %llu events = %.2f CPU-s per million events (%.0f events per CPU-second)\n",
           total, (unsigned long long)events, events ? total / ((double)events / 1e6) : 0,
           total > 0 ? (double)events / total : 0);
    struct tcpu d[256];
    int n = 0;
    for (int i = 0; i < b->n; i++) {
        double s0 = 0;
        for (int k = 0; k < a->n; k++) if (a->t[k].tid == b->t[i].tid) s0 = a->t[k].s;
        d[n] = b->t[i];
        d[n].s -= s0;
        n++;
    }
    qsort(d, (size_t)n, sizeof *d, tcpu_cmp);
    /* group by thread name */
    struct { char comm[32]; double s; int cnt; } g[64];
    int ng = 0;
    for (int i = 0; i < n; i++) {
        int k = 0;
        while (k < ng && strcmp(g[k].comm, d[i].comm) != 0) k++;
        if (k == ng) {
            if (ng == 64) continue;
            snprintf(g[ng].comm, sizeof g[ng].comm, "%s", d[i].comm);
            g[ng].s = 0;
            g[ng].cnt = 0;
            ng++;
        }
        g[k].s += d[i].s;
        g[k].cnt++;
    }
    for (int k = 0; k < ng; k++)
        printf("  threads %-16s x%-3d %7.1f CPU-s  %5.1f %% of the server\n", g[k].comm, g[k].cnt, g[k].s,
               total > 0 ? 100.0 * g[k].s / total : 0);
    double live = 0;
    for (int k = 0; k < ng; k++) live += g[k].s;
    printf("  threads that exited before the end (TCP connection readers) %.1f CPU-s  %5.1f %% of the server\n",
           total - live, total > 0 ? 100.0 * (total - live) / total : 0);
    for (int i = 0; i < n && i < 4; i++)
        printf("  busiest thread %d (%s): %.1f CPU-s = %.1f %% of the server, %.2f CPU-s per million events\n", d[i].tid,
               d[i].comm, d[i].s, total > 0 ? 100.0 * d[i].s / total : 0, events ? d[i].s / ((double)events / 1e6) : 0);
}

/* ---- the real server --------------------------------------------------- */
struct srv { pid_t pid; int tcp_port; char http[64]; char token[256]; char data[256]; };

static uint64_t count_committed(void *ctx)
{
    struct srv *s = ctx;
    char url[128];
    snprintf(url, sizeof url, "http://%s/metrics", s->http);
    struct vg_http_request rq = {.method = "GET", .url = url, .token = s->token, .timeout_ms = 10000};
    struct vg_http_response resp;
    memset(&resp, 0, sizeof resp);
    uint64_t v = 0;
    if (vg_http_fetch(&rq, &resp, NULL) == 0 && resp.status == 200 && resp.body) {
        const char *key = "vigil_events_stored_total{source=\"syslog-tcp\"} ";
        const char *p = strstr(resp.body, key);
        if (p) {
            p += strlen(key);
            const char *e = strchr(p, '\n');
            vg_parse_u64(p, e ? (size_t)(e - p) : strlen(p), &v);
        }
    }
    vg_http_response_release(&resp);
    return v;
}

/* Extra arguments for `vigil serve` (--serve-arg, repeatable), e.g.
 * --no-default-rules to measure the pipeline without detection. */
static const char *serve_extra[16];
static int nserve_extra;

static int start_server(struct srv *s, const char *vigil, int workers)
{
    int pfd[2];
    if (pipe(pfd) != 0) return -1;
    char wbuf[16];
    snprintf(wbuf, sizeof wbuf, "%d", workers);
    s->pid = fork();
    if (s->pid == 0) {
        dup2(pfd[1], 1);
        close(pfd[0]);
        const char *av[40] = {vigil, "serve", "--data", s->data, "--http", "127.0.0.1:0", "--syslog-tcp", "127.0.0.1:0",
                              "--syslog-udp", "off", "--workers", wbuf, "--log-level", "warn"};
        int ac = 14;
        for (int i = 0; i < nserve_extra; i++) av[ac++] = serve_extra[i];
        av[ac] = NULL;
        execv(vigil, (char *const *)av);
        perror("exec vigil");
        _exit(127);
    }
    close(pfd[1]);
    FILE *f = fdopen(pfd[0], "r");
    char line[512];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        if (strncmp(line, "admin token: ", 13) == 0) snprintf(s->token, sizeof s->token, "%.255s", line + 13);
        else if (strncmp(line, "listening syslog-tcp ", 21) == 0) s->tcp_port = (int)strtol(strrchr(line, ':') + 1, NULL, 10);
        else if (strncmp(line, "listening http ", 15) == 0) snprintf(s->http, sizeof s->http, "%.63s", line + 15);
        else if (strcmp(line, "ready") == 0) break;
    }
    /* keep reading stdout in the background is unnecessary: the server prints nothing more */
    fclose(f);
    return s->tcp_port && s->http[0] && s->token[0] ? 0 : -1;
}

int main(int argc, char **argv)
{
    const char *vigil = NULL;
    double seconds = 60;
    int conns = 2, workers = 0;
    bool keep = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--vigil") == 0 && i + 1 < argc) vigil = argv[++i];
        else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) seconds = strtod(argv[++i], NULL);
        else if (strcmp(argv[i], "--conns") == 0 && i + 1 < argc) conns = (int)strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--workers") == 0 && i + 1 < argc) workers = (int)strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--keep") == 0) keep = true;
        else if (strcmp(argv[i], "--serve-arg") == 0 && i + 1 < argc && nserve_extra < 16) serve_extra[nserve_extra++] = argv[++i];
        else if (strcmp(argv[i], "--sources") == 0 && i + 1 < argc) nsources = strtoull(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "usage: bench_e2e [--vigil PATH] [--seconds N] [--conns N] [--workers N] [--keep] [--serve-arg ARG]... [--sources N]\n");
            return 2;
        }
    }
    if (conns < 1) conns = 1;
    if (conns > 16) conns = 16;
    static char pathbuf[1024];
    if (!vigil) {
        const char *bin = getenv("VG_BIN");
        if (bin) { snprintf(pathbuf, sizeof pathbuf, "%s/vigil", bin); vigil = pathbuf; }
        else vigil = access("./vigil", X_OK) == 0 ? "./vigil" : "../vigil";
    }
    signal(SIGPIPE, SIG_IGN);

    /* 1. baseline */
    discard_fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    socklen_t al = sizeof a;
    if (bind(discard_fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(discard_fd, 16) != 0) { perror("listen"); return 1; }
    getsockname(discard_fd, (struct sockaddr *)&a, &al);
    pthread_t at;
    pthread_create(&at, NULL, discard_accept, NULL);
    printf("baseline: generator -> discard listener (%d connections, 5 s)\n", conns);
    double base = run_generators(ntohs(a.sin_port), conns, 5, count_discard, NULL, NULL);
    shutdown(discard_fd, SHUT_RDWR);
    close(discard_fd);
    usleep(200000);
    printf("baseline rate: %.0f lines/s\n\n", base);

    /* 2. the real server */
    struct srv s;
    memset(&s, 0, sizeof s);
    snprintf(s.data, sizeof s.data, "/tmp/vg_bench_e2e_XXXXXX");
    if (!mkdtemp(s.data)) { perror("mkdtemp"); return 1; }
    if (start_server(&s, vigil, workers) != 0) { fprintf(stderr, "bench_e2e: server did not start (%s)\n", vigil); return 1; }
    printf("server: %s, data %s, syslog-tcp port %d, http %s, workers %d\n", vigil, s.data, s.tcp_port, s.http, workers);
    atomic_store(&gen_sent, 0);
    double worst = 0;
    static struct cpu_snap cpu0, cpu1;
    uint64_t committed0 = count_committed(&s);
    cpu_snapshot(s.pid, &cpu0);
    double rate = run_generators(s.tcp_port, conns, seconds, count_committed, &s, &worst);
    uint64_t sent = atomic_load(&gen_sent);
    /* let the server catch up, then stop it cleanly */
    int64_t t_catch = vg_mono_ns();
    uint64_t last = 0;
    for (int i = 0; i < 600; i++) {
        last = count_committed(&s);
        if (last >= sent) break;
        usleep(100000);
    }
    double catch_s = (double)(vg_mono_ns() - t_catch) / 1e9;
    cpu_snapshot(s.pid, &cpu1);
    kill(s.pid, SIGTERM);
    int st = 0;
    waitpid(s.pid, &st, 0);
    /* count in the store itself */
    struct vg_store *store = NULL;
    struct vg_err err = VG_ERR_INIT;
    uint64_t stored = 0;
    if (vg_store_open(&store, s.data, &err) == 0) {
        struct vg_store_stats ss;
        memset(&ss, 0, sizeof ss);
        if (store->ops->stats && store->ops->stats(store, "default", &ss, &err) == 0) stored = ss.events;
        vg_store_close(store);
    } else {
        fprintf(stderr, "bench_e2e: cannot open the store: %s\n", err.msg);
    }
    printf("\nsent %llu lines in %.0f s; committed (metrics) %llu; in the store after shutdown: %llu; catch-up after the load %.1f s\n",
           (unsigned long long)sent, seconds, (unsigned long long)last, (unsigned long long)stored, catch_s);
    printf("server exit status: %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    printf("e2e sustained rate: %.0f events/s committed (slowest 10 s window %.0f/s)\n", rate, worst);
    printf("baseline (raw TCP into a discard listener): %.0f lines/s; ratio e2e/baseline = %.3f\n", base, base > 0 ? rate / base : 0);
    printf("sent == stored: %s (sent %llu, stored %llu)\n", stored == sent ? "yes, nothing lost" : "NO",
           (unsigned long long)sent, (unsigned long long)stored);
    cpu_report(&cpu0, &cpu1, last - committed0);
    if (!keep) {
        char cmd[400];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", s.data);
        if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", s.data);
    }
    return stored == sent ? 0 : 1;
}
