/* Sigma detection engine (DESIGN §4): loads Sigma rules (YAML, spec v2.1)
 * into a rule set, compiles each rule's detection into a flat postfix
 * program over leaf matchers with field ids resolved at load, and matches
 * events against it. Two evaluators give identical results: the fast path
 * (vg_sigma_match: log source buckets + a Vectorscan prefilter choosing the
 * candidate rules, docs/internals/sigma.md) and the naive reference
 * (vg_sigma_match_naive: every applicable rule on every event).
 *
 * Life cycle: vg_sigma_set_new -> (vg_sigma_set_placeholder |
 * vg_sigma_load_config)* -> vg_sigma_load_mappings? -> vg_sigma_load_path*
 * -> vg_sigma_compile -> (immutable, shareable across threads,
 * reference-counted) -> vg_sigma_set_unref / vg_sigma_set_free. Matching
 * needs one vg_sigma_ctx per thread. A server holds the current set in a
 * vg_sigma_engine and swaps it whole on reload.
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
#define VG_SIGMA_MAX_NODES      100000      /* YAML nodes (scalars, lists, maps) per file: bounds the
                                               parser's memory (hundreds of bytes a node); SigmaHQ's
                                               largest rule has about 4,500 */

enum vg_sigma_kind {
    VG_SIGMA_RULE = 0,      /* detection rule: evaluated */
    VG_SIGMA_CORRELATION,   /* correlation document: evaluated by src/detect/correlate */
    VG_SIGMA_FILTER,        /* filter document: AND-ed onto the rules it names by vg_sigma_compile */
};

/* Parsed filter document (Sigma filters v2: `filter: {rules, selections,
 * condition}`). vg_sigma_compile AND-s the filter's condition onto every
 * detection rule it applies to: a rule whose log source the filter's
 * log source contains (every key the filter names equals the rule's) and
 * that `rules` names by id or name; `rules: any`, `rules: all` or an
 * empty list mean every such rule. */
struct vg_sigma_filter {
    const char *const *rules;      /* referenced rule ids or names (nrules == 0: any) */
    const int *line, *col;         /* position of each reference */
    size_t nrules;
    size_t applied;                /* rules it was AND-ed onto (set by vg_sigma_compile) */
};

/* One alias of a correlation: `aliases: {name: {rule: field, ...}}`. */
struct vg_sigma_corr_alias {
    const char *name;              /* the name used in group-by */
    const char *const *rules;      /* rule id or name */
    const char *const *fields;     /* the field of that rule's events */
    size_t n;
};

/* Parsed correlation document (evaluated by include/vigil/correlate.h). */
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
    /* Added for the correlation engine (include/vigil/correlate.h); filled
     * by load_correlation_more in src/detect/sigma/load.c. */
    size_t ncond;                  /* condition keys (a range has 2) */
    const char *cond_ops[4];       /* gt, gte, lt, lte, eq, neq */
    int64_t cond_values[4];
    const struct vg_sigma_corr_alias *aliases;
    size_t naliases;
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
    const struct vg_sigma_filter *filter; /* kind == FILTER */
    size_t nfilters;                /* kind == RULE: filters AND-ed onto it by vg_sigma_compile */
    const char *risk_score;         /* custom field `risk_score:` (1..100) as written, or NULL (issue 4) */
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
    size_t correlations;  /* correlation documents parsed */
    size_t filters;       /* filter documents loaded (applied by vg_sigma_compile_report) */
    struct vg_sigma_reject *rej;
    size_t nrej, caprej;
    struct vg_sigma_reject *notes; /* correlations, filters and skipped documents: one note each */
    size_t nnotes, capnotes;
    size_t skipped;       /* documents noted, not loaded: not Sigma (log source mappings, hardening policies), or a file loaded twice */
    struct vg_sigma_reject *warn;  /* compile warnings (a filter naming an unknown rule, ...) */
    size_t nwarn, capwarn;
    size_t filters_applied; /* (filter, rule) pairs AND-ed by compile */
};
#define VG_SIGMA_REPORT_INIT {0, 0, 0, 0, 0, 0, NULL, 0, 0, NULL, 0, 0, 0, NULL, 0, 0, 0}
void vg_sigma_report_release(struct vg_sigma_report *r);

