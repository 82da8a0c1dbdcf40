#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# lesson_tmux.sh - every lesson runs to its end in a real terminal (tmux),
# as a person would: space at each "space: go on", q at the closing table.
#  - replay, as a NON-root user (nobody via runuser when we are root): no
#    privileges needed, the shipped trace plays, the table is reached, q
#    exits 0 and the table stays printed on the normal screen;
#  - live, as root: the lesson's gilrt scenario runs under the recorder.
#  - the same for every CPython form (--python): its shipped trace replayed
#    as nobody; live as root, the script under python3.11-dbg, with its
#    Python thread names in the table, and the claims met by that live run
#    (a claim missed is judged again as tests/lib.sh on_two_cores says: a
#    busy machine cannot give the cores a claim is about);
#  - the Python 2.7 form (py2: legacy): its shipped trace replayed as nobody
#    (no interpreter needed); live as root under a pyenv 2.7 with its
#    workers named in the table and its claims met (as above), or "skip
#    NAME: no python2.7" where there is none;
#  - a script that fails: its error in the panel, exit 1, the terminal back.
# The pane is polled (short steps, a deadline per lesson), never waited on
# with a fixed sleep.
#   LESSONS="threads procs" bash tests/e2e/lesson_tmux.sh   (a subset)
#   PYLESSONS="threads" ...                                  (CPython forms)
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
need_cmd lesson_tmux tmux || t_exit
GS=$(pwd)/$GILSCOPE
LESSONS=${LESSONS:-$("$GS" lesson --list | awk '/^ *[0-9]/ { print $2 }')}
PYLESSONS=${PYLESSONS:-$("$GS" lesson --list | awk '$3 == "py3" { print $2 }')}
PY2LESSONS=${PY2LESSONS:-$("$GS" lesson --list | awk '$3 == "py2" { print $2 }')}
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
		# gilrt's own output (lesson 1's point: its CORRUPTION verdict) is kept
		# beside the saved trace, the user's too, and its replay shows it
		out=$(ls "$TDIR"/save/gilscope-*.gst.txt 2>/dev/null | head -n 1)
		verdict=$(grep -v '^ *$' "$out" 2>/dev/null | tail -n 1 | cut -c1-40)
		if [ -z "$out" ] || [ "$out" != "$saved.txt" ]; then
			not_ok lesson_live_save_output "no $(basename "$saved").txt: $(ls "$TDIR/save")"
		elif [ "$(stat -c %u:%g "$out")" != 65534:65534 ] || ! grep -q '^gilrt ' "$out" ||
			[ -z "$verdict" ]; then
			not_ok lesson_live_save_output "$(stat -c %u:%g "$out"): $(head -n 3 "$out")"
		elif ! "$GS" lesson "$name" --trace "$saved" --plain </dev/null > "$TDIR/save.replay" 2>&1 ||
			! sed -n '/^gilrt said when this trace was recorded:/,$p' "$TDIR/save.replay" |
				grep -qF -- "$verdict"; then
			not_ok lesson_live_save_output "the replay does not show '$verdict': $(tail -n 4 "$TDIR/save.replay")"
		else
			ok lesson_live_save_output
		fi
	else
		not_ok lesson_live_save "$why"
	fi

	# live, the view moves between the pauses: it stops at a step's moment,
	# and after space goes on from there (the program ran on meanwhile) to
	# the next one, which it stops at too
	sock=$TDIR/live-moves
	tm() { env SHELL=/bin/sh tmux -S "$sock" "$@"; }
	st() { tm capture-pane -p -t L 2>/dev/null | head -n 1; }
	until_st() { # REGEX SECONDS
		local i
		for ((i = 0; i < $2 * 20; i++)); do st | grep -Eq -- "$1" && return 0; sleep 0.05; done
		return 1
	}
	tm -f /dev/null new-session -d -s L -x 120 -y 40 "$GS lesson threads; exec cat"
	if ! until_st 'PAUSED +t=0\.0500 s' 20; then
		not_ok lesson_live_view_moves "first pause: $(st)"
	else
		tm send-keys -t L ' '	# step 2: its drop request came before 0.05 s
		sleep 0.3
		tm send-keys -t L ' '	# on to step 3, at 0.6 s
		seen=
		for ((i = 0; i < 200; i++)); do
			s=$(st)
			echo "$s" | grep -Eq 'PLAYING|CATCHING UP' && seen=$(echo "$s" | grep -Eo 't=[0-9.]+ s')
			echo "$s" | grep -Eq 'PAUSED +t=0\.6000 s' && break
			sleep 0.02
		done
		if [ -n "$seen" ] && st | grep -Eq 'PAUSED +t=0\.6000 s' &&
			tm capture-pane -p -t L | grep -q 'step 3 of 4'; then
			ok lesson_live_view_moves
		else
			not_ok lesson_live_view_moves "moving: '$seen', then: $(st)"
		fi
	fi
	tm kill-server 2>/dev/null
