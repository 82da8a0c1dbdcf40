#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# record_kill.sh - crashes: SIGKILL of the recorder leaves a trace that
# `report` reads up to the last flushed block (flushed at least every 1 s),
# and the traced program goes on; SIGTERM/SIGINT close the file completely.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
FAKE=$BUILD/tests/progs/fake_gilrt

need_root record_kill || t_exit

# wait_size FILE BYTES : until FILE is larger than BYTES (at most 5 s)
wait_size() {
	for _ in $(seq 500); do
		[ "$(stat -c %s "$1" 2>/dev/null || echo 0)" -gt "$2" ] && return 0
		sleep 0.01
	done
	return 1
}
# child_of PID : the one child process of PID
child_of() { cat /proc/"$1"/task/*/children 2>/dev/null | tr ' ' '\n' | grep -m1 .; }

"$GILSCOPE" record -o "$TMPD/k.gst" -- "$FAKE" 2 4 >/dev/null 2>&1 &
rec=$!
for _ in $(seq 500); do target=$(child_of $rec); [ -n "$target" ] && break; sleep 0.01; done
hdr=$(stat -c %s "$TMPD/k.gst" 2>/dev/null || echo 0)
if wait_size "$TMPD/k.gst" $((hdr + 1000)); then	# first flushed block is out
	kill -KILL $rec
	wait $rec 2>/dev/null
	if kill -0 "$target" 2>/dev/null; then ok kill_target_survives
	else not_ok kill_target_survives "traced program $target is gone"; fi
	kill "$target" 2>/dev/null
	if "$GILSCOPE" report --json "$TMPD/k.gst" >"$TMPD/k.json" 2>"$TMPD/k.err"; then
		ev=$(json_get "$TMPD/k.json" 'j["trace"]["events"]')
		acq=$(json_get "$TMPD/k.json" 'j["lock"]["acquisitions"]')
		[ "$ev" -gt 1000 ] && [ "$acq" -gt 0 ] && ok kill_trace_readable ||
			not_ok kill_trace_readable "events=$ev acquisitions=$acq"
	else
		not_ok kill_trace_readable "report failed: $(head -c 300 "$TMPD/k.err")"
	fi
else
	kill -KILL $rec; wait $rec 2>/dev/null
	not_ok kill_trace_readable "nothing flushed within 5 s"
fi

for sig in TERM INT; do
	"$GILSCOPE" record -o "$TMPD/$sig.gst" -- "$FAKE" 2 4 >/dev/null 2>"$TMPD/$sig.err" &
	rec=$!
	for _ in $(seq 500); do target=$(child_of $rec); [ -n "$target" ] && break; sleep 0.01; done
	wait_size "$TMPD/$sig.gst" 200
	kill -$sig $rec
	wait $rec
	rc=$?
	kill "$target" 2>/dev/null
	# a closed file has its footer: report does not need to recover it
	if [ $rc = 0 ] && "$GILSCOPE" report "$TMPD/$sig.gst" >"$TMPD/$sig.rep" 2>&1 &&
	   grep -q '^duration' "$TMPD/$sig.rep" && ! grep -qi recovered "$TMPD/$sig.rep"; then
		ok "sig${sig}_closes_file"
	else
		not_ok "sig${sig}_closes_file" "rc=$rc $(head -c 300 "$TMPD/$sig.err" "$TMPD/$sig.rep")"
	fi
done
t_exit
