/* Unit tests of the HTTP server over test doubles: a fake store (tokens,
 * search, stats), a fake query parser and a fake pipeline (commits on its
 * own thread after a delay, inline, or fails) behind struct vg__api_deps.
 * A real libmicrohttpd server listens on an ephemeral loopback port and
 * the tests talk to it with vg_http_fetch. Covers the auth matrix, ingest
 * (lines, array, partial bad, all bad, too large, commit failure,
 * shutdown), search parameters, metrics, status, 404/405, IPv6 and
 * concurrent ingest. Each case is its own CTest test (argv[1] filters). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <unistd.h>
#include "api/internal.h"
#include "vigil/http_client.h"

/* ---- fake store ------------------------------------------------------ */

static atomic_int token_checks, stores_open;
static struct vg_query last_query;
static char last_tenant[64];
static int search_total = 5; /* events the fake search produces */

struct fake_store { struct vg_store base; };

static const struct { const char *secret, *role, *tenant; bool revoked; } tokens[] = {
    {"admintok", "admin", "default", false},   {"analysttok", "analyst", "acme", false},
    {"viewertok", "viewer", "default", false}, {"ingesttok", "ingest", "shipper", false},
    {"revokedtok", "admin", "default", true},  {"oddroletok", "superuser", "default", false},
};

static int f_token_check(struct vg_store *s, const char *secret, struct vg_token_info *info, struct vg_err *err)
{
    (void)s;
    atomic_fetch_add(&token_checks, 1);
    for (size_t i = 0; i < VG_ARRAY_LEN(tokens); i++) {
        if (strcmp(tokens[i].secret, secret) != 0) continue;
        memset(info, 0, sizeof *info);
        snprintf(info->id, sizeof info->id, "id%zu", i);
        snprintf(info->name, sizeof info->name, "%s-name", tokens[i].role);
        snprintf(info->role, sizeof info->role, "%s", tokens[i].role);
        snprintf(info->tenant, sizeof info->tenant, "%s", tokens[i].tenant);
        info->revoked = tokens[i].revoked ? 1 : 0;
        return 0;
    }
    return vg_err_set(err, VG_EAUTH, "unknown token");
}

static int f_search(struct vg_store *s, const struct vg_query *q, vg_store_event_cb cb, void *ctx, struct vg_err *err)
{
    (void)s;
    (void)err;
    last_query = *q;
    snprintf(last_tenant, sizeof last_tenant, "%s", q->tenant ? q->tenant : "(null)");
    for (int i = 0; i < search_total && (size_t)i < q->limit; i++) {
        char json[128];
        int n = snprintf(json, sizeof json, "{\"n\":%d,\"tenant\":\"%s\"}", i, q->tenant);
        struct vg_stored_event ev = {{0}, i, q->tenant, json, (size_t)n};
        int rc = cb(ctx, &ev);
        if (rc) return rc;
    }
    return 0;
}

static int f_stats(struct vg_store *s, const char *tenant, struct vg_store_stats *st, struct vg_err *err)
{
    (void)s;
    (void)err;
    memset(st, 0, sizeof *st);
    st->events = strcmp(tenant, "default") == 0 ? 42 : 7;
    st->partitions = 2;
    st->blocks = 3;
    st->bytes = 4096;
    st->oldest = 1000000000;
    st->newest = 2000000000;
    return 0;
}

static void f_close(struct vg_store *s)
{
    atomic_fetch_sub(&stores_open, 1);
    vg_free(s);
}

static const struct vg_store_ops fake_ops = {
    .name = "fake", .close = f_close, .search = f_search, .stats = f_stats, .token_check = f_token_check};

static int f_open(struct vg_store **out, const char *loc, struct vg_err *err)
{
    if (strcmp(loc, "fail") == 0) return vg_err_set(err, VG_EIO, "cannot open fake store");
    struct fake_store *s = vg_calloc(1, sizeof *s);
    if (!s) return VG_ENOMEM;
    s->base.ops = &fake_ops;
    atomic_fetch_add(&stores_open, 1);
    *out = &s->base;
    return 0;
}

/* ---- fake query parser ---------------------------------------------- */

static char last_qtext[256];

static int f_parse(struct vg_query *q, const char *text, struct vg_err *err)
{
    snprintf(last_qtext, sizeof last_qtext, "%s", text);
    if (strchr(text, '(') && !strchr(text, ')')) {
        err->col = (int)(strchr(text, '(') - text) + 1;
        return vg_err_set(err, VG_EPARSE, "unclosed '(' at column %d", err->col);
    }
    q->root = vg_calloc(1, sizeof *q->root);
    if (!q->root) return VG_ENOMEM;
    q->root->kind = VG_Q_ALL;
    q->limit = 100;
    return 0;
}

