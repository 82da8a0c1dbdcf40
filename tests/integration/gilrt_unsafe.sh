#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# gilrt_unsafe.sh - the corruption the GIL prevents: two threads bump a
# shared object's refcount and a shared counter; without a lock the runtime
# detects lost updates, with any lock policy it finds none.
. "$(dirname "$0")/../lib.sh"

unsafe() { # POLICY -> prints corrupted refcnt_actual counter_expected counter_actual
	"$GILRT" run unsafe --threads 2 --work 4000000 --policy "$1" --stats-json "$TMPD/u.json" >/dev/null 2>&1 || return 1
	json_get "$TMPD/u.json" '"%s %d %d %d" % (j["unsafe"]["corrupted"], j["unsafe"]["refcnt_actual"], j["unsafe"]["counter_expected"], j["unsafe"]["counter_actual"])'
}

r=$(unsafe none)
case $r in
True\ *) ok gilrt_unsafe_none_detects ;;
*) not_ok gilrt_unsafe_none_detects "policy none: no corruption seen ($r)" ;;
esac
for p in new legacy fifo; do
	r=$(unsafe "$p")
	if [ "$r" = "False 1 4000000 4000000" ]; then ok "gilrt_unsafe_${p}_clean"
	else not_ok "gilrt_unsafe_${p}_clean" "policy $p: $r"; fi
done
t_exit
