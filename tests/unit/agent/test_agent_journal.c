/* Unit tests for vigil-agent's journal reader (src/agent/journal.c) and the
 * spool's frame kinds: journal JSON -> RFC 5424 lines (fields, defaults,
 * byte-array and hostile MESSAGEs, escaping), a fake journalctl child whose
 * entries land in the spool with their cursor persisted and used on the
 * next start, and log lines vs posture documents split into LOG and RECORD
 * frames. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "agent.h"

static char dir[256];

static int setup(void **st)
{
    (void)st;
    snprintf(dir, sizeof dir, "/tmp/vg_journal_XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **st)
{
    (void)st;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static int fmt(const char *json, struct vg_buf *b, char *cur, int64_t *rt)
{
    vg_buf_reset(b);
    return vg_journal_entry_format(json, strlen(json), b, cur, 512, rt);
}

static void test_format(void **st)
{
    (void)st;
    struct vg_buf b = VG_BUF_INIT;
    char cur[512];
    int64_t rt = 0;
    assert_int_equal(fmt("{\"__CURSOR\":\"s=1;i=2\",\"__REALTIME_TIMESTAMP\":\"1700000000123456\",\"_HOSTNAME\":\"web-01\","
                         "\"SYSLOG_IDENTIFIER\":\"sshd\",\"_PID\":\"812\",\"PRIORITY\":\"6\",\"SYSLOG_FACILITY\":\"4\","
                         "\"_SYSTEMD_UNIT\":\"ssh.service\",\"MESSAGE\":\"Accepted publickey for alice from 10.0.0.5 port 5000 ssh2\"}",
                         &b, cur, &rt), 0);
    assert_string_equal(b.data, "<38>1 2023-11-14T22:13:20.123456Z web-01 sshd 812 - [journal unit=\"ssh.service\"] "
                                "Accepted publickey for alice from 10.0.0.5 port 5000 ssh2");
    assert_string_equal(cur, "s=1;i=2");
    assert_int_equal(rt, 1700000000123456000LL);
    /* defaults: no identifier -> _COMM, no pid, no host, bad priority */
    assert_int_equal(fmt("{\"__REALTIME_TIMESTAMP\":\"1\",\"_COMM\":\"cron\",\"PRIORITY\":\"99\",\"MESSAGE\":\"x\"}", &b, cur, &rt), 0);
    assert_string_equal(b.data, "<14>1 1970-01-01T00:00:00.000001Z - cron - - - x");
    assert_string_equal(cur, "");
    /* byte-array MESSAGE with invalid UTF-8 and control bytes; quoting in the unit; blanks in the identifier */
    assert_int_equal(fmt("{\"__REALTIME_TIMESTAMP\":\"2\",\"SYSLOG_IDENTIFIER\":\"my app\",\"_SYSTEMD_UNIT\":\"a\\\"]\\\\.service\","
                         "\"MESSAGE\":[104,105,255,10,27,111,107]}", &b, cur, &rt), 0);
    assert_non_null(strstr(b.data, " my_app - - [journal unit=\"a\\\"\\]\\\\.service\"] hi?  ok"));
    /* not an entry */
    assert_int_equal(fmt("not json", &b, cur, &rt), VG_EPARSE);
    assert_int_equal(fmt("[1,2]", &b, cur, &rt), VG_EPARSE);
    assert_int_equal(fmt("{\"foo\":1}", &b, cur, &rt), VG_EPARSE);
    /* a huge timestamp is ignored, not overflowed */
    assert_int_equal(fmt("{\"__REALTIME_TIMESTAMP\":\"99999999999999999999\",\"MESSAGE\":\"m\"}", &b, cur, &rt), 0);
    assert_int_equal(rt, 0);
    vg_buf_release(&b);
}

static size_t drain(struct vg_spool *sp, int *types, size_t max)
{
    struct vg_buf b = VG_BUF_INIT;
    size_t n = 0;
    for (;;) {
        vg_buf_reset(&b);
        int got = vg_spool_next_frame(sp, &b, 64 * 1024, 1000, NULL);
        assert_true(got >= 0);
        if (!got) break;
        struct vg_ap_frame f;
        size_t used;
        assert_int_equal(vg_ap_decode((const uint8_t *)b.data, b.len, &f, &used, NULL), 0);
        if (n < max) types[n] = f.type;
        n++;
        assert_int_equal(vg_spool_ack(sp, sp->fl_seq, NULL), 0);
    }
    vg_buf_release(&b);
    return n;
}

