/* The source table (src/ingest/sources.def). */
#include "vigil/source.h"

#define S(sym) extern const struct vg_source_ops sym;
#include "sources.def"
#undef S

static const struct vg_source_ops *const table[] = {
#define S(sym) &sym,
#include "sources.def"
#undef S
    NULL};

const struct vg_source_ops *const *vg_sources(size_t *n)
{
    if (n) *n = VG_ARRAY_LEN(table) - 1;
    return table;
}

const struct vg_source_ops *vg_source_find(const char *name)
{
    for (size_t i = 0; table[i]; i++)
        if (strcmp(table[i]->name, name) == 0) return table[i];
    return NULL;
}
