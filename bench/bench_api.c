/* HTTP API benchmark over loopback, all in one process:
 *
 * 1. Baseline: GET /healthz requests/s (HTTP + connection cost, no work).
 * 2. POST /api/v1/ingest with batches of 1,000 unique JSON events into the
 *    API with an inline-commit pipeline stub: the API layer alone (read
 *    body, split, validate, build the batch, suspend/resume, answer).
 * 3. The same into the real pipeline and SQLite store in a temporary
 *    directory (decode + commit included; answered after commit).
 *
 * Prints requests/s and events/s for each and the ratios to the baseline.
 * One request per connection (the client sends Connection: close), N client
 * threads (default 2).
 *
 * usage: bench_api [--seconds N] [--clients N] [--batch N] [--threads N] */
#include "api/internal.h"
#include "vigil/http_client.h"
#include <unistd.h>

static int g_seconds = 3, g_clients = 2, g_batch = 1000, g_threads = 4;
static atomic_bool stop_flag;
static atomic_uint_fast64_t total_reqs, total_events, total_fail;
static atomic_uint_fast64_t uniq;

/* ---- inline pipeline stub and token store --------------------------- */

static int stub_pipeline_obj;
static struct vg_source_counters stub_counters = {.name = "http"};

static int stub_submit(struct vg_pipeline *p, struct vg_batch *b, struct vg_source_counters *src, bool block)
{
    (void)p, (void)src, (void)block;
    b->on_commit(b->ack, 0);
    vg_batch_free(b);
    return 0;
}
static struct vg_source_counters *stub_counters_fn(struct vg_pipeline *p, const char *name)
{
    (void)p, (void)name;
    return &stub_counters;
}
static int stub_metrics(struct vg_pipeline *p, struct vg_buf *out)
{
    (void)p;
    return vg_buf_adds(out, "# EOF\n");
}
static int stub_token_check(struct vg_store *s, const char *secret, struct vg_token_info *info, struct vg_err *err)
{
    (void)s;
    if (strcmp(secret, "benchtoken") != 0) return vg_err_set(err, VG_EAUTH, "bad token");
    memset(info, 0, sizeof *info);
    snprintf(info->role, sizeof info->role, "admin");
    snprintf(info->tenant, sizeof info->tenant, "default");
    snprintf(info->name, sizeof info->name, "bench");
    return 0;
}
static void stub_close(struct vg_store *s) { vg_free(s); }
static const struct vg_store_ops stub_ops = {.name = "stub", .close = stub_close, .token_check = stub_token_check};
static int stub_open(struct vg_store **out, const char *loc, struct vg_err *err)
{
    (void)loc, (void)err;
    struct vg_store *s = vg_calloc(1, sizeof *s);
    if (!s) return VG_ENOMEM;
    s->ops = &stub_ops;
    *out = s;
    return 0;
}
static int stub_parse(struct vg_query *q, const char *t, struct vg_err *e) { (void)q, (void)t; return vg_err_set(e, VG_EUNSUP, "no"); }
static void stub_release(struct vg_query *q) { (void)q; }

/* ---- load generator -------------------------------------------------- */

struct client {
    const char *url, *token;
    bool ingest;
};

static int make_body(struct vg_buf *b, int n)
{
    static const char *users[] = {"root", "alice", "bob", "deploy", "www-data", "postgres"};
    uint64_t base = atomic_fetch_add(&uniq, (uint64_t)n);
    int rc = 0;
    for (int i = 0; rc == 0 && i < n; i++) {
        uint64_t k = base + (uint64_t)i;
        rc = vg_buf_addf(b,
                         "{\"@timestamp\":\"2024-05-01T10:%02u:%02u.%06uZ\",\"host\":{\"name\":\"web-%02u\"},"
                         "\"user\":{\"name\":\"%s\"},\"source\":{\"ip\":\"10.%u.%u.%u\",\"port\":%u},"
                         "\"event\":{\"action\":\"login\",\"outcome\":\"%s\"},\"message\":\"login attempt %llu\"}\n",
                         (unsigned)(k / 60 % 60), (unsigned)(k % 60), (unsigned)(k % 1000000), (unsigned)(k % 40),
                         users[k % 6], (unsigned)(k >> 16 & 255), (unsigned)(k >> 8 & 255), (unsigned)(k & 255),
                         (unsigned)(1024 + k % 60000), k % 3 ? "success" : "failure", (unsigned long long)k);
    }
    return rc;
}

static void *client_main(void *arg)
{
    struct client *c = arg;
    struct vg_buf body = VG_BUF_INIT;
    while (!atomic_load(&stop_flag)) {
        vg_buf_reset(&body);
        if (c->ingest && make_body(&body, g_batch)) break;
        struct vg_http_request rq = {.method = c->ingest ? "POST" : "GET", .url = c->url, .token = c->token,
                                     .content_type = c->ingest ? "application/x-ndjson" : NULL,
                                     .body = c->ingest ? body.data : NULL, .body_len = c->ingest ? body.len : 0};
        struct vg_http_response resp;
        struct vg_err err = VG_ERR_INIT;
        if (vg_http_fetch(&rq, &resp, &err) == 0 && resp.status == 200) {
            atomic_fetch_add(&total_reqs, 1);
            if (c->ingest) atomic_fetch_add(&total_events, (uint64_t)g_batch);
        } else {
            atomic_fetch_add(&total_fail, 1);
        }
        vg_http_response_release(&resp);
    }
    vg_buf_release(&body);
    return NULL;
}

