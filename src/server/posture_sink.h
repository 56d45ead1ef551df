/* The server's handler for agents' posture documents (posture_sink.c),
 * plugged into the agent listener as its vg_agent_record_fn. */
#ifndef VG_SERVER_POSTURE_SINK_H
#define VG_SERVER_POSTURE_SINK_H

#include "vigil/event.h"

struct vg_posture_sink;

/* Opens its own store handle on data_dir (asset tables) and looks for
 * advisories in data_dir/advisories. VG_EUNSUP when the store keeps no
 * assets. */
int vg__posture_sink_new(struct vg_posture_sink **out, const char *data_dir, struct vg_err *err);
void vg__posture_sink_free(struct vg_posture_sink *k);
/* vg_agent_record_fn; ctx is the sink. Thread-safe. */
int vg__posture_sink_record(void *ctx, const char *tenant, const char *host, const char *doc, size_t len, int64_t ts,
                            struct vg_batch *events, char *why, size_t whysz);

#endif
