/* Native EVTX Binary XML renderer (private to the decode layer).
 *
 * vg__binxml_render turns one record's Binary XML (MS-EVEN6 BinXml, as
 * stored in a 64 KiB EVTX chunk) into the indented XML text libevtx
 * prints for it, so src/decode/evtx.c feeds both through the same expat
 * mapping. The chunk is needed whole: element and attribute names and
 * template definitions may live in earlier records of the same chunk and
 * are referenced by chunk offset. See docs/internals/evtx-binxml.md for the
 * rendering rules (which follow libevtx 20181227 where it produces valid
 * XML, and where it does not, say what is rendered instead). */
#ifndef VIGIL_DECODE_BINXML_H
#define VIGIL_DECODE_BINXML_H

#include "vigil/core.h"

#define VG_BX_CHUNK_HEADER 512u          /* names and templates live after the chunk header */
#define VG_BX_MAX_OUT ((size_t)1 << 20)   /* XML text per record (the expat decoder's cap) */
#define VG_BX_MAX_DEPTH 64               /* element nesting */
#define VG_BX_MAX_NEST 8                 /* template instances / BinXml values inside each other */
#define VG_BX_MAX_STEPS (1u << 20)       /* tokens and values processed per record */
#define VG_BX_MAX_VALUES 4096u           /* substitution values per template instance */
#define VG_BX_CACHE 128u                 /* template definitions remembered per chunk */

/* Template definitions already bounds-checked in this chunk: offset of the
 * definition -> its body. Reset it (vg__binxml_cache_reset) for every new
 * chunk; it holds no memory of its own. */
struct vg__bx_cache {
    const unsigned char *chunk;
    uint32_t n;
    struct { uint32_t def, body, size; } t[VG_BX_CACHE];
};

void vg__binxml_cache_reset(struct vg__bx_cache *c, const unsigned char *chunk);

/* Renders the BinXml at chunk[off, off+len) (a record's event data: from
 * record offset + 24 to its size field) as XML text appended to out (capped
 * at VG_BX_MAX_OUT; out's own cap_limit is set to it when larger or unset).
 * cache may be NULL. Returns 0; VG_EPARSE on malformed or out-of-bounds
 * BinXml (err says what and where), VG_ETOOBIG over a cap, VG_ENOMEM. On
 * failure out holds partial text: discard it. Never reads outside
 * chunk[0, chunk_len). */
int vg__binxml_render(const unsigned char *chunk, size_t chunk_len, size_t off, size_t len,
                      struct vg__bx_cache *cache, struct vg_buf *out, struct vg_err *err);

#endif
