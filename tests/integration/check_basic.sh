#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# check_basic.sh - `gilscope check`: as root on this machine it can trace
# (every item ok, BPF really loaded and probes fired); without privileges it
# says which capabilities are missing and exits 1.
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
	setpriv --reuid=65534 --regid=65534 --clear-groups "$GILSCOPE" check >"$TMPD/n.out" 2>&1
	rc=$?
	if [ $rc = 1 ] && grep -q '^FAIL  privileges.*CAP_BPF' "$TMPD/n.out" && grep -q '^ok    kernel' "$TMPD/n.out"; then
		ok check_unprivileged
	else
		not_ok check_unprivileged "rc=$rc $(head -5 "$TMPD/n.out")"
	fi
fi
"$GILSCOPE" check extra >/dev/null 2>&1
[ $? = 2 ] && ok check_usage || not_ok check_usage "unexpected argument accepted"
t_exit
