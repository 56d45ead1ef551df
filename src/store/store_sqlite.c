/* SQLite backend of the store ops table (include/vigil/store.h). One
 * database file DIR/vigil.db in WAL mode; events live in per-UTC-day
 * partitions, each a set of tables: p<day>_blk (compressed blocks of up to
 * 2048 events with tenant, time range, count and a bloom filter),
 * p<day>_ids (64-bit time-ordered id key -> rest of id, block) for
 * idempotent inserts and p<day>_idc (full ids whose key collided).
 * Searches compile the query AST to parameterised SQL over the blocks of
 * the partitions in range, evaluated per event by the functions of
 * sqlfn.c. Tokens are in tokens.c; the on-disk format is described in
 * docs/internals/store.md. */
#include "internal.h"
#include <errno.h>
#include <pthread.h>
#include <sys/stat.h>

#define DAY_NS 86400000000000LL
#define MAX_DAY (INT64_MAX / DAY_NS) /* 2262-04-11: int64 ns ends there */
#define PART_CACHE 8
#define BUSY_TIMEOUT_MS 10000

/* ---- SQLite memory through vg_malloc (so fault injection reaches it) ---- */
#define HDR 16
static void *sq_malloc(int n)
{
    char *p = vg_malloc((size_t)n + HDR);
    if (!p) return NULL;
    memcpy(p, &n, sizeof n);
    return p + HDR;
}
static void sq_free(void *p)
{
    if (p) vg_free((char *)p - HDR);
}
static void *sq_realloc(void *p, int n)
{
    if (!p) return sq_malloc(n);
    char *q = vg_realloc((char *)p - HDR, (size_t)n + HDR);
    if (!q) return NULL;
    memcpy(q, &n, sizeof n);
    return q + HDR;
}
static int sq_size(void *p)
{
    int n = 0;
    if (p) memcpy(&n, (char *)p - HDR, sizeof n);
    return n;
}
static int sq_roundup(int n) { return (n + 7) & ~7; }
static int sq_init(void *x) { (void)x; return SQLITE_OK; }
static void sq_shutdown(void *x) { (void)x; }
static const sqlite3_mem_methods sq_mem = {sq_malloc, sq_free, sq_realloc, sq_size, sq_roundup, sq_init, sq_shutdown, NULL};
static pthread_once_t sq_once = PTHREAD_ONCE_INIT;
static void sq_configure(void)
{
    sqlite3_config(SQLITE_CONFIG_MALLOC, &sq_mem);
    sqlite3_initialize();
}

/* ---- partitions ------------------------------------------------------- */
struct vg__part {
    int64_t day;
    char name[24];                /* "p19723" (digits only: safe in SQL text) */
    sqlite3_stmt *ins_id, *get_r, *ins_idc, *ins_blk, *max_blk;
    int64_t next_blk;
    uint64_t tx;                  /* transaction serial next_blk belongs to */
    struct vg__part *next;
};

static void part_free(struct vg__part *p)
{
    sqlite3_finalize(p->ins_id);
    sqlite3_finalize(p->get_r);
    sqlite3_finalize(p->ins_idc);
    sqlite3_finalize(p->ins_blk);
    sqlite3_finalize(p->max_blk);
    vg_free(p);
}

static void parts_clear(struct vg__sq *s)
{
    while (s->parts) {
        struct vg__part *n = s->parts->next;
        part_free(s->parts);
        s->parts = n;
    }
}

static int64_t day_of(int64_t ts)
{
    if (ts < 0) return 0;
    int64_t d = ts / DAY_NS;
    return d > MAX_DAY ? MAX_DAY : d;
}

static void part_name(int64_t day, char *buf, size_t n) { snprintf(buf, n, "p%lld", (long long)day); }

int vg__sq_err(struct vg__sq *s, int rc, struct vg_err *err, const char *what)
{
    int code = VG_EDB;
    if (rc == SQLITE_NOMEM) code = VG_ENOMEM;
    else if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) code = VG_EAGAIN;
    else if (rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB) code = VG_EFORMAT;
    else if (rc == SQLITE_READONLY || rc == SQLITE_PERM || rc == SQLITE_CANTOPEN) code = VG_EPERM;
    else if (rc == SQLITE_FULL || rc == SQLITE_IOERR) code = VG_EIO;
    return vg_err_set(err, code, "%s: %s", what, s && s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
}

int vg__sq_exec(struct vg__sq *s, const char *sql, struct vg_err *err)
{
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : vg__sq_err(s, rc, err, "sqlite");
}

static int prep(struct vg__sq *s, sqlite3_stmt **st, const char *sql, struct vg_err *err)
{
    int rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL);
    return rc == SQLITE_OK ? 0 : vg__sq_err(s, rc, err, "prepare");
}

/* Returns the cached partition, creating its tables when create is set
 * (inside the caller's transaction). *out NULL (rc 0) if absent. */
