/* Text-scanning helpers for the syslog-family decoders (see textscan.h).
 * All scanning is bounded by an explicit end pointer: inputs are not
 * NUL-terminated and may hold any bytes. */
#include "textscan.h"

#include <pthread.h>

static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;

void vg__ts_fids_init(struct vg__fidtab *t)
{
    pthread_mutex_lock(&init_lock);
    if (!atomic_load_explicit(&t->ready, memory_order_relaxed)) {
        for (size_t i = 0; i < t->n; i++) t->ids[i] = vg_fid(t->names[i], strlen(t->names[i]));
        atomic_store_explicit(&t->ready, 1, memory_order_release);
    }
    pthread_mutex_unlock(&init_lock);
}

const char *vg__ts_find(const char *p, const char *end, const char *lit)
{
    size_t n = strlen(lit);
    if (p >= end || (size_t)(end - p) < n) return NULL;
    return memmem(p, (size_t)(end - p), lit, n);
}

const char *vg__ts_rfind(const char *p, const char *end, const char *lit)
{
    size_t n = strlen(lit);
    if (p >= end || (size_t)(end - p) < n) return NULL;
    for (const char *q = end - n; q >= p; q--) {
        if (*q == lit[0] && memcmp(q, lit, n) == 0) return q;
        if (q == p) break;
    }
    return NULL;
}

bool vg__ts_is_ip(const char *p, size_t n)
{
    uint8_t a[16];
    return n > 0 && n < 64 && vg_ip_parse(p, n, a) != 0;
}

int vg__ts_add_ip_or(struct vg_event *ev, uint32_t ecs_fid, uint32_t alt_fid, const char *s, size_t n)
{
    if (n == 0) return 0;
    if (vg__ts_is_ip(s, n)) return vg_event_add_ip(ev, ecs_fid, VG_FF_ECS, s, n);
    if (alt_fid != UINT32_MAX) return vg_event_add_str(ev, alt_fid, VG_FF_ECS, s, n);
    return 0;
}

int vg__ts_add_int(struct vg_event *ev, uint32_t fid, uint32_t flags, const char *s, size_t n)
{
    int64_t v;
    if (n == 0 || vg_parse_i64(s, n, &v) != 0) return 0;
    return vg_event_add_int(ev, fid, flags, v);
}

int vg__ts_add_once(struct vg_event *ev, uint32_t fid, uint32_t flags, const char *s, size_t n)
{
    if (vg_event_get(ev, fid)) return 0;
    return vg_event_add_str(ev, fid, flags, s, n);
}

int vg__ts_action(struct vg_event *ev, const char *action, const char *category, const char *outcome)
{
    int rc = 0;
    if (action && !vg_event_get(ev, VG_FID_EVENT_ACTION))
        rc = vg_event_add_str(ev, VG_FID_EVENT_ACTION, VG_FF_ECS, action, strlen(action));
    if (rc == 0 && category && !vg_event_get(ev, VG_FID_EVENT_CATEGORY))
        rc = vg_event_add_str(ev, VG_FID_EVENT_CATEGORY, VG_FF_ECS, category, strlen(category));
    if (rc == 0 && outcome && !vg_event_get(ev, VG_FID_EVENT_OUTCOME))
        rc = vg_event_add_str(ev, VG_FID_EVENT_OUTCOME, VG_FF_ECS, outcome, strlen(outcome));
    return rc;
}

