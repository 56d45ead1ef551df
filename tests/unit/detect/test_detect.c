/* Detect engine and alert records: stable alert ids, the JSON form (valid,
 * with author, tactics, matched fields, entities, origin), min_level,
 * reload swapping the set while other threads match (every event matched
 * by exactly one set, no event skipped), a failed reload keeping the old
 * set, and alerts in the SQLite store (staged into the event transaction,
 * idempotent by id, search filters, the query language, counts). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "vigil/detect.h"
#include "vigil/intel.h"
#include "vigil/store.h"
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmp[256];

static void write_file(const char *dir, const char *name, const char *text)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static const char rule_a[] =
    "title: Test Failed Login\n"
    "id: 11111111-1111-4111-8111-111111111111\n"
    "status: test\n"
    "author: Test Author\n"
    "description: test rule\n"
    "tags: [attack.credential_access, attack.t1110.001, attack.initial_access]\n"
    "logsource: {product: linux, service: sshd}\n"
    "detection:\n"
    "  sel: {event.outcome: failure, user.name: root}\n"
    "  condition: sel\n"
    "falsepositives: [typos]\n"
    "level: high\n";
static const char rule_b[] =
    "title: Test Any Event\n"
    "id: 22222222-2222-4222-8222-222222222222\n"
    "logsource: {product: test}\n"
    "detection:\n"
    "  sel: {user.name|exists: true}\n"
    "  condition: sel\n"
    "level: low\n";

static struct vg_batch *make_batch(size_t n, const char *user)
{
    struct vg_batch *b = vg_batch_new(n);
    for (size_t i = 0; i < n; i++) {
        struct vg_event *ev = vg_batch_push(b);
        ev->tenant = "acme";
        ev->ts = 1700000000000000000LL + (int64_t)i;
        ev->host = "10.0.0.5";
        ev->seq = i + 1;
        char raw[64];
        int len = snprintf(raw, sizeof raw, "event %zu", i);
        vg_event_set_raw(ev, raw, (size_t)len);
        vg_event_add_str_copy(ev, VG_FID_EVENT_OUTCOME, VG_FF_ECS, "failure", 7);
        vg_event_add_str_copy(ev, VG_FID_USER_NAME, VG_FF_ECS, user, strlen(user));
        vg_event_add_ip(ev, VG_FID_SOURCE_IP, VG_FF_ECS, "203.0.113.7", 11);
        vg_event_add_str_copy(ev, VG_FID_HOST_NAME, VG_FF_ECS, "web1", 4);
        vg_event_finish(ev);
    }
    return b;
}

static int setup(void **st)
{
    (void)st;
    snprintf(tmp, sizeof tmp, "/tmp/vg_detect_test_%d", (int)getpid());
    mkdir(tmp, 0700);
    char d[300];
    snprintf(d, sizeof d, "%s/rules", tmp);
    mkdir(d, 0700);
    write_file(d, "a.yml", rule_a);
    snprintf(d, sizeof d, "%s/extra", tmp);
    mkdir(d, 0700);
    snprintf(d, sizeof d, "%s/rules/mappings", tmp); /* skipped as rules: holds a non-rule */
    mkdir(d, 0700);
    write_file(d, "m.yml", "fields: {}\nlogsources: []\n");
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
    return system(cmd) == 0 ? 0 : -1;
}

static struct vg_detect *engine(int min_level)
{
    char pack[300], extra[300];
    snprintf(pack, sizeof pack, "%s/rules", tmp);
    snprintf(extra, sizeof extra, "%s/extra", tmp);
    const char *rules[] = {extra};
    struct vg_detect_opts o = {.pack = pack, .rules = rules, .nrules = 1, .min_level = min_level};
    struct vg_detect *d = NULL;
    struct vg_sigma_report rep = VG_SIGMA_REPORT_INIT;
    struct vg_err err = VG_ERR_INIT;
    assert_int_equal(vg_detect_new(&d, &o, &rep, NULL, &err), 0);
    assert_int_equal(rep.rejected, 0); /* mappings/ was not loaded as rules */
    vg_sigma_report_release(&rep);
    return d;
}

