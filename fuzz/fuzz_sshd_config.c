/* libFuzzer target: the sshd_config parser used on fixture roots (first
 * value wins, Match skipping, Include recursion, algorithm list +/-/^
 * forms, defaults) and the `sshd -T` dump parser. Include'd files are
 * served from the input itself, so recursion limits are exercised. */
#include <stdint.h>
#include <stddef.h>
#include "posture/sca/internal.h"

struct src { const char *data; size_t size; int reads; };

static int rd(void *user, const char *path, char **text, size_t *len)
{
    struct src *s = user;
    (void)path;
    if (++s->reads > 200) return VG_ETOOBIG;
    *text = (char *)s->data;
    *len = s->size;
    return 0;
}

static int gl(void *user, const char *pattern, const char ***paths)
{
    static const char *one[] = {"/etc/ssh/sshd_config.d/fuzz.conf"};
    (void)user;
    (void)pattern;
    *paths = one;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20)) return 0;
    struct vg_arena ar;
    vg_arena_init(&ar, 65536);
    ar.cap = 256u << 20;
    struct src s = {(const char *)data, size, 0};
    struct vg__sca_sshd_parse ps = {.ar = &ar, .read = rd, .glob = gl, .user = &s};
    if (vg__sca_sshd_parse_text(&ps, (const char *)data, size, "/etc/ssh/sshd_config") == 0)
        (void)vg__sca_sshd_defaults(&ps);
    for (size_t i = 0; i < ps.n; i++)
        if (!ps.kv[i].key || !ps.kv[i].value) __builtin_trap();
    struct vg__sca_sshd_parse dump = {.ar = &ar};
    (void)vg__sca_sshd_parse_dump(&dump, (const char *)data, size);
    vg_arena_release(&ar);
    return 0;
}
