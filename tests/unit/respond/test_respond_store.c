/* Unit tests of incidents over a real SQLite store (src/respond/case.c,
 * process.c, src/store/incidents_sqlite.c, alerts_sqlite.c): repeat
 * aggregation in the writer (counts, window, re-delivery), grouping by
 * shared strong entities within the window (across hosts, merging linked
 * incidents), weak entities (root, hubs) that link nothing, analyst merge /
 * split / status, suppression with expiry, risk that raises an incident,
 * the list's priority order, and a restart that resumes from the cursor. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <unistd.h>
#include <sys/stat.h>
#include "vigil/respond.h"
#include "../../../src/respond/internal.h"

#define HOUR (3600LL * 1000000000LL)
#define T0 (1900000000LL * 1000000000LL) /* 2030: all test alerts are "recent" only relative to each other */

static char dir[256];
static struct vg_store *st;
static struct vg_respond *rsp;
static uint64_t evn;

static int setup(void **s)
{
    (void)s;
    snprintf(dir, sizeof dir, "/tmp/vg_respond_test_%d_%llu", (int)getpid(), (unsigned long long)vg_mono_ns());
    mkdir(dir, 0700);
    struct vg_err e = VG_ERR_INIT;
    if (vg_store_open(&st, dir, &e)) return -1;
    if (vg_respond_new(&rsp, dir, NULL, &e)) return -1;
    return 0;
}

static int teardown(void **s)
{
    (void)s;
    vg_respond_free(rsp);
    vg_store_close(st);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) return -1;
    return 0;
}

/* Stores one alert (stand-alone put) and returns its id in out. */
static void put(const char *rule, int level, const char *host, const char *user, const char *ip, int64_t ts,
                const char *tactic, uint8_t out[16])
{
    struct vg_alert a;
    memset(&a, 0, sizeof a);
    a.tenant = "default";
    a.ts = ts;
    a.created = ts;
    a.level = level;
    a.status = "open";
    a.rule_id = rule;
    a.title = rule;
    a.rule_status = "test";
    const char *tac[1] = {tactic};
    if (tactic) a.tactics = (struct vg_alert_strs){tac, 1};
    uint8_t evid[16] = {0};
    uint64_t k = ++evn;
    memcpy(evid, &k, sizeof k);
    memcpy(a.event_id, evid, 16);
    vg_alert_make_id("default", rule, evid, a.id);
    a.host_name = host;
    a.user_name = user;
    a.source_ip = ip;
    struct vg_buf b = VG_BUF_INIT;
    assert_int_equal(vg_alert_to_json(&a, &b), 0);
    a.json = b.data;
    a.json_len = b.len;
    const struct vg_alert *v[1] = {&a};
    size_t stored = 0;
    struct vg_err e = VG_ERR_INIT;
    assert_int_equal(st->ops->put_alerts(st, v, 1, &stored, &e), 0);
    assert_int_equal(stored, 1);
    if (out) memcpy(out, a.id, 16);
    vg_buf_release(&b);
}

static size_t process(void)
{
    size_t n = 0;
    struct vg_err e = VG_ERR_INIT;
    int rc = vg_respond_run(rsp, &n, &e);
    if (rc) fail_msg("round: %s", e.msg);
    return n;
}

struct find {
    const uint8_t *id;
    char incident[VG_INC_ID_MAX];
    bool suppressed, found;
    uint32_t count;
};

static int find_cb(void *ctx, const struct vg_inc_alert *a)
{
    struct find *f = ctx;
    if (memcmp(a->id, f->id, 16)) return 0;
    f->found = true;
    f->suppressed = a->suppressed;
    f->count = a->count;
    snprintf(f->incident, sizeof f->incident, "%s", a->incident ? a->incident : "");
    return 1;
}

/* The incident of alert id ("" when none). */
static const char *inc_of(const uint8_t id[16], char out[VG_INC_ID_MAX])
{
    struct find f = {.id = id};
    struct vg_err e = VG_ERR_INIT;
    st->ops->inc_alerts_after(st, 0, 100000, find_cb, &f, &e);
    assert_true(f.found);
    snprintf(out, VG_INC_ID_MAX, "%s", f.incident);
    return out;
}

