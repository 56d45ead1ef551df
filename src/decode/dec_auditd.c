/* FORMAT decoder for Linux audit records (auditd's audit.log lines):
 *   [node=N ]type=SYSCALL msg=audit(1364481363.243:24287): arch=c000003e
 *   syscall=2 success=no exit=-13 ... comm="cat" exe="/bin/cat" key="access"
 * including several records of one event on one line, user-space records
 * with msg='op=... acct="x" exe=... addr=... res=success', hex-encoded
 * untrusted strings (proctitle=2F62696E..., comm, exe, cmd, EXECVE aN) and
 * the enriched UPPERCASE names after a GS (0x1d) byte. The same parser
 * serves the PROGRAM decoder dec_audit_syslog.c ("kernel: audit(...)",
 * audispd). Every key is kept as audit.<key> (first occurrence); ECS names
 * are derived (process.*, user.*, source.ip, event.outcome ...). */
#include "internal.h"
#include "textscan.h"

enum {
    F_TYPE, F_TYPES, F_SEQ, F_NODE, F_SYSCALL, F_KEY, F_AUID, F_SES, F_USER_EFF_ID, F_SOURCE_DOMAIN,
    F_USER_AUDIT_NAME, F_PARENT_PID,
};
static const char *const fnames[] = {
    "audit.type", "audit.record_types", "audit.sequence", "audit.node", "audit.syscall", "audit.key",
    "audit.auid", "audit.ses", "user.effective.id", "source.domain", "user.audit.name", "process.parent.pid",
};
static uint32_t fids[VG_ARRAY_LEN(fnames)];
static struct vg__fidtab ftab = VG_FIDTAB(fnames, fids);

#define MAX_PAIRS 256
#define MAX_TYPES 16
#define MAX_ARGS 64

static const struct { const char *num, *name; } numeric_types[] = {
    {"1100", "USER_AUTH"}, {"1101", "USER_ACCT"}, {"1105", "USER_START"}, {"1106", "USER_END"},
    {"1107", "USER_AVC"},  {"1112", "USER_LOGIN"}, {"1123", "USER_CMD"},  {"1300", "SYSCALL"},
    {"1302", "PATH"},      {"1307", "CWD"},        {"1309", "EXECVE"},    {"1326", "SECCOMP"},
    {"1327", "PROCTITLE"}, {"1400", "AVC"},        {"1700", "ANOM_PROMISCUOUS"}, {"1701", "ANOM_ABEND"},
};

static const struct { const char *prefix, *category; } categories[] = {
    {"USER_AUTH", "authentication"}, {"USER_ACCT", "authentication"}, {"USER_LOGIN", "authentication"},
    {"USER_LOGOUT", "authentication"}, {"USER_ERR", "authentication"}, {"CRED_", "authentication"},
    {"ANOM_LOGIN", "authentication"}, {"USER_START", "session"}, {"USER_END", "session"}, {"LOGIN", "session"},
    {"ADD_", "iam"}, {"DEL_", "iam"}, {"USER_MGMT", "iam"}, {"GRP_", "iam"}, {"ACCT_", "iam"},
    {"CHUSER_ID", "iam"}, {"CHGRP_ID", "iam"}, {"USER_CHAUTHTOK", "iam"}, {"ANOM_ADD_ACCT", "iam"},
    {"ANOM_DEL_ACCT", "iam"}, {"ANOM_MOD_ACCT", "iam"}, {"ANOM_ROOT_TRANS", "iam"}, {"SYSCALL", "process"},
    {"EXECVE", "process"}, {"USER_CMD", "process"}, {"PROCTITLE", "process"}, {"ANOM_ABEND", "process"},
    {"ANOM_EXEC", "process"}, {"ANOM_MK_EXEC", "file"}, {"ANOM_ACCESS_FS", "file"}, {"PATH", "file"},
    {"CWD", "file"}, {"ANOM_PROMISCUOUS", "network"}, {"NETFILTER", "network"}, {"SOCKADDR", "network"},
    {"CONFIG_CHANGE", "configuration"}, {"DAEMON_", "configuration"}, {"MAC_", "configuration"},
    {"AVC", "intrusion_detection"}, {"USER_AVC", "intrusion_detection"}, {"SELINUX_ERR", "intrusion_detection"},
    {"USER_SELINUX_ERR", "intrusion_detection"}, {"APPARMOR", "intrusion_detection"}, {"ANOM_", "intrusion_detection"},
};

