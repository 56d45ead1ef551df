/* Fetching one registered threat-intel feed (include/vigil/intel_feeds.h,
 * server-layer half): a file is read, a URL fetched over HTTP(S) with a
 * conditional GET (If-None-Match / If-Modified-Since from the cached
 * copy's validators), size-capped, time-bounded, with bounded redirects.
 * A new document must load in the feed's format with something usable in
 * it before it replaces the cached copy; otherwise the previous copy (and
 * so the previous indicators) stays and the feed records the error. */
#include "vigil/intel_feeds.h"
#include "vigil/http_client.h"

#define DEFAULT_MAX_BYTES ((size_t)256 << 20)

/* Copies a response validator if it is printable and fits. */
static void copy_validator(const struct vg_http_response *r, const char *name, char *out, size_t outsz)
{
    char v[512];
    out[0] = 0;
    if (!vg_http_response_header(r, name, v, sizeof v) || strlen(v) >= outsz) return;
    for (const char *p = v; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f) return;
    snprintf(out, outsz, "%s", v);
}

static bool looks_like_html(const char *d, size_t n)
{
    size_t i = 0;
    if (n >= 3 && (unsigned char)d[0] == 0xef && (unsigned char)d[1] == 0xbb && (unsigned char)d[2] == 0xbf) i = 3;
    while (i < n && (d[i] == ' ' || d[i] == '\t' || d[i] == '\r' || d[i] == '\n')) i++;
    return i < n && d[i] == '<';
}

/* Loads doc in f's format into a scratch builder: the counts, or an error
 * message when the document is not usable. */
static int check_doc(const struct vg_intel_feed *f, const char *doc, size_t len, struct vg_intel_report *rep,
                     struct vg_err *err)
{
    if (looks_like_html(doc, len))
        return vg_err_set(err, VG_EFORMAT, "the document looks like an HTML page, not a %s feed", vg_intel_format_name(f->format));
    struct vg_intel_builder *b = vg_intel_builder_new();
    if (!b) return vg_err_set(err, VG_ENOMEM, "out of memory");
    int rc = vg_intel_load_format(b, f->name, f->format, doc, len, rep);
    vg_intel_builder_free(b);
    const char *first = rep->nrej ? rep->rej[0].reason : "no reason given";
    if (rc == VG_ENOMEM) return vg_err_set(err, rc, "out of memory checking the document");
    if (rc) return vg_err_set(err, rc, "not a usable %s document: %s", vg_intel_format_name(f->format), first);
    if (f->format == VG_INTEL_FMT_WARNINGLIST && !rep->warninglist_entries)
        return vg_err_set(err, VG_EFORMAT, "the warninglist has no usable entry (%s)", first);
    if (rep->indicators && !rep->accepted && !rep->warninglist_entries)
        return vg_err_set(err, VG_EFORMAT, "none of the %zu candidate indicators is usable (first: %s)", rep->indicators, first);
    return 0;
}

int vg_intel_feed_update(const char *data_dir, struct vg_intel_feed *f, const struct vg_intel_fetch_opts *o,
                         bool *changed, struct vg_err *err)
{
    struct vg_intel_fetch_opts dflt = {0};
    if (!o) o = &dflt;
    if (changed) *changed = false;
    size_t maxb = o->max_bytes ? o->max_bytes : DEFAULT_MAX_BYTES;
    int64_t t0 = vg_mono_ns(), now = vg_now_ns();
    f->fetches++;
    f->last_fetch = now;
    struct vg_buf cpath = VG_BUF_INIT;
    struct vg_http_response resp = {0};
    struct vg_intel_report rep = VG_INTEL_REPORT_INIT;
    char *cached = NULL, *doc = NULL;
    size_t clen = 0, dlen = 0;
    char etag[sizeof f->etag] = "", lm[sizeof f->last_modified] = "";
    bool not_modified = false;
    struct vg_err e = VG_ERR_INIT;
    int rc = vg_intel_feed_cache_path(data_dir, f->name, &cpath);
    if (rc) { rc = vg_err_set(&e, VG_EINVAL, "bad feed name"); goto out; }
    rc = vg_intel_read_file(cpath.data, maxb, &cached, &clen, &e);
    if (rc == VG_ENOENT) rc = 0;
    if (rc) goto out;

    if (vg_intel_feed_is_url(f->location)) {
        struct vg_http_request rq = {
            .method = "GET",
            .url = f->location,
            .timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 30000,
            .total_timeout_ms = o->total_timeout_ms > 0 ? o->total_timeout_ms : 300000,
            .max_response = maxb,
            .if_none_match = cached && f->etag[0] ? f->etag : NULL,
            .if_modified_since = cached && f->last_modified[0] ? f->last_modified : NULL,
            .ca_file = o->ca_file,
            .max_redirects = o->max_redirects < 0 ? 0 : o->max_redirects ? o->max_redirects : 5,
            .cancel = o->cancel,
        };
        rc = vg_http_fetch(&rq, &resp, &e);
        if (rc) {
            char m[sizeof e.msg];
            snprintf(m, sizeof m, "%s", e.msg);
            rc = vg_err_set(&e, rc, "fetch failed: %s", m[0] ? m : vg_strerror(rc));
            goto out;
        }
        if (resp.status == 304) {
            if (!cached) { rc = vg_err_set(&e, VG_EFORMAT, "HTTP 304 Not Modified but no cached copy is held"); goto out; }
            not_modified = true;
        } else if (resp.status == 200) {
            copy_validator(&resp, "ETag", etag, sizeof etag);
            copy_validator(&resp, "Last-Modified", lm, sizeof lm);
            doc = resp.body;
            dlen = resp.body_len;
            resp.body = NULL;
        } else {
            rc = vg_err_set(&e, VG_ENET, "HTTP %d from %s", resp.status, f->location);
            goto out;
        }
    } else {
        rc = vg_intel_read_file(f->location, maxb, &doc, &dlen, &e);
        if (rc == VG_ENOENT) rc = vg_err_set(&e, VG_EIO, "no such file: %s", f->location);
        if (rc) goto out;
    }
    if (doc && cached && dlen == clen && memcmp(doc, cached, dlen) == 0) not_modified = true;
    if (!not_modified) {
        if ((rc = check_doc(f, doc, dlen, &rep, &e))) goto out;
        if ((rc = vg_intel_feed_cache_write(data_dir, f->name, doc, dlen, &e))) goto out;
        f->bytes = dlen;
        f->indicators = rep.indicators;
        f->accepted = rep.accepted;
        f->rejected = rep.rejected;
        f->warninglist_entries = rep.warninglist_entries;
        f->last_change = now;
        if (changed) *changed = true;
    }
    if (doc) { /* a 200 (even with identical content) brings the current validators */
        snprintf(f->etag, sizeof f->etag, "%s", etag);
        snprintf(f->last_modified, sizeof f->last_modified, "%s", lm);
    }
    snprintf(f->status, sizeof f->status, "%s", not_modified ? "unchanged" : "ok");
    f->error[0] = 0;
    f->last_ok = now;
out:
    f->fetch_ms = (double)(vg_mono_ns() - t0) / 1e6;
    if (rc) {
        f->failures++;
        snprintf(f->status, sizeof f->status, "error");
        snprintf(f->error, sizeof f->error, "%s", e.msg[0] ? e.msg : vg_strerror(rc));
        vg_err_set(err, rc, "feed %s: %s", f->name, f->error);
    }
    vg_intel_report_release(&rep);
    vg_http_response_release(&resp);
    vg_buf_release(&cpath);
    vg_free(cached);
    vg_free(doc);
    return rc;
}