static void f_release(struct vg_query *q)
{
    vg_free(q->root);
    q->root = NULL;
}

/* ---- fake pipeline --------------------------------------------------- */

enum commit_mode { COMMIT_ASYNC, COMMIT_INLINE, COMMIT_FAIL, SUBMIT_CLOSED };
static enum commit_mode mode = COMMIT_ASYNC;
static int commit_delay_ms = 20;

static pthread_mutex_t cap_mu = PTHREAD_MUTEX_INITIALIZER;
static struct vg_buf captured = VG_BUF_INIT;  /* one line per committed event: tenant|host|collector|raw */
static size_t ncaptured;
static struct vg_source_counters http_counters = {.name = "http"};
static int fake_pipeline_obj;
#define FAKE_PIPELINE ((struct vg_pipeline *)&fake_pipeline_obj)

static void capture(struct vg_batch *b)
{
    pthread_mutex_lock(&cap_mu);
    for (size_t i = 0; i < b->n; i++) {
        const struct vg_event *ev = &b->ev[i];
        vg_buf_addf(&captured, "%s|%s|%s|%.*s\n", ev->tenant, ev->host, ev->collector, (int)ev->raw_len, ev->raw);
        ncaptured++;
    }
    pthread_mutex_unlock(&cap_mu);
}

static void *commit_thread(void *arg)
{
    struct vg_batch *b = arg;
    usleep((useconds_t)commit_delay_ms * 1000);
    capture(b);
    atomic_fetch_add(&http_counters.stored, b->n);
    b->on_commit(b->ack, 0);
    vg_batch_free(b);
    return NULL;
}

static int f_submit(struct vg_pipeline *p, struct vg_batch *b, struct vg_source_counters *src, bool block)
{
    assert_ptr_equal(p, FAKE_PIPELINE);
    assert_ptr_equal(src, &http_counters);
    assert_true(block);
    if (mode == SUBMIT_CLOSED) return VG_ECLOSED;
    if (mode == COMMIT_INLINE || mode == COMMIT_FAIL) {
        if (mode == COMMIT_INLINE) capture(b);
        b->on_commit(b->ack, mode == COMMIT_FAIL ? VG_EDB : 0);
        vg_batch_free(b);
        return 0;
    }
    pthread_t t;
    if (pthread_create(&t, NULL, commit_thread, b) != 0) return VG_ENOMEM;
    pthread_detach(t);
    return 0;
}

static struct vg_source_counters *f_counters(struct vg_pipeline *p, const char *name)
{
    (void)p;
    return strcmp(name, "http") == 0 ? &http_counters : NULL;
}

static int f_metrics(struct vg_pipeline *p, struct vg_buf *out)
{
    (void)p;
    return vg_buf_addf(out,
                       "# TYPE vigil_source_received counter\n"
                       "vigil_source_received_total{source=\"http\"} %llu\n"
                       "# TYPE vigil_source_failed counter\n"
                       "vigil_source_failed_total{source=\"http\"} %llu\n"
                       "# TYPE vigil_source_stored counter\n"
                       "vigil_source_stored_total{source=\"http\"} %llu\n"
                       "# EOF\n",
                       (unsigned long long)atomic_load(&http_counters.received),
                       (unsigned long long)atomic_load(&http_counters.failed),
                       (unsigned long long)atomic_load(&http_counters.stored));
}

static const struct vg__api_deps fake_deps = {f_open, f_close, f_parse, f_release, f_submit, f_counters, f_metrics};

/* ---- fixture --------------------------------------------------------- */

struct fx {
    struct vg_api *api;
    int port;
    char base[64];
};

static size_t next_max_pending;

static int start_with(void **state, const char *listen, size_t max_body, int cache_ms)
{
    struct fx *f = vg_calloc(1, sizeof *f);
    struct vg_api_opts o = {.listen = listen, .store_location = "fake", .pipeline = FAKE_PIPELINE,
                            .max_body = max_body, .max_record = 4096, .threads = 2, .auth_cache_ms = cache_ms,
                            .max_pending = next_max_pending};
    next_max_pending = 0;
    struct vg_err err = VG_ERR_INIT;
    int rc = vg__api_start_with(&f->api, &o, &fake_deps, &f->port, &err);
    if (rc) {
        fprintf(stderr, "start: %s\n", err.msg);
        vg_free(f);
        return -1;
    }
    snprintf(f->base, sizeof f->base, listen[0] == '[' ? "http://[::1]:%d" : "http://127.0.0.1:%d", f->port);
    mode = COMMIT_ASYNC;
    commit_delay_ms = 20;
    search_total = 5;
    atomic_store(&token_checks, 0);
    pthread_mutex_lock(&cap_mu);
    vg_buf_reset(&captured);
    ncaptured = 0;
    pthread_mutex_unlock(&cap_mu);
    atomic_store(&http_counters.received, 0);
    atomic_store(&http_counters.failed, 0);
    atomic_store(&http_counters.stored, 0);
    *state = f;
    return 0;
}

