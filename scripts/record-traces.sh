#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# scripts/record-traces.sh (make traces) - re-record the trace every lesson
# replays: for each lessons/*.lesson, `gilscope record` its `run` line into
# traces/<its trace>, and for a lesson with a CPython form `gilscope record
# --python` its script (lessons/py/SCRIPT) into traces/<its python_trace>.
# Needs root (BPF). Each trace must stay under 1 MiB and meet its lesson's
# claims (checked with `gilscope report --json`); a run that misses a claim
# (a busy machine) is recorded again, up to 3 times, and the old trace is
# kept if every try fails. What the program printed (its own summary) is
# kept as traces/<trace>.txt for the closing table.
# The CPython forms run under $PYTHON3 (default python3.11-dbg: make deps)
# and $PYTHON2 (default: python2.7-dbg, else the newest pyenv 2.7 build);
# without a Python 2.7 the Python 2 forms are skipped, and said so.
#   scripts/record-traces.sh [NAME...]   only these lessons (file name contains NAME)
#   FORMS=python scripts/record-traces.sh   only the CPython forms (FORMS=gilrt: only gilrt's)
set -u
cd "$(dirname "$0")/.." || exit 1
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
# Percent of CPU time idle over half a second, all cores together.
idle_pct() {
	read -r _ u n s i w q sq st _ </proc/stat
	t1=$((u + n + s + i + w + q + sq + st)) i1=$((i + w))
	sleep 0.5
	read -r _ u n s i w q sq st _ </proc/stat
	t2=$((u + n + s + i + w + q + sq + st)) i2=$((i + w))
	echo $((100 * (i2 - i1) / (t2 - t1 + 1)))
}
# Parallelism claims need idle cores: wait (up to QUIET_WAIT seconds) until
# the machine is at least QUIET_PCT % idle before each recording.
QUIET_PCT=${QUIET_PCT:-85}
QUIET_WAIT=${QUIET_WAIT:-20}
# nice value of the recording's own autogroup (see below)
PRIO=${PRIO:--15}
wait_quiet() {
	waited=0
	while [ "$(idle_pct)" -lt "$QUIET_PCT" ]; do
		waited=$((waited + 1))
		if [ $waited -ge $((QUIET_WAIT * 2)) ]; then
			echo "  (machine still busy after ${QUIET_WAIT}s: recording anyway)" >&2
			return
		fi
	done
}
# python2: the Python 2.7 that records the py2 forms, or "" (said once)
python2() {
	if [ -n "${PYTHON2:-}" ]; then echo "$PYTHON2"; return; fi
	command -v python2.7-dbg && return
	for root in ${PYENV_ROOT:-} "$HOME/.pyenv"; do
		# shellcheck disable=SC2012
		v=$(ls -d "$root"/versions/2.7.* 2>/dev/null | sort -V | tail -n 1)
		[ -n "$v" ] && [ -x "$v/bin/python2.7" ] && { echo "$v/bin/python2.7"; return; }
	done
}
PY3=${PYTHON3:-python3.11-dbg}
FORMS=${FORMS:-gilrt python}
PY2=$(python2)
tmp=$(mktemp -d /tmp/gilscope-traces.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
failed=0
# record LESSON_FILE TRACE FORM CMD... : record CMD into traces/TRACE, its
# claims (FORM: "" for gilrt's, --python for the CPython form's) met
record() {
	f=$1 trace=$2 form=$3
	shift 3
	for try in 1 2 3; do
		out=$tmp/$trace
		rm -f "$out"
		wait_quiet
		# Its own session (so its own scheduler autogroup) at a high priority:
		# other work on a shared machine (builds, tests) must not take the
		# cores the lesson is about.
		# shellcheck disable=SC2086,SC2016
		if ! setsid sh -c 'echo "$0" >/proc/self/autogroup 2>/dev/null; exec nice -n "$0" "$@"' \
			"$PRIO" "$GILSCOPE" record $form -o "$out" -- "$@" >"$tmp/run.log" 2>&1; then
			echo "make traces: $f: record failed:" >&2
			tail -n 5 "$tmp/run.log" >&2
			return 1
		fi
		size=$(stat -c %s "$out")
		if [ "$size" -ge $MAX_BYTES ]; then
			echo "make traces: $f: $trace is $size bytes (limit $MAX_BYTES): shorten the run" >&2
			return 1
		fi
		if ! "$GILSCOPE" report "$out" --json >"$tmp/report.json" 2>"$tmp/report.err"; then
			echo "make traces: $f: report failed: $(head -n 1 "$tmp/report.err")" >&2
			return 1
		fi
		# shellcheck disable=SC2086
		if scripts/lesson_claims.py $form "$f" "$tmp/report.json" >"$tmp/claims" 2>&1; then
			mv "$out" "traces/$trace"
			# what the program printed: its own counts, shown under the closing table
			grep -v '^gilscope record:' "$tmp/run.log" | head -n 60 >"traces/$trace.txt"
			printf '  %-16s %8s bytes  %s\n' "$trace" "$size" \
				"$(grep -o 'measured [^)]*' "$tmp/claims" | tr '\n' ' ')"
			return 0
		fi
		echo "  $trace: try $try missed a claim: $(grep '^not ok' "$tmp/claims" | head -n 1)" >&2
	done
	return 1
}
key() { sed -n "s/^$1[[:space:]]\{1,\}//p" "$2"; }
for f in lessons/*.lesson; do
	if [ $# -gt 0 ]; then
		want=0
		for n in "$@"; do case $f in *"$n"*) want=1 ;; esac; done
		[ $want = 1 ] || continue
	fi
	args=$(key run "$f")
	trace=$(key trace "$f")
	if [ -z "$args" ] || [ -z "$trace" ]; then
		echo "make traces: $f: no run or trace line" >&2
		failed=1
		continue
	fi
	# $args is word-split on purpose (plain words, checked by the lesson parser)
	case " $FORMS " in *" gilrt "*)
		# shellcheck disable=SC2086
		record "$f" "$trace" "" "$GILRT" run $args || failed=1 ;;
	esac
	script=$(key python "$f")
	case " $FORMS " in *" python "*) ;; *) continue ;; esac
	[ -n "$script" ] || continue
	py=$PY3
	if [ "$(key python_version "$f")" = 2 ]; then
		py=$PY2
		if [ -z "$py" ]; then
			echo "  $(key python_trace "$f"): skipped: no python2.7 (pyenv install 2.7.18, or PYTHON2=...)" >&2
			continue
		fi
	fi
	record "$f" "$(key python_trace "$f")" --python "$py" "lessons/py/$script" || failed=1
done
exit $failed
