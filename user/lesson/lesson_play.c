/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * lesson_play.c - one lesson from start to closing table (lesson_play.h).
 * The narration state machine (lesson_run) is fed the same ordered events
 * whatever their source: a trace reader (replay) or, live, a recording
 * (record/pipeline.h) with the narration as its sink. Only the presentation differs: plain text here, the full-screen
 * view through the TUI driver.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lesson/lesson_play.h"
#include "util/path.h"
#include "lesson/lesson_tui.h"
#include "trace/trace_reader.h"

#define TABLE_W 100
#define TABLE_ROWS 40

struct play {
	const struct lesson *l;
	struct lesson_run *run;
	size_t printed;		/* steps printed so far */
	bool interactive;	/* plain pauses wait for Enter */
};

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void print_header(const struct lesson *l, const char *how)
{
	printf("Lesson %s: %s\n", lesson_name(l), lesson_title(l));
	if (lesson_notes(l)[0])
		printf("Teaching notes: %s\n", lesson_notes(l));
	printf("%s\n\n", how);
}

static void print_new_steps(struct play *p)
{
	int cur = lesson_run_current(p->run);
	char text[2048];
	while (cur >= 0 && p->printed <= (size_t)cur) {
		size_t i = p->printed++;
		lesson_run_text(p->run, i, text, sizeof(text));
		double at = (double)lesson_run_shown_at(p->run, i) / 1e9;
		char *line = text, *nl;
		printf("[%6.3f s] ", at);
		while ((nl = strchr(line, '\n'))) {
			printf("%.*s\n%11s", (int)(nl - line), line, "");
			line = nl + 1;
		}
		printf("%s\n", line);
	}
}

/* Print what came on screen; wait at pauses if someone is there to go on. */
static void settle(struct play *p)
{
	for (;;) {
		print_new_steps(p);
		if (!lesson_run_paused(p->run))
			break;
		if (p->interactive) {
			printf("%11s-- press Enter to go on --", "");
			fflush(stdout);
			int c;
			while ((c = getchar()) != EOF && c != '\n')
				;
			if (c == EOF)
				p->interactive = false;
		}
		lesson_run_continue(p->run);
	}
	fflush(stdout);
}

static void print_table(struct play *p)
{
	char buf[TABLE_ROWS * TABLE_W];
	size_t n = lesson_run_table(p->run, buf, TABLE_W, TABLE_ROWS);
	printf("\n");
	for (size_t i = 0; i < n; i++)
		printf("%s\n", buf + i * TABLE_W);
}

static int play_replay_plain(struct play *p, const char *path, const char *output)
{
	struct trace_reader *rd;
	int rc = trace_reader_open(&rd, path);
	if (rc) {
		fprintf(stderr, "gilscope lesson: %s: %s\n", path,
			rc == -EBADMSG ? "corrupt trace" : strerror(-rc));
		return 1;
	}
	const struct trace_meta *meta = trace_reader_meta(rd);
	struct lesson_run_opts ro = { .ncpus = meta->ncpus, .trace_flags = meta->flags };
	if ((rc = lesson_run_new(&p->run, p->l, &ro))) {
		fprintf(stderr, "gilscope lesson: %s\n", strerror(-rc));
		trace_reader_close(rd);
		return 1;
	}
	char how[PATH_MAX + sizeof(meta->command) + 32];
	snprintf(how, sizeof(how), "Replay of %s (recorded: %s)", path, meta->command);
	print_header(p->l, how);
	const struct gs_event *evs;
	size_t n;
	while (!stop_flag && (rc = trace_reader_next_batch(rd, &evs, &n)) == 1) {
		for (size_t i = 0; i < n; i++) {
			lesson_run_event(p->run, &evs[i]);
			settle(p);
		}
	}
	if (rc < 0) {
		fprintf(stderr, "gilscope lesson: %s: %s\n", path,
			rc == -EBADMSG ? trace_reader_error(rd) : strerror(-rc));
		trace_reader_close(rd);
		return 1;
	}
	struct trace_info info;
	trace_reader_info(rd, &info);
	trace_reader_close(rd);
	lesson_run_end(p->run, info.last_ns);
	settle(p);
	print_table(p);
	if (output) {
		char summary[1024];
		lesson_output_summary(summary, sizeof(summary), output);
		printf("gilrt said when this trace was recorded:\n%s\n", summary);
	}
	return 0;
}

