/* Shared by the two regression tests (tests/unit/sigma/test_sigma_regression.c
 * and tests/unit/detect/test_regression_sources.c): reads a SigmaHQ
 * regression case's info.yml — the rule id it tests and the match_count it
 * expects (1 when none is given). Header-only, test code. */
#ifndef VG_TEST_REGRESSION_INFO_H
#define VG_TEST_REGRESSION_INFO_H

#include <libfyaml.h>
#include <stdio.h>
#include "vigil/core.h"

/* Reads base/name/info.yml; 0 on success, -1 when the file or its rule id
 * is missing. */
static inline int vg_test_regression_info(const char *base, const char *name, char *id, size_t idsz, long *want)
{
    char path[8192];
    snprintf(path, sizeof path, "%s/%s/info.yml", base, name);
    struct fy_document *info = fy_document_build_from_file(NULL, path);
    if (!info) return -1;
    struct fy_node *root = fy_document_root(info);
    struct fy_node *idn = fy_node_by_path(root, "/rule_metadata/0/id", FY_NT, FYNWF_DONT_FOLLOW);
    size_t il = 0;
    const char *ids = idn ? fy_node_get_scalar(idn, &il) : NULL;
    if (!ids) {
        fy_document_destroy(info);
        return -1;
    }
    snprintf(id, idsz, "%.*s", (int)il, ids);
    *want = 1;
    struct fy_node *mc = fy_node_by_path(root, "/regression_tests_info/0/match_count", FY_NT, FYNWF_DONT_FOLLOW);
    if (mc) {
        size_t ml;
        const char *ms = fy_node_get_scalar(mc, &ml);
        int64_t v;
        if (ms && vg_parse_i64(ms, ml, &v) == 0) *want = (long)v;
    }
    fy_document_destroy(info);
    return 0;
}

#endif
