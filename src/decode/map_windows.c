/* Windows event -> ECS mapping, shared by the JSON shapes (evtx_dump
 * `Event.System/EventData`, Winlogbeat `winlog.*`, flat NXLog-style) and the
 * EVTX reader. It reads the bare SigmaHQ-style names captured while the
 * record was flattened (EventID, Channel, Image, CommandLine ...) and adds
 * winlog.*, event.*, process.*, user.*, source.* ... The table of what maps
 * where is in docs/internals/json.md. */
#include "json_map.h"

static int add_cap_str(struct vg__jmap *m, uint32_t fid, enum vg__jcap c)
{
    if (!VG__JMAP_HAVE(m, c)) return 0;
    const struct vg_value *v = &m->cap[c];
    if (v->type == VG_V_STR) { /* the common case: copy the captured view */
        if (v->len == 0 || (v->len == 1 && v->u.s[0] == '-')) return 0;
        return vg__jmap_add(m, fid, VG_FF_ECS, v);
    }
    size_t n;
    const char *s = vg__jmap_text(m, c, &n);
    if (!s || n == 0 || (n == 1 && s[0] == '-')) return 0;
    return vg__jmap_add_str(m, fid, s, n);
}

/* Last path component of a Windows or POSIX path. */
static const char *base_name(const char *s, size_t n, size_t *bl)
{
    const char *b = memrchr(s, '\\', n), *f = memrchr(s, '/', n);
    if (f > b) b = f;
    size_t i = b ? (size_t)(b + 1 - s) : 0;
    *bl = n - i;
    return s + i;
}

static int add_exe(struct vg__jmap *m, uint32_t exe_fid, uint32_t name_fid, enum vg__jcap a, enum vg__jcap b)
{
    size_t n;
    const char *s = vg__jmap_text(m, a, &n);
    if (!s || n == 0) s = vg__jmap_text(m, b, &n);
    if (!s || n == 0 || (n == 1 && s[0] == '-')) return 0;
    int rc = vg__jmap_add_str(m, exe_fid, s, n);
    size_t bl;
    const char *bn = base_name(s, n, &bl);
    if (rc == 0 && bl) rc = vg__jmap_add_str(m, name_fid, bn, bl);
    return rc;
}

/* "DOMAIN\user" -> user.domain, user.name */
static int add_user(struct vg__jmap *m, uint32_t name_fid, uint32_t dom_fid, const char *s, size_t n)
{
    if (!s || n == 0 || (n == 1 && s[0] == '-')) return 0;
    const char *bs = memchr(s, '\\', n);
    if (!bs) return vg__jmap_add_str(m, name_fid, s, n);
    int rc = vg__jmap_add_str(m, name_fid, bs + 1, n - (size_t)(bs + 1 - s));
    if (rc == 0 && bs > s) rc = vg__jmap_add_str(m, dom_fid, s, (size_t)(bs - s));
    return rc;
}

static int add_port(struct vg__jmap *m, uint32_t fid, enum vg__jcap c)
{
    int64_t p;
    if (vg__jmap_int(m, c, &p) && p > 0 && p <= 65535) return vg__jmap_add_int(m, fid, p);
    return 0;
}

static bool is_logon_event(int64_t id)
{
    switch (id) {
    case 4624: case 4625: case 4634: case 4647: case 4648: case 4672: case 4768: case 4769: case 4771:
    case 4776: case 4778: case 4779:
        return true;
    default:
        return false;
    }
}

enum prov { P_OTHER, P_SYSMON, P_SECURITY, P_POWERSHELL };

struct cat_row {
    enum prov prov;
    int id;
    const char *category, *type, *outcome;
};

static const struct cat_row cats[] = {
    {P_SYSMON, 1, "process", "start", NULL},
    {P_SYSMON, 3, "network", "connection", NULL},
    {P_SYSMON, 5, "process", "end", NULL},
    {P_SYSMON, 7, "process", "change", NULL},
    {P_SYSMON, 11, "file", "creation", NULL},
    {P_SYSMON, 12, "registry", "change", NULL},
    {P_SYSMON, 13, "registry", "change", NULL},
    {P_SYSMON, 14, "registry", "change", NULL},
    {P_SYSMON, 22, "network", "protocol", NULL},
    {P_SYSMON, 23, "file", "deletion", NULL},
    {P_SECURITY, 4688, "process", "start", NULL},
    {P_SECURITY, 4689, "process", "end", NULL},
    {P_SECURITY, 4624, "authentication", "start", "success"},
    {P_SECURITY, 4625, "authentication", "start", "failure"},
    {P_SECURITY, 4634, "authentication", "end", "success"},
    {P_SECURITY, 4648, "authentication", "start", "success"},
    {P_SECURITY, 4720, "iam", "creation", "success"},
    {P_SECURITY, 4726, "iam", "deletion", "success"},
    {P_SECURITY, 4732, "iam", "change", "success"},
    {P_SECURITY, 1102, "configuration", "deletion", "success"},
    {P_SECURITY, 4697, "configuration", "creation", "success"},
    {P_OTHER, 7045, "configuration", "creation", NULL},
};

