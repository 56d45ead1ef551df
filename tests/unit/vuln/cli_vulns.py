#!/usr/bin/env python3
"""End-to-end checks of `vigil vulns` on the fixture in data/ and on this
machine's dpkg status: table and JSON output, the summary line, exit codes
for --host, malformed status and malformed advisory files."""
import json, os, shutil, subprocess, sys, tempfile

vigil = sys.argv[1]
data = os.path.join(os.environ["VG_SRC"], "tests", "unit", "vuln", "data")
fails = 0


def run(*args):
    p = subprocess.run([vigil, "vulns", *args], capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def check(cond, what):
    global fails
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        fails += 1


fx = ["--status", os.path.join(data, "status"), "--release", "bookworm",
      "--advisories", os.path.join(data, "tracker.json"), os.path.join(data, "osv.json")]
rc, out, err = run(*fx)
check(rc == 0, "fixture: exit 0")
check("libfoo-bin (foo)" in out and "CVE-2024-2000" in out, "fixture: table names binary (source) and CVE")
check("8 findings (8 CVEs)" in out and "2 high, 2 medium, 1 low, 1 unimportant" in out, "fixture: summary counts")
check("4 without a fix" in out, "fixture: unfixed counted")
check("skipped: broken CVE-2024-6000" in err, "fixture: invalid advisory entry reported on stderr")

rc, out, err = run(*fx, "--json")
lines = [json.loads(l) for l in out.splitlines()]
findings = [l for l in lines if "summary" not in l]
check(rc == 0 and len(findings) == 8, "json: 8 finding lines")
check(lines[-1].get("summary", {}).get("findings") == 8, "json: summary line last")
bash = [f for f in findings if f["package"] == "bash" and f["cve"] == "CVE-2024-4000"]
check(len(bash) == 1 and bash[0]["fixed_version"] is None, "json: unfixed has fixed_version null")

with tempfile.TemporaryDirectory() as d:
    # another host: its agent-reported inventory is read from the store (none here)
    rc, out, err = run(*fx, "--host", "some-other-host", "--data", d)
    check(rc == 1 and "no asset" in err, "--host other: read from the store; unknown host is an error")

with tempfile.TemporaryDirectory() as d:
    bad = os.path.join(d, "status")
    with open(bad, "wb") as f:
        f.write(b"\x00\x01garbage\xff\n\nmore garbage\n")
    rc, out, err = run("--status", bad, os.path.join(data, "tracker.json"))
    check(rc == 1 and "no valid package stanza" in err and f"{bad}:1:" in err, "malformed status: exit 1, line number")
    badj = os.path.join(d, "adv.json")
    with open(badj, "w") as f:
        f.write('{"curl": {"CVE-1": {"releases": {"bookworm": {"status": "open"}}}\n')
    rc, out, err = run("--status", os.path.join(data, "status"), badj)
    check(rc == 1 and "adv.json:2:1: unexpected end of input" in err, "malformed advisories: exit 1, file:line:col")
    rc, out, err = run("--status", os.path.join(d, "missing"), os.path.join(data, "tracker.json"))
    check(rc == 1 and "missing" in err, "missing status file: exit 1")
rc, out, err = run()
check(rc == 2, "no advisories: usage, exit 2")

if shutil.which("dpkg-query") and os.path.exists("/var/lib/dpkg/status"):
    known = len(subprocess.run(["dpkg-query", "-W"], capture_output=True, text=True).stdout.splitlines())
    rc, out, err = run(os.path.join(data, "tracker.json"))
    check(rc == 0 and f"({known} known to dpkg)" in out, f"real host: known packages = dpkg-query -W | wc -l = {known}")
else:
    print("dpkg not installed: real-host CLI check does not apply")

sys.exit(1 if fails else 0)
