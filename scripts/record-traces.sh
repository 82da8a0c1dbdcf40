#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# scripts/record-traces.sh (make traces) - re-record the trace every lesson
# replays: for each lessons/*.lesson, `gilscope record` its `run` line into
# traces/<its trace>. Needs root (BPF). Each trace must stay under 1 MiB and
# meet its lesson's claims (checked with `gilscope report --json`); a run
# that misses a claim (a busy machine) is recorded again, up to 3 times,
# and the old trace is kept if every try fails.
#   scripts/record-traces.sh [NAME...]   only these lessons (file name contains NAME)
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
GILSCOPE=$BUILD/gilscope
GILRT=$BUILD/gilrt
MAX_BYTES=1048576
if [ "$(id -u)" != 0 ]; then
	echo "make traces: needs root to trace with BPF (try: sudo make traces)" >&2
	exit 1
fi
for b in "$GILSCOPE" "$GILRT"; do
	[ -x "$b" ] || { echo "make traces: $b missing (run make first)" >&2; exit 1; }
done
tmp=$(mktemp -d /tmp/gilscope-traces.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
failed=0
for f in lessons/*.lesson; do
	if [ $# -gt 0 ]; then
		want=0
		for n in "$@"; do case $f in *"$n"*) want=1 ;; esac; done
		[ $want = 1 ] || continue
	fi
	args=$(sed -n 's/^run[[:space:]]\{1,\}//p' "$f")
	trace=$(sed -n 's/^trace[[:space:]]\{1,\}//p' "$f")
	if [ -z "$args" ] || [ -z "$trace" ]; then
		echo "make traces: $f: no run or trace line" >&2
		failed=1
		continue
	fi
	done_one=0
	for try in 1 2 3; do
		out=$tmp/$trace
		rm -f "$out"
		# $args is word-split on purpose: lessons hold plain words, no quoting
		# shellcheck disable=SC2086
		if ! "$GILSCOPE" record -o "$out" -- "$GILRT" run $args >"$tmp/run.log" 2>&1; then
			echo "make traces: $f: record failed:" >&2
			tail -n 5 "$tmp/run.log" >&2
			break
		fi
		size=$(stat -c %s "$out")
		if [ "$size" -ge $MAX_BYTES ]; then
			echo "make traces: $f: $trace is $size bytes (limit $MAX_BYTES): shorten --seconds" >&2
			break
		fi
		if ! "$GILSCOPE" report "$out" --json >"$tmp/report.json" 2>"$tmp/report.err"; then
			echo "make traces: $f: report failed: $(head -n 1 "$tmp/report.err")" >&2
			break
		fi
		if scripts/lesson_claims.py "$f" "$tmp/report.json" >"$tmp/claims" 2>&1; then
			mv "$out" "traces/$trace"
			printf '  %-14s %8s bytes  %s\n' "$trace" "$size" \
				"$(grep -o 'measured [^)]*' "$tmp/claims" | tr '\n' ' ')"
			done_one=1
			break
		fi
		echo "  $trace: try $try missed a claim: $(grep '^not ok' "$tmp/claims" | head -n 1)" >&2
	done
	[ $done_one = 1 ] || failed=1
done
exit $failed
