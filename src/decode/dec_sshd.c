/* PROGRAM decoder for OpenSSH sshd messages (sshd, sshd-session): logins
 * (Accepted/Failed/Postponed <method> for [invalid user] U from IP port P),
 * invalid users, connection closed/reset/disconnected, reverse-mapping
 * warnings, max-auth-exceeded, negotiation errors and the other messages
 * seen in auth logs. PAM lines under sshd go to dec_pam.c via the chain.
 * Maps to ECS (user.name, source.ip/port, event.action/outcome/category)
 * and keeps sshd.* source fields (method, stage, key type, reason ...). */
#include "internal.h"
#include "textscan.h"

enum { F_METHOD, F_STAGE, F_LEVEL, F_INVALID, F_KEYTYPE, F_FPR, F_REASON, F_PROTO, F_SRC_ADDR, F_SRC_DOMAIN,
       F_COUNT, F_SUBSYS };
static const char *const fnames[] = {"sshd.method", "sshd.stage", "sshd.level", "sshd.invalid_user",
                                     "sshd.key_type", "sshd.fingerprint", "sshd.reason", "sshd.protocol",
                                     "source.address", "source.domain", "sshd.count", "sshd.subsystem"};
static uint32_t fids[VG_ARRAY_LEN(fnames)];
static struct vg__fidtab ftab = VG_FIDTAB(fnames, fids);

struct ctx {
    struct vg_event *ev;
    const char *end;
    int rc;
};

static void add_src(struct ctx *c, uint32_t fid, const char *s, size_t n)
{
    if (c->rc == 0 && n) c->rc = vg_event_add_str(c->ev, fid, VG_FF_SOURCE, s, n);
}

static void add_user(struct ctx *c, const char *s, const char *e)
{
    if (c->rc == 0 && e > s && !vg_event_get(c->ev, VG_FID_USER_NAME))
        c->rc = vg_event_add_str(c->ev, VG_FID_USER_NAME, VG_FF_ECS, s, (size_t)(e - s));
}

/* Address token at p ("1.2.3.4", "1.2.3.4:", "::1", a host name). Adds
 * source.ip when it is an address, source.address otherwise. Returns the
 * end of the token. */
static const char *add_addr(struct ctx *c, const char *p)
{
    const char *e = p;
    while (e < c->end && *e != ' ' && *e != '\t' && *e != ',' && *e != ']' && *e != ')') e++;
    const char *t = e;
    if (t > p && t[-1] == ':') t--;
    if (t > p && t[-1] == '.') t--; /* "Server listening on 0.0.0.0 port 22." */
    if (c->rc || t == p || vg_event_get(c->ev, VG_FID_SOURCE_IP)) return e;
    if (vg__ts_is_ip(p, (size_t)(t - p))) {
        c->rc = vg_event_add_ip(c->ev, VG_FID_SOURCE_IP, VG_FF_ECS, p, (size_t)(t - p));
    } else {
        const char *colon = memchr(p, ':', (size_t)(t - p));
        if (colon && vg__ts_is_ip(p, (size_t)(colon - p)))
            c->rc = vg_event_add_ip(c->ev, VG_FID_SOURCE_IP, VG_FF_ECS, p, (size_t)(colon - p));
        else
            c->rc = vg_event_add_str(c->ev, fids[F_SRC_ADDR], VG_FF_ECS, p, (size_t)(t - p));
    }
    return e;
}

/* " port N" at p: adds source.port. */
static const char *add_port(struct ctx *c, const char *p)
{
    if (!ts_starts(p, c->end, " port ")) return p;
    const char *n = p + 6, *e = n;
    while (e < c->end && *e >= '0' && *e <= '9') e++;
    if (c->rc == 0 && e > n && !vg_event_get(c->ev, VG_FID_SOURCE_PORT))
        c->rc = vg__ts_add_int(c->ev, VG_FID_SOURCE_PORT, VG_FF_ECS, n, (size_t)(e - n));
    return e;
}

/* "[invalid user |illegal user ]U from ADDR[ port P]" (U may hold spaces
 * or be empty: the last " from " ends it). */
