#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# tests/e2e/load_churn.sh - gilscope under the heaviest load gilrt makes:
# `churn` releases and retakes the lock as fast as it can (about a million
# events a second when traced).
#  - record, 60 s (LOAD_SECONDS): the recorder's peak memory (VmHWM) stays
#    under 64 MiB; whatever was lost is counted, and the count in the file
#    (report) is the one the recorder printed; the trace reads back whole.
#  - live, in tmux: while churn runs the view keeps answering keys (the
#    help overlay opens and closes), and q exits 0 during the load.
# Waits poll with generous timeouts: this checks that the TUI answers at all
# under load, not how fast (that is `make bench`). The live churn would run
# 300 s, far longer than the waits; q leaves it running and the test stops it.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
need_root load_churn || t_exit
need_cmd load_churn tmux || t_exit
[ -x "$GILRT" ] || { not_ok load_churn "no $GILRT (make)"; t_exit; }
secs=${LOAD_SECONDS:-60}

# ---- recorder memory over a long churn run -----------------------------------
"$GILSCOPE" record -o "$TMPD/c.gst" -- "$GILRT" run churn --seconds "$secs" >/dev/null 2>"$TMPD/err" &
wait_peak $!
rc=$?
if [ $rc = 0 ] && [ "$hwm" -gt 0 ] && [ "$hwm" -lt $((64 * 1024)) ]; then
	ok "load_recorder_memory_${secs}s ($((hwm / 1024)) MiB)"
else
	not_ok "load_recorder_memory_${secs}s" "rc=$rc peak ${hwm} KiB: $(head -c 300 "$TMPD/err")"
fi
set -- $(sed -n 's/.*: \([0-9]*\) events, \([0-9]*\) lost.*/\1 \2/p' "$TMPD/err")
printed_events=${1:-x} printed_lost=${2:-x}
if "$GILSCOPE" report "$TMPD/c.gst" --json >"$TMPD/r.json" 2>"$TMPD/rerr"; then
	events=$(json_get "$TMPD/r.json" 'j["trace"]["events"]')
	lost=$(json_get "$TMPD/r.json" 'j["trace"]["lost"]')
	# the recorder's count includes its LOST marker events, as the file does
	[ "$events" = "$printed_events" ] && [ "$lost" = "$printed_lost" ] &&
		ok "load_counts_in_file ($events events, $lost lost)" ||
		not_ok load_counts_in_file "file $events/$lost, recorder said $printed_events/$printed_lost"
else
	not_ok load_counts_in_file "report: $(cat "$TMPD/rerr")"
fi

# ---- the TUI under the same load --------------------------------------------
tmux_server gilscope-load
GS=$(realpath "$GILSCOPE") RT=$(realpath "$GILRT")
$T new-session -d -s t -x 120 -y 40 -c "$TMPD" \
	"$GS live -- $RT run churn --seconds 300; echo EXIT=\$? > $TMPD/exit; sleep 60"
if wait_for 'LIVE'; then ok load_live_starts; else not_ok load_live_starts "$(screen | head -n 3)"; fi
$T send-keys -t t '?'
if wait_for 'What you see'; then ok load_live_help_opens; else not_ok load_live_help_opens "$(screen | head -n 5)"; fi
$T send-keys -t t '?'
help_closed() { ! screen | grep -q 'What you see'; }
wait_until 30 help_closed && ok load_live_help_closes || not_ok load_live_help_closes "help still shown"
screen | head -n 1 | grep -q 'LIVE' && ok load_live_still_live || not_ok load_live_still_live "$(screen | head -n 1)"
$T send-keys -t t q
exited() { [ -s "$TMPD/exit" ]; }
wait_until 30 exited
# q during the load: gilscope ends the churn it started (SIGTERM) and says so
ended=$(screen | sed -n 's/.*ended .* (pid \([0-9]*\)) with SIGTERM.*/\1/p' | head -n 1)
if grep -q 'EXIT=0' "$TMPD/exit" 2>/dev/null && [ -n "$ended" ] && ! kill -0 "$ended" 2>/dev/null; then
	ok load_live_quits
else
	not_ok load_live_quits "$(cat "$TMPD/exit" 2>/dev/null || echo 'no exit after q'), ended: '$ended': $(screen | head -n 3)"
fi
[ -n "$ended" ] && kill "$ended" 2>/dev/null
t_exit
