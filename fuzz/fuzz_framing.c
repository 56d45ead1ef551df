/* libFuzzer target for the TCP/TLS framing state machine (src/ingest/framing.c).
 * The first input byte picks a chunk size; the rest is fed whole and then in
 * chunks, and both runs must yield the same frames and counters (splitting a
 * stream across reads must never change what is framed). Frames must be
 * non-empty and at most max_frame bytes. */
#include "ingest/framing.h"

struct acc { uint64_t hash; size_t n, bytes, max; };

static int on_frame(void *ctx, const char *p, size_t n)
{
    struct acc *a = ctx;
    if (n == 0 || n > a->max) __builtin_trap();
    for (size_t i = 0; i < n; i++) a->hash = (a->hash ^ (unsigned char)p[i]) * 1099511628211ull;
    a->hash = (a->hash ^ 0x100) * 1099511628211ull;   /* frame boundary */
    a->n++;
    a->bytes += n;
    return 0;
}

static void run(const uint8_t *d, size_t n, size_t step, struct acc *a, uint64_t *lost)
{
    struct vg_framer f;
    if (vg_framer_init(&f, 64) != 0) __builtin_trap();
    a->max = f.max_frame;
    for (size_t i = 0; i < n; i += step) {
        size_t k = n - i < step ? n - i : step;
        vg_framer_feed(&f, (const char *)d + i, k, on_frame, a);
    }
    vg_framer_finish(&f, on_frame, a);
    *lost = vg_framer_lost(&f);
    vg_framer_release(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    size_t step = (size_t)(data[0] % 17) + 1;
    data++, size--;
    struct acc whole = {0x811c9dc5, 0, 0, 0}, chunked = {0x811c9dc5, 0, 0, 0};
    uint64_t l1, l2;
    run(data, size, size ? size : 1, &whole, &l1);
    run(data, size, step, &chunked, &l2);
    if (whole.hash != chunked.hash || whole.n != chunked.n || l1 != l2) __builtin_trap();
    return 0;
}
