#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""bench/run.py - `make bench`: gilscope's speed, size and observer-effect
numbers, each beside its target, as ratios measured within this one run.

Prints one table and writes build/bench/results.json:
  {"name": {"value": V, "unit": U, "target": T, "ok": true|false|null}}
(ok is null where there is no target, or the row could not be measured;
"note" then says why). Commands that alternate (untraced, traced, ...) run
in rounds A B A B so that a drift of the shared machine hits both alike;
the median of each is used.

Usage: bench/run.py [--quick] [--only SECTION,...]
  --quick: fewer rounds, a 10 s churn run; --only: just these sections
  (probe_cost, python_gil_cycle, overhead_estimate, per_event_cost,
  observer_effect, trace_sizes, python_observer_effect, recorder_memory,
  reader, tui). BUILD=DIR: the build to measure (default build);
  BENCH_SETTLE=S: wait S seconds after each gilscope run (a build that
  detaches its probes in the background).
Needs root for every row that traces (BPF); the others run anyway.

Long file: one table, one run: every row is measured beside the others in
the same run and shares its helpers with them.
"""
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.chdir(TOP)
B = os.environ.get("BUILD", "build")
GS, RT = f"{B}/gilscope", f"{B}/gilrt"
GSB = f"{B}/bench/gst_bench"
OUT = f"{B}/bench"
QUICK = "--quick" in sys.argv
ONLY = sys.argv[sys.argv.index("--only") + 1].split(",") if "--only" in sys.argv else None
SETTLE = float(os.environ.get("BENCH_SETTLE", "0"))
ROUNDS = 3 if QUICK else 5
ROOT = os.geteuid() == 0
tmp = tempfile.mkdtemp(prefix="gilscope-bench.")
results = {}
# a recording's probes go when gilscope exits, not in the background: the
# next (untraced) run must not meet them
os.environ["GILSCOPE_SYNC_DETACH"] = "1"


def row(name, value, unit, target=None, ok=None, note=None):
    r = {"value": value, "unit": unit, "target": target, "ok": ok}
    if note:
        r["note"] = note
    results[name] = r
    v = "n/a" if value is None else (f"{value:.3g}" if isinstance(value, float) else str(value))
    mark = {True: "ok", False: "MISSED", None: ""}[ok]
    print(f"  {name:<34} {v:>12} {unit:<10} {target or '':<14} {mark}"
          + (f"  ({note})" if note else ""), flush=True)


def run(cmd, **kw):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, **kw)
    if SETTLE and cmd and cmd[0] in (GS, "bpftrace"):
        time.sleep(SETTLE)
    return p


def timed(cmd):
    t = time.monotonic()
    p = run(cmd)
    return time.monotonic() - t, p


def gilrt_stats(args, tracer=None):
    """Run gilrt (optionally under a tracer prefix) and return its stats."""
    sj = os.path.join(tmp, "stats.json")
    if os.path.exists(sj):
        os.unlink(sj)
    cmd = [RT, "run"] + args + ["--stats-json", sj]
    if tracer:
        cmd = tracer + cmd
    wall, p = timed(cmd)
    if p.returncode != 0 or not os.path.exists(sj):
        raise RuntimeError(f"{' '.join(cmd)}: exit {p.returncode}: {p.stderr.strip()[-300:]}")
    with open(sj) as f:
        s = json.load(f)
    s["_wall"] = wall
    return s


def acq(s):
    return sum(t["acquisitions"] for t in s["threads"])


def ctxsw(s):
    return s["process"]["voluntary_ctxsw"] + s["process"]["involuntary_ctxsw"]


def trace_path(tag):
    p = os.path.join(tmp, f"{tag}.gst")
    if os.path.exists(p):
        os.unlink(p)
    return p


def report_json(path):
    p = run([GS, "report", path, "--json"])
    if p.returncode != 0:
        raise RuntimeError(f"report {path}: {p.stderr.strip()}")
    return json.loads(p.stdout)


def gs_record(tag):
    return [GS, "record", "-o", trace_path(tag), "--"]


def bpftrace_cmd():
    if not shutil.which("bpftrace"):
        return None
    probes = ",".join(f"usdt:{os.path.abspath(RT)}:gilrt:{p}"
                      for p in ("gil_request", "gil_acquired", "gil_released"))
    return ["bpftrace", "-q", "-e", probes + " { @n = count(); }", "-c"]


def gil_python():
    """A CPython 3.11 with take_gil symbols (pyenv's, or Debian's -dbg build),
    or None."""
    for cand in ("/root/.pyenv/versions/3.11.7/bin/python3.11", "/usr/bin/python3.11-dbg"):
        if os.path.exists(cand):
            return cand
    return None


def script_file(name, text):
    """text as the file tmp/NAME (a Python script to run); its path"""
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def printed(out, key, rc=0, err=None):
    """The number a script printed after KEY at the start of a line of out;
    RuntimeError (with the end of err, or of out) if it failed (rc) or did
    not print it."""
    m = re.search(r"^%s ([0-9.]+)" % key, out, re.M)
    if rc != 0 or not m:
        raise RuntimeError("python run failed: " + (out if err is None else err).strip()[-200:])
    return float(m.group(1))


def two_threads_script(name, n, wait=False):
    """A script of two CPU-bound threads, n additions each, that prints
    "elapsed SECONDS PID" once both are done (SECONDS: from starting the
    threads); with wait, it first prints "ready PID" and waits for a line on
    its stdin before it starts them (its interpreter's start, whose imports
    drop and take the GIL ~1,600 times, is then over), and waits for
    another one before it exits."""
    return script_file(name, "import os, sys, threading, time\n"
                       "def work():\n"
                       "    n = 0\n"
                       f"    for i in range({n}):\n"
                       "        n += i\n"
                       + ("print('ready', os.getpid(), flush=True)\nsys.stdin.readline()\n"
                          if wait else "") +
                       "t0 = time.perf_counter()\n"
                       "ts = [threading.Thread(target=work) for _ in range(2)]\n"
                       "[t.start() for t in ts]\n[t.join() for t in ts]\n"
                       "print('elapsed', time.perf_counter() - t0, os.getpid(), flush=True)\n"
                       + ("sys.stdin.readline()\n" if wait else ""))


# ---------------------------------------------------------------------------
def per_event_cost():
    """churn: time per lock cycle untraced, under the empty floor programs,
    under gilscope, and under bpftrace counting the same probes."""
    secs = "2"
    modes = {"untraced": None,
             "floor": [GS, "record", "--floor", "--"],
             "gilscope": "gilscope"}
    if bpftrace_cmd():
        modes["bpftrace"] = "bpftrace"
    ns_per_cycle = {m: [] for m in modes}
    lost = 0
    for _ in range(ROUNDS):
        for m, tracer in modes.items():
            args = ["churn", "--seconds", secs]
            if tracer == "gilscope":
                tracer = gs_record("churn")
            if tracer == "bpftrace":
                # bpftrace -c takes one string
                sj = os.path.join(tmp, "stats.json")
                if os.path.exists(sj):
                    os.unlink(sj)
                p = run(bpftrace_cmd() + [f"{RT} run churn --seconds {secs} --stats-json {sj}"])
                if p.returncode != 0 or not os.path.exists(sj):
                    modes_note["bpftrace"] = p.stderr.strip().splitlines()[-1:] or ["failed"]
                    continue
                s = json.load(open(sj))
            else:
                s = gilrt_stats(args, tracer)
            ns_per_cycle[m].append(s["wall_ns"] / max(acq(s), 1))
            if m == "gilscope":
                lost += report_json(os.path.join(tmp, "churn.gst"))["trace"]["lost"]
    med = {m: statistics.median(v) for m, v in ns_per_cycle.items() if v}
    base = med["untraced"]
    # three probe events (request, acquired, released) per cycle
    cost = {m: (med[m] - base) / 3 for m in med if m != "untraced"}
    row("churn_untraced_ns_per_cycle", round(base, 1), "ns")
    for m in ("floor", "gilscope", "bpftrace"):
        if m in cost:
            row(f"churn_event_cost_{m}_ns", round(cost[m], 1), "ns/event",
                note="wall, 2 threads handing the lock over: load-sensitive")
        elif m == "bpftrace":
            row("churn_event_cost_bpftrace_ns", None, "ns/event",
                note="bpftrace not usable here: " + " ".join(modes_note.get("bpftrace", ["not installed"])))
    row("churn_lost_events", lost, "events", "0 (counted)", None,
        note="churn is a stress test: any loss is counted and reported")


def kernel_optimizes_uprobes():
    try:
        with open("/proc/kallsyms") as f:
            return any(l.rstrip().endswith(" arch_uprobe_optimize") for l in f)
    except OSError:
        return False


def probe_cost():
    """One gilrt lock probe, in a tight loop (tests/progs/probe_loop: thread
    CPU time per probe, so other load on the machine does not count):
    gilscope's programs against empty ones on the same 5-byte-nop sites, and
    against empty ones on stock sys/sdt.h sites (1-byte nops, the loop built
    with sys/sdt.h: probe_loop_sdt). Alternating runs; the least of each
    mode: other load only ever adds to a run's CPU time (the medians of
    7 runs moved the floor ratio 0.96-1.11 between runs minutes apart, the
    least 1.03-1.07)."""
    n = "200000"
    loop5, loop1 = f"{B}/tests/progs/probe_loop", f"{B}/tests/progs/probe_loop_sdt"

    def ns(cmd):
        p = run(cmd)
        m = re.search(r"([0-9.]+) ns/probe", p.stdout)
        if p.returncode != 0 or not m:
            raise RuntimeError(f"{' '.join(cmd)}: {p.stderr.strip()[-200:]}")
        return float(m.group(1))
    modes = {
        "untraced5": [loop5, n],
        "untraced1": [loop1, n],
        "floor5": [GS, "record", "--floor", "--", loop5, n],
        "floor1": [GS, "record", "--floor", "--", loop1, n],
        "gilscope5": [GS, "record", "--force", "-o", trace_path("probe"), "--", loop5, n],
    }
    v = {m: [] for m in modes}
    try:
        for _ in range(ROUNDS + 2):
            for m, cmd in modes.items():
                v[m].append(ns(cmd))
    except RuntimeError as e:
        row("event_cost_vs_floor", None, "x", "<= 1.10", None, note=str(e))
        return
    least = {m: min(x) for m, x in v.items()}
    floor5 = least["floor5"] - least["untraced5"]
    floor1 = least["floor1"] - least["untraced1"]
    gs5 = least["gilscope5"] - least["untraced5"]
    row("event_cost_floor_nop5_ns", round(floor5, 1), "ns/event",
        note="empty programs, 5-byte-nop sites (gilrt's)")
    row("event_cost_floor_nop1_ns", round(floor1, 1), "ns/event",
        note="empty programs, 1-byte-nop sites (stock sys/sdt.h)")
    row("event_cost_gilscope_ns", round(gs5, 1), "ns/event",
        note="gilscope's programs, 5-byte-nop sites")
    r = gs5 / floor5 if floor5 > 0 else None
    row("event_cost_vs_floor", round(r, 3) if r else None, "x", "<= 1.10",
        r is not None and r <= 1.10)
    r = gs5 / floor1 if floor1 > 0 else None
    if kernel_optimizes_uprobes():
        # no program can cost less than nothing: the empty programs' own
        # ratio is the least any tracer reaches on this kernel and machine
        best = floor5 / floor1 if floor1 > 0 else None
        note = None if best is None else (
            f"the least reachable here is {best:.3f}: empty programs on 5-byte nops vs on 1-byte nops"
            + (" (the kernel's optimized path saves too little on this machine to reach 0.6)"
               if best > 0.6 else ""))
        row("event_cost_vs_stock_usdt", round(r, 3) if r else None, "x", "<= 0.6",
            r is not None and r <= 0.6, note=note)
    else:
        row("event_cost_vs_stock_usdt", round(r, 3) if r else None, "x", "<= 0.6", None,
            note="not optimized here: the kernel has no uprobe optimization (x86-64 6.18+)")


def pyenv_python(ver="3.11"):
    """A pyenv CPython and the file holding its take_gil. Its libpython is
    used from a private copy (LD_LIBRARY_PATH overrides the interpreter's
    RUNPATH): uprobes belong to a file, and on a shared machine another
    tracer's probes on the same libpython would trap our untraced runs too."""
    root = run(["pyenv", "root"]).stdout.strip() if shutil.which("pyenv") else ""
    for base in filter(None, [root, "/root/.pyenv"]):
        for d in sorted(os.listdir(os.path.join(base, "versions")) if os.path.isdir(
                os.path.join(base, "versions")) else []):
            if not d.startswith(ver + "."):
                continue
            py = os.path.join(base, "versions", d, "bin", "python" + ver)
            lib = os.path.join(base, "versions", d, "lib", f"libpython{ver}.so.1.0")
            if not os.path.exists(py):
                continue
            if not os.path.exists(lib):
                return py, py
            mine = os.path.join(tmp, "pylib")
            os.makedirs(mine, exist_ok=True)
            if not os.path.exists(os.path.join(mine, os.path.basename(lib))):
                shutil.copy2(lib, mine)
            os.environ["LD_LIBRARY_PATH"] = mine
            return py, os.path.join(mine, os.path.basename(lib))
    return None, None


