/* The Sigma fast path (DESIGN §4): built by vg_sigma_compile, used by
 * vg_sigma_match. Three parts:
 *   1. log source buckets: mapping entries of the form Channel = c [and
 *      EventID = e] are decided per event by two table lookups; each
 *      distinct set of satisfied entries is a bucket listing the rules that
 *      apply. Entries of any other form are evaluated per event as before.
 *   2. covers: for each rule a set of Vectorscan patterns such that the rule
 *      can only match when one of them fires (OR: union, AND: the cheapest
 *      child, NOT/exists/numbers: none). Rules without a cover are evaluated
 *      on every event of their buckets.
 *   3. one Vectorscan database per field (plus one for keywords, scanned
 *      over the raw text and every string field); each scanned field marks
 *      its fired patterns, whose rules become candidates, and only the
 *      candidates run their exact programs.
 * Everything is a superset filter in front of the exact evaluator, so hits
 * equal the naive evaluator's. Part of src/detect/sigma (see internal.h). */
#include "internal.h"
#include <hs.h>
#include <math.h>

#define PF_KW UINT32_MAX      /* "field" of the keyword database */
#define PF_MAXCONJ 256        /* Channel/EventID conjunctions per mapping entry */

struct pf_pat {
    uint32_t fid;             /* field id or PF_KW */
    uint32_t flags;           /* HS_FLAG_* */
    const char *expr;         /* in pf->ar */
    uint32_t nrules, caprules;
    uint32_t *rules;          /* rule indices whose cover holds this pattern */
    uint32_t db;              /* database index */
    bool regex, broken;
    bool used;                /* in some rule's cover or secondary group: compiled */
    bool hex;                 /* a hexadecimal key (expr: lowercase hex), looked up, not scanned */
};

/* A secondary cover group of a rule: one pattern of it fires whenever the
 * rule matches (it covers another operand of a top-level AND). Checked
 * only when every database it needs was scanned for the event. */
struct pf_grp {
    uint32_t n, ndb;
    uint32_t *ids;            /* pattern ids */
    uint32_t *dbs;            /* databases of those patterns */
};

struct pf_hslot {
    uint64_t h;               /* word_hash of the key: compared before the key is read */
    uint32_t pat;             /* pattern id + 1, 0 = empty */
};

struct pf_db {
    uint32_t fid;             /* the Sigma field (first id of its leaves' lists) */
    uint32_t nsf;
    uint32_t *sf;             /* event fields scanned with it: every alternative of its leaves */
    hs_database_t *db;
    uint32_t nre;
    uint32_t *re;             /* regex patterns: all fire when the text has bytes >= 0x80 */
    uint32_t npat;
    uint8_t tier;             /* PF_T_*: how and when it is scanned */
    struct vg__litset *lits;  /* PF_T_LIT: literal set */
    /* PF_T_HEX: open-addressing set of hexadecimal keys */
    struct pf_hslot *htab;
    uint32_t hmask;
    uint64_t *hbloom;         /* PF_HBLOOM bits, one per hash value: most probes stop here (in L1) */
    uint32_t hlens;           /* bit i: some key has length pf_hexlen[i] */
};
enum {
    PF_T_EAGER,               /* Vectorscan, scanned for every event of a bucket that needs it */
    PF_T_HEX,                 /* hexadecimal-key set, probed with the hex runs of the text */
    PF_T_LIT,                 /* literal set (litset.c): a field's literal patterns, anchors honoured */
};
#define PF_HEXFLAG (1u << 31)  /* pattern flags of hex keys (no HS_FLAG_ uses this bit) */
#define PF_HEXMIN 16           /* shortest hexadecimal key */
#define PF_RELIT (1u << 30)    /* pattern flags of a literal required by a caseless regex (stripped for Vectorscan) */
#define PF_RELITMIN 1          /* shortest literal taken from a regex: even one byte is a memchr, cheaper than a Vectorscan prefilter regex */
static const uint32_t pf_hexlen[] = {16, 32, 40, 64}; /* key lengths: a run's prefix of each is probed */
#define PF_NHEXLEN 4
#define PF_HBLOOM (1u << 16)

struct pf_chan {
    const uint8_t *name;      /* lowercased */
    uint32_t len;
    uint32_t neid, capeid;
    const uint8_t **eid;      /* lowercased EventID texts */
    uint32_t *eidlen;
    uint32_t *eidb;           /* bucket of (channel, eid) */
    uint32_t other;           /* bucket of (channel, any other or no EventID) */
};

struct pf_bucket {
    uint64_t *sat;            /* satisfied simple mapping entries (bitmap over set->ls) */
    uint64_t *member;         /* bitmap over rules: applies in this bucket */
    uint32_t nalways;
    uint32_t *always;         /* applicable rules without a cover, in set order */
    uint32_t nscan;
    uint32_t *scan;           /* databases worth scanning */
    bool kw;                  /* scan the keyword database */
};

struct vg__sig_pf {
    struct vg_arena ar;
    uint32_t nrules;
    struct pf_pat *pat;
    uint32_t npat, cappat;
    uint32_t *ptab, ptmask;   /* pattern dedup hash table (index + 1) */
    uint64_t *alt;            /* (primary fid << 32 | alternative fid) seen on leaves */
    size_t nalt, capalt;
    struct pf_db *db;
    uint32_t ndb;
    int32_t *db_of_fid;       /* (field id * 3 + tier) -> database, -1 */
    uint32_t nfid;
    int32_t kwdb;
    bool kw_anchored;         /* some keyword pattern is anchored (^..$): values inside the raw text are still scanned */
    bool kw_plain;            /* no keyword literal holds a byte a two-character JSON escape produces */
    uint32_t relit_min;       /* shortest required literal taken from a regex (VG_PF_RELITMIN) */
    bool relit_on;            /* required literals of regexes instead of the regexes (VG_PF_NORELIT=1: off, A/B) */
    bool hex_on;              /* hash keys in hash sets (VG_PF_NOHEX=1 at compile turns it off: A/B measurements) */
    bool common_on;           /* covers avoid literals made of common path tokens (VG_PF_NOCOMMON=1: off) */
    bool lazy_lit;            /* secondary groups scan unscanned literal sets on demand (VG_PF_NOLAZYLIT=1: off) */
    bool lit_on;              /* field literals in literal sets, anchored (VG_PF_NOLIT=1: Vectorscan, unanchored; A/B) */
    hs_scratch_t *proto;      /* cloned per context */
    /* log sources */
    uint32_t *chanfid, nchanfid, *eidfid, neidfid;
    struct pf_chan *chan;
    uint32_t nchan, capchan;
    uint32_t *chtab, chmask;  /* channel hash table (index + 1) */
    struct pf_bucket *bk;
    uint32_t nbk, capbk, words, rwords;
    uint32_t *cplx, ncplx;    /* rules whose log source is evaluated per event */
    uint8_t *always;          /* per rule: 1 = no cover */
    uint32_t **rcov;          /* per rule: its cover (pattern ids), NULL when none */
    uint32_t *nrcov;
    struct pf_grp **rsec;     /* per rule: secondary groups (in pf->ar) */
    uint32_t *nrsec;
    struct vg_sigma_pf_info info;
};

struct vg__sig_pfx {
    hs_scratch_t *scr;
    uint32_t gen;
    uint32_t *pstamp;         /* per pattern: fired in this event */
    uint32_t *fired, nfired;
    uint32_t *rstamp;         /* per rule: already a candidate */
    uint32_t *okstamp;        /* per rule: complex log source applies */
    uint32_t *dbstamp;        /* per database: scanned for this event */
    uint32_t *cand, ncand;
    const struct vg__sig_pf *pf;
    char *buf;                /* keywords: the event's string fields, '\n'-separated */
    size_t len, cap;
    uint8_t *low;             /* lowercased copy of a scanned text that has none cached */
    size_t lowcap;
    struct pf_memo *memo;     /* PF_MEMO entries: field value -> patterns it fired (NULL: off) */
    uint32_t *mtry, *mhit;    /* per database: memo lookups and hits in this period */
    uint8_t *moff;            /* per database: memo off for this period (values rarely repeat) */
    uint64_t mperiod;         /* events since the counters were reset */
};

/* The memo: a scan's outcome (which patterns fire) depends only on the
 * database and the scanned text, and log fields repeat (the same Image,
 * ParentImage, Company, User ... on thousands of events), so the patterns
 * a value fired are kept per context and replayed when the same value is
 * scanned with the same database again. Direct-mapped, exact (the value is
 * compared byte for byte), for values up to PF_MEMO_LEN bytes that fire at
 * most PF_MEMO_IDS patterns. A database whose values rarely repeat (a
 * command line with arguments) stops using it for the rest of the period. */
#define PF_MEMO (1u << 12)
#define PF_MEMO_LEN 120
#define PF_MEMO_IDS 7
#define PF_MEMO_PERIOD 65536   /* events between counter resets */
#define PF_MEMO_PROBE 2048     /* lookups before a database's hit rate is judged */
struct pf_memo {
    uint64_t h;
    uint32_t db;              /* database + 1; 0 = empty */
    uint16_t len;
    uint8_t nids;
    uint32_t ids[PF_MEMO_IDS];
    uint8_t val[PF_MEMO_LEN];
};
#define PF_MAX_BUF (16u << 20) /* larger events are matched naively */
#define PF_KW_COVER 32        /* byte ranges remembered per event by the keyword buffer */

/* ------------------------------------------------------------------ */
/* compile: patterns                                                   */

static uint64_t fnv(const void *p, size_t n, uint64_t h)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) { h ^= b[i]; h *= 0x100000001b3ull; }
    return h;
}


/* 64-bit hash of n bytes, 8 at a time, ASCII-lowercased first when lower:
 * hexadecimal keys, channel names (lower) and memo values (seeded with
 * the database). */
static uint64_t word_hash(const uint8_t *b, size_t n, uint64_t seed, bool lower)
{
    uint64_t h = 0x9e3779b97f4a7c15ull ^ seed ^ n;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, b + i, 8);
        if (lower) w = vg__sig_lower8(w);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h ^= h >> 31;
    }
    if (i < n) {
        uint64_t w = 0;
        memcpy(&w, b + i, n - i);
        if (lower) w = vg__sig_lower8(w);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
    }
    h ^= h >> 29;
    return h * 0xc4ceb9fe1a85ec53ull;
}

static uint64_t pat_hash(uint32_t fid, uint32_t flags, const char *expr)
{
    uint64_t h = fnv(&fid, sizeof fid, 0xcbf29ce484222325ull);
    h = fnv(&flags, sizeof flags, h);
    return fnv(expr, strlen(expr), h);
}

static int ptab_grow(struct vg__sig_pf *pf)
{
    uint32_t nsz = pf->ptmask ? (pf->ptmask + 1) * 2 : 1024;
    uint32_t *t = vg_calloc(nsz, sizeof *t);
    if (!t) return VG_ENOMEM;
    for (uint32_t i = 0; i < pf->npat; i++) {
        uint32_t h = (uint32_t)pat_hash(pf->pat[i].fid, pf->pat[i].flags, pf->pat[i].expr) & (nsz - 1);
        while (t[h]) h = (h + 1) & (nsz - 1);
        t[h] = i + 1;
    }
    vg_free(pf->ptab);
    pf->ptab = t;
    pf->ptmask = nsz - 1;
    return 0;
}

/* Interns (fid, flags, expr); returns the pattern id or -1 on OOM. */
static long pat_intern(struct vg__sig_pf *pf, uint32_t fid, uint32_t flags, const char *expr, bool regex)
{
    if ((pf->npat + 1) * 2 > pf->ptmask && ptab_grow(pf) != 0) return -1;
    uint32_t h = (uint32_t)pat_hash(fid, flags, expr) & pf->ptmask;
    while (pf->ptab[h]) {
        const struct pf_pat *p = &pf->pat[pf->ptab[h] - 1];
        if (p->fid == fid && p->flags == flags && strcmp(p->expr, expr) == 0) return (long)pf->ptab[h] - 1;
        h = (h + 1) & pf->ptmask;
    }
    if (pf->npat == pf->cappat) {
        uint32_t nc = pf->cappat ? pf->cappat * 2 : 1024;
        struct pf_pat *np = vg_realloc(pf->pat, nc * sizeof *np);
        if (!np) return -1;
        pf->pat = np;
        pf->cappat = nc;
    }
    struct pf_pat *p = &pf->pat[pf->npat];
    memset(p, 0, sizeof *p);
    p->fid = fid;
    p->flags = flags;
    p->regex = regex;
    p->expr = vg_arena_strndup(&pf->ar, expr, strlen(expr));
    if (!p->expr) return -1;
    pf->ptab[h] = pf->npat + 1;
    return (long)pf->npat++;
}

