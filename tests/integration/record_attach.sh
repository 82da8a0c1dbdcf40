#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# record_attach.sh - `gilscope record -p PID`: attach to a running program,
# record until it exits, with names for threads that existed before.
# Nothing here depends on how fast the machine attaches: the program waits.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
FAKE=$BUILD/tests/progs/fake_gilrt

need_root record_attach || t_exit

# the program's threads start and wait; it runs its 1.5 s once gilscope is
# attached (the trace header is written then), however long that takes here
mkfifo "$TMPD/go"
"$FAKE" 2 1.5 --wait <"$TMPD/go" >"$TMPD/p.out" &
pid=$!
exec 3>"$TMPD/go"
threads() { [ "$(ls /proc/$pid/task 2>/dev/null | wc -l)" -ge 3 ]; }
wait_until 60 threads
"$GILSCOPE" record -o "$TMPD/p.gst" -p "$pid" 2>"$TMPD/p.err" &
rec=$!
attached() { [ -s "$TMPD/p.gst" ] || ! kill -0 $rec 2>/dev/null; }
wait_until 60 attached
echo go >&3
exec 3>&-
if wait $rec && "$GILSCOPE" report --json "$TMPD/p.gst" >"$TMPD/p.json"; then
	ok record_attach_runs
	r=$(python3 - "$TMPD/p.json" "$pid" <<'PY'
import json, sys
j = json.load(open(sys.argv[1])); pid = int(sys.argv[2])
w = [t for t in j["threads"] if t["pid"] == pid and t["acquisitions"] > 0]
bad = []
if len(w) != 2: bad.append("%d threads with acquisitions" % len(w))
if j["trace"]["lost"]: bad.append("lost")
if any(not t["name"] or t["name"].startswith("tid ") for t in j["threads"] if t["pid"] == pid):
    bad.append("unnamed threads: %s" % [t["name"] for t in j["threads"]])
print("; ".join(bad) or "ok")
PY
)
	[ "$r" = ok ] && ok record_attach_trace || not_ok record_attach_trace "$r"
else
	not_ok record_attach_runs "$(tail -1 "$TMPD/p.err")"
fi
wait "$pid"
[ $? = 0 ] && ok record_attach_target_unharmed || not_ok record_attach_target_unharmed "exit status"
t_exit
