/* Threat-intel tests: STIX 2.1 examples import with the indicator counts
 * derived here from the files themselves; events with an indicator's IP,
 * CIDR, domain/subdomain, URL or hash hit; warninglisted values do not;
 * LPM against a brute-force reference; validity windows; malformed input
 * rejected with reasons; MISP and text feeds. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <jansson.h>
#include <stdlib.h>

#include "vigil/alert.h"
#include "vigil/intel.h"

static char shared[1024];

static int setup(void **st)
{
    (void)st;
    const char *s = getenv("VG_SHARED");
    snprintf(shared, sizeof shared, "%s/data/intel", s ? s : "../shared");
    return 0;
}

static bool has_reason(const struct vg_intel_report *rep, const char *needle)
{
    for (size_t i = 0; i < rep->nrej; i++)
        if (strstr(rep->rej[i].reason, needle)) return true;
    return false;
}

/* ---- expected counts, derived independently from the pattern text ---- */

static bool part_supported(const char *p, size_t n)
{
    static const char *paths[] = {"ipv4-addr:value", "ipv6-addr:value", "domain-name:value", "url:value",
                                  "email-addr:value", "file:hashes.md5", "file:hashes.'SHA-256'", "file:hashes.'SHA-1'",
                                  "file:hashes.MD5", "file:hashes.'MD5'", "file:hashes.'SHA-512'"};
    while (n && (*p == ' ' || *p == '[' || *p == '(')) { p++; n--; }
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        size_t l = strlen(paths[i]);
        if (n > l && strncmp(p, paths[i], l) == 0) {
            const char *q = p + l;
            while (*q == ' ') q++;
            if (*q != '=') return false;
            q++;
            while (*q == ' ') q++;
            if (*q != '\'') return false;
            const char *e = memchr(q + 1, '\'', (size_t)(p + n - q - 1));
            if (!e) return false;
            /* domains with spaces are not names */
            if (strstr(paths[i], "domain") && memchr(q + 1, ' ', (size_t)(e - q - 1))) return false;
            return true;
        }
    }
    return false;
}

/* (AND joins comparisons on one object; in the shared examples every AND
 * is between x509 properties, which cannot be indexed.) */
static bool pattern_supported(const char *p)
{
    if (strstr(p, " AND ") || strstr(p, "FOLLOWEDBY") || strstr(p, "WITHIN") || strstr(p, "REPEATS")) return false;
    bool any = false;
    const char *s = p;
    for (;;) {
        const char *o = strstr(s, " OR ");
        size_t n = o ? (size_t)(o - s) : strlen(s);
        if (part_supported(s, n)) any = true;
        if (!o) break;
        s = o + 4;
    }
    return any;
}

static void expected_counts(const char *path, size_t *ind, size_t *ok)
{
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    assert_non_null(root);
    *ind = *ok = 0;
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(root, "objects"), i, o) {
        const char *t = json_string_value(json_object_get(o, "type"));
        if (!t || strcmp(t, "indicator") != 0) continue;
        (*ind)++;
        const char *p = json_string_value(json_object_get(o, "pattern"));
        if (p && pattern_supported(p)) (*ok)++;
    }
    json_decref(root);
}

static void check_dir(const char *dir, size_t *total_ind)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t l = strlen(de->d_name);
        if (l < 6 || strcmp(de->d_name + l - 5, ".json") != 0) continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        size_t ind, ok;
        expected_counts(path, &ind, &ok);
        struct vg_intel_builder *b = vg_intel_builder_new();
        struct vg_intel_report rep = VG_INTEL_REPORT_INIT;
        assert_int_equal(vg_intel_load_path(b, path, &rep), 0);
        if (rep.indicators != ind || rep.accepted != ok) print_message("%s: %zu/%zu vs %zu/%zu\n", path, rep.indicators, rep.accepted, ind, ok);
        assert_int_equal(rep.indicators, ind);
        assert_int_equal(rep.accepted, ok);
        assert_int_equal(rep.rejected, ind - ok);
        assert_int_equal(rep.nrej, rep.rejected);   /* every rejection has a reason */
        *total_ind += ind;
        vg_intel_builder_free(b);
        vg_intel_report_release(&rep);
    }
    closedir(d);
}

static void stix_counts(void **st)
{
    (void)st;
    char dir[1100];
    size_t total = 0;
    snprintf(dir, sizeof dir, "%s/stix21", shared);
    check_dir(dir, &total);
    snprintf(dir, sizeof dir, "%s/stix21/threat-reports", shared);
    check_dir(dir, &total);
    assert_true(total >= 40);
}

/* ---- events ---------------------------------------------------------- */

