/* Runtime collectors from <root>/proc: listening sockets (proc/net/tcp,
 * tcp6, udp, udp6: TCP LISTEN and unconnected bound UDP) mapped to their
 * owning process through the socket:[inode] links in proc/<pid>/fd, and the
 * process table (stat, status, cmdline, exe). */
#include "internal.h"
#include <arpa/inet.h>
#include <dirent.h>
#include <unistd.h>

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Parses n hex digits into a 32-bit value. */
static bool hex32(const char *p, size_t n, uint32_t *out)
{
    uint32_t v = 0;
    for (size_t i = 0; i < n; i++) {
        int h = hexval(p[i]);
        if (h < 0) return false;
        v = v << 4 | (uint32_t)h;
    }
    *out = v;
    return true;
}

/* Splits on blanks into at most max tokens. */
static size_t tokens(const char *l, size_t ll, const char **t, size_t *tl, size_t max)
{
    size_t k = 0, i = 0;
    while (i < ll && k < max) {
        while (i < ll && (l[i] == ' ' || l[i] == '\t')) i++;
        if (i >= ll) break;
        size_t st = i;
        while (i < ll && l[i] != ' ' && l[i] != '\t') i++;
        t[k] = l + st;
        tl[k++] = i - st;
    }
    return k;
}

int vg_inv_parse_proc_net(struct vg_inv_snapshot *s, const char *proto, const char *data, size_t n)
{
    bool v6 = strchr(proto, '6') != NULL, udp = proto[0] == 'u';
    const char *p = data, *end = data + n, *l;
    size_t ll;
    int lineno = 0;
    while (vg__inv_next_line(&p, end, &l, &ll)) {
        lineno++;
        const char *t[12];
        size_t tl[12];
        size_t k = tokens(l, ll, t, tl, 12);
        if (k == 0) continue;
        if (lineno == 1 && tl[0] == 2 && memcmp(t[0], "sl", 2) == 0) continue; /* header */
        /* sl local rem st queues tr retrnsmt uid timeout inode */
        const char *colon = k >= 10 ? memchr(t[1], ':', tl[1]) : NULL;
        size_t alen = v6 ? 32 : 8;
        uint32_t st, port, w[4];
        uint64_t inode;
        int64_t uid;
        if (k < 10 || !colon || (size_t)(colon - t[1]) != alen || tl[1] != alen + 5 || !hex32(colon + 1, 4, &port) ||
            tl[3] != 2 || !hex32(t[3], 2, &st) || vg_parse_i64(t[7], tl[7], &uid) ||
            vg_parse_u64(t[9], tl[9], &inode)) {
            vg__inv_issue(s, "proc/net/%s line %d: malformed", proto, lineno);
            continue;
        }
        bool ok = true;
        for (size_t i = 0; i < alen / 8; i++) ok = ok && hex32(t[1] + 8 * i, 8, &w[i]);
        if (!ok) {
            vg__inv_issue(s, "proc/net/%s line %d: bad address", proto, lineno);
            continue;
        }
        /* TCP LISTEN is 0x0A; a bound unconnected UDP socket is 0x07 (CLOSE) */
        if ((!udp && st != 0x0A) || (udp && st != 0x07)) continue;
        /* the kernel prints each 32-bit word in host byte order */
        uint8_t a[16];
        for (size_t i = 0; i < alen / 8; i++) memcpy(a + 4 * i, &w[i], 4); /* host-order words, as printed */
        char txt[INET6_ADDRSTRLEN];
        if (!inet_ntop(v6 ? AF_INET6 : AF_INET, a, txt, sizeof txt)) continue;
        struct vg_inv_port *x = VG__INV_PUSH(s, ports);
        if (!x) break;
        x->proto = vg__inv_str(s, proto);
        x->addr = vg__inv_str(s, txt);
        x->port = (int)port;
        x->inode = inode;
        x->uid = uid;
        x->pid = -1;
        x->process = "";
    }
    return s->oom ? VG_ENOMEM : 0;
}