/* A cover under construction: pattern ids, or "none" (ok == false), plus
 * secondary groups: covers of the other operands of an AND, each of which
 * must fire too (a conjunction of covers; only the primary makes a rule a
 * candidate, the secondary ones veto it). */
#define PF_MAXSEC 8
struct cov {
    bool ok;
    double cost;
    uint32_t n, cap;
    uint32_t *ids;
    uint32_t nsec;
    struct cov *sec;          /* PF_MAXSEC entries when allocated */
};

static void cov_release(struct cov *c)
{
    vg_free(c->ids);
    for (uint32_t i = 0; i < c->nsec; i++) vg_free(c->sec[i].ids);
    vg_free(c->sec);
    memset(c, 0, sizeof *c);
}

/* Moves group g (a plain cover, no secondary groups) into a's secondary
 * list; drops it when the list is full or g is empty (both only weaken the
 * filter, never the result). */
static int cov_add_sec(struct cov *a, struct cov *g)
{
    if (g->n == 0 || a->nsec == PF_MAXSEC) { vg_free(g->ids); memset(g, 0, sizeof *g); return 0; }
    if (!a->sec && !(a->sec = vg_calloc(PF_MAXSEC, sizeof *a->sec))) { vg_free(g->ids); memset(g, 0, sizeof *g); return VG_ENOMEM; }
    a->sec[a->nsec++] = *g;
    memset(g, 0, sizeof *g);
    return 0;
}

static int cov_add(struct cov *c, uint32_t id)
{
    if (c->n == c->cap) {
        uint32_t nc = c->cap ? c->cap * 2 : 8;
        uint32_t *ni = vg_realloc(c->ids, nc * sizeof *ni);
        if (!ni) return VG_ENOMEM;
        c->ids = ni;
        c->cap = nc;
    }
    c->ids[c->n++] = id;
    return 0;
}

/* Appends b's ids to a (b is released, also on failure). */
static int cov_union(struct cov *a, struct cov *b)
{
    for (uint32_t i = 0; i < b->n; i++)
        if (cov_add(a, b->ids[i]) != 0) { cov_release(b); return VG_ENOMEM; }
    a->cost += b->cost;
    a->ok = a->ok && b->ok;
    cov_release(b);
    return 0;
}

/* Literal bytes as a Vectorscan expression (everything but [A-Za-z0-9_] as
 * \xHH). Never anchored: sets of ^/$-anchored literals take Vectorscan
 * 25-30x longer to compile (0.8-1.1 s for 900 of them) than plain ones, and
 * the exact evaluator checks the anchoring anyway. */
static int lit_expr(struct vg_buf *e, const uint8_t *b, size_t n, bool st, bool en)
{
    vg_buf_reset(e);
    int rc = st ? vg_buf_addc(e, '^') : vg_buf_add(e, "", 0);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        uint8_t c = b[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_') rc = vg_buf_addc(e, (char)c);
        else rc = vg_buf_addf(e, "\\x%02x", c);
    }
    if (rc == 0 && en) rc = vg_buf_addc(e, '$');
    return rc;
}

static int hexval_c(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : 0;
}

/* Inverse of lit_expr: the literal bytes and anchors of a literal
 * pattern's expression (out has room for strlen(expr) bytes). */
static uint32_t expr_lit(const char *x, uint8_t *out, uint8_t *st, uint8_t *en)
{
    size_t n = strlen(x);
    uint32_t k = 0;
    *st = *en = 0;
    if (n && x[0] == '^') { *st = 1; x++; n--; }
    if (n && x[n - 1] == '$') { *en = 1; n--; } /* a literal '$' is written \x24 */
    for (size_t i = 0; i < n;) {
        if (x[i] == '\\' && i + 3 < n + 1 && x[i + 1] == 'x') {
            out[k++] = (uint8_t)(hexval_c(x[i + 2]) << 4 | hexval_c(x[i + 3]));
            i += 4;
        } else {
            out[k++] = (uint8_t)x[i++];
        }
    }
    return k;
}

/* The literal part of a glob pattern worth prefiltering on: the whole
 * literal with its anchors for the simple kinds, the longest run without
 * '?' (unanchored) for general globs. len 0 when there is none. */
static void pat_lit(const struct vg__sig_pat *p, const uint8_t **lit, uint32_t *len, bool *start, bool *end)
{
    *len = 0;
    *start = *end = false;
    switch (p->kind) {
    case PK_EQ: *lit = p->b; *len = p->len; *start = *end = true; return;
    case PK_PREFIX: *lit = p->b; *len = p->len; *start = true; return;
    case PK_SUFFIX: *lit = p->b; *len = p->len; *end = true; return;
    case PK_CONTAINS: *lit = p->b; *len = p->len; return;
    case PK_ANY: return;
    default: break;
    }
    for (uint32_t s = 0; s < p->nseg; s++) {
        uint32_t off = p->seg[s].off, n = p->seg[s].len, run = 0;
        for (uint32_t i = 0; i <= n; i++) {
            if (i == n || (p->q && p->q[off + i])) {
                if (run > *len) { *len = run; *lit = p->b + off + i - run; }
                run = 0;
            } else {
                run++;
            }
        }
    }
}

/* Substrings that occur in most Windows paths and command lines: a
 * literal made mostly of one selects little however long it is
 * ('\windows\' is 9 bytes and in half of all events). Only the choice of
 * covers uses this (which operand of an AND makes a rule a candidate);
 * results never depend on it. */
static const char *const common_tokens[] = {
    "\\windows\\system32\\", "\\windows\\syswow64\\", "c:\\windows\\", "\\windows\\", "\\system32\\",
    "\\program files (x86)\\", "\\program files\\", "\\programdata\\", "c:\\users\\", "\\users\\",
    "\\appdata\\local\\", "\\appdata\\roaming\\", "\\appdata\\", "microsoft", "windows", ".exe", ".dll", "c:\\",
    NULL,
};
static uint32_t lit_effective_len(const uint8_t *lit, uint32_t len)
{
    uint32_t best = 0;
    char low[256];
    if (len > sizeof low) return len;
    for (uint32_t i = 0; i < len; i++) low[i] = (char)vg__sig_lower[lit[i]];
    for (const char *const *t = common_tokens; *t; t++) {
        uint32_t tl = (uint32_t)strlen(*t);
        if (tl <= len && tl > best && memmem(low, len, *t, tl)) best = tl;
    }
    return best ? len - best + 1 : len; /* the common token counts as one byte */
}

static double lit_cost(uint32_t len)
{
    double eff = (double)len;
    if (eff > 24) eff = 24;
    return pow(0.5, eff);
}

/* Is a PCRE2 pattern safe to prefilter in Vectorscan's byte mode? Only
 * ASCII text and a few escapes whose meaning is the same in both (the
 * scanned text falls back to "fired" when it is not ASCII). */
static bool re_portable(const char *s, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        uint8_t c = (uint8_t)s[i];
        if (c >= 0x80) return false;
        if (c != '\\') continue;
        if (++i >= n) return false;
        c = (uint8_t)s[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum) continue;
        if (strchr("dDwWsSbBtnrf", c)) continue;
        if (c == 'x' && i + 2 < n) {
            char h[3] = {s[i + 1], s[i + 2], 0};
            char *e;
            long v = strtol(h, &e, 16);
            if (*e == 0 && v < 0x80 && h[0] != '{') { i += 2; continue; }
        }
        return false;
    }
    return true;
}

/* Remembers that the database of l's field must also scan its alternatives. */
static int note_alts(struct vg__sig_pf *pf, const struct vg__sig_leaf *l)
{
    for (uint32_t f = 0; f < l->nfid; f++) {
        uint64_t v = (uint64_t)l->fid[0] << 32 | l->fid[f];
        if (pf->nalt && pf->alt[pf->nalt - 1] == v) continue;
        if (pf->nalt == pf->capalt) {
            size_t nc = pf->capalt ? pf->capalt * 2 : 1024;
            uint64_t *na = vg_realloc(pf->alt, nc * sizeof *na);
            if (!na) return VG_ENOMEM;
            pf->alt = na;
            pf->capalt = nc;
        }
        pf->alt[pf->nalt++] = v;
    }
    return 0;
}

/* 1 for the bytes 0-9, a-f, A-F */
static const uint8_t hexdig[256] = {
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
};

static bool is_hex(uint8_t c)
{
    return hexdig[c];
}

/* Hash indicators (Hashes|contains: 'SHA256=ABC...'): a run of hex digits
 * of the literal that starts a maximal hex run of every value the literal
 * matches in -- it is preceded inside the literal by a non-hex byte (ASCII
 * case folding maps hex to hex and non-hex to non-hex), or it opens a
 * start-anchored literal. That value run then begins with the literal's run,
 * so probing the prefixes of the value's hex runs finds it: a superset test,
 * like a Vectorscan literal. Returns the key length (the longest of
 * pf_hexlen not above the run; the longest qualifying run), 0 if none. */
static uint32_t hex_key(const uint8_t *lit, uint32_t len, bool st, const uint8_t **key)
{
    uint32_t best = 0;
    for (uint32_t i = 0; i < len;) {
        if (!is_hex(lit[i])) { i++; continue; }
        uint32_t j = i;
        while (j < len && is_hex(lit[j])) j++;
        if ((i > 0 || st) && j - i > best) { best = j - i; *key = lit + i; }
        i = j;
    }
    if (best < PF_HEXMIN) return 0;
    for (int i = PF_NHEXLEN - 1; i >= 0; i--)
        if (pf_hexlen[i] <= best) return pf_hexlen[i];
    return 0;
}

/* Required literals of a PCRE2 pattern (already re_portable: ASCII, a few
 * escapes). Splits the top-level alternation into branches; in each
 * branch, a run is a sequence of single literal characters (plain bytes,
 * escaped punctuation, \xHH) that are each matched exactly once, in order:
 * any group, class, '.', other escape or assertion ends a run; a character
 * followed by '?', '*' or {0..} is dropped from the run and ends it; one
 * followed by '+' or {n..} with n >= 1 ends the run after itself. Every
 * match of the branch contains its runs, so the longest run of each branch
 * is a required literal of that branch and their OR a cover of the regex
 * (a superset, like HS_FLAG_PREFILTER). Gives up (returns 0) on anything
 * it does not understand ('(?' inline options, lookarounds, a '{' that is
 * not a quantifier, unbalanced brackets), on more than 16 branches, and on
 * a branch whose longest run is shorter than PF_RELITMIN. On success,
 * lit[b] / len[b] of each of the *nb branches point into out (bytes). */
#define PF_RE_MAXBR 16
/* A group at s[i] == '(' that can be skipped: plain, non-capturing,
 * lookaround, atomic or named (its content is ignored); not an option
 * setting such as (?i), which would change the literals after it. */
