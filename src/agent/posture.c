/* vigil-agent's posture reports: inventory snapshots and their changes,
 * hardening results and file integrity changes, each as one JSON document
 * appended to the spool under a source "vigil:<type>" (so they travel in
 * RECORD frames, acknowledged after the server committed them, spooled
 * while the server is away). Documents (docs/internals/agent.md):
 *   {"type":"inventory","ts":NS,"snapshot":{...},"changes":[...]}
 *   {"type":"hardening","ts":NS,"report":{...vg_sca_report_posture_json...}}
 *   {"type":"fim","ts":NS,"change":{...vg_fim_change_json...}}
 * The inventory is sent at start and whenever a collection differs from
 * the last one sent (DATA/inventory.json, written after the spool sync);
 * hardening runs at start and every interval; FIM keeps its baseline in
 * DATA/fim.baseline, reports what changed while the agent was stopped,
 * then follows inotify with periodic full scans. FIM runs in the agent's
 * loop; inventory and hardening each run in a forked child that hands its
 * document back over a pipe (below), so the agent itself never touches the
 * collectors', the YAML parser's and PCRE2's pages. Nothing here talks to
 * the network. */
#include "agent.h"
#include "vigil/fim.h"
#include "vigil/inventory.h"
#include "vigil/sca.h"
#include "vigil/json.h"
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define DOC_MAX (VG_SPOOL_MAX_REC - 4096) /* a document must fit one spool record */
#define FIM_SAVE_NS (5 * 1000000000LL)    /* baseline saved at most this often while changes flow */

static const char *const default_fim_paths[] = {
    "/etc/passwd", "/etc/shadow", "/etc/group", "/etc/gshadow", "/etc/sudoers", "/etc/sudoers.d", "/etc/ssh",
    "/etc/pam.d", "/etc/crontab", "/etc/cron.d", "/etc/hosts", "/etc/ld.so.preload", "/etc/systemd/system",
};

static int64_t next_ts(struct vg_posture *p)
{
    int64_t now = vg_now_ns();
    if (now <= p->last_ts) now = p->last_ts + 1;
    p->last_ts = now;
    return now;
}

/* Appends one document; a document over the record cap is dropped and
 * logged (the caller may retry with less). */
static int emit(struct vg_posture *p, struct vg_spool *sp, const char *type, int64_t ts, const struct vg_buf *doc,
                struct vg_err *err)
{
    if (doc->len > DOC_MAX) return vg_err_set(err, VG_ETOOBIG, "%s report of %zu bytes exceeds %u", type, doc->len, DOC_MAX);
    char src[64];
    int n = snprintf(src, sizeof src, VG_AGENT_REC_PREFIX "%s", type);
    int rc = vg_spool_append(sp, NULL, ts, src, (size_t)n, doc->data, doc->len, err);
    if (!rc) p->docs++;
    return rc;
}

/* ---- inventory -------------------------------------------------------- */

static int read_file(const char *path, struct vg_buf *b)
{
    FILE *f = fopen(path, "re");
    if (!f) return errno == ENOENT ? VG_ENOENT : VG_EIO;
    char tmp[65536];
    size_t r;
    int rc = 0;
    b->cap_limit = VG_INV_MAX_FILE * 4;
    while (!rc && (r = fread(tmp, 1, sizeof tmp, f)) > 0) rc = vg_buf_add(b, tmp, r);
    if (ferror(f)) rc = VG_EIO;
    fclose(f);
    return rc;
}

static int write_file(const char *path, const char *data, size_t len)
{
    char tmp[1200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "we");
    if (!f) return VG_EIO;
    bool ok = fwrite(data, 1, len, f) == len;
    ok = fflush(f) == 0 && ok;
    ok = fdatasync(fileno(f)) == 0 && ok;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) { unlink(tmp); return VG_EIO; }
    return 0;
}

