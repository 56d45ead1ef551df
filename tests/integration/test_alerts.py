"""Alerts end to end: `vigil serve` loads Vigil's rule pack; an SSH brute
force and a sudo-to-shell line over TCP syslog become alerts visible in
GET /api/v1/alerts and `vigil alerts` (local and --server) with author and
tactics; SIGHUP and POST /api/v1/rules/reload swap in an extra rule while
events keep flowing, and no event is dropped or left unmatched; `vigil scan`
on a folder with an .evtx, a .json and a syslog file writes alert JSON lines
naming file and record/line and ends with a summary."""
import json
import os
import random
import signal
import subprocess
import threading
import time
import urllib.parse
import vgtest as t

base = t.tmpdir("alerts")
data = os.path.join(base, "data")
extra = os.path.join(base, "extra-rules")
os.makedirs(extra)
run = "%06x" % random.getrandbits(24)

srv = t.Server(data, "--rules", extra)
PACK_AUTHOR = "Vigil project"


def syslog(host, prog, msg):
    return b"<38>Dec 10 06:55:46 %s %s: %s" % (host.encode(), prog.encode(), msg.encode())


def alerts(query):
    st, body = srv.http("GET", "/api/v1/alerts?" + urllib.parse.urlencode(query))
    t.check(st == 200, "GET /api/v1/alerts?%s answers 200 (%d)" % (urllib.parse.urlencode(query), st))
    return json.loads(body) if st == 200 else {"alerts": [], "count": 0, "levels": {}}


def events(rows):
    """Events the alert rows stand for: repeats of a rule on the same entities
    are counted into one row ("count"), not stored as rows of their own."""
    return sum(a.get("count", 1) for a in rows)


def wait_alerts(query, n, timeout=60):
    deadline = time.time() + timeout
    d = {"count": 0, "alerts": []}
    while time.time() < deadline:
        d = alerts(dict(query, limit=10000))
        if events(d["alerts"]) >= n:
            break
        time.sleep(0.2)
    return d


# ---- SSH brute force and sudo to a root shell -------------------------------
brute = 30
lines = [syslog("bastion-" + run, "sshd[%d]" % (2000 + i),
                "Failed password for root from 198.51.100.23 port %d ssh2" % (40000 + i)) for i in range(brute)]
lines.append(syslog("bastion-" + run, "sudo", "  mallory : TTY=pts/1 ; PWD=/home/mallory ; USER=root ; COMMAND=/bin/bash"))
t.send_tcp(srv, b"".join(l + b"\n" for l in lines))
t.check(srv.wait_counter("stored", "syslog-tcp", len(lines)) >= len(lines), "brute force and sudo lines stored")

# medium and above: one per failure, the root shell, and the pack's brute-force
# correlation (>= 10 failures from one source in 5 minutes; its window is
# cleared when it fires) once per 10 failures; repeats of one rule on the same
# host, user and source are one row with a count
bf_fires = brute // 10
medium_total = brute + 1 + bf_fires
d = wait_alerts({"q": "host.name:bastion-%s" % run, "level": "medium"}, medium_total)
root_fail = [a for a in d["alerts"] if a["title"] == "SSH Failed Password For Root"]
shell = [a for a in d["alerts"] if a["title"] == "Root Shell Through Sudo"]
bf = [a for a in d["alerts"] if a["title"] == "SSH Brute Force From One Source"]
t.check(len(bf) == 1 and events(bf) == bf_fires and all(a.get("source.ip") == "198.51.100.23" for a in bf),
        "pack correlation 'SSH Brute Force From One Source' fired %d times (want %d)" % (len(bf), bf_fires))
t.check(len(root_fail) == 1 and events(root_fail) == brute,
        "one 'SSH Failed Password For Root' row counting every failed login (%d rows, count %d of %d)"
        % (len(root_fail), events(root_fail), brute))
t.check(root_fail and len(root_fail[0].get("samples", [])) == 8 and root_fail[0]["first_seen"] <= root_fail[0]["last_seen"],
        "the row keeps 8 sample event ids and first/last seen")
t.check(len(shell) == 1, "one 'Root Shell Through Sudo' alert (%d)" % len(shell))
t.check(all(a["author"] == PACK_AUTHOR and "credential_access" in a["tactics"] for a in root_fail),
        "brute-force alerts carry author and the credential_access tactic")
