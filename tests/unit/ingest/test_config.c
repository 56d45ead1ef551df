/* Unit tests for the configuration parser (src/core/config.c): defaults,
 * a full file, repeated keys, comments, and errors that name the line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <unistd.h>
#include "vigil/config.h"

static char *write_tmp(const char *text)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/vg_cfg_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static void test_defaults(void **st)
{
    (void)st;
    struct vg_config c;
    vg_config_init(&c, "/d");
    assert_string_equal(c.data, "/d");
    assert_string_equal(c.http, "127.0.0.1:8080");
    assert_string_equal(c.syslog_udp, "127.0.0.1:5514");
    assert_string_equal(c.syslog_tcp, "127.0.0.1:5514");
    assert_true(vg_config_off(c.syslog_tls));
    assert_int_equal(c.max_frame, 65536);
    vg_config_release(&c);
}

static void test_file(void **st)
{
    (void)st;
    const char *path = write_tmp(
        "# Vigil\n[server]\ndata = /var/lib/vigil   # trailing comment\nhttp=127.0.0.1:0\nworkers = 3\n"
        "log_level = debug\n\n[syslog]\ntls = 127.0.0.1:6514\ntls_cert = /etc/c#1.pem\nmax_frame = 1024\n"
        "[files]\ntail = /var/log/a.log\ntail = /var/log/b.log\nstart_at = end\npoll = 500ms\n"
        "[pipeline]\nqueue_batches = 8\nbatch_delay = 5ms\ncommit_max_events = 1000\n");
    struct vg_config c;
    vg_config_init(&c, "./data");
    struct vg_err e = VG_ERR_INIT;
    assert_int_equal(vg_config_load(&c, path, &e), 0);
    assert_string_equal(c.data, "/var/lib/vigil");
    assert_string_equal(c.http, "127.0.0.1:0");
    assert_int_equal(c.workers, 3);
    assert_int_equal(c.log_level, VG_LOG_DEBUG);
    assert_string_equal(c.syslog_tls, "127.0.0.1:6514");
    assert_string_equal(c.tls_cert, "/etc/c#1.pem");
    assert_int_equal(c.max_frame, 1024);
    assert_int_equal(c.ntail, 2);
    assert_string_equal(c.tail[1], "/var/log/b.log");
    assert_true(c.tail_from_end);
    assert_int_equal(c.tail_poll_ns, 500000000LL);
    assert_int_equal(c.queue_batches, 8);
    assert_int_equal(c.batch_delay_ns, 5000000LL);
    assert_int_equal(c.commit_max_events, 1000);
    vg_config_release(&c);
    unlink(path);
}

/* [intel]: comma-separated, repeatable paths; refresh; [agents] accepted as a section. */
static void test_intel(void **st)
{
    (void)st;
    const char *path = write_tmp("[intel]\nfeeds = /a/stix, /b/misp.json ,\nfeeds = /c\nwarninglists = /wl\nrefresh = 1h\n"
                                 "[agents]\nsilent_after = 10s\n");
    struct vg_config c;
    vg_config_init(&c, "./data");
    assert_int_equal(c.intel_refresh_ns, 0);
    struct vg_err e = VG_ERR_INIT;
    assert_int_equal(vg_config_load(&c, path, &e), 0);
    assert_int_equal(c.nintel_feeds, 3);
    assert_string_equal(c.intel_feeds[0], "/a/stix");
    assert_string_equal(c.intel_feeds[1], "/b/misp.json");
    assert_string_equal(c.intel_feeds[2], "/c");
    assert_int_equal(c.nintel_warninglists, 1);
    assert_string_equal(c.intel_warninglists[0], "/wl");
    assert_int_equal(c.intel_refresh_ns, 3600LL * 1000000000LL);
    assert_int_equal(c.agent_silent_ns, 10LL * 1000000000LL);
    assert_int_equal(vg_config_set(&c, "intel", "refresh", "off", &e), 0);
    assert_int_equal(c.intel_refresh_ns, 0);
    assert_int_equal(vg_config_set(&c, "intel", "feeds", "/d", &e), 0); /* the --intel flag */
    assert_int_equal(c.nintel_feeds, 4);
    vg_config_release(&c);
    unlink(path);
}

static void expect_error(const char *text, int line, const char *needle)
{
    const char *path = write_tmp(text);
    struct vg_config c;
    vg_config_init(&c, "./data");
    struct vg_err e = VG_ERR_INIT;
    assert_true(vg_config_load(&c, path, &e) < 0);
    assert_int_equal(e.line, line);
    if (!strstr(e.msg, needle)) fail_msg("'%s' lacks '%s'", e.msg, needle);
    vg_config_release(&c);
    unlink(path);
}

static void test_errors(void **st)
{
    (void)st;
    expect_error("[server]\nbogus = 1\n", 2, "unknown setting 'bogus'");
    expect_error("[nope]\n", 1, "unknown section");
    expect_error("data = x\n", 1, "before any [section]");
    expect_error("[server]\nworkers = lots\n", 2, "workers");
    expect_error("[files]\npoll = soon\n", 2, "duration");
    expect_error("[server]\njust words\n", 2, "key = value");
    expect_error("[server\n", 1, "section header");
    expect_error("[intel]\nfeeds = , ,\n", 2, "at least one path");
    expect_error("[intel]\nrefresh = 10ms\n", 2, "at least 1s");
    expect_error("[intel]\nrefresh = often\n", 2, "duration");
    struct vg_config c;
    vg_config_init(&c, "./data");
    struct vg_err e = VG_ERR_INIT;
    assert_int_equal(vg_config_load(&c, "/nonexistent/vigil.conf", &e), VG_EIO);
    vg_config_release(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_file),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_intel),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