bool vg__ts_kv_next(const char **pp, const char *end, char sep, struct vg__kv *kv)
{
    const char *p = *pp;
    while (p < end && (*p == ' ' || *p == '\t' || *p == sep || *p == 0x1d)) p++;
    if (p >= end) { *pp = p; return false; }
    memset(kv, 0, sizeof *kv);
    kv->k = p;
    while (p < end && *p != '=' && *p != ' ' && *p != '\t' && *p != sep && *p != 0x1d) p++;
    kv->klen = (size_t)(p - kv->k);
    if (p < end && *p == '=') {
        kv->has_eq = true;
        p++;
        if (p < end && (*p == '"' || *p == '\'')) {
            char q = *p++;
            kv->quote = q;
            kv->v = p;
            const char *c = memchr(p, q, (size_t)(end - p));
            if (!c) c = end;
            kv->vlen = (size_t)(c - p);
            p = c < end ? c + 1 : end;
        } else {
            kv->v = p;
            while (p < end && *p != ' ' && *p != '\t' && *p != sep && *p != 0x1d) p++;
            kv->vlen = (size_t)(p - kv->v);
        }
    } else if (kv->klen == 0) {
        /* a lone '=' or separator run: skip one byte so we always advance */
        p++;
    }
    *pp = p;
    return true;
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

const char *vg__ts_unescape(struct vg_event *ev, const char *s, size_t n, size_t *out_n)
{
    if (!memchr(s, '\\', n)) { *out_n = n; return s; }
    char *d = vg_arena_alloc(ev->arena, n + 1);
    if (!d) return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\' && i + 1 < n) {
            char c = s[i + 1];
            if (c == 'x' && i + 3 < n && hexval((unsigned char)s[i + 2]) >= 0 && hexval((unsigned char)s[i + 3]) >= 0) {
                d[o++] = (char)(hexval((unsigned char)s[i + 2]) * 16 + hexval((unsigned char)s[i + 3]));
                i += 3;
                continue;
            }
            if (c == '"' || c == '\\' || c == ']' || c == '\'') { d[o++] = c; i++; continue; }
        }
        d[o++] = s[i];
    }
    d[o] = 0;
    *out_n = o;
    return d;
}

bool vg__ts_is_hex(const char *s, size_t n)
{
    if (n == 0 || n % 2) return false;
    for (size_t i = 0; i < n; i++)
        if (hexval((unsigned char)s[i]) < 0) return false;
    return true;
}

const char *vg__ts_hexdecode(struct vg_event *ev, const char *s, size_t n, size_t *out_n)
{
    if (!vg__ts_is_hex(s, n)) return NULL;
    size_t m = n / 2;
    char *d = vg_arena_alloc(ev->arena, m + 1);
    if (!d) return NULL;
    for (size_t i = 0; i < m; i++) {
        char c = (char)(hexval((unsigned char)s[2 * i]) * 16 + hexval((unsigned char)s[2 * i + 1]));
        d[i] = c == 0 ? ' ' : c;
    }
    while (m > 0 && d[m - 1] == ' ') m--; /* trailing NUL of the last argv */
    d[m] = 0;
    *out_n = m;
    return d;
}

int vg__ts_parse_iso(const char *s, size_t n, int64_t *ns)
{
    int y = 0;
    if (n < 4) return VG_EPARSE;
    for (int i = 0; i < 4; i++) {
        if (s[i] < '0' || s[i] > '9') return VG_EPARSE;
        y = y * 10 + (s[i] - '0');
    }
    if (y < VG_TS_YEAR_MIN || y > VG_TS_YEAR_MAX) return VG_EPARSE;
    return vg_time_parse_iso(s, n, ns);
}

int vg__ts_month(const char *p)
{
    static const char names[] = "janfebmaraprmayjunjulaugsepoctnovdec";
    char a = (char)(p[0] | 0x20), b = (char)(p[1] | 0x20), c = (char)(p[2] | 0x20);
    for (int i = 0; i < 12; i++)
        if (names[3 * i] == a && names[3 * i + 1] == b && names[3 * i + 2] == c) return i + 1;
    return 0;
}

static bool dig(const char *p, size_t n, int *v)
{
    int x = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') return false;
        x = x * 10 + (p[i] - '0');
    }
    *v = x;
    return true;
}