static bool re_group_ok(const char *s, uint32_t n, uint32_t i)
{
    if (i + 1 >= n || s[i + 1] != '?') return true;
    return i + 2 < n && strchr(":=!<>", s[i + 2]) && s[i + 2] != 0;
}
static int re_literals(const char *s, uint32_t n, uint8_t *out, const uint8_t **lit, uint32_t *len, uint32_t *nb,
                       uint32_t minlen, bool *fold)
{
    uint32_t o = 0, b = 0, best = 0, run = 0;
    *fold = false;
    const uint8_t *bestp = NULL;
    uint8_t *runp = out;
    *nb = 0;
    for (uint32_t i = 0; i <= n;) {
        if (i == n || s[i] == '|') {
            if (run > best) { best = run; bestp = runp; }
            if (best < minlen || b == PF_RE_MAXBR) return 0;
            lit[b] = bestp;
            len[b++] = best;
            best = run = 0;
            runp = out + o;
            i++;
            if (i > n) break;
            continue;
        }
        char c = s[i];
        int lc = -1;     /* the literal byte of this atom, or -1: not a literal */
        uint32_t adv = 1;
        if (c == '\\') {
            if (i + 1 >= n) return 0;
            char d = s[i + 1];
            bool alnum = (d >= 'a' && d <= 'z') || (d >= 'A' && d <= 'Z') || (d >= '0' && d <= '9');
            if (!alnum) { lc = (uint8_t)d; adv = 2; }
            else if (d == 'x') {
                int v = 0;
                for (int k = 2; k < 4; k++) {
                    if (i + (uint32_t)k >= n) return 0;
                    char h = s[i + k];
                    int hv = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10 : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
                    if (hv < 0) return 0;
                    v = v * 16 + hv;
                }
                if (v >= 0x80) return 0;
                lc = v;
                adv = 4;
            } else if (d == 'n' || d == 't' || d == 'r') {
                lc = d == 'n' ? '\n' : d == 't' ? '\t' : '\r';
                adv = 2;
            } else if (strchr("dDwWsSbBf", d)) {
                adv = 2;   /* a class or an assertion: not a literal */
            } else {
                return 0;
            }
        } else if (c == '(') {
            if (!re_group_ok(s, n, i)) return 0;
            /* skip the group (its content ends the run) */
            int depth = 0;
            uint32_t j = i;
            for (; j < n; j++) {
                if (s[j] == '\\') { j++; continue; }
                if (s[j] == '[') {
                    j++;
                    if (j < n && s[j] == '^') j++;
                    if (j < n && s[j] == ']') j++;
                    while (j < n && s[j] != ']') { if (s[j] == '[') return 0; if (s[j] == '\\') j++; j++; }
                    if (j >= n) return 0;
                    continue;
                }
                if (s[j] == '(') { if (!re_group_ok(s, n, j)) return 0; depth++; }
                else if (s[j] == ')' && --depth == 0) break;
            }
            if (j >= n) return 0;
            adv = j + 1 - i;
        } else if (c == '[' && i + 3 < n && s[i + 3] == ']' && s[i + 1] != s[i + 2] &&
                   (s[i + 1] | 0x20) == (s[i + 2] | 0x20) && (s[i + 1] | 0x20) >= 'a' && (s[i + 1] | 0x20) <= 'z') {
            /* [Pp]: one letter in either case, a caseless literal byte
             * (the literal then matches a superset of the regex) */
            lc = s[i + 1] | 0x20;
            *fold = true;
            adv = 4;
        } else if (c == '[') {
            uint32_t j = i + 1;
            if (j < n && s[j] == '^') j++;
            if (j < n && s[j] == ']') j++;
            while (j < n && s[j] != ']') { if (s[j] == '[') return 0; if (s[j] == '\\') j++; j++; }
            if (j >= n) return 0;
            adv = j + 1 - i;
        } else if (c == ')' || c == '{' || c == '*' || c == '+' || c == '?') {
            return 0;  /* unbalanced, or a quantifier with nothing to quantify */
        } else if (c == '.' || c == '^' || c == '$') {
            adv = 1;
        } else {
            lc = (uint8_t)c;
        }
        i += adv;
        /* a quantifier after the atom */
        int q = 0;       /* 0 none, 1 optional (min 0), 2 repeated (min >= 1) */
        if (i < n && (s[i] == '?' || s[i] == '*')) { q = 1; i++; }
        else if (i < n && s[i] == '+') { q = 2; i++; }
        else if (i < n && s[i] == '{') {
            uint32_t j = i + 1, lo = 0, dig = 0;
            while (j < n && s[j] >= '0' && s[j] <= '9') { lo = lo * 10 + (uint32_t)(s[j] - '0'); j++; dig++; if (dig > 6) return 0; }
            if (!dig) return 0;
            if (j < n && s[j] == ',') { j++; while (j < n && s[j] >= '0' && s[j] <= '9') j++; }
            if (j >= n || s[j] != '}') return 0;
            q = lo == 0 ? 1 : 2;
            i = j + 1;
        }
        if (q && i < n && (s[i] == '?' || s[i] == '+')) i++; /* lazy / possessive */
        if (lc >= 0 && q != 1) {
            out[o++] = (uint8_t)lc;
            run++;
        }
        if (lc < 0 || q != 0) {
            if (run > best) { best = run; bestp = runp; }
            run = 0;
            runp = out + o;
        }
    }
    *nb = b;
    return b > 0;
}

static int leaf_cover(struct vg__sig_pf *pf, const struct vg__sig_leaf *l, struct cov *out, struct vg_buf *e)
{
    memset(out, 0, sizeof *out);
    if (l->kind == LK_RE) {
        if (l->nval == 0) return 0;
        /* every regex must be prefilterable (OR), or one of them (all) */
        out->ok = true;
        int best = -1;
        for (uint32_t i = 0; i < l->nval; i++) {
            bool okre = re_portable(l->re_src[i], l->re_len[i]);
            uint32_t fl = HS_FLAG_PREFILTER | HS_FLAG_SINGLEMATCH | ((l->re_flags & 1) ? HS_FLAG_CASELESS : 0) |
                          ((l->re_flags & 2) ? HS_FLAG_MULTILINE : 0) | ((l->re_flags & 4) ? HS_FLAG_DOTALL : 0);
            if (okre) {
                vg_buf_reset(e);
                if (vg_buf_add(e, l->re_src[i], l->re_len[i]) != 0) return VG_ENOMEM;
                hs_expr_info_t *info = NULL;
                hs_compile_error_t *ce = NULL;
                if (hs_expression_info(e->data, fl, &info, &ce) != HS_SUCCESS) okre = false;
                else if (info->min_width == 0) okre = false;
                if (ce) hs_free_compile_error(ce);
                free(info); /* allocated by Vectorscan's default allocator */
            }
            if (!okre) {
                if (!l->all) { cov_release(out); return 0; }
                continue;
            }
            /* required literals instead of the regex where they can be
             * extracted: a literal scan is cheaper than a prefilter regex
             * and its real cost lets an AND pick a better operand */
            struct cov rc = {.ok = true};
            uint8_t *lb = pf->relit_on ? vg_malloc(l->re_len[i] + 1) : NULL;
            const uint8_t *rl[PF_RE_MAXBR];
            uint32_t rn[PF_RE_MAXBR], nb = 0;
            /* a leading (?i) makes the whole pattern caseless */
            bool lci = (l->re_flags & 1) != 0, lead = l->re_len[i] > 4 && memcmp(l->re_src[i], "(?i)", 4) == 0;
            lci = lci || lead;
            bool fold = false;
            int okl = lb ? re_literals(l->re_src[i] + (lead ? 4 : 0), l->re_len[i] - (lead ? 4 : 0), lb, rl, rn, &nb,
                                       pf->relit_min, &fold)
                         : 0;
            if (okl) {
                /* caseless (i): Unicode folding (K = U+212A) is not ASCII
                 * folding, so these fire on non-ASCII text like regexes;
                 * [Pp] classes only make the literal caseless */
                uint32_t lfl = HS_FLAG_SINGLEMATCH | (lci ? HS_FLAG_CASELESS | PF_RELIT : fold ? HS_FLAG_CASELESS : 0);
                for (uint32_t k = 0; k < nb; k++) {
                    long id = lit_expr(e, rl[k], rn[k], false, false) != 0 ? -1 : pat_intern(pf, l->fid[0], lfl, e->data, lci);
                    if (id < 0 || cov_add(&rc, (uint32_t)id) != 0) { vg_free(lb); cov_release(&rc); return VG_ENOMEM; }
                    rc.cost += lit_cost(rn[k]);
                }
            } else {
                vg_buf_reset(e);
                if (vg_buf_add(e, l->re_src[i], l->re_len[i]) != 0) { vg_free(lb); return VG_ENOMEM; }
                long id = pat_intern(pf, l->fid[0], fl, e->data, true);
                if (id < 0 || cov_add(&rc, (uint32_t)id) != 0) { vg_free(lb); cov_release(&rc); return VG_ENOMEM; }
                rc.cost = 1.0 / 16;
            }
            vg_free(lb);
            if (note_alts(pf, l) != 0) { cov_release(&rc); return VG_ENOMEM; }
            if (l->all) {
                /* AND over regexes: the cheapest one */
                if (best < 0 || rc.cost < out->cost) { cov_release(out); *out = rc; best = (int)i; }
                else cov_release(&rc);
                continue;
            }
            best = (int)i;
            if (cov_union(out, &rc) != 0) return VG_ENOMEM;
        }
        if (l->all && best < 0) cov_release(out);
        return 0;
    }
    if (l->kind != LK_STR && l->kind != LK_KEYWORD) return 0;
    if (l->neq) return 0;
    /* per value: the OR of its alternatives */
    int best = -1;
    double bestcost = 0;
    struct cov acc = {.ok = true};
    for (uint32_t i = 0; i < l->nval; i++) {
        const struct vg__sig_val *v = &l->val[i];
        struct cov vc = {.ok = !v->is_null && v->npat > 0};
        for (uint32_t k = 0; vc.ok && k < v->npat; k++) {
            const uint8_t *lit = NULL;
            uint32_t len;
            bool st, en;
            pat_lit(&v->pat[k], &lit, &len, &st, &en);
            const uint8_t *hk = NULL;
            uint32_t hl = l->kind == LK_STR && pf->hex_on ? hex_key(lit, len, st, &hk) : 0;
            if (hl) {
                char kb[80];
                for (uint32_t j = 0; j < hl; j++) kb[j] = (char)(hk[j] | 0x20);
                kb[hl] = 0;
                long id = pat_intern(pf, l->fid[0], PF_HEXFLAG, kb, false);
                if (id < 0 || cov_add(&vc, (uint32_t)id) != 0 || note_alts(pf, l) != 0) { cov_release(&vc); cov_release(&acc); return VG_ENOMEM; }
                pf->pat[id].hex = true;
                vc.cost += lit_cost(hl);
                continue;
            }
            /* too short to be selective: 1 byte; a short whole value
             * (EventID: 16) is kept, anchored (few such: anchored sets
             * compile slowly). 2-byte literals are kept at a high cost: an
             * AND prefers any other operand, but an OR of short literals
             * (Dosfuscation's '^^', ',;,') is still a cover, which beats
             * evaluating the rule on every event of its bucket. */
            bool anchor = len < 3 && st && en;
            if (len < 2 && !anchor) { vc.ok = false; break; }
            if (len == 0) { vc.ok = false; break; }
            /* literal sets honour anchors at no cost: field literals keep
             * theirs (more selective); Vectorscan and keywords only for
             * short whole values */
            bool ast = anchor, aen = anchor;
            if (pf->lit_on && l->kind == LK_STR) { ast = st; aen = en; }
            if (lit_expr(e, lit, len, ast, aen) != 0) { cov_release(&vc); cov_release(&acc); return VG_ENOMEM; }
            uint32_t fl = HS_FLAG_SINGLEMATCH | (v->pat[k].cased ? 0 : HS_FLAG_CASELESS);
            if (l->kind == LK_KEYWORD) {
                long id = pat_intern(pf, PF_KW, fl, e->data, false);
                if (anchor) pf->kw_anchored = true;
                if (id < 0 || cov_add(&vc, (uint32_t)id) != 0) { cov_release(&vc); cov_release(&acc); return VG_ENOMEM; }
            } else {
                long id = pat_intern(pf, l->fid[0], fl, e->data, false);
                if (id < 0 || cov_add(&vc, (uint32_t)id) != 0 || note_alts(pf, l) != 0) { cov_release(&vc); cov_release(&acc); return VG_ENOMEM; }
            }
            vc.cost += lit_cost((pf->common_on ? lit_effective_len(lit, len) : len) + (ast ? 2 : 0) + (aen ? 2 : 0));
        }
        if (l->all) {
            /* AND over values: the cheapest coverable one */
            if (vc.ok && (best < 0 || vc.cost < bestcost)) {
                cov_release(&acc);
                acc = vc;
                acc.ok = true;
                best = (int)i;
                bestcost = vc.cost;
            } else {
                cov_release(&vc);
            }
        } else {
            if (!vc.ok) { cov_release(&vc); cov_release(&acc); return 0; }
            if (cov_union(&acc, &vc) != 0) { cov_release(&acc); return VG_ENOMEM; }
        }
    }
    if (l->all && (best < 0 || l->nval == 0)) { cov_release(&acc); return 0; }
    if (!l->all && l->nval == 0) { cov_release(&acc); return 0; }
    *out = acc;
    return 0;
}

