/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * cmd_trace.c - the options `record` and `live` share (cmd.h): which
 * process, which lock. Each command keeps its own getopt loop.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int cmd_parse_python(const char *name, const char *arg, struct pipeline_opts *po)
{
	po->python = true;
	if (!arg || !strcmp(arg, "full"))
		return 0;
	if (!strcmp(arg, "gil")) {
		po->python_gil_only = true;
		return 0;
	}
	fprintf(stderr, "gilscope %s: bad --python=%s (--python: the GIL, thread names and "
		"functions; --python=gil: the GIL only)\n", name, arg);
	return 2;
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
	po->argv = optind < argc ? argv + optind : NULL;
	return 0;
}
