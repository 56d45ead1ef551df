/* SQLite backend: placeholder until the backend lands (every op reports
 * "not supported"). */
#include "vigil/store.h"

static int open_(struct vg_store **out, const char *location, struct vg_err *err)
{
    (void)location;
    *out = NULL;
    return vg_err_set(err, VG_EUNSUP, "the SQLite backend is not built yet");
}

static void close_(struct vg_store *s) { (void)s; }

const struct vg_store_ops vg_store_sqlite_ops = {
    .name = "sqlite", .desc = "embedded SQLite (placeholder)", .open = open_, .close = close_};
