/* libFuzzer target: Debian version parsing and ordering. The input is split
 * at the first newline into two versions; checks that the order is
 * antisymmetric and reflexive and that parse accepts what compare uses. */
#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>
#include "vigil/pkg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096) return 0;
    char *buf = malloc(size + 1);
    if (!buf) return 0;
    memcpy(buf, data, size);
    buf[size] = 0;
    char *b = memchr(buf, '\n', size);
    const char *a = buf;
    if (b) *b++ = 0;
    else b = buf + size;
    struct vg_dpkg_version va, vb;
    struct vg_err err = VG_ERR_INIT;
    vg_dpkg_version_parse(buf, size, &va, 0, &err);
    vg_dpkg_version_parse(a, strlen(a), &va, VG_DPKG_STRICT, &err);
    int ab = vg_dpkg_version_cmp(a, b), ba = vg_dpkg_version_cmp(b, a);
    if ((ab > 0) != (ba < 0) || (ab == 0) != (ba == 0)) abort();
    if (vg_dpkg_version_cmp(a, a) != 0) abort();
    if (vg_dpkg_version_parse(a, strlen(a), &va, 0, NULL) == 0 && vg_dpkg_version_parse(b, strlen(b), &vb, 0, NULL) == 0) {
        int c = vg_dpkg_version_compare(&va, &vb);
        if ((c > 0) != (ab > 0) || (c < 0) != (ab < 0)) abort();
    }
    free(buf);
    return 0;
}
