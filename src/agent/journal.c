/* systemd journal collection for vigil-agent without libsystemd: runs
 *   journalctl -q -o json --follow --no-tail --after-cursor=CURSOR
 * (or --since=SINCE the first time) as a child process and reads its JSON
 * lines from a pipe in the agent's loop. Each entry becomes one LOG record
 * (source "journal") holding an RFC 5424 line built from PRIORITY,
 * SYSLOG_FACILITY, __REALTIME_TIMESTAMP, _HOSTNAME, SYSLOG_IDENTIFIER (or
 * _COMM), SYSLOG_PID (or _PID), _SYSTEMD_UNIT (structured data
 * [journal unit="..."]) and MESSAGE, so the server's rfc5424 decoder and
 * then the program decoders (sshd, sudo, pam, ...) apply with the
 * identifier as the program. The record time is the entry's realtime
 * stamp. The cursor of the last spooled entry is written to
 * DATA/journal.cursor after the spool is synced: a restart continues after
 * it and loses nothing; the one window where an entry can be read twice (a
 * crash between the spool sync and the cursor write) yields the same line
 * with the same timestamp, i.e. the same event id, which the server's
 * idempotent insert drops. journalctl exiting is logged and it is
 * restarted with backoff (1 s doubling to 60 s). */
#include "agent.h"
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define LINE_MAX_BYTES (1u << 20)   /* a longer journal line is skipped (counted) */
#define READ_BUDGET (512u * 1024u)  /* bytes read per poll */
#define FIELD_MAX 8192              /* bytes kept of one field (MESSAGE) */

static bool find_on_path(const char *name, char *out, size_t n)
{
    if (strchr(name, '/')) {
        snprintf(out, n, "%s", name);
        return access(out, X_OK) == 0;
    }
    const char *path = getenv("PATH");
    if (!path || !*path) path = "/usr/bin:/bin";
    while (*path) {
        const char *c = strchr(path, ':');
        size_t l = c ? (size_t)(c - path) : strlen(path);
        if (l) {
            int k = snprintf(out, n, "%.*s/%s", (int)l, path, name);
            if (k > 0 && (size_t)k < n && access(out, X_OK) == 0) return true;
        }
        path += l + (c ? 1 : 0);
    }
    return false;
}

int vg_journal_open(struct vg_journal *j, const char *data_dir, const char *mode, const char *cmd, const char *since,
                    struct vg_err *err)
{
    memset(j, 0, sizeof *j);
    j->pid = -1;
    j->fd = -1;
    j->backoff_ns = 1000000000LL;
    snprintf(j->since, sizeof j->since, "%s", since && *since ? since : "-10min");
    snprintf(j->state_path, sizeof j->state_path, "%s/journal.cursor", data_dir);
    if (mode && strcmp(mode, "no") == 0) return 0;
    bool found = find_on_path(cmd && *cmd ? cmd : "journalctl", j->cmd, sizeof j->cmd);
    if (!found) {
        if (mode && strcmp(mode, "yes") == 0) return vg_err_set(err, VG_ENOENT, "journal: %s not found", cmd && *cmd ? cmd : "journalctl");
        vg_info("agent", "journal: journalctl not found: not collecting the systemd journal");
        return 0;
    }
    j->buf = vg_malloc(LINE_MAX_BYTES + 1);
    if (!j->buf) return vg_err_set(err, VG_ENOMEM, "out of memory");
    FILE *f = fopen(j->state_path, "re");
    if (f) {
        if (fgets(j->cursor, sizeof j->cursor, f)) {
            size_t l = strlen(j->cursor);
            while (l && (j->cursor[l - 1] == '\n' || j->cursor[l - 1] == '\r')) j->cursor[--l] = 0;
            for (size_t i = 0; i < l; i++)
                if ((unsigned char)j->cursor[i] < 0x20) { j->cursor[0] = 0; break; }
        }
        fclose(f);
    }
    j->on = true;
    return 0;
}

static void stop_child(struct vg_journal *j)
{
    if (j->fd >= 0) close(j->fd);
    j->fd = -1;
    if (j->pid > 0) {
        kill(j->pid, SIGTERM);
        int st;
        for (int i = 0; i < 100 && waitpid(j->pid, &st, WNOHANG) == 0; i++) usleep(10000);
        if (waitpid(j->pid, &st, WNOHANG) == 0) {
            kill(j->pid, SIGKILL);
            waitpid(j->pid, &st, 0);
        }
    }
    j->pid = -1;
    j->len = 0;
    j->skipping = false;
}

void vg_journal_close(struct vg_journal *j)
{
    stop_child(j);
    vg_free(j->buf);
    j->buf = NULL;
}

