/* Sigma correlation documents (parsed by the Sigma loader into struct
 * vg_sigma_correlation) -> correlation engine definitions. Part of
 * src/detect/correlate (see internal.h). */
#include "internal.h"
#include "vigil/alert.h"
#include "vigil/sigma.h"

static int parse_op(const char *s)
{
    static const char *const ops[] = {"gt", "gte", "lt", "lte", "eq", "neq"};
    for (int i = 0; s && i < (int)VG_ARRAY_LEN(ops); i++)
        if (strcmp(s, ops[i]) == 0) return i;
    return -1;
}

int vg_corr_def_from_sigma(struct vg_corr_def *def, const struct vg_sigma_rule *rule, struct vg_corr_alias *aliases,
                           size_t cap, struct vg_err *err)
{
    memset(def, 0, sizeof *def);
    const struct vg_sigma_correlation *co = rule ? rule->correlation : NULL;
    if (!co || rule->kind != VG_SIGMA_CORRELATION) return vg_err_set(err, VG_EINVAL, "not a correlation");
    int t = vg_corr_type_parse(co->type);
    if (t < 0) return vg_err_set(err, VG_EINVAL, "unknown correlation type %s", co->type ? co->type : "(none)");
    def->id = rule->id;
    def->name = rule->name;
    def->title = rule->title;
    def->type = (enum vg_corr_type)t;
    def->rules = co->rules;
    def->nrules = co->nrules;
    def->group_by = co->group_by;
    def->ngroup_by = co->ngroup_by;
    def->timespan_ns = co->timespan_ns;
    def->field = co->field;
    def->generate = co->generate;
    def->level = vg_alert_level_parse(rule->level);
    if (def->level < 0) def->level = VG_ALERT_MEDIUM;
    for (size_t i = 0; i < co->ncond && i < 4; i++) {
        int op = parse_op(co->cond_ops[i]);
        if (op < 0) return vg_err_set(err, VG_EINVAL, "unknown condition operator %s", co->cond_ops[i]);
        def->ops[i] = (enum vg_corr_op)op;
        def->values[i] = co->cond_values[i];
        def->ncond++;
    }
    if (co->naliases > cap) return vg_err_set(err, VG_ETOOBIG, "more than %zu aliases", cap);
    for (size_t i = 0; i < co->naliases; i++) {
        aliases[i].name = co->aliases[i].name;
        aliases[i].rules = co->aliases[i].rules;
        aliases[i].fields = co->aliases[i].fields;
        aliases[i].n = co->aliases[i].n;
    }
    def->aliases = aliases;
    def->naliases = co->naliases;
    return 0;
}

int vg_corr_add_sigma(struct vg_corr *c, const struct vg_sigma_set *set, size_t *skipped, struct vg_err *err)
{
    int added = 0;
    size_t n = vg_sigma_rule_count(set);
    for (size_t i = 0; i < n; i++) {
        const struct vg_sigma_rule *r = vg_sigma_rule_at(set, i);
        if (!r || r->kind != VG_SIGMA_CORRELATION) continue;
        struct vg_corr_alias al[64];
        struct vg_corr_def d;
        int rc = vg_corr_def_from_sigma(&d, r, al, VG_ARRAY_LEN(al), err);
        if (rc == 0) rc = vg_corr_add(c, &d, err);
        if (rc == VG_ENOMEM) return rc;
        if (rc < 0) {
            if (skipped) (*skipped)++;
            continue;
        }
        added++;
    }
    return added;
}
