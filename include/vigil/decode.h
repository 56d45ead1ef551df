/* Decoders: turn raw bytes into a normalised event. Each decoder is one file
 * in src/decode/ plus one line in src/decode/decoders.def, filling a
 * const struct vg_decoder.
 *
 * Two kinds:
 *  - FORMAT decoders understand a whole record (RFC 3164, RFC 5424, JSON,
 *    access log, auditd ...). They set the header fields and, for syslog,
 *    process.name and message.
 *  - PROGRAM decoders understand the message text of one syslog program
 *    (sshd, sudo, ...). They are chosen by process.name after a syslog
 *    FORMAT decoder ran, and add fields from the message.
 *
 * vg_decode() runs the chain and never fails hard: an event nobody
 * understands is kept with its raw bytes and VG_EV_DECODE_FAILED. */
#ifndef VIGIL_DECODE_H
#define VIGIL_DECODE_H

#include "vigil/event.h"

enum vg_dec_kind { VG_DEC_FORMAT, VG_DEC_PROGRAM };

struct vg_decoder {
    const char *name;        /* short name: "rfc3164", "sshd" */
    const char *desc;        /* one line for `vigil list decoders` and docs */
    enum vg_dec_kind kind;
    /* PROGRAM decoders: NULL-terminated list of syslog program names
     * (exact, case-sensitive; "*" suffix means prefix match). */
    const char *const *programs;
    /* FORMAT decoders: 0 if the bytes cannot be this format, otherwise a
     * confidence 1..100; the highest wins. Must be cheap (look at a prefix). */
    int (*probe)(const char *buf, size_t len);
    /* Decodes buf (for PROGRAM decoders: the message part, which lives in
     * ev->raw or the arena) into ev. Returns 0, or a negative VG_E* code
     * with detail in err; on failure fields already added stay. */
    int (*decode)(struct vg_event *ev, const char *buf, size_t len, struct vg_err *err);
};

/* Options of one decode call. */
struct vg_decode_opts {
    const char *format;      /* force a FORMAT decoder by name, NULL = detect */
    int64_t default_year;    /* for RFC 3164 timestamps without a year; 0 = from recv_ts */
    bool defer_id;           /* leave the id uncomputed (VG_EV_ID_DEFERRED; vg_event_id computes it
                              * on demand): only for events that are never stored (vigil scan) */
};

/* Decodes ev->raw (set by the caller, with recv_ts, tenant, collector and
 * host) into fields; sets ts (falls back to recv_ts), format, and computes
 * the id. Returns 0 when some decoder understood it, VG_EFORMAT/VG_EPARSE
 * when not (the event is still complete and storable). */
int vg_decode(struct vg_event *ev, const struct vg_decode_opts *opts, struct vg_err *err);

/* Table access for `vigil list decoders`, tests and fuzz targets. */
const struct vg_decoder *vg_decoder_find(const char *name);
const struct vg_decoder *const *vg_decoders(size_t *n);

#endif
