/* FIM: modify, chmod and delete a watched file; each must show up with the
 * right before and after values, via the full-scan diff and via inotify.
 * Also the baseline file round trip, ignore globs, a symlink loop, and
 * malformed baseline files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "sca/fixture.h"
#include "vigil/fim.h"
#include <sodium.h>

struct rec { char action[40]; char path[512]; struct vg_fim_entry b, a; bool hb, ha; unsigned what; };
struct recs { struct rec r[64]; size_t n; };

static int collect_cb(void *ud, const struct vg_fim_change *c)
{
    struct recs *rs = ud;
    if (rs->n >= 64) return 0;
    struct rec *r = &rs->r[rs->n++];
    memset(r, 0, sizeof *r);
    snprintf(r->action, sizeof r->action, "%s", c->action);
    snprintf(r->path, sizeof r->path, "%s", c->path);
    if (c->before) r->b = *c->before, r->hb = true;
    if (c->after) r->a = *c->after, r->ha = true;
    r->b.path = r->a.path = NULL;
    r->what = c->what;
    return 0;
}

static const struct rec *find(const struct recs *rs, const char *action, const char *path)
{
    for (size_t i = 0; i < rs->n; i++)
        if (strcmp(rs->r[i].action, action) == 0 && strcmp(rs->r[i].path, path) == 0) return &rs->r[i];
    return NULL;
}

static void sha(const char *s, uint8_t out[32]) { crypto_hash_sha256(out, (const unsigned char *)s, strlen(s)); }

static void write_file(const char *p, const char *text)
{
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Runs the three changes and checks them, through `step` (scan diff or inotify). */
typedef void (*step_fn)(void *ctx, struct recs *rs);

static void check_changes(const char *dir, void *ctx, step_fn step)
{
    char f[512];
    snprintf(f, sizeof f, "%s/etc/app.conf", dir);
    uint8_t h1[32], h2[32];
    sha("port=1\n", h1);
    sha("port=2 changed\n", h2);
    struct recs rs = {.n = 0};
    /* modify */
    write_file(f, "port=2 changed\n");
    step(ctx, &rs);
    const struct rec *r = find(&rs, "file_modified", f);
    assert_non_null(r);
    assert_true(r->hb && r->ha);
    assert_memory_equal(r->b.sha256, h1, 32);
    assert_memory_equal(r->a.sha256, h2, 32);
    assert_int_equal(r->b.size, 7);
    assert_int_equal(r->a.size, 15);
    assert_true(r->what & VG_FIM_CH_CONTENT);
    /* chmod */
    rs.n = 0;
    assert_int_equal(chmod(f, 0600), 0);
    step(ctx, &rs);
    r = find(&rs, "file_attributes_changed", f);
    assert_non_null(r);
    assert_int_equal(r->b.mode, 0644);
    assert_int_equal(r->a.mode, 0600);
    assert_true(r->what & VG_FIM_CH_MODE);
    assert_false(r->what & VG_FIM_CH_CONTENT);
    assert_memory_equal(r->a.sha256, h2, 32);
    /* delete */
    rs.n = 0;
    assert_int_equal(unlink(f), 0);
    step(ctx, &rs);
    r = find(&rs, "file_deleted", f);
    assert_non_null(r);
    assert_true(r->hb && !r->ha);
    assert_int_equal(r->b.mode, 0600);
    assert_memory_equal(r->b.sha256, h2, 32);
    /* create */
    rs.n = 0;
    snprintf(f, sizeof f, "%s/etc/new.conf", dir);
    write_file(f, "x");
    step(ctx, &rs);
    r = find(&rs, "file_created", f);
    assert_non_null(r);
    assert_true(!r->hb && r->ha);
    assert_int_equal(r->a.size, 1);
}

static void make_tree(char *root, size_t n)
{
    fx_root(root, n);
    fx_write(root, "etc/app.conf", "port=1\n", 0644);
    fx_write(root, "etc/sub/deep.conf", "deep\n", 0644);
    fx_write(root, "etc/cache.tmp", "ignored\n", 0644);
}

struct scan_ctx { struct vg_fim_config *cfg; struct vg_fim_baseline *held; };

static void scan_step(void *ctx, struct recs *rs)
{
    struct scan_ctx *c = ctx;
    struct vg_fim_baseline *nb;
    assert_int_equal(vg_fim_scan(c->cfg, &nb, NULL), 0);
    assert_int_equal(vg_fim_diff(c->held, nb, collect_cb, rs), 0);
    vg_fim_baseline_free(c->held);
    c->held = nb;
}

static void test_scan_diff(void **st)
{
    (void)st;
    char root[256], etc[512];
    make_tree(root, sizeof root);
    snprintf(etc, sizeof etc, "%s/etc", root);
    const char *paths[] = {etc};
    const char *ign[] = {"*.tmp"};
    struct vg_fim_config cfg = {paths, 1, ign, 1, true, 0, 0};
    struct scan_ctx c = {&cfg, NULL};
    assert_int_equal(vg_fim_scan(&cfg, &c.held, NULL), 0);
    assert_int_equal(c.held->n, 4); /* etc, app.conf, sub, sub/deep.conf; cache.tmp ignored */
    /* baseline file round trip */
    char bp[512];
    snprintf(bp, sizeof bp, "%s/fim.baseline", root);
    assert_int_equal(vg_fim_baseline_save(c.held, bp, NULL), 0);
    struct vg_fim_baseline *back;
    assert_int_equal(vg_fim_baseline_load(bp, &back, NULL), 0);
    assert_int_equal(back->n, c.held->n);
    struct recs none = {.n = 0};
    assert_int_equal(vg_fim_diff(c.held, back, collect_cb, &none), 0);
    assert_int_equal(none.n, 0);
    vg_fim_baseline_free(c.held);
    c.held = back;
    check_changes(root, &c, scan_step);
    vg_fim_baseline_free(c.held);
    fx_rmrf(root);
}

