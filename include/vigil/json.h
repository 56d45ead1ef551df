/* Zero-copy JSON scanner (RFC 8259, strict) used on the decode hot path and
 * by the HTTP/file ingest to split bodies into records.
 *
 * - vg_json_validate / vg_json_value_end check and measure one value.
 * - struct vg_json_iter splits a body into records: the elements of a
 *   top-level array (`[{..},{..}]`), or a sequence of concatenated values /
 *   JSON lines (`{..}\n{..}` or `{..}{..}`).
 * - vg_json_flatten walks an object and calls back once per leaf with the
 *   dotted name (`a.b.c`) already interned as a field id. String values
 *   without escapes point into the input; escaped ones are unescaped into
 *   the arena given by the caller. Arrays of scalars become VG_V_LIST of
 *   strings; arrays holding objects or arrays become their raw JSON text.
 *
 * Strictness: invalid UTF-8 (overlong, surrogates, > U+10FFFF), unescaped
 * control characters, bad escapes, lone surrogate escapes, leading zeros,
 * trailing garbage, nesting deeper than VG_JSON_MAX_DEPTH and more than
 * max_fields leaves are all rejected with VG_EPARSE / VG_EUTF8 / VG_ETOOBIG
 * and a byte offset in err->col (1-based; err->line is 0). */
#ifndef VIGIL_JSON_H
#define VIGIL_JSON_H

#include "vigil/event.h"

#define VG_JSON_MAX_DEPTH 64      /* nesting of objects and arrays */
#define VG_JSON_MAX_FIELDS 4096   /* leaves emitted by one vg_json_flatten */
#define VG_JSON_ROOT 0xFFFFFFFEu  /* parent id of top-level keys */

/* Checks that [buf, buf+len) is exactly one JSON value (surrounding
 * whitespace allowed). Returns 0 or VG_EPARSE/VG_EUTF8 with detail. */
int vg_json_validate(const char *buf, size_t len, struct vg_err *err);

/* Validates the one JSON value that starts at buf (after optional
 * whitespace) and sets *end to the offset just past it; what follows is not
 * looked at. Returns 0, or VG_EPARSE/VG_EUTF8 (VG_EPARSE with *end = len
 * when the input ends inside the value, so callers can wait for more). */
int vg_json_value_end(const char *buf, size_t len, size_t *end, struct vg_err *err);

/* Record splitter over a borrowed buffer. Mode is chosen from the first
 * non-space byte: '[' iterates the array's elements, anything else iterates
 * concatenated values separated by optional whitespace (JSON lines). A
 * leading UTF-8 byte order mark is skipped. */
struct vg_json_iter {
    const char *buf;   /* borrowed input */
    size_t len;
    size_t pos;        /* next byte to look at */
    int mode;          /* 0 = not started, 1 = array elements, 2 = value sequence, 3 = done */
    uint64_t index;    /* records returned so far */
};
void vg_json_iter_init(struct vg_json_iter *it, const char *buf, size_t len);
/* Returns 1 and the span of the next record, 0 at the end, or a negative
 * VG_E* code on malformed input (the iterator then stays done; it->pos is
 * the offset of the error). Records are validated. */
int vg_json_iter_next(struct vg_json_iter *it, const char **rec, size_t *rec_len, struct vg_err *err);

/* One leaf of a flattened object. */
struct vg_json_leaf {
    uint32_t fid;              /* interned dotted name; UINT32_MAX when it cannot be interned (too long, table full) */
    uint32_t parent;           /* id of the enclosing object's dotted name, VG_JSON_ROOT at top level */
    uint32_t grandparent;      /* id of the object around that, VG_JSON_ROOT or UINT32_MAX when none */
    const char *key;           /* last name component (unescaped), not NUL-terminated */
    uint32_t klen;
    uint32_t depth;            /* 1 for top-level keys */
    bool raw_json;             /* v is VG_V_STR holding the raw JSON text of an array with containers */
    bool unesc;                /* v is a string unescaped into a copy, with two-character escapes only (no \uXXXX) */
    struct vg_value v;         /* NULL, STR, INT, FLOAT, BOOL or LIST (of strings) */
};

/* Return 0 to continue, a negative VG_E* code to stop the walk with it. */
typedef int (*vg_json_leaf_fn)(void *ctx, const struct vg_json_leaf *leaf);

struct vg_json_opts {
    uint32_t max_fields;       /* 0 = VG_JSON_MAX_FIELDS */
};

/* Flattens the JSON object in [buf, buf+len) (the whole buffer must be one
 * object) and calls fn for every leaf in document order. Values and keys
 * point into buf or into arena memory, so buf must outlive their use.
 * Nothing is emitted for empty objects. Returns 0, VG_EFORMAT when the
 * value is not an object, VG_EPARSE/VG_EUTF8/VG_ETOOBIG on bad input,
 * VG_ENOMEM, or fn's error. Leaves already emitted stay emitted. */
int vg_json_flatten(const char *buf, size_t len, struct vg_arena *arena, const struct vg_json_opts *opts,
                    vg_json_leaf_fn fn, void *ctx, struct vg_err *err);

/* Field id of `<name of parent>.<key>` (or of key when parent is
 * VG_JSON_ROOT), interning it; UINT32_MAX when the name would exceed 255
 * bytes or the table is full. Served from a small per-thread cache keyed by
 * (parent, key bytes), so a hit costs a hash and a memcmp. */
uint32_t vg_json_child_fid(uint32_t parent, const char *key, size_t klen);

#endif
