/* Alerts in the SQLite backend (schema/002_alerts.sql): staging alerts so
 * the next event transaction inserts them before its COMMIT (the only hook
 * into store_sqlite.c's write path, vg__alerts_flush_staged), stand-alone
 * inserts, and tenant-scoped search and counts with time, level, rule and
 * status filters plus the search language (query.h) compiled to
 * parameterised SQL over the alert columns and the stored JSON record.
 * Kept apart from store_sqlite.c so the event write path can change
 * without touching alerts. */
#include "internal.h"
#include <math.h>
#include <sodium.h>

#define MAX_PARAMS 2048

/* Writer-side cache of open aggregate rows: key -> rowid and last repeat.
 * It replaces an index lookup per alert; a key it no longer holds (evicted,
 * or after a restart) starts a new row (docs/internals/incidents.md). */
#define AGG_SLOTS 65536u
#define AGG_PROBE 8u
struct agg_slot {
    uint8_t key[16];
    int64_t rowid;                 /* 0 = empty */
    int64_t last_ns;
};

/* Alert storms: when one rule on one host opens more than STORM_ROWS
 * distinct rows (different users or sources) within the aggregation
 * window, its further new keys count into one storm row keyed by (tenant,
 * rule, host), whose user and source columns are empty and whose
 * "sources" is a HyperLogLog estimate of the distinct source addresses.
 * The events stay stored and searchable; the row keeps samples. */
#define STORM_ROWS 20u
#define STORM_SLOTS 4096u
#define STORM_PROBE 8u
#define HLL_REGS 256u              /* 2^8 registers: about 6.5 % standard error */
struct storm_slot {
    uint8_t key[16];
    bool used;
    uint32_t rows;                 /* distinct rows opened since win_start */
    int64_t win_start;
    int64_t rowid;                 /* the storm row, 0 = none yet */
    int64_t last_ns;
    uint8_t hll[HLL_REGS];
};

struct vg__alerts {
    sqlite3_stmt *ins, *upd, *upd_id, *upd_storm;
    struct agg_slot *cache;        /* AGG_SLOTS entries, allocated on first use */
    struct storm_slot *storms;     /* STORM_SLOTS entries, allocated on first use */
    const struct vg_alert *const *staged;
    size_t nstaged;
    int64_t window_ns;             /* repeat aggregation window; < 0 off */
    uint64_t next_seq;             /* next alerts.seq in the open transaction (0 = read it) */
    const struct vg_event **dup;   /* events of this transaction that were already stored */
    size_t ndup, capdup;
    bool dup_sorted;
};

#define AGG_DEFAULT_NS (3600LL * 1000000000LL)
#define MAX_SAMPLES 8              /* sample event ids kept per alert row */

static int state(struct vg__sq *s, struct vg_err *err)
{
    if (s->alerts) return 0;
    s->alerts = vg_calloc(1, sizeof *s->alerts);
    if (!s->alerts) return vg_err_set(err, VG_ENOMEM, "out of memory");
    s->alerts->window_ns = AGG_DEFAULT_NS;
    return 0;
}

void vg__alerts_close(struct vg__sq *s)
{
    if (!s->alerts) return;
    sqlite3_finalize(s->alerts->ins);
    sqlite3_finalize(s->alerts->upd);
    sqlite3_finalize(s->alerts->upd_id);
    sqlite3_finalize(s->alerts->upd_storm);
    vg_free(s->alerts->storms);
    vg_free(s->alerts->dup);
    vg_free(s->alerts->cache);
    vg_free(s->alerts);
    s->alerts = NULL;
}

int vg__alerts_set_window(struct vg_store *base, int64_t window_ns)
{
    struct vg__sq *s = (struct vg__sq *)base;
    int rc = state(s, NULL);
    if (rc) return rc;
    s->alerts->window_ns = window_ns == 0 ? AGG_DEFAULT_NS : window_ns;
    return 0;
}

int vg__alerts_stage(struct vg_store *base, const struct vg_alert *const *a, size_t n, struct vg_err *err)
{
    struct vg__sq *s = (struct vg__sq *)base;
    int rc = state(s, err);
    if (rc) return rc;
    s->alerts->staged = n ? a : NULL;
    s->alerts->nstaged = a ? n : 0;
    return 0;
}

void vg__alerts_tx_reset(struct vg__sq *s)
{
    if (!s->alerts) return;
    s->alerts->ndup = 0;
    s->alerts->next_seq = 0;
}

void vg__alerts_note_dup(struct vg__sq *s, const struct vg_event *ev)
{
    struct vg__alerts *al = s->alerts;
    if (!al || !al->nstaged) return;
    if (al->ndup == al->capdup) {
        size_t nc = al->capdup ? al->capdup * 2 : 64;
        const struct vg_event **nv = vg_realloc(al->dup, nc * sizeof *nv);
        if (!nv) return; /* then the repeat counts again: over-counting beats losing the alert */
        al->dup = nv;
        al->capdup = nc;
    }
    al->dup[al->ndup++] = ev;
    al->dup_sorted = false;
}

