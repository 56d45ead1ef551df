/* libFuzzer target: the Sigma condition parser alone, against a fixed set
 * of search identifiers (including ones that begin with keywords and with
 * an underscore). */
#include <stdint.h>
#include <stddef.h>
#include "vigil/sigma.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const ids[] = {"selection", "sel1", "sel2", "filter_main", "filter_opt", "_private",
                                      "notification", "android", "keywords", "them_all"};
    struct vg_err err = VG_ERR_INIT;
    vg_sigma_cond_check((const char *)data, size, ids, sizeof ids / sizeof ids[0], &err);
    return 0;
}
