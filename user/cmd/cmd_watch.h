/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * cmd_watch.h - what `gilscope top` and `gilscope exporter` share
 * (cmd_watch.c): their -p lists, and starting the always-on watch
 * (record/gilwatch.h) followed by the privilege drop (util/privs.h): as
 * `record` does, but keeping CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH to
 * read every process; interpreters started later are probed by the watch's
 * attacher, a child that keeps CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN only
 * to attach. With attach_once there is no attacher and every privilege
 * goes (interpreter files seen later are listed as not traceable).
 */
#ifndef CMD_WATCH_H
#define CMD_WATCH_H
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "record/gilwatch.h"

#define CMD_WATCH_PIDS 64	/* -p processes at most */

struct cmd_watch {
	pid_t pids[CMD_WATCH_PIDS];	/* -p, in the order given */
	size_t npids;
	bool no_names;			/* --no-names */
	bool attach_once;		/* --attach-once */
	bool functions;			/* the function holding the GIL (top) */
	struct gilwatch *w;		/* after cmd_watch_start() */
};

/* The options top and exporter share (cmd.h): -p PID[,PID...] (repeat to
 * add), --no-names, --attach-once. */
#define CMD_OPTS_WATCH							\
	CMD_OPT_PID,							\
	{ "no-names", no_argument, NULL, 'N' },				\
	{ "attach-once", no_argument, NULL, 'O' }
/* The end of both commands' --help: --attach-once, the last option, and
 * the privileges (the same watch, the same drop). */
#define CMD_WATCH_HELP_TAIL \
"  --attach-once       drop every privilege after attaching to the interpreters\n" \
"                      running now (programs started later on them are still\n" \
"                      seen; other interpreter files started later are not)\n" \
"Needs root (or CAP_BPF and CAP_PERFMON) to start. Then it keeps only\n" \
"CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH (to read every process), and a child,\n" \
"gilscope-attach, only what probing interpreters started later takes (CAP_BPF,\n" \
"CAP_PERFMON, CAP_SYS_ADMIN); with --attach-once nothing. Under sudo it becomes\n" \
"the invoking user.\n"
/* Option key c of CMD_OPTS_WATCH (with its argument) into cw. 0, or 2
 * after the usage line; any other c is 2: cmd_getopt() said what was
 * wrong. */
int cmd_watch_opt(const char *name, int c, const char *arg, struct cmd_watch *cw);
/* Opens the watch, checks that -p named a Python, drops privileges.
 * 0, or 1 after the error line. */
int cmd_watch_start(const char *name, struct cmd_watch *cw);
/* Closes the watch (its attacher ends and detaches the probes). Safe
 * after a failed or no cmd_watch_start(). */
void cmd_watch_stop(struct cmd_watch *cw);

#endif
