#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# lesson_privileges.sh - a live lesson gives up root once its probes are
# attached, as `record` and `live` do: while `gilscope lesson threads` runs
# live (as root) its /proc/PID/status shows no effective capability, and
# under sudo (SUDO_UID=65534) it runs as that user. In the full-screen view
# (tmux, own server: the pane's process is gilscope itself) and as plain
# text. The status is read once the lesson shows it runs; waits poll with a
# timeout.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
need_root lesson_privileges || t_exit
need_cmd lesson_privileges tmux || t_exit
GS=$(realpath "$GILSCOPE")
[ -x "$(dirname "$GS")/gilrt" ] || { not_ok lesson_privileges "no gilrt next to $GS (make)"; t_exit; }
T="tmux -L gilscope-test-lessonpriv"
chmod 711 "$TMPD"
mkdir -p "$TMPD/tmp" && chown 65534:65534 "$TMPD/tmp"	# the sudo user's temp recording

# ids PID : "UID CAPEFF" of a running process
ids() { awk '/^Uid:/{u=$2} /^CapEff:/{c=$2} END{print u, c}' /proc/"$1"/status 2>/dev/null; }

# tui NAME WANT ENV... : the lesson in tmux; WANT is "UID CAPEFF" while it runs
tui() {
	local name=$1 want=$2 pid got
	shift 2
	$T kill-server 2>/dev/null
	$T new-session -d -s t -x 120 -y 40 -c "$TMPD" "exec env TMPDIR='$TMPD/tmp' $* '$GS' lesson threads"
	pid=$($T display-message -p -t t '#{pane_pid}')
	# the view's status line names the traced pid once the recording runs
	# (then LIVE, or PAUSED at the lesson's first pause)
	if wait_for '^ gilscope .*\(pid [0-9]+\)' 15; then
		got=$(ids "$pid")
		[ "$got" = "$want" ] && ok "$name" || not_ok "$name" "uid/capeff while live: '$got', want '$want'"
	else
		not_ok "$name" "the lesson did not go live: $(screen | head -n 3 | paste -sd '|')"
	fi
	$T kill-server 2>/dev/null
}

tui lesson_tui_drops_capabilities "0 0000000000000000"
tui lesson_tui_sudo_becomes_user "65534 0000000000000000" SUDO_UID=65534 SUDO_GID=65534

# plain text: the header is printed once the recording has started
"$GS" lesson threads --plain </dev/null >"$TMPD/plain.out" 2>&1 &
pid=$!
for _ in $(seq 300); do grep -q '^Live: gilrt run' "$TMPD/plain.out" && break; sleep 0.05; done
got=$(ids $pid)
kill -INT $pid 2>/dev/null
wait $pid
[ "$got" = "0 0000000000000000" ] && ok lesson_plain_drops_capabilities ||
	not_ok lesson_plain_drops_capabilities "uid/capeff while live: '$got'; $(head -c 200 "$TMPD/plain.out")"
t_exit
