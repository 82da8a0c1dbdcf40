#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# exporter_prometheus.sh - `gilscope exporter` as Prometheus sees it:
#  - `promtool check metrics` is clean on a scrape (format, names, units);
#  - a real Prometheus (Debian's, started here on loopback with its own
#    config, storage directory and free port, scraping every second)
#    scrapes it: its query API returns the series of a Python program with
#    two CPU-bound threads, by their Python names, the target is up, and
#    rate() of the hold time summed over the process is about 1 (one of the
#    two always holds the GIL; >= 0.8 and <= 1.05);
#  - HEAD /metrics works, / says where the metrics are, other paths are
#    404 and other methods 405.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh

PY=${GS_TEST_PYTHON:-/root/.pyenv/versions/3.11.7/bin/python3.11}

# free_port: a port nobody listens on now (the kernel picks it)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# exporter_port FILE: the port the exporter said it serves on (polled)
exporter_port() {
	local i
	for ((i = 0; i < 100; i++)); do
		sed -n 's|.*serving http://127\.0\.0\.1:\([0-9]*\)/metrics.*|\1|p' "$1" | grep . && return 0
		sleep 0.1
	done
	return 1
}

if need_root exporter_prometheus && need_cmd exporter_prometheus "$PY" &&
   need_cmd exporter_prometheus prometheus && need_cmd exporter_promtool promtool; then
	"$PY" tests/progs/py_spin.py &
	py=$!
	"$GILSCOPE" exporter --listen 127.0.0.1:0 --interval 0.5 2>"$TMPD/ex.err" &
	ex=$!
	if ! port=$(exporter_port "$TMPD/ex.err"); then
		not_ok exporter_prometheus "the exporter did not start: $(head -2 "$TMPD/ex.err")"
	else
		url=http://127.0.0.1:$port
		# promtool on a scrape that has the program's series
		for ((i = 0; i < 100; i++)); do
			curl -s "$url/metrics" >"$TMPD/m.txt"
			grep -q "pid=\"$py\".*thread=\"spinner-1\"" "$TMPD/m.txt" && break
			sleep 0.1
		done
		if promtool check metrics <"$TMPD/m.txt" >"$TMPD/promtool.out" 2>&1 &&
		   [ ! -s "$TMPD/promtool.out" ] && grep -q "pid=\"$py\"" "$TMPD/m.txt"; then
			ok exporter_promtool
		else
			not_ok exporter_promtool "$(head -3 "$TMPD/promtool.out") ($(grep -c "pid=\"$py\"" "$TMPD/m.txt") lines of the program)"
		fi
		# HTTP: HEAD, the index, 404, 405
		h=$(curl -s -o /dev/null -w '%{http_code} %{content_type}' -I "$url/metrics")
		i=$(curl -s "$url/")
		n=$(curl -s -o /dev/null -w '%{http_code}' "$url/nope")
		p=$(curl -s -o /dev/null -w '%{http_code}' -X POST -d x=1 "$url/metrics")
		if [ "$h" = "200 text/plain; version=0.0.4; charset=utf-8" ] && [ "${i#*/metrics}" != "$i" ] &&
		   [ "$n" = 404 ] && [ "$p" = 405 ]; then
			ok exporter_http
		else
			not_ok exporter_http "HEAD '$h', index '$i', /nope $n, POST $p"
		fi
		# a real Prometheus
		pport=$(free_port)
		cat >"$TMPD/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: gilscope
    static_configs:
      - targets: ['127.0.0.1:$port']
EOF
		prometheus --config.file="$TMPD/prometheus.yml" --storage.tsdb.path="$TMPD/data" \
			--web.listen-address="127.0.0.1:$pport" --log.level=warn >"$TMPD/prom.log" 2>&1 &
		prom=$!
		q() { curl -s --get "http://127.0.0.1:$pport/api/v1/query" --data-urlencode "query=$1"; }
		r="no answer from Prometheus"
		for ((i = 0; i < 300; i++)); do	# up to 30 s: start, then two scrapes for rate()
			r=$(python3 - "$py" "$(q "gilscope_gil_hold_seconds_total{pid=\"$py\"}")" \
				"$(q 'up{job="gilscope"}')" \
				"$(q "sum(rate(gilscope_gil_hold_seconds_total{pid=\"$py\"}[5s]))")" <<'PYEOF'
import json, sys
try:
    series, up, rate = (json.loads(a)["data"]["result"] for a in sys.argv[2:5])
except Exception as e:
    print("waiting: %s" % e); sys.exit()
names = sorted(s["metric"].get("thread") for s in series)
if not series or not up or not rate:
    print("waiting: series %s, up %s, rate %s" % (names, up, rate)); sys.exit()
u, r = float(up[0]["value"][1]), float(rate[0]["value"][1])
if u == 1 and "spinner-0" in names and "spinner-1" in names and 0.8 <= r <= 1.05:
    print("ok # threads %s, GIL held %.3f s per s" % (names, r))
else:
    print("waiting: up %s, threads %s, rate %.3f" % (u, names, r))
PYEOF
)
			case $r in ok*) break ;; esac
			sleep 0.1
		done
		case $r in
		ok*) echo "ok exporter_prometheus${r#ok}" ;;
		*) not_ok exporter_prometheus "$r; $(tail -2 "$TMPD/prom.log")" ;;
		esac
		kill "$prom" 2>/dev/null
		wait "$prom" 2>/dev/null
	fi
	kill "$ex" "$py" 2>/dev/null
	wait "$ex" 2>/dev/null
	rc=$?
	[ $rc = 0 ] && ok exporter_prometheus_exit || not_ok exporter_prometheus_exit "exit $rc after SIGTERM"
	wait "$py" 2>/dev/null
fi
t_exit
