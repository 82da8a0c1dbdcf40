/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * lesson_tui.c - a lesson in the full-screen viewer (tui/app.h): the usual
 * views, plus the narration in the app's text panel.
 *
 * The narration follows what is on screen, not what was decoded: in replay
 * the lesson has its own trace reader and is fed events up to the view's
 * playback time, on a timer (a timerfd given to the app as its poll fd);
 * live, a recording (record/pipeline.h) feeds its sinks: a temp file that
 * `s` saves, the timeline and the lesson (lesson_live_sink).
 * A step with `pause` stops the view (replay: time stands still; live: the
 * view stops following while the program and the recording go on) until
 * the teacher presses space, which the lesson takes before the app does.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/timerfd.h>
#include "tui/app.h"
#include "tui/crt.h"
#include "lesson/lesson_play.h"
#include "lesson/lesson_tui.h"
#include "record/pipeline.h"
#include "tui/timeline.h"
#include "tui/timeline_sink.h"
#include "trace/trace_reader.h"

#define TICK_NS 40000000		/* narration timer in replay: one frame */
#define REPLAY_SPEED 0.2		/* a 2 s trace takes 10 s: time to look */
#define PANEL_BYTES 8192
#define TABLE_W 96
#define TABLE_ROWS 24

struct ltui {
	const struct lesson *l;
	struct lesson_run *run;
	struct app *app;
	struct timeline *tl;
	/* replay: the lesson's own reader, fed up to the playback time */
	struct trace_reader *rd;
	const struct gs_event *batch;
	size_t nbatch, ibatch;
	bool rd_eof;
	uint64_t last_ns;
	int tfd;
	/* live */
	struct pipeline *pl;		/* the recording: a temp file (for `s`), the
					 * timeline, the narration (live) */
	struct lesson_live live;
	int out_fd;			/* gilrt's stdout/stderr (memfd) */
	char output[1024];		/* its last lines, for the table */
	char panel[PANEL_BYTES];
	char title[256];
};

static void read_output(struct ltui *t, int fd)
{
	char buf[8192];
	off_t size = lseek(fd, 0, SEEK_END);
	off_t from = size > (off_t)sizeof(buf) - 1 ? size - (off_t)sizeof(buf) + 1 : 0;
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, from);
	if (n <= 0)
		return;
	buf[n] = '\0';
	lesson_output_summary(t->output, sizeof(t->output), buf);
}

/* The closing table as panel text, with what gilrt itself printed. */
static void table_text(struct ltui *t, char *out, size_t len)
{
	char rows[TABLE_ROWS * TABLE_W];
	size_t n = lesson_run_table(t->run, rows, TABLE_W, TABLE_ROWS), used = 0;
	out[0] = '\0';
	/* row 0 is the heading: the panel title says it */
	for (size_t i = 1; i < n && used + 1 < len; i++) {
		int w = snprintf(out + used, len - used, "%s%s", i > 1 ? "\n" : "",
				 rows + i * TABLE_W);
		if (w < 0)
			break;
		used += (size_t)w < len - used ? (size_t)w : len - used - 1;
	}
	if (t->output[0] && used + 1 < len)
		snprintf(out + used, len - used, "\ngilrt said:\n%s", t->output);
}

/* Before the first step: what the lesson is about, and where in the notes. */
static void about_text(struct ltui *t)
{
	const char *notes = lesson_notes(t->l);
	snprintf(t->panel, sizeof(t->panel), "%s%s%s", lesson_about(t->l),
		 notes[0] ? "\nTeaching notes: " : "", notes);
}

/* Put the lesson's state into the panel and, at a pause, stop the view. */
static void show(struct ltui *t)
{
	if (!lesson_run_changed(t->run))
		return;
	struct tui_state *st = app_state(t->app);
	int cur = lesson_run_current(t->run);
	size_t nsteps = lesson_nsteps(t->l);
	if (lesson_run_done(t->run)) {
		size_t n = 0;
		snprintf(t->title, sizeof(t->title), "What this run measured (q: quit)");
		/* a last step that did not wait for space would never be read */
		if (cur >= 0 && !lesson_step(t->l, (size_t)cur)->pause) {
			n = lesson_run_text(t->run, (size_t)cur, t->panel, sizeof(t->panel) - 1);
			t->panel[n++] = '\n';
		}
		table_text(t, t->panel + n, sizeof(t->panel) - n);
	} else if (cur < 0) {
		snprintf(t->title, sizeof(t->title), "Lesson %s: %s", lesson_name(t->l),
			 lesson_title(t->l));
		about_text(t);
	} else {
		bool paused = lesson_run_paused(t->run);
		snprintf(t->title, sizeof(t->title), "Lesson %s: %s  (step %d of %zu)",
			 lesson_name(t->l), lesson_title(t->l), cur + 1, nsteps);
		size_t n = lesson_run_text(t->run, (size_t)cur, t->panel, sizeof(t->panel));
		if (paused)
			snprintf(t->panel + n, sizeof(t->panel) - n, "\n%s",
				 st->ascii ? ">> space: go on" : "\u25b6 space: go on");
	}
	app_panel(t->app, t->title, t->panel);
	if (lesson_run_paused(t->run)) {
		st->paused = true;
		st->follow = false;
	}
}

