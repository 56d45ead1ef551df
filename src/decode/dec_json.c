/* FORMAT decoders "json" and "json+suricata": flatten a JSON object into
 * fields (dotted names, VG_FF_SOURCE, plus VG_FF_ECS where the source name
 * already is an ECS name), then let the shape mappers add ECS names:
 * Windows events (evtx_dump, Winlogbeat, flat NXLog-style) in
 * map_windows.c and Suricata EVE in map_suricata.c. Also home of the
 * shared mapping context (json_map.h) that the EVTX reader reuses.
 * Timestamp and host come from the usual candidate names. */
#include "json_map.h"
#include "internal.h"
#include <pthread.h>
#include <stdatomic.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif


uint32_t vg__jx[JX__COUNT];

/* Names with a role: a capture slot and/or a bare alias. */
struct named {
    const char *name;
    uint8_t cap;            /* enum vg__jcap, 0 = none */
    const char *alias;      /* also stored under this name, NULL = none */
};

static const struct named named[] = {
    {"@timestamp", JC_TS_AT, NULL},
    {"timestamp", JC_TS_TIMESTAMP, NULL},
    {"time", JC_TS_TIME, NULL},
    {"TimeCreated", JC_TS_TIMECREATED, NULL},
    {"SystemTime", JC_TS_SYSTEMTIME, NULL},
    {"UtcTime", JC_TS_UTCTIME, NULL},
    {"host.name", JC_HOST_NAME, NULL},
    {"hostname", JC_HOSTNAME, NULL},
    {"Computer", JC_COMPUTER, NULL},
    {"EventID", JC_EVENTID, NULL},
    {"Channel", JC_CHANNEL, NULL},
    {"Provider_Name", JC_PROVIDER, NULL},
    {"EventRecordID", JC_RECORDID, NULL},
    /* evtx_dump System attributes -> SigmaHQ-style bare names */
    {"Event.System.TimeCreated.#attributes.SystemTime", 0, "SystemTime"},
    {"Event.System.Provider.#attributes.Name", 0, "Provider_Name"},
    {"Event.System.Provider.#attributes.Guid", 0, "Provider_Guid"},
    {"Event.System.Provider.#attributes.EventSourceName", 0, "Provider_EventSourceName"},
    {"Event.System.EventID.#text", 0, "EventID"},
    {"Event.System.EventID.#attributes.Qualifiers", 0, "Qualifiers"},
    {"Event.System.Execution.#attributes.ProcessID", 0, "Execution_ProcessID"},
    {"Event.System.Execution.#attributes.ThreadID", 0, "Execution_ThreadID"},
    {"Event.System.Security.#attributes.UserID", 0, "Security_UserID"},
    {"Event.System.Correlation.#attributes.ActivityID", 0, "Correlation_ActivityID"},
    {"Event.System.Correlation.#attributes.RelatedActivityID", 0, "Correlation_RelatedActivityID"},
    /* the same System attributes as xmltodict writes them ("@Name") */
    {"Event.System.TimeCreated.@SystemTime", 0, "SystemTime"},
    {"Event.System.Provider.@Name", 0, "Provider_Name"},
    {"Event.System.Provider.@Guid", 0, "Provider_Guid"},
    {"Event.System.Provider.@EventSourceName", 0, "Provider_EventSourceName"},
    {"Event.System.EventID.@Qualifiers", 0, "Qualifiers"},
    {"Event.System.Execution.@ProcessID", 0, "Execution_ProcessID"},
    {"Event.System.Execution.@ThreadID", 0, "Execution_ThreadID"},
    {"Event.System.Security.@UserID", 0, "Security_UserID"},
    {"Event.System.Correlation.@ActivityID", 0, "Correlation_ActivityID"},
    {"Event.System.Correlation.@RelatedActivityID", 0, "Correlation_RelatedActivityID"},
    /* Winlogbeat -> the same bare names */
    {"winlog.event_id", 0, "EventID"},
    {"winlog.channel", 0, "Channel"},
    {"winlog.computer_name", 0, "Computer"},
    {"winlog.provider_name", 0, "Provider_Name"},
    {"winlog.record_id", 0, "EventRecordID"},
    /* EventData names the Windows mapper reads */
    {"Image", JC_IMAGE, NULL},
    {"NewProcessName", JC_NEWPROCNAME, NULL},
    {"CommandLine", JC_CMDLINE, NULL},
    {"ParentImage", JC_PARENTIMAGE, NULL},
    {"ParentProcessName", JC_PARENTPROCNAME, NULL},
    {"ParentCommandLine", JC_PARENTCMD, NULL},
    {"ProcessId", JC_PROCID, NULL},
    {"NewProcessId", JC_NEWPROCID, NULL},
    {"ParentProcessId", JC_PPID, NULL},
    {"CurrentDirectory", JC_CURDIR, NULL},
    {"User", JC_USER, NULL},
    {"TargetUserName", JC_TUSER, NULL},
    {"TargetDomainName", JC_TDOMAIN, NULL},
    {"SubjectUserName", JC_SUSER, NULL},
    {"SubjectDomainName", JC_SDOMAIN, NULL},
    {"IpAddress", JC_IPADDR, NULL},
    {"IpPort", JC_IPPORT, NULL},
    {"SourceIp", JC_SRCIP, NULL},
    {"SourcePort", JC_SRCPORT, NULL},
    {"DestinationIp", JC_DSTIP, NULL},
    {"DestinationPort", JC_DSTPORT, NULL},
    {"Protocol", JC_PROTOCOL, NULL},
    {"DestinationHostname", JC_DSTHOST, NULL},
    {"TargetFilename", JC_TFILE, NULL},
    {"QueryName", JC_QUERYNAME, NULL},
    {"TargetObject", JC_TOBJECT, NULL},
    {"ServiceName", JC_SERVICENAME, NULL},
    {"LogonType", JC_LOGONTYPE, NULL},
    {"OriginalFileName", JC_ORIGFILE, NULL},
    {"ImageLoaded", JC_IMAGELOADED, NULL},
    {"TargetUserSid", JC_TUSERSID, NULL},
    {"SubjectUserSid", JC_SUSERSID, NULL},
    /* Suricata EVE */
    {"event_type", JC_EVENT_TYPE, NULL},
    {"flow_id", JC_FLOW_ID, NULL},
    {"src_ip", JC_SRC_IP, NULL},
    {"src_port", JC_SRC_PORT, NULL},
    {"dest_ip", JC_DEST_IP, NULL},
    {"dest_port", JC_DEST_PORT, NULL},
    {"proto", JC_PROTO, NULL},
    {"app_proto", JC_APP_PROTO, NULL},
    {"alert.signature", JC_ALERT_SIG, NULL},
    {"alert.signature_id", JC_ALERT_SID, NULL},
    {"alert.severity", JC_ALERT_SEV, NULL},
    {"alert.category", JC_ALERT_CAT, NULL},
    {"alert.action", JC_ALERT_ACTION, NULL},
    {"dns.rrname", JC_DNS_RRNAME, NULL},
    {"dns.rrtype", JC_DNS_RRTYPE, NULL},
    {"http.hostname", JC_HTTP_HOST, NULL},
    {"http.url", JC_HTTP_URL, NULL},
    {"http.http_method", JC_HTTP_METHOD, NULL},
    {"http.http_user_agent", JC_HTTP_UA, NULL},
    {"http.status", JC_HTTP_STATUS, NULL},
    {"http.http_refer", JC_HTTP_REFER, NULL},
    {"tls.sni", JC_TLS_SNI, NULL},
};

