/* Threat intel in `vigil serve` (src/server/intel.h): the IoC set is built
 * from the configured paths ([intel] feeds / warninglists) plus the cached
 * copies of the registered feeds (DATA/intel/feeds.json), off the hot path,
 * and swapped whole into the detect engine (vg_detect_intel_put; batches
 * in flight finish with the set they took). A refresh thread wakes every
 * second, fetches the registered feeds that are due (their own refresh
 * intervals; never-fetched ones at once) and rebuilds when a cached copy
 * changed or the [intel] refresh interval passed. The /api/v1/intel
 * routes reach the registry and the current set through vg_srv_intel_api.
 *
 * Locks: write_mu serialises registry changes and fetches (add, remove,
 * refresh); reg_mu guards the feed array for readers (list, build
 * snapshots); build_mu serialises builds; the last built set is kept in a
 * slot for stats and look-ups. A fetch never holds reg_mu or build_mu, so
 * listing and matching go on while a slow feed downloads. */
#include "intel.h"
#include "vigil/intel.h"
#include "vigil/intel_feeds.h"
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

struct vg_srv_intel {
    const struct vg_config *cfg;
    struct vg_detect *det;
    struct vg_intel_fetch_opts fopts;
    pthread_mutex_t write_mu, reg_mu, build_mu;
    struct vg_intel_feed *feeds;   /* VG_INTEL_FEEDS_MAX slots */
    size_t nfeeds;
    struct vg_intel_slot *view;    /* the last set built, for stats and look-ups */
    /* last build (under build_mu; read under it too) */
    int64_t built_at;
    double build_ms;
    size_t built_files, built_rejected, built_wl, built_indicators;
    uint64_t builds, build_failures;
    char build_error[sizeof ((struct vg_err *)0)->msg];
    /* refresh thread */
    pthread_mutex_t tmu;
    pthread_cond_t tcv;
    bool stop, thread_on;
    pthread_t th;
    int64_t next_cfg_refresh;      /* vg_mono_ns(); 0 = none */
    atomic_bool cancel;            /* set at shutdown: fetches in progress stop */
};

static int find_feed(const struct vg_srv_intel *si, const char *name)
{
    for (size_t i = 0; i < si->nfeeds; i++)
        if (strcmp(si->feeds[i].name, name) == 0) return (int)i;
    return -1;
}

int vg_srv_intel_new(struct vg_srv_intel **out, const struct vg_config *cfg, struct vg_detect *det, struct vg_err *err)
{
    *out = NULL;
    struct vg_srv_intel *si = vg_calloc(1, sizeof *si);
    if (!si || !(si->feeds = vg_calloc(VG_INTEL_FEEDS_MAX, sizeof *si->feeds)) || !(si->view = vg_intel_slot_new())) {
        if (si) { vg_free(si->feeds); vg_free(si); }
        return vg_err_set(err, VG_ENOMEM, "out of memory");
    }
    si->cfg = cfg;
    si->det = det;
    si->fopts.ca_file = cfg->intel_ca_file[0] ? cfg->intel_ca_file : NULL;
    atomic_init(&si->cancel, false);
    si->fopts.cancel = &si->cancel;
    pthread_mutex_init(&si->write_mu, NULL);
    pthread_mutex_init(&si->reg_mu, NULL);
    pthread_mutex_init(&si->build_mu, NULL);
    pthread_mutex_init(&si->tmu, NULL);
    struct vg_intel_feed *loaded = NULL;
    size_t n = 0;
    struct vg_err e = VG_ERR_INIT;
    int rc = vg_intel_feeds_load(cfg->data, &loaded, &n, &e);
    if (rc) {
        vg_srv_intel_free(si);
        return vg_err_set(err, rc, "%s/intel/feeds.json: %s", cfg->data, e.msg);
    }
    if (n) memcpy(si->feeds, loaded, n * sizeof *loaded);
    si->nfeeds = n;
    vg_free(loaded);
    *out = si;
    return 0;
}

bool vg_srv_intel_active(struct vg_srv_intel *si)
{
    if (!si) return false;
    pthread_mutex_lock(&si->reg_mu);
    bool on = si->cfg->nintel_feeds || si->cfg->nintel_warninglists || si->nfeeds;
    pthread_mutex_unlock(&si->reg_mu);
    return on;
}

