#!/usr/bin/env python3
"""Security probes: the attacks of issue 50 tried against a real infotv
binary, each printing what the server answered. Run it against two builds
to compare them:

    bench/probe.py target/release/infotv            # every probe
    bench/probe.py /tmp/infotv-old alert tokens     # some, by name

Each probe starts the binary on free ports with a data folder of its own,
on a copy of tests/fixtures/answers, and stops it afterwards. Nothing here
asserts: the tests do (tests/security.rs); this is for the figures of a
closing note. Needs ffmpeg for `ts`.
"""

import http.client
import os
import random
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import json

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURE = os.path.join(ROOT, "tests", "fixtures", "answers")
TOKEN = "probe-read-only-token-3c1f"
PASSWORD = "Probe-Pass-2026!"


class Server:
    def __init__(self, exe, extra_site="", args=(), setup=None):
        self.tmp = tempfile.mkdtemp(prefix="probe-")
        self.channels = os.path.join(self.tmp, "channels")
        self.data = os.path.join(self.tmp, "data")
        shutil.copytree(FIXTURE, self.channels)
        os.makedirs(self.data)
        with open(os.path.join(self.channels, "site.toml"), "a") as f:
            f.write(extra_site)
        if setup:
            setup(self)
        self.exe = exe
        cmd = [exe, "serve", "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0",
               "--channels", self.channels, "--data", self.data, "--admin-token", TOKEN,
               "--fonts", os.path.join(ROOT, "fonts"), *args]
        if "--loop" not in args:
            cmd += ["--loop", "off"]
        env = dict(os.environ, RUST_LOG="warn", NO_COLOR="1")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True)
        self.boxes = self.admin = None
        self.log = []
        while self.admin is None:
            line = self.proc.stdout.readline()
            if not line:
                raise SystemExit("the server ended: " + "".join(self.log))
            self.log.append(line)
            for word in line.split()[:5]:
                if word.startswith("http://") and "<" not in word:
                    hostport = word[len("http://"):].split("/")[0]
                    host, port = hostport.rsplit(":", 1)
                    if "serving" in line:
                        self.boxes = (host, int(port))
                    elif "operators on" in line:
                        self.admin = (host, int(port))
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self):
        for line in self.proc.stdout:
            self.log.append(line)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def cli(self, *args, stdin=""):
        out = subprocess.run([self.exe, *args, "--data", self.data], input=stdin, capture_output=True, text=True)
        return out.returncode, out.stdout + out.stderr


def request(addr, method, path, body=None, headers=None, source=None, timeout=10):
    conn = http.client.HTTPConnection(addr[0], addr[1], timeout=timeout, source_address=(source, 0) if source else None)
    h = dict(headers or {})
    if body is not None:
        h.setdefault("Content-Type", "application/x-www-form-urlencoded")
    conn.request(method, path, body=body, headers=h)
    r = conn.getresponse()
    data = r.read()
    conn.close()
    headers = dict(r.getheaders())
    # Of several cookies set, the session's is the one a probe wants.
    cookies = [v for k, v in r.getheaders() if k.lower() == "set-cookie"]
    session = [c for c in cookies if c.startswith("infotv_admin=")]
    if cookies:
        headers["Set-Cookie"] = (session or cookies)[0]
    return r.status, headers, data


def graph_asks(s):
    _, _, body = request(s.boxes, "GET", "/api/v1/sd/graph.json")
    g = json.loads(body)
    out = {}
    for sid, screen in g["screens"].items():
        ask = screen.get("ask")
        if ask:
            out.setdefault(ask["kind"], []).append((sid, ask))
    return out


def box_field(exe):
    """The box part of an answer: none where the server issues ids with the
    first answer (after issue 50), else one made up as boxes did before."""
    help = subprocess.run([exe, "serve", "--help"], capture_output=True, text=True).stdout
    return "" if "--recordings" in help else "&box=probe-box-%08x" % random.getrandbits(32)


def login(s, name, password, source=None):
    st, h, body = request(s.admin, "GET", "/login", source=source)
    headers = {"Origin": "http://%s:%d" % s.admin}
    csrf = ""
    cookie = h.get("Set-Cookie") or h.get("set-cookie")
    if cookie:
        headers["Cookie"] = cookie.split(";")[0]
    text = body.decode("utf-8", "replace")
    marker = 'name="csrf" value="'
    if marker in text:
        csrf = text.split(marker, 1)[1].split('"', 1)[0]
    body = "name=%s&password=%s&csrf=%s" % (name, password.replace("!", "%21"), csrf)
    st, h, _ = request(s.admin, "POST", "/login", body, headers, source=source)
    got = h.get("Set-Cookie") or h.get("set-cookie") or ""
    return st, got.split(";")[0]


