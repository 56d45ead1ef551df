/* The advisory database: a flat array of (source package, advisory) entries
 * for one Debian release, kept sorted by source package so the matcher finds
 * a package's advisories by binary search. Also the release and urgency
 * vocabularies, file reading with size caps, and format detection for
 * vg_vuln_db_load_file. The importers are tracker.c and osv.c. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct { int num; const char *name; } releases[] = {
    {5, "lenny"}, {6, "squeeze"}, {7, "wheezy"}, {8, "jessie"}, {9, "stretch"}, {10, "buster"},
    {11, "bullseye"}, {12, "bookworm"}, {13, "trixie"}, {14, "forky"}, {15, "duke"},
};

int vg__vuln_relnum(const char *codename)
{
    for (size_t i = 0; i < VG_ARRAY_LEN(releases); i++)
        if (strcmp(releases[i].name, codename) == 0) return releases[i].num;
    return 0;
}

struct vg_vuln_db *vg_vuln_db_new(const char *release)
{
    if (!release || !*release) release = "bookworm";
    size_t n = strlen(release);
    if (n > 32) return NULL;
    bool digits = true;
    for (size_t i = 0; i < n; i++) {
        char c = release[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return NULL;
        if (c < '0' || c > '9') digits = false;
    }
    struct vg_vuln_db *db = vg_calloc(1, sizeof *db);
    if (!db) return NULL;
    vg_arena_init(&db->arena, 1u << 20);
    snprintf(db->release, sizeof db->release, "%s", release);
    if (digits) {
        int64_t num = 0;
        if (vg_parse_i64(release, n, &num) == 0 && num > 0 && num < 1000) db->relnum = (int)num;
        for (size_t i = 0; i < VG_ARRAY_LEN(releases); i++)
            if (releases[i].num == db->relnum) snprintf(db->release, sizeof db->release, "%s", releases[i].name);
    } else {
        db->relnum = vg__vuln_relnum(release);
    }
    return db;
}

void vg_vuln_db_free(struct vg_vuln_db *db)
{
    if (!db) return;
    vg_free(db->a);
    vg_arena_release(&db->arena);
    vg_free(db);
}

const char *vg_vuln_db_release(const struct vg_vuln_db *db) { return db->release; }
size_t vg_vuln_db_count(const struct vg_vuln_db *db) { return db->n; }
const struct vg_advisory *vg_vuln_db_get(const struct vg_vuln_db *db, size_t i) { return i < db->n ? &db->a[i] : NULL; }

const char *vg_vuln_status_name(enum vg_vuln_status s)
{
    static const char *const n[] = {"resolved", "open", "undetermined", "not-affected"};
    return (unsigned)s < VG_ARRAY_LEN(n) ? n[s] : "unknown";
}

const char *vg_vuln_urgency_name(enum vg_vuln_urgency u)
{
    static const char *const n[] = {"not yet assigned", "end-of-life", "unimportant", "low", "medium", "high", "critical"};
    return (unsigned)u < VG_ARRAY_LEN(n) ? n[u] : "not yet assigned";
}

enum vg_vuln_urgency vg_vuln_urgency_parse(const char *s)
{
    static const struct { const char *w; enum vg_vuln_urgency u; } words[] = {
        {"unimportant", VG_URG_UNIMPORTANT}, {"negligible", VG_URG_UNIMPORTANT}, {"low", VG_URG_LOW},
        {"medium", VG_URG_MEDIUM}, {"moderate", VG_URG_MEDIUM}, {"high", VG_URG_HIGH},
        {"important", VG_URG_HIGH}, {"critical", VG_URG_CRITICAL}, {"end-of-life", VG_URG_END_OF_LIFE},
        {"not yet assigned", VG_URG_UNASSIGNED},
    };
    if (!s) return VG_URG_UNASSIGNED;
    size_t n = strlen(s);
    while (n && (s[n - 1] == '*' || s[n - 1] == ' ')) n--; /* "medium**": urgency derived, not set */
    for (size_t i = 0; i < VG_ARRAY_LEN(words); i++)
        if (strlen(words[i].w) == n && vg_strncasecmp_ascii(s, words[i].w, n) == 0) return words[i].u;
    return VG_URG_UNASSIGNED;
}

bool vg__vuln_valid_source(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 256) return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        bool al = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (!al && (i == 0 || (c != '+' && c != '-' && c != '.' && c != '_'))) return false;
    }
    return true;
}

bool vg__vuln_valid_id(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 96) return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || strchr("._:+-", c)))
            return false;
    }
    return true;
}

void vg__vuln_invalid(struct vg_vuln_load_report *rep, const char *fmt, ...)
{
    rep->invalid++;
    if (rep->nissues >= VG_VULN_MAX_ISSUES) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rep->issues[rep->nissues++], sizeof rep->issues[0], fmt, ap);
    va_end(ap);
}

/* Interns strings that repeat across entries (source names, releases,
 * urgencies) by comparing with the previous entry's. */
static const char *keep(struct vg_vuln_db *db, const char *s, const char *prev)
{
    if (!s || !*s) return "";
    if (prev && strcmp(prev, s) == 0) return prev;
    return vg_arena_strndup(&db->arena, s, strlen(s));
}

