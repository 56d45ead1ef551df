/* Inventory diff: compares two snapshots section by section (each keyed and
 * sorted by its key, walked as a merge) and emits change records with ECS
 * category/type/action and a few ECS fields, then turns a change into a
 * vg_event (and its raw JSON) so detection rules can match it. */
#include "internal.h"
#include "vigil/pkg.h"

void vg_inv_changes_release(struct vg_inv_changes *c)
{
    vg_free(c->v);
    vg_arena_release(&c->arena);
    c->v = NULL;
    c->n = c->cap = 0;
}

struct dctx {
    struct vg_inv_changes *out;
    int rc;
};

static const char *cstr(struct dctx *d, const char *fmt, ...) VG_PRINTF(2, 3);
static const char *cstr(struct dctx *d, const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    if ((size_t)n >= sizeof buf) n = sizeof buf - 1;
    char *r = vg_arena_strndup(&d->out->arena, buf, (size_t)n);
    if (!r) {
        d->rc = VG_ENOMEM;
        return "";
    }
    return r;
}

static struct vg_inv_change *add(struct dctx *d, const char *cat, const char *type, const char *action,
                                 const char *subject, const char *before, const char *after)
{
    struct vg_inv_changes *o = d->out;
    if (d->rc) return NULL;
    if (o->n >= VG_INV_MAX_ITEMS) {
        d->rc = VG_ETOOBIG;
        return NULL;
    }
    if (o->n == o->cap) {
        size_t nc = o->cap ? o->cap * 2 : 16;
        void *nv = vg_realloc(o->v, nc * sizeof *o->v);
        if (!nv) {
            d->rc = VG_ENOMEM;
            return NULL;
        }
        o->v = nv;
        o->cap = nc;
    }
    struct vg_inv_change *c = &o->v[o->n++];
    memset(c, 0, sizeof *c);
    c->category = cat;
    c->type = type;
    c->action = action;
    c->subject = cstr(d, "%s", subject);
    c->before = cstr(d, "%s", before ? before : "");
    c->after = cstr(d, "%s", after ? after : "");
    return c;
}

static void fld(struct dctx *d, struct vg_inv_change *c, const char *name, const char *value)
{
    if (!c || c->nfields >= VG_INV_CHANGE_MAX_FIELDS || !value) return;
    c->fields[c->nfields].name = name;
    c->fields[c->nfields++].value = cstr(d, "%s", value);
}

/* Generic merge walk over two sorted arrays with a key compare. */
typedef int (*kcmp_fn)(const void *a, const void *b);
typedef void (*emit_fn)(struct dctx *d, const void *old, const void *cur); /* one side may be NULL */

static void walk(struct dctx *d, const void *a, size_t na, const void *b, size_t nb, size_t elsz, kcmp_fn cmp,
                 emit_fn emit)
{
    size_t i = 0, j = 0;
    while ((i < na || j < nb) && !d->rc) {
        const void *x = i < na ? (const char *)a + i * elsz : NULL;
        const void *y = j < nb ? (const char *)b + j * elsz : NULL;
        int c = !x ? 1 : !y ? -1 : cmp(x, y);
        if (c < 0) {
            emit(d, x, NULL);
            i++;
        } else if (c > 0) {
            emit(d, NULL, y);
            j++;
        } else {
            emit(d, x, y);
            i++;
            j++;
        }
    }
}

