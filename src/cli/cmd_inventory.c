/* vigil inventory [--root DIR] [--json] [--diff OLD.json] [--events]: collects
 * the host inventory (posture layer, vigil/inventory.h) of this host or a
 * root prefix and prints a summary, the JSON snapshot, or with --diff the
 * changes against an earlier snapshot (one line each, or JSON events).
 * Exit 0 on success, 1 when collection fails, 2 on usage errors. */
#include "cli.h"
#include "vigil/inventory.h"
#include "vigil/store.h"

static const char usage_text[] =
    "usage: vigil inventory [--root DIR] [--json] [--diff OLD.json [--events]] [--out FILE]\n"
    "                       [--store DIR [--host NAME] [--tenant T]]\n"
    "  Collects OS, interfaces, packages, users and groups, sudoers, SSH\n"
    "  authorized keys, listening ports, processes and services.\n"
    "  --root DIR       root prefix (a mounted image or fixture tree; default /)\n"
    "  --json           print the snapshot as JSON\n"
    "  --out FILE       also write the JSON snapshot to FILE (for a later --diff)\n"
    "  --diff OLD.json  print the changes since an earlier snapshot\n"
    "  --events         with --diff: one JSON event per change\n"
    "  --store DIR      push the snapshot and its changes (against the stored one) to the\n"
    "                   data directory's store as asset --host NAME (default: the hostname)\n"
    "  --tenant T       tenant for --store (default \"default\")\n"
    "exit status: 0 ok, 1 collection or I/O error, 2 usage error";

static int read_all(const char *path, struct vg_buf *b)
{
    FILE *f = fopen(path, "re");
    if (!f) return VG_EIO;
    char tmp[65536];
    size_t r;
    int rc = 0;
    b->cap_limit = (size_t)1 << 30;
    while (!rc && (r = fread(tmp, 1, sizeof tmp, f)) > 0) rc = vg_buf_add(b, tmp, r);
    if (ferror(f)) rc = VG_EIO;
    fclose(f);
    return rc;
}

/* Pushes s to the store: diff against the stored snapshot of the asset
 * (none the first time), then store the snapshot and the changes. */
static int push(const char *dir, const char *tenant, const char *host, struct vg_inv_snapshot *s)
{
    struct vg_err err = VG_ERR_INIT;
    struct vg_store *st = NULL;
    struct vg_inv_snapshot *prev = NULL;
    struct vg_inv_changes ch = VG_INV_CHANGES_INIT;
    struct vg_buf snap = VG_BUF_INIT, chj = VG_BUF_INIT;
    char *old = NULL;
    int ret = 1;
    snap.cap_limit = chj.cap_limit = (size_t)1 << 30;
    if (!*host) {
        fprintf(stderr, "vigil inventory: no host name: use --host\n");
        return 2;
    }
    if (vg_store_open(&st, dir, &err)) goto fail;
    int rc = st->ops->asset_get ? st->ops->asset_get(st, tenant, host, NULL, &old, NULL, 0, &err) : VG_EUNSUP;
    if (rc && rc != VG_ENOENT) goto fail;
    if (old && *old && vg_inv_from_json(old, strlen(old), &prev, &err)) goto fail;
    if (vg_inv_diff(prev, s, &ch) || vg_inv_to_json(s, &snap)) {
        fprintf(stderr, "vigil inventory: out of memory\n");
        goto out;
    }
    vg_buf_addc(&chj, '[');
    for (size_t i = 0; i < ch.n; i++) {
        if (i) vg_buf_addc(&chj, ',');
        if (vg_inv_change_json(&ch.v[i], host, &chj)) {
            fprintf(stderr, "vigil inventory: out of memory\n");
            goto out;
        }
    }
    vg_buf_addc(&chj, ']');
    if (vg_store_put_inventory(st, tenant, host, snap.data, chj.data, 0, &err)) goto fail;
    printf("stored inventory of %s (tenant %s): %zu packages, %zu changes%s\n", host, tenant, s->pkgs_known, ch.n,
           prev ? "" : " (first snapshot)");
    for (size_t i = 0; i < ch.n; i++) printf("  %-28s %s\n", ch.v[i].action, ch.v[i].subject);
    ret = 0;
    goto out;
fail:
    fprintf(stderr, "vigil inventory: %s\n", err.msg);
out:
    vg_free(old);
    vg_buf_release(&snap);
    vg_buf_release(&chj);
    vg_inv_changes_release(&ch);
    vg_inv_snapshot_free(prev);
    if (st) vg_store_close(st);
    return ret;
}

