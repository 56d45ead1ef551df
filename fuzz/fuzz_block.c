/* libFuzzer target for the stored event block decoder (src/store/block.c):
 * stored blocks are read back from disk, so the decoder must reject any
 * corruption cleanly. Decodes the input as a block blob and, when it
 * decodes, serialises every event to JSON and walks every list value. */
#include "store/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct vg__dblock d;
    static ZSTD_DCtx *dctx;
    if (!dctx) dctx = vg__zstd_dctx_new();
    if (vg__blk_decode(&d, data, size, dctx) != 0) return 0;
    struct vg_buf b = VG_BUF_INIT;
    for (uint32_t i = 0; i < d.nev; i++) {
        vg_buf_reset(&b);
        if (vg__devent_json(&d.ev[i], "t", &b) != 0 && b.len < (64u << 20)) __builtin_trap();
        for (uint32_t k = 0; k < d.ev[i].nf; k++) {
            const struct vg__dfield *f = &d.fields[d.ev[i].f0 + k];
            char tmp[48];
            size_t n;
            (void)vg__dvalue_text(f, tmp, sizeof tmp, &n);
        }
    }
    vg_buf_release(&b);
    return 0;
}
