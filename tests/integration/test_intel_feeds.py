"""Registered threat-intel feeds fetched over HTTP(S) by `vigil serve`
(docs/internals/intel.md, "Registered feeds"). A feed server on 127.0.0.1
(Python http.server in this process, plain and TLS with a CA made here)
serves documents built from $VG_SHARED/data/intel; the test checks:
- `vigil intel feeds add` (CLI, --server) registers and fetches at once; an
  event with an indicator's address alerts; GET /api/v1/intel/lookup finds
  the value and its feed;
- a refresh with nothing new is a conditional GET answered 304 (the server
  saw If-None-Match) and the feed is "unchanged";
- a feed that changes between refreshes: the added address alerts, the
  removed one no longer does;
- a server answering garbage (HTML, JSON junk) or HTTP 500: the feed
  records the error, the previous indicators keep alerting;
- a redirect is followed; a feed refreshing every second picks up an edit
  by itself; an https feed verified with --intel-ca-file works and the same
  feed without the CA fails verification;
- roles: a viewer may list, look up and read stats, not add or delete;
  unknown feeds answer 404, bad requests 400, duplicates 409;
- the registry and the cached copy survive a restart while the feed server
  is down (the indicators still alert, the feed shows the fetch error);
- `vigil intel feeds ... --data` on a stopped server's data directory."""
import hashlib
import http.server
import json
import os
import random
import shutil
import socketserver
import ssl
import subprocess
import threading
import time
import urllib.parse
import vgtest as t

run = "%06x" % random.getrandbits(24)
SHARED_INTEL = os.path.join(t.SHARED, "data", "intel")
APT1 = os.path.join(SHARED_INTEL, "stix21", "threat-reports", "apt1.json")
base = t.tmpdir("intelfeeds")

# ---- the documents, built from the shared data ------------------------------
with open(APT1, "rb") as f:
    apt1 = f.read()
with open(os.path.join(SHARED_INTEL, "misp-warninglists", "rfc1918", "list.json"), "rb") as f:
    rfc1918 = f.read()
# addresses for the changing text feed: documentation ranges (not warninglisted)
IP_A, IP_B, IP_C = "198.51.100.%d" % random.randint(1, 99), "203.0.113.%d" % random.randint(1, 99), "192.0.2.%d" % random.randint(1, 99)


class State:
    lock = threading.Lock()
    docs = {}          # path -> bytes
    mode = {}          # path -> "ok" | "garbage-html" | "garbage-json" | "500"
    requests = []      # (path, If-None-Match, If-Modified-Since, status)


def set_doc(path, body):
    with State.lock:
        State.docs[path] = body
        State.mode[path] = "ok"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_GET(self):
        path = urllib.parse.urlsplit(self.path).path
        inm = self.headers.get("If-None-Match")
        with State.lock:
            body = State.docs.get(path)
            mode = State.mode.get(path, "ok")
        if path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "/c2.txt")
            self.send_header("Content-Length", "0")
            self.end_headers()
            State.requests.append((path, inm, None, 302))
            return
        if body is None:
            st, out, ctype, etag = 404, b"not here", "text/plain", None
        elif mode == "500":
            st, out, ctype, etag = 500, b"oops", "text/plain", None
        elif mode == "garbage-html":
            st, out, ctype, etag = 200, b"<html><body>Service temporarily unavailable</body></html>", "text/html", '"g1"'
        elif mode == "garbage-json":
            st, out, ctype, etag = 200, b'{"this": "is not", "a": ["feed"]}', "application/json", '"g2"'
        else:
            etag = '"%s"' % hashlib.sha256(body).hexdigest()[:16]
            if inm == etag:
                st, out, ctype = 304, b"", None
            else:
                st, out, ctype = 200, body, "application/octet-stream"
        State.requests.append((path, inm, self.headers.get("If-Modified-Since"), st))
        self.send_response(st)
        if etag:
            self.send_header("ETag", etag)
        if ctype:
            self.send_header("Content-Type", ctype)
        if st != 304:
            self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        if st != 304:
            self.wfile.write(out)


class TServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


def start_feed_server(tls_ctx=None):
    s = TServer(("127.0.0.1", 0), Handler)
    if tls_ctx:
        s.socket = tls_ctx.wrap_socket(s.socket, server_side=True)
    threading.Thread(target=s.serve_forever, daemon=True).start()
    return s


plain = start_feed_server()
PURL = "http://127.0.0.1:%d" % plain.server_address[1]

# a CA and a server certificate for 127.0.0.1, made with the openssl tool
pki = os.path.join(base, "pki")
os.makedirs(pki)


def ossl(*args):
    subprocess.run(["openssl"] + list(args), cwd=pki, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


ossl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
     "-subj", "/CN=vigil test feed CA")
