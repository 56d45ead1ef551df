"""Syslog end to end: TCP (newline and octet-counting framing), UDP and TLS
into a real `vigil serve`; malformed input (binary garbage, a 10 MB line,
invalid UTF-8, a garbage octet count, an oversized octet frame) is counted
and never kills the server or loses the neighbour lines; SIGTERM drains an
open connection and commits; after a restart everything is there once."""
import json
import os
import random
import re
import signal
import time
import vgtest as t

base = t.tmpdir("syslog")
data = os.path.join(base, "data")
srv = t.Server(data, "--syslog-tls", "127.0.0.1:0")
run = "%08x" % random.getrandbits(32)

def line(tag, i):
    # the unique marker is the host name, so the sshd message stays standard
    return b"<38>Dec 10 06:55:46 m-%s-%s-%d sshd[%d]: Failed password for root from 173.234.31.186 port %d ssh2" % (
        run.encode(), tag, i, 1000 + i, 40000 + (i % 20000))

# TCP newline framing, octet counting on a second connection
t.send_tcp(srv, b"".join(line(b"lf", i) + b"\n" for i in range(200)))
t.send_tcp(srv, b"".join(t.octet(line(b"oc", i)) for i in range(200)))
# UDP
t.send_udp(srv, [line(b"udp", i) for i in range(50)])
# TLS (RFC 5425: octet counting inside TLS)
t.send_tls(srv, b"".join(t.octet(line(b"tls", i)) for i in range(100)))

# malformed input on one TCP connection, each followed by a good line
bad = b""
garbage = bytes(random.getrandbits(8) for _ in range(4096)).replace(b"\n", b"x").replace(b"\0", b"y")
bad += b"\xff" + garbage + b"\n" + line(b"after", 0) + b"\n"                     # binary garbage
bad += b"A" * (10 * 1024 * 1024) + b"\n" + line(b"after", 1) + b"\n"            # 10 MB line
bad += b"<13>Dec 10 06:55:46 host app: bad utf8 \xc3\x28 \xff\xfe\n" + line(b"after", 2) + b"\n"
bad += b"99999999999 x\n" + line(b"after", 3) + b"\n"                            # garbage octet count
bad += b"300000 " + b"Z" * 300000 + line(b"after", 4) + b"\n"                    # oversized octet frame
t.send_tcp(srv, bad)
t.send_udp(srv, [b"\x00\x01\x02\xff" * 100, b"\xc3\x28", line(b"after", 5)])

t.check(srv.wait_counter("stored", "syslog-tcp", 406, 60) >= 406, "TCP lines committed")
t.check(srv.wait_counter("stored", "syslog-udp", 52, 30) >= 52, "UDP datagrams committed")
t.check(srv.wait_counter("stored", "syslog-tls", 100, 30) >= 100, "TLS frames committed")
t.check(srv.alive(), "server alive after malformed input")
m = srv.metrics()
t.check(m.get('vigil_events_dropped_total{source="syslog-tcp"}', 0) == 2,
        "oversized line and oversized octet frame counted as dropped (%s)" % m.get('vigil_events_dropped_total{source="syslog-tcp"}'))
t.check(m.get('vigil_events_failed_total{source="syslog-tcp"}', 0) >= 3, "framing/decode failures counted")

# SIGTERM with an open connection: what was sent before the signal is committed
s = t.tcp_connect(srv)
s.sendall(b"".join(line(b"term", i) + b"\n" for i in range(5000)))
time.sleep(0.05)
rc = srv.stop(signal.SIGTERM)
s.close()
t.check(rc == 0, "SIGTERM exits 0 (rc=%s)" % rc)

evs = t.dump(data)
raws = [t.raw_of(e) for e in evs]
def marker(r):
    m = re.search(r" (m-[0-9a-f]{8}-[a-z]+-[0-9]+) ", r)
    return m.group(1) if m else None
def count(tag, n):
    want = set("m-%s-%s-%d" % (run, tag, i) for i in range(n))
    got = [marker(r) for r in raws if (" m-%s-%s-" % (run, tag)) in r]
    return len(got), len(set(got) & want)
expected = (("lf", 200), ("oc", 200), ("udp", 50), ("tls", 100), ("after", 6), ("term", 5000))
for tag, n in expected:
    total, uniq = count(tag, n)
    t.check(total == n and uniq == n, "%s: %d of %d stored exactly once (%d rows)" % (tag, uniq, n, total))
t.check(any("bad utf8" in r for r in raws), "invalid UTF-8 line kept (raw)")
t.check(not any("AAAAAAAAAA" in r for r in raws), "10 MB line not stored")

# restart: the server comes back on the same data, nothing changes
srv2 = t.Server(data)
t.check(srv2.token == srv.token, "admin token kept across restarts")
t.check(oct(os.stat(os.path.join(data, "admin.token")).st_mode & 0o777) == "0o600", "admin.token mode 0600")
st, body = srv2.http("GET", "/api/v1/events?q=source.ip:173.234.31.186&limit=10000")
hits = json.loads(body).get("events", []) if st == 200 else []
found = len([e for e in hits if (" m-%s-" % run) in t.raw_of(e)])
want_n = sum(n for _, n in expected)
t.check(found == want_n, "search source.ip:173.234.31.186 finds all %d lines (found %d, status %d)" % (want_n, found, st))
t.check(srv2.stop() == 0, "second server stops cleanly")
t.check(len(t.dump(data)) == len(evs), "restart changed nothing")
t.cleanup(base)
t.finish()