static void test_alert_record(void **st)
{
    (void)st;
    struct vg_detect *d = engine(0);
    struct vg_batch *b = make_batch(2, "root");
    assert_int_equal(vg_detect_run(d, b, "auth.log", true), 2);
    assert_int_equal(b->nalerts, 2);
    struct vg_alert *a = b->alerts;
    assert_string_equal(a->rule_id, "11111111-1111-4111-8111-111111111111");
    assert_string_equal(a->author, "Test Author");
    assert_string_equal(a->tenant, "acme");
    assert_int_equal(a->level, VG_ALERT_HIGH);
    assert_int_equal(a->tactics.n, 2);
    assert_string_equal(a->techniques.v[0], "T1110.001");
    assert_int_equal(a->ts, b->ev[0].ts);
    assert_memory_equal(a->event_id, b->ev[0].id, 16);
    uint8_t id[16];
    vg_alert_make_id("acme", a->rule_id, b->ev[0].id, id);
    assert_memory_equal(a->id, id, 16);
    assert_memory_not_equal(a->id, a->next->id, 16);
    /* the same event processed again: same alert id */
    struct vg_batch *b2 = make_batch(1, "root");
    assert_int_equal(vg_detect_run(d, b2, NULL, false), 1);
    assert_memory_equal(b2->alerts->id, a->id, 16);
    /* JSON */
    json_error_t je;
    json_t *j = json_loadb(a->json, a->json_len, 0, &je);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "author")), "Test Author");
    assert_string_equal(json_string_value(json_object_get(j, "level")), "high");
    assert_string_equal(json_string_value(json_object_get(j, "status")), "open");
    assert_string_equal(json_string_value(json_array_get(json_object_get(j, "tactics"), 0)), "credential_access");
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "matched"), "user.name")), "root");
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "matched"), "event.outcome")), "failure");
    assert_string_equal(json_string_value(json_object_get(j, "source.ip")), "203.0.113.7");
    assert_string_equal(json_string_value(json_object_get(j, "host.name")), "web1");
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "origin"), "file")), "auth.log");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "origin"), "line")), 1);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "rule"), "status")), "test");
    json_decref(j);
    /* not matching */
    struct vg_batch *b3 = make_batch(3, "alice");
    assert_int_equal(vg_detect_run(d, b3, NULL, false), 0);
    assert_null(b3->alerts);
    vg_batch_free(b);
    vg_batch_free(b2);
    vg_batch_free(b3);
    vg_detect_free(d);
}

static void test_min_level(void **st)
{
    (void)st;
    struct vg_detect *d = engine(VG_ALERT_CRITICAL);
    struct vg_batch *b = make_batch(3, "root");
    assert_int_equal(vg_detect_run(d, b, NULL, false), 0);
    struct vg_detect_stats s;
    vg_detect_stats(d, &s);
    assert_int_equal(s.below_min, 3);
    vg_batch_free(b);
    vg_detect_free(d);
}

/* ---- threat intel ---------------------------------------------------------- */
static struct vg_intel_set *intel_set(const char *ip, const char *id)
{
    struct vg_intel_builder *ib = vg_intel_builder_new();
    assert_non_null(ib);
    struct vg_intel_indicator meta = {.id = id, .name = "test c2", .feed = "unit.txt", .pattern = "ip",
                                      .confidence = 90, .valid_from = INT64_MIN, .valid_until = INT64_MAX};
    assert_int_equal(vg_intel_add(ib, VG_INTEL_IP, ip, strlen(ip), &meta), 0);
    struct vg_err err = VG_ERR_INIT;
    struct vg_intel_set *s = vg_intel_build(ib, &err);
    assert_non_null(s);
    return s;
}

static int count_intel(struct vg_batch *b, const char *rule_id)
{
    int k = 0;
    for (struct vg_alert *a = b->alerts; a; a = a->next) k += strcmp(a->rule_id, rule_id) == 0;
    return k;
}