static bool user_from(struct ctx *c, const char *p, const char *end)
{
    const char *from = vg__ts_rfind(p, end, " from ");
    if (!from && ts_starts(p, end, "from ")) from = p - 1; /* empty user */
    if (!from) return false;
    if (ts_starts(p, from, "invalid user ") || ts_starts(p, from + 1, "invalid user")) {
        add_src(c, fids[F_INVALID], "true", 4);
        p += ts_starts(p, from, "invalid user ") ? 13 : 12;
    } else if (ts_starts(p, from, "illegal user ") || ts_starts(p, from + 1, "illegal user")) {
        add_src(c, fids[F_INVALID], "true", 4);
        p += ts_starts(p, from, "illegal user ") ? 13 : 12;
    }
    if (p < from) add_user(c, p, from);
    const char *a = add_addr(c, from + 6);
    add_port(c, a);
    return true;
}

/* "[authenticating |invalid ]user U ADDR port P" or "ADDR[ port P]". */
static void user_addr(struct ctx *c, const char *p)
{
    const char *end = c->end;
    if (ts_starts(p, end, "authenticating user ")) p += 20;
    else if (ts_starts(p, end, "invalid user ")) { add_src(c, fids[F_INVALID], "true", 4); p += 13; }
    else if (ts_starts(p, end, "user ")) p += 5;
    else { add_port(c, add_addr(c, p)); return; }
    /* the user name may hold spaces: ADDR is the token before " port " */
    const char *port = vg__ts_rfind(p, end, " port ");
    const char *a = NULL;
    if (port) {
        a = port;
        while (a > p && a[-1] != ' ') a--;
    } else {
        a = ts_tok_end(p, end);
        a = ts_skip_sp(a, end);
    }
    if (a > p) add_user(c, p, a - 1);
    if (a < end) add_port(c, add_addr(c, a));
}

