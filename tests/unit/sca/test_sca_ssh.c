/* The Debian 12 baseline against fixture roots: a hardened SSH setup passes
 * every SSH check, a bad one fails exactly the expected SSH checks (and the
 * evidence names the offending line), and a root without openssh-server
 * gets "not applicable" for all of them. */
#include "fixture.h"
#include <stdlib.h>

static struct vg_sca_policy *baseline(void)
{
    char path[1024];
    const char *src = getenv("VG_SRC");
    assert_non_null(src);
    snprintf(path, sizeof path, "%s/rules/policies/debian12-baseline.yml", src);
    struct vg_sca_policy *p = NULL;
    struct vg_err err = VG_ERR_INIT;
    if (vg_sca_policy_load_file(path, &p, &err) != 0) fail_msg("%s", err.msg);
    return p;
}

static const char hardened[] =
    "# hardened\nInclude /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin no\nPasswordAuthentication no\n"
    "PermitEmptyPasswords no\nMaxAuthTries 3\nX11Forwarding no\nLogLevel VERBOSE\nClientAliveInterval 300\n"
    "ClientAliveCountMax 3\nLoginGraceTime 60\n"
    "Ciphers aes256-gcm@openssh.com,aes128-gcm@openssh.com,aes256-ctr,aes192-ctr,aes128-ctr\n"
    "MACs hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com\n"
    "KexAlgorithms curve25519-sha256,curve25519-sha256@libssh.org,diffie-hellman-group16-sha512\n"
    "HostbasedAuthentication no\nIgnoreRhosts yes\nPermitUserEnvironment no\nUsePAM yes\nMaxSessions 10\n"
    "MaxStartups 10:30:60\nGSSAPIAuthentication no\nBanner /etc/issue.net\n";

/* A typical unhardened file: Debian's stock settings plus a few bad ones. */
static const char bad[] =
    "Include /etc/ssh/sshd_config.d/*.conf\n#PermitRootLogin prohibit-password\nKbdInteractiveAuthentication no\n"
    "UsePAM yes\nX11Forwarding yes\nPrintMotd no\nAcceptEnv LANG LC_*\nSubsystem sftp /usr/lib/openssh/sftp-server\n"
    "PermitRootLogin yes\nCiphers +aes128-cbc\n";

static const char *const bad_fails[] = {
    "ssh-config-permissions", "ssh-no-root-login", "ssh-no-password-auth", "ssh-max-auth-tries", "ssh-no-x11-forwarding",
    "ssh-idle-timeout", "ssh-login-grace-time", "ssh-strong-ciphers", "ssh-strong-macs", "ssh-max-startups", "ssh-banner",
};

static void make_root(char *root, size_t n, const char *sshd, mode_t mode, bool with_ssh)
{
    fx_root(root, n);
    fx_base(root);
    fx_write(root, "var/lib/dpkg/status",
             with_ssh ? "Package: openssh-server\nStatus: install ok installed\nVersion: 1:9.2p1-2\n\n"
                                 "Package: sudo\nStatus: install ok installed\nVersion: 1.9.13p3-1\n"
                      : "Package: sudo\nStatus: install ok installed\nVersion: 1.9.13p3-1\n",
             0644);
    if (sshd) {
        fx_write(root, "etc/ssh/sshd_config", sshd, mode);
        fx_write(root, "etc/ssh/ssh_host_ed25519_key", "k\n", 0600);
        fx_dir(root, "etc/ssh/sshd_config.d", 0755);
    }
}

static bool is_ssh(const struct vg_sca_result *x) { return strncmp(x->check->id, "ssh-", 4) == 0; }

static void test_hardened(void **state)
{
    (void)state;
    char root[256];
    make_root(root, sizeof root, hardened, 0600, true);
    struct vg_sca_policy *p = baseline();
    struct vg_sca_report *r = fx_run(p, root);
    size_t nssh = 0;
    for (size_t i = 0; i < r->nresults; i++) {
        const struct vg_sca_result *x = &r->results[i];
        if (!is_ssh(x)) continue;
        nssh++;
        if (x->status != VG_SCA_PASS) fail_msg("%s: %s (%s)", x->check->id, vg_sca_status_name(x->status), x->evidence);
    }
    assert_true(nssh >= 15);
    printf("hardened fixture: %zu SSH checks pass; whole baseline score %.1f%% in %.2f ms\n", nssh, r->score,
           (double)r->wall_ns / 1e6);
    vg_sca_report_free(r);
    vg_sca_policy_free(p);
    fx_rmrf(root);
}

static void test_bad(void **state)
{
    (void)state;
    char root[256];
    make_root(root, sizeof root, bad, 0644, true);
    struct vg_sca_policy *p = baseline();
    struct vg_sca_report *r = fx_run(p, root);
    for (size_t i = 0; i < r->nresults; i++) {
        const struct vg_sca_result *x = &r->results[i];
        if (!is_ssh(x)) continue;
        bool expect_fail = false;
        for (size_t k = 0; k < VG_ARRAY_LEN(bad_fails); k++) expect_fail |= strcmp(bad_fails[k], x->check->id) == 0;
        enum vg_sca_status want = expect_fail ? VG_SCA_FAIL : VG_SCA_PASS;
        if (x->status != want)
            fail_msg("%s: expected %s, got %s (%s)", x->check->id, vg_sca_status_name(want), vg_sca_status_name(x->status),
                     x->evidence);
    }
    assert_non_null(strstr(fx_result(r, "ssh-no-root-login")->evidence, "PermitRootLogin yes (from /etc/ssh/sshd_config line 9)"));
    assert_non_null(strstr(fx_result(r, "ssh-no-x11-forwarding")->evidence, "line 5"));
    assert_non_null(strstr(fx_result(r, "ssh-strong-ciphers")->evidence, "aes128-cbc"));
    assert_non_null(strstr(fx_result(r, "ssh-max-auth-tries")->evidence, "OpenSSH default"));
    assert_non_null(strstr(fx_result(r, "ssh-config-permissions")->evidence, "0644"));
    vg_sca_report_free(r);

    /* the same root without openssh-server: every SSH check is not applicable */
    char root2[256];
    make_root(root2, sizeof root2, bad, 0644, false);
    r = fx_run(p, root2);
    for (size_t i = 0; i < r->nresults; i++)
        if (is_ssh(&r->results[i]) && r->results[i].status != VG_SCA_NA)
            fail_msg("%s should be not applicable: %s", r->results[i].check->id, r->results[i].evidence);
    vg_sca_report_free(r);
    vg_sca_policy_free(p);
    fx_rmrf(root);
    fx_rmrf(root2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_hardened), cmocka_unit_test(test_bad)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