def add_account(s, name, role):
    """An account whose first password is changed already (to PASSWORD)."""
    first = "First-Pass-2026!"
    s.cli("account", "add", name, "--role", role, stdin=first + "\n" + first + "\n")
    st, cookie = login(s, name, first)
    body = "current=%s&new=%s&again=%s" % (first.replace("!", "%21"), PASSWORD.replace("!", "%21"), PASSWORD.replace("!", "%21"))
    request(s.admin, "POST", "/password", body, {"Cookie": cookie, "Origin": "http://%s:%d" % s.admin})


# --- the probes ------------------------------------------------------------


def probe_alert(exe):
    """A symlinked alert.txt and caption leading out of the channel."""
    secret_dir = tempfile.mkdtemp(prefix="secret-")
    secret = os.path.join(secret_dir, "key.pem")
    with open(secret, "w") as f:
        f.write("-----BEGIN PRIVATE KEY----- SECRET-ALERT-TEXT\n")

    def setup(s):
        os.symlink(secret, os.path.join(s.channels, "alert.txt"))

    s = Server(exe, setup=setup)
    try:
        time.sleep(1.5)
        _, _, body = request(s.boxes, "GET", "/api/v1/generation")
        leaked = b"SECRET-ALERT-TEXT" in body
        _, _, problems = request(s.admin, "GET", "/api/v1/problems", headers={"Authorization": "Bearer " + TOKEN})
        said = [p["zh"] for p in json.loads(problems) if p["path"] == "alert.txt"]
        print("alert: /api/v1/generation carries the linked file's text: %s; problem: %s" % (leaked, said))
    finally:
        s.stop()
        shutil.rmtree(secret_dir, ignore_errors=True)


def probe_ts(exe):
    """[loop] ts pointing at the store."""
    s = Server(exe, extra_site='\n[loop]\nts = "infotv.sqlite"\n', args=("--loop", "on"))
    try:
        time.sleep(30)
        with open(os.path.join(s.data, "infotv.sqlite"), "rb") as f:
            head = f.read(16)
        _, _, problems = request(s.admin, "GET", "/api/v1/problems", headers={"Authorization": "Bearer " + TOKEN})
        said = [p["zh"] for p in json.loads(problems) if "ts" in p["zh"]]
        print("ts: after 30 s the store begins with %r (a store: %s); problems: %s"
              % (head, head.startswith(b"SQLite format 3"), said))
    finally:
        s.stop()


def probe_references(exe):
    """A request filed after YYMM-9999."""
    s = Server(exe)
    try:
        phone = [a for a in graph_asks(s)["phone"] if a[1]["number"] == 1][0][0]
        yymm = time.strftime("%y%m")
        db = sqlite3.connect(os.path.join(s.data, "infotv.sqlite"), timeout=10)
        db.execute("INSERT INTO requests (reference, at, day, item, category, phone, box, state) "
                   "VALUES (?, '2026-12-01T00:00:00Z', '2026-12-01', 'x', 'x', '13800000000', 'seed', 'new')",
                   (yymm + "-9999",))
        db.commit()
        db.close()
        got = []
        for i in range(3):
            st, _, body = request(s.boxes, "POST", "/api/v1/answer",
                                  "profile=sd&screen=%s&category=1&phone=13881812345%s" % (phone, box_field(s.exe)))
            got.append((st, json.loads(body).get("reference") or json.loads(body).get("error")))
        print("references: three requests after %s-9999 answered %s" % (yymm, got))
    finally:
        s.stop()


def probe_forged(exe):
    """500 made-up box ids from one address voting in one poll."""
    s = Server(exe)
    try:
        poll = [a for a in graph_asks(s)["question"] if a[1].get("send")][0][0]
        statuses = {}
        for i in range(500):
            box = "forged-%d-%08x" % (i, random.getrandbits(32))
            st, _, _ = request(s.boxes, "POST", "/api/v1/answer", "profile=sd&screen=%s&box=%s&q1=1&q2=1" % (poll, box))
            statuses[st] = statuses.get(st, 0) + 1
        # And 500 answers with no id at all, each a box new to the server.
        issued = {}
        for i in range(500):
            st, _, _ = request(s.boxes, "POST", "/api/v1/answer", "profile=sd&screen=%s&q1=1&q2=1" % poll)
            issued[st] = issued.get(st, 0) + 1
        db = sqlite3.connect(os.path.join(s.data, "infotv.sqlite"), timeout=10)
        counted = db.execute("SELECT count(*) FROM poll_answers").fetchone()[0]
        db.close()
        print("forged: 500 made-up ids answered %s; 500 answers without an id answered %s; votes counted: %d"
              % (statuses, issued, counted))
    finally:
        s.stop()


