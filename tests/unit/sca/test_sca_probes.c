/* Each hardening probe against a fixture root built in a temp dir: one
 * passing and one failing instance per probe (and not-applicable / error
 * edges), with evidence checked where it matters. */
#include "fixture.h"

static char root[256];

static const char policy_text[] =
    "policy: {id: probes, name: Probe tests, version: '1'}\n"
    "checks:\n"
#define CK(id, cond) "  - {id: " id ", title: t, rationale: r, remediation: m, severity: low, references: {cis: ['1']}, condition: " cond "}\n"
    CK("exists-pass", "{file_exists: {path: /etc/os-release}}")
    CK("exists-fail", "{file_exists: {path: /etc/nope}}")
    CK("exists-not", "{file_exists: {path: /etc/nope, exists: false}}")
    CK("exists-glob", "{file_exists: {path: '/etc/sysctl.d/*.conf'}}")
    CK("exists-dir", "{file_exists: {path: /etc, type: dir}}")
    CK("mode-pass", "{file_mode: {path: /etc/shadow, max: '0640'}}")
    CK("mode-fail", "{file_mode: {path: /etc/world, max: '0644'}}")
    CK("mode-missing-na", "{file_mode: {path: /etc/none, max: '0644', missing: na}}")
    CK("mode-missing-fail", "{file_mode: {path: /etc/none, max: '0644'}}")
    CK("mode-sticky-pass", "{file_mode: {path: /tmp, has: '1000'}}")
    CK("mode-sticky-fail", "{file_mode: {path: /etc, has: '1000'}}")
    CK("owner-pass", "{file_owner: {path: /etc/passwd, user: root, group: [root, shadow]}}")
    CK("owner-fail", "{file_owner: {path: /etc/passwd, user: alice}}")
    CK("content-pass", "{file_content: {path: /etc/ssh/sshd_config, match: '^PermitRootLogin\\s+no'}}")
    CK("content-comment", "{file_content: {path: /etc/ssh/sshd_config, match: 'PermitEmptyPasswords yes'}}")
    CK("content-nocomment", "{file_content: {path: /etc/ssh/sshd_config, match: 'PermitEmptyPasswords yes', comments: ''}}")
    CK("content-nomatch-fail", "{file_content: {path: /etc/sudoers, no_match: 'NOPASSWD'}}")
    CK("content-missing", "{file_content: {path: /etc/none, match: x}}")
    CK("dir-pass", "{dir_files: {path: /etc/cron.d, max: '0644'}}")
    CK("dir-fail", "{dir_files: {path: /etc/sysctl.d, max: '0600'}}")
    CK("dir-recursive-fail", "{dir_files: {path: /var/log, recursive: true, max: '0775'}}")
    CK("dir-missing", "{dir_files: {path: /nonexistent, max: '0644'}}")
    CK("cmd-na", "{command_output: {argv: [uname, -s], match: Linux}}")
    CK("sysctl-config-pass", "{sysctl: {key: net.ipv4.ip_forward, value: '0'}}")
    CK("sysctl-config-fail", "{sysctl: {key: kernel.randomize_va_space, value: '2'}}")
    CK("sysctl-override", "{sysctl: {key: net.ipv4.tcp_syncookies, value: '1'}}")
    CK("sysctl-glob", "{sysctl: {key: net.ipv4.conf.eth0.rp_filter, value: '1'}}")
    CK("sysctl-runtime", "{sysctl: {key: kernel.kptr_restrict, op: ge, value: '1'}}")
    CK("sysctl-unset", "{sysctl: {key: kernel.dmesg_restrict, value: '1'}}")
    CK("pkg-installed", "{package: {name: openssh-server}}")
    CK("pkg-removed", "{package: {name: telnetd}}")
    CK("pkg-absent", "{package: {name: [telnetd, rsh-client], state: absent}}")
    CK("pkg-absent-fail", "{package: {name: [nis, openssh-server], state: absent}}")
    CK("pkg-unpacked", "{package: {name: lynx}}")
    CK("svc-enabled", "{service: {name: ssh}}")
    CK("svc-enabled-fail", "{service: {name: auditd}}")
    CK("svc-disabled", "{service: {name: cups, state: disabled}}")
    CK("svc-masked", "{service: {name: avahi-daemon, state: masked}}")
    CK("svc-running-na", "{service: {name: ssh, state: running}}")
    CK("sshd-pass", "{sshd_config: {key: PermitRootLogin, value: 'no'}}")
    CK("sshd-default", "{sshd_config: {key: MaxAuthTries, op: le, value: '4'}}")
    CK("sshd-include", "{sshd_config: {key: X11Forwarding, value: 'no'}}")
    CK("sshd-match-ignored", "{sshd_config: {key: PasswordAuthentication, value: 'no'}}")
    CK("sshd-time", "{sshd_config: {key: LoginGraceTime, op: le, value: '60'}}")
    CK("sshd-macs", "{sshd_config: {key: MACs, op: none_of, value: [hmac-sha1, hmac-md5]}}")
    CK("logindefs-pass", "{login_defs: {key: PASS_MAX_DAYS, op: le, value: '365'}}")
    CK("logindefs-fail", "{login_defs: {key: PASS_MIN_DAYS, op: ge, value: '1'}}")
    CK("logindefs-default", "{login_defs: {key: PASS_WARN_AGE, op: ge, value: '7', default: '7'}}")
    CK("pam-present", "{pam: {file: common-password, module: pam_pwquality.so, type: password}}")
    CK("pam-minlen-arg", "{pam: {file: common-password, module: pam_pwquality.so, setting: retry, op: le, value: '3'}}")
    CK("pam-minlen-conf", "{pam: {file: common-password, module: pam_pwquality.so, setting: minlen, op: ge, value: '14', conf: [/etc/security/pwquality.conf]}}")
    CK("pam-nullok-fail", "{pam: {file: common-auth, module: pam_unix.so, args_absent: [nullok]}}")
    CK("pam-include", "{pam: {file: login, module: pam_unix, type: auth}}")
    CK("pam-absent", "{pam: {file: common-auth, module: pam_rhosts.so, present: false}}")
    CK("pam-args-present", "{pam: {file: common-password, module: pam_unix.so, args_present: [yescrypt, use_authtok]}}")
    CK("acct-uid0-fail", "{accounts: {check: uid0_only_root}}")
    CK("acct-uid0-allow", "{accounts: {check: uid0_only_root, allow: [toor]}}")
    CK("acct-empty-fail", "{accounts: {check: no_empty_passwords}}")
    CK("acct-shadowed", "{accounts: {check: shadowed_passwords}}")
    CK("acct-locked-fail", "{accounts: {check: locked_without_hash}}")
    CK("acct-sysshell-fail", "{accounts: {check: system_no_login_shell}}")
    CK("acct-dupuid-fail", "{accounts: {check: unique_uids}}")
    CK("acct-dupname", "{accounts: {check: unique_user_names}}")
    CK("acct-groups", "{accounts: {check: groups_exist}}")
    CK("acct-shadowgrp-fail", "{accounts: {check: shadow_group_empty}}")
    CK("mount-pass", "{mount: {path: /tmp, options: [nodev, nosuid]}}")
    CK("mount-fail", "{mount: {path: /home, options: [nodev, nosuid]}}")
    CK("mount-na", "{mount: {path: /var/tmp, options: [nodev]}}")
    CK("not-pass", "{not: {file_exists: {path: /etc/nope}}}")
    CK("all-fail", "{all: [{file_exists: {path: /etc/passwd}}, {file_exists: {path: /etc/nope}}]}")
    CK("any-pass", "{any: [{file_exists: {path: /etc/nope}}, {file_exists: {path: /etc/passwd}}]}")
    CK("all-na", "{all: [{mount: {path: /srv, options: [nodev]}}, {command_output: {argv: [true], exit_code: 0}}]}")
    "  - {id: applies-na, title: t, rationale: r, remediation: m, severity: high, references: {nist_800_53: [CM-6]},\n"
    "     applies_if: {package: {name: nis}}, condition: {file_exists: {path: /etc/nope}}}\n"
    "  - {id: applies-run, title: t, rationale: r, remediation: m, severity: critical, references: {hipaa: ['164.312(b)']},\n"
    "     applies_if: {package: {name: openssh-server}}, condition: {file_exists: {path: /etc/nope}}}\n";

