/* PROGRAM decoder for Linux-PAM module messages, which appear under many
 * syslog programs (sshd, su, sudo, login, cron, gdm, systemd-user ...):
 *   pam_unix(sshd:auth): authentication failure; logname= uid=0 ... user=x
 *   pam_unix(su:session): session opened for user root(uid=0) by bob(uid=1000)
 * and the old "su(pam_unix)[pid]: check pass; user unknown" form where the
 * module sits in the syslog tag (dec_rfc3164.c adds pam.module). The chain
 * in decode.c calls it for every message starting with "pam_". */
#include "internal.h"
#include "textscan.h"

enum {
    F_MODULE, F_SERVICE, F_TYPE, F_LOGNAME, F_UID, F_EUID, F_TTY, F_RUSER, F_RHOST, F_USER, F_BY, F_BY_UID,
    F_COUNT, F_SOURCE_DOMAIN, F_USER_ID,
};
static const char *const fnames[] = {
    "pam.module", "pam.service", "pam.type", "pam.logname", "pam.uid", "pam.euid", "pam.tty", "pam.ruser",
    "pam.rhost", "pam.user", "pam.by", "pam.by_uid", "pam.count", "source.domain", "user.id",
};
static uint32_t fids[VG_ARRAY_LEN(fnames)];
static struct vg__fidtab ftab = VG_FIDTAB(fnames, fids);

/* "key=value" list of pam_unix/pam_sss failure lines. */
static int add_auth_kv(struct vg_event *ev, const char *p, const char *end)
{
    static const struct { const char *k; int f; } keys[] = {
        {"logname", F_LOGNAME}, {"uid", F_UID}, {"euid", F_EUID}, {"tty", F_TTY},
        {"ruser", F_RUSER},     {"rhost", F_RHOST}, {"user", F_USER},
    };
    struct vg__kv kv;
    int rc = 0;
    for (int guard = 0; rc == 0 && guard < 32 && vg__ts_kv_next(&p, end, ' ', &kv); guard++) {
        if (!kv.has_eq) continue;
        for (size_t i = 0; i < VG_ARRAY_LEN(keys); i++) {
            if (strlen(keys[i].k) != kv.klen || memcmp(keys[i].k, kv.k, kv.klen) != 0) continue;
            if (vg_event_get(ev, fids[keys[i].f])) break;
            rc = vg_event_add_str(ev, fids[keys[i].f], VG_FF_SOURCE, kv.v, kv.vlen);
            if (rc == 0 && kv.vlen && keys[i].f == F_USER)
                rc = vg__ts_add_once(ev, VG_FID_USER_NAME, VG_FF_ECS, kv.v, kv.vlen);
            if (rc == 0 && kv.vlen && keys[i].f == F_RHOST && !vg_event_get(ev, VG_FID_SOURCE_IP))
                rc = vg__ts_add_ip_or(ev, VG_FID_SOURCE_IP, fids[F_SOURCE_DOMAIN], kv.v, kv.vlen);
            break;
        }
    }
    return rc;
}

/* "name(uid=N)" or "name" or "(uid=N)": adds name/uid fields. */
static int add_user_uid(struct vg_event *ev, const char *p, const char *end, uint32_t name_fid, uint32_t uid_fid)
{
    const char *paren = memchr(p, '(', (size_t)(end - p));
    const char *ne = paren ? paren : end;
    int rc = 0;
    if (ne > p) rc = vg__ts_add_once(ev, name_fid, name_fid == VG_FID_USER_NAME ? VG_FF_ECS : VG_FF_SOURCE, p, (size_t)(ne - p));
    if (rc == 0 && paren && ts_starts(paren, end, "(uid=")) {
        const char *u = paren + 5, *ue = u;
        while (ue < end && *ue >= '0' && *ue <= '9') ue++;
        if (ue > u) rc = vg__ts_add_once(ev, uid_fid, uid_fid == fids[F_USER_ID] ? VG_FF_ECS : VG_FF_SOURCE, u, (size_t)(ue - u));
    }
    return rc;
}

