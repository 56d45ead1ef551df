/* sshd_config parser for the sshd_config probe on roots where `sshd -T`
 * cannot run (fixture trees, images): first value wins, a few keywords
 * accumulate, Match blocks (other than "Match all") are skipped up to the end
 * of the file they appear in, Include expands globs (relative to /etc/ssh)
 * through callbacks, and unset keys get OpenSSH 9.2 (Debian 12) defaults.
 * Also parses `sshd -T` dumps. Bounded: line length, files, depth, entries.
 * Part of src/posture/sca (fuzzed by fuzz/fuzz_sshd_config.c). */
#include "internal.h"
#include <fnmatch.h>

#define MAX_KV 4096
#define MAX_LINE 8192

static const char *const accumulate[] = {"acceptenv", "allowgroups", "allowusers", "denygroups", "denyusers",
                                         "hostkey", "hostcertificate", "listenaddress", "port", "subsystem", "setenv"};

static const char def_ciphers[] = "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,"
                                  "aes128-gcm@openssh.com,aes256-gcm@openssh.com";
static const char def_macs[] = "umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,"
                               "hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,"
                               "umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1";
static const char def_kex[] = "sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,"
                              "ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,"
                              "diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,"
                              "diffie-hellman-group18-sha512,diffie-hellman-group14-sha256";

/* OpenSSH 9.2p1 compiled-in defaults, as `sshd -T` prints them. */
static const char *const defaults[][2] = {
    {"port", "22"}, {"addressfamily", "any"}, {"listenaddress", "0.0.0.0:22"},
    {"permitrootlogin", "without-password"}, {"passwordauthentication", "yes"},
    {"permitemptypasswords", "no"}, {"pubkeyauthentication", "yes"}, {"kbdinteractiveauthentication", "yes"},
    {"hostbasedauthentication", "no"}, {"ignorerhosts", "yes"}, {"ignoreuserknownhosts", "no"},
    {"gssapiauthentication", "no"}, {"kerberosauthentication", "no"}, {"usepam", "no"},
    {"maxauthtries", "6"}, {"maxsessions", "10"}, {"maxstartups", "10:30:100"}, {"logingracetime", "120"},
    {"clientaliveinterval", "0"}, {"clientalivecountmax", "3"}, {"loglevel", "INFO"},
    {"syslogfacility", "AUTH"}, {"x11forwarding", "no"}, {"x11uselocalhost", "yes"},
    {"allowtcpforwarding", "yes"}, {"allowagentforwarding", "yes"}, {"allowstreamlocalforwarding", "yes"},
    {"disableforwarding", "no"}, {"gatewayports", "no"}, {"permittunnel", "no"},
    {"permituserenvironment", "no"}, {"permitopen", "any"}, {"strictmodes", "yes"}, {"compression", "yes"},
    {"tcpkeepalive", "yes"}, {"usedns", "no"}, {"printmotd", "yes"}, {"printlastlog", "yes"},
    {"banner", "none"}, {"authorizedkeysfile", ".ssh/authorized_keys .ssh/authorized_keys2"},
    {"ciphers", def_ciphers}, {"macs", def_macs}, {"kexalgorithms", def_kex},
    {"permituserrc", "yes"}, {"rekeylimit", "0 0"}, {"fingerprinthash", "SHA256"},
};

