/* Error codes (generated from include/vigil/err.def) and error detail. */
#include "vigil/core.h"

const char *vg_strerror(int code)
{
    switch (code) {
#define X(name, val, msg) case val: return msg;
#include "vigil/err.def"
#undef X
    default: return "unknown error";
    }
}

int vg_err_set(struct vg_err *err, int code, const char *fmt, ...)
{
    if (err) {
        err->code = code;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}
