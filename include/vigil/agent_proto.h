/* The agent channel's wire format, shared by the server (src/ingest/
 * src_agent.c) and vigil-agent (src/agent/): a pure codec in vg_core, no I/O.
 *
 * Frame (all integers big-endian):
 *   [u32 length][u8 type][u64 seq][payload]   length = 9 + payload bytes
 * A frame above VG_AP_MAX_FRAME, a length below 9 or an unknown type is a
 * protocol error: the peer answers ERROR (when it can) and closes.
 *
 * Payloads:
 *   key/value list  ([u16 klen][key][u32 vlen][value])*  HELLO, ENROLL,
 *                   ENROLL_OK, ERROR ("msg")
 *   record list     ([i64 ts][u16 slen][source][u32 len][data])*  LOG, RECORD
 *   empty           HEARTBEAT, ACK (seq = the acknowledged frame)
 * docs/internals/agent.md describes the conversation. */
#ifndef VIGIL_AGENT_PROTO_H
#define VIGIL_AGENT_PROTO_H

#include "vigil/core.h"

#define VG_AP_MAX_FRAME (4u << 20)   /* bytes after the length field */
#define VG_AP_HDR 13u                /* length + type + seq */
#define VG_AP_MAX_KEY 64u
#define VG_AP_MAX_SOURCE 1024u

enum vg_ap_type {
    VG_AP_HELLO = 1,      /* agent: version, hostname; server: last_seq */
    VG_AP_LOG = 2,        /* records: log lines */
    VG_AP_RECORD = 3,     /* records: JSON documents (inventory, FIM) */
    VG_AP_HEARTBEAT = 4,
    VG_AP_ACK = 5,        /* seq = frame committed (or already committed) */
    VG_AP_ERROR = 6,      /* kv "msg"; the sender closes afterwards */
    VG_AP_ENROLL = 7,     /* kv token, hostname, csr (PEM) */
    VG_AP_ENROLL_OK = 8,  /* kv id, cert, ca (PEM), server_fp */
    VG_AP__MAX = 8,
};

struct vg_ap_frame {
    uint8_t type;
    uint64_t seq;
    const uint8_t *payload;  /* points into the decoded buffer */
    size_t len;
};

struct vg_ap_rec {
    int64_t ts;
    const char *src; size_t srclen;
    const char *data; size_t len;
};

/* Decodes one frame from buf[0..n). Returns 0 and sets *consumed (> 0);
 * VG_EAGAIN when more bytes are needed (nothing consumed); VG_ETOOBIG for a
 * length above VG_AP_MAX_FRAME; VG_EPARSE for a length below 9 or an
 * unknown type. Never reads beyond n. */
int vg_ap_decode(const uint8_t *buf, size_t n, struct vg_ap_frame *f, size_t *consumed, struct vg_err *err);
/* Starts a frame at the end of out; returns its start offset for
 * vg_ap_end, or (size_t)-1 on VG_ENOMEM. */
size_t vg_ap_begin(struct vg_buf *out, uint8_t type, uint64_t seq);
/* Patches the length of the frame started at `start`; VG_ETOOBIG (frame
 * removed from out) when it exceeds VG_AP_MAX_FRAME. */
int vg_ap_end(struct vg_buf *out, size_t start);
/* Whole frame in one call. */
int vg_ap_encode(struct vg_buf *out, uint8_t type, uint64_t seq, const void *payload, size_t len);

/* Appends one key/value pair (key <= VG_AP_MAX_KEY bytes). */
int vg_ap_kv_add(struct vg_buf *out, const char *key, const void *val, size_t vlen);
/* Finds key in a kv payload: 0 (value not NUL-terminated), VG_ENOENT, or
 * VG_EPARSE when the payload is malformed anywhere. */
int vg_ap_kv_get(const uint8_t *p, size_t n, const char *key, const uint8_t **val, size_t *vlen);
/* Copies a value as a C string into dst (truncating is an error: VG_ETOOBIG;
 * embedded NUL bytes: VG_EPARSE). */
int vg_ap_kv_str(const uint8_t *p, size_t n, const char *key, char *dst, size_t dsz);

/* Appends one record (source <= VG_AP_MAX_SOURCE bytes). */
int vg_ap_rec_add(struct vg_buf *out, int64_t ts, const char *src, size_t srclen, const void *data, size_t len);
/* Iterates records: 1 with *r filled and *off advanced, 0 at the end,
 * VG_EPARSE on a truncated or malformed record. */
int vg_ap_rec_next(const uint8_t *p, size_t n, size_t *off, struct vg_ap_rec *r);

/* Lowercase name of a frame type ("LOG") or "?". */
const char *vg_ap_type_name(uint8_t type);

#endif
