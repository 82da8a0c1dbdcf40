#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# lesson_demo.sh - scripts/demo.sh (make demo): live first lesson where the
# machine can trace, else its replay after one line saying why. Run without
# a terminal, so the lesson narrates as plain text.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
first=$("$GILSCOPE" lesson --list | awk 'NR == 1 { print $2 }')
AS=()
[ "$(id -u)" = 0 ] && AS=(runuser -u nobody --)
if [ "$(id -u)" = 0 ] || ! "$GILSCOPE" check >/dev/null 2>&1; then
	demo=scripts/demo.sh
	if [ "$(id -u)" = 0 ]; then
		chmod 711 "$TMPD"
		stage_unprivileged "$TMPD/stage" >/dev/null
		demo=$TMPD/stage/scripts/demo.sh
	fi
	"${AS[@]}" env BUILD=build "$demo" </dev/null >"$TMPD/out" 2>&1
	rc=$?
	if [ $rc = 0 ] && head -n 1 "$TMPD/out" | grep -q "^make demo: .*; replaying the recorded lesson '$first' instead" &&
	   grep -q '^What this run measured' "$TMPD/out"; then
		ok "demo_replay_without_privileges"
	else
		not_ok demo_replay_without_privileges "exit $rc: $(head -n 2 "$TMPD/out" | paste -sd '|' -)"
	fi
fi
if need_root demo_live; then
	BUILD="$BUILD" scripts/demo.sh </dev/null >"$TMPD/live" 2>&1
	rc=$?
	if [ $rc = 0 ] && grep -q "^Lesson $first: " "$TMPD/live" && grep -q '^Live: gilrt run ' "$TMPD/live" &&
	   grep -q '^What this run measured' "$TMPD/live" && ! grep -q '^make demo:' "$TMPD/live"; then
		ok demo_live
	else
		not_ok demo_live "exit $rc: $(head -n 3 "$TMPD/live" | paste -sd '|' -)"
	fi
fi
t_exit
