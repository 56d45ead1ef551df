/* Threat-intel feed registry (include/vigil/intel_feeds.h), detect-layer
 * half: the registry model and its JSON document (DATA/intel/feeds.json),
 * name/location/format checks, atomic saves, the cached copies' paths and
 * loading a document in a registered format. Everything read from the
 * file is checked (types, lengths, ranges) before it is used; the network
 * side lives in the server layer (src/server/intel_fetch.c). */
#include "internal.h"
#include "vigil/intel_feeds.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const fmt_names[VG_INTEL_FMT_COUNT] = {"auto", "stix", "misp", "csv", "warninglist"};

const char *vg_intel_format_name(int fmt)
{
    return fmt >= 0 && fmt < VG_INTEL_FMT_COUNT ? fmt_names[fmt] : "unknown";
}

int vg_intel_format_parse(const char *s)
{
    if (!s) return -1;
    for (int i = 0; i < VG_INTEL_FMT_COUNT; i++)
        if (strcmp(s, fmt_names[i]) == 0) return i;
    if (strcmp(s, "text") == 0) return VG_INTEL_FMT_CSV;
    return -1;
}

bool vg_intel_feed_name_ok(const char *name)
{
    if (!name || !name[0] || name[0] == '.') return false;
    size_t n = 0;
    for (const char *p = name; *p; p++, n++) {
        char c = *p;
        if (n >= VG_INTEL_FEED_NAME_MAX) return false;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-'))
            return false;
    }
    return true;
}

bool vg_intel_feed_is_url(const char *loc)
{
    return loc && (strncmp(loc, "http://", 7) == 0 || strncmp(loc, "https://", 8) == 0);
}

static int check_location(const char *loc, struct vg_err *err)
{
    if (!loc || !loc[0]) return vg_err_set(err, VG_EINVAL, "no location");
    size_t n = strlen(loc);
    if (n > VG_INTEL_FEED_LOC_MAX) return vg_err_set(err, VG_EINVAL, "location longer than %d bytes", VG_INTEL_FEED_LOC_MAX);
    bool url = vg_intel_feed_is_url(loc);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)loc[i];
        if (c < 0x20 || c == 0x7f || (url && c == ' '))
            return vg_err_set(err, VG_EINVAL, "location contains %s", c == ' ' ? "spaces" : "control characters");
    }
    if (!vg_utf8_valid(loc, n)) return vg_err_set(err, VG_EINVAL, "location is not valid UTF-8");
    if (url) {
        const char *h = loc + (loc[4] == 's' ? 8 : 7);
        if (!*h || *h == '/' || *h == ':' || *h == '?') return vg_err_set(err, VG_EINVAL, "URL without a host: %s", loc);
        const char *pe = h;
        while (*pe && *pe != '/' && *pe != '?') pe++;
        if (memchr(h, '@', (size_t)(pe - h)))
            return vg_err_set(err, VG_EINVAL, "credentials in the URL are not supported (they would be stored in clear)");
        return 0;
    }
    if (loc[0] != '/') return vg_err_set(err, VG_EINVAL, "a feed location is an absolute file path or an http(s):// URL: %s", loc);
    return 0;
}

int vg_intel_feed_init(struct vg_intel_feed *f, const char *name, const char *location, int format,
                       int64_t refresh_ns, struct vg_err *err)
{
    memset(f, 0, sizeof *f);
    if (!vg_intel_feed_name_ok(name))
        return vg_err_set(err, VG_EINVAL, "bad feed name '%.80s': 1-%d characters of A-Z a-z 0-9 . _ -, not starting with '.'",
                          name ? name : "", VG_INTEL_FEED_NAME_MAX);
    int rc = check_location(location, err);
    if (rc) return rc;
    if (format < 0 || format >= VG_INTEL_FMT_COUNT) return vg_err_set(err, VG_EINVAL, "unknown feed format");
    if (refresh_ns != 0 && (refresh_ns < 1000000000LL || refresh_ns > 30LL * 86400 * 1000000000LL))
        return vg_err_set(err, VG_EINVAL, "refresh must be 0 (on demand) or between 1s and 30d");
    snprintf(f->name, sizeof f->name, "%s", name);
    snprintf(f->location, sizeof f->location, "%s", location);
    f->format = format;
    f->refresh_ns = refresh_ns;
    f->enabled = true;
    f->added = vg_now_ns();
    snprintf(f->status, sizeof f->status, "pending");
    return 0;
}

/* ---- JSON ---------------------------------------------------------------- */

