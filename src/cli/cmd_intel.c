/* vigil intel load|list|stats|check: loads threat-intel feeds (STIX 2.1
 * bundles, MISP events, text/CSV lists; MISP warninglists with
 * --warninglists) through the detect layer's intel module and reports
 * counts and rejections, lists indicators, prints the compiled set's
 * figures, or checks values against the set. `feeds` (the registered
 * feeds) and `lookup` (a server's look-up) are in intel_feeds.c. Exit 0 ok, 1 when something
 * was rejected (load) or nothing matched (check), 2 on usage / I/O errors. */
#include "cli.h"
#include "vigil/intel.h"

static const char usage_text[] =
    "usage: vigil intel load  [--json] [--quiet] [--warninglists DIR] FEED...\n"
    "       vigil intel list  [--warninglists DIR] FEED...\n"
    "       vigil intel stats [--json] [--warninglists DIR] FEED...\n"
    "       vigil intel check [--warninglists DIR] [--at TIME] -f FEED [-f FEED...] VALUE...\n"
    "       vigil intel feeds list|add|remove|refresh ... (registered feeds; vigil intel feeds for help)\n"
    "       vigil intel lookup VALUE --server URL [--token T] [--json]\n"
    "  FEED is a file or directory: STIX 2.1 bundle, MISP event JSON, MISP\n"
    "  warninglist, or a text/CSV list (one value per line, optional type column).\n"
    "  --warninglists DIR  load MISP warninglists (*/list.json) that suppress hits\n"
    "  --at TIME           validity time for check (ISO 8601; default now)\n"
    "exit status: 0 ok, 1 rejections (load) or no match (check), 2 usage or I/O error";

static void json_str(struct vg_buf *b, const char *s)
{
    if (!s) { vg_buf_adds(b, "null"); return; }
    vg_buf_add_json_str(b, s, strlen(s));
}

static void json_rej(struct vg_buf *b, const struct vg_intel_reject *r, size_t n)
{
    vg_buf_addc(b, '[');
    for (size_t i = 0; i < n; i++) {
        if (i) vg_buf_addc(b, ',');
        vg_buf_adds(b, "{\"feed\":");
        json_str(b, r[i].feed);
        vg_buf_adds(b, ",\"id\":");
        json_str(b, r[i].id);
        vg_buf_adds(b, ",\"reason\":");
        json_str(b, r[i].reason);
        vg_buf_addc(b, '}');
    }
    vg_buf_addc(b, ']');
}

struct opts {
    bool json, quiet;
    const char *wl;
    const char *feeds[256];
    size_t nfeeds;
    const char *vals[256];
    size_t nvals;
    int64_t at;
};

static int parse(int argc, char **argv, bool check, struct opts *o)
{
    memset(o, 0, sizeof *o);
    o->at = vg_now_ns();
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--json") == 0) o->json = true;
        else if (strcmp(a, "--quiet") == 0) o->quiet = true;
        else if (strcmp(a, "--warninglists") == 0 && i + 1 < argc) o->wl = argv[++i];
        else if (check && strcmp(a, "--at") == 0 && i + 1 < argc) {
            if (vg_time_parse_iso(argv[i + 1], strlen(argv[i + 1]), &o->at) != 0) return -1;
            i++;
        } else if (check && strcmp(a, "-f") == 0 && i + 1 < argc) {
            if (o->nfeeds < VG_ARRAY_LEN(o->feeds)) o->feeds[o->nfeeds++] = argv[++i];
        } else if (a[0] == '-' && a[1]) return -1;
        else if (check) { if (o->nvals < VG_ARRAY_LEN(o->vals)) o->vals[o->nvals++] = a; }
        else if (o->nfeeds < VG_ARRAY_LEN(o->feeds)) o->feeds[o->nfeeds++] = a;
    }
    return (check ? (o->nvals && (o->nfeeds || o->wl)) : (o->nfeeds || o->wl)) ? 0 : -1;
}

