/* vigil list decoders|stores: prints the plug-in tables and their descriptions. */
#include "cli.h"
#include "vigil/decode.h"
#include "vigil/store.h"

static int run(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "decoders";
    if (strcmp(what, "decoders") == 0) {
        size_t n;
        const struct vg_decoder *const *d = vg_decoders(&n);
        for (size_t i = 0; i < n; i++)
            printf("%-12s %-8s %s\n", d[i]->name, d[i]->kind == VG_DEC_FORMAT ? "format" : "program", d[i]->desc);
        return 0;
    }
    if (strcmp(what, "stores") == 0) {
        size_t n;
        const struct vg_store_ops *const *s = vg_store_backends(&n);
        for (size_t i = 0; i < n; i++) printf("%-12s %s\n", s[i]->name, s[i]->desc);
        return 0;
    }
    fprintf(stderr, "vigil list: unknown table '%s' (decoders, stores)\n", what);
    return 2;
}

const struct vg_cmd vg_cmd_list = {
    .name = "list", .desc = "list decoders or storage backends", .usage = "vigil list decoders|stores", .run = run};