static int decode(struct vg_event *ev, const char *buf, size_t len, struct vg_err *err)
{
    const char *p = buf, *end = ts_rtrim(buf, buf + len), *q;
    struct ctx c = {ev, end, 0};
    const char *action = NULL, *cat = "authentication", *outcome = NULL;
    const char *level = NULL;
    size_t levell = 0;
    ts_fids(&ftab);
    /* trailing " [preauth]" / " [net]" stage marker */
    const char *stage = NULL;
    size_t stagel = 0;
    if (end > p && end[-1] == ']') {
        const char *lb = vg__ts_rfind(p, end, " [");
        bool word = lb && end - lb <= 16 && end - lb > 3;
        for (const char *s = lb ? lb + 2 : end; word && s < end - 1; s++) word = *s >= 'a' && *s <= 'z';
        if (word) { stage = lb + 2; stagel = (size_t)(end - 1 - stage); end = lb; c.end = end; }
    }
    if (ts_starts(p, end, "error: ") || ts_starts(p, end, "fatal: ")) {
        level = p; levell = 5; p += 7;
    } else if (ts_starts(p, end, "debug1: ") || ts_starts(p, end, "debug2: ") || ts_starts(p, end, "debug3: ")) {
        level = p; levell = 6; p += 8;
    }

    if (ts_starts(p, end, "Accepted ") || ts_starts(p, end, "Failed ") || ts_starts(p, end, "Postponed ") ||
        ts_starts(p, end, "Partial ")) {
        const char *m = memchr(p, ' ', (size_t)(end - p)) + 1, *me = ts_tok_end(m, end);
        if (!ts_starts(me, end, " for ")) goto unknown;
        const char *tail = vg__ts_rfind(me, end, " port ");
        const char *uend = tail ? tail : end;
        if (!user_from(&c, me + 5, uend)) goto unknown;
        if (tail) {
            const char *t = tail + 6;
            while (t < end && *t >= '0' && *t <= '9') t++;
            t = ts_skip_sp(t, end);
            const char *pe = ts_tok_end(t, end);
            if (pe > t && pe[-1] == ':') pe--;
            if (pe > t) add_src(&c, fids[F_PROTO], t, (size_t)(pe - t));
            const char *colon = memchr(t, ':', (size_t)(end - t));
            if (colon && colon + 2 < end) { /* ": RSA SHA256:xxxx" */
                const char *kt = ts_skip_sp(colon + 1, end), *kte = ts_tok_end(kt, end);
                add_src(&c, fids[F_KEYTYPE], kt, (size_t)(kte - kt));
                const char *fp = ts_skip_sp(kte, end), *fpe = ts_tok_end(fp, end);
                add_src(&c, fids[F_FPR], fp, (size_t)(fpe - fp));
            }
        }
        add_src(&c, fids[F_METHOD], m, (size_t)(me - m)); /* e.g. "keyboard-interactive/pam" */
        action = "ssh_login";
        outcome = *p == 'A' ? "success" : (*p == 'F' ? "failure" : NULL);
        if (*p == 'P' && p[1] == 'o') action = "ssh_login_postponed";
        if (*p == 'P' && p[1] == 'a') action = "ssh_login_partial";
    } else if (ts_starts(p, end, "Invalid user ") || ts_starts(p, end, "Illegal user ")) {
        add_src(&c, fids[F_INVALID], "true", 4);
        if (!user_from(&c, p + 13, end)) {
            if (p + 13 < end) add_user(&c, p + 13, end);
        }
        action = "ssh_invalid_user"; outcome = "failure";
    } else if (ts_starts(p, end, "input_userauth_request: invalid user ")) {
        add_src(&c, fids[F_INVALID], "true", 4);
        add_user(&c, p + 37, end);
        action = "ssh_invalid_user"; outcome = "failure";
    } else if (ts_starts(p, end, "Connection closed by ")) {
        user_addr(&c, p + 21);
        action = "ssh_connection_closed"; cat = "network";
    } else if (ts_starts(p, end, "Connection reset by ")) {
        user_addr(&c, p + 20);
        action = "ssh_connection_reset"; cat = "network";
    } else if (ts_starts(p, end, "Disconnected from ")) {
        user_addr(&c, p + 18);
        action = "ssh_disconnected"; cat = "network";
    } else if (ts_starts(p, end, "Disconnecting ") && !ts_starts(p, end, "Disconnecting: ")) {
        const char *colon = vg__ts_rfind(p, end, ": ");
        if (colon) { add_src(&c, fids[F_REASON], colon + 2, (size_t)(end - colon - 2)); c.end = colon; }
        user_addr(&c, p + 14);
        c.end = end;
        action = "ssh_disconnecting"; cat = "network";
    } else if (ts_starts(p, end, "Disconnecting: ")) {
        add_src(&c, fids[F_REASON], p + 15, (size_t)(end - p - 15));
        if ((q = vg__ts_find(p, end, "authentication failures for ")) != NULL) {
            const char *u = q + 28;
            if (ts_starts(u, end, "invalid user ")) { add_src(&c, fids[F_INVALID], "true", 4); u += 13; }
            add_user(&c, u, ts_tok_end(u, end));
            outcome = "failure";
        }
        action = "ssh_disconnecting"; cat = "network";
    } else if (ts_starts(p, end, "Received disconnect from ")) {
        const char *a = add_addr(&c, p + 25);
        a = add_port(&c, a);
        if (a < end && *a == ':') a++;
        a = ts_skip_sp(a, end);
        add_src(&c, fids[F_REASON], a, (size_t)(end - a));
        action = "ssh_disconnect_received"; cat = "network";
    } else if (ts_starts(p, end, "reverse mapping checking getaddrinfo for ")) {
        const char *h = p + 41, *he = ts_tok_end(h, end);
        add_src(&c, fids[F_SRC_DOMAIN], h, (size_t)(he - h));
        const char *lb = memchr(he, '[', (size_t)(end - he));
        if (lb) add_addr(&c, lb + 1);
        action = "ssh_reverse_mapping_failed"; cat = "network";
    } else if (ts_starts(p, end, "Address ") && vg__ts_find(p, end, " maps to ")) {
        const char *a = add_addr(&c, p + 8);
        const char *h = a + 9, *he = h;
        while (he < end && *he != ',' && *he != ' ') he++;
        if (ts_starts(a, end, " maps to ")) add_src(&c, fids[F_SRC_DOMAIN], h, (size_t)(he - h));
        action = "ssh_reverse_mapping_failed"; cat = "network";
    } else if (ts_starts(p, end, "maximum authentication attempts exceeded for ")) {
        user_from(&c, p + 45, end);
        action = "ssh_max_auth_exceeded"; outcome = "failure";
    } else if (ts_starts(p, end, "Did not receive identification string from ")) {
        add_port(&c, add_addr(&c, p + 43));
        action = "ssh_no_identification"; cat = "network";
    } else if (ts_starts(p, end, "Bad protocol version identification ")) {
        if ((q = vg__ts_rfind(p, end, " from ")) != NULL) add_port(&c, add_addr(&c, q + 6));
        action = "ssh_bad_protocol_version"; cat = "network";
    } else if (ts_starts(p, end, "User ") && (q = vg__ts_find(p, end, " not allowed because ")) != NULL) {
        const char *from = vg__ts_rfind(p, q, " from ");
        if (from) { add_user(&c, p + 5, from); add_addr(&c, from + 6); }
        else add_user(&c, p + 5, q);
        add_src(&c, fids[F_REASON], q + 21, (size_t)(end - q - 21));
        action = "ssh_user_not_allowed"; outcome = "failure";
    } else if (ts_starts(p, end, "PAM: ")) {
        const char *f = vg__ts_rfind(p, end, " for ");
        if (f) user_from(&c, f + 5, end);
        add_src(&c, fids[F_REASON], p + 5, (size_t)((f ? f : end) - p - 5));
        action = "ssh_pam_failure"; outcome = "failure";
    } else if (ts_starts(p, end, "PAM ") && p + 4 < end && p[4] >= '0' && p[4] <= '9' &&
               vg__ts_find(p, end, " more authentication failure")) {
        const char *n = p + 4, *ne = n;
        while (ne < end && *ne >= '0' && *ne <= '9') ne++;
        if (c.rc == 0) c.rc = vg__ts_add_int(ev, fids[F_COUNT], VG_FF_SOURCE, n, (size_t)(ne - n));
        if ((q = vg__ts_find(p, end, "rhost=")) != NULL) {
            const char *h = q + 6, *he = ts_tok_end(h, end);
            if (he > h && c.rc == 0) c.rc = vg__ts_add_ip_or(ev, VG_FID_SOURCE_IP, fids[F_SRC_DOMAIN], h, (size_t)(he - h));
        }
        if ((q = vg__ts_find(p, end, " user=")) != NULL) add_user(&c, q + 6, ts_tok_end(q + 6, end));
        action = "ssh_pam_failures"; outcome = "failure";
    } else if (ts_starts(p, end, "PAM service(")) {
        action = "ssh_pam_max_retries"; outcome = "failure";
    } else if (ts_starts(p, end, "Unable to negotiate with ")) {
        add_port(&c, add_addr(&c, p + 25));
        const char *colon = vg__ts_find(p + 25, end, ": ");
        if (colon) add_src(&c, fids[F_REASON], colon + 2, (size_t)(end - colon - 2));
        action = "ssh_negotiation_failed"; cat = "network"; outcome = "failure";
    } else if (ts_starts(p, end, "Unable to negotiate")) {
        action = "ssh_negotiation_failed"; cat = "network"; outcome = "failure";
    } else if (ts_starts(p, end, "Read error from remote host ")) {
        add_port(&c, add_addr(&c, p + 28));
        action = "ssh_read_error"; cat = "network";
    } else if (ts_starts(p, end, "refused connect from ")) {
        const char *h = p + 21, *he = ts_tok_end(h, end);
        const char *lp = memchr(he, '(', (size_t)(end - he));
        if (lp) {
            add_addr(&c, lp + 1);
            if (!vg__ts_is_ip(h, (size_t)(he - h))) add_src(&c, fids[F_SRC_DOMAIN], h, (size_t)(he - h));
        } else {
            add_addr(&c, h);
        }
        action = "ssh_connection_refused"; cat = "network"; outcome = "failure";
    } else if (ts_starts(p, end, "Connection from ")) {
        const char *a = add_port(&c, add_addr(&c, p + 16));
        if (ts_starts(a, end, " on ")) {
            const char *d = a + 4, *de = ts_tok_end(d, end);
            if (c.rc == 0 && vg__ts_is_ip(d, (size_t)(de - d)))
                c.rc = vg_event_add_ip(ev, VG_FID_DESTINATION_IP, VG_FF_ECS, d, (size_t)(de - d));
            if (ts_starts(de, end, " port ")) {
                const char *n = de + 6, *ne = n;
                while (ne < end && *ne >= '0' && *ne <= '9') ne++;
                if (c.rc == 0) c.rc = vg__ts_add_int(ev, VG_FID_DESTINATION_PORT, VG_FF_ECS, n, (size_t)(ne - n));
            }
        }
        action = "ssh_connection"; cat = "network";
    } else if (ts_starts(p, end, "Server listening on ")) {
        action = "ssh_server_listening"; cat = "process";
    } else if (ts_starts(p, end, "Received signal ")) {
        action = "ssh_server_stopped"; cat = "process";
    } else if (ts_starts(p, end, "Timeout, client not responding")) {
        if ((q = vg__ts_find(p, end, " from ")) != NULL) user_addr(&c, q + 6);
        action = "ssh_timeout"; cat = "network";
    } else if (ts_starts(p, end, "Starting session: ") || ts_starts(p, end, "Close session: ")) {
        if ((q = vg__ts_rfind(p, end, " for ")) != NULL && *p == 'S') user_from(&c, q + 5, end);
        else if ((q = vg__ts_find(p, end, "user ")) != NULL) user_from(&c, q + 5, end);
        action = *p == 'S' ? "ssh_session_started" : "ssh_session_closed"; cat = "session";
    } else if (ts_starts(p, end, "subsystem request for ")) {
        const char *s = p + 22, *se = ts_tok_end(s, end);
        add_src(&c, fids[F_SUBSYS], s, (size_t)(se - s));
        if ((q = vg__ts_find(se, end, " by user ")) != NULL) {
            const char *u = q + 9, *ue = ts_tok_end(u, end);
            add_user(&c, u, ue);
        }
        outcome = vg__ts_find(se, end, " failed") ? "failure" : NULL;
        action = "ssh_subsystem_request"; cat = "process";
    } else if (ts_starts(p, end, "Authentication refused: ")) {
        add_src(&c, fids[F_REASON], p + 24, (size_t)(end - p - 24));
        action = "ssh_auth_refused"; outcome = "failure";
    } else if (ts_starts(p, end, "Corrupted MAC on input") || ts_starts(p, end, "Bad packet length ") ||
               ts_starts(p, end, "Protocol major versions differ") || ts_starts(p, end, "ssh_dispatch_run_fatal")) {
        action = "ssh_protocol_error"; cat = "network";
    } else if (ts_starts(p, end, "Transferred: ")) {
        action = "ssh_transferred"; cat = "network";
    } else if (level) {
        /* other "error:", "fatal:", "debug1:" lines: the level is the class */
        const char *f = vg__ts_find(p, end, " from ");
        if (f && f + 6 < end) {
            const char *a = f + 6, *ae = ts_tok_end(a, end);
            if (ae > a && ae[-1] == ':') ae--;
            if (vg__ts_is_ip(a, (size_t)(ae - a))) add_port(&c, add_addr(&c, a));
        }
        action = level[0] == 'e' ? "ssh_error" : level[0] == 'f' ? "ssh_fatal" : "ssh_debug";
        cat = "process";
    } else {
        goto unknown;
    }
    if (level) add_src(&c, fids[F_LEVEL], level, levell);
    if (stage) add_src(&c, fids[F_STAGE], stage, stagel);
    if (c.rc == 0) c.rc = vg__ts_action(ev, action, cat, outcome);
    if (c.rc) vg_err_set(err, c.rc, "sshd: cannot add fields");
    return c.rc;
unknown:
    return vg_err_set(err, VG_EPARSE, "sshd: unrecognised message");
}

const struct vg_decoder vg_dec_sshd = {
    .name = "sshd",
    .desc = "OpenSSH sshd: logins, invalid users, disconnects, break-in warnings, negotiation errors",
    .kind = VG_DEC_PROGRAM,
    .programs = (const char *const[]){"sshd", "sshd-session", "sshd-auth", NULL},
    .decode = decode,
};