static struct vg_intel_set *load(const struct opts *o, struct vg_intel_report *rep, bool *io_error, double *ms)
{
    struct vg_intel_builder *b = vg_intel_builder_new();
    struct vg_err err = VG_ERR_INIT;
    if (!b) { fprintf(stderr, "vigil intel: out of memory\n"); return NULL; }
    int64_t t0 = vg_mono_ns();
    for (size_t i = 0; i < o->nfeeds; i++) {
        int rc = vg_intel_load_path(b, o->feeds[i], rep);
        if (rc == VG_ENOMEM) { fprintf(stderr, "vigil intel: out of memory\n"); vg_intel_builder_free(b); return NULL; }
        if (rc == VG_EIO) *io_error = true;
    }
    if (o->wl && vg_intel_load_path(b, o->wl, rep) == VG_EIO) *io_error = true;
    struct vg_intel_set *s = vg_intel_build(b, &err);
    *ms = (double)(vg_mono_ns() - t0) / 1e6;
    if (!s) fprintf(stderr, "vigil intel: %s\n", err.msg);
    return s;
}

static void print_atoms(const size_t *atoms)
{
    bool first = true;
    for (int t = 0; t < VG_INTEL_NTYPES; t++)
        if (atoms[t]) { printf("%s%s %zu", first ? "" : ", ", vg_intel_type_name(t), atoms[t]); first = false; }
    if (first) printf("none");
}

static int cmd_load(int argc, char **argv, bool stats_only)
{
    struct opts o;
    if (parse(argc, argv, false, &o) != 0) { fprintf(stderr, "%s\n", usage_text); return 2; }
    struct vg_intel_report rep = VG_INTEL_REPORT_INIT;
    bool io_error = false;
    double ms = 0;
    int code = 2;
    struct vg_intel_set *s = load(&o, &rep, &io_error, &ms);
    if (!s) goto out;
    struct vg_intel_stats st;
    vg_intel_stats(s, &st);
    if (o.json) {
        struct vg_buf b = VG_BUF_INIT;
        b.cap_limit = 256u << 20;
        vg_buf_addf(&b, "{\"files\":%zu,\"objects\":%zu,\"indicators\":%zu,\"accepted\":%zu,\"rejected\":%zu,"
                        "\"skipped\":%zu,\"parts_dropped\":%zu,\"warninglist_entries\":%zu,\"load_ms\":%.1f,"
                        "\"memory_bytes\":%zu,\"atoms\":{",
                    rep.files, rep.objects, rep.indicators, rep.accepted, rep.rejected, rep.skipped, rep.parts_dropped,
                    rep.warninglist_entries, ms, st.bytes);
        for (int t = 0; t < VG_INTEL_NTYPES; t++)
            vg_buf_addf(&b, "%s\"%s\":%zu", t ? "," : "", vg_intel_type_name(t), rep.atoms[t]);
        vg_buf_addf(&b, "},\"ip_prefixes\":%zu,\"ip_intervals_v4\":%zu,\"ip_intervals_v6\":%zu,\"strings\":%zu",
                    st.ip_prefixes, st.ip_intervals4, st.ip_intervals6, st.strings);
        if (!stats_only) {
            vg_buf_adds(&b, ",\"rejections\":");
            json_rej(&b, rep.rej, rep.nrej);
            vg_buf_adds(&b, ",\"notes\":");
            json_rej(&b, rep.notes, rep.nnotes);
        }
        vg_buf_adds(&b, "}\n");
        if (b.data) fwrite(b.data, 1, b.len, stdout);
        vg_buf_release(&b);
    } else if (stats_only) {
        printf("indicators %zu (", st.indicators);
        print_atoms(st.atoms);
        printf(")\nip prefixes %zu -> %zu IPv4 + %zu IPv6 intervals; %zu string keys; %zu warninglist entries\n"
               "memory %.1f MiB; built in %.0f ms\n",
               st.ip_prefixes, st.ip_intervals4, st.ip_intervals6, st.strings, st.wl_entries,
               (double)st.bytes / (1024.0 * 1024.0), ms);
    } else {
        if (!o.quiet) {
            for (size_t i = 0; i < rep.nrej; i++)
                printf("%s: rejected%s%s: %s\n", rep.rej[i].feed ? rep.rej[i].feed : "-", rep.rej[i].id ? " " : "",
                       rep.rej[i].id ? rep.rej[i].id : "", rep.rej[i].reason);
            for (size_t i = 0; i < rep.nnotes; i++)
                printf("%s: note%s%s: %s\n", rep.notes[i].feed ? rep.notes[i].feed : "-", rep.notes[i].id ? " " : "",
                       rep.notes[i].id ? rep.notes[i].id : "", rep.notes[i].reason);
        }
        printf("%zu files, %zu objects: %zu indicators, %zu accepted, %zu rejected, %zu skipped (not IoCs), "
               "%zu pattern parts dropped, %zu warninglist entries\nvalues: ",
               rep.files, rep.objects, rep.indicators, rep.accepted, rep.rejected, rep.skipped, rep.parts_dropped,
               rep.warninglist_entries);
        print_atoms(rep.atoms);
        printf("\nloaded in %.0f ms\n", ms);
    }
    code = io_error ? 2 : (!stats_only && rep.rejected) ? 1 : 0;
out:
    vg_intel_set_unref(s);
    vg_intel_report_release(&rep);
    return code;
}

