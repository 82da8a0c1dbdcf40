#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# scripts/demo.sh (make demo) - the first lesson. Live when this machine can
# trace (root, and `gilscope check` passes); otherwise its replay from the
# shipped trace, after one line saying why.
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
GILSCOPE=$BUILD/gilscope
first=$("$GILSCOPE" lesson --list | awk 'NR == 1 { print $2 }')
if [ -z "$first" ]; then
	echo "make demo: no lessons found (lessons/)" >&2
	exit 1
fi
if [ "$(id -u)" != 0 ]; then
	why="not running as root (sudo make demo traces it live)"
elif ! "$GILSCOPE" check >"${TMPDIR:-/tmp}/gilscope-check.$$" 2>&1; then
	why="this machine cannot trace: $(grep -i -m 1 -E 'fail|no |not |missing' "${TMPDIR:-/tmp}/gilscope-check.$$" || echo 'gilscope check failed')"
else
	why=
fi
rm -f "${TMPDIR:-/tmp}/gilscope-check.$$"
if [ -z "$why" ]; then
	exec "$GILSCOPE" lesson "$first"
fi
echo "make demo: $why; replaying the recorded lesson '$first' instead."
exec "$GILSCOPE" lesson "$first" --replay
