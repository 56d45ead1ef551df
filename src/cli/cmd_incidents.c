/* vigil incidents: the incident queue (issue 4; docs/internals/incidents.md)
 * from a local data directory (respond layer on a store handle) or from a
 * server's /api/v1/incidents, /api/v1/suppressions and /api/v1/risk.
 * Both paths produce the same JSON, printed as is with --json or as
 * readable lines. Exit 0 ok, 1 error or unknown incident, 2 usage error. */
#include "cli.h"
#include "vigil/http_client.h"
#include "vigil/respond.h"
#include <jansson.h>

static const char usage_text[] =
    "usage: vigil incidents [list] [--all] [--status S] [--limit N]\n"
    "       vigil incidents show ID\n"
    "       vigil incidents merge INTO FROM          (FROM's alerts join INTO)\n"
    "       vigil incidents split ID ALERT_ID...     (the alerts move to a new incident)\n"
    "       vigil incidents close ID | status ID new|in_progress|closed\n"
    "       vigil incidents suppress --rule RULE_ID --entity host:H|user:U|ip:A|* --for 24h [--reason TEXT]\n"
    "       vigil incidents suppressions | risk [--limit N]\n"
    "  common: [--json] [--data DIR [--tenant T] | --server URL [--token T]]\n"
    "  list        raised incidents by priority (--all adds pending ones, which no rule raised yet)\n"
    "  risk        entities (host, user, ip) by accumulated risk over the risk window\n"
    "  --data      data directory (default $VIGIL_DATA or ./data); --server http://127.0.0.1:8080\n"
    "  --token     API token for --server (default $VIGIL_TOKEN, else DIR/admin.token)";

struct opts {
    const char *data, *server, *token, *tenant, *status, *rule, *entity, *dur, *reason;
    size_t limit;
    bool json, all;
    const char *cmd;            /* list, show, merge, split, status, suppress, suppressions, risk */
    const char *args[64];
    int nargs;
};

static void esc(const char *s)
{
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == 0x7f) printf("\\x%02x", c);
        else putchar(c);
    }
}

static const char *js(json_t *o, const char *k)
{
    const char *v = json_string_value(json_object_get(o, k));
    return v ? v : "-";
}

static void short_time(const char *iso, char *out, size_t n)
{
    int64_t ns;
    if (iso && vg_time_parse_iso(iso, strlen(iso), &ns) == 0) vg_time_format(ns, out, n, 0);
    else snprintf(out, n, "-");
}

static void print_list(const char *label, json_t *arr)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        if (i) printf("%s", label);
        esc(json_string_value(v));
    }
}

static void print_incident_line(json_t *i)
{
    char t[48];
    short_time(js(i, "last_seen"), t, sizeof t);
    printf("%5.1f  %-16s %-11s %-13s risk %5.1f  %3lld alerts  %s  ", json_number_value(json_object_get(i, "priority")),
           js(i, "id"), js(i, "status"), js(i, "severity"), json_number_value(json_object_get(i, "risk")),
           (long long)json_integer_value(json_object_get(i, "alerts")), t);
    esc(js(i, "title"));
    printf("  [");
    print_list(",", json_object_get(i, "tactics"));
    printf("]\n");
}

static void print_show(json_t *i)
{
    char f[48], l[48];
    short_time(js(i, "first_seen"), f, sizeof f);
    short_time(js(i, "last_seen"), l, sizeof l);
    printf("incident    %s  ", js(i, "id"));
    esc(js(i, "title"));
    printf("\nstatus      %s (raised by %s)%s\n", js(i, "status"), js(i, "raised"),
           json_is_true(json_object_get(i, "locked")) ? ", changed by an analyst" : "");
    printf("priority    %.1f  severity %s  risk %.1f  confidence %.2f  criticality %s\n",
           json_number_value(json_object_get(i, "priority")), js(i, "severity"), json_number_value(json_object_get(i, "risk")),
           json_number_value(json_object_get(i, "confidence")), js(i, "criticality"));
    printf("time        %s .. %s  (%lld alerts, %lld events)\n", f, l, (long long)json_integer_value(json_object_get(i, "alerts")),
           (long long)json_integer_value(json_object_get(i, "events")));
    printf("tactics     ");
    print_list(", ", json_object_get(i, "tactics"));
    printf("\ntechniques  ");
    print_list(", ", json_object_get(i, "techniques"));
    printf("\nentities    ");
    size_t k;
    json_t *e;
    json_array_foreach(json_object_get(i, "entities"), k, e) {
        if (k) printf(", ");
        esc(js(e, "type"));
        putchar(':');
        esc(js(e, "value"));
        if (strcmp(js(e, "link"), "strong")) printf(" (%s)", js(e, "link"));
    }
    printf("\ntimeline\n");
    json_array_foreach(json_object_get(i, "timeline"), k, e) {
        char t[48];
        short_time(js(e, "time"), t, sizeof t);
        printf("  %s  %-13s ", t, js(e, "level"));
        esc(js(e, "title"));
        static const char *const ent[][2] = {{"host.name", "host"}, {"user.name", "user"}, {"source.ip", "src"}};
        for (size_t x = 0; x < VG_ARRAY_LEN(ent); x++)
            if (json_string_value(json_object_get(e, ent[x][0]))) {
                printf("  %s=", ent[x][1]);
                esc(js(e, ent[x][0]));
            }
        json_int_t c = json_integer_value(json_object_get(e, "count"));
        if (c > 1) printf("  count=%lld", (long long)c);
        printf("  [");
        print_list(",", json_object_get(e, "tactics"));
        printf("]  alert %s\n", js(e, "alert_id"));
    }
}

