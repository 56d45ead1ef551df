/* Unit tests for the SQLite store backend (src/store/): migrations, put and
 * search round trips with every query form, idempotency, day partitions,
 * retention, tokens, kv, hostile values, ordering/limits, tenant scope,
 * allocation-failure injection, corrupt blocks, and the split write
 * (prepare on any thread, put_prepared on the writer). Each case runs as its
 * own CTest test (the binary takes a case-name filter as argv[1]). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>
#include "vigil/store.h"
#include "store/internal.h"

#define DAY (86400LL * 1000000000LL)
#define SEC 1000000000LL
static const int64_t T0 = 1709287200LL * SEC; /* 2024-03-01T10:00:00Z */

/* ---- helpers ----------------------------------------------------------- */
struct fx {
    char dir[256];
    struct vg_store *s;
};

static void rm_rf(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char p[512];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) rm_rf(p);
        else unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/vg_store_test_XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    struct vg_err e = VG_ERR_INIT;
    if (vg_store_open(&f->s, f->dir, &e)) { fprintf(stderr, "open: %s\n", e.msg); return -1; }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    vg_store_close(f->s);
    rm_rf(f->dir);
    free(f);
    return 0;
}

static struct vg_event *ev_new(struct vg_batch *b, int64_t ts, const char *host, const char *raw)
{
    struct vg_event *ev = vg_batch_push(b);
    assert_non_null(ev);
    ev->ts = ts;
    ev->recv_ts = ts < INT64_MAX - 5 * SEC ? ts + 5 * SEC : ts;
    ev->host = host;
    ev->collector = "syslog-tcp";
    ev->format = "rfc3164";
    assert_int_equal(vg_event_set_raw(ev, raw, strlen(raw)), 0);
    vg_event_finish(ev);
    return ev;
}

/* Adds a string field pointing into raw when the text occurs there. */
static void add_s(struct vg_event *ev, const char *name, uint32_t fl, const char *v)
{
    const char *in = ev->raw ? memmem(ev->raw, ev->raw_len, v, strlen(v)) : NULL;
    uint32_t fid = vg_fid(name, strlen(name));
    if (in) assert_int_equal(vg_event_add_str(ev, fid, fl, in, strlen(v)), 0);
    else assert_int_equal(vg_event_add_str_copy(ev, fid, fl, v, strlen(v)), 0);
}

static void add_i(struct vg_event *ev, const char *name, int64_t v)
{
    assert_int_equal(vg_event_add_int(ev, vg_fid(name, strlen(name)), VG_FF_ECS, v), 0);
}

static void add_ip(struct vg_event *ev, const char *name, const char *v)
{
    const char *in = memmem(ev->raw, ev->raw_len, v, strlen(v));
    if (!in) in = vg_arena_strndup(ev->arena, v, strlen(v));
    assert_int_equal(vg_event_add_ip(ev, vg_fid(name, strlen(name)), VG_FF_ECS, in, strlen(v)), 0);
}

static const struct vg_event **ptrs(struct vg_batch *b)
{
    const struct vg_event **p = calloc(b->n + 1, sizeof *p);
    for (size_t i = 0; i < b->n; i++) p[i] = &b->ev[i];
    return p;
}

static void put(struct vg_store *s, struct vg_batch *b, size_t want_stored, size_t want_dups)
{
    const struct vg_event **p = ptrs(b);
    size_t st = 99, du = 99;
    struct vg_err e = VG_ERR_INIT;
    int rc = vg_store_put_events(s, p, b->n, &st, &du, &e);
    free(p);
    if (rc) fail_msg("put_events: %s", e.msg);
    assert_int_equal(st, want_stored);
    assert_int_equal(du, want_dups);
}

struct collected {
    size_t n;
    char *json[512];
    int64_t ts[512];
    uint8_t id[512][16];
};

static int collect_cb(void *ctx, const struct vg_stored_event *se)
{
    struct collected *c = ctx;
    if (c->n >= 512) return 1;
    c->json[c->n] = strndup(se->json, se->json_len);
    c->ts[c->n] = se->ts;
    memcpy(c->id[c->n], se->id, 16);
    c->n++;
    return 0;
}

static void collected_free(struct collected *c)
{
    for (size_t i = 0; i < c->n; i++) free(c->json[i]);
    c->n = 0;
}

static int run_search(struct vg_store *s, const char *text, int64_t since, int64_t until, size_t limit, bool asc,
                      const char *tenant, struct collected *out, uint64_t *count)
{
    struct vg_query q = VG_QUERY_INIT;
    struct vg_err e = VG_ERR_INIT;
    int rc = vg_query_parse(&q, text, &e);
    if (rc) return rc;
    q.since = since;
    q.until = until;
    q.limit = limit;
    q.ascending = asc;
    q.tenant = tenant;
    memset(out, 0, sizeof *out);
    rc = vg_store_search(s, &q, collect_cb, out, &e);
    if (rc == 0 && count) rc = s->ops->count(s, &q, count, &e);
    if (rc) fprintf(stderr, "search '%s': %s\n", text, e.msg);
    vg_query_release(&q);
    return rc;
}

