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
#define PAGE_SIZE 16384         /* of a new database (existing ones keep theirs); docs/internals/store.md */
#define WAL_AUTOCHECKPOINT 4096 /* WAL pages */

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

int vg__sq_collect(struct vg__sq *s, const char *sql, size_t elem_size, void (*fill)(sqlite3_stmt *st, void *elem),
                   void **out, size_t *n, struct vg_err *err, const char *what)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK) return vg__sq_err(s, rc, err, what);
    char *arr = NULL;
    size_t cap = 0;
    int step;
    rc = 0;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            size_t nc = cap ? cap * 2 : 8;
            char *p = vg_realloc(arr, nc * elem_size);
            if (!p) { rc = vg_err_set(err, VG_ENOMEM, "out of memory"); break; }
            arr = p;
            cap = nc;
        }
        fill(st, arr + (*n)++ * elem_size);
    }
    if (!rc && step != SQLITE_DONE) rc = vg__sq_err(s, step, err, what);
    sqlite3_finalize(st);
    if (rc) { vg_free(arr); arr = NULL; *n = 0; }
    *out = arr;
    return rc;
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
    /* Apply every migration not recorded yet, in order: not only those above
     * the maximum, so a migration numbered below one already applied (work
     * merged from parallel branches) still runs. */
    for (size_t i = 0; i < nm; i++) {
        if ((rc = prep(s, &st, "SELECT 1 FROM schema_version WHERE version = ?1", err))) goto out;
        sqlite3_bind_int(st, 1, m[i].version);
        step = sqlite3_step(st);
        sqlite3_finalize(st);
        if (step == SQLITE_ROW) continue;
        if (step != SQLITE_DONE) { rc = vg__sq_err(s, step, err, "schema_version"); goto out; }
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
    vg__alerts_close(s);
    vg__inc_close(s);
    sqlite3_finalize(s->st_begin);
    sqlite3_finalize(s->st_commit);
    sqlite3_finalize(s->st_rollback);
    sqlite3_finalize(s->st_upd_part);
    if (s->db) sqlite3_close_v2(s->db);
    vg__blk_builder_free(s->bld);
    if (s->cctx) ZSTD_freeCCtx(s->cctx);
    vg__scratch_release_all(s);
    if (s->mu_init) pthread_mutex_destroy(&s->scratch_mu);
    vg_free(s->fresh);
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
    pthread_mutex_init(&s->scratch_mu, NULL);
    s->mu_init = true;
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
    /* Tuning knobs for measurements (docs/internals/store.md): page size of
     * a new database, WAL pages between automatic checkpoints. */
    int64_t page = 0, ckpt = WAL_AUTOCHECKPOINT;
    const char *ev = getenv("VIGIL_SQLITE_PAGE_SIZE");
    if (ev && (vg_parse_i64(ev, strlen(ev), &page) || page < 512 || page > 65536 || (page & (page - 1)))) page = 0;
    ev = getenv("VIGIL_SQLITE_WAL_PAGES");
    if (ev && (vg_parse_i64(ev, strlen(ev), &ckpt) || ckpt < 0 || ckpt > (1 << 22))) ckpt = WAL_AUTOCHECKPOINT;
    char pragmas[512];
    snprintf(pragmas, sizeof pragmas,
             "PRAGMA page_size = %lld; PRAGMA auto_vacuum = INCREMENTAL; PRAGMA journal_mode = WAL; PRAGMA synchronous = %s;"
             "PRAGMA foreign_keys = ON; PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY;"
             "PRAGMA wal_autocheckpoint = %lld; PRAGMA journal_size_limit = 134217728;",
             (long long)(page ? page : PAGE_SIZE),
             sync && strcmp(sync, "normal") == 0 ? "NORMAL" : sync && strcmp(sync, "off") == 0 ? "OFF" : "FULL",
             (long long)ckpt);
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
    const char *zl = getenv("VIGIL_ZSTD_LEVEL"); /* measurement knob: -7 .. 9 */
    int64_t lv;
    if (zl && vg_parse_i64(zl, strlen(zl), &lv) == 0 && lv >= -7 && lv <= 9) s->zlevel = (int)lv;
    *out = &s->base;
    return 0;
fail:
    close_(&s->base);
    return rc ? rc : vg_err_set(err, VG_EDB, "cannot open store");
}

/* ---- put_prepared / put_events ---------------------------------------- */
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

