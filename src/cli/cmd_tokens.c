/* vigil tokens create|list|revoke: manages API tokens in the data directory's
 * store directly (safe while the server runs: SQLite WAL). The secret of a
 * new token is printed once and never stored in plaintext. A running server
 * may keep accepting a revoked token for up to its auth cache TTL (30 s). */
#include "cli.h"
#include "vigil/store.h"

static const char usage_text[] =
    "usage: vigil tokens create --name NAME [--role ROLE] [--tenant TENANT] [--data DIR]\n"
    "       vigil tokens list [--data DIR] [--json]\n"
    "       vigil tokens revoke ID|NAME [--data DIR]\n"
    "\n"
    "Manages API tokens (Authorization: Bearer <token>). ROLE (default viewer) is one of:\n"
#define VG_ROLE(up, name, desc) "  " name ": " desc "\n"
#include "vigil/roles.def"
#undef VG_ROLE
    "TENANT (default \"default\") scopes everything the token ingests and sees.\n"
    "The secret is shown once, on the line 'token: SECRET'. DIR defaults to\n"
    "$VIGIL_DATA or ./data.\n"
    "A running server honours a revocation within 30 s (its token cache).\n";

static void fmt_time(int64_t ns, char *buf, size_t n)
{
    if (!ns) snprintf(buf, n, "-");
    else vg_time_format(ns, buf, n, 0);
}

static int do_create(struct vg_store *s, const char *name, const char *role, const char *tenant)
{
    if (!name) {
        fprintf(stderr, "vigil tokens create: --name is required\n");
        return 2;
    }
    char secret[256];
    struct vg_token_info info;
    struct vg_err err = VG_ERR_INIT;
    if (!s->ops->token_create) {
        fprintf(stderr, "vigil tokens: this store cannot create tokens\n");
        return 1;
    }
    int rc = s->ops->token_create(s, name, role ? role : "viewer", tenant ? tenant : "default", secret, sizeof secret,
                                  &info, &err);
    if (rc) {
        fprintf(stderr, "vigil tokens create: %s\n", err.msg[0] ? err.msg : vg_strerror(rc));
        return rc == VG_EINVAL || rc == VG_EEXIST ? 2 : 1;
    }
    printf("token: %s\n", secret);
    printf("id: %s\nname: %s\nrole: %s\ntenant: %s\n", info.id, info.name, info.role, info.tenant);
    fprintf(stderr, "vigil tokens: the secret above is shown only once; store it safely\n");
    return 0;
}

