/* libFuzzer target for the JSON scanner and the json decoders: validation,
 * value spans, record splitting, flattening and the Windows / Suricata
 * mappings. Also checks that the scanner's entry points agree with each
 * other (a document vg_json_validate accepts must flatten without a parse
 * error, and value_end must stop where validate says the value ends). */
#include <stdlib.h>
#include "vigil/decode.h"
#include "vigil/json.h"

static int count_leaf(void *ctx, const struct vg_json_leaf *lf)
{
    (void)lf;
    (*(size_t *)ctx)++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20)) return 0;
    const char *buf = (const char *)data;
    int vrc = vg_json_validate(buf, size, NULL);
    size_t end = 0;
    int erc = vg_json_value_end(buf, size, &end, NULL);
    if (erc == 0 && end > size) abort();
    if (vrc == 0 && erc != 0) abort();

    struct vg_arena a;
    vg_arena_init(&a, 4096);
    size_t n = 0;
    int frc = vg_json_flatten(buf, size, &a, NULL, count_leaf, &n, NULL);
    if (vrc == 0 && (frc == VG_EPARSE || frc == VG_EUTF8)) abort();
    if (frc == 0 && vrc != 0) abort();
    vg_arena_release(&a);

    /* split into records and decode each one as an ingest would */
    struct vg_batch *b = vg_batch_new(16);
    if (!b) return 0;
    struct vg_json_iter it;
    vg_json_iter_init(&it, buf, size);
    const char *rec;
    size_t rl;
    int records = 0;
    while (records < 64 && vg_json_iter_next(&it, &rec, &rl, NULL) == 1) {
        if (rec < buf || rec + rl > buf + size) abort();
        struct vg_event *ev = vg_batch_push(b);
        if (!ev || vg_event_set_raw(ev, rec, rl)) break;
        struct vg_err err = VG_ERR_INIT;
        vg_decode(ev, NULL, &err);
        struct vg_buf out = VG_BUF_INIT;
        vg_event_to_json(ev, &out);
        vg_buf_release(&out);
        records++;
    }
    vg_batch_free(b);
    return 0;
}