int vg__ts_parse_clf_time(const char *p, size_t n, int64_t *ns)
{
    /* d/Mon/yyyy:hh:mm:ss +zzzz (day may have one digit) */
    size_t i = 0;
    int d, y, h, mi, s, mon;
    size_t dl = (n > 1 && p[1] == '/') ? 1 : 2;
    if (n < dl + 1 + 3 + 1 + 4 + 9 || !dig(p, dl, &d)) return VG_EPARSE;
    i = dl;
    if (p[i++] != '/') return VG_EPARSE;
    mon = vg__ts_month(p + i);
    i += 3;
    if (!mon || p[i++] != '/' || !dig(p + i, 4, &y)) return VG_EPARSE;
    i += 4;
    if (p[i] != ':' || !dig(p + i + 1, 2, &h) || p[i + 3] != ':' || !dig(p + i + 4, 2, &mi) || p[i + 6] != ':' ||
        !dig(p + i + 7, 2, &s))
        return VG_EPARSE;
    i += 9;
    if (d < 1 || d > 31 || h > 23 || mi > 59 || s > 60 || y < VG_TS_YEAR_MIN || y > VG_TS_YEAR_MAX) return VG_EPARSE;
    int64_t t = vg_time_from_civil(y, mon, d, h, mi, s);
    if (i + 6 <= n && p[i] == ' ' && (p[i + 1] == '+' || p[i + 1] == '-')) {
        int zh, zm;
        if (!dig(p + i + 2, 2, &zh) || !dig(p + i + 4, 2, &zm) || zh > 23 || zm > 59) return VG_EPARSE;
        int64_t off = ((int64_t)zh * 3600 + zm * 60) * 1000000000LL;
        t += p[i + 1] == '-' ? off : -off;
    }
    *ns = t;
    return 0;
}

static const char *const fac_names[24] = {
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp",
    "ntp", "security", "console", "solaris-cron", "local0", "local1", "local2", "local3", "local4", "local5",
    "local6", "local7"};
static const char *const sev_names[8] = {"emergency", "alert", "critical", "error",
                                         "warning", "notice", "informational", "debug"};
static const char *const pri_fnames[] = {"log.syslog.facility.name", "log.syslog.severity.name"};
static uint32_t pri_fids[VG_ARRAY_LEN(pri_fnames)];
static struct vg__fidtab pri_tab = VG_FIDTAB(pri_fnames, pri_fids);

int vg__ts_add_pri(struct vg_event *ev, int pri)
{
    if (pri < 0 || pri > 191) return 0;
    ts_fids(&pri_tab);
    int fac = pri >> 3, sev = pri & 7;
    int rc = vg_event_add_int(ev, VG_FID_LOG_SYSLOG_PRIORITY, VG_FF_ECS, pri);
    if (!rc) rc = vg_event_add_int(ev, VG_FID_LOG_SYSLOG_FACILITY_CODE, VG_FF_ECS, fac);
    if (!rc) rc = vg_event_add_int(ev, VG_FID_LOG_SYSLOG_SEVERITY_CODE, VG_FF_ECS, sev);
    if (!rc) rc = vg_event_add_str(ev, pri_fids[0], VG_FF_ECS, fac_names[fac], strlen(fac_names[fac]));
    if (!rc) rc = vg_event_add_str(ev, pri_fids[1], VG_FF_ECS, sev_names[sev], strlen(sev_names[sev]));
    return rc;
}

int vg__ts_add_program(struct vg_event *ev, const char *s, size_t n)
{
    const char *slash = n ? memrchr(s, '/', n) : NULL;
    int rc = 0;
    if (slash && slash + 1 < s + n) {
        rc = vg_event_add_str(ev, VG_FID_PROCESS_EXECUTABLE, VG_FF_ECS, s, n);
        n -= (size_t)(slash + 1 - s);
        s = slash + 1;
    }
    if (!rc) rc = vg_event_add_str(ev, VG_FID_PROCESS_NAME, VG_FF_ECS, s, n);
    return rc;
}