static void get(const char *id, struct vg_incident *i)
{
    struct vg_err e = VG_ERR_INIT;
    assert_int_equal(st->ops->inc_get(st, "default", id, i, &e), 0);
}

static void test_grouping(void **s)
{
    (void)s;
    uint8_t a1[16], a2[16], a3[16], a4[16], a5[16], a6[16];
    char i1[24], i2[24], i3[24], i4[24], i5[24], i6[24];
    put("login_after_bf", VG_ALERT_HIGH, "web1", "deploy", "203.0.113.5", T0, "initial_access", a1);
    put("failed_pw", VG_ALERT_LOW, "db1", "root", "203.0.113.5", T0 + 60 * 1000000000LL, "credential_access", a2);
    put("sudo_shell", VG_ALERT_MEDIUM, "web1", "bob", NULL, T0 + 600 * 1000000000LL, "privilege_escalation", a3);
    put("root_pw", VG_ALERT_MEDIUM, "cache9", "root", "127.0.0.1", T0, "credential_access", a4);
    put("root_pw", VG_ALERT_MEDIUM, "mail2", "root", "127.0.0.1", T0, "credential_access", a5);
    put("sudo_shell", VG_ALERT_MEDIUM, "web1", "carl", NULL, T0 + 3 * HOUR, "privilege_escalation", a6);
    assert_int_equal(process(), 6);
    /* across hosts through the attacker's address; the same host links bob's sudo */
    assert_string_equal(inc_of(a1, i1), inc_of(a2, i2));
    assert_string_equal(i1, inc_of(a3, i3));
    /* root and 127.0.0.1 glue nothing */
    assert_string_not_equal(inc_of(a4, i4), i1);
    assert_string_not_equal(i4, inc_of(a5, i5));
    /* outside the window (2 h after web1's last alert) a new incident starts */
    assert_string_not_equal(inc_of(a6, i6), i1);
    struct vg_incident inc;
    get(i1, &inc);
    assert_int_equal(inc.nalerts, 3);
    assert_int_equal(inc.severity, VG_ALERT_HIGH);
    assert_string_equal(inc.raised, "severity");
    assert_non_null(strstr(inc.tactics, "initial_access"));
    assert_non_null(strstr(inc.tactics, "privilege_escalation"));
    assert_non_null(strstr(inc.entities, "\"value\":\"root\",\"link\":\"weak:generic\""));
    assert_non_null(strstr(inc.title, "db1, web1"));
    assert_true(inc.first_ns == T0 && inc.last_ns == T0 + 600 * 1000000000LL);
    vg_incident_release(&inc);
    get(i4, &inc);
    assert_string_equal(inc.raised, ""); /* one medium alert raises nothing: pending */
    vg_incident_release(&inc);

    /* two incidents linked later by one alert are merged into the older */
    uint8_t b1[16], b2[16], b3[16];
    char j1[24], j2[24], j3[24];
    put("x", VG_ALERT_MEDIUM, "x1", "u1", "198.51.100.1", T0, "discovery", b1);
    put("x", VG_ALERT_MEDIUM, "x2", "u2", "198.51.100.2", T0, "discovery", b2);
    assert_int_equal(process(), 2);
    assert_string_not_equal(inc_of(b1, j1), inc_of(b2, j2));
    put("y", VG_ALERT_MEDIUM, "x3", "u1", "198.51.100.2", T0 + 1000, "execution", b3);
    assert_int_equal(process(), 1);
    inc_of(b1, j1);
    inc_of(b2, j2);
    inc_of(b3, j3);
    assert_string_equal(j1, j2);
    assert_string_equal(j1, j3);
    get(j1, &inc);
    assert_int_equal(inc.nalerts, 3);
    vg_incident_release(&inc);
}