_Atomic uint16_t vg__jfinfo[VG__FID_LIMIT];
#define finfo vg__jfinfo
/* Per field id of a leaf: the second name its value is also stored under,
 * as id + 1 in the low 32 bits (0 = none), bit 32 = computed. The bare
 * SigmaHQ name for Windows containers (Event.EventData.Image -> Image),
 * or the parent for "#text". A function of the dotted name only. */
static _Atomic uint64_t plan[VG__FID_LIMIT];
_Static_assert(VG_ARRAY_LEN(named) < 255, "named[] index must fit the 8 low bits of an info word");
_Static_assert(JC__COUNT <= 128, "captures must fit vg__jmap.have");
static uint32_t alias_fid[VG_ARRAY_LEN(named)];
struct vg__jrole vg__jrole[256];
static struct vg__jfids fids;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

/* ECS roots whose dotted names we flag as ECS when a source uses them.
 * dns., http. and tls. are left out: Suricata uses them for non-ECS names
 * (dns.rrname); the exact ECS names there are in fields.def. */
static const char *const ecs_roots[] = {
    "agent", "client", "cloud", "container", "destination", "ecs", "error", "event", "file", "group",
    "host", "log", "network", "observer", "organization", "process", "registry", "related", "rule",
    "server", "service", "source", "threat", "url", "user", "user_agent", "winlog",
};

