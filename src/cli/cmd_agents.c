/* vigil agents token|list|revoke: enrollment tokens and the agent registry,
 * read and written in the data directory's store directly (safe while the
 * server runs: SQLite WAL). `token` also opens (or creates) the agents' CA
 * in DATA/ca so it can print the CA fingerprint the agent may pin with
 * --ca-fingerprint. A revoked agent is refused at its next connection and
 * dropped from a live one within about 2 s. */
#include "cli.h"
#include "vigil/agent_ca.h"
#include "vigil/store.h"

static const char usage_text[] =
    "usage: vigil agents token [--tenant T] [--expires DURATION] [--data DIR]\n"
    "       vigil agents list [--json] [--silent-after DURATION] [--data DIR]\n"
    "       vigil agents revoke ID|NAME [--data DIR]\n"
    "\n"
    "token   mints a one-time enrollment token (default expiry 1h) for tenant T (default\n"
    "        \"default\") and prints it with the SHA-256 fingerprint of the server's agent CA:\n"
    "          vigil-agent enroll --server HOST:PORT --token TOKEN --ca-fingerprint FP\n"
    "list    shows every agent: id, name, tenant, status (active, silent, revoked, never),\n"
    "        last seen, version and address. An agent is silent when it has not been heard\n"
    "        from for --silent-after (default 30s, the server's [agents] silent_after).\n"
    "revoke  revokes an agent: the server refuses it from now on and closes its connection.\n"
    "DIR defaults to $VIGIL_DATA or ./data.\n";

static void fmt_time(int64_t ns, char *buf, size_t n)
{
    if (!ns) snprintf(buf, n, "-");
    else vg_time_format(ns, buf, n, 0);
}

static const char *status_of(const struct vg_agent_info *a, int64_t now, int64_t silent_ns)
{
    if (a->revoked) return "revoked";
    if (!a->last_seen) return "never";
    if (a->silent || now - a->last_seen > silent_ns) return "silent";
    return "active";
}

static int do_token(struct vg_store *s, const char *data, const char *tenant, const char *expires)
{
    int64_t ttl = 3600LL * 1000000000LL;
    if (expires && (vg_duration_parse(expires, &ttl) != 0 || ttl <= 0)) {
        fprintf(stderr, "vigil agents token: bad --expires '%s' (e.g. 15m, 1h, 7d)\n", expires);
        return 2;
    }
    struct vg_err err = VG_ERR_INIT;
    struct vg_agent_ca *ca = NULL;
    if (vg_agent_ca_open(&ca, data, NULL, &err) != 0) {
        fprintf(stderr, "vigil agents token: %s\n", err.msg);
        return 1;
    }
    char secret[128];
    int rc = s->ops->enroll_token_create ? s->ops->enroll_token_create(s, tenant ? tenant : "default", vg_now_ns() + ttl,
                                                                        secret, sizeof secret, &err)
                                         : VG_EUNSUP;
    if (rc) {
        fprintf(stderr, "vigil agents token: %s\n", err.msg[0] ? err.msg : vg_strerror(rc));
        vg_agent_ca_free(ca);
        return rc == VG_EINVAL ? 2 : 1;
    }
    char exp[48];
    vg_time_format(vg_now_ns() + ttl, exp, sizeof exp, 0);
    printf("token: %s\n", secret);
    printf("ca_fingerprint: %s\n", vg_agent_ca_fingerprint(ca));
    printf("tenant: %s\nexpires: %s\n", tenant ? tenant : "default", exp);
    fprintf(stderr, "vigil agents: the token works once; enroll with\n"
                    "  vigil-agent enroll --server HOST:PORT --token %s --ca-fingerprint %s\n",
            secret, vg_agent_ca_fingerprint(ca));
    vg_agent_ca_free(ca);
    return 0;
}

