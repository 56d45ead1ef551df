/* Alert records (DESIGN §4): what a detection produces when a rule matches
 * an event. One alert per (tenant, rule, event): its id is a BLAKE2b-128
 * hash of the three, so processing an event twice yields the same alert id
 * and the store keeps it once.
 *
 * The struct is transparent so that lower layers (store, api) can read it
 * without linking the detect layer; vg_alert_build and vg_alert_to_json
 * (src/detect/alert.c) fill and serialise it. Level names and parsing are
 * static inline below for the same reason.
 *
 * Ownership: every pointer of a built alert points into the arena given to
 * vg_alert_build (normally the event batch's arena), never into the rule
 * set, so an alert outlives a rule reload. The serialised JSON is built
 * once (vg_alert_build) and kept in `json`. */
#ifndef VIGIL_ALERT_H
#define VIGIL_ALERT_H

#include "vigil/event.h"

/* Sigma levels, in increasing severity. */
enum vg_alert_level {
    VG_ALERT_INFORMATIONAL = 0,
    VG_ALERT_LOW,
    VG_ALERT_MEDIUM,
    VG_ALERT_HIGH,
    VG_ALERT_CRITICAL,
    VG_ALERT_NLEVELS
};

static inline const char *vg_alert_level_name(int level)
{
    static const char *const names[VG_ALERT_NLEVELS] = {"informational", "low", "medium", "high", "critical"};
    return level >= 0 && level < VG_ALERT_NLEVELS ? names[level] : "unknown";
}

/* Parses a level name (case-insensitive; "info" is accepted for
 * informational); -1 when unknown. */
static inline int vg_alert_level_parse(const char *s)
{
    if (!s) return -1;
    size_t n = strlen(s);
    if (n == 4 && vg_strncasecmp_ascii(s, "info", 4) == 0) return VG_ALERT_INFORMATIONAL;
    for (int i = 0; i < VG_ALERT_NLEVELS; i++) {
        const char *name = vg_alert_level_name(i);
        if (strlen(name) == n && vg_strncasecmp_ascii(s, name, n) == 0) return i;
    }
    return -1;
}

/* One event field that made the rule match, with its value as text
 * (values are cut at VG_ALERT_MAX_VALUE bytes). A keyword match has name
 * "keywords" and the event's message as value. */
struct vg_alert_field {
    const char *name;
    const char *value;
    uint32_t value_len;
};

#define VG_ALERT_MAX_VALUE 1024   /* bytes of one matched value kept */
#define VG_ALERT_MAX_FIELDS 64    /* matched fields kept per alert */

/* Where the event came from, for offline scans (file + record or line). */
struct vg_alert_origin {
    const char *file;        /* path as given, or NULL */
    uint64_t record;         /* record number (EVTX record id, JSON record index) or line number; 0 = unknown */
    bool is_line;            /* record is a 1-based line number */
};

/* A string list (arena-owned). */
struct vg_alert_strs {
    const char *const *v;
    size_t n;
};

