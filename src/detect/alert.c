/* Alert records (include/vigil/alert.h): built from a Sigma hit on an
 * event, copied into the batch arena so they do not depend on the rule set
 * (which a reload may free before the writer commits), and serialised to
 * JSON once. Used by the detect engine (engine.c) and `vigil scan`. */
#include "vigil/alert.h"
#include "vigil/sigma.h"
#include <sodium.h>

void vg_alert_make_id(const char *tenant, const char *rule_id, const uint8_t event_id[16], uint8_t out[16])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, (const unsigned char *)"vigil-alert", 11, 16);
    const char *t = tenant && *tenant ? tenant : "default";
    const char *r = rule_id ? rule_id : "";
    crypto_generichash_update(&st, (const unsigned char *)t, strlen(t) + 1);
    crypto_generichash_update(&st, (const unsigned char *)r, strlen(r) + 1);
    crypto_generichash_update(&st, event_id, 16);
    crypto_generichash_final(&st, out, 16);
}

static const char *adup(struct vg_arena *a, const char *s, bool *oom)
{
    if (!s) return NULL;
    char *d = vg_arena_strndup(a, s, strlen(s));
    if (!d) *oom = true;
    return d;
}

static struct vg_alert_strs alist(struct vg_arena *a, const char *const *v, size_t n, bool *oom)
{
    struct vg_alert_strs r = {NULL, 0};
    if (!n || !v) return r;
    const char **out = vg_arena_alloc(a, n * sizeof *out);
    if (!out) { *oom = true; return r; }
    for (size_t i = 0; i < n; i++) out[i] = adup(a, v[i] ? v[i] : "", oom);
    r.v = out;
    r.n = n;
    return r;
}

/* Text of a field value, lists joined with ", ", cut at VG_ALERT_MAX_VALUE. */
static int value_text(struct vg_arena *a, const struct vg_value *v, const char **out, uint32_t *outlen)
{
    char buf[64];
    struct vg_buf b = VG_BUF_INIT;
    b.cap_limit = VG_ALERT_MAX_VALUE + 64;
    int rc = 0;
    if (v->type == VG_V_LIST) {
        for (uint32_t i = 0; rc == 0 && i < v->len && b.len < VG_ALERT_MAX_VALUE; i++) {
            if (i) rc = vg_buf_adds(&b, ", ");
            size_t room = VG_ALERT_MAX_VALUE - (b.len < VG_ALERT_MAX_VALUE ? b.len : VG_ALERT_MAX_VALUE);
            size_t n = v->u.list[i].len < room ? v->u.list[i].len : room;
            if (rc == 0) rc = vg_buf_add(&b, v->u.list[i].s, n);
        }
    } else {
        size_t n;
        const char *s = vg_value_text(v, buf, sizeof buf, &n);
        if (n > VG_ALERT_MAX_VALUE) n = VG_ALERT_MAX_VALUE;
        rc = vg_buf_add(&b, s ? s : "", n);
    }
    if (rc == 0) {
        size_t n = b.len > VG_ALERT_MAX_VALUE ? VG_ALERT_MAX_VALUE : b.len;
        char *d = vg_arena_strndup(a, b.data ? b.data : "", n);
        if (!d) rc = VG_ENOMEM;
        *out = d;
        *outlen = (uint32_t)n;
    }
    vg_buf_release(&b);
    return rc;
}

static const char *field_str(struct vg_arena *a, const struct vg_event *ev, uint32_t fid, bool *oom)
{
    const struct vg_field *f = vg_event_get(ev, fid);
    if (!f || f->v.type == VG_V_NULL) return NULL;
    const char *s;
    uint32_t n;
    if (value_text(a, &f->v, &s, &n) != 0) { *oom = true; return NULL; }
    return n ? s : NULL;
}