static struct vg_intel_set *load_set(const char *const *paths, size_t n, bool wl)
{
    struct vg_intel_builder *b = vg_intel_builder_new();
    struct vg_intel_report rep = VG_INTEL_REPORT_INIT;
    char p[1200];
    for (size_t i = 0; i < n; i++) {
        snprintf(p, sizeof p, "%s/%s", shared, paths[i]);
        assert_int_equal(vg_intel_load_path(b, p, &rep), 0);
    }
    if (wl) {
        snprintf(p, sizeof p, "%s/misp-warninglists", shared);
        assert_int_equal(vg_intel_load_path(b, p, &rep), 0);
        assert_true(rep.warninglist_entries > 1000);
    }
    vg_intel_report_release(&rep);
    struct vg_err err = VG_ERR_INIT;
    struct vg_intel_set *s = vg_intel_build(b, &err);
    assert_non_null(s);
    return s;
}

static size_t match1(const struct vg_intel_set *s, const char *field, const char *value, int64_t ts,
                     struct vg_intel_hit *hits)
{
    struct vg_arena a = VG_ARENA_INIT;
    struct vg_event ev;
    vg_event_init(&ev, &a);
    ev.ts = ts;
    vg_event_add_named(&ev, "message", 0, "x", 1);
    vg_event_add_str_copy(&ev, vg_fid(field, strlen(field)), VG_FF_ECS, value, strlen(value));
    struct vg_intel_hit tmp[16];
    size_t n = vg_intel_match_event(s, &ev, hits ? hits : tmp, 16, NULL);
    vg_arena_release(&a);
    return n;
}

static void event_hits(void **st)
{
    (void)st;
    const char *feeds[] = {"stix21/threat-reports/apt1.json", "stix21/threat-reports/poisonivy.json",
                           "stix21/indicators-for-C2-with-COA.json"};
    struct vg_intel_set *s = load_set(feeds, 3, false);
    int64_t now = vg_now_ns();
    struct vg_intel_hit h[16];
    assert_int_equal(match1(s, "source.ip", "219.76.208.163", now, h), 1);
    assert_string_equal(h[0].ind->feed, "poisonivy.json");
    assert_int_equal(h[0].type, VG_INTEL_IP);
    assert_int_equal(h[0].fid, VG_FID_SOURCE_IP);
    assert_true(match1(s, "destination.ip", "223.167.200.1", now, h) == 1);       /* inside 223.166.0.0/15 */
    assert_int_equal(match1(s, "destination.ip", "223.168.0.1", now, NULL), 0);    /* just outside */
    assert_int_equal(match1(s, "dns.question.name", "hugesoft.org", now, h), 1);
    assert_int_equal(h[0].type, VG_INTEL_DOMAIN);
    assert_int_equal(match1(s, "dns.question.name", "mail.HugeSoft.org.", now, NULL), 1); /* subdomain, case, dot */
    assert_int_equal(match1(s, "dns.question.name", "nothugesoft.org", now, NULL), 0);    /* label boundary */
    assert_int_equal(match1(s, "url.domain", "www.webserver.dynssl.com", now, NULL), 1);
    assert_int_equal(match1(s, "file.hash.md5", "001DD76872D80801692FF942308C64E6", now, h), 1);
    assert_int_equal(h[0].type, VG_INTEL_MD5);
    assert_int_equal(match1(s, "process.hash.sha256", "ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c", now, NULL), 1);
    assert_int_equal(match1(s, "Hashes", "SHA1=0000000000000000000000000000000000000000,MD5=002325a0a67fded0381b5648d7fe9b8e,IMPHASH=00", now, NULL), 1);
    assert_int_equal(match1(s, "source.ip", "1.2.3.4", now, NULL), 0);
    assert_int_equal(match1(s, "message", "219.76.208.163", now, NULL), 0); /* not an intel field */
    /* 113.10.246.30 is in several poisonivy indicators: one hit each */
    assert_true(match1(s, "destination.ip", "113.10.246.30", now, NULL) >= 4);
    /* before valid_from (2015-05-15 for apt1) nothing */
    assert_int_equal(match1(s, "dns.question.name", "hugesoft.org", vg_time_from_civil(2010, 1, 1, 0, 0, 0), NULL), 0);
    vg_intel_set_unref(s);
}

static const char benign_feed[] = "8.8.8.8\n10.1.2.3\nd41d8cd98f00b204e9800998ecf8427e\ngoogle.com\nevil.example\n";

