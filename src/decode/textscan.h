/* Small text-scanning helpers shared by the syslog-family decoders
 * (dec_rfc3164.c, dec_sshd.c, dec_auditd.c ...): bounded prefix/substring
 * tests, token and key=value scanning over [p, end) ranges that point into
 * ev->raw, cached field-name ids, and "add if valid" field helpers.
 * Nothing here allocates except the unescape/hex helpers (event arena). */
#ifndef VG_DECODE_TEXTSCAN_H
#define VG_DECODE_TEXTSCAN_H
#include "vigil/decode.h"
#include <stdatomic.h>

/* Cached ids for non-well-known field names: one table per decoder file,
 * filled once (thread-safe) by ts_fids(). */
struct vg__fidtab {
    _Atomic int ready;
    const char *const *names;  /* n names */
    uint32_t *ids;             /* n ids, filled on first use */
    size_t n;
};
void vg__ts_fids_init(struct vg__fidtab *t);
static inline void ts_fids(struct vg__fidtab *t)
{
    if (!atomic_load_explicit(&t->ready, memory_order_acquire)) vg__ts_fids_init(t);
}
#define VG_FIDTAB(names, ids) {0, names, ids, VG_ARRAY_LEN(names)}

static inline bool ts_starts(const char *p, const char *end, const char *lit)
{
    size_t n = strlen(lit);
    return (size_t)(end - p) >= n && memcmp(p, lit, n) == 0;
}

/* First occurrence of lit in [p, end), or NULL. */
const char *vg__ts_find(const char *p, const char *end, const char *lit);
/* Last occurrence of lit in [p, end), or NULL. */
const char *vg__ts_rfind(const char *p, const char *end, const char *lit);

static inline const char *ts_skip_sp(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t')) p++;
    return p;
}
/* End of the token starting at p (stops at space/tab). */
static inline const char *ts_tok_end(const char *p, const char *end)
{
    while (p < end && *p != ' ' && *p != '\t') p++;
    return p;
}
static inline const char *ts_rtrim(const char *p, const char *end)
{
    while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' || end[-1] == '\n')) end--;
    return end;
}

/* True when [p, p+n) is an IPv4/IPv6 address. */
bool vg__ts_is_ip(const char *p, size_t n);

/* Adds s as `ecs_fid` (VG_V_IP) when it is an address; otherwise, when
 * alt_fid != UINT32_MAX, as that field (e.g. source.address/domain). */
int vg__ts_add_ip_or(struct vg_event *ev, uint32_t ecs_fid, uint32_t alt_fid, const char *s, size_t n);
/* Adds an integer field when [s, s+n) is a decimal number, else nothing.
 * Returns 0 either way unless the event is out of memory. */
int vg__ts_add_int(struct vg_event *ev, uint32_t fid, uint32_t flags, const char *s, size_t n);
/* Adds a string only when the event has no field with that id yet. */
int vg__ts_add_once(struct vg_event *ev, uint32_t fid, uint32_t flags, const char *s, size_t n);
/* Sets event.action / event.category / event.outcome (NULL = leave out). */
int vg__ts_action(struct vg_event *ev, const char *action, const char *category, const char *outcome);

/* key=value scanning: *pp advances over one pair. Values may be quoted
 * with " or ' (quotes excluded from the value; an unterminated quote runs
 * to end); GS (0x1d) counts as a space. Tokens without '=' are returned
 * with klen set, vlen == 0 and has_eq false. Returns false at end. */
struct vg__kv {
    const char *k, *v;
    size_t klen, vlen;
    bool has_eq;
    char quote;       /* 0, '"' or '\'' */
};
bool vg__ts_kv_next(const char **pp, const char *end, char sep, struct vg__kv *kv);

/* Returns [s, s+n) with backslash escapes (\" \\ \xHH \] ) resolved: the
 * same pointer when there is none, otherwise a copy in the event arena.
 * NULL on OOM. */
const char *vg__ts_unescape(struct vg_event *ev, const char *s, size_t n, size_t *out_n);
/* Decodes an even-length hex string into the arena, turning NUL bytes into
 * spaces (auditd proctitle/argv). NULL when not hex or on OOM. */
const char *vg__ts_hexdecode(struct vg_event *ev, const char *s, size_t n, size_t *out_n);
bool vg__ts_is_hex(const char *s, size_t n);

/* Years the decoders accept: vg_time_* work in int64 nanoseconds, which
 * overflow outside 1678..2262. */
#define VG_TS_YEAR_MIN 1900
#define VG_TS_YEAR_MAX 2200
/* vg_time_parse_iso() for [s, s+n) after checking the year is in range. */
int vg__ts_parse_iso(const char *s, size_t n, int64_t *ns);

/* Month name ("Jan".."Dec", case-insensitive) -> 1..12, or 0. */
int vg__ts_month(const char *p);
/* Parses the Apache/nginx time "10/Oct/2000:13:55:36 -0700" into UTC ns. */
int vg__ts_parse_clf_time(const char *p, size_t n, int64_t *ns);

/* Options of the vg_decode() call in progress on this thread (set by the
 * chain before running decoders; decoders called directly see zeroes). */
extern _Thread_local int64_t vg__decode_default_year;

/* Shared by the RFC 3164 and RFC 5424 decoders: adds log.syslog.priority,
 * facility/severity codes and names for a PRI value 0..191. */
int vg__ts_add_pri(struct vg_event *ev, int pri);
/* Adds process.name (basename) and, for a path, process.executable. */
int vg__ts_add_program(struct vg_event *ev, const char *s, size_t n);

#endif
