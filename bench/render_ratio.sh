#!/usr/bin/env bash
# Per-screen render speed, infotv against headless Chromium, in the same run:
# Chromium (Debian's, driven by playwright-core, bench/chromium.mjs) draws
# 720x576 article pages of the channel's own text in the same fonts and
# encodes them to PNG, one after another in a warm browser; infotv draws the
# whole shipped channel, both profiles, every screen (criterion's
# `channel/…` benches: a fresh renderer, and one with its glyphs cached).
# RUNS (3) alternating rounds; prints the medians and the ratios Chromium ms
# a page / infotv ms a screen.
#
# Usage: bench/render_ratio.sh [PAGES per Chromium round, default 30]
set -euo pipefail
cd "$(dirname "$0")/.."
pages=${1:-30}
runs=${RUNS:-3}

source bench/need.sh
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v node >/dev/null 2>&1 || missing+=(nodejs npm)
need_packages "${missing[@]}"
[ -d tests/browser/node_modules/playwright-core ] ||
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
cargo bench --bench render --no-run --quiet 2>/dev/null

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for round in $(seq "$runs"); do
  node bench/chromium.mjs "$pages" > "$out/chromium-$round.json"
  # Criterion prints each bench's time and throughput (screens a second).
  cargo bench --quiet --bench render -- '^channel/' --noplot --warm-up-time 2 --measurement-time 8 \
    --sample-size 10 > "$out/infotv-$round.txt" 2>/dev/null
  echo "round $round of $runs done" >&2
done

python3 - "$out" "$runs" <<'PY'
import json, re, statistics as st, sys
out, runs = sys.argv[1], int(sys.argv[2])
warm, cold, ours = [], [], {"cold-glyphs": [], "warm-glyphs": []}
for r in range(1, runs + 1):
    c = json.load(open(f"{out}/chromium-{r}.json"))
    warm.append(st.median(c["warm_ms"]))
    cold.append(c["cold_ms"])
    text = open(f"{out}/infotv-{r}.txt").read()
    for kind in ours:
        # "channel/<kind>/both-profiles  time: [..]  thrpt: [lo elem/s mid elem/s hi elem/s]"
        m = re.search(rf"channel/{kind}/both-profiles\s+time:[^\n]*\n\s+thrpt:\s+\[\s*\S+\s+K?elem/s\s+(\S+)\s+(K?)elem/s",
                      text)
        if not m:
            sys.exit(f"no channel/{kind} figure in criterion's output:\n{text}")
        per_second = float(m.group(1)) * (1000 if m.group(2) == "K" else 1)
        ours[kind].append(1000 / per_second)
cw, cc = st.median(warm), st.median(cold)
print(f"medians of {runs} alternating rounds")
print(f"chromium, warm browser: {cw:.1f} ms a page (rounds: {', '.join(f'{x:.1f}' for x in warm)}); "
      f"cold (launch to first PNG): {cc:.0f} ms")
for kind, xs in ours.items():
    m = st.median(xs)
    print(f"infotv, {kind}: {m:.2f} ms a screen (rounds: {', '.join(f'{x:.2f}' for x in xs)}) "
          f"-> {cw / m:.1f}x faster than the warm browser")
PY
