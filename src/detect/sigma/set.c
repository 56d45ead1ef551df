/* The Sigma rule set: reading files and directories with libfyaml
 * (single- and multi-document), the rejection report, expand placeholders
 * from configuration, log source / field mappings (rules/mappings/), and
 * compile (resolving which mapping entries and alternative field names
 * apply to each rule). Part of src/detect/sigma (see internal.h). */
#include "internal.h"
#include <limits.h>
#include <dirent.h>
#include <stdatomic.h>
#include <errno.h>
#include <sys/stat.h>

int vg__sig_load_doc(struct vg__sig_build *b, struct fy_node *root, struct vg_sigma_rule **out);

struct vg_sigma_set *vg_sigma_set_new(void)
{
    struct vg_sigma_set *s = vg_calloc(1, sizeof *s);
    if (!s) return NULL;
    vg_arena_init(&s->arena, 1 << 20);
    atomic_init(&s->refs, 1);
    s->mctx = pcre2_match_context_create(NULL);
    s->cctx = pcre2_compile_context_create(NULL);
    if (!s->mctx || !s->cctx) { vg_sigma_set_free(s); return NULL; }
    pcre2_set_match_limit(s->mctx, 100000);
    pcre2_set_depth_limit(s->mctx, 10000);
    pcre2_set_heap_limit(s->mctx, 8192); /* KiB */
    pcre2_set_max_pattern_length(s->cctx, VG_SIGMA_MAX_VALUE_LEN);
    pcre2_set_parens_nest_limit(s->cctx, 64);
    return s;
}

void vg_sigma_set_free(struct vg_sigma_set *s) { vg_sigma_set_unref(s); }

struct vg_sigma_set *vg_sigma_set_ref(struct vg_sigma_set *s)
{
    if (s) atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
    return s;
}

void vg_sigma_set_unref(struct vg_sigma_set *s)
{
    if (!s) return;
    if (atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1) return;
    vg__sig_pf_free(s->pf);
    vg_free(s->fused);
    for (size_t i = 0; i < s->nlsets; i++) vg__litset_free(s->lsets[i]);
    vg_free(s->lsets);
    vg_free(s->idtab);
    for (size_t i = 0; i < s->ncodes; i++) pcre2_code_free(s->codes[i]);
    vg_free(s->codes);
    if (s->mctx) pcre2_match_context_free(s->mctx);
    if (s->cctx) pcre2_compile_context_free(s->cctx);
    vg_free(s->rules);
    vg_free(s->ls);
    vg_free(s->ph);
    vg_arena_release(&s->arena);
    vg_free(s);
}

size_t vg_sigma_rule_count(const struct vg_sigma_set *s) { return s ? s->nrules : 0; }

const struct vg_sigma_rule *vg_sigma_rule_at(const struct vg_sigma_set *s, size_t i)
{
    return (s && i < s->nrules) ? s->rules[i] : NULL;
}

const struct vg_sigma_rule *vg_sigma_rule_find(const struct vg_sigma_set *s, const char *id)
{
    for (size_t i = 0; s && id && i < s->nrules; i++) {
        const struct vg_sigma_rule *r = s->rules[i];
        if ((r->id && strcmp(r->id, id) == 0) || (r->name && strcmp(r->name, id) == 0)) return r;
    }
    return NULL;
}

/* ---- report ---- */
static void rej_release(struct vg_sigma_reject *r)
{
    vg_free(r->file);
    vg_free(r->rule_id);
    vg_free(r->title);
    vg_free(r->reason);
}

void vg_sigma_report_release(struct vg_sigma_report *r)
{
    if (!r) return;
    for (size_t i = 0; i < r->nrej; i++) rej_release(&r->rej[i]);
    for (size_t i = 0; i < r->nnotes; i++) rej_release(&r->notes[i]);
    for (size_t i = 0; i < r->nwarn; i++) rej_release(&r->warn[i]);
    vg_free(r->rej);
    vg_free(r->notes);
    vg_free(r->warn);
    memset(r, 0, sizeof *r);
}

static int rep_add(struct vg_sigma_reject **arr, size_t *n, size_t *cap, const char *file, int line, int col,
                   const char *id, const char *title, const char *reason, bool expand)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        struct vg_sigma_reject *na = vg_realloc(*arr, nc * sizeof *na);
        if (!na) return VG_ENOMEM;
        *arr = na;
        *cap = nc;
    }
    struct vg_sigma_reject *r = &(*arr)[*n];
    memset(r, 0, sizeof *r);
    r->file = vg_strdup(file ? file : "");
    r->rule_id = id ? vg_strdup(id) : NULL;
    r->title = title ? vg_strdup(title) : NULL;
    r->reason = vg_strdup(reason);
    r->line = line;
    r->col = col;
    r->expand = expand;
    if (!r->file || !r->reason || (id && !r->rule_id) || (title && !r->title)) { rej_release(r); return VG_ENOMEM; }
    (*n)++;
    return 0;
}

static int reject(struct vg_sigma_report *rep, const char *file, int line, int col, const char *id, const char *title,
                  const char *reason, bool expand)
{
    if (!rep) return 0;
    rep->rejected++;
    return rep_add(&rep->rej, &rep->nrej, &rep->caprej, file, line, col, id, title, reason, expand);
}

static uint64_t id_hash(const char *id)
{
    uint64_t h = 1469598103934665603ull;
    for (; *id; id++) h = (h ^ (unsigned char)*id) * 1099511628211ull;
    return h;
}

/* The first rule loaded with this id, or NULL. */
static const struct vg_sigma_rule *id_find(const struct vg_sigma_set *s, const char *id)
{
    if (!s->idtab || !id) return NULL;
    for (size_t h = id_hash(id) & s->idmask; s->idtab[h]; h = (h + 1) & s->idmask) {
        const struct vg_sigma_rule *r = s->rules[s->idtab[h] - 1];
        if (strcmp(r->id, id) == 0) return r;
    }
    return NULL;
}

