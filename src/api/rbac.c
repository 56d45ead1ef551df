/* Role-based access (DESIGN §9): role names to bits. A route's roles mask
 * (routes.def) lists who may call it. Roles: admin (everything), analyst
 * (hunt and ingest), responder and viewer (read only), and ingest (log
 * shippers: may only POST /api/v1/ingest, reads nothing). */
#include "internal.h"

unsigned vg__api_role_bit(const char *name)
{
    static const struct { const char *name; unsigned bit; } roles[] = {
        {"admin", VG__ROLE_ADMIN},     {"analyst", VG__ROLE_ANALYST}, {"responder", VG__ROLE_RESPONDER},
        {"viewer", VG__ROLE_VIEWER},   {"ingest", VG__ROLE_INGEST},
    };
    if (!name) return 0;
    for (size_t i = 0; i < VG_ARRAY_LEN(roles); i++)
        if (strcmp(roles[i].name, name) == 0) return roles[i].bit;
    return 0;
}
