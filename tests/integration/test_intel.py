"""Threat intel in the running server: `vigil serve --intel STIX_DIR
--intel-warninglists WL_DIR` loads the shared STIX 2.1 examples and MISP
warninglists at start; an event carrying an indicator's address becomes one
alert naming the indicator, its feed, confidence and validity, while an
event with 8.8.8.8 (on the public-dns warninglist) makes none. Hits are
counted in /metrics; POST /api/v1/rules/reload and SIGHUP rebuild the set
while events keep flowing (none dropped). A second server configured through
an [intel] section with `refresh = 1s` picks up a feed edited on disk without
any signal."""
import glob
import json
import os
import random
import re
import signal
import threading
import time
import urllib.parse
import vgtest as t

run = "%06x" % random.getrandbits(24)
STIX = os.path.join(t.SHARED, "data", "intel", "stix21")
WL = os.path.join(t.SHARED, "data", "intel", "misp-warninglists")


def syslog(host, msg):
    return b"<38>Dec 10 06:55:46 %s sshd[4130]: %s" % (host.encode(), msg.encode())


def login_from(host, ip):
    # an accepted public-key login: the pack's "SSH Login Accepted" rule only
    # feeds a correlation, so any alert on this host comes from threat intel
    return syslog(host, "Accepted publickey for deploy from %s port 50022 ssh2: ED25519 SHA256:x" % ip)


def alerts(srv, query):
    st, body = srv.http("GET", "/api/v1/alerts?" + urllib.parse.urlencode(query))
    if st != 200:
        t.check(False, "GET /api/v1/alerts?%s answers 200 (%d)" % (urllib.parse.urlencode(query), st))
    return json.loads(body) if st == 200 else {"alerts": [], "count": 0}


def wait_alerts(srv, query, n, timeout=60):
    deadline = time.time() + timeout
    d = {"alerts": [], "count": 0}
    while time.time() < deadline:
        d = alerts(srv, dict(query, limit=10000))
        # repeats are counted into existing alert rows (aggregation, and one
        # storm row per rule and host past 20 rows): count events, not rows
        d["count"] = sum(a.get("count", 1) for a in d["alerts"])
        if d["count"] >= n:
            break
        time.sleep(0.2)
    return d


# ---- pick an indicator from the STIX files: a single IPv4 address that no
# other indicator names (read from the data, not hard-coded) --------------------
inds = []
for path in sorted(glob.glob(os.path.join(STIX, "**", "*.json"), recursive=True)):
    try:
        with open(path) as f:
            doc = json.load(f)
    except (OSError, ValueError):
        continue
    objs = doc.get("objects", [doc]) if isinstance(doc, dict) else doc
    for o in objs:
        if isinstance(o, dict) and o.get("type") == "indicator":
            inds.append((os.path.basename(path), o))
pick = None
for feed, o in inds:
    m = re.fullmatch(r"\[\s*ipv4-addr:value\s*=\s*'(\d+\.\d+\.\d+\.\d+)'\s*\]", o.get("pattern", ""))
    if not m or o.get("valid_until") or o.get("revoked"):
        continue
    ip = m.group(1)
    first = int(ip.split(".")[0])
    if first in (10, 127) or ip.startswith("192.168.") or ip.startswith("172."):
        continue  # private ranges are on the rfc1918 warninglist
    if sum(ip in (x.get("pattern") or "") for _, x in inds) != 1:
        continue
    pick = (feed, o, ip)
    break
t.check(pick is not None, "a single-address STIX indicator found in %s" % STIX)
if pick is None:
    t.finish()
feed, ind, bad_ip = pick
# an indicator address that is on a loaded warninglist (rfc1918): must not alert
private = None
for _, o in inds:
    m = re.fullmatch(r"\[\s*ipv4-addr:value\s*=\s*'(10\.\d+\.\d+\.\d+)'\s*\]", o.get("pattern", ""))
    if m:
        private = m.group(1)
        break