static void test_frame_kinds(void **st)
{
    (void)st;
    struct vg_spool sp;
    assert_int_equal(vg_spool_open(&sp, dir, 0, NULL), 0);
    assert_int_equal(vg_spool_append(&sp, NULL, 1, "/var/log/a", 10, "line 1", 6, NULL), 0);
    assert_int_equal(vg_spool_append(&sp, NULL, 2, "/var/log/a", 10, "line 2", 6, NULL), 0);
    assert_int_equal(vg_spool_append(&sp, NULL, 3, "vigil:fim", 9, "{\"type\":\"fim\"}", 14, NULL), 0);
    assert_int_equal(vg_spool_append(&sp, NULL, 4, "vigil:inventory", 15, "{\"type\":\"inventory\"}", 20, NULL), 0);
    assert_int_equal(vg_spool_append(&sp, NULL, 5, "journal", 7, "<14>1 - - - - - - x", 19, NULL), 0);
    /* a big posture document (over a segment) still fits one record */
    size_t big = 1500 * 1024;
    char *doc = malloc(big);
    memset(doc, 'a', big);
    assert_int_equal(vg_spool_append(&sp, NULL, 6, "vigil:inventory", 15, doc, big, NULL), 0);
    free(doc);
    assert_int_equal(vg_spool_sync(&sp, NULL), 0);
    int types[8] = {0};
    size_t n = drain(&sp, types, 8);
    assert_int_equal(n, 4);
    assert_int_equal(types[0], VG_AP_LOG);
    assert_int_equal(types[1], VG_AP_RECORD);
    assert_int_equal(types[2], VG_AP_LOG);
    assert_int_equal(types[3], VG_AP_RECORD);
    vg_spool_close(&sp);
}

static void test_poll_child(void **st)
{
    (void)st;
    char script[400], entries[400], args[400];
    snprintf(entries, sizeof entries, "%s/entries", dir);
    snprintf(args, sizeof args, "%s/args", dir);
    snprintf(script, sizeof script, "%s/journalctl", dir);
    FILE *f = fopen(entries, "w");
    for (int i = 1; i <= 3; i++)
        fprintf(f, "{\"__CURSOR\":\"c%d\",\"__REALTIME_TIMESTAMP\":\"%d000000\",\"MESSAGE\":\"entry %d\"}\n", i, i, i);
    fputs("this line is not json\n", f);
    fclose(f);
    f = fopen(script, "w");
    fprintf(f, "#!/bin/sh\necho \"$@\" >> '%s'\ncat '%s'\n", args, entries);
    fclose(f);
    chmod(script, 0755);
    struct vg_spool sp;
    struct vg_journal j;
    struct vg_err e = VG_ERR_INIT;
    assert_int_equal(vg_spool_open(&sp, dir, 0, NULL), 0);
    assert_int_equal(vg_journal_open(&j, dir, "yes", script, "-5min", &e), 0);
    assert_true(j.on);
    long got = 0;
    for (int i = 0; i < 200 && got < 3; i++) {
        long r = vg_journal_poll(&j, &sp, 100, &e);
        assert_true(r >= 0);
        got += r;
        usleep(10000);
    }
    assert_int_equal(got, 3);
    assert_string_equal(j.cursor, "c3");
    assert_int_equal(j.bad, 1);
    vg_journal_close(&j);
    int types[4];
    assert_int_equal(drain(&sp, types, 4), 1);
    assert_int_equal(types[0], VG_AP_LOG);
    /* the next start continues after the persisted cursor */
    assert_int_equal(vg_journal_open(&j, dir, "yes", script, NULL, &e), 0);
    assert_string_equal(j.cursor, "c3");
    char line[256] = "", last[256] = "";
    int lines = 0;
    for (int i = 0; i < 300 && lines < 2; i++) { /* until the second start wrote its arguments */
        vg_journal_poll(&j, &sp, 100, &e);
        usleep(10000);
        lines = 0;
        f = fopen(args, "r");
        while (f && fgets(line, sizeof line, f)) { snprintf(last, sizeof last, "%s", line); lines++; }
        if (f) fclose(f);
    }
    vg_journal_close(&j);
    assert_int_equal(lines, 2);
    assert_non_null(strstr(last, "--after-cursor=c3"));
    /* disabled / missing */
    assert_int_equal(vg_journal_open(&j, dir, "no", script, NULL, &e), 0);
    assert_false(j.on);
    vg_journal_close(&j);
    assert_int_equal(vg_journal_open(&j, dir, "yes", "/nonexistent/journalctl", NULL, &e), VG_ENOENT);
    vg_journal_close(&j);
    assert_int_equal(vg_journal_open(&j, dir, "auto", "/nonexistent/journalctl", NULL, &e), 0);
    assert_false(j.on);
    vg_journal_close(&j);
    vg_spool_close(&sp);
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_format),
        cmocka_unit_test_setup_teardown(test_frame_kinds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_poll_child, setup, teardown),
    };
    return cmocka_run_group_tests(t, NULL, NULL);
}
