#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# cli_usage.sh - the command lines of gilscope and gilrt as a new user meets
# them, table-driven over every command:
#  - every --help (gilscope, each command, gilrt and each of its commands)
#    exits 0 with its usage on stdout and nothing on stderr;
#  - every --version exits 0, and gilscope and gilrt say the same version;
#  - every usage error is exactly one line on stderr, "gilscope CMD: what is
#    wrong (see gilscope CMD --help)" (gilrt alike), nothing on stdout, exit
#    2, and runs nothing: getopt's own messages, the usage dumped after the
#    line, a pid or number that wraps or has junk after it all fail here.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
RAN=$TMPD/ran	# every command in the table would create this if it ran
RUN=(touch "$RAN")

# help NAME PREFIX CMD... : exit 0, stdout starts with PREFIX, stderr empty
help() {
	local n=$1 prefix=$2; shift 2
	"$@" >"$TMPD/out" 2>"$TMPD/err" </dev/null
	local rc=$?
	if [ $rc = 0 ] && [ "$(head -c ${#prefix} "$TMPD/out")" = "$prefix" ] && [ ! -s "$TMPD/err" ]; then
		ok "$n"
	else
		not_ok "$n" "exit $rc, stdout '$(head -n 1 "$TMPD/out")', stderr '$(head -n 1 "$TMPD/err")'"
	fi
}

# bad NAME PROG SUB WHAT ARGS... : PROG [ARGS] is a usage error of command
# SUB ("" for PROG itself): one line "PROG[ SUB]: ...WHAT... (see PROG[ SUB]
# --help)", exit 2, empty stdout
bad() {
	local n=$1 prog=$2 sub=$3 what=$4; shift 4
	local bin=$GILSCOPE who=$prog
	[ "$prog" = gilrt ] && bin=$GILRT
	[ -n "$sub" ] && who="$prog $sub"
	"$bin" ${sub:+"$sub"} "$@" >"$TMPD/out" 2>"$TMPD/err" </dev/null
	local rc=$? lines line
	lines=$(wc -l <"$TMPD/err")
	line=$(head -n 1 "$TMPD/err")
	if [ $rc != 2 ]; then
		not_ok "$n" "exit $rc, want 2: $line"
	elif [ "$lines" != 1 ] || [ -s "$TMPD/out" ]; then
		not_ok "$n" "$lines stderr lines, $(wc -c <"$TMPD/out") stdout bytes: $(head -c 300 "$TMPD/err" | paste -sd '|' -)"
	elif [ "${line#"$who: "}" = "$line" ] || [ "${line%" (see $who --help)"}" = "$line" ]; then
		not_ok "$n" "not '$who: ... (see $who --help)': $line"
	elif [ "${line#*"$what"}" = "$line" ]; then
		not_ok "$n" "does not say '$what': $line"
	else
		ok "$n"
	fi
}

# ---- --help and --version ----
help help_gilscope "usage: gilscope COMMAND" "$GILSCOPE" --help
help help_gilscope_h "usage: gilscope COMMAND" "$GILSCOPE" -h
help help_gilscope_word "usage: gilscope COMMAND" "$GILSCOPE" help
for c in live record replay report export lesson check top exporter; do
	help "help_$c" "usage: gilscope $c" "$GILSCOPE" "$c" --help
done
help help_gilrt "usage: gilrt run" "$GILRT" --help
for c in run list compare; do
	help "help_gilrt_$c" "usage: gilrt $c" "$GILRT" "$c" --help
done
help help_gilrt_run_after_args "usage: gilrt run" "$GILRT" run cpu --threads 2 --help
help version_gilscope "gilscope " "$GILSCOPE" --version
help version_gilscope_V "gilscope " "$GILSCOPE" -V
help version_gilrt "gilrt " "$GILRT" --version
gv=$("$GILSCOPE" --version | head -n 1) rv=$("$GILRT" --version)
if [ "${gv#gilscope }" = "${rv#gilrt }" ] && [[ "$gv" =~ ^gilscope\ [0-9]+\.[0-9]+ ]] &&
   "$GILSCOPE" --version | grep -qE '^trace format \(\.gst\) version [0-9]+$'; then
	ok version_one_place
