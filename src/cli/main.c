/* vigil: the server and analyst CLI. Dispatches to the command table. */
#include "cli.h"

static const struct vg_cmd *const cmds[] = {
#define C(name, sym) &sym,
#include "commands.def"
#undef C
};

const char *vg_cli_default_data(void)
{
    const char *d = getenv("VIGIL_DATA");
    return d && *d ? d : "./data";
}

static void usage(FILE *f)
{
    fprintf(f, "usage: vigil COMMAND [OPTIONS]\n\ncommands:\n");
    for (size_t i = 0; i < VG_ARRAY_LEN(cmds); i++) fprintf(f, "  %-10s %s\n", cmds[i]->name, cmds[i]->desc);
    fprintf(f, "\n  vigil COMMAND --help   shows a command's options\n  vigil --version\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) { usage(stderr); return 2; }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("vigil %s\n", VIGIL_VERSION);
        return 0;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < VG_ARRAY_LEN(cmds); i++) {
        if (strcmp(argv[1], cmds[i]->name) == 0) {
            if (argc > 2 && (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0)) {
                printf("%s\n", cmds[i]->usage);
                return 0;
            }
            return cmds[i]->run(argc - 1, argv + 1);
        }
    }
    fprintf(stderr, "vigil: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
