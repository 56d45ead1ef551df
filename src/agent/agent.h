/* vigil-agent internals: the on-disk spool (spool.c), file tailing
 * (tail.c), the TLS channel to the server (channel.c) and the command line
 * (main.c), the journal (journal.c) and the posture reports (posture.c,
 * whose inventory and hardening scans run in the helper vigil-agent-scan,
 * scan/scan.c). Single-threaded: one loop tails files into the spool and
 * ships the spool to the server. Design: docs/internals/agent.md. */
#ifndef VG_AGENT_H
#define VG_AGENT_H

#include "vigil/core.h"
#include "vigil/agent_proto.h"
#include <stdio.h>

/* ---- spool ------------------------------------------------------------ */
/* Segment files DIR/spool/NNNNNNNNNNNNNNNN.seg of records
 *   [u32 len][u32 crc32(payload)][payload = u64 dev, u64 inode, u64 end
 *   offset of the line in its file, then one vg_ap record]
 * plus DIR/spool/state (read position, sequence numbers, the in-flight
 * frame and loss counters). */
#define VG_SPOOL_SEG_BYTES (4u << 20)
#define VG_SPOOL_MAX_REC (3u << 20)   /* one record (a posture document may be big); below VG_AP_MAX_FRAME */
/* Records whose source starts with this are posture documents (JSON) and
 * travel in RECORD frames; everything else (log lines) in LOG frames. */
#define VG_AGENT_REC_PREFIX "vigil:"

struct vg_spool {
    char dir[1024];
    uint64_t first_seg, write_seg;   /* oldest existing segment, segment being appended */
    uint64_t write_off;
    FILE *wf;                        /* open write segment */
    uint64_t read_seg, read_off;     /* next record to send */
    uint64_t next_seq;               /* sequence number of the next new frame */
    /* in-flight frame: sent (or about to be), not yet acknowledged */
    uint64_t fl_seq, fl_seg, fl_end; /* fl_seq 0 = none; range [read_off, fl_end) of fl_seg */
    uint64_t cap_bytes;              /* total spool cap */
    uint64_t bytes;                  /* current total segment bytes */
    uint64_t lost_records;           /* dropped because the spool was full */
    uint64_t corrupt;                /* corrupt regions skipped */
    bool in_corrupt;                 /* the read position is inside a corrupt region (counted already) */
    uint64_t spooled;                /* records appended (this run) */
    uint64_t acked;                  /* records acknowledged (this run) */
};

/* Opens (creating) DIR/spool: loads the state, validates the last segment
 * (a torn final record from a crash is cut off). */
int vg_spool_open(struct vg_spool *sp, const char *data_dir, uint64_t cap_bytes, struct vg_err *err);
void vg_spool_close(struct vg_spool *sp);
/* Where a spooled line came from: the tail position after it. */
struct vg_spool_pos { uint64_t dev, ino, end_off; };
/* Appends one record (not yet durable: call vg_spool_sync). Drops the
 * oldest segments, counting the lost records, when over the cap. */
int vg_spool_append(struct vg_spool *sp, const struct vg_spool_pos *pos, int64_t ts, const char *src, size_t srclen,
                    const char *data, size_t len, struct vg_err *err);
/* Calls cb for every record of the newest segments (those a crash between
 * a spool write and the tail state write can concern), oldest first. */
void vg_spool_positions(const struct vg_spool *sp, void (*cb)(void *ctx, const struct vg_spool_pos *pos,
                                                               const char *src, size_t srclen), void *ctx);
/* Flushes and fdatasyncs the write segment. */
int vg_spool_sync(struct vg_spool *sp, struct vg_err *err);
/* Is this encoded vg_ap record a posture document (VG_AGENT_REC_PREFIX)? */
bool vg_spool_is_record(const void *rec, size_t n);
/* Builds the next LOG or RECORD frame (one kind per frame) into out: the in-flight one again when there
 * is one, else up to max_bytes of records from the read position (which
 * becomes the new in-flight frame, persisted before returning). Returns
 * 1 with a frame, 0 when there is nothing to send. Corrupt records are
 * skipped and counted. */