static void test_weak_hub(void **s)
{
    (void)s;
    /* 60 alert rows on one host within the hour make it a hub */
    for (int i = 0; i < 60; i++) {
        char u[16], ip[32];
        snprintf(u, sizeof u, "scan%d", i);
        snprintf(ip, sizeof ip, "45.1.%d.%d", i / 200, i % 200 + 1);
        put("invalid_user", VG_ALERT_LOW, "bastion", u, ip, T0 + i * 1000000000LL, "credential_access", NULL);
    }
    process();
    uint8_t z1[16], z2[16], z3[16];
    char i1[24], i2[24], i3[24];
    put("invalid_user", VG_ALERT_LOW, "bastion", "zed", "45.9.9.1", T0 + 100 * 1000000000LL, "credential_access", z1);
    put("invalid_user", VG_ALERT_LOW, "bastion", "yan", "45.9.9.2", T0 + 101 * 1000000000LL, "credential_access", z2);
    /* ... but an attacker address seen there and elsewhere still links */
    put("port_scan", VG_ALERT_MEDIUM, "web7", NULL, "45.9.9.1", T0 + 102 * 1000000000LL, "discovery", z3);
    process();
    assert_string_not_equal(inc_of(z1, i1), inc_of(z2, i2));
    assert_string_equal(i1, inc_of(z3, i3));
    struct vg_incident inc;
    get(i1, &inc);
    assert_non_null(strstr(inc.entities, "\"value\":\"bastion\",\"link\":\"weak:common\""));
    assert_int_equal(inc.nalerts, 2);
    vg_incident_release(&inc);
}

static void test_merge_split_status(void **s)
{
    (void)s;
    uint8_t a[16], b[16], c[16];
    char ia[24], ib[24], ic[24];
    put("r1", VG_ALERT_HIGH, "h1", "u1", NULL, T0, "execution", a);
    put("r2", VG_ALERT_MEDIUM, "h1", "u1", NULL, T0 + 1000, "persistence", b);
    put("r3", VG_ALERT_MEDIUM, "h9", "u9", NULL, T0, "discovery", c);
    process();
    inc_of(a, ia);
    assert_string_equal(ia, inc_of(b, ib));
    inc_of(c, ic);
    assert_string_not_equal(ia, ic);
    struct vg_err e = VG_ERR_INIT;
    /* split b out */
    char hex[33], nid[VG_INC_ID_MAX];
    vg_hex(b, 16, hex);
    const char *ids[1] = {hex};
    assert_int_equal(vg_incident_split(st, "default", ia, ids, 1, nid, NULL, &e), 0);
    assert_string_equal(inc_of(b, ib), nid);
    struct vg_incident inc;
    get(ia, &inc);
    assert_int_equal(inc.nalerts, 1);
    assert_true(inc.locked);
    assert_null(strstr(inc.tactics, "persistence"));
    vg_incident_release(&inc);
    get(nid, &inc);
    assert_int_equal(inc.nalerts, 1);
    assert_true(inc.locked);
    vg_incident_release(&inc);
    /* errors: unknown alert, bad id, self-merge, unknown incident, bad status */
    const char *zero[1] = {"00000000000000000000000000000000"};
    assert_int_equal(vg_incident_split(st, "default", ia, zero, 1, nid, NULL, &e), VG_ENOENT);
    const char *bad[1] = {"xyz"};
    assert_int_equal(vg_incident_split(st, "default", ia, bad, 1, nid, NULL, &e), VG_EINVAL);
    assert_int_equal(vg_incident_merge(st, "default", ia, ia, NULL, &e), VG_EINVAL);
    assert_int_equal(vg_incident_merge(st, "default", ia, "INC-nope", NULL, &e), VG_ENOENT);
    assert_int_equal(vg_incident_set_status(st, "default", ia, "bogus", &e), VG_EINVAL);
    assert_int_equal(vg_incident_merge(st, "other-tenant", ia, ic, NULL, &e), VG_ENOENT); /* tenant scope */
    /* merge c's incident into a's */
    assert_int_equal(vg_incident_merge(st, "default", ia, ic, NULL, &e), 0);
    assert_string_equal(inc_of(c, ic), ia);
    get(ia, &inc);
    assert_int_equal(inc.nalerts, 2);
    vg_incident_release(&inc);
    char old[24];
    snprintf(old, sizeof old, "%s", ic);
    /* status: closed incidents take no new alerts */
    assert_int_equal(vg_incident_set_status(st, "default", ia, "closed", &e), 0);
    get(ia, &inc);
    assert_string_equal(inc.status, "closed");
    vg_incident_release(&inc);
    uint8_t d[16];
    char id_[24];
    put("r4", VG_ALERT_HIGH, "h1", "u1", NULL, T0 + 2000, "execution", d);
    process();
    assert_string_not_equal(inc_of(d, id_), ia);
}

