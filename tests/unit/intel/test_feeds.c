/* The threat-intel feed registry (src/detect/intel/feeds.c): names and
 * locations, the registry document (round trip, every kind of damage
 * refused), save/load in a data directory, the cached copies loaded into a
 * builder in each feed's format (disabled feeds and feeds without a copy
 * skipped). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <unistd.h>
#include "vigil/intel_feeds.h"

static void names_and_locations(void **st)
{
    (void)st;
    assert_true(vg_intel_feed_name_ok("apt1"));
    assert_true(vg_intel_feed_name_ok("abuse.ch-feodo_v2"));
    const char *bad[] = {"", ".hidden", "../x", "a/b", "a b", "é", "x\n"};
    for (size_t i = 0; i < VG_ARRAY_LEN(bad); i++) assert_false(vg_intel_feed_name_ok(bad[i]));
    char longname[80];
    memset(longname, 'a', 65);
    longname[65] = 0;
    assert_false(vg_intel_feed_name_ok(longname));
    longname[64] = 0;
    assert_true(vg_intel_feed_name_ok(longname));

    struct vg_intel_feed f;
    struct vg_err err = VG_ERR_INIT;
    assert_int_equal(vg_intel_feed_init(&f, "a", "https://feeds.example/x.json", VG_INTEL_FMT_STIX, 3600000000000LL, &err), 0);
    assert_string_equal(f.status, "pending");
    assert_true(f.enabled);
    assert_int_equal(vg_intel_feed_init(&f, "a", "/srv/x.txt", VG_INTEL_FMT_CSV, 0, &err), 0);
    assert_int_equal(vg_intel_feed_init(&f, "a", "x.txt", VG_INTEL_FMT_CSV, 0, &err), VG_EINVAL);
    assert_int_equal(vg_intel_feed_init(&f, "a", "http://u:p@h/x", 0, 0, &err), VG_EINVAL);
    assert_non_null(strstr(err.msg, "credentials"));
    assert_int_equal(vg_intel_feed_init(&f, "a", "http:///x", 0, 0, &err), VG_EINVAL);
    assert_int_equal(vg_intel_feed_init(&f, "a", "http://h/a b", 0, 0, &err), VG_EINVAL);
    assert_int_equal(vg_intel_feed_init(&f, "a", "/x", 9, 0, &err), VG_EINVAL);
    assert_int_equal(vg_intel_feed_init(&f, "a", "/x", 0, 5, &err), VG_EINVAL); /* 5 ns */
    assert_int_equal(vg_intel_format_parse("warninglist"), VG_INTEL_FMT_WARNINGLIST);
    assert_int_equal(vg_intel_format_parse("text"), VG_INTEL_FMT_CSV);
    assert_int_equal(vg_intel_format_parse("xml"), -1);
}

