#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# lesson_cli.sh - `gilscope lesson` on the command line: the list, and one
# clear line plus the right exit status for every kind of bad input.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh

# expect NAME STATUS PATTERN CMD... : CMD exits STATUS and says one line on
# stderr matching PATTERN (and nothing on stdout).
expect() {
	local n=$1 want=$2 pat=$3
	shift 3
	"$@" >"$TMPD/out" 2>"$TMPD/err" </dev/null
	local rc=$? lines
	lines=$(wc -l <"$TMPD/err")
	if [ $rc != "$want" ]; then
		not_ok "$n" "exit $rc, want $want ($(head -n 1 "$TMPD/err"))"
	elif [ "$lines" != 1 ] || ! grep -q -- "$pat" "$TMPD/err"; then
		not_ok "$n" "stderr: $(head -n 3 "$TMPD/err" | paste -sd '|' -)"
	elif [ -s "$TMPD/out" ]; then
		not_ok "$n" "unexpected stdout: $(head -n 1 "$TMPD/out")"
	else
		ok "$n"
	fi
}

"$GILSCOPE" lesson --list >"$TMPD/list" 2>&1
rc=$?
n=$(grep -c -E '^ ?[0-9]+  [a-z]+ +[^ ].+' "$TMPD/list")
if [ $rc = 0 ] && [ "$n" -ge 10 ] && [ "$n" = "$(ls lessons/*.lesson | wc -l)" ]; then
	ok "lesson_list ($n lessons)"
else
	not_ok lesson_list "exit $rc, $n lines: $(head -n 2 "$TMPD/list" | paste -sd '|' -)"
