/* vigil intel feeds add|list|remove|refresh and vigil intel lookup: the
 * registered threat-intel feeds (include/vigil/intel_feeds.h), against a
 * running server (--server URL, bearer token as in src/cli/common.c) or
 * directly in a data directory (--data DIR; for a stopped server: a
 * running one keeps its own copy of the registry and would overwrite the
 * change). Both paths produce the same JSON, printed by one printer.
 * Called from cmd_intel.c. Exit 0 ok, 1 failure (server error, fetch
 * failed), 2 usage. */
#include "cli.h"
#include "vigil/http_client.h"
#include "vigil/intel_feeds.h"
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

static const char feeds_usage[] =
    "usage: vigil intel feeds list    [--json] [--data DIR | --server URL [--token T]]\n"
    "       vigil intel feeds add     NAME FILE|URL [--format auto|stix|misp|csv|warninglist]\n"
    "                                 [--refresh 1h|off] [--disabled] [--data DIR | --server URL [--token T]]\n"
    "       vigil intel feeds remove  NAME [--data DIR | --server URL [--token T]]\n"
    "       vigil intel feeds refresh NAME [--ca-file PEM] [--data DIR | --server URL [--token T]]\n"
    "       vigil intel lookup VALUE [--json] --server URL [--token T]\n"
    "  A feed is a file (absolute path; a relative one is made absolute) or an http(s):// URL, fetched\n"
    "  on its refresh interval by the server (conditional GET; a failed fetch keeps the last good copy).\n"
    "  --data works on DATA/intel/feeds.json of a stopped server; with a running one use --server.\n"
    "  lookup: which feeds and indicators hold a value (IP, domain, URL, hash, e-mail).";

struct fopts {
    const char *data, *server, *token, *format, *refresh, *ca_file;
    const char *pos[4];
    int npos;
    bool json, disabled;
};

static int parse(int argc, char **argv, struct fopts *o)
{
    memset(o, 0, sizeof *o);
    o->data = vg_cli_default_data();
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **slot = NULL;
        if (!strcmp(a, "--json")) { o->json = true; continue; }
        if (!strcmp(a, "--disabled")) { o->disabled = true; continue; }
        if (!strcmp(a, "--data")) slot = &o->data;
        else if (!strcmp(a, "--server")) slot = &o->server;
        else if (!strcmp(a, "--token")) slot = &o->token;
        else if (!strcmp(a, "--format")) slot = &o->format;
        else if (!strcmp(a, "--refresh")) slot = &o->refresh;
        else if (!strcmp(a, "--ca-file")) slot = &o->ca_file;
        if (slot) {
            if (i + 1 >= argc) { fprintf(stderr, "vigil intel: %s needs a value\n", a); return -1; }
            *slot = argv[++i];
            continue;
        }
        if (a[0] == '-' && a[1]) { fprintf(stderr, "vigil intel: unknown option %s\n", a); return -1; }
        if (o->npos == (int)VG_ARRAY_LEN(o->pos)) return -1;
        o->pos[o->npos++] = a;
    }
    return 0;
}

static void print_esc(const char *s)
{
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == 0x7f) printf("\\x%02x", c);
        else putchar(c);
    }
}

static const char *js(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "-";
}

static long long ji(const json_t *o, const char *k) { return (long long)json_integer_value(json_object_get(o, k)); }

static void print_refresh(long long s)
{
    char b[32];
    if (s <= 0) snprintf(b, sizeof b, "manual");
    else if (s % 86400 == 0) snprintf(b, sizeof b, "%lldd", s / 86400);
    else if (s % 3600 == 0) snprintf(b, sizeof b, "%lldh", s / 3600);
    else if (s % 60 == 0) snprintf(b, sizeof b, "%lldm", s / 60);
    else snprintf(b, sizeof b, "%llds", s);
    printf("%-8s", b);
}

static void print_feed(const json_t *f)
{
    printf("%-20s %-9s %-11s ", js(f, "name"), js(f, "status"), js(f, "format"));
    print_refresh(ji(f, "refresh_s"));
    printf(" %6lld ind (%lld ok, %lld rej, %lld wl)  last %s  ", ji(f, "indicators"), ji(f, "accepted"),
           ji(f, "rejected"), ji(f, "warninglist_entries"), js(f, "last_fetch"));
    print_esc(js(f, "location"));
    if (!json_is_true(json_object_get(f, "enabled"))) printf("  [disabled]");
    const char *e = json_string_value(json_object_get(f, "error"));
    if (e && *e) { printf("\n    error: "); print_esc(e); }
    putchar('\n');
}

