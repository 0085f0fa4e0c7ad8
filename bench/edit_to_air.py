#!/usr/bin/env python3
"""Edit -> on air, measured the way a box sees it: the release binary serves a
copy of the shipped channel; one article is appended to N times; each time
the clock runs from the write until /api/v1/generation names a new
generation. Prints each edit, the median, and the render time infotv logged.

Usage: bench/edit_to_air.py [EDITS, default 11]   (INFOTV_BIN=path: another build)
"""
import json, os, re, shutil, statistics, subprocess, sys, time, urllib.request

from benchlib import BINARY, ROOT as root, channel_copy, free_port, release_build

edits = int(sys.argv[1]) if len(sys.argv) > 1 else 11
release_build()
tmp, channels = channel_copy()

port, admin = free_port(), free_port()
log = open(os.path.join(tmp, "serve.log"), "w+")
server = subprocess.Popen(
    [BINARY, "serve", "--channels", channels, "--data", os.path.join(tmp, "data"),
     "--listen", f"127.0.0.1:{port}", "--admin-listen", f"127.0.0.1:{admin}", "--admin-token", "bench", "--loop", "off"],
    cwd=root, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "RUST_LOG": "info"})

def generation():
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/generation", timeout=2) as r:
            return json.load(r)["generation"]
    except OSError:
        return None

try:
    while generation() is None:
        time.sleep(0.05)
    item = os.path.join(channels, "01-要闻速递", "01-时政要闻")
    article = os.path.join(item, sorted(f for f in os.listdir(item) if f.endswith(".md"))[0])
    times = []
    for i in range(edits):
        before = generation()
        time.sleep(0.5)
        with open(article, "a", encoding="utf-8") as f:
            f.write(f"\n第 {i + 1} 次补充：编辑后几秒内上电视。\n")
        start = time.monotonic()
        while generation() == before:
            time.sleep(0.005)
        times.append((time.monotonic() - start) * 1000)
        print(f"edit {i + 1:2}: on air after {times[-1]:6.0f} ms")
    time.sleep(0.3)
    log.seek(0)
    renders = [int(m) for m in re.findall(r"trigger=files:\S+ duration_ms=(\d+)", log.read())]
    print(f"edit -> on air: median {statistics.median(times):.0f} ms over {edits} edits "
          f"(min {min(times):.0f}, max {max(times):.0f})")
    if renders:
        print(f"render itself: median {statistics.median(renders)} ms (min {min(renders)}, max {max(renders)})")
finally:
    server.terminate()
    server.wait()
    shutil.rmtree(tmp, ignore_errors=True)
