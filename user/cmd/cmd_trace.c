/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * cmd_trace.c - what `record` and `live` share (cmd.h): the options that
 * say which process and which lock (each command keeps its own getopt
 * loop), and the closing lines about the program.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cmd/cmd.h"
#include "record/pipeline.h"
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
	/* the exit status is ours to know for a program we started */
	if (st.rec.exited && po->argv && st.rec.exit_status)
		fprintf(stderr, "gilscope %s: the program ended: %s\n", name,
			fmt_exit_status(line, sizeof(line), st.rec.exit_status));
	if (!st.rec.exited && po->argv)
		fprintf(stderr, "gilscope %s: %d still running (not stopped by gilscope)\n", name,
			(int)st.rec.pid);
}
