/* PROGRAM decoder for kernel firewall log lines (iptables/ip6tables LOG
 * target, nftables "log", UFW, firewalld, OpenWrt):
 *   [UFW BLOCK] IN=eth0 OUT= MAC=.. SRC=1.2.3.4 DST=.. LEN=60 ... PROTO=TCP
 *   SPT=5555 DPT=22 WINDOW=29200 RES=0x00 SYN URGP=0
 * The text before IN= is the rule's log prefix (rule.name). Every KEY=value
 * is kept as iptables.<KEY> (first occurrence), bare words (DF, SYN, ACK)
 * as the list iptables.flags; ECS: source/destination ip and port,
 * network.transport, observer.ingress/egress.interface.name,
 * event.action "firewall_log", event.type denied/allowed/connection. */
#include "internal.h"
#include "textscan.h"

enum { F_PREFIX, F_FLAGS, F_IN_IF, F_OUT_IF, F_MAC, F_LEN, F_TTL, F_ID, F_PROTO, F_SRC, F_DST, F_SPT,
       F_DPT, F_IN, F_OUT, F_TOS, F_PREC, F_WINDOW, F_RES, F_URGP, F_MARK, F_TYPE, F_CODE, F__N };
static const char *const fnames[] = {
    "iptables.prefix", "iptables.flags", "observer.ingress.interface.name", "observer.egress.interface.name",
    "iptables.MAC", "iptables.LEN", "iptables.TTL", "iptables.ID", "iptables.PROTO", "iptables.SRC",
    "iptables.DST", "iptables.SPT", "iptables.DPT", "iptables.IN", "iptables.OUT", "iptables.TOS",
    "iptables.PREC", "iptables.WINDOW", "iptables.RES", "iptables.URGP", "iptables.MARK", "iptables.TYPE",
    "iptables.CODE"};
static uint32_t fids[VG_ARRAY_LEN(fnames)];
static struct vg__fidtab ftab = VG_FIDTAB(fnames, fids);

#define MAX_TOKENS 96
#define MAX_FLAGS 16

static bool key_ok(const char *k, size_t n)
{
    if (n == 0 || n > 24) return false;
    for (size_t i = 0; i < n; i++)
        if (!((k[i] >= 'A' && k[i] <= 'Z') || (k[i] >= 'a' && k[i] <= 'z') || (k[i] >= '0' && k[i] <= '9') || k[i] == '_'))
            return false;
    return true;
}

static uint32_t key_fid(const char *k, size_t n)
{
    for (int i = F_MAC; i < F__N; i++) {
        const char *nm = fnames[i] + 9; /* after "iptables." */
        if (strlen(nm) == n && memcmp(nm, k, n) == 0) return fids[i];
    }
    char name[40];
    int l = snprintf(name, sizeof name, "iptables.%.*s", (int)n, k);
    return l > 0 && (size_t)l < sizeof name ? vg_fid(name, (size_t)l) : UINT32_MAX;
}

static const char *transport(const char *v, size_t n)
{
    static const char *const t[][2] = {{"TCP", "tcp"}, {"UDP", "udp"}, {"ICMP", "icmp"}, {"ICMPv6", "ipv6-icmp"},
                                       {"ICMPV6", "ipv6-icmp"}, {"SCTP", "sctp"}, {"GRE", "gre"}, {"ESP", "esp"},
                                       {"AH", "ah"}, {"UDPLITE", "udplite"}};
    for (size_t i = 0; i < VG_ARRAY_LEN(t); i++)
        if (strlen(t[i][0]) == n && memcmp(t[i][0], v, n) == 0) return t[i][1];
    return NULL;
}

static bool has_word(const char *p, const char *end, const char *w)
{
    size_t n = strlen(w);
    for (; p + n <= end; p++)
        if (vg_strncasecmp_ascii(p, w, n) == 0) return true;
    return false;
}

/* Position of "IN=" starting a token, or NULL. */
static const char *find_in(const char *p, const char *end)
{
    const char *s = p;
    while ((s = vg__ts_find(s, end, "IN=")) != NULL) {
        if (s == p || s[-1] == ' ' || s[-1] == ']' || s[-1] == ')' || s[-1] == ':') return s;
        s += 3;
    }
    return NULL;
}

