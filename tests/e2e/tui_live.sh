#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# tests/e2e/tui_live.sh - `gilscope live -- gilrt run cpu --threads 2` in a
# real terminal (tmux, own server), as root: while the program runs the view
# is LIVE, time moves and the lock lane shows the lock going from one thread
# to the other; when it exits the view stays with a summary; `s` saves a
# trace that `report` reads; q exits 0 and restores the terminal; -o FILE
# keeps the recording; --python on CPython shows Python names and functions.
# Waits poll the pane with a timeout.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
need_root tui_live || t_exit
need_cmd tui_live tmux || t_exit
[ -x "$GILRT" ] || { not_ok tui_live "no $GILRT (make)"; t_exit; }
T="tmux -L gilscope-test"
export TMPDIR=$TMPD	# live's temp files (the program's output too) stay in here
$T kill-server 2>/dev/null
# a session that outlives the test ones, so the server never exits between them
$T new-session -d -s keep "sleep 600"
TOP=$PWD
GS=$(realpath "$GILSCOPE") RT=$(realpath "$GILRT")

now_t() { screen | head -n 1 | grep -Eo 't=[0-9.]+ s' ; }
start() { # CMD...: in $TMPD, then report status and tty
	$T kill-session -t t 2>/dev/null
	$T new-session -d -s t -x 120 -y 40 -c "$TMPD" \
		"stty -g > $TMPD/tty.before; $*; echo EXIT=\$? > $TMPD/exit; stty -g > $TMPD/tty.after; echo DONE; sleep 60"
}

start "$GS" live -- "$RT" run cpu --threads 2 --seconds 4
if wait_for 'LIVE' 10 && wait_for '^LOCK +.*[A-Z]' 5; then ok tui_live_starts; else not_ok tui_live_starts "$(screen | head -n 5)"; fi
# time moves while it runs
a=$(now_t); b=$a
for i in $(seq 40); do sleep 0.05; b=$(now_t); [ "$a" != "$b" ] && break; done
[ "$a" != "$b" ] && ok tui_live_time_moves || not_ok tui_live_time_moves "t stuck at $a"
# the lock goes from one worker to the other, seen while LIVE
moved=no
for i in $(seq 60); do
	s=$(screen)
	if echo "$s" | head -n 1 | grep -q LIVE; then
		lane=$(echo "$s" | grep -E '^LOCK ' | cut -c7-)
		n=$(echo "$lane" | grep -o '[A-Z]' | sort -u | wc -l)
		[ "$n" -ge 2 ] && { moved=yes; break; }
	fi
	sleep 0.05
done
[ $moved = yes ] && ok tui_live_lock_moves || not_ok tui_live_lock_moves "lane: $lane"
# the thread table has both workers
screen | grep -Eq '^ [A-Z] worker-1 ' && screen | grep -Eq '^ [A-Z] worker-2 ' &&
	ok tui_live_threads || not_ok tui_live_threads "$(screen | grep -A4 threads)"
# the program exits: the view stays, with a summary
if wait_for 'ENDED' 15 && wait_for 'the program has exited' 3 && wait_for 'worker-1 held it' 1; then
	ok tui_live_summary
else
	not_ok tui_live_summary "$(screen | tail -n 8)"
fi
$T send-keys -t t s
if wait_for 'saved to gilscope-[0-9-]+\.gst' 5; then ok tui_live_save; else not_ok tui_live_save "$(screen | tail -n 1)"; fi
$T send-keys -t t q
if wait_for '^DONE' 10 && grep -q '^EXIT=0$' "$TMPD/exit" && cmp -s "$TMPD/tty.before" "$TMPD/tty.after"; then
	ok tui_live_quit
else
	not_ok tui_live_quit "exit $(cat "$TMPD/exit" 2>/dev/null)"
fi
saved=$(ls "$TMPD"/gilscope-*.gst 2>/dev/null | head -n 1)
if [ -n "$saved" ] && "$GS" report "$saved" --json > "$TMPD/r.json" 2>/dev/null &&
	[ "$(json_get "$TMPD/r.json" 'len([t for t in j["threads"] if t.get("name","").startswith("worker")])')" = 2 ]; then
	ok tui_live_saved_trace
else
	not_ok tui_live_saved_trace "saved: '$saved'"
fi
# no temp recording left behind
left=$(find "${TMPDIR:-/tmp}" -maxdepth 1 -name 'gilscope-live-*' -newer "$TMPD/tty.before")
[ -z "$left" ] && ok tui_live_temp_removed || not_ok tui_live_temp_removed "$left"

# -o FILE, quitting while the program still runs (it is left running, not killed)
start "$GS" live -o "$TMPD/out.gst" -- "$RT" run cpu --threads 2 --seconds 2
wait_for 'LIVE' 10 && wait_for '^LOCK +.*[A-Z]' 5
$T send-keys -t t q
if wait_for '^DONE' 10 && grep -q '^EXIT=0$' "$TMPD/exit" && "$GS" report "$TMPD/out.gst" >/dev/null 2>&1; then
	ok tui_live_output
else
	not_ok tui_live_output "exit $(cat "$TMPD/exit" 2>/dev/null)"
fi
# --python on CPython (python3.11-dbg): Python thread names in the table and
# the function in the log while it runs, p for the functions panel, and the
# closing summary names the threads and what the Python stage learnt
DBG=$(command -v python3.11-dbg)
if need_cmd tui_live_python python3.11-dbg; then
	start "$GS" live --python -- "$DBG" "$TOP/tests/progs/py_funcs.py" 3
	if wait_for 'LIVE' 10 && wait_for '^ [A-Z] cruncher ' 5 && wait_for '^ [A-Z] sleeper ' 3 &&
	   wait_for 'asks for the GIL in `(crunch|nap_loop)` \(py_funcs\.py:1[39]\)' 3; then
		ok tui_live_python_names
	else
		not_ok tui_live_python_names "$(screen | grep -m3 -E 'cruncher|GIL|LIVE')"
	fi
	$T send-keys -t t p
	wait_for 'Python functions of .* - p closes' 3 && wait_for 'holds the GIL in' 2 &&
		ok tui_live_python_panel || not_ok tui_live_python_panel "$(screen | tail -n 10 | head -n 4)"
	if wait_for 'ENDED' 15 && wait_for 'cruncher held it' 3 && wait_for 'Python 3\.11\.[0-9]+: 3 threads named' 1; then
		ok tui_live_python_summary
	else
		not_ok tui_live_python_summary "$(screen | tail -n 8)"
	fi
	$T send-keys -t t q
	wait_for '^DONE' 10
fi
# usage errors
"$GS" live >/dev/null 2>&1; [ $? = 2 ] && ok tui_live_usage || not_ok tui_live_usage "not status 2"
"$GS" live --lock bogus -- true >/dev/null 2>&1; [ $? = 2 ] && ok tui_live_bad_lock || not_ok tui_live_bad_lock "not status 2"
"$GS" live -- true </dev/null >/dev/null 2>&1; [ $? = 1 ] && ok tui_live_no_tty || not_ok tui_live_no_tty "not status 1"
$T kill-server 2>/dev/null
cd "$TOP" && t_exit
