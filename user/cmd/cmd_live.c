/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * cmd_live.c - `gilscope live`: trace a program and watch it in the
 * full-screen view while it runs.
 *
 * options -> the pipeline's check (privileges, which lock) -> a terminal?
 * -> the program's output into a file (it would scribble over the view)
 * -> the pipeline (record/pipeline.h) with three sinks: the recording file
 * (-o FILE, or a temp file so that `s` can save it later), the view's
 * timeline and the closing summary -> the viewer, polling the pipeline next
 * to the keyboard -> when the program exits the view stays, with the
 * summary, how it ended and where its output is -> q: final drain, footer,
 * save, the same on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "cmd/cmd.h"
#include "model/model.h"
#include "model/report.h"
#include "record/pipeline.h"
#include "tui/app.h"
#include "tui/crt.h"
#include "tui/timeline.h"
#include "tui/timeline_sink.h"
#include "model/describe.h"
#include "record/pyrec.h"
#include "util/fmt.h"
#include "util/outfile.h"

static const char usage[] =
"usage: gilscope live [-a] [--python[=gil] | --lock SPEC] [-o FILE [--force]] [--ascii]\n"
"                     [--as-root] [--keep-running] (-p PID | -- CMD [ARGS...])\n"
"\n"
"Trace a program and watch it live: one strip per CPU, who holds the lock,\n"
"who waits, the threads and the events in plain words. When the program\n"
"exits the view stays with a summary and how it ended; q quits. Press ? in\n"
"the view for keys; the status line says what tracing costs the program.\n"
"What a program started with -- CMD prints (stdout and stderr) goes to a\n"
"file in $TMPDIR (or /tmp), named in the view and at exit, and removed if it\n"
"stays empty. q before such a program has exited ends it (SIGTERM, SIGKILL\n"
"2 s later); a -p process is never signalled.\n"
"\n"
"  -o, --output FILE   keep the recording in FILE (else `s` saves it)\n"
"  --force             overwrite FILE if it exists\n"
"  -a, --all           also show other processes on the cores (grey)\n"
"  -p, --pid PID       trace a running process (under sudo: one you could ptrace)\n"
"  --as-root           under sudo, run CMD as root (default: as you, with your\n"
"                      groups, HOME, USER and LOGNAME); gilscope, no longer root\n"
"                      once attached, then cannot end it\n"
"  --keep-running      leave CMD running when you quit before it ends\n"
"  --python            trace CPython's GIL, with Python thread names and functions\n"
"  --python=gil        the GIL only (no names or functions: nothing read from it)\n"
"                      (Python 2.7: its GIL, kernel thread names, no functions)\n"
"  --lock SPEC         trace any lock: BINARY:ACQUIRE:RELEASE[:argN[=ADDR|=SYMBOL]]\n"
"  --ascii             plain ASCII, no colours (NO_COLOR=1 turns off colours only)\n"
"Needs root (or CAP_BPF and CAP_PERFMON). Under sudo CMD runs as you.\n";

#define OUTPUT_TAIL 1		/* lines of the program's output in the summary (it must fit 80x24) */
#define OUTPUT_LINE_MAX 100	/* bytes of each */

struct live {
	struct pipeline *p;
	struct app *app;		/* the view, once it exists */
	struct timeline *tl;		/* what the view shows */
	struct report *rp;		/* the closing summary */
	struct outfile out;		/* the program's stdout and stderr (-- CMD) */
	bool has_out;
	char note[256];			/* said on the key line once the view is up */
	char panel[4096];		/* the summary text */
	char cost[40];			/* the status line's tracing cost */
};

/* Bytes the program printed so far (0 without an output file). Not by
 * lseek: the program writes through the same open file, at its offset. */
static uint64_t output_size(const struct live *l)
{
	struct stat st;

	return l->has_out && !fstat(l->out.fd, &st) && st.st_size > 0 ? (uint64_t)st.st_size : 0;
}

