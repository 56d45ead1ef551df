#!/usr/bin/env python3
"""Decoder coverage over real-world sample lines (Python 3 stdlib only).

Mode "ini" (CTest decode_coverage): reads every $VG_SHARED/data/linux/
{wazuh-tests,ossec-tests}/*.ini, takes each "log N pass|fail = <line>" with
the section's "decoder = <name>" (the decoder another SIEM assigns), decodes
all lines with the decode_lines tool and checks, per format we claim, that
the line decodes with the right program and key fields. Expected values are
derived from the line text with independent regular expressions, never from
Vigil's output. Prints the share per format and every miss; fails when a
claimed format is under 95 %. Decoder names we do not claim (appliances,
JSON, IIS ...) are reported for information only.

Mode "openssh" (CTest decode_openssh_2k): every line of loghub's
OpenSSH_2k.log must decode as sshd (sshd or PAM program decoder) and carry
source.ip equal to the first IPv4 address in the message, when it has one.
"""
import ipaddress
import json
import os
import re
import subprocess
import sys

THRESHOLD = 95.0

# other SIEM's decoder name -> the Vigil format that claims those lines
CLAIMS = {
    "sshd": "sshd", "sudo": "sudo", "su": "su", "pam": "pam",
    "iptables": "firewall", "auditd": "auditd", "web-accesslog": "accesslog",
    "": "syslog", "systemd": "syslog", "NetworkManager": "syslog",
    # both SIEMs give every kernel line one decoder name ("kernel" in Wazuh,
    # "iptables" in OSSEC): lines with IN=/OUT= are firewall lines, the
    # others (USB, AppArmor audit ...) are checked as generic syslog
    "kernel": None,
}
KERNEL_LABELS = ("kernel", "iptables")

IPV4 = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d{1,3}){3})(?![\d.\w])")
# syslog header: optional PRI, optional year(s), BSD or ISO time, optional host, tag
HDR = re.compile(
    r"^(?:<\d{1,3}>)?(?:\d{4} ){0,2}"
    r"(?:[A-Z][a-z]{2} +\d{1,2} \d\d:\d\d:\d\d|\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d\S*)\s+"
    r"(?:(?P<host>[^\s:\[]+)\s+)?(?P<tag>[^\s:\[]+)(?:\[(?P<pid>\d+)\])?:(?:\s|$)(?P<msg>.*)$")


def valid_ip(s):
    try:
        ipaddress.ip_address(s)
        return True
    except ValueError:
        return False


def first_ipv4(text):
    for m in IPV4.finditer(text):
        if valid_ip(m.group(1)):
            return m.group(1)
    return None


def parse_ini(path):
    """Yields (section, kind, line, decoder) for each log line of a file."""
    out, section, pending, decoder = [], "", [], None

    def flush():
        for kind, line in pending:
            out.append((section, kind, line, (decoder or "").strip()))

    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        for raw in f:
            raw = raw.rstrip("\n")
            if raw.startswith("["):
                flush()
                section, pending, decoder = raw.strip("[]"), [], None
                continue
            m = re.match(r"^log\s+\d+\s+(pass|fail)\s*=\s?(.*)$", raw)
            if m:
                pending.append((m.group(1), m.group(2)))
                continue
            m = re.match(r"^decoder\s*=\s?(.*)$", raw)
            if m:
                decoder = m.group(1)
                flush()
                pending = []
    flush()
    return out


def expected_program(line):
    m = HDR.match(line)
    if not m:
        return None, None
    tag = m.group("tag")
    tag = re.sub(r"\(pam_\w+\)$", "", tag)
    return tag.rsplit("/", 1)[-1], m.group("msg")


SSHD_USER = [
    r"(?:Accepted|Failed|Postponed) \S+ for (?:invalid user |illegal user )?(\S+) from ",
    r"^Invalid user (\S+) from ",
    r"maximum authentication attempts exceeded for (?:invalid user )?(\S+) from ",
    r"^User (\S+) from \S+ not allowed",
    r"^(?:Disconnected from|Connection closed by|Connection reset by|Disconnecting) "
    r"(?:invalid user|authenticating user|user) (\S+) \S+ port",
    r"input_userauth_request: invalid user (\S+)",
    r"PAM: .* for (?:illegal user )?(\S+) from ",
    r"by user (\S+)",
    r"\buser=(\S+)",
]


def first_group(patterns, text):
    for p in patterns:
        m = re.search(p, text)
        if m:
            return m.group(1)
    return None


