/* Syslog stream framing (RFC 6587) for TCP and TLS (RFC 5425): a per-byte
 * state machine fed with arbitrary chunks that yields complete frames.
 *
 * Detection is per frame, as common receivers do: a frame starting with a
 * non-zero digit run of at most 9 digits followed by one space is octet
 * counted ("LEN SP MSG"); anything else is non-transparent framing, ended
 * by LF or NUL (a trailing CR is dropped). Empty frames are skipped.
 *
 * Limits: frames longer than max_frame are counted as oversized and skipped
 * (octet-counted ones by their length when it is at most skip_cap, other
 * ones up to the next LF/NUL) without touching the neighbour frames; an
 * octet count beyond skip_cap is treated as a bad header and the stream
 * resynchronises at the next LF/NUL. Memory per framer: at most max_frame. */
#ifndef VG_INGEST_FRAMING_H
#define VG_INGEST_FRAMING_H

#include "vigil/core.h"

/* Called for each complete frame; the bytes are valid during the call only.
 * A non-zero return stops vg_framer_feed, which returns that value. */
typedef int (*vg_frame_fn)(void *ctx, const char *frame, size_t len);

struct vg_framer {
    size_t max_frame;      /* largest accepted frame in bytes */
    uint64_t skip_cap;     /* largest octet count that is skipped exactly */
    int state;             /* internal state */
    uint64_t want;         /* octets still to read or skip */
    char *acc;             /* partial frame being assembled (max_frame bytes) */
    size_t acc_len;
    char digits[10];       /* leading digits of a frame not yet classified */
    size_t ndigits;
    /* counters, monotonically increasing */
    uint64_t frames;       /* frames delivered */
    uint64_t oversized;    /* frames skipped for exceeding max_frame */
    uint64_t bad_header;   /* unusable octet counts */
    uint64_t truncated;    /* octet-counted frames cut short by end of stream */
};

/* max_frame 0 means 64 KiB. Returns VG_ENOMEM if the buffer cannot be made. */
int vg_framer_init(struct vg_framer *f, size_t max_frame);
void vg_framer_release(struct vg_framer *f);
/* Feeds n bytes; calls fn for every frame completed. Returns 0 or fn's value. */
int vg_framer_feed(struct vg_framer *f, const char *data, size_t n, vg_frame_fn fn, void *ctx);
/* End of stream: delivers a pending unterminated line, counts a partial
 * octet frame as truncated. Returns 0 or fn's value. */
int vg_framer_finish(struct vg_framer *f, vg_frame_fn fn, void *ctx);
/* Frames that were lost so far (oversized + bad_header + truncated). */
uint64_t vg_framer_lost(const struct vg_framer *f);

#endif
