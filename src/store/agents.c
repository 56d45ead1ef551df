/* Agents and enrollment tokens of the SQLite backend (migration 003).
 * Enrollment tokens are `vge_<43 base64url chars>` (256 random bits); only
 * their BLAKE2b-256 hash is stored, so a database leak does not leak
 * usable tokens. A token is used at most once: the check and the "used"
 * mark are one UPDATE ... WHERE used_ns = 0 AND expires_ns > now. The
 * agent registry is read and written by the agent listener
 * (src/ingest/src_agent.c) and `vigil agents` (src/cli/cmd_agents.c). */
#include "internal.h"
#include <sodium.h>

#define HASH_LEN VG__SECRET_HASH_LEN
#define SECRET_B64 VG__SECRET_B64
#define TOKEN_LEN (4 + SECRET_B64)

static void copy_col(char *dst, size_t dsz, sqlite3_stmt *st, int col)
{
    const unsigned char *v = sqlite3_column_text(st, col);
    snprintf(dst, dsz, "%s", v ? (const char *)v : "");
}

int vg__agt_token_create(struct vg_store *base, const char *tenant, int64_t expires_ns, char *secret_out,
                         size_t secret_sz, struct vg_err *err)
{
    struct vg__sq *s = (struct vg__sq *)base;
    if (!tenant) tenant = "default";
    if (!vg__valid_tenant(tenant)) return vg_err_set(err, VG_EINVAL, "tenant must be 1-63 characters of [A-Za-z0-9._-]");
    if (!secret_out || secret_sz < TOKEN_LEN + 1) return vg_err_set(err, VG_EINVAL, "secret buffer too small");
    uint8_t h[HASH_LEN];
    char b64[SECRET_B64 + 1];
    int rc = vg__secret_new(b64, h, err);
    if (rc) return rc;
    sqlite3_stmt *st = NULL;
    rc = sqlite3_prepare_v2(s->db, "INSERT INTO enroll_tokens(hash, tenant, created_ns, expires_ns) VALUES (?1, ?2, ?3, ?4)",
                                -1, &st, NULL);
    if (rc != SQLITE_OK) { rc = vg__sq_err(s, rc, err, "enroll_token_create"); goto out; }
    sqlite3_bind_blob(st, 1, h, HASH_LEN, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, tenant, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, vg_now_ns());
    sqlite3_bind_int64(st, 4, expires_ns);
    int step = sqlite3_step(st);
    rc = step == SQLITE_DONE ? 0 : vg__sq_err(s, step, err, "enroll_token_create");
    if (!rc) snprintf(secret_out, secret_sz, "vge_%s", b64);
out:
    sqlite3_finalize(st);
    vg__secret_wipe(b64, sizeof b64);
    return rc;
}

int vg__agt_token_use(struct vg_store *base, const char *secret, int64_t now, const char *agent_id, char *tenant_out,
                      size_t tenant_sz, struct vg_err *err)
{
    struct vg__sq *s = (struct vg__sq *)base;
    bool ok = secret && strlen(secret) == TOKEN_LEN && memcmp(secret, "vge_", 4) == 0 && vg__secret_wellformed(secret + 4);
    if (!ok) return vg_err_set(err, VG_EAUTH, "malformed enrollment token");
    if (sodium_init() < 0) return vg_err_set(err, VG_ESTATE, "libsodium failed to initialise");
    uint8_t h[HASH_LEN];
    vg__secret_hash(secret + 4, h);
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db,
                                "UPDATE enroll_tokens SET used_ns = ?2, agent_id = ?3 WHERE hash = ?1 AND used_ns = 0 "
                                "AND expires_ns > ?2 RETURNING tenant",
                                -1, &st, NULL);
    if (rc != SQLITE_OK) return vg__sq_err(s, rc, err, "enroll_token_use");
    sqlite3_bind_blob(st, 1, h, HASH_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, now);
    sqlite3_bind_text(st, 3, agent_id ? agent_id : "", -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        copy_col(tenant_out, tenant_sz, st, 0);
        while ((step = sqlite3_step(st)) == SQLITE_ROW) {}
        rc = step == SQLITE_DONE ? 0 : vg__sq_err(s, step, err, "enroll_token_use");
        sqlite3_finalize(st);
        return rc;
    }
    sqlite3_finalize(st);
    if (step != SQLITE_DONE) return vg__sq_err(s, step, err, "enroll_token_use");
    /* say why (the token holder learns nothing it could not try anyway) */
    rc = sqlite3_prepare_v2(s->db, "SELECT used_ns, expires_ns FROM enroll_tokens WHERE hash = ?1", -1, &st, NULL);
    if (rc != SQLITE_OK) return vg__sq_err(s, rc, err, "enroll_token_use");
    sqlite3_bind_blob(st, 1, h, HASH_LEN, SQLITE_STATIC);
    step = sqlite3_step(st);
    if (step == SQLITE_ROW && sqlite3_column_int64(st, 0) != 0) rc = vg_err_set(err, VG_EAUTH, "enrollment token already used");
    else if (step == SQLITE_ROW) rc = vg_err_set(err, VG_EAUTH, "enrollment token expired");
    else rc = vg_err_set(err, VG_EAUTH, "unknown enrollment token");
    sqlite3_finalize(st);
    return rc;
}

