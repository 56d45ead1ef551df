/* libFuzzer target: the dpkg status parser, both as a status file and as a
 * status.d file, collecting an inventory (so every kept string is copied). */
#include <stdint.h>
#include <stddef.h>
#include "vigil/pkg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (unsigned flags = 0; flags <= VG_DPKG_STATUS_D; flags++) {
        struct vg_pkg_inventory inv = VG_PKG_INVENTORY_INIT;
        struct vg_err err = VG_ERR_INIT;
        vg_pkg_inventory_load_dpkg_mem(&inv, (const char *)data, size, flags, &err);
        for (size_t i = 0; i < inv.n; i++) {
            const struct vg_pkg *p = &inv.pkgs[i];
            if (!p->name[0] || !p->source[0]) __builtin_trap();
            (void)vg_pkg_is_installed(p);
        }
        vg_pkg_inventory_release(&inv);
    }
    return 0;
}
