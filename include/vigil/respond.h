/* The respond layer's incidents and risk (issue 4; src/respond/,
 * docs/internals/incidents.md). Sits on store + detect + core, below api.
 *
 * Processing: a vg_respond processor owns a store handle of its own and a
 * thread. After the pipeline's writer commits alerts it calls
 * vg_respond_notify (a post-commit hook; the thread also polls every
 * second). Each round reads the alert rows committed since the cursor
 * (alerts.seq, kept in the store's kv table in the same transaction as the
 * round's results), drops suppressed ones, groups the others into
 * incidents by shared strong entities within the window, recomputes each
 * touched incident (timeline, entities, tactics, risk, priority) and
 * commits. Nothing lives only in memory: a restart resumes at the cursor,
 * and analysts' changes (merge, split, status, suppressions) made through
 * another handle are seen by the next round.
 *
 * The pure parts (entity extraction and the weak-entity rule, the risk
 * formula, priority) are exported for tests and the bench. */
#ifndef VIGIL_RESPOND_H
#define VIGIL_RESPOND_H

#include "vigil/store.h"

struct vg_respond_opts {
    int64_t window_ns;        /* alerts sharing a strong entity within this join one incident (default 2 h) */
    int64_t risk_window_ns;   /* entity risk accumulates over this (default 24 h) */
    double risk_threshold;    /* entity risk (0..100, after criticality) that raises an incident (default 50) */
    int raise_level;          /* an alert at or above this level raises its incident (default high) */
    int min_level;            /* alerts below this level are not grouped (default low) */
    unsigned hub_alerts;      /* an entity in more alert rows than this in 24 h is weak (default 50;
                                 half for private addresses) */
    size_t batch;             /* alert rows per round, one transaction each (default 200) */
};

/* Fills defaults into zero fields. */
void vg_respond_opts_defaults(struct vg_respond_opts *o);

/* ---- pure parts ---------------------------------------------------------- */
/* Elastic-style entity risk: scores (0..100) sorted high to low, the i-th
 * (1-based) divided by i^1.5, summed and normalised by 100 * zeta(1.5)
 * (261.2) to 0..100. scores is reordered. */
double vg_risk_score(int *scores, size_t n);
/* Criticality modifier: low 0.5, medium 1, high 1.5, critical 2 (unknown or
 * "" = 1). */
double vg_risk_crit_modifier(const char *level);
/* Raises a 0..100 risk by a modifier as a Bayesian update of p = r/100:
 * p' = p*m / (1 + p*(m-1)); stays within 0..100. */
double vg_risk_apply_modifier(double risk, double m);

/* Incident priority 0..100 from its highest alert level, its risk (0..100),
 * the number of ATT&CK tactics, its confidence (0..1) and its highest
 * criticality modifier:
 *   100 * (0.45*level/4 + 0.35*risk/100 + 0.20*min(tactics,5)/5)
 *       * (0.6 + 0.4*confidence) * crit_factor, capped at 100,
 * with crit_factor low 0.8, medium/unset 1.0, high 1.2, critical 1.4. */
double vg_incident_priority(int level, double risk, size_t ntactics, double confidence, const char *criticality);

/* Entity strength (the weak-entity rule, docs/internals/incidents.md). */
enum vg_entity_strength { VG_ENTITY_STRONG = 0, VG_ENTITY_WEAK_STATIC, VG_ENTITY_WEAK_HUB };
/* Static part: root/nobody/unknown users, localhost names, loopback,
 * unspecified, link-local, multicast and broadcast addresses are always
 * weak. entity is "KIND:VALUE". */
bool vg_entity_static_weak(const char *entity);
/* True for private addresses (RFC 1918, RFC 6598 shared, IPv6 ULA). */
bool vg_ip_is_private(const char *ip);
/* Hub part: alerts_24h = alert rows naming the entity over the last 24 h. */
enum vg_entity_strength vg_entity_strength(const char *entity, uint64_t alerts_24h, unsigned hub_alerts);

/* Entities of an alert row ("host:", "user:", "ip:", "proc:", "hash:"),
 * values lower-cased for host and hash; at most max, written into
 * out[max][VG_INC_ENTITY_MAX]. proc and hash come from the matched fields
 * of the record (process.executable, *.hash.*). Returns the number. */