/* Prints a feeds answer ({"feeds":[...]}, one feed, {"changed","feed"} or
 * {"removed"}). Returns 1 when the answer is one feed whose last fetch
 * failed (its error is printed), else 0. */
static int print_doc(const char *text, size_t len, bool as_json)
{
    json_error_t je;
    json_t *doc = json_loadb(text, len, 0, &je);
    if (!doc) { fprintf(stderr, "vigil intel: unexpected answer: %s\n", je.text); return 1; }
    json_t *arr = json_object_get(doc, "feeds");
    json_t *one = json_object_get(doc, "feed") ? json_object_get(doc, "feed")
                  : (!arr && !json_object_get(doc, "removed")) ? doc : NULL;
    int rc = one && !strcmp(js(one, "status"), "error") ? 1 : 0;
    if (as_json) {
        fwrite(text, 1, len, stdout);
        if (!len || text[len - 1] != '\n') putchar('\n');
    } else if (json_is_array(arr)) {
        size_t i;
        json_t *f;
        json_array_foreach(arr, i, f) print_feed(f);
        if (!json_array_size(arr)) printf("no feeds registered\n");
    } else if (json_object_get(doc, "removed")) {
        printf("removed %s\n", js(doc, "removed"));
    } else {
        if (json_object_get(doc, "feed")) printf("%s\n", json_is_true(json_object_get(doc, "changed")) ? "changed" : "not changed");
        print_feed(one);
    }
    if (rc) fprintf(stderr, "vigil intel: feed %s: %s (the previous copy, if any, stays in use)\n", js(one, "name"), js(one, "error"));
    json_decref(doc);
    return rc;
}

/* A request to the server; the answer body is printed. */
static int server_call(const struct fopts *o, const char *method, const char *path, const char *body, bool as_json)
{
    char *owned;
    const char *token = vg_cli_token("intel", o->token, o->data, &owned);
    if (!token) return 2;
    struct vg_buf url = VG_BUF_INIT;
    struct vg_http_response resp;
    memset(&resp, 0, sizeof resp);
    int rc = vg_cli_server_url(&url, o->server, path);
    if (rc) { fprintf(stderr, "vigil intel: out of memory\n"); rc = 1; goto out; }
    struct vg_http_request rq = {.method = method, .url = url.data, .token = token, .timeout_ms = 330000,
                                 .content_type = body ? "application/json" : NULL, .body = body,
                                 .body_len = body ? strlen(body) : 0};
    struct vg_err e = VG_ERR_INIT;
    if (vg_http_fetch(&rq, &resp, &e)) { fprintf(stderr, "vigil intel: %s\n", e.msg); rc = 1; goto out; }
    if (resp.status < 200 || resp.status > 299) {
        json_error_t je;
        json_t *d = json_loadb(resp.body ? resp.body : "", resp.body_len, 0, &je);
        vg_cli_server_error("intel", resp.status, d ? json_string_value(json_object_get(d, "error")) : NULL,
                            d ? json_string_value(json_object_get(d, "detail")) : NULL);
        json_decref(d);
        rc = resp.status == 400 ? 2 : 1;
        goto out;
    }
    rc = print_doc(resp.body, resp.body_len, as_json);
out:
    vg_http_response_release(&resp);
    vg_buf_release(&url);
    vg_free(owned);
    return rc;
}

/* FILE -> absolute path; URLs unchanged. */
static int absolute_location(const char *loc, char *out, size_t outsz)
{
    if (vg_intel_feed_is_url(loc) || loc[0] == '/') {
        if (strlen(loc) >= outsz) return -1;
        snprintf(out, outsz, "%s", loc);
        return 0;
    }
    char rp[PATH_MAX];
    if (!realpath(loc, rp)) { fprintf(stderr, "vigil intel: %s: %s\n", loc, strerror(errno)); return -1; }
    if (strlen(rp) >= outsz) return -1;
    snprintf(out, outsz, "%s", rp);
    return 0;
}

static int local_list(const struct fopts *o)
{
    struct vg_intel_feed *feeds = NULL;
    size_t n = 0;
    struct vg_err e = VG_ERR_INIT;
    if (vg_intel_feeds_load(o->data, &feeds, &n, &e)) { fprintf(stderr, "vigil intel: %s\n", e.msg); return 1; }
    struct vg_buf b = VG_BUF_INIT;
    b.cap_limit = 16u << 20;
    int rc = vg_buf_adds(&b, "{\"feeds\":[");
    for (size_t i = 0; !rc && i < n; i++) {
        if (i) rc = vg_buf_addc(&b, ',');
        if (!rc) rc = vg_intel_feed_json(&feeds[i], &b);
    }
    if (!rc) rc = vg_buf_addf(&b, "],\"count\":%zu}", n);
    rc = rc ? 1 : print_doc(b.data, b.len, o->json);
    vg_buf_release(&b);
    vg_free(feeds);
    return rc;
}

