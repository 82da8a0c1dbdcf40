#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# bench/tui.sh - the TUI's numbers for `make bench`, as one JSON object:
#   frame render time at 200x60 and 80x24 (target < 1 ms), still and playing
#     (gilscope replay --bench-render, synthetic events, no terminal needed);
#   live event-to-screen latency and frame rate (target < 100 ms, 20+ fps):
#     `gilscope live -- gilrt run cpu --threads 4` in tmux at 200x60, as root.
# Usage: bench/tui.sh [OUT.json]   (BUILD=build/san etc. as in tests/lib.sh)
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
GS=$BUILD/gilscope RT=$BUILD/gilrt
out=${1:-/dev/stdout}
tmp=$(mktemp -d /tmp/gilscope-bench-tui.XXXXXX)
trap 'rm -rf "$tmp"; tmux -L gilscope-bench kill-server 2>/dev/null' EXIT

"$GS" replay --bench-render > "$tmp/render.json" || exit 1
echo '{}' > "$tmp/live.json"
if [ "$(id -u)" = 0 ] && command -v tmux >/dev/null && [ -x "$RT" ]; then
	T="tmux -L gilscope-bench"
	$T new-session -d -s b -x 200 -y 60 \
		"GILSCOPE_LATENCY_FILE=$tmp/lat.json $GS live -- $RT run cpu --threads 4 --seconds 3; echo DONE; sleep 30"
	for _ in $(seq 200); do $T capture-pane -p -t b | grep -q ENDED && break; sleep 0.05; done
	$T send-keys -t b q
	for _ in $(seq 100); do [ -s "$tmp/lat.json" ] && break; sleep 0.05; done
	[ -s "$tmp/lat.json" ] && cp "$tmp/lat.json" "$tmp/live.json"
fi
python3 - "$tmp/render.json" "$tmp/live.json" > "$out" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
l = json.load(open(sys.argv[2]))
j = dict(r)
j.update({"live_" + k: v for k, v in l.items()})
j["render_200x60_ok"] = r["render_200x60_ms"] < 1.0 and r["render_200x60_playing_ms"] < 1.0
if l:
    j["live_latency_ok"] = l["latency_max_ms"] < 100 and l["fps"] >= 20
print(json.dumps(j))
PY
