/* Private helpers shared by the decoders (vg__decode_*). */
#ifndef VG_DECODE_INTERNAL_H
#define VG_DECODE_INTERNAL_H
#include "vigil/decode.h"

#define D(sym) extern const struct vg_decoder sym;
#include "decoders.def"
#undef D

/* Runs the PROGRAM decoder registered for the event's process.name over
 * msg (if any). Returns the decoder used or NULL. Format decoders that
 * produce syslog-like records call this themselves through vg_decode. */
const struct vg_decoder *vg__decode_program_for(const char *prog, size_t len);

#endif
