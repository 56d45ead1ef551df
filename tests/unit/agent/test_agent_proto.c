/* Unit tests for the agent frame codec (src/core/agent_proto.c): round
 * trips, split input, limits, malformed headers and payloads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "vigil/agent_proto.h"

static void test_roundtrip(void **st)
{
    (void)st;
    struct vg_buf b = VG_BUF_INIT, p = VG_BUF_INIT;
    assert_int_equal(vg_ap_kv_add(&p, "token", "abc", 3), 0);
    assert_int_equal(vg_ap_kv_add(&p, "empty", "", 0), 0);
    assert_int_equal(vg_ap_encode(&b, VG_AP_ENROLL, 42, p.data, p.len), 0);
    size_t start = vg_ap_begin(&b, VG_AP_LOG, 43);
    assert_true(start != (size_t)-1);
    assert_int_equal(vg_ap_rec_add(&b, 123456789, "/var/log/x", 10, "line one", 8), 0);
    assert_int_equal(vg_ap_rec_add(&b, -1, "", 0, "", 0), 0);
    assert_int_equal(vg_ap_end(&b, start), 0);
    /* feed byte by byte: nothing until complete */
    struct vg_ap_frame f;
    size_t used;
    for (size_t n = 0; n < 13 + p.len; n++) assert_int_equal(vg_ap_decode((uint8_t *)b.data, n, &f, &used, NULL), VG_EAGAIN);
    assert_int_equal(vg_ap_decode((uint8_t *)b.data, b.len, &f, &used, NULL), 0);
    assert_int_equal(f.type, VG_AP_ENROLL);
    assert_int_equal(f.seq, 42);
    assert_int_equal(used, 13 + p.len);
    char tok[8];
    assert_int_equal(vg_ap_kv_str(f.payload, f.len, "token", tok, sizeof tok), 0);
    assert_string_equal(tok, "abc");
    assert_int_equal(vg_ap_kv_str(f.payload, f.len, "empty", tok, sizeof tok), 0);
    assert_string_equal(tok, "");
    assert_int_equal(vg_ap_kv_str(f.payload, f.len, "token", tok, 3), VG_ETOOBIG);
    assert_int_equal(vg_ap_kv_str(f.payload, f.len, "missing", tok, sizeof tok), VG_ENOENT);
    size_t used2;
    assert_int_equal(vg_ap_decode((uint8_t *)b.data + used, b.len - used, &f, &used2, NULL), 0);
    assert_int_equal(f.type, VG_AP_LOG);
    assert_int_equal(f.seq, 43);
    assert_int_equal(used + used2, b.len);
    size_t off = 0;
    struct vg_ap_rec r;
    assert_int_equal(vg_ap_rec_next(f.payload, f.len, &off, &r), 1);
    assert_int_equal(r.ts, 123456789);
    assert_memory_equal(r.src, "/var/log/x", 10);
    assert_int_equal(r.len, 8);
    assert_int_equal(vg_ap_rec_next(f.payload, f.len, &off, &r), 1);
    assert_int_equal(r.ts, -1);
    assert_int_equal(r.len, 0);
    assert_int_equal(vg_ap_rec_next(f.payload, f.len, &off, &r), 0);
    /* every truncation of the record list is an error, never a read past the end */
    for (size_t n = 1; n < f.len; n++) {
        uint8_t *cp = malloc(n);
        memcpy(cp, f.payload, n);
        off = 0;
        int rc;
        while ((rc = vg_ap_rec_next(cp, n, &off, &r)) == 1) {}
        if (n != 32) assert_int_equal(rc, VG_EPARSE); /* 32 = exactly the first record */
        free(cp);
    }
    vg_buf_release(&b);
    vg_buf_release(&p);
}

static void test_limits(void **st)
{
    (void)st;
    struct vg_ap_frame f;
    size_t used;
    struct vg_err e = VG_ERR_INIT;
    uint8_t big[13] = {0x00, 0x40, 0x00, 0x01, VG_AP_LOG};  /* 4 MiB + 1 */
    assert_int_equal(vg_ap_decode(big, 4, &f, &used, &e), VG_ETOOBIG);
    assert_non_null(strstr(e.msg, "exceeds"));
    uint8_t small[13] = {0, 0, 0, 8, VG_AP_LOG};
    assert_int_equal(vg_ap_decode(small, sizeof small, &f, &used, &e), VG_EPARSE);
    uint8_t badtype[13] = {0, 0, 0, 9, 99};
    assert_int_equal(vg_ap_decode(badtype, sizeof badtype, &f, &used, &e), VG_EPARSE);
    uint8_t zero[13] = {0, 0, 0, 9, 0};
    assert_int_equal(vg_ap_decode(zero, sizeof zero, &f, &used, &e), VG_EPARSE);
    uint8_t ok[13] = {0, 0, 0, 9, VG_AP_HEARTBEAT, 0, 0, 0, 0, 0, 0, 0, 7};
    assert_int_equal(vg_ap_decode(ok, sizeof ok, &f, &used, &e), 0);
    assert_int_equal(f.seq, 7);
    assert_int_equal(f.len, 0);
    /* too large to encode */
    struct vg_buf b = VG_BUF_INIT;
    size_t s = vg_ap_begin(&b, VG_AP_LOG, 1);
    char *chunk = calloc(1, VG_AP_MAX_FRAME);
    assert_int_equal(vg_buf_add(&b, chunk, VG_AP_MAX_FRAME), 0);
    assert_int_equal(vg_ap_end(&b, s), VG_ETOOBIG);
    assert_int_equal(b.len, 0);
    free(chunk);
    vg_buf_release(&b);
    /* malformed kv: key length beyond the payload */
    uint8_t kv[] = {0, 200, 'a'};
    const uint8_t *v;
    size_t vl;
    assert_int_equal(vg_ap_kv_get(kv, sizeof kv, "a", &v, &vl), VG_EPARSE);
    uint8_t kvnul[] = {0, 1, 'k', 0, 0, 0, 2, 'a', 0};
    char out[8];
    assert_int_equal(vg_ap_kv_str(kvnul, sizeof kvnul, "k", out, sizeof out), VG_EPARSE);
    assert_string_equal(vg_ap_type_name(VG_AP_ACK), "ACK");
    assert_string_equal(vg_ap_type_name(200), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_roundtrip), cmocka_unit_test(test_limits)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