static void test_suppression_expiry(void **s)
{
    (void)s;
    struct vg_err e = VG_ERR_INIT;
    int64_t id = 0;
    assert_int_equal(vg_suppress(st, "default", "noisy_rule", "host:WEB1", 1000000000LL, "test", "maintenance", &id, &e), 0);
    assert_true(id > 0);
    assert_int_equal(vg_suppress(st, "default", "r", "bogus", 1000000000LL, "t", NULL, &id, &e), VG_EINVAL);
    assert_int_equal(vg_suppress(st, "default", "r", "host:x", 0, "t", NULL, &id, &e), VG_EINVAL);
    uint8_t a[16], b[16], c[16];
    put("noisy_rule", VG_ALERT_HIGH, "web1", "u", NULL, T0, "execution", a);
    put("other_rule", VG_ALERT_HIGH, "web1", "u", NULL, T0, "execution", c);
    process();
    struct find f = {.id = a};
    st->ops->inc_alerts_after(st, 0, 100000, find_cb, &f, &e);
    assert_true(f.suppressed && !f.incident[0]);
    char ic[24];
    assert_true(inc_of(c, ic)[0]); /* another rule on the host is not suppressed */
    usleep(1100 * 1000);            /* the suppression expires */
    put("noisy_rule", VG_ALERT_HIGH, "web1", "u", NULL, T0 + 1000, "execution", b);
    process();
    struct find g = {.id = b};
    st->ops->inc_alerts_after(st, 0, 100000, find_cb, &g, &e);
    assert_true(!g.suppressed && g.incident[0]);
}

static void test_risk_raises(void **s)
{
    (void)s;
    struct vg_err e = VG_ERR_INIT;
    assert_int_equal(st->ops->crit_set(st, "default", "host:crit1", "critical", &e), 0);
    assert_int_equal(st->ops->crit_set(st, "default", "host:crit1", "extreme", &e), VG_EINVAL);
    uint8_t c1[16], p1[16], t1[16];
    for (int i = 0; i < 8; i++) {
        char rule[16];
        snprintf(rule, sizeof rule, "m%d", i);
        put(rule, VG_ALERT_MEDIUM, "crit1", "cu", NULL, T0 + i * 1000, "credential_access", i ? NULL : c1);
        put(rule, VG_ALERT_MEDIUM, "plain1", "pu", NULL, T0 + i * 1000, "credential_access", i ? NULL : p1);
    }
    put("l1", VG_ALERT_LOW, "tac1", "tu", NULL, T0, "discovery", t1);
    put("l2", VG_ALERT_LOW, "tac1", "tu", NULL, T0 + 1, "execution", NULL);
    put("l3", VG_ALERT_LOW, "tac1", "tu", NULL, T0 + 2, "persistence", NULL);
    process();
    char ic[24], ip[24], it[24];
    struct vg_incident a, b, c;
    get(inc_of(c1, ic), &a);
    get(inc_of(p1, ip), &b);
    get(inc_of(t1, it), &c);
    assert_string_equal(a.raised, "risk");       /* 8 mediums on a critical host */
    assert_string_equal(a.criticality, "critical");
    assert_true(a.risk >= 50 && b.risk < 50 && a.risk > b.risk);
    assert_string_equal(b.raised, "");          /* the same on a normal host: pending */
    assert_string_equal(c.raised, "tactics");   /* 3 tactics of low alerts */
    assert_true(a.priority > b.priority);
    vg_incident_release(&a);
    vg_incident_release(&b);
    vg_incident_release(&c);
    /* the list: raised only by default, all on request, by priority */
    struct vg_buf out = VG_BUF_INIT;
    struct vg_inc_query q = {.tenant = "default", .limit = 100};
    assert_int_equal(vg_incident_list_json(st, &q, &out, &e), 0);
    assert_null(strstr(out.data, ip));
    assert_non_null(strstr(out.data, ic));
    out.len = 0;
    q.all = true;
    assert_int_equal(vg_incident_list_json(st, &q, &out, &e), 0);
    assert_non_null(strstr(out.data, ip));
    double last = 1e9;
    for (const char *p = strstr(out.data, "\"priority\":"); p; p = strstr(p + 1, "\"priority\":")) {
        double v = strtod(p + 11, NULL);
        assert_true(v <= last);
        last = v;
    }
    vg_buf_release(&out);
    /* the entity list: crit1 first, raised by criticality */
    out = (struct vg_buf)VG_BUF_INIT;
    assert_int_equal(vg_risk_list_json(st, "default", T0 + HOUR, NULL, 10, &out, &e), 0);
    const char *first = strstr(out.data, "\"entity\":");
    assert_non_null(first);
    assert_int_equal(strncmp(first, "\"entity\":\"host:crit1\"", 21), 0);
    vg_buf_release(&out);
}

