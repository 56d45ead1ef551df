#!/usr/bin/env python3
"""Integration tests of the HTTP API against a real `vigil serve` on an
ephemeral loopback port (Python 3 stdlib only).

Registered as CTest test integration_api (tests/integration/CMakeLists.txt);
every case starts its own server in a fresh data directory, so counters are
exact. `test_api.py CASE...` runs single cases.
Covers: auth matrix, tenant scoping, ingest of JSON lines and arrays, partial
bad records, oversized bodies (413), a 10 MB record, invalid UTF-8, hostile
field names, search with every query form, /metrics as OpenMetrics, and
`vigil status`.

Environment: VG_VIGIL = the vigil binary, else VG_BIN/vigil.
"""
import http.server
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

BIN = os.environ.get("VG_VIGIL") or os.path.join(os.environ.get("VG_BIN", "build"), "vigil")
SRV = None


class Server:
    """A `vigil serve` process with its data directory and admin token."""

    def __init__(self):
        self.data = tempfile.mkdtemp(prefix="vigil-api-")
        self.proc = subprocess.Popen(
            [BIN, "serve", "--data", self.data, "--http", "127.0.0.1:0", "--syslog-udp", "off",
             "--syslog-tcp", "off", "--log-level", "warn"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)
        self.stderr_lines = []
        self.admin = None
        self.port = None
        deadline = time.time() + 30
        lines = []
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            lines.append(line.rstrip("\n"))
            m = re.match(r"admin token: (\S+)", line)
            if m:
                self.admin = m.group(1)
            m = re.match(r"listening http 127\.0\.0\.1:(\d+)", line)
            if m:
                self.port = int(m.group(1))
            if line.strip() == "ready":
                break
        threading.Thread(target=self._drain, daemon=True).start()
        if self.port is None or self.admin is None:
            self.stop()
            raise RuntimeError("vigil serve did not start: stdout=%r stderr=%r" % (lines, self.stderr_lines[-20:]))
        self.base = "http://127.0.0.1:%d" % self.port
        with open(os.path.join(self.data, "admin.token")) as f:
            assert f.read().strip() == self.admin
        assert (os.stat(os.path.join(self.data, "admin.token")).st_mode & 0o777) == 0o600

    def _drain(self):
        for line in self.proc.stderr:
            self.stderr_lines.append(line.rstrip("\n"))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.data, ignore_errors=True)

    def alive(self):
        return self.proc.poll() is None

    def cli(self, *args, check=True):
        r = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=60,
                           env=dict(os.environ, VIGIL_DATA=self.data))
        if check and r.returncode != 0:
            raise AssertionError("vigil %s failed (%d): %s %s" % (" ".join(args), r.returncode, r.stdout, r.stderr))
        return r

    def token(self, name, role, tenant="default"):
        """Creates a token with `vigil tokens create` and returns its secret."""
        r = self.cli("tokens", "create", "--data", self.data, "--name", name, "--role", role, "--tenant", tenant)
        out = r.stdout.strip().splitlines()
        for line in out:
            m = re.search(r"(?:token|secret)\s*[:=]\s*(\S+)", line, re.I)
            if m:
                return m.group(1)
        return out[-1].split()[-1]