def probe_lockout(exe):
    """Five wrong passwords from one address, then the right one from another."""
    s = Server(exe)
    try:
        add_account(s, "ops", "operator")
        for i in range(5):
            login(s, "ops", "wrong-password-%d" % i, source="127.0.0.1")
        right_here, _ = login(s, "ops", PASSWORD, source="127.0.0.1")
        right_there, _ = login(s, "ops", PASSWORD, source="127.0.0.2")
        print("lockout: after 5 failures from 127.0.0.1 the right password answers %d there and %d from 127.0.0.2"
              % (right_here, right_there))
    finally:
        s.stop()


def probe_tokens(exe):
    """20,000 bad bearer tokens: audit rows written, and the admin's p99 meanwhile."""
    s = Server(exe)
    try:
        db = sqlite3.connect(os.path.join(s.data, "infotv.sqlite"), timeout=10)
        before = db.execute("SELECT count(*) FROM audit").fetchone()[0]
        done = threading.Event()
        lat = []

        def good():
            while not done.is_set():
                t = time.perf_counter()
                request(s.admin, "GET", "/api/v1/status", headers={"Authorization": "Bearer " + TOKEN}, source="127.0.0.2")
                lat.append(time.perf_counter() - t)
                time.sleep(0.01)

        def flood(n):
            for i in range(n):
                request(s.admin, "GET", "/api/v1/status", headers={"Authorization": "Bearer itv_%048x" % random.getrandbits(192)})

        g = threading.Thread(target=good)
        g.start()
        t0 = time.time()
        workers = [threading.Thread(target=flood, args=(5000,)) for _ in range(4)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        took = time.time() - t0
        done.set()
        g.join()
        time.sleep(61)  # let a minute's summary be written
        after = db.execute("SELECT count(*) FROM audit").fetchone()[0]
        db.close()
        lat.sort()
        p50 = lat[len(lat) // 2] * 1000
        p99 = lat[int(len(lat) * 0.99)] * 1000
        print("tokens: 20,000 bad tokens in %.1f s added %d audit rows; the read-only token meanwhile p50 %.1f ms p99 %.1f ms (%d requests)"
              % (took, after - before, p50, p99, len(lat)))
    finally:
        s.stop()


def probe_anchor(exe):
    """The audit log's last rows cut and the head rewritten to match."""
    anchor_dir = tempfile.mkdtemp(prefix="anchor-")
    anchor = os.path.join(anchor_dir, "audit-anchor")
    s = Server(exe, args=("--audit-anchor", anchor) if supports(exe, "--audit-anchor") else ())
    try:
        add_account(s, "ops", "operator")
        for i in range(3):
            login(s, "ops", PASSWORD)
    finally:
        s.proc.terminate()
        s.proc.wait(timeout=20)
    db = sqlite3.connect(os.path.join(s.data, "infotv.sqlite"))
    n = db.execute("SELECT count(*) FROM audit").fetchone()[0]
    db.execute("DROP TRIGGER audit_kept")
    db.execute("DELETE FROM audit WHERE id > ?", (n - 3,))
    last = db.execute("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
    db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('audit_head', ?)", ("%d %s" % last,))
    db.commit()
    db.close()
    args = ["audit", "verify"] + (["--audit-anchor", anchor] if supports(exe, "--audit-anchor") else [])
    code, out = s.cli(*args)
    print("anchor: %d rows, the last 3 cut and the head rewritten: verify exits %d: %s" % (n, code, out.strip().splitlines()[-1] if out.strip() else ""))
    shutil.rmtree(s.tmp, ignore_errors=True)
    shutil.rmtree(anchor_dir, ignore_errors=True)


def supports(exe, flag):
    out = subprocess.run([exe, "serve", "--help"], capture_output=True, text=True).stdout
    return flag in out


def probe_readonly(exe):
    """The shared --admin-token trying what changes things, and reading numbers."""
    s = Server(exe)
    try:
        phone = [a for a in graph_asks(s)["phone"] if a[1]["number"] == 1][0][0]
        st, _, body = request(s.boxes, "POST", "/api/v1/answer",
                              "profile=sd&screen=%s&category=1&phone=13881812345%s" % (phone, box_field(s.exe)))
        ref = json.loads(body).get("reference")
        auth = {"Authorization": "Bearer " + TOKEN}
        _, _, listing = request(s.admin, "GET", "/api/v1/requests", headers=auth)
        whole = b"13881812345" in listing
        tried = {}
        for path in ["/requests/%s/handled" % ref, "/api/v1/review/0000000000000000/approve", "/accounts",
                     "/accounts/ops/token", "/logout", "/password"]:
            st, _, _ = request(s.admin, "POST", path, "x=1", headers=auth)
            tried[path] = st
        db = sqlite3.connect(os.path.join(s.data, "infotv.sqlite"), timeout=10)
        state = db.execute("SELECT state FROM requests WHERE reference = ?", (ref,)).fetchone()
        db.close()
        print("readonly: phone whole in /api/v1/requests: %s; POSTs answered %s; the request is now %s" % (whole, tried, state))
    finally:
        s.stop()


def slow(addr, head, wait):
    """Sends `head` (announcing a body) then nothing; seconds until the server closes, or None."""
    sock = socket.create_connection(addr)
    sock.sendall(head.encode())
    sock.settimeout(wait)
    t = time.time()
    try:
        while True:
            data = sock.recv(4096)
            if not data:
                return time.time() - t
    except socket.timeout:
        return None
    except ConnectionResetError:
        return time.time() - t
    finally:
        sock.close()


def probe_slow(exe):
    """Bodies that never come, on both ports; then the operators' port flooded with connections."""
    s = Server(exe)
    try:
        box = slow(s.boxes, "POST /api/v1/answer HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 500\r\n\r\nprofile=sd", 30)
        adm = slow(s.admin, "POST /login HTTP/1.1\r\nHost: x\r\nOrigin: http://x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 500\r\n\r\nname=", 30)
        held = []
        try:
            for i in range(3000):
                c = socket.create_connection(s.admin, timeout=2)
                c.sendall(b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n")
                held.append(c)
        except OSError:
            pass
        time.sleep(0.5)
        closed = 0
        for c in held:
            c.settimeout(0.01)
            try:
                closed += c.recv(1) == b""
            except ConnectionResetError:
                closed += 1  # closed with the head unread: a reset
            except (socket.timeout, OSError):
                pass
        t = time.time()
        try:
            st, _, _ = request(s.boxes, "GET", "/healthz", timeout=5)
        except Exception as e:
            st = repr(e)
        took = (time.time() - t) * 1000
        for c in held:
            c.close()
        fmt = lambda v: "still open after 30 s" if v is None else "closed after %.1f s" % v
        print("slow: a body that never comes: box port %s, operators' port %s; of %d connections opened to the operators' port %d were closed at once, and the box port answers %s in %.0f ms"
              % (fmt(box), fmt(adm), len(held), closed, st, took))
    finally:
        s.stop()


def probe_origin(exe):
    """A signed-in operator's browser posting from another site, or with no Origin."""
    s = Server(exe)
    try:
        add_account(s, "ops", "operator")
        st, cookie = login(s, "ops", PASSWORD)
        phone = [a for a in graph_asks(s)["phone"] if a[1]["number"] == 1][0][0]
        _, _, body = request(s.boxes, "POST", "/api/v1/answer",
                             "profile=sd&screen=%s&category=1&phone=13881812345%s" % (phone, box_field(s.exe)))
        ref = json.loads(body).get("reference")
        bare, _, _ = request(s.admin, "POST", "/requests/%s/handled" % ref, "x=1", headers={"Cookie": cookie})
        evil, _, _ = request(s.admin, "POST", "/requests/%s/handled" % ref, "x=1",
                             headers={"Cookie": cookie, "Origin": "http://evil.example"})
        _, h, _ = request(s.admin, "GET", "/", headers={"Cookie": cookie})
        csp = h.get("Content-Security-Policy") or h.get("content-security-policy")
        print("origin: login %d; a POST without Origin answers %d, from another site %d; CSP: %s" % (st, bare, evil, csp))
    finally:
        s.stop()


PROBES = {
    "alert": probe_alert,
    "ts": probe_ts,
    "references": probe_references,
    "forged": probe_forged,
    "lockout": probe_lockout,
    "tokens": probe_tokens,
    "anchor": probe_anchor,
    "readonly": probe_readonly,
    "slow": probe_slow,
    "origin": probe_origin,
}

if __name__ == "__main__":
    exe = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target", "release", "infotv")
    names = sys.argv[2:] or list(PROBES)
    for name in names:
        try:
            PROBES[name](exe)
        except Exception as e:  # a probe that breaks says so and the rest run
            print("%s: the probe failed: %r" % (name, e))
        sys.stdout.flush()