static int cmp_ptr(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)*(const void *const *)a, y = (uintptr_t)*(const void *const *)b;
    return x < y ? -1 : x > y;
}

/* True when ev was already stored before this transaction (a re-delivery). */
static bool is_dup(struct vg__alerts *al, const struct vg_event *ev)
{
    if (!ev || !al->ndup) return false;
    if (!al->dup_sorted) {
        qsort(al->dup, al->ndup, sizeof *al->dup, cmp_ptr);
        al->dup_sorted = true;
    }
    return bsearch(&ev, al->dup, al->ndup, sizeof *al->dup, cmp_ptr) != NULL;
}

static void agg_key(const struct vg_alert *x, const char *tenant, uint8_t out[16])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, (const unsigned char *)"vigil-agg", 9, 16);
    const char *parts[] = {tenant, x->rule_id, x->host_name, x->user_name, x->source_ip};
    for (size_t i = 0; i < VG_ARRAY_LEN(parts); i++) {
        const char *p = parts[i] ? parts[i] : "";
        crypto_generichash_update(&st, (const unsigned char *)p, strlen(p) + 1);
    }
    crypto_generichash_final(&st, out, 16);
}

static void storm_key(const struct vg_alert *x, const char *tenant, uint8_t out[16])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, (const unsigned char *)"vigil-storm", 11, 16);
    const char *parts[] = {tenant, x->rule_id, x->host_name};
    for (size_t i = 0; i < VG_ARRAY_LEN(parts); i++) {
        const char *p = parts[i] ? parts[i] : "";
        crypto_generichash_update(&st, (const unsigned char *)p, strlen(p) + 1);
    }
    crypto_generichash_final(&st, out, 16);
}

/* Adds a source address to a HyperLogLog and returns the estimate. */
static int64_t hll_add(uint8_t reg[HLL_REGS], const char *src)
{
    if (src && *src) {
        uint64_t h;
        crypto_generichash((unsigned char *)&h, sizeof h, (const unsigned char *)src, strlen(src), NULL, 0);
        uint32_t j = (uint32_t)(h & (HLL_REGS - 1));
        uint64_t w = h >> 8;       /* 56 bits left */
        uint8_t rho = 1;
        while (rho <= 56 && !(w & 1)) {
            rho++;
            w >>= 1;
        }
        if (rho > reg[j]) reg[j] = rho;
    }
    double sum = 0, m = HLL_REGS;
    unsigned zeros = 0;
    for (uint32_t j = 0; j < HLL_REGS; j++) {
        sum += 1.0 / (double)(1ULL << reg[j]);
        zeros += !reg[j];
    }
    double e = 0.7213 / (1.0 + 1.079 / m) * m * m / sum;
    if (e <= 2.5 * m && zeros) e = m * log(m / zeros); /* small counts: linear counting */
    return (int64_t)(e + 0.5);
}

/* Appends a 32-digit hex id to a comma-separated sample list of at most
 * MAX_SAMPLES; when full the last slot is replaced, so the list keeps the
 * first repeats and the newest one. */
static void sample_add_hex(char *list, size_t cap, const char *hex)
{
    size_t len = strlen(list), n = len ? 1 : 0;
    for (size_t i = 0; i < len; i++) n += list[i] == ',';
    if (n >= MAX_SAMPLES) {
        char *last = strrchr(list, ',');
        if (!last) return;
        len = (size_t)(last - list);
        list[len] = 0;
    }
    if (len + 34 < cap) snprintf(list + len, cap - len, "%s%.32s", len ? "," : "", hex);
}

static void sample_add(char *list, size_t cap, const uint8_t id[16])
{
    char hex[33];
    vg_hex(id, 16, hex);
    sample_add_hex(list, cap, hex);
}

static int next_seq(struct vg__sq *s, uint64_t *out, struct vg_err *err)
{
    struct vg__alerts *al = s->alerts;
    if (!al->next_seq) {
        sqlite3_stmt *st = NULL;
        int src = sqlite3_prepare_v2(s->db, "SELECT coalesce(max(seq), 0) FROM alerts", -1, &st, NULL);
        if (src != SQLITE_OK) return vg__sq_err(s, src, err, "alert seq");
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW) al->next_seq = (uint64_t)sqlite3_column_int64(st, 0) + 1;
        sqlite3_finalize(st);
        if (step != SQLITE_ROW) return vg__sq_err(s, step, err, "alert seq");
    }
    *out = al->next_seq++;
    return 0;
}

static int prep_once(struct vg__sq *s, sqlite3_stmt **st, const char *sql, struct vg_err *err)
{
    if (*st) return 0;
    int src = sqlite3_prepare_v2(s->db, sql, -1, st, NULL);
    return src == SQLITE_OK ? 0 : vg__sq_err(s, src, err, "prepare alert statement");
}

static int step_done(struct vg__sq *s, sqlite3_stmt *st, struct vg_err *err, const char *what)
{
    int step = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return step == SQLITE_DONE ? 0 : vg__sq_err(s, step, err, what);
}

/* Binds ?1..?8 of a repeat-count UPDATE (the aggregate row and the storm
 * row statements share them): count, first, last, the newest of the batch
 * alert's sample ids (the last of its comma-separated list), seq, rowid,
 * key, window start. */
