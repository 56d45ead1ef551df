/* Host inventory (posture layer, issue 5 item 3): collectors that read the
 * state of a host under a root prefix (OS and kernel, interfaces, packages,
 * users and groups with password state, sudoers, SSH authorized keys,
 * listening sockets with their process, processes, systemd services), a
 * typed snapshot with JSON serialisation both ways, and a diff of two
 * snapshots into change records that become vg_events rules can match.
 *
 * Ownership: every string of a snapshot lives in snap->arena; the arrays are
 * vg_realloc'd and freed by vg_inv_snapshot_free. Change records likewise
 * belong to their struct vg_inv_changes. Live-only sources are read from
 * <root>/proc and <root>/sys, so fixture trees can stand in for a host;
 * getifaddrs, uname and systemctl are used only when root is "/". */
#ifndef VIGIL_INVENTORY_H
#define VIGIL_INVENTORY_H

#include "vigil/core.h"
#include "vigil/event.h"

/* Caps: bounded memory on hostile hosts and files. */
#define VG_INV_MAX_FILE     (16u << 20) /* bytes read from one file */
#define VG_INV_MAX_ITEMS    200000      /* entries per category */
#define VG_INV_MAX_INCLUDE  8           /* sudoers include depth */
#define VG_INV_MAX_ISSUES   32          /* issue messages kept (all counted) */

struct vg_inv_os {
    const char *hostname, *os_id, *os_name, *os_version, *os_version_id, *os_codename, *os_pretty;
    const char *kernel_name, *kernel_release, *kernel_version, *machine;
    int64_t boot_time;          /* UTC seconds, 0 when unknown */
};

struct vg_inv_iface {
    const char *name, *mac, *state; /* state: operstate ("up", "down", "unknown") */
    int64_t mtu;                    /* -1 when unknown */
    const char *addrs;              /* comma-separated "addr/prefix", sorted; "" when none */
};

struct vg_inv_pkg {
    const char *name, *version, *arch, *source, *status;
    const char *format;        /* "deb" or "rpm" */
    const char *source_version;/* deb: "Source: name (ver)" ver, else version; rpm: "" */
    bool installed;            /* vg_pkg_is_installed */
};

/* Password state of an account, from shadow (or the passwd field when it
 * holds a hash itself). */
enum vg_inv_pw {
    VG_INV_PW_UNKNOWN = 0, /* shadow unreadable */
    VG_INV_PW_SET,         /* a hash */
    VG_INV_PW_EMPTY,       /* empty field: login without password */
    VG_INV_PW_LOCKED,      /* hash starting with '!' */
    VG_INV_PW_DISABLED,    /* '*' or another non-hash: no password login */
    VG_INV_PW_MISSING,     /* passwd says 'x' but shadow has no entry */
};
const char *vg_inv_pw_name(enum vg_inv_pw pw);

struct vg_inv_user {
    const char *name, *gecos, *home, *shell;
    int64_t uid, gid;
    const char *groups;        /* comma-separated names, primary first then sorted */
    enum vg_inv_pw pw;
    int64_t last_change;       /* shadow field 3 (days since epoch), -1 when unknown */
    bool interactive;          /* shell is not nologin/false */
};

struct vg_inv_group {
    const char *name;
    int64_t gid;
    const char *members;       /* comma-separated, sorted */
};

enum vg_inv_sudo_kind { VG_INV_SUDO_USER, VG_INV_SUDO_ALIAS, VG_INV_SUDO_DEFAULTS, VG_INV_SUDO_INCLUDE };
struct vg_inv_sudo {
    enum vg_inv_sudo_kind kind;
    const char *file;
    int line;
    const char *principal;     /* user, %group, alias name, or the Defaults target */
    const char *hosts, *runas, *commands;
    bool nopasswd;
    const char *text;          /* the whole logical line, blanks collapsed */
};
const char *vg_inv_sudo_kind_name(enum vg_inv_sudo_kind k);