/* ---- building ------------------------------------------------------------ */

int vg_srv_intel_build(struct vg_srv_intel *si, struct vg_buf *out, struct vg_err *err)
{
    const struct vg_config *cfg = si->cfg;
    pthread_mutex_lock(&si->build_mu);
    int64_t t0 = vg_mono_ns();
    struct vg_intel_report rep = VG_INTEL_REPORT_INIT;
    struct vg_intel_builder *b = vg_intel_builder_new();
    struct vg_intel_feed *snap = NULL;
    size_t indicators = 0, nsnap = 0;
    int rc = 0;
    if (!b) { rc = vg_err_set(err, VG_ENOMEM, "out of memory"); goto out; }
    for (size_t k = 0; k < 2; k++) {
        char *const *list = k ? cfg->intel_warninglists : cfg->intel_feeds;
        size_t n = k ? cfg->nintel_warninglists : cfg->nintel_feeds;
        for (size_t i = 0; i < n; i++) {
            int lr = vg_intel_load_path(b, list[i], &rep);
            if (lr == VG_EIO || lr == VG_ENOMEM) {
                rc = vg_err_set(err, lr, "cannot load %s %s: %s", k ? "warninglist" : "intel feed", list[i], vg_strerror(lr));
                goto out;
            }
            if (lr) vg_warn("intel", "%s: %s (counted as rejected)", list[i], vg_strerror(lr));
        }
    }
    pthread_mutex_lock(&si->reg_mu);
    if (si->nfeeds && (snap = vg_malloc(si->nfeeds * sizeof *snap))) {
        memcpy(snap, si->feeds, si->nfeeds * sizeof *snap);
        nsnap = si->nfeeds;
    }
    bool oom = si->nfeeds && !snap;
    pthread_mutex_unlock(&si->reg_mu);
    if (oom || vg_intel_feeds_load_cached(b, cfg->data, snap, nsnap, &rep) == VG_ENOMEM) {
        rc = vg_err_set(err, VG_ENOMEM, "out of memory");
        goto out;
    }
    struct vg_intel_set *set = vg_intel_build(b, err);
    b = NULL; /* freed by the build */
    if (!set) { rc = err && err->code ? err->code : VG_ENOMEM; goto out; }
    vg_intel_indicators(set, &indicators);
    vg_intel_slot_put(si->view, vg_intel_set_ref(set));
    vg_detect_intel_put(si->det, set);
    for (size_t i = 0; i < rep.nrej && i < 20; i++)
        vg_debug("intel", "rejected %s%s%s: %s", rep.rej[i].feed ? rep.rej[i].feed : "?", rep.rej[i].id ? " " : "",
                 rep.rej[i].id ? rep.rej[i].id : "", rep.rej[i].reason);
    si->build_ms = (double)(vg_mono_ns() - t0) / 1e6;
    si->built_at = vg_now_ns();
    si->built_files = rep.files;
    si->built_rejected = rep.rejected;
    si->built_wl = rep.warninglist_entries;
    si->built_indicators = indicators;
    si->builds++;
    si->build_error[0] = 0;
    vg_info("intel", "%zu indicators from %zu files and %zu registered feeds (%zu rejected), %zu warninglist entries in %.0f ms",
            indicators, rep.files, nsnap, rep.rejected, rep.warninglist_entries, si->build_ms);
out:
    vg_intel_builder_free(b);
    vg_free(snap);
    if (rc) {
        si->build_failures++;
        snprintf(si->build_error, sizeof si->build_error, "%s", err && err->msg[0] ? err->msg : vg_strerror(rc));
        vg_detect_intel_failed(si->det);
        vg_warn("intel", "threat intel not (re)loaded, the current set stays: %s", si->build_error);
    }
    if (out) {
        int orc = rc ? vg_buf_adds(out, "{\"ok\":false,\"error\":")
                     : vg_buf_addf(out, "{\"ok\":true,\"indicators\":%zu,\"rejected\":%zu,\"files\":%zu,"
                                        "\"warninglist_entries\":%zu,\"feeds\":%zu}",
                                   indicators, rep.rejected, rep.files, rep.warninglist_entries, nsnap);
        if (rc && !orc) {
            orc = vg_buf_add_json_str(out, si->build_error, strlen(si->build_error));
            if (!orc) orc = vg_buf_addc(out, '}');
        }
    }
    vg_intel_report_release(&rep);
    pthread_mutex_unlock(&si->build_mu);
    if (rc == 0) {
        printf("intel %zu indicators loaded\n", indicators);
        fflush(stdout);
    }
    return rc;
}

