/* libFuzzer target for src/decode/evtx.c: the input is decoded as one
 * Windows event XML record, then written to a temporary file and read as an
 * EVTX file (libevtx has no memory-buffer reader without libbfio), which
 * exercises libevtx, the expat mapping and the native record framing that
 * takes over when libevtx fails. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "vigil/evtx.h"

static int on_record(void *ctx, struct vg_batch *b, struct vg_event *ev)
{
    (void)ctx;
    (void)ev;
    if (b->n >= 64) { /* keep memory bounded like a real reader would */
        b->n = 0;
        vg_arena_reset(&b->arena);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20)) return 0;
    struct vg_batch *b = vg_batch_new(8);
    if (!b) return 0;
    struct vg_event *ev = vg_batch_push(b);
    if (ev) vg_evtx_decode_xml(ev, (const char *)data, size, NULL);
    b->n = 0;
    vg_arena_reset(&b->arena);

    char path[] = "/tmp/vg_fuzz_evtx_XXXXXX";
    int fd = mkstemp(path);
    if (fd >= 0) {
        size_t off = 0;
        while (off < size) {
            ssize_t w = write(fd, data + off, size - off);
            if (w <= 0) break;
            off += (size_t)w;
        }
        close(fd);
        struct vg_evtx_stats st;
        vg_evtx_read_file(path, VG_EVTX_RECOVERED, b, on_record, NULL, &st, NULL);
        if (st.decoded + st.unreadable > 0 && st.records == 0) abort();
        unlink(path);
    }
    vg_batch_free(b);
    return 0;
}
