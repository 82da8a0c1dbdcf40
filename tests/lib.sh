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
# json_get FILE EXPR : print a value from a JSON file, EXPR is Python on `j`
json_get() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }
t_exit() { exit $_t_failed; }
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
# tmux tests: the test sets T="tmux -L ITS-SERVER" and runs the program in session "t".
screen() { $T capture-pane -p -t t 2>/dev/null; }
# wait_for REGEX [SECONDS]: poll the pane until it matches (default 5 s)
wait_for() {
	local i n=$(( ${2:-5} * 20 ))
	for ((i = 0; i < n; i++)); do
		screen | grep -Eq -- "$1" && return 0
		sleep 0.05
	done
	return 1
}
# stage_unprivileged DIR : copy gilscope, gilrt, demo.sh, lessons/ and traces/
# into DIR, world-readable, for runs as nobody (the checkout may be in /root).
# Prints the staged gilscope path; it finds lessons/ next to its directory.
stage_unprivileged() {
	mkdir -p "$1/build" "$1/scripts" && chmod 755 "$1" &&
	cp "$GILSCOPE" "$GILRT" "$1/build/" && cp scripts/demo.sh "$1/scripts/" &&
	cp -r lessons traces "$1/" && chmod -R a+rX "$1" && echo "$1/build/gilscope"
}
# damage_block IN OUT [K]: copy the .gst IN to OUT with a byte of block K's
# payload (default 1, a middle one) flipped; the footer stays valid. Prints
# the seconds from the trace's first event to that block's first event.
damage_block() {
	python3 - "$1" "$2" "${3:-1}" <<'PY'
import struct, sys
b = bytearray(open(sys.argv[1], "rb").read())
k = int(sys.argv[3])
off = struct.unpack_from("<I", b, 12)[0]
first = None
for i in range(k + 1):
    assert b[off:off + 4] == b"GSBK", "no block %d" % i
    plen = struct.unpack_from("<I", b, off + 4)[0]
    ts = struct.unpack_from("<Q", b, off + 24)[0]
    first = ts if first is None else first
    if i < k:
        off += 64 + plen
b[off + 64 + plen // 2] ^= 0x40
open(sys.argv[2], "wb").write(b)
print("%.3f" % ((ts - first) / 1e9))
PY
}
