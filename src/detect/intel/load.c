/* Threat-intel feed loaders: STIX 2.1 bundles (indicator objects with STIX
 * patterns), MISP events (to_ids attributes, also inside objects), MISP
 * warninglists and plain text/CSV lists; format detection; files and
 * directories. Every candidate indicator is counted as accepted or
 * rejected (with a reason in the report); dropped OR-branches are notes. */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <sys/stat.h>

#define MAX_DIR_DEPTH 8

static const char *jstr(const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static int parse_time(const char *s, int64_t *out)
{
    return s ? vg_time_parse_iso(s, strlen(s), out) : VG_EINVAL;
}

/* ---- STIX -------------------------------------------------------------- */

#define MAX_PENDING_NOTES 16

struct stix_ctx {
    struct vg_intel_builder *b;
    uint32_t ind;
    size_t added;
    int atoms[VG_INTEL_NTYPES];
    char notes[MAX_PENDING_NOTES][320];
    size_t nnotes, ndropped;
};

static void stix_drop(void *ctx, const char *reason);

/* One conjunction of a pattern: its indexed values become atoms (invalid
 * ones are dropped as notes), tied to a conjunction entry when it has
 * constraints to verify on the event. */
static int stix_add(void *ctx, const struct intel_pconj *cj, char *why, size_t whysz)
{
    struct stix_ctx *c = ctx;
    uint32_t owner = c->ind;
    const char *w = NULL;
    size_t s_conj = c->b->nconj, s_cons = c->b->ncons, s_cvals = c->b->ncvals;
    if (cj->ncons) {
        int rc = intel_builder_add_conj(c->b, c->ind, cj, &owner, &w);
        if (rc == VG_ENOMEM) return rc;
        if (rc) { snprintf(why, whysz, "%s", w ? w : vg_strerror(rc)); return VG_EINVAL; }
    }
    size_t added = 0, nbad = 0, bad[32];
    for (size_t i = 0; i < cj->nv; i++) {
        int rc = intel_builder_add_atom(c->b, owner, cj->type, cj->vals[i].s, cj->vals[i].len, &w);
        if (rc == VG_ENOMEM) return rc;
        if (rc == 0) { added++; c->atoms[cj->type]++; c->added++; continue; }
        if (nbad < VG_ARRAY_LEN(bad)) bad[nbad] = i;
        nbad++;
    }
    for (size_t k = 0; k < nbad; k++) {
        const struct intel_pval *v = &cj->vals[bad[k < VG_ARRAY_LEN(bad) ? k : 0]];
        char r[200];
        snprintf(r, sizeof r, "invalid %s value '%.*s'", vg_intel_type_name(cj->type), (int)(v->len > 80 ? 80 : v->len), v->s);
        if (!added) { /* the caller drops the whole part */
            intel_builder_rollback_conj(c->b, s_conj, s_cons, s_cvals);
            snprintf(why, whysz, "%s", r);
            return VG_EINVAL;
        }
        if (k < VG_ARRAY_LEN(bad)) stix_drop(ctx, r);
        else c->ndropped++;
    }
    return 0;
}

static void stix_drop(void *ctx, const char *reason)
{
    struct stix_ctx *c = ctx;
    c->ndropped++;
    if (c->nnotes < MAX_PENDING_NOTES) snprintf(c->notes[c->nnotes++], sizeof c->notes[0], "%.300s", reason);
}

static void stix_indicator(struct vg_intel_builder *b, const char *feed, const json_t *o, struct vg_intel_report *rep)
{
    const char *id = jstr(o, "id");
    rep->indicators++;
    const char *ptype = jstr(o, "pattern_type");
    const char *pattern = jstr(o, "pattern");
    struct vg_intel_indicator meta = {.id = id, .name = jstr(o, "name"), .feed = feed, .pattern = pattern,
                                      .confidence = -1, .valid_from = INT64_MIN, .valid_until = INT64_MAX};
    char why[300] = "";
    const json_t *rv = json_object_get(o, "revoked");
    if (ptype && strcmp(ptype, "stix") != 0) { snprintf(why, sizeof why, "pattern_type '%.40s' is not supported", ptype); goto reject; }
    if (!pattern) { snprintf(why, sizeof why, "indicator without a pattern"); goto reject; }
    if (json_is_true(rv)) { snprintf(why, sizeof why, "revoked"); goto reject; }
    const char *vf = jstr(o, "valid_from"), *vu = jstr(o, "valid_until");
    if (vf && parse_time(vf, &meta.valid_from) != 0) { snprintf(why, sizeof why, "bad valid_from '%.40s'", vf); goto reject; }
    if (vu && parse_time(vu, &meta.valid_until) != 0) { snprintf(why, sizeof why, "bad valid_until '%.40s'", vu); goto reject; }
    if (meta.valid_until <= meta.valid_from) { snprintf(why, sizeof why, "valid_until is not after valid_from"); goto reject; }
    const json_t *conf = json_object_get(o, "confidence");
    if (json_is_integer(conf) && json_integer_value(conf) >= 0 && json_integer_value(conf) <= 100)
        meta.confidence = (int)json_integer_value(conf);
    char labels[512] = "";
    const json_t *lab = json_object_get(o, "labels");
    if (json_is_array(lab)) {
        size_t i, off = 0;
        const json_t *l;
        json_array_foreach(lab, i, l) {
            if (!json_is_string(l) || off >= sizeof labels - 2) continue;
            int w = snprintf(labels + off, sizeof labels - off, "%s%s", off ? "," : "", json_string_value(l));
            if (w > 0) off += (size_t)w;
            if (off >= sizeof labels) off = sizeof labels - 1;
        }
        if (labels[0]) meta.labels = labels;
    }
    size_t save_atoms = b->natoms, save_conj = b->nconj, save_cons = b->ncons, save_cvals = b->ncvals;
    struct stix_ctx c = {.b = b};
    int rc = intel_builder_add_ind(b, &meta, &c.ind);
    if (rc) { snprintf(why, sizeof why, "%s", vg_strerror(rc)); goto reject; }
    struct intel_pattern_cb cb = {stix_add, stix_drop, &c};
    rc = intel_stix_pattern(pattern, strlen(pattern), &cb, why, sizeof why);
    if (rc) {
        b->natoms = save_atoms;
        intel_builder_rollback_conj(b, save_conj, save_cons, save_cvals);
        b->nind--;
        goto reject;
    }
    rep->accepted++;
    for (int t = 0; t < VG_INTEL_NTYPES; t++) rep->atoms[t] += (size_t)c.atoms[t];
    rep->parts_dropped += c.ndropped;
    for (size_t i = 0; i < c.nnotes; i++) intel_report_add(rep, true, feed, id, "dropped part: %s", c.notes[i]);
    return;
reject:
    rep->rejected++;
    intel_report_add(rep, false, feed, id, "%s", why);
}

static int load_stix_json(struct vg_intel_builder *b, const char *feed, const json_t *root, struct vg_intel_report *rep)
{
    const json_t *objs = NULL;
    if (json_is_object(root)) {
        const char *t = jstr(root, "type");
        if (t && strcmp(t, "bundle") == 0) objs = json_object_get(root, "objects");
        else if (t) {
            rep->objects++;
            if (strcmp(t, "indicator") == 0) stix_indicator(b, feed, root, rep);
            else rep->skipped++;
            return 0;
        }
    } else if (json_is_array(root)) {
        objs = root;
    }
    if (!json_is_array(objs)) {
        rep->rejected++;
        intel_report_add(rep, false, feed, NULL, "not a STIX bundle (no objects array)");
        return VG_EFORMAT;
    }
    size_t i;
    const json_t *o;
    json_array_foreach(objs, i, o) {
        rep->objects++;
        const char *t = json_is_object(o) ? jstr(o, "type") : NULL;
        if (!t) {
            rep->rejected++;
            intel_report_add(rep, false, feed, NULL, "object %zu has no type", i);
            continue;
        }
        if (strcmp(t, "indicator") == 0) stix_indicator(b, feed, o, rep);
        else rep->skipped++;
    }
    return 0;
}

/* ---- MISP -------------------------------------------------------------- */

static bool misp_to_ids(const json_t *a)
{
    const json_t *v = json_object_get(a, "to_ids");
    if (json_is_true(v)) return true;
    if (json_is_integer(v)) return json_integer_value(v) != 0;
    if (json_is_string(v)) return strcmp(json_string_value(v), "1") == 0 || strcmp(json_string_value(v), "true") == 0;
    return false;
}

/* MISP attribute type -> atoms: first/second part of a composite value. */
static int misp_type(const char *t, int *second)
{
    static const struct { const char *name; int first, second; } map[] = {
        {"ip-src", VG_INTEL_IP, -1},         {"ip-dst", VG_INTEL_IP, -1},
        {"ip-src|port", VG_INTEL_IP, -2},    {"ip-dst|port", VG_INTEL_IP, -2},
        {"domain", VG_INTEL_DOMAIN, -1},     {"hostname", VG_INTEL_HOSTNAME, -1},
        {"hostname|port", VG_INTEL_HOSTNAME, -2}, {"domain|ip", VG_INTEL_DOMAIN, VG_INTEL_IP},
        {"url", VG_INTEL_URL, -1},           {"md5", VG_INTEL_MD5, -1},
        {"sha1", VG_INTEL_SHA1, -1},         {"sha256", VG_INTEL_SHA256, -1},
        {"sha512", VG_INTEL_SHA512, -1},     {"filename|md5", -2, VG_INTEL_MD5},
        {"filename|sha1", -2, VG_INTEL_SHA1}, {"filename|sha256", -2, VG_INTEL_SHA256},
        {"filename|sha512", -2, VG_INTEL_SHA512}, {"email-src", VG_INTEL_EMAIL, -1},
        {"email-dst", VG_INTEL_EMAIL, -1},   {"email", VG_INTEL_EMAIL, -1},
    };
    for (size_t i = 0; i < VG_ARRAY_LEN(map); i++)
        if (strcmp(map[i].name, t) == 0) { *second = map[i].second; return map[i].first; }
    *second = -1;
    return -1;
}

static void misp_attr(struct vg_intel_builder *b, const char *feed, const char *info, int conf, const json_t *a,
                      struct vg_intel_report *rep)
{
    rep->objects++;
    if (!json_is_object(a)) { rep->rejected++; intel_report_add(rep, false, feed, NULL, "attribute is not an object"); return; }
    if (!misp_to_ids(a)) { rep->skipped++; return; }
    rep->indicators++;
    const char *id = jstr(a, "uuid"), *type = jstr(a, "type"), *value = jstr(a, "value");
    char why[200] = "";
    if (!type || !value) { snprintf(why, sizeof why, "attribute without type or value"); goto reject; }
    int second, first = misp_type(type, &second);
    if (first == -1) { snprintf(why, sizeof why, "unsupported MISP attribute type '%.40s'", type); goto reject; }
    char pattern[300];
    snprintf(pattern, sizeof pattern, "%s:%.256s", type, value);
    struct vg_intel_indicator meta = {.id = id, .name = info, .feed = feed, .pattern = pattern, .confidence = conf,
                                      .valid_from = INT64_MIN, .valid_until = INT64_MAX, .labels = jstr(a, "category")};
    uint32_t ind;
    size_t save = b->natoms;
    int rc = intel_builder_add_ind(b, &meta, &ind);
    if (rc) { snprintf(why, sizeof why, "%s", vg_strerror(rc)); goto reject; }
    size_t vl = strlen(value);
    const char *bar = memchr(value, '|', vl);
    const char *err = NULL;
    if (second != -1 && !bar) { err = "composite value without '|'"; rc = VG_EINVAL; }
    if (!rc && first >= 0) {
        rc = intel_builder_add_atom(b, ind, first, value, bar && second != -1 ? (size_t)(bar - value) : vl, &err);
        if (!rc) rep->atoms[first]++;
    }
    if (!rc && second >= 0) {
        rc = intel_builder_add_atom(b, ind, second, bar + 1, vl - (size_t)(bar + 1 - value), &err);
        if (!rc) rep->atoms[second]++;
    }
    if (rc) {
        b->natoms = save;
        b->nind--;
        snprintf(why, sizeof why, "%s: '%.80s' (%s)", err ? err : vg_strerror(rc), value, type);
        goto reject;
    }
    rep->accepted++;
    return;
reject:
    rep->rejected++;
    intel_report_add(rep, false, feed, id, "%s", why);
}

static void misp_event(struct vg_intel_builder *b, const char *feed, const json_t *ev, struct vg_intel_report *rep)
{
    const char *info = jstr(ev, "info");
    int conf = -1;
    const json_t *tl = json_object_get(ev, "threat_level_id");
    int64_t lvl = 0;
    if (json_is_string(tl)) vg_parse_i64(json_string_value(tl), strlen(json_string_value(tl)), &lvl);
    else if (json_is_integer(tl)) lvl = json_integer_value(tl);
    if (lvl == 1) conf = 90; else if (lvl == 2) conf = 60; else if (lvl == 3) conf = 30;
    size_t i, k;
    const json_t *a, *obj;
    json_array_foreach(json_object_get(ev, "Attribute"), i, a) misp_attr(b, feed, info, conf, a, rep);
    json_array_foreach(json_object_get(ev, "Object"), k, obj) {
        json_array_foreach(json_object_get(obj, "Attribute"), i, a) misp_attr(b, feed, info, conf, a, rep);
    }
}

static int load_misp_json(struct vg_intel_builder *b, const char *feed, const json_t *root, struct vg_intel_report *rep)
{
    size_t before = rep->objects, i;
    const json_t *e;
    if (json_is_array(root)) {
        json_array_foreach(root, i, e) {
            const json_t *ev = json_object_get(e, "Event");
            if (json_is_object(ev)) misp_event(b, feed, ev, rep);
        }
    } else if (json_is_object(root)) {
        const json_t *ev = json_object_get(root, "Event");
        const json_t *resp = json_object_get(root, "response");
        if (json_is_object(ev)) misp_event(b, feed, ev, rep);
        else if (json_is_array(resp)) return load_misp_json(b, feed, resp, rep);
        else if (json_is_array(json_object_get(root, "Attribute"))) misp_event(b, feed, root, rep);
        else goto bad;
    } else {
        goto bad;
    }
    (void)before;
    return 0;
bad:
    rep->rejected++;
    intel_report_add(rep, false, feed, NULL, "not a MISP event (no Event/Attribute)");
    return VG_EFORMAT;
}

/* ---- warninglists --------------------------------------------------------- */

static int load_wl_json(struct vg_intel_builder *b, const json_t *root, struct vg_intel_report *rep)
{
    const char *name = jstr(root, "name");
    const char *type = jstr(root, "type");
    const json_t *list = json_object_get(root, "list");
    int wt;
    if (!json_is_array(list) || !type) {
        rep->rejected++;
        intel_report_add(rep, false, name, NULL, "not a warninglist (needs list and type)");
        return VG_EFORMAT;
    }
    if (strcmp(type, "cidr") == 0) wt = VG_INTEL_IP;
    else if (strcmp(type, "hostname") == 0) wt = VG_INTEL_DOMAIN;
    else if (strcmp(type, "string") == 0) wt = INTEL_WL_TYPE_STR;
    else if (strcmp(type, "substring") == 0) wt = -1;
    else {
        rep->rejected++;
        intel_report_add(rep, false, name, NULL, "warninglist type '%.40s' is not supported", type);
        return VG_EUNSUP;
    }
    size_t i;
    const json_t *v;
    json_array_foreach(list, i, v) {
        rep->objects++;
        const char *why = "not a string";
        int rc = json_is_string(v) ? intel_builder_add_wl(b, wt, json_string_value(v), json_string_length(v), &why)
                                   : VG_EINVAL;
        if (rc == VG_ENOMEM) return rc;
        if (rc) {
            /* hostname lists sometimes hold entries that are not names: keep them as exact strings */
            if (wt == VG_INTEL_DOMAIN && json_is_string(v) &&
                intel_builder_add_wl(b, INTEL_WL_TYPE_STR, json_string_value(v), json_string_length(v), &why) == 0) {
                rep->warninglist_entries++;
                continue;
            }
            rep->rejected++;
            intel_report_add(rep, false, name, NULL, "warninglist entry %zu: %s", i, why);
            continue;
        }
        rep->warninglist_entries++;
    }
    return 0;
}

/* ---- text / CSV -------------------------------------------------------------- */

static int text_type(const char *s, size_t n)
{
    static const struct { const char *name; int type; } names[] = {
        {"ip", VG_INTEL_IP},         {"ipv4", VG_INTEL_IP},        {"ipv6", VG_INTEL_IP},
        {"cidr", VG_INTEL_IP},       {"ip-src", VG_INTEL_IP},      {"ip-dst", VG_INTEL_IP},
        {"domain", VG_INTEL_DOMAIN}, {"hostname", VG_INTEL_HOSTNAME}, {"url", VG_INTEL_URL},
        {"md5", VG_INTEL_MD5},       {"sha1", VG_INTEL_SHA1},      {"sha256", VG_INTEL_SHA256},
        {"sha512", VG_INTEL_SHA512}, {"email", VG_INTEL_EMAIL},
    };
    while (n && (*s == ' ' || *s == '"')) { s++; n--; }
    while (n && (s[n - 1] == ' ' || s[n - 1] == '"' || s[n - 1] == '\r')) n--;
    for (size_t i = 0; i < VG_ARRAY_LEN(names); i++)
        if (strlen(names[i].name) == n && vg_strncasecmp_ascii(s, names[i].name, n) == 0) return names[i].type;
    return -1;
}

int vg_intel_load_text(struct vg_intel_builder *b, const char *feed, const char *data, size_t len,
                       struct vg_intel_report *rep)
{
    if (!b || !rep || (!data && len)) return VG_EINVAL;
    if (len > INTEL_MAX_DOC) { rep->rejected++; intel_report_add(rep, false, feed, NULL, "document too large"); return VG_ETOOBIG; }
    size_t pos = 0, line = 0;
    while (pos < len) {
        const char *l = data + pos;
        const char *nl = memchr(l, '\n', len - pos);
        size_t ll = nl ? (size_t)(nl - l) : len - pos;
        pos += ll + 1;
        line++;
        while (ll && (l[ll - 1] == '\r' || l[ll - 1] == ' ' || l[ll - 1] == '\t')) ll--;
        while (ll && (*l == ' ' || *l == '\t')) { l++; ll--; }
        if (!ll || *l == '#' || (ll >= 2 && l[0] == '/' && l[1] == '/')) continue;
        rep->objects++;
        const char *comma = memchr(l, ',', ll);
        size_t vl = comma ? (size_t)(comma - l) : ll;
        const char *v = l;
        while (vl && (*v == '"')) { v++; vl--; }
        while (vl && (v[vl - 1] == '"' || v[vl - 1] == ' ')) vl--;
        if (line == 1 && vl && (text_type(v, vl) >= 0 || (vl == 5 && vg_strncasecmp_ascii(v, "value", 5) == 0) ||
                                (vl == 9 && vg_strncasecmp_ascii(v, "indicator", 9) == 0))) {
            rep->objects--; /* header */
            continue;
        }
        rep->indicators++;
        int type = -1;
        if (comma) {
            const char *t = comma + 1, *c2 = memchr(t, ',', ll - (size_t)(t - l));
            size_t tl = c2 ? (size_t)(c2 - t) : ll - (size_t)(t - l);
            type = text_type(t, tl);
        }
        if (type < 0) type = intel_detect_type(v, vl);
        if (type < 0) {
            rep->rejected++;
            intel_report_add(rep, false, feed, NULL, "line %zu: cannot tell the type of '%.*s'", line, (int)(vl > 80 ? 80 : vl), v);
            continue;
        }
        char id[64], pat[300];
        snprintf(id, sizeof id, "line-%zu", line);
        snprintf(pat, sizeof pat, "%s:%.*s", vg_intel_type_name(type), (int)(vl > 256 ? 256 : vl), v);
        struct vg_intel_indicator meta = {.id = id, .name = feed, .feed = feed, .pattern = pat, .confidence = -1,
                                          .valid_from = INT64_MIN, .valid_until = INT64_MAX};
        uint32_t ind;
        int rc = intel_builder_add_ind(b, &meta, &ind);
        const char *why = NULL;
        if (!rc) rc = intel_builder_add_atom(b, ind, type, v, vl, &why);
        if (rc == VG_ENOMEM) return rc;
        if (rc) {
            if (why) b->nind--;
            rep->rejected++;
            intel_report_add(rep, false, feed, id, "line %zu: %s: '%.*s'", line, why ? why : vg_strerror(rc), (int)(vl > 80 ? 80 : vl), v);
            continue;
        }
        rep->accepted++;
        rep->atoms[b->atoms[b->natoms - 1].type]++;
    }
    return 0;
}

/* ---- entry points ------------------------------------------------------------- */

static json_t *parse_json(const char *feed, const char *data, size_t len, struct vg_intel_report *rep, int *rc)
{
    *rc = 0;
    if (len > INTEL_MAX_DOC) {
        rep->rejected++;
        intel_report_add(rep, false, feed, NULL, "document too large");
        *rc = VG_ETOOBIG;
        return NULL;
    }
    json_error_t jerr;
    json_t *root = json_loadb(data, len, 0, &jerr);
    if (!root) {
        rep->rejected++;
        intel_report_add(rep, false, feed, NULL, "JSON error at line %d column %d: %s", jerr.line, jerr.column, jerr.text);
        *rc = VG_EPARSE;
    }
    return root;
}

int vg_intel_load_stix(struct vg_intel_builder *b, const char *feed, const char *data, size_t len,
                       struct vg_intel_report *rep)
{
    if (!b || !rep || !data) return VG_EINVAL;
    int rc;
    json_t *root = parse_json(feed, data, len, rep, &rc);
    if (!root) return rc;
    rc = load_stix_json(b, feed, root, rep);
    json_decref(root);
    return rc;
}

int vg_intel_load_misp(struct vg_intel_builder *b, const char *feed, const char *data, size_t len,
                       struct vg_intel_report *rep)
{
    if (!b || !rep || !data) return VG_EINVAL;
    int rc;
    json_t *root = parse_json(feed, data, len, rep, &rc);
    if (!root) return rc;
    rc = load_misp_json(b, feed, root, rep);
    json_decref(root);
    return rc;
}

int vg_intel_load_warninglist(struct vg_intel_builder *b, const char *data, size_t len, struct vg_intel_report *rep)
{
    if (!b || !rep || !data) return VG_EINVAL;
    int rc;
    json_t *root = parse_json("warninglist", data, len, rep, &rc);
    if (!root) return rc;
    rc = load_wl_json(b, root, rep);
    json_decref(root);
    return rc;
}

int vg_intel_load_buffer(struct vg_intel_builder *b, const char *feed, const char *data, size_t len,
                         struct vg_intel_report *rep)
{
    if (!b || !rep || (!data && len)) return VG_EINVAL;
    size_t i = 0;
    while (i < len && (data[i] == ' ' || data[i] == '\n' || data[i] == '\r' || data[i] == '\t')) i++;
    if (i >= len || (data[i] != '{' && data[i] != '[')) return vg_intel_load_text(b, feed, data, len, rep);
    int rc;
    json_t *root = parse_json(feed, data, len, rep, &rc);
    if (!root) return rc;
    const json_t *first = json_is_array(root) ? json_array_get(root, 0) : root;
    if (json_is_object(first) && (json_object_get(first, "Event") || json_object_get(first, "response") ||
                                  json_is_array(json_object_get(first, "Attribute"))))
        rc = load_misp_json(b, feed, root, rep);
    else if (json_is_object(root) && json_is_array(json_object_get(root, "list")) && json_object_get(root, "type"))
        rc = load_wl_json(b, root, rep);
    else if (json_is_object(first) && jstr(first, "type"))
        rc = load_stix_json(b, feed, root, rep);
    else {
        rep->rejected++;
        intel_report_add(rep, false, feed, NULL, "unrecognised JSON feed (not STIX, MISP or a warninglist)");
        rc = VG_EFORMAT;
    }
    json_decref(root);
    return rc;
}

static int load_file(struct vg_intel_builder *b, const char *path, struct vg_intel_report *rep)
{
    FILE *f = fopen(path, "rb");
    int rc = VG_EIO;
    if (!f) { rep->rejected++; intel_report_add(rep, false, path, NULL, "cannot open: %s", strerror(errno)); return VG_EIO; }
    struct vg_buf buf = VG_BUF_INIT;
    buf.cap_limit = INTEL_MAX_DOC;
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (vg_buf_add(&buf, chunk, n) != 0) {
            rep->rejected++;
            intel_report_add(rep, false, path, NULL, "file larger than %u bytes", INTEL_MAX_DOC);
            rc = VG_ETOOBIG;
            goto out;
        }
    }
    if (ferror(f)) { rep->rejected++; intel_report_add(rep, false, path, NULL, "read error"); goto out; }
    rep->files++;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    /* a warninglist's feed name is its directory */
    char feed[256];
    snprintf(feed, sizeof feed, "%s", base);
    if (strcmp(base, "list.json") == 0 && base != path) {
        const char *d = base - 1, *s = d;
        while (s > path && s[-1] != '/') s--;
        snprintf(feed, sizeof feed, "%.*s", (int)(d - s), s);
    }
    rc = vg_intel_load_buffer(b, feed, buf.data ? buf.data : "", buf.len, rep);
out:
    vg_buf_release(&buf);
    fclose(f);
    return rc;
}