static int do_list(struct vg_store *s, bool as_json)
{
    struct vg_token_info *t = NULL;
    size_t n = 0;
    struct vg_err err = VG_ERR_INIT;
    int rc = s->ops->token_list ? s->ops->token_list(s, &t, &n, &err) : VG_EUNSUP;
    if (rc) {
        fprintf(stderr, "vigil tokens list: %s\n", err.msg[0] ? err.msg : vg_strerror(rc));
        return 1;
    }
    struct vg_buf b = VG_BUF_INIT;
    if (as_json) {
        rc = vg_buf_addc(&b, '[');
        for (size_t i = 0; rc == 0 && i < n; i++) {
            char c[48], u[48], r[48];
            fmt_time(t[i].created, c, sizeof c);
            fmt_time(t[i].last_used, u, sizeof u);
            fmt_time(t[i].revoked, r, sizeof r);
            rc = vg_buf_adds(&b, i ? ",{\"id\":" : "{\"id\":");
            if (!rc) rc = vg_buf_add_json_str(&b, t[i].id, strlen(t[i].id));
            if (!rc) rc = vg_buf_adds(&b, ",\"name\":");
            if (!rc) rc = vg_buf_add_json_str(&b, t[i].name, strlen(t[i].name));
            if (!rc) rc = vg_buf_adds(&b, ",\"role\":");
            if (!rc) rc = vg_buf_add_json_str(&b, t[i].role, strlen(t[i].role));
            if (!rc) rc = vg_buf_adds(&b, ",\"tenant\":");
            if (!rc) rc = vg_buf_add_json_str(&b, t[i].tenant, strlen(t[i].tenant));
            if (!rc)
                rc = vg_buf_addf(&b, ",\"created\":\"%s\",\"last_used\":%s%s%s,\"revoked\":%s%s%s}", c,
                                 t[i].last_used ? "\"" : "", t[i].last_used ? u : "null", t[i].last_used ? "\"" : "",
                                 t[i].revoked ? "\"" : "", t[i].revoked ? r : "null", t[i].revoked ? "\"" : "");
        }
        if (!rc) rc = vg_buf_adds(&b, "]\n");
        if (!rc) fwrite(b.data, 1, b.len, stdout);
    } else {
        printf("%-18s %-24s %-10s %-16s %-21s %-21s %s\n", "ID", "NAME", "ROLE", "TENANT", "CREATED", "LAST USED",
               "REVOKED");
        for (size_t i = 0; i < n; i++) {
            char c[48], u[48], r[48];
            fmt_time(t[i].created, c, sizeof c);
            fmt_time(t[i].last_used, u, sizeof u);
            fmt_time(t[i].revoked, r, sizeof r);
            printf("%-18s %-24s %-10s %-16s %-21s %-21s %s\n", t[i].id, t[i].name, t[i].role, t[i].tenant, c, u, r);
        }
        if (!n) printf("(no tokens)\n");
    }
    vg_buf_release(&b);
    vg_free(t);
    return rc ? 1 : 0;
}

static int do_revoke(struct vg_store *s, const char *which)
{
    if (!which) {
        fprintf(stderr, "vigil tokens revoke: name the token id or name\n");
        return 2;
    }
    struct vg_err err = VG_ERR_INIT;
    int rc = s->ops->token_revoke ? s->ops->token_revoke(s, which, &err) : VG_EUNSUP;
    if (rc) {
        fprintf(stderr, "vigil tokens revoke: %s\n", err.msg[0] ? err.msg : vg_strerror(rc));
        return 1;
    }
    printf("revoked %s\n", which);
    return 0;
}

static int run(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage_text, stderr);
        return 2;
    }
    const char *sub = argv[1], *data = vg_cli_default_data();
    const char *name = NULL, *role = NULL, *tenant = NULL, *pos = NULL;
    bool as_json = false;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        bool has = i + 1 < argc;
        if (strcmp(a, "--data") == 0 && has) data = argv[++i];
        else if (strcmp(a, "--name") == 0 && has) name = argv[++i];
        else if (strcmp(a, "--role") == 0 && has) role = argv[++i];
        else if (strcmp(a, "--tenant") == 0 && has) tenant = argv[++i];
        else if (strcmp(a, "--json") == 0) as_json = true;
        else if (a[0] != '-' && !pos) pos = a;
        else {
            fprintf(stderr, "vigil tokens: unknown or incomplete option '%s'\n%s", a, usage_text);
            return 2;
        }
    }
    if (strcmp(sub, "create") != 0 && strcmp(sub, "list") != 0 && strcmp(sub, "revoke") != 0) {
        fprintf(stderr, "vigil tokens: unknown subcommand '%s'\n%s", sub, usage_text);
        return 2;
    }
    struct vg_store *s = NULL;
    struct vg_err err = VG_ERR_INIT;
    if (vg_store_open(&s, data, &err)) {
        fprintf(stderr, "vigil tokens: cannot open the store in %s: %s\n", data, err.msg);
        return 1;
    }
    int code;
    if (strcmp(sub, "create") == 0) code = do_create(s, name ? name : pos, role, tenant);
    else if (strcmp(sub, "list") == 0) code = do_list(s, as_json);
    else code = do_revoke(s, pos ? pos : name);
    vg_store_close(s);
    return code;
}

const struct vg_cmd vg_cmd_tokens = {
    .name = "tokens",
    .desc = "create, list and revoke API tokens",
    .usage = usage_text,
    .run = run,
};
