#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# report_cli.sh - `gilscope report` as a user meets it: usage errors exit 2,
# bad files exit 1 with one line, the JSON has exactly the documented keys,
# the tracing cost is there (measured, or unknown for an older trace),
# the text has its sections, a truncated trace is read up to its last whole
# block with a note, one with a damaged block in the middle is read past it
# with one line saying what was skipped, a corrupted one never crashes the
# reader; a CPython recording shows its threads' Python names and functions.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh

# expect NAME STATUS CMD... : CMD exits with STATUS and says one line on stderr
expect() {
	local n=$1 want=$2; shift 2
	"$@" >"$TMPD/out" 2>"$TMPD/err"
	local rc=$? lines
	lines=$(wc -l <"$TMPD/err")
	if [ "$rc" = "$want" ] && [ "$lines" -ge 1 ] && { [ "$want" = 2 ] || [ "$lines" = 1 ]; }; then
		ok "$n"
	else
		not_ok "$n" "exit $rc (want $want), stderr: $(head -c 200 "$TMPD/err")"
	fi
}

expect report_no_args 2 "$GILSCOPE" report
expect report_bad_option 2 "$GILSCOPE" report --bogus x.gst
expect report_two_files 2 "$GILSCOPE" report a.gst b.gst
expect report_missing_file 1 "$GILSCOPE" report "$TMPD/nope.gst"
printf 'this is not a trace\n%.0s' $(seq 100) >"$TMPD/text.gst"
expect report_not_a_trace 1 "$GILSCOPE" report "$TMPD/text.gst"
: >"$TMPD/empty.gst"
expect report_empty_file 1 "$GILSCOPE" report --json "$TMPD/empty.gst"
if "$GILSCOPE" report --help | grep -q -- '--json'; then ok report_help; else not_ok report_help "no usage"; fi

# A real trace: recorded here (root), else a shipped sample if there is one.
T=$TMPD/t.gst
if [ "$(id -u)" = 0 ] && [ -x "$GILRT" ]; then
	"$GILSCOPE" record -o "$T" -- "$GILRT" run cpu --threads 2 --seconds 1 >/dev/null 2>&1 || rm -f "$T"
elif [ -f traces/threads.gst ]; then
	cp traces/threads.gst "$T"
fi
if [ ! -s "$T" ]; then
	need_root report_trace && not_ok report_trace "could not record a trace"
	t_exit
fi

# The cost of tracing: measured in a recording made here (probes fired: both
# > 0, the per-probe hits add up to it), unknown (null) in a shipped trace
# recorded before gilscope measured it, which still reads.
if [ "$(id -u)" = 0 ] && "$GILSCOPE" report --json "$T" >"$TMPD/c.json" 2>/dev/null; then
	r=$(json_get "$TMPD/c.json" '"ok" if j["trace"]["overhead_ns"] > 0 and j["trace"]["overhead_pct"] > 0 and j["trace"]["overhead_ns"] == sum(p["hits"] * p["ns_per_hit"] for p in j["trace"]["overhead_probes"]) else j["trace"]')
	[ "$r" = ok ] && ok report_json_overhead || not_ok report_json_overhead "$r"
	"$GILSCOPE" report "$T" | grep -q '^cost        tracing cost ~.* of CPU, +[0-9.]* % on the program' &&
		ok report_text_cost || not_ok report_text_cost "$("$GILSCOPE" report "$T" | grep '^cost')"
fi
# (tests/traces/threads-v1.gst: traces/threads.gst as shipped before)
OLD=tests/traces/threads-v1.gst
if "$GILSCOPE" report --json "$OLD" >"$TMPD/o.json" 2>&1; then
	r=$(json_get "$TMPD/o.json" '"ok" if j["trace"]["overhead_ns"] is None and j["trace"]["overhead_pct"] is None and j["trace"]["overhead_probes"] == [] and j["lock"]["acquisitions"] > 0 else j["trace"]')
	[ "$r" = ok ] && ok report_old_trace_cost_unknown || not_ok report_old_trace_cost_unknown "$r"
	"$GILSCOPE" report "$OLD" | grep -q '^cost        tracing cost unknown' &&
		ok report_old_trace_text || not_ok report_old_trace_text "no 'cost unknown' line"
