/* Unit tests of the PROGRAM decoders for sudo, su, PAM, shadow-utils, cron
 * and systemd-logind: one table per decoder, run through the whole chain,
 * plus hostile input fed to each decoder directly. */
#include "dec_test.h"

#define T "Jun 25 15:51:13 precise32 "
static const struct dt_case sudo_cases[] = {
    {T "sudo:     dcid : TTY=pts/4 ; PWD=/home/dcid ; USER=root ; COMMAND=/usr/bin/tail /var/log/snort/alert.fast",
     "rfc3164+sudo", 0,
     {{"user.name", "dcid"}, {"user.target.name", "root"}, {"sudo.tty", "pts/4"}, {"process.working_directory", "/home/dcid"},
      {"process.command_line", "/usr/bin/tail /var/log/snort/alert.fast"}, {"process.executable", "/usr/bin/tail"},
      {"event.action", "sudo_command"}, {"event.outcome", "success"}}},
    {T "sudo:     mike : 3 incorrect password attempts ; TTY=pts/0 ; PWD=/root ; USER=root ; COMMAND=/bin/ls", "rfc3164+sudo", 0,
     {{"sudo.attempts", "3"}, {"event.action", "sudo_auth_failure"}, {"event.outcome", "failure"}}},
    {T "sudo:     ddp2 : user NOT in sudoers ; TTY=ttypZ ; PWD=/home/ddp2 ; USER=root ; COMMAND=/bin/ls", "rfc3164+sudo", 0,
     {{"event.action", "sudo_not_in_sudoers"}, {"user.name", "ddp2"}}},
    {T "sudo[991]: alice : TTY=pts/1 ; PWD=/ ; USER=root ; GROUP=wheel ; ENV=A=b ; COMMAND=/bin/sh -c 'a ; b'", "rfc3164+sudo", 0,
     {{"sudo.group", "wheel"}, {"process.command_line", "/bin/sh -c 'a ; b'"}}},
    {T "sudo: pam_unix(sudo:session): session opened for user root(uid=0) by alice(uid=1000)", "rfc3164+pam", 0,
     {{"user.name", "root"}, {"pam.by", "alice"}, {"pam.by_uid", "1000"}}},
    {T "sudo: alice : something else entirely", "rfc3164", 0, {{"user.name", NULL}}},
};

static const struct dt_case su_cases[] = {
    {T "su[123]: (to root) alice on pts/0", "rfc3164+su", 0,
     {{"user.name", "alice"}, {"user.target.name", "root"}, {"su.tty", "pts/0"}, {"event.outcome", "success"},
      {"event.action", "su_switch_user"}}},
    {T "su: FAILED SU (to root) mmoorcro on pts/0", "rfc3164+su", 0, {{"user.name", "mmoorcro"}, {"event.outcome", "failure"}}},
    {T "su: Successful su for root by alice", "rfc3164+su", 0, {{"user.name", "alice"}, {"user.target.name", "root"}}},
    {T "su: FAILED su for postgres by bob", "rfc3164+su", 0, {{"user.target.name", "postgres"}, {"event.outcome", "failure"}}},
    {T "su[234]: BAD SU ger to fwmaster on /dev/ttyp0", "rfc3164+su", 0, {{"user.name", "ger"}, {"event.outcome", "failure"}}},
    {T "su: dcid to root on /dev/ttyp1", "rfc3164+su", 0, {{"user.name", "dcid"}, {"su.tty", "/dev/ttyp1"}}},
    {T "su: + pts/3 alice:root", "rfc3164+su", 0, {{"user.name", "alice"}, {"user.target.name", "root"}, {"event.outcome", "success"}}},
    {T "su[2921936]: failed: ttyq4 changing from ldap to root", "rfc3164+su", 0,
     {{"user.name", "ldap"}, {"user.target.name", "root"}, {"su.tty", "ttyq4"}}},
    {T "su: (to root", "rfc3164", 0, {{"user.name", NULL}}},
};

