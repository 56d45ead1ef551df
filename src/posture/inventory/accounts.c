/* Identity collectors: users and groups (etc/passwd, etc/group, etc/shadow
 * with the password state of each account), sudoers (etc/sudoers plus
 * @include/#include and includedir, user specs with NOPASSWD, aliases and
 * Defaults) and SSH authorized keys of every user home (type, SHA256
 * fingerprint of the decoded blob, comment, options). */
#include "internal.h"
#include <dirent.h>
#include <sodium.h>

const char *vg_inv_pw_name(enum vg_inv_pw pw)
{
    static const char *const n[] = {"unknown", "set", "empty", "locked", "disabled", "missing"};
    return (unsigned)pw < VG_ARRAY_LEN(n) ? n[pw] : "unknown";
}

const char *vg_inv_sudo_kind_name(enum vg_inv_sudo_kind k)
{
    static const char *const n[] = {"user_spec", "alias", "defaults", "include"};
    return (unsigned)k < VG_ARRAY_LEN(n) ? n[k] : "unknown";
}

/* Splits a line into at most max ':'-separated fields; returns the count. */
static size_t split_colon(const char *l, size_t ll, const char **f, size_t *fl, size_t max)
{
    size_t k = 0;
    const char *st = l, *end = l + ll;
    for (const char *q = l;; q++) {
        if (q == end || *q == ':') {
            if (k < max) {
                f[k] = st;
                fl[k] = (size_t)(q - st);
            }
            k++;
            if (q == end) break;
            st = q + 1;
        }
    }
    return k;
}

static bool valid_name(const char *p, size_t n)
{
    if (!n || n > 256) return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)p[i] < 0x21 || p[i] == 0x7f || p[i] == ',') return false;
    return true;
}

static enum vg_inv_pw pw_state(const char *h, size_t n)
{
    if (n == 0) return VG_INV_PW_EMPTY;
    if (h[0] == '!') return VG_INV_PW_LOCKED;
    if (h[0] == '*' || n < 13) return VG_INV_PW_DISABLED; /* a crypt hash is at least 13 chars */
    return VG_INV_PW_SET;
}

static bool nologin_shell(const char *sh)
{
    const char *b = strrchr(sh, '/');
    b = b ? b + 1 : sh;
    return !*sh || strcmp(b, "nologin") == 0 || strcmp(b, "false") == 0 || strcmp(b, "sync") == 0 ||
           strcmp(b, "shutdown") == 0 || strcmp(b, "halt") == 0;
}

static int user_cmp(const void *a, const void *b)
{
    return strcmp(((const struct vg_inv_user *)a)->name, ((const struct vg_inv_user *)b)->name);
}
static int group_cmp(const void *a, const void *b)
{
    return strcmp(((const struct vg_inv_group *)a)->name, ((const struct vg_inv_group *)b)->name);
}

static struct vg_inv_user *find_user(struct vg_inv_snapshot *s, const char *name, size_t n)
{
    for (size_t i = 0; i < s->nusers; i++)
        if (strlen(s->users[i].name) == n && memcmp(s->users[i].name, name, n) == 0) return &s->users[i];
    return NULL;
}

/* Sorted, de-duplicated comma-joined copy of a comma list. */
static const char *sort_list(struct vg_inv_snapshot *s, const char *p, size_t n, const char *first)
{
    const char *item[512];
    size_t il[512], k = 0;
    const char *st = p, *end = p + n;
    for (const char *q = p; n && k < 512; q++) {
        if (q == end || *q == ',') {
            if (q > st) {
                item[k] = st;
                il[k++] = (size_t)(q - st);
            }
            if (q == end) break;
            st = q + 1;
        }
    }
    /* insertion sort: lists are short */
    for (size_t i = 1; i < k; i++)
        for (size_t j = i; j > 0; j--) {
            size_t m = il[j] < il[j - 1] ? il[j] : il[j - 1];
            int c = memcmp(item[j], item[j - 1], m);
            if (c > 0 || (c == 0 && il[j] >= il[j - 1])) break;
            const char *t = item[j];
            size_t tl = il[j];
            item[j] = item[j - 1];
            il[j] = il[j - 1];
            item[j - 1] = t;
            il[j - 1] = tl;
        }
    struct vg_buf b = VG_BUF_INIT;
    if (first && *first) vg_buf_adds(&b, first);
    for (size_t i = 0; i < k; i++) {
        if (i && il[i] == il[i - 1] && memcmp(item[i], item[i - 1], il[i]) == 0) continue;
        if (first && strlen(first) == il[i] && memcmp(first, item[i], il[i]) == 0) continue;
        if (b.len) vg_buf_addc(&b, ',');
        vg_buf_add(&b, item[i], il[i]);
    }
    const char *r = b.data ? vg__inv_strn(s, b.data, b.len) : "";
    vg_buf_release(&b);
    return r;
}