/* No set: no intel alerts; a set: one alert per event carrying the address,
 * alongside the Sigma alerts; a swapped set replaces it; NULL clears it;
 * counters follow. */
static void test_intel(void **st)
{
    (void)st;
    struct vg_detect *d = engine(0);
    struct vg_batch *b = make_batch(4, "root"); /* every event has source.ip 203.0.113.7 */
    int sigma = vg_detect_run(d, b, NULL, false);
    assert_true(sigma >= 4);
    assert_int_equal(count_intel(b, "intel:ind-1"), 0);
    vg_batch_free(b);

    vg_detect_intel_put(d, intel_set("203.0.113.0/24", "ind-1"));
    b = make_batch(4, "root");
    assert_int_equal(vg_detect_run(d, b, NULL, false), sigma + 4);
    assert_int_equal(count_intel(b, "intel:ind-1"), 4);
    for (struct vg_alert *a = b->alerts; a; a = a->next)
        if (strcmp(a->rule_id, "intel:ind-1") == 0) assert_int_equal(a->level, VG_ALERT_HIGH); /* confidence 90 */
    vg_batch_free(b);

    vg_detect_intel_put(d, intel_set("198.51.100.1", "ind-2")); /* swap: the old set no longer matches */
    b = make_batch(2, "root");
    assert_int_equal(vg_detect_run(d, b, NULL, false), sigma / 2);
    assert_int_equal(count_intel(b, "intel:ind-1") + count_intel(b, "intel:ind-2"), 0);
    vg_batch_free(b);

    vg_detect_intel_put(d, intel_set("203.0.113.7", "ind-3"));
    vg_detect_intel_failed(d);
    struct vg_detect_stats s;
    vg_detect_stats(d, &s);
    assert_int_equal(s.intel_hits, 4);
    assert_int_equal(s.intel_alerts, 4);
    assert_int_equal(s.intel_loads, 3);
    assert_int_equal(s.intel_load_failures, 1);
    assert_int_equal(s.intel_indicators, 1);
    struct vg_buf m = VG_BUF_INIT;
    assert_int_equal(vg_detect_metrics(d, &m), 0);
    assert_non_null(strstr(m.data, "vigil_intel_hits_total 4\n"));
    assert_non_null(strstr(m.data, "vigil_intel_indicators 1\n"));
    vg_buf_release(&m);

    vg_detect_intel_put(d, NULL); /* cleared */
    b = make_batch(1, "root");
    vg_detect_run(d, b, NULL, false);
    assert_int_equal(count_intel(b, "intel:ind-3"), 0);
    vg_batch_free(b);
    vg_detect_free(d);
}

/* ---- reload while matching -------------------------------------------- */
struct worker {
    struct vg_detect *d;
    atomic_bool *stop;
    long batches, events, hits_a, hits_b;
};

static void *work(void *arg)
{
    struct worker *w = arg;
    while (!atomic_load(w->stop)) {
        struct vg_batch *b = make_batch(50, "root");
        int n = vg_detect_run(w->d, b, NULL, false);
        if (n < 0) { vg_batch_free(b); break; }
        w->batches++;
        w->events += (long)b->n;
        for (struct vg_alert *a = b->alerts; a; a = a->next) {
            if (a->rule_id[0] == '1') w->hits_a++;
            else w->hits_b++;
        }
        vg_batch_free(b);
    }
    return NULL;
}

