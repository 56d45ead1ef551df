/* Hardening engine: evaluates a policy's checks against a root prefix. Each
 * check's applies_if and condition trees are evaluated with four-valued
 * logic (pass, fail, not applicable, error); results carry the probes'
 * evidence; the report counts results by severity and framework and computes
 * the severity-weighted score. JSON rendering for the server lives here too.
 * Part of src/posture/sca. */
#include "internal.h"
#include <time.h>

/* ---- evaluation ---- */

static enum vg_sca_status eval(struct vg__sca_ctx *c, const struct vg__sca_node *n, struct vg_buf *ev)
{
    if (n->kind == NK_PROBE) {
        struct vg_buf pe = VG_BUF_INIT;
        pe.cap_limit = VG_SCA_MAX_EVIDENCE + 512;
        enum vg_sca_status st = n->probe->run(c, n, &pe);
        if (pe.len) vg__sca_ev(ev, "%s", pe.data);
        else if (st == VG_SCA_ERROR) vg__sca_ev(ev, "%s: error", n->probe->name);
        vg_buf_release(&pe);
        return st;
    }
    if (n->kind == NK_NOT) {
        enum vg_sca_status st = eval(c, n->kids[0], ev);
        return st == VG_SCA_PASS ? VG_SCA_FAIL : st == VG_SCA_FAIL ? VG_SCA_PASS : st;
    }
    /* all: fail beats error beats pass; any: pass beats error beats fail;
     * children that are not applicable are ignored; all of them n/a: n/a.
     * Evidence keeps only the children that decided the outcome. */
    size_t cnt[VG_SCA_NSTATUS] = {0};
    struct vg_buf kid[VG_SCA_NSTATUS];
    for (int i = 0; i < VG_SCA_NSTATUS; i++) {
        kid[i] = (struct vg_buf)VG_BUF_INIT;
        kid[i].cap_limit = VG_SCA_MAX_EVIDENCE + 512;
    }
    for (size_t i = 0; i < n->nkids; i++) {
        struct vg_buf one = VG_BUF_INIT;
        one.cap_limit = VG_SCA_MAX_EVIDENCE + 512;
        enum vg_sca_status st = eval(c, n->kids[i], &one);
        cnt[st]++;
        if (one.len && !(kid[st].data && strstr(kid[st].data, one.data))) vg__sca_ev(&kid[st], "%s", one.data);
        vg_buf_release(&one);
    }
    enum vg_sca_status r;
    if (n->kind == NK_ALL)
        r = cnt[VG_SCA_FAIL] ? VG_SCA_FAIL : cnt[VG_SCA_ERROR] ? VG_SCA_ERROR : cnt[VG_SCA_PASS] ? VG_SCA_PASS : VG_SCA_NA;
    else
        r = cnt[VG_SCA_PASS] ? VG_SCA_PASS : cnt[VG_SCA_ERROR] ? VG_SCA_ERROR : cnt[VG_SCA_FAIL] ? VG_SCA_FAIL : VG_SCA_NA;
    if (kid[r].len) vg__sca_ev(ev, "%s", kid[r].data);
    for (int i = 0; i < VG_SCA_NSTATUS; i++) vg_buf_release(&kid[i]);
    return r;
}

/* ---- os-release ---- */

static void os_release(struct vg__sca_ctx *c, char *id, size_t idsz, char *ver, size_t versz)
{
    char *t = NULL;
    size_t len = 0;
    *id = *ver = 0;
    if (vg__sca_read(c, "/etc/os-release", 65536, &t, &len) != 0 &&
        vg__sca_read(c, "/usr/lib/os-release", 65536, &t, &len) != 0)
        return;
    struct vg__sca_lines ln = {t, t + len, 0};
    const char *s;
    size_t n;
    while (vg__sca_line_next(&ln, &s, &n)) {
        char *dst = NULL;
        size_t dsz = 0, kl = 0;
        if (n > 3 && memcmp(s, "ID=", 3) == 0) { dst = id; dsz = idsz; kl = 3; }
        else if (n > 11 && memcmp(s, "VERSION_ID=", 11) == 0) { dst = ver; dsz = versz; kl = 11; }
        if (!dst) continue;
        s += kl;
        n -= kl;
        vg__sca_trim(&s, &n);
        if (n >= 2 && (s[0] == '"' || s[0] == '\'') && s[n - 1] == s[0]) { s++; n -= 2; }
        snprintf(dst, dsz, "%.*s", (int)n, s);
    }
}