/* Cover of a whole program (postfix walk with a stack of covers). */
static int prog_cover(struct vg__sig_pf *pf, const struct vg_sigma_prog *p, struct cov *out, struct vg_buf *e)
{
    memset(out, 0, sizeof *out);
    struct cov *st = vg_calloc(p->maxstack + 1, sizeof *st);
    if (!st) return VG_ENOMEM;
    uint32_t sp = 0;
    int rc = 0;
    for (uint32_t i = 0; i < p->ncode && rc == 0; i++) {
        const struct vg__sig_insn *in = &p->code[i];
        switch (in->op) {
        case OP_LEAF:
            rc = leaf_cover(pf, &p->leaf[in->arg], &st[sp++], e);
            break;
        case OP_TRUE:
            memset(&st[sp++], 0, sizeof *st);
            break;
        case OP_FALSE:
            memset(&st[sp], 0, sizeof *st);
            st[sp++].ok = true; /* never true: nothing needs to fire */
            break;
        case OP_NOT:
            cov_release(&st[sp - 1]);
            break;
        default: {
            uint32_t k = (in->op == OP_AND || in->op == OP_OR) ? 2 : in->arg;
            bool isand = in->op == OP_AND || in->op == OP_ANDN;
            uint32_t base = sp - k;
            if (isand) {
                /* the cheapest operand is the cover; the other operands'
                 * covers (and their secondary groups) become secondary */
                int bi = -1;
                for (uint32_t j = base; j < sp; j++)
                    if (st[j].ok && (bi < 0 || st[j].cost < st[bi].cost)) bi = (int)j;
                struct cov keep = {0};
                if (bi >= 0) { keep = st[bi]; memset(&st[bi], 0, sizeof *st); }
                for (uint32_t j = base; j < sp; j++) {
                    if (keep.ok && st[j].ok) {
                        for (uint32_t g = 0; g < st[j].nsec && rc == 0; g++) rc = cov_add_sec(&keep, &st[j].sec[g]);
                        struct cov prim = {.ok = true, .n = st[j].n, .cap = st[j].cap, .ids = st[j].ids};
                        st[j].ids = NULL;
                        st[j].n = st[j].cap = 0;
                        if (rc == 0) rc = cov_add_sec(&keep, &prim);
                        else vg_free(prim.ids);
                    }
                    cov_release(&st[j]);
                }
                st[base] = keep;
            } else {
                /* OR: the union of the operands' covers; their secondary
                 * groups say nothing about the OR */
                for (uint32_t j = base; j < sp; j++) {
                    for (uint32_t g = 0; g < st[j].nsec; g++) vg_free(st[j].sec[g].ids);
                    vg_free(st[j].sec);
                    st[j].sec = NULL;
                    st[j].nsec = 0;
                }
                for (uint32_t j = base + 1; j < sp && rc == 0; j++) rc = cov_union(&st[base], &st[j]);
                if (!st[base].ok) cov_release(&st[base]);
            }
            sp = base + 1;
            break;
        }
        }
    }
    if (rc == 0 && sp == 1) {
        *out = st[0];
        memset(&st[0], 0, sizeof *st);
    }
    for (uint32_t j = 0; j < sp; j++) cov_release(&st[j]);
    vg_free(st);
    return rc;
}

/* ------------------------------------------------------------------ */
/* compile: log source buckets                                         */

struct conj { int32_t ch, eid; };  /* leaf indices (eid -1: any) */

static bool fid_list_eq(const struct vg__sig_leaf *l, const uint32_t *f, uint32_t n)
{
    return l->nfid == n && memcmp(l->fid, f, n * sizeof *f) == 0;
}

/* A Channel/EventID equality leaf usable as a table key. */
static int key_leaf(struct vg__sig_pf *pf, const struct vg__sig_leaf *l)
{
    if (l->kind != LK_STR || l->neq || l->cased || !l->field || (l->all && l->nval > 1) || l->nval == 0) return 0;
    int which = strcmp(l->field, "Channel") == 0 ? 1 : strcmp(l->field, "EventID") == 0 ? 2 : 0;
    if (!which) return 0;
    for (uint32_t i = 0; i < l->nval; i++) {
        const struct vg__sig_val *v = &l->val[i];
        if (v->is_null || v->npat == 0) return 0;
        for (uint32_t k = 0; k < v->npat; k++)
            if (v->pat[k].kind != PK_EQ || v->pat[k].q || v->pat[k].cased) return 0;
    }
    uint32_t **fl = which == 1 ? &pf->chanfid : &pf->eidfid;
    uint32_t *nf = which == 1 ? &pf->nchanfid : &pf->neidfid;
    if (!*fl) {
        *fl = l->fid;
        *nf = l->nfid;
    }
    return fid_list_eq(l, *fl, *nf) ? which : 0;
}

/* Recognises `match` programs that are an OR of (Channel [AND EventID])
 * conjunctions; fills cj (at most PF_MAXCONJ). Returns the count or -1. */
static int simple_entry(struct vg__sig_pf *pf, const struct vg_sigma_prog *p, struct conj *cj)
{
    /* stack of groups: kind 1 = one leaf (ch or eid), 2 = conj, 3 = disjunction of conj */
    struct grp { int kind, which; uint32_t start, n; struct conj c; } st[64];
    uint32_t sp = 0, ncj = 0;
    struct conj tmp[PF_MAXCONJ];
    for (uint32_t i = 0; i < p->ncode; i++) {
        const struct vg__sig_insn *in = &p->code[i];
        if (in->op == OP_LEAF) {
            if (sp == 64) return -1;
            int w = key_leaf(pf, &p->leaf[in->arg]);
            if (!w) return -1;
            st[sp].kind = 1;
            st[sp].which = w;
            st[sp].c = (struct conj){w == 1 ? (int32_t)in->arg : -1, w == 2 ? (int32_t)in->arg : -1};
            sp++;
            continue;
        }
        if (in->op != OP_AND && in->op != OP_OR && in->op != OP_ANDN && in->op != OP_ORN) return -1;
        uint32_t k = (in->op == OP_AND || in->op == OP_OR) ? 2 : in->arg;
        if (k > sp) return -1;
        uint32_t base = sp - k;
        if (in->op == OP_AND || in->op == OP_ANDN) {
            struct conj c = {-1, -1};
            for (uint32_t j = base; j < sp; j++) {
                if (st[j].kind == 3) return -1;
                if (st[j].c.ch >= 0) { if (c.ch >= 0) return -1; c.ch = st[j].c.ch; }
                if (st[j].c.eid >= 0) { if (c.eid >= 0) return -1; c.eid = st[j].c.eid; }
            }
            st[base].kind = 2;
            st[base].c = c;
        } else {
            uint32_t start = ncj;
            for (uint32_t j = base; j < sp; j++) {
                if (st[j].kind == 3) continue; /* already in tmp, contiguous */
                if (st[j].c.ch < 0 || ncj == PF_MAXCONJ) return -1;
                tmp[ncj++] = st[j].c;
            }
            /* nested disjunctions keep their conj in tmp; count them all */
            uint32_t first = start;
            for (uint32_t j = base; j < sp; j++)
                if (st[j].kind == 3 && st[j].start < first) first = st[j].start;
            st[base].kind = 3;
            st[base].start = first;
            st[base].n = ncj - first;
        }
        sp = base + 1;
    }
    if (sp != 1) return -1;
    if (st[0].kind == 3) {
        memcpy(cj, tmp + st[0].start, st[0].n * sizeof *cj);
        return (int)st[0].n;
    }
    if (st[0].c.ch < 0) return -1;
    cj[0] = st[0].c;
    return 1;
}

static bool text_eq_ci(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
    if (an != bn) return false;
    for (size_t i = 0; i < an; i++)
        if (vg__sig_lower[a[i]] != vg__sig_lower[b[i]]) return false;
    return true;
}

static long chan_find(const struct vg__sig_pf *pf, const uint8_t *s, size_t n)
{
    if (!pf->chtab) return -1;
    uint32_t h = (uint32_t)word_hash(s, n, 0, true) & pf->chmask;
    while (pf->chtab[h]) {
        const struct pf_chan *c = &pf->chan[pf->chtab[h] - 1];
        if (text_eq_ci(c->name, c->len, s, n)) return (long)pf->chtab[h] - 1;
        h = (h + 1) & pf->chmask;
    }
    return -1;
}

static long chan_add(struct vg__sig_pf *pf, const uint8_t *s, uint32_t n)
{
    for (uint32_t i = 0; i < pf->nchan; i++)
        if (text_eq_ci(pf->chan[i].name, pf->chan[i].len, s, n)) return i;
    if (pf->nchan == pf->capchan) {
        uint32_t nc = pf->capchan ? pf->capchan * 2 : 32;
        struct pf_chan *nw = vg_realloc(pf->chan, nc * sizeof *nw);
        if (!nw) return -1;
        pf->chan = nw;
        pf->capchan = nc;
    }
    struct pf_chan *c = &pf->chan[pf->nchan];
    memset(c, 0, sizeof *c);
    c->name = s;
    c->len = n;
    return pf->nchan++;
}

static int chan_add_eid(struct pf_chan *c, const uint8_t *s, uint32_t n)
{
    for (uint32_t i = 0; i < c->neid; i++)
        if (text_eq_ci(c->eid[i], c->eidlen[i], s, n)) return 0;
    if (c->neid == c->capeid) {
        uint32_t nc = c->capeid ? c->capeid * 2 : 8;
        const uint8_t **ne = vg_realloc(c->eid, nc * sizeof *ne);
        if (!ne) return VG_ENOMEM;
        c->eid = ne;
        uint32_t *nl = vg_realloc(c->eidlen, nc * sizeof *nl);
        if (!nl) return VG_ENOMEM;
        c->eidlen = nl;
        uint32_t *nb = vg_realloc(c->eidb, nc * sizeof *nb);
        if (!nb) return VG_ENOMEM;
        c->eidb = nb;
        c->capeid = nc;
    }
    c->eid[c->neid] = s;
    c->eidlen[c->neid] = n;
    c->neid++;
    return 0;
}

/* Per simple entry: its conjunctions, kept while the buckets are built. */
struct sentry {
    int n;                    /* -1: not simple */
    struct conj *cj;
    const struct vg_sigma_prog *prog;
};

static bool val_has(const struct vg__sig_leaf *l, const uint8_t *s, uint32_t n)
{
    for (uint32_t i = 0; i < l->nval; i++)
        for (uint32_t k = 0; k < l->val[i].npat; k++)
            if (text_eq_ci(l->val[i].pat[k].b, l->val[i].pat[k].len, s, n)) return true;
    return false;
}

/* Is entry e satisfied by channel ci and EventID text (eid NULL: none of the listed)? */
static bool entry_sat(const struct sentry *e, const struct pf_chan *ch, const uint8_t *eid, uint32_t eidlen)
{
    for (int j = 0; j < e->n; j++) {
        const struct vg__sig_leaf *cl = &e->prog->leaf[e->cj[j].ch];
        if (!val_has(cl, ch->name, ch->len)) continue;
        if (e->cj[j].eid < 0) return true;
        if (eid && val_has(&e->prog->leaf[e->cj[j].eid], eid, eidlen)) return true;
    }
    return false;
}