static int id_add(struct vg_sigma_set *s, const struct vg_sigma_rule *r)
{
    if (!r->id) return 0;
    if (!s->idtab || (s->nrules + 1) * 2 > s->idmask) {
        size_t nsz = s->idmask ? (s->idmask + 1) * 2 : 1024;
        uint32_t *t = vg_calloc(nsz, sizeof *t);
        if (!t) return VG_ENOMEM;
        for (size_t i = 0; i < s->nrules; i++) {
            if (!s->rules[i]->id) continue;
            size_t h = id_hash(s->rules[i]->id) & (nsz - 1);
            while (t[h]) h = (h + 1) & (nsz - 1);
            t[h] = (uint32_t)i + 1;
        }
        vg_free(s->idtab);
        s->idtab = t;
        s->idmask = nsz - 1;
    }
    size_t h = id_hash(r->id) & s->idmask;
    while (s->idtab[h]) h = (h + 1) & s->idmask;
    s->idtab[h] = r->index + 1;
    return 0;
}

/* Same file twice (a directory given again, the pack also passed with
 * --rules): compared by resolved path. */
static bool same_file(const char *a, const char *b)
{
    if (!a || !b) return false;
    if (strcmp(a, b) == 0) return true;
    char ra[PATH_MAX], rb[PATH_MAX];
    return realpath(a, ra) && realpath(b, rb) && strcmp(ra, rb) == 0;
}

/* Some rule with this id came from this file (duplicate ids are rare: a
 * linear look once one is found). */
static bool id_from_file(const struct vg_sigma_set *s, const char *id, const char *file)
{
    for (size_t i = 0; i < s->nrules; i++)
        if (s->rules[i]->id && strcmp(s->rules[i]->id, id) == 0 && same_file(s->rules[i]->file, file)) return true;
    return false;
}

static int add_rule(struct vg_sigma_set *s, struct vg_sigma_rule *r)
{
    if (s->nrules == s->caprules) {
        size_t nc = s->caprules ? s->caprules * 2 : 256;
        struct vg_sigma_rule **nr = vg_realloc(s->rules, nc * sizeof *nr);
        if (!nr) return VG_ENOMEM;
        s->rules = nr;
        s->caprules = nc;
    }
    r->index = (uint32_t)s->nrules;
    s->rules[s->nrules++] = r;
    return id_add(s, r);
}

/* ---- YAML streams ---- */
struct diagcap {
    char msg[256];
    int line, col;
    bool have;
};

static void diag_out(struct fy_diag *d, void *user, const char *buf, size_t len)
{
    (void)d;
    struct diagcap *dc = user;
    if (!dc->have) dc->have = vg_diag_parse_error(buf, len, dc->msg, sizeof dc->msg, &dc->line, &dc->col);
}

static bool get_action(struct fy_node *root)
{
    return root && fy_node_get_type(root) == FYNT_MAPPING && fy_node_mapping_lookup_by_string(root, "action", FY_NT);
}

bool vg_sigma_is_rule_file(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    return (n > 4 && strcmp(name + n - 4, ".yml") == 0) || (n > 5 && strcmp(name + n - 5, ".yaml") == 0);
}

/* 1-based line and column (bytes) of the first byte that is not valid
 * UTF-8 (overlong forms, surrogates and code points above U+10FFFF count
 * as invalid); 1:1 if none is found. */
static void utf8_bad_pos(const char *text, size_t len, int *line, int *col)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0, bol = 0;
    int ln = 1;
    while (i < len) {
        unsigned c = s[i];
        size_t k = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
        bool ok = k > 0 && i + k <= len && !(k == 2 && c < 0xC2) && !(k == 4 && c > 0xF4);
        for (size_t j = 1; ok && j < k; j++) ok = (s[i + j] & 0xC0) == 0x80;
        if (ok && k == 3) {
            unsigned cp = ((c & 0x0Fu) << 12) | ((s[i + 1] & 0x3Fu) << 6);
            ok = cp >= 0x800 && !(cp >= 0xD800 && cp < 0xE000);
        }
        if (ok && k == 4) {
            unsigned cp = ((c & 0x07u) << 18) | ((s[i + 1] & 0x3Fu) << 12);
            ok = cp >= 0x10000 && cp <= 0x10FFFF;
        }
        if (!ok) break;
        if (c == '\n') { ln++; bol = i + 1; }
        i += k;
    }
    if (i >= len) { *line = *col = 1; return; }
    *line = ln;
    *col = (int)(i - bol + 1 > (size_t)INT32_MAX ? INT32_MAX : i - bol + 1);
}

/* libfyaml keeps a few hundred bytes per node of a document (a 4 MiB file
 * of one-byte list items took ~450 MB), so before building documents the
 * text is streamed through the event parser (constant memory) and files
 * with more than VG_SIGMA_MAX_NODES nodes are refused; *line, *col: where
 * the limit was crossed. A YAML error stops the count (the real parse
 * reports it). */
static bool too_many_nodes(const char *text, size_t len, int *line, int *col)
{
    /* a node takes at least one byte (`{a,b}`: a key and a null value per
     * two bytes): short files cannot exceed the cap, skip the extra pass
     * (all but 3 of SigmaHQ's 3,780 rule files) */
    if (len < VG_SIGMA_MAX_NODES / 2) return false;
    struct fy_parse_cfg cfg = {0};
    cfg.flags = FYPCF_QUIET | FYPCF_DEFAULT_VERSION_AUTO | FYPCF_ALLOW_DUPLICATE_KEYS;
    struct fy_diag_cfg dcfg;
    fy_diag_cfg_default(&dcfg);
    dcfg.fp = NULL;
    dcfg.output_fn = NULL;
    struct fy_diag *diag = fy_diag_create(&dcfg);
    cfg.diag = diag;
    struct fy_parser *fyp = diag ? fy_parser_create(&cfg) : NULL;
    bool over = false;
    if (fyp && fy_parser_set_string(fyp, text, len) == 0) {
        size_t n = 0;
        struct fy_event *e;
        while (!over && (e = fy_parser_parse(fyp)) != NULL) {
            enum fy_event_type t = e->type;
            if ((t == FYET_SCALAR || t == FYET_ALIAS || t == FYET_SEQUENCE_START || t == FYET_MAPPING_START) &&
                ++n > VG_SIGMA_MAX_NODES) {
                const struct fy_mark *m = fy_event_start_mark(e);
                *line = m ? m->line + 1 : 1;
                *col = m ? m->column + 1 : 1;
                over = true;
            }
            fy_parser_event_free(fyp, e);
        }
    }
    if (fyp) fy_parser_destroy(fyp);
    if (diag) fy_diag_destroy(diag);
    return over;
}

