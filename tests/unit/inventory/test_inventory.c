/* Inventory collectors on fixture roots: accounts with a second UID 0 and
 * an empty password, sudoers with includes and NOPASSWD, authorized keys
 * with options (fingerprint checked against ssh-keygen's), proc/net lines,
 * unit files with wants links; JSON round trip; diff -> events; hostile
 * inputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "sca/fixture.h"
#include "vigil/inventory.h"

static const char passwd_txt[] =
    "root:x:0:0:root:/root:/bin/bash\n"
    "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
    "toor:x:0:0:backdoor:/root2:/bin/sh\n"
    "alice:x:1000:1000:Alice:/home/alice:/bin/bash\n"
    "bob::1001:1001::/home/bob:/bin/bash\n"
    "ghost:x:1002:1002::/home/ghost:/bin/bash\n"
    "broken line without colons\n"
    "bad:x:notanumber:0::/:/bin/sh\n";
static const char shadow_txt[] =
    "root:$6$abc$0123456789abcdefghijklmnopqrstuvwxyz:19000:0:99999:7:::\n"
    "daemon:*:19000:0:99999:7:::\n"
    "toor::19001:0:99999:7:::\n"
    "alice:!$6$x$lockedhashlockedhash:19002:0:99999:7:::\n"
    "garbage\n";
static const char group_txt[] =
    "root:x:0:\n"
    "daemon:x:1:\n"
    "sudo:x:27:bob,alice\n"
    "alice:x:1000:\n"
    "bob:x:1001:\n";

static const char key_pub[] = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMu8jcD2ExPdP+DrmG/7Kih0Dz6SiPc/Q0WIc+oKmo02";
static const char key_fp[] = "SHA256:I0iIWofQjViZN+RP+6GpIf3GmfueUNVnAff3JSkuFMk"; /* ssh-keygen -lf */

static const struct vg_inv_user *user(const struct vg_inv_snapshot *s, const char *n)
{
    for (size_t i = 0; i < s->nusers; i++)
        if (strcmp(s->users[i].name, n) == 0) return &s->users[i];
    return NULL;
}

static void build_root(char *root, size_t n)
{
    fx_root(root, n);
    fx_write(root, "etc/passwd", passwd_txt, 0644);
    fx_write(root, "etc/shadow", shadow_txt, 0640);
    fx_write(root, "etc/group", group_txt, 0644);
    fx_write(root, "etc/os-release", "ID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n", 0644);
    fx_write(root, "etc/hostname", "fixturehost\n", 0644);
    fx_write(root, "etc/sudoers",
             "Defaults env_reset\n"
             "# a comment\n"
             "User_Alias ADMINS = alice, bob\n"
             "root ALL=(ALL:ALL) ALL\n"
             "%sudo ALL=(ALL:ALL) ALL\n"
             "@includedir /etc/sudoers.d\n"
             "#include /etc/sudoers.extra\n",
             0440);
    fx_write(root, "etc/sudoers.d/deploy", "deploy, ci ALL = (root) NOPASSWD: /usr/bin/systemctl restart app, \\\n  /usr/bin/journalctl\n", 0440);
    fx_write(root, "etc/sudoers.d/ignored.bak", "nobody ALL=(ALL) NOPASSWD: ALL\n", 0440);
    fx_write(root, "etc/sudoers.extra", "alice ALL=(ALL) NOPASSWD:SETENV: ALL\nthis is not sudoers\n", 0440);
    char keys[1024];
    snprintf(keys, sizeof keys,
             "# keys\n%s alice@laptop\n"
             "from=\"10.0.0.1,10.0.0.2\",command=\"/bin/echo hi there\",no-pty %s forced key\n"
             "ssh-rsa !!!notbase64 bad\n"
             "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIMu8jcD2ExPdP+DrmG/7Kih0Dz6SiPc/Q0WIc+oKmo02 wrongtype\n",
             key_pub, key_pub);
    fx_write(root, "home/alice/.ssh/authorized_keys", keys, 0600);
    fx_write(root, "proc/net/tcp",
             "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
             "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000   105        0 4242 1 0 100 0 0 10 0\n"
             "   1: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4243 1 0 100 0 0 10 0\n"
             "   2: 0100007F:9C40 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  1000        0 5555 1\n"
             "   3: garbage line\n",
             0444);
    fx_write(root, "proc/net/tcp6",
             "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
             "   0: 00000000000000000000000001000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4244 1\n",
             0444);
    fx_write(root, "proc/net/udp",
             "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n"
             "  10: 3500007F:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000   101        0 777 2 0 0\n",
             0444);
    fx_write(root, "proc/42/stat", "42 (sshd: a) b) S 1 42 42 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 500 0 0\n", 0444);
    fx_write(root, "proc/42/status", "Name:\tsshd\nUid:\t0\t0\t0\t0\n", 0444);
    fx_write(root, "proc/42/cmdline", "", 0644);
    char cl[512];
    snprintf(cl, sizeof cl, "%s/proc/42/cmdline", root);
    FILE *cf = fopen(cl, "w");
    assert_non_null(cf);
    fwrite("sshd: /usr/sbin/sshd\0-D\0", 1, 24, cf);
    fclose(cf);
    fx_write(root, "proc/stat", "cpu 1 2 3\nbtime 1700000000\n", 0444);
    fx_write(root, "lib/systemd/system/ssh.service", "[Unit]\nDescription=x\n[Service]\nExecStart=/x\n[Install]\nWantedBy=multi-user.target\n", 0644);
    fx_write(root, "lib/systemd/system/cron.service", "[Service]\nExecStart=/c\n[Install]\nWantedBy = multi-user.target\n", 0644);
    fx_write(root, "lib/systemd/system/static.service", "[Service]\nExecStart=/s\n", 0644);
    fx_write(root, "lib/systemd/system/getty@.service", "[Service]\nExecStart=/g\n[Install]\nWantedBy=getty.target\n", 0644);
    fx_symlink(root, "etc/systemd/system/multi-user.target.wants/ssh.service", "/lib/systemd/system/ssh.service");
    fx_symlink(root, "etc/systemd/system/getty.target.wants/getty@tty1.service", "/lib/systemd/system/getty@.service");
    fx_symlink(root, "etc/systemd/system/masked.service", "/dev/null");
    fx_write(root, "var/lib/dpkg/status",
             "Package: bash\nStatus: install ok installed\nVersion: 5.2.15-2+b2\nArchitecture: amd64\n\n"
             "Package: gone\nStatus: deinstall ok config-files\nVersion: 1.0\nArchitecture: all\n\n"
             "Package: purged\nStatus: purge ok not-installed\nArchitecture: all\n\n"
             "Package: openssl\nStatus: install ok installed\nVersion: 3.0.11-1~deb12u2\nArchitecture: amd64\n",
             0644);
}

