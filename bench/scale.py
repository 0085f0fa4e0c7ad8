#!/usr/bin/env python3
"""The shipped channel and the county-scale channel (bench/county.py) side by
side, in the same run, on the figures issue 21 asks for:

- cold render: `infotv render --out` of the whole channel, both profiles,
  wall time per screen (with the export's files written, and the render
  alone as its summary line gives it) and the peak resident memory;
- serving: resident memory once the channel is on air (and saved);
- one edited file on air: the median over EDITS edits, from the write until
  /api/v1/generation names a new generation, with the bytes the server wrote
  to disk per edit (/proc/PID/io write_bytes: the save of the new generation);
- restart after kill -9: until /healthz is 200, median over RESTARTS.

Usage: bench/scale.py [SCALE (default 1.0)] [EDITS (default 5)] [RESTARTS (default 3)]
   INFOTV_BIN=path: another build.
"""
import json, os, re, shutil, signal, statistics, subprocess, sys, tempfile, time, urllib.request

from benchlib import BINARY, ROOT as root, free_port, release_build

scale = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
edits = int(sys.argv[2]) if len(sys.argv) > 2 else 5
restarts = int(sys.argv[3]) if len(sys.argv) > 3 else 3
release_build()
tmp = tempfile.mkdtemp()


def get(port, path):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
            return r.status, r.read()
    except OSError:
        return None, b""


def cold_render(channels):
    out = os.path.join(tmp, "export")
    shutil.rmtree(out, ignore_errors=True)
    began = time.monotonic()
    # GNU time reports the render's own peak (getrusage would mix in every child).
    done = subprocess.run(["/usr/bin/time", "-f", "%M", BINARY, "render", "--channels", channels, "--out", out],
                          cwd=root, capture_output=True, text=True, check=True)
    wall = time.monotonic() - began
    peak = int(done.stderr.strip().splitlines()[-1])
    # The render alone, before the export's files are written: what a
    # server's first render costs, and what the file system does not change.
    rendered = int(re.search(r"duration=(\d+)ms", done.stdout + done.stderr).group(1)) / 1000
    screens = sum(len(json.load(open(os.path.join(out, "api/v1", p, "graph.json")))["screens"])
                  for p in os.listdir(os.path.join(out, "api/v1")) if os.path.isdir(os.path.join(out, "api/v1", p)))
    shutil.rmtree(out, ignore_errors=True)
    return screens, wall, rendered, peak / 1024


def serve(channels, data):
    port = free_port()
    began = time.monotonic()
    p = subprocess.Popen([BINARY, "serve", "--channels", channels, "--data", data, "--listen", f"127.0.0.1:{port}",
                          "--admin-listen", "127.0.0.1:0", "--admin-token", "bench", "--loop", "off"],
                         cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while get(port, "/healthz")[0] != 200:
        if p.poll() is not None:
            sys.exit("infotv exited")
        time.sleep(0.002)
    return p, port, (time.monotonic() - began) * 1000


def rss_mb(p):
    with open(f"/proc/{p.pid}/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS")) / 1024


def written(p):
    with open(f"/proc/{p.pid}/io") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("write_bytes"))


def generation(port):
    status, body = get(port, "/api/v1/generation")
    return json.loads(body)["generation"] if status == 200 else None


def wait_saved(data):
    saved = os.path.join(data, "onair.bin")
    while not os.path.exists(saved):
        time.sleep(0.1)
    size = -1
    while size != os.path.getsize(saved):  # the save has settled
        size = os.path.getsize(saved)
        time.sleep(1.0)


def measure(name, channels):
    screens, wall, rendered, peak = cold_render(channels)
    data = os.path.join(tmp, f"data-{name}")
    p, port, _ = serve(channels, data)
    wait_saved(data)
    serving = rss_mb(p)
    item = os.path.join(channels, "01-要闻速递", "01-时政要闻")
    article = os.path.join(item, sorted(f for f in os.listdir(item) if f.endswith(".md"))[0])
    times, writes = [], []
    for i in range(edits):
        before, w0 = generation(port), written(p)
        time.sleep(0.5)
        with open(article, "a", encoding="utf-8") as f:
            f.write(f"\n第 {i + 1} 次补充。\n")
        start = time.monotonic()
        while generation(port) == before:
            time.sleep(0.005)
        times.append((time.monotonic() - start) * 1000)
        wait_saved(data)
        writes.append((written(p) - w0) / 1e6)
    warm = []
    for _ in range(restarts):
        p.send_signal(signal.SIGKILL)
        p.wait()
        p, port, ms = serve(channels, data)
        warm.append(ms)
    p.kill()
    p.wait()
    return {"screens": screens, "cold_s": wall, "ms_per_screen": wall * 1000 / screens,
            "render_ms_per_screen": rendered * 1000 / screens, "render_peak_mb": peak,
            "serving_mb": serving, "edit_ms": statistics.median(times), "edit_written_mb": statistics.median(writes),
            "restart_ms": statistics.median(warm)}


try:
    shipped = os.path.join(tmp, "shipped")
    shutil.copytree(os.path.join(root, "channels"), shipped)
    big = os.path.join(tmp, "county")
    subprocess.run([sys.executable, os.path.join(root, "bench/county.py"), big, str(scale)], check=True,
                   stdout=subprocess.DEVNULL)
    rows = [("shipped", measure("shipped", shipped)), (f"county x{scale}", measure("county", big))]
    keys = ["screens", "cold_s", "ms_per_screen", "render_ms_per_screen", "render_peak_mb", "serving_mb", "edit_ms",
            "edit_written_mb", "restart_ms"]
    print(f"{'':24}" + "".join(f"{n:>16}" for n, _ in rows))
    for k in keys:
        print(f"{k:24}" + "".join(f"{r[k]:>16.1f}" if isinstance(r[k], float) else f"{r[k]:>16}" for _, r in rows))
finally:
    shutil.rmtree(tmp, ignore_errors=True)
