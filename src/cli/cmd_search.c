/* vigil search: runs a query against the local data directory (opening the
 * store next to a running server; SQLite WAL lets readers share it with the
 * writer) or against a server's GET /api/v1/events with a bearer token,
 * through the shared HTTP client (vigil/http_client.h). Prints one line per
 * event (time, origin host, format, message) or the stored JSON with --json. */
#include "cli.h"
#include "vigil/http_client.h"
#include "vigil/store.h"
#include <jansson.h>
#include <unistd.h>

#define MAX_RESPONSE ((size_t)256 << 20)

static const char usage_text[] =
    "usage: vigil search [--data DIR | --server URL] [--token T] [--since 1h] [--until TIME]\n"
    "                    [--limit N] [--json] [--asc] [--count] [--tenant T] QUERY...\n"
    "\n"
    "  QUERY      field:value, wildcards (* ?), \"quoted phrases\", AND/OR/NOT, (groups),\n"
    "             field:>N comparisons, source.ip:10.0.0.0/8, field:* (exists);\n"
    "             bare words match the raw message. Matching ignores case.\n"
    "  --data     data directory (default $VIGIL_DATA or ./data)\n"
    "  --server   query a running server, e.g. http://127.0.0.1:8080\n"
    "  --token    API token for --server (default $VIGIL_TOKEN, else DIR/admin.token)\n"
    "  --since    duration back from now (15m, 1h, 7d) or RFC 3339 time\n"
    "  --until    same forms; events strictly before it\n"
    "  --limit    at most N events (default 100)\n"
    "  --asc      oldest first (default newest first)\n"
    "  --json     one JSON object per line\n"
    "  --count    print the number of matching events only (local mode)\n"
    "  --tenant   tenant scope in local mode (default \"default\")";

struct opts {
    const char *data, *server, *token, *since, *until, *tenant;
    size_t limit;
    bool json, asc, count;
    char query[VG_QUERY_MAX_TEXT + 2];
};

/* Prints control characters of the raw message visibly (one event, one line). */
static void print_escaped(FILE *f, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n') fputs("\\n", f);
        else if (c == '\r') fputs("\\r", f);
        else if (c == '\t') fputc(' ', f);
        else if (c < 0x20 || c == 0x7f) fprintf(f, "\\x%02x", c);
        else fputc(c, f);
    }
}

static const char *jstr(json_t *o, const char *k)
{
    const char *v = json_string_value(json_object_get(o, k));
    return v ? v : NULL;
}

static void print_event_obj(json_t *o, bool as_json, const char *raw_json, size_t raw_len)
{
    if (as_json) {
        if (raw_json) fwrite(raw_json, 1, raw_len, stdout);
        else {
            char *s = json_dumps(o, JSON_COMPACT);
            if (s) fputs(s, stdout);
            free(s);
        }
        fputc('\n', stdout);
        return;
    }
    const char *ts = jstr(o, "@timestamp"), *host = jstr(o, "vigil.origin"), *fmt = jstr(o, "vigil.format");
    if (!host) host = jstr(o, "host.name");
    json_t *orig = json_object_get(o, "event.original");
    const char *msg = json_string_value(orig);
    char tbuf[48] = "-";
    int64_t ns;
    if (ts && vg_time_parse_iso(ts, strlen(ts), &ns) == 0) vg_time_format(ns, tbuf, sizeof tbuf, 3);
    printf("%s  %s  %s  ", tbuf, host ? host : "-", fmt ? fmt : "-");
    if (msg) print_escaped(stdout, msg, json_string_length(orig));
    fputc('\n', stdout);
}

static int print_cb(void *ctx, const struct vg_stored_event *ev)
{
    const struct opts *o = ctx;
    if (o->json) {
        fwrite(ev->json, 1, ev->json_len, stdout);
        fputc('\n', stdout);
        return ferror(stdout) ? 1 : 0;
    }
    json_error_t je;
    json_t *obj = json_loadb(ev->json, ev->json_len, 0, &je);
    if (!obj) { fprintf(stderr, "vigil search: stored event is not valid JSON: %s\n", je.text); return 0; }
    print_event_obj(obj, false, NULL, 0);
    json_decref(obj);
    return ferror(stdout) ? 1 : 0;
}