static int part_get(struct vg__sq *s, int64_t day, bool create, struct vg__part **out, struct vg_err *err)
{
    *out = NULL;
    struct vg__part **pp = &s->parts, *p;
    int n = 0;
    for (p = s->parts; p; pp = &p->next, p = p->next, n++) {
        if (p->day == day) {
            *pp = p->next; /* move to front */
            p->next = s->parts;
            s->parts = p;
            *out = p;
            return 0;
        }
    }
    char nm[24];
    part_name(day, nm, sizeof nm);
    int rc = 0;
    sqlite3_stmt *st = NULL;
    if ((rc = prep(s, &st, "SELECT 1 FROM partitions WHERE day = ?1", err))) return rc;
    sqlite3_bind_int64(st, 1, day);
    int step = sqlite3_step(st);
    sqlite3_finalize(st);
    if (step != SQLITE_ROW && step != SQLITE_DONE) return vg__sq_err(s, step, err, "partition catalog");
    if (step == SQLITE_DONE) {
        if (!create) return 0;
        char sql[1400];
        snprintf(sql, sizeof sql,
                 "CREATE TABLE IF NOT EXISTS \"%1$s_blk\"(id INTEGER PRIMARY KEY, tenant TEXT NOT NULL, "
                 "ts_min INTEGER NOT NULL, ts_max INTEGER NOT NULL, count INTEGER NOT NULL, "
                 "raw_bytes INTEGER NOT NULL, bloom BLOB, data BLOB NOT NULL);"
                 "CREATE INDEX IF NOT EXISTS \"%1$s_blk_tmax\" ON \"%1$s_blk\"(tenant, ts_max);"
                 "CREATE INDEX IF NOT EXISTS \"%1$s_blk_tmin\" ON \"%1$s_blk\"(tenant, ts_min);"
                 "CREATE TABLE IF NOT EXISTS \"%1$s_ids\"(k INTEGER PRIMARY KEY, r INTEGER NOT NULL, blk INTEGER NOT NULL);"
                 "CREATE TABLE IF NOT EXISTS \"%1$s_idc\"(id BLOB PRIMARY KEY, blk INTEGER NOT NULL) WITHOUT ROWID;",
                 nm);
        if ((rc = vg__sq_exec(s, sql, err))) return rc;
        if ((rc = prep(s, &st, "INSERT INTO partitions(day, ts_min, ts_max, created_ns) VALUES (?1, ?2, ?3, ?4)", err)))
            return rc;
        sqlite3_bind_int64(st, 1, day);
        sqlite3_bind_int64(st, 2, INT64_MAX);
        sqlite3_bind_int64(st, 3, INT64_MIN);
        sqlite3_bind_int64(st, 4, vg_now_ns());
        step = sqlite3_step(st);
        sqlite3_finalize(st);
        if (step != SQLITE_DONE) return vg__sq_err(s, step, err, "partition catalog");
    }
    if (n >= PART_CACHE) { /* evict the least recently used */
        struct vg__part **q = &s->parts;
        while ((*q)->next) q = &(*q)->next;
        part_free(*q);
        *q = NULL;
    }
    p = vg_calloc(1, sizeof *p);
    if (!p) return vg_err_set(err, VG_ENOMEM, "out of memory");
    p->day = day;
    memcpy(p->name, nm, sizeof nm);
    char sql[256];
#define PREP(field, fmt)                                    \
    snprintf(sql, sizeof sql, fmt, nm);                     \
    if ((rc = prep(s, &p->field, sql, err))) goto fail;
    PREP(ins_id, "INSERT OR IGNORE INTO \"%s_ids\"(k, r, blk) VALUES (?1, ?2, ?3)")
    PREP(get_r, "SELECT r FROM \"%s_ids\" WHERE k = ?1")
    PREP(ins_idc, "INSERT OR IGNORE INTO \"%s_idc\"(id, blk) VALUES (?1, ?2)")
    PREP(ins_blk, "INSERT INTO \"%s_blk\"(id, tenant, ts_min, ts_max, count, raw_bytes, bloom, data) "
                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")
    PREP(max_blk, "SELECT coalesce(max(id), 0) + 1 FROM \"%s_blk\"")
#undef PREP
    p->next = s->parts;
    s->parts = p;
    *out = p;
    return 0;
fail:
    part_free(p);
    return rc;
}

/* ---- open / migrate / close ------------------------------------------ */
static int mkdirs(const char *dir, struct vg_err *err)
{
    char tmp[4096];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof tmp) return vg_err_set(err, VG_EINVAL, "bad data directory path");
    memcpy(tmp, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (tmp[i] != '/' && tmp[i] != 0) continue;
        char c = tmp[i];
        tmp[i] = 0;
        if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
            return vg_err_set(err, VG_EIO, "cannot create directory %s: %s", tmp, strerror(errno));
        tmp[i] = c;
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) return vg_err_set(err, VG_EINVAL, "%s is not a directory", dir);
    return 0;
}

static int migrate(struct vg__sq *s, struct vg_err *err)
{
    size_t nm;
    const struct vg__migration *m = vg__store_migrations(&nm);
    int latest = m[nm - 1].version;
    int rc = vg__sq_exec(s, "BEGIN IMMEDIATE", err);
    if (rc) return rc;
    rc = vg__sq_exec(s,
                     "CREATE TABLE IF NOT EXISTS schema_version(version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                     "applied_ns INTEGER NOT NULL)",
                     err);
    if (rc) goto out;
    sqlite3_stmt *st = NULL;
    if ((rc = prep(s, &st, "SELECT coalesce(max(version), 0) FROM schema_version", err))) goto out;
    int step = sqlite3_step(st);
    int cur = step == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_finalize(st);
    if (cur < 0) { rc = vg__sq_err(s, step, err, "schema_version"); goto out; }
    if (cur > latest) {
        rc = vg_err_set(err, VG_ESTATE,
                        "database %s has schema version %d but this vigil only knows up to %d; use a newer vigil",
                        s->path, cur, latest);
        goto out;
    }
    for (size_t i = 0; i < nm; i++) {
        if (m[i].version <= cur) continue;
        char *msg = NULL;
        int src = sqlite3_exec(s->db, m[i].sql, NULL, NULL, &msg);
        if (src != SQLITE_OK) {
            rc = vg_err_set(err, src == SQLITE_NOMEM ? VG_ENOMEM : VG_EDB, "migration %03d_%s failed: %s", m[i].version,
                            m[i].name, msg ? msg : sqlite3_errstr(src));
            sqlite3_free(msg);
            goto out;
        }
        if ((rc = prep(s, &st, "INSERT INTO schema_version(version, name, applied_ns) VALUES (?1, ?2, ?3)", err))) goto out;
        sqlite3_bind_int(st, 1, m[i].version);
        sqlite3_bind_text(st, 2, m[i].name, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, vg_now_ns());
        step = sqlite3_step(st);
        sqlite3_finalize(st);
        if (step != SQLITE_DONE) { rc = vg__sq_err(s, step, err, "schema_version"); goto out; }
    }
    rc = vg__sq_exec(s, "COMMIT", err);
out:
    if (rc) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

static void close_(struct vg_store *base)
{
    struct vg__sq *s = (struct vg__sq *)base;
    if (!s) return;
    parts_clear(s);
    sqlite3_finalize(s->st_begin);
    sqlite3_finalize(s->st_commit);
    sqlite3_finalize(s->st_rollback);
    sqlite3_finalize(s->st_upd_part);
    if (s->db) sqlite3_close_v2(s->db);
    vg__blk_builder_free(s->bld);
    if (s->cctx) ZSTD_freeCCtx(s->cctx);
    vg_free(s->path);
    vg_free(s->dir);
    vg_free(s);
}

extern const struct vg_store_ops vg_store_sqlite_ops;

