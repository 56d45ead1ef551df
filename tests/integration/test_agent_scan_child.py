"""vigil-agent runs its inventory and hardening scans in a child process
(fork + exec of the helper vigil-agent-scan) that hands the document back
over a pipe. The test hook VIGIL_AGENT_TEST_SCAN (src/agent/scan/scan.c)
makes a scan abort, hang, write a truncated document, write more than the
size cap or fail; each time the agent logs the failure, keeps running,
spools nothing from that child (the server sees no rejected record) and the
next interval's child delivers the report. An agent stopped while a child
hangs exits at once and takes the child with it; a missing helper is
reported and the agent runs on."""
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from vgtest import Server, check, finish, tmpdir, cleanup  # noqa: E402
from test_agent import AGENT, free_port, new_token, agent  # noqa: E402
from test_agent_posture import fixture_root, write, wait_for, asset_json, posture_json, search  # noqa: E402


def log_of(path):
    with open(path, "rb") as f:
        return f.read().decode(errors="replace")


def start_agent(base, data, server, name, root, hook, extra=""):
    tok, fp = new_token(data)
    adir = os.path.join(base, name)
    r = agent("enroll", "--server", server, "--token", tok, "--ca-fingerprint", fp, "--data", adir, "--name", name)
    check(r.returncode == 0, "%s enrolled" % name)
    conf = os.path.join(base, name + ".conf")
    write(conf, "[agent]\nheartbeat = 1s\nbackoff_max = 1s\n[journal]\nenabled = no\n[fim]\nenabled = no\n"
                "[files]\npoll = 100ms\n[posture]\nroot = %s\ninventory_interval = 1s\nhardening_interval = 1s\n%s"
          % (root, extra))
    errp = os.path.join(base, name + ".stderr")
    env = dict(os.environ, VIGIL_AGENT_TEST_SCAN=hook)
    p = subprocess.Popen([AGENT, "run", "--data", adir, "--config", conf], stdout=subprocess.DEVNULL,
                         stderr=open(errp, "ab"), env=env)
    return p, adir, errp


def children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def main():
    base = tmpdir("agent_scan_child")
    data = os.path.join(base, "srv")
    port = free_port()
    server = "127.0.0.1:%d" % port
    srv = Server(data, "--agents", server, "--agents-silent-after", "30s")
    root = os.path.join(base, "root")
    fixture_root(root)
    procs = []
    try:
        # ---- a crash and a hang on the first runs ------------------------
        pa, adir_a, err_a = start_agent(base, data, server, "crashy", root, "inventory:abort:1,hardening:hang:1",
                                        "scan_timeout = 2s\n")
        procs.append(pa)
        # ---- a truncated document, then output over the cap, then exit 1 --
        pb, adir_b, err_b = start_agent(base, data, server, "garbled", root,
                                        "inventory:garbage:1,hardening:big:1,inventory:fail:2")
        procs.append(pb)

        a = wait_for(lambda: (asset_json(data, "crashy") or {}).get("packages") == 4 and
                     (posture_json(data, "crashy") or {}).get("policies"), 90)
        check(bool(a), "after a crashed inventory child and a hung hardening child, the next runs deliver both reports")
        la = log_of(err_a)
        check("inventory scan child killed by signal %d" % signal.SIGABRT in la,
              "the aborted inventory child is logged with its signal")
        check("hardening scan child timed out" in la, "the hung hardening child is killed after scan_timeout")
        check(pa.poll() is None, "the agent survives a crashing and a hanging scan child")

        b = wait_for(lambda: (asset_json(data, "garbled") or {}).get("packages") == 4 and
                     (posture_json(data, "garbled") or {}).get("policies"), 90)
        check(bool(b), "after a truncated, an oversized and a failed scan, later runs deliver both reports")
        lb = log_of(err_b)
        check("inventory scan child malformed output rejected (not valid JSON" in lb,
              "a truncated document (exit status 0) is rejected")
        check("hardening scan child output over the size cap" in lb, "output over the size cap is rejected")
        check("inventory scan child failed (exit status 1)" in lb, "a scan child exiting 1 is logged")
        check(pb.poll() is None, "the agent survives malformed child output")
        check(not os.path.exists(os.path.join(adir_b, "inventory.json.new")) and
              os.path.exists(os.path.join(adir_b, "inventory.json")),
              "the inventory snapshot is kept only for the report that was spooled")
        time.sleep(1)
        rej = search(data, "event.action:agent_record_rejected", count=True)
        check(rej == 0, "nothing malformed reached the server (%d rejected records)" % rej)
        for name, p in (("crashy", pa), ("garbled", pb)):
            p.send_signal(signal.SIGTERM)
            try:
                rc = p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                rc = None
            check(rc == 0, "%s agent stops cleanly (rc %s)" % (name, rc))

        # ---- stopped while a child hangs ---------------------------------
        pc, adir_c, err_c = start_agent(base, data, server, "hangs", root, "hardening:hang",
                                        "inventory = no\nscan_timeout = 1h\n")
        procs.append(pc)
        kids = wait_for(lambda: "hardening scan: test hook hang" in log_of(err_c) and children(pc.pid), 60)
        check(bool(kids), "a hardening child hangs (%s)" % kids)
        pc.send_signal(signal.SIGTERM)
        try:
            rc = pc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            rc = None
        check(rc == 0, "the agent stops at once while its scan child hangs (rc %s)" % rc)
        gone = wait_for(lambda: not any(alive(k) for k in (kids or [])), 10)
        check(bool(gone), "the hung child is gone with the agent")

        # ---- the scan helper is missing ----------------------------------
        pd, adir_d, err_d = start_agent(base, data, server, "noscan", root, "",
                                        "scanner = %s\n" % os.path.join(base, "no-such-scanner"))
        procs.append(pd)
        ld = wait_for(lambda: "hardening scan child could not run" in log_of(err_d) and log_of(err_d), 60) or ""
        check("cannot run the posture scanner" in ld and "inventory scan child could not run" in ld and
              "hardening scan child could not run" in ld, "a missing scan helper is reported at start and at each scan")
        check(pd.poll() is None, "the agent runs on without its scan helper")
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        srv.stop()
    cleanup(base)
    finish()


if __name__ == "__main__":
    main()
