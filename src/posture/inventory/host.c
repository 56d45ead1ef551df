/* Host collectors: OS identity (os-release, kernel from uname on the live
 * root or <root>/proc/sys/kernel, hostname, boot time from <root>/proc/stat),
 * network interfaces (<root>/sys/class/net, <root>/proc/net/if_inet6 and, on
 * the live root, getifaddrs for IPv4) and packages (the dpkg status parser of
 * vigil/pkg.h; rpm databases are detected, not read). */
#include "internal.h"
#include "vigil/pkg.h"
#include <arpa/inet.h>
#include <dirent.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/utsname.h>

/* Value of KEY= in an os-release text, unquoted; "" when absent. */
static const char *osrel_get(struct vg_inv_snapshot *s, const char *text, size_t n, const char *key)
{
    size_t kl = strlen(key);
    const char *p = text, *end = text + n, *l;
    size_t ll;
    while (vg__inv_next_line(&p, end, &l, &ll)) {
        if (ll <= kl || memcmp(l, key, kl) != 0 || l[kl] != '=') continue;
        const char *v = l + kl + 1;
        size_t vl = ll - kl - 1;
        while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\r')) vl--;
        if (vl >= 2 && (v[0] == '"' || v[0] == '\'') && v[vl - 1] == v[0]) {
            v++;
            vl -= 2;
        }
        return vg__inv_strn(s, v, vl);
    }
    return "";
}

static const char *read_trim(struct vg_inv_snapshot *s, const char *rel)
{
    char *t;
    size_t n;
    if (vg__inv_read(s, rel, 65536, &t, &n)) return "";
    while (n && (t[n - 1] == '\n' || t[n - 1] == ' ' || t[n - 1] == '\r')) n--;
    const char *r = vg__inv_strn(s, t, n);
    vg_free(t);
    return r;
}

int vg_inv_collect_os(struct vg_inv_snapshot *s, struct vg_err *err)
{
    char *t = NULL;
    size_t n = 0;
    if (vg__inv_read(s, "/etc/os-release", 65536, &t, &n) && vg__inv_read(s, "/usr/lib/os-release", 65536, &t, &n))
        vg__inv_issue(s, "no readable os-release");
    if (t) {
        s->os.os_id = osrel_get(s, t, n, "ID");
        s->os.os_name = osrel_get(s, t, n, "NAME");
        s->os.os_version = osrel_get(s, t, n, "VERSION");
        s->os.os_version_id = osrel_get(s, t, n, "VERSION_ID");
        s->os.os_codename = osrel_get(s, t, n, "VERSION_CODENAME");
        s->os.os_pretty = osrel_get(s, t, n, "PRETTY_NAME");
        vg_free(t);
    }
    struct utsname u;
    if (s->live && uname(&u) == 0) {
        s->os.kernel_name = vg__inv_str(s, u.sysname);
        s->os.kernel_release = vg__inv_str(s, u.release);
        s->os.kernel_version = vg__inv_str(s, u.version);
        s->os.machine = vg__inv_str(s, u.machine);
        s->os.hostname = vg__inv_str(s, u.nodename);
    } else {
        s->os.kernel_name = read_trim(s, "/proc/sys/kernel/ostype");
        s->os.kernel_release = read_trim(s, "/proc/sys/kernel/osrelease");
        s->os.kernel_version = read_trim(s, "/proc/sys/kernel/version");
        s->os.hostname = read_trim(s, "/proc/sys/kernel/hostname");
    }
    if (!*s->os.hostname) s->os.hostname = read_trim(s, "/etc/hostname");
    if (vg__inv_read(s, "/proc/stat", VG_INV_MAX_FILE, &t, &n) == 0) {
        const char *p = t, *end = t + n, *l;
        size_t ll;
        while (vg__inv_next_line(&p, end, &l, &ll))
            if (ll > 6 && memcmp(l, "btime ", 6) == 0 && vg_parse_i64(l + 6, ll - 6, &s->os.boot_time))
                vg__inv_issue(s, "proc/stat: bad btime");
        vg_free(t);
    }
    (void)err;
    return 0;
}

