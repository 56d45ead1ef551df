/* libFuzzer target: the STIX pattern parser (src/detect/intel/pattern.c)
 * on the raw input, then the input as a STIX bundle through
 * vg_intel_load_stix, building the set and checking a few values. */
#include "detect/intel/internal.h"

static int add_cb(void *ctx, int type, const char *v, size_t len)
{
    (void)type;
    size_t *n = ctx;
    (*n) += len ? 1 : 0;
    (void)v;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20)) return 0;
    char why[256];
    size_t n = 0;
    struct intel_pattern_cb cb = {add_cb, NULL, &n};
    (void)intel_stix_pattern((const char *)data, size, &cb, why, sizeof why);

    struct vg_intel_builder *b = vg_intel_builder_new();
    struct vg_intel_report rep = VG_INTEL_REPORT_INIT;
    if (!b) return 0;
    (void)vg_intel_load_stix(b, "fuzz", (const char *)data, size, &rep);
    struct vg_err err = VG_ERR_INIT;
    struct vg_intel_set *s = vg_intel_build(b, &err);
    if (s) {
        static const char *vals[] = {"10.0.0.1", "2001:db8::1", "a.example.com", "http://x/y",
                                     "d41d8cd98f00b204e9800998ecf8427e", "a@b.example"};
        for (size_t i = 0; i < sizeof vals / sizeof *vals; i++)
            (void)vg_intel_check_value(s, vals[i], strlen(vals[i]), 0, NULL, 0, NULL);
        vg_intel_set_unref(s);
    }
    vg_intel_report_release(&rep);
    return 0;
}
