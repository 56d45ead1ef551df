/* Unit tests of the kernel-firewall PROGRAM decoder, the auditd FORMAT and
 * syslog decoders and the access-log FORMAT and syslog decoders: tables of
 * real-looking lines plus hostile input. */
#include "dec_test.h"

static const struct dt_case fw_cases[] = {
    {"Feb  4 23:33:37 hostname kernel: [ 3529.289825] [UFW BLOCK] IN=eth0 OUT= MAC=00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd "
     "SRC=254.253.252.251 DST=191.192.193.194 LEN=103 TOS=0x00 PREC=0x00 TTL=52 ID=0 DF PROTO=UDP SPT=53 DPT=36427 LEN=83",
     "rfc3164+iptables", 0,
     {{"source.ip", "254.253.252.251"}, {"destination.ip", "191.192.193.194"}, {"source.port", "53"},
      {"destination.port", "36427"}, {"network.transport", "udp"}, {"rule.name", "UFW BLOCK"}, {"event.type", "denied"},
      {"observer.ingress.interface.name", "eth0"}, {"iptables.LEN", "103"}, {"iptables.flags", "DF"},
      {"event.action", "firewall_log"}, {"event.category", "network"}}},
    {"Nov 18 13:39:49 OpenWRT kernel: [10051.313745] DROP(src wan)IN=eth0 OUT= MAC=c2:56 SRC=205.205.205.205 DST=192.168.8.100 "
     "LEN=44 PROTO=TCP SPT=40952 DPT=23 WINDOW=64144 RES=0x00 SYN URGP=0 MARK=0xff00",
     "rfc3164+iptables", 0, {{"rule.name", "DROP(src wan)"}, {"iptables.MARK", "0xff00"}, {"destination.port", "23"}}},
    {"Aug 17 10:03:37 myhostname kernel: IN= OUT=lo SRC=::1 DST=::1 LEN=52 PROTO=ICMPv6 TYPE=128 CODE=0", "rfc3164+iptables", 0,
     {{"source.ip", "::1"}, {"network.transport", "ipv6-icmp"}, {"rule.name", NULL}, {"event.type", "connection"},
      {"observer.egress.interface.name", "lo"}}},
    {"Aug 17 10:03:37 h kernel: iptables-accept: IN=eth0 OUT= SRC=1.2.3.4 DST=5.6.7.8 PROTO=TCP SPT=1 DPT=2 X-Y=3",
     "rfc3164+iptables", 0, {{"rule.name", "iptables-accept"}, {"event.type", "allowed"}}},
    {"Aug 17 10:03:37 h kernel: IN=eth0 SRC=1.2.3.4", "rfc3164", 0, {{"event.action", NULL}}},
};

