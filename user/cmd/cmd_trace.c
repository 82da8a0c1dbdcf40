/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * cmd_trace.c - what `record` and `live` share (cmd.h): the options that
 * say which process and which lock (each command keeps its own getopt
 * loop), and the closing lines about the program and what tracing it
 * cost.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cmd/cmd.h"
#include "record/pipeline.h"
#include "trace/trace_cost.h"
#include "util/fmt.h"

int cmd_parse_python(const char *name, const char *arg, struct pipeline_opts *po)
{
	po->python = true;
	if (!arg || !strcmp(arg, "full"))
		return 0;
	if (!strcmp(arg, "gil")) {
		po->python_gil_only = true;
		return 0;
	}
	char q[80];

	return cmd_usage(name, "bad --python=%s (--python: the GIL, thread names and functions; "
			 "--python=gil: the GIL only)", cmd_quote(q, sizeof(q), arg));
}

int cmd_trace_target(const char *name, struct pipeline_opts *po, int argc, char **argv)
{
	if ((po->pid != 0) == (optind < argc))
		return cmd_usage(name, "give either -p PID or -- CMD [ARGS...]");
	if (po->python && po->lock_spec)
		return cmd_usage(name, "--python and --lock exclude each other");
	if (po->pid && (po->as_root || po->keep_running))
		return cmd_usage(name, "%s is for a command gilscope starts (-- CMD), not for -p",
				 po->as_root ? "--as-root" : "--keep-running");
	po->argv = optind < argc ? argv + optind : NULL;
	return 0;
}

void cmd_trace_ending(const char *name, const struct pipeline *p, const struct pipeline_opts *po)
{
	struct pipeline_stats st;
	char line[512];

	pipeline_stats(p, &st);
	if (pipeline_lock_warning(p, line, sizeof(line)))
		fprintf(stderr, "gilscope %s: warning: %s\n", name, line);
	if (st.rec.clamped)
		fprintf(stderr, "gilscope %s: %llu events carried a time from the traced program "
			"outside the recording (clamped into it)\n", name,
			(unsigned long long)st.rec.clamped);
	if (!st.started || !po->argv)
		return;		/* a -p process is never ours to end or report on */
	if (st.rec.ended_by == SIGTERM)
		fprintf(stderr, "gilscope %s: the recording ended first: ended %s (pid %d) with "
			"SIGTERM\n", name, po->argv[0], (int)st.rec.pid);
	else if (st.rec.ended_by == SIGKILL)
		fprintf(stderr, "gilscope %s: the recording ended first: %s (pid %d) ignored "
			"SIGTERM for %d s and was killed (SIGKILL)\n", name, po->argv[0],
			(int)st.rec.pid, PIPELINE_GRACE_MS / 1000);
	else if (!st.rec.exited)
		fprintf(stderr, "gilscope %s: %d still running (%s)\n", name, (int)st.rec.pid,
			po->keep_running ? "--keep-running"
			: po->as_root ? "--as-root: it runs as root, gilscope no longer does"
			: "it could not be ended");
	else if (st.rec.exit_status)	/* ours to know for a program we started */
		fprintf(stderr, "gilscope %s: the program ended: %s\n", name,
			fmt_exit_status(line, sizeof(line), st.rec.exit_status));
}

void cmd_trace_cost(const char *name, const struct pipeline_stats *st,
		    const struct pipeline_opts *po, bool quiet)
{
	char line[256];

	if (po->floor)
		return;		/* nothing was traced */
	if (!quiet) {
		if (st->has_cost)
			trace_cost_line(&st->cost, line, sizeof(line));
		else
			snprintf(line, sizeof(line), "tracing cost unknown (%s)", st->cost_error);
		fprintf(stderr, "gilscope %s: %s\n", name, line);
	}
	if (st->has_cost && trace_cost_warning(&st->cost, line, sizeof(line)))
		fprintf(stderr, "gilscope %s: %s\n", name, line);
}
