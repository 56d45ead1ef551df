/* Fuzz target: the rpm header parser (src/posture/rpmdb.c), the bytes of
 * one rpmdb.sqlite Packages.blob; also formats the EVR when it parses. */
#include "vigil/pkg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vg_rpm_hdr h;
    struct vg_err e = VG_ERR_INIT;
    if (vg_rpm_header_parse(data, size, &h, &e) == 0) {
        char evr[1024];
        vg_rpm_evr(&h, evr, sizeof evr);
    }
    return 0;
}