PY_LOOP = """import os, sys, time
fd = os.open("/dev/zero", os.O_RDONLY)
n = int(sys.argv[1])
r = os.read
for _ in range(1000): r(fd, 1)
c, w = time.process_time(), time.perf_counter()
for _ in range(n): r(fd, 1)
print("cpu_ns %.1f wall_ns %.1f" % ((time.process_time() - c) / n * 1e9,
                                   (time.perf_counter() - w) / n * 1e9))
t = os.times()
print("process_cpu_ns %d" % ((t.user + t.system) * 1e9))
# a uprobe hit maps the kernel's out-of-line area into the process
print("probed %d" % ("[uprobes" in open("/proc/self/maps").read()))
"""


def py_loop(cmd, untraced=False):
    """(cpu, wall) ns per os.read of the loop run by cmd, and the whole
    process's CPU time in ns (start-up included). An untraced run that was
    probed all the same (another tracer on the machine attaching to every
    Python it finds: seen here) is run again, up to five times."""
    for _ in range(5):
        p = run(cmd)
        m = re.search(r"cpu_ns ([0-9.]+) wall_ns ([0-9.]+)", p.stdout)
        t = re.search(r"process_cpu_ns ([0-9]+)", p.stdout)
        if p.returncode != 0 or not m or not t:
            raise RuntimeError(f"{' '.join(cmd[:3])}...: {p.stderr.strip()[-200:]}")
        if not (untraced and "probed 1" in p.stdout):
            break
        FOREIGN[0] += 1
    return float(m.group(1)), float(m.group(2)), int(t.group(1))