static void warninglists(void **st)
{
    (void)st;
    for (int wl = 0; wl < 2; wl++) {
        struct vg_intel_builder *b = vg_intel_builder_new();
        struct vg_intel_report rep = VG_INTEL_REPORT_INIT;
        assert_int_equal(vg_intel_load_text(b, "benign", benign_feed, sizeof benign_feed - 1, &rep), 0);
        assert_int_equal(rep.accepted, 5);
        if (wl) {
            char p[1200];
            snprintf(p, sizeof p, "%s/misp-warninglists", shared);
            assert_int_equal(vg_intel_load_path(b, p, &rep), 0);
        }
        struct vg_err err = VG_ERR_INIT;
        struct vg_intel_set *s = vg_intel_build(b, &err);
        assert_non_null(s);
        int64_t now = vg_now_ns();
        size_t expect = wl ? 0 : 1;
        assert_int_equal(match1(s, "destination.ip", "8.8.8.8", now, NULL), expect);        /* public-dns-v4 */
        assert_int_equal(match1(s, "source.ip", "10.1.2.3", now, NULL), expect);            /* rfc1918 */
        assert_int_equal(match1(s, "file.hash.md5", "d41d8cd98f00b204e9800998ecf8427e", now, NULL), expect); /* empty file */
        assert_int_equal(match1(s, "dns.question.name", "www.google.com", now, NULL), expect); /* tranco */
        assert_int_equal(match1(s, "dns.question.name", "evil.example", now, NULL), 1);
        bool sup = false;
        assert_int_equal(vg_intel_check_value(s, "8.8.8.8", 7, now, NULL, 0, &sup), expect);
        assert_int_equal(sup, wl == 1);
        assert_int_equal(vg_intel_warninglisted(s, "192.168.1.1", 11), wl == 1);
        vg_intel_set_unref(s);
        vg_intel_report_release(&rep);
    }
}

/* ---- LPM vs brute force ------------------------------------------------ */

static uint64_t rng = 88172645463325252ULL;
static uint64_t xr(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return rng; }

struct ref { uint8_t ip[16]; int plen; int v6; };

static bool covers(const struct ref *r, const uint8_t *a)
{
    for (int bit = 0; bit < r->plen; bit++) {
        int byte = bit / 8, m = 0x80 >> (bit % 8);
        if ((r->ip[byte] & m) != (a[byte] & m)) return false;
    }
    return true;
}

static void lpm_random(void **st)
{
    (void)st;
    enum { NP = 3000, NQ = 20000 };
    struct ref *refs = calloc(NP, sizeof *refs);
    struct vg_intel_builder *b = vg_intel_builder_new();
    char txt[128], id[32];
    for (int i = 0; i < NP; i++) {
        struct ref *r = &refs[i];
        r->v6 = (i % 4) == 3;
        /* cluster addresses so that prefixes nest and overlap */
        uint64_t x = xr();
        if (!r->v6) {
            r->ip[0] = (uint8_t)(10 + (x & 3)); r->ip[1] = (uint8_t)((x >> 8) & 7); r->ip[2] = (uint8_t)(x >> 16); r->ip[3] = (uint8_t)(x >> 24);
            r->plen = 8 + (int)((x >> 32) % 25);
            snprintf(txt, sizeof txt, "%d.%d.%d.%d/%d", r->ip[0], r->ip[1], r->ip[2], r->ip[3], r->plen);
        } else {
            r->ip[0] = 0x20; r->ip[1] = 0x01; r->ip[2] = 0x0d; r->ip[3] = 0xb8;
            r->ip[4] = (uint8_t)(x & 3); r->ip[5] = (uint8_t)(x >> 8);
            r->ip[15] = (uint8_t)(x >> 16);
            r->plen = 32 + (int)((x >> 32) % 97);
            snprintf(txt, sizeof txt, "2001:db8:%x::%x/%d", (r->ip[4] << 8) | r->ip[5], r->ip[15], r->plen);
        }
        /* clear host bits in the reference */
        for (int bit = r->plen; bit < (r->v6 ? 128 : 32); bit++) r->ip[bit / 8] &= (uint8_t)~(0x80 >> (bit % 8));
        snprintf(id, sizeof id, "%d", i);
        struct vg_intel_indicator meta = {.id = id, .feed = "rand", .confidence = 50, .valid_from = INT64_MIN,
                                          .valid_until = INT64_MAX};
        assert_int_equal(vg_intel_add(b, VG_INTEL_IP, txt, strlen(txt), &meta), 0);
    }
    struct vg_err err = VG_ERR_INIT;
    struct vg_intel_set *s = vg_intel_build(b, &err);
    assert_non_null(s);
    struct vg_intel_hit *hits = calloc(NP, sizeof *hits);
    size_t total_hits = 0;
    for (int q = 0; q < NQ; q++) {
        uint8_t a[16] = {0};
        uint64_t x = xr();
        bool v6 = (q % 4) == 3;
        if (!v6) {
            a[0] = (uint8_t)(10 + (x & 3)); a[1] = (uint8_t)((x >> 8) & 7); a[2] = (uint8_t)(x >> 16); a[3] = (uint8_t)(x >> 24);
            snprintf(txt, sizeof txt, "%d.%d.%d.%d", a[0], a[1], a[2], a[3]);
        } else {
            a[0] = 0x20; a[1] = 0x01; a[2] = 0x0d; a[3] = 0xb8; a[4] = (uint8_t)(x & 3); a[5] = (uint8_t)(x >> 8);
            a[15] = (uint8_t)(x >> 16);
            snprintf(txt, sizeof txt, "2001:db8:%x::%x", (a[4] << 8) | a[5], a[15]);
        }
        char *want = calloc(NP, 1);
        size_t nwant = 0;
        for (int i = 0; i < NP; i++)
            if (refs[i].v6 == v6 && covers(&refs[i], a)) { want[i] = 1; nwant++; }
        size_t n = vg_intel_check_value(s, txt, strlen(txt), 0, hits, NP, NULL);
        assert_int_equal(n, nwant);
        for (size_t k = 0; k < n; k++) {
            int64_t idx = -1;
            assert_int_equal(vg_parse_i64(hits[k].ind->id, strlen(hits[k].ind->id), &idx), 0);
            assert_true(idx >= 0 && idx < NP && want[idx]);
        }
        total_hits += n;
        free(want);
    }
    assert_true(total_hits > 1000); /* the data really nests */
    free(hits);
    free(refs);
    vg_intel_set_unref(s);
}