static const struct dt_case pam_cases[] = {
    {T "sshd[1]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=218.188.2.4  user=root",
     "rfc3164+pam", 0,
     {{"user.name", "root"}, {"source.ip", "218.188.2.4"}, {"pam.tty", "ssh"}, {"pam.module", "pam_unix"},
      {"pam.type", "auth"}, {"event.action", "pam_authentication_failure"}, {"event.outcome", "failure"}}},
    {T "sshd[1]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=bad.host.example",
     "rfc3164+pam", 0, {{"source.ip", NULL}, {"source.domain", "bad.host.example"}, {"user.name", NULL}}},
    {T "sshd(pam_unix)[19937]: check pass; user unknown", "rfc3164+pam", 0,
     {{"event.action", "pam_user_unknown"}, {"pam.module", "pam_unix"}, {"process.name", "sshd"}}},
    {T "login[9]: pam_unix(login:session): session opened for user bob by LOGIN(uid=0)", "rfc3164+pam", 0,
     {{"user.name", "bob"}, {"pam.by", "LOGIN"}, {"event.category", "session"}}},
    {T "CRON[5]: pam_unix(cron:session): session closed for user root", "rfc3164+pam", 0, {{"event.action", "session_closed"}}},
    {T "passwd[5]: pam_unix(passwd:chauthtok): password changed for bob", "rfc3164+pam", 0,
     {{"event.action", "password_changed"}, {"user.name", "bob"}, {"event.category", "iam"}}},
    {T "sshd[5]: pam_faillock(sshd:auth): Consecutive login failures for user root account temporarily locked", "rfc3164+pam", 0,
     {{"event.action", "pam_account_locked"}, {"user.name", "root"}}},
    {T "sshd[5]: pam_systemd(sshd:session): Failed to create session: Access denied", "rfc3164+pam", 0,
     {{"event.action", "pam_message"}, {"pam.module", "pam_systemd"}}},
    {T "sudo[5]: pam_sss(sudo:auth): authentication success; logname=alice uid=1000 euid=0 tty=/dev/pts/1 ruser=alice rhost= user=alice",
     "rfc3164+pam", 0, {{"event.outcome", "success"}, {"pam.ruser", "alice"}}},
    {T "sshd[5]: pam_unix(sshd", "rfc3164", 0, {{"event.action", NULL}}},
};

static const struct dt_case shadow_cases[] = {
    {T "useradd[1]: new user: name=bob, UID=1001, GID=1001, home=/home/bob, shell=/bin/bash, from=/dev/pts/0", "rfc3164+shadow", 0,
     {{"user.name", "bob"}, {"user.id", "1001"}, {"group.id", "1001"}, {"shadow.home", "/home/bob"}, {"shadow.shell", "/bin/bash"},
      {"event.action", "user_created"}, {"event.category", "iam"}, {"event.outcome", "success"}}},
    {T "groupadd[2]: new group: name=devs, GID=1002", "rfc3164+shadow", 0, {{"group.name", "devs"}, {"event.action", "group_created"}}},
    {T "groupadd[2]: group added to /etc/group: name=devs, GID=1002", "rfc3164+shadow", 0, {{"shadow.file", "/etc/group"}}},
    {T "usermod[3]: add 'bob' to group 'sudo'", "rfc3164+shadow", 0,
     {{"user.name", "bob"}, {"group.name", "sudo"}, {"event.action", "group_member_added"}}},
    {T "usermod[3]: add 'bob' to shadow group 'sudo'", "rfc3164+shadow", 0, {{"group.name", "sudo"}}},
    {T "usermod[3]: change user 'bob' shell from '/bin/sh' to '/bin/zsh'", "rfc3164+shadow", 0,
     {{"user.name", "bob"}, {"shadow.field", "shell"}, {"shadow.old_value", "/bin/sh"}, {"shadow.new_value", "/bin/zsh"}}},
    {T "usermod[3]: change user name 'bob' to 'robert'", "rfc3164+shadow", 0, {{"user.name", "robert"}, {"shadow.old_value", "bob"}}},
    {T "usermod[3]: lock user 'bob' password", "rfc3164+shadow", 0, {{"event.action", "user_locked"}}},
    {T "userdel[4]: delete user 'bob'", "rfc3164+shadow", 0, {{"event.action", "user_deleted"}, {"user.name", "bob"}}},
    {T "userdel[4]: removed group 'bob' owned by 'bob'", "rfc3164+shadow", 0, {{"event.action", "group_deleted"}, {"group.name", "bob"}}},
    {T "groupdel[4]: group 'devs' removed from /etc/group", "rfc3164+shadow", 0, {{"group.name", "devs"}}},
    {T "groupmod[4]: group changed in /etc/group (group devs/1002, new name: eng)", "rfc3164+shadow", 0,
     {{"group.name", "devs"}, {"group.id", "1002"}, {"shadow.new_value", "eng"}, {"event.action", "group_modified"}}},
    {T "passwd[5]: password for 'bob' changed by 'root'", "rfc3164+shadow", 0,
     {{"user.name", "bob"}, {"user.effective.name", "root"}, {"event.action", "password_changed"}}},
    {T "gpasswd[6]: user bob added by root to group docker", "rfc3164+shadow", 0, {{"group.name", "docker"}, {"user.name", "bob"}}},
    {T "chage[7]: changed password expiry for bob", "rfc3164+shadow", 0, {{"event.action", "user_modified"}}},
    {T "useradd[15178]: failed adding user 'ansible', data deleted", "rfc3164+shadow", 0,
     {{"event.outcome", "failure"}, {"user.name", "ansible"}}},
    {T "useradd[1]: something unheard of", "rfc3164", 0, {{"event.action", NULL}}},
};