static int setup(void **state) { return start_with(state, "127.0.0.1:0", 1 << 20, -1); }

static int teardown(void **state)
{
    struct fx *f = *state;
    vg_api_stop(f->api);
    vg_free(f);
    assert_int_equal(atomic_load(&stores_open), 0);
    return 0;
}

struct resp {
    int status;
    json_t *json;
    struct vg_http_response raw;
};

static void req(struct fx *f, const char *method, const char *path, const char *token, const char *body, size_t blen,
                struct resp *r)
{
    char url[4096];
    snprintf(url, sizeof url, "%s%s", f->base, path);
    struct vg_http_request rq = {.method = method, .url = url, .token = token, .body = body, .body_len = blen,
                                 .content_type = body ? "application/json" : NULL, .timeout_ms = 10000};
    struct vg_err err = VG_ERR_INIT;
    int rc = vg_http_fetch(&rq, &r->raw, &err);
    if (rc) fail_msg("%s %s: %s", method, path, err.msg);
    r->status = r->raw.status;
    json_error_t je;
    r->json = strstr(r->raw.content_type, "json") ? json_loadb(r->raw.body, r->raw.body_len, 0, &je) : NULL;
}

static void resp_free(struct resp *r)
{
    json_decref(r->json);
    vg_http_response_release(&r->raw);
}

static const char *jstr(json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }
static long long jint(json_t *o, const char *k) { return (long long)json_integer_value(json_object_get(o, k)); }

/* ---- tests ----------------------------------------------------------- */

