/* Suricata EVE JSON -> ECS mapping (called from the json decoder after the
 * record was flattened): source/destination, transport, alert rule and
 * severity, DNS and HTTP names, observer. The source names (src_ip,
 * alert.signature ...) stay on the event beside the ECS ones. */
#include "json_map.h"

static int add_cap(struct vg__jmap *m, uint32_t fid, enum vg__jcap c)
{
    size_t n;
    const char *s = vg__jmap_text(m, c, &n);
    if (!s || n == 0) return 0;
    return vg__jmap_add_str(m, fid, s, n);
}

static int add_lower(struct vg__jmap *m, uint32_t fid, enum vg__jcap c)
{
    size_t n;
    const char *s = vg__jmap_text(m, c, &n);
    if (!s || n == 0 || n > 64) return 0;
    char *lc = vg_arena_strndup(m->ev->arena, s, n);
    if (!lc) return VG_ENOMEM;
    for (size_t i = 0; i < n; i++) lc[i] = (char)((lc[i] >= 'A' && lc[i] <= 'Z') ? lc[i] + 32 : lc[i]);
    return vg__jmap_add_str(m, fid, lc, n);
}

static int add_port(struct vg__jmap *m, uint32_t fid, enum vg__jcap c)
{
    int64_t p;
    if (vg__jmap_int(m, c, &p) && p >= 0 && p <= 65535) return vg__jmap_add_int(m, fid, p);
    return 0;
}

static bool text_is(struct vg__jmap *m, enum vg__jcap c, const char *lit)
{
    size_t n;
    const char *s = vg__jmap_text(m, c, &n);
    return s && n == strlen(lit) && memcmp(s, lit, n) == 0;
}

int vg__map_suricata(struct vg__jmap *m)
{
    const struct vg_value *et = &m->cap[JC_EVENT_TYPE];
    if (!VG__JMAP_HAVE(m, JC_EVENT_TYPE) || et->type != VG_V_STR) return 0;
    if (!VG__JMAP_HAVE(m, JC_SRC_IP) && !VG__JMAP_HAVE(m, JC_DEST_IP) && !VG__JMAP_HAVE(m, JC_FLOW_ID)) return 0;
    bool alert = et->len == 5 && memcmp(et->u.s, "alert", 5) == 0;
    int rc = vg__jmap_add_ip(m, VG_FID_SOURCE_IP, VG__JMAP_HAVE(m, JC_SRC_IP) ? &m->cap[JC_SRC_IP] : NULL);
    if (rc == 0) rc = add_port(m, VG_FID_SOURCE_PORT, JC_SRC_PORT);
    if (rc == 0) rc = vg__jmap_add_ip(m, VG_FID_DESTINATION_IP, VG__JMAP_HAVE(m, JC_DEST_IP) ? &m->cap[JC_DEST_IP] : NULL);
    if (rc == 0) rc = add_port(m, VG_FID_DESTINATION_PORT, JC_DEST_PORT);
    if (rc == 0) rc = add_lower(m, VG_FID_NETWORK_TRANSPORT, JC_PROTO);
    if (rc == 0 && !text_is(m, JC_APP_PROTO, "failed")) rc = add_lower(m, VG_FID_NETWORK_PROTOCOL, JC_APP_PROTO);
    if (rc == 0) rc = vg__jmap_add_str(m, VG_FID_OBSERVER_PRODUCT, "suricata", 8);
    if (rc == 0) rc = vg__jmap_add_str(m, VG_FID_OBSERVER_TYPE, "ids", 3);
    if (rc == 0) rc = vg__jmap_add_str(m, vg__jx[JX_OBSERVER_VENDOR], "OISF", 4);
    if (rc == 0) rc = vg__jmap_add_str(m, VG_FID_EVENT_MODULE, "suricata", 8);
    if (rc == 0) rc = vg__jmap_add_str(m, VG_FID_EVENT_DATASET, "suricata.eve", 12);
    if (rc) return rc;
    if (alert) {
        static const struct vg_str cat2[] = {{"network", 7}, {"intrusion_detection", 19}};
        struct vg_value cv = {.type = VG_V_LIST, .len = 2, .u.list = cat2};
        rc = vg__jmap_add_str(m, VG_FID_EVENT_KIND, "alert", 5);
        if (rc == 0) rc = vg__jmap_add(m, VG_FID_EVENT_CATEGORY, VG_FF_ECS, &cv);
        if (rc == 0) rc = add_cap(m, VG_FID_RULE_NAME, JC_ALERT_SIG);
        if (rc == 0) rc = add_cap(m, VG_FID_RULE_ID, JC_ALERT_SID);
        if (rc == 0) rc = add_cap(m, vg__jx[JX_RULE_CATEGORY], JC_ALERT_CAT);
        int64_t sev;
        if (rc == 0 && vg__jmap_int(m, JC_ALERT_SEV, &sev)) rc = vg__jmap_add_int(m, VG_FID_EVENT_SEVERITY, sev);
        if (rc == 0 && text_is(m, JC_ALERT_ACTION, "allowed")) rc = vg__jmap_add_str(m, VG_FID_EVENT_TYPE, "allowed", 7);
        else if (rc == 0 && (text_is(m, JC_ALERT_ACTION, "blocked") || text_is(m, JC_ALERT_ACTION, "drop")))
            rc = vg__jmap_add_str(m, VG_FID_EVENT_TYPE, "denied", 6);
        if (rc == 0) rc = add_cap(m, VG_FID_EVENT_ACTION, JC_ALERT_ACTION);
    } else {
        rc = vg__jmap_add_str(m, VG_FID_EVENT_KIND, "event", 5);
        if (rc == 0) rc = vg__jmap_add_str(m, VG_FID_EVENT_CATEGORY, "network", 7);
        if (rc == 0) rc = add_cap(m, VG_FID_EVENT_ACTION, JC_EVENT_TYPE);
    }
    if (rc == 0) rc = add_cap(m, VG_FID_DNS_QUESTION_NAME, JC_DNS_RRNAME);
    if (rc == 0) rc = add_cap(m, vg__jx[JX_DNS_QTYPE], JC_DNS_RRTYPE);
    if (rc == 0) rc = add_cap(m, VG_FID_URL_DOMAIN, JC_HTTP_HOST);
    if (rc == 0) rc = add_cap(m, VG_FID_URL_ORIGINAL, JC_HTTP_URL);
    if (rc == 0) rc = add_cap(m, VG_FID_HTTP_REQUEST_METHOD, JC_HTTP_METHOD);
    if (rc == 0) rc = add_cap(m, VG_FID_USER_AGENT_ORIGINAL, JC_HTTP_UA);
    if (rc == 0) rc = add_cap(m, VG_FID_HTTP_REQUEST_REFERRER, JC_HTTP_REFER);
    int64_t st;
    if (rc == 0 && vg__jmap_int(m, JC_HTTP_STATUS, &st)) rc = vg__jmap_add_int(m, VG_FID_HTTP_RESPONSE_STATUS_CODE, st);
    if (rc == 0) rc = add_cap(m, vg__jx[JX_TLS_SNI], JC_TLS_SNI);
    if (rc) return rc;
    m->ev->format = "json+suricata";
    return 1;
}
