#!/usr/bin/env python3
"""Answers under load on the release binary serving the shipped channel:
1,000 distinct boxes answer the bus-route poll at once (50 keep-alive
connections, 20 boxes each), while 4 other connections keep loading a shell,
as boxes browsing meanwhile would. Three bursts, each with new boxes.

Reported: answers per second, the shell's p50/p99 during the burst against
the same shell's p50/p99 with no answers (the baseline, same run), and how
many renders the answers caused (the results refresher renders at most once
every results_seconds, 30 s in the shipped site.toml, never per answer).

The brakes are opened wide in the copy's site.toml: every box here comes
from 127.0.0.1, which the default per-address brakes would rightly hold.

Usage: bench/answers.py [bursts, default 3]
"""
import http.client, json, os, statistics, subprocess, sys, threading, time, urllib.parse

from benchlib import BINARY, ROOT as root, channel_copy, free_port, release_build

bursts = int(sys.argv[1]) if len(sys.argv) > 1 else 3
release_build()
tmp, channels = channel_copy()
with open(os.path.join(channels, "site.toml"), "a") as f:
    f.write("\n[interaction]\naddress_minute = 1000000\nnew_boxes_hour = 1000000\n")
data = os.path.join(tmp, "data")
boxes, admin = free_port(), free_port()
p = subprocess.Popen(
    [BINARY, "serve", "--channels", channels, "--data", data, "--listen", f"127.0.0.1:{boxes}",
     "--admin-listen", f"127.0.0.1:{admin}", "--admin-token", "bench", "--loop", "off"],
    cwd=root, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
for line in p.stdout:
    if "operators on" in line:
        break


def get_json(port, path, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("GET", path, headers=headers or {})
    body = c.getresponse().read()
    c.close()
    return json.loads(body)


def shells(stop, out):
    c = http.client.HTTPConnection("127.0.0.1", boxes, timeout=30)
    while not stop.is_set():
        t = time.perf_counter()
        c.request("GET", "/tv/sd/home.html")
        r = c.getresponse()
        r.read()
        assert r.status == 200, r.status
        out.append((time.perf_counter() - t) * 1000)
    c.close()


def poster(screen, first, n, statuses):
    c = http.client.HTTPConnection("127.0.0.1", boxes, timeout=60)
    for k in range(first, first + n):
        # No box id: each is a new box, issued a signed id with its answer.
        body = urllib.parse.urlencode({"profile": "sd", "screen": screen, "q1": k % 5 + 1, "q2": k % 3 + 1})
        c.request("POST", "/api/v1/answer", body=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
        r = c.getresponse()
        r.read()
        statuses.append(r.status)
    c.close()


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def shell_phase(seconds, during=None):
    stop, lat = threading.Event(), []
    ts = [threading.Thread(target=shells, args=(stop, lat)) for _ in range(4)]
    [t.start() for t in ts]
    started = time.perf_counter()
    if during:
        during()
    else:
        time.sleep(seconds)
    wall = time.perf_counter() - started
    stop.set()
    [t.join() for t in ts]
    return lat, wall


try:
    graph = get_json(boxes, "/api/v1/sd/graph.json")
    screen = next(i for i, s in graph["screens"].items() if s.get("ask", {}).get("send"))
    renders_before = len(get_json(admin, "/api/v1/renders?limit=500", {"Authorization": "Bearer bench"}))
    rows = []
    for b in range(bursts):
        base, _ = shell_phase(2.0)
        statuses = []

        def burst():
            ts = [threading.Thread(target=poster, args=(screen, b * 1000 + t * 20, 20, statuses)) for t in range(50)]
            [t.start() for t in ts]
            [t.join() for t in ts]

        during, wall = shell_phase(0, burst)
        assert len(statuses) == 1000 and all(s == 200 for s in statuses), {s for s in statuses}
        rows.append((1000 / wall, pct(base, 0.5), pct(base, 0.99), pct(during, 0.5), pct(during, 0.99), len(during)))
        print(f"burst {b + 1}: {1000 / wall:.0f} answers/s; shell p50/p99 {pct(base, 0.5):.2f}/{pct(base, 0.99):.2f} ms "
              f"idle, {pct(during, 0.5):.2f}/{pct(during, 0.99):.2f} ms during ({len(during)} shells)")
        time.sleep(1)
    time.sleep(3)
    renders = get_json(admin, "/api/v1/renders?limit=500", {"Authorization": "Bearer bench"})
    caused = sum(1 for r in renders[: len(renders) - renders_before] if r.get("trigger") == "answers")
    polls = get_json(admin, "/api/v1/polls", {"Authorization": "Bearer bench"})
    counted = next(p["boxes"] for p in polls if p["title"].startswith("城区公交"))
    med = lambda i: statistics.median(r[i] for r in rows)
    print(f"median of {bursts}: {med(0):.0f} answers/s; shell p99 {med(4):.2f} ms during vs {med(2):.2f} ms idle "
          f"({med(4) / med(2):.1f}x), p50 {med(3):.2f} vs {med(1):.2f} ms")
    print(f"boxes counted: {counted} (sent {bursts * 1000}); renders caused by answers: {caused}")
finally:
    p.terminate()
    p.wait()
