"""Crash safety: 100,000 lines over TCP syslog and 100,000 over HTTP
(POST /api/v1/ingest in batches, each answered 2xx only after commit) sent
concurrently; the server is killed with SIGKILL right after the last HTTP
response. After a restart every acknowledged HTTP event is stored exactly
once. TCP syslog has no acknowledgement: what was committed before the
kill is kept (counted and reported), nothing is stored twice, and nothing
that was not sent appears."""
import json
import os
import random
import re
import threading
import time
import vgtest as t

N = 100000
BATCH = 1000
run = "%08x" % random.getrandbits(32)
base = t.tmpdir("kill9")
data = os.path.join(base, "data")
srv = t.Server(data)

tcp_sent = [0]
def tcp_sender():
    s = t.tcp_connect(srv)
    try:
        for start in range(0, N, 5000):
            # one second apart, so no more than two lines share a timestamp
            chunk = b"".join(b"<38>Dec 10 %02d:%02d:%02d host sshd[%d]: Accepted password for u%d from 10.0.%d.%d port 22 ssh2 tcp-%s-%06d\n" % (
                i // 3600 % 24, i // 60 % 60, i % 60, i % 60000, i, i // 250 % 250, i % 250, run.encode(), i)
                for i in range(start, start + 5000))
            s.sendall(chunk)
            tcp_sent[0] = start + 5000
    except OSError:
        pass      # the server was killed while we were still sending
    finally:
        s.close()

acked = []
http_err = []
def http_sender():
    for start in range(0, N, BATCH):
        body = b"".join(json.dumps({"message": "login ok", "user": {"name": "u%d" % i},
                                    "marker": "http-%s-%06d" % (run, i)}).encode() + b"\n"
                        for i in range(start, start + BATCH))
        st, resp = srv.http("POST", "/api/v1/ingest", body)
        if 200 <= st < 300:
            acked.extend(range(start, start + BATCH))
        else:
            http_err.append((st, resp[:200]))

th_tcp = threading.Thread(target=tcp_sender)
th_tcp.start()
t0 = time.time()
http_sender()
srv.kill9()                       # right after the last HTTP response
print("HTTP: %d acknowledged in %.1f s; TCP: %d handed to the socket before the kill" % (len(acked), time.time() - t0, tcp_sent[0]))
th_tcp.join()
t.check(not http_err, "every HTTP batch answered 2xx (%d errors%s)" % (len(http_err), (": %s" % (http_err[0],)) if http_err else ""))

srv = t.Server(data)              # restart after the crash
t.check(srv.alive(), "server restarts on the crashed data directory")
t.check(srv.stop() == 0, "and stops cleanly")

evs = t.dump(data)
http_seen, tcp_seen = {}, {}
for e in evs:
    r = t.raw_of(e)
    m = re.search(r"http-%s-(\d{6})" % run, r)
    if m:
        http_seen[int(m.group(1))] = http_seen.get(int(m.group(1)), 0) + 1
    m = re.search(r"tcp-%s-(\d{6})" % run, r)
    if m:
        tcp_seen[int(m.group(1))] = tcp_seen.get(int(m.group(1)), 0) + 1
missing = [i for i in acked if http_seen.get(i, 0) == 0]
twice = [i for i, c in http_seen.items() if c > 1]
t.check(len(acked) == N, "all %d HTTP events acknowledged" % N)
t.check(not missing, "every acknowledged HTTP event stored (%d missing)" % len(missing))
t.check(not twice, "no HTTP event stored twice (%d twice)" % len(twice))
t.check(all(c == 1 for c in tcp_seen.values()), "no TCP line stored twice")
t.check(all(i < N for i in tcp_seen), "no TCP line that was not sent")
print("TCP lines committed before the kill: %d of %d sent (no acknowledgement on plain syslog)" % (len(tcp_seen), N))
t.cleanup(base)
t.finish()