int vg_inv_parse_accounts(struct vg_inv_snapshot *s, const char *passwd, size_t npasswd, const char *group,
                          size_t ngroup, const char *shadow, size_t nshadow)
{
    const char *p, *end, *l;
    size_t ll, lineno = 0;
    const char *f[8];
    size_t fl[8];
    size_t first_user = s->nusers;
    for (p = passwd, end = passwd ? passwd + npasswd : NULL; passwd && vg__inv_next_line(&p, end, &l, &ll);) {
        lineno++;
        if (!ll || l[0] == '#' || l[0] == '+' || l[0] == '-') continue; /* NIS compat lines are not accounts */
        int64_t uid, gid;
        if (split_colon(l, ll, f, fl, 8) != 7 || !valid_name(f[0], fl[0]) || vg_parse_i64(f[2], fl[2], &uid) ||
            vg_parse_i64(f[3], fl[3], &gid) || uid < 0 || gid < 0 || uid > UINT32_MAX || gid > UINT32_MAX ||
            memchr(l, 0, ll)) {
            vg__inv_issue(s, "passwd line %zu: malformed", lineno);
            continue;
        }
        if (find_user(s, f[0], fl[0])) {
            vg__inv_issue(s, "passwd line %zu: duplicate user %.*s", lineno, (int)(fl[0] > 64 ? 64 : fl[0]), f[0]);
            continue;
        }
        struct vg_inv_user *u = VG__INV_PUSH(s, users);
        if (!u) break;
        u->name = vg__inv_strn(s, f[0], fl[0]);
        u->uid = uid;
        u->gid = gid;
        u->gecos = vg__inv_strn(s, f[4], fl[4]);
        u->home = vg__inv_strn(s, f[5], fl[5]);
        u->shell = vg__inv_strn(s, f[6], fl[6]);
        u->interactive = !nologin_shell(u->shell);
        u->last_change = -1;
        u->groups = "";
        if (fl[1] == 1 && f[1][0] == 'x') u->pw = shadow ? VG_INV_PW_MISSING : VG_INV_PW_UNKNOWN;
        else u->pw = pw_state(f[1], fl[1]); /* hash (or nothing) right in passwd */
    }
    lineno = 0;
    for (p = shadow, end = shadow ? shadow + nshadow : NULL; shadow && vg__inv_next_line(&p, end, &l, &ll);) {
        lineno++;
        if (!ll || l[0] == '#') continue;
        size_t k = split_colon(l, ll, f, fl, 8);
        if (k < 2 || k > 9 || !valid_name(f[0], fl[0]) || memchr(l, 0, ll)) {
            vg__inv_issue(s, "shadow line %zu: malformed", lineno);
            continue;
        }
        struct vg_inv_user *u = find_user(s, f[0], fl[0]);
        if (!u) continue; /* shadow entry without passwd entry: not an account */
        if (u->pw == VG_INV_PW_MISSING) u->pw = pw_state(f[1], fl[1]);
        int64_t lc;
        if (k > 2 && fl[2] && vg_parse_i64(f[2], fl[2], &lc) == 0) u->last_change = lc;
    }
    /* groups */
    lineno = 0;
    size_t first_group = s->ngroups;
    for (p = group, end = group ? group + ngroup : NULL; group && vg__inv_next_line(&p, end, &l, &ll);) {
        lineno++;
        if (!ll || l[0] == '#' || l[0] == '+' || l[0] == '-') continue;
        int64_t gid;
        if (split_colon(l, ll, f, fl, 8) != 4 || !valid_name(f[0], fl[0]) || vg_parse_i64(f[2], fl[2], &gid) ||
            gid < 0 || gid > UINT32_MAX || memchr(l, 0, ll)) {
            vg__inv_issue(s, "group line %zu: malformed", lineno);
            continue;
        }
        struct vg_inv_group *g = VG__INV_PUSH(s, groups);
        if (!g) break;
        g->name = vg__inv_strn(s, f[0], fl[0]);
        g->gid = gid;
        g->members = sort_list(s, f[3], fl[3], NULL);
    }
    /* each user's groups: primary (by gid) then every group listing them */
    for (size_t i = first_user; i < s->nusers; i++) {
        struct vg_inv_user *u = &s->users[i];
        const char *primary = "";
        struct vg_buf b = VG_BUF_INIT;
        size_t ul = strlen(u->name);
        for (size_t j = first_group; j < s->ngroups; j++) {
            const struct vg_inv_group *g = &s->groups[j];
            if (g->gid == u->gid && !*primary) primary = g->name;
            const char *m = g->members;
            while (*m) {
                const char *c = strchr(m, ',');
                size_t ml = c ? (size_t)(c - m) : strlen(m);
                if (ml == ul && memcmp(m, u->name, ul) == 0) {
                    if (b.len) vg_buf_addc(&b, ',');
                    vg_buf_adds(&b, g->name);
                    break;
                }
                m = c ? c + 1 : m + ml;
            }
        }
        u->groups = sort_list(s, b.data ? b.data : "", b.len, primary);
        vg_buf_release(&b);
    }
    if (s->nusers > 1) qsort(s->users, s->nusers, sizeof *s->users, user_cmp);
    if (s->ngroups > 1) qsort(s->groups, s->ngroups, sizeof *s->groups, group_cmp);
    return s->oom ? VG_ENOMEM : 0;
}

