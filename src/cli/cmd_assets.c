/* vigil assets list|show HOST [--data DIR] [--tenant T] [--json]: the assets
 * of the store (hosts that reported an inventory, posture or findings) with
 * OS, kernel, package count, posture score and change count; show adds the
 * interfaces, uid 0 accounts, listening ports and the latest inventory
 * changes. Exit 0 ok, 1 error or unknown host, 2 usage error. */
#include "cli.h"
#include "vigil/store.h"
#include <jansson.h>

static const char usage_text[] =
    "usage: vigil assets list [--data DIR] [--tenant T] [--json]\n"
    "       vigil assets show HOST [--data DIR] [--tenant T] [--json] [--changes N]\n"
    "       vigil assets set-criticality HOST|host:NAME|user:NAME low|medium|high|critical [--data DIR] [--tenant T]\n"
    "  set-criticality  asset criticality used by entity risk and incident priority\n"
    "                   (docs/internals/incidents.md)\n"
    "  --data DIR   data directory (default $VIGIL_DATA or ./data)\n"
    "  --tenant T   tenant (list: all tenants when absent; show: default \"default\")\n"
    "  --changes N  how many recent inventory changes to show (default 20)\n"
    "exit status: 0 ok, 1 error or unknown host, 2 usage error";

static void fmt_ts(int64_t ns, char *buf, size_t n)
{
    if (ns <= 0) snprintf(buf, n, "-");
    else vg_time_format(ns, buf, n, 0);
}

static json_t *info_json(const struct vg_asset_info *a)
{
    char f[48], l[48];
    fmt_ts(a->first_seen, f, sizeof f);
    fmt_ts(a->last_seen, l, sizeof l);
    json_t *o = json_object();
    json_object_set_new(o, "tenant", json_string(a->tenant));
    json_object_set_new(o, "host", json_string(a->host));
    json_object_set_new(o, "first_seen", json_string(f));
    json_object_set_new(o, "last_seen", json_string(l));
    json_object_set_new(o, "criticality", json_string(a->criticality));
    json_object_set_new(o, "os", json_string(a->os));
    json_object_set_new(o, "kernel", json_string(a->kernel));
    json_object_set_new(o, "packages", json_integer(a->packages));
    json_object_set_new(o, "inventory_changes", json_integer(a->changes));
    json_object_set_new(o, "posture_score", a->score < 0 ? json_null() : json_real(a->score));
    json_object_set_new(o, "vulnerable_packages", a->vulns < 0 ? json_null() : json_integer(a->vulns));
    return o;
}

/* String member or "" (never NULL for printf). */
static const char *js(json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    return v ? v : "";
}

static void dump(json_t *o)
{
    char *t = json_dumps(o, JSON_INDENT(2));
    if (t) printf("%s\n", t);
    free(t);
}

/* vigil assets set-criticality ENTITY LEVEL (issue 4): a bare name is a host. */
static int set_criticality(int argc, char **argv)
{
    if (argc < 4) goto usage;
    const char *data = vg_cli_default_data(), *tenant = NULL;
    for (int i = 4; i < argc; i++) {
        if (strcmp(argv[i], "--data") == 0 && i + 1 < argc) data = argv[++i];
        else if (strcmp(argv[i], "--tenant") == 0 && i + 1 < argc) tenant = argv[++i];
        else goto usage;
    }
    char ent[VG_INC_ENTITY_MAX];
    const char *e = argv[2];
    if (strncmp(e, "host:", 5) && strncmp(e, "user:", 5)) snprintf(ent, sizeof ent, "host:%s", e);
    else snprintf(ent, sizeof ent, "%s", e);
    if (!vg_cli_have_data("assets", data)) return 1;
    struct vg_err err = VG_ERR_INIT;
    struct vg_store *st = NULL;
    if (vg_store_open(&st, data, &err)) {
        fprintf(stderr, "vigil assets: %s\n", err.msg);
        return 1;
    }
    int rc = st->ops->crit_set ? st->ops->crit_set(st, tenant, ent, argv[3], &err) : vg_err_set(&err, VG_EUNSUP, "store has no criticality support");
    vg_store_close(st);
    if (rc) {
        fprintf(stderr, "vigil assets: %s\n", err.msg);
        return rc == VG_EINVAL ? 2 : 1;
    }
    printf("%s criticality %s\n", ent, argv[3]);
    return 0;
usage:
    fprintf(stderr, "%s\n", usage_text);
    return 2;
}