print("indicator %s (%s) %s from %s, confidence %s, valid_from %s" % (ind["id"], ind.get("name"), bad_ip, feed,
                                                                       ind.get("confidence"), ind.get("valid_from")))

base = t.tmpdir("intel")
data = os.path.join(base, "data")
srv = t.Server(data, "--intel", STIX, "--intel-warninglists", WL)
m0 = srv.metrics()
t.check(m0.get("vigil_intel_indicators", 0) > 0 and m0.get("vigil_intel_loads_total") == 1,
        "the set is loaded at start (%s indicators)" % m0.get("vigil_intel_indicators"))

hit_host, wl_host = "intel-hit-" + run, "intel-wl-" + run
first = [login_from(hit_host, bad_ip), login_from(wl_host, "8.8.8.8")]
if private:
    first.append(login_from(wl_host, private).replace(b"50022", b"50024"))
t.send_tcp(srv, b"".join(l + b"\n" for l in first))
t.check(srv.wait_counter("stored", "syslog-tcp", len(first)) >= len(first), "the events were stored")
d = wait_alerts(srv, {"q": "host.name:%s" % hit_host}, 1)
time.sleep(1.0)  # anything else would have been committed with its event by now
d = alerts(srv, {"q": "host.name:%s" % hit_host, "limit": 100})
t.check(d["count"] == 1, "exactly one alert for the event with the indicator's address (%d)" % d["count"])
a = d["alerts"][0] if d["alerts"] else {}
print(json.dumps(a, indent=1)[:3000])
rule = a.get("rule") or {}
tags = rule.get("tags") or []
t.check(a.get("rule_id") == "intel:" + ind["id"], "alert names the indicator id (%s)" % a.get("rule_id"))
t.check(ind.get("name", "") in a.get("title", ""), "alert title carries the indicator name (%s)" % a.get("title"))
t.check("intel.feed:" + feed in tags, "alert names the feed %s (%s)" % (feed, tags))
t.check("intel.type:ip" in tags, "alert names the matched type")
if ind.get("confidence") is not None:
    t.check("intel.confidence:%d" % ind["confidence"] in tags, "alert carries the confidence %d" % ind["confidence"])
else:
    t.check(not any(x.startswith("intel.confidence:") for x in tags) and "confidence -1" in (rule.get("description") or "")
            and a.get("level") == "medium", "indicator without confidence: none in the tags, medium level")
vf = [x[len("intel.valid_from:"):] for x in tags if x.startswith("intel.valid_from:")]
t.check(len(vf) == 1 and vf[0][:19] == ind["valid_from"][:19], "alert carries the validity start %s (%s)" % (ind["valid_from"], vf))
t.check(not any(x.startswith("intel.valid_until:") for x in tags), "open-ended validity: no valid_until tag")
t.check(a.get("source.ip") == bad_ip, "alert carries the event's source.ip")
t.check(rule.get("file") == feed and (rule.get("logsource") or {}).get("category") == "threat_intel",
        "rule file is the feed, category threat_intel")
t.check(alerts(srv, {"q": "host.name:%s" % wl_host, "limit": 100})["count"] == 0,
        "no alert for 8.8.8.8 (warninglisted)%s" % (" nor for the indicator address %s (rfc1918 warninglist)" % private
                                                    if private else ""))
m = srv.metrics()
t.check(m.get("vigil_intel_hits_total") == 1 and m.get("vigil_intel_alerts_total") == 1,
        "one hit and one intel alert in /metrics (%s, %s)" % (m.get("vigil_intel_hits_total"), m.get("vigil_intel_alerts_total")))
if private:
    t.check(m.get("vigil_intel_suppressed_total", 0) >= 1, "the warninglisted indicator hit counted as suppressed")

# ---- reloads while events flow: nothing dropped, every hit still alerts ------
sent = [0]
flow_host = "intel-flow-" + run