/* ---- interfaces -------------------------------------------------------- */

static int iface_cmp(const void *a, const void *b)
{
    return strcmp(((const struct vg_inv_iface *)a)->name, ((const struct vg_inv_iface *)b)->name);
}

static struct vg_inv_iface *iface_get(struct vg_inv_snapshot *s, const char *name)
{
    for (size_t i = 0; i < s->nifaces; i++)
        if (strcmp(s->ifaces[i].name, name) == 0) return &s->ifaces[i];
    struct vg_inv_iface *f = VG__INV_PUSH(s, ifaces);
    if (!f) return NULL;
    f->name = vg__inv_str(s, name);
    f->mac = f->state = f->addrs = "";
    f->mtu = -1;
    return f;
}

/* Address lists are gathered as arrays of strings then joined sorted. */
struct addr_acc { char *addr[64]; size_t n; };

static void acc_add(struct addr_acc *a, const char *txt)
{
    if (a->n < VG_ARRAY_LEN(a->addr)) a->addr[a->n++] = vg_strdup(txt);
}

int vg_inv_collect_ifaces(struct vg_inv_snapshot *s, struct vg_err *err)
{
    char p[4096];
    (void)err;
    if (vg__inv_path(s, "/sys/class/net", p, sizeof p)) {
        DIR *d = opendir(p);
        struct dirent *de;
        while (d && (de = readdir(d))) {
            if (de->d_name[0] == '.') continue;
            struct vg_inv_iface *f = iface_get(s, de->d_name);
            if (!f) break;
            char rel[512];
            snprintf(rel, sizeof rel, "/sys/class/net/%s/address", de->d_name);
            f->mac = read_trim(s, rel);
            snprintf(rel, sizeof rel, "/sys/class/net/%s/operstate", de->d_name);
            f->state = read_trim(s, rel);
            snprintf(rel, sizeof rel, "/sys/class/net/%s/mtu", de->d_name);
            const char *m = read_trim(s, rel);
            if (*m && vg_parse_i64(m, strlen(m), &f->mtu)) f->mtu = -1;
        }
        if (d) closedir(d);
    }
    /* addresses per interface name, up to 64 each */
    size_t cap = 256;
    char **names = vg_calloc(cap, sizeof *names);
    struct addr_acc *acc = vg_calloc(cap, sizeof *acc);
    size_t nn = 0;
    if (!names || !acc) {
        vg_free(names);
        vg_free(acc);
        s->oom = true;
        return 0;
    }
#define ACC(name, txt)                                                             \
    do {                                                                           \
        size_t k_;                                                                 \
        for (k_ = 0; k_ < nn && strcmp(names[k_], (name)) != 0; k_++) {}           \
        if (k_ == nn && nn < cap && (names[nn] = vg_strdup(name)) != NULL) nn++;   \
        if (k_ < nn) acc_add(&acc[k_], (txt));                                     \
    } while (0)
    char *t;
    size_t n;
    if (vg__inv_read(s, "/proc/net/if_inet6", VG_INV_MAX_FILE, &t, &n) == 0) {
        /* "fe800000000000000000000000000001 02 40 20 80     eth0" */
        const char *q = t, *end = t + n, *l;
        size_t ll;
        while (vg__inv_next_line(&q, end, &l, &ll)) {
            char line[256], hex[33], name[IFNAMSIZ + 8];
            unsigned idx, plen, scope, flags;
            if (!ll) continue;
            if (ll >= sizeof line || (snprintf(line, sizeof line, "%.*s", (int)ll, l),
                                      sscanf(line, "%32s %x %x %x %x %23s", hex, &idx, &plen, &scope, &flags, name) != 6) ||
                strlen(hex) != 32 || plen > 128) {
                vg__inv_issue(s, "proc/net/if_inet6: malformed line");
                continue;
            }
            uint8_t a[16];
            bool ok = true;
            for (int i = 0; i < 16 && ok; i++) {
                unsigned v;
                ok = sscanf(hex + 2 * i, "%2x", &v) == 1;
                a[i] = (uint8_t)v;
            }
            char txt[INET6_ADDRSTRLEN + 8];
            if (!ok || !inet_ntop(AF_INET6, a, txt, INET6_ADDRSTRLEN)) continue;
            snprintf(txt + strlen(txt), 8, "/%u", plen);
            ACC(name, txt);
        }
        vg_free(t);
    }
    struct ifaddrs *ifa = NULL;
    if (s->live && getifaddrs(&ifa) == 0) {
        for (struct ifaddrs *x = ifa; x; x = x->ifa_next) {
            if (!x->ifa_addr || x->ifa_addr->sa_family != AF_INET || !x->ifa_name) continue;
            char txt[INET_ADDRSTRLEN + 8];
            const struct sockaddr_in *sin = (const struct sockaddr_in *)(const void *)x->ifa_addr;
            if (!inet_ntop(AF_INET, &sin->sin_addr, txt, INET_ADDRSTRLEN)) continue;
            int plen = 0;
            if (x->ifa_netmask) {
                uint32_t m = ntohl(((const struct sockaddr_in *)(const void *)x->ifa_netmask)->sin_addr.s_addr);
                plen = __builtin_popcount(m);
            }
            snprintf(txt + strlen(txt), 8, "/%d", plen);
            ACC(x->ifa_name, txt);
        }
        freeifaddrs(ifa);
    }
#undef ACC
    for (size_t i = 0; i < nn; i++) {
        struct vg_inv_iface *f = iface_get(s, names[i]);
        if (acc[i].n > 1) qsort(acc[i].addr, acc[i].n, sizeof(char *), vg__inv_cmp_str);
        struct vg_buf b = VG_BUF_INIT;
        for (size_t k = 0; k < acc[i].n; k++) {
            if (acc[i].addr[k] && (k == 0 || strcmp(acc[i].addr[k], acc[i].addr[k - 1]) != 0)) {
                if (b.len) vg_buf_addc(&b, ',');
                vg_buf_adds(&b, acc[i].addr[k]);
            }
        }
        if (f && b.data) f->addrs = vg__inv_strn(s, b.data, b.len);
        vg_buf_release(&b);
        for (size_t k = 0; k < acc[i].n; k++) vg_free(acc[i].addr[k]);
        vg_free(names[i]);
    }
    vg_free(names);
    vg_free(acc);
    if (s->nifaces > 1) qsort(s->ifaces, s->nifaces, sizeof *s->ifaces, iface_cmp);
    return 0;
}

