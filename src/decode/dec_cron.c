/* PROGRAM decoder for cron daemons (Debian cron, cronie crond, CRON):
 *   (root) CMD (run-parts /etc/cron.hourly)
 *   (root) RELOAD (crontabs/root)      (CRON) info (No MTA installed ...)
 *   (*system*) RELOAD (/etc/crontab)   (alice) BEGIN EDIT (alice)
 * ECS: user.name, process.command_line (CMD), event.action cron_<verb>;
 * source names cron.user, cron.verb, cron.detail. PAM session lines of
 * cron go to dec_pam.c through the chain. */
#include "internal.h"
#include "textscan.h"

enum { F_USER, F_VERB, F_DETAIL };
static const char *const fnames[] = {"cron.user", "cron.verb", "cron.detail"};
static uint32_t fids[VG_ARRAY_LEN(fnames)];
static struct vg__fidtab ftab = VG_FIDTAB(fnames, fids);

static const struct { const char *verb, *action, *category; } verbs[] = {
    {"CMD", "cron_command", "process"},       {"RELOAD", "cron_reload", "configuration"},
    {"INFO", "cron_info", "process"},         {"info", "cron_info", "process"},
    {"STARTUP", "cron_startup", "process"},   {"MAIL", "cron_mail", "process"},
    {"BEGIN EDIT", "cron_edit", "configuration"}, {"END EDIT", "cron_edit", "configuration"},
    {"REPLACE", "cron_edit", "configuration"}, {"LIST", "cron_list", "configuration"},
    {"DELETE", "cron_edit", "configuration"}, {"ORPHAN", "cron_orphan", "configuration"},
    {"WRONG INODE INFO", "cron_error", "configuration"}, {"error", "cron_error", "process"},
    {"ERROR", "cron_error", "process"},       {"AUTH", "cron_auth", "authentication"},
    {"CAN'T OPEN", "cron_error", "process"},  {"BAD FILE MODE", "cron_error", "configuration"},
};

static int decode(struct vg_event *ev, const char *buf, size_t len, struct vg_err *err)
{
    const char *p = ts_skip_sp(buf, buf + len), *end = ts_rtrim(buf, buf + len);
    ts_fids(&ftab);
    if (p >= end || *p != '(') return vg_err_set(err, VG_EPARSE, "cron: expected '(user)'");
    const char *u = p + 1, *ue = memchr(u, ')', (size_t)(end - u) < 256 ? (size_t)(end - u) : 256);
    if (!ue || ue == u) return vg_err_set(err, VG_EPARSE, "cron: unterminated (user)");
    const char *v = ts_skip_sp(ue + 1, end);
    /* the verb runs to " (" (it may hold spaces: "BEGIN EDIT") */
    const char *d = vg__ts_find(v, end, " (");
    const char *ve = d ? d : end;
    if (ve == v || ve - v > 32) return vg_err_set(err, VG_EPARSE, "cron: no verb");
    const char *detail = NULL, *de = NULL;
    if (d) {
        detail = d + 2;
        de = end;
        if (de > detail && de[-1] == ')') de--; /* the command may itself hold ')' */
    }
    const char *action = "cron_message", *category = "process";
    for (size_t i = 0; i < VG_ARRAY_LEN(verbs); i++) {
        size_t n = strlen(verbs[i].verb);
        if ((size_t)(ve - v) == n && memcmp(v, verbs[i].verb, n) == 0) {
            action = verbs[i].action;
            category = verbs[i].category;
            break;
        }
    }
    bool real_user = !((ue - u == 4 && memcmp(u, "CRON", 4) == 0) || (ue - u == 8 && memcmp(u, "*system*", 8) == 0));
    int rc = vg_event_add_str(ev, fids[F_USER], VG_FF_SOURCE, u, (size_t)(ue - u));
    if (!rc && real_user) rc = vg_event_add_str(ev, VG_FID_USER_NAME, VG_FF_ECS, u, (size_t)(ue - u));
    if (!rc) rc = vg_event_add_str(ev, fids[F_VERB], VG_FF_SOURCE, v, (size_t)(ve - v));
    if (!rc && detail) rc = vg_event_add_str(ev, fids[F_DETAIL], VG_FF_SOURCE, detail, (size_t)(de - detail));
    if (!rc && detail && strcmp(action, "cron_command") == 0)
        rc = vg_event_add_str(ev, VG_FID_PROCESS_COMMAND_LINE, VG_FF_ECS, detail, (size_t)(de - detail));
    if (!rc) rc = vg__ts_action(ev, action, category, NULL);
    if (rc) vg_err_set(err, rc, "cron: cannot add fields");
    return rc;
}

const struct vg_decoder vg_dec_cron = {
    .name = "cron",
    .desc = "cron/crond: jobs run (CMD), crontab reloads and edits, daemon info",
    .kind = VG_DEC_PROGRAM,
    .programs = (const char *const[]){"CRON", "cron", "crond", "CROND", "crontab", NULL},
    .decode = decode,
};
