"""`vigil scan` and `vigil rules check` end to end: --rules repeated, format
detection per file (JSON lines, JSON array, evtx_dump JSON, EVTX, syslog
text) and --format, each alert naming its file and record or line,
--min-level, --output, --json, --filters (a filter suppresses a match, a
filter naming an unknown rule is a warning), the progress bar forced into a
pipe with --progress (bytes done of total, events/s, alerts so far), the
summary table; `vigil rules check` on Vigil's rules/ skips the mapping and
policy documents exactly as the engine does and reports the same rule
count, and its --json report carries filters, warnings and positions."""
import json
import os
import subprocess
import vgtest as t

base = t.tmpdir("scan")
rules = {k: os.path.join(base, "rules-" + k) for k in ("a", "b")}
for d in rules.values():
    os.makedirs(d)
ev = os.path.join(base, "evidence")
os.makedirs(ev)

with open(os.path.join(rules["a"], "whoami.yml"), "w") as f:
    f.write(r"""title: Scan Test Whoami
id: aaaaaaaa-0000-4000-8000-000000000001
name: scan_test_whoami
author: Scan Test A
tags: [attack.discovery, attack.t1033, attack.g0007, attack.s0002, cve.2020-1234, detection.threat-hunting, attack.Discovery]
logsource: {product: windows, category: process_creation}
detection: {sel: {Image|endswith: '\whoami.exe'}, condition: sel}
level: high
""")
with open(os.path.join(rules["b"], "net_user.yml"), "w") as f:
    f.write(r"""title: Scan Test Net User Add
id: aaaaaaaa-0000-4000-8000-000000000002
author: Scan Test B
tags: [attack.persistence, attack.t1136.001]
logsource: {product: windows, category: process_creation}
detection: {sel: {CommandLine|contains|all: [net, ' user', ' /add']}, condition: sel}
level: low
---
title: Scan Test Keyword
id: aaaaaaaa-0000-4000-8000-000000000003
author: Scan Test B
logsource: {product: linux}
detection: {kw: [evil-token-7], condition: kw}
level: medium
""")
bits_rule = os.path.join(t.SHARED, "sigma/rules/windows/process_creation/proc_creation_win_bitsadmin_download.yml")

W = "C:\\\\Windows\\\\System32\\\\whoami.exe"
with open(os.path.join(ev, "a.jsonl"), "w") as f:
    f.write('{"Image":"%s","User":"bob"}\n' % W)
    f.write('{"Image":"C:\\\\x\\\\calc.exe"}\n')
    f.write('{"Image":"%s","User":"adm_x","CommandLine":"net user x /add"}\n' % W)
with open(os.path.join(ev, "b.json"), "w") as f:
    f.write('[{"Image":"C:\\\\x\\\\notepad.exe"},\n {"Image":"%s","User":"carol"}]\n' % W)
with open(os.path.join(ev, "c.log"), "wb") as f:
    f.write(b"Dec 10 06:55:46 host1 sshd[1]: Connection closed by 203.0.113.4 port 5555\n")
    f.write(b"Dec 10 06:55:47 host1 myapp[2]: saw evil-token-7 in request\n")
case = os.path.join(t.SHARED, "sigma/regression_data/rules/windows/process_creation/proc_creation_win_bitsadmin_download")
for fn in os.listdir(case):
    if fn.endswith(".evtx"):
        os.symlink(os.path.join(case, fn), os.path.join(ev, "d.evtx"))
    elif fn.endswith(".json"):
        os.symlink(os.path.join(case, fn), os.path.join(ev, "e.json"))
total_bytes = sum(os.path.getsize(os.path.join(ev, n)) for n in os.listdir(ev))


nomap = os.path.join(base, "no-mappings")  # an empty mappings directory: every rule runs on every event
os.makedirs(nomap)