int vg_spool_next_frame(struct vg_spool *sp, struct vg_buf *out, size_t max_bytes, size_t max_records,
                        struct vg_err *err);
/* The frame fl_seq was acknowledged: advance past it and persist. */
int vg_spool_ack(struct vg_spool *sp, uint64_t seq, struct vg_err *err);
/* After the server's HELLO: its last committed seq. Acknowledges the
 * in-flight frame if the server has it and renumbers what follows. */
int vg_spool_resync(struct vg_spool *sp, uint64_t server_last_seq, struct vg_err *err);
/* Records not yet acknowledged (approximate: bytes / 1 when unknown). */
uint64_t vg_spool_pending_bytes(const struct vg_spool *sp);
int vg_spool_save(struct vg_spool *sp, struct vg_err *err);

uint32_t vg_crc32(const void *p, size_t n);

/* ---- tailing ---------------------------------------------------------- */
#define VG_TAIL_MAX_FILES 64
#define VG_TAIL_MAX_LINE (64u * 1024u)

struct vg_tail_file {
    char path[1024];
    int fd;
    uint64_t dev, ino, off;
};

struct vg_tail {
    char state_path[1100];
    struct vg_tail_file *f;          /* n of them (allocated: most agents tail few files) */
    size_t n;
    bool from_end;
    int64_t last_ts;
    char *buf;
    size_t reconciled;
};

int vg_tail_open(struct vg_tail *t, const char *data_dir, const char *const *paths, size_t n, bool from_end,
                 struct vg_err *err);
void vg_tail_close(struct vg_tail *t);
/* After a crash the spool may hold lines beyond the saved positions (the
 * positions are written after the spool): moves each file's offset past
 * the last of its lines found in the spool, so none is read twice. */
int vg_tail_reconcile(struct vg_tail *t, const struct vg_spool *sp, struct vg_err *err);
/* Reads what is new in every file into the spool (at most max_lines this
 * call), syncs the spool, then persists the positions. Returns lines read. */
long vg_tail_poll(struct vg_tail *t, struct vg_spool *sp, long max_lines, struct vg_err *err);

/* ---- posture reports (posture.c) -------------------------------------- */
#include "vigil/fim.h"
#define VG_POSTURE_MAX_PATHS 256
#define VG_POSTURE_DOC_MAX (VG_SPOOL_MAX_REC - 4096) /* a posture document must fit one spool record */

struct vg_posture_conf {
    char root[1024];                 /* root prefix of inventory and hardening ("/") */
    char policy[1024];               /* hardening policy; "" = vg_sca_default_policy */
    bool inventory, hardening, fim;  /* which reports run (all by default) */
    int64_t inventory_ns, hardening_ns, fim_scan_ns; /* intervals */
    int64_t scan_timeout_ns;         /* a scan child still running after this is killed */
    char scanner[1024];              /* the scan helper; "" = VG_AGENT_SCANNER next to vigil-agent */
    char *fim_paths[VG_POSTURE_MAX_PATHS];   /* owned; none = the built-in list */
    size_t nfim_paths;
    char *fim_ignore[VG_POSTURE_MAX_PATHS];  /* fnmatch globs, owned */
    size_t nfim_ignore;
};

enum { VG_SCAN_INVENTORY, VG_SCAN_HARDENING, VG_SCAN_KINDS };
#define VG_AGENT_SCANNER "vigil-agent-scan"

/* The scan child running (one at a time): docs/internals/agent.md. */
struct vg_scan_child {
    int pid, fd, kind;               /* pid -1 = none; fd: read end of its pipe (-1 after EOF) */
    int64_t ts, started, deadline;   /* ts: the document's, chosen by the parent */
    struct vg_buf out;               /* what it wrote so far (at most the document cap) */
    const char *fail;                /* set when its output is refused already (timeout, cap) */
    bool killed;
};

struct vg_posture {
    const struct vg_posture_conf *conf;
    char host[128];
    char inv_path[1100], fim_path[1100];     /* DATA/inventory.json, DATA/fim.baseline */
    char inv_next[1100];                     /* DATA/inventory.json.new, written by the inventory child */
    char scanner[1100];                      /* the scan helper's path */
    struct vg_scan_child child;
    uint64_t runs[VG_SCAN_KINDS], scan_failures;
    struct vg_fim_config fim;
    struct vg_fim_watch *watch;
    int64_t next_inv, next_harden, next_fim_scan, fim_saved, started, last_ts;
    bool inv_sent, fim_dirty, first_done;
    uint64_t docs, inv_reports, harden_reports;
};