/* ---- packages ---------------------------------------------------------- */

static int pkg_cb(void *ud, const struct vg_pkg *p)
{
    struct vg_inv_snapshot *s = ud;
    if (p->state == VG_PKG_NOT_INSTALLED) return 0;
    struct vg_inv_pkg *x = VG__INV_PUSH(s, pkgs);
    if (!x) return s->oom ? VG_ENOMEM : VG_ETOOBIG;
    x->name = vg__inv_str(s, p->name);
    x->version = vg__inv_str(s, p->version);
    x->arch = vg__inv_str(s, p->arch);
    x->source = vg__inv_str(s, p->source);
    x->source_version = vg__inv_str(s, p->source_version);
    x->status = vg__inv_str(s, p->status);
    x->format = "deb";
    x->installed = vg_pkg_is_installed(p);
    return 0;
}

/* rpm packages: "[epoch:]version-release"; the source is the source rpm's
 * name (NAME of NAME-VERSION-RELEASE.src.rpm). */
static int rpm_cb(void *ud, const struct vg_rpm_hdr *h)
{
    struct vg_inv_snapshot *s = ud;
    char evr[600], src[512];
    if (vg_rpm_evr(h, evr, sizeof evr)) return 0;
    snprintf(src, sizeof src, "%s", h->sourcerpm);
    size_t l = strlen(src);
    if (l > 8 && strcmp(src + l - 8, ".src.rpm") == 0) src[l - 8] = 0;
    for (int k = 0; k < 2; k++) {
        char *dash = strrchr(src, '-');
        if (dash && dash != src) *dash = 0;
    }
    struct vg_inv_pkg *x = VG__INV_PUSH(s, pkgs);
    if (!x) return s->oom ? VG_ENOMEM : VG_ETOOBIG;
    x->name = vg__inv_str(s, h->name);
    x->version = vg__inv_str(s, evr);
    x->arch = vg__inv_str(s, h->arch);
    x->source = vg__inv_str(s, *src ? src : h->name);
    x->source_version = "";
    x->status = "installed";
    x->format = "rpm";
    x->installed = true;
    return 0;
}

