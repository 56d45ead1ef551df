/* Security configuration assessment (hardening checks). A policy is a YAML
 * file in Vigil's own format (docs/internals/sca.md): metadata, platforms and
 * a list of checks, each a boolean composition (all/any/not) of typed probes
 * (file mode, sshd effective configuration, sysctl, dpkg package, ...).
 * Running a policy against a root prefix ("/" for the live host, or a
 * fixture / mounted image tree) yields one result per check - pass, fail,
 * not applicable or error - with the evidence seen, and a severity-weighted
 * score. Part of the posture layer (src/posture/sca/).
 *
 * Lifetimes: a loaded policy is immutable and may be run many times, also
 * from several threads at once. A report borrows the policy's checks: free
 * the report before the policy. */
#ifndef VIGIL_SCA_H
#define VIGIL_SCA_H

#include "vigil/core.h"

/* Hard limits on policy input (hostile files are rejected with a reason). */
#define VG_SCA_MAX_FILE (1u << 20)      /* bytes of policy YAML */
#define VG_SCA_MAX_CHECKS 4096          /* checks per policy */
#define VG_SCA_MAX_DEPTH 16             /* all/any/not nesting */
#define VG_SCA_MAX_NODES 256            /* condition nodes per check */
#define VG_SCA_MAX_STR 8192             /* bytes of any string value */
#define VG_SCA_MAX_LIST 256             /* entries in any list value */
#define VG_SCA_MAX_REGEX 1024           /* bytes of a regex pattern */
#define VG_SCA_MAX_EVIDENCE 2048        /* bytes of evidence per check */

enum vg_sca_status { VG_SCA_PASS, VG_SCA_FAIL, VG_SCA_NA, VG_SCA_ERROR, VG_SCA_NSTATUS };
enum vg_sca_severity { VG_SCA_LOW, VG_SCA_MEDIUM, VG_SCA_HIGH, VG_SCA_CRITICAL, VG_SCA_NSEVERITY };
/* Compliance frameworks a check may reference (YAML keys in brackets). */
enum vg_sca_framework {
    VG_SCA_FW_CIS,        /* cis: CIS Debian Linux 12 Benchmark control ids */
    VG_SCA_FW_NIST,       /* nist_800_53: NIST SP 800-53 rev. 5 controls */
    VG_SCA_FW_PCI,        /* pci_dss_v4: PCI DSS v4.0 requirements */
    VG_SCA_FW_ISO,        /* iso_27001: ISO/IEC 27001:2022 Annex A controls */
    VG_SCA_FW_HIPAA,      /* hipaa: HIPAA Security Rule sections */
    VG_SCA_NFW
};

const char *vg_sca_status_name(enum vg_sca_status s);     /* "pass", "fail", "not_applicable", "error" */
const char *vg_sca_severity_name(enum vg_sca_severity s); /* "low" ... "critical" */
const char *vg_sca_framework_name(enum vg_sca_framework f); /* YAML key, e.g. "nist_800_53" */
/* Score weight of a severity: low 1, medium 2, high 4, critical 8. */
int vg_sca_severity_weight(enum vg_sca_severity s);

/* One check, read-only view owned by its policy. */
struct vg_sca_check {
    const char *id, *title, *description, *rationale, *remediation; /* description may be NULL */
    enum vg_sca_severity severity;
    const char *const *refs[VG_SCA_NFW]; /* reference ids per framework */
    size_t nrefs[VG_SCA_NFW];
    int line, col;                       /* position of the check in the policy file */
    const void *applies_if, *condition;  /* compiled conditions (internal) */
};

struct vg_sca_policy;

/* Loads and strictly validates a policy. On error returns VG_EPARSE /
 * VG_ETOOBIG / VG_EIO / VG_ENOMEM with err->msg "file:line:col: reason" (and
 * err->line/col set). On success *out owns the policy (vg_sca_policy_free). */
int vg_sca_policy_load_file(const char *path, struct vg_sca_policy **out, struct vg_err *err);
/* Same from memory; name is used in messages (NULL: "<string>"). text need
 * not be NUL-terminated. */
