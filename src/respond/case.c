/* Incident lifecycle (DESIGN §2 "case.c"; include/vigil/respond.h,
 * docs/internals/incidents.md): grouping committed alerts into incidents,
 * recomputing an incident from its alerts (timeline bounds, entities,
 * ATT&CK tactics, risk, confidence, priority, why it is raised), and the
 * analysts' operations (merge, split, status, suppress). Everything is
 * read from and written to the store inside one transaction per round or
 * operation, so a restart or another process's change is always seen.
 * The processing thread and the JSON views live in process.c and view.c. */
#include "internal.h"
#include <jansson.h>
#include <sodium.h>

/* ---- small helpers -------------------------------------------------------- */
#define HOUR_NS (3600LL * 1000000000LL)
#define MAX_INC_ENTITIES 256   /* entities an incident keeps (most recent) */
#define MAX_RISK_ENTITIES 64   /* of which the risk of the most recent host/user/ip is scored */
static const char *tenant_of(const char *t) { return t && *t ? t : "default"; }

int vg__rsp_tx(struct vg_store *s, int what, struct vg_err *err)
{
    if (!s->ops->tx || !s->ops->inc_put) return vg_err_set(err, VG_EUNSUP, "this store keeps no incidents");
    return s->ops->tx(s, what, err);
}

/* A string set kept sorted (JSON arrays of tactics, techniques). */
struct strset {
    char **v;
    size_t n, cap;
};

static int strset_add(struct strset *s, const char *x)
{
    if (!x || !*x) return 0;
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->v[i], x)) return 0;
    if (s->n == 256) return 0; /* bounded */
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 16;
        char **nv = vg_realloc(s->v, nc * sizeof *nv);
        if (!nv) return VG_ENOMEM;
        s->v = nv;
        s->cap = nc;
    }
    if (!(s->v[s->n] = vg_strdup(x))) return VG_ENOMEM;
    s->n++;
    return 0;
}

