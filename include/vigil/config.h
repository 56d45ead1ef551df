/* Server configuration: defaults, an INI-style file and command-line
 * overrides (in that order). The file format:
 *
 *   # comment (also ';')
 *   [server]
 *   data = /var/lib/vigil          # data directory (store, tokens, TLS, tail state)
 *   http = 127.0.0.1:8080          # HTTP API; "off" disables
 *   workers = 2                    # decode threads (0 = one per core)
 *   log_level = info               # debug | info | warn | error
 *   [syslog]
 *   udp = 127.0.0.1:5514           # "off" disables; 0.0.0.0:514 listens everywhere
 *   tcp = 127.0.0.1:5514
 *   tls = off                      # e.g. 127.0.0.1:6514 (RFC 5425)
 *   tls_cert = /path/cert.pem      # default: self-signed DATA/tls/cert.pem made on first start
 *   tls_key = /path/key.pem
 *   max_frame = 65536              # largest accepted syslog frame in bytes
 *   [files]
 *   tail = /var/log/auth.log       # repeat for more files
 *   start_at = beginning           # beginning | end: where a never-seen file starts
 *   poll = 250ms
 *   [pipeline]
 *   queue_batches = 64             # batches per stage queue
 *   batch_events = 1000            # records per batch a source builds
 *   batch_delay = 20ms             # max age of a source's open batch
 *   commit_max_events = 50000      # max events per store transaction
 *   commit_max_delay = 50ms
 *   [detect]
 *   rules = /srv/sigma/rules       # more Sigma rules (file or directory); repeat for more
 *   default_rules = on             # on | off: Vigil's own pack ($VIGIL_RULES or the built-in rules/)
 *   mappings = /etc/vigil/mappings # log source mappings (default: the pack's mappings/)
 *   placeholders = /etc/vigil/sigma.yml  # values of Sigma |expand placeholders
 *   [agents]
 *   listen = off                   # e.g. 0.0.0.0:7443: vigil-agent connections (TLS 1.3, DATA/ca)
 *   silent_after = 30s             # an agent not heard from this long is reported silent
 *   [intel]
 *   feeds = /etc/vigil/intel, /srv/feeds/misp.json  # IoC feeds (files or directories: STIX 2.1,
 *                                  # MISP events, text/CSV lists); comma-separated, repeatable
 *   warninglists = /srv/misp-warninglists           # MISP warninglists (suppress hits); same syntax
 *   refresh = 1h                   # re-read the feeds on this schedule ("off", the default: only
 *                                  # at start, on SIGHUP and POST /api/v1/rules/reload)
 *   ca_file = /etc/vigil/feeds-ca.pem  # CAs for https feeds registered with `vigil intel feeds add`
 *                                  # (default: the system store)
 *   [incidents]                    # docs/internals/incidents.md
 *   enabled = on                   # group alerts into incidents (on | off)
 *   aggregate_window = 1h          # repeats of a rule on the same entities count into one alert ("off": one row each)
 *   window = 2h                    # alerts sharing a strong entity within this form one incident
 *   risk_window = 24h              # entity risk accumulates over this
 *   risk_threshold = 50            # entity risk (0..100) that raises an incident
 *
 * Addresses are ADDR:PORT or [IPv6]:PORT; port 0 picks a free port. Only
 * loopback is used by default: to listen elsewhere, name the address. */
#ifndef VIGIL_CONFIG_H
#define VIGIL_CONFIG_H

#include "vigil/core.h"

#define VG_CONFIG_MAX_FILES 64

struct vg_config {
    char data[1024];
    char http[128];          /* "" or "off" = disabled */
    char syslog_udp[128];
    char syslog_tcp[128];
    char syslog_tls[128];
    char tls_cert[1024];
    char tls_key[1024];
    size_t max_frame;
    size_t workers;
    int log_level;           /* enum vg_log_level */
    char *tail[VG_CONFIG_MAX_FILES]; /* vg_strdup'd paths */
    size_t ntail;
    bool tail_from_end;
    int64_t tail_poll_ns;
    size_t queue_batches;
    size_t batch_events;
    int64_t batch_delay_ns;
    size_t commit_max_events;
    int64_t commit_max_delay_ns;
    /* [detect] (appended by the alerts slice) */
    char *rules[VG_CONFIG_MAX_FILES]; /* vg_strdup'd rule paths beyond the default pack */
    size_t nrules;
    bool no_default_rules;   /* default_rules = off */
    char mappings[1024];     /* "" = the pack's mappings/ */
    char placeholders[1024]; /* "" = none */
    char agents[128];        /* [agents] listen: agents' TLS listener ("off" by default) */
    int64_t agent_silent_ns; /* [agents] silent_after: default 30s */
    /* [intel] (appended by the wire slice) */
    char *intel_feeds[VG_CONFIG_MAX_FILES];        /* vg_strdup'd feed paths */
    size_t nintel_feeds;
    char *intel_warninglists[VG_CONFIG_MAX_FILES]; /* vg_strdup'd warninglist paths */
    size_t nintel_warninglists;
    int64_t intel_refresh_ns;                      /* 0 = no scheduled refresh */
    /* [incidents] (appended by the incidents slice; 0 = default) */
    bool incidents_off;              /* enabled = off: no grouping thread */
    int64_t aggregate_window_ns;     /* aggregate_window: repeats counted into one alert (default 1h; -1 = off) */
    int64_t incident_window_ns;      /* window: alerts sharing an entity within it group (default 2h) */
    int64_t risk_window_ns;          /* risk_window: entity risk accumulates over it (default 24h) */
    size_t risk_threshold;           /* risk_threshold: 1..100 (default 50) */
    char intel_ca_file[1024];                      /* [intel] ca_file: PEM CAs for https feeds ("" = system store) */
};

/* Fills defaults (data from default_data, loopback listeners). */
void vg_config_init(struct vg_config *c, const char *default_data);
/* Reads an INI file over the current values. Errors (unknown section or
 * key, bad value, unreadable file) name the file and line in err. */
int vg_config_load(struct vg_config *c, const char *path, struct vg_err *err);
/* Sets one "section.key" to a value (as the file would); used for flags. */
int vg_config_set(struct vg_config *c, const char *section, const char *key, const char *val, struct vg_err *err);
/* True when an address setting is empty or "off". */
bool vg_config_off(const char *addr);
void vg_config_release(struct vg_config *c);

#endif
