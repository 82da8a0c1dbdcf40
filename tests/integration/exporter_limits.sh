#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# exporter_limits.sh - `gilscope exporter` given bad input and pushed to its
# limits: one clear line and an exit status, never a crash, a hang or
# unbounded memory.
#  - a port in use, a malformed address or port, an address that is not
#    this machine's: one line, exit 1 or 2; a non-loopback address without
#    --listen-any: refused (exit 2), with it: served;
#  - -p of no process, of a process that runs no Python: one line, exit 1;
#  - a stripped interpreter is counted as not traceable, with why;
#  - 10,000 short-lived threads, and 100 threads alive at once with
#    --max-threads 16: at most 16 thread series plus "(other)" for that
#    process at any scrape, gilscope_series_dropped_total says how many
#    were left out, the counters of the series that stay never go down, the
#    exporter's memory stays small (< 64 MiB; 3x that under ASan), and scrapes meanwhile, with
#    CPU-bound programs on every core, answer within 100 ms (they copy the
#    last snapshot: the kernel side is never read for a scrape; exporter
#    and scraper run at nice -10, as a service would, so that the load does
#    not delay them);
#  - the program exits: its series go, the exporter goes on; SIGHUP: it
#    looks at every process again and goes on; SIGTERM: exit 0;
#  - once attached it keeps CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH only,
#    its attacher CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN only (and
#    no_new_privs), and an interpreter file started later is traced;
#    --attach-once keeps none: a new program on a probed file is traced,
#    one on a new interpreter file is not;
#  - contrib/gilscope-exporter.service passes `systemd-analyze verify`.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh

PY=${GS_TEST_PYTHON:-/root/.pyenv/versions/3.11.7/bin/python3.11}
MEM_MIB=64
case $BUILD in *san*) MEM_MIB=$((3 * MEM_MIB)) ;; esac	# ASan's shadow and quarantine

# bad NAME RC WHAT ARGS... : exporter ARGS exits RC with one line saying WHAT
bad() {
	local n=$1 want=$2 what=$3; shift 3
	timeout 20 "$GILSCOPE" exporter "$@" >"$TMPD/out" 2>"$TMPD/err" </dev/null
	local rc=$?
	if said_one_line $rc "$want" "$TMPD/err" "$what" && [ ! -s "$TMPD/out" ]; then
		ok "$n"
	else
		not_ok "$n" "exit $rc (want $want): $(head -c 300 "$TMPD/err" | paste -sd '|' -)"
	fi
}
exporter_port() {	# FILE: the port the exporter said it serves on (polled)
	local i
	for ((i = 0; i < 100; i++)); do
		sed -n 's|.*serving http://[^/]*:\([0-9]*\)/metrics.*|\1|p' "$1" 2>/dev/null | grep . && return 0
		sleep 0.1
	done
	return 1
}

# ---- addresses: need no privileges (the socket comes first) ----
python3 -c 'import socket,sys,time
s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(1); print(s.getsockname()[1], flush=True); time.sleep(60)' >"$TMPD/busy" &
holder=$!
for ((i = 0; i < 100; i++)); do [ -s "$TMPD/busy" ] && break; sleep 0.05; done
bad exporter_port_in_use 1 "Address already in use" --listen "127.0.0.1:$(cat "$TMPD/busy")"
kill "$holder"
bad exporter_bad_listen 2 "give ADDR:PORT" --listen nonsense
bad exporter_bad_port 2 "from 0 to 65535" --listen 127.0.0.1:65536
bad exporter_bad_port_junk 2 "from 0 to 65535" --listen 127.0.0.1:80x
bad exporter_bad_v6 2 "brackets" --listen '[::1:9464'
bad exporter_not_loopback 2 "--listen-any" --listen 0.0.0.0:0
bad exporter_not_loopback_all 2 "--listen-any" --listen :0
bad exporter_unknown_host 1 "cannot listen on" --listen no-such-host.invalid:9464
bad exporter_not_here 1 "Cannot assign requested address" --listen 192.0.2.1:9464 --listen-any
bad exporter_bad_interval 2 "--interval" --interval 0
bad exporter_bad_max 2 "--max-threads" --max-threads 0