/* ---- fetching -------------------------------------------------------------- */

/* Fetches feed `name` (caller holds write_mu) and stores the outcome in the
 * registry (saved). *snap gets the feed afterwards. VG_ENOENT when absent;
 * a failed fetch returns 0 (the feed's status says so). */
static int refresh_locked(struct vg_srv_intel *si, const char *name, bool *changed, struct vg_intel_feed *snap)
{
    *changed = false;
    pthread_mutex_lock(&si->reg_mu);
    int idx = find_feed(si, name);
    if (idx >= 0) *snap = si->feeds[idx];
    pthread_mutex_unlock(&si->reg_mu);
    if (idx < 0) return VG_ENOENT;
    struct vg_err e = VG_ERR_INIT;
    int rc = vg_intel_feed_update(si->cfg->data, snap, &si->fopts, changed, &e);
    if (rc) vg_warn("intel", "%s (the previous copy stays in use)", e.msg);
    else vg_info("intel", "feed %s: %s, %llu indicators (%llu accepted, %llu rejected) in %.0f ms", snap->name,
                 snap->status, (unsigned long long)snap->indicators, (unsigned long long)snap->accepted,
                 (unsigned long long)snap->rejected, snap->fetch_ms);
    pthread_mutex_lock(&si->reg_mu);
    si->feeds[idx] = *snap; /* write_mu held: nobody else moved it */
    struct vg_err se = VG_ERR_INIT;
    if (vg_intel_feeds_save(si->cfg->data, si->feeds, si->nfeeds, &se) != 0)
        vg_warn("intel", "feed registry not saved: %s", se.msg);
    pthread_mutex_unlock(&si->reg_mu);
    return 0;
}

static int refresh_feed(struct vg_srv_intel *si, const char *name, bool *changed, struct vg_intel_feed *snap)
{
    pthread_mutex_lock(&si->write_mu);
    int rc = refresh_locked(si, name, changed, snap);
    pthread_mutex_unlock(&si->write_mu);
    return rc;
}

static void tick(struct vg_srv_intel *si)
{
    char due[VG_INTEL_FEEDS_MAX][VG_INTEL_FEED_NAME_MAX + 1];
    size_t ndue = 0;
    int64_t now = vg_now_ns();
    pthread_mutex_lock(&si->reg_mu);
    for (size_t i = 0; i < si->nfeeds; i++) {
        const struct vg_intel_feed *f = &si->feeds[i];
        if (!f->enabled) continue;
        if (f->last_fetch == 0 || (f->refresh_ns > 0 && now - f->last_fetch >= f->refresh_ns))
            memcpy(due[ndue++], f->name, sizeof due[0]);
    }
    pthread_mutex_unlock(&si->reg_mu);
    bool rebuild = false;
    for (size_t i = 0; i < ndue; i++) {
        bool ch = false;
        struct vg_intel_feed snap;
        pthread_mutex_lock(&si->tmu);
        bool stop = si->stop;
        pthread_mutex_unlock(&si->tmu);
        if (stop) return;
        if (refresh_feed(si, due[i], &ch, &snap) == 0 && ch) rebuild = true;
    }
    if (si->next_cfg_refresh && vg_mono_ns() >= si->next_cfg_refresh) {
        vg_info("intel", "scheduled refresh of the configured feeds");
        si->next_cfg_refresh = vg_mono_ns() + si->cfg->intel_refresh_ns;
        rebuild = true;
    }
    if (rebuild) {
        struct vg_err e = VG_ERR_INIT;
        vg_srv_intel_build(si, NULL, &e);
    }
}