def request(method, path, token=None, body=None, ctype="application/json", headers=None):
    """Returns (status, headers, body bytes, parsed JSON or None)."""
    h = dict(headers or {})
    if token is not None:
        h["Authorization"] = "Bearer " + token
    if body is not None:
        if isinstance(body, str):
            body = body.encode("utf-8")
        h["Content-Type"] = ctype
    req = urllib.request.Request(SRV.base + path, data=body, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            status, hdrs, data = r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        status, hdrs, data = e.code, e.headers, e.read()
    js = None
    if "json" in (hdrs.get("Content-Type") or ""):
        js = json.loads(data)
    return status, hdrs, data, js


def ingest(token, body, ctype="application/x-ndjson"):
    return request("POST", "/api/v1/ingest", token, body, ctype)


def search(token, q="", **params):
    params["q"] = q
    st, _, _, js = request("GET", "/api/v1/events?" + urllib.parse.urlencode(params), token)
    return st, js


class ApiTests(unittest.TestCase):
    def setUp(self):
        global SRV
        SRV = Server()

    def tearDown(self):
        global SRV
        bad = [l for l in SRV.stderr_lines if re.search(r" error +\[|Sanitizer|runtime error", l)]
        alive = SRV.alive()
        SRV.stop()
        SRV = None
        self.assertTrue(alive, "the server died")
        self.assertEqual(bad, [], "server errors")

    def test_health(self):
        st, _, _, js = request("GET", "/healthz")
        self.assertEqual(st, 200)
        self.assertEqual(js, {"status": "ok"})

    def test_auth_matrix(self):
        viewer = SRV.token("v1", "viewer")
        analyst = SRV.token("a1", "analyst")
        responder = SRV.token("s1", "responder")
        shipper = SRV.token("i1", "ingest")
        revoked = SRV.token("r1", "admin")
        SRV.cli("tokens", "revoke", "--data", SRV.data, "r1")
        one = '{"msg":"auth matrix"}'
        cases = [
            ("GET", "/api/v1/events", None, 401),
            ("GET", "/api/v1/events", "not-a-token", 401),
            ("GET", "/api/v1/events", revoked, 401),
            ("GET", "/api/v1/events", viewer, 200),
            ("GET", "/api/v1/events", analyst, 200),
            ("GET", "/api/v1/events", responder, 200),
            ("GET", "/api/v1/status", viewer, 200),
            ("GET", "/metrics", None, 401),
            ("GET", "/metrics", viewer, 200),
            ("POST", "/api/v1/ingest", None, 401),
            ("POST", "/api/v1/ingest", viewer, 403),
            ("POST", "/api/v1/ingest", responder, 403),
            ("POST", "/api/v1/ingest", analyst, 200),
            ("POST", "/api/v1/ingest", SRV.admin, 200),
            ("POST", "/api/v1/ingest", revoked, 401),
            ("POST", "/api/v1/ingest", shipper, 200),
            ("GET", "/api/v1/events", shipper, 403),
            ("GET", "/api/v1/status", shipper, 403),
        ]
        for method, path, tok, want in cases:
            st, hdrs, data, js = request(method, path, tok, one if method == "POST" else None)
            self.assertEqual(st, want, "%s %s -> %d %s" % (method, path, st, data[:200]))
            if st == 401:
                self.assertTrue(hdrs.get("WWW-Authenticate", "").startswith("Bearer"))
            if st >= 400:
                self.assertIn("error", js)
        # malformed Authorization headers
        for hv in ["Basic dXNlcjpwYXNz", "Bearer", "Bearer a b", "Bearer \x01x"]:
            st, _, _, js = request("GET", "/api/v1/status", headers={"Authorization": hv})
            self.assertEqual(st, 401, hv)
        # auth failures are counted
        _, _, text, _ = request("GET", "/metrics", SRV.admin)
        text = text.decode()
        for reason in ("missing", "invalid", "forbidden", "malformed"):
            m = re.search(r'vigil_api_auth_failures_total\{reason="%s"\} (\d+)' % reason, text)
            self.assertTrue(m and int(m.group(1)) > 0, reason)

    def test_ingest_lines_and_array(self):
        lines = "\n".join(json.dumps({"@timestamp": "2024-05-01T10:00:0%dZ" % i, "msg": "lines-%d" % i,
                                      "kind": "jsonl"}) for i in range(5)) + "\n"
        st, _, _, js = ingest(SRV.admin, lines)
        self.assertEqual(st, 200, js)
        self.assertEqual((js["accepted"], js["failed"], js["errors"]), (5, 0, []))
        arr = json.dumps([{"@timestamp": "2024-05-01T11:00:00Z", "msg": "array-%d" % i, "kind": "array"}
                          for i in range(3)])
        st, _, _, js = ingest(SRV.admin, arr, "application/json")
        self.assertEqual(st, 200, js)
        self.assertEqual(js["accepted"], 3)
        # answered after commit: visible to search at once
        st, js = search(SRV.admin, "kind:jsonl")
        self.assertEqual(st, 200, js)
        self.assertEqual(js["count"], 5)
        st, js = search(SRV.admin, "kind:array")
        self.assertEqual(js["count"], 3)
        ev = js["events"][0]
        self.assertEqual(ev.get("vigil.collector"), "http")
        self.assertEqual(ev.get("vigil.origin"), "127.0.0.1")
        self.assertEqual(ev.get("tenant"), "default")
        # the same records again are duplicates: still 5 stored
        st, _, _, js = ingest(SRV.admin, lines)
        self.assertEqual(st, 200)
        st, js = search(SRV.admin, "kind:jsonl")
        self.assertEqual(js["count"], 5)

    def test_partial_bad_records(self):
        body = (b'{"n":0,"tag":"partial"}\n'
                b'{"n":1,"tag":"partial","trunc":\n'
                b'\x00\x01\x02\xff binary garbage\n'
                b'{"n":3,"tag":"partial","bad":"\xc3\x28"}\n'
                b'{"n":4,"tag":"partial"}\n'
                b'[1,2,3]\n'
                b'{"n":6,"tag":"partial"}')
        st, _, _, js = ingest(SRV.admin, body)
        self.assertEqual(st, 200, js)
        self.assertEqual(js["accepted"], 3)
        self.assertEqual(js["failed"], 4)
        self.assertEqual([e["index"] for e in js["errors"]], [1, 2, 3, 5])
        self.assertIn("invalid UTF-8", js["errors"][2]["error"])
        self.assertIn("not a JSON object", js["errors"][3]["error"])
        st, js = search(SRV.admin, "tag:partial")
        self.assertEqual(sorted(e.get("n") for e in js["events"]), [0, 4, 6])
        # a body with nothing usable is a 400 naming the problem
        st, _, _, js = ingest(SRV.admin, b"\xde\xad\xbe\xef")
        self.assertEqual(st, 400)
        self.assertEqual(js["error"], "no valid records")
        self.assertIn("does not start with", js["errors"][0]["error"])
        st, _, _, js = ingest(SRV.admin, b"   \n  ")
        self.assertEqual(st, 400)
        self.assertIn("empty body", js["detail"])
        st, _, _, js = ingest(SRV.admin, b'[{"a":1},{"b":')
        self.assertEqual(st, 200)
        self.assertEqual((js["accepted"], js["failed"]), (1, 1))
        self.assertIn("truncated", js["errors"][0]["error"])
        # failures are counted on the http source
        _, _, text, _ = request("GET", "/metrics", SRV.admin)
        m = re.search(r'vigil_events_failed_total\{source="http"\} (\d+)', text.decode())
        self.assertTrue(m and int(m.group(1)) >= 6, text[:2000])
        self.assertTrue(SRV.alive())

    def test_oversized_body_413(self):
        # Announce 65 MiB + 1 (over the 64 MiB cap) and send nothing: the
        # server must answer 413 from the headers alone.
        s = socket.create_connection(("127.0.0.1", SRV.port), timeout=30)
        s.sendall(("POST /api/v1/ingest HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                   "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                   % (SRV.admin, 65 * 1024 * 1024 + 1)).encode())
        data = b""
        while b"\r\n\r\n" not in data or not data.rstrip().endswith(b"}"):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.close()
        self.assertTrue(data.startswith(b"HTTP/1.1 413"), data[:200])
        self.assertIn(b"body too large", data)
        # a chunked upload over the cap is cut off too (no Content-Length)
        s = socket.create_connection(("127.0.0.1", SRV.port), timeout=60)
        s.sendall(("POST /api/v1/ingest HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                   "Transfer-Encoding: chunked\r\n\r\n" % SRV.admin).encode())
        chunk = b"x" * (1 << 20)
        sent = 0
        try:
            for _ in range(66):
                s.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
                sent += 1
            s.sendall(b"0\r\n\r\n")
            data = s.recv(65536)
        except (BrokenPipeError, ConnectionResetError):
            data = b""
        s.close()
        self.assertTrue(data == b"" or data.startswith(b"HTTP/1.1 413"), data[:200])
        self.assertTrue(SRV.alive())
        self.assertEqual(request("GET", "/healthz")[0], 200)

    def test_ten_megabyte_record(self):
        big = '{"tag":"big","blob":"%s"}' % ("A" * (10 * 1024 * 1024))
        body = '{"tag":"big-neighbour","n":1}\n' + big + '\n{"tag":"big-neighbour","n":2}\n'
        st, _, _, js = ingest(SRV.admin, body)
        self.assertEqual(st, 200, js)
        self.assertEqual((js["accepted"], js["failed"]), (2, 1))
        self.assertEqual(js["errors"][0]["index"], 1)
        self.assertIn("exceeds", js["errors"][0]["error"])
        st, js = search(SRV.admin, "tag:big-neighbour")
        self.assertEqual(js["count"], 2)
        # alone, the same record makes the request a 400
        st, _, _, js = ingest(SRV.admin, big)
        self.assertEqual(st, 400)

    def test_hostile_field_names(self):
        recs = [
            {"tag": "hostile", "n": 1, "a'; DROP TABLE events;--": "x"},
            {"tag": "hostile", "n": 2, "__proto__": {"polluted": True}, "../../etc/passwd": 1},
            {"tag": "hostile", "n": 3, "x" * 300: "long name", "": "empty name"},
            {"tag": "hostile", "n": 4, "\u202e\u0000nul": "bidi+nul", "a.b.c.d.e.f.g": 1},
            {"tag": "hostile", "n": 5, "k%d" % 0: 0, **{"f%d" % i: i for i in range(5000)}},
        ]
        body = "\n".join(json.dumps(r) for r in recs)
        st, _, _, js = ingest(SRV.admin, body)
        self.assertEqual(st, 200, js)
        self.assertEqual(js["accepted"] + js["failed"], 5)
        self.assertTrue(SRV.alive())
        st, js = search(SRV.admin, "tag:hostile", limit=100)
        self.assertEqual(st, 200)
        self.assertEqual(js["count"], js["count"])  # parsed as JSON above
        self.assertGreaterEqual(js["count"], 1)
        # the events table is still there
        st, js = search(SRV.admin, "")
        self.assertEqual(st, 200)
        # hostile query text is data, not SQL
        st, js = search(SRV.admin, "tag:\"x'); DROP TABLE events;--\"")
        self.assertIn(st, (200, 400))
        st, js = search(SRV.admin, "tag:hostile")
        self.assertGreaterEqual(js["count"], 1)

    def test_search_query_forms(self):
        evs = [
            {"@timestamp": "2024-06-01T10:00:00Z", "user": {"name": "alice"}, "source": {"ip": "10.1.2.3"},
             "http": {"response": {"status_code": 200}}, "message": "login ok for alice", "set": "q"},
            {"@timestamp": "2024-06-01T11:00:00Z", "user": {"name": "bob"}, "source": {"ip": "192.168.7.9"},
             "http": {"response": {"status_code": 404}}, "message": "page not found", "set": "q"},
            {"@timestamp": "2024-06-01T12:00:00Z", "user": {"name": "alicia"}, "source": {"ip": "10.200.0.1"},
             "http": {"response": {"status_code": 500}}, "message": "server error: disk full", "set": "q",
             "extra": "present"},
        ]
        st, _, _, js = ingest(SRV.admin, "\n".join(json.dumps(e) for e in evs))
        self.assertEqual((st, js["accepted"]), (200, 3))

        def names(q, **kw):
            st, js = search(SRV.admin, q + " AND set:q" if q else "set:q", **kw)
            self.assertEqual(st, 200, (q, js))
            return sorted(e.get("user.name") for e in js["events"])

        self.assertEqual(names("user.name:alice"), ["alice"])
        self.assertEqual(names("user.name:ali*"), ["alice", "alicia"])
        self.assertEqual(names("user.name:al?ce"), ["alice"])
        self.assertEqual(names("user.name:ALICE"), ["alice"])
        self.assertEqual(names('message:"SERVER ERROR: disk full"'), ["alicia"])  # field phrase = whole value
        self.assertEqual(names('"disk full"'), ["alicia"])  # free-text phrase: anywhere in the raw text
        self.assertEqual(names("(user.name:bob OR user.name:alicia)"), ["alicia", "bob"])
        self.assertEqual(names("NOT user.name:bob"), ["alice", "alicia"])
        self.assertEqual(names("http.response.status_code:>=404"), ["alicia", "bob"])
        self.assertEqual(names("http.response.status_code:<300"), ["alice"])
        self.assertEqual(names("source.ip:10.0.0.0/8"), ["alice", "alicia"])
        self.assertEqual(names("extra:*"), ["alicia"])
        self.assertEqual(names("found"), ["bob"])
        self.assertEqual(names("", since="2024-06-01T10:30:00Z", until="2024-06-01T11:30:00Z"), ["bob"])
        st, js = search(SRV.admin, "set:q", order="asc")
        self.assertEqual([e["user.name"] for e in js["events"]], ["alice", "bob", "alicia"])
        st, js = search(SRV.admin, "set:q", order="desc", limit=2)
        self.assertEqual([e["user.name"] for e in js["events"]], ["alicia", "bob"])
        self.assertEqual(js["count"], 2)
        self.assertTrue(js["truncated"])
        st, js = search(SRV.admin, "set:q", since="1h")  # all are from 2024
        self.assertEqual(js["count"], 0)
        for bad, where in [("user.name:(alice", "detail"), ("AND AND", "detail")]:
            st, js = search(SRV.admin, bad)
            self.assertEqual(st, 400, (bad, js))
            self.assertEqual(js["error"], "bad query")
            self.assertIn("column", js)
        for params in [{"since": "yesterday"}, {"limit": "-1"}, {"order": "up"}]:
            st, js = search(SRV.admin, "", **params)
            self.assertEqual(st, 400, params)

    def test_tenant_scoping(self):
        acme = SRV.token("acme-admin", "admin", "acme")
        st, _, _, js = ingest(acme, '{"tag":"tenant-test","owner":"acme"}')
        self.assertEqual(st, 200, js)
        st, _, _, js = ingest(SRV.admin, '{"tag":"tenant-test","owner":"default"}')
        self.assertEqual(st, 200, js)
        st, js = search(acme, "tag:tenant-test")
        self.assertEqual([(e["owner"], e["tenant"]) for e in js["events"]], [("acme", "acme")])
        st, js = search(SRV.admin, "tag:tenant-test")
        self.assertEqual([(e["owner"], e["tenant"]) for e in js["events"]], [("default", "default")])
        _, _, _, js = request("GET", "/api/v1/status", acme)
        self.assertEqual(js["tenant"], "acme")
        self.assertEqual(js["store"]["events"], 1)

    def test_metrics_openmetrics(self):
        ingest(SRV.admin, '{"m":1}\nnot json\n')
        st, hdrs, text, _ = request("GET", "/metrics", SRV.admin)
        self.assertEqual(st, 200)
        self.assertTrue(hdrs["Content-Type"].startswith("application/openmetrics-text"))
        text = text.decode()
        self.assertTrue(text.endswith("# EOF\n"))
        self.assertEqual(text.count("# EOF"), 1)
        families = {}
        sample = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*\})? '
                            r'(-?[0-9.eE+-]+|NaN|\+Inf|-Inf)$')
        for line in text.splitlines():
            if line == "# EOF":
                continue
            if line.startswith("# TYPE "):
                _, _, name, typ = line.split(" ", 3)
                self.assertNotIn(name, families, "duplicate family " + name)
                self.assertIn(typ, ("counter", "gauge", "info", "histogram", "summary", "unknown", "stateset",
                                    "gaugehistogram"))
                families[name] = typ
                continue
            if line.startswith("# HELP ") or line.startswith("# UNIT "):
                continue
            m = sample.match(line)
            self.assertTrue(m, "bad sample line: " + line)
            name = m.group(1)
            fam = next((f for f in families if name == f or name.startswith(f + "_")), None)
            self.assertIsNotNone(fam, "sample before its # TYPE: " + line)
            if families[fam] == "counter":
                self.assertTrue(name.endswith("_total") or name.endswith("_created"), line)
        for c in ("received", "decoded", "failed", "dropped", "stored"):
            self.assertRegex(text, r'vigil_events_%s_total\{source="http"\} \d+' % c)
        self.assertRegex(text, r'vigil_api_requests_total\{method="POST",route="/api/v1/ingest",code="200"\} [1-9]')

    def test_vigil_status(self):
        ingest(SRV.admin, '{"s":1}\n{"s":2}\nbroken\n')
        r = SRV.cli("status", "--server", SRV.base, "--data", SRV.data)
        out = r.stdout
        self.assertRegex(out, r"SOURCE\s+RECEIVED\s+DECODED\s+FAILED\s+DROPPED\s+STORED")
        m = re.search(r"^http\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)", out, re.M)
        self.assertTrue(m, out)
        self.assertEqual((int(m.group(1)), int(m.group(3)), int(m.group(5))), (3, 1, 2))
        self.assertIn("store: 2 events", out)
        r = SRV.cli("status", "--server", SRV.base, "--token", SRV.admin, "--json", "--data", "/nonexistent")
        js = json.loads(r.stdout)
        self.assertEqual(js["sources"]["http"]["received"], 3)
        r = SRV.cli("status", "--server", SRV.base, "--token", "wrong", check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("401", r.stderr)
        # an unreachable server: clear message, non-zero exit
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            free = s.getsockname()[1]
        r = SRV.cli("status", "--server", "http://127.0.0.1:%d" % free, "--token", "x", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("cannot reach the server", r.stderr)

    def test_vigil_search_server(self):
        ingest(SRV.admin, '{"who":"cli-search","n":1}\n{"who":"cli-search","n":2}\n{"who":"other"}\n')
        r = SRV.cli("search", "--server", SRV.base, "--token", SRV.admin, "--json", "--asc", "who:cli-search")
        rows = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
        self.assertEqual(len(rows), 2, r.stdout)
        self.assertTrue(all("cli-search" in json.dumps(x) for x in rows), r.stdout)
        # a path prefix with a trailing slash is accepted (prefix "/" -> "")
        r = SRV.cli("search", "--server", SRV.base + "/", "--token", SRV.admin, "--limit", "1", "who:cli-search")
        self.assertEqual(len([l for l in r.stdout.splitlines() if l.strip()]), 1, r.stdout)
        self.assertIn("more events matched", r.stderr)
        # the token from DIR/admin.token when none is given
        r = SRV.cli("search", "--server", SRV.base, "--data", SRV.data, "who:other")
        self.assertEqual(len([l for l in r.stdout.splitlines() if l.strip()]), 1, r.stdout)
        r = SRV.cli("search", "--server", SRV.base, "--token", "wrong", "x", check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("server answered 401", r.stderr)
        r = SRV.cli("search", "--server", "ftp://127.0.0.1:1", "--token", "x", "x", check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("bad server URL", r.stderr)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            free = s.getsockname()[1]
        r = SRV.cli("search", "--server", "http://127.0.0.1:%d" % free, "--token", "x", "x", check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("127.0.0.1", r.stderr)

    def test_vigil_search_chunked_reply(self):
        """A chunked /api/v1/events reply (as a proxy may send) is decoded."""
        body = json.dumps({"events": [{"@timestamp": "2026-01-01T00:00:00Z", "vigil.origin": "h1",
                                       "vigil.format": "json", "event.original": "chunked-one"},
                                      {"@timestamp": "2026-01-01T00:00:01Z", "vigil.origin": "h2",
                                       "vigil.format": "json", "event.original": "chunked-two"}],
                           "truncated": False}).encode()
        seen = []

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                seen.append((self.path, self.headers.get("Authorization")))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Transfer-Encoding", "chunked")
                self.send_header("Connection", "close")
                self.end_headers()
                for i in range(0, len(body), 17):
                    part = body[i:i + 17]
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                self.wfile.write(b"0\r\n\r\n")

            def log_message(self, *a):
                pass

        srv = http.server.HTTPServer(("127.0.0.1", 0), H)
        th = threading.Thread(target=srv.serve_forever, daemon=True)
        th.start()
        try:
            url = "http://127.0.0.1:%d/prefix" % srv.server_address[1]
            r = SRV.cli("search", "--server", url, "--token", "tok", "a:b c")
        finally:
            srv.shutdown()
            srv.server_close()
        self.assertEqual(r.stdout.splitlines(), ["2026-01-01T00:00:00.000Z  h1  json  chunked-one",
                                                 "2026-01-01T00:00:01.000Z  h2  json  chunked-two"])
        self.assertEqual(len(seen), 1)
        self.assertTrue(seen[0][0].startswith("/prefix/api/v1/events?q=a%3Ab%20c&limit=100"), seen[0][0])
        self.assertEqual(seen[0][1], "Bearer tok")


def main():
    if not os.path.exists(BIN):
        print("vigil binary not found at %s" % BIN, file=sys.stderr)
        return 1
    names = sys.argv[1:]
    if names:
        suite = unittest.TestSuite(ApiTests(n) for n in names)
    else:
        suite = unittest.TestLoader().loadTestsFromTestCase(ApiTests)
    res = unittest.TextTestRunner(verbosity=2).run(suite)
    if res.testsRun == 0:
        return 1
    return 0 if res.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