# the systemd unit in contrib/ is one systemd accepts (with this gilscope in it)
if command -v systemd-analyze >/dev/null; then
	sed -e "s|/usr/local/bin/gilscope|$(realpath "$GILSCOPE")|" -e '/^Documentation=/d' \
		contrib/gilscope-exporter.service >"$TMPD/gilscope-exporter.service"
	v=$(systemd-analyze verify "$TMPD/gilscope-exporter.service" 2>&1)
	[ -z "$v" ] && ok exporter_unit_file || not_ok exporter_unit_file "$v"
fi

if need_root exporter_limits; then
	bad exporter_no_pid 1 "no process 4194303" -p 4194303 --listen 127.0.0.1:0
	sleep 30 &
	s=$!
	bad exporter_not_python 1 "runs no CPython" -p "$s" --listen 127.0.0.1:0
	kill "$s"
	# --listen-any: served on every address
	"$GILSCOPE" exporter --listen-any --listen 0.0.0.0:0 2>"$TMPD/any.err" &
	ex=$!
	if port=$(exporter_port "$TMPD/any.err") && curl -sf "http://127.0.0.1:$port/metrics" >/dev/null; then
		ok exporter_listen_any
	else
		not_ok exporter_listen_any "$(head -2 "$TMPD/any.err")"
	fi
	kill "$ex"
	wait "$ex"

	# privileges once attached: the exporter keeps CAP_SYS_PTRACE and
	# CAP_DAC_READ_SEARCH (to read processes), its attacher CAP_BPF,
	# CAP_PERFMON and CAP_SYS_ADMIN (to attach), each in every set, with
	# no_new_privs, and an interpreter file first seen after that is traced
	# (through the attacher). --attach-once: no attacher and no capability
	# at all; a program started later on an interpreter file already probed
	# is traced (the probes are on the file), one on a new file is not.
	caps() { awk '/^(CapEff|CapPrm|CapBnd|NoNewPrivs):/ { printf "%s%s ", $1, $2 }' "/proc/$1/status"; }
	series() { curl -s "http://127.0.0.1:$port/metrics" | grep -c "^gilscope_gil_acquisitions_total{pid=\"$1\""; }
	spin=(tests/progs/py_spin.py spinner 60)
	if [ -x /usr/bin/python3.11-dbg ] && [ -x "$PY" ]; then
		"$PY" "${spin[@]}" &
		before=$!
		for mode in keep once; do
			"$GILSCOPE" exporter --listen 127.0.0.1:0 --interval 0.2 \
				$([ $mode = once ] && echo --attach-once) 2>"$TMPD/$mode.err" &
			ex=$!
			if ! port=$(exporter_port "$TMPD/$mode.err"); then
				not_ok "exporter_privileges_$mode" "$(head -2 "$TMPD/$mode.err")"
				kill "$ex"
				continue
			fi
			c=$(caps "$ex") a=$(pgrep -P "$ex")
			[ -n "$a" ] && c="$c| $(cat "/proc/$a/comm"): $(caps "$a")"
			/usr/bin/python3.11-dbg "${spin[@]}" &	# a new interpreter file
			dbg=$!
			"$PY" "${spin[@]}" &			# the file probed already
			later=$!
			for ((i = 0; i < 100; i++)); do
				[ "$(series "$later")" -gt 0 ] && { [ $mode = once ] || [ "$(series "$dbg")" -gt 0 ]; } && break
				sleep 0.1
			done
			nl=$(series "$later") nd=$(series "$dbg")
			if [ $mode = keep ]; then
				want="CapPrm:0000000000080004 CapEff:0000000000080004 CapBnd:0000000000080004 NoNewPrivs:1 | gilscope-attach: CapPrm:000000c000200000 CapEff:000000c000200000 CapBnd:000000c000200000 NoNewPrivs:1 "
				[ "$nd" -gt 0 ] && good=1 || good=
			else
				want="CapPrm:0000000000000000 CapEff:0000000000000000 CapBnd:0000000000000000 NoNewPrivs:1 "
				[ "$nd" = 0 ] && good=1 || good=
			fi
			if [ "$c" = "$want" ] && [ "$nl" -gt 0 ] && [ -n "$good" ]; then
				ok "exporter_privileges_$mode"
			else
				not_ok "exporter_privileges_$mode" "caps '$c' (want '$want'); series: later $nl, dbg $nd"
			fi
			kill "$dbg" "$later" "$ex"
			wait "$ex"
		done
		kill "$before"
	fi
