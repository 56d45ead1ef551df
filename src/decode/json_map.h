/* Private to the JSON / Windows-event decoders (dec_json.c, map_windows.c,
 * map_suricata.c, evtx.c): the per-record mapping context that turns
 * flattened leaves into event fields, remembers the values the shape
 * mappers need ("captures"), and adds the ECS names afterwards.
 *
 * Flow: vg__jmap_begin -> vg__jmap_leaf for every leaf (from the JSON
 * walker or the EVTX XML parser) -> vg__jmap_finish (shape detection,
 * Windows / Suricata ECS mapping, timestamp, host). */
#ifndef VG_DECODE_JSON_MAP_H
#define VG_DECODE_JSON_MAP_H
#include "vigil/json.h"
#include <stdatomic.h>

/* Values remembered while walking, by the name they arrived under. */
enum vg__jcap {
    JC_NONE = 0,
    /* time and host */
    JC_TS_AT, JC_TS_TIMESTAMP, JC_TS_TIME, JC_TS_TIMECREATED, JC_TS_SYSTEMTIME, JC_TS_UTCTIME,
    JC_HOST_NAME, JC_HOSTNAME, JC_COMPUTER,
    /* Windows System (bare names) */
    JC_EVENTID, JC_CHANNEL, JC_PROVIDER, JC_RECORDID,
    /* Windows EventData (bare names) */
    JC_IMAGE, JC_NEWPROCNAME, JC_CMDLINE, JC_PARENTIMAGE, JC_PARENTPROCNAME, JC_PARENTCMD, JC_PROCID,
    JC_NEWPROCID, JC_PPID, JC_CURDIR, JC_USER, JC_TUSER, JC_TDOMAIN, JC_SUSER, JC_SDOMAIN, JC_IPADDR,
    JC_IPPORT, JC_SRCIP, JC_SRCPORT, JC_DSTIP, JC_DSTPORT, JC_PROTOCOL, JC_DSTHOST, JC_TFILE, JC_QUERYNAME,
    JC_TOBJECT, JC_SERVICENAME, JC_LOGONTYPE, JC_ORIGFILE, JC_IMAGELOADED, JC_TUSERSID, JC_SUSERSID,
    /* Suricata EVE */
    JC_EVENT_TYPE, JC_FLOW_ID, JC_SRC_IP, JC_SRC_PORT, JC_DEST_IP, JC_DEST_PORT, JC_PROTO, JC_APP_PROTO,
    JC_ALERT_SIG, JC_ALERT_SID, JC_ALERT_SEV, JC_ALERT_CAT, JC_ALERT_ACTION, JC_DNS_RRNAME, JC_DNS_RRTYPE,
    JC_HTTP_HOST, JC_HTTP_URL, JC_HTTP_METHOD, JC_HTTP_UA, JC_HTTP_STATUS, JC_HTTP_REFER, JC_TLS_SNI,
    JC__COUNT
};

/* One xmltodict-style <Data> element: {"@Name": n, "#text": v}. */
struct vg__jdata {
    struct vg_value name, text;
    bool has_name, has_text;
};

struct vg__jmap {
    struct vg_event *ev;
    uint32_t gen;                       /* generation stamp in the per-thread "seen" table */
    uint32_t dropped;                   /* leaves not stored: name not internable, event full */
    uint32_t dups;                      /* later duplicates of a name already stored */
    uint64_t have[2];                   /* bit c set: cap[c] is valid */
    struct vg_value cap[JC__COUNT];
    struct vg__jdata data;              /* xmltodict-style EventData with one <Data>: {"Data":{"@Name":n,"#text":v}} */
};

#define VG__JMAP_HAVE(m, c) (((m)->have[(c) >> 6] >> ((c) & 63)) & 1)

/* Field ids of the container names the mappers test leaves against. */
struct vg__jfids {
    uint32_t event_system, event_eventdata, event_userdata, winlog_event_data;
    uint32_t event_eventdata_data;      /* Event.EventData.Data (xmltodict: a list of {"@Name","#text"}) */
    uint32_t text;                      /* "#text" as a bare name: never stored */
};
const struct vg__jfids *vg__jfids(void);