size_t vg_alert_entities(const struct vg_inc_alert *a, char (*out)[VG_INC_ENTITY_MAX], size_t max);

/* ---- the processor ---------------------------------------------------------- */
struct vg_respond;

/* Opens its own store handle at store_location. o may be NULL (defaults).
 * VG_ENOMEM, or the store's open error. */
int vg_respond_new(struct vg_respond **out, const char *store_location, const struct vg_respond_opts *o,
                   struct vg_err *err);
/* Starts the processing thread. VG_EIO when it cannot start. */
int vg_respond_start(struct vg_respond *r, struct vg_err *err);
/* Wakes the thread (ctx is the struct vg_respond *): the writer's
 * post-commit hook. Cheap, never blocks; NULL is a no-op. */
void vg_respond_notify(void *ctx);
/* Runs rounds until no alert is left (from any thread while the processing
 * thread is not started, or while it is: rounds are serialised).
 * *processed (optional) = rows handled. */
int vg_respond_run(struct vg_respond *r, size_t *processed, struct vg_err *err);
/* Stops the thread and frees: rounds go on while alerts are left, for at
 * most 5 s; what is left then is grouped after the next start (the cursor
 * is in the store). NULL is a no-op. */
void vg_respond_free(struct vg_respond *r);

struct vg_respond_stats {
    uint64_t rounds, alerts, suppressed, incidents_new, merges, errors;
};
void vg_respond_stats(struct vg_respond *r, struct vg_respond_stats *out);
/* Appends OpenMetrics families (no "# EOF"). */
int vg_respond_metrics(struct vg_respond *r, struct vg_buf *out);

/* ---- analyst operations (any store handle; API and CLI) ------------------
 * Each runs in one transaction and recomputes what it changed; o may be
 * NULL (defaults). Errors: VG_ENOENT unknown incident or alert, VG_EINVAL
 * bad argument (detail in err), store errors. */
int vg_incident_merge(struct vg_store *s, const char *tenant, const char *into, const char *from,
                      const struct vg_respond_opts *o, struct vg_err *err);
/* Moves the named alerts (32-hex ids) of incident id into a new incident,
 * whose id is written to new_id. */
int vg_incident_split(struct vg_store *s, const char *tenant, const char *id, const char *const *alert_ids, size_t n,
                      char new_id[VG_INC_ID_MAX], const struct vg_respond_opts *o, struct vg_err *err);
/* status: new, in_progress, closed. */
int vg_incident_set_status(struct vg_store *s, const char *tenant, const char *id, const char *status,
                           struct vg_err *err);
/* Suppresses rule (exact id, or "*") for entity ("KIND:VALUE" or "*") until
 * now + for_ns: later alerts of the rule naming the entity are stored but
 * marked suppressed and form no incident. */
int vg_suppress(struct vg_store *s, const char *tenant, const char *rule, const char *entity, int64_t for_ns,
                const char *by, const char *reason, int64_t *id, struct vg_err *err);

/* ---- JSON views (docs/internals/incidents.md) --------------------------- */
int vg_incident_to_json(const struct vg_incident *i, struct vg_buf *out);
/* {"incidents":[...],"count":N} by priority. */
int vg_incident_list_json(struct vg_store *s, const struct vg_inc_query *q, struct vg_buf *out, struct vg_err *err);
/* The incident with "timeline": its alerts in time order with their key
 * event fields. VG_ENOENT when unknown. */
int vg_incident_show_json(struct vg_store *s, const char *tenant, const char *id, struct vg_buf *out,
                          struct vg_err *err);
/* {"entities":[{"entity","risk","base_risk","criticality","alerts","tactics"}...]}:
 * entities (host, user, ip) of the tenant's unsuppressed alerts in the risk
 * window ending at now, by risk, at most limit. */
int vg_risk_list_json(struct vg_store *s, const char *tenant, int64_t now, const struct vg_respond_opts *o, size_t limit,
                      struct vg_buf *out, struct vg_err *err);
/* {"suppressions":[...]} active at now. */
int vg_suppressions_json(struct vg_store *s, const char *tenant, int64_t now, struct vg_buf *out, struct vg_err *err);

#endif