fi

# the CPython forms: the shipped trace replayed as nobody
for name in $PYLESSONS; do
	sock=$TDIR/pyreplay-$name
	if drive user "$name" "$sock" 60 "$GS_USER" lesson "$name" --python --replay --speed 5; then
		ok "lesson_python_replay_$name${AS:+ (as nobody)}"
	else
		not_ok "lesson_python_replay_$name" "$why"
	fi
done

# the Python 2 forms: replayed as nobody (the trace needs no interpreter)
for name in $PY2LESSONS; do
	sock=$TDIR/py2replay-$name
	if drive user "$name" "$sock" 60 "$GS_USER" lesson "$name" --python --replay --speed 5; then
		if echo "$pane" | grep -q '^  worker-1 ' && echo "$pane" | grep -q '^  tracing cost '; then
			ok "lesson_python2_replay_$name${AS:+ (as nobody)}"
		else
			not_ok "lesson_python2_replay_$name" "no worker-1 or tracing cost row: $(echo "$pane" | grep -A4 'What this' | paste -sd '|' -)"
		fi
	else
		not_ok "lesson_python2_replay_$name" "$why"
	fi
done

# claims_of_plain NAME [ARGS] : one plain live run of the CPython form; 0 if
# every claim said yes ($seen: the NO lines)
claims_of_plain() {
	"$GS" lesson "$@" --python --plain </dev/null >"$TDIR/plain-$1" 2>&1
	seen=$(grep -E '^  expected .* (yes|NO)$' "$TDIR/plain-$1" | grep ' NO$' | paste -sd ';' -)
	grep -q '^  expected .* yes$' "$TDIR/plain-$1" && [ -z "$seen" ]
}
# live_python KIND NAME INTERP ROW WHY [ARGS]: lesson NAME's CPython form live
# in tmux (gilscope lesson NAME --python ARGS), as root: ok
# lesson_KIND_live_NAME if the table says INTERP ran the script and has a row
# "  ROW " (WHY if not), then lesson_KIND_live_claims_NAME if the claims held
# (a miss is judged again on a free machine, by plain runs)
live_python() {
	local kind=$1 name=$2 interp=$3 row=$4 rowwhy=$5 nos
	shift 5
	if ! drive root "$name" "$TDIR/${kind}live-$name" 90 "$GS" lesson "$name" --python "$@"; then
		not_ok "lesson_${kind}_live_$name" "$why"
		return
	fi
	if ! echo "$pane" | grep -q "^Live run: $interp .*/lessons/py/"; then
		not_ok "lesson_${kind}_live_$name" "the table does not say it ran the script: $(echo "$pane" | grep '^Live run')"
		return
	elif ! echo "$pane" | grep -q "^  $row "; then
		not_ok "lesson_${kind}_live_$name" "$rowwhy"
		return
	fi
	ok "lesson_${kind}_live_$name"
	# the claims, met by this very run; a miss is judged on a free machine
	nos=$(echo "$pane" | grep -E '^  expected .* NO$' | paste -sd ';' -)
	if [ -z "$nos" ] && echo "$pane" | grep -q '^  expected .* yes$'; then
		ok "lesson_${kind}_live_claims_$name"
	else
		echo "# lesson_${kind}_live_claims_$name: the tmux run missed: $nos"
		on_two_cores "lesson_${kind}_live_claims_$name" 3 claims_of_plain "$name" "$@"
	fi
}
if need_root lesson_live_python && need_cmd lesson_live_python python3.11-dbg; then
	for name in $PYLESSONS; do
		live_python python "$name" python3.11-dbg MainThread "no Python thread names in the table"
	done

	# a script that fails: its error in the panel, the table, exit 1
	mkdir -p "$TDIR/fails/lessons/py"
	printf '%s\n' 'title Fails' 'about a' 'run cpu' 'trace x.gst' 'step end' '  x' 'python fails.py' \
		'python_trace y.gst' 'python_step at 5 pause' '  never' 'python_step end pause' '  bye' \
		>"$TDIR/fails/lessons/01-fails.lesson"
	printf 'print("about to divide")\n1 / 0\n' >"$TDIR/fails/lessons/py/fails.py"
	sock=$TDIR/pyfails
	tm() { env SHELL=/bin/sh tmux -S "$sock" "$@"; }
	tm -f /dev/null new-session -d -s L -x 120 -y 40 \
		"$GS lesson fails --python --data $TDIR/fails; echo LESSON_EXIT=\$?; exec cat"
	for ((i = 0; i < 200; i++)); do tm capture-pane -p -t L | grep -q 'The program failed (q: quit)' && break; sleep 0.05; done
	panel=$(tm capture-pane -p -t L)
	tm send-keys -t L q
	for ((i = 0; i < 100; i++)); do tm capture-pane -p -t L | grep -q 'LESSON_EXIT=' && break; sleep 0.05; done
	pane=$(tm capture-pane -p -S -60 -t L)
	tm kill-server 2>/dev/null
	if echo "$panel" | grep -q '^  ZeroDivisionError: division by zero' &&
		echo "$panel" | grep -q 'then the program failed (exit status 1)' &&
		! echo "$panel" | grep -q 'never' && echo "$pane" | grep -q 'LESSON_EXIT=1' &&
		echo "$pane" | grep -q '^ZeroDivisionError: division by zero'; then
		ok lesson_python_script_fails
	else
		not_ok lesson_python_script_fails "panel: $(echo "$panel" | grep -A3 'failed' | paste -sd '|' -); end: $(echo "$pane" | grep -v '^$' | tail -n 3 | paste -sd '|' -)"
	fi
