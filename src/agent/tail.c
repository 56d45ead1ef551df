/* File tailing for vigil-agent: follows configured log files line by line
 * into the spool. Each file is identified by (device, inode); the read
 * offset is persisted in DATA/tail.state only after the lines up to it are
 * durable in the spool, so a restart neither loses nor repeats lines.
 * Rotation (the path now names another inode): the old file is read to its
 * end, including a last unterminated line, then the new one from its
 * start. Truncation (size below the offset): read again from 0. A line
 * longer than 64 KiB is cut into 64 KiB pieces. Each line gets a receive
 * time that is strictly increasing within the agent, so the server's
 * event ids stay stable across resends. */
#include "agent.h"
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <unistd.h>

static int save_state(struct vg_tail *t, struct vg_err *err)
{
    char tmp[1200];
    snprintf(tmp, sizeof tmp, "%s.tmp", t->state_path);
    FILE *f = fopen(tmp, "w");
    if (!f) return vg_err_set(err, VG_EIO, "cannot write %s: %s", tmp, strerror(errno));
    for (size_t i = 0; i < t->n; i++)
        fprintf(f, "%" PRIu64 " %" PRIu64 " %" PRIu64 " %s\n", t->f[i].dev, t->f[i].ino, t->f[i].off, t->f[i].path);
    bool ok = fflush(f) == 0;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, t->state_path) != 0) return vg_err_set(err, VG_EIO, "cannot write %s", t->state_path);
    return 0;
}

static void open_file(struct vg_tail_file *tf, bool from_end, bool known, uint64_t dev, uint64_t ino, uint64_t off)
{
    tf->fd = open(tf->path, O_RDONLY | O_CLOEXEC);
    if (tf->fd < 0) return;
    struct stat st;
    if (fstat(tf->fd, &st) != 0) { close(tf->fd); tf->fd = -1; return; }
    tf->dev = (uint64_t)st.st_dev;
    tf->ino = (uint64_t)st.st_ino;
    if (known && dev == tf->dev && ino == tf->ino) {
        tf->off = off <= (uint64_t)st.st_size ? off : 0;
    } else if (known) {
        vg_warn("agent", "%s was replaced while the agent was stopped: reading the new file from its start", tf->path);
        tf->off = 0;
    } else {
        tf->off = from_end ? (uint64_t)st.st_size : 0;
    }
}

int vg_tail_open(struct vg_tail *t, const char *data_dir, const char *const *paths, size_t n, bool from_end,
                 struct vg_err *err)
{
    memset(t, 0, sizeof *t);
    if (n > VG_TAIL_MAX_FILES) return vg_err_set(err, VG_ETOOBIG, "at most %d files", VG_TAIL_MAX_FILES);
    snprintf(t->state_path, sizeof t->state_path, "%s/tail.state", data_dir);
    t->from_end = from_end;
    t->buf = vg_malloc(VG_TAIL_MAX_LINE);
    t->f = vg_calloc(n ? n : 1, sizeof *t->f);
    if (!t->buf || !t->f) return vg_err_set(err, VG_ENOMEM, "out of memory");
    /* previous positions */
    struct { uint64_t dev, ino, off; char path[1024]; } *st = vg_calloc(VG_TAIL_MAX_FILES, sizeof *st);
    size_t nst = 0;
    if (!st) return vg_err_set(err, VG_ENOMEM, "out of memory");
    FILE *f = fopen(t->state_path, "r");
    if (f) {
        char line[1200];
        while (nst < VG_TAIL_MAX_FILES && fgets(line, sizeof line, f)) {
            int pos = 0;
            if (sscanf(line, "%" SCNu64 " %" SCNu64 " %" SCNu64 " %n", &st[nst].dev, &st[nst].ino, &st[nst].off, &pos) < 3 || !pos) {
                vg_warn("agent", "%s: ignoring a malformed line", t->state_path);
                continue;
            }
            size_t l = strlen(line + pos);
            while (l && (line[pos + l - 1] == '\n' || line[pos + l - 1] == '\r')) l--;
            snprintf(st[nst].path, sizeof st[nst].path, "%.*s", (int)l, line + pos);
            nst++;
        }
        fclose(f);
    }
    for (size_t i = 0; i < n; i++) {
        struct vg_tail_file *tf = &t->f[t->n++];
        snprintf(tf->path, sizeof tf->path, "%s", paths[i]);
        tf->fd = -1;
        size_t k;
        for (k = 0; k < nst; k++)
            if (strcmp(st[k].path, tf->path) == 0) break;
        open_file(tf, from_end, k < nst, k < nst ? st[k].dev : 0, k < nst ? st[k].ino : 0, k < nst ? st[k].off : 0);
        if (tf->fd < 0) vg_info("agent", "%s does not exist yet: waiting for it", tf->path);
    }
    vg_free(st);
    return save_state(t, err);
}

void vg_tail_close(struct vg_tail *t)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->f[i].fd >= 0) close(t->f[i].fd);
    vg_free(t->buf);
    t->buf = NULL;
    vg_free(t->f);
    t->f = NULL;
    t->n = 0;
}

