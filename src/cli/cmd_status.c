/* vigil status: asks a running server for GET /api/v1/status and prints the
 * per-source counters (received, decoded, failed, dropped, stored, ...) and
 * the store statistics as a table, or the raw JSON with --json. The token
 * comes from --token, $VIGIL_TOKEN or DATA/admin.token. Exit 0 on success,
 * 1 when the server cannot be reached or refuses, 2 on usage errors. */
#include "cli.h"
#include "vigil/http_client.h"
#include <jansson.h>

static const char usage_text[] =
    "usage: vigil status [--server URL] [--token TOKEN] [--data DIR] [--json]\n"
    "\n"
    "Shows the health of a running Vigil server: per-source event counters\n"
    "(received, decoded, failed, dropped, stored) and store statistics.\n"
    "\n"
    "  --server URL   server address (default $VIGIL_SERVER or http://127.0.0.1:8080)\n"
    "  --token TOKEN  API token (default $VIGIL_TOKEN, else the first line of DIR/admin.token)\n"
    "  --data DIR     data directory holding admin.token (default $VIGIL_DATA or ./data)\n"
    "  --json         print the server's JSON answer as is\n";

/* Reads the first line of DIR/admin.token into tok. */
static bool read_token_file(const char *dir, char *tok, size_t toksz)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/admin.token", dir);
    FILE *f = fopen(path, "r");
    if (!f) return false;
    bool ok = fgets(tok, (int)toksz, f) != NULL;
    fclose(f);
    if (!ok) return false;
    size_t n = strlen(tok);
    while (n && (tok[n - 1] == '\n' || tok[n - 1] == '\r' || tok[n - 1] == ' ')) tok[--n] = 0;
    return n > 0;
}

static void human_bytes(uint64_t b, char *out, size_t n)
{
    static const char *u[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)b;
    int i = 0;
    while (v >= 1024 && i < 4) { v /= 1024; i++; }
    if (i == 0) snprintf(out, n, "%llu B", (unsigned long long)b);
    else snprintf(out, n, "%.1f %s", v, u[i]);
}

static void human_duration(double s, char *out, size_t n)
{
    long t = (long)s;
    if (t >= 86400) snprintf(out, n, "%ldd%02ldh%02ldm", t / 86400, t % 86400 / 3600, t % 3600 / 60);
    else if (t >= 3600) snprintf(out, n, "%ldh%02ldm%02lds", t / 3600, t % 3600 / 60, t % 60);
    else if (t >= 60) snprintf(out, n, "%ldm%02lds", t / 60, t % 60);
    else snprintf(out, n, "%.1fs", s);
}

static long long num(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (json_is_integer(v)) return (long long)json_integer_value(v);
    if (json_is_real(v)) return (long long)json_real_value(v);
    return -1;
}

static void print_table(json_t *root, const char *server)
{
    char up[64];
    json_t *uptime = json_object_get(root, "uptime_s");
    human_duration(json_is_number(uptime) ? json_number_value(uptime) : 0, up, sizeof up);
    const char *ver = json_string_value(json_object_get(root, "version"));
    const char *tenant = json_string_value(json_object_get(root, "tenant"));
    printf("vigil %s at %s, up %s (tenant %s)\n\n", ver ? ver : "?", server, up, tenant ? tenant : "?");

    /* Columns: the five health counters first, then any other key seen. */
    const char *cols[16] = {"received", "decoded", "failed", "dropped", "stored"};
    size_t ncols = 5;
    json_t *sources = json_object_get(root, "sources");
    const char *sname;
    json_t *sobj;
    json_object_foreach(sources, sname, sobj) {
        const char *k;
        json_t *v;
        json_object_foreach(sobj, k, v) {
            bool have = false;
            for (size_t i = 0; i < ncols; i++) have = have || strcmp(cols[i], k) == 0;
            if (!have && ncols < VG_ARRAY_LEN(cols)) cols[ncols++] = k;
        }
    }
    printf("%-24s", "SOURCE");
    for (size_t i = 0; i < ncols; i++) {
        char up_col[32];
        size_t j = 0;
        for (; cols[i][j] && j + 1 < sizeof up_col; j++)
            up_col[j] = (char)(cols[i][j] >= 'a' && cols[i][j] <= 'z' ? cols[i][j] - 32 : cols[i][j]);
        up_col[j] = 0;
        printf(" %12s", up_col);
    }
    printf("\n");
    size_t nsrc = 0;
    json_object_foreach(sources, sname, sobj) {
        printf("%-24s", sname);
        for (size_t i = 0; i < ncols; i++) {
            long long v = num(sobj, cols[i]);
            if (v < 0) printf(" %12s", "-");
            else printf(" %12lld", v);
        }
        printf("\n");
        nsrc++;
    }
    if (!nsrc) printf("(no sources have reported yet)\n");

    json_t *store = json_object_get(root, "store");
    printf("\n");
    if (json_is_object(store)) {
        char size[32];
        long long b = num(store, "bytes");
        human_bytes(b > 0 ? (uint64_t)b : 0, size, sizeof size);
        const char *oldest = json_string_value(json_object_get(store, "oldest"));
        const char *newest = json_string_value(json_object_get(store, "newest"));
        printf("store: %lld events in %lld partitions (%lld blocks), %s on disk\n", num(store, "events"),
               num(store, "partitions"), num(store, "blocks"), size);
        printf("       oldest %s, newest %s\n", oldest ? oldest : "-", newest ? newest : "-");
    } else {
        const char *e = json_string_value(json_object_get(root, "store_error"));
        printf("store: unavailable (%s)\n", e ? e : "no statistics");
    }
    json_t *api = json_object_get(root, "api");
    if (json_is_object(api))
        printf("api:   %lld requests, %lld auth failures, %lld rejected ingest records\n", num(api, "requests"),
               num(api, "auth_failures"), num(api, "ingest_rejected"));
}

