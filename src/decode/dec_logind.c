/* PROGRAM decoder for systemd-logind:
 *   New session 3 of user alice.        Removed session 3.
 *   Session 3 logged out. Waiting for processes to exit.
 *   New seat seat0.   Power key pressed.   System is rebooting.
 * ECS: user.name, event.action session_created / session_removed /
 * session_logout / seat_added / power_key / system_shutdown; source
 * name logind.session_id. */
#include "internal.h"
#include "textscan.h"

enum { F_SESSION, F_SEAT };
static const char *const fnames[] = {"logind.session_id", "logind.seat"};
static uint32_t fids[VG_ARRAY_LEN(fnames)];
static struct vg__fidtab ftab = VG_FIDTAB(fnames, fids);

static const char *word_end(const char *p, const char *end)
{
    const char *e = ts_tok_end(p, end);
    return (e > p && e[-1] == '.') ? e - 1 : e;
}

static int decode(struct vg_event *ev, const char *buf, size_t len, struct vg_err *err)
{
    const char *p = ts_skip_sp(buf, buf + len), *end = ts_rtrim(buf, buf + len), *q;
    const char *action, *category = "session", *outcome = NULL;
    int rc = 0;
    ts_fids(&ftab);
    if (ts_starts(p, end, "New session ") && (q = vg__ts_find(p + 12, end, " of user ")) != NULL) {
        rc = vg_event_add_str(ev, fids[F_SESSION], VG_FF_SOURCE, p + 12, (size_t)(q - p - 12));
        const char *u = q + 9;
        if (!rc) rc = vg_event_add_str(ev, VG_FID_USER_NAME, VG_FF_ECS, u, (size_t)(word_end(u, end) - u));
        action = "session_created"; outcome = "success";
    } else if (ts_starts(p, end, "Removed session ")) {
        const char *s = p + 16;
        rc = vg_event_add_str(ev, fids[F_SESSION], VG_FF_SOURCE, s, (size_t)(word_end(s, end) - s));
        action = "session_removed";
    } else if (ts_starts(p, end, "Session ") && (q = vg__ts_find(p + 8, end, " logged out")) != NULL) {
        rc = vg_event_add_str(ev, fids[F_SESSION], VG_FF_SOURCE, p + 8, (size_t)(q - p - 8));
        action = "session_logout";
    } else if (ts_starts(p, end, "New seat ")) {
        const char *s = p + 9;
        rc = vg_event_add_str(ev, fids[F_SEAT], VG_FF_SOURCE, s, (size_t)(word_end(s, end) - s));
        action = "seat_added"; category = "host";
    } else if (ts_starts(p, end, "Power key pressed") || ts_starts(p, end, "Power key pressed short")) {
        action = "power_key"; category = "host";
    } else if (ts_starts(p, end, "System is rebooting") || ts_starts(p, end, "System is powering down")) {
        action = "system_shutdown"; category = "host";
    } else {
        return vg_err_set(err, VG_EPARSE, "logind: unrecognised message");
    }
    if (!rc) rc = vg__ts_action(ev, action, category, outcome);
    if (rc) vg_err_set(err, rc, "logind: cannot add fields");
    return rc;
}

const struct vg_decoder vg_dec_logind = {
    .name = "logind",
    .desc = "systemd-logind: sessions created/removed/logged out, seats, power keys",
    .kind = VG_DEC_PROGRAM,
    .programs = (const char *const[]){"systemd-logind", NULL},
    .decode = decode,
};
