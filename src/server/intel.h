/* Private to the server layer: threat intel in `vigil serve`
 * (src/server/intel.c). Builds the IoC set from the configured paths
 * ([intel] feeds/warninglists) and the registered feeds' cached copies
 * (include/vigil/intel_feeds.h), swaps it into the detect engine, runs the
 * refresh thread (registered feeds on their own schedules, configured paths
 * every [intel] refresh) and answers the /api/v1/intel routes. */
#ifndef VG_SERVER_INTEL_H
#define VG_SERVER_INTEL_H

#include "vigil/api.h"
#include "vigil/config.h"
#include "vigil/detect.h"

struct vg_srv_intel;

/* Loads DATA/intel/feeds.json (a damaged registry fails the start with the
 * reason). det is borrowed and must outlive the object. */
int vg_srv_intel_new(struct vg_srv_intel **out, const struct vg_config *cfg, struct vg_detect *det, struct vg_err *err);
/* True when configured paths or registered feeds exist (intel is on). */
bool vg_srv_intel_active(struct vg_srv_intel *si);
/* Builds a new set (configured paths + cached feed copies) and swaps it in;
 * the current set stays when the build fails (VG_EIO for an unreadable
 * configured path, VG_ENOMEM). With out, appends a JSON summary object. */
int vg_srv_intel_build(struct vg_srv_intel *si, struct vg_buf *out, struct vg_err *err);
/* Starts the refresh thread (it fetches feeds that are due at once). */
int vg_srv_intel_start(struct vg_srv_intel *si, struct vg_err *err);
/* Stops the thread and frees; NULL is a no-op. */
void vg_srv_intel_free(struct vg_srv_intel *si);

/* The /api/v1/intel operations (ctx = the vg_srv_intel). */
extern const struct vg_api_intel vg_srv_intel_api;

#endif
