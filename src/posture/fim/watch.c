/* FIM real-time watcher: inotify watches on every directory of the held
 * baseline under the configured paths (files are watched through their
 * parent directory), touched paths collected per poll and re-stat'ed
 * against the held state, which is then updated. New directories get
 * watches and their contents reported as created; IN_Q_OVERFLOW or too
 * many touched paths fall back to a full rescan and diff. */
#include "vigil/fim.h"
#include <errno.h>
#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#define MAX_DIRTY 4096
#define MAX_WATCHES 65536
#define WMASK (IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE | IN_DELETE | \
               IN_DELETE_SELF | IN_MOVE_SELF | IN_DONT_FOLLOW | IN_ONLYDIR)

struct wdent { int wd; char *path; };

struct vg_fim_watch {
    const struct vg_fim_config *cfg;
    struct vg_fim_baseline *held;
    int fd;
    struct wdent *wds;
    size_t nwds, capwds;
    char *dirty[MAX_DIRTY];
    size_t ndirty;
    bool rescan;
    size_t rescans;
};

int vg_fim_watch_fd(const struct vg_fim_watch *w) { return w->fd; }
const struct vg_fim_baseline *vg_fim_watch_state(const struct vg_fim_watch *w) { return w->held; }
size_t vg_fim_watch_rescans(const struct vg_fim_watch *w) { return w->rescans; }

/* Is path one of ours: a configured path, or below a configured directory. */
static bool covered(const struct vg_fim_config *cfg, const char *path)
{
    if (vg_fim_ignored(cfg, path)) return false;
    for (size_t i = 0; i < cfg->npaths; i++) {
        const char *c = cfg->paths[i];
        size_t l = strlen(c);
        while (l > 1 && c[l - 1] == '/') l--;
        if (strncmp(path, c, l) != 0) continue;
        if (path[l] == 0) return true;
        if (path[l] != '/') continue;
        if (cfg->recursive || !strchr(path + l + 1, '/')) return true;
    }
    return false;
}

static void add_watch(struct vg_fim_watch *w, const char *dir)
{
    if (w->nwds >= MAX_WATCHES) {
        w->rescan = true; /* cannot watch everything: periodic rescans catch the rest */
        return;
    }
    int wd = inotify_add_watch(w->fd, dir, WMASK);
    if (wd < 0) return;
    for (size_t i = 0; i < w->nwds; i++)
        if (w->wds[i].wd == wd) return; /* already watched (same inode) */
    if (w->nwds == w->capwds) {
        size_t nc = w->capwds ? w->capwds * 2 : 64;
        void *n = vg_realloc(w->wds, nc * sizeof *w->wds);
        if (!n) return;
        w->wds = n;
        w->capwds = nc;
    }
    char *p = vg_strdup(dir);
    if (!p) return;
    w->wds[w->nwds++] = (struct wdent){wd, p};
}

static void drop_wd(struct vg_fim_watch *w, int wd)
{
    for (size_t i = 0; i < w->nwds; i++)
        if (w->wds[i].wd == wd) {
            vg_free(w->wds[i].path);
            w->wds[i] = w->wds[--w->nwds];
            return;
        }
}

static void watch_all(struct vg_fim_watch *w)
{
    for (size_t i = 0; i < w->held->n; i++)
        if (w->held->e[i].type == 'd') add_watch(w, w->held->e[i].path);
    /* configured files: their parent directory */
    for (size_t i = 0; i < w->cfg->npaths; i++) {
        char d[VG_FIM_MAX_PATH];
        snprintf(d, sizeof d, "%s", w->cfg->paths[i]);
        char *sl = strrchr(d, '/');
        if (!sl) continue;
        if (sl == d) sl[1] = 0;
        else *sl = 0;
        add_watch(w, d);
    }
}

