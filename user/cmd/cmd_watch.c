/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * cmd_watch.c - what `top` and `exporter` share: their options, starting
 * the always-on watch (record/gilwatch.h) and the privilege drop after it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd/cmd.h"
#include "cmd/cmd_watch.h"
#include "util/privs.h"

/* -p ARG: one pid or a comma-separated list, added to cw. 0, or 2 after
 * the usage line. */
static int add_pids(const char *name, struct cmd_watch *cw, const char *arg)
{
	char *copy = strdup(arg), *save = NULL, *tok;
	int rc = 0;

	if (!copy)
		return cmd_usage(name, "out of memory");
	for (tok = strtok_r(copy, ",", &save); tok && !rc; tok = strtok_r(NULL, ",", &save)) {
		pid_t pid;

		if ((rc = cmd_parse_pid(name, tok, &pid)))
			break;
		if (cw->npids == CMD_WATCH_PIDS) {
			rc = cmd_usage(name, "at most %d processes with -p", CMD_WATCH_PIDS);
			break;
		}
		cw->pids[cw->npids++] = pid;
	}
	if (!rc && !cw->npids)
		rc = cmd_usage(name, "-p needs a process id");
	free(copy);
	return rc;
}

int cmd_watch_opt(const char *name, int c, const char *arg, struct cmd_watch *cw)
{
	switch (c) {
	case 'p': return add_pids(name, cw, arg);
	case 'N': cw->no_names = true; return 0;
	case 'O': cw->attach_once = true; return 0;
	default: return 2;
	}
}

int cmd_watch_start(const char *name, struct cmd_watch *cw)
{
	/* to read every process; attaching is the attacher's (record/gilstat.h) */
	static const int keep[] = { PRIVS_CAP_SYS_PTRACE, PRIVS_CAP_DAC_READ_SEARCH };
	struct gilwatch_opts o = {
		.pids = cw->npids ? cw->pids : NULL,
		.npids = cw->npids,
		.no_names = cw->no_names,
		.attach_once = cw->attach_once,
		.functions = cw->functions,
	};
	char err[512];
	int r;

	for (size_t i = 0; i < cw->npids; i++)
		if (kill(cw->pids[i], 0) && errno == ESRCH) {
			fprintf(stderr, "gilscope %s: no process %d\n", name, (int)cw->pids[i]);
			return 1;
		}
	r = gilwatch_open(&cw->w, &o, err, sizeof(err));
	if (r) {
		fprintf(stderr, "gilscope %s: %s\n", name, err);
		return 1;
	}
	if (cw->npids && !gilwatch_pythons(cw->w)) {
		fprintf(stderr, "gilscope %s: %s no CPython interpreter (a python* executable or a "
			"libpython*.so)\n", name, cw->npids > 1 ? "these processes run" : "this process runs");
		return 1;
	}
	r = cw->attach_once ? privs_drop(NULL, 0) : privs_drop(keep, sizeof(keep) / sizeof(keep[0]));
	if (r) {
		fprintf(stderr, "gilscope %s: cannot drop privileges: %s\n", name, strerror(-r));
		return 1;
	}
	return 0;
}

void cmd_watch_stop(struct cmd_watch *cw)
{
	gilwatch_close(cw->w);
	cw->w = NULL;
}
