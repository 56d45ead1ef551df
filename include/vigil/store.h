/* Storage: one table of operations, one backend per file (store_sqlite.c
 * now, store_pg.c later). Events are kept in time partitions of compact
 * blocks; alerts, tokens and the rest sit beside them. Every row carries a
 * tenant id. Schema changes are numbered migrations (src/store/schema/).
 *
 * Threading: a vg_store handle is used by one thread at a time. The server
 * gives one handle to its writer thread and opens others for readers. The
 * one exception is ops->prepare (and prepared_free), which any number of
 * threads may call at once, also while another thread uses the handle:
 * decode workers encode blocks in parallel and the single writer thread
 * only commits them (put_prepared). */
#ifndef VIGIL_STORE_H
#define VIGIL_STORE_H

#include "vigil/event.h"
#include "vigil/query.h"
#include "vigil/alert.h"

struct vg_store;
/* A batch encoded for storage by ops->prepare but not yet committed
 * (opaque; owned by the caller, freed with ops->prepared_free). */
struct vg_store_prepared;

/* A stored event handed to search callbacks: fields decoded from storage;
 * pointers valid only during the callback. */
struct vg_stored_event {
    uint8_t id[16];
    int64_t ts;
    const char *tenant;
    const char *json;        /* the event as JSON (vg_event_to_json format) */
    size_t json_len;
};

typedef int (*vg_store_event_cb)(void *ctx, const struct vg_stored_event *ev);

struct vg_store_stats {
    uint64_t events;         /* stored events */
    uint64_t blocks;
    uint64_t partitions;
    int64_t oldest, newest;  /* ns */
    uint64_t bytes;          /* database size on disk */
};

struct vg_token_info {
    char id[33];             /* public token id (hex) */
    char name[128];
    char role[32];
    char tenant[64];
    int64_t created, last_used, revoked;  /* ns; 0 = never */
};

/* Alert search (ops->alert_search, ops->alert_counts). Bounds apply to the
 * event time of the alert: since <= ts < until. */
struct vg_alert_query {
    const char *tenant;          /* tenant scope, NULL = "default" */
    int64_t since, until;        /* ns; 0 = unbounded */
    int min_level;               /* enum vg_alert_level; alerts below are skipped (0 = all) */
    const char *rule;            /* exact rule id, or NULL */
    const char *status;          /* workflow status ("open"), or NULL */
    const struct vg_qnode *where;/* search-language filter over the alert (query.h), or NULL */
    size_t limit;                /* 0 = VG_QUERY_DEFAULT_LIMIT, capped at VG_QUERY_MAX_LIMIT */
    bool ascending;              /* oldest first (default newest first) */
};

/* A stored alert handed to search callbacks; pointers valid during the callback. */
struct vg_stored_alert {
    uint8_t id[16];
    int64_t ts;
    int level;
    const char *tenant, *rule_id, *status;
    const char *json;            /* the record as vg_alert_to_json wrote it */
    size_t json_len;
};
typedef int (*vg_store_alert_cb)(void *ctx, const struct vg_stored_alert *a);

/* One asset (a host reporting to a tenant). */
struct vg_asset_info {
    char tenant[64];
    char host[256];
    int64_t first_seen, last_seen, inventory_ts; /* ns */
    char criticality[16];
    char os[256], kernel[128];
    int64_t packages;
    int64_t changes;         /* inventory change records stored */
    double score;            /* latest posture score, -1 when none */
    int64_t vulns;           /* latest vulnerable-package findings, -1 when none */
};

/* An enrolled agent (agents table, migration 003; docs/internals/agent.md). */
struct vg_agent_info {
    char id[33];             /* 32 hex digits; the CN of its client certificate */
    char tenant[64];
    char name[128];          /* host name reported at enrollment */
    char fingerprint[65];    /* SHA-256 of its certificate (DER), hex */
    char version[32];        /* agent version from its last HELLO */
    char address[64];        /* peer address of its last connection */
    int64_t enrolled, last_seen, revoked, silent;  /* ns; 0 = never / not */
    uint64_t last_seq;       /* last committed frame sequence number */
};

