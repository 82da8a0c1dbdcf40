#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# record_load.sh - a high event rate (gilrt churn, about a million events a
# second here): the recorder's peak memory stays under 64 MiB, nothing is
# lost, and every one of the million acquisitions gilrt counts is in the
# trace. A fixed amount of work (--work), not a fixed time: a slower machine
# takes longer for the same events (about 3 s here).
# Nothing arrives later than the reorder window (20 ms) either, unless other
# load preempted a thread between taking an event's time and handing it over
# for that long: a late event is judged only if other processes took at most
# 5 % of the machine during the run (others_since_mark), else that check is a
# skip saying so (late events are counted and clamped, never silent).
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh

need_root record_load || t_exit
if [ ! -x "$GILRT" ]; then
	not_ok record_load "$GILRT not built"
	t_exit
fi
cpu_mark
"$GILSCOPE" record -o "$TMPD/c.gst" -- "$GILRT" run churn --work 1000000 \
	--stats-json "$TMPD/c.stats" >/dev/null 2>"$TMPD/err" &
wait_peak $!
rc=$?
others_since_mark
ev=$(sed -n 's/.*: \([0-9]*\) events, \([0-9]*\) lost.*/\1 \2/p' "$TMPD/err")
set -- $ev
if [ $rc = 0 ] && [ "${1:-0}" -gt 3000000 ] && [ "${2:-1}" = 0 ]; then
	ok record_load_no_loss
else
	not_ok record_load_no_loss "rc=$rc $(head -c 300 "$TMPD/err")"
fi
late=$(sed -n 's/.*: \([0-9]*\) events arrived later than the reorder window.*/\1/p' "$TMPD/err")
if [ -z "$late" ]; then
	ok record_load_in_window
elif [ "$others" -gt 5 ]; then
	echo "skip record_load_in_window: $late events late while other processes took $others % of the machine"
else
	not_ok record_load_in_window "$late events later than the reorder window (others took $others %)"
fi
want=$(json_get "$TMPD/c.stats" 'sum(t["acquisitions"] for t in j["threads"])' 2>/dev/null)
got=$("$GILSCOPE" report --json "$TMPD/c.gst" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["lock"]["acquisitions"])' 2>/dev/null)
[ -n "$want" ] && [ "$want" -gt 1000000 ] && [ "$got" = "$want" ] && ok record_load_all_acquisitions ||
	not_ok record_load_all_acquisitions "trace ${got:-?}, gilrt counted ${want:-?}"
[ "$hwm" -gt 0 ] && [ "$hwm" -lt 65536 ] && ok record_load_memory || not_ok record_load_memory "peak RSS ${hwm} kB"
echo "# churn: ${1:-?} events, peak RSS ${hwm} kB, other processes took $others % of the machine"
t_exit
