/* vigil tokens: manages API tokens in the data directory's store (create
 * prints the secret once; only its hash is stored), lists them and revokes
 * them by id or name. Works next to a running server (SQLite WAL). */
#include "cli.h"
#include "vigil/store.h"

static const char usage_text[] =
    "usage: vigil tokens [--data DIR] create --name NAME [--role ROLE] [--tenant T]\n"
    "       vigil tokens [--data DIR] list [--json]\n"
    "       vigil tokens [--data DIR] revoke ID|NAME\n"
    "\n"
    "  roles: admin, analyst, responder, viewer (default viewer); tenant default \"default\".\n"
    "  The secret is printed once by create; store it safely.";

static void fmt_time(int64_t ns, char *buf, size_t n)
{
    if (!ns) snprintf(buf, n, "-");
    else vg_time_format(ns, buf, n, 0);
}

static int do_create(struct vg_store *s, int argc, char **argv)
{
    const char *name = NULL, *role = "viewer", *tenant = "default";
    for (int i = 1; i < argc; i++) {
        const char **dst = !strcmp(argv[i], "--name") ? &name : !strcmp(argv[i], "--role") ? &role
                          : !strcmp(argv[i], "--tenant") ? &tenant : NULL;
        if (!dst) { fprintf(stderr, "vigil tokens create: unknown argument %s\n", argv[i]); return 2; }
        if (i + 1 >= argc) { fprintf(stderr, "vigil tokens create: %s needs a value\n", argv[i]); return 2; }
        *dst = argv[++i];
    }
    if (!name) { fprintf(stderr, "vigil tokens create: --name is required\n"); return 2; }
    char secret[128];
    struct vg_token_info ti;
    struct vg_err e = VG_ERR_INIT;
    int rc = s->ops->token_create(s, name, role, tenant, secret, sizeof secret, &ti, &e);
    if (rc) {
        fprintf(stderr, "vigil tokens create: %s\n", e.msg);
        return rc == VG_EINVAL || rc == VG_EEXIST ? 2 : 1;
    }
    printf("%s\n", secret);
    fprintf(stderr, "created token %s (name %s, role %s, tenant %s); the secret above is shown only once\n", ti.id, ti.name,
            ti.role, ti.tenant);
    return 0;
}

static int do_list(struct vg_store *s, int argc, char **argv)
{
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) json = true;
        else { fprintf(stderr, "vigil tokens list: unknown argument %s\n", argv[i]); return 2; }
    }
    struct vg_token_info *t = NULL;
    size_t n = 0;
    struct vg_err e = VG_ERR_INIT;
    if (s->ops->token_list(s, &t, &n, &e)) { fprintf(stderr, "vigil tokens list: %s\n", e.msg); return 1; }
    if (!json) printf("%-16s  %-24s  %-9s  %-12s  %-20s  %-20s  %s\n", "ID", "NAME", "ROLE", "TENANT", "CREATED", "LAST USED", "REVOKED");
    for (size_t i = 0; i < n; i++) {
        char c[48], u[48], r[48];
        fmt_time(t[i].created, c, sizeof c);
        fmt_time(t[i].last_used, u, sizeof u);
        fmt_time(t[i].revoked, r, sizeof r);
        if (json) {
            struct vg_buf b = VG_BUF_INIT;
            int rc = vg_buf_addf(&b, "{\"id\":\"%s\",\"name\":", t[i].id);
            if (!rc) rc = vg_buf_add_json_str(&b, t[i].name, strlen(t[i].name));
            if (!rc) rc = vg_buf_addf(&b, ",\"role\":\"%s\",\"tenant\":", t[i].role);
            if (!rc) rc = vg_buf_add_json_str(&b, t[i].tenant, strlen(t[i].tenant));
            if (!rc) rc = vg_buf_addf(&b, ",\"created\":\"%s\",\"last_used\":%s%s%s,\"revoked\":%s%s%s}", c,
                                      t[i].last_used ? "\"" : "", t[i].last_used ? u : "null", t[i].last_used ? "\"" : "",
                                      t[i].revoked ? "\"" : "", t[i].revoked ? r : "null", t[i].revoked ? "\"" : "");
            if (!rc) puts(b.data);
            vg_buf_release(&b);
        } else {
            printf("%-16s  %-24s  %-9s  %-12s  %-20s  %-20s  %s\n", t[i].id, t[i].name, t[i].role, t[i].tenant, c, u, r);
        }
    }
    vg_free(t);
    return 0;
}

static int do_revoke(struct vg_store *s, int argc, char **argv)
{
    if (argc != 2) { fprintf(stderr, "vigil tokens revoke: give exactly one token id or name\n"); return 2; }
    struct vg_err e = VG_ERR_INIT;
    int rc = s->ops->token_revoke(s, argv[1], &e);
    if (rc) {
        fprintf(stderr, "vigil tokens revoke: %s\n", e.msg);
        return rc == VG_ENOENT ? 1 : 1;
    }
    fprintf(stderr, "revoked %s\n", argv[1]);
    return 0;
}

static int run(int argc, char **argv)
{
    const char *data = vg_cli_default_data();
    int i = 1;
    while (i < argc && argv[i][0] == '-') {
        if (!strcmp(argv[i], "--data") && i + 1 < argc) { data = argv[i + 1]; i += 2; continue; }
        fprintf(stderr, "vigil tokens: unknown option %s\n%s\n", argv[i], usage_text);
        return 2;
    }
    if (i >= argc) { fprintf(stderr, "%s\n", usage_text); return 2; }
    const char *sub = argv[i];
    int (*fn)(struct vg_store *, int, char **) = !strcmp(sub, "create") ? do_create : !strcmp(sub, "list") ? do_list
                                                : !strcmp(sub, "revoke") ? do_revoke : NULL;
    if (!fn) { fprintf(stderr, "vigil tokens: unknown subcommand '%s'\n%s\n", sub, usage_text); return 2; }
    struct vg_store *s = NULL;
    struct vg_err e = VG_ERR_INIT;
    if (vg_store_open(&s, data, &e)) { fprintf(stderr, "vigil tokens: cannot open %s: %s\n", data, e.msg); return 1; }
    int rc = fn(s, argc - i, argv + i);
    vg_store_close(s);
    return rc;
}

const struct vg_cmd vg_cmd_tokens = {
    .name = "tokens", .desc = "create, list and revoke API tokens", .usage = usage_text, .run = run};
