/* Threat intelligence (detect layer): IoC feeds compiled into lookup
 * structures and matched against events (docs/internals/intel.md).
 *
 * Life cycle: vg_intel_builder_new -> vg_intel_load_* (STIX 2.1 bundles,
 * MISP events, MISP warninglists, plain text/CSV lists; from memory or
 * files) -> vg_intel_build -> an immutable, reference-counted
 * vg_intel_set that any number of threads match concurrently
 * (vg_intel_match_event / vg_intel_check_value). A feed refresh builds a
 * new set and swaps it (vg_intel_slot); matchers holding the old one keep
 * it alive through their reference.
 *
 * Semantics in short: an indicator is a list of atoms joined by OR; an
 * atom is (type, value): an IPv4/IPv6 CIDR (an address is a /32 or /128),
 * a domain (matches the name and its subdomains), a hostname (exact), a
 * URL (exact, case-insensitive), a hash (md5/sha1/sha256/sha512 by hex
 * length) or an e-mail address. STIX patterns with AND, qualifiers or
 * unsupported operators are rejected with a reason. A hit is suppressed
 * when the event's value is on a loaded warninglist, and does not count
 * when the event time lies outside the indicator's validity. */
#ifndef VIGIL_INTEL_H
#define VIGIL_INTEL_H

#include "vigil/event.h"

enum vg_intel_type {
    VG_INTEL_IP = 0,      /* IPv4/IPv6 address or CIDR */
    VG_INTEL_DOMAIN,      /* domain and its subdomains */
    VG_INTEL_HOSTNAME,    /* exact host name */
    VG_INTEL_URL,
    VG_INTEL_MD5,
    VG_INTEL_SHA1,
    VG_INTEL_SHA256,
    VG_INTEL_SHA512,
    VG_INTEL_EMAIL,
    VG_INTEL_NTYPES
};
const char *vg_intel_type_name(int type);

/* One indicator (STIX indicator, MISP attribute, list line). Strings are
 * owned by the set. valid_from/valid_until are UTC ns; INT64_MIN/INT64_MAX
 * when unbounded. confidence is 0..100, or -1 when the source gave none. */
struct vg_intel_indicator {
    const char *id;
    const char *name;
    const char *feed;
    const char *pattern;     /* STIX pattern or "type:value" */
    const char *labels;      /* comma-joined labels / tags, or NULL */
    int confidence;
    int64_t valid_from, valid_until;
};

/* A rejection or note from loading (strings owned by the report). */
struct vg_intel_reject {
    char *feed;
    char *id;      /* indicator / attribute id, or NULL */
    char *reason;
};

#define VG_INTEL_MAX_REJECTS 1000  /* entries kept; counts are always exact */

struct vg_intel_report {
    size_t files;
    size_t objects;          /* STIX objects / MISP attributes / list lines seen */
    size_t indicators;       /* candidate indicators (STIX type indicator, to_ids attributes, values) */
    size_t accepted;
    size_t rejected;
    size_t skipped;          /* not IoCs by design: MISP to_ids false, non-indicator STIX objects */
    size_t parts_dropped;    /* OR-branches dropped from an accepted pattern (listed as notes) */
    size_t warninglist_entries;
    size_t atoms[VG_INTEL_NTYPES];
    struct vg_intel_reject *rej;   size_t nrej;   /* rejections (capped) */
    struct vg_intel_reject *notes; size_t nnotes; /* dropped parts (capped) */
};
#define VG_INTEL_REPORT_INIT {0}
void vg_intel_report_release(struct vg_intel_report *rep);

struct vg_intel_builder;
struct vg_intel_set;

/* New empty builder; NULL on OOM. */
struct vg_intel_builder *vg_intel_builder_new(void);
void vg_intel_builder_free(struct vg_intel_builder *b);

/* Loaders. data need not be NUL-terminated; feed names the source in hits
 * (copied). Return 0 when the document was read (individual indicators may
 * still be rejected: see rep), VG_EPARSE/VG_EFORMAT when the document as a
 * whole is unusable (counted as one rejection with the reason),
 * VG_ETOOBIG beyond the caps, VG_ENOMEM. */
int vg_intel_load_stix(struct vg_intel_builder *b, const char *feed, const char *data, size_t len,
                       struct vg_intel_report *rep);
int vg_intel_load_misp(struct vg_intel_builder *b, const char *feed, const char *data, size_t len,
                       struct vg_intel_report *rep);
/* A MISP warninglist (list.json: type string/cidr/hostname/substring). */
int vg_intel_load_warninglist(struct vg_intel_builder *b, const char *data, size_t len,
                              struct vg_intel_report *rep);
/* One value per line, or CSV `value[,type[,...]]`; '#' comments. */
int vg_intel_load_text(struct vg_intel_builder *b, const char *feed, const char *data, size_t len,
                       struct vg_intel_report *rep);
/* Detects the format (STIX bundle, MISP event, warninglist, text). */
int vg_intel_load_buffer(struct vg_intel_builder *b, const char *feed, const char *data, size_t len,
                         struct vg_intel_report *rep);
/* A file (format detected, feed = file name) or a directory (every
 * *.json, *.txt, *.csv below it, recursively). VG_EIO when unreadable. */