static struct vg_inv_snapshot *collect(const char *root)
{
    struct vg_inv_snapshot *s = vg_inv_snapshot_new(root);
    assert_non_null(s);
    struct vg_err err = VG_ERR_INIT;
    assert_int_equal(vg_inv_collect(s, VG_INV_ALL, &err), 0);
    return s;
}

static void test_accounts(void **st)
{
    (void)st;
    char root[256];
    build_root(root, sizeof root);
    struct vg_inv_snapshot *s = collect(root);
    assert_false(s->live);
    assert_int_equal(s->nusers, 6);
    assert_int_equal(vg_inv_count_uid0(s), 2);
    assert_int_equal(user(s, "root")->pw, VG_INV_PW_SET);
    assert_int_equal(user(s, "daemon")->pw, VG_INV_PW_DISABLED);
    assert_int_equal(user(s, "toor")->pw, VG_INV_PW_EMPTY);
    assert_int_equal(user(s, "alice")->pw, VG_INV_PW_LOCKED);
    assert_int_equal(user(s, "bob")->pw, VG_INV_PW_EMPTY);    /* empty in passwd itself */
    assert_int_equal(user(s, "ghost")->pw, VG_INV_PW_MISSING); /* x but no shadow line */
    assert_int_equal(user(s, "toor")->last_change, 19001);
    assert_string_equal(user(s, "alice")->groups, "alice,sudo");
    assert_string_equal(user(s, "bob")->groups, "bob,sudo");
    assert_false(user(s, "daemon")->interactive);
    assert_int_equal(s->ngroups, 5);
    /* two bad passwd lines and one bad shadow line were counted */
    assert_true(s->issues_total >= 3);
    assert_string_equal(s->os.hostname, "fixturehost");
    assert_string_equal(s->os.os_id, "debian");
    assert_string_equal(s->os.os_version_id, "12");
    assert_int_equal(s->os.boot_time, 1700000000);
    vg_inv_snapshot_free(s);
    fx_rmrf(root);
}

static const struct vg_inv_sudo *sudo_for(const struct vg_inv_snapshot *s, const char *who)
{
    for (size_t i = 0; i < s->nsudo; i++)
        if (s->sudo[i].kind == VG_INV_SUDO_USER && strcmp(s->sudo[i].principal, who) == 0) return &s->sudo[i];
    return NULL;
}

