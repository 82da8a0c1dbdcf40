#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# export_trace.sh - `gilscope export`: Chrome Trace Event JSON and CSV of a
# shipped sample trace (no privileges needed) and of fresh CPython and
# --lock recordings (root). For each: the JSON parses; lock-held slices
# equal the report's acquisitions; ts/dur are microseconds (the last slice
# ends at the trace's duration / 1000); slices on one track never overlap;
# every CPU slice is on a "CPUs" track named "CPU n", no event uses tid 0
# (the idle task to Perfetto); hand-off flows ("s", "f" with "bp":"e") equal
# the report's lock.handoffs, each inside a hold slice of its thread; CSV
# rows match the JSON slice counts kind by kind. The Perfetto export of
# every shipped trace: protoc --decode_raw reads it, and
# scripts/perfetto_check.py (its own decoder) finds every packet parsing,
# sched events in time order per CPU, no overlapping slices, every flow
# joining two events, hold slices = acquisitions, hand-off flows =
# lock.handoffs and per-thread CPU time = the report's within 0.1 %. Then
# the output-file rules: no overwrite without --force, never through a
# symlink, "-" is stdout, usage errors; a truncated trace and one with a
# damaged block in the middle export what is readable, mark the gap and
# say so (report too); and nobody (no privileges) can export.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh

# verify NAME TRACE : export TRACE both ways and check them against the report
verify() {
	local name=$1 gst=$2 out=$TMPD/$1
	if ! "$GILSCOPE" export "$gst" --format chrome -o "$out.json" 2>"$out.err" ||
	   ! "$GILSCOPE" export "$gst" --format csv -o "$out.csv" 2>>"$out.err" ||
	   ! "$GILSCOPE" report --json "$gst" >"$out.report" 2>>"$out.err"; then
		not_ok "$name" "$(tail -1 "$out.err")"
		return
	fi
	local r
	r=$(python3 - "$out.json" "$out.csv" "$out.report" <<'PY'
import collections, csv, json, sys
bad = []
try:
    j = json.load(open(sys.argv[1]))
except Exception as e:
    print("JSON does not parse: %s" % e); sys.exit()
rep = json.load(open(sys.argv[3]))
ev = j["traceEvents"]
CPU_PID = 4194305
kinds = collections.Counter()
tracks = collections.defaultdict(list)
end = 0.0
for e in ev:
    for k in ("ph", "pid", "tid", "name"):
        if k not in e: bad.append("event without %s: %s" % (k, e)); break
    if e["ph"] == "X":
        if not isinstance(e["ts"], (int, float)) or e["dur"] < 0: bad.append("bad ts/dur %s" % e)
        tracks[(e["pid"], e["tid"])].append((e["ts"], e["dur"]))
        end = max(end, e["ts"] + e["dur"])
        kinds[e["cat"]] += 1
        if (e["cat"] == "cpu") != (e["pid"] == CPU_PID): bad.append("cpu slice off the CPUs track: %s" % e)
    elif e["ph"] == "b":
        kinds[e["cat"]] += 1
holds = kinds["hold"]
acq = rep["lock"]["acquisitions"]
if holds != acq: bad.append("%d hold slices, report says %d acquisitions" % (holds, acq))
# microseconds: the trace lasts duration_ns; slices end near duration_ns / 1000
dur_us = rep["trace"]["duration_ns"] / 1000.0
if not (0.9 * dur_us <= end <= 1.1 * dur_us + 1000): bad.append("last slice ends at %.3f, trace lasts %.3f us" % (end, dur_us))
over = 0
for k, sl in tracks.items():
    sl.sort()
    for (a, da), (b, db) in zip(sl, sl[1:]):
        if b < a + da - 0.0005: over += 1
if over: bad.append("%d overlapping slices on one track" % over)
names = {(e["pid"], e["tid"]): e["args"]["name"] for e in ev if e["ph"] == "M" and e["name"] == "thread_name"}
for (pid, tid) in tracks:
    if (pid, tid) not in names: bad.append("track %d/%d has no name" % (pid, tid)); break
    if pid == CPU_PID and names[(pid, tid)] != "CPU %d" % (tid - 1): bad.append("CPU track %d named %s" % (tid, names[(pid, tid)]))
if any(e.get("tid") == 0 for e in ev): bad.append("an event on tid 0 (Perfetto: the idle task)")
if not any(e["ph"] == "M" and e["name"] == "process_name" and e["pid"] == CPU_PID for e in ev): bad.append("no CPUs process name")
rows = list(csv.reader(open(sys.argv[2])))
if rows[0] != ["kind", "pid", "tid", "thread", "cpu", "start_ns", "end_ns"]: bad.append("CSV header %s" % rows[0])
ck = collections.Counter(r[0] for r in rows[1:])
for k in ("cpu", "hold", "wait", "io", "native"):
    if ck[k] != kinds[k]: bad.append("%s: %d CSV rows, %d JSON slices" % (k, ck[k], kinds[k]))
if any(int(r[6]) < int(r[5]) for r in rows[1:]): bad.append("CSV row ends before it starts")
if acq == 0 and rep["trace"]["events"] > 1000 and "lock" in sys.argv[1]: bad.append("no acquisitions")
# hand-off flows: one "s" and one "f" per hand-off, each in a hold slice of its thread
holds_by = collections.defaultdict(list)
for e in ev:
    if e["ph"] == "X" and e["cat"] == "hold": holds_by[(e["pid"], e["tid"])].append((e["ts"], e["ts"] + e["dur"]))
flows = collections.defaultdict(dict)
for e in ev:
    if e["ph"] in ("s", "f") and e.get("cat") == "handoff":
        flows[e["id"]][e["ph"]] = e
        if e["ph"] == "f" and e.get("bp") != "e": bad.append("flow end without bp e")
        if not any(a - 0.0005 <= e["ts"] <= b + 0.0005 for a, b in holds_by[(e["pid"], e["tid"])]):
            bad.append("flow %s %s at %s is in no hold slice of %d" % (e["id"], e["ph"], e["ts"], e["tid"])); break
if len(flows) != rep["lock"]["handoffs"]: bad.append("%d hand-off flows, report says %d" % (len(flows), rep["lock"]["handoffs"]))
if any(set(f) != {"s", "f"} or f["s"]["ts"] > f["f"]["ts"] for f in flows.values()): bad.append("a flow without both ends, or backwards")
print("; ".join(bad[:4]) or "ok")
PY
)
	[ "$r" = ok ] && ok "$name" || not_ok "$name" "$r"
}

