/* Source: the agents' listener (`vigil serve --agents ADDR:PORT`). TLS 1.3
 * only, certificates from the server's own CA (agent_ca.c). A connection
 * without a client certificate may send exactly one ENROLL frame (one-time
 * token + CSR) and gets its certificate back; a connection with one is an
 * enrolled agent: HELLO, then LOG/RECORD frames, each stored through the
 * pipeline and acknowledged (ACK seq) only after the store committed, and
 * HEARTBEATs. Sequence numbers: a frame at or below the last committed one
 * is a replay (acknowledged again, not stored); one beyond last+1 is a gap
 * (ERROR, closed). A monitor thread marks agents silent and emits an
 * `agent_silent` event; revoked agents are dropped within seconds.
 * Protocol and trust model: docs/internals/agent.md. */
#include "internal.h"
#include "vigil/agent_ca.h"
#include "vigil/agent_proto.h"
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#define MAX_CONNS 2048
#define POLL_MS 200
#define HANDSHAKE_NS (10 * 1000000000LL)
#define REVOKE_CHECK_NS (2 * 1000000000LL)
#define RBUF_INIT (64 * 1024)

struct conn {
    struct conn *next;
    struct vg_source *srv;
    int fd;
    SSL *ssl;
    pthread_t th;
    atomic_bool done, superseded;
    char peer[64];
    uint8_t *rbuf;
    size_t rlen, rcap;
    struct vg_agent_info ag;
    bool authed;
    /* commit wait */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool committed;
    int status;
};

struct vg_source {
    struct vg_source_conf conf;
    struct vg_agent_ca *ca;
    SSL_CTX *ctx;
    struct vg_store *db;          /* registry handle, guarded by dbmu */
    pthread_mutex_t dbmu;
    struct vg_source_counters *c, *cv;
    int lfd;
    pthread_t acceptor, monitor;
    bool monitor_started;
    atomic_bool stop;
    pthread_mutex_t mu;
    struct conn *conns;
    size_t nconns;
    int64_t silent_ns;
};

static void log_ssl(const char *peer, const char *what)
{
    char msg[256] = "connection closed";
    unsigned long e = ERR_get_error();
    if (e) ERR_error_string_n(e, msg, sizeof msg);
    ERR_clear_error();
    vg_warn("agents", "%s: %s: %s", peer, what, msg);
}

/* ---- events about agents (collector "vigil") ------------------------- */
static void emit_agent_event(struct vg_source *s, const struct vg_agent_info *a, const char *action, const char *text)
{
    struct vg_batch *b = vg_batch_new(1);
    struct vg_event *ev = b ? vg_batch_push(b) : NULL;
    if (!ev) { vg_batch_free(b); return; }
    char raw[512];
    int n = snprintf(raw, sizeof raw, "vigil: agent %s (%s, tenant %s) %s", a->name, a->id, a->tenant, text);
    int64_t now = vg_now_ns();
    bool ok = vg_event_set_raw(ev, raw, (size_t)n) == 0;
    ev->ts = ev->recv_ts = now;
    ev->tenant = vg_arena_strndup(&b->arena, a->tenant, strlen(a->tenant));
    ev->host = vg_arena_strndup(&b->arena, a->name, strlen(a->name));
    ev->collector = "vigil";
    ev->format = "vigil";
    ok = ok && ev->tenant && ev->host;
    ok = ok && vg_event_add_str(ev, VG_FID_MESSAGE, VG_FF_ECS, ev->raw, ev->raw_len) == 0;
    ok = ok && vg_event_add_str_copy(ev, VG_FID_EVENT_ACTION, VG_FF_ECS, action, strlen(action)) == 0;
    ok = ok && vg_event_add_str_copy(ev, VG_FID_EVENT_KIND, VG_FF_ECS, "event", 5) == 0;
    /* vg_event_add_named references its value: give it arena copies */
    const char *aid = vg_arena_strndup(&b->arena, a->id, strlen(a->id));
    ok = ok && aid && vg_event_add_named(ev, "agent.id", VG_FF_ECS, aid, strlen(aid)) == 0;
    ok = ok && vg_event_add_named(ev, "agent.name", VG_FF_ECS, ev->host, strlen(ev->host)) == 0;
    if (!ok) { vg_batch_free(b); return; }
    vg_event_finish(ev);
    atomic_fetch_add(&s->cv->received, 1);
    if (vg_pipeline_submit_decoded(s->conf.pipeline, b, s->cv, true) != 0) {
        atomic_fetch_add(&s->cv->dropped, 1);
        vg_batch_free(b);
    }
}