static int add_time(struct vg_buf *b, const char *key, int64_t ns)
{
    if (!ns) return vg_buf_addf(b, ",\"%s\":null", key);
    char t[48];
    vg_time_format(ns, t, sizeof t, 3);
    return vg_buf_addf(b, ",\"%s\":\"%s\"", key, t);
}

static int add_str(struct vg_buf *b, const char *key, const char *v)
{
    int rc = vg_buf_addf(b, ",\"%s\":", key);
    return rc ? rc : vg_buf_add_json_str(b, v, strlen(v));
}

int vg_intel_feed_json(const struct vg_intel_feed *f, struct vg_buf *b)
{
    int rc = vg_buf_adds(b, "{\"name\":");
    if (!rc) rc = vg_buf_add_json_str(b, f->name, strlen(f->name));
    if (!rc) rc = add_str(b, "location", f->location);
    if (!rc) rc = vg_buf_addf(b, ",\"kind\":\"%s\",\"format\":\"%s\",\"refresh_s\":%lld,\"enabled\":%s",
                              vg_intel_feed_is_url(f->location) ? "url" : "file", vg_intel_format_name(f->format),
                              (long long)(f->refresh_ns / 1000000000LL), f->enabled ? "true" : "false");
    if (!rc) rc = add_time(b, "added", f->added);
    if (!rc) rc = add_time(b, "last_fetch", f->last_fetch);
    if (!rc) rc = add_time(b, "last_ok", f->last_ok);
    if (!rc) rc = add_time(b, "last_change", f->last_change);
    if (!rc) rc = add_str(b, "status", f->status);
    if (!rc) rc = add_str(b, "error", f->error);
    if (!rc) rc = add_str(b, "etag", f->etag);
    if (!rc) rc = add_str(b, "last_modified", f->last_modified);
    if (!rc)
        rc = vg_buf_addf(b, ",\"bytes\":%llu,\"fetches\":%llu,\"failures\":%llu,\"indicators\":%llu,\"accepted\":%llu,"
                            "\"rejected\":%llu,\"warninglist_entries\":%llu,\"fetch_ms\":%.1f}",
                         (unsigned long long)f->bytes, (unsigned long long)f->fetches, (unsigned long long)f->failures,
                         (unsigned long long)f->indicators, (unsigned long long)f->accepted,
                         (unsigned long long)f->rejected, (unsigned long long)f->warninglist_entries, f->fetch_ms);
    return rc;
}

int vg_intel_feeds_format(const struct vg_intel_feed *feeds, size_t n, struct vg_buf *out)
{
    int rc = vg_buf_adds(out, "{\"version\":1,\"feeds\":[");
    for (size_t i = 0; !rc && i < n; i++) {
        if (i) rc = vg_buf_addc(out, ',');
        if (!rc) rc = vg_buf_adds(out, "\n  ");
        if (!rc) rc = vg_intel_feed_json(&feeds[i], out);
    }
    if (!rc) rc = vg_buf_adds(out, "\n]}\n");
    return rc;
}

/* Reads string key k into out (size sz); missing = "" unless required. */
static int get_str(const json_t *o, const char *k, char *out, size_t sz, bool required, size_t idx, struct vg_err *err)
{
    const json_t *v = json_object_get(o, k);
    out[0] = 0;
    if (!v || json_is_null(v)) {
        if (required) return vg_err_set(err, VG_EFORMAT, "feed %zu: missing \"%s\"", idx, k);
        return 0;
    }
    if (!json_is_string(v)) return vg_err_set(err, VG_EFORMAT, "feed %zu: \"%s\" is not a string", idx, k);
    size_t n = json_string_length(v);
    if (n >= sz) return vg_err_set(err, VG_EFORMAT, "feed %zu: \"%s\" longer than %zu bytes", idx, k, sz - 1);
    if (memchr(json_string_value(v), 0, n)) return vg_err_set(err, VG_EFORMAT, "feed %zu: \"%s\" contains NUL", idx, k);
    memcpy(out, json_string_value(v), n + 1);
    return 0;
}

static int get_time(const json_t *o, const char *k, int64_t *out, size_t idx, struct vg_err *err)
{
    const json_t *v = json_object_get(o, k);
    *out = 0;
    if (!v || json_is_null(v)) return 0;
    const char *s = json_string_value(v);
    if (!s || vg_time_parse_iso(s, strlen(s), out) != 0 || *out <= 0)
        return vg_err_set(err, VG_EFORMAT, "feed %zu: \"%s\" is not an RFC 3339 time", idx, k);
    return 0;
}

