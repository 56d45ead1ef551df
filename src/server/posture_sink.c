/* What the server does with an agent's posture documents (RECORD frames;
 * the agent's side is src/agent/posture.c, the hook vg_agent_record_fn in
 * vigil/source.h). Per document type:
 *   inventory  the snapshot is validated (vg_inv_from_json) and stored as
 *              the asset's current view, its changes appended to the asset
 *              history and pushed as events (event.module inventory), and
 *              its Debian packages matched against the advisories in
 *              DATA/advisories (vigil vulns import), findings stored;
 *   hardening  the report (policy, score, failed checks with remediation,
 *              every result) stored as the latest posture of that policy
 *              plus one trend row; one `hardening_scan` event;
 *   fim        the change stored in the asset history and pushed as an
 *              event (event.module fim, before/after values).
 * Documents are the agent's tenant and host: nothing inside a document
 * chooses them. A document that does not validate is refused with
 * VG_EPARSE/VG_EINVAL and a reason (the listener counts it and stores an
 * `agent_record_rejected` event); store failures are transient errors.
 * Advisory databases are loaded per release on first use and reloaded when
 * the directory changes. */
#include "posture_sink.h"
#include "vigil/store.h"
#include <stdatomic.h>
#include "vigil/inventory.h"
#include "vigil/vuln.h"
#include <jansson.h>
#include <pthread.h>

#define MAX_RELEASES 8
#define NAME_MAX_LEN 255

struct vg_posture_sink {
    struct vg_store *db;         /* own handle for the asset tables, guarded by mu */
    pthread_mutex_t mu;
    char adv_dir[1100];
    uint64_t adv_stamp;
    struct { char release[32]; struct vg_vuln_db *db; } rel[MAX_RELEASES];
    size_t nrel;
    atomic_uint_fast64_t docs, rejected;
};

int vg__posture_sink_new(struct vg_posture_sink **out, const char *data_dir, struct vg_err *err)
{
    *out = NULL;
    struct vg_posture_sink *k = vg_calloc(1, sizeof *k);
    if (!k) return vg_err_set(err, VG_ENOMEM, "out of memory");
    int rc = vg_store_open(&k->db, data_dir, err);
    if (rc) { vg_free(k); return rc; }
    if (!k->db->ops->asset_put_inventory || !k->db->ops->asset_put_posture || !k->db->ops->asset_put_vulns) {
        vg_store_close(k->db);
        vg_free(k);
        return vg_err_set(err, VG_EUNSUP, "this store keeps no assets");
    }
    pthread_mutex_init(&k->mu, NULL);
    snprintf(k->adv_dir, sizeof k->adv_dir, "%s/advisories", data_dir);
    *out = k;
    return 0;
}

static void drop_dbs(struct vg_posture_sink *k)
{
    for (size_t i = 0; i < k->nrel; i++) vg_vuln_db_free(k->rel[i].db);
    k->nrel = 0;
}

void vg__posture_sink_free(struct vg_posture_sink *k)
{
    if (!k) return;
    drop_dbs(k);
    vg_store_close(k->db);
    pthread_mutex_destroy(&k->mu);
    vg_free(k);
}

/* The advisory db of a release (NULL when there are no advisories); called
 * with mu held. */
static struct vg_vuln_db *release_db(struct vg_posture_sink *k, const char *release)
{
    uint64_t stamp = 0;
    size_t files = 0;
    if (vg_vuln_db_load_dir(NULL, k->adv_dir, &files, &stamp, NULL) != 0 || files == 0) {
        drop_dbs(k);
        return NULL;
    }
    if (stamp != k->adv_stamp) drop_dbs(k);
    k->adv_stamp = stamp;
    for (size_t i = 0; i < k->nrel; i++)
        if (strcmp(k->rel[i].release, release) == 0) return k->rel[i].db;
    struct vg_vuln_db *db = vg_vuln_db_new(release);
    if (!db) return NULL;   /* unknown release name */
    struct vg_err e = VG_ERR_INIT;
    int64_t t0 = vg_mono_ns();
    if (vg_vuln_db_load_dir(db, k->adv_dir, &files, NULL, &e) != 0) {
        vg_warn("posture", "advisories for %s not loaded: %s", release, e.msg);
        vg_vuln_db_free(db);
        return NULL;
    }
    if (k->nrel == MAX_RELEASES) { vg_vuln_db_free(k->rel[0].db); memmove(k->rel, k->rel + 1, sizeof k->rel[0] * --k->nrel); }
    snprintf(k->rel[k->nrel].release, sizeof k->rel[k->nrel].release, "%s", release);
    k->rel[k->nrel++].db = db;
    vg_info("posture", "advisories for %s: %zu entries from %zu files in %.0f ms", release, vg_vuln_db_count(db), files,
            (double)(vg_mono_ns() - t0) / 1e6);
    return db;
}

