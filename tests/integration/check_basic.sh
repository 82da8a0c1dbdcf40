#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# check_basic.sh - `gilscope check`: as root on this machine it can trace
# (every item ok, BPF really loaded and probes fired, uprobe optimization
# observed as the kernel has it), also with the
# programs for kernels whose tracepoints lack newer arguments (forced);
# without privileges it says which capabilities are missing and exits 1.
# The minimum kernel it states is the one README and the man page state.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh

if need_root check_root; then
	if "$GILSCOPE" check >"$TMPD/c.out" 2>&1 && ! grep -q '^FAIL' "$TMPD/c.out" &&
	   grep -q '^ok    usdt' "$TMPD/c.out" && grep -q '^ok    tp_btf' "$TMPD/c.out" &&
	   grep -q '^ok    uprobe' "$TMPD/c.out"; then
		ok check_root
	else
		not_ok check_root "$(grep -v '^ok' "$TMPD/c.out" | head -3)"
	fi
	# uprobe optimization, observed (a 5-byte-nop site read back after a hit):
	# what check says agrees with the kernel having arch_uprobe_optimize
	if grep -q ' arch_uprobe_optimize$' /proc/kallsyms; then want='become calls here'
	else want='traps on 5-byte-nop probes'; fi
	if grep -q "^info  uprobe-opt .*$want.*: [0-9]* ns a hit, [0-9]* ns on a 1-byte nop" "$TMPD/c.out"; then
		ok check_uprobe_opt
	else
		not_ok check_uprobe_opt "want '$want': $(grep uprobe-opt "$TMPD/c.out")"
	fi
	if GILSCOPE_TP_FALLBACK=1 "$GILSCOPE" check >"$TMPD/f.out" 2>&1 && ! grep -q '^FAIL' "$TMPD/f.out" &&
	   grep -q '^info  sched_switch .*read from the task' "$TMPD/f.out" &&
	   grep -q '^info  exit .*signal->live' "$TMPD/f.out" && grep -q '^ok    tp_btf' "$TMPD/f.out"; then
		ok check_tp_fallback
	else
		not_ok check_tp_fallback "$(grep -v '^ok' "$TMPD/f.out" | head -4)"
	fi
	setpriv --reuid=65534 --regid=65534 --clear-groups "$GILSCOPE" check >"$TMPD/n.out" 2>&1
	rc=$?
	if [ $rc = 1 ] && grep -q '^FAIL  privileges.*CAP_BPF' "$TMPD/n.out" && grep -q '^ok    kernel' "$TMPD/n.out"; then
		ok check_unprivileged
	else
		not_ok check_unprivileged "rc=$rc $(head -5 "$TMPD/n.out")"
	fi
fi
# the kernel line comes before any privileged item
min=$("$GILSCOPE" check 2>/dev/null | sed -n 's/^[a-zA-Z]* *kernel .*\(needs\|older than\) \([0-9]*\.[0-9]*\).*/\2/p')
if [ -n "$min" ] && grep -q "Linux $min+ only" README.md && grep -q "newest of them, $min," docs/gilscope.1; then
	ok check_min_kernel_documented
else
	not_ok check_min_kernel_documented "check says '$min'; README or docs/gilscope.1 say otherwise"
fi
"$GILSCOPE" check extra >/dev/null 2>&1
[ $? = 2 ] && ok check_usage || not_ok check_usage "unexpected argument accepted"
t_exit
