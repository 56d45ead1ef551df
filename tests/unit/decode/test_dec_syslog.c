/* Unit tests of the syslog FORMAT decoders (rfc3164, rfc5424) and of the
 * chain's format choice by probe: header variants, year inference,
 * zero-copy message, structured data, malformed input. */
#include "dec_test.h"

static const struct dt_case rfc3164_cases[] = {
    {"<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8", "rfc3164", 0,
     {{"log.syslog.priority", "34"}, {"log.syslog.facility.code", "4"}, {"log.syslog.severity.code", "2"},
      {"log.syslog.facility.name", "auth"}, {"host.name", "mymachine"}, {"process.name", "su"},
      {"message", "'su root' failed for lonvick on /dev/pts/8"}, {"@ts", "2025-10-11T22:14:15.000000000Z"}}},
    {"Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186", "rfc3164+sshd", 0,
     {{"host.name", "LabSZ"}, {"process.name", "sshd"}, {"process.pid", "24200"}, {"log.syslog.priority", NULL},
      {"@ts", "2025-12-10T06:55:46.000000000Z"}}},
    {"May 31 23:30:00 h cron[1]: (root) CMD (true)", "rfc3164+cron", 0, {{"@ts", "2026-05-31T23:30:00.000000000Z"}}},
    /* within a day ahead of the receive time: same year */
    {"Jun  1 12:00:00 h app: x", "rfc3164", 0, {{"@ts", "2026-06-01T12:00:00.000000000Z"}, {"message", "x"}}},
    /* more than a day ahead: previous year */
    {"Jun  3 00:00:00 h app: x", "rfc3164", 0, {{"@ts", "2025-06-03T00:00:00.000000000Z"}}},
    {"2024-01-01T10:00:00.123456+01:00 web1 nginx[42]: started", "rfc3164", 0,
     {{"@ts", "2024-01-01T09:00:00.123456000Z"}, {"host.name", "web1"}, {"process.name", "nginx"}, {"process.pid", "42"},
      {"message", "started"}}},
    {"2020-03-23 06:47:42.801612-0700  localhost sshd[3186]: Invalid user a from 192.168.33.1", "rfc3164+sshd", 0,
     {{"@ts", "2020-03-23T13:47:42.801612000Z"}, {"host.name", "localhost"}, {"source.ip", "192.168.33.1"}}},
    /* missing hostname */
    {"Feb  5 13:07:52 sshd[99]: Connection closed by 10.0.0.1 port 22", "rfc3164+sshd", 0,
     {{"host.name", NULL}, {"process.name", "sshd"}, {"process.pid", "99"}}},
    {"<13>Feb  5 13:07:52 prog: hello world", "rfc3164", 0, {{"host.name", NULL}, {"process.name", "prog"}, {"message", "hello world"}}},
    {"Mar 23 15:04:52 manager kernel: [62828.333722] usb 1-1: New USB device found", "rfc3164", 0,
     {{"process.name", "kernel"}, {"kernel.uptime", "62828.333722"}, {"message", "usb 1-1: New USB device found"}}},
    {"Mar 15 23:14:34 manager kernel: [ 195.634715] usb 1-1: USB disconnect", "rfc3164", 0, {{"kernel.uptime", "195.634715"}}},
    {"2015 Nov 13 13:40:01 ether rsyslogd-2177: imuxsock begins", "rfc3164", 0,
     {{"@ts", "2015-11-13T13:40:01.000000000Z"}, {"process.name", "rsyslogd-2177"}}},
    {"Nov 11 22:46:29 localhost su(pam_unix)[14592]: session closed for user news", "rfc3164+pam", 0,
     {{"process.name", "su"}, {"pam.module", "pam_unix"}, {"event.action", "session_closed"}, {"user.name", "news"}}},
    {"Aug 18 07:30:25 192.168.1.5 sshd[20247]: [ID 800047 auth.notice] Failed none for root from 192.168.1.1 port 36942 ssh2",
     "rfc3164+sshd", 0, {{"host.name", "192.168.1.5"}, {"log.syslog.msgid", "800047"}, {"user.name", "root"}}},
    {"Jan  2 03:04:05 host /usr/sbin/cron[77]: (root) CMD (ls)", "rfc3164+cron", 0,
     {{"process.name", "cron"}, {"process.executable", "/usr/sbin/cron"}}},
    {"Dec 10 09:32:20 LabSZ sshd[24680]: message repeated 5 times: [ Failed password for root from 5.36.59.76 port 42393 ssh2]",
     "rfc3164+sshd", 0, {{"log.syslog.repeated", "5"}, {"user.name", "root"}, {"source.ip", "5.36.59.76"}}},
    /* Sysmon for Linux: Windows event XML in the message (dec_winxml.c) */
    {"Oct 10 13:55:36 host sysmon: <Event><System><Provider Name=\"Linux-Sysmon\"/><EventID>1</EventID>"
     "<TimeCreated SystemTime=\"2023-10-10T13:55:36.5Z\"/><Channel>Linux-Sysmon/Operational</Channel><Computer>host</Computer>"
     "</System><EventData><Data Name=\"Image\">/usr/bin/curl</Data><Data Name=\"CommandLine\">curl http://x/a.sh</Data>"
     "</EventData></Event>",
     "rfc3164+winxml", 0,
     {{"Channel", "Linux-Sysmon/Operational"}, {"EventID", "1"}, {"Image", "/usr/bin/curl"},
      {"CommandLine", "curl http://x/a.sh"}, {"Provider_Name", "Linux-Sysmon"}, {"@ts", "2023-10-10T13:55:36.500000000Z"}}},
    /* any program, when the message is an <Event> element; broken XML leaves the syslog fields */
    {"Oct 10 13:55:36 host nxlog: <Event><System><EventID>4688</EventID><Channel>Security</Channel></System>"
     "<EventData><Data Name=\"NewProcessName\">C:\\x.exe</Data></EventData></Event>",
     "rfc3164+winxml", 0, {{"EventID", "4688"}, {"NewProcessName", "C:\\x.exe"}, {"process.name", "nxlog"}}},
    {"Oct 10 13:55:36 host sysmon: <Event><System><EventID>1</EventID", "rfc3164", 0,
     {{"EventID", NULL}, {"process.name", "sysmon"}}},
    /* malformed / not syslog */
    {"just some words", NULL, 1, {{"message", NULL}}},
    {"<999>Oct 11 22:14:15 h p: m", NULL, 1, {{"log.syslog.priority", NULL}}},
    {"Oct 99 22:14:15 h p: m", NULL, 1, {{"host.name", NULL}}},
};