static void build(void)
{
    fx_root(root, sizeof root);
    fx_base(root);
    /* a UID-0 extra account, an empty password, an unlocked hashless account, a system account with a shell,
       a duplicate UID, shadow group members */
    char pw[2048];
    unsigned uid = (unsigned)getuid(), gid = (unsigned)getgid();
    snprintf(pw, sizeof pw,
             "root:x:%u:%u:root:/root:/bin/bash\ntoor:x:0:%u::/root:/bin/sh\ndaemon:x:1:1::/usr/sbin:/usr/sbin/nologin\n"
             "games:x:5:60::/usr/games:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/bash\nbob:x:1000:1000::/home/bob:/bin/bash\n",
             uid, gid, gid);
    fx_write(root, "etc/passwd", pw, 0644);
    char gr[512];
    snprintf(gr, sizeof gr, "root:x:%u:\ndaemon:x:1:\ngames:x:60:\nshadow:x:42:alice\nalice:x:1000:\n", gid);
    fx_write(root, "etc/group", gr, 0644);
    fx_write(root, "etc/shadow", "root:$y$abc:1::::::\ntoor::1::::::\ndaemon:*:1::::::\ngames:plain:1::::::\nalice:!:1::::::\nbob:!$6$x:1::::::\n", 0640);
    fx_write(root, "etc/world", "x\n", 0666);
    fx_dir(root, "tmp", 01777);
    fx_write(root, "etc/ssh/sshd_config",
             "# PermitEmptyPasswords yes\nInclude /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin no\nPermitRootLogin yes\n"
             "LoginGraceTime 1m\nMACs hmac-sha2-512,hmac-sha2-256\nMatch User alice\n  PasswordAuthentication no\n",
             0600);
    fx_write(root, "etc/ssh/sshd_config.d/10-x11.conf", "X11Forwarding no\n", 0644);
    fx_write(root, "etc/sudoers", "root ALL=(ALL) ALL\n%wheel ALL=(ALL) NOPASSWD: ALL\n", 0440);
    fx_write(root, "etc/cron.d/job", "* * * * * root true\n", 0644);
    fx_write(root, "etc/sysctl.d/10-net.conf", "net.ipv4.ip_forward = 0\nnet.ipv4.tcp_syncookies=0\nnet.ipv4.conf.*.rp_filter = 1\n", 0644);
    fx_write(root, "etc/sysctl.d/90-override.conf", "net.ipv4.tcp_syncookies = 1\n", 0644);
    fx_write(root, "etc/sysctl.conf", "kernel.randomize_va_space = 0\n", 0644);
    fx_write(root, "proc/sys/kernel/kptr_restrict", "1\n", 0644);
    fx_dir(root, "var/log/apt", 0755);
    fx_write(root, "var/log/apt/history.log", "x\n", 0666);
    fx_write(root, "var/lib/dpkg/status",
             "Package: openssh-server\nStatus: install ok installed\nVersion: 1:9.2p1-2\n\n"
             "Package: telnetd\nStatus: deinstall ok config-files\nVersion: 0.17-44\n\n"
             "Package: cups\nStatus: install ok installed\nVersion: 2.4.2-3+deb12u5\n\n"
             "Package: nis\nStatus: purge ok not-installed\n\n"
             "Package: lynx\nStatus: install ok unpacked\nVersion: 2.9.0dev.12-1\n",
             0644);
    fx_symlink(root, "etc/systemd/system/multi-user.target.wants/ssh.service", "/lib/systemd/system/ssh.service");
    fx_symlink(root, "etc/systemd/system/avahi-daemon.service", "/dev/null");
    fx_write(root, "etc/login.defs", "# comment\nPASS_MAX_DAYS\t90\nPASS_MIN_DAYS 0\n", 0644);
    fx_write(root, "etc/pam.d/common-password",
             "password requisite pam_pwquality.so retry=3\npassword [success=1 default=ignore] pam_unix.so obscure use_authtok yescrypt\n",
             0644);
    fx_write(root, "etc/pam.d/common-auth", "auth [success=1 default=ignore] pam_unix.so nullok\nauth requisite pam_deny.so\n", 0644);
    fx_write(root, "etc/pam.d/login", "auth optional pam_faildelay.so delay=3000000\n@include common-auth\n", 0644);
    fx_write(root, "etc/security/pwquality.conf", "# minlen = 8\nminlen = 14\n", 0644);
    fx_write(root, "etc/fstab", "UUID=1 / ext4 defaults 0 1\ntmpfs /tmp tmpfs defaults,nodev,nosuid 0 0\n/dev/sdb1 /home/ ext4 defaults,nodev 0 2\n", 0644);
}

