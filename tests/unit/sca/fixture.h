/* Test helpers for the hardening engine: build a fixture root tree in a
 * temporary directory (files with contents and modes), load policies from
 * strings and look up results. Header-only; each test includes it once. */
#ifndef VG_TEST_SCA_FIXTURE_H
#define VG_TEST_SCA_FIXTURE_H
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>
#include "vigil/sca.h"

static inline int fx_rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    (void)st; (void)flag; (void)f;
    return remove(p);
}

static inline void fx_rmrf(const char *root) { nftw(root, fx_rm_one, 16, FTW_DEPTH | FTW_PHYS); }

static inline void fx_mkdirs(const char *root, const char *rel)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", root, rel);
    for (char *s = p + strlen(root) + 1; *s; s++) {
        if (*s != '/') continue;
        *s = 0;
        mkdir(p, 0755);
        *s = '/';
    }
}

/* Writes root/rel with text and mode (creating parent directories). */
static inline void fx_write(const char *root, const char *rel, const char *text, mode_t mode)
{
    char p[4096];
    fx_mkdirs(root, rel);
    snprintf(p, sizeof p, "%s/%s", root, rel);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(chmod(p, mode), 0);
}

static inline void fx_dir(const char *root, const char *rel, mode_t mode)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/%s/", root, rel);
    fx_mkdirs(root, p + strlen(root) + 1);
    snprintf(p, sizeof p, "%s/%s", root, rel);
    mkdir(p, mode);
    assert_int_equal(chmod(p, mode), 0);
}

static inline void fx_symlink(const char *root, const char *rel, const char *target)
{
    char p[4096];
    fx_mkdirs(root, rel);
    snprintf(p, sizeof p, "%s/%s", root, rel);
    assert_int_equal(symlink(target, p), 0);
}

/* New empty root in /tmp; caller fx_rmrf()s it. */
static inline void fx_root(char *buf, size_t n)
{
    snprintf(buf, n, "/tmp/vg-sca-XXXXXX");
    assert_non_null(mkdtemp(buf));
}

/* Minimal Debian 12 base shared by the fixtures: os-release, the account
 * databases with the current user as "root" owner name so ownership checks
 * resolve in a non-root test run too. */
static inline void fx_base(const char *root)
{
    char pw[1024], gr[1024];
    unsigned uid = (unsigned)getuid(), gid = (unsigned)getgid();
    fx_write(root, "etc/os-release", "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n", 0644);
    /* files in the fixture belong to the test user: map that uid to root when not running as root */
    if (uid == 0)
        snprintf(pw, sizeof pw, "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
                                "alice:x:1000:1000:Alice:/home/alice:/bin/bash\n");
    else
        snprintf(pw, sizeof pw, "root:x:%u:%u:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
                                "alice:x:1000:1000:Alice:/home/alice:/bin/bash\n", uid, gid);
    if (gid == 0) snprintf(gr, sizeof gr, "root:x:0:\ndaemon:x:1:\nshadow:x:42:\nalice:x:1000:\n");
    else snprintf(gr, sizeof gr, "root:x:%u:\ndaemon:x:1:\nshadow:x:42:\nalice:x:1000:\n", gid);
    fx_write(root, "etc/passwd", pw, 0644);
    fx_write(root, "etc/group", gr, 0644);
    fx_write(root, "etc/shadow", "root:$y$j9T$abc$def:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\nalice:$6$salt$hash:19000:0:99999:7:::\n", 0640);
}

static inline struct vg_sca_policy *fx_policy(const char *yaml)
{
    struct vg_sca_policy *p = NULL;
    struct vg_err err = VG_ERR_INIT;
    int rc = vg_sca_policy_load_string(yaml, strlen(yaml), "test.yml", &p, &err);
    if (rc) fprintf(stderr, "policy error: %s\n", err.msg);
    assert_int_equal(rc, 0);
    return p;
}

static inline struct vg_sca_report *fx_run(const struct vg_sca_policy *p, const char *root)
{
    struct vg_sca_opts o = VG_SCA_OPTS_INIT;
    struct vg_sca_report *r = NULL;
    struct vg_err err = VG_ERR_INIT;
    o.root = root;
    assert_int_equal(vg_sca_run(p, &o, &r, &err), 0);
    return r;
}

static inline const struct vg_sca_result *fx_result(const struct vg_sca_report *r, const char *id)
{
    for (size_t i = 0; i < r->nresults; i++)
        if (strcmp(r->results[i].check->id, id) == 0) return &r->results[i];
    fail_msg("no result for %s", id);
    return NULL;
}

/* Asserts the status of check id, printing its evidence on mismatch. */
#define FX_EXPECT(r, id, st)                                                                                 \
    do {                                                                                                     \
        const struct vg_sca_result *x_ = fx_result((r), (id));                                               \
        if (x_->status != (st))                                                                              \
            fail_msg("%s: expected %s, got %s (evidence: %s)", (id), vg_sca_status_name(st),               \
                     vg_sca_status_name(x_->status), x_->evidence);                                          \
    } while (0)

#endif
