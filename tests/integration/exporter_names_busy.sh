#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# exporter_names_busy.sh - on a host that starts Pythons all the time (a
# build, a test run), `gilscope exporter` still names a long-running
# program's threads: its series carry the Python thread names, and never a
# "tid N" label first (a series' labels do not change, so a thread labelled
# before its name was read stays "tid N" for good). The exporter opens a few
# name readers per snapshot; they went to whoever came last, and the
# program's threads were "tid N" in 4 of 6 tries before the oldest were
# served first.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh

PY=${GS_TEST_PYTHON:-/root/.pyenv/versions/3.11.7/bin/python3.11}

if need_root exporter_names_busy && need_cmd exporter_names_busy "$PY"; then
	# eight short-lived Pythons every 0.3 s, until killed
	(
		while :; do
			for i in 1 2 3 4 5 6 7 8; do
				"$PY" -c 'import threading, time; time.sleep(0.4)' &
			done
			sleep 0.3
		done
	) >/dev/null 2>&1 &
	spam=$!
	"$PY" tests/progs/py_spin.py busy &
	py=$!
	"$GILSCOPE" exporter --listen 127.0.0.1:0 --interval 0.5 2>"$TMPD/ex.err" &
	ex=$!
	r=$(python3 - "$TMPD/ex.err" "$py" <<'PYEOF'
import re, sys, time, urllib.request
err, pid = sys.argv[1], sys.argv[2]
port = None
for _ in range(300):
    m = re.search(r"serving http://127\.0\.0\.1:(\d+)/metrics", open(err).read())
    if m:
        port = m.group(1)
        break
    time.sleep(0.1)
if not port:
    print("the exporter did not start: %s" % open(err).read().strip()[:200]); sys.exit()
labels = set()
for _ in range(600):	# a bound for a hang, 60 s: it is named within a few snapshots
    text = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % port, timeout=10).read().decode()
    for l in text.splitlines():
        m = re.match(r'gilscope_gil_acquisitions_total\{pid="%s",comm="[^"]*",tid="(\d*)",thread="([^"]*)"\}' % pid, l)
        if m:
            labels.add(m.group(2))
    if {"busy-0", "busy-1"} <= labels:
        break
    time.sleep(0.1)
unnamed = sorted(x for x in labels if x.startswith("tid "))
if {"busy-0", "busy-1"} <= labels and not unnamed:
    print("ok # labels %s" % sorted(labels))
else:
    print("labels of the program's series: %s" % sorted(labels))
PYEOF
)
	kill "$spam" 2>/dev/null
	wait "$spam" 2>/dev/null
	case $r in
	ok*) echo "ok exporter_names_busy${r#ok}" ;;
	*) not_ok exporter_names_busy "$r" ;;
	esac
	kill "$ex" "$py" 2>/dev/null
	wait "$ex" "$py" 2>/dev/null
fi
t_exit