t.check(shell and "privilege_escalation" in shell[0]["tactics"] and "T1548.003" in shell[0]["techniques"],
        "sudo alert carries privilege_escalation / T1548.003")
t.check(shell and shell[0].get("user.name") == "mallory" and shell[0]["matched"].get("process.executable") == "/bin/bash",
        "sudo alert names the user and the matched field")
t.check(all(a.get("source.ip") == "198.51.100.23" for a in root_fail), "brute-force alerts carry source.ip")
low = alerts({"q": "host.name:bastion-%s" % run, "level": "low", "limit": 1000})
t.check(low["levels"].get("low", 0) == 1 and events([a for a in low["alerts"] if a["level"] == "low"]) == brute,
        "level counts: 1 low row (SSH Failed Password) counting %d failures" % brute)
rid = root_fail[0]["rule_id"] if root_fail else ""
t.check(events(alerts({"rule": rid, "limit": 1000})["alerts"]) == brute, "rule= filter")
st, body = srv.http("GET", "/api/v1/alerts?level=urgent")
t.check(st == 400, "bad level is a 400")

# the same lines again: events are duplicates, alerts are not repeated
t.send_tcp(srv, b"".join(l + b"\n" for l in lines))
t.check(srv.wait_counter("duplicates", "syslog-tcp", len(lines)) >= len(lines), "resent lines counted as duplicates")
t.check(events(alerts({"q": "host.name:bastion-%s" % run, "level": "medium", "limit": 1000})["alerts"]) == medium_total,
        "re-processing the same events does not duplicate alerts")