struct vg_store_ops {
    const char *name;
    const char *desc;
    int (*open)(struct vg_store **out, const char *location, struct vg_err *err);
    void (*close)(struct vg_store *s);
    /* Stores events in one transaction. Duplicates (same id) are skipped and
     * counted. Returns 0 only after the transaction committed. */
    int (*put_events)(struct vg_store *s, const struct vg_event *const *ev, size_t n,
                      size_t *stored, size_t *dups, struct vg_err *err);
    /* Streams matching events, newest first unless q->ascending; stops early
     * when cb returns non-zero (that value is returned). */
    int (*search)(struct vg_store *s, const struct vg_query *q, vg_store_event_cb cb, void *ctx,
                  struct vg_err *err);
    int (*count)(struct vg_store *s, const struct vg_query *q, uint64_t *n, struct vg_err *err);
    /* Drops whole partitions whose newest event is older than cutoff. */
    int (*retention)(struct vg_store *s, int64_t cutoff_ns, uint64_t *dropped_events, struct vg_err *err);
    int (*stats)(struct vg_store *s, const char *tenant, struct vg_store_stats *st, struct vg_err *err);
    /* API tokens: only a hash of the secret is stored. */
    int (*token_create)(struct vg_store *s, const char *name, const char *role, const char *tenant,
                        char *secret_out, size_t secret_sz, struct vg_token_info *info, struct vg_err *err);
    int (*token_check)(struct vg_store *s, const char *secret, struct vg_token_info *info, struct vg_err *err);
    int (*token_list)(struct vg_store *s, struct vg_token_info **out, size_t *n, struct vg_err *err);
    int (*token_revoke)(struct vg_store *s, const char *id_or_name, struct vg_err *err);
    /* Small key/value state (file tail positions, settings). */
    int (*kv_get)(struct vg_store *s, const char *key, char **val, struct vg_err *err);
    int (*kv_put)(struct vg_store *s, const char *key, const char *val, struct vg_err *err);
    /* Optional split of put_events (all three NULL when a backend has none;
     * added later, backward compatible). prepare validates the events and
     * does all the work that touches no database (ordering, block encoding
     * and compression, bloom filters); it is thread-safe (see above). The
     * events are borrowed: they must stay valid and unchanged until the
     * prepared object is freed. Fails like put_events would for the same
     * events (VG_EINVAL, VG_ETOOBIG, VG_ENOMEM); on failure *out is NULL. */
    int (*prepare)(struct vg_store *s, const struct vg_event *const *ev, size_t n, struct vg_store_prepared **out,
                   struct vg_err *err);
    /* Commits prepared batches (made by this handle) in one transaction,
     * with the same result as one put_events of all their events in order:
     * duplicates within and across the batches and against the store are
     * skipped and counted, stored + dups = number of events. Returns 0 only
     * after the transaction committed; on failure nothing is stored and the
     * same objects may be committed again (retry). Does not free them. */
    int (*put_prepared)(struct vg_store *s, struct vg_store_prepared *const *p, size_t np, size_t *stored, size_t *dups,
                        struct vg_err *err);
    void (*prepared_free)(struct vg_store_prepared *p);  /* NULL is a no-op */
    /* ---- alerts (appended by the alerts slice; NULL when a backend has none) ----
     * Stages alerts for the next event write: the next put_events (or other
     * event commit) inserts them inside its transaction, so events and their
     * alerts commit together. Borrowed until staged again; stage (NULL, 0)
     * after the write to clear. Alerts are idempotent by id. */
    int (*alerts_stage)(struct vg_store *s, const struct vg_alert *const *a, size_t n, struct vg_err *err);
    /* Stores alerts in a transaction of their own; *stored = new rows. */
    int (*put_alerts)(struct vg_store *s, const struct vg_alert *const *a, size_t n, size_t *stored,
                      struct vg_err *err);
    /* Streams matching alerts, newest first unless q->ascending; stops early
     * when cb returns non-zero (that value is returned). VG_EINVAL for a
     * filter on a field name the backend cannot express. */
    int (*alert_search)(struct vg_store *s, const struct vg_alert_query *q, vg_store_alert_cb cb, void *ctx,
                        struct vg_err *err);
    /* Counts matching alerts by level (q->limit ignored). */
    int (*alert_counts)(struct vg_store *s, const struct vg_alert_query *q, uint64_t counts[VG_ALERT_NLEVELS],
                        struct vg_err *err);
    /* ---- assets (issue 5; src/store/assets_sqlite.c). A backend may leave
     * these NULL: the wrappers below then return VG_EUNSUP. ---- */
    int (*asset_put_inventory)(struct vg_store *s, const char *tenant, const char *host, const char *snapshot_json,
                               const char *changes_json, int64_t ts, struct vg_err *err);
    int (*asset_list)(struct vg_store *s, const char *tenant, struct vg_asset_info **out, size_t *n,
                      struct vg_err *err);
    int (*asset_get)(struct vg_store *s, const char *tenant, const char *host, struct vg_asset_info *info,
                     char **snapshot_json, char **changes_json, size_t max_changes, struct vg_err *err);
    int (*asset_put_posture)(struct vg_store *s, const char *tenant, const char *host, const char *policy,
                             double score, const char *report_json, int64_t ts, struct vg_err *err);
    int (*asset_put_vulns)(struct vg_store *s, const char *tenant, const char *host, size_t count,
                           const char *findings_json, int64_t ts, struct vg_err *err);
    int (*asset_get_posture)(struct vg_store *s, const char *tenant, const char *host, char **posture_json,
                             char **vulns_json, struct vg_err *err);
    /* Agents (added by the agent channel, appended: backends may leave them
     * NULL). Enrollment tokens are one-time secrets "vge_<43 base64url>"
     * stored as a hash. token_use atomically checks (exists, unused,
     * unexpired at `now`) and marks it used by agent_id, returning its
     * tenant; any failure is VG_EAUTH with the reason in err. */
    int (*enroll_token_create)(struct vg_store *s, const char *tenant, int64_t expires_ns, char *secret_out,
                               size_t secret_sz, struct vg_err *err);
    int (*enroll_token_use)(struct vg_store *s, const char *secret, int64_t now, const char *agent_id,
                            char *tenant_out, size_t tenant_sz, struct vg_err *err);
    int (*agent_add)(struct vg_store *s, const struct vg_agent_info *a, struct vg_err *err);
    /* VG_ENOENT when unknown. */
    int (*agent_get)(struct vg_store *s, const char *id, struct vg_agent_info *a, struct vg_err *err);
    /* *out is vg_malloc'd (caller frees), ordered by enrollment. */
    int (*agent_list)(struct vg_store *s, struct vg_agent_info **out, size_t *n, struct vg_err *err);
    /* Writes last_seen, silent, last_seq, version and address of a->id. */
    int (*agent_update)(struct vg_store *s, const struct vg_agent_info *a, struct vg_err *err);
    /* Marks an agent revoked (id or name); VG_ENOENT when no such active agent. */
    int (*agent_revoke)(struct vg_store *s, const char *id_or_name, struct vg_err *err);
};