static const struct dt_case rfc5424_cases[] = {
    {"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\" "
     "eventSource=\"Application\" eventID=\"1011\"] \xEF\xBB\xBF" "An application event log entry...",
     "rfc5424", 0,
     {{"log.syslog.priority", "165"}, {"log.syslog.version", "1"}, {"host.name", "mymachine.example.com"},
      {"process.name", "evntslog"}, {"log.syslog.msgid", "ID47"}, {"process.pid", NULL},
      {"sd.exampleSDID@32473.iut", "3"}, {"sd.exampleSDID@32473.eventSource", "Application"},
      {"message", "An application event log entry..."}, {"@ts", "2003-10-11T22:14:15.003000000Z"}}},
    {"<34>1 - - - - - -", "rfc5424", 0, {{"host.name", NULL}, {"process.name", NULL}, {"message", ""}}},
    {"<38>1 2024-05-01T10:00:00+02:00 srv sshd 811 - - Accepted publickey for alice from 10.1.2.3 port 5022 ssh2",
     "rfc5424+sshd", 0,
     {{"process.pid", "811"}, {"user.name", "alice"}, {"event.outcome", "success"}, {"@ts", "2024-05-01T08:00:00.000000000Z"}}},
    {"<14>1 2024-05-01T10:00:00Z h app - - [a k=\"x\\\"y\\]z\"][b q=\"\"] m", "rfc5424", 0,
     {{"sd.a.k", "x\"y]z"}, {"sd.b.q", ""}, {"message", "m"}}},
    /* malformed */
    {"<14>1 2024-05-01T10:00:00Z h app - - [unterminated k=\"v", "rfc5424", 1, {{"host.name", "h"}}},
    {"<14>1 2024-13-45T10:00:00Z h app - - - m", "rfc5424", 1, {{"host.name", NULL}}},
    {"<14>1 2024-05-01T10:00:00Z h app - - junk", "rfc5424", 1, {{"process.name", "app"}}},
};

