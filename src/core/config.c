/* Parses the server's INI-style configuration file (format documented in
 * include/vigil/config.h). Strict: unknown sections and keys are errors
 * that name the line, so typos do not silently fall back to defaults. */
#include "vigil/config.h"
#include <ctype.h>

void vg_config_init(struct vg_config *c, const char *default_data)
{
    memset(c, 0, sizeof *c);
    snprintf(c->data, sizeof c->data, "%s", default_data ? default_data : "./data");
    snprintf(c->http, sizeof c->http, "127.0.0.1:8080");
    snprintf(c->syslog_udp, sizeof c->syslog_udp, "127.0.0.1:5514");
    snprintf(c->syslog_tcp, sizeof c->syslog_tcp, "127.0.0.1:5514");
    snprintf(c->syslog_tls, sizeof c->syslog_tls, "off");
    snprintf(c->agents, sizeof c->agents, "off");
    c->agent_silent_ns = 30 * 1000000000LL;
    c->max_frame = 64 * 1024;
    c->log_level = VG_LOG_INFO;
    c->tail_poll_ns = 250 * 1000000LL;
    c->queue_batches = 64;
    c->batch_events = 1000;
    c->batch_delay_ns = 20 * 1000000LL;
    c->commit_max_events = 50000;
    c->commit_max_delay_ns = 50 * 1000000LL;
}

void vg_config_release(struct vg_config *c)
{
    for (size_t i = 0; i < c->ntail; i++) vg_free(c->tail[i]);
    c->ntail = 0;
    for (size_t i = 0; i < c->nrules; i++) vg_free(c->rules[i]);
    c->nrules = 0;
    for (size_t i = 0; i < c->nintel_feeds; i++) vg_free(c->intel_feeds[i]);
    c->nintel_feeds = 0;
    for (size_t i = 0; i < c->nintel_warninglists; i++) vg_free(c->intel_warninglists[i]);
    c->nintel_warninglists = 0;
}

bool vg_config_off(const char *addr) { return !addr || !*addr || strcmp(addr, "off") == 0; }

static int set_str(char *dst, size_t sz, const char *val, const char *key, struct vg_err *err)
{
    if (strlen(val) >= sz) return vg_err_set(err, VG_ETOOBIG, "value of '%s' is too long", key);
    snprintf(dst, sz, "%s", val);
    return 0;
}

static int set_size(size_t *dst, const char *val, size_t lo, size_t hi, const char *key, struct vg_err *err)
{
    uint64_t v;
    if (vg_parse_u64(val, strlen(val), &v) != 0 || v < lo || v > hi)
        return vg_err_set(err, VG_EINVAL, "'%s' must be a number from %zu to %zu, not '%s'", key, lo, hi, val);
    *dst = (size_t)v;
    return 0;
}

static int set_dur(int64_t *dst, const char *val, const char *key, struct vg_err *err)
{
    int64_t ns;
    if (vg_duration_parse(val, &ns) != 0 || ns <= 0)
        return vg_err_set(err, VG_EINVAL, "'%s' must be a duration like 250ms, 2s or 1m, not '%s'", key, val);
    *dst = ns;
    return 0;
}

/* Appends the comma-separated paths of val to list (each trimmed, empty
 * items skipped). */
static int add_paths(char **list, size_t *n, const char *val, const char *key, struct vg_err *err)
{
    const char *p = val;
    bool any = false;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        const char *s = p;
        while (len && (*s == ' ' || *s == '\t')) { s++; len--; }
        while (len && (s[len - 1] == ' ' || s[len - 1] == '\t')) len--;
        if (len) {
            if (*n == VG_CONFIG_MAX_FILES)
                return vg_err_set(err, VG_ETOOBIG, "at most %d paths can be given for '%s'", VG_CONFIG_MAX_FILES, key);
            if (len >= 4096) return vg_err_set(err, VG_EINVAL, "bad path for '%s'", key);
            if (!(list[*n] = vg_strndup(s, len))) return vg_err_set(err, VG_ENOMEM, "out of memory");
            (*n)++;
            any = true;
        }
        p = e ? e + 1 : p + strlen(p);
    }
    return any ? 0 : vg_err_set(err, VG_EINVAL, "'%s' needs at least one path", key);
}

