/* vigil status: placeholder until the command is built (reports, never pretends). */
#include "cli.h"

static int run(int argc, char **argv)
{
    (void)argc; (void)argv;
    fprintf(stderr, "vigil status: not built yet\n");
    return 3;
}

const struct vg_cmd vg_cmd_status = {.name = "status", .desc = "(not built yet)", .usage = "vigil status", .run = run};
