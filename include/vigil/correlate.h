/* Sigma correlation engine (DESIGN §4): evaluates correlation rules
 * (event_count, value_count, temporal, temporal_ordered, value_sum,
 * value_avg, value_percentile) over the stream of base-rule hits that the
 * Sigma matcher produces. State is kept per (correlation, group-by key):
 * the key's window of hits, sorted by event time, with running aggregates.
 *
 * Semantics (details and reasons in docs/internals/correlation.md):
 *  - window: a hit at time t is evaluated over the key's hits with
 *    ts in [newest - timespan, newest] (both ends inclusive), newest being
 *    the newest hit time of the key;
 *  - after a correlation fires for a key, that key's window is cleared
 *    (the same hits never fire twice) and, when opts.suppress_ns > 0, the
 *    key does not fire again before fire time + suppress_ns (hits are still
 *    recorded meanwhile);
 *  - lateness: the engine's watermark is the newest hit time seen; a hit
 *    older than watermark - opts.lateness_ns is dropped and counted; later
 *    ones are inserted at their place in time order;
 *  - bounded: at most opts.max_keys keys (the least recently updated key is
 *    evicted, counted), opts.max_per_key hits per key (the oldest is
 *    dropped, counted); keys whose window lies wholly before the watermark
 *    minus lateness expire;
 *  - chaining: a firing is itself a hit of the correlation's id and name,
 *    carrying its group-by values as fields, fed to other correlations
 *    (depth capped at VG_CORR_MAX_CHAIN);
 *  - persistence: vg_corr_save / vg_corr_restore write and read the whole
 *    state as a versioned, checksummed binary blob.
 *
 * Not thread-safe: one engine per thread or under a lock (the server feeds
 * it from the detect stage under one mutex). */
#ifndef VIGIL_CORRELATE_H
#define VIGIL_CORRELATE_H

#include "vigil/core.h"

#define VG_CORR_MAX_RULES      1024   /* rules referenced by one correlation */
#define VG_CORR_MAX_GROUP      16     /* group-by fields of one correlation */
#define VG_CORR_MAX_KEY        4096   /* bytes of one group key (longer keys are cut) */
#define VG_CORR_MAX_CHAIN      8      /* chained correlation depth */
#define VG_CORR_MAX_FIRES      256    /* fires reported by one vg_corr_feed call */

enum vg_corr_type {
    VG_CORR_EVENT_COUNT = 0,
    VG_CORR_VALUE_COUNT,
    VG_CORR_TEMPORAL,
    VG_CORR_TEMPORAL_ORDERED,
    VG_CORR_VALUE_SUM,
    VG_CORR_VALUE_AVG,
    VG_CORR_VALUE_PERCENTILE,
    VG_CORR_NTYPES
};

enum vg_corr_op { VG_CORR_GT = 0, VG_CORR_GTE, VG_CORR_LT, VG_CORR_LTE, VG_CORR_EQ, VG_CORR_NEQ };

/* One correlation rule, borrowed by vg_corr_add (strings are copied). */
struct vg_corr_alias {
    const char *name;                 /* group-by name */
    const char *const *rules;         /* rule id or name ... */
    const char *const *fields;        /* ... and its field */
    size_t n;
};
struct vg_corr_def {
    const char *id;                   /* may be NULL (then name or title is used to chain) */
    const char *name;                 /* may be NULL */
    const char *title;                /* may be NULL */
    enum vg_corr_type type;
    const char *const *rules;         /* referenced rules: ids or names */
    size_t nrules;
    const char *const *group_by;
    size_t ngroup_by;
    const struct vg_corr_alias *aliases;
    size_t naliases;
    int64_t timespan_ns;              /* > 0 */
    const char *field;                /* value_* types */
    enum vg_corr_op ops[4];           /* condition keys, AND-ed (a range) */
    int64_t values[4];
    size_t ncond;                     /* 0 for temporal types = all rules */
    bool generate;                    /* base rules raise their own alerts */
    int level;                        /* enum vg_alert_level, for the caller */
};

struct vg_corr_opts {
    size_t max_keys;                  /* 0 = 1,000,000 */
    size_t max_per_key;               /* hits kept per key; 0 = 65,536 */
    int64_t lateness_ns;              /* accepted disorder; 0 = none (default 0) */
    int64_t suppress_ns;              /* quiet period after a firing (0 = none) */
    int64_t max_future_ns;            /* > 0: hits later than wall clock + this are dropped
                                       * (a bogus future time would otherwise move the
                                       * watermark and make every later hit "late") */
};

/* A field value of a hit. */
struct vg_corr_kv {
    const char *name;
    const char *value;
    size_t len;
};

/* One base-rule hit (or an event of an already-matched rule). */
struct vg_corr_hit {
    const char *rule_id;              /* the rule's id, may be NULL */
    const char *rule_name;            /* the rule's name, may be NULL */
    int64_t ts;                       /* event time, ns */
    const struct vg_corr_kv *fields;  /* the event's values used by group-by/aliases/field */
    size_t nfields;
    /* alternatively (when non-NULL) a lookup: returns 0 and sets v and n, or <0 when absent;
     * the value needs to stay valid only until the next call of get */
    int (*get)(void *ud, const char *field, const char **v, size_t *n);
    void *ud;
};

