/* libFuzzer target for the JSON scanner and the json decoders: validation,
 * value spans, record splitting, flattening and the Windows / Suricata
 * mappings. Also checks that the scanner's entry points agree with each
 * other (a document vg_json_validate accepts must flatten without a parse
 * error, and value_end must stop where validate says the value ends), and
 * that the scanner's fast paths give exactly what its reference paths give
 * (vg__json_impl: codes, ends, error messages and offsets, leaves). */
#include <stdlib.h>
#include "vigil/decode.h"
#include "vigil/json.h"
#include "decode/json_map.h"

static int count_leaf(void *ctx, const struct vg_json_leaf *lf)
{
    (void)lf;
    (*(size_t *)ctx)++;
    return 0;
}

/* Leaves as text: name id, key, type and value bytes. */
static int dump_leaf(void *ctx, const struct vg_json_leaf *lf)
{
    struct vg_buf *b = ctx;
    char tmp[64];
    int n = snprintf(tmp, sizeof tmp, "|%u:%d:", lf->fid, lf->v.type);
    if (vg_buf_add(b, tmp, (size_t)n) || vg_buf_add(b, lf->key, lf->klen)) return VG_ENOMEM;
    if (lf->v.type == VG_V_STR && (vg_buf_add(b, "=", 1) || vg_buf_add(b, lf->v.u.s, lf->v.len))) return VG_ENOMEM;
    if (lf->v.type == VG_V_INT || lf->v.type == VG_V_BOOL) {
        n = snprintf(tmp, sizeof tmp, "=%lld", lf->v.type == VG_V_INT ? (long long)lf->v.u.i : (long long)lf->v.u.b);
        if (vg_buf_add(b, tmp, (size_t)n)) return VG_ENOMEM;
    }
    if (lf->v.type == VG_V_LIST)
        for (uint32_t i = 0; i < lf->v.len; i++)
            if (vg_buf_add(b, "[", 1) || vg_buf_add(b, lf->v.u.list[i].s, lf->v.u.list[i].len)) return VG_ENOMEM;
    return 0;
}

/* Everything the scanner reports about buf, as text. */
static void observe(const char *buf, size_t size, struct vg_buf *out)
{
    struct vg_err e = VG_ERR_INIT;
    char tmp[640];
    size_t end = 0;
    int rc = vg_json_value_end(buf, size, &end, &e);
    int n = snprintf(tmp, sizeof tmp, "ve %d %zu %d %s\n", rc, end, rc ? e.col : 0, rc ? e.msg : "");
    vg_buf_add(out, tmp, (size_t)n);
    struct vg_json_iter it;
    vg_json_iter_init(&it, buf, size);
    const char *rec;
    size_t rl;
    int k = 0;
    while ((rc = vg_json_iter_next(&it, &rec, &rl, &e)) == 1 && k++ < 64) {
        n = snprintf(tmp, sizeof tmp, "r %zu %zu\n", (size_t)(rec - buf), rl);
        vg_buf_add(out, tmp, (size_t)n);
    }
    n = snprintf(tmp, sizeof tmp, "it %d %zu %s\n", rc, it.pos, rc < 0 ? e.msg : "");
    vg_buf_add(out, tmp, (size_t)n);
    struct vg_arena a;
    vg_arena_init(&a, 4096);
    rc = vg_json_flatten(buf, size, &a, NULL, dump_leaf, out, &e);
    n = snprintf(tmp, sizeof tmp, "\nfl %d %d %s\n", rc, rc ? e.col : 0, rc ? e.msg : "");
    vg_buf_add(out, tmp, (size_t)n);
    vg_arena_release(&a);
}

static void check_fast_paths(const char *buf, size_t size)
{
    struct vg_buf ref = VG_BUF_INIT, fast = VG_BUF_INIT;
    ref.cap_limit = fast.cap_limit = (size_t)64 << 20;
    int old = vg__json_impl(0);
    observe(buf, size, &ref);
    vg__json_impl(1);
    observe(buf, size, &fast);
    vg__json_impl(old);
    if (ref.len != fast.len || (ref.len && memcmp(ref.data, fast.data, ref.len) != 0)) abort();
    vg_buf_release(&ref);
    vg_buf_release(&fast);
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
    check_fast_paths(buf, size);
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