static void watch_step(void *ctx, struct recs *rs)
{
    struct vg_fim_watch *w = ctx;
    /* events may arrive in more than one read: poll until quiet */
    for (int i = 0; i < 20; i++) {
        int n = vg_fim_watch_poll(w, i == 0 ? 1000 : 100, collect_cb, rs);
        assert_true(n >= 0);
        if (n == 0 && rs->n > 0) break;
    }
}

static void test_inotify(void **st)
{
    (void)st;
    char root[256], etc[512];
    make_tree(root, sizeof root);
    snprintf(etc, sizeof etc, "%s/etc", root);
    const char *paths[] = {etc};
    struct vg_fim_config cfg = {paths, 1, NULL, 0, true, 0, 0};
    struct vg_fim_watch *w;
    assert_int_equal(vg_fim_watch_open(&cfg, NULL, &w, NULL), 0);
    check_changes(root, w, watch_step);
    /* a new directory with a file in it */
    struct recs rs = {.n = 0};
    char p[600];
    snprintf(p, sizeof p, "%s/etc/newdir", root);
    assert_int_equal(mkdir(p, 0755), 0);
    watch_step(w, &rs);
    snprintf(p, sizeof p, "%s/etc/newdir/inner", root);
    write_file(p, "inner");
    rs.n = 0;
    watch_step(w, &rs);
    assert_non_null(find(&rs, "file_created", p));
    /* event conversion */
    struct vg_fim_entry e;
    assert_int_equal(vg_fim_stat(&cfg, p, &e), 0);
    struct vg_fim_entry b = e;
    b.mode = 0600;
    struct vg_fim_change ch = {"file_attributes_changed", p, &b, &e, VG_FIM_CH_MODE};
    struct vg_arena ar = VG_ARENA_INIT;
    struct vg_event ev;
    vg_event_init(&ev, &ar);
    assert_int_equal(vg_fim_change_to_event(&ch, "h", vg_now_ns(), &ev), 0);
    const struct vg_field *f = vg_event_get(&ev, vg_fid("vigil.fim.before.mode", 21));
    assert_non_null(f);
    assert_memory_equal(f->v.u.s, "0600", 4);
    f = vg_event_get(&ev, vg_fid("vigil.fim.after.mode", 20));
    assert_non_null(f);
    assert_memory_equal(f->v.u.s, "0644", 4);
    f = vg_event_get(&ev, vg_fid("vigil.fim.changed", 17));
    assert_non_null(f);
    assert_memory_equal(f->v.u.s, "mode", 4);
    assert_non_null(vg_event_get(&ev, vg_fid("file.hash.sha256", 16)));
    vg_arena_release(&ar);
    vg_free(e.path);
    vg_fim_watch_free(w);
    fx_rmrf(root);
}

static void test_hostile(void **st)
{
    (void)st;
    char root[256], d[512];
    fx_root(root, sizeof root);
    fx_symlink(root, "loop/a", "../loop");
    fx_symlink(root, "loop/self", "self");
    snprintf(d, sizeof d, "%s/loop", root);
    const char *paths[] = {d};
    struct vg_fim_config cfg = {paths, 1, NULL, 0, true, 0, 0};
    struct vg_fim_baseline *b;
    assert_int_equal(vg_fim_scan(&cfg, &b, NULL), 0);
    assert_int_equal(b->n, 3); /* the dir and two symlinks, not followed */
    assert_int_equal(b->e[1].type, 'l');
    vg_fim_baseline_free(b);
    const char *rel[] = {"relative/path"};
    cfg.paths = rel;
    struct vg_err err = VG_ERR_INIT;
    assert_int_equal(vg_fim_scan(&cfg, &b, &err), VG_EINVAL);
    static const char *const bad[] = {
        "", "vigil-fim 2\n", "vigil-fim 1\n/a\tf\t644\t0\t0\t1\t1\n",
        "vigil-fim 1\n/a\tf\t99999\t0\t0\t1\t1\t-\n", "vigil-fim 1\nrel\tf\t644\t0\t0\t1\t1\t-\n",
        "vigil-fim 1\n/b\tf\t644\t0\t0\t1\t1\t-\n/a\tf\t644\t0\t0\t1\t1\t-\n",
        "vigil-fim 1\n/a\\q\tf\t644\t0\t0\t1\t1\t-\n", "vigil-fim 1\n/a\tf\t644\t0\t0\t1\t1\tzz\n",
        "vigil-fim 1\n/a\tx\t644\t0\t0\t1\t1\t-\n", "vigil-fim 1\n/a\tf\t644\t99999999999\t0\t1\t1\t-\n"};
    for (size_t i = 0; i < VG_ARRAY_LEN(bad); i++) {
        assert_int_equal(vg_fim_baseline_load_mem(bad[i], strlen(bad[i]), &b, &err), VG_EPARSE);
        assert_null(b);
    }
    const char *ok = "vigil-fim 1\n/a\\tb\tf\t644\t0\t0\t1\t1\t-\n";
    assert_int_equal(vg_fim_baseline_load_mem(ok, strlen(ok), &b, &err), 0);
    assert_string_equal(b->e[0].path, "/a\tb");
    vg_fim_baseline_free(b);
    fx_rmrf(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_scan_diff), cmocka_unit_test(test_inotify),
                                       cmocka_unit_test(test_hostile)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