/* ---- packages ---- */
static int pkg_key(const void *a, const void *b)
{
    const struct vg_inv_pkg *x = *(const struct vg_inv_pkg *const *)a, *y = *(const struct vg_inv_pkg *const *)b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->arch, y->arch);
}
static void pkg_emit(struct dctx *d, const void *o, const void *n)
{
    const struct vg_inv_pkg *x = o ? *(const struct vg_inv_pkg *const *)o : NULL;
    const struct vg_inv_pkg *y = n ? *(const struct vg_inv_pkg *const *)n : NULL;
    struct vg_inv_change *c = NULL;
    const struct vg_inv_pkg *p = y ? y : x;
    if (!x) c = add(d, "package", "installation", "package_installed", y->name, "", y->version);
    else if (!y) c = add(d, "package", "deletion", "package_removed", x->name, x->version, "");
    else if (strcmp(x->version, y->version) != 0) {
        bool up = vg_dpkg_version_cmp(y->version, x->version) > 0;
        c = add(d, "package", "change", up ? "package_upgraded" : "package_downgraded", y->name, x->version,
                y->version);
        fld(d, c, "vigil.inventory.package.previous_version", x->version);
    } else if (x->installed != y->installed || strcmp(x->status, y->status) != 0) {
        c = add(d, "package", "change", "package_state_changed", y->name, x->status, y->status);
    }
    if (!c) return;
    fld(d, c, "package.name", p->name);
    fld(d, c, "package.version", p->version);
    fld(d, c, "package.architecture", p->arch);
    fld(d, c, "package.type", p->format);
}

/* ---- users ---- */
static int user_key(const void *a, const void *b)
{
    return strcmp((*(const struct vg_inv_user *const *)a)->name, (*(const struct vg_inv_user *const *)b)->name);
}
static void user_text(struct dctx *d, const struct vg_inv_user *u, const char **out)
{
    *out = cstr(d, "uid=%lld gid=%lld shell=%s home=%s groups=%s password=%s", (long long)u->uid, (long long)u->gid,
                u->shell, u->home, u->groups, vg_inv_pw_name(u->pw));
}
static void user_emit(struct dctx *d, const void *o, const void *n)
{
    const struct vg_inv_user *x = o ? *(const struct vg_inv_user *const *)o : NULL;
    const struct vg_inv_user *y = n ? *(const struct vg_inv_user *const *)n : NULL;
    const struct vg_inv_user *u = y ? y : x;
    const char *bt = "", *at = "";
    if (x) user_text(d, x, &bt);
    if (y) user_text(d, y, &at);
    struct vg_inv_change *c = NULL;
    if (!x) c = add(d, "iam", "user,creation", "user_created", y->name, "", at);
    else if (!y) c = add(d, "iam", "user,deletion", "user_deleted", x->name, bt, "");
    else if (strcmp(bt, at) != 0) {
        const char *act = "user_modified";
        if (x->pw != y->pw) act = "user_password_state_changed";
        if (strcmp(x->groups, y->groups) != 0) act = "user_groups_changed";
        if (x->uid != y->uid) act = "user_uid_changed";
        c = add(d, "iam", "user,change", act, y->name, bt, at);
    }
    if (!c) return;
    char num[32];
    fld(d, c, "user.name", u->name);
    snprintf(num, sizeof num, "%lld", (long long)u->uid);
    fld(d, c, "user.id", num);
    fld(d, c, "user.group.name", u->groups);
    fld(d, c, "vigil.inventory.user.shell", u->shell);
    fld(d, c, "vigil.inventory.user.password", vg_inv_pw_name(u->pw));
}

/* ---- groups ---- */
static int group_key(const void *a, const void *b)
{
    return strcmp((*(const struct vg_inv_group *const *)a)->name, (*(const struct vg_inv_group *const *)b)->name);
}
static void group_emit(struct dctx *d, const void *o, const void *n)
{
    const struct vg_inv_group *x = o ? *(const struct vg_inv_group *const *)o : NULL;
    const struct vg_inv_group *y = n ? *(const struct vg_inv_group *const *)n : NULL;
    const struct vg_inv_group *g = y ? y : x;
    struct vg_inv_change *c = NULL;
    if (!x) c = add(d, "iam", "group,creation", "group_created", y->name, "", y->members);
    else if (!y) c = add(d, "iam", "group,deletion", "group_deleted", x->name, x->members, "");
    else if (strcmp(x->members, y->members) != 0)
        c = add(d, "iam", "group,change", "group_membership_changed", y->name, x->members, y->members);
    else if (x->gid != y->gid)
        c = add(d, "iam", "group,change", "group_modified", y->name, cstr(d, "gid=%lld", (long long)x->gid),
                cstr(d, "gid=%lld", (long long)y->gid));
    if (!c) return;
    char num[32];
    snprintf(num, sizeof num, "%lld", (long long)g->gid);
    fld(d, c, "group.name", g->name);
    fld(d, c, "group.id", num);
}

