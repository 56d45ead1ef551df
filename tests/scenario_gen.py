#!/usr/bin/env python3
"""Scenario generator (issue 4): a multi-host Linux attack hidden in hours of
ordinary activity, as RFC 3164 syslog lines in time order, plus a manifest
of what the attack is, so a test can check how Vigil groups it.

Everything is drawn from a seeded random generator (Python stdlib only):
host names, user names, addresses, how many attempts, and every time
offset change with the seed; nothing is tuned to one fixture.

The attack (one external address ATT, two target hosts A and B):
  1. a port scan: firewall drop lines from ATT to a dozen or more closed
     ports of A, B and of the noisy bastion host;
  2. SSH password guessing from ATT against one real account (VICTIM) and
     root on A and B;
  3. a successful password login for VICTIM on A from ATT;
  4. sudo to a root shell by VICTIM on A;
  5. a new local account (BACKDOOR) created and added to the sudo group on A;
  6. BACKDOOR's crontab replaced on A;
  7. an outbound connection from A to C2, an address from a STIX feed.
The noise, over --hours before "now" (and a little after the attack):
  - staff log in with keys and passwords, some mistype a password first;
  - administrators run sudo (service restarts, package updates, sometimes
    `sudo -i`) and sometimes fail a root password from their workstation;
  - cron runs hourly jobs on every host (A and B included);
  - a monitoring probe fails a login from 127.0.0.1 now and then;
  - an internet-facing bastion host takes constant SSH guessing and port
    probes from many scanner addresses (a host with constant noise).
Noise that raises alerts stays off A and B (ordinary logins and cron runs
there raise none), so every alert on A or B, or naming ATT, is the attack's.

Usage: scenario_gen.py --seed N --c2 IP --out DIR [--hours H] [--now EPOCH]
writes DIR/scenario.log (one line per event) and DIR/manifest.json."""
import argparse
import json
import os
import random
import time

MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()

HOST_WORDS = ["web", "db", "app", "cache", "mq", "ci", "mon", "files", "api", "auth", "build", "log", "vpn", "mail"]
STAFF = ["alice", "bruno", "chen", "dana", "elif", "farid", "greta", "hiro", "ines", "jonas", "kemal", "lena", "marek",
         "nadia", "oscar", "priya", "quinn", "rosa", "sven", "tariq", "ulla", "vera", "wei", "yusuf", "zora"]
VICTIMS = ["deploy", "jenkins", "backup", "appsvc", "reports", "etl", "webops", "gitlab"]
BACKDOORS = ["sysupdate", "svc-sync", "ntp-helper", "kworkerd", "dbus-daemon2", "support1", "maint"]
SCAN_USERS = ["admin", "test", "oracle", "ubuntu", "pi", "guest", "user", "ftpuser", "postgres", "git", "minecraft",
              "centos", "hadoop", "steam", "teamspeak"]


def syslog_time(ts):
    t = time.gmtime(ts)
    return "%s %2d %02d:%02d:%02d" % (MONTHS[t.tm_mon - 1], t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec)


