/* Private structures of the correlation engine, shared by its files:
 *   corr.c    definitions, rule index, keys, windows, evaluation, feeding
 *   state.c   save/restore of the state (versioned, checksummed blob)
 *   sigma.c   Sigma correlation documents -> struct vg_corr_def
 * See include/vigil/correlate.h for the semantics. */
#ifndef VG_DETECT_CORRELATE_INTERNAL_H
#define VG_DETECT_CORRELATE_INTERNAL_H

#include "vigil/correlate.h"

/* One hit in a key's window (sorted by ts, ties in arrival order). */
struct vg__corr_ent {
    int64_t ts;
    uint64_t vh;        /* hash of the value field (value_count, percentile) */
    double num;         /* value field as a number, NAN when not numeric */
    uint32_t rule;      /* position in the correlation's rules */
    uint32_t pad;
};

/* Distinct-value counting table (value_count), open addressing. */
struct vg__corr_vslot {
    uint64_t vh;
    uint32_t cnt;       /* 0 = empty */
};

struct vg__corr_key {
    struct vg__corr_key *lprev, *lnext;     /* LRU list, most recent first */
    uint64_t hash;
    uint32_t corr, klen;
    int64_t newest;                         /* newest ts of the window (INT64_MIN after reset) */
    int64_t suppress_until;                 /* INT64_MIN = none */
    struct vg__corr_ent *e;                 /* e[head .. head+n) */
    uint32_t head, n, cap;
    double sum;                             /* value_sum / value_avg */
    uint32_t *rcount;                       /* hits per rule position (temporal types) */
    uint32_t nrules_seen;
    struct vg__corr_vslot *vt;              /* value_count */
    uint32_t vtcap, distinct;
    char k[];                               /* group key bytes */
};

/* A slot of the key table: the hash is kept beside the pointer so probing
 * touches no key that does not match. */
struct vg__corr_kslot {
    uint64_t hash;
    struct vg__corr_key *k;                 /* NULL = empty */
};

/* Engine copy of a definition. */
struct vg__corr_def {
    struct vg_corr_def d;                   /* pointers into the engine arena */
    const char **gfield;                    /* [nrules][ngroup_by]: field to read per rule */
    const char **vfield;                    /* [nrules]: value field per rule (aliases apply) */
    const char *ident;                      /* id, else name, else title: names it in saved state */
    int32_t level;
};

/* Index of referenced rule names -> (correlation, position). */
struct vg__corr_ref {
    struct vg__corr_ref *next;
    const char *name;
    uint64_t hash;
    uint32_t corr, pos;
};

struct vg_corr {
    struct vg_corr_opts o;
    struct vg_arena ar;                     /* definitions */
    struct vg__corr_def *defs;
    size_t ndefs, capdefs;
    struct vg__corr_ref **refs;             /* hash buckets */
    size_t nrefb, nrefs;
    /* generate flags per referenced name: see vg_corr_rule_generates */
    struct vg__corr_kslot *kb;              /* key table: open addressing, load <= 1/2 */
    size_t nkb, nkeys;
    struct vg__corr_key *lru_head, *lru_tail;
    int64_t watermark;
    bool fed;
    uint64_t since_sweep;
    struct vg_corr_stats st;
    /* per feed scratch */
    struct vg_arena scratch;
    struct vg_corr_fire *fires;
    size_t nfires;
};

uint64_t vg__corr_hash(const void *p, size_t n, uint64_t seed);
/* Key management shared with state.c. */
struct vg__corr_key *vg__corr_key_get(struct vg_corr *c, uint32_t corr, const char *k, size_t klen, bool create);
void vg__corr_key_drop(struct vg_corr *c, struct vg__corr_key *k);
void vg__corr_clear(struct vg_corr *c);
/* Inserts an entry into a key's window keeping time order and updates the
 * aggregates; 1 inserted, 0 outside the window, VG_ENOMEM. */
/* Raises a key's newest time and drops the hits that left its window. */
void vg__corr_set_newest(struct vg_corr *c, struct vg__corr_key *k, int64_t newest);
int vg__corr_insert(struct vg_corr *c, struct vg__corr_key *k, const struct vg__corr_ent *en);

#endif
