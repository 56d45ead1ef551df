/* Fuzz target for the inventory and FIM text parsers, selected by the first
 * byte: 0 proc/net (tcp6 or tcp by the second byte), 1 sudoers, 2
 * authorized_keys, 3 passwd/group/shadow (the rest split in three at NUL
 * bytes), 4 FIM baseline file, 5 inventory JSON. */
#include "vigil/fim.h"
#include "vigil/inventory.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    const char *d = (const char *)data + 2;
    size_t n = size - 2;
    struct vg_inv_snapshot *s = vg_inv_snapshot_new("/nonexistent-fuzz-root");
    if (!s) return 0;
    switch (data[0] % 6) {
    case 0: vg_inv_parse_proc_net(s, data[1] & 1 ? "tcp6" : data[1] & 2 ? "udp" : "tcp", d, n); break;
    case 1: vg_inv_parse_sudoers(s, "/etc/sudoers", d, n, 0); break;
    case 2: vg_inv_parse_authorized_keys(s, "u", "k", d, n); break;
    case 3: {
        const char *z1 = memchr(d, 0, n);
        size_t n1 = z1 ? (size_t)(z1 - d) : n;
        const char *r = z1 ? z1 + 1 : d + n;
        size_t rn = (size_t)(d + n - r);
        const char *z2 = memchr(r, 0, rn);
        size_t n2 = z2 ? (size_t)(z2 - r) : rn;
        const char *t = z2 ? z2 + 1 : r + rn;
        vg_inv_parse_accounts(s, d, n1, r, n2, data[1] & 1 ? NULL : t, (size_t)(d + n - t));
        struct vg_inv_changes ch = VG_INV_CHANGES_INIT;
        vg_inv_diff(s, s, &ch);
        vg_inv_changes_release(&ch);
        break;
    }
    case 4: {
        struct vg_fim_baseline *b = NULL;
        if (vg_fim_baseline_load_mem(d, n, &b, NULL) == 0) vg_fim_baseline_free(b);
        break;
    }
    case 5: {
        struct vg_inv_snapshot *o = NULL;
        if (vg_inv_from_json(d, n, &o, NULL) == 0) {
            struct vg_buf b = VG_BUF_INIT;
            vg_inv_to_json(o, &b);
            vg_buf_release(&b);
            struct vg_inv_changes ch = VG_INV_CHANGES_INIT;
            vg_inv_diff(s, o, &ch);
            vg_inv_changes_release(&ch);
            vg_inv_snapshot_free(o);
        }
        break;
    }
    }
    struct vg_buf b = VG_BUF_INIT;
    vg_inv_to_json(s, &b);
    vg_buf_release(&b);
    vg_inv_snapshot_free(s);
    return 0;
}