int lesson_machine_ticks(uint64_t *busy, uint64_t *total)
{
	unsigned long long v[8] = { 0 };
	FILE *f = fopen("/proc/stat", "re");
	if (!f)
		return -errno;
	int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
		       &v[3], &v[4], &v[5], &v[6], &v[7]);
	fclose(f);
	if (n < 5)
		return -EIO;
	/* idle and iowait are the idle ticks; guest time is inside user */
	*total = v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
	*busy = *total - v[3] - v[4];
	return 0;
}

double lesson_machine_cores(uint64_t busy0, uint64_t total0, uint32_t ncpus)
{
	uint64_t busy, total;
	if (lesson_machine_ticks(&busy, &total) || total <= total0)
		return -1;
	return (double)ncpus * (double)(busy - busy0) / (double)(total - total0);
}

static int live_begin(void *ctx, const struct trace_meta *meta)
{
	struct lesson_live *lv = ctx;

	(void)meta;
	lesson_machine_ticks(&lv->busy0, &lv->total0);
	return 0;
}

static int live_events(void *ctx, const struct gs_event *ev, size_t n)
{
	struct lesson_live *lv = ctx;

	for (size_t i = 0; i < n; i++)
		lesson_run_event(lv->run, &ev[i]);
	return 0;
}

static int live_end(void *ctx, const struct pipeline_stats *st)
{
	struct lesson_live *lv = ctx;

	lesson_run_set_machine_busy(lv->run, lesson_machine_cores(lv->busy0, lv->total0,
								   lv->ncpus));
	/* stopped while the program still ran (q, Ctrl-C): a part of the run */
	if (st && !st->rec.exited)
		lesson_run_stop(lv->run, 0);
	else
		lesson_run_end(lv->run, 0);
	return 0;
}

const struct pipeline_sink lesson_live_sink = {
	.begin = live_begin,
	.events = live_events,
	.end = live_end,
};

/* Plain text: what each batch brought on screen, printed at once (live:
 * the program does not wait for the class, so neither do we). */
static int print_events(void *ctx, const struct gs_event *ev, size_t n)
{
	(void)ev;
	(void)n;
	settle(ctx);
	return 0;
}

static const struct pipeline_sink print_sink = { .events = print_events };

/* argv for `gilrt run ARGS`, gilrt taken from beside this binary; the
 * caller frees *argv_out (one block). gilrt must outlive it. */
static int gilrt_argv(const struct lesson *l, char ***argv_out, char *gilrt, size_t len)
{
	char exe[PATH_MAX];
	int w = path_self_dir(exe, sizeof(exe));
	if (w)
		return w;
	w = snprintf(gilrt, len, "%s/gilrt", exe);
	if (w < 0 || (size_t)w >= len)
		return -ENAMETOOLONG;
	if (access(gilrt, X_OK))
		return -ENOENT;
	char **argv;
	int rc = lesson_split_args(lesson_run_args(l), 2, &argv);
	if (rc < 0)
		return rc;
	argv[0] = gilrt;
	argv[1] = "run";
	*argv_out = argv;
	return 0;
}