/* ---- sudoers (keyed by the normalised text, so moving a line is not a change) ---- */
static int sudo_key(const void *a, const void *b)
{
    const struct vg_inv_sudo *x = *(const struct vg_inv_sudo *const *)a, *y = *(const struct vg_inv_sudo *const *)b;
    int c = strcmp(x->file, y->file);
    if (c) return c;
    c = strcmp(x->text, y->text);
    return c ? c : strcmp(x->principal, y->principal);
}
static void sudo_emit(struct dctx *d, const void *o, const void *n)
{
    const struct vg_inv_sudo *x = o ? *(const struct vg_inv_sudo *const *)o : NULL;
    const struct vg_inv_sudo *y = n ? *(const struct vg_inv_sudo *const *)n : NULL;
    if (x && y) return;
    const struct vg_inv_sudo *e = y ? y : x;
    struct vg_inv_change *c = y ? add(d, "configuration", "creation", "sudoers_entry_added", e->principal, "", e->text)
                                : add(d, "configuration", "deletion", "sudoers_entry_removed", e->principal, e->text, "");
    if (!c) return;
    fld(d, c, "file.path", e->file);
    if (e->kind == VG_INV_SUDO_USER) {
        fld(d, c, e->principal[0] == '%' ? "group.name" : "user.name", e->principal[0] == '%' ? e->principal + 1 : e->principal);
        fld(d, c, "vigil.inventory.sudo.commands", e->commands);
        fld(d, c, "vigil.inventory.sudo.runas", e->runas);
        fld(d, c, "vigil.inventory.sudo.nopasswd", e->nopasswd ? "true" : "false");
    }
    fld(d, c, "vigil.inventory.sudo.kind", vg_inv_sudo_kind_name(e->kind));
}

/* ---- keys ---- */
static int key_key(const void *a, const void *b)
{
    const struct vg_inv_key *x = *(const struct vg_inv_key *const *)a, *y = *(const struct vg_inv_key *const *)b;
    int c = strcmp(x->user, y->user);
    if (c) return c;
    c = strcmp(x->fingerprint, y->fingerprint);
    return c ? c : strcmp(x->file, y->file);
}
static void key_emit(struct dctx *d, const void *o, const void *n)
{
    const struct vg_inv_key *x = o ? *(const struct vg_inv_key *const *)o : NULL;
    const struct vg_inv_key *y = n ? *(const struct vg_inv_key *const *)n : NULL;
    struct vg_inv_change *c = NULL;
    const struct vg_inv_key *k = y ? y : x;
    if (!x) c = add(d, "iam", "change", "authorized_key_added", y->user, "", cstr(d, "%s %s %s", y->type, y->fingerprint, y->comment));
    else if (!y) c = add(d, "iam", "change", "authorized_key_removed", x->user, cstr(d, "%s %s %s", x->type, x->fingerprint, x->comment), "");
    else if (strcmp(x->options, y->options) != 0)
        c = add(d, "iam", "change", "authorized_key_options_changed", y->user, x->options, y->options);
    if (!c) return;
    fld(d, c, "user.name", k->user);
    fld(d, c, "file.path", k->file);
    fld(d, c, "vigil.inventory.key.type", k->type);
    fld(d, c, "vigil.inventory.key.fingerprint", k->fingerprint);
    fld(d, c, "vigil.inventory.key.comment", k->comment);
    fld(d, c, "vigil.inventory.key.options", k->options);
}

