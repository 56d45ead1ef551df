/* FORMAT decoder for BSD syslog (RFC 3164) and the variants found in real
 * files: with or without <PRI>, "Mmm dd hh:mm:ss" (year inferred), a leading
 * "YYYY " (syslog-ng), ISO 8601 / rsyslog high-precision timestamps, a
 * missing hostname, "prog:", "prog[pid]:", "prog(pam_mod)[pid]:", kernel
 * "[ 123.456]" uptime prefixes and Solaris "[ID n fac.sev]" tags.
 * Sets the header fields and process.name + message (pointing into raw),
 * so the chain in decode.c can run the PROGRAM decoder. */
#include "internal.h"
#include "textscan.h"

enum { F_PAM_MODULE, F_KERNEL_UPTIME, F_SYSLOG_TAG };
static const char *const fnames[] = {"pam.module", "kernel.uptime", "log.syslog.tag"};
static uint32_t fids[VG_ARRAY_LEN(fnames)];
static struct vg__fidtab ftab = VG_FIDTAB(fnames, fids);

#define NS 1000000000LL
#define MAX_TAG 128

static bool isdig(char c) { return c >= '0' && c <= '9'; }

/* "<PRI>" with 1..3 digits, value <= 191. Returns bytes consumed or 0. */
static size_t parse_pri(const char *p, const char *end, int *pri)
{
    if (p >= end || *p != '<') return 0;
    int v = 0;
    size_t i = 1;
    while (p + i < end && isdig(p[i]) && i <= 3) v = v * 10 + (p[i++] - '0');
    if (i == 1 || i > 4 || p + i >= end || p[i] != '>' || v > 191) return 0;
    *pri = v;
    return i + 1;
}

static bool digits(const char *p, const char *end, size_t n, int *out)
{
    if ((size_t)(end - p) < n) return false;
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdig(p[i])) return false;
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return true;
}

/* syslog-ng's "YYYY Mmm dd ..." (relays sometimes repeat the year): skips
 * up to two "YYYY " tokens when a month name follows; returns p otherwise. */
static const char *skip_year_prefix(const char *p, const char *end, int *year)
{
    const char *q = p;
    int y = 0;
    for (int i = 0; i < 2 && end - q > 5 && digits(q, end, 4, &y) && q[4] == ' '; i++) {
        q += 5;
        if (end - q > 3 && vg__ts_month(q) && q[3] == ' ') {
            *year = y;
            return q;
        }
    }
    return p;
}

static bool is_iso_start(const char *p, const char *end)
{
    int y, m, d;
    return end - p >= 10 && digits(p, end, 4, &y) && p[4] == '-' && digits(p + 5, end, 2, &m) && p[7] == '-' &&
           digits(p + 8, end, 2, &d);
}

static bool is_bsd_start(const char *p, const char *end)
{
    return end - p >= 15 && vg__ts_month(p) && p[3] == ' ' && (isdig(p[4]) || (p[4] == ' ' && isdig(p[5])));
}

/* Resolves a year-less time: reference year from default_year or recv_ts,
 * one year back when the result is more than a day ahead of recv_ts. */
static int64_t infer_year(const struct vg_event *ev, int mon, int day, int h, int mi, int s)
{
    int64_t ref = ev->recv_ts ? ev->recv_ts : vg_now_ns();
    int year = vg__decode_default_year >= VG_TS_YEAR_MIN && vg__decode_default_year <= VG_TS_YEAR_MAX
                   ? (int)vg__decode_default_year : 0;
    if (year == 0) {
        /* the reference year changes once a day: cache it per thread */
        static _Thread_local int64_t cached_day = INT64_MIN;
        static _Thread_local int cached_year;
        int64_t ref_day = ref / (86400 * NS);
        if (ref_day != cached_day) {
            struct vg_tm tm;
            vg_time_to_tm(ref, &tm);
            cached_day = ref_day;
            cached_year = tm.year;
        }
        year = cached_year;
    }
    int64_t t = vg_time_from_civil(year, mon, day, h, mi, s);
    if (t > ref + 86400 * NS) t = vg_time_from_civil(year - 1, mon, day, h, mi, s);
    return t;
}