fi

if need_root exporter_limits && need_cmd exporter_limits "$PY"; then
	cat >"$TMPD/churn.py" <<'PYEOF'
import sys, threading, time
# 100 threads alive at once, each taking the GIL 100 times a second, for
# 3 s after "go"; then 10,000 threads that live a moment each
stop = threading.Event()
def alive():
    while not stop.wait(0.01):
        pass
threads = [threading.Thread(target=alive, name="alive-%d" % i) for i in range(100)]
for t in threads: t.start()
print("alive", flush=True)
sys.stdin.readline()
time.sleep(3)
stop.set()
for t in threads: t.join()
for k in range(100):
    batch = [threading.Thread(target=sum, args=(range(100),), name="short-%d" % (100 * k + i)) for i in range(100)]
    for t in batch: t.start()
    for t in batch: t.join()
print("done", flush=True)
sys.stdin.readline()
PYEOF
	# CPU-bound load on every core (traced too: they are Pythons)
	load=()
	for ((i = 0; i < $(nproc); i++)); do "$PY" tests/progs/py_spin.py & load+=($!); done
	# a stripped interpreter, if Debian's is here
	strip_pid=
	if [ -x /usr/bin/python3.11 ] && ! readelf -S /usr/bin/python3.11 | grep -q '\.symtab'; then
		/usr/bin/python3.11 -c 'import time; time.sleep(600)' &
		strip_pid=$!
	fi
	mkfifo "$TMPD/to" "$TMPD/from"
	"$PY" "$TMPD/churn.py" <"$TMPD/to" >"$TMPD/from" &
	churn=$!
	exec 4>"$TMPD/to" 5<"$TMPD/from"
	read -r _ <&5	# 100 threads alive
	# at nice -10 (as the unit file in contrib/ runs it at Nice=-10), so that
	# the machine's load does not stand between a scrape and its answer
	nice -n -10 "$GILSCOPE" exporter --listen 127.0.0.1:0 --interval 0.2 --max-threads 16 \
		2>"$TMPD/ex.err" &
	ex=$!
	if ! port=$(exporter_port "$TMPD/ex.err"); then
		not_ok exporter_churn "the exporter did not start: $(head -2 "$TMPD/ex.err")"
	else
		echo go >&4
		nice -n -10 python3 - "http://127.0.0.1:$port/metrics" "$churn" "$ex" "$strip_pid" "$MEM_MIB" 3<&5 <<'PYEOF'
import os, re, select, sys, time, urllib.request
mem_mib = int(sys.argv[5])
prog = os.fdopen(3)	# the program's stdout
url, pid, ex, strip = sys.argv[1:5]
last, worst, scrapes, most, hwm, bad = {}, 0.0, 0, 0, 0, []
worst_wall = worst_queued = 0.0
def run_delay(pids):
    # ns the threads of pids spent runnable but waiting for a CPU (schedstat)
    ns = 0
    for p in pids:
        try:
            tids = os.listdir("/proc/%s/task" % p)
        except OSError:
            continue
        for t in tids:
            try:
                with open("/proc/%s/task/%s/schedstat" % (p, t)) as f:
                    ns += int(f.read().split()[1])
            except (OSError, IndexError, ValueError):
                pass
    return ns