static void test_sudoers(void **st)
{
    (void)st;
    char root[256];
    build_root(root, sizeof root);
    struct vg_inv_snapshot *s = collect(root);
    assert_non_null(sudo_for(s, "root"));
    assert_false(sudo_for(s, "root")->nopasswd);
    assert_string_equal(sudo_for(s, "root")->runas, "ALL:ALL");
    assert_non_null(sudo_for(s, "%sudo"));
    const struct vg_inv_sudo *d = sudo_for(s, "deploy");
    assert_non_null(d);
    assert_true(d->nopasswd);
    assert_string_equal(d->runas, "root");
    assert_string_equal(d->commands, "/usr/bin/systemctl restart app, /usr/bin/journalctl");
    assert_string_equal(d->file, "/etc/sudoers.d/deploy");
    assert_non_null(sudo_for(s, "ci"));
    assert_true(sudo_for(s, "alice")->nopasswd); /* NOPASSWD:SETENV: from the #include */
    assert_null(sudo_for(s, "nobody"));          /* names with '.' in includedir are skipped */
    size_t aliases = 0, defaults = 0, incl = 0;
    for (size_t i = 0; i < s->nsudo; i++) {
        aliases += s->sudo[i].kind == VG_INV_SUDO_ALIAS;
        defaults += s->sudo[i].kind == VG_INV_SUDO_DEFAULTS;
        incl += s->sudo[i].kind == VG_INV_SUDO_INCLUDE;
    }
    assert_int_equal(aliases, 1);
    assert_int_equal(defaults, 1);
    assert_int_equal(incl, 2);
    vg_inv_snapshot_free(s);
    fx_rmrf(root);
}

static void test_keys(void **st)
{
    (void)st;
    char root[256];
    build_root(root, sizeof root);
    struct vg_inv_snapshot *s = collect(root);
    assert_int_equal(s->nkeys, 2);
    assert_string_equal(s->keys[0].user, "alice");
    assert_string_equal(s->keys[0].type, "ssh-ed25519");
    assert_string_equal(s->keys[0].fingerprint, key_fp);
    assert_string_equal(s->keys[0].comment, "alice@laptop");
    assert_string_equal(s->keys[0].options, "");
    assert_string_equal(s->keys[1].options, "from=\"10.0.0.1,10.0.0.2\",command=\"/bin/echo hi there\",no-pty");
    assert_string_equal(s->keys[1].comment, "forced key");
    assert_int_equal(s->keys[1].line, 3);
    vg_inv_snapshot_free(s);
    fx_rmrf(root);
}

static void test_ports_procs_services(void **st)
{
    (void)st;
    char root[256];
    build_root(root, sizeof root);
    struct vg_inv_snapshot *s = collect(root);
    /* tcp 127.0.0.1:8080, tcp 0.0.0.0:22, tcp6 ::1:22, udp 127.0.0.53:53; the established one is not listed */
    assert_int_equal(s->nports, 4);
    bool saw8080 = false, saw6 = false, sawudp = false;
    for (size_t i = 0; i < s->nports; i++) {
        const struct vg_inv_port *p = &s->ports[i];
        if (strcmp(p->proto, "tcp") == 0 && p->port == 8080) {
            saw8080 = true;
            assert_string_equal(p->addr, "127.0.0.1");
            assert_int_equal(p->uid, 105);
            assert_int_equal(p->inode, 4242);
        }
        if (strcmp(p->proto, "tcp6") == 0) {
            saw6 = true;
            assert_string_equal(p->addr, "::1");
            assert_int_equal(p->port, 22);
        }
        if (strcmp(p->proto, "udp") == 0) {
            sawudp = true;
            assert_string_equal(p->addr, "127.0.0.53");
            assert_int_equal(p->port, 53);
        }
    }
    assert_true(saw8080 && saw6 && sawudp);
    assert_int_equal(s->nprocs, 1);
    assert_string_equal(s->procs[0].name, "sshd: a) b"); /* comm with parens: up to the last ')' */
    assert_int_equal(s->procs[0].ppid, 1);
    assert_int_equal(s->procs[0].uid, 0);
    assert_string_equal(s->procs[0].user, "root");
    assert_string_equal(s->procs[0].cmdline, "sshd: /usr/sbin/sshd -D");
    assert_int_equal(s->nservices, 5);
    const char *want[][2] = {{"cron.service", "disabled"}, {"getty@.service", "enabled"},
                             {"masked.service", "masked"}, {"ssh.service", "enabled"}, {"static.service", "static"}};
    for (size_t i = 0; i < 5; i++) {
        assert_string_equal(s->services[i].name, want[i][0]);
        assert_string_equal(s->services[i].enabled, want[i][1]);
        assert_string_equal(s->services[i].active, "unknown"); /* not the live root */
    }
    assert_int_equal(s->pkgs_known, 3); /* dpkg-query -W lists config-files too, not not-installed */
    assert_int_equal(s->pkgs_installed, 2);
    vg_inv_snapshot_free(s);
    fx_rmrf(root);
}

