#!/usr/bin/env python3
"""Restart -> on air, after kill -9. The release binary serves a copy of the
shipped channel until it has saved its generation, then is killed with
SIGKILL at a random moment and started again, N times; each time the clock
runs from the new process's start until /healthz answers 200 with the
generation on air. In the same run, the cold start (an empty data folder:
nothing saved, the first render must finish) is the baseline.

Usage: bench/restart.py [RESTARTS, default 9]
"""
import os, random, shutil, signal, statistics, subprocess, sys, time, urllib.request

from benchlib import BINARY, ROOT as root, channel_copy, free_port, release_build

restarts = int(sys.argv[1]) if len(sys.argv) > 1 else 9
release_build()
tmp, channels = channel_copy()

def start(data):
    port = free_port()
    began = time.monotonic()
    p = subprocess.Popen(
        [BINARY, "serve", "--channels", channels, "--data", data,
         "--listen", f"127.0.0.1:{port}", "--admin-listen", "127.0.0.1:0", "--admin-token", "bench", "--loop", "off"],
        cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                if r.status == 200:
                    return p, (time.monotonic() - began) * 1000, r.read().decode().split()[1]
        except OSError:
            pass
        if p.poll() is not None:
            sys.exit("infotv exited")
        time.sleep(0.002)

try:
    cold = []
    for i in range(3):
        p, ms, gen = start(os.path.join(tmp, f"cold{i}"))
        cold.append(ms)
        p.kill(); p.wait()
    data = os.path.join(tmp, "data")
    p, _, gen = start(data)
    while not os.path.exists(os.path.join(data, "onair.bin")):
        time.sleep(0.05)
    warm = []
    for i in range(restarts):
        time.sleep(random.uniform(0.0, 1.5))  # killed at any moment: mid-render, mid-save, idle
        p.send_signal(signal.SIGKILL); p.wait()
        p, ms, again = start(data)
        warm.append(ms)
        print(f"restart {i + 1:2}: on air after {ms:6.0f} ms (generation {again})")
    p.kill(); p.wait()
    print(f"cold start (nothing saved): median {statistics.median(cold):.0f} ms over {len(cold)}")
    print(f"restart after kill -9: median {statistics.median(warm):.0f} ms over {restarts} "
          f"(min {min(warm):.0f}, max {max(warm):.0f}); {statistics.median(cold) / statistics.median(warm):.0f}x faster than cold")
finally:
    shutil.rmtree(tmp, ignore_errors=True)