static int open_(struct vg_store **out, const char *location, struct vg_err *err)
{
    *out = NULL;
    pthread_once(&sq_once, sq_configure);
    if (!location || !*location) return vg_err_set(err, VG_EINVAL, "no store location given");
    bool is_file = false;
    if (strncmp(location, "sqlite:", 7) == 0) {
        location += 7;
        struct stat st;
        is_file = !(stat(location, &st) == 0 && S_ISDIR(st.st_mode));
    }
    if (!*location) return vg_err_set(err, VG_EINVAL, "no store location given");
    int rc = 0;
    struct vg__sq *s = vg_calloc(1, sizeof *s);
    if (!s) return vg_err_set(err, VG_ENOMEM, "out of memory");
    s->base.ops = &vg_store_sqlite_ops;
    if (is_file) {
        s->path = vg_strdup(location);
    } else {
        if ((rc = mkdirs(location, err))) goto fail;
        s->dir = vg_strdup(location);
        struct vg_buf b = VG_BUF_INIT;
        if (vg_buf_addf(&b, "%s/vigil.db", location) == 0) s->path = vg_buf_detach(&b, NULL);
        vg_buf_release(&b);
    }
    if (!s->path || (!is_file && !s->dir)) { rc = vg_err_set(err, VG_ENOMEM, "out of memory"); goto fail; }
    int src = sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (src != SQLITE_OK) { rc = vg__sq_err(s, src, err, "cannot open database"); goto fail; }
    sqlite3_extended_result_codes(s->db, 0);
    sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
    /* FULL: a commit is on disk (WAL fsynced) before put_events returns, so
     * acknowledged events survive power loss, not only kill -9. At the
     * pipeline's transaction sizes the fsync costs nothing measurable
     * (docs/internals/store.md); VIGIL_SQLITE_SYNC=normal|off relaxes it. */
    const char *sync = getenv("VIGIL_SQLITE_SYNC");
    char pragmas[512];
    snprintf(pragmas, sizeof pragmas,
             "PRAGMA auto_vacuum = INCREMENTAL; PRAGMA journal_mode = WAL; PRAGMA synchronous = %s;"
             "PRAGMA foreign_keys = ON; PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY;"
             "PRAGMA wal_autocheckpoint = 4096; PRAGMA journal_size_limit = 134217728;",
             sync && strcmp(sync, "normal") == 0 ? "NORMAL" : sync && strcmp(sync, "off") == 0 ? "OFF" : "FULL");
    /* journal_mode returns a row; exec handles that */
    if ((rc = vg__sq_exec(s, pragmas, err))) {
        if (err && strstr(err->msg, "not a database")) err->code = rc = VG_EFORMAT;
        goto fail;
    }
    if ((src = vg__sqlfn_register(s->db)) != SQLITE_OK) { rc = vg__sq_err(s, src, err, "register functions"); goto fail; }
    if ((rc = migrate(s, err))) goto fail;
    if ((rc = prep(s, &s->st_begin, "BEGIN IMMEDIATE", err)) || (rc = prep(s, &s->st_commit, "COMMIT", err)) ||
        (rc = prep(s, &s->st_rollback, "ROLLBACK", err)) ||
        (rc = prep(s, &s->st_upd_part,
                   "UPDATE partitions SET events = events + ?2, blocks = blocks + ?3, ts_min = min(ts_min, ?4), "
                   "ts_max = max(ts_max, ?5) WHERE day = ?1",
                   err)))
        goto fail;
    s->zlevel = 1;
    *out = &s->base;
    return 0;
fail:
    close_(&s->base);
    return rc ? rc : vg_err_set(err, VG_EDB, "cannot open store");
}

/* ---- put_events -------------------------------------------------------- */
struct ord {
    int64_t day;
    const char *tenant;
    uint32_t i;
};

static int ord_cmp(const void *a, const void *b)
{
    const struct ord *x = a, *y = b;
    if (x->day != y->day) return x->day < y->day ? -1 : 1;
    if (x->tenant != y->tenant) {
        int c = strcmp(x->tenant, y->tenant);
        if (c) return c;
    }
    return x->i < y->i ? -1 : x->i > y->i;
}

static int step_done(struct vg__sq *s, sqlite3_stmt *st, struct vg_err *err, const char *what)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : vg__sq_err(s, rc, err, what);
}

/* Time-ordered 63-bit key: millisecond of the day (27 bits) then the first
 * 36 bits of the id, so inserts land near the right edge of the b-tree. */
static int64_t id_key(const struct vg_event *ev, int64_t day)
{
    int64_t ms = (ev->ts - day * DAY_NS) / 1000000;
    if (ms < 0) ms = 0;
    if (ms > (1 << 27) - 1) ms = (1 << 27) - 1;
    const uint8_t *id = ev->id;
    uint64_t pre = ((uint64_t)id[0] << 28) | ((uint64_t)id[1] << 20) | ((uint64_t)id[2] << 12) | ((uint64_t)id[3] << 4) |
                   (id[4] >> 4);
    return (int64_t)(((uint64_t)ms << 36) | pre);
}

static int64_t id_rest(const uint8_t *id)
{
    uint64_t v = 0;
    for (int i = 8; i < 16; i++) v = (v << 8) | id[i];
    return (int64_t)v;
}

static int flush_block(struct vg__sq *s, struct vg__part *p, const char *tenant, int64_t *ts_lo, int64_t *ts_hi,
                       size_t *nblocks, struct vg_err *err)
{
    if (vg__blk_count(s->bld) == 0) return 0;
    const uint8_t *data, *bloom;
    size_t dlen, blen, raw_bytes;
    int64_t tmin, tmax;
    int rc = vg__blk_finish(s->bld, s->cctx, s->zlevel, &data, &dlen, &bloom, &blen, &tmin, &tmax, &raw_bytes);
    if (rc) return vg_err_set(err, rc, "cannot encode block: %s", vg_strerror(rc));
    sqlite3_stmt *st = p->ins_blk;
    sqlite3_bind_int64(st, 1, p->next_blk);
    sqlite3_bind_text(st, 2, tenant, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, tmin);
    sqlite3_bind_int64(st, 4, tmax);
    sqlite3_bind_int64(st, 5, vg__blk_count(s->bld));
    sqlite3_bind_int64(st, 6, (int64_t)raw_bytes);
    sqlite3_bind_blob(st, 7, bloom, (int)blen, SQLITE_STATIC);
    sqlite3_bind_blob(st, 8, data, (int)dlen, SQLITE_STATIC);
    rc = step_done(s, st, err, "insert block");
    sqlite3_clear_bindings(st);
    if (rc) return rc;
    if (tmin < *ts_lo) *ts_lo = tmin;
    if (tmax > *ts_hi) *ts_hi = tmax;
    (*nblocks)++;
    p->next_blk++;
    vg__blk_builder_reset(s->bld);
    return 0;
}