static const struct vg_inv_change *find_change(const struct vg_inv_changes *c, const char *action, const char *subj)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->v[i].action, action) == 0 && strcmp(c->v[i].subject, subj) == 0) return &c->v[i];
    return NULL;
}

static const char *ev_str(const struct vg_event *ev, const char *name, char *buf, size_t n)
{
    const struct vg_field *f = vg_event_get(ev, vg_fid(name, strlen(name)));
    if (!f) return NULL;
    size_t l;
    return vg_value_text(&f->v, buf, n, &l);
}

static void test_json_roundtrip_and_diff(void **st)
{
    (void)st;
    char root[256];
    build_root(root, sizeof root);
    struct vg_inv_snapshot *a = collect(root);
    struct vg_buf j = VG_BUF_INIT;
    assert_int_equal(vg_inv_to_json(a, &j), 0);
    struct vg_inv_snapshot *back = NULL;
    struct vg_err err = VG_ERR_INIT;
    assert_int_equal(vg_inv_from_json(j.data, j.len, &back, &err), 0);
    struct vg_buf j2 = VG_BUF_INIT;
    assert_int_equal(vg_inv_to_json(back, &j2), 0);
    assert_string_equal(j.data, j2.data);
    struct vg_inv_changes none = VG_INV_CHANGES_INIT;
    assert_int_equal(vg_inv_diff(back, a, &none), 0);
    assert_int_equal(none.n, 0);
    vg_inv_changes_release(&none);

    /* change the host: upgrade openssl, remove gone, new user, new port, remove a service, disable ssh */
    fx_write(root, "var/lib/dpkg/status",
             "Package: bash\nStatus: install ok installed\nVersion: 5.2.15-2+b2\nArchitecture: amd64\n\n"
             "Package: openssl\nStatus: install ok installed\nVersion: 3.0.13-1~deb12u1\nArchitecture: amd64\n\n"
             "Package: nmap\nStatus: install ok installed\nVersion: 7.93+dfsg1-1\nArchitecture: amd64\n",
             0644);
    char p[512];
    snprintf(p, sizeof p, "%s/etc/passwd", root);
    FILE *f = fopen(p, "a");
    fputs("mallory:x:0:0::/tmp:/bin/sh\n", f);
    fclose(f);
    fx_write(root, "proc/net/tcp",
             "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
             "   0: 00000000:115C 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 9999 1\n"
             "   1: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4243 1\n",
             0444);
    snprintf(p, sizeof p, "%s/lib/systemd/system/cron.service", root);
    unlink(p);
    snprintf(p, sizeof p, "%s/etc/systemd/system/multi-user.target.wants/ssh.service", root);
    unlink(p);
    struct vg_inv_snapshot *b = collect(root);
    struct vg_inv_changes ch = VG_INV_CHANGES_INIT;
    assert_int_equal(vg_inv_diff(back, b, &ch), 0);
    const struct vg_inv_change *c = find_change(&ch, "package_upgraded", "openssl");
    assert_non_null(c);
    assert_string_equal(c->before, "3.0.11-1~deb12u2");
    assert_string_equal(c->after, "3.0.13-1~deb12u1");
    assert_non_null(find_change(&ch, "package_installed", "nmap"));
    assert_non_null(find_change(&ch, "package_removed", "gone"));
    assert_non_null(find_change(&ch, "user_created", "mallory"));
    assert_non_null(find_change(&ch, "port_opened", "tcp 0.0.0.0:4444"));
    assert_non_null(find_change(&ch, "port_closed", "tcp 127.0.0.1:8080"));
    assert_null(find_change(&ch, "port_opened", "tcp 0.0.0.0:22"));
    assert_non_null(find_change(&ch, "service_removed", "cron.service"));
    assert_non_null(find_change(&ch, "service_disabled", "ssh.service"));

    /* the user_created change as an event */
    c = find_change(&ch, "user_created", "mallory");
    struct vg_arena ar = VG_ARENA_INIT;
    struct vg_event ev;
    vg_event_init(&ev, &ar);
    assert_int_equal(vg_inv_change_to_event(c, "fixturehost", vg_now_ns(), &ev), 0);
    char buf[256];
    assert_string_equal(ev_str(&ev, "event.action", buf, sizeof buf), "user_created");
    assert_string_equal(ev_str(&ev, "event.category", buf, sizeof buf), "iam");
    assert_string_equal(ev_str(&ev, "user.name", buf, sizeof buf), "mallory");
    assert_string_equal(ev_str(&ev, "user.id", buf, sizeof buf), "0");
    assert_string_equal(ev_str(&ev, "host.name", buf, sizeof buf), "fixturehost");
    assert_non_null(ev.raw);
    assert_non_null(strstr(ev.raw, "\"action\":\"user_created\""));
    c = find_change(&ch, "port_opened", "tcp 0.0.0.0:4444");
    vg_event_init(&ev, &ar);
    assert_int_equal(vg_inv_change_to_event(c, "fixturehost", vg_now_ns(), &ev), 0);
    const struct vg_field *pf = vg_event_get(&ev, vg_fid("destination.port", 16));
    assert_non_null(pf);
    assert_int_equal(pf->v.type, VG_V_INT);
    assert_int_equal(pf->v.u.i, 4444);
    vg_arena_release(&ar);

    vg_inv_changes_release(&ch);
    vg_buf_release(&j);
    vg_buf_release(&j2);
    vg_inv_snapshot_free(a);
    vg_inv_snapshot_free(b);
    vg_inv_snapshot_free(back);
    fx_rmrf(root);
}

