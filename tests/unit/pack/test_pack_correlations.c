/* The correlation rules of Vigil's rule pack (rules/linux/correlations/):
 * timelines of real-looking syslog lines go through the real decoders
 * (vg_decode) and the detect engine (vg_detect_run) with the whole pack
 * loaded, and each correlation must fire exactly when it should: at its
 * threshold and not below, not when the hits spread beyond the window, and
 * separately per group (source address, host + user). Every test starts a
 * fresh engine, so correlation state never leaks between tests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "vigil/decode.h"
#include "vigil/detect.h"

#define BF "SSH Brute Force From One Source"
#define AFTER "SSH Login After Brute Force From The Same Source"
#define SPRAY "SSH Password Spraying From One Source"
#define SUDO "Repeated Sudo Authentication Failures By One User"
#define NEWPRIV "New Account Added To A Privileged Group"

static struct vg_detect *det;

static int setup(void **st)
{
    (void)st;
    const char *src = getenv("VG_SRC");
    char pack[4096];
    snprintf(pack, sizeof pack, "%s/rules", src && *src ? src : ".");
    struct vg_detect_opts o = {.pack = pack};
    struct vg_sigma_report rep = VG_SIGMA_REPORT_INIT;
    struct vg_detect_load_info li;
    struct vg_err err = VG_ERR_INIT;
    int rc = vg_detect_new(&det, &o, &rep, &li, &err);
    if (rc) fprintf(stderr, "load: %s\n", err.msg);
    for (size_t i = 0; i < rep.nrej; i++) fprintf(stderr, "rejected %s:%d: %s\n", rep.rej[i].file, rep.rej[i].line, rep.rej[i].reason);
    vg_sigma_report_release(&rep);
    if (rc || li.rejected || li.correlations < 5) return -1;
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    vg_detect_free(det);
    det = NULL;
    return 0;
}

/* Decodes one syslog line "Mar  3 <hms> <host> <msg>" and returns how many
 * alerts titled title it makes. */
static int feed(const char *hms, const char *host, const char *msg, const char *title)
{
    char line[1024];
    int len = snprintf(line, sizeof line, "Mar  3 %s %s %s", hms, host, msg);
    struct vg_batch *b = vg_batch_new(2);
    struct vg_event *ev = vg_batch_push(b);
    ev->tenant = "default";
    ev->collector = "test";
    vg_time_parse_iso("2026-06-01T00:00:00Z", 20, &ev->recv_ts);
    ev->seq = 1;
    assert_int_equal(vg_event_set_raw(ev, line, (size_t)len), 0);
    struct vg_decode_opts d = {0};
    vg_decode(ev, &d, NULL);
    assert_true(vg_detect_run(det, b, NULL, false) >= 0);
    int k = 0;
    for (struct vg_alert *a = b->alerts; a; a = a->next) k += strcmp(a->title, title) == 0;
    vg_batch_free(b);
    return k;
}

static void hms(char *out, size_t n, int sec)
{
    snprintf(out, n, "%02d:%02d:%02d", 10 + sec / 3600, sec / 60 % 60, sec % 60);
}

static int failed(int sec, const char *user, const char *ip, const char *title)
{
    char t[16], m[256];
    hms(t, sizeof t, sec);
    snprintf(m, sizeof m, "sshd[4121]: Failed password for %s from %s port %d ssh2", user, ip, 40000 + sec % 20000);
    return feed(t, "web1", m, title);
}

static int invalid(int sec, const char *user, const char *ip, const char *title)
{
    char t[16], m[256];
    hms(t, sizeof t, sec);
    snprintf(m, sizeof m, "sshd[4122]: Invalid user %s from %s port %d", user, ip, 40000 + sec % 20000);
    return feed(t, "web1", m, title);
}

