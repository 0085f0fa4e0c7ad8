#!/usr/bin/env bash
# 查询 under load beside the box screens: wrk asks infotv for the home shell
# (100 keep-alive connections) alone, then while a second wrk keeps 100
# connections asking for results screens of ever-new queries (each an
# uncached find, layout and drawing: bench/search_wrk.lua), RUNS times each,
# alternating. Prints the medians of the box screens' p99 alone and beside
# the searches, their ratio, and the searches' own rate and p99.
#
# Usage: bench/search_load.sh [SECONDS per run, default 10]
#   CHANNELS=dir (default the shipped channels/; bench/county.py makes the
#   county-scale one); RUNS=N (default 3); INFOTV_BIN=path;
#   INFOTV_ARGS (default "--workers 0": a box worker per core, as served).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
runs=${RUNS:-3}
source bench/need.sh
command -v wrk >/dev/null 2>&1 || need_packages wrk
ulimit -n 65536 2>/dev/null || ulimit -n 4096
bin=${INFOTV_BIN:-target/release/infotv}
[ -n "${INFOTV_BIN:-}" ] || cargo build --release --quiet
tmp=$(mktemp -d)
cleanup() { [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null || true; sleep 0.5; rm -rf "$tmp"; }
trap cleanup EXIT
channels=${CHANNELS:-channels}
RUST_LOG=warn setsid "$bin" serve --channels "$channels" --listen 127.0.0.1:18580 --admin-listen 127.0.0.1:18581 \
  --data "$tmp/data" --admin-token bench --loop off ${INFOTV_ARGS---workers 0} >/dev/null &
pid=$!
for _ in $(seq 4500); do curl -sf -o /dev/null http://127.0.0.1:18580/healthz && break; sleep 0.2; done
# The first render's index is what search answers from.
for _ in $(seq 4500); do curl -sf -o /dev/null "http://127.0.0.1:18580/api/v1/sd/search?q=2" && break; sleep 0.2; done
sleep 3

p99() { python3 -c '
import re, sys
t = sys.stdin.read()
m = re.search(r"99%\s+([\d.]+)(us|ms|s)", t)
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
print(float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)], rps)'; }
box=http://127.0.0.1:18580/tv/sd/home.html
alone=(); beside=(); search=()
for r in $(seq "$runs"); do
  read -r a _ < <(wrk -t1 -c100 -d"${secs}s" --latency "$box" 2>/dev/null | p99)
  alone+=("$a")
  wrk -t1 -c100 -d"$((secs + 2))s" --latency -s bench/search_wrk.lua http://127.0.0.1:18580 -- "$r" \
    > "$tmp/search.txt" 2>/dev/null &
  spid=$!
  sleep 1
  read -r b _ < <(wrk -t1 -c100 -d"${secs}s" --latency "$box" 2>/dev/null | p99)
  wait "$spid"
  beside+=("$b")
  search+=("$(p99 < "$tmp/search.txt")")
  echo "run $r: box p99 alone ${a} ms, beside 100 searching connections ${b} ms; searches (p99 ms, req/s): ${search[-1]}"
done
python3 - "${alone[*]}" "${beside[*]}" "${search[*]}" <<'PY'
import statistics, sys
alone = [float(x) for x in sys.argv[1].split()]
beside = [float(x) for x in sys.argv[2].split()]
s = [float(x) for x in sys.argv[3].split()]
sp99, srps = s[0::2], s[1::2]
a, b = statistics.median(alone), statistics.median(beside)
print(f"box screens p99: alone {a:.2f} ms, beside searches {b:.2f} ms, ratio {b / a:.2f}")
print(f"searches: median {statistics.median(srps):.0f} req/s, p99 {statistics.median(sp99):.1f} ms")
PY
