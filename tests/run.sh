#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# tests/run.sh - run the test suite and end with one line "N passed, N failed".
#   tests/run.sh            unit (normal + ASan/UBSan), integration, e2e; the
#                           file-reading and root parts also on the ASan build
#   tests/run.sh --unit     unit tests only (normal build)
#   tests/run.sh FILTER     only tests whose file name contains FILTER
# Each test prints TAP-like lines; a test program that exits non-zero
# without printing "not ok" counts as one failure (a crash is never silent).
# Skips (a missing tool, no root outside CI, a machine too busy to judge a
# promise that needs two idle cores) are repeated with their reasons above the
# summary, so none goes unnoticed in a long log.
set -u
cd "$(dirname "$0")/.."
mode=all filter=
for a in "$@"; do
	case $a in
	--unit) mode=unit ;;
	*) filter=$a ;;
	esac
done
pass=0 fail=0 skip=0
log=$(mktemp /tmp/gilscope-run.XXXXXX)
skips=$(mktemp /tmp/gilscope-skips.XXXXXX)
run_one() { # LABEL CMD...
	local label=$1; shift
	case $label in *"$filter"*) ;; *) return ;; esac
	echo "## $label"
	"$@" >"$log" 2>&1
	local rc=$?
	cat "$log"
	local p f s
	p=$(grep -c '^ok ' "$log"); f=$(grep -c '^not ok ' "$log"); s=$(grep -c '^skip ' "$log")
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		echo "not ok $label: exited with status $rc"
		f=1
	fi
	grep '^skip ' "$log" >>"$skips"
	pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
}
for b in build/tests/test_*; do [ -x "$b" ] && run_one "unit/${b##*/}" "$b"; done
if [ "$mode" = all ]; then
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	for b in build/san/tests/test_*; do [ -x "$b" ] && run_one "san/${b##*/}" "$b"; done
	# the parts that read untrusted files or run as root, again on the ASan+UBSan binaries
	for t in integration/report_cli integration/export_trace integration/record_basic \
		 integration/record_refuse integration/record_kill integration/lock_mutex_count \
		 integration/python_names integration/python_funcs integration/report_hostile \
		 integration/exporter_limits e2e/tui_replay e2e/top_tmux; do
		[ -x build/san/gilscope ] && run_one "san/$t.sh" env BUILD=build/san bash "tests/$t.sh"
	done
	unset ASAN_OPTIONS UBSAN_OPTIONS
	for t in tests/integration/*.sh; do [ -f "$t" ] && run_one "integration/${t##*/}" bash "$t"; done
	for t in tests/e2e/*.sh; do [ -f "$t" ] && run_one "e2e/${t##*/}" bash "$t"; done
fi
echo
if [ -s "$skips" ]; then
	echo "skipped:"
	sed 's/^skip /  /' "$skips"
fi
rm -f "$log" "$skips"
if [ "$skip" != 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" = 0 ] && [ $((pass + fail)) -gt 0 ]
