/* Unit tests of the pure parts of incidents and risk (src/respond/risk.c,
 * docs/internals/incidents.md): the entity risk formula and criticality
 * modifier, priority order, the weak-entity rule, entity extraction from
 * an alert record, suppression matching with expiry, and the batch fold of
 * repeated alerts (vg_alert_aggregate). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include "vigil/respond.h"
#include "respond/internal.h"

static void test_risk_formula(void **st)
{
    (void)st;
    int one[] = {100};
    assert_true(fabs(vg_risk_score(one, 1) - 100.0 / 2.612375348685488) < 1e-6);
    int none[1] = {0};
    assert_true(vg_risk_score(none, 0) == 0);
    /* sorted high to low, i-th divided by i^1.5: order of input does not matter */
    int a[] = {21, 73, 47}, b[] = {73, 47, 21};
    double ra = vg_risk_score(a, 3), rb = vg_risk_score(b, 3);
    double want = 100.0 * (73 + 47 / pow(2, 1.5) + 21 / pow(3, 1.5)) / 261.2375348685488;
    assert_true(fabs(ra - want) < 1e-6 && fabs(rb - want) < 1e-6);
    /* many low alerts never exceed the highest single score */
    int many[2000];
    for (int i = 0; i < 2000; i++) many[i] = 21;
    double rm = vg_risk_score(many, 2000);
    assert_true(rm < 21.0 && rm > 20.0);
    /* more alerts, more risk */
    int two[] = {47, 47};
    int four[] = {47, 47, 47, 47};
    assert_true(vg_risk_score(four, 4) > vg_risk_score(two, 2));
    /* out-of-range scores are clamped */
    int wild[] = {1000, -5};
    assert_true(vg_risk_score(wild, 2) <= 100.0 / 2.612375348685488 + 1e-9);
    /* criticality: a Bayesian update that stays in 0..100 */
    assert_true(vg_risk_crit_modifier("low") == 0.5 && vg_risk_crit_modifier("critical") == 2.0);
    assert_true(vg_risk_crit_modifier(NULL) == 1.0 && vg_risk_crit_modifier("bogus") == 1.0);
    assert_true(fabs(vg_risk_apply_modifier(40, 1.0) - 40) < 1e-9);
    assert_true(fabs(vg_risk_apply_modifier(50, 2.0) - 100.0 * 2.0 / 3.0) < 1e-9);
    assert_true(vg_risk_apply_modifier(40, 1.5) > 40 && vg_risk_apply_modifier(40, 0.5) < 40);
    assert_true(vg_risk_apply_modifier(100, 2.0) <= 100 && vg_risk_apply_modifier(0, 2.0) == 0);
    /* eight medium alerts on a critical host pass the default threshold (50), on a normal one they do not */
    int eight[8];
    for (int i = 0; i < 8; i++) eight[i] = 47;
    double r8 = vg_risk_score(eight, 8);
    assert_true(r8 < 50 && vg_risk_apply_modifier(r8, 2.0) >= 50);
}

static void test_priority_order(void **st)
{
    (void)st;
    /* severity, risk, breadth and confidence all raise priority */
    double base = vg_incident_priority(VG_ALERT_MEDIUM, 30, 1, 0.5, "");
    assert_true(vg_incident_priority(VG_ALERT_HIGH, 30, 1, 0.5, "") > base);
    assert_true(vg_incident_priority(VG_ALERT_MEDIUM, 60, 1, 0.5, "") > base);
    assert_true(vg_incident_priority(VG_ALERT_MEDIUM, 30, 4, 0.5, "") > base);
    assert_true(vg_incident_priority(VG_ALERT_MEDIUM, 30, 1, 0.9, "") > base);
    /* criticality raises or lowers it */
    assert_true(vg_incident_priority(VG_ALERT_MEDIUM, 30, 1, 0.5, "critical") > vg_incident_priority(VG_ALERT_MEDIUM, 30, 1, 0.5, "high"));
    assert_true(vg_incident_priority(VG_ALERT_MEDIUM, 30, 1, 0.5, "low") < base);
    /* a multi-stage attack beats a single high alert; everything stays within 0..100 */
    double attack = vg_incident_priority(VG_ALERT_HIGH, 47, 6, 0.95, "");
    double single = vg_incident_priority(VG_ALERT_HIGH, 28, 1, 0.5, "");
    double noise = vg_incident_priority(VG_ALERT_MEDIUM, 20, 2, 0.9, "");
    assert_true(attack > single && single > noise);
    assert_true(vg_incident_priority(VG_ALERT_CRITICAL, 100, 14, 1, "critical") == 100);
    assert_true(vg_incident_priority(-3, -5, 0, -1, NULL) >= 0);
    /* the exact formula */
    double p = vg_incident_priority(VG_ALERT_HIGH, 50, 3, 0.5, "high");
    double want = 100.0 * (0.45 * 3 / 4 + 0.35 * 0.5 + 0.20 * 3 / 5) * (0.6 + 0.4 * 0.5) * 1.2;
    assert_true(fabs(p - (want > 100 ? 100 : want)) < 1e-9);
}

