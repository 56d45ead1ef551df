/* The agent's bounded on-disk spool: what was read from logs but not yet
 * acknowledged by the server. Append-only segment files of CRC-checked
 * records; a small state file holds the read position, the next frame
 * sequence number and the frame in flight (so a resend after a reconnect
 * carries exactly the same records under the same sequence number). A
 * corrupt record is skipped by scanning forward to the next record whose
 * length and CRC check out (counted); when the spool exceeds its cap the
 * oldest segment is dropped and its unsent records counted as lost. */
#include "agent.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <unistd.h>

#define SEG_BYTES (1u << 20)   /* segment roll size; a bigger record (a posture document) gets a segment of its own */
#define REC_HDR 8u
#define POS_LEN 24u   /* dev, inode, end offset of the line in its file */

static uint32_t crc_table[256];
static bool crc_ready;

uint32_t vg_crc32(const void *p, size_t n)
{
    if (!crc_ready) {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            crc_table[i] = c;
        }
        crc_ready = true;
    }
    const uint8_t *b = p;
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) c = crc_table[(c ^ b[i]) & 0xff] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

static void seg_path(const struct vg_spool *sp, uint64_t seg, char *out, size_t n)
{
    snprintf(out, n, "%s/%016" PRIx64 ".seg", sp->dir, seg);
}

static uint64_t seg_size(const struct vg_spool *sp, uint64_t seg)
{
    char p[1100];
    struct stat st;
    seg_path(sp, seg, p, sizeof p);
    return stat(p, &st) == 0 ? (uint64_t)st.st_size : 0;
}

static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static void wr32(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v; }

/* Is there a valid record at buf[off..n)? Returns its total size or 0. */
static size_t valid_rec(const uint8_t *buf, size_t n, size_t off)
{
    if (n - off < REC_HDR) return 0;
    uint32_t len = rd32(buf + off);
    if (len < POS_LEN + 14 || len > VG_SPOOL_MAX_REC || n - off - REC_HDR < len) return 0;
    const uint8_t *pl = buf + off + REC_HDR;
    if (vg_crc32(pl, len) != rd32(buf + off + 4)) return 0;
    size_t o = 0;
    struct vg_ap_rec r;
    if (vg_ap_rec_next(pl + POS_LEN, len - POS_LEN, &o, &r) != 1 || o != len - POS_LEN) return 0;
    return REC_HDR + len;
}

/* Reads up to want bytes of a segment from offset from into *buf (*buf
 * NULL when the segment does not exist); *total is the segment's size. With
 * grow, a first record longer than want (a posture document) is read
 * whole. */
static int read_range(const struct vg_spool *sp, uint64_t seg, uint64_t from, size_t want, bool grow, uint8_t **buf,
                      size_t *n, uint64_t *total)
{
    char p[1100];
    seg_path(sp, seg, p, sizeof p);
    *buf = NULL;
    *n = 0;
    *total = 0;
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno == ENOENT ? 0 : VG_EIO;
    struct stat st;
    if (fstat(fd, &st) != 0) { close(fd); return VG_EIO; }
    *total = (uint64_t)st.st_size;
    size_t avail = from < *total ? (size_t)(*total - from) : 0;
    uint8_t hdr[4];
    if (grow && avail >= REC_HDR && pread(fd, hdr, 4, (off_t)from) == 4) {
        uint32_t len = rd32(hdr);
        if (len <= VG_SPOOL_MAX_REC && REC_HDR + len > want) want = REC_HDR + len;
    }
    size_t sz = want < avail ? want : avail;
    uint8_t *b = vg_malloc(sz ? sz : 1);
    if (!b) { close(fd); return VG_ENOMEM; }
    size_t got = 0;
    while (got < sz) {
        ssize_t r = pread(fd, b + got, sz - got, (off_t)(from + got));
        if (r <= 0) break;
        got += (size_t)r;
    }
    close(fd);
    *buf = b;
    *n = got;
    return 0;
}

/* Reads a whole segment (at most SEG_BYTES + one record) into *buf. */
static int read_seg(const struct vg_spool *sp, uint64_t seg, uint8_t **buf, size_t *n)
{
    uint64_t total;
    return read_range(sp, seg, 0, SEG_BYTES + VG_SPOOL_MAX_REC + REC_HDR, false, buf, n, &total);
}