/* Repeats counted by the writer: one row, counts of first-stored events only. */
static void stage_and_put(struct vg_batch *b, int64_t window, size_t *rows_before)
{
    (void)rows_before;
    struct vg_err e = VG_ERR_INIT;
    st->ops->alerts_set_window(st, window);
    const struct vg_event *evs[16];
    for (size_t i = 0; i < b->n; i++) evs[i] = &b->ev[i];
    const struct vg_alert *al[16];
    size_t n = 0;
    for (struct vg_alert *a = b->alerts; a; a = a->next) al[n++] = a;
    assert_int_equal(st->ops->alerts_stage(st, al, n, &e), 0);
    size_t stored, dups;
    assert_int_equal(vg_store_put_events(st, evs, b->n, &stored, &dups, &e), 0);
    assert_int_equal(st->ops->alerts_stage(st, NULL, 0, &e), 0);
}

static struct vg_batch *batch(int n, int64_t ts0, int tag)
{
    struct vg_batch *b = vg_batch_new((size_t)n);
    for (int i = 0; i < n; i++) {
        struct vg_event *ev = vg_batch_push(b);
        ev->tenant = "default";
        ev->host = "agg-host";
        ev->ts = ts0 + i;
        char raw[64];
        int len = snprintf(raw, sizeof raw, "event %d %d", tag, i);
        vg_event_set_raw(ev, raw, (size_t)len);
        vg_event_finish(ev);
    }
    struct vg_alert **tail = &b->alerts;
    for (int i = 0; i < n; i++) {
        struct vg_alert *a = vg_arena_alloc(&b->arena, sizeof *a);
        memset(a, 0, sizeof *a);
        a->tenant = "default";
        a->rule_id = "agg_rule";
        a->title = "Agg";
        a->level = VG_ALERT_LOW;
        a->host_name = "agg-host";
        a->user_name = "agg-user";
        a->ts = b->ev[i].ts;
        a->created = a->ts;
        a->ev = &b->ev[i];
        memcpy(a->event_id, b->ev[i].id, 16);
        vg_alert_make_id("default", "agg_rule", b->ev[i].id, a->id);
        a->json = "{\"id\":\"x\"}";
        a->json_len = 10;
        *tail = a;
        tail = &a->next;
        b->nalerts++;
    }
    vg_alert_aggregate(b);
    return b;
}

struct rows {
    int n;
    uint32_t count[8];
    char json[2048];
};

static int rows_cb(void *ctx, const struct vg_stored_alert *a)
{
    struct rows *r = ctx;
    if (r->n < 8) r->count[r->n] = a->count;
    if (r->n == 0) snprintf(r->json, sizeof r->json, "%.*s", (int)a->json_len, a->json);
    r->n++;
    return 0;
}

static struct rows agg_rows(void)
{
    struct rows r;
    memset(&r, 0, sizeof r);
    struct vg_alert_query q = {.tenant = "default", .rule = "agg_rule", .ascending = true, .limit = 100};
    struct vg_err e = VG_ERR_INIT;
    assert_int_equal(st->ops->alert_search(st, &q, rows_cb, &r, &e), 0);
    return r;
}

