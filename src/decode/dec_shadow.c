/* PROGRAM decoder for the shadow-utils account tools (useradd, usermod,
 * userdel, groupadd, groupdel, groupmod, passwd, chpasswd, gpasswd, chage,
 * chfn, chsh, adduser):
 *   new user: name=bob, UID=1001, GID=1001, home=/home/bob, shell=/bin/bash
 *   new group: name=bob, GID=1001        add 'bob' to group 'sudo'
 *   delete user 'bob'                    removed group 'bob' owned by 'bob'
 *   change user 'bob' shell from '/bin/sh' to '/bin/bash'
 *   password for 'bob' changed by 'root' user bob added by root to group x
 * ECS (as Elastic's system/auth module): user.name / user.id of the account
 * acted upon, group.name / group.id, event.category "iam"; the actor, when
 * logged, goes to user.effective.name. Source names shadow.*. */
#include "internal.h"
#include "textscan.h"

enum { F_HOME, F_SHELL, F_FROM, F_FIELD, F_OLD, F_NEW, F_FILE };
static const char *const fnames[] = {"shadow.home", "shadow.shell", "shadow.from", "shadow.field",
                                     "shadow.old_value", "shadow.new_value", "shadow.file"};
static uint32_t fids[VG_ARRAY_LEN(fnames)];
static struct vg__fidtab ftab = VG_FIDTAB(fnames, fids);

struct ctx { struct vg_event *ev; const char *end; int rc; };

static void add(struct ctx *c, uint32_t fid, uint32_t flags, const char *s, const char *e)
{
    if (c->rc == 0 && s && e > s && !vg_event_get(c->ev, fid)) c->rc = vg_event_add_str(c->ev, fid, flags, s, (size_t)(e - s));
}

/* 'text' at p (after optional spaces): sets [*s, *e), returns after quote. */
static const char *quoted(const char *p, const char *end, const char **s, const char **e)
{
    p = ts_skip_sp(p, end);
    *s = *e = NULL;
    if (p >= end || *p != '\'') return NULL;
    const char *q = memchr(p + 1, '\'', (size_t)(end - p - 1));
    if (!q) return NULL;
    *s = p + 1;
    *e = q;
    return q + 1;
}

/* "name=bob, UID=1001, GID=1001, home=..., shell=..., from=..." */
static void add_kv(struct ctx *c, const char *p, bool group)
{
    struct vg__kv kv;
    for (int i = 0; c->rc == 0 && i < 16 && vg__ts_kv_next(&p, c->end, ',', &kv); i++) {
        if (!kv.has_eq) continue;
        const char *ve = kv.v + kv.vlen;
#define K(lit) (kv.klen == sizeof(lit) - 1 && memcmp(kv.k, lit, kv.klen) == 0)
        if (K("name")) add(c, group ? VG_FID_GROUP_NAME : VG_FID_USER_NAME, VG_FF_ECS, kv.v, ve);
        else if (K("UID")) add(c, VG_FID_USER_ID, VG_FF_ECS, kv.v, ve);
        else if (K("GID")) add(c, VG_FID_GROUP_ID, VG_FF_ECS, kv.v, ve);
        else if (K("home")) add(c, fids[F_HOME], VG_FF_SOURCE, kv.v, ve);
        else if (K("shell")) add(c, fids[F_SHELL], VG_FF_SOURCE, kv.v, ve);
        else if (K("from")) add(c, fids[F_FROM], VG_FF_SOURCE, kv.v, ve);
#undef K
    }
}

