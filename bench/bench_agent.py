#!/usr/bin/env python3
"""Agent footprint: resident memory and CPU of vigil-agent while it ships
RATE lines/s (default 1,000) from a tailed file for SECONDS (default 60) to a
real server on loopback, against a baseline measured in the same run: the
same agent connected but idle (heartbeats only) for 10 s. Also checks that
every line was stored.

Posture reports are on (the defaults: inventory of this host, the Debian 12
baseline, FIM of the built-in critical files); the first figure is the time
from the agent's start until the server holds its full report (inventory
and hardening score), and the RSS right after it. --no-posture turns them
off for comparison. Besides the sampled peak it prints the kernel's
high-water mark (VmHWM) before and after shipping, which also catches
short spikes between samples. The posture scans run in the helper
vigil-agent-scan, whose memory is not the agent's (the agent logs the
helper's peak RSS per scan).

usage: bench/bench_agent.py [BUILD_DIR] [--rate N] [--seconds S] [--no-posture]"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import json

args = [a for a in sys.argv[1:]]
build = "build"
rate, seconds = 1000, 60
posture = True
i = 0
while i < len(args):
    if args[i] == "--no-posture":
        posture = False; i += 1
    elif args[i] == "--rate":
        rate = int(args[i + 1]); i += 2
    elif args[i] == "--seconds":
        seconds = int(args[i + 1]); i += 2
    else:
        build = args[i]; i += 1
VIGIL = os.path.join(build, "vigil")
AGENT = os.path.join(build, "vigil-agent")
HZ = os.sysconf("SC_CLK_TCK")


def cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        parts = f.read().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / HZ


def status_kb(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def rss_kb(pid):
    return status_kb(pid, "VmRSS")


def hwm_kb(pid):
    return status_kb(pid, "VmHWM")


def rss_parts_kb(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(("RssAnon:", "RssFile:", "RssShmem:")):
                out[line.split(":")[0]] = int(line.split()[1])
    return out


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def main():
    base = tempfile.mkdtemp(prefix="vg_bench_agent_")
    data = os.path.join(base, "srv")
    port = free_port()
    srv = subprocess.Popen([VIGIL, "serve", "--data", data, "--http", "off", "--syslog-udp", "off", "--syslog-tcp", "off",
                            "--agents", "127.0.0.1:%d" % port, "--log-level", "warn"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    while srv.stdout.readline().strip() != b"ready":
        pass
    threading.Thread(target=srv.stdout.read, daemon=True).start()
    out = subprocess.run([VIGIL, "agents", "token", "--data", data], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    tok = [l.split(": ")[1] for l in out.stdout.decode().splitlines() if l.startswith("token: ")][0]
    adir = os.path.join(base, "agent")
    subprocess.run([AGENT, "enroll", "--server", "127.0.0.1:%d" % port, "--token", tok, "--data", adir],
                   check=True, stdout=subprocess.DEVNULL)
    logf = os.path.join(base, "app.log")
    open(logf, "w").close()
    conf = os.path.join(base, "agent.conf")
    with open(conf, "w") as f:
        f.write("[files]\ntail = %s\n[journal]\nenabled = no\n" % logf)
        if not posture:
            f.write("[posture]\ninventory = no\nhardening = no\n[fim]\nenabled = no\n")
    t_start = time.time()
    ag = subprocess.Popen([AGENT, "run", "--data", adir, "--config", conf], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL)
    first = None
    if posture:
        host = "bench-agent"
        while time.time() - t_start < 120:
            a = subprocess.run([VIGIL, "assets", "list", "--data", data, "--json"], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL).stdout
            try:
                rows = json.loads(a)
            except ValueError:
                rows = []
            if rows and rows[0].get("packages") and rows[0].get("posture_score") is not None:
                first = time.time() - t_start
                host = rows[0]["host"]
                break
            time.sleep(0.05)
        first_rss = rss_kb(ag.pid)
        print("first full posture report of %s stored %.2f s after the agent started (RSS then %.1f MB)" %
              (host, first if first is not None else -1, first_rss / 1024))
    time.sleep(2)
    # baseline: idle, connected
    c0, t0 = cpu_s(ag.pid), time.time()
    time.sleep(10)
    idle_cpu = (cpu_s(ag.pid) - c0) / (time.time() - t0)
    idle_rss = rss_kb(ag.pid)
    parts = rss_parts_kb(ag.pid)
    hwm_start = hwm_kb(ag.pid)
    # shipping RATE lines/s
    peak = 0
    c0, t0 = cpu_s(ag.pid), time.time()
    n = 0
    with open(logf, "a") as f:
        for sec in range(seconds):
            tick = t0 + sec
            for k in range(10):   # 10 bursts per second
                for _ in range(rate // 10):
                    f.write("Nov 29 12:00:00 host app[42]: bench line %08d user=alice action=login result=ok\n" % n)
                    n += 1
                f.flush()
                time.sleep(max(0, tick + (k + 1) / 10 - time.time()))
            peak = max(peak, rss_kb(ag.pid))
    ship_cpu = (cpu_s(ag.pid) - c0) / (time.time() - t0)
    hwm_end = hwm_kb(ag.pid)
    time.sleep(3)
    ag.terminate()
    ag.wait()
    srv.terminate()
    srv.wait()
    cnt = subprocess.run([VIGIL, "search", "--data", data, "--count", "bench"], stdout=subprocess.PIPE).stdout.decode().strip()
    print("agent shipping %d lines/s for %d s (%d lines, %s stored), posture %s" %
          (rate, seconds, n, cnt, "on" if posture else "off"))
    print("  RSS peak      %7.1f MB   (idle %.1f MB, ratio %.2f)" % (peak / 1024, idle_rss / 1024, peak / max(idle_rss, 1)))
    print("  RSS high-water mark (VmHWM, every page ever resident at once): %.1f MB before shipping, %.1f MB after" %
          (hwm_start / 1024, hwm_end / 1024))
    print("  RSS idle split: anonymous %.1f MB, file-backed (code of the shared libraries) %.1f MB" %
          (parts.get("RssAnon", 0) / 1024, parts.get("RssFile", 0) / 1024))
    print("  CPU shipping  %7.2f %%   of one core" % (ship_cpu * 100))
    print("  CPU idle      %7.2f %%   (baseline: connected, heartbeats only)" % (idle_cpu * 100))
    print("  CPU per 1,000 lines  %.2f ms" % (ship_cpu * 1000 / rate * 1000))
    shutil.rmtree(base, ignore_errors=True)
    return 0 if cnt == str(n) else 1


if __name__ == "__main__":
    sys.exit(main())
