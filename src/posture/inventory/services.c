/* systemd services collector: unit files in etc/systemd/system,
 * run/systemd/system, usr/lib/systemd/system and lib/systemd/system (the
 * first directory wins, as systemd's precedence), the enabled state from
 * the *.wants / *.requires links under etc/systemd/system (masked when the
 * unit is linked to /dev/null, static without an [Install] section), and on
 * the live root with systemd running, the active/sub state from systemctl. */
#include "internal.h"
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const unit_dirs[] = {"/etc/systemd/system", "/run/systemd/system", "/usr/lib/systemd/system",
                                        "/lib/systemd/system"};

static bool is_service(const char *n)
{
    size_t l = strlen(n);
    return l > 8 && strcmp(n + l - 8, ".service") == 0;
}

static struct vg_inv_service *find_svc(struct vg_inv_snapshot *s, const char *name)
{
    for (size_t i = 0; i < s->nservices; i++)
        if (strcmp(s->services[i].name, name) == 0) return &s->services[i];
    return NULL;
}

/* True when the line is "key=..." or "key =...". */
static bool key_is(const char *l, size_t ll, const char *key)
{
    size_t k = strlen(key);
    if (ll <= k || memcmp(l, key, k) != 0) return false;
    while (k < ll && (l[k] == ' ' || l[k] == '\t')) k++;
    return k < ll && l[k] == '=';
}

static bool has_install(struct vg_inv_snapshot *s, const char *abs)
{
    char *t;
    size_t n;
    if (vg__inv_read_abs(abs, 1u << 20, &t, &n)) return true; /* unreadable: do not call it static */
    bool r = false, in = false;
    const char *p = t, *end = t + n, *l;
    size_t ll;
    while (vg__inv_next_line(&p, end, &l, &ll)) {
        while (ll && (*l == ' ' || *l == '\t')) l++, ll--;
        if (ll && *l == '[') in = ll >= 9 && memcmp(l, "[Install]", 9) == 0;
        else if (in && (key_is(l, ll, "WantedBy") || key_is(l, ll, "RequiredBy") || key_is(l, ll, "Alias") ||
                        key_is(l, ll, "Also") || key_is(l, ll, "UpheldBy"))) {
            r = true;
            break;
        }
    }
    vg_free(t);
    (void)s;
    return r;
}

static void mark_enabled(struct vg_inv_snapshot *s, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *de;
    size_t k = 0;
    while ((de = readdir(d)) && k++ < 100000) {
        if (!is_service(de->d_name)) continue;
        struct vg_inv_service *v = find_svc(s, de->d_name);
        if (!v) { /* instance of a template: foo@bar.service enables foo@.service */
            const char *at = strchr(de->d_name, '@');
            if (at) {
                char tmpl[512];
                snprintf(tmpl, sizeof tmpl, "%.*s@.service", (int)(at - de->d_name), de->d_name);
                v = find_svc(s, tmpl);
            }
        }
        if (v && strcmp(v->enabled, "masked") != 0) v->enabled = "enabled";
    }
    closedir(d);
}

static int svc_cmp(const void *a, const void *b)
{
    return strcmp(((const struct vg_inv_service *)a)->name, ((const struct vg_inv_service *)b)->name);
}

int vg_inv_collect_services(struct vg_inv_snapshot *s, struct vg_err *err)
{
    (void)err;
    for (size_t di = 0; di < VG_ARRAY_LEN(unit_dirs); di++) {
        char p[4096];
        if (!vg__inv_path(s, unit_dirs[di], p, sizeof p)) continue;
        DIR *d = opendir(p);
        if (!d) continue;
        struct dirent *de;
        while ((de = readdir(d))) {
            if (!is_service(de->d_name) || find_svc(s, de->d_name)) continue;
            char f[4400];
            snprintf(f, sizeof f, "%s/%s", p, de->d_name);
            struct stat lst, st;
            if (lstat(f, &lst) != 0) continue;
            struct vg_inv_service *v = VG__INV_PUSH(s, services);
            if (!v) break;
            v->name = vg__inv_str(s, de->d_name);
            v->path = vg__inv_strf(s, "%s/%s", unit_dirs[di], de->d_name);
            v->active = v->sub = "unknown";
            char tgt[256];
            ssize_t r = S_ISLNK(lst.st_mode) ? readlink(f, tgt, sizeof tgt - 1) : -1;
            if (r > 0) tgt[r] = 0;
            if ((r > 0 && strcmp(tgt, "/dev/null") == 0) || (S_ISREG(lst.st_mode) && lst.st_size == 0))
                v->enabled = "masked";
            else if (stat(f, &st) == 0 && S_ISREG(st.st_mode) && !has_install(s, f))
                v->enabled = "static";
            else
                v->enabled = "disabled";
        }
        closedir(d);
    }
    /* enabled: links in etc/systemd/system/<target>.wants|.requires */
    char ep[4096];
    if (vg__inv_path(s, "/etc/systemd/system", ep, sizeof ep)) {
        DIR *d = opendir(ep);
        struct dirent *de;
        while (d && (de = readdir(d))) {
            size_t l = strlen(de->d_name);
            if ((l > 6 && strcmp(de->d_name + l - 6, ".wants") == 0) ||
                (l > 9 && strcmp(de->d_name + l - 9, ".requires") == 0)) {
                char w[4400];
                snprintf(w, sizeof w, "%s/%s", ep, de->d_name);
                mark_enabled(s, w);
            }
        }
        if (d) closedir(d);
    }
    /* running state: only on this host with systemd as init */
    if (s->live && access("/run/systemd/system", F_OK) == 0) {
        const char *bin = access("/usr/bin/systemctl", X_OK) == 0 ? "/usr/bin/systemctl" : "/bin/systemctl";
        const char *argv[] = {bin, "list-units", "--type=service", "--all", "--no-legend", "--plain", "--no-pager", NULL};
        char *t;
        size_t n;
        int rc = vg__inv_exec(argv, 10000, 8u << 20, &t, &n);
        if (rc) {
            vg__inv_issue(s, "systemctl list-units: %s", vg_strerror(rc));
        } else {
            const char *q = t, *end = t + n, *l;
            size_t ll;
            while (vg__inv_next_line(&q, end, &l, &ll)) {
                char name[512], load[64], act[64], sub[64];
                char line[1024];
                snprintf(line, sizeof line, "%.*s", (int)(ll < sizeof line ? ll : sizeof line - 1), l);
                char *ln = line;
                while (*ln && (unsigned char)*ln >= 0x80) ln++; /* a leading bullet in some versions */
                if (sscanf(ln, " %511s %63s %63s %63s", name, load, act, sub) != 4 || !is_service(name)) continue;
                struct vg_inv_service *v = find_svc(s, name);
                if (!v) {
                    if (strcmp(load, "loaded") != 0) continue;
                    v = VG__INV_PUSH(s, services);
                    if (!v) break;
                    v->name = vg__inv_str(s, name);
                    v->path = "";
                    v->enabled = "transient";
                }
                v->active = vg__inv_str(s, act);
                v->sub = vg__inv_str(s, sub);
            }
            vg_free(t);
            /* listed nowhere: loaded units are all listed with --all, so the rest are inactive */
            for (size_t i = 0; i < s->nservices; i++)
                if (strcmp(s->services[i].active, "unknown") == 0 && !strchr(s->services[i].name, '@')) {
                    s->services[i].active = "inactive";
                    s->services[i].sub = "dead";
                }
        }
    }
    if (s->nservices > 1) qsort(s->services, s->nservices, sizeof *s->services, svc_cmp);
    return 0;
}