FOREIGN = [0]	# untraced runs found probed by someone else, run again


def python_gil_cycle():
    """A loop of os.read(fd, 1) on /dev/zero: every call lets the GIL go and
    takes it back. Untraced, empty bpftrace programs on take_gil, its return
    and drop_gil, gilscope --python=gil (function attribution off) and
    gilscope --python (on); process CPU time per call measured by the
    script, alternating runs, medians. The target is for attribution off;
    the row with it on, and each one's absolute ns per cycle, beside it."""
    py, lib = pyenv_python()
    if not py or not shutil.which("bpftrace"):
        row("python_gil_cycle_vs_bpftrace", None, "x", "<= 1.05", None,
            note="needs a pyenv CPython 3.11 and bpftrace")
        return
    script = script_file("loop.py", PY_LOOP)
    n = "200000"
    bt = ["bpftrace", "-q", "-e", f"uprobe:{lib}:take_gil {{}} uretprobe:{lib}:take_gil {{}} "
          f"uprobe:{lib}:drop_gil {{}}", "-c", f"{py} {script} {n}"]

    def gilscope(mode):
        return [GS, "record", "--force", mode, "-o", trace_path("pyloop"), "--", py, script, n]
    modes = {"untraced": [py, script, n], "bpftrace": bt,
             "gilscope_gil": gilscope("--python=gil"), "gilscope": gilscope("--python")}
    v = {m: [] for m in modes}
    try:
        for _ in range(ROUNDS + 2):
            for m, cmd in modes.items():
                v[m].append(py_loop(cmd, m == "untraced")[0])
    except RuntimeError as e:
        row("python_gil_cycle_vs_bpftrace", None, "x", "<= 1.05", None, note=str(e))
        return
    med = {m: statistics.median(x) for m, x in v.items()}
    added = {m: med[m] - med["untraced"] for m in modes if m != "untraced"}
    bt_add = added["bpftrace"]
    row("python_gil_cycle_untraced_ns", round(med["untraced"], 1), "ns/cycle",
        note=f"{os.path.basename(py)}, process CPU per os.read")
    row("python_gil_cycle_bpftrace_added_ns", round(bt_add, 1), "ns/cycle",
        note="empty programs: take_gil entry + return, drop_gil")
    row("python_gil_cycle_gilscope_added_ns", round(added["gilscope_gil"], 1), "ns/cycle",
        note="--python=gil: function attribution off")
    row("python_gil_cycle_funcs_added_ns", round(added["gilscope"], 1), "ns/cycle",
        note="--python: function attribution on")
    foreign = f"; {FOREIGN[0]} untraced runs probed by another tracer, run again" if FOREIGN[0] else ""
    r = added["gilscope_gil"] / bt_add if bt_add > 0 else None
    row("python_gil_cycle_vs_bpftrace", round(r, 3) if r else None, "x", "<= 1.05",
        r is not None and r <= 1.05, note="function attribution off (--python=gil)" + foreign)
    r = added["gilscope"] / bt_add if bt_add > 0 else None
    row("python_gil_cycle_funcs_vs_bpftrace", round(r, 3) if r else None, "x", None, None,
        note="function attribution on (--python), beside the row above")


