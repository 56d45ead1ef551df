/* The decode chain: pick a FORMAT decoder (forced or by probe), run it, then
 * the PROGRAM decoder for the syslog program it found; fall back to the
 * receive time; compute the stable event id. Never fails hard: what no
 * decoder understands is kept raw and flagged VG_EV_DECODE_FAILED. */
#include "internal.h"

static const struct vg_decoder *const table[] = {
#define D(sym) &sym,
#include "decoders.def"
#undef D
    NULL
};

const struct vg_decoder *const *vg_decoders(size_t *n)
{
    if (n) *n = VG_ARRAY_LEN(table) - 1;
    return table;
}

const struct vg_decoder *vg_decoder_find(const char *name)
{
    for (size_t i = 0; table[i]; i++)
        if (strcmp(table[i]->name, name) == 0) return table[i];
    return NULL;
}

const struct vg_decoder *vg__decode_program_for(const char *prog, size_t len)
{
    for (size_t i = 0; table[i]; i++) {
        const struct vg_decoder *d = table[i];
        if (d->kind != VG_DEC_PROGRAM || !d->programs) continue;
        for (const char *const *p = d->programs; *p; p++) {
            size_t pl = strlen(*p);
            if (pl && (*p)[pl - 1] == '*') {
                if (len >= pl - 1 && memcmp(prog, *p, pl - 1) == 0) return d;
            } else if (pl == len && memcmp(prog, *p, len) == 0) {
                return d;
            }
        }
    }
    return NULL;
}

static const char *join_format(struct vg_event *ev, const char *a, const char *b)
{
    if (!b) return a;
    size_t la = strlen(a), lb = strlen(b);
    char *s = vg_arena_alloc(ev->arena, la + lb + 2);
    if (!s) return a;
    memcpy(s, a, la);
    s[la] = '+';
    memcpy(s + la + 1, b, lb + 1);
    return s;
}

int vg_decode(struct vg_event *ev, const struct vg_decode_opts *opts, struct vg_err *err)
{
    const struct vg_decoder *fmt = NULL;
    int rc = VG_EFORMAT;
    if (!ev->recv_ts) ev->recv_ts = vg_now_ns();
    if (opts && opts->format) {
        fmt = vg_decoder_find(opts->format);
        if (!fmt || fmt->kind != VG_DEC_FORMAT) {
            rc = vg_err_set(err, VG_EINVAL, "unknown format '%s'", opts->format);
            fmt = NULL;
        }
    } else if (ev->raw_len) {
        int best = 0;
        for (size_t i = 0; table[i]; i++) {
            if (table[i]->kind != VG_DEC_FORMAT || !table[i]->probe) continue;
            int score = table[i]->probe(ev->raw, ev->raw_len);
            if (score > best) { best = score; fmt = table[i]; }
        }
        if (!fmt) vg_err_set(err, VG_EFORMAT, "no decoder recognises this record");
    } else {
        vg_err_set(err, VG_EFORMAT, "empty record");
    }
    if (fmt) {
        rc = fmt->decode(ev, ev->raw, ev->raw_len, err);
        ev->format = fmt->name;
        if (rc == 0) {
            const struct vg_field *pn = vg_event_get(ev, VG_FID_PROCESS_NAME);
            const struct vg_field *msg = vg_event_get(ev, VG_FID_MESSAGE);
            if (pn && msg && pn->v.type == VG_V_STR && msg->v.type == VG_V_STR) {
                const struct vg_decoder *pd = vg__decode_program_for(pn->v.u.s, pn->v.len);
                if (pd) {
                    struct vg_err perr = VG_ERR_INIT;
                    /* a program decoder that does not understand a message
                     * leaves the syslog fields; that is not a failure */
                    if (pd->decode(ev, msg->v.u.s, msg->v.len, &perr) == 0)
                        ev->format = join_format(ev, fmt->name, pd->name);
                }
            }
        }
    }
    if (rc != 0) ev->flags |= VG_EV_DECODE_FAILED;
    if (ev->ts == 0) {
        ev->ts = ev->recv_ts;
        ev->flags |= VG_EV_TS_FROM_RECV;
    }
    vg_event_finish(ev);
    return rc;
}