ossl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "srv.key", "-out", "srv.csr", "-subj", "/CN=127.0.0.1")
with open(os.path.join(pki, "ext.cnf"), "w") as f:
    f.write("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n")
ossl("x509", "-req", "-in", "srv.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "srv.pem",
     "-days", "2", "-extfile", "ext.cnf")
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(os.path.join(pki, "srv.pem"), os.path.join(pki, "srv.key"))
tls = start_feed_server(ctx)
SURL = "https://127.0.0.1:%d" % tls.server_address[1]
CA = os.path.join(pki, "ca.pem")

set_doc("/apt1.json", apt1)
set_doc("/c2.txt", ("# c2 list\n%s\n%s\n" % (IP_A, IP_C)).encode())
set_doc("/sched.txt", b"# scheduled\n")
set_doc("/wl.json", rfc1918)

# ---- the server ---------------------------------------------------------------
data = os.path.join(base, "data")
srv = t.Server(data, "--intel-ca-file", CA)
SERVER = srv.url("")


def cli(*args, data_dir=None):
    cmd = [t.VIGIL, "intel"] + list(args)
    if data_dir:
        cmd += ["--data", data_dir]
    else:
        cmd += ["--server", SERVER, "--token", srv.token]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def api(method, path, body=None, token=None):
    old = srv.token
    if token:
        srv.token = token
    try:
        st, out = srv.http(method, path, body, ctype="application/json")
    finally:
        srv.token = old
    try:
        return st, json.loads(out) if out else None
    except ValueError:
        return st, None


def feed(name):
    st, d = api("GET", "/api/v1/intel/feeds")
    for f in (d or {}).get("feeds", []):
        if f["name"] == name:
            return f
    return None


def syslog(host, msg):
    return b"<38>Dec 10 06:55:46 %s sshd[4130]: %s" % (host.encode(), msg.encode())


sent = 0


def login(host, ip):
    global sent
    sent += 1
    line = syslog(host, "Accepted publickey for deploy from %s port %d ssh2: ED25519 SHA256:x" % (ip, 40000 + sent))
    t.send_tcp(srv, line + b"\n")
    srv.wait_counter("stored", "syslog-tcp", sent)


def alert_count(host, timeout=20, want=None):
    deadline = time.time() + timeout
    n = -1
    while time.time() < deadline:
        st, d = api("GET", "/api/v1/alerts?" + urllib.parse.urlencode({"q": "host.name:%s" % host, "limit": 100}))
        # a repeat of a rule on the same host and source is counted into
        # the existing alert (aggregation), so add up the alerts' counts
        n = sum(a.get("count", 1) for a in d["alerts"]) if st == 200 else -1
        if want is None or n >= want:
            break
        time.sleep(0.2)
    return n


def lookup(v):
    st, d = api("GET", "/api/v1/intel/lookup?" + urllib.parse.urlencode({"value": v}))
    return d if st == 200 else {}


# 1. add: registered and fetched at once
rc, out, err = cli("feeds", "add", "apt1", PURL + "/apt1.json", "--format", "stix", "--refresh", "1h")
print(out, err)
t.check(rc == 0, "vigil intel feeds add apt1 (http) exits 0")
f = feed("apt1")
t.check(f is not None and f["status"] == "ok", "apt1 registered and fetched (%s)" % (f and f["status"]))
t.check(f is not None and f["indicators"] == 12 and f["accepted"] == 10 and f["rejected"] == 2,
        "apt1 counts: 12 indicators, 10 accepted, 2 rejected (%s)" % str(f and (f["indicators"], f["accepted"], f["rejected"])))
rc, out, err = cli("feeds", "add", "c2", PURL + "/c2.txt", "--format", "csv", "--refresh", "1h")
t.check(rc == 0 and feed("c2")["accepted"] == 2, "c2 text feed added with 2 indicators")
d = lookup("223.167.5.5")
t.check(d.get("count") == 1 and d["matches"][0]["feed"] == "apt1", "lookup 223.167.5.5: the apt1 /15 indicator (%s)" % d)
d = lookup(IP_A)
t.check(d.get("count") == 1 and d["matches"][0]["feed"] == "c2" and d["matches"][0]["active"], "lookup %s: feed c2, active" % IP_A)
rc, out, err = cli("lookup", IP_A)
t.check(rc == 0 and "feed=c2" in out, "vigil intel lookup prints the feed (%s)" % out.strip())

h_a = "feed-a-" + run
login(h_a, IP_A)
t.check(alert_count(h_a, want=1) == 1, "an event with %s (feed c2) alerts" % IP_A)