struct vg_sigma_set;

/* New empty rule set holding one reference; NULL on OOM. */
struct vg_sigma_set *vg_sigma_set_new(void);
/* Drops the caller's reference (same as vg_sigma_set_unref); the last one
 * frees the set and everything it owns (all rule pointers die). NULL is a
 * no-op. */
void vg_sigma_set_free(struct vg_sigma_set *set);
/* Takes another reference (thread-safe); returns set. Contexts do not hold
 * references: keep one for as long as a context of the set is used. */
struct vg_sigma_set *vg_sigma_set_ref(struct vg_sigma_set *set);
void vg_sigma_set_unref(struct vg_sigma_set *set);

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
 * not make the call fail. Returns 0, or VG_EIO when path, or any file or
 * directory under it, cannot be read (each recorded in rep; everything
 * readable is still loaded, so a caller may keep or drop the result),
 * VG_ESTATE after compile, VG_ENOMEM. */
int vg_sigma_load_path(struct vg_sigma_set *set, const char *path, struct vg_sigma_report *rep);
/* Loads filter documents only (`vigil scan --filters PATH`): like
 * vg_sigma_load_path, but any other kind of document is rejected. */
int vg_sigma_load_filters(struct vg_sigma_set *set, const char *path, struct vg_sigma_report *rep);
/* Which files a directory walk loads: *.yml and *.yaml (one decision for
 * the loader, vigil rules check and the detect engine). Documents in them
 * that are Vigil log source mappings or hardening policies (rules/mappings/,
 * rules/policies/) are recognised by their keys, noted and skipped
 * (rep->skipped), never rejected. */
bool vg_sigma_is_rule_file(const char *name);
/* Same for a YAML text in memory; name is used as the file name in reports. */
int vg_sigma_load_string(struct vg_sigma_set *set, const char *text, size_t len, const char *name,
                         struct vg_sigma_report *rep);

/* Resolves log source applicability and field name mappings, builds the
 * log source buckets and the Vectorscan prefilter databases, and freezes the
 * set (loads after this fail with VG_ESTATE). Returns 0 or VG_ENOMEM. If
 * Vectorscan cannot build a database the set still compiles and
 * vg_sigma_match falls back to the naive evaluator (see
 * vg_sigma_prefilter_info). */
int vg_sigma_compile(struct vg_sigma_set *set, struct vg_err *err);
/* vg_sigma_compile that also reports: filters are applied in both, and
 * their warnings (a reference to an unknown rule, to a rule of another
 * log source, a filter that applies to nothing) are added to rep->warn
 * here (rep may be NULL). */
int vg_sigma_compile_report(struct vg_sigma_set *set, struct vg_sigma_report *rep, struct vg_err *err);

/* What the prefilter made of a compiled set (all zero without one). */
struct vg_sigma_pf_info {
    size_t rules;          /* detection rules */
    size_t covered;        /* rules evaluated only when a required pattern fired */
    size_t always;         /* rules evaluated on every event of their log source */
    size_t unmapped;       /* rules without a log source mapping (every event) */
    size_t complex_ls;     /* rules whose log source needs per-event evaluation */
    size_t patterns;       /* Vectorscan patterns (all databases) */
    size_t regex_patterns; /* of which HS_FLAG_PREFILTER regexes */
    size_t databases;      /* per-field databases (+1 for keywords if any) */
    size_t buckets;        /* distinct log source buckets */
    double compile_ms;     /* time spent building the prefilter */
    size_t secondary;      /* secondary cover groups (other AND operands that must fire too) */
    size_t hex_keys;       /* of patterns: hexadecimal keys (hash indicators) in hash sets, not Vectorscan */
    size_t literal_sets;   /* of databases: literal sets (a field's literal patterns; the rest are Vectorscan) */
};
void vg_sigma_prefilter_info(const struct vg_sigma_set *set, struct vg_sigma_pf_info *out);

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