int vg_alert_build(struct vg_alert *a, struct vg_arena *arena, const struct vg_sigma_hit *hit,
                   const struct vg_event *ev, int64_t now, const struct vg_alert_origin *origin)
{
    if (!a || !arena || !hit || !hit->rule || !ev) return VG_EINVAL;
    const struct vg_sigma_rule *r = hit->rule;
    bool oom = false;
    memset(a, 0, sizeof *a);
    a->tenant = adup(arena, ev->tenant && *ev->tenant ? ev->tenant : "default", &oom);
    a->ts = ev->ts;
    a->created = now;
    int lvl = vg_alert_level_parse(r->level);
    a->level = lvl < 0 ? VG_ALERT_MEDIUM : lvl; /* a rule without a (known) level counts as medium */
    a->status = "open";
    if (r->risk_score) { /* custom field: whole number 1..100, else ignored (level decides) */
        int64_t rv;
        if (vg_parse_i64(r->risk_score, strlen(r->risk_score), &rv) == 0 && rv >= 1 && rv <= 100) a->risk = (int)rv;
    }
    a->ev = ev;
    const char *rid = r->id ? r->id : r->name ? r->name : r->title ? r->title : "";
    a->rule_id = adup(arena, rid, &oom);
    a->title = adup(arena, r->title ? r->title : rid, &oom);
    a->rule_status = adup(arena, r->status, &oom);
    a->author = adup(arena, r->author, &oom);
    a->description = adup(arena, r->description, &oom);
    a->rule_file = adup(arena, r->file, &oom);
    a->product = adup(arena, r->product, &oom);
    a->category = adup(arena, r->category, &oom);
    a->service = adup(arena, r->service, &oom);
    a->tactics = alist(arena, r->tactics, r->ntactics, &oom);
    a->techniques = alist(arena, r->techniques, r->ntechniques, &oom);
    a->tags = alist(arena, r->tags, r->ntags, &oom);
    a->references = alist(arena, r->references, r->nreferences, &oom);
    a->falsepositives = alist(arena, r->falsepositives, r->nfalsepositives, &oom);
    vg_event_id(ev, a->event_id);
    vg_alert_make_id(a->tenant ? a->tenant : "default", rid, a->event_id, a->id);
    a->event_format = adup(arena, ev->format, &oom);
    a->event_collector = adup(arena, ev->collector, &oom);
    a->event_host = adup(arena, ev->host, &oom);

    /* matched fields, de-duplicated, in the order the explain pass gave them */
    size_t nf = hit->nfields < VG_ALERT_MAX_FIELDS ? hit->nfields : VG_ALERT_MAX_FIELDS;
    struct vg_alert_field *mf = nf ? vg_arena_alloc(arena, nf * sizeof *mf) : NULL;
    if (nf && !mf) oom = true;
    size_t k = 0;
    for (size_t i = 0; mf && i < nf; i++) {
        uint32_t fid = hit->fields[i];
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++) seen = hit->fields[j] == fid;
        if (seen) continue;
        if (fid == VG_SIGMA_FIELD_KEYWORDS) {
            mf[k].name = "keywords";
            const struct vg_field *m = vg_event_get(ev, VG_FID_MESSAGE);
            if (m && (m->v.type == VG_V_STR)) {
                if (value_text(arena, &m->v, &mf[k].value, &mf[k].value_len)) oom = true;
            } else {
                uint32_t n = ev->raw_len > VG_ALERT_MAX_VALUE ? VG_ALERT_MAX_VALUE : ev->raw_len;
                mf[k].value = vg_arena_strndup(arena, ev->raw ? ev->raw : "", n);
                mf[k].value_len = n;
                if (!mf[k].value) oom = true;
            }
            k++;
            continue;
        }
        size_t nl;
        const char *name = vg_fid_name(fid, &nl);
        const struct vg_field *f = vg_event_get(ev, fid);
        if (!name || !f) continue;
        mf[k].name = name; /* interned names have static lifetime */
        if (value_text(arena, &f->v, &mf[k].value, &mf[k].value_len)) oom = true;
        k++;
    }
    a->matched = mf;
    a->nmatched = k;

    if (oom) return VG_ENOMEM;
    return vg_alert_finish(a, arena, ev, origin);
}

int vg_alert_finish(struct vg_alert *a, struct vg_arena *arena, const struct vg_event *ev,
                    const struct vg_alert_origin *origin)
{
    bool oom = false;
    a->host_name = field_str(arena, ev, VG_FID_HOST_NAME, &oom);
    if (!a->host_name) a->host_name = a->event_host;
    a->user_name = field_str(arena, ev, VG_FID_USER_NAME, &oom);
    a->source_ip = field_str(arena, ev, VG_FID_SOURCE_IP, &oom);
    if (origin) {
        a->origin = *origin;
        a->origin.file = adup(arena, origin->file, &oom);
    } else {
        a->origin.file = field_str(arena, ev, VG_FID_LOG_FILE_PATH, &oom);
        a->origin.record = ev->seq;
        a->origin.is_line = a->origin.file != NULL;
    }
    if (oom) return VG_ENOMEM;

    struct vg_buf b = VG_BUF_INIT;
    int rc = vg_alert_to_json(a, &b);
    if (rc == 0) {
        char *j = vg_arena_strndup(arena, b.data ? b.data : "", b.len);
        if (!j) rc = VG_ENOMEM;
        a->json = j;
        a->json_len = b.len;
    }
    vg_buf_release(&b);
    return rc;
}