static void *thread_main(void *arg)
{
    struct vg_srv_intel *si = arg;
    pthread_mutex_lock(&si->tmu);
    while (!si->stop) {
        pthread_mutex_unlock(&si->tmu);
        tick(si);
        pthread_mutex_lock(&si->tmu);
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_sec += 1;
        while (!si->stop && pthread_cond_timedwait(&si->tcv, &si->tmu, &ts) != ETIMEDOUT) {}
    }
    pthread_mutex_unlock(&si->tmu);
    return NULL;
}

int vg_srv_intel_start(struct vg_srv_intel *si, struct vg_err *err)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&si->tcv, &ca);
    pthread_condattr_destroy(&ca);
    if (si->cfg->intel_refresh_ns > 0) si->next_cfg_refresh = vg_mono_ns() + si->cfg->intel_refresh_ns;
    if (pthread_create(&si->th, NULL, thread_main, si) != 0) {
        pthread_cond_destroy(&si->tcv);
        return vg_err_set(err, VG_EIO, "cannot start the intel refresh thread");
    }
    si->thread_on = true;
    return 0;
}

void vg_srv_intel_free(struct vg_srv_intel *si)
{
    if (!si) return;
    if (si->thread_on) {
        atomic_store(&si->cancel, true);
        pthread_mutex_lock(&si->tmu);
        si->stop = true;
        pthread_cond_signal(&si->tcv);
        pthread_mutex_unlock(&si->tmu);
        pthread_join(si->th, NULL);
        pthread_cond_destroy(&si->tcv);
    }
    vg_intel_slot_free(si->view);
    pthread_mutex_destroy(&si->write_mu);
    pthread_mutex_destroy(&si->reg_mu);
    pthread_mutex_destroy(&si->build_mu);
    pthread_mutex_destroy(&si->tmu);
    vg_free(si->feeds);
    vg_free(si);
}

/* ---- API ------------------------------------------------------------------- */

static int api_list(void *ctx, struct vg_buf *out, struct vg_err *err)
{
    struct vg_srv_intel *si = ctx;
    pthread_mutex_lock(&si->reg_mu);
    int rc = vg_buf_adds(out, "{\"feeds\":[");
    for (size_t i = 0; !rc && i < si->nfeeds; i++) {
        if (i) rc = vg_buf_addc(out, ',');
        if (!rc) rc = vg_intel_feed_json(&si->feeds[i], out);
    }
    if (!rc) rc = vg_buf_addf(out, "],\"count\":%zu}", si->nfeeds);
    pthread_mutex_unlock(&si->reg_mu);
    return rc ? vg_err_set(err, rc, "cannot build the answer") : 0;
}

/* "refresh": "1h" | "off" | "0" | seconds (number). */
static int parse_refresh(const json_t *v, int64_t *ns, struct vg_err *err)
{
    *ns = VG_INTEL_FEED_DEFAULT_REFRESH;
    if (!v || json_is_null(v)) return 0;
    if (json_is_integer(v)) {
        json_int_t s = json_integer_value(v);
        if (s < 0 || s > 30LL * 86400) return vg_err_set(err, VG_EINVAL, "refresh: 0 (on demand) or 1 s to 30 d");
        *ns = (int64_t)s * 1000000000LL;
        return 0;
    }
    const char *s = json_string_value(v);
    if (!s) return vg_err_set(err, VG_EINVAL, "refresh: a duration such as \"1h\", or \"off\"");
    if (strcmp(s, "off") == 0 || strcmp(s, "0") == 0 || strcmp(s, "manual") == 0) { *ns = 0; return 0; }
    if (vg_duration_parse(s, ns) != 0) return vg_err_set(err, VG_EINVAL, "refresh: bad duration '%.40s'", s);
    return 0;
}