else
	not_ok version_one_place "gilscope '$gv', gilrt '$rv'"
fi

# ---- usage errors: gilscope ----
bad top_none gilscope "" "give a command"
bad top_unknown gilscope "" "unknown command 'frob'" frob
bad top_option gilscope "" "unknown option --frob" --frob

bad live_no_target gilscope live "either -p PID or -- CMD"
bad live_both_targets gilscope live "either -p PID or -- CMD" -p 1 -- "${RUN[@]}"
bad live_option gilscope live "unknown option --frob" --frob -- "${RUN[@]}"
bad live_short_option gilscope live "unknown option -z" -z -- "${RUN[@]}"
bad live_no_value gilscope live "option --pid needs a value" --pid
bad live_value_on_flag gilscope live "option --ascii takes no value" --ascii=yes -- "${RUN[@]}"
bad live_pid_wraps gilscope live "bad pid '4294969018'" -p 4294969018
bad live_pid_zero gilscope live "bad pid '0'" -p 0
bad live_pid_negative gilscope live "bad pid '-5'" -p -5
bad live_pid_junk gilscope live "bad pid '12abc'" -p 12abc
bad live_python_and_lock gilscope live "exclude each other" --python --lock a:b:c -- "${RUN[@]}"
bad live_force_alone gilscope live "--force goes with -o FILE" --force -- "${RUN[@]}"

bad record_no_output gilscope record "-o FILE is required" -- "${RUN[@]}"
bad record_no_target gilscope record "either -p PID or -- CMD" -o "$TMPD/x.gst"
bad record_option gilscope record "unknown option --frob" --frob -o "$TMPD/x.gst" -- "${RUN[@]}"
bad record_no_value gilscope record "option -o needs a value" -o
bad record_cluster gilscope record "unknown option -z" --all -za -o "$TMPD/x.gst" -- "${RUN[@]}"
bad record_long_value gilscope record "unknown option --frob" --frob=3 -o "$TMPD/x.gst" -- "${RUN[@]}"
bad record_ambiguous gilscope record "option --p is ambiguous" --p 3 -o "$TMPD/x.gst"
bad record_pid_wraps gilscope record "bad pid '4294969018'" -o "$TMPD/x.gst" -p 4294969018
bad record_pid_huge gilscope record "bad pid '99999999999999999999'" -o "$TMPD/x.gst" -p 99999999999999999999
bad record_pid_space gilscope record "bad pid ' 1'" -o "$TMPD/x.gst" -p " 1"
bad record_duration_negative gilscope record "bad --duration '-1'" -o "$TMPD/x.gst" --duration -1 -- "${RUN[@]}"
bad record_duration_inf gilscope record "bad --duration '1e400'" -o "$TMPD/x.gst" --duration 1e400 -- "${RUN[@]}"
bad record_duration_hex gilscope record "bad --duration '0x10'" -o "$TMPD/x.gst" --duration 0x10 -- "${RUN[@]}"
bad record_duration_unit gilscope record "bad --duration '5s'" -o "$TMPD/x.gst" --duration 5s -- "${RUN[@]}"
bad record_duration_nan gilscope record "bad --duration 'nan'" -o "$TMPD/x.gst" --duration nan -- "${RUN[@]}"

bad replay_no_file gilscope replay "give a FILE"
bad replay_two_files gilscope replay "one trace FILE at a time" a.gst b.gst
bad replay_option gilscope replay "unknown option --frob" --frob a.gst
bad replay_at_negative gilscope replay "bad --at '-1'" --at -1 a.gst
bad replay_at_junk gilscope replay "bad --at '1.5s'" --at 1.5s a.gst
bad replay_speed_zero gilscope replay "bad --speed '0'" --speed 0 a.gst
bad replay_speed_huge gilscope replay "bad --speed '1000'" --speed 1000 a.gst
bad replay_speed_hex gilscope replay "bad --speed '0x1'" --speed 0x1 a.gst
bad replay_no_value gilscope replay "option --speed needs a value" a.gst --speed

bad report_no_file gilscope report "give a FILE"
bad report_two_files gilscope report "one trace FILE at a time" a.gst b.gst
bad report_option gilscope report "unknown option --bogus" --bogus a.gst
bad report_value_on_flag gilscope report "option --json takes no value" --json=1 a.gst