static void strset_free(struct strset *s)
{
    for (size_t i = 0; i < s->n; i++) vg_free(s->v[i]);
    vg_free(s->v);
    memset(s, 0, sizeof *s);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The set as a JSON array (vg_malloc'd), sorted. */
static char *strset_json(struct strset *s)
{
    if (s->n) qsort(s->v, s->n, sizeof *s->v, cmp_str);
    struct vg_buf b = VG_BUF_INIT;
    int rc = vg_buf_addc(&b, '[');
    for (size_t i = 0; !rc && i < s->n; i++) {
        if (i) rc = vg_buf_addc(&b, ',');
        if (!rc) rc = vg_buf_add_json_str(&b, s->v[i], strlen(s->v[i]));
    }
    if (!rc) rc = vg_buf_addc(&b, ']');
    if (!rc) rc = vg_buf_addc(&b, 0);
    if (rc) {
        vg_buf_release(&b);
        return NULL;
    }
    return b.data;
}

/* ---- recompute ---------------------------------------------------------------- */
struct ent {
    char name[VG_INC_ENTITY_MAX];
    int64_t last_ns;
    int strength;                  /* enum vg_entity_strength */
};

struct rule_conf {
    char rule[128];
    double c;
};

struct acc {
    const struct vg_respond_opts *o;
    struct vg_store *s;
    const char *tenant;
    int64_t nalerts, nevents, first, last;
    int severity;
    char top_title[256];
    int top_level;
    int64_t top_ts;
    struct strset tactics, techniques, hosts;
    struct ent *ents;
    size_t nents, capents;
    struct rule_conf *rc;
    size_t nrc, caprc;
    uint32_t *slots;               /* entity name hash -> index + 1 */
    int rc_err;
    struct vg_err *err;
};

/* Confidence that an alert of this record is a true positive: from the
 * rule's Sigma status, or an intel indicator's confidence. */
static double alert_conf(json_t *j)
{
    json_t *rule = json_object_get(j, "rule");
    json_t *tags = json_object_get(rule, "tags");
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t) {
        const char *s = json_string_value(t);
        if (s && !strncmp(s, "intel.confidence:", 17)) {
            int64_t c;
            if (vg_parse_i64(s + 17, strlen(s + 17), &c) == 0 && c >= 0 && c <= 100) return (double)c / 100.0 * 0.9;
        }
    }
    const char *st = json_string_value(json_object_get(rule, "status"));
    if (!st) return 0.4;
    if (!strcmp(st, "stable")) return 0.7;
    if (!strcmp(st, "test")) return 0.6;
    if (!strcmp(st, "experimental")) return 0.5;
    return 0.3;
}

/* Appends s (or n bytes of it) when it fits, else marks the buffer full. */
static void fput(char *out, size_t *len, const char *s, size_t n, bool *full)
{
    if (*full || *len + n + 1 >= VG__FACTS_MAX) { *full = true; return; }
    memcpy(out + *len, s, n);
    *len += n;
    out[*len] = 0;
}

static void flist(char *out, size_t *len, json_t *arr, const char *extra, bool *full)
{
    size_t i, k = 0;
    json_t *v;
    json_array_foreach(arr, i, v) {
        const char *x = json_string_value(v);
        if (!x || !*x || strpbrk(x, ",\n")) continue;
        if (k++) fput(out, len, ",", 1, full);
        fput(out, len, x, strlen(x), full);
    }
    if (extra) {
        if (k) fput(out, len, ",", 1, full);
        fput(out, len, extra, strlen(extra), full);
    }
    fput(out, len, "\n", 1, full);
}

void vg__rsp_facts(const struct vg_inc_alert *a, char out[VG__FACTS_MAX])
{
    size_t len = 0;
    bool full = false;
    out[0] = 0;
    json_t *j = a->json ? json_loadb(a->json, a->json_len, 0, NULL) : NULL;
    const char *extra = NULL, *k;
    json_t *v;
    /* an indicator hit on where a host connected to is command and control */
    if (j && a->rule_id && !strncmp(a->rule_id, "intel:", 6))
        json_object_foreach(json_object_get(j, "matched"), k, v)
            if (!strncmp(k, "destination.", 12) || !strncmp(k, "dns.", 4) || !strncmp(k, "url.", 4)) extra = "command_and_control";
    flist(out, &len, json_object_get(j, "tactics"), extra, &full);
    flist(out, &len, json_object_get(j, "techniques"), NULL, &full);
    char c[32];
    int cn = snprintf(c, sizeof c, "%.3f\n", j ? alert_conf(j) : 0.4);
    fput(out, &len, c, (size_t)cn, &full);
    if (full) { /* lists too long: keep the confidence line shape at least */
        snprintf(out, VG__FACTS_MAX, "\n\n%.3f\n", j ? alert_conf(j) : 0.4);
        json_decref(j);
        return;
    }
    char ents[8][VG_INC_ENTITY_MAX];
    size_t ne = vg__rsp_matched_entities(j, ents, 0, 8); /* the record's proc: and hash: entities */
    for (size_t i = 0; i < ne; i++) {
        size_t l0 = len;
        fput(out, &len, ents[i], strlen(ents[i]), &full);
        fput(out, &len, "\n", 1, &full);
        if (full) { out[l0] = 0; break; }
    }
    json_decref(j);
}

/* The n-th line of facts (without its newline). */
static const char *fline(const char *facts, int n, size_t *len)
{
    const char *p = facts;
    for (int i = 0; i < n && p; i++) {
        p = strchr(p, '\n');
        if (p) p++;
    }
    if (!p) { *len = 0; return ""; }
    const char *e = strchr(p, '\n');
    *len = e ? (size_t)(e - p) : strlen(p);
    return p;
}

size_t vg__rsp_row_entities(const struct vg_inc_alert *a, const char *facts, char (*out)[VG_INC_ENTITY_MAX], size_t max)
{
    struct vg_inc_alert cols = *a;
    cols.json = NULL;
    cols.json_len = 0;
    size_t n = vg_alert_entities(&cols, out, max);
    const char *p = facts;
    for (int i = 0; i < 3 && p; i++) {
        p = strchr(p, '\n');
        if (p) p++;
    }
    while (p && *p && n < max) {
        const char *e = strchr(p, '\n');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l && l < VG_INC_ENTITY_MAX) {
            bool dup = false;
            for (size_t i = 0; i < n && !dup; i++) dup = strlen(out[i]) == l && !memcmp(out[i], p, l);
            if (!dup) {
                memcpy(out[n], p, l);
                out[n++][l] = 0;
            }
        }
        p = e ? e + 1 : NULL;
    }
    return n;
}

/* Adds each name of a comma-separated list to the set. */
static int strset_add_list(struct strset *s, const char *p, size_t len)
{
    int rc = 0;
    while (len && !rc) {
        const char *c = memchr(p, ',', len);
        size_t l = c ? (size_t)(c - p) : len;
        if (l && l < 128) {
            char w[128];
            memcpy(w, p, l);
            w[l] = 0;
            rc = strset_add(s, w);
        }
        if (!c) break;
        len -= l + 1;
        p = c + 1;
    }
    return rc;
}