# vigil alerts, local and through the server
out = subprocess.run([t.VIGIL, "alerts", "--data", data, "--json", "--level", "medium", "--limit", "1000",
                      "host.name:bastion-%s" % run], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
rows = [json.loads(l) for l in out.stdout.splitlines() if l.strip()]
t.check(out.returncode == 0 and events(rows) == medium_total,
        "vigil alerts --data --json: %d events in %d rows (rc %d)" % (events(rows), len(rows), out.returncode))
t.check(all(r["author"] == PACK_AUTHOR for r in rows), "vigil alerts rows carry the author")
out = subprocess.run([t.VIGIL, "alerts", "--server", srv.url(""), "--token", srv.token, "--rule", rid, "--limit", "1000"],
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
text = out.stdout.decode()
t.check(out.returncode == 0 and text.count("SSH Failed Password For Root") == 1 and "count=%d" % brute in text
        and "(Vigil project)" in text
        and "credential_access" in text, "vigil alerts --server prints readable lines with tactics and author")
t.check(b"medium 1" in out.stderr, "vigil alerts prints counts by level")

# ---- reload while events flow ---------------------------------------------------
with open(os.path.join(extra, "marker.yml"), "w") as f:
    f.write("""title: Integration Marker Login
id: 0d7c9a52-5f7e-4c38-9d0e-%s000000
status: test
author: Integration Test
tags: [attack.initial_access, attack.t1078]
logsource: {product: linux, service: sshd}
detection:
    sel:
        user.name|startswith: mk-%s-
    condition: sel
level: high
""" % (run, run))

sent = [0]
stop = threading.Event()


def sender():
    s = t.tcp_connect(srv)
    i = 0
    while not stop.is_set() or i < 2000:
        chunk = b"".join(syslog("flow-" + run, "sshd[%d]" % (i + k),
                                "Failed password for mk-%s-%d from 198.51.100.77 port %d ssh2" % (run, i + k, 1024 + (i + k) % 60000))
                         + b"\n" for k in range(50))
        s.sendall(chunk)
        i += 50
        time.sleep(0.01)
    s.close()
    sent[0] = i


th = threading.Thread(target=sender)
th.start()
time.sleep(0.5)
srv.proc.send_signal(signal.SIGHUP)
time.sleep(0.5)
st, body = srv.http("POST", "/api/v1/rules/reload", body=b"")
rel = json.loads(body) if st == 200 else {}
t.check(st == 200 and rel.get("ok") and rel.get("generation", 0) >= 3 and rel.get("rejected") == 0,
        "POST /api/v1/rules/reload answers ok with generation %s" % rel.get("generation"))
time.sleep(0.5)
stop.set()
th.join()
n = sent[0]
t.check(srv.wait_counter("stored", "syslog-tcp", len(lines) + n, 120) == len(lines) + n,
        "every line sent during the reloads stored (%d)" % n)
m = srv.metrics()
t.check(m.get('vigil_events_dropped_total{source="syslog-tcp"}', 0) == 0, "nothing dropped during the reloads")
t.check(m.get("vigil_rules_reloads_total", 0) >= 2, "reloads counted in /metrics (%s)" % m.get("vigil_rules_reloads_total"))
t.check(m.get('vigil_alerts_total{level="high"}', 0) >= 1, "alert counters by level in /metrics")
flow = wait_alerts({"q": "host.name:flow-%s AND title:\"SSH Failed Password\"" % run}, n, 120)
t.check(events(flow["alerts"]) == n,
        "every event sent across the reloads matched by the pack: %d alerts for %d events" % (events(flow["alerts"]), n))
marker = alerts({"q": "host.name:flow-%s AND title:\"Integration Marker Login\"" % run, "limit": 10000})
t.check(0 < marker["count"] < n, "the rule added by the reload fires on later events only (%d of %d)" % (marker["count"], n))
t.check(all(a["author"] == "Integration Test" for a in marker["alerts"]), "new rule's author in its alerts")
rc = srv.stop()
t.check(rc == 0, "server stops cleanly (%s)" % rc)

# ---- vigil scan on a folder ---------------------------------------------------------
case = os.path.join(t.SHARED, "sigma/regression_data/rules/windows/process_creation/proc_creation_win_bitsadmin_download")
scan_dir = os.path.join(base, "evidence")
os.makedirs(os.path.join(scan_dir, "win"))
evtx = [f for f in os.listdir(case) if f.endswith(".evtx")][0]
js = [f for f in os.listdir(case) if f.endswith(".json")][0]
os.symlink(os.path.join(case, evtx), os.path.join(scan_dir, "win", "sysmon.evtx"))
os.symlink(os.path.join(case, js), os.path.join(scan_dir, "win", "sysmon.json"))
with open(os.path.join(scan_dir, "auth.log"), "wb") as f:
    f.write(b"Dec 10 06:55:46 host1 sshd[1]: Accepted password for root from 203.0.113.4 port 5555 ssh2\n")
    f.write(b"Dec 10 06:55:47 host1 sshd[1]: Connection closed by 203.0.113.4 port 5555\n")
    f.write(b"Dec 10 06:55:48 host1 sudo:  eve : user NOT in sudoers ; TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/sh\n")
sigma = os.path.join(t.SHARED, "sigma/rules/windows/process_creation")
outfile = os.path.join(base, "alerts.jsonl")
p = subprocess.run([t.VIGIL, "scan", "--rules", sigma, "--output", outfile, scan_dir],
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
err = p.stderr.decode()
t.check(p.returncode == 0, "vigil scan exits 0 (%d): %s" % (p.returncode, err[-300:]))
rows = [json.loads(l) for l in open(outfile) if l.strip()]
by_file = {}
for r in rows:
    by_file.setdefault(os.path.basename(r["origin"]["file"]), []).append(r)
bits = "File Download Via Bitsadmin"
t.check(any(r["title"] == bits and r["origin"].get("record") for r in by_file.get("sysmon.evtx", [])),
        "scan: .evtx alert names its record")
t.check(any(r["title"] == bits and r["origin"].get("record") == 1 for r in by_file.get("sysmon.json", [])),
        "scan: .json alert names its record")
authl = by_file.get("auth.log", [])
t.check(sorted((r["origin"].get("line"), r["title"]) for r in authl) ==
        [(1, "Successful SSH Password Login As Root"), (3, "Sudo By User Not In Sudoers")],
        "scan: syslog alerts name their lines (%s)" % [(r["origin"].get("line"), r["title"]) for r in authl])
t.check(all(r.get("author") for r in rows), "scan: every alert carries its rule's author")
for key in ("events read", "decode failures", "events/s", "top rules:", "high", "Vigil project"):
    t.check(key in err, "scan summary shows '%s'" % key)
p2 = subprocess.run([t.VIGIL, "scan", "--quiet", "--json", "--fail-level", "high", os.path.join(scan_dir, "auth.log")],
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
t.check(p2.returncode == 1 and len(p2.stdout.splitlines()) == 2, "--fail-level high exits 1 on a high alert (%d)" % p2.returncode)

t.cleanup(base)
t.finish()
