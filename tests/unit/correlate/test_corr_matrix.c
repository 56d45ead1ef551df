/* The correlation test matrix of issue 4 ("Tests that must pass", first
 * bullet), table-driven: for every correlation type (event_count,
 * value_count, temporal, temporal_ordered, value_sum, value_avg,
 * value_percentile) a hand-built timeline exactly at the threshold, one
 * below, one above, just inside and just outside the window, out of order
 * within the lateness (and beyond it), group-by splitting, a chained
 * correlation, and a restart (save, free, rebuild, restore) in the middle
 * of a window. Each step states how many fires it must produce. */
#include "helpers.h"

enum kase { AT, BELOW, ABOVE, INSIDE, OUTSIDE, LATE, GROUP, RESTART, CHAIN, NKASE };
static const char *const kase_name[NKASE] = {"at threshold", "one below", "one above", "just inside",
                                             "just outside", "out of order", "group-by split", "restart",
                                             "chained"};

struct step {
    char rule;          /* 'a', 'b', 'c'; 0 ends the timeline */
    int64_t t;          /* ns after T0 */
    const char *user;   /* group-by value */
    const char *v;      /* value field (NULL = none) */
    int fires;          /* fires this step must produce (base + chained) */
    bool restart;       /* save / rebuild / restore before this step */
};

struct row {
    enum vg_corr_type type;
    enum kase k;
    enum vg_corr_op op;
    int64_t thr;        /* < 0: no condition (temporal types: all rules) */
    int64_t late_s;     /* lateness */
    struct step s[12];
};

#define S(r, sec, u, v, f) {r, SEC(sec), u, v, f, false}
#define SN(r, ns, u, v, f) {r, ns, u, v, f, false}
#define SR(r, sec, u, v, f) {r, SEC(sec), u, v, f, true}
#define SPAN 10 /* seconds, every base correlation */

