/* The search language: `field:value`, wildcards (* ?), quoted phrases,
 * AND / OR / NOT (and implicit AND between terms), parentheses, bare words
 * (searched in the raw message), comparisons (field:>N, field:>=N, ...),
 * CIDR values for IP fields (source.ip:10.0.0.0/8), and time bounds given
 * separately. Parsed into an AST that store backends compile to
 * parameterised SQL. Nothing from the query text is pasted into SQL. */
#ifndef VIGIL_QUERY_H
#define VIGIL_QUERY_H

#include "vigil/core.h"

enum vg_qnode_kind { VG_Q_AND, VG_Q_OR, VG_Q_NOT, VG_Q_TERM, VG_Q_ALL };

enum vg_qop {
    VG_QOP_EQ,        /* field:value (case-insensitive, wildcards allowed) */
    VG_QOP_PHRASE,    /* field:"quoted value" (exact text, case-insensitive, no wildcards) */
    VG_QOP_GT, VG_QOP_GTE, VG_QOP_LT, VG_QOP_LTE,
    VG_QOP_CIDR,      /* field:addr/prefix */
    VG_QOP_EXISTS,    /* field:* */
};

struct vg_qnode {
    enum vg_qnode_kind kind;
    struct vg_qnode *a, *b;   /* AND/OR: both; NOT: a */
    /* TERM: */
    char *field;              /* NULL = free text (matches raw message) */
    char *value;              /* unescaped value; when has_wildcard it is a
                                 pattern in which \ escapes the next byte
                                 (so a literal * is stored as \*) */
    enum vg_qop op;
    bool has_wildcard;        /* value contains unescaped * or ? */
    int col;                  /* 1-based column of the term in the text */
};

/* Time bounds: since <= ts < until. limit 0 means the default (100); the
 * SQLite backend caps it at VG_QUERY_MAX_LIMIT. */
struct vg_query {
    struct vg_qnode *root;    /* VG_Q_ALL for an empty query */
    int64_t since, until;     /* ns; 0 = unbounded */
    size_t limit;             /* max results, default 100 */
    const char *tenant;       /* tenant scope, NULL = "default" */
    bool ascending;           /* oldest first (default newest first) */
};
#define VG_QUERY_INIT {NULL, 0, 0, 0, NULL, false}
#define VG_QUERY_DEFAULT_LIMIT 100
#define VG_QUERY_MAX_LIMIT 100000
#define VG_QUERY_MAX_TEXT 4096
#define VG_QUERY_MAX_TERMS 256
#define VG_QUERY_MAX_DEPTH 64

/* Parses text into q->root (other members of q are left alone). Errors
 * (VG_EPARSE, VG_ETOOBIG past the limits, VG_EUTF8, VG_ENOMEM) set
 * err->col to the 1-based column and leave q->root NULL. The caller frees
 * with vg_query_release. Limits: 4096 bytes, 256 terms, nesting depth 64.
 *
 * Grammar (keywords are upper case):
 *   query   = or
 *   or      = and { "OR" and }
 *   and     = unary { ["AND"] unary }            implicit AND
 *   unary   = "NOT" unary | primary
 *   primary = "(" or ")" | field ":" "(" or ")"   (field applies inside)
 *           | [field ":"] value
 *   value   = '"' phrase '"' | "*" (field exists) | (">"|">="|"<"|"<=") number
 *           | addr "/" prefix (CIDR) | word with * ? wildcards
 * Backslash escapes any byte. A bare "*" matches everything. */
int vg_query_parse(struct vg_query *q, const char *text, struct vg_err *err);
/* Frees q->root (and sets it NULL); q itself is the caller's. */
void vg_query_release(struct vg_query *q);
/* Appends the AST as an S-expression, e.g.
 *   (AND (EQ user.name "alice") (NOT (LIKE _ "fail*")))
 * with _ for free text; ops EQ LIKE PHRASE GT GTE LT LTE CIDR EXISTS. */
int vg_query_format(const struct vg_qnode *n, struct vg_buf *out);
/* Matches a wildcard pattern (* and ?, backslash escapes) against s,
 * ASCII case-insensitively. Used by backends and tests. */
bool vg_wildcard_match(const char *pat, size_t plen, const char *s, size_t slen);

#endif
