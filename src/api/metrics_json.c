/* Turns the pipeline's OpenMetrics text into per-source JSON for
 * /api/v1/status: every sample with a source="..." label becomes
 * SOURCE.KEY = value, where KEY is the metric name without the "vigil_"
 * prefix, a "source_"/"sources_"/"events_"/"records_" prefix and the
 * "_total" suffix (vigil_source_received_total{source="http"} 5 gives
 * {"http":{"received":5}}). Independent of the exact family names the
 * pipeline chooses; lines it cannot read are skipped. Bounded: 128
 * sources, 32 keys each. Fuzzed by fuzz/fuzz_ingest_body.c. */
#include "internal.h"

#define MAX_SOURCES 128
#define MAX_KEYS 32
#define MAX_KEY 48

struct src_acc {
    char name[128];
    struct vg_buf kv;     /* ,"key":value pairs (without the leading comma on the first) */
    char keys[MAX_KEYS][MAX_KEY];
    size_t nkeys;
};

static bool strip_prefix(const char **s, size_t *n, const char *pre)
{
    size_t l = strlen(pre);
    if (*n > l && memcmp(*s, pre, l) == 0) { *s += l; *n -= l; return true; }
    return false;
}

/* Reads the value of label `want` from a label set starting after '{'.
 * Returns the position after '}' or NULL on malformed labels. */
static const char *read_labels(const char *p, const char *end, const char *want, char *val, size_t valsz, bool *found)
{
    *found = false;
    size_t wl = strlen(want);
    while (p < end && *p != '}') {
        const char *k = p;
        while (p < end && *p != '=' && *p != '}' && *p != '\n') p++;
        if (p >= end || *p != '=') return NULL;
        size_t kl = (size_t)(p - k);
        p++;
        if (p >= end || *p != '"') return NULL;
        p++;
        size_t vl = 0;
        bool match = kl == wl && memcmp(k, want, wl) == 0;
        while (p < end && *p != '"') {
            char c = *p;
            if (c == '\n') return NULL;
            if (c == '\\') {
                if (p + 1 >= end) return NULL;
                p++;
                c = *p == 'n' ? '\n' : *p;
            }
            if (match && vl + 1 < valsz) val[vl++] = c;
            p++;
        }
        if (p >= end) return NULL;
        p++; /* closing quote */
        if (match) { val[vl] = 0; *found = true; }
        if (p < end && *p == ',') p++;
    }
    return p < end ? p + 1 : NULL;
}

static bool is_number(const char *s, size_t n)
{
    char why[8];
    if (!n || n > 40 || !(s[0] == '-' || (s[0] >= '0' && s[0] <= '9'))) return false;
    return vg__api_json_validate(s, n, 1, false, why, sizeof why);
}

int vg__api_metrics_to_json(const char *text, size_t n, struct vg_buf *out)
{
    struct src_acc *acc = vg_calloc(MAX_SOURCES, sizeof *acc);
    if (!acc) return VG_ENOMEM;
    size_t nacc = 0;
    int rc = 0;
    const char *p = text, *end = text + n;
    while (p < end && rc == 0) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const char *line = p;
        p = nl ? nl + 1 : end;
        if (line >= le || *line == '#') continue;
        const char *q = line;
        while (q < le && *q != '{' && *q != ' ') q++;
        const char *name = line;
        size_t nlen = (size_t)(q - line);
        if (q >= le || *q != '{') continue;
        char src[128];
        bool found;
        q = read_labels(q + 1, le, "source", src, sizeof src, &found);
        if (!q || !found || !src[0]) continue;
        while (q < le && *q == ' ') q++;
        const char *v = q;
        while (q < le && *q != ' ') q++;
        size_t vlen = (size_t)(q - v);
        if (!is_number(v, vlen)) continue;
        if (nlen >= 8 && memcmp(name + nlen - 8, "_created", 8) == 0) continue;
        strip_prefix(&name, &nlen, "vigil_");
        if (!strip_prefix(&name, &nlen, "sources_") && !strip_prefix(&name, &nlen, "source_") &&
            !strip_prefix(&name, &nlen, "events_"))
            strip_prefix(&name, &nlen, "records_");
        if (nlen > 6 && memcmp(name + nlen - 6, "_total", 6) == 0) nlen -= 6;
        if (!nlen || nlen >= MAX_KEY) continue;
        size_t i;
        for (i = 0; i < nacc; i++)
            if (strcmp(acc[i].name, src) == 0) break;
        if (i == nacc) {
            if (nacc == MAX_SOURCES) continue;
            snprintf(acc[nacc].name, sizeof acc[nacc].name, "%s", src);
            acc[nacc].kv.cap_limit = 16384;
            nacc++;
        }
        struct src_acc *a = &acc[i];
        bool dup = false;
        for (size_t k = 0; k < a->nkeys; k++)
            if (strlen(a->keys[k]) == nlen && memcmp(a->keys[k], name, nlen) == 0) dup = true;
        if (dup || a->nkeys == MAX_KEYS) continue;
        memcpy(a->keys[a->nkeys], name, nlen);
        a->keys[a->nkeys++][nlen] = 0;
        rc = a->kv.len ? vg_buf_addc(&a->kv, ',') : 0;
        if (!rc) rc = vg_buf_add_json_str(&a->kv, name, nlen);
        if (!rc) rc = vg_buf_addc(&a->kv, ':');
        if (!rc) rc = vg_buf_add(&a->kv, v, vlen);
    }
    if (!rc) rc = vg_buf_addc(out, '{');
    for (size_t i = 0; i < nacc && rc == 0; i++) {
        if (i) rc = vg_buf_addc(out, ',');
        if (!rc) rc = vg_buf_add_json_str(out, acc[i].name, strlen(acc[i].name));
        if (!rc) rc = vg_buf_addc(out, ':');
        if (!rc) rc = vg_buf_addc(out, '{');
        if (!rc && acc[i].kv.len) rc = vg_buf_add(out, acc[i].kv.data, acc[i].kv.len);
        if (!rc) rc = vg_buf_addc(out, '}');
    }
    if (!rc) rc = vg_buf_addc(out, '}');
    for (size_t i = 0; i < nacc; i++) vg_buf_release(&acc[i].kv);
    vg_free(acc);
    return rc;
}
