/* libFuzzer target for the "rfc3164" decoder (src/decode/): the decoder alone
 * and the vg_decode() chain over the input; see fuzz_dec.h. */
#include "fuzz_dec.h"
VG_FUZZ_DECODER("rfc3164")