static void fmt_time(int64_t ns, char *buf, size_t n)
{
    if (ns == INT64_MIN || ns == INT64_MAX) snprintf(buf, n, "-");
    else vg_time_format(ns, buf, n, 0);
}

static int cmd_list(int argc, char **argv)
{
    struct opts o;
    if (parse(argc, argv, false, &o) != 0) { fprintf(stderr, "%s\n", usage_text); return 2; }
    struct vg_intel_report rep = VG_INTEL_REPORT_INIT;
    bool io_error = false;
    double ms;
    struct vg_intel_set *s = load(&o, &rep, &io_error, &ms);
    vg_intel_report_release(&rep);
    if (!s) return 2;
    size_t n;
    const struct vg_intel_indicator *ind = vg_intel_indicators(s, &n);
    for (size_t i = 0; i < n; i++) {
        char f[40], u[40];
        fmt_time(ind[i].valid_from, f, sizeof f);
        fmt_time(ind[i].valid_until, u, sizeof u);
        printf("%s\t%s\t%s\tconfidence=%d\tvalid=%s..%s\t%s\n", ind[i].feed ? ind[i].feed : "-",
               ind[i].id ? ind[i].id : "-", ind[i].name ? ind[i].name : "-", ind[i].confidence, f, u,
               ind[i].pattern ? ind[i].pattern : "");
    }
    vg_intel_set_unref(s);
    return io_error ? 2 : 0;
}

static int cmd_check(int argc, char **argv)
{
    struct opts o;
    if (parse(argc, argv, true, &o) != 0) { fprintf(stderr, "%s\n", usage_text); return 2; }
    struct vg_intel_report rep = VG_INTEL_REPORT_INIT;
    bool io_error = false;
    double ms;
    struct vg_intel_set *s = load(&o, &rep, &io_error, &ms);
    vg_intel_report_release(&rep);
    if (!s) return 2;
    size_t total = 0;
    for (size_t i = 0; i < o.nvals; i++) {
        struct vg_intel_hit hits[64];
        bool sup = false;
        size_t n = vg_intel_check_value(s, o.vals[i], strlen(o.vals[i]), o.at, hits, VG_ARRAY_LEN(hits), &sup);
        if (!n) printf("%s: %s\n", o.vals[i], sup ? "suppressed by a warninglist" : "no match");
        for (size_t k = 0; k < n && k < VG_ARRAY_LEN(hits); k++) {
            char f[40], u[40];
            fmt_time(hits[k].ind->valid_from, f, sizeof f);
            fmt_time(hits[k].ind->valid_until, u, sizeof u);
            printf("%s: %s %s \"%s\" feed=%s confidence=%d valid=%s..%s pattern=%s\n", o.vals[i],
                   vg_intel_type_name(hits[k].type), hits[k].ind->id ? hits[k].ind->id : "-",
                   hits[k].ind->name ? hits[k].ind->name : "-", hits[k].ind->feed ? hits[k].ind->feed : "-",
                   hits[k].ind->confidence, f, u, hits[k].ind->pattern ? hits[k].ind->pattern : "");
        }
        total += n;
    }
    vg_intel_set_unref(s);
    return io_error ? 2 : total ? 0 : 1;
}

static int run(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "load") == 0) return cmd_load(argc - 1, argv + 1, false);
    if (argc >= 2 && strcmp(argv[1], "stats") == 0) return cmd_load(argc - 1, argv + 1, true);
    if (argc >= 2 && strcmp(argv[1], "list") == 0) return cmd_list(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "check") == 0) return cmd_check(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "feeds") == 0) return vg_cli_intel_feeds(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "lookup") == 0) return vg_cli_intel_lookup(argc - 1, argv + 1);
    fprintf(stderr, "%s\n", usage_text);
    return 2;
}

const struct vg_cmd vg_cmd_intel = {
    .name = "intel", .desc = "threat-intel feeds (STIX, MISP, lists): load, stats, check, registered feeds, look-up", .usage = usage_text,
    .run = run};