fi

if "$GILSCOPE" report --json "$T" >"$TMPD/t.json" 2>"$TMPD/t.err"; then
	python3 - "$TMPD/t.json" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
bad = []
def keys(where, obj, want):
    if set(obj) != set(want):
        bad.append("%s keys %s, want %s" % (where, sorted(obj), sorted(want)))
keys("top", j, ["trace", "lock", "threads", "cores", "parallelism"])
keys("trace", j["trace"], ["events", "lost", "duration_ns", "cpus", "command", "clamped",
                           "threads_folded", "locks_folded", "recovered", "unreadable",
                           "overhead_ns", "overhead_pct", "program_cpu_ns", "overhead_probes"])
for p in j["trace"]["overhead_probes"]:
    keys("overhead probe", p, ["probe", "hits", "ns_per_hit"])
keys("lock", j["lock"], ["acquisitions", "hold_ns", "hold_hist_log2_us", "wait_hist_log2_us",
                         "handoffs", "handoff_p50_ns"])
for t in j["threads"]:
    keys("thread", t, ["pid", "tid", "name", "acquisitions", "hold_ns", "wait_ns", "cpu_ns",
                       "ctx_switches", "migrations"])
for c in j["cores"]:
    keys("core", c, ["cpu", "busy_ns", "lock_held_ns"])
if not j["threads"] or not j["cores"] or j["trace"]["events"] <= 0:
    bad.append("empty report")
if sum(j["lock"]["hold_hist_log2_us"]) != j["lock"]["acquisitions"]:
    bad.append("hold histogram does not sum to the acquisitions")
if not 0 <= j["lock"]["handoffs"] <= j["lock"]["acquisitions"]:
    bad.append("more hand-offs than acquisitions")
if sum(t["acquisitions"] for t in j["threads"]) != j["lock"]["acquisitions"]:
    bad.append("threads' acquisitions do not add up")
if sum(c["busy_ns"] for c in j["cores"]) > j["trace"]["cpus"] * j["trace"]["duration_ns"]:
    bad.append("cores busy longer than the trace")
if abs(j["parallelism"] * j["trace"]["duration_ns"] - sum(c["busy_ns"] for c in j["cores"])) \
        > 0.001 * j["trace"]["duration_ns"] + 1:
    bad.append("parallelism is not busy time / duration")
print("not ok report_json_shape: " + "; ".join(bad) if bad else "ok report_json_shape")
EOF
else
	not_ok report_json_shape "report failed: $(head -c 200 "$TMPD/t.err")"
fi

"$GILSCOPE" report "$T" >"$TMPD/t.txt" 2>&1
missing=
for s in command duration cost threads lock 'hold times' 'wait times' cores parallelism; do
	grep -q "^$s" "$TMPD/t.txt" || missing="$missing '$s'"
done
if [ -z "$missing" ] && ! grep -q recovered "$TMPD/t.txt"; then ok report_text_sections
else not_ok report_text_sections "missing$missing"; fi

# Cut the file short: the reader recovers whole blocks, the report says so.
size=$(stat -c %s "$T")
head -c $((size * 2 / 3)) "$T" >"$TMPD/cut.gst"
if "$GILSCOPE" report "$TMPD/cut.gst" >"$TMPD/cut.txt" 2>"$TMPD/cut.err"; then
	if grep -q "recovered from a truncated file" "$TMPD/cut.txt"; then ok report_truncated_note
	else not_ok report_truncated_note "no recovery note"; fi
else
	# a trace shorter than one block has nothing to recover: one line, exit 1
	if [ "$(wc -l <"$TMPD/cut.err")" = 1 ]; then ok report_truncated_note
	else not_ok report_truncated_note "$(head -c 200 "$TMPD/cut.err")"; fi
fi

