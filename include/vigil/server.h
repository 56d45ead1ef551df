/* The Vigil server (`vigil serve`): wires the store, the pipeline, the
 * ingest sources and the HTTP API together, prints its listening addresses
 * and runs until SIGTERM/SIGINT, then stops the sources, waits for
 * in-flight HTTP requests, drains and commits the pipeline and exits.
 *
 * Start-up lines on stdout (machine-readable, flushed):
 *   admin token: SECRET                   (first start only)
 *   admin token stored in DATA/admin.token
 *   listening http 127.0.0.1:8080         (one line per listener)
 *   listening syslog-tcp 127.0.0.1:5514
 *   ready */
#ifndef VIGIL_SERVER_H
#define VIGIL_SERVER_H

#include "vigil/config.h"

/* Runs the server with cfg until a termination signal. Returns 0 after a
 * clean shutdown, or a VG_E* code (detail in err) when start-up fails. */
int vg_server_run(const struct vg_config *cfg, struct vg_err *err);

#endif
