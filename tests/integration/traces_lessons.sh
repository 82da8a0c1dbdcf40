#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# traces_lessons.sh - every lesson has its shipped trace in traces/, under
# 1 MiB, that `gilscope report` reads and that meets the lesson's claims
# (scripts/lesson_claims.py on report --json); and the lesson's own model
# (the closing table of `lesson NAME --replay --plain`) agrees: every
# claim "yes". The same for each CPython form (python_trace, python_claim,
# `lesson NAME --python --replay`): a CPython recording of the script, with
# its Python thread names. No privileges needed.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
# check_trace NAME FORM TRACE STEPKEY CLAIMKEY : TRACE is there, small,
# readable, lossless, meets the claims, and the lesson replays it to its
# table with every step and claim (FORM: "" or --python)
check_trace() {
	local name=$1 form=$2 trace=traces/$3 stepkey=$4 claimkey=$5 f=$6
	if [ ! -f "$trace" ]; then
		not_ok "trace_$name" "$trace missing (sudo make traces)"
		return
	fi
	size=$(stat -c %s "$trace")
	if [ "$size" -ge 1048576 ]; then
		not_ok "trace_size_$name" "$trace is $size bytes, limit 1 MiB"
	else
		ok "trace_size_$name ($size bytes)"
	fi
	if ! "$GILSCOPE" report "$trace" --json >"$TMPD/$name.json" 2>"$TMPD/err"; then
		not_ok "trace_report_$name" "report failed: $(head -n 1 "$TMPD/err")"
		return
	fi
	ok "trace_report_$name"
	lost=$(json_get "$TMPD/$name.json" 'j["trace"]["lost"]')
	if [ "$lost" = 0 ]; then ok "trace_no_loss_$name"; else not_ok "trace_no_loss_$name" "$lost events lost"; fi
	# shellcheck disable=SC2086
	if scripts/lesson_claims.py $form "$f" "$TMPD/$name.json" >"$TMPD/claims" 2>&1; then
		ok "trace_claims_$name: $(grep -o '^ok .*' "$TMPD/claims" | sed 's/^ok //' | paste -sd ';' -)"
	else
		not_ok "trace_claims_$name" "$(grep -v '^ok' "$TMPD/claims" | paste -sd ';' -)"
	fi
	# shellcheck disable=SC2086
	if ! "$GILSCOPE" lesson "${name%_py}" $form --replay --plain </dev/null >"$TMPD/plain" 2>"$TMPD/err"; then
		not_ok "lesson_plain_$name" "exit status $?: $(head -n 1 "$TMPD/err")"
		return
	fi
	steps=$(grep -c '^\[ *[0-9.]* s\]' "$TMPD/plain")
	want=$(grep -c "^$stepkey " "$f")
	claims=$(grep -c "^$claimkey " "$f")
	yes=$(grep -c '^  expected .* yes$' "$TMPD/plain")
	if [ "$steps" = "$want" ] && [ "$yes" = "$claims" ] && [ "$claims" -ge 1 ] &&
		grep -q '^What this run measured' "$TMPD/plain"; then
		ok "lesson_plain_$name"
	else
		not_ok "lesson_plain_$name" "$steps/$want steps shown, $yes/$claims claims met by the lesson's model"
	fi
}
n=0 npy=0
for f in lessons/*.lesson; do
	name=$(basename "$f" .lesson)
	name=${name#*-}
	n=$((n + 1))
	scenario=$(sed -n 's/^run[[:space:]]\{1,\}\([a-z]*\).*/\1/p' "$f")
	if "$GILRT" list | grep -q "^$scenario "; then
		ok "lesson_scenario_$name ($scenario)"
	else
		not_ok "lesson_scenario_$name" "gilrt has no scenario '$scenario'"
	fi
	check_trace "$name" "" "$(sed -n 's/^trace[[:space:]]\{1,\}//p' "$f")" step claim "$f"
	script=$(sed -n 's/^python[[:space:]]\{1,\}//p' "$f")
	[ -n "$script" ] || continue
	npy=$((npy + 1))
	if [ -f "lessons/py/$script" ] && python3 -c 'import ast, sys; ast.parse(open(sys.argv[1]).read())' \
		"lessons/py/$script" 2>"$TMPD/err"; then
		ok "lesson_script_$name ($script)"
	elif [ "$(sed -n 's/^python_version[[:space:]]\{1,\}//p' "$f")" = 2 ] && [ -f "lessons/py/$script" ]; then
		ok "lesson_script_$name ($script, Python 2)"
	else
		not_ok "lesson_script_$name" "lessons/py/$script: $(tail -n 1 "$TMPD/err")"
	fi
	check_trace "${name}_py" --python "$(sed -n 's/^python_trace[[:space:]]\{1,\}//p' "$f")" \
		python_step python_claim "$f"
	# a CPython recording: the script's own thread names reach the table
	# (Python 2: no Python names; its workers name their kernel threads)
	want='MainThread'
	[ "$(sed -n 's/^python_version[[:space:]]\{1,\}//p' "$f")" = 2 ] && want='worker-1'
	if grep -q "^  $want " "$TMPD/plain"; then
		ok "lesson_python_names_$name"
	else
		not_ok "lesson_python_names_$name" "no $want row: $(grep -A3 '^  thread ' "$TMPD/plain" | paste -sd '|' -)"
	fi
done
if [ "$npy" -ge 7 ]; then ok "lessons_python_count ($npy)"; else not_ok lessons_python_count "only $npy CPython forms"; fi
if [ "$n" -ge 10 ]; then ok "lessons_count ($n)"; else not_ok lessons_count "only $n lessons"; fi
t_exit
