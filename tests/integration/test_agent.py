"""vigil-agent and the agents' listener on loopback: enrollment (good,
wrong, reused, expired token, wrong CA fingerprint), a client certificate
from another CA, replayed / reordered / truncated / oversized frames spoken
directly with the agent's certificate, the server killed with SIGKILL and
restarted (and the agent killed too) while 100,000 lines are shipped: every
line stored exactly once; heartbeats, silent agents and revocation."""
import os
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time
import json

sys.path.insert(0, os.path.dirname(__file__))
from vgtest import Server, check, finish, tmpdir, dump, raw_of, cleanup  # noqa: E402

BIN = os.environ.get("VG_BIN", "build")
AGENT = os.path.join(os.path.dirname(os.environ.get("VG_VIGIL", os.path.join(BIN, "vigil"))), "vigil-agent")
VIGIL = os.environ.get("VG_VIGIL") or os.path.join(BIN, "vigil")

HELLO, LOG, RECORD, HEARTBEAT, ACK, ERROR, ENROLL, ENROLL_OK = range(1, 9)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def pack_rule_id(path):
    with open(path) as f:
        for line in f:
            if line.startswith("id:"):
                return line.split(":", 1)[1].strip()
    raise SystemExit("no id in " + path)


SILENT_RULE_ID = pack_rule_id(os.path.join(os.environ.get("VG_SRC", "."), "rules", "vigil", "agent_silent.yml"))


def vigil(*args):
    return subprocess.run([VIGIL] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)


def agent(*args):
    return subprocess.run([AGENT] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)


def new_token(data, *extra):
    r = vigil("agents", "token", "--data", data, *extra)
    out = dict(l.split(": ", 1) for l in r.stdout.decode().splitlines() if ": " in l)
    return out.get("token"), out.get("ca_fingerprint")


def frame(t, seq, payload=b""):
    return struct.pack(">IBQ", 9 + len(payload), t, seq) + payload


def kv(**items):
    out = b""
    for k, v in items.items():
        v = v if isinstance(v, bytes) else v.encode()
        out += struct.pack(">H", len(k)) + k.encode() + struct.pack(">I", len(v)) + v
    return out


def rec(ts, src, data):
    return struct.pack(">qH", ts, len(src)) + src + struct.pack(">I", len(data)) + data


