/* bench_incidents: alerts per second through incident grouping and risk
 * (src/respond/, docs/internals/incidents.md) on a SQLite store in a
 * temporary directory. Generates N alert rows over a few hours with
 * entities drawn from pools (hosts, users, public and private addresses,
 * rules with tactics), stores them one row each (the baseline: what
 * storing an alert costs the writer), then times the processor grouping
 * all of them (entity counts, candidate lookups, merges, recomputing every
 * touched incident with entity risk), and the entity risk list.
 * Prints both rates and their ratio.
 *   bench_incidents [--alerts N] [--hosts H] [--seed S] [--keep DIR]
 * --keep stores into DIR (which must not exist) and leaves it, so two
 * builds' incidents can be compared with sqlite3. */
#include "vigil/respond.h"
#include <sys/stat.h>
#include <unistd.h>

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static const char *const TACTICS[] = {"credential_access", "discovery", "execution", "persistence", "privilege_escalation",
                                      "initial_access", "command_and_control", "lateral_movement"};

int main(int argc, char **argv)
{
    size_t n = 50000, hosts = 500;
    const char *keep = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        uint64_t v;
        if (!strcmp(argv[i], "--keep")) { keep = argv[i + 1]; continue; }
        if (vg_parse_u64(argv[i + 1], strlen(argv[i + 1]), &v) || !v) { fprintf(stderr, "bad value %s\n", argv[i + 1]); return 2; }
        if (!strcmp(argv[i], "--alerts")) n = (size_t)v;
        else if (!strcmp(argv[i], "--hosts")) hosts = (size_t)v;
        else if (!strcmp(argv[i], "--seed")) rng = v;
        else { fprintf(stderr, "usage: bench_incidents [--alerts N] [--hosts H] [--seed S] [--keep DIR]\n"); return 2; }
    }
    char dir[256];
    if (keep) snprintf(dir, sizeof dir, "%s", keep);
    else snprintf(dir, sizeof dir, "/tmp/vg_bench_incidents_%d", (int)getpid());
    mkdir(dir, 0700);
    struct vg_store *st = NULL;
    struct vg_respond *rsp = NULL;
    struct vg_err e = VG_ERR_INIT;
    int rc = 1;
    struct vg_alert *al = NULL;
    const struct vg_alert **pv = NULL;
    char (*names)[4][64] = NULL;
    struct vg_buf *js = NULL;
    if (vg_store_open(&st, dir, &e) || vg_respond_new(&rsp, dir, NULL, &e)) {
        fprintf(stderr, "bench_incidents: %s\n", e.msg);
        goto out;
    }
    /* ---- generate and store (baseline) ---- */
    al = vg_calloc(1000, sizeof *al);
    pv = vg_calloc(1000, sizeof *pv);
    names = vg_calloc(1000, sizeof *names);
    js = vg_calloc(1000, sizeof *js);
    if (!al || !pv || !names || !js) goto out;
    int64_t t0 = 1900000000LL * 1000000000LL, span = 6 * 3600LL * 1000000000LL;
    int64_t store_ns = 0;
    for (size_t done = 0; done < n;) {
        size_t k = n - done < 1000 ? n - done : 1000;
        for (size_t i = 0; i < k; i++) {
            struct vg_alert *a = &al[i];
            memset(a, 0, sizeof *a);
            uint64_t r = next();
            snprintf(names[i][0], 64, "host-%llu", (unsigned long long)(r % hosts));
            snprintf(names[i][1], 64, "user%llu", (unsigned long long)(next() % (hosts * 4)));
            uint64_t ip = next();
            unsigned o1 = (unsigned)(20 + ip % 180), o2 = (unsigned)((ip >> 8) % 256), o3 = (unsigned)((ip >> 16) % 256),
                     o4 = (unsigned)(1 + (ip >> 24) % 250);
            if (ip % 3) snprintf(names[i][2], 64, "%u.%u.%u.%u", o1, o2, o3, o4);
            else snprintf(names[i][2], 64, "10.%u.%u.%u", o2 % 16, o3, o4);
            uint64_t rule = next() % 40;
            snprintf(names[i][3], 64, "rule-%02llu", (unsigned long long)rule);
            a->tenant = "default";
            a->ts = a->created = t0 + (int64_t)((double)done / (double)n * (double)span) + (int64_t)(next() % 1000000000ULL);
            a->level = (int)(rule % 5 == 0 ? VG_ALERT_HIGH : rule % 2 ? VG_ALERT_LOW : VG_ALERT_MEDIUM);
            a->status = "open";
            a->rule_id = a->title = names[i][3];
            a->rule_status = "experimental";
            a->tactics = (struct vg_alert_strs){&TACTICS[rule % VG_ARRAY_LEN(TACTICS)], 1};
            uint8_t ev[16] = {0};
            uint64_t seq = done + i + 1;
            memcpy(ev, &seq, sizeof seq);
            memcpy(a->event_id, ev, 16);
            vg_alert_make_id("default", a->rule_id, ev, a->id);
            a->host_name = names[i][0];
            a->user_name = next() % 4 ? names[i][1] : "root";
            a->source_ip = next() % 2 ? names[i][2] : NULL;
            js[i].len = 0;
            if (vg_alert_to_json(a, &js[i])) goto out;
            a->json = js[i].data;
            a->json_len = js[i].len;
            pv[i] = a;
        }
        size_t stored = 0;
        int64_t s0 = vg_mono_ns();
        if (st->ops->put_alerts(st, pv, k, &stored, &e)) { fprintf(stderr, "bench_incidents: %s\n", e.msg); goto out; }
        store_ns += vg_mono_ns() - s0;
        done += k;
    }
    /* ---- group ---- */
    size_t processed = 0;
    int64_t g0 = vg_mono_ns();
    if (vg_respond_run(rsp, &processed, &e)) { fprintf(stderr, "bench_incidents: %s\n", e.msg); goto out; }
    int64_t group_ns = vg_mono_ns() - g0;
    struct vg_respond_stats rs;
    vg_respond_stats(rsp, &rs);
    /* ---- risk list ---- */
    struct vg_buf out = VG_BUF_INIT;
    int64_t r0 = vg_mono_ns();
    if (vg_risk_list_json(st, "default", t0 + span, NULL, 100, &out, &e)) { fprintf(stderr, "bench_incidents: %s\n", e.msg); goto out; }
    int64_t risk_ns = vg_mono_ns() - r0;
    vg_buf_release(&out);
    double store_rate = (double)n / ((double)store_ns / 1e9), group_rate = (double)processed / ((double)group_ns / 1e9);
    printf("alerts %zu, hosts %zu, users %zu, rules 40\n", n, hosts, hosts * 4);
    printf("baseline: storing alerts one row each     %10.0f alerts/s (%.2f s)\n", store_rate, (double)store_ns / 1e9);
    printf("grouping + risk (vg_respond_run)          %10.0f alerts/s (%.2f s)\n", group_rate, (double)group_ns / 1e9);
    printf("  incidents opened %llu, automatic merges %llu, rounds %llu\n", (unsigned long long)rs.incidents_new,
           (unsigned long long)rs.merges, (unsigned long long)rs.rounds);
    printf("entity risk list over %zu alerts           %10.1f ms\n", n, (double)risk_ns / 1e6);
    printf("ratio grouping/storing: %.2f\n", group_rate / store_rate);
    rc = 0;
out:
    for (size_t i = 0; js && i < 1000; i++) vg_buf_release(&js[i]);
    vg_free(js);
    vg_free(names);
    vg_free(pv);
    vg_free(al);
    vg_respond_free(rsp);
    vg_store_close(st);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (!keep && system(cmd) != 0) rc = 1;
    return rc;
}
