/* File integrity monitoring (posture layer, issue 5 item 6): a baseline of
 * configured paths (SHA-256, mode, owner, size, mtime), a full-scan diff
 * against it, a compact baseline file, and an inotify watcher that turns
 * changes into events with before and after values.
 *
 * Ownership: a baseline owns its entries and path strings (vg_fim_baseline
 * _free). Changes handed to callbacks point into baselines that live only
 * for the call. Symlinks are recorded, never followed (no loops). */
#ifndef VIGIL_FIM_H
#define VIGIL_FIM_H

#include "vigil/core.h"
#include "vigil/event.h"

#define VG_FIM_MAX_DEPTH   64
#define VG_FIM_MAX_ENTRIES 1000000
#define VG_FIM_MAX_PATH    4096

struct vg_fim_config {
    const char *const *paths;     /* files or directories */
    size_t npaths;
    const char *const *ignore;    /* fnmatch globs on the full path and on the base name */
    size_t nignore;
    bool recursive;               /* descend into directories (default true) */
    uint64_t max_hash_size;       /* files larger are not hashed (0 = 64 MiB) */
    size_t max_entries;           /* 0 = VG_FIM_MAX_ENTRIES */
};

struct vg_fim_entry {
    char *path;
    char type;                    /* 'f' file, 'd' directory, 'l' symlink, 'o' other */
    uint32_t mode;                /* permission bits and setuid/setgid/sticky (07777) */
    uint32_t uid, gid;
    uint64_t size;
    int64_t mtime_ns;
    bool hashed;                  /* sha256 valid (regular file within max size, or symlink target) */
    uint8_t sha256[32];
};

struct vg_fim_baseline {
    struct vg_fim_entry *e;       /* sorted by path */
    size_t n, cap;
    size_t errors;                /* paths that could not be read while scanning */
    bool truncated;               /* max_entries reached */
};

/* What changed between two entries. */
#define VG_FIM_CH_CONTENT 0x01u
#define VG_FIM_CH_MODE    0x02u
#define VG_FIM_CH_OWNER   0x04u
#define VG_FIM_CH_SIZE    0x08u
#define VG_FIM_CH_MTIME   0x10u
#define VG_FIM_CH_TYPE    0x20u

struct vg_fim_change {
    const char *action;                 /* file_created, file_deleted, file_modified, file_attributes_changed */
    const char *path;
    const struct vg_fim_entry *before;  /* NULL for created */
    const struct vg_fim_entry *after;   /* NULL for deleted */
    unsigned what;                      /* VG_FIM_CH_* */
};
typedef int (*vg_fim_change_fn)(void *ud, const struct vg_fim_change *c);

void vg_fim_baseline_free(struct vg_fim_baseline *b);

/* Scans the configured paths into a new baseline. A configured path that
 * does not exist is simply absent. Returns 0, VG_ENOMEM, VG_EINVAL. */
int vg_fim_scan(const struct vg_fim_config *cfg, struct vg_fim_baseline **out, struct vg_err *err);
/* Stats (and hashes) one path into e (e->path is vg_strdup'd). VG_ENOENT when
 * it does not exist. */
int vg_fim_stat(const struct vg_fim_config *cfg, const char *path, struct vg_fim_entry *e);
bool vg_fim_ignored(const struct vg_fim_config *cfg, const char *path);

/* Calls fn for each difference between old and cur, in path order. Stops at
 * the callback's first non-zero return and returns it. */
int vg_fim_diff(const struct vg_fim_baseline *old, const struct vg_fim_baseline *cur, vg_fim_change_fn fn, void *ud);
/* The VG_FIM_CH_* bits between two entries of the same path. */
unsigned vg_fim_compare(const struct vg_fim_entry *a, const struct vg_fim_entry *b);

/* Baseline file: "vigil-fim 1\n" then one line per entry, tab-separated:
 * escaped path, type, octal mode, uid, gid, size, mtime_ns, sha256 hex or
 * "-". Saving writes path.tmp then renames. Loading validates every line
 * (VG_EPARSE with the line number in err). */
int vg_fim_baseline_save(const struct vg_fim_baseline *b, const char *path, struct vg_err *err);
int vg_fim_baseline_load(const char *path, struct vg_fim_baseline **out, struct vg_err *err);
int vg_fim_baseline_load_mem(const char *data, size_t n, struct vg_fim_baseline **out, struct vg_err *err);

/* Event for a change: event.kind=event, event.module=fim, event.category=
 * file, event.type, event.action, file.path/name/directory, file.type, and
 * the current (after, or before for deletions) file.hash.sha256, file.mode,
 * file.uid/gid/owner/group, file.size, file.mtime, plus every value as
 * vigil.fim.before.* and vigil.fim.after.* and the list vigil.fim.changed.
 * raw = the same as JSON. ev must be initialised on an arena. */
int vg_fim_change_to_event(const struct vg_fim_change *c, const char *host, int64_t ts, struct vg_event *ev);
int vg_fim_change_json(const struct vg_fim_change *c, const char *host, struct vg_buf *out);

/* ---- inotify watcher ---- */
struct vg_fim_watch;
/* Starts watching the configured paths, holding base (taken over: freed by
 * vg_fim_watch_free) as the current state; a NULL base is scanned first.
 * Directories are watched recursively (when cfg->recursive), files via
 * their parent directory. cfg must outlive the watcher. */
int vg_fim_watch_open(const struct vg_fim_config *cfg, struct vg_fim_baseline *base, struct vg_fim_watch **out,
                      struct vg_err *err);
/* Waits up to timeout_ms for inotify events, then re-stats every touched
 * path and calls fn with the change against the held state (which is then
 * updated). A queue overflow triggers a full rescan and diff. Returns the
 * number of changes reported, or a negative VG_E* code. */
int vg_fim_watch_poll(struct vg_fim_watch *w, int timeout_ms, vg_fim_change_fn fn, void *ud);
/* The file descriptor to poll for readability (for event loops). */
int vg_fim_watch_fd(const struct vg_fim_watch *w);
/* The held state (valid until the next poll). */
const struct vg_fim_baseline *vg_fim_watch_state(const struct vg_fim_watch *w);
size_t vg_fim_watch_rescans(const struct vg_fim_watch *w);
void vg_fim_watch_free(struct vg_fim_watch *w);

#endif