int vg__agt_add(struct vg_store *base, const struct vg_agent_info *a, struct vg_err *err)
{
    struct vg__sq *s = (struct vg__sq *)base;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db,
                                "INSERT INTO agents(id, tenant, name, fingerprint, enrolled_ns, version, address) "
                                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                                -1, &st, NULL);
    if (rc != SQLITE_OK) return vg__sq_err(s, rc, err, "agent_add");
    sqlite3_bind_text(st, 1, a->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, a->tenant, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, a->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, a->fingerprint, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, a->enrolled);
    sqlite3_bind_text(st, 6, a->version, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, a->address, -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    if (step == SQLITE_CONSTRAINT) rc = vg_err_set(err, VG_EEXIST, "agent %s already exists", a->id);
    else rc = step == SQLITE_DONE ? 0 : vg__sq_err(s, step, err, "agent_add");
    sqlite3_finalize(st);
    return rc;
}

#define AGENT_COLS "id, tenant, name, fingerprint, enrolled_ns, last_seen_ns, revoked_ns, silent_ns, last_seq, version, address"

static void fill(sqlite3_stmt *st, struct vg_agent_info *a)
{
    memset(a, 0, sizeof *a);
    copy_col(a->id, sizeof a->id, st, 0);
    copy_col(a->tenant, sizeof a->tenant, st, 1);
    copy_col(a->name, sizeof a->name, st, 2);
    copy_col(a->fingerprint, sizeof a->fingerprint, st, 3);
    a->enrolled = sqlite3_column_int64(st, 4);
    a->last_seen = sqlite3_column_int64(st, 5);
    a->revoked = sqlite3_column_int64(st, 6);
    a->silent = sqlite3_column_int64(st, 7);
    a->last_seq = (uint64_t)sqlite3_column_int64(st, 8);
    copy_col(a->version, sizeof a->version, st, 9);
    copy_col(a->address, sizeof a->address, st, 10);
}

int vg__agt_get(struct vg_store *base, const char *id, struct vg_agent_info *a, struct vg_err *err)
{
    struct vg__sq *s = (struct vg__sq *)base;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, "SELECT " AGENT_COLS " FROM agents WHERE id = ?1", -1, &st, NULL);
    if (rc != SQLITE_OK) return vg__sq_err(s, rc, err, "agent_get");
    sqlite3_bind_text(st, 1, id ? id : "", -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) { fill(st, a); rc = 0; }
    else if (step == SQLITE_DONE) rc = vg_err_set(err, VG_ENOENT, "unknown agent");
    else rc = vg__sq_err(s, step, err, "agent_get");
    sqlite3_finalize(st);
    return rc;
}

static void fill_row(sqlite3_stmt *st, void *elem) { fill(st, elem); }

int vg__agt_list(struct vg_store *base, struct vg_agent_info **out, size_t *n, struct vg_err *err)
{
    void *arr;
    int rc = vg__sq_collect((struct vg__sq *)base, "SELECT " AGENT_COLS " FROM agents ORDER BY enrolled_ns, id",
                            sizeof **out, fill_row, &arr, n, err, "agent_list");
    *out = arr;
    return rc;
}

int vg__agt_update(struct vg_store *base, const struct vg_agent_info *a, struct vg_err *err)
{
    struct vg__sq *s = (struct vg__sq *)base;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db,
                                "UPDATE agents SET last_seen_ns = ?2, silent_ns = ?3, last_seq = ?4, version = ?5, "
                                "address = ?6 WHERE id = ?1",
                                -1, &st, NULL);
    if (rc != SQLITE_OK) return vg__sq_err(s, rc, err, "agent_update");
    sqlite3_bind_text(st, 1, a->id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, a->last_seen);
    sqlite3_bind_int64(st, 3, a->silent);
    sqlite3_bind_int64(st, 4, (int64_t)a->last_seq);
    sqlite3_bind_text(st, 5, a->version, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, a->address, -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    rc = step == SQLITE_DONE ? 0 : vg__sq_err(s, step, err, "agent_update");
    if (!rc && sqlite3_changes(s->db) == 0) rc = vg_err_set(err, VG_ENOENT, "unknown agent %s", a->id);
    sqlite3_finalize(st);
    return rc;
}

int vg__agt_revoke(struct vg_store *base, const char *id_or_name, struct vg_err *err)
{
    return vg__revoke_by_id_or_name((struct vg__sq *)base,
                                    "UPDATE agents SET revoked_ns = ?2 WHERE (id = ?1 OR name = ?1) AND revoked_ns = 0",
                                    "agent", "agent_revoke", id_or_name, err);
}
