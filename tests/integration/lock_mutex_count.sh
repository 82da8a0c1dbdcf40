#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# lock_mutex_count.sh - `--lock SPEC` on a plain pthread program
# (tests/progs/mutex_count: 4 threads x 5000 acquisitions of the global
# counter_lock, plus 100 of other_lock the filter must leave out).
#  - attached with -p before it takes any lock, filtered by the lock's
#    symbol: the report's acquisitions equal the program's own count;
#  - started by gilscope (-- CMD): the PIE's lock address is only known
#    after exec; gilscope reads it while the program is stopped at exec, so
#    here too the report's acquisitions equal the program's count, and so do
#    the hold slices on counter_lock's address in the export;
#  - a SPEC with the address instead of a symbol, and malformed SPECs.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
P=$BUILD/tests/progs/mutex_count
SPEC="$P:pthread_mutex_lock:pthread_mutex_unlock:arg0"

# holds FILE.gst ADDR : hold slices on lock ADDR in the Chrome export
holds() {
	rm -f "$1.json"
	"$GILSCOPE" export "$1" --format chrome -o "$1.json" 2>/dev/null || { echo export-failed; return; }
	python3 - "$1.json" "$2" <<'PY'
import json, sys
j = json.load(open(sys.argv[1])); a = int(sys.argv[2], 16)
print(sum(1 for e in j["traceEvents"] if e["name"] == "hold" and e["ph"] in "Xb"
          and int(e["args"]["lock"], 16) == a))
PY
}

# run_attached NAME LOCKFIELD : -p PID, program released once recording
run_attached() {
	local name=$1 field=$2 out=$TMPD/$1
	mkfifo "$out.go"
	"$P" 4 5000 100 --wait <"$out.go" >"$out.prog" &
	local prog=$!
	exec 3>"$out.go"
	local pid=
	printed_pid() { pid=$(sed -n 's/^pid \([0-9]*\) .*/\1/p' "$out.prog"); [ -n "$pid" ]; }
	wait_until 60 printed_pid
	[ "$field" = ADDR ] && field="arg0=$(sed -n 's/^pid .* counter_lock //p' "$out.prog")"
	"$GILSCOPE" record -p "$pid" --lock "${SPEC%:arg0}:$field" -o "$out.gst" 2>"$out.err" &
	local rec=$!
	# the trace header is written once the probes are attached and the pid
	# traced; the program waits for us however long that takes
	attached() { [ -s "$out.gst" ] || ! kill -0 $rec 2>/dev/null; }
	wait_until 60 attached
	echo go >&3
	exec 3>&-
	wait $prog
	wait $rec || { not_ok "$name" "record failed: $(tail -1 "$out.err")"; return 1; }
	"$GILSCOPE" report --json "$out.gst" >"$out.json" || { not_ok "$name" "report failed"; return 1; }
	local want got
	want=$(awk '/^counter_lock/ {print $4}' "$out.prog")
	got=$(json_get "$out.json" 'j["lock"]["acquisitions"]')
	[ -n "$want" ] && [ "$got" = "$want" ] && ok "$name" ||
		not_ok "$name" "report says $got acquisitions, the program counted $want"
}

if need_root lock_attached_symbol; then
	run_attached lock_attached_symbol arg0=counter_lock
	run_attached lock_attached_address ADDR
fi

if need_root lock_command; then
	o=$TMPD/cmd
	if "$GILSCOPE" record --lock "$SPEC=counter_lock" -o "$o.gst" -- "$P" 4 5000 100 >"$o.prog" 2>"$o.err"; then
		want=$(awk '/^counter_lock/ {print $4}' "$o.prog")
		addr=$(awk '/^counter_lock/ {print $2}' "$o.prog")
		got=$(holds "$o.gst" "$addr")
		[ -n "$want" ] && [ "$got" = "$want" ] && ok lock_command_counter_holds ||
			not_ok lock_command_counter_holds "$got hold slices on $addr, the program counted $want"
		"$GILSCOPE" report --json "$o.gst" >"$o.json"
		acq=$(json_get "$o.json" 'j["lock"]["acquisitions"]')
		[ "$acq" = "$want" ] && ok lock_command_report ||
			not_ok lock_command_report "report $acq acquisitions, program $want"
	else
		not_ok lock_command_counter_holds "record failed: $(tail -1 "$o.err")"
	fi
	# whole-lock view without argN: every call counts as one lock
	if "$GILSCOPE" record --lock "$P:pthread_mutex_lock:pthread_mutex_unlock" -o "$o.any.gst" -- "$P" 2 1000 10 >/dev/null 2>"$o.any.err"; then
		acq=$("$GILSCOPE" report --json "$o.any.gst" | python3 -c 'import json,sys; print(json.load(sys.stdin)["lock"]["acquisitions"])')
		[ "$acq" -ge 2010 ] && ok lock_no_arg || not_ok lock_no_arg "$acq acquisitions, want >= 2010"
	else
		not_ok lock_no_arg "record failed: $(tail -1 "$o.any.err")"
	fi
fi

# malformed or unresolvable SPECs: one clear line, non-zero exit, nothing run
if need_root lock_bad_spec; then
	for spec in "$P:pthread_mutex_lock" "$P:pthread_mutex_lock:pthread_mutex_unlock:arg9" \
		    "$P:no_such_fn:pthread_mutex_unlock" "$P:pthread_mutex_lock:pthread_mutex_unlock:arg0=no_such_lock" \
		    "/nonexistent/app:f:g"; do
		rm -f "$TMPD/ran"
		"$GILSCOPE" record --lock "$spec" -o "$TMPD/bad.gst" -- touch "$TMPD/ran" >"$TMPD/bad.err" 2>&1
		rc=$?
		if [ $rc = 0 ] || [ -e "$TMPD/ran" ] || [ "$(wc -l <"$TMPD/bad.err")" != 1 ]; then
			not_ok lock_bad_spec "'$spec': rc=$rc $(head -2 "$TMPD/bad.err")"
			break
		fi
	done
	[ $rc != 0 ] && [ ! -e "$TMPD/ran" ] && ok lock_bad_spec
fi
t_exit