/* ---- JSON ------------------------------------------------------------------ */
static int jstr(struct vg_buf *b, const char *s)
{
    if (!s) return vg_buf_adds(b, "null");
    return vg_buf_add_json_str(b, s, strlen(s));
}

static int jkv(struct vg_buf *b, const char *key, const char *val)
{
    int rc = vg_buf_addf(b, ",\"%s\":", key);
    return rc ? rc : jstr(b, val);
}

static int jlist(struct vg_buf *b, const char *key, const struct vg_alert_strs *l)
{
    int rc = vg_buf_addf(b, ",\"%s\":[", key);
    for (size_t i = 0; rc == 0 && i < l->n; i++) {
        if (i) rc = vg_buf_addc(b, ',');
        if (rc == 0) rc = jstr(b, l->v[i]);
    }
    return rc ? rc : vg_buf_addc(b, ']');
}

static int jtime(struct vg_buf *b, const char *key, int64_t ns)
{
    char t[48];
    vg_time_format(ns, t, sizeof t, 9);
    return vg_buf_addf(b, ",\"%s\":\"%s\"", key, t);
}

int vg_alert_to_json(const struct vg_alert *a, struct vg_buf *b)
{
    char hex[33], ehex[33];
    vg_hex(a->id, 16, hex);
    vg_hex(a->event_id, 16, ehex);
    const char *level = vg_alert_level_name(a->level);
    int rc = vg_buf_addf(b, "{\"id\":\"%s\"", hex);
    if (!rc) rc = jkv(b, "tenant", a->tenant);
    if (!rc) rc = jtime(b, "@timestamp", a->ts);
    if (!rc) rc = jtime(b, "created", a->created);
    if (!rc) rc = jkv(b, "status", a->status ? a->status : "open");
    if (!rc) rc = jkv(b, "level", level);
    if (!rc) rc = vg_buf_addf(b, ",\"risk_score\":%d", vg_alert_risk(a));
    if (!rc) rc = jkv(b, "title", a->title);
    if (!rc) rc = jkv(b, "rule_id", a->rule_id);
    if (!rc) rc = jkv(b, "author", a->author);
    if (!rc) rc = jlist(b, "tactics", &a->tactics);
    if (!rc) rc = jlist(b, "techniques", &a->techniques);
    /* the rule */
    if (!rc) rc = vg_buf_adds(b, ",\"rule\":{\"id\":");
    if (!rc) rc = jstr(b, a->rule_id);
    if (!rc) rc = jkv(b, "title", a->title);
    if (!rc) rc = jkv(b, "level", level);
    if (!rc) rc = jkv(b, "status", a->rule_status);
    if (!rc) rc = jkv(b, "author", a->author);
    if (!rc) rc = jkv(b, "description", a->description);
    if (!rc) rc = jkv(b, "file", a->rule_file);
    if (!rc) rc = vg_buf_adds(b, ",\"logsource\":{\"product\":");
    if (!rc) rc = jstr(b, a->product);
    if (!rc) rc = jkv(b, "category", a->category);
    if (!rc) rc = jkv(b, "service", a->service);
    if (!rc) rc = vg_buf_addc(b, '}');
    if (!rc) rc = jlist(b, "tags", &a->tags);
    if (!rc) rc = jlist(b, "references", &a->references);
    if (!rc) rc = jlist(b, "falsepositives", &a->falsepositives);
    if (!rc) rc = vg_buf_addc(b, '}');
    /* the event */
    if (!rc) rc = vg_buf_addf(b, ",\"event\":{\"id\":\"%s\"", ehex);
    if (!rc) rc = jkv(b, "format", a->event_format);
    if (!rc) rc = jkv(b, "collector", a->event_collector);
    if (!rc) rc = jkv(b, "host", a->event_host);
    if (!rc) rc = vg_buf_addc(b, '}');
    if (!rc) rc = vg_buf_adds(b, ",\"matched\":{");
    for (size_t i = 0; rc == 0 && i < a->nmatched; i++) {
        if (i) rc = vg_buf_addc(b, ',');
        if (!rc) rc = jstr(b, a->matched[i].name);
        if (!rc) rc = vg_buf_addc(b, ':');
        if (!rc) rc = vg_buf_add_json_str(b, a->matched[i].value ? a->matched[i].value : "", a->matched[i].value_len);
    }
    if (!rc) rc = vg_buf_addc(b, '}');
    if (!rc && a->host_name) rc = jkv(b, "host.name", a->host_name);
    if (!rc && a->user_name) rc = jkv(b, "user.name", a->user_name);
    if (!rc && a->source_ip) rc = jkv(b, "source.ip", a->source_ip);
    if (!rc && (a->origin.file || a->origin.record)) {
        rc = vg_buf_adds(b, ",\"origin\":{\"file\":");
        if (!rc) rc = jstr(b, a->origin.file);
        if (!rc && a->origin.record)
            rc = vg_buf_addf(b, ",\"%s\":%llu", a->origin.is_line ? "line" : "record", (unsigned long long)a->origin.record);
        if (!rc) rc = vg_buf_addc(b, '}');
    }
    if (!rc) rc = vg_buf_addc(b, '}');
    return rc;
}