void vg__jmap_begin(struct vg__jmap *m, struct vg_event *ev);

/* ---- the add path, inline for the mappers ---------------------------- */
#define VG__FID_LIMIT (1u << 16)                 /* intern.c caps ids below this */
#define EV_FIELD_CAP 4096u                       /* event.c hard cap per event */
#define SOURCE_FIELD_CAP (EV_FIELD_CAP - 128u)   /* leave room for mapped names */
/* Per field id: 0 = not classified yet, else INFO_DONE | INFO_ECS? |
 * (index into the named-roles table + 1). Racy first classification is
 * idempotent. */
#define INFO_DONE 0x8000u
#define INFO_ECS 0x4000u
extern _Atomic uint16_t vg__jfinfo[VG__FID_LIMIT];
/* Per-thread "already on this event" stamps (see vg__jmap_begin). */
extern _Thread_local uint16_t vg__jseen[VG__FID_LIMIT];
uint16_t vg__jinfo_slow(uint32_t fid);
int vg__jmap_add_slow(struct vg__jmap *m, uint32_t fid, uint32_t flags, const struct vg_value *v);
int vg__jmap_alias(struct vg__jmap *m, uint32_t alias, const struct vg_value *v);
/* Role of a name with INFO index i (1..): capture slot and alias id. */
struct vg__jrole {
    uint32_t alias;   /* also store under this id, 0 = none */
    uint8_t cap;      /* enum vg__jcap, 0 = none */
};
extern struct vg__jrole vg__jrole[256];

static inline uint16_t vg__jinfo(uint32_t fid)
{
    uint16_t i = atomic_load_explicit(&vg__jfinfo[fid], memory_order_relaxed);
    return VG_LIKELY(i) ? i : vg__jinfo_slow(fid);
}

/* fid < VG__FID_LIMIT and not yet on the event. Always inlined into the
 * per-leaf path (vg__jmap_leaf); the mappers call the plain version. */
static inline __attribute__((always_inline)) int vg__jmap_add_unseen_inl(struct vg__jmap *m, uint32_t fid,
                                                                        uint32_t flags, const struct vg_value *v)
{
    struct vg_event *ev = m->ev;
    vg__jseen[fid] = (uint16_t)m->gen;
    uint16_t info = vg__jinfo(fid);
    if (info & INFO_ECS) flags |= VG_FF_ECS;
    uint32_t n = ev->nfields;
    if (VG_LIKELY(n < ev->cap && n < SOURCE_FIELD_CAP)) { /* room: write in place, as vg_event_add_* would */
        struct vg_field *f = &ev->fields[n];
        ev->nfields = n + 1;
        f->name = fid;
        f->flags = flags;
        f->v = *v;
    } else {
        int rc = vg__jmap_add_slow(m, fid, flags, v);
        if (rc) return rc < 0 ? rc : 0;
    }
    if (info & 0xFFu) {
        const struct vg__jrole *r = &vg__jrole[info & 0xFFu];
        unsigned c = r->cap;
        if (c && !VG__JMAP_HAVE(m, c)) {
            m->cap[c] = *v;
            m->have[c >> 6] |= (uint64_t)1 << (c & 63);
        }
        if (r->alias) return vg__jmap_alias(m, r->alias, v);
    }
    return 0;
}

static inline int vg__jmap_add_unseen(struct vg__jmap *m, uint32_t fid, uint32_t flags, const struct vg_value *v)
{
    return vg__jmap_add_unseen_inl(m, fid, flags, v);
}

/* Adds a field unless the name is already on the event (first wins). */
static inline int vg__jmap_add(struct vg__jmap *m, uint32_t fid, uint32_t flags, const struct vg_value *v)
{
    if (VG_UNLIKELY(fid >= VG__FID_LIMIT)) {
        m->dropped++;
        return 0;
    }
    if (vg__jseen[fid] == m->gen) return 0;
    return vg__jmap_add_unseen(m, fid, flags, v);
}