static void print_risk(json_t *doc)
{
    size_t i;
    json_t *e;
    printf("%6s %6s %-9s %6s  %-40s %s\n", "RISK", "BASE", "CRIT", "ALERTS", "ENTITY", "TACTICS");
    json_array_foreach(json_object_get(doc, "entities"), i, e) {
        printf("%6.1f %6.1f %-9s %6lld  ", json_number_value(json_object_get(e, "risk")),
               json_number_value(json_object_get(e, "base_risk")), js(e, "criticality"),
               (long long)json_integer_value(json_object_get(e, "alerts")));
        esc(js(e, "entity"));
        printf("  ");
        print_list(",", json_object_get(e, "tactics"));
        printf("%s\n", json_is_true(json_object_get(e, "raises")) ? "  (raises an incident)" : "");
    }
}

/* Prints an answer document for the command. */
static int print_doc(const struct opts *o, const char *text, size_t len)
{
    if (o->json) {
        fwrite(text, 1, len, stdout);
        if (!len || text[len - 1] != '\n') putchar('\n');
        return ferror(stdout) ? 1 : 0;
    }
    json_error_t je;
    json_t *doc = json_loadb(text, len, 0, &je);
    if (!doc) {
        fprintf(stderr, "vigil incidents: unexpected answer: %s\n", je.text);
        return 1;
    }
    if (!strcmp(o->cmd, "list")) {
        size_t i;
        json_t *v;
        json_array_foreach(json_object_get(doc, "incidents"), i, v) print_incident_line(v);
        fprintf(stderr, "%lld incident(s)\n", (long long)json_integer_value(json_object_get(doc, "count")));
    } else if (!strcmp(o->cmd, "show")) {
        print_show(doc);
    } else if (!strcmp(o->cmd, "risk")) {
        print_risk(doc);
    } else if (!strcmp(o->cmd, "suppressions")) {
        size_t i;
        json_t *v;
        json_array_foreach(json_object_get(doc, "suppressions"), i, v) {
            printf("%lld  rule %s  entity %s  until %s  by %s  ", (long long)json_integer_value(json_object_get(v, "id")),
                   js(v, "rule_id"), js(v, "entity"), js(v, "expires"), js(v, "created_by"));
            esc(js(v, "reason"));
            putchar('\n');
        }
    } else {
        char *t = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
        if (t) puts(t);
        free(t);
    }
    json_decref(doc);
    return ferror(stdout) ? 1 : 0;
}

static int exit_of(int rc) { return rc == VG_EINVAL ? 2 : rc ? 1 : 0; }

