/* vigil-agent: the daemon on each protected host.
 *   vigil-agent enroll --server HOST:PORT --token TOKEN [--ca-fingerprint FP] [--name NAME] [--data DIR]
 *   vigil-agent run [--data DIR] [--config FILE]
 *   vigil-agent status [--data DIR]
 * enroll makes a key pair and a CSR locally (the private key never leaves
 * the host), trades the one-time token for a certificate from the server's
 * CA and pins that CA. run tails the configured files into the spool and
 * ships the spool over mutually authenticated TLS 1.3, one frame at a time,
 * advancing only on the server's acknowledgement; reconnects with
 * exponential backoff and jitter; heartbeats while idle. The configuration
 * file is INI (like the server's):
 *   [agent]
 *   server = vigil.example.org:7443   # default: the enrollment server
 *   heartbeat = 10s
 *   backoff_max = 60s
 *   spool_max = 268435456             # bytes
 *   [files]
 *   tail = /var/log/auth.log          # repeat
 *   start_at = beginning              # beginning | end (never-seen files)
 *   poll = 250ms
 *   [journal]
 *   enabled = auto                    # auto (when journalctl exists) | yes | no
 *   since = -10min                    # first start only (no cursor yet)
 *   command = journalctl
 *   [posture]
 *   root = /                          # root prefix for inventory and hardening
 *   inventory = yes                   # yes | no
 *   inventory_interval = 10m
 *   hardening = yes
 *   hardening_interval = 1h
 *   policy = /usr/share/vigil/rules/policies/debian12-baseline.yml  # default: the baseline
 *   scan_timeout = 5m                 # an inventory / hardening scan child is killed after this
 *   scanner = /usr/sbin/vigil-agent-scan   # default: vigil-agent-scan next to vigil-agent
 *   [fim]
 *   enabled = yes
 *   path = /etc                       # repeat; none = a built-in list of critical files
 *   ignore = *.swp                    # repeat; fnmatch on the full path and the base name
 *   scan_interval = 6h
 * The full description with an example: docs/agent-config.md. */
#include "agent.h"
#include "vigil/agent_ca.h"
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

static const char usage[] =
    "usage: vigil-agent enroll --server HOST:PORT --token TOKEN [--ca-fingerprint SHA256] [--name NAME] [--data DIR]\n"
    "       vigil-agent run [--data DIR] [--config FILE]\n"
    "       vigil-agent status [--data DIR]\n"
    "\n"
    "DIR defaults to $VIGIL_AGENT_DATA or /var/lib/vigil-agent. Get TOKEN and the CA fingerprint from\n"
    "`vigil agents token` on the server; without --ca-fingerprint the first server reached is trusted\n"
    "(trust on first use). The configuration file (INI) is described in docs/agent-config.md.\n";

struct agent_conf {
    char server[256];
    int64_t heartbeat_ns, backoff_max_ns, poll_ns;
    uint64_t spool_max;
    bool from_end;
    char *files[VG_TAIL_MAX_FILES];
    size_t nfiles;
    char journal_mode[8], journal_since[64], journal_cmd[1024];
    struct vg_posture_conf posture;
};

static bool yes_no(const char *v, bool *out)
{
    if (!strcmp(v, "yes") || !strcmp(v, "on") || !strcmp(v, "true")) { *out = true; return true; }
    if (!strcmp(v, "no") || !strcmp(v, "off") || !strcmp(v, "false")) { *out = false; return true; }
    return false;
}

struct identity { char id[64], tenant[64], server[256], ca_fp[80], name[128]; };

static volatile sig_atomic_t g_stop;
static void on_signal(int sig) { (void)sig; g_stop = 1; }

static const char *default_data(void)
{
    const char *d = getenv("VIGIL_AGENT_DATA");
    return d && *d ? d : "/var/lib/vigil-agent";
}

static void path_in(char *out, size_t n, const char *dir, const char *name) { snprintf(out, n, "%s/%s", dir, name); }

static int write_private(const char *path, const char *data, size_t len, mode_t mode)
{
    char tmp[1200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) return VG_EIO;
    fchmod(fd, mode);
    bool ok = write(fd, data, len) == (ssize_t)len && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) { unlink(tmp); return VG_EIO; }
    return 0;
}