static int add_kv(struct vg__sca_sshd_parse *ps, const char *key, size_t kl, const char *val, size_t vl,
                  const char *file, int line)
{
    /* existing? first wins, unless the keyword accumulates */
    for (size_t i = 0; i < ps->n; i++) {
        if (strlen(ps->kv[i].key) != kl || vg_strncasecmp_ascii(ps->kv[i].key, key, kl) != 0) continue;
        bool acc = false;
        for (size_t j = 0; j < VG_ARRAY_LEN(accumulate); j++)
            if (strcmp(accumulate[j], ps->kv[i].key) == 0) acc = true;
        if (!acc) return 0;
        size_t ol = strlen(ps->kv[i].value);
        if (ol + 1 + vl > MAX_LINE) return 0;
        char *nv = vg_arena_alloc(ps->ar, ol + vl + 2);
        if (!nv) return VG_ENOMEM;
        memcpy(nv, ps->kv[i].value, ol);
        nv[ol] = ' ';
        memcpy(nv + ol + 1, val, vl);
        nv[ol + 1 + vl] = 0;
        ps->kv[i].value = nv;
        return 0;
    }
    if (ps->n >= MAX_KV) return VG_ETOOBIG;
    if (ps->n == ps->cap) {
        size_t nc = ps->cap ? ps->cap * 2 : 64;
        struct vg__sca_kv *n = vg_arena_alloc(ps->ar, nc * sizeof *n);
        if (!n) return VG_ENOMEM;
        if (ps->n) memcpy(n, ps->kv, ps->n * sizeof *n);
        ps->kv = n;
        ps->cap = nc;
    }
    char *k = vg_arena_strndup(ps->ar, key, kl), *v = vg_arena_strndup(ps->ar, val, vl);
    if (!k || !v) return VG_ENOMEM;
    for (char *p = k; *p; p++)
        if (*p >= 'A' && *p <= 'Z') *p = (char)(*p + 32);
    ps->kv[ps->n].key = k;
    ps->kv[ps->n].value = v;
    ps->kv[ps->n].file = file;
    ps->kv[ps->n].line = line;
    ps->n++;
    return 0;
}

/* Splits the argument part into words (double quotes group), joined by one
 * space into out. Returns the length. */
static size_t join_args(const char *s, size_t n, char *out, size_t outsz)
{
    size_t o = 0;
    size_t i = 0;
    while (i < n) {
        while (i < n && (s[i] == ' ' || s[i] == '\t')) i++;
        if (i >= n) break;
        if (o && o + 1 < outsz) out[o++] = ' ';
        if (s[i] == '"') {
            i++;
            while (i < n && s[i] != '"') { if (o + 1 < outsz) out[o++] = s[i]; i++; }
            if (i < n) i++;
        } else {
            while (i < n && s[i] != ' ' && s[i] != '\t') { if (o + 1 < outsz) out[o++] = s[i]; i++; }
        }
    }
    out[o] = 0;
    return o;
}

static int include(struct vg__sca_sshd_parse *ps, const char *args, int line, const char *file);

int vg__sca_sshd_parse_text(struct vg__sca_sshd_parse *ps, const char *text, size_t len, const char *file)
{
    if (++ps->files > 64) return VG_ETOOBIG;
    struct vg__sca_lines ln = {text, text + len, 0};
    bool in_match = false;
    int lineno = 0;
    char *val = vg_arena_alloc(ps->ar, MAX_LINE + 1);
    if (!val) return VG_ENOMEM;
    const char *s;
    size_t n;
    while (vg__sca_line_next(&ln, &s, &n)) {
        lineno++;
        vg__sca_trim(&s, &n);
        if (!n || *s == '#') continue;
        if (n > MAX_LINE) continue; /* sshd rejects such lines; ignore */
        /* keyword, then whitespace and/or one '=' */
        size_t kl = 0;
        while (kl < n && s[kl] != ' ' && s[kl] != '\t' && s[kl] != '=') kl++;
        size_t a = kl;
        while (a < n && (s[a] == ' ' || s[a] == '\t')) a++;
        if (a < n && s[a] == '=') a++;
        size_t vl = join_args(s + a, n - a, val, MAX_LINE + 1);
        if (kl == 5 && vg_strncasecmp_ascii(s, "match", 5) == 0) {
            in_match = !(vl == 3 && vg_strncasecmp_ascii(val, "all", 3) == 0);
            continue;
        }
        if (in_match) continue;
        if (kl == 7 && vg_strncasecmp_ascii(s, "include", 7) == 0) {
            int rc = include(ps, val, lineno, file);
            if (rc == VG_ENOMEM || rc == VG_ETOOBIG) return rc;
            continue;
        }
        if (!kl || !vl) continue;
        int rc = add_kv(ps, s, kl, val, vl, file, lineno);
        if (rc) return rc;
    }
    return 0;
}

