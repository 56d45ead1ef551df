/* libFuzzer target for the search-language parser (src/store/query.c):
 * parses the input as query text, prints the AST, releases it, and runs
 * the wildcard matcher with the input split into pattern and subject. */
#include "vigil/query.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 8192) return 0;
    char *text = vg_malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = 0; /* an embedded NUL just ends the query early */
    struct vg_query q = VG_QUERY_INIT;
    struct vg_err e = VG_ERR_INIT;
    if (vg_query_parse(&q, text, &e) == 0) {
        struct vg_buf b = VG_BUF_INIT;
        if (!q.root || vg_query_format(q.root, &b) != 0) __builtin_trap();
        vg_buf_release(&b);
        vg_query_release(&q);
    } else if (q.root || !e.msg[0]) {
        __builtin_trap(); /* failures leave no AST and always explain themselves */
    }
    size_t half = size / 2;
    (void)vg_wildcard_match(text, half, text + half, size - half);
    vg_free(text);
    return 0;
}