static int play_live_plain(struct play *p, char **argv)
{
	/* the recorder follows what traced tasks hand their CPUs to */
	struct lesson_run_opts ro = { .ncpus = (uint32_t)sysconf(_SC_NPROCESSORS_ONLN),
				      .trace_flags = TRACE_META_HANDOVER };
	struct pipeline_opts po = { .argv = argv, .child_stdout = -1, .catch_signals = true };
	struct lesson_live live = { .ncpus = ro.ncpus };
	struct pipeline *pl = NULL;
	char how[PATH_MAX + 64];
	int rc, rc2;

	if ((rc = lesson_run_new(&p->run, p->l, &ro))) {
		fprintf(stderr, "gilscope lesson: %s\n", strerror(-rc));
		return 1;
	}
	live.run = p->run;
	/* the narration, then what it put on screen printed */
	if ((rc = pipeline_new(&pl, &po)) || (rc = pipeline_add_sink(pl, &lesson_live_sink, &live)) ||
	    (rc = pipeline_add_sink(pl, &print_sink, p))) {
		fprintf(stderr, "gilscope lesson: %s\n", strerror(-rc));
		pipeline_free(pl);
		return 1;
	}
	if (pipeline_start(pl)) {
		fprintf(stderr, "gilscope lesson: %s (without root, try: gilscope lesson %s --replay)\n",
			pipeline_error(pl), lesson_name(p->l));
		pipeline_free(pl);
		return 1;
	}
	snprintf(how, sizeof(how), "Live: gilrt run %s", lesson_run_args(p->l));
	print_header(p->l, how);
	rc = pipeline_run(pl);
	rc2 = pipeline_stop(pl);	/* the narration ends (lesson_live_sink) */
	pipeline_free(pl);
	if (rc < 0 || rc2 < 0) {
		fprintf(stderr, "gilscope lesson: recording failed: %s\n", strerror(-(rc < 0 ? rc : rc2)));
		return 1;
	}
	settle(p);
	print_table(p);
	return 0;
}

/* What gilrt printed when the shipped trace was recorded (TRACE.txt, next to
 * it), or NULL. The caller frees it. */
static char *read_output(const char *trace)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof(path), "%s.txt", trace) >= (int)sizeof(path))
		return NULL;
	FILE *f = fopen(path, "re");
	if (!f)
		return NULL;
	char *buf = calloc(1, 4096);
	if (buf && fread(buf, 1, 4095, f) == 0) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

int lesson_play(const struct lesson *l, const struct lesson_play_opts *o)
{
	struct play p = { .l = l, .interactive = isatty(STDIN_FILENO) && o->replay };
	char path[PATH_MAX];
	if (o->trace)
		snprintf(path, sizeof(path), "%s", o->trace);
	else
		snprintf(path, sizeof(path), "%s/traces/%s", o->data, lesson_trace(l));
	int rc = -ENOTTY;
	if (o->replay && !o->trace && access(path, R_OK)) {
		fprintf(stderr, "gilscope lesson: %s: %s (re-record the shipped traces: "
			"sudo make traces)\n", path, strerror(errno));
		return 1;
	}
	if (o->replay) {
		/* what gilrt printed, kept beside the trace (shipped, or saved
		 * with s in a live lesson) */
		char *output = read_output(path);
		if (!o->plain)
			rc = lesson_tui_replay(l, path, output, o->ascii, o->speed);
		if (rc == -ENOTTY) {
			struct sigaction sa = { .sa_handler = on_signal };
			sigaction(SIGINT, &sa, NULL);
			sigaction(SIGTERM, &sa, NULL);
			rc = play_replay_plain(&p, path, output) ? -ECANCELED : 0;
		}
		free(output);
	} else {
		char gilrt[PATH_MAX];
		char **argv = NULL;
		rc = gilrt_argv(l, &argv, gilrt, sizeof(gilrt));
		if (rc) {
			fprintf(stderr, "gilscope lesson: %s: %s\n", gilrt, strerror(-rc));
			return 1;
		}
		rc = o->plain ? -ENOTTY : lesson_tui_live(l, argv, o->ascii, o->speed);
		if (rc == -ENOTTY)	/* the pipeline ends it cleanly on signals */
			rc = play_live_plain(&p, argv) ? -ECANCELED : 0;
		free(argv);
	}
	lesson_run_free(p.run);
	return rc ? 1 : 0;
}
