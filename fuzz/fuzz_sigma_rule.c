/* libFuzzer target: Sigma rule YAML -> loader + compiler (filters applied,
 * the prefilter: covers, Vectorscan databases) + matching. The input is loaded
 * as a rule file; when something loads, the set is compiled and a small
 * fixed event is matched through the fast path and the naive evaluator,
 * which must agree (a difference aborts: differential fuzzing of the
 * prefilter). */
#include <stdlib.h>
#include <stdint.h>
#include <stddef.h>
#include "vigil/sigma.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vg_sigma_set *set = vg_sigma_set_new();
    if (!set) return 0;
    const char *vals[] = {"root", "10.0.0.1"};
    vg_sigma_set_placeholder(set, "admins", vals, 2);
    struct vg_sigma_report rep = VG_SIGMA_REPORT_INIT;
    vg_sigma_load_string(set, (const char *)data, size, "fuzz.yml", &rep);
    if (rep.loaded && vg_sigma_compile_report(set, &rep, NULL) == 0) {
        struct vg_sigma_ctx *ctx = vg_sigma_ctx_new(set);
        if (ctx) {
            struct vg_arena ar;
            vg_arena_init(&ar, 4096);
            struct vg_event ev;
            vg_event_init(&ev, &ar);
            static const char raw[] = "C:\\Windows\\System32\\cmd.exe /c whoami -enc Zm9vYmFy";
            vg_event_set_raw(&ev, raw, sizeof raw - 1);
            vg_event_add_str(&ev, vg_fid("Image", 5), 0, "C:\\Windows\\System32\\cmd.exe", 27);
            /* as decoders do: a value pointing into the raw text, its ECS
             * copy (same bytes), and a value that is not in the raw text */
            vg_event_add_str(&ev, vg_fid("CommandLine", 11), 0, ev.raw, ev.raw_len);
            vg_event_add_str(&ev, vg_fid("process.command_line", 20), 1, ev.raw, ev.raw_len);
            vg_event_add_str(&ev, vg_fid("User", 4), 0, "NT AUTHORITY\\SYSTEM sekurlsa::x", 31);
            vg_event_add_int(&ev, vg_fid("EventID", 7), 0, 1);
            vg_event_add_ip(&ev, vg_fid("ip", 2), 0, "10.1.2.3", 8);
            vg_event_add_null(&ev, vg_fid("N", 1), 0);
            /* hash indicators (hex-run keys): runs at value start, after '=', glued to more hex */
            static const char hs[] = "SHA1=0123456789ABCDEF0123456789ABCDEF01234567,MD5=00112233445566778899aabbccddeeff99,X";
            vg_event_add_str(&ev, vg_fid("Hashes", 6), 0, hs, sizeof hs - 1);
            vg_event_add_str(&ev, vg_fid("sha256", 6), 0, hs + 5, 40);
            const struct vg_sigma_hit *hits;
            int nf = vg_sigma_match(ctx, &ev, &hits);
            const struct vg_sigma_rule *first = nf > 0 ? hits[0].rule : NULL;
            int nn = vg_sigma_match_naive(ctx, &ev, &hits);
            if (nf != nn || (nn > 0 && hits[0].rule != first)) abort();
            vg_arena_release(&ar);
            vg_sigma_ctx_free(ctx);
        }
    }
    vg_sigma_report_release(&rep);
    vg_sigma_set_free(set);
    return 0;
}
