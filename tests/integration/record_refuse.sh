#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# record_refuse.sh - what `gilscope record` refuses, with which exit code and
# one-line message, and that it leaves nothing behind when it does.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
FAKE=$BUILD/tests/progs/fake_gilrt

# expect NAME RC PATTERN CMD... : exit code RC and one stderr line matching PATTERN
expect() {
	local n=$1 want=$2 pat=$3; shift 3
	"$@" >/dev/null 2>"$TMPD/err"
	local rc=$? lines
	lines=$(wc -l <"$TMPD/err")
	if [ $rc = "$want" ] && [ "$lines" = 1 ] && grep -qE -- "$pat" "$TMPD/err"; then ok "$n"
	else not_ok "$n" "rc=$rc (want $want), $lines lines: $(head -c 300 "$TMPD/err")"; fi
}

expect refuse_no_output 2 "-o FILE is required" "$GILSCOPE" record -- "$FAKE" 1 0
expect refuse_no_target 2 "either -p PID or -- CMD" "$GILSCOPE" record -o "$TMPD/x.gst"
expect refuse_both_targets 2 "either -p PID or -- CMD" "$GILSCOPE" record -o "$TMPD/x.gst" -p 1 -- "$FAKE"
expect refuse_bad_duration 2 "bad --duration" "$GILSCOPE" record -o "$TMPD/x.gst" --duration -1 -- "$FAKE"
expect refuse_bad_pid 2 "bad pid" "$GILSCOPE" record -o "$TMPD/x.gst" -p abc
# 4294969018 is 1722 once cut to 32 bits: refused, never traced as pid 1722
expect refuse_pid_wraps 2 "bad pid '4294969018'" "$GILSCOPE" record -o "$TMPD/x.gst" -p 4294969018

