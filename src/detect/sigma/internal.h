/* Private structures of the Sigma engine, shared by its files:
 *   load.c     YAML documents -> rule metadata + detection -> program
 *   value.c    one `field|mods: values` entry -> leaf matcher (modifiers)
 *   cond.c     condition text -> postfix program
 *   match.c    leaf matchers, program evaluation, naive evaluator
 *   set.c      the rule set, reports, files, directories, mappings
 *   prefilter.c  log source buckets, Vectorscan databases, the fast path
 *   engine.c   reference counting and the swappable current set
 * All rule data lives in the set's arena; PCRE2 codes are listed in the set
 * so they can be freed. */
#ifndef VG_DETECT_SIGMA_INTERNAL_H
#define VG_DETECT_SIGMA_INTERNAL_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <libfyaml.h>
#include <stdatomic.h>
#include "vigil/sigma.h"

enum vg__sig_mod {
#define M(id, name, cls, desc) id,
#include "modifiers.def"
#undef M
    MOD__COUNT
};

/* A value while modifiers transform it: units are bytes 0..255, or the
 * wildcards below. */
#define U_STAR 256u
#define U_QMARK 257u
struct vg__sig_uval {
    uint16_t *u;
    uint32_t n;
};

/* A compiled string pattern: a glob over bytes. segs are the literal runs
 * between '*'; q marks '?' positions (one UTF-8 character). Literal bytes
 * are lowercased (ASCII) unless cased. */
enum { PK_EQ, PK_PREFIX, PK_SUFFIX, PK_CONTAINS, PK_ANY, PK_GLOB };
struct vg__sig_seg {
    uint32_t off, len;
};
struct vg__sig_pat {
    uint8_t kind;        /* PK_* */
    uint8_t cased;       /* compare bytes exactly */
    uint8_t lead, trail; /* pattern starts / ends with '*' */
    uint32_t len;        /* bytes in b */
    uint32_t nseg;
    const uint8_t *b;    /* literal bytes (segments back to back) */
    const uint8_t *q;    /* NULL, or 1 where b[i] is '?' */
    const struct vg__sig_seg *seg;
};

/* One value of a leaf: NULL pattern list means "null" (absent or null). */
struct vg__sig_val {
    uint32_t npat;       /* alternatives (windash, base64offset, expand): OR */
    uint8_t is_null;
    const struct vg__sig_pat *pat;
};

enum {
    LK_STR,      /* string patterns */
    LK_KEYWORD,  /* string patterns against the whole event text */
    LK_RE,       /* PCRE2 */
    LK_CIDR,
    LK_NUM,      /* gt/gte/lt/lte */
    LK_EXISTS,
    LK_FIELDREF,
    LK_TIME,     /* minute..year */
};
enum { CMP_EQ, CMP_GT, CMP_GTE, CMP_LT, CMP_LTE };

struct vg__sig_net {
    uint8_t fam;         /* 4 or 16 */
    uint8_t bits;
    uint8_t addr[16];
};

struct vg__sig_leaf {
    uint8_t kind;        /* LK_* */
    uint8_t all;         /* AND over values */
    uint8_t neq;         /* field present and no value matches */
    uint8_t cmp;         /* CMP_* for LK_NUM / LK_TIME */
    uint8_t tpart;       /* MOD_MINUTE..MOD_YEAR for LK_TIME */
    uint8_t exists;      /* LK_EXISTS: wanted presence */
    uint8_t ref_mode;    /* LK_FIELDREF: PK_EQ/PREFIX/SUFFIX/CONTAINS */
    uint8_t cased;
    const char *field;   /* Sigma field name; NULL for keywords */
    uint32_t nfid;       /* candidate event field ids: [0] = field itself, then mapped alternatives */
    uint32_t *fid;
    uint32_t nval;
    const struct vg__sig_val *val;       /* LK_STR, LK_KEYWORD */
    pcre2_code *const *re;               /* LK_RE */
    const char *const *re_src;           /* LK_RE: pattern texts (for the prefilter) */
    const uint32_t *re_len;
    uint8_t re_flags;                    /* LK_RE: 1 i, 2 m, 4 s */
    const struct vg__sig_net *net;       /* LK_CIDR */
    const double *num;                   /* LK_NUM, LK_TIME */
    const char *const *ref;              /* LK_FIELDREF: other field names */
    uint32_t *ref_fid;                   /* LK_FIELDREF: their ids */
    int line, col;                       /* where the entry is in the file */
    struct vg__litset *lits;             /* LK_STR with many values, not `all`: the simple patterns
                                            (equals/startswith/endswith/contains) of every non-null value
                                            as one literal set (vg__sig_leaf_lits), else NULL */
    uint8_t lits_null;                   /* with lits: some value is null */
    uint8_t lits_rest;                   /* with lits: some patterns are not in it (globs), tried one by one */
};