int vg_inv_collect_users(struct vg_inv_snapshot *s, struct vg_err *err)
{
    char *pw = NULL, *gr = NULL, *sh = NULL;
    size_t npw = 0, ngr = 0, nsh = 0;
    int rc = vg__inv_read(s, "/etc/passwd", VG_INV_MAX_FILE, &pw, &npw);
    if (rc && rc != VG_ENOENT) vg__inv_issue(s, "etc/passwd: %s", vg_strerror(rc));
    rc = vg__inv_read(s, "/etc/group", VG_INV_MAX_FILE, &gr, &ngr);
    if (rc && rc != VG_ENOENT) vg__inv_issue(s, "etc/group: %s", vg_strerror(rc));
    rc = vg__inv_read(s, "/etc/shadow", VG_INV_MAX_FILE, &sh, &nsh);
    if (rc && rc != VG_ENOENT) vg__inv_issue(s, "etc/shadow: %s", vg_strerror(rc));
    rc = vg_inv_parse_accounts(s, pw, npw, gr, ngr, sh, nsh);
    vg_free(pw);
    vg_free(gr);
    vg_free(sh);
    if (rc) return vg_err_set(err, rc, "accounts: %s", vg_strerror(rc));
    return 0;
}

/* ---- sudoers ----------------------------------------------------------- */

static void collapse(struct vg_buf *b, const char *p, size_t n)
{
    bool sp = false;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c == ' ' || c == '\t' || c == '\r') {
            sp = b->len > 0;
            continue;
        }
        if (sp) vg_buf_addc(b, ' ');
        sp = false;
        vg_buf_addc(b, c);
    }
}

static const char *trimmed(struct vg_inv_snapshot *s, const char *p, size_t n)
{
    while (n && (*p == ' ' || *p == '\t')) p++, n--;
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t')) n--;
    return vg__inv_strn(s, p, n);
}

static int sudo_include(struct vg_inv_snapshot *s, const char *from, const char *arg, bool dir, int depth);

