/* Inventory snapshot lifetime, shared collector helpers (bounded reads under
 * the root prefix, arena strings, capped arrays, a spawn-with-timeout for
 * systemctl) and the collector driver vg_inv_collect. JSON lives in json.c,
 * the collectors in the other files of this directory. */
#include "internal.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

struct vg_inv_snapshot *vg_inv_snapshot_new(const char *root)
{
    struct vg_inv_snapshot *s = vg_calloc(1, sizeof *s);
    if (!s) return NULL;
    vg_arena_init(&s->arena, 65536);
    if (!root || !*root) root = "/";
    size_t n = strlen(root);
    while (n > 1 && root[n - 1] == '/') n--;
    s->root = vg_arena_strndup(&s->arena, root, n);
    if (!s->root) {
        vg_inv_snapshot_free(s);
        return NULL;
    }
    s->live = strcmp(s->root, "/") == 0;
    s->rpmdb = "";
    struct vg_inv_os *o = &s->os;
    o->hostname = o->os_id = o->os_name = o->os_version = o->os_version_id = o->os_codename = o->os_pretty = "";
    o->kernel_name = o->kernel_release = o->kernel_version = o->machine = "";
    return s;
}

void vg_inv_snapshot_free(struct vg_inv_snapshot *s)
{
    if (!s) return;
    vg_free(s->ifaces);
    vg_free(s->pkgs);
    vg_free(s->users);
    vg_free(s->groups);
    vg_free(s->sudo);
    vg_free(s->keys);
    vg_free(s->ports);
    vg_free(s->procs);
    vg_free(s->services);
    vg_arena_release(&s->arena);
    vg_free(s);
}

const char *vg__inv_strn(struct vg_inv_snapshot *s, const char *p, size_t n)
{
    if (!p || !n) return "";
    char *r = vg_arena_strndup(&s->arena, p, n);
    if (!r) {
        s->oom = true;
        return "";
    }
    return r;
}

const char *vg__inv_str(struct vg_inv_snapshot *s, const char *p) { return vg__inv_strn(s, p, p ? strlen(p) : 0); }

const char *vg__inv_strf(struct vg_inv_snapshot *s, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0) return "";
    return vg__inv_strn(s, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

void vg__inv_issue(struct vg_inv_snapshot *s, const char *fmt, ...)
{
    s->issues_total++;
    if (s->nissues >= VG_INV_MAX_ISSUES) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->issues[s->nissues++], sizeof s->issues[0], fmt, ap);
    va_end(ap);
}

void *vg__inv_push(struct vg_inv_snapshot *s, void **arr, size_t *n, size_t *cap, size_t elsz)
{
    if (*n >= VG_INV_MAX_ITEMS) {
        if (*n == VG_INV_MAX_ITEMS) vg__inv_issue(s, "more than %d entries in one category; rest dropped",
                                                  VG_INV_MAX_ITEMS);
        return NULL;
    }
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 32;
        void *na = vg_realloc(*arr, nc * elsz);
        if (!na) {
            s->oom = true;
            return NULL;
        }
        *arr = na;
        *cap = nc;
    }
    char *e = (char *)*arr + (*n)++ * elsz;
    memset(e, 0, elsz);
    return e;
}

const char *vg__inv_path(const struct vg_inv_snapshot *s, const char *rel, char *buf, size_t bufsz)
{
    const char *root = s->live ? "" : s->root;
    int n = snprintf(buf, bufsz, "%s%s%s", root, rel[0] == '/' ? "" : "/", rel);
    if (n < 0 || (size_t)n >= bufsz) return NULL;
    return buf;
}

int vg__inv_read_abs(const char *path, size_t cap, char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) return errno == ENOENT || errno == ENOTDIR ? VG_ENOENT : errno == EACCES ? VG_EPERM : VG_EIO;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) { /* no dirs, fifos, devices (could block) */
        close(fd);
        return VG_EIO;
    }
    struct vg_buf b = VG_BUF_INIT;
    b.cap_limit = cap + 1;
    int rc = 0;
    char tmp[65536];
    for (;;) {
        ssize_t r = read(fd, tmp, sizeof tmp);
        if (r < 0) {
            if (errno == EINTR) continue;
            rc = VG_EIO;
            break;
        }
        if (r == 0) break;
        if (b.len + (size_t)r > cap) {
            rc = VG_ETOOBIG;
            break;
        }
        if (vg_buf_add(&b, tmp, (size_t)r)) {
            rc = VG_ENOMEM;
            break;
        }
    }
    close(fd);
    if (rc) {
        vg_buf_release(&b);
        return rc;
    }
    if (!b.data) { /* empty file */
        b.data = vg_malloc(1);
        if (!b.data) return VG_ENOMEM;
        b.data[0] = 0;
    }
    *out = vg_buf_detach(&b, len);
    return 0;
}

