/* FIM scanning and baselines: stat + SHA-256 (OpenSSL) of every entry
 * under the configured paths (lstat only: symlinks are recorded with the
 * hash of their target text, never followed, so loops cannot recurse),
 * ignore globs, the sorted baseline, the diff of two baselines, the
 * compact baseline file, and change -> event/JSON. Hashing uses OpenSSL EVP. */
#include "vigil/fim.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <grp.h>
#include <pwd.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

void vg_fim_baseline_free(struct vg_fim_baseline *b)
{
    if (!b) return;
    for (size_t i = 0; i < b->n; i++) vg_free(b->e[i].path);
    vg_free(b->e);
    vg_free(b);
}

bool vg_fim_ignored(const struct vg_fim_config *cfg, const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    for (size_t i = 0; i < cfg->nignore; i++)
        if (fnmatch(cfg->ignore[i], path, 0) == 0 || fnmatch(cfg->ignore[i], base, 0) == 0) return true;
    return false;
}

/* SHA-256 through OpenSSL EVP: it uses the CPU's SHA extensions where
 * present (about 30x libsodium's portable code on this machine). */
static int hash_fd(int fd, uint8_t out[32])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int rc = 0;
    if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        rc = VG_ENOMEM;
        goto out;
    }
    uint8_t buf[65536];
    for (;;) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r < 0) {
            if (errno == EINTR) continue;
            rc = VG_EIO;
            goto out;
        }
        if (r == 0) break;
        if (EVP_DigestUpdate(ctx, buf, (size_t)r) != 1) {
            rc = VG_EIO;
            goto out;
        }
    }
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(ctx, out, &len) != 1 || len != 32) rc = VG_EIO;
out:
    EVP_MD_CTX_free(ctx);
    return rc;
}

int vg_fim_stat(const struct vg_fim_config *cfg, const char *path, struct vg_fim_entry *e)
{
    memset(e, 0, sizeof *e);
    struct stat st;
    if (lstat(path, &st) != 0) return errno == ENOENT || errno == ENOTDIR ? VG_ENOENT : VG_EIO;
    e->type = S_ISREG(st.st_mode) ? 'f' : S_ISDIR(st.st_mode) ? 'd' : S_ISLNK(st.st_mode) ? 'l' : 'o';
    e->mode = (uint32_t)st.st_mode & 07777;
    e->uid = st.st_uid;
    e->gid = st.st_gid;
    e->size = (uint64_t)st.st_size;
    e->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
    uint64_t maxh = cfg->max_hash_size ? cfg->max_hash_size : (64u << 20);
    if (e->type == 'f' && e->size <= maxh) {
        int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (fd >= 0) {
            struct stat st2;
            /* still the same regular file we stat'ed */
            if (fstat(fd, &st2) == 0 && S_ISREG(st2.st_mode) && st2.st_ino == st.st_ino && hash_fd(fd, e->sha256) == 0)
                e->hashed = true;
            close(fd);
        }
    } else if (e->type == 'l') {
        char tgt[VG_FIM_MAX_PATH];
        ssize_t r = readlink(path, tgt, sizeof tgt);
        unsigned int len = 0;
        if (r >= 0 && EVP_Digest(tgt, (size_t)r, e->sha256, &len, EVP_sha256(), NULL) == 1 && len == 32)
            e->hashed = true;
    }
    e->path = vg_strdup(path);
    return e->path ? 0 : VG_ENOMEM;
}

struct scan {
    const struct vg_fim_config *cfg;
    struct vg_fim_baseline *b;
    size_t max;
    int rc;
};

static void push(struct scan *s, struct vg_fim_entry *e)
{
    struct vg_fim_baseline *b = s->b;
    if (b->n >= s->max) {
        b->truncated = true;
        vg_free(e->path);
        return;
    }
    if (b->n == b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 64;
        void *ne = vg_realloc(b->e, nc * sizeof *b->e);
        if (!ne) {
            s->rc = VG_ENOMEM;
            vg_free(e->path);
            return;
        }
        b->e = ne;
        b->cap = nc;
    }
    b->e[b->n++] = *e;
}