static void *monitor_main(void *arg)
{
    struct vg_source *s = arg;
    int64_t next = 0;
    while (!atomic_load(&s->stop)) {
        usleep(POLL_MS * 1000);
        int64_t now = vg_now_ns();
        if (now < next) continue;
        next = now + (s->silent_ns / 4 < 1000000000LL ? s->silent_ns / 4 : 1000000000LL);
        struct vg_agent_info *a = NULL;
        size_t n = 0;
        pthread_mutex_lock(&s->dbmu);
        int rc = s->db->ops->agent_list(s->db, &a, &n, NULL);
        for (size_t i = 0; rc == 0 && i < n; i++) {
            if (a[i].revoked || a[i].silent || !a[i].last_seen || now - a[i].last_seen <= s->silent_ns) continue;
            a[i].silent = now;
            struct vg_err e = VG_ERR_INIT;
            if (s->db->ops->agent_update(s->db, &a[i], &e) != 0) { vg_warn("agents", "%s", e.msg); continue; }
            pthread_mutex_unlock(&s->dbmu);
            char t[48], text[96];
            vg_time_format(a[i].last_seen, t, sizeof t, 0);
            snprintf(text, sizeof text, "is silent: last seen %s", t);
            vg_warn("agents", "agent %s (%s) is silent since %s", a[i].name, a[i].id, t);
            emit_agent_event(s, &a[i], "agent_silent", text);
            pthread_mutex_lock(&s->dbmu);
        }
        pthread_mutex_unlock(&s->dbmu);
        vg_free(a);
    }
    return NULL;
}

/* ---- frame I/O -------------------------------------------------------- */
enum { R_FRAME = 0, R_IDLE = 1 };

/* Reads until a whole frame is buffered or POLL_MS pass. Returns R_FRAME
 * (f set; call consume() after use), R_IDLE, or a negative error. */
static int read_frame(struct conn *cn, struct vg_ap_frame *f, size_t *used, struct vg_err *err)
{
    for (int rounds = 0;; rounds++) {
        int rc = vg_ap_decode(cn->rbuf, cn->rlen, f, used, err);
        if (rc == 0) return R_FRAME;
        if (rc != VG_EAGAIN) return rc;
        if (rounds > 0 && cn->rlen == 0) return R_IDLE;
        size_t need = cn->rlen >= 4 ? 4 + ((size_t)cn->rbuf[0] << 24 | (size_t)cn->rbuf[1] << 16 |
                                           (size_t)cn->rbuf[2] << 8 | cn->rbuf[3])
                                    : RBUF_INIT;
        if (need > cn->rcap) {
            uint8_t *nb = vg_realloc(cn->rbuf, need);
            if (!nb) return vg_err_set(err, VG_ENOMEM, "out of memory for a %zu byte frame", need);
            cn->rbuf = nb;
            cn->rcap = need;
        }
        ERR_clear_error();
        int r = SSL_read(cn->ssl, cn->rbuf + cn->rlen, (int)(cn->rcap - cn->rlen));
        if (r > 0) { cn->rlen += (size_t)r; continue; }
        int e = SSL_get_error(cn->ssl, r);
        if (e == SSL_ERROR_WANT_READ || (e == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EINTR))) {
            ERR_clear_error();
            if (cn->rlen) return R_IDLE;   /* partial frame: caller decides about timeouts */
            return R_IDLE;
        }
        if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && cn->rlen == 0)) return VG_ECLOSED;
        if (cn->rlen) return vg_err_set(err, VG_EPARSE, "connection closed inside a frame (%zu bytes buffered)", cn->rlen);
        ERR_clear_error();
        return VG_ECLOSED;
    }
}

static void consume(struct conn *cn, size_t used)
{
    memmove(cn->rbuf, cn->rbuf + used, cn->rlen - used);
    cn->rlen -= used;
}

static int send_buf(struct conn *cn, const struct vg_buf *b)
{
    size_t off = 0;
    while (off < b->len) {
        ERR_clear_error();
        int r = SSL_write(cn->ssl, b->data + off, (int)(b->len - off));
        if (r <= 0) return VG_ENET;
        off += (size_t)r;
    }
    return 0;
}

static int send_frame(struct conn *cn, uint8_t type, uint64_t seq, const struct vg_buf *payload)
{
    struct vg_buf b = VG_BUF_INIT;
    int rc = vg_ap_encode(&b, type, seq, payload ? payload->data : NULL, payload ? payload->len : 0);
    if (!rc) rc = send_buf(cn, &b);
    vg_buf_release(&b);
    return rc;
}

static void send_error(struct conn *cn, const char *msg)
{
    struct vg_buf p = VG_BUF_INIT;
    if (vg_ap_kv_add(&p, "msg", msg, strlen(msg)) == 0) send_frame(cn, VG_AP_ERROR, 0, &p);
    vg_buf_release(&p);
}