static int api_add(void *ctx, const char *body, size_t len, struct vg_buf *out, struct vg_err *err)
{
    struct vg_srv_intel *si = ctx;
    json_error_t je;
    json_t *o = json_loadb(body ? body : "", len, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(o)) {
        json_decref(o);
        return vg_err_set(err, VG_EINVAL, "expected a JSON object {\"name\",\"location\",\"format\",\"refresh\"}: %s",
                          o ? "not an object" : je.text);
    }
    int rc;
    struct vg_intel_feed f;
    const char *fmt = json_string_value(json_object_get(o, "format"));
    int format = fmt ? vg_intel_format_parse(fmt) : VG_INTEL_FMT_AUTO;
    int64_t refresh;
    const json_t *en = json_object_get(o, "enabled");
    if (format < 0) rc = vg_err_set(err, VG_EINVAL, "format: auto, stix, misp, csv or warninglist, not '%.40s'", fmt);
    else if (en && !json_is_boolean(en)) rc = vg_err_set(err, VG_EINVAL, "enabled: true or false");
    else if (!(rc = parse_refresh(json_object_get(o, "refresh"), &refresh, err)))
        rc = vg_intel_feed_init(&f, json_string_value(json_object_get(o, "name")),
                                json_string_value(json_object_get(o, "location")), format, refresh, err);
    if (!rc && en) f.enabled = json_is_true(en);
    json_decref(o);
    if (rc) return rc;
    bool changed = false;
    pthread_mutex_lock(&si->write_mu);
    pthread_mutex_lock(&si->reg_mu);
    if (find_feed(si, f.name) >= 0) rc = vg_err_set(err, VG_EEXIST, "a feed named '%s' exists", f.name);
    else if (si->nfeeds >= VG_INTEL_FEEDS_MAX) rc = vg_err_set(err, VG_EINVAL, "at most %d feeds", VG_INTEL_FEEDS_MAX);
    else {
        si->feeds[si->nfeeds++] = f;
        struct vg_err se = VG_ERR_INIT;
        if ((rc = vg_intel_feeds_save(si->cfg->data, si->feeds, si->nfeeds, &se))) {
            si->nfeeds--;
            rc = vg_err_set(err, rc, "cannot save the feed registry: %s", se.msg);
        }
    }
    pthread_mutex_unlock(&si->reg_mu);
    if (!rc && f.enabled) rc = refresh_locked(si, f.name, &changed, &f);
    pthread_mutex_unlock(&si->write_mu);
    if (rc) return rc;
    vg_info("intel", "feed %s added (%s)", f.name, f.location);
    if (changed) {
        struct vg_err be = VG_ERR_INIT;
        vg_srv_intel_build(si, NULL, &be);
    }
    rc = vg_intel_feed_json(&f, out);
    return rc ? vg_err_set(err, rc, "cannot build the answer") : 0;
}

static int api_remove(void *ctx, const char *name, struct vg_buf *out, struct vg_err *err)
{
    struct vg_srv_intel *si = ctx;
    int rc = 0;
    pthread_mutex_lock(&si->write_mu);
    pthread_mutex_lock(&si->reg_mu);
    int idx = find_feed(si, name);
    struct vg_intel_feed gone;
    if (idx < 0) {
        rc = vg_err_set(err, VG_ENOENT, "no feed named '%.80s'", name);
    } else {
        gone = si->feeds[idx];
        memmove(&si->feeds[idx], &si->feeds[idx + 1], (si->nfeeds - (size_t)idx - 1) * sizeof *si->feeds);
        si->nfeeds--;
        struct vg_err se = VG_ERR_INIT;
        if ((rc = vg_intel_feeds_save(si->cfg->data, si->feeds, si->nfeeds, &se))) {
            memmove(&si->feeds[idx + 1], &si->feeds[idx], (si->nfeeds - (size_t)idx) * sizeof *si->feeds);
            si->feeds[idx] = gone;
            si->nfeeds++;
            rc = vg_err_set(err, rc, "cannot save the feed registry: %s", se.msg);
        }
    }
    pthread_mutex_unlock(&si->reg_mu);
    if (!rc) {
        struct vg_buf p = VG_BUF_INIT;
        if (vg_intel_feed_cache_path(si->cfg->data, name, &p) == 0) unlink(p.data);
        vg_buf_release(&p);
    }
    pthread_mutex_unlock(&si->write_mu);
    if (rc) return rc;
    vg_info("intel", "feed %s removed", name);
    struct vg_err be = VG_ERR_INIT;
    vg_srv_intel_build(si, NULL, &be);
    rc = vg_buf_adds(out, "{\"removed\":");
    if (!rc) rc = vg_buf_add_json_str(out, name, strlen(name));
    if (!rc) rc = vg_buf_addc(out, '}');
    return rc ? vg_err_set(err, rc, "cannot build the answer") : 0;
}

