#!/usr/bin/env python3
"""Login latency on the operators' port of the release binary: N logins
with the right password and N with a wrong one (spread over names so no
lockout starts), each a fresh connection, one at a time; then 8 at once,
which the server hashes two at a time. As the baseline in the same run, a
read of /api/v1/status with the read-only token (no password hashing).

Usage: bench/login.py [N, default 15]
"""
import http.client, os, statistics, subprocess, sys, tempfile, threading, time, urllib.parse

from benchlib import BINARY, ROOT as root, free_port, release_build

n = int(sys.argv[1]) if len(sys.argv) > 1 else 15
release_build()
data = tempfile.mkdtemp()
port = free_port()
p = subprocess.Popen(
    [BINARY, "serve", "--channels", os.path.join(root, "tests/fixtures/basic"), "--data", data,
     "--listen", "127.0.0.1:0", "--admin-listen", f"127.0.0.1:{port}", "--admin-token", "bench", "--loop", "off"],
    cwd=root, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
password = None
for line in p.stdout:
    if "account admin, password " in line:
        password = line.split("account admin, password ")[1].split()[0]
    if "operators on" in line:
        break


def request(method, path, body=None, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    t = time.perf_counter()
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    r.read()
    c.close()
    return r.status, (time.perf_counter() - t) * 1000


def login(name, pw):
    body = urllib.parse.urlencode({"name": name, "password": pw})
    return request("POST", "/login", body, {"Content-Type": "application/x-www-form-urlencoded"})


try:
    base = [request("GET", "/api/v1/status", headers={"Authorization": "Bearer bench"})[1] for _ in range(n)]
    right = []
    for _ in range(n):
        status, ms = login("admin", password)
        assert status == 303, status
        right.append(ms)
    wrong = []
    for i in range(n):
        status, ms = login(f"user{i % 4}", "Wrong-Password-1")
        assert status in (401, 429), status
        wrong.append(ms)
    together = []
    threads = [threading.Thread(target=lambda: together.append(login("admin", password)[1])) for _ in range(8)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    med = statistics.median
    print(f"status read (baseline): median {med(base):.1f} ms")
    print(f"login, right password:  median {med(right):.1f} ms ({med(right) / med(base):.0f}x the baseline)")
    print(f"login, wrong password:  median {med(wrong):.1f} ms")
    print(f"8 logins at once:       median {med(together):.1f} ms, slowest {max(together):.1f} ms")
finally:
    p.terminate()
    p.wait()