/* Its last OUTPUT_TAIL lines, printable, each indented on its own line. */
static size_t output_tail(const struct live *l, char *buf, size_t len)
{
	char raw[OUTPUT_TAIL * (OUTPUT_LINE_MAX + 1) * 4], line[OUTPUT_LINE_MAX * 3 + 1];
	off_t size = (off_t)output_size(l);
	off_t from = size > (off_t)sizeof(raw) - 1 ? size - (off_t)sizeof(raw) + 1 : 0;
	ssize_t n = size ? pread(l->out.fd, raw, sizeof(raw) - 1, from) : 0;
	const char *start[OUTPUT_TAIL + 1];
	size_t used = 0;
	int k = 0;

	if (n <= 0)
		return 0;
	while (n > 0 && raw[n - 1] == '\n')
		n--;
	raw[n] = '\0';
	/* the starts of the last lines, newest first */
	for (ssize_t i = n; i >= 0 && k < OUTPUT_TAIL; i--)
		if (i == 0 || raw[i - 1] == '\n')
			start[k++] = raw + i;
	for (int i = k - 1; i >= 0 && used < len; i--) {
		size_t ll = strcspn(start[i], "\n");

		fmt_printable(line, sizeof(line), start[i], ll < OUTPUT_LINE_MAX ? ll : OUTPUT_LINE_MAX);
		used += snprintf(buf + used, len - used, "\n  %s%s", line,
				 ll > OUTPUT_LINE_MAX ? "..." : "");
	}
	return used < len ? used : len - 1;
}

/* For the panel, appended to buf at used: the lock filter's warning and
 * where the program's output is, with its last lines. */
static size_t ending(const struct live *l, char *buf, size_t len, size_t used)
{
	char lock[512];
	uint64_t printed = output_size(l);

	if (used < len && pipeline_lock_warning(l->p, lock, sizeof(lock)))
		used += snprintf(buf + used, len - used, "\nWarning: %s.", lock);
	if (used < len && l->has_out && printed) {
		used += snprintf(buf + used, len - used, "\nIts output (%llu bytes) is in %s; "
				 "the last line:", (unsigned long long)printed, l->out.path);
		if (used < len)
			used += output_tail(l, buf + used, len - used);
	} else if (used < len && l->has_out) {
		used += snprintf(buf + used, len - used, "\nIt printed nothing.");
	}
	return used < len ? used : len - 1;
}

/* The summary shown when the program has exited: the whole run's totals
 * in a few short lines (the thread table above, showing the whole run by
 * then, is the per-thread part: it scrolls, however many threads), how a
 * program we started ended, and where its output is. */
static void summarize(struct live *l, const struct pipeline_stats *rs)
{
	const struct report_summary *s = report_summary(l->rp);
	char d[32], p1[16], ev[32], lost[32], how[64] = "", status[48];
	size_t used;

	/* the exit status is known for a program we started (-- CMD) */
	if (rs->rec.exited && l->has_out)
		snprintf(how, sizeof(how), " (%s)",
			 fmt_exit_status(status, sizeof(status), rs->rec.exit_status));
	used = snprintf(l->panel, sizeof(l->panel),
			"The program ended%s: ran %s, lock held %s, parallelism %.2f, "
			"%s events (%s lost)\n"
			"Tab, j/k, PgUp/PgDn: the tables (the whole run); o sorts, / finds a "
			"thread.", how,
			fmt_duration(d, sizeof(d), s->duration_ns),
			fmt_percent(p1, sizeof(p1), s->hold_ns, s->duration_ns), s->parallelism,
			fmt_count(ev, sizeof(ev), s->events), fmt_count(lost, sizeof(lost), rs->rec.lost));
	if (used < sizeof(l->panel) && pipeline_python(l->p)) {
		char py[768];

		used += snprintf(l->panel + used, sizeof(l->panel) - used, "\n%s.",
				 pyrec_summary(pipeline_python(l->p), py, sizeof(py)));
	}
	ending(l, l->panel, sizeof(l->panel), used < sizeof(l->panel) ? used : sizeof(l->panel) - 1);
}

/* The program's stdout and stderr go to a new file in $TMPDIR (made as the
 * user under sudo, mode 0600), since the view owns the terminal. */
static int open_output(struct live *l, char *err, size_t errlen)
{
	const char *dir = getenv("TMPDIR");
	char tmpl[PATH_MAX];

	snprintf(tmpl, sizeof(tmpl), "%s/gilscope-output-XXXXXX", dir && dir[0] ? dir : "/tmp");
	if (outfile_create(&l->out, tmpl, OUTFILE_TEMP, err, errlen))
		return -1;
	l->has_out = true;
	return 0;
}

