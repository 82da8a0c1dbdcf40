#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# record_ending.sh - what `gilscope record` says when it ends (root, BPF):
#  - how the program it started ended, decoded: "exit code 3" (not the raw
#    wait status 768), "killed by SIGKILL"; nothing for exit code 0;
#    gilscope's own exit status stays 0;
#  - no progress line when stderr is not a terminal (no \r, no "elapsed"):
#    the closing lines are the numbers and the tracing cost;
#  - a --lock filter that matched nothing (arg0=0x1234, a lock the program
#    never takes) is said at the end; one that matched is not.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
FAKE=$BUILD/tests/progs/fake_gilrt
MC=$BUILD/tests/progs/mutex_count

need_root record_ending || t_exit

# ends NAME END WANT : record fake_gilrt ending with END; stderr says WANT
ends() {
	"$GILSCOPE" record -o "$TMPD/$1.gst" -- "$FAKE" 1 0.2 "$2" >/dev/null 2>"$TMPD/$1.err"
	local rc=$?
	if [ $rc = 0 ] && grep -qx "gilscope record: the program ended: $3" "$TMPD/$1.err" &&
	   ! grep -q 768 "$TMPD/$1.err"; then
		ok "$1"
	else
		not_ok "$1" "rc=$rc: $(paste -sd '|' "$TMPD/$1.err")"
	fi
}
ends record_exit_code 3 "exit code 3"
ends record_killed -9 "killed by SIGKILL"
ends record_terminated -15 "killed by SIGTERM"
"$GILSCOPE" record -o "$TMPD/zero.gst" -- "$FAKE" 1 0.2 0 >/dev/null 2>"$TMPD/zero.err"
if [ $? = 0 ] && ! grep -q "ended" "$TMPD/zero.err" && grep -q "events, 0 lost" "$TMPD/zero.err"; then
	ok record_exit_zero_quiet
else
	not_ok record_exit_zero_quiet "$(paste -sd '|' "$TMPD/zero.err")"
fi
# no progress line without a terminal
"$GILSCOPE" record -o "$TMPD/np.gst" -- "$FAKE" 2 1.2 >/dev/null 2>"$TMPD/np.err"
if [ $? = 0 ] && ! grep -q $'\r' "$TMPD/np.err" && ! grep -q elapsed "$TMPD/np.err" &&
   [ "$(wc -l <"$TMPD/np.err")" = 2 ] && grep -q '^gilscope record: tracing cost' "$TMPD/np.err"; then
	ok record_no_progress_off_terminal
else
	not_ok record_no_progress_off_terminal "$(od -c "$TMPD/np.err" | head -n 4 | paste -sd '|' -)"
fi

# a filter that matches nothing is said; one that matches is not
SPEC="$MC:pthread_mutex_lock:pthread_mutex_unlock:arg0"
"$GILSCOPE" record -o "$TMPD/never.gst" --lock "$SPEC=0x1234" -- "$MC" 2 100 10 >/dev/null 2>"$TMPD/never.err"
acq=$("$GILSCOPE" report --json "$TMPD/never.gst" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["lock"]["acquisitions"])')
if [ "$acq" = 0 ] && grep -qx "gilscope record: warning: the lock filter matched nothing: the program never took lock 0x1234 while recorded" "$TMPD/never.err"; then
	ok record_lock_never_taken
else
	not_ok record_lock_never_taken "acquisitions $acq: $(paste -sd '|' "$TMPD/never.err")"
fi
"$GILSCOPE" record -o "$TMPD/taken.gst" --lock "$SPEC=counter_lock" -- "$MC" 2 100 10 >/dev/null 2>"$TMPD/taken.err"
if [ $? = 0 ] && ! grep -q "matched nothing" "$TMPD/taken.err" && grep -q "placed at" "$TMPD/taken.err"; then
	ok record_lock_taken_no_warning
else
	not_ok record_lock_taken_no_warning "$(paste -sd '|' "$TMPD/taken.err")"
fi
t_exit