/* One logical line (continuations joined, comment stripped). */
static void sudo_line(struct vg_inv_snapshot *s, const char *file, int lineno, const char *t, size_t n, int depth)
{
    while (n && (*t == ' ' || *t == '\t')) t++, n--;
    while (n && (t[n - 1] == ' ' || t[n - 1] == '\t' || t[n - 1] == '\r')) n--;
    if (!n) return;
    struct vg_buf tx = VG_BUF_INIT;
    collapse(&tx, t, n);
    if (!tx.data) {
        s->oom = true;
        return;
    }
    const char *x = tx.data;
    size_t xl = tx.len;
    struct vg_inv_sudo *e = NULL;
    bool inc = false, incdir = false;
    size_t skip = 0;
    if (xl > 12 && (memcmp(x, "#includedir ", 12) == 0 || memcmp(x, "@includedir ", 12) == 0)) incdir = true, skip = 12;
    else if (xl > 9 && (memcmp(x, "#include ", 9) == 0 || memcmp(x, "@include ", 9) == 0)) inc = true, skip = 9;
    if (inc || incdir) {
        e = VG__INV_PUSH(s, sudo);
        if (e) {
            e->kind = VG_INV_SUDO_INCLUDE;
            e->principal = vg__inv_strn(s, x + skip, xl - skip);
            e->hosts = e->runas = e->commands = "";
        }
        if (e && depth + 1 < VG_INV_MAX_INCLUDE) sudo_include(s, file, e->principal, incdir, depth + 1);
        else if (e) vg__inv_issue(s, "%s:%d: include depth limit", file, lineno);
    } else if (x[0] == '#') {
        goto out; /* a comment */
    } else if (xl > 8 && memcmp(x, "Defaults", 8) == 0) {
        e = VG__INV_PUSH(s, sudo);
        if (e) {
            e->kind = VG_INV_SUDO_DEFAULTS;
            const char *sp = memchr(x, ' ', xl);
            e->principal = vg__inv_strn(s, x, sp ? (size_t)(sp - x) : xl);
            e->commands = sp ? vg__inv_strn(s, sp + 1, xl - (size_t)(sp + 1 - x)) : "";
            e->hosts = e->runas = "";
        }
    } else if ((xl > 11 && (memcmp(x, "User_Alias ", 11) == 0 || memcmp(x, "Host_Alias ", 11) == 0 ||
                            memcmp(x, "Cmnd_Alias ", 11) == 0)) ||
               (xl > 12 && memcmp(x, "Runas_Alias ", 12) == 0) ||
               (xl > 10 && memcmp(x, "Cmd_Alias ", 10) == 0)) {
        const char *sp = memchr(x, ' ', xl);
        const char *eq = memchr(x, '=', xl);
        e = VG__INV_PUSH(s, sudo);
        if (e) {
            e->kind = VG_INV_SUDO_ALIAS;
            e->runas = vg__inv_strn(s, x, (size_t)(sp - x)); /* alias type */
            e->principal = eq ? trimmed(s, sp + 1, (size_t)(eq - sp - 1)) : trimmed(s, sp + 1, xl - (size_t)(sp + 1 - x));
            e->commands = eq ? trimmed(s, eq + 1, xl - (size_t)(eq + 1 - x)) : "";
            e->hosts = "";
            if (!eq) vg__inv_issue(s, "%s:%d: alias without '='", file, lineno);
        }
    } else {
        /* user_list host_list = [(runas)] [TAG:]... commands [: host_list = ...] */
        const char *eq = memchr(x, '=', xl);
        if (!eq) {
            vg__inv_issue(s, "%s:%d: not a sudoers line", file, lineno);
            goto out;
        }
        /* user list ends at the first blank not after a comma */
        size_t i = 0;
        while (i < (size_t)(eq - x)) {
            if (x[i] == ' ' && !(i > 0 && x[i - 1] == ',') && !(i + 1 < xl && x[i + 1] == ',')) break;
            i++;
        }
        if (i >= (size_t)(eq - x)) {
            vg__inv_issue(s, "%s:%d: user specification without host list", file, lineno);
            goto out;
        }
        const char *users = x;
        size_t ul = i;
        const char *hosts = x + i + 1;
        size_t hl = (size_t)(eq - hosts);
        const char *r = eq + 1;
        size_t rl = xl - (size_t)(r - x);
        while (rl && *r == ' ') r++, rl--;
        const char *runas = "";
        size_t runl = 0;
        if (rl && *r == '(') {
            const char *cp = memchr(r, ')', rl);
            if (!cp) {
                vg__inv_issue(s, "%s:%d: unterminated runas list", file, lineno);
                goto out;
            }
            runas = r + 1;
            runl = (size_t)(cp - r - 1);
            rl -= (size_t)(cp + 1 - r);
            r = cp + 1;
            while (rl && *r == ' ') r++, rl--;
        }
        bool nopw = false;
        /* tags: UPPERCASE words ending in ':' */
        for (;;) {
            size_t k = 0;
            while (k < rl && ((r[k] >= 'A' && r[k] <= 'Z') || r[k] == '_')) k++;
            if (k == 0 || k >= rl || r[k] != ':') break;
            if (k == 8 && memcmp(r, "NOPASSWD", 8) == 0) nopw = true;
            if (k == 6 && memcmp(r, "PASSWD", 6) == 0) nopw = false;
            r += k + 1;
            rl -= k + 1;
            while (rl && *r == ' ') r++, rl--;
        }
        /* one entry per user in the user list */
        const char *st = users;
        for (const char *q = users;; q++) {
            if (q == users + ul || *q == ',') {
                const char *a = st;
                size_t al = (size_t)(q - st);
                while (al && *a == ' ') a++, al--;
                while (al && a[al - 1] == ' ') al--;
                if (al) {
                    e = VG__INV_PUSH(s, sudo);
                    if (!e) break;
                    e->kind = VG_INV_SUDO_USER;
                    e->principal = vg__inv_strn(s, a, al);
                    e->hosts = trimmed(s, hosts, hl);
                    e->runas = vg__inv_strn(s, runas, runl);
                    e->commands = trimmed(s, r, rl);
                    e->nopasswd = nopw;
                    e->file = vg__inv_str(s, file);
                    e->line = lineno;
                    e->text = vg__inv_strn(s, x, xl);
                }
                if (q == users + ul) break;
                st = q + 1;
            }
        }
        e = NULL;
    }
    if (e) {
        e->file = vg__inv_str(s, file);
        e->line = lineno;
        e->text = vg__inv_strn(s, x, xl);
    }
out:
    vg_buf_release(&tx);
}