static bool name_is_ecs(uint32_t fid)
{
    if (fid < VG_FID__KNOWN_COUNT) return true;
    for (size_t i = 0; i < JX__COUNT; i++)
        if (vg__jx[i] == fid) return i != JX_DROPPED && i != JX_DUPLICATES;
    size_t n;
    const char *s = vg_fid_name(fid, &n);
    if (!s) return false;
    if ((n == 4 && memcmp(s, "tags", 4) == 0) || (n > 7 && memcmp(s, "labels.", 7) == 0)) return true;
    const char *dot = memchr(s, '.', n);
    if (!dot || dot + 1 == s + n) return false;
    size_t rl = (size_t)(dot - s);
    for (size_t i = 0; i < VG_ARRAY_LEN(ecs_roots); i++)
        if (strlen(ecs_roots[i]) == rl && memcmp(ecs_roots[i], s, rl) == 0) return true;
    return false;
}

static void init_tables(void)
{
#define X(id, name) vg__jx[id] = vg_fid(name, sizeof(name) - 1);
    VG__JX_LIST
#undef X
    for (size_t i = 0; i < VG_ARRAY_LEN(named); i++) {
        uint32_t f = vg_fid(named[i].name, strlen(named[i].name));
        alias_fid[i] = named[i].alias ? vg_fid(named[i].alias, strlen(named[i].alias)) : 0;
        vg__jrole[i + 1].cap = named[i].cap;
        vg__jrole[i + 1].alias = alias_fid[i];
        if (f < VG__FID_LIMIT)
            atomic_store_explicit(&finfo[f], (uint16_t)(INFO_DONE | (name_is_ecs(f) ? INFO_ECS : 0) | (i + 1)),
                                  memory_order_relaxed);
    }
    fids.event_system = vg_fid("Event.System", 12);
    fids.event_eventdata = vg_fid("Event.EventData", 15);
    fids.event_userdata = vg_fid("Event.UserData", 14);
    fids.event_eventdata_data = vg_fid("Event.EventData.Data", 20);
    fids.winlog_event_data = vg_fid("winlog.event_data", 17);
    fids.text = vg_fid("#text", 5);
}

const struct vg__jfids *vg__jfids(void)
{
    pthread_once(&init_once, init_tables);
    return &fids;
}

uint16_t vg__jinfo_slow(uint32_t fid)
{
    uint16_t i = (uint16_t)(INFO_DONE | (name_is_ecs(fid) ? INFO_ECS : 0));
    atomic_store_explicit(&finfo[fid], i, memory_order_relaxed);
    return i;
}

_Thread_local uint16_t vg__jseen[VG__FID_LIMIT];
#define seen vg__jseen
static _Thread_local uint16_t seen_gen;

void vg__jmap_begin(struct vg__jmap *m, struct vg_event *ev)
{
    pthread_once(&init_once, init_tables);
    if (++seen_gen == 0) {
        memset(seen, 0, sizeof seen);
        seen_gen = 1;
    }
    m->ev = ev;
    m->gen = seen_gen;
    m->dropped = m->dups = 0;
    m->have[0] = m->have[1] = 0;
    m->data.has_name = m->data.has_text = false;
}

static int push_value(struct vg_event *ev, uint32_t fid, uint32_t flags, const struct vg_value *v)
{
    switch (v->type) {
    case VG_V_STR: return vg_event_add_str(ev, fid, flags, v->u.s, v->len);
    case VG_V_IP: {
        int rc = vg_event_add_str(ev, fid, flags, v->u.s, v->len);
        if (rc == 0) ev->fields[ev->nfields - 1].v.type = VG_V_IP;
        return rc;
    }
    case VG_V_INT: return vg_event_add_int(ev, fid, flags, v->u.i);
    case VG_V_FLOAT: return vg_event_add_float(ev, fid, flags, v->u.f);
    case VG_V_BOOL: return vg_event_add_bool(ev, fid, flags, v->u.b);
    case VG_V_LIST: return vg_event_add_list(ev, fid, flags, v->u.list, v->len);
    default: return vg_event_add_null(ev, fid, flags);
    }
}

/* Field array full (or near the caps): grow through the event API or drop
 * and count. */
