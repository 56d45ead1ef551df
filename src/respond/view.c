/* JSON views of incidents, risk and suppressions (include/vigil/respond.h,
 * formats in docs/internals/incidents.md), shared by the API handlers and
 * `vigil incidents` in local mode so both print the same records. */
#include "internal.h"
#include <jansson.h>

static int jtime(struct vg_buf *b, const char *key, int64_t ns)
{
    char t[48];
    if (!ns) return vg_buf_addf(b, ",\"%s\":null", key);
    vg_time_format(ns, t, sizeof t, 9);
    return vg_buf_addf(b, ",\"%s\":\"%s\"", key, t);
}

static int jkv(struct vg_buf *b, const char *key, const char *v)
{
    int rc = vg_buf_addf(b, ",\"%s\":", key);
    return rc ? rc : v ? vg_buf_add_json_str(b, v, strlen(v)) : vg_buf_adds(b, "null");
}

int vg_incident_to_json(const struct vg_incident *i, struct vg_buf *b)
{
    int rc = vg_buf_adds(b, "{\"id\":");
    if (!rc) rc = vg_buf_add_json_str(b, i->id, strlen(i->id));
    if (!rc) rc = jkv(b, "tenant", i->tenant);
    if (!rc) rc = jkv(b, "title", i->title);
    if (!rc) rc = jkv(b, "status", i->status);
    if (!rc) rc = jkv(b, "raised", i->raised[0] ? i->raised : NULL);
    if (!rc) rc = vg_buf_addf(b, ",\"priority\":%.1f,\"severity\":\"%s\",\"risk\":%.1f,\"confidence\":%.2f", i->priority,
                              vg_alert_level_name(i->severity), i->risk, i->confidence);
    if (!rc) rc = jkv(b, "criticality", i->criticality[0] ? i->criticality : NULL);
    if (!rc) rc = vg_buf_addf(b, ",\"alerts\":%lld,\"events\":%lld", (long long)i->nalerts, (long long)i->nevents);
    if (!rc) rc = jtime(b, "first_seen", i->first_ns);
    if (!rc) rc = jtime(b, "last_seen", i->last_ns);
    if (!rc) rc = jtime(b, "created", i->created_ns);
    if (!rc) rc = jtime(b, "updated", i->updated_ns);
    if (!rc) rc = vg_buf_addf(b, ",\"locked\":%s", i->locked ? "true" : "false");
    if (!rc) rc = jkv(b, "merged_into", i->merged_into[0] ? i->merged_into : NULL);
    if (!rc) rc = vg_buf_addf(b, ",\"tactics\":%s,\"techniques\":%s,\"entities\":%s}", i->tactics ? i->tactics : "[]",
                              i->techniques ? i->techniques : "[]", i->entities ? i->entities : "[]");
    return rc;
}

struct list_ctx {
    struct vg_buf *out;
    size_t n;
    int rc;
};

static int list_one(void *ctx, const struct vg_incident *i)
{
    struct list_ctx *c = ctx;
    c->rc = vg_buf_adds(c->out, c->n ? "," : "");
    if (!c->rc) c->rc = vg_incident_to_json(i, c->out);
    c->n++;
    return c->rc ? 1 : 0;
}

int vg_incident_list_json(struct vg_store *s, const struct vg_inc_query *q, struct vg_buf *out, struct vg_err *err)
{
    if (!s->ops->inc_list) return vg_err_set(err, VG_EUNSUP, "this store keeps no incidents");
    struct list_ctx c = {out, 0, 0};
    int rc = vg_buf_adds(out, "{\"incidents\":[");
    if (!rc) rc = s->ops->inc_list(s, q, list_one, &c, err);
    if (rc == 1) rc = vg_err_set(err, c.rc, "cannot build the answer: %s", vg_strerror(c.rc));
    if (!rc) rc = vg_buf_addf(out, "],\"count\":%zu}", c.n);
    return rc;
}

