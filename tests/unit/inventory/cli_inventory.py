#!/usr/bin/env python3
"""End-to-end test of `vigil inventory`, `vigil assets`, `vigil posture` and
`vigil fim` on fixture trees: the summary counts, --json/--diff, pushing two
snapshots into a store with a user added in between (user_created must be
stored as a change), the asset list/show output, and a FIM
baseline/scan with modify, chmod and delete. Usage: cli_inventory.py VIGIL"""
import json, os, shutil, subprocess, sys, tempfile

VIGIL = sys.argv[1]


def run(*args, ok=True):
    p = subprocess.run([VIGIL, *args], capture_output=True, text=True, timeout=120)
    if ok and p.returncode != 0:
        raise SystemExit(f"vigil {' '.join(args)} failed ({p.returncode}): {p.stderr}")
    return p


def write(root, rel, text, mode=0o644):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def check(cond, msg):
    if not cond:
        raise SystemExit("FAIL: " + msg)


tmp = tempfile.mkdtemp(prefix="vg-inv-cli-")
try:
    root = os.path.join(tmp, "root")
    write(root, "etc/passwd", "root:x:0:0:root:/root:/bin/bash\ntoor::0:0::/:/bin/sh\n")
    write(root, "etc/shadow", "root:$6$salt$hashhashhashhash:19000::::::\n", 0o640)
    write(root, "etc/group", "root:x:0:\n")
    write(root, "etc/os-release", 'PRETTY_NAME="Fixture OS 1"\nID=debian\nVERSION_ID="12"\n')
    write(root, "etc/hostname", "fixture\n")
    write(root, "var/lib/dpkg/status", "Package: a\nStatus: install ok installed\nVersion: 1\n\n"
          "Package: b\nStatus: deinstall ok config-files\nVersion: 2\n")

    out = run("inventory", "--root", root).stdout
    check("packages: 2 known, 1 installed" in out, "summary package counts: " + out)
    check("users: 2 (uid 0: 2, empty password: 1" in out, "summary user counts: " + out)

    snap = json.loads(run("inventory", "--root", root, "--json").stdout)
    check(snap["schema"] == "vigil.inventory/1" and len(snap["users"]) == 2, "json snapshot")
    old = os.path.join(tmp, "old.json")
    run("inventory", "--root", root, "--out", old)

    data = os.path.join(tmp, "data")
    out = run("inventory", "--root", root, "--store", data, "--host", "fx1").stdout
    check("first snapshot" in out, "first push: " + out)
    with open(os.path.join(root, "etc/passwd"), "a") as f:
        f.write("eve:x:1005:1005::/home/eve:/bin/bash\n")
    out = run("inventory", "--root", root, "--diff", old).stdout
    check("user_created" in out and "eve" in out, "--diff shows the new user: " + out)
    ev = [json.loads(l) for l in run("inventory", "--root", root, "--diff", old, "--events").stdout.splitlines()]
    check(any(e["event"]["action"] == "user_created" and e["user.name"] == "eve" for e in ev), "--events")
    out = run("inventory", "--root", root, "--store", data, "--host", "fx1").stdout
    check("1 changes" in out and "user_created" in out, "second push: " + out)

    lst = json.loads(run("assets", "list", "--data", data, "--json").stdout)
    check(len(lst) == 1 and lst[0]["host"] == "fx1" and lst[0]["os"] == "Fixture OS 1" and lst[0]["packages"] == 2,
          f"assets list: {lst}")
    check(lst[0]["inventory_changes"] == 1, "one change stored")
    show = json.loads(run("assets", "show", "fx1", "--data", data, "--json").stdout)
    acts = [c["change"]["event"]["action"] for c in show["recent_changes"]]
    check(acts == ["user_created"], f"stored changes {acts}")
    check(len(show["inventory"]["users"]) == 3, "current snapshot replaced")
    p = run("assets", "show", "nosuch", "--data", data, ok=False)
    check(p.returncode == 1 and "no asset" in p.stderr, "unknown host")
    p = run("posture", "fx1", "--data", data, ok=False)
    check(p.returncode == 1 and "nothing stored" in p.stderr, "posture before collect")
    pol = os.path.join(tmp, "p.yml")
    with open(pol, "w") as f:
        f.write("""policy:
  id: t
  name: t
  version: "1"
checks:
  - id: no-empty-passwords
    title: No account has an empty password
    rationale: r
    remediation: lock them with passwd -l
    severity: high
    references: {cis: ["5.4.2.1"]}
    condition: {accounts: {check: no_empty_passwords}}
""")
    run("posture", "fx1", "--collect", "--root", root, "--policy", pol, "--data", data)
    post = json.loads(run("posture", "fx1", "--data", data, "--json").stdout)
    check(len(post["policies"]) == 1 and post["policies"][0]["policy"] == "t", f"posture stored {post}")
    rep = post["policies"][0]["report"]
    check(rep["fail"] == 1 and rep["failed"][0]["id"] == "no-empty-passwords" and
          rep["failed"][0]["remediation"] == "lock them with passwd -l", f"failed check with remediation {rep}")
    check(post["policies"][0]["score"] == 0, "score 0 with the only check failed")
    out = run("posture", "fx1", "--data", data).stdout
    check("fix: lock them with passwd -l" in out and "no findings stored" in out, "posture text: " + out)
    lst = json.loads(run("assets", "list", "--data", data, "--json").stdout)
    check(lst[0]["posture_score"] == 0, "score in the asset list")
    # vulnerable packages: the vuln module's test data as a second host root
    vdata = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "vuln", "data")
    vroot = os.path.join(tmp, "vroot")
    os.makedirs(os.path.join(vroot, "var/lib/dpkg"))
    shutil.copy(os.path.join(vdata, "status"), os.path.join(vroot, "var/lib/dpkg/status"))
    run("posture", "fx2", "--collect", "--root", vroot, "--policy", pol, "--data", data,
        "--advisories", os.path.join(vdata, "tracker.json"), "--release", "bookworm")
    ref = run("vulns", "--status", os.path.join(vroot, "var/lib/dpkg/status"), "--advisories",
              os.path.join(vdata, "tracker.json"), "--release", "bookworm", "--json").stdout.splitlines()
    want = sorted((f["package"], f["cve"]) for f in map(json.loads, ref) if "package" in f)
    post = json.loads(run("posture", "fx2", "--data", data, "--json").stdout)
    got = sorted((f["package"], f["cve"]) for f in post["vulnerabilities"]["findings"])
    check(got == want and post["vulnerabilities"]["count"] == len(want) and want, f"stored findings {got} vs vigil vulns {want}")
    out = run("posture", "fx2", "--data", data).stdout
    check(f"vulnerable packages: {len(want)}" in out, "posture text findings: " + out)

    # FIM
    watched = os.path.join(tmp, "w")
    write(watched, "a.conf", "one\n")
    write(watched, "b.conf", "two\n")
    fdata = os.path.join(tmp, "fim")
    run("fim", "baseline", "--path", watched, "--data", fdata)
    write(watched, "a.conf", "one changed\n")
    os.chmod(os.path.join(watched, "b.conf"), 0o600)
    out = [json.loads(l) for l in run("fim", "scan", "--path", watched, "--data", fdata, "--json").stdout.splitlines()]
    by = {e["event.action"]: e for e in out}
    check("file_modified" in by and by["file_modified"]["vigil.fim.before.size"] == 4 and
          by["file_modified"]["vigil.fim.after.size"] == 12, f"fim modify {out}")
    check(by["file_attributes_changed"]["vigil.fim.before.mode"] == "0644" and
          by["file_attributes_changed"]["vigil.fim.after.mode"] == "0600", "fim chmod")
    os.unlink(os.path.join(watched, "a.conf"))
    out = [json.loads(l) for l in run("fim", "scan", "--path", watched, "--data", fdata, "--json").stdout.splitlines()]
    check(any(e["event.action"] == "file_deleted" for e in out), "fim delete")
    p = run("fim", "bogus", "--path", watched, ok=False)
    check(p.returncode == 2, "fim usage error")
    print("ok")
finally:
    shutil.rmtree(tmp, ignore_errors=True)