struct st {
    struct vg_event *ev;
    bool syslog;               /* came through syslog: process.name is the syslog program */
    int rc;
    const char *rtype;         /* type of the current record */
    size_t rtypel;
    int npairs;
    struct vg_str types[MAX_TYPES];
    size_t ntypes;
    struct vg_str args[MAX_ARGS];
    size_t nargs, argbytes;
    const char *path_name;     /* name= of the current PATH record, committed unless PARENT */
    size_t path_namel;
    const char *proctitle;     /* decoded proctitle, used when there is no EXECVE record */
    size_t proctitlel;
};

static bool key_ok(const char *k, size_t n)
{
    if (n == 0 || n > 32) return false;
    for (size_t i = 0; i < n; i++) {
        char c = k[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return false;
    }
    return true;
}

static bool eq(const char *s, size_t n, const char *lit) { return strlen(lit) == n && memcmp(s, lit, n) == 0; }

static bool is_nilv(const char *s, size_t n)
{
    return n == 0 || eq(s, n, "?") || eq(s, n, "(null)") || eq(s, n, "(none)") || eq(s, n, "unset");
}

/* Keys whose unquoted value is hex-encoded text when it contains
 * characters auditd will not print raw. */
static bool hex_key(struct st *s, const char *k, size_t n)
{
    static const char *const keys[] = {"comm", "exe", "cwd", "name", "proctitle", "acct", "path", "data",
                                       "cmd", "old-chardev", "new-chardev", "ocomm", "dir", "file", "watch"};
    for (size_t i = 0; i < VG_ARRAY_LEN(keys); i++)
        if (eq(k, n, keys[i])) return true;
    /* EXECVE arguments a0..aN (in SYSCALL records aN are registers) */
    return s->rtype && eq(s->rtype, s->rtypel, "EXECVE") && n >= 2 && k[0] == 'a' && k[1] >= '0' && k[1] <= '9';
}

static void add_str(struct st *s, uint32_t fid, uint32_t flags, const char *v, size_t n)
{
    if (s->rc == 0 && fid != UINT32_MAX && !vg_event_get(s->ev, fid)) s->rc = vg_event_add_str(s->ev, fid, flags, v, n);
}

static void add_int(struct st *s, uint32_t fid, const char *v, size_t n)
{
    if (s->rc == 0 && !vg_event_get(s->ev, fid)) s->rc = vg__ts_add_int(s->ev, fid, VG_FF_ECS, v, n);
}

static void outcome(struct st *s, const char *v, size_t n)
{
    const char *o = NULL;
    if (eq(v, n, "yes") || eq(v, n, "success") || eq(v, n, "1")) o = "success";
    else if (eq(v, n, "no") || eq(v, n, "failed") || eq(v, n, "0") || eq(v, n, "fail")) o = "failure";
    if (o) add_str(s, VG_FID_EVENT_OUTCOME, VG_FF_ECS, o, strlen(o));
}

static void commit_path(struct st *s)
{
    if (s->path_name) add_str(s, VG_FID_FILE_PATH, VG_FF_ECS, s->path_name, s->path_namel);
    s->path_name = NULL;
}

/* ECS names for one audit key/value (value already unquoted/decoded). */
static void map_ecs(struct st *s, const char *k, size_t kl, const char *v, size_t vl, bool decoded)
{
    if (is_nilv(v, vl)) return;
    if (eq(k, kl, "pid")) add_int(s, VG_FID_PROCESS_PID, v, vl);
    else if (eq(k, kl, "ppid")) add_int(s, fids[F_PARENT_PID], v, vl);
    else if (eq(k, kl, "exe")) add_str(s, VG_FID_PROCESS_EXECUTABLE, VG_FF_ECS, v, vl);
    else if (eq(k, kl, "comm") && !s->syslog) add_str(s, VG_FID_PROCESS_NAME, VG_FF_ECS, v, vl);
    else if (eq(k, kl, "cwd")) add_str(s, VG_FID_PROCESS_WORKING_DIRECTORY, VG_FF_ECS, v, vl);
    else if (eq(k, kl, "proctitle")) { s->proctitle = v; s->proctitlel = vl; } /* EXECVE args win, see audit_parse */
    else if (eq(k, kl, "cmd")) add_str(s, VG_FID_PROCESS_COMMAND_LINE, VG_FF_ECS, v, vl);
    else if (eq(k, kl, "uid")) add_str(s, VG_FID_USER_ID, VG_FF_ECS, v, vl);
    else if (eq(k, kl, "euid")) add_str(s, fids[F_USER_EFF_ID], VG_FF_ECS, v, vl);
    else if (eq(k, kl, "gid")) add_str(s, VG_FID_GROUP_ID, VG_FF_ECS, v, vl);
    else if (eq(k, kl, "acct") || eq(k, kl, "UID")) add_str(s, VG_FID_USER_NAME, VG_FF_ECS, v, vl);
    else if (eq(k, kl, "AUID")) add_str(s, fids[F_USER_AUDIT_NAME], VG_FF_ECS, v, vl);
    else if (eq(k, kl, "EUID")) add_str(s, VG_FID_USER_EFFECTIVE_NAME, VG_FF_ECS, v, vl);
    else if (eq(k, kl, "GID") && !decoded && !vg__ts_is_hex(v, vl)) add_str(s, VG_FID_GROUP_NAME, VG_FF_ECS, v, vl);
    else if (eq(k, kl, "success") || eq(k, kl, "res")) outcome(s, v, vl);
    else if (eq(k, kl, "addr") || eq(k, kl, "laddr") || eq(k, kl, "saddr")) {
        if (s->rc == 0 && !vg_event_get(s->ev, VG_FID_SOURCE_IP) && vg__ts_is_ip(v, vl))
            s->rc = vg_event_add_ip(s->ev, VG_FID_SOURCE_IP, VG_FF_ECS, v, vl);
    } else if (eq(k, kl, "hostname")) {
        if (!vg__ts_is_ip(v, vl)) add_str(s, fids[F_SOURCE_DOMAIN], VG_FF_ECS, v, vl);
        else if (s->rc == 0 && !vg_event_get(s->ev, VG_FID_SOURCE_IP))
            s->rc = vg_event_add_ip(s->ev, VG_FID_SOURCE_IP, VG_FF_ECS, v, vl);
    } else if (eq(k, kl, "name") && s->rtype && eq(s->rtype, s->rtypel, "PATH")) {
        commit_path(s);
        s->path_name = v;
        s->path_namel = vl;
    } else if (eq(k, kl, "nametype") && s->path_name) {
        if (!eq(v, vl, "PARENT")) commit_path(s);
        s->path_name = NULL;
    }
}

static void new_record(struct st *s, const char *t, size_t tl)
{
    commit_path(s);
    for (size_t i = 0; i < VG_ARRAY_LEN(numeric_types); i++)
        if (eq(t, tl, numeric_types[i].num)) { t = numeric_types[i].name; tl = strlen(t); break; }
    s->rtype = t;
    s->rtypel = tl;
    if (s->ntypes < MAX_TYPES) s->types[s->ntypes++] = (struct vg_str){t, (uint32_t)tl};
}

static void pairs(struct st *s, const char *p, const char *end, int depth);

static void one_pair(struct st *s, struct vg__kv *kv, int depth)
{
    const char *k = kv->k, *v = kv->v;
    size_t kl = kv->klen, vl = kv->vlen;
    while (kl && *k == '(') { k++; kl--; }           /* "(hostname=?," */
    if (!kv->quote) while (vl && (v[vl - 1] == ',' || v[vl - 1] == ')')) vl--;
    if (eq(k, kl, "type")) { new_record(s, v, vl); return; }
    if (eq(k, kl, "msg") && vl >= 6 && memcmp(v, "audit(", 6) == 0) return; /* record header of a later record */
    if (eq(k, kl, "msg") && kv->quote && depth == 0) { pairs(s, v, v + vl, 1); return; }
    if (!key_ok(k, kl) || ++s->npairs > MAX_PAIRS) return;
    bool decoded = false;
    if (!kv->quote && hex_key(s, k, kl) && vg__ts_is_hex(v, vl) && !is_nilv(v, vl)) {
        size_t dl;
        const char *d = vg__ts_hexdecode(s->ev, v, vl, &dl);
        if (d) { v = d; vl = dl; decoded = true; }
    }
    char name[48];
    int nl = snprintf(name, sizeof name, "audit.%.*s", (int)kl, k);
    if (nl > 0 && (size_t)nl < sizeof name) add_str(s, vg_fid(name, (size_t)nl), VG_FF_SOURCE, v, vl);
    if (eq(k, kl, "key")) { if (!is_nilv(v, vl)) add_str(s, fids[F_KEY], VG_FF_SOURCE, v, vl); return; }
    if (s->rtype && eq(s->rtype, s->rtypel, "EXECVE") && kl >= 2 && k[0] == 'a' && k[1] >= '0' && k[1] <= '9' &&
        s->nargs < MAX_ARGS && s->argbytes + vl < 65536) {
        s->args[s->nargs++] = (struct vg_str){v, (uint32_t)vl};
        s->argbytes += vl + 1;
    }
    map_ecs(s, k, kl, v, vl, decoded);
}

static void pairs(struct st *s, const char *p, const char *end, int depth)
{
    struct vg__kv kv;
    /* the scanner treats GS (0x1d, before the enriched names) as a space */
    for (int guard = 0; s->rc == 0 && guard < 4 * MAX_PAIRS && vg__ts_kv_next(&p, end, ' ', &kv); guard++)
        if (kv.has_eq) one_pair(s, &kv, depth);
}

/* Parses one audit line (see file comment). syslog: called as a PROGRAM
 * decoder (keeps the syslog process.name). */
static int audit_parse(struct vg_event *ev, const char *buf, size_t len, bool syslog, struct vg_err *err)
{
    const char *p = ts_skip_sp(buf, buf + len), *end = ts_rtrim(buf, buf + len);
    struct st *s = vg_arena_alloc(ev->arena, sizeof *s);
    if (!s) return vg_err_set(err, VG_ENOMEM, "auditd: out of memory");
    memset(s, 0, sizeof *s);
    s->ev = ev;
    s->syslog = syslog;
    ts_fids(&ftab);
    if (ts_starts(p, end, "audit: ")) p += 7;
    const char *node = NULL, *node_e = NULL;
    if (ts_starts(p, end, "node=")) {
        node = p + 5;
        node_e = ts_tok_end(node, end);
        p = ts_skip_sp(node_e, end);
    }
    const char *type = NULL, *type_e = NULL;
    if (ts_starts(p, end, "type=")) {
        type = p + 5;
        type_e = ts_tok_end(type, end);
        p = ts_skip_sp(type_e, end);
    }
    if (ts_starts(p, end, "msg=")) p += 4;
    if (!ts_starts(p, end, "audit(")) return vg_err_set(err, VG_EPARSE, "auditd: no audit(<time>:<serial>) header");
    const char *t = p + 6, *close = memchr(t, ')', (size_t)(end - t) < 64 ? (size_t)(end - t) : 64);
    const char *colon = close ? memchr(t, ':', (size_t)(close - t)) : NULL;
    const char *dot = colon ? memchr(t, '.', (size_t)(colon - t)) : NULL;
    int64_t sec, frac = 0;
    if (!close || !colon || vg_parse_i64(t, (size_t)((dot ? dot : colon) - t), &sec) != 0 || sec < 0 ||
        sec > 7258118400LL) /* 2200-01-01: keeps ns in int64 */
        return vg_err_set(err, VG_EPARSE, "auditd: bad audit(<time>:<serial>)");
    if (dot) {
        int nd = 0;
        for (const char *d = dot + 1; d < colon && nd < 9; d++, nd++) {
            if (*d < '0' || *d > '9') return vg_err_set(err, VG_EPARSE, "auditd: bad audit time");
            frac = frac * 10 + (*d - '0');
        }
        for (; nd < 9; nd++) frac *= 10;
    }
    ev->ts = sec * 1000000000LL + frac;
    int rc = 0;
    if (type) new_record(s, type, (size_t)(type_e - type));
    const char *rt = s->rtype ? s->rtype : "unknown";
    size_t rtl = s->rtype ? s->rtypel : 7;
    if ((rc = vg_event_add_str(ev, fids[F_TYPE], VG_FF_SOURCE, rt, rtl)) != 0) goto out;
    if ((rc = vg__ts_add_int(ev, fids[F_SEQ], VG_FF_SOURCE, colon + 1, (size_t)(close - colon - 1))) != 0) goto out;
    if (node && (rc = vg_event_add_str(ev, fids[F_NODE], VG_FF_SOURCE, node, (size_t)(node_e - node))) != 0) goto out;
    if (node && !syslog && (rc = vg_event_add_str(ev, VG_FID_HOST_NAME, VG_FF_ECS, node, (size_t)(node_e - node))) != 0)
        goto out;
    p = close + 1;
    if (p < end && *p == ':') p++;
    pairs(s, p, end, 0);
    commit_path(s);
    if ((rc = s->rc) != 0) goto out;
    if (s->ntypes > 1 && (rc = vg_event_add_list(ev, fids[F_TYPES], VG_FF_SOURCE, s->types, s->ntypes)) != 0) goto out;
    if (s->nargs && !vg_event_get(ev, VG_FID_PROCESS_COMMAND_LINE)) {
        char *cl = vg_arena_alloc(ev->arena, s->argbytes + 1);
        if (!cl) { rc = VG_ENOMEM; goto out; }
        size_t o = 0;
        for (size_t i = 0; i < s->nargs; i++) {
            if (i) cl[o++] = ' ';
            memcpy(cl + o, s->args[i].s, s->args[i].len);
            o += s->args[i].len;
        }
        cl[o] = 0;
        if ((rc = vg_event_add_str(ev, VG_FID_PROCESS_COMMAND_LINE, VG_FF_ECS, cl, o)) != 0) goto out;
    }
    if (s->proctitle && (rc = vg__ts_add_once(ev, VG_FID_PROCESS_COMMAND_LINE, VG_FF_ECS, s->proctitle, s->proctitlel)) != 0)
        goto out;
    /* event.action: the first record type in lower case */
    char *act = vg_arena_alloc(ev->arena, rtl + 1);
    if (!act) { rc = VG_ENOMEM; goto out; }
    for (size_t i = 0; i < rtl; i++) act[i] = (rt[i] >= 'A' && rt[i] <= 'Z') ? (char)(rt[i] + 32) : rt[i];
    act[rtl] = 0;
    const char *cat = "host";
    for (size_t i = 0; i < VG_ARRAY_LEN(categories); i++) {
        size_t n = strlen(categories[i].prefix);
        if (rtl >= n && memcmp(rt, categories[i].prefix, n) == 0) { cat = categories[i].category; break; }
    }
    rc = vg__ts_action(ev, act, cat, NULL);
out:
    if (rc) vg_err_set(err, rc, "auditd: cannot add fields");
    return rc;
}

static int decode(struct vg_event *ev, const char *buf, size_t len, struct vg_err *err)
{
    return audit_parse(ev, buf, len, false, err);
}

static int decode_syslog(struct vg_event *ev, const char *buf, size_t len, struct vg_err *err)
{
    return audit_parse(ev, buf, len, true, err);
}

static int probe(const char *b, size_t n)
{
    const char *p = b, *end = b + n;
    while (p < end && *p == ' ') p++;
    if (!ts_starts(p, end, "type=") && !ts_starts(p, end, "node=")) return 0;
    size_t lim = (size_t)(end - p) < 256 ? (size_t)(end - p) : 256;
    return vg__ts_find(p, p + lim, "audit(") ? 90 : 0;
}

const struct vg_decoder vg_dec_auditd = {
    .name = "auditd",
    .desc = "Linux audit records (audit.log): type=... msg=audit(t:n): key=value, hex strings decoded",
    .kind = VG_DEC_FORMAT,
    .probe = probe,
    .decode = decode,
};

const struct vg_decoder vg_dec_audit_syslog = {
    .name = "audit",
    .desc = "Linux audit records forwarded by syslog (kernel: audit(...), audispd, auditd)",
    .kind = VG_DEC_PROGRAM,
    .programs = (const char *const[]){"kernel", "audit", "auditd", "audispd", "audisp-syslog", NULL},
    .decode = decode_syslog,
};
