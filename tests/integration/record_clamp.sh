#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# record_clamp.sh - a traced program does not control the time axis: gilrt's
# lock probes pass their own "now", and hostile_probes passes 2^64 - 6, 1000
# and 2^64 - 1. The recorder clamps every such time into the recording,
# counts it (one closing line) and stores the count in the trace, where
# report shows it; the trace is as long as the recording, not 584 years.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
HP=$BUILD/tests/progs/hostile_probes

need_root record_clamp || t_exit
rounds=50
if "$GILSCOPE" record -o "$TMPD/c.gst" -- "$HP" times $rounds >"$TMPD/c.out" 2>"$TMPD/c.err" &&
   "$GILSCOPE" report --json "$TMPD/c.gst" >"$TMPD/c.json" 2>&1; then
	secs=$(sed -n 's/.* lost, \([0-9.]*\) s, .*/\1/p' "$TMPD/c.err")
	dur=$(json_get "$TMPD/c.json" 'j["trace"]["duration_ns"]')
	clamped=$(json_get "$TMPD/c.json" 'j["trace"]["clamped"]')
	# the trace fits in the recording (its length as record printed it,
	# rounded to 10 ms)
	if [ -n "$secs" ] && python3 -c "import sys; sys.exit(not ($dur <= ($secs + 0.01) * 1e9))"; then
		ok clamp_trace_fits_recording
	else
		not_ok clamp_trace_fits_recording "duration_ns=$dur, recorded $secs s"
	fi
	[ "$clamped" = $((3 * rounds)) ] && ok clamp_counted_in_trace ||
		not_ok clamp_counted_in_trace "clamped=$clamped, want $((3 * rounds))"
	grep -q "^gilscope record: $((3 * rounds)) events carried a time from the traced program outside the recording (clamped into it)$" "$TMPD/c.err" &&
		ok clamp_said_once || not_ok clamp_said_once "$(cat "$TMPD/c.err")"
	"$GILSCOPE" report "$TMPD/c.gst" >"$TMPD/c.txt" 2>&1
	grep -q "^warning .*$((3 * rounds)) events carried a time from the traced program" "$TMPD/c.txt" &&
		ok clamp_in_report || not_ok clamp_in_report "$(head -8 "$TMPD/c.txt")"
else
	not_ok clamp_trace_fits_recording "$(head -c 300 "$TMPD/c.err" "$TMPD/c.json")"
fi
# an honest program is never clamped: gilrt's times are true
FAKE=$BUILD/tests/progs/fake_gilrt
if "$GILSCOPE" record -o "$TMPD/f.gst" -- "$FAKE" 2 0.3 >/dev/null 2>"$TMPD/f.err" &&
   "$GILSCOPE" report --json "$TMPD/f.gst" >"$TMPD/f.json" 2>&1 &&
   [ "$(json_get "$TMPD/f.json" 'j["trace"]["clamped"]')" = 0 ] && ! grep -q clamped "$TMPD/f.err"; then
	ok clamp_none_for_true_times
else
	not_ok clamp_none_for_true_times "$(head -c 300 "$TMPD/f.err")"
fi
if [ -x "$GILRT" ] && "$GILSCOPE" record -o "$TMPD/g.gst" -- "$GILRT" run cpu --threads 2 --seconds 0.3 \
	>/dev/null 2>"$TMPD/g.err"; then
	"$GILSCOPE" report --json "$TMPD/g.gst" >"$TMPD/g.json" 2>&1
	[ "$(json_get "$TMPD/g.json" 'j["trace"]["clamped"]')" = 0 ] && ok clamp_none_for_gilrt ||
		not_ok clamp_none_for_gilrt "$(head -c 300 "$TMPD/g.err")"
fi
t_exit
