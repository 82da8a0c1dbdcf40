#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# python_gil.sh - `gilscope record --python` on CPython 3.11 itself: two
# CPU-bound threads for 2 s. A hold ends when the waiter's switch interval
# runs out, so among holds of 256 us and more the hold and wait histograms
# peak in the interval's bucket: 4-8 ms (k=13) at the default 5 ms, 1-2 ms
# (k=11; k=10 accepted) after sys.setswitchinterval(0.001). Short holds
# (imports, startup I/O) are left out of the peak.
# Each thread pins itself to a core of its own: left alone, the kernel (6.18
# here) usually wakes the thread that just let go onto the new holder's core,
# where it asks again only when the holder's slice ends (2.9 ms median), so
# holds sit at 5 + 3 = 8 ms, the edge of the bucket. Pinned: ~360 holds of
# 4-8 ms in 2 s. gilscope runs at nice -10 (inherited by Python) against
# other load; on a machine loaded past its core count the peak may still sit
# one bucket higher (accepted, and said in the ok line), past twice its core
# count the check is skipped (said too). On a quiet machine (CI) it is exact.
# Also: -p PID, a stripped interpreter's clear error, Debian's python3.11-dbg.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh

PY=${GS_TEST_PYTHON:-/root/.pyenv/versions/3.11.7/bin/python3.11}
cat >"$TMPD/two.py" <<'PYEOF'
import os, sys, threading, time
if len(sys.argv) > 2:
    sys.setswitchinterval(float(sys.argv[2]))
cpus = sorted(os.sched_getaffinity(0))
def spin(i, deadline):
    # one core each: unpinned, the scheduler often stacks both on one core
    os.sched_setaffinity(0, {cpus[i % len(cpus)]})
    n = 0
    while time.monotonic() < deadline:
        n += 1
deadline = time.monotonic() + float(sys.argv[1])
ts = [threading.Thread(target=spin, args=(i, deadline), name="spin-%d" % i) for i in range(2)]
for t in ts: t.start()
for t in ts: t.join()
PYEOF

# peak NAME REPORT_JSON HIST SLACK ALLOWED... : the peak bucket >= 9 of HIST
# is one of ALLOWED (or one above the last, if SLACK=1 and the machine is loaded)
peak() {
	local name=$1 json=$2 hist=$3 slack=$4; shift 4
	local r
	r=$(python3 - "$json" "$hist" "$slack" "$@" <<'PY'
import json, os, sys
j = json.load(open(sys.argv[1])); h = j["lock"][sys.argv[2]]
slack = sys.argv[3] == "1"; allowed = [int(a) for a in sys.argv[4:]]
long = [(n, k) for k, n in enumerate(h) if k >= 9]
if not long or max(long)[0] == 0:
    print("no holds of 256 us or more: %s" % h); sys.exit()
k = max(long)[1]
load = os.getloadavg()[0]
if k in allowed:
    print("ok")
elif slack and load >= 2 * os.cpu_count():
    print("skip: machine too loaded to time holds (load %.1f on %d cores): peak %d in %s" % (load, os.cpu_count(), k, h))
elif slack and k == allowed[-1] + 1 and load >= os.cpu_count():
    print("ok # peak at bucket %d: machine loaded (load %.1f on %d cores): %s" % (k, load, os.cpu_count(), h))
else:
    print("peak at bucket %d, want %s (load %.1f): %s" % (k, allowed, load, h))
PY
)
	case $r in ok*) echo "ok $name${r#ok}" ;; skip*) echo "skip $name${r#skip}" ;; *) not_ok "$name" "$r" ;; esac
}

# record NAME OUT ARGS... : gilscope record --python -o OUT -- ARGS
record() {
	local name=$1 out=$2; shift 2
	if nice -n -10 "$GILSCOPE" record --python -o "$out" -- "$@" >"$out.err" 2>&1 &&
	   "$GILSCOPE" report --json "$out" >"$out.json" 2>>"$out.err"; then
		return 0
	fi
	not_ok "$name" "$(tail -2 "$out.err")"
	return 1
}

if need_root python_gil && need_cmd python_gil "$PY"; then
	if record python_gil_5ms "$TMPD/a.gst" "$PY" "$TMPD/two.py" 2; then
		peak python_hold_peak_5ms "$TMPD/a.gst.json" hold_hist_log2_us 1 13
		peak python_wait_peak_5ms "$TMPD/a.gst.json" wait_hist_log2_us 1 13
		n=$(json_get "$TMPD/a.gst.json" 'sum(t["acquisitions"] for t in j["threads"])')
		a=$(json_get "$TMPD/a.gst.json" 'j["lock"]["acquisitions"]')
		[ "$n" = "$a" ] && [ "$a" -gt 300 ] && ok python_acquisitions ||
			not_ok python_acquisitions "threads $n, lock $a (want > 300: ~400 switches in 2 s)"
		# CPython 3.11 does not name its threads in the kernel: "tid N" then
		r=$(json_get "$TMPD/a.gst.json" '"ok" if sum(1 for t in j["threads"] if t["acquisitions"] > 50) >= 2 else [(t["name"], t["acquisitions"]) for t in j["threads"]]')
		[ "$r" = ok ] && ok python_two_threads || not_ok python_two_threads "$r"
	fi
	if record python_gil_1ms "$TMPD/b.gst" "$PY" "$TMPD/two.py" 2 0.001; then
		peak python_hold_peak_1ms "$TMPD/b.gst.json" hold_hist_log2_us 1 10 11
		peak python_wait_peak_1ms "$TMPD/b.gst.json" wait_hist_log2_us 1 10 11
	fi
