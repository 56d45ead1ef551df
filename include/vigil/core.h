/* Core utilities of libvigil: allocation hooks, error codes, capped buffers,
 * arenas, logging and time helpers. Every other module builds on this header.
 *
 * Conventions (see docs/architecture.md): functions return 0 or a negative
 * VG_E* code; human detail goes into an optional struct vg_err. All memory
 * goes through vg_malloc/vg_realloc/vg_free so tests can fail allocations. */
#ifndef VIGIL_CORE_H
#define VIGIL_CORE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define VIGIL_VERSION "0.1.0"

#if defined(__GNUC__)
#define VG_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define VG_LIKELY(x) __builtin_expect(!!(x), 1)
#define VG_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define VG_PRINTF(a, b)
#define VG_LIKELY(x) (x)
#define VG_UNLIKELY(x) (x)
#endif

#define VG_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- errors ---------------------------------------------------------- */
enum vg_errcode {
#define X(name, val, msg) name = val,
#include "vigil/err.def"
#undef X
};

/* Returns a static message for a VG_E* code (or "unknown error"). */
const char *vg_strerror(int code);

/* Optional error detail: a code plus a formatted message and, for parsers,
 * a position. Caller-allocated; VG_ERR_INIT zeroes it. */
struct vg_err {
    int code;        /* last VG_E* code set */
    int line, col;   /* 1-based position in the input, 0 when unknown */
    char msg[512];   /* human-readable detail, always NUL-terminated */
};
#define VG_ERR_INIT {0, 0, 0, {0}}

/* Sets err (if non-NULL) and returns code, so callers can `return vg_err_set(...)`. */
int vg_err_set(struct vg_err *err, int code, const char *fmt, ...) VG_PRINTF(3, 4);

/* ---- allocation ------------------------------------------------------ */
void *vg_malloc(size_t n);
void *vg_calloc(size_t n, size_t size);
void *vg_realloc(void *p, size_t n);
void vg_free(void *p);
char *vg_strdup(const char *s);
char *vg_strndup(const char *s, size_t n);
/* Test hook: make the Nth allocation from now fail (0 disables). */
void vg_alloc_fail_after(long n);

/* ---- arena ----------------------------------------------------------- */
/* A bump allocator owning many small allocations that are freed together.
 * Invariant: chunks form a singly linked list, newest first. */
struct vg_arena_chunk;
struct vg_arena {
    struct vg_arena_chunk *head; /* newest chunk */
    size_t chunk_size;           /* default size for new chunks */
    size_t total;                /* bytes handed out */
    size_t cap;                  /* hard cap on total (0 = unlimited) */
};
#define VG_ARENA_INIT {NULL, 16384, 0, 0}
void vg_arena_init(struct vg_arena *a, size_t chunk_size);
void *vg_arena_alloc(struct vg_arena *a, size_t n);   /* 16-byte aligned; NULL on failure/cap */
char *vg_arena_strndup(struct vg_arena *a, const char *s, size_t n);
/* Frees all chunks but the first (kept for reuse) and resets the arena. */
void vg_arena_reset(struct vg_arena *a);
void vg_arena_release(struct vg_arena *a);

/* ---- capped growable buffer ------------------------------------------ */
/* Invariant: data is NUL-terminated when data != NULL; len <= cap_limit. */
struct vg_buf {
    char *data;
    size_t len;
    size_t alloc;
    size_t cap_limit; /* hard cap in bytes; 0 means 64 MiB */
};
#define VG_BUF_INIT {NULL, 0, 0, 0}
int vg_buf_reserve(struct vg_buf *b, size_t extra);
int vg_buf_add(struct vg_buf *b, const void *p, size_t n);
int vg_buf_addc(struct vg_buf *b, char c);
int vg_buf_adds(struct vg_buf *b, const char *s);
int vg_buf_addf(struct vg_buf *b, const char *fmt, ...) VG_PRINTF(2, 3);
int vg_buf_vaddf(struct vg_buf *b, const char *fmt, va_list ap);
/* Appends s as a JSON string literal (quotes included), escaping as needed;
 * invalid UTF-8 bytes become \ufffd. */
int vg_buf_add_json_str(struct vg_buf *b, const char *s, size_t n);
void vg_buf_reset(struct vg_buf *b);
void vg_buf_release(struct vg_buf *b);
/* Hands the memory to the caller (who vg_free()s it) and resets b. */
char *vg_buf_detach(struct vg_buf *b, size_t *len);

/* ---- logging --------------------------------------------------------- */
enum vg_log_level { VG_LOG_DEBUG, VG_LOG_INFO, VG_LOG_WARN, VG_LOG_ERROR };
void vg_log_set_level(enum vg_log_level lvl);
void vg_log(enum vg_log_level lvl, const char *module, const char *fmt, ...) VG_PRINTF(3, 4);
#define vg_debug(mod, ...) vg_log(VG_LOG_DEBUG, mod, __VA_ARGS__)
#define vg_info(mod, ...) vg_log(VG_LOG_INFO, mod, __VA_ARGS__)
#define vg_warn(mod, ...) vg_log(VG_LOG_WARN, mod, __VA_ARGS__)
#define vg_error(mod, ...) vg_log(VG_LOG_ERROR, mod, __VA_ARGS__)

/* ---- time ------------------------------------------------------------ */
int64_t vg_now_ns(void);       /* wall clock, UTC nanoseconds since epoch */
int64_t vg_mono_ns(void);      /* monotonic clock */
/* Days-from-civil conversion (proleptic Gregorian), no libc time zone use. */
int64_t vg_time_from_civil(int y, int mon, int d, int h, int mi, int s);
/* Parses RFC 3339 / ISO 8601 ("2024-01-02T03:04:05.123Z", "+02:00", space
 * instead of T, missing zone = UTC). Returns 0 and sets *ns, or VG_EPARSE. */
int vg_time_parse_iso(const char *s, size_t n, int64_t *ns);
/* Formats ns as "YYYY-MM-DDTHH:MM:SS.mmmmmmmmmZ"-style RFC 3339 (buf >= 40). */
size_t vg_time_format(int64_t ns, char *buf, size_t bufsz, int frac_digits);
/* Parses a duration like "90s", "15m", "1h", "7d", "2w" into ns. */
int vg_duration_parse(const char *s, int64_t *ns);
/* Calendar fields of a UTC time. */
struct vg_tm { int year, mon, day, hour, min, sec, wday, yday; };
void vg_time_to_tm(int64_t ns, struct vg_tm *tm);

/* ---- small string helpers ------------------------------------------- */
/* Parses a decimal integer from [s, s+n); VG_EPARSE on junk or overflow. */
int vg_parse_i64(const char *s, size_t n, int64_t *out);
int vg_parse_u64(const char *s, size_t n, uint64_t *out);
bool vg_utf8_valid(const char *s, size_t n);
/* Case-insensitive ASCII compare of n bytes. */
int vg_strncasecmp_ascii(const char *a, const char *b, size_t n);
/* Lowercase hex of n bytes into out (2n+1 bytes). */
void vg_hex(const uint8_t *in, size_t n, char *out);
/* Recognises a parser diagnostic of the form "<name>:LINE:COL: error: MSG"
 * (libfyaml's, for example) in buf: copies MSG (without trailing newlines)
 * into msg and sets *line and *col (0 when absent or out of range).
 * Returns false, leaving the outputs alone, when buf is no such error. */
bool vg_diag_parse_error(const char *buf, size_t len, char *msg, size_t msgsz, int *line, int *col);

#include "vigil/safe.h"

#endif
