/* Time helpers in UTC without libc time-zone state: civil-date arithmetic
 * (Howard Hinnant's days-from-civil algorithm), RFC 3339 parsing and
 * formatting, durations. */
#include "vigil/core.h"
#include <ctype.h>

int64_t vg_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t vg_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

int64_t vg_time_from_civil(int y, int mon, int d, int h, int mi, int s)
{
    int64_t days = days_from_civil(y, (unsigned)mon, (unsigned)d);
    return ((days * 86400) + h * 3600 + mi * 60 + s) * 1000000000LL;
}

void vg_time_to_tm(int64_t ns, struct vg_tm *tm)
{
    int64_t secs = ns / 1000000000LL;
    if (ns % 1000000000LL < 0) secs--;
    int64_t z = secs / 86400;
    int64_t rem = secs % 86400;
    if (rem < 0) { rem += 86400; z--; }
    tm->hour = (int)(rem / 3600);
    tm->min = (int)(rem % 3600 / 60);
    tm->sec = (int)(rem % 60);
    tm->wday = (int)((z % 7 + 11) % 7); /* 1970-01-01 was a Thursday (4) */
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = (int64_t)yoe + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    tm->year = (int)y;
    tm->mon = (int)m;
    tm->day = (int)d;
    tm->yday = (int)(days_from_civil(y, m, d) - days_from_civil(y, 1, 1));
}

size_t vg_time_format(int64_t ns, char *buf, size_t bufsz, int frac_digits)
{
    struct vg_tm tm;
    vg_time_to_tm(ns, &tm);
    int64_t frac = ns % 1000000000LL;
    if (frac < 0) frac += 1000000000LL;
    int n;
    if (frac_digits <= 0) {
        n = snprintf(buf, bufsz, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.year, tm.mon, tm.day, tm.hour, tm.min, tm.sec);
    } else {
        if (frac_digits > 9) frac_digits = 9;
        int64_t div = 1;
        for (int i = frac_digits; i < 9; i++) div *= 10;
        n = snprintf(buf, bufsz, "%04d-%02d-%02dT%02d:%02d:%02d.%0*lldZ", tm.year, tm.mon, tm.day, tm.hour,
                     tm.min, tm.sec, frac_digits, (long long)(frac / div));
    }
    return n < 0 ? 0 : (size_t)n;
}

static int digits(const char *s, size_t n, size_t *pos, int count, int *out)
{
    int v = 0;
    for (int i = 0; i < count; i++) {
        if (*pos >= n || !isdigit((unsigned char)s[*pos])) return -1;
        v = v * 10 + (s[(*pos)++] - '0');
    }
    *out = v;
    return 0;
}

int vg_time_parse_iso(const char *s, size_t n, int64_t *ns)
{
    size_t p = 0;
    int y, mo, d, h = 0, mi = 0, sec = 0;
    if (digits(s, n, &p, 4, &y) || p >= n || s[p++] != '-' || digits(s, n, &p, 2, &mo) || p >= n ||
        s[p++] != '-' || digits(s, n, &p, 2, &d))
        return VG_EPARSE;
    if (mo < 1 || mo > 12 || d < 1 || d > 31) return VG_EPARSE;
    int64_t frac = 0;
    if (p < n && (s[p] == 'T' || s[p] == 't' || s[p] == ' ')) {
        p++;
        if (digits(s, n, &p, 2, &h) || p >= n || s[p++] != ':' || digits(s, n, &p, 2, &mi)) return VG_EPARSE;
        if (p < n && s[p] == ':') {
            p++;
            if (digits(s, n, &p, 2, &sec)) return VG_EPARSE;
        }
        if (p < n && (s[p] == '.' || s[p] == ',')) {
            p++;
            int nd = 0;
            while (p < n && isdigit((unsigned char)s[p])) {
                if (nd < 9) { frac = frac * 10 + (s[p] - '0'); nd++; }
                p++;
            }
            if (nd == 0) return VG_EPARSE;
            for (; nd < 9; nd++) frac *= 10;
        }
    }
    if (h > 23 || mi > 59 || sec > 60) return VG_EPARSE;
    /* int64 nanoseconds since 1970 cover 1677-09-21 .. 2262-04-11 */
    if (y < 1678 || y > 2261) return VG_EPARSE;
    int64_t off = 0;
    if (p < n) {
        if (s[p] == 'Z' || s[p] == 'z') p++;
        else if (s[p] == '+' || s[p] == '-') {
            int sign = s[p++] == '-' ? -1 : 1, oh, om = 0;
            if (digits(s, n, &p, 2, &oh)) return VG_EPARSE;
            if (p < n && s[p] == ':') p++;
            if (p < n && isdigit((unsigned char)s[p]) && digits(s, n, &p, 2, &om)) return VG_EPARSE;
            if (oh > 23 || om > 59) return VG_EPARSE;
            off = sign * ((int64_t)oh * 3600 + om * 60) * 1000000000LL;
        }
    }
    if (p != n) return VG_EPARSE;
    *ns = vg_time_from_civil(y, mo, d, h, mi, sec) + frac - off;
    return 0;
}

int vg_duration_parse(const char *s, int64_t *ns)
{
    if (!s || !*s) return VG_EPARSE;
    int64_t total = 0;
    const char *p = s;
    while (*p) {
        if (!isdigit((unsigned char)*p)) return VG_EPARSE;
        int64_t v = 0;
        while (isdigit((unsigned char)*p)) {
            if (v > 100000000) return VG_EPARSE;
            v = v * 10 + (*p++ - '0');
        }
        int64_t unit;
        if (p[0] == 'm' && p[1] == 's') { unit = 1000000LL; p += 2; }
        else {
            switch (*p) {
            case 's': unit = 1000000000LL; break;
            case 'm': unit = 60LL * 1000000000LL; break;
            case 'h': unit = 3600LL * 1000000000LL; break;
            case 'd': unit = 86400LL * 1000000000LL; break;
            case 'w': unit = 7 * 86400LL * 1000000000LL; break;
            default: return VG_EPARSE;
            }
            p++;
        }
        total += v * unit;
    }
    *ns = total;
    return 0;
}
