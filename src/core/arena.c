/* Bump-pointer arena: many small allocations freed together (one arena per
 * event batch and per HTTP request). */
#include "vigil/core.h"

struct vg_arena_chunk {
    struct vg_arena_chunk *next;
    size_t size, used;
    _Alignas(16) unsigned char data[];
};

void vg_arena_init(struct vg_arena *a, size_t chunk_size)
{
    a->head = NULL;
    a->chunk_size = chunk_size ? chunk_size : 16384;
    a->total = 0;
    a->cap = 0;
}

void *vg_arena_alloc(struct vg_arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (n == 0) n = 16;
    if (a->cap && a->total + n > a->cap) return NULL;
    struct vg_arena_chunk *c = a->head;
    if (!c || c->size - c->used < n) {
        size_t sz = a->chunk_size;
        if (sz < n) sz = n;
        c = vg_malloc(sizeof *c + sz);
        if (!c) return NULL;
        c->size = sz;
        c->used = 0;
        c->next = a->head;
        a->head = c;
    }
    void *p = c->data + c->used;
    c->used += n;
    a->total += n;
    return p;
}

char *vg_arena_strndup(struct vg_arena *a, const char *s, size_t n)
{
    char *d = vg_arena_alloc(a, n + 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

void vg_arena_reset(struct vg_arena *a)
{
    struct vg_arena_chunk *c = a->head, *keep = NULL;
    while (c) {
        struct vg_arena_chunk *next = c->next;
        if (!next) keep = c; /* the oldest chunk is kept for reuse */
        else vg_free(c);
        c = next;
    }
    if (keep) keep->used = 0;
    a->head = keep;
    a->total = 0;
}

void vg_arena_release(struct vg_arena *a)
{
    struct vg_arena_chunk *c = a->head;
    while (c) {
        struct vg_arena_chunk *next = c->next;
        vg_free(c);
        c = next;
    }
    a->head = NULL;
    a->total = 0;
}