/* ---- enrollment ------------------------------------------------------- */
static bool printable(const char *s)
{
    size_t n = strlen(s);
    if (!n || !vg_utf8_valid(s, n)) return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) return false;
    return true;
}

static void do_enroll(struct conn *cn, const struct vg_ap_frame *f)
{
    struct vg_source *s = cn->srv;
    char token[128], host[128];
    const uint8_t *csr;
    size_t csrlen;
    char *cert = NULL;
    struct vg_buf p = VG_BUF_INIT;
    struct vg_err e = VG_ERR_INIT;
    if (vg_ap_kv_str(f->payload, f->len, "token", token, sizeof token) != 0 ||
        vg_ap_kv_str(f->payload, f->len, "hostname", host, sizeof host) != 0 || !printable(host) ||
        vg_ap_kv_get(f->payload, f->len, "csr", &csr, &csrlen) != 0) {
        vg_warn("agents", "%s: malformed ENROLL frame", cn->peer);
        send_error(cn, "malformed ENROLL frame (need token, hostname, csr)");
        goto out;
    }
    struct vg_agent_info a;
    memset(&a, 0, sizeof a);
    uint8_t idb[16];
    if (RAND_bytes(idb, sizeof idb) != 1) { send_error(cn, "server out of randomness"); goto out; }
    vg_hex(idb, sizeof idb, a.id);
    pthread_mutex_lock(&s->dbmu);
    int rc = s->db->ops->enroll_token_use(s->db, token, vg_now_ns(), a.id, a.tenant, sizeof a.tenant, &e);
    pthread_mutex_unlock(&s->dbmu);
    if (rc) {
        vg_warn("agents", "%s: enrollment of '%s' refused: %s", cn->peer, host, e.msg);
        send_error(cn, rc == VG_EAUTH ? e.msg : "enrollment failed");
        goto out;
    }
    rc = vg_agent_ca_sign(s->ca, (const char *)csr, csrlen, a.id, a.tenant, &cert, a.fingerprint, &e);
    if (rc) {
        vg_warn("agents", "%s: enrollment of '%s': %s", cn->peer, host, e.msg);
        send_error(cn, e.msg);
        goto out;
    }
    snprintf(a.name, sizeof a.name, "%s", host);
    snprintf(a.address, sizeof a.address, "%s", cn->peer);
    a.enrolled = vg_now_ns();
    pthread_mutex_lock(&s->dbmu);
    rc = s->db->ops->agent_add(s->db, &a, &e);
    pthread_mutex_unlock(&s->dbmu);
    if (rc) { send_error(cn, "cannot record the agent"); vg_error("agents", "%s", e.msg); goto out; }
    if (vg_ap_kv_add(&p, "id", a.id, strlen(a.id)) || vg_ap_kv_add(&p, "tenant", a.tenant, strlen(a.tenant)) ||
        vg_ap_kv_add(&p, "cert", cert, strlen(cert)) ||
        vg_ap_kv_add(&p, "ca", vg_agent_ca_pem(s->ca), strlen(vg_agent_ca_pem(s->ca))) ||
        vg_ap_kv_add(&p, "ca_fp", vg_agent_ca_fingerprint(s->ca), 64))
        goto out;
    send_frame(cn, VG_AP_ENROLL_OK, 0, &p);
    vg_info("agents", "enrolled agent %s '%s' (tenant %s) from %s", a.id, a.name, a.tenant, cn->peer);
out:
    vg_free(cert);
    vg_buf_release(&p);
}

/* ---- enrolled agents -------------------------------------------------- */
static void on_commit(void *ack, int status)
{
    struct conn *cn = ack;
    pthread_mutex_lock(&cn->mu);
    cn->committed = true;
    cn->status = status;
    pthread_cond_signal(&cn->cv);
    pthread_mutex_unlock(&cn->mu);
}

static int store_update(struct conn *cn)
{
    struct vg_source *s = cn->srv;
    struct vg_err e = VG_ERR_INIT;
    pthread_mutex_lock(&s->dbmu);
    int rc = s->db->ops->agent_update(s->db, &cn->ag, &e);
    pthread_mutex_unlock(&s->dbmu);
    if (rc) vg_warn("agents", "agent %s: %s", cn->ag.id, e.msg);
    return rc;
}

/* A rejected posture document becomes a small event (rules can match it)
 * instead of the document itself. */
