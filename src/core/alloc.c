/* Allocation hooks: every allocation in Vigil goes through these so tests
 * can make the Nth one fail (vg_alloc_fail_after). */
#include "vigil/core.h"
#include <stdatomic.h>

static atomic_long fail_countdown;

static bool should_fail(void)
{
    long v = atomic_load_explicit(&fail_countdown, memory_order_relaxed);
    if (VG_LIKELY(v == 0)) return false;
    if (atomic_fetch_sub(&fail_countdown, 1) == 1) return true;
    return false;
}

void vg_alloc_fail_after(long n) { atomic_store(&fail_countdown, n); }

void *vg_malloc(size_t n)
{
    if (should_fail()) return NULL;
    return malloc(n ? n : 1);
}

void *vg_calloc(size_t n, size_t size)
{
    if (should_fail()) return NULL;
    return calloc(n ? n : 1, size ? size : 1);
}

void *vg_realloc(void *p, size_t n)
{
    if (should_fail()) return NULL;
    return realloc(p, n ? n : 1);
}

void vg_free(void *p) { free(p); }

char *vg_strndup(const char *s, size_t n)
{
    char *d = vg_malloc(n + 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

char *vg_strdup(const char *s) { return s ? vg_strndup(s, strlen(s)) : NULL; }