static int load_identity(const char *data, struct identity *id, struct vg_err *err)
{
    memset(id, 0, sizeof *id);
    char p[1100], line[512];
    path_in(p, sizeof p, data, "agent.id");
    FILE *f = fopen(p, "r");
    if (!f) return vg_err_set(err, VG_ENOENT, "%s: not enrolled yet (run `vigil-agent enroll`)", p);
    while (fgets(line, sizeof line, f)) {
        size_t l = strlen(line);
        while (l && (line[l - 1] == '\n' || line[l - 1] == '\r')) line[--l] = 0;
        char *eq = strchr(line, '=');
        if (!eq) continue;
        *eq = 0;
        const char *v = eq + 1;
        if (strcmp(line, "id") == 0) snprintf(id->id, sizeof id->id, "%s", v);
        else if (strcmp(line, "tenant") == 0) snprintf(id->tenant, sizeof id->tenant, "%s", v);
        else if (strcmp(line, "server") == 0) snprintf(id->server, sizeof id->server, "%s", v);
        else if (strcmp(line, "ca_fingerprint") == 0) snprintf(id->ca_fp, sizeof id->ca_fp, "%s", v);
        else if (strcmp(line, "name") == 0) snprintf(id->name, sizeof id->name, "%s", v);
    }
    fclose(f);
    if (!id->id[0] || !id->server[0]) return vg_err_set(err, VG_EPARSE, "%s is incomplete", p);
    return 0;
}

/* ---- enroll ------------------------------------------------------------ */
static bool same_fp(const char *want, const char *got)
{
    char w[80];
    size_t n = 0;
    for (const char *p = want; *p && n < sizeof w - 1; p++) {
        if (*p == ':' || *p == ' ') continue;
        w[n++] = (char)(*p >= 'A' && *p <= 'F' ? *p + 32 : *p);
    }
    w[n] = 0;
    return strcmp(w, got) == 0;
}

