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
/* `check --python PID [--json] [-v]`, in cmd_check_python.c. */
#include <stdbool.h>
#include <sys/types.h>
int cmd_check_python(pid_t pid, bool json, bool verbose);

/* What `record` and `live` share after their getopt loop (cmd_trace.c);
 * each returns 0, or 2 after printing "gilscope NAME: what is wrong". */
struct pipeline_opts;
/* --python[=full|gil] (arg NULL for plain --python) into po. */
int cmd_parse_python(const char *name, const char *arg, struct pipeline_opts *po);
/* -p PID into po->pid. */
int cmd_parse_pid(const char *name, const char *arg, struct pipeline_opts *po);
/* Either -p PID or -- CMD ARGS (argv from optind: po->argv), and not both
 * --python and --lock. */
int cmd_trace_target(const char *name, struct pipeline_opts *po, int argc, char **argv);

#endif
