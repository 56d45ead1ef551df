/* The pure parts of incidents and risk (include/vigil/respond.h): the
 * Elastic-style entity risk formula and criticality modifier, incident
 * priority, the weak-entity rule and the entities of an alert row. No
 * store access here; case.c uses these, and so do the unit tests and the
 * bench. Formulas and their reasons: docs/internals/incidents.md. */
#include "vigil/respond.h"
#include "vigil/alert.h"
#include "internal.h"
#include <arpa/inet.h>
#include <jansson.h>
#include <math.h>

void vg_respond_opts_defaults(struct vg_respond_opts *o)
{
    if (o->window_ns <= 0) o->window_ns = 2 * 3600LL * 1000000000LL;
    if (o->risk_window_ns <= 0) o->risk_window_ns = 24 * 3600LL * 1000000000LL;
    if (o->risk_threshold <= 0) o->risk_threshold = 50;
    if (o->raise_level <= 0) o->raise_level = VG_ALERT_HIGH;
    if (o->min_level <= 0) o->min_level = VG_ALERT_LOW;
    if (!o->hub_alerts) o->hub_alerts = 50;
    if (!o->batch) o->batch = 200;
}

/* ---- risk ------------------------------------------------------------------ */
#define ZETA_1_5 2.612375348685488 /* sum of 1/i^1.5: the most n scores of 100 can add up to */

static int cmp_desc(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x < y) - (x > y);
}

double vg_risk_score(int *scores, size_t n)
{
    if (!scores || !n) return 0;
    qsort(scores, n, sizeof *scores, cmp_desc);
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        int s = scores[i] < 0 ? 0 : scores[i] > 100 ? 100 : scores[i];
        sum += s / pow((double)(i + 1), 1.5);
    }
    double r = 100.0 * sum / (100.0 * ZETA_1_5);
    return r > 100 ? 100 : r;
}

double vg_risk_crit_modifier(const char *level)
{
    if (!level) return 1.0;
    if (!strcmp(level, "low")) return 0.5;
    if (!strcmp(level, "high")) return 1.5;
    if (!strcmp(level, "critical")) return 2.0;
    return 1.0;
}

double vg_risk_apply_modifier(double risk, double m)
{
    if (risk <= 0) return 0;
    double p = risk >= 100 ? 1.0 : risk / 100.0;
    double q = p * m / (1.0 + p * (m - 1.0));
    if (q < 0) q = 0;
    if (q > 1) q = 1;
    return 100.0 * q;
}

static double crit_factor(const char *level)
{
    if (!level || !*level) return 1.0;
    if (!strcmp(level, "low")) return 0.8;
    if (!strcmp(level, "high")) return 1.2;
    if (!strcmp(level, "critical")) return 1.4;
    return 1.0;
}

double vg_incident_priority(int level, double risk, size_t ntactics, double confidence, const char *criticality)
{
    if (level < 0) level = 0;
    if (level > VG_ALERT_CRITICAL) level = VG_ALERT_CRITICAL;
    if (risk < 0) risk = 0;
    if (risk > 100) risk = 100;
    if (confidence < 0) confidence = 0;
    if (confidence > 1) confidence = 1;
    double breadth = (double)(ntactics > 5 ? 5 : ntactics) / 5.0;
    double base = 0.45 * level / 4.0 + 0.35 * risk / 100.0 + 0.20 * breadth;
    double p = 100.0 * base * (0.6 + 0.4 * confidence) * crit_factor(criticality);
    return p > 100 ? 100 : p;
}

/* ---- weak entities ------------------------------------------------------------ */
static bool ieq(const char *a, const char *b) { return strlen(a) == strlen(b) && vg_strncasecmp_ascii(a, b, strlen(a)) == 0; }

bool vg_ip_is_private(const char *ip)
{
    unsigned char b[16];
    if (inet_pton(AF_INET, ip, b) == 1)
        return b[0] == 10 || (b[0] == 172 && (b[1] & 0xf0) == 16) || (b[0] == 192 && b[1] == 168) ||
               (b[0] == 100 && (b[1] & 0xc0) == 64);
    if (inet_pton(AF_INET6, ip, b) == 1) return (b[0] & 0xfe) == 0xfc;
    return false;
}

