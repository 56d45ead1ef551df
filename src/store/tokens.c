/* API tokens of the SQLite backend: `vgt_<16 hex id>_<43 base64url chars>`.
 * The id is public (shown by `vigil tokens list`, used to revoke); only a
 * BLAKE2b-256 hash of the 256-bit random secret is stored. Checks compare
 * hashes in constant time (sodium_memcmp) and do the same work for unknown
 * ids, so timing does not reveal which ids exist. */
#include "internal.h"
#include <sodium.h>

#define HASH_LEN VG__SECRET_HASH_LEN
#define ID_HEX 16
#define SECRET_B64 VG__SECRET_B64
#define TOKEN_LEN (4 + ID_HEX + 1 + SECRET_B64)
#define TOUCH_INTERVAL_NS (60LL * 1000000000LL)

/* Every role the API knows (include/vigil/roles.def). */
static const char *const roles[] = {
#define VG_ROLE(up, name, desc) name,
#include "vigil/roles.def"
#undef VG_ROLE
};
/* ", admin, analyst, ..." for messages (used from +2) */
#define VG_ROLE(up, name, desc) ", " name
static const char role_list[] = ""
#include "vigil/roles.def"
    ;
#undef VG_ROLE

static bool valid_role(const char *r)
{
    if (!r) return false;
    for (size_t i = 0; i < VG_ARRAY_LEN(roles); i++)
        if (strcmp(r, roles[i]) == 0) return true;
    return false;
}

static bool valid_name(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 127 || !vg_utf8_valid(s, n)) return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) return false;
    return true;
}

static void copy_str(char *dst, size_t dsz, const unsigned char *src)
{
    snprintf(dst, dsz, "%s", src ? (const char *)src : "");
}

int vg__tok_create(struct vg_store *base, const char *name, const char *role, const char *tenant, char *secret_out,
                   size_t secret_sz, struct vg_token_info *info, struct vg_err *err)
{
    struct vg__sq *s = (struct vg__sq *)base;
    if (!role) role = "viewer";
    if (!tenant) tenant = "default";
    if (!valid_name(name)) return vg_err_set(err, VG_EINVAL, "token name must be 1-127 printable characters");
    if (!valid_role(role)) return vg_err_set(err, VG_EINVAL, "unknown role '%s' (%s)", role, role_list + 2);
    if (!vg__valid_tenant(tenant)) return vg_err_set(err, VG_EINVAL, "tenant must be 1-63 characters of [A-Za-z0-9._-]");
    if (!secret_out || secret_sz < TOKEN_LEN + 1) return vg_err_set(err, VG_EINVAL, "secret buffer too small (need %d)", TOKEN_LEN + 1);
    uint8_t idb[ID_HEX / 2], h[HASH_LEN];
    char id[ID_HEX + 1], b64[SECRET_B64 + 1];
    int rc = vg__secret_new(b64, h, err); /* initialises libsodium */
    if (rc) return rc;
    randombytes_buf(idb, sizeof idb);
    vg_hex(idb, sizeof idb, id);
    int64_t now = vg_now_ns();
    sqlite3_stmt *st = NULL;
    rc = sqlite3_prepare_v2(s->db,
                                "INSERT INTO tokens(id, name, role, tenant, hash, created_ns) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                                -1, &st, NULL);
    if (rc != SQLITE_OK) { rc = vg__sq_err(s, rc, err, "token_create"); goto out; }
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, role, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, tenant, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 5, h, HASH_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, now);
    int step = sqlite3_step(st);
    if (step == SQLITE_CONSTRAINT) rc = vg_err_set(err, VG_EEXIST, "an active token named '%s' already exists", name);
    else if (step != SQLITE_DONE) rc = vg__sq_err(s, step, err, "token_create");
    else rc = 0;
    if (rc) goto out;
    snprintf(secret_out, secret_sz, "vgt_%s_%s", id, b64);
    if (info) {
        memset(info, 0, sizeof *info);
        copy_str(info->id, sizeof info->id, (const unsigned char *)id);
        copy_str(info->name, sizeof info->name, (const unsigned char *)name);
        copy_str(info->role, sizeof info->role, (const unsigned char *)role);
        copy_str(info->tenant, sizeof info->tenant, (const unsigned char *)tenant);
        info->created = now;
    }
out:
    sqlite3_finalize(st);
    vg__secret_wipe(b64, sizeof b64);
    return rc;
}