def sender():
    s = t.tcp_connect(srv)
    i = 0
    while i < 2000:
        s.sendall(b"".join(syslog(flow_host, "Accepted publickey for u%d from %s port %d ssh2: ED25519 SHA256:x"
                                  % (i + k, bad_ip, 1024 + i + k)) + b"\n" for k in range(50)))
        i += 50
        time.sleep(0.04)
    s.close()
    sent[0] = i


th = threading.Thread(target=sender)
th.start()
time.sleep(0.2)
st, body = srv.http("POST", "/api/v1/rules/reload", body=b"")
rel = json.loads(body) if st == 200 else {}
intel = rel.get("intel") or {}
t.check(st == 200 and rel.get("ok") and intel.get("ok") and intel.get("indicators") == m0.get("vigil_intel_indicators"),
        "POST /api/v1/rules/reload rebuilds the intel set (%s)" % intel)
time.sleep(0.2)
srv.proc.send_signal(signal.SIGHUP)
th.join()
n = sent[0]
t.check(srv.wait_counter("stored", "syslog-tcp", len(first) + n, 120) == len(first) + n, "every line sent during the reloads stored (%d)" % n)
flow = wait_alerts(srv, {"q": "host.name:%s" % flow_host}, n, 120)
t.check(flow["count"] == n, "every event across the reloads matched: %d intel alerts for %d events" % (flow["count"], n))
deadline = time.time() + 30
while time.time() < deadline and srv.metrics().get("vigil_intel_loads_total", 0) < 3:
    time.sleep(0.1)
m = srv.metrics()
t.check(m.get("vigil_intel_loads_total") == 3 and m.get("vigil_intel_load_failures_total") == 0,
        "start + API reload + SIGHUP = 3 loads in /metrics (%s)" % m.get("vigil_intel_loads_total"))
t.check(srv.stop() == 0, "server stops cleanly")

# ---- [intel] section and scheduled refresh -----------------------------------
feeds = os.path.join(base, "feeds")
os.makedirs(feeds)
ip1, ip2 = "203.0.113.%d" % random.randint(1, 120), "203.0.113.%d" % random.randint(130, 250)
with open(os.path.join(feeds, "local.txt"), "w") as f:
    f.write("# local blocklist\n%s\n" % ip1)
conf = os.path.join(base, "vigil.conf")
with open(conf, "w") as f:
    f.write("[intel]\nfeeds = %s\nrefresh = 1s\n" % feeds)
srv2 = t.Server(os.path.join(base, "data2"), "--config", conf)
h2 = "intel-refresh-" + run
t.send_tcp(srv2, login_from(h2, ip1) + b"\n" + login_from(h2, ip2) + b"\n")
d = wait_alerts(srv2, {"q": "host.name:%s" % h2}, 1)
time.sleep(0.5)
d = alerts(srv2, {"q": "host.name:%s" % h2, "limit": 100})
t.check(d["count"] == 1 and d["alerts"][0].get("source.ip") == ip1 and "intel.feed:local.txt" in d["alerts"][0]["rule"]["tags"],
        "config feed: the listed address alerts, the other not yet (%d)" % d["count"])
loads = srv2.metrics().get("vigil_intel_loads_total", 0)
with open(os.path.join(feeds, "local.txt"), "a") as f:
    f.write("%s\n" % ip2)
deadline = time.time() + 30
while time.time() < deadline and srv2.metrics().get("vigil_intel_loads_total", 0) < loads + 2:
    time.sleep(0.2)
t.check(srv2.metrics().get("vigil_intel_loads_total", 0) >= loads + 2, "the refresh schedule rebuilds the set")
t.send_tcp(srv2, login_from(h2, ip2).replace(b"50022", b"50023") + b"\n")
d = wait_alerts(srv2, {"q": "host.name:%s AND source.ip:%s" % (h2, ip2)}, 1)
t.check(d["count"] == 1, "after the refresh the added address alerts (%d)" % d["count"])
t.check(srv2.stop() == 0, "second server stops cleanly")
t.cleanup(base)
t.finish()