static void test_rfc3164_table(void **st) { (void)st; dt_run(rfc3164_cases, VG_ARRAY_LEN(rfc3164_cases)); }
static void test_rfc5424_table(void **st) { (void)st; dt_run(rfc5424_cases, VG_ARRAY_LEN(rfc5424_cases)); }
static void test_rfc3164_robust(void **st) { (void)st; dt_robust("rfc3164", rfc3164_cases, VG_ARRAY_LEN(rfc3164_cases)); }
static void test_rfc5424_robust(void **st) { (void)st; dt_robust("rfc5424", rfc5424_cases, VG_ARRAY_LEN(rfc5424_cases)); }

static void test_zero_copy(void **st)
{
    (void)st;
    struct vg_arena a;
    vg_arena_init(&a, 4096);
    struct vg_event ev;
    vg_event_init(&ev, &a);
    ev.recv_ts = dt_recv();
    const char *l = "Dec 10 06:55:46 LabSZ sshd[24200]: Failed password for root from 1.2.3.4 port 22 ssh2";
    assert_int_equal(vg_event_set_raw(&ev, l, strlen(l)), 0);
    assert_int_equal(vg_decode(&ev, NULL, NULL), 0);
    for (uint32_t i = 0; i < ev.nfields; i++) {
        const struct vg_field *f = &ev.fields[i];
        size_t nl;
        const char *nm = vg_fid_name(f->name, &nl);
        if (f->v.type != VG_V_STR && f->v.type != VG_V_IP) continue;
        if (strncmp(nm, "event.", 6) == 0 || strncmp(nm, "sshd.", 5) == 0) continue; /* vocabulary constants */
        assert_true(f->v.u.s >= ev.raw && f->v.u.s + f->v.len <= ev.raw + ev.raw_len);
    }
    vg_arena_release(&a);
}

static void test_default_year(void **st)
{
    (void)st;
    struct vg_arena a;
    vg_arena_init(&a, 4096);
    struct vg_event ev;
    vg_event_init(&ev, &a);
    ev.recv_ts = dt_recv();
    const char *l = "Feb 29 12:00:00 h app: leap";
    assert_int_equal(vg_event_set_raw(&ev, l, strlen(l)), 0);
    struct vg_decode_opts o = {.default_year = 2020};
    assert_int_equal(vg_decode(&ev, &o, NULL), 0);
    char buf[64];
    vg_time_format(ev.ts, buf, sizeof buf, 0);
    assert_string_equal(buf, "2020-02-29T12:00:00Z");
    /* forcing a format by name */
    vg_event_init(&ev, &a);
    ev.recv_ts = dt_recv();
    assert_int_equal(vg_event_set_raw(&ev, l, strlen(l)), 0);
    struct vg_decode_opts f = {.format = "rfc5424"};
    assert_true(vg_decode(&ev, &f, NULL) < 0);
    vg_arena_release(&a);
}

/* defer_id leaves the id uncomputed and flagged; vg_event_id then gives
 * exactly the id a normal decode stores, and vg_event_finish clears the
 * flag. */
