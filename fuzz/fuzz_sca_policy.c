/* libFuzzer target: the hardening policy loader (YAML -> checks). Every
 * input must either load or be rejected with a message; a loaded policy is
 * also run against an empty fixture root so probe code sees fuzzed
 * parameters (commands never run: the root is not "/"). */
#include <stdint.h>
#include <stddef.h>
#include "vigil/sca.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vg_sca_policy *p = NULL;
    struct vg_err err = VG_ERR_INIT;
    if (vg_sca_policy_load_string((const char *)data, size, "fuzz.yml", &p, &err) != 0) {
        if (!err.msg[0]) __builtin_trap(); /* every rejection explains itself */
        return 0;
    }
    struct vg_sca_opts o = VG_SCA_OPTS_INIT;
    o.root = "/nonexistent-vigil-fuzz-root";
    o.ignore_platform = true;
    struct vg_sca_report *r = NULL;
    if (vg_sca_run(p, &o, &r, &err) == 0) {
        struct vg_buf b = VG_BUF_INIT;
        vg_sca_report_json(r, &b);
        vg_buf_release(&b);
        vg_sca_report_free(r);
    }
    vg_sca_policy_free(p);
    return 0;
}