static int api_refresh(void *ctx, const char *name, struct vg_buf *out, struct vg_err *err)
{
    struct vg_srv_intel *si = ctx;
    bool changed = false;
    struct vg_intel_feed f;
    int rc = refresh_feed(si, name, &changed, &f);
    if (rc == VG_ENOENT) return vg_err_set(err, rc, "no feed named '%.80s'", name);
    if (rc) return vg_err_set(err, rc, "refresh failed");
    if (changed) {
        struct vg_err be = VG_ERR_INIT;
        vg_srv_intel_build(si, NULL, &be);
    }
    rc = vg_buf_adds(out, "{\"changed\":");
    if (!rc) rc = vg_buf_adds(out, changed ? "true,\"feed\":" : "false,\"feed\":");
    if (!rc) rc = vg_intel_feed_json(&f, out);
    if (!rc) rc = vg_buf_addc(out, '}');
    return rc ? vg_err_set(err, rc, "cannot build the answer") : 0;
}

static int add_time(struct vg_buf *b, const char *key, int64_t ns)
{
    if (ns == 0 || ns == INT64_MIN || ns == INT64_MAX) return vg_buf_addf(b, ",\"%s\":null", key);
    char t[48];
    vg_time_format(ns, t, sizeof t, 3);
    return vg_buf_addf(b, ",\"%s\":\"%s\"", key, t);
}

static int api_stats(void *ctx, struct vg_buf *out, struct vg_err *err)
{
    struct vg_srv_intel *si = ctx;
    struct vg_intel_set *s = vg_intel_slot_get(si->view);
    struct vg_intel_stats st;
    vg_intel_stats(s, &st);
    vg_intel_set_unref(s);
    struct vg_detect_stats ds;
    vg_detect_stats(si->det, &ds);
    int rc = vg_buf_addf(out, "{\"loaded\":%s,\"indicators\":%zu,\"atoms\":{", s ? "true" : "false", st.indicators);
    for (int t = 0; !rc && t < VG_INTEL_NTYPES; t++)
        rc = vg_buf_addf(out, "%s\"%s\":%zu", t ? "," : "", vg_intel_type_name(t), st.atoms[t]);
    if (!rc)
        rc = vg_buf_addf(out, "},\"ip_prefixes\":%zu,\"ip_intervals_v4\":%zu,\"ip_intervals_v6\":%zu,\"strings\":%zu,"
                              "\"warninglist_entries\":%zu,\"memory_bytes\":%zu,\"hits\":%llu,\"alerts\":%llu,"
                              "\"suppressed\":%llu,\"expired\":%llu,\"loads\":%llu,\"load_failures\":%llu",
                         st.ip_prefixes, st.ip_intervals4, st.ip_intervals6, st.strings, st.wl_entries, st.bytes,
                         (unsigned long long)ds.intel_hits, (unsigned long long)ds.intel_alerts,
                         (unsigned long long)ds.intel_suppressed, (unsigned long long)ds.intel_expired,
                         (unsigned long long)ds.intel_loads, (unsigned long long)ds.intel_load_failures);
    pthread_mutex_lock(&si->build_mu);
    if (!rc) rc = add_time(out, "built_at", si->built_at);
    if (!rc)
        rc = vg_buf_addf(out, ",\"build_ms\":%.1f,\"build_files\":%zu,\"build_rejected\":%zu,\"build_error\":",
                         si->build_ms, si->built_files, si->built_rejected);
    if (!rc) rc = vg_buf_add_json_str(out, si->build_error, strlen(si->build_error));
    pthread_mutex_unlock(&si->build_mu);
    pthread_mutex_lock(&si->reg_mu);
    if (!rc) rc = vg_buf_adds(out, ",\"feeds\":[");
    for (size_t i = 0; !rc && i < si->nfeeds; i++) {
        const struct vg_intel_feed *f = &si->feeds[i];
        rc = vg_buf_adds(out, i ? ",{\"name\":" : "{\"name\":");
        if (!rc) rc = vg_buf_add_json_str(out, f->name, strlen(f->name));
        if (!rc)
            rc = vg_buf_addf(out, ",\"enabled\":%s,\"status\":\"%s\",\"indicators\":%llu,\"accepted\":%llu,\"rejected\":%llu,"
                                  "\"warninglist_entries\":%llu}",
                             f->enabled ? "true" : "false", f->status, (unsigned long long)f->indicators,
                             (unsigned long long)f->accepted, (unsigned long long)f->rejected,
                             (unsigned long long)f->warninglist_entries);
    }
    pthread_mutex_unlock(&si->reg_mu);
    if (!rc) rc = vg_buf_adds(out, "]}");
    return rc ? vg_err_set(err, rc, "cannot build the answer") : 0;
}

