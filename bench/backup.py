#!/usr/bin/env python3
"""Backup and restore of a data folder holding a year of statistics. The
release binary renders the shipped channel into a data folder and saves its
generation; then the store gets 365 days x 24 hours x every screen of both
profiles of views (and 800 boxes a day), as a year on air would leave it.
`infotv backup` is timed N times while a server serves that folder, then
`infotv restore` into an empty folder. In the same run, `tar` with gzip -1
of the same folder (stopped, no consistency) is the baseline.

Usage: bench/backup.py [RUNS, default 3]
"""
import datetime, os, shutil, signal, sqlite3, statistics, subprocess, sys, time, urllib.request

from benchlib import BINARY, ROOT as root, channel_copy, free_port, release_build

runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
release_build()
tmp, channels = channel_copy()
data = os.path.join(tmp, "data")


def serve():
    port = free_port()
    p = subprocess.Popen(
        [BINARY, "serve", "--channels", channels, "--data", data, "--listen", f"127.0.0.1:{port}",
         "--admin-listen", "127.0.0.1:0", "--loop", "off"],
        cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            if os.path.exists(os.path.join(data, "onair.bin")):
                return p, port
        except OSError:
            pass
        time.sleep(0.1)
    sys.exit("infotv did not start")


def screens(port):
    ids = []
    for profile in ("sd", "hd"):
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/{profile}/graph.json") as r:
            import json
            ids += [(profile, s) for s in json.load(r)["screens"]]
    return ids


try:
    p, port = serve()
    ids = screens(port)
    p.send_signal(signal.SIGTERM)
    p.wait()
    began = time.monotonic()
    db = sqlite3.connect(os.path.join(data, "infotv.sqlite"))
    db.execute("PRAGMA synchronous = OFF")
    first = datetime.date(2025, 12, 1)
    with db:
        for d in range(365):
            day = (first + datetime.timedelta(days=d)).isoformat()
            db.executemany(
                "INSERT OR REPLACE INTO views VALUES (?, ?, ?, ?, '栏目', '子项', ?)",
                ((day, h, prof, s, 1 + (h * 7 + d) % 13) for h in range(24) for prof, s in ids))
            db.executemany("INSERT OR IGNORE INTO boxes VALUES (?, ?)", ((day, f"{b:032x}") for b in range(800)))
    rows = db.execute("SELECT count(*) FROM views").fetchone()[0]
    db.close()
    store_mb = os.path.getsize(os.path.join(data, "infotv.sqlite")) / 1e6
    print(f"a year of statistics: {rows:,} view rows ({len(ids):,} screens x 8,760 hours), "
          f"store {store_mb:,.0f} MB, made in {time.monotonic() - began:.0f} s")

    p, port = serve()
    times, sizes = [], []
    for i in range(runs):
        out = os.path.join(tmp, f"backup{i}.tar.gz")
        t = time.monotonic()
        subprocess.run([BINARY, "backup", "--data", data, "--out", out], check=True, stdout=subprocess.DEVNULL)
        times.append(time.monotonic() - t)
        sizes.append(os.path.getsize(out))
        if i:
            os.remove(out)
    p.send_signal(signal.SIGTERM)
    p.wait()
    restore = []
    for i in range(runs):
        fresh = os.path.join(tmp, f"fresh{i}")
        t = time.monotonic()
        subprocess.run([BINARY, "restore", os.path.join(tmp, "backup0.tar.gz"), "--data", fresh],
                       check=True, stdout=subprocess.DEVNULL)
        restore.append(time.monotonic() - t)
        shutil.rmtree(fresh)
    tar = []
    for i in range(runs):
        t = time.monotonic()
        subprocess.run(f"tar -C {tmp} -cf - data | gzip -1 > {tmp}/tar.tgz", shell=True, check=True)
        tar.append(time.monotonic() - t)
    tar_mb = os.path.getsize(f"{tmp}/tar.tgz") / 1e6
    b, r, g = statistics.median(times), statistics.median(restore), statistics.median(tar)
    print(f"infotv backup (serving):  median {b:.1f} s, {sizes[0] / 1e6:,.0f} MB")
    print(f"infotv restore:           median {r:.1f} s")
    print(f"tar | gzip -1 (baseline): median {g:.1f} s, {tar_mb:,.0f} MB; backup/tar = {b / g:.2f}")
finally:
    shutil.rmtree(tmp, ignore_errors=True)
