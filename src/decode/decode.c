/* The decode chain: pick a FORMAT decoder (forced or by probe), run it, then
 * the PROGRAM decoders for the syslog program it found (PAM for any "pam_*"
 * message, then each decoder registered for process.name until one
 * understands the message); fall back to the
 * receive time; compute the stable event id. Never fails hard: what no
 * decoder understands is kept raw and flagged VG_EV_DECODE_FAILED. */
#include "internal.h"
#include "textscan.h"

_Thread_local int64_t vg__decode_default_year;

enum { F_PAM_MODULE, F_REPEATED };
static const char *const fnames[] = {"pam.module", "log.syslog.repeated"};
static uint32_t fids[VG_ARRAY_LEN(fnames)];
static struct vg__fidtab ftab = VG_FIDTAB(fnames, fids);

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

static bool prog_matches(const struct vg_decoder *d, const char *prog, size_t len)
{
    if (d->kind != VG_DEC_PROGRAM || !d->programs || len == 0) return false;
    for (const char *const *p = d->programs; *p; p++) {
        if ((*p)[0] != prog[0] && (*p)[0] != '*') continue; /* cheap reject before strlen */
        size_t pl = strlen(*p);
        if (pl && (*p)[pl - 1] == '*') {
            if (len >= pl - 1 && memcmp(prog, *p, pl - 1) == 0) return true;
        } else if (pl == len && memcmp(prog, *p, len) == 0) {
            return true;
        }
    }
    return false;
}

const struct vg_decoder *vg__decode_program_for(const char *prog, size_t len)
{
    for (size_t i = 0; table[i]; i++)
        if (prog_matches(table[i], prog, len)) return table[i];
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

/* rsyslog's "message repeated N times: [ <msg>]": the inner message is what
 * the program wrote; record N and hand the inner text on. */
static void unwrap_repeated(struct vg_event *ev, const char **msg, size_t *len)
{
    const char *p = *msg, *end = p + *len;
    if (!ts_starts(p, end, "message repeated ")) return;
    const char *n = p + 17, *ne = n;
    while (ne < end && *ne >= '0' && *ne <= '9') ne++;
    if (ne == n || !ts_starts(ne, end, " times: [")) return;
    const char *in = ts_skip_sp(ne + 9, end);
    const char *ie = ts_rtrim(in, end);
    if (ie <= in || ie[-1] != ']') return;
    vg__ts_add_int(ev, fids[F_REPEATED], VG_FF_SOURCE, n, (size_t)(ne - n));
    *msg = in;
    *len = (size_t)(ie - 1 - in);
}

/* Runs the PROGRAM decoders for the event's syslog program over msg:
 * PAM first for "pam_*" messages and "prog(pam_x)" tags, then every decoder
 * registered for process.name in table order until one understands it.
 * Returns the decoder that did, or NULL. */
static const struct vg_decoder *run_programs(struct vg_event *ev, const char *msg, size_t len)
{
    const struct vg_field *pn = vg_event_get(ev, VG_FID_PROCESS_NAME);
    ts_fids(&ftab);
    unwrap_repeated(ev, &msg, &len);
    if (ts_starts(msg, msg + len, "pam_") || vg_event_get(ev, fids[F_PAM_MODULE])) {
        struct vg_err perr = VG_ERR_INIT;
        if (vg_dec_pam.decode(ev, msg, len, &perr) == 0) return &vg_dec_pam;
    }
    if (ts_starts(msg, msg + len, "<Event")) { /* Windows event XML, whatever the program */
        struct vg_err xerr = VG_ERR_INIT;
        if (vg_dec_winxml.decode(ev, msg, len, &xerr) == 0) return &vg_dec_winxml;
    }
    if (!pn || pn->v.type != VG_V_STR) return NULL;
    for (size_t i = 0; table[i]; i++) {
        if (!prog_matches(table[i], pn->v.u.s, pn->v.len)) continue;
        /* a program decoder that does not understand a message leaves the
         * syslog fields; that is not a failure */
        struct vg_err perr = VG_ERR_INIT;
        if (table[i]->decode(ev, msg, len, &perr) == 0) return table[i];
    }
    return NULL;
}

int vg_decode(struct vg_event *ev, const struct vg_decode_opts *opts, struct vg_err *err)
{
    const struct vg_decoder *fmt = NULL;
    int rc = VG_EFORMAT;
    if (!ev->recv_ts) ev->recv_ts = vg_now_ns();
    vg__decode_default_year = opts ? opts->default_year : 0;
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
            const struct vg_field *msg = vg_event_get(ev, VG_FID_MESSAGE);
            if (msg && msg->v.type == VG_V_STR) {
                const struct vg_decoder *pd = run_programs(ev, msg->v.u.s, msg->v.len);
                if (pd) ev->format = join_format(ev, fmt->name, pd->name);
            }
        }
    }
    if (rc != 0) ev->flags |= VG_EV_DECODE_FAILED;
    if (ev->ts == 0) {
        ev->ts = ev->recv_ts;
        ev->flags |= VG_EV_TS_FROM_RECV;
    }
    if (opts && opts->defer_id) ev->flags |= VG_EV_ID_DEFERRED;
    else vg_event_finish(ev);
    vg__decode_default_year = 0;
    return rc;
}