static void test_aggregation(void **s)
{
    (void)s;
    struct vg_batch *b1 = batch(5, T0, 1);
    assert_int_equal(b1->nalerts, 1); /* folded on the worker */
    stage_and_put(b1, 0, NULL);
    struct rows r = agg_rows();
    assert_int_equal(r.n, 1);
    assert_int_equal(r.count[0], 5);
    assert_non_null(strstr(r.json, "\"count\":5"));
    assert_non_null(strstr(r.json, "\"samples\":[\""));
    /* the same events again: duplicates, nothing counted */
    stage_and_put(b1, 0, NULL);
    r = agg_rows();
    assert_int_equal(r.n, 1);
    assert_int_equal(r.count[0], 5);
    /* new repeats within the window: the same row */
    struct vg_batch *b2 = batch(12, T0 + 10 * 60 * 1000000000LL, 2);
    stage_and_put(b2, 0, NULL);
    r = agg_rows();
    assert_int_equal(r.n, 1);
    assert_int_equal(r.count[0], 17);
    /* samples: the first batch's and the newest repeat, never more than 8 */
    int ns = 0;
    for (const char *p = strstr(r.json, "\"samples\":["); p && *p && *p != ']'; p++) ns += *p == ',';
    assert_int_equal(ns + 1, 6);
    for (int k = 0; k < 4; k++) {
        struct vg_batch *bk = batch(3, T0 + (20 + k) * 60 * 1000000000LL, 10 + k);
        stage_and_put(bk, 0, NULL);
        vg_batch_free(bk);
    }
    r = agg_rows();
    assert_int_equal(r.count[0], 29);
    ns = 0;
    for (const char *p = strstr(r.json, "\"samples\":["); p && *p && *p != ']'; p++) ns += *p == ',';
    assert_int_equal(ns + 1, 8);
    /* beyond the window (1 h): a new row */
    struct vg_batch *b3 = batch(2, T0 + 3 * HOUR, 3);
    stage_and_put(b3, 0, NULL);
    r = agg_rows();
    assert_int_equal(r.n, 2);
    assert_int_equal(r.count[1], 2);
    /* aggregation off: one row per staged alert (the batch fold still counts) */
    struct vg_batch *b4 = batch(3, T0 + 3 * HOUR + 100, 4);
    stage_and_put(b4, -1, NULL);
    r = agg_rows();
    assert_int_equal(r.n, 3);
    assert_int_equal(r.count[2], 3);
    vg_batch_free(b1);
    vg_batch_free(b2);
    vg_batch_free(b3);
    vg_batch_free(b4);
    st->ops->alerts_set_window(st, 0);
    /* a repeat updates the row's seq: the processor refreshes its incident */
    assert_true(process() >= 1);
}

static void test_restart(void **s)
{
    (void)s;
    uint8_t a[16], b[16];
    char ia[24], ib[24];
    put("r1", VG_ALERT_HIGH, "rs1", "ru", NULL, T0, "execution", a);
    assert_int_equal(process(), 1);
    inc_of(a, ia);
    vg_respond_free(rsp); /* a restart: a new processor on the same data */
    struct vg_err e = VG_ERR_INIT;
    assert_int_equal(vg_respond_new(&rsp, dir, NULL, &e), 0);
    assert_int_equal(process(), 0); /* resumes after the cursor */
    put("r2", VG_ALERT_LOW, "rs1", "ru", NULL, T0 + 60, "persistence", b);
    assert_int_equal(vg_respond_start(rsp, &e), 0); /* the thread, woken like the writer does */
    vg_respond_notify(rsp);
    for (int i = 0; i < 100 && !inc_of(b, ib)[0]; i++) usleep(20 * 1000);
    assert_string_equal(ib, ia);
    struct vg_respond_stats rs;
    vg_respond_stats(rsp, &rs);
    assert_true(rs.rounds >= 1 && rs.alerts >= 1 && rs.errors == 0);
}


/* n alerts of rule on host, each from its own source address and
 * user (no repeat of a key), staged and stored with their events. */