static long bucket_for(struct vg__sig_pf *pf, const uint64_t *sat)
{
    for (uint32_t i = 0; i < pf->nbk; i++)
        if (memcmp(pf->bk[i].sat, sat, pf->words * sizeof *sat) == 0) return i;
    if (pf->nbk == pf->capbk) {
        uint32_t nc = pf->capbk ? pf->capbk * 2 : 32;
        struct pf_bucket *nb = vg_realloc(pf->bk, nc * sizeof *nb);
        if (!nb) return -1;
        pf->bk = nb;
        pf->capbk = nc;
    }
    struct pf_bucket *b = &pf->bk[pf->nbk];
    memset(b, 0, sizeof *b);
    b->sat = vg_arena_alloc(&pf->ar, pf->words * sizeof *sat);
    b->member = vg_arena_alloc(&pf->ar, pf->rwords * sizeof *b->member);
    if (!b->sat || !b->member) return -1;
    memcpy(b->sat, sat, pf->words * sizeof *sat);
    memset(b->member, 0, pf->rwords * sizeof *b->member);
    return pf->nbk++;
}

static int build_buckets(struct vg__sig_pf *pf, struct vg_sigma_set *s, struct sentry *se)
{
    int rc = VG_ENOMEM;
    pf->words = (uint32_t)((s->nls + 64) / 64);
    uint64_t *sat = vg_calloc(pf->words, sizeof *sat);
    if (!sat) return VG_ENOMEM;
    /* channels and their EventIDs */
    for (size_t i = 0; i < s->nls; i++) {
        if (se[i].n < 0) continue;
        for (int j = 0; j < se[i].n; j++) {
            const struct vg__sig_leaf *cl = &se[i].prog->leaf[se[i].cj[j].ch];
            for (uint32_t v = 0; v < cl->nval; v++)
                for (uint32_t k = 0; k < cl->val[v].npat; k++) {
                    long ci = chan_add(pf, cl->val[v].pat[k].b, cl->val[v].pat[k].len);
                    if (ci < 0) goto out;
                    if (se[i].cj[j].eid < 0) continue;
                    const struct vg__sig_leaf *el = &se[i].prog->leaf[se[i].cj[j].eid];
                    for (uint32_t v2 = 0; v2 < el->nval; v2++)
                        for (uint32_t k2 = 0; k2 < el->val[v2].npat; k2++)
                            if (chan_add_eid(&pf->chan[ci], el->val[v2].pat[k2].b, el->val[v2].pat[k2].len) != 0) goto out;
                }
        }
    }
    if (bucket_for(pf, sat) != 0) goto out; /* bucket 0: no channel of the tables */
    for (uint32_t c = 0; c < pf->nchan; c++) {
        struct pf_chan *ch = &pf->chan[c];
        for (uint32_t e = 0; e <= ch->neid; e++) {
            memset(sat, 0, pf->words * sizeof *sat);
            for (size_t i = 0; i < s->nls; i++)
                if (se[i].n >= 0 && entry_sat(&se[i], ch, e < ch->neid ? ch->eid[e] : NULL, e < ch->neid ? ch->eidlen[e] : 0))
                    sat[i / 64] |= 1ull << (i % 64);
            long b = bucket_for(pf, sat);
            if (b < 0) goto out;
            if (e < ch->neid) ch->eidb[e] = (uint32_t)b;
            else ch->other = (uint32_t)b;
        }
    }
    /* channel hash table */
    uint32_t sz = 16;
    while (sz < pf->nchan * 2 + 2) sz *= 2;
    pf->chtab = vg_calloc(sz, sizeof *pf->chtab);
    if (!pf->chtab) goto out;
    pf->chmask = sz - 1;
    for (uint32_t c = 0; c < pf->nchan; c++) {
        uint32_t h = (uint32_t)word_hash(pf->chan[c].name, pf->chan[c].len, 0, true) & pf->chmask;
        while (pf->chtab[h]) h = (h + 1) & pf->chmask;
        pf->chtab[h] = c + 1;
    }
    rc = 0;
out:
    vg_free(sat);
    return rc;
}

/* ------------------------------------------------------------------ */


static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int compile_dbs(struct vg__sig_pf *pf)
{
    /* group used patterns by field */
    uint32_t *order = vg_malloc((pf->npat + 1) * sizeof *order);
    const char **ex = vg_malloc((pf->npat + 1) * sizeof *ex);
    unsigned *fl = vg_malloc((pf->npat + 1) * sizeof *fl), *ids = vg_malloc((pf->npat + 1) * sizeof *ids);
    int rc = VG_ENOMEM;
    if (!order || !ex || !fl || !ids) goto out;
    uint32_t maxfid = 0;
    for (uint32_t i = 0; i < pf->npat; i++)
        if (pf->pat[i].fid != PF_KW && pf->pat[i].fid > maxfid) maxfid = pf->pat[i].fid;
    pf->nfid = maxfid + 1;
    pf->db_of_fid = vg_malloc(pf->nfid * 3 * sizeof *pf->db_of_fid);
    pf->db = vg_calloc(pf->nfid * 3 + 1, sizeof *pf->db);
    if (!pf->db_of_fid || !pf->db) goto out;
    for (uint32_t i = 0; i < pf->nfid * 3; i++) pf->db_of_fid[i] = -1;
    pf->kwdb = -1;
    for (uint32_t i = 0; i < pf->npat; i++) {
        struct pf_pat *p = &pf->pat[i];
        if (!p->used) continue;
        uint8_t tier = p->hex ? PF_T_HEX
                       : (pf->lit_on && p->fid != PF_KW && !(p->flags & HS_FLAG_PREFILTER)) ? PF_T_LIT
                                                                                          : PF_T_EAGER;
        int32_t *slot = p->fid == PF_KW ? &pf->kwdb : &pf->db_of_fid[p->fid * 3 + tier];
        if (*slot < 0) {
            *slot = (int32_t)pf->ndb;
            pf->db[pf->ndb].tier = tier;
            pf->db[pf->ndb++].fid = p->fid;
        }
        p->db = (uint32_t)*slot;
        pf->db[p->db].npat++;
        if (p->regex) pf->db[p->db].nre++;
    }
    if (pf->nalt) qsort(pf->alt, pf->nalt, sizeof *pf->alt, cmp_u64);
    for (uint32_t d = 0; d < pf->ndb; d++) {
        struct pf_db *db = &pf->db[d];
        db->re = vg_arena_alloc(&pf->ar, (db->nre + 1) * sizeof *db->re);
        if (!db->re) goto out;
        if (db->fid == PF_KW) continue;
        uint32_t nsf = 1;
        for (size_t a = 0; a < pf->nalt; a++)
            if ((uint32_t)(pf->alt[a] >> 32) == db->fid && (uint32_t)pf->alt[a] != db->fid &&
                (a == 0 || pf->alt[a] != pf->alt[a - 1])) nsf++;
        db->sf = vg_arena_alloc(&pf->ar, nsf * sizeof *db->sf);
        if (!db->sf) goto out;
        db->sf[db->nsf++] = db->fid;
        for (size_t a = 0; a < pf->nalt; a++)
            if ((uint32_t)(pf->alt[a] >> 32) == db->fid && (uint32_t)pf->alt[a] != db->fid &&
                (a == 0 || pf->alt[a] != pf->alt[a - 1])) db->sf[db->nsf++] = (uint32_t)pf->alt[a];
    }
    for (uint32_t d = 0; d < pf->ndb; d++) {
        struct pf_db *db = &pf->db[d];
        db->nre = 0;
        if (db->tier == PF_T_HEX) {
            uint32_t sz = 16;
            while (sz < db->npat * 2 + 2) sz *= 2;
            db->htab = vg_arena_alloc(&pf->ar, sz * sizeof *db->htab);
            if (!db->htab) goto out;
            memset(db->htab, 0, sz * sizeof *db->htab);
            db->hmask = sz - 1;
            db->hbloom = vg_arena_alloc(&pf->ar, PF_HBLOOM / 8);
            if (!db->hbloom) goto out;
            memset(db->hbloom, 0, PF_HBLOOM / 8);
            for (uint32_t i = 0; i < pf->npat; i++) {
                const struct pf_pat *p = &pf->pat[i];
                if (!p->used || p->db != d) continue;
                size_t kl = strlen(p->expr);
                for (uint32_t j = 0; j < PF_NHEXLEN; j++)
                    if (pf_hexlen[j] == kl) db->hlens |= 1u << j;
                uint64_t hv = word_hash((const uint8_t *)p->expr, kl, 0, false);
                uint32_t h = (uint32_t)hv & db->hmask;
                while (db->htab[h].pat) h = (h + 1) & db->hmask;
                db->htab[h].h = hv;
                db->hbloom[(hv >> 40) % PF_HBLOOM / 64] |= 1ull << ((hv >> 40) % 64);
                db->htab[h].pat = i + 1;
            }
            continue;
        }
        if (db->tier == PF_T_LIT) {
            uint32_t n = 0;
            struct vg__lit *lv = vg_malloc((db->npat + 1) * sizeof *lv);
            if (!lv) goto out;
            for (uint32_t i = 0; i < pf->npat; i++) {
                const struct pf_pat *p = &pf->pat[i];
                if (!p->used || p->db != d) continue;
                uint8_t *b = vg_arena_alloc(&pf->ar, strlen(p->expr) + 1);
                if (!b) { vg_free(lv); goto out; }
                struct vg__lit *l = &lv[n++];
                l->b = b;
                l->len = expr_lit(p->expr, b, &l->st, &l->en);
                l->id = i;
                l->cased = !(p->flags & HS_FLAG_CASELESS);
                if (p->regex) db->re[db->nre++] = i; /* caseless literal of a regex: fires on bytes >= 0x80 */
            }
            db->lits = vg__litset_build(lv, n);
            vg_free(lv);
            if (!db->lits) goto out;
            continue;
        }
        for (int attempt = 0;; attempt++) {
            uint32_t n = 0;
            db->nre = 0;
            for (uint32_t i = 0; i < pf->npat; i++) {
                const struct pf_pat *p = &pf->pat[i];
                if (!p->used || p->db != d || p->broken) continue;
                ex[n] = p->expr;
                fl[n] = p->flags & ~PF_RELIT;
                ids[n] = i;
                order[n++] = i;
                if (p->regex) db->re[db->nre++] = i;
            }
            if (n == 0) break;
            hs_compile_error_t *ce = NULL;
            if (hs_compile_multi(ex, fl, ids, n, HS_MODE_BLOCK, NULL, &db->db, &ce) == HS_SUCCESS) break;
            int bad = ce ? ce->expression : -1;
            if (ce) {
                vg_warn("sigma", "prefilter: Vectorscan rejects pattern %s: %s", bad >= 0 ? ex[bad] : "(database)", ce->message);
                hs_free_compile_error(ce);
            }
            if (bad < 0 || attempt > 64) { rc = VG_EINVAL; goto out; }
            pf->pat[order[bad]].broken = true; /* its rules become always-evaluated */
        }
        if (db->db && hs_alloc_scratch(db->db, &pf->proto) != HS_SUCCESS) goto out;
    }
    rc = 0;
out:
    vg_free(order);
    vg_free(ex);
    vg_free(fl);
    vg_free(ids);
    return rc;
}

static void mark_scan(struct vg__sig_pf *pf, uint8_t *want, bool *kw, uint32_t r)
{
    for (uint32_t k = 0; k < pf->nrcov[r]; k++) {
        const struct pf_pat *p = &pf->pat[pf->rcov[r][k]];
        if (p->broken) continue;
        if (p->fid == PF_KW) *kw = true;
        else want[p->db] = 1;
    }
}