static void walk(struct scan *s, const char *path, int depth)
{
    if (s->rc || s->b->truncated) return;
    if (vg_fim_ignored(s->cfg, path)) return;
    struct vg_fim_entry e;
    int rc = vg_fim_stat(s->cfg, path, &e);
    if (rc == VG_ENOENT) return;
    if (rc) {
        if (rc == VG_ENOMEM) s->rc = rc;
        s->b->errors++;
        return;
    }
    char type = e.type;
    push(s, &e);
    if (type != 'd' || (depth > 0 && !s->cfg->recursive)) return;
    if (depth >= VG_FIM_MAX_DEPTH) {
        s->b->errors++;
        return;
    }
    DIR *d = opendir(path);
    if (!d) {
        s->b->errors++;
        return;
    }
    struct dirent *de;
    while ((de = readdir(d)) && !s->rc) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
        char p[VG_FIM_MAX_PATH];
        if (snprintf(p, sizeof p, "%s%s%s", path, path[strlen(path) - 1] == '/' ? "" : "/", de->d_name) >=
            (int)sizeof p) {
            s->b->errors++;
            continue;
        }
        walk(s, p, depth + 1);
    }
    closedir(d);
}

static int ent_cmp(const void *a, const void *b)
{
    return strcmp(((const struct vg_fim_entry *)a)->path, ((const struct vg_fim_entry *)b)->path);
}

int vg_fim_scan(const struct vg_fim_config *cfg, struct vg_fim_baseline **out, struct vg_err *err)
{
    *out = NULL;
    if (!cfg || !cfg->npaths) return vg_err_set(err, VG_EINVAL, "no paths to scan");
    struct vg_fim_baseline *b = vg_calloc(1, sizeof *b);
    if (!b) return vg_err_set(err, VG_ENOMEM, "out of memory");
    struct scan s = {cfg, b, cfg->max_entries ? cfg->max_entries : VG_FIM_MAX_ENTRIES, 0};
    for (size_t i = 0; i < cfg->npaths && !s.rc; i++) {
        if (!cfg->paths[i] || cfg->paths[i][0] != '/') {
            s.rc = vg_err_set(err, VG_EINVAL, "FIM path must be absolute: %s", cfg->paths[i] ? cfg->paths[i] : "");
            break;
        }
        walk(&s, cfg->paths[i], 0);
    }
    if (s.rc) {
        vg_fim_baseline_free(b);
        return s.rc == VG_ENOMEM ? vg_err_set(err, VG_ENOMEM, "out of memory scanning") : s.rc;
    }
    if (b->n > 1) qsort(b->e, b->n, sizeof *b->e, ent_cmp);
    /* overlapping configured paths: drop duplicates */
    size_t k = 0;
    for (size_t i = 0; i < b->n; i++) {
        if (k && strcmp(b->e[k - 1].path, b->e[i].path) == 0) {
            vg_free(b->e[i].path);
            continue;
        }
        b->e[k++] = b->e[i];
    }
    b->n = k;
    *out = b;
    return 0;
}

unsigned vg_fim_compare(const struct vg_fim_entry *a, const struct vg_fim_entry *b)
{
    unsigned w = 0;
    if (a->type != b->type) w |= VG_FIM_CH_TYPE;
    if (a->hashed != b->hashed || (a->hashed && memcmp(a->sha256, b->sha256, 32) != 0)) w |= VG_FIM_CH_CONTENT;
    if (a->mode != b->mode) w |= VG_FIM_CH_MODE;
    if (a->uid != b->uid || a->gid != b->gid) w |= VG_FIM_CH_OWNER;
    if (a->size != b->size) w |= VG_FIM_CH_SIZE;
    if (a->mtime_ns != b->mtime_ns) w |= VG_FIM_CH_MTIME;
    /* a directory's size and mtime move with its entries: those show up as their own events */
    if (a->type == 'd' && b->type == 'd') w &= ~(VG_FIM_CH_SIZE | VG_FIM_CH_MTIME);
    return w;
}