static const struct dt_case cron_cases[] = {
    {T "CRON[4321]: (root) CMD (cd / && run-parts --report /etc/cron.hourly)", "rfc3164+cron", 0,
     {{"user.name", "root"}, {"process.command_line", "cd / && run-parts --report /etc/cron.hourly"},
      {"event.action", "cron_command"}, {"cron.verb", "CMD"}}},
    {T "CROND[1]: (alice) CMD (echo (nested) )", "rfc3164+cron", 0, {{"process.command_line", "echo (nested) "}}},
    {T "cron[1]: (CRON) INFO (pidfile fd = 3)", "rfc3164+cron", 0, {{"user.name", NULL}, {"event.action", "cron_info"}}},
    {T "cron[1]: (*system*) RELOAD (/etc/crontab)", "rfc3164+cron", 0, {{"event.action", "cron_reload"}, {"cron.detail", "/etc/crontab"}}},
    {T "crontab[1]: (bob) BEGIN EDIT (bob)", "rfc3164+cron", 0, {{"event.action", "cron_edit"}, {"user.name", "bob"}}},
    {T "cron[1]: no parens here", "rfc3164", 0, {{"event.action", NULL}}},
};

static const struct dt_case logind_cases[] = {
    {T "systemd-logind[812]: New session 3 of user alice.", "rfc3164+logind", 0,
     {{"user.name", "alice"}, {"logind.session_id", "3"}, {"event.action", "session_created"}, {"event.category", "session"}}},
    {T "systemd-logind[812]: Removed session 3.", "rfc3164+logind", 0, {{"logind.session_id", "3"}, {"event.action", "session_removed"}}},
    {T "systemd-logind[812]: Session c1 logged out. Waiting for processes to exit.", "rfc3164+logind", 0,
     {{"logind.session_id", "c1"}, {"event.action", "session_logout"}}},
    {T "systemd-logind[812]: New seat seat0.", "rfc3164+logind", 0, {{"logind.seat", "seat0"}}},
    {T "systemd-logind[812]: Watching system buttons on /dev/input/event0", "rfc3164", 0, {{"event.action", NULL}}},
};

#define TABLE(name, dec)                                                                 \
    static void test_##name##_table(void **st) { (void)st; dt_run(name##_cases, VG_ARRAY_LEN(name##_cases)); } \
    static void test_##name##_robust(void **st) { (void)st; dt_robust(dec, name##_cases, VG_ARRAY_LEN(name##_cases)); }
TABLE(sudo, "sudo")
TABLE(su, "su")
TABLE(pam, "pam")
TABLE(shadow, "shadow")
TABLE(cron, "cron")
TABLE(logind, "logind")

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sudo_table),   cmocka_unit_test(test_su_table),     cmocka_unit_test(test_pam_table),
        cmocka_unit_test(test_shadow_table), cmocka_unit_test(test_cron_table),   cmocka_unit_test(test_logind_table),
        cmocka_unit_test(test_sudo_robust),  cmocka_unit_test(test_su_robust),    cmocka_unit_test(test_pam_robust),
        cmocka_unit_test(test_shadow_robust), cmocka_unit_test(test_cron_robust), cmocka_unit_test(test_logind_robust),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
