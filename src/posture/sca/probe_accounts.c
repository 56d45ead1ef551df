/* Probe accounts: properties of the root's /etc/passwd, /etc/shadow and
 * /etc/group - only root has UID 0, no empty password fields, passwords are
 * shadowed, accounts without a password hash are locked, system accounts
 * have no login shell, no duplicate ids or names, every primary group
 * exists, the shadow group is empty. Offenders are listed as evidence.
 * Part of src/posture/sca. */
#include "internal.h"

enum { A_CHECK, A_ALLOW };
#define CHECKS "uid0_only_root|gid0_only_root|no_empty_passwords|shadowed_passwords|locked_without_hash|" \
               "system_no_login_shell|unique_uids|unique_gids|unique_user_names|unique_group_names|" \
               "groups_exist|shadow_group_empty"
enum { C_UID0, C_GID0, C_EMPTY, C_SHADOWED, C_LOCKED, C_SYSSHELL, C_UIDS, C_GIDS, C_UNAMES, C_GNAMES, C_GROUPS, C_SHADOWGRP };
static const struct vg__sca_param params[] = {
    {"check", PT_ENUM, true, CHECKS, "which property to verify"},
    {"allow", PT_STRS, false, NULL, "account names exempt from the check"},
};

static bool allowed(const struct vg__sca_node *n, const char *name)
{
    const struct vg__sca_val *a = ARG(n, A_ALLOW);
    for (size_t i = 0; a->set && i < a->n; i++)
        if (strcmp(a->list[i], name) == 0) return true;
    return false;
}

static bool nologin(const char *sh)
{
    static const char *const no[] = {"", "/usr/sbin/nologin", "/sbin/nologin", "/bin/false", "/usr/bin/false"};
    for (size_t i = 0; i < VG_ARRAY_LEN(no); i++)
        if (strcmp(sh, no[i]) == 0) return true;
    return false;
}

static void offender(struct vg_buf *ev, size_t *count, const char *fmt, const char *name, long long v)
{
    if (++*count <= 10) vg__sca_ev(ev, fmt, name, v);
}

