/* Threat-intel hits as alert records: fills struct vg_alert (alert.h)
 * from an intel hit so intel matches are stored and served like Sigma
 * alerts; the indicator's feed, type, confidence and validity travel as
 * "intel.*" tags and in the description. */
#include "internal.h"
#include "vigil/alert.h"

static const char *adup(struct vg_arena *a, const char *s, size_t n, bool *oom)
{
    if (!s) return NULL;
    char *d = vg_arena_strndup(a, s, n);
    if (!d) *oom = true;
    return d;
}

static const char *sdup(struct vg_arena *a, const char *s, bool *oom) { return s ? adup(a, s, strlen(s), oom) : NULL; }

static const char *tfmt(struct vg_arena *a, const char *key, int64_t ns, bool *oom)
{
    char t[48], buf[96];
    vg_time_format(ns, t, sizeof t, 0);
    int n = snprintf(buf, sizeof buf, "%s%s", key, t);
    return adup(a, buf, (size_t)n, oom);
}

int vg_intel_alert_build(struct vg_alert *a, struct vg_arena *arena, const struct vg_intel_hit *hit,
                         const struct vg_event *ev, int64_t now)
{
    if (!a || !arena || !hit || !hit->ind || !ev) return VG_EINVAL;
    const struct vg_intel_indicator *ind = hit->ind;
    bool oom = false;
    char buf[640];
    int n;
    memset(a, 0, sizeof *a);
    a->tenant = sdup(arena, ev->tenant && *ev->tenant ? ev->tenant : "default", &oom);
    a->ts = ev->ts;
    a->created = now;
    a->level = ind->confidence >= 85 ? VG_ALERT_HIGH : (ind->confidence >= 50 || ind->confidence < 0) ? VG_ALERT_MEDIUM
                                                                                                      : VG_ALERT_LOW;
    a->status = "open";
    n = snprintf(buf, sizeof buf, "intel:%s", ind->id ? ind->id : ind->pattern ? ind->pattern : "");
    a->rule_id = adup(arena, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1, &oom);
    n = snprintf(buf, sizeof buf, "Threat intel match: %s", ind->name ? ind->name : ind->pattern ? ind->pattern : "indicator");
    a->title = adup(arena, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1, &oom);
    n = snprintf(buf, sizeof buf, "%s value matched indicator %s of feed %s (pattern %s, confidence %d)",
                 vg_intel_type_name(hit->type), ind->id ? ind->id : "-", ind->feed ? ind->feed : "-",
                 ind->pattern ? ind->pattern : "-", ind->confidence);
    a->description = adup(arena, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1, &oom);
    a->rule_file = sdup(arena, ind->feed, &oom);
    a->category = "threat_intel";
    /* tags: intel.* facts, then the labels */
    const char *tags[40];
    size_t nt = 0;
    n = snprintf(buf, sizeof buf, "intel.feed:%s", ind->feed ? ind->feed : "");
    tags[nt++] = adup(arena, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1, &oom);
    n = snprintf(buf, sizeof buf, "intel.type:%s", vg_intel_type_name(hit->type));
    tags[nt++] = adup(arena, buf, (size_t)n, &oom);
    if (ind->confidence >= 0) {
        n = snprintf(buf, sizeof buf, "intel.confidence:%d", ind->confidence);
        tags[nt++] = adup(arena, buf, (size_t)n, &oom);
    }
    if (ind->valid_from != INT64_MIN) tags[nt++] = tfmt(arena, "intel.valid_from:", ind->valid_from, &oom);
    if (ind->valid_until != INT64_MAX) tags[nt++] = tfmt(arena, "intel.valid_until:", ind->valid_until, &oom);
    for (const char *l = ind->labels; l && *l && nt < VG_ARRAY_LEN(tags);) {
        const char *c = strchr(l, ',');
        size_t len = c ? (size_t)(c - l) : strlen(l);
        if (len) tags[nt++] = adup(arena, l, len, &oom);
        l = c ? c + 1 : l + len;
    }
    const char **tv = vg_arena_alloc(arena, nt * sizeof *tv);
    if (!tv) oom = true;
    else {
        memcpy(tv, tags, nt * sizeof *tv);
        a->tags = (struct vg_alert_strs){tv, nt};
    }
    vg_event_id(ev, a->event_id);
    vg_alert_make_id(a->tenant ? a->tenant : "default", a->rule_id ? a->rule_id : "intel", a->event_id, a->id);
    a->event_format = sdup(arena, ev->format, &oom);
    a->event_collector = sdup(arena, ev->collector, &oom);
    a->event_host = sdup(arena, ev->host, &oom);
    struct vg_alert_field *mf = vg_arena_alloc(arena, sizeof *mf);
    if (!mf) oom = true;
    else {
        size_t nl;
        const char *name = hit->fid != UINT32_MAX ? vg_fid_name(hit->fid, &nl) : NULL;
        mf->name = name ? name : "value";
        uint32_t vl = hit->value_len > VG_ALERT_MAX_VALUE ? VG_ALERT_MAX_VALUE : hit->value_len;
        mf->value = adup(arena, hit->value ? hit->value : "", vl, &oom);
        mf->value_len = vl;
        a->matched = mf;
        a->nmatched = 1;
    }
    if (oom) return VG_ENOMEM;
    return vg_alert_finish(a, arena, ev, NULL);
}
