/* Plumbing shared by the CLI commands that read from either a local data
 * directory or a server (vigil search, vigil alerts): the since/until time
 * forms, the data-directory check, the API token lookup, the --limit
 * option, the query words, the server URL and the server's error answer.
 * Messages are prefixed "vigil CMD:" with the caller's command name. */
#include "cli.h"
#include "vigil/http_client.h"
#include "vigil/query.h"
#include <sys/stat.h>

int vg_cli_time_arg(const char *v, int64_t *out)
{
    *out = 0;
    if (!v || !*v) return 0;
    int64_t d;
    if (vg_duration_parse(v, &d) == 0) {
        *out = vg_now_ns() - d;
        return 0;
    }
    return vg_time_parse_iso(v, strlen(v), out);
}

bool vg_cli_have_data(const char *cmd, const char *data)
{
    char db[4200];
    snprintf(db, sizeof db, "%s/vigil.db", data);
    struct stat st;
    if (stat(db, &st) != 0) {
        fprintf(stderr, "vigil %s: no Vigil data in %s (no vigil.db); use --data DIR or --server URL\n", cmd, data);
        return false;
    }
    return true;
}

/* First word of DIR/admin.token, or NULL (caller frees with vg_free). */
static char *read_token_file(const char *dir)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/admin.token", dir);
    FILE *f = fopen(p, "r");
    if (!f) return NULL;
    char buf[512];
    char *r = fgets(buf, sizeof buf, f);
    fclose(f);
    if (!r) return NULL;
    buf[strcspn(buf, "\r\n \t")] = 0;
    return buf[0] ? vg_strdup(buf) : NULL;
}

const char *vg_cli_token(const char *cmd, const char *opt, const char *data, char **owned)
{
    *owned = NULL;
    const char *token = opt;
    if (!token) token = getenv("VIGIL_TOKEN");
    if (!token || !*token) token = *owned = read_token_file(data);
    if (!token) fprintf(stderr, "vigil %s: no token: use --token, $VIGIL_TOKEN or %s/admin.token\n", cmd, data);
    return token;
}

int vg_cli_limit_opt(const char *cmd, int argc, char **argv, int *i, size_t *limit)
{
    uint64_t l;
    if (*i + 1 >= argc || vg_parse_u64(argv[*i + 1], strlen(argv[*i + 1]), &l) || l == 0 || l > VG_QUERY_MAX_LIMIT) {
        fprintf(stderr, "vigil %s: --limit takes a number from 1 to %d\n", cmd, VG_QUERY_MAX_LIMIT);
        return -1;
    }
    *limit = (size_t)l;
    (*i)++;
    return 0;
}

int vg_cli_query_add(char *query, size_t *ql, const char *word)
{
    size_t n = strlen(word);
    if (*ql + n + 1 > VG_QUERY_MAX_TEXT) return -1;
    if (*ql) query[(*ql)++] = ' ';
    memcpy(query + *ql, word, n);
    *ql += n;
    return 0;
}

int vg_cli_server_url(struct vg_buf *url, const char *server, const char *path)
{
    size_t sl = strlen(server);
    if (sl && server[sl - 1] == '/') sl--;
    return vg_buf_addf(url, "%.*s%s", (int)sl, server, path);
}

void vg_cli_server_error(const char *cmd, int status, const char *error, const char *detail)
{
    fprintf(stderr, "vigil %s: server answered %d%s%s%s%s\n", cmd, status, error ? ": " : "", error ? error : "",
            detail ? ": " : "", detail ? detail : "");
}