/* ---- validity, malformed input, MISP, text -------------------------------- */

static const char stix_valid[] =
    "{\"type\":\"bundle\",\"id\":\"bundle--1\",\"objects\":["
    "{\"type\":\"indicator\",\"id\":\"indicator--a\",\"name\":\"window\",\"pattern_type\":\"stix\","
    "\"pattern\":\"[ipv4-addr:value = '198.51.100.7'] OR [url:value = 'http://bad.example/x'] OR "
    "[ipv6-addr:value ISSUBSET '2001:db8:1::/48'] OR [email-addr:value IN ('a@bad.example','b@bad.example')]\","
    "\"valid_from\":\"2020-01-01T00:00:00Z\",\"valid_until\":\"2021-01-01T00:00:00Z\",\"confidence\":80},"
    "{\"type\":\"indicator\",\"id\":\"indicator--b\",\"pattern_type\":\"stix\",\"pattern\":\"[ipv4-addr:value = '1.1.1.1']\","
    "\"valid_from\":\"2021-01-01T00:00:00Z\",\"valid_until\":\"2020-01-01T00:00:00Z\"},"
    "{\"type\":\"indicator\",\"id\":\"indicator--c\",\"pattern_type\":\"stix\",\"pattern\":\"[ipv4-addr:value = '1.1.1.1'\"},"
    "{\"type\":\"indicator\",\"id\":\"indicator--d\",\"pattern_type\":\"stix\",\"pattern\":\"[ipv4-addr:value = '1.1.1.1'] WITHIN 5 SECONDS\"},"
    "{\"type\":\"indicator\",\"id\":\"indicator--e\",\"pattern_type\":\"sigma\",\"pattern\":\"x\"},"
    "{\"type\":\"indicator\",\"id\":\"indicator--f\",\"pattern_type\":\"stix\",\"pattern\":\"[ipv4-addr:value = '999.1.1.1']\"},"
    "{\"type\":\"indicator\",\"id\":\"indicator--g\",\"pattern_type\":\"stix\",\"pattern\":\"[file:hashes.'SHA-256' = 'abc']\"},"
    "{\"type\":\"indicator\",\"id\":\"indicator--h\",\"pattern_type\":\"stix\",\"pattern\":\"[domain-name:value MATCHES 'x']\"},"
    "{\"type\":\"malware\",\"id\":\"malware--1\"}]}";

