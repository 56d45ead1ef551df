/* Private helpers of the inventory collectors (src/posture/inventory/):
 * arena strings with a sticky OOM flag, bounded file reads under the root
 * prefix, growable arrays with the per-category cap, issue counting. */
#ifndef VG_POSTURE_INVENTORY_INTERNAL_H
#define VG_POSTURE_INVENTORY_INTERNAL_H

#include "vigil/inventory.h"

/* Copies s[0..n) into the snapshot arena; "" (and s->oom set) on failure. */
const char *vg__inv_strn(struct vg_inv_snapshot *s, const char *p, size_t n);
const char *vg__inv_str(struct vg_inv_snapshot *s, const char *p);
const char *vg__inv_strf(struct vg_inv_snapshot *s, const char *fmt, ...) VG_PRINTF(2, 3);
/* Records one malformed input (counted always, message kept for the first few). */
void vg__inv_issue(struct vg_inv_snapshot *s, const char *fmt, ...) VG_PRINTF(2, 3);
/* Appends a zeroed element to a growable array; NULL at the cap or OOM
 * (both recorded in s). */
void *vg__inv_push(struct vg_inv_snapshot *s, void **arr, size_t *n, size_t *cap, size_t elsz);
#define VG__INV_PUSH(s, f) \
    ((__typeof__((s)->f))vg__inv_push((s), (void **)&(s)->f, &(s)->n##f, &(s)->cap_##f, sizeof *(s)->f))
/* root + rel ("/etc/passwd") into buf; NULL when too long. */
const char *vg__inv_path(const struct vg_inv_snapshot *s, const char *rel, char *buf, size_t bufsz);
/* Reads an absolute path (not re-rooted), at most cap bytes (VG_ETOOBIG
 * beyond). *out is vg_malloc'd and NUL-terminated. VG_ENOENT / VG_EIO. */
int vg__inv_read_abs(const char *path, size_t cap, char **out, size_t *len);
/* Same under the root prefix. */
int vg__inv_read(const struct vg_inv_snapshot *s, const char *rel, size_t cap, char **out, size_t *len);
/* Next line of [*p, end): sets line/len (without the newline), advances *p.
 * false at the end. */
bool vg__inv_next_line(const char **p, const char *end, const char **line, size_t *len);
/* Runs a program (absolute path) with a timeout, capturing at most cap bytes
 * of stdout. Only for the live root. */
int vg__inv_exec(const char *const *argv, int timeout_ms, size_t cap, char **out, size_t *len);
int vg__inv_cmp_str(const void *a, const void *b);

#endif