static uint64_t name_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static int ent_add(struct acc *a, const char *name, int64_t last)
{
    enum { SLOTS = 8192 }; /* > 2 * 4096 entities */
    if (!a->slots && !(a->slots = vg_calloc(SLOTS, sizeof *a->slots))) return VG_ENOMEM;
    size_t k = (size_t)name_hash(name) & (SLOTS - 1);
    while (a->slots[k]) {
        struct ent *e = &a->ents[a->slots[k] - 1];
        if (!strcmp(e->name, name)) {
            if (last > e->last_ns) e->last_ns = last;
            return 0;
        }
        k = (k + 1) & (SLOTS - 1);
    }
    if (a->nents == 4096) return 0; /* bounded */
    if (a->nents == a->capents) {
        size_t nc = a->capents ? a->capents * 2 : 32;
        struct ent *nv = vg_realloc(a->ents, nc * sizeof *nv);
        if (!nv) return VG_ENOMEM;
        a->ents = nv;
        a->capents = nc;
    }
    struct ent *e = &a->ents[a->nents++];
    snprintf(e->name, sizeof e->name, "%.*s", (int)sizeof e->name - 1, name);
    e->last_ns = last;
    e->strength = -1; /* decided after the scan */
    a->slots[k] = (uint32_t)a->nents;
    return 0;
}

static int acc_alert(void *ctx, const struct vg_inc_alert *x)
{
    struct acc *a = ctx;
    int rc = 0;
    a->nalerts++;
    a->nevents += x->count;
    if (!a->first || x->first_ns < a->first) a->first = x->first_ns;
    if (x->last_ns > a->last) a->last = x->last_ns;
    if (x->level > a->severity) a->severity = x->level;
    if (x->level > a->top_level || (x->level == a->top_level && x->ts < a->top_ts) || !a->top_title[0]) {
        a->top_level = x->level;
        a->top_ts = x->ts;
        snprintf(a->top_title, sizeof a->top_title, "%s", x->title ? x->title : x->rule_id);
    }
    char own[VG__FACTS_MAX];
    const char *facts = x->facts;
    if (!facts) { /* rows grouped before facts existed, or moved without them */
        vg__rsp_facts(x, own);
        facts = own;
    }
    char ents[8][VG_INC_ENTITY_MAX];
    size_t ne = vg__rsp_row_entities(x, facts, ents, 8);
    for (size_t i = 0; !rc && i < ne; i++) {
        rc = ent_add(a, ents[i], x->last_ns);
        if (!rc && !strncmp(ents[i], "host:", 5)) rc = strset_add(&a->hosts, ents[i] + 5);
    }
    size_t l;
    const char *p = fline(facts, 0, &l);
    if (!rc) rc = strset_add_list(&a->tactics, p, l);
    p = fline(facts, 1, &l);
    if (!rc) rc = strset_add_list(&a->techniques, p, l);
    p = fline(facts, 2, &l);
    double c = l ? strtod(p, NULL) : 0.4;
    if (!(c >= 0 && c <= 1)) c = 0.4;
    size_t k;
    for (k = 0; k < a->nrc; k++)
        if (!strncmp(a->rc[k].rule, x->rule_id, sizeof a->rc[k].rule - 1)) break;
    if (!rc && k == a->nrc && a->nrc < 256) {
        if (a->nrc == a->caprc) {
            size_t nc = a->caprc ? a->caprc * 2 : 16;
            struct rule_conf *nv = vg_realloc(a->rc, nc * sizeof *nv);
            if (!nv) rc = VG_ENOMEM;
            else { a->rc = nv; a->caprc = nc; }
        }
        if (!rc) {
            snprintf(a->rc[a->nrc].rule, sizeof a->rc[a->nrc].rule, "%s", x->rule_id);
            a->rc[a->nrc++].c = c;
        }
    } else if (k < a->nrc && c > a->rc[k].c) {
        a->rc[k].c = c;
    }
    if (rc) a->rc_err = rc;
    return rc ? 1 : 0;
}

static void acc_release(struct acc *a)
{
    strset_free(&a->tactics);
    strset_free(&a->techniques);
    strset_free(&a->hosts);
    vg_free(a->ents);
    vg_free(a->rc);
    vg_free(a->slots);
}