static int load_text(struct vg_sigma_set *s, const char *text, size_t len, const char *name, struct vg_sigma_report *rep)
{
    int rc = 0;
    const char *file = vg_arena_strndup(&s->arena, name, strlen(name));
    if (!file) return VG_ENOMEM;
    if (!vg_utf8_valid(text, len)) {
        if (rep) rep->documents++;
        int l, c;
        utf8_bad_pos(text, len, &l, &c);
        return reject(rep, file, l, c, NULL, NULL, "file is not valid UTF-8 (first bad byte here)", false);
    }
    int nl = 0, nc = 0;
    if (too_many_nodes(text, len, &nl, &nc)) {
        if (rep) rep->documents++;
        char reason[160];
        snprintf(reason, sizeof reason, "more than %d YAML nodes in one file", VG_SIGMA_MAX_NODES);
        return reject(rep, file, nl, nc, NULL, NULL, reason, false);
    }
    struct diagcap dc = {0};
    struct fy_diag_cfg dcfg;
    fy_diag_cfg_default(&dcfg);
    dcfg.fp = NULL;
    dcfg.output_fn = diag_out;
    dcfg.user = &dc;
    dcfg.colorize = false;
    struct fy_diag *diag = fy_diag_create(&dcfg);
    struct fy_parse_cfg cfg = {0};
    /* duplicate keys are checked by the loader in linear time (load.c:
     * dup_key); libfyaml's check is quadratic in the keys of a map */
    cfg.flags = FYPCF_QUIET | FYPCF_DEFAULT_VERSION_AUTO | FYPCF_ALLOW_DUPLICATE_KEYS;
    cfg.diag = diag;
    struct fy_parser *fyp = diag ? fy_parser_create(&cfg) : NULL;
    struct vg__sig_build b;
    memset(&b, 0, sizeof b);
    b.set = s;
    b.ar = &s->arena;
    b.file = file;
    b.filters_only = s->filters_only;
    if (!fyp || fy_parser_set_string(fyp, text, len) != 0) { rc = VG_ENOMEM; goto out; }
    size_t seen = 0; /* documents reported */
    for (int ndoc = 0;; ndoc++) {
        struct fy_document *fyd = fy_parse_load_document(fyp);
        if (!fyd) {
            if (fy_parser_get_stream_error(fyp) || dc.have) {
                if (rep) rep->documents++;
                char reason[320];
                snprintf(reason, sizeof reason, "YAML: %s", dc.have ? dc.msg : "parse error");
                rc = reject(rep, file, dc.line ? dc.line : 1, dc.line ? dc.col : 1, NULL, NULL, reason, false);
                seen++;
            }
            break;
        }
        struct fy_node *root = fy_document_root(fyd);
        size_t rl = 1;
        const char *rs = root && fy_node_get_type(root) == FYNT_SCALAR && !fy_node_is_alias(root) ? fy_node_get_scalar(root, &rl) : "";
        if (ndoc > 0 && (!root || !rs || rl == 0)) { fy_parse_document_destroy(fyp, fyd); continue; } /* '---' with nothing after it */
        if (rep) rep->documents++;
        seen++;
        struct vg_sigma_rule *r = NULL;
        if (vg__sig_load_doc(&b, root, &r) != 0) {
            fy_parse_document_destroy(fyp, fyd);
            rc = VG_ENOMEM;
            goto out;
        }
        if (!b.line) { /* no node position (an empty document): where the document starts */
            struct fy_document_state *ds = fy_document_get_document_state(fyd);
            const struct fy_mark *m = ds ? fy_document_state_start_mark(ds) : NULL;
            b.line = m ? m->line + 1 : 1;
            b.col = m ? m->column + 1 : 1;
            if (r) { r->line = b.line; r->col = b.col; }
        }
        if (!b.failed && r && b.filters_only && r->kind != VG_SIGMA_FILTER) {
            b.failed = true;
            snprintf(b.reason, sizeof b.reason, "not a filter document (a filters path holds only `filter:` documents)");
        }
        if (!b.failed && b.foreign) {
            if (rep) {
                rep->skipped++;
                char reason[160];
                snprintf(reason, sizeof reason, "not a Sigma document: %s; skipped", b.foreign);
                rc = rep_add(&rep->notes, &rep->nnotes, &rep->capnotes, file, b.line, b.col, NULL, NULL, reason, false);
            }
        } else if (b.failed || !r) {
            if (get_action(root)) b.collection = true;
            rc = reject(rep, file, b.line, b.col, r ? r->id : NULL, r ? r->title : NULL, b.reason, b.expand_missing);
        } else if (r->id && id_find(s, r->id) && id_from_file(s, r->id, file)) {
            /* ids are meant to be unique: the same file loaded twice (a
             * directory given again) is noted and skipped */
            if (rep) {
                rep->skipped++;
                rc = rep_add(&rep->notes, &rep->nnotes, &rep->capnotes, file, r->line, r->col, r->id, r->title,
                             "already loaded (same file given twice); skipped", false);
            }
        } else {
            /* an id another file took: both load (the specification's own
             * examples share ids), with a warning, since correlations and
             * filters naming the id then mean both */
            const struct vg_sigma_rule *o = r->id ? id_find(s, r->id) : NULL;
            rc = add_rule(s, r);
            if (rep && rc == 0 && o) {
                char reason[PATH_MAX + 128];
                snprintf(reason, sizeof reason, "duplicate rule id %s: also the id of \"%s\" in %s:%d; both loaded", r->id,
                         o->title ? o->title : "?", o->file ? o->file : "?", o->line);
                rc = rep_add(&rep->warn, &rep->nwarn, &rep->capwarn, file, r->line, r->col, r->id, r->title, reason, false);
            }
            if (rep && rc == 0) {
                if (r->kind == VG_SIGMA_RULE) rep->loaded++;
                else {
                    bool corr = r->kind == VG_SIGMA_CORRELATION;
                    if (corr) rep->correlations++;
                    else rep->filters++;
                    rc = rep_add(&rep->notes, &rep->nnotes, &rep->capnotes, file, r->line, r->col, r->id, r->title,
                                 corr ? "correlation (evaluated by the detect engine's correlation stage)"
                                      : "filter (AND-ed onto the rules it names when the set is compiled)", false);
                }
            }
        }
        fy_parse_document_destroy(fyp, fyd);
        if (rc != 0) goto out;
    }
    if (!seen) { /* nothing at all: say so rather than count nothing */
        if (rep) rep->documents++;
        rc = reject(rep, file, 1, 1, NULL, NULL, "file holds no YAML document", false);
    }
out:
    vg_free(b.code);
    vg_free(b.leaf);
    if (fyp) fy_parser_destroy(fyp);
    if (diag) fy_diag_destroy(diag);
    return rc;
}

