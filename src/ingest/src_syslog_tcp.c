/* Source: syslog over TCP (RFC 6587), octet counting or LF/NUL framing
 * detected per frame. Thin wrapper over the stream server (stream.c). */
#include "internal.h"

struct vg_source { struct vg__stream_srv *srv; };

static int start(struct vg_source **out, const struct vg_source_conf *conf, char *bound, size_t bsz,
                 struct vg_err *err)
{
    *out = NULL;
    struct vg_source *s = vg_calloc(1, sizeof *s);
    if (!s) return vg_err_set(err, VG_ENOMEM, "out of memory");
    int rc = vg__stream_start(&s->srv, conf, "syslog-tcp", NULL, bound, bsz, err);
    if (rc) { vg_free(s); return rc; }
    *out = s;
    return 0;
}

static void stop(struct vg_source *s)
{
    if (!s) return;
    vg__stream_stop(s->srv);
    vg_free(s);
}

const struct vg_source_ops vg_src_syslog_tcp = {
    .name = "syslog-tcp",
    .desc = "syslog over TCP (RFC 6587: octet counting or newline framing, detected per frame)",
    .start = start,
    .stop = stop,
};
