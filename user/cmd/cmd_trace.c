/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * cmd_trace.c - the options `record` and `live` share (cmd.h): which
 * process, which lock. Each command keeps its own getopt loop.
 */
#include <unistd.h>
#include "cmd/cmd.h"
#include "record/pipeline.h"

int cmd_trace_target(const char *name, struct pipeline_opts *po, int argc, char **argv)
{
	if ((po->pid != 0) == (optind < argc))
		return cmd_usage(name, "give either -p PID or -- CMD [ARGS...]");
	if (po->python && po->lock_spec)
		return cmd_usage(name, "--python and --lock exclude each other");
	po->argv = optind < argc ? argv + optind : NULL;
	return 0;
}
