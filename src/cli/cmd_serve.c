/* vigil serve: parses flags over the configuration file and runs the
 * server (src/server/server.c). */
#include "cli.h"
#include "vigil/server.h"

static const char usage[] =
    "usage: vigil serve [--config FILE] [--data DIR] [--http ADDR:PORT] [--syslog-udp ADDR:PORT]\n"
    "                   [--syslog-tcp ADDR:PORT] [--syslog-tls ADDR:PORT] [--tail FILE]... [--workers N]\n"
    "                   [--log-level debug|info|warn|error] [--rules PATH]... [--mappings PATH]\n"
    "                   [--no-default-rules] [--intel PATH]... [--intel-warninglists DIR]...\n"
    "                   [--intel-refresh DURATION|off] [--intel-ca-file PEM] [--aggregate-window DURATION|off]\n"
    "                   [--incident-window DURATION] [--incidents on|off]\n"
    "                   [--agents ADDR:PORT] [--agents-silent-after DURATION]\n"
    "\n"
    "Runs the Vigil server. Defaults: data directory $VIGIL_DATA or ./data, HTTP API on 127.0.0.1:8080,\n"
    "syslog UDP and TCP on 127.0.0.1:5514, TLS and the agents' listener off. Only loopback is used unless you name another\n"
    "address (e.g. --syslog-udp 0.0.0.0:514). \"off\" disables a listener; port 0 picks a free port.\n"
    "Listening addresses are printed as 'listening NAME ADDR:PORT' lines, then 'ready'.\n"
    "The configuration file format is documented in include/vigil/config.h (INI: [server], [syslog],\n"
    "[files], [pipeline], [detect]); flags override it. SIGTERM/SIGINT drain and commit everything, then exit 0.\n"
    "Detection: Vigil's rule pack ($VIGIL_RULES, else the rules/ directory of the source tree the binary\n"
    "was built from) loads by default; --rules adds Sigma rule files or directories (e.g. SigmaHQ);\n"
    "--no-default-rules leaves the pack's rules out (its log source mappings stay). SIGHUP or POST /api/v1/rules/reload re-reads them all and\n"
    "swaps the rule set without stopping ingest.\n"
    "Threat intel: --intel adds IoC feeds (STIX 2.1 bundles, MISP events, text/CSV lists; files or\n"
    "directories), --intel-warninglists MISP warninglists whose values never alert; every event is\n"
    "matched and each hit is an alert. The feeds are re-read on SIGHUP, POST /api/v1/rules/reload and\n"
    "every --intel-refresh interval ([intel] feeds, warninglists, refresh in the configuration file).\n"
    "Feeds registered with `vigil intel feeds add` (files or http(s) URLs, DATA/intel/feeds.json) refresh on\n"
    "their own schedules; --intel-ca-file names the CAs for https feeds (default: the system store).\n"
    "Incidents: repeats of a rule on the same host, user and source count into one alert within\n"
    "--aggregate-window (default 1h); committed alerts are grouped into incidents by shared entities\n"
    "within --incident-window (default 2h), scored for risk and ranked ([incidents] section;\n"
    "docs/internals/incidents.md). vigil incidents and /api/v1/incidents show them.";

static int run(int argc, char **argv)
{
    struct vg_config cfg;
    struct vg_err err = VG_ERR_INIT;
    vg_config_init(&cfg, vg_cli_default_data());
    int code = 2;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            if (vg_config_load(&cfg, argv[++i], &err) != 0) {
                fprintf(stderr, "vigil serve: %s\n", err.msg);
                goto out;
            }
        }
    }
    static const struct { const char *flag, *sec, *key; } map[] = {
        {"--data", "server", "data"},           {"--http", "server", "http"},
        {"--workers", "server", "workers"},     {"--log-level", "server", "log_level"},
        {"--syslog-udp", "syslog", "udp"},      {"--syslog-tcp", "syslog", "tcp"},
        {"--syslog-tls", "syslog", "tls"},      {"--tail", "files", "tail"},
        {"--tls-cert", "syslog", "tls_cert"},   {"--tls-key", "syslog", "tls_key"},
        {"--rules", "detect", "rules"},         {"--mappings", "detect", "mappings"},
        {"--agents", "agents", "listen"},       {"--agents-silent-after", "agents", "silent_after"},
        {"--intel", "intel", "feeds"},          {"--intel-warninglists", "intel", "warninglists"},
        {"--intel-refresh", "intel", "refresh"}, {"--intel-ca-file", "intel", "ca_file"},
        {"--aggregate-window", "incidents", "aggregate_window"}, {"--incident-window", "incidents", "window"},
        {"--incidents", "incidents", "enabled"},
    };
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0) { i++; continue; }
        if (strcmp(argv[i], "--no-default-rules") == 0) { cfg.no_default_rules = true; continue; }
        size_t k;
        for (k = 0; k < VG_ARRAY_LEN(map); k++)
            if (strcmp(argv[i], map[k].flag) == 0) break;
        if (k == VG_ARRAY_LEN(map)) {
            fprintf(stderr, "vigil serve: unknown option '%s'\n%s\n", argv[i], usage);
            goto out;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "vigil serve: %s needs a value\n", argv[i]);
            goto out;
        }
        if (vg_config_set(&cfg, map[k].sec, map[k].key, argv[++i], &err) != 0) {
            fprintf(stderr, "vigil serve: %s: %s\n", argv[i - 1], err.msg);
            goto out;
        }
    }
    if (vg_server_run(&cfg, &err) != 0) {
        fprintf(stderr, "vigil serve: %s\n", err.msg[0] ? err.msg : vg_strerror(err.code));
        code = 1;
        goto out;
    }
    code = 0;
out:
    vg_config_release(&cfg);
    return code;
}

const struct vg_cmd vg_cmd_serve = {.name = "serve", .desc = "run the server (syslog, files, HTTP API)",
                                    .usage = usage, .run = run};