/* Is this event new? Inserts its id keys when it is. */
static int claim_id(struct vg__sq *s, struct vg__part *p, const struct vg_event *ev, bool *fresh, struct vg_err *err)
{
    int64_t k = id_key(ev, p->day), r = id_rest(ev->id);
    sqlite3_stmt *st = p->ins_id;
    sqlite3_bind_int64(st, 1, k);
    sqlite3_bind_int64(st, 2, r);
    sqlite3_bind_int64(st, 3, p->next_blk);
    int rc = step_done(s, st, err, "insert id");
    if (rc) return rc;
    if (sqlite3_changes(s->db) == 1) { *fresh = true; return 0; }
    /* key taken: the same event, or a different one sharing 63 bits */
    st = p->get_r;
    sqlite3_bind_int64(st, 1, k);
    int step = sqlite3_step(st);
    int64_t have = step == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    if (step != SQLITE_ROW) return vg__sq_err(s, step, err, "lookup id");
    if (have == r) { *fresh = false; return 0; }
    st = p->ins_idc;
    sqlite3_bind_blob(st, 1, ev->id, 16, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, p->next_blk);
    rc = step_done(s, st, err, "insert id (collision)");
    if (rc) return rc;
    *fresh = sqlite3_changes(s->db) == 1;
    return 0;
}

static int validate(const struct vg_event *const *ev, size_t n, struct vg_err *err)
{
    for (size_t i = 0; i < n; i++) {
        const struct vg_event *e = ev[i];
        if (!e) return vg_err_set(err, VG_EINVAL, "event %zu is NULL", i);
        const char *t = e->tenant ? e->tenant : "default";
        size_t tl = strnlen(t, VG__TENANT_MAX + 1);
        if (tl == 0 || tl > VG__TENANT_MAX) return vg_err_set(err, VG_EINVAL, "event %zu: tenant id empty or longer than 63 bytes", i);
        if (e->raw_len > VG__EV_MAX_RAW) return vg_err_set(err, VG_ETOOBIG, "event %zu: raw text over 16 MiB", i);
        if (e->nfields > 4096) return vg_err_set(err, VG_ETOOBIG, "event %zu: more than 4096 fields", i);
        if ((e->host && strnlen(e->host, VG__EV_MAX_STR + 1) > VG__EV_MAX_STR) ||
            (e->collector && strnlen(e->collector, VG__EV_MAX_STR + 1) > VG__EV_MAX_STR) ||
            (e->format && strnlen(e->format, VG__EV_MAX_STR + 1) > VG__EV_MAX_STR))
            return vg_err_set(err, VG_ETOOBIG, "event %zu: host, collector or format longer than 4096 bytes", i);
        for (uint32_t k = 0; k < e->nfields; k++)
            if (!vg_fid_name(e->fields[k].name, NULL)) return vg_err_set(err, VG_EINVAL, "event %zu: unknown field id", i);
    }
    return 0;
}

static int put_once(struct vg__sq *s, const struct vg_event *const *ev, size_t n, struct ord *ord, size_t *stored,
                    size_t *dups, int *sqlite_rc, struct vg_err *err)
{
    int rc = 0;
    *sqlite_rc = SQLITE_OK;
    int step = sqlite3_step(s->st_begin);
    sqlite3_reset(s->st_begin);
    if (step != SQLITE_DONE) { *sqlite_rc = step; return vg__sq_err(s, step, err, "begin"); }
    uint64_t tx = ++s->tx_serial;
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && ord[j].day == ord[i].day && strcmp(ord[j].tenant, ord[i].tenant) == 0) j++;
        struct vg__part *p;
        if ((rc = part_get(s, ord[i].day, true, &p, err))) goto fail;
        if (p->tx != tx) {
            step = sqlite3_step(p->max_blk);
            p->next_blk = step == SQLITE_ROW ? sqlite3_column_int64(p->max_blk, 0) : 0;
            sqlite3_reset(p->max_blk);
            if (step != SQLITE_ROW) { rc = vg__sq_err(s, step, err, "block id"); goto fail; }
            p->tx = tx;
        }
        vg__blk_builder_reset(s->bld);
        int64_t lo = INT64_MAX, hi = INT64_MIN;
        size_t nblocks = 0, nstored = 0;
        for (size_t k = i; k < j; k++) {
            const struct vg_event *e = ev[ord[k].i];
            bool fresh = false;
            if ((rc = claim_id(s, p, e, &fresh, err))) goto fail;
            if (!fresh) { (*dups)++; continue; }
            if ((rc = vg__blk_add(s->bld, e))) { rc = vg_err_set(err, rc, "cannot encode event: %s", vg_strerror(rc)); goto fail; }
            nstored++;
            if (vg__blk_full(s->bld) && (rc = flush_block(s, p, ord[i].tenant, &lo, &hi, &nblocks, err))) goto fail;
        }
        if ((rc = flush_block(s, p, ord[i].tenant, &lo, &hi, &nblocks, err))) goto fail;
        if (nstored) {
            sqlite3_stmt *st = s->st_upd_part;
            sqlite3_bind_int64(st, 1, p->day);
            sqlite3_bind_int64(st, 2, (int64_t)nstored);
            sqlite3_bind_int64(st, 3, (int64_t)nblocks);
            sqlite3_bind_int64(st, 4, lo);
            sqlite3_bind_int64(st, 5, hi);
            if ((rc = step_done(s, st, err, "partition catalog"))) goto fail;
        }
        *stored += nstored;
        i = j;
    }
    step = sqlite3_step(s->st_commit);
    sqlite3_reset(s->st_commit);
    if (step != SQLITE_DONE) { *sqlite_rc = step; rc = vg__sq_err(s, step, err, "commit"); goto fail; }
    return 0;
fail:
    if (*sqlite_rc == SQLITE_OK) *sqlite_rc = sqlite3_errcode(s->db);
    if (!sqlite3_get_autocommit(s->db)) {
        sqlite3_step(s->st_rollback);
        sqlite3_reset(s->st_rollback);
    }
    /* cached statements and block ids may refer to rolled-back tables */
    parts_clear(s);
    return rc ? rc : vg_err_set(err, VG_EDB, "store failed");
}

