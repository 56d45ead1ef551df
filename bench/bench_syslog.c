/* Micro-benchmark of the syslog decode chain on one core: a deterministic
 * mix of realistic sshd / PAM / sudo / cron / su / logind lines is decoded
 * with vg_decode() (RFC 3164 + program decoder, raw copied into the batch
 * arena as ingest does). Baselines over the same buffer in the same run:
 *   - memchr line split (the floor: touching every byte once),
 *   - an sscanf() parse of the syslog header (what a naive decoder does).
 * Prints events/s for each and the ratios.
 *   bench_syslog [lines=200000] [passes=5] */
#include "vigil/decode.h"

static const char *const users[] = {"root", "alice", "bob", "admin", "oracle", "deploy", "www-data", "test"};

static size_t gen_line(char *out, size_t cap, uint32_t i)
{
    uint32_t r = i * 2654435761u;
    unsigned a = (r >> 24) & 255, b = (r >> 16) & 255, c = (r >> 8) & 255, d = r & 255;
    const char *u = users[(r >> 5) % 8];
    unsigned pid = 1000 + (r % 50000), port = 1024 + (r % 60000);
    int n;
    switch (i % 10) {
    case 0: n = snprintf(out, cap, "Dec 10 06:55:%02u LabSZ sshd[%u]: Failed password for invalid user %s from %u.%u.%u.%u port %u ssh2", i % 60, pid, u, a, b, c, d, port); break;
    case 1: n = snprintf(out, cap, "Dec 10 06:55:%02u LabSZ sshd[%u]: Accepted publickey for %s from %u.%u.%u.%u port %u ssh2: RSA SHA256:Qx3bQ9qHc1u2n", i % 60, pid, u, a, b, c, d, port); break;
    case 2: n = snprintf(out, cap, "Dec 10 06:55:%02u LabSZ sshd[%u]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=%u.%u.%u.%u  user=%s", i % 60, pid, a, b, c, d, u); break;
    case 3: n = snprintf(out, cap, "Dec 10 06:55:%02u LabSZ sshd[%u]: Received disconnect from %u.%u.%u.%u port %u:11: Bye Bye [preauth]", i % 60, pid, a, b, c, d, port); break;
    case 4: n = snprintf(out, cap, "Dec 10 06:55:%02u LabSZ sshd[%u]: Invalid user %s from %u.%u.%u.%u port %u", i % 60, pid, u, a, b, c, d, port); break;
    case 5: n = snprintf(out, cap, "Dec 10 06:55:%02u web1 sudo:     %s : TTY=pts/%u ; PWD=/home/%s ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx", i % 60, u, i % 9, u); break;
    case 6: n = snprintf(out, cap, "Dec 10 06:55:%02u web1 CRON[%u]: (%s) CMD (cd / && run-parts --report /etc/cron.hourly)", i % 60, pid, u); break;
    case 7: n = snprintf(out, cap, "Dec 10 06:55:%02u web1 CRON[%u]: pam_unix(cron:session): session opened for user %s(uid=0) by (uid=0)", i % 60, pid, u); break;
    case 8: n = snprintf(out, cap, "Dec 10 06:55:%02u web1 su[%u]: (to root) %s on pts/%u", i % 60, pid, u, i % 9); break;
    default: n = snprintf(out, cap, "Dec 10 06:55:%02u web1 systemd-logind[812]: New session %u of user %s.", i % 60, i, u); break;
    }
    return n < 0 ? 0 : (size_t)n;
}

static double secs(int64_t ns) { return (double)ns / 1e9; }

