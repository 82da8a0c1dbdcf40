#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# gilrt_compare.sh - the teaching notes' table on this machine: processes
# and native work (lock released) scale on 2 cores, threads do not.
# The machine may be shared, and its speed drifts within seconds: a run is
# three rounds of the five rows, each row the median of its rounds against
# its own round's baseline (`--repeat 3`). A run that misses a bound is
# repeated (up to 12 runs, each judged whole) and the first good run passes,
# since other load can only make parallel rows slower, never faster. Before each run a probe independent of
# gilrt (two plain processes spinning) measures how much parallelism the
# machine gives right now; if it never gave 1.7 the bounds cannot be judged
# and the check is skipped, saying so.
. "$(dirname "$0")/../lib.sh"

# parallelism two busy processes get right now (2.0 = two free cores)
machine_parallelism() {
	python3 - <<'PY'
import os, time
def burn(n):
    x = 0
    for i in range(n):
        x += i
def timed(procs, n):
    t = time.monotonic()
    pids = []
    for _ in range(procs):
        pid = os.fork()
        if pid == 0:
            burn(n)
            os._exit(0)
        pids.append(pid)
    for pid in pids:
        os.waitpid(pid, 0)
    return time.monotonic() - t
n = 2000000
one, two = [], []
for _ in range(3):
    one.append(timed(1, n))
    two.append(timed(2, n))
print("%.2f" % min(2.0, 2 * min(one) / min(two)))
PY
}

cores=$(nproc)
if [ "$cores" -lt 2 ]; then
	echo "skip gilrt_compare: needs 2 cores, have $cores"
	exit 0
fi
# An attempt counts only as a whole (its rows share one sequential baseline),
# and judges gilrt only if the machine gave parallelism before and after it.
trusted=0 good= last="not measured" best_par=0
for attempt in $(seq 12); do
	par=$(machine_parallelism)
	best_par=$(python3 -c "print(max($best_par, $par))")
	if [ "$(python3 -c "print($par < 1.7)")" = True ]; then
		echo "# attempt $attempt: machine parallelism ${par}x: too busy to measure, not running"
		continue
	fi
	if ! "$GILRT" compare --json --workers 2 --repeat 3 >"$TMPD/c.json" 2>"$TMPD/err"; then
		not_ok gilrt_compare_runs "$(cat "$TMPD/err")"
		t_exit
	fi
	verdict=$(python3 - "$TMPD/c.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
modes = [r["mode"] for r in c["rows"]]
assert modes == ["sequential", "threads", "processes", "native", "async"], modes
assert c["workers"] == 2 and c["cores"] >= 2 and c["repeat"] == 3
s = dict((r["mode"], r["speedup"]) for r in c["rows"])
good = s["processes"] >= 1.6 and s["native"] >= 1.6 and s["threads"] <= 1.2
print("good" if good else "again", " ".join("%s=%.2f" % (r["mode"], r["speedup"]) for r in c["rows"]))
PY
) || { not_ok gilrt_compare_json "bad JSON: $(head -c 300 "$TMPD/c.json")"; t_exit; }
	after=$(machine_parallelism)
	echo "# attempt $attempt: machine parallelism ${par}x before, ${after}x after; $verdict"
	last=${verdict#* }
	[ "$(python3 -c "print($after >= 1.7)")" = True ] && trusted=$((trusted + 1))
	case $verdict in good*) good=1; break ;; esac
done
if [ "$last" = "not measured" ]; then
	# still check that compare works and what it writes
	if "$GILRT" compare --json --workers 2 --work 2000000 >"$TMPD/c.json" 2>"$TMPD/err" &&
	   [ "$(json_get "$TMPD/c.json" '[r["mode"] for r in j["rows"]] == ["sequential", "threads", "processes", "native", "async"] and j["workers"] == 2')" = True ]; then
		ok gilrt_compare_json
	else
		not_ok gilrt_compare_json "$(cat "$TMPD/err") $(head -c 300 "$TMPD/c.json")"
	fi
else
	ok gilrt_compare_json
fi
if [ -n "$good" ]; then
	ok gilrt_compare_speedups
elif [ "$trusted" = 0 ]; then
	echo "skip gilrt_compare_speedups: machine too loaded to judge (two plain processes got at best ${best_par}x): $last"
else
	not_ok gilrt_compare_speedups "want processes, native >= 1.6 and threads <= 1.2; got $last (machine parallelism ${best_par}x)"
fi
t_exit