static int push_event(struct vg_batch *b, json_t *obj, int64_t ts)
{
    char *t = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!t) return VG_ENOMEM;
    struct vg_event *ev = vg_batch_push(b);
    int rc = !ev || vg_event_set_raw(ev, t, strlen(t)) != 0 ? VG_ENOMEM : 0;
    if (!rc) ev->recv_ts = ts;
    free(t);
    return rc;
}

static int bad(char *why, size_t whysz, const char *fmt, const char *arg)
{
    snprintf(why, whysz, fmt, arg);
    return VG_EINVAL;
}

static int on_inventory(struct vg_posture_sink *k, const char *tenant, const char *host, json_t *doc, int64_t ts,
                        struct vg_batch *b, char *why, size_t whysz)
{
    json_t *snap = json_object_get(doc, "snapshot"), *changes = json_object_get(doc, "changes");
    if (!json_is_object(snap)) return bad(why, whysz, "inventory: %s", "no snapshot object");
    if (changes && !json_is_array(changes)) return bad(why, whysz, "inventory: %s", "changes is not an array");
    size_t i;
    json_t *c;
    json_array_foreach(changes, i, c)
    {
        json_t *ev = json_object_get(c, "event");
        if (!json_is_object(c) || !json_is_string(json_object_get(ev, "action")))
            return bad(why, whysz, "inventory: %s", "a change without event.action");
    }
    char *st = json_dumps(snap, JSON_COMPACT | JSON_PRESERVE_ORDER);
    char *ct = changes ? json_dumps(changes, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    struct vg_inv_snapshot *s = NULL;
    struct vg_buf vj = VG_BUF_INIT;
    vj.cap_limit = (size_t)1 << 30;
    struct vg_err e = VG_ERR_INIT;
    int rc = 0;
    if (!st || (changes && !ct)) { rc = VG_ENOMEM; goto out; }
    if (vg_inv_from_json(st, strlen(st), &s, &e) != 0) {
        rc = e.code == VG_ENOMEM ? VG_ENOMEM : VG_EINVAL;
        snprintf(why, whysz, "inventory snapshot: %s", e.msg);
        goto out;
    }
    pthread_mutex_lock(&k->mu);
    rc = vg_store_put_inventory(k->db, tenant, host, st, ct, ts, &e);
    char relbuf[64];
    const char *release = rc ? NULL : vg_vuln_snapshot_release(s, relbuf, sizeof relbuf);
    struct vg_vuln_db *db = release && s->npkgs ? release_db(k, release) : NULL;
    size_t nf = 0;
    if (db) {
        if (vg_vuln_match_snapshot(db, s, host, &vj, &nf, &e) == 0)
            rc = k->db->ops->asset_put_vulns(k->db, tenant, host, nf, vj.data, ts, &e);
        else vg_warn("posture", "%s: vulnerability matching failed: %s", host, e.msg);
    }
    pthread_mutex_unlock(&k->mu);
    if (rc) {
        snprintf(why, whysz, "storing the inventory: %s", e.msg);
        if (rc == VG_EINVAL) rc = VG_EDB; /* validated above: a store refusal here is not the agent's fault */
        goto out;
    }
    json_array_foreach(changes, i, c) if ((rc = push_event(b, c, ts))) goto out;
    vg_debug("posture", "%s (%s): inventory, %zu packages, %zu changes, %zu vulnerable", host, tenant, s->pkgs_known,
             json_array_size(changes), nf);
out:
    vg_buf_release(&vj);
    vg_inv_snapshot_free(s);
    free(st);
    free(ct);
    return rc;
}

static int on_hardening(struct vg_posture_sink *k, const char *tenant, const char *host, json_t *doc, int64_t ts,
                        struct vg_batch *b, char *why, size_t whysz)
{
    json_t *r = json_object_get(doc, "report");
    const char *policy = json_string_value(json_object_get(r, "policy"));
    json_t *score = json_object_get(r, "score");
    if (!json_is_object(r)) return bad(why, whysz, "hardening: %s", "no report object");
    if (!policy || !*policy || strlen(policy) > NAME_MAX_LEN) return bad(why, whysz, "hardening: %s", "bad policy id");
    if (score && !json_is_null(score) && (!json_is_number(score) || json_number_value(score) < 0 ||
                                          json_number_value(score) > 100))
        return bad(why, whysz, "hardening: %s", "score must be a number 0..100 or null");
    json_t *failed = json_object_get(r, "failed"), *results = json_object_get(r, "results");
    if ((failed && !json_is_array(failed)) || (results && !json_is_array(results)))
        return bad(why, whysz, "hardening: %s", "failed/results must be arrays");
    char *t = json_dumps(r, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!t) return VG_ENOMEM;
    double sc = json_is_number(score) ? json_number_value(score) : -1;
    struct vg_err e = VG_ERR_INIT;
    pthread_mutex_lock(&k->mu);
    int rc = k->db->ops->asset_put_posture(k->db, tenant, host, policy, sc, t, ts, &e);
    pthread_mutex_unlock(&k->mu);
    free(t);
    if (rc) {
        snprintf(why, whysz, "storing the hardening report: %s", e.msg);
        return rc == VG_EINVAL ? VG_EDB : rc;
    }
    json_t *ev = json_pack("{s:{s:s,s:s,s:s,s:s},s:{s:{s:s,s:o,s:O,s:O}}}", "event", "kind", "state", "module",
                           "hardening", "dataset", "hardening.scan", "action", "hardening_scan", "vigil", "hardening",
                           "policy", policy, "score", sc < 0 ? json_null() : json_real(sc), "pass",
                           json_object_get(r, "pass") ? json_object_get(r, "pass") : json_null(), "fail",
                           json_object_get(r, "fail") ? json_object_get(r, "fail") : json_null());
    if (!ev) return VG_ENOMEM;
    rc = push_event(b, ev, ts);
    json_decref(ev);
    return rc;
}

static int on_fim(struct vg_posture_sink *k, const char *tenant, const char *host, json_t *doc, int64_t ts,
                  struct vg_batch *b, char *why, size_t whysz)
{
    json_t *c = json_object_get(doc, "change");
    if (!json_is_object(c) || !json_is_string(json_object_get(c, "event.action")) ||
        !json_is_string(json_object_get(c, "file.path")))
        return bad(why, whysz, "fim: %s", "change needs event.action and file.path");
    json_t *arr = json_pack("[O]", c);
    char *t = arr ? json_dumps(arr, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(arr);
    if (!t) return VG_ENOMEM;
    struct vg_err e = VG_ERR_INIT;
    pthread_mutex_lock(&k->mu);
    int rc = vg_store_put_inventory(k->db, tenant, host, NULL, t, ts, &e);
    pthread_mutex_unlock(&k->mu);
    free(t);
    if (rc) {
        snprintf(why, whysz, "storing the FIM change: %s", e.msg);
        return rc == VG_EINVAL ? VG_EDB : rc;
    }
    return push_event(b, c, ts);
}

int vg__posture_sink_record(void *ctx, const char *tenant, const char *host, const char *text, size_t len, int64_t ts,
                            struct vg_batch *b, char *why, size_t whysz)
{
    struct vg_posture_sink *k = ctx;
    json_error_t je;
    if (!vg_utf8_valid(text, len)) { snprintf(why, whysz, "document is not valid UTF-8"); goto reject; }
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(doc)) {
        if (doc) snprintf(why, whysz, "document is not a JSON object");
        else snprintf(why, whysz, "document is not JSON: %s at line %d column %d", je.text, je.line, je.column);
        json_decref(doc);
        goto reject;
    }
    const char *type = json_string_value(json_object_get(doc, "type"));
    json_t *tsv = json_object_get(doc, "ts");
    int64_t dts = json_is_integer(tsv) ? (int64_t)json_integer_value(tsv) : 0;
    /* the agent's time, within reason; else the frame's record time */
    int64_t use_ts = dts > 0 && dts < vg_now_ns() + 86400000000000LL ? dts : ts > 0 ? ts : vg_now_ns();
    int rc;
    if (!type) rc = bad(why, whysz, "%s", "document without a type");
    else if (strcmp(type, "inventory") == 0) rc = on_inventory(k, tenant, host, doc, use_ts, b, why, whysz);
    else if (strcmp(type, "hardening") == 0) rc = on_hardening(k, tenant, host, doc, use_ts, b, why, whysz);
    else if (strcmp(type, "fim") == 0) rc = on_fim(k, tenant, host, doc, use_ts, b, why, whysz);
    else {
        char t[64];
        snprintf(t, sizeof t, "%.60s", type);
        rc = bad(why, whysz, "unknown document type '%s'", t);
    }
    json_decref(doc);
    if (rc == VG_EINVAL) atomic_fetch_add(&k->rejected, 1);
    else if (!rc) atomic_fetch_add(&k->docs, 1);
    return rc;
reject:
    atomic_fetch_add(&k->rejected, 1);
    return VG_EPARSE;
}