static void bind_repeat(sqlite3_stmt *st, int64_t count, int64_t first, int64_t last, const char *samples,
                        uint64_t seq, int64_t rowid, const uint8_t key[16], int64_t since)
{
    const char *newest = samples[0] ? strrchr(samples, ',') : NULL;
    newest = newest ? newest + 1 : samples;
    sqlite3_bind_int64(st, 1, count);
    sqlite3_bind_int64(st, 2, first);
    sqlite3_bind_int64(st, 3, last);
    sqlite3_bind_text(st, 4, newest, 32, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 5, (int64_t)seq);
    sqlite3_bind_int64(st, 6, rowid);
    sqlite3_bind_blob(st, 7, key, 16, SQLITE_STATIC);
    sqlite3_bind_int64(st, 8, since);
}

/* Counts a (batch-aggregated) alert into the open row of its key within the
 * window, or inserts it. Only events this transaction stored for the first
 * time count, so a re-delivered event never counts twice. */
static int insert_all(struct vg__sq *s, const struct vg_alert *const *a, size_t n, bool aggregate, size_t *stored,
                      struct vg_err *err)
{
    int rc = state(s, err);
    if (rc) return rc;
    struct vg__alerts *al = s->alerts;
    if ((rc = prep_once(s, &al->ins,
                        "INSERT OR IGNORE INTO alerts(id, tenant, ts, created_ns, level, rule_id, title, status, "
                        "event_id, host, user_name, source_ip, json, agg_key, count, first_ns, last_ns, samples, seq, risk, sources, storm) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)",
                        err)) ||
        (rc = prep_once(s, &al->upd,
                        "UPDATE alerts SET count = count + ?1, first_ns = min(first_ns, ?2), last_ns = max(last_ns, ?3), "
                        "samples = CASE WHEN length(samples) < 263 THEN samples || ',' || ?4 "
                        "ELSE substr(samples, 1, 230) || ',' || ?4 END, seq = ?5 "
                        "WHERE rowid = ?6 AND agg_key = ?7 AND status = 'open' AND suppressed = 0 AND last_ns >= ?8",
                        err)) ||
        (rc = prep_once(s, &al->upd_id,
                        "UPDATE alerts SET count = count + ?1, last_ns = max(last_ns, ?3), seq = ?4 WHERE id = ?2", err)) ||
        (rc = prep_once(s, &al->upd_storm,
                        "UPDATE alerts SET count = count + ?1, first_ns = min(first_ns, ?2), last_ns = max(last_ns, ?3), "
                        "samples = CASE WHEN length(samples) < 263 THEN samples || ',' || ?4 "
                        "ELSE substr(samples, 1, 230) || ',' || ?4 END, seq = ?5, sources = max(sources, min(?9, count + ?1)) "
                        "WHERE rowid = ?6 AND agg_key = ?7 AND status = 'open' AND suppressed = 0 AND last_ns >= ?8",
                        err)))
        return rc;
    for (size_t i = 0; i < n; i++) {
        const struct vg_alert *x = a[i];
        if (!x || !x->json || !x->rule_id) return vg_err_set(err, VG_EINVAL, "alert %zu is incomplete", i);
        const char *t = x->tenant && *x->tenant ? x->tenant : "default";
        if (strnlen(t, VG__TENANT_MAX + 1) > VG__TENANT_MAX) return vg_err_set(err, VG_EINVAL, "alert %zu: tenant too long", i);
        /* fresh events among the members, and their sample ids */
        char samples[MAX_SAMPLES * 33 + 8] = "";
        uint32_t count = 0;
        if (x->members && x->nmembers) {
            for (uint32_t k = 0; k < x->nmembers; k++) {
                const struct vg_event *m = x->members[k];
                if (m && is_dup(al, m)) continue;
                count++;
                sample_add(samples, sizeof samples, m ? m->id : x->event_id);
            }
        } else if (!is_dup(al, x->ev)) {
            count = 1;
            sample_add(samples, sizeof samples, x->event_id);
        }
        if (!count) continue;
        int64_t first = x->first_seen ? x->first_seen : x->ts, last = x->last_seen ? x->last_seen : x->ts;
        uint8_t key[16];
        agg_key(x, t, key);
        uint64_t seq = 0;
        if ((rc = next_seq(s, &seq, err))) return rc;
        struct agg_slot *slot = NULL;
        if (aggregate && al->window_ns >= 0) {
            if (!al->cache && !(al->cache = vg_calloc(AGG_SLOTS, sizeof *al->cache)))
                return vg_err_set(err, VG_ENOMEM, "out of memory");
            uint32_t h;
            memcpy(&h, key, sizeof h);
            int64_t since = first > INT64_MIN + al->window_ns ? first - al->window_ns : INT64_MIN;
            struct agg_slot *oldest = NULL;
            for (uint32_t p = 0; p < AGG_PROBE && !slot; p++) {
                struct agg_slot *c = &al->cache[(h + p) & (AGG_SLOTS - 1)];
                if (c->rowid && !memcmp(c->key, key, 16)) slot = c;
                else if (!oldest || !c->rowid || (oldest->rowid && c->last_ns < oldest->last_ns)) oldest = c;
            }
            if (slot && slot->last_ns >= since) {
                bind_repeat(al->upd, count, first, last, samples, seq, slot->rowid, key, since);
                if ((rc = step_done(s, al->upd, err, "count alert repeat"))) return rc;
                if (sqlite3_changes(s->db) == 1) {
                    if (last > slot->last_ns) slot->last_ns = last;
                    continue;
                }
                /* closed, suppressed or outside the window by now: a new row */
            }
            if (!slot) slot = oldest;
        }
        /* a new key: an alert storm of this rule on this host? */
        struct storm_slot *storm = NULL;
        bool storm_row = false;
        int64_t sources = 0;
        if (aggregate && al->window_ns >= 0) {
            if (!al->storms && !(al->storms = vg_calloc(STORM_SLOTS, sizeof *al->storms)))
                return vg_err_set(err, VG_ENOMEM, "out of memory");
            uint8_t sk[16];
            storm_key(x, t, sk);
            uint32_t h;
            memcpy(&h, sk, sizeof h);
            int64_t since = first > INT64_MIN + al->window_ns ? first - al->window_ns : INT64_MIN;
            struct storm_slot *oldest = NULL;
            for (uint32_t p = 0; p < STORM_PROBE && !storm; p++) {
                struct storm_slot *c = &al->storms[(h + p) & (STORM_SLOTS - 1)];
                if (c->used && !memcmp(c->key, sk, 16)) storm = c;
                else if (!oldest || !c->used || (oldest->used && c->last_ns < oldest->last_ns)) oldest = c;
            }
            if (!storm) { /* evict the least recent of the probe run */
                storm = oldest;
                memset(storm, 0, sizeof *storm);
                memcpy(storm->key, sk, 16);
                storm->used = true;
                storm->win_start = first;
            }
            if (storm->win_start < since) { /* the window moved on: count again */
                storm->rows = 0;
                storm->win_start = first;
            }
            if (last > storm->last_ns) storm->last_ns = last;
            if (storm->rowid) {
                uint8_t reg[HLL_REGS];
                memcpy(reg, storm->hll, sizeof reg);
                sources = hll_add(reg, x->source_ip);
                bind_repeat(al->upd_storm, count, first, last, samples, seq, storm->rowid, sk, since);
                sqlite3_bind_int64(al->upd_storm, 9, sources);
                if ((rc = step_done(s, al->upd_storm, err, "count alert storm"))) return rc;
                if (sqlite3_changes(s->db) == 1) {
                    memcpy(storm->hll, reg, sizeof reg); /* only once the row counted it */
                    continue;
                }
                storm->rowid = 0; /* closed, suppressed or outside the window: a new storm row below */
                memset(storm->hll, 0, sizeof storm->hll);
            }
            if (++storm->rows > STORM_ROWS) {
                storm_row = true;
                memcpy(key, sk, 16);
                sources = hll_add(storm->hll, x->source_ip);
            }
        }
        sqlite3_stmt *st = al->ins;
        sqlite3_bind_blob(st, 1, x->id, 16, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, t, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, x->ts);
        sqlite3_bind_int64(st, 4, x->created);
        sqlite3_bind_int(st, 5, x->level);
        sqlite3_bind_text(st, 6, x->rule_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 7, x->title ? x->title : x->rule_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 8, x->status ? x->status : "open", -1, SQLITE_STATIC);
        sqlite3_bind_blob(st, 9, x->event_id, 16, SQLITE_STATIC);
        if (x->host_name) sqlite3_bind_text(st, 10, x->host_name, -1, SQLITE_STATIC); else sqlite3_bind_null(st, 10);
        /* a storm row stands for many users and sources: it names neither */
        if (x->user_name && !storm_row) sqlite3_bind_text(st, 11, x->user_name, -1, SQLITE_STATIC); else sqlite3_bind_null(st, 11);
        if (x->source_ip && !storm_row) sqlite3_bind_text(st, 12, x->source_ip, -1, SQLITE_STATIC); else sqlite3_bind_null(st, 12);
        sqlite3_bind_text(st, 13, x->json, (int)x->json_len, SQLITE_STATIC);
        sqlite3_bind_blob(st, 14, key, 16, SQLITE_STATIC);
        sqlite3_bind_int64(st, 15, count);
        sqlite3_bind_int64(st, 16, first);
        sqlite3_bind_int64(st, 17, last);
        sqlite3_bind_text(st, 18, samples, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 19, (int64_t)seq);
        sqlite3_bind_int(st, 20, vg_alert_risk(x));
        sqlite3_bind_int64(st, 21, storm_row ? (sources < (int64_t)count ? sources : (int64_t)count) : 0); /* never above the events */
        sqlite3_bind_int(st, 22, storm_row);
        if ((rc = step_done(s, st, err, "insert alert"))) return rc;
        int changed = sqlite3_changes(s->db);
        if (stored) *stored += (size_t)changed;
        if (changed && storm_row) {
            storm->rowid = sqlite3_last_insert_rowid(s->db);
        } else if (changed && slot) {
            memcpy(slot->key, key, 16);
            slot->rowid = sqlite3_last_insert_rowid(s->db);
            slot->last_ns = last;
        }
        if (!changed && aggregate) { /* the row of this very alert exists (outside the window, or closed): count there */
            sqlite3_bind_int64(al->upd_id, 1, count);
            sqlite3_bind_blob(al->upd_id, 2, x->id, 16, SQLITE_STATIC);
            sqlite3_bind_int64(al->upd_id, 3, last);
            sqlite3_bind_int64(al->upd_id, 4, (int64_t)seq);
            if ((rc = step_done(s, al->upd_id, err, "count alert repeat"))) return rc;
        }
    }
    return 0;
}

