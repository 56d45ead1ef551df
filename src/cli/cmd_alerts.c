/* vigil alerts: lists stored alerts, from the local data directory (a
 * store read handle next to a running server) or from a server's
 * GET /api/v1/alerts with a bearer token. One readable line per alert
 * (time, level, title, entities, rule author) or the stored JSON with
 * --json; a count per level at the end (stderr). */
#include "cli.h"
#include "vigil/http_client.h"
#include "vigil/store.h"
#include <jansson.h>

static const char usage_text[] =
    "usage: vigil alerts [--data DIR | --server URL] [--token T] [--since 1h] [--until TIME]\n"
    "                    [--level LEVEL] [--rule ID] [--status S] [--limit N] [--asc] [--json]\n"
    "                    [--tenant T] [QUERY...]\n"
    "\n"
    "  --level    minimum level: informational, low, medium, high, critical\n"
    "  --rule     only alerts of this rule id\n"
    "  --since    duration back from now (15m, 1h, 7d) or RFC 3339 time (event time)\n"
    "  QUERY      search language over alert fields: title, rule.id, level, status, host.name,\n"
    "             user.name, source.ip (CIDR), tactic, technique, tag, author, matched.<field>,\n"
    "             bare words anywhere in the alert\n"
    "  --json     one alert JSON object per line (docs/internals/alerts.md)\n"
    "  --data     data directory (default $VIGIL_DATA or ./data); --server http://127.0.0.1:8080\n"
    "  --token    API token for --server (default $VIGIL_TOKEN, else DIR/admin.token)";

struct opts {
    const char *data, *server, *token, *since, *until, *tenant, *rule, *status, *level;
    size_t limit;
    bool json, asc;
    char query[VG_QUERY_MAX_TEXT + 2];
};

static void print_esc(const char *s)
{
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == 0x7f) printf("\\x%02x", c);
        else putchar(c);
    }
}

