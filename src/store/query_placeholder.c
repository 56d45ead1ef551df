/* Placeholder for the query parser until the store branch lands (it
 * provides src/store/query.c; delete this file when merging it). Reports,
 * never pretends. */
#include "vigil/query.h"

int vg_query_parse(struct vg_query *q, const char *text, struct vg_err *err)
{
    (void)text;
    q->root = NULL;
    return vg_err_set(err, VG_EUNSUP, "the query parser is not built yet");
}

void vg_query_release(struct vg_query *q) { q->root = NULL; }