int vg_spool_save(struct vg_spool *sp, struct vg_err *err)
{
    char p[1100], tmp[1110];
    snprintf(p, sizeof p, "%s/state", sp->dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", p);
    FILE *f = fopen(tmp, "w");
    if (!f) return vg_err_set(err, VG_EIO, "cannot write %s: %s", tmp, strerror(errno));
    fprintf(f, "vigil-spool 1 %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
            sp->read_seg, sp->read_off, sp->next_seq, sp->fl_seq, sp->fl_seg, sp->fl_end, sp->lost_records, sp->corrupt);
    bool ok = fflush(f) == 0;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, p) != 0) return vg_err_set(err, VG_EIO, "cannot write %s", p);
    return 0;
}

static int open_write(struct vg_spool *sp, struct vg_err *err)
{
    char p[1100];
    seg_path(sp, sp->write_seg, p, sizeof p);
    sp->wf = fopen(p, "ab");
    if (!sp->wf) return vg_err_set(err, VG_EIO, "cannot open %s: %s", p, strerror(errno));
    sp->write_off = seg_size(sp, sp->write_seg);
    return 0;
}

int vg_spool_open(struct vg_spool *sp, const char *data_dir, uint64_t cap_bytes, struct vg_err *err)
{
    memset(sp, 0, sizeof *sp);
    sp->cap_bytes = cap_bytes ? cap_bytes : 256u << 20;
    if (sp->cap_bytes < 2u * SEG_BYTES) sp->cap_bytes = 2u * SEG_BYTES;
    snprintf(sp->dir, sizeof sp->dir, "%s/spool", data_dir);
    if (mkdir(sp->dir, 0700) != 0 && errno != EEXIST) return vg_err_set(err, VG_EIO, "cannot create %s: %s", sp->dir, strerror(errno));
    DIR *d = opendir(sp->dir);
    if (!d) return vg_err_set(err, VG_EIO, "cannot read %s: %s", sp->dir, strerror(errno));
    struct dirent *de;
    bool any = false;
    while ((de = readdir(d))) {
        size_t nl = strlen(de->d_name);
        if (nl != 20 || strcmp(de->d_name + 16, ".seg") != 0) continue;
        uint64_t v = 0;
        bool hex = true;
        for (int i = 0; i < 16 && hex; i++) {
            char c = de->d_name[i];
            int x = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
            if (x < 0) hex = false;
            else v = v << 4 | (uint64_t)x;
        }
        if (!hex) continue;
        if (!any || v < sp->first_seg) sp->first_seg = v;
        if (!any || v > sp->write_seg) sp->write_seg = v;
        any = true;
    }
    closedir(d);
    if (!any) sp->first_seg = sp->write_seg = 1;
    for (uint64_t s = sp->first_seg; any && s <= sp->write_seg; s++) sp->bytes += seg_size(sp, s);
    sp->read_seg = sp->first_seg;
    sp->next_seq = 1;
    char p[1100];
    snprintf(p, sizeof p, "%s/state", sp->dir);
    FILE *f = fopen(p, "r");
    if (f) {
        uint64_t v[8];
        int got = fscanf(f, "vigil-spool 1 %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
                            " %" SCNu64 " %" SCNu64, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
        fclose(f);
        if (got == 8) {
            sp->read_seg = v[0]; sp->read_off = v[1]; sp->next_seq = v[2] ? v[2] : 1;
            sp->fl_seq = v[3]; sp->fl_seg = v[4]; sp->fl_end = v[5];
            sp->lost_records = v[6]; sp->corrupt = v[7];
        } else {
            vg_warn("agent", "%s is corrupt: resending the whole spool (the server drops what it already has)", p);
            sp->corrupt++;
        }
    }
    if (sp->read_seg < sp->first_seg || sp->read_seg > sp->write_seg) { sp->read_seg = sp->first_seg; sp->read_off = 0; sp->fl_seq = 0; }
    if (sp->fl_seq && (sp->fl_seg != sp->read_seg || sp->fl_end <= sp->read_off)) sp->fl_seq = 0;
    /* a torn or corrupt end of the last segment: start a fresh one after it */
    uint8_t *buf;
    size_t n;
    int rc = read_seg(sp, sp->write_seg, &buf, &n);
    if (rc) return vg_err_set(err, rc, "cannot read the spool in %s", sp->dir);
    size_t off = 0, r;
    while (off < n && (r = valid_rec(buf, n, off)) != 0) off += r;
    vg_free(buf);
    if (off != n) {
        vg_warn("agent", "spool segment %016" PRIx64 " ends in a damaged record (%zu bytes): appending to a new segment",
                sp->write_seg, n - off);
        sp->write_seg++;
    }
    rc = open_write(sp, err);
    if (rc) return rc;
    return vg_spool_save(sp, err);
}

void vg_spool_close(struct vg_spool *sp)
{
    if (sp->wf) fclose(sp->wf);
    sp->wf = NULL;
    vg_spool_save(sp, NULL);
}

static uint64_t count_records(const struct vg_spool *sp, uint64_t seg, uint64_t from)
{
    uint8_t *buf;
    size_t n;
    uint64_t c = 0;
    if (read_seg(sp, seg, &buf, &n) != 0 || !buf) return 0;
    size_t off = from < n ? (size_t)from : n, r;
    while (off < n) {
        r = valid_rec(buf, n, off);
        if (r) { c++; off += r; } else off++;
    }
    vg_free(buf);
    return c;
}

static void drop_oldest(struct vg_spool *sp)
{
    uint64_t seg = sp->first_seg;
    uint64_t lost = seg >= sp->read_seg ? count_records(sp, seg, seg == sp->read_seg ? sp->read_off : 0) : 0;
    uint64_t sz = seg_size(sp, seg);
    char p[1100];
    seg_path(sp, seg, p, sizeof p);
    unlink(p);
    sp->bytes = sp->bytes > sz ? sp->bytes - sz : 0;
    sp->first_seg++;
    if (sp->read_seg < sp->first_seg) {
        sp->read_seg = sp->first_seg;
        sp->read_off = 0;
        sp->fl_seq = 0;
        sp->in_corrupt = false;
    }
    sp->lost_records += lost;
    vg_warn("agent", "spool full (cap %" PRIu64 " bytes): dropped %" PRIu64 " unsent records (%" PRIu64 " lost in total)",
            sp->cap_bytes, lost, sp->lost_records);
}

static uint64_t rd64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = v << 8 | p[i];
    return v;
}