/* ---- run ---- */

static int64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static bool selected(const struct vg_sca_opts *o, const char *id)
{
    if (!o->only || !o->nonly) return true;
    for (size_t i = 0; i < o->nonly; i++)
        if (o->only[i] && strcmp(o->only[i], id) == 0) return true;
    return false;
}

int vg_sca_run(const struct vg_sca_policy *p, const struct vg_sca_opts *opts, struct vg_sca_report **out,
               struct vg_err *err)
{
    struct vg_sca_opts dflt = VG_SCA_OPTS_INIT;
    if (!p || !out) return vg_err_set(err, VG_EINVAL, "no policy");
    *out = NULL;
    if (!opts) opts = &dflt;
    for (size_t i = 0; opts->only && i < opts->nonly; i++) {
        bool found = false;
        for (size_t j = 0; j < vg_sca_policy_count(p) && !found; j++)
            found = opts->only[i] && strcmp(vg_sca_policy_check(p, j)->id, opts->only[i]) == 0;
        if (!found) return vg_err_set(err, VG_EINVAL, "no check with id '%s' in policy %s", opts->only[i] ? opts->only[i] : "",
                                      vg_sca_policy_id(p));
    }
    const char *root = opts->root && *opts->root ? opts->root : "/";
    char rootbuf[2048];
    size_t rl = strlen(root);
    while (rl > 1 && root[rl - 1] == '/') rl--;
    if (rl >= sizeof rootbuf) return vg_err_set(err, VG_EINVAL, "root path too long");
    memcpy(rootbuf, root, rl);
    rootbuf[rl] = 0;
    bool live = strcmp(rootbuf, "/") == 0;
    if (live) rootbuf[0] = 0;

    struct vg__sca_ctx c;
    memset(&c, 0, sizeof c);
    c.root = rootbuf;
    c.live = live;
    c.cmd_timeout_ms = opts->cmd_timeout_ms;
    vg_arena_init(&c.ar, 65536);
    c.ar.cap = 512u << 20;
    struct vg_sca_report *r = vg_calloc(1, sizeof *r);
    int rc = 0;
    int64_t w0 = vg_mono_ns(), c0 = cpu_ns();
    if (!r) { rc = vg_err_set(err, VG_ENOMEM, "out of memory"); goto out; }
    r->started_ns = vg_now_ns();
    c.md = pcre2_match_data_create(32, NULL);
    c.mc = pcre2_match_context_create(NULL);
    if (!c.md || !c.mc) { rc = vg_err_set(err, VG_ENOMEM, "out of memory"); goto out; }
    pcre2_set_match_limit(c.mc, 1000000);
    pcre2_set_depth_limit(c.mc, 10000);
    pcre2_set_heap_limit(c.mc, 8192);