static const struct dt_case audit_cases[] = {
    {"type=SYSCALL msg=audit(1364481363.243:24287): arch=c000003e syscall=2 success=no exit=-13 a0=7fffd19c5592 a1=0 "
     "a2=7fffd19c4b50 a3=a items=1 ppid=2686 pid=3538 auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 "
     "egid=1000 sgid=1000 fsgid=1000 tty=pts0 ses=1 comm=\"cat\" exe=\"/bin/cat\" key=\"sshd_config\"",
     "auditd", 0,
     {{"@ts", "2013-03-28T14:36:03.243000000Z"}, {"audit.type", "SYSCALL"}, {"audit.sequence", "24287"},
      {"audit.syscall", "2"}, {"audit.a0", "7fffd19c5592"}, {"audit.key", "sshd_config"}, {"event.outcome", "failure"},
      {"process.name", "cat"}, {"process.executable", "/bin/cat"}, {"process.pid", "3538"}, {"process.parent.pid", "2686"},
      {"user.id", "1000"}, {"event.action", "syscall"}, {"event.category", "process"}}},
    {"type=USER_LOGIN msg=audit(1464173221.178:1064): pid=2734 uid=0 auid=1000 ses=3 msg='op=login acct=\"alice\" "
     "exe=\"/usr/sbin/sshd\" hostname=10.0.0.9 addr=10.0.0.9 terminal=ssh res=failed'",
     "auditd", 0,
     {{"user.name", "alice"}, {"source.ip", "10.0.0.9"}, {"audit.op", "login"}, {"audit.terminal", "ssh"},
      {"event.outcome", "failure"}, {"event.action", "user_login"}, {"event.category", "authentication"},
      {"process.executable", "/usr/sbin/sshd"}}},
    {"type=USER_CMD msg=audit(1464173221.178:1065): pid=1 uid=1000 auid=1000 ses=3 msg='cwd=\"/home/a\" cmd=6C73202D6C "
     "terminal=pts/0 res=success'", "auditd", 0,
     {{"audit.cmd", "ls -l"}, {"process.command_line", "ls -l"}, {"event.outcome", "success"}}},
    {"node=web1 type=EXECVE msg=audit(1479982525.380:50): argc=3 a0=\"ls\" a1=\"-l\" a2=2F746D702F6120622063 "
     "type=PROCTITLE msg=audit(1479982525.380:50): proctitle=6C73002D6C", "auditd", 0,
     {{"host.name", "web1"}, {"audit.node", "web1"}, {"audit.a2", "/tmp/a b c"}, {"process.command_line", "ls -l /tmp/a b c"},
      {"audit.record_types", "EXECVE"}, {"audit.proctitle", "ls -l"}}},
    {"type=PATH msg=audit(1479982525.380:50): item=0 name=\"/var/log/\" nametype=PARENT type=PATH msg=audit(1479982525.380:50): "
     "item=1 name=\"/var/log/x.py\" nametype=CREATE", "auditd", 0, {{"file.path", "/var/log/x.py"}}},
    {"type=SYSCALL msg=audit(1624643172.076:11843): syscall=59 success=yes comm=\"runtime\" key=\"k\"\x1d" "ARCH=x86_64 "
     "AUID=\"administrator@ExchangeTest.com\" UID=\"root\"", "auditd", 0,
     {{"user.name", "root"}, {"user.audit.name", "administrator@ExchangeTest.com"}, {"audit.ARCH", "x86_64"}}},
    {"Jun 24 10:35:29 hostname kernel: [49787.970285] audit: type=1400 audit(1403598929.839:88986): apparmor=\"DENIED\" "
     "operation=\"open\" profile=\"/usr/sbin/dovecot\" name=\"/etc/x\" pid=19973 comm=\"imap\"", "rfc3164+audit", 0,
     {{"process.name", "kernel"}, {"audit.comm", "imap"}, {"audit.apparmor", "DENIED"}, {"event.action", "avc"},
      {"@ts", "2014-06-24T08:35:29.839000000Z"}}},
    {"Mar  1 00:00:00 h audispd: node=h type=USER_AUTH msg=audit(1.5:2): pid=1 acct=\"bob\" res=success", "rfc3164+audit", 0,
     {{"user.name", "bob"}, {"audit.node", "h"}, {"host.name", "h"}}},
    /* malformed */
    {"type=SYSCALL msg=audit(garbage): x=1", "auditd", 1, {{"audit.type", NULL}}},
    {"type=SYSCALL msg=audit(1.2:3): a=\"unterminated", "auditd", 0, {{"audit.a", "unterminated"}}},
};