static int local_change(const struct fopts *o, const char *verb, const struct vg_intel_feed *nf)
{
    struct vg_intel_feed *feeds = NULL, *grown = NULL;
    size_t n = 0;
    struct vg_err e = VG_ERR_INIT;
    int rc = 1;
    const char *name = nf ? nf->name : o->pos[1];
    if (vg_intel_feeds_load(o->data, &feeds, &n, &e)) { fprintf(stderr, "vigil intel: %s\n", e.msg); return 1; }
    size_t idx = n;
    for (size_t i = 0; i < n; i++)
        if (strcmp(feeds[i].name, name) == 0) idx = i;
    if (!strcmp(verb, "add")) {
        if (idx < n) { fprintf(stderr, "vigil intel: a feed named '%s' exists\n", name); goto out; }
        if (n >= VG_INTEL_FEEDS_MAX) { fprintf(stderr, "vigil intel: at most %d feeds\n", VG_INTEL_FEEDS_MAX); goto out; }
        if (!(grown = vg_realloc(feeds, (n + 1) * sizeof *feeds))) { fprintf(stderr, "vigil intel: out of memory\n"); goto out; }
        feeds = grown;
        feeds[n++] = *nf;
        idx = n - 1;
    } else if (idx == n) {
        fprintf(stderr, "vigil intel: no feed named '%s' in %s\n", name, o->data);
        goto out;
    } else if (!strcmp(verb, "remove")) {
        struct vg_buf p = VG_BUF_INIT;
        if (vg_intel_feed_cache_path(o->data, name, &p) == 0) unlink(p.data);
        vg_buf_release(&p);
        memmove(&feeds[idx], &feeds[idx + 1], (n - idx - 1) * sizeof *feeds);
        n--;
    } else { /* refresh */
        struct vg_intel_fetch_opts fo = {.ca_file = o->ca_file};
        bool changed = false;
        if (vg_intel_feed_update(o->data, &feeds[idx], &fo, &changed, &e) == 0 && !o->json)
            printf("%s\n", changed ? "changed" : "not changed");
    }
    if (vg_intel_feeds_save(o->data, feeds, n, &e)) { fprintf(stderr, "vigil intel: %s\n", e.msg); goto out; }
    rc = 0;
    if (!strcmp(verb, "remove")) printf("removed %s\n", name);
    else {
        struct vg_buf b = VG_BUF_INIT;
        rc = vg_intel_feed_json(&feeds[idx], &b) == 0 ? print_doc(b.data, b.len, o->json) : 1;
        vg_buf_release(&b);
    }
out:
    vg_free(feeds);
    return rc;
}

int vg_cli_intel_feeds(int argc, char **argv)
{
    struct fopts o;
    if (parse(argc, argv, &o) != 0 || o.npos < 1) { fprintf(stderr, "%s\n", feeds_usage); return 2; }
    const char *verb = o.pos[0];
    if (!strcmp(verb, "list")) {
        if (o.npos != 1) goto usage;
        return o.server ? server_call(&o, "GET", "/api/v1/intel/feeds", NULL, o.json) : local_list(&o);
    }
    if (!strcmp(verb, "add")) {
        if (o.npos != 3) goto usage;
        int fmt = o.format ? vg_intel_format_parse(o.format) : VG_INTEL_FMT_AUTO;
        if (fmt < 0) { fprintf(stderr, "vigil intel: --format auto, stix, misp, csv or warninglist\n"); return 2; }
        int64_t refresh = VG_INTEL_FEED_DEFAULT_REFRESH;
        if (o.refresh && (!strcmp(o.refresh, "off") || !strcmp(o.refresh, "0"))) refresh = 0;
        else if (o.refresh && vg_duration_parse(o.refresh, &refresh) != 0) {
            fprintf(stderr, "vigil intel: --refresh takes a duration (1h, 30m) or off\n");
            return 2;
        }
        char loc[VG_INTEL_FEED_LOC_MAX + 1];
        if (absolute_location(o.pos[2], loc, sizeof loc) != 0) return 2;
        struct vg_intel_feed f;
        struct vg_err e = VG_ERR_INIT;
        if (vg_intel_feed_init(&f, o.pos[1], loc, fmt, refresh, &e)) { fprintf(stderr, "vigil intel: %s\n", e.msg); return 2; }
        if (o.disabled) f.enabled = false;
        if (!o.server) return local_change(&o, "add", &f);
        json_t *body = json_pack("{s:s,s:s,s:s,s:I,s:b}", "name", f.name, "location", f.location, "format",
                                 vg_intel_format_name(fmt), "refresh", (json_int_t)(refresh / 1000000000LL), "enabled",
                                 !o.disabled);
        char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
        json_decref(body);
        if (!text) { fprintf(stderr, "vigil intel: out of memory\n"); return 1; }
        int rc = server_call(&o, "POST", "/api/v1/intel/feeds", text, o.json);
        free(text);
        return rc;
    }
    if (!strcmp(verb, "remove") || !strcmp(verb, "refresh")) {
        if (o.npos != 2) goto usage;
        if (!vg_intel_feed_name_ok(o.pos[1])) { fprintf(stderr, "vigil intel: bad feed name '%s'\n", o.pos[1]); return 2; }
        if (!o.server) return local_change(&o, verb, NULL);
        char path[160];
        snprintf(path, sizeof path, "/api/v1/intel/feeds/%s%s", o.pos[1], !strcmp(verb, "refresh") ? "/refresh" : "");
        return server_call(&o, !strcmp(verb, "refresh") ? "POST" : "DELETE", path, NULL, o.json);
    }
usage:
    fprintf(stderr, "%s\n", feeds_usage);
    return 2;
}