int vg_sigma_load_string(struct vg_sigma_set *s, const char *text, size_t len, const char *name,
                         struct vg_sigma_report *rep)
{
    if (!s || !text) return VG_EINVAL;
    if (s->compiled) return VG_ESTATE;
    if (len > VG_SIGMA_MAX_FILE) {
        if (rep) rep->documents++;
        return reject(rep, name ? name : "<string>", 1, 1, NULL, NULL, "file larger than the 4 MiB limit", false);
    }
    if (rep) rep->files++;
    return load_text(s, text, len, name ? name : "<string>", rep);
}

static int read_file(const char *path, char **out, size_t *len, size_t cap)
{
    FILE *f = fopen(path, "rb");
    if (!f) return VG_EIO;
    struct vg_buf b = VG_BUF_INIT;
    b.cap_limit = cap + 1;
    char tmp[65536];
    size_t n;
    int rc = 0;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        if ((rc = vg_buf_add(&b, tmp, n)) != 0) break;
    if (rc == 0 && ferror(f)) rc = VG_EIO;
    fclose(f);
    if (rc != 0) { vg_buf_release(&b); return rc; }
    if (!b.data && vg_buf_add(&b, "", 0) != 0) return VG_ENOMEM;
    *out = vg_buf_detach(&b, len);
    return 0;
}

static int load_file(struct vg_sigma_set *s, const char *path, struct vg_sigma_report *rep)
{
    char *text = NULL;
    size_t len = 0;
    if (rep) rep->files++;
    int rc = read_file(path, &text, &len, VG_SIGMA_MAX_FILE);
    if (rc == VG_ETOOBIG) {
        if (rep) rep->documents++;
        return reject(rep, path, 1, 1, NULL, NULL, "file larger than the 4 MiB limit", false);
    }
    if (rc != 0) {
        if (rep) rep->documents++;
        char reason[300];
        snprintf(reason, sizeof reason, "cannot read: %s", strerror(errno));
        int r2 = reject(rep, path, 0, 0, NULL, NULL, reason, false); /* nothing read: no position */
        return r2 ? r2 : VG_EIO;
    }
    rc = load_text(s, text, len, path, rep);
    vg_free(text);
    return rc;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int load_dir(struct vg_sigma_set *s, const char *path, struct vg_sigma_report *rep, int depth)
{
    if (depth > 32) return reject(rep, path, 0, 0, NULL, NULL, "directories nested too deeply", false);
    DIR *d = opendir(path);
    if (!d) return reject(rep, path, 0, 0, NULL, NULL, "cannot open directory", false) ? VG_ENOMEM : VG_EIO;
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 64;
            char **nn = vg_realloc(names, nc * sizeof *nn);
            if (!nn) { rc = VG_ENOMEM; break; }
            names = nn;
            cap = nc;
        }
        if (!(names[n] = vg_strdup(e->d_name))) { rc = VG_ENOMEM; break; }
        n++;
    }
    closedir(d);
    if (n) qsort(names, n, sizeof *names, cmp_str);
    bool io = false; /* something could not be read: recorded, loading goes on, VG_EIO at the end */
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char full[4096];
        int k = snprintf(full, sizeof full, "%s/%s", path, names[i]);
        if (k < 0 || (size_t)k >= sizeof full) {
            rc = reject(rep, path, 0, 0, NULL, NULL, "an entry's path is longer than 4095 bytes", false);
            io = true;
            continue;
        }
        struct stat st;
        int r = 0;
        if (stat(full, &st) != 0) {
            if (!vg_sigma_is_rule_file(names[i])) continue; /* e.g. a dangling link that is no rule file */
            char reason[300];
            snprintf(reason, sizeof reason, "cannot read: %s", strerror(errno));
            rc = reject(rep, full, 0, 0, NULL, NULL, reason, false);
            io = true;
            continue;
        }
        if (S_ISDIR(st.st_mode)) r = load_dir(s, full, rep, depth + 1);
        else if (S_ISREG(st.st_mode) && vg_sigma_is_rule_file(names[i])) r = load_file(s, full, rep);
        if (r == VG_EIO) io = true; /* recorded in the report */
        else rc = r;
    }
    for (size_t i = 0; i < n; i++) vg_free(names[i]);
    vg_free(names);
    return rc ? rc : io ? VG_EIO : 0;
}

int vg_sigma_load_path(struct vg_sigma_set *s, const char *path, struct vg_sigma_report *rep)
{
    if (!s || !path) return VG_EINVAL;
    if (s->compiled) return VG_ESTATE;
    struct stat st;
    if (stat(path, &st) != 0) {
        int r = reject(rep, path, 0, 0, NULL, NULL, "no such file or directory", false);
        return r ? r : VG_EIO;
    }
    if (S_ISDIR(st.st_mode)) return load_dir(s, path, rep, 0);
    return load_file(s, path, rep);
}

int vg_sigma_load_filters(struct vg_sigma_set *s, const char *path, struct vg_sigma_report *rep)
{
    if (!s || !path) return VG_EINVAL;
    s->filters_only = true;
    int rc = vg_sigma_load_path(s, path, rep);
    s->filters_only = false;
    return rc;
}