int vg__jmap_add_slow(struct vg__jmap *m, uint32_t fid, uint32_t flags, const struct vg_value *v)
{
    if (m->ev->nfields >= ((flags & VG_FF_SOURCE) ? SOURCE_FIELD_CAP : EV_FIELD_CAP)) {
        m->dropped++;
        return 1;
    }
    return push_value(m->ev, fid, flags, v);
}

/* The name has a role (named[idx - 1]): capture the value, add the alias. */
int vg__jmap_alias(struct vg__jmap *m, uint32_t alias, const struct vg_value *v)
{
    return vg__jmap_add(m, alias, VG_FF_SOURCE, v);
}


int vg__jmap_add_ip(struct vg__jmap *m, uint32_t fid, const struct vg_value *src)
{
    uint8_t a[16];
    if (!src || (src->type != VG_V_STR && src->type != VG_V_IP)) return 0;
    if (!vg_ip_parse(src->u.s, src->len, a)) return 0; /* "-" and friends: not an address */
    struct vg_value v = {.type = VG_V_IP, .len = src->len, .u.s = src->u.s};
    return vg__jmap_add(m, fid, VG_FF_ECS, &v);
}

static __attribute__((noinline)) uint64_t make_plan(const struct vg_json_leaf *lf)
{
    uint32_t p = lf->parent, also = UINT32_MAX;
    if (p == fids.event_eventdata || p == fids.event_system || p == fids.winlog_event_data ||
        lf->grandparent == fids.event_userdata)
        also = vg_json_child_fid(VG_JSON_ROOT, lf->key, lf->klen); /* SigmaHQ names: CommandLine, EventID */
    else if (lf->klen == 5 && p != VG_JSON_ROOT && memcmp(lf->key, "#text", 5) == 0)
        also = p; /* {"#attributes":..,"#text":v} -> parent = v */
    uint64_t pl = ((uint64_t)1 << 32) | (also < VG__FID_LIMIT ? also + 1 : 0);
    atomic_store_explicit(&plan[lf->fid], pl, memory_order_relaxed);
    return pl;
}

/* xmltodict / XML-to-JSON converters write EventData as
 * {"Data":[{"@Name":"Image","#text":"C:\\..."}, ...]} (or one such object
 * when there is one Data element); evtx_dump writes {"Image":"C:\\..."}.
 * Both become Event.EventData.<Name> (and the bare Name), so rules and
 * searches see the same fields. */
static bool is_key(const char *k, uint32_t n, const char *const *names)
{
    for (; *names; names++)
        if (strlen(*names) == n && memcmp(*names, k, n) == 0) return true;
    return false;
}
static const char *const data_name_keys[] = {"@Name", "Name", "@name", "name", NULL};
static const char *const data_text_keys[] = {"#text", "text", "Value", "value", "#value", NULL};

/* Takes the name or the value of a <Data> object from one of its keys. */
static void data_pick(struct vg__jdata *d, const struct vg_json_leaf *lf)
{
    if (is_key(lf->key, lf->klen, data_name_keys) && !d->has_name) { d->name = lf->v; d->has_name = true; }
    else if (is_key(lf->key, lf->klen, data_text_keys) && !d->has_text) { d->text = lf->v; d->has_text = true; }
}

/* Adds Event.EventData.<name> = value (NULL without one) as evtx_dump's shape gives it. */
static int data_named(struct vg__jmap *m, const struct vg__jdata *d)
{
    if (!d->has_name) return 0;
    struct vg_value none = {.type = VG_V_NULL};
    const struct vg_value *name = &d->name, *text = d->has_text ? &d->text : &none;
    if (name->type != VG_V_STR || name->len == 0 || name->len > 256) return 0;
    struct vg_json_leaf lf = {.parent = fids.event_eventdata, .grandparent = UINT32_MAX, .key = name->u.s,
                              .klen = name->len, .depth = 3, .v = *text};
    if (lf.v.type == VG_V_LIST) return 0;
    lf.fid = vg_json_child_fid(fids.event_eventdata, name->u.s, name->len);
    if (lf.fid == UINT32_MAX) { m->dropped++; return 0; }
    return vg__jmap_leaf(m, &lf);
}

static int data_item_leaf(void *ctx, const struct vg_json_leaf *lf)
{
    if (lf->depth == 1) data_pick(ctx, lf);
    return 0;
}