/* One timeline entry: the alert row with its key event fields. */
static int timeline_one(void *ctx, const struct vg_inc_alert *a)
{
    struct list_ctx *c = ctx;
    json_t *j = json_loadb(a->json, a->json_len, 0, NULL);
    json_t *o = json_object();
    char id[33], t0[48], t1[48];
    vg_hex(a->id, 16, id);
    vg_time_format(a->first_ns, t0, sizeof t0, 9);
    vg_time_format(a->last_ns, t1, sizeof t1, 9);
    json_object_set_new(o, "time", json_string(t0));
    json_object_set_new(o, "last_seen", json_string(t1));
    json_object_set_new(o, "alert_id", json_string(id));
    json_object_set_new(o, "count", json_integer(a->count));
    json_object_set_new(o, "level", json_string(vg_alert_level_name(a->level)));
    json_object_set_new(o, "title", json_string(a->title ? a->title : a->rule_id));
    json_object_set_new(o, "rule_id", json_string(a->rule_id));
    json_object_set_new(o, "risk_score", json_integer(a->risk > 0 ? a->risk : vg_alert_level_risk(a->level)));
    json_object_set_new(o, "host.name", a->host ? json_string(a->host) : json_null());
    json_object_set_new(o, "user.name", a->user ? json_string(a->user) : json_null());
    json_object_set_new(o, "source.ip", a->source_ip ? json_string(a->source_ip) : json_null());
    static const char *const copy[] = {"tactics", "techniques", "matched", "event", "author"};
    for (size_t i = 0; j && i < VG_ARRAY_LEN(copy); i++) {
        json_t *v = json_object_get(j, copy[i]);
        if (v) json_object_set(o, copy[i], v);
    }
    char *txt = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    json_decref(j);
    if (!txt) {
        c->rc = VG_ENOMEM;
        return 1;
    }
    c->rc = vg_buf_adds(c->out, c->n ? "," : "");
    if (!c->rc) c->rc = vg_buf_adds(c->out, txt);
    free(txt); /* jansson's allocation */
    c->n++;
    return c->rc ? 1 : 0;
}

int vg_incident_show_json(struct vg_store *s, const char *tenant, const char *id, struct vg_buf *out,
                          struct vg_err *err)
{
    if (!s->ops->inc_get) return vg_err_set(err, VG_EUNSUP, "this store keeps no incidents");
    struct vg_incident inc;
    int rc = s->ops->inc_get(s, tenant, id, &inc, err);
    if (rc) return rc;
    size_t mark = out->len;
    rc = vg_incident_to_json(&inc, out);
    vg_incident_release(&inc);
    if (rc) return vg_err_set(err, rc, "cannot build the answer");
    out->len = mark + (out->len - mark - 1); /* reopen the object */
    struct list_ctx c = {out, 0, 0};
    rc = vg_buf_adds(out, ",\"timeline\":[");
    if (!rc) rc = s->ops->inc_alerts_of(s, tenant, id, 10000, timeline_one, &c, err);
    if (rc == 1) rc = vg_err_set(err, c.rc, "cannot build the answer: %s", vg_strerror(c.rc));
    if (!rc) rc = vg_buf_adds(out, "]}");
    return rc;
}

/* ---- risk by entity ----------------------------------------------------------- */
struct erow {
    char entity[VG_INC_ENTITY_MAX];
    int score;
    char tactics[160];
};

struct ecoll {
    struct erow *v;
    size_t n, cap;
    int rc;
};