fi
first=$(awk 'NR == 1 { print $2 }' "$TMPD/list")
# the lessons with a CPython form are marked: every file with a `python` line
py=$(grep -c -E '^ ?[0-9]+  [a-z]+ +py[23]  ' "$TMPD/list")
want=$(grep -l '^python ' lessons/*.lesson | wc -l)
if [ "$py" = "$want" ] && [ "$py" -ge 7 ] && grep -Eq '^ ?[0-9]+  threads +py3 ' "$TMPD/list" &&
	grep -q 'gilscope lesson NAME --python' "$TMPD/list"; then
	ok "lesson_list_python ($py marked)"
else
	not_ok lesson_list_python "$py marked, $want with a python line: $(grep threads "$TMPD/list")"
fi
check lesson_by_number bash -c "'$GILSCOPE' lesson 1 --replay --plain </dev/null | grep -q '^Lesson $first: '"

expect lesson_unknown 2 "no lesson 'nosuch'" "$GILSCOPE" lesson nosuch --replay
expect lesson_unknown_number 2 "no lesson '99'" "$GILSCOPE" lesson 99 --replay
expect lesson_no_name 2 "give --list or one lesson NAME" "$GILSCOPE" lesson
expect lesson_two_names 2 "give --list or one lesson NAME" "$GILSCOPE" lesson threads procs
expect lesson_list_and_name 2 "give --list or one lesson NAME" "$GILSCOPE" lesson --list threads
expect lesson_bad_option 2 "unknown option --frobnicate" "$GILSCOPE" lesson threads --frobnicate
expect lesson_bad_speed 2 "bad --speed 'fast'" "$GILSCOPE" lesson threads --replay --speed fast
expect lesson_missing_trace 1 "No such file" "$GILSCOPE" lesson threads --trace "$TMPD/none.gst"
head -c 5000 /dev/urandom >"$TMPD/junk.gst"
expect lesson_junk_trace 1 "junk.gst" "$GILSCOPE" lesson threads --trace "$TMPD/junk.gst"
expect lesson_no_data 1 "no lessons/ directory" "$GILSCOPE" lesson --list --data "$TMPD/nowhere"

# a broken lesson file is named, with its line and the reason
mkdir -p "$TMPD/data/lessons"
printf 'title t\nabout a\nrun cpu\ntrace x.gst\nstep at soon\n  hi\n' >"$TMPD/data/lessons/01-broken.lesson"
GILSCOPE_DATA=$TMPD/data expect lesson_broken_file 1 "01-broken.lesson: line 5: step at" "$GILSCOPE" lesson --list

# lessons are data, not code: no link is followed (a link to a secret file
# once printed its first line), `run` takes no paths, text is shown safe
good='title t\nabout a\nrun cpu --threads 2\ntrace x.gst\nstep end\n  hi\n'
mk_data() { rm -rf "$TMPD/d2"; mkdir -p "$TMPD/d2/lessons"; }
mk_data
echo 'root:SECRETHASH:19000:0:99999:7:::' >"$TMPD/secret" && chmod 600 "$TMPD/secret"
ln -s "$TMPD/secret" "$TMPD/d2/lessons/01-link.lesson"
GILSCOPE_DATA=$TMPD/d2 expect lesson_symlink_refused 1 "01-link.lesson: a symbolic link" "$GILSCOPE" lesson --list
grep -q SECRETHASH "$TMPD/err" && not_ok lesson_symlink_no_leak "the secret was printed" || ok lesson_symlink_no_leak
mk_data
printf "$good" | sed 's|^run .*|run cpu --stats-json /root/x|' >"$TMPD/d2/lessons/01-stats.lesson"
GILSCOPE_DATA=$TMPD/d2 expect lesson_run_no_paths 1 "'--stats-json' is not an option a lesson may set" \
	"$GILSCOPE" lesson --list
mk_data
printf "$good" | sed 's|^about a|about a\x1b[2J\x9bX|' >"$TMPD/d2/lessons/01-esc.lesson"
"$GILSCOPE" lesson --list --data "$TMPD/d2" >"$TMPD/out" 2>&1
if [ $? = 0 ] && grep -qF 'a?[2J?X' "$TMPD/out" && ! LC_ALL=C grep -q $'[\x1b\x9b]' "$TMPD/out"; then
	ok lesson_text_no_escapes
else
	not_ok lesson_text_no_escapes "$(od -c "$TMPD/out" | head -n 3 | paste -sd '|' -)"
fi
if [ "$(id -u)" = 0 ]; then
	# under sudo a lesson is read with the invoking user's permissions
	mk_data
	printf "$good" >"$TMPD/d2/lessons/01-rootonly.lesson" && chmod 600 "$TMPD/d2/lessons/01-rootonly.lesson"
	chmod 755 "$TMPD/d2" "$TMPD/d2/lessons"
	chmod 711 "$TMPD"
	SUDO_UID=65534 SUDO_GID=65534 GILSCOPE_DATA=$TMPD/d2 expect lesson_sudo_reads_as_user 1 \
		"01-rootonly.lesson: Permission denied" "$GILSCOPE" lesson --list
fi

# a CPython recording replayed as a lesson: its closing table names the
# threads by their Python names (the reader's names, alive until the table)
out=$("$GILSCOPE" lesson threads --replay --trace tests/traces/python311.gst --plain --speed 100 2>&1)
if echo "$out" | grep -Eq '^  cruncher +[0-9.]+' && echo "$out" | grep -Eq '^  sleeper +[0-9.]+' &&
   echo "$out" | grep -Eq '^  MainThread +[0-9.]+'; then
	ok lesson_python_names
else
	not_ok lesson_python_names "$(echo "$out" | grep -A4 'thread  ' | tr '\n' '|')"
fi

# the CPython form: bad input is one line, the right status, nothing written
expect lesson_python_no_form 1 "lesson lock has no CPython form" "$GILSCOPE" lesson lock --python
expect lesson_python_interpreter_replay 2 "--interpreter runs the script live" \
	"$GILSCOPE" lesson threads --interpreter python3 --replay
expect lesson_python_not_python 1 "not a Python interpreter" \
	"$GILSCOPE" lesson threads --interpreter /bin/true --plain
gs_abs=$(realpath "$GILSCOPE")
mkdir -p "$TMPD/empty" "$TMPD/nohome" "$TMPD/bin"
for t in wc head grep paste; do ln -sf "$(command -v $t)" "$TMPD/bin/$t"; done	# expect's tools, no python
( cd "$TMPD/empty" && PATH=$TMPD/bin HOME=$TMPD/nohome PYENV_ROOT='' \
	expect lesson_python_no_interpreter 1 "no Python 3 whose lock can be traced.*python3.11-dbg.*pyenv" \
	"$gs_abs" lesson threads --python --plain )
[ -z "$(ls -A "$TMPD/empty")" ] && ok lesson_python_no_interpreter_writes_nothing ||
	not_ok lesson_python_no_interpreter_writes_nothing "$(ls -A "$TMPD/empty")"
mk_data
printf "$good" >"$TMPD/d2/lessons/01-py.lesson"
printf 'python ../../x.py\npython_trace y.gst\npython_step end\n  y\n' >>"$TMPD/d2/lessons/01-py.lesson"
GILSCOPE_DATA=$TMPD/d2 expect lesson_python_no_paths 1 "python: a script's file name in lessons/py/" \
	"$GILSCOPE" lesson --list
if command -v python3.11-dbg >/dev/null; then
	# a script is run as it is, never through a link (found before any privilege is needed)
	mk_data
	printf "$good" >"$TMPD/d2/lessons/01-py.lesson"
	printf 'python s.py\npython_trace y.gst\npython_step end\n  y\n' >>"$TMPD/d2/lessons/01-py.lesson"
	mkdir -p "$TMPD/d2/lessons/py" && echo 'print("hi")' >"$TMPD/x.py" && ln -s "$TMPD/x.py" "$TMPD/d2/lessons/py/s.py"
	GILSCOPE_DATA=$TMPD/d2 expect lesson_python_script_link 1 "s.py: a symbolic link" \
		"$GILSCOPE" lesson py --python --plain
else
	skip lesson_python_script_link "no python3.11-dbg (sudo make deps)"
fi

# live needs privileges: a user without them gets one line and the way out
if [ "$(id -u)" = 0 ]; then
	chmod 711 "$TMPD"
	expect lesson_live_unprivileged 1 "try: gilscope lesson threads --replay" \
		runuser -u nobody -- "$(stage_unprivileged "$TMPD/stage")" lesson threads --plain
else
	expect lesson_live_unprivileged 1 "try: gilscope lesson threads --replay" \
		"$GILSCOPE" lesson threads --plain
fi
t_exit