static bool all_digits(const char *p)
{
    if (!*p) return false;
    for (; *p; p++)
        if (*p < '0' || *p > '9') return false;
    return true;
}

static int port_cmp(const void *a, const void *b)
{
    const struct vg_inv_port *x = a, *y = b;
    int c = strcmp(x->proto, y->proto);
    if (c) return c;
    if (x->port != y->port) return x->port < y->port ? -1 : 1;
    c = strcmp(x->addr, y->addr);
    if (c) return c;
    return x->inode < y->inode ? -1 : x->inode > y->inode;
}

/* comm from proc/<pid>/stat: between the first '(' and the last ')'. */
static const char *comm_of(struct vg_inv_snapshot *s, const char *pid)
{
    char rel[64], *t;
    size_t n;
    snprintf(rel, sizeof rel, "/proc/%s/comm", pid);
    if (vg__inv_read(s, rel, 4096, &t, &n)) return "";
    while (n && t[n - 1] == '\n') n--;
    const char *r = vg__inv_strn(s, t, n);
    vg_free(t);
    return r;
}

int vg_inv_collect_ports(struct vg_inv_snapshot *s, struct vg_err *err)
{
    static const char *const protos[] = {"tcp", "tcp6", "udp", "udp6"};
    (void)err;
    for (size_t i = 0; i < VG_ARRAY_LEN(protos); i++) {
        char rel[64], *t;
        size_t n;
        snprintf(rel, sizeof rel, "/proc/net/%s", protos[i]);
        if (vg__inv_read(s, rel, VG_INV_MAX_FILE, &t, &n)) continue;
        int rc = vg_inv_parse_proc_net(s, protos[i], t, n);
        vg_free(t);
        if (rc) return rc;
    }
    if (!s->nports) return 0;
    if (s->nports > 1) qsort(s->ports, s->nports, sizeof *s->ports, port_cmp);
    /* map socket inodes to pids through proc/<pid>/fd */
    char pp[4096];
    if (!vg__inv_path(s, "/proc", pp, sizeof pp)) return 0;
    DIR *d = opendir(pp);
    struct dirent *de;
    size_t left = s->nports;
    while (d && left && (de = readdir(d))) {
        if (!all_digits(de->d_name)) continue;
        char fdp[4400];
        if (snprintf(fdp, sizeof fdp, "%s/%s/fd", pp, de->d_name) >= (int)sizeof fdp) continue;
        DIR *fd = opendir(fdp);
        if (!fd) continue; /* other users' processes when not root */
        struct dirent *fe;
        size_t nfd = 0;
        while ((fe = readdir(fd)) && nfd++ < 65536) {
            if (fe->d_name[0] == '.') continue;
            char lp[4800], tgt[128];
            if (snprintf(lp, sizeof lp, "%s/%s", fdp, fe->d_name) >= (int)sizeof lp) continue;
            ssize_t r = readlink(lp, tgt, sizeof tgt - 1);
            if (r < 10 || memcmp(tgt, "socket:[", 8) != 0) continue;
            tgt[r] = 0;
            uint64_t ino;
            if (vg_parse_u64(tgt + 8, (size_t)r - 9, &ino)) continue;
            for (size_t k = 0; k < s->nports; k++) {
                struct vg_inv_port *x = &s->ports[k];
                if (x->inode != ino || x->pid >= 0) continue;
                int64_t pid;
                if (vg_parse_i64(de->d_name, strlen(de->d_name), &pid)) continue;
                x->pid = pid;
                x->process = comm_of(s, de->d_name);
                left--;
            }
        }
        closedir(fd);
    }
    if (d) closedir(d);
    return 0;
}

/* ---- processes ----------------------------------------------------------- */

static const char *user_name(struct vg_inv_snapshot *s, int64_t uid)
{
    for (size_t i = 0; i < s->nusers; i++)
        if (s->users[i].uid == uid) return s->users[i].name;
    return "";
}