static void report_query_error(const char *q, const struct vg_err *e)
{
    fprintf(stderr, "vigil search: bad query: %s\n", e->msg);
    if (e->col > 0 && strlen(q) < 200) {
        fprintf(stderr, "  %s\n  %*s^\n", q, e->col - 1, "");
    }
}

static int run_local(struct opts *o)
{
    if (!vg_cli_have_data("search", o->data)) return 1;
    struct vg_query q = VG_QUERY_INIT;
    struct vg_err e = VG_ERR_INIT;
    if (vg_query_parse(&q, o->query, &e)) { report_query_error(o->query, &e); return 2; }
    if (vg_cli_time_arg(o->since, &q.since) || vg_cli_time_arg(o->until, &q.until)) {
        fprintf(stderr, "vigil search: --since/--until take a duration (15m, 1h, 7d) or an RFC 3339 time\n");
        vg_query_release(&q);
        return 2;
    }
    q.limit = o->limit;
    q.ascending = o->asc;
    q.tenant = o->tenant;
    struct vg_store *s = NULL;
    int rc = vg_store_open(&s, o->data, &e);
    if (rc) {
        fprintf(stderr, "vigil search: cannot open %s: %s\n", o->data, e.msg);
        vg_query_release(&q);
        return 1;
    }
    if (o->count) {
        uint64_t n = 0;
        rc = s->ops->count(s, &q, &n, &e);
        if (!rc) printf("%llu\n", (unsigned long long)n);
    } else {
        rc = vg_store_search(s, &q, print_cb, o, &e);
        if (rc > 0) rc = 0; /* stopped by the callback (closed stdout) */
    }
    if (rc) fprintf(stderr, "vigil search: %s\n", e.msg[0] ? e.msg : vg_strerror(rc));
    vg_store_close(s);
    vg_query_release(&q);
    return rc ? 1 : 0;
}

static int run_server(struct opts *o)
{
    char *owned;
    const char *token = vg_cli_token("search", o->token, o->data, &owned);
    if (!token) return 2;
    struct vg_buf url = VG_BUF_INIT;
    struct vg_http_response resp = {0};
    struct vg_http_url pu;
    struct vg_err e = VG_ERR_INIT;
    int rc;
    if (vg_http_url_parse(o->server, &pu, &e)) {
        fprintf(stderr, "vigil search: bad server URL '%s' (expected http://HOST:PORT)\n", o->server);
        rc = 1;
        goto out;
    }
    /* the server URL may carry a path prefix; a trailing slash is dropped */
    url.cap_limit = 64u << 10;
    rc = vg_cli_server_url(&url, o->server, "/api/v1/events?q=");
    if (!rc) rc = vg_http_urlencode(&url, o->query);
    if (!rc) rc = vg_buf_addf(&url, "&limit=%zu", o->limit ? o->limit : 100);
    if (!rc && o->since) { rc = vg_buf_adds(&url, "&since="); if (!rc) rc = vg_http_urlencode(&url, o->since); }
    if (!rc && o->until) { rc = vg_buf_adds(&url, "&until="); if (!rc) rc = vg_http_urlencode(&url, o->until); }
    if (!rc && o->asc) rc = vg_buf_adds(&url, "&order=asc");
    if (rc) { fprintf(stderr, "vigil search: out of memory\n"); rc = 1; goto out; }
    struct vg_http_request rq = {.method = "GET", .url = url.data, .token = token, .timeout_ms = 60000,
                                 .max_response = MAX_RESPONSE};
    if (vg_http_fetch(&rq, &resp, &e)) {
        fprintf(stderr, "vigil search: %s\n", e.msg);
        rc = 1;
        goto out;
    }
    int status = resp.status;
    json_error_t je;
    json_t *doc = json_loadb(resp.body ? resp.body : "", resp.body_len, 0, &je);
    if (status < 200 || status > 299) {
        vg_cli_server_error("search", status, doc ? jstr(doc, "error") : NULL, doc ? jstr(doc, "detail") : NULL);
        json_decref(doc);
        rc = status == 400 ? 2 : 1;
        goto out;
    }
    if (!doc) {
        fprintf(stderr, "vigil search: server sent invalid JSON: %s\n", je.text);
        rc = 1;
        goto out;
    }
    json_t *events = json_is_array(doc) ? doc : json_object_get(doc, "events");
    if (!json_is_array(events)) {
        fprintf(stderr, "vigil search: unexpected answer (no \"events\" array)\n");
        json_decref(doc);
        rc = 1;
        goto out;
    }
    size_t i;
    json_t *ev;
    json_array_foreach(events, i, ev) print_event_obj(ev, o->json, NULL, 0);
    if (json_is_true(json_object_get(doc, "truncated")) && !o->json)
        fprintf(stderr, "vigil search: more events matched; raise --limit or narrow the query\n");
    json_decref(doc);
    rc = 0;
out:
    vg_buf_release(&url);
    vg_http_response_release(&resp);
    vg_free(owned);
    return rc;
}