static inline int vg__jmap_add_str(struct vg__jmap *m, uint32_t fid, const char *s, size_t len)
{
    struct vg_value v = {.type = VG_V_STR, .len = (uint32_t)len, .u.s = s};
    return vg__jmap_add(m, fid, VG_FF_ECS, &v);
}

static inline int vg__jmap_add_int(struct vg__jmap *m, uint32_t fid, int64_t i)
{
    struct vg_value v = {.type = VG_V_INT, .u.i = i};
    return vg__jmap_add(m, fid, VG_FF_ECS, &v);
}
/* vg_json_leaf_fn: stores the leaf (plus bare Windows names and aliases)
 * and captures what the mappers need. */
int vg__jmap_leaf(void *ctx, const struct vg_json_leaf *lf);
int vg__jmap_add_ip(struct vg__jmap *m, uint32_t fid, const struct vg_value *v);
/* Runs shape detection and mapping, sets ts and host. Returns 0 or VG_ENOMEM. */
int vg__jmap_finish(struct vg__jmap *m, struct vg_err *err);

/* Text of a captured scalar (strings as is, numbers formatted into the
 * arena). NULL when absent or not a scalar. */
const char *vg__jmap_text(struct vg__jmap *m, enum vg__jcap c, size_t *len);
const char *vg__jmap_text_of(struct vg__jmap *m, const struct vg_value *v, size_t *len);
/* Integer of a captured value: INT as is, decimal or 0x-hex strings. */
bool vg__jmap_int(struct vg__jmap *m, enum vg__jcap c, int64_t *out);

/* Test hook of json_scan.c: which scanner paths run. 0 = the reference
 * (scalar, exact) paths only, 1 = the fast paths (default). Returns the
 * previous level. Results must not depend on it (tests compare). */
int vg__json_impl(int level);

/* The json decoder; map = false stops after flattening (source names,
 * bare Windows names, captures) without shape mapping, time and host:
 * used by bench_json to show what the mapping costs. */
int vg__json_decode(struct vg_event *ev, const char *buf, size_t len, bool map, struct vg_err *err);

/* Shape mappers (map_windows.c, map_suricata.c): return 1 when they
 * recognised and mapped the record, 0 when not theirs, negative on OOM. */
int vg__map_windows(struct vg__jmap *m);
int vg__map_suricata(struct vg__jmap *m);

/* Mapper output names that fields.def does not have, interned once. */
#define VG__JX_LIST \
    X(JX_PROCESS_NAME_UNUSED, "process.name") \
    X(JX_PARENT_CMD, "process.parent.command_line") \
    X(JX_PARENT_NAME, "process.parent.name") \
    X(JX_PE_ORIGINAL, "process.pe.original_file_name") \
    X(JX_USER_DOMAIN, "user.domain") \
    X(JX_USER_TARGET_DOMAIN, "user.target.domain") \
    X(JX_REGISTRY_PATH, "registry.path") \
    X(JX_SERVICE_NAME, "service.name") \
    X(JX_LOGON_TYPE, "winlog.logon.type") \
    X(JX_DEST_DOMAIN, "destination.domain") \
    X(JX_DNS_QTYPE, "dns.question.type") \
    X(JX_RULE_CATEGORY, "rule.category") \
    X(JX_OBSERVER_VENDOR, "observer.vendor") \
    X(JX_TLS_SNI, "tls.client.server_name") \
    X(JX_WINLOG_USER_ID, "winlog.user.identifier") \
    X(JX_DROPPED, "vigil.dropped_fields") \
    X(JX_DUPLICATES, "vigil.duplicate_fields")

enum vg__jx {
#define X(id, name) id,
    VG__JX_LIST
#undef X
    JX__COUNT
};
/* Ids of the VG__JX_LIST names (valid after vg__jfids() was called). */
extern uint32_t vg__jx[JX__COUNT];

#endif