    char osid[64], osver[64];
    os_release(&c, osid, sizeof osid, osver, sizeof osver);
    char plat[160];
    snprintf(plat, sizeof plat, "%s %s", *osid ? osid : "unknown", *osver ? osver : "");
    r->platform_match = vg__sca_policy_platform(p, *osid ? osid : NULL, *osver ? osver : NULL);
    r->policy_id = vg_strdup(vg_sca_policy_id(p));
    r->policy_name = vg_strdup(vg_sca_policy_name(p));
    r->policy_version = vg_strdup(vg_sca_policy_version(p));
    r->root = vg_strdup(root);
    r->platform = vg_strdup(plat);
    size_t total = vg_sca_policy_count(p);
    r->results = vg_calloc(total ? total : 1, sizeof *r->results);
    if (!r->policy_id || !r->policy_name || !r->policy_version || !r->root || !r->platform || !r->results) {
        rc = vg_err_set(err, VG_ENOMEM, "out of memory");
        goto out;
    }
    double wp = 0, wt = 0, fwp[VG_SCA_NFW] = {0}, fwt[VG_SCA_NFW] = {0};
    for (size_t i = 0; i < total; i++) {
        const struct vg_sca_check *ck = vg_sca_policy_check(p, i);
        if (!selected(opts, ck->id)) continue;
        int64_t t0 = vg_mono_ns();
        struct vg_buf ev = VG_BUF_INIT;
        ev.cap_limit = VG_SCA_MAX_EVIDENCE * 4;
        enum vg_sca_status st;
        if (!r->platform_match && !opts->ignore_platform) {
            st = VG_SCA_NA;
            vg__sca_ev(&ev, "platform %s is not covered by policy %s", plat, r->policy_id);
        } else {
            st = VG_SCA_PASS;
            if (ck->applies_if) {
                struct vg_buf ae = VG_BUF_INIT;
                ae.cap_limit = VG_SCA_MAX_EVIDENCE * 2;
                enum vg_sca_status a = eval(&c, ck->applies_if, &ae);
                if (a != VG_SCA_PASS) {
                    st = a == VG_SCA_ERROR ? VG_SCA_ERROR : VG_SCA_NA;
                    vg__sca_ev(&ev, "not applicable: %s", ae.len ? ae.data : "applies_if not met");
                }
                vg_buf_release(&ae);
            }
            if (st == VG_SCA_PASS) st = eval(&c, ck->condition, &ev);
        }
        if (ev.len > VG_SCA_MAX_EVIDENCE) {
            ev.len = VG_SCA_MAX_EVIDENCE - 3;
            /* do not cut a UTF-8 sequence in half */
            while (ev.len && ((unsigned char)ev.data[ev.len] & 0xC0) == 0x80) ev.len--;
            ev.data[ev.len] = 0;
            vg_buf_adds(&ev, "...");
        }
        struct vg_sca_result *res = &r->results[r->nresults];
        res->check = ck;
        res->status = st;
        res->evidence = ev.len ? vg_buf_detach(&ev, NULL) : vg_strdup("");
        vg_buf_release(&ev);
        if (!res->evidence) { rc = vg_err_set(err, VG_ENOMEM, "out of memory"); goto out; }
        res->elapsed_ns = vg_mono_ns() - t0;
        r->nresults++;
        r->count[st]++;
        r->by_severity[ck->severity][st]++;
        double w = vg_sca_severity_weight(ck->severity);
        if (st == VG_SCA_PASS || st == VG_SCA_FAIL) {
            wt += w;
            if (st == VG_SCA_PASS) wp += w;
        }
        for (int f = 0; f < VG_SCA_NFW; f++) {
            if (!ck->nrefs[f]) continue;
            r->by_framework[f][st]++;
            if (st == VG_SCA_PASS || st == VG_SCA_FAIL) {
                fwt[f] += w;
                if (st == VG_SCA_PASS) fwp[f] += w;
            }
        }
    }
    r->scored = wt > 0;
    r->score = wt > 0 ? 100.0 * wp / wt : 0;
    for (int f = 0; f < VG_SCA_NFW; f++) r->framework_score[f] = fwt[f] > 0 ? 100.0 * fwp[f] / fwt[f] : -1;
    r->wall_ns = vg_mono_ns() - w0;
    r->cpu_ns = cpu_ns() - c0;
out:
    if (c.md) pcre2_match_data_free(c.md);
    if (c.mc) pcre2_match_context_free(c.mc);
    vg_arena_release(&c.ar);
    if (rc) vg_sca_report_free(r);
    else *out = r;
    return rc;
}