static int insert_block(struct vg__sq *s, struct vg__part *p, const char *tenant, const uint8_t *data, size_t dlen,
                        const uint8_t *bloom, size_t blen, int64_t tmin, int64_t tmax, uint32_t count, size_t raw_bytes,
                        struct vg_err *err)
{
    sqlite3_stmt *st = p->ins_blk;
    sqlite3_bind_int64(st, 1, p->next_blk);
    sqlite3_bind_text(st, 2, tenant, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, tmin);
    sqlite3_bind_int64(st, 4, tmax);
    sqlite3_bind_int64(st, 5, count);
    sqlite3_bind_int64(st, 6, (int64_t)raw_bytes);
    sqlite3_bind_blob(st, 7, bloom, (int)blen, SQLITE_STATIC);
    sqlite3_bind_blob(st, 8, data, (int)dlen, SQLITE_STATIC);
    int rc = step_done(s, st, err, "insert block");
    sqlite3_clear_bindings(st);
    if (rc) return rc;
    st = s->st_upd_part;
    sqlite3_bind_int64(st, 1, p->day);
    sqlite3_bind_int64(st, 2, count);
    sqlite3_bind_int64(st, 3, 1);
    sqlite3_bind_int64(st, 4, tmin);
    sqlite3_bind_int64(st, 5, tmax);
    return step_done(s, st, err, "partition catalog");
}

/* Commits one prepared block: claims the id of each event; a block without
 * duplicates is inserted as prepared, one with some is re-encoded from its
 * new events only, one with none new adds nothing. */
static int commit_block(struct vg__sq *s, const struct vg_store_prepared *pp, const struct vg__pblock *b, uint64_t tx,
                        size_t *stored, size_t *dups, struct vg_err *err)
{
    struct vg__part *p;
    int rc = part_get(s, b->day, true, &p, err);
    if (rc) return rc;
    if (p->tx != tx) {
        int step = sqlite3_step(p->max_blk);
        p->next_blk = step == SQLITE_ROW ? sqlite3_column_int64(p->max_blk, 0) : 0;
        sqlite3_reset(p->max_blk);
        if (step != SQLITE_ROW) return vg__sq_err(s, step, err, "block id");
        p->tx = tx;
    }
    if (b->nev > s->fresh_cap) {
        uint8_t *nf = vg_realloc(s->fresh, b->nev);
        if (!nf) return vg_err_set(err, VG_ENOMEM, "out of memory");
        s->fresh = nf;
        s->fresh_cap = b->nev;
    }
    const struct vg_event *const *ev = pp->ev + b->ev0;
    uint32_t nfresh = 0;
    for (uint32_t k = 0; k < b->nev; k++) {
        bool fresh = false;
        if ((rc = claim_id(s, p, ev[k], &fresh, err))) return rc;
        if (!fresh) vg__alerts_note_dup(s, ev[k]); /* its alerts must not count again */
        s->fresh[k] = fresh;
        nfresh += fresh;
    }
    *dups += b->nev - nfresh;
    if (nfresh == 0) return 0;
    if (nfresh == b->nev) {
        rc = insert_block(s, p, b->tenant, b->mem, b->dlen, b->mem + b->dlen, b->blen, b->ts_min, b->ts_max, b->nev,
                          b->raw_bytes, err);
    } else {
        /* rare: some events were already stored (re-delivery) */
        vg__blk_builder_reset(s->bld);
        for (uint32_t k = 0; k < b->nev; k++)
            if (s->fresh[k] && (rc = vg__blk_add(s->bld, ev[k])))
                return vg_err_set(err, rc, "cannot encode event: %s", vg_strerror(rc));
        const uint8_t *data, *bloom;
        size_t dlen, blen, raw_bytes;
        int64_t tmin, tmax;
        if ((rc = vg__blk_finish(s->bld, s->cctx, s->zlevel, &data, &dlen, &bloom, &blen, &tmin, &tmax, &raw_bytes)))
            return vg_err_set(err, rc, "cannot encode block: %s", vg_strerror(rc));
        rc = insert_block(s, p, b->tenant, data, dlen, bloom, blen, tmin, tmax, nfresh, raw_bytes, err);
        vg__blk_builder_reset(s->bld);
    }
    if (rc) return rc;
    p->next_blk++;
    *stored += nfresh;
    return 0;
}

