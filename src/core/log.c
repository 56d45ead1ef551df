/* Logging to stderr with level filter; one line per call, thread-safe
 * (each line is written with a single fprintf on an unbuffered stream). */
#include "vigil/core.h"
#include <stdatomic.h>

static atomic_int log_level = VG_LOG_INFO;

void vg_log_set_level(enum vg_log_level lvl) { atomic_store(&log_level, (int)lvl); }

void vg_log(enum vg_log_level lvl, const char *module, const char *fmt, ...)
{
    if ((int)lvl < atomic_load(&log_level)) return;
    static const char *names[] = {"debug", "info", "warn", "error"};
    char ts[48];
    vg_time_format(vg_now_ns(), ts, sizeof ts, 3);
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s %-5s [%s] %s\n", ts, names[lvl & 3], module ? module : "-", msg);
}