void vg_sca_report_free(struct vg_sca_report *r)
{
    if (!r) return;
    for (size_t i = 0; i < r->nresults; i++) vg_free(r->results[i].evidence);
    vg_free(r->results);
    vg_free(r->policy_id);
    vg_free(r->policy_name);
    vg_free(r->policy_version);
    vg_free(r->root);
    vg_free(r->platform);
    vg_free(r);
}

/* ---- JSON ---- */

static void jstr(struct vg_buf *b, const char *s)
{
    if (!s) vg_buf_adds(b, "null");
    else vg_buf_add_json_str(b, s, strlen(s));
}

static void jcounts(struct vg_buf *b, const size_t *cnt)
{
    vg_buf_addc(b, '{');
    for (int s = 0; s < VG_SCA_NSTATUS; s++)
        vg_buf_addf(b, "%s\"%s\":%zu", s ? "," : "", vg_sca_status_name((enum vg_sca_status)s), cnt[s]);
    vg_buf_addc(b, '}');
}

int vg_sca_report_json(const struct vg_sca_report *r, struct vg_buf *b)
{
    if (!r || !b) return VG_EINVAL;
    char ts[48];
    vg_time_format(r->started_ns, ts, sizeof ts, 3);
    vg_buf_adds(b, "{\"policy\":{\"id\":");
    jstr(b, r->policy_id);
    vg_buf_adds(b, ",\"name\":");
    jstr(b, r->policy_name);
    vg_buf_adds(b, ",\"version\":");
    jstr(b, r->policy_version);
    vg_buf_adds(b, "},\"root\":");
    jstr(b, r->root);
    vg_buf_adds(b, ",\"platform\":");
    jstr(b, r->platform);
    vg_buf_addf(b, ",\"platform_match\":%s,\"started\":\"%s\",\"wall_ms\":%.3f,\"cpu_ms\":%.3f,\"score\":",
                r->platform_match ? "true" : "false", ts, (double)r->wall_ns / 1e6, (double)r->cpu_ns / 1e6);
    if (r->scored) vg_buf_addf(b, "%.2f", r->score);
    else vg_buf_adds(b, "null");
    vg_buf_adds(b, ",\"counts\":");
    jcounts(b, r->count);
    vg_buf_adds(b, ",\"by_severity\":{");
    for (int s = 0; s < VG_SCA_NSEVERITY; s++) {
        vg_buf_addf(b, "%s\"%s\":", s ? "," : "", vg_sca_severity_name((enum vg_sca_severity)s));
        jcounts(b, r->by_severity[s]);
    }
    vg_buf_adds(b, "},\"by_framework\":{");
    for (int f = 0; f < VG_SCA_NFW; f++) {
        vg_buf_addf(b, "%s\"%s\":{\"counts\":", f ? "," : "", vg_sca_framework_name((enum vg_sca_framework)f));
        jcounts(b, r->by_framework[f]);
        if (r->framework_score[f] >= 0) vg_buf_addf(b, ",\"score\":%.2f}", r->framework_score[f]);
        else vg_buf_adds(b, ",\"score\":null}");
    }
    vg_buf_adds(b, "},\"results\":[");
    for (size_t i = 0; i < r->nresults; i++) {
        const struct vg_sca_result *x = &r->results[i];
        vg_buf_adds(b, i ? ",{\"id\":" : "{\"id\":");
        jstr(b, x->check->id);
        vg_buf_adds(b, ",\"title\":");
        jstr(b, x->check->title);
        vg_buf_addf(b, ",\"severity\":\"%s\",\"result\":\"%s\",\"evidence\":", vg_sca_severity_name(x->check->severity),
                    vg_sca_status_name(x->status));
        jstr(b, x->evidence);
        vg_buf_adds(b, ",\"references\":{");
        bool first = true;
        for (int f = 0; f < VG_SCA_NFW; f++) {
            if (!x->check->nrefs[f]) continue;
            vg_buf_addf(b, "%s\"%s\":[", first ? "" : ",", vg_sca_framework_name((enum vg_sca_framework)f));
            first = false;
            for (size_t k = 0; k < x->check->nrefs[f]; k++) {
                if (k) vg_buf_addc(b, ',');
                jstr(b, x->check->refs[f][k]);
            }
            vg_buf_addc(b, ']');
        }
        vg_buf_addf(b, "},\"elapsed_us\":%lld}", (long long)(x->elapsed_ns / 1000));
    }
    return vg_buf_adds(b, "]}");
}