static int decode(struct vg_event *ev, const char *buf, size_t len, struct vg_err *err)
{
    const char *p = ts_skip_sp(buf, buf + len), *end = ts_rtrim(buf, buf + len);
    ts_fids(&ftab);
    const char *in = find_in(p, end);
    if (!in || !vg__ts_find(in, end, " OUT=")) return vg_err_set(err, VG_EPARSE, "iptables: no IN=/OUT=");
    int rc = 0;
    const char *pe = ts_rtrim(p, in);
    if (pe > p) {
        rc = vg_event_add_str(ev, fids[F_PREFIX], VG_FF_SOURCE, p, (size_t)(pe - p));
        const char *rs = p, *re = pe;
        if (*rs == '[' && re[-1] == ']') { rs++; re--; }
        while (re > rs && (re[-1] == ':' || re[-1] == ' ')) re--;
        if (!rc && re > rs) rc = vg_event_add_str(ev, VG_FID_RULE_NAME, VG_FF_ECS, rs, (size_t)(re - rs));
    }
    struct vg_str *flags = vg_arena_alloc(ev->arena, MAX_FLAGS * sizeof *flags);
    size_t nflags = 0;
    if (!flags) rc = VG_ENOMEM;
    const char *q = in;
    struct vg__kv kv;
    for (int i = 0; rc == 0 && i < MAX_TOKENS && vg__ts_kv_next(&q, end, ' ', &kv); i++) {
        if (!kv.has_eq) {
            if (key_ok(kv.k, kv.klen) && nflags < MAX_FLAGS) flags[nflags++] = (struct vg_str){kv.k, (uint32_t)kv.klen};
            continue;
        }
        if (!key_ok(kv.k, kv.klen)) continue;
        uint32_t fid = key_fid(kv.k, kv.klen);
        if (fid == UINT32_MAX || vg_event_get(ev, fid)) continue;
        rc = vg_event_add_str(ev, fid, VG_FF_SOURCE, kv.v, kv.vlen);
        if (rc) break;
        if (!kv.vlen) continue;
        if (fid == fids[F_SRC]) rc = vg__ts_add_ip_or(ev, VG_FID_SOURCE_IP, UINT32_MAX, kv.v, kv.vlen);
        else if (fid == fids[F_DST]) rc = vg__ts_add_ip_or(ev, VG_FID_DESTINATION_IP, UINT32_MAX, kv.v, kv.vlen);
        else if (fid == fids[F_SPT]) rc = vg__ts_add_int(ev, VG_FID_SOURCE_PORT, VG_FF_ECS, kv.v, kv.vlen);
        else if (fid == fids[F_DPT]) rc = vg__ts_add_int(ev, VG_FID_DESTINATION_PORT, VG_FF_ECS, kv.v, kv.vlen);
        else if (fid == fids[F_IN]) rc = vg_event_add_str(ev, fids[F_IN_IF], VG_FF_ECS, kv.v, kv.vlen);
        else if (fid == fids[F_OUT]) rc = vg_event_add_str(ev, fids[F_OUT_IF], VG_FF_ECS, kv.v, kv.vlen);
        else if (fid == fids[F_PROTO]) {
            const char *t = transport(kv.v, kv.vlen);
            if (t) rc = vg_event_add_str(ev, VG_FID_NETWORK_TRANSPORT, VG_FF_ECS, t, strlen(t));
        }
    }
    if (rc == 0 && nflags) rc = vg_event_add_list(ev, fids[F_FLAGS], VG_FF_SOURCE, flags, nflags);
    const char *type = "connection";
    if (pe > p) {
        if (has_word(p, pe, "BLOCK") || has_word(p, pe, "DROP") || has_word(p, pe, "REJECT") || has_word(p, pe, "DENY"))
            type = "denied";
        else if (has_word(p, pe, "ACCEPT") || has_word(p, pe, "ALLOW") || has_word(p, pe, "AUDIT"))
            type = "allowed";
    }
    if (rc == 0) rc = vg_event_add_str(ev, VG_FID_EVENT_TYPE, VG_FF_ECS, type, strlen(type));
    if (rc == 0) rc = vg__ts_action(ev, "firewall_log", "network", NULL);
    if (rc) vg_err_set(err, rc, "iptables: cannot add fields");
    return rc;
}

const struct vg_decoder vg_dec_iptables = {
    .name = "iptables",
    .desc = "kernel firewall log lines (iptables/nftables LOG, UFW, firewalld): IN= OUT= SRC= DST= ...",
    .kind = VG_DEC_PROGRAM,
    .programs = (const char *const[]){"kernel", NULL},
    .decode = decode,
};