static int start_child(struct vg_journal *j, struct vg_err *err)
{
    char pos[600];
    if (j->cursor[0]) snprintf(pos, sizeof pos, "--after-cursor=%s", j->cursor);
    else snprintf(pos, sizeof pos, "--since=%s", j->since);
    char *argv[] = {j->cmd, "-q", "-o", "json", "--follow", "--no-tail", pos, NULL};
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) return vg_err_set(err, VG_EIO, "journal: pipe: %s", strerror(errno));
    pid_t pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return vg_err_set(err, VG_EIO, "journal: fork: %s", strerror(errno));
    }
    if (pid == 0) {
        int dn = open("/dev/null", O_RDWR);
        if (dn >= 0) { dup2(dn, 0); dup2(dn, 2); }
        dup2(p[1], 1);
        signal(SIGPIPE, SIG_DFL);
        execv(j->cmd, argv);
        _exit(127);
    }
    close(p[1]);
    fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
    j->pid = pid;
    j->fd = p[0];
    j->len = 0;
    j->skipping = false;
    vg_info("agent", "journal: following %s (%s)", j->cmd, pos);
    return 0;
}

/* ---- entry -> RFC 5424 ------------------------------------------------ */

/* A field's value as bytes: a string, or (journalctl's form for binary or
 * non-UTF-8 data) an array of byte values. */
static size_t field(json_t *o, const char *key, char *out, size_t n)
{
    json_t *v = json_object_get(o, key);
    size_t l = 0;
    if (json_is_string(v)) {
        l = json_string_length(v);
        if (l >= n) l = n - 1;
        memcpy(out, json_string_value(v), l);
    } else if (json_is_array(v)) {
        size_t i;
        json_t *b;
        json_array_foreach(v, i, b)
        {
            if (l + 1 >= n) break;
            json_int_t x = json_integer_value(b);
            out[l++] = (char)(x >= 0 && x <= 255 ? x : '?');
        }
    }
    out[l] = 0;
    return l;
}

/* Control bytes become blanks and invalid UTF-8 becomes '?', so the line
 * is one printable record. */
static void clean(char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) s[i] = ' ';
    size_t i = 0;
    while (i < n) {
        size_t k = i;
        while (k < n && (unsigned char)s[k] < 0x80) k++;
        if (k == n) break;
        size_t len = (unsigned char)s[k] >= 0xF0 ? 4 : (unsigned char)s[k] >= 0xE0 ? 3 : 2;
        if (k + len > n || !vg_utf8_valid(s + k, len)) { s[k] = '?'; i = k + 1; }
        else i = k + len;
    }
}

/* RFC 5424 header token: printable ASCII without blanks, at most max. */
static void token(char *s, size_t max)
{
    size_t l = strlen(s);
    if (l > max) s[l = max] = 0;
    for (size_t i = 0; i < l; i++)
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f) s[i] = '_';
    if (!l) { s[0] = '-'; s[1] = 0; }
}

static bool parse_num(const char *s, int64_t *v)
{
    return *s && vg_parse_i64(s, strlen(s), v) == 0;
}

int vg_journal_entry_format(const char *json, size_t n, struct vg_buf *out, char *cursor, size_t cursz,
                            int64_t *realtime_ns)
{
    json_error_t je;
    json_t *o = json_loadb(json, n, JSON_REJECT_DUPLICATES, &je);
    int rc = 0;
    char *msg = NULL;
    if (!json_is_object(o)) { rc = VG_EPARSE; goto out; }
    char tmp[512], host[256], app[64], pid[32], unit[256];
    int64_t rt = 0, prio = 6, fac = 1;
    field(o, "__REALTIME_TIMESTAMP", tmp, sizeof tmp);
    if (!parse_num(tmp, &rt) || rt < 0 || rt > INT64_MAX / 1000) rt = 0;
    *realtime_ns = rt * 1000;
    field(o, "PRIORITY", tmp, sizeof tmp);
    if (!parse_num(tmp, &prio) || prio < 0 || prio > 7) prio = 6;
    field(o, "SYSLOG_FACILITY", tmp, sizeof tmp);
    if (!parse_num(tmp, &fac) || fac < 0 || fac > 23) fac = 1;
    field(o, "__CURSOR", cursor, cursz);
    clean(cursor, strlen(cursor));
    field(o, "_HOSTNAME", host, sizeof host);
    if (!field(o, "SYSLOG_IDENTIFIER", app, sizeof app)) field(o, "_COMM", app, sizeof app);
    if (!field(o, "SYSLOG_PID", pid, sizeof pid)) field(o, "_PID", pid, sizeof pid);
    size_t ul = field(o, "_SYSTEMD_UNIT", unit, sizeof unit);
    token(host, 255);
    token(app, 48);
    token(pid, 128);
    msg = vg_malloc(FIELD_MAX);
    if (!msg) { rc = VG_ENOMEM; goto out; }
    size_t ml = field(o, "MESSAGE", msg, FIELD_MAX);
    if (!json_object_get(o, "MESSAGE") && !json_object_get(o, "__REALTIME_TIMESTAMP")) { rc = VG_EPARSE; goto out; }
    while (ml && (msg[ml - 1] == '\n' || msg[ml - 1] == ' ')) msg[--ml] = 0;
    clean(msg, ml);
    char ts[48] = "-";
    if (rt) vg_time_format(rt * 1000, ts, sizeof ts, 6);
    rc = vg_buf_addf(out, "<%lld>1 %s %s %s %s - ", (long long)(fac * 8 + prio), ts, host, app, pid);
    if (!rc && ul) {
        clean(unit, ul);
        rc = vg_buf_adds(out, "[journal unit=\"");
        for (size_t i = 0; !rc && i < ul; i++) {
            if (unit[i] == '"' || unit[i] == '\\' || unit[i] == ']') rc = vg_buf_addc(out, '\\');
            if (!rc) rc = vg_buf_addc(out, unit[i]);
        }
        if (!rc) rc = vg_buf_adds(out, "\"] ");
    } else if (!rc) {
        rc = vg_buf_adds(out, "- ");
    }
    if (!rc) rc = vg_buf_add(out, msg, ml);
out:
    vg_free(msg);
    json_decref(o);
    return rc;
}