int vg__vuln_add(struct vg_vuln_db *db, const struct vg_advisory *t, struct vg_vuln_load_report *rep)
{
    if (db->n >= VG_VULN_MAX_ADVISORIES) return VG_ETOOBIG;
    if (db->n == db->cap) {
        size_t nc = db->cap ? db->cap * 2 : 1024;
        struct vg_advisory *na = vg_realloc(db->a, nc * sizeof *na);
        if (!na) return VG_ENOMEM;
        db->a = na;
        db->cap = nc;
    }
    const struct vg_advisory *prev = db->n ? &db->a[db->n - 1] : NULL;
    struct vg_advisory a = *t;
    a.source = keep(db, t->source, prev ? prev->source : NULL);
    a.id = keep(db, t->id, prev ? prev->id : NULL);
    a.cve = t->cve == t->id ? a.id : keep(db, t->cve, prev ? prev->cve : NULL);
    a.release = keep(db, t->release, db->release);
    a.introduced = keep(db, t->introduced, NULL);
    a.fixed = keep(db, t->fixed, prev ? prev->fixed : NULL);
    a.last_affected = keep(db, t->last_affected, NULL);
    a.urgency = keep(db, t->urgency, prev ? prev->urgency : NULL);
    if (!a.source || !a.id || !a.cve || !a.release || !a.introduced || !a.fixed || !a.last_affected || !a.urgency)
        return VG_ENOMEM;
    a.seq = db->next_seq++;
    db->a[db->n++] = a;
    if (rep) rep->kept++;
    return 0;
}

static int cmp_adv(const void *x, const void *y)
{
    const struct vg_advisory *a = x, *b = y;
    int c = strcmp(a->source, b->source);
    if (c) return c;
    if ((c = strcmp(a->cve, b->cve))) return c;
    if (a->origin != b->origin) return a->origin < b->origin ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

void vg__vuln_sort(struct vg_vuln_db *db)
{
    if (db->n > 1) qsort(db->a, db->n, sizeof *db->a, cmp_adv);
}

size_t vg_vuln_db_lookup(const struct vg_vuln_db *db, const char *source, size_t *first)
{
    size_t lo = 0, hi = db->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(db->a[mid].source, source) < 0) lo = mid + 1;
        else hi = mid;
    }
    size_t end = lo;
    while (end < db->n && strcmp(db->a[end].source, source) == 0) end++;
    *first = lo;
    return end - lo;
}

static int cmp_ver(const char *s, const struct vg_dpkg_version *v)
{
    struct vg_dpkg_version x;
    if (vg_dpkg_version_parse(s, strlen(s), &x, 0, NULL) != 0) return 0;
    return vg_dpkg_version_compare(v, &x);
}

bool vg_vuln_affects(const struct vg_advisory *a, const struct vg_dpkg_version *v)
{
    if (a->status == VG_VULN_NOT_AFFECTED) return false;
    if (a->introduced[0] && cmp_ver(a->introduced, v) < 0) return false;
    if (a->last_affected[0] && cmp_ver(a->last_affected, v) > 0) return false;
    if (a->fixed[0]) return cmp_ver(a->fixed, v) < 0;
    return true;
}

/* ---- files ------------------------------------------------------------- */

static int read_file(const char *path, size_t cap, char **out, size_t *outn, struct vg_err *err)
{
    int rc = 0;
    char *buf = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return vg_err_set(err, errno == ENOENT ? VG_ENOENT : VG_EIO, "%s: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) { rc = vg_err_set(err, VG_EIO, "%s: not a regular file", path); goto out; }
    if ((uint64_t)sb.st_size > cap) {
        rc = vg_err_set(err, VG_ETOOBIG, "%s: %lld bytes, more than the %zu byte cap", path, (long long)sb.st_size, cap);
        goto out;
    }
    size_t n = (size_t)sb.st_size, got = 0;
    buf = vg_malloc(n + 1);
    if (!buf) { rc = vg_err_set(err, VG_ENOMEM, "%s: out of memory", path); goto out; }
    while (got < n) {
        ssize_t k = read(fd, buf + got, n - got);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) { rc = vg_err_set(err, VG_EIO, "%s: read: %s", path, strerror(errno)); goto out; }
        if (k == 0) break;
        got += (size_t)k;
    }
    buf[got] = 0;
    *out = buf;
    *outn = got;
    buf = NULL;
out:
    vg_free(buf);
    close(fd);
    return rc;
}

/* OSV when the data is an array, or an object whose first key is an OSV field. */
static bool looks_osv(const char *data, size_t n)
{
    static const char *const keys[] = {"id", "schema_version", "modified", "published", "withdrawn", "aliases",
                                       "related", "upstream", "summary", "details", "severity", "affected",
                                       "references", "credits", "database_specific"};
    struct vg__jscan js;
    vg__js_init(&js, data, n, "", NULL);
    bool osv = false;
    int t = vg__js_next(&js);
    if (t == VG__J_ARR) osv = true;
    else if (t == VG__J_OBJ) {
        bool first = true;
        if (vg__js_key(&js, &first) == 1 && js.s.data)
            for (size_t i = 0; i < VG_ARRAY_LEN(keys); i++)
                if (strcmp(js.s.data, keys[i]) == 0) osv = true;
    }
    vg__js_release(&js);
    return osv;
}

int vg_vuln_db_load_file(struct vg_vuln_db *db, const char *path, struct vg_vuln_load_report *rep, struct vg_err *err)
{
    char *data = NULL;
    size_t n = 0;
    int rc = read_file(path, VG_VULN_MAX_FILE, &data, &n, err);
    if (rc) return rc;
    if (looks_osv(data, n)) {
        if (n > VG_VULN_MAX_OSV_FILE)
            rc = vg_err_set(err, VG_ETOOBIG, "%s: OSV file of %zu bytes, more than the %u byte cap", path, n,
                            VG_VULN_MAX_OSV_FILE);
        else
            rc = vg_vuln_db_load_osv_mem(db, data, n, path, rep, err);
    } else {
        rc = vg_vuln_db_load_tracker_mem(db, data, n, path, rep, err);
    }
    vg_free(data);
    return rc;
}
