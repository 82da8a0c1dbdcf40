#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# tests/e2e/tui_letters.sh - a thread keeps its letter wherever replay starts
# and live shows the same letters as the replay of what it saved: the thread
# table's "letter name" rows at --at 0.2, 0.8, 1.3 and 1.8 of a recording of
# four CPU-bound threads taking turns (whichever shows first in a window used
# to get B), and on the live screen. Waits poll the pane with a timeout (a
# bound for a hang on a busy machine, not a speed check).
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
need_cmd tui_letters tmux || t_exit
need_root tui_letters || t_exit
tmux_server gilscope-letters

start() { # CMD...: run CMD in a fresh 120x40 session
	$T kill-session -t t 2>/dev/null
	$T new-session -d -s t -x 120 -y 40 "$*; echo DONE; sleep 60"
}
# the thread table's rows as "letter=name", sorted (the table's order may change)
letters() { screen | grep -Eo '^ [A-Z] (main|worker-[0-9]+) ' | awk '{print $1 "=" $2}' | sort | paste -sd ' ' -; }
# all five threads in the table
all_five() { [ "$(letters | wc -w)" = 5 ]; }

TRACE=$TMPD/four.gst
if ! "$GILSCOPE" record -o "$TRACE" -- "$GILRT" run cpu --threads 4 --seconds 2 >"$TMPD/rec.log" 2>&1; then
	not_ok tui_letters_recorded "$(tail -n 2 "$TMPD/rec.log")"
	t_exit
fi

ref= bad=
for at in 0.2 0.8 1.3 1.8; do
	start "$GILSCOPE" replay "$TRACE" --at "$at" --speed 0.01
	if ! wait_until 30 all_five; then
		bad="$bad --at $at: table [$(letters)];"
		continue
	fi
	l=$(letters)
	[ -z "$ref" ] && ref=$l
	[ "$l" = "$ref" ] || bad="$bad --at $at: $l;"
done
if [ -n "$ref" ] && [ -z "$bad" ]; then ok tui_letters_stable_across_at "# $ref"
else not_ok tui_letters_stable_across_at "first: $ref;$bad"; fi

# live, saving what it shows; then the saved file replayed from its middle
start "$GILSCOPE" live -o "$TMPD/live.gst" -- "$GILRT" run cpu --threads 4 --seconds 2
if wait_until 30 all_five; then
	live=$(letters)
	wait_for 'ended|saved|finished|q quit' 30 >/dev/null
	$T send-keys -t t q
	wait_for '^DONE' 30
	start "$GILSCOPE" replay "$TMPD/live.gst" --at 1.0 --speed 0.01
	if wait_until 30 all_five && [ "$(letters)" = "$live" ]; then
		ok tui_letters_live_as_replay "# $live"
	else
		not_ok tui_letters_live_as_replay "live: $live; replay: $(letters)"
	fi
else
	not_ok tui_letters_live_as_replay "live table: $(letters)"
fi
$T kill-server 2>/dev/null
t_exit
