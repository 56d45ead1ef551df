/* vigil-agent-scan: the helper vigil-agent forks and execs for each
 * inventory or hardening scan (src/agent/posture.c). It builds the one
 * JSON document of the report, writes it to stdout and exits:
 *   vigil-agent-scan inventory --ts NS --root DIR --host NAME --prev FILE --next FILE [--sent] [--run N]
 *   vigil-agent-scan hardening --ts NS --root DIR [--policy FILE] [--run N]
 * exit 0 with the document, 0 with nothing (inventory: no change since the
 * snapshot in --prev, which --sent says was reported), 1 on an error it
 * logs to stderr, 2 on bad arguments. The inventory snapshot goes to
 * --next; the agent renames it over --prev once the document is durable in
 * its spool. Being a separate program, it alone maps the collectors'
 * libraries (libfyaml, PCRE2, SQLite for the rpm database, libm): the
 * agent never loads them. Not meant to be run by hand. */
#include "agent.h"
#include "vigil/inventory.h"
#include "vigil/sca.h"
#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#define DOC_MAX VG_POSTURE_DOC_MAX

struct scan_args {
    const char *kind, *root, *host, *prev, *next, *policy;
    int64_t ts;
    int64_t run;
    bool sent;
};

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

/* Writes all of [p, p+n) to fd; false on error (the agent went away). */
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

/* Collects, diffs against --prev and builds the document into doc (left
 * empty when nothing changed since a reported snapshot); the snapshot
 * goes to --next. */