static bool wanted_ext(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot && (strcmp(dot, ".json") == 0 || strcmp(dot, ".txt") == 0 || strcmp(dot, ".csv") == 0);
}

static int load_dir(struct vg_intel_builder *b, const char *path, int depth, struct vg_intel_report *rep)
{
    if (depth > MAX_DIR_DEPTH) return 0;
    DIR *d = opendir(path);
    if (!d) { rep->rejected++; intel_report_add(rep, false, path, NULL, "cannot open directory"); return VG_EIO; }
    int rc = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.') continue;
        char full[4096];
        if ((size_t)snprintf(full, sizeof full, "%s/%s", path, de->d_name) >= sizeof full) continue;
        struct stat st;
        if (stat(full, &st) != 0) continue;
        int r = 0;
        if (S_ISDIR(st.st_mode)) r = load_dir(b, full, depth + 1, rep);
        else if (S_ISREG(st.st_mode) && wanted_ext(de->d_name)) r = load_file(b, full, rep);
        if (r == VG_ENOMEM) { rc = r; break; }
        if (r == VG_EIO) rc = r;
    }
    closedir(d);
    return rc;
}

int vg_intel_load_path(struct vg_intel_builder *b, const char *path, struct vg_intel_report *rep)
{
    if (!b || !path || !rep) return VG_EINVAL;
    struct stat st;
    if (stat(path, &st) != 0) {
        rep->rejected++;
        intel_report_add(rep, false, path, NULL, "cannot stat: %s", strerror(errno));
        return VG_EIO;
    }
    if (S_ISDIR(st.st_mode)) return load_dir(b, path, 0, rep);
    return load_file(b, path, rep);
}