struct vg_alert {
    struct vg_alert *next;          /* next alert of the same batch (vg_batch.alerts list) */
    uint8_t id[16];                 /* BLAKE2b-128(tenant, rule id, event id) */
    const char *tenant;
    int64_t ts;                     /* event time (ns) */
    int64_t created;                /* when the alert was made (ns) */
    int level;                      /* enum vg_alert_level */
    const char *status;             /* workflow status: "open" when made */
    /* the rule */
    const char *rule_id;            /* Sigma id (or title when the rule has none) */
    const char *title;
    const char *rule_status;        /* Sigma status: stable, test, experimental ... or NULL */
    const char *author;             /* NULL when the rule names none */
    const char *description;
    const char *rule_file;          /* file the rule was loaded from */
    const char *product, *category, *service; /* logsource */
    struct vg_alert_strs tactics;   /* "credential_access" */
    struct vg_alert_strs techniques;/* "T1110.001" */
    struct vg_alert_strs tags;      /* all tags as written */
    struct vg_alert_strs references;
    struct vg_alert_strs falsepositives;
    /* the event */
    uint8_t event_id[16];
    const char *event_format;       /* decoder chain */
    const char *event_collector;
    const char *event_host;         /* origin host of the event */
    const struct vg_alert_field *matched;
    size_t nmatched;
    const char *host_name, *user_name, *source_ip; /* entities, NULL when absent */
    struct vg_alert_origin origin;  /* file copied into the arena */
    /* serialised form (vg_alert_to_json), made by vg_alert_build */
    const char *json;
    size_t json_len;
    /* ---- appended by the incidents slice (issue 4); all zero/NULL in an
     * alert made without them, which means "one event, risk from level" ---- */
    int risk;                       /* rule's risk_score override 1..100; 0 = vg_alert_level_risk(level) */
    const struct vg_event *ev;      /* the event (valid while its batch lives), or NULL */
    /* Repeat aggregation within a batch (vg_alert_aggregate): the events of
     * every repeat folded into this record, this alert's own first; NULL =
     * just ev. The store counts only those it stored for the first time. */
    const struct vg_event *const *members;
    uint32_t nmembers;
    int64_t first_seen, last_seen;  /* event time range of the members (0 = ts) */
};

/* Risk score of an alert of a level when its rule names none (Elastic's
 * defaults: 21 low, 47 medium, 73 high, 99 critical; 5 informational). */
static inline int vg_alert_level_risk(int level)
{
    static const int risk[VG_ALERT_NLEVELS] = {5, 21, 47, 73, 99};
    return level >= 0 && level < VG_ALERT_NLEVELS ? risk[level] : 47;
}

/* The risk score of a: its rule's override, else from its level. */
static inline int vg_alert_risk(const struct vg_alert *a)
{
    return a->risk > 0 && a->risk <= 100 ? a->risk : vg_alert_level_risk(a->level);
}

struct vg_sigma_hit;

/* Computes an alert id from tenant, rule id and event id. */
void vg_alert_make_id(const char *tenant, const char *rule_id, const uint8_t event_id[16], uint8_t out[16]);

/* Fills *a from a rule hit on ev: copies everything it keeps (rule
 * metadata, matched field values, entities, origin) into arena, sets
 * created = now (ns), status "open", and serialises the JSON into the
 * arena. origin may be NULL (then the event's `log.file.path` and seq are
 * used when present). Returns 0, VG_ENOMEM (arena cap or OOM), VG_EINVAL. */
int vg_alert_build(struct vg_alert *a, struct vg_arena *arena, const struct vg_sigma_hit *hit,
                   const struct vg_event *ev, int64_t now, const struct vg_alert_origin *origin);
/* The common tail of building any alert (Sigma, intel): copies the event's
 * entities (host.name, else the origin host; user.name; source.ip) and its
 * origin (origin, or the event's log.file.path and seq when NULL) into
 * arena, then serialises the alert into a->json. Returns 0 or VG_ENOMEM. */
int vg_alert_finish(struct vg_alert *a, struct vg_arena *arena, const struct vg_event *ev,
                    const struct vg_alert_origin *origin);

/* Repeat aggregation within one batch (docs/internals/incidents.md): alerts
 * of the same tenant, rule, host, user and source ip are folded into the
 * first of them (members, first_seen, last_seen set; the others unlinked
 * from b->alerts and b->nalerts lowered). Arrays come from the batch arena;
 * on arena exhaustion the batch is left as it was. Returns alerts folded. */
struct vg_batch;
size_t vg_alert_aggregate(struct vg_batch *b);

/* Appends the alert as one JSON object (no newline). Format in
 * docs/internals/alerts.md. Returns 0 or VG_ENOMEM/VG_ETOOBIG. */
int vg_alert_to_json(const struct vg_alert *a, struct vg_buf *out);

#endif