static const char *jstr(json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

/* One readable line from an alert JSON object. */
static void print_alert(json_t *a)
{
    const char *ts = jstr(a, "@timestamp");
    char t[48] = "-";
    int64_t ns;
    if (ts && vg_time_parse_iso(ts, strlen(ts), &ns) == 0) vg_time_format(ns, t, sizeof t, 0);
    printf("%s  %-13s  ", t, jstr(a, "level") ? jstr(a, "level") : "-");
    print_esc(jstr(a, "title"));
    static const char *const ent[][2] = {{"host.name", "host"}, {"user.name", "user"}, {"source.ip", "src"}};
    for (size_t i = 0; i < VG_ARRAY_LEN(ent); i++)
        if (jstr(a, ent[i][0])) { printf("  %s=", ent[i][1]); print_esc(jstr(a, ent[i][0])); }
    json_int_t count = json_integer_value(json_object_get(a, "count"));
    if (count > 1) printf("  count=%lld", (long long)count);
    json_t *tac = json_object_get(a, "tactics");
    if (json_array_size(tac)) {
        printf("  [");
        size_t i;
        json_t *v;
        json_array_foreach(tac, i, v) { if (i) putchar(','); print_esc(json_string_value(v)); }
        putchar(']');
    }
    printf("  (");
    print_esc(jstr(a, "author") ? jstr(a, "author") : "no author");
    printf(")\n");
}

static int print_json_line(const char *j, size_t n, bool as_json)
{
    if (as_json) {
        fwrite(j, 1, n, stdout);
        fputc('\n', stdout);
        return ferror(stdout) ? 1 : 0;
    }
    json_error_t je;
    json_t *a = json_loadb(j, n, 0, &je);
    if (!a) { fprintf(stderr, "vigil alerts: stored alert is not valid JSON: %s\n", je.text); return 0; }
    print_alert(a);
    json_decref(a);
    return ferror(stdout) ? 1 : 0;
}

static int local_cb(void *ctx, const struct vg_stored_alert *a)
{
    const struct opts *o = ctx;
    return print_json_line(a->json, a->json_len, o->json);
}

static void print_levels(const uint64_t *c)
{
    fprintf(stderr, "alerts by level:");
    for (int l = VG_ALERT_NLEVELS - 1; l >= 0; l--)
        fprintf(stderr, " %s %llu%s", vg_alert_level_name(l), (unsigned long long)c[l], l ? "," : "\n");
}

static int run_local(struct opts *o, struct vg_alert_query *aq, struct vg_query *q)
{
    if (!vg_cli_have_data("alerts", o->data)) return 1;
    struct vg_store *s = NULL;
    struct vg_err e = VG_ERR_INIT;
    if (vg_store_open(&s, o->data, &e)) {
        fprintf(stderr, "vigil alerts: cannot open %s: %s\n", o->data, e.msg);
        return 1;
    }
    int rc = 0;
    if (!s->ops->alert_search) {
        fprintf(stderr, "vigil alerts: this store keeps no alerts\n");
        rc = 1;
        goto out;
    }
    aq->where = q->root;
    rc = s->ops->alert_search(s, aq, local_cb, o, &e);
    if (rc > 0) rc = 0;
    uint64_t counts[VG_ALERT_NLEVELS];
    if (!rc) rc = s->ops->alert_counts(s, aq, counts, &e);
    if (!rc && !o->json) print_levels(counts);
    if (rc) fprintf(stderr, "vigil alerts: %s\n", e.msg[0] ? e.msg : vg_strerror(rc));
    rc = rc ? (rc == VG_EINVAL ? 2 : 1) : 0;
out:
    vg_store_close(s);
    return rc;
}

static int add_arg(struct vg_buf *b, const char *name, const char *v)
{
    if (!v || !*v) return 0;
    int rc = vg_buf_addf(b, "&%s=", name);
    return rc ? rc : vg_http_urlencode(b, v);
}

static int run_server(struct opts *o)
{
    char *owned;
    const char *token = vg_cli_token("alerts", o->token, o->data, &owned);
    if (!token) return 2;
    struct vg_buf url = VG_BUF_INIT;
    int rc = vg_cli_server_url(&url, o->server, "/api/v1/alerts");
    if (!rc) rc = vg_buf_addf(&url, "?limit=%zu", o->limit);
    if (!rc) rc = add_arg(&url, "q", o->query);
    if (!rc) rc = add_arg(&url, "since", o->since);
    if (!rc) rc = add_arg(&url, "until", o->until);
    if (!rc) rc = add_arg(&url, "level", o->level);
    if (!rc) rc = add_arg(&url, "rule", o->rule);
    if (!rc) rc = add_arg(&url, "status", o->status);
    if (!rc && o->asc) rc = vg_buf_adds(&url, "&order=asc");
    struct vg_http_response resp;
    memset(&resp, 0, sizeof resp);
    json_t *doc = NULL;
    if (rc) { fprintf(stderr, "vigil alerts: out of memory\n"); rc = 1; goto out; }
    struct vg_http_request rq = {.method = "GET", .url = url.data, .token = token};
    struct vg_err e = VG_ERR_INIT;
    if (vg_http_fetch(&rq, &resp, &e)) {
        fprintf(stderr, "vigil alerts: %s\n", e.msg);
        rc = 1;
        goto out;
    }
    json_error_t je;
    doc = json_loadb(resp.body ? resp.body : "", resp.body_len, 0, &je);
    if (resp.status < 200 || resp.status > 299) {
        vg_cli_server_error("alerts", resp.status, doc ? jstr(doc, "error") : NULL, doc ? jstr(doc, "detail") : NULL);
        rc = resp.status == 400 ? 2 : 1;
        goto out;
    }
    json_t *alerts = doc ? json_object_get(doc, "alerts") : NULL;
    if (!json_is_array(alerts)) {
        fprintf(stderr, "vigil alerts: unexpected answer from the server\n");
        rc = 1;
        goto out;
    }
    size_t i;
    json_t *a;
    json_array_foreach(alerts, i, a) {
        if (o->json) {
            char *s = json_dumps(a, JSON_COMPACT | JSON_PRESERVE_ORDER);
            if (s) puts(s);
            free(s);
        } else {
            print_alert(a);
        }
    }
    if (!o->json) {
        json_t *lv = json_object_get(doc, "levels");
        uint64_t c[VG_ALERT_NLEVELS];
        for (int l = 0; l < VG_ALERT_NLEVELS; l++) c[l] = (uint64_t)json_integer_value(json_object_get(lv, vg_alert_level_name(l)));
        print_levels(c);
        if (json_is_true(json_object_get(doc, "truncated")))
            fprintf(stderr, "vigil alerts: more alerts matched; raise --limit or narrow the filters\n");
    }
    rc = 0;
out:
    json_decref(doc);
    vg_http_response_release(&resp);
    vg_buf_release(&url);
    vg_free(owned);
    return rc;
}

static int run(int argc, char **argv)
{
    struct opts o = {.data = vg_cli_default_data(), .limit = 100};
    size_t ql = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **so = NULL;
        if (!strcmp(a, "--data")) so = &o.data;
        else if (!strcmp(a, "--server")) so = &o.server;
        else if (!strcmp(a, "--token")) so = &o.token;
        else if (!strcmp(a, "--since")) so = &o.since;
        else if (!strcmp(a, "--until")) so = &o.until;
        else if (!strcmp(a, "--tenant")) so = &o.tenant;
        else if (!strcmp(a, "--rule")) so = &o.rule;
        else if (!strcmp(a, "--status")) so = &o.status;
        else if (!strcmp(a, "--level")) so = &o.level;
        else if (!strcmp(a, "--json")) { o.json = true; continue; }
        else if (!strcmp(a, "--asc")) { o.asc = true; continue; }
        else if (!strcmp(a, "--limit")) {
            if (vg_cli_limit_opt("alerts", argc, argv, &i, &o.limit)) return 2;
            continue;
        } else if (a[0] == '-' && a[1] == '-') {
            fprintf(stderr, "vigil alerts: unknown option %s\n%s\n", a, usage_text);
            return 2;
        } else {
            if (vg_cli_query_add(o.query, &ql, a)) { fprintf(stderr, "vigil alerts: query too long\n"); return 2; }
            continue;
        }
        if (i + 1 >= argc) { fprintf(stderr, "vigil alerts: %s needs a value\n", a); return 2; }
        *so = argv[++i];
    }
    o.query[ql] = 0;
    struct vg_alert_query aq;
    memset(&aq, 0, sizeof aq);
    if (o.level && (aq.min_level = vg_alert_level_parse(o.level)) < 0) {
        fprintf(stderr, "vigil alerts: --level takes informational, low, medium, high or critical\n");
        return 2;
    }
    if (vg_cli_time_arg(o.since, &aq.since) || vg_cli_time_arg(o.until, &aq.until)) {
        fprintf(stderr, "vigil alerts: --since/--until take a duration (15m, 1h, 7d) or an RFC 3339 time\n");
        return 2;
    }
    struct vg_query q = VG_QUERY_INIT;
    struct vg_err e = VG_ERR_INIT;
    if (vg_query_parse(&q, o.query, &e)) {
        fprintf(stderr, "vigil alerts: bad query: %s\n", e.msg);
        return 2;
    }
    int rc;
    if (o.server) {
        if (o.tenant) { fprintf(stderr, "vigil alerts: with --server the token decides the tenant\n"); rc = 2; }
        else rc = run_server(&o);
    } else {
        aq.tenant = o.tenant;
        aq.rule = o.rule;
        aq.status = o.status;
        aq.limit = o.limit;
        aq.ascending = o.asc;
        rc = run_local(&o, &aq, &q);
    }
    vg_query_release(&q);
    return rc;
}

const struct vg_cmd vg_cmd_alerts = {
    .name = "alerts", .desc = "list alerts (local data directory or a server)", .usage = usage_text, .run = run};