static int put_events(struct vg_store *base, const struct vg_event *const *ev, size_t n, size_t *stored, size_t *dups,
                      struct vg_err *err)
{
    struct vg__sq *s = (struct vg__sq *)base;
    size_t st_ = 0, du_ = 0;
    if (!stored) stored = &st_;
    if (!dups) dups = &du_;
    *stored = *dups = 0;
    if (n == 0) return 0;
    if (!ev || n > UINT32_MAX) return vg_err_set(err, VG_EINVAL, "bad event array");
    int rc = validate(ev, n, err);
    if (rc) return rc;
    if (!s->bld && (rc = vg__blk_builder_new(&s->bld))) return vg_err_set(err, rc, "out of memory");
    if (!s->cctx && !(s->cctx = vg__zstd_cctx_new())) return vg_err_set(err, VG_ENOMEM, "out of memory");
    struct ord *ord = vg_malloc(n * sizeof *ord);
    if (!ord) return vg_err_set(err, VG_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        ord[i].day = day_of(ev[i]->ts);
        ord[i].tenant = ev[i]->tenant ? ev[i]->tenant : "default";
        ord[i].i = (uint32_t)i;
    }
    qsort(ord, n, sizeof *ord, ord_cmp);
    bool had_cache = s->parts != NULL;
    int src;
    rc = put_once(s, ev, n, ord, stored, dups, &src, err);
    if (rc && had_cache && (src == SQLITE_ERROR || src == SQLITE_SCHEMA)) {
        /* another handle may have dropped a cached partition: retry fresh */
        *stored = *dups = 0;
        rc = put_once(s, ev, n, ord, stored, dups, &src, err);
    }
    if (rc) *stored = *dups = 0;
    vg_free(ord);
    return rc;
}

/* ---- query compilation ------------------------------------------------- */
struct param {
    int kind;                     /* 0 NULL, 1 text, 2 int */
    const char *s;
    int64_t i;
};

struct comp {
    struct param *p;
    size_t np, cap;
};

static int add_param(struct comp *c, int kind, const char *s, int64_t i, int *num)
{
    if (c->np == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 16;
        struct param *np = vg_realloc(c->p, nc * sizeof *np);
        if (!np) return VG_ENOMEM;
        c->p = np;
        c->cap = nc;
    }
    c->p[c->np] = (struct param){kind, s, i};
    *num = (int)(c->np++) + 4; /* ?1..?3 are tenant, since, until */
    return 0;
}

static int comp_pred(struct comp *c, const struct vg_qnode *n, struct vg_buf *o)
{
    int rc, a, b, d;
    switch (n->kind) {
    case VG_Q_ALL: return vg_buf_adds(o, "1");
    case VG_Q_TERM: {
        int op = (int)n->op | (n->has_wildcard ? VG__OP_WILDCARD : 0);
        if ((rc = add_param(c, n->field ? 1 : 0, n->field, 0, &a)) || (rc = add_param(c, 2, NULL, op, &b)) ||
            (rc = add_param(c, 1, n->value ? n->value : "", 0, &d)))
            return rc;
        return vg_buf_addf(o, "vg_match(e.ev, ?%d, ?%d, ?%d)", a, b, d);
    }
    case VG_Q_NOT:
        rc = vg_buf_adds(o, "NOT (");
        if (!rc) rc = comp_pred(c, n->a, o);
        return rc ? rc : vg_buf_addc(o, ')');
    case VG_Q_AND:
    case VG_Q_OR:
        rc = vg_buf_addc(o, '(');
        if (!rc) rc = comp_pred(c, n->a, o);
        if (!rc) rc = vg_buf_adds(o, n->kind == VG_Q_AND ? " AND " : " OR ");
        if (!rc) rc = comp_pred(c, n->b, o);
        return rc ? rc : vg_buf_addc(o, ')');
    }
    return VG_EINVAL;
}

/* A necessary block-level condition from the bloom filter; *have false when
 * nothing prunes (then nothing is appended). */
static int comp_bloom(struct comp *c, const struct vg_qnode *n, struct vg_buf *o, bool *have)
{
    *have = false;
    int rc, num;
    switch (n->kind) {
    case VG_Q_TERM: {
        if (!n->field || vg__virtual_field(n->field, strlen(n->field))) return 0;
        uint64_t nh = vg__hash_ci(n->field, strlen(n->field), VG__NAME_SEED) | 1;
        uint64_t key;
        if ((n->op == VG_QOP_EQ && !n->has_wildcard) || n->op == VG_QOP_PHRASE)
            key = vg__key_value(nh, vg__hash_ci(n->value, strlen(n->value), VG__VALUE_SEED));
        else
            key = vg__key_exists(nh);
        if ((rc = add_param(c, 2, NULL, (int64_t)key, &num))) return rc;
        *have = true;
        return vg_buf_addf(o, "vg_bloom(b.bloom, ?%d)", num);
    }
    case VG_Q_AND:
    case VG_Q_OR: {
        struct vg_buf l = VG_BUF_INIT, r = VG_BUF_INIT;
        bool hl, hr;
        rc = comp_bloom(c, n->a, &l, &hl);
        if (!rc) rc = comp_bloom(c, n->b, &r, &hr);
        if (!rc) {
            if (hl && hr) {
                *have = true;
                rc = vg_buf_addf(o, "(%s %s %s)", l.data, n->kind == VG_Q_AND ? "AND" : "OR", r.data);
            } else if (n->kind == VG_Q_AND && (hl || hr)) {
                *have = true;
                rc = vg_buf_adds(o, hl ? l.data : r.data);
            }
        }
        vg_buf_release(&l);
        vg_buf_release(&r);
        return rc;
    }
    default: return 0;
    }
}

static void bind_params(sqlite3_stmt *st, const struct vg_query *q, const struct comp *c)
{
    sqlite3_bind_text(st, 1, q->tenant ? q->tenant : "default", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, q->since ? q->since : INT64_MIN);
    sqlite3_bind_int64(st, 3, q->until ? q->until : INT64_MAX);
    for (size_t i = 0; i < c->np; i++) {
        int k = (int)i + 4;
        if (c->p[i].kind == 1) sqlite3_bind_text(st, k, c->p[i].s, -1, SQLITE_STATIC);
        else if (c->p[i].kind == 2) sqlite3_bind_int64(st, k, c->p[i].i);
        else sqlite3_bind_null(st, k);
    }
}

/* WHERE clause shared by search and count (after the FROM clause). */
static int build_where(const struct vg_query *q, struct comp *c, struct vg_buf *w)
{
    struct vg_buf bl = VG_BUF_INIT;
    bool have = false;
    int rc = vg_buf_adds(w, " WHERE b.tenant = ?1 AND b.ts_max >= ?2 AND b.ts_min < ?3");
    if (!rc) rc = comp_bloom(c, q->root, &bl, &have);
    if (!rc && have) rc = vg_buf_addf(w, " AND %s", bl.data);
    if (!rc) rc = vg_buf_adds(w, " AND e.ts >= ?2 AND e.ts < ?3 AND ");
    if (!rc) rc = comp_pred(c, q->root, w);
    vg_buf_release(&bl);
    return rc;
}

