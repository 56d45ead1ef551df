/* Fuzz target: the incident processor's digest of an alert record
 * (src/respond/case.c vg__rsp_facts, vg__rsp_row_entities) and the entity
 * extraction and weak-entity rule of risk.c, on arbitrary bytes as the
 * stored JSON record and as the host/user/ip columns. Checks the bounds
 * the processor relies on: facts fit VG__FACTS_MAX, entities fit their
 * slots and are NUL-terminated. */
#include "respond/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16) return 0;
    char cols[3][96];
    size_t off = 0;
    for (int k = 0; k < 3; k++) { /* the first bytes up to three NULs are the columns */
        size_t n = 0;
        while (off < size && data[off] && n < sizeof cols[k] - 1) cols[k][n++] = (char)data[off++];
        cols[k][n] = 0;
        if (off < size) off++;
    }
    struct vg_inc_alert a = {.rule_id = size && (data[0] & 1) ? "intel:x" : "r", .host = cols[0], .user = cols[1],
                             .source_ip = cols[2], .json = (const char *)data + off, .json_len = size - off};
    char facts[VG__FACTS_MAX];
    vg__rsp_facts(&a, facts);
    if (strlen(facts) >= VG__FACTS_MAX) __builtin_trap();
    char ents[8][VG_INC_ENTITY_MAX];
    size_t n = vg__rsp_row_entities(&a, facts, ents, 8);
    if (n > 8) __builtin_trap();
    for (size_t i = 0; i < n; i++) {
        if (strnlen(ents[i], VG_INC_ENTITY_MAX) >= VG_INC_ENTITY_MAX) __builtin_trap();
        (void)vg_entity_strength(ents[i], i * 20, 50);
        (void)vg_ip_is_private(ents[i]);
    }
    n = vg_alert_entities(&a, ents, 8);
    if (n > 8) __builtin_trap();
    return 0;
}
