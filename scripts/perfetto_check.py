#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""scripts/perfetto_check.py - decode a `gilscope export --format perfetto`
file with its own small protobuf reader (only the fields gilscope writes,
docs/perfetto.md) and check it holds together:

  - every packet parses, every length fits;
  - scheduler events on each CPU are in time order;
  - slices on one track never overlap (nor nest);
  - every flow joins two existing events, its start not after its end;
  - every slice has a name (an interned one was interned on its sequence);
  - with REPORT (`gilscope report --json` of the same .gst): hold slices =
    lock.acquisitions, hand-off flows = lock.handoffs, and each traced
    thread's CPU time summed from the scheduler events = its cpu_ns
    within 0.1 %; for a CPython trace with functions, each thread's hold
    slices named after a function ("hold crunch (app.py:13)") add up to
    the report's hold_ns for that function, within 0.1 %.

Prints "ok" (then, with --sizes, a line of byte counts by kind) or the
problems found, one per line, and exits 1 on problems.

Usage: scripts/perfetto_check.py OUT.perfetto-trace [REPORT.json] [--sizes]
"""
import collections
import json
import sys

CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_SEQ = 3, 6, 64
HANDOFF_BIT, DROP_BIT = 1 << 63, 1 << 62


class Bad(Exception):
    pass


def varint(b, i):
    r = shift = 0
    while True:
        if i >= len(b):
            raise Bad("truncated varint")
        c = b[i]
        i += 1
        r |= (c & 0x7F) << shift
        if c < 0x80:
            return r, i
        shift += 7
        if shift > 63:
            raise Bad("varint too long")


def fields(b):
    """(field, wire, value) of one message; value is bytes for LEN."""
    i = 0
    while i < len(b):
        key, i = varint(b, i)
        f, w = key >> 3, key & 7
        if f == 0:
            raise Bad("field 0")
        if w == 0:
            v, i = varint(b, i)
        elif w == 1:
            if i + 8 > len(b):
                raise Bad("truncated fixed64")
            v = int.from_bytes(b[i:i + 8], "little")
            i += 8
        elif w == 2:
            n, i = varint(b, i)
            if i + n > len(b):
                raise Bad("length past the end")
            v = bytes(b[i:i + n])
            i += n
        elif w == 5:
            v = int.from_bytes(b[i:i + 4], "little")
            i += 4
        else:
            raise Bad("wire type %d" % w)
        yield f, w, v


def msg(b):
    d = collections.defaultdict(list)
    for f, _, v in fields(b):
        d[f].append(v)
    return d


def packed(b):
    out, i = [], 0
    while i < len(b):
        v, i = varint(b, i)
        out.append(v)
    return out


def one(d, f, default=None):
    return d[f][-1] if d.get(f) else default


class Trace:
    def __init__(self, data):
        self.size = collections.Counter()
        self.tracks = {}              # uuid -> descriptor dict
        self.events = collections.defaultdict(list)   # track uuid -> [(ts, type, name, flows, terms)]
        self.sched = collections.defaultdict(list)    # cpu -> [(ts, next_tid, prev_state)]
        self.waking = collections.defaultdict(list)   # cpu -> [ts]
        self.ftrace = collections.defaultdict(list)   # cpu -> [(ts, field)]
        self.counters = collections.defaultdict(list)  # counter uuid -> [(ts, value)]
        self.seq = {}                 # seq id -> {clock, track, counters, names, last}
        self.tree = []
        self.problems = []
        for f, w, pkt in fields(data):
            if f != 1 or w != 2:
                raise Bad("a Trace holds only packets (field 1)")
            self.packet(msg(pkt), len(pkt))

    def packet(self, p, n):
        sid = one(p, 10, 0)
        st = self.seq.setdefault(sid, {"clock": None, "track": None, "counters": [],
                                       "names": {}, "last": None})
        if one(p, 13, 0) & 1:           # incremental state cleared
            st["names"] = {}
        if 59 in p:                     # TracePacketDefaults
            d = msg(one(p, 59))
            st["clock"] = one(d, 58)
            if 11 in d:
                ted = msg(one(d, 11))
                st["track"] = one(ted, 11)
                st["counters"] = ted.get(31, [])
        if 12 in p:                     # InternedData
            for en in msg(one(p, 12)).get(2, []):
                e = msg(en)
                st["names"][one(e, 1)] = one(e, 2).decode()
        if 6 in p:                      # ClockSnapshot
            cs = msg(one(p, 6))
            clocks = {one(msg(c), 1): msg(c) for c in cs.get(1, [])}
            if CLOCK_SEQ in clocks:
                st["last"] = one(clocks[CLOCK_SEQ], 2)
            elif clocks:
                if one(clocks.get(CLOCK_BOOTTIME, {}), 2) != one(clocks.get(CLOCK_MONOTONIC, {}), 2):
                    self.problems.append("BOOTTIME and MONOTONIC differ in the clock snapshot")
            self.size["clocks"] += n
            return
        if 1 in p:
            self.size["ftrace"] += n
            self.bundle(msg(one(p, 1)))
        elif 11 in p:
            self.size["track_event"] += n
            self.track_event(p, st)
        elif 60 in p:
            self.size["descriptors"] += n
            td = msg(one(p, 60))
            self.tracks[one(td, 1)] = td
        elif 2 in p:
            self.size["process_tree"] += n
            self.tree.append(msg(one(p, 2)))
        else:
            self.size["other"] += n

    def ts(self, p, st):
        t = one(p, 8)
        if t is None:
            raise Bad("a track event without timestamp")
        clock = one(p, 58, st["clock"])
        if clock == CLOCK_SEQ:
            if st["last"] is None:
                raise Bad("incremental clock before its snapshot")
            st["last"] += t
            return st["last"]
        if clock != CLOCK_MONOTONIC:
            raise Bad("a timestamp in clock %s" % clock)
        return t

    def thread_of(self, uuid):
        """The tid of the thread a track belongs to (its own or its parent's), or None."""
        for _ in range(3):
            td = self.tracks.get(uuid)
            if td is None:
                return None
            if 4 in td:
                return one(msg(one(td, 4)), 2)
            uuid = one(td, 5)
        return None

    def track_event(self, p, st):
        te = msg(one(p, 11))
        ts = self.ts(p, st)
        track = one(te, 11, st["track"])
        if track not in self.tracks:
            self.problems.append("event on undeclared track %s" % track)
        typ = one(te, 9)
        name = st["names"].get(one(te, 10)) if 10 in te else (one(te, 23, b"").decode() or None)
        for uuid, val in zip(te.get(31, st["counters"]), te.get(12, [])):
            self.counters[uuid].append((ts, val))
        self.events[track].append((ts, typ, name, te.get(47, []), te.get(48, [])))

    def bundle(self, b):
        cpu = one(b, 1)
        for ev in b.get(2, []):
            e = msg(ev)
            body = [f for f in e if f not in (1, 2, 5)]
            self.ftrace[cpu].append((one(e, 1), body[0] if body else None))
        if 4 in b:
            cs = msg(one(b, 4))
            col = {f: packed(one(cs, f, b"")) for f in (1, 2, 3, 4, 6, 7, 8, 9, 10, 11)}
            strings = cs.get(5, [])
            sw = [col[f] for f in (1, 2, 3, 4, 6)]
            wk = [col[f] for f in (7, 8, 9, 10, 11)]
            if len({len(c) for c in sw}) > 1 or len({len(c) for c in wk}) > 1:
                self.problems.append("CPU %d: compact columns of different lengths" % cpu)
            t = 0
            for dt, state, pid, prio, comm in zip(*sw):
                t += dt
                if comm >= len(strings):
                    self.problems.append("comm index past the intern table")
                self.sched[cpu].append((t, pid, state))
            t = 0
            for dt, *_ in zip(*wk):
                t += dt
                self.waking[cpu].append(t)


def slices(events):
    """(start, end, name, begin_event, end_event) of a track, and problems."""
    out, problems, open_ = [], [], None
    for e in sorted(events, key=lambda e: e[0]) if False else events:
        ts, typ = e[0], e[1]
        if typ == 1:
            if open_ is not None:
                problems.append("a slice begins inside another at %d" % ts)
            if out and ts < out[-1][1]:
                problems.append("a slice begins at %d before the previous ended" % ts)
            open_ = e
        elif typ == 2:
            if open_ is None:
                problems.append("a slice ends at %d that never began" % ts)
                continue
            if ts < open_[0]:
                problems.append("a slice ends before it begins")
            out.append((open_[0], ts, open_[2], open_, e))
            open_ = None
    if open_ is not None:
        problems.append("a slice never ends")
    return out, problems


def check(path, report=None):
    data = open(path, "rb").read()
    try:
        t = Trace(data)
    except Bad as e:
        return ["does not parse: %s" % e], None
    bad = list(t.problems)
    # scheduler: per CPU in time order
    for cpu, sw in t.sched.items():
        if any(b[0] < a[0] for a, b in zip(sw, sw[1:])):
            bad.append("CPU %d: sched_switch events out of time order" % cpu)
    for name, per in (("sched_waking", t.waking), ("ftrace", t.ftrace)):
        for cpu, evs in per.items():
            ts = [e if isinstance(e, int) else e[0] for e in evs]
            if any(b < a for a, b in zip(ts, ts[1:])):
                bad.append("CPU %d: %s events out of time order" % (cpu, name))
    # slices: per track, no overlap
    holds = 0
    ends = {}          # flow id -> event that starts it
    terms = {}         # flow id -> event that ends it
    fn_ns = collections.Counter()   # (tid, slice name) -> ns, hold slices with a function
    for uuid, evs in t.events.items():
        sl, probs = slices(evs)
        bad += ["track %d: %s" % (uuid, p) for p in probs[:2]]
        if any(s[2] is None for s in sl):
            bad.append("track %d: a slice without a name (an iid never interned)" % uuid)
        holds += sum(1 for s in sl if s[2] and (s[2] == "hold" or s[2].startswith("hold ")))
        tid = t.thread_of(uuid)
        for s in sl:
            if s[2] and s[2].startswith("hold "):
                fn_ns[(tid, s[2])] += s[1] - s[0]
        for e in evs:
            for f in e[3]:
                if f in ends:
                    bad.append("flow %x starts twice" % f)
                ends[f] = e
            for f in e[4]:
                terms[f] = e
    flows = collections.Counter()
    for f, e in terms.items():
        src = ends.get(f)
        if src is None:
            bad.append("flow %x ends without a start" % f)
        elif src[0] > e[0]:
            bad.append("flow %x ends before it starts" % f)
        flows["handoff" if f & HANDOFF_BIT else "drop" if f & DROP_BIT else "other"] += 1
    info = {"holds": holds, "handoffs": flows["handoff"], "drops": flows["drop"],
            "switches": sum(len(v) for v in t.sched.values()), "size": t.size}
    if report:
        rep = json.load(open(report))
        if holds != rep["lock"]["acquisitions"]:
            bad.append("%d hold slices, report says %d acquisitions" % (holds, rep["lock"]["acquisitions"]))
        if flows["handoff"] != rep["lock"]["handoffs"]:
            bad.append("%d hand-off flows, report says %d hand-offs" % (flows["handoff"], rep["lock"]["handoffs"]))
        cpu_ns = collections.Counter()
        for cpu, sw in t.sched.items():
            for (a, tid, _), (b, _, _) in zip(sw, sw[1:]):
                cpu_ns[tid] += b - a
        for th in rep["threads"]:
            want, got = th["cpu_ns"], cpu_ns[th["tid"]]
            if abs(got - want) > max(want * 0.001, 0):
                bad.append("tid %d: %d ns on CPUs in the export, report says %d" % (th["tid"], got, want))
        rows = rep.get("functions", [])
        if not any(r["function"] == "(other)" for r in rows):
            for r in rows:
                if not r["holds"]:
                    continue
                name = "hold " + r["function"]
                if r["file"] and r["first_line"]:
                    name += " (%s:%d)" % (r["file"].rsplit("/", 1)[-1], r["first_line"])
                got = fn_ns[(r["tid"], name)]
                if abs(got - r["hold_ns"]) > r["hold_ns"] * 0.001:
                    bad.append("tid %d: %d ns of '%s' slices, report says %d" % (r["tid"], got, name, r["hold_ns"]))
        info["function_slices"] = sum(1 for k in fn_ns)
    return bad, info


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if not args:
        print(__doc__.strip().splitlines()[-1])
        sys.exit(2)
    bad, info = check(args[0], args[1] if len(args) > 1 else None)
    if bad:
        print("\n".join(bad[:6]))
        sys.exit(1)
    print("ok")
    if "--sizes" in sys.argv:
        print(json.dumps(dict(info, size=dict(info["size"]))))


if __name__ == "__main__":
    main()