/* ---- configuration: placeholders ---- */
int vg_sigma_set_placeholder(struct vg_sigma_set *s, const char *name, const char *const *values, size_t n)
{
    if (!s || !name || (n && !values) || n > VG_SIGMA_MAX_VALUES) return VG_EINVAL;
    if (s->nph == s->capph) {
        size_t nc = s->capph ? s->capph * 2 : 16;
        struct vg__sig_placeholder *np = vg_realloc(s->ph, nc * sizeof *np);
        if (!np) return VG_ENOMEM;
        s->ph = np;
        s->capph = nc;
    }
    struct vg__sig_placeholder *p = &s->ph[s->nph];
    p->name = vg_arena_strndup(&s->arena, name, strlen(name));
    p->vals = vg_arena_alloc(&s->arena, (n + 1) * sizeof *p->vals);
    if (!p->name || !p->vals) return VG_ENOMEM;
    for (size_t i = 0; i < n; i++)
        if (!(p->vals[i] = vg_arena_strndup(&s->arena, values[i], strlen(values[i])))) return VG_ENOMEM;
    p->n = (uint32_t)n;
    s->nph++;
    return 0;
}

static struct fy_document *parse_yaml_file(const char *path, struct vg_err *err, char **textp)
{
    char *text = NULL;
    *textp = NULL;
    size_t len;
    int rc = read_file(path, &text, &len, VG_SIGMA_MAX_FILE);
    if (rc != 0) {
        vg_err_set(err, rc, "%s: cannot read", path);
        return NULL;
    }
    struct diagcap dc = {0};
    struct fy_diag_cfg dcfg;
    fy_diag_cfg_default(&dcfg);
    dcfg.fp = NULL;
    dcfg.output_fn = diag_out;
    dcfg.user = &dc;
    struct fy_diag *diag = fy_diag_create(&dcfg);
    struct fy_parse_cfg cfg = {0};
    cfg.flags = FYPCF_QUIET;
    cfg.diag = diag;
    struct fy_document *d = diag ? fy_document_build_from_string(&cfg, text, len) : NULL;
    if (!d) {
        vg_err_set(err, VG_EPARSE, "%s:%d:%d: YAML: %s", path, dc.line, dc.col, dc.have ? dc.msg : "parse error");
        if (err) { err->line = dc.line; err->col = dc.col; }
        vg_free(text);
        if (diag) fy_diag_destroy(diag);
        return NULL;
    }
    if (diag) fy_diag_unref(diag);
    *textp = text; /* the document refers to it: freed with it by free_yaml */
    return d;
}

static void free_yaml(struct fy_document *d, char *text)
{
    if (d) fy_document_destroy(d);
    vg_free(text);
}

static struct fy_node *mget(struct fy_node *map, const char *key)
{
    return (map && fy_node_get_type(map) == FYNT_MAPPING) ? fy_node_mapping_lookup_by_string(map, key, FY_NT) : NULL;
}

static const char *sdup(struct vg_sigma_set *s, struct fy_node *n)
{
    if (!n || fy_node_get_type(n) != FYNT_SCALAR) return NULL;
    size_t l;
    const char *t = fy_node_get_scalar(n, &l);
    return t ? vg_arena_strndup(&s->arena, t, l) : NULL;
}

int vg_sigma_load_config(struct vg_sigma_set *s, const char *path, struct vg_err *err)
{
    if (!s || !path) return VG_EINVAL;
    char *text;
    struct fy_document *d = parse_yaml_file(path, err, &text);
    if (!d) return err ? err->code : VG_EPARSE;
    int rc = 0;
    struct fy_node *ph = mget(fy_document_root(d), "placeholders");
    if (ph && fy_node_get_type(ph) == FYNT_MAPPING) {
        void *it = NULL;
        struct fy_node_pair *p;
        while (rc == 0 && (p = fy_node_mapping_iterate(ph, &it)) != NULL) {
            const char *name = sdup(s, fy_node_pair_key(p));
            struct fy_node *v = fy_node_pair_value(p);
            size_t n = 0;
            if (!name) { rc = vg_err_set(err, VG_EPARSE, "%s: placeholder names must be text", path); break; }
            const char **vals = vg_malloc(VG_SIGMA_MAX_VALUES * sizeof *vals);
            if (!vals) { rc = VG_ENOMEM; break; }
            if (v && fy_node_get_type(v) == FYNT_SEQUENCE) {
                void *i2 = NULL;
                struct fy_node *e;
                while ((e = fy_node_sequence_iterate(v, &i2)) != NULL && n < VG_SIGMA_MAX_VALUES) {
                    const char *t = sdup(s, e);
                    if (t) vals[n++] = t;
                }
            } else if (v && (vals[0] = sdup(s, v)) != NULL) {
                n = 1;
            }
            rc = vg_sigma_set_placeholder(s, name, vals, n);
            vg_free(vals);
        }
    } else if (ph) {
        rc = vg_err_set(err, VG_EPARSE, "%s: placeholders must be a map of name: value(s)", path);
    }
    free_yaml(d, text);
    return rc;
}

/* ---- mappings ---- */
static struct vg__sig_lsmap *new_lsmap(struct vg_sigma_set *s)
{
    if (s->nls == s->capls) {
        size_t nc = s->capls ? s->capls * 2 : 32;
        struct vg__sig_lsmap *nl = vg_realloc(s->ls, nc * sizeof *nl);
        if (!nl) return NULL;
        s->ls = nl;
        s->capls = nc;
    }
    struct vg__sig_lsmap *m = &s->ls[s->nls];
    memset(m, 0, sizeof *m);
    return m;
}