struct vg_inv_key {
    const char *user, *file;
    int line;
    const char *type, *fingerprint, *comment, *options; /* fingerprint "SHA256:<base64 no pad>" */
};

struct vg_inv_port {
    const char *proto;         /* tcp, tcp6, udp, udp6 */
    const char *addr;          /* local address text */
    int port;
    uint64_t inode;
    int64_t uid;
    int64_t pid;               /* -1 when no process found */
    const char *process;       /* comm, "" when unknown */
};

struct vg_inv_proc {
    int64_t pid, ppid, uid;
    const char *name, *user, *cmdline, *exe, *state;
    int64_t start_time;        /* UTC seconds (boot_time + starttime/HZ), 0 when unknown */
};

struct vg_inv_service {
    const char *name, *path;
    const char *enabled;       /* enabled, disabled, static, masked */
    const char *active;        /* active, inactive, failed, ..., "unknown" when not live */
    const char *sub;           /* running, exited, dead, ... or "unknown" */
};

#define VG_INV_ARRAY(T, f) T *f; size_t n##f, cap_##f
struct vg_inv_snapshot {
    struct vg_arena arena;
    const char *root;
    bool live;                 /* root is "/": uname, getifaddrs, systemctl allowed */
    bool oom;                  /* sticky: an allocation failed during collection */
    int64_t collected_at;      /* UTC ns */
    int64_t collect_ns;        /* wall time to collect */
    struct vg_inv_os os;
    VG_INV_ARRAY(struct vg_inv_iface, ifaces);
    VG_INV_ARRAY(struct vg_inv_pkg, pkgs);
    VG_INV_ARRAY(struct vg_inv_user, users);
    VG_INV_ARRAY(struct vg_inv_group, groups);
    VG_INV_ARRAY(struct vg_inv_sudo, sudo);
    VG_INV_ARRAY(struct vg_inv_key, keys);
    VG_INV_ARRAY(struct vg_inv_port, ports);
    VG_INV_ARRAY(struct vg_inv_proc, procs);
    VG_INV_ARRAY(struct vg_inv_service, services);
    size_t pkgs_known;         /* dpkg-query -W count (state != not-installed) */
    size_t pkgs_installed;     /* state installed */
    const char *rpmdb;         /* rpm database path when present, else "" */
    size_t pkgs_rpm;           /* packages read from it (counted in pkgs_known/installed) */
    size_t issues_total;       /* malformed lines/files seen (all collectors) */
    char issues[VG_INV_MAX_ISSUES][160];
    size_t nissues;
};
#undef VG_INV_ARRAY

/* Collector bits for vg_inv_collect. */
#define VG_INV_OS       0x001u
#define VG_INV_IFACES   0x002u
#define VG_INV_PKGS     0x004u
#define VG_INV_USERS    0x008u /* users and groups */
#define VG_INV_SUDO     0x010u
#define VG_INV_KEYS     0x020u /* needs users */
#define VG_INV_PORTS    0x040u
#define VG_INV_PROCS    0x080u
#define VG_INV_SERVICES 0x100u
#define VG_INV_ALL      0x1ffu

/* Allocates an empty snapshot for root ("/" when NULL); NULL on OOM. */
struct vg_inv_snapshot *vg_inv_snapshot_new(const char *root);
void vg_inv_snapshot_free(struct vg_inv_snapshot *s);

/* Runs the selected collectors into s. Missing sources (no dpkg, no proc)
 * leave their section empty; malformed input is counted in s->issues*.
 * Returns 0, VG_ENOMEM, or VG_ETOOBIG past a cap (err says which). */
int vg_inv_collect(struct vg_inv_snapshot *s, unsigned what, struct vg_err *err);