static int proc_cmp(const void *a, const void *b)
{
    const struct vg_inv_proc *x = a, *y = b;
    return x->pid < y->pid ? -1 : x->pid > y->pid;
}

int vg_inv_collect_procs(struct vg_inv_snapshot *s, struct vg_err *err)
{
    char pp[4096];
    (void)err;
    if (!vg__inv_path(s, "/proc", pp, sizeof pp)) return 0;
    DIR *d = opendir(pp);
    if (!d) return 0;
    long hz = sysconf(_SC_CLK_TCK);
    if (hz <= 0) hz = 100;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!all_digits(de->d_name)) continue;
        char rel[128], *t;
        size_t n;
        snprintf(rel, sizeof rel, "/proc/%.20s/stat", de->d_name);
        if (vg__inv_read(s, rel, 65536, &t, &n)) continue; /* exited meanwhile */
        const char *op = memchr(t, '(', n);
        const char *cp = NULL;
        for (size_t i = n; i > 0; i--)
            if (t[i - 1] == ')') {
                cp = t + i - 1;
                break;
            }
        int64_t pid;
        if (!op || !cp || cp < op || vg_parse_i64(de->d_name, strlen(de->d_name), &pid)) {
            vg__inv_issue(s, "proc/%.20s/stat: malformed", de->d_name);
            vg_free(t);
            continue;
        }
        struct vg_inv_proc *x = VG__INV_PUSH(s, procs);
        if (!x) {
            vg_free(t);
            break;
        }
        x->pid = pid;
        x->uid = -1;
        x->name = vg__inv_strn(s, op + 1, (size_t)(cp - op - 1));
        /* after ") ": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime
         * cstime priority nice threads itreal starttime */
        const char *tk[20];
        size_t tkl[20];
        size_t k = cp + 1 < t + n ? tokens(cp + 1, (size_t)(t + n - cp - 1), tk, tkl, 20) : 0;
        x->state = k > 0 ? vg__inv_strn(s, tk[0], tkl[0]) : "";
        if (k > 1 && vg_parse_i64(tk[1], tkl[1], &x->ppid)) x->ppid = -1;
        int64_t st;
        if (k > 19 && vg_parse_i64(tk[19], tkl[19], &st) == 0 && s->os.boot_time > 0)
            x->start_time = s->os.boot_time + st / hz;
        vg_free(t);
        snprintf(rel, sizeof rel, "/proc/%.20s/status", de->d_name);
        if (vg__inv_read(s, rel, 65536, &t, &n) == 0) {
            const char *q = t, *end = t + n, *l;
            size_t ll;
            while (vg__inv_next_line(&q, end, &l, &ll))
                if (ll > 4 && memcmp(l, "Uid:", 4) == 0) {
                    const char *u[2];
                    size_t ul[2];
                    if (tokens(l + 4, ll - 4, u, ul, 2) >= 1 && vg_parse_i64(u[0], ul[0], &x->uid)) x->uid = -1;
                    break;
                }
            vg_free(t);
        }
        x->user = user_name(s, x->uid);
        snprintf(rel, sizeof rel, "/proc/%.20s/cmdline", de->d_name);
        x->cmdline = "";
        if (vg__inv_read(s, rel, 1u << 20, &t, &n) == 0) {
            size_t m = n > 4096 ? 4096 : n;
            while (m && t[m - 1] == 0) m--;
            for (size_t i = 0; i < m; i++)
                if (t[i] == 0) t[i] = ' ';
            x->cmdline = vg__inv_strn(s, t, m);
            vg_free(t);
        }
        char ep[4200], tgt[4096];
        x->exe = "";
        snprintf(ep, sizeof ep, "%s/%.20s/exe", pp, de->d_name);
        ssize_t r = readlink(ep, tgt, sizeof tgt - 1);
        if (r > 0) x->exe = vg__inv_strn(s, tgt, (size_t)r);
    }
    closedir(d);
    if (s->nprocs > 1) qsort(s->procs, s->nprocs, sizeof *s->procs, proc_cmp);
    return 0;
}
