/* PROGRAM decoder for sudo's syslog lines:
 *   alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/ls -l
 *   alice : 3 incorrect password attempts ; TTY=... ; COMMAND=...
 *   alice : user NOT in sudoers ; TTY=... ; COMMAND=...
 *   alice : command not allowed ; ...
 * (pam_unix(sudo:...) lines go to dec_pam.c through the chain.) ECS:
 * user.name (invoking user), user.target.name (USER=), process.command_line,
 * process.executable, process.working_directory; source names sudo.*. */
#include "internal.h"
#include "textscan.h"

enum { F_TTY, F_PWD, F_USER, F_GROUP, F_COMMAND, F_ATTEMPTS, F_REASON, F_TSID, F_ENV, F_TARGET_GROUP };
static const char *const fnames[] = {"sudo.tty", "sudo.pwd", "sudo.user", "sudo.group", "sudo.command",
                                     "sudo.attempts", "sudo.reason", "sudo.tsid", "sudo.env", "group.name"};
static uint32_t fids[VG_ARRAY_LEN(fnames)];
static struct vg__fidtab ftab = VG_FIDTAB(fnames, fids);

static int decode(struct vg_event *ev, const char *buf, size_t len, struct vg_err *err)
{
    const char *p = ts_skip_sp(buf, buf + len), *end = ts_rtrim(buf, buf + len);
    ts_fids(&ftab);
    /* "user : " — the user name is one token followed by " : " */
    const char *ue = ts_tok_end(p, end);
    if (ue == p || !ts_starts(ue, end, " : ")) return vg_err_set(err, VG_EPARSE, "sudo: expected 'user : '");
    const char *rest = ue + 3;
    if (!vg__ts_find(rest, end, "COMMAND=") && !vg__ts_find(rest, end, "TTY="))
        return vg_err_set(err, VG_EPARSE, "sudo: no TTY=/COMMAND=");
    int rc = vg_event_add_str(ev, VG_FID_USER_NAME, VG_FF_ECS, p, (size_t)(ue - p));
    const char *action = "sudo_command", *outcome = "success";
    /* a free-text reason before the first KEY= item */
    if (!ts_starts(rest, end, "TTY=") && !ts_starts(rest, end, "PWD=") && !ts_starts(rest, end, "USER=")) {
        const char *semi = vg__ts_find(rest, end, " ; ");
        const char *re = semi ? semi : end;
        if (rc == 0) rc = vg_event_add_str(ev, fids[F_REASON], VG_FF_SOURCE, rest, (size_t)(re - rest));
        if (vg__ts_find(rest, re, "incorrect password attempt")) {
            action = "sudo_auth_failure";
            const char *n = rest, *ne = n;
            while (ne < re && *ne >= '0' && *ne <= '9') ne++;
            if (rc == 0) rc = vg__ts_add_int(ev, fids[F_ATTEMPTS], VG_FF_SOURCE, n, (size_t)(ne - n));
        } else if (vg__ts_find(rest, re, "NOT in sudoers")) {
            action = "sudo_not_in_sudoers";
        } else if (vg__ts_find(rest, re, "command not allowed")) {
            action = "sudo_command_denied";
        } else if (vg__ts_find(rest, re, "a password is required")) {
            action = "sudo_auth_failure";
        } else {
            action = "sudo_denied";
        }
        outcome = "failure";
        rest = semi ? semi + 3 : end;
    }
    /* KEY=value items separated by " ; "; COMMAND= runs to the end */
    while (rc == 0 && rest < end) {
        const char *eq = memchr(rest, '=', (size_t)(end - rest));
        if (!eq) break;
        const char *k = rest;
        size_t kl = (size_t)(eq - k);
        const char *v = eq + 1, *ve;
        if (kl == 7 && memcmp(k, "COMMAND", 7) == 0) {
            ve = end;
        } else {
            const char *semi = vg__ts_find(v, end, " ; ");
            ve = semi ? semi : end;
        }
        size_t vl = (size_t)(ve - v);
        if (kl == 3 && memcmp(k, "TTY", 3) == 0) rc = vg_event_add_str(ev, fids[F_TTY], VG_FF_SOURCE, v, vl);
        else if (kl == 3 && memcmp(k, "PWD", 3) == 0) {
            rc = vg_event_add_str(ev, fids[F_PWD], VG_FF_SOURCE, v, vl);
            if (!rc) rc = vg_event_add_str(ev, VG_FID_PROCESS_WORKING_DIRECTORY, VG_FF_ECS, v, vl);
        } else if (kl == 4 && memcmp(k, "USER", 4) == 0) {
            rc = vg_event_add_str(ev, fids[F_USER], VG_FF_SOURCE, v, vl);
            if (!rc) rc = vg_event_add_str(ev, VG_FID_USER_TARGET_NAME, VG_FF_ECS, v, vl);
        } else if (kl == 5 && memcmp(k, "GROUP", 5) == 0) {
            rc = vg_event_add_str(ev, fids[F_GROUP], VG_FF_SOURCE, v, vl);
        } else if (kl == 4 && memcmp(k, "TSID", 4) == 0) {
            rc = vg_event_add_str(ev, fids[F_TSID], VG_FF_SOURCE, v, vl);
        } else if (kl == 3 && memcmp(k, "ENV", 3) == 0) {
            rc = vg_event_add_str(ev, fids[F_ENV], VG_FF_SOURCE, v, vl);
        } else if (kl == 7 && memcmp(k, "COMMAND", 7) == 0) {
            rc = vg_event_add_str(ev, fids[F_COMMAND], VG_FF_SOURCE, v, vl);
            if (!rc) rc = vg_event_add_str(ev, VG_FID_PROCESS_COMMAND_LINE, VG_FF_ECS, v, vl);
            const char *xe = ts_tok_end(v, end);
            if (!rc && xe > v && *v == '/') rc = vg_event_add_str(ev, VG_FID_PROCESS_EXECUTABLE, VG_FF_ECS, v, (size_t)(xe - v));
        }
        rest = ve < end ? ve + 3 : end;
    }
    if (rc == 0) rc = vg__ts_action(ev, action, "process", outcome);
    if (rc) vg_err_set(err, rc, "sudo: cannot add fields");
    return rc;
}

const struct vg_decoder vg_dec_sudo = {
    .name = "sudo",
    .desc = "sudo: commands run (TTY/PWD/USER/COMMAND), wrong passwords, users not in sudoers",
    .kind = VG_DEC_PROGRAM,
    .programs = (const char *const[]){"sudo", NULL},
    .decode = decode,
};
