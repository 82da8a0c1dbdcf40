#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# record_sudo_user.sh - under sudo the command gilscope starts runs as the
# invoking user (uids, gids, groups from their passwd/group entries, no
# capability, their HOME/USER/LOGNAME), as they would run it themselves;
# --as-root keeps root; as plain root it stays root. A setuid program that
# the traced tree executes is not traced under sudo. SUDO_UID/SUDO_GID stand
# in for sudo (nobody: 65534).
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh

need_root record_sudo_user || t_exit
chmod 711 "$TMPD"
U=$TMPD/user && mkdir "$U" && chown 65534:65534 "$U"
HP=$TMPD/hostile_probes
cp "$BUILD/tests/progs/hostile_probes" "$HP" && chmod 755 "$HP"
home=$(getent passwd nobody | cut -d: -f6)
groups=$(id -G nobody | tr ' ' ',')

# ids_of NAME OUT-FILE ARGS... : record `hostile_probes ids`, keep its line
ids_of() {
	local n=$1 out=$2; shift 2
	if ! env "$@" "$HP" ids >"$out" 2>"$TMPD/$n.err"; then
		not_ok "$n" "record failed: $(head -c 300 "$TMPD/$n.err")"
		return 1
	fi
}
want="uids 65534 65534 65534 gids 65534 65534 65534 groups $groups capeff 0000000000000000 home $home user nobody logname nobody"
if ids_of sudo_cmd_runs_as_user "$TMPD/u.out" SUDO_UID=65534 SUDO_GID=65534 HOME=/root USER=root LOGNAME=root \
	"$GILSCOPE" record -o "$U/u.gst" --; then
	[ "$(cat "$TMPD/u.out")" = "$want" ] && ok sudo_cmd_runs_as_user ||
		not_ok sudo_cmd_runs_as_user "got '$(cat "$TMPD/u.out")', want '$want'"
fi
if ids_of sudo_as_root_keeps_root "$TMPD/r.out" SUDO_UID=65534 SUDO_GID=65534 \
	"$GILSCOPE" record -o "$U/r.gst" --as-root --; then
	grep -q "^uids 0 0 0 gids 0 0 0 " "$TMPD/r.out" && ok sudo_as_root_keeps_root ||
		not_ok sudo_as_root_keeps_root "got '$(cat "$TMPD/r.out")'"
fi
if ids_of plain_root_stays_root "$TMPD/p.out" -u SUDO_UID -u SUDO_GID \
	"$GILSCOPE" record -o "$TMPD/p.gst" --; then
	grep -q "^uids 0 0 0 gids 0 0 0 " "$TMPD/p.out" && ok plain_root_stays_root ||
		not_ok plain_root_stays_root "got '$(cat "$TMPD/p.out")'"
fi
# a program the user may not run is refused the way exec refuses them
cp "$HP" "$TMPD/rootonly" && chmod 700 "$TMPD/rootonly"
SUDO_UID=65534 SUDO_GID=65534 "$GILSCOPE" record -o "$U/x.gst" -- "$TMPD/rootonly" ids >"$TMPD/x.out" 2>"$TMPD/x.err"
[ $? = 1 ] && [ ! -s "$TMPD/x.out" ] && grep -q "cannot run .*rootonly: Permission denied" "$TMPD/x.err" &&
	ok sudo_cmd_user_cannot_exec || not_ok sudo_cmd_user_cannot_exec "$(head -c 300 "$TMPD/x.err")"
# a traced tree's setuid exec (a shell running su) is not the user's to see:
# that process leaves the traced set, as ptrace would have dropped the
# setuid bits; as root (no sudo) it stays traced. Each program takes 1000
# mutexes and says its pid; the trace says whose mutexes it saw.
cp "$HP" "$TMPD/suid_probes" && chown 0:0 "$TMPD/suid_probes" && chmod 4755 "$TMPD/suid_probes"
tree="$HP mutexes 1000; $TMPD/suid_probes mutexes 1000"
lock=libc.so.6:pthread_mutex_lock:pthread_mutex_unlock:arg0
for who in sudo root; do
	if [ $who = sudo ]; then
		file=$U/t$who.gst
		SUDO_UID=65534 SUDO_GID=65534 "$GILSCOPE" record -o "$file" --lock $lock -- sh -c "$tree" \
			>"$TMPD/t$who.out" 2>"$TMPD/t$who.err"
	else
		file=$TMPD/t$who.gst
		env -u SUDO_UID -u SUDO_GID "$GILSCOPE" record -o "$file" --lock $lock -- sh -c "$tree" \
			>"$TMPD/t$who.out" 2>"$TMPD/t$who.err"
	fi
	pids=$(sed -n 's/^mutexes 1000 pid \([0-9]*\)$/\1/p' "$TMPD/t$who.out" | tr '\n' ' ')
	"$GILSCOPE" report --json "$file" >"$TMPD/t$who.json" 2>&1
	seen=$(python3 - "$TMPD/t$who.json" $pids <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
acq = {}
for t in j["threads"]:
    acq[t["pid"]] = acq.get(t["pid"], 0) + t["acquisitions"]
# libc takes a few mutexes of its own: "some" is at least the program's 1000
print(" ".join("some" if acq.get(int(p), 0) >= 1000 else str(acq.get(int(p), 0))
               for p in sys.argv[2:]))
PY
)
	want="some some"
	[ $who = sudo ] && want="some 0"
	[ "$seen" = "$want" ] && ok "setuid_exec_traced_$who" ||
		not_ok "setuid_exec_traced_$who" "acquisitions per program '$seen', want '$want'; $(head -c 200 "$TMPD/t$who.err")"
done
# a root program outlives a recording that ends first, and gilscope says why
SUDO_UID=65534 SUDO_GID=65534 "$GILSCOPE" record -o "$U/ar.gst" --as-root --duration 0.2 -- "$HP" sleep 30 \
	>/dev/null 2>"$TMPD/ar.err"
left=$(sed -n 's/.*: \([0-9]*\) still running (--as-root: it runs as root, gilscope no longer does)$/\1/p' "$TMPD/ar.err")
[ -n "$left" ] && kill -0 "$left" 2>/dev/null && ok as_root_left_running_said ||
	not_ok as_root_left_running_said "$(head -c 300 "$TMPD/ar.err")"
[ -n "$left" ] && kill "$left" 2>/dev/null
SUDO_UID=65534 SUDO_GID=65534 "$GILSCOPE" record -o "$U/y.gst" --as-root -p $$ >/dev/null 2>"$TMPD/y.err"
[ $? = 2 ] && grep -q "as-root is for a command gilscope starts" "$TMPD/y.err" &&
	ok as_root_not_for_pid || not_ok as_root_not_for_pid "$(head -c 300 "$TMPD/y.err")"
t_exit