int vg_sca_policy_load_string(const char *text, size_t len, const char *name, struct vg_sca_policy **out,
                              struct vg_err *err);
void vg_sca_policy_free(struct vg_sca_policy *p);

const char *vg_sca_policy_id(const struct vg_sca_policy *p);
const char *vg_sca_policy_name(const struct vg_sca_policy *p);
const char *vg_sca_policy_version(const struct vg_sca_policy *p);
size_t vg_sca_policy_count(const struct vg_sca_policy *p);
const struct vg_sca_check *vg_sca_policy_check(const struct vg_sca_policy *p, size_t i); /* NULL if out of range */

/* Run options. root "/" (or NULL) is the live host: only then may probes run
 * commands (sshd -T, systemctl is-active, command_output). */
struct vg_sca_opts {
    const char *root;          /* root prefix; NULL means "/" */
    const char *const *only;   /* run only these check ids (NULL: all) */
    size_t nonly;
    bool ignore_platform;      /* run even when the root's os-release does not match */
    int cmd_timeout_ms;        /* per command; 0 means 10000 */
};
#define VG_SCA_OPTS_INIT {NULL, NULL, 0, false, 0}

struct vg_sca_result {
    const struct vg_sca_check *check; /* borrowed from the policy */
    enum vg_sca_status status;
    char *evidence;                   /* owned by the report; never NULL */
    int64_t elapsed_ns;               /* time spent in this check */
};

struct vg_sca_report {
    char *policy_id, *policy_name, *policy_version, *root; /* owned copies */
    bool platform_match;             /* the root matched the policy's platforms */
    char *platform;                  /* what os-release said, e.g. "debian 12" */
    struct vg_sca_result *results;   /* one per check run, in policy order */
    size_t nresults;
    size_t count[VG_SCA_NSTATUS];
    size_t by_severity[VG_SCA_NSEVERITY][VG_SCA_NSTATUS];
    size_t by_framework[VG_SCA_NFW][VG_SCA_NSTATUS]; /* checks with >= 1 reference in that framework */
    double score;                    /* 0..100, see vg_sca_run; valid when scored */
    bool scored;                     /* false when nothing passed or failed */
    double framework_score[VG_SCA_NFW];
    int64_t started_ns, wall_ns, cpu_ns;
};

/* Runs policy p against opts->root. Every selected check gets a result;
 * probe failures become VG_SCA_ERROR results, not a failed run. Score =
 * 100 * sum(weight of passed) / sum(weight of passed + failed), weights per
 * vg_sca_severity_weight; not_applicable and error results do not count.
 * Returns 0 and a report in *out (vg_sca_report_free), VG_EINVAL for bad
 * arguments (unknown --only id: err says which), VG_ENOMEM. */
int vg_sca_run(const struct vg_sca_policy *p, const struct vg_sca_opts *opts, struct vg_sca_report **out,
               struct vg_err *err);
void vg_sca_report_free(struct vg_sca_report *r);
/* Appends the report as one JSON object (schema in docs/internals/sca.md). */
int vg_sca_report_json(const struct vg_sca_report *r, struct vg_buf *out);
/* The Debian 12 baseline policy's path: $VIGIL_RULES/policies/debian12-
 * baseline.yml when VIGIL_RULES is set (even if missing, so the error names
 * it), else the first readable of <dir of this executable>/../share/vigil/
 * rules/policies/, the install prefix's share/vigil/rules/policies/ and the
 * source tree's rules/policies/ (both compiled in), else the last one.
 * Written to buf, which is returned. */
const char *vg_sca_default_policy(char *buf, size_t bufsz);
/* Appends the posture summary the agent sends and the server stores (one
 * JSON object): policy, policy_name, policy_version, platform, ts (the
 * caller's scan time, ns), wall_ms, score (null when unscored), checks,
 * pass, fail, not_applicable, error, "failed": [{id, title, severity,
 * result, evidence, remediation}] for failed and errored checks, and
 * "results": [{id, result, evidence}] for every check (evidence capped at
 * 1 KiB). Returns 0 or VG_ENOMEM (nothing appended). */
int vg_sca_report_posture_json(const struct vg_sca_report *r, int64_t ts, struct vg_buf *out);

#endif
