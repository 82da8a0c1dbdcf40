#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# live_output.sh - `gilscope live -- CMD` in a real terminal (tmux, own
# server), as root, about what the program itself did:
#  - its stdout and stderr are not lost under the view: the key line names
#    the file they go to, the closing summary names it again with the last
#    lines, and so does stderr after q; the file holds the known lines the
#    program printed (and is kept);
#  - how it ended, decoded: "exit code 3" (not 768), "killed by SIGKILL",
#    in the summary, in the event log and on stderr;
#  - a program that prints nothing leaves no file;
#  - -o onto an existing file is refused with the way out, --force replaces it;
#  - a --lock filter that matched nothing is said, in the summary and on stderr.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
need_root live_output || t_exit
need_cmd live_output tmux || t_exit
FAKE=$(realpath "$BUILD/tests/progs/fake_gilrt") MC=$(realpath "$BUILD/tests/progs/mutex_count")
GS=$(realpath "$GILSCOPE")
tmux_server gilscope-live-output
export TMPDIR=$TMPD	# the output files go here: nothing is left behind
OUT="$TMPD/gilscope-output-[A-Za-z0-9]{6}"

start() { # CMD...: in $TMPD; then its exit status and DONE
	$T kill-session -t t 2>/dev/null
	$T new-session -d -s t -x 160 -y 50 -c "$TMPD" -e TMPDIR="$TMPD" \
		"$*; echo EXIT=\$?; echo DONE; sleep 60"
}
# the whole pane, lines joined where the view wrapped them does not matter:
# the summary is drawn as words in a panel, so look for words
pane_has() { screen | tr -s ' ' | grep -Eq -- "$1"; }
wait_pane() { # REGEX SECONDS
	local i
	for ((i = 0; i < $2 * 20; i++)); do pane_has "$1" && return 0; sleep 0.05; done
	return 1
}

# exit code 3, and what the program printed
start "$GS" live -- "$FAKE" 2 1.5 3
if wait_pane "the program's output goes to $OUT" 10; then ok live_output_named_at_start
else not_ok live_output_named_at_start "$(screen | tail -n 2)"; fi
if wait_pane 'the program has exited' 15 && wait_pane 'The program ended \(exit code 3\)' 2; then
	ok live_exit_code_summary
else
	not_ok live_exit_code_summary "$(screen | grep -A2 'has exited')"
fi
pane_has 'fake_gilrt exits with code 3' && ok live_exit_code_event_log ||
	not_ok live_exit_code_event_log "$(screen | grep exits)"
path=$(screen | grep -Eo "Its output \([0-9]+ bytes\) is in $OUT" | grep -Eo "$OUT" | head -n 1)
if [ -n "$path" ] && grep -qx 'fake_gilrt: ending with 3' "$path" && [ "$(grep -c '^acq ' "$path")" = 2 ] &&
   pane_has '^ *fake_gilrt: ending with 3 *$'; then
	ok live_output_in_file
else
	not_ok live_output_in_file "path '$path': $(cat "$path" 2>/dev/null | paste -sd '|' -)"
fi
$T send-keys -t t q
if wait_pane '^DONE' 10 && pane_has '^gilscope live: the program ended: exit code 3' &&
   pane_has "^gilscope live: the program's output \([0-9]+ bytes\) is in $path\$" && pane_has '^EXIT=0' &&
   [ -s "$path" ]; then
	ok live_output_said_at_exit
else
	not_ok live_output_said_at_exit "$(screen | grep -v '^$' | tail -n 5 | paste -sd '|' -)"
fi

# killed by a signal
start "$GS" live -- "$FAKE" 1 0.5 -9
if wait_pane 'The program ended \(killed by SIGKILL\)' 15; then ok live_killed_summary
else not_ok live_killed_summary "$(screen | grep -A2 'has exited')"; fi
$T send-keys -t t q
if wait_pane '^DONE' 10 && pane_has '^gilscope live: the program ended: killed by SIGKILL'; then
	ok live_killed_said_at_exit
else
	not_ok live_killed_said_at_exit "$(screen | grep -v '^$' | tail -n 4 | paste -sd '|' -)"
fi

# a program that prints nothing: no file left, and the summary says so
rm -f "$TMPD"/gilscope-output-*
start "$GS" live --lock "$MC:pthread_mutex_lock:pthread_mutex_unlock:arg0" -- /bin/sh -c "'$MC 2 200 10 >/dev/null'"
if wait_pane 'It printed nothing' 15; then ok live_output_nothing_summary
else not_ok live_output_nothing_summary "$(screen | grep -A6 'has exited')"; fi
$T send-keys -t t q
wait_pane '^DONE' 10
left=$(ls "$TMPD"/gilscope-output-* 2>/dev/null)
[ -z "$left" ] && ! pane_has "program's output" && ok live_output_nothing_removed ||
	not_ok live_output_nothing_removed "left: $left"

# -o onto an existing file: refused with the way out; --force replaces it
echo old >"$TMPD/exists.gst"
start "$GS" live -o "$TMPD/exists.gst" -- "$FAKE" 1 0.3
if wait_pane '^DONE' 10 && pane_has "^gilscope live: $TMPD/exists.gst exists; use --force to overwrite it" &&
   pane_has '^EXIT=1' && [ "$(cat "$TMPD/exists.gst")" = old ]; then
	ok live_output_exists_refused
else
	not_ok live_output_exists_refused "$(screen | grep -v '^$' | tail -n 3 | paste -sd '|' -)"
fi
start "$GS" live --force -o "$TMPD/exists.gst" -- "$FAKE" 1 0.3
wait_pane 'the program has exited' 15
$T send-keys -t t q
if wait_pane '^DONE' 10 && pane_has '^EXIT=0' && "$GS" report "$TMPD/exists.gst" >/dev/null 2>&1; then
	ok live_force_replaces
else
	not_ok live_force_replaces "$(screen | grep -v '^$' | tail -n 3 | paste -sd '|' -)"
fi

# a lock filter that never matched
start "$GS" live --lock "$MC:pthread_mutex_lock:pthread_mutex_unlock:arg0=0x1234" -- "$MC" 2 100 10
if wait_pane 'Warning: the lock filter matched nothing' 15; then ok live_lock_never_taken_summary
else not_ok live_lock_never_taken_summary "$(screen | grep -A6 'has exited')"; fi
$T send-keys -t t q
if wait_pane '^DONE' 10 &&
   pane_has '^gilscope live: warning: the lock filter matched nothing: the program never took lock 0x1234'; then
	ok live_lock_never_taken_at_exit
else
	not_ok live_lock_never_taken_at_exit "$(screen | grep -v '^$' | tail -n 4 | paste -sd '|' -)"
fi
$T kill-server 2>/dev/null
t_exit
