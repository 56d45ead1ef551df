/* Windows EVTX files and Windows event XML records.
 *
 * vg_evtx_read_file reads every record of an .evtx file through libevtx,
 * turns its XML into an event (raw = the record's XML; fields mapped exactly
 * like evtx_dump JSON by the json decoder: EventData names bare, System
 * names, ECS) and hands it to a callback. Records libevtx cannot read
 * (Debian's libevtx 20181227 fails on some recent files) are not lost: the
 * file's record framing is walked natively, and each unread record becomes
 * an event flagged VG_EV_DECODE_FAILED whose raw is the record's binary XML
 * and whose fields hold its record id, write time and the UTF-16 strings
 * found in it (message); stats count them.
 *
 * The FORMAT decoder "evtx" (src/decode/evtx.c) decodes one Windows event
 * XML record (`<Event xmlns=...>`), e.g. from HTTP ingest. */
#ifndef VIGIL_EVTX_H
#define VIGIL_EVTX_H

#include "vigil/event.h"

struct vg_evtx_stats {
    uint64_t records;        /* records the file holds (libevtx's count, or the native framing's when larger) */
    uint64_t decoded;        /* read by libevtx and decoded from XML */
    uint64_t unreadable;     /* libevtx could not read them: emitted as decode-failed events from raw framing */
    uint64_t lost;           /* could not be read at all (not even framed): only counted */
    uint64_t recovered;      /* deleted records libevtx finds in chunk free space (emitted only with VG_EVTX_RECOVERED) */
    char first_error[256];   /* libevtx's message for the first unreadable record, "" if none */
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
