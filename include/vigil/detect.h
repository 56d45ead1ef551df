/* The detect stage (DESIGN §4, §7): an engine holding the current compiled
 * Sigma rule set, matching every event of a batch and attaching alert
 * records (include/vigil/alert.h) to the batch, so the store writer commits
 * them in the same transaction as their events.
 *
 * Reload: a compiled set is immutable. vg_detect_reload builds a new set
 * from the same paths (re-reading them) without touching the current one,
 * then swaps it in whole; batches already matching keep the old set until
 * they finish (reference counted), new batches take the new one. Nothing
 * waits on the load and no event is skipped. A reload that cannot read a
 * path or compile keeps the current set.
 *
 * Rule paths: a directory is loaded recursively (*.yml, *.yaml, sorted,
 * vg_sigma_load_path); Vigil's log source mappings and hardening policies
 * (rules/mappings/, rules/policies/) are recognised by the loader and
 * skipped (counted in skipped), exactly as `vigil rules check` does.
 * Filter documents among the rules, and in the filters paths, are AND-ed
 * onto the rules they name (vg_sigma_compile_report); a reload re-reads
 * them too.
 *
 * Threading: vg_detect_batch/vg_detect_run may run on any number of
 * threads at once (each takes a per-thread Sigma context from a pool of the
 * set it uses); reload, metrics and free are thread-safe too. */
#ifndef VIGIL_DETECT_H
#define VIGIL_DETECT_H

#include "vigil/alert.h"
#include "vigil/sigma.h"

struct vg_detect_opts {
    const char *pack;              /* Vigil's rule pack directory, or NULL for none */
    const char *const *rules;      /* more rule files or directories (e.g. SigmaHQ), may be NULL */
    size_t nrules;
    const char *mappings;          /* mappings file/dir; NULL = <pack>/mappings when it exists */
    const char *config;            /* Sigma placeholders YAML (vg_sigma_load_config), or NULL */
    int min_level;                 /* alerts below this enum vg_alert_level are not made (default 0) */
    const char *const *filters;    /* Sigma filter files or directories (filter documents only), may be NULL */
    size_t nfilters;
};

/* What one load produced. */
struct vg_detect_load_info {
    size_t files, documents, loaded, rejected, correlations, filters;
    double ms;                     /* wall time of load + compile */
    uint64_t generation;           /* 1 for the first set, +1 per successful reload */
    size_t filters_applied;        /* (filter, rule) pairs AND-ed */
    size_t warnings;               /* compile warnings (in the report's warn[]) */
    size_t skipped;                /* non-Sigma documents skipped (mappings, policies) */
};

struct vg_detect;

/* Creates the engine and loads the first set. Copies the options' strings.
 * rep (optional, caller-owned, accumulates) receives every rejection.
 * Returns 0, VG_EIO (a path cannot be read; detail in err), VG_EPARSE (bad
 * mappings or config), VG_ENOMEM. A rejected rule does not make it fail. */
int vg_detect_new(struct vg_detect **out, const struct vg_detect_opts *opts, struct vg_sigma_report *rep,
                  struct vg_detect_load_info *info, struct vg_err *err);
/* Frees the engine (after every batch using it finished). NULL is a no-op. */
void vg_detect_free(struct vg_detect *d);

/* Re-reads the paths given at creation, compiles a new set and swaps it
 * in. On failure the current set stays and the error is returned (counted
 * in the metrics). Reloads are serialised. */
int vg_detect_reload(struct vg_detect *d, struct vg_sigma_report *rep, struct vg_detect_load_info *info,
                     struct vg_err *err);

/* The pipeline hook (vg_detect_fn; ctx is the struct vg_detect *): matches
 * every event of b and appends an alert per hit to b->alerts. Errors are
 * counted, never fatal: the batch always goes on to the store. */
void vg_detect_batch(void *ctx, struct vg_batch *b);
/* Same, for offline scans: when origin_file is non-NULL each alert's
 * origin is (origin_file, event seq) with seq a line number when
 * seq_is_line. Returns the number of alerts made, or VG_ESTATE when no set
 * is loaded. */
int vg_detect_run(struct vg_detect *d, struct vg_batch *b, const char *origin_file, bool seq_is_line);

/* Counters: alerts made by level, events matched, rule load figures. */
struct vg_detect_stats {
    uint64_t events;               /* events matched */
    uint64_t alerts[VG_ALERT_NLEVELS];
    uint64_t below_min;            /* hits dropped by min_level */
    uint64_t errors;               /* match or alert-building failures (event kept, alert lost) */
    uint64_t reloads, reload_failures;
    struct vg_detect_load_info last; /* of the current set */
    uint64_t intel_hits, intel_alerts, intel_suppressed, intel_expired; /* IoC matching */
    uint64_t intel_loads, intel_load_failures;  /* sets installed / refreshes that failed */
    size_t intel_indicators;       /* indicators of the current IoC set */
};
void vg_detect_stats(struct vg_detect *d, struct vg_detect_stats *out);
/* Appends the counters as OpenMetrics families (no "# EOF"). */
int vg_detect_metrics(struct vg_detect *d, struct vg_buf *out);

/* Correlation state across restarts (include/vigil/correlate.h). Save
 * writes the current set's correlation state to path (path.tmp, fsync,
 * rename); 0 and no file when the set has no correlations. Load restores
 * it into the current set: VG_ENOENT when path does not exist, VG_EFORMAT
 * (detail in err) for a damaged file, which leaves the state empty;
 * VG_EIO. Both are thread-safe. */
int vg_detect_corr_save(struct vg_detect *d, const char *path, struct vg_err *err);
int vg_detect_corr_load(struct vg_detect *d, const char *path, struct vg_err *err);

/* Where Vigil's own rule pack is: $VIGIL_RULES when set, else the rules/
 * directory of the source tree this binary was built from (compiled in as
 * VG_DEFAULT_RULES_DIR). NULL when that directory does not exist. The
 * returned string is static or from the environment. */
const char *vg_detect_default_pack(void);
/* "<default pack>/mappings" in buf when that directory exists, else NULL
 * (also when buf is too small). Callers that leave the pack out
 * (--no-default-rules) still want Vigil's log source mappings: without
 * them SigmaHQ rules would run on every event and miss mapped fields. */
const char *vg_detect_default_mappings(char *buf, size_t n);

/* Threat intel (include/vigil/intel.h): the engine holds a swap slot for
 * an IoC set. Every batch takes the current set once (like the rule set)
 * and matches each event after the Sigma rules; each hit becomes an alert
 * (vg_intel_alert_build) in the batch, committed with the events. put
 * takes over the caller's reference (NULL clears the set); batches in
 * flight finish with the set they took; put then waits (up to 10 s) until
 * they are done and frees the old set itself, so no detect worker pays for
 * freeing it. failed counts a refresh that did not produce a set (the
 * current one stays). Both are thread-safe. */
struct vg_intel_set;
void vg_detect_intel_put(struct vg_detect *d, struct vg_intel_set *s);
void vg_detect_intel_failed(struct vg_detect *d);

/* Rule count of the current set (detection rules only). */
size_t vg_detect_rule_count(struct vg_detect *d);

#endif
