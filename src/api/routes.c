/* The route table built from routes.def and path lookup with 405
 * detection. A path segment written "{name}" in routes.def matches one
 * non-empty segment of the request path (vg__api_route_match copies it
 * out, percent-decoded); every other character matches exactly. A dozen
 * routes: a linear scan is simpler than a trie and fast enough (measured
 * cost is noise next to one MHD request). */
#include "internal.h"

const struct vg__api_route vg__api_routes[] = {
#define R(m, p, h, role) {.method = #m, .path = p, .fn = h, .roles = role},
#include "routes.def"
#undef R
};
const size_t vg__api_nroutes = VG_ARRAY_LEN(vg__api_routes);

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

bool vg__api_route_match(const char *pattern, const char *path, char *arg, size_t argsz)
{
    const char *p = pattern, *u = path;
    if (arg && argsz) arg[0] = 0;
    while (*p) {
        if (*p == '{') {
            const char *close = strchr(p, '}');
            if (!close) return false;
            const char *seg = u;
            while (*u && *u != '/') u++;
            if (u == seg) return false;
            if (arg && argsz) { /* percent-decoded; NUL, '/' and control bytes refused */
                size_t n = 0;
                for (const char *q = seg; q < u; q++) {
                    int c = (unsigned char)*q;
                    if (c == '%') {
                        int h = q + 2 < u ? hexval(q[1]) : -1, l = q + 2 < u ? hexval(q[2]) : -1;
                        if (h < 0 || l < 0) return false;
                        c = h * 16 + l;
                        q += 2;
                    }
                    if (c < 0x20 || c == 0x7f || c == '/' || n + 1 >= argsz) return false;
                    arg[n++] = (char)c;
                }
                arg[n] = 0;
            }
            p = close + 1;
            continue;
        }
        if (*p != *u) return false;
        p++;
        u++;
    }
    return *u == 0;
}

int vg__api_route_find(const char *method, const char *path, char *allow, size_t allowsz)
{
    int found_path = 0;
    size_t used = 0;
    if (allow && allowsz) allow[0] = 0;
    if (!method || !path) return -1;
    for (size_t i = 0; i < vg__api_nroutes; i++) {
        if (!vg__api_route_match(vg__api_routes[i].path, path, NULL, 0)) continue;
        if (strcmp(vg__api_routes[i].method, method) == 0) return (int)i;
        /* HEAD is served by MHD from the GET handler. */
        if (strcmp(method, "HEAD") == 0 && strcmp(vg__api_routes[i].method, "GET") == 0) return (int)i;
        found_path = 1;
        if (allow && allowsz > used) {
            int w = snprintf(allow + used, allowsz - used, "%s%s", used ? ", " : "", vg__api_routes[i].method);
            if (w > 0) used += (size_t)w < allowsz - used ? (size_t)w : allowsz - used - 1;
        }
    }
    return found_path ? -2 : -1;
}