static int parse_fields(struct vg_sigma_set *s, struct vg__sig_lsmap *m, struct fy_node *fields, const char *path,
                        int line, int col, struct vg_err *err)
{
    if (!fields) return 0;
    if (fy_node_get_type(fields) != FYNT_MAPPING)
        return vg_err_set(err, VG_EPARSE, "%s:%d:%d: fields must be a map of Sigma name: [event names]", path, line, col);
    int nf = fy_node_mapping_item_count(fields);
    m->fmap = vg_arena_alloc(&s->arena, (size_t)(nf + 1) * sizeof *m->fmap);
    if (!m->fmap) return VG_ENOMEM;
    void *i2 = NULL;
    struct fy_node_pair *p;
    while ((p = fy_node_mapping_iterate(fields, &i2)) != NULL) {
        struct vg__sig_fmap *fm = &m->fmap[m->nfmap];
        memset(fm, 0, sizeof *fm);
        fm->sigma = sdup(s, fy_node_pair_key(p));
        struct fy_node *v = fy_node_pair_value(p);
        int na = v && fy_node_get_type(v) == FYNT_SEQUENCE ? fy_node_sequence_item_count(v) : 1;
        fm->alt = vg_arena_alloc(&s->arena, (size_t)(na + 1) * sizeof *fm->alt);
        if (!fm->sigma || !fm->alt) return vg_err_set(err, VG_EPARSE, "%s:%d:%d: bad field mapping", path, line, col);
        if (v && fy_node_get_type(v) == FYNT_SEQUENCE) {
            void *i3 = NULL;
            struct fy_node *a;
            while ((a = fy_node_sequence_iterate(v, &i3)) != NULL)
                if ((fm->alt[fm->nalt] = sdup(s, a)) != NULL) fm->nalt++;
        } else if ((fm->alt[0] = sdup(s, v)) != NULL) {
            fm->nalt = 1;
        }
        m->nfmap++;
    }
    return 0;
}

static int add_mapping_file(struct vg_sigma_set *s, const char *path, struct vg_err *err)
{
    char *text;
    struct fy_document *d = parse_yaml_file(path, err, &text);
    if (!d) return err ? err->code : VG_EPARSE;
    int rc = 0;
    const char *file = vg_arena_strndup(&s->arena, path, strlen(path));
    struct fy_node *list = mget(fy_document_root(d), "logsources");
    struct vg__sig_build b;
    memset(&b, 0, sizeof b);
    b.set = s;
    b.ar = &s->arena;
    b.file = file;
    struct fy_node *gf = mget(fy_document_root(d), "fields");
    if (gf) {
        struct vg__sig_lsmap *g = new_lsmap(s);
        if (!g) { rc = VG_ENOMEM; goto out; }
        g->file = file;
        g->global = true;
        if ((rc = parse_fields(s, g, gf, path, 1, 1, err)) != 0) goto out;
        s->nls++;
    }
    if (!list && gf) goto out;
    if (!list || fy_node_get_type(list) != FYNT_SEQUENCE) {
        rc = vg_err_set(err, VG_EPARSE, "%s: expected a 'logsources' list", path);
        goto out;
    }
    void *it = NULL;
    struct fy_node *e;
    while ((e = fy_node_sequence_iterate(list, &it)) != NULL) {
        int line, col;
        vg__sig_node_pos(e, &line, &col);
        if (fy_node_get_type(e) != FYNT_MAPPING) {
            rc = vg_err_set(err, VG_EPARSE, "%s:%d:%d: each log source must be a map", path, line, col);
            goto out;
        }
        struct vg__sig_lsmap *m = new_lsmap(s);
        if (!m) { rc = VG_ENOMEM; goto out; }
        m->file = file;
        m->product = sdup(s, mget(e, "product"));
        m->category = sdup(s, mget(e, "category"));
        m->service = sdup(s, mget(e, "service"));
        if (!m->product && !m->category && !m->service) {
            rc = vg_err_set(err, VG_EPARSE, "%s:%d:%d: a log source needs product, category or service", path, line, col);
            goto out;
        }
        struct fy_node *match = mget(e, "match");
        if (match) {
            b.ncode = b.nleaf = 0;
            b.failed = false;
            if (vg__sig_ident(&b, match, 0) != 0 || !(m->match = vg__sig_prog_finish(&b))) {
                rc = vg_err_set(err, VG_EPARSE, "%s:%d:%d: %s", path, b.line, b.col, b.failed ? b.reason : "bad match");
                goto out;
            }
        }
        if ((rc = parse_fields(s, m, mget(e, "fields"), path, line, col, err)) != 0) goto out;
        s->nls++;
    }
out:
    vg_free(b.code);
    vg_free(b.leaf);
    free_yaml(d, text);
    return rc;
}

int vg_sigma_load_mappings(struct vg_sigma_set *s, const char *path, struct vg_err *err)
{
    if (!s || !path) return VG_EINVAL;
    if (s->compiled) return VG_ESTATE;
    struct stat st;
    if (stat(path, &st) != 0) return vg_err_set(err, VG_EIO, "%s: %s", path, strerror(errno));
    if (!S_ISDIR(st.st_mode)) return add_mapping_file(s, path, err);
    DIR *d = opendir(path);
    if (!d) return vg_err_set(err, VG_EIO, "%s: cannot open directory", path);
    char *names[256];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < VG_ARRAY_LEN(names))
        if (e->d_name[0] != '.' && vg_sigma_is_rule_file(e->d_name)) names[n++] = vg_strdup(e->d_name);
    closedir(d);
    for (size_t i = 0; i < n; i++)
        if (!names[i]) { for (size_t k = 0; k < n; k++) vg_free(names[k]); return VG_ENOMEM; }
    qsort(names, n, sizeof *names, cmp_str);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        char full[4096];
        snprintf(full, sizeof full, "%s/%s", path, names[i]);
        rc = add_mapping_file(s, full, err);
    }
    for (size_t i = 0; i < n; i++) vg_free(names[i]);
    return rc;
}

/* ---- compile ---- */
static bool ls_eq(const char *want, const char *have) { return !want || (have && strcmp(want, have) == 0); }

/* Adds the alternatives of field mapping entries idx[] (plus global ones)
 * to every leaf of p. */