def overhead_estimate():
    """What gilscope says the recording cost the program (trace.overhead_ns:
    the CPU time its probes added) against what the program really took
    longer, traced vs untraced, alternating runs: the traced run's time less
    what its work took untraced, each the least disturbed of its runs. gilrt runs for a fixed time, so
    its work is counted in units (an acquisition for churn, a work unit for
    cpu) and priced at the untraced median per unit; the Python loop does
    fixed work (the whole process, start-up included). Judged by CPU time,
    which the estimate claims (overhead_pct is overhead_ns over the rest of
    the program's CPU time); wall time beside it: on a shared machine the
    recorder and others compete for the cores, which wall time counts and
    the program's cost does not. Judged where the slowdown is above 2 %."""
    def gilrt_cpu(s):
        return sum(t["cpu_ns"] for t in s["threads"])
    cases = [("churn", ["churn", "--seconds", "1"], acq),
             ("cpu", ["cpu", "--threads", "2", "--seconds", "1"], lambda s: s["work_done"])]
    errs = []
    for name, args, units in cases:
        un, tr = [], []	# (cpu, wall, units) untraced; (cpu, wall, units, estimate) traced
        try:
            for _ in range(ROUNDS):
                s = gilrt_stats(args)
                un.append((gilrt_cpu(s), s["wall_ns"], max(units(s), 1)))
                s = gilrt_stats(args, gs_record("est"))
                tr.append((gilrt_cpu(s), s["wall_ns"], max(units(s), 1),
                           report_json(os.path.join(tmp, "est.gst"))["trace"]["overhead_ns"]))
        except RuntimeError as e:
            row(f"overhead_estimate_error_{name}", None, "x", "+-0.30", None, note=str(e))
            continue
        errs.append(estimate_row(name, un, tr))
    py, _ = pyenv_python()
    if py:
        script = script_file("loop.py", PY_LOOP)
        un, tr = [], []
        try:
            for _ in range(ROUNDS):
                r = py_loop([py, script, "100000"], untraced=True)
                un.append((r[2], r[1] * 100000, 1))
                r = py_loop([GS, "record", "--force", "--python", "-o", trace_path("est"), "--",
                             py, script, "100000"])
                tr.append((r[2], r[1] * 100000, 1,
                           report_json(os.path.join(tmp, "est.gst"))["trace"]["overhead_ns"]))
        except RuntimeError as e:
            row("overhead_estimate_error_python", None, "x", "+-0.30", None, note=str(e))
        else:
            errs.append(estimate_row("python", un, tr))
    judged = [e for e in errs if e is not None]
    worst = max(judged, key=abs) if judged else None
    row("overhead_estimate_error", round(worst, 3) if worst is not None else None, "x",
        "+-0.30", abs(worst) <= 0.30 if worst is not None else None,
        note="the worst of the cases with a slowdown above 2 % (rows above)")


def estimate_row(name, un, tr):
    """One case: the estimate's relative error against the CPU time the
    traced runs took more than their work does untraced; None if not judged.
    The wall-time slowdown goes in the note."""
    if any(t[3] is None for t in tr):
        row(f"overhead_estimate_error_{name}", None, "x", "+-0.30", None,
            note="no estimate in the trace")
        return None
    # the least disturbed run of each kind: on a shared machine another
    # process's burst makes a run's CPU time longer (caches, the other
    # hyperthread), never shorter; the estimate is of the undisturbed cost
    cpu_unit = min(u[0] / u[2] for u in un)
    wall_unit = min(u[1] / u[2] for u in un)
    best = min(tr, key=lambda t: t[0] - t[2] * cpu_unit)
    added = best[0] - best[2] * cpu_unit
    own = best[2] * cpu_unit
    est = statistics.median(t[3] for t in tr)
    wall = min(t[1] / t[2] for t in tr) / wall_unit - 1
    slow = added / own if own > 0 else 0
    err = est / added - 1 if added > 0 else None
    judged = slow > 0.02 and err is not None
    row(f"overhead_estimate_error_{name}", round(err, 3) if err is not None else None, "x",
        "+-0.30" if judged else None, (abs(err) <= 0.30) if judged else None,
        note=f"estimated {est / 1e6:.1f} ms added, measured {added / 1e6:.1f} ms CPU "
        f"(+{100 * slow:.1f} %; wall +{100 * wall:.1f} %)"
        + ("" if judged else ": under 2 %, not judged"))
    return err if judged else None


modes_note = {}


def observer_effect():
    """gilrt cpu --threads 4 --seconds 2, traced vs untraced, A B A B: context
    switches per second, and time per unit of work (the run's length is fixed,
    so a slower program shows as less work done, not a longer run)."""
    work = ["cpu", "--threads", "4", "--seconds", "2"]
    un, tr = [], []
    for _ in range(ROUNDS):
        un.append(gilrt_stats(work))
        tr.append(gilrt_stats(work, gs_record("cpu4")))

    def cs_rate(s):
        return ctxsw(s) / s["wall_ns"]

    def ns_per_unit(s):
        return s["wall_ns"] / s["work_done"]
    cs = statistics.median(map(cs_rate, tr)) / statistics.median(map(cs_rate, un))
    wall = statistics.median(map(ns_per_unit, tr)) / statistics.median(map(ns_per_unit, un))
    row("observer_ctxsw_ratio", round(cs, 4), "x", "<= 1.02", cs <= 1.02)
    row("observer_wall_ratio", round(wall, 4), "x", "<= 1.03", wall <= 1.03,
        note="time per unit of work, traced / untraced")
    row("observer_ctxsw_untraced", statistics.median(ctxsw(u) for u in un), "switches",
        note="per 2 s run, 4 threads")
    rj = report_json(os.path.join(tmp, "cpu4.gst"))
    size = os.path.getsize(os.path.join(tmp, "cpu4.gst"))
    bpe = size / max(rj["trace"]["events"], 1)
    row("trace_bytes_per_event_cpu", round(bpe, 2), "B/event", "<= 8", bpe <= 8,
        note=f"{rj['trace']['events']} events")
    row("cpu4_lost_events", rj["trace"]["lost"], "events", "0", rj["trace"]["lost"] == 0)
    return rj