static int run(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "set-criticality") == 0) return set_criticality(argc, argv);
    if (argc < 2) goto usage;
    const char *mode = argv[1], *host = NULL, *data = vg_cli_default_data(), *tenant = NULL;
    bool json = false;
    int64_t nchanges = 20;
    int i = 2;
    if (strcmp(mode, "show") == 0) {
        if (argc < 3) goto usage;
        host = argv[2];
        i = 3;
    } else if (strcmp(mode, "list") != 0) {
        goto usage;
    }
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--data") == 0 && i + 1 < argc) data = argv[++i];
        else if (strcmp(argv[i], "--tenant") == 0 && i + 1 < argc) tenant = argv[++i];
        else if (strcmp(argv[i], "--json") == 0) json = true;
        else if (strcmp(argv[i], "--changes") == 0 && i + 1 < argc) {
            if (vg_parse_i64(argv[i + 1], strlen(argv[i + 1]), &nchanges) || nchanges < 0 || nchanges > 100000) goto usage;
            i++;
        } else goto usage;
    }
    struct vg_err err = VG_ERR_INIT;
    struct vg_store *st = NULL;
    int ret = 1;
    if (vg_store_open(&st, data, &err)) {
        fprintf(stderr, "vigil assets: %s\n", err.msg);
        return 1;
    }
    if (!st->ops->asset_list) {
        fprintf(stderr, "vigil assets: store has no asset support\n");
        goto out;
    }
    if (!host) {
        struct vg_asset_info *a = NULL;
        size_t n = 0;
        if (st->ops->asset_list(st, tenant, &a, &n, &err)) {
            fprintf(stderr, "vigil assets: %s\n", err.msg);
            goto out;
        }
        if (json) {
            json_t *arr = json_array();
            for (size_t k = 0; k < n; k++) json_array_append_new(arr, info_json(&a[k]));
            dump(arr);
            json_decref(arr);
        } else {
            printf("%-10s %-24s %-36s %-22s %8s %7s %8s %s\n", "TENANT", "HOST", "OS", "KERNEL", "PACKAGES", "SCORE",
                   "CHANGES", "LAST SEEN");
            for (size_t k = 0; k < n; k++) {
                char l[48], sc[16];
                fmt_ts(a[k].last_seen, l, sizeof l);
                if (a[k].score < 0) snprintf(sc, sizeof sc, "-");
                else snprintf(sc, sizeof sc, "%.1f%%", a[k].score);
                printf("%-10s %-24s %-36.36s %-22.22s %8lld %7s %8lld %s\n", a[k].tenant, a[k].host, a[k].os,
                       a[k].kernel, (long long)a[k].packages, sc, (long long)a[k].changes, l);
            }
            printf("%zu assets\n", n);
        }
        vg_free(a);
        ret = 0;
        goto out;
    }
    struct vg_asset_info info;
    char *snap = NULL, *changes = NULL;
    if (st->ops->asset_get(st, tenant ? tenant : "default", host, &info, &snap, &changes, (size_t)nchanges, &err)) {
        fprintf(stderr, "vigil assets: %s\n", err.msg);
        goto out;
    }
    json_t *sj = snap && *snap ? json_loads(snap, 0, NULL) : NULL;
    json_t *cj = changes ? json_loads(changes, 0, NULL) : NULL;
    if (json) {
        json_t *o = info_json(&info);
        json_object_set(o, "inventory", sj ? sj : json_null());
        json_object_set(o, "recent_changes", cj ? cj : json_array());
        dump(o);
        json_decref(o);
    } else {
        char f[48], l[48];
        fmt_ts(info.first_seen, f, sizeof f);
        fmt_ts(info.last_seen, l, sizeof l);
        printf("host:        %s (tenant %s, criticality %s)\n", info.host, info.tenant, info.criticality);
        printf("os:          %s, kernel %s\n", info.os, info.kernel);
        printf("seen:        first %s, last %s\n", f, l);
        printf("packages:    %lld\n", (long long)info.packages);
        if (info.score >= 0) printf("posture:     %.1f%%\n", info.score);
        if (info.vulns >= 0) printf("vulnerable packages: %lld\n", (long long)info.vulns);
        size_t k;
        json_t *v;
        json_array_foreach(json_object_get(sj, "interfaces"), k, v)
            printf("interface:   %-10s %s %s\n", js(v, "name"),
                   js(v, "state"), js(v, "addrs"));
        json_array_foreach(json_object_get(sj, "users"), k, v)
        {
            if (json_integer_value(json_object_get(v, "uid")) == 0)
                printf("uid 0:       %s (password %s)\n", js(v, "name"),
                       js(v, "password"));
        }
        json_array_foreach(json_object_get(sj, "listening"), k, v)
            printf("listening:   %-4s %s:%lld %s\n", js(v, "proto"),
                   js(v, "addr"), (long long)json_integer_value(json_object_get(v, "port")),
                   js(v, "process"));
        printf("changes:     %lld stored, newest below\n", (long long)info.changes);
        json_array_foreach(cj, k, v)
        {
            json_t *c = json_object_get(v, "change");
            char t[48];
            fmt_ts(json_integer_value(json_object_get(v, "ts")), t, sizeof t);
            printf("  %s %-28s %s\n", t, js(json_object_get(c, "event"), "action"),
                   js(c, "vigil.inventory.subject"));
        }
    }
    json_decref(sj);
    json_decref(cj);
    vg_free(snap);
    vg_free(changes);
    ret = 0;
out:
    vg_store_close(st);
    return ret;
usage:
    fprintf(stderr, "%s\n", usage_text);
    return 2;
}

const struct vg_cmd vg_cmd_assets = {
    .name = "assets", .desc = "list the assets of the store or show one (inventory, changes)",
    .usage = usage_text, .run = run};