static enum vg_sca_status run(struct vg__sca_ctx *c, const struct vg__sca_node *n, struct vg_buf *ev)
{
    const struct vg__sca_user *u;
    const struct vg__sca_group *g;
    const struct vg__sca_shadow *sh = NULL;
    size_t nu, ng, ns = 0, bad = 0;
    int64_t what = ARG(n, A_CHECK)->i;
    if (vg__sca_db_passwd(c, &u, &nu)) { vg__sca_ev(ev, "%s", c->passwd.msg); return VG_SCA_ERROR; }
    if (what == C_GID0 || what == C_GIDS || what == C_GNAMES || what == C_GROUPS || what == C_SHADOWGRP) {
        if (vg__sca_db_group(c, &g, &ng)) { vg__sca_ev(ev, "%s", c->group.msg); return VG_SCA_ERROR; }
    } else {
        g = NULL;
        ng = 0;
    }
    if (what == C_EMPTY || what == C_LOCKED) {
        if (vg__sca_db_shadow(c, &sh, &ns)) { vg__sca_ev(ev, "%s", c->shadow.msg); return VG_SCA_ERROR; }
    }
    int64_t uid_min = 1000;
    if (what == C_SYSSHELL) {
        const struct vg__sca_kv *kv;
        size_t nkv;
        if (vg__sca_db_logindefs(c, &kv, &nkv) == 0) {
            const struct vg__sca_kv *h = vg__sca_kv_find(kv, nkv, "UID_MIN", false);
            int64_t v;
            if (h && vg_parse_i64(h->value, strlen(h->value), &v) == 0) uid_min = v;
        }
    }
    switch (what) {
    case C_UID0:
        for (size_t i = 0; i < nu; i++)
            if (u[i].uid == 0 && strcmp(u[i].name, "root") != 0 && !allowed(n, u[i].name))
                offender(ev, &bad, "%s has UID 0 (/etc/passwd line %lld)", u[i].name, u[i].line);
        break;
    case C_GID0:
        for (size_t i = 0; i < ng; i++)
            if (g[i].gid == 0 && strcmp(g[i].name, "root") != 0 && !allowed(n, g[i].name))
                offender(ev, &bad, "group %s has GID 0 (/etc/group line %lld)", g[i].name, g[i].line);
        break;
    case C_EMPTY:
        for (size_t i = 0; i < nu; i++)
            if (!*u[i].pw && !allowed(n, u[i].name)) offender(ev, &bad, "%s has an empty password in /etc/passwd (line %lld)", u[i].name, u[i].line);
        for (size_t i = 0; i < ns; i++)
            if (!*sh[i].hash && !allowed(n, sh[i].name)) offender(ev, &bad, "%s has an empty password in /etc/shadow (line %lld)", sh[i].name, sh[i].line);
        break;
    case C_SHADOWED:
        for (size_t i = 0; i < nu; i++)
            if (strcmp(u[i].pw, "x") != 0 && !allowed(n, u[i].name))
                offender(ev, &bad, "%s keeps its password in /etc/passwd (line %lld)", u[i].name, u[i].line);
        break;
    case C_LOCKED:
        for (size_t i = 0; i < ns; i++) {
            const char *h = sh[i].hash;
            if (h[0] == '$' || h[0] == '!' || h[0] == '*' || allowed(n, sh[i].name)) continue;
            offender(ev, &bad, "%s has neither a password hash nor a lock (/etc/shadow line %lld)", sh[i].name, sh[i].line);
        }
        break;
    case C_SYSSHELL:
        for (size_t i = 0; i < nu; i++) {
            const char *nm = u[i].name;
            if (u[i].uid >= uid_min && u[i].uid != 65534) continue;
            if (strcmp(nm, "root") == 0 || strcmp(nm, "sync") == 0 || strcmp(nm, "shutdown") == 0 ||
                strcmp(nm, "halt") == 0 || allowed(n, nm) || nologin(u[i].shell))
                continue;
            offender(ev, &bad, "system account %s has login shell (uid %lld)", nm, u[i].uid);
        }
        break;
    case C_UIDS: case C_UNAMES:
        for (size_t i = 0; i < nu; i++)
            for (size_t j = 0; j < i; j++)
                if (what == C_UIDS ? u[i].uid == u[j].uid : strcmp(u[i].name, u[j].name) == 0) {
                    if (what == C_UIDS) offender(ev, &bad, "%s shares UID %lld", u[i].name, u[i].uid);
                    else offender(ev, &bad, "user %s defined twice (line %lld)", u[i].name, u[i].line);
                    break;
                }
        break;
    case C_GIDS: case C_GNAMES:
        for (size_t i = 0; i < ng; i++)
            for (size_t j = 0; j < i; j++)
                if (what == C_GIDS ? g[i].gid == g[j].gid : strcmp(g[i].name, g[j].name) == 0) {
                    if (what == C_GIDS) offender(ev, &bad, "group %s shares GID %lld", g[i].name, g[i].gid);
                    else offender(ev, &bad, "group %s defined twice (line %lld)", g[i].name, g[i].line);
                    break;
                }
        break;
    case C_GROUPS:
        for (size_t i = 0; i < nu; i++) {
            bool found = false;
            for (size_t j = 0; j < ng && !found; j++) found = g[j].gid == u[i].gid;
            if (!found) offender(ev, &bad, "%s has primary GID %lld with no group", u[i].name, u[i].gid);
        }
        break;
    case C_SHADOWGRP:
        for (size_t j = 0; j < ng; j++) {
            if (strcmp(g[j].name, "shadow") != 0) continue;
            if (*g[j].members) offender(ev, &bad, "shadow group has members %s (line %lld)", g[j].members, g[j].line);
            for (size_t i = 0; i < nu; i++)
                if (u[i].gid == g[j].gid) offender(ev, &bad, "%s has shadow as primary group (gid %lld)", u[i].name, u[i].gid);
        }
        break;
    }
    if (bad > 10) vg__sca_ev(ev, "and %zu more", bad - 10);
    if (!bad) vg__sca_ev(ev, "%s: %zu accounts, no offenders", ARG(n, A_CHECK)->s, nu);
    return bad ? VG_SCA_FAIL : VG_SCA_PASS;
}

const struct vg__sca_probe vg__sca_probe_accounts = {
    .name = "accounts", .desc = "account database properties (passwd, shadow, group)", .params = params,
    .nparams = VG_ARRAY_LEN(params), .run = run};
