/* vigil serve: start-up order is store -> admin token -> pipeline ->
 * sources -> HTTP API; shutdown runs the other way round (sources stop and
 * flush into the pipeline, the API finishes in-flight requests, the
 * pipeline drains and commits, the store closes). Termination signals are
 * blocked in every thread and taken synchronously with sigwait(). The
 * detect engine (rules) is created before the pipeline, whose workers call
 * it per batch; SIGHUP and POST /api/v1/rules/reload swap its rule set.
 *
 * Threat intel ([intel] feeds/warninglists, --intel, and the feeds
 * registered in DATA/intel/feeds.json): src/server/intel.c builds the IoC
 * set at start, rebuilds it on SIGHUP, on POST /api/v1/rules/reload and from
 * its refresh thread; each build happens off the hot path and is swapped
 * into the detect engine's slot (a failed build keeps the current set).
 *
 * Incidents (docs/internals/incidents.md): the store aggregates repeated
 * alerts within [incidents] aggregate_window; a vg_respond processor with
 * its own store handle groups committed alerts into incidents. The
 * pipeline's writer wakes it after each commit that stored alerts; at
 * shutdown it runs after the pipeline drained, so every alert committed is
 * grouped before exit (and otherwise on the next start, from its cursor). */
#include "vigil/server.h"
#include "vigil/respond.h"
#include "intel.h"
#include "vigil/api.h"
#include "vigil/detect.h"
#include "vigil/intel_feeds.h"
#include "vigil/source.h"
#include "posture_sink.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_SOURCES 9

struct running { const struct vg_source_ops *ops; struct vg_source *src; };

static int mkdir_p(const char *dir, struct vg_err *err)
{
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s", dir);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        if (mkdir(tmp, 0700) != 0 && errno != EEXIST) return vg_err_set(err, VG_EIO, "cannot create %s: %s", tmp, strerror(errno));
        *p = '/';
    }
    if (mkdir(tmp, 0700) != 0 && errno != EEXIST) return vg_err_set(err, VG_EIO, "cannot create %s: %s", tmp, strerror(errno));
    return 0;
}

/* Creates DATA/admin.token on first start and prints the secret once. */
static int ensure_admin_token(struct vg_store *st, const char *data, struct vg_err *err)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/admin.token", data);
    if (access(path, F_OK) == 0) {
        printf("admin token stored in %s\n", path);
        return 0;
    }
    if (!st->ops->token_create) return vg_err_set(err, VG_EUNSUP, "the store cannot create tokens");
    char secret[256];
    struct vg_token_info info;
    memset(&info, 0, sizeof info);
    int rc = st->ops->token_create(st, "admin", "admin", "default", secret, sizeof secret, &info, err);
    if (rc) return rc;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return vg_err_set(err, VG_EIO, "cannot create %s: %s", path, strerror(errno));
    fchmod(fd, 0600);
    char line[300];
    int n = snprintf(line, sizeof line, "%s\n", secret);
    bool ok = write(fd, line, (size_t)n) == n && fsync(fd) == 0;
    close(fd);
    if (!ok) { unlink(path); return vg_err_set(err, VG_EIO, "cannot write %s", path); }
    printf("admin token: %s\n", secret);
    printf("admin token stored in %s (mode 0600); it is not shown again\n", path);
    return 0;
}

/* ---- detection -------------------------------------------------------- */
static void log_rejections(const struct vg_sigma_report *rep)
{
    for (size_t i = 0; i < rep->nrej && i < 50; i++)
        vg_warn("detect", "rule rejected: %s:%d:%d%s%s: %s", rep->rej[i].file, rep->rej[i].line, rep->rej[i].col,
                rep->rej[i].rule_id ? " " : "", rep->rej[i].rule_id ? rep->rej[i].rule_id : "", rep->rej[i].reason);
    if (rep->nrej > 50) vg_warn("detect", "... and %zu more rejected rules (vigil rules check lists them)", rep->nrej - 50);
    for (size_t i = 0; i < rep->nwarn && i < 50; i++)
        vg_warn("detect", "%s:%d:%d: %s", rep->warn[i].file, rep->warn[i].line, rep->warn[i].col, rep->warn[i].reason);
}

/* The detect engine and what reloads it (rules and threat intel). */
struct detect_ctl {
    struct vg_detect *det;
    struct vg_respond *rsp;        /* incident processor (metrics), or NULL */
    const struct vg_config *cfg;
    struct vg_srv_intel *intel;    /* threat intel (src/server/intel.c), NULL without detection */
};

