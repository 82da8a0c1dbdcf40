#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""lesson_claims.py [--python] LESSON REPORT_JSON - check a lesson's `claim`
lines (with --python: its CPython form's `python_claim` lines) against
`gilscope report --json` of a trace. Prints one line per claim,
"ok CLAIM (measured V)" or "not ok CLAIM: measured V", and exits 1 if any
fails, 2 on bad input. The metrics mirror user/lesson/lesson_run.c; the
table of their meanings is in lessons/README.md."""
import json
import sys


def metrics(j):
    secs = j["trace"]["duration_ns"] / 1e9
    lock = j["lock"]
    ran = [t for t in j["threads"] if t.get("cpu_ns", 0) > 0]
    held = sum(t.get("hold_ns", 0) for t in j["threads"])
    most = max([t.get("hold_ns", 0) for t in j["threads"]] or [0])
    return {
        "parallelism": j["parallelism"],
        "acquisitions": lock["acquisitions"],
        "acq_per_s": lock["acquisitions"] / secs if secs > 0 else 0,
        "lock_busy": lock["hold_ns"] / 1e9 / secs if secs > 0 else 0,
        "processes": len({t["pid"] for t in ran}),
        "threads": len(ran),
        "long_holds": sum(lock["hold_hist_log2_us"][11:]),
        "long_waits": sum(lock["wait_hist_log2_us"][11:]),
        "hold_share_max": most / held if held > 0 else 0,
        # acquisitions that were not hand-offs: the releaser took it back
        "taken_back": 1 - lock["handoffs"] / lock["acquisitions"] if lock["acquisitions"] else 0,
    }


OPS = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "==": lambda a, b: abs(a - b) < 1e-9,
}


def main():
    args = sys.argv[1:]
    key = "claim"
    if args[:1] == ["--python"]:
        key = "python_claim"
        args = args[1:]
    if len(args) != 2:
        print("usage: lesson_claims.py [--python] LESSON REPORT_JSON", file=sys.stderr)
        return 2
    try:
        claims = [l.split()[1:] for l in open(args[0]) if l.split()[:1] == [key]]
        m = metrics(json.load(open(args[1])))
    except (OSError, ValueError, KeyError, TypeError) as e:
        print(f"lesson_claims: {e}", file=sys.stderr)
        return 2
    bad = 0
    for name, op, value in claims:
        if name not in m or op not in OPS:
            print(f"not ok {name} {op} {value}: unknown metric or operator")
            bad = 1
            continue
        v = m[name]
        shown = f"{v:.0f}" if float(v).is_integer() else f"{v:.3f}"
        if OPS[op](v, float(value)):
            print(f"ok {name} {op} {value} (measured {shown})")
        else:
            print(f"not ok {name} {op} {value}: measured {shown}")
            bad = 1
    return bad


if __name__ == "__main__":
    sys.exit(main())
