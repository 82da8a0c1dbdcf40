#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# exporter_versions.sh - `gilscope exporter` on every pyenv CPython 3 here
# (3.6-3.13), counting GIL takes a program knows it made: each of
# tests/progs/py_read_count.py's os.read() calls on /dev/zero lets the GIL
# go and takes it back. For each version, between two snapshots around a
# round of N reads (after a first round, so that the thread was seen):
#  - acquisitions grow by N, plus at most a few (its signal wait, its
#    print): every copy of take_gil is probed (3.8's PyEval_RestoreThread
#    calls take_gil.constprop.0);
#  - every one of them is timed, each a wait of exactly 0 (it found the GIL
#    free: the histogram's first bucket, the wait sum unchanged), and none
#    is a hand-off (no other thread);
#  - the attacher holds links to the programs at take_gil's wait and got
#    sites and at drop_gil, one file each at least, and none to take_gil's
#    entry or return programs (no return probe: one trap per take).
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh

ROOT=${PYENV_ROOT:-$(pyenv root 2>/dev/null || echo /root/.pyenv)}
PYS=()
for d in "$ROOT"/versions/3.*; do
	v=${d##*/}
	v=${v%.*}
	[ -x "$d/bin/python$v" ] && PYS+=("$d/bin/python$v")
done

if need_root exporter_versions && need_cmd exporter_versions bpftool; then
	if [ ${#PYS[@]} = 0 ]; then
		not_ok exporter_versions "no pyenv CPython 3 under $ROOT/versions"
	else
		python3 - "$GILSCOPE" "$PWD/tests/progs/py_read_count.py" "${PYS[@]}" <<'PYEOF'
import json, os, re, signal, subprocess, sys, time, urllib.request
sys.path.insert(0, "tests")
import exporter_scrape

gs, script, pys = sys.argv[1], sys.argv[2], sys.argv[3:]
N, EXTRA = 20000, 20
failed = False

def bad(name, why):
    global failed
    print("not ok %s: %s" % (name, why))
    failed = True

scripts = []
for py in pys:
    p = subprocess.Popen([py, script, str(N)], stdout=subprocess.PIPE, text=True)
    scripts.append((os.path.basename(py), p, int(p.stdout.readline().split()[1])))
ex = subprocess.Popen([gs, "exporter", "--listen", "127.0.0.1:0", "--interval", "0.1", "-p",
                       ",".join(str(pid) for _, _, pid in scripts)],
                      stderr=subprocess.PIPE, text=True)
line = ex.stderr.readline()
m = re.search(r"http://127\.0\.0\.1:(\d+)/metrics", line)
if not m:
    print("not ok exporter_versions_start: %s" % (line.strip() or ex.stderr.read().strip()))
    for _, p, _ in scripts:
        p.kill()
    sys.exit(1)
url = "http://127.0.0.1:%s/metrics" % m.group(1)

def fresh(pid):
    """the process's totals ({metric: sum over its series}) in a snapshot
    taken after now"""
    got = exporter_scrape.scrape_after(url, time.time())
    if not got:
        raise SystemExit("not ok exporter_versions: the exporter's snapshots stopped")
    d = {}
    for m in re.finditer(r'^(\w+)\{pid="%d",[^}]*?(,le="([^"]*)")?\} (\S+)$' % pid, got[1], re.M):
        k = m.group(1) + (":" + m.group(3) if m.group(3) else "")
        d[k] = d.get(k, 0) + float(m.group(4))
    return d

def round_(p):
    os.kill(p.pid, signal.SIGUSR1)
    return p.stdout.readline().startswith("done")

for name, p, pid in scripts:
    if not round_(p):	# the first: its thread is seen from here on
        bad("exporter_versions_%s" % name, "the script did not answer")
        continue
    # its series wait (up to 3 s) for the thread's Python name
    for _ in range(300):
        a = fresh(pid)
        if "gilscope_gil_acquisitions_total" in a:
            break
        time.sleep(0.1)
    round_(p)
    b = fresh(pid)
    dd = lambda k: b.get(k, 0) - a.get(k, 0)
    acq, waits = dd("gilscope_gil_acquisitions_total"), dd("gilscope_gil_wait_seconds_count")
    first, hand = dd("gilscope_gil_wait_seconds_bucket:0.000001"), dd("gilscope_gil_handoffs_total")
    wsum = dd("gilscope_gil_wait_seconds_sum")
    what = ("%d reads: %d acquisitions, %d timed, %d in the first bucket, %g s waited, "
            "%d hand-offs" % (N, acq, waits, first, wsum, hand))
    if N <= acq <= N + EXTRA and waits == acq and first == acq and wsum == 0 and hand == 0:
        print("ok exporter_versions_%s # %s" % (name, what))
    else:
        bad("exporter_versions_%s" % name, what)

# the attacher's links, by program
att = [c for t in os.listdir("/proc/%d/task" % ex.pid)
       for c in open("/proc/%d/task/%s/children" % (ex.pid, t)).read().split()]
links = {}
for pid in att:
    d = "/proc/%s/fdinfo" % pid
    for f in os.listdir(d):
        try:
            info = open(os.path.join(d, f)).read()
        except OSError:
            continue
        m = re.search(r"^prog_id:\s*(\d+)", info, re.M)
        if "link_type:" in info and m:
            q = json.loads(subprocess.run(["bpftool", "prog", "show", "id", m.group(1), "-j"],
                                          capture_output=True, text=True).stdout or "{}")
            links[q.get("name")] = links.get(q.get("name"), 0) + 1
what = "%d interpreters, links: %s" % (len(pys), ", ".join("%s %d" % kv for kv in sorted(links.items())))
if (links.get("gilstat_take_entry", 0) == 0 and links.get("gilstat_take_return", 0) == 0 and
        min(links.get(k, 0) for k in ("gilstat_got", "gilstat_wait", "gilstat_drop_entry")) >= len(pys)):
    print("ok exporter_versions_probes # %s" % what)
else:
    bad("exporter_versions_probes", what)

for _, p, _ in scripts:
    p.terminate()
    p.wait(timeout=10)
ex.terminate()
rc = ex.wait(timeout=10)
if rc:
    bad("exporter_versions_exit", "exit %d" % rc)
sys.exit(1 if failed else 0)
PYEOF
		[ $? = 0 ] || _t_failed=1
	fi
fi
t_exit