static __attribute__((noinline)) int data_list(struct vg__jmap *m, const struct vg_json_leaf *lf)
{
    const char *s = lf->v.u.s, *e = s + lf->v.len;
    const char *p = s + 1; /* past '[' */
    uint32_t items = 0;
    while (p < e && items < 4096) {
        while (p < e && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' || *p == ',')) p++;
        if (p >= e || *p == ']') break;
        size_t end;
        if (vg_json_value_end(p, (size_t)(e - p), &end, NULL) != 0) break;
        struct vg__jdata d = {0};
        if (*p == '{' && vg_json_flatten(p, end, m->ev->arena, NULL, data_item_leaf, &d, NULL) == 0) {
            int rc = data_named(m, &d);
            if (rc < 0) return rc;
        }
        p += end;
        items++;
    }
    return 0;
}

int vg__jmap_leaf(void *ctx, const struct vg_json_leaf *lf)
{
    struct vg__jmap *m = ctx;
    uint32_t fid = lf->fid;
    if (VG_UNLIKELY(lf->raw_json) && fid == fids.event_eventdata_data && fid != UINT32_MAX) {
        int rc = data_list(m, lf);
        if (rc) return rc;
    }
    if (VG_UNLIKELY(lf->parent == fids.event_eventdata_data) && lf->depth == 4) {
        data_pick(&m->data, lf);
    }
    if (VG_UNLIKELY(fid >= VG__FID_LIMIT)) {
        m->dropped++;
        return 0;
    }
    if (VG_UNLIKELY(seen[fid] == m->gen)) {
        m->dups++; /* {"a":1,"a":2}: keep the first, count the rest */
        return 0;
    }
    uint64_t pl = atomic_load_explicit(&plan[fid], memory_order_relaxed);
    if (VG_UNLIKELY(!pl)) pl = make_plan(lf);
    uint32_t fl = lf->unesc ? VG_FF_SOURCE | VG_FF_UNESC : VG_FF_SOURCE;
    int rc = vg__jmap_add_unseen_inl(m, fid, fl, &lf->v);
    uint32_t also = (uint32_t)pl;
    if (VG_UNLIKELY(rc) || !also) return rc;
    also--;
    if (seen[also] == m->gen) return 0;
    return vg__jmap_add_unseen_inl(m, also, fl, &lf->v);
}

const char *vg__jmap_text(struct vg__jmap *m, enum vg__jcap c, size_t *len)
{
    if (!VG__JMAP_HAVE(m, c)) return NULL;
    return vg__jmap_text_of(m, &m->cap[c], len);
}

const char *vg__jmap_text_of(struct vg__jmap *m, const struct vg_value *v, size_t *len)
{
    if (v->type == VG_V_STR || v->type == VG_V_IP) {
        *len = v->len;
        return v->u.s;
    }
    if (v->type == VG_V_INT) {
        char tmp[24], *e = tmp + sizeof tmp, *q = e;
        uint64_t x = v->u.i < 0 ? (uint64_t)0 - (uint64_t)v->u.i : (uint64_t)v->u.i;
        do { *--q = (char)('0' + x % 10); x /= 10; } while (x);
        if (v->u.i < 0) *--q = '-';
        char *s = vg_arena_strndup(m->ev->arena, q, (size_t)(e - q));
        if (!s) return NULL;
        *len = (size_t)(e - q);
        return s;
    }
    if (v->type == VG_V_FLOAT) {
        char tmp[40];
        size_t n;
        const char *t = vg_value_text(v, tmp, sizeof tmp, &n);
        char *s = vg_arena_strndup(m->ev->arena, t, n);
        if (!s) return NULL;
        *len = n;
        return s;
    }
    return NULL;
}

bool vg__jmap_int(struct vg__jmap *m, enum vg__jcap c, int64_t *out)
{
    if (!VG__JMAP_HAVE(m, c)) return false;
    const struct vg_value *v = &m->cap[c];
    if (v->type == VG_V_INT) {
        *out = v->u.i;
        return true;
    }
    if (v->type != VG_V_STR || v->len == 0) return false;
    const char *s = v->u.s;
    size_t n = v->len;
    while (n && (s[n - 1] == ' ')) n--;
    if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        uint64_t acc = 0;
        if (n - 2 > 16) return false;
        for (size_t i = 2; i < n; i++) {
            unsigned char ch = (unsigned char)s[i];
            int d = ch >= '0' && ch <= '9' ? ch - '0' : (ch | 0x20) >= 'a' && (ch | 0x20) <= 'f' ? (ch | 0x20) - 'a' + 10 : -1;
            if (d < 0) return false;
            acc = acc << 4 | (unsigned)d;
        }
        if (acc > INT64_MAX) return false;
        *out = (int64_t)acc;
        return true;
    }
    return vg_parse_i64(s, n, out) == 0;
}

