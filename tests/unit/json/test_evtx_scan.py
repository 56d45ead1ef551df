"""`vigil scan` over EVTX with the native BinXML decoder (src/decode/binxml.c):
the two real files Debian's libevtx 20181227 cannot read
($VG_SHARED/data/windows/evtx-modern) are read with no decode failure and
raise the Defender alerts; VG_EVTX_LIBEVTX=1 (the old libevtx-first order)
still keeps them, as decode failures; a synthetic file built by evtx_synth.py
with every value type, templates reused by offset, optional substitutions,
arrays and nested BinXml reads with no failure either. Usage:
test_evtx_scan.py VIGIL"""
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import evtx_synth as S  # noqa: E402

VIGIL = sys.argv[1]
SHARED = os.environ.get("VG_SHARED", "")
failures = []


def check(cond, msg):
    print(("ok   " if cond else "FAIL ") + msg, flush=True)
    if not cond:
        failures.append(msg)


def scan(paths, env_extra=None):
    env = dict(os.environ)
    env.pop("VG_EVTX_LIBEVTX", None)
    env.update(env_extra or {})
    p = subprocess.run([VIGIL, "scan", "--quiet", "--json", "--no-default-rules", "--rules",
                        os.path.join(SHARED, "sigma/rules/windows"), "-j", "1"] + paths,
                       capture_output=True, text=True, env=env, timeout=600)
    stats = {}
    for line in p.stderr.splitlines():
        m = re.match(r"^(events read|decode failures)\s+(\d+)", line)
        if m:
            stats[m.group(1)] = int(m.group(2))
    alerts = [l for l in p.stdout.splitlines() if l.startswith("{")]
    return p.returncode, stats, alerts, p.stderr


modern = os.path.join(SHARED, "data/windows/evtx-modern")
files = sorted(os.path.join(modern, f) for f in os.listdir(modern) if f.endswith(".evtx"))
check(len(files) == 2, "two evtx-modern files")
rc, st, alerts, err = scan(files)
print(st, len(alerts))
check(rc == 0 and st.get("events read") == 36, "36 records read natively (%s)" % st)
check(st.get("decode failures") == 0, "0 decode failures (%s)" % st)
check(sum('"Windows Defender Threat Detected"' in a for a in alerts) >= 5,
      "Defender threat detections alert on the 1116/1117 records")
rc, st_old, alerts_old, _ = scan(files, {"VG_EVTX_LIBEVTX": "1"})
check(st_old.get("events read") == 36 and st_old.get("decode failures") == 36,
      "VG_EVTX_LIBEVTX=1: libevtx path keeps them as decode failures (%s)" % st_old)
check(len(alerts_old) < len(alerts), "native path finds more (%d vs %d alerts)" % (len(alerts), len(alerts_old)))

# synthetic: every construct the renderer knows, in two chunks
c1 = S.Chunk(first_id=1)
vals = [S.vstr("hello"), S.vansi(b"ans\xe9i"), S.vint(3, -5), S.vint(4, 250), S.vint(5, -300), S.vint(6, 4624),
        S.vint(7, -70000), S.vint(8, 4000000000), S.vint(9, -5), S.vint(0xA, 2 ** 63), S.vint(0xB, 1.5), S.vint(0xC, 3.25),
        S.vint(0xD, 1), (0x0E, b"\x01\xab"), S.vguid("12345678-9abc-def0-1234-56789abcdef0"), (0x10, b"\x34\x12\0\0"),
        S.vint(0x11, 0x01D6CFB8FDB462CB), S.vsystime(2020, 12, 5, 11, 12, 28, 1, 177), S.vsid(1, 5, [21, 1, 2, 500]),
        S.vint(0x14, 0xABC), S.vint(0x15, 0xABC), (0x81, S.u16("one\0two\0")), S.varr(0x08, "<I", [1, 2]), (0, b"")]
data = [("el", "Data", [("Name", [("s", "v%d" % i)])], [("opt" if t == 0 else "sub", i, t)]) for i, (t, _) in enumerate(vals)]
tmpl = ("el", "Event", [("xmlns", [("s", "http://schemas.microsoft.com/win/2004/08/events/event")])],
        [("el", "System", [], [("el", "Provider", [("Name", [("s", "Synth")])], []), ("el", "EventID", [], [("sub", 5, 6)]),
                               ("el", "Channel", [], [("s", "Synth/Operational")])]),
         ("el", "EventData", [], data)])
for _ in range(5):
    c1.record(("tmpl", "all", tmpl, vals))
inner = ("el", "EventData", [], [("el", "Data", [("Name", [("s", "k")])], [("sub", 0, 1)])])
c2 = S.Chunk(first_id=6)
for i in range(3):
    c2.record(("tmpl", "outer", ("el", "Event", [], [("el", "System", [], [("el", "EventID", [], [("sub", 0, 6)]),
                                                                          ("el", "Channel", [], [("s", "Synth")])]),
                                                    ("sub", 1, 0x21)]),
               [S.vint(6, 7000 + i), (0x21, ("bx", ("tmpl", "inner", inner, [S.vstr("val%d" % i)])))]))
c2.record(("el0", "Event", [], [("el0", "System", [], [("el0", "EventID", [], [("s", "1")])])]))
with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "synth.evtx")
    with open(path, "wb") as f:
        f.write(S.evtx_file([c1, c2]))
    rc, st, _, err = scan([path])
    check(st.get("events read") == 9 and st.get("decode failures") == 0, "synthetic file: 9 records, 0 failures (%s)" % st)
    rc, st, _, err = scan([path], {"VG_EVTX_LIBEVTX": "1"})
    check(st.get("events read") == 9, "synthetic file through libevtx first: 9 records (%s)" % st)

if failures:
    print("%d check(s) failed" % len(failures))
    sys.exit(1)
print("all checks passed")
