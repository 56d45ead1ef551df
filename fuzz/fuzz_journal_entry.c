/* Fuzz target: vigil-agent's mapping of one `journalctl -o json` line to an
 * RFC 5424 line (src/agent/journal.c, vg_journal_entry_format). journalctl
 * writes well-formed JSON, but MESSAGE and the other fields carry whatever
 * any local process logged: hostile bytes, huge values, binary fields
 * (arrays of numbers), missing or odd timestamps. */
#include "agent.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vg_buf out = VG_BUF_INIT;
    out.cap_limit = 1u << 20;
    char cursor[512];
    int64_t rt = 0;
    if (vg_journal_entry_format((const char *)data, size, &out, cursor, sizeof cursor, &rt) == 0) {
        /* the line must be one line: no raw newline may reach the syslog framing */
        for (size_t i = 0; i < out.len; i++)
            if (out.data[i] == '\n') __builtin_trap();
    }
    vg_buf_release(&out);
    return 0;
}
