#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# lock_shlib.sh - `--lock ...:arg0=SYMBOL` where the lock variable lives in a
# shared library (tests/progs/shlib_lock and its libgslock.so): the address
# exists only once ld.so has mapped the library, after exec, so the lock is
# placed after the start. gilscope says when ("lock shlib_lock placed at
# 0x..."): on stderr under `record`, on the key line under `live`. The
# program takes no lock before the test has seen that line (it waits on a
# fifo); then the recording must hold exactly one lock, the library's, with
# as many acquisitions as the program counted (its main_lock left out):
#  - under `record -o FILE`;
#  - under `live -o FILE` in a real terminal (tmux, own server).
# Waits poll with a timeout; when the line never comes the program is
# released anyway, so a gilscope that never places the lock records every
# lock and fails the count instead of hanging.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
need_root lock_shlib || t_exit
P=$BUILD/tests/progs/shlib_lock
[ -x "$P" ] || { not_ok lock_shlib "no $P (make)"; t_exit; }
P=$(realpath "$P")
SPEC="$P:pthread_mutex_lock:pthread_mutex_unlock:arg0=shlib_lock"
PLACED='lock shlib_lock placed at 0x[0-9a-f]+'
GS=$(realpath "$GILSCOPE")

# check_trace NAME GST COUNTS : one lock in GST, at shlib_lock's address, with
# as many holds and acquisitions as the program counted in COUNTS
check_trace() {
	local name=$1 gst=$2 counts=$3 want addr got acq
	want=$(awk '/^shlib_lock/ {print $4}' "$counts" 2>/dev/null)
	addr=$(awk '/^shlib_lock/ {print $2}' "$counts" 2>/dev/null)
	[ -n "$want" ] || { not_ok "$name" "the program did not finish: $(cat "$counts" 2>&1)"; return; }
	"$GS" export "$gst" --format chrome -o "$gst.json" 2>/dev/null || { not_ok "$name" "export failed"; return; }
	# "N_LOCKS HOLDS_ON_ADDR": the locks with a hold, and the holds on shlib_lock
	got=$(python3 - "$gst.json" "$addr" <<'PY'
import json, sys
j = json.load(open(sys.argv[1])); a = int(sys.argv[2], 16)
holds = [int(e["args"]["lock"], 16) for e in j["traceEvents"] if e["name"] == "hold" and e["ph"] in "Xb"]
print(len(set(holds)), sum(1 for h in holds if h == a))
PY
)
	acq=$("$GS" report --json "$gst" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["lock"]["acquisitions"])')
	if [ "$got" = "1 $want" ] && [ "$acq" = "$want" ]; then
		ok "$name"
	else
		not_ok "$name" "locks, holds on shlib_lock $addr: '$got'; acquisitions $acq; the program counted $want"
	fi
}

# the go fifo, held open read-write by us: the program's open never blocks,
# its read waits for our line, and the line is not lost if it opens late
go_fifo() {
	rm -f "$TMPD/go" && mkfifo "$TMPD/go" && exec 3<>"$TMPD/go"
}

# record: the placed line on stderr, before any lock is taken
go_fifo
"$GS" record --lock "$SPEC" -o "$TMPD/rec.gst" -- "$P" --go "$TMPD/go" --out "$TMPD/rec.counts" 4 5000 100 \
	>/dev/null 2>"$TMPD/rec.err" &
rec=$!
placed=no
for _ in $(seq 1000); do
	grep -Eq "^gilscope record: $PLACED$" "$TMPD/rec.err" && { placed=yes; break; }
	kill -0 $rec 2>/dev/null || break
	sleep 0.01
done
echo go >&3
wait $rec
rc=$?
exec 3>&-
[ $placed = yes ] && ok lock_shlib_record_placed ||
	not_ok lock_shlib_record_placed "no 'lock shlib_lock placed' line: $(head -c 300 "$TMPD/rec.err")"
if [ $rc = 0 ]; then
	check_trace lock_shlib_record "$TMPD/rec.gst" "$TMPD/rec.counts"
else
	not_ok lock_shlib_record "record failed ($rc): $(tail -n 1 "$TMPD/rec.err")"
fi

# live -o FILE: the placed line on the key line, then the same recording
if need_cmd lock_shlib_live tmux; then
	T="tmux -L gilscope-test-shlib"
	$T kill-server 2>/dev/null
	go_fifo
	$T new-session -d -s t -x 120 -y 40 -c "$TMPD" \
		"'$GS' live -o '$TMPD/live.gst' --lock '$SPEC' -- '$P' --go '$TMPD/go' --out '$TMPD/live.counts' 4 5000 100; echo EXIT=\$? > '$TMPD/live.exit'; sleep 60"
	if wait_for "$PLACED" 10; then ok lock_shlib_live_placed
	else not_ok lock_shlib_live_placed "no 'lock shlib_lock placed' on screen: $(screen | tail -n 2 | paste -sd '|')"; fi
	echo go >&3
	wait_for 'ENDED' 30	# else q quits while it runs: the counts will be missing
	$T send-keys -t t q
	for _ in $(seq 200); do [ -s "$TMPD/live.exit" ] && break; sleep 0.05; done
	exec 3>&-
	$T kill-server 2>/dev/null
	if grep -q '^EXIT=0$' "$TMPD/live.exit" 2>/dev/null; then
		check_trace lock_shlib_live "$TMPD/live.gst" "$TMPD/live.counts"
	else
		not_ok lock_shlib_live "live: $(cat "$TMPD/live.exit" 2>/dev/null || echo 'did not exit')"
	fi
fi
t_exit