def python_observer_effect():
    py = gil_python()
    if not py:
        row("python_observer_wall_ratio", None, "x", "<= 1.03", None,
            note="no Python with take_gil symbols")
        return
    script = two_threads_script("two.py", "10_000_000")

    def elapsed(p):
        return printed(p.stdout, "elapsed", p.returncode, p.stderr)

    un, tr = [], []
    try:
        # the two threads' hand-offs make a run's time vary by +-15 %, and
        # medians of untraced runs against each other by a few %: long runs,
        # three times as many as elsewhere, and that A/A ratio in the note
        for _ in range(3 * ROUNDS):
            un.append(elapsed(run([py, script])))
            tr.append(elapsed(run([GS, "record", "--python", "-o", trace_path("py"), "--",
                                   py, script])))
    except RuntimeError as e:
        row("python_observer_wall_ratio", None, "x", "<= 1.03", None, note=str(e))
        return
    r = statistics.median(tr) / statistics.median(un)
    aa = statistics.median(un[1::2]) / statistics.median(un[0::2])
    row("python_observer_wall_ratio", round(r, 3), "x", "<= 1.03", r <= 1.03,
        note=f"{os.path.basename(py)}, 2 CPU-bound threads, time measured by the script; "
        f"untraced vs untraced (A/A) {aa:.3f}")


def python_function_cost():
    """What naming the function at each GIL event adds (--python against
    --python=gil), per GIL event: a thread that lets go of the GIL and takes
    it back 300,000 times (os.lseek releases it around the system call: a
    request, an acquisition and a release each), its own CPU time (the
    probes run in it) as the script measures it. Alternating rounds; the
    least of each, as other load only ever adds."""
    py = gil_python()
    if not py:
        row("python_func_ns_per_gil_event", None, "ns/event", "<= 150", None,
            note="no Python with take_gil symbols")
        return
    n = 300000
    script = script_file("lseek.py", "import os, time\n"
                         "fd = os.open('/dev/null', os.O_RDONLY)\n"
                         "def loop(n):\n"
                         "    for _ in range(n):\n"
                         "        os.lseek(fd, 0, 0)\n"
                         "t0 = time.process_time()\n"
                         f"loop({n})\n"
                         "print('cpu', time.process_time() - t0)\n")

    def cpu(mode):
        p = run([GS, "record", "-q", mode, "-o", trace_path("pyf"), "--", py, script])
        return printed(p.stdout, "cpu", p.returncode, p.stderr)

    gil, full = [], []
    try:
        for _ in range(2 * ROUNDS):
            gil.append(cpu("--python=gil"))
            full.append(cpu("--python"))
    except RuntimeError as e:
        row("python_func_ns_per_gil_event", None, "ns/event", "<= 150", None, note=str(e))
        return
    ev = 3 * n
    added = (min(full) - min(gil)) / ev * 1e9
    base = min(gil) / ev * 1e9
    row("python_func_ns_per_gil_event", round(added, 1), "ns/event", "<= 150", added <= 150,
        note=f"{os.path.basename(py)}, os.lseek loop: {base:.0f} ns of the thread's CPU "
        f"per GIL event with --python=gil (probes included)")


def _exporter():
    """gilscope exporter on a free port (the probes are attached when it
    says it serves): (process, metrics url)"""
    ex = subprocess.Popen([GS, "exporter", "--listen", "127.0.0.1:0", "--interval", "1"],
                          stderr=subprocess.PIPE, text=True)
    m = re.search(r"http://(127\.0\.0\.1:\d+)/metrics", ex.stderr.readline())
    if not m:
        ex.kill()
        raise RuntimeError("gilscope exporter did not start")
    return ex, "http://%s/metrics" % m.group(1)


def _acquisitions(url, pid, timeout=20):
    """GIL acquisitions of process pid by the exporter at url, from its
    first snapshot taken after now that has a series of the pid's main
    thread (once the exporter has named it, its count is in one); a
    process whose other threads have ended has all its count in its
    series then. RuntimeError after timeout seconds."""
    import urllib.request
    t0 = time.time()
    while time.time() - t0 < timeout:
        text = urllib.request.urlopen(url, timeout=5).read().decode()
        ts = re.search(r"^gilscope_snapshot_timestamp_seconds (\S+)$", text, re.M)
        acq = re.findall(r'^gilscope_gil_acquisitions_total\{pid="%d",[^}]*tid="(\d*)"[^}]*\} '
                         r'(\S+)$' % pid, text, re.M)
        if ts and float(ts.group(1)) > t0 and str(pid) in (t for t, _ in acq):
            return sum(float(v) for _, v in acq)
        time.sleep(0.05)
    raise RuntimeError("the exporter did not show process %d" % pid)


def _stop(ex):
    """ends the exporter once its attacher, which holds the probes, is gone
    too (the kernel detaches them as it exits): the next untraced run meets
    none"""
    att = []
    for t in os.listdir("/proc/%d/task" % ex.pid):
        with open("/proc/%d/task/%s/children" % (ex.pid, t)) as f:
            att += f.read().split()
    ex.terminate()
    ex.wait(timeout=30)
    for a in att:
        for _ in range(600):
            try:
                with open("/proc/%s/stat" % a) as f:
                    if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                        break
            except OSError:
                break
            time.sleep(0.05)