/* True when the configuration names intel paths or feeds are registered. */
static bool intel_wanted(const struct vg_config *cfg)
{
    if (cfg->nintel_feeds || cfg->nintel_warninglists) return true;
    struct vg_intel_feed *f = NULL;
    size_t n = 0;
    struct vg_err e = VG_ERR_INIT;
    int rc = vg_intel_feeds_load(cfg->data, &f, &n, &e);
    vg_free(f);
    return rc != 0 || n > 0; /* a damaged registry is reported by vg_srv_intel_new */
}

static int detect_start(const struct vg_config *cfg, struct vg_detect **out, struct vg_err *err)
{
    *out = NULL;
    const char *pack = cfg->no_default_rules ? NULL : vg_detect_default_pack();
    if (!cfg->no_default_rules && !pack)
        vg_warn("detect", "Vigil's rule pack was not found (set VIGIL_RULES or [detect] rules)");
    if (!pack && !cfg->nrules && !intel_wanted(cfg)) {
        printf("rules none (detection off)\n");
        return 0;
    }
    char mbuf[4096];
    struct vg_detect_opts o = {
        .pack = pack,
        .rules = (const char *const *)cfg->rules,
        .nrules = cfg->nrules,
        .mappings = cfg->mappings[0] ? cfg->mappings : pack ? NULL : vg_detect_default_mappings(mbuf, sizeof mbuf),
        .config = cfg->placeholders[0] ? cfg->placeholders : NULL,
    };
    struct vg_sigma_report rep = VG_SIGMA_REPORT_INIT;
    struct vg_detect_load_info li;
    int rc = vg_detect_new(out, &o, &rep, &li, err);
    if (rc == 0) {
        log_rejections(&rep);
        printf("rules %zu loaded, %zu rejected in %.0f ms%s%s%s\n", li.loaded, li.rejected, li.ms,
               pack ? " (pack " : "", pack ? pack : "", pack ? ")" : "");
        vg_info("detect", "%zu rules loaded, %zu rejected, %zu correlations evaluated, %zu filters (applied %zu times, %zu warnings)",
                li.loaded, li.rejected, li.correlations, li.filters, li.filters_applied, li.warnings);
    }
    vg_sigma_report_release(&rep);
    return rc;
}

/* Reload for SIGHUP and the API (rules, then threat intel when
 * configured); appends a JSON summary to out when given. A failed intel
 * build is reported in the summary ("intel":{"ok":false,...}) but does not
 * fail the rules reload. */
static int detect_reload(void *ctx, struct vg_buf *out, struct vg_err *err)
{
    struct detect_ctl *dc = ctx;
    struct vg_detect *d = dc->det;
    struct vg_sigma_report rep = VG_SIGMA_REPORT_INIT;
    struct vg_detect_load_info li;
    int rc = vg_detect_reload(d, &rep, &li, err);
    if (rc == 0) {
        log_rejections(&rep);
        vg_info("detect", "rules reloaded: generation %llu, %zu loaded, %zu rejected in %.0f ms",
                (unsigned long long)li.generation, li.loaded, li.rejected, li.ms);
        if (out) {
            rc = vg_buf_addf(out, "{\"ok\":true,\"generation\":%llu,\"loaded\":%zu,\"rejected\":%zu,"
                                  "\"correlations\":%zu,\"filters\":%zu,\"filters_applied\":%zu,\"warnings\":%zu,"
                                  "\"ms\":%.1f,\"rejections\":[",
                             (unsigned long long)li.generation, li.loaded, li.rejected, li.correlations, li.filters,
                             li.filters_applied, li.warnings, li.ms);
            for (size_t i = 0; rc == 0 && i < rep.nrej && i < 100; i++) {
                rc = vg_buf_adds(out, i ? ",{\"file\":" : "{\"file\":");
                if (!rc) rc = vg_buf_add_json_str(out, rep.rej[i].file, strlen(rep.rej[i].file));
                if (!rc) rc = vg_buf_addf(out, ",\"line\":%d,\"reason\":", rep.rej[i].line);
                if (!rc) rc = vg_buf_add_json_str(out, rep.rej[i].reason, strlen(rep.rej[i].reason));
                if (!rc) rc = vg_buf_addc(out, '}');
            }
            if (!rc) rc = vg_buf_adds(out, "]");
            if (!rc && vg_srv_intel_active(dc->intel)) {
                struct vg_err ie = VG_ERR_INIT;
                rc = vg_buf_adds(out, ",\"intel\":");
                if (!rc) {
                    size_t before = out->len;
                    vg_srv_intel_build(dc->intel, out, &ie);
                    if (out->len == before) rc = VG_ENOMEM;
                }
            }
            if (!rc) rc = vg_buf_addc(out, '}');
            if (rc) rc = vg_err_set(err, rc, "cannot build the answer");
        }
    } else {
        vg_warn("detect", "rule reload failed, previous rules stay: %s", err && err->msg[0] ? err->msg : vg_strerror(rc));
    }
    if ((rc || !out) && vg_srv_intel_active(dc->intel)) { /* not yet done above */
        struct vg_err ie = VG_ERR_INIT;
        vg_srv_intel_build(dc->intel, NULL, &ie);
    }
    vg_sigma_report_release(&rep);
    return rc;
}

