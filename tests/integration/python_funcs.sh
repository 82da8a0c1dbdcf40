#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# python_funcs.sh - `gilscope record --python` with Python thread names and
# the function behind every GIL event, on real interpreters: Debian's
# python3.11-dbg (make deps installs it: missing is a failure under CI=true)
# and every pyenv CPython 3.8-3.13 found (the list is printed, with each
# one's share of the CPU thread's hold time that went to its function).
#
# tests/progs/py_funcs.py runs threads known by construction: "cruncher"
# spins in crunch(), "sleeper" sleeps 1 ms at a time in nap_loop(), the main
# thread joins them. For each interpreter, report --json must show:
# exactly the names MainThread, cruncher and sleeper; >= 95 % of cruncher's
# hold time in crunch (a hold belongs to the function running at release);
# sleeper's releases in nap_loop (all but the one at its end, outside
# Python code); most of cruncher's and sleeper's waits in their own function
# (a wait belongs to the function that asked); and the recording's closing
# line naming 3 threads.
# Also (python3.11-dbg): -p PID names threads started before the attach;
# a thread renamed while recorded shows its latest name and threads living
# 0.5 s are named (tests/progs/py_names_life.py); --python=gil records the
# GIL alone (no names, no functions); a 3.12 whose libpython lost its DWARF
# records the GIL and says once, in record's closing lines and in report
# (text and JSON), why names and functions are missing.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh

PYENV_ROOT=${PYENV_ROOT:-/root/.pyenv}
FUNCS=$PWD/tests/progs/py_funcs.py
LIFE=$PWD/tests/progs/py_names_life.py
results=()

# check_funcs NAME PYTHON : record py_funcs.py, check names and functions
check_funcs() {
	local name=$1 py=$2 out=$TMPD/$1 r
	if ! "$GILSCOPE" record --python -o "$out.gst" -- "$py" "$FUNCS" 1.5 >"$out.out" 2>&1 ||
	   ! "$GILSCOPE" report --json "$out.gst" >"$out.json" 2>>"$out.out"; then
		not_ok "$name" "$(tail -2 "$out.out" | tr '\n' '|')"
		return
	fi
	r=$(python3 - "$out.json" "$out.out" <<'PY'
import json, sys
j = json.load(open(sys.argv[1])); closing = open(sys.argv[2]).read()
bad = []
names = sorted(t["name"] for t in j["threads"])
if names != ["MainThread", "cruncher", "sleeper"]: bad.append("threads %s" % names)
rows = j["functions"]
def of(thread, kind):
    return [(r["function"], r[kind + "s"], r[kind + "_ns"]) for r in rows
            if r["thread"] == thread and r[kind + "s"]]
cr = [t for t in j["threads"] if t["name"] == "cruncher"]
share = 0.0
if cr and cr[0]["hold_ns"]:
    share = 100.0 * sum(ns for f, n, ns in of("cruncher", "hold") if f == "crunch") / cr[0]["hold_ns"]
if share < 95: bad.append("%.1f %% of cruncher's hold in crunch: %s" % (share, of("cruncher", "hold")))
sl = of("sleeper", "hold")
other = [f for f, n, ns in sl if f not in ("nap_loop", "(no Python code)")]
naps = sum(n for f, n, ns in sl if f == "nap_loop")
if other or naps < 20 or sum(n for f, n, ns in sl if f == "(no Python code)") > 1:
    bad.append("sleeper's releases in %s" % sl)
# by count, not time: on two cores the cruncher, forced to let go, often
# finds the GIL free again when it asks (the sleeper holds it microseconds),
# so all its waits in crunch can be 0 ns beside one start-up wait of 40 us
for thread, fn in (("cruncher", "crunch"), ("sleeper", "nap_loop")):
    w = of(thread, "wait")
    top = max(w, key=lambda r: (r[1], r[2])) if w else None
    if not w or top[0] != fn or top[1] * 2 < sum(n for f, n, ns in w):
        bad.append("%s waits in %s" % (thread, w))
if not any(t["name"] == "MainThread" and t["acquisitions"] for t in j["threads"]): bad.append("no MainThread")
if "3 threads named" not in closing: bad.append("closing lines: %s" % closing.strip().replace("\n", "|"))
print("; ".join(bad) if bad else "ok %.1f" % share)
PY
)
	case $r in
	ok*) ok "$name"; results+=("${name#python_funcs_}: names ok, ${r#ok } % of cruncher's hold in crunch") ;;
	*) not_ok "$name" "$r"; results+=("${name#python_funcs_}: FAILED") ;;
	esac
}

found=()
if need_root python_funcs && need_cmd python_funcs_dbg python3.11-dbg; then
	found+=("python3.11-dbg")
	check_funcs python_funcs_3.11_dbg "$(command -v python3.11-dbg)"
fi
if [ "$(id -u)" = 0 ]; then
	for py in "$PYENV_ROOT"/versions/3.*/bin/python3.[0-9]*; do
		case $py in *-config|*m) continue ;; esac
		[ -x "$py" ] || continue
		v=${py##*/python}
		case $v in 3.8|3.9|3.10|3.11|3.12|3.13) ;; *) continue ;; esac
		found+=("$v")
		check_funcs "python_funcs_$v" "$py"
	done