fi

# -p PID: libpython found through the running interpreter's memory map
if need_root python_attach && need_cmd python_attach "$PY"; then
	"$PY" "$TMPD/two.py" 1.5 &
	pid=$!
	for _ in $(seq 200); do [ "$(ls /proc/$pid/task 2>/dev/null | wc -l)" -ge 3 ] && break; sleep 0.01; done
	if "$GILSCOPE" record --python -p "$pid" -o "$TMPD/p.gst" 2>"$TMPD/p.err" &&
	   "$GILSCOPE" report --json "$TMPD/p.gst" >"$TMPD/p.json"; then
		a=$(json_get "$TMPD/p.json" 'sum(1 for t in j["threads"] if t["acquisitions"] > 20)')
		[ "$a" -ge 2 ] && ok python_attach || not_ok python_attach "$a threads with > 20 acquisitions"
	else
		not_ok python_attach "$(tail -1 "$TMPD/p.err")"
	fi
	wait "$pid"
fi

# Debian's python3.11 is stripped: the error names the way out and nothing runs
if need_root python_stripped && [ -x /usr/bin/python3.11 ]; then
	if ! readelf -S /usr/bin/python3.11 2>/dev/null | grep -q '\.symtab'; then
		"$GILSCOPE" record --python -o "$TMPD/s.gst" -- /usr/bin/python3.11 -c 'open("'"$TMPD"'/ran", "w")' >"$TMPD/s.err" 2>&1
		rc=$?
		if [ $rc != 0 ] && grep -q 'python3.11-dbg' "$TMPD/s.err" && grep -q 'stripped' "$TMPD/s.err" &&
		   [ "$(wc -l <"$TMPD/s.err")" = 1 ] && [ ! -e "$TMPD/ran" ]; then
			ok python_stripped_error
		else
			not_ok python_stripped_error "rc=$rc: $(head -2 "$TMPD/s.err")"
		fi
	else
		echo "skip python_stripped_error: /usr/bin/python3.11 is not stripped here"
	fi
fi

# Every CPython: each os.read() lets the GIL go and takes it back (a helper
# thread first: 3.6 creates the GIL with the first thread). Every take is
# recorded, with its REQUEST, whichever copy of take_gil the compiler made
# (3.8's PyEval_RestoreThread calls take_gil.constprop.0), and every wait
# has a REQUEST before its ACQUIRED.
cat >"$TMPD/io.py" <<'PYEOF'
import os, threading
t = threading.Thread(target=lambda: None); t.start(); t.join()
fd = os.open("/dev/zero", os.O_RDONLY)
for _ in range(3000):
    os.read(fd, 1)
PYEOF
if need_root python_io_versions; then
	vers="" bad=""
	for d in "$(pyenv root 2>/dev/null || echo /root/.pyenv)"/versions/3.*; do
		v=${d##*/} v=python${v%.*}
		py=$d/bin/$v
		[ -x "$py" ] || continue
		vers="$vers $v"
		if ! "$GILSCOPE" record --python -o "$TMPD/io-$v.gst" -- "$py" "$TMPD/io.py" >/dev/null 2>"$TMPD/io.err" ||
		   ! "$GILSCOPE" report --json "$TMPD/io-$v.gst" >"$TMPD/io.json" 2>>"$TMPD/io.err"; then
			bad="$bad $v: $(tail -1 "$TMPD/io.err")"
			continue
		fi
		r=$(json_get "$TMPD/io.json" '"ok" if j["lock"]["acquisitions"] >= 3000 and j["trace"]["lost"] == 0 and sum(j["lock"]["wait_hist_log2_us"]) == j["lock"]["acquisitions"] else "%d acquisitions, %d waits, %d lost" % (j["lock"]["acquisitions"], sum(j["lock"]["wait_hist_log2_us"]), j["trace"]["lost"])')
		[ "$r" = ok ] || bad="$bad $v: $r"
	done
	if [ -z "$vers" ]; then
		echo "skip python_io_versions: no pyenv CPython 3.x here"
	elif [ -z "$bad" ]; then
		ok python_io_versions
	else
		not_ok python_io_versions "${bad# }"
	fi
fi

# Debian's debug interpreter carries take_gil/drop_gil in its own symbol table
if need_root python_dbg && [ -x /usr/bin/python3.11-dbg ]; then
	if record python_dbg "$TMPD/d.gst" /usr/bin/python3.11-dbg "$TMPD/two.py" 0.5; then
		a=$(json_get "$TMPD/d.gst.json" 'j["lock"]["acquisitions"]')
		[ "$a" -gt 50 ] && ok python_dbg || not_ok python_dbg "$a acquisitions in 0.5 s"
	fi
fi
t_exit
