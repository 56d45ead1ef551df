/* libFuzzer target for the native EVTX Binary XML renderer
 * (src/decode/binxml.c). The input is a chunk's body from offset 512 (the
 * chunk header is zeros): when it starts with a record signature the
 * records are framed (size, size copy) and rendered one after the other
 * with one template cache, as the EVTX reader does; otherwise the whole
 * input is rendered as one BinXml stream placed where a first record's
 * BinXml would be (chunk offset 536). The chunk buffer ends exactly where
 * the input does so ASan sees any read past it. A rendering that
 * succeeds is also decoded by the expat path (vg_evtx_decode_xml). */
#include <string.h>
#include "decode/binxml.h"
#include "vigil/evtx.h"

static uint32_t rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void check(const unsigned char *c, size_t clen, size_t off, size_t len, struct vg__bx_cache *cache,
                  struct vg_batch *b)
{
    struct vg_buf out = VG_BUF_INIT;
    if (vg__binxml_render(c, clen, off, len, cache, &out, NULL) == 0) {
        if (out.len > VG_BX_MAX_OUT) abort();
        struct vg_event *ev = vg_batch_push(b);
        if (ev) vg_evtx_decode_xml(ev, out.data, out.len, NULL);
        b->n = 0;
        vg_arena_reset(&b->arena);
    }
    vg_buf_release(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536 - VG_BX_CHUNK_HEADER - 24) return 0;
    bool framed = size >= 4 && memcmp(data, "**\0\0", 4) == 0;
    size_t at = VG_BX_CHUNK_HEADER + (framed ? 0 : 24), clen = at + size;
    unsigned char *c = vg_malloc(clen);
    struct vg_batch *b = vg_batch_new(2);
    if (!c || !b) goto out;
    memset(c, 0, at);
    memcpy(c, "ElfChnk", 8);
    if (size) memcpy(c + at, data, size);
    struct vg__bx_cache cache;
    vg__binxml_cache_reset(&cache, c);
    if (framed) {
        size_t p = VG_BX_CHUNK_HEADER;
        while (clen - p >= 28 && rd32(c + p) == 0x2a2a) {
            uint32_t rs = rd32(c + p + 4);
            if (rs < 28 || rs > clen - p) break;
            check(c, clen, p + 24, rs - 28, &cache, b);
            p += rs;
        }
    } else {
        check(c, clen, at, size, &cache, b);
    }
out:
    vg_batch_free(b);
    vg_free(c);
    return 0;
}
