#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# traces_lessons.sh - every lesson has its shipped trace in traces/, under
# 1 MiB, that `gilscope report` reads and that meets the lesson's claims
# (scripts/lesson_claims.py on report --json); and the lesson's own model
# (the closing table of `lesson NAME --replay --plain`) agrees: every
# claim "yes". No privileges needed.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
n=0
for f in lessons/*.lesson; do
	name=$(basename "$f" .lesson)
	name=${name#*-}
	trace=traces/$(sed -n 's/^trace[[:space:]]\{1,\}//p' "$f")
	n=$((n + 1))
	scenario=$(sed -n 's/^run[[:space:]]\{1,\}\([a-z]*\).*/\1/p' "$f")
	if "$GILRT" list | grep -q "^$scenario "; then
		ok "lesson_scenario_$name ($scenario)"
	else
		not_ok "lesson_scenario_$name" "gilrt has no scenario '$scenario'"
	fi
	if [ ! -f "$trace" ]; then
		not_ok "trace_$name" "$trace missing (sudo make traces)"
		continue
	fi
	size=$(stat -c %s "$trace")
	if [ "$size" -ge 1048576 ]; then
		not_ok "trace_size_$name" "$trace is $size bytes, limit 1 MiB"
	else
		ok "trace_size_$name ($size bytes)"
	fi
	if ! "$GILSCOPE" report "$trace" --json >"$TMPD/$name.json" 2>"$TMPD/err"; then
		not_ok "trace_report_$name" "report failed: $(head -n 1 "$TMPD/err")"
		continue
	fi
	ok "trace_report_$name"
	lost=$(json_get "$TMPD/$name.json" 'j["trace"]["lost"]')
	if [ "$lost" = 0 ]; then ok "trace_no_loss_$name"; else not_ok "trace_no_loss_$name" "$lost events lost"; fi
	if scripts/lesson_claims.py "$f" "$TMPD/$name.json" >"$TMPD/claims" 2>&1; then
		ok "trace_claims_$name: $(grep -o '^ok .*' "$TMPD/claims" | sed 's/^ok //' | paste -sd ';' -)"
	else
		not_ok "trace_claims_$name" "$(grep -v '^ok' "$TMPD/claims" | paste -sd ';' -)"
	fi
	if ! "$GILSCOPE" lesson "$name" --replay --plain </dev/null >"$TMPD/plain" 2>"$TMPD/err"; then
		not_ok "lesson_plain_$name" "exit status $?: $(head -n 1 "$TMPD/err")"
		continue
	fi
	steps=$(grep -c '^\[ *[0-9.]* s\]' "$TMPD/plain")
	want=$(grep -c '^step' "$f")
	claims=$(grep -c '^claim' "$f")
	yes=$(grep -c '^  expected .* yes$' "$TMPD/plain")
	if [ "$steps" = "$want" ] && [ "$yes" = "$claims" ] && grep -q '^What this run measured' "$TMPD/plain"; then
		ok "lesson_plain_$name"
	else
		not_ok "lesson_plain_$name" "$steps/$want steps shown, $yes/$claims claims met by the lesson's model"
	fi
done
if [ "$n" -ge 10 ]; then ok "lessons_count ($n)"; else not_ok lessons_count "only $n lessons"; fi
t_exit
