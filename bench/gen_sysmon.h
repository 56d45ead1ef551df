/* Synthetic Windows event generator for the Sigma benchmark and the
 * fast-path equivalence test: Sysmon (1, 3, 7, 11, 12, 13, 22), PowerShell
 * 4104 and Security 4624/4625/4688 events as pre-decoded vg_events with the
 * field names evtx_dump-style JSON flattens to (Channel, EventID, Computer,
 * Provider_Name + EventData names). Values are drawn from lists of realistic
 * processes, command lines, paths, registry keys, domains and users; about
 * 1 % of events carry attacker tradecraft modelled on public SigmaHQ rule
 * patterns (nothing here knows which rules they hit: the benchmark counts).
 * Deterministic for a given seed and index. */
#ifndef VG_BENCH_GEN_SYSMON_H
#define VG_BENCH_GEN_SYSMON_H
#include "vigil/event.h"

/* Fills ev (already vg_event_init'ed on an arena) with event number i of
 * the stream for seed. Strings are static or copied into ev->arena.
 * Returns 0 or VG_ENOMEM. */
int vg_gen_sysmon_event(uint64_t seed, uint64_t i, struct vg_event *ev);
/* Appends ev (as built by vg_gen_sysmon_event) to out as one evtx_dump-style
 * JSON line: {"Event":{"System":{Provider, EventID, Channel, Computer,
 * EventRecordID, TimeCreated},"EventData":{every other field}}}\n, the shape
 * the json decoder maps back to the same Sigma field names. Returns 0 or
 * VG_ENOMEM. */
struct vg_buf;
int vg_gen_sysmon_json(const struct vg_event *ev, struct vg_buf *out);
/* Share of events built from attacker tradecraft, in 1/10000 (100 = 1 %). */
#define VG_GEN_EVIL_PER_10K 100

#endif