static void health_no_auth(void **state)
{
    struct resp r;
    req(*state, "GET", "/healthz", NULL, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(jstr(r.json, "status"), "ok");
    resp_free(&r);
}

static void auth_matrix(void **state)
{
    struct fx *f = *state;
    static const struct { const char *method, *path, *token; int status; } m[] = {
        {"GET", "/api/v1/status", NULL, 401},         {"GET", "/api/v1/status", "wrongtok", 401},
        {"GET", "/api/v1/status", "revokedtok", 401}, {"GET", "/api/v1/status", "viewertok", 200},
        {"GET", "/metrics", NULL, 401},               {"GET", "/metrics", "viewertok", 200},
        {"GET", "/api/v1/events", "ingesttok", 403},  {"GET", "/api/v1/events", "analysttok", 200},
        {"GET", "/api/v1/events", "oddroletok", 403}, {"POST", "/api/v1/ingest", "viewertok", 403},
        {"POST", "/api/v1/ingest", NULL, 401},        {"POST", "/api/v1/ingest", "ingesttok", 200},
        {"POST", "/api/v1/ingest", "analysttok", 200},{"POST", "/api/v1/ingest", "admintok", 200},
        {"GET", "/metrics", "ingesttok", 403},
    };
    for (size_t i = 0; i < VG_ARRAY_LEN(m); i++) {
        struct resp r;
        bool post = strcmp(m[i].method, "POST") == 0;
        req(f, m[i].method, m[i].path, m[i].token, post ? "{\"a\":1}" : NULL, post ? 7 : 0, &r);
        if (r.status != m[i].status)
            fail_msg("%s %s token %s: got %d want %d (%s)", m[i].method, m[i].path, m[i].token ? m[i].token : "-",
                     r.status, m[i].status, r.raw.body);
        if (r.status >= 400) {
            assert_non_null(r.json);
            assert_non_null(jstr(r.json, "error"));
        }
        resp_free(&r);
    }
    /* malformed header and its WWW-Authenticate challenge, via a raw client */
    char url[128];
    snprintf(url, sizeof url, "%s/api/v1/status", f->base);
    struct vg_http_response hr;
    struct vg_err err = VG_ERR_INIT;
    struct vg_http_request rq = {.url = url, .token = "a b"};
    assert_int_equal(vg_http_fetch(&rq, &hr, &err), 0);
    assert_int_equal(hr.status, 401);
    assert_non_null(strstr(hr.body, "malformed"));
    vg_http_response_release(&hr);
    struct resp r;
    req(f, "GET", "/metrics", "admintok", NULL, 0, &r);
    assert_non_null(strstr(r.raw.body, "vigil_api_auth_failures_total{reason=\"missing\"} 3"));
    assert_non_null(strstr(r.raw.body, "vigil_api_auth_failures_total{reason=\"invalid\"} 2"));
    assert_non_null(strstr(r.raw.body, "vigil_api_auth_failures_total{reason=\"malformed\"} 1"));
    assert_non_null(strstr(r.raw.body, "vigil_api_auth_failures_total{reason=\"forbidden\"} 4"));
    resp_free(&r);
}

static void www_authenticate(void **state)
{
    struct fx *f = *state;
    char url[128], v[160];
    snprintf(url, sizeof url, "%s/api/v1/status", f->base);
    struct vg_http_request rq = {.url = url};
    struct vg_http_response hr;
    struct vg_err err = VG_ERR_INIT;
    assert_int_equal(vg_http_fetch(&rq, &hr, &err), 0);
    assert_int_equal(hr.status, 401);
    assert_true(vg_http_response_header(&hr, "www-authenticate", v, sizeof v));
    assert_string_equal(v, "Bearer realm=\"vigil\"");
    assert_true(vg_http_response_header(&hr, "Cache-Control", v, sizeof v));
    assert_string_equal(v, "no-store");
    assert_false(vg_http_response_header(&hr, "X-Nope", v, sizeof v));
    vg_http_response_release(&hr);
    rq.token = "wrongtok";
    assert_int_equal(vg_http_fetch(&rq, &hr, &err), 0);
    assert_true(vg_http_response_header(&hr, "WWW-Authenticate", v, sizeof v));
    assert_string_equal(v, "Bearer realm=\"vigil\", error=\"invalid_token\"");
    vg_http_response_release(&hr);
    snprintf(url, sizeof url, "%s/api/v1/ingest", f->base);
    rq.token = "admintok";
    assert_int_equal(vg_http_fetch(&rq, &hr, &err), 0);
    assert_int_equal(hr.status, 405);
    assert_true(vg_http_response_header(&hr, "Allow", v, sizeof v));
    assert_string_equal(v, "POST");
    vg_http_response_release(&hr);
}

static void auth_cache(void **state)
{
    teardown(state);
    assert_int_equal(start_with(state, "127.0.0.1:0", 1 << 20, 60000), 0);
    struct fx *f = *state;
    for (int i = 0; i < 5; i++) {
        struct resp r;
        req(f, "GET", "/api/v1/status", "viewertok", NULL, 0, &r);
        assert_int_equal(r.status, 200);
        resp_free(&r);
    }
    assert_int_equal(atomic_load(&token_checks), 1);
    struct resp r;
    req(f, "GET", "/api/v1/status", "wrongtok", NULL, 0, &r);
    resp_free(&r);
    req(f, "GET", "/api/v1/status", "wrongtok", NULL, 0, &r); /* failures are never cached */
    assert_int_equal(r.status, 401);
    resp_free(&r);
    assert_int_equal(atomic_load(&token_checks), 3);
}

static void ingest_lines(void **state)
{
    struct fx *f = *state;
    const char *body = "{\"msg\":\"one\"}\n{\"msg\":\"two\"}\r\n\n{\"msg\":\"three\",\"n\":3}\n";
    struct resp r;
    req(f, "POST", "/api/v1/ingest", "analysttok", body, strlen(body), &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(jint(r.json, "accepted"), 3);
    assert_int_equal(jint(r.json, "failed"), 0);
    assert_int_equal(json_array_size(json_object_get(r.json, "errors")), 0);
    resp_free(&r);
    /* answered only after the commit: the events are already captured */
    pthread_mutex_lock(&cap_mu);
    assert_int_equal(ncaptured, 3);
    assert_string_equal(captured.data, "acme|127.0.0.1|http|{\"msg\":\"one\"}\n"
                                       "acme|127.0.0.1|http|{\"msg\":\"two\"}\n"
                                       "acme|127.0.0.1|http|{\"msg\":\"three\",\"n\":3}\n");
    pthread_mutex_unlock(&cap_mu);
    assert_int_equal(atomic_load(&http_counters.received), 3);
}

static void ingest_array(void **state)
{
    struct fx *f = *state;
    mode = COMMIT_INLINE;
    const char *body = "[{\"a\":1},\n {\"b\":[1,2,3]} ]";
    struct resp r;
    req(f, "POST", "/api/v1/ingest", "ingesttok", body, strlen(body), &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(jint(r.json, "accepted"), 2);
    resp_free(&r);
    pthread_mutex_lock(&cap_mu);
    assert_string_equal(captured.data, "shipper|127.0.0.1|http|{\"a\":1}\nshipper|127.0.0.1|http|{\"b\":[1,2,3]}\n");
    pthread_mutex_unlock(&cap_mu);
}

static void ingest_partial_bad(void **state)
{
    struct fx *f = *state;
    char body[8192];
    static const char head[] = "{\"i\":0}\n{\"i\":1,\"bad\":\"\xff\xfe\"}\n{\"i\":2}\n{\"trunc\":\n"
                               "\x01\x02garbage\x00\x00\n{\"i\":6}\n";
    size_t n = sizeof head - 1;
    memcpy(body, head, n);
    /* a record over max_record (4096) */
    body[n++] = '{';
    body[n++] = '"';
    body[n++] = 'x';
    body[n++] = '"';
    body[n++] = ':';
    body[n++] = '"';
    memset(body + n, 'a', 5000);
    n += 5000;
    body[n++] = '"';
    body[n++] = '}';
    body[n++] = '\n';
    memcpy(body + n, "{\"i\":8}", 7);
    n += 7;
    struct resp r;
    req(f, "POST", "/api/v1/ingest", "admintok", body, n, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(jint(r.json, "accepted"), 4);
    assert_int_equal(jint(r.json, "failed"), 4);
    json_t *errs = json_object_get(r.json, "errors");
    assert_int_equal(json_array_size(errs), 4);
    static const long long idx[] = {1, 3, 4, 6}; /* records 0, 2, 5, 7 are fine */
    static const char *what[] = {"invalid UTF-8", "expected a value", "record does not start", "exceeds the 4096-byte"};
    for (size_t i = 0; i < 4; i++) {
        json_t *e = json_array_get(errs, i);
        assert_int_equal(jint(e, "index"), idx[i]);
        if (!strstr(jstr(e, "error"), what[i])) fail_msg("error %zu: %s", i, jstr(e, "error"));
    }
    resp_free(&r);
    assert_int_equal(atomic_load(&http_counters.received), 8);
    assert_int_equal(atomic_load(&http_counters.failed), 4);
    pthread_mutex_lock(&cap_mu);
    assert_int_equal(ncaptured, 4);
    assert_non_null(strstr(captured.data, "{\"i\":8}"));
    pthread_mutex_unlock(&cap_mu);
}

static void ingest_unusable(void **state)
{
    struct fx *f = *state;
    struct resp r;
    req(f, "POST", "/api/v1/ingest", "admintok", "", 0, &r);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(jstr(r.json, "detail"), "empty body"));
    resp_free(&r);
    req(f, "POST", "/api/v1/ingest", "admintok", "\xde\xad\xbe\xef not json", 13, &r);
    assert_int_equal(r.status, 400);
    assert_string_equal(jstr(r.json, "error"), "no valid records");
    assert_int_equal(jint(r.json, "failed"), 1);
    resp_free(&r);
    pthread_mutex_lock(&cap_mu);
    assert_int_equal(ncaptured, 0);
    pthread_mutex_unlock(&cap_mu);
}

static void ingest_too_large(void **state)
{
    struct fx *f = *state;
    size_t n = (1 << 20) + 100;
    char *body = vg_malloc(n);
    memset(body, ' ', n);
    body[0] = '{';
    body[n - 1] = '}';
    struct resp r;
    req(f, "POST", "/api/v1/ingest", "admintok", body, n, &r);
    assert_int_equal(r.status, 413);
    assert_non_null(strstr(jstr(r.json, "detail"), "exceeds"));
    resp_free(&r);
    vg_free(body);
    /* the server still works afterwards */
    req(f, "GET", "/healthz", NULL, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
}

static void ingest_commit_failure(void **state)
{
    struct fx *f = *state;
    struct resp r;
    mode = COMMIT_FAIL;
    req(f, "POST", "/api/v1/ingest", "admintok", "{\"a\":1}", 7, &r);
    assert_int_equal(r.status, 500);
    assert_string_equal(jstr(r.json, "error"), "commit failed");
    resp_free(&r);
    mode = SUBMIT_CLOSED;
    req(f, "POST", "/api/v1/ingest", "admintok", "{\"a\":1}", 7, &r);
    assert_int_equal(r.status, 503);
    assert_string_equal(r.raw.retry_after, "5");
    resp_free(&r);
}

struct conc { struct fx *f; int ok; };

static void *conc_worker(void *arg)
{
    struct conc *c = arg;
    for (int i = 0; i < 5; i++) {
        char body[256];
        int n = snprintf(body, sizeof body, "{\"t\":%d}\n{\"t\":%d}", i, i + 100);
        char url[128];
        snprintf(url, sizeof url, "%s/api/v1/ingest", c->f->base);
        struct vg_http_request rq = {.method = "POST", .url = url, .token = "admintok", .body = body,
                                     .body_len = (size_t)n};
        struct vg_http_response hr;
        struct vg_err err = VG_ERR_INIT;
        if (vg_http_fetch(&rq, &hr, &err) == 0 && hr.status == 200) c->ok++;
        vg_http_response_release(&hr);
    }
    return NULL;
}

static void ingest_concurrent(void **state)
{
    struct fx *f = *state;
    commit_delay_ms = 200;
    pthread_t t[8];
    struct conc c[8];
    for (int i = 0; i < 8; i++) {
        c[i] = (struct conc){f, 0};
        pthread_create(&t[i], NULL, conc_worker, &c[i]);
    }
    /* while ingest requests wait for commits, a cheap route stays responsive
     * (the suspended connections do not hold the two server threads) */
    int64_t t0 = vg_mono_ns();
    struct resp r;
    req(f, "GET", "/healthz", NULL, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    assert_true(vg_mono_ns() - t0 < 150 * 1000000LL);
    int ok = 0;
    for (int i = 0; i < 8; i++) {
        pthread_join(t[i], NULL);
        ok += c[i].ok;
    }
    assert_int_equal(ok, 40);
    pthread_mutex_lock(&cap_mu);
    assert_int_equal(ncaptured, 80);
    pthread_mutex_unlock(&cap_mu);
}

struct stopper { struct fx *f; int status; };

static void *slow_ingest(void *arg)
{
    struct stopper *s = arg;
    struct resp r;
    req(s->f, "POST", "/api/v1/ingest", "admintok", "{\"slow\":1}", 10, &r);
    s->status = r.status;
    resp_free(&r);
    return NULL;
}

static void stop_waits_for_commit(void **state)
{
    struct fx *f = *state;
    commit_delay_ms = 300;
    struct stopper s = {f, 0};
    pthread_t t;
    pthread_create(&t, NULL, slow_ingest, &s);
    while (atomic_load(&f->api->inflight_ingest) == 0) usleep(1000);
    vg_api_stop(f->api); /* must wait for the commit and the answer */
    pthread_join(t, NULL);
    assert_int_equal(s.status, 200);
    pthread_mutex_lock(&cap_mu);
    assert_int_equal(ncaptured, 1);
    pthread_mutex_unlock(&cap_mu);
    f->api = NULL;
}

static void *busy_ingest(void *arg)
{
    struct stopper *s = arg;
    char *body = vg_malloc(40000);
    memset(body, ' ', 40000);
    memcpy(body, "{\"big\":1}", 9);
    struct resp r;
    req(s->f, "POST", "/api/v1/ingest", "admintok", body, 40000, &r);
    s->status = r.status;
    resp_free(&r);
    vg_free(body);
    return NULL;
}

static void ingest_busy(void **state)
{
    teardown(state);
    next_max_pending = 64 * 1024; /* room for one 40 KB request, not two */
    assert_int_equal(start_with(state, "127.0.0.1:0", 48 * 1024, -1), 0);
    struct fx *f = *state;
    commit_delay_ms = 400;
    struct stopper s = {f, 0};
    pthread_t t;
    pthread_create(&t, NULL, busy_ingest, &s);
    while (atomic_load(&f->api->inflight_ingest) == 0) usleep(1000);
    struct stopper s2 = {f, 0};
    busy_ingest(&s2); /* while the first waits for its commit */
    pthread_join(t, NULL);
    assert_int_equal(s.status, 200);
    assert_int_equal(s2.status, 503);
    /* the budget is given back when a request completes (just after the answer) */
    for (int i = 0; i < 1000 && atomic_load(&f->api->pending_bytes) != 0; i++) usleep(1000);
    assert_int_equal(atomic_load(&f->api->pending_bytes), 0);
    busy_ingest(&s2);
    assert_int_equal(s2.status, 200);
    for (int i = 0; i < 1000 && atomic_load(&f->api->pending_bytes) != 0; i++) usleep(1000);
    assert_int_equal(atomic_load(&f->api->pending_bytes), 0);
}

static void events_search(void **state)
{
    struct fx *f = *state;
    struct resp r;
    req(f, "GET", "/api/v1/events?q=user.name%3Aalice%20AND%20host%3Aweb*&limit=3&order=asc&since=1h", "analysttok",
        NULL, 0, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(last_qtext, "user.name:alice AND host:web*");
    assert_string_equal(last_tenant, "acme");
    assert_int_equal(last_query.limit, 4); /* limit + 1 to detect truncation */
    assert_true(last_query.ascending);
    int64_t now = vg_now_ns();
    assert_true(last_query.since > now - 3700LL * 1000000000 && last_query.since < now - 3500LL * 1000000000);
    assert_int_equal(last_query.until, 0);
    assert_int_equal(jint(r.json, "count"), 3);
    assert_true(json_is_true(json_object_get(r.json, "truncated")));
    json_t *evs = json_object_get(r.json, "events");
    assert_int_equal(json_array_size(evs), 3);
    assert_string_equal(jstr(json_array_get(evs, 0), "tenant"), "acme");
    resp_free(&r);

    req(f, "GET", "/api/v1/events?since=2024-01-02T03:04:05Z&until=2024-01-03T00:00:00Z", "viewertok", NULL, 0, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(jint(r.json, "count"), 5);
    assert_false(json_is_true(json_object_get(r.json, "truncated")));
    assert_int_equal(last_query.since, vg_time_from_civil(2024, 1, 2, 3, 4, 5));
    assert_int_equal(last_query.until, vg_time_from_civil(2024, 1, 3, 0, 0, 0));
    assert_false(last_query.ascending);
    assert_int_equal(last_query.limit, 101);
    assert_string_equal(last_tenant, "default");
    resp_free(&r);

    req(f, "GET", "/api/v1/events?limit=999999999", "viewertok", NULL, 0, &r);
    assert_int_equal(last_query.limit, 10001);
    resp_free(&r);
}

static void events_bad_params(void **state)
{
    struct fx *f = *state;
    static const struct { const char *path, *detail; } m[] = {
        {"/api/v1/events?q=(a%20OR%20b", "unclosed"},
        {"/api/v1/events?since=yesterday", "since"},
        {"/api/v1/events?until=12x", "until"},
        {"/api/v1/events?limit=-3", "limit"},
        {"/api/v1/events?limit=0", "limit"},
        {"/api/v1/events?order=sideways", "order"},
    };
    for (size_t i = 0; i < VG_ARRAY_LEN(m); i++) {
        struct resp r;
        req(f, "GET", m[i].path, "viewertok", NULL, 0, &r);
        assert_int_equal(r.status, 400);
        if (!strstr(jstr(r.json, "detail"), m[i].detail)) fail_msg("%s: %s", m[i].path, r.raw.body);
        if (i == 0) assert_int_equal(jint(r.json, "column"), 1);
        resp_free(&r);
    }
}

static void metrics_text(void **state)
{
    struct fx *f = *state;
    struct resp r;
    req(f, "POST", "/api/v1/ingest", "admintok", "{\"a\":1}\nnope", 12, &r);
    resp_free(&r);
    req(f, "GET", "/metrics", "viewertok", NULL, 0, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.raw.content_type, "application/openmetrics-text"));
    const char *b = r.raw.body;
    assert_non_null(strstr(b, "vigil_source_received_total{source=\"http\"} 2\n"));
    assert_non_null(strstr(b, "vigil_source_failed_total{source=\"http\"} 1\n"));
    assert_non_null(strstr(b, "vigil_api_requests_total{method=\"POST\",route=\"/api/v1/ingest\",code=\"200\"} 1\n"));
    assert_non_null(strstr(b, "vigil_api_ingest_rejected_records_total 1\n"));
    /* exactly one EOF, at the very end */
    const char *eof = strstr(b, "# EOF");
    assert_non_null(eof);
    assert_string_equal(eof, "# EOF\n");
    /* every sample's family is declared with # TYPE before it */
    char *copy = vg_strdup(b), *save = NULL;
    char families[32][96];
    size_t nf = 0;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "# TYPE ", 7) == 0) {
            char *sp = strchr(line + 7, ' ');
            assert_non_null(sp);
            snprintf(families[nf++], 96, "%.*s", (int)(sp - line - 7), line + 7);
            continue;
        }
        if (line[0] == '#') continue;
        bool known = false;
        for (size_t i = 0; i < nf; i++)
            if (strncmp(line, families[i], strlen(families[i])) == 0) known = true;
        if (!known) fail_msg("sample without # TYPE: %s", line);
    }
    vg_free(copy);
    resp_free(&r);
}

static void status_json(void **state)
{
    struct fx *f = *state;
    struct resp r;
    req(f, "POST", "/api/v1/ingest", "admintok", "{\"a\":1}", 7, &r);
    resp_free(&r);
    req(f, "GET", "/api/v1/status", "viewertok", NULL, 0, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(jstr(r.json, "version"), VIGIL_VERSION);
    assert_string_equal(jstr(r.json, "tenant"), "default");
    json_t *store = json_object_get(r.json, "store");
    assert_int_equal(jint(store, "events"), 42);
    assert_string_equal(jstr(store, "oldest"), "1970-01-01T00:00:01.000Z");
    json_t *http = json_object_get(json_object_get(r.json, "sources"), "http");
    assert_int_equal(jint(http, "received"), 1);
    assert_int_equal(jint(http, "stored"), 1);
    resp_free(&r);
    req(f, "GET", "/api/v1/status", "analysttok", NULL, 0, &r); /* tenant acme */
    assert_int_equal(jint(json_object_get(r.json, "store"), "events"), 7);
    resp_free(&r);
}

static void not_found_and_method(void **state)
{
    struct fx *f = *state;
    struct resp r;
    req(f, "GET", "/nope", "admintok", NULL, 0, &r);
    assert_int_equal(r.status, 404);
    assert_string_equal(jstr(r.json, "error"), "not found");
    resp_free(&r);
    req(f, "DELETE", "/api/v1/events", "admintok", NULL, 0, &r);
    assert_int_equal(r.status, 405);
    resp_free(&r);
    req(f, "GET", "/api/v1/ingest", "admintok", NULL, 0, &r);
    assert_int_equal(r.status, 405);
    assert_non_null(strstr(jstr(r.json, "detail"), "POST"));
    resp_free(&r);
}

static void listen_ipv6_and_errors(void **state)
{
    teardown(state);
    assert_int_equal(start_with(state, "[::1]:0", 1 << 20, -1), 0);
    struct fx *f = *state;
    assert_true(f->port > 0);
    struct resp r;
    req(f, "GET", "/healthz", NULL, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    static const char *bad[] = {"nohost", "127.0.0.1:70000", "[::1]0", "example.com:80", "1.2.3:5", "[::1:5"};
    for (size_t i = 0; i < VG_ARRAY_LEN(bad); i++) {
        struct vg_api *api = NULL;
        int port;
        struct vg_api_opts o = {.listen = bad[i], .store_location = "fake"};
        struct vg_err err = VG_ERR_INIT;
        assert_int_equal(vg__api_start_with(&api, &o, &fake_deps, &port, &err), VG_EINVAL);
        assert_null(api);
        assert_true(err.msg[0] != 0);
    }
    /* address in use */
    char inuse[64];
    snprintf(inuse, sizeof inuse, "[::1]:%d", f->port);
    struct vg_api *api = NULL;
    int port;
    struct vg_api_opts o = {.listen = inuse, .store_location = "fake"};
    struct vg_err err = VG_ERR_INIT;
    assert_int_equal(vg__api_start_with(&api, &o, &fake_deps, &port, &err), VG_ENET);
    assert_non_null(strstr(err.msg, "cannot listen"));
}

static void store_unavailable(void **state)
{
    teardown(state);
    struct fx *f = vg_calloc(1, sizeof *f);
    struct vg_api_opts o = {.listen = "127.0.0.1:0", .store_location = "fail", .pipeline = FAKE_PIPELINE};
    struct vg_err err = VG_ERR_INIT;
    assert_int_equal(vg__api_start_with(&f->api, &o, &fake_deps, &f->port, &err), 0);
    snprintf(f->base, sizeof f->base, "http://127.0.0.1:%d", f->port);
    *state = f;
    struct resp r;
    req(f, "GET", "/api/v1/status", "admintok", NULL, 0, &r);
    assert_int_equal(r.status, 503);
    assert_string_equal(r.raw.retry_after, "5");
    resp_free(&r);
    req(f, "GET", "/healthz", NULL, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
}

int main(int argc, char **argv)
{
    vg_log_set_level(VG_LOG_ERROR);
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(health_no_auth),      T(auth_matrix),          T(www_authenticate),      T(auth_cache),
        T(ingest_lines),        T(ingest_array),         T(ingest_partial_bad),    T(ingest_unusable),
        T(ingest_too_large),    T(ingest_commit_failure),T(ingest_concurrent),     T(stop_waits_for_commit), T(ingest_busy),
        T(events_search),       T(events_bad_params),    T(metrics_text),          T(status_json),
        T(not_found_and_method),T(listen_ipv6_and_errors),T(store_unavailable),
    };
    if (argc > 1) cmocka_set_test_filter(argv[1]);
    int rc = cmocka_run_group_tests_name("api_server", tests, NULL, NULL);
    vg_buf_release(&captured);
    return rc;
}
