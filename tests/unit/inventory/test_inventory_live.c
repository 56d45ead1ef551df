/* Inventory of the real machine: the dpkg known count equals
 * `dpkg-query -W | wc -l`, a socket this test listens on (127.0.0.1) is
 * reported with this test's pid, and a user added with useradd --prefix to
 * a fixture copy of /etc/passwd, group and shadow shows up as a
 * user_created change event. Prints the collection times. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "sca/fixture.h"
#include "vigil/inventory.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

static void test_live(void **st)
{
    (void)st;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(fd, 1), 0);
    socklen_t sl = sizeof sa;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    int port = ntohs(sa.sin_port);

    struct vg_inv_snapshot *s = vg_inv_snapshot_new("/");
    struct vg_err err = VG_ERR_INIT;
    assert_int_equal(vg_inv_collect(s, VG_INV_ALL, &err), 0);
    assert_true(s->live);
    print_message("live inventory: %zu packages, %zu users, %zu ports, %zu procs, %zu services in %.1f ms\n",
                  s->pkgs_known, s->nusers, s->nports, s->nprocs, s->nservices, (double)s->collect_ns / 1e6);
    FILE *p = popen("dpkg-query -W 2>/dev/null | wc -l", "r");
    long want = -1;
    if (p && access("/usr/bin/dpkg-query", X_OK) == 0) {
        char line[64] = "";
        if (fgets(line, sizeof line, p)) {
            int64_t v;
            line[strcspn(line, "\n")] = 0;
            if (vg_parse_i64(line, strlen(line), &v) == 0) want = (long)v;
        }
    }
    if (p) pclose(p);
    if (want >= 0) assert_int_equal((long)s->pkgs_known, want);
    else print_message("dpkg-query absent: package count not compared\n");
    bool found = false;
    for (size_t i = 0; i < s->nports; i++)
        if (strcmp(s->ports[i].proto, "tcp") == 0 && s->ports[i].port == port &&
            strcmp(s->ports[i].addr, "127.0.0.1") == 0) {
            found = true;
            assert_int_equal(s->ports[i].pid, (int64_t)getpid());
            assert_string_equal(s->ports[i].process, "inventory_live");
        }
    assert_true(found);
    assert_true(s->nprocs > 1);
    assert_true(*s->os.kernel_release);
    vg_inv_snapshot_free(s);
    close(fd);
}

static void copy_file(const char *from, const char *root, const char *rel)
{
    char *t = NULL;
    FILE *f = fopen(from, "r");
    if (!f) { /* shadow may be unreadable when not root: use an empty one */
        fx_write(root, rel, "", 0600);
        return;
    }
    struct vg_buf b = VG_BUF_INIT;
    char tmp[4096];
    size_t r;
    while ((r = fread(tmp, 1, sizeof tmp, f)) > 0) assert_int_equal(vg_buf_add(&b, tmp, r), 0);
    fclose(f);
    t = b.data ? b.data : "";
    fx_write(root, rel, t, 0600);
    vg_buf_release(&b);
}

static void test_user_created(void **st)
{
    (void)st;
    char root[256];
    fx_root(root, sizeof root);
    copy_file("/etc/passwd", root, "etc/passwd");
    copy_file("/etc/group", root, "etc/group");
    copy_file("/etc/shadow", root, "etc/shadow");
    copy_file("/etc/gshadow", root, "etc/gshadow");
    copy_file("/etc/login.defs", root, "etc/login.defs");
    struct vg_err err = VG_ERR_INIT;
    struct vg_inv_snapshot *a = vg_inv_snapshot_new(root), *b = vg_inv_snapshot_new(root);
    assert_int_equal(vg_inv_collect(a, VG_INV_USERS, &err), 0);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "/usr/sbin/useradd --prefix %s -M -s /bin/bash vgtestuser >/dev/null 2>&1", root);
    bool used_useradd = access("/usr/sbin/useradd", X_OK) == 0 && getuid() == 0 && system(cmd) == 0;
    if (!used_useradd) { /* no useradd or not root: add the lines the way useradd would */
        char p[512];
        snprintf(p, sizeof p, "%s/etc/passwd", root);
        FILE *f = fopen(p, "a");
        assert_non_null(f);
        fputs("vgtestuser:x:4242:4242::/home/vgtestuser:/bin/bash\n", f);
        fclose(f);
    }
    print_message("user added with %s\n", used_useradd ? "useradd --prefix" : "a passwd line");
    assert_int_equal(vg_inv_collect(b, VG_INV_USERS, &err), 0);
    assert_int_equal(b->nusers, a->nusers + 1);
    struct vg_inv_changes ch = VG_INV_CHANGES_INIT;
    assert_int_equal(vg_inv_diff(a, b, &ch), 0);
    const struct vg_inv_change *c = NULL;
    for (size_t i = 0; i < ch.n; i++)
        if (strcmp(ch.v[i].action, "user_created") == 0) c = &ch.v[i];
    assert_non_null(c);
    assert_string_equal(c->subject, "vgtestuser");
    struct vg_arena ar = VG_ARENA_INIT;
    struct vg_event ev;
    vg_event_init(&ev, &ar);
    assert_int_equal(vg_inv_change_to_event(c, "testhost", vg_now_ns(), &ev), 0);
    const struct vg_field *f = vg_event_get(&ev, vg_fid("user.name", 9));
    assert_non_null(f);
    assert_int_equal(f->v.len, 10);
    assert_memory_equal(f->v.u.s, "vgtestuser", 10);
    f = vg_event_get(&ev, vg_fid("vigil.inventory.user.shell", 26));
    assert_non_null(f);
    assert_memory_equal(f->v.u.s, "/bin/bash", 9);
    vg_arena_release(&ar);
    vg_inv_changes_release(&ch);
    vg_inv_snapshot_free(a);
    vg_inv_snapshot_free(b);
    fx_rmrf(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_live), cmocka_unit_test(test_user_created)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
