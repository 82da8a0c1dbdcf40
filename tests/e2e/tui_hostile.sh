#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# tui_hostile.sh - the viewer cannot be frozen or bloated by what it shows:
# replay of a million locks and of 131,072 threads (tests/hostile/, made by
# gen_hostile), zoomed out over everything, stays within bounded memory and
# answers q and SIGTERM; live on a program that takes 111,000 distinct
# mutexes (--lock ...:arg0) loses nothing and answers q. In a real terminal
# (tmux, own server); waits poll with a timeout, no speed is measured.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
need_cmd tui_hostile tmux || t_exit
GEN=${GEN:-$BUILD/tests/gen_hostile}
HP=$BUILD/tests/progs/hostile_probes
MEM_KB=$((128 * 1024))	# generous: 1.1 GB (locks) and 248 MB (threads) before, ~20 MB after
case $BUILD in *san*) MEM_KB=$((3 * MEM_KB)) ;; esac	# ASan's shadow and quarantine
tmux_server gilscope-hostile

if ! "$GEN" "$TMPD" 2>"$TMPD/gen.err"; then
	not_ok tui_hostile_corpus "$(cat "$TMPD/gen.err")"
	t_exit
fi
start() { # CMD...: in a fresh 120x40 session; the exit status goes to $TMPD/exit
	rm -f "$TMPD/exit"
	$T kill-session -t t 2>/dev/null
	$T new-session -d -s t -x 120 -y 40 "$*; echo EXIT=\$? > $TMPD/exit; sleep 120"
}
# the gilscope process the session runs
viewer() { local p; p=$($T list-panes -t t -F '#{pane_pid}'); cat /proc/"$p"/task/*/children 2>/dev/null | tr ' ' '\n' | grep -m1 .; }
exited() { for _ in $(seq 1000); do [ -f "$TMPD/exit" ] && return 0; sleep 0.01; done; return 1; }
vm_hwm() { awk '/^VmHWM/{print $2}' /proc/"$1"/status 2>/dev/null; }

for f in locks_1m threads_100k; do
	for how in q TERM; do
		start "$GILSCOPE" replay --ascii "$TMPD/$f.gst"
		wait_for 'REPLAY|PAUSED' 10
		pid=$(viewer)
		# zoom out over the whole trace, a key at a time, while it reads
		for _ in $(seq 8); do $T send-keys -t t -- -; sleep 0.1; done
		wait_for '1 col = 500 ms' 10
		hwm=$(vm_hwm "$pid")
		[ -n "$hwm" ] && [ "$hwm" -lt $MEM_KB ] && ok "replay_${f}_${how}_memory ($((hwm / 1024)) MiB)" ||
			not_ok "replay_${f}_${how}_memory" "VmHWM ${hwm:-?} KiB, bound $MEM_KB"
		if [ $how = q ]; then $T send-keys -t t q; else kill -TERM "$pid"; fi
		if exited && grep -q '^EXIT=0$' "$TMPD/exit"; then ok "replay_${f}_answers_$how"
		else not_ok "replay_${f}_answers_$how" "still running 10 s after $how: $(screen | head -n 3)"; fi
	done
done
# a million locks in view: drawn merged, and said so
start "$GILSCOPE" replay --ascii --at 0.2 "$TMPD/locks_1m.gst"
wait_for 'DENSE: <[0-9.]+ .s merged' 10 && ok replay_dense_said || not_ok replay_dense_said "$(screen | head -n 2)"
$T send-keys -t t q
exited

if need_root tui_hostile_live; then
	lock=libc.so.6:pthread_mutex_lock:pthread_mutex_unlock:arg0
	start "$GILSCOPE" live --ascii --lock $lock -- "$HP" mutexes 111000 "2>$TMPD/live.err"
	if wait_for 'has exited' 60; then
		pid=$(viewer)
		hwm=$(vm_hwm "$pid")
		$T send-keys -t t q
		if exited && grep -q '^EXIT=0$' "$TMPD/exit" && grep -q ' events, 0 lost' "$TMPD/live.err"; then
			ok "live_many_locks_no_loss ($((hwm / 1024)) MiB)"
		else
			not_ok live_many_locks_no_loss "$(cat "$TMPD/exit" "$TMPD/live.err" 2>/dev/null | head -c 300)"
		fi
	else
		not_ok live_many_locks_no_loss "the program never ended in the view: $(screen | head -n 3)"
	fi
	# q while it runs: answered, and the program gilscope started is ended
	start "$GILSCOPE" live --ascii --lock $lock -- "$HP" mutexes 3000000 "2>$TMPD/live2.err"
	wait_for 'LIVE' 10
	for _ in $(seq 6); do $T send-keys -t t -- -; sleep 0.1; done
	$T send-keys -t t q
	if exited && grep -q '^EXIT=0$' "$TMPD/exit" &&
	   grep -q 'the recording ended first: ended .*hostile_probes (pid [0-9]*) with SIGTERM' "$TMPD/live2.err"; then
		ok live_q_ends_program
	else
		not_ok live_q_ends_program "$(cat "$TMPD/exit" "$TMPD/live2.err" 2>/dev/null | head -c 300)"
	fi
fi
t_exit