/* Postfix program over leaves. */
enum { OP_LEAF, OP_AND, OP_OR, OP_NOT, OP_ANDN, OP_ORN, OP_TRUE, OP_FALSE };
struct vg__sig_insn {
    uint8_t op;
    uint32_t arg;        /* leaf index, or operand count for ANDN/ORN */
};

struct vg_sigma_prog {
    uint32_t ncode, nleaf, maxstack;
    struct vg__sig_insn *code;
    struct vg__sig_leaf *leaf;
    uint32_t nls;        /* log source entries that must all apply (AND) */
    uint32_t *ls;        /* indices into the set's mapping entries */
    bool unmapped;       /* no mapping entry: evaluated on every event */
    struct vg__sig_sc *sc; /* short-circuit jumps per instruction (vg__sig_prog_sc), or NULL */
};

/* Short-circuit data of the instruction that ends a direct operand of an
 * AND/OR: when that operand's value is ctl, the operator's result is
 * known: drop the pos operands already pushed, push ctl and continue after
 * the operator at index parent. ctl 2: no jump. */
struct vg__sig_sc {
    uint32_t parent;
    uint32_t pos;
    uint8_t ctl;
};
/* Computes p->sc (arena memory). 0 or VG_ENOMEM. */
int vg__sig_prog_sc(struct vg_arena *ar, struct vg_sigma_prog *p);

/* A mapping entry (a file in rules/mappings/): which events a log source means,
 * and alternative event field names for Sigma field names. */
struct vg__sig_fmap {
    const char *sigma;
    uint32_t nalt;
    const char **alt;
};
struct vg__sig_lsmap {
    const char *product, *category, *service; /* NULL = any */
    struct vg_sigma_prog *match;               /* NULL = every event */
    uint32_t nfmap;
    struct vg__sig_fmap *fmap;
    const char *file;
    bool global;                               /* file-level `fields:` only */
};

struct vg__sig_placeholder {
    const char *name;
    uint32_t n;
    const char **vals;
};

struct vg_sigma_set {
    struct vg_arena arena;           /* all rule data */
    struct vg_sigma_rule **rules;    /* vg_malloc'd array */
    size_t nrules, caprules;
    pcre2_code **codes;              /* every compiled regex, for freeing */
    size_t ncodes, capcodes;
    pcre2_match_context *mctx;       /* match limits, shared read-only */
    pcre2_compile_context *cctx;
    struct vg__sig_lsmap *ls;
    size_t nls, capls;
    struct vg__sig_placeholder *ph;
    size_t nph, capph;
    bool compiled;
    bool filters_only;               /* inside vg_sigma_load_filters */
    uint32_t fid_kw_dummy;
    struct vg__sig_pf *pf;           /* prefilter (prefilter.c); NULL: naive only */
    uint8_t *fused;                  /* fused[fid]: some leaf of the set reads fid (compile) */
    struct vg__litset **lsets;       /* leaves' literal sets, for freeing */
    size_t nlsets;
    uint32_t *idtab;                 /* rule ids -> index + 1 (open addressing), for duplicate ids */
    size_t idmask;
    uint32_t nfused;
    _Atomic long refs;               /* vg_sigma_set_ref/unref */
};

