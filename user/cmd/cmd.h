/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * cmd.h - one entry point per `gilscope` subcommand, each in its own
 * user/cmd_NAME.c. argv[0] is the subcommand name. A command returns the
 * process exit status: 0 success, 1 failure (message already printed,
 * once, as "gilscope NAME: ..."), 2 bad usage.
 */
#ifndef CMD_H
#define CMD_H

int cmd_live(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_lesson(int argc, char **argv);
int cmd_check(int argc, char **argv);

/* What `record` and `live` share after their getopt loop (cmd_trace.c);
 * each returns 0, or 2 after printing "gilscope NAME: what is wrong". */
struct pipeline_opts;
/* -p PID into po->pid. */
int cmd_parse_pid(const char *name, const char *arg, struct pipeline_opts *po);
/* Either -p PID or -- CMD ARGS (argv from optind: po->argv), and not both
 * --python and --lock; --as-root and --keep-running only with -- CMD. */
int cmd_trace_target(const char *name, struct pipeline_opts *po, int argc, char **argv);
/* The closing line about a started program that did not end on its own:
 * ended by gilscope (how), or still running (--keep-running). Nothing for
 * -p targets or programs that exited. */
struct pipeline_stats;
void cmd_say_target(const char *name, const struct pipeline_opts *po,
		    const struct pipeline_stats *st);

#endif
