#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# python_names.sh - gilscope's reader of a live CPython (record/pyread,
# record/pylayout) against real interpreters: Debian's python3.11-dbg
# (make deps installs it: missing is a failure under CI=true) and every
# pyenv CPython 3.6-3.13 found (the list is printed). For each, the script
# tests/progs/py_threads.py runs threads known by construction, and
# `gilscope check --python PID --json` must show: the layout from
# _Py_DebugOffsets (3.13) or DWARF (older), the GIL's PyThreadState *
# argument from DWARF, every thread by its threading name (MainThread, a
# thread renamed while running, a non-ASCII name) with its kernel tid, and
# each in the function the script says. Threads are polled (they start
# running their function a moment after the ready file appears), with a
# timeout, never a sleep to make a race pass.
# Also: a 3.13 whose DWARF was stripped still works from _Py_DebugOffsets;
# a 3.12 without DWARF says why in one line, and the process is left alone.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh

PYENV_ROOT=${PYENV_ROOT:-/root/.pyenv}
SCRIPT=$PWD/tests/progs/py_threads.py

# check_one NAME PYTHON EXPECTED_LAYOUT [ENV...]: run the script, poll check --python
check_one() {
	local name=$1 py=$2 layout=$3; shift 3
	local ready="$TMPD/$name.ready" out="$TMPD/$name.json" pid r i
	env "$@" "$py" "$SCRIPT" "$ready" &
	pid=$!
	for ((i = 0; i < 200; i++)); do [ -e "$ready" ] && break; kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
	if [ ! -e "$ready" ]; then
		not_ok "$name" "$py did not start its threads"
		kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
		return
	fi
	r="no run"
	for ((i = 0; i < 50; i++)); do
		if "$GILSCOPE" check --python "$pid" --json >"$out" 2>"$out.err"; then
			r=$(python3 - "$out" "$ready" "$pid" "$layout" <<'PY'
import json, os, sys
j = json.load(open(sys.argv[1])); pid = int(sys.argv[3]); layout = sys.argv[4]
want = dict(l.rstrip("\n").split("\t") for l in open(sys.argv[2], encoding="utf-8"))
want["MainThread"] = None
bad = []
if j["layout"] != layout: bad.append("layout from %s, want %s" % (j["layout"], layout))
if not all(j["ready"].values()): bad.append("not ready: %s" % j["why"])
if layout == "DWARF" and j["gil_args"]["source"] != "DWARF": bad.append("GIL args from %s" % j["gil_args"]["source"])
if j["error"]: bad.append("error %d" % j["error"])
byname = {t["name"]: t for t in j["threads"]}
if sorted(byname) != sorted(want): bad.append("threads %s, want %s" % (sorted(map(str, byname)), sorted(want)))
tids = [t["tid"] for t in j["threads"]]
if len(set(tids)) != len(tids) or not all(os.path.exists("/proc/%d/task/%d" % (pid, t)) for t in tids):
    bad.append("tids %s" % tids)
if byname.get("MainThread", {}).get("tid") != pid: bad.append("MainThread is not tid %d" % pid)
for name, func in want.items():
    t = byname.get(name)
    if not t: continue
    if func is None:	# the main thread joins: it is in threading's join machinery
        ok = (t["function"] or "").split(".")[-1] in ("join", "_wait_for_tstate_lock") and \
             (t["file"] or "").endswith("threading.py")
    else:
        ok = t["function"] == func and (t["file"] or "").endswith("py_threads.py")
    if not ok: bad.append("%s in %s (%s), want %s" % (name, t["function"], t.get("file"), func or "join"))
print("ok" if not bad else "; ".join(bad))
PY
)
			[ "$r" = ok ] && break
		else
			r="check failed: $(head -1 "$out.err")"
		fi
		sleep 0.1
	done
	kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
	[ "$r" = ok ] && ok "$name" || not_ok "$name" "$r"
}

found=()
if need_root python_names && need_cmd python_names_dbg python3.11-dbg; then
	found+=("python3.11-dbg")
	check_one python_names_3.11_dbg "$(command -v python3.11-dbg)" DWARF
