/* Secrets shared by the two credential tables of the SQLite backend: API
 * tokens (tokens.c) and agent enrollment tokens (agents.c). Both carry 256
 * random bits as 43 base64url characters, store only a BLAKE2b-256 hash of
 * those characters, share the tenant-name rule, and are revoked by id or
 * name with one UPDATE. Private to the store layer (internal.h). */
#include "internal.h"
#include <sodium.h>

bool vg__valid_tenant(const char *t)
{
    size_t n = t ? strlen(t) : 0;
    if (n == 0 || n > VG__TENANT_MAX) return false;
    for (size_t i = 0; i < n; i++) {
        char c = t[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
              c == '.'))
            return false;
    }
    return true;
}

bool vg__secret_wellformed(const char *s)
{
    for (int i = 0; i < VG__SECRET_B64; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return false;
    }
    return true;
}

void vg__secret_hash(const char *b64, uint8_t out[VG__SECRET_HASH_LEN])
{
    crypto_generichash(out, VG__SECRET_HASH_LEN, (const unsigned char *)b64, VG__SECRET_B64, NULL, 0);
}

int vg__secret_new(char b64[VG__SECRET_B64 + 1], uint8_t hash[VG__SECRET_HASH_LEN], struct vg_err *err)
{
    if (sodium_init() < 0) return vg_err_set(err, VG_ESTATE, "libsodium failed to initialise");
    uint8_t sec[32];
    randombytes_buf(sec, sizeof sec);
    sodium_bin2base64(b64, VG__SECRET_B64 + 1, sec, sizeof sec, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(sec, sizeof sec);
    vg__secret_hash(b64, hash);
    return 0;
}

void vg__secret_wipe(void *p, size_t n)
{
    sodium_memzero(p, n);
}

int vg__revoke_by_id_or_name(struct vg__sq *s, const char *sql, const char *noun, const char *op,
                             const char *id_or_name, struct vg_err *err)
{
    if (!id_or_name || !*id_or_name) return vg_err_set(err, VG_EINVAL, "no %s id or name", noun);
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK) return vg__sq_err(s, rc, err, op);
    sqlite3_bind_text(st, 1, id_or_name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, vg_now_ns());
    int step = sqlite3_step(st);
    rc = 0;
    if (step != SQLITE_DONE) rc = vg__sq_err(s, step, err, op);
    else if (sqlite3_changes(s->db) == 0)
        rc = vg_err_set(err, VG_ENOENT, "no active %s with id or name '%s'", noun, id_or_name);
    sqlite3_finalize(st);
    return rc;
}