/* Prepares the reports (the first ones run on the first poll). conf must
 * outlive p. Never fails today (0). */
int vg_posture_open(struct vg_posture *p, const struct vg_posture_conf *conf, const char *data_dir, const char *host,
                    struct vg_err *err);
/* Runs what is due into the spool, syncing it: FIM events and full scans
 * in the calling process; inventory and hardening by starting a scan child
 * and, on later calls, collecting its document. Errors (including a scan
 * child that crashed, hung past scan_timeout or wrote something malformed)
 * are logged and counted, never fatal. Returns documents appended. */
long vg_posture_poll(struct vg_posture *p, struct vg_spool *sp);
/* The fd to wait on (poll POLLIN) while idle, so a finished scan is
 * collected at once: the running scan child's pipe, or -1. */
int vg_posture_wait_fd(const struct vg_posture *p);
void vg_posture_close(struct vg_posture *p);

/* ---- systemd journal (journal.c) -------------------------------------- */
struct vg_journal {
    bool on;                         /* configured and journalctl found */
    char cmd[1024];                  /* journalctl path */
    char since[64];                  /* --since when there is no cursor */
    char state_path[1100];           /* DATA/journal.cursor */
    char cursor[512];                /* last spooled entry's __CURSOR */
    int pid, fd;                     /* the journalctl child and its stdout (-1 none) */
    char *buf;                       /* partial line */
    size_t len;
    bool skipping;                   /* discarding an over-long line */
    int64_t next_start, backoff_ns, last_ts;
    uint64_t entries, bad, restarts;
};
/* mode: "auto" (on when journalctl is found on PATH), "yes", "no". */
int vg_journal_open(struct vg_journal *j, const char *data_dir, const char *mode, const char *cmd, const char *since,
                    struct vg_err *err);
/* Reads what journalctl printed (starting or restarting it as needed),
 * appends one LOG record per entry (source "journal", time = the entry's
 * __REALTIME_TIMESTAMP, text = an RFC 5424 line), syncs the spool, then
 * persists the cursor. Returns entries read or a negative error. */
long vg_journal_poll(struct vg_journal *j, struct vg_spool *sp, long max, struct vg_err *err);
void vg_journal_close(struct vg_journal *j);
/* Maps one `journalctl -o json` line to an RFC 5424 line in out; the
 * cursor (may be "") and realtime (ns, 0 if absent) are returned.
 * VG_EPARSE for a line that is not a journal entry. (Exported for tests.) */
int vg_journal_entry_format(const char *json, size_t n, struct vg_buf *out, char *cursor, size_t cursz,
                            int64_t *realtime_ns);

/* ---- channel ---------------------------------------------------------- */
struct vg_chan;
struct vg_chan_conf {
    const char *server;      /* HOST:PORT */
    const char *cert, *key, *ca;   /* PEM paths; cert NULL = enrollment connection */
    int timeout_ms;
};
int vg_chan_connect(struct vg_chan **out, const struct vg_chan_conf *c, struct vg_err *err);
void vg_chan_close(struct vg_chan *ch);
int vg_chan_send(struct vg_chan *ch, const struct vg_buf *frame, struct vg_err *err);
/* Waits up to timeout_ms for one frame; its payload is valid until the
 * next call. VG_ETIMEOUT, VG_ECLOSED, VG_EPARSE/VG_ETOOBIG on bad input. */
int vg_chan_recv(struct vg_chan *ch, struct vg_ap_frame *f, int timeout_ms, struct vg_err *err);
/* Enrollment: checks that the server's certificate was signed by ca_pem
 * and names "vigil-server". */
int vg_chan_check_server(struct vg_chan *ch, const char *ca_pem, size_t len, struct vg_err *err);
/* SHA-256 (hex) of the first certificate in a PEM file / string. */
int vg_pem_fingerprint(const char *pem, size_t len, char out[65]);

#endif