int vg__alerts_flush_staged(struct vg__sq *s, struct vg_err *err)
{
    if (!s->alerts || !s->alerts->nstaged) return 0;
    return insert_all(s, s->alerts->staged, s->alerts->nstaged, true, NULL, err);
}

int vg__alerts_put(struct vg_store *base, const struct vg_alert *const *a, size_t n, size_t *stored, struct vg_err *err)
{
    struct vg__sq *s = (struct vg__sq *)base;
    size_t st_ = 0;
    if (!stored) stored = &st_;
    *stored = 0;
    if (!n) return 0;
    if (!a) return vg_err_set(err, VG_EINVAL, "bad alert array");
    int rc = vg__sq_exec(s, "BEGIN IMMEDIATE", err);
    if (rc) return rc;
    vg__alerts_tx_reset(s);
    rc = insert_all(s, a, n, false, stored, err); /* stand-alone: idempotent by alert id, no aggregation */
    if (rc == 0) rc = vg__sq_exec(s, "COMMIT", err);
    if (rc) {
        if (!sqlite3_get_autocommit(s->db)) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        *stored = 0;
    }
    vg__alerts_tx_reset(s);
    return rc;
}

/* ---- search ------------------------------------------------------------- */
struct aparam {
    int kind;                      /* 1 text, 2 int, 3 real */
    const char *s;
    int64_t i;
    double f;
};