# 2. nothing new: conditional GET answered 304
State.requests.clear()
rc, out, err = cli("feeds", "refresh", "c2")
req = [r for r in State.requests if r[0] == "/c2.txt"]
t.check(rc == 0 and "not changed" in out, "refresh without change: 'not changed' (%s)" % out.strip())
t.check(len(req) == 1 and req[0][1] is not None and req[0][3] == 304,
        "the refresh was a conditional GET answered 304 (%s)" % req)
t.check(feed("c2")["status"] == "unchanged", "feed status 'unchanged'")

# 3. the feed changes: A removed, B added
set_doc("/c2.txt", ("# c2 list v2\n%s\n%s\n" % (IP_B, IP_C)).encode())
rc, out, err = cli("feeds", "refresh", "c2")
t.check(rc == 0 and out.startswith("changed"), "refresh after the change: 'changed'")
h_b, h_a2 = "feed-b-" + run, "feed-a2-" + run
login(h_b, IP_B)
login(h_a2, IP_A)
t.check(alert_count(h_b, want=1) == 1, "the added address %s alerts after the refresh" % IP_B)
time.sleep(1.0)
t.check(alert_count(h_a2) == 0, "the removed address %s no longer alerts" % IP_A)
t.check(lookup(IP_A).get("count") == 0, "lookup of the removed address finds nothing")

# 4. garbage and errors keep the previous set
for mode, what in (("garbage-html", "an HTML page"), ("garbage-json", "JSON that is no feed"), ("500", "HTTP 500")):
    with State.lock:
        State.mode["/c2.txt"] = mode
    rc, out, err = cli("feeds", "refresh", "c2")
    f = feed("c2")
    t.check(rc == 1 and f["status"] == "error" and f["error"], "%s: refresh fails, error recorded (%s)" % (what, f["error"]))
    h = "feed-g-%s-%s" % (mode, run)
    login(h, IP_B)
    t.check(alert_count(h, want=1) == 1, "%s: the previous indicators still alert" % what)
with State.lock:
    State.mode["/c2.txt"] = "ok"
st, d = api("GET", "/api/v1/intel/stats")
t.check(st == 200 and d["indicators"] >= 12 and any(x["name"] == "c2" for x in d["feeds"]),
        "GET /api/v1/intel/stats: %s indicators" % (d or {}).get("indicators"))

# 5. a redirect is followed; a feed refreshing every second picks up an edit
rc, out, err = cli("feeds", "add", "redir", PURL + "/redirect", "--refresh", "off")
t.check(rc == 0 and feed("redir")["accepted"] == 2, "a feed behind a 302 redirect loads (%s)" % feed("redir"))
rc, out, err = cli("feeds", "add", "sched", PURL + "/sched.txt", "--refresh", "1s")
# its first scheduled refresh may already have run (status "unchanged"):
# both mean the fetched copy is in use
t.check(rc == 0 and feed("sched")["status"] in ("ok", "unchanged"), "a 1 s feed is added (empty at first)")
set_doc("/sched.txt", ("# scheduled\n%s\n" % IP_C.replace("192.0.2.", "192.0.2.2")).encode())
sched_ip = IP_C.replace("192.0.2.", "192.0.2.2")
deadline = time.time() + 15
while time.time() < deadline and lookup(sched_ip).get("count", 0) == 0:
    time.sleep(0.3)
t.check(lookup(sched_ip).get("count") == 1, "the scheduled refresh picked up %s by itself" % sched_ip)

# 6. https with the CA given to the server; without the CA verification fails
rc, out, err = cli("feeds", "add", "tls", SURL + "/c2.txt", "--format", "csv")
f = feed("tls")
t.check(rc == 0 and f["status"] == "ok" and f["accepted"] == 2, "an https feed verified with --intel-ca-file (%s)" % (f and f["error"]))
offline = os.path.join(base, "offline")
os.makedirs(offline)
rc, out, err = cli("feeds", "add", "tls", SURL + "/c2.txt", data_dir=offline)
t.check(rc == 0, "feeds add in a data directory")
rc, out, err = cli("feeds", "refresh", "tls", data_dir=offline)
t.check(rc == 1 and "certificate" in (out + err), "without the CA the certificate is refused (%s)" % err.strip())
rc, out, err = cli("feeds", "refresh", "tls", "--ca-file", CA, data_dir=offline)
t.check(rc == 0 and out.startswith("changed"), "with --ca-file the offline refresh loads it")
rc, out, err = cli("feeds", "list", "--json", data_dir=offline)
t.check(rc == 0 and json.loads(out)["feeds"][0]["accepted"] == 2, "feeds list --json in the data directory")
rc, out, err = cli("feeds", "remove", "tls", data_dir=offline)
t.check(rc == 0 and not os.path.exists(os.path.join(offline, "intel", "feeds", "tls.cache")),
        "feeds remove in the data directory drops the cached copy")

