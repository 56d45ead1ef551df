/* Sigma detection engine (DESIGN §4): loads Sigma rules (YAML, spec v2.1)
 * into a rule set, compiles each rule's detection into a flat postfix
 * program over leaf matchers with field ids resolved at load, and matches
 * events against it. This header is the correctness core: a naive
 * evaluator that runs every applicable rule on every event; the Vectorscan
 * prefilter will be checked against it.
 *
 * Life cycle: vg_sigma_set_new -> (vg_sigma_set_placeholder |
 * vg_sigma_load_config)* -> vg_sigma_load_mappings? -> vg_sigma_load_path*
 * -> vg_sigma_compile -> (read-only, shareable across threads) ->
 * vg_sigma_set_free. Matching needs one vg_sigma_ctx per thread.
 *
 * Nothing is skipped silently: every document that is not loaded as a rule
 * appears in a vg_sigma_report with file, line, column and reason. */
#ifndef VIGIL_SIGMA_H
#define VIGIL_SIGMA_H

#include "vigil/event.h"

/* Hard caps (hostile rules are rejected with a reason when they exceed them). */
#define VG_SIGMA_MAX_FILE       (4u << 20)  /* bytes per rule file */
#define VG_SIGMA_MAX_VALUES     65536       /* values under one field */
#define VG_SIGMA_MAX_VALUE_LEN  16384       /* bytes per value */
#define VG_SIGMA_MAX_LEAVES     8192        /* leaf matchers per rule */
#define VG_SIGMA_MAX_PROG       65536       /* program instructions per rule */
#define VG_SIGMA_MAX_COND_DEPTH 64          /* condition nesting */
#define VG_SIGMA_MAX_COND_LEN   16384       /* bytes per condition */
#define VG_SIGMA_MAX_EXPAND     4096        /* windash/base64offset alternatives per value */
#define VG_SIGMA_MAX_IDENTS     1024        /* search identifiers per rule */

enum vg_sigma_kind {
    VG_SIGMA_RULE = 0,      /* detection rule: evaluated */
    VG_SIGMA_CORRELATION,   /* correlation document: parsed, not evaluated yet */
    VG_SIGMA_FILTER,        /* filter document: parsed, not applied yet */
};

/* Parsed correlation document (stored for a later task). */
struct vg_sigma_correlation {
    const char *type;              /* event_count, value_count, temporal, ... */
    const char *const *rules;      /* referenced rule ids or names */
    size_t nrules;
    const char *const *group_by;
    size_t ngroup_by;
    const char *timespan;          /* as written ("5m") */
    int64_t timespan_ns;           /* parsed, 0 if absent */
    const char *field;             /* value_count/value_sum/...: the field, or NULL */
    const char *cond_op;           /* first condition operator (gt, gte, ...), or NULL */
    int64_t cond_value;            /* its value */
    bool generate;                 /* generate: true */
};

/* One loaded document: metadata of a rule, correlation or filter. All
 * strings are owned by the set and live until vg_sigma_set_free; NULL when
 * absent. */
struct vg_sigma_rule {
    enum vg_sigma_kind kind;
    const char *id, *name, *title, *status, *level, *author, *description;
    const char *date, *modified;
    const char *product, *category, *service, *definition; /* logsource */
    const char *const *tags;        size_t ntags;
    const char *const *tactics;     size_t ntactics;     /* "execution" from attack.execution */
    const char *const *techniques;  size_t ntechniques;  /* "T1059.001" from attack.t1059.001 */
    const char *const *falsepositives; size_t nfalsepositives;
    const char *const *references;  size_t nreferences;
    const char *file;               /* path it was loaded from */
    int line, col;                  /* 1-based start of its document */
    const struct vg_sigma_correlation *correlation; /* kind == CORRELATION */
    uint32_t index;                 /* position in the set */
    struct vg_sigma_prog *prog;     /* compiled detection (opaque) */
};

/* Why a document was rejected (or noted, for correlations). */
struct vg_sigma_reject {
    char *file;      /* path or the name given to vg_sigma_load_string */
    int line, col;   /* 1-based; 0 when unknown */
    char *rule_id;   /* the document's id if known, else NULL */
    char *title;     /* the document's title if known, else NULL */
    char *reason;    /* human-readable */
    bool expand;     /* rejected only because an expand placeholder has no value */
};

/* Result of one or more load calls (accumulates). Caller-owned; release
 * with vg_sigma_report_release. */
struct vg_sigma_report {
    size_t files;         /* files read */
    size_t documents;     /* YAML documents seen */
    size_t loaded;        /* detection rules loaded */
    size_t rejected;      /* documents rejected (each in rej[]) */
    size_t correlations;  /* correlation documents parsed (not evaluated yet) */
    size_t filters;       /* filter documents parsed (not applied yet) */
    struct vg_sigma_reject *rej;
    size_t nrej, caprej;
    struct vg_sigma_reject *notes; /* correlations/filters: "not evaluated yet" */
    size_t nnotes, capnotes;
};
#define VG_SIGMA_REPORT_INIT {0, 0, 0, 0, 0, 0, NULL, 0, 0, NULL, 0, 0}
void vg_sigma_report_release(struct vg_sigma_report *r);

