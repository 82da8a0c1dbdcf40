/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * cmd.h - one entry point per `gilscope` subcommand, each in its own
 * user/cmd_NAME.c. argv[0] is the subcommand name. A command returns the
 * process exit status: 0 success, 1 failure (message already printed,
 * once, as "gilscope NAME: ..."), 2 bad usage.
 */
#ifndef CMD_H
#define CMD_H
#include <stddef.h>
#include <sys/types.h>

struct option;

int cmd_live(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_lesson(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_exporter(int argc, char **argv);
/* `check --python PID [--json] [-v]`, in cmd_check_python.c. */
#include <stdbool.h>
#include <sys/types.h>
int cmd_check_python(pid_t pid, bool json, bool verbose);

/*
 * The command line (cmd_opt.c). A usage error is one line on stderr,
 * "gilscope NAME: what is wrong (see gilscope NAME --help)", and exit
 * status 2; the functions below that can fail say it and return 2.
 */
/* Says that line (name NULL: "gilscope: ... (see gilscope --help)");
 * returns 2. */
int cmd_usage(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A user's argument made fit to quote back: at most 64 bytes, control
 * characters and invalid UTF-8 as '?'. Returns buf. */
const char *cmd_quote(char *buf, size_t len, const char *arg);
/* getopt_long() whose errors are cmd_usage() lines ("unknown option
 * --frob", "option --duration needs a value"): returns the next option,
 * -1 after the last, or '?' once the line was said (return 2 then).
 * optstring must start with ':' (after a leading '+'); optind is getopt's. */
int cmd_getopt(const char *name, int argc, char **argv, const char *optstring,
	       const struct option *longopts);
/* The kernel's largest possible pid (PID_MAX_LIMIT on 64-bit). */
#define CMD_PID_MAX 4194304
/* -p PID: 1 to CMD_PID_MAX, digits only (a number that does not fit is
 * refused, never wrapped). 0 or 2. */
int cmd_parse_pid(const char *name, const char *arg, pid_t *pid);
/* A decimal number for option opt in [lo, hi] (util/num.h: no hex, inf,
 * nan or trailing junk); else "bad OPT 'ARG': WANT" and 2. */
int cmd_parse_double(const char *name, const char *opt, const char *arg, double lo, double hi,
		     const char *want, double *out);

/* What `record` and `live` share after their getopt loop (cmd_trace.c);
 * each returns 0, or 2 after printing the usage line. */
struct pipeline_opts;
/* --python[=full|gil] (arg NULL for plain --python) into po. */
int cmd_parse_python(const char *name, const char *arg, struct pipeline_opts *po);
/* Either -p PID or -- CMD ARGS (argv from optind: po->argv), and not both
 * --python and --lock; --as-root and --keep-running only with -- CMD. */
int cmd_trace_target(const char *name, struct pipeline_opts *po, int argc, char **argv);
/* After pipeline_stop(), on stderr: a --lock filter that kept nothing
 * (pipeline_lock_warning), times the program gave that were clamped, and
 * for a program started with -- CMD how it ended when that was not exit
 * code 0 ("exit code 3", "killed by SIGKILL"), that gilscope ended it
 * because the recording ended first (SIGTERM, then SIGKILL), or that it
 * is still running (--keep-running, --as-root) and why. */
struct pipeline;
void cmd_trace_ending(const char *name, const struct pipeline *p, const struct pipeline_opts *po);
/* After pipeline_stop(), on stderr: what tracing cost the program (or why
 * that is not known), unless quiet, and above TRACE_COST_WARN_PCT a warning
 * naming the costliest probe, even when quiet. Nothing for --floor. */
struct pipeline_stats;
void cmd_trace_cost(const char *name, const struct pipeline_stats *st,
		    const struct pipeline_opts *po, bool quiet);

#endif
