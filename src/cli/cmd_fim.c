/* vigil fim baseline|scan|watch --path P... [--ignore GLOB]... [--data DIR]
 * [--json]: file integrity monitoring on this host (vigil/fim.h). baseline
 * records the paths into DIR/fim.baseline; scan diffs them against it (and
 * updates it with --update); watch reports changes in real time (inotify)
 * until interrupted or --count N changes. Exit 0 ok (scan: also with
 * changes), 1 on errors, 2 on usage errors. */
#include "cli.h"
#include "vigil/fim.h"
#include <signal.h>
#include <sys/stat.h>

static const char usage_text[] =
    "usage: vigil fim baseline|scan|watch --path P [--path P]... [--ignore GLOB]... [--data DIR]\n"
    "                 [--no-recursive] [--max-size BYTES] [--json] [--update] [--count N] [--seconds S]\n"
    "  baseline  record SHA-256, mode, owner, size and mtime into DIR/fim.baseline\n"
    "  scan      full scan, print changes against the baseline (--update saves the new state)\n"
    "  watch     inotify watch, print changes as they happen (stops after --count N changes\n"
    "            or --seconds S)\n"
    "  --data DIR  data directory (default $VIGIL_DATA or ./data)\n"
    "  --json      one JSON event per change\n"
    "exit status: 0 ok, 1 error, 2 usage error";

static volatile sig_atomic_t stop;
static void on_sig(int s) { (void)s; stop = 1; }

struct pr { bool json; const char *host; };

static int print_change(void *ud, const struct vg_fim_change *c)
{
    const struct pr *p = ud;
    if (p->json) {
        struct vg_buf b = VG_BUF_INIT;
        if (vg_fim_change_json(c, p->host, &b) == 0) printf("%s\n", b.data);
        vg_buf_release(&b);
    } else {
        char hb[65] = "-", ha[65] = "-";
        if (c->before && c->before->hashed) vg_hex(c->before->sha256, 32, hb);
        if (c->after && c->after->hashed) vg_hex(c->after->sha256, 32, ha);
        printf("%-24s %s\n", c->action, c->path);
        if (c->before && c->after)
            printf("    mode %04o -> %04o  uid %u -> %u  size %llu -> %llu  sha256 %.16s -> %.16s\n", c->before->mode,
                   c->after->mode, c->before->uid, c->after->uid, (unsigned long long)c->before->size,
                   (unsigned long long)c->after->size, hb, ha);
    }
    fflush(stdout);
    return 0;
}

static int run(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "%s\n", usage_text);
        return 2;
    }
    const char *mode = argv[1], *data = vg_cli_default_data();
    const char *paths[256], *ign[256];
    size_t np = 0, ni = 0;
    bool json = false, update = false, recursive = true;
    long count = 0;
    double seconds = 0;
    uint64_t maxsz = 0;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--path") == 0 && i + 1 < argc && np < 256) paths[np++] = argv[++i];
        else if (strcmp(a, "--ignore") == 0 && i + 1 < argc && ni < 256) ign[ni++] = argv[++i];
        else if (strcmp(a, "--data") == 0 && i + 1 < argc) data = argv[++i];
        else if (strcmp(a, "--json") == 0) json = true;
        else if (strcmp(a, "--update") == 0) update = true;
        else if (strcmp(a, "--no-recursive") == 0) recursive = false;
        else if (strcmp(a, "--max-size") == 0 && i + 1 < argc) {
            if (vg_parse_u64(argv[i + 1], strlen(argv[i + 1]), &maxsz)) goto usage;
            i++;
        } else if (strcmp(a, "--count") == 0 && i + 1 < argc) {
            int64_t v;
            if (vg_parse_i64(argv[i + 1], strlen(argv[i + 1]), &v) || v < 0) goto usage;
            count = (long)v;
            i++;
        } else if (strcmp(a, "--seconds") == 0 && i + 1 < argc) {
            int64_t v;
            if (vg_parse_i64(argv[i + 1], strlen(argv[i + 1]), &v) || v < 0) goto usage;
            seconds = (double)v;
            i++;
        } else goto usage;
    }
    if (!np || (strcmp(mode, "baseline") && strcmp(mode, "scan") && strcmp(mode, "watch"))) goto usage;
    struct vg_fim_config cfg = {paths, np, ign, ni, recursive, maxsz, 0};
    struct vg_err err = VG_ERR_INIT;
    char bpath[4096];
    snprintf(bpath, sizeof bpath, "%s/fim.baseline", data);
    struct vg_fim_baseline *old = NULL, *cur = NULL;
    struct pr pr = {json, NULL};
    int ret = 1;
    if (strcmp(mode, "baseline") == 0) {
        mkdir(data, 0700);
        if (vg_fim_scan(&cfg, &cur, &err) || vg_fim_baseline_save(cur, bpath, &err)) {
            fprintf(stderr, "vigil fim: %s\n", err.msg);
            goto out;
        }
        printf("baseline: %zu entries (%zu unreadable) -> %s\n", cur->n, cur->errors, bpath);
        ret = 0;
    } else if (strcmp(mode, "scan") == 0) {
        if (vg_fim_baseline_load(bpath, &old, &err) || vg_fim_scan(&cfg, &cur, &err)) {
            fprintf(stderr, "vigil fim: %s\n", err.msg);
            goto out;
        }
        vg_fim_diff(old, cur, print_change, &pr);
        if (update && vg_fim_baseline_save(cur, bpath, &err)) {
            fprintf(stderr, "vigil fim: %s\n", err.msg);
            goto out;
        }
        ret = 0;
    } else {
        if (vg_fim_baseline_load(bpath, &old, &err) && err.code != VG_ENOENT) {
            fprintf(stderr, "vigil fim: %s\n", err.msg);
            goto out;
        }
        struct vg_fim_watch *w;
        if (vg_fim_watch_open(&cfg, old, &w, &err)) {
            old = NULL;
            fprintf(stderr, "vigil fim: %s\n", err.msg);
            goto out;
        }
        old = NULL;
        signal(SIGINT, on_sig);
        signal(SIGTERM, on_sig);
        fprintf(stderr, "watching %zu paths\n", np);
        long seen = 0;
        int64_t end = seconds > 0 ? vg_mono_ns() + (int64_t)(seconds * 1e9) : 0;
        while (!stop && (!count || seen < count) && (!end || vg_mono_ns() < end)) {
            int n = vg_fim_watch_poll(w, 200, print_change, &pr);
            if (n < 0) {
                fprintf(stderr, "vigil fim: %s\n", vg_strerror(n));
                break;
            }
            seen += n;
        }
        vg_fim_watch_free(w);
        ret = 0;
    }
out:
    vg_fim_baseline_free(old);
    vg_fim_baseline_free(cur);
    return ret;
usage:
    fprintf(stderr, "%s\n", usage_text);
    return 2;
}

const struct vg_cmd vg_cmd_fim = {
    .name = "fim", .desc = "file integrity monitoring: baseline, scan or watch paths",
    .usage = usage_text, .run = run};