/* ---- scans in a child process ------------------------------------------
 * Inventory and hardening run in a forked child: the collectors, the YAML
 * policy parser, PCRE2 and their buffers touch pages the agent would
 * otherwise keep resident for good (~1.5 MB), and a collector that crashes
 * or hangs takes only its child down. The child builds the whole document
 * (the parent picked its ts), writes it to a pipe and _exit()s: 0 with the
 * document, 0 with nothing (inventory unchanged), 1 on a scan error it
 * logged itself. The parent reads the pipe in its loop (at most DOC_MAX
 * bytes), kills the child after scan_timeout, and spools the document only
 * when the child exited 0 and the output is one valid JSON object starting
 * {"type":"<kind>","ts":<the ts it chose>,. Anything else is logged,
 * counted and dropped; the next interval tries again. */

static const char *const scan_names[VG_SCAN_KINDS] = {"inventory", "hardening"};

/* Writes all of [p, p+n) to fd; false on error (the parent went away). */
static bool write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* Inventory child: collects, diffs against DATA/inventory.json and builds
 * the document into doc (left empty when nothing changed since the last
 * report); the snapshot goes to DATA/inventory.json.new, which the parent
 * renames over inventory.json once the document is durable in the spool. */
static int inventory_doc(const struct vg_posture *p, int64_t ts, struct vg_buf *doc, struct vg_err *err)
{
    int64_t t0 = vg_mono_ns();
    struct vg_inv_snapshot *cur = vg_inv_snapshot_new(p->conf->root), *old = NULL;
    struct vg_inv_changes ch = VG_INV_CHANGES_INIT;
    struct vg_buf snap = VG_BUF_INIT, prev = VG_BUF_INIT;
    snap.cap_limit = (size_t)VG_SPOOL_MAX_REC * 2;
    int rc = 0;
    if (!cur) { rc = vg_err_set(err, VG_ENOMEM, "out of memory"); goto out; }
    if ((rc = vg_inv_collect(cur, VG_INV_ALL, err))) goto out;
    if (read_file(p->inv_path, &prev) == 0 && prev.len) {
        struct vg_err pe = VG_ERR_INIT;
        if (vg_inv_from_json(prev.data, prev.len, &old, &pe) != 0) {
            vg_warn("agent", "%s: %s: sending a full inventory without changes", p->inv_path, pe.msg);
            old = NULL;
        }
    }
    vg_buf_release(&prev);
    if ((rc = vg_inv_diff(old, cur, &ch))) { rc = vg_err_set(err, rc, "inventory diff failed"); goto out; }
    if (p->inv_sent && ch.n == 0) goto out; /* nothing new since the last report */
    for (int attempt = 0; attempt < 2; attempt++) {
        vg_buf_reset(&snap);
        vg_buf_reset(doc);
        if ((rc = vg_inv_to_json(cur, &snap))) break;
        rc = vg_buf_addf(doc, "{\"type\":\"inventory\",\"ts\":%lld,\"snapshot\":", (long long)ts);
        if (!rc) rc = vg_buf_add(doc, snap.data, snap.len);
        if (!rc) rc = vg_buf_adds(doc, ",\"changes\":[");
        for (size_t i = 0; !rc && i < ch.n; i++) {
            if (i) rc = vg_buf_addc(doc, ',');
            if (!rc) rc = vg_inv_change_json(&ch.v[i], p->host, doc);
        }
        if (!rc) rc = vg_buf_adds(doc, "]}");
        if (rc) break;
        if (doc->len > DOC_MAX && attempt == 0 && cur->nprocs) {
            vg_warn("agent", "inventory of %zu bytes: sending it without the process list", doc->len);
            cur->nprocs = 0;
            continue;
        }
        break;
    }
    if (rc) { rc = vg_err_set(err, rc, "cannot build the inventory report"); goto out; }
    if (doc->len > DOC_MAX) { rc = vg_err_set(err, VG_ETOOBIG, "report of %zu bytes exceeds %u", doc->len, DOC_MAX); goto out; }
    if (write_file(p->inv_next, snap.data, snap.len) != 0) { rc = vg_err_set(err, VG_EIO, "cannot write %s", p->inv_next); goto out; }
    vg_info("agent", "inventory: %zu packages, %zu users, %zu ports, %zu services; %zu changes (%.0f ms)",
            cur->pkgs_known, cur->nusers, cur->nports, cur->nservices, ch.n, (double)(vg_mono_ns() - t0) / 1e6);
out:
    if (rc) vg_buf_reset(doc);
    vg_buf_release(&snap);
    vg_inv_changes_release(&ch);
    vg_inv_snapshot_free(old);
    vg_inv_snapshot_free(cur);
    return rc;
}

