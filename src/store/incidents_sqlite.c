/* Incidents in the SQLite backend (schema/013_incidents.sql): the rows the
 * respond layer's incident processor (src/respond/case.c) reads and writes
 * - alert rows by seq, by incident and by entity window, incident rows and
 * their entity links, per-hour entity counts for the weak-entity rule,
 * suppressions and asset criticality. The decisions (grouping, risk,
 * priority) are made above, in the respond layer; this file only stores.
 * Statements are prepared once per handle and cached (inc_st). */
#include "internal.h"

enum {
    S_AFTER, S_OF, S_WIN_ALL, S_WIN_HOST, S_WIN_USER, S_WIN_IP, S_SET, S_EFIND, S_BUMP, S_BSUM, S_SCORES,
    S_PUT, S_EDEL, S_EINS, S_GET, S_MOVE_ALL, S_MOVE_ONE, S_SUPADD, S_SUPLIST, S_CRITSET, S_CRITGET, S_CRITASSET,
    S_CRITASSETSET, S_N
};

#define ALERT_COLS                                                                                                     \
    "SELECT id, seq, tenant, rule_id, title, status, host, user_name, source_ip, incident, json, ts, first_ns, last_ns, " \
    "level, risk, count, suppressed, facts FROM alerts "

static const char *const sqls[S_N] = {
    [S_AFTER] = ALERT_COLS "WHERE seq > ?1 ORDER BY seq LIMIT ?2",
    [S_OF] = ALERT_COLS "WHERE tenant = ?1 AND incident = ?2 ORDER BY ts, rowid LIMIT ?3",
    [S_WIN_ALL] = ALERT_COLS "WHERE tenant = ?1 AND last_ns >= ?2 AND suppressed = 0 ORDER BY last_ns DESC LIMIT ?3",
    [S_WIN_HOST] = ALERT_COLS "WHERE tenant = ?1 AND last_ns >= ?2 AND suppressed = 0 AND host = ?4 "
                              "ORDER BY last_ns DESC LIMIT ?3",
    [S_WIN_USER] = ALERT_COLS "WHERE tenant = ?1 AND last_ns >= ?2 AND suppressed = 0 AND user_name = ?4 "
                              "ORDER BY last_ns DESC LIMIT ?3",
    [S_WIN_IP] = ALERT_COLS "WHERE tenant = ?1 AND last_ns >= ?2 AND suppressed = 0 AND source_ip = ?4 "
                            "ORDER BY last_ns DESC LIMIT ?3",
    [S_SET] = "UPDATE alerts SET incident = ?2, suppressed = ?3, facts = coalesce(?4, facts) WHERE id = ?1",
    [S_EFIND] = "SELECT e.incident FROM incident_entities e JOIN incidents i ON i.id = e.incident "
                "WHERE e.tenant = ?1 AND e.entity = ?2 AND e.last_ns >= ?3 AND i.status NOT IN ('closed', 'merged') "
                "ORDER BY e.last_ns DESC LIMIT ?4",
    [S_BUMP] = "INSERT INTO entity_stats(tenant, entity, hour, score, alerts) VALUES (?1, ?2, ?3, ?5, ?4) "
               "ON CONFLICT(tenant, entity, hour, score) DO UPDATE SET alerts = alerts + excluded.alerts",
    [S_BSUM] = "SELECT coalesce(sum(alerts), 0) FROM entity_stats WHERE tenant = ?1 AND entity = ?2 AND hour >= ?3",
    [S_SCORES] = "SELECT score, sum(alerts) FROM entity_stats WHERE tenant = ?1 AND entity = ?2 AND hour >= ?3 "
                 "GROUP BY score ORDER BY score DESC",
    [S_PUT] = "INSERT OR REPLACE INTO incidents(id, tenant, title, status, raised, priority, severity, risk, confidence, "
              "criticality, nalerts, nevents, first_ns, last_ns, created_ns, updated_ns, locked, merged_into, tactics, "
              "techniques, entities) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, "
              "?18, ?19, ?20, ?21)",
    [S_EDEL] = "DELETE FROM incident_entities WHERE tenant = ?1 AND incident = ?2",
    [S_EINS] = "INSERT OR REPLACE INTO incident_entities(tenant, entity, incident, last_ns) VALUES (?1, ?2, ?3, ?4)",
    [S_GET] = "SELECT id, tenant, title, status, raised, priority, severity, risk, confidence, criticality, nalerts, "
              "nevents, first_ns, last_ns, created_ns, updated_ns, locked, merged_into, tactics, techniques, entities "
              "FROM incidents WHERE tenant = ?1 AND id = ?2",
    [S_MOVE_ALL] = "UPDATE alerts SET incident = ?3 WHERE tenant = ?1 AND incident = ?2",
    [S_MOVE_ONE] = "UPDATE alerts SET incident = ?3 WHERE tenant = ?1 AND incident = ?2 AND id = ?4",
    [S_SUPADD] = "INSERT INTO suppressions(tenant, rule_id, entity, expires_ns, created_ns, created_by, reason) "
                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [S_SUPLIST] = "SELECT id, tenant, rule_id, entity, expires_ns, created_ns, created_by, reason FROM suppressions "
                  "WHERE tenant = ?1 AND expires_ns > ?2 ORDER BY id LIMIT 10000",
    [S_CRITSET] = "INSERT INTO criticality(tenant, entity, level, updated_ns) VALUES (?1, ?2, ?3, ?4) "
                  "ON CONFLICT(tenant, entity) DO UPDATE SET level = excluded.level, updated_ns = excluded.updated_ns",
    [S_CRITGET] = "SELECT level FROM criticality WHERE tenant = ?1 AND entity = ?2",
    [S_CRITASSET] = "SELECT criticality FROM assets WHERE tenant = ?1 AND host = ?2",
    [S_CRITASSETSET] = "UPDATE assets SET criticality = ?3 WHERE tenant = ?1 AND host = ?2",
};

