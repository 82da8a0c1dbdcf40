#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Runs each libFuzzer target (ASan+UBSan) for a bounded time over its seed
# corpus: the .gst trace reader, the --lock SPEC parser, and the model and
# TUI renderer fed from a trace (seeds: the trace corpus and tests/hostile).
# A crash, leak, hang (> 10 s on one input) or an allocation over 1 GiB
# fails the test; each line says the runs and the coverage reached.
# FUZZ_SECONDS per target (default 20 here; `make fuzz` defaults to 30).
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
secs=${FUZZ_SECONDS:-20}
need_cmd fuzz_clang clang || t_exit
for target in fuzz-trace fuzz-lock-spec fuzz-model-tui; do
	if make -s "$target" FUZZ_SECONDS="$secs" >"$TMPD/$target.log" 2>&1; then
		runs=$(grep -o 'Done [0-9]* runs' "$TMPD/$target.log" | tail -1)
		cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$TMPD/$target.log" | tail -1)
		ok "${target//-/_}_${secs}s ($runs, $cov)"
	else
		not_ok "${target//-/_}_${secs}s" "$(grep -m1 -E 'ERROR|SUMMARY|error' "$TMPD/$target.log")"
		tail -20 "$TMPD/$target.log"
	fi
done
t_exit
