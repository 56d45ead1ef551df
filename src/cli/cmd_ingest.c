/* vigil ingest: one-off loads of files straight into the store through the
 * same pipeline the server uses (no server needed). Prints a summary per
 * file and in total; exit 0 when every record was stored (or already
 * there), 1 when records were dropped or a file could not be read. */
#include "cli.h"
#include "vigil/source.h"
#include <sys/stat.h>
#include <unistd.h>

static const char usage[] =
    "usage: vigil ingest [--data DIR] [--format NAME] [--tenant T] [--workers N] FILE...\n"
    "\n"
    "Loads log files into the store in DIR ($VIGIL_DATA or ./data): text files line by line, JSON\n"
    "arrays, JSON lines and concatenated JSON values record by record. --format forces a decoder\n"
    "(see `vigil list decoders`). Loading the same unchanged file again stores nothing new.\n"
    "Do not run it on a data directory a running server is writing to.";

static int run(int argc, char **argv)
{
    const char *data = vg_cli_default_data(), *format = NULL, *tenant = "default";
    int64_t workers = 0;
    int i = 1;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) { i++; break; }
        if (strncmp(argv[i], "--", 2) != 0) break;
        if (i + 1 >= argc) { fprintf(stderr, "vigil ingest: %s needs a value\n", argv[i]); return 2; }
        if (strcmp(argv[i], "--data") == 0) data = argv[++i];
        else if (strcmp(argv[i], "--format") == 0) format = argv[++i];
        else if (strcmp(argv[i], "--tenant") == 0) tenant = argv[++i];
        else if (strcmp(argv[i], "--workers") == 0) {
            ++i;
            if (vg_parse_i64(argv[i], strlen(argv[i]), &workers) != 0 || workers < 0 || workers > 64) {
                fprintf(stderr, "vigil ingest: --workers wants 0..64\n");
                return 2;
            }
        } else {
            fprintf(stderr, "vigil ingest: unknown option '%s'\n%s\n", argv[i], usage);
            return 2;
        }
    }
    if (i >= argc) { fprintf(stderr, "%s\n", usage); return 2; }
    if (format && (!vg_decoder_find(format) || vg_decoder_find(format)->kind != VG_DEC_FORMAT)) {
        fprintf(stderr, "vigil ingest: unknown format '%s' (see `vigil list decoders`)\n", format);
        return 2;
    }
    struct vg_err err = VG_ERR_INIT;
    struct vg_store *store = NULL;
    if (access(data, F_OK) != 0 && mkdir(data, 0700) != 0) {
        fprintf(stderr, "vigil ingest: cannot create %s\n", data);
        return 1;
    }
    if (vg_store_open(&store, data, &err) != 0) {
        fprintf(stderr, "vigil ingest: %s\n", err.msg);
        return 1;
    }
    struct vg_pipeline_opts po = {.workers = (size_t)workers, .decode = {.format = format}};
    struct vg_pipeline *p = NULL;
    if (vg_pipeline_new(&p, store, &po, &err) != 0) {
        fprintf(stderr, "vigil ingest: %s\n", err.msg);
        vg_store_close(store);
        return 1;
    }
    int nfiles = argc - i, bad_files = 0;
    struct vg_source_counters **cs = vg_calloc((size_t)nfiles, sizeof *cs);
    struct vg_load_opts lo = {.tenant = tenant};
    int64_t t0 = vg_mono_ns();
    for (int k = 0; cs && k < nfiles; k++) {
        struct vg_err e = VG_ERR_INIT;
        if (vg_ingest_load_file(p, argv[i + k], &lo, &cs[k], &e) != 0) {
            fprintf(stderr, "vigil ingest: %s\n", e.msg);
            bad_files++;
        }
    }
    vg_pipeline_stop(p);   /* drains and commits everything */
    double secs = (double)(vg_mono_ns() - t0) / 1e9;
    uint64_t tot[6] = {0};
    for (int k = 0; cs && k < nfiles; k++) {
        struct vg_source_counters *c = cs[k];
        if (!c) continue;
        uint64_t v[6] = {atomic_load(&c->received), atomic_load(&c->decoded), atomic_load(&c->failed),
                         atomic_load(&c->stored), atomic_load(&c->duplicates), atomic_load(&c->dropped)};
        for (int j = 0; j < 6; j++) tot[j] += v[j];
        printf("%s: read %llu, decoded %llu, failed %llu, stored %llu, duplicates %llu, dropped %llu\n",
               argv[i + k], (unsigned long long)v[0], (unsigned long long)v[1], (unsigned long long)v[2],
               (unsigned long long)v[3], (unsigned long long)v[4], (unsigned long long)v[5]);
    }
    if (nfiles > 1)
        printf("total: read %llu, decoded %llu, failed %llu, stored %llu, duplicates %llu, dropped %llu\n",
               (unsigned long long)tot[0], (unsigned long long)tot[1], (unsigned long long)tot[2],
               (unsigned long long)tot[3], (unsigned long long)tot[4], (unsigned long long)tot[5]);
    printf("%.2f s, %.0f records/s\n", secs, secs > 0 ? (double)tot[0] / secs : 0.0);
    int code = (bad_files || tot[5] || !cs) ? 1 : 0;
    vg_free(cs);
    vg_pipeline_free(p, NULL);
    return code;
}

const struct vg_cmd vg_cmd_ingest = {.name = "ingest", .desc = "load log files into the store (one-off)",
                                     .usage = usage, .run = run};
