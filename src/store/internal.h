/* Private declarations shared by the files of the store layer: the block
 * codec (block.c), the per-block bloom filter, the SQLite functions and
 * virtual table (sqlfn.c), the SQLite backend handle (store_sqlite.c,
 * tokens.c) and the embedded migrations (schema/). Nothing here is public.
 * See docs/internals/store.md for the on-disk format. */
#ifndef VG_STORE_INTERNAL_H
#define VG_STORE_INTERNAL_H

#include "vigil/store.h"
#include <pthread.h>
#include <sqlite3.h>
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_customMem: route zstd allocations through vg_malloc */
#include <zstd.h>
#include <zstd_errors.h>

/* ---- limits ----------------------------------------------------------- */
#define VG__BLK_MAX_EVENTS 2048u          /* events per block */
#define VG__BLK_MAX_BYTES (1u << 20)      /* uncompressed body bytes before a block is cut */
#define VG__BLK_MAX_USIZE (64u << 20)     /* hard cap on a decoded block (corruption guard) */
#define VG__BLK_MAX_DICT 4096u            /* distinct host/collector/format strings per block */
#define VG__BLK_MAX_NAMES 65536u          /* distinct field names per block */
#define VG__EV_MAX_RAW (16u << 20)        /* bytes of one event's raw text */
#define VG__EV_MAX_STR 4096u              /* host/collector/format length */
#define VG__TENANT_MAX 63u
#define VG__BLOOM_MAX_LOG2 15             /* 32768 bits = 4 KiB per block at most */
#define VG__BLOOM_MIN_LOG2 6

/* ---- varints ---------------------------------------------------------- */
static inline uint64_t vg__zz(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }
static inline int64_t vg__unzz(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }

/* ---- hashing (bloom keys) -------------------------------------------- */
/* ASCII-case-insensitive 64-bit hash of bytes (lowercases on the fly). */
uint64_t vg__hash_ci(const char *s, size_t n, uint64_t seed);
/* Bloom key of "name exists" and of "name = value" (both case-insensitive). */
uint64_t vg__key_exists(uint64_t name_hash);
uint64_t vg__key_value(uint64_t name_hash, uint64_t value_hash);
#define VG__NAME_SEED 0x6e616d65ull
#define VG__VALUE_SEED 0x76616c75ull
/* Tests a key against a serialised bloom ([log2 bits][bits]); a NULL or
 * malformed bloom answers true (cannot prune). */
bool vg__bloom_test(const uint8_t *bloom, size_t n, uint64_t key);

/* ---- block builder (write side) -------------------------------------- */
struct vg__blk_builder;
int vg__blk_builder_new(struct vg__blk_builder **out);
void vg__blk_builder_free(struct vg__blk_builder *b);
/* Starts an empty block. */
void vg__blk_builder_reset(struct vg__blk_builder *b);
/* Appends one event. Returns VG_ETOOBIG when the event itself exceeds the
 * limits, VG_ENOMEM on allocation failure. */
int vg__blk_add(struct vg__blk_builder *b, const struct vg_event *ev);
/* True when the block should be cut before adding more. */
bool vg__blk_full(const struct vg__blk_builder *b);
uint32_t vg__blk_count(const struct vg__blk_builder *b);
/* Serialises the block: *data = [codec][varint usize][payload] (compressed
 * with cctx when that helps), *bloom = the bloom filter. Pointers stay
 * valid until the next reset. */
int vg__blk_finish(struct vg__blk_builder *b, ZSTD_CCtx *cctx, int level, const uint8_t **data, size_t *dlen,
                   const uint8_t **bloom, size_t *blen, int64_t *ts_min, int64_t *ts_max, size_t *raw_bytes);

/* ---- decoded block (read side) --------------------------------------- */
struct vg__dstr { const char *s; uint32_t len; };

struct vg__dfield {
    uint32_t name;            /* index into dblock names */
    uint8_t type;             /* enum vg_vtype */
    uint8_t flags;            /* VG_FF_* */
    uint32_t len;             /* STR/IP bytes, LIST entries */
    union {
        const char *s;
        int64_t i;
        double f;
        bool b;
        const uint8_t *list;  /* LIST: encoded entries (varint len + bytes)* */
    } u;
};

struct vg__dblock;
struct vg__devent {
    const uint8_t *id;        /* 16 bytes */
    int64_t ts, recv_ts;
    int32_t host, coll, fmt;  /* dictionary index or -1 */
    uint32_t flags;
    uint64_t seq;
    const char *raw;
    uint32_t raw_len;
    uint32_t f0, nf;          /* fields[f0 .. f0+nf) */
    const struct vg__dblock *blk;
};

