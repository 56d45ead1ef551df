/* EVTX reading: the native BinXML decoder (default) against the libevtx
 * path (VG_EVTX_LIBEVTX=1, the baseline), over the same files in the same
 * process: vg_evtx_read_file -> XML -> expat -> event fields, per file.
 * Usage: bench_evtx [-n] [FILE.evtx ...] (-n: native only, for profiling; default: every .evtx of
 * $VG_SHARED/sigma/regression_data plus data/windows/evtx-modern). Prints
 * events per CPU second of this thread, best of 5 interleaved rounds, and
 * the ratio. Records libevtx cannot read count as events on both sides
 * (they become decode-failed events on the libevtx path). */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "vigil/evtx.h"

static int on_record(void *ctx, struct vg_batch *b, struct vg_event *ev)
{
    (void)ev;
    (*(size_t *)ctx)++;
    b->n = 0;
    vg_arena_reset(&b->arena);
    return 0;
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double run(char **files, size_t nfiles, bool libevtx, int reps, size_t *events, size_t *failed)
{
    if (libevtx) setenv("VG_EVTX_LIBEVTX", "1", 1);
    else unsetenv("VG_EVTX_LIBEVTX");
    struct vg_batch *b = vg_batch_new(16);
    *events = *failed = 0;
    double t0 = cpu_now();
    for (int r = 0; r < reps; r++)
        for (size_t i = 0; i < nfiles; i++) {
            struct vg_evtx_stats st;
            size_t n = 0;
            vg_evtx_read_file(files[i], 0, b, on_record, &n, &st, NULL);
            *events += n;
            *failed += st.unreadable;
        }
    double t = cpu_now() - t0;
    vg_batch_free(b);
    unsetenv("VG_EVTX_LIBEVTX");
    return t;
}

int main(int argc, char **argv)
{
    glob_t g = {0};
    bool native_only = argc > 1 && strcmp(argv[1], "-n") == 0;
    if (native_only) {
        argv++;
        argc--;
    }
    char **files = argv + 1;
    size_t nfiles = (size_t)argc - 1;
    if (argc < 2) {
        const char *sh = getenv("VG_SHARED");
        char pat[1024];
        snprintf(pat, sizeof pat, "%s/sigma/regression_data/rules/windows/*/*/*.evtx", sh ? sh : "../shared");
        glob(pat, 0, NULL, &g);
        snprintf(pat, sizeof pat, "%s/data/windows/evtx-modern/*.evtx", sh ? sh : "../shared");
        glob(pat, GLOB_APPEND, NULL, &g);
        files = g.gl_pathv;
        nfiles = g.gl_pathc;
    }
    if (!nfiles) {
        fprintf(stderr, "bench_evtx: no .evtx files (set VG_SHARED or name files)\n");
        return 2;
    }
    const int reps = 20;
    double best_n = 1e9, best_l = 1e9;
    size_t en = 0, el = 0, fn = 0, fl = 0;
    for (int round = 0; round < 5; round++) {
        double tn = run(files, nfiles, false, reps, &en, &fn);
        double tl = native_only ? 1 : run(files, nfiles, true, reps, &el, &fl);
        if (tn < best_n) best_n = tn;
        if (tl < best_l) best_l = tl;
    }
    printf("files %zu, events per pass %zu, %d passes per round, best of 5 rounds (thread CPU time)\n", nfiles,
           en / (size_t)reps, reps);
    printf("native BinXML  : %9.0f events/s  (decode failures per pass %zu)\n", (double)en / best_n, fn / (size_t)reps);
    printf("libevtx (base) : %9.0f events/s  (decode failures per pass %zu)\n", (double)el / best_l, fl / (size_t)reps);
    printf("ratio native/libevtx: %.2fx\n", ((double)en / best_n) / ((double)el / best_l));
    if (argc < 2) globfree(&g);
    return 0;
}