static int accepted(int sec, const char *user, const char *ip, const char *title)
{
    char t[16], m[256];
    hms(t, sizeof t, sec);
    snprintf(m, sizeof m, "sshd[4130]: Accepted password for %s from %s port %d ssh2", user, ip, 50000 + sec % 10000);
    return feed(t, "web1", m, title);
}

static int sudo_fail(int sec, const char *host, const char *user, const char *title)
{
    char t[16], m[256];
    hms(t, sizeof t, sec);
    snprintf(m, sizeof m, "sudo:  %s : 3 incorrect password attempts ; TTY=pts/1 ; PWD=/home/%s ; USER=root ; COMMAND=/bin/bash",
             user, user);
    return feed(t, host, m, title);
}

static int useradd(int sec, const char *host, const char *user, const char *title)
{
    char t[16], m[256];
    hms(t, sizeof t, sec);
    snprintf(m, sizeof m, "useradd[2201]: new user: name=%s, UID=1007, GID=1007, home=/home/%s, shell=/bin/bash", user, user);
    return feed(t, host, m, title);
}

static int groupadd_member(int sec, const char *host, const char *user, const char *group, const char *title)
{
    char t[16], m[256];
    hms(t, sizeof t, sec);
    snprintf(m, sizeof m, "usermod[2210]: add '%s' to group '%s'", user, group);
    return feed(t, host, m, title);
}

/* 9 failures in the window: nothing; the 10th fires once; the base rule
 * still alerts on every failure (generate: true). */
static void test_brute_force_threshold(void **st)
{
    (void)st;
    for (int i = 0; i < 9; i++) assert_int_equal(failed(i * 20, "alice", "203.0.113.9", BF), 0);
    assert_int_equal(failed(200, "alice", "203.0.113.9", BF), 1);
    /* the window was cleared by the firing: the next 9 do not fire again, the 10th does */
    for (int i = 0; i < 9; i++) assert_int_equal(failed(210 + i, "alice", "203.0.113.9", BF), 0);
    assert_int_equal(failed(220, "alice", "203.0.113.9", BF), 1);
    assert_int_equal(failed(221, "alice", "203.0.113.9", "SSH Failed Password"), 1);
    /* unknown-user lines count with the failures */
    for (int i = 0; i < 5; i++) assert_int_equal(invalid(300 + i, "oracle", "198.51.100.20", BF), 0);
    for (int i = 0; i < 4; i++) assert_int_equal(failed(310 + i, "oracle", "198.51.100.20", BF), 0);
    assert_int_equal(invalid(320, "guest", "198.51.100.20", BF), 1);
}

/* The window is 5 minutes, both ends inclusive: a 10th hit exactly 5 min
 * after the first fires, 5 min + 1 s after does not; the window slides. */
static void test_brute_force_window(void **st)
{
    (void)st;
    for (int i = 0; i < 9; i++) assert_int_equal(failed(i, "bob", "192.0.2.44", BF), 0);
    assert_int_equal(failed(300, "bob", "192.0.2.44", BF), 1);

    /* (later times: hits more than 60 s older than the newest seen are dropped as late) */
    for (int i = 0; i < 9; i++) assert_int_equal(failed(400 + i, "bob", "192.0.2.45", BF), 0);
    assert_int_equal(failed(701, "bob", "192.0.2.45", BF), 0); /* the hit at 400 s left: 9 */
    assert_int_equal(failed(701, "bob", "192.0.2.45", BF), 1); /* 401..408 s + two at 701 s = 10 */
}

/* Two sources interleaved: 18 failures, 9 each, never fire. */
static void test_brute_force_split(void **st)
{
    (void)st;
    for (int i = 0; i < 9; i++) {
        assert_int_equal(failed(i * 2, "root", "203.0.113.50", BF), 0);
        assert_int_equal(failed(i * 2 + 1, "root", "203.0.113.51", BF), 0);
    }
    assert_int_equal(failed(30, "root", "203.0.113.51", BF), 1);
    assert_int_equal(failed(31, "root", "203.0.113.50", BF), 1);
}