struct vg__dblock {
    uint8_t *buf;             /* decompressed bytes (owned) */
    size_t buf_cap;
    struct vg__dstr *names;   /* field names as stored */
    uint32_t nnames, names_cap;
    struct vg__dstr *strs;    /* host/collector/format dictionary */
    uint32_t nstrs, strs_cap;
    struct vg__devent *ev;
    uint32_t nev, ev_cap;
    struct vg__dfield *fields;
    uint32_t nfields, fields_cap;
    uint64_t serial;          /* changes on every decode (caches key on it) */
};

/* Decodes a stored block blob into d (reusing its buffers). Every length
 * and index is validated: returns VG_EFORMAT on corrupt input, VG_ENOMEM,
 * VG_ETOOBIG past VG__BLK_MAX_USIZE. dctx may be NULL (created inside). */
int vg__blk_decode(struct vg__dblock *d, const uint8_t *blob, size_t n, ZSTD_DCtx *dctx);
void vg__dblock_release(struct vg__dblock *d);
/* Iterates a LIST value: returns false at the end. */
bool vg__dlist_next(const struct vg__dfield *f, uint32_t *i, const uint8_t **pos, const char **s, uint32_t *len);
/* Text view of a decoded value (like vg_value_text). */
const char *vg__dvalue_text(const struct vg__dfield *f, char *buf, size_t bufsz, size_t *len);
/* Appends the event as JSON in exactly the vg_event_to_json format. */
int vg__devent_json(const struct vg__devent *e, const char *tenant, struct vg_buf *out);

/* zstd allocators routed through vg_malloc. */
ZSTD_CCtx *vg__zstd_cctx_new(void);
ZSTD_DCtx *vg__zstd_dctx_new(void);

/* ---- SQLite functions and virtual table (sqlfn.c) -------------------- */
/* Registers vg_events (eponymous table-valued function over a block blob)
 * and the scalar functions vg_match, vg_json, vg_field, vg_like, vg_cidr,
 * vg_bloom on db. */
int vg__sqlfn_register(sqlite3 *db);
/* Fields every stored event has outside its field list (matched by name,
 * case-insensitively): returns 1..5 for vigil.origin, vigil.collector,
 * vigil.format, event.original, event.id; 0 otherwise. Not in the bloom. */
int vg__virtual_field(const char *name, size_t len);
/* Op codes bound as the third vg_match argument: enum vg_qop, plus this
 * flag when the value is a wildcard pattern. */
#define VG__OP_WILDCARD 0x100

/* ---- query compilation (store_sqlite.c) ------------------------------ */
/* Number of bytes a term's value/field may have. */
#define VG__Q_MAX_TEXT 4096

/* ---- prepared writes (prepare.c) ------------------------------------- */
/* One encoded block of a prepared batch: events ev[ev0 .. ev0+nev) of the
 * prepared object, all of one (day, tenant). */
struct vg__pblock {
    int64_t day;              /* partition (UTC day) */
    const char *tenant;       /* borrowed from the events */
    size_t ev0;
    uint32_t nev;
    int64_t ts_min, ts_max;
    size_t raw_bytes;
    uint8_t *mem;             /* owned: stored blob (dlen bytes) then bloom (blen bytes) */
    size_t dlen, blen;
};

struct vg_store_prepared {
    const struct vg_store *owner;  /* the handle that prepared it */
    size_t n;                 /* events given to prepare */
    const struct vg_event **ev;    /* borrowed events in block order (re-encoded when a duplicate is found) */
    size_t nev;
    struct vg__pblock *blk;
    size_t nblk, blk_cap;
};

struct vg__scratch;           /* builder + zstd context lent to one prepare call */
struct vg__sq;
int64_t vg__day_of(int64_t ts);
/* Checks a batch against the store's limits (tenant, sizes, field ids). */
int vg__validate(const struct vg_event *const *ev, size_t n, struct vg_err *err);
int vg__sq_prepare(struct vg_store *s, const struct vg_event *const *ev, size_t n, struct vg_store_prepared **out,
                   struct vg_err *err);
void vg__prepared_free(struct vg_store_prepared *p);
/* Frees the pooled builders (at close, when no prepare can run). */
void vg__scratch_release_all(struct vg__sq *s);

/* ---- the SQLite handle ---------------------------------------------- */
struct vg__part;              /* cached partition (prepared statements) */

struct vg__sq {
    struct vg_store base;     /* must be first */
    sqlite3 *db;
    char *path;               /* database file */
    char *dir;                /* data directory (NULL for sqlite:PATH) */
    struct vg__blk_builder *bld;
    ZSTD_CCtx *cctx;
    int zlevel;
    struct vg__part *parts;   /* small cache of partitions, most recent first */
    sqlite3_stmt *st_begin, *st_commit, *st_rollback, *st_upd_part;
    uint64_t tx_serial;       /* bumped per put_events transaction */
    pthread_mutex_t scratch_mu;    /* guards scratch (prepare runs on many threads) */
    struct vg__scratch *scratch;   /* idle builders for prepare */
    bool mu_init;
    uint8_t *fresh;                /* writer: per-event "new" flags of the block being committed */
    size_t fresh_cap;
    struct vg__alerts *alerts;/* alert statements and staged alerts (alerts_sqlite.c) */
    sqlite3_stmt **inc_st;    /* cached incident statements (incidents_sqlite.c), NULL until used */
};