struct pinfo {
    int64_t day, ts_min, ts_max;
};

static int list_parts(struct vg__sq *s, const struct vg_query *q, bool asc, struct pinfo **out, size_t *n,
                      struct vg_err *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = NULL;
    int rc = prep(s, &st,
                  asc ? "SELECT day, ts_min, ts_max FROM partitions WHERE events > 0 AND ts_max >= ?1 AND ts_min < ?2 "
                        "ORDER BY ts_min ASC"
                      : "SELECT day, ts_min, ts_max FROM partitions WHERE events > 0 AND ts_max >= ?1 AND ts_min < ?2 "
                        "ORDER BY ts_max DESC",
                  err);
    if (rc) return rc;
    sqlite3_bind_int64(st, 1, q->since ? q->since : INT64_MIN);
    sqlite3_bind_int64(st, 2, q->until ? q->until : INT64_MAX);
    size_t cap = 0;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            struct pinfo *np = vg_realloc(*out, nc * sizeof *np);
            if (!np) { rc = vg_err_set(err, VG_ENOMEM, "out of memory"); goto out; }
            *out = np;
            cap = nc;
        }
        (*out)[*n] = (struct pinfo){sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2)};
        (*n)++;
    }
    if (step != SQLITE_DONE) rc = vg__sq_err(s, step, err, "partition catalog");
out:
    sqlite3_finalize(st);
    if (rc) { vg_free(*out); *out = NULL; *n = 0; }
    return rc;
}

/* Top-N buffer: keeps the `limit` best rows; root = worst kept. */
struct hit {
    int64_t ts;
    uint8_t id[16];
    char *json;
    size_t len;
};

struct heap {
    struct hit *h;
    size_t n, cap;
    bool asc;                     /* keep the smallest (oldest) instead of the largest */
};

/* true when a should come before b in the output */
static bool before(const struct heap *hp, const struct hit *a, const struct hit *b)
{
    int c = a->ts < b->ts ? -1 : a->ts > b->ts ? 1 : memcmp(a->id, b->id, 16);
    return hp->asc ? c < 0 : c > 0;
}

static void sift_down(struct heap *hp, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, w = i;
        /* root holds the element that comes last in output order */
        if (l < hp->n && before(hp, &hp->h[w], &hp->h[l])) w = l;
        if (r < hp->n && before(hp, &hp->h[w], &hp->h[r])) w = r;
        if (w == i) return;
        struct hit t = hp->h[i];
        hp->h[i] = hp->h[w];
        hp->h[w] = t;
        i = w;
    }
}

static void sift_up(struct heap *hp, size_t i)
{
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!before(hp, &hp->h[p], &hp->h[i])) return;
        struct hit t = hp->h[i];
        hp->h[i] = hp->h[p];
        hp->h[p] = t;
        i = p;
    }
}

/* Offers a row; takes a copy of json when kept. */
static int heap_offer(struct heap *hp, int64_t ts, const void *id, const char *json, size_t len)
{
    struct hit cand = {.ts = ts};
    if (id) memcpy(cand.id, id, 16);
    if (hp->n == hp->cap && !before(hp, &cand, &hp->h[0])) return 0;
    char *copy = vg_strndup(json, len);
    if (!copy) return VG_ENOMEM;
    cand.json = copy;
    cand.len = len;
    if (hp->n < hp->cap) {
        hp->h[hp->n++] = cand;
        sift_up(hp, hp->n - 1);
    } else {
        vg_free(hp->h[0].json);
        hp->h[0] = cand;
        sift_down(hp, 0);
    }
    return 0;
}

static int hit_cmp_desc(const void *a, const void *b)
{
    const struct hit *x = a, *y = b;
    int c = x->ts < y->ts ? 1 : x->ts > y->ts ? -1 : -memcmp(x->id, y->id, 16);
    return c;
}

static int hit_cmp_asc(const void *a, const void *b) { return -hit_cmp_desc(a, b); }

static int search(struct vg_store *base, const struct vg_query *q, vg_store_event_cb cb, void *ctx, struct vg_err *err)
{
    struct vg__sq *s = (struct vg__sq *)base;
    if (!q || !q->root || !cb) return vg_err_set(err, VG_EINVAL, "no query");
    struct comp c = {0};
    struct vg_buf where = VG_BUF_INIT, sql = VG_BUF_INIT;
    struct pinfo *parts = NULL;
    size_t nparts = 0;
    struct heap hp = {.asc = q->ascending};
    hp.cap = q->limit ? q->limit : VG_QUERY_DEFAULT_LIMIT;
    if (hp.cap > VG_QUERY_MAX_LIMIT) hp.cap = VG_QUERY_MAX_LIMIT;
    int rc = 0;
    if (!(hp.h = vg_malloc(hp.cap * sizeof *hp.h))) { rc = vg_err_set(err, VG_ENOMEM, "out of memory"); goto out; }
    if ((rc = build_where(q, &c, &where))) { rc = vg_err_set(err, rc, "cannot compile query: %s", vg_strerror(rc)); goto out; }
    if ((rc = list_parts(s, q, q->ascending, &parts, &nparts, err))) goto out;
    for (size_t pi = 0; pi < nparts; pi++) {
        if (hp.n == hp.cap) {
            /* partitions come in output order: stop when none can compete */
            if (!q->ascending && parts[pi].ts_max < hp.h[0].ts) break;
            if (q->ascending && parts[pi].ts_min > hp.h[0].ts) break;
        }
        char nm[24];
        part_name(parts[pi].day, nm, sizeof nm);
        vg_buf_reset(&sql);
        rc = vg_buf_addf(&sql,
                         "SELECT b.ts_max, b.ts_min, e.ts, e.id, vg_json(e.ev, b.tenant) FROM \"%s_blk\" AS b "
                         "INDEXED BY \"%s_blk_%s\", vg_events(b.data) AS e",
                         nm, nm, q->ascending ? "tmin" : "tmax");
        if (!rc) rc = vg_buf_add(&sql, where.data, where.len);
        if (!rc) rc = vg_buf_adds(&sql, q->ascending ? " ORDER BY b.ts_min ASC" : " ORDER BY b.ts_max DESC");
        if (rc) { rc = vg_err_set(err, rc, "cannot compile query"); goto out; }
        sqlite3_stmt *st = NULL;
        int src = sqlite3_prepare_v2(s->db, sql.data, (int)sql.len, &st, NULL);
        if (src != SQLITE_OK) {
            /* a partition dropped by retention since we listed it */
            if (src == SQLITE_ERROR && strstr(sqlite3_errmsg(s->db), "no such")) continue;
            rc = vg__sq_err(s, src, err, "search");
            goto out;
        }
        bind_params(st, q, &c);
        int step;
        while ((step = sqlite3_step(st)) == SQLITE_ROW) {
            if (hp.n == hp.cap) {
                if (!q->ascending && sqlite3_column_int64(st, 0) < hp.h[0].ts) break;
                if (q->ascending && sqlite3_column_int64(st, 1) > hp.h[0].ts) break;
            }
            const char *js = (const char *)sqlite3_column_text(st, 4);
            if (!js) { step = sqlite3_errcode(s->db); break; }
            const void *id = sqlite3_column_blob(st, 3);
            if ((rc = heap_offer(&hp, sqlite3_column_int64(st, 2), sqlite3_column_bytes(st, 3) == 16 ? id : NULL, js,
                                 (size_t)sqlite3_column_bytes(st, 4)))) {
                sqlite3_finalize(st);
                rc = vg_err_set(err, rc, "out of memory");
                goto out;
            }
        }
        if (step != SQLITE_ROW && step != SQLITE_DONE) {
            rc = vg__sq_err(s, step, err, "search");
            sqlite3_finalize(st);
            goto out;
        }
        sqlite3_finalize(st);
    }
    qsort(hp.h, hp.n, sizeof *hp.h, q->ascending ? hit_cmp_asc : hit_cmp_desc);
    for (size_t i = 0; i < hp.n; i++) {
        struct vg_stored_event se = {.ts = hp.h[i].ts, .tenant = q->tenant ? q->tenant : "default",
                                     .json = hp.h[i].json, .json_len = hp.h[i].len};
        memcpy(se.id, hp.h[i].id, 16);
        int r = cb(ctx, &se);
        if (r) { rc = r; break; }
    }
out:
    for (size_t i = 0; i < hp.n; i++) vg_free(hp.h[i].json);
    vg_free(hp.h);
    vg_free(c.p);
    vg_free(parts);
    vg_buf_release(&where);
    vg_buf_release(&sql);
    return rc;
}