static void test_weak_entities(void **st)
{
    (void)st;
    static const char *const weak[] = {"user:root", "user:ROOT", "user:nobody", "user:-", "user:unknown", "host:localhost",
                                       "host:LOCALHOST.localdomain", "host:127.0.0.1", "ip:127.0.0.1", "ip:127.8.9.10",
                                       "ip:::1", "ip:::", "ip:0.0.0.0", "ip:169.254.1.1", "ip:fe80::1", "ip:224.0.0.251",
                                       "ip:255.255.255.255", "proc:/bin/bash", "user:", "nocolon", NULL};
    for (int i = 0; weak[i]; i++) {
        if (!vg_entity_static_weak(weak[i])) fail_msg("%s should be weak", weak[i]);
        assert_int_equal(vg_entity_strength(weak[i], 0, 50), VG_ENTITY_WEAK_STATIC);
    }
    static const char *const strong[] = {"user:deploy", "user:rootkit", "host:web-01", "ip:203.0.113.9", "ip:10.1.2.3",
                                         "ip:2001:db8::1", "proc:/tmp/.x/miner", "hash:abcdef", NULL};
    for (int i = 0; strong[i]; i++) {
        if (vg_entity_static_weak(strong[i])) fail_msg("%s should not be weak", strong[i]);
        assert_int_equal(vg_entity_strength(strong[i], 10, 50), VG_ENTITY_STRONG);
    }
    /* hubs: above the alert count in 24 h; private addresses at half of it */
    assert_int_equal(vg_entity_strength("host:bastion", 50, 50), VG_ENTITY_STRONG);
    assert_int_equal(vg_entity_strength("host:bastion", 51, 50), VG_ENTITY_WEAK_HUB);
    assert_int_equal(vg_entity_strength("ip:203.0.113.9", 40, 50), VG_ENTITY_STRONG);
    assert_int_equal(vg_entity_strength("ip:10.1.2.3", 26, 50), VG_ENTITY_WEAK_HUB);
    assert_int_equal(vg_entity_strength("ip:10.1.2.3", 25, 50), VG_ENTITY_STRONG);
    assert_true(vg_ip_is_private("192.168.1.1") && vg_ip_is_private("172.31.0.1") && vg_ip_is_private("100.64.0.1") &&
                vg_ip_is_private("fd00::1"));
    assert_true(!vg_ip_is_private("172.32.0.1") && !vg_ip_is_private("8.8.8.8") && !vg_ip_is_private("not an ip"));
}

static void test_entities_of_alert(void **st)
{
    (void)st;
    const char *json = "{\"matched\":{\"process.executable\":\"/tmp/x\",\"file.hash.sha256\":\"ABCD\",\"user.name\":\"z\"}}";
    struct vg_inc_alert a = {.host = "Web-01", .user = "Bob", .source_ip = "203.0.113.9", .json = json, .json_len = strlen(json)};
    char e[8][VG_INC_ENTITY_MAX];
    size_t n = vg_alert_entities(&a, e, 8);
    assert_int_equal(n, 5);
    assert_string_equal(e[0], "host:web-01"); /* hosts compare case-insensitively */
    assert_string_equal(e[1], "user:Bob");
    assert_string_equal(e[2], "ip:203.0.113.9");
    assert_string_equal(e[3], "proc:/tmp/x");
    assert_string_equal(e[4], "hash:abcd");
    /* bounded, hostile input ignored */
    struct vg_inc_alert b = {.host = "a\x01b", .user = NULL, .source_ip = "", .json = "{not json", .json_len = 9};
    assert_int_equal(vg_alert_entities(&b, e, 8), 0);
    assert_int_equal(vg_alert_entities(&a, e, 2), 2);
}

