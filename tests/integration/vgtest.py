"""Helpers for Vigil's integration tests (Python 3 stdlib only): start
`vigil serve` on loopback ephemeral ports and parse its start-up lines, talk
HTTP to it, send syslog over TCP/UDP/TLS, and read back what the store
committed through vg_dump_events (the store API, not the file layout)."""
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

VIGIL = os.environ.get("VG_VIGIL") or os.path.join(os.environ.get("VG_BIN", "build"), "vigil")
DUMP = os.environ.get("VG_DUMP") or os.path.join(os.environ.get("VG_BIN", "build"), "tests/integration/vg_dump_events")
SHARED = os.environ.get("VG_SHARED", os.path.join(os.path.dirname(__file__), "../../../shared"))

failures = []


def check(cond, msg):
    """Records a failed expectation (the test exits non-zero at the end)."""
    if cond:
        print("ok   " + msg, flush=True)
    else:
        print("FAIL " + msg, flush=True)
        failures.append(msg)


def finish():
    if failures:
        print("%d check(s) failed" % len(failures))
        sys.exit(1)
    print("all checks passed")
    sys.exit(0)


def tmpdir(tag):
    d = tempfile.mkdtemp(prefix="vg_it_%s_" % tag)
    return d


class Server:
    """A running `vigil serve` with ports parsed from its stdout."""

    def __init__(self, data, *extra, token=None):
        self.data = data
        self.listen = {}
        self.token = token
        args = [VIGIL, "serve", "--data", data, "--http", "127.0.0.1:0", "--syslog-udp", "127.0.0.1:0",
                "--syslog-tcp", "127.0.0.1:0", "--log-level", "warn"] + list(extra)
        self.errlog = open(os.path.normpath(data) + ".stderr", "ab")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.errlog)
        deadline = time.time() + 60
        ready = False
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            line = line.decode().rstrip("\n")
            if line.startswith("admin token: "):
                self.token = line[len("admin token: "):]
            elif line.startswith("listening "):
                _, name, addr = line.split(" ", 2)
                host, port = addr.rsplit(":", 1)
                self.listen[name] = (host, int(port))
            elif line == "ready":
                ready = True
                break
        if not ready:
            self.proc.kill()
            raise RuntimeError("server did not start: rc=%s" % self.proc.poll())
        if self.token is None:
            with open(os.path.join(data, "admin.token")) as f:
                self.token = f.readline().strip()
        # drain stdout so the server never blocks on it
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()

    def url(self, path):
        h, p = self.listen["http"]
        return "http://%s:%d%s" % (h, p, path)

    def http(self, method, path, body=None, ctype="application/x-ndjson", timeout=120):
        req = urllib.request.Request(self.url(path), data=body, method=method)
        req.add_header("Authorization", "Bearer " + self.token)
        if body is not None:
            req.add_header("Content-Type", ctype)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def metrics(self):
        st, body = self.http("GET", "/metrics")
        out = {}
        for line in body.decode().splitlines():
            if line.startswith("#") or " " not in line:
                continue
            k, v = line.rsplit(" ", 1)
            try:
                out[k] = int(v)
            except ValueError:
                pass
        return out

    def counter(self, what, source):
        return self.metrics().get('vigil_events_%s_total{source="%s"}' % (what, source), 0)

    def wait_counter(self, what, source, n, timeout=60):
        deadline = time.time() + timeout
        v = 0
        while time.time() < deadline:
            v = self.counter(what, source)
            if v >= n:
                return v
            time.sleep(0.1)
        return v

    def alive(self):
        if self.proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(self.url("/healthz"), timeout=10) as r:
                return r.status == 200
        except Exception:
            return False

    def stop(self, sig=signal.SIGTERM, timeout=120):
        self.proc.send_signal(sig)
        rc = self.proc.wait(timeout=timeout)
        self.errlog.close()
        return rc

    def kill9(self):
        self.proc.kill()
        self.proc.wait()
        self.errlog.close()


def tcp_connect(srv, name="syslog-tcp"):
    h, p = srv.listen[name]
    return socket.create_connection((h, p), timeout=60)


def send_tcp(srv, payload):
    s = tcp_connect(srv)
    s.sendall(payload)
    s.close()


def send_udp(srv, datagrams):
    h, p = srv.listen["syslog-udp"]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for d in datagrams:
        s.sendto(d, (h, p))
    s.close()


def send_tls(srv, payload):
    ctx = ssl.create_default_context(cafile=os.path.join(srv.data, "tls", "cert.pem"))
    h, p = srv.listen["syslog-tls"]
    with socket.create_connection((h, p), timeout=60) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as s:
            s.sendall(payload)


def octet(msg):
    return b"%d " % len(msg) + msg


def dump(data, query=None):
    """Every committed event of a data directory, as parsed JSON objects."""
    args = [DUMP, data] + ([query] if query else [])
    out = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
    if out.returncode != 0:
        raise RuntimeError("vg_dump_events failed: %s" % out.stderr.decode(errors="replace"))
    return [json.loads(l) for l in out.stdout.splitlines() if l.strip()]


def raw_of(ev):
    return ev.get("event.original") or ev.get("message") or ""


def cleanup(*dirs):
    if os.environ.get("VG_KEEP"):
        return
    for d in dirs:
        shutil.rmtree(d, ignore_errors=True)
