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

/* -p ARG: one pid or a comma-separated list, added to cw. 0, or 2 after
 * the usage line. */
int cmd_watch_add_pids(const char *name, struct cmd_watch *cw, const char *arg);
/* Opens the watch, checks that -p named a Python, drops privileges.
 * 0, or 1 after the error line. */
int cmd_watch_start(const char *name, struct cmd_watch *cw);
/* Closes the watch (its attacher ends and detaches the probes). Safe
 * after a failed or no cmd_watch_start(). */
void cmd_watch_stop(struct cmd_watch *cw);

#endif
