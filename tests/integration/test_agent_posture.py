"""vigil-agent posture reports end to end on loopback: two agents enrolled
against `vigil serve --agents`, one on the real host (the asset's package
count equals `dpkg-query -W | wc -l`), one on a fixture root (a user added
to its passwd becomes a searchable change event; a small advisory fixture
gives one vulnerable package and not the fixed one, via `vigil vulns --host`
and the API; the hardening score trend grows in `vigil posture`), FIM
modify / chmod / delete with before and after values, the systemd journal
read through a fake `journalctl` (sshd decoded from MESSAGE, cursor kept
across an agent restart: nothing lost, nothing repeated; the real journal
too when this machine has one), the API routes, and malformed RECORD
documents: refused one by one (counted, an agent_record_rejected event)
while the frames are still acknowledged and later frames go through."""
import json
import os
import shutil
import stat
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from vgtest import Server, check, finish, tmpdir, dump, cleanup  # noqa: E402
from test_agent import (AGENT, VIGIL, free_port, new_token, agent, vigil, agent_conn, frame, kv, rec,  # noqa: E402
                        read_frame, kv_get, HELLO, RECORD, LOG, ACK)

FAKE_JOURNALCTL = r'''#!/usr/bin/env python3
# A stand-in for journalctl -o json --follow: prints the entries of $VG_FAKE_JOURNAL
# after --after-cursor (or all with --since), then follows the file.
import os, sys, time, json
path = os.environ["VG_FAKE_JOURNAL"]
with open(path + ".args", "a") as f:
    f.write(" ".join(sys.argv[1:]) + "\n")
after = None
for a in sys.argv[1:]:
    if a.startswith("--after-cursor="):
        after = a.split("=", 1)[1]
seen = 0
emit = after is None
while True:
    with open(path) as f:
        lines = f.read().splitlines()
    for line in lines[seen:]:
        cur = json.loads(line)["__CURSOR"]
        if emit:
            sys.stdout.write(line + "\n")
        elif cur == after:
            emit = True
    seen = len(lines)
    sys.stdout.flush()
    time.sleep(0.2)
'''


def jentry(i, ident, msg, pid=4242, unit="ssh.service", prio=6, fac=4):
    e = {"__CURSOR": "s=fake;i=%d" % i, "__REALTIME_TIMESTAMP": str(1790000000000000 + i * 1000),
         "_HOSTNAME": "fixture-01", "SYSLOG_IDENTIFIER": ident, "_PID": str(pid), "PRIORITY": str(prio),
         "SYSLOG_FACILITY": str(fac), "_SYSTEMD_UNIT": unit, "MESSAGE": msg}
    return json.dumps(e)


def write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def fixture_root(root):
    write(os.path.join(root, "etc/os-release"), 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n'
          'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n')
    write(os.path.join(root, "etc/hostname"), "fixture-01\n")
    write(os.path.join(root, "etc/passwd"), "root:x:0:0:root:/root:/bin/bash\n"
          "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nalice:x:1000:1000::/home/alice:/bin/bash\n")
    write(os.path.join(root, "etc/group"), "root:x:0:\ndaemon:x:1:\nalice:x:1000:\n")
    write(os.path.join(root, "etc/shadow"), "root:$6$x$abcdefghijklmnopqrstuvwxyz0123456789:19000:0:99999:7:::\n"
          "daemon:*:19000:0:99999:7:::\nalice:!:19000:0:99999:7:::\n", 0o640)
    write(os.path.join(root, "etc/ssh/sshd_config"), "PermitRootLogin yes\nPasswordAuthentication yes\n")
    write(os.path.join(root, "var/lib/dpkg/status"),
          "Package: libfoo1\nStatus: install ok installed\nVersion: 1.2-3\nArchitecture: amd64\nSource: foo\n\n"
          "Package: bar\nStatus: install ok installed\nVersion: 2.0-1\nArchitecture: amd64\n\n"
          "Package: baz\nStatus: install ok installed\nVersion: 1.0-1\nArchitecture: all\n\n"
          "Package: openssh-server\nStatus: install ok installed\nVersion: 1:9.2p1-2+deb12u2\nArchitecture: amd64\n"
          "Source: openssh\n\n")


ADVISORIES = {
    "foo": {"CVE-2099-0001": {"releases": {"bookworm": {"status": "resolved", "fixed_version": "1.2-4",
                                                          "urgency": "high"}}}},
    "bar": {"CVE-2099-0002": {"releases": {"bookworm": {"status": "resolved", "fixed_version": "2.0-1",
                                                          "urgency": "medium"}}}},
}


