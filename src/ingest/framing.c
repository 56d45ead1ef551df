/* RFC 6587 framing state machine (see framing.h). Frames wholly inside the
 * fed chunk are delivered straight from it; only frames split across reads
 * are assembled in the framer's buffer. */
#include "framing.h"

enum { FR_START, FR_DIGITS, FR_OCTET, FR_LINE, FR_SKIP_OCTET, FR_SKIP_LINE };

int vg_framer_init(struct vg_framer *f, size_t max_frame)
{
    memset(f, 0, sizeof *f);
    f->max_frame = max_frame ? max_frame : 64 * 1024;
    if (f->max_frame < 16) f->max_frame = 16;
    f->skip_cap = (uint64_t)f->max_frame * 256;
    if (f->skip_cap < 64ull << 20) f->skip_cap = 64ull << 20;
    f->acc = vg_malloc(f->max_frame + 1);
    return f->acc ? 0 : VG_ENOMEM;
}

void vg_framer_release(struct vg_framer *f)
{
    vg_free(f->acc);
    f->acc = NULL;
}

uint64_t vg_framer_lost(const struct vg_framer *f) { return f->oversized + f->bad_header + f->truncated; }

static int emit(struct vg_framer *f, const char *p, size_t n, vg_frame_fn fn, void *ctx)
{
    while (n && p[n - 1] == '\r') n--;
    if (!n) return 0;
    f->frames++;
    return fn(ctx, p, n);
}

/* Appends to the line being assembled; false when it would exceed max_frame. */
static bool acc_add(struct vg_framer *f, const char *p, size_t n)
{
    if (f->acc_len + n > f->max_frame) return false;
    memcpy(f->acc + f->acc_len, p, n);
    f->acc_len += n;
    return true;
}

static const char *find_delim(const char *p, size_t n)
{
    const char *lf = memchr(p, '\n', n);
    const char *nul = memchr(p, '\0', lf ? (size_t)(lf - p) : n);
    return nul ? nul : lf;
}

/* The digits seen at frame start turned out to be line content. */
static void digits_to_line(struct vg_framer *f)
{
    f->acc_len = 0;
    acc_add(f, f->digits, f->ndigits);
    f->ndigits = 0;
    f->state = FR_LINE;
}

int vg_framer_feed(struct vg_framer *f, const char *data, size_t n, vg_frame_fn fn, void *ctx)
{
    const char *p = data, *end = data + n;
    int rc = 0;
    while (p < end && rc == 0) {
        switch (f->state) {
        case FR_START:
            if (*p == '\n' || *p == '\0' || *p == '\r') { p++; break; }
            f->acc_len = 0;
            if (*p >= '1' && *p <= '9') {
                f->ndigits = 0;
                f->state = FR_DIGITS;
            } else {
                f->state = FR_LINE;
            }
            break;
        case FR_DIGITS:
            if (*p >= '0' && *p <= '9') {
                if (f->ndigits == sizeof f->digits - 1) { digits_to_line(f); break; }
                f->digits[f->ndigits++] = *p++;
                break;
            }
            if (*p == ' ') {
                uint64_t len = 0;
                for (size_t i = 0; i < f->ndigits; i++) len = len * 10 + (uint64_t)(f->digits[i] - '0');
                p++;
                f->ndigits = 0;
                f->acc_len = 0;
                if (len <= f->max_frame) {
                    f->want = len;
                    f->state = FR_OCTET;
                } else if (len <= f->skip_cap) {
                    f->oversized++;
                    f->want = len;
                    f->state = FR_SKIP_OCTET;
                } else {
                    f->bad_header++;
                    f->state = FR_SKIP_LINE;
                }
                break;
            }
            digits_to_line(f);   /* e.g. "2024-..." or "123abc": ordinary line */
            break;
        case FR_OCTET: {
            size_t avail = (size_t)(end - p);
            size_t take = avail < f->want ? avail : (size_t)f->want;
            if (f->acc_len == 0 && take == f->want) {
                rc = emit(f, p, take, fn, ctx);
            } else {
                acc_add(f, p, take);   /* fits: want <= max_frame - acc_len */
                if (take == f->want) rc = emit(f, f->acc, f->acc_len, fn, ctx);
            }
            p += take;
            f->want -= take;
            if (f->want == 0) { f->acc_len = 0; f->state = FR_START; }
            break;
        }
        case FR_LINE: {
            const char *d = find_delim(p, (size_t)(end - p));
            size_t seg = d ? (size_t)(d - p) : (size_t)(end - p);
            if (d && f->acc_len == 0) {
                if (seg > f->max_frame) f->oversized++;
                else rc = emit(f, p, seg, fn, ctx);
                f->state = FR_START;
            } else if (!acc_add(f, p, seg)) {
                f->oversized++;
                f->acc_len = 0;
                f->state = d ? FR_START : FR_SKIP_LINE;
            } else if (d) {
                rc = emit(f, f->acc, f->acc_len, fn, ctx);
                f->acc_len = 0;
                f->state = FR_START;
            }
            p += seg + (d ? 1 : 0);
            break;
        }
        case FR_SKIP_OCTET: {
            size_t avail = (size_t)(end - p);
            size_t take = avail < f->want ? avail : (size_t)f->want;
            p += take;
            f->want -= take;
            if (f->want == 0) f->state = FR_START;
            break;
        }
        case FR_SKIP_LINE: {
            const char *d = find_delim(p, (size_t)(end - p));
            if (!d) { p = end; break; }
            p = d + 1;
            f->state = FR_START;
            break;
        }
        default:
            f->state = FR_START;
            break;
        }
    }
    return rc;
}

int vg_framer_finish(struct vg_framer *f, vg_frame_fn fn, void *ctx)
{
    int rc = 0;
    if (f->state == FR_DIGITS) digits_to_line(f);
    if (f->state == FR_LINE && f->acc_len) rc = emit(f, f->acc, f->acc_len, fn, ctx);
    else if (f->state == FR_OCTET) f->truncated++;
    f->acc_len = 0;
    f->ndigits = 0;
    f->want = 0;
    f->state = FR_START;
    return rc;
}
