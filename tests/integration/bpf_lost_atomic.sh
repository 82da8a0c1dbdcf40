#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# bpf_lost_atomic.sh - the lost-event counter is updated atomically. Programs
# on one CPU can interrupt each other (a uprobe program is preemptible, a
# tracepoint may fire inside it), so a load/add/store of the `lost` map value
# can lose counts. Structural check on the compiled object: after every
# lookup of the `lost` map, the first access through the returned pointer
# must be an atomic add.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
OBJ=${BPF_OBJ:-$BUILD/gilscope.bpf.o}

if need_cmd lost_counter_atomic llvm-objdump; then
	if [ ! -f "$OBJ" ]; then
		not_ok lost_counter_atomic "no $OBJ (run make)"
	elif why=$(llvm-objdump -dr --no-show-raw-insn "$OBJ" | python3 -c '
import re, sys
lines = sys.stdin.read().splitlines()
found, bad = 0, []
for i, l in enumerate(lines):
    if not re.search(r"R_BPF_64_64\s+lost$", l):
        continue
    alias = None   # registers holding the looked-up value pointer
    for l2 in lines[i + 1:i + 40]:
        ins = l2.split(":", 1)[1].strip() if re.match(r"\s*\d+:", l2) else ""
        if not ins:
            continue
        if alias is None:
            if ins == "call 1":          # bpf_map_lookup_elem
                alias = {"r0"}
            continue
        m = re.match(r"(r\d+) = (r\d+)$", ins)
        if m:
            (alias.add if m.group(2) in alias else alias.discard)(m.group(1))
            continue
        if any(re.search(r"\(%s [+-]" % r, ins) for r in alias):
            found += 1
            if not re.match(r"(lock \*\(u64 \*\)|r\d+ = atomic_fetch_add\(\(u64 \*\))", ins):
                bad.append(ins)
            break
if not found:
    print("no update of the lost map found in the object")
elif bad:
    print("%d of %d updates of lost are not atomic, e.g. %r" % (len(bad), found, bad[0]))
else:
    sys.exit(0)
sys.exit(1)
'); then
		ok lost_counter_atomic
	else
		not_ok lost_counter_atomic "$why"
	fi
fi
t_exit
