/* Private structures of the threat-intel module (src/detect/intel/):
 * the builder collecting indicators and atoms from the loaders, and the
 * compiled set: a hashed string set (exact values and per-label domain
 * suffixes) and IPv4/IPv6 longest-prefix interval tables
 * (docs/internals/intel.md). */
#ifndef VG_INTEL_INTERNAL_H
#define VG_INTEL_INTERNAL_H

#include "vigil/intel.h"

__extension__ typedef unsigned __int128 vg_u128;

#define INTEL_MAX_DOC (512u << 20)     /* bytes of one feed document */
#define INTEL_MAX_VALUE 4096u          /* bytes of one IoC value */
#define INTEL_MAX_ATOMS (64u << 20)    /* atoms in one set */
#define INTEL_MAX_PATTERN 65536u       /* bytes of one STIX pattern */
#define INTEL_WL_TYPE_STR 200          /* warninglist exact-string atoms */

/* One (type, value) of an indicator, or of a warninglist when ind is
 * UINT32_MAX. Strings live in the builder arena, normalised (domains,
 * hashes, e-mail lower-case). */
struct intel_atom {
    const char *s;
    uint32_t len;
    uint32_t ind;
    uint8_t type;      /* enum vg_intel_type, or INTEL_WL_TYPE_STR */
    uint8_t v6;        /* IP: 16-byte address */
    uint8_t plen;      /* IP: prefix length */
    uint8_t ip[16];    /* IP: network address (host bits cleared) */
};

struct vg_intel_builder {
    struct vg_arena arena;
    struct vg_intel_indicator *ind;
    size_t nind, capind;
    struct intel_atom *atoms;     /* indicator atoms */
    size_t natoms, capatoms;
    struct intel_atom *wl;        /* warninglist atoms */
    size_t nwl, capwl;
    char **substr;                /* warninglist substrings (arena) */
    uint32_t *substr_len;
    size_t nsubstr, capsubstr;
    struct intel_conj *conj;      /* conjunctions (AND patterns) */
    size_t nconj, capconj;
    struct intel_cons *cons;
    size_t ncons, capcons;
    struct intel_cval *cvals;
    size_t ncvals, capcvals;
};

/* ---- compiled structures (index.c) ----------------------------------- */
struct intel_strent {
    const char *s;
    uint32_t len;
    uint8_t type;
    uint32_t post, npost;   /* range of the postings array */
};

struct intel_strset {
    uint64_t *slots;        /* 0 empty; else (tag << 32) | (entry + 1) */
    uint64_t mask;
    struct intel_strent *ent;
    uint32_t n;
    uint32_t *post;
    size_t npost;
    uint64_t lmask[256];    /* per type: bit k set when a key has k labels (63 = more) */
};

struct intel_pfx {
    vg_u128 lo, hi;
    int32_t parent;          /* next shorter covering prefix, -1 none */
    uint32_t post, npost;
    uint8_t v6, plen;
};

struct intel_ipidx {
    struct intel_pfx *pfx;
    size_t npfx;
    uint32_t *post;
    size_t npost;
    struct intel_iv4 { uint32_t start; int32_t owner; } *iv4; /* interval starts -> owner prefix */
    size_t n4;
    uint32_t *idx4;                         /* 65537: first interval of each /16 */
    vg_u128 *s6; int32_t *o6; size_t n6;
};

int intel_strset_build(struct intel_strset *ss, struct intel_atom *atoms, size_t n);
void intel_strset_free(struct intel_strset *ss);
/* Exact lookup; NULL when absent. */
const struct intel_strent *intel_strset_get(const struct intel_strset *ss, int type, const char *s, size_t len);
/* Calls fn for each entry of `type` equal to s or to a label-boundary
 * suffix of s (type_full, when >= 0, is also tried on the whole name). */
typedef int (*intel_suffix_fn)(const struct intel_strent *e, void *ctx);
int intel_strset_suffixes(const struct intel_strset *ss, int type, int type_full, const char *s, size_t len,
                          intel_suffix_fn fn, void *ctx);

int intel_ipidx_build(struct intel_ipidx *ix, struct intel_atom *atoms, size_t n);
void intel_ipidx_free(struct intel_ipidx *ix);
/* Longest covering prefix of addr (4 or 16 bytes), -1 when none. */
int32_t intel_ipidx_lookup(const struct intel_ipidx *ix, const uint8_t *addr, int alen);