static int run_local(struct opts *o)
{
    if (!vg_cli_have_data("incidents", o->data)) return 1;
    struct vg_store *s = NULL;
    struct vg_err e = VG_ERR_INIT;
    if (vg_store_open(&s, o->data, &e)) {
        fprintf(stderr, "vigil incidents: cannot open %s: %s\n", o->data, e.msg);
        return 1;
    }
    const char *tenant = o->tenant ? o->tenant : "default";
    struct vg_buf out = VG_BUF_INIT;
    int rc = 0;
    if (!strcmp(o->cmd, "list")) {
        struct vg_inc_query q = {.tenant = tenant, .status = o->status, .all = o->all, .limit = o->limit};
        rc = vg_incident_list_json(s, &q, &out, &e);
    } else if (!strcmp(o->cmd, "show")) {
        rc = vg_incident_show_json(s, tenant, o->args[0], &out, &e);
    } else if (!strcmp(o->cmd, "risk")) {
        rc = vg_risk_list_json(s, tenant, vg_now_ns(), NULL, o->limit, &out, &e);
    } else if (!strcmp(o->cmd, "suppressions")) {
        rc = vg_suppressions_json(s, tenant, vg_now_ns(), &out, &e);
    } else if (!strcmp(o->cmd, "merge")) {
        rc = vg_incident_merge(s, tenant, o->args[0], o->args[1], NULL, &e);
        if (!rc) rc = vg_buf_addf(&out, "{\"ok\":true,\"id\":\"%s\",\"merged\":\"%s\"}", o->args[0], o->args[1]);
    } else if (!strcmp(o->cmd, "split")) {
        char nid[VG_INC_ID_MAX];
        rc = vg_incident_split(s, tenant, o->args[0], o->args + 1, (size_t)o->nargs - 1, nid, NULL, &e);
        if (!rc) rc = vg_buf_addf(&out, "{\"ok\":true,\"id\":\"%s\",\"from\":\"%s\",\"moved\":%d}", nid, o->args[0], o->nargs - 1);
    } else if (!strcmp(o->cmd, "status")) {
        rc = vg_incident_set_status(s, tenant, o->args[0], o->args[1], &e);
        if (!rc) rc = vg_buf_addf(&out, "{\"ok\":true,\"id\":\"%s\",\"status\":\"%s\"}", o->args[0], o->args[1]);
    } else if (!strcmp(o->cmd, "suppress")) {
        int64_t ns = 0, id = 0;
        if (vg_duration_parse(o->dur, &ns) != 0 || ns <= 0) rc = vg_err_set(&e, VG_EINVAL, "--for takes a duration such as 24h");
        else rc = vg_suppress(s, tenant, o->rule, o->entity, ns, "cli", o->reason, &id, &e);
        if (!rc) rc = vg_buf_addf(&out, "{\"ok\":true,\"id\":%lld}", (long long)id);
    }
    vg_store_close(s);
    if (rc) {
        fprintf(stderr, "vigil incidents: %s\n", e.msg[0] ? e.msg : vg_strerror(rc));
        vg_buf_release(&out);
        return exit_of(rc);
    }
    rc = print_doc(o, out.data ? out.data : "{}", out.len);
    vg_buf_release(&out);
    return rc;
}

static int run_server(struct opts *o)
{
    char *owned;
    const char *token = vg_cli_token("incidents", o->token, o->data, &owned);
    if (!token) return 2;
    struct vg_buf url = VG_BUF_INIT, body = VG_BUF_INIT;
    const char *method = "GET";
    int rc = 0;
    if (!strcmp(o->cmd, "list")) {
        rc = vg_cli_server_url(&url, o->server, "/api/v1/incidents");
        if (!rc) rc = vg_buf_addf(&url, "?limit=%zu%s", o->limit, o->all ? "&all=1" : "");
        if (!rc && o->status) rc = vg_buf_adds(&url, "&status=");
        if (!rc && o->status) rc = vg_http_urlencode(&url, o->status);
    } else if (!strcmp(o->cmd, "risk")) {
        rc = vg_cli_server_url(&url, o->server, "/api/v1/risk");
        if (!rc) rc = vg_buf_addf(&url, "?limit=%zu", o->limit);
    } else if (!strcmp(o->cmd, "suppressions") || !strcmp(o->cmd, "suppress")) {
        rc = vg_cli_server_url(&url, o->server, "/api/v1/suppressions");
        if (!strcmp(o->cmd, "suppress")) {
            method = "POST";
            json_t *j = json_pack("{s:s, s:s, s:s, s:s}", "rule", o->rule, "entity", o->entity, "for", o->dur, "reason",
                                  o->reason ? o->reason : "");
            char *t = j ? json_dumps(j, JSON_COMPACT) : NULL;
            if (!rc) rc = t ? vg_buf_adds(&body, t) : VG_ENOMEM;
            free(t);
            json_decref(j);
        }
    } else {
        rc = vg_cli_server_url(&url, o->server, "/api/v1/incidents/");
        if (!rc) rc = vg_http_urlencode(&url, o->args[0]);
        if (!rc && strcmp(o->cmd, "show")) {
            method = "POST";
            rc = vg_buf_addf(&url, "/%s", o->cmd);
            json_t *j = NULL;
            if (!strcmp(o->cmd, "merge")) j = json_pack("{s:s}", "from", o->args[1]);
            else if (!strcmp(o->cmd, "status")) j = json_pack("{s:s}", "status", o->args[1]);
            else {
                json_t *a = json_array();
                for (int i = 1; i < o->nargs; i++) json_array_append_new(a, json_string(o->args[i]));
                j = json_pack("{s:o}", "alerts", a);
            }
            char *t = j ? json_dumps(j, JSON_COMPACT) : NULL;
            if (!rc) rc = t ? vg_buf_adds(&body, t) : VG_ENOMEM;
            free(t);
            json_decref(j);
        }
    }
    struct vg_http_response resp;
    memset(&resp, 0, sizeof resp);
    if (rc) {
        fprintf(stderr, "vigil incidents: out of memory\n");
        rc = 1;
        goto out;
    }
    struct vg_http_request rq = {.method = method, .url = url.data, .token = token,
                                 .content_type = body.len ? "application/json" : NULL, .body = body.data, .body_len = body.len};
    struct vg_err e = VG_ERR_INIT;
    if (vg_http_fetch(&rq, &resp, &e)) {
        fprintf(stderr, "vigil incidents: %s\n", e.msg);
        rc = 1;
        goto out;
    }
    if (resp.status < 200 || resp.status > 299) {
        json_t *doc = json_loadb(resp.body ? resp.body : "", resp.body_len, 0, NULL);
        vg_cli_server_error("incidents", resp.status, doc ? json_string_value(json_object_get(doc, "error")) : NULL,
                            doc ? json_string_value(json_object_get(doc, "detail")) : NULL);
        json_decref(doc);
        rc = resp.status == 400 ? 2 : 1;
        goto out;
    }
    rc = print_doc(o, resp.body ? resp.body : "{}", resp.body_len);
out:
    vg_http_response_release(&resp);
    vg_buf_release(&url);
    vg_buf_release(&body);
    vg_free(owned);
    return rc;
}

