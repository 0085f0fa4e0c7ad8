#!/usr/bin/env bash
# Serving speed, infotv against nginx on the same bytes, in the same run:
# infotv serves the shipped channel; nginx 1.22 (Debian, one worker, the
# shipped edge config) serves `infotv render --out` of the same channel from
# disk. wrk (Debian) asks each for a shell and for a median-size picture at
# 100 and 1,000 keep-alive connections, RUNS times each (infotv and nginx
# alternating, the machine is shared and noisy), and the script prints the
# medians of req/s and p99 and the infotv/nginx ratios of those medians, the
# server's CPU time per request (user + system, from /proc: far steadier
# than req/s on a shared machine, as it does not depend on who else got the
# cores), then infotv's resident memory.
#
# Usage: bench/load.sh [SECONDS per run, default 10]
#   CHANNELS=dir (default the shipped channels/; bench/county.py makes the
#   county-scale one); DATA=dir (infotv's data folder, default a fresh one:
#   a folder kept from an earlier run of the same build starts serving at
#   once instead of after a cold render, minutes for the county channel);
#   RUNS=N (default 3); INFOTV_BIN=path (another build, for a same-run
#   baseline); INFOTV_ARGS (serve options, default "--workers 1": one thread
#   answering, like the one nginx worker it is measured against, with wrk
#   on the same two cores; "--workers 0" is one per core, as served).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
runs=${RUNS:-3}

source bench/need.sh
missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
[ -x /usr/sbin/nginx ] || missing+=(nginx)
need_packages "${missing[@]}"
ulimit -n 65536 2>/dev/null || ulimit -n 4096

# INFOTV_BIN: another build to measure (an older commit, for a same-run baseline).
bin=${INFOTV_BIN:-target/release/infotv}
[ -n "${INFOTV_BIN:-}" ] || cargo build --release --quiet
tmp=$(mktemp -d)
chmod 755 "$tmp"
cleanup() {
  [ -n "${infotv_pid:-}" ] && kill "$infotv_pid" 2>/dev/null || true
  [ -f "$tmp/nginx.pid" ] && kill -TERM "$(cat "$tmp/nginx.pid")" 2>/dev/null || true
  sleep 0.5; rm -rf "$tmp"
}
trap cleanup EXIT

channels=${CHANNELS:-channels}
"$bin" render --channels "$channels" --out "$tmp/current" >/dev/null
chmod -R a+rX "$tmp/current"
# Each server in a session of its own, as where they run for real: nginx
# daemonizes into one, and systemd starts infotv.service in one. With the
# kernel's autogroup scheduling (on by default) a session is one group, and
# groups share the cores fairly; started from this script, infotv would be
# one of three equal tasks in wrk's group instead, preempted by wrk's
# threads three times as often (measured: 60,000 against 20,000 involuntary
# switches in 5 s, with the cores idle 16 % against 11 % of the time).
RUST_LOG=warn setsid "$bin" serve --channels "$channels" --listen 127.0.0.1:18480 --admin-listen 127.0.0.1:18481 \
  --data "${DATA:-$tmp/data}" --admin-token bench --loop off ${INFOTV_ARGS---workers 1} >/dev/null &
infotv_pid=$!

sed -e "s|listen 80;|listen 127.0.0.1:18490;|" -e "s|/srv/infotv/current|$tmp/current|" deploy/nginx/infotv-edge.conf > "$tmp/site.conf"
cat > "$tmp/nginx.conf" <<CONF
daemon on; worker_processes 1; pid $tmp/nginx.pid; error_log $tmp/error.log warn;
events { worker_connections 4096; }
http { access_log off; sendfile on; tcp_nopush on; keepalive_requests 1000000;
  client_body_temp_path $tmp/body; proxy_temp_path $tmp/proxy; fastcgi_temp_path $tmp/fcgi;
  uwsgi_temp_path $tmp/uwsgi; scgi_temp_path $tmp/scgi;
  include /etc/nginx/mime.types; include $tmp/site.conf; }
CONF
/usr/sbin/nginx -p "$tmp" -c "$tmp/nginx.conf"

# Up to 15 minutes: a cold start of the county channel renders 42,000 screens first.
for _ in $(seq 4500); do curl -sf -o /dev/null http://127.0.0.1:18480/healthz && break; sleep 0.2; done
# And until that generation is saved: pictures go out with sendfile only from
# the saved store, and the save's own CPU time would count against infotv.
# On the county channel the save takes tens of seconds after the render.
data=${DATA:-$tmp/data}
for _ in $(seq 4500); do [ -f "$data/onair.bin" ] && break; sleep 0.2; done
size=-1
while [ "$size" != "$(stat -c %s "$data/onair.bin")" ]; do size=$(stat -c %s "$data/onair.bin"); sleep 2; done
# And until the server is idle (under 2 % of a core for 3 s running, up to
# 10 minutes): with a kept DATA folder it serves at once while the first
# render after the start re-reads the channel in the background, and that
# render's CPU time would count against every request.
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; } # user + system, in clock ticks
quiet=0
for _ in $(seq 300); do
  before=$(ticks "$infotv_pid"); sleep 2; after=$(ticks "$infotv_pid")
  if [ $((after - before)) -le 4 ]; then quiet=$((quiet + 1)); [ "$quiet" -ge 3 ] && break; else quiet=0; fi