static void validity_and_malformed(void **st)
{
    (void)st;
    struct vg_intel_builder *b = vg_intel_builder_new();
    struct vg_intel_report rep = VG_INTEL_REPORT_INIT;
    assert_int_equal(vg_intel_load_stix(b, "t", stix_valid, sizeof stix_valid - 1, &rep), 0);
    assert_int_equal(rep.indicators, 8);
    assert_int_equal(rep.accepted, 1);
    assert_int_equal(rep.rejected, 7);
    assert_int_equal(rep.skipped, 1);
    assert_true(has_reason(&rep, "valid_until is not after valid_from"));
    assert_true(has_reason(&rep, "expected ']'"));
    assert_true(has_reason(&rep, "qualifiers"));
    assert_true(has_reason(&rep, "pattern_type 'sigma'"));
    assert_true(has_reason(&rep, "invalid ip value"));
    assert_true(has_reason(&rep, "invalid sha256 value"));
    assert_true(has_reason(&rep, "unsupported operator MATCHES"));
    assert_int_equal(rep.atoms[VG_INTEL_EMAIL], 2);
    /* whole-document errors */
    assert_int_equal(vg_intel_load_stix(b, "bad", "{\"type\":\"bundle\",", 17, &rep), VG_EPARSE);
    assert_int_equal(vg_intel_load_stix(b, "bad", "{\"type\":\"bundle\"}", 17, &rep), VG_EFORMAT);
    assert_int_equal(vg_intel_load_misp(b, "bad", "{\"x\":1}", 7, &rep), VG_EFORMAT);
    assert_int_equal(vg_intel_load_warninglist(b, "{\"list\":[],\"type\":\"regex\"}", 26, &rep), VG_EUNSUP);
    assert_int_equal(rep.rejected, 11);
    struct vg_err err = VG_ERR_INIT;
    struct vg_intel_set *s = vg_intel_build(b, &err);
    assert_non_null(s);
    int64_t in = vg_time_from_civil(2020, 6, 1, 0, 0, 0), before = vg_time_from_civil(2019, 6, 1, 0, 0, 0),
            after = vg_time_from_civil(2021, 1, 1, 0, 0, 0);
    struct vg_intel_hit h[16];
    assert_int_equal(match1(s, "source.ip", "198.51.100.7", in, h), 1);
    assert_int_equal(h[0].ind->confidence, 80);
    assert_int_equal(h[0].ind->valid_until, after);
    assert_int_equal(match1(s, "source.ip", "198.51.100.7", before, NULL), 0);
    assert_int_equal(match1(s, "source.ip", "198.51.100.7", after, NULL), 0); /* valid_until is exclusive */
    assert_int_equal(match1(s, "url.full", "HTTP://bad.example/x", in, NULL), 1);
    assert_int_equal(match1(s, "url.original", "http://bad.example/y", in, NULL), 0);
    assert_int_equal(match1(s, "destination.ip", "2001:db8:1:ffff::1", in, NULL), 1);
    assert_int_equal(match1(s, "destination.ip", "2001:db8:2::1", in, NULL), 0);
    assert_int_equal(match1(s, "email.from.address", "B@bad.example", in, NULL), 1);
    assert_int_equal(match1(s, "source.ip", "1.1.1.1", in, NULL), 0);
    vg_intel_set_unref(s);
    vg_intel_report_release(&rep);
}

static const char misp_event[] =
    "{\"Event\":{\"info\":\"Test campaign\",\"threat_level_id\":\"1\",\"Attribute\":["
    "{\"uuid\":\"a1\",\"type\":\"ip-dst\",\"value\":\"203.0.113.9\",\"to_ids\":true},"
    "{\"uuid\":\"a2\",\"type\":\"domain|ip\",\"value\":\"c2.bad.example|203.0.113.10\",\"to_ids\":true},"
    "{\"uuid\":\"a3\",\"type\":\"filename|sha256\",\"value\":\"x.exe|e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b856\",\"to_ids\":true},"
    "{\"uuid\":\"a4\",\"type\":\"ip-src\",\"value\":\"203.0.113.11\",\"to_ids\":false},"
    "{\"uuid\":\"a5\",\"type\":\"comment\",\"value\":\"hello\",\"to_ids\":true},"
    "{\"uuid\":\"a6\",\"type\":\"md5\",\"value\":\"nothex\",\"to_ids\":true},"
    "{\"uuid\":\"a7\",\"type\":\"hostname\",\"value\":\"exact.bad.example\",\"to_ids\":\"1\"}],"
    "\"Object\":[{\"name\":\"url\",\"Attribute\":[{\"uuid\":\"o1\",\"type\":\"url\",\"value\":\"https://bad.example/p?q=1\",\"to_ids\":true}]}]}}";

static void misp(void **st)
{
    (void)st;
    struct vg_intel_builder *b = vg_intel_builder_new();
    struct vg_intel_report rep = VG_INTEL_REPORT_INIT;
    assert_int_equal(vg_intel_load_buffer(b, "misp", misp_event, sizeof misp_event - 1, &rep), 0);
    assert_int_equal(rep.objects, 8);
    assert_int_equal(rep.skipped, 1);
    assert_int_equal(rep.indicators, 7);
    assert_int_equal(rep.accepted, 5);
    assert_int_equal(rep.rejected, 2);
    assert_true(has_reason(&rep, "unsupported MISP attribute type 'comment'"));
    assert_true(has_reason(&rep, "not a hex digest"));
    struct vg_err err = VG_ERR_INIT;
    struct vg_intel_set *s = vg_intel_build(b, &err);
    int64_t now = vg_now_ns();
    struct vg_intel_hit h[16];
    assert_int_equal(match1(s, "destination.ip", "203.0.113.9", now, h), 1);
    assert_int_equal(h[0].ind->confidence, 90);
    assert_string_equal(h[0].ind->name, "Test campaign");
    assert_int_equal(match1(s, "destination.ip", "203.0.113.10", now, NULL), 1);
    assert_int_equal(match1(s, "dns.question.name", "x.c2.bad.example", now, NULL), 1);
    assert_int_equal(match1(s, "file.hash.sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b856", now, NULL), 1);
    assert_int_equal(match1(s, "source.ip", "203.0.113.11", now, NULL), 0);          /* to_ids false */
    assert_int_equal(match1(s, "dns.question.name", "exact.bad.example", now, NULL), 1);
    assert_int_equal(match1(s, "dns.question.name", "sub.exact.bad.example", now, NULL), 0); /* hostname: exact */
    assert_int_equal(match1(s, "url.full", "https://bad.example/p?q=1", now, NULL), 1);
    vg_intel_set_unref(s);
    vg_intel_report_release(&rep);
}

