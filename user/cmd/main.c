/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* gilscope - see a Global Interpreter Lock at work. Dispatches to cmd_*.c. */
#include <stdio.h>
#include <string.h>
#include "cmd/cmd.h"

static const char usage[] =
"usage: gilscope COMMAND [OPTIONS]\n"
"\n"
"See which thread holds an interpreter lock, on which core, who waits, and why\n"
"threads do not make CPU-bound code faster.\n"
"\n"
"commands:\n"
"  live    [-a] [--python | --lock SPEC] [-o FILE] (-p PID | -- CMD ...)   watch live in the terminal\n"
"  record  -o FILE [--duration S] [-a] [--python | --lock SPEC] (-p PID | -- CMD ...)\n"
"  replay  FILE [--at T] [--speed X]         replay a recorded trace in the terminal\n"
"  report  FILE [--json]                     summary: threads, lock holds and waits, parallelism\n"
"  export  FILE --format FMT -o OUT         perfetto, chrome (JSON) or csv: for Perfetto, a spreadsheet\n"
"  lesson  [--list | NAME] [--replay]        guided classroom lessons\n"
"  check   [--python PID]                    can this machine trace? (kernel, BTF, privileges)\n"
"                                            with --python: can this CPython be traced with names?\n"
"\n"
"Run `gilscope COMMAND --help` for a command's options.\n";

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
};

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage, stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		fputs(usage, stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "gilscope: unknown command '%s' (try gilscope --help)\n", argv[1]);
	return 2;
}
