#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# tests/e2e/top_tmux.sh - `gilscope top` in a real terminal (tmux, its own
# server), as root. Two Python programs started after top both appear with
# sensible numbers: "busy" (two CPU-bound threads: the GIL is held about all
# the time, >= 90 %) and "light" (one thread busy 5 ms of every 25 ms by
# the clock: about 20 %, between 5 and 70 % on a loaded machine); a
# stripped interpreter is listed as "not traceable: stripped"; sorting by
# pid and by held puts them in order; the filter (by a thread's Python
# name) keeps only the program with that thread and Esc brings the others
# back; t shows the threads by name; the function column names where the
# GIL is held (busy's row "mostly in spin", its threads' "spin", light's
# "mostly in light"); when "light" exits its row goes; q
# exits 0 and gives the terminal back. Waits poll the pane, bounded (30-60 s)
# only against a hang: an ASan build on a busy machine is slow to start.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
need_root top_tmux || t_exit
need_cmd top_tmux tmux || t_exit
PY=${GS_TEST_PYTHON:-/root/.pyenv/versions/3.11.7/bin/python3.11}
need_cmd top_tmux "$PY" || t_exit
T="tmux -L gilscope-top-test"
$T kill-server 2>/dev/null
$T new-session -d -s keep "sleep 600"
GS=$(realpath "$GILSCOPE")

cat >"$TMPD/light.py" <<'PYEOF'
import threading, time
def light():
    while True:
        end = time.monotonic() + 0.005
        while time.monotonic() < end:
            pass
        time.sleep(0.02)
threading.Thread(target=light, name="light-worker", daemon=True).start()
time.sleep(600)
PYEOF

# row PID: the process row of PID (its first column), or nothing
row() { screen | awk -v p="$1" '$1 == p && $2 !~ /^[|`]-/ { print; exit }'; }
# held PID: its HELD% column as an integer ("-" while not rated yet)
held() { row "$1" | awk '{ v = $4; if (v == "-") print "-"; else printf "%d\n", v }'; }
# wait_row PID SECONDS: until the row of PID shows a HELD% number
wait_rated() {
	local i
	for ((i = 0; i < $2 * 20; i++)); do
		case $(held "$1") in [0-9]*) return 0 ;; esac
		sleep 0.05
	done
	return 1
}
# line_of PID: which line of the pane holds its process row
line_of() { screen | awk -v p="$1" '$1 == p && $2 !~ /^[|`]-/ { print NR; exit }'; }
# poll SECONDS CMD...: until CMD succeeds (the view redraws after a key)
poll() {
	local i n=$(($1 * 20)); shift
	for ((i = 0; i < n; i++)); do "$@" && return 0; sleep 0.05; done
	return 1
}
# before A B: A's row is above B's
before() {
	local a b
	a=$(line_of "$1") b=$(line_of "$2")
	[ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ]
}
# sensible: busy holds >= 90 %, light 5..70 %
sensible() {
	hb=$(held "$busy") hl=$(held "$light")
	[ "$hb" != - ] && [ "$hl" != - ] && [ "$hb" -ge 90 ] && [ "$hl" -ge 5 ] && [ "$hl" -le 70 ]
}

$T new-session -d -s t -x 130 -y 40 -c "$TMPD" \
	"stty -g > $TMPD/tty.before; $GS top --ascii; echo EXIT=\$? > $TMPD/exit; stty -g > $TMPD/tty.after; echo DONE; sleep 60"
if wait_for '^gilscope top' 30; then ok top_starts; else not_ok top_starts "$(screen | head -n 3)"; fi

# two programs started after top
"$PY" tests/progs/py_spin.py busy &
busy=$!
"$PY" "$TMPD/light.py" &
light=$!
strip=
if [ -x /usr/bin/python3.11 ] && ! readelf -S /usr/bin/python3.11 | grep -q '\.symtab'; then
	/usr/bin/python3.11 -c 'import time; time.sleep(600)' &
	strip=$!
fi
if wait_rated "$busy" 60 && wait_rated "$light" 60; then
	# the first rates may cover a part of the interval only: a few refreshes
	if poll 30 sensible; then
		ok "top_programs_appear # busy held $hb %, light held $hl %"
	else
		not_ok top_programs_appear "busy held $hb %, light $hl %: $(row "$busy") / $(row "$light")"
	fi
else
	not_ok top_programs_appear "busy '$(row "$busy")', light '$(row "$light")'"
fi
if [ -n "$strip" ]; then
	if wait_for "^ *$strip +python3.11 .*not traceable: stripped" 60; then ok top_stripped
	else not_ok top_stripped "$(row "$strip")"; fi
fi

# sort by pid (busy started first), then by held (busy holds more)
$T send-keys -t t p
poll 30 before "$busy" "$light" && wait_for '\^PID' 30 &&
	ok top_sort_pid || not_ok top_sort_pid "$(screen | head -n 6)"
$T send-keys -t t p	# again: the other way
wait_for 'vPID' 30 && poll 30 before "$light" "$busy" && ok top_sort_pid_reversed ||
	not_ok top_sort_pid_reversed "$(screen | head -n 6)"
$T send-keys -t t h
wait_for 'vHELD%' 30 && poll 30 before "$busy" "$light" && ok top_sort_held ||
	not_ok top_sort_held "$(screen | head -n 6)"

# the filter, by a thread's Python name
$T send-keys -t t / l i g h t - w
$T send-keys -t t Enter
if wait_for 'filter: light-w' 30 && wait_for "light-worker" 30 && [ -n "$(row "$light")" ] &&
   [ -z "$(row "$busy")" ]; then
	ok top_filter
else
	not_ok top_filter "$(screen | head -n 6)"
fi
$T send-keys -t t Escape
both() { [ -n "$(row "$busy")" ] && [ -n "$(row "$light")" ]; }
poll 30 both && ok top_filter_cleared || not_ok top_filter_cleared "$(screen | head -n 6)"

# every thread, by name
$T send-keys -t t t
if wait_for '[|`]- busy-0' 30 && wait_for '[|`]- busy-1' 30; then ok top_threads
else not_ok top_threads "$(screen | head -n 10)"; fi

# the function holding the GIL most: busy's threads spin in spin(), light's
# in light() (a hold belongs to the function running as it ends)
if wait_for "^ *$busy +python3.11 .* mostly in spin *\$" 60 &&
   wait_for '[|`]- busy-0 .* spin *$' 30 && wait_for "^ *$light +python3.11 .* mostly in light *\$" 30; then
	ok top_function
else
	not_ok top_function "$(row "$busy") / $(row "$light") / $(screen | grep -- '- busy-0')"
fi

# light exits: its row goes
kill "$light"
wait "$light" 2>/dev/null
no_light() { [ -z "$(row "$light")" ]; }
poll 30 no_light && [ -n "$(row "$busy")" ] && ok top_exit_disappears ||
	not_ok top_exit_disappears "still: $(row "$light")"

$T send-keys -t t q
if wait_for '^DONE' 30 && grep -q '^EXIT=0$' "$TMPD/exit" && cmp -s "$TMPD/tty.before" "$TMPD/tty.after"; then
	ok top_quit
else
	not_ok top_quit "$(cat "$TMPD/exit" 2>/dev/null) $(screen | tail -n 3)"
fi
kill "$busy" $strip 2>/dev/null
wait 2>/dev/null
$T kill-server 2>/dev/null
t_exit