static int risk_row(void *ctx, const struct vg_inc_alert *a)
{
    struct ecoll *c = ctx;
    char tac[160] = "";
    json_t *j = json_loadb(a->json, a->json_len, 0, NULL);
    size_t i, tl = 0;
    json_t *v;
    json_array_foreach(json_object_get(j, "tactics"), i, v) {
        const char *s = json_string_value(v);
        int w = s ? snprintf(tac + tl, sizeof tac - tl, "%s%s", tl ? "," : "", s) : 0;
        if (w > 0 && (size_t)w < sizeof tac - tl) tl += (size_t)w;
    }
    json_decref(j);
    const char *ents[3][2] = {{"host", a->host}, {"user", a->user}, {"ip", a->source_ip}};
    for (int k = 0; k < 3; k++) {
        if (!ents[k][1] || !*ents[k][1]) continue;
        if (c->n == c->cap) {
            if (c->cap >= 300000) return 1; /* bounded */
            size_t nc = c->cap ? c->cap * 2 : 256;
            struct erow *nv = vg_realloc(c->v, nc * sizeof *nv);
            if (!nv) { c->rc = VG_ENOMEM; return 1; }
            c->v = nv;
            c->cap = nc;
        }
        struct erow *e = &c->v[c->n];
        int w = snprintf(e->entity, sizeof e->entity, "%s:%s", ents[k][0], ents[k][1]);
        if (w <= 0 || (size_t)w >= sizeof e->entity) continue;
        if (k == 0) /* hosts compare case-insensitively, as in incidents */
            for (char *p = e->entity; *p; p++) if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
        if (vg_entity_static_weak(e->entity)) continue;
        e->score = a->risk > 0 ? a->risk : vg_alert_level_risk(a->level);
        snprintf(e->tactics, sizeof e->tactics, "%s", tac);
        c->n++;
    }
    return 0;
}

static int cmp_entity(const void *a, const void *b) { return strcmp(((const struct erow *)a)->entity, ((const struct erow *)b)->entity); }

struct eres {
    const char *entity;
    double base, risk;
    char crit[16];
    size_t alerts;
    char tactics[512];
};

static int cmp_risk(const void *a, const void *b)
{
    double x = ((const struct eres *)a)->risk, y = ((const struct eres *)b)->risk;
    return (x < y) - (x > y);
}

int vg_risk_list_json(struct vg_store *s, const char *tenant, int64_t now, const struct vg_respond_opts *o, size_t limit,
                      struct vg_buf *out, struct vg_err *err)
{
    if (!s->ops->inc_alerts_window) return vg_err_set(err, VG_EUNSUP, "this store keeps no incidents");
    struct vg_respond_opts d = o ? *o : (struct vg_respond_opts){0};
    vg_respond_opts_defaults(&d);
    struct ecoll c = {0};
    struct eres *res = NULL;
    int *scores = NULL;
    size_t nres = 0;
    int rc = s->ops->inc_alerts_window(s, tenant, now - d.risk_window_ns, NULL, 100000, risk_row, &c, err);
    if (rc == 1) rc = c.rc ? vg_err_set(err, c.rc, "out of memory") : 0;
    if (rc) goto out;
    if (c.n) qsort(c.v, c.n, sizeof *c.v, cmp_entity);
    res = vg_calloc(c.n ? c.n : 1, sizeof *res);
    scores = vg_calloc(c.n ? c.n : 1, sizeof *scores);
    if (!res || !scores) { rc = vg_err_set(err, VG_ENOMEM, "out of memory"); goto out; }
    for (size_t i = 0; i < c.n;) {
        size_t j = i;
        struct eres *r = &res[nres++];
        r->entity = c.v[i].entity;
        size_t tl = 0;
        for (; j < c.n && !strcmp(c.v[j].entity, c.v[i].entity); j++) {
            scores[j - i] = c.v[j].score;
            /* tactics: union, comma-separated */
            for (const char *p = c.v[j].tactics; *p;) {
                const char *q = strchr(p, ',');
                size_t len = q ? (size_t)(q - p) : strlen(p);
                bool seen = false;
                for (const char *h = r->tactics; *h && !seen;) {
                    const char *hq = strchr(h, ',');
                    size_t hl = hq ? (size_t)(hq - h) : strlen(h);
                    seen = hl == len && !strncmp(h, p, len);
                    h = hq ? hq + 1 : h + hl;
                }
                if (!seen && tl + len + 2 < sizeof r->tactics) {
                    tl += (size_t)snprintf(r->tactics + tl, sizeof r->tactics - tl, "%s%.*s", tl ? "," : "", (int)len, p);
                }
                p = q ? q + 1 : p + len;
            }
        }
        r->alerts = j - i;
        r->base = vg_risk_score(scores, j - i);
        double m = 1.0;
        if (!strncmp(r->entity, "host:", 5) || !strncmp(r->entity, "user:", 5)) {
            int cr = s->ops->crit_get(s, tenant, r->entity, r->crit, sizeof r->crit, err);
            if (cr == 0) m = vg_risk_crit_modifier(r->crit);
            else if (cr != VG_ENOENT) { rc = cr; goto out; }
        }
        r->risk = vg_risk_apply_modifier(r->base, m);
        i = j;
    }
    if (nres) qsort(res, nres, sizeof *res, cmp_risk);
    if (!limit) limit = 100;
    rc = vg_buf_adds(out, "{\"entities\":[");
    for (size_t i = 0; !rc && i < nres && i < limit; i++) {
        const struct eres *r = &res[i];
        const char *colon = strchr(r->entity, ':');
        size_t ntac = r->tactics[0] ? 1 : 0;
        for (const char *p = r->tactics; *p; p++) ntac += *p == ',';
        rc = vg_buf_adds(out, i ? ",{\"entity\":" : "{\"entity\":");
        if (!rc) rc = vg_buf_add_json_str(out, r->entity, strlen(r->entity));
        if (!rc) rc = vg_buf_addf(out, ",\"type\":\"%.*s\",\"value\":", (int)(colon - r->entity), r->entity);
        if (!rc) rc = vg_buf_add_json_str(out, colon + 1, strlen(colon + 1));
        if (!rc) rc = vg_buf_addf(out, ",\"risk\":%.1f,\"base_risk\":%.1f,\"criticality\":", r->risk, r->base);
        if (!rc) rc = r->crit[0] ? vg_buf_add_json_str(out, r->crit, strlen(r->crit)) : vg_buf_adds(out, "null");
        if (!rc) rc = vg_buf_addf(out, ",\"alerts\":%zu,\"tactics\":[", r->alerts);
        for (const char *p = r->tactics; !rc && *p;) {
            const char *q = strchr(p, ',');
            size_t len = q ? (size_t)(q - p) : strlen(p);
            rc = vg_buf_adds(out, p == r->tactics ? "" : ",");
            if (!rc) rc = vg_buf_add_json_str(out, p, len);
            p = q ? q + 1 : p + len;
        }
        if (!rc) rc = vg_buf_addf(out, "],\"raises\":%s}",
                                  (r->risk >= d.risk_threshold || ntac >= 3) ? "true" : "false");
    }
    if (!rc) rc = vg_buf_addf(out, "],\"count\":%zu,\"window_seconds\":%lld,\"threshold\":%.1f}", nres < limit ? nres : limit,
                              (long long)(d.risk_window_ns / 1000000000LL), d.risk_threshold);
    if (rc && rc != VG_EDB) rc = vg_err_set(err, rc, "cannot build the answer");
out:
    vg_free(c.v);
    vg_free(res);
    vg_free(scores);
    return rc;
}