static void put_storm(const char *host, const char *rule, int n, int64_t ts0, int tag)
{
    struct vg_batch *b = vg_batch_new((size_t)n);
    char (*src)[32] = vg_calloc((size_t)n, sizeof *src), (*usr)[32] = vg_calloc((size_t)n, sizeof *usr);
    const struct vg_event **evs = vg_calloc((size_t)n, sizeof *evs);
    const struct vg_alert **al = vg_calloc((size_t)n, sizeof *al);
    assert_true(b && src && usr && evs && al);
    for (int i = 0; i < n; i++) {
        struct vg_event *ev = vg_batch_push(b);
        ev->tenant = "default";
        ev->host = host;
        ev->ts = ts0 + i * 1000000000LL;
        char raw[64];
        int len = snprintf(raw, sizeof raw, "storm %s %d %d", host, tag, i);
        vg_event_set_raw(ev, raw, (size_t)len);
        vg_event_finish(ev);
    }
    for (int i = 0; i < n; i++) {
        struct vg_alert *a = vg_arena_alloc(&b->arena, sizeof *a);
        memset(a, 0, sizeof *a);
        snprintf(src[i], sizeof src[i], "198.51.%d.%d", (tag * 7 + i / 200) % 256, i % 200 + 1);
        snprintf(usr[i], sizeof usr[i], "guess%d", i % 37);
        a->tenant = "default";
        a->rule_id = rule;
        a->title = "SSH failed login";
        a->level = VG_ALERT_LOW;
        a->host_name = host;
        a->user_name = usr[i];
        a->source_ip = src[i];
        a->ts = a->created = b->ev[i].ts;
        a->ev = &b->ev[i];
        memcpy(a->event_id, b->ev[i].id, 16);
        vg_alert_make_id("default", rule, b->ev[i].id, a->id);
        a->json = "{\"id\":\"x\"}";
        a->json_len = 10;
        al[i] = a;
        evs[i] = &b->ev[i];
    }
    struct vg_err e = VG_ERR_INIT;
    assert_int_equal(st->ops->alerts_stage(st, al, (size_t)n, &e), 0);
    size_t stored, dups;
    assert_int_equal(vg_store_put_events(st, evs, (size_t)n, &stored, &dups, &e), 0);
    assert_int_equal(stored, (size_t)n);
    assert_int_equal(st->ops->alerts_stage(st, NULL, 0, &e), 0);
    vg_free(al);
    vg_free(evs);
    vg_free(usr);
    vg_free(src);
    vg_batch_free(b);
}

struct storm_rows {
    int rows, storms;
    int64_t events, storm_count, sources;
};

static int storm_cb(void *ctx, const struct vg_stored_alert *a)
{
    struct storm_rows *r = ctx;
    r->rows++;
    r->events += a->count;
    static const char key[] = "\"storm\":true,\"sources\":";
    const char *p = memmem(a->json, a->json_len, key, sizeof key - 1);
    if (p) {
        r->storms++;
        r->storm_count += a->count;
        int64_t v = 0;
        for (p += sizeof key - 1; *p >= '0' && *p <= '9'; p++) v = v * 10 + (*p - '0');
        r->sources = v;
        assert_non_null(memmem(a->json, a->json_len, "\"samples\":[\"", 12));
    }
    return 0;
}

static struct storm_rows storm_rows(const char *rule)
{
    struct storm_rows r;
    memset(&r, 0, sizeof r);
    struct vg_alert_query q = {.tenant = "default", .rule = rule, .ascending = true, .limit = 10000};
    struct vg_err e = VG_ERR_INIT;
    assert_int_equal(st->ops->alert_search(st, &q, storm_cb, &r, &e), 0);
    return r;
}

/* Alert storms: one rule on one host from ever new sources opens 20 rows,
 * then counts into one storm row with the distinct sources estimated; a
 * quiet host is not affected; beyond the window a storm starts over. */
static void test_storm(void **s)
{
    (void)s;
    st->ops->alerts_set_window(st, 0);
    put_storm("storm-host", "storm_rule", 600, T0, 1);
    put_storm("quiet-host", "quiet_rule", 12, T0, 2);
    struct storm_rows r = storm_rows("storm_rule");
    assert_int_equal(r.rows, 21);
    assert_int_equal(r.storms, 1);
    assert_int_equal(r.events, 600);          /* every event counted once */
    assert_int_equal(r.storm_count, 580);
    assert_true(r.sources >= 580 * 85 / 100 && r.sources <= 580 * 115 / 100); /* HLL estimate of 580 distinct */
    r = storm_rows("quiet_rule");
    assert_int_equal(r.rows, 12);
    assert_int_equal(r.storms, 0);
    /* more of the storm within the window: the same storm row */
    put_storm("storm-host", "storm_rule", 100, T0 + 700 * 1000000000LL, 3);
    r = storm_rows("storm_rule");
    assert_int_equal(r.rows, 21);
    assert_int_equal(r.storm_count, 680);
    /* hours later: 20 new rows, then a new storm row */
    put_storm("storm-host", "storm_rule", 30, T0 + 3 * HOUR, 4);
    r = storm_rows("storm_rule");
    assert_int_equal(r.rows, 21 + 21);
    assert_int_equal(r.storms, 2);
    /* the incident processor takes storm rows like any other */
    assert_true(process() >= 42);
}