int vg_config_set(struct vg_config *c, const char *sec, const char *key, const char *val, struct vg_err *err)
{
#define IS(s, k) (strcmp(sec, s) == 0 && strcmp(key, k) == 0)
    if (IS("server", "data")) return set_str(c->data, sizeof c->data, val, key, err);
    if (IS("server", "http")) return set_str(c->http, sizeof c->http, val, key, err);
    if (IS("server", "workers")) return set_size(&c->workers, val, 0, 64, key, err);
    if (IS("server", "log_level")) {
        static const char *lv[] = {"debug", "info", "warn", "error"};
        for (int i = 0; i < 4; i++)
            if (strcmp(val, lv[i]) == 0) { c->log_level = i; return 0; }
        return vg_err_set(err, VG_EINVAL, "log_level must be debug, info, warn or error, not '%s'", val);
    }
    if (IS("syslog", "udp")) return set_str(c->syslog_udp, sizeof c->syslog_udp, val, key, err);
    if (IS("syslog", "tcp")) return set_str(c->syslog_tcp, sizeof c->syslog_tcp, val, key, err);
    if (IS("syslog", "tls")) return set_str(c->syslog_tls, sizeof c->syslog_tls, val, key, err);
    if (IS("syslog", "tls_cert")) return set_str(c->tls_cert, sizeof c->tls_cert, val, key, err);
    if (IS("syslog", "tls_key")) return set_str(c->tls_key, sizeof c->tls_key, val, key, err);
    if (IS("syslog", "max_frame")) return set_size(&c->max_frame, val, 64, 64u << 20, key, err);
    if (IS("files", "tail")) {
        if (c->ntail == VG_CONFIG_MAX_FILES)
            return vg_err_set(err, VG_ETOOBIG, "at most %d files can be tailed", VG_CONFIG_MAX_FILES);
        if (!*val || strlen(val) >= 4096) return vg_err_set(err, VG_EINVAL, "bad file path for tail");
        if (!(c->tail[c->ntail] = vg_strdup(val))) return vg_err_set(err, VG_ENOMEM, "out of memory");
        c->ntail++;
        return 0;
    }
    if (IS("files", "start_at")) {
        if (strcmp(val, "beginning") == 0) c->tail_from_end = false;
        else if (strcmp(val, "end") == 0) c->tail_from_end = true;
        else return vg_err_set(err, VG_EINVAL, "start_at must be 'beginning' or 'end', not '%s'", val);
        return 0;
    }
    if (IS("files", "poll")) return set_dur(&c->tail_poll_ns, val, key, err);
    if (IS("pipeline", "queue_batches")) return set_size(&c->queue_batches, val, 1, 1 << 16, key, err);
    if (IS("pipeline", "batch_events")) return set_size(&c->batch_events, val, 1, 1 << 20, key, err);
    if (IS("pipeline", "batch_delay")) return set_dur(&c->batch_delay_ns, val, key, err);
    if (IS("pipeline", "commit_max_events")) return set_size(&c->commit_max_events, val, 1, 1 << 24, key, err);
    if (IS("pipeline", "commit_max_delay")) return set_dur(&c->commit_max_delay_ns, val, key, err);
    if (IS("detect", "rules")) {
        if (c->nrules == VG_CONFIG_MAX_FILES)
            return vg_err_set(err, VG_ETOOBIG, "at most %d rule paths can be given", VG_CONFIG_MAX_FILES);
        if (!*val || strlen(val) >= 4096) return vg_err_set(err, VG_EINVAL, "bad rules path");
        if (!(c->rules[c->nrules] = vg_strdup(val))) return vg_err_set(err, VG_ENOMEM, "out of memory");
        c->nrules++;
        return 0;
    }
    if (IS("detect", "default_rules")) {
        if (strcmp(val, "on") == 0) c->no_default_rules = false;
        else if (strcmp(val, "off") == 0) c->no_default_rules = true;
        else return vg_err_set(err, VG_EINVAL, "default_rules must be 'on' or 'off', not '%s'", val);
        return 0;
    }
    if (IS("detect", "mappings")) return set_str(c->mappings, sizeof c->mappings, val, key, err);
    if (IS("detect", "placeholders")) return set_str(c->placeholders, sizeof c->placeholders, val, key, err);
    if (IS("agents", "listen")) return set_str(c->agents, sizeof c->agents, val, key, err);
    if (IS("agents", "silent_after")) return set_dur(&c->agent_silent_ns, val, key, err);
    if (IS("intel", "feeds")) return add_paths(c->intel_feeds, &c->nintel_feeds, val, key, err);
    if (IS("intel", "warninglists")) return add_paths(c->intel_warninglists, &c->nintel_warninglists, val, key, err);
    if (IS("intel", "ca_file")) return set_str(c->intel_ca_file, sizeof c->intel_ca_file, val, key, err);
    if (IS("intel", "refresh")) {
        if (strcmp(val, "off") == 0 || strcmp(val, "0") == 0) { c->intel_refresh_ns = 0; return 0; }
        int rc = set_dur(&c->intel_refresh_ns, val, key, err);
        if (rc == 0 && c->intel_refresh_ns < 1000000000LL)
            return vg_err_set(err, VG_EINVAL, "'refresh' must be at least 1s (or off), not '%s'", val);
        return rc;
    }
    if (IS("incidents", "enabled")) {
        if (strcmp(val, "on") == 0) c->incidents_off = false;
        else if (strcmp(val, "off") == 0) c->incidents_off = true;
        else return vg_err_set(err, VG_EINVAL, "enabled must be 'on' or 'off', not '%s'", val);
        return 0;
    }
    if (IS("incidents", "aggregate_window")) {
        if (strcmp(val, "off") == 0 || strcmp(val, "0") == 0) { c->aggregate_window_ns = -1; return 0; }
        return set_dur(&c->aggregate_window_ns, val, key, err);
    }
    if (IS("incidents", "window")) return set_dur(&c->incident_window_ns, val, key, err);
    if (IS("incidents", "risk_window")) return set_dur(&c->risk_window_ns, val, key, err);
    if (IS("incidents", "risk_threshold")) return set_size(&c->risk_threshold, val, 1, 100, key, err);
#undef IS
    return vg_err_set(err, VG_EINVAL, "unknown setting '%s' in section [%s]", key, sec);
}