/* Hardening child: loads the policy (read anew each time), runs it and
 * builds the document into doc. */
static int hardening_doc(const struct vg_posture *p, int64_t ts, struct vg_buf *doc, struct vg_err *err)
{
    char buf[4096];
    const char *path = p->conf->policy[0] ? p->conf->policy : vg_sca_default_policy(buf, sizeof buf);
    struct vg_sca_policy *pol = NULL;
    struct vg_sca_report *r = NULL;
    int rc = vg_sca_policy_load_file(path, &pol, err);
    if (rc) goto out;
    struct vg_sca_opts o = VG_SCA_OPTS_INIT;
    o.root = p->conf->root;
    if ((rc = vg_sca_run(pol, &o, &r, err))) goto out;
    rc = vg_buf_addf(doc, "{\"type\":\"hardening\",\"ts\":%lld,\"report\":", (long long)ts);
    if (!rc) rc = vg_sca_report_posture_json(r, ts, doc);
    if (!rc) rc = vg_buf_addc(doc, '}');
    if (rc) { rc = vg_err_set(err, rc, "cannot build the hardening report"); goto out; }
    if (doc->len > DOC_MAX) { rc = vg_err_set(err, VG_ETOOBIG, "report of %zu bytes exceeds %u", doc->len, DOC_MAX); goto out; }
    if (r->scored) vg_info("agent", "hardening: %s score %.1f%% (%zu pass, %zu fail) in %.0f ms", r->policy_id, r->score,
                           r->count[VG_SCA_PASS], r->count[VG_SCA_FAIL], (double)r->wall_ns / 1e6);
    else vg_info("agent", "hardening: %s not scored (no check applied)", r->policy_id);
out:
    vg_sca_report_free(r);
    vg_sca_policy_free(pol);
    return rc;
}

/* Test hook (used by tests/integration/test_agent_scan_child.py, harmless
 * elsewhere): VIGIL_AGENT_TEST_SCAN=KIND:ACTION[:N][,...] makes the child
 * of KIND (inventory, hardening) misbehave on its first N runs (all when
 * N is absent): abort (SIGABRT, no core), hang (until killed), garbage
 * (a truncated document, exit 0), big (output over the size cap), fail
 * (exit 1). Runs in the child only. */
