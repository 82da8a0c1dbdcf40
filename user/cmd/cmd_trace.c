/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * cmd_trace.c - the options `record` and `live` share (cmd.h): which
 * process, which lock. Each command keeps its own getopt loop.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "cmd/cmd.h"
#include "record/pipeline.h"

int cmd_parse_pid(const char *name, const char *arg, struct pipeline_opts *po)
{
	char *end;

	po->pid = strtol(arg, &end, 10);
	if (*end || po->pid <= 0) {
		fprintf(stderr, "gilscope %s: bad pid '%s'\n", name, arg);
		return 2;
	}
	return 0;
}

int cmd_trace_target(const char *name, struct pipeline_opts *po, int argc, char **argv)
{
	if ((po->pid != 0) == (optind < argc)) {
		fprintf(stderr, "gilscope %s: give either -p PID or -- CMD [ARGS...] (see --help)\n", name);
		return 2;
	}
	if (po->python && po->lock_spec) {
		fprintf(stderr, "gilscope %s: --python and --lock exclude each other\n", name);
		return 2;
	}
	if (po->pid && (po->as_root || po->keep_running)) {
		fprintf(stderr, "gilscope %s: %s is for a command gilscope starts (-- CMD), not "
			"for -p\n", name, po->as_root ? "--as-root" : "--keep-running");
		return 2;
	}
	po->argv = optind < argc ? argv + optind : NULL;
	return 0;
}

void cmd_say_target(const char *name, const struct pipeline_opts *po,
		    const struct pipeline_stats *st)
{
	if (!st->started || !po->argv)
		return;
	if (st->rec.ended_by == SIGTERM)
		fprintf(stderr, "gilscope %s: the recording ended first: ended %s (pid %d) with "
			"SIGTERM\n", name, po->argv[0], (int)st->rec.pid);
	else if (st->rec.ended_by == SIGKILL)
		fprintf(stderr, "gilscope %s: the recording ended first: %s (pid %d) ignored "
			"SIGTERM for %d s and was killed (SIGKILL)\n", name, po->argv[0],
			(int)st->rec.pid, PIPELINE_GRACE_MS / 1000);
	else if (!st->rec.exited)
		fprintf(stderr, "gilscope %s: %d still running (%s)\n", name, (int)st->rec.pid,
			po->keep_running ? "--keep-running"
			: po->as_root ? "--as-root: it runs as root, gilscope no longer does"
			: "it could not be ended");
}
