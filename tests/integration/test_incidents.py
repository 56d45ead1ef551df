"""Incidents end to end (issue 4): tests/scenario_gen.py writes a multi-host
attack (port scan, SSH password guessing against two hosts from one
external address, a successful login, sudo to root, a new account in the
sudo group, a cron job, a connection to an address of a STIX feed) inside
hours of ordinary activity, for several seeds. Sent through `vigil serve
--intel STIX_DIR` over TCP syslog, the attack must form exactly one
incident that holds every alert of the attack, across both hosts, in time
order, with the expected ATT&CK tactics, ranked first; no noise alert joins
it. For the first seed also: asset criticality raises the incident's
risk, `vigil incidents` (local and --server) shows it, split and merge
through the API, a suppression marks later alerts suppressed, and after a
restart a new attack alert joins the same incident (state in the store)."""
import glob
import json
import os
import random
import re
import subprocess
import sys
import time
import urllib.parse
import vgtest as t

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import scenario_gen  # noqa: E402

STIX = os.path.join(t.SHARED, "data", "intel", "stix21")
SEEDS = [int(s) for s in os.environ.get("VG_SCENARIO_SEEDS", "11,23,37").split(",")]


def c2_candidates():
    """Single public IPv4 indicators without an end of validity, from the feed."""
    out = []
    for path in sorted(glob.glob(os.path.join(STIX, "**", "*.json"), recursive=True)):
        try:
            with open(path) as f:
                doc = json.load(f)
        except (OSError, ValueError):
            continue
        objs = doc.get("objects", [doc]) if isinstance(doc, dict) else doc
        for o in objs:
            if not isinstance(o, dict) or o.get("type") != "indicator" or o.get("valid_until") or o.get("revoked"):
                continue
            m = re.fullmatch(r"\[\s*ipv4-addr:value\s*=\s*'(\d+\.\d+\.\d+\.\d+)'\s*\]", o.get("pattern", ""))
            if m and not re.match(r"^(10|127)\.|^192\.168\.|^172\.", m.group(1)):
                out.append(m.group(1))
    return sorted(set(out))


def api(srv, method, path, body=None):
    st, b = srv.http(method, path, body=json.dumps(body).encode() if body is not None else None,
                     ctype="application/json")
    try:
        return st, json.loads(b)
    except ValueError:
        return st, {"raw": b[:200]}


def all_alerts(srv):
    st, d = api(srv, "GET", "/api/v1/alerts?limit=10000&level=low")
    return d.get("alerts", []) if st == 200 else []


def wait_grouped(srv, timeout=90):
    """Until every alert (low and above) is grouped or suppressed, and stays so."""
    deadline = time.time() + timeout
    al = []
    while time.time() < deadline:
        al = all_alerts(srv)
        if al and all(a.get("incident") or a.get("suppressed") for a in al):
            time.sleep(1.5)
            al2 = all_alerts(srv)
            if len(al2) == len(al) and all(a.get("incident") or a.get("suppressed") for a in al2):
                return al2
        time.sleep(0.5)
    return al


def is_attack(a, m):
    return (a.get("host.name") in m["hosts"] or a.get("source.ip") == m["attacker_ip"]
            or a.get("user.name") in (m["victim"], m["backdoor"]))


c2s = c2_candidates()
t.check(len(c2s) > 0, "public single-address indicators in %s (%d: %s)" % (STIX, len(c2s), c2s))
if not c2s:
    t.finish()

