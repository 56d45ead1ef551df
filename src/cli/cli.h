/* CLI command table entry: one file per command (src/cli/cmd_<name>.c). */
#ifndef VG_CLI_H
#define VG_CLI_H
#include "vigil/core.h"

struct vg_cmd {
    const char *name;
    const char *desc;   /* one line for `vigil help` */
    const char *usage;  /* full usage text */
    /* argv[0] is the command name; returns the process exit code. */
    int (*run)(int argc, char **argv);
};

#define C(name, sym) extern const struct vg_cmd sym;
#include "commands.def"
#undef C

/* Default data directory: $VIGIL_DATA, else ./data. */
const char *vg_cli_default_data(void);

/* ---- shared plumbing of the local-or-server commands (common.c) ---- */
struct vg_buf;
/* Parses a --since/--until value: a duration back from now (15m, 1h, 7d)
 * or an RFC 3339 time; *out = 0 when v is NULL or empty. Non-zero when it
 * is neither. */
int vg_cli_time_arg(const char *v, int64_t *out);
/* True when DIR/vigil.db exists; else says so on stderr ("vigil CMD: ..."). */
bool vg_cli_have_data(const char *cmd, const char *data);
/* The API token: opt, else $VIGIL_TOKEN, else the first word of
 * DATA/admin.token (then *owned holds it; the caller vg_frees *owned).
 * NULL after a message on stderr when there is none. */
const char *vg_cli_token(const char *cmd, const char *opt, const char *data, char **owned);
/* Parses the value after argv[*i] ("--limit") into *limit (1 to
 * VG_QUERY_MAX_LIMIT) and steps *i past it; -1 after a message otherwise. */
int vg_cli_limit_opt(const char *cmd, int argc, char **argv, int *i, size_t *limit);
/* Appends one query word (space-separated) to query, whose length is *ql;
 * -1 when the text would exceed VG_QUERY_MAX_TEXT (query unchanged). */
int vg_cli_query_add(char *query, size_t *ql, const char *word);
/* Appends server (without a trailing '/') and path to url; 0 or VG_ENOMEM. */
int vg_cli_server_url(struct vg_buf *url, const char *server, const char *path);
/* Prints "vigil CMD: server answered STATUS: ERROR: DETAIL" (error and
 * detail may be NULL) to stderr. */
void vg_cli_server_error(const char *cmd, int status, const char *error, const char *detail);

/* vigil intel feeds ... / vigil intel lookup (src/cli/intel_feeds.c);
 * argv[0] is "feeds" / "lookup". Return the exit code. */
int vg_cli_intel_feeds(int argc, char **argv);
int vg_cli_intel_lookup(int argc, char **argv);

#endif