static void test_suppression_match(void **st)
{
    (void)st;
    struct vg_suppression sp[2];
    memset(sp, 0, sizeof sp);
    snprintf(sp[0].rule_id, sizeof sp[0].rule_id, "r1");
    snprintf(sp[0].entity, sizeof sp[0].entity, "host:web1");
    sp[0].created_ns = 1000;
    sp[0].expires_ns = 2000;
    snprintf(sp[1].rule_id, sizeof sp[1].rule_id, "*");
    snprintf(sp[1].entity, sizeof sp[1].entity, "ip:198.51.100.9");
    sp[1].created_ns = 1000;
    sp[1].expires_ns = 5000;
    char ents[2][VG_INC_ENTITY_MAX] = {"host:web1", "user:bob"};
    assert_true(vg__rsp_suppressed(sp, 2, "r1", 1500, ents, 2));
    assert_false(vg__rsp_suppressed(sp, 2, "r1", 2000, ents, 2));   /* expired */
    assert_false(vg__rsp_suppressed(sp, 2, "r2", 1500, ents, 2));   /* other rule */
    char other[1][VG_INC_ENTITY_MAX] = {"host:web2"};
    assert_false(vg__rsp_suppressed(sp, 2, "r1", 1500, other, 1)); /* other entity */
    char ip[1][VG_INC_ENTITY_MAX] = {"ip:198.51.100.9"};
    assert_true(vg__rsp_suppressed(sp, 2, "anything", 4999, ip, 1)); /* every rule for that address */
    assert_false(vg__rsp_suppressed(sp, 2, "anything", 5000, ip, 1));
    assert_false(vg__rsp_suppressed(NULL, 0, "r1", 1500, ents, 2));
}

/* vg_alert_aggregate: repeats in one batch fold into the first alert. */
static void test_batch_fold(void **st)
{
    (void)st;
    struct vg_batch *b = vg_batch_new(8);
    static const char *const rules[] = {"r1", "r1", "r2", "r1", "r1", "r1"};
    static const char *const users[] = {"bob", "bob", "bob", "eve", "bob", NULL};
    struct vg_alert **tail = &b->alerts;
    for (int i = 0; i < 6; i++) {
        struct vg_event *ev = vg_batch_push(b);
        ev->ts = 1000 + (6 - i) * 10; /* out of order */
        struct vg_alert *a = vg_arena_alloc(&b->arena, sizeof *a);
        memset(a, 0, sizeof *a);
        a->tenant = "t";
        a->rule_id = rules[i];
        a->user_name = users[i];
        a->host_name = "h";
        a->ts = ev->ts;
        *tail = a;
        tail = &a->next;
        b->nalerts++;
    }
    for (size_t i = 0; i < b->n; i++) { /* ev pointers are stable once the batch is filled */
        size_t k = 0;
        for (struct vg_alert *a = b->alerts; a; a = a->next, k++)
            if (k == i) a->ev = &b->ev[i];
    }
    assert_int_equal(vg_alert_aggregate(b), 2);
    assert_int_equal(b->nalerts, 4);
    struct vg_alert *a = b->alerts;
    assert_string_equal(a->rule_id, "r1");
    assert_int_equal(a->nmembers, 3); /* events 0, 1, 4 */
    assert_ptr_equal(a->members[0], &b->ev[0]);
    assert_ptr_equal(a->members[2], &b->ev[4]);
    assert_int_equal(a->first_seen, 1000 + 2 * 10);
    assert_int_equal(a->last_seen, 1000 + 6 * 10);
    a = a->next;
    assert_string_equal(a->rule_id, "r2");
    assert_null(a->members);
    a = a->next;
    assert_string_equal(a->user_name, "eve");
    a = a->next;
    assert_null(a->user_name); /* NULL entity is its own key */
    assert_null(a->next);
    assert_int_equal(vg_alert_aggregate(b), 0);
    vg_batch_free(b);
}

/* Two alerts of one rule on one event (an IoC found in two fields of the
 * event) fold into one alert whose event is counted once; a third alert of
 * the rule on another event is a second member. */
static void test_batch_fold_same_event(void **st)
{
    (void)st;
    struct vg_batch *b = vg_batch_new(4);
    struct vg_event *e0 = vg_batch_push(b), *e1 = vg_batch_push(b);
    e0->ts = 100;
    e1->ts = 200;
    const struct vg_event *evs[] = {e0, e0, e1};
    struct vg_alert **tail = &b->alerts;
    for (int i = 0; i < 3; i++) {
        struct vg_alert *a = vg_arena_alloc(&b->arena, sizeof *a);
        memset(a, 0, sizeof *a);
        a->tenant = "t";
        a->rule_id = "intel:x";
        a->host_name = "h";
        a->source_ip = "203.0.113.9";
        a->ev = evs[i];
        a->ts = evs[i]->ts;
        *tail = a;
        tail = &a->next;
        b->nalerts++;
    }
    assert_int_equal(vg_alert_aggregate(b), 2);
    assert_int_equal(b->nalerts, 1);
    assert_int_equal(b->alerts->nmembers, 2);
    assert_ptr_equal(b->alerts->members[0], e0);
    assert_ptr_equal(b->alerts->members[1], e1);
    assert_null(b->alerts->next);
    vg_batch_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_risk_formula), cmocka_unit_test(test_batch_fold_same_event),     cmocka_unit_test(test_priority_order),
        cmocka_unit_test(test_weak_entities),    cmocka_unit_test(test_entities_of_alert),
        cmocka_unit_test(test_suppression_match), cmocka_unit_test(test_batch_fold),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