static void test_probes(void **state)
{
    (void)state;
    build();
    struct vg_sca_policy *p = fx_policy(policy_text);
    struct vg_sca_report *r = fx_run(p, root);
    assert_true(r->platform_match);
    FX_EXPECT(r, "exists-pass", VG_SCA_PASS);
    FX_EXPECT(r, "exists-fail", VG_SCA_FAIL);
    FX_EXPECT(r, "exists-not", VG_SCA_PASS);
    FX_EXPECT(r, "exists-glob", VG_SCA_PASS);
    FX_EXPECT(r, "exists-dir", VG_SCA_PASS);
    FX_EXPECT(r, "mode-pass", VG_SCA_PASS);
    FX_EXPECT(r, "mode-fail", VG_SCA_FAIL);
    assert_non_null(strstr(fx_result(r, "mode-fail")->evidence, "/etc/world has mode 0666"));
    FX_EXPECT(r, "mode-missing-na", VG_SCA_NA);
    FX_EXPECT(r, "mode-missing-fail", VG_SCA_FAIL);
    FX_EXPECT(r, "mode-sticky-pass", VG_SCA_PASS);
    FX_EXPECT(r, "mode-sticky-fail", VG_SCA_FAIL);
    FX_EXPECT(r, "owner-pass", VG_SCA_PASS);
    FX_EXPECT(r, "owner-fail", VG_SCA_FAIL);
    assert_non_null(strstr(fx_result(r, "owner-fail")->evidence, "is owned by root"));
    FX_EXPECT(r, "content-pass", VG_SCA_PASS);
    assert_non_null(strstr(fx_result(r, "content-pass")->evidence, "/etc/ssh/sshd_config:3: PermitRootLogin no"));
    FX_EXPECT(r, "content-comment", VG_SCA_FAIL);
    FX_EXPECT(r, "content-nocomment", VG_SCA_PASS);
    FX_EXPECT(r, "content-nomatch-fail", VG_SCA_FAIL);
    assert_non_null(strstr(fx_result(r, "content-nomatch-fail")->evidence, "/etc/sudoers:2:"));
    FX_EXPECT(r, "content-missing", VG_SCA_FAIL);
    FX_EXPECT(r, "dir-pass", VG_SCA_PASS);
    FX_EXPECT(r, "dir-fail", VG_SCA_FAIL);
    FX_EXPECT(r, "dir-recursive-fail", VG_SCA_FAIL);
    assert_non_null(strstr(fx_result(r, "dir-recursive-fail")->evidence, "/var/log/apt/history.log has mode 0666"));
    FX_EXPECT(r, "dir-missing", VG_SCA_NA);
    FX_EXPECT(r, "cmd-na", VG_SCA_NA);
    FX_EXPECT(r, "sysctl-config-pass", VG_SCA_PASS);
    FX_EXPECT(r, "sysctl-config-fail", VG_SCA_FAIL);
    assert_non_null(strstr(fx_result(r, "sysctl-config-fail")->evidence, "kernel.randomize_va_space = 0 (from /etc/sysctl.conf line 1)"));
    FX_EXPECT(r, "sysctl-override", VG_SCA_PASS);
    FX_EXPECT(r, "sysctl-glob", VG_SCA_PASS);
    FX_EXPECT(r, "sysctl-runtime", VG_SCA_PASS);
    assert_non_null(strstr(fx_result(r, "sysctl-runtime")->evidence, "(running)"));
    FX_EXPECT(r, "sysctl-unset", VG_SCA_FAIL);
    FX_EXPECT(r, "pkg-installed", VG_SCA_PASS);
    FX_EXPECT(r, "pkg-removed", VG_SCA_FAIL);
    FX_EXPECT(r, "pkg-absent", VG_SCA_PASS);
    FX_EXPECT(r, "pkg-absent-fail", VG_SCA_FAIL);
    FX_EXPECT(r, "pkg-unpacked", VG_SCA_PASS);
    FX_EXPECT(r, "svc-enabled", VG_SCA_PASS);
    FX_EXPECT(r, "svc-enabled-fail", VG_SCA_FAIL);
    FX_EXPECT(r, "svc-disabled", VG_SCA_PASS);
    FX_EXPECT(r, "svc-masked", VG_SCA_PASS);
    FX_EXPECT(r, "svc-running-na", VG_SCA_NA);
    FX_EXPECT(r, "sshd-pass", VG_SCA_PASS);
    assert_non_null(strstr(fx_result(r, "sshd-pass")->evidence, "PermitRootLogin no (from /etc/ssh/sshd_config line 3)"));
    FX_EXPECT(r, "sshd-default", VG_SCA_FAIL);
    assert_non_null(strstr(fx_result(r, "sshd-default")->evidence, "MaxAuthTries 6 (OpenSSH default)"));
    FX_EXPECT(r, "sshd-include", VG_SCA_PASS);
    assert_non_null(strstr(fx_result(r, "sshd-include")->evidence, "10-x11.conf line 1"));
    FX_EXPECT(r, "sshd-match-ignored", VG_SCA_FAIL);
    FX_EXPECT(r, "sshd-time", VG_SCA_PASS);
    FX_EXPECT(r, "sshd-macs", VG_SCA_PASS);
    FX_EXPECT(r, "logindefs-pass", VG_SCA_PASS);
    FX_EXPECT(r, "logindefs-fail", VG_SCA_FAIL);
    FX_EXPECT(r, "logindefs-default", VG_SCA_PASS);
    FX_EXPECT(r, "pam-present", VG_SCA_PASS);
    FX_EXPECT(r, "pam-minlen-arg", VG_SCA_PASS);
    FX_EXPECT(r, "pam-minlen-conf", VG_SCA_PASS);
    assert_non_null(strstr(fx_result(r, "pam-minlen-conf")->evidence, "minlen=14 (from /etc/security/pwquality.conf line 2)"));
    FX_EXPECT(r, "pam-nullok-fail", VG_SCA_FAIL);
    FX_EXPECT(r, "pam-include", VG_SCA_PASS);
    FX_EXPECT(r, "pam-absent", VG_SCA_PASS);
    FX_EXPECT(r, "pam-args-present", VG_SCA_PASS);
    FX_EXPECT(r, "acct-uid0-fail", VG_SCA_FAIL);
    assert_non_null(strstr(fx_result(r, "acct-uid0-fail")->evidence, "toor has UID 0"));
    FX_EXPECT(r, "acct-uid0-allow", VG_SCA_PASS);
    FX_EXPECT(r, "acct-empty-fail", VG_SCA_FAIL);
    assert_non_null(strstr(fx_result(r, "acct-empty-fail")->evidence, "toor has an empty password in /etc/shadow"));
    FX_EXPECT(r, "acct-shadowed", VG_SCA_PASS);
    FX_EXPECT(r, "acct-locked-fail", VG_SCA_FAIL);
    assert_non_null(strstr(fx_result(r, "acct-locked-fail")->evidence, "games"));
    FX_EXPECT(r, "acct-sysshell-fail", VG_SCA_FAIL);
    assert_non_null(strstr(fx_result(r, "acct-sysshell-fail")->evidence, "games"));
    FX_EXPECT(r, "acct-dupuid-fail", VG_SCA_FAIL);
    assert_non_null(strstr(fx_result(r, "acct-dupuid-fail")->evidence, "bob shares UID 1000"));
    FX_EXPECT(r, "acct-dupname", VG_SCA_PASS);
    FX_EXPECT(r, "acct-groups", VG_SCA_PASS);
    FX_EXPECT(r, "acct-shadowgrp-fail", VG_SCA_FAIL);
    FX_EXPECT(r, "mount-pass", VG_SCA_PASS);
    FX_EXPECT(r, "mount-fail", VG_SCA_FAIL);
    assert_non_null(strstr(fx_result(r, "mount-fail")->evidence, "missing nosuid"));
    FX_EXPECT(r, "mount-na", VG_SCA_NA);
    FX_EXPECT(r, "not-pass", VG_SCA_PASS);
    FX_EXPECT(r, "all-fail", VG_SCA_FAIL);
    FX_EXPECT(r, "any-pass", VG_SCA_PASS);
    FX_EXPECT(r, "all-na", VG_SCA_NA);
    FX_EXPECT(r, "applies-na", VG_SCA_NA);
    FX_EXPECT(r, "applies-run", VG_SCA_FAIL);
    /* score: every check is low (1) except applies-run (critical, 8, failed) */
    double wp = (double)r->count[VG_SCA_PASS], wt = wp + (double)(r->count[VG_SCA_FAIL] - 1) + 8.0;
    assert_true(r->scored);
    assert_true(r->score > 100.0 * wp / wt - 0.01 && r->score < 100.0 * wp / wt + 0.01);
    assert_int_equal(r->by_framework[VG_SCA_FW_HIPAA][VG_SCA_FAIL], 1);
    assert_int_equal(r->by_framework[VG_SCA_FW_NIST][VG_SCA_NA], 1);
    /* JSON renders and names every check */
    struct vg_buf b = VG_BUF_INIT;
    assert_int_equal(vg_sca_report_json(r, &b), 0);
    assert_non_null(strstr(b.data, "\"id\":\"applies-run\""));
    assert_non_null(strstr(b.data, "\"result\":\"not_applicable\""));
    vg_buf_release(&b);
    vg_sca_report_free(r);

    /* --only, unknown id, and a root whose os-release does not match */
    const char *only[] = {"exists-pass"};
    struct vg_sca_opts o = VG_SCA_OPTS_INIT;
    o.root = root;
    o.only = only;
    o.nonly = 1;
    struct vg_err err = VG_ERR_INIT;
    assert_int_equal(vg_sca_run(p, &o, &r, &err), 0);
    assert_int_equal(r->nresults, 1);
    vg_sca_report_free(r);
    const char *bad[] = {"nope"};
    o.only = bad;
    assert_int_equal(vg_sca_run(p, &o, &r, &err), VG_EINVAL);
    assert_non_null(strstr(err.msg, "nope"));
    vg_sca_policy_free(p);
    p = fx_policy("policy: {id: x, name: x, version: '1', platforms: [{id: rhel, version_id: '9'}]}\n"
                  "checks: [{id: a, title: t, rationale: r, remediation: m, severity: low, references: {cis: ['1']},"
                  " condition: {file_exists: {path: /etc/passwd}}}]\n");
    r = fx_run(p, root);
    assert_false(r->platform_match);
    FX_EXPECT(r, "a", VG_SCA_NA);
    assert_false(r->scored);
    vg_sca_report_free(r);
    vg_sca_policy_free(p);
    fx_rmrf(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_probes)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
