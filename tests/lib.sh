# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# tests/lib.sh - helpers for shell tests. Source it; each check prints one
# TAP-like line ("ok NAME", "not ok NAME: why", "skip NAME: why") that
# tests/run.sh counts. BUILD (build or build/san) picks the binaries.
BUILD=${BUILD:-build}
GILSCOPE=${GILSCOPE:-$BUILD/gilscope}
GILRT=${GILRT:-$BUILD/gilrt}
TMPD=$(mktemp -d /tmp/gilscope-test.XXXXXX)
trap 'rm -rf "$TMPD"' EXIT
_t_failed=0

ok() { echo "ok $1"; }
not_ok() { echo "not ok $1: $2"; _t_failed=1; }
# check NAME CMD... : ok if CMD succeeds
check() { local n=$1; shift; if "$@"; then ok "$n"; else not_ok "$n" "command failed: $*"; fi; }
# need_root NAME : true if we may run root/BPF tests; skip outside CI, fail in CI
need_root() {
	if [ "$(id -u)" = 0 ]; then return 0; fi
	if [ "${CI:-}" = true ]; then not_ok "$1" "needs root (CI=true: cannot skip)"; else echo "skip $1: needs root"; fi
	return 1
}
# need_cmd NAME CMD : like need_root, for a tool that make deps installs
need_cmd() {
	if command -v "$2" >/dev/null 2>&1; then return 0; fi
	if [ "${CI:-}" = true ]; then not_ok "$1" "$2 not installed (run make deps)"; else echo "skip $1: $2 not installed"; fi
	return 1
}
# need_python2 NAME : true, with PY2 set to a Python 2.7 (pyenv's, or
# $PYTHON2), if there is one; else "skip NAME: no python2.7". Debian 12 has
# no Python 2.7 package, so a machine without a pyenv build cannot run these
# tests at all: this is the one skip that stays a skip under CI=true.
need_python2() {
	local root v
	PY2=${PYTHON2:-}
	if [ -z "$PY2" ]; then
		root=${PYENV_ROOT:-$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")}
		for v in "$root"/versions/2.7*/bin/python2.7; do [ -x "$v" ] && PY2=$v; done
	fi
	[ -n "$PY2" ] && [ -x "$PY2" ] && return 0
	echo "skip $1: no python2.7"
	return 1
}
# json_get FILE EXPR : print a value from a JSON file, EXPR is Python on `j`
json_get() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }
t_exit() { exit $_t_failed; }
# said_one_line RC WANT FILE PATTERN : a command that exited RC was to exit
# WANT and say one line (in FILE, its stderr) matching PATTERN (grep)
said_one_line() { [ "$1" = "$2" ] && [ "$(wc -l <"$3")" = 1 ] && grep -q -- "$4" "$3"; }
# wait_peak PID: wait for PID (a child of this shell) to exit, keeping its
# peak memory (VmHWM, KiB) in $hwm; returns its exit status
wait_peak() {
	hwm=0
	local h
	while kill -0 "$1" 2>/dev/null; do	# VmHWM is the peak so far: keep the last
		h=$(awk '/^VmHWM/{print $2}' /proc/"$1"/status 2>/dev/null)
		[ -n "$h" ] && hwm=$h
		sleep 0.1
	done
	wait "$1"
}
# wait_until SECONDS CMD... : poll CMD until it succeeds; 1 if it still fails
# after SECONDS. A limit is the bound for a hang, never a speed check: the
# suite runs on shared, slow or busy machines (CI runs on the submitter's), so
# give tens of seconds; a pass costs only the time until CMD succeeds.
wait_until() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -lt "$end" ] || return 1
		sleep 0.05
	done
}
# tmux tests: the test sets T="tmux -L ITS-SERVER" and runs the program in session "t".
# tmux_server NAME: T="tmux -L NAME", a fresh tmux server of the test's own
# with a session "keep" that outlives the test's sessions (so the server never
# exits between them); the server goes with $TMPD when the test exits
tmux_server() {
	T="tmux -L $1"
	$T kill-server 2>/dev/null
	$T new-session -d -s keep "sleep 600"
	trap '$T kill-server 2>/dev/null; rm -rf "$TMPD"' EXIT
}
screen() { $T capture-pane -p -t t 2>/dev/null; }
_screen_has() { screen | grep -Eq -- "$1"; }
# wait_for REGEX [SECONDS]: poll the pane until it matches (at most SECONDS, default 30)
wait_for() { wait_until "${2:-30}" _screen_has "$1"; }
# py_funcs_shown TITLE SECONDS: the pane shows TITLE (LIVE, REPLAY) within
# SECONDS, then tests/progs/py_funcs.py's threads by their Python names in
# the thread table and a GIL request in one of its functions in the log
py_funcs_shown() {
	wait_for "$1" "$2" && wait_for '^ [A-Z] cruncher ' 5 && wait_for '^ [A-Z] sleeper ' 3 &&
		wait_for 'asks for the GIL in `(crunch|nap_loop)` \(py_funcs\.py:1[39]\)' 3
}
# Promises that need two idle cores (processes that scale, parallelism near
# 2.0) cannot be judged while other load takes a core: a machine shared with
# other jobs (CI runs on the submitter's machine) has such moments, and a
# machine whose two vCPUs are one core's hyperthreads never gives them.
# machine_parallelism: the parallelism two plain busy processes (no gilscope,
# no gilrt) get right now: both spin 0.2 s of wall time at once, counting
# loops, and the loops they did are weighed against the speed of a core
# (loops per CPU second of one process alone, which sharing a core does not
# change); the best of three rounds. 2.00 = each had a core of
# its own for the whole time; a CPU hog on the other core gives ~1.5, a CPU
# quota of one core or taskset -c 0 ~1.0, a host stealing time less. (Timing
# one process against two, as this did before, said 2.00 with a hog on one
# core: the lone process had landed on the hog's core too.)
machine_parallelism() {
	python3 - <<'PY'
import os, time
W = 0.2
def spin():
    end = time.monotonic() + W
    c0 = time.process_time()
    n = 0
    while time.monotonic() < end:
        for _ in range(1000):
            pass
        n += 1
    return n, time.process_time() - c0
def together(procs):
    kids = []
    for _ in range(procs):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            os.write(w, ("%d %.9f" % spin()).encode())
            os._exit(0)
        os.close(w)
        kids.append((pid, r))
    out = []
    for pid, r in kids:
        n, cpu = os.read(r, 100).split()
        os.close(r)
        os.waitpid(pid, 0)
        out.append((int(n), float(cpu)))
    return out
alone, pairs = [], []
for _ in range(3):
    alone += together(1)
    pairs.append(together(2))
# a core's speed: the median loops per CPU second of the lone runs (one that
# was starved of CPU is left out: its rate is noise)
rates = sorted(n / cpu for n, cpu in alone if cpu >= W / 10)
speed = rates[len(rates) // 2] if rates else 0
print("%.2f" % (min(2.0, max(sum(n for n, _ in p) / (speed * W) for p in pairs)) if speed else 0))
PY
}
# cpu_mark, then others_since_mark: how much of the machine other processes
# took meanwhile. cpu_mark notes the time, the CPU time all cores spent busy
# (user, nice, system, steal in /proc/stat) and the CPU time of this shell
# and its finished children; others_since_mark sets $others to the share (%)
# of all cores busy since then with work that was not this test's. Call both
# in the test's own shell, not in $(...): `times` sees only its children.
cpu_mark() {
	times >"$TMPD/.times"
	_mark="$EPOCHREALTIME $(awk '/^cpu / { print $2 + $3 + $4 + $9 }' /proc/stat) $(awk '{
		for (i = 1; i <= NF; i++) { split($i, a, /[ms]/); t += a[1] * 60 + a[2] } } END { printf "%.3f", t }' "$TMPD/.times")"
}
others_since_mark() {
	local m0=$_mark
	cpu_mark
	others=$(echo "$m0 $_mark" | awk -v hz="$(getconf CLK_TCK)" -v n="$(getconf _NPROCESSORS_ONLN)" '{
		o = ($5 - $2) / hz - ($6 - $3); w = $4 - $1
		printf "%d", (w > 0 && o > 0) ? 100 * o / (n * w) + 0.5 : 0 }')
}
# on_two_cores [--always] NAME TRIES ATTEMPT : judge a promise that needs two
# idle cores. ATTEMPT is a command that measures once and returns 0 if the
# promise held, 1 if not, 2 after a failure it reported itself (stops); it
# leaves what it measured in $seen. Up to TRIES attempts, each run only when
# the machine gives >= 1.7 (machine_parallelism) right before it (with
# --always, for cheap attempts, also when it does not); a miss counts against
# gilscope only if the machine gave >= 1.7 before and after it and other
# processes took at most 5 % of it meanwhile (others_since_mark: the probes
# cannot see a burst in between), and a pass always counts (other load can
# only make the promise harder to meet). Prints
# "ok NAME" at the first attempt that held; "not ok" if none held though one
# ran on two free cores; else "skip NAME: ..." with what the machine gave.
# That skip is the policy under CI=true too: a machine that cannot run two
# processes in parallel is not a defect of the code, and the skip line (which
# tests/run.sh repeats above its summary) says so, never silently.
on_two_cores() {
	local always=
	[ "$1" = --always ] && { always=1; shift; }
	local name=$1 tries=$2 i rc par after best=0.00 trusted=0 log=
	shift 2
	for ((i = 1; i <= tries; i++)); do
		par=$(machine_parallelism)
		_at_least "$par" "$best" && best=$par
		if [ -z "$always" ] && ! _at_least "$par" 1.7; then
			echo "# $name attempt $i: machine parallelism ${par}x: too busy to judge, not run"
			continue
		fi
		seen=
		cpu_mark
		"$@"
		rc=$?
		others_since_mark
		case $rc in
		0) ok "$name ($seen; machine ${par}x)"; return 0 ;;
		2) return 1 ;;
		esac
		after=$(machine_parallelism)
		echo "# $name attempt $i: machine ${par}x before, ${after}x after, others took $others % meanwhile: $seen"
		log="$log attempt $i: $seen (machine ${par}x/${after}x, others $others %);"
		_at_least "$par" 1.7 && _at_least "$after" 1.7 && [ "$others" -le 5 ] && trusted=$((trusted + 1))
	done
	if [ "$trusted" -gt 0 ]; then
		not_ok "$name" "missed on two free cores:$log"
	else
		echo "skip $name: the machine never gave two free cores (at best ${best}x for two plain processes), cannot judge:${log:- not run}"
	fi
	return 1
}
_at_least() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 >= b + 0) }'; }
# stage_unprivileged DIR : copy gilscope, gilrt, demo.sh, lessons/ and traces/
# into DIR, world-readable, for runs as nobody (the checkout may be in /root).
# Prints the staged gilscope path; it finds lessons/ next to its directory.
stage_unprivileged() {
	mkdir -p "$1/build" "$1/scripts" && chmod 755 "$1" &&
	cp "$GILSCOPE" "$GILRT" "$1/build/" && cp scripts/demo.sh "$1/scripts/" &&
	cp -r lessons traces "$1/" && chmod -R a+rX "$1" && echo "$1/build/gilscope"
}
# child_named PID NAME: the child process of PID whose command name (comm) is
# NAME, once it has exec'd it; gilscope forks short-lived helpers of its own
# too (the loader's detach helper when calibration ends), which are not it.
child_named() {
	local c
	for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		[ "$(cat /proc/"$c"/comm 2>/dev/null)" = "$2" ] && { echo "$c"; return 0; }
	done
	return 1
}
# damage_block IN OUT [K]: copy the .gst IN to OUT with a byte of block K's
# payload (default 1, a middle one) flipped (names chunks between blocks are
# passed over); the footer stays valid. Prints
# the seconds from the trace's first event to that block's first event.
damage_block() {
	python3 - "$1" "$2" "${3:-1}" <<'PY'
import struct, sys
b = bytearray(open(sys.argv[1], "rb").read())
k = int(sys.argv[3])
off = struct.unpack_from("<I", b, 12)[0]
first = None
i = 0
while True:
    if b[off:off + 4] == b"GSNM":       # a names chunk: 32-byte header, payload
        off += 32 + struct.unpack_from("<I", b, off + 4)[0]
        continue
    assert b[off:off + 4] == b"GSBK", "no block %d" % i
    plen = struct.unpack_from("<I", b, off + 4)[0]
    ts = struct.unpack_from("<Q", b, off + 24)[0]
    first = ts if first is None else first
    if i == k:
        break
    off += 64 + plen
    i += 1
b[off + 64 + plen // 2] ^= 0x40
open(sys.argv[2], "wb").write(b)
print("%.3f" % ((ts - first) / 1e9))
PY
}
