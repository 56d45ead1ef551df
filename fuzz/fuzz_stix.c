/* libFuzzer target: the STIX pattern parser (src/detect/intel/pattern.c)
 * on the raw input (AND / OR conjunctions, constraints), then the input as
 * a STIX bundle through vg_intel_load_stix, building the set, checking a
 * few values and matching an event whose fields the constraints read. */
#include "detect/intel/internal.h"

/* Checks the conjunction handed over: an index type, values and
 * constraints that point at real values and field tables. */
static int add_cb(void *ctx, const struct intel_pconj *cj, char *why, size_t whysz)
{
    (void)why;
    (void)whysz;
    size_t *n = ctx;
    if (cj->type < 0 || cj->type >= VG_INTEL_NTYPES || !cj->nv) __builtin_trap();
    for (size_t i = 0; i < cj->nv; i++) (*n) += cj->vals[i].len ? 1 : 0;
    for (size_t i = 0; i < cj->ncons; i++) {
        if (!cj->cons[i].fields || !cj->cons[i].fields[0] || cj->cons[i].op > COP_SUBSET) __builtin_trap();
        for (size_t k = 0; k < cj->cons[i].nv; k++) (*n) += cj->cons[i].vals[k].len;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20)) return 0;
    char why[256];
    size_t n = 0;
    struct intel_pattern_cb cb = {add_cb, NULL, &n};
    (void)intel_stix_pattern((const char *)data, size, &cb, why, sizeof why);

    struct vg_intel_builder *b = vg_intel_builder_new();
    struct vg_intel_report rep = VG_INTEL_REPORT_INIT;
    if (!b) return 0;
    (void)vg_intel_load_stix(b, "fuzz", (const char *)data, size, &rep);
    struct vg_err err = VG_ERR_INIT;
    struct vg_intel_set *s = vg_intel_build(b, &err);
    if (s) {
        static const char *vals[] = {"10.0.0.1", "2001:db8::1", "a.example.com", "http://x/y",
                                     "d41d8cd98f00b204e9800998ecf8427e", "a@b.example"};
        for (size_t i = 0; i < sizeof vals / sizeof *vals; i++)
            (void)vg_intel_check_value(s, vals[i], strlen(vals[i]), 0, NULL, 0, NULL);
        struct vg_field f[6];
        memset(f, 0, sizeof f);
        const char *names[6] = {"destination.ip", "destination.port", "file.hash.md5", "file.name", "dns.question.name", "process.command_line"};
        const char *fv[6] = {"10.0.0.1", "443", "d41d8cd98f00b204e9800998ecf8427e", "a.exe", "a.example.com", "cmd /c x"};
        for (int i = 0; i < 6; i++) {
            f[i].name = vg_fid(names[i], strlen(names[i]));
            f[i].v.type = VG_V_STR;
            f[i].v.u.s = fv[i];
            f[i].v.len = (uint32_t)strlen(fv[i]);
        }
        struct vg_event ev;
        memset(&ev, 0, sizeof ev);
        ev.fields = f;
        ev.nfields = 6;
        struct vg_intel_hit h[8];
        (void)vg_intel_match_event(s, &ev, h, 8, NULL);
        vg_intel_set_unref(s);
    }
    vg_intel_report_release(&rep);
    return 0;
}