int vg__map_windows(struct vg__jmap *m)
{
    int64_t id;
    bool has_id = vg__jmap_int(m, JC_EVENTID, &id);
    /* A Windows event has an EventID plus one of Channel / Provider_Name /
     * Computer (evtx_dump, Winlogbeat aliases, NXLog-style flat JSON). */
    if (!has_id || !(VG__JMAP_HAVE(m, JC_CHANNEL) || VG__JMAP_HAVE(m, JC_PROVIDER) || VG__JMAP_HAVE(m, JC_COMPUTER)))
        return 0;
    int rc = vg__jmap_add_int(m, VG_FID_WINLOG_EVENT_ID, id);
    struct vg_value idv = {.type = VG_V_INT, .u.i = id};
    size_t cn;
    const char *codes = vg__jmap_text_of(m, &idv, &cn);
    if (!codes) return VG_ENOMEM;
    if (rc == 0) rc = vg__jmap_add_str(m, VG_FID_EVENT_CODE, codes, cn);
    if (rc == 0) rc = add_cap_str(m, VG_FID_WINLOG_CHANNEL, JC_CHANNEL);
    if (rc == 0) rc = add_cap_str(m, VG_FID_WINLOG_PROVIDER_NAME, JC_PROVIDER);
    if (rc == 0) rc = add_cap_str(m, VG_FID_EVENT_PROVIDER, JC_PROVIDER);
    if (rc == 0) rc = add_cap_str(m, VG_FID_WINLOG_COMPUTER_NAME, JC_COMPUTER);
    if (rc == 0) rc = add_cap_str(m, VG_FID_HOST_NAME, JC_COMPUTER);
    int64_t rid;
    if (rc == 0 && vg__jmap_int(m, JC_RECORDID, &rid)) rc = vg__jmap_add_int(m, VG_FID_WINLOG_RECORD_ID, rid);
    if (rc) return rc;

    enum prov prov = P_OTHER;
    size_t pl = 0;
    const char *pn = vg__jmap_text(m, JC_PROVIDER, &pl);
    if (pn && pl == 24 && memcmp(pn, "Microsoft-Windows-Sysmon", 24) == 0) prov = P_SYSMON;
    else if (pn && pl == 35 && memcmp(pn, "Microsoft-Windows-Security-Auditing", 35) == 0) prov = P_SECURITY;
    else if (pn && pl >= 10 && memmem(pn, pl, "PowerShell", 10)) prov = P_POWERSHELL;
    static const char *const modules[] = {"windows", "sysmon", "security", "powershell"};
    rc = vg__jmap_add_str(m, VG_FID_EVENT_MODULE, modules[prov], strlen(modules[prov]));
    if (rc == 0) rc = vg__jmap_add_str(m, VG_FID_EVENT_KIND, "event", 5);
    for (size_t i = 0; rc == 0 && i < VG_ARRAY_LEN(cats); i++) {
        if (cats[i].id != id || (cats[i].prov != prov && cats[i].prov != P_OTHER)) continue;
        rc = vg__jmap_add_str(m, VG_FID_EVENT_CATEGORY, cats[i].category, strlen(cats[i].category));
        if (rc == 0) rc = vg__jmap_add_str(m, VG_FID_EVENT_TYPE, cats[i].type, strlen(cats[i].type));
        if (rc == 0 && cats[i].outcome) rc = vg__jmap_add_str(m, VG_FID_EVENT_OUTCOME, cats[i].outcome, strlen(cats[i].outcome));
        break;
    }

    /* process */
    if (rc == 0) rc = add_exe(m, VG_FID_PROCESS_EXECUTABLE, VG_FID_PROCESS_NAME, JC_IMAGE, JC_NEWPROCNAME);
    if (rc == 0) rc = add_cap_str(m, VG_FID_PROCESS_COMMAND_LINE, JC_CMDLINE);
    if (rc == 0) rc = add_exe(m, VG_FID_PROCESS_PARENT_EXECUTABLE, vg__jx[JX_PARENT_NAME], JC_PARENTIMAGE, JC_PARENTPROCNAME);
    if (rc == 0) rc = add_cap_str(m, vg__jx[JX_PARENT_CMD], JC_PARENTCMD);
    if (rc == 0) rc = add_cap_str(m, VG_FID_PROCESS_WORKING_DIRECTORY, JC_CURDIR);
    if (rc == 0) rc = add_cap_str(m, vg__jx[JX_PE_ORIGINAL], JC_ORIGFILE);
    int64_t pid;
    if (VG__JMAP_HAVE(m, JC_NEWPROCID)) {
        /* Security 4688: NewProcessId is the child, ProcessId its creator */
        if (rc == 0 && vg__jmap_int(m, JC_NEWPROCID, &pid)) rc = vg__jmap_add_int(m, VG_FID_PROCESS_PID, pid);
        if (rc == 0 && vg__jmap_int(m, JC_PROCID, &pid)) rc = vg__jmap_add_int(m, VG_FID_PROCESS_PARENT_PID, pid);
    } else {
        if (rc == 0 && vg__jmap_int(m, JC_PROCID, &pid)) rc = vg__jmap_add_int(m, VG_FID_PROCESS_PID, pid);
        if (rc == 0 && vg__jmap_int(m, JC_PPID, &pid)) rc = vg__jmap_add_int(m, VG_FID_PROCESS_PARENT_PID, pid);
    }

    /* user */
    size_t tl = 0, sl = 0, ul = 0;
    const char *tu = vg__jmap_text(m, JC_TUSER, &tl);
    const char *su = vg__jmap_text(m, JC_SUSER, &sl);
    const char *us = vg__jmap_text(m, JC_USER, &ul);
    if (tu && tl == 1 && tu[0] == '-') tu = NULL;
    if (su && sl == 1 && su[0] == '-') su = NULL;
    if (rc == 0) {
        if (tu && (is_logon_event(id) || !su)) {
            rc = add_user(m, VG_FID_USER_NAME, vg__jx[JX_USER_DOMAIN], tu, tl);
            if (rc == 0) rc = add_cap_str(m, vg__jx[JX_USER_DOMAIN], JC_TDOMAIN);
        } else if (su) {
            rc = add_user(m, VG_FID_USER_NAME, vg__jx[JX_USER_DOMAIN], su, sl);
            if (rc == 0) rc = add_cap_str(m, vg__jx[JX_USER_DOMAIN], JC_SDOMAIN);
            if (rc == 0 && tu) rc = add_user(m, VG_FID_USER_TARGET_NAME, vg__jx[JX_USER_TARGET_DOMAIN], tu, tl);
            if (rc == 0 && tu) rc = add_cap_str(m, vg__jx[JX_USER_TARGET_DOMAIN], JC_TDOMAIN);
        } else if (us) {
            rc = add_user(m, VG_FID_USER_NAME, vg__jx[JX_USER_DOMAIN], us, ul);
        }
    }
    if (rc == 0) rc = add_cap_str(m, VG_FID_USER_ID, tu && is_logon_event(id) ? JC_TUSERSID : JC_SUSERSID);

    /* network */
    if (rc == 0) rc = vg__jmap_add_ip(m, VG_FID_SOURCE_IP, VG__JMAP_HAVE(m, JC_IPADDR) ? &m->cap[JC_IPADDR] : NULL);
    if (rc == 0) rc = vg__jmap_add_ip(m, VG_FID_SOURCE_IP, VG__JMAP_HAVE(m, JC_SRCIP) ? &m->cap[JC_SRCIP] : NULL);
    if (rc == 0) rc = add_port(m, VG_FID_SOURCE_PORT, JC_IPPORT);
    if (rc == 0) rc = add_port(m, VG_FID_SOURCE_PORT, JC_SRCPORT);
    if (rc == 0) rc = vg__jmap_add_ip(m, VG_FID_DESTINATION_IP, VG__JMAP_HAVE(m, JC_DSTIP) ? &m->cap[JC_DSTIP] : NULL);
    if (rc == 0) rc = add_port(m, VG_FID_DESTINATION_PORT, JC_DSTPORT);
    if (rc == 0) rc = add_cap_str(m, vg__jx[JX_DEST_DOMAIN], JC_DSTHOST);
    size_t prl;
    const char *pr = vg__jmap_text(m, JC_PROTOCOL, &prl);
    if (rc == 0 && pr && prl && prl < 16) {
        char *lc = vg_arena_strndup(m->ev->arena, pr, prl);
        if (!lc) return VG_ENOMEM;
        for (size_t i = 0; i < prl; i++) lc[i] = (char)((lc[i] >= 'A' && lc[i] <= 'Z') ? lc[i] + 32 : lc[i]);
        rc = vg__jmap_add_str(m, VG_FID_NETWORK_TRANSPORT, lc, prl);
    }

    /* files, registry, dns, services, logons */
    if (rc == 0) rc = add_cap_str(m, VG_FID_FILE_PATH, JC_TFILE);
    if (rc == 0) rc = add_cap_str(m, VG_FID_FILE_PATH, JC_IMAGELOADED);
    if (rc == 0) rc = add_cap_str(m, vg__jx[JX_REGISTRY_PATH], JC_TOBJECT);
    if (rc == 0) rc = add_cap_str(m, VG_FID_DNS_QUESTION_NAME, JC_QUERYNAME);
    if (rc == 0) rc = add_cap_str(m, vg__jx[JX_SERVICE_NAME], JC_SERVICENAME);
    int64_t lt;
    if (rc == 0 && vg__jmap_int(m, JC_LOGONTYPE, &lt)) rc = vg__jmap_add_int(m, vg__jx[JX_LOGON_TYPE], lt);
    return rc < 0 ? rc : 1;
}