/* Brute force then an accepted login from the same address fires; the
 * accepted login alone makes no alert; other sources, the wrong order and
 * a login after the 30 minute window do not fire. */
static void test_login_after_brute_force(void **st)
{
    (void)st;
    assert_int_equal(accepted(0, "carol", "203.0.113.77", "SSH Login Accepted"), 0); /* quiet base rule */
    assert_int_equal(accepted(1, "carol", "203.0.113.77", AFTER), 0);              /* login before the attack */
    for (int i = 0; i < 9; i++) assert_int_equal(failed(10 + i, "carol", "203.0.113.77", AFTER), 0);
    assert_int_equal(failed(19, "carol", "203.0.113.77", BF), 1);
    assert_int_equal(accepted(25, "carol", "203.0.113.78", AFTER), 0); /* another source */
    assert_int_equal(accepted(40, "carol", "203.0.113.77", AFTER), 1);

    /* second source: brute force, then a login 30 min + 1 s later */
    for (int i = 0; i < 9; i++) assert_int_equal(failed(100 + i, "dave", "198.51.100.99", BF), 0);
    assert_int_equal(failed(109, "dave", "198.51.100.99", BF), 1);
    assert_int_equal(accepted(109 + 1801, "dave", "198.51.100.99", AFTER), 0);
    /* ... inside the window it would have */
    for (int i = 0; i < 10; i++) assert_int_equal(failed(2000 + i, "dave", "198.51.100.98", BF), i == 9);
    assert_int_equal(accepted(2000 + 1800, "dave", "198.51.100.98", AFTER), 1);
}

/* value_count of user.name per source: 4 names (however often) do not
 * fire, the 5th distinct name does; names from another source or outside
 * the 10 minute window do not count. */
static void test_password_spraying(void **st)
{
    (void)st;
    static const char *const users[] = {"admin", "oracle", "test", "ubuntu", "postgres"};
    for (int r = 0; r < 2; r++)
        for (int u = 0; u < 4; u++) assert_int_equal(invalid(r * 10 + u, users[u], "192.0.2.200", SPRAY), 0);
    assert_int_equal(failed(30, users[4], "192.0.2.201", SPRAY), 0); /* other source */
    assert_int_equal(failed(31, users[4], "192.0.2.200", SPRAY), 1);

    /* a slow spray: one new name every 3 minutes never has 5 in 10 minutes */
    static const char *const slow[] = {"a1", "b2", "c3", "d4", "e5", "f6", "g7"};
    for (int u = 0; u < 7; u++) assert_int_equal(failed(1000 + u * 180, slow[u], "192.0.2.202", SPRAY), 0);
}

static int drop(int sec, const char *host, const char *ip, int port, const char *title)
{
    char t[16], m[512];
    hms(t, sizeof t, sec);
    snprintf(m, sizeof m, "kernel: [1234.5] [UFW BLOCK] IN=eth0 OUT= MAC=00 SRC=%s DST=10.0.0.9 LEN=44 TTL=50 ID=1 "
             "PROTO=TCP SPT=40000 DPT=%d WINDOW=1024 RES=0x00 SYN URGP=0", ip, port);
    return feed(t, host, m, title);
}

#define SCAN "Port Scan From One Source"

/* port scan: 10 distinct ports from one source within 5 minutes fire once
 * (9 do not, nor one port probed many times); the base rule is quiet; the
 * ports of several hosts add up for one source; another source is apart;
 * a slow scan (a port a minute) never has 10 in 5 minutes. */