static int run(int argc, char **argv)
{
    const char *root = "/", *diff = NULL, *outp = NULL, *store_dir = NULL, *host = NULL, *tenant = "default";
    bool json = false, events = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--root") == 0 && i + 1 < argc) root = argv[++i];
        else if (strcmp(a, "--diff") == 0 && i + 1 < argc) diff = argv[++i];
        else if (strcmp(a, "--out") == 0 && i + 1 < argc) outp = argv[++i];
        else if (strcmp(a, "--store") == 0 && i + 1 < argc) store_dir = argv[++i];
        else if (strcmp(a, "--host") == 0 && i + 1 < argc) host = argv[++i];
        else if (strcmp(a, "--tenant") == 0 && i + 1 < argc) tenant = argv[++i];
        else if (strcmp(a, "--json") == 0) json = true;
        else if (strcmp(a, "--events") == 0) events = true;
        else {
            fprintf(stderr, "%s\n", usage_text);
            return 2;
        }
    }
    int ret = 1;
    struct vg_err err = VG_ERR_INIT;
    struct vg_inv_snapshot *s = vg_inv_snapshot_new(root), *old = NULL;
    struct vg_buf out = VG_BUF_INIT, in = VG_BUF_INIT;
    struct vg_inv_changes ch = VG_INV_CHANGES_INIT;
    out.cap_limit = (size_t)1 << 30;
    if (!s) goto out;
    if (diff) {
        if (read_all(diff, &in)) {
            fprintf(stderr, "vigil inventory: cannot read %s\n", diff);
            goto out;
        }
        if (vg_inv_from_json(in.data ? in.data : "", in.len, &old, &err)) {
            fprintf(stderr, "vigil inventory: %s: %s\n", diff, err.msg);
            goto out;
        }
    }
    if (vg_inv_collect(s, VG_INV_ALL, &err)) {
        fprintf(stderr, "vigil inventory: %s\n", err.msg);
        goto out;
    }
    if ((json || outp) && vg_inv_to_json(s, &out)) {
        fprintf(stderr, "vigil inventory: out of memory\n");
        goto out;
    }
    if (outp) {
        FILE *f = fopen(outp, "we");
        bool ok = f && fwrite(out.data, 1, out.len, f) == out.len;
        if (f && fclose(f) != 0) ok = false;
        if (!ok) {
            fprintf(stderr, "vigil inventory: cannot write %s\n", outp);
            goto out;
        }
    }
    if (store_dir) {
        ret = push(store_dir, tenant, host && *host ? host : s->os.hostname, s);
        goto out;
    }
    if (diff) {
        if (vg_inv_diff(old, s, &ch)) {
            fprintf(stderr, "vigil inventory: diff failed\n");
            goto out;
        }
        for (size_t i = 0; i < ch.n; i++) {
            const struct vg_inv_change *c = &ch.v[i];
            if (events) {
                struct vg_buf e = VG_BUF_INIT;
                if (vg_inv_change_json(c, s->os.hostname, &e) == 0) printf("%s\n", e.data);
                vg_buf_release(&e);
            } else {
                printf("%-28s %-30s %s -> %s\n", c->action, c->subject, *c->before ? c->before : "-",
                       *c->after ? c->after : "-");
            }
        }
        if (!events) printf("%zu changes\n", ch.n);
    } else if (json) {
        fwrite(out.data, 1, out.len, stdout);
        putchar('\n');
    } else {
        printf("host %s: %s, kernel %s\n", s->os.hostname, *s->os.os_pretty ? s->os.os_pretty : "unknown OS",
               s->os.kernel_release);
        printf("packages: %zu known, %zu installed", s->pkgs_known, s->pkgs_installed);
        if (*s->rpmdb) printf(" (%zu from the rpm database %s)", s->pkgs_rpm, s->rpmdb);
        putchar('\n');
        size_t empty = 0, locked = 0, nopw = 0;
        for (size_t i = 0; i < s->nusers; i++) {
            empty += s->users[i].pw == VG_INV_PW_EMPTY;
            locked += s->users[i].pw == VG_INV_PW_LOCKED;
        }
        for (size_t i = 0; i < s->nsudo; i++) nopw += s->sudo[i].nopasswd;
        printf("users: %zu (uid 0: %zu, empty password: %zu, locked: %zu), groups: %zu\n", s->nusers,
               vg_inv_count_uid0(s), empty, locked, s->ngroups);
        printf("sudoers entries: %zu (NOPASSWD: %zu), authorized keys: %zu\n", s->nsudo, nopw, s->nkeys);
        printf("interfaces: %zu, listening ports: %zu, processes: %zu, services: %zu\n", s->nifaces, s->nports,
               s->nprocs, s->nservices);
        printf("issues: %zu%s\n", s->issues_total, s->issues_total ? " (first below)" : "");
        for (size_t i = 0; i < s->nissues && i < 5; i++) printf("  %s\n", s->issues[i]);
        printf("collected in %.1f ms\n", (double)s->collect_ns / 1e6);
    }
    ret = 0;
out:
    vg_inv_changes_release(&ch);
    vg_buf_release(&out);
    vg_buf_release(&in);
    vg_inv_snapshot_free(s);
    vg_inv_snapshot_free(old);
    return ret;
}

const struct vg_cmd vg_cmd_inventory = {
    .name = "inventory", .desc = "collect the host inventory (packages, users, ports, services...) or diff it",
    .usage = usage_text, .run = run};