int vg__rsp_entity_risk(struct vg_store *s, const char *tenant, const char *entity, int64_t end,
                        const struct vg_respond_opts *o, double *base, double *risk, char *crit, size_t critsz,
                        struct vg_err *err)
{
    *base = *risk = 0;
    if (critsz) crit[0] = 0;
    /* per-hour score counts (entity_stats): the window is whole UTC hours */
    enum { MAX_SCORES = 1000 }; /* beyond, each adds less than 100/1000^1.5 = 0.003 */
    int *sv = vg_malloc(MAX_SCORES * sizeof *sv);
    if (!sv) return vg_err_set(err, VG_ENOMEM, "out of memory");
    int64_t hour = end / HOUR_NS, hours = o->risk_window_ns / HOUR_NS;
    size_t ns = 0;
    int rc = s->ops->inc_entity_scores(s, tenant, entity, hour - (hours > 0 ? hours - 1 : 0), sv, MAX_SCORES, &ns, err);
    if (rc == 0) {
        *base = vg_risk_score(sv, ns);
        double m = 1.0;
        if (!strncmp(entity, "host:", 5) || !strncmp(entity, "user:", 5)) {
            char lv[16];
            int cr = s->ops->crit_get(s, tenant, entity, lv, sizeof lv, err);
            if (cr == 0) {
                m = vg_risk_crit_modifier(lv);
                if (critsz) snprintf(crit, critsz, "%s", lv);
            } else if (cr != VG_ENOENT) {
                rc = cr;
            }
        }
        *risk = vg_risk_apply_modifier(*base, m);
    }
    vg_free(sv);
    return rc;
}

static int crit_rank(const char *c)
{
    if (!c || !*c) return 0;
    if (!strcmp(c, "low")) return 1;
    if (!strcmp(c, "medium")) return 2;
    if (!strcmp(c, "high")) return 3;
    if (!strcmp(c, "critical")) return 4;
    return 0;
}

/* Entity strength with the hub count over the last 24 hours of `at`. */
int vg__rsp_strength(struct vg_store *s, const char *tenant, const char *entity, int64_t at,
                     const struct vg_respond_opts *o, struct vg_err *err)
{
    if (vg_entity_static_weak(entity)) return VG_ENTITY_WEAK_STATIC;
    int64_t hour = at / HOUR_NS;
    uint64_t total = 0;
    int rc = s->ops->inc_entity_bump(s, tenant, entity, hour, 0, 0, hour - 23, &total, err);
    if (rc) return rc;
    return (int)vg_entity_strength(entity, total, o->hub_alerts);
}

static int cmp_ent_recent(const void *x, const void *y)
{
    int64_t a = ((const struct ent *)x)->last_ns, b = ((const struct ent *)y)->last_ns;
    return (a < b) - (a > b);
}

static int ent_json(struct vg_buf *b, const struct ent *e)
{
    const char *c = strchr(e->name, ':');
    int rc = vg_buf_adds(b, "{\"type\":");
    if (!rc) rc = vg_buf_add_json_str(b, e->name, c ? (size_t)(c - e->name) : 0);
    if (!rc) rc = vg_buf_adds(b, ",\"value\":");
    if (!rc) rc = vg_buf_add_json_str(b, c ? c + 1 : e->name, strlen(c ? c + 1 : e->name));
    if (!rc) rc = vg_buf_addf(b, ",\"link\":\"%s\"}", e->strength == VG_ENTITY_STRONG ? "strong"
                                                      : e->strength == VG_ENTITY_WEAK_HUB ? "weak:common" : "weak:generic");
    return rc;
}

/* ---- the round's memo ---------------------------------------------------------- */
#define MEMO_SLOTS 4096 /* power of two; at most half used */
struct memo_ent {
    uint64_t h;
    int64_t hour;
    char tenant[64];
    char entity[VG_INC_ENTITY_MAX];
    int strength;                  /* -1 unknown */
    bool has_risk;
    double base, risk;
    char crit[16];
};

struct vg__rsp_memo {
    struct memo_ent *v;            /* MEMO_SLOTS; entity[0] == 0: free */
    size_t used;
};

struct vg__rsp_memo *vg__rsp_memo_new(void)
{
    struct vg__rsp_memo *m = vg_calloc(1, sizeof *m);
    if (m && !(m->v = vg_calloc(MEMO_SLOTS, sizeof *m->v))) {
        vg_free(m);
        m = NULL;
    }
    return m;
}

void vg__rsp_memo_free(struct vg__rsp_memo *m)
{
    if (!m) return;
    vg_free(m->v);
    vg_free(m);
}

/* The entry of (tenant, entity, hour), created empty when there is room;
 * NULL when m is NULL, full, or the names do not fit. */
static struct memo_ent *memo_at(struct vg__rsp_memo *m, const char *tenant, const char *entity, int64_t hour)
{
    if (!m || strlen(entity) >= VG_INC_ENTITY_MAX || strlen(tenant) >= 64) return NULL;
    uint64_t h = (name_hash(entity) ^ (name_hash(tenant) * 31)) + (uint64_t)hour * 0x9e3779b97f4a7c15ULL;
    size_t k = (size_t)(h ^ (h >> 29)) & (MEMO_SLOTS - 1);
    while (m->v[k].entity[0]) {
        struct memo_ent *e = &m->v[k];
        if (e->h == h && e->hour == hour && !strcmp(e->entity, entity) && !strcmp(e->tenant, tenant)) return e;
        k = (k + 1) & (MEMO_SLOTS - 1);
    }
    if (m->used >= MEMO_SLOTS / 2) return NULL;
    struct memo_ent *e = &m->v[k];
    e->h = h;
    e->hour = hour;
    snprintf(e->tenant, sizeof e->tenant, "%s", tenant);
    snprintf(e->entity, sizeof e->entity, "%s", entity);
    e->strength = -1;
    m->used++;
    return e;
}