done

# The same screen and picture from both: the home shell and the median-size
# base picture of the sd profile.
read -r shell asset kb < <(python3 - "$tmp/current" <<'PY'
import json, os, statistics, sys
root = sys.argv[1]
g = json.load(open(f"{root}/api/v1/sd/graph.json"))
imgs = sorted({s["states"][0]["image"] for s in g["screens"].values()}, key=lambda i: os.path.getsize(root + i))
mid = imgs[len(imgs) // 2]
print("/tv/sd/home.html", mid, os.path.getsize(root + mid) // 1024)
PY
)
echo "shell $shell, picture $asset ($kb KB); wrk -t2 ${secs}s per run, keep-alive"

hz=$(getconf CLK_TCK)
# Handshakes the kernel dropped because a port's accept queue was full
# (TcpExt ListenOverflows, machine-wide): each such box waits a second for
# its SYN to be sent again, and a run that has them measures that instead.
overflows() { awk '/^TcpExt:/ { if (!n) { for (i = 1; i <= NF; i++) if ($i == "ListenOverflows") n = i } else print $n }' /proc/net/netstat; }
run() { # url conns pid -> "req/s p99ms cpu-us-per-request dropped-handshakes"
  local before after dropped
  before=$(ticks "$3"); dropped=$(overflows)
  out=$(wrk -t2 -c"$2" -d"${secs}s" --latency "$1" 2>/dev/null)
  after=$(ticks "$3"); dropped=$(($(overflows) - dropped))
  python3 -c '
import re, sys
t, cpu, hz = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
m = re.search(r"99%\s+([\d.]+)(us|ms|s)", t)
p99 = float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
n = int(re.search(r"(\d+) requests in", t).group(1))
print(f"{rps:.0f} {p99:.2f} {cpu / hz * 1e6 / max(n, 1):.2f} {sys.argv[4]}")' "$out" "$((after - before))" "$hz" "$dropped"
}

nginx_worker=$(pgrep -P "$(cat "$tmp/nginx.pid")" | head -1)
echo "medians of $runs runs each; cpu = the server's CPU time per request, in microseconds;"
echo "drops = handshakes dropped by a full accept queue, all runs (should be 0); under each row, every run as req/s / p99"
printf '%-8s %6s %12s %10s %12s %10s %9s %9s %8s %8s %9s %9s %9s\n' what conns infotv_rps p99_ms nginx_rps p99_ms \
  rps_ratio p99_ratio cpu_inf cpu_ngx cpu_ratio drops_inf drops_ngx
for conns in 100 1000; do
  for what in shell asset; do
    path=$([ "$what" = shell ] && echo "$shell" || echo "$asset")
    results=()
    for _ in $(seq "$runs"); do
      results+=("$(run "http://127.0.0.1:18480$path" "$conns" "$infotv_pid")"
        "$(run "http://127.0.0.1:18490$path" "$conns" "$nginx_worker")")
    done
    python3 - "$what" "$conns" "${results[@]}" <<'PY'
import statistics as st, sys
what, conns, rest = sys.argv[1], int(sys.argv[2]), [tuple(map(float, r.split())) for r in sys.argv[3:]]
inf, ngx = rest[0::2], rest[1::2]
i, ip = st.median(r[0] for r in inf), st.median(r[1] for r in inf)
n, np_ = st.median(r[0] for r in ngx), st.median(r[1] for r in ngx)
ic, nc = st.median(r[2] for r in inf), st.median(r[2] for r in ngx)
di, dn = sum(r[3] for r in inf), sum(r[3] for r in ngx)
print('%-8s %6d %12d %10.2f %12d %10.2f %9.2f %9.2f %8.2f %8.2f %9.2f %9d %9d'
      % (what, conns, i, ip, n, np_, i / n, ip / np_, ic, nc, ic / nc, di, dn))
# Each run too: a median hides a run that fell into another mode.
print('%-15s infotv %s' % ('', ' '.join('%dk/%gms' % (r[0] / 1000, r[1]) for r in inf)))
print('%-15s nginx  %s' % ('', ' '.join('%dk/%gms' % (r[0] / 1000, r[1]) for r in ngx)))
PY
  done
done
echo "infotv resident memory after the load: $(grep VmRSS /proc/$infotv_pid/status | awk '{print $2/1024 " MB"}')"
