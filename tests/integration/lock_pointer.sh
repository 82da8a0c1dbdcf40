#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# lock_pointer.sh - `--lock ...:arg0=*VAR`: the lock is whatever the pointer
# variable VAR holds (tests/progs/mutex_ptr: two threads take *the_lock, the
# main thread other_lock; then the_lock is pointed at a second lock).
#  - the hold slices on each lock the pointer held equal the program's own
#    counts, none on other_lock, and the report's acquisitions are their sum
#    (the filter followed the pointer from the first lock to the second);
#  - VAR missing, or not pointer-sized: one line, exit 1, nothing run or
#    written.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
P=$BUILD/tests/progs/mutex_ptr
SPEC="$P:pthread_mutex_lock:pthread_mutex_unlock:arg0"

# holds FILE.gst: "ADDR COUNT" per lock with hold slices in the Chrome export
holds() {
	"$GILSCOPE" export "$1" --format chrome -o "$1.json" 2>/dev/null || { echo export-failed; return; }
	python3 - "$1.json" <<'PY'
import collections, json, sys
j = json.load(open(sys.argv[1]))
c = collections.Counter(int(e["args"]["lock"], 16) for e in j["traceEvents"]
                        if e["name"] == "hold" and e["ph"] in "Xb")
for a, n in sorted(c.items()):
    print("0x%x %d" % (a, n))
PY
}

if need_root lock_pointer_followed; then
	o=$TMPD/ptr
	mkdir -p "$o.d"
	"$GILSCOPE" record --lock "$SPEC=*the_lock" -o "$o.gst" -- "$P" "$o.d" 5000 100 \
		>"$o.prog" 2>"$o.err" &
	rec=$!
	# let the program use each lock once gilscope has read the pointer to it
	said() { grep -qs "$1" "$o.err" || ! kill -0 $rec 2>/dev/null; }
	wait_until 60 said 'lock \*the_lock placed at' && touch "$o.d/go1"
	wait_until 60 said 'lock \*the_lock moved from' && touch "$o.d/go2"
	if wait $rec; then
		a1=$(awk '/^lock1/ {print $2}' "$o.prog"); n1=$(awk '/^lock1/ {print $4}' "$o.prog")
		a2=$(awk '/^lock2/ {print $2}' "$o.prog"); n2=$(awk '/^lock2/ {print $4}' "$o.prog")
		ao=$(awk '/^other_lock/ {print $2}' "$o.prog")
		got=$(holds "$o.gst" | tr '\n' ' ')
		want="$a1 $n1 $a2 $n2 "
		# the two heap locks in address order, as holds() prints them
		[ $((a1)) -gt $((a2)) ] && want="$a2 $n2 $a1 $n1 "
		[ -n "$n1" ] && [ "$got" = "$want" ] && ok lock_pointer_followed ||
			not_ok lock_pointer_followed "hold slices by lock: '$got', the program: '$want' (other_lock $ao must have none)"
		"$GILSCOPE" report --json "$o.gst" >"$o.json"
		acq=$(json_get "$o.json" 'j["lock"]["acquisitions"]')
		[ -n "$n1" ] && [ "$acq" = $((n1 + n2)) ] && ok lock_pointer_report ||
			not_ok lock_pointer_report "report $acq acquisitions, the program $n1 + $n2"
	else
		not_ok lock_pointer_followed "record failed: $(tail -1 "$o.err")"
	fi
fi

# VAR that is not there, or not a pointer: one line, exit 1, nothing run or written
if need_root lock_pointer_bad_var; then
	fails=
	for var in no_such_pointer other_lock; do
		rm -f "$TMPD/ran" "$TMPD/bad.gst"
		"$GILSCOPE" record --lock "$SPEC=*$var" -o "$TMPD/bad.gst" -- touch "$TMPD/ran" \
			>"$TMPD/bad.err" 2>&1
		rc=$?
		if [ $rc != 1 ] || [ -e "$TMPD/ran" ] || [ -e "$TMPD/bad.gst" ] ||
		   [ "$(wc -l <"$TMPD/bad.err")" != 1 ]; then
			fails="$fails '=*$var': rc=$rc $(head -2 "$TMPD/bad.err");"
		fi
		echo "# =*$var: $(cat "$TMPD/bad.err")"
	done
	grep -q "not a pointer" "$TMPD/bad.err" || fails="$fails other_lock not called a non-pointer;"
	[ -z "$fails" ] && ok lock_pointer_bad_var || not_ok lock_pointer_bad_var "$fails"
fi
t_exit