static int cmd_enroll(int argc, char **argv)
{
    const char *server = NULL, *token = NULL, *data = default_data(), *want_fp = NULL, *name = NULL;
    for (int i = 2; i < argc; i++) {
        bool more = i + 1 < argc;
        if (strcmp(argv[i], "--server") == 0 && more) server = argv[++i];
        else if (strcmp(argv[i], "--token") == 0 && more) token = argv[++i];
        else if (strcmp(argv[i], "--data") == 0 && more) data = argv[++i];
        else if (strcmp(argv[i], "--ca-fingerprint") == 0 && more) want_fp = argv[++i];
        else if (strcmp(argv[i], "--name") == 0 && more) name = argv[++i];
        else { fprintf(stderr, "vigil-agent enroll: unknown or incomplete option '%s'\n%s", argv[i], usage); return 2; }
    }
    if (!server || !token) { fprintf(stderr, "vigil-agent enroll: --server and --token are required\n%s", usage); return 2; }
    char host[128];
    if (name) snprintf(host, sizeof host, "%s", name);
    else if (gethostname(host, sizeof host) != 0) snprintf(host, sizeof host, "unknown");
    host[sizeof host - 1] = 0;
    char kp[1100], cp[1100], cap[1100], ip[1100];
    path_in(kp, sizeof kp, data, "agent.key");
    path_in(cp, sizeof cp, data, "agent.pem");
    path_in(cap, sizeof cap, data, "ca.pem");
    path_in(ip, sizeof ip, data, "agent.id");
    if (access(cp, F_OK) == 0) {
        fprintf(stderr, "vigil-agent enroll: %s is already enrolled (%s exists); use another --data or remove it\n", data, cp);
        return 1;
    }
    if (mkdir(data, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "vigil-agent enroll: cannot create %s: %s\n", data, strerror(errno));
        return 1;
    }
    int code = 1;
    struct vg_err err = VG_ERR_INIT;
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509_REQ *req = X509_REQ_new();
    BIO *kb = BIO_new(BIO_s_mem()), *rb = BIO_new(BIO_s_mem());
    struct vg_chan *ch = NULL;
    struct vg_buf payload = VG_BUF_INIT, frame = VG_BUF_INIT, idf = VG_BUF_INIT;
    char *keypem = NULL, *csrpem = NULL;
    long kl = 0, cl = 0;
    if (!key || !req || !kb || !rb) { fprintf(stderr, "vigil-agent enroll: key generation failed\n"); goto out; }
    X509_REQ_set_version(req, 0);
    X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN", MBSTRING_UTF8, (const unsigned char *)host, -1, -1, 0);
    if (X509_REQ_set_pubkey(req, key) != 1 || !X509_REQ_sign(req, key, EVP_sha256()) ||
        PEM_write_bio_PrivateKey(kb, key, NULL, NULL, 0, NULL, NULL) != 1 || PEM_write_bio_X509_REQ(rb, req) != 1) {
        fprintf(stderr, "vigil-agent enroll: cannot make the certificate request\n");
        goto out;
    }
    kl = BIO_get_mem_data(kb, &keypem);
    cl = BIO_get_mem_data(rb, &csrpem);
    struct vg_chan_conf cc = {.server = server, .timeout_ms = 15000};
    if (vg_chan_connect(&ch, &cc, &err) != 0) { fprintf(stderr, "vigil-agent enroll: %s\n", err.msg); goto out; }
    if (vg_ap_kv_add(&payload, "token", token, strlen(token)) || vg_ap_kv_add(&payload, "hostname", host, strlen(host)) ||
        vg_ap_kv_add(&payload, "csr", csrpem, (size_t)cl) ||
        vg_ap_encode(&frame, VG_AP_ENROLL, 0, payload.data, payload.len) || vg_chan_send(ch, &frame, &err)) {
        fprintf(stderr, "vigil-agent enroll: cannot send the request: %s\n", err.msg);
        goto out;
    }
    struct vg_ap_frame f;
    if (vg_chan_recv(ch, &f, 15000, &err) != 0) { fprintf(stderr, "vigil-agent enroll: %s\n", err.msg); goto out; }
    if (f.type == VG_AP_ERROR) {
        char msg[300] = "refused";
        vg_ap_kv_str(f.payload, f.len, "msg", msg, sizeof msg);
        fprintf(stderr, "vigil-agent enroll: the server refused the enrollment: %s\n", msg);
        goto out;
    }
    const uint8_t *cert, *ca;
    size_t certl, cal;
    char id[64], tenant[64], fp[65];
    if (f.type != VG_AP_ENROLL_OK || vg_ap_kv_get(f.payload, f.len, "cert", &cert, &certl) ||
        vg_ap_kv_get(f.payload, f.len, "ca", &ca, &cal) || vg_ap_kv_str(f.payload, f.len, "id", id, sizeof id) ||
        vg_ap_kv_str(f.payload, f.len, "tenant", tenant, sizeof tenant) ||
        vg_pem_fingerprint((const char *)ca, cal, fp) != 0) {
        fprintf(stderr, "vigil-agent enroll: malformed answer from the server\n");
        goto out;
    }
    if (want_fp && !same_fp(want_fp, fp)) {
        fprintf(stderr, "vigil-agent enroll: the server's CA fingerprint %s does not match --ca-fingerprint %s: "
                        "refusing (possible interception; ask the administrator to revoke agent %s)\n", fp, want_fp, id);
        goto out;
    }
    if (vg_chan_check_server(ch, (const char *)ca, cal, &err) != 0) { fprintf(stderr, "vigil-agent enroll: %s\n", err.msg); goto out; }
    vg_buf_addf(&idf, "id=%s\ntenant=%s\nserver=%s\nca_fingerprint=%s\nname=%s\n", id, tenant, server, fp, host);
    if (write_private(kp, keypem, (size_t)kl, 0600) || write_private(cap, (const char *)ca, cal, 0644) ||
        write_private(ip, idf.data, idf.len, 0644) || write_private(cp, (const char *)cert, certl, 0644)) {
        fprintf(stderr, "vigil-agent enroll: cannot write the identity into %s\n", data);
        goto out;
    }
    printf("enrolled: agent %s (tenant %s) with %s\n", id, tenant, server);
    printf("ca_fingerprint: %s%s\n", fp, want_fp ? " (verified)" : " (trusted on first use)");
    code = 0;
out:
    vg_chan_close(ch);
    vg_buf_release(&payload);
    vg_buf_release(&frame);
    vg_buf_release(&idf);
    BIO_free(kb);
    BIO_free(rb);
    X509_REQ_free(req);
    EVP_PKEY_free(key);
    return code;
}

/* ---- configuration ----------------------------------------------------- */
static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r')) s[--n] = 0;
    return s;
}

