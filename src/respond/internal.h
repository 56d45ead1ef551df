/* Private declarations shared by the files of the respond layer
 * (src/respond/): case.c (recompute, merge, split, status, suppress),
 * process.c (the processing thread and its rounds), view.c (JSON views)
 * and risk.c (pure formulas). Nothing here is public. */
#ifndef VG_RESPOND_INTERNAL_H
#define VG_RESPOND_INTERNAL_H

#include "vigil/respond.h"
#include "vigil/alert.h"

/* ops->tx, or VG_EUNSUP when the store keeps no incidents. */
int vg__rsp_tx(struct vg_store *s, int what, struct vg_err *err);
/* Recomputes incident id from its alerts and stores it: counts, bounds,
 * severity, entities (strength, links), tactics, techniques, risk,
 * confidence, criticality, priority, why raised, title. lock: -1 keep,
 * 0/1 set; status: NULL keep. */
int vg__rsp_recompute(struct vg_store *s, const char *tenant, const char *id, const struct vg_respond_opts *o,
                      int64_t now, int lock, const char *status, struct vg_err *err);
/* Per-round memo of entity strength and risk, keyed by tenant, entity and
 * UTC hour: both read only entity_stats and criticality, which do not
 * change while a round recomputes its incidents, so an entity shared by
 * several touched incidents is queried once. Bounded (entries beyond the
 * table's size are simply not memoised). NULL when out of memory; a NULL
 * memo is valid everywhere and memoises nothing. */
struct vg__rsp_memo;
/* Test hook: when set, rounds use no memo (tests/unit/respond compare). */
extern bool vg__rsp_memo_off;
struct vg__rsp_memo *vg__rsp_memo_new(void);
void vg__rsp_memo_free(struct vg__rsp_memo *m);
/* vg__rsp_recompute with a round's memo (NULL: none). */
int vg__rsp_recompute_memo(struct vg_store *s, const char *tenant, const char *id, const struct vg_respond_opts *o,
                           int64_t now, int lock, const char *status, struct vg__rsp_memo *m, struct vg_err *err);
/* Moves every alert of from into into and marks from merged. */
int vg__rsp_merge_into(struct vg_store *s, const char *tenant, const char *into, const char *from, int64_t now,
                       struct vg_err *err);
/* Stores an empty incident row (status new). */
int vg__rsp_create(struct vg_store *s, const char *tenant, const char *id, bool locked, int64_t now, struct vg_err *err);
/* "INC-" + 12 hex digits: from a hash of seed, or random when seed is NULL. */
void vg__rsp_new_id(char out[VG_INC_ID_MAX], const uint8_t *seed, size_t n);
/* 32 hex digits to 16 bytes; VG_EINVAL otherwise. */
int vg__rsp_parse_id(const char *hex, uint8_t out[16]);
/* Entity strength (enum vg_entity_strength) with the store's hub count, or
 * a negative error. */
int vg__rsp_strength(struct vg_store *s, const char *tenant, const char *entity, int64_t at,
                     const struct vg_respond_opts *o, struct vg_err *err);
/* Risk of one entity over the risk window ending at end: base (formula)
 * and risk (after its criticality, written to crit when set). */
int vg__rsp_entity_risk(struct vg_store *s, const char *tenant, const char *entity, int64_t end,
                        const struct vg_respond_opts *o, double *base, double *risk, char *crit, size_t critsz,
                        struct vg_err *err);
/* Facts of an alert row, built once from its JSON record when it is first
 * grouped and kept in alerts.facts so recomputing an incident parses no
 * JSON: "TACTICS\nTECHNIQUES\nCONFIDENCE\nENTITY\n..." with comma-separated
 * lists, the confidence as a number, then the proc:/hash: entities of its
 * matched fields. At most VG__FACTS_MAX bytes (extra entities dropped first). */
#define VG__FACTS_MAX 1024
void vg__rsp_facts(const struct vg_inc_alert *a, char out[VG__FACTS_MAX]);
/* The proc: and hash: entities of a parsed alert record's "matched"
 * fields, added after the n already in out (at most max in all); j may be
 * NULL. vg_alert_entities without parsing the record again. */
struct json_t;
size_t vg__rsp_matched_entities(struct json_t *j, char (*out)[VG_INC_ENTITY_MAX], size_t n, size_t max);
/* Entities of a row: host, user, ip from its columns, then those of facts. */
size_t vg__rsp_row_entities(const struct vg_inc_alert *a, const char *facts, char (*out)[VG_INC_ENTITY_MAX], size_t max);
/* True when an active suppression (at now) covers rule and one of ents. */
bool vg__rsp_suppressed(const struct vg_suppression *sp, size_t nsp, const char *rule, int64_t now,
                        char (*ents)[VG_INC_ENTITY_MAX], size_t nents);
/* One processing round over at most o->batch alert rows after the cursor,
 * in one transaction. *n = rows read (0: nothing left). */
struct vg__rsp_counts {
    uint64_t alerts, suppressed, created, merges;
};
int vg__rsp_round(struct vg_store *s, const struct vg_respond_opts *o, size_t *n, struct vg__rsp_counts *c,
                  struct vg_err *err);

#endif