static void test_reload_under_load(void **st)
{
    (void)st;
    struct vg_detect *d = engine(0);
    atomic_bool stop = false;
    struct worker w[3];
    pthread_t th[3];
    for (int i = 0; i < 3; i++) {
        w[i] = (struct worker){d, &stop, 0, 0, 0, 0};
        assert_int_equal(pthread_create(&th[i], NULL, work, &w[i]), 0);
    }
    char extra[300];
    snprintf(extra, sizeof extra, "%s/extra", tmp);
    double worst = 0;
    for (int r = 0; r < 20; r++) {
        if (r == 10) write_file(extra, "b.yml", rule_b); /* the second half adds a rule */
        struct vg_detect_load_info li;
        struct vg_err err = VG_ERR_INIT;
        int64_t t0 = vg_mono_ns();
        assert_int_equal(vg_detect_reload(d, NULL, &li, &err), 0);
        double ms = (double)(vg_mono_ns() - t0) / 1e6;
        if (ms > worst) worst = ms;
        assert_int_equal(li.loaded, r >= 10 ? 2 : 1);
        assert_int_equal(li.generation, (uint64_t)r + 2);
        usleep(2000);
    }
    atomic_store(&stop, true);
    long events = 0, ha = 0, hb = 0;
    for (int i = 0; i < 3; i++) {
        pthread_join(th[i], NULL);
        events += w[i].events;
        ha += w[i].hits_a;
        hb += w[i].hits_b;
    }
    printf("reload under load: 20 reloads (worst %.1f ms), %ld events matched, rule A %ld hits, rule B %ld hits\n", worst,
           events, ha, hb);
    /* rule A is in every set: every event matched exactly once by it */
    assert_int_equal(ha, events);
    assert_true(hb > 0 && hb <= events);
    struct vg_detect_stats s;
    vg_detect_stats(d, &s);
    assert_int_equal(s.reloads, 20);
    assert_int_equal(s.errors, 0);
    /* a failed reload keeps the current set */
    char bad[300];
    snprintf(bad, sizeof bad, "%s/extra/b.yml", tmp);
    assert_int_equal(chmod(bad, 0), 0);
    struct vg_err err = VG_ERR_INIT;
    int rc = vg_detect_reload(d, NULL, NULL, &err);
    chmod(bad, 0600);
    if (geteuid() != 0) { /* root reads anything */
        assert_int_not_equal(rc, 0);
        vg_detect_stats(d, &s);
        assert_int_equal(s.reload_failures, 1);
    }
    assert_int_equal(vg_detect_rule_count(d), 2);
    struct vg_buf m = VG_BUF_INIT;
    assert_int_equal(vg_detect_metrics(d, &m), 0);
    assert_non_null(strstr(m.data, "vigil_alerts_total{level=\"high\"}"));
    assert_non_null(strstr(m.data, "vigil_rules_loaded 2"));
    vg_buf_release(&m);
    unlink(bad);
    vg_detect_free(d);
}

/* ---- store ---------------------------------------------------------------- */
static int collect_cb(void *ctx, const struct vg_stored_alert *a)
{
    long *n = ctx;
    (*n)++;
    assert_non_null(a->json);
    return 0;
}

static long search(struct vg_store *s, const char *qtext, int min_level, const char *rule, const char *tenant)
{
    struct vg_query q = VG_QUERY_INIT;
    struct vg_err err = VG_ERR_INIT;
    assert_int_equal(vg_query_parse(&q, qtext, &err), 0);
    struct vg_alert_query aq = {.tenant = tenant, .min_level = min_level, .rule = rule, .where = q.root, .limit = 1000};
    long n = 0;
    int rc = s->ops->alert_search(s, &aq, collect_cb, &n, &err);
    if (rc) printf("search '%s': %s\n", qtext, err.msg);
    assert_int_equal(rc, 0);
    vg_query_release(&q);
    return n;
}