/* "Mmm dd [yyyy ]hh:mm:ss[.frac]"; explicit_year from a "YYYY " prefix or 0. */
static const char *parse_bsd(const struct vg_event *ev, const char *p, const char *end, int explicit_year,
                             int64_t *ts)
{
    int mon = vg__ts_month(p), day, h, mi, s, year = explicit_year;
    p = ts_skip_sp(p + 3, end);
    const char *q = p;
    while (q < end && isdig(*q) && q - p < 2) q++;
    if (q == p || !digits(p, end, (size_t)(q - p), &day)) return NULL;
    p = ts_skip_sp(q, end);
    int y;
    if (digits(p, end, 4, &y) && p + 4 < end && p[4] == ' ') { /* Cisco "Mmm dd yyyy hh:mm:ss" */
        year = y;
        p += 5;
    }
    if (!digits(p, end, 2, &h) || p + 8 > end || p[2] != ':' || !digits(p + 3, end, 2, &mi) || p[5] != ':' ||
        !digits(p + 6, end, 2, &s))
        return NULL;
    p += 8;
    int64_t frac = 0;
    if (p < end && p[0] == '.' && p + 1 < end && isdig(p[1])) {
        int nd = 0;
        p++;
        while (p < end && isdig(*p)) {
            if (nd < 9) { frac = frac * 10 + (*p - '0'); nd++; }
            p++;
        }
        for (; nd < 9; nd++) frac *= 10;
    }
    if (day < 1 || day > 31 || h > 23 || mi > 59 || s > 60) return NULL;
    if (year && (year < VG_TS_YEAR_MIN || year > VG_TS_YEAR_MAX)) return NULL;
    *ts = (year ? vg_time_from_civil(year, mon, day, h, mi, s) : infer_year(ev, mon, day, h, mi, s)) + frac;
    return p;
}

static const char *parse_iso(const char *p, const char *end, int64_t *ts)
{
    const char *t = ts_tok_end(p, end);
    /* "2020-03-23 06:47:42.801612-0700": date and time split by a space */
    if (t - p == 10 && t + 3 < end && *t == ' ' && isdig(t[1]) && isdig(t[2]) && t[3] == ':') t = ts_tok_end(t + 1, end);
    if (vg__ts_parse_iso(p, (size_t)(t - p), ts) != 0) return NULL;
    return t;
}

/* A syslog TAG: name[pid]: or name: (name printable, no ':' '[' or space). */
struct tag {
    const char *name, *pid, *msg;
    size_t nlen, plen;
};

static bool parse_tag(const char *p, const char *end, struct tag *t)
{
    const char *q = p;
    memset(t, 0, sizeof *t);
    while (q < end && *q != '[' && *q != ':' && *q != ' ' && *q != '\t') {
        if ((unsigned char)*q < 0x21 || (unsigned char)*q > 0x7e) return false;
        q++;
        if (q - p > MAX_TAG) return false;
    }
    if (q == p || q >= end) return false;
    t->name = p;
    t->nlen = (size_t)(q - p);
    if (*q == '[') {
        const char *r = memchr(q, ']', (size_t)(end - q) < 32 ? (size_t)(end - q) : 32);
        if (!r) return false;
        t->pid = q + 1;
        t->plen = (size_t)(r - q - 1);
        q = r + 1;
        if (q < end && *q == ':') q++;
        else if (q < end && *q != ' ') return false;
    } else if (*q == ':') {
        q++;
    } else {
        return false;
    }
    if (q < end && *q != ' ' && *q != '\t') return false;
    if (q < end) q++;
    t->msg = q;
    return true;
}

static bool looks_like_tag_token(const char *p, const char *end)
{
    const char *t = ts_tok_end(p, end);
    if (t == p) return false;
    if (vg__ts_is_ip(p, (size_t)(t - p))) return false;
    if (t[-1] == ':') return true;
    return t[-1] == ']' && memchr(p, '[', (size_t)(t - p)) != NULL;
}

