#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# tests/e2e/tui_handoff.sh - the hand-off marks in a real terminal (tmux, own
# server), on a recording of `gilrt run cpu --threads 2`: paused, -> steps
# from lock event to lock event until one is a hand-off; then the taker's row
# reads "got lock from X", X's row "handed lock to" the taker, the log line
# of that acquisition ends "(hand-off from X ...)"; the next step (another
# lock event, no acquisition) shows none of it. Waits poll the pane with a
# timeout (a bound for a hang on a busy machine, not a speed check).
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
need_cmd tui_handoff tmux || t_exit
need_root tui_handoff || t_exit
tmux_server gilscope-handoff

TRACE=$TMPD/cpu.gst
if ! "$GILSCOPE" record -o "$TRACE" -- "$GILRT" run cpu --threads 2 --seconds 1 >"$TMPD/rec.log" 2>&1; then
	not_ok tui_handoff_recorded "$(tail -n 2 "$TMPD/rec.log")"
	t_exit
fi
# two CPU-bound threads pass the lock back and forth: report counts hand-offs
n=$("$GILSCOPE" report "$TRACE" --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["lock"]["handoffs"])' 2>/dev/null)
if [ -n "$n" ] && [ "$n" -gt 10 ] 2>/dev/null; then ok tui_handoff_report "# $n hand-offs"
else not_ok tui_handoff_report "report says '$n' hand-offs"; t_exit; fi

$T kill-session -t t 2>/dev/null
$T new-session -d -s t -x 120 -y 40 "$GILSCOPE replay $TRACE --at 0.5 --speed 0.01 --ascii; echo DONE; sleep 60"
wait_for 'REPLAY|PAUSED' 30 || { not_ok tui_handoff_starts "$(screen | head -n 3)"; t_exit; }
$T send-keys -t t Space
wait_for 'PAUSED' 30 || { not_ok tui_handoff_pause "$(screen | head -n 1)"; t_exit; }

# the pane after a key: changed from $before, then the same twice in a row
# (a frame drawn whole)
before=
settled() {
	local a b
	a=$(screen)
	[ "$a" != "$before" ] || return 1
	b=$(screen)
	[ "$a" = "$b" ]
}
step() {
	before=$(screen)
	$T send-keys -t t Right
	wait_until 30 settled
}
marks() { screen | grep -cE 'got lock from|handed lock to|\(hand-off from'; }

found=
for ((i = 0; i < 12; i++)); do
	step || break
	if screen | grep -q 'got lock from'; then found=$i; break; fi
	# a step that stopped elsewhere marks nothing at all
	[ "$(marks)" = 0 ] || { not_ok tui_handoff_only_there "$(screen | grep -E 'lock (from|to)|hand-off')"; break; }
done
if [ -z "$found" ]; then
	not_ok tui_handoff_marked "no mark in 12 steps: $(screen | grep -E '^ [A-Z] ' | head -n 4)"
	t_exit
fi
# who took it from whom: the two rows name each other, the log says so
row=$(screen | grep -E '^ [A-Z] .* got lock from [A-Z] ')
to=$(echo "$row" | cut -c2)
from=$(echo "$row" | sed -E 's/.* got lock from ([A-Z]) .*/\1/')
from_row=$(screen | grep -E "^ $from ")
from_name=$(echo "$from_row" | awk '{ print $2 }')
if [ "$to" != "$from" ] && echo "$from_row" | grep -q "handed lock to $to " &&
	screen | grep -qE "^ +[0-9.]+ s $to .* takes the lock .*\(hand-off from $from( $from_name)?\)"; then
	ok tui_handoff_marked "# $to got it from $from after $((found + 1)) steps"
else
	not_ok tui_handoff_marked "taker [$row], giver [$from_row], log: $(screen | grep -E 'hand-off')"
fi
# the next lock event is no acquisition: the marks go
if step && [ "$(marks)" = 0 ]; then ok tui_handoff_next_step_clears
else not_ok tui_handoff_next_step_clears "$(screen | grep -E 'lock (from|to)|hand-off')"; fi
$T send-keys -t t q
wait_for '^DONE' 30 && ok tui_handoff_quit || not_ok tui_handoff_quit "still running"
t_exit