int vg_spool_append(struct vg_spool *sp, const struct vg_spool_pos *pos, int64_t ts, const char *src, size_t srclen,
                    const char *data, size_t len, struct vg_err *err)
{
    struct vg_buf b = VG_BUF_INIT;
    uint8_t hdr[REC_HDR + POS_LEN] = {0};
    uint64_t pv[3] = {pos ? pos->dev : 0, pos ? pos->ino : 0, pos ? pos->end_off : 0};
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < 8; i++) hdr[REC_HDR + 8 * k + i] = (uint8_t)(pv[k] >> (56 - 8 * i));
    int rc = vg_buf_add(&b, hdr, sizeof hdr);
    if (!rc) rc = vg_ap_rec_add(&b, ts, src, srclen, data, len);
    if (rc) { vg_buf_release(&b); return vg_err_set(err, rc, "cannot encode a spool record"); }
    size_t pl = b.len - REC_HDR;
    if (pl > VG_SPOOL_MAX_REC) { vg_buf_release(&b); return vg_err_set(err, VG_ETOOBIG, "record too large for the spool"); }
    wr32((uint8_t *)b.data, (uint32_t)pl);
    wr32((uint8_t *)b.data + 4, vg_crc32(b.data + REC_HDR, pl));
    if (sp->write_off && sp->write_off + b.len > SEG_BYTES) {
        if (fflush(sp->wf) != 0 || fdatasync(fileno(sp->wf)) != 0) { rc = vg_err_set(err, VG_EIO, "spool write failed: %s", strerror(errno)); goto out; }
        fclose(sp->wf);
        sp->wf = NULL;
        sp->write_seg++;
        if ((rc = open_write(sp, err))) goto out;
    }
    if (fwrite(b.data, 1, b.len, sp->wf) != b.len) { rc = vg_err_set(err, VG_EIO, "spool write failed: %s", strerror(errno)); goto out; }
    sp->write_off += b.len;
    sp->bytes += b.len;
    sp->spooled++;
    while (sp->bytes > sp->cap_bytes && sp->first_seg < sp->write_seg) drop_oldest(sp);