struct acomp {
    struct aparam p[MAX_PARAMS];
    int n;
    struct vg_arena arena;         /* patterns and JSON paths */
    struct vg_err *err;
};

static int pnum(struct acomp *c, struct aparam v, struct vg_buf *o)
{
    if (c->n == MAX_PARAMS) return vg_err_set(c->err, VG_ETOOBIG, "query too complex");
    c->p[c->n++] = v;
    return vg_buf_addf(o, "?%d", c->n);
}

static int ptext(struct acomp *c, const char *s, struct vg_buf *o) { return pnum(c, (struct aparam){1, s, 0, 0}, o); }
static int pint(struct acomp *c, int64_t i, struct vg_buf *o) { return pnum(c, (struct aparam){2, NULL, i, 0}, o); }

/* A wildcard pattern (vg_wildcard_match syntax) for a term's value. */
static const char *pattern(struct acomp *c, const struct vg_qnode *n, bool around)
{
    const char *v = n->value ? n->value : "";
    size_t len = strlen(v);
    char *p = vg_arena_alloc(&c->arena, 2 * len + 3);
    if (!p) return NULL;
    size_t k = 0;
    if (around) p[k++] = '*';
    for (size_t i = 0; i < len; i++) {
        if (!n->has_wildcard && (v[i] == '*' || v[i] == '?' || v[i] == '\\')) p[k++] = '\\';
        p[k++] = v[i];
    }
    if (around) p[k++] = '*';
    p[k] = 0;
    return p;
}

static const char *column_of(const char *f)
{
    static const struct { const char *name, *col; } cols[] = {
        {"rule_id", "rule_id"}, {"rule.id", "rule_id"}, {"title", "title"}, {"rule.title", "title"},
        {"status", "status"}, {"host.name", "host"}, {"user.name", "user_name"}, {"source.ip", "source_ip"},
    };
    for (size_t i = 0; i < VG_ARRAY_LEN(cols); i++)
        if (strcmp(f, cols[i].name) == 0) return cols[i].col;
    return NULL;
}

static const char *array_of(const char *f)
{
    if (!strcmp(f, "tactic") || !strcmp(f, "tactics")) return "$.tactics";
    if (!strcmp(f, "technique") || !strcmp(f, "techniques")) return "$.techniques";
    if (!strcmp(f, "tag") || !strcmp(f, "tags") || !strcmp(f, "rule.tags")) return "$.rule.tags";
    return NULL;
}

