/* Internals of the hardening engine (src/posture/sca/): the compiled
 * condition tree, the probe table (probes.def, one probe_<name>.c each), the
 * per-run context with lazily loaded host databases (passwd, group, shadow,
 * dpkg status, sysctl configuration, sshd effective configuration), and small
 * helpers shared by the probes. Not a public header. */
#ifndef VG_SCA_INTERNAL_H
#define VG_SCA_INTERNAL_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <sys/stat.h>
#include "vigil/sca.h"

/* ---- probe parameters -------------------------------------------------- */
enum vg__sca_ptype {
    PT_STR,    /* one scalar */
    PT_STRS,   /* a scalar or a list of scalars */
    PT_INT,    /* decimal integer */
    PT_BOOL,   /* true / false */
    PT_MODE,   /* octal permission bits, e.g. "0640" */
    PT_REGEX,  /* PCRE2 pattern, compiled at load */
    PT_ENUM,   /* one of the '|'-separated choices in param.choices */
};

struct vg__sca_param {
    const char *name;
    enum vg__sca_ptype type;
    bool required;
    const char *choices; /* PT_ENUM: "a|b|c"; value is the index */
    const char *doc;     /* one line for docs and `vigil harden --probes` */
};

/* A parsed parameter value; which members are valid depends on the type. */
struct vg__sca_val {
    bool set;
    const char *s;            /* PT_STR, PT_MODE text, PT_REGEX pattern, PT_ENUM text */
    const char *const *list;  /* PT_STRS (a scalar becomes a one-entry list) */
    size_t n;
    int64_t i;                /* PT_INT, PT_MODE bits, PT_ENUM index, PT_BOOL 0/1 */
    pcre2_code *re;           /* PT_REGEX (owned by the policy) */
};

struct vg__sca_ctx;
struct vg__sca_node;

struct vg__sca_probe {
    const char *name;
    const char *desc;
    const struct vg__sca_param *params;
    size_t nparams;
    /* Cross-parameter validation after parsing; fills why and returns -1. */
    int (*check)(const struct vg__sca_node *n, char *why, size_t whylen);
    /* Evaluates the probe; appends evidence to ev (capped). */
    enum vg_sca_status (*run)(struct vg__sca_ctx *c, const struct vg__sca_node *n, struct vg_buf *ev);
};

#define P(name) extern const struct vg__sca_probe vg__sca_probe_##name;
#include "probes.def"
#undef P

const struct vg__sca_probe *vg__sca_probe_find(const char *name, size_t len);
size_t vg__sca_probe_count(void);
const struct vg__sca_probe *vg__sca_probe_at(size_t i);

/* ---- condition tree ---------------------------------------------------- */
enum vg__sca_nkind { NK_ALL, NK_ANY, NK_NOT, NK_PROBE };
struct vg__sca_node {
    enum vg__sca_nkind kind;
    const struct vg__sca_probe *probe; /* NK_PROBE */
    struct vg__sca_val *vals;          /* NK_PROBE: one per probe->params */
    struct vg__sca_node **kids;        /* NK_ALL/ANY (n) and NK_NOT (1) */
    size_t nkids;
    int line, col;
};
#define ARG(n, idx) (&(n)->vals[(idx)])

/* ---- comparison operators (sysctl, sshd_config, login_defs, pam) ------- */
enum vg__sca_op { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_IN, OP_NOT_IN, OP_MATCH, OP_NO_MATCH,
                  OP_NONE_OF, OP_SET, OP_UNSET };
#define VG__SCA_OPS "eq|ne|lt|le|gt|ge|in|not_in|match|no_match|none_of|set|unset"
/* Compares actual (may be NULL = unset) with the node's value list / regex.
 * Numeric ops parse both sides as integers (sshd time suffixes allowed when
 * timesuffix); a non-number makes the comparison false. */
bool vg__sca_compare(enum vg__sca_op op, const char *actual, const struct vg__sca_val *values,
                     const struct vg__sca_val *re, bool casefold, bool timesuffix);

/* Validates op/value/regex parameter triples (by parameter index). */
int vg__sca_op_check(const struct vg__sca_node *n, int iop, int ival, int ire, char *why, size_t whylen);

