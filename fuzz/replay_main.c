/* Replays a libFuzzer seed corpus without libFuzzer: every file in the
 * directories (or files) named on the command line is fed once to
 * LLVMFuzzerTestOneInput. Used by CTest so corpora run under gcc and the
 * sanitizer build. Fails when a corpus directory is missing or empty. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); return -1; }
    struct stat st;
    if (fstat(fileno(f), &st) != 0) { fclose(f); return -1; }
    size_t n = (size_t)st.st_size;
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf) { fclose(f); return -1; }
    size_t got = fread(buf, 1, n, f);
    fclose(f);
    LLVMFuzzerTestOneInput(buf, got);
    free(buf);
    return 0;
}

int main(int argc, char **argv)
{
    long count = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) { perror(argv[i]); return 1; }
        if (!S_ISDIR(st.st_mode)) {
            if (run_file(argv[i]) != 0) return 1;
            count++;
            continue;
        }
        DIR *d = opendir(argv[i]);
        if (!d) { perror(argv[i]); return 1; }
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.') continue;
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", argv[i], e->d_name);
            if (run_file(path) != 0) { closedir(d); return 1; }
            count++;
        }
        closedir(d);
    }
    printf("replayed %ld inputs\n", count);
    return count > 0 ? 0 : 1;
}
