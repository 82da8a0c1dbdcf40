#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# gilrt_cli.sh - gilrt's command line: list, help, every scenario runs and
# writes the documented --stats-json, and bad input is one line + exit 2.
. "$(dirname "$0")/../lib.sh"

# list: every scenario, one line each
out=$("$GILRT" list)
n=$(printf '%s\n' "$out" | wc -l)
missing=
for s in seq cpu procs io convoy native async churn unsafe; do
	printf '%s\n' "$out" | grep -q "^$s " || missing="$missing $s"
done
if [ "$n" = 9 ] && [ -z "$missing" ]; then ok gilrt_list; else not_ok gilrt_list "$n lines, missing:$missing"; fi

if "$GILRT" --help | grep -q 'gilrt run SCENARIO'; then ok gilrt_help; else not_ok gilrt_help "no usage"; fi

# bad input: exit 2 and exactly one line on stderr
bad() { # NAME ARGS...
	local name=$1; shift
	"$GILRT" "$@" >"$TMPD/out" 2>"$TMPD/err"
	local rc=$? lines
	lines=$(wc -l <"$TMPD/err")
	if [ "$rc" = 2 ] && [ "$lines" = 1 ]; then ok "gilrt_bad_$name"
	else not_ok "gilrt_bad_$name" "exit $rc, $lines stderr lines: $(head -c 200 "$TMPD/err")"; fi
}
bad no_command
bad unknown_command frob
bad unknown_scenario run nosuch
bad no_scenario run
bad threads_word run cpu --threads abc
bad threads_zero run cpu --threads 0
bad threads_huge run cpu --threads 99999999999999999999
bad threads_missing run cpu --threads
bad seconds_negative run cpu --seconds -1
bad seconds_word run cpu --seconds soon
bad work_zero run cpu --work 0
bad work_and_seconds run cpu --work 1000 --seconds 1
bad policy run cpu --policy fair
bad interval_zero run cpu --switch-interval-us 0
bad interval_neg run cpu --switch-interval-us -5
bad unknown_option run cpu --frob
bad compare_work compare --work lots
bad compare_option compare --fast
bad compare_repeat_zero compare --repeat 0
bad compare_repeat_huge compare --repeat 21
bad list_arg list extra

# every scenario: a short run whose JSON has the documented shape
for s in seq cpu procs io convoy native async churn unsafe; do
	j="$TMPD/$s.json"
	if ! "$GILRT" run "$s" --seconds 0.3 --stats-json "$j" >"$TMPD/$s.out" 2>&1; then
		not_ok "gilrt_run_$s" "exit $?: $(tail -n 3 "$TMPD/$s.out")"
		continue
	fi
	if why=$(python3 - "$j" "$s" <<'PY'
import json, sys
j = json.load(open(sys.argv[1])); s = sys.argv[2]
def need(c, m):
    if not c:
        print(m); sys.exit(1)
for k in ("scenario", "policy", "switch_interval_us", "wall_ns", "process", "threads"):
    need(k in j, "missing " + k)
need(j["scenario"] == s, "scenario " + j["scenario"])
need(j["policy"] == ("none" if s == "unsafe" else "new"), "policy " + j["policy"])
need(j["switch_interval_us"] == 5000, "interval")
need(2.5e8 <= j["wall_ns"] < 3e9, "wall %d" % j["wall_ns"])
need(set(j["process"]) >= {"voluntary_ctxsw", "involuntary_ctxsw"}, "process keys")
keys = {"tid", "name", "acquisitions", "hold_ns", "wait_ns", "drop_requests", "cpu_ns",
        "voluntary_ctxsw", "involuntary_ctxsw"}
for t in j["threads"]:
    need(keys <= set(t), "thread keys %s" % sorted(keys - set(t)))
names = [t["name"] for t in j["threads"]]
need(names[0] == "main", "first thread %s" % names[0])
want = {"seq": [], "cpu": ["worker-1", "worker-2"], "procs": ["worker-1", "worker-2"],
        "io": ["io-1", "io-2", "feeder"], "convoy": ["worker-1", "io-1", "feeder"],
        "native": ["worker-1", "worker-2"], "async": ["feeder"], "churn": ["worker-1"],
        "unsafe": ["worker-1", "worker-2"]}[s]
need(sorted(names[1:]) == sorted(want), "threads %s" % names)
if s == "procs":
    pids = {t["pid"] for t in j["threads"]}
    need(len(pids) == 3, "procs: %d processes" % len(pids))
tids = [t["tid"] for t in j["threads"]]
need(len(set(tids)) == len(tids), "duplicate tids")
for t in j["threads"]:
    if s != "unsafe" and t["name"] != "feeder":
        need(t["acquisitions"] >= 1, "%s never held the lock" % t["name"])
    need(t["hold_ns"] <= j["wall_ns"] * 1.2 + 1e8, "%s held longer than the run" % t["name"])
if s in ("io", "convoy", "async"):
    l = j.get("io_latency_ns")
    need(l and 0 < l["p50"] <= l["p99"] <= l["max"], "io_latency_ns %s" % l)
if s == "unsafe":
    need(all(t["acquisitions"] == 0 for t in j["threads"]), "policy none took a lock")
if s == "cpu":
    need(sum(t["drop_requests"] for t in j["threads"]) > 0, "no drop requests under contention")
PY
); then ok "gilrt_run_$s"; else not_ok "gilrt_run_$s" "$why"; fi
done

# --work: a fixed amount, done exactly
"$GILRT" run cpu --work 1000000 --threads 3 --stats-json "$TMPD/w.json" >/dev/null 2>&1
if [ "$(json_get "$TMPD/w.json" 'j["work_done"]')" = 1000000 ] &&
   [ "$(json_get "$TMPD/w.json" 'len(j["threads"])')" = 4 ]; then ok gilrt_work_exact
else not_ok gilrt_work_exact "work_done $(json_get "$TMPD/w.json" 'j.get("work_done")')"; fi

# --stats-json - writes JSON on stdout, the summary on stderr
if "$GILRT" run seq --work 100000 --stats-json - 2>/dev/null | python3 -c 'import json,sys; json.load(sys.stdin)'; then
	ok gilrt_json_stdout; else not_ok gilrt_json_stdout "stdout is not JSON"; fi

# an unwritable JSON path fails before running, with one line
if ! "$GILRT" run seq --seconds 5 --stats-json /nonexistent/x.json 2>"$TMPD/err" >/dev/null &&
   [ "$(wc -l <"$TMPD/err")" = 1 ]; then ok gilrt_json_unwritable
else not_ok gilrt_json_unwritable "$(cat "$TMPD/err")"; fi
t_exit