int vg_inv_parse_sudoers(struct vg_inv_snapshot *s, const char *file, const char *data, size_t n, int depth)
{
    const char *p = data, *end = data + n, *l;
    size_t ll;
    int lineno = 0, start = 0;
    struct vg_buf acc = VG_BUF_INIT;
    acc.cap_limit = 1 << 20;
    while (vg__inv_next_line(&p, end, &l, &ll)) {
        lineno++;
        if (memchr(l, 0, ll)) {
            vg__inv_issue(s, "%s:%d: NUL byte", file, lineno);
            continue;
        }
        if (!acc.len) start = lineno;
        /* strip comments: '#' not starting an include and not "#<digits>" (a uid) */
        size_t cut = ll;
        for (size_t i = 0; i < ll; i++) {
            if (l[i] != '#') continue;
            size_t k = i;
            while (k > 0 && (l[k - 1] == ' ' || l[k - 1] == '\t')) k--;
            bool at_start = k == 0 && acc.len == 0;
            if (at_start && (ll - i >= 8 && memcmp(l + i, "#include", 8) == 0)) break;
            if (i + 1 < ll && l[i + 1] >= '0' && l[i + 1] <= '9' && !at_start) continue;
            cut = i;
            break;
        }
        bool cont = cut > 0 && l[cut - 1] == '\\' && cut == ll;
        if (vg_buf_add(&acc, l, cont ? cut - 1 : cut)) {
            vg__inv_issue(s, "%s:%d: logical line too long", file, lineno);
            vg_buf_reset(&acc);
            continue;
        }
        if (cont) {
            vg_buf_addc(&acc, ' ');
            continue;
        }
        if (acc.len) sudo_line(s, file, start, acc.data, acc.len, depth);
        acc.len = 0;
        if (acc.data) acc.data[0] = 0;
    }
    if (acc.len) sudo_line(s, file, start, acc.data, acc.len, depth);
    vg_buf_release(&acc);
    return s->oom ? VG_ENOMEM : 0;
}

static int sudo_file(struct vg_inv_snapshot *s, const char *rel, int depth)
{
    char *t;
    size_t n;
    int rc = vg__inv_read(s, rel, VG_INV_MAX_FILE, &t, &n);
    if (rc) {
        if (rc != VG_ENOENT || depth > 0) vg__inv_issue(s, "%s: %s", rel, vg_strerror(rc));
        return 0;
    }
    rc = vg_inv_parse_sudoers(s, rel, t, n, depth);
    vg_free(t);
    return rc;
}