int vg_fim_diff(const struct vg_fim_baseline *old, const struct vg_fim_baseline *cur, vg_fim_change_fn fn, void *ud)
{
    size_t i = 0, j = 0, na = old ? old->n : 0, nb = cur ? cur->n : 0;
    while (i < na || j < nb) {
        const struct vg_fim_entry *x = i < na ? &old->e[i] : NULL, *y = j < nb ? &cur->e[j] : NULL;
        int c = !x ? 1 : !y ? -1 : strcmp(x->path, y->path);
        struct vg_fim_change ch = {NULL, NULL, NULL, NULL, 0};
        if (c < 0) {
            ch = (struct vg_fim_change){"file_deleted", x->path, x, NULL, 0};
            i++;
        } else if (c > 0) {
            ch = (struct vg_fim_change){"file_created", y->path, NULL, y, 0};
            j++;
        } else {
            unsigned w = vg_fim_compare(x, y);
            i++;
            j++;
            if (!w) continue;
            bool content = w & (VG_FIM_CH_CONTENT | VG_FIM_CH_SIZE | VG_FIM_CH_TYPE);
            ch = (struct vg_fim_change){content ? "file_modified" : "file_attributes_changed", y->path, x, y, w};
            /* an mtime-only change (touch) counts as an attribute change */
        }
        int rc = fn(ud, &ch);
        if (rc) return rc;
    }
    return 0;
}

/* ---- baseline file ---- */

static int esc_path(struct vg_buf *b, const char *p)
{
    int rc = 0;
    for (; *p && !rc; p++) {
        if (*p == '\t') rc = vg_buf_adds(b, "\\t");
        else if (*p == '\n') rc = vg_buf_adds(b, "\\n");
        else if (*p == '\\') rc = vg_buf_adds(b, "\\\\");
        else rc = vg_buf_addc(b, *p);
    }
    return rc;
}

int vg_fim_baseline_save(const struct vg_fim_baseline *b, const char *path, struct vg_err *err)
{
    struct vg_buf out = VG_BUF_INIT;
    out.cap_limit = (size_t)1 << 30;
    int rc = vg_buf_adds(&out, "vigil-fim 1\n");
    for (size_t i = 0; i < b->n && !rc; i++) {
        const struct vg_fim_entry *e = &b->e[i];
        char hex[65] = "-";
        if (e->hashed) vg_hex(e->sha256, 32, hex);
        rc = esc_path(&out, e->path);
        if (!rc)
            rc = vg_buf_addf(&out, "\t%c\t%o\t%u\t%u\t%llu\t%lld\t%s\n", e->type, e->mode, e->uid, e->gid,
                             (unsigned long long)e->size, (long long)e->mtime_ns, hex);
    }
    if (rc) {
        vg_buf_release(&out);
        return vg_err_set(err, rc, "baseline too large");
    }
    char tmp[VG_FIM_MAX_PATH + 8];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "we");
    if (!f) {
        vg_buf_release(&out);
        return vg_err_set(err, VG_EIO, "cannot write %s: %s", tmp, strerror(errno));
    }
    bool ok = fwrite(out.data, 1, out.len, f) == out.len;
    ok = (fflush(f) == 0) && ok;
    ok = (fsync(fileno(f)) == 0) && ok;
    ok = (fclose(f) == 0) && ok;
    vg_buf_release(&out);
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return vg_err_set(err, VG_EIO, "cannot write %s", path);
    }
    return 0;
}

static int tab_fields(const char *l, size_t ll, const char **f, size_t *fl, size_t max)
{
    size_t k = 0;
    const char *st = l;
    for (const char *q = l;; q++) {
        if (q == l + ll || *q == '\t') {
            if (k >= max) return -1;
            f[k] = st;
            fl[k++] = (size_t)(q - st);
            if (q == l + ll) break;
            st = q + 1;
        }
    }
    return (int)k;
}