def scan(*args, timeout=300, mappings=True):
    # the events below carry no Channel/EventID, so these checks run without log source mappings
    extra = ["--mappings", nomap] if mappings else []
    p = subprocess.run([t.VIGIL, "scan", "--no-default-rules"] + extra + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def rows_of(text):
    return [json.loads(l) for l in text.splitlines() if l.strip()]


def key(r):
    o = r["origin"]
    return (os.path.basename(o["file"]), o.get("line") or o.get("record"), r["title"])


# ---- --rules repeated, format detection, origins, summary -------------------
rc, out, err = scan("--rules", rules["a"], "--rules", rules["b"], "--rules", bits_rule, "--json", ev)
t.check(rc == 0, "scan exits 0 (%d): %s" % (rc, err[-400:]))
rows = rows_of(out)
keys = sorted(key(r) for r in rows if r["title"] != "File Download Via Bitsadmin")
want = sorted([("a.jsonl", 1, "Scan Test Whoami"), ("a.jsonl", 3, "Scan Test Whoami"),
               ("a.jsonl", 3, "Scan Test Net User Add"), ("b.json", 2, "Scan Test Whoami"),
               ("c.log", 2, "Scan Test Keyword")])
t.check(keys == want, "JSON lines, JSON array and syslog alerts name file and record/line: %s" % keys)
t.check(all(r["origin"].get("line") for r in rows if key(r)[0] == "c.log"), "syslog alerts carry a line number")
bits = [r for r in rows if r["title"] == "File Download Via Bitsadmin"]
t.check(sorted(set(key(r)[0] for r in bits)) == ["d.evtx", "e.json"] and all(r["origin"].get("record") for r in bits),
        "EVTX and evtx_dump JSON detected, their alerts name the record (%s)" % [key(r) for r in bits])
who = [r for r in rows if r["title"] == "Scan Test Whoami"]
t.check(all(r["author"] == "Scan Test A" and r["tactics"] == ["discovery"] and r["techniques"] == ["T1033"] for r in who),
        "alerts carry the author; tactics de-duplicated, groups/software/cve/detection tags stay tags only")
t.check(all("attack.g0007" in r["rule"]["tags"] and "cve.2020-1234" in r["rule"]["tags"] for r in who), "all tags kept in the rule")
t.check(all(r.get("author") for r in rows), "every alert has an author")
nalerts = len(rows)
for k in ("events read", "events/s", "alerts", "top rules:", "Scan Test Whoami (Scan Test A)", "decode failures"):
    t.check(k in err, "summary shows '%s'" % k)
lines = {l.split()[0]: l.split()[-1] for l in err.splitlines() if l.startswith("  ") and len(l.split()) == 2}
t.check(lines.get("high") == str(sum(r["level"] == "high" for r in rows)) and lines.get("low") == "1",
        "summary counts alerts by level (%s)" % lines)
ev_read = [l for l in err.splitlines() if l.startswith("events read")]
t.check(ev_read and int(ev_read[0].split()[-1]) >= 3 + 2 + 2 + 2, "events read counted (%s)" % ev_read)
t.check("\r[" not in err, "no progress bar when stderr is not a terminal")

# ---- --min-level, --output, readable output -----------------------------------
rc, out, err = scan("--rules", rules["a"], "--rules", rules["b"], "--min-level", "medium", "--json", ev)
lv = [r["level"] for r in rows_of(out)]
t.check(rc == 0 and lv and all(l in ("medium", "high", "critical") for l in lv) and len(lv) == nalerts - len(bits) - 1,
        "--min-level medium drops the low alert (%s)" % lv)
outfile = os.path.join(base, "alerts.jsonl")
rc, out, err = scan("--rules", rules["a"], "--rules", rules["b"], "--output", outfile, ev)
filed = rows_of(open(outfile).read())
t.check(rc == 0 and out == "" and len(filed) == nalerts - len(bits), "--output writes JSON lines to the file, nothing on stdout")
rc, out, err = scan("--rules", rules["a"], ev)
t.check(rc == 0 and out.count("Scan Test Whoami") == 3 and "a.jsonl:#3" in out and "b.json:#2" in out,
        "readable lines name file:#record (JSON) / file:line (text) (%s)" % out.splitlines()[:3])

# ---- --format --------------------------------------------------------------------
forced = os.path.join(base, "events.txt")
with open(forced, "w") as f:
    f.write('{"Image":"%s"}\n' % W)
rc, out, err = scan("--rules", rules["a"], "--json", "--format", "json", forced)
t.check(rc == 0 and len(rows_of(out)) == 1, "--format json on a .txt file")
rc, out, err = scan("--rules", rules["b"], "--json", "--format", "rfc3164", os.path.join(ev, "a.jsonl"))
t.check(rc == 0 and rows_of(out) == [] and "events read            3" in err,
        "--format rfc3164 reads the JSON file as text lines (no field matches)")
rc, out, err = scan("--rules", rules["a"], "--format", "nosuch", ev)
t.check(rc == 2 and "unknown format" in err, "--format with an unknown name is a usage error")

# ---- --filters ---------------------------------------------------------------
fdir = os.path.join(base, "filters")
os.makedirs(fdir)
with open(os.path.join(fdir, "mf_admins.yml"), "w") as f:
    f.write("""title: Admin accounts are expected to run whoami
id: ffffffff-0000-4000-8000-000000000001
logsource: {product: windows}
filter:
  rules:
    - scan_test_whoami
    - no-such-rule-id
  adm:
    User|startswith: adm_
  condition: not adm
""")
rc, out, err = scan("--rules", rules["a"], "--rules", rules["b"], "--filters", fdir, "--json", ev)
keys_f = sorted(key(r) for r in rows_of(out))
t.check(("a.jsonl", 3, "Scan Test Whoami") not in keys_f and ("a.jsonl", 1, "Scan Test Whoami") in keys_f
        and ("a.jsonl", 3, "Scan Test Net User Add") in keys_f,
        "the filter suppresses the admin's whoami, nothing else (%s)" % keys_f)
t.check("warning:" in err and "no-such-rule-id" in err and "mf_admins.yml:7:" in err,
        "a filter naming an unknown rule is a warning with its position")
t.check("filters                1 (applied 1 times, 1 warnings)" in err, "summary counts filters")
with open(os.path.join(fdir, "not_a_filter.yml"), "w") as f:
    f.write(open(os.path.join(rules["a"], "whoami.yml")).read())
rc, out, err = scan("--rules", rules["a"], "--filters", fdir, "--json", ev)
t.check(rc == 0 and "not a filter document" in err, "a rule in a --filters path is rejected")
os.unlink(os.path.join(fdir, "not_a_filter.yml"))

# ---- progress bar forced into a pipe --------------------------------------------
rc, out, err = scan("--rules", rules["a"], "--progress", "--json", ev)
bars = [s for s in err.split("\r") if s.startswith("[")]
last = bars[-1] if bars else ""
mib = "%.1f/%.1f MiB" % (total_bytes / 1048576.0, total_bytes / 1048576.0)
t.check(rc == 0 and "100%" in last and mib in last and "events/s" in last and "3 alerts" in last,
        "--progress draws the bar into a pipe: bytes done of total, events/s, alerts (%r)" % last)
rc, out, err = scan("--rules", rules["a"], "--progress", "--quiet", "--json", ev)
t.check("\r[" not in err, "--quiet wins over --progress")

# ---- -j N: chunks on worker threads, output in input order ----------------------
big = os.path.join(base, "big")
os.makedirs(big)
with open(os.path.join(big, "1.jsonl"), "w") as f:  # several 1,024-record chunks
    for i in range(1, 5001):
        if i == 2500:
            f.write('{"Image": broken\n')  # malformed: counted, the scan goes on
        elif i % 7 == 0:
            f.write('{"Image":"%s","User":"u%d"}\n' % (W, i))
        elif i % 11 == 0:
            f.write('{"Image":"C:\\\\x\\\\cmd.exe","CommandLine":"net user u%d /add"}\n' % i)
        else:
            f.write('{"Image":"C:\\\\x\\\\calc%d.exe"}\n' % i)
with open(os.path.join(big, "2.log"), "w") as f:
    for i in range(1, 3001):
        f.write("Dec 10 06:55:46 host1 myapp[2]: %s %d\n" % ("saw evil-token-7" if i % 13 == 0 else "ok", i))
os.symlink(os.path.join(ev, "d.evtx"), os.path.join(big, "3.evtx"))
with open(os.path.join(big, "4.jsonl"), "w") as f:
    f.write('{"Image":"%s"}\n' % W)


def summary_counts(err):
    keep = ("events read", "decode failures", "alerts", "  ")
    return [l for l in err.splitlines() if l.startswith(keep) and "events/s" not in l]


runs = {}
for j in ("1", "3", "8"):
    rc, out, err = scan("--rules", rules["a"], "--rules", rules["b"], "--rules", bits_rule, "--json", "-j", j, big)
    runs[j] = (rc, [l.split('"created":')[0] + l.split('"created":')[1].split('",', 1)[1] for l in out.splitlines()], err)
    t.check(rc == 0, "-j %s exits 0 (%d): %s" % (j, rc, err[-300:]))
    cpu = [l for l in err.splitlines() if l.startswith("events per CPU second")]
    t.check(cpu and ("on %s thread" % j) in cpu[0], "-j %s: the summary gives events per CPU second and the threads (%s)" % (j, cpu))
n1 = len(runs["1"][1])
t.check(n1 == 5000 // 7 + len([i for i in range(1, 5001) if i % 11 == 0 and i % 7 and i != 2500]) + 3000 // 13 + 1 + 1,
        "-j 1 finds every alert of the big input (%d)" % n1)
for j in ("3", "8"):
    t.check(runs[j][1] == runs["1"][1], "-j %s writes the same alerts in the same order as -j 1" % j)
    t.check(summary_counts(runs[j][2]) == summary_counts(runs["1"][2]),
            "-j %s: the same summary counts as -j 1 (%s)" % (j, summary_counts(runs[j][2])))
fails = [l for l in runs["8"][2].splitlines() if l.startswith("decode failures")]
t.check(fails and fails[0].split()[-1] == "1", "-j 8 counts the malformed record once (%s)" % fails)
rc, out, err = scan("--rules", rules["a"], "-j", "3", os.path.join(big, "1.jsonl"))
rc1, out1, err1 = scan("--rules", rules["a"], "-j", "1", os.path.join(big, "1.jsonl"))
strip = lambda o: [l.split("  ", 1)[1] for l in o.splitlines()]  # readable lines: the time first
t.check(rc == 0 and out and strip(out) == strip(out1), "readable output is the same with -j 3 and -j 1")
for bad_j in ("0", "65", "x"):
    rc, out, err = scan("--rules", rules["a"], "-j", bad_j, ev)
    t.check(rc == 2 and "-j takes" in err, "-j %s is refused" % bad_j)

# ---- vigil rules check ---------------------------------------------------------
src = os.environ.get("VG_SRC") or os.path.join(os.path.dirname(__file__), "../..")
pack = os.path.join(src, "rules")
p = subprocess.run([t.VIGIL, "rules", "check", "--json", pack], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
rep = json.loads(p.stdout) if p.returncode in (0, 1) else {}
t.check(p.returncode == 0 and rep.get("rejected") == 0 and rep.get("skipped", 0) >= 2,
        "rules check on rules/: nothing rejected, mappings and policies skipped (%s)" % {k: v for k, v in rep.items() if not isinstance(v, list)})
skipped = [n["file"] for n in rep.get("notes", []) if "not a Sigma document" in n["reason"]]
t.check(any("mappings" in s for s in skipped) and any("policies" in s for s in skipped), "skipped notes name the mapping and policy files")
p2 = subprocess.run([t.VIGIL, "scan", "--rules", rules["a"], "--json", os.path.join(ev, "c.log")], stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE, timeout=120, env=dict(os.environ, VIGIL_RULES=pack))
rl = [l for l in p2.stderr.decode().splitlines() if l.startswith("rules ")]
t.check(rl and rl[0].split()[1] == str(rep.get("loaded", -1) + 1),
        "the engine loads as many rules from rules/ as rules check reports (+1 from --rules): %s vs %s" % (rl, rep.get("loaded")))
p = subprocess.run([t.VIGIL, "rules", "check", "--json", "--filters", fdir, rules["a"], rules["b"]], stdout=subprocess.PIPE,
                   stderr=subprocess.PIPE, timeout=120)
rep = json.loads(p.stdout)
t.check(p.returncode == 0 and rep["loaded"] == 3 and rep["filters"] == 1 and rep["filters_applied"] == 1 and rep["warnings"] == 1,
        "rules check --json counts rules, filters, applications and warnings (%s)" % {k: v for k, v in rep.items() if not isinstance(v, list)})
w = rep["warning_list"][0] if rep["warning_list"] else {}
t.check(w.get("line") == 7 and w.get("column", 0) > 0 and "no-such-rule-id" in w.get("reason", ""), "warning entry with position (%s)" % w)
bad = os.path.join(base, "bad-rules")
os.makedirs(bad)
with open(os.path.join(bad, "broken.yml"), "w") as f:
    f.write("title: x\nlogsource: {product: a}\ndetection:\n  sel: {A|nosuch: 1}\n  condition: sel\n---\n---\n")  # empty documents after it are nothing
with open(os.path.join(bad, "empty.yml"), "w") as f:
    pass
p = subprocess.run([t.VIGIL, "rules", "check", "--json", bad], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
rep = json.loads(p.stdout)
t.check(p.returncode == 1 and rep["rejected"] == 2 and all(r["line"] > 0 and r["column"] > 0 for r in rep["rejections"]),
        "every rejection has file, line and column (%s)" % [(r["line"], r["column"], r["reason"]) for r in rep["rejections"]])

# ---- --no-default-rules keeps Vigil's log source mappings -------------------
# (without them a process_creation rule would run on every event and never see
# Security 4688's NewProcessName as Image)
mev = os.path.join(base, "mapped.jsonl")
with open(mev, "w") as f:
    f.write('{"Channel":"Security","EventID":4688,"NewProcessName":"%s","Computer":"h1"}\n' % W)
    f.write('{"Image":"%s"}\n' % W)
    f.write('{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,"Image":"%s"}\n' % W)
    f.write('{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":3,"Image":"%s"}\n' % W)
p = subprocess.run([t.VIGIL, "scan", "--no-default-rules", "--rules", rules["a"], "--json", mev], stdout=subprocess.PIPE,
                   stderr=subprocess.PIPE, timeout=120, env=dict(os.environ, VIGIL_RULES=pack))
got = sorted(r["origin"].get("line") or r["origin"].get("record") for r in rows_of(p.stdout.decode()))
t.check(p.returncode == 0 and got == [1, 3],
        "--no-default-rules still maps log sources: Security 4688 NewProcessName is Image, no Channel or another "
        "EventID is not process_creation (lines %s)" % got)

# ---- Linux sources SigmaHQ rules are written for ------------------------------
# auditd records (fields type/a0/a1 -> audit.*), an auditd EXECVE record as
# process_creation, and Sysmon for Linux's XML in syslog lines
lx = os.path.join(base, "linux.log")
with open(lx, "w") as f:
    f.write('type=EXECVE msg=audit(1700000000.123:456): argc=3 a0="touch" a1="-t" a2="202001010000"\n')
    f.write('type=EXECVE msg=audit(1700000000.123:457): argc=2 a0="ls" a1="-l"\n')
    f.write('Oct 10 13:55:36 host sysmon: <Event><System><Provider Name="Linux-Sysmon"/><EventID>1</EventID>'
            '<Channel>Linux-Sysmon/Operational</Channel><Computer>host</Computer></System><EventData>'
            '<Data Name="Image">/usr/bin/base64</Data><Data Name="CommandLine">base64 -d /tmp/x</Data>'
            '<Data Name="User">root</Data></EventData></Event>\n')
lr = os.path.join(base, "rules-linux")
os.makedirs(lr)
with open(os.path.join(lr, "r.yml"), "w") as f:
    f.write("""title: Scan Test Linux Process
id: aaaaaaaa-0000-4000-8000-000000000009
logsource: {product: linux, category: process_creation}
detection: {sel: {Image|endswith: /base64, CommandLine|contains: ' -d '}, condition: sel}
level: high
---
title: Scan Test Auditd Exec
id: aaaaaaaa-0000-4000-8000-00000000000a
logsource: {product: linux, category: process_creation}
detection: {sel: {CommandLine|startswith: 'ls '}, condition: sel}
level: low
""")
auditd_rule = os.path.join(t.SHARED, "sigma/rules/linux/auditd/execve/lnx_auditd_change_file_time_attr.yml")
p = subprocess.run([t.VIGIL, "scan", "--no-default-rules", "--rules", lr, "--rules", auditd_rule, "--json", lx],
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120, env=dict(os.environ, VIGIL_RULES=pack))
got = sorted((r["origin"].get("line"), r["title"]) for r in rows_of(p.stdout.decode()))
t.check(p.returncode == 0 and got == [(1, "File Time Attribute Change - Linux"), (2, "Scan Test Auditd Exec"),
                                      (3, "Scan Test Linux Process")],
        "auditd fields reach SigmaHQ auditd rules, EXECVE is process_creation, Sysmon for Linux XML in syslog decodes (%s)" % got)

# ---- compressed logs and collections -----------------------------------------
import gzip, io, tarfile, zipfile
arc = os.path.join(base, "collected")
os.makedirs(arc)
tmpd = os.path.join(base, "tmp")
os.makedirs(tmpd)
ssh = "Dec 10 06:55:46 LabSZ sshd[24200]: Failed password for root from 173.234.31.186 port 38926 ssh2\n"
with gzip.open(os.path.join(arc, "auth.log.2.gz"), "wt") as f:
    f.write("Dec 10 06:55:40 LabSZ sshd[1]: Connection closed by 10.0.0.1 port 22\n" + ssh)
evtx_case = os.path.join(t.SHARED, "sigma/regression_data/rules/windows/process_creation/proc_creation_win_bitsadmin_download")
evtx_file = [os.path.join(evtx_case, n) for n in os.listdir(evtx_case) if n.endswith(".evtx")][0]
with zipfile.ZipFile(os.path.join(arc, "triage.zip"), "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("logs/auth.log", ssh)
    z.writestr("logs/old/auth.log.1.gz", gzip.compress(ssh.encode()))
    z.write(evtx_file, "evtx/bits.evtx")
    z.writestr("empty.txt", "")
with tarfile.open(os.path.join(arc, "bundle.tar.xz"), "w:xz") as tf:
    data = (ssh * 2).encode()
    ti = tarfile.TarInfo("var/log/auth.log")
    ti.size = len(data)
    tf.addfile(ti, io.BytesIO(data))
with open(os.path.join(arc, "broken.zip"), "wb") as f:
    f.write(b"PK\x03\x04" + os.urandom(300))
outs = {}
for j in ("1", "2"):
    p = subprocess.run([t.VIGIL, "scan", "--no-default-rules", "-j", j, "--rules", os.path.join(pack, "linux"),
                        "--rules", bits_rule, "--json", arc], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=120, env=dict(os.environ, VIGIL_RULES=pack, TMPDIR=tmpd))
    outs[j] = (p.returncode, p.stdout.decode(), p.stderr.decode())
rc, out, err = outs["1"]
got = sorted(set((os.path.relpath(r["origin"]["file"], arc), r["origin"].get("line") or r["origin"].get("record"), r["title"])
                 for r in rows_of(out) if r["title"] in ("SSH Failed Password For Root", "File Download Via Bitsadmin")))
want = sorted([("auth.log.2.gz", 2, "SSH Failed Password For Root"),
               ("bundle.tar.xz:var/log/auth.log", 1, "SSH Failed Password For Root"),
               ("bundle.tar.xz:var/log/auth.log", 2, "SSH Failed Password For Root"),
               ("triage.zip:logs/auth.log", 1, "SSH Failed Password For Root"),
               ("triage.zip:logs/old/auth.log.1.gz", 1, "SSH Failed Password For Root")])
bits = [g for g in got if g[2] == "File Download Via Bitsadmin"]
t.check([g for g in got if g[2] != "File Download Via Bitsadmin"] == want,
        "gzip, zip (with a gzip inside), tar.xz members are scanned; alerts name ARCHIVE:MEMBER and the line (%s)" % got)
t.check(len(bits) >= 1 and all(b[0] == "triage.zip:evtx/bits.evtx" and b[1] for b in bits),
        "an EVTX member of a zip is read and its alerts name the member and the record (%s)" % bits)
t.check(rc == 0 and "broken.zip" in err, "a broken archive is reported, the others still scanned (rc %d)" % rc)
strip = lambda o: sorted(json.dumps({k: v for k, v in r.items() if k != "created"}, sort_keys=True) for r in rows_of(o))
t.check(strip(outs["1"][1]) == strip(outs["2"][1]), "-j 2 gives the same alerts over archives as -j 1")
t.check(os.listdir(tmpd) == [], "the private copies of EVTX members are removed (%s)" % os.listdir(tmpd))

# ---- the same rules given twice load once; a duplicate id elsewhere warns ------
p = subprocess.run([t.VIGIL, "scan", "--rules", os.path.join(pack, "linux"), "--json", os.path.join(arc, "auth.log.2.gz")],
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120, env=dict(os.environ, VIGIL_RULES=pack))
root = [r for r in rows_of(p.stdout.decode()) if r["title"] == "SSH Failed Password For Root"]
t.check(p.returncode == 0 and len(root) == 1, "the pack plus --rules on its own directory: each rule once (%d alerts)" % len(root))
dd = os.path.join(base, "dup-ids")
os.makedirs(dd)
for n in ("a.yml", "b.yml"):
    with open(os.path.join(dd, n), "w") as f:
        f.write(open(os.path.join(rules["a"], "whoami.yml")).read())
p = subprocess.run([t.VIGIL, "rules", "check", "--json", dd, dd], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
rep = json.loads(p.stdout)
t.check(p.returncode == 0 and rep["loaded"] == 2 and rep["skipped"] == 2 and rep["warnings"] == 1 and
        "duplicate rule id" in rep["warning_list"][0]["reason"],
        "rules check: a directory given twice is skipped the second time, a duplicate id in another file is a warning (%s)"
        % {k: v for k, v in rep.items() if not isinstance(v, list)})

t.cleanup(base)
t.finish()