static int add_jstr(struct vg_buf *b, const char *key, const char *v)
{
    int rc = vg_buf_addf(b, ",\"%s\":", key);
    if (rc) return rc;
    return v ? vg_buf_add_json_str(b, v, strlen(v)) : vg_buf_adds(b, "null");
}

#define LOOKUP_MAX 256

static int api_lookup(void *ctx, const char *value, struct vg_buf *out, struct vg_err *err)
{
    struct vg_srv_intel *si = ctx;
    size_t vl = value ? strlen(value) : 0;
    if (!vl || vl > 4096) return vg_err_set(err, VG_EINVAL, "value: 1 to 4096 bytes");
    if (!vg_utf8_valid(value, vl)) return vg_err_set(err, VG_EINVAL, "value is not valid UTF-8");
    struct vg_intel_set *s = vg_intel_slot_get(si->view);
    struct vg_intel_hit *hits = vg_malloc(LOOKUP_MAX * sizeof *hits);
    if (!hits) { vg_intel_set_unref(s); return vg_err_set(err, VG_ENOMEM, "out of memory"); }
    size_t n = s ? vg_intel_lookup(s, value, vl, hits, LOOKUP_MAX) : 0;
    bool wl = s && vg_intel_warninglisted(s, value, vl);
    int64_t now = vg_now_ns();
    int rc = vg_buf_adds(out, "{\"value\":");
    if (!rc) rc = vg_buf_add_json_str(out, value, vl);
    if (!rc) rc = vg_buf_addf(out, ",\"warninglisted\":%s,\"count\":%zu,\"truncated\":%s,\"matches\":[", wl ? "true" : "false",
                              n, n > LOOKUP_MAX ? "true" : "false");
    for (size_t i = 0; !rc && i < n && i < LOOKUP_MAX; i++) {
        const struct vg_intel_indicator *ind = hits[i].ind;
        bool active = now >= ind->valid_from && now < ind->valid_until;
        rc = vg_buf_addf(out, "%s{\"type\":\"%s\",\"active\":%s,\"confidence\":%d", i ? "," : "",
                         vg_intel_type_name(hits[i].type), active && !wl ? "true" : "false", ind->confidence);
        if (!rc) rc = add_jstr(out, "feed", ind->feed);
        if (!rc) rc = add_jstr(out, "id", ind->id);
        if (!rc) rc = add_jstr(out, "name", ind->name);
        if (!rc) rc = add_jstr(out, "pattern", ind->pattern);
        if (!rc) rc = add_jstr(out, "labels", ind->labels);
        if (!rc) rc = add_time(out, "valid_from", ind->valid_from);
        if (!rc) rc = add_time(out, "valid_until", ind->valid_until);
        if (!rc) rc = vg_buf_addc(out, '}');
    }
    if (!rc) rc = vg_buf_adds(out, "]}");
    vg_free(hits);
    vg_intel_set_unref(s);
    return rc ? vg_err_set(err, rc, "cannot build the answer") : 0;
}

const struct vg_api_intel vg_srv_intel_api = {
    .feeds_list = api_list,
    .feed_add = api_add,
    .feed_remove = api_remove,
    .feed_refresh = api_refresh,
    .stats = api_stats,
    .lookup = api_lookup,
};
