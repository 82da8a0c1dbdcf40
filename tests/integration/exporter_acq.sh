#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# exporter_acq.sh - `gilscope exporter` counts every GIL acquisition of two
# CPU-bound threads (CPython 3.11, tests/progs/py_two_cpu.py), the same run
# recorded by `gilscope record --python` at the same time, whose count is
# exact (the child is held before exec until its probes are on). The
# workers start only once the exporter shows the script's main thread (its
# probes are on), and are counted once they have exited: the exporter's
# numbers of the process minus its main thread's series are theirs. Equal
# counts, not rates: how often the GIL changes hands depends on the
# machine's load, the counts of one run do not.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh

PY=${GS_TEST_PYTHON:-/root/.pyenv/versions/3.11.7/bin/python3.11}

if need_root exporter_acq && need_cmd exporter_acq "$PY"; then
	python3 - "$GILSCOPE" "$PY" "$PWD/tests/progs/py_two_cpu.py" "$TMPD" <<'PYEOF'
import atexit, json, os, re, subprocess, sys, time, urllib.request
sys.path.insert(0, "tests")
import exporter_scrape

gs, py, script, tmpd = sys.argv[1:5]
trace = os.path.join(tmpd, "two.gst")


def fail(why):
    print("not ok exporter_acq: %s" % why)
    sys.exit(1)


procs = []
atexit.register(lambda: [p.kill() for p in procs if p.poll() is None])
ex = subprocess.Popen([gs, "exporter", "--listen", "127.0.0.1:0", "--interval", "0.1"],
                      stderr=subprocess.PIPE, text=True)
procs.append(ex)
line = ex.stderr.readline()
m = re.search(r"http://127\.0\.0\.1:(\d+)/metrics", line)
if not m:
    fail("the exporter did not start: %s" % (line.strip() or ex.stderr.read().strip()))
url = "http://127.0.0.1:%s/metrics" % m.group(1)
rec = subprocess.Popen([gs, "record", "--python", "-q", "-o", trace, "--", py, script],
                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
procs.append(rec)
words = rec.stdout.readline().split()
if words[:1] != ["ready"]:
    fail("the script did not start under record: %r" % words)
pid = words[1]


def fresh():
    """{(metric, tid): value} of the script's process, from a snapshot the
    exporter took after now"""
    got = exporter_scrape.scrape_after(url, time.time(), 500)
    if not got:
        fail("the exporter's snapshots stopped")
    return {(m, tid): v for m, tid, _, v in exporter_scrape.thread_series(got[1], pid)}


def others(d, metric):
    """the process's count but its main thread's"""
    return sum(v for (m, tid), v in d.items() if m == metric and tid != pid)


# the exporter finds the interpreter, probes it, names the main thread
for _ in range(200):
    before = fresh()
    if ("gilscope_gil_acquisitions_total", pid) in before:
        break
else:
    fail("no series of the main thread of %s: %s" % (pid, sorted(before)))
rec.stdin.write("go\n")
rec.stdin.flush()
words = rec.stdout.readline().split()
if words[:1] != ["done"]:
    fail("the workers did not finish: %r" % words)
tids = words[1:]
for _ in range(500):	# joined is not gone: the kernel ends the threads just after
    if not any(os.path.exists("/proc/%s/task/%s" % (pid, t)) for t in tids):
        break
    time.sleep(0.01)
else:
    fail("the workers %s did not exit" % tids)
after = fresh()
rec.communicate("\n", timeout=60)
ex.terminate()
rc = ex.wait(timeout=10)
if rec.returncode != 0:
    fail("record exited %d" % rec.returncode)
r = subprocess.run([gs, "report", "--json", trace], capture_output=True, text=True)
if r.returncode != 0:
    fail("report: %s" % r.stderr.strip())
rep = json.loads(r.stdout)
want = sum(t["acquisitions"] for t in rep["threads"] if str(t["tid"]) in tids)
got = others(after, "gilscope_gil_acquisitions_total") - \
      others(before, "gilscope_gil_acquisitions_total")
hand = others(after, "gilscope_gil_handoffs_total") - others(before, "gilscope_gil_handoffs_total")
what = ("the workers took the GIL %d times by the recording, %d by the exporter "
        "(hand-offs: %d by the exporter, %d in the whole recording)" %
        (want, got, hand, rep["lock"]["handoffs"]))
# two threads that each run take the GIL at least once each
if want >= 2 and got == want:
    print("ok exporter_acq # %s" % what)
else:
    print("not ok exporter_acq: %s" % what)
print("ok exporter_acq_sigterm" if rc == 0 else "not ok exporter_acq_sigterm: exit %d" % rc)
sys.exit(0 if want >= 2 and got == want and rc == 0 else 1)
PYEOF
	[ $? = 0 ] || _t_failed=1
fi
t_exit