static int finish_buckets(struct vg__sig_pf *pf, struct vg_sigma_set *s, struct sentry *se, const uint8_t *kind)
{
    uint8_t *want = vg_calloc(pf->ndb + 1, 1);
    if (!want) return VG_ENOMEM;
    for (uint32_t b = 0; b < pf->nbk; b++) {
        struct pf_bucket *bk = &pf->bk[b];
        uint32_t nalw = 0;
        memset(want, 0, pf->ndb + 1);
        for (uint32_t pass = 0; pass < 2; pass++) {
            if (pass == 1) {
                bk->always = vg_arena_alloc(&pf->ar, (nalw + 1) * sizeof *bk->always);
                if (!bk->always) { vg_free(want); return VG_ENOMEM; }
            }
            for (uint32_t r = 0; r < pf->nrules; r++) {
                if (kind[r] == 0) continue;
                bool applies = kind[r] == 1;
                if (kind[r] == 2) {
                    const struct vg_sigma_prog *p = s->rules[r]->prog;
                    applies = true;
                    for (uint32_t i = 0; i < p->nls; i++)
                        if (!(bk->sat[p->ls[i] / 64] & (1ull << (p->ls[i] % 64)))) applies = false;
                }
                if (kind[r] == 3) { /* per-event log source: only its patterns' databases */
                    if (pass == 0 && !pf->always[r]) mark_scan(pf, want, &bk->kw, r);
                    continue;
                }
                if (!applies) continue;
                if (pass == 0) {
                    bk->member[r / 64] |= 1ull << (r % 64);
                    if (pf->always[r]) nalw++;
                    else mark_scan(pf, want, &bk->kw, r);
                } else if (pf->always[r]) {
                    bk->always[bk->nalways++] = r;
                }
            }
        }
        uint32_t ns = 0;
        for (uint32_t d = 0; d < pf->ndb; d++) ns += want[d] && (int32_t)d != pf->kwdb;
        bk->scan = vg_arena_alloc(&pf->ar, (ns + 1) * sizeof *bk->scan);
        if (!bk->scan) { vg_free(want); return VG_ENOMEM; }
        for (uint32_t d = 0; d < pf->ndb; d++)
            if (want[d] && (int32_t)d != pf->kwdb && (pf->db[d].db || pf->db[d].htab || pf->db[d].lits)) bk->scan[bk->nscan++] = d;
        if (pf->kwdb < 0 || !pf->db[pf->kwdb].db) bk->kw = false;
    }
    (void)se;
    vg_free(want);
    return 0;
}

void vg__sig_pf_free(struct vg__sig_pf *pf)
{
    if (!pf) return;
    for (uint32_t d = 0; d < pf->ndb; d++) {
        if (pf->db[d].db) hs_free_database(pf->db[d].db);
        vg__litset_free(pf->db[d].lits);
    }
    if (pf->proto) hs_free_scratch(pf->proto);
    for (uint32_t i = 0; i < pf->npat; i++) vg_free(pf->pat[i].rules);
    for (uint32_t i = 0; pf->rcov && i < pf->nrules; i++) vg_free(pf->rcov[i]);
    for (uint32_t i = 0; i < pf->nchan; i++) {
        vg_free(pf->chan[i].eid);
        vg_free(pf->chan[i].eidlen);
        vg_free(pf->chan[i].eidb);
    }
    vg_free(pf->rcov);
    vg_free(pf->nrcov);
    vg_free(pf->rsec);
    vg_free(pf->nrsec);
    vg_free(pf->pat);
    vg_free(pf->ptab);
    vg_free(pf->alt);
    vg_free(pf->db);
    vg_free(pf->db_of_fid);
    vg_free(pf->chan);
    vg_free(pf->chtab);
    vg_free(pf->bk);
    vg_free(pf->cplx);
    vg_free(pf->always);
    vg_arena_release(&pf->ar);
    vg_free(pf);
}

int vg__sig_pf_build(struct vg_sigma_set *s, struct vg_err *err)
{
    int64_t t0 = vg_mono_ns();
    struct vg__sig_pf *pf = vg_calloc(1, sizeof *pf);
    struct sentry *se = vg_calloc(s->nls + 1, sizeof *se);
    uint8_t *kind = vg_calloc(s->nrules + 1, 1); /* 0 none, 1 everywhere, 2 buckets, 3 per event */
    struct vg_buf e = VG_BUF_INIT;
    int rc = VG_ENOMEM;
    if (!pf || !se || !kind) goto out;
    vg_arena_init(&pf->ar, 256 * 1024);
    pf->hex_on = !getenv("VG_PF_NOHEX");
    pf->relit_on = !getenv("VG_PF_NORELIT");
    pf->relit_min = PF_RELITMIN;
    const char *rm = getenv("VG_PF_RELITMIN");
    int64_t rmv;
    if (rm && vg_parse_i64(rm, strlen(rm), &rmv) == 0 && rmv >= 1 && rmv <= 8) pf->relit_min = (uint32_t)rmv;
    if (pf->relit_min < 1) pf->relit_min = 1;
    pf->lit_on = !getenv("VG_PF_NOLIT");
    pf->lazy_lit = !getenv("VG_PF_NOLAZYLIT");
    pf->common_on = !getenv("VG_PF_NOCOMMON");
    pf->nrules = (uint32_t)s->nrules;
    pf->rwords = (pf->nrules + 64) / 64;
    pf->always = vg_calloc(pf->nrules + 1, 1);
    pf->rcov = vg_calloc(pf->nrules + 1, sizeof *pf->rcov);
    pf->nrcov = vg_calloc(pf->nrules + 1, sizeof *pf->nrcov);
    pf->rsec = vg_calloc(pf->nrules + 1, sizeof *pf->rsec);
    pf->nrsec = vg_calloc(pf->nrules + 1, sizeof *pf->nrsec);
    if (!pf->always || !pf->rcov || !pf->nrcov || !pf->rsec || !pf->nrsec) goto out;

    /* 1. which mapping entries are Channel/EventID tables */
    for (size_t i = 0; i < s->nls; i++) {
        se[i].n = -1;
        const struct vg__sig_lsmap *m = &s->ls[i];
        if (m->global || !m->match) continue;
        struct conj tmp[PF_MAXCONJ];
        int n = simple_entry(pf, m->match, tmp);
        if (n <= 0) continue;
        se[i].cj = vg_arena_alloc(&pf->ar, (size_t)n * sizeof *se[i].cj);
        if (!se[i].cj) goto out;
        memcpy(se[i].cj, tmp, (size_t)n * sizeof *tmp);
        se[i].n = n;
        se[i].prog = m->match;
    }
    if ((rc = build_buckets(pf, s, se)) != 0) goto out;
    rc = VG_ENOMEM;

    /* 2. rules: log source kind and cover */
    for (uint32_t r = 0; r < pf->nrules; r++) {
        const struct vg_sigma_rule *rule = s->rules[r];
        if (rule->kind != VG_SIGMA_RULE || !rule->prog) continue;
        const struct vg_sigma_prog *p = rule->prog;
        pf->info.rules++;
        if (p->unmapped) {
            kind[r] = 1;
            pf->info.unmapped++;
        } else {
            kind[r] = 2;
            for (uint32_t i = 0; i < p->nls; i++)
                if (se[p->ls[i]].n < 0) kind[r] = 3;
            if (kind[r] == 3) pf->info.complex_ls++;
        }
        struct cov c;
        if (prog_cover(pf, p, &c, &e) != 0) goto out;
        if (!c.ok) {
            pf->always[r] = 1;
            cov_release(&c);
            continue;
        }
        /* dedup the rule's pattern ids */
        uint32_t n = 0;
        for (uint32_t i = 0; i < c.n; i++) {
            bool dup = false;
            for (uint32_t j = 0; j < n && !dup; j++) dup = c.ids[j] == c.ids[i];
            if (!dup) c.ids[n++] = c.ids[i];
        }
        pf->rcov[r] = c.ids;
        pf->nrcov[r] = n;
        c.ids = NULL;
        if (c.nsec) {
            pf->rsec[r] = vg_arena_alloc(&pf->ar, c.nsec * sizeof *pf->rsec[r]);
            if (!pf->rsec[r]) { cov_release(&c); goto out; }
            for (uint32_t g = 0; g < c.nsec; g++) {
                struct pf_grp *gr = &pf->rsec[r][pf->nrsec[r]++];
                memset(gr, 0, sizeof *gr);
                gr->ids = vg_arena_alloc(&pf->ar, c.sec[g].n * sizeof *gr->ids);
                if (!gr->ids) { cov_release(&c); goto out; }
                for (uint32_t k = 0; k < c.sec[g].n; k++) {
                    gr->ids[gr->n++] = c.sec[g].ids[k];
                    pf->pat[c.sec[g].ids[k]].used = true;
                }
            }
        }
        cov_release(&c);
        for (uint32_t i = 0; i < n; i++) {
            struct pf_pat *pp = &pf->pat[pf->rcov[r][i]];
            pp->used = true;
            if (pp->nrules == pp->caprules) {
                uint32_t nc = pp->caprules ? pp->caprules * 2 : 4;
                uint32_t *nr = vg_realloc(pp->rules, nc * sizeof *nr);
                if (!nr) goto out;
                pp->rules = nr;
                pp->caprules = nc;
            }
            pp->rules[pp->nrules++] = r;
        }
    }
    vg_buf_release(&e);

    /* 3. databases; rules of patterns Vectorscan rejects lose their cover */
    rc = compile_dbs(pf);
    if (rc == VG_EINVAL) {
        vg_warn("sigma", "prefilter disabled: Vectorscan could not build a database; matching is naive");
        vg__sig_pf_free(pf);
        pf = NULL;
        rc = 0;
        goto out;
    }
    if (rc) goto out;
    for (uint32_t r = 0; r < pf->nrules; r++)
        for (uint32_t k = 0; k < pf->nrcov[r]; k++)
            if (pf->pat[pf->rcov[r][k]].broken) pf->always[r] = 1;
    pf->kw_plain = true;
    for (uint32_t i = 0; i < pf->npat && pf->kw_plain; i++) {
        const struct pf_pat *p = &pf->pat[i];
        if (!p->used || p->fid != PF_KW) continue;
        uint8_t lb[512], st, en;
        if (p->regex || strlen(p->expr) >= sizeof lb) { pf->kw_plain = false; break; }
        uint32_t n = expr_lit(p->expr, lb, &st, &en);
        for (uint32_t j = 0; j < n && pf->kw_plain; j++)
            if (lb[j] == '"' || lb[j] == '\\' || lb[j] == '/' || lb[j] < 0x20) pf->kw_plain = false;
    }
    /* secondary groups: drop those with a rejected pattern (it never fires);
     * note the databases each needs */
    for (uint32_t r = 0; r < pf->nrules; r++) {
        uint32_t keep = 0;
        for (uint32_t g = 0; g < pf->nrsec[r]; g++) {
            struct pf_grp *gr = &pf->rsec[r][g];
            bool bad = false;
            for (uint32_t k = 0; k < gr->n && !bad; k++) bad = pf->pat[gr->ids[k]].broken;
            if (bad) continue;
            gr->dbs = vg_arena_alloc(&pf->ar, gr->n * sizeof *gr->dbs);
            if (!gr->dbs) goto out;
            for (uint32_t k = 0; k < gr->n; k++) {
                uint32_t d = pf->pat[gr->ids[k]].db;
                bool dup = false;
                for (uint32_t j = 0; j < gr->ndb && !dup; j++) dup = gr->dbs[j] == d;
                if (!dup) gr->dbs[gr->ndb++] = d;
            }
            pf->rsec[r][keep++] = *gr;
        }
        pf->nrsec[r] = keep;
        pf->info.secondary += keep;
    }
    uint32_t ncplx = 0;
    for (uint32_t r = 0; r < pf->nrules; r++) ncplx += kind[r] == 3;
    pf->cplx = vg_malloc((ncplx + 1) * sizeof *pf->cplx);
    if (!pf->cplx) goto out;
    for (uint32_t r = 0; r < pf->nrules; r++)
        if (kind[r] == 3) pf->cplx[pf->ncplx++] = r;
    if ((rc = finish_buckets(pf, s, se, kind)) != 0) goto out;
    for (uint32_t r = 0; r < pf->nrules; r++)
        if (kind[r]) {
            if (pf->always[r]) pf->info.always++;
            else pf->info.covered++;
        }
    for (uint32_t i = 0; i < pf->npat; i++)
        if (pf->pat[i].used && !pf->pat[i].broken) {
            pf->info.patterns++;
            pf->info.regex_patterns += pf->pat[i].regex && (pf->pat[i].flags & HS_FLAG_PREFILTER);
            pf->info.hex_keys += pf->pat[i].hex;
        }
    for (uint32_t d = 0; d < pf->ndb; d++) {
        pf->info.databases += pf->db[d].db != NULL || pf->db[d].htab != NULL || pf->db[d].lits != NULL;
        if (pf->db[d].lits) pf->info.literal_sets++;
    }
    pf->info.buckets = pf->nbk;
    pf->info.compile_ms = (double)(vg_mono_ns() - t0) / 1e6;
    rc = 0;
out:
    vg_buf_release(&e);
    vg_free(se);
    vg_free(kind);
    if (rc != 0) {
        vg__sig_pf_free(pf);
        return vg_err_set(err, rc, "out of memory building the prefilter");
    }
    s->pf = pf;
    return 0;
}