/* ---- shared helpers ---- */
/* Records a reason while building a rule (first one wins). */
struct vg__sig_build {
    struct vg_sigma_set *set;
    struct vg_arena *ar;
    const char *file;
    char reason[512];
    int line, col;
    bool failed;
    bool expand_missing;
    bool collection;     /* this file began with a v1 `action:` document */
    const char *foreign; /* set by load_doc: not a Sigma document (what it is); skipped */
    bool filters_only;   /* vg_sigma_load_filters: other kinds are rejected */
    /* the rule being built */
    struct vg__sig_leaf *leaf;
    uint32_t nleaf, capleaf;
    struct vg__sig_insn *code;
    uint32_t ncode, capcode;
};
void vg__sig_fail(struct vg__sig_build *b, struct fy_node *at, const char *fmt, ...) VG_PRINTF(3, 4);
void vg__sig_node_pos(struct fy_node *n, int *line, int *col);
int vg__sig_emit(struct vg__sig_build *b, uint8_t op, uint32_t arg);
/* Builds one leaf from `key: value` (key = field|mods) and emits OP_LEAF.
 * Returns 0 or -1 with the reason recorded in b. */
int vg__sig_entry(struct vg__sig_build *b, const char *key, size_t klen, struct fy_node *val, struct fy_node *keynode);
/* Keyword list (plain values without a field) -> leaf. */
int vg__sig_keywords(struct vg__sig_build *b, struct fy_node *seq_or_scalar, const char *mods, size_t mlen);
/* Compiles a search identifier value (map / list / scalar) into b's code. */
int vg__sig_ident(struct vg__sig_build *b, struct fy_node *v, int depth);
/* Copies code/leaves out of b into an arena program. */
struct vg_sigma_prog *vg__sig_prog_finish(struct vg__sig_build *b);

/* Condition compiler: names[i] is the identifier, frag[i] its code range
 * in b->code ([frag_off[i], frag_off[i]+frag_len[i])). Appends the whole
 * condition program to b->code after the fragments and returns the start
 * offset, or -1 with the reason in b. */
struct vg__sig_idents {
    size_t n;
    const char **name;
    size_t *nlen;
    uint32_t *off, *len;
};
long vg__sig_cond(struct vg__sig_build *b, const char *cond, size_t len, const struct vg__sig_idents *ids,
                  struct fy_node *at);

/* Matching. Per-thread context (match.c owns the naive parts, prefilter.c
 * the fast-path scratch). */
struct vg__sig_pfx;
struct vg_sigma_ctx {
    const struct vg_sigma_set *set;
    uint32_t nslots, gen;
    uint32_t *stamp;                 /* stamp[fid] == gen: slot[fid] is this event's field */
    uint8_t *used;                   /* used[fid]: indexed (the set reads it); others: linear lookup */
    const struct vg_field **slot;
    pcre2_match_data *md;
    uint8_t *stk;                    /* evaluation stack */
    uint32_t *stk_begin;             /* explain: where each entry's fields start */
    uint32_t capstk;
    uint32_t *fl;                    /* explain: field list */
    uint32_t nfl, capfl;
    int8_t *lsres;                   /* per mapping entry: -1 unknown, 0, 1 (this event) */
    struct vg_sigma_hit *hits;
    size_t nhits, caphits;
    uint32_t *hf;                    /* fields of all hits of this event */
    size_t nhf, caphf;
    uint64_t regex_limited;
    uint32_t fid_format, fid_collector, fid_host, fid_tenant;
    struct vg_field pseudo[4];
    const struct vg_event *ev;
    bool explain;
    uint32_t *lstamp;                /* lstamp[fid] == gen: low[fid] is the lowercased text */
    const uint8_t **low;
    struct vg_arena lar;             /* lowercased texts of this event */
    const uint8_t *raw_low;          /* lowercased raw bytes, or NULL */
    uint32_t raw_low_gen;
    uint32_t last_fid;               /* explain: field a leaf matched on */
    uint32_t last_fid2;
    struct vg__sig_pfx *pfx;         /* fast-path scratch, NULL when the set has no prefilter */
    struct vg_sigma_stats stats;
};

