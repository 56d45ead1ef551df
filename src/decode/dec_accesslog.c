/* Apache/nginx access logs in the Common and Combined Log Formats and
 * their usual variants (vhost_combined "host:port client ...", an extra
 * forwarded-for address, extra trailing fields, a truncated user agent):
 *   1.2.3.4 - frank [10/Oct/2000:13:55:36 -0700] "GET /a?b=c HTTP/1.0" 200 2326 "ref" "UA"
 * One parser, two table entries: the FORMAT decoder for raw lines and the
 * PROGRAM decoder for access lines forwarded by syslog (nginx, httpd,
 * apache2). Strings point into raw; request/referrer/UA are copied to the
 * arena only when they hold Apache's backslash escapes (\" \xHH). */
#include "internal.h"
#include "textscan.h"

enum { F_CLIENT, F_IDENT, F_USER, F_VHOST, F_REQUEST, F_SOURCE_ADDRESS };
static const char *const fnames[] = {"access.client", "access.ident", "access.user", "access.vhost",
                                     "access.request", "source.address"};
static uint32_t fids[VG_ARRAY_LEN(fnames)];
static struct vg__fidtab ftab = VG_FIDTAB(fnames, fids);

#define MAX_PRE 8
#define SCAN_LIMIT 1024

/* Finds "[dd/Mon/yyyy:hh:mm:ss zone]" preceded by a space in the first
 * SCAN_LIMIT bytes. Sets *ts and returns the '[' or NULL. */
static const char *find_time(const char *p, const char *end, int64_t *ts, const char **close)
{
    const char *lim = end - p > SCAN_LIMIT ? p + SCAN_LIMIT : end;
    for (const char *b = p; (b = vg__ts_find(b, lim, " [")) != NULL; b += 2) {
        const char *t = b + 2;
        if (t >= end || *t < '0' || *t > '9') continue;
        const char *c = memchr(t, ']', (size_t)(end - t) < 40 ? (size_t)(end - t) : 40);
        if (c && vg__ts_parse_clf_time(t, (size_t)(c - t), ts) == 0) {
            *close = c;
            return b + 1;
        }
    }
    return NULL;
}

/* A double-quoted field at *pp with backslash escapes; an unterminated
 * quote runs to end. Returns false when *pp is not at a quote. */
static bool quoted(const char **pp, const char *end, const char **s, size_t *n, bool *esc)
{
    const char *p = *pp;
    if (p >= end || *p != '"') return false;
    const char *q = ++p;
    *esc = false;
    while (q < end && *q != '"') {
        if (*q == '\\' && q + 1 < end) { *esc = true; q++; }
        q++;
    }
    *s = p;
    *n = (size_t)(q - p);
    *pp = q < end ? q + 1 : end;
    return true;
}

static bool is_dash(const char *s, size_t n) { return n == 1 && *s == '-'; }

static int add_text(struct vg_event *ev, uint32_t fid, uint32_t flags, const char *s, size_t n, bool esc)
{
    if (esc && !(s = vg__ts_unescape(ev, s, n, &n))) return VG_ENOMEM;
    return vg_event_add_str(ev, fid, flags, s, n);
}