struct vg_sigma_set;

/* New empty rule set; NULL on OOM. */
struct vg_sigma_set *vg_sigma_set_new(void);
/* Frees the set and everything it owns (all rule pointers die). NULL is a no-op. */
void vg_sigma_set_free(struct vg_sigma_set *set);

/* Defines the values of an expand placeholder (name without the % signs).
 * Copies name and values. Must be called before the rules that use it are
 * loaded. VG_ENOMEM, VG_EINVAL. */
int vg_sigma_set_placeholder(struct vg_sigma_set *set, const char *name, const char *const *values, size_t n);
/* Loads a configuration YAML file: `placeholders: {name: value | [values]}`.
 * VG_EIO/VG_EPARSE with detail (file:line:col) in err. */
int vg_sigma_load_config(struct vg_sigma_set *set, const char *path, struct vg_err *err);
/* Loads log source and field mappings (a file, or every *.yml in a
 * directory; format in docs/internals/sigma.md). Rules whose log source has
 * no mapping are evaluated against every event. VG_EIO/VG_EPARSE with
 * detail in err. Must be called before vg_sigma_compile. */
int vg_sigma_load_mappings(struct vg_sigma_set *set, const char *path, struct vg_err *err);

/* Loads a rule file or, recursively, every *.yml / *.yaml file under a
 * directory (sorted by name). Rejected documents are added to rep; they do
 * not make the call fail. Returns 0, or VG_EIO when path cannot be read at
 * all (also recorded in rep), VG_ESTATE after compile, VG_ENOMEM. */
int vg_sigma_load_path(struct vg_sigma_set *set, const char *path, struct vg_sigma_report *rep);
/* Same for a YAML text in memory; name is used as the file name in reports. */
int vg_sigma_load_string(struct vg_sigma_set *set, const char *text, size_t len, const char *name,
                         struct vg_sigma_report *rep);

/* Resolves log source applicability and field name mappings and freezes the
 * set (loads after this fail with VG_ESTATE). Returns 0 or VG_ENOMEM. */
int vg_sigma_compile(struct vg_sigma_set *set, struct vg_err *err);

size_t vg_sigma_rule_count(const struct vg_sigma_set *set);   /* all kinds */
const struct vg_sigma_rule *vg_sigma_rule_at(const struct vg_sigma_set *set, size_t i);
/* By id (or name); NULL if absent. */
const struct vg_sigma_rule *vg_sigma_rule_find(const struct vg_sigma_set *set, const char *id);

/* ---- matching -------------------------------------------------------- */
/* One rule that matched an event, with the event fields that made it match
 * (field ids; a keyword match reports VG_SIGMA_FIELD_KEYWORDS). */
#define VG_SIGMA_FIELD_KEYWORDS (UINT32_MAX - 1)
struct vg_sigma_hit {
    const struct vg_sigma_rule *rule;
    const uint32_t *fields;
    uint32_t nfields;
};

/* Per-thread scratch (field index, regex match data, hit buffers). */
struct vg_sigma_ctx;
/* NULL on OOM. The set must be compiled and outlive the context. */
struct vg_sigma_ctx *vg_sigma_ctx_new(const struct vg_sigma_set *set);
void vg_sigma_ctx_free(struct vg_sigma_ctx *ctx);

/* Naive evaluator: runs every detection rule whose log source applies to
 * ev. *hits points into ctx and stays valid until the next call. Returns
 * the number of hits (>= 0) or VG_ENOMEM / VG_ESTATE (set not compiled). */
int vg_sigma_match(struct vg_sigma_ctx *ctx, const struct vg_event *ev, const struct vg_sigma_hit **hits);
/* Evaluates one rule regardless of log source: 1 match, 0 no match, <0 error. */
int vg_sigma_match_rule(struct vg_sigma_ctx *ctx, const struct vg_sigma_rule *rule, const struct vg_event *ev);
/* 1 when rule's log source applies to ev (always 1 when unmapped). */
int vg_sigma_applies(struct vg_sigma_ctx *ctx, const struct vg_sigma_rule *rule, const struct vg_event *ev);

/* Counters since ctx creation: regex matches stopped by the match limit. */
uint64_t vg_sigma_ctx_regex_limited(const struct vg_sigma_ctx *ctx);

/* Testing the condition parser alone (fuzz target): parses cond against the
 * given identifier names; 0 or VG_EPARSE with detail in err. */
int vg_sigma_cond_check(const char *cond, size_t len, const char *const *idents, size_t nidents, struct vg_err *err);

#endif