struct vg_store {
    const struct vg_store_ops *ops;  /* backend table; backends embed this struct first */
};

/* Opens a store by location: a directory (SQLite in DIR/vigil.db) or a URI
 * "sqlite:PATH" (later "postgres://..."). Creates and migrates as needed. */
int vg_store_open(struct vg_store **out, const char *location, struct vg_err *err);
void vg_store_close(struct vg_store *s);
const struct vg_store_ops *const *vg_store_backends(size_t *n);

/* Thin wrappers over the ops table. */
static inline int vg_store_put_events(struct vg_store *s, const struct vg_event *const *ev, size_t n,
                                      size_t *stored, size_t *dups, struct vg_err *err)
{ return s->ops->put_events(s, ev, n, stored, dups, err); }
static inline int vg_store_search(struct vg_store *s, const struct vg_query *q, vg_store_event_cb cb,
                                  void *ctx, struct vg_err *err)
{ return s->ops->search(s, q, cb, ctx, err); }

/* Stores an agent's inventory: upserts the asset (os, kernel, package count
 * are read from the snapshot JSON), replaces its current snapshot and
 * appends every element of changes_json (a JSON array of change objects as
 * vg_inv_change_json writes them; NULL or "[]" for none) to the history, in
 * one transaction. ts in ns (0: now). A NULL snapshot_json only appends the
 * changes (FIM events; the asset row is created when missing). Changes
 * already stored for the same (tenant, host, ts) are not appended again (a
 * report replayed after a crash). VG_EINVAL for bad JSON or names,
 * VG_EUNSUP when the backend has no asset support. */
static inline int vg_store_put_inventory(struct vg_store *s, const char *tenant, const char *host,
                                         const char *snapshot_json, const char *changes_json, int64_t ts,
                                         struct vg_err *err)
{
    if (!s->ops->asset_put_inventory) return vg_err_set(err, VG_EUNSUP, "store has no asset support");
    return s->ops->asset_put_inventory(s, tenant, host, snapshot_json, changes_json, ts, err);
}

#endif
