/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * cmd_record.c - `gilscope record`: trace a program into a .gst file.
 *
 * options -> the pipeline (record/pipeline.h: privileges, which lock, the
 * output, the recorder with probes attached before the target runs, the
 * privilege drop, the header) -> poll until the target exits, --duration,
 * or SIGINT/SIGTERM/SIGHUP (a progress line on a terminal meanwhile) ->
 * final drain, footer, summary and how the program ended. The file is the
 * only sink. It is always closed properly except on SIGKILL, which loses at
 * most the last flush interval (1 s).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cmd/cmd.h"
#include "record/adapter.h"
#include "record/pipeline.h"
#include "record/pyrec.h"
#include "util/fmt.h"

static const char usage[] =
"usage: gilscope record -o FILE [--duration S] [-a] [--force] [-q]\n"
"                       [--python[=gil] | --lock SPEC] (-p PID | -- CMD [ARGS...])\n"
"\n"
"Record which thread holds the lock, who waits, and what every core runs,\n"
"into FILE (.gst). With -- CMD the command is started and traced from its\n"
"first instruction; recording ends when it exits (gilscope says how it\n"
"ended when that is not exit code 0). With -p PID a running process (and\n"
"its children) is traced until it exits. Ctrl-C stops early; the file is\n"
"always complete. A command gilscope started is ended when the recording\n"
"ends first (SIGTERM, SIGKILL 2 s later); a -p process never is. On a\n"
"terminal a progress line (events, size, lost, elapsed) is updated twice a\n"
"second on stderr. At the end it says what tracing cost the program (CPU\n"
"time its probes added, calibrated here; kept in the file).\n"
"\n"
"  -o, --output FILE   where to write the trace (refuses to overwrite)\n"
"  --force             overwrite FILE if it exists\n"
"  --duration S        stop after S seconds\n"
"  -a, --all           also record other processes on the cores\n"
"  -p, --pid PID       trace a running process (under sudo: one you could ptrace)\n"
"  -q, --quiet         no progress line and no closing summary (warnings and\n"
"                      errors stay)\n"
"  --as-root           under sudo, run CMD as root (default: as you, with your\n"
"                      groups, HOME, USER and LOGNAME); gilscope, no longer root\n"
"                      once attached, then cannot end it\n"
"  --keep-running      leave CMD running when the recording ends first\n"
"  --python            trace CPython's GIL (uprobes in take_gil and drop_gil), with\n"
"                      Python thread names and the function behind every GIL event\n"
"  --python=gil        the GIL only: no names or functions (nothing read from the\n"
"                      process, nothing added to the cost of a GIL event)\n"
"                      Python 2.7: its GIL (PyThread_acquire_lock/release_lock on\n"
"                      the lock interpreter_lock points to), kernel thread names,\n"
"                      no Python functions\n"
"  --lock SPEC         trace any lock; SPEC is BINARY:ACQUIRE:RELEASE[:argN[=ADDR|=SYMBOL|=*VAR]]\n"
"  --floor             benchmark only: empty programs on the gilrt probes, no file\n"
"Needs root (or CAP_BPF and CAP_PERFMON). Under sudo FILE belongs to you and\n"
"CMD runs as you.\n";

/* A lock given by symbol placed after the start (pipeline.h): from here on
 * only that lock is recorded. A progress line is cleared first. */
static void say_note(void *ctx, const char *line)
{
	bool *progress = ctx;

	fprintf(stderr, "%sgilscope record: %s\n", *progress ? "\r\033[K" : "", line);
}

/* The progress line, rewritten in place (stderr is a terminal). */
static void show_progress(void *ctx, const struct pipeline_stats *st)
{
	char events[32], size[32], lost[32];
	struct timespec now;

	(void)ctx;
	clock_gettime(CLOCK_MONOTONIC, &now);
	fmt_bytes(size, sizeof(size), st->bytes);
	fprintf(stderr, "\r\033[Kgilscope record: %s events, %s, %s lost, %.1f s elapsed",
		fmt_count(events, sizeof(events), st->rec.events), size,
		fmt_count(lost, sizeof(lost), st->rec.lost),
		((uint64_t)now.tv_sec * 1000000000ull + now.tv_nsec - st->rec.start_ns) / 1e9);
}