int vg_suppressions_json(struct vg_store *s, const char *tenant, int64_t now, struct vg_buf *out, struct vg_err *err)
{
    if (!s->ops->sup_list) return vg_err_set(err, VG_EUNSUP, "this store keeps no suppressions");
    struct vg_suppression *v = NULL;
    size_t n = 0;
    int rc = s->ops->sup_list(s, tenant, now, &v, &n, err);
    if (rc) return rc;
    rc = vg_buf_adds(out, "{\"suppressions\":[");
    for (size_t i = 0; !rc && i < n; i++) {
        rc = vg_buf_addf(out, "%s{\"id\":%lld,\"rule_id\":", i ? "," : "", (long long)v[i].id);
        if (!rc) rc = vg_buf_add_json_str(out, v[i].rule_id, strlen(v[i].rule_id));
        if (!rc) rc = jkv(out, "entity", v[i].entity);
        if (!rc) rc = jtime(out, "expires", v[i].expires_ns);
        if (!rc) rc = jtime(out, "created", v[i].created_ns);
        if (!rc) rc = jkv(out, "created_by", v[i].created_by);
        if (!rc) rc = jkv(out, "reason", v[i].reason);
        if (!rc) rc = vg_buf_addc(out, '}');
    }
    if (!rc) rc = vg_buf_addf(out, "],\"count\":%zu}", n);
    vg_free(v);
    return rc ? vg_err_set(err, rc, "cannot build the answer") : 0;
}