static int resolve_fields(struct vg_sigma_set *s, struct vg_sigma_prog *p, const uint32_t *idx, uint32_t nidx)
{
    for (uint32_t li = 0; li < p->nleaf; li++) {
        struct vg__sig_leaf *l = &p->leaf[li];
        if (!l->field) continue;
        uint32_t extra = 0;
        for (uint32_t pass = 0; pass < 2; pass++) {
            uint32_t *fids = NULL, n = 1;
            if (pass == 1) {
                if (!extra) break;
                fids = vg_arena_alloc(&s->arena, (1 + extra) * sizeof *fids);
                if (!fids) return VG_ENOMEM;
                fids[0] = l->fid[0];
            }
            for (size_t k = 0; k < s->nls + nidx; k++) {
                const struct vg__sig_lsmap *m = k < nidx ? &s->ls[idx[k]] : &s->ls[k - nidx];
                if (k >= nidx && !m->global) continue;
                for (uint32_t f = 0; f < m->nfmap; f++) {
                    if (strcmp(m->fmap[f].sigma, l->field) != 0) continue;
                    if (pass == 0) { extra += m->fmap[f].nalt; continue; }
                    for (uint32_t a = 0; a < m->fmap[f].nalt; a++) {
                        uint32_t id = vg_fid(m->fmap[f].alt[a], strlen(m->fmap[f].alt[a]));
                        bool dup = id == UINT32_MAX;
                        for (uint32_t z = 0; z < n; z++) dup |= fids[z] == id;
                        if (!dup) fids[n++] = id;
                    }
                }
            }
            if (pass == 1) {
                l->fid = fids;
                l->nfid = n;
            }
        }
    }
    return 0;
}

static int resolve(struct vg_sigma_set *s, struct vg_sigma_rule *r)
{
    struct vg_sigma_prog *p = r->prog;
    uint32_t *idx = vg_arena_alloc(&s->arena, (s->nls + 1) * sizeof *idx);
    if (!idx) return VG_ENOMEM;
    p->nls = 0;
    for (size_t i = 0; i < s->nls; i++) {
        const struct vg__sig_lsmap *m = &s->ls[i];
        if (m->global) continue;
        if (ls_eq(m->product, r->product) && ls_eq(m->category, r->category) && ls_eq(m->service, r->service))
            idx[p->nls++] = (uint32_t)i;
    }
    p->ls = idx;
    p->unmapped = p->nls == 0;
    return resolve_fields(s, p, idx, p->nls);
}

/* ---- filters ---- */
static bool ls_key_in(const char *want, const char *have)
{
    if (!want) return true;
    size_t n = strlen(want);
    return have && strlen(have) == n && vg_strncasecmp_ascii(want, have, n) == 0;
}

/* Sigma filters: the filter's log source contains the rule's when every
 * key the filter names (product, category, service) equals the rule's. */
static bool ls_contains(const struct vg_sigma_rule *f, const struct vg_sigma_rule *r)
{
    return ls_key_in(f->product, r->product) && ls_key_in(f->category, r->category) && ls_key_in(f->service, r->service);
}

static bool names_rule(const char *ref, const struct vg_sigma_rule *r)
{
    return (r->id && strcmp(r->id, ref) == 0) || (r->name && strcmp(r->name, ref) == 0);
}

static int warn(struct vg_sigma_report *rep, const char *file, int line, int col, const struct vg_sigma_rule *f,
                const char *fmt, ...) VG_PRINTF(6, 7);
static int warn(struct vg_sigma_report *rep, const char *file, int line, int col, const struct vg_sigma_rule *f,
                const char *fmt, ...)
{
    if (!rep) return 0;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return rep_add(&rep->warn, &rep->nwarn, &rep->capwarn, file, line, col, f->id, f->title, msg, false);
}

/* rule AND filter as one program in the set's arena: the rule's code, the
 * filter's code with its leaf indices moved past the rule's leaves, AND.
 * Field alternatives and short-circuit data are computed afterwards for
 * the whole program (resolve, vg__sig_prog_sc), as for any rule. NULL
 * when the result would exceed the program caps; VG_ENOMEM via *oom. */
static struct vg_sigma_prog *prog_and(struct vg_arena *ar, const struct vg_sigma_prog *a, const struct vg_sigma_prog *b,
                                      bool *oom)
{
    size_t ncode = (size_t)a->ncode + b->ncode + 1, nleaf = (size_t)a->nleaf + b->nleaf;
    if (ncode > VG_SIGMA_MAX_PROG + 16 || nleaf > VG_SIGMA_MAX_LEAVES) return NULL;
    struct vg_sigma_prog *p = vg_arena_alloc(ar, sizeof *p);
    struct vg__sig_insn *code = vg_arena_alloc(ar, ncode * sizeof *code);
    struct vg__sig_leaf *leaf = vg_arena_alloc(ar, (nleaf ? nleaf : 1) * sizeof *leaf);
    if (!p || !code || !leaf) { *oom = true; return NULL; }
    memset(p, 0, sizeof *p);
    memcpy(code, a->code, a->ncode * sizeof *code);
    for (uint32_t i = 0; i < b->ncode; i++) {
        code[a->ncode + i] = b->code[i];
        if (b->code[i].op == OP_LEAF) code[a->ncode + i].arg += a->nleaf;
    }
    code[ncode - 1].op = OP_AND;
    code[ncode - 1].arg = 0;
    if (a->nleaf) memcpy(leaf, a->leaf, a->nleaf * sizeof *leaf);
    if (b->nleaf) memcpy(leaf + a->nleaf, b->leaf, b->nleaf * sizeof *leaf);
    p->code = code;
    p->leaf = leaf;
    p->ncode = (uint32_t)ncode;
    p->nleaf = (uint32_t)nleaf;
    uint32_t mb = b->maxstack + 1;
    p->maxstack = a->maxstack > mb ? a->maxstack : mb;
    return p;
}

/* AND-s every filter onto the detection rules it applies to (set order;
 * several filters on one rule all apply) and reports references that
 * name no rule, name a rule of another log source or a correlation, and
 * filters that apply to nothing. */
