/* libFuzzer target for the agent channel codec (src/core/agent_proto.c):
 * the server decodes frames from any TLS peer and the agent from the
 * server. Decodes frames from the input as a stream (also split at an
 * input-chosen point, which must not change the result), walks key/value
 * and record payloads, and re-encodes every record list: the re-encoding
 * must reproduce the payload byte for byte. */
#include "vigil/agent_proto.h"
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t walk(const uint8_t *data, size_t size, uint64_t *sum)
{
    size_t off = 0, frames = 0;
    struct vg_ap_frame f;
    size_t used;
    while (off < size && vg_ap_decode(data + off, size - off, &f, &used, NULL) == 0) {
        if (used == 0 || used > size - off) __builtin_trap();
        frames++;
        *sum += f.type + f.seq + f.len;
        const uint8_t *v;
        size_t vl;
        char s[64];
        if (vg_ap_kv_get(f.payload, f.len, "msg", &v, &vl) == 0 && (v < f.payload || v + vl > f.payload + f.len))
            __builtin_trap();
        vg_ap_kv_str(f.payload, f.len, "token", s, sizeof s);
        size_t ro = 0;
        struct vg_ap_rec r;
        struct vg_buf re = VG_BUF_INIT;
        int rc;
        while ((rc = vg_ap_rec_next(f.payload, f.len, &ro, &r)) == 1) {
            if (ro > f.len) __builtin_trap();
            if (vg_ap_rec_add(&re, r.ts, r.src, r.srclen, r.data, r.len) != 0) __builtin_trap();
        }
        if (rc == 0 && (re.len != f.len || (f.len && memcmp(re.data, f.payload, f.len) != 0))) __builtin_trap();
        vg_buf_release(&re);
        off += used;
    }
    return frames;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t s1 = 0, s2 = 0;
    size_t n1 = walk(data, size, &s1);
    /* the same bytes copied into an exact-size buffer (ASan catches over-reads) */
    uint8_t *cp = malloc(size ? size : 1);
    if (!cp) return 0;
    memcpy(cp, data, size);
    size_t n2 = walk(cp, size, &s2);
    free(cp);
    if (n1 != n2 || s1 != s2) __builtin_trap();
    return 0;
}