static int do_list(struct vg_store *s, bool as_json, int64_t silent_ns)
{
    struct vg_agent_info *a = NULL;
    size_t n = 0;
    struct vg_err err = VG_ERR_INIT;
    int rc = s->ops->agent_list ? s->ops->agent_list(s, &a, &n, &err) : VG_EUNSUP;
    if (rc) {
        fprintf(stderr, "vigil agents list: %s\n", err.msg[0] ? err.msg : vg_strerror(rc));
        return 1;
    }
    int64_t now = vg_now_ns();
    struct vg_buf b = VG_BUF_INIT;
    if (as_json) {
        rc = vg_buf_addc(&b, '[');
        for (size_t i = 0; rc == 0 && i < n; i++) {
            char seen[48], enr[48];
            fmt_time(a[i].last_seen, seen, sizeof seen);
            fmt_time(a[i].enrolled, enr, sizeof enr);
            rc = vg_buf_adds(&b, i ? ",{\"id\":" : "{\"id\":");
            if (!rc) rc = vg_buf_add_json_str(&b, a[i].id, strlen(a[i].id));
            if (!rc) rc = vg_buf_adds(&b, ",\"name\":");
            if (!rc) rc = vg_buf_add_json_str(&b, a[i].name, strlen(a[i].name));
            if (!rc) rc = vg_buf_adds(&b, ",\"tenant\":");
            if (!rc) rc = vg_buf_add_json_str(&b, a[i].tenant, strlen(a[i].tenant));
            if (!rc) rc = vg_buf_adds(&b, ",\"version\":");
            if (!rc) rc = vg_buf_add_json_str(&b, a[i].version, strlen(a[i].version));
            if (!rc) rc = vg_buf_adds(&b, ",\"address\":");
            if (!rc) rc = vg_buf_add_json_str(&b, a[i].address, strlen(a[i].address));
            if (!rc)
                rc = vg_buf_addf(&b, ",\"status\":\"%s\",\"enrolled\":\"%s\",\"last_seen\":%s%s%s,\"last_seq\":%llu,"
                                     "\"fingerprint\":\"%s\"}",
                                 status_of(&a[i], now, silent_ns), enr, a[i].last_seen ? "\"" : "",
                                 a[i].last_seen ? seen : "null", a[i].last_seen ? "\"" : "",
                                 (unsigned long long)a[i].last_seq, a[i].fingerprint);
        }
        if (!rc) rc = vg_buf_adds(&b, "]\n");
        if (!rc) fwrite(b.data, 1, b.len, stdout);
    } else {
        printf("%-32s %-20s %-12s %-8s %-21s %-8s %s\n", "ID", "NAME", "TENANT", "STATUS", "LAST SEEN", "VERSION",
               "ADDRESS");
        for (size_t i = 0; i < n; i++) {
            char seen[48];
            fmt_time(a[i].last_seen, seen, sizeof seen);
            printf("%-32s %-20s %-12s %-8s %-21s %-8s %s\n", a[i].id, a[i].name, a[i].tenant,
                   status_of(&a[i], now, silent_ns), seen, a[i].version[0] ? a[i].version : "-",
                   a[i].address[0] ? a[i].address : "-");
        }
        if (!n) printf("(no agents)\n");
    }
    vg_buf_release(&b);
    vg_free(a);
    return rc ? 1 : 0;
}

static int do_revoke(struct vg_store *s, const char *which)
{
    if (!which) {
        fprintf(stderr, "vigil agents revoke: name the agent id or name\n");
        return 2;
    }
    struct vg_err err = VG_ERR_INIT;
    int rc = s->ops->agent_revoke ? s->ops->agent_revoke(s, which, &err) : VG_EUNSUP;
    if (rc) {
        fprintf(stderr, "vigil agents revoke: %s\n", err.msg[0] ? err.msg : vg_strerror(rc));
        return rc == VG_ENOENT ? 1 : 1;
    }
    printf("revoked %s\n", which);
    return 0;
}

static int run(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(usage_text, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *sub = argv[1], *data = vg_cli_default_data(), *tenant = NULL, *expires = NULL, *which = NULL;
    bool as_json = false;
    int64_t silent_ns = 30LL * 1000000000LL;
    for (int i = 2; i < argc; i++) {
        bool more = i + 1 < argc;
        if (strcmp(argv[i], "--data") == 0 && more) data = argv[++i];
        else if (strcmp(argv[i], "--tenant") == 0 && more) tenant = argv[++i];
        else if (strcmp(argv[i], "--expires") == 0 && more) expires = argv[++i];
        else if (strcmp(argv[i], "--json") == 0) as_json = true;
        else if (strcmp(argv[i], "--silent-after") == 0 && more) {
            if (vg_duration_parse(argv[++i], &silent_ns) != 0 || silent_ns <= 0) {
                fprintf(stderr, "vigil agents: bad --silent-after '%s'\n", argv[i]);
                return 2;
            }
        } else if (argv[i][0] != '-' && !which) which = argv[i];
        else {
            fprintf(stderr, "vigil agents: unknown or incomplete option '%s'\n%s", argv[i], usage_text);
            return 2;
        }
    }
    if (strcmp(sub, "token") != 0 && strcmp(sub, "list") != 0 && strcmp(sub, "revoke") != 0) {
        fprintf(stderr, "vigil agents: unknown subcommand '%s'\n%s", sub, usage_text);
        return 2;
    }
    struct vg_store *s = NULL;
    struct vg_err err = VG_ERR_INIT;
    if (vg_store_open(&s, data, &err) != 0) {
        fprintf(stderr, "vigil agents: %s\n", err.msg);
        return 1;
    }
    int code;
    if (strcmp(sub, "token") == 0) code = do_token(s, data, tenant, expires);
    else if (strcmp(sub, "list") == 0) code = do_list(s, as_json, silent_ns);
    else code = do_revoke(s, which);
    vg_store_close(s);
    return code;
}

const struct vg_cmd vg_cmd_agents = {.name = "agents", .desc = "enroll, list and revoke vigil-agents",
                                     .usage = usage_text, .run = run};
