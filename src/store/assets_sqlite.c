/* Asset storage for the SQLite backend (migration 005_assets): the current
 * inventory snapshot of each (tenant, host), the history of inventory
 * change records, the latest posture result per policy and the latest
 * vulnerability findings, plus the score of every hardening scan
 * (asset_posture_history, migration 010: the trend). JSON is stored as text; os/kernel/package count
 * and each change's action/subject are pulled out with SQLite's json1
 * functions, so this layer needs no JSON library. */
#include "internal.h"

#define ASSET_MAX_JSON (64u << 20)
#define ASSET_MAX_NAME 255u
#define POSTURE_TREND_KEEP 1000   /* scans kept per (host, policy) */
#define POSTURE_TREND_SHOW 30     /* scans returned by asset_get_posture */

static int check_names(const char *tenant, const char *host, struct vg_err *err)
{
    if (!tenant || !*tenant || strlen(tenant) > VG__TENANT_MAX) return vg_err_set(err, VG_EINVAL, "bad tenant");
    if (!host || !*host || strlen(host) > ASSET_MAX_NAME) return vg_err_set(err, VG_EINVAL, "bad host name");
    return 0;
}

static int prep(struct vg__sq *s, sqlite3_stmt **st, const char *sql, struct vg_err *err)
{
    int rc = sqlite3_prepare_v2(s->db, sql, -1, st, NULL);
    return rc == SQLITE_OK ? 0 : vg__sq_err(s, rc, err, "prepare");
}

static int run1(struct vg__sq *s, sqlite3_stmt *st, struct vg_err *err, const char *what)
{
    int step = sqlite3_step(st);
    int rc = step == SQLITE_DONE || step == SQLITE_ROW ? 0 : vg__sq_err(s, step, err, what);
    sqlite3_finalize(st);
    return rc;
}

/* Creates the asset row when a posture or vulnerability report comes first. */
static int touch(struct vg__sq *s, const char *tenant, const char *host, int64_t ts, struct vg_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, &st, "INSERT INTO assets(tenant, host, first_seen, last_seen) VALUES (?1, ?2, ?3, ?3) "
                          "ON CONFLICT(tenant, host) DO UPDATE SET last_seen = max(last_seen, excluded.last_seen)", err);
    if (rc) return rc;
    sqlite3_bind_text(st, 1, tenant, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, host, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, ts);
    return run1(s, st, err, "asset touch");
}