/* Runs one SQL statement with no result rows; VG_EDB with sqlite's message. */
int vg__sq_exec(struct vg__sq *s, const char *sql, struct vg_err *err);
int vg__sq_err(struct vg__sq *s, int rc, struct vg_err *err, const char *what);
/* Runs a parameterless SELECT and collects its rows into a vg_malloc'd array
 * of elements of elem_size bytes, each filled from the current row by fill.
 * On failure *out is NULL and *n 0; what names the operation in errors. */
int vg__sq_collect(struct vg__sq *s, const char *sql, size_t elem_size, void (*fill)(sqlite3_stmt *st, void *elem),
                   void **out, size_t *n, struct vg_err *err, const char *what);
/* Asset operations (assets_sqlite.c, migration 005_assets). */
int vg__asset_put_inventory(struct vg_store *s, const char *tenant, const char *host, const char *snap,
                            const char *changes, int64_t ts, struct vg_err *err);
int vg__asset_list(struct vg_store *s, const char *tenant, struct vg_asset_info **out, size_t *n, struct vg_err *err);
int vg__asset_get(struct vg_store *s, const char *tenant, const char *host, struct vg_asset_info *info, char **snap,
                  char **changes, size_t max_changes, struct vg_err *err);
int vg__asset_put_posture(struct vg_store *s, const char *tenant, const char *host, const char *policy, double score,
                          const char *report, int64_t ts, struct vg_err *err);
int vg__asset_put_vulns(struct vg_store *s, const char *tenant, const char *host, size_t count, const char *findings,
                        int64_t ts, struct vg_err *err);
int vg__asset_get_posture(struct vg_store *s, const char *tenant, const char *host, char **posture, char **vulns,
                          struct vg_err *err);

/* secret.c: what API tokens (tokens.c) and enrollment tokens (agents.c)
 * share. A secret is VG__SECRET_B64 base64url characters of 256 random bits;
 * only its BLAKE2b-256 hash is stored. */
#define VG__SECRET_B64 43
#define VG__SECRET_HASH_LEN 32
/* True when t is 1-63 characters of [A-Za-z0-9._-]. */
bool vg__valid_tenant(const char *t);
/* True when the VG__SECRET_B64 bytes at s are all base64url characters
 * (s must have that many readable bytes). */
bool vg__secret_wellformed(const char *s);
/* Hashes the VG__SECRET_B64 characters at b64. */
void vg__secret_hash(const char *b64, uint8_t out[VG__SECRET_HASH_LEN]);
/* Draws a new secret into b64 (NUL-terminated) and its hash; VG_ESTATE when
 * libsodium cannot start. The caller wipes b64 (vg__secret_wipe) when done. */
int vg__secret_new(char b64[VG__SECRET_B64 + 1], uint8_t hash[VG__SECRET_HASH_LEN], struct vg_err *err);
/* Zeroes n bytes in a way the compiler keeps. */
void vg__secret_wipe(void *p, size_t n);
/* Runs sql (?1 = id_or_name, ?2 = now) that revokes one active row; noun
 * ("token", "agent") goes into the messages and op into database errors.
 * VG_EINVAL for an empty id_or_name, VG_ENOENT when no active row matched. */
int vg__revoke_by_id_or_name(struct vg__sq *s, const char *sql, const char *noun, const char *op,
                             const char *id_or_name, struct vg_err *err);

/* tokens.c */
int vg__tok_create(struct vg_store *s, const char *name, const char *role, const char *tenant, char *secret_out,
                   size_t secret_sz, struct vg_token_info *info, struct vg_err *err);
int vg__tok_check(struct vg_store *s, const char *secret, struct vg_token_info *info, struct vg_err *err);
int vg__tok_list(struct vg_store *s, struct vg_token_info **out, size_t *n, struct vg_err *err);
int vg__tok_revoke(struct vg_store *s, const char *id_or_name, struct vg_err *err);

/* alerts_sqlite.c: the alert ops, and two hooks for store_sqlite.c. */
struct vg__alerts;
int vg__alerts_stage(struct vg_store *s, const struct vg_alert *const *a, size_t n, struct vg_err *err);
int vg__alerts_put(struct vg_store *s, const struct vg_alert *const *a, size_t n, size_t *stored, struct vg_err *err);
int vg__alerts_search(struct vg_store *s, const struct vg_alert_query *q, vg_store_alert_cb cb, void *ctx,
                      struct vg_err *err);