static int run(int argc, char **argv)
{
    struct opts o = {.data = vg_cli_default_data(), .limit = 100, .cmd = "list"};
    int i = 1;
    static const char *const cmds[] = {"list", "show", "merge", "split", "close", "status", "suppress", "suppressions", "risk"};
    if (i < argc && argv[i][0] != '-') {
        size_t k;
        for (k = 0; k < VG_ARRAY_LEN(cmds); k++)
            if (!strcmp(argv[i], cmds[k])) break;
        if (k == VG_ARRAY_LEN(cmds)) {
            fprintf(stderr, "vigil incidents: unknown command '%s'\n%s\n", argv[i], usage_text);
            return 2;
        }
        o.cmd = cmds[k];
        i++;
    }
    for (; i < argc; i++) {
        const char *a = argv[i];
        const char **so = NULL;
        if (!strcmp(a, "--data")) so = &o.data;
        else if (!strcmp(a, "--server")) so = &o.server;
        else if (!strcmp(a, "--token")) so = &o.token;
        else if (!strcmp(a, "--tenant")) so = &o.tenant;
        else if (!strcmp(a, "--status")) so = &o.status;
        else if (!strcmp(a, "--rule")) so = &o.rule;
        else if (!strcmp(a, "--entity")) so = &o.entity;
        else if (!strcmp(a, "--for")) so = &o.dur;
        else if (!strcmp(a, "--reason")) so = &o.reason;
        else if (!strcmp(a, "--json")) { o.json = true; continue; }
        else if (!strcmp(a, "--all")) { o.all = true; continue; }
        else if (!strcmp(a, "--limit")) {
            if (vg_cli_limit_opt("incidents", argc, argv, &i, &o.limit)) return 2;
            continue;
        } else if (a[0] == '-' && a[1] == '-') {
            fprintf(stderr, "vigil incidents: unknown option %s\n%s\n", a, usage_text);
            return 2;
        } else {
            if (o.nargs == (int)VG_ARRAY_LEN(o.args)) { fprintf(stderr, "vigil incidents: too many arguments\n"); return 2; }
            o.args[o.nargs++] = a;
            continue;
        }
        if (i + 1 >= argc) { fprintf(stderr, "vigil incidents: %s needs a value\n", a); return 2; }
        *so = argv[++i];
    }
    if (!strcmp(o.cmd, "close")) { /* close ID = status ID closed */
        if (o.nargs != 1) goto usage;
        o.cmd = "status";
        o.args[o.nargs++] = "closed";
    }
    int want = !strcmp(o.cmd, "show") ? 1 : !strcmp(o.cmd, "merge") || !strcmp(o.cmd, "status") ? 2 : 0;
    if (!strcmp(o.cmd, "split") ? o.nargs < 2 : o.nargs != want) goto usage;
    if (!strcmp(o.cmd, "suppress") && (!o.rule || !o.entity || !o.dur)) {
        fprintf(stderr, "vigil incidents: suppress needs --rule, --entity and --for\n");
        return 2;
    }
    if (o.server && o.tenant) {
        fprintf(stderr, "vigil incidents: with --server the token decides the tenant\n");
        return 2;
    }
    return o.server ? run_server(&o) : run_local(&o);
usage:
    fprintf(stderr, "%s\n", usage_text);
    return 2;
}

const struct vg_cmd vg_cmd_incidents = {.name = "incidents",
                                        .desc = "incidents: list, show, merge, split, close, suppress; entity risk",
                                        .usage = usage_text,
                                        .run = run};