/* coalesce(top-level key, matched field, nested path) for any other name. */
static int json_expr(struct acomp *c, const char *f, struct vg_buf *o)
{
    size_t fl = strlen(f);
    for (size_t i = 0; i < fl; i++)
        if (f[i] == '"' || f[i] == '\\' || (unsigned char)f[i] < 0x20)
            return vg_err_set(c->err, VG_EINVAL, "field name '%s' cannot be searched in alerts", f);
    char *top = vg_arena_alloc(&c->arena, fl + 8), *mat = vg_arena_alloc(&c->arena, fl + 16),
         *nest = vg_arena_alloc(&c->arena, 3 * fl + 8);
    if (!top || !mat || !nest) return vg_err_set(c->err, VG_ENOMEM, "out of memory");
    snprintf(top, fl + 8, "$.\"%s\"", f);
    /* "matched.event.action" names the matched field "event.action" */
    snprintf(mat, fl + 16, "$.matched.\"%s\"", strncmp(f, "matched.", 8) == 0 ? f + 8 : f);
    size_t k = 0;
    nest[k++] = '$';
    for (size_t i = 0; i <= fl; i++) {
        if (i == 0 || f[i - 1] == '.') { nest[k++] = '.'; nest[k++] = '"'; }
        if (i == fl || f[i] == '.') { nest[k++] = '"'; if (i == fl) break; continue; }
        nest[k++] = f[i];
    }
    nest[k] = 0;
    int rc = vg_buf_adds(o, "coalesce(json_extract(json, ");
    if (!rc) rc = ptext(c, top, o);
    if (!rc) rc = vg_buf_adds(o, "), json_extract(json, ");
    if (!rc) rc = ptext(c, mat, o);
    if (!rc) rc = vg_buf_adds(o, "), json_extract(json, ");
    if (!rc) rc = ptext(c, nest, o);
    if (!rc) rc = vg_buf_adds(o, "))");
    return rc;
}

/* One predicate on the value expression in `val` (SQL text). */
static int pred(struct acomp *c, const struct vg_qnode *n, const char *val, struct vg_buf *o)
{
    int rc = 0;
    switch (n->op) {
    case VG_QOP_EXISTS: return vg_buf_addf(o, "(%s IS NOT NULL)", val);
    case VG_QOP_EQ:
    case VG_QOP_PHRASE: {
        const char *p = pattern(c, n, false);
        if (!p) return vg_err_set(c->err, VG_ENOMEM, "out of memory");
        rc = vg_buf_addf(o, "coalesce(vg_like(%s, ", val);
        if (!rc) rc = ptext(c, p, o);
        return rc ? rc : vg_buf_adds(o, "), 0)");
    }
    case VG_QOP_CIDR:
        rc = vg_buf_addf(o, "coalesce(vg_cidr(%s, ", val);
        if (!rc) rc = ptext(c, n->value, o);
        return rc ? rc : vg_buf_adds(o, "), 0)");
    default: {
        static const char *ops[] = {[VG_QOP_GT] = ">", [VG_QOP_GTE] = ">=", [VG_QOP_LT] = "<", [VG_QOP_LTE] = "<="};
        char *end = NULL;
        double d = strtod(n->value ? n->value : "", &end);
        if (!n->value || end == n->value || *end) return vg_err_set(c->err, VG_EINVAL, "'%s' is not a number", n->value ? n->value : "");
        rc = vg_buf_addf(o, "(CAST(%s AS REAL) %s ", val, ops[n->op]);
        if (!rc) rc = pnum(c, (struct aparam){3, NULL, 0, d}, o);
        return rc ? rc : vg_buf_addc(o, ')');
    }
    }
}

static int comp(struct acomp *c, const struct vg_qnode *n, struct vg_buf *o, int depth)
{
    if (depth > VG_QUERY_MAX_DEPTH + 2) return vg_err_set(c->err, VG_ETOOBIG, "query nested too deeply");
    int rc;
    switch (n->kind) {
    case VG_Q_ALL: return vg_buf_adds(o, "1");
    case VG_Q_NOT:
        rc = vg_buf_adds(o, "(NOT ");
        if (!rc) rc = comp(c, n->a, o, depth + 1);
        return rc ? rc : vg_buf_addc(o, ')');
    case VG_Q_AND:
    case VG_Q_OR:
        rc = vg_buf_addc(o, '(');
        if (!rc) rc = comp(c, n->a, o, depth + 1);
        if (!rc) rc = vg_buf_adds(o, n->kind == VG_Q_AND ? " AND " : " OR ");
        if (!rc) rc = comp(c, n->b, o, depth + 1);
        return rc ? rc : vg_buf_addc(o, ')');
    case VG_Q_TERM: break;
    }
    if (!n->field) { /* free text: anywhere in the record */
        if (n->op != VG_QOP_EQ && n->op != VG_QOP_PHRASE) return vg_err_set(c->err, VG_EINVAL, "free text must be a word or phrase");
        const char *p = pattern(c, n, true);
        if (!p) return vg_err_set(c->err, VG_ENOMEM, "out of memory");
        rc = vg_buf_adds(o, "vg_like(json, ");
        if (!rc) rc = ptext(c, p, o);
        return rc ? rc : vg_buf_addc(o, ')');
    }
    const char *f = n->field;
    if (!strcmp(f, "tenant")) return vg_err_set(c->err, VG_EINVAL, "the tenant is given by the scope, not the query");
    if (!strcmp(f, "level")) {
        int lv = vg_alert_level_parse(n->value);
        int64_t num = 0;
        if (n->op == VG_QOP_EXISTS) return vg_buf_adds(o, "1");
        if (lv < 0 && (!n->value || vg_parse_i64(n->value, strlen(n->value), &num) != 0))
            return vg_err_set(c->err, VG_EINVAL, "level: '%s' is not a level name or number", n->value ? n->value : "");
        if (lv >= 0) num = lv;
        static const char *ops[] = {[VG_QOP_EQ] = "=", [VG_QOP_PHRASE] = "=", [VG_QOP_GT] = ">", [VG_QOP_GTE] = ">=",
                                    [VG_QOP_LT] = "<", [VG_QOP_LTE] = "<="};
        if (n->op == VG_QOP_CIDR || (n->op == VG_QOP_EQ && n->has_wildcard))
            return vg_err_set(c->err, VG_EINVAL, "level takes a name or a comparison");
        rc = vg_buf_addf(o, "(level %s ", ops[n->op]);
        if (!rc) rc = pint(c, num, o);
        return rc ? rc : vg_buf_addc(o, ')');
    }
    const char *col = column_of(f);
    if (col) return pred(c, n, col, o);
    const char *arr = array_of(f);
    if (arr) {
        rc = vg_buf_adds(o, "EXISTS (SELECT 1 FROM json_each(alerts.json, "); /* json_each has a json column too */
        if (!rc) rc = ptext(c, arr, o);
        if (!rc) rc = vg_buf_adds(o, ") WHERE ");
        if (!rc) rc = pred(c, n, "value", o);
        return rc ? rc : vg_buf_addc(o, ')');
    }
    struct vg_buf e = VG_BUF_INIT;
    rc = json_expr(c, f, &e);
    if (!rc) rc = pred(c, n, e.data, o);
    vg_buf_release(&e);
    return rc;
}

