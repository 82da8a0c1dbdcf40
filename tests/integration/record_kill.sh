#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# record_kill.sh - crashes: SIGKILL of the recorder leaves a trace that
# `report` reads up to the last flushed block (flushed at least every 1 s),
# and the traced program goes on; SIGTERM/SIGINT close the file completely.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
FAKE=$BUILD/tests/progs/fake_gilrt

need_root record_kill || t_exit

# The program would run 60 s, far longer than any wait below; the test stops
# it. The waits are bounds for a hang (60 s), not speed checks.
# wait_size FILE BYTES : until FILE is larger than BYTES
bigger() { [ "$(stat -c %s "$1" 2>/dev/null || echo 0)" -gt "$2" ]; }
wait_size() { wait_until 60 bigger "$@"; }
# child_of PID : the traced program, PID's child (not a helper of gilscope's)
child_of() { child_named "$1" fake_gilrt; }
# wait_child PID : its child's pid in $target
has_child() { target=$(child_of "$1"); [ -n "$target" ]; }
wait_child() { wait_until 60 has_child "$1"; }

"$GILSCOPE" record -o "$TMPD/k.gst" -- "$FAKE" 2 60 >/dev/null 2>&1 &
rec=$!
wait_child $rec
hdr=$(stat -c %s "$TMPD/k.gst" 2>/dev/null || echo 0)
# blocks are flushed at least every second: wait for 16 KiB of them (a few
# thousand events, however slowly this machine makes them)
if wait_size "$TMPD/k.gst" $((hdr + 16384)); then
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
	kill "$target" 2>/dev/null
	not_ok kill_trace_readable "nothing flushed within 60 s"
fi

for sig in TERM INT; do
	"$GILSCOPE" record -o "$TMPD/$sig.gst" -- "$FAKE" 2 60 >/dev/null 2>"$TMPD/$sig.err" &
	rec=$!
	wait_child $rec
	wait_size "$TMPD/$sig.gst" 200	# recording: the header is out
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