int vg__alerts_counts(struct vg_store *s, const struct vg_alert_query *q, uint64_t counts[VG_ALERT_NLEVELS],
                      struct vg_err *err);
/* Inserts the staged alerts; called inside an event transaction right
 * before its COMMIT (0 when nothing is staged). */
int vg__alerts_flush_staged(struct vg__sq *s, struct vg_err *err);
/* Frees the alert state of a closing handle. */
void vg__alerts_close(struct vg__sq *s);
/* Repeat aggregation (issue 4): the window (ops->alerts_set_window); a new
 * transaction forgets the previous one's duplicates (tx_reset, called at
 * its BEGIN); note_dup records an event the transaction found already
 * stored, whose alerts then do not count again. */
int vg__alerts_set_window(struct vg_store *s, int64_t window_ns);
void vg__alerts_tx_reset(struct vg__sq *s);
void vg__alerts_note_dup(struct vg__sq *s, const struct vg_event *ev);
void vg__inc_close(struct vg__sq *s);
/* incidents_sqlite.c: the incident, suppression and criticality ops. */
int vg__sq_tx(struct vg_store *s, int what, struct vg_err *err);
int vg__inc_alerts_after(struct vg_store *s, uint64_t after, size_t limit, vg_inc_alert_cb cb, void *ctx,
                         struct vg_err *err);
int vg__inc_alerts_of(struct vg_store *s, const char *tenant, const char *incident, size_t limit, vg_inc_alert_cb cb,
                      void *ctx, struct vg_err *err);
int vg__inc_alerts_window(struct vg_store *s, const char *tenant, int64_t since, const char *entity, size_t limit,
                          vg_inc_alert_cb cb, void *ctx, struct vg_err *err);
int vg__inc_alert_set(struct vg_store *s, const uint8_t id[16], const char *incident, bool suppressed,
                      const char *facts, struct vg_err *err);
int vg__inc_entity_find(struct vg_store *s, const char *tenant, const char *entity, int64_t since,
                        char (*out)[VG_INC_ID_MAX], size_t max, size_t *n, struct vg_err *err);
int vg__inc_entity_bump(struct vg_store *s, const char *tenant, const char *entity, int64_t hour, int score, int add,
                        int64_t since_hour, uint64_t *total, struct vg_err *err);
int vg__inc_entity_scores(struct vg_store *s, const char *tenant, const char *entity, int64_t since_hour, int *scores,
                          size_t max, size_t *n, struct vg_err *err);
int vg__inc_put(struct vg_store *s, const struct vg_incident *inc, const struct vg_inc_entity *ent, size_t nent,
                struct vg_err *err);
int vg__inc_get(struct vg_store *s, const char *tenant, const char *id, struct vg_incident *out, struct vg_err *err);
int vg__inc_list(struct vg_store *s, const struct vg_inc_query *q, vg_incident_cb cb, void *ctx, struct vg_err *err);
int vg__inc_move(struct vg_store *s, const char *tenant, const char *from, const char *to, const uint8_t (*ids)[16],
                 size_t n, size_t *moved, struct vg_err *err);
int vg__sup_add(struct vg_store *s, const struct vg_suppression *sp, int64_t *id, struct vg_err *err);
int vg__sup_list(struct vg_store *s, const char *tenant, int64_t now, struct vg_suppression **out, size_t *n,
                 struct vg_err *err);
int vg__crit_set(struct vg_store *s, const char *tenant, const char *entity, const char *level, struct vg_err *err);
int vg__crit_get(struct vg_store *s, const char *tenant, const char *entity, char *level, size_t levelsz,
                 struct vg_err *err);
/* agents.c */
int vg__agt_token_create(struct vg_store *s, const char *tenant, int64_t expires_ns, char *secret_out, size_t secret_sz,
                         struct vg_err *err);
int vg__agt_token_use(struct vg_store *s, const char *secret, int64_t now, const char *agent_id, char *tenant_out,
                      size_t tenant_sz, struct vg_err *err);
int vg__agt_add(struct vg_store *s, const struct vg_agent_info *a, struct vg_err *err);
int vg__agt_get(struct vg_store *s, const char *id, struct vg_agent_info *a, struct vg_err *err);
int vg__agt_list(struct vg_store *s, struct vg_agent_info **out, size_t *n, struct vg_err *err);
int vg__agt_update(struct vg_store *s, const struct vg_agent_info *a, struct vg_err *err);
int vg__agt_revoke(struct vg_store *s, const char *id_or_name, struct vg_err *err);

/* ---- migrations (schema/) ------------------------------------------- */
struct vg__migration {
    int version;
    const char *name;
    const char *sql;
};
const struct vg__migration *vg__store_migrations(size_t *n);

#endif
