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
 * loop; inventory and hardening each run in a child process, the helper
 * vigil-agent-scan, that hands its document back over a pipe (below).
 * Nothing here talks to the network. */
#include "agent.h"
#include "vigil/fim.h"
#include "vigil/json.h"
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define DOC_MAX VG_POSTURE_DOC_MAX
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

/* ---- scans in a child process ------------------------------------------
 * Inventory and hardening run in a child: fork, then exec of the helper
 * vigil-agent-scan (src/agent/scan/scan.c) with stdout on a pipe. The
 * collectors, the YAML policy parser, PCRE2, SQLite (rpm database) and
 * their buffers live only there: the agent neither links those libraries
 * nor touches their pages, and a collector that crashes or hangs takes
 * only its child down. The parent picks the document's ts, reads the pipe
 * in its loop (at most DOC_MAX bytes), kills the child after scan_timeout,
 * and spools the document only when the child exited 0 and the output is
 * empty (inventory: no change) or one valid JSON object opening with
 * {"type":"<kind>","ts":<that ts>,. Anything else is logged, counted and
 * dropped; the next interval tries again. */

static const char *const scan_names[VG_SCAN_KINDS] = {"inventory", "hardening"};

static int child_start(struct vg_posture *p, int kind, struct vg_err *err)
{
    const struct vg_posture_conf *c = p->conf;
    char ts[24], run[24];
    p->runs[kind]++;
    p->child.ts = next_ts(p);
    p->child.kind = kind;
    snprintf(ts, sizeof ts, "%lld", (long long)p->child.ts);
    snprintf(run, sizeof run, "%llu", (unsigned long long)p->runs[kind]);
    const char *argv[20];
    size_t n = 0;
    argv[n++] = p->scanner;
    argv[n++] = scan_names[kind];
    argv[n++] = "--ts";
    argv[n++] = ts;
    argv[n++] = "--root";
    argv[n++] = c->root;
    argv[n++] = "--run";
    argv[n++] = run;
    if (kind == VG_SCAN_INVENTORY) {
        argv[n++] = "--host";
        argv[n++] = p->host;
        argv[n++] = "--prev";
        argv[n++] = p->inv_path;
        argv[n++] = "--next";
        argv[n++] = p->inv_next;
        if (p->inv_sent) argv[n++] = "--sent";
    } else if (c->policy[0]) {
        argv[n++] = "--policy";
        argv[n++] = c->policy;
    }
    argv[n] = NULL;
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return vg_err_set(err, VG_EIO, "pipe: %s", strerror(errno));
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return vg_err_set(err, VG_EIO, "fork: %s", strerror(errno));
    }
    if (pid == 0) {
        /* stdin /dev/null, stdout the pipe, stderr the agent's log; no
         * other descriptor of the agent (socket, spool, lock) goes along */
        if (fds[1] == 1) fcntl(1, F_SETFD, 0); /* the agent ran with stdout closed */
        else dup2(fds[1], 1);
        int dn = open("/dev/null", O_RDONLY);
        if (dn > 0) dup2(dn, 0);
        close_range(3, ~0u, 0);
        execv(p->scanner, (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
    fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
    p->child.pid = pid;
    p->child.fd = fds[0];
    p->child.started = vg_mono_ns();
    p->child.deadline = p->child.started + c->scan_timeout_ns;
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
    char why[1400] = "";
    const char *bad = NULL;
    if (p->child.fail) snprintf(why, sizeof why, "%s", p->child.fail);
    else if (WIFSIGNALED(st)) snprintf(why, sizeof why, "killed by signal %d", WTERMSIG(st));
    else if (!WIFEXITED(st)) snprintf(why, sizeof why, "ended abnormally");
    else if (WEXITSTATUS(st) == 127) snprintf(why, sizeof why, "could not run %s", p->scanner);
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
    if (c->scanner[0]) snprintf(p->scanner, sizeof p->scanner, "%s", c->scanner);
    else {
        /* the helper installed next to vigil-agent */
        char exe[1024];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        exe[n > 0 ? n : 0] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) slash[1] = 0;
        snprintf(p->scanner, sizeof p->scanner, "%s%s", slash ? exe : "", VG_AGENT_SCANNER);
    }
    if ((c->inventory || c->hardening) && access(p->scanner, X_OK) != 0)
        vg_warn("agent", "cannot run the posture scanner %s (%s): inventory and hardening reports will fail", p->scanner,
                strerror(errno));
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
