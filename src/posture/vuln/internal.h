/* Private interface of the advisory database (src/posture/vuln/): the db
 * layout, the add/sort helpers the importers share, and a small pull JSON
 * scanner used for the Debian security tracker file, which is too large
 * (tens of MB) to load as a jansson tree. */
#ifndef VG_POSTURE_VULN_INTERNAL_H
#define VG_POSTURE_VULN_INTERNAL_H

#include "vigil/vuln.h"

struct vg_vuln_db {
    char release[40];          /* codename, or the number when the codename is unknown */
    int relnum;                /* Debian version number, 0 when unknown (sid) */
    struct vg_advisory *a;     /* sorted by (source, cve, origin, load order) after each load */
    size_t n, cap;
    uint32_t next_seq;
    struct vg_arena arena;     /* every string */
};

/* Copies tmpl's strings into the db and appends it; counts it in rep->kept.
 * VG_ENOMEM / VG_ETOOBIG. */
int vg__vuln_add(struct vg_vuln_db *db, const struct vg_advisory *tmpl, struct vg_vuln_load_report *rep);
/* Restores canonical order after appending. */
void vg__vuln_sort(struct vg_vuln_db *db);
/* Counts an invalid entry and keeps its reason if there is room. */
void vg__vuln_invalid(struct vg_vuln_load_report *rep, const char *fmt, ...) VG_PRINTF(2, 3);
bool vg__vuln_valid_source(const char *s);
/* Advisory ids: 1..96 bytes of [A-Za-z0-9._:+-]. */
bool vg__vuln_valid_id(const char *s);
/* Release number of a codename, 0 when unknown. */
int vg__vuln_relnum(const char *codename);

/* ---- pull JSON scanner ------------------------------------------------- */

enum vg__jtok {
    VG__J_EOF = 0, VG__J_OBJ, VG__J_OBJ_END, VG__J_ARR, VG__J_ARR_END, VG__J_COLON, VG__J_COMMA,
    VG__J_STR, VG__J_NUM, VG__J_TRUE, VG__J_FALSE, VG__J_NULL,
};

struct vg__jscan {
    const char *base, *p, *end;
    const char *name;          /* labels errors */
    struct vg_buf s;           /* decoded value of the last string token */
    struct vg_err *err;
};

void vg__js_init(struct vg__jscan *js, const char *data, size_t n, const char *name, struct vg_err *err);
void vg__js_release(struct vg__jscan *js);
/* Next token (>= 0) or VG_EPARSE/VG_ENOMEM with err set to "name:line:col: why". */
int vg__js_next(struct vg__jscan *js);
/* Inside an object just opened: returns 1 with the key in js->s and the ':'
 * consumed, 0 at the closing '}', or an error. *first tracks the comma. */
int vg__js_key(struct vg__jscan *js, bool *first);
/* Inside an array just opened: returns the next element's first token, 0
 * (VG__J_EOF) at the closing ']', or an error. */
int vg__js_elem(struct vg__jscan *js, bool *first);
/* Skips (and validates) a value whose first token is tok. */
int vg__js_skip(struct vg__jscan *js, int tok, int depth);
/* Fails unless only white space is left. */
int vg__js_end(struct vg__jscan *js);
/* Sets err to "name:line:col: why" at the scanner's position. */
int vg__js_fail(struct vg__jscan *js, const char *fmt, ...) VG_PRINTF(2, 3);

#endif
