/* Unit tests of the sshd PROGRAM decoder (through the whole chain) and its
 * behaviour on hostile input. */
#include "dec_test.h"

#define H "Dec 10 06:55:46 srv sshd[24200]: "
static const struct dt_case cases[] = {
    {H "Accepted password for alice from 10.0.0.1 port 5022 ssh2", "rfc3164+sshd", 0,
     {{"user.name", "alice"}, {"source.ip", "10.0.0.1"}, {"source.port", "5022"}, {"sshd.method", "password"},
      {"event.action", "ssh_login"}, {"event.outcome", "success"}, {"event.category", "authentication"},
      {"sshd.protocol", "ssh2"}}},
    {H "Accepted publickey for root from 2001:db8::1 port 22 ssh2: RSA SHA256:abcdEF", "rfc3164+sshd", 0,
     {{"user.name", "root"}, {"source.ip", "2001:db8::1"}, {"sshd.key_type", "RSA"}, {"sshd.fingerprint", "SHA256:abcdEF"}}},
    {H "Failed password for invalid user sammy from 82.202.219.155 port 51676 ssh2", "rfc3164+sshd", 0,
     {{"user.name", "sammy"}, {"sshd.invalid_user", "true"}, {"event.outcome", "failure"}, {"source.port", "51676"}}},
    {H "Failed password for invalid user  from 1.2.3.4 port 9 ssh2", "rfc3164+sshd", 0,
     {{"user.name", NULL}, {"source.ip", "1.2.3.4"}}},
    {H "Failed keyboard-interactive/pam for invalid user warez from 192.241.237.101 port 54197 ssh2", "rfc3164+sshd", 0,
     {{"sshd.method", "keyboard-interactive/pam"}, {"user.name", "warez"}}},
    {H "Postponed keyboard-interactive for invalid user warez from 192.241.237.101 port 54197 ssh2 [preauth]", "rfc3164+sshd", 0,
     {{"event.action", "ssh_login_postponed"}, {"sshd.stage", "preauth"}, {"event.outcome", NULL}}},
    {H "Invalid user webmaster from 173.234.31.186", "rfc3164+sshd", 0,
     {{"user.name", "webmaster"}, {"event.action", "ssh_invalid_user"}, {"source.ip", "173.234.31.186"}}},
    {H "input_userauth_request: invalid user webmaster [preauth]", "rfc3164+sshd", 0, {{"user.name", "webmaster"}}},
    {H "Connection closed by 10.0.2.2 port 55462 [preauth]", "rfc3164+sshd", 0,
     {{"source.ip", "10.0.2.2"}, {"event.action", "ssh_connection_closed"}}},
    {H "Connection closed by authenticating user root 1.2.3.4 port 41 [preauth]", "rfc3164+sshd", 0,
     {{"user.name", "root"}, {"source.ip", "1.2.3.4"}, {"source.port", "41"}}},
    {H "Connection reset by invalid user admin 5.6.7.8 port 1 [preauth]", "rfc3164+sshd", 0,
     {{"user.name", "admin"}, {"event.action", "ssh_connection_reset"}}},
    {H "Disconnected from user alice 172.18.1.100 port 43042", "rfc3164+sshd", 0,
     {{"user.name", "alice"}, {"source.ip", "172.18.1.100"}, {"event.action", "ssh_disconnected"}}},
    {H "Received disconnect from 112.95.230.3: 11: Bye Bye [preauth]", "rfc3164+sshd", 0,
     {{"source.ip", "112.95.230.3"}, {"sshd.reason", "11: Bye Bye"}}},
    {H "Received disconnect from 1.2.3.4 port 22:11: disconnected by user", "rfc3164+sshd", 0,
     {{"source.ip", "1.2.3.4"}, {"source.port", "22"}}},
    {H "reverse mapping checking getaddrinfo for ns.example.com [173.234.31.186] failed - POSSIBLE BREAK-IN ATTEMPT!",
     "rfc3164+sshd", 0, {{"source.ip", "173.234.31.186"}, {"source.domain", "ns.example.com"}}},
    {H "Address 192.168.18.54 maps to nmap.example, but this does not map back to the address - POSSIBLE BREAK-IN ATTEMPT!",
     "rfc3164+sshd", 0, {{"source.ip", "192.168.18.54"}, {"event.action", "ssh_reverse_mapping_failed"}}},
    {H "error: maximum authentication attempts exceeded for invalid user badguy from 192.168.33.1 port 55146 ssh2 [preauth]",
     "rfc3164+sshd", 0, {{"user.name", "badguy"}, {"sshd.level", "error"}, {"event.action", "ssh_max_auth_exceeded"}}},
    {H "error: maximum authentication attempts exceeded for root from 183.106.179.x port 34100 ssh2 [preauth]",
     "rfc3164+sshd", 0, {{"source.ip", NULL}, {"source.address", "183.106.179.x"}, {"user.name", "root"}}},
    {H "Did not receive identification string from 172.18.1.1 port 45824", "rfc3164+sshd", 0, {{"source.ip", "172.18.1.1"}}},
    {H "Bad protocol version identification 'ls' from 172.18.1.1 port 59920", "rfc3164+sshd", 0, {{"source.port", "59920"}}},
    {H "User root from 192.168.33.1 not allowed because not listed in AllowUsers", "rfc3164+sshd", 0,
     {{"user.name", "root"}, {"event.outcome", "failure"}}},
    {H "error: PAM: Authentication failure for illegal user badguy from 192.168.33.1", "rfc3164+sshd", 0,
     {{"user.name", "badguy"}, {"event.action", "ssh_pam_failure"}}},
    {H "PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=202.100.179.208  user=root",
     "rfc3164+sshd", 0, {{"user.name", "root"}, {"source.ip", "202.100.179.208"}, {"sshd.count", "2"}}},
    {H "fatal: Unable to negotiate with 202.191.177.33 port 3579: no matching cipher found. Their offer: 3des-cbc [preauth]",
     "rfc3164+sshd", 0, {{"source.ip", "202.191.177.33"}, {"event.action", "ssh_negotiation_failed"}}},
    {H "refused connect from host.example (103.79.143.159)", "rfc3164+sshd", 0, {{"source.ip", "103.79.143.159"}}},
    {H "pam_unix(sshd:session): session opened for user alice(uid=1000) by (uid=0)", "rfc3164+pam", 0,
     {{"user.name", "alice"}, {"user.id", "1000"}, {"event.action", "session_opened"}, {"pam.service", "sshd"}}},
    {H "Corrupted MAC on input. [preauth]", "rfc3164+sshd", 0, {{"event.action", "ssh_protocol_error"}}},
    {H "debug1: get_remote_port failed", "rfc3164+sshd", 0, {{"event.action", "ssh_debug"}}},
    /* not understood by the sshd decoder: syslog fields stay, no +sshd */
    {H "Server weird thing nobody logs", "rfc3164", 0, {{"event.action", NULL}, {"process.name", "sshd"}}},
    {H "Accepted", "rfc3164", 0, {{"event.action", NULL}}},
    {H "Failed password for", "rfc3164", 0, {{"user.name", NULL}}},
};

static void test_sshd_table(void **st) { (void)st; dt_run(cases, VG_ARRAY_LEN(cases)); }
static void test_sshd_robust(void **st) { (void)st; dt_robust("sshd", cases, VG_ARRAY_LEN(cases)); }

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_sshd_table), cmocka_unit_test(test_sshd_robust)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