void vg__inc_close(struct vg__sq *s)
{
    if (!s->inc_st) return;
    for (int i = 0; i < S_N; i++) sqlite3_finalize(s->inc_st[i]);
    vg_free(s->inc_st);
    s->inc_st = NULL;
}

/* The cached statement k, reset and unbound, or NULL with err set. */
static sqlite3_stmt *stmt(struct vg__sq *s, int k, struct vg_err *err)
{
    if (!s->inc_st && !(s->inc_st = vg_calloc(S_N, sizeof *s->inc_st))) {
        vg_err_set(err, VG_ENOMEM, "out of memory");
        return NULL;
    }
    if (!s->inc_st[k]) {
        int src = sqlite3_prepare_v3(s->db, sqls[k], -1, SQLITE_PREPARE_PERSISTENT, &s->inc_st[k], NULL);
        if (src != SQLITE_OK) {
            vg__sq_err(s, src, err, "prepare incident statement");
            return NULL;
        }
    }
    return s->inc_st[k];
}

static void done(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

static const char *t_or_default(const char *t) { return t && *t ? t : "default"; }

/* Runs a statement without result rows. */
static int run(struct vg__sq *s, sqlite3_stmt *st, struct vg_err *err, const char *what)
{
    int step = sqlite3_step(st);
    done(st);
    return step == SQLITE_DONE ? 0 : vg__sq_err(s, step, err, what);
}

int vg__sq_tx(struct vg_store *base, int what, struct vg_err *err)
{
    struct vg__sq *s = (struct vg__sq *)base;
    switch (what) {
    case VG_STORE_TX_BEGIN: return vg__sq_exec(s, "BEGIN IMMEDIATE", err);
    case VG_STORE_TX_COMMIT: return vg__sq_exec(s, "COMMIT", err);
    case VG_STORE_TX_ROLLBACK:
        if (!sqlite3_get_autocommit(s->db)) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return 0;
    default: return vg_err_set(err, VG_EINVAL, "bad transaction request");
    }
}

static const char *col(sqlite3_stmt *st, int i) { return (const char *)sqlite3_column_text(st, i); }

/* Streams alert rows of a prepared, bound statement to cb. */
static int alert_rows(struct vg__sq *s, sqlite3_stmt *st, vg_inc_alert_cb cb, void *ctx, struct vg_err *err)
{
    int rc = 0;
    for (;;) {
        int step = sqlite3_step(st);
        if (step == SQLITE_DONE) break;
        if (step != SQLITE_ROW) { rc = vg__sq_err(s, step, err, "read alerts"); break; }
        struct vg_inc_alert a;
        memset(&a, 0, sizeof a);
        const void *id = sqlite3_column_blob(st, 0);
        if (id && sqlite3_column_bytes(st, 0) == 16) memcpy(a.id, id, 16);
        a.seq = (uint64_t)sqlite3_column_int64(st, 1);
        a.tenant = col(st, 2);
        a.rule_id = col(st, 3);
        a.title = col(st, 4);
        a.status = col(st, 5);
        a.host = col(st, 6);
        a.user = col(st, 7);
        a.source_ip = col(st, 8);
        a.incident = col(st, 9);
        a.json = col(st, 10);
        a.json_len = (size_t)sqlite3_column_bytes(st, 10);
        a.ts = sqlite3_column_int64(st, 11);
        a.first_ns = sqlite3_column_int64(st, 12);
        a.last_ns = sqlite3_column_int64(st, 13);
        a.level = sqlite3_column_int(st, 14);
        a.risk = sqlite3_column_int(st, 15);
        int64_t c = sqlite3_column_int64(st, 16);
        a.count = c < 1 ? 1 : c > UINT32_MAX ? UINT32_MAX : (uint32_t)c;
        a.suppressed = sqlite3_column_int(st, 17) != 0;
        a.facts = col(st, 18);
        if (!a.tenant || !a.rule_id || !a.json) continue;
        if (!a.first_ns) a.first_ns = a.ts;
        if (!a.last_ns) a.last_ns = a.ts;
        int r = cb(ctx, &a);
        if (r) { rc = r; break; }
    }
    done(st);
    return rc;
}

int vg__inc_alerts_after(struct vg_store *base, uint64_t after, size_t limit, vg_inc_alert_cb cb, void *ctx,
                         struct vg_err *err)
{
    struct vg__sq *s = (struct vg__sq *)base;
    sqlite3_stmt *st = stmt(s, S_AFTER, err);
    if (!st) return err ? err->code : VG_EDB;
    sqlite3_bind_int64(st, 1, (int64_t)after);
    sqlite3_bind_int64(st, 2, limit ? (int64_t)limit : 1000);
    return alert_rows(s, st, cb, ctx, err);
}

int vg__inc_alerts_of(struct vg_store *base, const char *tenant, const char *incident, size_t limit, vg_inc_alert_cb cb,
                      void *ctx, struct vg_err *err)
{
    struct vg__sq *s = (struct vg__sq *)base;
    if (!incident) return vg_err_set(err, VG_EINVAL, "no incident id");
    sqlite3_stmt *st = stmt(s, S_OF, err);
    if (!st) return err ? err->code : VG_EDB;
    sqlite3_bind_text(st, 1, t_or_default(tenant), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, incident, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, limit ? (int64_t)limit : 10000);
    return alert_rows(s, st, cb, ctx, err);
}

int vg__inc_alerts_window(struct vg_store *base, const char *tenant, int64_t since, const char *entity, size_t limit,
                          vg_inc_alert_cb cb, void *ctx, struct vg_err *err)
{
    struct vg__sq *s = (struct vg__sq *)base;
    int k = S_WIN_ALL;
    const char *val = NULL;
    if (entity) {
        if (!strncmp(entity, "host:", 5)) k = S_WIN_HOST, val = entity + 5;
        else if (!strncmp(entity, "user:", 5)) k = S_WIN_USER, val = entity + 5;
        else if (!strncmp(entity, "ip:", 3)) k = S_WIN_IP, val = entity + 3;
        else return vg_err_set(err, VG_EINVAL, "entity '%s' is not host:, user: or ip:", entity);
    }
    sqlite3_stmt *st = stmt(s, k, err);
    if (!st) return err ? err->code : VG_EDB;
    sqlite3_bind_text(st, 1, t_or_default(tenant), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, since);
    sqlite3_bind_int64(st, 3, limit ? (int64_t)limit : 10000);
    if (val) sqlite3_bind_text(st, 4, val, -1, SQLITE_TRANSIENT);
    return alert_rows(s, st, cb, ctx, err);
}

int vg__inc_alert_set(struct vg_store *base, const uint8_t id[16], const char *incident, bool suppressed,
                      const char *facts, struct vg_err *err)
{
    struct vg__sq *s = (struct vg__sq *)base;
    sqlite3_stmt *st = stmt(s, S_SET, err);
    if (!st) return err ? err->code : VG_EDB;
    sqlite3_bind_blob(st, 1, id, 16, SQLITE_TRANSIENT);
    if (incident) sqlite3_bind_text(st, 2, incident, -1, SQLITE_TRANSIENT);
    else sqlite3_bind_null(st, 2);
    sqlite3_bind_int(st, 3, suppressed);
    if (facts) sqlite3_bind_text(st, 4, facts, -1, SQLITE_TRANSIENT);
    else sqlite3_bind_null(st, 4);
    return run(s, st, err, "set alert incident");
}

int vg__inc_entity_find(struct vg_store *base, const char *tenant, const char *entity, int64_t since,
                        char (*out)[VG_INC_ID_MAX], size_t max, size_t *n, struct vg_err *err)
{
    struct vg__sq *s = (struct vg__sq *)base;
    *n = 0;
    sqlite3_stmt *st = stmt(s, S_EFIND, err);
    if (!st) return err ? err->code : VG_EDB;
    sqlite3_bind_text(st, 1, t_or_default(tenant), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, entity, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, since);
    sqlite3_bind_int64(st, 4, (int64_t)max);
    int rc = 0;
    for (;;) {
        int step = sqlite3_step(st);
        if (step == SQLITE_DONE) break;
        if (step != SQLITE_ROW) { rc = vg__sq_err(s, step, err, "find entity incidents"); break; }
        if (*n < max) snprintf(out[(*n)++], VG_INC_ID_MAX, "%s", col(st, 0) ? col(st, 0) : "");
    }
    done(st);
    return rc;
}

int vg__inc_entity_bump(struct vg_store *base, const char *tenant, const char *entity, int64_t hour, int score, int add,
                        int64_t since_hour, uint64_t *total, struct vg_err *err)
{
    struct vg__sq *s = (struct vg__sq *)base;
    const char *t = t_or_default(tenant);
    int rc = 0;
    if (add) {
        sqlite3_stmt *st = stmt(s, S_BUMP, err);
        if (!st) return err ? err->code : VG_EDB;
        sqlite3_bind_text(st, 1, t, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, entity, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 3, hour);
        sqlite3_bind_int(st, 4, add);
        sqlite3_bind_int(st, 5, score);
        if ((rc = run(s, st, err, "entity count"))) return rc;
    }
    if (!total) return 0;
    sqlite3_stmt *st = stmt(s, S_BSUM, err);
    if (!st) return err ? err->code : VG_EDB;
    sqlite3_bind_text(st, 1, t, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, entity, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, since_hour);
    int step = sqlite3_step(st);
    *total = step == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(st, 0) : 0;
    done(st);
    return step == SQLITE_ROW ? 0 : vg__sq_err(s, step, err, "entity count");
}

int vg__inc_entity_scores(struct vg_store *base, const char *tenant, const char *entity, int64_t since_hour, int *scores,
                          size_t max, size_t *n, struct vg_err *err)
{
    struct vg__sq *s = (struct vg__sq *)base;
    *n = 0;
    sqlite3_stmt *st = stmt(s, S_SCORES, err);
    if (!st) return err ? err->code : VG_EDB;
    sqlite3_bind_text(st, 1, t_or_default(tenant), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, entity, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, since_hour);
    int rc = 0;
    for (;;) {
        int step = sqlite3_step(st);
        if (step == SQLITE_DONE) break;
        if (step != SQLITE_ROW) { rc = vg__sq_err(s, step, err, "entity scores"); break; }
        int score = sqlite3_column_int(st, 0);
        int64_t k = sqlite3_column_int64(st, 1);
        for (int64_t i = 0; i < k && *n < max; i++) scores[(*n)++] = score;
    }
    done(st);
    return rc;
}

int vg__inc_put(struct vg_store *base, const struct vg_incident *i, const struct vg_inc_entity *ent, size_t nent,
                struct vg_err *err)
{
    struct vg__sq *s = (struct vg__sq *)base;
    if (!i || !i->id[0]) return vg_err_set(err, VG_EINVAL, "incident without id");
    const char *t = t_or_default(i->tenant);
    sqlite3_stmt *st = stmt(s, S_PUT, err);
    if (!st) return err ? err->code : VG_EDB;
    sqlite3_bind_text(st, 1, i->id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, t, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, i->title, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, i->status[0] ? i->status : "new", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, i->raised, -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(st, 6, i->priority);
    sqlite3_bind_int(st, 7, i->severity);
    sqlite3_bind_double(st, 8, i->risk);
    sqlite3_bind_double(st, 9, i->confidence);
    sqlite3_bind_text(st, 10, i->criticality, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 11, i->nalerts);
    sqlite3_bind_int64(st, 12, i->nevents);
    sqlite3_bind_int64(st, 13, i->first_ns);
    sqlite3_bind_int64(st, 14, i->last_ns);
    sqlite3_bind_int64(st, 15, i->created_ns);
    sqlite3_bind_int64(st, 16, i->updated_ns);
    sqlite3_bind_int(st, 17, i->locked);
    if (i->merged_into[0]) sqlite3_bind_text(st, 18, i->merged_into, -1, SQLITE_TRANSIENT);
    else sqlite3_bind_null(st, 18);
    sqlite3_bind_text(st, 19, i->tactics ? i->tactics : "[]", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 20, i->techniques ? i->techniques : "[]", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 21, i->entities ? i->entities : "[]", -1, SQLITE_TRANSIENT);
    int rc = run(s, st, err, "store incident");
    if (rc) return rc;
    if (!(st = stmt(s, S_EDEL, err))) return err ? err->code : VG_EDB;
    sqlite3_bind_text(st, 1, t, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, i->id, -1, SQLITE_TRANSIENT);
    if ((rc = run(s, st, err, "incident entities"))) return rc;
    for (size_t k = 0; k < nent; k++) {
        if (!(st = stmt(s, S_EINS, err))) return err ? err->code : VG_EDB;
        sqlite3_bind_text(st, 1, t, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, ent[k].entity, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, i->id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 4, ent[k].last_ns);
        if ((rc = run(s, st, err, "incident entities"))) return rc;
    }
    return 0;
}

static void ctext(sqlite3_stmt *st, int i, char *buf, size_t n)
{
    const char *t = col(st, i);
    snprintf(buf, n, "%s", t ? t : "");
}

static char *cdup(sqlite3_stmt *st, int i, bool *oom)
{
    const char *t = col(st, i);
    char *d = vg_strdup(t ? t : "[]");
    if (!d) *oom = true;
    return d;
}

/* Fills an incident from a row of the S_GET column list. */
static int row_incident(sqlite3_stmt *st, struct vg_incident *i)
{
    memset(i, 0, sizeof *i);
    ctext(st, 0, i->id, sizeof i->id);
    ctext(st, 1, i->tenant, sizeof i->tenant);
    ctext(st, 2, i->title, sizeof i->title);
    ctext(st, 3, i->status, sizeof i->status);
    ctext(st, 4, i->raised, sizeof i->raised);
    i->priority = sqlite3_column_double(st, 5);
    i->severity = sqlite3_column_int(st, 6);
    i->risk = sqlite3_column_double(st, 7);
    i->confidence = sqlite3_column_double(st, 8);
    ctext(st, 9, i->criticality, sizeof i->criticality);
    i->nalerts = sqlite3_column_int64(st, 10);
    i->nevents = sqlite3_column_int64(st, 11);
    i->first_ns = sqlite3_column_int64(st, 12);
    i->last_ns = sqlite3_column_int64(st, 13);
    i->created_ns = sqlite3_column_int64(st, 14);
    i->updated_ns = sqlite3_column_int64(st, 15);
    i->locked = sqlite3_column_int(st, 16) != 0;
    ctext(st, 17, i->merged_into, sizeof i->merged_into);
    bool oom = false;
    i->tactics = cdup(st, 18, &oom);
    i->techniques = cdup(st, 19, &oom);
    i->entities = cdup(st, 20, &oom);
    if (oom) {
        vg_incident_release(i);
        return VG_ENOMEM;
    }
    return 0;
}

int vg__inc_get(struct vg_store *base, const char *tenant, const char *id, struct vg_incident *out, struct vg_err *err)
{
    struct vg__sq *s = (struct vg__sq *)base;
    memset(out, 0, sizeof *out);
    if (!id) return vg_err_set(err, VG_EINVAL, "no incident id");
    sqlite3_stmt *st = stmt(s, S_GET, err);
    if (!st) return err ? err->code : VG_EDB;
    sqlite3_bind_text(st, 1, t_or_default(tenant), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_TRANSIENT);
    int step = sqlite3_step(st), rc;
    if (step == SQLITE_ROW) rc = row_incident(st, out) ? vg_err_set(err, VG_ENOMEM, "out of memory") : 0;
    else if (step == SQLITE_DONE) rc = vg_err_set(err, VG_ENOENT, "no incident %s", id);
    else rc = vg__sq_err(s, step, err, "read incident");
    done(st);
    return rc;
}

int vg__inc_list(struct vg_store *base, const struct vg_inc_query *q, vg_incident_cb cb, void *ctx, struct vg_err *err)
{
    struct vg__sq *s = (struct vg__sq *)base;
    /* not cached: the WHERE varies with the query */
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT id, tenant, title, status, raised, priority, severity, risk, confidence, criticality, nalerts, "
             "nevents, first_ns, last_ns, created_ns, updated_ns, locked, merged_into, tactics, techniques, entities "
             "FROM incidents WHERE tenant = ?1 AND %s %s ORDER BY priority DESC, last_ns DESC LIMIT ?3",
             q->status && *q->status ? "status = ?2" : "status <> 'merged' AND ?2 IS NULL",
             q->all ? "" : "AND raised <> ''");
    sqlite3_stmt *st = NULL;
    int src = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (src != SQLITE_OK) return vg__sq_err(s, src, err, "list incidents");
    sqlite3_bind_text(st, 1, t_or_default(q->tenant), -1, SQLITE_TRANSIENT);
    if (q->status && *q->status) sqlite3_bind_text(st, 2, q->status, -1, SQLITE_TRANSIENT);
    else sqlite3_bind_null(st, 2);
    sqlite3_bind_int64(st, 3, q->limit ? (int64_t)q->limit : 100);
    int rc = 0;
    for (;;) {
        int step = sqlite3_step(st);
        if (step == SQLITE_DONE) break;
        if (step != SQLITE_ROW) { rc = vg__sq_err(s, step, err, "list incidents"); break; }
        struct vg_incident i;
        if (row_incident(st, &i)) { rc = vg_err_set(err, VG_ENOMEM, "out of memory"); break; }
        int r = cb(ctx, &i);
        vg_incident_release(&i);
        if (r) { rc = r; break; }
    }
    sqlite3_finalize(st);
    return rc;
}

int vg__inc_move(struct vg_store *base, const char *tenant, const char *from, const char *to, const uint8_t (*ids)[16],
                 size_t n, size_t *moved, struct vg_err *err)
{
    struct vg__sq *s = (struct vg__sq *)base;
    size_t m = 0;
    int rc = 0;
    const char *t = t_or_default(tenant);
    if (!from || !to) return vg_err_set(err, VG_EINVAL, "incident ids missing");
    if (!ids) {
        sqlite3_stmt *st = stmt(s, S_MOVE_ALL, err);
        if (!st) return err ? err->code : VG_EDB;
        sqlite3_bind_text(st, 1, t, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, from, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, to, -1, SQLITE_TRANSIENT);
        if ((rc = run(s, st, err, "move alerts")) == 0) m = (size_t)sqlite3_changes(s->db);
    } else {
        for (size_t k = 0; rc == 0 && k < n; k++) {
            sqlite3_stmt *st = stmt(s, S_MOVE_ONE, err);
            if (!st) return err ? err->code : VG_EDB;
            sqlite3_bind_text(st, 1, t, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(st, 2, from, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(st, 3, to, -1, SQLITE_TRANSIENT);
            sqlite3_bind_blob(st, 4, ids[k], 16, SQLITE_TRANSIENT);
            if ((rc = run(s, st, err, "move alert")) == 0) m += (size_t)sqlite3_changes(s->db);
        }
    }
    if (moved) *moved = m;
    return rc;
}

int vg__sup_add(struct vg_store *base, const struct vg_suppression *sp, int64_t *id, struct vg_err *err)
{
    struct vg__sq *s = (struct vg__sq *)base;
    if (!sp || !sp->rule_id[0] || !sp->entity[0]) return vg_err_set(err, VG_EINVAL, "a suppression needs a rule and an entity");
    sqlite3_stmt *st = stmt(s, S_SUPADD, err);
    if (!st) return err ? err->code : VG_EDB;
    sqlite3_bind_text(st, 1, t_or_default(sp->tenant), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, sp->rule_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, sp->entity, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 4, sp->expires_ns);
    sqlite3_bind_int64(st, 5, sp->created_ns ? sp->created_ns : vg_now_ns());
    sqlite3_bind_text(st, 6, sp->created_by, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 7, sp->reason, -1, SQLITE_TRANSIENT);
    int rc = run(s, st, err, "add suppression");
    if (rc == 0 && id) *id = sqlite3_last_insert_rowid(s->db);
    return rc;
}

int vg__sup_list(struct vg_store *base, const char *tenant, int64_t now, struct vg_suppression **out, size_t *n,
                 struct vg_err *err)
{
    struct vg__sq *s = (struct vg__sq *)base;
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = stmt(s, S_SUPLIST, err);
    if (!st) return err ? err->code : VG_EDB;
    sqlite3_bind_text(st, 1, t_or_default(tenant), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, now);
    size_t cap = 0;
    int rc = 0;
    for (;;) {
        int step = sqlite3_step(st);
        if (step == SQLITE_DONE) break;
        if (step != SQLITE_ROW) { rc = vg__sq_err(s, step, err, "list suppressions"); break; }
        if (*n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            struct vg_suppression *nv = vg_realloc(*out, nc * sizeof *nv);
            if (!nv) { rc = vg_err_set(err, VG_ENOMEM, "out of memory"); break; }
            *out = nv;
            cap = nc;
        }
        struct vg_suppression *p = &(*out)[(*n)++];
        memset(p, 0, sizeof *p);
        p->id = sqlite3_column_int64(st, 0);
        ctext(st, 1, p->tenant, sizeof p->tenant);
        ctext(st, 2, p->rule_id, sizeof p->rule_id);
        ctext(st, 3, p->entity, sizeof p->entity);
        p->expires_ns = sqlite3_column_int64(st, 4);
        p->created_ns = sqlite3_column_int64(st, 5);
        ctext(st, 6, p->created_by, sizeof p->created_by);
        ctext(st, 7, p->reason, sizeof p->reason);
    }
    done(st);
    if (rc) {
        vg_free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

static bool valid_level(const char *l)
{
    return l && (!strcmp(l, "low") || !strcmp(l, "medium") || !strcmp(l, "high") || !strcmp(l, "critical"));
}

int vg__crit_set(struct vg_store *base, const char *tenant, const char *entity, const char *level, struct vg_err *err)
{
    struct vg__sq *s = (struct vg__sq *)base;
    if (!valid_level(level)) return vg_err_set(err, VG_EINVAL, "criticality must be low, medium, high or critical");
    if (!entity || (strncmp(entity, "host:", 5) && strncmp(entity, "user:", 5)) || !entity[5] ||
        strlen(entity) >= VG_INC_ENTITY_MAX)
        return vg_err_set(err, VG_EINVAL, "criticality is set on host:NAME or user:NAME");
    const char *t = t_or_default(tenant);
    sqlite3_stmt *st = stmt(s, S_CRITSET, err);
    if (!st) return err ? err->code : VG_EDB;
    sqlite3_bind_text(st, 1, t, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, entity, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, level, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 4, vg_now_ns());
    int rc = run(s, st, err, "set criticality");
    if (rc || strncmp(entity, "host:", 5)) return rc;
    /* keep the assets table (vigil assets) in step for a known host */
    if (!(st = stmt(s, S_CRITASSETSET, err))) return err ? err->code : VG_EDB;
    sqlite3_bind_text(st, 1, t, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, entity + 5, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, level, -1, SQLITE_TRANSIENT);
    return run(s, st, err, "set asset criticality");
}

int vg__crit_get(struct vg_store *base, const char *tenant, const char *entity, char *level, size_t levelsz,
                 struct vg_err *err)
{
    struct vg__sq *s = (struct vg__sq *)base;
    if (levelsz) level[0] = 0;
    if (!entity) return vg_err_set(err, VG_EINVAL, "no entity");
    const char *t = t_or_default(tenant);
    sqlite3_stmt *st = stmt(s, S_CRITGET, err);
    if (!st) return err ? err->code : VG_EDB;
    sqlite3_bind_text(st, 1, t, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, entity, -1, SQLITE_TRANSIENT);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) ctext(st, 0, level, levelsz);
    done(st);
    if (step == SQLITE_ROW) return 0;
    if (step != SQLITE_DONE) return vg__sq_err(s, step, err, "read criticality");
    if (strncmp(entity, "host:", 5)) return VG_ENOENT;
    /* a host's criticality may live in the assets table only (agent inventory) */
    if (!(st = stmt(s, S_CRITASSET, err))) return err ? err->code : VG_EDB;
    sqlite3_bind_text(st, 1, t, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, entity + 5, -1, SQLITE_TRANSIENT);
    step = sqlite3_step(st);
    if (step == SQLITE_ROW) ctext(st, 0, level, levelsz);
    done(st);
    if (step == SQLITE_ROW) return 0;
    return step == SQLITE_DONE ? VG_ENOENT : vg__sq_err(s, step, err, "read criticality");
}
