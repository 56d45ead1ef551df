/* Shared body of the decoder fuzz targets (fuzz_dec_<name>.c): runs one
 * decoder directly over the input, then the whole vg_decode() chain — on
 * the raw input for FORMAT decoders, and behind a syslog header naming the
 * decoder's first program for PROGRAM decoders — and serialises the event,
 * so every field the decoder produced is read back. */
#ifndef VG_FUZZ_DEC_H
#define VG_FUZZ_DEC_H
#include <stdint.h>
#include <stdlib.h>
#include "vigil/decode.h"

static inline int vg_fuzz_decoder(const char *name, const uint8_t *data, size_t size)
{
    const struct vg_decoder *d = vg_decoder_find(name);
    if (!d) abort();
    struct vg_arena arena;
    vg_arena_init(&arena, 1 << 14);
    struct vg_buf out = VG_BUF_INIT;
    struct vg_event ev;
    vg_event_init(&ev, &arena);
    ev.recv_ts = 1780000000000000000LL;
    if (vg_event_set_raw(&ev, (const char *)data, size) != 0) goto done;
    struct vg_err err = VG_ERR_INIT;
    if (d->decode(&ev, ev.raw, ev.raw_len, &err) > 0) abort();
    if (vg_event_to_json(&ev, &out) != 0) abort();

    struct vg_buf line = VG_BUF_INIT;
    if (d->kind == VG_DEC_PROGRAM && d->programs && d->programs[0]) {
        vg_buf_addf(&line, "Jan  1 00:00:00 host %s[1]: ", d->programs[0]);
    }
    vg_buf_add(&line, data, size);
    vg_event_init(&ev, &arena);
    ev.recv_ts = 1780000000000000000LL;
    if (line.data && vg_event_set_raw(&ev, line.data, line.len) == 0) {
        int rc = vg_decode(&ev, NULL, &err);
        if (rc > 0 || (rc && !(ev.flags & VG_EV_DECODE_FAILED))) abort();
        vg_buf_reset(&out);
        if (vg_event_to_json(&ev, &out) != 0) abort();
    }
    vg_buf_release(&line);
done:
    vg_buf_release(&out);
    vg_arena_release(&arena);
    return 0;
}

#define VG_FUZZ_DECODER(name)                                                  \
    int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);              \
    int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return vg_fuzz_decoder(name, data, size); }

#endif