static const struct dt_case access_cases[] = {
    {"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] \"GET /apache_pb.gif?x=1&y=2 HTTP/1.0\" 200 2326 "
     "\"http://www.example.com/start.html\" \"Mozilla/4.08 [en] (Win98; I ;Nav)\"",
     "accesslog", 0,
     {{"@ts", "2000-10-10T20:55:36.000000000Z"}, {"source.ip", "127.0.0.1"}, {"user.name", "frank"},
      {"http.request.method", "GET"}, {"url.original", "/apache_pb.gif?x=1&y=2"}, {"url.path", "/apache_pb.gif"},
      {"url.query", "x=1&y=2"}, {"http.version", "1.0"}, {"http.response.status_code", "200"},
      {"http.response.body.bytes", "2326"}, {"http.request.referrer", "http://www.example.com/start.html"},
      {"user_agent.original", "Mozilla/4.08 [en] (Win98; I ;Nav)"}, {"event.outcome", "success"}, {"event.category", "web"}}},
    {"10.0.0.5 - - [1/Apr/2014:00:00:01 -0500] \"POST /wp-login.php HTTP/1.1\" 404 -", "accesslog", 0,
     {{"user.name", NULL}, {"http.response.body.bytes", NULL}, {"event.outcome", "failure"}, {"http.request.referrer", NULL}}},
    {"11.22.33.44 - - [01/Aug/2016:05:15:07 +0000] \"GET /x/\\x22><iMg src=N> HTTP/1.1\" 301 178 \"-\" \"a \\\"q\\\" b\"",
     "accesslog", 0, {{"url.original", "/x/\"><iMg src=N>"}, {"user_agent.original", "a \"q\" b"}}},
    {"www.example.com:80 1.1.1.1 - - [12/Mar/2019:10:09:09 +0000] \"GET / HTTP/1.1\" 200 10 \"-\" \"UA\" \"-\" \"id\"", "accesslog", 0,
     {{"source.ip", "1.1.1.1"}, {"url.domain", "www.example.com"}, {"access.vhost", "www.example.com:80"}}},
    {"10.0.0.5 - - [1/Apr/2014:00:00:01 -0500] \"POST /wp-comments-post.php HTTP/1.1\" 403 181 \"-\" \"Googlebot/1", "accesslog", 0,
     {{"user_agent.original", "Googlebot/1"}}},
    {"crawler.example.net - - [1/Apr/2014:00:00:01 +0000] \"\\x16\\x03\\x01\" 400 0", "accesslog", 0,
     {{"source.ip", NULL}, {"source.address", "crawler.example.net"}, {"http.request.method", NULL}}},
    {"Jan 11 10:13:05 web01 nginx: 10.10.10.11 10.10.10.12 - - [10/Apr/2017:13:18:05 -0700] \"GET /i HTTP/1.1\" 404 271 \"-\" \"M\"",
     "rfc3164+accesslog-syslog", 0, {{"process.name", "nginx"}, {"source.ip", "10.10.10.11"}, {"@ts", "2017-04-10T20:18:05.000000000Z"}}},
    /* malformed */
    {"10.0.0.5 - - [1/Apr/2014:00:00:01 -0500] \"GET / HTTP/1.1\" abc 1", "accesslog", 1, {{"source.ip", NULL}}},
    {"10.0.0.5 - - [1/Foo/2014:00:00:01 -0500] \"GET / HTTP/1.1\" 200 1", NULL, 1, {{"source.ip", NULL}}},
};

static void test_fw_table(void **st) { (void)st; dt_run(fw_cases, VG_ARRAY_LEN(fw_cases)); }
static void test_audit_table(void **st) { (void)st; dt_run(audit_cases, VG_ARRAY_LEN(audit_cases)); }
static void test_access_table(void **st) { (void)st; dt_run(access_cases, VG_ARRAY_LEN(access_cases)); }
static void test_fw_robust(void **st) { (void)st; dt_robust("iptables", fw_cases, VG_ARRAY_LEN(fw_cases)); }
static void test_audit_robust(void **st)
{
    (void)st;
    dt_robust("auditd", audit_cases, VG_ARRAY_LEN(audit_cases));
    dt_robust("audit", audit_cases, VG_ARRAY_LEN(audit_cases));
}
static void test_access_robust(void **st)
{
    (void)st;
    dt_robust("accesslog", access_cases, VG_ARRAY_LEN(access_cases));
    dt_robust("accesslog-syslog", access_cases, VG_ARRAY_LEN(access_cases));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fw_table),  cmocka_unit_test(test_audit_table),  cmocka_unit_test(test_access_table),
        cmocka_unit_test(test_fw_robust), cmocka_unit_test(test_audit_robust), cmocka_unit_test(test_access_robust),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