def _cpu_s(pid):
    """user + system CPU seconds of a process so far"""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def always_on_cost():
    """The always-on mode (top, exporter): counters in BPF maps, no events.
    (1) ns per GIL cycle: a loop of os.read(/dev/zero, 1), each call one
    drop_gil and one take_gil (2 probe hits: drop_gil's entry and take_gil's
    got site, where the file has one; else 3), untraced vs under the
    exporter, A B A B; the same loop under `record --python` for
    comparison. (2) CPU added where the GIL switches at CPython's normal
    rate (two CPU-bound threads, 5 ms): that rate, measured by the exporter
    while the threads run, times (1), as a share of a CPU; plus the
    exporter's own CPU, and the threads' time traced / untraced (noisy: A/A
    in the note)."""
    py = gil_python()
    if not py:
        row("alwayson_ns_per_gil_cycle", None, "ns", None, None,
            note="no Python with take_gil symbols")
        return
    loop = script_file("readloop.py", "import os, sys, time\n"
                       "fd = os.open('/dev/zero', os.O_RDONLY)\n"
                       "n = int(sys.argv[1])\n"
                       "t = time.perf_counter()\n"
                       "for _ in range(n):\n"
                       "    os.read(fd, 1)\n"
                       "print('elapsed', time.perf_counter() - t)\n")
    two = two_threads_script("two5ms.py", "8_000_000", wait=True)
    N = 300_000 if QUICK else 1_000_000
    # a private copy of libpython (found first through LD_LIBRARY_PATH, which
    # ld.so searches before RUNPATH): probes that other tracers put on the
    # shared one (uprobes belong to the file) do not reach these runs
    env = dict(os.environ)
    lib = os.path.join(os.path.dirname(os.path.dirname(py)), "lib", "libpython3.11.so.1.0")
    if os.path.exists(lib):
        priv = os.path.join(tmp, "lib")
        os.makedirs(priv, exist_ok=True)
        shutil.copy(lib, priv)
        env["LD_LIBRARY_PATH"] = priv

    def run_loop():
        p = run([py, loop, str(N)], env=env)
        return printed(p.stdout + p.stderr, "elapsed")

    try:
        un, tr, rec = [], [], []
        for _ in range(ROUNDS):
            un.append(run_loop())
            ex, _ = _exporter()
            tr.append(run_loop())
            _stop(ex)
            p = run([GS, "record", "--python", "-q", "-o", trace_path("readloop"), "--",
                     py, loop, str(N)], env=env)
            rec.append(printed(p.stdout + p.stderr, "elapsed"))
        cyc = (statistics.median(tr) - statistics.median(un)) / N * 1e9
        row("alwayson_ns_per_gil_cycle", round(cyc), "ns", None, None,
            note=f"os.read loop, {N} GIL cycles (drop_gil's entry + take_gil's got site); "
            f"untraced {statistics.median(un) / N * 1e9:.0f} ns per iteration"
            + ("; a private libpython" if "LD_LIBRARY_PATH" in env else ""))
        rc = (statistics.median(rec) - statistics.median(un)) / N * 1e9
        row("record_python_ns_per_gil_cycle", round(rc), "ns", None, None,
            note="the same loop under gilscope record --python (events streamed), for comparison")

        # two CPU-bound threads: the GIL changes hands every 5 ms, or less
        # often when the waiter, timed out, has to wait for a CPU too.
        # The rate is the exporter's count over the threads' run alone:
        # the process's total also has its start (~1,600 acquisitions in
        # ~20 ms of imports), and a file first seen at the exec is probed
        # only 0.1-0.3 s later (README, `top` and `exporter`).
        def run_two(url):
            p = subprocess.Popen([py, two], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                 env=env)
            try:
                pid = int(printed(p.stdout.readline(), "ready"))
                before = _acquisitions(url, pid) if url else None
                p.stdin.write("\n")
                p.stdin.flush()
                t = printed(p.stdout.readline(), "elapsed")
                acq = None
                if url:
                    for _ in range(100):	# joined, the workers end just after
                        if len(os.listdir("/proc/%d/task" % pid)) == 1:
                            break
                        time.sleep(0.01)
                    acq = _acquisitions(url, pid) - before
                p.communicate("\n")
                return t, acq
            finally:
                if p.poll() is None:
                    p.kill()
                    p.wait()
        un2, tr2, rates, excpu, counts = [], [], [], [], []
        for _ in range(ROUNDS):
            un2.append(run_two(None)[0])
            ex, url = _exporter()
            try:
                # an interpreter of this file, alive until the exporter
                # counts it: the file is probed before the measured exec
                w = subprocess.Popen([py, "-c", "import time\nwhile True: time.sleep(0.01)"],
                                     env=env)
                try:
                    _acquisitions(url, w.pid)
                finally:
                    w.kill()
                    w.wait()
                c0, w0 = _cpu_s(ex.pid), time.monotonic()
                t, acq = run_two(url)
                excpu.append((_cpu_s(ex.pid) - c0) / (time.monotonic() - w0))
            finally:
                _stop(ex)
            tr2.append(t)
            rates.append(acq / t)
            counts.append("%d in %.2f s" % (acq, t))
        rate = statistics.median(rates)
        added = rate * cyc / 1e9 * 100
        row("alwayson_cpu_added_pct_5ms", round(added, 3), "% of a CPU", "<= 1", added <= 1,
            note=f"{rate:.0f} GIL acquisitions/s (median; 2 CPU-bound threads, counted by the "
            f"exporter while they ran: {', '.join(counts)}) x {cyc:.0f} ns")
        row("alwayson_exporter_cpu_pct", round(100 * statistics.median(excpu), 3), "% of a CPU",
            None, None, note="the exporter itself, snapshot every 1 s, while the program runs")
        wr = statistics.median(tr2) / statistics.median(un2)
        aa = statistics.median(un2[1::2]) / statistics.median(un2[0::2]) if len(un2) > 1 else 1
        row("alwayson_wall_ratio_5ms", round(wr, 3), "x", None, None,
            note=f"the script's time under the exporter / untraced; untraced A/A {aa:.3f}")
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
        row("alwayson_ns_per_gil_cycle", None, "ns", None, None, note=str(e)[:200])


def _prog_ids(pid):
    """ids of the BPF programs process pid holds"""
    ids = set()
    d = "/proc/%d/fdinfo" % pid
    for f in os.listdir(d):
        try:
            for line in open(os.path.join(d, f)):
                if line.startswith("prog_id:"):
                    ids.add(int(line.split()[1]))
        except OSError:
            pass
    return ids


def _drop_prog_stats(ids):
    """(runs, ns) so far of gilstat_drop_entry among the programs ids"""
    p = run(["bpftool", "prog", "show", "-j"])
    for q in json.loads(p.stdout or "[]"):
        if q.get("id") in ids and q.get("name") == "gilstat_drop_entry":
            return q.get("run_cnt", 0), q.get("run_time_ns", 0)
    return 0, 0