static int count(struct vg_store *base, const struct vg_query *q, uint64_t *n, struct vg_err *err)
{
    struct vg__sq *s = (struct vg__sq *)base;
    *n = 0;
    if (!q || !q->root) return vg_err_set(err, VG_EINVAL, "no query");
    struct comp c = {0};
    struct vg_buf where = VG_BUF_INIT, sql = VG_BUF_INIT;
    struct pinfo *parts = NULL;
    size_t nparts = 0;
    int rc = build_where(q, &c, &where);
    if (rc) { rc = vg_err_set(err, rc, "cannot compile query"); goto out; }
    if ((rc = list_parts(s, q, false, &parts, &nparts, err))) goto out;
    bool all = q->root->kind == VG_Q_ALL;
    for (size_t pi = 0; pi < nparts; pi++) {
        char nm[24];
        part_name(parts[pi].day, nm, sizeof nm);
        for (int pass = 0; pass < (all ? 2 : 1); pass++) {
            vg_buf_reset(&sql);
            if (all && pass == 0) /* blocks wholly inside the range count without decoding */
                rc = vg_buf_addf(&sql, "SELECT coalesce(sum(b.count), 0) FROM \"%s_blk\" AS b WHERE b.tenant = ?1 AND "
                                       "b.ts_min >= ?2 AND b.ts_max < ?3", nm);
            else if (all)
                rc = vg_buf_addf(&sql, "SELECT count(*) FROM \"%s_blk\" AS b, vg_events(b.data) AS e WHERE b.tenant = ?1 "
                                       "AND b.ts_max >= ?2 AND b.ts_min < ?3 AND NOT (b.ts_min >= ?2 AND b.ts_max < ?3) "
                                       "AND e.ts >= ?2 AND e.ts < ?3", nm);
            else {
                rc = vg_buf_addf(&sql, "SELECT count(*) FROM \"%s_blk\" AS b, vg_events(b.data) AS e", nm);
                if (!rc) rc = vg_buf_add(&sql, where.data, where.len);
            }
            if (rc) { rc = vg_err_set(err, rc, "cannot compile query"); goto out; }
            sqlite3_stmt *st = NULL;
            int src = sqlite3_prepare_v2(s->db, sql.data, (int)sql.len, &st, NULL);
            if (src != SQLITE_OK) {
                if (src == SQLITE_ERROR && strstr(sqlite3_errmsg(s->db), "no such")) break;
                rc = vg__sq_err(s, src, err, "count");
                goto out;
            }
            bind_params(st, q, &c);
            int step = sqlite3_step(st);
            if (step == SQLITE_ROW) *n += (uint64_t)sqlite3_column_int64(st, 0);
            else rc = vg__sq_err(s, step, err, "count");
            sqlite3_finalize(st);
            if (rc) goto out;
        }
    }
out:
    if (rc) *n = 0;
    vg_free(c.p);
    vg_free(parts);
    vg_buf_release(&where);
    vg_buf_release(&sql);
    return rc;
}

/* ---- retention, stats, kv ---------------------------------------------- */
static int retention(struct vg_store *base, int64_t cutoff_ns, uint64_t *dropped_events, struct vg_err *err)
{
    struct vg__sq *s = (struct vg__sq *)base;
    uint64_t dropped = 0;
    if (dropped_events) *dropped_events = 0;
    int rc = vg__sq_exec(s, "BEGIN IMMEDIATE", err);
    if (rc) return rc;
    sqlite3_stmt *st = NULL;
    int64_t *days = NULL;
    size_t nd = 0, cap = 0;
    if ((rc = prep(s, &st, "SELECT day, events FROM partitions WHERE ts_max < ?1", err))) goto out;
    sqlite3_bind_int64(st, 1, cutoff_ns);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (nd == cap) {
            size_t nc = cap ? cap * 2 : 16;
            int64_t *nd2 = vg_realloc(days, nc * sizeof *nd2);
            if (!nd2) { rc = vg_err_set(err, VG_ENOMEM, "out of memory"); goto out; }
            days = nd2;
            cap = nc;
        }
        days[nd++] = sqlite3_column_int64(st, 0);
        dropped += (uint64_t)sqlite3_column_int64(st, 1);
    }
    if (step != SQLITE_DONE) { rc = vg__sq_err(s, step, err, "retention"); goto out; }
    sqlite3_finalize(st);
    st = NULL;
    parts_clear(s); /* cached statements pin the tables */
    for (size_t i = 0; i < nd; i++) {
        char nm[24], sql[256];
        part_name(days[i], nm, sizeof nm);
        snprintf(sql, sizeof sql,
                 "DROP TABLE IF EXISTS \"%1$s_blk\"; DROP TABLE IF EXISTS \"%1$s_ids\"; DROP TABLE IF EXISTS \"%1$s_idc\";"
                 "DELETE FROM partitions WHERE day = %2$lld;",
                 nm, (long long)days[i]);
        if ((rc = vg__sq_exec(s, sql, err))) goto out;
    }
    rc = vg__sq_exec(s, "COMMIT", err);
