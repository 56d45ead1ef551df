/* vigil serve: placeholder until the command is built (reports, never pretends). */
#include "cli.h"

static int run(int argc, char **argv)
{
    (void)argc; (void)argv;
    fprintf(stderr, "vigil serve: not built yet\n");
    return 3;
}

const struct vg_cmd vg_cmd_serve = {.name = "serve", .desc = "(not built yet)", .usage = "vigil serve", .run = run};