static int apply_filters(struct vg_sigma_set *s, struct vg_sigma_report *rep)
{
    int rc = 0;
    for (size_t fi = 0; fi < s->nrules && rc == 0; fi++) {
        struct vg_sigma_rule *f = s->rules[fi];
        if (f->kind != VG_SIGMA_FILTER || !f->prog || !f->filter) continue;
        struct vg_sigma_filter *fl = (struct vg_sigma_filter *)(uintptr_t)f->filter;
        fl->applied = 0;
        for (size_t ri = 0; ri < s->nrules && rc == 0; ri++) {
            struct vg_sigma_rule *r = s->rules[ri];
            if (r->kind != VG_SIGMA_RULE || !r->prog || !ls_contains(f, r)) continue;
            bool named = fl->nrules == 0;
            for (size_t k = 0; !named && k < fl->nrules; k++) named = names_rule(fl->rules[k], r);
            if (!named) continue;
            bool oom = false;
            struct vg_sigma_prog *p = prog_and(&s->arena, r->prog, f->prog, &oom);
            if (oom) return VG_ENOMEM;
            if (!p) {
                rc = warn(rep, f->file, f->line, f->col, f,
                          "filter not applied to rule '%s' (%s:%d): the filtered rule would exceed %d instructions or %d leaves",
                          r->title ? r->title : "?", r->file ? r->file : "?", r->line, VG_SIGMA_MAX_PROG, VG_SIGMA_MAX_LEAVES);
                continue;
            }
            r->prog = p;
            r->nfilters++;
            fl->applied++;
            if (rep) rep->filters_applied++;
        }
        for (size_t k = 0; k < fl->nrules && rc == 0; k++) {
            const struct vg_sigma_rule *hit = NULL;
            bool applied = false;
            for (size_t ri = 0; ri < s->nrules; ri++) {
                const struct vg_sigma_rule *r = s->rules[ri];
                if (r == f || !names_rule(fl->rules[k], r)) continue;
                if (!hit) hit = r;
                if (r->kind == VG_SIGMA_RULE && r->prog && ls_contains(f, r)) applied = true;
            }
            if (applied) continue;
            if (!hit)
                rc = warn(rep, f->file, fl->line[k], fl->col[k], f, "filter names unknown rule '%s' (no loaded rule has that id or name)",
                          fl->rules[k]);
            else if (hit->kind != VG_SIGMA_RULE)
                rc = warn(rep, f->file, fl->line[k], fl->col[k], f, "filter names '%s', which is a %s, not a detection rule; not applied",
                          fl->rules[k], hit->kind == VG_SIGMA_CORRELATION ? "correlation" : "filter");
            else
                rc = warn(rep, f->file, fl->line[k], fl->col[k], f,
                          "filter names rule '%s' (%s:%d) whose log source (%s/%s/%s) is not within the filter's (%s/%s/%s); not applied",
                          fl->rules[k], hit->file ? hit->file : "?", hit->line, hit->product ? hit->product : "-",
                          hit->category ? hit->category : "-", hit->service ? hit->service : "-", f->product ? f->product : "*",
                          f->category ? f->category : "*", f->service ? f->service : "*");
        }
        if (rc == 0 && fl->nrules == 0 && fl->applied == 0)
            rc = warn(rep, f->file, f->line, f->col, f, "filter applies to every rule of its log source, but no loaded rule has it");
    }
    return rc;
}

/* Marks in s->fused every field id a leaf of a rule or mapping entry may
 * read (its field list after mapping, fieldref targets). Matching indexes
 * only these per event; any other id is still found by a linear lookup, so
 * the bitmap is a speed-up, never a filter on results. */
static void mark_prog(struct vg_sigma_set *s, const struct vg_sigma_prog *p)
{
    for (uint32_t i = 0; i < p->nleaf; i++) {
        const struct vg__sig_leaf *l = &p->leaf[i];
        for (uint32_t k = 0; k < l->nfid; k++)
            if (l->fid[k] < s->nfused) s->fused[l->fid[k]] = 1;
        if (l->kind == LK_FIELDREF && l->ref_fid)
            for (uint32_t k = 0; k < l->nval; k++)
                if (l->ref_fid[k] < s->nfused) s->fused[l->ref_fid[k]] = 1;
    }
}

static int mark_used_fields(struct vg_sigma_set *s)
{
    vg_free(s->fused);
    s->nfused = vg_fid_count() + 1;
    s->fused = vg_calloc(s->nfused, 1);
    if (!s->fused) return VG_ENOMEM;
    for (size_t i = 0; i < s->nls; i++)
        if (s->ls[i].match) mark_prog(s, s->ls[i].match);
    for (size_t i = 0; i < s->nrules; i++)
        if (s->rules[i]->prog) mark_prog(s, s->rules[i]->prog);
    return 0;
}

int vg_sigma_compile_report(struct vg_sigma_set *s, struct vg_sigma_report *rep, struct vg_err *err)
{
    if (!s) return VG_EINVAL;
    if (s->compiled) return 0;
    if (apply_filters(s, rep) != 0) return vg_err_set(err, VG_ENOMEM, "out of memory applying filters");
    for (size_t i = 0; i < s->nls; i++)
        if (s->ls[i].match && (resolve_fields(s, s->ls[i].match, NULL, 0) != 0 || vg__sig_prog_sc(&s->arena, s->ls[i].match) != 0))
            return vg_err_set(err, VG_ENOMEM, "out of memory resolving mappings");
    for (size_t i = 0; i < s->nrules; i++) {
        struct vg_sigma_rule *r = s->rules[i];
        if (!r->prog || r->kind != VG_SIGMA_RULE) continue;
        int rc = resolve(s, r);
        if (rc == 0) rc = vg__sig_prog_sc(&s->arena, r->prog);
        if (rc) return vg_err_set(err, rc, "out of memory resolving mappings");
    }
    if (mark_used_fields(s) != 0) return vg_err_set(err, VG_ENOMEM, "out of memory marking used fields");
    if (vg__sig_leaf_lits(s) != 0) return vg_err_set(err, VG_ENOMEM, "out of memory building value sets");
    int rc = vg__sig_pf_build(s, err);
    if (rc) return rc;
    s->compiled = true;
    return 0;
}

int vg_sigma_compile(struct vg_sigma_set *s, struct vg_err *err) { return vg_sigma_compile_report(s, NULL, err); }
