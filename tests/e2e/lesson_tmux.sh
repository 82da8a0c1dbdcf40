#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# lesson_tmux.sh - every lesson runs to its end in a real terminal (tmux),
# as a person would: space at each "space: go on", q at the closing table.
#  - replay, as a NON-root user (nobody via runuser when we are root): no
#    privileges needed, the shipped trace plays, the table is reached, q
#    exits 0 and the table stays printed on the normal screen;
#  - live, as root: the lesson's gilrt scenario runs under the recorder.
# The pane is polled (short steps, a deadline per lesson), never waited on
# with a fixed sleep.
#   LESSONS="threads procs" bash tests/e2e/lesson_tmux.sh   (a subset)
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
need_cmd lesson_tmux tmux || t_exit
GS=$(pwd)/$GILSCOPE
LESSONS=${LESSONS:-$("$GS" lesson --list | awk '{ print $2 }')}
TDIR=$TMPD/tmux
chmod 711 "$TMPD"
mkdir -p "$TDIR" && chmod 1777 "$TDIR"
AS=()
GS_USER=$GS
if [ "$(id -u)" = 0 ]; then
	if command -v runuser >/dev/null; then
		AS=(runuser -u nobody --)
	else
		AS=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	fi
	GS_USER=$(stage_unprivileged "$TDIR/stage")
fi

# drive AS_USER NAME SOCKET TIMEOUT CMD... : run CMD in a 120x40 tmux and
# play the lesson to its end. Sets $pane (last capture) and $why (failure).
# With SAVE=1 it presses s at the closing table and quits once it is saved;
# CWD= is where CMD runs.
drive() {
	local who=$1 name=$2 sock=$3 limit=$4
	shift 4
	local -a run=()
	[ "$who" = user ] && run=("${AS[@]}")
	# tmux runs the pane's command with $SHELL, else the user's login shell:
	# nobody's is nologin, and CI may give us no SHELL at all
	tm() { "${run[@]}" env SHELL=/bin/sh tmux -S "$sock" "$@"; }
	# the shell prints the exit status, then keeps the pane open
	tm -f /dev/null new-session -d -s L -x 120 -y 40 -c "${CWD:-$PWD}" \
		"$* ; echo LESSON_EXIT=\$? ; exec cat" || { why="tmux did not start"; return 1; }
	local deadline=$((SECONDS + limit)) pressed='' table=0 step asked=
	why=
	while :; do
		pane=$(tm capture-pane -p -t L 2>/dev/null)
		case $pane in *LESSON_EXIT=*) break ;; esac
		if [ $SECONDS -ge $deadline ]; then
			why="no end after ${limit}s; last screen: $(echo "$pane" | grep -E 'step [0-9]+ of|What this' | head -n 1)"
			break
		fi
		if echo "$pane" | grep -q 'What this run measured (q: quit)'; then
			table=1
			if [ -n "${SAVE:-}" ] && [ -z "$asked" ]; then
				tm send-keys -t L s
				asked=1
			elif [ -z "${SAVE:-}" ] || echo "$pane" | grep -q 'saved to gilscope-'; then
				tm send-keys -t L q
			fi
		elif echo "$pane" | grep -q 'space: go on'; then
			step=$(echo "$pane" | grep -o 'step [0-9]* of [0-9]*' | head -n 1)
			# once per step: a second space would pause the replay itself
			if [ "$step" != "$pressed" ]; then
				tm send-keys -t L ' '
				pressed=$step
			fi
		fi
		sleep 0.1
	done
	tm kill-server 2>/dev/null
	[ -z "$why" ] || return 1
	[ $table = 1 ] || { why="never showed the closing table; the end: $(echo "$pane" | grep -v '^$' | tail -n 3 | paste -sd '|' -)"; return 1; }
	echo "$pane" | grep -q 'LESSON_EXIT=0' || { why="exit: $(echo "$pane" | grep -o 'LESSON_EXIT=[0-9]*')"; return 1; }
	# the terminal is back to normal and the table stays printed on it
	echo "$pane" | grep -q "^Lesson $name: " && echo "$pane" | grep -q '^  cores busy on average' ||
		{ why="closing table not printed after quitting"; return 1; }
	return 0
}

# replay, as a user without privileges
for name in $LESSONS; do
	sock=$TDIR/replay-$name
	if drive user "$name" "$sock" 60 "$GS_USER" lesson "$name" --replay --speed 5; then
		ok "lesson_replay_$name${AS:+ (as nobody)}"
	else
		not_ok "lesson_replay_$name" "$why"
	fi
done

# live, as root
if need_root lesson_live; then
	for name in $LESSONS; do
		sock=$TDIR/live-$name
		if drive root "$name" "$sock" 60 "$GS" lesson "$name"; then
			if echo "$pane" | grep -q "^Live run: .*gilrt run "; then
				ok "lesson_live_$name"
			else
				not_ok "lesson_live_$name" "the table does not say it was a live run"
			fi
		else
			not_ok "lesson_live_$name" "$why"
		fi
	done
	# s saves what the class saw: a trace of the run, the sudo user's, and
	# the temp recording is gone at the end
	name=$(echo $LESSONS | cut -d" " -f1)	# the first lesson (the list may be one a line)
	mkdir -p "$TDIR/save" "$TDIR/tmp"
	chown 65534:65534 "$TDIR/save" "$TDIR/tmp"	# under sudo files are made as the user
	if SAVE=1 CWD=$TDIR/save drive root "$name" "$TDIR/live-save" 60 \
		TMPDIR="$TDIR/tmp" SUDO_UID=65534 SUDO_GID=65534 "$GS" lesson "$name"; then
		saved=$(ls "$TDIR"/save/gilscope-*.gst 2>/dev/null | head -n 1)
		if [ -z "$saved" ]; then
			not_ok lesson_live_save "no gilscope-*.gst in $TDIR/save"
		elif ! echo "$pane" | grep -q "^Saved to $(basename "$saved")"; then
			not_ok lesson_live_save "the table does not say where: $(echo "$pane" | grep -i saved)"
		elif [ "$(stat -c %u:%g "$saved")" != 65534:65534 ]; then
			not_ok lesson_live_save "owned by $(stat -c %u:%g "$saved"), not SUDO_UID"
		elif ! "$GS" report --json "$saved" > "$TDIR/save.json" 2>"$TDIR/save.err"; then
			not_ok lesson_live_save "report: $(head -n 1 "$TDIR/save.err")"
		elif [ "$(json_get "$TDIR/save.json" 'j["trace"]["events"] > 0 and "gilrt run" in j["trace"]["command"]')" != True ]; then
			not_ok lesson_live_save "not the lesson's run: $(json_get "$TDIR/save.json" 'j["trace"]')"
		elif [ -n "$(ls "$TDIR/tmp")" ]; then
			not_ok lesson_live_save "left in TMPDIR: $(ls "$TDIR/tmp")"
		else
			ok lesson_live_save
		fi
	else
		not_ok lesson_live_save "$why"
	fi
fi
t_exit
