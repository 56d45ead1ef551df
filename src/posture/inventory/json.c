/* Inventory snapshot <-> JSON (jansson). Each array section is described by
 * a table of (key, offset, type), so the writer and the reader stay in step;
 * the reader checks types and rejects what the writer would never produce. */
#include "internal.h"
#include <jansson.h>
#include <stddef.h>

enum ft { FT_STR, FT_INT, FT_BOOL, FT_PW, FT_SUDO, FT_U64 };
struct fdesc { const char *key; size_t off; enum ft t; };

#define S_(T, f) {#f, offsetof(T, f), FT_STR}
#define I_(T, f) {#f, offsetof(T, f), FT_INT}
#define B_(T, f) {#f, offsetof(T, f), FT_BOOL}

static const struct fdesc os_f[] = {
    S_(struct vg_inv_os, hostname), S_(struct vg_inv_os, os_id), S_(struct vg_inv_os, os_name),
    S_(struct vg_inv_os, os_version), S_(struct vg_inv_os, os_version_id), S_(struct vg_inv_os, os_codename),
    S_(struct vg_inv_os, os_pretty), S_(struct vg_inv_os, kernel_name), S_(struct vg_inv_os, kernel_release),
    S_(struct vg_inv_os, kernel_version), S_(struct vg_inv_os, machine), I_(struct vg_inv_os, boot_time), {NULL, 0, 0}};
static const struct fdesc iface_f[] = {S_(struct vg_inv_iface, name), S_(struct vg_inv_iface, mac),
                                       S_(struct vg_inv_iface, state), I_(struct vg_inv_iface, mtu),
                                       S_(struct vg_inv_iface, addrs), {NULL, 0, 0}};
static const struct fdesc pkg_f[] = {S_(struct vg_inv_pkg, name),   S_(struct vg_inv_pkg, version),
                                     S_(struct vg_inv_pkg, arch),   S_(struct vg_inv_pkg, source),
                                     S_(struct vg_inv_pkg, status), S_(struct vg_inv_pkg, format),
                                     S_(struct vg_inv_pkg, source_version), B_(struct vg_inv_pkg, installed),
                                     {NULL, 0, 0}};
static const struct fdesc user_f[] = {
    S_(struct vg_inv_user, name), S_(struct vg_inv_user, gecos), S_(struct vg_inv_user, home),
    S_(struct vg_inv_user, shell), I_(struct vg_inv_user, uid), I_(struct vg_inv_user, gid),
    S_(struct vg_inv_user, groups), {"password", offsetof(struct vg_inv_user, pw), FT_PW},
    I_(struct vg_inv_user, last_change), B_(struct vg_inv_user, interactive), {NULL, 0, 0}};
static const struct fdesc group_f[] = {S_(struct vg_inv_group, name), I_(struct vg_inv_group, gid),
                                       S_(struct vg_inv_group, members), {NULL, 0, 0}};
static const struct fdesc sudo_f[] = {{"kind", offsetof(struct vg_inv_sudo, kind), FT_SUDO},
                                      S_(struct vg_inv_sudo, file), {"line", offsetof(struct vg_inv_sudo, line), FT_INT},
                                      S_(struct vg_inv_sudo, principal), S_(struct vg_inv_sudo, hosts),
                                      S_(struct vg_inv_sudo, runas), S_(struct vg_inv_sudo, commands),
                                      B_(struct vg_inv_sudo, nopasswd), S_(struct vg_inv_sudo, text), {NULL, 0, 0}};
static const struct fdesc key_f[] = {S_(struct vg_inv_key, user), S_(struct vg_inv_key, file),
                                     {"line", offsetof(struct vg_inv_key, line), FT_INT},
                                     S_(struct vg_inv_key, type), S_(struct vg_inv_key, fingerprint),
                                     S_(struct vg_inv_key, comment), S_(struct vg_inv_key, options), {NULL, 0, 0}};
static const struct fdesc port_f[] = {S_(struct vg_inv_port, proto), S_(struct vg_inv_port, addr),
                                      {"port", offsetof(struct vg_inv_port, port), FT_INT},
                                      {"inode", offsetof(struct vg_inv_port, inode), FT_U64},
                                      I_(struct vg_inv_port, uid), I_(struct vg_inv_port, pid),
                                      S_(struct vg_inv_port, process), {NULL, 0, 0}};