int vg_fim_watch_open(const struct vg_fim_config *cfg, struct vg_fim_baseline *base, struct vg_fim_watch **out,
                      struct vg_err *err)
{
    *out = NULL;
    struct vg_fim_watch *w = vg_calloc(1, sizeof *w);
    if (!w) {
        vg_fim_baseline_free(base);
        return vg_err_set(err, VG_ENOMEM, "out of memory");
    }
    w->cfg = cfg;
    w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (w->fd < 0) {
        vg_fim_baseline_free(base);
        vg_free(w);
        return vg_err_set(err, VG_EIO, "inotify_init1: %s", strerror(errno));
    }
    int rc = 0;
    if (!base && (rc = vg_fim_scan(cfg, &base, err))) {
        vg_fim_watch_free(w);
        return rc;
    }
    w->held = base;
    watch_all(w);
    *out = w;
    return 0;
}

void vg_fim_watch_free(struct vg_fim_watch *w)
{
    if (!w) return;
    if (w->fd >= 0) close(w->fd);
    for (size_t i = 0; i < w->nwds; i++) vg_free(w->wds[i].path);
    vg_free(w->wds);
    for (size_t i = 0; i < w->ndirty; i++) vg_free(w->dirty[i]);
    vg_fim_baseline_free(w->held);
    vg_free(w);
}

static void mark(struct vg_fim_watch *w, const char *path)
{
    if (!covered(w->cfg, path)) return;
    for (size_t i = 0; i < w->ndirty; i++)
        if (strcmp(w->dirty[i], path) == 0) return;
    if (w->ndirty >= MAX_DIRTY) {
        w->rescan = true;
        return;
    }
    char *p = vg_strdup(path);
    if (!p) {
        w->rescan = true;
        return;
    }
    w->dirty[w->ndirty++] = p;
}

/* Binary search in the held baseline; returns index or the insertion point (found=false). */
static size_t find(const struct vg_fim_baseline *b, const char *path, bool *found)
{
    size_t lo = 0, hi = b->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(b->e[mid].path, path);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    *found = false;
    return lo;
}

static int held_insert(struct vg_fim_baseline *b, size_t at, struct vg_fim_entry *e)
{
    if (b->n == b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 64;
        void *ne = vg_realloc(b->e, nc * sizeof *b->e);
        if (!ne) return VG_ENOMEM;
        b->e = ne;
        b->cap = nc;
    }
    memmove(&b->e[at + 1], &b->e[at], (b->n - at) * sizeof *b->e);
    b->e[at] = *e;
    b->n++;
    return 0;
}

struct tramp { vg_fim_change_fn fn; void *ud; int n; };

static int tramp_cb(void *u, const struct vg_fim_change *ch)
{
    struct tramp *t = u;
    t->n++;
    return t->fn ? t->fn(t->ud, ch) : 0;
}

static int full_rescan(struct vg_fim_watch *w, vg_fim_change_fn fn, void *ud, int *count)
{
    struct vg_fim_baseline *nb;
    int rc = vg_fim_scan(w->cfg, &nb, NULL);
    if (rc) return rc;
    struct tramp t = {fn, ud, 0};
    rc = vg_fim_diff(w->held, nb, tramp_cb, &t);
    *count += t.n;
    vg_fim_baseline_free(w->held);
    w->held = nb;
    w->rescans++;
    watch_all(w);
    return rc;
}

