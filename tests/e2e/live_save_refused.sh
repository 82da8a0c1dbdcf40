#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# tests/e2e/live_save_refused.sh - `s` in `live` where it cannot write: as
# plain root (no sudo) in a directory owned by another user, gilscope has
# dropped its privileges once attached, so the copy cannot be made there. It
# says so on the status line, naming where the recording stays, and at quit
# that recording is kept (it was deleted, and the recording lost) and reads
# as a whole trace. Waits poll the pane (a bound for a hang, not a speed check).
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
need_cmd live_save_refused tmux || t_exit
need_root live_save_refused || t_exit
GS=$PWD/$GILSCOPE RT=$PWD/$GILRT
tmux_server gilscope-saveref
mkdir "$TMPD/theirs" && chown nobody "$TMPD/theirs" && chmod 755 "$TMPD/theirs"
chmod 755 "$TMPD"
$T new-session -d -s t -x 120 -y 40 -c "$TMPD/theirs" \
	"env -u SUDO_UID -u SUDO_GID -u SUDO_USER $GS live -- $RT run cpu --threads 2 --seconds 3 2>$TMPD/live.err; echo EXIT=\$? > $TMPD/exit; echo DONE; sleep 60"
wait_for 'LIVE' && wait_for '^LOCK +.*[A-Z]'
$T send-keys -t t s
if wait_for 'could not save: .*; the recording stays in ' 30; then
	ok live_save_refused_said
else
	not_ok live_save_refused_said "$(screen | tail -n 2 | paste -sd '|' -)"
fi
[ -n "$(ls -A "$TMPD/theirs")" ] && not_ok live_save_refused_nothing_there "$(ls -A "$TMPD/theirs")"
wait_for 'ended|exited' 60 >/dev/null
$T send-keys -t t q
wait_for '^DONE'
# the closing lines name the file kept (the status line may cut it)
kept=$(grep -Eo 'saved to /[^ ;]+' "$TMPD/live.err" | head -n 1)
kept=${kept#saved to }
if wait_for '^DONE' && grep -q '^EXIT=0$' "$TMPD/exit" && [ -n "$kept" ] && [ -f "$kept" ] && [ "$(stat -c %U "$kept")" = root ] &&
   "$GS" report --json "$kept" > "$TMPD/r.json" 2>"$TMPD/r.err" &&
   [ "$(json_get "$TMPD/r.json" 'len([t for t in j["threads"] if t.get("name","").startswith("worker")])')" = 2 ]; then
	ok live_save_refused_kept
else
	not_ok live_save_refused_kept "exit $(cat "$TMPD/exit" 2>/dev/null); kept '$kept' $( [ -f "$kept" ] && [ "$(stat -c %U "$kept")" = root ] && echo exists || echo missing); $(cat "$TMPD/r.err" 2>/dev/null)"
fi
[ -n "$kept" ] && rm -f "$kept"
$T kill-server 2>/dev/null
t_exit