static void text_csv(void **st)
{
    (void)st;
    static const char csv[] = "value,type\n# comment\n192.0.2.0/24,cidr\nbad.example.org,domain\n"
                              "http://x.example/a,url\n???,\nda39a3ee5e6b4b0d3255bfef95601890afd80709\n"
                              "notanip,ip\n";
    struct vg_intel_builder *b = vg_intel_builder_new();
    struct vg_intel_report rep = VG_INTEL_REPORT_INIT;
    assert_int_equal(vg_intel_load_buffer(b, "list.csv", csv, sizeof csv - 1, &rep), 0);
    assert_int_equal(rep.indicators, 6);
    assert_int_equal(rep.accepted, 4);
    assert_int_equal(rep.rejected, 2);
    assert_true(has_reason(&rep, "cannot tell the type"));
    assert_true(has_reason(&rep, "not an IP address"));
    assert_int_equal(rep.atoms[VG_INTEL_SHA1], 1);
    struct vg_err err = VG_ERR_INIT;
    struct vg_intel_set *s = vg_intel_build(b, &err);
    assert_int_equal(match1(s, "client.ip", "192.0.2.200", 0, NULL), 1);
    assert_int_equal(match1(s, "dns.question.name", "a.bad.example.org", 0, NULL), 1);
    vg_intel_set_unref(s);
    vg_intel_report_release(&rep);
}

static void alert_from_hit(void **st)
{
    (void)st;
    struct vg_intel_builder *b = vg_intel_builder_new();
    struct vg_intel_report rep = VG_INTEL_REPORT_INIT;
    assert_int_equal(vg_intel_load_stix(b, "t", stix_valid, sizeof stix_valid - 1, &rep), 0);
    struct vg_err err = VG_ERR_INIT;
    struct vg_intel_set *s = vg_intel_build(b, &err);
    struct vg_arena a = VG_ARENA_INIT;
    struct vg_event ev;
    vg_event_init(&ev, &a);
    ev.ts = vg_time_from_civil(2020, 6, 1, 0, 0, 0);
    ev.tenant = "acme";
    vg_event_add_ip(&ev, VG_FID_DESTINATION_IP, VG_FF_ECS, "198.51.100.7", 12);
    vg_event_finish(&ev);
    struct vg_intel_hit h[4];
    assert_int_equal(vg_intel_match_event(s, &ev, h, 4, NULL), 1);
    struct vg_alert al;
    assert_int_equal(vg_intel_alert_build(&al, &a, &h[0], &ev, vg_now_ns()), 0);
    assert_string_equal(al.rule_id, "intel:indicator--a");
    assert_string_equal(al.title, "Threat intel match: window");
    assert_int_equal(al.level, VG_ALERT_MEDIUM);
    assert_int_equal(al.nmatched, 1);
    assert_string_equal(al.matched[0].name, "destination.ip");
    assert_string_equal(al.matched[0].value, "198.51.100.7");
    assert_non_null(al.json);
    assert_non_null(strstr(al.json, "intel.feed:t"));
    assert_non_null(strstr(al.json, "intel.confidence:80"));
    assert_non_null(strstr(al.json, "intel.valid_until:2021-01-01T00:00:00Z"));
    vg_arena_release(&a);
    vg_intel_set_unref(s);
    vg_intel_report_release(&rep);
}

/* ---- STIX AND: conjunctions on one observed object (= one event) ---- */

