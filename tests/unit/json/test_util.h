/* Helpers shared by the JSON / EVTX unit tests: reading shared test data,
 * one-event batches, field lookup by name. Include after cmocka.h. */
#ifndef VG_TEST_JSON_UTIL_H
#define VG_TEST_JSON_UTIL_H
#include <stdio.h>
#include "vigil/event.h"

static inline const char *shared_dir(void)
{
    const char *s = getenv("VG_SHARED");
    return s && *s ? s : "../shared";
}

/* Whole file into vg_malloc'd memory (NUL-terminated), NULL on error. */
static inline char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    struct vg_buf b = VG_BUF_INIT;
    b.cap_limit = (size_t)256 << 20;
    char tmp[65536];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0) {
        if (vg_buf_add(&b, tmp, n)) { fclose(f); vg_buf_release(&b); return NULL; }
    }
    fclose(f);
    return vg_buf_detach(&b, len);
}

/* One event on its own batch. */
struct tev {
    struct vg_batch *b;
    struct vg_event *ev;
};

static inline void tev_initn(struct tev *t, const char *raw, size_t len)
{
    t->b = vg_batch_new(4);
    assert_non_null(t->b);
    t->ev = vg_batch_push(t->b);
    assert_non_null(t->ev);
    t->ev->recv_ts = 1;
    t->ev->collector = "test";
    assert_int_equal(vg_event_set_raw(t->ev, raw, len), 0);
}

static inline void tev_init(struct tev *t, const char *raw) { tev_initn(t, raw, strlen(raw)); }
static inline void tev_release(struct tev *t) { vg_batch_free(t->b); }

static inline const struct vg_field *field(const struct vg_event *ev, const char *name)
{
    uint32_t id = vg_fid_lookup(name, strlen(name));
    return id == UINT32_MAX ? NULL : vg_event_get(ev, id);
}

#define assert_str_field(ev, name, want)                                                       \
    do {                                                                                       \
        const struct vg_field *f_ = field((ev), (name));                                       \
        if (!f_) fail_msg("field %s missing", (name));                                         \
        size_t wl_ = strlen(want);                                                             \
        char tb_[64];                                                                          \
        size_t tl_;                                                                            \
        const char *tv_ = vg_value_text(&f_->v, tb_, sizeof tb_, &tl_);                        \
        if (tl_ != wl_ || memcmp(tv_, (want), wl_) != 0)                                       \
            fail_msg("field %s = '%.*s', want '%s'", (name), (int)tl_, tv_, (want));          \
    } while (0)

#endif