out:
    vg_buf_release(&b);
    return rc;
}

int vg_spool_sync(struct vg_spool *sp, struct vg_err *err)
{
    if (fflush(sp->wf) != 0 || fdatasync(fileno(sp->wf)) != 0)
        return vg_err_set(err, VG_EIO, "spool sync failed: %s", strerror(errno));
    return 0;
}

int vg_spool_next_frame(struct vg_spool *sp, struct vg_buf *out, size_t max_bytes, size_t max_records, struct vg_err *err)
{
    if (sp->wf && fflush(sp->wf) != 0) return vg_err_set(err, VG_EIO, "spool flush failed");
    for (;;) {
        uint64_t segsz = sp->read_seg == sp->write_seg ? sp->write_off : seg_size(sp, sp->read_seg);
        if (!sp->fl_seq && sp->read_off >= segsz) {
            if (sp->read_seg >= sp->write_seg) return 0;
            /* segment done: remove it */
            char p[1100];
            seg_path(sp, sp->read_seg, p, sizeof p);
            uint64_t sz = seg_size(sp, sp->read_seg);
            unlink(p);
            sp->bytes = sp->bytes > sz ? sp->bytes - sz : 0;
            sp->read_seg++;
            if (sp->first_seg < sp->read_seg) sp->first_seg = sp->read_seg;
            sp->read_off = 0;
            sp->in_corrupt = false;
            int rc = vg_spool_save(sp, err);
            if (rc) return rc;
            continue;
        }
        /* Read only the frame's window, not the whole segment: the records
         * one frame can take (max_bytes of payload plus their headers), or
         * exactly the range of the frame in flight. */
        uint64_t base = sp->read_off;
        size_t want = sp->fl_seq ? (size_t)(sp->fl_end > base ? sp->fl_end - base : 0)
                                 : max_bytes + max_records * (REC_HDR + POS_LEN) + REC_HDR;
        uint8_t *buf;
        size_t n;
        uint64_t total;
        int rc = read_range(sp, sp->read_seg, base, want, !sp->fl_seq, &buf, &n, &total);
        if (rc) return vg_err_set(err, rc, "cannot read the spool");
        if (!buf) {
            /* segment vanished (removed by hand?): move on */
            sp->read_off = 0;
            sp->fl_seq = 0;
            sp->in_corrupt = false;
            if (sp->read_seg >= sp->write_seg) return 0;
            continue;
        }
        /* buf holds [base, base + n); lend: where this frame's range ends */
        uint64_t lend = sp->fl_seq ? (sp->fl_end < total ? sp->fl_end : total) : total;
        size_t end = lend > base ? (size_t)(lend - base < n ? lend - base : n) : 0;
        bool cut = base + n < lend; /* the window stops before lend */
        size_t off = 0;
        uint64_t seq = sp->fl_seq ? sp->fl_seq : sp->next_seq;
        size_t start = vg_ap_begin(out, VG_AP_LOG, seq);
        size_t nrec = 0;
        bool in_corrupt = sp->in_corrupt, kind_rec = false; /* a region the last window ended in is counted once */
        rc = start == (size_t)-1 ? VG_ENOMEM : 0;
        while (!rc && off < end) {
            size_t r = valid_rec(buf, end, off);
            if (!r && cut && off > 0) {
                /* a record the window cuts: it goes in the next frame */
                uint32_t len = end - off >= 4 ? rd32(buf + off) : 0;
                if (end - off < REC_HDR || (len >= POS_LEN + 14 && len <= VG_SPOOL_MAX_REC && REC_HDR + len > end - off)) break;
            }
            if (!r) {
                if (!in_corrupt) {
                    sp->corrupt++;
                    vg_warn("agent", "spool segment %016" PRIx64 ": corrupt record at offset %" PRIu64 " skipped (%" PRIu64
                            " corrupt regions so far)", sp->read_seg, base + off, sp->corrupt);
                }
                in_corrupt = true;
                off++;
                continue;
            }
            in_corrupt = false;
            if (nrec && (out->len - start + r > max_bytes || nrec >= max_records)) break;
            /* one kind per frame: log lines go in LOG frames, posture
             * documents (source "vigil:...") in RECORD frames */
            bool is_rec = vg_spool_is_record(buf + off + REC_HDR + POS_LEN, r - REC_HDR - POS_LEN);
            if (nrec && is_rec != kind_rec) break;
            if (!nrec) {
                kind_rec = is_rec;
                out->data[start + 4] = (char)(is_rec ? VG_AP_RECORD : VG_AP_LOG);
            }
            rc = vg_buf_add(out, buf + off + REC_HDR + POS_LEN, r - REC_HDR - POS_LEN);
            off += r;
            nrec++;
        }
        vg_free(buf);
        sp->in_corrupt = in_corrupt;
        if (rc) { out->len = start == (size_t)-1 ? out->len : start; return vg_err_set(err, rc, "out of memory"); }
        if (nrec == 0) {
            /* nothing valid in range: skip it */
            out->len = start;
            sp->read_off = base + off;
            sp->fl_seq = 0;
            if ((rc = vg_spool_save(sp, err))) return rc;
            if (base + off >= total && sp->read_seg >= sp->write_seg) return 0;
            continue;
        }
        if ((rc = vg_ap_end(out, start))) { out->len = start; return vg_err_set(err, rc, "frame too large"); }
        if (!sp->fl_seq) {
            sp->fl_seq = sp->next_seq;
            sp->fl_seg = sp->read_seg;
            sp->fl_end = base + off;
            if ((rc = vg_spool_save(sp, err))) return rc;
        }
        return 1;
    }
}