int vg__rsp_recompute(struct vg_store *s, const char *tenant, const char *id, const struct vg_respond_opts *o,
                      int64_t now, int lock, const char *status, struct vg_err *err)
{
    return vg__rsp_recompute_memo(s, tenant, id, o, now, lock, status, NULL, err);
}

int vg__rsp_recompute_memo(struct vg_store *s, const char *tenant, const char *id, const struct vg_respond_opts *o,
                           int64_t now, int lock, const char *status, struct vg__rsp_memo *m, struct vg_err *err)
{
    struct vg_incident inc;
    int rc = s->ops->inc_get(s, tenant, id, &inc, err);
    if (rc) return rc;
    struct acc a = {.o = o, .s = s, .tenant = tenant, .top_level = -1, .err = err};
    struct vg_buf eb = VG_BUF_INIT;
    struct vg_inc_entity *links = NULL;
    rc = s->ops->inc_alerts_of(s, tenant, id, 10000, acc_alert, &a, err);
    if (rc == 1) rc = vg_err_set(err, a.rc_err ? a.rc_err : VG_ENOMEM, "out of memory");
    if (rc) goto out;
    if (status) snprintf(inc.status, sizeof inc.status, "%s", status);
    if (lock >= 0) inc.locked = lock != 0;
    inc.updated_ns = now;
    inc.nalerts = a.nalerts;
    inc.nevents = a.nevents;
    if (a.nalerts) {
        inc.first_ns = a.first;
        inc.last_ns = a.last;
        inc.severity = a.severity;
    }
    /* entities: strength, risk of the strong ones, criticality */
    double risk = 0;
    int crank = 0;
    char crit[16] = "";
    size_t nlinks = 0;
    if (a.nents && !(links = vg_calloc(a.nents, sizeof *links))) { rc = vg_err_set(err, VG_ENOMEM, "out of memory"); goto out; }
    /* the most recently seen entities first; an incident keeps MAX_INC_ENTITIES */
    if (a.nents > 1) qsort(a.ents, a.nents, sizeof *a.ents, cmp_ent_recent);
    if (a.nents > MAX_INC_ENTITIES) a.nents = MAX_INC_ENTITIES;
    size_t nrisk = 0;
    rc = vg_buf_addc(&eb, '[');
    for (size_t i = 0; !rc && i < a.nents; i++) {
        struct ent *e = &a.ents[i];
        int64_t at = inc.last_ns ? inc.last_ns : now;
        struct memo_ent *me = memo_at(m, tenant, e->name, at / HOUR_NS);
        int st = me && me->strength >= 0 ? me->strength : vg__rsp_strength(s, tenant, e->name, at, o, err);
        if (st < 0) { rc = st; break; }
        if (me) me->strength = st;
        e->strength = st;
        if (i) rc = vg_buf_addc(&eb, ',');
        if (!rc) rc = ent_json(&eb, e);
        if (rc || st != VG_ENTITY_STRONG) continue;
        links[nlinks].entity = e->name;
        links[nlinks++].last_ns = e->last_ns;
        if (strncmp(e->name, "host:", 5) && strncmp(e->name, "user:", 5) && strncmp(e->name, "ip:", 3)) continue;
        if (nrisk++ == MAX_RISK_ENTITIES) continue; /* the risk of the most recent ones */
        double base, r;
        char c[16];
        if (me && me->has_risk) {
            r = me->risk;
            snprintf(c, sizeof c, "%s", me->crit);
        } else {
            if ((rc = vg__rsp_entity_risk(s, tenant, e->name, at, o, &base, &r, c, sizeof c, err))) break;
            if (me) {
                me->has_risk = true;
                me->base = base;
                me->risk = r;
                snprintf(me->crit, sizeof me->crit, "%s", c);
            }
        }
        if (r > risk) risk = r;
        if (crit_rank(c) > crank) {
            crank = crit_rank(c);
            snprintf(crit, sizeof crit, "%s", c);
        }
    }
    if (!rc) rc = vg_buf_addc(&eb, ']');
    if (!rc) rc = vg_buf_addc(&eb, 0);
    if (rc) {
        if (rc == VG_ENOMEM || rc == VG_ETOOBIG) rc = vg_err_set(err, rc, "incident entities: %s", vg_strerror(rc));
        goto out;
    }
    double miss = 1.0;
    for (size_t i = 0; i < a.nrc; i++) miss *= 1.0 - a.rc[i].c;
    double conf = 1.0 - miss;
    if (conf > 0.99) conf = 0.99;
    inc.risk = risk;
    inc.confidence = a.nrc ? conf : 0;
    snprintf(inc.criticality, sizeof inc.criticality, "%s", crit);
    inc.priority = a.nalerts ? vg_incident_priority(inc.severity, risk, a.tactics.n, inc.confidence, crit) : 0;
    const char *raised = "";
    if (a.nalerts && inc.severity >= o->raise_level) raised = "severity";
    else if (a.nalerts && risk >= o->risk_threshold) raised = "risk";
    else if (a.nalerts && a.tactics.n >= 3) raised = "tactics";
    snprintf(inc.raised, sizeof inc.raised, "%s", raised);
    if (a.nalerts) {
        if (a.hosts.n) qsort(a.hosts.v, a.hosts.n, sizeof *a.hosts.v, cmp_str);
        char hosts[160] = "";
        size_t hl = 0;
        for (size_t i = 0; i < a.hosts.n && i < 3; i++) {
            int w = snprintf(hosts + hl, sizeof hosts - hl, "%s%s", i ? ", " : "", a.hosts.v[i]);
            if (w < 0 || (size_t)w >= sizeof hosts - hl) break;
            hl += (size_t)w;
        }
        if (a.hosts.n > 3 && hl < sizeof hosts) snprintf(hosts + hl, sizeof hosts - hl, " +%zu", a.hosts.n - 3);
        struct vg_buf t = VG_BUF_INIT;
        int tr = hosts[0] ? vg_buf_addf(&t, "%s on %s", a.top_title, hosts) : vg_buf_adds(&t, a.top_title);
        snprintf(inc.title, sizeof inc.title, "%.*s", tr ? 0 : (int)(t.len < sizeof inc.title ? t.len : sizeof inc.title - 1),
                 t.data ? t.data : "");
        vg_buf_release(&t);
    }
    vg_free(inc.tactics);
    vg_free(inc.techniques);
    vg_free(inc.entities);
    inc.tactics = strset_json(&a.tactics);
    inc.techniques = strset_json(&a.techniques);
    inc.entities = eb.data;
    eb.data = NULL;
    if (!inc.tactics || !inc.techniques || !inc.entities) { rc = vg_err_set(err, VG_ENOMEM, "out of memory"); goto out; }
    bool closed = !strcmp(inc.status, "closed") || !strcmp(inc.status, "merged");
    rc = s->ops->inc_put(s, &inc, links, closed ? 0 : nlinks, err);
out:
    vg_free(links);
    vg_buf_release(&eb);
    acc_release(&a);
    vg_incident_release(&inc);
    return rc;
}