bad export_no_file gilscope export "no trace FILE given"
bad export_no_output gilscope export "no output given" a.gst
bad export_two_files gilscope export "one trace FILE at a time" a.gst b.gst -o c.csv
bad export_no_format gilscope export "give --format perfetto, chrome or csv" a.gst -o c.txt
bad export_bad_format gilscope export "unknown format 'pdf'" a.gst -o c --format pdf
bad export_option gilscope export "unknown option --frob" --frob a.gst
bad export_no_value gilscope export "option -o needs a value" a.gst -o

bad lesson_none gilscope lesson "give --list or one lesson NAME"
bad lesson_option gilscope lesson "unknown option --frob" --frob
bad lesson_unknown gilscope lesson "no lesson 'nosuch'" nosuch --replay
bad lesson_number_huge gilscope lesson "no lesson '99999999999999999999'" 99999999999999999999 --replay
bad lesson_speed gilscope lesson "bad --speed '0'" threads --replay --speed 0
bad lesson_no_value gilscope lesson "option --speed needs a value" threads --speed

bad check_argument gilscope check "unexpected argument 'extra'" extra
bad check_option gilscope check "unknown option --frob" --frob

bad cmd_top_argument gilscope top "unexpected argument 'python3'" python3
bad cmd_top_option gilscope top "unknown option --frob" --frob
bad cmd_top_pid_zero gilscope top "bad pid '0'" -p 0
bad cmd_top_pid_list gilscope top "bad pid 'x'" -p 12,x
bad cmd_top_pid_empty gilscope top "-p needs a process id" -p ,
bad cmd_top_interval gilscope top "bad --interval '0'" --interval 0
bad cmd_top_interval_unit gilscope top "bad --interval '1s'" --interval 1s

bad cmd_exporter_argument gilscope exporter "unexpected argument 'x'" x
bad cmd_exporter_option gilscope exporter "unknown option --frob" --frob
bad cmd_exporter_pid gilscope exporter "bad pid '-1'" -p -1
bad cmd_exporter_interval gilscope exporter "bad --interval 'inf'" --interval inf
bad cmd_exporter_listen gilscope exporter "bad --listen '127.0.0.1'" --listen 127.0.0.1
bad cmd_exporter_max gilscope exporter "bad --max-processes '1e3'" --max-processes 1e3

# a malformed --lock SPEC is a usage error too (it is read once privileges are checked)
if need_root lock_spec_usage; then
	bad record_lock_missing_release gilscope record \
		"missing RELEASE after BINARY 'app' and ACQUIRE 'pthread_mutex_lock'" \
		-o "$TMPD/x.gst" --lock app:pthread_mutex_lock -- "${RUN[@]}"
	bad live_lock_missing_release gilscope live "missing RELEASE" \
		--lock app:pthread_mutex_lock -- "${RUN[@]}"
fi

# ---- usage errors: gilrt ----
bad gilrt_none gilrt "" "which command"
bad gilrt_unknown gilrt "" "unknown command 'frob'" frob
bad gilrt_option gilrt "" "unknown option '--frob'" --frob
bad gilrt_run_none gilrt run "which scenario"
bad gilrt_run_unknown gilrt run "unknown scenario 'nosuch'" nosuch
bad gilrt_run_option gilrt run "unknown argument '--frob'" cpu --frob
bad gilrt_run_no_value gilrt run "option --threads needs a value" cpu --threads
bad gilrt_run_threads_space gilrt run "--threads wants" cpu --threads " 5"
bad gilrt_run_threads_huge gilrt run "--threads wants" cpu --threads 99999999999999999999
bad gilrt_run_seconds_hex gilrt run "--seconds wants" cpu --seconds 0x1p1
bad gilrt_run_seconds_inf gilrt run "--seconds wants" cpu --seconds inf
bad gilrt_compare_repeat gilrt compare "--repeat wants" --repeat 0
bad gilrt_compare_option gilrt compare "unknown argument '--fast'" --fast
bad gilrt_list_argument gilrt list "unexpected argument 'extra'" extra

[ ! -e "$RAN" ] && ok usage_errors_run_nothing || not_ok usage_errors_run_nothing "a command ran"
t_exit
