#!/usr/bin/env python3
"""The broadcast loop's cost: serves the shipped channel with its [loop]
plus an MPEG-TS output to a file, and samples for SECONDS (default 600) the
CPU share and resident memory of each ffmpeg and of infotv itself.

    bench/loop.py [SECONDS]

CPU share is of one core (100 % = one core busy) and of the machine (all
cores), from /proc/<pid>/stat between the first and last sample; memory is
VmRSS, median and maximum over the samples, and PSS (shared libraries split
among the processes that map them)."""
import os, re, statistics, subprocess, sys, time

from benchlib import BINARY, channel_copy, free_port, release_build

SECONDS = int(sys.argv[1]) if len(sys.argv) > 1 else 600
TICK = os.sysconf("SC_CLK_TCK")
CORES = os.cpu_count()


def cpu(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def rss(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1)) / 1024


def pss(pid):
    """Proportional set size: shared libraries split among their users."""
    with open(f"/proc/{pid}/smaps_rollup") as f:
        return int(re.search(r"Pss:\s+(\d+)", f.read()).group(1)) / 1024


def children(pid):
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [int(p) for p in out]


def recordings(tmp):
    """Where the TS file may go: builds before issue 50 wrote it in the data folder."""
    help = subprocess.run([BINARY, "serve", "--help"], capture_output=True, text=True).stdout
    return ["--recordings", os.path.join(tmp, "recordings")] if "--recordings" in help else []


def main():
    release_build()
    tmp, channels = channel_copy()
    with open(os.path.join(channels, "site.toml"), "a") as f:
        f.write('ts = "headend.ts"\n')
    data = os.path.join(tmp, "data")
    port, admin = free_port(), free_port()
    server = subprocess.Popen(
        [BINARY, "serve", "--channels", channels, "--data", data, "--listen", f"127.0.0.1:{port}",
         "--admin-listen", f"127.0.0.1:{admin}"] + recordings(tmp),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        while len(children(server.pid)) < 2 and time.time() < deadline:
            time.sleep(0.5)
        time.sleep(10)  # past start-up: the first render, the encoders' first segments
        procs = {"infotv": server.pid}
        for pid in children(server.pid):
            with open(f"/proc/{pid}/cmdline") as f:
                cmd = f.read()
            procs["ffmpeg " + ("ts" if "mpegts" in cmd else "hls")] = pid
        start = {name: cpu(pid) for name, pid in procs.items()}
        memory = {name: [] for name in procs}
        shared = {name: [] for name in procs}
        began = time.time()
        while time.time() - began < SECONDS:
            for name, pid in procs.items():
                memory[name].append(rss(pid))
                shared[name].append(pss(pid))
            time.sleep(5)
        elapsed = time.time() - began
        print(f"loop for {elapsed:.0f} s on {CORES} cores (sd HLS + MPEG-TS, shipped channel)")
        total = 0.0
        for name, pid in procs.items():
            used = cpu(pid) - start[name]
            total += used
            print(f"  {name:12} CPU {100 * used / elapsed:5.1f} % of a core ({100 * used / elapsed / CORES:4.1f} % of the machine)"
                  f"   RSS median {statistics.median(memory[name]):6.1f} MB, max {max(memory[name]):6.1f} MB"
                  f" (PSS median {statistics.median(shared[name]):6.1f} MB)")
        print(f"  {'all':12} CPU {100 * total / elapsed:5.1f} % of a core ({100 * total / elapsed / CORES:4.1f} % of the machine)")
        still = children(server.pid)
        print(f"  encoders still the same processes: {sorted(still) == sorted(p for n, p in procs.items() if n != 'infotv')}")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