static int get_u64(const json_t *o, const char *k, uint64_t *out, size_t idx, struct vg_err *err)
{
    const json_t *v = json_object_get(o, k);
    *out = 0;
    if (!v || json_is_null(v)) return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return vg_err_set(err, VG_EFORMAT, "feed %zu: \"%s\" is not a non-negative integer", idx, k);
    *out = (uint64_t)json_integer_value(v);
    return 0;
}

static int parse_feed(const json_t *o, size_t idx, struct vg_intel_feed *f, struct vg_err *err)
{
    if (!json_is_object(o)) return vg_err_set(err, VG_EFORMAT, "feed %zu is not an object", idx);
    char name[VG_INTEL_FEED_NAME_MAX + 1], loc[VG_INTEL_FEED_LOC_MAX + 1], fmt[32];
    int rc;
    if ((rc = get_str(o, "name", name, sizeof name, true, idx, err))) return rc;
    if ((rc = get_str(o, "location", loc, sizeof loc, true, idx, err))) return rc;
    if ((rc = get_str(o, "format", fmt, sizeof fmt, false, idx, err))) return rc;
    int format = fmt[0] ? vg_intel_format_parse(fmt) : VG_INTEL_FMT_AUTO;
    if (format < 0) return vg_err_set(err, VG_EFORMAT, "feed %zu: unknown format '%s'", idx, fmt);
    uint64_t refresh_s = 0;
    const json_t *rv = json_object_get(o, "refresh_s");
    if (rv && (rc = get_u64(o, "refresh_s", &refresh_s, idx, err))) return rc;
    if (refresh_s > 30ull * 86400) return vg_err_set(err, VG_EFORMAT, "feed %zu: refresh_s out of range", idx);
    struct vg_err e2 = VG_ERR_INIT;
    if ((rc = vg_intel_feed_init(f, name, loc, format, (int64_t)refresh_s * 1000000000LL, &e2)))
        return vg_err_set(err, VG_EFORMAT, "feed %zu: %s", idx, e2.msg);
    const json_t *en = json_object_get(o, "enabled");
    if (en && !json_is_boolean(en)) return vg_err_set(err, VG_EFORMAT, "feed %zu: \"enabled\" is not a boolean", idx);
    f->enabled = !en || json_is_true(en);
    if ((rc = get_time(o, "added", &f->added, idx, err)) || (rc = get_time(o, "last_fetch", &f->last_fetch, idx, err)) ||
        (rc = get_time(o, "last_ok", &f->last_ok, idx, err)) ||
        (rc = get_time(o, "last_change", &f->last_change, idx, err)))
        return rc;
    if ((rc = get_str(o, "status", f->status, sizeof f->status, false, idx, err))) return rc;
    if (!f->status[0]) snprintf(f->status, sizeof f->status, "pending");
    static const char *const statuses[] = {"pending", "ok", "unchanged", "error"};
    bool known = false;
    for (size_t i = 0; i < VG_ARRAY_LEN(statuses); i++) known |= strcmp(f->status, statuses[i]) == 0;
    if (!known) return vg_err_set(err, VG_EFORMAT, "feed %zu: unknown status '%s'", idx, f->status);
    if ((rc = get_str(o, "error", f->error, sizeof f->error, false, idx, err)) ||
        (rc = get_str(o, "etag", f->etag, sizeof f->etag, false, idx, err)) ||
        (rc = get_str(o, "last_modified", f->last_modified, sizeof f->last_modified, false, idx, err)))
        return rc;
    for (const char *p = f->etag; *p; p++)
        if ((unsigned char)*p < 0x20) return vg_err_set(err, VG_EFORMAT, "feed %zu: control character in etag", idx);
    for (const char *p = f->last_modified; *p; p++)
        if ((unsigned char)*p < 0x20) return vg_err_set(err, VG_EFORMAT, "feed %zu: control character in last_modified", idx);
    if ((rc = get_u64(o, "bytes", &f->bytes, idx, err)) || (rc = get_u64(o, "fetches", &f->fetches, idx, err)) ||
        (rc = get_u64(o, "failures", &f->failures, idx, err)) ||
        (rc = get_u64(o, "indicators", &f->indicators, idx, err)) ||
        (rc = get_u64(o, "accepted", &f->accepted, idx, err)) || (rc = get_u64(o, "rejected", &f->rejected, idx, err)) ||
        (rc = get_u64(o, "warninglist_entries", &f->warninglist_entries, idx, err)))
        return rc;
    const json_t *ms = json_object_get(o, "fetch_ms");
    if (json_is_number(ms) && json_number_value(ms) >= 0 && json_number_value(ms) < 1e12) f->fetch_ms = json_number_value(ms);
    return 0;
}

