/* Test-only loader: evtx_dump-style JSON ({"Event": {"System": ..,
 * "EventData": ..}}, several objects concatenated) -> vg_event with the
 * field names SigmaHQ rules use. Written because the real JSON decoder
 * (json branch) had not landed when these tests were written. */
#ifndef VG_TEST_EVTX_JSON_H
#define VG_TEST_EVTX_JSON_H
#include "vigil/event.h"

/* Decodes every object of text into events pushed onto batch. Returns the
 * number of events, or -1 on malformed JSON. */
int test_evtx_json_load(const char *text, size_t len, struct vg_batch *batch);
/* Reads a whole file (vg_malloc'd, NUL-terminated); NULL on error. */
char *test_read_file(const char *path, size_t *len);
#endif