static int query_too_long(void)
{
    fprintf(stderr, "vigil search: query longer than %d bytes\n", VG_QUERY_MAX_TEXT);
    return 2;
}

static int run(int argc, char **argv)
{
    struct opts o = {.data = vg_cli_default_data(), .limit = 100};
    size_t ql = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **str_opt = NULL;
        if (!strcmp(a, "--data")) str_opt = &o.data;
        else if (!strcmp(a, "--server")) str_opt = &o.server;
        else if (!strcmp(a, "--token")) str_opt = &o.token;
        else if (!strcmp(a, "--since")) str_opt = &o.since;
        else if (!strcmp(a, "--until")) str_opt = &o.until;
        else if (!strcmp(a, "--tenant")) str_opt = &o.tenant;
        else if (!strcmp(a, "--json")) { o.json = true; continue; }
        else if (!strcmp(a, "--asc")) { o.asc = true; continue; }
        else if (!strcmp(a, "--count")) { o.count = true; continue; }
        else if (!strcmp(a, "--limit")) {
            if (vg_cli_limit_opt("search", argc, argv, &i, &o.limit)) return 2;
            continue;
        } else if (!strcmp(a, "--")) {
            for (i++; i < argc; i++)
                if (vg_cli_query_add(o.query, &ql, argv[i])) return query_too_long();
            break;
        } else if (a[0] == '-' && a[1] == '-') {
            fprintf(stderr, "vigil search: unknown option %s\n%s\n", a, usage_text);
            return 2;
        } else {
            if (vg_cli_query_add(o.query, &ql, a)) return query_too_long();
            continue;
        }
        if (i + 1 >= argc) { fprintf(stderr, "vigil search: %s needs a value\n", a); return 2; }
        *str_opt = argv[++i];
    }
    o.query[ql] = 0;
    if (o.server) {
        if (o.count) { fprintf(stderr, "vigil search: --count works on a local --data directory only\n"); return 2; }
        if (o.tenant) { fprintf(stderr, "vigil search: with --server the token decides the tenant\n"); return 2; }
        /* validate locally first: clearer errors, no round trip */
        struct vg_query q = VG_QUERY_INIT;
        struct vg_err e = VG_ERR_INIT;
        if (vg_query_parse(&q, o.query, &e)) { report_query_error(o.query, &e); return 2; }
        vg_query_release(&q);
        return run_server(&o);
    }
    return run_local(&o);
}

const struct vg_cmd vg_cmd_search = {
    .name = "search", .desc = "search stored events (local data directory or a server)", .usage = usage_text, .run = run};