static int decode(struct vg_event *ev, const char *buf, size_t len, struct vg_err *err)
{
    const char *p = ts_skip_sp(buf, buf + len), *end = ts_rtrim(buf, buf + len), *q, *s, *e, *s2, *e2;
    struct ctx c = {ev, end, 0};
    const char *action = NULL, *outcome = "success";
    ts_fids(&ftab);
    if (ts_starts(p, end, "new user: ")) {
        add_kv(&c, p + 10, false);
        action = "user_created";
    } else if (ts_starts(p, end, "new group: ")) {
        add_kv(&c, p + 11, true);
        action = "group_created";
    } else if (ts_starts(p, end, "group added to ") && (q = vg__ts_find(p, end, ": ")) != NULL) {
        add(&c, fids[F_FILE], VG_FF_SOURCE, p + 15, q);
        add_kv(&c, q + 2, true);
        action = "group_created";
    } else if (ts_starts(p, end, "add '") && (q = quoted(p + 3, end, &s, &e)) != NULL) {
        /* add 'bob' to [shadow ]group 'sudo' */
        const char *g = vg__ts_find(q, end, "group ");
        if (!g || !quoted(g + 5, end, &s2, &e2)) goto unknown;
        add(&c, VG_FID_USER_NAME, VG_FF_ECS, s, e);
        add(&c, VG_FID_GROUP_NAME, VG_FF_ECS, s2, e2);
        action = "group_member_added";
    } else if (ts_starts(p, end, "delete user ") && quoted(p + 11, end, &s, &e)) {
        add(&c, VG_FID_USER_NAME, VG_FF_ECS, s, e);
        action = "user_deleted";
    } else if (ts_starts(p, end, "delete '") && (q = quoted(p + 6, end, &s, &e)) != NULL) {
        /* delete 'bob' from [shadow ]group 'x' | delete 'bob' home directory */
        add(&c, VG_FID_USER_NAME, VG_FF_ECS, s, e);
        const char *g = vg__ts_find(q, end, "group ");
        if (g && quoted(g + 5, end, &s2, &e2)) {
            add(&c, VG_FID_GROUP_NAME, VG_FF_ECS, s2, e2);
            action = "group_member_removed";
        } else {
            action = "user_deleted";
        }
    } else if ((ts_starts(p, end, "removed group ") || ts_starts(p, end, "removed shadow group ")) &&
               (q = quoted(p + (p[8] == 's' ? 20 : 13), end, &s, &e)) != NULL) {
        add(&c, VG_FID_GROUP_NAME, VG_FF_ECS, s, e);
        action = "group_deleted";
    } else if (ts_starts(p, end, "group '") && (q = quoted(p + 5, end, &s, &e)) != NULL && ts_starts(q, end, " removed")) {
        add(&c, VG_FID_GROUP_NAME, VG_FF_ECS, s, e);
        action = "group_deleted";
    } else if (ts_starts(p, end, "group changed in ")) {
        /* group changed in /etc/group (group x/1001, new name: y) */
        const char *g = vg__ts_find(p, end, "(group ");
        if (g) {
            const char *gn = g + 7, *gs = gn;
            while (gs < end && *gs != '/' && *gs != ',' && *gs != ')') gs++;
            add(&c, VG_FID_GROUP_NAME, VG_FF_ECS, gn, gs);
            if (gs < end && *gs == '/') {
                const char *ge = gs + 1;
                while (ge < end && *ge >= '0' && *ge <= '9') ge++;
                add(&c, VG_FID_GROUP_ID, VG_FF_ECS, gs + 1, ge);
            }
            const char *nw = vg__ts_find(g, end, ", new ");
            if (nw) {
                const char *colon = memchr(nw, ':', (size_t)(end - nw));
                if (colon) {
                    add(&c, fids[F_FIELD], VG_FF_SOURCE, nw + 6, colon);
                    const char *v = ts_skip_sp(colon + 1, end), *ve = v;
                    while (ve < end && *ve != ')') ve++;
                    add(&c, fids[F_NEW], VG_FF_SOURCE, v, ve);
                }
            }
        }
        action = "group_modified";
    } else if (ts_starts(p, end, "change user ") || ts_starts(p, end, "changed user ")) {
        /* change user 'bob' shell from 'a' to 'b' | change user name 'a' to 'b' */
        const char *u = p + (p[6] == 'd' ? 13 : 12);
        if (ts_starts(u, end, "name ") && (q = quoted(u + 4, end, &s, &e)) != NULL && ts_starts(q, end, " to ")) {
            static const char name_lit[] = "name";
            add(&c, fids[F_FIELD], VG_FF_SOURCE, name_lit, name_lit + 4);
            add(&c, fids[F_OLD], VG_FF_SOURCE, s, e);
            if (quoted(q + 4, end, &s2, &e2)) { add(&c, VG_FID_USER_NAME, VG_FF_ECS, s2, e2); add(&c, fids[F_NEW], VG_FF_SOURCE, s2, e2); }
        } else if ((q = quoted(u, end, &s, &e)) != NULL) {
            add(&c, VG_FID_USER_NAME, VG_FF_ECS, s, e);
            const char *f = ts_skip_sp(q, end), *fe = ts_tok_end(f, end);
            add(&c, fids[F_FIELD], VG_FF_SOURCE, f, fe);
            const char *from = vg__ts_find(fe, end, "from ");
            if (from && (q = quoted(from + 4, end, &s2, &e2)) != NULL) add(&c, fids[F_OLD], VG_FF_SOURCE, s2, e2);
            const char *to = vg__ts_find(fe, end, "to ");
            if (to && quoted(to + 2, end, &s2, &e2)) add(&c, fids[F_NEW], VG_FF_SOURCE, s2, e2);
        } else {
            goto unknown;
        }
        action = "user_modified";
    } else if ((ts_starts(p, end, "lock user ") || ts_starts(p, end, "unlock user ")) &&
               quoted(p + (*p == 'l' ? 9 : 11), end, &s, &e)) {
        add(&c, VG_FID_USER_NAME, VG_FF_ECS, s, e);
        action = *p == 'l' ? "user_locked" : "user_unlocked";
    } else if (ts_starts(p, end, "password for ") && (q = quoted(p + 12, end, &s, &e)) != NULL &&
               ts_starts(q, end, " changed")) {
        add(&c, VG_FID_USER_NAME, VG_FF_ECS, s, e);
        if (ts_starts(q, end, " changed by ") && quoted(q + 11, end, &s2, &e2)) add(&c, VG_FID_USER_EFFECTIVE_NAME, VG_FF_ECS, s2, e2);
        action = "password_changed";
    } else if (ts_starts(p, end, "changed password expiry for ")) {
        const char *u = p + 28;
        add(&c, VG_FID_USER_NAME, VG_FF_ECS, u, ts_tok_end(u, end));
        action = "user_modified";
    } else if (ts_starts(p, end, "user ") && ((q = vg__ts_find(p, end, " added by ")) != NULL ||
                                             (q = vg__ts_find(p, end, " removed by ")) != NULL)) {
        /* gpasswd: user bob added by root to group sudo */
        bool added = q[1] == 'a';
        add(&c, VG_FID_USER_NAME, VG_FF_ECS, p + 5, q);
        const char *by = q + (added ? 10 : 12), *bye = ts_tok_end(by, end);
        add(&c, VG_FID_USER_EFFECTIVE_NAME, VG_FF_ECS, by, bye);
        const char *g = vg__ts_find(bye, end, "group ");
        if (g) add(&c, VG_FID_GROUP_NAME, VG_FF_ECS, g + 6, ts_tok_end(g + 6, end));
        action = added ? "group_member_added" : "group_member_removed";
    } else if (ts_starts(p, end, "password of group ") || ts_starts(p, end, "members of group ")) {
        const char *g = p + (*p == 'p' ? 18 : 17);
        add(&c, VG_FID_GROUP_NAME, VG_FF_ECS, g, ts_tok_end(g, end));
        action = "group_modified";
    } else if (ts_starts(p, end, "failed adding user ")) {
        if (quoted(p + 18, end, &s, &e)) add(&c, VG_FID_USER_NAME, VG_FF_ECS, s, e);
        action = "user_created"; outcome = "failure";
    } else {
        goto unknown;
    }
    if (c.rc == 0) c.rc = vg__ts_action(ev, action, "iam", outcome);
    if (c.rc) vg_err_set(err, c.rc, "shadow: cannot add fields");
    return c.rc;
unknown:
    return vg_err_set(err, VG_EPARSE, "shadow: unrecognised message");
}

const struct vg_decoder vg_dec_shadow = {
    .name = "shadow",
    .desc = "shadow-utils account tools: useradd/usermod/userdel/groupadd/groupdel/groupmod/passwd/gpasswd/chage",
    .kind = VG_DEC_PROGRAM,
    .programs = (const char *const[]){"useradd", "usermod", "userdel", "groupadd", "groupdel", "groupmod",
                                      "passwd", "chpasswd", "gpasswd", "chage", "chfn", "chsh", "adduser",
                                      "deluser", "newusers", NULL},
    .decode = decode,
};