/* ---- time and host --------------------------------------------------- */

static bool ts_from_value(const struct vg_value *v, int64_t *ns)
{
    if (v->type == VG_V_STR) return vg_time_parse_iso(v->u.s, v->len, ns) == 0;
    if (v->type == VG_V_INT) {
        /* epoch s, ms, us or ns by magnitude; ranges end before the
         * product would overflow int64 ns (year 2262) */
        int64_t x = v->u.i;
        if (x >= 100000000000000000LL) { *ns = x; return true; }                                   /* ns */
        if (x >= 100000000000000LL) { if (x > INT64_MAX / 1000) return false; *ns = x * 1000; return true; } /* us */
        if (x >= 100000000000LL) { if (x > INT64_MAX / 1000000) return false; *ns = x * 1000000; return true; } /* ms */
        if (x >= 100000000LL) { if (x > INT64_MAX / 1000000000LL) return false; *ns = x * 1000000000LL; return true; }
        return false;
    }
    if (v->type == VG_V_FLOAT) {
        double f = v->u.f;
        if (f >= 1e8 && f < 9.2e9) { *ns = (int64_t)(f * 1e9); return true; }
        if (f >= 1e11 && f < 9.2e12) { *ns = (int64_t)(f * 1e6); return true; }
        return false;
    }
    return false;
}

static void set_time(struct vg__jmap *m)
{
    static const enum vg__jcap order[] = {JC_TS_AT, JC_TS_SYSTEMTIME, JC_TS_TIMESTAMP, JC_TS_TIME, JC_TS_TIMECREATED,
                                         JC_TS_UTCTIME};
    for (size_t i = 0; i < VG_ARRAY_LEN(order); i++) {
        int64_t ns;
        if (VG__JMAP_HAVE(m, order[i]) && ts_from_value(&m->cap[order[i]], &ns)) {
            m->ev->ts = ns;
            return;
        }
    }
}

static int set_host(struct vg__jmap *m)
{
    static const enum vg__jcap order[] = {JC_HOST_NAME, JC_HOSTNAME, JC_COMPUTER};
    for (size_t i = 0; i < VG_ARRAY_LEN(order); i++) {
        const struct vg_value *v = &m->cap[order[i]];
        if (!VG__JMAP_HAVE(m, order[i]) || v->type != VG_V_STR || v->len == 0) continue;
        int rc = vg__jmap_add_str(m, VG_FID_HOST_NAME, v->u.s, v->len);
        if (rc) return rc;
        if (!m->ev->host) {
            char *h = vg_arena_strndup(m->ev->arena, v->u.s, v->len);
            if (!h) return VG_ENOMEM;
            m->ev->host = h;
        }
        return 0;
    }
    return 0;
}

int vg__jmap_finish(struct vg__jmap *m, struct vg_err *err)
{
    int drc = data_named(m, &m->data);
    if (drc < 0) return vg_err_set(err, drc, "json: %s", vg_strerror(drc));
    int rc = vg__map_suricata(m);
    if (rc == 0) rc = vg__map_windows(m);
    if (rc < 0) return vg_err_set(err, rc, "json: mapping failed: %s", vg_strerror(rc));
    set_time(m);
    rc = set_host(m);
    if (rc == 0 && m->dropped) rc = vg__jmap_add_int(m, vg__jx[JX_DROPPED], m->dropped);
    if (rc == 0 && m->dups) rc = vg__jmap_add_int(m, vg__jx[JX_DUPLICATES], m->dups);
    if (rc) return vg_err_set(err, rc, "json: %s", vg_strerror(rc));
    return 0;
}

/* ---- the decoders ---------------------------------------------------- */

