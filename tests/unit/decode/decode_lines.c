/* Test tool: decodes each line of stdin with vg_decode() and prints the
 * event as one JSON object per line (vg_event_to_json). Used by the
 * decode_coverage and OpenSSH tests (decode_coverage.py) and by hand:
 *   decode_lines [--year YYYY] [--recv RFC3339] < lines
 * Lines may be up to 16 MiB; the receive time defaults to a fixed
 * instant so output is reproducible. */
#include "vigil/decode.h"

int main(int argc, char **argv)
{
    struct vg_decode_opts opts = {0};
    int64_t recv = 0;
    vg_time_parse_iso("2026-06-01T00:00:00Z", 20, &recv);
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--year") == 0) {
            int64_t y;
            if (vg_parse_i64(argv[i + 1], strlen(argv[i + 1]), &y) == 0) opts.default_year = y;
        } else if (strcmp(argv[i], "--recv") == 0) {
            vg_time_parse_iso(argv[i + 1], strlen(argv[i + 1]), &recv);
        } else if (strcmp(argv[i], "--format") == 0) {
            opts.format = argv[i + 1];
        }
    }
    struct vg_buf line = VG_BUF_INIT, out = VG_BUF_INIT;
    line.cap_limit = out.cap_limit = 64u << 20;
    struct vg_arena arena;
    vg_arena_init(&arena, 1 << 16);
    int c, rc = 0;
    for (;;) {
        c = getchar();
        if (c != EOF && c != '\n') {
            if (vg_buf_addc(&line, (char)c) != 0) { rc = 1; break; }
            continue;
        }
        if (c == EOF && line.len == 0) break;
        struct vg_event ev;
        vg_event_init(&ev, &arena);
        ev.recv_ts = recv;
        ev.collector = "file";
        size_t n = line.len;
        if (n && line.data[n - 1] == '\r') n--;
        if (vg_event_set_raw(&ev, line.data ? line.data : "", n) != 0) { rc = 1; break; }
        struct vg_err err = VG_ERR_INIT;
        vg_decode(&ev, &opts, &err);
        vg_buf_reset(&out);
        if (vg_event_to_json(&ev, &out) != 0) { rc = 1; break; }
        fwrite(out.data, 1, out.len, stdout);
        fputc('\n', stdout);
        vg_buf_reset(&line);
        vg_arena_reset(&arena);
        if (c == EOF) break;
    }
    vg_buf_release(&line);
    vg_buf_release(&out);
    vg_arena_release(&arena);
    return rc;
}
