/* Shared helpers of the Sigma unit tests. */
#ifndef VG_TEST_SIGMA_COMMON_H
#define VG_TEST_SIGMA_COMMON_H
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "vigil/sigma.h"

static inline const char *shared_dir(void)
{
    const char *s = getenv("VG_SHARED");
    return s && *s ? s : "../shared";
}

static inline const char *src_dir(void)
{
    const char *s = getenv("VG_SRC");
    return s && *s ? s : ".";
}

/* Resident set size in KiB from /proc/self/status (0 if unknown). */
static inline long rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = 0;
    if (!f) return 0;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0) {
            char *end;
            v = strtol(line + 6, &end, 10);
        }
    fclose(f);
    return v;
}

static const char *const active_dirs[] = {"rules", "rules-emerging-threats", "rules-threat-hunting",
                                          "rules-placeholder", "rules-compliance"};
#endif
