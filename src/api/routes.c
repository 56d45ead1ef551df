/* The route table built from routes.def and path lookup with 405
 * detection. A route path may hold one "{name}" segment that matches any
 * non-empty path segment (captured for the handler). A few dozen routes: a
 * linear scan is simpler than a trie and fast enough (measured cost is
 * noise next to one MHD request). */
#include "internal.h"

const struct vg__api_route vg__api_routes[] = {
#define R(m, p, h, role) {.method = #m, .path = p, .fn = h, .roles = role},
#include "routes.def"
#undef R
};
const size_t vg__api_nroutes = VG_ARRAY_LEN(vg__api_routes);

/* Does path match the route pattern pat? A "{...}" segment of pat matches
 * one non-empty segment of path, copied to param (when given). */
static bool path_match(const char *pat, const char *path, char *param, size_t paramsz)
{
    while (*pat && *path) {
        if (*pat == '{') {
            const char *pe = strchr(pat, '}');
            if (!pe) return false;
            const char *se = path;
            while (*se && *se != '/') se++;
            if (se == path) return false;
            if (param && paramsz) {
                if ((size_t)(se - path) >= paramsz) return false;
                memcpy(param, path, (size_t)(se - path));
                param[se - path] = 0;
            }
            pat = pe + 1;
            path = se;
            continue;
        }
        if (*pat != *path) return false;
        pat++;
        path++;
    }
    return !*pat && !*path;
}

int vg__api_route_find(const char *method, const char *path, char *allow, size_t allowsz)
{
    return vg__api_route_match(method, path, allow, allowsz, NULL, 0);
}

int vg__api_route_match(const char *method, const char *path, char *allow, size_t allowsz, char *param,
                        size_t paramsz)
{
    int found_path = 0;
    size_t used = 0;
    if (allow && allowsz) allow[0] = 0;
    if (param && paramsz) param[0] = 0;
    if (!method || !path) return -1;
    for (size_t i = 0; i < vg__api_nroutes; i++) {
        if (!path_match(vg__api_routes[i].path, path, param, paramsz)) continue;
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