/* WHERE clause of q (without "WHERE"). */
static int where(struct acomp *c, const struct vg_alert_query *q, struct vg_buf *w)
{
    int rc = vg_buf_adds(w, "tenant = ");
    if (!rc) rc = ptext(c, q->tenant && *q->tenant ? q->tenant : "default", w);
    if (!rc && q->since) { rc = vg_buf_adds(w, " AND ts >= "); if (!rc) rc = pint(c, q->since, w); }
    if (!rc && q->until) { rc = vg_buf_adds(w, " AND ts < "); if (!rc) rc = pint(c, q->until, w); }
    if (!rc && q->min_level > 0) { rc = vg_buf_adds(w, " AND level >= "); if (!rc) rc = pint(c, q->min_level, w); }
    if (!rc && q->rule) { rc = vg_buf_adds(w, " AND rule_id = "); if (!rc) rc = ptext(c, q->rule, w); }
    if (!rc && q->status) { rc = vg_buf_adds(w, " AND status = "); if (!rc) rc = ptext(c, q->status, w); }
    if (!rc && q->where && q->where->kind != VG_Q_ALL) {
        rc = vg_buf_adds(w, " AND ");
        if (!rc) rc = comp(c, q->where, w, 0);
    }
    return rc;
}

static void bind(sqlite3_stmt *st, const struct acomp *c)
{
    for (int i = 0; i < c->n; i++) {
        const struct aparam *p = &c->p[i];
        if (p->kind == 1) sqlite3_bind_text(st, i + 1, p->s, -1, SQLITE_STATIC);
        else if (p->kind == 2) sqlite3_bind_int64(st, i + 1, p->i);
        else sqlite3_bind_double(st, i + 1, p->f);
    }
}

static int prepare_query(struct vg__sq *s, struct acomp *c, const struct vg_alert_query *q, const char *head,
                         const char *tail, sqlite3_stmt **st, struct vg_err *err)
{
    struct vg_buf sql = VG_BUF_INIT;
    c->err = err;
    int rc = vg_buf_adds(&sql, head);
    if (!rc) rc = where(c, q, &sql);
    if (rc == VG_ENOMEM && err && !err->msg[0]) vg_err_set(err, rc, "out of memory");
    if (!rc) rc = vg_buf_adds(&sql, tail);
    if (!rc) {
        int src = sqlite3_prepare_v2(s->db, sql.data, -1, st, NULL);
        if (src != SQLITE_OK) rc = vg__sq_err(s, src, err, "alert query");
        else bind(*st, c);
    }
    vg_buf_release(&sql);
    return rc;
}

/* The stored record with the aggregation and incident facts added before
 * its closing brace: "count", "first_seen", "last_seen", "samples" (event
 * ids), "incident" (or null), "suppressed". */