static int decode(struct vg_event *ev, const char *buf, size_t len, struct vg_err *err)
{
    const char *p = buf, *end = ts_rtrim(buf, buf + len);
    const char *mod = NULL, *svc = NULL, *typ = NULL;
    size_t modl = 0, svcl = 0, typl = 0;
    int rc = 0;
    ts_fids(&ftab);
    if (ts_starts(p, end, "pam_")) {
        const char *q = p;
        while (q < end && *q != '(' && *q != ':' && *q != ' ' && q - p < 64) q++;
        if (q >= end || (*q != '(' && *q != ':')) return vg_err_set(err, VG_EPARSE, "pam: no module envelope");
        mod = p;
        modl = (size_t)(q - p);
        if (*q == '(') {
            const char *c = memchr(q, ')', (size_t)(end - q) < 128 ? (size_t)(end - q) : 128);
            if (!c) return vg_err_set(err, VG_EPARSE, "pam: unterminated (service:type)");
            const char *colon = memchr(q, ':', (size_t)(c - q));
            svc = q + 1;
            svcl = (size_t)((colon ? colon : c) - svc);
            if (colon) { typ = colon + 1; typl = (size_t)(c - typ); }
            q = c + 1;
        }
        if (q >= end || *q != ':') return vg_err_set(err, VG_EPARSE, "pam: expected ':' after module");
        p = ts_skip_sp(q + 1, end);
    } else if (!vg_event_get(ev, fids[F_MODULE])) {
        return vg_err_set(err, VG_EPARSE, "pam: not a PAM message");
    }

    const char *action = NULL, *outcome = NULL, *category = "authentication";
    const char *q;
    if (ts_starts(p, end, "authentication failure;")) {
        action = "pam_authentication_failure"; outcome = "failure";
        rc = add_auth_kv(ev, p + 23, end);
    } else if (ts_starts(p, end, "authentication success;")) {
        action = "pam_authentication_success"; outcome = "success";
        rc = add_auth_kv(ev, p + 23, end);
    } else if (p < end && *p >= '0' && *p <= '9' && (q = vg__ts_find(p, end, " more authentication failure")) != NULL &&
               q - p < 12) {
        action = "pam_authentication_failure"; outcome = "failure";
        rc = vg__ts_add_int(ev, fids[F_COUNT], VG_FF_SOURCE, p, (size_t)(q - p));
        const char *semi = memchr(q, ';', (size_t)(end - q));
        if (rc == 0 && semi) rc = add_auth_kv(ev, semi + 1, end);
    } else if (ts_starts(p, end, "check pass; user unknown")) {
        action = "pam_user_unknown"; outcome = "failure";
    } else if (ts_starts(p, end, "session opened for user ")) {
        action = "session_opened"; outcome = "success"; category = "session";
        const char *u = p + 24, *by = vg__ts_find(u, end, " by ");
        const char *ue = by ? by : ts_tok_end(u, end);
        rc = add_user_uid(ev, u, ue, VG_FID_USER_NAME, fids[F_USER_ID]);
        if (rc == 0 && by) {
            const char *b = by + 4, *be = ts_tok_end(b, end);
            rc = add_user_uid(ev, b, be, fids[F_BY], fids[F_BY_UID]);
        }
    } else if (ts_starts(p, end, "session closed for user ")) {
        action = "session_closed"; outcome = "success"; category = "session";
        const char *u = p + 24;
        rc = add_user_uid(ev, u, ts_tok_end(u, end), VG_FID_USER_NAME, fids[F_USER_ID]);
    } else if (ts_starts(p, end, "password changed for ")) {
        action = "password_changed"; outcome = "success"; category = "iam";
        const char *u = p + 21;
        rc = vg_event_add_str(ev, VG_FID_USER_NAME, VG_FF_ECS, u, (size_t)(ts_tok_end(u, end) - u));
    } else if ((q = vg__ts_find(p, end, "login failures for user ")) != NULL) {
        /* pam_faillock: "Consecutive login failures for user root account temporarily locked" */
        action = "pam_account_locked"; outcome = "failure";
        const char *u = q + 24;
        rc = vg_event_add_str(ev, VG_FID_USER_NAME, VG_FF_ECS, u, (size_t)(ts_tok_end(u, end) - u));
    } else if (ts_starts(p, end, "user ") && vg__ts_find(p, end, " tally ")) {
        /* pam_tally2: "user root (0) tally 4, deny 3" */
        action = "pam_account_locked"; outcome = "failure";
        const char *u = p + 5;
        rc = vg_event_add_str(ev, VG_FID_USER_NAME, VG_FF_ECS, u, (size_t)(ts_tok_end(u, end) - u));
    } else if ((ts_starts(p, end, "auth could not identify password for [") ||
                ts_starts(p, end, "bad username ["))) {
        action = "pam_user_unknown"; outcome = "failure";
        const char *u = memchr(p, '[', (size_t)(end - p)) + 1, *ue = memchr(u, ']', (size_t)(end - u));
        if (ue) rc = vg_event_add_str(ev, VG_FID_USER_NAME, VG_FF_ECS, u, (size_t)(ue - u));
    } else if (ts_starts(p, end, "account ") && vg__ts_find(p, end, " has expired")) {
        action = "pam_account_expired"; outcome = "failure";
        const char *u = p + 8;
        rc = vg_event_add_str(ev, VG_FID_USER_NAME, VG_FF_ECS, u, (size_t)(ts_tok_end(u, end) - u));
    } else if ((q = vg__ts_find(p, end, "not met by user \"")) != NULL) {
        action = "pam_requirement_not_met"; outcome = "failure";
        const char *u = q + 17, *ue = memchr(u, '"', (size_t)(end - u));
        if (ue) rc = vg_event_add_str(ev, VG_FID_USER_NAME, VG_FF_ECS, u, (size_t)(ue - u));
    } else if (mod) {
        action = "pam_message"; outcome = NULL; /* envelope understood, text free-form */
    } else {
        return vg_err_set(err, VG_EPARSE, "pam: unknown message");
    }
    if (rc == 0 && mod) rc = vg__ts_add_once(ev, fids[F_MODULE], VG_FF_SOURCE, mod, modl);
    if (rc == 0 && svcl) rc = vg_event_add_str(ev, fids[F_SERVICE], VG_FF_SOURCE, svc, svcl);
    if (rc == 0 && typl) rc = vg_event_add_str(ev, fids[F_TYPE], VG_FF_SOURCE, typ, typl);
    if (rc == 0) rc = vg__ts_action(ev, action, category, outcome);
    if (rc) vg_err_set(err, rc, "pam: cannot add fields");
    return rc;
}

const struct vg_decoder vg_dec_pam = {
    .name = "pam",
    .desc = "Linux-PAM module messages (pam_unix, pam_sss, pam_faillock ...) under any program",
    .kind = VG_DEC_PROGRAM,
    .programs = (const char *const[]){"pam", NULL},
    .decode = decode,
};
