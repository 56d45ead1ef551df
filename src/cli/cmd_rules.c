/* vigil rules check [--json] [--config FILE] [--mappings DIR]
 * [--filters PATH]... PATH...: loads Sigma rules, correlations and filters,
 * applies the filters, prints how many loaded and every rejection with
 * file:line:col and reason, every warning (a filter naming an unknown
 * rule) and every skipped non-Sigma document (mappings, policies), or a
 * JSON report. Exit 0 when everything loaded, 1 when some document was
 * rejected, 2 on usage errors. */
#include "cli.h"
#include "vigil/sigma.h"

static const char usage_text[] =
    "usage: vigil rules check [--json] [--config FILE] [--mappings PATH] [--filters PATH]... PATH...\n"
    "  Loads Sigma rules, correlations and filters from files or directories\n"
    "  (recursively, *.yml/*.yaml), applies the filters, and reports how many\n"
    "  loaded and why any were rejected. Log source mappings and hardening\n"
    "  policies found among the rules are recognised and skipped (counted).\n"
    "  --json           machine-readable report on stdout\n"
    "  --config FILE    YAML with `placeholders: {name: [values]}` for |expand\n"
    "  --mappings PATH  log source / field mappings (default: none)\n"
    "  --filters PATH   Sigma filter documents (only filters); repeatable\n"
    "  --quiet          only the summary line\n"
    "exit status: 0 all loaded (warnings allowed), 1 some rejected, 2 usage or I/O error";

static void json_str(struct vg_buf *b, const char *s)
{
    if (!s) { vg_buf_adds(b, "null"); return; }
    vg_buf_add_json_str(b, s, strlen(s));
}

static void json_entries(struct vg_buf *b, const struct vg_sigma_reject *r, size_t n)
{
    vg_buf_addc(b, '[');
    for (size_t i = 0; i < n; i++) {
        if (i) vg_buf_addc(b, ',');
        vg_buf_adds(b, "{\"file\":");
        json_str(b, r[i].file);
        vg_buf_addf(b, ",\"line\":%d,\"column\":%d,\"id\":", r[i].line, r[i].col);
        json_str(b, r[i].rule_id);
        vg_buf_adds(b, ",\"title\":");
        json_str(b, r[i].title);
        vg_buf_adds(b, ",\"reason\":");
        json_str(b, r[i].reason);
        vg_buf_addf(b, ",\"expand_placeholder\":%s}", r[i].expand ? "true" : "false");
    }
    vg_buf_addc(b, ']');
}