/* The closing lines: numbers (unless quiet), then what the user should know. */
static void summarize(struct pipeline *p, const struct pipeline_opts *po, bool quiet)
{
	struct pipeline_stats st;
	char size[32];

	pipeline_stats(p, &st);
	fmt_bytes(size, sizeof(size), st.bytes);
	if (!quiet)
		fprintf(stderr, "gilscope record: %llu events, %llu lost, %.2f s%s%s%s%s\n",
			(unsigned long long)st.rec.events, (unsigned long long)st.rec.lost,
			(st.rec.end_ns - st.rec.start_ns) / 1e9, po->output ? ", " : "",
			po->output ? size : "", po->output ? " -> " : "",
			po->output ? po->output : "");
	cmd_trace_cost("record", &st, po, quiet);
	if (st.rec.late)
		fprintf(stderr, "gilscope record: %llu events arrived later than the reorder "
			"window (clamped)\n", (unsigned long long)st.rec.late);
	/* what Python names and functions it learnt, or (even with -q) why not */
	if (pipeline_python(p) && (!quiet || pyrec_missing(pipeline_python(p))[0])) {
		char line[768];

		fprintf(stderr, "gilscope record: %s\n",
			pyrec_summary(pipeline_python(p), line, sizeof(line)));
	}
	cmd_trace_ending("record", p, po);
}

int cmd_record(int argc, char **argv)
{
	static const struct option longopts[] = {
		CMD_OPTS_TRACE,
		{ "duration", required_argument, NULL, 'd' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "floor", no_argument, NULL, 'F' },
		CMD_OPT_HELP,
		{ 0 },
	};
	bool quiet = false, progress = false;
	struct pipeline_opts po = { .child_stdout = -1, .catch_signals = true, .note = say_note,
				    .note_ctx = &progress };
	struct pipeline *p = NULL;
	int c, ret = 1, rc;
	double dur = 0;

	/* options */
	optind = 1;
	while ((c = cmd_getopt("record", argc, argv, "+:o:p:aqh", longopts)) != -1) {
		switch (c) {
		case 'q': quiet = true; break;
		case 'F': po.floor = true; break;
		case 'd':
			if (cmd_parse_double("record", "--duration", optarg, 0.001, 1e7,
					     "seconds, from 0.001 to 10000000", &dur))
				return 2;
			break;
		case 'h':
			fputs(usage, stdout);
			fputs("\n", stdout);
			fputs(ADAPTER_LOCK_SPEC_HELP, stdout);
			return 0;
		default:
			if (cmd_trace_opt("record", c, optarg, &po))
				return 2;
		}
	}
	if (!po.output && !po.floor)
		return cmd_usage("record", "-o FILE is required");
	if (cmd_trace_target("record", &po, argc, argv))
		return 2;
	po.duration_ns = (uint64_t)(dur * 1e9);
	po.file = po.output != NULL;
	/* a program printing on the same terminal has its output follow the
	 * last progress line; the next one is drawn below it */
	progress = !quiet && isatty(STDERR_FILENO);
	if (progress)
		po.tick = show_progress;

	/* privileges, lock, file, recorder (probes attached before the target
	 * runs), then no privileges: the file is the only sink */
	if ((rc = pipeline_new(&p, &po))) {
		fprintf(stderr, "gilscope record: %s\n", strerror(-rc));
		return 1;
	}
	if (pipeline_start(p)) {
		if (pipeline_usage_error(p))
			ret = cmd_usage("record", "%s", pipeline_error(p));
		else
			fprintf(stderr, "gilscope record: %s\n", pipeline_error(p));
		goto out;
	}

	/* until the target exits, the duration is over, or a signal */
	rc = pipeline_run(p);
	if (progress)
		fputs("\r\033[K", stderr);
	c = pipeline_stop(p);
	rc = rc ? rc : c;
	c = pipeline_finish(p);
	if (rc == -ENOSPC || (!rc && c == -ENOSPC))
		fprintf(stderr, "gilscope record: %s: disk full; recording stopped, the file holds "
			"what fit\n", po.output);
	else if (rc)
		fprintf(stderr, "gilscope record: %s\n", strerror(-rc));
	else if (c)
		fprintf(stderr, "gilscope record: %s\n", pipeline_error(p));
	rc = rc ? rc : c;
	summarize(p, &po, quiet);
	ret = rc ? 1 : 0;
out:
	pipeline_free(p);	/* detaching (slow) only now that the file is complete */
	return ret;
}