# A CPython recording with names and functions (tests/traces/python311.gst):
# the text has the interpreter and a "Python code" section naming each
# thread by its Python name with its functions; the JSON has "python" and
# one "functions" row per thread and function, sorted by hold_ns, whose
# holds and waits add up to no more than the thread's totals.
PYT=tests/traces/python311.gst
if "$GILSCOPE" report "$PYT" >"$TMPD/py.txt" 2>&1 && "$GILSCOPE" report --json "$PYT" >"$TMPD/py.json" 2>&1; then
	r=$(python3 - "$TMPD/py.json" "$TMPD/py.txt" <<'PY'
import json, sys
j = json.load(open(sys.argv[1])); txt = open(sys.argv[2]).read()
bad = []
py = j.get("python", {})
if sorted(py) != ["executable", "missing", "version"] or py["version"] != "3.11.7" or py["missing"] is not None:
    bad.append("python %s" % py)
keys = ["pid", "tid", "thread", "function", "file", "first_line", "holds", "hold_ns", "waits", "wait_ns"]
rows = j["functions"]
if not rows or any(list(r) != keys for r in rows): bad.append("function rows %s" % rows[:1])
if [r["hold_ns"] for r in rows] != sorted((r["hold_ns"] for r in rows), reverse=True): bad.append("not sorted by hold_ns")
th = {t["tid"]: t for t in j["threads"]}
for tid in th:
    mine = [r for r in rows if r["tid"] == tid]
    if sum(r["hold_ns"] for r in mine) > th[tid]["hold_ns"] or sum(r["wait_ns"] for r in mine) > th[tid]["wait_ns"]:
        bad.append("tid %d: functions add up to more than its totals" % tid)
    if mine and any(r["thread"] != th[tid]["name"] for r in mine): bad.append("thread names differ")
if sorted(t["name"] for t in j["threads"]) != ["MainThread", "cruncher", "sleeper"]: bad.append("names %s" % [t["name"] for t in j["threads"]])
for want in ("python      CPython 3.11.7 (", "\nPython code (a hold is", "\n  cruncher (tid ", "    hold  crunch ",
             "py_funcs.py:13", "    wait  nap_loop "):
    if want not in txt: bad.append("text lacks %r" % want)
print("; ".join(bad[:3]) or "ok")
PY
)
	[ "$r" = ok ] && ok report_python || not_ok report_python "$r"
else
	not_ok report_python "$(head -2 "$TMPD/py.txt")"
fi

# A damaged block in the middle, footer intact: the report goes on past it
# (fewer events, exit 0) and says in one line what it skipped.
if [ -f traces/threads.gst ]; then
	damage_block traces/threads.gst "$TMPD/damaged.gst" >/dev/null
	"$GILSCOPE" report "$TMPD/damaged.gst" >"$TMPD/dmg.txt" 2>"$TMPD/dmg.err"
	rc=$?
	if [ $rc = 0 ] && [ "$(wc -l <"$TMPD/dmg.err")" = 1 ] &&
	   grep -q 'warning: .*skipped 1 damaged block, [0-9,]* events (.*CRC' "$TMPD/dmg.err" &&
	   grep -q '^lock ' "$TMPD/dmg.txt"; then
		ok report_damaged_block
	else
		not_ok report_damaged_block "exit $rc: $(head -c 200 "$TMPD/dmg.err")"
	fi
fi

# Flip bytes all over a copy: a clean error or a partial report, never a crash.
crashed=
for off in 64 200 1000 $((size / 2)) $((size - 40)) $((size - 8)); do
	cp "$T" "$TMPD/bad.gst"
	printf '\xff\x00\xa5\x5a' | dd of="$TMPD/bad.gst" bs=1 seek="$off" conv=notrunc status=none
	"$GILSCOPE" report --json "$TMPD/bad.gst" >/dev/null 2>"$TMPD/bad.err"
	rc=$?
	if [ $rc -ge 2 ] || { [ $rc = 1 ] && [ "$(wc -l <"$TMPD/bad.err")" != 1 ]; }; then
		crashed="$crashed offset $off: exit $rc $(head -c 100 "$TMPD/bad.err");"
	fi
done
if [ -z "$crashed" ]; then ok report_corrupt_no_crash; else not_ok report_corrupt_no_crash "$crashed"; fi
t_exit