static int pkg_cmp(const void *a, const void *b)
{
    const struct vg_inv_pkg *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->arch, y->arch);
}

int vg_inv_collect_pkgs(struct vg_inv_snapshot *s, struct vg_err *err)
{
    char p[4096];
    struct vg_dpkg_report rep;
    memset(&rep, 0, sizeof rep);
    if (!vg__inv_path(s, "/var/lib/dpkg/status", p, sizeof p)) return vg_err_set(err, VG_ETOOBIG, "root too long");
    struct vg_err e2 = VG_ERR_INIT;
    int rc = vg_dpkg_status_parse_file(p, 0, pkg_cb, s, &rep, &e2);
    if (rc == VG_ENOENT) {
        rc = 0; /* no dpkg database: not a Debian host */
    } else if (rc == VG_EIO) {
        vg__inv_issue(s, "dpkg status: %s", e2.msg); /* unreadable: the section stays empty */
        rc = 0;
    } else if (rc) {
        return vg_err_set(err, rc, "dpkg status: %s", e2.msg);
    }
    s->pkgs_known = rep.known;
    s->pkgs_installed = rep.installed;
    for (size_t i = 0; i < rep.nissues; i++) vg__inv_issue(s, "dpkg status line %d: %s", rep.issues[i].line, rep.issues[i].msg);
    if (rep.errors > rep.nissues) s->issues_total += rep.errors - rep.nissues;
    char buf[4096];
    const char *rpm = vg_pkg_rpmdb_find(s->live ? "/" : s->root, buf, sizeof buf);
    if (rpm) {
        s->rpmdb = vg__inv_str(s, rpm);
        size_t l = strlen(rpm);
        if (l < 13 || strcmp(rpm + l - 13, "/rpmdb.sqlite") != 0) {
            vg__inv_issue(s, "rpm database %s present but not read (only rpmdb.sqlite is)", rpm);
        } else {
            struct vg_rpm_report rr;
            rc = vg_rpmdb_sqlite_read(rpm, rpm_cb, s, &rr, &e2);
            if (rc == VG_ENOMEM || rc == VG_ETOOBIG) return vg_err_set(err, rc, "rpm: %s", e2.msg);
            if (rc) vg__inv_issue(s, "rpm: %s", e2.msg);
            for (size_t i = 0; i < rr.nissues; i++) vg__inv_issue(s, "rpm header %d: %s", rr.issues[i].line, rr.issues[i].msg);
            if (rr.errors > rr.nissues) s->issues_total += rr.errors - rr.nissues;
            s->pkgs_rpm = rr.packages;
            s->pkgs_known += rr.packages;
            s->pkgs_installed += rr.packages;
            rc = 0;
        }
    }
    if (s->npkgs > 1) qsort(s->pkgs, s->npkgs, sizeof *s->pkgs, pkg_cmp);
    return 0;
}