for t in traces/threads.gst traces/io.gst; do
	[ -f "$t" ] && verify "export_sample_$(basename "$t" .gst)" "$t"
done

# verify_perfetto NAME TRACE : the Perfetto export read by protoc and by
# scripts/perfetto_check.py, counted against the report
verify_perfetto() {
	local name=$1 gst=$2 out=$TMPD/$1
	if ! "$GILSCOPE" export "$gst" --format perfetto -o "$out.pftrace" 2>"$out.err" ||
	   ! "$GILSCOPE" report --json "$gst" >"$out.report" 2>>"$out.err"; then
		not_ok "$name" "$(tail -1 "$out.err")"
		return
	fi
	if ! protoc --decode_raw <"$out.pftrace" >/dev/null 2>"$out.protoc"; then
		not_ok "$name" "protoc --decode_raw: $(head -1 "$out.protoc")"
		return
	fi
	local r
	r=$(scripts/perfetto_check.py "$out.pftrace" "$out.report" 2>&1)
	[ "$r" = ok ] && ok "$name" || not_ok "$name" "$(echo "$r" | head -3 | paste -sd ';' -)"
}
if need_cmd export_perfetto protoc; then
	n=0
	for t in traces/*.gst; do
		verify_perfetto "export_perfetto_$(basename "$t" .gst)" "$t"
		n=$((n + 1))
	done
	[ "$n" -ge 11 ] && ok "export_perfetto_all_shipped ($n)" || not_ok export_perfetto_all_shipped "$n traces"
	# the checker itself: a cut export does not pass
	head -c 5000 "$TMPD/export_perfetto_threads.pftrace" >"$TMPD/half.pftrace"
	scripts/perfetto_check.py "$TMPD/half.pftrace" >/dev/null 2>&1 && not_ok export_perfetto_checker "a cut file passed" ||
		ok export_perfetto_checker
fi

if need_root export_recorded; then
	PY=${GS_TEST_PYTHON:-/root/.pyenv/versions/3.11.7/bin/python3.11}
	cat >"$TMPD/two.py" <<'PYEOF'
import threading, time
deadline = time.monotonic() + 1.0
def spin():
    while time.monotonic() < deadline: pass
ts = [threading.Thread(target=spin) for _ in range(2)]
for t in ts: t.start()
for t in ts: t.join()
PYEOF
	if [ -x "$PY" ] && "$GILSCOPE" record --python -o "$TMPD/py.gst" -- "$PY" "$TMPD/two.py" 2>"$TMPD/py.err"; then
		verify export_python "$TMPD/py.gst"
	else
		not_ok export_python "record failed: $(tail -1 "$TMPD/py.err")"
	fi
	P=$BUILD/tests/progs/mutex_count
	if "$GILSCOPE" record --lock "$P:pthread_mutex_lock:pthread_mutex_unlock:arg0=counter_lock" \
		-o "$TMPD/lock.gst" -- "$P" 4 2000 10 >/dev/null 2>"$TMPD/lock.err"; then
		verify export_lock "$TMPD/lock.gst"
	else
		not_ok export_lock "record failed: $(tail -1 "$TMPD/lock.err")"
	fi
fi

# output rules (no privileges needed: run as nobody when we are root)
S=traces/threads.gst
if [ -f "$S" ]; then
	O=$TMPD/o.csv
	"$GILSCOPE" export "$S" --format csv -o "$O" 2>/dev/null
	echo keep >"$TMPD/keep"
	cp "$TMPD/keep" "$O"
	"$GILSCOPE" export "$S" --format csv -o "$O" 2>"$TMPD/e1"
	rc=$?
	[ $rc = 1 ] && grep -q -- '--force' "$TMPD/e1" && [ "$(cat "$O")" = keep ] && ok export_no_clobber ||
		not_ok export_no_clobber "rc=$rc $(cat "$TMPD/e1")"
	"$GILSCOPE" export "$S" --format csv -o "$O" --force 2>/dev/null && head -1 "$O" | grep -q '^kind,pid' &&
		ok export_force || not_ok export_force "--force did not overwrite"
	ln -s "$TMPD/keep" "$TMPD/link.json"
	"$GILSCOPE" export "$S" --format chrome -o "$TMPD/link.json" --force 2>"$TMPD/e2"
	rc=$?
	[ $rc = 1 ] && [ "$(cat "$TMPD/keep")" = keep ] && grep -q 'symbolic link' "$TMPD/e2" && ok export_no_symlink ||
		not_ok export_no_symlink "rc=$rc $(cat "$TMPD/e2")"
	# root must not destroy a device through --force (it was unlinked once)
	if [ "$(id -u)" = 0 ]; then
		mknod "$TMPD/fullnode" c 1 7
		"$GILSCOPE" export "$S" --format csv -o "$TMPD/fullnode" --force 2>"$TMPD/e3"
		rc=$?
		[ $rc = 1 ] && [ -c "$TMPD/fullnode" ] && grep -q 'is a device' "$TMPD/e3" &&
			ok export_force_no_device || not_ok export_force_no_device "rc=$rc $(cat "$TMPD/e3")"
	fi
	n=$("$GILSCOPE" export "$S" --format csv -o - 2>/dev/null | wc -l)
	[ "$n" = "$(wc -l <"$O")" ] && ok export_stdout || not_ok export_stdout "$n lines on stdout"
	# format from the name; bad usage exits 2; a missing trace exits 1 with its name
	"$GILSCOPE" export "$S" -o "$TMPD/by-name.json" 2>/dev/null && json_get "$TMPD/by-name.json" '"ok"' >/dev/null 2>&1 &&
		ok export_format_from_name || not_ok export_format_from_name "no JSON from .json"
	bad=
	"$GILSCOPE" export "$S" --format xml -o "$TMPD/x" 2>/dev/null; [ $? = 2 ] || bad="--format xml"
	"$GILSCOPE" export "$S" 2>/dev/null; [ $? = 2 ] || bad="$bad, no -o"
	"$GILSCOPE" export -o "$TMPD/y.csv" 2>/dev/null; [ $? = 2 ] || bad="$bad, no FILE"
	"$GILSCOPE" export "$S" "$S" -o "$TMPD/z.csv" 2>/dev/null; [ $? = 2 ] || bad="$bad, two FILEs"
	"$GILSCOPE" export "$TMPD/none.gst" -o "$TMPD/n.csv" 2>"$TMPD/e3"; [ $? = 1 ] && grep -q none.gst "$TMPD/e3" &&
		[ ! -e "$TMPD/n.csv" ] || bad="$bad, missing trace"
	"$GILSCOPE" export "$TMPD/keep" -o "$TMPD/k.csv" 2>"$TMPD/e4"; [ $? = 1 ] && [ ! -e "$TMPD/k.csv" ] ||
		bad="$bad, not a trace"
	[ -z "$bad" ] && ok export_usage || not_ok export_usage "$bad"
	# a trace cut short (recorder killed): what is readable, and a warning saying so
	sz=$(stat -c %s "$S")
	head -c $((sz * 2 / 3)) "$S" >"$TMPD/cut.gst"
	"$GILSCOPE" export "$TMPD/cut.gst" -o "$TMPD/cut.csv" 2>"$TMPD/e6"
	rc=$?
	n=$(wc -l <"$TMPD/cut.csv" 2>/dev/null || echo 0)
	[ $rc = 0 ] && grep -q 'not closed properly' "$TMPD/e6" && [ "$n" -gt 10 ] && [ "$n" -lt "$(wc -l <"$O")" ] &&
		ok export_recovered || not_ok export_recovered "rc=$rc, $n rows: $(head -1 "$TMPD/e6")"
	# ... the Perfetto export of it marks where it ends
	"$GILSCOPE" export "$TMPD/cut.gst" -o "$TMPD/cut.pftrace" 2>"$TMPD/e7"
	rc=$?
	[ $rc = 0 ] && grep -q 'not closed properly' "$TMPD/e7" && grep -q 'the trace ends here' "$TMPD/cut.pftrace" &&
		[ "$(scripts/perfetto_check.py "$TMPD/cut.pftrace")" = ok ] &&
		ok export_recovered_perfetto || not_ok export_recovered_perfetto "rc=$rc: $(head -1 "$TMPD/e7")"
	# a damaged block in the middle (the footer is valid): report, export
	# (both formats) go on past it, mark the gap and say what they skipped
	damage_block "$S" "$TMPD/damaged.gst" >/dev/null
	bad=
	"$GILSCOPE" report --json "$TMPD/damaged.gst" >"$TMPD/d.json" 2>"$TMPD/d.err" || bad="report failed: $(head -1 "$TMPD/d.err")"
	grep -q 'skipped 1 damaged block, [0-9,]* events' "$TMPD/d.err" || bad="$bad; report did not say: $(cat "$TMPD/d.err")"
	full=$("$GILSCOPE" report --json "$S" | python3 -c 'import json,sys; print(json.load(sys.stdin)["trace"]["events"])')
	part=$(json_get "$TMPD/d.json" 'j["trace"]["events"]' 2>/dev/null)
	[ -n "$part" ] && [ "$part" -gt 0 ] && [ "$part" -lt "$full" ] || bad="$bad; $part of $full events"
	for fmt in perfetto chrome; do
		"$GILSCOPE" export "$TMPD/damaged.gst" --format $fmt -o "$TMPD/d.$fmt" 2>"$TMPD/d.$fmt.err" ||
			bad="$bad; export $fmt failed: $(head -1 "$TMPD/d.$fmt.err")"
		grep -q 'skipped 1 damaged block' "$TMPD/d.$fmt.err" || bad="$bad; export $fmt did not say"
		grep -q 'damaged block skipped' "$TMPD/d.$fmt" || bad="$bad; no gap mark in the $fmt export"
	done
	[ "$(scripts/perfetto_check.py "$TMPD/d.perfetto")" = ok ] || bad="$bad; perfetto_check: $(scripts/perfetto_check.py "$TMPD/d.perfetto" | head -1)"
	[ -z "$bad" ] && ok export_damaged_block || not_ok export_damaged_block "${bad#; }"
	# Perfetto output follows the same file rules
	cp "$TMPD/keep" "$TMPD/keep.pftrace"
	"$GILSCOPE" export "$S" -o "$TMPD/keep.pftrace" 2>"$TMPD/e8"
	rc=$?
	[ $rc = 1 ] && grep -q -- '--force' "$TMPD/e8" && [ "$(cat "$TMPD/keep.pftrace")" = keep ] &&
		ok export_perfetto_no_clobber || not_ok export_perfetto_no_clobber "rc=$rc $(cat "$TMPD/e8")"
	# --from/--to: only that part, intervals cut at its edges (CSV times are
	# ns from the trace's base: the recording's start, or its first event)
	"$GILSCOPE" export "$S" --format csv -o "$TMPD/all.csv" 2>/dev/null
	"$GILSCOPE" export "$S" --format csv --from 0.5 --to 0.75 -o "$TMPD/part.csv" 2>"$TMPD/e9"
	rc=$?
	verdict=$(python3 - "$TMPD/all.csv" "$TMPD/part.csv" <<-'EOF'
	import csv, sys
	rows = lambda p: list(csv.DictReader(open(p)))
	full, part = rows(sys.argv[1]), rows(sys.argv[2])
	t0 = min(int(r["start_ns"]) for r in full)      # the first event's interval begins here
	lo, hi = t0 + 500_000_000, t0 + 750_000_000
	bad = [r for r in part if int(r["start_ns"]) < lo or int(r["end_ns"]) > hi]
	want = sum(1 for r in full if r["kind"] == "hold" and int(r["end_ns"]) > lo and int(r["start_ns"]) < hi)
	got = sum(1 for r in part if r["kind"] == "hold")
	print("ok" if part and not bad and got == want else f"{len(bad)} rows outside, holds {got} of {want}")
	EOF
	)
	[ $rc = 0 ] && [ "$verdict" = ok ] && ok export_range || not_ok export_range "rc=$rc $verdict $(head -c 200 "$TMPD/e9")"
	"$GILSCOPE" export "$S" --format csv --from 2 --to 1 -o "$TMPD/x.csv" 2>"$TMPD/e10"
	[ $? = 2 ] && grep -q -- '--from must come before --to' "$TMPD/e10" && [ ! -e "$TMPD/x.csv" ] &&
		ok export_range_backwards || not_ok export_range_backwards "$(cat "$TMPD/e10")"
	# a huge export is announced before it is written, with the ways out
	if make -s build/bench/gst_bench >/dev/null 2>&1 &&
	   build/bench/gst_bench synth -o "$TMPD/big.gst" -n 3000000 >/dev/null 2>&1; then
		timeout 120 "$GILSCOPE" export "$TMPD/big.gst" --format chrome -o - 2>"$TMPD/e11" | head -c 100 >/dev/null
		grep -q 'note: about .* MiB for 3,0[0-9][0-9],[0-9]* events of JSON; --from/--to export a part, --format perfetto takes about' "$TMPD/e11" &&
			ok export_huge_announced || not_ok export_huge_announced "$(head -c 300 "$TMPD/e11")"
		"$GILSCOPE" export "$TMPD/big.gst" --format perfetto --to 0.01 -o "$TMPD/small.pftrace" 2>"$TMPD/e12"
		! grep -q 'note: about' "$TMPD/e12" && ok export_small_part_quiet ||
			not_ok export_small_part_quiet "$(cat "$TMPD/e12")"
	else
		not_ok export_huge_announced "could not build or run build/bench/gst_bench synth"
	fi
	if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
		chmod 755 "$TMPD"
		# nobody cannot write into root's TMPD: give it a directory of its own
		mkdir -p "$TMPD/nb" && chown 65534 "$TMPD/nb"
		setpriv --reuid=65534 --regid=65534 --clear-groups "$GILSCOPE" export "$S" -o "$TMPD/nb/t.json" 2>"$TMPD/e5" &&
			[ "$(stat -c %u "$TMPD/nb/t.json")" = 65534 ] && ok export_unprivileged ||
			not_ok export_unprivileged "$(cat "$TMPD/e5")"
	fi
fi
# traces/io.gst was recorded before the kernel side followed a core handed to
# another process, so those processes' departures are not in it: their stays
# count 1 ms at most each, not until a traced thread came back (2.0 of the
# 2.0 s, at 1 % busy)
if [ -f traces/io.gst ] && "$GILSCOPE" export traces/io.gst --format csv -o "$TMPD/io.csv" 2>/dev/null; then
	r=$(python3 - "$TMPD/io.csv" <<'PY'
import csv, sys, collections
rows = list(csv.DictReader(open(sys.argv[1])))
traced = {r["pid"] for r in rows if r["thread"].startswith("io-") or r["thread"] == "feeder"}
span = max(int(r["end_ns"]) for r in rows) - min(int(r["start_ns"]) for r in rows)
other = collections.Counter()
for r in rows:
    if r["kind"] == "cpu" and r["pid"] not in traced:
        other[r["cpu"]] += int(r["end_ns"]) - int(r["start_ns"])
print(" ".join(f"{100 * v / span:.0f}" for v in other.values()) or "none")
PY
)
	bad=
	for p in $r; do [ "$p" = none ] || [ "$p" -le 15 ] || bad=1; done
	[ -z "$bad" ] && [ "$r" != none ] && ok export_io_other_bounded ||
		not_ok export_io_other_bounded "other processes' share of each core: $r %"
else
	not_ok export_io_other_bounded "cannot export traces/io.gst"
fi
t_exit