static bool ip_static_weak(const char *ip)
{
    unsigned char b[16];
    if (inet_pton(AF_INET, ip, b) == 1)
        return b[0] == 127 || b[0] == 0 || (b[0] == 169 && b[1] == 254) || b[0] >= 224; /* loopback .. multicast, broadcast */
    if (inet_pton(AF_INET6, ip, b) == 1) {
        static const unsigned char zero[16];
        if (!memcmp(b, zero, 15) && (b[15] == 0 || b[15] == 1)) return true;    /* :: and ::1 */
        if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return true;                   /* link-local */
        if (b[0] == 0xff) return true;                                             /* multicast */
        if (!memcmp(b, zero, 10) && b[10] == 0xff && b[11] == 0xff) return b[12] == 127; /* ::ffff:127.x */
        return false;
    }
    return false;
}

bool vg_entity_static_weak(const char *e)
{
    if (!e) return true;
    const char *v = strchr(e, ':');
    if (!v || !v[1]) return true;
    v++;
    if (!strcmp(v, "-") || ieq(v, "unknown") || ieq(v, "(unknown)") || ieq(v, "n/a")) return true;
    if (!strncmp(e, "user:", 5)) {
        static const char *const users[] = {"root", "nobody", "system", "localsystem", "local service",
                                            "network service", "daemon", "www-data", "anonymous"};
        for (size_t i = 0; i < VG_ARRAY_LEN(users); i++)
            if (ieq(v, users[i])) return true;
        return false;
    }
    if (!strncmp(e, "host:", 5))
        return ieq(v, "localhost") || ieq(v, "localhost.localdomain") || ieq(v, "ip6-localhost") || ip_static_weak(v);
    if (!strncmp(e, "ip:", 3)) return ip_static_weak(v);
    if (!strncmp(e, "proc:", 5)) { /* shells and the usual launchers say nothing about who did it */
        static const char *const common[] = {"/bin/sh", "/bin/bash", "/usr/bin/bash", "/usr/bin/sh", "/usr/bin/sudo",
                                             "/bin/su", "/usr/bin/su", "/usr/sbin/cron", "/usr/sbin/sshd",
                                             "/usr/bin/python3", "/usr/bin/env"};
        for (size_t i = 0; i < VG_ARRAY_LEN(common); i++)
            if (!strcmp(v, common[i])) return true;
    }
    return false;
}

enum vg_entity_strength vg_entity_strength(const char *entity, uint64_t alerts_24h, unsigned hub_alerts)
{
    if (vg_entity_static_weak(entity)) return VG_ENTITY_WEAK_STATIC;
    unsigned hub = hub_alerts ? hub_alerts : 50;
    if (!strncmp(entity, "ip:", 3) && vg_ip_is_private(entity + 3)) hub = hub / 2 ? hub / 2 : 1;
    return alerts_24h > hub ? VG_ENTITY_WEAK_HUB : VG_ENTITY_STRONG;
}

/* ---- entities of an alert ------------------------------------------------------- */
static size_t add_entity(char (*out)[VG_INC_ENTITY_MAX], size_t n, size_t max, const char *kind, const char *v,
                         bool lower)
{
    if (!v || !*v || n >= max) return n;
    char e[VG_INC_ENTITY_MAX];
    int len = snprintf(e, sizeof e, "%s:%s", kind, v);
    if (len <= 0 || (size_t)len >= sizeof e) return n; /* too long to be a useful link */
    for (char *p = e; *p; p++) {
        if ((unsigned char)*p < 0x20) return n;
        if (lower && *p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
    }
    for (size_t i = 0; i < n; i++)
        if (!strcmp(out[i], e)) return n;
    snprintf(out[n], VG_INC_ENTITY_MAX, "%s", e);
    return n + 1;
}

size_t vg_alert_entities(const struct vg_inc_alert *a, char (*out)[VG_INC_ENTITY_MAX], size_t max)
{
    size_t n = 0;
    n = add_entity(out, n, max, "host", a->host, true);
    n = add_entity(out, n, max, "user", a->user, false);
    n = add_entity(out, n, max, "ip", a->source_ip, true);
    if (!a->json || n >= max) return n;
    json_t *j = json_loadb(a->json, a->json_len, 0, NULL);
    n = vg__rsp_matched_entities(j, out, n, max);
    json_decref(j);
    return n;
}

size_t vg__rsp_matched_entities(json_t *j, char (*out)[VG_INC_ENTITY_MAX], size_t n, size_t max)
{
    json_t *m = j ? json_object_get(j, "matched") : NULL;
    const char *k;
    json_t *v;
    json_object_foreach(m, k, v) {
        const char *s = json_string_value(v);
        if (!s) continue;
        if (!strcmp(k, "process.executable") || !strcmp(k, "Image")) n = add_entity(out, n, max, "proc", s, false);
        else if (strstr(k, ".hash.") || !strcmp(k, "Hashes")) n = add_entity(out, n, max, "hash", s, true);
    }
    return n;
}