fi
echo "# interpreters found and tested: ${found[*]:-none}"
for l in "${results[@]}"; do echo "#   $l"; done

DBG=$(command -v python3.11-dbg)
if [ "$(id -u)" != 0 ] || [ -z "$DBG" ]; then
	t_exit
fi

# -p: threads started before the attach are named
"$DBG" "$FUNCS" 30 &
pid=$!
for ((i = 0; i < 100; i++)); do
	[ "$(ls /proc/$pid/task 2>/dev/null | wc -l)" -ge 3 ] && break
	sleep 0.05
done
if "$GILSCOPE" record --python -p "$pid" --duration 1 -o "$TMPD/attach.gst" >"$TMPD/attach.out" 2>&1 &&
   "$GILSCOPE" report --json "$TMPD/attach.gst" >"$TMPD/attach.json" 2>>"$TMPD/attach.out"; then
	r=$(json_get "$TMPD/attach.json" '",".join(sorted(t["name"] for t in j["threads"]))')
	f=$(json_get "$TMPD/attach.json" '",".join(sorted(set(r["function"] for r in j["functions"] if r["thread"] == "cruncher" and r["holds"])))')
	if [ "$r" = "cruncher,sleeper" ] && [ "$f" = crunch ]; then
		ok python_funcs_attach_names
	else
		not_ok python_funcs_attach_names "threads $r, cruncher held in $f: $(tail -2 "$TMPD/attach.out" | tr '\n' '|')"
	fi
else
	not_ok python_funcs_attach_names "$(tail -2 "$TMPD/attach.out" | tr '\n' '|')"
fi
kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null

# a rename while recorded (the latest name), and threads of 0.5 s each
if "$GILSCOPE" record --python -o "$TMPD/life.gst" -- "$DBG" "$LIFE" >"$TMPD/life.out" 2>&1 &&
   "$GILSCOPE" report --json "$TMPD/life.gst" >"$TMPD/life.json" 2>>"$TMPD/life.out"; then
	r=$(json_get "$TMPD/life.json" '",".join(sorted(t["name"] for t in j["threads"]))')
	if [ "$r" = "MainThread,after-rename,short-0,short-1,short-2" ]; then
		ok python_funcs_rename_and_short_threads
	else
		not_ok python_funcs_rename_and_short_threads "threads $r"
	fi
else
	not_ok python_funcs_rename_and_short_threads "$(tail -2 "$TMPD/life.out" | tr '\n' '|')"
fi

# --python=gil: the GIL alone
if "$GILSCOPE" record --python=gil -o "$TMPD/gil.gst" -- "$DBG" "$FUNCS" 0.5 >"$TMPD/gil.out" 2>&1 &&
   "$GILSCOPE" report --json "$TMPD/gil.gst" >"$TMPD/gil.json" 2>>"$TMPD/gil.out"; then
	r=$(json_get "$TMPD/gil.json" '"%d %d %d" % (len(j["functions"]), sum(t["name"] in ("cruncher", "sleeper") for t in j["threads"]), j["lock"]["acquisitions"] > 0)')
	if [ "$r" = "0 0 1" ] && ! grep -q Python "$TMPD/gil.out"; then
		ok python_funcs_gil_only
	else
		not_ok python_funcs_gil_only "functions, named threads, acquisitions: $r; $(tr '\n' '|' <"$TMPD/gil.out")"
	fi
else
	not_ok python_funcs_gil_only "$(tail -2 "$TMPD/gil.out" | tr '\n' '|')"
fi

# a 3.12 without DWARF: the GIL as before, and one line saying why not more
py=$PYENV_ROOT/versions/3.12.1/bin/python3.12
if [ -x "$py" ] && command -v objcopy >/dev/null; then
	mkdir -p "$TMPD/s12"
	objcopy --strip-debug "$PYENV_ROOT/versions/3.12.1/lib/libpython3.12.so.1.0" "$TMPD/s12/libpython3.12.so.1.0"
	if LD_LIBRARY_PATH="$TMPD/s12" "$GILSCOPE" record --python -o "$TMPD/s12.gst" -- "$py" "$FUNCS" 0.5 \
		>"$TMPD/s12.out" 2>&1 &&
	   "$GILSCOPE" report "$TMPD/s12.gst" >"$TMPD/s12.txt" 2>&1 &&
	   "$GILSCOPE" report --json "$TMPD/s12.gst" >"$TMPD/s12.json" 2>&1; then
		m=$(json_get "$TMPD/s12.json" 'j["python"]["missing"] or ""')
		a=$(json_get "$TMPD/s12.json" 'j["lock"]["acquisitions"]')
		if [ "$(grep -c 'no thread names or functions:.*no DWARF' "$TMPD/s12.out")" = 1 ] &&
		   grep -q '^Python code none recorded: .*no DWARF' "$TMPD/s12.txt" &&
		   [[ $m == *"no DWARF"* ]] && [ "$a" -gt 0 ]; then
			ok python_funcs_no_dwarf_says_why
		else
			not_ok python_funcs_no_dwarf_says_why "acq $a, missing '$m': $(tr '\n' '|' <"$TMPD/s12.out")"
		fi
	else
		not_ok python_funcs_no_dwarf_says_why "$(tail -2 "$TMPD/s12.out" | tr '\n' '|')"
	fi
fi
t_exit