static const struct row rows[] = {
    /* ---- event_count ---- */
    {VG_CORR_EVENT_COUNT, AT, VG_CORR_GTE, 3, 0, {S('a', 0, "u", NULL, 0), S('a', 1, "u", NULL, 0), S('a', 2, "u", NULL, 1)}},
    {VG_CORR_EVENT_COUNT, BELOW, VG_CORR_GTE, 3, 0, {S('a', 0, "u", NULL, 0), S('a', 1, "u", NULL, 0), S('b', 2, "u", NULL, 0)}},
    {VG_CORR_EVENT_COUNT, ABOVE, VG_CORR_GT, 3, 0,
     {S('a', 0, "u", NULL, 0), S('a', 1, "u", NULL, 0), S('a', 2, "u", NULL, 0), S('a', 3, "u", NULL, 1)}},
    {VG_CORR_EVENT_COUNT, INSIDE, VG_CORR_GTE, 3, 0, {S('a', 0, "u", NULL, 0), S('a', 5, "u", NULL, 0), S('a', SPAN, "u", NULL, 1)}},
    {VG_CORR_EVENT_COUNT, OUTSIDE, VG_CORR_GTE, 3, 0,
     {S('a', 0, "u", NULL, 0), S('a', 5, "u", NULL, 0), SN('a', SEC(SPAN) + 1, "u", NULL, 0), S('a', 11, "u", NULL, 1)}},
    {VG_CORR_EVENT_COUNT, LATE, VG_CORR_GTE, 3, 5,
     {S('a', 10, "u", NULL, 0), S('a', 12, "u", NULL, 0), S('a', 7, "u", NULL, 1), /* 5 s late: inserted */
      S('a', 20, "w", NULL, 0), S('a', 21, "w", NULL, 0), S('a', 15, "w", NULL, 0),  /* 6 s late: dropped */
      S('a', 16, "w", NULL, 1)}},
    {VG_CORR_EVENT_COUNT, GROUP, VG_CORR_GTE, 3, 0,
     {S('a', 0, "u1", NULL, 0), S('a', 1, "u2", NULL, 0), S('a', 2, "u1", NULL, 0), S('a', 3, "u2", NULL, 0),
      S('a', 4, "u1", NULL, 1), S('a', 5, "u2", NULL, 1)}},
    {VG_CORR_EVENT_COUNT, RESTART, VG_CORR_GTE, 3, 0,
     {S('a', 0, "u", NULL, 0), S('a', 1, "u", NULL, 0), SR('a', 2, "u", NULL, 1), S('a', 3, "u", NULL, 0)}},
    {VG_CORR_EVENT_COUNT, CHAIN, VG_CORR_GTE, 3, 0,
     {S('a', 0, "u", NULL, 0), S('a', 1, "u", NULL, 0), S('a', 2, "u", NULL, 1), S('a', 3, "u", NULL, 0),
      S('a', 4, "u", NULL, 0), S('a', 5, "u", NULL, 2)}},

    /* ---- value_count (distinct V) ---- */
    {VG_CORR_VALUE_COUNT, AT, VG_CORR_GTE, 3, 0,
     {S('a', 0, "u", "x", 0), S('a', 1, "u", "x", 0), S('a', 2, "u", "y", 0), S('a', 3, "u", "z", 1)}},
    {VG_CORR_VALUE_COUNT, BELOW, VG_CORR_GTE, 3, 0,
     {S('a', 0, "u", "x", 0), S('a', 1, "u", "y", 0), S('a', 2, "u", "x", 0), S('a', 3, "u", "y", 0), S('a', 4, "u", NULL, 0)}},
    {VG_CORR_VALUE_COUNT, ABOVE, VG_CORR_GT, 3, 0,
     {S('a', 0, "u", "x", 0), S('a', 1, "u", "y", 0), S('a', 2, "u", "z", 0), S('a', 3, "u", "z", 0), S('a', 4, "u", "w", 1)}},
    {VG_CORR_VALUE_COUNT, INSIDE, VG_CORR_GTE, 3, 0, {S('a', 0, "u", "x", 0), S('a', 5, "u", "y", 0), S('a', SPAN, "u", "z", 1)}},
    {VG_CORR_VALUE_COUNT, OUTSIDE, VG_CORR_GTE, 3, 0,
     {S('a', 0, "u", "x", 0), S('a', 5, "u", "y", 0), SN('a', SEC(SPAN) + 1, "u", "z", 0), S('a', 11, "u", "x", 1)}},
    {VG_CORR_VALUE_COUNT, LATE, VG_CORR_GTE, 3, 5,
     {S('a', 10, "u", "x", 0), S('a', 12, "u", "y", 0), S('a', 7, "u", "z", 1), S('a', 20, "w", "x", 0),
      S('a', 21, "w", "y", 0), S('a', 15, "w", "z", 0), S('a', 16, "w", "z", 1)}},
    {VG_CORR_VALUE_COUNT, GROUP, VG_CORR_GTE, 3, 0,
     {S('a', 0, "u1", "x", 0), S('a', 1, "u2", "y", 0), S('a', 2, "u1", "y", 0), S('a', 3, "u2", "z", 0),
      S('a', 4, "u1", "z", 1), S('a', 5, "u2", "x", 1)}},
    {VG_CORR_VALUE_COUNT, RESTART, VG_CORR_GTE, 3, 0,
     {S('a', 0, "u", "x", 0), S('a', 1, "u", "y", 0), SR('a', 2, "u", "y", 0), S('a', 3, "u", "z", 1)}},
    {VG_CORR_VALUE_COUNT, CHAIN, VG_CORR_GTE, 3, 0,
     {S('a', 0, "u", "x", 0), S('a', 1, "u", "y", 0), S('a', 2, "u", "z", 1), S('a', 3, "u", "x", 0),
      S('a', 4, "u", "y", 0), S('a', 5, "u", "z", 2)}},

    /* ---- temporal (rules a, b, c; value = distinct rules seen) ---- */
    {VG_CORR_TEMPORAL, AT, VG_CORR_GTE, -1, 0,
     {S('b', 0, "u", NULL, 0), S('b', 1, "u", NULL, 0), S('a', 2, "u", NULL, 0), S('c', 3, "u", NULL, 1)}},
    {VG_CORR_TEMPORAL, BELOW, VG_CORR_GTE, 3, 0,
     {S('a', 0, "u", NULL, 0), S('b', 1, "u", NULL, 0), S('a', 2, "u", NULL, 0), S('b', 3, "u", NULL, 0)}},
    {VG_CORR_TEMPORAL, ABOVE, VG_CORR_GT, 2, 0,
     {S('a', 0, "u", NULL, 0), S('a', 1, "u", NULL, 0), S('b', 2, "u", NULL, 0), S('c', 3, "u", NULL, 1)}},
    {VG_CORR_TEMPORAL, INSIDE, VG_CORR_GTE, -1, 0, {S('a', 0, "u", NULL, 0), S('b', 5, "u", NULL, 0), S('c', SPAN, "u", NULL, 1)}},
    {VG_CORR_TEMPORAL, OUTSIDE, VG_CORR_GTE, -1, 0,
     {S('a', 0, "u", NULL, 0), S('b', 5, "u", NULL, 0), SN('c', SEC(SPAN) + 1, "u", NULL, 0), S('a', 11, "u", NULL, 1)}},
    {VG_CORR_TEMPORAL, LATE, VG_CORR_GTE, -1, 5,
     {S('a', 10, "u", NULL, 0), S('c', 12, "u", NULL, 0), S('b', 7, "u", NULL, 1), S('a', 20, "w", NULL, 0),
      S('c', 21, "w", NULL, 0), S('b', 15, "w", NULL, 0), S('b', 16, "w", NULL, 1)}},
    {VG_CORR_TEMPORAL, GROUP, VG_CORR_GTE, -1, 0,
     {S('a', 0, "u1", NULL, 0), S('b', 1, "u2", NULL, 0), S('b', 2, "u1", NULL, 0), S('c', 3, "u2", NULL, 0),
      S('c', 4, "u1", NULL, 1), S('a', 5, "u2", NULL, 1)}},
    {VG_CORR_TEMPORAL, RESTART, VG_CORR_GTE, -1, 0,
     {S('a', 0, "u", NULL, 0), S('b', 1, "u", NULL, 0), SR('c', 2, "u", NULL, 1)}},
    {VG_CORR_TEMPORAL, CHAIN, VG_CORR_GTE, -1, 0,
     {S('a', 0, "u", NULL, 0), S('b', 1, "u", NULL, 0), S('c', 2, "u", NULL, 1), S('c', 3, "u", NULL, 0),
      S('b', 4, "u", NULL, 0), S('a', 5, "u", NULL, 2)}},

    /* ---- temporal_ordered (a, then b, then c) ---- */
    {VG_CORR_TEMPORAL_ORDERED, AT, VG_CORR_GTE, -1, 0,
     {S('c', 0, "u", NULL, 0), S('a', 1, "u", NULL, 0), S('b', 2, "u", NULL, 0), S('c', 3, "u", NULL, 1)}},
    {VG_CORR_TEMPORAL_ORDERED, BELOW, VG_CORR_GTE, -1, 0, /* all three seen, but c before a */
     {S('c', 0, "u", NULL, 0), S('b', 1, "u", NULL, 0), S('a', 2, "u", NULL, 0), S('b', 3, "u", NULL, 0)}},
    {VG_CORR_TEMPORAL_ORDERED, ABOVE, VG_CORR_GT, 1, 0, /* more than the first rule in order: a, b */
     {S('b', 0, "u", NULL, 0), S('a', 1, "u", NULL, 0), S('a', 2, "u", NULL, 0), S('b', 3, "u", NULL, 1)}},
    {VG_CORR_TEMPORAL_ORDERED, INSIDE, VG_CORR_GTE, -1, 0,
     {S('a', 0, "u", NULL, 0), S('b', 5, "u", NULL, 0), S('c', SPAN, "u", NULL, 1)}},
    {VG_CORR_TEMPORAL_ORDERED, OUTSIDE, VG_CORR_GTE, -1, 0,
     {S('a', 0, "u", NULL, 0), S('b', 5, "u", NULL, 0), SN('c', SEC(SPAN) + 1, "u", NULL, 0)}},
    {VG_CORR_TEMPORAL_ORDERED, LATE, VG_CORR_GTE, -1, 5,
     {S('a', 10, "u", NULL, 0), S('c', 12, "u", NULL, 0), S('b', 11, "u", NULL, 1), /* late b fills the gap */
      S('b', 20, "w", NULL, 0), S('c', 21, "w", NULL, 0), S('a', 22, "w", NULL, 0), /* wrong order */
      S('a', 15, "w", NULL, 0),                                                   /* would fix it, 7 s late: dropped */
      S('a', 19, "w", NULL, 1)}},                                                 /* 3 s late: a(19) b(20) c(21) */
    {VG_CORR_TEMPORAL_ORDERED, GROUP, VG_CORR_GTE, -1, 0,
     {S('a', 0, "u1", NULL, 0), S('a', 1, "u2", NULL, 0), S('b', 2, "u1", NULL, 0), S('b', 3, "u2", NULL, 0),
      S('c', 4, "u2", NULL, 1), S('c', 5, "u1", NULL, 1)}},
    {VG_CORR_TEMPORAL_ORDERED, RESTART, VG_CORR_GTE, -1, 0,
     {S('a', 0, "u", NULL, 0), SR('b', 1, "u", NULL, 0), SR('c', 2, "u", NULL, 1)}},
    {VG_CORR_TEMPORAL_ORDERED, CHAIN, VG_CORR_GTE, -1, 0,
     {S('a', 0, "u", NULL, 0), S('b', 1, "u", NULL, 0), S('c', 2, "u", NULL, 1), S('a', 3, "u", NULL, 0),
      S('b', 4, "u", NULL, 0), S('c', 5, "u", NULL, 2)}},

    /* ---- value_sum ---- */
    {VG_CORR_VALUE_SUM, AT, VG_CORR_GTE, 30, 0, {S('a', 0, "u", "10", 0), S('a', 1, "u", "10", 0), S('a', 2, "u", "10", 1)}},
    {VG_CORR_VALUE_SUM, BELOW, VG_CORR_GTE, 30, 0,
     {S('a', 0, "u", "10", 0), S('a', 1, "u", "10", 0), S('a', 2, "u", "9", 0), S('a', 3, "u", "x", 0)}},
    {VG_CORR_VALUE_SUM, ABOVE, VG_CORR_GT, 30, 0,
     {S('a', 0, "u", "10", 0), S('a', 1, "u", "10", 0), S('a', 2, "u", "10", 0), S('a', 3, "u", "1", 1)}},
    {VG_CORR_VALUE_SUM, INSIDE, VG_CORR_GTE, 30, 0, {S('a', 0, "u", "10", 0), S('a', 5, "u", "10", 0), S('a', SPAN, "u", "10", 1)}},
    {VG_CORR_VALUE_SUM, OUTSIDE, VG_CORR_GTE, 30, 0,
     {S('a', 0, "u", "10", 0), S('a', 5, "u", "10", 0), SN('a', SEC(SPAN) + 1, "u", "10", 0), S('a', 11, "u", "10", 1)}},
    {VG_CORR_VALUE_SUM, LATE, VG_CORR_GTE, 30, 5,
     {S('a', 10, "u", "10", 0), S('a', 12, "u", "10", 0), S('a', 7, "u", "10", 1), S('a', 20, "w", "10", 0),
      S('a', 21, "w", "10", 0), S('a', 15, "w", "10", 0), S('a', 16, "w", "10", 1)}},
    {VG_CORR_VALUE_SUM, GROUP, VG_CORR_GTE, 30, 0,
     {S('a', 0, "u1", "10", 0), S('a', 1, "u2", "10", 0), S('a', 2, "u1", "10", 0), S('a', 3, "u2", "10", 0),
      S('a', 4, "u1", "10", 1), S('a', 5, "u2", "10", 1)}},
    {VG_CORR_VALUE_SUM, RESTART, VG_CORR_GTE, 30, 0,
     {S('a', 0, "u", "10", 0), S('a', 1, "u", "10", 0), SR('a', 2, "u", "10", 1)}},
    {VG_CORR_VALUE_SUM, CHAIN, VG_CORR_GTE, 30, 0,
     {S('a', 0, "u", "10", 0), S('a', 1, "u", "10", 0), S('a', 2, "u", "10", 1), S('a', 3, "u", "10", 0),
      S('a', 4, "u", "10", 0), S('a', 5, "u", "10", 2)}},

    /* ---- value_avg ---- */
    {VG_CORR_VALUE_AVG, AT, VG_CORR_GTE, 30, 0, {S('a', 0, "u", "20", 0), S('a', 1, "u", "40", 1)}},
    {VG_CORR_VALUE_AVG, BELOW, VG_CORR_GTE, 30, 0, {S('a', 0, "u", "20", 0), S('a', 1, "u", "39", 0)}},
    {VG_CORR_VALUE_AVG, ABOVE, VG_CORR_GT, 30, 0, {S('a', 0, "u", "20", 0), S('a', 1, "u", "40", 0), S('a', 2, "u", "31", 1)}},
    {VG_CORR_VALUE_AVG, INSIDE, VG_CORR_EQ, 30, 0, {S('a', 0, "u", "20", 0), S('a', SPAN, "u", "40", 1)}},
    {VG_CORR_VALUE_AVG, OUTSIDE, VG_CORR_EQ, 30, 0, {S('a', 0, "u", "20", 0), SN('a', SEC(SPAN) + 1, "u", "40", 0)}},
    {VG_CORR_VALUE_AVG, LATE, VG_CORR_GTE, 30, 5,
     {S('a', 10, "u", "20", 0), S('a', 12, "u", "30", 0), S('a', 8, "u", "40", 1), S('a', 20, "w", "20", 0),
      S('a', 21, "w", "30", 0), S('a', 15, "w", "40", 0)}},
    {VG_CORR_VALUE_AVG, GROUP, VG_CORR_EQ, 30, 0,
     {S('a', 0, "u1", "20", 0), S('a', 1, "u2", "40", 0), S('a', 2, "u1", "40", 1), S('a', 3, "u2", "20", 1)}},
    {VG_CORR_VALUE_AVG, RESTART, VG_CORR_GTE, 30, 0, {S('a', 0, "u", "20", 0), SR('a', 1, "u", "40", 1)}},
    {VG_CORR_VALUE_AVG, CHAIN, VG_CORR_GTE, 30, 0, {S('a', 0, "u", "30", 1), S('a', 1, "u", "30", 2)}},

    /* ---- value_percentile (text: share of window values equal to this one, lte) ---- */
    {VG_CORR_VALUE_PERCENTILE, AT, VG_CORR_LTE, 25, 0,
     {S('a', 0, "u", "x", 0), S('a', 1, "u", "x", 0), S('a', 2, "u", "x", 0), S('a', 3, "u", "y", 1)}},
    {VG_CORR_VALUE_PERCENTILE, BELOW, VG_CORR_LTE, 25, 0, /* 1 of 3 = 33 %: not rare enough */
     {S('a', 0, "u", "x", 0), S('a', 1, "u", "x", 0), S('a', 2, "u", "y", 0)}},
    {VG_CORR_VALUE_PERCENTILE, ABOVE, VG_CORR_LT, 25, 0,
     {S('a', 0, "u", "x", 0), S('a', 1, "u", "x", 0), S('a', 2, "u", "x", 0), S('a', 3, "u", "y", 0), S('a', 4, "u", "z", 1)}},
    {VG_CORR_VALUE_PERCENTILE, INSIDE, VG_CORR_LTE, 25, 0,
     {S('a', 0, "u", "x", 0), S('a', 5, "u", "x", 0), S('a', 5, "u", "x", 0), S('a', SPAN, "u", "y", 1)}},
    {VG_CORR_VALUE_PERCENTILE, OUTSIDE, VG_CORR_LTE, 25, 0,
     {S('a', 0, "u", "x", 0), S('a', 5, "u", "x", 0), S('a', 5, "u", "x", 0), SN('a', SEC(SPAN) + 1, "u", "y", 0)}},
    {VG_CORR_VALUE_PERCENTILE, LATE, VG_CORR_LTE, 25, 5,
     {S('a', 10, "u", "x", 0), S('a', 12, "u", "x", 0), S('a', 12, "u", "x", 0), S('a', 9, "u", "y", 1),
      S('a', 20, "w", "x", 0), S('a', 21, "w", "x", 0), S('a', 21, "w", "x", 0), S('a', 15, "w", "y", 0)}},
    {VG_CORR_VALUE_PERCENTILE, GROUP, VG_CORR_LTE, 25, 0,
     {S('a', 0, "u1", "x", 0), S('a', 1, "u2", "x", 0), S('a', 2, "u1", "x", 0), S('a', 3, "u2", "x", 0),
      S('a', 4, "u1", "x", 0), S('a', 5, "u2", "y", 0), S('a', 6, "u1", "y", 1)}},
    {VG_CORR_VALUE_PERCENTILE, RESTART, VG_CORR_LTE, 25, 0,
     {S('a', 0, "u", "x", 0), S('a', 1, "u", "x", 0), S('a', 2, "u", "x", 0), SR('a', 3, "u", "y", 1)}},
    {VG_CORR_VALUE_PERCENTILE, CHAIN, VG_CORR_LTE, 25, 0,
     {S('a', 0, "u", "x", 0), S('a', 1, "u", "x", 0), S('a', 2, "u", "x", 0), S('a', 3, "u", "y", 1),
      S('a', 4, "u", "x", 0), S('a', 5, "u", "x", 0), S('a', 6, "u", "x", 0), S('a', 7, "u", "y", 2)}},
};