/* ---- ports (the process may differ after a restart: not a change by itself) ---- */
static int port_key(const void *a, const void *b)
{
    const struct vg_inv_port *x = *(const struct vg_inv_port *const *)a, *y = *(const struct vg_inv_port *const *)b;
    int c = strcmp(x->proto, y->proto);
    if (c) return c;
    if (x->port != y->port) return x->port < y->port ? -1 : 1;
    return strcmp(x->addr, y->addr);
}
static void port_emit(struct dctx *d, const void *o, const void *n)
{
    const struct vg_inv_port *x = o ? *(const struct vg_inv_port *const *)o : NULL;
    const struct vg_inv_port *y = n ? *(const struct vg_inv_port *const *)n : NULL;
    if (x && y) return;
    const struct vg_inv_port *p = y ? y : x;
    bool v6 = strchr(p->addr, ':') != NULL;
    const char *ep = cstr(d, "%s %s%s%s:%d", p->proto, v6 ? "[" : "", p->addr, v6 ? "]" : "", p->port);
    const char *proc = *p->process ? cstr(d, "%s (pid %lld)", p->process, (long long)p->pid) : "";
    struct vg_inv_change *c = y ? add(d, "network", "start", "port_opened", ep, "", proc)
                                : add(d, "network", "end", "port_closed", ep, proc, "");
    if (!c) return;
    char num[32];
    fld(d, c, "network.transport", p->proto[0] == 't' ? "tcp" : "udp");
    fld(d, c, "destination.ip", p->addr);
    snprintf(num, sizeof num, "%d", p->port);
    fld(d, c, "destination.port", num);
    if (*p->process) {
        fld(d, c, "process.name", p->process);
        snprintf(num, sizeof num, "%lld", (long long)p->pid);
        fld(d, c, "process.pid", num);
    }
}

/* ---- services ---- */
static int svc_key(const void *a, const void *b)
{
    return strcmp((*(const struct vg_inv_service *const *)a)->name, (*(const struct vg_inv_service *const *)b)->name);
}
static void svc_emit(struct dctx *d, const void *o, const void *n)
{
    const struct vg_inv_service *x = o ? *(const struct vg_inv_service *const *)o : NULL;
    const struct vg_inv_service *y = n ? *(const struct vg_inv_service *const *)n : NULL;
    const struct vg_inv_service *v = y ? y : x;
    struct vg_inv_change *c[2] = {NULL, NULL};
    if (!x) c[0] = add(d, "configuration", "creation", "service_added", y->name, "", y->enabled);
    else if (!y) c[0] = add(d, "configuration", "deletion", "service_removed", x->name, x->enabled, "");
    else {
        if (strcmp(x->enabled, y->enabled) != 0)
            c[0] = add(d, "configuration", "change",
                       strcmp(y->enabled, "enabled") == 0    ? "service_enabled"
                       : strcmp(y->enabled, "masked") == 0   ? "service_masked"
                       : strcmp(x->enabled, "enabled") == 0  ? "service_disabled"
                                                             : "service_state_changed",
                       y->name, x->enabled, y->enabled);
        bool known = strcmp(x->active, "unknown") != 0 && strcmp(y->active, "unknown") != 0;
        if (known && strcmp(x->active, y->active) != 0) {
            bool up = strcmp(y->active, "active") == 0, down = strcmp(x->active, "active") == 0;
            c[1] = add(d, "process", up ? "start" : down ? "end" : "change",
                       up ? "service_started" : strcmp(y->active, "failed") == 0 ? "service_failed"
                                             : down ? "service_stopped" : "service_state_changed",
                       y->name, x->active, y->active);
        }
    }
    for (int i = 0; i < 2; i++) {
        if (!c[i]) continue;
        fld(d, c[i], "service.name", v->name);
        fld(d, c[i], "service.state", v->active);
        fld(d, c[i], "vigil.inventory.service.enabled", v->enabled);
        fld(d, c[i], "file.path", v->path);
    }
}

/* Every section is diffed through an array of pointers sorted by its diff
 * key (snapshots read back from JSON need not be sorted); walk() hands the
 * emitters pointers to those slots. */