static void test_port_scan(void **st)
{
    (void)st;
    for (int p = 0; p < 9; p++) {
        assert_int_equal(drop(p, "web1", "198.51.100.50", 1000 + p, SCAN), 0);
        assert_int_equal(drop(p, "web1", "198.51.100.50", 1000 + p, "Firewall Dropped An Inbound Connection"), 0);
    }
    for (int k = 0; k < 5; k++) assert_int_equal(drop(10 + k, "web1", "198.51.100.50", 1000, SCAN), 0); /* same port */
    assert_int_equal(drop(20, "web1", "198.51.100.51", 2000, SCAN), 0);                                /* other source */
    assert_int_equal(drop(21, "db1", "198.51.100.50", 2000, SCAN), 1); /* 10th port, on another host */
    for (int p = 0; p < 12; p++) assert_int_equal(drop(1000 + p * 60, "web1", "198.51.100.52", 3000 + p, SCAN), 0);
}

/* sudo: 3 failures of one user on one host fire; other users and other
 * hosts are separate groups; failures 10 minutes apart do not add up. */
static void test_sudo_repeated_failures(void **st)
{
    (void)st;
    assert_int_equal(sudo_fail(0, "db1", "mike", SUDO), 0);
    assert_int_equal(sudo_fail(5, "db1", "ann", SUDO), 0);
    assert_int_equal(sudo_fail(10, "db2", "mike", SUDO), 0);
    assert_int_equal(sudo_fail(15, "db1", "mike", "Sudo Authentication Failure"), 1); /* base rule still alerts */
    assert_int_equal(sudo_fail(20, "db1", "ann", SUDO), 0);
    assert_int_equal(sudo_fail(25, "db1", "mike", SUDO), 1);
    /* spread: 0 s, 400 s, 801 s -> never 3 within 600 s */
    assert_int_equal(sudo_fail(1000, "db3", "eve", SUDO), 0);
    assert_int_equal(sudo_fail(1400, "db3", "eve", SUDO), 0);
    assert_int_equal(sudo_fail(2001, "db3", "eve", SUDO), 0);
}

/* useradd then a privileged group for the same account on the same host
 * within an hour fires; the privileged-group base rule keeps alerting. */
static void test_new_account_privileged(void **st)
{
    (void)st;
    assert_int_equal(useradd(0, "app1", "svc_backup", NEWPRIV), 0);
    assert_int_equal(groupadd_member(10, "app1", "svc_backup", "users", NEWPRIV), 0);   /* not privileged */
    assert_int_equal(groupadd_member(20, "app1", "olduser", "sudo", NEWPRIV), 0);       /* not a new account */
    assert_int_equal(groupadd_member(25, "app2", "svc_backup", "sudo", NEWPRIV), 0);    /* another host */
    assert_int_equal(groupadd_member(30, "app1", "svc_backup", "sudo", "User Added To A Privileged Group"), 1);
    assert_int_equal(groupadd_member(40, "app1", "svc_backup", "wheel", NEWPRIV), 0);   /* fired already at 30 s */

    assert_int_equal(useradd(100, "app1", "hacker", NEWPRIV), 0);
    assert_int_equal(groupadd_member(110, "app1", "hacker", "adm", NEWPRIV), 1);

    /* wrong order: the grant before the account exists */
    assert_int_equal(groupadd_member(200, "app3", "late", "sudo", NEWPRIV), 0);
    assert_int_equal(useradd(210, "app3", "late", NEWPRIV), 0);
    /* outside the hour */
    assert_int_equal(useradd(300, "app4", "slow", NEWPRIV), 0);
    assert_int_equal(groupadd_member(300 + 3601, "app4", "slow", "sudo", NEWPRIV), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_brute_force_threshold, setup, teardown),
        cmocka_unit_test_setup_teardown(test_brute_force_window, setup, teardown),
        cmocka_unit_test_setup_teardown(test_brute_force_split, setup, teardown),
        cmocka_unit_test_setup_teardown(test_login_after_brute_force, setup, teardown),
        cmocka_unit_test_setup_teardown(test_password_spraying, setup, teardown),
        cmocka_unit_test_setup_teardown(test_port_scan, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sudo_repeated_failures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_new_account_privileged, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