static const char *const RULES_ABC[] = {"a", "b", "c"};
static const char *const RULES_BASE[] = {"base"};
static const char *const GB[] = {"User"};

static struct vg_corr_def base_def(const struct row *r)
{
    bool temporal = r->type == VG_CORR_TEMPORAL || r->type == VG_CORR_TEMPORAL_ORDERED;
    struct vg_corr_def d = {.id = "base", .type = r->type, .rules = RULES_ABC, .nrules = temporal ? 3 : 1,
                            .group_by = GB, .ngroup_by = 1, .timespan_ns = SEC(SPAN)};
    if (r->type != VG_CORR_EVENT_COUNT && !temporal) d.field = "V";
    if (r->thr >= 0) {
        d.ncond = 1;
        d.ops[0] = r->op;
        d.values[0] = r->thr;
    }
    return d;
}

/* The chained correlation: two fires of "base" for a user within 10 min. */
static struct vg_corr_def chain_def(void)
{
    struct vg_corr_def d = {.id = "chain", .type = VG_CORR_EVENT_COUNT, .rules = RULES_BASE, .nrules = 1,
                            .group_by = GB, .ngroup_by = 1, .timespan_ns = SEC(600), .ncond = 1};
    d.ops[0] = VG_CORR_GTE;
    d.values[0] = 2;
    return d;
}