/* Evidence in the posture summary is capped: the full text stays in the
 * vg_sca_report_json form. */
#define POSTURE_EVIDENCE_MAX 1024

static void jstr_cap(struct vg_buf *b, const char *s, size_t cap)
{
    size_t n = s ? strlen(s) : 0;
    if (n > cap) {
        n = cap;
        while (n && ((unsigned char)s[n] & 0xC0) == 0x80) n--; /* do not cut a UTF-8 sequence */
    }
    vg_buf_add_json_str(b, s ? s : "", n);
}

int vg_sca_report_posture_json(const struct vg_sca_report *r, int64_t ts, struct vg_buf *b)
{
    if (!r || !b) return VG_EINVAL;
    size_t start = b->len;
    vg_buf_adds(b, "{\"policy\":");
    jstr(b, r->policy_id);
    vg_buf_adds(b, ",\"policy_name\":");
    jstr(b, r->policy_name);
    vg_buf_adds(b, ",\"policy_version\":");
    jstr(b, r->policy_version);
    vg_buf_adds(b, ",\"platform\":");
    jstr(b, r->platform);
    vg_buf_addf(b, ",\"ts\":%lld,\"wall_ms\":%.1f,\"score\":", (long long)ts, (double)r->wall_ns / 1e6);
    if (r->scored) vg_buf_addf(b, "%.2f", r->score);
    else vg_buf_adds(b, "null");
    vg_buf_addf(b, ",\"checks\":%zu,\"pass\":%zu,\"fail\":%zu,\"not_applicable\":%zu,\"error\":%zu,\"failed\":[",
                r->nresults, r->count[VG_SCA_PASS], r->count[VG_SCA_FAIL], r->count[VG_SCA_NA], r->count[VG_SCA_ERROR]);
    bool first = true;
    for (size_t i = 0; i < r->nresults; i++) {
        const struct vg_sca_result *x = &r->results[i];
        if (x->status != VG_SCA_FAIL && x->status != VG_SCA_ERROR) continue;
        vg_buf_adds(b, first ? "{\"id\":" : ",{\"id\":");
        first = false;
        jstr(b, x->check->id);
        vg_buf_adds(b, ",\"title\":");
        jstr(b, x->check->title);
        vg_buf_addf(b, ",\"severity\":\"%s\",\"result\":\"%s\",\"evidence\":", vg_sca_severity_name(x->check->severity),
                    vg_sca_status_name(x->status));
        jstr_cap(b, x->evidence, POSTURE_EVIDENCE_MAX);
        vg_buf_adds(b, ",\"remediation\":");
        jstr(b, x->check->remediation ? x->check->remediation : "");
        vg_buf_addc(b, '}');
    }
    vg_buf_adds(b, "],\"results\":[");
    for (size_t i = 0; i < r->nresults; i++) {
        const struct vg_sca_result *x = &r->results[i];
        vg_buf_adds(b, i ? ",{\"id\":" : "{\"id\":");
        jstr(b, x->check->id);
        vg_buf_addf(b, ",\"result\":\"%s\",\"evidence\":", vg_sca_status_name(x->status));
        jstr_cap(b, x->evidence, POSTURE_EVIDENCE_MAX);
        vg_buf_addc(b, '}');
    }
    int rc = vg_buf_adds(b, "]}");
    if (rc) b->len = start;
    return rc;
}
