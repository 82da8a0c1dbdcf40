#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# scripts/demo.sh (make demo) - the first lesson. Live when this machine can
# trace (`gilscope check` passes: root, BTF, BPF); otherwise its replay from
# the shipped trace, after one line saying why (check's first FAIL line).
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
GILSCOPE=$BUILD/gilscope
first=$("$GILSCOPE" lesson --list | awk 'NR == 1 { print $2 }')
if [ -z "$first" ]; then
	echo "make demo: no lessons found (lessons/)" >&2
	exit 1
fi
if ! "$GILSCOPE" check >"${TMPDIR:-/tmp}/gilscope-check.$$" 2>&1; then
	why="this machine cannot trace ($(sed -n 's/^FAIL[[:space:]]*//p' "${TMPDIR:-/tmp}/gilscope-check.$$" | head -n 1 | tr -s ' '))"
else
	why=
fi
rm -f "${TMPDIR:-/tmp}/gilscope-check.$$"
if [ -z "$why" ]; then
	exec "$GILSCOPE" lesson "$first"
fi
echo "make demo: $why; replaying the recorded lesson '$first' instead (sudo make demo runs it live)."
exec "$GILSCOPE" lesson "$first" --replay
