/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * cmd_live.c - `gilscope live`: trace a program and watch it in the
 * full-screen view while it runs.
 *
 * options -> the pipeline's check (privileges, which lock) -> a terminal?
 * -> the pipeline (record/pipeline.h) with three sinks: the recording file
 * (-o FILE, or a temp file so that `s` can save it later), the view's
 * timeline and the closing summary -> the viewer, polling the pipeline next
 * to the keyboard -> when the program exits the view stays, with the
 * summary -> q: final drain, footer, save.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cmd/cmd.h"
#include "model/model.h"
#include "model/report.h"
#include "record/pipeline.h"
#include "tui/app.h"
#include "tui/crt.h"
#include "tui/timeline.h"
#include "tui/timeline_sink.h"
#include "util/fmt.h"

static const char usage[] =
"usage: gilscope live [-a] [--python | --lock SPEC] [-o FILE] [--ascii]\n"
"                     (-p PID | -- CMD [ARGS...])\n"
"\n"
"Trace a program and watch it live: one strip per CPU, who holds the lock,\n"
"who waits, the threads and the events in plain words. When the program\n"
"exits the view stays with a summary; q quits. Press ? in the view for keys.\n"
"\n"
"  -o, --output FILE   keep the recording in FILE (else `s` saves it)\n"
"  -a, --all           also show other processes on the cores (grey)\n"
"  -p, --pid PID       trace a running process\n"
"  --python            trace CPython's GIL\n"
"  --lock SPEC         trace any lock: BINARY:ACQUIRE:RELEASE[:argN[=ADDR|=SYMBOL]]\n"
"  --ascii             plain ASCII, no colours (NO_COLOR=1 turns off colours only)\n"
"Needs root (or CAP_BPF and CAP_PERFMON).\n";

struct live {
	struct pipeline *p;
	struct app *app;		/* the view, once it exists */
	struct timeline *tl;		/* what the view shows */
	struct report *rp;		/* the closing summary */
	char note[256];			/* said on the key line once the view is up */
	char panel[2048];		/* the summary text */
	char cost[40];			/* the status line's tracing cost */
};

/* The summary shown when the program has exited. */
static void summarize(struct live *l, const struct pipeline_stats *rs)
{
	const struct report_summary *s = report_summary(l->rp);
	const struct model *m = report_model(l->rp);
	const struct model_thread *t;
	size_t n, used, k = 0;
	char d[32], p1[16], p2[16];

	used = snprintf(l->panel, sizeof(l->panel),
			"The program ended after %s. The lock was held %s of the time; "
			"parallelism %.2f (CPU time of its threads / wall time). %llu events, "
			"%llu lost.",
			fmt_duration(d, sizeof(d), s->duration_ns),
			fmt_percent(p1, sizeof(p1), s->hold_ns, s->duration_ns), s->parallelism,
			(unsigned long long)s->events, (unsigned long long)rs->rec.lost);
	t = model_threads(m, &n);
	for (size_t i = 0; i < n && used < sizeof(l->panel); i++) {
		if (!t[i].traced)
			continue;
		used += snprintf(l->panel + used, sizeof(l->panel) - used,
				 "%s%s held it %s, waited %s, took it %llu times.",
				 k++ ? " " : "\n", t[i].name[0] ? t[i].name : "a thread",
				 fmt_percent(p1, sizeof(p1), t[i].hold_ns, s->duration_ns),
				 fmt_percent(p2, sizeof(p2), t[i].wait_ns, s->duration_ns),
				 (unsigned long long)t[i].acquisitions);
	}
}

/* The closing summary is a sink: a report fed every event. */
static int report_begin(void *ctx, const struct trace_meta *meta)
{
	struct live *l = ctx;

	return report_new(&l->rp, meta);
}

static int report_events(void *ctx, const struct gs_event *ev, size_t n)
{
	struct live *l = ctx;

	return report_feed(l->rp, ev, n);
}

static int report_end(void *ctx, const struct pipeline_stats *st)
{
	struct live *l = ctx;

	report_finish(l->rp, NULL);
	summarize(l, st);
	return 0;
}

static const struct pipeline_sink report_sink = {
	.begin = report_begin,
	.events = report_events,
	.end = report_end,
};

/* A pending lock placed: on the key line (kept until the view is up). */
static void show_note(void *ctx, const char *line)
{
	struct live *l = ctx;

	if (l->app)
		app_message(l->app, line);
	else
		snprintf(l->note, sizeof(l->note), "%s", line);
}

static int save(void *ctx, char *msg, size_t len)
{
	struct live *l = ctx;

	return pipeline_save(l->p, msg, len);
}

/* The tracing cost on the status line, once a second of it says something
 * (the program's CPU time is sampled in clock ticks). */
static void show_cost(struct live *l, struct app *a)
{
	struct pipeline_stats st;
	struct tui_state *ts = app_state(a);

	pipeline_stats(l->p, &st);
	if (!st.has_cost || st.cost.span_ns < 1000000000ull)
		return;
	trace_cost_short(&st.cost, l->cost, sizeof(l->cost));
	ts->cost = l->cost;
	ts->cost_warn = trace_cost_pct(&st.cost) > TRACE_COST_WARN_PCT;
}

