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
 * then follows inotify with periodic full scans. Everything runs in the
 * agent's single loop; nothing here talks to the network. */
#include "agent.h"
#include "vigil/fim.h"
#include "vigil/inventory.h"
#include "vigil/sca.h"
#include <errno.h>
#include <malloc.h>
#include <sys/stat.h>
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

static int inventory_report(struct vg_posture *p, struct vg_spool *sp, struct vg_err *err)
{
    int64_t t0 = vg_mono_ns();
    struct vg_inv_snapshot *cur = vg_inv_snapshot_new(p->conf->root), *old = NULL;
    struct vg_inv_changes ch = VG_INV_CHANGES_INIT;
    struct vg_buf doc = VG_BUF_INIT, snap = VG_BUF_INIT, prev = VG_BUF_INIT;
    doc.cap_limit = snap.cap_limit = (size_t)VG_SPOOL_MAX_REC * 2;
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
    const char *host = p->host;
    for (int attempt = 0; attempt < 2; attempt++) {
        vg_buf_reset(&snap);
        vg_buf_reset(&doc);
        if ((rc = vg_inv_to_json(cur, &snap))) break;
        int64_t ts = next_ts(p);
        rc = vg_buf_addf(&doc, "{\"type\":\"inventory\",\"ts\":%lld,\"snapshot\":", (long long)ts);
        if (!rc) rc = vg_buf_add(&doc, snap.data, snap.len);
        if (!rc) rc = vg_buf_adds(&doc, ",\"changes\":[");
        for (size_t i = 0; !rc && i < ch.n; i++) {
            if (i) rc = vg_buf_addc(&doc, ',');
            if (!rc) rc = vg_inv_change_json(&ch.v[i], host, &doc);
        }
        if (!rc) rc = vg_buf_adds(&doc, "]}");
        if (rc) break;
        if (doc.len > DOC_MAX && attempt == 0 && cur->nprocs) {
            vg_warn("agent", "inventory of %zu bytes: sending it without the process list", doc.len);
            cur->nprocs = 0;
            continue;
        }
        rc = emit(p, sp, "inventory", ts, &doc, err);
        break;
    }
    if (rc) { if (!err || !err->code) vg_err_set(err, rc, "cannot build the inventory report"); goto out; }
    if ((rc = vg_spool_sync(sp, err))) goto out;
    /* only now: a crash before this line re-sends the changes (same content) */
    if (write_file(p->inv_path, snap.data, snap.len) != 0) vg_warn("agent", "cannot write %s", p->inv_path);
    p->inv_sent = true;
    p->inv_reports++;
    vg_info("agent", "inventory: %zu packages, %zu users, %zu ports, %zu services; %zu changes reported (%.0f ms)",
            cur->pkgs_known, cur->nusers, cur->nports, cur->nservices, ch.n, (double)(vg_mono_ns() - t0) / 1e6);
out:
    vg_buf_release(&doc);
    vg_buf_release(&snap);
    vg_inv_changes_release(&ch);
    vg_inv_snapshot_free(old);
    vg_inv_snapshot_free(cur);
    return rc;
}

/* ---- hardening -------------------------------------------------------- */

static int hardening_report(struct vg_posture *p, struct vg_spool *sp, struct vg_err *err)
{
    char buf[4096];
    const char *path = p->conf->policy[0] ? p->conf->policy : vg_sca_default_policy(buf, sizeof buf);
    struct vg_sca_policy *pol = NULL;
    struct vg_sca_report *r = NULL;
    struct vg_buf doc = VG_BUF_INIT;
    doc.cap_limit = (size_t)VG_SPOOL_MAX_REC * 2;
    int rc = vg_sca_policy_load_file(path, &pol, err);
    if (rc) goto out;
    struct vg_sca_opts o = VG_SCA_OPTS_INIT;
    o.root = p->conf->root;
    if ((rc = vg_sca_run(pol, &o, &r, err))) goto out;
    int64_t ts = next_ts(p);
    rc = vg_buf_addf(&doc, "{\"type\":\"hardening\",\"ts\":%lld,\"report\":", (long long)ts);
    if (!rc) rc = vg_sca_report_posture_json(r, ts, &doc);
    if (!rc) rc = vg_buf_addc(&doc, '}');
    if (rc) { rc = vg_err_set(err, rc, "cannot build the hardening report"); goto out; }
    if ((rc = emit(p, sp, "hardening", ts, &doc, err))) goto out;
    p->harden_reports++;
    if (r->scored) vg_info("agent", "hardening: %s score %.1f%% (%zu pass, %zu fail) in %.0f ms", r->policy_id, r->score,
                           r->count[VG_SCA_PASS], r->count[VG_SCA_FAIL], (double)r->wall_ns / 1e6);
    else vg_info("agent", "hardening: %s not scored (no check applied)", r->policy_id);
out:
    vg_buf_release(&doc);
    vg_sca_report_free(r);
    vg_sca_policy_free(pol);
    return rc;
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
    snprintf(p->host, sizeof p->host, "%s", host);
    snprintf(p->inv_path, sizeof p->inv_path, "%s/inventory.json", data_dir);
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
    if (p->watch && p->fim_dirty) fim_save(p);
    vg_fim_watch_free(p->watch);
    p->watch = NULL;
}

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
        if (fim_rescan(p, sp, &err) != 0) vg_warn("agent", "fim: %s", err.msg);
    }
    if (now >= p->next_inv) {
        ran = true;
        p->next_inv = now + p->conf->inventory_ns;
        err = (struct vg_err)VG_ERR_INIT;
        if (inventory_report(p, sp, &err) != 0) vg_warn("agent", "inventory: %s", err.msg);
    }
    if (now >= p->next_harden) {
        ran = true;
        p->next_harden = now + p->conf->hardening_ns;
        err = (struct vg_err)VG_ERR_INIT;
        if (hardening_report(p, sp, &err) != 0) vg_warn("agent", "hardening: %s", err.msg);
        else if (vg_spool_sync(sp, &err) != 0) vg_warn("agent", "%s", err.msg);
    }
    /* a collection or scan allocates a few MB and frees it all: give the
     * freed pages back (glibc keeps them otherwise), so the agent's resident
     * size stays near its idle size between reports */
    if (ran) malloc_trim(0);
    if (!p->first_done && p->docs) {
        p->first_done = true;
        vg_info("agent", "first posture report spooled %.0f ms after start", (double)(vg_mono_ns() - p->started) / 1e6);
    }
    return (long)p->docs - before;
}