static int push_rejected(struct vg_batch *b, const struct vg_ap_rec *r, const char *why)
{
    struct vg_buf raw = VG_BUF_INIT;
    int rc = vg_buf_adds(&raw, "{\"event\":{\"kind\":\"event\",\"module\":\"agent\",\"action\":\"agent_record_rejected\"},"
                               "\"error\":{\"message\":");
    if (!rc) rc = vg_buf_add_json_str(&raw, why, strlen(why));
    if (!rc) rc = vg_buf_addf(&raw, "},\"vigil\":{\"record\":{\"bytes\":%zu,\"source\":", r->len);
    if (!rc) rc = vg_buf_add_json_str(&raw, r->src, r->srclen < 64 ? r->srclen : 64);
    if (!rc) rc = vg_buf_adds(&raw, "}}}");
    struct vg_event *ev = rc ? NULL : vg_batch_push(b);
    if (!ev || vg_event_set_raw(ev, raw.data, raw.len) != 0) rc = VG_ENOMEM;
    else ev->recv_ts = r->ts > 0 ? r->ts : vg_now_ns();
    vg_buf_release(&raw);
    return rc;
}

/* Stores the records of a LOG/RECORD frame; 0 after commit. Posture
 * documents (RECORD, with conf.agent_record) go to the handler, which
 * stores what it keeps and pushes derived events. */
static int ingest_frame(struct conn *cn, const struct vg_ap_frame *f, const char **why)
{
    struct vg_source *s = cn->srv;
    struct vg_batch *b = vg_batch_new(256);
    if (!b) { *why = "server out of memory"; return VG_ENOMEM; }
    const char *tenant = vg_arena_strndup(&b->arena, cn->ag.tenant, strlen(cn->ag.tenant));
    const char *host = vg_arena_strndup(&b->arena, cn->ag.name, strlen(cn->ag.name));
    uint32_t fid_path = vg_fid("log.file.path", 13);
    size_t off = 0, n = 0, bytes = 0, bad = 0;
    struct vg_ap_rec r;
    int rc;
    bool docs = f->type == VG_AP_RECORD && s->conf.agent_record;
    char whybuf[256];
    if (!tenant || !host) { rc = VG_ENOMEM; *why = "server out of memory"; goto fail; }
    while ((rc = vg_ap_rec_next(f->payload, f->len, &off, &r)) == 1) {
        n++;
        bytes += r.len;
        if (docs) {
            whybuf[0] = 0;
            int hr = s->conf.agent_record(s->conf.agent_record_ctx, tenant, host, r.data, r.len, r.ts, b, whybuf,
                                          sizeof whybuf);
            if (hr == VG_EPARSE || hr == VG_EINVAL || hr == VG_EUTF8 || hr == VG_ETOOBIG) {
                bad++;
                vg_warn("agents", "agent %s '%s': frame %llu: posture document rejected: %s", cn->ag.id, cn->ag.name,
                        (unsigned long long)f->seq, whybuf[0] ? whybuf : vg_strerror(hr));
                if (push_rejected(b, &r, whybuf[0] ? whybuf : vg_strerror(hr))) { rc = VG_ENOMEM; *why = "server out of memory"; goto fail; }
            } else if (hr) {
                vg_warn("agents", "agent %s '%s': frame %llu: %s", cn->ag.id, cn->ag.name, (unsigned long long)f->seq,
                        whybuf[0] ? whybuf : vg_strerror(hr));
                rc = hr;
                *why = "the server could not store a posture report; retry later";
                goto fail;
            }
            continue;
        }
        struct vg_event *ev = vg_batch_push(b);
        if (!ev || vg_event_set_raw(ev, r.data, r.len) != 0) { rc = VG_ENOMEM; *why = "server out of memory"; goto fail; }
        ev->recv_ts = r.ts > 0 ? r.ts : vg_now_ns();
        if (r.srclen && f->type == VG_AP_LOG && fid_path != UINT32_MAX && r.src[0] == '/')
            vg_event_add_str_copy(ev, fid_path, VG_FF_ECS, r.src, r.srclen);
    }
    if (rc != 0) { rc = VG_EPARSE; *why = "malformed record list"; goto fail; }
    for (size_t i = 0; i < b->n; i++) {
        struct vg_event *ev = &b->ev[i];
        ev->tenant = tenant;
        ev->host = host;
        ev->collector = "agent";
        ev->seq = f->seq;
        if (!ev->recv_ts) ev->recv_ts = vg_now_ns();
    }
    atomic_fetch_add(&s->c->received, n);
    atomic_fetch_add(&s->c->bytes, bytes);
    if (bad) atomic_fetch_add(&s->c->failed, bad);
    pthread_mutex_lock(&cn->mu);
    cn->committed = false;
    pthread_mutex_unlock(&cn->mu);
    b->ack = cn;
    b->on_commit = on_commit;
    rc = vg_pipeline_submit(s->conf.pipeline, b, s->c, true);
    if (rc) {
        atomic_fetch_add(&s->c->dropped, n);
        vg_batch_free(b);
        *why = "server shutting down";
        return rc;
    }
    pthread_mutex_lock(&cn->mu);
    while (!cn->committed) pthread_cond_wait(&cn->cv, &cn->mu);
    rc = cn->status;
    pthread_mutex_unlock(&cn->mu);
    if (rc) *why = "the server could not commit; retry later";
    return rc;
fail:
    if (rc == VG_EPARSE) { atomic_fetch_add(&s->c->received, 1); atomic_fetch_add(&s->c->failed, 1); atomic_fetch_add(&s->c->dropped, 1); }
    vg_batch_free(b);
    return rc;
}

