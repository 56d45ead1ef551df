/* PROGRAM decoder for su(1) lines from util-linux, shadow and BSD su:
 *   (to root) alice on pts/0            FAILED SU (to root) alice on pts/0
 *   Successful su for root by alice     FAILED su for root by alice
 *   + pts/0 alice:root   - pts/0 alice:root
 *   BAD SU alice to root on /dev/ttyp0  alice to root on /dev/ttyp1
 *   failed: ttyq4 changing from alice to root
 * ECS: user.name (who ran su), user.target.name (whom they became),
 * event.action "su_switch_user", event.outcome; source names su.*. */
#include "internal.h"
#include "textscan.h"

enum { F_TTY };
static const char *const fnames[] = {"su.tty"};
static uint32_t fids[VG_ARRAY_LEN(fnames)];
static struct vg__fidtab ftab = VG_FIDTAB(fnames, fids);

struct su { const char *user, *ue, *target, *te, *tty, *ttye; bool ok; };

static bool tok(const char **p, const char *end, const char **s, const char **e)
{
    *s = ts_skip_sp(*p, end);
    *e = ts_tok_end(*s, end);
    *p = *e;
    return *e > *s;
}

static int decode(struct vg_event *ev, const char *buf, size_t len, struct vg_err *err)
{
    const char *p = ts_skip_sp(buf, buf + len), *end = ts_rtrim(buf, buf + len), *q;
    struct su s;
    memset(&s, 0, sizeof s);
    ts_fids(&ftab);
    s.ok = true;
    if (ts_starts(p, end, "FAILED SU ")) { s.ok = false; p += 10; }
    if (ts_starts(p, end, "(to ")) {
        /* "(to root) alice on pts/0" */
        const char *c = memchr(p, ')', (size_t)(end - p));
        if (!c) goto unknown;
        s.target = p + 4; s.te = c;
        p = c + 1;
        if (!tok(&p, end, &s.user, &s.ue)) goto unknown;
        if (ts_starts(p, end, " on ")) { p += 4; tok(&p, end, &s.tty, &s.ttye); }
    } else if (ts_starts(p, end, "Successful su for ") || ts_starts(p, end, "FAILED su for ")) {
        s.ok = *p == 'S';
        p += s.ok ? 18 : 14;
        if (!tok(&p, end, &s.target, &s.te)) goto unknown;
        if (!ts_starts(p, end, " by ")) goto unknown;
        p += 4;
        tok(&p, end, &s.user, &s.ue);
    } else if ((ts_starts(p, end, "+ ") || ts_starts(p, end, "- ")) && (q = memchr(p, ':', (size_t)(end - p)))) {
        /* "+ pts/0 alice:root" */
        s.ok = *p == '+';
        p += 2;
        tok(&p, end, &s.tty, &s.ttye);
        const char *u = ts_skip_sp(p, end), *ue = ts_tok_end(u, end);
        const char *colon = memchr(u, ':', (size_t)(ue - u));
        if (!colon) goto unknown;
        s.user = u; s.ue = colon; s.target = colon + 1; s.te = ue;
    } else if (ts_starts(p, end, "failed: ") && (q = vg__ts_find(p, end, " changing from ")) != NULL) {
        s.ok = false;
        s.tty = p + 8; s.ttye = q;
        p = q + 15;
        tok(&p, end, &s.user, &s.ue);
        if (ts_starts(p, end, " to ")) { p += 4; tok(&p, end, &s.target, &s.te); }
    } else {
        /* "[BAD SU ]alice to root on /dev/ttyp0" */
        if (ts_starts(p, end, "BAD SU ")) { s.ok = false; p += 7; }
        if (!tok(&p, end, &s.user, &s.ue) || !ts_starts(p, end, " to ")) goto unknown;
        p += 4;
        if (!tok(&p, end, &s.target, &s.te)) goto unknown;
        if (!ts_starts(p, end, " on ") && p != end) goto unknown;
        if (p < end) { p += 4; tok(&p, end, &s.tty, &s.ttye); }
    }
    int rc = 0;
    if (s.ue > s.user) rc = vg_event_add_str(ev, VG_FID_USER_NAME, VG_FF_ECS, s.user, (size_t)(s.ue - s.user));
    if (!rc && s.te > s.target) rc = vg_event_add_str(ev, VG_FID_USER_TARGET_NAME, VG_FF_ECS, s.target, (size_t)(s.te - s.target));
    if (!rc && s.ttye > s.tty) rc = vg_event_add_str(ev, fids[F_TTY], VG_FF_SOURCE, s.tty, (size_t)(s.ttye - s.tty));
    if (!rc) rc = vg__ts_action(ev, "su_switch_user", "authentication", s.ok ? "success" : "failure");
    if (rc) vg_err_set(err, rc, "su: cannot add fields");
    return rc;
unknown:
    return vg_err_set(err, VG_EPARSE, "su: unrecognised message");
}

const struct vg_decoder vg_dec_su = {
    .name = "su",
    .desc = "su: user switches (to root), failed and successful su",
    .kind = VG_DEC_PROGRAM,
    .programs = (const char *const[]){"su", "su-l", NULL},
    .decode = decode,
};