static int run(int argc, char **argv)
{
    const char *server = getenv("VIGIL_SERVER");
    const char *token = getenv("VIGIL_TOKEN");
    const char *data = vg_cli_default_data();
    bool as_json = false;
    if (!server || !*server) server = "http://127.0.0.1:8080";
    if (token && !*token) token = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if ((strcmp(a, "--server") == 0 || strcmp(a, "--token") == 0 || strcmp(a, "--data") == 0) && i + 1 < argc) {
            const char *v = argv[++i];
            if (a[2] == 's') server = v;
            else if (a[2] == 't') token = v;
            else data = v;
        } else if (strcmp(a, "--json") == 0) {
            as_json = true;
        } else {
            fprintf(stderr, "vigil status: unknown or incomplete option '%s'\n%s", a, usage_text);
            return 2;
        }
    }
    char filetok[600];
    if (!token && read_token_file(data, filetok, sizeof filetok)) token = filetok;
    if (!token) {
        fprintf(stderr, "vigil status: no token: pass --token, set VIGIL_TOKEN or run where %s/admin.token exists\n", data);
        return 2;
    }
    char url[4200];
    size_t sl = strlen(server);
    while (sl && server[sl - 1] == '/') sl--;
    snprintf(url, sizeof url, "%.*s/api/v1/status", (int)sl, server);

    struct vg_http_request rq = {.method = "GET", .url = url, .token = token, .timeout_ms = 10000};
    struct vg_http_response resp;
    struct vg_err err = VG_ERR_INIT;
    int rc = vg_http_fetch(&rq, &resp, &err);
    if (rc) {
        fprintf(stderr, "vigil status: cannot reach the server at %.*s: %s (is `vigil serve` running?)\n", (int)sl,
                server, err.msg);
        return 1;
    }
    int ret = 0;
    json_error_t jerr;
    json_t *root = json_loadb(resp.body, resp.body_len, 0, &jerr);
    if (resp.status != 200) {
        const char *e = root ? json_string_value(json_object_get(root, "error")) : NULL;
        const char *d = root ? json_string_value(json_object_get(root, "detail")) : NULL;
        fprintf(stderr, "vigil status: the server answered %d%s%s%s%s%s\n", resp.status, e ? ": " : "", e ? e : "",
                d ? " (" : "", d ? d : "", d ? ")" : "");
        if (resp.status == 401) fprintf(stderr, "vigil status: check the token (--token, VIGIL_TOKEN, %s/admin.token)\n", data);
        ret = 1;
    } else if (!json_is_object(root)) {
        fprintf(stderr, "vigil status: the server's answer is not JSON: %s\n", root ? "not an object" : jerr.text);
        ret = 1;
    } else if (as_json) {
        fwrite(resp.body, 1, resp.body_len, stdout);
        if (resp.body_len && resp.body[resp.body_len - 1] != '\n') putchar('\n');
    } else {
        char shown[4200];
        snprintf(shown, sizeof shown, "%.*s", (int)sl, server);
        print_table(root, shown);
    }
    json_decref(root);
    vg_http_response_release(&resp);
    return ret;
}

const struct vg_cmd vg_cmd_status = {
    .name = "status",
    .desc = "show per-source counters and store statistics of a running server",
    .usage = usage_text,
    .run = run,
};