static int load_conf(struct agent_conf *c, const char *path, struct vg_err *err)
{
    FILE *f = fopen(path, "r");
    if (!f) return vg_err_set(err, VG_EIO, "cannot read %s: %s", path, strerror(errno));
    char line[4200], sec[32] = "";
    int ln = 0, rc = 0;
    while (!rc && fgets(line, sizeof line, f)) {
        ln++;
        char *s = trim(line);
        if (!*s || *s == '#' || *s == ';') continue;
        if (*s == '[') {
            char *e = strchr(s, ']');
            if (!e || e - s - 1 >= (long)sizeof sec) { rc = vg_err_set(err, VG_EPARSE, "%s:%d: bad section", path, ln); break; }
            snprintf(sec, sizeof sec, "%.*s", (int)(e - s - 1), s + 1);
            continue;
        }
        char *eq = strchr(s, '=');
        if (!eq) { rc = vg_err_set(err, VG_EPARSE, "%s:%d: expected key = value", path, ln); break; }
        *eq = 0;
        char *k = trim(s), *v = trim(eq + 1);
        char *hash = strstr(v, " #");
        if (hash) { *hash = 0; v = trim(v); }
        int64_t d;
        uint64_t u;
        if (!strcmp(sec, "agent") && !strcmp(k, "server")) snprintf(c->server, sizeof c->server, "%s", v);
        else if (!strcmp(sec, "agent") && !strcmp(k, "heartbeat") && vg_duration_parse(v, &d) == 0 && d > 0) c->heartbeat_ns = d;
        else if (!strcmp(sec, "agent") && !strcmp(k, "backoff_max") && vg_duration_parse(v, &d) == 0 && d > 0) c->backoff_max_ns = d;
        else if (!strcmp(sec, "agent") && !strcmp(k, "spool_max") && vg_parse_u64(v, strlen(v), &u) == 0) c->spool_max = u;
        else if (!strcmp(sec, "files") && !strcmp(k, "tail") && *v) {
            if (c->nfiles == VG_TAIL_MAX_FILES) rc = vg_err_set(err, VG_ETOOBIG, "%s:%d: at most %d files", path, ln, VG_TAIL_MAX_FILES);
            else if (!(c->files[c->nfiles++] = vg_strdup(v))) rc = VG_ENOMEM;
        } else if (!strcmp(sec, "files") && !strcmp(k, "start_at") && (!strcmp(v, "beginning") || !strcmp(v, "end")))
            c->from_end = !strcmp(v, "end");
        else if (!strcmp(sec, "files") && !strcmp(k, "poll") && vg_duration_parse(v, &d) == 0 && d > 0) c->poll_ns = d;
        else if (!strcmp(sec, "journal") && !strcmp(k, "enabled") && (!strcmp(v, "auto") || !strcmp(v, "yes") || !strcmp(v, "no")))
            snprintf(c->journal_mode, sizeof c->journal_mode, "%s", v);
        else if (!strcmp(sec, "journal") && !strcmp(k, "since") && *v && strlen(v) < sizeof c->journal_since &&
                 !strpbrk(v, "\r\n"))
            snprintf(c->journal_since, sizeof c->journal_since, "%s", v);
        else if (!strcmp(sec, "journal") && !strcmp(k, "command") && *v && strlen(v) < sizeof c->journal_cmd)
            snprintf(c->journal_cmd, sizeof c->journal_cmd, "%s", v);
        else if (!strcmp(sec, "posture") && !strcmp(k, "root") && *v == '/' && strlen(v) < sizeof c->posture.root)
            snprintf(c->posture.root, sizeof c->posture.root, "%s", v);
        else if (!strcmp(sec, "posture") && !strcmp(k, "policy") && *v && strlen(v) < sizeof c->posture.policy)
            snprintf(c->posture.policy, sizeof c->posture.policy, "%s", v);
        else if (!strcmp(sec, "posture") && !strcmp(k, "inventory") && yes_no(v, &c->posture.inventory)) {}
        else if (!strcmp(sec, "posture") && !strcmp(k, "hardening") && yes_no(v, &c->posture.hardening)) {}
        else if (!strcmp(sec, "posture") && !strcmp(k, "inventory_interval") && vg_duration_parse(v, &d) == 0 && d >= 1000000000LL)
            c->posture.inventory_ns = d;
        else if (!strcmp(sec, "posture") && !strcmp(k, "hardening_interval") && vg_duration_parse(v, &d) == 0 && d >= 1000000000LL)
            c->posture.hardening_ns = d;
        else if (!strcmp(sec, "posture") && !strcmp(k, "scanner") && *v == '/' && strlen(v) < sizeof c->posture.scanner)
            snprintf(c->posture.scanner, sizeof c->posture.scanner, "%s", v);
        else if (!strcmp(sec, "posture") && !strcmp(k, "scan_timeout") && vg_duration_parse(v, &d) == 0 && d >= 1000000000LL)
            c->posture.scan_timeout_ns = d;
        else if (!strcmp(sec, "fim") && !strcmp(k, "enabled") && yes_no(v, &c->posture.fim)) {}
        else if (!strcmp(sec, "fim") && !strcmp(k, "scan_interval") && vg_duration_parse(v, &d) == 0 && d >= 1000000000LL)
            c->posture.fim_scan_ns = d;
        else if (!strcmp(sec, "fim") && (!strcmp(k, "path") || !strcmp(k, "ignore")) && *v) {
            bool is_path = !strcmp(k, "path");
            char **arr = is_path ? c->posture.fim_paths : c->posture.fim_ignore;
            size_t *n = is_path ? &c->posture.nfim_paths : &c->posture.nfim_ignore;
            if (is_path && (*v != '/' || strlen(v) >= VG_FIM_MAX_PATH))
                rc = vg_err_set(err, VG_EPARSE, "%s:%d: a FIM path must be absolute", path, ln);
            else if (*n == VG_POSTURE_MAX_PATHS)
                rc = vg_err_set(err, VG_ETOOBIG, "%s:%d: at most %d %s entries", path, ln, VG_POSTURE_MAX_PATHS, k);
            else if (!(arr[(*n)++] = vg_strdup(v))) rc = VG_ENOMEM;
        }
        else rc = vg_err_set(err, VG_EPARSE, "%s:%d: unknown setting or bad value '%s' in [%s]", path, ln, k, sec);
    }
    fclose(f);
    return rc;
}