fi
if [ "$(id -u)" = 0 ]; then
	for py in "$PYENV_ROOT"/versions/3.*/bin/python3.[0-9]*; do
		case $py in *-config|*m) continue ;; esac
		[ -x "$py" ] || continue
		v=${py##*/python}
		case $v in 3.6|3.7|3.8|3.9|3.10|3.11|3.12) layout=DWARF ;; 3.13) layout=_Py_DebugOffsets ;; *) continue ;; esac
		found+=("$v")
		check_one "python_names_$v" "$py" "$layout"
	done
fi
echo "# interpreters found: ${found[*]:-none}"

# 3.13 without DWARF: _Py_DebugOffsets and the 3.13 header facts are enough
py=$PYENV_ROOT/versions/3.13.0/bin/python3.13
if [ "$(id -u)" = 0 ] && [ -x "$py" ] && command -v objcopy >/dev/null; then
	mkdir -p "$TMPD/s13"
	objcopy --strip-debug "$PYENV_ROOT/versions/3.13.0/lib/libpython3.13.so.1.0" "$TMPD/s13/libpython3.13.so.1.0"
	check_one python_names_3.13_no_dwarf "$py" _Py_DebugOffsets LD_LIBRARY_PATH="$TMPD/s13"
fi

# 3.12 without DWARF: no layout, said in one line naming the way out
py=$PYENV_ROOT/versions/3.12.1/bin/python3.12
if [ "$(id -u)" = 0 ] && [ -x "$py" ] && command -v objcopy >/dev/null; then
	mkdir -p "$TMPD/s12"
	objcopy --strip-debug "$PYENV_ROOT/versions/3.12.1/lib/libpython3.12.so.1.0" "$TMPD/s12/libpython3.12.so.1.0"
	LD_LIBRARY_PATH="$TMPD/s12" "$py" "$SCRIPT" "$TMPD/s12.ready" &
	pid=$!
	for ((i = 0; i < 200; i++)); do [ -e "$TMPD/s12.ready" ] && break; sleep 0.05; done
	"$GILSCOPE" check --python "$pid" >"$TMPD/s12.out" 2>&1
	rc=$?
	if [ $rc = 0 ] && [ "$(grep -c '^FAIL' "$TMPD/s12.out")" = 1 ] &&
	   grep -q '^FAIL.*has no DWARF.*use a build with debug info' "$TMPD/s12.out" &&
	   grep -q 'without Python names' "$TMPD/s12.out" && kill -0 "$pid"; then
		ok python_names_no_dwarf_says_why
	else
		not_ok python_names_no_dwarf_says_why "rc=$rc: $(tr '\n' '|' <"$TMPD/s12.out")"
	fi
	kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
fi

# a user who may not read the process: one line naming the way out, exit 1
py=$PYENV_ROOT/versions/3.12.1/bin/python3.12
if [ "$(id -u)" = 0 ] && [ -x "$py" ]; then
	"$py" "$SCRIPT" "$TMPD/u.ready" &
	pid=$!
	for ((i = 0; i < 200; i++)); do [ -e "$TMPD/u.ready" ] && break; sleep 0.05; done
	cp "$GILSCOPE" "$TMPD/gs" && chmod 755 "$TMPD" "$TMPD/gs"
	setpriv --reuid=65534 --regid=65534 --clear-groups "$TMPD/gs" check --python "$pid" >"$TMPD/u.out" 2>&1
	rc=$?
	kill "$pid"; wait "$pid" 2>/dev/null
	said_one_line $rc 1 "$TMPD/u.out" 'not allowed.*run as root' && ok python_names_unprivileged ||
		not_ok python_names_unprivileged "rc=$rc: $(cat "$TMPD/u.out")"
fi

# not a Python process: one line, exit 1
if need_root python_names_not_python; then
	sleep 30 &
	pid=$!
	"$GILSCOPE" check --python "$pid" >"$TMPD/np.out" 2>"$TMPD/np.err"
	rc=$?
	kill "$pid"; wait "$pid" 2>/dev/null
	said_one_line $rc 1 "$TMPD/np.err" 'runs no CPython' && ok python_names_not_python ||
		not_ok python_names_not_python "rc=$rc: $(cat "$TMPD/np.err")"
fi
t_exit
