/* Bearer-token authentication for the HTTP API. The token is checked with
 * the store's token_check (only a hash of the secret is stored there).
 * Successful checks are cached for a short TTL so a busy shipper does not
 * cost one database lookup per request; the cache key is a keyed BLAKE2b
 * hash of the token (random key per process), never the plaintext, and
 * keys are compared in constant time. A revoked token therefore stays
 * usable for at most the TTL (30 s by default, vg_api_opts.auth_cache_ms). */
#include "internal.h"
#include <sodium.h>

#define CACHE_SLOTS 64

struct slot {
    uint8_t key[32];
    int64_t expires;                 /* monotonic ns; 0 = empty */
    struct vg_token_info info;
};

struct vg__auth_cache {
    pthread_mutex_t mu;
    int64_t ttl;
    uint8_t hkey[crypto_generichash_KEYBYTES];
    struct slot slots[CACHE_SLOTS];
    size_t next;                     /* round-robin victim */
};

struct vg__auth_cache *vg__auth_cache_new(int64_t ttl_ns)
{
    if (sodium_init() < 0) return NULL;
    struct vg__auth_cache *c = vg_calloc(1, sizeof *c);
    if (!c) return NULL;
    pthread_mutex_init(&c->mu, NULL);
    c->ttl = ttl_ns;
    randombytes_buf(c->hkey, sizeof c->hkey);
    return c;
}

void vg__auth_cache_free(struct vg__auth_cache *c)
{
    if (!c) return;
    pthread_mutex_destroy(&c->mu);
    sodium_memzero(c, sizeof *c);
    vg_free(c);
}

enum vg__auth_result vg__auth_parse_header(const char *hdr, const char **tok, size_t *toklen)
{
    *tok = NULL;
    *toklen = 0;
    if (!hdr) return VG__AUTH_MISSING;
    while (*hdr == ' ' || *hdr == '\t') hdr++;
    if (vg_strncasecmp_ascii(hdr, "Bearer", 6) != 0 || (hdr[6] != ' ' && hdr[6] != '\t')) return VG__AUTH_MALFORMED;
    const char *p = hdr + 6;
    while (*p == ' ' || *p == '\t') p++;
    const char *e = p;
    /* RFC 6750 b64token characters only; anything else is malformed. */
    while ((*e >= 'A' && *e <= 'Z') || (*e >= 'a' && *e <= 'z') || (*e >= '0' && *e <= '9') ||
           strchr("-._~+/=", *e) != NULL) {
        if (*e == 0) break;
        e++;
    }
    const char *t = e;
    while (*t == ' ' || *t == '\t') t++;
    if (e == p || *t != 0 || (size_t)(e - p) > 512) return VG__AUTH_MALFORMED;
    *tok = p;
    *toklen = (size_t)(e - p);
    return VG__AUTH_OK;
}

static enum vg__auth_result authorize(const struct vg_token_info *info, unsigned roles, struct vg__api_principal *who)
{
    memset(who, 0, sizeof *who);
    snprintf(who->token_id, sizeof who->token_id, "%s", info->id);
    snprintf(who->name, sizeof who->name, "%s", info->name);
    snprintf(who->tenant, sizeof who->tenant, "%s", info->tenant[0] ? info->tenant : "default");
    who->role = vg__api_role_bit(info->role);
    return (who->role & roles) ? VG__AUTH_OK : VG__AUTH_FORBIDDEN;
}

enum vg__auth_result vg__auth_check(struct vg__auth_cache *c, struct vg_store *store, const char *tok,
                                    size_t toklen, unsigned roles, struct vg__api_principal *who)
{
    uint8_t key[32];
    char secret[520];
    if (toklen == 0 || toklen >= sizeof secret) return VG__AUTH_INVALID;
    crypto_generichash(key, sizeof key, (const unsigned char *)tok, toklen, c->hkey, sizeof c->hkey);
    int64_t now = vg_mono_ns();
    struct vg_token_info info;
    bool hit = false;
    pthread_mutex_lock(&c->mu);
    for (size_t i = 0; i < CACHE_SLOTS; i++) {
        struct slot *s = &c->slots[i];
        /* Constant-time compare of every live slot: no early exit on a match. */
        bool live = s->expires > now;
        bool eq = sodium_memcmp(s->key, key, sizeof key) == 0;
        if (live && eq && !hit) { info = s->info; hit = true; }
    }
    pthread_mutex_unlock(&c->mu);
    if (hit) return authorize(&info, roles, who);
    if (!store || !store->ops->token_check) return VG__AUTH_UNAVAILABLE;

    memcpy(secret, tok, toklen);
    secret[toklen] = 0;
    struct vg_err err = VG_ERR_INIT;
    memset(&info, 0, sizeof info);
    int rc = store->ops->token_check(store, secret, &info, &err);
    sodium_memzero(secret, sizeof secret);
    if (rc == VG_EAUTH || rc == VG_ENOENT || rc == VG_EPERM || (rc == 0 && info.revoked != 0)) return VG__AUTH_INVALID;
    if (rc != 0) {
        vg_warn("api", "token check failed: %s", err.msg[0] ? err.msg : vg_strerror(rc));
        return VG__AUTH_UNAVAILABLE;
    }
    if (c->ttl > 0) {
        pthread_mutex_lock(&c->mu);
        size_t victim = c->next;
        for (size_t i = 0; i < CACHE_SLOTS; i++)
            if (c->slots[i].expires <= now || sodium_memcmp(c->slots[i].key, key, sizeof key) == 0) { victim = i; break; }
        if (victim == c->next) c->next = (c->next + 1) % CACHE_SLOTS;
        memcpy(c->slots[victim].key, key, sizeof key);
        c->slots[victim].info = info;
        c->slots[victim].expires = now + c->ttl;
        pthread_mutex_unlock(&c->mu);
    }
    return authorize(&info, roles, who);
}