static int parse(struct vg_event *ev, const char *buf, size_t len, struct vg_err *err)
{
    const char *p = ts_skip_sp(buf, buf + len), *end = ts_rtrim(buf, buf + len), *close;
    int64_t ts;
    ts_fids(&ftab);
    const char *br = find_time(p, end, &ts, &close);
    if (!br) return vg_err_set(err, VG_EPARSE, "accesslog: no [dd/Mon/yyyy:hh:mm:ss zone] time");
    /* the tokens before the time: [vhost] client [more] ident user */
    const char *tok[MAX_PRE], *toke[MAX_PRE];
    int n = 0;
    for (const char *q = p; q < br && n < MAX_PRE;) {
        q = ts_skip_sp(q, br);
        if (q >= br) break;
        tok[n] = q;
        toke[n] = ts_tok_end(q, br);
        q = toke[n++];
    }
    const char *r = ts_skip_sp(close + 1, end);
    const char *req, *ref = NULL, *ua = NULL;
    size_t reql, refl = 0, ual = 0;
    bool reqesc, refesc = false, uaesc = false;
    if (n == 0 || !quoted(&r, end, &req, &reql, &reqesc))
        return vg_err_set(err, VG_EPARSE, "accesslog: expected client and \"request\"");
    r = ts_skip_sp(r, end);
    const char *st = r, *ste = ts_tok_end(r, end);
    int64_t status = -1;
    if (!is_dash(st, (size_t)(ste - st)) && (ste - st != 3 || vg_parse_i64(st, 3, &status) != 0))
        return vg_err_set(err, VG_EPARSE, "accesslog: bad status code");
    r = ts_skip_sp(ste, end);
    const char *by = r, *bye = ts_tok_end(r, end);
    r = ts_skip_sp(bye, end);
    if (quoted(&r, end, &ref, &refl, &refesc)) {
        r = ts_skip_sp(r, end);
        quoted(&r, end, &ua, &ual, &uaesc);
    }

    int rc = 0, client = 0;
    for (int i = 0; i < n; i++)
        if (vg__ts_is_ip(tok[i], (size_t)(toke[i] - tok[i]))) { client = i; break; }
    if (client > 0) {
        const char *v = tok[0], *ve = toke[0], *colon = memchr(v, ':', (size_t)(ve - v));
        rc = vg_event_add_str(ev, fids[F_VHOST], VG_FF_SOURCE, v, (size_t)(ve - v));
        if (!rc) rc = vg_event_add_str(ev, VG_FID_URL_DOMAIN, VG_FF_ECS, v, (size_t)((colon ? colon : ve) - v));
    }
    size_t cl = (size_t)(toke[client] - tok[client]);
    if (!rc) rc = vg_event_add_str(ev, fids[F_CLIENT], VG_FF_SOURCE, tok[client], cl);
    if (!rc) rc = vg__ts_add_ip_or(ev, VG_FID_SOURCE_IP, fids[F_SOURCE_ADDRESS], tok[client], cl);
    if (!rc && n - client >= 3) {
        const char *id = tok[n - 2];
        size_t idl = (size_t)(toke[n - 2] - id);
        if (!is_dash(id, idl)) rc = vg_event_add_str(ev, fids[F_IDENT], VG_FF_SOURCE, id, idl);
    }
    if (!rc && n - client >= 2) {
        const char *u = tok[n - 1];
        size_t ul = (size_t)(toke[n - 1] - u);
        if (!is_dash(u, ul)) {
            rc = vg_event_add_str(ev, fids[F_USER], VG_FF_SOURCE, u, ul);
            if (!rc) rc = vg_event_add_str(ev, VG_FID_USER_NAME, VG_FF_ECS, u, ul);
        }
    }
    ev->ts = ts;
    /* "METHOD target HTTP/x.y" */
    if (!rc && reqesc && !(req = vg__ts_unescape(ev, req, reql, &reql))) rc = VG_ENOMEM;
    if (!rc) rc = vg_event_add_str(ev, fids[F_REQUEST], VG_FF_SOURCE, req, reql);
    const char *re = req + reql, *m = req, *me = ts_tok_end(req, re);
    bool method_ok = me > m && me - m <= 16;
    for (const char *c = m; method_ok && c < me; c++) method_ok = (*c >= 'A' && *c <= 'Z') || *c == '-' || *c == '_';
    if (!rc && method_ok && me < re) {
        rc = vg_event_add_str(ev, VG_FID_HTTP_REQUEST_METHOD, VG_FF_ECS, m, (size_t)(me - m));
        const char *t = ts_skip_sp(me, re), *te = re;
        const char *h = vg__ts_rfind(t, re, " HTTP/");
        if (h) {
            te = h;
            if (!rc) rc = vg_event_add_str(ev, VG_FID_HTTP_VERSION, VG_FF_ECS, h + 6, (size_t)(re - h - 6));
        }
        if (!rc && te > t) {
            rc = vg_event_add_str(ev, VG_FID_URL_ORIGINAL, VG_FF_ECS, t, (size_t)(te - t));
            const char *qm = memchr(t, '?', (size_t)(te - t));
            if (!rc) rc = vg_event_add_str(ev, VG_FID_URL_PATH, VG_FF_ECS, t, (size_t)((qm ? qm : te) - t));
            if (!rc && qm && qm + 1 < te) rc = vg_event_add_str(ev, VG_FID_URL_QUERY, VG_FF_ECS, qm + 1, (size_t)(te - qm - 1));
        }
    }
    if (!rc && status >= 0) rc = vg_event_add_int(ev, VG_FID_HTTP_RESPONSE_STATUS_CODE, VG_FF_ECS, status);
    if (!rc) rc = vg__ts_add_int(ev, VG_FID_HTTP_RESPONSE_BODY_BYTES, VG_FF_ECS, by, (size_t)(bye - by));
    if (!rc && ref && !is_dash(ref, refl)) rc = add_text(ev, VG_FID_HTTP_REQUEST_REFERRER, VG_FF_ECS, ref, refl, refesc);
    if (!rc && ua && !is_dash(ua, ual)) rc = add_text(ev, VG_FID_USER_AGENT_ORIGINAL, VG_FF_ECS, ua, ual, uaesc);
    if (!rc) rc = vg__ts_action(ev, "http_request", "web", status < 0 ? NULL : status < 400 ? "success" : "failure");
    if (rc) vg_err_set(err, rc, "accesslog: cannot add fields");
    return rc;
}

static int probe(const char *b, size_t n)
{
    const char *p = b, *end = b + n, *close;
    int64_t ts;
    if (n < 20 || *p == '{' || *p == '[' || *p == '<' || ts_starts(p, end, "type=")) return 0;
    if (vg__ts_month(p) && p[3] == ' ') return 0; /* syslog header: the syslog decoders take it */
    const char *br = find_time(p, end, &ts, &close);
    if (!br || br - p > 300) return 0;
    const char *r = ts_skip_sp(close + 1, end);
    return r < end && *r == '"' ? 70 : 0;
}

const struct vg_decoder vg_dec_accesslog = {
    .name = "accesslog",
    .desc = "Apache/nginx access logs (common, combined, vhost_combined)",
    .kind = VG_DEC_FORMAT,
    .probe = probe,
    .decode = parse,
};

const struct vg_decoder vg_dec_accesslog_syslog = {
    .name = "accesslog-syslog",
    .desc = "Apache/nginx access lines forwarded by syslog (nginx, httpd, apache2)",
    .kind = VG_DEC_PROGRAM,
    .programs = (const char *const[]){"nginx", "httpd", "apache", "apache2", "apache-access", "nginx-access", NULL},
    .decode = parse,
};
