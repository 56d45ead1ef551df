"""Correlation rules end to end: `vigil serve` with a base rule and an
event_count correlation (group-by source.ip, 5 failures in 10 minutes,
generate: false). Three failed logins, a clean stop (the state is written to
<data>/correlation.state), a restart, two more failed logins: the
correlation fires once, on the fifth event, and the base rule makes no alert
of its own. Another source IP with four failures does not fire."""
import datetime
import json
import os
import random
import time
import urllib.parse
import vgtest as t

base = t.tmpdir("corr")
data = os.path.join(base, "data")
rules = os.path.join(base, "rules")
os.makedirs(rules)
run = "%06x" % random.getrandbits(24)
CORR_ID = "6f1d2c3b-4a59-4e6f-8a7b-%s000000" % run
BASE_ID = "7a2e3d4c-5b6a-4f70-9b8c-%s000000" % run
with open(os.path.join(rules, "corr.yml"), "w") as f:
    f.write("""title: CT failed login
id: %s
name: ct_failed_%s
logsource: {product: linux, service: sshd}
detection:
    sel:
        user.name|startswith: ct-%s-
    condition: sel
level: low
---
title: CT brute force from one address
id: %s
author: Integration Test
level: high
correlation:
    type: event_count
    rules: [ct_failed_%s]
    group-by: [source.ip]
    timespan: 10m
    condition:
        gte: 5
""" % (BASE_ID, run, run, CORR_ID, run))

now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def line(i, ip):
    ts = (now - datetime.timedelta(seconds=60 - i)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return ("<38>1 %s ct-host-%s sshd %d - - Failed password for ct-%s-%d from %s port %d ssh2"
            % (ts, run, 3000 + i, run, i, ip, 40000 + i)).encode()


def alerts(rule):
    st, body = srv.http("GET", "/api/v1/alerts?" + urllib.parse.urlencode({"rule": rule, "limit": 1000}))
    t.check(st == 200, "GET /api/v1/alerts?rule=%s answers 200 (%d)" % (rule, st))
    return json.loads(body) if st == 200 else {"alerts": [], "count": 0}


srv = t.Server(data, "--no-default-rules", "--rules", rules)
first = [line(i, "203.0.113.9") for i in range(3)] + [line(10 + i, "198.51.100.4") for i in range(4)]
t.send_tcp(srv, b"".join(l + b"\n" for l in first))
t.check(srv.wait_counter("stored", "syslog-tcp", len(first)) >= len(first), "first failed logins stored")
t.check(alerts(CORR_ID)["count"] == 0, "no correlation alert before the threshold")
t.check(alerts(BASE_ID)["count"] == 0, "the base rule (generate: false) makes no alert of its own")
m = srv.metrics()
t.check(m.get("vigil_correlation_keys", 0) == 2, "two correlation keys live (%s)" % m.get("vigil_correlation_keys"))
t.check(srv.stop() == 0, "clean stop")
state = os.path.join(data, "correlation.state")
t.check(os.path.exists(state) and os.path.getsize(state) > 24, "correlation state written at stop")

srv = t.Server(data, "--no-default-rules", "--rules", rules)
second = [line(3 + i, "203.0.113.9") for i in range(2)]
t.send_tcp(srv, b"".join(l + b"\n" for l in second))
t.check(srv.wait_counter("stored", "syslog-tcp", len(second)) >= len(second), "later failed logins stored")
d = {"count": 0, "alerts": []}
for _ in range(100):
    d = alerts(CORR_ID)
    if d["count"]:
        break
    time.sleep(0.1)
t.check(d["count"] == 1, "the correlation fires once across the restart (%d)" % d["count"])
a = d["alerts"][0] if d["alerts"] else {}
t.check(a.get("title") == "CT brute force from one address" and a.get("level") == "high" and a.get("author") == "Integration Test",
        "correlation alert carries title, level and author")
t.check(a.get("source.ip") == "203.0.113.9", "on the event from the grouped address (%s)" % a.get("source.ip"))
t.check(alerts(BASE_ID)["count"] == 0, "still no base-rule alerts")
m = srv.metrics()
t.check(m.get("vigil_correlation_fires_total", 0) == 1, "fires counted in /metrics")
t.check(srv.stop() == 0, "clean stop")
t.cleanup(base)
t.finish()