int vg_fim_baseline_load_mem(const char *data, size_t n, struct vg_fim_baseline **out, struct vg_err *err)
{
    *out = NULL;
    static const char hdr[] = "vigil-fim 1\n";
    if (n < sizeof hdr - 1 || memcmp(data, hdr, sizeof hdr - 1) != 0)
        return vg_err_set(err, VG_EPARSE, "not a vigil FIM baseline (header \"vigil-fim 1\")");
    struct vg_fim_baseline *b = vg_calloc(1, sizeof *b);
    if (!b) return vg_err_set(err, VG_ENOMEM, "out of memory");
    int rc = 0, lineno = 1;
    const char *p = data + sizeof hdr - 1, *end = data + n;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *l = p;
        size_t ll = (size_t)((nl ? nl : end) - p);
        p = nl ? nl + 1 : end;
        lineno++;
        if (!ll) continue;
        const char *f[9];
        size_t fl[9];
        uint64_t mode, uid, gid, size;
        int64_t mt;
        struct vg_fim_entry e;
        memset(&e, 0, sizeof e);
        if (tab_fields(l, ll, f, fl, 9) != 8 || fl[1] != 1 || !strchr("fdlo", f[1][0]) || !fl[0] ||
            fl[0] >= VG_FIM_MAX_PATH || vg_parse_u64(f[3], fl[3], &uid) || vg_parse_u64(f[4], fl[4], &gid) ||
            vg_parse_u64(f[5], fl[5], &size) || vg_parse_i64(f[6], fl[6], &mt) || uid > UINT32_MAX ||
            gid > UINT32_MAX || !(fl[7] == 1 ? f[7][0] == '-' : fl[7] == 64) || memchr(l, 0, ll)) {
            rc = vg_err_set(err, VG_EPARSE, "baseline line %d: malformed", lineno);
            break;
        }
        mode = 0;
        bool okm = fl[2] > 0 && fl[2] <= 5;
        for (size_t i = 0; okm && i < fl[2]; i++) {
            okm = f[2][i] >= '0' && f[2][i] <= '7';
            mode = mode * 8 + (uint64_t)(f[2][i] - '0');
        }
        if (!okm || mode > 07777) {
            rc = vg_err_set(err, VG_EPARSE, "baseline line %d: bad mode", lineno);
            break;
        }
        if (fl[7] == 64) {
            for (size_t i = 0; i < 32; i++) {
                int hi = -1, lo = -1;
                char c1 = f[7][2 * i], c2 = f[7][2 * i + 1];
                hi = c1 >= '0' && c1 <= '9' ? c1 - '0' : c1 >= 'a' && c1 <= 'f' ? c1 - 'a' + 10 : -1;
                lo = c2 >= '0' && c2 <= '9' ? c2 - '0' : c2 >= 'a' && c2 <= 'f' ? c2 - 'a' + 10 : -1;
                if (hi < 0 || lo < 0) {
                    rc = vg_err_set(err, VG_EPARSE, "baseline line %d: bad hash", lineno);
                    break;
                }
                e.sha256[i] = (uint8_t)(hi << 4 | lo);
            }
            if (rc) break;
            e.hashed = true;
        }
        /* unescape the path */
        char *path = vg_malloc(fl[0] + 1);
        if (!path) {
            rc = vg_err_set(err, VG_ENOMEM, "out of memory");
            break;
        }
        size_t k = 0;
        bool bad = false;
        for (size_t i = 0; i < fl[0]; i++) {
            char c = f[0][i];
            if (c == '\\') {
                if (++i >= fl[0]) { bad = true; break; }
                c = f[0][i] == 't' ? '\t' : f[0][i] == 'n' ? '\n' : f[0][i] == '\\' ? '\\' : 0;
                if (!c) { bad = true; break; }
            }
            path[k++] = c;
        }
        path[k] = 0;
        if (bad || path[0] != '/' || (b->n && strcmp(b->e[b->n - 1].path, path) >= 0)) {
            vg_free(path);
            rc = vg_err_set(err, VG_EPARSE, "baseline line %d: bad path (escape, not absolute or out of order)", lineno);
            break;
        }
        e.path = path;
        e.type = f[1][0];
        e.mode = (uint32_t)mode;
        e.uid = (uint32_t)uid;
        e.gid = (uint32_t)gid;
        e.size = size;
        e.mtime_ns = mt;
        if (b->n >= VG_FIM_MAX_ENTRIES) {
            vg_free(path);
            rc = vg_err_set(err, VG_ETOOBIG, "baseline over %d entries", VG_FIM_MAX_ENTRIES);
            break;
        }
        if (b->n == b->cap) {
            size_t nc = b->cap ? b->cap * 2 : 64;
            void *ne = vg_realloc(b->e, nc * sizeof *b->e);
            if (!ne) {
                vg_free(path);
                rc = vg_err_set(err, VG_ENOMEM, "out of memory");
                break;
            }
            b->e = ne;
            b->cap = nc;
        }
        b->e[b->n++] = e;
    }
    if (rc) {
        vg_fim_baseline_free(b);
        return rc;
    }
    *out = b;
    return 0;
}

