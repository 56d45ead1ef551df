/* Storage: one table of operations, one backend per file (store_sqlite.c
 * now, store_pg.c later). Events are kept in time partitions of compact
 * blocks; alerts, tokens and the rest sit beside them. Every row carries a
 * tenant id. Schema changes are numbered migrations (src/store/schema/).
 *
 * Threading: a vg_store handle is used by one thread at a time. The server
 * gives one handle to its writer thread and opens others for readers. */
#ifndef VIGIL_STORE_H
#define VIGIL_STORE_H

#include "vigil/event.h"
#include "vigil/query.h"

struct vg_store;

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

#endif