def top_function_cost():
    """`top`'s function column (the code a thread runs, read in the kernel
    at drop_gil, at most once per ms per thread) against the exporter,
    which reads none. (1) The os.read loop of always_on_cost (a GIL cycle
    per call, 2 probe hits) under each, A B A B: the loop's own CPU time
    (the probes run in its thread). (2) kernel.bpf_stats_enabled on during
    the runs (restored after): what gilstat's drop_gil program itself takes
    per call under each, in the loop (reads rate-limited) and with two
    CPU-bound threads switching every 5 ms (every hold read)."""
    py = "/root/.pyenv/versions/3.11.7/bin/python3.11"
    if not os.path.exists(py) or not shutil.which("tmux") or not shutil.which("bpftool"):
        row("alwayson_top_ns_per_gil_cycle", None, "ns", None, None,
            note="needs pyenv's 3.11.7, tmux and bpftool")
        return
    loop = os.path.join(tmp, "readloop_cpu.py")
    with open(loop, "w") as f:
        f.write("import os, sys, time, threading\n"
                "def work():\n"
                "    n = 0\n"
                "    for i in range(8_000_000):\n"
                "        n += i\n"
                "if sys.argv[1] == 'two':\n"
                "    ts = [threading.Thread(target=work) for _ in range(2)]\n"
                "    [t.start() for t in ts]\n    [t.join() for t in ts]\n"
                "    sys.exit(0)\n"
                "fd = os.open('/dev/zero', os.O_RDONLY)\n"
                "c = time.thread_time()\n"
                "for _ in range(int(sys.argv[1])):\n"
                "    os.read(fd, 1)\n"
                "print('cpu', time.thread_time() - c)\n")
    N = 100_000 if QUICK else 300_000
    env = dict(os.environ)
    lib = os.path.join(os.path.dirname(os.path.dirname(py)), "lib", "libpython3.11.so.1.0")
    priv = os.path.join(tmp, "lib_top")
    os.makedirs(priv, exist_ok=True)
    shutil.copy(lib, priv)
    env["LD_LIBRARY_PATH"] = priv
    tenv = dict(os.environ, TMUX_TMPDIR=tmp)
    T = ["tmux", "-L", "gilscope-bench-top"]

    def start(mode):
        """the watcher (its pid); the loop's file probed before it returns"""
        if mode == "top":
            subprocess.run(T + ["new-session", "-d", "-s", "t", "-x", "150", "-y", "40",
                                "%s top --ascii" % os.path.abspath(GS)], env=tenv, check=True)
            w = None
            for _ in range(100):
                q = run(["pgrep", "-f", "^%s top" % re.escape(os.path.abspath(GS))])
                if q.stdout.split():
                    w = int(q.stdout.split()[0])
                    break
                time.sleep(0.05)
            time.sleep(2)
        else:
            ex, _ = _exporter()
            w = ex
        # a process of the private libpython that lives long enough to be
        # found (0.1 s after its exec): from then on its file is probed
        run([py, "-c", "import time; time.sleep(1.5)"], env=env)
        return w

    def stop(mode, w):
        if mode == "top":
            subprocess.run(T + ["kill-server"], env=tenv)
        else:
            _stop(w)

    def pid_of(w):
        return w if isinstance(w, int) else w.pid

    def cpu_loop():
        p = run([py, loop, str(N)], env=env)
        m = re.search(r"^cpu ([0-9.]+)", p.stdout, re.M)
        if not m:
            raise RuntimeError("python run failed: " + p.stderr[-200:])
        return float(m.group(1))

    old = open("/proc/sys/kernel/bpf_stats_enabled").read().strip()
    cpu = {"exporter": [], "top": []}
    ns = {"exporter": [], "top": []}
    ns5 = {"exporter": [], "top": []}
    try:
        with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
            f.write("1")
        for _ in range(ROUNDS):
            for mode in ("exporter", "top"):
                w = start(mode)
                try:
                    ids = _prog_ids(pid_of(w))
                    r0 = _drop_prog_stats(ids)
                    cpu[mode].append(cpu_loop())
                    r1 = _drop_prog_stats(ids)
                    run([py, loop, "two"], env=env)
                    r2 = _drop_prog_stats(ids)
                finally:
                    stop(mode, w)
                if r1[0] - r0[0] > N // 2:
                    ns[mode].append((r1[1] - r0[1]) / (r1[0] - r0[0]))
                if r2[0] > r1[0]:
                    ns5[mode].append((r2[1] - r1[1]) / (r2[0] - r1[0]))
    except (RuntimeError, OSError, subprocess.SubprocessError) as e:
        row("alwayson_top_ns_per_gil_cycle", None, "ns", None, None, note=str(e)[:200])
        return
    finally:
        with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
            f.write(old)
    med = statistics.median
    added = (med(cpu["top"]) - med(cpu["exporter"])) / N * 1e9
    row("alwayson_top_ns_per_gil_cycle", round(added), "ns", None, None,
        note=f"os.read loop, {N} GIL cycles, the loop's CPU under top minus under the "
        f"exporter (medians of {ROUNDS}; other watchers on the machine add noise to both)")
    if ns["top"] and ns["exporter"]:
        row("alwayson_top_bpf_drop_ns", round(med(ns["top"])), "ns/call", None, None,
            note=f"gilstat's drop_gil program per call in that loop under top (reads at most "
            f"once per ms); under the exporter {med(ns['exporter']):.0f} ns")
    if ns5["top"] and ns5["exporter"]:
        row("alwayson_top_bpf_drop_ns_5ms", round(med(ns5["top"])), "ns/call", None, None,
            note=f"the same with two CPU-bound threads (a hold per 5 ms: every one read); "
            f"under the exporter {med(ns5['exporter']):.0f} ns")