int vg_fim_baseline_load(const char *path, struct vg_fim_baseline **out, struct vg_err *err)
{
    *out = NULL;
    FILE *f = fopen(path, "re");
    if (!f) return vg_err_set(err, errno == ENOENT ? VG_ENOENT : VG_EIO, "cannot open %s: %s", path, strerror(errno));
    struct vg_buf b = VG_BUF_INIT;
    b.cap_limit = (size_t)1 << 30;
    char tmp[65536];
    size_t r;
    int rc = 0;
    while ((r = fread(tmp, 1, sizeof tmp, f)) > 0)
        if ((rc = vg_buf_add(&b, tmp, r))) break;
    bool ferr = ferror(f);
    fclose(f);
    if (rc || ferr) {
        vg_buf_release(&b);
        return vg_err_set(err, rc ? rc : VG_EIO, "cannot read %s", path);
    }
    rc = vg_fim_baseline_load_mem(b.data ? b.data : "", b.len, out, err);
    vg_buf_release(&b);
    return rc;
}

/* ---- events ---- */

struct side {
    char hash[65], mode[8], uid[16], gid[16], size[24], mtime[48], type[2];
    char owner[256], group[256];
};

static void side_of(const struct vg_fim_entry *e, struct side *s)
{
    memset(s, 0, sizeof *s);
    if (!e) return;
    if (e->hashed) vg_hex(e->sha256, 32, s->hash);
    snprintf(s->mode, sizeof s->mode, "%04o", e->mode);
    snprintf(s->uid, sizeof s->uid, "%u", e->uid);
    snprintf(s->gid, sizeof s->gid, "%u", e->gid);
    snprintf(s->size, sizeof s->size, "%llu", (unsigned long long)e->size);
    vg_time_format(e->mtime_ns, s->mtime, sizeof s->mtime, 9);
    s->type[0] = e->type;
    struct passwd pw, *pr = NULL;
    struct group gr, *gp = NULL;
    char buf[4096];
    if (getpwuid_r(e->uid, &pw, buf, sizeof buf, &pr) == 0 && pr) snprintf(s->owner, sizeof s->owner, "%s", pr->pw_name);
    if (getgrgid_r(e->gid, &gr, buf, sizeof buf, &gp) == 0 && gp) snprintf(s->group, sizeof s->group, "%s", gp->gr_name);
}

static const char *type_name(char t)
{
    return t == 'f' ? "file" : t == 'd' ? "dir" : t == 'l' ? "symlink" : "other";
}

static const char *const ch_names[] = {"content", "mode", "owner", "size", "mtime", "type"};