static int put_once(struct vg__sq *s, struct vg_store_prepared *const *pp, size_t np, size_t *stored, size_t *dups,
                    int *sqlite_rc, struct vg_err *err)
{
    int rc = 0;
    *sqlite_rc = SQLITE_OK;
    int step = sqlite3_step(s->st_begin);
    sqlite3_reset(s->st_begin);
    if (step != SQLITE_DONE) { *sqlite_rc = step; return vg__sq_err(s, step, err, "begin"); }
    uint64_t tx = ++s->tx_serial;
    vg__alerts_tx_reset(s);
    for (size_t i = 0; i < np; i++)
        for (size_t b = 0; b < pp[i]->nblk; b++)
            if ((rc = commit_block(s, pp[i], &pp[i]->blk[b], tx, stored, dups, err))) goto fail;
    if ((rc = vg__alerts_flush_staged(s, err))) goto fail;   /* alerts: same transaction (alerts_sqlite.c) */
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

static int put_prepared(struct vg_store *base, struct vg_store_prepared *const *pp, size_t np, size_t *stored,
                        size_t *dups, struct vg_err *err)
{
    struct vg__sq *s = (struct vg__sq *)base;
    size_t st_ = 0, du_ = 0;
    if (!stored) stored = &st_;
    if (!dups) dups = &du_;
    *stored = *dups = 0;
    if (np && !pp) return vg_err_set(err, VG_EINVAL, "bad prepared array");
    size_t total = 0;
    for (size_t i = 0; i < np; i++) {
        if (!pp[i] || pp[i]->owner != base) return vg_err_set(err, VG_EINVAL, "batch %zu was not prepared by this store", i);
        total += pp[i]->n;
    }
    if (total == 0) return 0;
    if (!s->bld && vg__blk_builder_new(&s->bld)) return vg_err_set(err, VG_ENOMEM, "out of memory");
    if (!s->cctx && !(s->cctx = vg__zstd_cctx_new())) return vg_err_set(err, VG_ENOMEM, "out of memory");
    bool had_cache = s->parts != NULL;
    int src;
    int rc = put_once(s, pp, np, stored, dups, &src, err);
    if (rc && had_cache && (src == SQLITE_ERROR || src == SQLITE_SCHEMA)) {
        /* another handle may have dropped a cached partition: retry fresh */
        *stored = *dups = 0;
        rc = put_once(s, pp, np, stored, dups, &src, err);
    }
    if (rc) *stored = *dups = 0;
    return rc;
}

static int put_events(struct vg_store *base, const struct vg_event *const *ev, size_t n, size_t *stored, size_t *dups,
                      struct vg_err *err)
{
    if (stored) *stored = 0;
    if (dups) *dups = 0;
    if (n == 0) return 0;
    struct vg_store_prepared *p = NULL;
    int rc = vg__sq_prepare(base, ev, n, &p, err);
    if (rc) return rc;
    rc = put_prepared(base, &p, 1, stored, dups, err);
    vg__prepared_free(p);
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
    .prepare = vg__sq_prepare,
    .put_prepared = put_prepared,
    .prepared_free = vg__prepared_free,
    .alerts_stage = vg__alerts_stage,     /* alerts: alerts_sqlite.c */
    .put_alerts = vg__alerts_put,
    .alert_search = vg__alerts_search,
    .alert_counts = vg__alerts_counts,
    .asset_put_inventory = vg__asset_put_inventory,
    .asset_list = vg__asset_list,
    .asset_get = vg__asset_get,
    .asset_put_posture = vg__asset_put_posture,
    .asset_put_vulns = vg__asset_put_vulns,
    .asset_get_posture = vg__asset_get_posture,
    .enroll_token_create = vg__agt_token_create,
    .enroll_token_use = vg__agt_token_use,
    .agent_add = vg__agt_add,
    .agent_get = vg__agt_get,
    .agent_list = vg__agt_list,
    .agent_update = vg__agt_update,
    .agent_revoke = vg__agt_revoke,
    .alerts_set_window = vg__alerts_set_window, /* issue 4: incidents_sqlite.c */
    .tx = vg__sq_tx,
    .inc_alerts_after = vg__inc_alerts_after,
    .inc_alerts_of = vg__inc_alerts_of,
    .inc_alerts_window = vg__inc_alerts_window,
    .inc_alert_set = vg__inc_alert_set,
    .inc_entity_find = vg__inc_entity_find,
    .inc_entity_bump = vg__inc_entity_bump,
    .inc_entity_scores = vg__inc_entity_scores,
    .inc_put = vg__inc_put,
    .inc_get = vg__inc_get,
    .inc_list = vg__inc_list,
    .inc_move = vg__inc_move,
    .sup_add = vg__sup_add,
    .sup_list = vg__sup_list,
    .crit_set = vg__crit_set,
    .crit_get = vg__crit_get,
};
