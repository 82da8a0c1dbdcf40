/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * cmd_file.c - the trace FILE a command reads (cmd.h): `replay` and
 * `report` take exactly one, and say the same when it cannot be read.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "cmd/cmd.h"
#include "trace/trace_reader.h"

int cmd_one_trace(const char *name, int argc, char **argv, const char **path)
{
	if (optind == argc)
		return cmd_usage(name, "which trace? give a FILE");
	if (optind != argc - 1)
		return cmd_usage(name, "one trace FILE at a time, not %d", argc - optind);
	*path = argv[optind];
	return 0;
}

int cmd_open_trace(const char *name, const char *path, struct trace_reader **r)
{
	int err = trace_reader_open(r, path);

	if (err) {
		const char *why = trace_reader_error(NULL);

		if (err == -EBADMSG)
			fprintf(stderr, "gilscope %s: %s: not a readable gilscope trace%s%s\n",
				name, path, why[0] ? ": " : "", why);
		else
			fprintf(stderr, "gilscope %s: %s: %s\n", name, path, strerror(-err));
		return 1;
	}
	/* a damaged block in the middle: the rest is read (the footer says
	 * where the next one is) and the command says what it skipped */
	trace_reader_skip_bad(*r, true);
	return 0;
}