static int json_probe(const char *buf, size_t len)
{
    size_t i = 0;
    while (i < len && i < 64 && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n')) i++;
    return i < len && buf[i] == '{' ? 90 : 0;
}

/* Whether "\"event_type\"" occurs in s[0..n): the same answer as memmem,
 * but it runs on every JSON record vigil scan reads (1 KiB each), so
 * candidates are found 32 bytes at a time by the needle's '_' (rare in
 * JSON text) and only those are compared. */
static bool has_event_type(const char *s, size_t n)
{
    static const char nd[] = "\"event_type\"";
    if (n < 12) return false;
    size_t i = 6, last = n - 6; /* '_' positions: from 6 (needle at 0) to n-6 (needle ends at n) */
#if defined(__SSE2__)
    const __m128i us = _mm_set1_epi8('_');
    for (; i + 32 <= last + 1; i += 32) {
        __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(s + i + 16));
        uint32_t m = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(a, us)) |
                     (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(b, us)) << 16;
        for (; m; m &= m - 1)
            if (memcmp(s + i + (unsigned)__builtin_ctz(m) - 6, nd, 12) == 0) return true;
    }
#endif
    for (; i <= last; i++)
        if (s[i] == '_' && memcmp(s + i - 6, nd, 12) == 0) return true;
    return false;
}

static int suricata_probe(const char *buf, size_t len)
{
    if (!json_probe(buf, len)) return 0;
    return has_event_type(buf, len < 1024 ? len : 1024) ? 95 : 0;
}

/* Sizes the event's field array once from the number of ':' in the
 * record (keys, roughly), instead of growing it by doubling: saves copies
 * and about half the arena memory per event. */
static _Thread_local uint32_t last_nfields; /* fields of the previous record */

static void presize_fields(struct vg_event *ev, const char *buf, size_t len)
{
    if (ev->cap || ev->nfields) return;
    if (last_nfields) { /* streams are mostly one shape: size like the last record */
        size_t want = last_nfields + 8u;
        if (want > len / 2 + 48) want = len / 2 + 48; /* but never beyond what this record can hold */
        if (want > EV_FIELD_CAP) want = EV_FIELD_CAP;
        struct vg_field *f = vg_arena_alloc(ev->arena, want * sizeof *f);
        if (f) {
            ev->fields = f;
            ev->cap = (uint32_t)want;
        }
        return;
    }
    size_t colons = 0, i = 0;
#if defined(__SSE2__)
    const __m128i colon = _mm_set1_epi8(':'), zero = _mm_setzero_si128();
    while (i + 16 <= len) {
        __m128i acc = zero; /* per-byte counters, summed before they can wrap */
        for (int k = 0; k < 255 && i + 16 <= len; k++, i += 16)
            acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(buf + i)), colon));
        __m128i sum = _mm_sad_epu8(acc, zero);
        colons += (size_t)_mm_cvtsi128_si32(sum) + (size_t)_mm_cvtsi128_si32(_mm_unpackhi_epi64(sum, sum));
    }
#endif
    for (; i < len; i++) colons += buf[i] == ':';
    /* Windows records store most names twice (dotted and bare) plus ~30
     * mapped names; other JSON once. Too small just means one regrowth. */
    size_t want = colons + colons / 2 + 32;
    if (want > EV_FIELD_CAP) want = EV_FIELD_CAP;
    struct vg_field *f = vg_arena_alloc(ev->arena, want * sizeof *f);
    if (!f) return; /* the event grows its array itself */
    ev->fields = f;
    ev->cap = (uint32_t)want;
}

int vg__json_decode(struct vg_event *ev, const char *buf, size_t len, bool map, struct vg_err *err)
{
    struct vg__jmap m;
    presize_fields(ev, buf, len);
    vg__jmap_begin(&m, ev);
    int rc = vg_json_flatten(buf, len, ev->arena, NULL, vg__jmap_leaf, &m, err);
    if (rc == 0 && map) rc = vg__jmap_finish(&m, err);
    last_nfields = ev->nfields;
    return rc;
}

static int json_decode(struct vg_event *ev, const char *buf, size_t len, struct vg_err *err)
{
    return vg__json_decode(ev, buf, len, true, err);
}

const struct vg_decoder vg_dec_json = {
    .name = "json",
    .desc = "JSON object: nested keys flattened to dotted names; Windows (evtx_dump, Winlogbeat) and Suricata EVE "
            "shapes mapped to ECS",
    .kind = VG_DEC_FORMAT,
    .probe = json_probe,
    .decode = json_decode,
};

const struct vg_decoder vg_dec_json_suricata = {
    .name = "json+suricata",
    .desc = "Suricata EVE JSON (the json decoder, chosen when \"event_type\" is near the start)",
    .kind = VG_DEC_FORMAT,
    .probe = suricata_probe,
    .decode = json_decode,
};