def wait_for(fn, timeout=60, step=0.3):
    deadline = time.time() + timeout
    v = fn()
    while not v and time.time() < deadline:
        time.sleep(step)
        v = fn()
    return v


def search(data, q, count=False):
    args = ["search", "--data", data] + (["--count"] if count else ["--json"]) + [q]
    r = vigil(*args)
    if count:
        try:
            return int(r.stdout.decode().strip() or "0")
        except ValueError:
            return 0
    return [json.loads(l) for l in r.stdout.decode().splitlines() if l.strip().startswith("{")]


def asset_json(data, host):
    r = vigil("assets", "show", host, "--data", data, "--json")
    return json.loads(r.stdout) if r.returncode == 0 else None


def posture_json(data, host):
    r = vigil("posture", host, "--data", data, "--json")
    return json.loads(r.stdout) if r.returncode == 0 else None


def main():
    base = tmpdir("agent_posture")
    data = os.path.join(base, "srv")
    port = free_port()
    server = "127.0.0.1:%d" % port
    srv = Server(data, "--agents", server, "--agents-silent-after", "30s")

    # advisories on the server
    advf = os.path.join(base, "tracker-fixture.json")
    with open(advf, "w") as f:
        json.dump(ADVISORIES, f)
    r = vigil("vulns", "import", advf, "--data", data)
    check(r.returncode == 0 and os.path.exists(os.path.join(data, "advisories", "tracker-fixture.json")),
          "vigil vulns import installs the advisory fixture (%s)" % r.stderr.decode().strip())
    badf = os.path.join(base, "broken.json")
    write(badf, '{"foo": {"CVE-1": ')
    r = vigil("vulns", "import", badf, "--data", data)
    check(r.returncode == 1 and not os.path.exists(os.path.join(data, "advisories", "broken.json")),
          "a malformed advisory file is refused by import")

    # ---- agent B: fixture root, fake journal, FIM ------------------------
    root = os.path.join(base, "root")
    fixture_root(root)
    fimdir = os.path.join(base, "fim")
    write(os.path.join(fimdir, "app.conf"), "setting = 1\n")
    write(os.path.join(fimdir, "keep.conf"), "x\n")
    write(os.path.join(fimdir, "gone.conf"), "bye\n")
    write(os.path.join(fimdir, "skip.swp"), "ignored\n")
    bindir = os.path.join(base, "bin")
    write(os.path.join(bindir, "journalctl"), FAKE_JOURNALCTL, 0o755)
    jfile = os.path.join(base, "journal.jsonl")
    entries = [
        jentry(1, "sshd", "Failed password for invalid user mallory from 203.0.113.9 port 4242 ssh2"),
        jentry(2, "sudo", "alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id", unit="",
               fac=10, prio=5),
        jentry(3, "app", "journal-marker-3 plain message"),
    ]
    write(jfile, "\n".join(entries) + "\n")
    tok, fp = new_token(data)
    ab = os.path.join(base, "agentB")
    r = agent("enroll", "--server", server, "--token", tok, "--ca-fingerprint", fp, "--data", ab, "--name", "fixture-01")
    check(r.returncode == 0, "fixture agent enrolled")
    confb = os.path.join(base, "b.conf")
    write(confb, "[agent]\nheartbeat = 1s\nbackoff_max = 1s\n[journal]\nenabled = yes\ncommand = %s\n"
                 "[posture]\nroot = %s\ninventory_interval = 1s\nhardening_interval = 2s\n"
                 "[fim]\npath = %s\nignore = *.swp\nscan_interval = 1h\n[files]\npoll = 100ms\n"
          % (os.path.join(bindir, "journalctl"), root, fimdir))
    env = dict(os.environ, VG_FAKE_JOURNAL=jfile)
    berr = open(os.path.join(base, "b.stderr"), "ab")
    t_start = time.time()
    bp = subprocess.Popen([AGENT, "run", "--data", ab, "--config", confb], stdout=subprocess.DEVNULL, stderr=berr,
                          env=env)

    a = wait_for(lambda: (asset_json(data, "fixture-01") or {}).get("packages") == 4 and
                 (posture_json(data, "fixture-01") or {}).get("policies"), 60)
    first_report = time.time() - t_start
    check(bool(a), "fixture asset with 4 packages and a hardening result (first full report in %.1f s)" % first_report)
    info = asset_json(data, "fixture-01") or {}
    check(info.get("tenant") == "default" and "Debian GNU/Linux 12" in info.get("os", ""),
          "asset stored in the agent's tenant with its OS (%s)" % info.get("os"))
    check(info.get("vulnerable_packages") == 1, "asset lists one open finding (%s)" % info.get("vulnerable_packages"))

    # vulnerabilities: libfoo1 (source foo 1.2-3 < 1.2-4) yes, bar (2.0-1 = fixed) no
    r = vigil("vulns", "--host", "fixture-01", "--data", data, "--json")
    rows = [json.loads(l) for l in r.stdout.decode().splitlines() if l.strip()]
    fnd = [x for x in rows if "cve" in x]
    check(r.returncode == 0 and [x["package"] for x in fnd] == ["libfoo1"] and fnd[0]["cve"] == "CVE-2099-0001"
          and fnd[0]["fixed_version"] == "1.2-4", "vigil vulns --host: libfoo1 vulnerable, bar (at the fix) not")
    st, body = srv.http("GET", "/api/v1/vulns?host=fixture-01")
    vj = json.loads(body) if st == 200 else {}
    vul = (vj.get("vulnerabilities") or {})
    check(st == 200 and vul.get("count") == 1 and vul["findings"][0]["package"] == "libfoo1",
          "GET /api/v1/vulns?host=: the stored finding")

    # user added to the fixture passwd -> change event searchable
    with open(os.path.join(root, "etc/passwd"), "a") as f:
        f.write("mallory:x:0:0::/root:/bin/bash\n")
    ev = wait_for(lambda: search(data, "event.action:user_created AND user.name:mallory"), 60)
    check(bool(ev) and ev[0].get("host.name") == "fixture-01" and ev[0].get("event.module") == "inventory",
          "a user added to the fixture passwd is a change event found by vigil search")
    a = asset_json(data, "fixture-01") or {}
    acts = [c["change"]["event"]["action"] for c in a.get("recent_changes", []) if "event" in c.get("change", {})]
    check("user_created" in acts, "the change is in the asset history (%s)" % acts[-3:])

    # hardening: trend of several scans, failed checks with remediation
    p = wait_for(lambda: [x for x in (posture_json(data, "fixture-01") or {}).get("policies", [])
                          if len(x.get("trend", [])) >= 3], 60)
    check(bool(p), "hardening score trend holds several scans")
    r = vigil("posture", "fixture-01", "--data", data)
    out = r.stdout.decode()
    check(r.returncode == 0 and "score:" in out and "trend (newest first" in out and "ssh-no-root-login" in out
          and "fix:" in out and "libfoo1" in out,
          "vigil posture shows score, trend, the failed PermitRootLogin check with its fix, the vulnerable package")
    if p:
        rep = p[0]["report"]
        check(isinstance(rep.get("results"), list) and len(rep["results"]) == rep.get("checks") and
              all(x["result"] in ("pass", "fail", "not_applicable", "error") for x in rep["results"]),
              "the stored report has every check's result with evidence")

    # FIM: modify, chmod, delete (and the ignored file is not reported)
    time.sleep(1.0)
    with open(os.path.join(fimdir, "app.conf"), "a") as f:
        f.write("setting = 2\n")
    os.chmod(os.path.join(fimdir, "keep.conf"), 0o600)
    os.unlink(os.path.join(fimdir, "gone.conf"))
    with open(os.path.join(fimdir, "skip.swp"), "a") as f:
        f.write("more\n")

    def fim(action, name):
        evs = search(data, "event.module:fim AND event.action:%s" % action)
        return [e for e in evs if e.get("file.path") == os.path.join(fimdir, name)]
    m = wait_for(lambda: fim("file_modified", "app.conf"), 30)
    check(bool(m) and m[0].get("vigil.fim.before.size") == 12 and m[0].get("vigil.fim.after.size") == 24 and
          m[0].get("vigil.fim.before.hash.sha256") != m[0].get("vigil.fim.after.hash.sha256"),
          "FIM modify: before/after size and hash")
    c = wait_for(lambda: fim("file_attributes_changed", "keep.conf"), 30)
    check(bool(c) and c[0].get("vigil.fim.before.mode") == "0644" and c[0].get("vigil.fim.after.mode") == "0600",
          "FIM chmod: mode 0644 -> 0600")
    d = wait_for(lambda: fim("file_deleted", "gone.conf"), 30)
    check(bool(d) and d[0].get("vigil.fim.before.size") == 4, "FIM delete with the before values")
    check(not search(data, 'file.name:"skip.swp"'), "an ignored path is not reported")

    # journal via the fake journalctl: decoded like syslog
    sshd = wait_for(lambda: search(data, "process.name:sshd AND source.ip:203.0.113.9"), 30)
    check(bool(sshd) and sshd[0].get("user.name") == "mallory", "journal entry decoded by the sshd decoder "
          "(identifier as program, MESSAGE as message)")
    sudo = wait_for(lambda: search(data, "process.name:sudo AND user.name:alice"), 30)
    check(bool(sudo) and sudo[0].get("user.target.name") == "root", "journal sudo entry decoded")
    # restart the agent, add entries meanwhile: nothing lost, nothing repeated
    bp.terminate()
    bp.wait(timeout=30)
    with open(jfile, "a") as f:
        f.write(jentry(4, "app", "journal-marker-4 while stopped") + "\n")
    bp = subprocess.Popen([AGENT, "run", "--data", ab, "--config", confb], stdout=subprocess.DEVNULL, stderr=berr,
                          env=env)
    time.sleep(1.0)
    with open(jfile, "a") as f:
        f.write(jentry(5, "app", "journal-marker-5 after restart") + "\n")
    wait_for(lambda: search(data, "journal-marker-5", count=True) >= 1, 30)
    time.sleep(1.5)
    counts = [search(data, "journal-marker-%d" % i, count=True) for i in (3, 4, 5)]
    check(counts == [1, 1, 1], "journal markers stored exactly once across an agent restart (%s)" % counts)
    args = open(jfile + ".args").read().splitlines()
    check(len(args) >= 2 and "--since=" in args[0] and "--after-cursor=s=fake;i=3" in args[1],
          "journalctl restarted after the persisted cursor (%s)" % args[:2])

    # ---- agent A: the real host ------------------------------------------
    tok, fp = new_token(data)
    aa = os.path.join(base, "agentA")
    r = agent("enroll", "--server", server, "--token", tok, "--data", aa, "--name", "realhost")
    confa = os.path.join(base, "a.conf")
    write(confa, "[journal]\nenabled = no\n[fim]\nenabled = no\n[posture]\nhardening_interval = 1h\n")
    ap = subprocess.Popen([AGENT, "run", "--data", aa, "--config", confa], stdout=subprocess.DEVNULL, stderr=berr)
    try:
        want = len(subprocess.run(["dpkg-query", "-W"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                  timeout=60).stdout.decode().splitlines())
    except FileNotFoundError:
        want = 0
    a = wait_for(lambda: (asset_json(data, "realhost") or {}).get("packages"), 60)
    check(a == want, "real host: asset package count %s == dpkg-query -W | wc -l (%d)" % (a, want))
    pj = wait_for(lambda: (posture_json(data, "realhost") or {}).get("policies"), 60)
    if pj:
        print("real host hardening score: %s" % pj[0].get("score"))
    check(bool(pj), "real host: a hardening score arrives")

    # ---- the API -------------------------------------------------------
    st, body = srv.http("GET", "/api/v1/assets")
    hosts = {x["host"]: x for x in json.loads(body).get("assets", [])} if st == 200 else {}
    check(st == 200 and set(hosts) >= {"fixture-01", "realhost"} and hosts["fixture-01"]["packages"] == 4 and
          hosts["fixture-01"]["posture_score"] is not None and hosts["fixture-01"]["last_seen"],
          "GET /api/v1/assets lists both assets with packages, score, last seen")
    st, body = srv.http("GET", "/api/v1/assets/fixture-01")
    one = json.loads(body) if st == 200 else {}
    check(st == 200 and one["asset"]["host"] == "fixture-01" and len(one["inventory"]["packages"]) == 4,
          "GET /api/v1/assets/{host}")
    st, body = srv.http("GET", "/api/v1/posture/fixture-01")
    pos = json.loads(body) if st == 200 else {}
    check(st == 200 and pos["policies"][0]["report"]["failed"] and len(pos["policies"][0]["trend"]) >= 3,
          "GET /api/v1/posture/{host}: failed checks and trend")
    st, _ = srv.http("GET", "/api/v1/posture/nosuchhost")
    check(st == 404, "unknown host is 404")
    st, _ = srv.http("GET", "/api/v1/assets/a%00b")
    check(st in (400, 404), "a hostile path parameter is refused (%d)" % st)
    # tenant scoping: a viewer of another tenant sees nothing
    r = vigil("tokens", "create", "--data", data, "--name", "other", "--role", "viewer", "--tenant", "other")
    sec = [l.split(": ", 1)[1] for l in r.stdout.decode().splitlines() if l.startswith("token: ")]
    if sec:
        saved = srv.token
        srv.token = sec[0]
        st, body = srv.http("GET", "/api/v1/assets")
        st2, _ = srv.http("GET", "/api/v1/assets/fixture-01")
        srv.token = saved
        check(st == 200 and json.loads(body)["count"] == 0 and st2 == 404, "another tenant sees no assets")
    else:
        check(False, "could not create a token for another tenant: %s" % r.stderr.decode())
    r = vigil("assets", "list", "--data", data)
    check(r.returncode == 0 and b"fixture-01" in r.stdout and b"realhost" in r.stdout, "vigil assets list")

    # ---- malformed RECORD documents --------------------------------------
    bp.terminate()
    bp.wait(timeout=30)
    ap.terminate()
    ap.wait(timeout=30)
    failed0 = srv.counter("failed", "agent")
    s = agent_conn(port, ab)
    s.sendall(frame(HELLO, 0, kv(version="test", hostname="fixture-01")))
    t, _, p = read_frame(s)
    last = int(kv_get(p, "last_seq"))
    bad_docs = [b"not json at all", b"[1,2,3]", b'{"type":"inventory"}', b'{"type":"nope","ts":1}',
                b'{"type":"inventory","snapshot":{"packages":"x"}}', b'{"type":"hardening","report":{"score":"high"}}',
                b'{"type":"fim","change":{"file.path":1}}', b'{"type":"inventory","ts":1,"ts":2}', b"\xff\xfe{}",
                b'{"type":"inventory","snapshot":{},"changes":[1]}']
    seq = last
    acked = 0
    for d in bad_docs:
        seq += 1
        s.sendall(frame(RECORD, seq, rec(time.time_ns(), b"vigil:test", d)))
        t, aseq, _ = read_frame(s)
        acked += t == ACK and aseq == seq
    check(acked == len(bad_docs), "every frame with a malformed document is acknowledged (%d of %d)" % (acked, len(bad_docs)))
    seq += 1
    good = b'{"type":"fim","ts":%d,"change":{"event.action":"file_created","file.path":"/etc/after-bad"}}' % time.time_ns()
    s.sendall(frame(RECORD, seq, rec(time.time_ns(), b"vigil:fim", b"garbage") + rec(time.time_ns(), b"vigil:fim", good)))
    t, aseq, _ = read_frame(s)
    check(t == ACK and aseq == seq, "a frame mixing a bad and a good document is acknowledged")
    seq += 1
    s.sendall(frame(LOG, seq, rec(time.time_ns(), b"/var/log/x", b"<13>Nov 29 12:00:00 fixture-01 app: after-bad-records log line")))
    t, aseq, _ = read_frame(s)
    check(t == ACK and aseq == seq, "a later LOG frame goes through")
    s.close()
    check(wait_for(lambda: search(data, '"after-bad-records"', count=True) == 1, 20), "the later log line is stored")
    check(wait_for(lambda: search(data, 'file.path:"/etc/after-bad"', count=True) == 1, 20),
          "the good document next to a bad one is stored")
    rej = search(data, "event.action:agent_record_rejected", count=True)
    check(rej == len(bad_docs) + 1, "each bad document left an agent_record_rejected event (%d)" % rej)
    nfail = srv.counter("failed", "agent") - failed0
    check(nfail == len(bad_docs) + 1, "bad documents counted as failed (%d)" % nfail)
    check(srv.alive(), "server alive after malformed documents")

    # ---- the real journal, where this machine has one ---------------------
    jr = subprocess.run(["journalctl", "-q", "-n", "1", "-o", "json"], stdout=subprocess.PIPE,
                        stderr=subprocess.DEVNULL) if shutil.which("journalctl") else None
    if jr is not None and jr.returncode == 0 and jr.stdout.strip():
        tok, fp = new_token(data)
        ac = os.path.join(base, "agentC")
        agent("enroll", "--server", server, "--token", tok, "--data", ac, "--name", "journalhost")
        confc = os.path.join(base, "c.conf")
        write(confc, "[journal]\nenabled = yes\nsince = -1h\n[posture]\ninventory = no\nhardening = no\n"
                     "[fim]\nenabled = no\n")
        cp = subprocess.Popen([AGENT, "run", "--data", ac, "--config", confc], stdout=subprocess.DEVNULL, stderr=berr)
        n = wait_for(lambda: len([e for e in dump(data) if e.get("vigil.origin") == "journalhost"]), 30)
        check(n > 0, "real journal: %s entries arrived" % n)
        cp.terminate()
        cp.wait(timeout=30)
    else:
        print("note: no readable systemd journal on this machine: real journalctl not tested")

    berr.close()
    check(srv.stop() == 0, "server stops cleanly")
    cleanup(base)
    finish()


if __name__ == "__main__":
    main()
