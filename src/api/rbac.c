/* Role-based access (DESIGN §9): role names to bits. A route's roles mask
 * (routes.def) lists who may call it. Roles: admin (everything), analyst
 * (hunt and ingest), responder and viewer (read only), and ingest (log
 * shippers: may only POST /api/v1/ingest, reads nothing). The names come
 * from include/vigil/roles.def, shared with the store's token table. */
#include "internal.h"

unsigned vg__api_role_bit(const char *name)
{
    static const struct { const char *name; unsigned bit; } roles[] = {
#define VG_ROLE(up, name, desc) {name, VG__ROLE_##up},
#include "vigil/roles.def"
#undef VG_ROLE
    };
    if (!name) return 0;
    for (size_t i = 0; i < VG_ARRAY_LEN(roles); i++)
        if (strcmp(roles[i].name, name) == 0) return roles[i].bit;
    return 0;
}