static int sudo_include(struct vg_inv_snapshot *s, const char *from, const char *arg, bool dir, int depth)
{
    char rel[2048];
    const char *a = arg;
    size_t al = strlen(a);
    if (al >= 2 && a[0] == '"' && a[al - 1] == '"') a++, al -= 2;
    if (!al) return 0;
    if (a[0] == '/') {
        snprintf(rel, sizeof rel, "%.*s", (int)al, a);
    } else { /* relative to the including file's directory */
        const char *sl = strrchr(from, '/');
        snprintf(rel, sizeof rel, "%.*s/%.*s", sl ? (int)(sl - from) : 0, from, (int)al, a);
    }
    if (strstr(rel, "%h")) return 0; /* per-host includes need the host name: not followed */
    if (!dir) return sudo_file(s, rel, depth);
    char p[4096];
    if (!vg__inv_path(s, rel, p, sizeof p)) return 0;
    DIR *d = opendir(p);
    if (!d) return 0;
    char *names[1024];
    size_t nn = 0;
    struct dirent *de;
    while ((de = readdir(d)) && nn < VG_ARRAY_LEN(names)) {
        const char *nm = de->d_name;
        size_t l = strlen(nm);
        /* sudo skips names ending in '~' or containing '.' */
        if (!l || nm[l - 1] == '~' || strchr(nm, '.')) continue;
        names[nn] = vg_strdup(nm);
        if (names[nn]) nn++;
    }
    closedir(d);
    if (nn > 1) qsort(names, nn, sizeof *names, vg__inv_cmp_str);
    int rc = 0;
    for (size_t i = 0; i < nn; i++) {
        char f[3072];
        snprintf(f, sizeof f, "%s/%s", rel, names[i]);
        if (!rc) rc = sudo_file(s, f, depth);
        vg_free(names[i]);
    }
    return rc;
}

int vg_inv_collect_sudo(struct vg_inv_snapshot *s, struct vg_err *err)
{
    int rc = sudo_file(s, "/etc/sudoers", 0);
    if (rc) return vg_err_set(err, rc, "sudoers: %s", vg_strerror(rc));
    return 0;
}

/* ---- authorized keys ---------------------------------------------------- */

static bool key_type(const char *p, size_t n)
{
    static const char *const t[] = {"ssh-rsa", "ssh-dss", "ssh-ed25519", "ssh-ed448", "ecdsa-sha2-nistp256",
                                    "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "sk-ssh-ed25519@openssh.com",
                                    "sk-ecdsa-sha2-nistp256@openssh.com"};
    for (size_t i = 0; i < VG_ARRAY_LEN(t); i++)
        if (strlen(t[i]) == n && memcmp(t[i], p, n) == 0) return true;
    /* certificates: <type>-cert-v01@openssh.com */
    return n > 21 && memcmp(p + n - 21, "-cert-v01@openssh.com", 21) == 0;
}

