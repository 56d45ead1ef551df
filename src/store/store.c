/* Store front door: picks a backend from the location and dispatches. */
#include "vigil/store.h"

extern const struct vg_store_ops vg_store_sqlite_ops;

static const struct vg_store_ops *const backends[] = {&vg_store_sqlite_ops, NULL};

const struct vg_store_ops *const *vg_store_backends(size_t *n)
{
    if (n) *n = VG_ARRAY_LEN(backends) - 1;
    return backends;
}

int vg_store_open(struct vg_store **out, const char *location, struct vg_err *err)
{
    *out = NULL;
    if (!location || !*location) return vg_err_set(err, VG_EINVAL, "no store location given");
    if (strncmp(location, "postgres://", 11) == 0 || strncmp(location, "postgresql://", 13) == 0)
        return vg_err_set(err, VG_EUNSUP, "the PostgreSQL backend is not built yet");
    /* the SQLite backend understands both DIR and sqlite:PATH */
    return vg_store_sqlite_ops.open(out, location, err);
}

void vg_store_close(struct vg_store *s)
{
    if (s) s->ops->close(s);
}