static void test_defer_id(void **st)
{
    (void)st;
    struct vg_arena a;
    vg_arena_init(&a, 4096);
    const char *l = "Feb 28 12:00:00 web1 sshd[7]: Failed password for root from 203.0.113.5 port 22 ssh2";
    struct vg_event e1, e2;
    vg_event_init(&e1, &a);
    vg_event_init(&e2, &a);
    e1.recv_ts = e2.recv_ts = dt_recv();
    e1.tenant = e2.tenant = "t1";
    assert_int_equal(vg_event_set_raw(&e1, l, strlen(l)), 0);
    assert_int_equal(vg_event_set_raw(&e2, l, strlen(l)), 0);
    struct vg_decode_opts now = {0}, later = {.defer_id = true};
    assert_int_equal(vg_decode(&e1, &now, NULL), 0);
    assert_int_equal(vg_decode(&e2, &later, NULL), 0);
    assert_false(e1.flags & VG_EV_ID_DEFERRED);
    assert_true(e2.flags & VG_EV_ID_DEFERRED);
    static const uint8_t zero[16];
    assert_memory_not_equal(e1.id, zero, 16);
    assert_memory_equal(e2.id, zero, 16); /* not computed */
    uint8_t id1[16], id2[16];
    vg_event_id(&e1, id1);
    vg_event_id(&e2, id2);
    assert_memory_equal(id1, e1.id, 16);
    assert_memory_equal(id2, e1.id, 16);
    vg_event_finish(&e2);
    assert_false(e2.flags & VG_EV_ID_DEFERRED);
    assert_memory_equal(e2.id, e1.id, 16);
    vg_arena_release(&a);
}

static const char *probe_winner(const char *line)
{
    size_t n;
    const struct vg_decoder *const *t = vg_decoders(&n);
    int best = 0;
    const char *w = "";
    for (size_t i = 0; i < n; i++) {
        if (t[i]->kind != VG_DEC_FORMAT || !t[i]->probe) continue;
        int s = t[i]->probe(line, strlen(line));
        if (s > best) { best = s; w = t[i]->name; }
    }
    return w;
}

static void test_probe_choice(void **st)
{
    (void)st;
    assert_string_equal(probe_winner("<34>Oct 11 22:14:15 mymachine su: x"), "rfc3164");
    assert_string_equal(probe_winner("Oct 11 22:14:15 mymachine su: x"), "rfc3164");
    assert_string_equal(probe_winner("2024-01-01T10:00:00.1+01:00 h p[1]: m"), "rfc3164");
    assert_string_equal(probe_winner("<165>1 2003-10-11T22:14:15.003Z h a - - - m"), "rfc5424");
    assert_string_equal(probe_winner("<165>1 - h a - - - m"), "rfc5424");
    assert_string_equal(probe_winner("type=SYSCALL msg=audit(1364481363.243:24287): arch=c000003e"), "auditd");
    assert_string_equal(probe_winner("node=h1 type=USER_LOGIN msg=audit(1364481363.243:1): pid=1"), "auditd");
    assert_string_equal(probe_winner("10.0.0.5 - - [1/Apr/2014:00:00:01 -0500] \"GET / HTTP/1.1\" 200 1 \"-\" \"x\""), "accesslog");
    assert_string_equal(probe_winner("www.example.com:80 1.1.1.1 - - [12/Mar/2019:10:09:09 +0000] \"GET / HTTP/1.1\" 200 1"), "accesslog");
    /* syslog-forwarded access line: the syslog header wins, the program decoder does the rest */
    assert_string_equal(probe_winner("Jan 11 10:13:05 web01 nginx: 1.2.3.4 - - [10/Apr/2017:13:18:05 -0700] \"GET / HTTP/1.1\" 404 1"), "rfc3164");
    /* JSON belongs to another decoder: ours must all say 0 */
    size_t n;
    const struct vg_decoder *const *t = vg_decoders(&n);
    const char *json[] = {"{\"a\":1}", "[1,2]", "{\"message\":\"Oct 11 22:14:15 h p: m\"}"};
    for (size_t j = 0; j < VG_ARRAY_LEN(json); j++)
        for (size_t i = 0; i < n; i++)
            if (t[i]->kind == VG_DEC_FORMAT && t[i]->probe && strcmp(t[i]->name, "json") != 0)
                assert_int_equal(t[i]->probe(json[j], strlen(json[j])), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc3164_table), cmocka_unit_test(test_rfc5424_table),
        cmocka_unit_test(test_zero_copy),     cmocka_unit_test(test_default_year), cmocka_unit_test(test_defer_id),
        cmocka_unit_test(test_probe_choice),  cmocka_unit_test(test_rfc3164_robust),
        cmocka_unit_test(test_rfc5424_robust),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