int vg_inv_parse_authorized_keys(struct vg_inv_snapshot *s, const char *user, const char *file, const char *data,
                                 size_t n)
{
    const char *p = data, *end = data + n, *l;
    size_t ll;
    int lineno = 0;
    while (vg__inv_next_line(&p, end, &l, &ll)) {
        lineno++;
        while (ll && (*l == ' ' || *l == '\t')) l++, ll--;
        while (ll && (l[ll - 1] == '\r' || l[ll - 1] == ' ')) ll--;
        if (!ll || *l == '#') continue;
        if (ll > 16384 || memchr(l, 0, ll)) {
            vg__inv_issue(s, "%s:%d: malformed key line", file, lineno);
            continue;
        }
        const char *opt = "";
        size_t optl = 0, i = 0;
        size_t tl = 0;
        while (tl < ll && l[tl] != ' ' && l[tl] != '\t') tl++;
        if (!key_type(l, tl)) {
            /* options: up to the first blank outside double quotes */
            bool q = false;
            for (i = 0; i < ll; i++) {
                if (l[i] == '\\' && q && i + 1 < ll) {
                    i++;
                    continue;
                }
                if (l[i] == '"') q = !q;
                else if (!q && (l[i] == ' ' || l[i] == '\t')) break;
            }
            if (q || i >= ll) {
                vg__inv_issue(s, "%s:%d: bad options or no key", file, lineno);
                continue;
            }
            opt = l;
            optl = i;
            while (i < ll && (l[i] == ' ' || l[i] == '\t')) i++;
            tl = 0;
            while (i + tl < ll && l[i + tl] != ' ' && l[i + tl] != '\t') tl++;
            if (!key_type(l + i, tl)) {
                vg__inv_issue(s, "%s:%d: unknown key type", file, lineno);
                continue;
            }
        }
        const char *type = l + i;
        size_t j = i + tl;
        while (j < ll && (l[j] == ' ' || l[j] == '\t')) j++;
        size_t bl = 0;
        while (j + bl < ll && l[j + bl] != ' ' && l[j + bl] != '\t') bl++;
        const char *b64 = l + j;
        size_t k = j + bl;
        while (k < ll && (l[k] == ' ' || l[k] == '\t')) k++;
        uint8_t *blob = vg_malloc(bl + 1);
        size_t blen = 0;
        if (!blob) {
            s->oom = true;
            return VG_ENOMEM;
        }
        if (!bl || sodium_base642bin(blob, bl + 1, b64, bl, NULL, &blen, NULL, sodium_base64_VARIANT_ORIGINAL) ||
            blen < 4) {
            vg_free(blob);
            vg__inv_issue(s, "%s:%d: key is not valid base64", file, lineno);
            continue;
        }
        /* the blob starts with the key type as an SSH string */
        uint32_t sl = (uint32_t)blob[0] << 24 | (uint32_t)blob[1] << 16 | (uint32_t)blob[2] << 8 | blob[3];
        bool match = sl == tl && 4 + (size_t)sl <= blen && memcmp(blob + 4, type, tl) == 0;
        uint8_t h[crypto_hash_sha256_BYTES];
        crypto_hash_sha256(h, blob, blen);
        vg_free(blob);
        if (!match) {
            vg__inv_issue(s, "%s:%d: key blob type does not match %.*s", file, lineno, (int)(tl > 40 ? 40 : tl), type);
            continue;
        }
        char fp[64];
        sodium_bin2base64(fp, sizeof fp, h, sizeof h, sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
        struct vg_inv_key *x = VG__INV_PUSH(s, keys);
        if (!x) break;
        x->user = vg__inv_str(s, user);
        x->file = vg__inv_str(s, file);
        x->line = lineno;
        x->type = vg__inv_strn(s, type, tl);
        x->fingerprint = vg__inv_strf(s, "SHA256:%s", fp);
        x->comment = vg__inv_strn(s, l + k, ll - k);
        x->options = vg__inv_strn(s, opt, optl);
    }
    return s->oom ? VG_ENOMEM : 0;
}

int vg_inv_collect_keys(struct vg_inv_snapshot *s, struct vg_err *err)
{
    static const char *const files[] = {".ssh/authorized_keys", ".ssh/authorized_keys2"};
    for (size_t i = 0; i < s->nusers; i++) {
        const struct vg_inv_user *u = &s->users[i];
        if (u->home[0] != '/' || strcmp(u->home, "/") == 0 || strcmp(u->home, "/nonexistent") == 0) continue;
        /* skip a home shared with an earlier user (e.g. many daemons in /var/lib) */
        bool dup = false;
        for (size_t j = 0; j < i && !dup; j++) dup = strcmp(s->users[j].home, u->home) == 0;
        if (dup) continue;
        for (size_t f = 0; f < VG_ARRAY_LEN(files); f++) {
            char rel[2048], *t;
            size_t n;
            snprintf(rel, sizeof rel, "%s/%s", u->home, files[f]);
            int rc = vg__inv_read(s, rel, 4u << 20, &t, &n);
            if (rc) {
                if (rc != VG_ENOENT && rc != VG_EPERM) vg__inv_issue(s, "%s: %s", rel, vg_strerror(rc));
                continue;
            }
            rc = vg_inv_parse_authorized_keys(s, u->name, rel, t, n);
            vg_free(t);
            if (rc) return vg_err_set(err, rc, "authorized keys: %s", vg_strerror(rc));
        }
    }
    return 0;
}
