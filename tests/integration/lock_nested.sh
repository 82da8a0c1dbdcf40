#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# lock_nested.sh - `--lock` on tests/progs/mutex_nested, whose threads take
# an outer mutex, then an inner one inside it, try the outer one again while
# holding it (a trylock that fails) and trylock a mutex of their own (that
# succeeds); the program counts every outcome from the return values.
#  - ACQUIRE pthread_mutex_trylock (default ok=0): the report's acquisitions
#    are the program's successful trylocks, the failed ones are not counted;
#  - the same with :ok=any (every return counts, the old behaviour);
#  - ACQUIRE pthread_mutex_lock: the report counts each nested lock's
#    acquisitions as the program does.
# (The hold time of each RELEASED, outer locks of a nest included, is checked
# on the raw events by tests/unit/test_kernel_side.c.)
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
P=$BUILD/tests/progs/mutex_nested
# BINARY is libc itself: under ASan (BUILD=build/san) the program's calls of
# some of these functions go to libasan's interceptors, which call libc's

# rec TEST NAME SPEC : records the program under --lock SPEC into $TMPD/NAME.*
rec() {
	"$GILSCOPE" record --lock "$3" -o "$TMPD/$2.gst" -- "$P" 2 100 1000 3 \
		>"$TMPD/$2.prog" 2>"$TMPD/$2.err" || { not_ok "$1" "record failed: $(tail -1 "$TMPD/$2.err")"; return 1; }
	"$GILSCOPE" report --json "$TMPD/$2.gst" >"$TMPD/$2.json" || { not_ok "$1" "report failed"; return 1; }
}
prog() { # NAME FIELD : a number the program printed ("trylock ok N failed N", "outer ADDR locks N")
	case $2 in
	try_ok) awk '/^trylock/ {print $3}' "$TMPD/$1.prog" ;;
	try_failed) awk '/^trylock/ {print $5}' "$TMPD/$1.prog" ;;
	*) awk -v w="$2" '$1 == w {print $4}' "$TMPD/$1.prog" ;;
	esac
}
acq() { json_get "$TMPD/$1.json" 'j["lock"]["acquisitions"]'; }

if need_root lock_failed_trylock; then
	if rec lock_failed_trylock try "libc.so.6:pthread_mutex_trylock:pthread_mutex_unlock:arg0"; then
		ok_n=$(prog try try_ok) fail_n=$(prog try try_failed) got=$(acq try)
		[ -n "$ok_n" ] && [ "$fail_n" -gt 0 ] && [ "$got" = "$ok_n" ] && ok lock_failed_trylock ||
			not_ok lock_failed_trylock "report $got acquisitions; the program's trylocks: $ok_n got it, $fail_n failed"
	fi
	if rec lock_ok_any any "libc.so.6:pthread_mutex_trylock:pthread_mutex_unlock:arg0:ok=any"; then
		want=$(( $(prog any try_ok) + $(prog any try_failed) )) got=$(acq any)
		[ "$got" = "$want" ] && ok lock_ok_any ||
			not_ok lock_ok_any "report $got acquisitions, want every trylock ($want)"
	fi
	if rec lock_nested_counts nest "libc.so.6:pthread_mutex_lock:pthread_mutex_unlock:arg0"; then
		"$GILSCOPE" report "$TMPD/nest.gst" >"$TMPD/nest.txt"
		bad=
		for w in outer inner; do
			addr=$(awk -v w=$w '$1 == w {print $2}' "$TMPD/nest.prog")
			want=$(prog nest $w)
			got=$(sed -n "s/.* lock $addr: \([0-9,]*\) acquisitions.*/\1/p" "$TMPD/nest.txt" | tr -d ,)
			[ -n "$want" ] && [ "$got" = "$want" ] || bad="$bad $w: report '$got', program '$want';"
		done
		[ -z "$bad" ] && ok lock_nested_counts || not_ok lock_nested_counts "$bad"
	fi
fi
t_exit
