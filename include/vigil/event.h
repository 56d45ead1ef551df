/* The normalised event (DESIGN §3): tenant, time, origin, raw bytes and a flat
 * list of typed fields whose names are interned to small integer ids.
 *
 * Ownership: an event's raw bytes, field array and copied strings belong to
 * the arena given at vg_event_init (normally one arena per batch). String
 * values may point into raw. Nothing in an event is freed individually.
 * Invariant: fields[0..nfields) hold at most one entry per name id, except
 * that vg_event_add_* appends without checking (decoders add each name once;
 * vg_event_set_* replaces). */
#ifndef VIGIL_EVENT_H
#define VIGIL_EVENT_H

#include "vigil/core.h"

enum vg_vtype {
    VG_V_NULL = 0,
    VG_V_STR,   /* s/len */
    VG_V_INT,   /* i */
    VG_V_FLOAT, /* f */
    VG_V_BOOL,  /* b */
    VG_V_IP,    /* s/len holds the address text, validated as IPv4/IPv6 */
    VG_V_LIST,  /* list/n: array of strings */
};

struct vg_str { const char *s; uint32_t len; };

struct vg_value {
    uint8_t type;           /* enum vg_vtype */
    uint32_t len;           /* bytes of s, or entries of list */
    union {
        const char *s;
        int64_t i;
        double f;
        bool b;
        const struct vg_str *list;
    } u;
};

/* Field flags: which name space the name belongs to. */
#define VG_FF_ECS    0x1u  /* Elastic Common Schema name */
#define VG_FF_SOURCE 0x2u  /* name as the source wrote it */
/* The value is a string of the raw text with its escapes decoded, every
 * escape one of the two-character JSON escapes (\" \\ \/ \b \f \n \r \t;
 * no \uXXXX): between the characters those produce, its bytes are bytes of
 * the raw text. Not stored (the store keeps VG_FF_ECS | VG_FF_SOURCE). */
#define VG_FF_UNESC  0x4u

struct vg_field {
    uint32_t name;          /* interned field id (vg_fid) */
    uint32_t flags;         /* VG_FF_* */
    struct vg_value v;
};

#define VG_EV_DECODE_FAILED 0x1u  /* no decoder understood it; raw kept */
#define VG_EV_TS_FROM_RECV  0x2u  /* timestamp is the receive time */
#define VG_EV_ID_DEFERRED   0x4u  /* id not computed (vg_decode_opts.defer_id): read it with vg_event_id */

struct vg_event {
    uint8_t id[16];          /* stable id: tenant, host, ts, raw (vg_event_finish) */
    int64_t ts;              /* event time, UTC ns */
    int64_t recv_ts;         /* when Vigil received it, UTC ns */
    const char *tenant;      /* tenant id ("default") */
    const char *host;        /* origin host: reported host name or sender address */
    const char *collector;   /* input that received it: "syslog-udp", "http", "file" ... */
    const char *format;      /* decoder chain, e.g. "rfc3164+sshd" */
    const char *raw;         /* original bytes (arena-owned), not NUL-terminated */
    uint32_t raw_len;
    uint32_t flags;          /* VG_EV_* */
    uint32_t nfields, cap;
    struct vg_field *fields;
    struct vg_arena *arena;  /* owner of all of the above */
    uint64_t seq;            /* source-specific sequence (line/record number), 0 if none */
};

/* ---- interned field names ------------------------------------------- */
/* Well-known field ids, fixed at compile time (include/vigil/fields.def). */
enum vg_fid_known {
#define F(id, name) id,
#include "vigil/fields.def"
#undef F
    VG_FID__KNOWN_COUNT
};

/* Interns a field name and returns its id (thread-safe; names of at most
 * 255 bytes; returns UINT32_MAX when the table is full or the name is
 * invalid). The same name always yields the same id in one process. */
uint32_t vg_fid(const char *name, size_t len);
/* Looks a name up without interning it; UINT32_MAX if unknown. */
uint32_t vg_fid_lookup(const char *name, size_t len);
/* The name of an id (static lifetime), or NULL. */
const char *vg_fid_name(uint32_t id, size_t *len);
uint32_t vg_fid_count(void);