static void test_hook(const struct vg_posture *p, int kind, int fd)
{
    const char *h = getenv("VIGIL_AGENT_TEST_SCAN");
    if (!h || !*h) return;
    const char *name = scan_names[kind];
    size_t nl = strlen(name);
    for (const char *s = h; s && *s; s = strchr(s, ',') ? strchr(s, ',') + 1 : NULL) {
        const char *e = strchr(s, ',');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        if (len <= nl || strncmp(s, name, nl) != 0 || s[nl] != ':') continue;
        const char *act = s + nl + 1;
        size_t al = len - nl - 1;
        const char *colon = memchr(act, ':', al);
        int64_t upto = 0;
        if (colon) {
            if (vg_parse_i64(colon + 1, (size_t)(act + al - colon - 1), &upto) != 0) continue;
            al = (size_t)(colon - act);
        }
        if (upto > 0 && p->runs[kind] > (uint64_t)upto) continue;
        vg_warn("agent", "%s child: test hook %.*s (run %llu)", name, (int)al, act, (unsigned long long)p->runs[kind]);
        if (al == 5 && !memcmp(act, "abort", 5)) {
            struct rlimit rl = {0, 0};
            setrlimit(RLIMIT_CORE, &rl);
            abort();
        }
        if (al == 4 && !memcmp(act, "hang", 4))
            for (;;) pause();
        if (al == 7 && !memcmp(act, "garbage", 7)) {
            char g[128];
            int n = snprintf(g, sizeof g, "{\"type\":\"%s\",\"ts\":%lld,\"report\":{\"cut", name, (long long)p->child.ts);
            write_all(fd, g, (size_t)n);
            _exit(0);
        }
        if (al == 3 && !memcmp(act, "big", 3)) {
            static char blank[65536];
            memset(blank, ' ', sizeof blank);
            for (size_t w = 0; w <= DOC_MAX && write_all(fd, blank, sizeof blank); w += sizeof blank) {}
            _exit(0);
        }
        if (al == 4 && !memcmp(act, "fail", 4)) _exit(1);
    }
}

/* The child's whole life: never returns. */
static _Noreturn void child_main(struct vg_posture *p, int kind, int fd)
{
    /* the agent's SIGTERM handler only sets a flag; a child must just die */
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    test_hook(p, kind, fd);
    struct vg_err err = VG_ERR_INIT;
    struct vg_buf doc = VG_BUF_INIT;
    doc.cap_limit = (size_t)VG_SPOOL_MAX_REC * 2;
    int rc = kind == VG_SCAN_INVENTORY ? inventory_doc(p, p->child.ts, &doc, &err)
                                       : hardening_doc(p, p->child.ts, &doc, &err);
    if (rc) vg_warn("agent", "%s: %s", scan_names[kind], err.msg[0] ? err.msg : vg_strerror(rc));
    if (!rc && doc.len && !write_all(fd, doc.data, doc.len)) rc = VG_EIO;
    /* _exit: no atexit handlers, no flush of the stdio buffers (the spool's
     * FILE) inherited from the agent */
    _exit(rc ? 1 : 0);
}

static int child_start(struct vg_posture *p, int kind, struct vg_err *err)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return vg_err_set(err, VG_EIO, "pipe: %s", strerror(errno));
    p->runs[kind]++;
    p->child.ts = next_ts(p);
    p->child.kind = kind;
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return vg_err_set(err, VG_EIO, "fork: %s", strerror(errno));
    }
    if (pid == 0) {
        close(fds[0]);
        child_main(p, kind, fds[1]);
    }
    close(fds[1]);
    fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
    p->child.pid = pid;
    p->child.fd = fds[0];
    p->child.started = vg_mono_ns();
    p->child.deadline = p->child.started + p->conf->scan_timeout_ns;
    p->child.fail = NULL;
    p->child.killed = false;
    vg_buf_reset(&p->child.out);
    p->child.out.cap_limit = DOC_MAX + 1;
    return 0;
}

static void child_kill(struct vg_posture *p, const char *why)
{
    if (!p->child.killed) kill(p->child.pid, SIGKILL);
    p->child.killed = true;
    if (!p->child.fail) p->child.fail = why;
    if (p->child.fd >= 0) close(p->child.fd);
    p->child.fd = -1;
}

/* Reads what the child wrote so far; closes the pipe at EOF. */
static void child_read(struct vg_posture *p)
{
    char tmp[16384];
    while (p->child.fd >= 0) {
        ssize_t r = read(p->child.fd, tmp, sizeof tmp);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 && errno == EAGAIN) return;
        if (r <= 0) {
            close(p->child.fd);
            p->child.fd = -1;
            return;
        }
        if (p->child.out.len + (size_t)r > DOC_MAX || vg_buf_add(&p->child.out, tmp, (size_t)r) != 0) {
            child_kill(p, "output over the size cap");
            return;
        }
    }
}