/* Replay: feed the lesson every event up to the playback time. */
static void feed_replay(struct ltui *t)
{
	uint64_t now = app_state(t->app)->now_ns;
	while (!t->rd_eof) {
		if (t->ibatch == t->nbatch) {
			int rc = trace_reader_next_batch(t->rd, &t->batch, &t->nbatch);
			t->ibatch = 0;
			if (rc != 1) {
				t->rd_eof = true;
				t->nbatch = 0;
				break;
			}
		}
		const struct gs_event *ev = &t->batch[t->ibatch];
		if (ev->ts_ns >= now)
			break;
		lesson_run_event(t->run, ev);
		t->ibatch++;
	}
	lesson_run_time(t->run, now);
	if (t->rd_eof && now > t->last_ns && !lesson_run_ended(t->run))
		lesson_run_end(t->run, t->last_ns);
}

static int on_poll_replay(void *ctx, struct app *a)
{
	struct ltui *t = ctx;
	uint64_t ticks;
	(void)a;
	if (read(t->tfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		return -errno;
	feed_replay(t);
	show(t);
	return 0;
}

static int live_save(void *ctx, char *msg, size_t len)
{
	struct ltui *t = ctx;
	return pipeline_save(t->pl, msg, len);
}

static int on_poll_live(void *ctx, struct app *a)
{
	struct ltui *t = ctx;
	(void)a;
	int rc = pipeline_poll(t->pl);
	if (rc < 0)
		return rc;
	if (rc == 1) {
		/* the last events, then the narration ends (lesson_live_sink) */
		rc = pipeline_stop(t->pl);
		if (rc < 0)
			return rc;
		read_output(t, t->out_fd);
		show(t);
		return 1;
	}
	show(t);
	return 0;
}

static int on_key(void *ctx, struct app *a, int key)
{
	struct ltui *t = ctx;
	if (key != ' ' || !lesson_run_paused(t->run))
		return 0;
	struct tui_state *st = app_state(a);
	lesson_run_continue(t->run);
	st->paused = false;
	if (st->mode == TUI_LIVE)
		st->follow = !timeline_ended(t->tl);
	show(t);
	return 1;
}

static int run_app(struct ltui *t, struct app_opts *ao, bool ascii)
{
	bool unicode, color;
	crt_probe(&unicode, &color);
	ao->ascii = ascii || !unicode;
	ao->color = color && !ascii;
	ao->on_key = on_key;
	ao->ctx = t;
	ao->tl = t->tl;
	int rc = app_new(&t->app, ao);
	if (rc)
		return rc;
	/* the panel before any step: the lesson's title and what it is about */
	snprintf(t->title, sizeof(t->title), "Lesson %s: %s", lesson_name(t->l),
		 lesson_title(t->l));
	about_text(t);
	app_panel(t->app, t->title, t->panel);
	return app_run(t->app);
}

static void print_table(struct ltui *t, const char *how)
{
	char rows[TABLE_ROWS * TABLE_W];
	size_t n = lesson_run_table(t->run, rows, TABLE_W, TABLE_ROWS);
	printf("Lesson %s: %s\n%s\n", lesson_name(t->l), lesson_title(t->l), how);
	for (size_t i = 0; i < n; i++)
		printf("%s\n", rows + i * TABLE_W);
	if (t->output[0])
		printf("gilrt said:\n%s\n", t->output);
}

int lesson_tui_replay(const struct lesson *l, const char *path, const char *output,
		      bool ascii, double speed)
{
	struct ltui t = { .l = l, .tfd = -1, .out_fd = -1 };
	struct trace_reader *view_rd = NULL;
	int rc;
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
		return -ENOTTY;
	if (output)
		lesson_output_summary(t.output, sizeof(t.output), output);
	if ((rc = trace_reader_open(&t.rd, path)) || (rc = trace_reader_open(&view_rd, path))) {
		fprintf(stderr, "gilscope lesson: %s: %s\n", path,
			rc == -EBADMSG ? "corrupt trace" : strerror(-rc));
		rc = -ECANCELED;	/* said already */
		goto out;
	}
	const struct trace_meta *meta = trace_reader_meta(t.rd);
	struct trace_info info;
	trace_reader_info(t.rd, &info);
	t.last_ns = info.last_ns;
	struct lesson_run_opts ro = { .ncpus = meta->ncpus, .names = trace_reader_names(t.rd) };
	if ((rc = lesson_run_new(&t.run, l, &ro)))
		goto fail;
	if ((rc = timeline_open_reader(&t.tl, view_rd, NULL)))
		goto fail;
	view_rd = NULL;	/* the timeline owns it now */
	t.tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	struct itimerspec its = { .it_interval = { 0, TICK_NS }, .it_value = { 0, TICK_NS } };
	if (t.tfd < 0 || timerfd_settime(t.tfd, 0, &its, NULL)) {
		rc = -errno;
		goto fail;
	}
	struct app_opts ao = {
		.mode = TUI_REPLAY,
		.speed = speed > 0 ? speed : REPLAY_SPEED,
		.title = meta->command,
		.pid = meta->root_pid,
		.poll_fd = t.tfd,
		.on_poll = on_poll_replay,
	};
	rc = run_app(&t, &ao, ascii);
	if (rc == 0) {
		char how[PATH_MAX + 16];
		snprintf(how, sizeof(how), "Replay of %s", path);
		print_table(&t, how);
	}
fail:
	if (rc && rc != -ENOTTY) {
		fprintf(stderr, "gilscope lesson: %s\n", strerror(-rc));
		rc = -ECANCELED;
	}
out:
	app_free(t.app);
	timeline_free(t.tl);
	trace_reader_close(view_rd);
	trace_reader_close(t.rd);
	lesson_run_free(t.run);
	if (t.tfd >= 0)
		close(t.tfd);
	return rc;
}

int lesson_tui_live(const struct lesson *l, char *const *argv, bool ascii)
{
	struct ltui t = { .l = l, .tfd = -1 };
	int rc;
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
		return -ENOTTY;
	t.out_fd = memfd_create("gilrt-output", MFD_CLOEXEC);
	if (t.out_fd < 0)
		return -errno;
	struct lesson_run_opts ro = { .ncpus = (uint32_t)sysconf(_SC_NPROCESSORS_ONLN) };
	if ((rc = lesson_run_new(&t.run, l, &ro)))
		goto out;
	t.live = (struct lesson_live){ .run = t.run, .ncpus = ro.ncpus };
	/* a temp recording that `s` saves, the view's timeline, the narration */
	struct pipeline_opts po = { .argv = argv, .child_stdout = t.out_fd, .file = true };
	if ((rc = pipeline_new(&t.pl, &po)) || (rc = pipeline_add_sink(t.pl, &timeline_sink, &t.tl)) ||
	    (rc = pipeline_add_sink(t.pl, &lesson_live_sink, &t.live)))
		goto out;
	if (pipeline_start(t.pl)) {
		fprintf(stderr, "gilscope lesson: %s (without root, try: gilscope lesson %s --replay)\n",
			pipeline_error(t.pl), lesson_name(l));
		rc = -ECANCELED;	/* said already */
		goto out;
	}
	const struct trace_meta *meta = pipeline_meta(t.pl);
	struct app_opts ao = {
		.mode = TUI_LIVE,
		.title = meta->command,
		.pid = meta->root_pid,
		.poll_fd = pipeline_fd(t.pl),
		.on_poll = on_poll_live,
		.save = live_save,
	};
	rc = run_app(&t, &ao, ascii);
	pipeline_stop(t.pl);
	/* the recording made complete where `s` saved it; the temp file goes */
	if (pipeline_finish(t.pl))
		fprintf(stderr, "gilscope lesson: %s\n", pipeline_error(t.pl));
	if (rc == 0) {
		struct pipeline_stats st;
		char how[sizeof(meta->command) + 4200];
		read_output(&t, t.out_fd);
		pipeline_stats(t.pl, &st);
		snprintf(how, sizeof(how), "Live run: %s%s%s", meta->command,
			 st.file[0] ? "\nSaved to " : "", st.file);
		print_table(&t, how);
	} else if (rc != -ENOTTY) {
		fprintf(stderr, "gilscope lesson: %s\n", strerror(-rc));
		rc = -ECANCELED;
	}
out:
	app_free(t.app);
	pipeline_free(t.pl);	/* an unfinished temp recording: gone */
	timeline_free(t.tl);
	lesson_run_free(t.run);
	close(t.out_fd);
	return rc;
}
