/* Integration-test helper: prints every stored event of a data directory
 * as one JSON object per line (the store's own JSON), oldest first, or
 * only those matching a query. Reads through the store API, so it works
 * whatever the storage layout (compressed blocks). The store returns at
 * most VG_QUERY_MAX_LIMIT events per search, so this pages by time:
 * each page starts at the newest timestamp of the previous one, skipping
 * the ids already printed at that timestamp.
 * usage: vg_dump_events DATA_DIR [QUERY] */
#include "vigil/store.h"

struct page {
    int64_t last_ts;          /* newest ts printed so far */
    uint8_t (*seen)[16];      /* ids printed at last_ts (from the previous page) */
    size_t nseen;
    uint8_t (*cur)[16];       /* ids printed at last_ts in this page */
    size_t ncur, capcur;
    size_t got;               /* events returned by this search (printed or skipped) */
    size_t printed;
};

static int on_event(void *ctx, const struct vg_stored_event *ev)
{
    struct page *p = ctx;
    p->got++;
    if (ev->ts == p->last_ts)
        for (size_t i = 0; i < p->nseen; i++)
            if (memcmp(p->seen[i], ev->id, 16) == 0) return 0;
    if (ev->ts != p->last_ts) { p->last_ts = ev->ts; p->ncur = 0; }
    if (p->ncur == p->capcur) {
        p->capcur = p->capcur ? p->capcur * 2 : 256;
        p->cur = realloc(p->cur, p->capcur * 16);
        if (!p->cur) return -1;
    }
    memcpy(p->cur[p->ncur++], ev->id, 16);
    fwrite(ev->json, 1, ev->json_len, stdout);
    fputc('\n', stdout);
    p->printed++;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) { fprintf(stderr, "usage: vg_dump_events DATA_DIR [QUERY]\n"); return 2; }
    struct vg_err err = VG_ERR_INIT;
    struct vg_store *st = NULL;
    if (vg_store_open(&st, argv[1], &err) != 0) { fprintf(stderr, "open: %s\n", err.msg); return 1; }
    struct page p = {.last_ts = INT64_MIN};
    int rc = 0;
    for (;;) {
        struct vg_query q;
        memset(&q, 0, sizeof q);
        if ((rc = vg_query_parse(&q, argc > 2 ? argv[2] : "", &err)) != 0) { fprintf(stderr, "query: %s\n", err.msg); break; }
        q.limit = VG_QUERY_MAX_LIMIT;
        q.ascending = true;
        q.since = p.last_ts == INT64_MIN ? 0 : p.last_ts;
        int64_t before_ts = p.last_ts;
        size_t before_printed = p.printed;
        /* ids at the boundary come from the previous page */
        free(p.seen);
        p.seen = p.ncur ? malloc(p.ncur * 16) : NULL;
        if (p.seen) memcpy(p.seen, p.cur, p.ncur * 16);
        p.nseen = p.seen ? p.ncur : 0;
        p.got = 0;
        rc = vg_store_search(st, &q, on_event, &p, &err);
        vg_query_release(&q);
        if (rc) { fprintf(stderr, "search: %s\n", err.msg); break; }
        if (p.got < VG_QUERY_MAX_LIMIT) break;   /* last page */
        if (p.last_ts == before_ts && p.printed == before_printed) {
            fprintf(stderr, "dump: more than %d events share one timestamp; cannot page\n", VG_QUERY_MAX_LIMIT);
            rc = 1;
            break;
        }
        if (p.last_ts == before_ts) {
            /* a whole page at one timestamp: keep every id seen at it */
            size_t n = p.nseen + p.ncur;
            uint8_t (*all)[16] = malloc(n * 16);
            if (!all) { rc = 1; break; }
            memcpy(all, p.seen, p.nseen * 16);
            memcpy(all + p.nseen, p.cur, p.ncur * 16);
            free(p.cur);
            p.cur = all;
            p.ncur = p.capcur = n;
        }
    }
    free(p.seen);
    free(p.cur);
    vg_store_close(st);
    return rc ? 1 : 0;
}