static void supersede_others(struct conn *cn)
{
    struct vg_source *s = cn->srv;
    pthread_mutex_lock(&s->mu);
    for (struct conn *o = s->conns; o; o = o->next)
        if (o != cn && o->authed && strcmp(o->ag.id, cn->ag.id) == 0) atomic_store(&o->superseded, true);
    pthread_mutex_unlock(&s->mu);
}

static void serve_agent(struct conn *cn, X509 *peer_cert)
{
    struct vg_source *s = cn->srv;
    struct vg_err e = VG_ERR_INIT;
    char cn_text[64] = "";
    if (X509_NAME_get_text_by_NID(X509_get_subject_name(peer_cert), NID_commonName, cn_text, sizeof cn_text) <= 0) {
        send_error(cn, "certificate without an agent id");
        return;
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdn = 0;
    char fp[65] = "";
    if (X509_digest(peer_cert, EVP_sha256(), md, &mdn) == 1 && mdn == 32) vg_hex(md, 32, fp);
    pthread_mutex_lock(&s->dbmu);
    int rc = s->db->ops->agent_get(s->db, cn_text, &cn->ag, &e);
    pthread_mutex_unlock(&s->dbmu);
    if (rc || cn->ag.revoked || strcmp(cn->ag.fingerprint, fp) != 0) {
        const char *why = rc ? "unknown agent" : cn->ag.revoked ? "agent revoked" : "certificate does not match the enrolled one";
        vg_warn("agents", "%s: agent %s refused: %s", cn->peer, cn_text, why);
        send_error(cn, why);
        return;
    }
    /* HELLO first */
    struct vg_ap_frame f;
    size_t used;
    int64_t deadline = vg_mono_ns() + HANDSHAKE_NS;
    for (;;) {
        rc = read_frame(cn, &f, &used, &e);
        if (rc == R_FRAME) break;
        if (rc < 0 || vg_mono_ns() > deadline || atomic_load(&s->stop)) {
            if (rc < 0 && rc != VG_ECLOSED) { vg_warn("agents", "%s: %s", cn->peer, e.msg); send_error(cn, e.msg); }
            return;
        }
    }
    if (f.type != VG_AP_HELLO) { send_error(cn, "expected HELLO"); return; }
    char ver[32] = "";
    if (vg_ap_kv_str(f.payload, f.len, "version", ver, sizeof ver) != 0 || !printable(ver)) snprintf(ver, sizeof ver, "?");
    consume(cn, used);
    snprintf(cn->ag.version, sizeof cn->ag.version, "%s", ver);
    snprintf(cn->ag.address, sizeof cn->ag.address, "%s", cn->peer);
    bool was_silent = cn->ag.silent != 0;
    cn->ag.last_seen = vg_now_ns();
    cn->ag.silent = 0;
    if (store_update(cn) != 0) { send_error(cn, "server database error"); return; }
    cn->authed = true;
    supersede_others(cn);
    if (was_silent) emit_agent_event(s, &cn->ag, "agent_resumed", "is reporting again");
    struct vg_buf p = VG_BUF_INIT;
    char seqs[32];
    snprintf(seqs, sizeof seqs, "%llu", (unsigned long long)cn->ag.last_seq);
    rc = vg_ap_kv_add(&p, "last_seq", seqs, strlen(seqs));
    if (!rc) rc = vg_ap_kv_add(&p, "version", VIGIL_VERSION, strlen(VIGIL_VERSION));
    if (!rc) rc = send_frame(cn, VG_AP_HELLO, cn->ag.last_seq, &p);
    vg_buf_release(&p);
    if (rc) return;
    vg_info("agents", "agent %s '%s' connected from %s (version %s, last seq %llu)", cn->ag.id, cn->ag.name, cn->peer,
            ver, (unsigned long long)cn->ag.last_seq);
    int64_t next_check = vg_mono_ns() + REVOKE_CHECK_NS;
    int64_t last_frame = vg_mono_ns();
    int64_t idle_max = s->silent_ns > 0 ? s->silent_ns : 60000000000LL;
    for (;;) {
        if (atomic_load(&s->stop) || atomic_load(&cn->superseded)) return;
        int64_t mono = vg_mono_ns();
        if (mono >= next_check) {
            next_check = mono + REVOKE_CHECK_NS;
            struct vg_agent_info cur;
            pthread_mutex_lock(&s->dbmu);
            rc = s->db->ops->agent_get(s->db, cn->ag.id, &cur, NULL);
            pthread_mutex_unlock(&s->dbmu);
            if (rc == 0 && cur.revoked) {
                vg_warn("agents", "agent %s '%s' revoked: closing its connection", cn->ag.id, cn->ag.name);
                send_error(cn, "agent revoked");
                return;
            }
        }
        if (mono - last_frame > idle_max) {
            vg_warn("agents", "agent %s '%s': nothing received for %llds, closing", cn->ag.id, cn->ag.name,
                    (long long)(idle_max / 1000000000LL));
            return;
        }
        rc = read_frame(cn, &f, &used, &e);
        if (rc == R_IDLE) continue;
        if (rc < 0) {
            if (rc != VG_ECLOSED) {
                vg_warn("agents", "agent %s from %s: %s", cn->ag.id, cn->peer, e.msg);
                atomic_fetch_add(&s->c->failed, 1);
                send_error(cn, e.msg);
            }
            return;
        }
        last_frame = vg_mono_ns();
        if (f.type == VG_AP_HEARTBEAT) {
            consume(cn, used);
            cn->ag.last_seen = vg_now_ns();
            cn->ag.silent = 0;
            store_update(cn);
            if (send_frame(cn, VG_AP_HEARTBEAT, 0, NULL) != 0) return;
            continue;
        }
        if (f.type != VG_AP_LOG && f.type != VG_AP_RECORD) {
            char msg[96];
            snprintf(msg, sizeof msg, "unexpected %s frame", vg_ap_type_name(f.type));
            vg_warn("agents", "agent %s: %s", cn->ag.id, msg);
            send_error(cn, msg);
            return;
        }
        uint64_t expect = cn->ag.last_seq + 1;
        if (f.seq < expect) {
            vg_info("agents", "agent %s: frame %llu replayed (last committed %llu): acknowledged, not stored again",
                    cn->ag.id, (unsigned long long)f.seq, (unsigned long long)cn->ag.last_seq);
            uint64_t seq = f.seq;
            consume(cn, used);
            if (send_frame(cn, VG_AP_ACK, seq, NULL) != 0) return;
            continue;
        }
        if (f.seq > expect) {
            char msg[128];
            snprintf(msg, sizeof msg, "sequence gap: expected frame %llu, got %llu", (unsigned long long)expect,
                     (unsigned long long)f.seq);
            vg_warn("agents", "agent %s: %s", cn->ag.id, msg);
            send_error(cn, msg);
            return;
        }
        const char *why = "";
        rc = ingest_frame(cn, &f, &why);
        uint64_t seq = f.seq;
        consume(cn, used);
        if (rc) {
            vg_warn("agents", "agent %s: frame %llu not stored: %s", cn->ag.id, (unsigned long long)seq, why);
            send_error(cn, why);
            return;
        }
        cn->ag.last_seq = seq;
        cn->ag.last_seen = vg_now_ns();
        cn->ag.silent = 0;
        store_update(cn);   /* advisory: a lost update only means a replay dedupes by event id */
        if (send_frame(cn, VG_AP_ACK, seq, NULL) != 0) return;
    }
}

static bool handshake(struct conn *cn)
{
    int64_t deadline = vg_mono_ns() + HANDSHAKE_NS;
    for (;;) {
        ERR_clear_error();
        int r = SSL_accept(cn->ssl);
        if (r == 1) return true;
        int e = SSL_get_error(cn->ssl, r);
        if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE &&
            !(e == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EINTR))) {
            log_ssl(cn->peer, "TLS handshake failed");
            return false;
        }
        if (vg_mono_ns() > deadline || atomic_load(&cn->srv->stop)) {
            vg_warn("agents", "%s: TLS handshake timed out", cn->peer);
            return false;
        }
    }
}