def check(group, line, ev):
    """Returns a list of problems (empty when the line is covered)."""
    probs = []
    fmt = ev.get("vigil.format", "")

    def want(field, value):
        got = ev.get(field)
        if value is not None and str(got) != str(value):
            probs.append(f"{field}={got!r}, expected {value!r}")

    if ev.get("vigil.decode_failed"):
        probs.append("decode failed")
    if group in ("sshd", "sudo", "su", "pam", "syslog", "firewall"):
        prog, msg = expected_program(line)
        if prog is None:
            probs.append("test could not find a syslog tag in the line")
            return probs
        want("process.name", prog)
        if group == "sshd":
            if "+sshd" not in fmt and "+pam" not in fmt:
                probs.append(f"not decoded by the sshd/pam program decoder (format {fmt})")
            want("source.ip", first_ipv4(msg))
            want("user.name", first_group(SSHD_USER, msg))
        elif group == "sudo":
            if not fmt.endswith("+sudo"):
                probs.append(f"format {fmt}")
            want("user.name", first_group([r"^\s*(\S+) : "], msg))
            want("user.target.name", first_group([r"USER=(\S+)"], msg))
            cmd = first_group([r"COMMAND=(.*)$"], msg)
            want("process.command_line", cmd.strip() if cmd else None)
        elif group == "su":
            if not (fmt.endswith("+su") or fmt.endswith("+pam")):
                probs.append(f"format {fmt}")
            m = (re.search(r"\(to (\S+)\) (\S+) on", msg) or re.search(r"BAD SU (\S+) to (\S+)", msg)
                 or re.search(r"changing from (\S+) to (\S+)", msg) or re.search(r"^(\S+) to (\S+) on", msg))
            if m and "(to " in m.group(0):
                want("user.name", m.group(2)); want("user.target.name", m.group(1))
            elif m:
                want("user.name", m.group(1)); want("user.target.name", m.group(2))
            else:
                want("user.name", first_group([r"\buser=(\S+)"], msg))
            if "event.outcome" not in ev:
                probs.append("no event.outcome")
        elif group == "pam":
            if not fmt.endswith("+pam"):
                probs.append(f"format {fmt}")
            want("user.name", first_group([r"\buser=(\S+)", r"for user (\w+)"], msg))
            rh = first_group([r"rhost=(\S+)"], msg)
            want("source.ip", rh if rh and valid_ip(rh) else None)
            if "event.action" not in ev:
                probs.append("no event.action")
        elif group == "firewall":
            if not fmt.endswith("+iptables"):
                probs.append(f"format {fmt}")
            want("source.ip", first_group([r"\bSRC=(\S+)"], msg))
            want("destination.ip", first_group([r"\bDST=(\S+)"], msg))
            want("source.port", first_group([r"\bSPT=(\d+)"], msg))
            want("destination.port", first_group([r"\bDPT=(\d+)"], msg))
        elif group == "syslog":
            if not fmt.startswith("rfc3164"):
                probs.append(f"format {fmt}")
            at = first_group([r"\btype=(\d+) audit\(\d"], msg)
            if at:  # kernel audit record forwarded by syslog
                if not fmt.endswith("+audit"):
                    probs.append(f"kernel audit line not decoded by the audit program decoder ({fmt})")
                want("audit.sequence", first_group([r"audit\(\d+\.\d+:(\d+)\)"], msg))
    elif group == "auditd":
        if fmt != "auditd":
            probs.append(f"format {fmt}")
        want("audit.type", first_group([r"type=(\S+)"], line))
        m = re.search(r"audit\((\d+)\.(\d+):(\d+)\)", line)
        if m:
            want("audit.sequence", m.group(3))
            secs = int(m.group(1))
            got = ev.get("@timestamp", "")
            import datetime
            exp = datetime.datetime.fromtimestamp(secs, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
            if not got.startswith(exp + "." + m.group(2)):
                probs.append(f"@timestamp={got}, expected {exp}.{m.group(2)}")
        else:
            probs.append("test found no audit(...) header")
        oc = first_group([r"\bsuccess=(yes|no)\b", r"\bres=(success|failed)\b"], line)
        if oc:
            want("event.outcome", "success" if oc in ("yes", "success") else "failure")
        want("process.executable", first_group([r'\bexe="([^"]*)"'], line))
    elif group == "accesslog":
        if fmt not in ("accesslog", "rfc3164+accesslog-syslog"):
            probs.append(f"format {fmt}")
        body = line
        prog, msg = expected_program(line)
        if prog is not None:
            body = msg
        pre = body.split(" [", 1)[0].split()
        ips = [t for t in pre if valid_ip(t)]
        want("source.ip", ips[0] if ips else None)
        want("http.response.status_code", first_group([r'" (\d{3}) '], body))
        want("http.request.method", first_group([r'\] "([A-Z]+) '], body))
    return probs


def run_tool(tool, lines):
    data = "".join(l.replace("\n", " ") + "\n" for l in lines).encode("utf-8", "surrogateescape")
    out = subprocess.run([tool], input=data, stdout=subprocess.PIPE, check=True).stdout
    evs = [json.loads(l) for l in out.decode("utf-8").splitlines()]
    if len(evs) != len(lines):
        sys.exit(f"tool returned {len(evs)} events for {len(lines)} lines")
    return evs


def mode_ini(tool, shared):
    items = []
    for sub in ("wazuh-tests", "ossec-tests"):
        d = os.path.join(shared, "data", "linux", sub)
        for name in sorted(os.listdir(d)):
            if name.endswith(".ini"):
                for sec, kind, line, dec in parse_ini(os.path.join(d, name)):
                    items.append((f"{sub}/{name}", sec, kind, line, dec))
    if not items:
        sys.exit("no INI lines found under " + shared)
    evs = run_tool(tool, [it[3] for it in items])
    stats, misses, info = {}, {}, {}
    for (src, sec, kind, line, dec), ev in zip(items, evs):
        group = CLAIMS.get(dec, "?") if dec in CLAIMS else "?"
        if dec in KERNEL_LABELS:
            group = "firewall" if re.search(r"\bIN=\S* OUT=", line) else "syslog"
        if group == "?":
            st = info.setdefault(dec, [0, 0])
            st[0] += 1
            st[1] += 0 if ev.get("vigil.decode_failed") else 1
            continue
        probs = check(group, line, ev)
        st = stats.setdefault(group, [0, 0])
        st[0] += 1
        if probs:
            misses.setdefault(group, []).append((src, sec, kind, line, probs))
        else:
            st[1] += 1
    failed = False
    print("Vigil decoder coverage over wazuh/ossec INI sample lines (pass and fail lines)")
    print(f"{'format':<12} {'lines':>6} {'ok':>6} {'share':>8}")
    for g in sorted(stats):
        tot, ok = stats[g]
        share = 100.0 * ok / tot
        flag = "" if share >= THRESHOLD else "  << below %.0f %%" % THRESHOLD
        failed |= share < THRESHOLD
        print(f"{g:<12} {tot:>6} {ok:>6} {share:>7.1f}%{flag}")
    for g in sorted(misses):
        for src, sec, kind, line, probs in misses[g]:
            print(f"MISS [{g}] {src} [{sec}] ({kind}): {line[:160]}")
            for p in probs:
                print(f"      - {p}")
    print("\nInformational (decoders we do not claim): name, lines, decoded without failure")
    for dec in sorted(info):
        tot, ok = info[dec]
        print(f"  {dec or '(none)':<36} {tot:>5} {ok:>5}")
    return 1 if failed else 0


def mode_openssh(tool, shared):
    path = os.path.join(shared, "data", "linux", "loghub", "OpenSSH_2k.log")
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        lines = [l.rstrip("\n") for l in f]
    evs = run_tool(tool, lines)
    bad = 0
    for i, (line, ev) in enumerate(zip(lines, evs), 1):
        probs = []
        fmt = ev.get("vigil.format", "")
        if ev.get("process.name") != "sshd":
            probs.append(f"process.name={ev.get('process.name')!r}")
        if "+sshd" not in fmt and "+pam" not in fmt:
            probs.append(f"format {fmt}")
        prog, msg = expected_program(line)
        ip = first_ipv4(msg or "")
        if ip and ev.get("source.ip") != ip:
            probs.append(f"source.ip={ev.get('source.ip')!r}, expected {ip}")
        if probs:
            bad += 1
            print(f"MISS line {i}: {line}\n      - " + "\n      - ".join(probs))
    print(f"OpenSSH_2k.log: {len(lines) - bad}/{len(lines)} lines decoded as sshd with the expected source.ip")
    return 1 if bad or len(lines) != 2000 else 0


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("ini", "openssh"):
        sys.exit("usage: decode_coverage.py ini|openssh <decode_lines tool>")
    shared = os.environ.get("VG_SHARED")
    if not shared:
        sys.exit("VG_SHARED is not set")
    tool = sys.argv[2]
    return mode_ini(tool, shared) if sys.argv[1] == "ini" else mode_openssh(tool, shared)


if __name__ == "__main__":
    sys.exit(main())