/* Checks the output of a child that exited 0: empty (inventory only: no
 * change) or exactly one JSON object opening with the expected type and
 * ts. Returns NULL when acceptable, else why not. */
static const char *child_output_bad(const struct vg_posture *p)
{
    const struct vg_buf *o = &p->child.out;
    if (o->len == 0) return p->child.kind == VG_SCAN_INVENTORY ? NULL : "empty output";
    char head[96];
    int n = snprintf(head, sizeof head, "{\"type\":\"%s\",\"ts\":%lld,", scan_names[p->child.kind], (long long)p->child.ts);
    if (o->len < (size_t)n || memcmp(o->data, head, (size_t)n) != 0) return "not the expected document";
    struct vg_err e = VG_ERR_INIT;
    if (vg_json_validate(o->data, o->len, &e) != 0) return "not valid JSON";
    return NULL;
}

/* The child exited (status st): spools its document or rejects it. */
static void child_done(struct vg_posture *p, struct vg_spool *sp, int st, const struct rusage *ru)
{
    int kind = p->child.kind;
    const char *name = scan_names[kind];
    double ms = (double)(vg_mono_ns() - p->child.started) / 1e6;
    char why[600] = "";
    const char *bad = NULL;
    if (p->child.fail) snprintf(why, sizeof why, "%s", p->child.fail);
    else if (WIFSIGNALED(st)) snprintf(why, sizeof why, "killed by signal %d", WTERMSIG(st));
    else if (!WIFEXITED(st)) snprintf(why, sizeof why, "ended abnormally");
    else if (WEXITSTATUS(st) != 0) snprintf(why, sizeof why, "failed (exit status %d)", WEXITSTATUS(st));
    else if ((bad = child_output_bad(p)))
        snprintf(why, sizeof why, "malformed output rejected (%s, %zu bytes)", bad, p->child.out.len);
    struct vg_err err = VG_ERR_INIT;
    if (!why[0] && p->child.out.len) {
        int rc = emit(p, sp, name, p->child.ts, &p->child.out, &err);
        if (!rc) rc = vg_spool_sync(sp, &err);
        if (rc) snprintf(why, sizeof why, "cannot spool the report: %s", err.msg);
    }
    if (why[0]) {
        p->scan_failures++;
        vg_warn("agent", "%s scan child %s after %.0f ms; next try in one interval (%llu scan failures so far)", name, why,
                ms, (unsigned long long)p->scan_failures);
        if (kind == VG_SCAN_INVENTORY) unlink(p->inv_next);
    } else if (kind == VG_SCAN_INVENTORY) {
        if (p->child.out.len) {
            /* only now: a crash before this line re-sends the changes (same content) */
            if (rename(p->inv_next, p->inv_path) != 0) vg_warn("agent", "cannot write %s: %s", p->inv_path, strerror(errno));
            p->inv_sent = true;
            p->inv_reports++;
        }
    } else {
        p->harden_reports++;
    }
    if (!why[0])
        vg_log(p->child.out.len ? VG_LOG_INFO : VG_LOG_DEBUG, "agent", "%s scan child: %s in %.0f ms (child peak RSS %.1f MB)",
               name, p->child.out.len ? "report spooled" : "no change", ms, (double)ru->ru_maxrss / 1024.0);
    vg_buf_release(&p->child.out);
    p->child.pid = -1;
    malloc_trim(0); /* the document's buffer: back to the OS */
}

/* Advances the running child, if any: reads its output, enforces the
 * timeout, reaps it. */
static void child_poll(struct vg_posture *p, struct vg_spool *sp)
{
    if (p->child.pid <= 0) return;
    child_read(p);
    if (!p->child.killed && vg_mono_ns() > p->child.deadline) child_kill(p, "timed out");
    int st = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    pid_t w = wait4(p->child.pid, &st, WNOHANG, &ru);
    if (w == 0) return;
    if (w < 0) { st = 0; if (!p->child.fail) p->child.fail = "lost (wait failed)"; }
    /* exited: whatever it wrote is in the pipe now */
    child_read(p);
    if (p->child.fd >= 0) {
        /* a grandchild still holds the pipe open: do not wait for it */
        close(p->child.fd);
        p->child.fd = -1;
        if (!p->child.fail) p->child.fail = "left its output open";
    }
    child_done(p, sp, st, &ru);
}