static void *conn_main(void *arg)
{
    struct conn *cn = arg;
    struct vg_source *s = cn->srv;
    struct vg_err e = VG_ERR_INIT;
    cn->rbuf = vg_malloc(RBUF_INIT);
    cn->rcap = cn->rbuf ? RBUF_INIT : 0;
    if (!cn->rbuf || !handshake(cn)) goto out;
    X509 *peer = SSL_get1_peer_certificate(cn->ssl);
    if (peer) {
        serve_agent(cn, peer);
        X509_free(peer);
        goto out;
    }
    /* no client certificate: one ENROLL frame, then close */
    struct vg_ap_frame f;
    size_t used;
    int64_t deadline = vg_mono_ns() + HANDSHAKE_NS;
    for (;;) {
        int rc = read_frame(cn, &f, &used, &e);
        if (rc == R_FRAME) break;
        if (rc < 0 || vg_mono_ns() > deadline || atomic_load(&s->stop)) {
            if (rc < 0 && rc != VG_ECLOSED) { vg_warn("agents", "%s: %s", cn->peer, e.msg); send_error(cn, e.msg); }
            goto out;
        }
    }
    if (f.type != VG_AP_ENROLL) {
        vg_warn("agents", "%s: %s frame without a client certificate", cn->peer, vg_ap_type_name(f.type));
        send_error(cn, "not enrolled: only ENROLL is accepted without a client certificate");
        goto out;
    }
    do_enroll(cn, &f);
out:
    if (cn->ssl) {
        SSL_shutdown(cn->ssl);
        SSL_free(cn->ssl);
        cn->ssl = NULL;
    }
    close(cn->fd);
    cn->fd = -1;
    vg_free(cn->rbuf);
    cn->rbuf = NULL;
    atomic_store(&cn->done, true);
    return NULL;
}