struct result { double rps, eps, secs; uint64_t fails; };

static struct result run_load(int port, const char *path, bool ingest, const char *token)
{
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    atomic_store(&stop_flag, false);
    atomic_store(&total_reqs, 0);
    atomic_store(&total_events, 0);
    atomic_store(&total_fail, 0);
    pthread_t t[64];
    struct client c = {url, token, ingest};
    int n = g_clients < 64 ? g_clients : 64;
    int64_t t0 = vg_mono_ns();
    for (int i = 0; i < n; i++) pthread_create(&t[i], NULL, client_main, &c);
    usleep((useconds_t)g_seconds * 1000000u);
    atomic_store(&stop_flag, true);
    for (int i = 0; i < n; i++) pthread_join(t[i], NULL);
    double secs = (double)(vg_mono_ns() - t0) / 1e9;
    struct result r = {(double)atomic_load(&total_reqs) / secs, (double)atomic_load(&total_events) / secs, secs,
                       atomic_load(&total_fail)};
    return r;
}

int main(int argc, char **argv)
{
    for (int i = 1; i + 1 < argc; i += 2) {
        int64_t v;
        if (vg_parse_i64(argv[i + 1], strlen(argv[i + 1]), &v) || v <= 0) {
            fprintf(stderr, "bad value for %s\n", argv[i]);
            return 2;
        }
        if (strcmp(argv[i], "--seconds") == 0) g_seconds = (int)v;
        else if (strcmp(argv[i], "--clients") == 0) g_clients = (int)v;
        else if (strcmp(argv[i], "--batch") == 0) g_batch = (int)v;
        else if (strcmp(argv[i], "--threads") == 0) g_threads = (int)v;
        else {
            fprintf(stderr, "usage: bench_api [--seconds N] [--clients N] [--batch N] [--threads N]\n");
            return 2;
        }
    }
    vg_log_set_level(VG_LOG_ERROR);
    struct vg_err err = VG_ERR_INIT;

    /* 1 + 2: API layer over the inline stub */
    static const struct vg__api_deps stub = {stub_open, stub_close, stub_parse, stub_release,
                                             stub_submit, stub_counters_fn, stub_metrics};
    struct vg_api_opts o = {.listen = "127.0.0.1:0", .store_location = "stub",
                            .pipeline = (struct vg_pipeline *)&stub_pipeline_obj, .threads = g_threads};
    struct vg_api *api;
    int port;
    if (vg__api_start_with(&api, &o, &stub, &port, &err)) {
        fprintf(stderr, "bench_api: %s\n", err.msg);
        return 1;
    }
    printf("bench_api: %d s per phase, %d client threads, %d server threads, batches of %d events\n", g_seconds,
           g_clients, g_threads, g_batch);
    struct result base = run_load(port, "/healthz", false, NULL);
    printf("baseline  GET /healthz                 %10.0f req/s                      (fail %llu)\n", base.rps,
           (unsigned long long)base.fails);
    struct result st = run_load(port, "/api/v1/ingest", true, "benchtoken");
    printf("ingest    API only (inline commit)     %10.0f req/s %12.0f events/s  (fail %llu)  ratio %.3f of baseline req/s\n",
           st.rps, st.eps, (unsigned long long)st.fails, base.rps > 0 ? st.rps / base.rps : 0);
    vg_api_stop(api);

    /* 3: real pipeline and SQLite store */
    char dir[] = "/tmp/vigil-bench-api-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    struct vg_store *store = NULL, *tokstore = NULL;
    struct vg_pipeline *pipe = NULL;
    char secret[256] = "";
    int rc = vg_store_open(&store, dir, &err);
    if (!rc) rc = vg_store_open(&tokstore, dir, &err);
    struct vg_token_info ti;
    if (!rc) rc = tokstore->ops->token_create ? tokstore->ops->token_create(tokstore, "bench", "admin", "default", secret,
                                                                        sizeof secret, &ti, &err)
                                               : VG_EUNSUP;
    vg_store_close(tokstore);
    if (!rc) rc = vg_pipeline_new(&pipe, store, NULL, &err);
    if (rc) {
        printf("ingest    real pipeline + SQLite       not measured: %s\n", err.msg);
        vg_store_close(store);
    } else {
        struct vg_api_opts ro = {.listen = "127.0.0.1:0", .store_location = dir, .pipeline = pipe, .threads = g_threads};
        if (vg_api_start(&api, &ro, &port, &err)) {
            fprintf(stderr, "bench_api: %s\n", err.msg);
            return 1;
        }
        struct result real = run_load(port, "/api/v1/ingest", true, secret);
        printf("ingest    real pipeline + SQLite       %10.0f req/s %12.0f events/s  (fail %llu)  ratio %.3f of API-only events/s\n",
               real.rps, real.eps, (unsigned long long)real.fails, st.eps > 0 ? real.eps / st.eps : 0);
        vg_api_stop(api);
        vg_pipeline_free(pipe, NULL);
    }
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) fprintf(stderr, "bench_api: could not remove %s\n", dir);
    return 0;
}
