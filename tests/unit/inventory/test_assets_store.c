/* Asset storage (src/store/assets_sqlite.c): inventory upsert with change
 * history, tenant isolation, posture and vulnerability results, and
 * rejected input (bad JSON, bad names) leaving the store unchanged. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "sca/fixture.h"
#include "vigil/store.h"

static void test_assets(void **st)
{
    (void)st;
    char dir[256];
    fx_root(dir, sizeof dir);
    struct vg_store *s = NULL;
    struct vg_err err = VG_ERR_INIT;
    assert_int_equal(vg_store_open(&s, dir, &err), 0);
    const char *snap1 = "{\"schema\":\"vigil.inventory/1\",\"os\":{\"os_pretty\":\"OS 1\",\"kernel_release\":\"6.1\"},"
                        "\"packages_known\":7}";
    const char *snap2 = "{\"schema\":\"vigil.inventory/1\",\"os\":{\"os_pretty\":\"OS 2\",\"kernel_release\":\"6.2\"},"
                        "\"packages_known\":8}";
    const char *ch = "[{\"event\":{\"action\":\"package_installed\"},\"vigil.inventory.subject\":\"nmap\"},"
                     "{\"event\":{\"action\":\"kernel_changed\"},\"vigil.inventory.subject\":\"kernel_release\"}, 5]";
    assert_int_equal(vg_store_put_inventory(s, "t1", "web1", snap1, NULL, 1000, &err), 0);
    assert_int_equal(vg_store_put_inventory(s, "t1", "web1", snap2, ch, 2000, &err), 0);
    assert_int_equal(vg_store_put_inventory(s, "t2", "db1", snap1, "[]", 3000, &err), 0);
    /* rejected: not JSON, an array as snapshot, changes not an array, bad names */
    assert_int_equal(vg_store_put_inventory(s, "t1", "web1", "{nope", NULL, 0, &err), VG_EINVAL);
    assert_int_equal(vg_store_put_inventory(s, "t1", "web1", "[1]", NULL, 0, &err), VG_EINVAL);
    assert_int_equal(vg_store_put_inventory(s, "t1", "web1", snap1, "{}", 0, &err), VG_EINVAL);
    assert_int_equal(vg_store_put_inventory(s, "", "web1", snap1, NULL, 0, &err), VG_EINVAL);
    char longname[400];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    assert_int_equal(vg_store_put_inventory(s, "t1", longname, snap1, NULL, 0, &err), VG_EINVAL);

    struct vg_asset_info info;
    char *sj = NULL, *cj = NULL;
    assert_int_equal(s->ops->asset_get(s, "t1", "web1", &info, &sj, &cj, 10, &err), 0);
    assert_string_equal(info.os, "OS 2");
    assert_string_equal(info.kernel, "6.2");
    assert_int_equal(info.packages, 8);
    assert_int_equal(info.first_seen, 1000);
    assert_int_equal(info.last_seen, 2000);
    assert_int_equal(info.changes, 2); /* the non-object element was skipped */
    assert_true(info.score < 0);
    assert_int_equal(info.vulns, -1);
    assert_string_equal(sj, snap2);
    assert_non_null(strstr(cj, "package_installed"));
    assert_non_null(strstr(cj, "kernel_changed"));
    vg_free(sj);
    vg_free(cj);
    /* tenant isolation */
    assert_int_equal(s->ops->asset_get(s, "t2", "web1", &info, NULL, NULL, 0, &err), VG_ENOENT);
    struct vg_asset_info *list = NULL;
    size_t n = 0;
    assert_int_equal(s->ops->asset_list(s, "t2", &list, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(list[0].host, "db1");
    vg_free(list);
    assert_int_equal(s->ops->asset_list(s, NULL, &list, &n, &err), 0);
    assert_int_equal(n, 2);
    vg_free(list);
    /* posture and vulns; a posture for a new host creates the asset */
    assert_int_equal(s->ops->asset_put_posture(s, "t1", "web1", "pol", 72.5, "{\"failed\":[]}", 4000, &err), 0);
    assert_int_equal(s->ops->asset_put_posture(s, "t1", "web1", "pol", 80.0, "not json", 5000, &err), VG_EINVAL);
    assert_int_equal(s->ops->asset_put_vulns(s, "t1", "web1", 3, "[{\"package\":\"openssl\"}]", 4000, &err), 0);
    assert_int_equal(s->ops->asset_put_posture(s, "t1", "new1", "pol", -1, "{}", 4000, &err), 0);
    assert_int_equal(s->ops->asset_get(s, "t1", "web1", &info, NULL, NULL, 0, &err), 0);
    assert_true(info.score > 72.4 && info.score < 72.6);
    assert_int_equal(info.vulns, 3);
    char *pj = NULL, *vj = NULL;
    assert_int_equal(s->ops->asset_get_posture(s, "t1", "web1", &pj, &vj, &err), 0);
    assert_non_null(strstr(pj, "\"policy\":\"pol\""));
    assert_non_null(strstr(vj, "openssl"));
    vg_free(pj);
    vg_free(vj);
    assert_int_equal(s->ops->asset_get(s, "t1", "new1", &info, NULL, NULL, 0, &err), 0);
    vg_store_close(s);
    /* persisted across reopen */
    assert_int_equal(vg_store_open(&s, dir, &err), 0);
    assert_int_equal(s->ops->asset_list(s, "t1", &list, &n, &err), 0);
    assert_int_equal(n, 2);
    vg_free(list);
    vg_store_close(s);
    fx_rmrf(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_assets)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