static void test_store(void **st)
{
    (void)st;
    char data[300];
    snprintf(data, sizeof data, "%s/data", tmp);
    struct vg_store *s = NULL;
    struct vg_err err = VG_ERR_INIT;
    assert_int_equal(vg_store_open(&s, data, &err), 0);
    /* one row per alert: repeat aggregation is tested in tests/unit/respond */
    assert_int_equal(s->ops->alerts_set_window(s, -1), 0);
    char extra[300];
    snprintf(extra, sizeof extra, "%s/extra", tmp);
    write_file(extra, "b.yml", rule_b);
    struct vg_detect *d = engine(0);
    struct vg_batch *b = make_batch(10, "root");
    assert_int_equal(vg_detect_run(d, b, NULL, false), 20); /* rules A and B */
    const struct vg_event *evs[10];
    const struct vg_alert *al[32];
    size_t na = 0;
    for (size_t i = 0; i < b->n; i++) evs[i] = &b->ev[i];
    for (struct vg_alert *a = b->alerts; a; a = a->next) al[na++] = a;
    /* staged alerts commit with the events */
    assert_int_equal(s->ops->alerts_stage(s, al, na, &err), 0);
    size_t stored = 0, dups = 0;
    assert_int_equal(vg_store_put_events(s, evs, b->n, &stored, &dups, &err), 0);
    assert_int_equal(s->ops->alerts_stage(s, NULL, 0, &err), 0);
    assert_int_equal(stored, 10);
    assert_int_equal(search(s, "", 0, NULL, "acme"), 20);
    /* idempotent: the same alerts again, staged and stand-alone */
    assert_int_equal(s->ops->alerts_stage(s, al, na, &err), 0);
    assert_int_equal(vg_store_put_events(s, evs, b->n, &stored, &dups, &err), 0);
    assert_int_equal(s->ops->alerts_stage(s, NULL, 0, &err), 0);
    assert_int_equal(dups, 10);
    assert_int_equal(s->ops->put_alerts(s, al, na, &stored, &err), 0);
    assert_int_equal(stored, 0);
    assert_int_equal(search(s, "", 0, NULL, "acme"), 20);
    /* tenant scope */
    assert_int_equal(search(s, "", 0, NULL, "other"), 0);
    assert_int_equal(search(s, "", 0, NULL, NULL), 0);
    /* filters */
    assert_int_equal(search(s, "", VG_ALERT_HIGH, NULL, "acme"), 10);
    assert_int_equal(search(s, "", 0, "22222222-2222-4222-8222-222222222222", "acme"), 10);
    assert_int_equal(search(s, "level:high", 0, NULL, "acme"), 10);
    assert_int_equal(search(s, "tactic:credential_access", 0, NULL, "acme"), 10);
    assert_int_equal(search(s, "technique:T1110*", 0, NULL, "acme"), 10);
    assert_int_equal(search(s, "author:\"Test Author\"", 0, NULL, "acme"), 10);
    assert_int_equal(search(s, "matched.user.name:root", 0, NULL, "acme"), 20);
    assert_int_equal(search(s, "source.ip:203.0.113.0/24 AND NOT level:low", 0, NULL, "acme"), 10);
    assert_int_equal(search(s, "user.name:alice", 0, NULL, "acme"), 0);
    assert_int_equal(search(s, "\"Failed Login\"", 0, NULL, "acme"), 10);
    assert_int_equal(search(s, "host.name:web*", 0, NULL, "acme"), 20);
    /* time bounds */
    struct vg_alert_query aq = {.tenant = "acme", .since = 1700000000000000005LL, .limit = 100};
    long n = 0;
    assert_int_equal(s->ops->alert_search(s, &aq, collect_cb, &n, &err), 0);
    assert_int_equal(n, 10);
    uint64_t counts[VG_ALERT_NLEVELS];
    aq.since = 0;
    assert_int_equal(s->ops->alert_counts(s, &aq, counts, &err), 0);
    assert_int_equal(counts[VG_ALERT_HIGH], 10);
    assert_int_equal(counts[VG_ALERT_LOW], 10);
    assert_int_equal(counts[VG_ALERT_CRITICAL], 0);
    /* a field name that cannot be expressed is a clean error */
    struct vg_query q = VG_QUERY_INIT;
    assert_int_equal(vg_query_parse(&q, "tenant:x", &err), 0);
    aq.where = q.root;
    assert_int_equal(s->ops->alert_search(s, &aq, collect_cb, &n, &err), VG_EINVAL);
    vg_query_release(&q);
    char bfile[400];
    snprintf(bfile, sizeof bfile, "%s/b.yml", extra);
    unlink(bfile);
    vg_batch_free(b);
    vg_detect_free(d);
    vg_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alert_record),
        cmocka_unit_test(test_min_level),
        cmocka_unit_test(test_intel),
        cmocka_unit_test(test_reload_under_load),
        cmocka_unit_test(test_store),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