/* After the view, on stderr: where the program's output is (an empty file
 * of a program that has ended is removed). */
static void say_output(struct live *l, const struct pipeline_stats *rs)
{
	uint64_t printed = output_size(l);

	if (!l->has_out)
		return;
	if (!rs->rec.exited) {	/* it goes on writing there */
		fprintf(stderr, "gilscope live: the program's output (%llu bytes so far) goes to %s\n",
			(unsigned long long)printed, l->out.path);
		outfile_close(&l->out);
	} else if (printed) {
		fprintf(stderr, "gilscope live: the program's output (%llu bytes) is in %s\n",
			(unsigned long long)printed, l->out.path);
		outfile_close(&l->out);
	} else {
		outfile_discard(&l->out);
	}
	l->has_out = false;
}

/* The closing summary is a sink: a report fed every event. */
static int report_begin(void *ctx, const struct trace_meta *meta)
{
	struct live *l = ctx;
	int rc = report_new(&l->rp, meta);

	if (!rc && pipeline_names(l->p))	/* Python thread names */
		report_set_names(l->rp, pipeline_names(l->p));
	return rc;
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
	/* watching it live: now the whole run (looking elsewhere: stay there) */
	if (app_state(a)->follow) {
		app_source_ended(a);
		app_zoom_fit(a);
	}
	return 1;
}

int cmd_live(int argc, char **argv)
{
	static const struct option longopts[] = {
		CMD_OPTS_TRACE,
		CMD_OPT_ASCII,
		CMD_OPT_HELP,
		{ 0 },
	};
	struct live l = { .out = { .fd = -1 } };
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
	char err[PATH_MAX + 64];
	int c, ret = 1, rc;

	/* options */
	optind = 1;
	while ((c = cmd_getopt("live", argc, argv, "+:o:p:ah", longopts)) != -1) {
		switch (c) {
		case 'A': ascii = true; break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			if (cmd_trace_opt("live", c, optarg, &po))
				return 2;
		}
	}
	if (po.force && !po.output)
		return cmd_usage("live", "--force goes with -o FILE");
	if (cmd_trace_target("live", &po, argc, argv))
		return 2;

	/* the program's own output would scribble over the view (the file is
	 * made now: the pipeline takes its opts as they are) */
	if (po.argv) {
		if (open_output(&l, err, sizeof(err))) {
			fprintf(stderr, "gilscope live: the program's output: %s\n", err);
			return 1;
		}
		po.child_stdout = l.out.fd;
	}
	/* the sinks: the file (the pipeline's), the view's timeline, the summary */
	if ((rc = pipeline_new(&l.p, &po)) || (rc = pipeline_add_sink(l.p, &timeline_sink, &l.tl)) ||
	    (rc = pipeline_add_sink(l.p, &report_sink, &l))) {
		fprintf(stderr, "gilscope live: %s\n", strerror(-rc));
		goto out;
	}
	/* privileges and which lock, before anything is created or started */
	if (pipeline_check(l.p)) {
		if (pipeline_usage_error(l.p))
			ret = cmd_usage("live", "%s", pipeline_error(l.p));
		else
			fprintf(stderr, "gilscope live: %s\n", pipeline_error(l.p));
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
	if (pipeline_names(l.p))	/* Python thread names and functions, as learnt */
		timeline_set_names(l.tl, pipeline_names(l.p));

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
	} else if (pipeline_python(l.p) && pyrec_missing(pipeline_python(l.p))[0]) {
		/* said once: why Python names or functions will be missing */
		snprintf(err, sizeof(err), "no Python names/functions: %s",
			 pyrec_missing(pipeline_python(l.p)));
		app_message(l.app, err);
	} else if (l.has_out) {
		snprintf(err, sizeof(err), "the program's output goes to %s", l.out.path);
		app_message(l.app, err);
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
	cmd_trace_cost("live", &rs, &po, false);
	cmd_trace_ending("live", l.p, &po);
	say_output(&l, &rs);
	ret = rc ? 1 : 0;
out:
	app_free(l.app);
	pipeline_free(l.p);	/* removes a recording that was not finished */
	if (l.has_out)		/* an error before the program ran: nothing to keep */
		outfile_discard(&l.out);
	timeline_free(l.tl);
	report_free(l.rp);
	return ret;
}