#define MD5X "0123456789abcdef0123456789abcdef"
static const char stix_and[] =
    "{\"type\":\"bundle\",\"objects\":["
    "{\"type\":\"indicator\",\"id\":\"i-hashname\",\"pattern_type\":\"stix\","
    "\"pattern\":\"[file:hashes.MD5 = '" MD5X "' AND file:name = 'evil.exe']\"},"
    "{\"type\":\"indicator\",\"id\":\"i-ipport\",\"pattern_type\":\"stix\","
    "\"pattern\":\"[network-traffic:dst_ref.value = '198.51.100.9' AND network-traffic:dst_port = 443]\"},"
    "{\"type\":\"indicator\",\"id\":\"i-or\",\"pattern_type\":\"stix\","
    "\"pattern\":\"[ipv4-addr:value = '198.51.100.10' AND file:name = 'x.exe'] OR [domain-name:value = 'evil.example']\"},"
    "{\"type\":\"indicator\",\"id\":\"i-dnf\",\"pattern_type\":\"stix\","
    "\"pattern\":\"[(domain-name:value = 'a.example' OR domain-name:value = 'b.example') AND url:value = 'http://c.example/x']\"},"
    "{\"type\":\"indicator\",\"id\":\"i-re\",\"pattern_type\":\"stix\","
    "\"pattern\":\"[domain-name:value = 'c2.example' AND process:command_line MATCHES '^cmd(\\\\.exe)? /c']\"},"
    "{\"type\":\"indicator\",\"id\":\"i-like\",\"pattern_type\":\"stix\","
    "\"pattern\":\"[ipv4-addr:value = '198.51.100.11' AND process:name LIKE 'power%.ex_']\"},"
    "{\"type\":\"indicator\",\"id\":\"i-num\",\"pattern_type\":\"stix\","
    "\"pattern\":\"[ipv4-addr:value = '198.51.100.12' AND file:size > 1000]\"},"
    "{\"type\":\"indicator\",\"id\":\"i-not\",\"pattern_type\":\"stix\","
    "\"pattern\":\"[ipv4-addr:value = '198.51.100.13' AND file:name NOT = 'good.exe']\"},"
    "{\"type\":\"indicator\",\"id\":\"i-subset\",\"pattern_type\":\"stix\","
    "\"pattern\":\"[network-traffic:dst_port IN (22, 2222) AND network-traffic:dst_ref.value ISSUBSET '203.0.113.0/28']\"},"
    "{\"type\":\"indicator\",\"id\":\"r-obsand\",\"pattern_type\":\"stix\","
    "\"pattern\":\"[ipv4-addr:value = '198.51.100.14'] AND [domain-name:value = 'x.example']\"},"
    "{\"type\":\"indicator\",\"id\":\"r-x509\",\"pattern_type\":\"stix\","
    "\"pattern\":\"[x509-certificate:issuer = 'CN=X' AND x509-certificate:serial_number = '01']\"},"
    "{\"type\":\"indicator\",\"id\":\"r-badre\",\"pattern_type\":\"stix\","
    "\"pattern\":\"[ipv4-addr:value = '198.51.100.15' AND file:name MATCHES '(']\"},"
    "{\"type\":\"indicator\",\"id\":\"r-mutex\",\"pattern_type\":\"stix\","
    "\"pattern\":\"[ipv4-addr:value = '198.51.100.16' AND mutex:name = 'm']\"},"
    "{\"type\":\"indicator\",\"id\":\"r-typed\",\"pattern_type\":\"stix\","
    "\"pattern\":\"[ipv4-addr:value = '198.51.100.17' AND file:name = h'ff']\"}"
    "]}";

/* Matches an event made of NULL-terminated (field, value) pairs; numbers
 * ("#443") are added as integers. Returns the hit indicator ids joined by ','. */
static const char *match_ev(const struct vg_intel_set *s, char *out, size_t outsz, ...)
{
    struct vg_arena a = VG_ARENA_INIT;
    struct vg_event ev;
    vg_event_init(&ev, &a);
    ev.ts = vg_time_from_civil(2024, 1, 1, 0, 0, 0);
    va_list ap;
    va_start(ap, outsz);
    const char *k;
    while ((k = va_arg(ap, const char *)) != NULL) {
        const char *v = va_arg(ap, const char *);
        uint32_t fid = vg_fid(k, strlen(k));
        if (v[0] == '#') {
            int64_t n = 0;
            vg_parse_i64(v + 1, strlen(v + 1), &n);
            vg_event_add_int(&ev, fid, VG_FF_ECS, n);
        } else {
            vg_event_add_str_copy(&ev, fid, VG_FF_ECS, v, strlen(v));
        }
    }
    va_end(ap);
    struct vg_intel_hit h[16];
    size_t n = vg_intel_match_event(s, &ev, h, 16, NULL);
    out[0] = 0;
    size_t off = 0;
    for (size_t i = 0; i < n && i < 16; i++) {
        bool dup = false;
        for (size_t k2 = 0; k2 < i; k2++) dup |= h[k2].ind == h[i].ind;
        if (!dup) off += (size_t)snprintf(out + off, outsz - off, "%s%s", off ? "," : "", h[i].ind->id);
    }
    vg_arena_release(&a);
    return out;
}

