"""`vigil ingest` on other formats: a JSON array, JSON lines with a
malformed record in the middle (counted as failed, neighbours stored), and
EVTX files (records libevtx cannot read are kept raw and counted as
failed). Loading the same files again stores nothing new."""
import glob
import json
import os
import re
import subprocess
import vgtest as t

base = t.tmpdir("formats")
data = os.path.join(base, "data")

def ingest(*files):
    r = subprocess.run([t.VIGIL, "ingest", "--data", data] + list(files), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=600)
    rows = {}
    for m in re.finditer(rb"^(.*): read (\d+), decoded (\d+), failed (\d+), stored (\d+), duplicates (\d+), dropped (\d+)$",
                         r.stdout, re.M):
        rows[m.group(1).decode()] = tuple(int(x) for x in m.groups()[1:])
    return r.returncode, rows, r.stderr.decode(errors="replace")

arr = os.path.join(base, "alerts.json")
with open(arr, "w") as f:
    json.dump([{"@timestamp": "2024-05-01T10:00:%02dZ" % i, "event": {"action": "logon"}, "user": {"name": "u%d" % i},
                "source": {"ip": "10.1.2.%d" % i}} for i in range(50)], f, indent=1)
jl = os.path.join(base, "events.jsonl")
with open(jl, "w") as f:
    for i in range(20):
        f.write(json.dumps({"@timestamp": "2024-05-01T11:00:%02dZ" % i, "message": "jl %d" % i}) + "\n")
    f.write('{"message": "truncated\n')
    for i in range(20, 40):
        f.write(json.dumps({"@timestamp": "2024-05-01T11:00:%02dZ" % i, "message": "jl %d" % i}) + "\n")

rc, rows, err = ingest(arr, jl)
print(rows)
t.check(rows.get(arr, (0,) * 6)[0:5:3] == (50, 50), "JSON array: 50 read, 50 stored")
t.check(rows.get(arr, (0,) * 6)[1] == 50, "JSON array: 50 decoded")
r = rows.get(jl, (0,) * 6)
t.check(r[0] == 41 and r[3] == 40 and r[2] >= 1 and r[5] == 1, "JSON lines: 40 stored, the truncated record failed+dropped %s" % (r,))
t.check(rc == 1, "exit 1 when a record was dropped")
evs = t.dump(data)
msgs = set(e.get("message") for e in evs)
t.check(all(("jl %d" % i) in msgs for i in range(40)), "neighbours of the malformed record stored")

evtx = sorted(glob.glob(os.path.join(t.SHARED, "data/windows/**/*.evtx"), recursive=True))
t.check(len(evtx) > 0, "EVTX test files found")
rc, rows, err = ingest(*evtx)
print(rows)
total = sum(v[0] for k, v in rows.items() if k.endswith(".evtx"))
stored = sum(v[3] for k, v in rows.items() if k.endswith(".evtx"))
t.check(total > 0 and stored == total, "EVTX: every record stored (%d of %d)" % (stored, total))
rc, rows, err = ingest(arr, *evtx)
t.check(all(v[3] == 0 and v[4] == v[0] for k, v in rows.items() if k != "total"), "re-ingest stores nothing new %s" % (rows,))
t.cleanup(base)
t.finish()