base = t.tmpdir("incidents")
for k, seed in enumerate(SEEDS):
    first = k == 0
    c2 = random.Random(seed).choice(c2s)
    m = scenario_gen.generate(seed, c2, os.path.join(base, "scenario-%d" % seed), hours=6.0)
    print("seed %d: %d events (%d attack) hosts %s attacker %s victim %s backdoor %s c2 %s bastion %s"
          % (seed, m["events"], m["attack_events"], m["hosts"], m["attacker_ip"], m["victim"], m["backdoor"], c2,
             m["bastion"]), flush=True)
    data = os.path.join(base, "data-%d" % seed)
    srv = t.Server(data, "--intel", STIX)
    login_host = m["login_host"]
    if first:  # the compromised host is a crown jewel
        p = subprocess.run([t.VIGIL, "assets", "set-criticality", login_host, "critical", "--data", data],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        t.check(p.returncode == 0, "vigil assets set-criticality %s critical (%s)" % (login_host, p.stderr.decode().strip()))
    with open(os.path.join(base, "scenario-%d" % seed, "scenario.log"), "rb") as f:
        payload = f.read()
    n = payload.count(b"\n")
    t0 = time.time()
    t.send_tcp(srv, payload)
    t.check(srv.wait_counter("stored", "syslog-tcp", n, 120) == n, "seed %d: all %d lines stored" % (seed, n))
    alerts = wait_grouped(srv)
    print("seed %d: %d alert rows grouped %.1f s after sending" % (seed, len(alerts), time.time() - t0), flush=True)
    attack = [a for a in alerts if is_attack(a, m)]
    noise = [a for a in alerts if not is_attack(a, m)]
    ids = {a.get("incident") for a in attack}
    t.check(len(attack) >= 8 and len(ids) == 1 and None not in ids,
            "seed %d: the %d attack alerts are in exactly one incident (%s)" % (seed, len(attack), sorted(map(str, ids))))
    inc_id = next(iter(ids)) if len(ids) == 1 else (attack[0].get("incident") if attack else None)
    st, inc = api(srv, "GET", "/api/v1/incidents/%s" % inc_id)
    t.check(st == 200, "seed %d: GET /api/v1/incidents/%s answers 200 (%d)" % (seed, inc_id, st))
    tl = inc.get("timeline", [])
    tl_ids = {e["alert_id"] for e in tl}
    t.check(tl_ids == {a["id"] for a in attack},
            "seed %d: the incident holds the attack's alerts and nothing else (%d in timeline, %d attack, %d noise inside)"
            % (seed, len(tl_ids), len(attack), len(tl_ids & {a["id"] for a in noise})))
    times = [e["time"] for e in tl]
    t.check(times == sorted(times), "seed %d: the timeline is in time order" % seed)
    hosts_in = {e.get("host.name") for e in tl}
    t.check(set(m["hosts"]) <= hosts_in, "seed %d: the incident spans both hosts %s" % (seed, m["hosts"]))
    missing = set(m["expected_tactics"]) - set(inc.get("tactics", []))
    t.check(not missing, "seed %d: tactics %s (missing %s)" % (seed, inc.get("tactics"), sorted(missing)))
    titles = {e["title"] for e in tl}
    for stage in ("Port Scan From One Source", "SSH Brute Force From One Source",
                  "SSH Login After Brute Force From The Same Source", "Root Shell Through Sudo",
                  "User Added To A Privileged Group", "Crontab Replaced Or Edited"):
        t.check(stage in titles, "seed %d: stage '%s' is in the timeline" % (seed, stage))
    t.check(any(x.startswith("Threat intel match") for x in titles), "seed %d: the C2 connection is in the timeline" % seed)
    ents = {(e["type"], e["value"]): e["link"] for e in inc.get("entities", [])}
    t.check(ents.get(("ip", m["attacker_ip"])) == "strong", "seed %d: the attacker address links the hosts" % seed)
    t.check(ents.get(("user", "root")) == "weak:generic", "seed %d: root is named but links nothing" % seed)
    t.check(ents.get(("host", m["bastion"])) == "weak:common",
            "seed %d: the noisy bastion is a common (weak) entity: %s" % (seed, ents.get(("host", m["bastion"]))))
    st, lst = api(srv, "GET", "/api/v1/incidents")
    raised = lst.get("incidents", [])
    t.check(st == 200 and raised and raised[0]["id"] == inc_id,
            "seed %d: ranked first of %d raised incidents (%s, priority %s)"
            % (seed, len(raised), raised[0]["id"] if raised else None, raised[0]["priority"] if raised else None))
    st, lall = api(srv, "GET", "/api/v1/incidents?all=1&limit=10000")
    everything = lall.get("incidents", [])
    t.check(everything and everything[0]["id"] == inc_id and len(everything) > 1,
            "seed %d: first of all %d incidents, the noise formed its own" % (seed, len(everything)))
    prio = [i["priority"] for i in everything]
    t.check(prio == sorted(prio, reverse=True), "seed %d: the list is sorted by priority" % seed)
    print("seed %d: incident %s priority %.1f risk %.1f: %s" % (seed, inc_id, inc.get("priority", 0), inc.get("risk", 0),
                                                                inc.get("title")), flush=True)
    for i in everything[:5]:
        print("   %5.1f %-16s %-9s %4d alerts  %s" % (i["priority"], i["id"], i["raised"], i["alerts"], i["title"]))

    if first:
        # criticality: the incident and the entity list show it
        t.check(inc.get("criticality") == "critical", "criticality 'critical' carried into the incident (%s)" % inc.get("criticality"))
        st, risk = api(srv, "GET", "/api/v1/risk?limit=1000")
        hr = [e for e in risk.get("entities", []) if e["entity"] == "host:" + login_host]
        t.check(st == 200 and hr and hr[0]["risk"] > hr[0]["base_risk"] > 0 and hr[0]["criticality"] == "critical",
                "GET /api/v1/risk: %s risk %s raised from base %s by criticality" % (login_host, hr[0]["risk"] if hr else None,
                                                                                    hr[0]["base_risk"] if hr else None))
        ranks = [e["entity"] for e in risk.get("entities", [])]
        t.check(ranks and ranks[0] in ("host:" + login_host, "ip:" + m["attacker_ip"], "user:" + m["victim"]),
                "the riskiest entity belongs to the attack (%s)" % (ranks[:3],))
        # CLI, local and through the server
        p = subprocess.run([t.VIGIL, "incidents", "--data", data, "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=60)
        doc = json.loads(p.stdout or b"{}") if p.returncode == 0 else {}
        t.check(doc.get("incidents") and doc["incidents"][0]["id"] == inc_id, "vigil incidents --data --json lists it first")
        p = subprocess.run([t.VIGIL, "incidents", "show", inc_id, "--server", srv.url(""), "--token", srv.token],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        out = p.stdout.decode()
        t.check(p.returncode == 0 and "timeline" in out and m["hosts"][1] in out and "Root Shell Through Sudo" in out,
                "vigil incidents show --server prints the timeline")
        p = subprocess.run([t.VIGIL, "incidents", "risk", "--data", data], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=60)
        t.check(p.returncode == 0 and login_host in p.stdout.decode(), "vigil incidents risk lists entities")
        # split the C2 alerts out, then merge them back
        c2_alerts = [e["alert_id"] for e in tl if e["title"].startswith("Threat intel match")]
        st, sp = api(srv, "POST", "/api/v1/incidents/%s/split" % inc_id, {"alerts": c2_alerts})
        new_id = sp.get("id")
        t.check(st == 200 and new_id and new_id != inc_id, "split: the C2 alerts move to %s (%d)" % (new_id, st))
        st, a = api(srv, "GET", "/api/v1/incidents/%s" % inc_id)
        st2, b = api(srv, "GET", "/api/v1/incidents/%s" % new_id)
        t.check({e["alert_id"] for e in b.get("timeline", [])} == set(c2_alerts) and
                not set(c2_alerts) & {e["alert_id"] for e in a.get("timeline", [])} and b.get("locked"),
                "split: the new incident holds exactly the moved alerts and is locked")
        t.check("command_and_control" not in a.get("tactics", []), "split: the tactics follow the alerts")
        st, _ = api(srv, "POST", "/api/v1/incidents/%s/split" % inc_id, {"alerts": ["00" * 16]})
        t.check(st == 404, "split of an alert not in the incident is a 404 (%d)" % st)
        st, _ = api(srv, "POST", "/api/v1/incidents/%s/merge" % inc_id, {"from": new_id})
        st2, a = api(srv, "GET", "/api/v1/incidents/%s" % inc_id)
        st3, b = api(srv, "GET", "/api/v1/incidents/%s" % new_id)
        t.check(st == 200 and {e["alert_id"] for e in a.get("timeline", [])} == tl_ids and b.get("status") == "merged"
                and b.get("merged_into") == inc_id, "merge: the alerts are back and %s is marked merged" % new_id)
        st, _ = api(srv, "POST", "/api/v1/incidents/%s/status" % inc_id, {"status": "in_progress"})
        st2, a = api(srv, "GET", "/api/v1/incidents/%s" % inc_id)
        t.check(st == 200 and a.get("status") == "in_progress", "status: in_progress")
        st, _ = api(srv, "POST", "/api/v1/incidents/%s/status" % inc_id, {"status": "bogus"})
        t.check(st == 400, "a bad status is a 400 (%d)" % st)
        # a viewer reads but cannot change
        tok = subprocess.run([t.VIGIL, "tokens", "create", "--data", data, "--name", "viewer-1", "--role", "viewer"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        viewer = next((l.split(" ", 1)[1] for l in tok.stdout.decode().splitlines() if l.startswith("token: ")), "")
        if viewer:
            admin_tok, srv.token = srv.token, viewer
            st_r, _ = api(srv, "GET", "/api/v1/incidents")
            st_w, _ = api(srv, "POST", "/api/v1/incidents/%s/status" % inc_id, {"status": "closed"})
            srv.token = admin_tok
            t.check(st_r == 200 and st_w == 403, "RBAC: a viewer reads (%d) but cannot change (%d)" % (st_r, st_w))
        else:
            t.check(False, "a viewer token could be made: %s" % tok.stderr.decode()[:200])
        # suppression: the cron rule on the login host, then a new cron edit there
        cron_rule = next(e["rule_id"] for e in tl if e["title"] == "Crontab Replaced Or Edited")
        st, sp = api(srv, "POST", "/api/v1/suppressions", {"rule": cron_rule, "entity": "host:" + login_host, "for": "1h",
                                                            "reason": "change window"})
        t.check(st == 200 and sp.get("id"), "POST /api/v1/suppressions (%d)" % st)
        late = m["attack_end"] + 60
        line = "<38>%s %s crontab[4242]: (www-data) REPLACE (www-data)\n" % (scenario_gen.syslog_time(late), login_host)
        t.send_tcp(srv, line.encode())
        t.check(srv.wait_counter("stored", "syslog-tcp", n + 1, 60) == n + 1, "the later cron edit is stored")
        deadline = time.time() + 30
        sup = []
        while time.time() < deadline and not sup:
            sup = [x for x in all_alerts(srv) if x.get("user.name") == "www-data" and x.get("suppressed")]
            time.sleep(0.3)
        t.check(len(sup) == 1 and not sup[0].get("incident"), "the suppressed alert is stored, marked, and in no incident")
        n += 1
        rc = srv.stop()
        t.check(rc == 0, "server stops cleanly (%s)" % rc)
        # restart: state is in the store; a new attack alert joins the same incident
        before = len(everything)
        srv = t.Server(data, "--intel", STIX)
        line = "<38>%s %s sudo:  %s : TTY=pts/2 ; PWD=/home/%s ; USER=root ; COMMAND=/bin/bash\n" % (
            scenario_gen.syslog_time(m["attack_end"] + 120), login_host, m["backdoor"], m["backdoor"])
        t.send_tcp(srv, line.encode())
        t.check(srv.wait_counter("stored", "syslog-tcp", 1, 60) == 1, "after the restart a new attack line is stored")
        deadline = time.time() + 30
        joined = []
        while time.time() < deadline and not joined:
            joined = [x for x in all_alerts(srv) if x.get("user.name") == m["backdoor"] and x["title"] == "Root Shell Through Sudo"]
            joined = [x for x in joined if x.get("incident")]
            time.sleep(0.3)
        t.check(joined and joined[0]["incident"] == inc_id, "after the restart the new alert joins %s (%s)"
                % (inc_id, joined[0]["incident"] if joined else None))
        st, lall = api(srv, "GET", "/api/v1/incidents?all=1&limit=10000")
        t.check(len(lall.get("incidents", [])) == before, "nothing was grouped twice after the restart (%d incidents, %d before)"
                % (len(lall.get("incidents", [])), before))
    rc = srv.stop()
    t.check(rc == 0, "seed %d: server stops cleanly (%s)" % (seed, rc))

t.cleanup(base)
t.finish()