static void document_round_trip(void **st)
{
    (void)st;
    struct vg_intel_feed in[2];
    struct vg_err err = VG_ERR_INIT;
    assert_int_equal(vg_intel_feed_init(&in[0], "one", "http://127.0.0.1:1/a.json", VG_INTEL_FMT_MISP, 60000000000LL, &err), 0);
    assert_int_equal(vg_intel_feed_init(&in[1], "two", "/srv/wl/list.json", VG_INTEL_FMT_WARNINGLIST, 0, &err), 0);
    in[1].enabled = false;
    snprintf(in[0].etag, sizeof in[0].etag, "\"x\\\"y\"");
    snprintf(in[0].status, sizeof in[0].status, "error");
    snprintf(in[0].error, sizeof in[0].error, "HTTP 500 \"quoted\"\nline");
    in[0].indicators = 12;
    in[0].last_fetch = 1700000000123000000LL;
    struct vg_buf b = VG_BUF_INIT;
    assert_int_equal(vg_intel_feeds_format(in, 2, &b), 0);
    struct vg_intel_feed *out;
    size_t n;
    assert_int_equal(vg_intel_feeds_parse(b.data, b.len, &out, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(out[0].location, in[0].location);
    assert_string_equal(out[0].etag, in[0].etag);
    assert_string_equal(out[0].error, in[0].error);
    assert_string_equal(out[0].status, "error");
    assert_int_equal(out[0].refresh_ns, 60000000000LL);
    assert_int_equal(out[0].indicators, 12);
    assert_int_equal(out[0].last_fetch, in[0].last_fetch);
    assert_int_equal(out[1].format, VG_INTEL_FMT_WARNINGLIST);
    assert_false(out[1].enabled);
    vg_free(out);
    vg_buf_release(&b);
}

static void damaged_documents(void **st)
{
    (void)st;
    static const char *bad[] = {
        "",
        "[]",
        "{\"version\":2,\"feeds\":[]}",
        "{\"version\":1}",
        "{\"version\":1,\"feeds\":[1]}",
        "{\"version\":1,\"feeds\":[{\"name\":\"a\"}]}",
        "{\"version\":1,\"feeds\":[{\"name\":\"a\",\"location\":\"/x\"},{\"name\":\"a\",\"location\":\"/y\"}]}",
        "{\"version\":1,\"feeds\":[{\"name\":\"a/b\",\"location\":\"/x\"}]}",
        "{\"version\":1,\"feeds\":[{\"name\":\"a\",\"location\":\"/x\",\"format\":\"xml\"}]}",
        "{\"version\":1,\"feeds\":[{\"name\":\"a\",\"location\":\"/x\",\"refresh_s\":-5}]}",
        "{\"version\":1,\"feeds\":[{\"name\":\"a\",\"location\":\"/x\",\"refresh_s\":99999999}]}",
        "{\"version\":1,\"feeds\":[{\"name\":\"a\",\"location\":\"/x\",\"enabled\":\"yes\"}]}",
        "{\"version\":1,\"feeds\":[{\"name\":\"a\",\"location\":\"/x\",\"added\":\"never\"}]}",
        "{\"version\":1,\"feeds\":[{\"name\":\"a\",\"location\":\"/x\",\"status\":\"odd\"}]}",
        "{\"version\":1,\"feeds\":[{\"name\":\"a\",\"location\":\"/x\",\"etag\":\"a\\u0001\"}]}",
        "{\"version\":1,\"feeds\":[{\"name\":\"a\",\"location\":\"/x\",\"bytes\":-1}]}",
        "{\"version\":1,\"feeds\":[{\"name\":\"a\\u0000b\",\"location\":\"/x\"}]}",
        "{\"version\":1,\"version\":1,\"feeds\":[]}",
    };
    for (size_t i = 0; i < VG_ARRAY_LEN(bad); i++) {
        struct vg_intel_feed *out = (void *)1;
        size_t n = 7;
        struct vg_err err = VG_ERR_INIT;
        int rc = vg_intel_feeds_parse(bad[i], strlen(bad[i]), &out, &n, &err);
        if (rc == 0) fail_msg("document %zu accepted: %s", i, bad[i]);
        assert_null(out);
        assert_int_equal(n, 0);
        assert_true(err.msg[0] != 0);
    }
    /* more than the cap */
    struct vg_buf b = VG_BUF_INIT;
    vg_buf_adds(&b, "{\"version\":1,\"feeds\":[");
    for (int i = 0; i <= VG_INTEL_FEEDS_MAX; i++) vg_buf_addf(&b, "%s{\"name\":\"f%d\",\"location\":\"/x\"}", i ? "," : "", i);
    vg_buf_adds(&b, "]}");
    struct vg_intel_feed *out;
    size_t n;
    struct vg_err err = VG_ERR_INIT;
    assert_int_equal(vg_intel_feeds_parse(b.data, b.len, &out, &n, &err), VG_ETOOBIG);
    vg_buf_release(&b);
}

static void write_file(const char *path, const char *s)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(s, f);
    fclose(f);
}

static void save_load_cached(void **st)
{
    (void)st;
    char dir[] = "/tmp/vg_feeds_XXXXXX";
    assert_non_null(mkdtemp(dir));
    struct vg_intel_feed *got;
    size_t n;
    struct vg_err err = VG_ERR_INIT;
    assert_int_equal(vg_intel_feeds_load(dir, &got, &n, &err), 0); /* missing = empty */
    assert_int_equal(n, 0);
    struct vg_intel_feed f[4];
    assert_int_equal(vg_intel_feed_init(&f[0], "stix", "/x.json", VG_INTEL_FMT_STIX, 0, &err), 0);
    assert_int_equal(vg_intel_feed_init(&f[1], "text", "/x.txt", VG_INTEL_FMT_CSV, 0, &err), 0);
    assert_int_equal(vg_intel_feed_init(&f[2], "off", "/y.txt", VG_INTEL_FMT_CSV, 0, &err), 0);
    assert_int_equal(vg_intel_feed_init(&f[3], "nocopy", "/z.txt", VG_INTEL_FMT_CSV, 0, &err), 0);
    f[2].enabled = false;
    assert_int_equal(vg_intel_feeds_save(dir, f, 4, &err), 0);
    assert_int_equal(vg_intel_feeds_load(dir, &got, &n, &err), 0);
    assert_int_equal(n, 4);
    assert_false(got[2].enabled);
    const char *stix = "{\"type\":\"bundle\",\"objects\":[{\"type\":\"indicator\",\"id\":\"indicator--1\","
                       "\"pattern_type\":\"stix\",\"pattern\":\"[ipv4-addr:value = '198.51.100.7']\"}]}";
    assert_int_equal(vg_intel_feed_cache_write(dir, "stix", stix, strlen(stix), &err), 0);
    assert_int_equal(vg_intel_feed_cache_write(dir, "text", "203.0.113.9\nevil.example\n", 25, &err), 0);
    assert_int_equal(vg_intel_feed_cache_write(dir, "off", "192.0.2.1\n", 10, &err), 0);
    struct vg_intel_builder *b = vg_intel_builder_new();
    struct vg_intel_report rep = VG_INTEL_REPORT_INIT;
    assert_int_equal(vg_intel_feeds_load_cached(b, dir, got, n, &rep), 2);
    assert_int_equal(rep.accepted, 3);
    struct vg_intel_set *s = vg_intel_build(b, &err);
    assert_non_null(s);
    struct vg_intel_hit h[4];
    assert_int_equal(vg_intel_check_value(s, "198.51.100.7", 12, INT64_MIN, h, 4, NULL), 1);
    assert_string_equal(h[0].ind->feed, "stix");
    assert_int_equal(vg_intel_check_value(s, "a.evil.example", 14, INT64_MIN, h, 4, NULL), 1);
    assert_string_equal(h[0].ind->feed, "text");
    assert_int_equal(vg_intel_check_value(s, "192.0.2.1", 9, INT64_MIN, h, 4, NULL), 0); /* disabled */
    assert_int_equal(vg_intel_lookup(s, "198.51.100.7", 12, h, 4), 1);
    vg_intel_set_unref(s);
    vg_intel_report_release(&rep);
    /* a STIX document read as a text list yields rejections, not indicators */
    b = vg_intel_builder_new();
    assert_int_equal(vg_intel_load_format(b, "x", VG_INTEL_FMT_CSV, stix, strlen(stix), &rep), 0);
    assert_int_equal(rep.accepted, 0);
    assert_true(rep.rejected > 0);
    vg_intel_builder_free(b);
    vg_intel_report_release(&rep);
    /* a damaged registry file is an error, not an empty registry */
    char p[256];
    snprintf(p, sizeof p, "%s/intel/feeds.json", dir);
    write_file(p, "{\"version\":1,\"feeds\":[{]}");
    vg_free(got);
    assert_int_equal(vg_intel_feeds_load(dir, &got, &n, &err), VG_EPARSE);
    assert_null(got);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names_and_locations), cmocka_unit_test(document_round_trip),
        cmocka_unit_test(damaged_documents), cmocka_unit_test(save_load_cached),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