static int inventory_doc(const struct scan_args *a, struct vg_buf *doc, struct vg_err *err)
{
    int64_t t0 = vg_mono_ns();
    struct vg_inv_snapshot *cur = vg_inv_snapshot_new(a->root), *old = NULL;
    struct vg_inv_changes ch = VG_INV_CHANGES_INIT;
    struct vg_buf snap = VG_BUF_INIT, prev = VG_BUF_INIT;
    snap.cap_limit = (size_t)VG_SPOOL_MAX_REC * 2;
    int rc = 0;
    if (!cur) { rc = vg_err_set(err, VG_ENOMEM, "out of memory"); goto out; }
    if ((rc = vg_inv_collect(cur, VG_INV_ALL, err))) goto out;
    if (read_file(a->prev, &prev) == 0 && prev.len) {
        struct vg_err pe = VG_ERR_INIT;
        if (vg_inv_from_json(prev.data, prev.len, &old, &pe) != 0) {
            vg_warn("agent", "%s: %s: sending a full inventory without changes", a->prev, pe.msg);
            old = NULL;
        }
    }
    vg_buf_release(&prev);
    if ((rc = vg_inv_diff(old, cur, &ch))) { rc = vg_err_set(err, rc, "inventory diff failed"); goto out; }
    if (a->sent && ch.n == 0) goto out; /* nothing new since the last report */
    for (int attempt = 0; attempt < 2; attempt++) {
        vg_buf_reset(&snap);
        vg_buf_reset(doc);
        if ((rc = vg_inv_to_json(cur, &snap))) break;
        rc = vg_buf_addf(doc, "{\"type\":\"inventory\",\"ts\":%lld,\"snapshot\":", (long long)a->ts);
        if (!rc) rc = vg_buf_add(doc, snap.data, snap.len);
        if (!rc) rc = vg_buf_adds(doc, ",\"changes\":[");
        for (size_t i = 0; !rc && i < ch.n; i++) {
            if (i) rc = vg_buf_addc(doc, ',');
            if (!rc) rc = vg_inv_change_json(&ch.v[i], a->host, doc);
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
    if (write_file(a->next, snap.data, snap.len) != 0) { rc = vg_err_set(err, VG_EIO, "cannot write %s", a->next); goto out; }
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

/* Loads the policy (read anew each time), runs it and builds the document. */
static int hardening_doc(const struct scan_args *a, struct vg_buf *doc, struct vg_err *err)
{
    char buf[4096];
    const char *path = a->policy && *a->policy ? a->policy : vg_sca_default_policy(buf, sizeof buf);
    struct vg_sca_policy *pol = NULL;
    struct vg_sca_report *r = NULL;
    int rc = vg_sca_policy_load_file(path, &pol, err);
    if (rc) goto out;
    struct vg_sca_opts o = VG_SCA_OPTS_INIT;
    o.root = a->root;
    if ((rc = vg_sca_run(pol, &o, &r, err))) goto out;
    rc = vg_buf_addf(doc, "{\"type\":\"hardening\",\"ts\":%lld,\"report\":", (long long)a->ts);
    if (!rc) rc = vg_sca_report_posture_json(r, a->ts, doc);
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

/* Test hook (tests/integration/test_agent_scan_child.py; harmless
 * elsewhere): VIGIL_AGENT_TEST_SCAN=KIND:ACTION[:N][,...] makes the scan
 * of KIND (inventory, hardening) misbehave on its first N runs (--run; all
 * runs when N is absent): abort (SIGABRT, no core file), hang (until the
 * agent kills it), garbage (a truncated document, exit 0), big (output
 * over the size cap), fail (exit 1). */
static void test_hook(const struct scan_args *a)
{
    const char *h = getenv("VIGIL_AGENT_TEST_SCAN");
    if (!h || !*h) return;
    size_t nl = strlen(a->kind);
    for (const char *s = h; s && *s; s = strchr(s, ',') ? strchr(s, ',') + 1 : NULL) {
        const char *e = strchr(s, ',');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        if (len <= nl || strncmp(s, a->kind, nl) != 0 || s[nl] != ':') continue;
        const char *act = s + nl + 1;
        size_t al = len - nl - 1;
        const char *colon = memchr(act, ':', al);
        int64_t upto = 0;
        if (colon) {
            if (vg_parse_i64(colon + 1, (size_t)(act + al - colon - 1), &upto) != 0) continue;
            al = (size_t)(colon - act);
        }
        if (upto > 0 && a->run > upto) continue;
        vg_warn("agent", "%s scan: test hook %.*s (run %lld)", a->kind, (int)al, act, (long long)a->run);
        if (al == 5 && !memcmp(act, "abort", 5)) {
            struct rlimit rl = {0, 0};
            setrlimit(RLIMIT_CORE, &rl);
            abort();
        }
        if (al == 4 && !memcmp(act, "hang", 4))
            for (;;) pause();
        if (al == 7 && !memcmp(act, "garbage", 7)) {
            char g[128];
            int n = snprintf(g, sizeof g, "{\"type\":\"%s\",\"ts\":%lld,\"report\":{\"cut", a->kind, (long long)a->ts);
            write_all(1, g, (size_t)n);
            exit(0);
        }
        if (al == 3 && !memcmp(act, "big", 3)) {
            static char blank[65536];
            memset(blank, ' ', sizeof blank);
            for (size_t w = 0; w <= DOC_MAX && write_all(1, blank, sizeof blank); w += sizeof blank) {}
            exit(0);
        }
        if (al == 4 && !memcmp(act, "fail", 4)) exit(1);
    }
}

int main(int argc, char **argv)
{
    struct scan_args a = {.root = "/", .run = 1};
    if (argc < 2) { fprintf(stderr, "usage: vigil-agent-scan inventory|hardening OPTIONS (run by vigil-agent)\n"); return 2; }
    a.kind = argv[1];
    bool inv = strcmp(a.kind, "inventory") == 0;
    if (!inv && strcmp(a.kind, "hardening") != 0) { fprintf(stderr, "vigil-agent-scan: unknown scan '%s'\n", a.kind); return 2; }
    for (int i = 2; i < argc; i++) {
        bool more = i + 1 < argc;
        const char *o = argv[i];
        if (!strcmp(o, "--sent")) a.sent = true;
        else if (!strcmp(o, "--root") && more) a.root = argv[++i];
        else if (!strcmp(o, "--host") && more) a.host = argv[++i];
        else if (!strcmp(o, "--prev") && more) a.prev = argv[++i];
        else if (!strcmp(o, "--next") && more) a.next = argv[++i];
        else if (!strcmp(o, "--policy") && more) a.policy = argv[++i];
        else if (!strcmp(o, "--ts") && more && vg_parse_i64(argv[i + 1], strlen(argv[i + 1]), &a.ts) == 0) i++;
        else if (!strcmp(o, "--run") && more && vg_parse_i64(argv[i + 1], strlen(argv[i + 1]), &a.run) == 0) i++;
        else { fprintf(stderr, "vigil-agent-scan: unknown or incomplete option '%s'\n", o); return 2; }
    }
    if (a.ts <= 0 || (inv && (!a.host || !a.prev || !a.next))) {
        fprintf(stderr, "vigil-agent-scan: --ts%s required\n", inv ? ", --host, --prev and --next are" : " is");
        return 2;
    }
    vg_log_set_level(VG_LOG_INFO);
    const char *lvl = getenv("VIGIL_AGENT_LOG");
    if (lvl && strcmp(lvl, "debug") == 0) vg_log_set_level(VG_LOG_DEBUG);
    if (lvl && strcmp(lvl, "warn") == 0) vg_log_set_level(VG_LOG_WARN);
    signal(SIGPIPE, SIG_IGN); /* a write to a gone agent fails with EPIPE: exit 1 */
    test_hook(&a);
    struct vg_err err = VG_ERR_INIT;
    struct vg_buf doc = VG_BUF_INIT;
    doc.cap_limit = (size_t)VG_SPOOL_MAX_REC * 2;
    int rc = inv ? inventory_doc(&a, &doc, &err) : hardening_doc(&a, &doc, &err);
    if (rc) vg_warn("agent", "%s: %s", a.kind, err.msg[0] ? err.msg : vg_strerror(rc));
    if (!rc && doc.len && !write_all(1, doc.data, doc.len)) rc = VG_EIO;
    vg_buf_release(&doc);
    return rc ? 1 : 0;
}