static int ptr_sorted(const void *arr, size_t n, size_t elsz, kcmp_fn cmp, const void ***out)
{
    *out = vg_malloc((n ? n : 1) * sizeof **out);
    if (!*out) return VG_ENOMEM;
    for (size_t i = 0; i < n; i++) (*out)[i] = (const char *)arr + i * elsz;
    if (n > 1) qsort(*out, n, sizeof **out, cmp);
    return 0;
}

static void walk_ptr(struct dctx *d, const void *a, size_t na, const void *b, size_t nb, size_t elsz, kcmp_fn cmp,
                     emit_fn emit)
{
    const void **pa = NULL, **pb = NULL;
    if (ptr_sorted(a, na, elsz, cmp, &pa) || ptr_sorted(b, nb, elsz, cmp, &pb)) d->rc = VG_ENOMEM;
    else walk(d, pa, na, pb, nb, sizeof *pa, cmp, emit);
    vg_free(pa);
    vg_free(pb);
}

static void os_field(struct dctx *d, const char *what, const char *a, const char *b, const char *action)
{
    if (strcmp(a, b) == 0) return;
    struct vg_inv_change *c = add(d, "host", "change", action, what, a, b);
    fld(d, c, "vigil.inventory.os.field", what);
}

int vg_inv_diff(const struct vg_inv_snapshot *old, const struct vg_inv_snapshot *cur, struct vg_inv_changes *out)
{
    if (!old) return 0;
    struct dctx d = {out, 0};
    os_field(&d, "kernel_release", old->os.kernel_release, cur->os.kernel_release, "kernel_changed");
    os_field(&d, "os_version", old->os.os_pretty, cur->os.os_pretty, "os_changed");
    os_field(&d, "hostname", old->os.hostname, cur->os.hostname, "hostname_changed");
    if (old->os.boot_time && cur->os.boot_time && old->os.boot_time != cur->os.boot_time) {
        struct vg_inv_change *c = add(&d, "host", "start", "host_rebooted", "boot_time",
                                      cstr(&d, "%lld", (long long)old->os.boot_time),
                                      cstr(&d, "%lld", (long long)cur->os.boot_time));
        fld(&d, c, "vigil.inventory.os.field", "boot_time");
    }
#define W(f, k, e) walk_ptr(&d, old->f, old->n##f, cur->f, cur->n##f, sizeof *old->f, k, e)
    W(pkgs, pkg_key, pkg_emit);
    W(users, user_key, user_emit);
    W(groups, group_key, group_emit);
    W(sudo, sudo_key, sudo_emit);
    W(keys, key_key, key_emit);
    W(ports, port_key, port_emit);
    W(services, svc_key, svc_emit);
#undef W
    return d.rc;
}

/* ---- change -> event ---- */

int vg_inv_change_json(const struct vg_inv_change *c, const char *host, struct vg_buf *out)
{
    int rc = 0;
    rc |= vg_buf_adds(out, "{\"event\":{\"kind\":\"event\",\"module\":\"inventory\",\"category\":");
    rc |= vg_buf_add_json_str(out, c->category, strlen(c->category));
    rc |= vg_buf_adds(out, ",\"type\":");
    rc |= vg_buf_add_json_str(out, c->type, strlen(c->type));
    rc |= vg_buf_adds(out, ",\"action\":");
    rc |= vg_buf_add_json_str(out, c->action, strlen(c->action));
    rc |= vg_buf_adds(out, "},\"host\":{\"name\":");
    rc |= vg_buf_add_json_str(out, host ? host : "", host ? strlen(host) : 0);
    rc |= vg_buf_adds(out, "},\"vigil.inventory.subject\":");
    rc |= vg_buf_add_json_str(out, c->subject, strlen(c->subject));
    rc |= vg_buf_adds(out, ",\"vigil.inventory.before\":");
    rc |= vg_buf_add_json_str(out, c->before, strlen(c->before));
    rc |= vg_buf_adds(out, ",\"vigil.inventory.after\":");
    rc |= vg_buf_add_json_str(out, c->after, strlen(c->after));
    for (size_t i = 0; i < c->nfields; i++) {
        rc |= vg_buf_addc(out, ',');
        rc |= vg_buf_add_json_str(out, c->fields[i].name, strlen(c->fields[i].name));
        rc |= vg_buf_addc(out, ':');
        rc |= vg_buf_add_json_str(out, c->fields[i].value, strlen(c->fields[i].value));
    }
    rc |= vg_buf_addc(out, '}');
    return rc ? VG_ENOMEM : 0;
}