fi

# the Python 2 forms live, as root, under a pyenv Python 2.7
if [ -n "$PY2LESSONS" ] && need_root lesson_python2_live && need_python2 lesson_python2_live; then
	for name in $PY2LESSONS; do
		live_python python2 "$name" "$PY2" worker-1 "no worker-1 row in the table" \
			--interpreter "$PY2"
	done
fi

# a replay: the first pause comes at its step's moment, not a window later;
# paused, the view costs no CPU; quit there, the table says the run was cut
# short and judges no claim, and gilrt's lines are said to be of the whole run
sock=$TDIR/replay-quit
tm() { "${AS[@]}" env SHELL=/bin/sh tmux -S "$sock" "$@"; }
tm -f /dev/null new-session -d -s L -x 120 -y 40 "$GS_USER lesson threads --replay; echo LESSON_EXIT=\$?; exec cat"
for ((i = 0; i < 200; i++)); do tm capture-pane -p -t L | grep -q 'space: go on' && break; sleep 0.05; done
pane=$(tm capture-pane -p -t L)
echo "$pane" | head -n 1 | grep -Eq 'PAUSED +t=0\.0500 s' && ok lesson_replay_first_pause_on_time ||
	not_ok lesson_replay_first_pause_on_time "$(echo "$pane" | head -n 1)"
pid=$(pgrep -f "^$GS_USER lesson threads --replay\$" | head -n 1)
if [ -n "$pid" ]; then
	a=$(awk '{ print $14 + $15 }' /proc/"$pid"/stat); sleep 4; b=$(awk '{ print $14 + $15 }' /proc/"$pid"/stat)
	# 4 s at 100 ticks/s: a redraw every 30 ms (or a 40 ms timer) costs several
	[ $((b - a)) -le 1 ] && ok lesson_replay_idle_paused ||
		not_ok lesson_replay_idle_paused "$((b - a)) ticks of CPU in 4 s, paused"
else
	not_ok lesson_replay_idle_paused "no process"
fi
tm send-keys -t L q
for ((i = 0; i < 100; i++)); do tm capture-pane -p -t L | grep -q 'LESSON_EXIT=' && break; sleep 0.05; done
pane=$(tm capture-pane -p -S -60 -t L)
if echo "$pane" | grep -q 'LESSON_EXIT=0' && echo "$pane" | grep -q 'quit at 0\.05 s of 2\.0[0-9] s' &&
	echo "$pane" | grep -q 'not judged (cut short)' && ! echo "$pane" | grep -Eq ' (NO|yes)$' &&
	echo "$pane" | grep -q '^gilrt said when this trace was recorded (of the whole run'; then
	ok lesson_replay_quit_early
else
	not_ok lesson_replay_quit_early "$(echo "$pane" | grep -v '^$' | tail -n 8 | paste -sd '|' -)"
fi
tm kill-server 2>/dev/null
t_exit
