/* The numbered schema migrations, embedded into the binary. Each
 * schema/NNN_name.sql is mirrored here as one string (keep them identical;
 * tests/unit/store checks that every .sql file matches its entry). Applied
 * in order inside one transaction by store_sqlite.c and recorded in the
 * schema_version table. Append only: never edit a released migration. */
#include "../internal.h"

static const char m001_init[] =
#include "001_init.sql.h"
    ;
static const char m002_alerts[] =
#include "002_alerts.sql.h"
    ;
static const char m003_agents[] =
#include "003_agents.sql.h"
    ;
static const char m004_token_roles[] =
#include "004_token_roles.sql.h"
    ;
static const char m005_assets[] =
#include "005_assets.sql.h"
    ;
static const char m010_posture_trend[] =
#include "010_posture_trend.sql.h"
    ;
static const char m013_incidents[] =
#include "013_incidents.sql.h"
    ;
static const char m018_incidents_fast[] =
#include "018_incidents_fast.sql.h"
    ;

static const struct vg__migration migrations[] = {
    {1, "init", m001_init},
    {2, "alerts", m002_alerts},
    {3, "agents", m003_agents},
    {4, "token_roles", m004_token_roles},
    {5, "assets", m005_assets},
    {10, "posture_trend", m010_posture_trend},
    {13, "incidents", m013_incidents},
    {18, "incidents_fast", m018_incidents_fast},
};

const struct vg__migration *vg__store_migrations(size_t *n)
{
    *n = VG_ARRAY_LEN(migrations);
    return migrations;
}
