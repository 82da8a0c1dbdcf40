#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# tests/e2e/tui_replay.sh - `gilscope replay` as a person uses it, in a real
# terminal (tmux, own server): at 120x40 it shows a strip per CPU and the
# lock lane and the tracing cost; space pauses, +/- zoom, g seeks, -> steps, ? helps, clicks and
# the wheel work; q exits 0
# and leaves the terminal as it found it. Also: too small a terminal, --ascii,
# bad arguments. Waits poll the pane with a timeout (30 s: a bound for a
# hang on a busy machine, not a speed check), never fixed sleeps.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
need_cmd tui_replay tmux || t_exit
T="tmux -L gilscope-test"
$T kill-server 2>/dev/null
# a session that outlives the test ones, so the server never exits between them
$T new-session -d -s keep "sleep 600"

# a trace: record one when we can (root), else a shipped one
TRACE=$TMPD/cpu.gst
if [ "$(id -u)" = 0 ] && [ -x "$GILRT" ] &&
	"$GILSCOPE" record -o "$TRACE" -- "$GILRT" run cpu --threads 2 --seconds 1 >/dev/null 2>&1; then
	:
else
	TRACE=traces/threads.gst
	[ -f "$TRACE" ] || TRACE=$(ls traces/*.gst 2>/dev/null | head -n 1)
fi
if [ -z "$TRACE" ] || [ ! -f "$TRACE" ]; then
	if [ "${CI:-}" = true ]; then not_ok tui_replay "no trace: cannot record (not root) and none shipped"; else echo "skip tui_replay: no trace (not root, none shipped)"; fi
	t_exit
fi
NCPU=$("$GILSCOPE" report "$TRACE" --json 2>/dev/null | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["trace"]["cpus"])' 2>/dev/null)

# the status line's time, as printed
now_t() { screen | head -n 1 | grep -Eo 't=[0-9.]+ s' ; }
start() { # SIZE CMD...: run CMD in a fresh session, then report status and tty
	local w=${1%x*} h=${1#*x}; shift
	$T kill-session -t t 2>/dev/null
	$T new-session -d -s t -x "$w" -y "$h" \
		"stty -g > $TMPD/tty.before; $*; echo EXIT=\$? > $TMPD/exit; stty -g > $TMPD/tty.after; echo DONE; sleep 60"
}
quit_ok() { # NAME: q, exit status 0, terminal settings restored
	$T send-keys -t t q
	if wait_for '^DONE' && grep -q '^EXIT=0$' "$TMPD/exit" && cmp -s "$TMPD/tty.before" "$TMPD/tty.after"; then
		ok "$1"
	else
		not_ok "$1" "exit: $(cat "$TMPD/exit" 2>/dev/null); tty same: $(cmp -s "$TMPD/tty.before" "$TMPD/tty.after" && echo yes || echo no)"
	fi
}

start 120x40 "$GILSCOPE" replay "$TRACE" --speed 0.05
if wait_for 'REPLAY' && wait_for '^LOCK +[A-Z.]' && wait_for '^CPU0( |$)'; then
	ok tui_replay_shows_lanes
else
	not_ok tui_replay_shows_lanes "$(screen | head -n 8)"
fi
# a trace recorded here carries what recording it cost: on the status line
if [ "$TRACE" = "$TMPD/cpu.gst" ]; then
	if screen | head -n 1 | grep -Eq 'cost (\+[0-9.]+ %|>900 %)'; then ok tui_replay_cost
	else not_ok tui_replay_cost "status: $(screen | head -n 1)"; fi
fi
rows=$(screen | grep -Ec '^CPU[0-9]+( |$)')
if [ -n "$NCPU" ] && [ "$NCPU" -gt 0 ] 2>/dev/null; then
	[ "$rows" = "$NCPU" ] && ok tui_replay_strip_per_cpu || not_ok tui_replay_strip_per_cpu "$rows strips for $NCPU CPUs"
else
	[ "$rows" -ge 1 ] && ok tui_replay_strip_per_cpu || not_ok tui_replay_strip_per_cpu "no strips"
fi
screen | grep -Eq '^ [A-Z] .*%' && ok tui_replay_thread_table || not_ok tui_replay_thread_table "no thread rows"

# space pauses: the status says so and time stands still
$T send-keys -t t Space
if wait_for 'PAUSED'; then
	a=$(now_t); b=$a
	for i in 1 2 3 4 5 6; do sleep 0.1; b=$(now_t); [ "$a" = "$b" ] || break; done
	[ "$a" = "$b" ] && ok tui_replay_pause || not_ok tui_replay_pause "time moved while paused: $a -> $b"
else
	not_ok tui_replay_pause "no PAUSED"
fi
# zoom
$T send-keys -t t +
wait_for '1 col = 500 us' && ok tui_replay_zoom_in || not_ok tui_replay_zoom_in "$(screen | head -n 1)"
$T send-keys -t t - -
wait_for '1 col = 2.0 ms' && ok tui_replay_zoom_out || not_ok tui_replay_zoom_out "$(screen | head -n 1)"
$T send-keys -t t -
# go to 0.5 s, then step to the next lock event
$T send-keys -t t g
wait_for 'go to time' || not_ok tui_replay_goto "no prompt"
$T send-keys -t t 0 . 5 Enter
if wait_for 't=0\.5000 s'; then ok tui_replay_goto; else not_ok tui_replay_goto "$(screen | head -n 1)"; fi
# -> steps to the next lock event: the newest line of the event log is a new
# one, that event, at the time the status line shows (not before 0.5 s; it
# may read 0.5000 s when the event is within 50 us of it)
last_event() { screen | grep -E '^ +[0-9]+\.[0-9]+ s [A-Z] ' | tail -n 1; }
before=$(last_event)
$T send-keys -t t Right
stepped() {
	local t last
	t=$(now_t | grep -Eo '[0-9.]+')
	last=$(last_event)
	[ "$last" != "$before" ] && awk -v t="$t" 'BEGIN { exit !(t >= 0.5) }' &&
		echo "$last" | grep -q "^ *$t s .*lock"
}
if wait_until 30 stepped; then ok tui_replay_step; else not_ok tui_replay_step "$(screen | head -n 1) / $(screen | grep -E '^ +[0-9]+\.[0-9]+ s' | tail -n 1)"; fi
$T send-keys -t t '?'
wait_for 'What you see' && ok tui_replay_help || not_ok tui_replay_help "no help overlay"
$T send-keys -t t x
wait_for '^ *space pause' && ok tui_replay_help_closes || not_ok tui_replay_help_closes "help still open"
# the mouse, as a terminal sends it (X10 encoding: ESC [ M, button + 32,
# column + 33, row + 33; a press, then the release): a click on a strip
# goes back to that moment, on a thread's row highlights it; the wheel zooms
click() { # X Y (0-based cell)
	local x y
	x=$(printf '%x' $(($1 + 33))) y=$(printf '%x' $(($2 + 33)))
	$T send-keys -t t -H 1b 5b 4d 20 "$x" "$y" 1b 5b 4d 23 "$x" "$y"
}
secs() { now_t | grep -Eo '[0-9.]+'; }
zoom=$(screen | head -n 1 | grep -Eo '1 col = [0-9.]+ [mu]?s')
t_before=$(secs)
cpu0=$(( $(screen | grep -n '^CPU0' | head -n 1 | cut -d: -f1) - 1 ))
# column 54 of 114 at 5 ms a column becomes the last: the lanes begin 0.57 s
# before the right edge, or at the first event (0) if that is later
click 60 "$cpu0"
moved() { [ "$(secs)" != "$t_before" ]; }
wait_until 30 moved
t_after=$(secs)
if [ "$zoom" = "1 col = 5.0 ms" ] &&
	awk -v a="$t_before" -v b="$t_after" 'BEGIN { s = a - 0.57; if (s < 0) s = 0;
		d = s + 0.275 - b; exit !(d > -0.0011 && d < 0.0011) }'; then
	ok tui_replay_click_strip
else
	not_ok tui_replay_click_strip "$zoom, t $t_before -> $t_after (want column 54's time)"
fi
ya=$(( $(screen | grep -n '^ A ' | head -n 1 | cut -d: -f1) - 1 ))
name=$(screen | grep '^ A ' | head -n 1 | awk '{ print $2 }')
click 10 "$ya"
wait_for "highlight: $name " && ok tui_replay_click_thread || not_ok tui_replay_click_thread "$(screen | tail -n 1)"
$T send-keys -t t -H 1b 5b 4d 60 50 30	# wheel up: zoom in
wait_for '1 col = 2.0 ms' && ok tui_replay_wheel || not_ok tui_replay_wheel "$(screen | head -n 1)"
quit_ok tui_replay_quit

# paused, the view sleeps: no redraws, ~0 % CPU (4 s at 100 ticks/s; a
# redraw every 30 ms costs several ticks)
start 120x40 "$GILSCOPE" replay "$TRACE" --at 0.5 --speed 0.05
wait_for 'REPLAY' 5
$T send-keys -t t Space
wait_for 'PAUSED' 3
pid=$(pgrep -f "^$GILSCOPE replay $TRACE --at" | head -n 1)
if [ -n "$pid" ]; then
	a=$(awk '{ print $14 + $15 }' /proc/"$pid"/stat); sleep 4; b=$(awk '{ print $14 + $15 }' /proc/"$pid"/stat)
	[ $((b - a)) -le 1 ] && ok tui_replay_idle_paused || not_ok tui_replay_idle_paused "$((b - a)) ticks in 4 s, paused"
else
	not_ok tui_replay_idle_paused "no process"
fi
quit_ok tui_replay_idle_quit

# the io lesson's trace (recorded before the kernel side followed hand-overs
# to other processes): the cores idle most of the time; they must not be
# drawn as someone else's (#) all along, as they were (228 of 228 columns)
start 120x40 "$GILSCOPE" replay traces/io.gst --ascii --at 1.2 --speed 0.01
wait_for 'REPLAY' 5
$T send-keys -t t Space
if wait_for 'PAUSED' 3; then
	strips=$(screen | grep -E '^CPU[0-9]' | cut -c7-)
	grey=$(printf '%s' "$strips" | tr -cd '#' | wc -c) cols=$(printf '%s' "$strips" | tr -d '\n' | wc -c)
	[ "$cols" -gt 100 ] && [ $((grey * 100)) -lt $((cols * 60)) ] && ok tui_replay_io_cores_idle ||
		not_ok tui_replay_io_cores_idle "$grey of $cols columns grey"
else
	not_ok tui_replay_io_cores_idle "no PAUSED"
fi
quit_ok tui_replay_io_quit

# Ctrl-C quits cleanly too
start 120x40 "$GILSCOPE" replay "$TRACE"
wait_for 'REPLAY|PAUSED'
$T send-keys -t t C-c
if wait_for '^DONE' && cmp -s "$TMPD/tty.before" "$TMPD/tty.after"; then ok tui_replay_ctrl_c; else not_ok tui_replay_ctrl_c "terminal not restored"; fi

# a fatal signal: the terminal is put back before the process dies of it
start 120x40 "$GILSCOPE" replay "$TRACE"
wait_for 'REPLAY|PAUSED'
pid=$(pgrep -f "^$GILSCOPE replay $TRACE\$" | head -n 1)
mouse_on=$($T display -p -t t '#{mouse_standard_flag}#{mouse_button_flag}#{mouse_any_flag}')
if [ -n "$pid" ] && kill -SEGV "$pid" && wait_for '^DONE' && grep -q '^EXIT=139$' "$TMPD/exit" &&
	cmp -s "$TMPD/tty.before" "$TMPD/tty.after"; then
	ok tui_replay_fatal_signal
else
	not_ok tui_replay_fatal_signal "pid '$pid', exit $(cat "$TMPD/exit" 2>/dev/null)"
fi
# ... and mouse tracking is off again (it was on while the view ran)
modes=$($T display -p -t t '#{mouse_standard_flag}#{mouse_button_flag}#{mouse_any_flag}#{mouse_sgr_flag}#{alternate_on}')
[ "$mouse_on" != 000 ] && [ "$modes" = 00000 ] && ok tui_replay_fatal_signal_mouse_off ||
	not_ok tui_replay_fatal_signal_mouse_off "while running: $mouse_on, after the crash: $modes"

# --ascii: letters in the strips, no UTF-8 at all
start 120x40 "$GILSCOPE" replay "$TRACE" --ascii --at 0.5
if wait_for '^CPU[0-9]+ +.*[A-Za-z]' && ! screen | LC_ALL=C grep -q '[^ -~]'; then
	ok tui_replay_ascii
else
	not_ok tui_replay_ascii "$(screen | head -n 3)"
fi
quit_ok tui_replay_ascii_quit

# colours by default; NO_COLOR=1: none (attributes only), letters in the strips
colours() { $T capture-pane -e -p -t t | grep -cP '\x1b\[(?:[0-9]+;)*(?:3[0-7]|4[0-7])m'; }
start 120x40 "$GILSCOPE" replay "$TRACE" --at 0.5
wait_for '^LOCK +[A-Z]'
[ "$(colours)" -gt 0 ] && ok tui_replay_colour || not_ok tui_replay_colour "no colour in the pane"
quit_ok tui_replay_colour_quit
start 120x40 NO_COLOR=1 "$GILSCOPE" replay "$TRACE" --at 0.5
if wait_for '^CPU[0-9]+ +.*[A-Za-z]' && [ "$(colours)" = 0 ]; then
	ok tui_replay_no_color
else
	not_ok tui_replay_no_color "$(colours) lines with colour"
fi
quit_ok tui_replay_no_color_quit

# too small: a message, not garbage; growing the window brings the view back
start 40x8 "$GILSCOPE" replay "$TRACE"
if wait_for 'terminal too small'; then ok tui_replay_too_small; else not_ok tui_replay_too_small "$(screen)"; fi
$T resize-window -t t -x 100 -y 30 2>/dev/null
wait_for '^LOCK' && ok tui_replay_resize || not_ok tui_replay_resize "$(screen | head -n 3)"
quit_ok tui_replay_small_quit

# a damaged block in the middle (valid footer): the view goes on past it,
# and on leaving the command says what it skipped
at=$(damage_block traces/threads.gst "$TMPD/damaged.gst")
start 120x40 "$GILSCOPE" replay "$TMPD/damaged.gst" --at "$at" "2>$TMPD/replay.err"
if wait_for 'REPLAY|PAUSED' 5 && wait_for '^CPU0( |$)' 1 && ! screen | grep -q 'cannot read'; then
	ok tui_replay_damaged_block_goes_on
else
	not_ok tui_replay_damaged_block_goes_on "$(screen | grep -m1 -E 'cannot|REPLAY|PAUSED')"
fi
quit_ok tui_replay_damaged_block_quit
grep -q 'skipped 1 damaged block' "$TMPD/replay.err" && [ "$(wc -l <"$TMPD/replay.err")" = 1 ] &&
	ok tui_replay_damaged_block_said || not_ok tui_replay_damaged_block_said "$(cat "$TMPD/replay.err")"

# a CPython recording with names and functions: the thread table says
# cruncher and sleeper, the log where each asked and let go, and p opens the
# highlighted thread's functions in the log's place (p closes them)
PYT=tests/traces/python311.gst
start 120x40 "$GILSCOPE" replay "$PYT" --at 0.3
if py_funcs_shown REPLAY 5; then
	ok tui_replay_python_names
else
	not_ok tui_replay_python_names "$(screen | grep -m3 -E 'cruncher|GIL|REPLAY')"
fi
$T send-keys -t t Space
wait_for 'PAUSED' 3
for ((i = 0; i < 4; i++)); do	# highlight cruncher
	$T send-keys -t t t
	wait_for 'highlight: cruncher' 1 && break
done
$T send-keys -t t p
if wait_for 'Python functions of cruncher \(tid [0-9]+\) - p closes' 3 &&
   wait_for 'holds the GIL in' 1 && wait_for '% .*crunch  py_funcs\.py:13' 1; then
	ok tui_replay_python_panel
else
	not_ok tui_replay_python_panel "$(screen | tail -n 12 | head -n 5)"
fi
$T send-keys -t t p
wait_for '^(-|─) events' 3 && ok tui_replay_python_panel_closes || not_ok tui_replay_python_panel_closes "$(screen | tail -n 12 | head -n 2)"
quit_ok tui_replay_python_quit

# bad input: one line, status 2 / 1, no terminal mess
"$GILSCOPE" replay >/dev/null 2>&1; [ $? = 2 ] && ok tui_replay_usage || not_ok tui_replay_usage "no FILE: not status 2"
"$GILSCOPE" replay "$TRACE" --speed 1000 >/dev/null 2>&1; [ $? = 2 ] && ok tui_replay_bad_speed || not_ok tui_replay_bad_speed "not status 2"
echo garbage > "$TMPD/bad.gst"
err=$("$GILSCOPE" replay "$TMPD/bad.gst" 2>&1 >/dev/null); rc=$?
[ $rc = 1 ] && [ "$(echo "$err" | wc -l)" = 1 ] && ok tui_replay_bad_file || not_ok tui_replay_bad_file "rc $rc: $err"

$T kill-server 2>/dev/null
t_exit