/* ---- run --------------------------------------------------------------- */
struct runner {
    const char *data;
    struct identity id;
    struct agent_conf conf;
    struct vg_spool sp;
    struct vg_tail tail;
    struct vg_journal journal;
    struct vg_posture posture;
    struct vg_chan *ch;
    char cert[1100], key[1100], ca[1100];
    int64_t backoff_ns, next_try, last_io, trimmed;
    uint64_t reported_lost, reported_corrupt;
    bool worked;                     /* lines read or frames acknowledged since the last malloc_trim */
};

static void disconnect(struct runner *r, const char *why)
{
    if (r->ch) vg_warn("agent", "disconnected from %s: %s", r->conf.server, why);
    vg_chan_close(r->ch);
    r->ch = NULL;
    uint32_t j;
    RAND_bytes((unsigned char *)&j, sizeof j);
    int64_t wait = r->backoff_ns / 2 + (int64_t)(j % (uint32_t)(r->backoff_ns / 1000000 + 1)) * 1000000LL;
    r->next_try = vg_mono_ns() + wait;
    r->backoff_ns = r->backoff_ns * 2 > r->conf.backoff_max_ns ? r->conf.backoff_max_ns : r->backoff_ns * 2;
}

/* Returns 0, or a fatal exit code (revoked / unknown agent). */
static int try_connect(struct runner *r)
{
    struct vg_err err = VG_ERR_INIT;
    struct vg_chan_conf cc = {.server = r->conf.server, .cert = r->cert, .key = r->key, .ca = r->ca, .timeout_ms = 10000};
    if (vg_chan_connect(&r->ch, &cc, &err) != 0) {
        vg_warn("agent", "cannot reach %s: %s", r->conf.server, err.msg);
        r->ch = NULL;
        disconnect(r, err.msg);
        return 0;
    }
    struct vg_buf p = VG_BUF_INIT, fr = VG_BUF_INIT;
    int rc = vg_ap_kv_add(&p, "version", VIGIL_VERSION, strlen(VIGIL_VERSION));
    if (!rc) rc = vg_ap_kv_add(&p, "hostname", r->id.name, strlen(r->id.name));
    if (!rc) rc = vg_ap_encode(&fr, VG_AP_HELLO, 0, p.data, p.len);
    if (!rc) rc = vg_chan_send(r->ch, &fr, &err);
    vg_buf_release(&p);
    vg_buf_release(&fr);
    struct vg_ap_frame f;
    if (!rc) rc = vg_chan_recv(r->ch, &f, 10000, &err);
    if (rc) { disconnect(r, err.msg[0] ? err.msg : vg_strerror(rc)); return 0; }
    if (f.type == VG_AP_ERROR) {
        char msg[300] = "refused";
        vg_ap_kv_str(f.payload, f.len, "msg", msg, sizeof msg);
        vg_error("agent", "the server refused this agent: %s", msg);
        disconnect(r, msg);
        if (strstr(msg, "revoked") || strstr(msg, "unknown agent") || strstr(msg, "does not match")) return 3;
        return 0;
    }
    char ls[32];
    uint64_t last = 0;
    if (f.type != VG_AP_HELLO || vg_ap_kv_str(f.payload, f.len, "last_seq", ls, sizeof ls) != 0 ||
        vg_parse_u64(ls, strlen(ls), &last) != 0) {
        disconnect(r, "unexpected answer to HELLO");
        return 0;
    }
    if (vg_spool_resync(&r->sp, last, &err) != 0) vg_warn("agent", "%s", err.msg);
    vg_info("agent", "connected to %s (server's last committed frame %llu)", r->conf.server, (unsigned long long)last);
    r->backoff_ns = 1000000000LL;
    r->last_io = vg_mono_ns();
    return 0;
}