static void and_patterns(void **st)
{
    (void)st;
    struct vg_intel_builder *b = vg_intel_builder_new();
    struct vg_intel_report rep = VG_INTEL_REPORT_INIT;
    assert_int_equal(vg_intel_load_stix(b, "and", stix_and, sizeof stix_and - 1, &rep), 0);
    for (size_t i = 0; i < rep.nrej; i++) printf("rejected %s: %s\n", rep.rej[i].id, rep.rej[i].reason);
    assert_int_equal(rep.indicators, 14);
    assert_int_equal(rep.accepted, 9);
    assert_int_equal(rep.rejected, 5);
    assert_true(has_reason(&rep, "observation-level AND"));
    assert_true(has_reason(&rep, "no comparison in the AND of 2 (first x509-certificate:issuer) can be indexed"));
    assert_true(has_reason(&rep, "regular expression does not compile"));
    assert_true(has_reason(&rep, "unsupported object path mutex:name"));
    assert_true(has_reason(&rep, "typed literal"));
    struct vg_err err = VG_ERR_INIT;
    struct vg_intel_set *s = vg_intel_build(b, &err);
    assert_non_null(s);
    char o[256];
    /* hash AND name: both on the event, or nothing */
    assert_string_equal(match_ev(s, o, sizeof o, "file.hash.md5", MD5X, "file.name", "evil.exe", NULL), "i-hashname");
    assert_string_equal(match_ev(s, o, sizeof o, "file.hash.md5", MD5X, "file.name", "other.exe", NULL), "");
    assert_string_equal(match_ev(s, o, sizeof o, "file.hash.md5", MD5X, NULL), "");
    assert_string_equal(match_ev(s, o, sizeof o, "file.name", "evil.exe", NULL), "");
    /* address AND port (an integer field) */
    assert_string_equal(match_ev(s, o, sizeof o, "destination.ip", "198.51.100.9", "destination.port", "#443", NULL), "i-ipport");
    assert_string_equal(match_ev(s, o, sizeof o, "destination.ip", "198.51.100.9", "destination.port", "#80", NULL), "");
    /* the port of the source side is another property */
    assert_string_equal(match_ev(s, o, sizeof o, "destination.ip", "198.51.100.9", "source.port", "#443", NULL), "");
    /* OR of an AND and a plain comparison */
    assert_string_equal(match_ev(s, o, sizeof o, "dns.question.name", "www.evil.example", NULL), "i-or");
    assert_string_equal(match_ev(s, o, sizeof o, "source.ip", "198.51.100.10", NULL), "");
    assert_string_equal(match_ev(s, o, sizeof o, "source.ip", "198.51.100.10", "file.name", "x.exe", NULL), "i-or");
    /* (a OR b) AND c: indexed on the URL, either domain verifies; one hit */
    assert_string_equal(match_ev(s, o, sizeof o, "url.full", "http://c.example/x", "url.domain", "b.example", NULL), "i-dnf");
    assert_string_equal(match_ev(s, o, sizeof o, "url.full", "http://c.example/x", "url.domain", "d.example", NULL), "");
    /* MATCHES, LIKE, numbers, NOT */
    assert_string_equal(match_ev(s, o, sizeof o, "dns.question.name", "c2.example", "process.command_line", "cmd.exe /c whoami", NULL), "i-re");
    assert_string_equal(match_ev(s, o, sizeof o, "dns.question.name", "c2.example", "process.command_line", "notepad", NULL), "");
    assert_string_equal(match_ev(s, o, sizeof o, "source.ip", "198.51.100.11", "process.name", "powershell.exe", NULL), "i-like");
    assert_string_equal(match_ev(s, o, sizeof o, "source.ip", "198.51.100.11", "process.name", "pwsh.exe", NULL), "");
    assert_string_equal(match_ev(s, o, sizeof o, "source.ip", "198.51.100.12", "file.size", "#4096", NULL), "i-num");
    assert_string_equal(match_ev(s, o, sizeof o, "source.ip", "198.51.100.12", "file.size", "#1000", NULL), "");
    assert_string_equal(match_ev(s, o, sizeof o, "source.ip", "198.51.100.13", "file.name", "bad.exe", NULL), "i-not");
    assert_string_equal(match_ev(s, o, sizeof o, "source.ip", "198.51.100.13", NULL), "i-not"); /* absent: not 'good.exe' */
    assert_string_equal(match_ev(s, o, sizeof o, "source.ip", "198.51.100.13", "file.name", "good.exe", NULL), "");
    /* ISSUBSET indexed, IN verified */
    assert_string_equal(match_ev(s, o, sizeof o, "destination.ip", "203.0.113.5", "destination.port", "#2222", NULL), "i-subset");
    assert_string_equal(match_ev(s, o, sizeof o, "destination.ip", "203.0.113.5", "destination.port", "#23", NULL), "");
    assert_string_equal(match_ev(s, o, sizeof o, "destination.ip", "203.0.113.17", "destination.port", "#22", NULL), "");
    /* a single-value check lists the indicator holding the value (no event to verify) */
    struct vg_intel_hit h[4];
    assert_int_equal(vg_intel_lookup(s, MD5X, 32, h, 4), 1);
    assert_string_equal(h[0].ind->id, "i-hashname");
    vg_intel_set_unref(s);
    vg_intel_report_release(&rep);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stix_counts),  cmocka_unit_test(event_hits), cmocka_unit_test(warninglists),
        cmocka_unit_test(lpm_random),   cmocka_unit_test(validity_and_malformed), cmocka_unit_test(misp),
        cmocka_unit_test(text_csv), cmocka_unit_test(alert_from_hit), cmocka_unit_test(and_patterns),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