void vg_sigma_prefilter_info(const struct vg_sigma_set *s, struct vg_sigma_pf_info *out)
{
    memset(out, 0, sizeof *out);
    if (s && s->pf) *out = s->pf->info;
}

/* ------------------------------------------------------------------ */
/* matching                                                            */

int vg__sig_pfx_new(struct vg_sigma_ctx *c)
{
    const struct vg__sig_pf *pf = c->set->pf;
    struct vg__sig_pfx *x = vg_calloc(1, sizeof *x);
    if (!x) return VG_ENOMEM;
    c->pfx = x;
    x->pf = pf;
    x->pstamp = vg_calloc(pf->npat + 1, sizeof *x->pstamp);
    x->fired = vg_malloc((pf->npat + 1) * sizeof *x->fired);
    x->rstamp = vg_calloc(pf->nrules + 1, sizeof *x->rstamp);
    x->okstamp = vg_calloc(pf->nrules + 1, sizeof *x->okstamp);
    x->cand = vg_malloc((pf->nrules + 1) * sizeof *x->cand);
    x->dbstamp = vg_calloc(pf->ndb + 1, sizeof *x->dbstamp);
    if (!x->pstamp || !x->fired || !x->rstamp || !x->okstamp || !x->cand || !x->dbstamp) return VG_ENOMEM;
    if (pf->proto && hs_clone_scratch(pf->proto, &x->scr) != HS_SUCCESS) return VG_ENOMEM;
    if (!getenv("VG_PF_NOMEMO")) {
        x->memo = vg_calloc(PF_MEMO, sizeof *x->memo);
        x->mtry = vg_calloc(pf->ndb + 1, sizeof *x->mtry);
        x->mhit = vg_calloc(pf->ndb + 1, sizeof *x->mhit);
        x->moff = vg_calloc(pf->ndb + 1, 1);
        if (!x->memo || !x->mtry || !x->mhit || !x->moff) return VG_ENOMEM;
    }
    return 0;
}

void vg__sig_pfx_free(struct vg__sig_pfx *x)
{
    if (!x) return;
    if (x->scr) hs_free_scratch(x->scr);
    vg_free(x->buf);
    vg_free(x->low);
    vg_free(x->memo);
    vg_free(x->mtry);
    vg_free(x->mhit);
    vg_free(x->moff);
    vg_free(x->pstamp);
    vg_free(x->fired);
    vg_free(x->rstamp);
    vg_free(x->okstamp);
    vg_free(x->dbstamp);
    vg_free(x->cand);
    vg_free(x);
}

static int on_match(unsigned int id, unsigned long long from, unsigned long long to, unsigned int flags, void *ctx)
{
    (void)from;
    (void)to;
    (void)flags;
    struct vg__sig_pfx *x = ctx;
    if (x->pstamp[id] != x->gen) {
        x->pstamp[id] = x->gen;
        x->fired[x->nfired++] = id;
    }
    return 0;
}

static void fire_all_re(struct vg__sig_pfx *x, const struct pf_db *db)
{
    for (uint32_t i = 0; i < db->nre; i++) on_match(db->re[i], 0, 0, 0, x);
}

static bool has_high(const uint8_t *t, size_t n)
{
    uint64_t acc = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, t + i, 8);
        acc |= w;
    }
    for (; i < n; i++) acc |= t[i];
    return (acc & 0x8080808080808080ull) != 0;
}

/* Hash-key lookup: every maximal run of hex digits of at least PF_HEXMIN
 * bytes probes the set with its prefix of each key length present. */
static void hex_scan(struct vg__sig_pfx *x, const struct vg__sig_pf *pf, const struct pf_db *db, const uint8_t *t, size_t n)
{
    uint8_t kb[64];
    size_t i = 0;
    while (i < n) {
        if (!hexdig[t[i]]) { i++; continue; }
        size_t j = i + 1;
        while (j < n && hexdig[t[j]]) j++;
        size_t run = j - i;
        if (run >= PF_HEXMIN) {
            size_t m = run < sizeof kb ? run : sizeof kb;
            for (size_t k = 0; k < m; k++) kb[k] = t[i + k] | 0x20; /* hex digits: |0x20 lowercases */
            for (uint32_t L = 0; L < PF_NHEXLEN; L++) {
                if (!(db->hlens & (1u << L)) || pf_hexlen[L] > run) continue;
                uint64_t hv = word_hash(kb, pf_hexlen[L], 0, false);
                if (!(db->hbloom[(hv >> 40) % PF_HBLOOM / 64] & (1ull << ((hv >> 40) % 64)))) continue;
                uint32_t h = (uint32_t)hv & db->hmask;
                for (uint32_t e; (e = db->htab[h].pat) != 0; h = (h + 1) & db->hmask) {
                    if (db->htab[h].h != hv) continue;
                    const char *key = pf->pat[e - 1].expr;
                    if (key[pf_hexlen[L]] == 0 && memcmp(key, kb, pf_hexlen[L]) == 0) { on_match(e - 1, 0, 0, 0, x); break; }
                }
            }
        }
        i = j;
    }
}

static void lit_hit(uint32_t id, void *arg)
{
    on_match(id, 0, 0, 0, arg);
}

/* Scans text t (low: its lowercased copy, or NULL) with database db. */
static int scan_text(struct vg_sigma_ctx *c, const struct pf_db *db, const char *t, const uint8_t *low, size_t n)
{
    struct vg__sig_pfx *x = c->pfx;
    if (n > UINT32_MAX) n = UINT32_MAX;
    c->stats.scans++;
    if (db->tier == PF_T_HEX) {
        hex_scan(x, x->pf, db, (const uint8_t *)t, n);
        return 0;
    }
    if (db->tier == PF_T_LIT) {
        if (!low) {
            if (n + 1 > x->lowcap) {
                size_t nc = x->lowcap ? x->lowcap : 256;
                while (nc < n + 1) nc *= 2;
                uint8_t *nb = vg_realloc(x->low, nc);
                if (!nb) return VG_ENOMEM;
                x->low = nb;
                x->lowcap = nc;
            }
            vg__sig_lower_copy(x->low, (const uint8_t *)t, n);
            low = x->low;
        }
        vg__litset_scan(db->lits, (const uint8_t *)t, low, n, x->pstamp, x->gen, lit_hit, x);
        if (db->nre && has_high((const uint8_t *)t, n)) fire_all_re(x, db);
        return 0;
    }
    if (hs_scan(db->db, t ? t : "", (unsigned)n, 0, x->scr, on_match, x) != HS_SUCCESS) return VG_ENOMEM;
    if (db->nre && has_high((const uint8_t *)t, n)) fire_all_re(x, db);
    return 0;
}

static int scan_field(struct vg_sigma_ctx *c, const struct pf_db *db, const struct vg_field *f)
{
    char buf[64];
    size_t n;
    switch (f->v.type) {
    case VG_V_NULL: return 0;
    case VG_V_LIST:
        for (uint32_t i = 0; i < f->v.len; i++) {
            int rc = scan_text(c, db, f->v.u.list[i].s, NULL, f->v.u.list[i].len);
            if (rc) return rc;
        }
        return 0;
    case VG_V_STR: case VG_V_IP:
        return scan_text(c, db, f->v.u.s, db->tier == PF_T_LIT ? vg__sig_field_low(c, f) : NULL, f->v.len);
    default: {
        const uint8_t *t = vg__sig_vtext(&f->v, buf, sizeof buf, &n);
        return scan_text(c, db, (const char *)t, NULL, n);
    }
    }
}

/* Appends one value to the scan buffer as its own line. */
static int seg_add(struct vg__sig_pfx *x, const char *t, size_t n)
{
    if (x->len + n + 1 > x->cap) {
        if (x->len + n + 1 > PF_MAX_BUF) return VG_ETOOBIG;
        size_t nc = x->cap ? x->cap : 4096;
        while (nc < x->len + n + 1) nc *= 2;
        char *nb = vg_realloc(x->buf, nc);
        if (!nb) return VG_ENOMEM;
        x->buf = nb;
        x->cap = nc;
    }
    if (n) memcpy(x->buf + x->len, t, n);
    x->len += n;
    x->buf[x->len++] = '\n';
    return 0;
}

static int seg_field(struct vg__sig_pfx *x, const struct vg_field *f)
{
    char tb[64];
    size_t n;
    int rc = 0;
    switch (f->v.type) {
    case VG_V_NULL: return 0;
    case VG_V_LIST:
        for (uint32_t i = 0; i < f->v.len && rc == 0; i++) rc = seg_add(x, f->v.u.list[i].s, f->v.u.list[i].len);
        return rc;
    case VG_V_STR: case VG_V_IP: return seg_add(x, f->v.u.s, f->v.len);
    default: {
        const uint8_t *t = vg__sig_vtext(&f->v, tb, sizeof tb, &n);
        return seg_add(x, (const char *)t, n);
    }
    }
}

/* First present field of a fid list (as leaf_field does). */
static const struct vg_field *first_of(struct vg_sigma_ctx *c, const uint32_t *fid, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        const struct vg_field *f = vg__sig_get_field(c, fid[i]);
        if (f) return f;
    }
    return NULL;
}

/* The event's bucket, or -1 when it must be matched naively. */
static long event_bucket(struct vg_sigma_ctx *c, const struct vg__sig_pf *pf)
{
    const struct vg_field *f = pf->nchanfid ? first_of(c, pf->chanfid, pf->nchanfid) : NULL;
    if (!f || f->v.type == VG_V_NULL) return 0;
    if (f->v.type == VG_V_LIST) return -1;
    char buf[64];
    size_t n;
    const uint8_t *t = vg__sig_vtext(&f->v, buf, sizeof buf, &n);
    long ci = chan_find(pf, t, n);
    if (ci < 0) return 0;
    const struct pf_chan *ch = &pf->chan[ci];
    if (!ch->neid) return ch->other;
    const struct vg_field *e = pf->neidfid ? first_of(c, pf->eidfid, pf->neidfid) : NULL;
    if (!e || e->v.type == VG_V_NULL) return ch->other;
    if (e->v.type == VG_V_LIST) return -1;
    char ebuf[24];
    if (e->v.type == VG_V_INT && e->v.u.i >= 0) {
        /* common case: format the integer without printf */
        uint64_t v = (uint64_t)e->v.u.i;
        size_t k = sizeof ebuf;
        do { ebuf[--k] = (char)('0' + v % 10); v /= 10; } while (v);
        t = (const uint8_t *)ebuf + k;
        n = sizeof ebuf - k;
    } else {
        t = vg__sig_vtext(&e->v, buf, sizeof buf, &n);
    }
    for (uint32_t i = 0; i < ch->neid; i++)
        if (text_eq_ci(ch->eid[i], ch->eidlen[i], t, n)) return ch->eidb[i];
    return ch->other;
}


/* First scan of database d in this event over one string value: answered
 * from the memo when the value was seen, else scanned and remembered. No
 * pattern of d has fired yet in this event (each pattern belongs to one
 * database), so the patterns fired by this scan are exactly the ones the
 * value fires. */