/* The list of every incident with the wall-clock times blanked. */
static char *all_incidents(struct vg_store *s)
{
    struct vg_inc_query q = {.tenant = "default", .all = true, .limit = 100000};
    struct vg_buf b = VG_BUF_INIT;
    struct vg_err e = VG_ERR_INIT;
    assert_int_equal(vg_incident_list_json(s, &q, &b, &e), 0);
    assert_int_equal(vg_buf_addc(&b, 0), 0);
    static const char *const keys[] = {"\"created\":\"", "\"updated\":\""};
    for (size_t k = 0; k < 2; k++)
        for (char *p = strstr(b.data, keys[k]); p; p = strstr(p, keys[k]))
            for (p += strlen(keys[k]); *p && *p != '"'; p++) *p = 'X';
    return b.data;
}

/* Random alerts grouped with the round's memo and without it (every
 * strength and risk queried for each incident) give identical incidents. */
static void test_memo_same_results(void **s)
{
    (void)s;
    char dir2[300];
    snprintf(dir2, sizeof dir2, "%s/b", dir);
    mkdir(dir2, 0700);
    struct vg_store *st2 = NULL;
    struct vg_respond *rsp2 = NULL;
    struct vg_err e = VG_ERR_INIT;
    assert_int_equal(vg_store_open(&st2, dir2, &e), 0);
    assert_int_equal(vg_respond_new(&rsp2, dir2, NULL, &e), 0);
    static const char *const tac[] = {"discovery", "execution", "persistence", "credential_access", "initial_access"};
    uint64_t x = 0x2545F4914F6CDD1DULL;
    struct vg_store *one = st;
    for (int pass = 0; pass < 2; pass++) {
        uint64_t r = x;
        evn = 0;
        for (int i = 0; i < 1500; i++) {
            char host[32], user[32], ip[32], rule[32];
            r ^= r << 13, r ^= r >> 7, r ^= r << 17;
            snprintf(host, sizeof host, "h%llu", (unsigned long long)(r % 25));
            snprintf(user, sizeof user, "u%llu", (unsigned long long)((r >> 8) % 70));
            if ((r >> 16) % 3) snprintf(ip, sizeof ip, "203.0.%llu.%llu", (unsigned long long)((r >> 20) % 4), (unsigned long long)((r >> 24) % 40));
            else snprintf(ip, sizeof ip, "10.1.1.%llu", (unsigned long long)((r >> 24) % 30));
            unsigned ru = (unsigned)((r >> 32) % 12);
            snprintf(rule, sizeof rule, "rule-%u", ru);
            int64_t ts = T0 + (int64_t)i * 14 * 1000000000LL + (int64_t)((r >> 40) % 600) * 1000000000LL;
            /* put() stores into st: swap the handle for the second pass */
            st = one == st && pass ? st2 : st;
            put(rule, 1 + (int)(ru % 4), host, (r >> 44) % 5 ? user : "root", (r >> 48) % 2 ? ip : NULL, ts,
                tac[ru % 5], NULL);
        }
        size_t n = 0;
        vg__rsp_memo_off = pass == 1;
        assert_int_equal(vg_respond_run(pass ? rsp2 : rsp, &n, &e), 0);
        assert_int_equal(n, 1500);
    }
    vg__rsp_memo_off = false;
    st = one;
    char *a = all_incidents(st), *b = all_incidents(st2);
    assert_true(strlen(a) > 1000); /* many incidents, not an empty list */
    assert_string_equal(a, b);
    vg_free(a);
    vg_free(b);
    vg_respond_free(rsp2);
    vg_store_close(st2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_grouping, setup, teardown),
        cmocka_unit_test_setup_teardown(test_weak_hub, setup, teardown),
        cmocka_unit_test_setup_teardown(test_merge_split_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_suppression_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_risk_raises, setup, teardown),
        cmocka_unit_test_setup_teardown(test_aggregation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_memo_same_results, setup, teardown),
        cmocka_unit_test_setup_teardown(test_storm, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