/* Sends frames until the spool is drained or budget_ns passed. */
static void ship(struct runner *r, int64_t budget_ns)
{
    int64_t until = vg_mono_ns() + budget_ns;
    struct vg_buf fr = VG_BUF_INIT;
    struct vg_err err = VG_ERR_INIT;
    while (r->ch && vg_mono_ns() < until && !g_stop) {
        vg_buf_reset(&fr);
        int got = vg_spool_next_frame(&r->sp, &fr, 512 * 1024, 5000, &err);
        if (got < 0) { vg_error("agent", "spool: %s", err.msg); break; }
        if (got == 0) break;
        uint64_t seq = r->sp.fl_seq;
        if (vg_chan_send(r->ch, &fr, &err) != 0) { disconnect(r, err.msg); break; }
        struct vg_ap_frame f;
        if (vg_chan_recv(r->ch, &f, 30000, &err) != 0) { disconnect(r, err.msg); break; }
        r->last_io = vg_mono_ns();
        if (f.type == VG_AP_ACK && f.seq == seq) {
            if (vg_spool_ack(&r->sp, seq, &err) != 0) vg_warn("agent", "%s", err.msg);
            continue;
        }
        char msg[300] = "unexpected frame";
        if (f.type == VG_AP_ERROR) vg_ap_kv_str(f.payload, f.len, "msg", msg, sizeof msg);
        disconnect(r, msg);
    }
    vg_buf_release(&fr);
}

static void heartbeat(struct runner *r)
{
    if (!r->ch || vg_mono_ns() - r->last_io < r->conf.heartbeat_ns) return;
    struct vg_buf fr = VG_BUF_INIT;
    struct vg_err err = VG_ERR_INIT;
    struct vg_ap_frame f;
    int rc = vg_ap_encode(&fr, VG_AP_HEARTBEAT, 0, NULL, 0);
    if (!rc) rc = vg_chan_send(r->ch, &fr, &err);
    if (!rc) rc = vg_chan_recv(r->ch, &f, 10000, &err);
    vg_buf_release(&fr);
    if (rc) { disconnect(r, err.msg); return; }
    if (f.type != VG_AP_HEARTBEAT) {
        char msg[300] = "unexpected frame";
        if (f.type == VG_AP_ERROR) vg_ap_kv_str(f.payload, f.len, "msg", msg, sizeof msg);
        disconnect(r, msg);
        return;
    }
    r->last_io = vg_mono_ns();
}