/* ---- repeat aggregation within a batch ------------------------------------ */
static uint64_t fnv(uint64_t h, const char *s)
{
    for (; s && *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return (h ^ 0xff) * 1099511628211ULL; /* separator: ("ab","c") != ("a","bc") */
}

static bool same_str(const char *a, const char *b) { return a == b || (a && b && strcmp(a, b) == 0); }

static bool same_key(const struct vg_alert *a, const struct vg_alert *b)
{
    return same_str(a->rule_id, b->rule_id) && same_str(a->host_name, b->host_name) &&
           same_str(a->user_name, b->user_name) && same_str(a->source_ip, b->source_ip) && same_str(a->tenant, b->tenant);
}

size_t vg_alert_aggregate(struct vg_batch *b)
{
    if (!b || b->nalerts < 2) return 0;
    size_t n = 0;
    for (struct vg_alert *x = b->alerts; x; x = x->next) n++;
    size_t cap = 16;
    while (cap < 2 * n) cap *= 2;
    /* per alert: its leader (index), per leader: member count; slots hold leader indexes + 1 */
    struct vg_alert **v = vg_malloc(n * sizeof *v);
    uint32_t *slot = vg_calloc(cap, sizeof *slot), *lead = vg_malloc(n * sizeof *lead), *cnt = vg_calloc(n, sizeof *cnt);
    size_t folded = 0;
    if (!v || !slot || !lead || !cnt) goto out;
    size_t i = 0;
    for (struct vg_alert *x = b->alerts; x; x = x->next) v[i++] = x;
    for (i = 0; i < n; i++) {
        const struct vg_alert *a = v[i];
        uint64_t h = fnv(fnv(fnv(fnv(fnv(1469598103934665603ULL, a->tenant), a->rule_id), a->host_name), a->user_name),
                         a->source_ip);
        size_t k = (size_t)h & (cap - 1);
        while (slot[k] && !same_key(v[slot[k] - 1], a)) k = (k + 1) & (cap - 1);
        if (!slot[k]) slot[k] = (uint32_t)i + 1;
        lead[i] = slot[k] - 1;
        cnt[lead[i]]++;
    }
    /* member arrays (arena) for leaders with repeats: all allocated before
     * anything changes, so running out of arena leaves the batch intact */
    const struct vg_event ***mm = vg_calloc(n, sizeof *mm);
    if (!mm) goto out;
    for (i = 0; i < n; i++) {
        if (lead[i] != i || cnt[i] < 2) continue;
        if (!(mm[i] = vg_arena_alloc(&b->arena, cnt[i] * sizeof **mm))) { vg_free(mm); goto out; }
    }
    for (i = 0; i < n; i++) {
        if (!mm[i]) continue;
        v[i]->members = mm[i];
        v[i]->nmembers = 0;
        v[i]->first_seen = v[i]->last_seen = v[i]->ts;
    }
    vg_free(mm);
    struct vg_alert **tail = &b->alerts;
    for (i = 0; i < n; i++) {
        struct vg_alert *a = v[i], *l = v[lead[i]];
        /* two alerts of one rule on one event (an IoC seen in two fields)
         * are one alert: the event is a member once. Alerts come in event
         * order, so a repeat of the same event is the last member. */
        if (l->members && (l->nmembers == 0 || l->members[l->nmembers - 1] != a->ev)) {
            ((const struct vg_event **)l->members)[l->nmembers++] = a->ev;
            if (a->ts < l->first_seen) l->first_seen = a->ts;
            if (a->ts > l->last_seen) l->last_seen = a->ts;
        }
        if (lead[i] != i && l->members) { folded++; continue; } /* unlinked */
        *tail = a;
        tail = &a->next;
    }
    *tail = NULL;
    b->nalerts -= folded;
out:
    vg_free(v);
    vg_free(slot);
    vg_free(lead);
    vg_free(cnt);
    return folded;
}