# 7. a warninglist feed suppresses hits
set_doc("/c2priv.txt", b"10.20.30.40\n")
rc, out, err = cli("feeds", "add", "priv", PURL + "/c2priv.txt")
rc2, out, err = cli("feeds", "add", "rfc1918", PURL + "/wl.json", "--format", "warninglist")
f = feed("rfc1918")
t.check(rc == 0 and rc2 == 0 and f["warninglist_entries"] > 0, "a warninglist feed (%s entries)" % f["warninglist_entries"])
d = lookup("10.20.30.40")
t.check(d.get("warninglisted") is True and d.get("count") == 1 and not d["matches"][0]["active"],
        "lookup shows the indicator, warninglisted and so inactive")
h = "feed-wl-" + run
login(h, "10.20.30.40")
time.sleep(1.0)
t.check(alert_count(h) == 0, "a warninglisted indicator address does not alert")

# 8. API errors and roles
st, d = api("POST", "/api/v1/intel/feeds", b'{"name":"c2","location":"%s/c2.txt"}' % PURL.encode())
t.check(st == 409, "a duplicate name answers 409 (%d)" % st)
st, d = api("POST", "/api/v1/intel/feeds", b'{"name":"../x","location":"http://127.0.0.1:1/"}')
t.check(st == 400, "a bad name answers 400 (%d)" % st)
st, d = api("POST", "/api/v1/intel/feeds", b'{"name":"rel","location":"feeds/x.txt"}')
t.check(st == 400, "a relative file path answers 400 (%d)" % st)
st, d = api("POST", "/api/v1/intel/feeds", b'not json')
t.check(st == 400, "a body that is not JSON answers 400 (%d)" % st)
st, d = api("DELETE", "/api/v1/intel/feeds/nosuch")
t.check(st == 404, "DELETE of an unknown feed answers 404 (%d)" % st)
st, d = api("POST", "/api/v1/intel/feeds/nosuch/refresh")
t.check(st == 404, "refresh of an unknown feed answers 404 (%d)" % st)
st, d = api("GET", "/api/v1/intel/feeds/c2")
t.check(st == 405, "GET on a feed path answers 405 (%d)" % st)
st, d = api("GET", "/api/v1/intel/lookup")
t.check(st == 400, "lookup without a value answers 400 (%d)" % st)
p = subprocess.run([t.VIGIL, "tokens", "create", "--name", "viewer-" + run, "--role", "viewer", "--data", data],
                   capture_output=True, text=True, timeout=60)
vtok = None
for word in p.stdout.split():
    if word.startswith("vgt_"):
        vtok = word
t.check(vtok is not None, "a viewer token was created")
if vtok:
    st, _ = api("GET", "/api/v1/intel/feeds", token=vtok)
    st2, _ = api("GET", "/api/v1/intel/lookup?value=1.2.3.4", token=vtok)
    st3, _ = api("GET", "/api/v1/intel/stats", token=vtok)
    t.check(st == 200 and st2 == 200 and st3 == 200, "a viewer may list, look up and read stats")
    st, _ = api("POST", "/api/v1/intel/feeds", b'{"name":"v","location":"%s/c2.txt"}' % PURL.encode(), token=vtok)
    st2, _ = api("DELETE", "/api/v1/intel/feeds/c2", token=vtok)
    st3, _ = api("POST", "/api/v1/intel/feeds/c2/refresh", token=vtok)
    t.check(st == 403 and st2 == 403 and st3 == 403, "a viewer may not add, delete or refresh (%d %d %d)" % (st, st2, st3))
st, d = api("DELETE", "/api/v1/intel/feeds/redir")
t.check(st == 200 and feed("redir") is None, "DELETE removes a feed")

# 9. restart with the feed server down: the cached copies still serve
srv.stop()
plain.shutdown()
plain.server_close()
srv = t.Server(data, "--intel-ca-file", CA)
SERVER = srv.url("")
sent = 0  # the new server counts from zero
t.check(feed("c2") is not None and feed("apt1") is not None, "the registry survived the restart")
h = "feed-restart-" + run
login(h, IP_B)
t.check(alert_count(h, want=1) == 1, "after a restart the cached copy of c2 alerts on %s" % IP_B)
rc, out, err = cli("feeds", "refresh", "c2")
f = feed("c2")
t.check(rc == 1 and f["status"] == "error" and "connect" in f["error"], "the feed server is down: error recorded (%s)" % f["error"])
login(h, IP_B)
t.check(alert_count(h, want=2) == 2, "and the previous copy keeps alerting")
rc, out, err = cli("feeds", "list")
t.check(rc == 0 and "c2" in out and "apt1" in out, "vigil intel feeds list (server)")
print(out)
srv.stop()
tls.shutdown()
t.cleanup(base)
t.finish()