/* ---- run context -------------------------------------------------------- */
struct vg__sca_user { const char *name; int64_t uid, gid; const char *pw, *home, *shell; int line; };
struct vg__sca_group { const char *name; int64_t gid; const char *members; int line; };
struct vg__sca_shadow { const char *name; const char *hash; int line; };
struct vg__sca_kv { const char *key, *value, *file; int line; };

struct vg__sca_db {
    bool loaded;
    int rc;              /* 0, or VG_ENOENT/VG_EIO... when loading failed */
    char msg[160];
    void *items;
    size_t n;
};

struct vg__sca_ctx {
    const char *root;    /* without a trailing slash; "" for the live root */
    bool live;           /* root is "/" */
    int cmd_timeout_ms;
    struct vg_arena ar;  /* per-run scratch, freed at the end */
    struct vg__sca_db passwd, group, shadow, dpkg, sysctl, sshd, logindefs;
    bool sshd_from_cmd;  /* sshd db came from `sshd -T` */
    pcre2_match_data *md;     /* sized for any pattern of the policy */
    pcre2_match_context *mc;  /* match/depth/heap limits */
};

/* Root-relative path: writes root+path into buf. Returns buf, or NULL when too long. */
const char *vg__sca_path(const struct vg__sca_ctx *c, const char *path, char *buf, size_t bufsz);
/* Reads a file under the root (path absolute in the root) into the run arena
 * (NUL-terminated), at most cap bytes (larger: VG_ETOOBIG). VG_ENOENT when missing. */
int vg__sca_read(struct vg__sca_ctx *c, const char *path, size_t cap, char **out, size_t *len);
/* Expands a glob (absolute in the root) into sorted root-relative paths
 * (at most 4096). Returns the count, or a negative VG_E* code. */
int vg__sca_glob(struct vg__sca_ctx *c, const char *pattern, const char ***out);
/* Runs argv (argv[0] looked up in a fixed PATH) on the live root with the
 * run's timeout, stdout+stderr captured into the arena (cap 1 MiB).
 * Returns 0 and *status (exit code, or -1 when killed), VG_ENOENT when the
 * program is missing, VG_ETIMEOUT, VG_EIO. */
int vg__sca_exec(struct vg__sca_ctx *c, const char *const *argv, char **out, size_t *len, int *status);
/* Regex on a byte range; false on no match or on match-limit errors. */
bool vg__sca_re_match(struct vg__sca_ctx *c, pcre2_code *re, const char *s, size_t n);

/* Host databases (loaded once per run). Return 0 or the loading error
 * (message in the db). */
int vg__sca_db_passwd(struct vg__sca_ctx *c, const struct vg__sca_user **u, size_t *n);
int vg__sca_db_group(struct vg__sca_ctx *c, const struct vg__sca_group **g, size_t *n);
int vg__sca_db_shadow(struct vg__sca_ctx *c, const struct vg__sca_shadow **s, size_t *n);
/* dpkg: names of installed packages (sorted). */
int vg__sca_db_dpkg(struct vg__sca_ctx *c, const char *const **names, size_t *n);
bool vg__sca_pkg_installed(struct vg__sca_ctx *c, const char *name, int *rc);
/* Configured sysctl values (last assignment wins), keys normalised to dots. */
int vg__sca_db_sysctl(struct vg__sca_ctx *c, const struct vg__sca_kv **kv, size_t *n);
int vg__sca_db_logindefs(struct vg__sca_ctx *c, const struct vg__sca_kv **kv, size_t *n);
/* Effective sshd settings, keys lowercased; value NULL never. */
int vg__sca_db_sshd(struct vg__sca_ctx *c, const struct vg__sca_kv **kv, size_t *n);
const struct vg__sca_kv *vg__sca_kv_find(const struct vg__sca_kv *kv, size_t n, const char *key, bool casefold);
/* Name of a uid/gid through the root's passwd/group; NULL when unknown. */
const char *vg__sca_uid_name(struct vg__sca_ctx *c, int64_t uid);
const char *vg__sca_gid_name(struct vg__sca_ctx *c, int64_t gid);

/* ---- sshd_config parser (also fuzzed) ----------------------------------- */
/* Callback used to read Include'd files: returns 0 and a buffer owned by the
 * caller of the parser (arena), or an error. */