static struct vg_corr *build(const struct row *r)
{
    struct vg_corr_opts o = {.lateness_ns = SEC(r->late_s)};
    struct vg_corr *c = vg_corr_new(&o);
    assert_non_null(c);
    struct vg_corr_def d = base_def(r);
    struct vg_err err = VG_ERR_INIT;
    assert_int_equal(vg_corr_add(c, &d, &err), 0);
    if (r->k == CHAIN) {
        d = chain_def();
        assert_int_equal(vg_corr_add(c, &d, &err), 1);
    }
    return c;
}

static void run_row(const struct row *r)
{
    struct vg_corr *c = build(r);
    int total = 0, want_total = 0;
    for (size_t i = 0; i < VG_ARRAY_LEN(r->s) && r->s[i].rule; i++) {
        const struct step *s = &r->s[i];
        if (s->restart) {
            struct vg_buf b = VG_BUF_INIT;
            assert_int_equal(vg_corr_save(c, &b), 0);
            vg_corr_free(c);
            c = build(r);
            struct vg_err err = VG_ERR_INIT;
            assert_int_equal(vg_corr_restore(c, b.data, b.len, &err), 0);
            vg_buf_release(&b);
        }
        char rule[2] = {s->rule, 0};
        int n = s->v ? feed_ns(c, rule, s->t, "User", s->user, "V", s->v, NULL) : feed_ns(c, rule, s->t, "User", s->user, NULL);
        if (n != s->fires)
            fail_msg("%s / %s: step %zu (%s at %+.9f s, user %s, value %s): %d fires, want %d",
                     vg_corr_type_name(r->type), kase_name[r->k], i, rule, (double)s->t / 1e9, s->user,
                     s->v ? s->v : "-", n, s->fires);
        if (n > 0 && r->k == CHAIN && s->fires == 2) {
            assert_int_equal(g_fires[0].corr, 0);
            assert_int_equal(g_fires[1].corr, 1);
            assert_int_equal(g_fires[1].depth, 1);
            assert_string_equal(g_fires[1].key, s->user);
        }
        if (n > 0 && r->k != CHAIN) assert_string_equal(g_fires[0].key, s->user);
        total += n;
        want_total += s->fires;
    }
    assert_int_equal(total, want_total);
    if (r->k == LATE) {
        struct vg_corr_stats st = stats_of(c);
        assert_true(st.reordered >= 1);
    }
    vg_corr_free(c);
}