static int64_t next_ts(struct vg_tail *t)
{
    int64_t now = vg_now_ns();
    if (now <= t->last_ts) now = t->last_ts + 1;
    t->last_ts = now;
    return now;
}

/* Reads complete lines (and, at_eof_flush, a final partial one). */
static long read_lines(struct vg_tail *t, struct vg_tail_file *tf, struct vg_spool *sp, long max, bool flush_partial,
                       long *budget, struct vg_err *err)
{
    long lines = 0;
    size_t plen = strlen(tf->path);
    while (lines < max && *budget > 0) {
        ssize_t r = pread(tf->fd, t->buf, VG_TAIL_MAX_LINE, (off_t)tf->off);
        if (r < 0) {
            if (errno == EINTR) continue;
            vg_warn("agent", "%s: read error: %s", tf->path, strerror(errno));
            return lines;
        }
        if (r == 0) break;
        size_t n = (size_t)r, pos = 0;
        while (pos < n && lines < max && *budget > 0) {
            char *nl = memchr(t->buf + pos, '\n', n - pos);
            size_t ll, adv;
            if (nl) {
                ll = (size_t)(nl - (t->buf + pos));
                adv = ll + 1;
            } else if (pos == 0 && n == VG_TAIL_MAX_LINE) {
                ll = adv = n;   /* over-long line: cut */
            } else if (flush_partial && (size_t)r < VG_TAIL_MAX_LINE) {
                ll = adv = n - pos;
            } else {
                break;   /* incomplete line: wait for the rest */
            }
            size_t l = ll;
            if (l && t->buf[pos + l - 1] == '\r') l--;
            if (l) {
                struct vg_spool_pos sp_pos = {tf->dev, tf->ino, tf->off + adv};
                int rc = vg_spool_append(sp, &sp_pos, next_ts(t), tf->path, plen, t->buf + pos, l, err);
                if (rc) return rc;
                lines++;
                *budget -= (long)l + 1;
            }
            pos += adv;
            tf->off += adv;
        }
        if (pos == 0) break;
    }
    return lines;
}

long vg_tail_poll(struct vg_tail *t, struct vg_spool *sp, long max_lines, struct vg_err *err)
{
    long total = 0;
    /* at most ~512 KiB per poll: a poll's appends then span at most two
     * spool segments, which is what vg_tail_reconcile scans */
    long budget = 512 * 1024;
    for (size_t i = 0; i < t->n && total < max_lines && budget > 0; i++) {
        struct vg_tail_file *tf = &t->f[i];
        if (tf->fd < 0) {
            open_file(tf, false, false, 0, 0, 0);
            if (tf->fd < 0) continue;
            vg_info("agent", "%s appeared: following it", tf->path);
        }
        struct stat ps, fs;
        bool rotated = stat(tf->path, &ps) == 0 && ((uint64_t)ps.st_dev != tf->dev || (uint64_t)ps.st_ino != tf->ino);
        if (fstat(tf->fd, &fs) == 0 && (uint64_t)fs.st_size < tf->off) {
            vg_warn("agent", "%s was truncated: reading it again from the start", tf->path);
            tf->off = 0;
        }
        long got = read_lines(t, tf, sp, max_lines - total, rotated, &budget, err);
        if (got < 0) return got;
        total += got;
        if (rotated && total < max_lines && budget > 0) {
            vg_info("agent", "%s was rotated: following the new file", tf->path);
            close(tf->fd);
            tf->fd = -1;
            open_file(tf, false, false, 0, 0, 0);
            if (tf->fd >= 0) {
                got = read_lines(t, tf, sp, max_lines - total, false, &budget, err);
                if (got < 0) return got;
                total += got;
            }
        }
    }
    int rc = vg_spool_sync(sp, err);
    if (rc) return rc;
    rc = save_state(t, err);
    return rc ? rc : total;
}

static void reconcile_cb(void *ctx, const struct vg_spool_pos *pos, const char *src, size_t srclen)
{
    struct vg_tail *t = ctx;
    for (size_t i = 0; i < t->n; i++) {
        struct vg_tail_file *tf = &t->f[i];
        if (tf->fd < 0 || tf->dev != pos->dev || tf->ino != pos->ino || strlen(tf->path) != srclen ||
            memcmp(tf->path, src, srclen) != 0)
            continue;
        if (pos->end_off > tf->off) {
            struct stat st;
            if (fstat(tf->fd, &st) == 0 && pos->end_off <= (uint64_t)st.st_size) {
                tf->off = pos->end_off;
                t->reconciled++;
            }
        }
    }
}

int vg_tail_reconcile(struct vg_tail *t, const struct vg_spool *sp, struct vg_err *err)
{
    t->reconciled = 0;
    vg_spool_positions(sp, reconcile_cb, t);
    if (t->reconciled) vg_info("agent", "tail positions advanced from the spool (the agent stopped between a spool "
                                        "write and its position update)");
    return save_state(t, err);
}
