/* FORMAT decoder for RFC 5424 syslog:
 *   <PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD-ID k="v" ...]... MSG
 * NILVALUE "-" leaves a field out; structured-data params become source
 * fields sd.<SD-ID>.<PARAM-NAME> (unescaped into the arena only when they
 * hold \" \\ \]); a UTF-8 BOM before MSG is skipped. Sets process.name and
 * message so the chain can run PROGRAM decoders as for RFC 3164. */
#include "internal.h"
#include "textscan.h"

enum { F_PROCID };
static const char *const fnames[] = {"log.syslog.procid"};
static uint32_t fids[VG_ARRAY_LEN(fnames)];
static struct vg__fidtab ftab = VG_FIDTAB(fnames, fids);

#define MAX_SD_PARAMS 128
#define MAX_SD_NAME 32

static int pri_of(const char *p, const char *end, const char **after)
{
    if (p >= end || *p != '<') return -1;
    int v = 0;
    const char *q = p + 1;
    while (q < end && *q >= '0' && *q <= '9' && q - p <= 3) v = v * 10 + (*q++ - '0');
    if (q == p + 1 || q >= end || *q != '>' || v > 191) return -1;
    *after = q + 1;
    return v;
}

/* One header token [p, t); advances *pp past it and one space. */
static bool header_tok(const char **pp, const char *end, size_t max, const char **s, size_t *n)
{
    const char *p = *pp, *t = p;
    while (t < end && *t != ' ') t++;
    if (t == p || (size_t)(t - p) > max) return false;
    *s = p;
    *n = (size_t)(t - p);
    *pp = t < end ? t + 1 : t;
    return true;
}

static bool is_nil(const char *s, size_t n) { return n == 1 && s[0] == '-'; }

static bool sd_name_char(char c) { return c > 32 && c < 127 && c != '=' && c != ']' && c != '"'; }

/* Parses the SD elements at *pp. Returns 0, VG_EPARSE on malformed SD. */
static int parse_sd(struct vg_event *ev, const char **pp, const char *end)
{
    const char *p = *pp;
    int nparams = 0;
    while (p < end && *p == '[') {
        const char *id = ++p;
        while (p < end && sd_name_char(*p) && p - id <= MAX_SD_NAME) p++;
        size_t idl = (size_t)(p - id);
        if (idl == 0 || idl > MAX_SD_NAME) return VG_EPARSE;
        for (;;) {
            if (p >= end) return VG_EPARSE;
            if (*p == ']') { p++; break; }
            if (*p != ' ') return VG_EPARSE;
            p++;
            const char *nm = p;
            while (p < end && sd_name_char(*p) && p - nm <= MAX_SD_NAME) p++;
            size_t nml = (size_t)(p - nm);
            if (nml == 0 || nml > MAX_SD_NAME || p + 1 >= end || p[0] != '=' || p[1] != '"') return VG_EPARSE;
            p += 2;
            const char *v = p;
            bool esc = false;
            while (p < end && *p != '"') {
                if (*p == '\\' && p + 1 < end) { esc = true; p++; }
                p++;
            }
            if (p >= end) return VG_EPARSE;
            size_t vl = (size_t)(p - v);
            p++; /* closing quote */
            if (++nparams > MAX_SD_PARAMS) continue; /* bounded: extra params stay in raw only */
            char name[3 + MAX_SD_NAME + 1 + MAX_SD_NAME + 1];
            int nn = snprintf(name, sizeof name, "sd.%.*s.%.*s", (int)idl, id, (int)nml, nm);
            if (nn <= 0 || (size_t)nn >= sizeof name) return VG_EPARSE;
            const char *val = v;
            if (esc && !(val = vg__ts_unescape(ev, v, vl, &vl))) return VG_ENOMEM;
            int rc = vg_event_add_str(ev, vg_fid(name, (size_t)nn), VG_FF_SOURCE, val, vl);
            if (rc == VG_ENOMEM) return rc;
        }
    }
    *pp = p;
    return 0;
}

