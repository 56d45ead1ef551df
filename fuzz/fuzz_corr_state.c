/* libFuzzer target: restoring a correlation state blob (vg_corr_restore)
 * into an engine with one correlation of every type. The first input byte
 * chooses a mode: odd = patch the blob's length and checksum first, so the
 * fuzzer reaches the structural checks behind them. A blob that restores
 * must then take hits and save/restore again identically. */
#include <stdint.h>
#include <stddef.h>
#include <string.h>
#include "vigil/correlate.h"
#include "detect/correlate/internal.h"

static struct vg_corr *mk(void)
{
    static const char *const r1[] = {"a"};
    static const char *const r3[] = {"a", "b", "c"};
    static const char *const g[] = {"User"};
    struct vg_corr *c = vg_corr_new(&(struct vg_corr_opts){.max_keys = 64, .max_per_key = 64, .lateness_ns = 1000});
    if (!c) return NULL;
    for (int t = 0; t < VG_CORR_NTYPES; t++) {
        char id[8] = {'c', (char)('0' + t), 0};
        bool temporal = t == VG_CORR_TEMPORAL || t == VG_CORR_TEMPORAL_ORDERED;
        struct vg_corr_def d = {.id = id, .type = (enum vg_corr_type)t, .rules = temporal ? r3 : r1,
                                .nrules = temporal ? 3 : 1, .group_by = g, .ngroup_by = 1, .timespan_ns = 60000,
                                .field = "n", .ncond = temporal ? 0 : 1};
        d.ops[0] = VG_CORR_GTE;
        d.values[0] = 3;
        if (vg_corr_add(c, &d, NULL) < 0) {
            vg_corr_free(c);
            return NULL;
        }
    }
    return c;
}

static void store64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > (1u << 20)) return 0;
    uint8_t *b = vg_malloc(size);
    if (!b) return 0;
    memcpy(b, data + 1, size - 1);
    size_t n = size - 1;
    if ((data[0] & 1) && n >= 24) {
        store64(b + 8, n - 24);
        store64(b + 16, vg__corr_hash(b + 24, n - 24, 0x5347));
    }
    struct vg_corr *c = mk();
    if (c && vg_corr_restore(c, b, n, NULL) == 0) {
        const struct vg_corr_fire *f;
        static const char *const rules[] = {"a", "b", "c"};
        struct vg_corr_stats st;
        vg_corr_stats(c, &st);
        for (int i = 0; i < 6; i++) {
            struct vg_corr_kv kv[2] = {{"User", "u", 1}, {"n", "7", 1}};
            struct vg_corr_hit h = {.rule_id = rules[i % 3], .ts = st.watermark + i, .fields = kv, .nfields = 2};
            (void)vg_corr_feed(c, &h, &f);
        }
        struct vg_buf out = VG_BUF_INIT;
        if (vg_corr_save(c, &out) == 0) {
            struct vg_corr *c2 = mk();
            if (c2 && vg_corr_restore(c2, out.data, out.len, NULL) != 0) __builtin_trap();
            struct vg_buf again = VG_BUF_INIT;
            if (c2 && vg_corr_save(c2, &again) == 0 && (again.len != out.len || memcmp(again.data, out.data, out.len) != 0))
                __builtin_trap();
            vg_buf_release(&again);
            vg_corr_free(c2);
        }
        vg_buf_release(&out);
    }
    vg_corr_free(c);
    vg_free(b);
    return 0;
}