int vg_intel_feeds_parse(const char *data, size_t len, struct vg_intel_feed **out, size_t *n, struct vg_err *err)
{
    *out = NULL;
    *n = 0;
    if (!data && len) return vg_err_set(err, VG_EINVAL, "no data");
    if (len > VG_INTEL_FEEDS_FILE_MAX) return vg_err_set(err, VG_ETOOBIG, "feed registry larger than %u bytes", VG_INTEL_FEEDS_FILE_MAX);
    json_error_t je;
    json_t *root = json_loadb(data ? data : "", len, JSON_REJECT_DUPLICATES, &je);
    if (!root) return vg_err_set(err, VG_EPARSE, "feed registry: JSON error at line %d column %d: %s", je.line, je.column, je.text);
    struct vg_intel_feed *feeds = NULL;
    int rc = 0;
    const json_t *ver = json_object_get(root, "version");
    const json_t *arr = json_object_get(root, "feeds");
    if (!json_is_object(root) || !json_is_integer(ver) || json_integer_value(ver) != 1 || !json_is_array(arr)) {
        rc = vg_err_set(err, VG_EFORMAT, "feed registry: expected {\"version\":1,\"feeds\":[...]}");
        goto out;
    }
    size_t cnt = json_array_size(arr);
    if (cnt > VG_INTEL_FEEDS_MAX) { rc = vg_err_set(err, VG_ETOOBIG, "feed registry: more than %d feeds", VG_INTEL_FEEDS_MAX); goto out; }
    if (cnt && !(feeds = vg_calloc(cnt, sizeof *feeds))) { rc = vg_err_set(err, VG_ENOMEM, "out of memory"); goto out; }
    for (size_t i = 0; i < cnt; i++) {
        if ((rc = parse_feed(json_array_get(arr, i), i, &feeds[i], err))) goto out;
        for (size_t k = 0; k < i; k++)
            if (strcmp(feeds[k].name, feeds[i].name) == 0) {
                rc = vg_err_set(err, VG_EFORMAT, "feed registry: name '%s' appears twice", feeds[i].name);
                goto out;
            }
    }
    *out = feeds;
    *n = cnt;
    feeds = NULL;
out:
    vg_free(feeds);
    json_decref(root);
    return rc;
}

/* ---- files ----------------------------------------------------------------- */

int vg_intel_read_file(const char *path, size_t max, char **data, size_t *len, struct vg_err *err)
{
    *data = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno == ENOENT ? VG_ENOENT : vg_err_set(err, VG_EIO, "cannot open %s: %s", path, strerror(errno));
    struct vg_buf b = VG_BUF_INIT;
    b.cap_limit = max;
    int rc = 0;
    char chunk[65536];
    for (;;) {
        ssize_t r = read(fd, chunk, sizeof chunk);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) { rc = vg_err_set(err, VG_EIO, "cannot read %s: %s", path, strerror(errno)); break; }
        if (r == 0) break;
        if (vg_buf_add(&b, chunk, (size_t)r)) { rc = vg_err_set(err, VG_ETOOBIG, "%s is larger than %zu bytes", path, max); break; }
    }
    close(fd);
    if (!rc && !b.data && vg_buf_reserve(&b, 1)) rc = vg_err_set(err, VG_ENOMEM, "out of memory");
    if (rc) { vg_buf_release(&b); return rc; }
    *data = vg_buf_detach(&b, len);
    return 0;
}

static int mkdirs(const char *data_dir, struct vg_err *err)
{
    char p[4200];
    const char *sub[] = {"/intel", "/intel/feeds"};
    for (size_t i = 0; i < 2; i++) {
        if ((size_t)snprintf(p, sizeof p, "%s%s", data_dir, sub[i]) >= sizeof p) return vg_err_set(err, VG_EINVAL, "data path too long");
        if (mkdir(p, 0700) != 0 && errno != EEXIST) return vg_err_set(err, VG_EIO, "cannot create %s: %s", p, strerror(errno));
    }
    return 0;
}

/* Writes data to path through path.tmp + fsync + rename. */
static int write_atomic(const char *path, const char *data, size_t len, struct vg_err *err)
{
    char tmp[4300];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp) return vg_err_set(err, VG_EINVAL, "path too long");
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return vg_err_set(err, VG_EIO, "cannot write %s: %s", tmp, strerror(errno));
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) break;
        off += (size_t)w;
    }
    bool ok = off == len && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return vg_err_set(err, VG_EIO, "cannot write %s", path);
    }
    return 0;
}