/* Emits name/value pairs through cb: shared by the JSON and event writers. */
typedef int (*kv_fn)(void *ud, const char *name, const char *value, bool num);
static int fim_fields(const struct vg_fim_change *c, kv_fn cb, void *ud)
{
    struct side b, a;
    side_of(c->before, &b);
    side_of(c->after, &a);
    const struct side *now = c->after ? &a : &b;
    const struct vg_fim_entry *ne = c->after ? c->after : c->before;
    const char *type = !c->before ? "creation" : !c->after ? "deletion" : "change";
    const char *base = strrchr(c->path, '/');
    char dir[VG_FIM_MAX_PATH];
    snprintf(dir, sizeof dir, "%.*s", base ? (int)(base - c->path) : 0, c->path);
    if (!dir[0]) snprintf(dir, sizeof dir, "/");
    int rc = 0;
#define KV(n, v, num) if (!rc) rc = cb(ud, n, v, num)
    KV("event.kind", "event", false);
    KV("event.module", "fim", false);
    KV("event.dataset", "fim.change", false);
    KV("event.category", "file", false);
    KV("event.type", type, false);
    KV("event.action", c->action, false);
    KV("file.path", c->path, false);
    KV("file.name", base ? base + 1 : c->path, false);
    KV("file.directory", dir, false);
    KV("file.type", type_name(ne->type), false);
    if (now->hash[0]) KV("file.hash.sha256", now->hash, false);
    KV("file.mode", now->mode, false);
    KV("file.uid", now->uid, true);
    KV("file.gid", now->gid, true);
    if (now->owner[0]) KV("file.owner", now->owner, false);
    if (now->group[0]) KV("file.group", now->group, false);
    KV("file.size", now->size, true);
    KV("file.mtime", now->mtime, false);
    static const char *const pre[] = {"vigil.fim.before.", "vigil.fim.after."};
    for (int k = 0; k < 2; k++) {
        const struct side *sd = k ? &a : &b;
        if (!(k ? c->after : c->before)) continue;
        char n[64];
#define SD(f, v, num)                                   \
    do {                                                \
        snprintf(n, sizeof n, "%s%s", pre[k], f);       \
        if ((v)[0]) KV(n, v, num);                      \
    } while (0)
        SD("hash.sha256", sd->hash, false);
        SD("mode", sd->mode, false);
        SD("uid", sd->uid, true);
        SD("gid", sd->gid, true);
        SD("owner", sd->owner, false);
        SD("group", sd->group, false);
        SD("size", sd->size, true);
        SD("mtime", sd->mtime, false);
#undef SD
    }
    char changed[128] = "";
    for (size_t i = 0; i < VG_ARRAY_LEN(ch_names); i++)
        if (c->what & (1u << i))
            snprintf(changed + strlen(changed), sizeof changed - strlen(changed), "%s%s", changed[0] ? "," : "",
                     ch_names[i]);
    if (changed[0]) KV("vigil.fim.changed", changed, false);
#undef KV
    return rc;
}

static int json_kv(void *ud, const char *name, const char *value, bool num)
{
    struct vg_buf *b = ud;
    int rc = vg_buf_addc(b, b->len > 1 ? ',' : ' ');
    rc |= vg_buf_add_json_str(b, name, strlen(name));
    rc |= vg_buf_addc(b, ':');
    if (num) rc |= vg_buf_adds(b, value);
    else rc |= vg_buf_add_json_str(b, value, strlen(value));
    return rc ? VG_ENOMEM : 0;
}

int vg_fim_change_json(const struct vg_fim_change *c, const char *host, struct vg_buf *out)
{
    size_t start = out->len;
    struct vg_buf tmp = VG_BUF_INIT;
    int rc = vg_buf_addc(&tmp, '{');
    if (!rc && host) rc = json_kv(&tmp, "host.name", host, false);
    if (!rc) rc = fim_fields(c, json_kv, &tmp);
    if (!rc) rc = vg_buf_addc(&tmp, '}');
    if (!rc) rc = vg_buf_add(out, tmp.data, tmp.len);
    vg_buf_release(&tmp);
    (void)start;
    return rc;
}

static int ev_kv(void *ud, const char *name, const char *value, bool num)
{
    struct vg_event *ev = ud;
    uint32_t id = vg_fid(name, strlen(name));
    if (id == UINT32_MAX) return VG_EINVAL;
    int64_t v;
    if (num && vg_parse_i64(value, strlen(value), &v) == 0) return vg_event_add_int(ev, id, VG_FF_ECS, v);
    return vg_event_add_str_copy(ev, id, VG_FF_ECS, value, strlen(value));
}

int vg_fim_change_to_event(const struct vg_fim_change *c, const char *host, int64_t ts, struct vg_event *ev)
{
    struct vg_buf raw = VG_BUF_INIT;
    int rc = vg_fim_change_json(c, host, &raw);
    if (!rc) rc = vg_event_set_raw(ev, raw.data, raw.len);
    vg_buf_release(&raw);
    if (rc) return rc;
    ev->ts = ev->recv_ts = ts;
    ev->tenant = "default";
    ev->collector = "fim";
    ev->format = "fim";
    ev->host = host ? vg_arena_strndup(ev->arena, host, strlen(host)) : "";
    if (!ev->host) return VG_ENOMEM;
    if (host && (rc = ev_kv(ev, "host.name", host, false))) return rc;
    rc = fim_fields(c, ev_kv, ev);
    if (!rc) vg_event_finish(ev);
    return rc;
}
