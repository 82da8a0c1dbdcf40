#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# gilrt_probes.sh - the USDT contract of runtime/gilrt_probes.h: every probe
# is in the ELF notes with provider gilrt, a semaphore and 64-bit arguments;
# and (root + bpftrace) a trace of a run counts exactly the acquisitions
# gilrt counts itself, per thread, with the same hold and wait totals.
. "$(dirname "$0")/../lib.sh"

notes=$(readelf -n "$GILRT" 2>&1)
for p in gil_request:2 gil_acquired:3 gil_released:3 gil_drop_request:2 thread_start:2 \
	 thread_exit:1 io_begin:1 io_end:2 native_begin:1 native_end:2; do
	name=${p%%:*} nargs=${p##*:}
	# the note lines of this probe: Provider, Name, Location/Semaphore, Arguments
	block=$(printf '%s\n' "$notes" | grep -B1 -A2 "Name: $name\$" | head -4)
	prov=$(printf '%s\n' "$block" | grep -c 'Provider: gilrt')
	sema=$(printf '%s\n' "$block" | grep -o 'Semaphore: 0x[0-9a-f]*' | head -1)
	args=$(printf '%s\n' "$block" | grep 'Arguments:' | head -1 | sed 's/.*Arguments: *//')
	n8=$(printf '%s\n' "$args" | tr ' ' '\n' | grep -c '^-\?8@')
	if [ "$prov" -ge 1 ] && [ -n "$sema" ] && [ "$sema" != "Semaphore: 0x0000000000000000" ] && [ "$n8" = "$nargs" ]; then
		ok "gilrt_probe_$name"
	else
		not_ok "gilrt_probe_$name" "provider=$prov ${sema:-no semaphore} args='$args'"
	fi
done

# Every site is a 5-byte nop (bpf/gs_usdt.h: kernels with uprobe optimization
# turn it into a call) that does not cross a page (the kernel cannot patch
# that), on x86-64; the arguments above still decode.
if [ "$(uname -m)" = x86_64 ]; then
	bad="" nsites=0
	for loc in $(printf '%s\n' "$notes" | grep -A2 'Provider: gilrt' |
		     sed -n 's/.*Location: \(0x[0-9a-f]*\),.*/\1/p'); do
		nsites=$((nsites + 1))
		bytes=$(objdump -d --start-address="$loc" --stop-address=$((loc + 5)) "$GILRT" |
			sed -n 's/^ *[0-9a-f]*:\t\(\([0-9a-f][0-9a-f] \)*\).*/\1/p' | head -1)
		[ "$bytes" = "0f 1f 44 00 00 " ] || bad="$bad $loc:[$bytes]"
		[ $(((loc & 4095) + 5)) -le 4096 ] || bad="$bad $loc:crosses-a-page"
	done
	if [ -z "$bad" ] && [ "$nsites" -ge 10 ]; then
		ok gilrt_probe_sites_nop5
	else
		not_ok gilrt_probe_sites_nop5 "$nsites sites;$bad"
	fi
fi

need_root gilrt_probes_trace_matches || t_exit
need_cmd gilrt_probes_trace_matches bpftrace || t_exit

bin=$(readlink -f "$GILRT")
trace() { # SCENARIO ARGS... : run under bpftrace, trace in $TMPD/bt.txt, stats in $TMPD/s.json
	timeout 120 bpftrace -q -c "$bin run $* --stats-json $TMPD/s.json" -e "
usdt:$bin:gilrt:gil_acquired { @acq[tid] = count(); @wait[tid] = sum(arg1); }
usdt:$bin:gilrt:gil_released { @rel[tid] = count(); @hold[tid] = sum(arg1); }
usdt:$bin:gilrt:gil_drop_request { @drop[tid] = count(); }
usdt:$bin:gilrt:thread_start { printf(\"start %d %s\\n\", arg0, str(arg1)); }
usdt:$bin:gilrt:thread_exit { printf(\"exit %d\\n\", arg0); }
usdt:$bin:gilrt:io_end { @io[tid] = count(); }
usdt:$bin:gilrt:native_end { @native[tid] = count(); @native_ns[tid] = sum(arg1); }
" >"$TMPD/bt.txt" 2>&1
}
compare() { # NAME : the trace against the runtime's own numbers
	python3 - "$TMPD/bt.txt" "$TMPD/s.json" "$1" <<'PY'
import json, re, sys
txt = open(sys.argv[1]).read(); j = json.load(open(sys.argv[2])); scen = sys.argv[3]
maps = {}
for m, tid, v in re.findall(r"^@(\w+)\[(\d+)\]: (\d+)$", txt, re.M):
    maps.setdefault(m, {})[int(tid)] = int(v)
starts = dict((int(t), n) for t, n in re.findall(r"^start (\d+) (\S+)$", txt, re.M))
exits = set(int(t) for t in re.findall(r"^exit (\d+)$", txt, re.M))
bad = []
for t in j["threads"]:
    tid = t["tid"]
    g = lambda m: maps.get(m, {}).get(tid, 0)
    if g("acq") != t["acquisitions"] or g("rel") != t["acquisitions"]:
        bad.append("%s: trace %d/%d acq/rel, gilrt %d" % (t["name"], g("acq"), g("rel"), t["acquisitions"]))
    for m, k in (("hold", "hold_ns"), ("wait", "wait_ns")):
        if abs(g(m) - t[k]) > 0.01 * max(t[k], 1000):
            bad.append("%s: %s trace %d gilrt %d" % (t["name"], k, g(m), t[k]))
    if g("drop") != t["drop_requests"]:
        bad.append("%s: drop requests trace %d gilrt %d" % (t["name"], g("drop"), t["drop_requests"]))
    if starts.get(tid) != t["name"] or tid not in exits:
        bad.append("%s: thread_start %s, exit %s" % (t["name"], starts.get(tid), tid in exits))
if scen == "convoy" and not any(v > 0 for v in maps.get("io", {}).values()):
    bad.append("no io_end")
if scen == "native" and sum(maps.get("native", {}).values()) == 0:
    bad.append("no native_end")
if not sum(t["acquisitions"] for t in j["threads"]):
    bad.append("nothing acquired")
print("; ".join(bad[:4]) or "match")
PY
}
for s in cpu convoy native; do
	trace "$s" --seconds 0.5
	r=$(compare "$s")
	if [ "$r" = match ]; then ok "gilrt_probes_trace_matches_$s"
	else not_ok "gilrt_probes_trace_matches_$s" "$r $(grep -i error "$TMPD/bt.txt" | grep -v uprobe_events | grep -v 'failed to detach' | head -2)"; fi
done
t_exit