/* ---- merge, split, status, suppress ------------------------------------------- */
int vg__rsp_merge_into(struct vg_store *s, const char *tenant, const char *into, const char *from, int64_t now,
                       struct vg_err *err)
{
    size_t moved = 0;
    int rc = s->ops->inc_move(s, tenant, from, into, NULL, 0, &moved, err);
    if (rc) return rc;
    struct vg_incident f;
    if ((rc = s->ops->inc_get(s, tenant, from, &f, err))) return rc;
    snprintf(f.status, sizeof f.status, "merged");
    snprintf(f.merged_into, sizeof f.merged_into, "%s", into);
    f.raised[0] = 0;
    f.nalerts = f.nevents = 0;
    f.priority = 0;
    f.updated_ns = now;
    rc = s->ops->inc_put(s, &f, NULL, 0, err);
    vg_incident_release(&f);
    return rc;
}

/* Runs op inside one transaction (rollback on failure). */
#define IN_TX(s, err, body)                                                                                            \
    do {                                                                                                               \
        int rc_ = vg__rsp_tx(s, VG_STORE_TX_BEGIN, err);                                                               \
        if (rc_) return rc_;                                                                                           \
        rc_ = (body);                                                                                                  \
        if (rc_ == 0) rc_ = vg__rsp_tx(s, VG_STORE_TX_COMMIT, err);                                                    \
        if (rc_) vg__rsp_tx(s, VG_STORE_TX_ROLLBACK, NULL);                                                            \
        return rc_;                                                                                                    \
    } while (0)

static bool open_status(const char *st) { return strcmp(st, "merged") != 0; }