/* Parses "addr" or "addr/len" (IPv4 or IPv6); 0 or VG_EINVAL. */
int intel_parse_cidr(const char *s, size_t len, uint8_t ip[16], uint8_t *v6, uint8_t *plen);
/* Lower-cases and validates a domain (LDH + '_' labels, trailing dot
 * dropped); returns the normalised length or 0 when invalid. */
size_t intel_norm_domain(const char *s, size_t len, char *out, size_t outsz);
/* Detects a value's type: VG_INTEL_* or -1. */
int intel_detect_type(const char *s, size_t len);

/* builder (set.c) */
int intel_builder_add_ind(struct vg_intel_builder *b, const struct vg_intel_indicator *meta, uint32_t *id);
int intel_builder_add_atom(struct vg_intel_builder *b, uint32_t ind, int type, const char *value, size_t len,
                           const char **why);
int intel_builder_add_wl(struct vg_intel_builder *b, int wltype, const char *value, size_t len, const char **why);
void intel_report_add(struct vg_intel_report *rep, bool note, const char *feed, const char *id, const char *fmt, ...)
    VG_PRINTF(5, 6);

/* STIX pattern -> conjunctions (pattern.c). The pattern is parsed whole;
 * observation expressions joined by OR and, inside each, comparison
 * expressions of AND / OR (parenthesised) are expanded into an OR of
 * conjunctions (DNF, capped). Each conjunction is indexed on its most
 * selective indexable comparison (hash > URL > e-mail > domain > IP /32 >
 * CIDR; operators =, IN, ISSUBSET) and carries its other comparisons as
 * constraints verified on the event. add is called per conjunction;
 * returns 0 or VG_EUNSUP/VG_EPARSE with the reason in why. drop is called
 * for each conjunction (or value) that cannot be used. */
enum intel_cop { COP_EQ, COP_NEQ, COP_IN, COP_LIKE, COP_MATCHES, COP_GT, COP_GE, COP_LT, COP_LE, COP_SUBSET };

struct intel_pval { const char *s; size_t len; };

struct intel_pcons {                 /* one comparison verified on the event */
    const char *const *fields;       /* event field names, NULL-terminated (static) */
    uint8_t op;                      /* enum intel_cop */
    bool neg;                        /* NOT */
    bool ci;                         /* ASCII case-insensitive strings */
    bool ip;                         /* values are addresses / CIDRs */
    const struct intel_pval *vals;
    size_t nv;
};

struct intel_pconj {
    int type;                        /* enum vg_intel_type of the indexed comparison */
    const struct intel_pval *vals;   /* its values (several for IN) */
    size_t nv;
    const struct intel_pcons *cons;
    size_t ncons;
};

struct intel_pattern_cb {
    /* 0 when at least one value was added; VG_EINVAL when none was usable
     * (reason in why); VG_ENOMEM */
    int (*add)(void *ctx, const struct intel_pconj *cj, char *why, size_t whysz);
    void (*drop)(void *ctx, const char *reason);
    void *ctx;
};
int intel_stix_pattern(const char *p, size_t len, const struct intel_pattern_cb *cb, char *why, size_t whysz);

/* Conjunction constraints in the builder and the set (set.c): an atom whose
 * ind has INTEL_CONJ_BIT set names entry (ind & ~INTEL_CONJ_BIT) of the
 * conjunction table instead of an indicator. */
#define INTEL_CONJ_BIT 0x80000000u
#define INTEL_MAX_CONJ (1u << 24)
struct intel_cval { const char *s; uint32_t len; uint8_t v6, plen; uint8_t ip[16]; };
struct intel_cons {
    uint8_t op, neg, ci, ip;
    uint8_t nf;
    uint32_t fid[8];
    uint32_t v0, nv;                 /* range of the value table */
    void *re;                        /* pcre2_code for MATCHES */
};
struct intel_conj { uint32_t ind, c0, nc; };
/* Adds a conjunction for indicator ind (constraints copied); *entry gets
 * the value to store as the atoms' ind. VG_EINVAL with why (bad regex,
 * value), VG_ENOMEM, VG_ETOOBIG. */
int intel_builder_add_conj(struct vg_intel_builder *b, uint32_t ind, const struct intel_pconj *cj, uint32_t *entry,
                           const char **why);
/* Drops conjunctions, constraints and values added after the given counts. */
void intel_builder_rollback_conj(struct vg_intel_builder *b, size_t nconj, size_t ncons, size_t ncvals);
#endif