/* Individual collectors (used by vg_inv_collect; exported for tests). */
int vg_inv_collect_os(struct vg_inv_snapshot *s, struct vg_err *err);
int vg_inv_collect_ifaces(struct vg_inv_snapshot *s, struct vg_err *err);
int vg_inv_collect_pkgs(struct vg_inv_snapshot *s, struct vg_err *err);
int vg_inv_collect_users(struct vg_inv_snapshot *s, struct vg_err *err);
int vg_inv_collect_sudo(struct vg_inv_snapshot *s, struct vg_err *err);
int vg_inv_collect_keys(struct vg_inv_snapshot *s, struct vg_err *err);
int vg_inv_collect_ports(struct vg_inv_snapshot *s, struct vg_err *err);
int vg_inv_collect_procs(struct vg_inv_snapshot *s, struct vg_err *err);
int vg_inv_collect_services(struct vg_inv_snapshot *s, struct vg_err *err);

/* Text parsers behind the collectors (fuzzed): each appends to s. proto is
 * "tcp", "tcp6", "udp" or "udp6"; only listening (TCP LISTEN / unconnected
 * UDP) sockets are kept. Malformed lines are counted, never fatal. */
int vg_inv_parse_proc_net(struct vg_inv_snapshot *s, const char *proto, const char *data, size_t n);
/* passwd + group + shadow texts (shadow may be NULL: unreadable). */
int vg_inv_parse_accounts(struct vg_inv_snapshot *s, const char *passwd, size_t npasswd, const char *group,
                          size_t ngroup, const char *shadow, size_t nshadow);
/* One sudoers file; includes are followed only when s->root is set and
 * depth < VG_INV_MAX_INCLUDE. */
int vg_inv_parse_sudoers(struct vg_inv_snapshot *s, const char *file, const char *data, size_t n, int depth);
int vg_inv_parse_authorized_keys(struct vg_inv_snapshot *s, const char *user, const char *file, const char *data,
                                 size_t n);

/* Counters for the summary line. */
size_t vg_inv_count_uid0(const struct vg_inv_snapshot *s);

/* JSON: serialises the whole snapshot (one object). */
int vg_inv_to_json(const struct vg_inv_snapshot *s, struct vg_buf *out);
/* Loads a snapshot written by vg_inv_to_json. VG_EPARSE with detail in err
 * on bad JSON or wrong types. Caller frees *out. */
int vg_inv_from_json(const char *text, size_t n, struct vg_inv_snapshot **out, struct vg_err *err);

/* ---- changes ---------------------------------------------------------- */

#define VG_INV_CHANGE_MAX_FIELDS 10
struct vg_inv_change {
    const char *category;  /* ECS event.category: package, iam, network, configuration, host, process */
    const char *type;      /* ECS event.type: creation, deletion, change, start, end, installation, ... */
    const char *action;    /* package_installed, user_created, port_opened, ... */
    const char *subject;   /* what changed: package name, user name, "tcp 0.0.0.0:22" ... */
    const char *before;    /* short text of the old state ("" when none) */
    const char *after;     /* short text of the new state */
    struct { const char *name, *value; } fields[VG_INV_CHANGE_MAX_FIELDS]; /* ECS fields */
    size_t nfields;
};

struct vg_inv_changes {
    struct vg_arena arena;
    struct vg_inv_change *v;
    size_t n, cap;
};
#define VG_INV_CHANGES_INIT {VG_ARENA_INIT, NULL, 0, 0}
void vg_inv_changes_release(struct vg_inv_changes *c);

/* Appends to out every difference between old and cur (old may be NULL: no
 * changes, the first snapshot is the baseline). Processes are not diffed
 * (too volatile); ports are keyed by proto, address and port. */
int vg_inv_diff(const struct vg_inv_snapshot *old, const struct vg_inv_snapshot *cur, struct vg_inv_changes *out);

/* Builds an event from a change: event.kind=event, event.module=inventory,
 * event.category/type/action, host.name, the change's ECS fields, and
 * vigil.inventory.before/after; raw = vg_inv_change_json. ev must be
 * initialised on an arena. */
int vg_inv_change_to_event(const struct vg_inv_change *c, const char *host, int64_t ts, struct vg_event *ev);
int vg_inv_change_json(const struct vg_inv_change *c, const char *host, struct vg_buf *out);

#endif
