/* Integration-test helper: prints every stored event of a data directory
 * as one JSON object per line (the store's own JSON), oldest first, or
 * only those matching a query. Reads through the store API, so it works
 * whatever the storage layout (compressed blocks).
 * usage: vg_dump_events DATA_DIR [QUERY] */
#include "vigil/store.h"

static int print_event(void *ctx, const struct vg_stored_event *ev)
{
    (void)ctx;
    fwrite(ev->json, 1, ev->json_len, stdout);
    fputc('\n', stdout);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) { fprintf(stderr, "usage: vg_dump_events DATA_DIR [QUERY]\n"); return 2; }
    struct vg_err err = VG_ERR_INIT;
    struct vg_store *st = NULL;
    if (vg_store_open(&st, argv[1], &err) != 0) { fprintf(stderr, "open: %s\n", err.msg); return 1; }
    struct vg_query q;
    memset(&q, 0, sizeof q);
    if (vg_query_parse(&q, argc > 2 ? argv[2] : "", &err) != 0) {
        fprintf(stderr, "query: %s\n", err.msg);
        vg_store_close(st);
        return 1;
    }
    q.limit = (size_t)1 << 40;
    q.ascending = true;
    int rc = vg_store_search(st, &q, print_event, NULL, &err);
    if (rc) fprintf(stderr, "search: %s\n", err.msg);
    vg_query_release(&q);
    vg_store_close(st);
    return rc ? 1 : 0;
}