static void reap(struct vg_source *s, bool all)
{
    pthread_mutex_lock(&s->mu);
    struct conn **pp = &s->conns;
    while (*pp) {
        struct conn *cn = *pp;
        if (all || atomic_load(&cn->done)) {
            *pp = cn->next;
            s->nconns--;
            pthread_mutex_unlock(&s->mu);
            pthread_join(cn->th, NULL);
            pthread_mutex_destroy(&cn->mu);
            pthread_cond_destroy(&cn->cv);
            vg_free(cn);
            pthread_mutex_lock(&s->mu);
        } else {
            pp = &cn->next;
        }
    }
    pthread_mutex_unlock(&s->mu);
}

static void *acceptor_main(void *arg)
{
    struct vg_source *s = arg;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    /* A connection thread also runs the posture hook (JSON parsing, package
     * and vulnerability matching), whose call chain outgrew 256 KiB under
     * AddressSanitizer; the stack is virtual memory, touched pages only. */
    pthread_attr_setstacksize(&attr, 2u << 20);
    while (!atomic_load(&s->stop)) {
        reap(s, false);
        struct sockaddr_storage ss;
        int fd = vg__net_accept(s->lfd, SOCK_CLOEXEC, &ss, NULL);
        if (fd < 0) continue;
        if (s->nconns >= MAX_CONNS) {
            vg_warn("agents", "%d connections open, refusing another", MAX_CONNS);
            close(fd);
            continue;
        }
        struct timeval tv = {0, POLL_MS * 1000};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        struct timeval stv = {10, 0};
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &stv, sizeof stv);
        struct conn *cn = vg_calloc(1, sizeof *cn);
        if (!cn) { close(fd); continue; }
        cn->srv = s;
        cn->fd = fd;
        pthread_mutex_init(&cn->mu, NULL);
        pthread_cond_init(&cn->cv, NULL);
        vg__net_peer(&ss, cn->peer, sizeof cn->peer);
        cn->ssl = SSL_new(s->ctx);
        if (!cn->ssl || SSL_set_fd(cn->ssl, fd) != 1) goto drop;
        pthread_mutex_lock(&s->mu);
        if (pthread_create(&cn->th, &attr, conn_main, cn) != 0) {
            pthread_mutex_unlock(&s->mu);
            goto drop;
        }
        cn->next = s->conns;
        s->conns = cn;
        s->nconns++;
        pthread_mutex_unlock(&s->mu);
        continue;
    drop:
        if (cn->ssl) SSL_free(cn->ssl);
        close(fd);
        pthread_mutex_destroy(&cn->mu);
        pthread_cond_destroy(&cn->cv);
        vg_free(cn);
    }
    pthread_attr_destroy(&attr);
    return NULL;
}

static int ssl_fail(struct vg_err *err, const char *what)
{
    char msg[256] = "unknown OpenSSL error";
    unsigned long e = ERR_get_error();
    if (e) ERR_error_string_n(e, msg, sizeof msg);
    ERR_clear_error();
    return vg_err_set(err, VG_ETLS, "%s: %s", what, msg);
}

static void stop(struct vg_source *s);