static int splice(struct vg_buf *j, const struct vg_stored_alert *a, const char *samples, int64_t sources, bool storm)
{
    j->len = 0;
    size_t n = a->json_len;
    while (n && a->json[n - 1] != '}') n--;
    if (!n) return vg_buf_add(j, a->json ? a->json : "", a->json_len);
    char f[48], l[48];
    vg_time_format(a->first_ns ? a->first_ns : a->ts, f, sizeof f, 9);
    vg_time_format(a->last_ns ? a->last_ns : a->ts, l, sizeof l, 9);
    int rc = vg_buf_add(j, a->json, n - 1);
    if (!rc) rc = vg_buf_addf(j, ",\"count\":%u,\"first_seen\":\"%s\",\"last_seen\":\"%s\",\"samples\":[", a->count ? a->count : 1,
                              f, l);
    for (const char *p = samples ? samples : ""; !rc && strlen(p) >= 32;) {
        rc = vg_buf_addf(j, "%s\"%.32s\"", p == samples ? "" : ",", p);
        p += 32;
        if (*p == ',') p++;
    }
    if (!rc) rc = vg_buf_adds(j, "],\"incident\":");
    if (!rc) rc = a->incident ? vg_buf_add_json_str(j, a->incident, strlen(a->incident)) : vg_buf_adds(j, "null");
    if (!rc && storm) rc = vg_buf_addf(j, ",\"storm\":true,\"sources\":%lld", (long long)sources);
    if (!rc) rc = vg_buf_addf(j, ",\"suppressed\":%s}", a->suppressed ? "true" : "false");
    return rc;
}

int vg__alerts_search(struct vg_store *base, const struct vg_alert_query *q, vg_store_alert_cb cb, void *ctx,
                      struct vg_err *err)
{
    struct vg__sq *s = (struct vg__sq *)base;
    struct acomp *c = vg_calloc(1, sizeof *c);
    if (!c) return vg_err_set(err, VG_ENOMEM, "out of memory");
    vg_arena_init(&c->arena, 4096);
    size_t limit = q->limit ? q->limit : VG_QUERY_DEFAULT_LIMIT;
    if (limit > VG_QUERY_MAX_LIMIT) limit = VG_QUERY_MAX_LIMIT;
    char tail[128];
    snprintf(tail, sizeof tail, " ORDER BY ts %s, rowid %s LIMIT %zu", q->ascending ? "ASC" : "DESC",
             q->ascending ? "ASC" : "DESC", limit);
    sqlite3_stmt *st = NULL;
    int rc = prepare_query(s, c, q,
                           "SELECT id, ts, level, tenant, rule_id, status, json, count, first_ns, last_ns, samples, incident, "
                           "suppressed, sources, storm FROM alerts WHERE ",
                           tail, &st, err);
    struct vg_buf j = VG_BUF_INIT;
    while (rc == 0) {
        int step = sqlite3_step(st);
        if (step == SQLITE_DONE) break;
        if (step != SQLITE_ROW) { rc = vg__sq_err(s, step, err, "alert search"); break; }
        struct vg_stored_alert a;
        memset(&a, 0, sizeof a);
        const void *id = sqlite3_column_blob(st, 0);
        if (id && sqlite3_column_bytes(st, 0) == 16) memcpy(a.id, id, 16);
        a.ts = sqlite3_column_int64(st, 1);
        a.level = sqlite3_column_int(st, 2);
        a.tenant = (const char *)sqlite3_column_text(st, 3);
        a.rule_id = (const char *)sqlite3_column_text(st, 4);
        a.status = (const char *)sqlite3_column_text(st, 5);
        a.json = (const char *)sqlite3_column_text(st, 6);
        a.json_len = (size_t)sqlite3_column_bytes(st, 6);
        a.count = (uint32_t)sqlite3_column_int64(st, 7);
        a.first_ns = sqlite3_column_int64(st, 8);
        a.last_ns = sqlite3_column_int64(st, 9);
        a.incident = (const char *)sqlite3_column_text(st, 11);
        a.suppressed = sqlite3_column_int(st, 12) != 0;
        if ((rc = splice(&j, &a, (const char *)sqlite3_column_text(st, 10), sqlite3_column_int64(st, 13),
                         sqlite3_column_int(st, 14) != 0))) {
            rc = vg_err_set(err, rc, "out of memory");
            break;
        }
        a.json = j.data;
        a.json_len = j.len;
        int r = cb(ctx, &a);
        if (r) { rc = r; break; }
    }
    sqlite3_finalize(st);
    vg_buf_release(&j);
    vg_arena_release(&c->arena);
    vg_free(c);
    return rc;
}

int vg__alerts_counts(struct vg_store *base, const struct vg_alert_query *q, uint64_t counts[VG_ALERT_NLEVELS],
                      struct vg_err *err)
{
    struct vg__sq *s = (struct vg__sq *)base;
    for (int i = 0; i < VG_ALERT_NLEVELS; i++) counts[i] = 0;
    struct acomp *c = vg_calloc(1, sizeof *c);
    if (!c) return vg_err_set(err, VG_ENOMEM, "out of memory");
    vg_arena_init(&c->arena, 4096);
    sqlite3_stmt *st = NULL;
    int rc = prepare_query(s, c, q, "SELECT level, count(*) FROM alerts WHERE ", " GROUP BY level", &st, err);
    while (rc == 0) {
        int step = sqlite3_step(st);
        if (step == SQLITE_DONE) break;
        if (step != SQLITE_ROW) { rc = vg__sq_err(s, step, err, "alert counts"); break; }
        int lv = sqlite3_column_int(st, 0);
        if (lv >= 0 && lv < VG_ALERT_NLEVELS) counts[lv] = (uint64_t)sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    vg_arena_release(&c->arena);
    vg_free(c);
    return rc;
}