static char *trim(char *s)
{
    while (*s && isspace((unsigned char)*s)) s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1])) s[--n] = 0;
    return s;
}

int vg_config_load(struct vg_config *c, const char *path, struct vg_err *err)
{
    FILE *f = fopen(path, "r");
    if (!f) return vg_err_set(err, VG_EIO, "cannot open config file %s", path);
    char line[4096], sec[64] = "";
    int lineno = 0, rc = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        size_t n = strlen(line);
        if (n == sizeof line - 1 && line[n - 1] != '\n') {
            rc = vg_err_set(err, VG_ETOOBIG, "%s:%d: line too long", path, lineno);
            goto out;
        }
        /* comments: whole-line, or after whitespace (values may hold '#' otherwise) */
        for (char *h = line; *h; h++) {
            if ((*h == '#' || *h == ';') && (h == line || isspace((unsigned char)h[-1]))) { *h = 0; break; }
        }
        char *s = trim(line);
        if (!*s) continue;
        if (*s == '[') {
            char *e = strchr(s, ']');
            if (!e || e[1]) { rc = vg_err_set(err, VG_EPARSE, "%s:%d: bad section header", path, lineno); goto out; }
            *e = 0;
            char *name = trim(s + 1);
            if (strcmp(name, "server") && strcmp(name, "syslog") && strcmp(name, "files") && strcmp(name, "pipeline") &&
                strcmp(name, "detect") && strcmp(name, "agents") && strcmp(name, "intel") &&
                strcmp(name, "incidents")) {
                rc = vg_err_set(err, VG_EINVAL, "%s:%d: unknown section [%s]", path, lineno, name);
                goto out;
            }
            snprintf(sec, sizeof sec, "%s", name);
            continue;
        }
        char *eq = strchr(s, '=');
        if (!eq) { rc = vg_err_set(err, VG_EPARSE, "%s:%d: expected 'key = value'", path, lineno); goto out; }
        *eq = 0;
        char *key = trim(s), *val = trim(eq + 1);
        if (!*sec) { rc = vg_err_set(err, VG_EPARSE, "%s:%d: '%s' before any [section]", path, lineno, key); goto out; }
        struct vg_err e2 = VG_ERR_INIT;
        rc = vg_config_set(c, sec, key, val, &e2);
        if (rc) { vg_err_set(err, rc, "%s:%d: %s", path, lineno, e2.msg); goto out; }
    }
    if (ferror(f)) rc = vg_err_set(err, VG_EIO, "error reading %s", path);
out:
    fclose(f);
    if (err && rc) err->line = lineno;
    return rc;
}
