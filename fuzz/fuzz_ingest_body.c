/* Fuzz target for the HTTP ingest body splitter/validator
 * (src/api/body.c) and the OpenMetrics-to-JSON reader used by
 * /api/v1/status (src/api/metrics_json.c). The first byte picks the
 * target and small limits so the record-size, record-count and depth caps
 * are reached often. Checks invariants: every record lies inside the
 * input, indices are consecutive, a record the splitter accepts is
 * re-validated as a JSON object, and the status JSON is valid JSON. */
#include "api/internal.h"

struct fz { const char *base; size_t n; size_t next; };

static int on_rec(void *ctx, size_t index, const char *p, size_t len, const char *why)
{
    struct fz *f = ctx;
    if (index != f->next++) __builtin_trap();
    if (len && (p < f->base || p + len > f->base + f->n)) __builtin_trap();
    if (!why) {
        char w[256];
        if (!vg__api_json_validate(p, len, 128, true, w, sizeof w)) __builtin_trap();
    } else if (!why[0]) {
        __builtin_trap();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    uint8_t sel = data[0];
    /* Copy so reads past the end are caught by ASan. */
    size_t n = size - 1;
    char *buf = vg_malloc(n ? n : 1);
    if (!buf) return 0;
    memcpy(buf, data + 1, n);
    if (sel & 0x80) {
        struct vg_buf out = VG_BUF_INIT;
        if (vg__api_metrics_to_json(buf, n, &out) == 0) {
            char w[256];
            if (!vg__api_json_validate(out.data, out.len, 8, true, w, sizeof w)) __builtin_trap();
        }
        vg_buf_release(&out);
    } else {
        struct vg__split_opts o = {(sel & 1) ? 64 : 1u << 20, (sel & 2) ? 4 : 100000, (sel & 4) ? 3 : 128};
        struct fz f = {buf, n, 0};
        size_t nrec = 0;
        struct vg_err err = VG_ERR_INIT;
        int rc = vg__api_split_body(buf, n, &o, on_rec, &f, &nrec, &err);
        if (rc == 0 && nrec != f.next) __builtin_trap();
        if (rc != 0 && rc != VG_EFORMAT && rc != VG_ETOOBIG) __builtin_trap();
    }
    vg_free(buf);
    return 0;
}
