/* Incidents and risk (issue 4, DESIGN §4 "Risk", docs/internals/incidents.md):
 * value types shared by the store (which keeps incidents, suppressions and
 * criticality, src/store/incidents_sqlite.c), the respond layer (which
 * groups alerts into incidents and scores them, src/respond/) and the
 * interfaces (src/api/h_incidents.c, src/cli/cmd_incidents.c).
 *
 * Entities are written "KIND:VALUE": host:web1, user:bob, ip:203.0.113.9,
 * proc:/usr/bin/nc, hash:<hex>. Incident ids are "INC-" + 12 hex digits.
 * Transparent value types; strings in fixed buffers are NUL-terminated and
 * cut at their size, the three JSON members of vg_incident are vg_malloc'd
 * and owned by the struct (vg_incident_release). */
#ifndef VIGIL_INCIDENT_H
#define VIGIL_INCIDENT_H

#include "vigil/core.h"

#define VG_INC_ID_MAX 24       /* "INC-" + 12 hex + NUL fits */
#define VG_INC_ENTITY_MAX 320  /* bytes of one "KIND:VALUE" entity */

/* An alert row as the incident processor reads it (pointers valid during
 * the callback only). */
struct vg_inc_alert {
    uint8_t id[16];
    uint64_t seq;                  /* order of inserts and repeat updates */
    const char *tenant, *rule_id, *title, *status;
    const char *host, *user, *source_ip; /* entities, NULL when absent */
    const char *incident;          /* NULL until grouped */
    const char *json;              /* the record (vg_alert_to_json) */
    size_t json_len;
    int64_t ts, first_ns, last_ns; /* event times: first alert, first and last repeat */
    int level, risk;               /* risk 0 = from level */
    uint32_t count;                /* events folded in (>= 1) */
    bool suppressed;
    const char *facts;             /* the processor's digest of json (tactics, techniques, confidence,
                                      extra entities; src/respond/case.c), NULL until grouped */
};
typedef int (*vg_inc_alert_cb)(void *ctx, const struct vg_inc_alert *a);

struct vg_incident {
    char id[VG_INC_ID_MAX];
    char tenant[64];
    char title[256];
    char status[16];               /* new, in_progress, closed, merged */
    char raised[16];               /* severity, risk, tactics; "" = pending (not listed by default) */
    double priority;               /* 0..100 */
    double risk;                   /* highest entity risk 0..100 */
    double confidence;             /* 0..1 */
    int severity;                  /* highest alert level */
    char criticality[16];          /* highest criticality of its hosts and users, "" = none set */
    int64_t nalerts, nevents;
    int64_t first_ns, last_ns, created_ns, updated_ns;
    bool locked;                   /* changed by an analyst: never merged automatically */
    char merged_into[VG_INC_ID_MAX];
    char *tactics, *techniques, *entities; /* JSON arrays of strings (owned), NULL = [] */
};

static inline void vg_incident_release(struct vg_incident *i)
{
    if (!i) return;
    vg_free(i->tactics);
    vg_free(i->techniques);
    vg_free(i->entities);
    i->tactics = i->techniques = i->entities = NULL;
}

typedef int (*vg_incident_cb)(void *ctx, const struct vg_incident *i);

/* Incident listing (ops->inc_list): by priority, highest first. */
struct vg_inc_query {
    const char *tenant;            /* NULL = "default" */
    const char *status;            /* exact status, or NULL: all but merged */
    bool all;                      /* include pending (not raised) incidents */
    size_t limit;                  /* 0 = 100 */
};

struct vg_suppression {
    int64_t id;
    char tenant[64];
    char rule_id[256];             /* exact rule id ("*" = every rule) */
    char entity[VG_INC_ENTITY_MAX];/* "KIND:VALUE" or "*" */
    int64_t expires_ns, created_ns;
    char created_by[128];
    char reason[256];
};

/* One entity an incident links through, with when it was last seen. */
struct vg_inc_entity {
    const char *entity;
    int64_t last_ns;
};

#endif