static int check(int argc, char **argv)
{
    bool json = false, quiet = false;
    const char *config = NULL, *mappings = NULL;
    const char *paths[256], *filters[256];
    size_t npaths = 0, nfilters = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) json = true;
        else if (strcmp(argv[i], "--quiet") == 0) quiet = true;
        else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) config = argv[++i];
        else if (strcmp(argv[i], "--mappings") == 0 && i + 1 < argc) mappings = argv[++i];
        else if (strcmp(argv[i], "--filters") == 0 && i + 1 < argc) {
            if (nfilters == VG_ARRAY_LEN(filters)) { fprintf(stderr, "vigil rules: too many --filters\n"); return 2; }
            filters[nfilters++] = argv[++i];
        }
        else if (argv[i][0] == '-' && argv[i][1]) { fprintf(stderr, "%s\n", usage_text); return 2; }
        else if (npaths < VG_ARRAY_LEN(paths)) paths[npaths++] = argv[i];
    }
    if (!npaths) { fprintf(stderr, "%s\n", usage_text); return 2; }
    struct vg_sigma_set *set = vg_sigma_set_new();
    struct vg_sigma_report rep = VG_SIGMA_REPORT_INIT;
    struct vg_err err = VG_ERR_INIT;
    int code = 2;
    if (!set) { fprintf(stderr, "vigil rules: out of memory\n"); return 2; }
    if (config && vg_sigma_load_config(set, config, &err) != 0) {
        fprintf(stderr, "vigil rules: %s\n", err.msg);
        goto out;
    }
    if (mappings && vg_sigma_load_mappings(set, mappings, &err) != 0) {
        fprintf(stderr, "vigil rules: %s\n", err.msg);
        goto out;
    }
    int64_t t0 = vg_mono_ns();
    bool io_error = false;
    for (size_t i = 0; i < npaths; i++) {
        int rc = vg_sigma_load_path(set, paths[i], &rep);
        if (rc == VG_ENOMEM) { fprintf(stderr, "vigil rules: out of memory\n"); goto out; }
        if (rc == VG_EIO) io_error = true; /* also listed in the report */
    }
    for (size_t i = 0; i < nfilters; i++) {
        int rc = vg_sigma_load_filters(set, filters[i], &rep);
        if (rc == VG_ENOMEM) { fprintf(stderr, "vigil rules: out of memory\n"); goto out; }
        if (rc == VG_EIO) io_error = true;
    }
    if (vg_sigma_compile_report(set, &rep, &err) != 0) { fprintf(stderr, "vigil rules: %s\n", err.msg); goto out; }
    double ms = (double)(vg_mono_ns() - t0) / 1e6;
    if (json) {
        struct vg_buf b = VG_BUF_INIT;
        b.cap_limit = 256u << 20;
        vg_buf_addf(&b, "{\"files\":%zu,\"documents\":%zu,\"loaded\":%zu,\"rejected\":%zu,\"correlations\":%zu,"
                        "\"filters\":%zu,\"filters_applied\":%zu,\"skipped\":%zu,\"warnings\":%zu,\"load_ms\":%.1f,"
                        "\"rejections\":",
                    rep.files, rep.documents, rep.loaded, rep.rejected, rep.correlations, rep.filters, rep.filters_applied,
                    rep.skipped, rep.nwarn, ms);
        json_entries(&b, rep.rej, rep.nrej);
        vg_buf_adds(&b, ",\"warning_list\":");
        json_entries(&b, rep.warn, rep.nwarn);
        vg_buf_adds(&b, ",\"notes\":");
        json_entries(&b, rep.notes, rep.nnotes);
        vg_buf_adds(&b, "}\n");
        if (b.data) fwrite(b.data, 1, b.len, stdout);
        vg_buf_release(&b);
    } else {
        if (!quiet) {
            for (size_t i = 0; i < rep.nrej; i++)
                printf("%s:%d:%d: rejected%s%s: %s\n", rep.rej[i].file, rep.rej[i].line, rep.rej[i].col,
                       rep.rej[i].rule_id ? " " : "", rep.rej[i].rule_id ? rep.rej[i].rule_id : "", rep.rej[i].reason);
            for (size_t i = 0; i < rep.nwarn; i++)
                printf("%s:%d:%d: warning%s%s: %s\n", rep.warn[i].file, rep.warn[i].line, rep.warn[i].col,
                       rep.warn[i].rule_id ? " " : "", rep.warn[i].rule_id ? rep.warn[i].rule_id : "", rep.warn[i].reason);
            for (size_t i = 0; i < rep.nnotes; i++)
                printf("%s:%d:%d: note%s%s: %s\n", rep.notes[i].file, rep.notes[i].line, rep.notes[i].col,
                       rep.notes[i].rule_id ? " " : "", rep.notes[i].rule_id ? rep.notes[i].rule_id : "", rep.notes[i].reason);
        }
        printf("%zu files, %zu documents: %zu rules loaded, %zu rejected, %zu correlations, %zu filters "
               "(applied %zu times), %zu skipped (not Sigma, or a file given twice), %zu warnings in %.0f ms\n",
               rep.files, rep.documents, rep.loaded, rep.rejected, rep.correlations, rep.filters, rep.filters_applied,
               rep.skipped, rep.nwarn, ms);
    }
    code = io_error ? 2 : rep.rejected ? 1 : 0;
out:
    vg_sigma_report_release(&rep);
    vg_sigma_set_free(set);
    return code;
}

static int run(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "check") != 0) {
        fprintf(stderr, "%s\n", usage_text);
        return 2;
    }
    return check(argc - 1, argv + 1);
}

const struct vg_cmd vg_cmd_rules = {
    .name = "rules", .desc = "check Sigma rules (load, compile, report rejections)", .usage = usage_text, .run = run};