static int merge_body(struct vg_store *s, const char *tenant, const char *into, const char *from,
                      const struct vg_respond_opts *o, struct vg_err *err)
{
    if (!into || !from || !*into || !*from) return vg_err_set(err, VG_EINVAL, "merge needs two incident ids");
    if (!strcmp(into, from)) return vg_err_set(err, VG_EINVAL, "cannot merge an incident into itself");
    struct vg_incident a, b;
    int rc = s->ops->inc_get(s, tenant, into, &a, err);
    if (rc) return rc;
    bool ok = open_status(a.status);
    vg_incident_release(&a);
    if (!ok) return vg_err_set(err, VG_EINVAL, "incident %s was merged into %s", into, a.merged_into);
    if ((rc = s->ops->inc_get(s, tenant, from, &b, err))) return rc;
    ok = open_status(b.status);
    vg_incident_release(&b);
    if (!ok) return vg_err_set(err, VG_EINVAL, "incident %s was already merged", from);
    int64_t now = vg_now_ns();
    if ((rc = vg__rsp_merge_into(s, tenant, into, from, now, err))) return rc;
    return vg__rsp_recompute(s, tenant, into, o, now, 1, NULL, err);
}

int vg_incident_merge(struct vg_store *s, const char *tenant, const char *into, const char *from,
                      const struct vg_respond_opts *o, struct vg_err *err)
{
    struct vg_respond_opts d = o ? *o : (struct vg_respond_opts){0};
    vg_respond_opts_defaults(&d);
    tenant = tenant_of(tenant);
    IN_TX(s, err, merge_body(s, tenant, into, from, &d, err));
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int vg__rsp_parse_id(const char *hex, uint8_t out[16])
{
    if (!hex || strlen(hex) != 32) return VG_EINVAL;
    for (int i = 0; i < 16; i++) {
        int h = hexval(hex[2 * i]), l = hexval(hex[2 * i + 1]);
        if (h < 0 || l < 0) return VG_EINVAL;
        out[i] = (uint8_t)(h << 4 | l);
    }
    return 0;
}

void vg__rsp_new_id(char out[VG_INC_ID_MAX], const uint8_t *seed, size_t n)
{
    uint8_t h[6];
    if (seed) crypto_generichash(h, sizeof h, seed, n, (const unsigned char *)"vigil-incident", 14);
    else randombytes_buf(h, sizeof h);
    char hex[13];
    vg_hex(h, sizeof h, hex);
    snprintf(out, VG_INC_ID_MAX, "INC-%s", hex);
}

int vg__rsp_create(struct vg_store *s, const char *tenant, const char *id, bool locked, int64_t now, struct vg_err *err)
{
    struct vg_incident n;
    memset(&n, 0, sizeof n);
    snprintf(n.id, sizeof n.id, "%s", id);
    snprintf(n.tenant, sizeof n.tenant, "%s", tenant);
    snprintf(n.title, sizeof n.title, "new incident");
    snprintf(n.status, sizeof n.status, "new");
    n.created_ns = n.updated_ns = now;
    n.locked = locked;
    return s->ops->inc_put(s, &n, NULL, 0, err);
}

static int split_body(struct vg_store *s, const char *tenant, const char *id, const char *const *alert_ids, size_t n,
                      char new_id[VG_INC_ID_MAX], const struct vg_respond_opts *o, struct vg_err *err)
{
    if (!n || n > 10000) return vg_err_set(err, VG_EINVAL, "split needs 1 to 10000 alert ids");
    uint8_t(*ids)[16] = vg_calloc(n, sizeof *ids);
    if (!ids) return vg_err_set(err, VG_ENOMEM, "out of memory");
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++)
        if (vg__rsp_parse_id(alert_ids[i], ids[i])) rc = vg_err_set(err, VG_EINVAL, "'%s' is not an alert id (32 hex digits)", alert_ids[i]);
    struct vg_incident cur;
    if (!rc && (rc = s->ops->inc_get(s, tenant, id, &cur, err)) == 0) {
        bool ok = open_status(cur.status);
        vg_incident_release(&cur);
        if (!ok) rc = vg_err_set(err, VG_EINVAL, "incident %s was merged", id);
    }
    int64_t now = vg_now_ns();
    size_t moved = 0;
    if (!rc) {
        vg__rsp_new_id(new_id, NULL, 0);
        rc = vg__rsp_create(s, tenant, new_id, true, now, err);
    }
    if (!rc) rc = s->ops->inc_move(s, tenant, id, new_id, (const uint8_t(*)[16])ids, n, &moved, err);
    if (!rc && moved != n) rc = vg_err_set(err, VG_ENOENT, "%zu of the %zu alerts are not in incident %s", n - moved, n, id);
    if (!rc) rc = vg__rsp_recompute(s, tenant, id, o, now, 1, NULL, err);
    if (!rc) rc = vg__rsp_recompute(s, tenant, new_id, o, now, 1, NULL, err);
    vg_free(ids);
    return rc;
}