static int decode(struct vg_event *ev, const char *buf, size_t len, struct vg_err *err)
{
    const char *p = buf, *end = ts_rtrim(buf, buf + len);
    int pri = -1, rc = 0;
    ts_fids(&ftab);
    p = ts_skip_sp(p, end);
    p += parse_pri(p, end, &pri);
    if (end - p >= 3 && (unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB && (unsigned char)p[2] == 0xBF) p += 3;
    int64_t ts = 0;
    const char *after = NULL;
    int year = 0;
    p = skip_year_prefix(p, end, &year);
    if (is_bsd_start(p, end)) after = parse_bsd(ev, p, end, year, &ts);
    else if (is_iso_start(p, end)) after = parse_iso(p, end, &ts);
    if (!after && pri < 0)
        return vg_err_set(err, VG_EFORMAT, "rfc3164: no <PRI> and no recognised timestamp");
    if (after) {
        ev->ts = ts;
        p = ts_skip_sp(after, end);
    }
    if (pri >= 0 && (rc = vg__ts_add_pri(ev, pri)) != 0) goto out;

    /* hostname, unless the next token already is the tag */
    if (p < end && !looks_like_tag_token(p, end)) {
        const char *h = ts_tok_end(p, end);
        if (h - p <= 255) {
            if ((rc = vg_event_add_str(ev, VG_FID_HOST_NAME, VG_FF_ECS, p, (size_t)(h - p))) != 0) goto out;
            p = ts_skip_sp(h, end);
        }
    }
    struct tag tag;
    const char *msg = p;
    if (p < end && parse_tag(p, end, &tag)) {
        const char *nm = tag.name;
        size_t nl = tag.nlen;
        const char *paren = memchr(nm, '(', nl);
        if (paren && nm[nl - 1] == ')' && paren > nm) {
            const char *mod = paren + 1;
            size_t ml = (size_t)(nm + nl - 1 - mod);
            if (ml > 4 && memcmp(mod, "pam_", 4) == 0) {
                if ((rc = vg_event_add_str(ev, fids[F_PAM_MODULE], VG_FF_SOURCE, mod, ml)) != 0) goto out;
                nl = (size_t)(paren - nm);
            }
        }
        if ((rc = vg__ts_add_program(ev, nm, nl)) != 0) goto out;
        if ((rc = vg_event_add_str(ev, fids[F_SYSLOG_TAG], VG_FF_SOURCE, tag.name, tag.nlen)) != 0) goto out;
        if (tag.plen && (rc = vg__ts_add_int(ev, VG_FID_PROCESS_PID, VG_FF_ECS, tag.pid, tag.plen)) != 0) goto out;
        msg = tag.msg;
        /* kernel ring-buffer uptime "[ 123.456789] " */
        if (nl == 6 && memcmp(nm, "kernel", 6) == 0 && msg < end && *msg == '[') {
            const char *r = memchr(msg, ']', (size_t)(end - msg) < 32 ? (size_t)(end - msg) : 32);
            const char *u = r ? ts_skip_sp(msg + 1, r) : NULL;
            if (u && u < r && isdig(*u)) {
                if ((rc = vg_event_add_str(ev, fids[F_KERNEL_UPTIME], VG_FF_SOURCE, u, (size_t)(r - u))) != 0) goto out;
                msg = ts_skip_sp(r + 1, end);
            }
        }
        /* Solaris "[ID 800047 auth.notice] " */
        if (ts_starts(msg, end, "[ID ")) {
            const char *r = memchr(msg, ']', (size_t)(end - msg) < 64 ? (size_t)(end - msg) : 64);
            if (r) {
                const char *id = msg + 4, *ide = ts_tok_end(id, r);
                if ((rc = vg_event_add_str(ev, VG_FID_LOG_SYSLOG_MSGID, VG_FF_ECS, id, (size_t)(ide - id))) != 0) goto out;
                msg = ts_skip_sp(r + 1, end);
            }
        }
    }
    if (msg > end) msg = end;
    rc = vg_event_add_str(ev, VG_FID_MESSAGE, VG_FF_ECS, msg, (size_t)(end - msg));
out:
    if (rc) vg_err_set(err, rc, "rfc3164: cannot add fields");
    return rc;
}

static int probe(const char *b, size_t n)
{
    const char *p = b, *end = b + n;
    int pri;
    if (n == 0 || *p == '{' || *p == '[') return 0;
    size_t k = parse_pri(p, end, &pri);
    p += k;
    if (k && end - p >= 2 && p[0] == '1' && p[1] == ' ') return 10; /* RFC 5424 */
    if (end - p >= 3 && (unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB) p += 3;
    int y = 0;
    if (skip_year_prefix(p, end, &y) != p) return k ? 75 : 50;
    if (is_bsd_start(p, end)) return k ? 80 : 60;
    if (is_iso_start(p, end)) return k ? 75 : 55;
    return k ? 30 : 0;
}

const struct vg_decoder vg_dec_rfc3164 = {
    .name = "rfc3164",
    .desc = "BSD syslog (RFC 3164) with or without <PRI>, ISO/high-precision timestamps, file lines",
    .kind = VG_DEC_FORMAT,
    .probe = probe,
    .decode = decode,
};