out:
    sqlite3_finalize(st);
    vg_free(days);
    if (rc) {
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return rc;
    }
    if (nd) sqlite3_exec(s->db, "PRAGMA incremental_vacuum", NULL, NULL, NULL); /* give pages back; best effort */
    if (dropped_events) *dropped_events = dropped;
    return 0;
}

static uint64_t file_size(const char *path, const char *suffix)
{
    char p[4200];
    snprintf(p, sizeof p, "%s%s", path, suffix);
    struct stat st;
    return stat(p, &st) == 0 ? (uint64_t)st.st_size : 0;
}

static int stats(struct vg_store *base, const char *tenant, struct vg_store_stats *out, struct vg_err *err)
{
    struct vg__sq *s = (struct vg__sq *)base;
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = NULL;
    int rc = 0, step;
    if (!tenant) {
        if ((rc = prep(s, &st, "SELECT count(*), coalesce(sum(events), 0), coalesce(sum(blocks), 0), min(ts_min), max(ts_max) "
                               "FROM partitions WHERE events > 0", err)))
            return rc;
        if ((step = sqlite3_step(st)) != SQLITE_ROW) { rc = vg__sq_err(s, step, err, "stats"); goto out; }
        out->partitions = (uint64_t)sqlite3_column_int64(st, 0);
        out->events = (uint64_t)sqlite3_column_int64(st, 1);
        out->blocks = (uint64_t)sqlite3_column_int64(st, 2);
        out->oldest = sqlite3_column_int64(st, 3);
        out->newest = sqlite3_column_int64(st, 4);
    } else {
        struct vg_query q = {.tenant = tenant};
        struct pinfo *parts = NULL;
        size_t np = 0;
        if ((rc = list_parts(s, &q, true, &parts, &np, err))) return rc;
        for (size_t i = 0; i < np && rc == 0; i++) {
            char nm[24], sql[256];
            part_name(parts[i].day, nm, sizeof nm);
            snprintf(sql, sizeof sql, "SELECT count(*), coalesce(sum(count), 0), min(ts_min), max(ts_max) FROM \"%s_blk\" "
                                      "WHERE tenant = ?1", nm);
            if ((rc = prep(s, &st, sql, err))) break;
            sqlite3_bind_text(st, 1, tenant, -1, SQLITE_STATIC);
            if ((step = sqlite3_step(st)) != SQLITE_ROW) rc = vg__sq_err(s, step, err, "stats");
            else if (sqlite3_column_int64(st, 0) > 0) {
                int64_t lo = sqlite3_column_int64(st, 2), hi = sqlite3_column_int64(st, 3);
                if (out->partitions == 0 || lo < out->oldest) out->oldest = lo;
                if (out->partitions == 0 || hi > out->newest) out->newest = hi;
                out->partitions++;
                out->blocks += (uint64_t)sqlite3_column_int64(st, 0);
                out->events += (uint64_t)sqlite3_column_int64(st, 1);
            }
            sqlite3_finalize(st);
            st = NULL;
        }
        vg_free(parts);
        if (rc) return rc;
    }
    out->bytes = file_size(s->path, "") + file_size(s->path, "-wal");
out:
    sqlite3_finalize(st);
    return rc;
}

#define KV_MAX_KEY 1024
#define KV_MAX_VAL (1u << 20)

static int kv_get(struct vg_store *base, const char *key, char **val, struct vg_err *err)
{
    struct vg__sq *s = (struct vg__sq *)base;
    *val = NULL;
    if (!key || !*key || strlen(key) > KV_MAX_KEY) return vg_err_set(err, VG_EINVAL, "bad key");
    sqlite3_stmt *st = NULL;
    int rc = prep(s, &st, "SELECT value FROM kv WHERE key = ?1", err);
    if (rc) return rc;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(st, 0);
        if (!v || !(*val = vg_strndup(v, (size_t)sqlite3_column_bytes(st, 0)))) rc = vg_err_set(err, VG_ENOMEM, "out of memory");
    } else if (step == SQLITE_DONE) {
        rc = vg_err_set(err, VG_ENOENT, "no value for key '%s'", key);
    } else {
        rc = vg__sq_err(s, step, err, "kv_get");
    }
    sqlite3_finalize(st);
    return rc;
}

static int kv_put(struct vg_store *base, const char *key, const char *val, struct vg_err *err)
{
    struct vg__sq *s = (struct vg__sq *)base;
    if (!key || !*key || strlen(key) > KV_MAX_KEY) return vg_err_set(err, VG_EINVAL, "bad key");
    if (!val || strlen(val) > KV_MAX_VAL) return vg_err_set(err, VG_ETOOBIG, "value missing or over 1 MiB");
    sqlite3_stmt *st = NULL;
    int rc = prep(s, &st, "INSERT INTO kv(key, value, updated_ns) VALUES (?1, ?2, ?3) "
                          "ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_ns = excluded.updated_ns", err);
    if (rc) return rc;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, val, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, vg_now_ns());
    int step = sqlite3_step(st);
    if (step != SQLITE_DONE) rc = vg__sq_err(s, step, err, "kv_put");
    sqlite3_finalize(st);
    return rc;
}

const struct vg_store_ops vg_store_sqlite_ops = {
    .name = "sqlite",
    .desc = "embedded SQLite (WAL): day partitions of zstd event blocks with bloom pruning",
    .open = open_,
    .close = close_,
    .put_events = put_events,
    .search = search,
    .count = count,
    .retention = retention,
    .stats = stats,
    .token_create = vg__tok_create,
    .token_check = vg__tok_check,
    .token_list = vg__tok_list,
    .token_revoke = vg__tok_revoke,
    .kv_get = kv_get,
    .kv_put = kv_put,
    .enroll_token_create = vg__agt_token_create,
    .enroll_token_use = vg__agt_token_use,
    .agent_add = vg__agt_add,
    .agent_get = vg__agt_get,
    .agent_list = vg__agt_list,
    .agent_update = vg__agt_update,
    .agent_revoke = vg__agt_revoke,
};