static int include(struct vg__sca_sshd_parse *ps, const char *args, int line, const char *file)
{
    (void)line;
    (void)file;
    if (!ps->read || !ps->glob) return 0;
    if (ps->depth >= 8) return VG_ETOOBIG;
    const char *p = args;
    char pat[1024];
    while (*p) {
        while (*p == ' ') p++;
        const char *e = p;
        while (*e && *e != ' ') e++;
        if (e == p) break;
        int pl = snprintf(pat, sizeof pat, "%s%.*s", *p == '/' ? "" : "/etc/ssh/", (int)(e - p), p);
        p = e;
        if (pl <= 0 || (size_t)pl >= sizeof pat) continue;
        const char **paths = NULL;
        int np = ps->glob(ps->user, pat, &paths);
        for (int i = 0; i < np; i++) {
            char *t = NULL;
            size_t tl = 0;
            if (ps->read(ps->user, paths[i], &t, &tl) != 0) continue;
            ps->depth++;
            int rc = vg__sca_sshd_parse_text(ps, t, tl, paths[i]);
            ps->depth--;
            if (rc) return rc;
        }
    }
    return 0;
}

/* Applies +list / -list / ^list forms against a default algorithm list. */
static int algo_list(struct vg__sca_sshd_parse *ps, struct vg__sca_kv *kv, const char *def)
{
    const char *v = kv->value;
    if (*v != '+' && *v != '-' && *v != '^') return 0;
    struct vg_buf b = VG_BUF_INIT;
    b.cap_limit = 16384;
    int rc = 0;
    if (*v == '+') rc = vg_buf_addf(&b, "%s,%s", def, v + 1);
    else if (*v == '^') rc = vg_buf_addf(&b, "%s,%s", v + 1, def);
    else {
        const char *p = def;
        while (*p && !rc) {
            const char *e = strchr(p, ',');
            size_t l = e ? (size_t)(e - p) : strlen(p);
            char item[128];
            snprintf(item, sizeof item, "%.*s", (int)(l < 127 ? l : 127), p);
            bool drop = false;
            const char *q = v + 1;
            char pat[128];
            while (*q) {
                const char *qe = strchr(q, ',');
                size_t ql = qe ? (size_t)(qe - q) : strlen(q);
                snprintf(pat, sizeof pat, "%.*s", (int)(ql < 127 ? ql : 127), q);
                if (fnmatch(pat, item, 0) == 0) drop = true;
                q += ql;
                if (*q == ',') q++;
            }
            if (!drop) rc = vg_buf_addf(&b, "%s%s", b.len ? "," : "", item);
            p += l;
            if (*p == ',') p++;
        }
    }
    if (!rc) {
        char *s = vg_arena_strndup(ps->ar, b.data ? b.data : "", b.len);
        if (!s) rc = VG_ENOMEM;
        else kv->value = s;
    }
    vg_buf_release(&b);
    return rc;
}

int vg__sca_sshd_defaults(struct vg__sca_sshd_parse *ps)
{
    for (size_t i = 0; i < ps->n; i++) {
        int rc = 0;
        if (strcmp(ps->kv[i].key, "ciphers") == 0) rc = algo_list(ps, &ps->kv[i], def_ciphers);
        else if (strcmp(ps->kv[i].key, "macs") == 0) rc = algo_list(ps, &ps->kv[i], def_macs);
        else if (strcmp(ps->kv[i].key, "kexalgorithms") == 0) rc = algo_list(ps, &ps->kv[i], def_kex);
        if (rc) return rc;
    }
    for (size_t i = 0; i < VG_ARRAY_LEN(defaults); i++) {
        int rc = add_kv(ps, defaults[i][0], strlen(defaults[i][0]), defaults[i][1], strlen(defaults[i][1]), NULL, 0);
        if (rc) return rc;
    }
    return 0;
}

int vg__sca_sshd_parse_dump(struct vg__sca_sshd_parse *ps, const char *text, size_t len)
{
    struct vg__sca_lines ln = {text, text + len, 0};
    int lineno = 0;
    const char *s;
    size_t n;
    while (vg__sca_line_next(&ln, &s, &n)) {
        lineno++;
        vg__sca_trim(&s, &n);
        if (!n || n > MAX_LINE) continue;
        size_t kl = 0;
        while (kl < n && s[kl] != ' ') kl++;
        if (kl == n) continue;
        const char *v = s + kl + 1;
        size_t vl = n - kl - 1;
        int rc = add_kv(ps, s, kl, v, vl, "sshd -T", lineno);
        if (rc) return rc;
    }
    return 0;
}