static void print_lookup(const char *text, size_t len)
{
    json_error_t je;
    json_t *d = json_loadb(text, len, 0, &je);
    if (!d) { fprintf(stderr, "vigil intel: unexpected answer: %s\n", je.text); return; }
    const char *v = js(d, "value");
    json_t *m = json_object_get(d, "matches");
    if (!json_array_size(m)) printf("%s: no indicator holds it%s\n", v, json_is_true(json_object_get(d, "warninglisted")) ? " (warninglisted)" : "");
    size_t i;
    json_t *x;
    json_array_foreach(m, i, x) {
        printf("%s: %s feed=%s %s \"", v, js(x, "type"), js(x, "feed"), js(x, "id"));
        print_esc(js(x, "name"));
        printf("\" confidence=%lld valid=%s..%s%s pattern=", ji(x, "confidence"), js(x, "valid_from"),
               js(x, "valid_until"), json_is_true(json_object_get(x, "active")) ? "" : " (inactive)");
        print_esc(js(x, "pattern"));
        putchar('\n');
    }
    if (json_is_true(json_object_get(d, "warninglisted")) && json_array_size(m)) printf("%s: warninglisted (hits are suppressed)\n", v);
    json_decref(d);
}

int vg_cli_intel_lookup(int argc, char **argv)
{
    struct fopts o;
    if (parse(argc, argv, &o) != 0 || o.npos != 1 || !o.server) {
        fprintf(stderr, "%s\n(offline: vigil intel check -f FEED VALUE)\n", feeds_usage);
        return 2;
    }
    char *owned;
    const char *token = vg_cli_token("intel", o.token, o.data, &owned);
    if (!token) return 2;
    struct vg_buf url = VG_BUF_INIT;
    struct vg_http_response resp;
    memset(&resp, 0, sizeof resp);
    int rc = vg_cli_server_url(&url, o.server, "/api/v1/intel/lookup?value=");
    if (!rc) rc = vg_http_urlencode(&url, o.pos[0]);
    struct vg_err e = VG_ERR_INIT;
    struct vg_http_request rq = {.method = "GET", .url = url.data, .token = token};
    if (rc) { fprintf(stderr, "vigil intel: out of memory\n"); rc = 1; }
    else if (vg_http_fetch(&rq, &resp, &e)) { fprintf(stderr, "vigil intel: %s\n", e.msg); rc = 1; }
    else if (resp.status != 200) {
        json_error_t je;
        json_t *d = json_loadb(resp.body ? resp.body : "", resp.body_len, 0, &je);
        vg_cli_server_error("intel", resp.status, d ? json_string_value(json_object_get(d, "error")) : NULL,
                            d ? json_string_value(json_object_get(d, "detail")) : NULL);
        json_decref(d);
        rc = 1;
    } else if (o.json) {
        fwrite(resp.body, 1, resp.body_len, stdout);
    } else {
        print_lookup(resp.body, resp.body_len);
    }
    vg_http_response_release(&resp);
    vg_buf_release(&url);
    vg_free(owned);
    return rc;
}
