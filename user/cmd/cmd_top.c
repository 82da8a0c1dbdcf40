/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * cmd_top.c - `gilscope top`: every Python process's GIL, like htop.
 *
 * options -> a terminal? -> the watch (record/gilwatch.h) -> privileges
 * dropped (cmd_watch.h) -> the view (tui/top.h) takes a snapshot every
 * interval until q or Ctrl-C.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cmd/cmd.h"
#include "cmd/cmd_watch.h"
#include "tui/crt.h"
#include "tui/top.h"

static const char usage[] =
"usage: gilscope top [-p PID[,PID...]] [--interval S] [--ascii] [--no-names]\n"
"                    [--attach-once]\n"
"\n"
"Watch the GIL of every Python process on this machine, like htop: one row\n"
"per process (Enter shows its threads) with the share of the interval the\n"
"GIL was held and waited for, hand-offs per second, the longest wait, and\n"
"the Python function that held it most.\n"
"Interpreters started later appear as they start; processes that cannot be\n"
"traced are listed with why (Debian's python3.X is stripped). The counters\n"
"live in the kernel: a traced program pays only for its probes. Keys: q quit,\n"
"? help, h w o l p n sort, / filter, Enter threads, +/- interval.\n"
"\n"
"  -p, --pid PID       only these processes (repeat, or a comma-separated list)\n"
"  --interval S        refresh every S seconds at first (default 1; keys +/-)\n"
"  --ascii             plain ASCII, no line drawing\n"
"  --no-names          do not read Python thread names (threads show as tid N)\n"
"                      nor functions (the column shows the state only)\n"
CMD_WATCH_HELP_TAIL;

static int snapshot(void *ctx, struct gilsnap *s)
{
	struct cmd_watch *cw = ctx;

	return gilwatch_snapshot(cw->w, s);
}

static void work(void *ctx)
{
	struct cmd_watch *cw = ctx;

	gilwatch_work(cw->w);
}

int cmd_top(int argc, char **argv)
{
	static const struct option longopts[] = {
		CMD_OPTS_WATCH,
		{ "interval", required_argument, NULL, 'i' },
		CMD_OPT_ASCII,
		CMD_OPT_HELP,
		{ 0 },
	};
	struct top_opts to = { 0 };
	struct cmd_watch cw = { 0 };
	struct top *t = NULL;
	char scope[64] = "every process", q[256];
	bool unicode, color;
	double interval = 1.0;
	int c, rc, ret = 1;
	size_t off;

	optind = 1;
	crt_probe(&unicode, &color);
	to.ascii = !unicode;
	while ((c = cmd_getopt("top", argc, argv, "+:p:h", longopts)) != -1) {
		switch (c) {
		case 'i':
			if ((rc = cmd_parse_double("top", "--interval", optarg, 0.1, 3600,
						   "seconds, from 0.1 to 3600", &interval)))
				return rc;
			break;
		case 'A': to.ascii = true; break;
		case 'h': fputs(usage, stdout); return 0;
		default:
			if ((rc = cmd_watch_opt("top", c, optarg, &cw)))
				return rc;
		}
	}
	if (optind < argc)
		return cmd_usage("top", "unexpected argument '%s' (top watches every process; "
				 "-p PID narrows it)", cmd_quote(q, sizeof(q), argv[optind]));
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "gilscope top: needs a terminal (for metrics elsewhere: "
			"gilscope exporter)\n");
		return 1;
	}
	if (cw.npids) {
		off = (size_t)snprintf(scope, sizeof(scope), "pid");
		for (size_t i = 0; i < cw.npids && off < sizeof(scope); i++)
			off += (size_t)snprintf(scope + off, sizeof(scope) - off, "%s%d",
						i ? "," : " ", (int)cw.pids[i]);
	}
	/* named through the names reader: without it, not worth the probes' reads */
	cw.functions = !cw.no_names;
	to.color = color;
	to.interval_ms = (uint32_t)(interval * 1000 + 0.5);
	to.scope = scope;
	if (cmd_watch_start("top", &cw))
		goto out;
	if (top_new(&t, &to)) {
		fprintf(stderr, "gilscope top: out of memory\n");
		goto out;
	}
	rc = top_run(t, snapshot, work, GILWATCH_WORK_MS, &cw);
	if (rc) {
		fprintf(stderr, "gilscope top: %s\n", strerror(-rc));
		goto out;
	}
	ret = 0;
out:
	top_free(t);
	cmd_watch_stop(&cw);
	return ret;
}