int vg_incident_split(struct vg_store *s, const char *tenant, const char *id, const char *const *alert_ids, size_t n,
                      char new_id[VG_INC_ID_MAX], const struct vg_respond_opts *o, struct vg_err *err)
{
    struct vg_respond_opts d = o ? *o : (struct vg_respond_opts){0};
    vg_respond_opts_defaults(&d);
    tenant = tenant_of(tenant);
    new_id[0] = 0;
    IN_TX(s, err, split_body(s, tenant, id, alert_ids, n, new_id, &d, err));
}

static int status_body(struct vg_store *s, const char *tenant, const char *id, const char *status, struct vg_err *err)
{
    if (!status || (strcmp(status, "new") && strcmp(status, "in_progress") && strcmp(status, "closed")))
        return vg_err_set(err, VG_EINVAL, "status must be new, in_progress or closed");
    struct vg_incident cur;
    int rc = s->ops->inc_get(s, tenant, id, &cur, err);
    if (rc) return rc;
    bool ok = open_status(cur.status);
    vg_incident_release(&cur);
    if (!ok) return vg_err_set(err, VG_EINVAL, "incident %s was merged", id);
    struct vg_respond_opts d = {0};
    vg_respond_opts_defaults(&d);
    return vg__rsp_recompute(s, tenant, id, &d, vg_now_ns(), -1, status, err);
}

int vg_incident_set_status(struct vg_store *s, const char *tenant, const char *id, const char *status,
                           struct vg_err *err)
{
    tenant = tenant_of(tenant);
    IN_TX(s, err, status_body(s, tenant, id, status, err));
}

/* Lower-cases host and hash values so they compare like alert entities. */
static void norm_entity(char *e)
{
    if (strncmp(e, "host:", 5) && strncmp(e, "hash:", 5) && strncmp(e, "ip:", 3)) return;
    for (char *p = strchr(e, ':'); p && *p; p++)
        if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
}

int vg_suppress(struct vg_store *s, const char *tenant, const char *rule, const char *entity, int64_t for_ns,
                const char *by, const char *reason, int64_t *id, struct vg_err *err)
{
    if (!s->ops->sup_add) return vg_err_set(err, VG_EUNSUP, "this store keeps no suppressions");
    if (!rule || !*rule || strlen(rule) >= 256) return vg_err_set(err, VG_EINVAL, "a suppression needs a rule id");
    if (!entity || !*entity || strlen(entity) >= VG_INC_ENTITY_MAX)
        return vg_err_set(err, VG_EINVAL, "a suppression needs an entity (host:NAME, user:NAME, ip:ADDR, or *)");
    if (strcmp(entity, "*") && strncmp(entity, "host:", 5) && strncmp(entity, "user:", 5) && strncmp(entity, "ip:", 3) &&
        strncmp(entity, "proc:", 5) && strncmp(entity, "hash:", 5))
        return vg_err_set(err, VG_EINVAL, "entity '%s' must be host:, user:, ip:, proc:, hash: or *", entity);
    if (for_ns <= 0 || for_ns > 366LL * 86400 * 1000000000LL)
        return vg_err_set(err, VG_EINVAL, "a suppression lasts from 1 s to 366 days");
    struct vg_suppression sp;
    memset(&sp, 0, sizeof sp);
    snprintf(sp.tenant, sizeof sp.tenant, "%s", tenant_of(tenant));
    snprintf(sp.rule_id, sizeof sp.rule_id, "%s", rule);
    snprintf(sp.entity, sizeof sp.entity, "%s", entity);
    norm_entity(sp.entity);
    sp.created_ns = vg_now_ns();
    sp.expires_ns = sp.created_ns + for_ns;
    snprintf(sp.created_by, sizeof sp.created_by, "%s", by ? by : "");
    snprintf(sp.reason, sizeof sp.reason, "%s", reason ? reason : "");
    return s->ops->sup_add(s, &sp, id, err);
}

bool vg__rsp_suppressed(const struct vg_suppression *sp, size_t nsp, const char *rule, int64_t now,
                        char (*ents)[VG_INC_ENTITY_MAX], size_t nents)
{
    for (size_t i = 0; i < nsp; i++) {
        const struct vg_suppression *p = &sp[i];
        if (now >= p->expires_ns) continue;
        if (strcmp(p->rule_id, "*") && strcmp(p->rule_id, rule)) continue;
        if (!strcmp(p->entity, "*")) return true;
        for (size_t k = 0; k < nents; k++)
            if (!strcmp(p->entity, ents[k])) return true;
    }
    return false;
}
