/* The route table built from routes.def and exact-path lookup with 405
 * detection (a path whose last segment is a star matches by prefix). A dozen routes: a linear scan is simpler than a trie and fast
 * enough (measured cost is noise next to one MHD request). */
#include "internal.h"

const struct vg__api_route vg__api_routes[] = {
#define R(m, p, h, role) {.method = #m, .path = p, .fn = h, .roles = role},
#include "routes.def"
#undef R
};
const size_t vg__api_nroutes = VG_ARRAY_LEN(vg__api_routes);

/* Exact match, or for a route path whose last segment is a star, any path with that
 * prefix and something after it (the handler parses the rest, e.g.
 * /api/v1/incidents/{id}/merge). */
static bool path_matches(const char *route, const char *path)
{
    size_t rl = strlen(route);
    if (rl >= 2 && route[rl - 1] == '*' && route[rl - 2] == '/')
        return strncmp(route, path, rl - 1) == 0 && path[rl - 1] != 0;
    return strcmp(route, path) == 0;
}

int vg__api_route_find(const char *method, const char *path, char *allow, size_t allowsz)
{
    int found_path = 0;
    size_t used = 0;
    if (allow && allowsz) allow[0] = 0;
    if (!method || !path) return -1;
    for (size_t i = 0; i < vg__api_nroutes; i++) {
        if (!path_matches(vg__api_routes[i].path, path)) continue;
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
