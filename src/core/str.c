/* Small string helpers: checked integer parsing, ASCII case compare, hex. */
#include "vigil/core.h"
#include <limits.h>

int vg_parse_u64(const char *s, size_t n, uint64_t *out)
{
    if (n == 0 || n > 20) return VG_EPARSE;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned)(unsigned char)s[i] - '0';
        if (d > 9) return VG_EPARSE;
        if (v > (UINT64_MAX - d) / 10) return VG_EPARSE;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

int vg_parse_i64(const char *s, size_t n, int64_t *out)
{
    bool neg = false;
    if (n && (s[0] == '-' || s[0] == '+')) { neg = s[0] == '-'; s++; n--; }
    uint64_t v;
    if (vg_parse_u64(s, n, &v)) return VG_EPARSE;
    if (neg) {
        if (v > (uint64_t)INT64_MAX + 1) return VG_EPARSE;
        *out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    } else {
        if (v > INT64_MAX) return VG_EPARSE;
        *out = (int64_t)v;
    }
    return 0;
}

int vg_strncasecmp_ascii(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
        if (x >= 'A' && x <= 'Z') x += 32;
        if (y >= 'A' && y <= 'Z') y += 32;
        if (x != y) return x - y;
    }
    return 0;
}

bool vg_diag_parse_error(const char *buf, size_t len, char *msg, size_t msgsz, int *line, int *col)
{
    const char *e = len > 9 ? memmem(buf, len, ": error: ", 9) : NULL;
    if (!e) return false;
    const char *m = e + 9;
    size_t ml = len - (size_t)(m - buf);
    while (ml && (m[ml - 1] == '\n' || m[ml - 1] == '\r')) ml--;
    snprintf(msg, msgsz, "%.*s", (int)ml, m);
    /* walk back over ":COL" and ":LINE" */
    const char *p = e;
    int nums[2] = {0, 0};
    for (int k = 0; k < 2; k++) {
        const char *q = p;
        while (q > buf && q[-1] >= '0' && q[-1] <= '9') q--;
        int64_t v = 0;
        if (q == p || vg_parse_i64(q, (size_t)(p - q), &v) != 0 || v > 1000000000) break;
        nums[k] = (int)v;
        p = q > buf ? q - 1 : q;
        if (*p != ':') break;
    }
    *col = nums[0];
    *line = nums[1];
    return true;
}

void vg_hex(const uint8_t *in, size_t n, char *out)
{
    static const char h[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = h[in[i] >> 4];
        out[2 * i + 1] = h[in[i] & 15];
    }
    out[2 * n] = 0;
}
