/* Benchmark of vulnerable-package matching: N installed binary packages
 * (several binaries per source package, as on a real host) against a
 * synthetic Debian-tracker file of ~100k advisories (3 releases each, only
 * bookworm kept). Measures, in one run:
 *   - tracker import with the pull scanner vs. jansson json_loadb on the
 *     same bytes (time, and heap in use afterwards via mallinfo2),
 *   - matching with the sorted index (vg_vuln_match) vs. a naive linear
 *     scan over every advisory for every package; both must agree.
 *   bench_vuln [packages=5000] [advisories=100000] */
#include "vigil/vuln.h"

#include <jansson.h>
#include <malloc.h>

static double ms(int64_t ns) { return (double)ns / 1e6; }

/* Bytes in use: small-block arenas plus mmapped blocks. */
static size_t heap_in_use(void)
{
    struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd;
}

int main(int argc, char **argv)
{
    int64_t npkg = 5000, nadv = 100000;
    if (argc > 1) vg_parse_i64(argv[1], strlen(argv[1]), &npkg);
    if (argc > 2) vg_parse_i64(argv[2], strlen(argv[2]), &nadv);
    if (npkg < 1 || nadv < 5) { fprintf(stderr, "usage: bench_vuln [packages] [advisories]\n"); return 2; }
    const int64_t per_src = 5;                  /* advisories per source package */
    int64_t nsrc_adv = nadv / per_src;          /* sources with advisories */
    int64_t nsrc_inst = npkg / 2;               /* installed sources: 2 binaries each */

    /* status file: binaries lib<src>-<k> of source src<j>, version 1.<j%50>-<j%7> */
    struct vg_buf st = VG_BUF_INIT;
    st.cap_limit = 1u << 30;
    for (int64_t i = 0; i < npkg; i++) {
        int64_t j = (i / 2) * 7 % (nsrc_adv * 2); /* half the installed sources have advisories */
        vg_buf_addf(&st, "Package: bin%lld-%lld\nStatus: install ok installed\nArchitecture: amd64\n"
                         "Source: src%lld (1.%lld-%lld)\nVersion: 1.%lld-%lld+b1\nDescription: synthetic\n\n",
                    (long long)j, (long long)(i % 2), (long long)j, (long long)(j % 50), (long long)(j % 7),
                    (long long)(j % 50), (long long)(j % 7));
    }
    (void)nsrc_inst;
    /* tracker: src<j> for j < nsrc_adv, per_src CVEs, fixed at 1.<j%50 + (c-2)>-0 */
    struct vg_buf tj = VG_BUF_INIT;
    tj.cap_limit = 1u << 30;
    vg_buf_addc(&tj, '{');
    for (int64_t j = 0; j < nsrc_adv; j++) {
        vg_buf_addf(&tj, "%s\"src%lld\":{", j ? "," : "", (long long)j);
        for (int64_t c = 0; c < per_src; c++) {
            long long fixmaj = (long long)(j % 50 + c - 2);
            const char *status = c == 4 ? "open" : "resolved";
            vg_buf_addf(&tj, "%s\"CVE-2024-%lld\":{\"description\":\"synthetic advisory text for the benchmark\","
                             "\"scope\":\"remote\",\"releases\":{",
                        c ? "," : "", (long long)(j * per_src + c));
            static const char *const rels[] = {"bullseye", "bookworm", "trixie"};
            for (int r = 0; r < 3; r++) {
                vg_buf_addf(&tj, "%s\"%s\":{\"status\":\"%s\",\"repositories\":{\"%s\":\"1.0-1\"},", r ? "," : "",
                            rels[r], status, rels[r]);
                if (c != 4) vg_buf_addf(&tj, "\"fixed_version\":\"%s1.%lld-0\",", fixmaj < 0 ? "0:" : "", fixmaj < 0 ? 0 : fixmaj);
                vg_buf_addf(&tj, "\"urgency\":\"%s\"}", c % 2 ? "medium" : "low");
            }
            vg_buf_adds(&tj, "}}");
        }
        vg_buf_addc(&tj, '}');
    }
    vg_buf_adds(&tj, "}");
    printf("input: %lld packages (%zu bytes of status), tracker %.1f MB with %lld source x CVE entries\n",
           (long long)npkg, st.len, (double)tj.len / 1e6, (long long)(nsrc_adv * per_src));

    struct vg_err err = VG_ERR_INIT;
    struct vg_pkg_inventory inv = VG_PKG_INVENTORY_INIT;
    int64_t t0 = vg_mono_ns();
    if (vg_pkg_inventory_load_dpkg_mem(&inv, st.data, st.len, 0, &err) != 0 || inv.n != (size_t)npkg) {
        fprintf(stderr, "inventory: %s (%zu)\n", err.msg, inv.n);
        return 1;
    }
    int64_t t_inv = vg_mono_ns() - t0;
    printf("inventory parse:   %8.2f ms  (%.0f packages/s)\n", ms(t_inv), (double)npkg / (t_inv / 1e9));

    /* import: pull scanner vs jansson tree */
    size_t h0 = heap_in_use();
    struct vg_vuln_db *db = vg_vuln_db_new("bookworm");
    struct vg_vuln_load_report rep;
    t0 = vg_mono_ns();
    if (!db || vg_vuln_db_load_tracker_mem(db, tj.data, tj.len, "bench", &rep, &err) != 0) {
        fprintf(stderr, "tracker: %s\n", err.msg);
        return 1;
    }
    int64_t t_scan = vg_mono_ns() - t0;
    size_t h_db = heap_in_use() - h0;
    h0 = heap_in_use();
    json_error_t je;
    t0 = vg_mono_ns();
    json_t *tree = json_loadb(tj.data, tj.len, 0, &je);
    int64_t t_jansson = vg_mono_ns() - t0;
    size_t h_tree = heap_in_use() - h0;
    if (!tree) { fprintf(stderr, "jansson: %s\n", je.text); return 1; }
    json_decref(tree);
    printf("tracker import:    %8.2f ms  (%.0f MB/s), %zu advisories kept, db heap %.1f MB\n", ms(t_scan),
           (double)tj.len / 1e6 / (t_scan / 1e9), vg_vuln_db_count(db), (double)h_db / 1e6);
    printf("jansson baseline:  %8.2f ms  (%.0f MB/s), tree heap %.1f MB (then still to be walked)\n", ms(t_jansson),
           (double)tj.len / 1e6 / (t_jansson / 1e9), (double)h_tree / 1e6);
    printf("  import speed-up x%.2f, memory x%.1f less\n", (double)t_jansson / (double)t_scan,
           (double)h_tree / (double)(h_db ? h_db : 1));

    /* matching: indexed vs naive */
    const int passes = 20;
    size_t found = 0;
    t0 = vg_mono_ns();
    for (int p = 0; p < passes; p++) {
        struct vg_vuln_findings f = VG_VULN_FINDINGS_INIT;
        if (vg_vuln_match(db, &inv, "bench", &f, &err) != 0) { fprintf(stderr, "match: %s\n", err.msg); return 1; }
        found = f.n;
        vg_vuln_findings_release(&f);
    }
    int64_t t_idx = (vg_mono_ns() - t0) / passes;

    /* The naive scan is O(packages x advisories): run it on every 10th
     * package and scale, comparing with the indexed findings of the same
     * packages. */
    const size_t stride = 10;
    struct vg_vuln_findings fi = VG_VULN_FINDINGS_INIT;
    if (vg_vuln_match(db, &inv, "bench", &fi, &err) != 0) return 1;
    size_t indexed_sampled = 0;
    for (size_t i = 0; i < fi.n; i++)
        if ((size_t)(fi.v[i].pkg - inv.pkgs) % stride == 0) indexed_sampled++;
    vg_vuln_findings_release(&fi);
    t0 = vg_mono_ns();
    size_t naive = 0, total = vg_vuln_db_count(db), sampled = 0;
    for (size_t i = 0; i < inv.n; i += stride) {
        const struct vg_pkg *p = &inv.pkgs[i];
        struct vg_dpkg_version v;
        sampled++;
        if (vg_dpkg_version_parse(p->source_version, strlen(p->source_version), &v, 0, NULL) != 0) continue;
        for (size_t k = 0; k < total; k++) {
            const struct vg_advisory *a = vg_vuln_db_get(db, k);
            if (strcmp(a->source, p->source) == 0 && vg_vuln_affects(a, &v)) naive++;
        }
    }
    int64_t t_naive = (vg_mono_ns() - t0) * (int64_t)inv.n / (int64_t)sampled;
    printf("match (indexed):   %8.3f ms per host (%lld packages x %zu advisories), %zu findings\n", ms(t_idx),
           (long long)npkg, total, found);
    printf("match (naive scan):%8.1f ms per host (measured on %zu packages, scaled), %zu findings there (indexed: %zu)\n",
           ms(t_naive), sampled, naive, indexed_sampled);
    printf("  matching speed-up x%.0f\n", (double)t_naive / (double)(t_idx ? t_idx : 1));
    int rc = naive == indexed_sampled ? 0 : 1;
    if (rc) fprintf(stderr, "MISMATCH: indexed %zu vs naive %zu findings\n", indexed_sampled, naive);
    vg_vuln_db_free(db);
    vg_pkg_inventory_release(&inv);
    vg_buf_release(&st);
    vg_buf_release(&tj);
    return rc;
}