def read_exact(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise EOFError("closed after %d of %d bytes" % (len(b), n))
        b += c
    return b


def read_frame(s):
    ln, t, seq = struct.unpack(">IBQ", read_exact(s, 13))
    return t, seq, read_exact(s, ln - 9)


def kv_get(p, key):
    o = 0
    while o < len(p):
        kl = struct.unpack(">H", p[o:o + 2])[0]
        k = p[o + 2:o + 2 + kl]
        vl = struct.unpack(">I", p[o + 2 + kl:o + 6 + kl])[0]
        v = p[o + 6 + kl:o + 6 + kl + vl]
        if k.decode() == key:
            return v.decode(errors="replace")
        o += 6 + kl + vl
    return None


def tls_connect(port, adir=None, cert=None, key=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    if adir:
        ctx.load_verify_locations(os.path.join(adir, "ca.pem"))
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if cert:
        ctx.load_cert_chain(cert, key)
    raw = socket.create_connection(("127.0.0.1", port), timeout=20)
    return ctx.wrap_socket(raw, server_hostname="vigil-server")


def agent_conn(port, adir):
    return tls_connect(port, adir, os.path.join(adir, "agent.pem"), os.path.join(adir, "agent.key"))


def count_markers(data, prefix):
    evs = [raw_of(e) for e in dump(data) if raw_of(e).startswith(prefix)]
    return len(evs), len(set(evs))


def main():
    base = tmpdir("agent")
    data = os.path.join(base, "srv")
    port = free_port()
    srv = Server(data, "--agents", "127.0.0.1:%d" % port, "--agents-silent-after", "3s")
    check("agent" in srv.listen and srv.listen["agent"][1] == port, "agents' listener is up on the chosen port")
    check(oct(os.stat(os.path.join(data, "ca")).st_mode & 0o777) == "0o700", "DATA/ca is mode 0700")
    check(oct(os.stat(os.path.join(data, "ca", "ca.key")).st_mode & 0o777) == "0o600", "CA key is mode 0600")
    server = "127.0.0.1:%d" % port

    # ---- enrollment ----------------------------------------------------
    tok, fp = new_token(data, "--tenant", "default", "--expires", "1h")
    check(tok and tok.startswith("vge_") and fp and len(fp) == 64, "token and CA fingerprint printed")
    a1 = os.path.join(base, "a1")
    r = agent("enroll", "--server", server, "--token", tok, "--ca-fingerprint", fp, "--data", a1, "--name", "web-01")
    check(r.returncode == 0, "enrollment with a valid token works (%s)" % r.stderr.decode().strip())
    check(os.path.exists(os.path.join(a1, "agent.pem")) and
          oct(os.stat(os.path.join(a1, "agent.key")).st_mode & 0o777) == "0o600", "agent key (0600) and cert stored")
    aid = dict(l.split("=", 1) for l in open(os.path.join(a1, "agent.id")).read().splitlines())["id"]
    r = agent("enroll", "--server", server, "--token", tok, "--data", os.path.join(base, "a_reuse"))
    check(r.returncode != 0 and b"already used" in r.stderr, "a reused token is refused")
    r = agent("enroll", "--server", server, "--token", "vge_" + "A" * 43, "--data", os.path.join(base, "a_wrong"))
    check(r.returncode != 0 and b"unknown enrollment token" in r.stderr, "a wrong token is refused")
    r = agent("enroll", "--server", server, "--token", "garbage", "--data", os.path.join(base, "a_bad"))
    check(r.returncode != 0 and b"malformed" in r.stderr, "a malformed token is refused")
    tok_exp, _ = new_token(data, "--expires", "1s")
    time.sleep(1.5)
    r = agent("enroll", "--server", server, "--token", tok_exp, "--data", os.path.join(base, "a_exp"))
    check(r.returncode != 0 and b"expired" in r.stderr, "an expired token is refused")
    tok_fp, _ = new_token(data)
    r = agent("enroll", "--server", server, "--token", tok_fp, "--ca-fingerprint", "00" * 32,
              "--data", os.path.join(base, "a_fp"))
    check(r.returncode != 0 and b"does not match" in r.stderr and
          not os.path.exists(os.path.join(base, "a_fp", "agent.pem")), "a CA fingerprint mismatch aborts enrollment")
    tok_b, _ = new_token(data)
    a2 = os.path.join(base, "a2")
    r = agent("enroll", "--server", server, "--token", tok_b, "--data", a2, "--name", "db-01")
    check(r.returncode == 0 and b"trusted on first use" in r.stdout, "enrollment without a fingerprint (TOFU)")

    # ---- a certificate from another CA --------------------------------
    ev = os.path.join(base, "evil")
    os.makedirs(ev)
    sh = ("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout {d}/ca.key -out {d}/ca.pem "
          "-subj /CN=evil-ca -days 2 -addext basicConstraints=critical,CA:TRUE && "
          "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout {d}/c.key -out {d}/c.csr "
          "-subj /CN={aid} && printf 'extendedKeyUsage=clientAuth\\n' > {d}/ext && "
          "openssl x509 -req -in {d}/c.csr -CA {d}/ca.pem -CAkey {d}/ca.key -CAcreateserial -out {d}/c.pem -days 2 "
          "-extfile {d}/ext").format(d=ev, aid=aid)
    subprocess.run(sh, shell=True, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    got_hello = False
    try:
        s = tls_connect(port, a1, os.path.join(ev, "c.pem"), os.path.join(ev, "c.key"))
        s.sendall(frame(HELLO, 0, kv(version="x")))
        t, _, _ = read_frame(s)
        got_hello = t == HELLO
        s.close()
    except (ssl.SSLError, EOFError, ConnectionError, OSError):
        pass
    check(not got_hello, "a client certificate from another CA is refused")

    # ---- replay, reorder, truncation, oversize ------------------------
    s = agent_conn(port, a1)
    s.sendall(frame(HELLO, 0, kv(version="test", hostname="web-01")))
    t, seq, p = read_frame(s)
    check(t == HELLO and kv_get(p, "last_seq") == "0", "HELLO answered with last_seq 0")
    now = time.time_ns()
    body = rec(now, b"/var/log/x", b"replaytest one") + rec(now + 1, b"/var/log/x", b"replaytest two")
    s.sendall(frame(LOG, 1, body))
    t, seq, _ = read_frame(s)
    check(t == ACK and seq == 1, "frame 1 acknowledged")
    s.sendall(frame(LOG, 1, body))
    t, seq, _ = read_frame(s)
    check(t == ACK and seq == 1, "replayed frame 1 acknowledged again")
    s.sendall(frame(LOG, 3, body))
    t, seq, p = read_frame(s)
    check(t == ERROR and "sequence gap" in (kv_get(p, "msg") or ""), "out-of-order frame 3 rejected: %s" % kv_get(p, "msg"))
    s.close()
    n, u = count_markers(data, "replaytest")
    check(n == 2 and u == 2, "replay stored nothing twice (%d events)" % n)
    # truncated frame, then close
    s = agent_conn(port, a1)
    s.sendall(frame(HELLO, 0, kv(version="test")))
    read_frame(s)
    s.sendall(frame(LOG, 2, body)[:20])
    s.close()
    # oversized frame
    s = agent_conn(port, a1)
    s.sendall(frame(HELLO, 0, kv(version="test")))
    read_frame(s)
    s.sendall(struct.pack(">IBQ", 0xFFFFFFF0, LOG, 2))
    t, _, p = read_frame(s)
    check(t == ERROR and "exceeds" in (kv_get(p, "msg") or ""), "oversized frame refused: %s" % kv_get(p, "msg"))
    s.close()
    # garbage record list
    s = agent_conn(port, a1)
    s.sendall(frame(HELLO, 0, kv(version="test")))
    read_frame(s)
    s.sendall(frame(LOG, 2, b"\x00\x01\x02garbage"))
    t, _, p = read_frame(s)
    check(t == ERROR and "malformed" in (kv_get(p, "msg") or ""), "malformed LOG payload refused")
    s.close()
    # LOG without a client certificate
    s = tls_connect(port)
    s.sendall(frame(LOG, 1, body))
    t, _, p = read_frame(s)
    check(t == ERROR and "not enrolled" in (kv_get(p, "msg") or ""), "LOG without a certificate refused")
    s.close()
    check(srv.proc.poll() is None, "server survived the bad frames")

    # ---- 100,000 lines, server killed -9 and restarted, agent killed -9 --
    logf = os.path.join(base, "app.log")
    conf = os.path.join(base, "agent.conf")
    with open(conf, "w") as f:
        f.write("[agent]\nheartbeat = 1s\nbackoff_max = 1s\n[files]\ntail = %s\npoll = 50ms\n" % logf)
    open(logf, "w").close()
    total = 100000

    def writer():
        with open(logf, "a") as f:
            for i in range(total):
                f.write("agentline %06d payload for the exactly-once test\n" % i)
                if i % 2000 == 1999:
                    f.flush()
                    time.sleep(0.1)

    aerr = open(os.path.join(base, "a1.stderr"), "ab")
    ap = subprocess.Popen([AGENT, "run", "--data", a1, "--config", conf], stdout=subprocess.DEVNULL, stderr=aerr)
    w = threading.Thread(target=writer)
    w.start()
    time.sleep(1.5)
    before = srv.counter("stored", "agent")
    check(0 < before < total, "server killed while shipping (%d of %d stored)" % (before, total))
    srv.kill9()
    time.sleep(1.0)
    ap.kill()
    ap.wait()
    ap = subprocess.Popen([AGENT, "run", "--data", a1, "--config", conf], stdout=subprocess.DEVNULL, stderr=aerr)
    time.sleep(0.5)
    srv = Server(data, "--agents", server, "--agents-silent-after", "3s")
    # and the agent killed -9 a few more times while lines keep coming
    for _ in range(3):
        time.sleep(0.7)
        ap.kill()
        ap.wait()
        ap = subprocess.Popen([AGENT, "run", "--data", a1, "--config", conf], stdout=subprocess.DEVNULL, stderr=aerr)
    w.join()
    deadline = time.time() + 180
    while time.time() < deadline:
        r = vigil("search", "--data", data, "--count", "agentline")
        if r.stdout.strip() == str(total).encode():
            break
        time.sleep(1.0)
    time.sleep(1.0)
    n, u = count_markers(data, "agentline ")
    check(n == total and u == total, "after kill -9 of server and agent: %d stored, %d unique of %d" % (n, u, total))

    # ---- heartbeats, silent agents, revocation ------------------------
    r = vigil("agents", "list", "--data", data, "--json")
    lst = {a["id"]: a for a in json.loads(r.stdout)}
    check(lst.get(aid, {}).get("status") == "active" and lst[aid]["name"] == "web-01", "running agent listed active")
    # a2 runs briefly then stops: it turns silent and an event is stored
    a2p = subprocess.Popen([AGENT, "run", "--data", a2], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.5)
    a2p.terminate()
    check(a2p.wait(timeout=20) == 0, "agent stops cleanly on SIGTERM")
    time.sleep(6)
    r = vigil("agents", "list", "--data", data, "--json")
    lst = {a["name"]: a for a in json.loads(r.stdout)}
    check(lst.get("db-01", {}).get("status") == "silent", "stopped agent reported silent")
    sil = [e for e in dump(data, "event.action:agent_silent") if e.get("agent.name") == "db-01"]
    check(len(sil) == 1, "one agent_silent event stored for db-01 (%d)" % len(sil))
    # ... and the pack's rule turns it into an alert (collection health)
    r = vigil("alerts", "--data", data, "--json", "--limit", "100", "--rule", SILENT_RULE_ID)
    rows = [json.loads(l) for l in r.stdout.decode().splitlines() if l.strip()]
    mine = [x for x in rows if "db-01" in json.dumps(x)]
    check(r.returncode == 0 and len(mine) == 1 and mine[0].get("level") == "medium",
          "one medium 'agent stopped reporting' alert for db-01 (%d of %d)" % (len(mine), len(rows)))
    r = vigil("agents", "revoke", aid, "--data", data)
    check(r.returncode == 0, "revoke works")
    try:
        rc = ap.wait(timeout=30)
    except subprocess.TimeoutExpired:
        ap.kill()
        rc = None
    check(rc == 3, "revoked agent is dropped and exits (rc %s)" % rc)
    r = agent("run", "--data", a1, "--config", conf)
    check(r.returncode == 3 and b"revoked" in r.stderr, "revoked agent refused on reconnect")
    r = vigil("agents", "list", "--data", data)
    check(b"revoked" in r.stdout, "list shows the revocation")
    check(srv.stop() == 0, "server stops cleanly")
    aerr.close()
    cleanup(base)
    finish()


if __name__ == "__main__":
    main()