static int start(struct vg_source **out, const struct vg_source_conf *conf, char *bound, size_t bsz,
                 struct vg_err *err)
{
    *out = NULL;
    signal(SIGPIPE, SIG_IGN);
    if (!conf->data_dir) return vg_err_set(err, VG_EINVAL, "the agents' listener needs a data directory");
    struct vg_source *s = vg_calloc(1, sizeof *s);
    if (!s) return vg_err_set(err, VG_ENOMEM, "out of memory");
    s->conf = *conf;
    s->lfd = -1;
    s->silent_ns = conf->agent_silent_ns > 0 ? conf->agent_silent_ns : 30000000000LL;
    pthread_mutex_init(&s->mu, NULL);
    pthread_mutex_init(&s->dbmu, NULL);
    int rc;
    char host[256];
    snprintf(host, sizeof host, "%s", conf->listen);
    char *colon = strrchr(host, ':');
    if (colon) *colon = 0;
    if (host[0] == '[') { memmove(host, host + 1, strlen(host)); char *rb = strchr(host, ']'); if (rb) *rb = 0; }
    if ((rc = vg_agent_ca_open(&s->ca, conf->data_dir, host, err))) goto fail;
    if ((rc = vg_store_open(&s->db, conf->data_dir, err))) goto fail;
    if (!s->db->ops->agent_get) { rc = vg_err_set(err, VG_EUNSUP, "this store cannot keep agents"); goto fail; }
    s->c = vg_pipeline_counters(conf->pipeline, "agent");
    s->cv = vg_pipeline_counters(conf->pipeline, "vigil");
    if (!s->c || !s->cv) { rc = vg_err_set(err, VG_ENOMEM, "out of memory"); goto fail; }
    s->ctx = SSL_CTX_new(TLS_server_method());
    if (!s->ctx) { rc = ssl_fail(err, "SSL_CTX_new"); goto fail; }
    SSL_CTX_set_min_proto_version(s->ctx, TLS1_3_VERSION);
    SSL_CTX_set_max_proto_version(s->ctx, TLS1_3_VERSION);
    SSL_CTX_set_num_tickets(s->ctx, 0);
    SSL_CTX_set_options(s->ctx, SSL_OP_NO_TICKET);
    if (SSL_CTX_use_certificate_file(s->ctx, vg_agent_ca_path(s->ca, 1), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_use_PrivateKey_file(s->ctx, vg_agent_ca_path(s->ca, 2), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(s->ctx) != 1) {
        rc = ssl_fail(err, "server certificate");
        goto fail;
    }
    if (SSL_CTX_load_verify_locations(s->ctx, vg_agent_ca_path(s->ca, 0), NULL) != 1) { rc = ssl_fail(err, "CA"); goto fail; }
    /* a certificate is optional (enrollment) but, when sent, must chain to our CA */
    SSL_CTX_set_verify(s->ctx, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_verify_depth(s->ctx, 1);
    if ((rc = vg__net_listen(conf->listen, SOCK_STREAM, &s->lfd, bound, bsz, err))) goto fail;
    if (pthread_create(&s->acceptor, NULL, acceptor_main, s) != 0) {
        rc = vg_err_set(err, VG_ESTATE, "cannot start the agents' acceptor");
        goto fail;
    }
    if (pthread_create(&s->monitor, NULL, monitor_main, s) != 0) {
        atomic_store(&s->stop, true);
        pthread_join(s->acceptor, NULL);
        rc = vg_err_set(err, VG_ESTATE, "cannot start the agents' monitor");
        goto fail;
    }
    s->monitor_started = true;
    vg_info("agents", "CA fingerprint (SHA-256) %s", vg_agent_ca_fingerprint(s->ca));
    *out = s;
    return 0;
fail:
    if (s->lfd >= 0) close(s->lfd);
    SSL_CTX_free(s->ctx);
    vg_store_close(s->db);
    vg_agent_ca_free(s->ca);
    pthread_mutex_destroy(&s->mu);
    pthread_mutex_destroy(&s->dbmu);
    vg_free(s);
    return rc;
}

static void stop(struct vg_source *s)
{
    if (!s) return;
    atomic_store(&s->stop, true);
    pthread_join(s->acceptor, NULL);
    if (s->monitor_started) pthread_join(s->monitor, NULL);
    close(s->lfd);
    reap(s, true);
    SSL_CTX_free(s->ctx);
    vg_store_close(s->db);
    vg_agent_ca_free(s->ca);
    pthread_mutex_destroy(&s->mu);
    pthread_mutex_destroy(&s->dbmu);
    vg_free(s);
}

const struct vg_source_ops vg_src_agent = {
    .name = "agent",
    .desc = "vigil-agent connections: TLS 1.3 with client certificates from the server's CA (DATA/ca)",
    .start = start,
    .stop = stop,
};