int vg__sig_eval(struct vg_sigma_ctx *ctx, const struct vg_sigma_prog *p, const struct vg_event *ev);
/* Indexes ev's fields in ctx (no-op when ev is already indexed). */
void vg__sig_index(struct vg_sigma_ctx *c, const struct vg_event *ev);
const struct vg_field *vg__sig_get_field(struct vg_sigma_ctx *c, uint32_t fid);
/* Log source applicability of p on the indexed event: 1, 0 or <0. */
int vg__sig_ls_applies(struct vg_sigma_ctx *c, const struct vg_sigma_prog *p, const struct vg_event *ev);
/* Text of a scalar value (not lists); buf for non-strings. */
const uint8_t *vg__sig_vtext(const struct vg_value *v, char *buf, size_t bufsz, size_t *len);
/* Starts the hit list of an event; adds rule r (runs the explain pass). */
void vg__sig_hits_reset(struct vg_sigma_ctx *c);
int vg__sig_hit_add(struct vg_sigma_ctx *c, const struct vg_sigma_rule *r, const struct vg_event *ev);
int vg__sig_hits_done(struct vg_sigma_ctx *c, const struct vg_sigma_hit **hits);

/* Builds leaf literal sets for the set's rules (compile). 0 or VG_ENOMEM. */
int vg__sig_leaf_lits(struct vg_sigma_set *s);

/* Prefilter (prefilter.c). */
int vg__sig_pf_build(struct vg_sigma_set *s, struct vg_err *err);
void vg__sig_pf_free(struct vg__sig_pf *pf);
int vg__sig_pfx_new(struct vg_sigma_ctx *c);
void vg__sig_pfx_free(struct vg__sig_pfx *x);

/* Case folding table (ASCII). */
extern const uint8_t vg__sig_lower[256];

/* Literal sets (litset.c): exact multi-literal search for the prefilter's
 * field databases. A literal is bytes (copied at build), compared exactly
 * when cased, else ASCII case-insensitively, optionally anchored at the
 * text's start (st) and/or end (en). */
struct vg__lit {
    const uint8_t *b;
    uint32_t len;        /* 1..65535; 0 is ignored */
    uint32_t id;         /* reported to the callback */
    uint8_t cased, st, en;
};
struct vg__litset;
typedef void (*vg__lit_fn)(uint32_t id, void *arg);
/* NULL on OOM. */
struct vg__litset *vg__litset_build(const struct vg__lit *lits, uint32_t n);
void vg__litset_free(struct vg__litset *ls);
/* Calls fn(id) for each literal occurring in the n-byte text t (low: its
 * ASCII-lowercased copy, same length), possibly more than once per id;
 * ids with stamp[id] == gen are skipped (stamp may be NULL). */
void vg__litset_scan(const struct vg__litset *ls, const uint8_t *t, const uint8_t *low, size_t n,
                     const uint32_t *stamp, uint32_t gen, vg__lit_fn fn, void *arg);
size_t vg__litset_count(const struct vg__litset *ls);
/* Test and benchmark hook: selects the scan loop (0 scalar, 1 AVX2, 2
 * AVX-512; clamped to what the CPU has; -1 keeps the current choice, by
 * default the best one unless VG_LITSET_SCALAR=1) for every later scan and
 * returns the name of the one in effect. Results never depend on it. */
const char *vg__litset_impl(int want);
/* dst[i] = vg__sig_lower[src[i]] for n bytes (word at a time). */
void vg__sig_lower_copy(uint8_t *dst, const uint8_t *src, size_t n);
/* ASCII lowercase of 8 bytes in a word (A-Z get 0x20, other bytes stay). */
static inline uint64_t vg__sig_lower8(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    uint64_t b = w & ~high;                     /* low 7 bits of each byte */
    uint64_t geA = b + ones * (0x80 - 'A');     /* high bit: byte >= 'A' */
    uint64_t gtZ = b + ones * (0x80 - 'Z' - 1); /* high bit: byte > 'Z' */
    return w | (((geA ^ gtZ) & ~w & high) >> 2);
}
/* The ASCII-lowercased text of string field f (an indexed slot of this
 * event), computed once per event and shared with the evaluator; NULL when
 * f is not an indexed string field or on OOM. */
const uint8_t *vg__sig_field_low(struct vg_sigma_ctx *c, const struct vg_field *f);

/* Parses an IPv4/IPv6 CIDR text. 0 or -1. */
int vg__sig_parse_cidr(const char *s, size_t n, struct vg__sig_net *out);

#endif