typedef int (*vg__sca_sshd_reader)(void *user, const char *path, char **text, size_t *len);
typedef int (*vg__sca_sshd_globber)(void *user, const char *pattern, const char ***paths);
struct vg__sca_sshd_parse {
    struct vg_arena *ar;
    vg__sca_sshd_reader read;   /* NULL: Include lines are recorded but not followed */
    vg__sca_sshd_globber glob;
    void *user;
    struct vg__sca_kv *kv;      /* out: effective settings (lowercase keys) */
    size_t n, cap;
    int depth, files;
};
/* Parses one sshd_config text (first value wins; Match blocks skipped; some
 * keywords accumulate), following Include through the callbacks, then adds
 * OpenSSH 9.2 defaults for unset keys. Returns 0, VG_ENOMEM or VG_ETOOBIG. */
int vg__sca_sshd_parse_text(struct vg__sca_sshd_parse *ps, const char *text, size_t len, const char *file);
int vg__sca_sshd_defaults(struct vg__sca_sshd_parse *ps);
/* Parses `sshd -T` output (lowercase "key value" lines). */
int vg__sca_sshd_parse_dump(struct vg__sca_sshd_parse *ps, const char *text, size_t len);

/* Platform matching: true when the policy lists no platforms or one matches. */
bool vg__sca_policy_platform(const struct vg_sca_policy *p, const char *id, const char *version_id);

/* ---- shared probe pieces ---------------------------------------------- */
#define VG__SCA_MISSING "fail|pass|na"   /* PT_ENUM choices of `missing` */
/* Maps a `missing` parameter (or dflt when unset) to a status. */
enum vg_sca_status vg__sca_missing(const struct vg__sca_val *v, enum vg_sca_status dflt);
/* Checks one stat result against max mode / required bits / owner names
 * (any NULL or unset constraint is skipped). Appends the violation to ev and
 * returns false, or returns true. */
bool vg__sca_stat_ok(struct vg__sca_ctx *c, const char *path, const struct stat *st, const struct vg__sca_val *max,
                     const struct vg__sca_val *has, const struct vg__sca_val *user, const struct vg__sca_val *group,
                     struct vg_buf *ev);
/* Says why a file passed, in the evidence (first three passing files). */
typedef void (*vg__sca_stat_note)(struct vg__sca_ctx *c, const char *path, const struct stat *st, struct vg_buf *ev);
/* The file probes' walk: stats every file matching the glob pattern and
 * checks each with vg__sca_stat_ok(max, has, user, group), noting the first
 * three passing ones through note. VG_SCA_ERROR when the glob fails; the
 * `missing` result (default fail) when nothing matches; else PASS when
 * every file passed, FAIL otherwise. */
enum vg_sca_status vg__sca_stat_files(struct vg__sca_ctx *c, const char *pat, const struct vg__sca_val *missing,
                                      const struct vg__sca_val *max, const struct vg__sca_val *has,
                                      const struct vg__sca_val *user, const struct vg__sca_val *group,
                                      vg__sca_stat_note note, struct vg_buf *ev);
/* Line-oriented regex scan of text: lines whose first non-blank byte is in
 * comments are skipped. Sets *matched when match (may be NULL) hits a line,
 * *violated when no_match (may be NULL) hits one; evidence names file:line.
 * Returns the number of lines scanned. */
size_t vg__sca_scan_lines(struct vg__sca_ctx *c, const char *text, size_t len, const char *file, const char *comments,
                          pcre2_code *match, pcre2_code *no_match, bool *matched, bool *violated, struct vg_buf *ev);

/* ---- evidence helpers --------------------------------------------------- */
/* Appends "; " when ev is not empty, then the formatted text (capped). */
void vg__sca_ev(struct vg_buf *ev, const char *fmt, ...) VG_PRINTF(2, 3);
/* Appends a line excerpt (trimmed, at most 160 bytes, control bytes as '?'). */
void vg__sca_ev_excerpt(struct vg_buf *ev, const char *s, size_t n);
/* Trim helpers */
void vg__sca_trim(const char **s, size_t *n);
/* Line iterator over [p, end): vg__sca_line_next sets *s, *n to the next
 * line without its '\n' (a trailing '\r' is kept) and counts it in no;
 * false at the end. Shared by every line-oriented reader of the module. */
struct vg__sca_lines { const char *p, *end; int no; };
bool vg__sca_line_next(struct vg__sca_lines *l, const char **s, size_t *n);

#endif
