/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * cmd_live.c - `gilscope live`: trace a program and watch it in the
 * full-screen view while it runs.
 *
 * options -> privileges -> adapter (which lock) -> the recording file (-o
 * FILE, or a temp file so that `s` can save it later) -> start the recorder
 * (probes attached before the target runs) -> the viewer, polling the
 * recorder next to the keyboard: every batch of events goes to the file,
 * the view's timeline and the closing summary -> when the program exits the
 * view stays, with the summary -> q: final drain, footer, save.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "record/adapter.h"
#include "tui/app.h"
#include "cmd/cmd.h"
#include "tui/crt.h"
#include "util/fmt.h"
#include "record/live_file.h"
#include "model/model.h"
#include "record/recorder.h"
#include "model/report.h"
#include "tui/timeline.h"

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
	struct recorder *rec;
	struct live_file *file;		/* the recording */
	struct timeline *tl;		/* what the view shows */
	struct report *rp;		/* the closing summary */
	char panel[2048];		/* the summary text */
};

static int sink(void *ctx, const struct gs_event *ev, size_t n)
{
	struct live *l = ctx;
	int err;

	if ((err = live_file_append(l->file, ev, n)))
		return err;
	if ((err = timeline_append(l->tl, ev, n)))
		return err;
	return report_feed(l->rp, ev, n);
}

static int flush(void *ctx)
{
	struct live *l = ctx;

	return live_file_flush(l->file);
}

static int save(void *ctx, char *msg, size_t len)
{
	struct live *l = ctx;

	return live_file_save(l->file, msg, len);
}

/* The summary shown when the program has exited. */
static void summarize(struct live *l, const struct recorder_stats *rs)
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
			(unsigned long long)s->events, (unsigned long long)rs->lost);
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

static int on_poll(void *ctx, struct app *a)
{
	struct live *l = ctx;
	struct recorder_stats rs;
	int rc = recorder_poll(l->rec);

	if (rc < 0)
		return rc;
	if (rc == 0)
		return 0;
	/* the program is gone: last events, then the summary */
	if ((rc = recorder_stop(l->rec)))
		return rc;
	recorder_stats(l->rec, &rs);
	report_finish(l->rp, NULL);
	summarize(l, &rs);
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
	struct recorder_opts ro = { .sink = sink, .flush = flush, .drop_privileges = true };
	struct app_opts ao = { .mode = TUI_LIVE, .on_poll = on_poll, .save = save };
	struct live l = { 0 };
	struct adapter_target *adapter = NULL;
	struct trace_meta meta;
	struct recorder_stats rs;
	struct app *a = NULL;
	const char *out = NULL, *lock_spec = NULL;
	bool python = false, ascii = false, unicode, color;
	char err[512], missing[64];
	const char *where;
	int c, ret = 1, rc;
	pid_t pid = 0;

	/* options */
	optind = 1;
	while ((c = getopt_long(argc, argv, "+o:p:ah", longopts, NULL)) != -1) {
		char *end;

		switch (c) {
		case 'o': out = optarg; break;
		case 'a': ro.all_tasks = true; break;
		case 'P': python = true; break;
		case 'L': lock_spec = optarg; break;
		case 'A': ascii = true; break;
		case 'p':
			pid = strtol(optarg, &end, 10);
			if (*end || pid <= 0) {
				fprintf(stderr, "gilscope live: bad pid '%s'\n", optarg);
				return 2;
			}
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if ((pid != 0) == (optind < argc)) {
		fprintf(stderr, "gilscope live: give either -p PID or -- CMD [ARGS...] (see --help)\n");
		return 2;
	}
	if (python && lock_spec) {
		fprintf(stderr, "gilscope live: --python and --lock exclude each other\n");
		return 2;
	}
	ro.pid = pid;
	ro.argv = optind < argc ? argv + optind : NULL;

	/* privileges: say so before starting anything */
	if (loader_missing_caps(missing, sizeof(missing))) {
		fprintf(stderr, "gilscope live: tracing needs root, or CAP_BPF and CAP_PERFMON "
			"(missing: %s); run it with sudo, or watch a recording: gilscope replay FILE\n",
			missing);
		return 1;
	}

	/* which lock: gilrt's probes unless --python / --lock */
	ret = adapter_configure(&ro, python, lock_spec, &adapter, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "gilscope live: %s\n", err);
		goto out;
	}
	ret = 1;

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "gilscope live: needs a terminal (to record into a file: gilscope record)\n");
		goto out;
	}

	/* the recording: -o FILE, or a temp file `s` can copy */
	if (live_file_create(&l.file, out, err, sizeof(err))) {
		fprintf(stderr, "gilscope live: %s\n", err);
		goto out;
	}
	/* the program's own output would scribble over the view */
	ro.child_stdout = open("/dev/null", O_WRONLY | O_CLOEXEC);

	ro.ctx = &l;
	rc = recorder_start(&l.rec, &ro, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "gilscope live: %s\n", err);
		goto out_unlink;
	}
	recorder_meta(l.rec, &meta);
	if ((rc = live_file_begin(l.file, &meta))) {
		fprintf(stderr, "gilscope live: cannot write the recording: %s\n", strerror(-rc));
		goto out_unlink;
	}
	if ((rc = timeline_new_live(&l.tl, &meta, NULL)) || (rc = report_new(&l.rp, &meta))) {
		fprintf(stderr, "gilscope live: %s\n", strerror(-rc));
		goto out_unlink;
	}

	/* the view, until q */
	crt_probe(&unicode, &color);
	ao.tl = l.tl;
	ao.color = color && !ascii;	/* as in replay */
	ao.ascii = ascii || !unicode;
	ao.title = meta.command;
	ao.pid = meta.root_pid;
	ao.poll_fd = recorder_fd(l.rec);
	ao.ctx = &l;
	if ((rc = app_new(&a, &ao))) {
		fprintf(stderr, "gilscope live: %s\n", strerror(-rc));
		goto out_unlink;
	}
	rc = app_run(a);

	/* the end: last events, footer, the saved copy made complete */
	c = recorder_stop(l.rec);
	if (rc || c)
		fprintf(stderr, "gilscope live: %s\n", strerror(-(rc ? rc : c)));
	rc = rc ? rc : c;
	if ((c = live_file_finish(l.file, err, sizeof(err))))
		fprintf(stderr, "gilscope live: %s\n", err);
	rc = rc ? rc : c;
	recorder_stats(l.rec, &rs);
	where = live_file_where(l.file);
	fprintf(stderr, "gilscope live: %llu events, %llu lost%s%s\n",
		(unsigned long long)rs.events, (unsigned long long)rs.lost,
		!where[0] ? "" : live_file_is_temp(l.file) ? "; saved to " : "; recorded in ",
		where);
	if (!rs.exited && ro.argv)
		fprintf(stderr, "gilscope live: %d still running (not stopped by gilscope)\n",
			(int)rs.pid);
	ret = rc ? 1 : 0;
	goto out;
out_unlink:
	live_file_abandon(l.file);
out:
	if (ro.child_stdout > 0)
		close(ro.child_stdout);
	app_free(a);
	live_file_free(l.file);
	recorder_destroy(l.rec);
	timeline_free(l.tl);
	report_free(l.rp);
	free(adapter);
	return ret;
}
