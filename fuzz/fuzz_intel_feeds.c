/* libFuzzer target: the threat-intel feed registry document
 * (DATA/intel/feeds.json, src/detect/intel/feeds.c). A parsed registry must
 * format and parse again to the same feeds (round trip), and every feed
 * must satisfy the registry's invariants (name, location, format). */
#include "vigil/intel_feeds.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vg_intel_feed *f = NULL, *g = NULL;
    size_t n = 0, m = 0;
    struct vg_err err = VG_ERR_INIT;
    if (vg_intel_feeds_parse((const char *)data, size, &f, &n, &err) != 0) return 0;
    for (size_t i = 0; i < n; i++) {
        if (!vg_intel_feed_name_ok(f[i].name) || f[i].format < 0 || f[i].format >= VG_INTEL_FMT_COUNT) __builtin_trap();
        if (!vg_intel_feed_is_url(f[i].location) && f[i].location[0] != '/') __builtin_trap();
    }
    struct vg_buf b = VG_BUF_INIT;
    b.cap_limit = 64u << 20;
    if (vg_intel_feeds_format(f, n, &b) == 0) {
        if (vg_intel_feeds_parse(b.data, b.len, &g, &m, &err) != 0 || m != n) __builtin_trap();
        for (size_t i = 0; i < n; i++) {
            if (strcmp(f[i].name, g[i].name) || strcmp(f[i].location, g[i].location) || f[i].format != g[i].format ||
                f[i].refresh_ns != g[i].refresh_ns || f[i].enabled != g[i].enabled || strcmp(f[i].etag, g[i].etag) ||
                f[i].indicators != g[i].indicators || strcmp(f[i].status, g[i].status))
                __builtin_trap();
        }
    }
    vg_buf_release(&b);
    vg_free(f);
    vg_free(g);
    return 0;
}
