/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * cmd_record.c - `gilscope record`: trace a program into a .gst file.
 *
 * options -> the pipeline (record/pipeline.h: privileges, which lock, the
 * output, the recorder with probes attached before the target runs, the
 * privilege drop, the header) -> poll until the target exits, --duration,
 * or SIGINT/SIGTERM/SIGHUP -> final drain, footer, summary. The file is the
 * only sink. It is always closed properly except on SIGKILL, which loses at
 * most the last flush interval (1 s).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd/cmd.h"
#include "record/adapter.h"
#include "record/pipeline.h"

static const char usage[] =
"usage: gilscope record -o FILE [--duration S] [-a] [--force]\n"
"                       [--python | --lock SPEC] (-p PID | -- CMD [ARGS...])\n"
"\n"
"Record which thread holds the lock, who waits, and what every core runs,\n"
"into FILE (.gst). With -- CMD the command is started and traced from its\n"
"first instruction; recording ends when it exits. With -p PID a running\n"
"process (and its children) is traced until it exits. Ctrl-C stops early;\n"
"the file is always complete. At the end it says what tracing cost the\n"
"program (CPU time its probes added, calibrated here; kept in the file).\n"
"\n"
"  -o, --output FILE   where to write the trace (refuses to overwrite)\n"
"  --force             overwrite FILE if it exists\n"
"  --duration S        stop after S seconds\n"
"  -a, --all           also record other processes on the cores\n"
"  -p, --pid PID       trace a running process\n"
"  --python            trace CPython's GIL (uprobes in take_gil and drop_gil)\n"
"  --lock SPEC         trace any lock; SPEC is BINARY:ACQUIRE:RELEASE[:argN[=ADDR|=SYMBOL]]\n"
"  --floor             benchmark only: empty programs on the gilrt probes, no file\n"
"Needs root (or CAP_BPF and CAP_PERFMON). Under sudo FILE belongs to you.\n";

static void human_bytes(uint64_t b, char *buf, size_t len)
{
	if (b >= 10u << 20)
		snprintf(buf, len, "%.1f MiB", b / 1048576.0);
	else if (b >= 10u << 10)
		snprintf(buf, len, "%.1f KiB", b / 1024.0);
	else
		snprintf(buf, len, "%llu B", (unsigned long long)b);
}

/* A lock given by symbol placed after the start (pipeline.h): from here on
 * only that lock is recorded. */
static void say_note(void *ctx, const char *line)
{
	(void)ctx;
	fprintf(stderr, "gilscope record: %s\n", line);
}

int cmd_record(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "pid", required_argument, NULL, 'p' },
		{ "all", no_argument, NULL, 'a' },
		{ "duration", required_argument, NULL, 'd' },
		{ "force", no_argument, NULL, 'f' },
		{ "python", no_argument, NULL, 'P' },
		{ "lock", required_argument, NULL, 'L' },
		{ "floor", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct pipeline_opts po = { .child_stdout = -1, .catch_signals = true, .note = say_note };
	struct pipeline *p = NULL;
	struct pipeline_stats st;
	const char *out = NULL;
	char size[32];
	int c, ret = 1, rc;
	double dur = 0;

	/* options */
	optind = 1;
	while ((c = getopt_long(argc, argv, "+o:p:ah", longopts, NULL)) != -1) {
		char *end;

		switch (c) {
		case 'o': out = optarg; break;
		case 'a': po.all_tasks = true; break;
		case 'f': po.force = true; break;
		case 'P': po.python = true; break;
		case 'L': po.lock_spec = optarg; break;
		case 'F': po.floor = true; break;
		case 'p':
			if (cmd_parse_pid("record", optarg, &po))
				return 2;
			break;
		case 'd':
			dur = strtod(optarg, &end);
			if (*end || !(dur > 0) || dur > 1e7) {
				fprintf(stderr, "gilscope record: bad --duration '%s' (seconds, > 0)\n", optarg);
				return 2;
			}
			break;
		case 'h':
			fputs(usage, stdout);
			fputs("\n", stdout);
			fputs(ADAPTER_LOCK_SPEC_HELP, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (!out && !po.floor) {
		fprintf(stderr, "gilscope record: -o FILE is required (see --help)\n");
		return 2;
	}
	if (cmd_trace_target("record", &po, argc, argv))
		return 2;
	po.duration_ns = (uint64_t)(dur * 1e9);
	po.file = out != NULL;
	po.output = out;

	/* privileges, lock, file, recorder (probes attached before the target
	 * runs), then no privileges: the file is the only sink */
	if ((rc = pipeline_new(&p, &po))) {
		fprintf(stderr, "gilscope record: %s\n", strerror(-rc));
		return 1;
	}
	if (pipeline_start(p)) {
		fprintf(stderr, "gilscope record: %s\n", pipeline_error(p));
		ret = pipeline_usage_error(p) ? 2 : 1;
		goto out;
	}

	/* until the target exits, the duration is over, or a signal */
	rc = pipeline_run(p);
	c = pipeline_stop(p);
	rc = rc ? rc : c;
	c = pipeline_finish(p);
	if (rc == -ENOSPC || (!rc && c == -ENOSPC))
		fprintf(stderr, "gilscope record: %s: disk full; recording stopped, the file holds "
			"what fit\n", out);
	else if (rc)
		fprintf(stderr, "gilscope record: %s\n", strerror(-rc));
	else if (c)
		fprintf(stderr, "gilscope record: %s\n", pipeline_error(p));
	rc = rc ? rc : c;
	pipeline_stats(p, &st);
	human_bytes(st.bytes, size, sizeof(size));
	fprintf(stderr, "gilscope record: %llu events, %llu lost, %.2f s%s%s%s%s\n",
		(unsigned long long)st.rec.events, (unsigned long long)st.rec.lost,
		(st.rec.end_ns - st.rec.start_ns) / 1e9, out ? ", " : "", out ? size : "",
		out ? " -> " : "", out ? out : "");
	if (!po.floor) {
		char line[256];

		if (st.has_cost)
			trace_cost_line(&st.cost, line, sizeof(line));
		else
			snprintf(line, sizeof(line), "tracing cost unknown (%s)", st.cost_error);
		fprintf(stderr, "gilscope record: %s\n", line);
		if (st.has_cost && trace_cost_warning(&st.cost, line, sizeof(line)))
			fprintf(stderr, "gilscope record: %s\n", line);
	}
	if (st.rec.late)
		fprintf(stderr, "gilscope record: %llu events arrived later than the reorder "
			"window (clamped)\n", (unsigned long long)st.rec.late);
	if (!st.rec.exited && po.argv)
		fprintf(stderr, "gilscope record: %d still running (not stopped by gilscope)\n",
			(int)st.rec.pid);
	ret = rc ? 1 : 0;
out:
	pipeline_free(p);	/* detaching (slow) only now that the file is complete */
	return ret;
}
