/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* gilscope - see a Global Interpreter Lock at work. Dispatches to cmd_*.c. */
#include <stdio.h>
#include <string.h>
#include "version.h"	/* GS_VERSION, made by the Makefile */
#include "cmd/cmd.h"
#include "trace/trace_format.h"

static const char usage[] =
"usage: gilscope COMMAND [OPTIONS]\n"
"\n"
"See which thread holds an interpreter lock, on which core, who waits, and why\n"
"threads do not make CPU-bound code faster.\n"
"\n"
"commands:\n"
"  live    [-a] [--python[=gil] | --lock SPEC] [-o FILE] (-p PID | -- CMD ...) watch it live\n"
"  record  -o FILE [--duration S] [-a] [--python[=gil] | --lock SPEC] (-p PID | -- CMD ...)\n"
"  replay  FILE [--at T] [--speed X]         replay a recorded trace in the terminal\n"
"  report  FILE [--json]                     summary: threads, lock holds and waits, parallelism\n"
"  export  FILE --format FMT -o OUT         perfetto, chrome (JSON) or csv: for Perfetto, a spreadsheet\n"
"  lesson  [--list | NAME] [--replay]        guided classroom lessons\n"
"  check   [--python PID]                    can this machine (or this CPython, with names) be traced?\n"
"  top     [-p PID[,PID...]]                 every Python process's GIL, like top, always on\n"
"  exporter [--listen ADDR:PORT]             the same as Prometheus metrics on /metrics\n"
"\n"
"Run `gilscope COMMAND --help` for a command's options, `gilscope --version`\n"
"for the version.\n";

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ "live", cmd_live },
	{ "record", cmd_record },
	{ "replay", cmd_replay },
	{ "report", cmd_report },
	{ "export", cmd_export },
	{ "lesson", cmd_lesson },
	{ "check", cmd_check },
	{ "top", cmd_top },
	{ "exporter", cmd_exporter },
};

int main(int argc, char **argv)
{
	char q[256];

	if (argc < 2)
		return cmd_usage(NULL, "give a command: live, record, replay, report, export, "
				 "lesson, check, top or exporter");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		fputs(usage, stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("gilscope %s\ntrace format (.gst) version %d\n", GS_VERSION, GST_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	if (argv[1][0] == '-')
		return cmd_usage(NULL, "unknown option %s", cmd_quote(q, sizeof(q), argv[1]));
	return cmd_usage(NULL, "unknown command '%s'", cmd_quote(q, sizeof(q), argv[1]));
}