static void child_stop(struct vg_posture *p)
{
    if (p->child.pid <= 0) return;
    child_kill(p, "stopped");
    int st;
    while (waitpid(p->child.pid, &st, 0) < 0 && errno == EINTR) {}
    p->child.pid = -1;
    vg_buf_release(&p->child.out);
    unlink(p->inv_next);
}

/* ---- file integrity --------------------------------------------------- */

struct fim_ctx { struct vg_posture *p; struct vg_spool *sp; struct vg_err *err; size_t n; };

static int fim_change(void *ud, const struct vg_fim_change *c)
{
    struct fim_ctx *fc = ud;
    struct vg_buf doc = VG_BUF_INIT;
    int64_t ts = next_ts(fc->p);
    int rc = vg_buf_addf(&doc, "{\"type\":\"fim\",\"ts\":%lld,\"change\":", (long long)ts);
    if (!rc) rc = vg_fim_change_json(c, fc->p->host, &doc);
    if (!rc) rc = vg_buf_addc(&doc, '}');
    if (!rc) rc = emit(fc->p, fc->sp, "fim", ts, &doc, fc->err);
    vg_buf_release(&doc);
    if (rc == VG_ETOOBIG) { vg_warn("agent", "fim: %s: change not reported: %s", c->path, fc->err->msg); rc = 0; }
    if (!rc) fc->n++;
    return rc;
}

static void fim_save(struct vg_posture *p)
{
    struct vg_err e = VG_ERR_INIT;
    const struct vg_fim_baseline *b = p->watch ? vg_fim_watch_state(p->watch) : NULL;
    if (b && vg_fim_baseline_save(b, p->fim_path, &e) != 0) vg_warn("agent", "fim: %s", e.msg);
    p->fim_dirty = false;
    p->fim_saved = vg_mono_ns();
}

/* Full scan against the held (or stored) baseline, reporting differences;
 * then (re)starts the watcher on the new state. */
static int fim_rescan(struct vg_posture *p, struct vg_spool *sp, struct vg_err *err)
{
    struct vg_fim_baseline *old = NULL, *cur = NULL;
    int rc = 0;
    if (!p->watch) {
        struct vg_err le = VG_ERR_INIT;
        int lr = vg_fim_baseline_load(p->fim_path, &old, &le);
        if (lr && lr != VG_ENOENT && lr != VG_EIO) vg_warn("agent", "fim: %s: starting a new baseline", le.msg);
        if (lr) old = NULL;
    }
    if ((rc = vg_fim_scan(&p->fim, &cur, err))) goto out;
    struct fim_ctx fc = {p, sp, err, 0};
    const struct vg_fim_baseline *prev = p->watch ? vg_fim_watch_state(p->watch) : old;
    if (prev && (rc = vg_fim_diff(prev, cur, fim_change, &fc))) goto out;
    if (fc.n && (rc = vg_spool_sync(sp, err))) goto out;
    vg_fim_watch_free(p->watch);
    p->watch = NULL;
    rc = vg_fim_watch_open(&p->fim, cur, &p->watch, err);
    cur = NULL; /* taken over */
    if (rc) goto out;
    fim_save(p);
    vg_info("agent", "fim: %zu entries under %zu paths%s, %zu changes since the last scan",
            vg_fim_watch_state(p->watch)->n, p->fim.npaths, prev ? "" : " (new baseline)", fc.n);
out:
    vg_fim_baseline_free(old);
    vg_fim_baseline_free(cur);
    return rc;
}

/* ---- life cycle ------------------------------------------------------- */

