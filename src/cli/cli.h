/* CLI command table entry: one file per command (src/cli/cmd_<name>.c). */
#ifndef VG_CLI_H
#define VG_CLI_H
#include "vigil/core.h"

struct vg_cmd {
    const char *name;
    const char *desc;   /* one line for `vigil help` */
    const char *usage;  /* full usage text */
    /* argv[0] is the command name; returns the process exit code. */
    int (*run)(int argc, char **argv);
};

#define C(name, sym) extern const struct vg_cmd sym;
#include "commands.def"
#undef C

/* Default data directory: $VIGIL_DATA, else ./data. */
const char *vg_cli_default_data(void);

#endif