static int cmd_run(int argc, char **argv)
{
    struct runner r;
    memset(&r, 0, sizeof r);
    r.data = default_data();
    const char *conf_path = NULL;
    for (int i = 2; i < argc; i++) {
        bool more = i + 1 < argc;
        if (strcmp(argv[i], "--data") == 0 && more) r.data = argv[++i];
        else if (strcmp(argv[i], "--config") == 0 && more) conf_path = argv[++i];
        else { fprintf(stderr, "vigil-agent run: unknown or incomplete option '%s'\n%s", argv[i], usage); return 2; }
    }
    struct vg_err err = VG_ERR_INIT;
    int code = 1;
    int lockfd = -1;
    bool spool_open = false, tail_open = false;
    r.conf.heartbeat_ns = 10000000000LL;
    r.conf.backoff_max_ns = 60000000000LL;
    r.conf.poll_ns = 250000000LL;
    r.conf.spool_max = 256u << 20;
    snprintf(r.conf.journal_mode, sizeof r.conf.journal_mode, "auto");
    snprintf(r.conf.journal_cmd, sizeof r.conf.journal_cmd, "journalctl");
    snprintf(r.conf.posture.root, sizeof r.conf.posture.root, "/");
    r.conf.posture.inventory = r.conf.posture.hardening = r.conf.posture.fim = true;
    r.conf.posture.inventory_ns = 600000000000LL;     /* 10 min */
    r.conf.posture.hardening_ns = 3600000000000LL;    /* 1 h */
    r.conf.posture.fim_scan_ns = 21600000000000LL;    /* 6 h */
    r.conf.posture.scan_timeout_ns = 300000000000LL;  /* 5 min */
    bool journal_open = false, posture_open = false;
    int64_t t_start = vg_mono_ns();
    if (load_identity(r.data, &r.id, &err) != 0) { fprintf(stderr, "vigil-agent run: %s\n", err.msg); return 1; }
    snprintf(r.conf.server, sizeof r.conf.server, "%s", r.id.server);
    if (conf_path && load_conf(&r.conf, conf_path, &err) != 0) { fprintf(stderr, "vigil-agent run: %s\n", err.msg); goto out; }
    path_in(r.cert, sizeof r.cert, r.data, "agent.pem");
    path_in(r.key, sizeof r.key, r.data, "agent.key");
    path_in(r.ca, sizeof r.ca, r.data, "ca.pem");
    char lp[1100];
    path_in(lp, sizeof lp, r.data, "agent.lock");
    lockfd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lockfd < 0 || flock(lockfd, LOCK_EX | LOCK_NB) != 0) {
        fprintf(stderr, "vigil-agent run: another agent is running on %s\n", r.data);
        goto out;
    }
    if (vg_spool_open(&r.sp, r.data, r.conf.spool_max, &err) != 0) { fprintf(stderr, "vigil-agent run: %s\n", err.msg); goto out; }
    spool_open = true;
    if (vg_tail_open(&r.tail, r.data, (const char *const *)r.conf.files, r.conf.nfiles, r.conf.from_end, &err) != 0) {
        fprintf(stderr, "vigil-agent run: %s\n", err.msg);
        goto out;
    }
    tail_open = true;
    if (vg_journal_open(&r.journal, r.data, r.conf.journal_mode, r.conf.journal_cmd, r.conf.journal_since, &err) != 0) {
        fprintf(stderr, "vigil-agent run: %s\n", err.msg);
        goto out;
    }
    journal_open = true;
    vg_posture_open(&r.posture, &r.conf.posture, r.data, r.id.name, &err);
    r.posture.started = t_start;
    posture_open = true;
    if (vg_tail_reconcile(&r.tail, &r.sp, &err) != 0) { fprintf(stderr, "vigil-agent run: %s\n", err.msg); code = 1; goto out; }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    r.backoff_ns = 1000000000LL;
    r.reported_lost = r.sp.lost_records;
    r.reported_corrupt = r.sp.corrupt;
    vg_info("agent", "agent %s (tenant %s) following %zu file(s), server %s", r.id.id, r.id.tenant, r.conf.nfiles, r.conf.server);
    printf("running\n");
    fflush(stdout);
    code = 0;
    uint64_t seen_seq = 0;            /* next_seq moves on each acknowledged frame */
    while (!g_stop) {
        long lines = vg_tail_poll(&r.tail, &r.sp, 20000, &err);
        if (lines < 0) { vg_error("agent", "%s", err.msg); lines = 0; }
        long jl = vg_journal_poll(&r.journal, &r.sp, 5000, &err);
        if (jl < 0) vg_error("agent", "%s", err.msg);
        else lines += jl;
        lines += vg_posture_poll(&r.posture, &r.sp);
        if (!r.ch && vg_mono_ns() >= r.next_try) {
            int fatal = try_connect(&r);
            if (fatal) { code = fatal; break; }
        }
        bool more = false;
        if (r.ch) {
            ship(&r, 200000000LL);
            heartbeat(&r);
            more = r.ch && r.sp.fl_seq != 0;
        }
        if (r.sp.lost_records != r.reported_lost || r.sp.corrupt != r.reported_corrupt) {
            vg_warn("agent", "spool: %llu records lost to the size cap, %llu corrupt regions skipped so far",
                    (unsigned long long)r.sp.lost_records, (unsigned long long)r.sp.corrupt);
            r.reported_lost = r.sp.lost_records;
            r.reported_corrupt = r.sp.corrupt;
        }
        if (lines > 0 || r.sp.next_seq != seen_seq) r.worked = true;
        seen_seq = r.sp.next_seq;
        if (lines <= 0 && !more) {
            /* idle: give the pages freed by the work since the last time
             * back to the OS (at most once a second: glibc keeps them
             * otherwise, ~80 KB of TLS and frame buffers), then sleep one
             * poll period or until a scan child writes */
            int64_t now = vg_mono_ns();
            if (r.worked && now - r.trimmed >= 1000000000LL) {
                malloc_trim(0);
                r.trimmed = now;
                r.worked = false;
            }
            struct pollfd pf = {vg_posture_wait_fd(&r.posture), POLLIN, 0};
            int64_t ms = r.conf.poll_ns / 1000000LL;
            poll(&pf, 1, ms < 1 ? 1 : ms > 60000 ? 60000 : (int)ms);
        }
    }
    vg_info("agent", "stopping");