/* Re-stats one touched path against the held state. */
static int settle(struct vg_fim_watch *w, const char *path, vg_fim_change_fn fn, void *ud, int *count)
{
    bool found;
    size_t at = find(w->held, path, &found);
    struct vg_fim_entry e;
    int rc = vg_fim_stat(w->cfg, path, &e);
    if (rc && rc != VG_ENOENT) return rc == VG_ENOMEM ? rc : 0;
    if (rc == VG_ENOENT) {
        if (!found) return 0;
        /* deleted: the entry and, for a directory, everything below it */
        size_t l = strlen(path), end = at + 1;
        while (end < w->held->n && strncmp(w->held->e[end].path, path, l) == 0 && w->held->e[end].path[l] == '/') end++;
        for (size_t i = end; i-- > at;) {
            struct vg_fim_change ch = {"file_deleted", w->held->e[i].path, &w->held->e[i], NULL, 0};
            (*count)++;
            int r = fn ? fn(ud, &ch) : 0;
            if (r) return r;
        }
        for (size_t i = at; i < end; i++) vg_free(w->held->e[i].path);
        memmove(&w->held->e[at], &w->held->e[end], (w->held->n - end) * sizeof *w->held->e);
        w->held->n -= end - at;
        return 0;
    }
    if (!found) {
        struct vg_fim_change ch = {"file_created", e.path, NULL, &e, 0};
        (*count)++;
        int r = fn ? fn(ud, &ch) : 0;
        char type = e.type;
        if (held_insert(w->held, at, &e)) {
            vg_free(e.path);
            return VG_ENOMEM;
        }
        if (r) return r;
        if (type == 'd' && w->cfg->recursive) {
            /* a new directory: watch it, then report what is already inside */
            add_watch(w, path);
            struct vg_fim_config sub = *w->cfg;
            const char *one[1] = {path};
            sub.paths = one;
            sub.npaths = 1;
            struct vg_fim_baseline *nb;
            if (vg_fim_scan(&sub, &nb, NULL) == 0) {
                for (size_t i = 0; i < nb->n && !r; i++) {
                    if (strcmp(nb->e[i].path, path) == 0) continue;
                    r = settle(w, nb->e[i].path, fn, ud, count);
                }
                vg_fim_baseline_free(nb);
            }
        }
        return r;
    }
    struct vg_fim_entry *old = &w->held->e[at];
    unsigned what = vg_fim_compare(old, &e);
    int r = 0;
    if (what) {
        bool content = what & (VG_FIM_CH_CONTENT | VG_FIM_CH_SIZE | VG_FIM_CH_TYPE);
        struct vg_fim_change ch = {content ? "file_modified" : "file_attributes_changed", e.path, old, &e, what};
        (*count)++;
        r = fn ? fn(ud, &ch) : 0;
        if (e.type == 'd' && old->type != 'd') add_watch(w, path);
    }
    vg_free(old->path);
    *old = e;
    return r;
}

int vg_fim_watch_poll(struct vg_fim_watch *w, int timeout_ms, vg_fim_change_fn fn, void *ud)
{
    struct pollfd pf = {w->fd, POLLIN, 0};
    int pr = poll(&pf, 1, timeout_ms);
    if (pr < 0 && errno != EINTR) return VG_EIO;
    char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
    for (;;) {
        ssize_t r = read(w->fd, buf, sizeof buf);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        for (char *p = buf; p < buf + r;) {
            const struct inotify_event *ie = (const struct inotify_event *)(void *)p;
            p += sizeof *ie + ie->len;
            if (ie->mask & IN_Q_OVERFLOW) {
                w->rescan = true;
                continue;
            }
            const char *dir = NULL;
            for (size_t i = 0; i < w->nwds; i++)
                if (w->wds[i].wd == ie->wd) dir = w->wds[i].path;
            if (!dir) continue;
            if (ie->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) {
                char d[VG_FIM_MAX_PATH];
                snprintf(d, sizeof d, "%s", dir);
                if (ie->mask & IN_IGNORED) drop_wd(w, ie->wd);
                mark(w, d);
                continue;
            }
            char path[VG_FIM_MAX_PATH];
            if (ie->len && ie->name[0]) {
                if (snprintf(path, sizeof path, "%s%s%s", dir, strcmp(dir, "/") == 0 ? "" : "/", ie->name) >=
                    (int)sizeof path)
                    continue;
            } else {
                snprintf(path, sizeof path, "%s", dir);
            }
            mark(w, path);
        }
    }
    int count = 0, rc = 0;
    if (w->rescan) {
        w->rescan = false;
        rc = full_rescan(w, fn, ud, &count);
    } else {
        for (size_t i = 0; i < w->ndirty && !rc; i++) rc = settle(w, w->dirty[i], fn, ud, &count);
    }
    for (size_t i = 0; i < w->ndirty; i++) vg_free(w->dirty[i]);
    w->ndirty = 0;
    return rc ? rc : count;
}