/* ---- cases ------------------------------------------------------------- */
static void test_migrate(void **state)
{
    struct fx *f = *state;
    char sub[300];
    snprintf(sub, sizeof sub, "%s/a/b/data", f->dir);
    struct vg_store *s = NULL;
    struct vg_err e = VG_ERR_INIT;
    assert_int_equal(vg_store_open(&s, sub, &e), 0);
    struct stat st;
    assert_int_equal(stat(sub, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    char db[400];
    snprintf(db, sizeof db, "%s/vigil.db", sub);
    assert_int_equal(stat(db, &st), 0);
    assert_int_equal(s->ops->kv_put(s, "k", "v", &e), 0);
    vg_store_close(s);
    /* reopen: migrations are not re-applied, data kept */
    assert_int_equal(vg_store_open(&s, sub, &e), 0);
    char *v = NULL;
    assert_int_equal(s->ops->kv_get(s, "k", &v, &e), 0);
    assert_string_equal(v, "v");
    vg_free(v);
    vg_store_close(s);
    sqlite3 *db3;
    assert_int_equal(sqlite3_open(db, &db3), SQLITE_OK);
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_prepare_v2(db3, "SELECT count(*), max(version) FROM schema_version", -1, &q, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    size_t nm;
    const struct vg__migration *m = vg__store_migrations(&nm);
    assert_int_equal(sqlite3_column_int(q, 0), (int)nm);
    assert_int_equal(sqlite3_column_int(q, 1), m[nm - 1].version);
    sqlite3_finalize(q);
    char *mode = NULL;
    assert_int_equal(sqlite3_prepare_v2(db3, "PRAGMA journal_mode", -1, &q, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    mode = strdup((const char *)sqlite3_column_text(q, 0));
    sqlite3_finalize(q);
    assert_string_equal(mode, "wal");
    free(mode);
    sqlite3_close(db3);
    /* sqlite:PATH form */
    char uri[500];
    snprintf(uri, sizeof uri, "sqlite:%s/other.db", f->dir);
    assert_int_equal(vg_store_open(&s, uri, &e), 0);
    vg_store_close(s);
    snprintf(db, sizeof db, "%s/other.db", f->dir);
    assert_int_equal(stat(db, &st), 0);
    /* a file that is not a database */
    snprintf(db, sizeof db, "%s/junk", f->dir);
    FILE *fp = fopen(db, "w");
    fputs("this is not an sqlite database at all, just some text padding padding padding padding", fp);
    fclose(fp);
    snprintf(uri, sizeof uri, "sqlite:%s", db);
    assert_int_not_equal(vg_store_open(&s, uri, &e), 0);
    assert_null(s);
}

static void test_reopen_newer(void **state)
{
    struct fx *f = *state;
    vg_store_close(f->s);
    f->s = NULL;
    char db[400];
    snprintf(db, sizeof db, "%s/vigil.db", f->dir);
    sqlite3 *db3;
    assert_int_equal(sqlite3_open(db, &db3), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db3, "INSERT INTO schema_version VALUES (999, 'future', 0)", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db3);
    struct vg_err e = VG_ERR_INIT;
    assert_int_equal(vg_store_open(&f->s, f->dir, &e), VG_ESTATE);
    assert_null(f->s);
    assert_non_null(strstr(e.msg, "999"));
    assert_non_null(strstr(e.msg, "newer"));
}

static void test_migrations_match_sql(void **state)
{
    (void)state;
    const char *src = getenv("VG_SRC");
    assert_non_null(src);
    size_t nm;
    const struct vg__migration *m = vg__store_migrations(&nm);
    assert_true(nm >= 1);
    for (size_t i = 0; i < nm; i++) {
        /* strictly increasing; numbers are reserved per branch (002 alerts,
         * 003 agents, 004 assets), so a branch alone may show a gap */
        assert_true(m[i].version >= 1 && (i == 0 || m[i].version > m[i - 1].version));
        char p[600];
        snprintf(p, sizeof p, "%s/src/store/schema/%03d_%s.sql", src, m[i].version, m[i].name);
        FILE *fp = fopen(p, "rb");
        if (!fp) fail_msg("missing %s", p);
        char buf[65536];
        size_t n = fread(buf, 1, sizeof buf - 1, fp);
        fclose(fp);
        buf[n] = 0;
        if (strcmp(buf, m[i].sql) != 0) fail_msg("%s differs from the embedded SQL: run src/store/schema/gen.sh", p);
    }
}

static void test_roundtrip(void **state)
{
    struct fx *f = *state;
    struct vg_batch *b = vg_batch_new(16);
    for (int i = 0; i < 20; i++) {
        char raw[200];
        snprintf(raw, sizeof raw, "<34>Mar  1 10:00:%02d host%d app[%d]: message number %d \"quoted\" \\ back\xc3\xa9", i, i % 3, 100 + i, i);
        struct vg_event *ev = ev_new(b, T0 + i * SEC + 123456789, i % 2 ? "web1" : NULL, raw);
        ev->seq = (uint64_t)i;
        if (i == 7) ev->flags |= VG_EV_DECODE_FAILED;
        if (i == 8) ev->collector = NULL;
        add_s(ev, "process.name", VG_FF_ECS, "app");
        add_i(ev, "process.pid", 100 + i);
        add_i(ev, "neg", -((int64_t)1 << 62) - i);
        assert_int_equal(vg_event_add_float(ev, vg_fid("ratio", 5), VG_FF_ECS, i / 3.0), 0);
        assert_int_equal(vg_event_add_bool(ev, vg_fid("ok", 2), VG_FF_ECS, i & 1), 0);
        assert_int_equal(vg_event_add_null(ev, vg_fid("nothing", 7), VG_FF_SOURCE), 0);
        add_s(ev, "@timestamp", VG_FF_ECS, "2024-03-01T10:00:00Z");
        struct vg_str *items = vg_arena_alloc(ev->arena, 2 * sizeof *items);
        items[0] = (struct vg_str){"a\"b", 3};
        items[1] = (struct vg_str){"", 0};
        assert_int_equal(vg_event_add_list(ev, vg_fid("tags", 4), VG_FF_ECS, items, 2), 0);
        add_ip(ev, "source.ip", i % 2 ? "10.1.2.3" : "2001:db8::1");
    }
    put(f->s, b, 20, 0);
    struct collected c;
    uint64_t cnt;
    assert_int_equal(run_search(f->s, "", 0, 0, 100, true, NULL, &c, &cnt), 0);
    assert_int_equal(c.n, 20);
    assert_int_equal(cnt, 20);
    for (size_t i = 0; i < 20; i++) {
        struct vg_buf want = VG_BUF_INIT;
        assert_int_equal(vg_event_to_json(&b->ev[i], &want), 0);
        assert_string_equal(c.json[i], want.data);
        assert_int_equal(c.ts[i], b->ev[i].ts);
        assert_memory_equal(c.id[i], b->ev[i].id, 16);
        vg_buf_release(&want);
    }
    collected_free(&c);
    struct vg_store_stats st;
    assert_int_equal(f->s->ops->stats(f->s, NULL, &st, NULL), 0);
    assert_int_equal(st.events, 20);
    assert_int_equal(st.partitions, 1);
    assert_int_equal(st.oldest, b->ev[0].ts);
    assert_int_equal(st.newest, b->ev[19].ts);
    assert_true(st.bytes > 0);
    vg_batch_free(b);
}

/* The shared data set of the query tests. */
static struct vg_batch *forms_batch(void)
{
    struct vg_batch *b = vg_batch_new(8);
    struct vg_event *ev;
    ev = ev_new(b, T0, "web1", "Mar  1 10:00:00 web1 sshd[101]: Failed password for root from 10.0.0.5 port 22 ssh2");
    add_s(ev, "process.name", VG_FF_ECS, "sshd");
    add_i(ev, "process.pid", 101);
    add_s(ev, "user.name", VG_FF_ECS, "root");
    add_s(ev, "sshd.user", VG_FF_SOURCE, "root");
    add_ip(ev, "source.ip", "10.0.0.5");
    add_i(ev, "source.port", 22);
    add_s(ev, "event.outcome", VG_FF_ECS, "failure");
    ev = ev_new(b, T0 + SEC, "web2", "Mar  1 10:00:01 web2 sshd[202]: Accepted publickey for alice from 192.168.1.7 port 40000 ssh2");
    add_s(ev, "process.name", VG_FF_ECS, "sshd");
    add_i(ev, "process.pid", 202);
    add_s(ev, "user.name", VG_FF_ECS, "alice");
    add_s(ev, "sshd.user", VG_FF_SOURCE, "alice");
    add_ip(ev, "source.ip", "192.168.1.7");
    add_i(ev, "source.port", 40000);
    add_s(ev, "event.outcome", VG_FF_ECS, "success");
    ev = ev_new(b, T0 + 2 * SEC, "web1", "Mar  1 10:00:02 web1 sudo: bob : TTY=pts/0 ; PWD=/home/bob ; USER=root ; COMMAND=/bin/ls");
    add_s(ev, "process.name", VG_FF_ECS, "sudo");
    add_s(ev, "user.name", VG_FF_ECS, "bob");
    add_s(ev, "user.effective.name", VG_FF_ECS, "root");
    add_s(ev, "process.command_line", VG_FF_ECS, "/bin/ls");
    struct vg_str *items = vg_arena_alloc(ev->arena, 2 * sizeof *items);
    items[0] = (struct vg_str){"admin", 5};
    items[1] = (struct vg_str){"Ops", 3};
    assert_int_equal(vg_event_add_list(ev, vg_fid("tags", 4), VG_FF_ECS, items, 2), 0);
    ev = ev_new(b, T0 + 3 * SEC, "ws1", "Sysmon 1: Image C:\\Windows\\System32\\cmd.exe started");
    ev->format = "json+sysmon";
    add_s(ev, "Image", VG_FF_SOURCE, "C:\\Windows\\System32\\cmd.exe");
    add_s(ev, "process.executable", VG_FF_ECS, "C:\\Windows\\System32\\cmd.exe");
    add_i(ev, "winlog.event_id", 1);
    assert_int_equal(vg_event_add_float(ev, vg_fid("score", 5), VG_FF_ECS, 3.5), 0);
    assert_int_equal(vg_event_add_bool(ev, vg_fid("elevated", 8), VG_FF_ECS, true), 0);
    add_ip(ev, "source.ip", "fe80::1");
    ev = ev_new(b, T0 + 4 * SEC, "evil'host", "'; DROP TABLE partitions; -- injected \" OR 1=1");
    add_s(ev, "user.name", VG_FF_ECS, "'; DROP TABLE partitions; --");
    assert_int_equal(vg_event_add_null(ev, vg_fid("note", 4), VG_FF_ECS), 0);
    return b;
}

static unsigned mask_of(struct vg_batch *b, const struct collected *c)
{
    unsigned m = 0;
    for (size_t i = 0; i < c->n; i++)
        for (size_t k = 0; k < b->n; k++)
            if (memcmp(c->id[i], b->ev[k].id, 16) == 0) m |= 1u << k;
    return m;
}

static void test_query_forms(void **state)
{
    struct fx *f = *state;
    struct vg_batch *b = forms_batch();
    put(f->s, b, 5, 0);
    static const struct { const char *q; unsigned want; } cases[] = {
        {"", 0x1f},
        {"*", 0x1f},
        {"user.name:root", 0x1},
        {"USER.NAME:ROOT", 0x1},
        {"sshd.user:alice", 0x2},
        {"user.name:al*", 0x2},
        {"user.name:?ob", 0x4},
        {"user.name:root*", 0x1},
        {"failed", 0x1},
        {"FAILED password", 0x1},
        {"fail*word", 0x1},
        {"ssh2", 0x3},
        {"MAR", 0x7},
        {"\"1=1\"", 0x10},
        {"started", 0x8},
        {"xstarted", 0x0},
        {"\"failed password\"", 0x1},
        {"\"password for\"", 0x1},
        {"\"for root from\"", 0x1},
        {"process.pid:>150", 0x2},
        {"process.pid:>=101", 0x3},
        {"process.pid:<200", 0x1},
        {"process.pid:<=202", 0x3},
        {"process.pid:101", 0x1},
        {"source.port:>1000", 0x2},
        {"score:>3", 0x8},
        {"score:<=3.5", 0x8},
        {"score:3.5", 0x8},
        {"source.ip:10.0.0.0/8", 0x1},
        {"source.ip:10.0.0.5", 0x1},
        {"source.ip:192.168.0.0/16", 0x2},
        {"source.ip:fe80::/10", 0x8},
        {"source.ip:0.0.0.0/0", 0x3},
        {"source.ip:*", 0xb},
        {"note:*", 0x10},
        {"note:x", 0x0},
        {"user.effective.name:*", 0x4},
        {"NOT user.name:*", 0x8},
        {"tags:ops", 0x4},
        {"tags:adm*", 0x4},
        {"Image:*\\\\cmd.exe", 0x8},
        {"image:*CMD.EXE", 0x8},
        {"process.executable:\"C:\\\\Windows\\\\System32\\\\cmd.exe\"", 0x8},
        {"winlog.event_id:1", 0x8},
        {"elevated:true", 0x8},
        {"sshd.user:root OR sshd.user:alice", 0x3},
        {"process.name:sshd AND NOT event.outcome:success", 0x1},
        {"process.name:(sshd OR sudo) NOT user.name:bob", 0x3},
        {"(user.name:root OR user.name:bob) AND process.name:sudo", 0x4},
        {"vigil.origin:web1", 0x5},
        {"vigil.format:json*", 0x8},
        {"vigil.origin:\"evil'host\"", 0x10},
        {"'; DROP TABLE partitions; --", 0x10},
        {"user.name:\"'; DROP TABLE partitions; --\"", 0x10},
        {"user.name:\"'; drop table partitions; --\"", 0x10},
        {"\"\\\" OR 1=1\"", 0x10},
        {"nomatch", 0x0},
        {"user.name:nobody", 0x0},
        {"nosuchfield:*", 0x0},
        {"NOT nosuchfield:*", 0x1f},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct collected c;
        uint64_t cnt = 0;
        int rc = run_search(f->s, cases[i].q, 0, 0, 100, false, NULL, &c, &cnt);
        if (rc) fail_msg("query '%s' failed: %d", cases[i].q, rc);
        unsigned got = mask_of(b, &c);
        if (got != cases[i].want) fail_msg("query '%s': got 0x%x want 0x%x", cases[i].q, got, cases[i].want);
        if (cnt != c.n) fail_msg("query '%s': count %llu but search %zu", cases[i].q, (unsigned long long)cnt, c.n);
        collected_free(&c);
    }
    /* the injection attempt was data: everything is still there */
    struct vg_store_stats st;
    assert_int_equal(f->s->ops->stats(f->s, NULL, &st, NULL), 0);
    assert_int_equal(st.events, 5);
    /* time bounds: since inclusive, until exclusive */
    struct collected c;
    uint64_t cnt;
    assert_int_equal(run_search(f->s, "", T0 + SEC, T0 + 3 * SEC, 100, false, NULL, &c, &cnt), 0);
    assert_int_equal(mask_of(b, &c), 0x6);
    assert_int_equal(cnt, 2);
    collected_free(&c);
    /* bad query gives a parse error, not a search */
    assert_int_equal(run_search(f->s, "user.name:\"x", 0, 0, 10, false, NULL, &c, NULL), VG_EPARSE);
    vg_batch_free(b);
}

static void test_idempotent(void **state)
{
    struct fx *f = *state;
    struct vg_batch *b = vg_batch_new(64);
    for (int i = 0; i < 100; i++) {
        char raw[64];
        snprintf(raw, sizeof raw, "event %d", i);
        ev_new(b, T0 + i * 1000, "h", raw);
    }
    put(f->s, b, 100, 0);
    put(f->s, b, 0, 100);
    /* duplicates inside one batch, mixed with stored ones */
    struct vg_batch *b2 = vg_batch_new(64);
    for (int r = 0; r < 2; r++)
        for (int i = 95; i < 150; i++) {
            char raw[64];
            snprintf(raw, sizeof raw, "event %d", i);
            ev_new(b2, T0 + i * 1000, "h", raw);
        }
    put(f->s, b2, 50, 60);
    /* same 63-bit key, different id: stored through the collision table */
    struct vg_batch *b3 = vg_batch_new(4);
    struct vg_event *x = ev_new(b3, T0 + 5 * SEC, "h", "collide a");
    struct vg_event *y = ev_new(b3, T0 + 5 * SEC, "h", "collide b");
    memcpy(y->id, x->id, 8);
    y->id[15] ^= 0x55;
    put(f->s, b3, 2, 0);
    put(f->s, b3, 0, 2);
    uint64_t n;
    struct vg_query q = VG_QUERY_INIT;
    assert_int_equal(vg_query_parse(&q, "", NULL), 0);
    assert_int_equal(f->s->ops->count(f->s, &q, &n, NULL), 0);
    assert_int_equal(n, 152);
    vg_query_release(&q);
    /* same event in another tenant is a different event */
    struct vg_batch *b4 = vg_batch_new(4);
    struct vg_event *z = vg_batch_push(b4);
    z->tenant = "acme";
    z->ts = T0;
    assert_int_equal(vg_event_set_raw(z, "event 0", 7), 0);
    z->host = "h";
    vg_event_finish(z);
    put(f->s, b4, 1, 0);
    vg_batch_free(b);
    vg_batch_free(b2);
    vg_batch_free(b3);
    vg_batch_free(b4);
}

static void test_partitions(void **state)
{
    struct fx *f = *state;
    struct vg_batch *b = vg_batch_new(64);
    for (int d = 0; d < 3; d++)
        for (int i = 0; i < 10; i++) {
            char raw[64];
            snprintf(raw, sizeof raw, "day %d event %d", d, i);
            ev_new(b, T0 + d * DAY + i * SEC, "h", raw);
        }
    put(f->s, b, 30, 0);
    struct vg_store_stats st;
    assert_int_equal(f->s->ops->stats(f->s, NULL, &st, NULL), 0);
    assert_int_equal(st.partitions, 3);
    assert_int_equal(st.events, 30);
    struct collected c;
    uint64_t cnt;
    assert_int_equal(run_search(f->s, "", T0 + DAY, T0 + 2 * DAY, 100, false, NULL, &c, &cnt), 0);
    assert_int_equal(c.n, 10);
    assert_int_equal(cnt, 10);
    for (size_t i = 0; i < c.n; i++) assert_non_null(strstr(c.json[i], "day 1 event"));
    /* newest first across partitions */
    collected_free(&c);
    assert_int_equal(run_search(f->s, "event", 0, 0, 15, false, NULL, &c, &cnt), 0);
    assert_int_equal(c.n, 15);
    assert_int_equal(cnt, 30);
    for (size_t i = 1; i < c.n; i++) assert_true(c.ts[i - 1] > c.ts[i]);
    assert_int_equal(c.ts[0], T0 + 2 * DAY + 9 * SEC);
    collected_free(&c);
    /* negative and far-future timestamps are clamped to the edge partitions */
    struct vg_batch *b2 = vg_batch_new(4);
    ev_new(b2, -5 * SEC, "h", "before 1970");
    ev_new(b2, INT64_MAX - 1, "h", "end of time");
    put(f->s, b2, 2, 0);
    assert_int_equal(run_search(f->s, "before OR \"end of time\"", 0, 0, 10, true, NULL, &c, &cnt), 0);
    assert_int_equal(c.n, 2);
    assert_int_equal(c.ts[0], -5 * SEC);
    collected_free(&c);
    vg_batch_free(b);
    vg_batch_free(b2);
}

static void test_retention(void **state)
{
    struct fx *f = *state;
    struct vg_batch *b = vg_batch_new(64);
    for (int d = 0; d < 4; d++)
        for (int i = 0; i < 5 + d; i++) {
            char raw[64];
            snprintf(raw, sizeof raw, "day %d event %d", d, i);
            ev_new(b, T0 + d * DAY + i * SEC, "h", raw);
        }
    put(f->s, b, 5 + 6 + 7 + 8, 0);
    uint64_t dropped = 99;
    /* cutoff inside day 2: days 0 and 1 are wholly older, day 2 is kept */
    assert_int_equal(f->s->ops->retention(f->s, T0 + 2 * DAY + 2 * SEC, &dropped, NULL), 0);
    assert_int_equal(dropped, 5 + 6);
    struct vg_store_stats st;
    assert_int_equal(f->s->ops->stats(f->s, NULL, &st, NULL), 0);
    assert_int_equal(st.partitions, 2);
    assert_int_equal(st.events, 7 + 8);
    assert_int_equal(st.oldest, T0 + 2 * DAY);
    /* tables are gone */
    char db[400];
    snprintf(db, sizeof db, "%s/vigil.db", f->dir);
    sqlite3 *db3;
    assert_int_equal(sqlite3_open(db, &db3), SQLITE_OK);
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_prepare_v2(db3, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name GLOB 'p[0-9]*'", -1, &q, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(q, 0), 2 * 3);
    sqlite3_finalize(q);
    sqlite3_close(db3);
    /* nothing more to drop */
    assert_int_equal(f->s->ops->retention(f->s, T0 + 2 * DAY + 2 * SEC, &dropped, NULL), 0);
    assert_int_equal(dropped, 0);
    /* re-ingesting old events recreates their partition (ids went with it) */
    put(f->s, b, 11, 15);
    struct collected c;
    uint64_t cnt;
    assert_int_equal(run_search(f->s, "\"day 0\"", 0, 0, 100, false, NULL, &c, &cnt), 0);
    assert_int_equal(cnt, 5);
    collected_free(&c);
    vg_batch_free(b);
}

static void test_tokens(void **state)
{
    struct fx *f = *state;
    struct vg_store *s = f->s;
    char secret[128];
    struct vg_token_info ti;
    struct vg_err e = VG_ERR_INIT;
    assert_int_equal(s->ops->token_create(s, "admin", "admin", NULL, secret, sizeof secret, &ti, &e), 0);
    assert_int_equal(strlen(secret), 64);
    assert_memory_equal(secret, "vgt_", 4);
    assert_memory_equal(secret + 4, ti.id, 16);
    assert_int_equal(secret[20], '_');
    assert_string_equal(ti.role, "admin");
    assert_string_equal(ti.tenant, "default");
    struct vg_token_info chk;
    assert_int_equal(s->ops->token_check(s, secret, &chk, &e), 0);
    assert_string_equal(chk.name, "admin");
    assert_string_equal(chk.role, "admin");
    assert_true(chk.last_used > 0);
    /* wrong secret, malformed, unknown id */
    char bad[128];
    memcpy(bad, secret, sizeof bad);
    bad[40] = bad[40] == 'A' ? 'B' : 'A';
    assert_int_equal(s->ops->token_check(s, bad, NULL, &e), VG_EAUTH);
    assert_int_equal(s->ops->token_check(s, "vgt_short", NULL, &e), VG_EAUTH);
    assert_int_equal(s->ops->token_check(s, "", NULL, &e), VG_EAUTH);
    memcpy(bad, secret, sizeof bad);
    bad[5] = bad[5] == '0' ? '1' : '0';
    assert_int_equal(s->ops->token_check(s, bad, NULL, &e), VG_EAUTH);
    /* a second token, then revoke by name and by id */
    char s2[128];
    struct vg_token_info t2;
    assert_int_equal(s->ops->token_create(s, "soc analyst", "analyst", "acme", s2, sizeof s2, &t2, &e), 0);
    assert_int_equal(s->ops->token_create(s, "soc analyst", "viewer", NULL, bad, sizeof bad, NULL, &e), VG_EEXIST);
    assert_int_equal(s->ops->token_create(s, "x", "root", NULL, bad, sizeof bad, NULL, &e), VG_EINVAL);
    assert_non_null(strstr(e.msg, "admin, analyst, responder, viewer, ingest"));
    assert_int_equal(s->ops->token_create(s, "", "viewer", NULL, bad, sizeof bad, NULL, &e), VG_EINVAL);
    assert_int_equal(s->ops->token_create(s, "y", "viewer", "bad tenant!", bad, sizeof bad, NULL, &e), VG_EINVAL);
    assert_int_equal(s->ops->token_create(s, "y", "viewer", NULL, bad, 10, NULL, &e), VG_EINVAL);
    assert_int_equal(s->ops->token_check(s, s2, &chk, &e), 0);
    assert_string_equal(chk.tenant, "acme");
    assert_int_equal(s->ops->token_revoke(s, "soc analyst", &e), 0);
    assert_int_equal(s->ops->token_check(s, s2, NULL, &e), VG_EAUTH);
    assert_non_null(strstr(e.msg, "revoked"));
    assert_int_equal(s->ops->token_revoke(s, "soc analyst", &e), VG_ENOENT);
    assert_int_equal(s->ops->token_revoke(s, ti.id, &e), 0);
    assert_int_equal(s->ops->token_check(s, secret, NULL, &e), VG_EAUTH);
    /* the name is free again after revocation */
    assert_int_equal(s->ops->token_create(s, "soc analyst", "responder", NULL, s2, sizeof s2, NULL, &e), 0);
    struct vg_token_info *list = NULL;
    size_t n = 0;
    assert_int_equal(s->ops->token_list(s, &list, &n, &e), 0);
    assert_int_equal(n, 3);
    int revoked = 0;
    for (size_t i = 0; i < n; i++) revoked += list[i].revoked != 0;
    assert_int_equal(revoked, 2);
    vg_free(list);
    /* every role of include/vigil/roles.def is accepted, including the API's ingest role */
    static const char *const all_roles[] = {
#define VG_ROLE(up, name, desc) name,
#include "vigil/roles.def"
#undef VG_ROLE
    };
    for (size_t i = 0; i < VG_ARRAY_LEN(all_roles); i++) {
        char nm[32], sx[128];
        struct vg_token_info tr;
        snprintf(nm, sizeof nm, "role-%s", all_roles[i]);
        assert_int_equal(s->ops->token_create(s, nm, all_roles[i], NULL, sx, sizeof sx, &tr, &e), 0);
        assert_string_equal(tr.role, all_roles[i]);
        assert_int_equal(s->ops->token_revoke(s, nm, &e), 0);
    }
    /* the secret itself is not in the database file */
    char db[400];
    snprintf(db, sizeof db, "%s/vigil.db", f->dir);
    vg_store_close(f->s);
    f->s = NULL;
    FILE *fp = fopen(db, "rb");
    static char file[1 << 20];
    size_t fl = fread(file, 1, sizeof file, fp);
    fclose(fp);
    assert_null(memmem(file, fl, s2 + 21, 43));
    assert_int_equal(vg_store_open(&f->s, f->dir, &e), 0);
    assert_int_equal(f->s->ops->token_check(f->s, s2, NULL, &e), 0);
}

/* A database made before migration 004 keeps its tokens, and then accepts
 * the roles its CHECK constraint used to refuse (ingest). */
static void test_token_roles_upgrade(void **state)
{
    struct fx *f = *state;
    char sub[300], db[400];
    snprintf(sub, sizeof sub, "%s/old", f->dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    snprintf(db, sizeof db, "%s/vigil.db", sub);
    size_t nm;
    const struct vg__migration *m = vg__store_migrations(&nm);
    sqlite3 *db3;
    assert_int_equal(sqlite3_open(db, &db3), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db3, "CREATE TABLE schema_version(version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                                       "applied_ns INTEGER NOT NULL); INSERT INTO schema_version VALUES (1, 'init', 0)",
                                  NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db3, m[0].sql, NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db3, "INSERT INTO tokens(id, name, role, tenant, hash, created_ns) "
                                       "VALUES ('0123456789abcdef', 'old', 'analyst', 'acme', x'00', 1)",
                                  NULL, NULL, NULL), SQLITE_OK);
    assert_int_not_equal(sqlite3_exec(db3, "INSERT INTO tokens(id, name, role, tenant, hash, created_ns) "
                                           "VALUES ('0123456789abcdee', 'x', 'ingest', 'acme', x'00', 1)",
                                      NULL, NULL, NULL), SQLITE_OK); /* the old CHECK */
    sqlite3_close(db3);
    struct vg_store *s = NULL;
    struct vg_err e = VG_ERR_INIT;
    assert_int_equal(vg_store_open(&s, sub, &e), 0);
    struct vg_token_info *list = NULL;
    size_t n = 0;
    assert_int_equal(s->ops->token_list(s, &list, &n, &e), 0);
    assert_int_equal(n, 1);
    assert_string_equal(list[0].name, "old");
    assert_string_equal(list[0].role, "analyst");
    assert_string_equal(list[0].tenant, "acme");
    vg_free(list);
    char secret[128];
    assert_int_equal(s->ops->token_create(s, "shipper", "ingest", NULL, secret, sizeof secret, NULL, &e), 0);
    assert_int_equal(s->ops->token_create(s, "old", "viewer", NULL, secret, sizeof secret, NULL, &e), VG_EEXIST);
    vg_store_close(s);
}

static void test_kv(void **state)
{
    struct fx *f = *state;
    struct vg_store *s = f->s;
    char *v = (char *)1;
    struct vg_err e = VG_ERR_INIT;
    assert_int_equal(s->ops->kv_get(s, "tail:/var/log/auth.log", &v, &e), VG_ENOENT);
    assert_null(v);
    assert_int_equal(s->ops->kv_put(s, "tail:/var/log/auth.log", "12345", &e), 0);
    assert_int_equal(s->ops->kv_put(s, "tail:/var/log/auth.log", "67890", &e), 0);
    assert_int_equal(s->ops->kv_put(s, "'; DROP TABLE kv; --", "x'y", &e), 0);
    assert_int_equal(s->ops->kv_get(s, "tail:/var/log/auth.log", &v, &e), 0);
    assert_string_equal(v, "67890");
    vg_free(v);
    assert_int_equal(s->ops->kv_get(s, "'; DROP TABLE kv; --", &v, &e), 0);
    assert_string_equal(v, "x'y");
    vg_free(v);
    assert_int_equal(s->ops->kv_put(s, "", "x", &e), VG_EINVAL);
    assert_int_equal(s->ops->kv_get(s, NULL, &v, &e), VG_EINVAL);
}

static void test_hostile_values(void **state)
{
    struct fx *f = *state;
    struct vg_batch *b = vg_batch_new(4);
    const char raw[] = "bin\x00\x01\xff\xfe data";
    struct vg_event *ev = vg_batch_push(b);
    ev->ts = T0;
    assert_int_equal(vg_event_set_raw(ev, raw, sizeof raw - 1), 0);
    ev->host = "h\"\\";
    vg_event_finish(ev);
    add_s(ev, "weird name with spaces\"", VG_FF_SOURCE, "v");
    put(f->s, b, 1, 0);
    struct collected c;
    uint64_t cnt;
    assert_int_equal(run_search(f->s, "data", 0, 0, 10, false, NULL, &c, &cnt), 0);
    assert_int_equal(c.n, 1);
    assert_non_null(strstr(c.json[0], "\\ufffd"));
    collected_free(&c);
    /* queries with SQL metacharacters everywhere are data */
    const char *qs[] = {"\"; DROP TABLE partitions; --\"", "a'b:c'd", "x:\"') OR 1=1 --\"", "`x`:[y]", "%:_",
                        "vg_match:1", "\"*/ SELECT\"", "user.name:'; DELETE FROM tokens; --"};
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
        assert_int_equal(run_search(f->s, qs[i], 0, 0, 10, false, NULL, &c, &cnt), 0);
        assert_int_equal(c.n, 0);
        assert_int_equal(cnt, 0);
    }
    /* events that break the store limits are refused as a whole batch */
    struct vg_batch *b2 = vg_batch_new(4);
    ev = ev_new(b2, T0, "h", "ok");
    ev->tenant = "a-tenant-id-that-is-much-too-long-to-be-accepted-by-the-store-xxxxxxxxxxxx";
    const struct vg_event **p = ptrs(b2);
    size_t st, du;
    struct vg_err e = VG_ERR_INIT;
    assert_int_equal(vg_store_put_events(f->s, p, 1, &st, &du, &e), VG_EINVAL);
    assert_int_equal(st, 0);
    free(p);
    struct vg_store_stats ss;
    assert_int_equal(f->s->ops->stats(f->s, NULL, &ss, NULL), 0);
    assert_int_equal(ss.events, 1);
    vg_batch_free(b);
    vg_batch_free(b2);
}

static int cmp_desc(const void *a, const void *b)
{
    const struct vg_event *x = *(const struct vg_event *const *)a, *y = *(const struct vg_event *const *)b;
    if (x->ts != y->ts) return x->ts > y->ts ? -1 : 1;
    return -memcmp(x->id, y->id, 16);
}

static void test_limit_order(void **state)
{
    struct fx *f = *state;
    struct vg_batch *b = vg_batch_new(64);
    uint64_t r = 12345;
    for (int i = 0; i < 3000; i++) {
        r = r * 6364136223846793005ull + 1442695040888963407ull;
        char raw[64];
        snprintf(raw, sizeof raw, "ev %d kind%d", i, i % 7);
        int64_t ts = T0 + (int64_t)(r >> 33) % (2 * DAY);
        if (i % 10 == 0) ts = T0 + 1000; /* ties */
        ev_new(b, ts, "h", raw);
    }
    /* several transactions, out of order, so blocks overlap in time */
    const struct vg_event **p = ptrs(b);
    for (size_t off = 0; off < b->n; off += 700) {
        size_t n = b->n - off < 700 ? b->n - off : 700, st, du;
        assert_int_equal(vg_store_put_events(f->s, p + off, n, &st, &du, NULL), 0);
        assert_int_equal(st, n);
    }
    qsort(p, b->n, sizeof *p, cmp_desc);
    struct collected c;
    uint64_t cnt;
    assert_int_equal(run_search(f->s, "", 0, 0, 37, false, NULL, &c, &cnt), 0);
    assert_int_equal(c.n, 37);
    assert_int_equal(cnt, 3000);
    for (size_t i = 0; i < 37; i++) assert_memory_equal(c.id[i], p[i]->id, 16);
    collected_free(&c);
    assert_int_equal(run_search(f->s, "", 0, 0, 41, true, NULL, &c, &cnt), 0);
    assert_int_equal(c.n, 41);
    for (size_t i = 0; i < 41; i++) assert_memory_equal(c.id[i], p[b->n - 1 - i]->id, 16);
    collected_free(&c);
    /* selective query + limit */
    assert_int_equal(run_search(f->s, "kind3", 0, 0, 500, false, NULL, &c, &cnt), 0);
    size_t k = 0;
    for (size_t i = 0; i < b->n && k < c.n; i++)
        if (memmem(p[i]->raw, p[i]->raw_len, "kind3", 5)) { assert_memory_equal(c.id[k], p[i]->id, 16); k++; }
    assert_int_equal(k, c.n);
    assert_int_equal(cnt, c.n);
    collected_free(&c);
    /* default and capped limits */
    assert_int_equal(run_search(f->s, "", 0, 0, 0, false, NULL, &c, NULL), 0);
    assert_int_equal(c.n, VG_QUERY_DEFAULT_LIMIT);
    collected_free(&c);
    free(p);
    vg_batch_free(b);
}

static void test_tenant_scope(void **state)
{
    struct fx *f = *state;
    struct vg_batch *b = vg_batch_new(8);
    for (int i = 0; i < 6; i++) {
        struct vg_event *ev = vg_batch_push(b);
        ev->tenant = i % 3 == 0 ? "acme" : "default";
        ev->ts = T0 + i * SEC;
        ev->host = "h";
        assert_int_equal(vg_event_set_raw(ev, "same text", 9), 0);
        vg_event_finish(ev);
    }
    put(f->s, b, 6, 0);
    struct collected c;
    uint64_t cnt;
    assert_int_equal(run_search(f->s, "same", 0, 0, 100, false, "acme", &c, &cnt), 0);
    assert_int_equal(c.n, 2);
    assert_int_equal(cnt, 2);
    for (size_t i = 0; i < c.n; i++) assert_non_null(strstr(c.json[i], "\"tenant\":\"acme\""));
    collected_free(&c);
    assert_int_equal(run_search(f->s, "same", 0, 0, 100, false, NULL, &c, &cnt), 0);
    assert_int_equal(cnt, 4);
    collected_free(&c);
    assert_int_equal(run_search(f->s, "", 0, 0, 100, false, "nobody", &c, &cnt), 0);
    assert_int_equal(cnt, 0);
    collected_free(&c);
    struct vg_store_stats st;
    assert_int_equal(f->s->ops->stats(f->s, "acme", &st, NULL), 0);
    assert_int_equal(st.events, 2);
    assert_int_equal(st.oldest, T0);
    assert_int_equal(st.newest, T0 + 3 * SEC);
    vg_batch_free(b);
}

static void test_fault_injection(void **state)
{
    struct fx *f = *state;
    uint64_t expect = 0;
    int failures = 0;
    for (long k = 1; k < 400; k++) {
        struct vg_batch *b = vg_batch_new(64);
        for (int i = 0; i < 40; i++) {
            char raw[64];
            snprintf(raw, sizeof raw, "fault %ld event %d user=u%d", k, i, i % 5);
            struct vg_event *ev = ev_new(b, T0 + (k % 3) * DAY + i * SEC, "h", raw);
            add_s(ev, "user.name", VG_FF_ECS, i % 2 ? "alice" : "bob");
        }
        const struct vg_event **p = ptrs(b);
        size_t st = 0, du = 0;
        vg_alloc_fail_after(k);
        int rc = vg_store_put_events(f->s, p, b->n, &st, &du, NULL);
        vg_alloc_fail_after(0);
        if (rc == 0) { assert_int_equal(st, 40); expect += 40; }
        else { failures++; assert_int_equal(st, 0); }
        /* search under faults: errors are fine, crashes and leaks are not */
        struct vg_query q = VG_QUERY_INIT;
        assert_int_equal(vg_query_parse(&q, "user.name:alice fault", NULL), 0);
        struct collected c;
        memset(&c, 0, sizeof c);
        vg_alloc_fail_after(k / 2 + 1);
        (void)vg_store_search(f->s, &q, collect_cb, &c, NULL);
        uint64_t n;
        (void)f->s->ops->count(f->s, &q, &n, NULL);
        vg_alloc_fail_after(0);
        collected_free(&c);
        vg_query_release(&q);
        /* the store is consistent: exactly the committed batches are there */
        struct vg_query all = VG_QUERY_INIT;
        assert_int_equal(vg_query_parse(&all, "", NULL), 0);
        struct vg_err e = VG_ERR_INIT;
        if (f->s->ops->count(f->s, &all, &n, &e)) fail_msg("count after fault %ld: %s", k, e.msg);
        assert_int_equal(n, expect);
        vg_query_release(&all);
        free(p);
        vg_batch_free(b);
    }
    assert_true(failures > 10);
    /* opening under faults */
    for (long k = 1; k < 300; k += 3) {
        struct vg_store *s = NULL;
        vg_alloc_fail_after(k);
        int rc = vg_store_open(&s, f->dir, NULL);
        vg_alloc_fail_after(0);
        if (rc == 0) vg_store_close(s);
        else assert_null(s);
    }
    /* tokens and kv under faults */
    for (long k = 1; k < 60; k++) {
        char sec[128], name[32];
        snprintf(name, sizeof name, "t%ld", k);
        vg_alloc_fail_after(k);
        (void)f->s->ops->token_create(f->s, name, "viewer", NULL, sec, sizeof sec, NULL, NULL);
        (void)f->s->ops->kv_put(f->s, name, "v", NULL);
        vg_alloc_fail_after(0);
    }
    struct vg_store_stats ss;
    assert_int_equal(f->s->ops->stats(f->s, NULL, &ss, NULL), 0);
    assert_int_equal(ss.events, expect);
}

static void test_corrupt_block(void **state)
{
    (void)state;
    struct vg__blk_builder *bl;
    assert_int_equal(vg__blk_builder_new(&bl), 0);
    struct vg_batch *b = forms_batch();
    for (size_t i = 0; i < b->n; i++) assert_int_equal(vg__blk_add(bl, &b->ev[i]), 0);
    const uint8_t *data, *bloom;
    size_t dl, blen, rb;
    int64_t lo, hi;
    /* uncompressed (no cctx) so mutations reach the block parser */
    assert_int_equal(vg__blk_finish(bl, NULL, 0, &data, &dl, &bloom, &blen, &lo, &hi, &rb), 0);
    uint8_t *copy = malloc(dl);
    memcpy(copy, data, dl);
    struct vg__dblock d;
    memset(&d, 0, sizeof d);
    assert_int_equal(vg__blk_decode(&d, copy, dl, NULL), 0);
    assert_int_equal(d.nev, b->n);
    struct vg_buf j = VG_BUF_INIT, w = VG_BUF_INIT;
    assert_int_equal(vg__devent_json(&d.ev[3], "default", &j), 0);
    assert_int_equal(vg_event_to_json(&b->ev[3], &w), 0);
    assert_string_equal(j.data, w.data);
    vg_buf_release(&j);
    vg_buf_release(&w);
    int bad = 0;
    for (size_t i = 0; i < dl; i++) {
        for (int bit = 0; bit < 8; bit += 3) {
            memcpy(copy, data, dl);
            copy[i] ^= (uint8_t)(1u << bit);
            if (vg__blk_decode(&d, copy, dl, NULL) != 0) bad++;
            else
                for (uint32_t e = 0; e < d.nev; e++) { /* whatever decoded must be safe to print */
                    struct vg_buf o = VG_BUF_INIT;
                    assert_int_equal(vg__devent_json(&d.ev[e], "t", &o), 0);
                    vg_buf_release(&o);
                }
        }
    }
    for (size_t n = 0; n < dl; n++) assert_int_not_equal(vg__blk_decode(&d, data, n, NULL), 0);
    assert_true(bad > 0);
    vg__dblock_release(&d);
    free(copy);
    vg__blk_builder_free(bl);
    vg_batch_free(b);
}

static void test_bloom_pruning(void **state)
{
    (void)state;
    struct vg__blk_builder *bl;
    assert_int_equal(vg__blk_builder_new(&bl), 0);
    struct vg_batch *b = forms_batch();
    for (size_t i = 0; i < b->n; i++) assert_int_equal(vg__blk_add(bl, &b->ev[i]), 0);
    const uint8_t *data, *bloom;
    size_t dl, blen, rb;
    int64_t lo, hi;
    assert_int_equal(vg__blk_finish(bl, NULL, 0, &data, &dl, &bloom, &blen, &lo, &hi, &rb), 0);
    assert_true(blen <= 1 + 4096);
    uint64_t nh = vg__hash_ci("USER.name", 9, VG__NAME_SEED) | 1;
    assert_true(vg__bloom_test(bloom, blen, vg__key_value(nh, vg__hash_ci("ALICE", 5, VG__VALUE_SEED))));
    assert_true(vg__bloom_test(bloom, blen, vg__key_exists(nh)));
    int fp = 0;
    for (int i = 0; i < 1000; i++) {
        char v[32];
        snprintf(v, sizeof v, "nobody%d", i);
        fp += vg__bloom_test(bloom, blen, vg__key_value(nh, vg__hash_ci(v, strlen(v), VG__VALUE_SEED)));
    }
    assert_true(fp < 50); /* ~10 bits per key: about 1% false positives */
    assert_true(vg__bloom_test(NULL, 0, 1));
    vg__blk_builder_free(bl);
    vg_batch_free(b);
}

static void test_many_fields(void **state)
{
    struct fx *f = *state;
    struct vg_batch *b = vg_batch_new(4);
    struct vg_event *ev = ev_new(b, T0, "h", "many fields");
    for (int i = 0; i < 300; i++) {
        char n[32], v[32];
        snprintf(n, sizeof n, "EventData.F%d", i);
        snprintf(v, sizeof v, "value-%d", i);
        add_s(ev, n, VG_FF_SOURCE, v);
    }
    put(f->s, b, 1, 0);
    struct collected c;
    uint64_t cnt;
    assert_int_equal(run_search(f->s, "eventdata.f299:VALUE-299", 0, 0, 10, false, NULL, &c, &cnt), 0);
    assert_int_equal(c.n, 1);
    struct vg_buf want = VG_BUF_INIT;
    assert_int_equal(vg_event_to_json(ev, &want), 0);
    assert_string_equal(c.json[0], want.data);
    vg_buf_release(&want);
    collected_free(&c);
    vg_batch_free(b);
}

/* ---- prepare / put_prepared ------------------------------------------- */
static void fill(struct vg_batch *b, int from, int to, int64_t step)
{
    for (int i = from; i < to; i++) {
        char raw[96];
        snprintf(raw, sizeof raw, "prepared event %d user=u%d", i, i % 7);
        struct vg_event *ev = ev_new(b, T0 + i * step, "h", raw);
        add_s(ev, "user.name", VG_FF_ECS, i % 2 ? "alice" : "bob");
        add_i(ev, "process.pid", i);
    }
}

static struct vg_store_prepared *prep(struct vg_store *s, struct vg_batch *b)
{
    const struct vg_event **p = ptrs(b);
    struct vg_store_prepared *pp = NULL;
    struct vg_err e = VG_ERR_INIT;
    if (s->ops->prepare(s, p, b->n, &pp, &e)) fail_msg("prepare: %s", e.msg);
    free(p);
    assert_non_null(pp);
    return pp;
}

static void put_pp(struct vg_store *s, struct vg_store_prepared **pp, size_t np, size_t want_stored, size_t want_dups)
{
    size_t st = 99, du = 99;
    struct vg_err e = VG_ERR_INIT;
    if (s->ops->put_prepared(s, pp, np, &st, &du, &e)) fail_msg("put_prepared: %s", e.msg);
    assert_int_equal(st, want_stored);
    assert_int_equal(du, want_dups);
}

/* Every stored event is returned once and exactly as it was put. */
static void check_all_once(struct vg_store *s, struct vg_batch *const *src, size_t nsrc, size_t want)
{
    struct collected c;
    uint64_t cnt = 0;
    assert_int_equal(run_search(s, "", 0, 0, 512, true, NULL, &c, &cnt), 0);
    assert_int_equal(cnt, want);
    assert_int_equal(c.n, want);
    for (size_t i = 0; i < c.n; i++) {
        for (size_t k = 0; k < i; k++)
            if (memcmp(c.id[i], c.id[k], 16) == 0) fail_msg("event returned twice: %s", c.json[i]);
        bool found = false;
        for (size_t b = 0; b < nsrc && !found; b++)
            for (size_t j = 0; j < src[b]->n && !found; j++) {
                if (memcmp(src[b]->ev[j].id, c.id[i], 16)) continue;
                struct vg_buf js = VG_BUF_INIT;
                assert_int_equal(vg_event_to_json(&src[b]->ev[j], &js), 0);
                assert_string_equal(c.json[i], js.data);
                vg_buf_release(&js);
                found = true;
            }
        assert_true(found);
    }
    collected_free(&c);
    struct vg_store_stats st;
    assert_int_equal(s->ops->stats(s, NULL, &st, NULL), 0);
    assert_int_equal(st.events, want);
}

static void test_prepared_dups(void **state)
{
    struct fx *f = *state;
    assert_non_null(f->s->ops->prepare);
    struct vg_batch *a = vg_batch_new(64), *b = vg_batch_new(64), *c = vg_batch_new(64), *d = vg_batch_new(64);
    fill(a, 0, 100, SEC / 10);
    fill(b, 50, 150, SEC / 10);   /* 50 duplicates of a */
    fill(b, 120, 121, SEC / 10);  /* and one inside b */
    fill(c, 0, 30, SEC / 10);     /* all duplicates */
    fill(d, 140, 150, SEC / 10);  /* duplicates of b */
    fill(d, 150, 160, DAY / 20);  /* new, over two day partitions */
    struct vg_store_prepared *pa = prep(f->s, a), *pb = prep(f->s, b), *pc = prep(f->s, c), *pd = prep(f->s, d);
    struct vg_store_prepared *ab[] = {pa, pb};
    put_pp(f->s, ab, 2, 150, 51);
    /* committing the same objects again (as a retry would): all duplicates */
    put_pp(f->s, ab, 2, 0, 201);
    put_pp(f->s, &pc, 1, 0, 30);
    put_pp(f->s, &pd, 1, 10, 10);
    struct vg_batch *all[] = {a, b, c, d};
    check_all_once(f->s, all, 4, 160);
    /* put_events on the same events agrees */
    put(f->s, b, 0, 101);
    /* an empty prepared batch */
    struct vg_store_prepared *pe = NULL;
    assert_int_equal(f->s->ops->prepare(f->s, NULL, 0, &pe, NULL), 0);
    put_pp(f->s, &pe, 1, 0, 0);
    /* a prepared batch belongs to its store handle */
    struct vg_store *other = NULL;
    char sub[300];
    snprintf(sub, sizeof sub, "%s/other", f->dir);
    assert_int_equal(vg_store_open(&other, sub, NULL), 0);
    size_t st = 0, du = 0;
    struct vg_err e = VG_ERR_INIT;
    assert_int_equal(other->ops->put_prepared(other, &pa, 1, &st, &du, &e), VG_EINVAL);
    vg_store_close(other);
    /* invalid input fails in prepare, with nothing to free */
    struct vg_batch *bad = vg_batch_new(4);
    fill(bad, 0, 2, SEC);
    bad->ev[1].tenant = "";
    const struct vg_event **p = ptrs(bad);
    struct vg_store_prepared *pbad = (struct vg_store_prepared *)1;
    assert_int_equal(f->s->ops->prepare(f->s, p, bad->n, &pbad, &e), VG_EINVAL);
    assert_null(pbad);
    free(p);
    f->s->ops->prepared_free(NULL);
    struct vg_store_prepared *pall[] = {pa, pb, pc, pd, pe};
    for (size_t i = 0; i < VG_ARRAY_LEN(pall); i++) f->s->ops->prepared_free(pall[i]);
    check_all_once(f->s, all, 4, 160);
    vg_batch_free(a);
    vg_batch_free(b);
    vg_batch_free(c);
    vg_batch_free(d);
    vg_batch_free(bad);
}

struct prep_job {
    struct vg_store *s;
    struct vg_batch *b[8];
    struct vg_store_prepared *pp[8];
    int rc;
};

static void *prep_thread(void *arg)
{
    struct prep_job *j = arg;
    for (int i = 0; i < 8; i++) {
        const struct vg_event **p = ptrs(j->b[i]);
        if (j->s->ops->prepare(j->s, p, j->b[i]->n, &j->pp[i], NULL)) j->rc = -1;
        free(p);
    }
    return NULL;
}

/* prepare runs on many threads at once, also while the handle commits */
static void test_prepared_threads(void **state)
{
    struct fx *f = *state;
    struct prep_job jobs[4];
    pthread_t th[4];
    int next = 0;
    for (int t = 0; t < 4; t++) {
        jobs[t] = (struct prep_job){.s = f->s};
        for (int i = 0; i < 8; i++) {
            jobs[t].b[i] = vg_batch_new(16);
            /* every batch repeats 3 events of the one before it (of any thread) */
            fill(jobs[t].b[i], next > 3 ? next - 3 : 0, next + 12, SEC / 100);
            next += 12;
        }
    }
    /* something to commit while the threads prepare */
    struct vg_batch *warm = vg_batch_new(16);
    fill(warm, 0, 12, SEC / 100);
    for (int t = 0; t < 4; t++) assert_int_equal(pthread_create(&th[t], NULL, prep_thread, &jobs[t]), 0);
    put(f->s, warm, 12, 0);
    for (int t = 0; t < 4; t++) pthread_join(th[t], NULL);
    size_t stored = 0, dups = 0, total = 0;
    for (int t = 0; t < 4; t++) {
        assert_int_equal(jobs[t].rc, 0);
        size_t st, du;
        assert_int_equal(f->s->ops->put_prepared(f->s, jobs[t].pp, 8, &st, &du, NULL), 0);
        stored += st;
        dups += du;
        for (int i = 0; i < 8; i++) total += jobs[t].b[i]->n;
    }
    assert_int_equal(stored + dups, total);
    assert_int_equal(stored + 12, (size_t)next);
    struct vg_batch *srcs[33];
    size_t ns = 0;
    for (int t = 0; t < 4; t++)
        for (int i = 0; i < 8; i++) srcs[ns++] = jobs[t].b[i];
    srcs[ns++] = warm;
    check_all_once(f->s, srcs, ns, (size_t)next);
    for (int t = 0; t < 4; t++)
        for (int i = 0; i < 8; i++) {
            f->s->ops->prepared_free(jobs[t].pp[i]);
            vg_batch_free(jobs[t].b[i]);
        }
    vg_batch_free(warm);
}

/* Allocation failures in prepare and in put_prepared (including the
 * re-encoding of a block that holds duplicates): a failure stores nothing,
 * the same prepared objects commit fine afterwards, counts stay exact. */
static void test_prepared_faults(void **state)
{
    struct fx *f = *state;
    uint64_t expect = 0;
    int pfail = 0, cfail = 0;
    for (long k = 1; k < 300; k++) {
        struct vg_batch *b = vg_batch_new(64);
        /* 30 new events and the last 10 of the previous round again */
        fill(b, (int)(k * 30 - 10), (int)(k * 30 + 30), 30 * SEC); /* crosses day partitions now and then */
        const struct vg_event **p = ptrs(b);
        struct vg_store_prepared *pp = NULL;
        vg_alloc_fail_after(k / 3 + 1);
        int rc = f->s->ops->prepare(f->s, p, b->n, &pp, NULL);
        vg_alloc_fail_after(0);
        if (rc) {
            pfail++;
            assert_null(pp);
            assert_int_equal(f->s->ops->prepare(f->s, p, b->n, &pp, NULL), 0);
        }
        size_t st = 7, du = 7;
        vg_alloc_fail_after(k);
        rc = f->s->ops->put_prepared(f->s, &pp, 1, &st, &du, NULL);
        vg_alloc_fail_after(0);
        if (rc) {
            cfail++;
            assert_int_equal(st, 0);
            assert_int_equal(du, 0);
            struct vg_err e = VG_ERR_INIT;
            if (f->s->ops->put_prepared(f->s, &pp, 1, &st, &du, &e)) fail_msg("retry %ld: %s", k, e.msg);
        }
        /* k*30-10 .. k*30 were stored by the previous round (in the first round all are new) */
        size_t want_new = k == 1 ? 40 : 30;
        assert_int_equal(st, want_new);
        assert_int_equal(du, 40 - want_new);
        expect += st;
        uint64_t n;
        struct vg_query all = VG_QUERY_INIT;
        assert_int_equal(vg_query_parse(&all, "", NULL), 0);
        assert_int_equal(f->s->ops->count(f->s, &all, &n, NULL), 0);
        assert_int_equal(n, expect);
        vg_query_release(&all);
        f->s->ops->prepared_free(pp);
        free(p);
        vg_batch_free(b);
    }
    assert_true(pfail > 5);
    assert_true(cfail > 5);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(test_##name, setup, teardown)
        T(migrate), T(reopen_newer), T(migrations_match_sql), T(roundtrip), T(query_forms), T(idempotent),
        T(partitions), T(retention), T(tokens), T(kv), T(hostile_values), T(limit_order), T(tenant_scope),
        T(fault_injection), T(corrupt_block), T(bloom_pruning), T(many_fields), T(prepared_dups), T(prepared_threads),
        T(prepared_faults), T(token_roles_upgrade),
#undef T
    };
    if (argc > 1) {
        char filter[128];
        snprintf(filter, sizeof filter, "test_%s", argv[1]);
        cmocka_set_test_filter(filter);
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