/* Fast path: finds the event's log source bucket, scans its fields with the
 * prefilter databases and evaluates only the candidate rules. Hits (rules
 * in set order, with matched fields) are identical to vg_sigma_match_naive.
 * *hits points into ctx and stays valid until the next call. Returns the
 * number of hits (>= 0) or VG_ENOMEM / VG_ESTATE (set not compiled). */
int vg_sigma_match(struct vg_sigma_ctx *ctx, const struct vg_event *ev, const struct vg_sigma_hit **hits);
/* Naive evaluator: runs every detection rule whose log source applies to
 * ev (the reference the fast path is tested against). Same contract. */
int vg_sigma_match_naive(struct vg_sigma_ctx *ctx, const struct vg_event *ev, const struct vg_sigma_hit **hits);

/* Counters of one context since creation. */
struct vg_sigma_stats {
    uint64_t events;       /* vg_sigma_match calls */
    uint64_t fallback;     /* events matched naively (list-valued Channel/EventID, no prefilter) */
    uint64_t scans;        /* Vectorscan scans */
    uint64_t fired;        /* distinct patterns fired */
    uint64_t evaluated;    /* rule programs evaluated */
    uint64_t hits;
    uint64_t vetoed;       /* candidates dropped because a secondary cover group did not fire */
    uint64_t memo_hits;    /* field scans answered from the per-context value memo (scans counts them too) */
};
void vg_sigma_ctx_stats(const struct vg_sigma_ctx *ctx, struct vg_sigma_stats *out);
/* Evaluates one rule regardless of log source: 1 match, 0 no match, <0 error. */
int vg_sigma_match_rule(struct vg_sigma_ctx *ctx, const struct vg_sigma_rule *rule, const struct vg_event *ev);
/* 1 when rule's log source applies to ev (always 1 when unmapped). */
int vg_sigma_applies(struct vg_sigma_ctx *ctx, const struct vg_sigma_rule *rule, const struct vg_event *ev);

/* Counters since ctx creation: regex matches stopped by the match limit. */
uint64_t vg_sigma_ctx_regex_limited(const struct vg_sigma_ctx *ctx);

/* ---- the current set of a running server ---------------------------- */
/* Holds one compiled set; workers take a reference per batch, a reload
 * swaps in a new set whole; the old one is freed when its last user drops
 * it. All functions are thread-safe. */
struct vg_sigma_engine;
/* Takes over the caller's reference to set (may be NULL). NULL on OOM
 * (the reference is then dropped). */
struct vg_sigma_engine *vg_sigma_engine_new(struct vg_sigma_set *set);
/* Drops the engine's reference to its set. NULL is a no-op. */
void vg_sigma_engine_free(struct vg_sigma_engine *e);
/* A new reference to the current set (NULL if none); the caller unrefs it.
 * *generation (optional) is incremented by every swap. */
struct vg_sigma_set *vg_sigma_engine_acquire(struct vg_sigma_engine *e, uint64_t *generation);
/* Installs set (taking over the caller's reference; it must be compiled:
 * VG_ESTATE otherwise, and the reference stays with the caller) and drops
 * the engine's reference to the previous one. */
int vg_sigma_engine_swap(struct vg_sigma_engine *e, struct vg_sigma_set *set);

/* Testing the condition parser alone (fuzz target): parses cond against the
 * given identifier names; 0 or VG_EPARSE with detail in err. */
int vg_sigma_cond_check(const char *cond, size_t len, const char *const *idents, size_t nidents, struct vg_err *err);

#endif
