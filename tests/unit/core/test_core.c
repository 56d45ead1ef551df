/* Unit tests for src/core: errors, buffers, arenas, time, interning, events. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "vigil/event.h"

static void test_strerror(void **st)
{
    (void)st;
    assert_string_equal(vg_strerror(VG_ENOMEM), "out of memory");
    assert_string_equal(vg_strerror(12345), "unknown error");
    struct vg_err e = VG_ERR_INIT;
    assert_int_equal(vg_err_set(&e, VG_EPARSE, "bad %d", 7), VG_EPARSE);
    assert_string_equal(e.msg, "bad 7");
}

static void test_buf_cap_and_json(void **st)
{
    (void)st;
    struct vg_buf b = VG_BUF_INIT;
    b.cap_limit = 8;
    assert_int_equal(vg_buf_adds(&b, "12345678"), 0);
    assert_int_equal(vg_buf_addc(&b, 'x'), VG_ETOOBIG);
    vg_buf_release(&b);
    struct vg_buf j = VG_BUF_INIT;
    assert_int_equal(vg_buf_add_json_str(&j, "a\"b\\\n\x01\xff", 7), 0);
    assert_string_equal(j.data, "\"a\\\"b\\\\\\n\\u0001\\ufffd\"");
    vg_buf_release(&j);
}

static void test_arena(void **st)
{
    (void)st;
    struct vg_arena a;
    vg_arena_init(&a, 64);
    for (int i = 0; i < 100; i++) {
        char *p = vg_arena_alloc(&a, 40);
        assert_non_null(p);
        assert_int_equal(((uintptr_t)p) & 15, 0);
    }
    char *big = vg_arena_alloc(&a, 10000);
    assert_non_null(big);
    vg_arena_reset(&a);
    assert_int_equal(a.total, 0);
    a.cap = 100;
    assert_null(vg_arena_alloc(&a, 200));
    vg_arena_release(&a);
}

static void test_time(void **st)
{
    (void)st;
    int64_t ns;
    assert_int_equal(vg_time_parse_iso("2024-02-29T12:34:56.5Z", 22, &ns), 0);
    assert_int_equal(ns, 1709210096500000000LL);
    assert_int_equal(vg_time_parse_iso("2024-02-29T14:34:56.5+02:00", 27, &ns), 0);
    assert_int_equal(ns, 1709210096500000000LL);
    assert_int_equal(vg_time_parse_iso("2024-13-01T00:00:00Z", 20, &ns), VG_EPARSE);
    assert_int_equal(vg_time_parse_iso("garbage", 7, &ns), VG_EPARSE);
    char buf[48];
    vg_time_format(1709210096500000000LL, buf, sizeof buf, 3);
    assert_string_equal(buf, "2024-02-29T12:34:56.500Z");
    struct vg_tm tm;
    vg_time_to_tm(0, &tm);
    assert_int_equal(tm.year, 1970);
    assert_int_equal(tm.wday, 4);
    int64_t d;
    assert_int_equal(vg_duration_parse("1h30m", &d), 0);
    assert_int_equal(d, 5400LL * 1000000000LL);
    assert_int_equal(vg_duration_parse("5x", &d), VG_EPARSE);
}

static void test_parse_int(void **st)
{
    (void)st;
    int64_t v;
    assert_int_equal(vg_parse_i64("-42", 3, &v), 0);
    assert_int_equal(v, -42);
    assert_int_equal(vg_parse_i64("99999999999999999999", 20, &v), VG_EPARSE);
    assert_int_equal(vg_parse_i64("12a", 3, &v), VG_EPARSE);
    assert_int_equal(vg_parse_i64("", 0, &v), VG_EPARSE);
}

static void test_diag_parse(void **st)
{
    (void)st;
    char msg[32];
    int line = -1, col = -1;
    const char *d = "rule.yml:12:7: error: invalid indentation\n";
    assert_true(vg_diag_parse_error(d, strlen(d), msg, sizeof msg, &line, &col));
    assert_string_equal(msg, "invalid indentation");
    assert_int_equal(line, 12);
    assert_int_equal(col, 7);
    const char *huge = "x:99999999999:3: error: m";
    assert_true(vg_diag_parse_error(huge, strlen(huge), msg, sizeof msg, &line, &col));
    assert_int_equal(line, 0); /* out of range: unknown, not truncated */
    assert_int_equal(col, 3);
    line = col = -1;
    const char *w = "rule.yml:1:1: warning: something";
    assert_false(vg_diag_parse_error(w, strlen(w), msg, sizeof msg, &line, &col));
    assert_int_equal(line, -1);
}

static void test_intern(void **st)
{
    (void)st;
    assert_int_equal(vg_fid("source.ip", 9), VG_FID_SOURCE_IP);
    uint32_t a = vg_fid("Custom.Field", 12);
    assert_int_equal(vg_fid("Custom.Field", 12), a);
    assert_int_not_equal(vg_fid("custom.field", 12), a);
    size_t l;
    assert_string_equal(vg_fid_name(a, &l), "Custom.Field");
    assert_int_equal(vg_fid_lookup("never.seen", 10), UINT32_MAX);
    assert_int_equal(vg_fid("", 0), UINT32_MAX);
}

static void test_event(void **st)
{
    (void)st;
    struct vg_batch *b = vg_batch_new(1);
    struct vg_event *ev = vg_batch_push(b);
    assert_int_equal(vg_event_set_raw(ev, "hello", 5), 0);
    ev->ts = 1000;
    assert_int_equal(vg_event_add_ip(ev, VG_FID_SOURCE_IP, VG_FF_ECS, "10.1.2.3", 8), 0);
    assert_int_equal(vg_event_add_ip(ev, VG_FID_DESTINATION_IP, VG_FF_ECS, "not-ip", 6), 0);
    assert_int_equal(vg_event_add_int(ev, VG_FID_PROCESS_PID, VG_FF_ECS, 42), 0);
    assert_int_equal(vg_event_get(ev, VG_FID_SOURCE_IP)->v.type, VG_V_IP);
    assert_int_equal(vg_event_get(ev, VG_FID_DESTINATION_IP)->v.type, VG_V_STR);
    vg_event_finish(ev);
    uint8_t id1[16];
    memcpy(id1, ev->id, 16);
    struct vg_event *ev2 = vg_batch_push(b);
    ev = &b->ev[0];
    vg_event_set_raw(ev2, "hello", 5);
    ev2->ts = 1000;
    vg_event_finish(ev2);
    assert_memory_equal(id1, ev2->id, 16);
    ev2->ts = 1001;
    vg_event_finish(ev2);
    assert_memory_not_equal(id1, ev2->id, 16);
    struct vg_buf j = VG_BUF_INIT;
    assert_int_equal(vg_event_to_json(ev, &j), 0);
    assert_non_null(strstr(j.data, "\"source.ip\":\"10.1.2.3\""));
    assert_non_null(strstr(j.data, "\"process.pid\":42"));
    vg_buf_release(&j);
    vg_batch_free(b);
}

static void test_alloc_fail(void **st)
{
    (void)st;
    vg_alloc_fail_after(1);
    assert_null(vg_malloc(10));
    void *p = vg_malloc(10);
    assert_non_null(p);
    vg_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strerror), cmocka_unit_test(test_buf_cap_and_json),
        cmocka_unit_test(test_arena),    cmocka_unit_test(test_time),
        cmocka_unit_test(test_parse_int), cmocka_unit_test(test_intern), cmocka_unit_test(test_diag_parse),
        cmocka_unit_test(test_event),    cmocka_unit_test(test_alloc_fail),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