done = False
deadline = time.monotonic() + 120
seen_dropped = 0
while time.monotonic() < deadline:
    q0, t0 = run_delay((ex, os.getpid())), time.monotonic()
    text = urllib.request.urlopen(url, timeout=5).read().decode()
    wall, queued = time.monotonic() - t0, (run_delay((ex, os.getpid())) - q0) / 1e9
    # the promise is of the design (a scrape copies the last snapshot, never
    # waits for the kernel side or a snapshot in progress): the time either
    # side sat runnable without a CPU is the machine's, not the exporter's
    if wall - queued > worst:
        worst, worst_wall, worst_queued = wall - queued, wall, queued
    scrapes += 1
    series = set()
    for l in text.splitlines():
        m = re.match(r'(gilscope_gil_\w+_total)\{pid="%s",comm="[^"]*",tid="(\d*)",thread="([^"]*)"\} (\S+)$' % pid, l)
        if not m:
            continue
        key = (m.group(1), m.group(2), m.group(3))
        series.add((m.group(2), m.group(3)))
        v = float(m.group(4))
        if v < last.get(key, 0):
            bad.append("%s went down: %s -> %s" % (key, last[key], v))
        last[key] = v
    most = max(most, len(series))
    m = re.search(r'^gilscope_series_dropped_total\{kind="thread"\} (\d+)', text, re.M)
    seen_dropped = max(seen_dropped, int(m.group(1)) if m else 0)
    with open("/proc/%s/status" % ex) as f:
        hwm = max(hwm, int(re.search(r"VmHWM:\s+(\d+)", f.read()).group(1)))
    if done:
        break
    if select.select([prog], [], [], 0)[0] and prog.readline().startswith("done"):
        done = True	# one more scrape after the end
    time.sleep(0.02)
print(("ok" if done else "not ok") + " exporter_churn_ran" + ("" if done else ": the program did not finish in 120 s"))
ok = most <= 17 and seen_dropped >= 100 - 16
print(("ok" if ok else "not ok") + " exporter_label_limit%s %d thread series at most, %d threads dropped into (other)" %
      (" #" if ok else ":", most, seen_dropped))
print(("ok" if not bad else "not ok") + " exporter_monotonic%s %s" % (" #" if not bad else ":", "; ".join(bad[:3]) or "%d scrapes" % scrapes))
print(("ok" if hwm < mem_mib * 1024 else "not ok") + " exporter_memory%s peak %.1f MiB (bound %d)" % (" #" if hwm < mem_mib * 1024 else ":", hwm / 1024, mem_mib))
print(("ok" if worst < 0.1 else "not ok") + " exporter_scrape_time%s slowest of %d scrapes under load: %.1f ms (%.1f ms of wall time, %.1f ms of it waiting for a CPU)" % (" #" if worst < 0.1 else ":", scrapes, 1000 * worst, 1000 * worst_wall, 1000 * worst_queued))
if strip:
    st = 'gilscope_python_processes{traceable="false",reason="stripped"}' in text
    print(("ok" if st else "not ok") + " exporter_stripped" + ("" if st else ": no stripped process counted"))
PYEOF
		echo quit >&4
		wait "$churn" 2>/dev/null
		# its series go; the exporter goes on
		gone=
		for ((i = 0; i < 50; i++)); do
			curl -s "http://127.0.0.1:$port/metrics" >"$TMPD/after.txt"
			grep -q "pid=\"$churn\"" "$TMPD/after.txt" || { gone=1; break; }
			sleep 0.1
		done
		[ -n "$gone" ] && ok exporter_process_gone || not_ok exporter_process_gone "series of $churn still there"
		kill -HUP "$ex"
		for ((i = 0; i < 50; i++)); do grep -q SIGHUP "$TMPD/ex.err" && break; sleep 0.1; done
		if kill -0 "$ex" 2>/dev/null && grep -q "SIGHUP: looking at every process again" "$TMPD/ex.err" &&
		   curl -sf "http://127.0.0.1:$port/metrics" | grep -q "pid=\"${load[0]}\""; then
			ok exporter_sighup
		else
			not_ok exporter_sighup "$(tail -2 "$TMPD/ex.err")"
		fi
	fi
	kill "$ex"
	wait "$ex"
	rc=$?
	[ $rc = 0 ] && ok exporter_sigterm || not_ok exporter_sigterm "exit $rc"
	exec 4>&- 5<&-
	kill "${load[@]}" $strip_pid 2>/dev/null
	wait 2>/dev/null
fi
t_exit
