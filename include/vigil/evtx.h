/* Windows EVTX files and Windows event XML records.
 *
 * vg_evtx_read_file walks an .evtx file's framing natively and renders each
 * record's Binary XML with Vigil's own decoder (src/decode/binxml.c) into
 * the XML text libevtx would print; records it cannot render go to libevtx
 * instead (Debian's libevtx 20181227, which in turn fails on some recent
 * files). The XML becomes an event (raw = the record's XML; fields mapped
 * exactly like evtx_dump JSON by the json decoder: EventData names bare,
 * System names, ECS) handed to a callback. Records neither can read are not
 * lost: each becomes an event flagged VG_EV_DECODE_FAILED whose raw is the
 * record's binary XML and whose fields hold its record id, write time and
 * the UTF-16 strings found in it (message); stats count them.
 * VG_EVTX_LIBEVTX=1 in the environment selects the older libevtx-first
 * order (for A/B comparisons).
 *
 * The FORMAT decoder "evtx" (src/decode/evtx.c) decodes one Windows event
 * XML record (`<Event xmlns=...>`), e.g. from HTTP ingest. */
#ifndef VIGIL_EVTX_H
#define VIGIL_EVTX_H

#include "vigil/event.h"

struct vg_evtx_stats {
    uint64_t records;        /* records the file holds (libevtx's count, or the native framing's when larger) */
    uint64_t decoded;        /* rendered to XML (natively or by libevtx) and decoded */
    uint64_t unreadable;     /* neither decoder could read them: emitted as decode-failed events from raw framing */
    uint64_t lost;           /* could not be read at all (not even framed): only counted */
    uint64_t recovered;      /* deleted records found in chunk free space (emitted only with VG_EVTX_RECOVERED) */
    char first_error[256];   /* why the first unreadable record failed ("native: ...; libevtx: ..."), "" if none */
    uint64_t native;         /* of decoded: rendered by the native BinXML decoder */
    uint64_t libevtx;        /* of decoded: the native decoder failed, libevtx read them */
};

/* Called once per record with an event on `batch` (already decoded, id
 * computed). The callback may process and reset the batch (b->n = 0 and
 * vg_arena_reset) — the reader keeps no pointer into it between calls.
 * Return 0 to go on, a negative VG_E* code to stop reading with it. */
typedef int (*vg_evtx_record_fn)(void *ctx, struct vg_batch *batch, struct vg_event *ev);

#define VG_EVTX_RECOVERED 0x1u  /* also emit deleted records found in free space (field vigil.evtx.recovered) */

/* Reads the EVTX file at path. flags: VG_EVTX_*. Deleted records left in
 * chunk free space are stale (exported logs often carry dozens): they are
 * only counted unless VG_EVTX_RECOVERED asks for them. Events get collector "evtx" (unless the
 * callback changes it later), recv_ts = now, seq = record id. Returns 0 when
 * the file was walked (check st->unreadable / st->lost), VG_EIO / VG_EFORMAT
 * when it cannot be opened or is not EVTX, VG_ENOMEM, or the callback's code.
 * st may be NULL. */
int vg_evtx_read_file(const char *path, unsigned flags, struct vg_batch *batch, vg_evtx_record_fn fn, void *ctx,
                      struct vg_evtx_stats *st, struct vg_err *err);

/* Decodes one Windows event XML record (as libevtx or wevtutil print it)
 * into ev (fields only; ev->raw is not touched; strings are copied into the
 * event arena). Returns 0, VG_EPARSE on malformed XML, VG_ETOOBIG over the
 * caps (1 MiB, depth 64, 4096 fields). */
int vg_evtx_decode_xml(struct vg_event *ev, const char *xml, size_t len, struct vg_err *err);

#endif