static int detect_metrics(void *ctx, struct vg_buf *out)
{
    struct detect_ctl *dc = ctx;
    int rc = dc->det ? vg_detect_metrics(dc->det, out) : 0;
    if (!rc && dc->rsp) rc = vg_respond_metrics(dc->rsp, out);
    return rc;
}

/* "127.0.0.1:0" + 41234 -> "127.0.0.1:41234" */
static void with_port(const char *addr, int port, char *out, size_t sz)
{
    const char *colon = strrchr(addr, ':');
    int hl = colon ? (int)(colon - addr) : (int)strlen(addr);
    snprintf(out, sz, "%.*s:%d", hl, addr, port);
}

int vg_server_run(const struct vg_config *cfg, struct vg_err *err)
{
    struct vg_store *store = NULL;
    struct vg_pipeline *pipe = NULL;
    struct vg_api *api = NULL;
    struct vg_detect *det = NULL;
    struct vg_posture_sink *sink = NULL;
    struct vg_respond *rsp = NULL;
    struct detect_ctl dc = {.cfg = cfg};
    struct vg_buf corr_path = VG_BUF_INIT; /* <data>/correlation.state */
    struct running srcs[MAX_SOURCES];
    size_t nsrc = 0;
    int rc;

    /* block termination signals before any thread exists: all inherit it */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    vg_log_set_level((enum vg_log_level)cfg->log_level);

    rc = mkdir_p(cfg->data, err);
    if (rc) goto out;
    rc = vg_store_open(&store, cfg->data, err);
    if (rc) goto out;
    rc = ensure_admin_token(store, cfg->data, err);
    if (rc) goto out;
    if (store->ops->alerts_set_window) store->ops->alerts_set_window(store, cfg->aggregate_window_ns);
    struct vg_respond_opts ro = {.window_ns = cfg->incident_window_ns, .risk_window_ns = cfg->risk_window_ns,
                                 .risk_threshold = (double)cfg->risk_threshold};
    vg_respond_opts_defaults(&ro);
    if (!cfg->incidents_off && store->ops->inc_put) {
        if ((rc = vg_respond_new(&rsp, cfg->data, &ro, err))) goto out;
        if ((rc = vg_respond_start(rsp, err))) goto out;
        dc.rsp = rsp;
    }

    rc = detect_start(cfg, &det, err);
    if (rc) goto out;
    dc.det = det;
    if (det) { /* threat intel: configured paths and registered feeds (their cached copies first) */
        if ((rc = vg_srv_intel_new(&dc.intel, cfg, det, err))) goto out;
        if (vg_srv_intel_active(dc.intel) && (rc = vg_srv_intel_build(dc.intel, NULL, err))) goto out;
        if ((rc = vg_srv_intel_start(dc.intel, err))) goto out;
    }
    if (det) { /* correlation windows survive a restart */
        struct vg_err ce = VG_ERR_INIT;
        if (vg_buf_addf(&corr_path, "%s/correlation.state", cfg->data) == 0) {
            int cr = vg_detect_corr_load(det, corr_path.data, &ce);
            if (cr == 0) vg_info("detect", "correlation state restored from %s", corr_path.data);
            else if (cr != VG_ENOENT) vg_warn("detect", "correlation state not restored: %s", ce.msg);
        }
    }

    struct vg_pipeline_opts po = {
        .queue_batches = cfg->queue_batches,
        .workers = cfg->workers,
        .commit_max_events = cfg->commit_max_events,
        .commit_max_delay_ns = cfg->commit_max_delay_ns,
        .detect = det ? vg_detect_batch : NULL,
        .detect_ctx = det,
        .after_commit = rsp ? vg_respond_notify : NULL,
        .after_commit_ctx = rsp,
    };
    rc = vg_pipeline_new(&pipe, store, &po, err);
    if (rc) goto out;
    store = NULL;   /* the pipeline's writer owns it now */

    struct vg_source_conf sc = {
        .pipeline = pipe,
        .data_dir = cfg->data,
        .tls_cert = cfg->tls_cert[0] ? cfg->tls_cert : NULL,
        .tls_key = cfg->tls_key[0] ? cfg->tls_key : NULL,
        .files = (const char *const *)cfg->tail,
        .nfiles = cfg->ntail,
        .tail_from_end = cfg->tail_from_end,
        .poll_ns = cfg->tail_poll_ns,
        .max_frame = cfg->max_frame,
        .batch_events = cfg->batch_events,
        .batch_delay_ns = cfg->batch_delay_ns,
        .agent_silent_ns = cfg->agent_silent_ns,
    };
    if (!vg_config_off(cfg->agents)) { /* agents' posture documents: assets, trend, findings, FIM */
        if ((rc = vg__posture_sink_new(&sink, cfg->data, err))) goto out;
        sc.agent_record = vg__posture_sink_record;
        sc.agent_record_ctx = sink;
    }
    const struct { const char *name; const char *listen; } want[] = {
        {"syslog-udp", cfg->syslog_udp},
        {"syslog-tcp", cfg->syslog_tcp},
        {"syslog-tls", cfg->syslog_tls},
        {"file", cfg->ntail ? "-" : NULL},
        {"agent", cfg->agents},
    };
    for (size_t i = 0; i < VG_ARRAY_LEN(want); i++) {
        if (vg_config_off(want[i].listen)) continue;
        const struct vg_source_ops *ops = vg_source_find(want[i].name);
        if (!ops) continue;
        sc.listen = want[i].listen;
        char bound[128] = "";
        struct vg_source *s = NULL;
        rc = ops->start(&s, &sc, bound, sizeof bound, err);
        if (rc) goto out;
        srcs[nsrc++] = (struct running){ops, s};
        if (bound[0]) printf("listening %s %s\n", want[i].name, bound);
        else printf("following %zu file(s)\n", cfg->ntail);
    }

    if (!vg_config_off(cfg->http)) {
        struct vg_api_opts ao = {.listen = cfg->http, .store_location = cfg->data, .pipeline = pipe,
                                 .rules_reload = det ? detect_reload : NULL,
                                 .detect_metrics = det || rsp ? detect_metrics : NULL, .detect_ctx = &dc,
                                 .respond = &ro,
                                 .intel = dc.intel ? &vg_srv_intel_api : NULL, .intel_ctx = dc.intel};
        int port = 0;
        rc = vg_api_start(&api, &ao, &port, err);
        if (rc) goto out;
        char shown[160];
        with_port(cfg->http, port, shown, sizeof shown);
        printf("listening http %s\n", shown);
    }
    printf("ready\n");
    fflush(stdout);
    vg_info("server", "vigil %s ready (data %s)", VIGIL_VERSION, cfg->data);

    int sig = 0;
    while (sigwait(&sigs, &sig) == 0 && sig == SIGHUP) {
        if (!det) { vg_info("server", "SIGHUP: no rules to reload"); continue; }
        struct vg_err re = VG_ERR_INIT;
        vg_info("server", "SIGHUP: reloading rules%s", vg_srv_intel_active(dc.intel) ? " and threat intel" : "");
        detect_reload(&dc, NULL, &re);
    }
    vg_info("server", "signal %d: stopping sources, draining the pipeline", sig);
    rc = 0;
out:
    for (size_t i = nsrc; i-- > 0;) srcs[i].ops->stop(srcs[i].src);
    vg__posture_sink_free(sink);   /* after the agent listener: no connection uses it */
    vg_api_stop(api);
    vg_srv_intel_free(dc.intel); /* after the API (its routes use it); stops the refresh thread */
    dc.intel = NULL;
    if (pipe) {
        vg_pipeline_stop(pipe);
        struct vg_buf m = VG_BUF_INIT;
        if (vg_pipeline_metrics(pipe, &m) == 0) vg_debug("server", "final counters:\n%s", m.data);
        vg_buf_release(&m);
        vg_pipeline_free(pipe, NULL);   /* closes the store */
    }
    vg_store_close(store);
    vg_respond_free(rsp);  /* after the pipeline: a last round groups every committed alert */
    if (det && corr_path.data) { /* after the pipeline drained: the state is final */
        struct vg_err ce = VG_ERR_INIT;
        if (vg_detect_corr_save(det, corr_path.data, &ce) != 0) vg_warn("detect", "correlation state not saved: %s", ce.msg);
    }
    vg_buf_release(&corr_path);
    vg_detect_free(det);   /* after the pipeline: no worker uses it any more */
    if (rc == 0) vg_info("server", "stopped cleanly");
    fflush(stdout);
    return rc;
}