static int decode(struct vg_event *ev, const char *buf, size_t len, struct vg_err *err)
{
    const char *p = buf, *end = ts_rtrim(buf, buf + len), *s;
    size_t n;
    int rc = 0;
    ts_fids(&ftab);
    int pri = pri_of(p, end, &p);
    if (pri < 0 || end - p < 2 || p[0] < '1' || p[0] > '9' || p[1] != ' ')
        return vg_err_set(err, VG_EFORMAT, "rfc5424: expected <PRI>VERSION");
    if ((rc = vg__ts_add_pri(ev, pri)) != 0) goto out;
    if ((rc = vg_event_add_str(ev, VG_FID_LOG_SYSLOG_VERSION, VG_FF_ECS, p, 1)) != 0) goto out;
    p += 2;
    if (!header_tok(&p, end, 64, &s, &n)) { rc = VG_EPARSE; vg_err_set(err, rc, "rfc5424: missing TIMESTAMP"); goto fail; }
    if (!is_nil(s, n)) {
        int64_t ts;
        if (vg__ts_parse_iso(s, n, &ts) != 0) { rc = VG_EPARSE; vg_err_set(err, rc, "rfc5424: bad TIMESTAMP"); goto fail; }
        ev->ts = ts;
    }
    if (!header_tok(&p, end, 255, &s, &n)) { rc = VG_EPARSE; vg_err_set(err, rc, "rfc5424: missing HOSTNAME"); goto fail; }
    if (!is_nil(s, n) && (rc = vg_event_add_str(ev, VG_FID_HOST_NAME, VG_FF_ECS, s, n)) != 0) goto out;
    if (!header_tok(&p, end, 48, &s, &n)) { rc = VG_EPARSE; vg_err_set(err, rc, "rfc5424: missing APP-NAME"); goto fail; }
    if (!is_nil(s, n)) {
        if ((rc = vg_event_add_str(ev, VG_FID_LOG_SYSLOG_APPNAME, VG_FF_ECS, s, n)) != 0) goto out;
        if ((rc = vg__ts_add_program(ev, s, n)) != 0) goto out;
    }
    if (!header_tok(&p, end, 128, &s, &n)) { rc = VG_EPARSE; vg_err_set(err, rc, "rfc5424: missing PROCID"); goto fail; }
    if (!is_nil(s, n)) {
        if ((rc = vg_event_add_str(ev, fids[F_PROCID], VG_FF_ECS, s, n)) != 0) goto out;
        if ((rc = vg__ts_add_int(ev, VG_FID_PROCESS_PID, VG_FF_ECS, s, n)) != 0) goto out;
    }
    if (!header_tok(&p, end, 32, &s, &n)) { rc = VG_EPARSE; vg_err_set(err, rc, "rfc5424: missing MSGID"); goto fail; }
    if (!is_nil(s, n) && (rc = vg_event_add_str(ev, VG_FID_LOG_SYSLOG_MSGID, VG_FF_ECS, s, n)) != 0) goto out;
    if (p < end && *p == '-') {
        p++;
    } else if (p < end && *p == '[') {
        if ((rc = parse_sd(ev, &p, end)) != 0) {
            if (rc == VG_EPARSE) vg_err_set(err, rc, "rfc5424: malformed STRUCTURED-DATA");
            goto fail;
        }
    } else {
        rc = VG_EPARSE;
        vg_err_set(err, rc, "rfc5424: missing STRUCTURED-DATA");
        goto fail;
    }
    if (p < end && *p == ' ') p++;
    if (end - p >= 3 && (unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB && (unsigned char)p[2] == 0xBF) p += 3;
    rc = vg_event_add_str(ev, VG_FID_MESSAGE, VG_FF_ECS, p, (size_t)(end - p));
out:
    if (rc) vg_err_set(err, rc, "rfc5424: cannot add fields");
    return rc;
fail:
    /* partial decode: keep what we have and the rest as the message */
    if (!vg_event_get(ev, VG_FID_MESSAGE)) vg_event_add_str(ev, VG_FID_MESSAGE, VG_FF_ECS, p, (size_t)(end - p));
    return rc;
}

static int probe(const char *b, size_t n)
{
    const char *p;
    if (n < 4 || b[0] != '<') return 0;
    if (pri_of(b, b + n, &p) < 0) return 0;
    if (b + n - p >= 3 && p[0] >= '1' && p[0] <= '9' && p[1] == ' ' && ((p[2] >= '0' && p[2] <= '9') || p[2] == '-'))
        return 95;
    return 0;
}

const struct vg_decoder vg_dec_rfc5424 = {
    .name = "rfc5424",
    .desc = "IETF syslog (RFC 5424) with structured data flattened to sd.<id>.<param>",
    .kind = VG_DEC_FORMAT,
    .probe = probe,
    .decode = decode,
};