int main(int argc, char **argv)
{
    int64_t nlines = 200000, passes = 5;
    if (argc > 1) vg_parse_i64(argv[1], strlen(argv[1]), &nlines);
    if (argc > 2) vg_parse_i64(argv[2], strlen(argv[2]), &passes);
    if (nlines <= 0 || passes <= 0) return 2;
    struct vg_buf buf = VG_BUF_INIT;
    buf.cap_limit = 1u << 30;
    char line[512];
    for (int64_t i = 0; i < nlines; i++) {
        size_t n = gen_line(line, sizeof line, (uint32_t)i);
        if (vg_buf_add(&buf, line, n) || vg_buf_addc(&buf, '\n')) return 1;
    }
    const char *end = buf.data + buf.len;
    int64_t total = nlines * passes;

    /* baseline 1: memchr line split */
    volatile size_t sink = 0;
    int64_t t0 = vg_mono_ns();
    for (int64_t p = 0; p < passes; p++)
        for (const char *s = buf.data; s < end;) {
            const char *e = memchr(s, '\n', (size_t)(end - s));
            sink += (size_t)(e - s);
            s = e + 1;
        }
    int64_t t_split = vg_mono_ns() - t0;

    /* baseline 2: sscanf() of the syslog header */
    t0 = vg_mono_ns();
    for (int64_t p = 0; p < passes; p++)
        for (const char *s = buf.data; s < end;) {
            const char *e = memchr(s, '\n', (size_t)(end - s));
            size_t n = (size_t)(e - s);
            memcpy(line, s, n < sizeof line - 1 ? n : sizeof line - 1);
            line[n < sizeof line - 1 ? n : sizeof line - 1] = 0;
            char mon[4], host[64], prog[64];
            int day, h, m, sec, pid = 0;
            int k = sscanf(line, "%3s %d %d:%d:%d %63s %63[^[:][%d]", mon, &day, &h, &m, &sec, host, prog, &pid);
            sink += (size_t)k + (size_t)pid;
            s = e + 1;
        }
    int64_t t_scanf = vg_mono_ns() - t0;

    /* Vigil: vg_decode over every line, arena reset per batch of 1024 */
    struct vg_arena arena;
    vg_arena_init(&arena, 1 << 20);
    int64_t ok = 0, progs = 0, recv = 0;
    vg_time_parse_iso("2026-06-01T00:00:00Z", 20, &recv);
    t0 = vg_mono_ns();
    for (int64_t p = 0; p < passes; p++) {
        int batch = 0;
        for (const char *s = buf.data; s < end;) {
            const char *e = memchr(s, '\n', (size_t)(end - s));
            struct vg_event ev;
            vg_event_init(&ev, &arena);
            ev.recv_ts = recv;
            if (vg_event_set_raw(&ev, s, (size_t)(e - s)) == 0 && vg_decode(&ev, NULL, NULL) == 0) {
                ok++;
                if (strchr(ev.format, '+')) progs++;
            }
            if (++batch == 1024) { vg_arena_reset(&arena); batch = 0; }
            s = e + 1;
        }
        vg_arena_reset(&arena);
    }
    int64_t t_dec = vg_mono_ns() - t0;
    vg_arena_release(&arena);

    double r_split = total / secs(t_split), r_scanf = total / secs(t_scanf), r_dec = total / secs(t_dec);
    printf("bench_syslog: %lld lines x %lld passes, %.1f MB per pass, mix sshd/pam/sudo/cron/su/logind\n",
           (long long)nlines, (long long)passes, (double)buf.len / 1e6);
    printf("  baseline memchr split : %12.0f lines/s  (%.0f MB/s)\n", r_split, (double)buf.len * passes / 1e6 / secs(t_split));
    printf("  baseline sscanf header: %12.0f lines/s\n", r_scanf);
    printf("  vg_decode (full chain): %12.0f events/s (%.0f MB/s), %lld/%lld decoded, %lld by a program decoder\n", r_dec,
           (double)buf.len * passes / 1e6 / secs(t_dec), (long long)ok, (long long)total, (long long)progs);
    printf("  ratio vg_decode / sscanf header = %.2f, vg_decode / memchr split = %.3f\n", r_dec / r_scanf, r_dec / r_split);
    vg_buf_release(&buf);
    return ok == total && sink ? 0 : 1;
}
