/* libFuzzer target: MISP events, MISP warninglists and text/CSV lists
 * through the format-detecting loader (vg_intel_load_buffer), then the
 * set build and value checks (suppression path included). */
#include "vigil/intel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20)) return 0;
    struct vg_intel_builder *b = vg_intel_builder_new();
    struct vg_intel_report rep = VG_INTEL_REPORT_INIT;
    if (!b) return 0;
    (void)vg_intel_load_buffer(b, "fuzz", (const char *)data, size, &rep);
    static const char wl[] = "{\"name\":\"w\",\"type\":\"cidr\",\"list\":[\"10.0.0.0/8\",\"8.8.8.8\"]}";
    (void)vg_intel_load_warninglist(b, wl, sizeof wl - 1, &rep);
    struct vg_err err = VG_ERR_INIT;
    struct vg_intel_set *s = vg_intel_build(b, &err);
    if (s) {
        static const char *vals[] = {"10.0.0.1", "8.8.8.8", "203.0.113.9", "c2.bad.example", "https://bad.example/p",
                                     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "x@y.z"};
        struct vg_intel_hit hits[8];
        bool sup;
        for (size_t i = 0; i < sizeof vals / sizeof *vals; i++)
            (void)vg_intel_check_value(s, vals[i], strlen(vals[i]), 0, hits, 8, &sup);
        /* also check the input's first line as a value */
        size_t l = 0;
        while (l < size && l < 300 && data[l] != '\n') l++;
        (void)vg_intel_check_value(s, (const char *)data, l, 0, hits, 8, &sup);
        vg_intel_set_unref(s);
    }
    vg_intel_report_release(&rep);
    return 0;
}