/* ---- building events ------------------------------------------------- */
void vg_event_init(struct vg_event *ev, struct vg_arena *arena);
/* Copies raw into the arena and sets ev->raw. */
int vg_event_set_raw(struct vg_event *ev, const char *raw, size_t len);
/* Append a field. Strings are referenced (must live as long as the arena:
 * point into ev->raw or arena memory) unless the _copy variant is used. */
int vg_event_add_str(struct vg_event *ev, uint32_t fid, uint32_t flags, const char *s, size_t len);
int vg_event_add_str_copy(struct vg_event *ev, uint32_t fid, uint32_t flags, const char *s, size_t len);
int vg_event_add_int(struct vg_event *ev, uint32_t fid, uint32_t flags, int64_t v);
int vg_event_add_float(struct vg_event *ev, uint32_t fid, uint32_t flags, double v);
int vg_event_add_bool(struct vg_event *ev, uint32_t fid, uint32_t flags, bool v);
int vg_event_add_null(struct vg_event *ev, uint32_t fid, uint32_t flags);
/* Adds as VG_V_IP when the text is a valid address, else as a string. */
int vg_event_add_ip(struct vg_event *ev, uint32_t fid, uint32_t flags, const char *s, size_t len);
int vg_event_add_list(struct vg_event *ev, uint32_t fid, uint32_t flags, const struct vg_str *items, size_t n);
/* Replaces the value of an existing field (or adds it). */
int vg_event_set_str(struct vg_event *ev, uint32_t fid, uint32_t flags, const char *s, size_t len);
/* Convenience: by name (interned on the fly). */
int vg_event_add_named(struct vg_event *ev, const char *name, uint32_t flags, const char *s, size_t len);

/* Returns the first field with that id or NULL. */
const struct vg_field *vg_event_get(const struct vg_event *ev, uint32_t fid);
/* String view of a field's value: STR/IP as is, others formatted into buf. */
const char *vg_value_text(const struct vg_value *v, char *buf, size_t bufsz, size_t *len);
/* Computes ev->id from tenant, host, ts and raw; call after decoding.
 * Clears VG_EV_ID_DEFERRED. */
void vg_event_finish(struct vg_event *ev);
/* The event's id into out: ev->id, or computed now (same value as
 * vg_event_finish would give) when VG_EV_ID_DEFERRED is set. For paths
 * that only need the ids of the few events that alert (vigil scan). */
void vg_event_id(const struct vg_event *ev, uint8_t out[16]);
/* Serialises the event as one JSON object (id, @timestamp, tenant, host,
 * collector, format, message = raw, and every field by name). */
int vg_event_to_json(const struct vg_event *ev, struct vg_buf *out);

/* Parses an IPv4/IPv6 address text; returns 4 or 16 (bytes written to out),
 * or 0 if not an address. */
int vg_ip_parse(const char *s, size_t len, uint8_t out[16]);

/* ---- batches --------------------------------------------------------- */
struct vg_alert;
/* A batch of events sharing one arena: the unit handed between stages.
 * Invariant: every ev[i].arena == &arena. */
struct vg_batch {
    struct vg_arena arena;
    struct vg_event *ev;     /* vg_malloc'd array */
    size_t n, cap;
    void *ack;               /* opaque: acknowledgement handle of the source */
    void (*on_commit)(void *ack, int status); /* called by the store writer after commit */
    /* Appended by the alerts slice (backward compatible: zero = none).
     * Alerts the detect hook made for events of this batch, a list linked
     * through vg_alert.next and allocated on the batch arena (freed with
     * it); the store writer commits them in the same transaction as the
     * events (include/vigil/alert.h). Whoever resets the arena resets these. */
    struct vg_alert *alerts;
    size_t nalerts;
};
struct vg_batch *vg_batch_new(size_t cap_hint);
/* Appends a fresh event initialised on the batch arena; NULL on OOM. */
struct vg_event *vg_batch_push(struct vg_batch *b);
void vg_batch_free(struct vg_batch *b);

#endif