static int scan_memo(struct vg_sigma_ctx *c, const struct pf_db *db, uint32_t d, const struct vg_field *f,
                     const uint8_t *t, size_t n, uint64_t hint)
{
    struct vg__sig_pfx *x = c->pfx;
    uint64_t h = hint ? hint : word_hash(t, n, (uint64_t)d << 32, false);
    struct pf_memo *e = &x->memo[h & (PF_MEMO - 1)];
    x->mtry[d]++;
    if (e->h == h && e->db == d + 1 && e->len == n && memcmp(e->val, t, n) == 0) {
        x->mhit[d]++;
        c->stats.scans++;
        c->stats.memo_hits++;
        for (uint32_t k = 0; k < e->nids; k++) on_match(e->ids[k], 0, 0, 0, x);
        return 0;
    }
    if (x->mtry[d] >= PF_MEMO_PROBE && (uint64_t)x->mhit[d] * 8 < x->mtry[d]) x->moff[d] = 1; /* rarely repeats */
    uint32_t before = x->nfired;
    int rc = scan_field(c, db, f);
    if (rc) return rc;
    uint32_t nids = x->nfired - before;
    if (nids <= PF_MEMO_IDS) {
        e->h = h;
        e->db = d + 1;
        e->len = (uint16_t)n;
        e->nids = (uint8_t)nids;
        memcpy(e->ids, x->fired + before, nids * sizeof *e->ids);
        memcpy(e->val, t, n);
    }
    return 0;
}

/* Scans database d over its field (or, when the Sigma field is absent, its
 * alternatives) and stamps it scanned for this event. */
static int scan_db(struct vg_sigma_ctx *c, const struct vg__sig_pf *pf, uint32_t d, uint64_t hint)
{
    const struct pf_db *db = &pf->db[d];
    int rc;
    bool first = c->pfx->dbstamp[d] != c->pfx->gen;
    c->pfx->dbstamp[d] = c->pfx->gen;
    /* every leaf of this database lists db->fid (= sf[0]) first and
     * reads the first present field of its list: when sf[0] is there,
     * no leaf looks at an alternative, so scanning it alone is exact
     * (decoded events carry both Image and process.executable ...) */
    const struct vg_field *f0 = vg__sig_get_field(c, db->sf[0]);
    if (f0) {
        struct vg__sig_pfx *x = c->pfx;
        if (first && x->memo && !x->moff[d]) {
            /* strings and scalars (an EventID is scanned as its text) */
            uint8_t ty = f0->v.type;
            if ((ty == VG_V_STR || ty == VG_V_IP) && f0->v.len <= PF_MEMO_LEN)
                return scan_memo(c, db, d, f0, (const uint8_t *)f0->v.u.s, f0->v.len, hint);
            if (ty == VG_V_INT || ty == VG_V_BOOL || ty == VG_V_FLOAT) {
                char tb[64];
                size_t tn;
                const uint8_t *tt = vg__sig_vtext(&f0->v, tb, sizeof tb, &tn);
                if (tn <= PF_MEMO_LEN) return scan_memo(c, db, d, f0, tt, tn, 0);
            }
        }
        return scan_field(c, db, f0);
    }
    for (uint32_t k = 1; k < db->nsf; k++) {
        const struct vg_field *f = vg__sig_get_field(c, db->sf[k]);
        if (f && (rc = scan_field(c, db, f)) != 0) return rc;
    }
    return 0;
}

/* 0 when a secondary group of rule r, all of whose databases were scanned
 * for this event (hash-key sets are probed now, once per event), has no fired
 * pattern: the rule cannot match; 1 otherwise; < 0 on a scan failure. */
static int sec_ok(struct vg_sigma_ctx *c, const struct vg__sig_pf *pf, uint32_t r)
{
    struct vg__sig_pfx *x = c->pfx;
    for (uint32_t g = 0; g < pf->nrsec[r]; g++) {
        const struct pf_grp *gr = &pf->rsec[r][g];
        bool scanned = true, lazy = false;
        for (uint32_t j = 0; j < gr->ndb && scanned; j++) {
            uint32_t d = gr->dbs[j];
            if (x->dbstamp[d] == x->gen) continue;
            if (pf->db[d].tier == PF_T_HEX || (pf->db[d].tier == PF_T_LIT && pf->lazy_lit)) lazy = true; /* hex runs, a literal set: cheap enough on demand */
            else scanned = false;
        }
        if (!scanned) continue;
        for (uint32_t j = 0; lazy && j < gr->ndb; j++) {
            uint32_t d = gr->dbs[j];
            int rc;
            if (x->dbstamp[d] != x->gen && (rc = scan_db(c, pf, d, 0)) != 0) return rc;
        }
        bool any = false;
        for (uint32_t k = 0; k < gr->n && !any; k++) any = x->pstamp[gr->ids[k]] == x->gen;
        if (!any) return 0;
    }
    return 1;
}

static inline void cand_add(struct vg__sig_pfx *x, uint32_t r)
{
    if (x->rstamp[r] != x->gen) {
        x->rstamp[r] = x->gen;
        x->cand[x->ncand++] = r;
    }
}

int vg_sigma_match(struct vg_sigma_ctx *c, const struct vg_event *ev, const struct vg_sigma_hit **hits)
{
    const struct vg_sigma_set *set = c->set;
    *hits = NULL;
    if (!set->compiled) return VG_ESTATE;
    const struct vg__sig_pf *pf = set->pf;
    struct vg__sig_pfx *x = c->pfx;
    c->stats.events++;
    if (!pf || !x) {
        c->stats.fallback++;
        return vg_sigma_match_naive(c, ev, hits);
    }
    c->ev = NULL;
    vg__sig_hits_reset(c);
    vg__sig_index(c, ev);
    long b = event_bucket(c, pf);
    if (b < 0) {
        c->stats.fallback++;
        return vg_sigma_match_naive(c, ev, hits);
    }
    if (++x->gen == 0) {
        memset(x->pstamp, 0, (pf->npat + 1) * sizeof *x->pstamp);
        memset(x->rstamp, 0, (pf->nrules + 1) * sizeof *x->rstamp);
        memset(x->okstamp, 0, (pf->nrules + 1) * sizeof *x->okstamp);
        memset(x->dbstamp, 0, (pf->ndb + 1) * sizeof *x->dbstamp);
        x->gen = 1;
    }
    x->nfired = 0;
    x->ncand = 0;
    if (x->memo && ++x->mperiod == PF_MEMO_PERIOD) { /* judge the hit rates afresh */
        x->mperiod = 0;
        memset(x->mtry, 0, (pf->ndb + 1) * sizeof *x->mtry);
        memset(x->mhit, 0, (pf->ndb + 1) * sizeof *x->mhit);
        memset(x->moff, 0, pf->ndb + 1);
    }
    const struct pf_bucket *bk = &pf->bk[b];
    int rc = 0;
    /* hash the string values the memo will look up and prefetch their
     * entries, so the lookups below find them in cache */
    uint64_t hints[64];
    uint32_t nh = bk->nscan < 64 ? bk->nscan : 64;
    for (uint32_t i = 0; i < nh; i++) {
        uint32_t d = bk->scan[i];
        hints[i] = 0;
        if (!x->memo || x->moff[d] || pf->db[d].nsf == 0) continue;
        const struct vg_field *f0 = vg__sig_get_field(c, pf->db[d].sf[0]);
        if (f0 && (f0->v.type == VG_V_STR || f0->v.type == VG_V_IP) && f0->v.len <= PF_MEMO_LEN) {
            hints[i] = word_hash((const uint8_t *)f0->v.u.s, f0->v.len, (uint64_t)d << 32, false);
            const char *me = (const char *)&x->memo[hints[i] & (PF_MEMO - 1)];
            __builtin_prefetch(me);
            __builtin_prefetch(me + 64);
            __builtin_prefetch(me + 128);
        }
    }
    for (uint32_t i = 0; i < bk->nscan; i++)
        if ((rc = scan_db(c, pf, bk->scan[i], i < nh ? hints[i] : 0)) != 0) return rc;
    if (bk->kw) {
        /* keywords: the raw text, then every string field laid end to end
         * (any field counts, so one scan with single-match patterns) */
        const struct pf_db *db = &pf->db[pf->kwdb];
        x->dbstamp[pf->kwdb] = x->gen;
        if (ev->raw_len && (rc = scan_text(c, db, ev->raw, NULL, ev->raw_len)) != 0) return rc;
        x->len = 0;
        /* A value whose bytes lie inside text already scanned adds nothing:
         * every unanchored literal that occurs in it occurs there. Decoders
         * point most values into the raw text, so this skips most of a
         * decoded event. Covered byte ranges: the raw text and every value added so far. A
         * value lying inside one (an ECS copy sharing its source's bytes, a
         * basename or user name cut out of a path or DOMAIN\user) holds no
         * unanchored literal that the scan of that range misses. */
        uintptr_t cov[2 * PF_KW_COVER];
        uint32_t ncov = 0;
        bool skip = !pf->kw_anchored;
        if (skip && ev->raw && ev->raw_len) {
            cov[0] = (uintptr_t)ev->raw; /* addresses: values may live elsewhere */
            cov[1] = cov[0] + ev->raw_len;
            ncov = 1;
        }
        for (uint32_t i = 0; i < ev->nfields && rc == 0; i++) {
            const struct vg_field *f = &ev->fields[i];
            uint8_t t = f->v.type;
            if (t == VG_V_STR || t == VG_V_IP) {
                uintptr_t v = (uintptr_t)f->v.u.s, ve = v + f->v.len;
                bool inside = false;
                for (uint32_t k = 0; skip && v && k < ncov && !inside; k++) inside = v >= cov[2 * k] && ve <= cov[2 * k + 1];
                if (inside) continue;
                /* an unescaped copy of a raw string: a literal without the
                 * bytes its escapes produce lies between them, in the raw */
                if (skip && pf->kw_plain && (f->flags & VG_FF_UNESC) && ncov && cov[0] == (uintptr_t)ev->raw) {
                    if (v && f->v.len >= 8 && ncov < PF_KW_COVER) {
                        cov[2 * ncov] = v;
                        cov[2 * ncov + 1] = ve;
                        ncov++;
                    }
                    continue;
                }
                rc = seg_field(x, f);
                if (skip && v && f->v.len >= 8 && ncov < PF_KW_COVER) {
                    cov[2 * ncov] = v;
                    cov[2 * ncov + 1] = ve;
                    ncov++;
                }
            } else if (t == VG_V_LIST) {
                rc = seg_field(x, f);
            }
        }
        if (rc == VG_ETOOBIG) {
            c->stats.fallback++;
            return vg_sigma_match_naive(c, ev, hits);
        }
        if (rc) return rc;
        if (x->len && (rc = scan_text(c, db, x->buf, NULL, x->len)) != 0) return rc;
    }

    c->stats.fired += x->nfired;
    /* rules whose log source is evaluated per event */
    for (uint32_t i = 0; i < pf->ncplx; i++) {
        uint32_t r = pf->cplx[i];
        int a = vg__sig_ls_applies(c, set->rules[r]->prog, ev);
        if (a < 0) return a;
        if (!a) continue;
        if (pf->always[r]) cand_add(x, r);
        else x->okstamp[r] = x->gen;
    }
    for (uint32_t i = 0; i < x->nfired; i++) {
        const struct pf_pat *p = &pf->pat[x->fired[i]];
        for (uint32_t k = 0; k < p->nrules; k++) {
            uint32_t r = p->rules[k];
            if ((bk->member[r / 64] & (1ull << (r % 64))) || x->okstamp[r] == x->gen) cand_add(x, r);
        }
    }
    for (uint32_t i = 0; i < bk->nalways; i++) cand_add(x, bk->always[i]);
    for (uint32_t i = 1; i < x->ncand; i++) { /* few candidates: insertion sort, no allocation */
        uint32_t v = x->cand[i], j = i;
        while (j > 0 && x->cand[j - 1] > v) { x->cand[j] = x->cand[j - 1]; j--; }
        x->cand[j] = v;
    }
    for (uint32_t i = 0; i < x->ncand; i++) {
        int ok = sec_ok(c, pf, x->cand[i]);
        if (ok < 0) return ok;
        if (!ok) { c->stats.vetoed++; continue; }
        c->stats.evaluated++;
        const struct vg_sigma_rule *r = set->rules[x->cand[i]];
        int m = vg__sig_eval(c, r->prog, ev);
        if (m < 0) return m;
        if (m && (m = vg__sig_hit_add(c, r, ev)) < 0) return m;
    }
    return vg__sig_hits_done(c, hits);
}