if need_root refuse_privileged; then
	echo old >"$TMPD/exists.gst"
	expect refuse_output_exists 1 "exists; use --force" "$GILSCOPE" record -o "$TMPD/exists.gst" -- "$FAKE" 1 0
	[ "$(cat "$TMPD/exists.gst")" = old ] && ok refuse_output_untouched || not_ok refuse_output_untouched "overwritten"
	echo secret >"$TMPD/victim"
	ln -s "$TMPD/victim" "$TMPD/link.gst"
	expect refuse_symlink 1 "is a symbolic link" "$GILSCOPE" record -o "$TMPD/link.gst" -- "$FAKE" 1 0
	[ "$(cat "$TMPD/victim")" = secret ] && ok refuse_symlink_not_followed || not_ok refuse_symlink_not_followed "victim changed"
	expect refuse_force_symlink 1 "is a symbolic link" "$GILSCOPE" record --force -o "$TMPD/link.gst" -- "$FAKE" 1 0
	mkfifo "$TMPD/fifo.gst"
	expect refuse_force_fifo 1 "is a fifo" "$GILSCOPE" record --force -o "$TMPD/fifo.gst" -- "$FAKE" 1 0
	[ -p "$TMPD/fifo.gst" ] && ok refuse_force_fifo_kept || not_ok refuse_force_fifo_kept "fifo gone"
	[ -L "$TMPD/link.gst" ] && [ "$(cat "$TMPD/victim")" = secret ] && ok refuse_force_symlink_kept ||
		not_ok refuse_force_symlink_kept "symlink or victim changed"
	expect refuse_no_such_pid 1 "no such process: 4194300" "$GILSCOPE" record -o "$TMPD/np.gst" -p 4194300
	[ ! -e "$TMPD/np.gst" ] && ok refuse_no_such_pid_no_file || not_ok refuse_no_such_pid_no_file "file left"
	expect refuse_no_probes 1 "has no gilrt probes.*--python.*--lock" "$GILSCOPE" record -o "$TMPD/t.gst" -- /bin/true
	[ ! -e "$TMPD/t.gst" ] && ok refuse_no_probes_no_file || not_ok refuse_no_probes_no_file "file left"
	expect refuse_no_such_cmd 1 "cannot run /nonexistent" "$GILSCOPE" record -o "$TMPD/t.gst" -- /nonexistent
	# a fifo where a library is expected: refused, not waited on forever
	mkfifo "$TMPD/lib.fifo"
	expect refuse_lock_fifo 1 "lib.fifo: not a regular file" \
		timeout 60 "$GILSCOPE" record -o "$TMPD/t.gst" --lock "$TMPD/lib.fifo:acq:rel" -- "$FAKE" 1 0
	# under sudo, files are made as the invoking user: where they may write,
	# owned by them; --force replaces only their own files
	chmod 711 "$TMPD"
	U=$TMPD/user && mkdir "$U" && chown 65534:65534 "$U"
	echo old >"$U/mine.gst" && chown 65534:65534 "$U/mine.gst"
	if SUDO_UID=65534 SUDO_GID=65534 "$GILSCOPE" record --force -o "$U/mine.gst" -- "$FAKE" 1 0 >/dev/null 2>&1 &&
	   [ "$(stat -c %u:%g "$U/mine.gst")" = 65534:65534 ] && [ "$(head -c 4 "$U/mine.gst")" != old ]; then
		ok record_force_sudo_owner
	else
		not_ok record_force_sudo_owner "owner $(stat -c %u:%g "$U/mine.gst")"
	fi
	echo root >"$U/roots.gst"
	SUDO_UID=65534 SUDO_GID=65534 expect refuse_force_sudo_other_owner 1 "belongs to uid 0, not to you" \
		"$GILSCOPE" record --force -o "$U/roots.gst" -- "$FAKE" 1 0
	[ "$(cat "$U/roots.gst")" = root ] && ok refuse_force_sudo_other_owner_kept ||
		not_ok refuse_force_sudo_other_owner_kept "replaced"
	mkdir "$TMPD/rootonly" && chmod 755 "$TMPD/rootonly"
	SUDO_UID=65534 SUDO_GID=65534 expect refuse_sudo_unwritable_dir 1 "cannot create .*Permission denied" \
		"$GILSCOPE" record -o "$TMPD/rootonly/x.gst" -- "$FAKE" 1 0
	# under sudo, only processes the invoking user could ptrace (pid 1 is root's)
	SUDO_UID=65534 SUDO_GID=65534 expect refuse_other_users_pid 1 "runs as uid 0/0/0 .*not as you" \
		"$GILSCOPE" record -o "$U/p1.gst" -p 1
	# ... not a setuid program the user started (as `su` asking for a
	# password: real uid theirs, effective and saved root's), not one that
	# runs with another group, not a non-dumpable one; but one of theirs
	HP=$TMPD/hostile_probes
	cp "$BUILD/tests/progs/hostile_probes" "$HP" && chmod 755 "$HP"
	cp "$HP" "$TMPD/suid_probes" && chown 0:0 "$TMPD/suid_probes" && chmod 4755 "$TMPD/suid_probes"
	NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"	# execs: $! is the program
	$NOBODY "$TMPD/suid_probes" sleep 30 & suid=$!
	setpriv --reuid=65534 --regid=0 --clear-groups "$HP" sleep 30 & ogid=$!
	$NOBODY "$HP" nodump 30 & nodump=$!
	$NOBODY "$HP" sleep 30 & mine=$!
	all_started() {	# each is past exec, and non-dumpable has said so
		[ "$(awk '/^Uid:/{print $3}' /proc/$suid/status 2>/dev/null)" = 0 ] &&
		[ "$(awk '/^Uid:/{print $2}' /proc/$nodump/status 2>/dev/null)" = 65534 ] &&
		[ "$(stat -c %u /proc/$nodump/status 2>/dev/null)" = 0 ] &&
		grep -q sleep /proc/$mine/cmdline 2>/dev/null && grep -q sleep /proc/$ogid/cmdline 2>/dev/null
	}
	wait_until 60 all_started	# a bound for a hang, not a speed check
	SUDO_UID=65534 SUDO_GID=65534 expect refuse_setuid_pid 1 "runs as uid 65534/0/0 .*not as you" \
		"$GILSCOPE" record -o "$U/s.gst" -p $suid --lock libc.so.6:malloc:free:arg0
	[ ! -e "$U/s.gst" ] && ok refuse_setuid_pid_no_file || not_ok refuse_setuid_pid_no_file "file left"
	SUDO_UID=65534 SUDO_GID=65534 expect refuse_other_gid_pid 1 "runs as gid 0/0/0 .*not as your gid 65534" \
		"$GILSCOPE" record -o "$U/g.gst" -p $ogid
	SUDO_UID=65534 SUDO_GID=65534 expect refuse_nondumpable_pid 1 "process $nodump is not dumpable" \
		"$GILSCOPE" record -o "$U/n.gst" -p $nodump
	if SUDO_UID=65534 SUDO_GID=65534 "$GILSCOPE" record -o "$U/m.gst" --duration 0.2 -p $mine \
		--lock libc.so.6:malloc:free:arg0 \
		>/dev/null 2>"$TMPD/m.err"; then ok record_sudo_own_pid
	else not_ok record_sudo_own_pid "$(head -c 300 "$TMPD/m.err")"; fi
	kill $suid $ogid $nodump $mine 2>/dev/null
	wait $suid $ogid $nodump $mine 2>/dev/null
	# as plain root (no sudo) gilscope may trace anything, setuid or not
	$NOBODY "$TMPD/suid_probes" sleep 30 & suid=$!
	suid_started() { [ "$(awk '/^Uid:/{print $3}' /proc/$suid/status 2>/dev/null)" = 0 ]; }
	wait_until 60 suid_started
	env -u SUDO_UID -u SUDO_GID "$GILSCOPE" record -o "$TMPD/root.gst" --duration 0.2 -p $suid \
		--lock libc.so.6:malloc:free:arg0 \
		>/dev/null 2>"$TMPD/root.err" && ok record_root_any_pid ||
		not_ok record_root_any_pid "$(head -c 300 "$TMPD/root.err")"
	kill $suid 2>/dev/null; wait $suid 2>/dev/null
	# once attached, a recorder started by sudo runs as the invoking user;
	# the program waits for our go, so the recorder is there to look at
	mkfifo "$TMPD/go"
	SUDO_UID=65534 SUDO_GID=65534 "$GILSCOPE" record -o "$U/drop.gst" -- "$FAKE" 1 0.1 --wait \
		<"$TMPD/go" >/dev/null 2>&1 &
	rec=$!
	exec 3>"$TMPD/go"
	started() { [ -s "$U/drop.gst" ] || ! kill -0 $rec 2>/dev/null; }
	wait_until 60 started	# the header is written after the drop
	ids=$(awk '/^Uid:/{u=$2} /^CapEff:/{c=$2} END{print u, c}' /proc/$rec/status 2>/dev/null)
	echo go >&3
	exec 3>&-
	wait $rec
	[ "$ids" = "65534 0000000000000000" ] && ok record_drops_privileges ||
		not_ok record_drops_privileges "uid/capeff while recording: $ids"
	expect refuse_not_privileged 1 "needs root, or CAP_BPF and CAP_PERFMON" \
		setpriv --reuid=65534 --regid=65534 --clear-groups "$GILSCOPE" record -o "$TMPD/np2.gst" -- "$FAKE" 1 0
fi
t_exit