static int add_named(struct vg_event *ev, const char *name, const char *v)
{
    uint32_t id = vg_fid(name, strlen(name));
    if (id == UINT32_MAX) return VG_EINVAL;
    return vg_event_add_str_copy(ev, id, VG_FF_ECS, v, strlen(v));
}

int vg_inv_change_to_event(const struct vg_inv_change *c, const char *host, int64_t ts, struct vg_event *ev)
{
    struct vg_buf raw = VG_BUF_INIT;
    int rc = vg_inv_change_json(c, host, &raw);
    if (rc) goto out;
    rc = vg_event_set_raw(ev, raw.data, raw.len);
    if (rc) goto out;
    ev->ts = ts;
    ev->recv_ts = ts;
    ev->host = host ? vg_arena_strndup(ev->arena, host, strlen(host)) : "";
    ev->collector = "inventory";
    ev->format = "inventory";
    ev->tenant = "default";
    if (!ev->host) {
        rc = VG_ENOMEM;
        goto out;
    }
    /* event.type may hold two values ("user,creation"): a list field */
    struct vg_str *types = vg_arena_alloc(ev->arena, 2 * sizeof *types); /* the event references it */
    size_t nt = 0;
    if (!types) {
        rc = VG_ENOMEM;
        goto out;
    }
    const char *t = c->type, *comma = strchr(t, ',');
    types[nt].s = t;
    types[nt++].len = (uint32_t)(comma ? (size_t)(comma - t) : strlen(t));
    if (comma) {
        types[nt].s = comma + 1;
        types[nt++].len = (uint32_t)strlen(comma + 1);
    }
    uint32_t tid = vg_fid("event.type", 10);
    if ((rc = add_named(ev, "event.kind", "event")) || (rc = add_named(ev, "event.module", "inventory")) ||
        (rc = add_named(ev, "event.dataset", "inventory.change")) || (rc = add_named(ev, "event.category", c->category)) ||
        (rc = add_named(ev, "event.action", c->action)) || (rc = add_named(ev, "host.name", ev->host)) ||
        (rc = add_named(ev, "vigil.inventory.subject", c->subject)) ||
        (rc = add_named(ev, "vigil.inventory.before", c->before)) ||
        (rc = add_named(ev, "vigil.inventory.after", c->after)))
        goto out;
    if (tid == UINT32_MAX || (rc = vg_event_add_list(ev, tid, VG_FF_ECS, types, nt))) goto out;
    for (size_t i = 0; i < c->nfields; i++) {
        const char *n = c->fields[i].name;
        /* numeric ECS fields as integers so range queries work */
        if (strcmp(n, "destination.port") == 0 || strcmp(n, "process.pid") == 0 || strcmp(n, "user.id") == 0 ||
            strcmp(n, "group.id") == 0) {
            int64_t v;
            uint32_t id = vg_fid(n, strlen(n));
            if (id != UINT32_MAX && vg_parse_i64(c->fields[i].value, strlen(c->fields[i].value), &v) == 0) {
                if ((rc = vg_event_add_int(ev, id, VG_FF_ECS, v))) goto out;
                continue;
            }
        }
        if ((rc = add_named(ev, n, c->fields[i].value))) goto out;
    }
    vg_event_finish(ev);
out:
    vg_buf_release(&raw);
    return rc;
}