int vg__inv_read(const struct vg_inv_snapshot *s, const char *rel, size_t cap, char **out, size_t *len)
{
    char p[4096];
    *out = NULL;
    *len = 0;
    if (!vg__inv_path(s, rel, p, sizeof p)) return VG_ETOOBIG;
    return vg__inv_read_abs(p, cap, out, len);
}

bool vg__inv_next_line(const char **p, const char *end, const char **line, size_t *len)
{
    if (*p >= end) return false;
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));
    *line = *p;
    *len = (size_t)((nl ? nl : end) - *p);
    *p = nl ? nl + 1 : end;
    return true;
}

int vg__inv_cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

int vg__inv_exec(const char *const *argv, int timeout_ms, size_t cap, char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    if (access(argv[0], X_OK) != 0) return VG_ENOENT;
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) != 0) return VG_EIO;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    int src = posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(pfd[1]);
    if (src != 0) {
        close(pfd[0]);
        return VG_EIO;
    }
    struct vg_buf b = VG_BUF_INIT;
    int rc = 0;
    int64_t deadline = vg_mono_ns() + (int64_t)timeout_ms * 1000000;
    char tmp[16384];
    for (;;) {
        int64_t left = (deadline - vg_mono_ns()) / 1000000;
        if (left <= 0) {
            rc = VG_ETIMEOUT;
            break;
        }
        struct pollfd pf = {pfd[0], POLLIN, 0};
        int pr = poll(&pf, 1, (int)left);
        if (pr < 0 && errno == EINTR) continue;
        if (pr <= 0) {
            rc = pr == 0 ? VG_ETIMEOUT : VG_EIO;
            break;
        }
        ssize_t r = read(pfd[0], tmp, sizeof tmp);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        if (b.len + (size_t)r > cap) {
            rc = VG_ETOOBIG;
            break;
        }
        if (vg_buf_add(&b, tmp, (size_t)r)) {
            rc = VG_ENOMEM;
            break;
        }
    }
    close(pfd[0]);
    if (rc) kill(pid, SIGKILL);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    if (!rc && (!WIFEXITED(st) || WEXITSTATUS(st) != 0)) rc = VG_EIO;
    if (rc) {
        vg_buf_release(&b);
        return rc;
    }
    if (vg_buf_add(&b, "", 0) || !b.data) {
        b.data = vg_malloc(1);
        if (!b.data) return VG_ENOMEM;
        b.data[0] = 0;
        b.len = 0;
    }
    *out = vg_buf_detach(&b, len);
    return 0;
}

size_t vg_inv_count_uid0(const struct vg_inv_snapshot *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->nusers; i++) n += s->users[i].uid == 0;
    return n;
}

int vg_inv_collect(struct vg_inv_snapshot *s, unsigned what, struct vg_err *err)
{
    int64_t t0 = vg_mono_ns();
    s->collected_at = vg_now_ns();
    static int (*const fns[])(struct vg_inv_snapshot *, struct vg_err *) = {
        vg_inv_collect_os,   vg_inv_collect_ifaces, vg_inv_collect_pkgs,  vg_inv_collect_users,   vg_inv_collect_sudo,
        vg_inv_collect_keys, vg_inv_collect_ports,  vg_inv_collect_procs, vg_inv_collect_services};
    int rc = 0;
    for (size_t i = 0; i < VG_ARRAY_LEN(fns); i++) {
        if (!(what & (1u << i))) continue;
        if (i == 5 && !(what & VG_INV_USERS) && s->nusers == 0) {
            rc = vg_inv_collect_users(s, err); /* keys need the homes */
            if (rc) goto out;
        }
        rc = fns[i](s, err);
        if (rc) goto out;
        if (s->oom) {
            rc = vg_err_set(err, VG_ENOMEM, "out of memory collecting inventory");
            goto out;
        }
    }
out:
    s->collect_ns = vg_mono_ns() - t0;
    return rc;
}
