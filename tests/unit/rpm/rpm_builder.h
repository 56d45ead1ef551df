/* Test helper: builds rpm header blobs the way rpmdb.sqlite stores them
 * ([u32 il][u32 dl], 16-byte index entries, data; big-endian), written here
 * from the format description for the rpmdb tests and the fuzz seeds. */
#ifndef VG_TEST_RPM_BUILDER_H
#define VG_TEST_RPM_BUILDER_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct rpmb { uint8_t idx[64 * 16]; uint8_t data[8192]; uint32_t il, dl; };

static void rpmb_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

static void rpmb_entry(struct rpmb *b, uint32_t tag, uint32_t type, uint32_t off, uint32_t count)
{
    uint8_t *e = b->idx + 16 * b->il++;
    rpmb_put32(e, tag); rpmb_put32(e + 4, type); rpmb_put32(e + 8, off); rpmb_put32(e + 12, count);
}

static void rpmb_str(struct rpmb *b, uint32_t tag, const char *s)
{
    size_t n = strlen(s) + 1;
    rpmb_entry(b, tag, 6, b->dl, 1);
    memcpy(b->data + b->dl, s, n);
    b->dl += (uint32_t)n;
}

static void rpmb_int32(struct rpmb *b, uint32_t tag, uint32_t v)
{
    while (b->dl & 3) b->data[b->dl++] = 0;
    rpmb_entry(b, tag, 4, b->dl, 1);
    rpmb_put32(b->data + b->dl, v);
    b->dl += 4;
}

/* The blob (malloc'd) and its length. */
static uint8_t *rpmb_blob(const struct rpmb *b, size_t *n)
{
    *n = 8 + 16u * b->il + b->dl;
    uint8_t *o = malloc(*n);
    if (!o) return NULL;
    rpmb_put32(o, b->il);
    rpmb_put32(o + 4, b->dl);
    memcpy(o + 8, b->idx, 16u * b->il);
    memcpy(o + 8 + 16u * b->il, b->data, b->dl);
    return o;
}

/* A typical package: a region tag first (as rpm writes), then the fields. */
static uint8_t *rpmb_package(const char *name, const char *ver, const char *rel, int epoch, const char *arch,
                             const char *srpm, size_t *n)
{
    struct rpmb b;
    memset(&b, 0, sizeof b);
    rpmb_entry(&b, 63, 7, 0, 16); /* HEADERIMMUTABLE region trailer (16 bytes, not interpreted) */
    b.dl = 16;
    rpmb_str(&b, 1000, name);
    rpmb_str(&b, 1001, ver);
    rpmb_str(&b, 1002, rel);
    if (epoch >= 0) rpmb_int32(&b, 1003, (uint32_t)epoch);
    rpmb_str(&b, 1022, arch);
    if (srpm) rpmb_str(&b, 1044, srpm);
    return rpmb_blob(&b, n);
}

#endif
