#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# record_stop.sh - how a recording ends, and what happens to the program:
# a signal while the probes attach stops the start (the program never runs,
# exit 1, one clear line, no file); when the recording ends first (signal,
# --duration) the program gilscope started is ended (SIGTERM, then SIGKILL
# after a grace) unless --keep-running; a -p process is never signalled; and
# the closing line tells the truth about a program that died meanwhile.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
HP=$BUILD/tests/progs/hostile_probes
FAKE=$BUILD/tests/progs/fake_gilrt

need_root record_stop || t_exit


# a signal while the probes attach: the output exists before the recorder
# starts loading BPF, which takes long enough for the signal to come first
for sig in TERM INT; do
	"$GILSCOPE" record -o "$TMPD/$sig.gst" -- "$HP" ids >"$TMPD/$sig.out" 2>"$TMPD/$sig.err" &
	rec=$!
	wait_until 5 test -e "$TMPD/$sig.gst"
	kill -$sig $rec
	wait $rec
	rc=$?
	if said_one_line $rc 1 "$TMPD/$sig.err" "interrupted before .*hostile_probes started: it was not run" &&
	   [ ! -s "$TMPD/$sig.out" ] && [ ! -e "$TMPD/$sig.gst" ]; then
		ok "sig${sig}_before_start_never_runs"
	else
		not_ok "sig${sig}_before_start_never_runs" "rc=$rc out='$(head -c 100 "$TMPD/$sig.out")' file=$( [ -e "$TMPD/$sig.gst" ] && echo left || echo gone): $(head -c 300 "$TMPD/$sig.err")"
	fi
done

# SIGTERM while it records: the program gets SIGTERM, the file is complete
"$GILSCOPE" record -o "$TMPD/t.gst" -- "$HP" wait >/dev/null 2>"$TMPD/t.err" &
rec=$!
# (waits: bounds for a hang; gilscope calibrates before it starts the program)
started() { prog=$(child_named $rec "$1"); }
written() { [ "$(stat -c %s "$1" 2>/dev/null || echo 0)" -gt 0 ]; }
wait_until 60 started hostile_probes
wait_until 60 written "$TMPD/t.gst"
kill -TERM $rec
wait $rec
rc=$?
if [ $rc = 0 ] && grep -q "^got SIGTERM$" "$TMPD/t.err" &&
   grep -q "the recording ended first: ended .*hostile_probes (pid $prog) with SIGTERM" "$TMPD/t.err" &&
   ! kill -0 "$prog" 2>/dev/null && "$GILSCOPE" report "$TMPD/t.gst" >/dev/null 2>&1; then
	ok sigterm_ends_program
else
	not_ok sigterm_ends_program "rc=$rc prog=$prog: $(head -c 400 "$TMPD/t.err")"
	kill "$prog" 2>/dev/null
fi

# a program that ignores SIGTERM is killed after the grace
"$GILSCOPE" record -o "$TMPD/d.gst" --duration 0.2 -- "$HP" deaf 60 >/dev/null 2>"$TMPD/d.err"
rc=$?
pid=$(sed -n 's/.*(pid \([0-9]*\)) ignored SIGTERM for 2 s and was killed (SIGKILL)$/\1/p' "$TMPD/d.err")
if [ $rc = 0 ] && [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then ok deaf_program_killed
else not_ok deaf_program_killed "rc=$rc: $(head -c 300 "$TMPD/d.err")"; fi

# -p: never signalled, whatever ends the recording
"$HP" wait 2>"$TMPD/p.prog" &
target=$!
"$GILSCOPE" record -o "$TMPD/p.gst" --duration 0.2 -p $target --lock libc.so.6:malloc:free >/dev/null 2>"$TMPD/p.err"
rc=$?
if [ $rc = 0 ] && kill -0 $target 2>/dev/null && [ ! -s "$TMPD/p.prog" ] &&
   ! grep -q "ended\|still running" "$TMPD/p.err"; then ok pid_target_untouched
else not_ok pid_target_untouched "rc=$rc: $(head -c 300 "$TMPD/p.err" "$TMPD/p.prog")"; fi
kill $target 2>/dev/null
wait $target 2>/dev/null
"$GILSCOPE" record -o "$TMPD/p2.gst" --keep-running -p $$ >/dev/null 2>"$TMPD/p2.err"
[ $? = 2 ] && grep -q "keep-running is for a command gilscope starts" "$TMPD/p2.err" &&
	ok keep_running_not_for_pid || not_ok keep_running_not_for_pid "$(head -c 300 "$TMPD/p2.err")"

# a double Ctrl-C reaches the whole foreground group: the program dies of
# it; the closing line must not call it running (own process group here,
# as a terminal's foreground job)
set -m
for mode in default keep; do
	opt=; [ $mode = keep ] && opt=--keep-running
	"$GILSCOPE" record -o "$TMPD/c$mode.gst" $opt -- "$FAKE" 2 30 >/dev/null 2>"$TMPD/c$mode.err" &
	rec=$!
	wait_until 60 started fake_gilrt
	wait_until 60 written "$TMPD/c$mode.gst"
	kill -INT -- -$rec
	kill -INT -- -$rec
	wait $rec
	rc=$?
	if [ $rc = 0 ] && ! grep -q "still running" "$TMPD/c$mode.err" && ! kill -0 "$prog" 2>/dev/null; then
		ok "ctrl_c_twice_truth_$mode"
	else
		not_ok "ctrl_c_twice_truth_$mode" "rc=$rc prog=$prog alive=$(kill -0 "$prog" 2>/dev/null && echo yes || echo no): $(head -c 300 "$TMPD/c$mode.err")"
		kill "$prog" 2>/dev/null
	fi
done
set +m
t_exit