int vg_intel_load_path(struct vg_intel_builder *b, const char *path, struct vg_intel_report *rep);
/* Adds one value of a known type as an indicator (used by bench and tests).
 * VG_EINVAL when the value does not parse as that type. */
int vg_intel_add(struct vg_intel_builder *b, int type, const char *value, size_t len,
                 const struct vg_intel_indicator *meta);

/* Compiles the builder's contents into a set holding one reference and
 * frees the builder (also on failure). NULL on OOM (err says so). */
struct vg_intel_set *vg_intel_build(struct vg_intel_builder *b, struct vg_err *err);
struct vg_intel_set *vg_intel_set_ref(struct vg_intel_set *s);
void vg_intel_set_unref(struct vg_intel_set *s);

struct vg_intel_stats {
    size_t indicators;
    size_t atoms[VG_INTEL_NTYPES];
    size_t ip_prefixes, ip_intervals4, ip_intervals6;
    size_t strings;              /* unique string keys */
    size_t wl_entries;
    size_t bytes;                /* memory held by the compiled structures */
};
void vg_intel_stats(const struct vg_intel_set *s, struct vg_intel_stats *out);
/* The set's indicators (owned by the set), in load order. */
const struct vg_intel_indicator *vg_intel_indicators(const struct vg_intel_set *s, size_t *n);

/* A hit. Pointers reference the set (indicator) and the event (value). */
struct vg_intel_hit {
    const struct vg_intel_indicator *ind;
    uint32_t fid;              /* event field id (UINT32_MAX for check_value) */
    uint8_t type;              /* enum vg_intel_type of the matched atom */
    const char *value;         /* the event's value */
    uint32_t value_len;
};

struct vg_intel_match_stats {
    uint64_t events, lookups, hits, suppressed, expired;
};

/* Checks every intel-relevant field of ev (source/destination/host/client/
 * server .ip, dns.question.name, url.domain, *.domain, url.full/original,
 * file/process/dll hashes, Sysmon `Hashes`, email addresses) at time
 * ev->ts. Writes up to max hits and returns the number of hits found (may
 * exceed max: only max are written). st may be NULL. Thread-safe. */
size_t vg_intel_match_event(const struct vg_intel_set *s, const struct vg_event *ev, struct vg_intel_hit *hits,
                            size_t max, struct vg_intel_match_stats *st);
/* Checks one value (type detected: IP, hash, URL, e-mail, domain) at time
 * ts (INT64_MIN: ignore validity). Same return contract. *suppressed (if
 * not NULL) is set when a warninglist suppressed hits. */
size_t vg_intel_check_value(const struct vg_intel_set *s, const char *value, size_t len, int64_t ts,
                            struct vg_intel_hit *hits, size_t max, bool *suppressed);
/* Analyst look-up: every indicator holding value (type detected), at any
 * time and whether or not a warninglist lists it (ask
 * vg_intel_warninglisted for that). Same return contract. */
size_t vg_intel_lookup(const struct vg_intel_set *s, const char *value, size_t len, struct vg_intel_hit *hits,
                       size_t max);
/* Is value on a loaded warninglist (type detected)? */
bool vg_intel_warninglisted(const struct vg_intel_set *s, const char *value, size_t len);

/* Turns a hit on ev into an alert record (include/vigil/alert.h), all of
 * it copied into arena: rule_id "intel:<indicator id>", title "Threat
 * intel match: <name>", level from confidence (>= 85 high, >= 50 or none
 * medium, else low), category "threat_intel", rule_file = feed, tags
 * "intel.feed:<feed>", "intel.type:<type>", "intel.confidence:<n>",
 * "intel.valid_from:<time>", "intel.valid_until:<time>" (when bounded) and
 * the indicator's labels, the matched field and value, entities and
 * origin like Sigma alerts; JSON serialised. Returns 0, VG_EINVAL,
 * VG_ENOMEM. */
struct vg_alert;
int vg_intel_alert_build(struct vg_alert *a, struct vg_arena *arena, const struct vg_intel_hit *hit,
                         const struct vg_event *ev, int64_t now);

/* A swap slot: holds the current set for readers while a refresh builds
 * the next one. get returns a new reference (NULL when empty): release it
 * with vg_intel_set_unref. put takes over the caller's reference. */
struct vg_intel_slot;
struct vg_intel_slot *vg_intel_slot_new(void);
void vg_intel_slot_free(struct vg_intel_slot *sl);
struct vg_intel_set *vg_intel_slot_get(struct vg_intel_slot *sl);
void vg_intel_slot_put(struct vg_intel_slot *sl, struct vg_intel_set *s);
/* Like put, but returns the previous set (with the slot's reference, NULL
 * when empty) instead of dropping it. */
struct vg_intel_set *vg_intel_slot_swap(struct vg_intel_slot *sl, struct vg_intel_set *s);
/* Drops the caller's reference to s after waiting (polling each 1 ms, up to
 * timeout_ms) until it is the last one, so the set is freed by this thread
 * rather than by a matcher. Returns true when it was freed here; NULL-safe. */
bool vg_intel_set_release_last(struct vg_intel_set *s, int timeout_ms);

#endif