out:
    vg_chan_close(r.ch);
    if (posture_open) vg_posture_close(&r.posture);
    if (journal_open) vg_journal_close(&r.journal);
    if (tail_open) vg_tail_close(&r.tail);
    if (spool_open) vg_spool_close(&r.sp);
    for (size_t i = 0; i < r.conf.nfiles; i++) vg_free(r.conf.files[i]);
    for (size_t i = 0; i < r.conf.posture.nfim_paths; i++) vg_free(r.conf.posture.fim_paths[i]);
    for (size_t i = 0; i < r.conf.posture.nfim_ignore; i++) vg_free(r.conf.posture.fim_ignore[i]);
    if (lockfd >= 0) close(lockfd);
    return code;
}

static int cmd_status(int argc, char **argv)
{
    const char *data = default_data();
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--data") == 0 && i + 1 < argc) data = argv[++i];
        else { fprintf(stderr, "vigil-agent status: unknown option '%s'\n", argv[i]); return 2; }
    }
    struct identity id;
    struct vg_err err = VG_ERR_INIT;
    if (load_identity(data, &id, &err) != 0) { fprintf(stderr, "vigil-agent status: %s\n", err.msg); return 1; }
    printf("agent: %s\nname: %s\ntenant: %s\nserver: %s\nca_fingerprint: %s\n", id.id, id.name, id.tenant, id.server, id.ca_fp);
    char p[1100], line[256];
    path_in(p, sizeof p, data, "spool/state");
    FILE *f = fopen(p, "r");
    if (f && fgets(line, sizeof line, f)) printf("spool_state: %s", line);
    if (f) fclose(f);
    return 0;
}

int main(int argc, char **argv)
{
    /* A fixed mmap threshold: the spool's segment reads and the posture
     * reports' big buffers are mapped and unmapped instead of growing the
     * heap for good (glibc raises the threshold after each freed mapping
     * otherwise); freed heap above 128 KiB is returned at once. */
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
    mallopt(M_TRIM_THRESHOLD, 128 * 1024);
    vg_log_set_level(VG_LOG_INFO);
    const char *lvl = getenv("VIGIL_AGENT_LOG");
    if (lvl && strcmp(lvl, "debug") == 0) vg_log_set_level(VG_LOG_DEBUG);
    if (lvl && strcmp(lvl, "warn") == 0) vg_log_set_level(VG_LOG_WARN);
    if (argc < 2) { fputs(usage, stderr); return 2; }
    if (strcmp(argv[1], "enroll") == 0) return cmd_enroll(argc, argv);
    if (strcmp(argv[1], "run") == 0) return cmd_run(argc, argv);
    if (strcmp(argv[1], "status") == 0) return cmd_status(argc, argv);
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) { fputs(usage, stdout); return 0; }
    fprintf(stderr, "vigil-agent: unknown command '%s'\n%s", argv[1], usage);
    return 2;
}
