#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# record_progress.sh - `gilscope record` on a terminal (tmux, own server), as
# root: while it records, one progress line on stderr (events, size, lost,
# elapsed) is rewritten in place, so it changes but never piles up; at the
# end it is replaced by the summary. With -q there is none, at any time, and
# no summary either. (Off a terminal: record_ending.sh.)
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
need_root record_progress || t_exit
need_cmd record_progress tmux || t_exit
FAKE=$(realpath "$BUILD/tests/progs/fake_gilrt") GS=$(realpath "$GILSCOPE")
tmux_server gilscope-record-progress
LINE='^gilscope record: [0-9,]+ events, [0-9.]+ [KM]?i?B, [0-9,]+ lost, [0-9.]+ s elapsed$'

start() { # CMD...: in $TMPD; then its exit status and DONE
	$T kill-session -t t 2>/dev/null
	$T new-session -d -s t -x 120 -y 20 -c "$TMPD" "$*; echo EXIT=\$?; echo DONE; sleep 60"
}

# the program prints on stdout; that goes elsewhere so the pane is ours
start "$GS" record -o "$TMPD/p.gst" -- "$FAKE" 2 3 ">/dev/null"
seen=() piled= last=
for ((i = 0; i < 200; i++)); do	# up to 10 s
	s=$(screen)
	grep -q '^DONE' <<<"$s" && break
	n=$(grep -cE "$LINE" <<<"$s")
	[ "$n" -gt 1 ] && piled=$n
	l=$(grep -E "$LINE" <<<"$s")
	[ -n "$l" ] && [ "$last" != "$l" ] && seen+=("$l") && last=$l
	[ ${#seen[@]} -ge 2 ] && break
	sleep 0.05
done
if [ ${#seen[@]} -ge 2 ] && [ -z "$piled" ]; then ok record_progress_updates
else not_ok record_progress_updates "lines seen: ${seen[*]:-none}; $piled at once"; fi
if wait_for '^DONE' 15 && screen | grep -q '^EXIT=0' && ! screen | grep -qE "$LINE" &&
   screen | grep -qE '^gilscope record: [0-9]+ events, 0 lost, .* -> '; then
	ok record_progress_replaced_by_summary
else
	not_ok record_progress_replaced_by_summary "$(screen | grep -v '^$' | paste -sd '|' -)"
fi

# -q: nothing while it runs, nothing at the end, and the trace is there. A
# warning stays (--help says so): on a busy machine the tracing cost measured
# may pass the warning's threshold, and that line is not the summary.
start "$GS" record -q -o "$TMPD/q.gst" -- "$FAKE" 2 1.5 ">/dev/null"
shown=
for ((i = 0; i < 300; i++)); do	# until done, up to 15 s
	s=$(screen)
	grep 'gilscope record' <<<"$s" | grep -qv '^gilscope record: warning: ' &&
		shown=$(grep 'gilscope record' <<<"$s" | grep -v '^gilscope record: warning: ')
	grep -q '^DONE' <<<"$s" && break
	sleep 0.05
done
if grep -q '^DONE' <<<"$s" && [ -z "$shown" ] && grep -q '^EXIT=0' <<<"$s" &&
   "$GS" report "$TMPD/q.gst" >/dev/null 2>&1; then
	ok record_quiet
else
	not_ok record_quiet "said: '$shown'; $(grep -v '^$' <<<"$s" | paste -sd '|' -)"
fi
$T kill-server 2>/dev/null
t_exit