int vg_posture_open(struct vg_posture *p, const struct vg_posture_conf *c, const char *data_dir, const char *host,
                    struct vg_err *err)
{
    (void)err;
    memset(p, 0, sizeof *p);
    p->conf = c;
    p->child.pid = p->child.fd = -1;
    snprintf(p->host, sizeof p->host, "%s", host);
    snprintf(p->inv_path, sizeof p->inv_path, "%s/inventory.json", data_dir);
    snprintf(p->inv_next, sizeof p->inv_next, "%s/inventory.json.new", data_dir);
    snprintf(p->fim_path, sizeof p->fim_path, "%s/fim.baseline", data_dir);
    p->fim.paths = c->nfim_paths ? (const char *const *)c->fim_paths : default_fim_paths;
    p->fim.npaths = c->nfim_paths ? c->nfim_paths : VG_ARRAY_LEN(default_fim_paths);
    p->fim.ignore = (const char *const *)c->fim_ignore;
    p->fim.nignore = c->nfim_ignore;
    p->fim.recursive = true;
    int64_t now = vg_mono_ns();
    p->next_inv = c->inventory ? now : INT64_MAX;
    p->next_harden = c->hardening ? now : INT64_MAX;
    p->next_fim_scan = c->fim ? now : INT64_MAX;
    return 0;
}

void vg_posture_close(struct vg_posture *p)
{
    child_stop(p);
    if (p->watch && p->fim_dirty) fim_save(p);
    vg_fim_watch_free(p->watch);
    p->watch = NULL;
}

int vg_posture_wait_fd(const struct vg_posture *p) { return p->child.pid > 0 ? p->child.fd : -1; }

long vg_posture_poll(struct vg_posture *p, struct vg_spool *sp)
{
    struct vg_err err = VG_ERR_INIT;
    long before = (long)p->docs;
    int64_t now = vg_mono_ns();
    if (p->watch) {
        struct fim_ctx fc = {p, sp, &err, 0};
        int n = vg_fim_watch_poll(p->watch, 0, fim_change, &fc);
        if (n < 0) vg_warn("agent", "fim: %s", err.msg[0] ? err.msg : vg_strerror(n));
        if (fc.n) {
            if (vg_spool_sync(sp, &err) != 0) vg_warn("agent", "%s", err.msg);
            p->fim_dirty = true;
        }
        if (p->fim_dirty && now - p->fim_saved >= FIM_SAVE_NS) fim_save(p);
    }
    bool ran = false;
    if (now >= p->next_fim_scan) {
        ran = true;
        p->next_fim_scan = now + p->conf->fim_scan_ns;
        err = (struct vg_err)VG_ERR_INIT;
        if (fim_rescan(p, sp, &err) != 0) vg_warn("agent", "fim: %s", err.msg);
    }
    child_poll(p, sp);
    /* one scan child at a time, inventory first; a failed start (or a
     * failed scan) waits for the next interval */
    int kind = -1;
    if (now >= p->next_inv) kind = VG_SCAN_INVENTORY;
    else if (now >= p->next_harden) kind = VG_SCAN_HARDENING;
    if (kind >= 0 && p->child.pid <= 0) {
        if (kind == VG_SCAN_INVENTORY) p->next_inv = now + p->conf->inventory_ns;
        else p->next_harden = now + p->conf->hardening_ns;
        err = (struct vg_err)VG_ERR_INIT;
        if (child_start(p, kind, &err) != 0) vg_warn("agent", "%s: cannot start the scan: %s", scan_names[kind], err.msg);
    }
    /* a full FIM scan allocates and frees a few hundred KB: give the freed
     * pages back (glibc keeps them otherwise), so the agent's resident size
     * stays near its idle size */
    if (ran) malloc_trim(0);
    if (!p->first_done && p->docs) {
        p->first_done = true;
        vg_info("agent", "first posture report spooled %.0f ms after start", (double)(vg_mono_ns() - p->started) / 1e6);
    }
    return (long)p->docs - before;
}