/* One CTest-visible case per type; each runs every kind of timeline and
 * checks that the table covers all of them for that type. */
static void run_type(enum vg_corr_type t)
{
    bool seen[NKASE] = {false};
    for (size_t i = 0; i < VG_ARRAY_LEN(rows); i++) {
        if (rows[i].type != t) continue;
        run_row(&rows[i]);
        seen[rows[i].k] = true;
    }
    for (int k = 0; k < NKASE; k++)
        if (!seen[k]) fail_msg("%s: no '%s' timeline in the table", vg_corr_type_name(t), kase_name[k]);
}

static void test_event_count(void **st) { (void)st; run_type(VG_CORR_EVENT_COUNT); }
static void test_value_count(void **st) { (void)st; run_type(VG_CORR_VALUE_COUNT); }
static void test_temporal(void **st) { (void)st; run_type(VG_CORR_TEMPORAL); }
static void test_temporal_ordered(void **st) { (void)st; run_type(VG_CORR_TEMPORAL_ORDERED); }
static void test_value_sum(void **st) { (void)st; run_type(VG_CORR_VALUE_SUM); }
static void test_value_avg(void **st) { (void)st; run_type(VG_CORR_VALUE_AVG); }
static void test_value_percentile(void **st) { (void)st; run_type(VG_CORR_VALUE_PERCENTILE); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_event_count), cmocka_unit_test(test_value_count),
        cmocka_unit_test(test_temporal),    cmocka_unit_test(test_temporal_ordered),
        cmocka_unit_test(test_value_sum),   cmocka_unit_test(test_value_avg),
        cmocka_unit_test(test_value_percentile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