def trace_sizes(cpu_report):
    # io scenario
    p = run(gs_record("io") + [RT, "run", "io", "--seconds", "2"])
    if p.returncode == 0:
        rj = report_json(os.path.join(tmp, "io.gst"))
        bpe = os.path.getsize(os.path.join(tmp, "io.gst")) / max(rj["trace"]["events"], 1)
        row("trace_bytes_per_event_io", round(bpe, 2), "B/event", "<= 8", bpe <= 8)
    # the same cpu trace as Chrome JSON
    cj = os.path.join(tmp, "cpu4.json")
    p = run([GS, "export", os.path.join(tmp, "cpu4.gst"), "--format", "chrome", "-o", cj])
    if p.returncode == 0:
        row("chrome_json_bytes_per_event_cpu",
            round(os.path.getsize(cj) / max(cpu_report["trace"]["events"], 1), 1), "B/event")
    # ... and as Perfetto's protobuf (the export Perfetto loads fastest)
    pf = os.path.join(tmp, "cpu4.perfetto-trace")
    p = run([GS, "export", os.path.join(tmp, "cpu4.gst"), "--format", "perfetto", "-o", pf])
    if p.returncode == 0:
        bpe = os.path.getsize(pf) / max(cpu_report["trace"]["events"], 1)
        row("perfetto_bytes_per_event_cpu", round(bpe, 1), "B/event", "<= 20", bpe <= 20)
    else:
        row("perfetto_bytes_per_event_cpu", None, "B/event", "<= 20", None,
            note="export failed: " + (p.stderr.strip().splitlines() or ["?"])[-1][:120])
    # perf record of the same kind of run (scheduler tracepoints + gilrt USDT)
    if not shutil.which("perf"):
        row("perf_data_bytes_per_event_cpu", None, "B/event", note="perf not installed")
        return
    pd = os.path.join(tmp, "perf.data")
    ev = "sched:sched_switch,sched:sched_wakeup,sched:sched_migrate_task"
    p = run(["perf", "record", "-q", "-o", pd, "-e", ev, "--",
             RT, "run", "cpu", "--threads", "4", "--seconds", "2"])
    if p.returncode != 0 or not os.path.exists(pd):
        row("perf_data_bytes_per_event_cpu", None, "B/event",
            note="perf record failed: " + (p.stderr.strip().splitlines() or ["?"])[-1][:120])
        return
    s = run(["perf", "script", "-i", pd])
    n = len(s.stdout.splitlines())
    row("perf_data_bytes_per_event_cpu", round(os.path.getsize(pd) / max(n, 1), 1), "B/event",
        note=f"perf record -e {ev} (scheduler events only), {n} events")


def reader():
    big = os.path.join(tmp, "10m.gst")
    p = run([GSB, "synth", "-o", big, "-n", "10000000"])
    if p.returncode != 0:
        row("decode_events_per_s", None, "ev/s", ">= 20e6", None, note=p.stderr.strip())
        return
    best = None
    for _ in range(3):
        w, q = timed([GS, "report", big, "--json"])
        if q.returncode != 0:
            raise RuntimeError("report of the 10 M trace failed: " + q.stderr)
        best = w if best is None else min(best, w)
    rate = 10e6 / best
    row("decode_events_per_s", round(rate / 1e6, 2), "M ev/s", ">= 20", rate >= 20e6)
    row("synthetic_bytes_per_event", round(os.path.getsize(big) / 10e6, 2), "B/event")
    s = json.loads(run([GSB, "seek", big, "-n", "100"]).stdout)
    row("seek_max_ms", s["seek_max_ms"], "ms", "< 50", s["seek_max_ms"] < 50)
    row("seek_window_max_ms", s["window_max_ms"], "ms", "< 50", s["window_max_ms"] < 50,
        note="cold open + seek + model of a 200 ms window")
    row("reader_peak_rss_mib", round(s["peak_rss_kib"] / 1024, 1), "MiB")
    t = run(["/usr/bin/time", "-f", "%M", GS, "report", big, "--json"])
    kib = int(t.stderr.strip().splitlines()[-1])
    row("report_peak_rss_mib_10m", round(kib / 1024, 1), "MiB", None, None,
        note="report of a 36 MB, 10 M-event trace")


def tui():
    p = run(["bash", "bench/tui.sh"])
    if p.returncode != 0:
        row("render_200x60_ms", None, "ms", "< 1", None, note=p.stderr.strip()[-200:])
        return
    j = json.loads(p.stdout)
    for k in ("render_200x60_ms", "render_80x24_ms", "render_200x60_playing_ms"):
        if k in j:
            row(k, j[k], "ms", "< 1", j[k] < 1)
    if "live_latency_max_ms" in j:
        row("live_latency_max_ms", j["live_latency_max_ms"], "ms", "< 100",
            j["live_latency_max_ms"] < 100)
        row("live_fps", j.get("live_fps"), "fps", ">= 20", (j.get("live_fps") or 0) >= 20)


def recorder_memory():
    secs = "10" if QUICK else "60"
    t = run(["/usr/bin/time", "-f", "%M"] + gs_record("churn60")
            + [RT, "run", "churn", "--seconds", secs])
    kib = int(t.stderr.strip().splitlines()[-1])
    row(f"recorder_peak_rss_mib_churn_{secs}s", round(kib / 1024, 1), "MiB", "< 64", kib < 64 * 1024)
    rj = report_json(os.path.join(tmp, "churn60.gst"))
    row(f"churn_{secs}s_events", rj["trace"]["events"], "events")
    row(f"churn_{secs}s_lost", rj["trace"]["lost"], "events", "counted", None)


def main():
    os.makedirs(OUT, exist_ok=True)
    print(f"gilscope bench ({os.cpu_count()} CPUs, {ROUNDS} rounds{' quick' if QUICK else ''}, "
          f"load {os.getloadavg()[0]:.1f})")
    print(f"  {'name':<34} {'value':>12} {'unit':<10} {'target':<14}")
    def want(name):
        return ONLY is None or name in ONLY
    if want("reader"):
        reader()
    if want("tui"):
        tui()
    if ROOT:
        for f in (probe_cost, python_gil_cycle, overhead_estimate, per_event_cost):
            if want(f.__name__):
                f()
        if want("observer_effect") or want("trace_sizes"):
            cpu = observer_effect()
            if want("trace_sizes"):
                trace_sizes(cpu)
        for f in (python_observer_effect, python_function_cost, always_on_cost,
                  top_function_cost, recorder_memory):
            if want(f.__name__):
                f()
    else:
        row("tracing_rows", None, "", note="not root: BPF rows (event cost, observer effect, "
            "trace size, recorder memory) not measured")
    with open(f"{OUT}/results.json", "w") as f:
        json.dump(results, f, indent=1)
    print(f"load average at the end: {os.getloadavg()[0]:.1f}"
          " (a shared machine: rerun when it is high)")
    missed = [k for k, v in results.items() if v["ok"] is False]
    print(f"results: {OUT}/results.json; targets missed: {', '.join(missed) or 'none'}")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