int vg_intel_feed_cache_path(const char *data_dir, const char *name, struct vg_buf *out)
{
    out->len = 0;
    if (!vg_intel_feed_name_ok(name)) return VG_EINVAL;
    return vg_buf_addf(out, "%s/intel/feeds/%s.cache", data_dir, name);
}

int vg_intel_feeds_load(const char *data_dir, struct vg_intel_feed **out, size_t *n, struct vg_err *err)
{
    char path[4200];
    *out = NULL;
    *n = 0;
    if ((size_t)snprintf(path, sizeof path, "%s/intel/feeds.json", data_dir) >= sizeof path)
        return vg_err_set(err, VG_EINVAL, "data path too long");
    char *data;
    size_t len;
    int rc = vg_intel_read_file(path, VG_INTEL_FEEDS_FILE_MAX, &data, &len, err);
    if (rc == VG_ENOENT) return 0;
    if (rc) return rc;
    rc = vg_intel_feeds_parse(data, len, out, n, err);
    vg_free(data);
    return rc;
}

int vg_intel_feeds_save(const char *data_dir, const struct vg_intel_feed *feeds, size_t n, struct vg_err *err)
{
    char path[4200];
    if ((size_t)snprintf(path, sizeof path, "%s/intel/feeds.json", data_dir) >= sizeof path)
        return vg_err_set(err, VG_EINVAL, "data path too long");
    int rc = mkdirs(data_dir, err);
    if (rc) return rc;
    struct vg_buf b = VG_BUF_INIT;
    b.cap_limit = VG_INTEL_FEEDS_FILE_MAX;
    if ((rc = vg_intel_feeds_format(feeds, n, &b))) rc = vg_err_set(err, rc, "cannot format the feed registry");
    else rc = write_atomic(path, b.data, b.len, err);
    vg_buf_release(&b);
    return rc;
}

int vg_intel_feed_cache_write(const char *data_dir, const char *name, const char *data, size_t len, struct vg_err *err)
{
    struct vg_buf p = VG_BUF_INIT;
    int rc = mkdirs(data_dir, err);
    if (!rc && vg_intel_feed_cache_path(data_dir, name, &p) != 0) rc = vg_err_set(err, VG_EINVAL, "bad feed name");
    if (!rc) rc = write_atomic(p.data, data, len, err);
    vg_buf_release(&p);
    return rc;
}

/* ---- loading ------------------------------------------------------------------ */

int vg_intel_load_format(struct vg_intel_builder *b, const char *feed, int format, const char *data, size_t len,
                         struct vg_intel_report *rep)
{
    switch (format) {
    case VG_INTEL_FMT_STIX: return vg_intel_load_stix(b, feed, data, len, rep);
    case VG_INTEL_FMT_MISP: return vg_intel_load_misp(b, feed, data, len, rep);
    case VG_INTEL_FMT_CSV: return vg_intel_load_text(b, feed, data, len, rep);
    case VG_INTEL_FMT_WARNINGLIST: return vg_intel_load_warninglist(b, data, len, rep);
    default: return vg_intel_load_buffer(b, feed, data, len, rep);
    }
}

int vg_intel_feeds_load_cached(struct vg_intel_builder *b, const char *data_dir, const struct vg_intel_feed *feeds,
                               size_t n, struct vg_intel_report *rep)
{
    int loaded = 0;
    struct vg_buf p = VG_BUF_INIT;
    for (size_t i = 0; i < n; i++) {
        if (!feeds[i].enabled || vg_intel_feed_cache_path(data_dir, feeds[i].name, &p) != 0) continue;
        char *data;
        size_t len;
        struct vg_err e = VG_ERR_INIT;
        int rc = vg_intel_read_file(p.data, INTEL_MAX_DOC, &data, &len, &e);
        if (rc == VG_ENOENT) continue;
        if (rc) {
            rep->rejected++;
            intel_report_add(rep, false, feeds[i].name, NULL, "cached copy unreadable: %s", e.msg);
            continue;
        }
        rep->files++;
        rc = vg_intel_load_format(b, feeds[i].name, feeds[i].format, data, len, rep);
        vg_free(data);
        if (rc == VG_ENOMEM) { vg_buf_release(&p); return rc; }
        loaded++;
    }
    vg_buf_release(&p);
    return loaded;
}