static void fill_info(sqlite3_stmt *st, struct vg_token_info *info)
{
    memset(info, 0, sizeof *info);
    copy_str(info->id, sizeof info->id, sqlite3_column_text(st, 0));
    copy_str(info->name, sizeof info->name, sqlite3_column_text(st, 1));
    copy_str(info->role, sizeof info->role, sqlite3_column_text(st, 2));
    copy_str(info->tenant, sizeof info->tenant, sqlite3_column_text(st, 3));
    info->created = sqlite3_column_int64(st, 4);
    info->last_used = sqlite3_column_int64(st, 5);
    info->revoked = sqlite3_column_int64(st, 6);
}

int vg__tok_check(struct vg_store *base, const char *secret, struct vg_token_info *info, struct vg_err *err)
{
    struct vg__sq *s = (struct vg__sq *)base;
    bool wellformed = secret && strlen(secret) == TOKEN_LEN && memcmp(secret, "vgt_", 4) == 0 && secret[4 + ID_HEX] == '_';
    for (int i = 0; wellformed && i < ID_HEX; i++) {
        char c = secret[4 + i];
        wellformed = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    }
    wellformed = wellformed && vg__secret_wellformed(secret + 5 + ID_HEX);
    if (!wellformed) return vg_err_set(err, VG_EAUTH, "malformed token");
    char id[ID_HEX + 1];
    memcpy(id, secret + 4, ID_HEX);
    id[ID_HEX] = 0;
    uint8_t h[HASH_LEN], stored[HASH_LEN];
    vg__secret_hash(secret + 5 + ID_HEX, h);
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, "SELECT id, name, role, tenant, created_ns, last_used_ns, revoked_ns, hash FROM tokens "
                                       "WHERE id = ?1", -1, &st, NULL);
    if (rc != SQLITE_OK) return vg__sq_err(s, rc, err, "token_check");
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    struct vg_token_info ti;
    bool found = false;
    memset(stored, 0xa5, sizeof stored); /* unknown id: compare against junk all the same */
    if (step == SQLITE_ROW) {
        fill_info(st, &ti);
        if (sqlite3_column_bytes(st, 7) == HASH_LEN) {
            memcpy(stored, sqlite3_column_blob(st, 7), HASH_LEN);
            found = true;
        }
    } else if (step != SQLITE_DONE) {
        rc = vg__sq_err(s, step, err, "token_check");
        sqlite3_finalize(st);
        return rc;
    }
    sqlite3_finalize(st);
    bool equal = sodium_memcmp(h, stored, HASH_LEN) == 0;
    if (!found || !equal) return vg_err_set(err, VG_EAUTH, "invalid token");
    if (ti.revoked) return vg_err_set(err, VG_EAUTH, "token revoked");
    int64_t now = vg_now_ns();
    if (now - ti.last_used > TOUCH_INTERVAL_NS &&
        sqlite3_prepare_v2(s->db, "UPDATE tokens SET last_used_ns = ?2 WHERE id = ?1", -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, now);
        if (sqlite3_step(st) == SQLITE_DONE) ti.last_used = now; /* best effort: a busy writer must not fail auth */
        sqlite3_finalize(st);
    }
    if (info) *info = ti;
    return 0;
}

static void fill_info_row(sqlite3_stmt *st, void *elem) { fill_info(st, elem); }

int vg__tok_list(struct vg_store *base, struct vg_token_info **out, size_t *n, struct vg_err *err)
{
    void *arr;
    int rc = vg__sq_collect((struct vg__sq *)base,
                            "SELECT id, name, role, tenant, created_ns, last_used_ns, revoked_ns FROM tokens "
                            "ORDER BY created_ns, id",
                            sizeof **out, fill_info_row, &arr, n, err, "token_list");
    *out = arr;
    return rc;
}

int vg__tok_revoke(struct vg_store *base, const char *id_or_name, struct vg_err *err)
{
    return vg__revoke_by_id_or_name((struct vg__sq *)base,
                                    "UPDATE tokens SET revoked_ns = ?2 WHERE (id = ?1 OR name = ?1) AND revoked_ns = 0",
                                    "token", "token_revoke", id_or_name, err);
}