int vg__asset_put_inventory(struct vg_store *base, const char *tenant, const char *host, const char *snap,
                            const char *changes, int64_t ts, struct vg_err *err)
{
    struct vg__sq *s = (struct vg__sq *)base;
    int rc = check_names(tenant, host, err);
    if (rc) return rc;
    if (!snap && !changes) return vg_err_set(err, VG_EINVAL, "neither a snapshot nor changes");
    if (snap && strlen(snap) > ASSET_MAX_JSON) return vg_err_set(err, VG_ETOOBIG, "snapshot too large");
    if (changes && strlen(changes) > ASSET_MAX_JSON) return vg_err_set(err, VG_ETOOBIG, "changes too large");
    if (!ts) ts = vg_now_ns();
    sqlite3_stmt *st = NULL;
    if ((rc = vg__sq_exec(s, "BEGIN IMMEDIATE", err))) return rc;
    /* json_valid guards both documents: bad JSON is an input error, not a db error */
    if ((rc = prep(s, &st, "SELECT (?1 IS NULL OR (json_valid(?1) AND json_type(?1) = 'object')) AND "
                           "(?2 IS NULL OR (json_valid(?2) AND json_type(?2) = 'array'))", err)))
        goto out;
    sqlite3_bind_text(st, 1, snap, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, changes, -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    bool ok = step == SQLITE_ROW && sqlite3_column_int(st, 0) == 1;
    sqlite3_finalize(st);
    if (!ok) {
        rc = vg_err_set(err, VG_EINVAL, "inventory snapshot must be a JSON object and changes a JSON array");
        goto out;
    }
    /* A report replayed after a server crash (same host, same ts) appends
     * its changes once: the history already holds rows of that instant. */
    bool replay = false;
    if (changes) {
        if ((rc = prep(s, &st, "SELECT 1 FROM asset_changes WHERE tenant = ?1 AND host = ?2 AND ts = ?3 LIMIT 1", err)))
            goto out;
        sqlite3_bind_text(st, 1, tenant, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, host, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, ts);
        replay = sqlite3_step(st) == SQLITE_ROW;
        sqlite3_finalize(st);
    }
    if (!snap) {
        if ((rc = touch(s, tenant, host, ts, err))) goto out;
    } else if ((rc = prep(s, &st,
                   "INSERT INTO assets(tenant, host, first_seen, last_seen, os, kernel, packages, inventory_ts, inventory) "
                   "VALUES (?1, ?2, ?3, ?3, coalesce(json_extract(?4, '$.os.os_pretty'), ''), "
                   "coalesce(json_extract(?4, '$.os.kernel_release'), ''), "
                   "coalesce(json_extract(?4, '$.packages_known'), 0), ?3, ?4) "
                   "ON CONFLICT(tenant, host) DO UPDATE SET last_seen = max(last_seen, excluded.last_seen), "
                   "os = excluded.os, kernel = excluded.kernel, packages = excluded.packages, "
                   "inventory_ts = excluded.inventory_ts, inventory = excluded.inventory",
                   err)))
        goto out;
    sqlite3_bind_text(st, 1, tenant, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, host, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, ts);
    sqlite3_bind_text(st, 4, snap, -1, SQLITE_STATIC);
    if (snap && (rc = run1(s, st, err, "asset upsert"))) goto out;
    if (changes && !replay) {
        if ((rc = prep(s, &st,
                       "INSERT INTO asset_changes(tenant, host, ts, action, subject, change) "
                       "SELECT ?1, ?2, ?3, coalesce(json_extract(value, '$.event.action'), ''), "
                       "coalesce(json_extract(value, '$.\"vigil.inventory.subject\"'), json_extract(value, '$.file.path'), "
                       "json_extract(value, '$.\"file.path\"'), ''), value "
                       "FROM json_each(?4) WHERE json_type(value) = 'object'",
                       err)))
            goto out;
        sqlite3_bind_text(st, 1, tenant, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, host, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, ts);
        sqlite3_bind_text(st, 4, changes, -1, SQLITE_STATIC);
        if ((rc = run1(s, st, err, "asset changes"))) goto out;
    }
    rc = vg__sq_exec(s, "COMMIT", err);
out:
    if (rc) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

static const char info_cols[] =
    "SELECT a.tenant, a.host, a.first_seen, max(a.last_seen, coalesce((SELECT max(g.last_seen_ns) FROM agents g "
    "WHERE g.tenant = a.tenant AND g.name = a.host), 0)), a.inventory_ts, a.criticality, a.os, a.kernel, a.packages, "
    "(SELECT count(*) FROM asset_changes c WHERE c.tenant = a.tenant AND c.host = a.host), "
    "coalesce((SELECT p.score FROM asset_posture p WHERE p.tenant = a.tenant AND p.host = a.host ORDER BY p.ts DESC "
    "LIMIT 1), -1), "
    "coalesce((SELECT v.count FROM asset_vulns v WHERE v.tenant = a.tenant AND v.host = a.host), -1) "
    "FROM assets a ";

static void col_text(sqlite3_stmt *st, int i, char *buf, size_t n)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    snprintf(buf, n, "%s", t ? (const char *)t : "");
}

static void row_info(sqlite3_stmt *st, struct vg_asset_info *a)
{
    memset(a, 0, sizeof *a);
    col_text(st, 0, a->tenant, sizeof a->tenant);
    col_text(st, 1, a->host, sizeof a->host);
    a->first_seen = sqlite3_column_int64(st, 2);
    a->last_seen = sqlite3_column_int64(st, 3);
    a->inventory_ts = sqlite3_column_int64(st, 4);
    col_text(st, 5, a->criticality, sizeof a->criticality);
    col_text(st, 6, a->os, sizeof a->os);
    col_text(st, 7, a->kernel, sizeof a->kernel);
    a->packages = sqlite3_column_int64(st, 8);
    a->changes = sqlite3_column_int64(st, 9);
    a->score = sqlite3_column_double(st, 10);
    a->vulns = sqlite3_column_int64(st, 11);
}

int vg__asset_list(struct vg_store *base, const char *tenant, struct vg_asset_info **out, size_t *n, struct vg_err *err)
{
    struct vg__sq *s = (struct vg__sq *)base;
    *out = NULL;
    *n = 0;
    char sql[1024];
    snprintf(sql, sizeof sql, "%s WHERE ?1 IS NULL OR a.tenant = ?1 ORDER BY a.tenant, a.host LIMIT 100000", info_cols);
    sqlite3_stmt *st = NULL;
    int rc = prep(s, &st, sql, err);
    if (rc) return rc;
    sqlite3_bind_text(st, 1, tenant, -1, SQLITE_STATIC);
    size_t cap = 0;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            void *na = vg_realloc(*out, nc * sizeof **out);
            if (!na) {
                rc = vg_err_set(err, VG_ENOMEM, "out of memory");
                break;
            }
            *out = na;
            cap = nc;
        }
        row_info(st, &(*out)[(*n)++]);
    }
    if (!rc && step != SQLITE_DONE) rc = vg__sq_err(s, step, err, "asset list");
    sqlite3_finalize(st);
    if (rc) {
        vg_free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

static int dup_col(sqlite3_stmt *st, int i, char **out, struct vg_err *err)
{
    const char *t = (const char *)sqlite3_column_text(st, i);
    *out = vg_strndup(t ? t : "", t ? (size_t)sqlite3_column_bytes(st, i) : 0);
    return *out ? 0 : vg_err_set(err, VG_ENOMEM, "out of memory");
}

int vg__asset_get(struct vg_store *base, const char *tenant, const char *host, struct vg_asset_info *info,
                  char **snap, char **changes, size_t max_changes, struct vg_err *err)
{
    struct vg__sq *s = (struct vg__sq *)base;
    if (snap) *snap = NULL;
    if (changes) *changes = NULL;
    int rc = check_names(tenant, host, err);
    if (rc) return rc;
    char sql[1200];
    snprintf(sql, sizeof sql, "%s WHERE a.tenant = ?1 AND a.host = ?2", info_cols);
    sqlite3_stmt *st = NULL;
    if ((rc = prep(s, &st, sql, err))) return rc;
    sqlite3_bind_text(st, 1, tenant, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, host, -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        if (info) row_info(st, info);
    } else {
        rc = step == SQLITE_DONE ? vg_err_set(err, VG_ENOENT, "no asset '%s' in tenant '%s'", host, tenant)
                                 : vg__sq_err(s, step, err, "asset get");
    }
    sqlite3_finalize(st);
    if (rc) return rc;
    if (snap) {
        if ((rc = prep(s, &st, "SELECT coalesce(inventory, '') FROM assets WHERE tenant = ?1 AND host = ?2", err)))
            goto out;
        sqlite3_bind_text(st, 1, tenant, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, host, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW) rc = dup_col(st, 0, snap, err);
        sqlite3_finalize(st);
        if (rc) goto out;
    }
    if (changes) {
        /* the newest max_changes, as one JSON array (oldest first) */
        if ((rc = prep(s, &st,
                       "SELECT coalesce(json_group_array(json_object('ts', ts, 'change', json(change))), '[]') FROM "
                       "(SELECT ts, change, id FROM asset_changes WHERE tenant = ?1 AND host = ?2 "
                       "ORDER BY id DESC LIMIT ?3) ORDER BY id",
                       err)))
            goto out;
        sqlite3_bind_text(st, 1, tenant, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, host, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, (int64_t)(max_changes ? max_changes : 100));
        step = sqlite3_step(st);
        if (step == SQLITE_ROW) rc = dup_col(st, 0, changes, err);
        else rc = vg__sq_err(s, step, err, "asset changes");
        sqlite3_finalize(st);
    }
out:
    if (rc) {
        if (snap) {
            vg_free(*snap);
            *snap = NULL;
        }
        if (changes) {
            vg_free(*changes);
            *changes = NULL;
        }
    }
    return rc;
}

/* Binds ?1..?6 = tenant, host, policy, ts, score (NULL when < 0), report
 * for the posture insert and its history row. */
static void bind_posture(sqlite3_stmt *st, const char *tenant, const char *host, const char *policy, int64_t ts,
                         double score, const char *report)
{
    sqlite3_bind_text(st, 1, tenant, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, host, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, policy, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, ts);
    if (score < 0) sqlite3_bind_null(st, 5);
    else sqlite3_bind_double(st, 5, score);
    sqlite3_bind_text(st, 6, report, -1, SQLITE_STATIC);
}

int vg__asset_put_posture(struct vg_store *base, const char *tenant, const char *host, const char *policy, double score,
                          const char *report, int64_t ts, struct vg_err *err)
{
    struct vg__sq *s = (struct vg__sq *)base;
    int rc = check_names(tenant, host, err);
    if (rc) return rc;
    if (!policy || !*policy || strlen(policy) > ASSET_MAX_NAME || !report || strlen(report) > ASSET_MAX_JSON)
        return vg_err_set(err, VG_EINVAL, "bad policy id or report");
    if (!ts) ts = vg_now_ns();
    if ((rc = vg__sq_exec(s, "BEGIN IMMEDIATE", err))) return rc;
    sqlite3_stmt *st = NULL;
    if ((rc = touch(s, tenant, host, ts, err))) goto out;
    if ((rc = prep(s, &st, "INSERT OR REPLACE INTO asset_posture(tenant, host, policy, ts, score, report) "
                           "SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE json_valid(?6)", err)))
        goto out;
    bind_posture(st, tenant, host, policy, ts, score, report);
    if ((rc = run1(s, st, err, "posture put"))) goto out;
    if (sqlite3_changes(s->db) != 1) {
        rc = vg_err_set(err, VG_EINVAL, "posture report is not valid JSON");
        goto out;
    }
    /* the trend: one row per scan (a replay of the same scan is kept once) */
    if ((rc = prep(s, &st, "INSERT OR IGNORE INTO asset_posture_history(tenant, host, policy, ts, score, pass, fail) "
                           "VALUES (?1, ?2, ?3, ?4, ?5, coalesce(json_extract(?6, '$.pass'), 0), "
                           "coalesce(json_extract(?6, '$.fail'), 0))", err)))
        goto out;
    bind_posture(st, tenant, host, policy, ts, score, report);
    if ((rc = run1(s, st, err, "posture history"))) goto out;
    /* bounded: the newest POSTURE_TREND_KEEP scans per policy */
    if ((rc = prep(s, &st, "DELETE FROM asset_posture_history WHERE tenant = ?1 AND host = ?2 AND policy = ?3 AND ts < "
                           "coalesce((SELECT ts FROM asset_posture_history WHERE tenant = ?1 AND host = ?2 AND "
                           "policy = ?3 ORDER BY ts DESC LIMIT 1 OFFSET ?4), 0)", err)))
        goto out;
    sqlite3_bind_text(st, 1, tenant, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, host, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, policy, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, POSTURE_TREND_KEEP - 1);
    if ((rc = run1(s, st, err, "posture history cap"))) goto out;
    rc = vg__sq_exec(s, "COMMIT", err);
out:
    if (rc) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

int vg__asset_put_vulns(struct vg_store *base, const char *tenant, const char *host, size_t count, const char *findings,
                        int64_t ts, struct vg_err *err)
{
    struct vg__sq *s = (struct vg__sq *)base;
    int rc = check_names(tenant, host, err);
    if (rc) return rc;
    if (!findings || strlen(findings) > ASSET_MAX_JSON) return vg_err_set(err, VG_EINVAL, "bad findings");
    if (!ts) ts = vg_now_ns();
    if ((rc = vg__sq_exec(s, "BEGIN IMMEDIATE", err))) return rc;
    sqlite3_stmt *st = NULL;
    if ((rc = touch(s, tenant, host, ts, err))) goto out;
    if ((rc = prep(s, &st, "INSERT OR REPLACE INTO asset_vulns(tenant, host, ts, count, findings) "
                           "SELECT ?1, ?2, ?3, ?4, ?5 WHERE json_valid(?5)", err)))
        goto out;
    sqlite3_bind_text(st, 1, tenant, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, host, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, ts);
    sqlite3_bind_int64(st, 4, (int64_t)count);
    sqlite3_bind_text(st, 5, findings, -1, SQLITE_STATIC);
    if ((rc = run1(s, st, err, "vulns put"))) goto out;
    if (sqlite3_changes(s->db) != 1) {
        rc = vg_err_set(err, VG_EINVAL, "findings are not valid JSON");
        goto out;
    }
    rc = vg__sq_exec(s, "COMMIT", err);
out:
    if (rc) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

int vg__asset_get_posture(struct vg_store *base, const char *tenant, const char *host, char **posture, char **vulns,
                          struct vg_err *err)
{
    struct vg__sq *s = (struct vg__sq *)base;
    *posture = *vulns = NULL;
    int rc = check_names(tenant, host, err);
    if (rc) return rc;
    sqlite3_stmt *st = NULL;
    /* every policy's latest result, as a JSON array */
    if ((rc = prep(s, &st,
                   "SELECT coalesce(json_group_array(json_object('policy', p.policy, 'ts', p.ts, 'score', p.score, "
                   "'report', json(p.report), 'trend', json((SELECT coalesce(json_group_array(json_object('ts', t.ts, "
                   "'score', t.score, 'pass', t.pass, 'fail', t.fail)), '[]') FROM (SELECT ts, score, pass, fail "
                   "FROM asset_posture_history h WHERE h.tenant = p.tenant AND h.host = p.host AND h.policy = p.policy "
                   "ORDER BY ts DESC LIMIT ?3) t)))), '[]') FROM asset_posture p WHERE p.tenant = ?1 AND p.host = ?2",
                   err)))
        return rc;
    sqlite3_bind_text(st, 1, tenant, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, host, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, POSTURE_TREND_SHOW);
    int step = sqlite3_step(st);
    rc = step == SQLITE_ROW ? dup_col(st, 0, posture, err) : vg__sq_err(s, step, err, "posture get");
    sqlite3_finalize(st);
    if (rc) return rc;
    if ((rc = prep(s, &st, "SELECT coalesce((SELECT json_object('ts', ts, 'count', count, 'findings', json(findings)) "
                           "FROM asset_vulns WHERE tenant = ?1 AND host = ?2), 'null')", err)))
        goto out;
    sqlite3_bind_text(st, 1, tenant, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, host, -1, SQLITE_STATIC);
    step = sqlite3_step(st);
    rc = step == SQLITE_ROW ? dup_col(st, 0, vulns, err) : vg__sq_err(s, step, err, "vulns get");
    sqlite3_finalize(st);
out:
    if (rc) {
        vg_free(*posture);
        *posture = NULL;
    }
    return rc;
}
