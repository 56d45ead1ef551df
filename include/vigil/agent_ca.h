/* The server's private certificate authority for agents (src/ingest/
 * agent_ca.c). DATA/ca/ (mode 0700) holds ca.key/ca.pem (EC P-256,
 * self-signed, 10 years) made on first use, and server.key/server.pem, a
 * serverAuth certificate for the name "vigil-server" (plus localhost,
 * 127.0.0.1, ::1 and the listen host) re-issued at every start. Agent
 * certificates carry CN = agent id, O = tenant, clientAuth only, so an
 * agent certificate can never pass as the server's. The trust model is in
 * docs/internals/agent.md. */
#ifndef VIGIL_AGENT_CA_H
#define VIGIL_AGENT_CA_H

#include "vigil/core.h"

#define VG_AGENT_SERVER_NAME "vigil-server"

struct vg_agent_ca;

/* Opens (creating on first use) the CA in data_dir/ca. When listen_host is
 * non-NULL also issues a fresh server certificate for it. */
int vg_agent_ca_open(struct vg_agent_ca **out, const char *data_dir, const char *listen_host, struct vg_err *err);
void vg_agent_ca_free(struct vg_agent_ca *ca);
/* SHA-256 of the CA certificate (DER) as 64 hex digits. */
const char *vg_agent_ca_fingerprint(const struct vg_agent_ca *ca);
/* PEM of the CA certificate (static for the handle's lifetime). */
const char *vg_agent_ca_pem(const struct vg_agent_ca *ca);
/* Paths of the CA certificate and of the server certificate and key. */
const char *vg_agent_ca_path(const struct vg_agent_ca *ca, int which); /* 0 ca.pem, 1 server.pem, 2 server.key */
/* Verifies a PEM CSR (its self-signature, EC P-256/P-384 or Ed25519 key),
 * issues a clientAuth certificate (CN = agent_id, O = tenant, 5 years) and
 * appends its PEM to *cert_pem (vg_malloc'd, caller frees); fp_out (65
 * bytes) gets its SHA-256 fingerprint. VG_EINVAL for a bad CSR. */
int vg_agent_ca_sign(struct vg_agent_ca *ca, const char *csr_pem, size_t csr_len, const char *agent_id,
                     const char *tenant, char **cert_pem, char fp_out[65], struct vg_err *err);

#endif