static void test_hostile(void **st)
{
    (void)st;
    struct vg_inv_snapshot *s = vg_inv_snapshot_new("/nonexistent-root");
    assert_non_null(s);
    static const char bin[] = "\0\xff\xfe:x:0:0\n::::::\n:\n\n\xc3(:x:1:1::/:/bin/sh\n";
    assert_int_equal(vg_inv_parse_accounts(s, bin, sizeof bin - 1, bin, sizeof bin - 1, bin, sizeof bin - 1), 0);
    assert_int_equal(vg_inv_parse_sudoers(s, "x", bin, sizeof bin - 1, 0), 0);
    assert_int_equal(vg_inv_parse_authorized_keys(s, "u", "f", bin, sizeof bin - 1), 0);
    assert_int_equal(vg_inv_parse_proc_net(s, "tcp6", bin, sizeof bin - 1), 0);
    assert_int_equal(vg_inv_parse_sudoers(s, "x", "alice ALL=(root NOPASSWD: ALL\n\\", 31, 0), 0);
    assert_int_equal(s->nports, 0);
    assert_true(s->issues_total > 5);
    /* a huge line */
    size_t n = 3u << 20;
    char *big = vg_malloc(n);
    assert_non_null(big);
    memset(big, 'a', n);
    assert_int_equal(vg_inv_parse_sudoers(s, "big", big, n, 0), 0);
    assert_int_equal(vg_inv_parse_authorized_keys(s, "u", "big", big, n), 0);
    assert_int_equal(vg_inv_parse_proc_net(s, "tcp", big, n), 0);
    vg_free(big);
    /* JSON from elsewhere */
    struct vg_inv_snapshot *o = NULL;
    struct vg_err err = VG_ERR_INIT;
    assert_int_equal(vg_inv_from_json("{\"schema\":\"x\"}", 14, &o, &err), VG_EPARSE);
    const char *bad = "{\"schema\":\"vigil.inventory/1\",\"users\":[{\"uid\":\"zero\"}]}";
    assert_int_equal(vg_inv_from_json(bad, strlen(bad), &o, &err), VG_EPARSE);
    assert_non_null(strstr(err.msg, "users.uid"));
    assert_int_equal(vg_inv_from_json("[", 1, &o, &err), VG_EPARSE);
    vg_inv_snapshot_free(s);
    /* a missing root: empty sections, no failure */
    s = vg_inv_snapshot_new("/nonexistent-root");
    assert_int_equal(vg_inv_collect(s, VG_INV_ALL, &err), 0);
    assert_int_equal(s->nusers + s->npkgs + s->nports + s->nservices, 0);
    vg_inv_snapshot_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accounts),     cmocka_unit_test(test_sudoers),
        cmocka_unit_test(test_keys),         cmocka_unit_test(test_ports_procs_services),
        cmocka_unit_test(test_json_roundtrip_and_diff), cmocka_unit_test(test_hostile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