class Scenario:
    def __init__(self, seed, c2, hours, now):
        self.r = random.Random(seed)
        self.seed = seed
        self.c2 = c2
        self.now = now
        self.start = now - hours * 3600
        self.events = []  # (ts, host, tag, msg, attack)
        self.pid = 1000 + self.r.randrange(5000)
        r = self.r
        names = r.sample(HOST_WORDS, 10)
        self.hosts = ["%s-%02d" % (n, r.randrange(1, 99)) for n in names]
        self.a, self.b = self.hosts[0], self.hosts[1]
        self.bastion = "bastion-%02d" % r.randrange(1, 99)
        self.others = self.hosts[2:2 + r.randint(5, 8)]
        self.ip = {h: "10.%d.%d.%d" % (r.randrange(1, 250), r.randrange(0, 250), r.randrange(2, 250))
                   for h in self.hosts + [self.bastion]}
        staff = r.sample(STAFF, 12)
        self.admins, self.users = staff[:3], staff[3:]
        self.ws = {u: "10.20.%d.%d" % (r.randrange(0, 250), r.randrange(2, 250)) for u in staff}
        self.victim = r.choice(VICTIMS)
        self.backdoor = "%s%d" % (r.choice(BACKDOORS), r.randrange(2, 99))
        self.att = "%s.%d" % (r.choice(["198.51.100", "203.0.113", "192.0.2"]), r.randrange(2, 254))

    def next_pid(self):
        self.pid += self.r.randrange(1, 40)
        return self.pid

    def add(self, ts, host, tag, msg, attack=False):
        self.events.append((ts, host, tag, msg, attack))

    def sshd(self, ts, host, msg, attack=False):
        self.add(ts, host, "sshd[%d]" % self.next_pid(), msg, attack)

    def drop(self, ts, host, src, dport, attack=False):
        self.add(ts, host, "kernel", "[%d.%06d] [UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00 "
                 "SRC=%s DST=%s LEN=44 TOS=0x00 PREC=0x00 TTL=%d ID=%d PROTO=TCP SPT=%d DPT=%d WINDOW=1024 RES=0x00 SYN URGP=0"
                 % (self.r.randrange(1000, 900000), self.r.randrange(1000000), src, self.ip[host], self.r.randrange(30, 250),
                    self.r.randrange(65535), self.r.randrange(1024, 65535), dport), attack)

    def public_ip(self):
        while True:
            ip = "%d.%d.%d.%d" % (self.r.choice([23, 45, 61, 77, 80, 91, 103, 131, 141, 176, 185, 193, 212]),
                                  self.r.randrange(256), self.r.randrange(256), self.r.randrange(1, 255))
            if ip not in (self.att, self.c2):
                return ip

    # ---- ordinary activity -----------------------------------------------------------
    def noise(self, t0, t1):
        r = self.r
        everyone = self.hosts[:2] + self.others + [self.bastion]
        # hourly cron on every host, attack hosts included (no alert)
        h = int(t0 // 3600) * 3600 + 17 * 60
        while h < t1:
            for host in everyone:
                if h >= t0:
                    self.add(h + r.randrange(0, 3), host, "CRON[%d]" % self.next_pid(),
                             "(root) CMD (cd / && run-parts --report /etc/cron.hourly)")
            h += 3600
        # staff logins: keys mostly, passwords sometimes after a typo (typos only off A and B)
        for _ in range(int((t1 - t0) / 3600 * 12)):
            u = r.choice(self.users + self.admins)
            ts = r.uniform(t0, t1)
            on_target = r.random() < 0.2
            host = r.choice([self.a, self.b]) if on_target else r.choice(self.others)
            if not on_target and r.random() < 0.25:
                for k in range(r.randint(1, 2)):
                    self.sshd(ts + k * r.randint(3, 9), host, "Failed password for %s from %s port %d ssh2"
                              % (u, self.ws[u], r.randrange(40000, 65000)))
                ts += 20
                self.sshd(ts, host, "Accepted password for %s from %s port %d ssh2" % (u, self.ws[u], r.randrange(40000, 65000)))
            else:
                self.sshd(ts, host, "Accepted publickey for %s from %s port %d ssh2: ED25519 SHA256:%08x"
                          % (u, self.ws[u], r.randrange(40000, 65000), r.getrandbits(32)))
        # the victim account is used by automation on the targets (no alert)
        for _ in range(int((t1 - t0) / 3600 * 2)):
            host = r.choice([self.a, self.b])
            self.sshd(r.uniform(t0, t1), host, "Accepted publickey for %s from %s port %d ssh2: RSA SHA256:%08x"
                      % (self.victim, self.ip[self.others[0]], r.randrange(40000, 65000), r.getrandbits(32)))
        # administrators: sudo on other hosts, a root shell now and then, a failed root password
        cmds = ["/usr/bin/systemctl restart nginx", "/usr/bin/apt-get update", "/usr/bin/journalctl -u postgresql",
                "/usr/bin/tail -n 200 /var/log/syslog", "/usr/sbin/service cron status", "/bin/bash"]
        for _ in range(int((t1 - t0) / 3600 * 5)):
            a = r.choice(self.admins)
            host = r.choice(self.others)
            cmd = r.choice(cmds) if r.random() < 0.85 else "/bin/bash"
            self.add(r.uniform(t0, t1), host, "sudo", "  %s : TTY=pts/%d ; PWD=/home/%s ; USER=root ; COMMAND=%s"
                     % (a, r.randrange(0, 4), a, cmd))
            if r.random() < 0.15:
                self.sshd(r.uniform(t0, t1), host, "Failed password for root from %s port %d ssh2"
                          % (self.ws[a], r.randrange(40000, 65000)))
        # a monitoring probe with a stale password, from the host itself
        for _ in range(int((t1 - t0) / 3600 * 1.5)):
            host = r.choice(self.others)
            self.sshd(r.uniform(t0, t1), host, "Failed password for nagios from 127.0.0.1 port %d ssh2" % r.randrange(40000, 65000))
        # the bastion: internet background, many scanners, a few tries each
        for _ in range(int((t1 - t0) / 3600 * 22)):
            src = self.public_ip()
            ts = r.uniform(t0, t1)
            for k in range(r.randint(1, 3)):
                name = r.choice(SCAN_USERS + ["root"])
                port = r.randrange(30000, 65000)
                if name == "root":
                    self.sshd(ts + k, self.bastion, "Failed password for root from %s port %d ssh2" % (src, port))
                else:
                    self.sshd(ts + k, self.bastion, "Invalid user %s from %s port %d" % (name, src, port))
                    self.sshd(ts + k + 0.5, self.bastion, "Failed password for invalid user %s from %s port %d ssh2"
                              % (name, src, port))
            if r.random() < 0.3:
                self.drop(ts + 5, self.bastion, src, r.choice([23, 445, 3389, 5900, 6379]))

    # ---- the attack ---------------------------------------------------------------------
    def attack(self, t):
        r = self.r
        truth = {"start": t}
        # 1. port scan of the bastion and both targets (closed ports only: 22 answers)
        targets = [self.bastion, self.a, self.b]
        r.shuffle(targets)
        closed = [21, 23, 25, 80, 110, 135, 139, 143, 443, 445, 993, 1433, 3306, 3389, 5432, 5900, 6379, 8080, 8443, 9200,
                  11211, 27017]
        for host in targets:
            for port in r.sample(closed, r.randint(12, len(closed))):
                t += r.uniform(0.05, 1.5)
                self.drop(t, host, self.att, port, attack=True)
            t += r.uniform(5, 40)
        # 2. password guessing against both targets: the victim account and root
        t += r.uniform(120, 600)
        n = r.randint(14, 24)
        for i in range(n):
            host = self.a if i % 2 == 0 else self.b
            user = "root" if r.random() < 0.2 else self.victim
            t += r.uniform(4, 20)
            self.sshd(t, host, "Failed password for %s from %s port %d ssh2" % (user, self.att, r.randrange(30000, 65000)),
                      attack=True)
        # 3. the password is found on A
        t += r.uniform(30, 600)
        self.sshd(t, self.a, "Accepted password for %s from %s port %d ssh2" % (self.victim, self.att, r.randrange(30000, 65000)),
                  attack=True)
        # 4. sudo to a root shell
        t += r.uniform(40, 300)
        shell = r.choice(["/bin/bash", "/usr/bin/bash", "/bin/sh"])
        self.add(t, self.a, "sudo", "  %s : TTY=pts/%d ; PWD=/home/%s ; USER=root ; COMMAND=%s"
                 % (self.victim, r.randrange(0, 4), self.victim, shell), attack=True)
        # 5. a new account in the sudo group
        t += r.uniform(30, 300)
        uid = r.randrange(1001, 1500)
        self.add(t, self.a, "useradd[%d]" % self.next_pid(),
                 "new user: name=%s, UID=%d, GID=%d, home=/home/%s, shell=/bin/bash, from=/dev/pts/1"
                 % (self.backdoor, uid, uid, self.backdoor), attack=True)
        t += r.uniform(5, 120)
        self.add(t, self.a, "usermod[%d]" % self.next_pid(), "add '%s' to group 'sudo'" % self.backdoor, attack=True)
        # 6. a cron job for it
        t += r.uniform(30, 400)
        self.add(t, self.a, "crontab[%d]" % self.next_pid(), "(%s) REPLACE (%s)" % (self.backdoor, self.backdoor), attack=True)
        # 7. a connection to the C2 address from the STIX feed
        t += r.uniform(60, 900)
        self.add(t, self.a, "kernel", "[%d.%06d] [UFW ALLOW] IN= OUT=eth0 SRC=%s DST=%s LEN=60 TOS=0x00 PREC=0x00 TTL=64 "
                 "ID=%d DF PROTO=TCP SPT=%d DPT=443 WINDOW=64240 RES=0x00 SYN URGP=0"
                 % (r.randrange(1000, 900000), r.randrange(1000000), self.ip[self.a], self.c2, r.randrange(65535),
                    r.randrange(32768, 61000)), attack=True)
        truth["end"] = t
        return truth

    def build(self):
        r = self.r
        t_attack = self.now - r.uniform(2.0, 3.5) * 3600
        self.noise(self.start, self.now - 300)
        truth = self.attack(t_attack)
        self.events.sort(key=lambda e: e[0])
        return truth

    def lines(self):
        for ts, host, tag, msg, _ in self.events:
            yield "<%d>%s %s %s: %s" % (38 if tag != "kernel" else 4, syslog_time(ts), host, tag, msg)

    def manifest(self, truth):
        return {
            "seed": self.seed, "attacker_ip": self.att, "c2_ip": self.c2, "hosts": [self.a, self.b],
            "login_host": self.a, "victim": self.victim, "backdoor": self.backdoor, "bastion": self.bastion,
            "other_hosts": self.others, "admins": self.admins, "users": self.users,
            "expected_tactics": ["discovery", "credential_access", "initial_access", "privilege_escalation",
                                 "persistence", "command_and_control"],
            "attack_start": truth["start"], "attack_end": truth["end"],
            "events": len(self.events), "attack_events": sum(1 for e in self.events if e[4]),
        }


def generate(seed, c2, out, hours=6.0, now=None):
    """Writes out/scenario.log and out/manifest.json; returns the manifest."""
    sc = Scenario(seed, c2, hours, int(now if now is not None else time.time()))
    truth = sc.build()
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "scenario.log"), "w") as f:
        for line in sc.lines():
            f.write(line + "\n")
    m = sc.manifest(truth)
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(m, f, indent=1)
    return m


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--c2", required=True, help="the C2 address (an IPv4 indicator of a STIX feed)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--hours", type=float, default=6.0)
    ap.add_argument("--now", type=float, default=None, help="end of the scenario (epoch seconds; default: now)")
    a = ap.parse_args()
    m = generate(a.seed, a.c2, a.out, a.hours, a.now)
    print(json.dumps(m))


if __name__ == "__main__":
    main()