int vg_spool_ack(struct vg_spool *sp, uint64_t seq, struct vg_err *err)
{
    if (!sp->fl_seq || seq != sp->fl_seq) return vg_err_set(err, VG_ESTATE, "acknowledgement of frame %" PRIu64 " not in flight", seq);
    if (sp->fl_seg == sp->read_seg) sp->read_off = sp->fl_end;
    sp->next_seq = sp->fl_seq + 1;
    sp->fl_seq = 0;
    return vg_spool_save(sp, err);
}

int vg_spool_resync(struct vg_spool *sp, uint64_t server_last, struct vg_err *err)
{
    if (sp->fl_seq && server_last >= sp->fl_seq) {
        int rc = vg_spool_ack(sp, sp->fl_seq, err);
        if (rc) return rc;
    }
    /* continue right after what the server committed (it refuses gaps) */
    sp->next_seq = server_last + 1;
    if (sp->fl_seq) sp->fl_seq = sp->next_seq;
    return vg_spool_save(sp, err);
}

uint64_t vg_spool_pending_bytes(const struct vg_spool *sp)
{
    uint64_t done = sp->read_off;
    return sp->bytes > done ? sp->bytes - done : 0;
}

bool vg_spool_is_record(const void *rec, size_t n)
{
    size_t off = 0;
    struct vg_ap_rec r;
    return vg_ap_rec_next(rec, n, &off, &r) == 1 && r.srclen >= sizeof VG_AGENT_REC_PREFIX - 1 &&
           memcmp(r.src, VG_AGENT_REC_PREFIX, sizeof VG_AGENT_REC_PREFIX - 1) == 0;
}

void vg_spool_positions(const struct vg_spool *sp, void (*cb)(void *ctx, const struct vg_spool_pos *pos,
                                                               const char *src, size_t srclen), void *ctx)
{
    uint64_t from = sp->write_seg >= sp->first_seg + 2 ? sp->write_seg - 2 : sp->first_seg;
    for (uint64_t seg = from; seg <= sp->write_seg; seg++) {
        uint8_t *buf;
        size_t n;
        if (read_seg(sp, seg, &buf, &n) != 0 || !buf) continue;
        size_t off = 0, r;
        while (off < n) {
            r = valid_rec(buf, n, off);
            if (!r) { off++; continue; }
            const uint8_t *pl = buf + off + REC_HDR;
            struct vg_spool_pos pos = {rd64(pl), rd64(pl + 8), rd64(pl + 16)};
            size_t o = 0;
            struct vg_ap_rec rec;
            if (vg_ap_rec_next(pl + POS_LEN, r - REC_HDR - POS_LEN, &o, &rec) == 1) cb(ctx, &pos, rec.src, rec.srclen);
            off += r;
        }
        vg_free(buf);
    }
}