/* A correlation that fired. Strings point into the engine and stay valid
 * until the next vg_corr_feed / vg_corr_free. */
struct vg_corr_fire {
    uint32_t corr;                    /* index of the correlation (vg_corr_add order) */
    const struct vg_corr_def *def;    /* its definition (engine copy) */
    const char *key;                  /* group values joined by 0x1f (empty without group-by) */
    size_t key_len;
    int64_t ts;                       /* time of the hit that made it fire */
    int64_t first_ts;                 /* oldest hit of the window */
    double value;                     /* count, distinct count, sum, avg, percentile, rules seen */
    uint32_t hits;                    /* hits in the window */
    uint32_t depth;                   /* 0 = from a base hit, >0 = chained */
};

struct vg_corr_stats {
    uint64_t hits;                    /* vg_corr_feed calls */
    uint64_t updates;                 /* (correlation, key) updates */
    uint64_t fires;
    uint64_t suppressed;              /* would have fired inside a suppression period */
    uint64_t late_dropped;            /* older than watermark - lateness */
    uint64_t future_dropped;          /* later than wall clock + max_future_ns */
    uint64_t reordered;               /* accepted out of order */
    uint64_t outside_window;          /* late hit already outside its key's window */
    uint64_t evicted;                 /* keys evicted at max_keys */
    uint64_t expired;                 /* keys expired */
    uint64_t truncated;               /* hits dropped at max_per_key */
    uint64_t missing_field;           /* hits without a value field (value_* types) */
    uint64_t chain_cut;               /* chained fires not propagated (depth cap) */
    uint64_t keys;                    /* live keys now */
    uint64_t bytes;                   /* state memory now (keys + windows, without allocator overhead) */
    uint64_t table_bytes;             /* the key table (16 bytes a slot, at most half full) */
    int64_t watermark;
};

struct vg_corr;
struct vg_sigma_set;

/* New empty engine; opts may be NULL (defaults). NULL on OOM. */
struct vg_corr *vg_corr_new(const struct vg_corr_opts *opts);
void vg_corr_free(struct vg_corr *c);

/* Adds one correlation (copied). Returns its index (>= 0), VG_EINVAL with
 * detail in err (bad type, no rules, timespan <= 0, missing field, more
 * than the caps), VG_ESTATE once hits were fed, VG_ENOMEM. */
int vg_corr_add(struct vg_corr *c, const struct vg_corr_def *def, struct vg_err *err);

/* Adds every correlation document of a loaded Sigma set (in set order).
 * A correlation that cannot be added is skipped and counted in *skipped
 * (optional); the reason of the last one goes to err. Returns the number
 * added, or VG_ENOMEM. */
int vg_corr_add_sigma(struct vg_corr *c, const struct vg_sigma_set *set, size_t *skipped, struct vg_err *err);

/* Fills a def from a parsed Sigma correlation document. Pointers borrow
 * from rule; the alias array is written to aliases (room for cap). Returns
 * 0 or VG_EINVAL with detail. */
struct vg_sigma_rule;
int vg_corr_def_from_sigma(struct vg_corr_def *def, const struct vg_sigma_rule *rule, struct vg_corr_alias *aliases,
                           size_t cap, struct vg_err *err);

/* True when an alert of the base rule (by id and/or name) should be raised:
 * false only when the rule is referenced by correlations and none of them
 * says generate: true. */
bool vg_corr_rule_generates(const struct vg_corr *c, const char *rule_id, const char *rule_name);

/* True when some correlation references the rule (by id or name). */
bool vg_corr_references(const struct vg_corr *c, const char *rule_id, const char *rule_name);

/* Feeds one hit; correlations that fire (including chained ones) are
 * written to *fires (engine-owned, valid until the next call). Returns the
 * number of fires (>= 0) or VG_ENOMEM (state unchanged for that key). */
int vg_corr_feed(struct vg_corr *c, const struct vg_corr_hit *hit, const struct vg_corr_fire **fires);

/* Expires every key whose window ended before now - lateness (now: the
 * watermark when 0). Returns the number of keys expired. Also done
 * incrementally by vg_corr_feed. */
size_t vg_corr_expire(struct vg_corr *c, int64_t now);

void vg_corr_stats(const struct vg_corr *c, struct vg_corr_stats *out);
size_t vg_corr_count(const struct vg_corr *c);

/* Serialises the whole state (watermark, keys, windows, suppression) into
 * out (appended). The blob names each correlation by id/name/title, so it
 * can be restored into an engine built from the same rules; keys of
 * correlations that are gone are dropped on restore. VG_ENOMEM/VG_ETOOBIG. */
int vg_corr_save(const struct vg_corr *c, struct vg_buf *out);
/* Replaces the engine's state by the blob's. The blob is checked first
 * (magic, version, length, checksum, every bound); a bad blob leaves the
 * engine unchanged and returns VG_EFORMAT with detail. VG_ENOMEM. */
int vg_corr_restore(struct vg_corr *c, const void *blob, size_t len, struct vg_err *err);

const char *vg_corr_type_name(enum vg_corr_type t);
/* -1 when unknown. */
int vg_corr_type_parse(const char *s);

#endif
