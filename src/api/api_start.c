/* vg_api_start: wires the HTTP server to the real store, query parser and
 * pipeline. Kept in its own file so unit tests, which start the server over
 * test doubles with vg__api_start_with, never link the real pipeline. */
#include "internal.h"

int vg_api_start(struct vg_api **out, const struct vg_api_opts *opts, int *port_out, struct vg_err *err)
{
    static const struct vg__api_deps real = {
        .store_open = vg_store_open,
        .store_close = vg_store_close,
        .query_parse = vg_query_parse,
        .query_release = vg_query_release,
        .submit = vg_pipeline_submit,
        .counters = vg_pipeline_counters,
        .metrics = vg_pipeline_metrics,
    };
    return vg__api_start_with(out, opts, &real, port_out, err);
}