/* ---- poll ------------------------------------------------------------- */

static int64_t next_ts(struct vg_journal *j, int64_t want)
{
    if (want <= 0) want = vg_now_ns();
    if (want <= j->last_ts) want = j->last_ts + 1;
    j->last_ts = want;
    return want;
}

static int save_cursor(struct vg_journal *j)
{
    char tmp[1200];
    snprintf(tmp, sizeof tmp, "%s.tmp", j->state_path);
    FILE *f = fopen(tmp, "we");
    if (!f) return VG_EIO;
    bool ok = fprintf(f, "%s\n", j->cursor) > 0;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, j->state_path) != 0) return VG_EIO;
    return 0;
}

static int handle_line(struct vg_journal *j, struct vg_spool *sp, const char *line, size_t n, struct vg_buf *rec,
                       struct vg_err *err)
{
    char cur[512];
    int64_t rt = 0;
    vg_buf_reset(rec);
    int rc = vg_journal_entry_format(line, n, rec, cur, sizeof cur, &rt);
    if (rc == VG_EPARSE) {
        if (j->bad++ < 10) vg_warn("agent", "journal: skipping a line that is not a journal entry (%zu bytes)", n);
        return 0;
    }
    if (rc) return vg_err_set(err, rc, "journal: out of memory");
    rc = vg_spool_append(sp, NULL, next_ts(j, rt), "journal", 7, rec->data, rec->len, err);
    if (rc) return rc;
    if (cur[0]) snprintf(j->cursor, sizeof j->cursor, "%s", cur);
    j->entries++;
    return 1;
}

long vg_journal_poll(struct vg_journal *j, struct vg_spool *sp, long max, struct vg_err *err)
{
    if (!j->on) return 0;
    int64_t now = vg_mono_ns();
    if (j->fd < 0) {
        if (now < j->next_start) return 0;
        int rc = start_child(j, err);
        if (rc) {
            j->next_start = now + j->backoff_ns;
            j->backoff_ns = j->backoff_ns * 2 > 60000000000LL ? 60000000000LL : j->backoff_ns * 2;
            return rc;
        }
        j->restarts++;
    }
    long got = 0;
    size_t budget = READ_BUDGET;
    bool eof = false;
    struct vg_buf rec = VG_BUF_INIT;
    int rc = 0;
    while (got < max && budget > 0 && !rc) {
        size_t room = LINE_MAX_BYTES - j->len;
        if (room == 0) { /* over-long line: drop what we have, skip to its end */
            j->skipping = true;
            j->len = 0;
            j->bad++;
            vg_warn("agent", "journal: an entry longer than %u bytes was skipped", LINE_MAX_BYTES);
            continue;
        }
        ssize_t r = read(j->fd, j->buf + j->len, room < budget ? room : budget);
        if (r < 0) {
            if (errno == EINTR) continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) eof = true;
            break;
        }
        if (r == 0) { eof = true; break; }
        budget -= (size_t)r;
        size_t scan = j->len, start = 0;
        j->len += (size_t)r;
        for (size_t i = scan; i < j->len && !rc; i++) {
            if (j->buf[i] != '\n') continue;
            if (!j->skipping && i > start) {
                int h = handle_line(j, sp, j->buf + start, i - start, &rec, err);
                if (h < 0) rc = h;
                else got += h;
            }
            j->skipping = false;
            start = i + 1;
        }
        memmove(j->buf, j->buf + start, j->len - start);
        j->len -= start;
    }
    vg_buf_release(&rec);
    if (got > 0 && !rc) {
        rc = vg_spool_sync(sp, err);
        if (!rc && save_cursor(j) != 0) vg_warn("agent", "journal: cannot write %s", j->state_path);
        j->backoff_ns = 1000000000LL;
    }
    if (eof) {
        int pid = j->pid;
        stop_child(j);
        vg_warn("agent", "journal: %s (pid %d) ended; restarting it in %lld s", j->cmd, pid,
                (long long)(j->backoff_ns / 1000000000LL));
        j->next_start = vg_mono_ns() + j->backoff_ns;
        j->backoff_ns = j->backoff_ns * 2 > 60000000000LL ? 60000000000LL : j->backoff_ns * 2;
    }
    return rc ? rc : got;
}