static int on_poll(void *ctx, struct app *a)
{
	struct live *l = ctx;
	int rc = pipeline_poll(l->p);

	if (!rc)
		show_cost(l, a);
	if (rc <= 0)
		return rc;
	/* the program is gone: last events, then the summary (report_end) */
	if ((rc = pipeline_stop(l->p)))
		return rc;
	app_panel(a, "the program has exited", l->panel);
	return 1;
}

int cmd_live(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "pid", required_argument, NULL, 'p' },
		{ "all", no_argument, NULL, 'a' },
		{ "python", no_argument, NULL, 'P' },
		{ "lock", required_argument, NULL, 'L' },
		{ "ascii", no_argument, NULL, 'A' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct live l = { 0 };
	struct pipeline_opts po = {
		.file = true,	/* -o FILE, or a temp file `s` copies */
		.child_stdout = -1,
		.caps_hint = ", or watch a recording: gilscope replay FILE",
		.note = show_note,
		.note_ctx = &l,
	};
	struct app_opts ao = { .mode = TUI_LIVE, .on_poll = on_poll, .save = save };
	const struct trace_meta *meta;
	struct pipeline_stats rs;
	bool ascii = false, unicode, color;
	int c, ret = 1, rc;

	/* options */
	optind = 1;
	while ((c = getopt_long(argc, argv, "+o:p:ah", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': po.output = optarg; break;
		case 'a': po.all_tasks = true; break;
		case 'P': po.python = true; break;
		case 'L': po.lock_spec = optarg; break;
		case 'A': ascii = true; break;
		case 'p':
			if (cmd_parse_pid("live", optarg, &po))
				return 2;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (cmd_trace_target("live", &po, argc, argv))
		return 2;

	/* the sinks: the file (the pipeline's), the view's timeline, the summary;
	 * the program's own output would scribble over the view */
	po.child_stdout = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if ((rc = pipeline_new(&l.p, &po)) || (rc = pipeline_add_sink(l.p, &timeline_sink, &l.tl)) ||
	    (rc = pipeline_add_sink(l.p, &report_sink, &l))) {
		fprintf(stderr, "gilscope live: %s\n", strerror(-rc));
		goto out;
	}
	/* privileges and which lock, before anything is created or started */
	if (pipeline_check(l.p)) {
		fprintf(stderr, "gilscope live: %s\n", pipeline_error(l.p));
		ret = pipeline_usage_error(l.p) ? 2 : 1;
		goto out;
	}
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "gilscope live: needs a terminal (to record into a file: gilscope record)\n");
		goto out;
	}
	if (pipeline_start(l.p)) {
		fprintf(stderr, "gilscope live: %s\n", pipeline_error(l.p));
		goto out;
	}
	meta = pipeline_meta(l.p);

	/* the view, until q */
	crt_probe(&unicode, &color);
	ao.tl = l.tl;
	ao.color = color && !ascii;	/* as in replay */
	ao.ascii = ascii || !unicode;
	ao.title = meta->command;
	ao.pid = meta->root_pid;
	ao.poll_fd = pipeline_fd(l.p);
	ao.ctx = &l;
	if ((rc = app_new(&l.app, &ao))) {
		fprintf(stderr, "gilscope live: %s\n", strerror(-rc));
		goto out;
	}
	if (l.note[0]) {	/* placed at exec, before the view */
		app_message(l.app, l.note);
		l.note[0] = '\0';
	}
	rc = app_run(l.app);

	/* the end: last events, footer, the saved copy made complete */
	c = pipeline_stop(l.p);
	if (rc || c)
		fprintf(stderr, "gilscope live: %s\n", strerror(-(rc ? rc : c)));
	rc = rc ? rc : c;
	if ((c = pipeline_finish(l.p)))
		fprintf(stderr, "gilscope live: %s\n", pipeline_error(l.p));
	rc = rc ? rc : c;
	pipeline_stats(l.p, &rs);
	fprintf(stderr, "gilscope live: %llu events, %llu lost%s%s\n",
		(unsigned long long)rs.rec.events, (unsigned long long)rs.rec.lost,
		!rs.file[0] ? "" : rs.file_is_temp ? "; saved to " : "; recorded in ", rs.file);
	if (rs.has_cost) {
		char line[256];

		trace_cost_line(&rs.cost, line, sizeof(line));
		fprintf(stderr, "gilscope live: %s\n", line);
		if (trace_cost_warning(&rs.cost, line, sizeof(line)))
			fprintf(stderr, "gilscope live: %s\n", line);
	}
	if (!rs.rec.exited && po.argv)
		fprintf(stderr, "gilscope live: %d still running (not stopped by gilscope)\n",
			(int)rs.rec.pid);
	ret = rc ? 1 : 0;
out:
	app_free(l.app);
	pipeline_free(l.p);	/* removes a recording that was not finished */
	if (po.child_stdout > 0)
		close(po.child_stdout);
	timeline_free(l.tl);
	report_free(l.rp);
	return ret;
}
