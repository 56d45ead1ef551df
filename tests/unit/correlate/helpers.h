/* Shared helpers of the correlation tests: hand-built timelines. A hit is
 * (rule, time in seconds, field/value pairs); fire counts are checked
 * after every hit so each threshold step is asserted. */
#ifndef VG_TEST_CORR_HELPERS_H
#define VG_TEST_CORR_HELPERS_H
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "vigil/core.h"
#include "vigil/correlate.h"

#define SEC(x) ((int64_t)(x) * 1000000000LL)
#define T0 SEC(1700000000)

/* Last fires of feed_at. */
static const struct vg_corr_fire *g_fires;

/* Feeds rule at T0 + ns with NULL-terminated name/value pairs; returns the
 * number of fires. */
static inline int feed_ns(struct vg_corr *c, const char *rule, int64_t ns, ...)
{
    struct vg_corr_kv kv[16];
    size_t n = 0;
    va_list ap;
    va_start(ap, ns);
    const char *k;
    while ((k = va_arg(ap, const char *)) != NULL && n < 16) {
        const char *v = va_arg(ap, const char *);
        kv[n].name = k;
        kv[n].value = v;
        kv[n].len = strlen(v);
        n++;
    }
    va_end(ap);
    struct vg_corr_hit h = {.rule_id = rule, .rule_name = NULL, .ts = T0 + ns, .fields = kv, .nfields = n};
    int rc = vg_corr_feed(c, &h, &g_fires);
    assert_true(rc >= 0);
    return rc;
}
#define feed(c, rule, sec, ...) feed_ns(c, rule, SEC(sec), __VA_ARGS__)

static inline struct vg_corr *mk1(const struct vg_corr_def *d, const struct vg_corr_opts *o)
{
    struct vg_corr *c = vg_corr_new(o);
    assert_non_null(c);
    struct vg_err err = VG_ERR_INIT;
    int rc = vg_corr_add(c, d, &err);
    if (rc < 0) fprintf(stderr, "add: %s\n", err.msg);
    assert_true(rc >= 0);
    return c;
}

static inline struct vg_corr_stats stats_of(struct vg_corr *c)
{
    struct vg_corr_stats s;
    vg_corr_stats(c, &s);
    return s;
}
#endif