static const struct fdesc proc_f[] = {I_(struct vg_inv_proc, pid), I_(struct vg_inv_proc, ppid),
                                      I_(struct vg_inv_proc, uid), S_(struct vg_inv_proc, name),
                                      S_(struct vg_inv_proc, user), S_(struct vg_inv_proc, cmdline),
                                      S_(struct vg_inv_proc, exe), S_(struct vg_inv_proc, state),
                                      I_(struct vg_inv_proc, start_time), {NULL, 0, 0}};
static const struct fdesc svc_f[] = {S_(struct vg_inv_service, name), S_(struct vg_inv_service, path),
                                     S_(struct vg_inv_service, enabled), S_(struct vg_inv_service, active),
                                     S_(struct vg_inv_service, sub), {NULL, 0, 0}};

/* int fields narrower than int64 (line, port) are int */
static bool is_int32(const struct fdesc *f)
{
    return f->t == FT_INT && (strcmp(f->key, "line") == 0 || strcmp(f->key, "port") == 0);
}

static json_t *obj_of(const void *base, const struct fdesc *fd)
{
    json_t *o = json_object();
    if (!o) return NULL;
    for (; fd->key; fd++) {
        const char *p = (const char *)base + fd->off;
        json_t *v = NULL;
        switch (fd->t) {
        case FT_STR: {
            const char *sv = *(const char *const *)(const void *)p;
            v = json_stringn_nocheck(sv ? sv : "", sv ? strlen(sv) : 0);
            break;
        }
        case FT_INT:
            v = json_integer(is_int32(fd) ? *(const int *)(const void *)p : *(const int64_t *)(const void *)p);
            break;
        case FT_U64: v = json_integer((json_int_t) * (const uint64_t *)(const void *)p); break;
        case FT_BOOL: v = json_boolean(*(const bool *)(const void *)p); break;
        case FT_PW: v = json_string(vg_inv_pw_name(*(const enum vg_inv_pw *)(const void *)p)); break;
        case FT_SUDO: v = json_string(vg_inv_sudo_kind_name(*(const enum vg_inv_sudo_kind *)(const void *)p)); break;
        }
        if (!v || json_object_set_new(o, fd->key, v)) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

static json_t *arr_of(const void *arr, size_t n, size_t elsz, const struct fdesc *fd)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++) {
        json_t *o = obj_of((const char *)arr + i * elsz, fd);
        if (!o || json_array_append_new(a, o)) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

/* Host files can hold any bytes but JSON strings must be UTF-8: before
 * serialising, every string is checked and, if any is invalid, the
 * offending ones are replaced by arena copies with '?' for bytes >= 0x80. */
static bool utf8_all(const void *arr, size_t n, size_t elsz, const struct fdesc *fd)
{
    for (size_t i = 0; i < n; i++)
        for (const struct fdesc *f = fd; f->key; f++) {
            if (f->t != FT_STR) continue;
            const char *sv = *(const char *const *)(const void *)((const char *)arr + i * elsz + f->off);
            if (sv && !vg_utf8_valid(sv, strlen(sv))) return false;
        }
    return true;
}

#define SECTIONS(X)                                              \
    X("interfaces", ifaces, iface_f)                             \
    X("packages", pkgs, pkg_f)                                   \
    X("users", users, user_f)                                    \
    X("groups", groups, group_f)                                 \
    X("sudoers", sudo, sudo_f)                                   \
    X("authorized_keys", keys, key_f)                            \
    X("listening", ports, port_f)                                \
    X("processes", procs, proc_f)                                \
    X("services", services, svc_f)

/* Replaces invalid UTF-8 in every string of s (in place, arena copies). */
static void sanitize(struct vg_inv_snapshot *s, void *arr, size_t n, size_t elsz, const struct fdesc *fd)
{
    for (size_t i = 0; i < n; i++)
        for (const struct fdesc *f = fd; f->key; f++) {
            if (f->t != FT_STR) continue;
            const char **sp = (const char **)(void *)((char *)arr + i * elsz + f->off);
            if (!*sp || vg_utf8_valid(*sp, strlen(*sp))) continue;
            size_t l = strlen(*sp);
            char *c = vg_arena_strndup(&s->arena, *sp, l);
            if (!c) {
                s->oom = true;
                *sp = "";
                continue;
            }
            for (size_t k = 0; k < l; k++)
                if ((unsigned char)c[k] >= 0x80) c[k] = '?';
            *sp = c;
        }
}

int vg_inv_to_json(const struct vg_inv_snapshot *cs, struct vg_buf *out)
{
    struct vg_inv_snapshot *s = (struct vg_inv_snapshot *)cs; /* sanitize may swap strings for copies */
    bool ok = utf8_all(&s->os, 1, sizeof s->os, os_f);
#define CHK(k, f, d) ok = ok && utf8_all(s->f, s->n##f, sizeof *s->f, d);
    SECTIONS(CHK)
#undef CHK
    if (!ok) {
        sanitize(s, &s->os, 1, sizeof s->os, os_f);
#define SAN(k, f, d) sanitize(s, s->f, s->n##f, sizeof *s->f, d);
        SECTIONS(SAN)
#undef SAN
    }
    int rc = VG_ENOMEM;
    json_t *o = json_object(), *iss = json_array();
    if (!o || !iss) goto out;
    json_object_set_new(o, "schema", json_string("vigil.inventory/1"));
    json_object_set_new(o, "root", json_string(s->root));
    json_object_set_new(o, "collected_at", json_integer(s->collected_at));
    json_object_set_new(o, "collect_ns", json_integer(s->collect_ns));
    json_object_set_new(o, "os", obj_of(&s->os, os_f));
    json_object_set_new(o, "packages_known", json_integer((json_int_t)s->pkgs_known));
    json_object_set_new(o, "packages_installed", json_integer((json_int_t)s->pkgs_installed));
    json_object_set_new(o, "rpmdb", json_string(vg_utf8_valid(s->rpmdb, strlen(s->rpmdb)) ? s->rpmdb : ""));
    json_object_set_new(o, "issues_total", json_integer((json_int_t)s->issues_total));
    for (size_t i = 0; i < s->nissues; i++)
        if (vg_utf8_valid(s->issues[i], strlen(s->issues[i]))) json_array_append_new(iss, json_string(s->issues[i]));
    json_object_set_new(o, "issues", iss);
    iss = NULL;
#define PUT(k, f, d)                                                 \
    do {                                                             \
        json_t *a_ = arr_of(s->f, s->n##f, sizeof *s->f, d);          \
        if (!a_ || json_object_set_new(o, k, a_)) goto out;           \
    } while (0);
    SECTIONS(PUT)
#undef PUT
    char *txt = json_dumps(o, JSON_COMPACT);
    if (!txt) goto out;
    rc = vg_buf_adds(out, txt);
    free(txt);
out:
    json_decref(iss);
    json_decref(o);
    return rc;
}

static int load_obj(struct vg_inv_snapshot *s, void *base, json_t *o, const struct fdesc *fd, const char *sec,
                    struct vg_err *err)
{
    if (!json_is_object(o)) return vg_err_set(err, VG_EPARSE, "%s: entry is not an object", sec);
    for (; fd->key; fd++) {
        char *p = (char *)base + fd->off;
        json_t *v = json_object_get(o, fd->key);
        switch (fd->t) {
        case FT_STR:
            if (v && !json_is_string(v)) return vg_err_set(err, VG_EPARSE, "%s.%s: not a string", sec, fd->key);
            *(const char **)(void *)p = v ? vg__inv_strn(s, json_string_value(v), json_string_length(v)) : "";
            break;
        case FT_INT:
        case FT_U64:
            if (v && !json_is_integer(v)) return vg_err_set(err, VG_EPARSE, "%s.%s: not an integer", sec, fd->key);
            if (is_int32(fd)) {
                json_int_t x = v ? json_integer_value(v) : 0;
                if (x < INT32_MIN || x > INT32_MAX) return vg_err_set(err, VG_EPARSE, "%s.%s: out of range", sec, fd->key);
                *(int *)(void *)p = (int)x;
            } else if (fd->t == FT_U64) {
                *(uint64_t *)(void *)p = v ? (uint64_t)json_integer_value(v) : 0;
            } else {
                *(int64_t *)(void *)p = v ? json_integer_value(v) : 0;
            }
            break;
        case FT_BOOL:
            if (v && !json_is_boolean(v)) return vg_err_set(err, VG_EPARSE, "%s.%s: not a boolean", sec, fd->key);
            *(bool *)(void *)p = v && json_is_true(v);
            break;
        case FT_PW:
        case FT_SUDO: {
            const char *t = json_is_string(v) ? json_string_value(v) : "";
            int k, max = fd->t == FT_PW ? 6 : 4;
            for (k = 0; k < max; k++)
                if (strcmp(t, fd->t == FT_PW ? vg_inv_pw_name((enum vg_inv_pw)k)
                                              : vg_inv_sudo_kind_name((enum vg_inv_sudo_kind)k)) == 0)
                    break;
            if (k == max) return vg_err_set(err, VG_EPARSE, "%s.%s: unknown value", sec, fd->key);
            *(int *)(void *)p = k;
            break;
        }
        }
    }
    return s->oom ? vg_err_set(err, VG_ENOMEM, "out of memory") : 0;
}

static int load_arr(struct vg_inv_snapshot *s, json_t *root, const char *key, void **arr, size_t *n, size_t *cap,
                    size_t elsz, const struct fdesc *fd, struct vg_err *err)
{
    json_t *a = json_object_get(root, key);
    if (!a) return 0;
    if (!json_is_array(a)) return vg_err_set(err, VG_EPARSE, "%s: not an array", key);
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v)
    {
        void *e = vg__inv_push(s, arr, n, cap, elsz);
        if (!e) return vg_err_set(err, s->oom ? VG_ENOMEM : VG_ETOOBIG, "%s: too many entries", key);
        int rc = load_obj(s, e, v, fd, key, err);
        if (rc) return rc;
    }
    return 0;
}

int vg_inv_from_json(const char *text, size_t n, struct vg_inv_snapshot **out, struct vg_err *err)
{
    *out = NULL;
    json_error_t je;
    json_t *o = json_loadb(text, n, JSON_REJECT_DUPLICATES, &je);
    if (!o) return vg_err_set(err, VG_EPARSE, "inventory JSON line %d: %s", je.line, je.text);
    int rc = 0;
    struct vg_inv_snapshot *s = NULL;
    json_t *sch = json_object_get(o, "schema");
    if (!json_is_object(o) || !json_is_string(sch) || strcmp(json_string_value(sch), "vigil.inventory/1") != 0) {
        rc = vg_err_set(err, VG_EPARSE, "not a vigil inventory snapshot (schema vigil.inventory/1)");
        goto out;
    }
    json_t *r = json_object_get(o, "root");
    s = vg_inv_snapshot_new(json_is_string(r) ? json_string_value(r) : "/");
    if (!s) {
        rc = vg_err_set(err, VG_ENOMEM, "out of memory");
        goto out;
    }
    s->collected_at = json_integer_value(json_object_get(o, "collected_at"));
    s->collect_ns = json_integer_value(json_object_get(o, "collect_ns"));
    s->pkgs_known = (size_t)json_integer_value(json_object_get(o, "packages_known"));
    s->pkgs_installed = (size_t)json_integer_value(json_object_get(o, "packages_installed"));
    s->issues_total = (size_t)json_integer_value(json_object_get(o, "issues_total"));
    json_t *iss = json_object_get(o, "issues"), *iv;
    size_t ii;
    json_array_foreach(iss, ii, iv)
    {
        if (s->nissues < VG_INV_MAX_ISSUES && json_is_string(iv))
            snprintf(s->issues[s->nissues++], sizeof s->issues[0], "%s", json_string_value(iv));
    }
    json_t *rp = json_object_get(o, "rpmdb");
    s->rpmdb = json_is_string(rp) ? vg__inv_str(s, json_string_value(rp)) : "";
    json_t *os = json_object_get(o, "os");
    if (os && (rc = load_obj(s, &s->os, os, os_f, "os", err))) goto out;
#define GET(k, f, d)                                                                                          \
    if ((rc = load_arr(s, o, k, (void **)&s->f, &s->n##f, &s->cap_##f, sizeof *s->f, d, err))) goto out;
    SECTIONS(GET)
#undef GET
out:
    json_decref(o);
    if (rc) vg_inv_snapshot_free(s);
    else *out = s;
    return rc;
}
