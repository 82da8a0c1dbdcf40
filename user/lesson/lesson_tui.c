/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * lesson_tui.c - a lesson in the full-screen viewer (tui/app.h): the usual
 * views, plus the narration in the app's text panel.
 *
 * The narration follows what is on screen, live and replayed alike: a step
 * comes when the view's time (st->now_ns) reaches its moment (the app's
 * on_time hook). In replay the lesson has its own trace reader, fed up to
 * the view's time; live, a recording (record/pipeline.h) feeds its sinks: a
 * temp file that `s` saves, the timeline and the lesson's data
 * (lesson_live_sink), which may be ahead of the view.
 * A step with `pause` stops the view until the teacher presses space, which
 * the lesson takes before the app does. In replay time then plays on; live,
 * the program went on meanwhile: the view goes on from where it stopped,
 * faster than the program, until it has caught up and follows again. When
 * the narration reaches the end of the run the view shows the whole run.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include "tui/app.h"
#include "tui/crt.h"
#include "lesson/lesson_play.h"
#include "lesson/lesson_tui.h"
#include "record/pipeline.h"
#include "tui/timeline.h"
#include "tui/timeline_sink.h"
#include "trace/trace_reader.h"
#include "util/outfile.h"

#define REPLAY_SPEED 0.2		/* a 2 s trace takes 10 s: time to look */
#define LIVE_SPEED 2.0			/* after a pause, live: catch up */
#define PANEL_BYTES 8192
#define TABLE_W 96
#define TABLE_ROWS 24
#define OUTPUT_MAX (1 << 20)		/* of gilrt's output kept with a save */
#define FAILURE_LINES 8			/* of a failed program's output shown */

struct ltui {
	const struct lesson *l;
	struct lesson_run *run;
	struct app *app;
	struct timeline *tl;
	bool live;
	bool fitted;			/* the view showed the whole run */
	bool table_shown;		/* the panel holds the closing table */
	/* replay: the lesson's own reader, fed up to the view's time */
	struct trace_reader *rd;
	const struct gs_event *batch;
	size_t nbatch, ibatch;
	bool rd_eof;
	uint64_t last_ns;
	/* live */
	struct pipeline *pl;		/* the recording: a temp file (for `s`), the
					 * timeline, the narration's data */
	struct lesson_live lv;
	int out_fd;			/* gilrt's stdout/stderr (memfd) */
	char output[1024];		/* its summary lines, for the table */
	char failure[1024];		/* a failed program's last lines */
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
	lesson_output_tail(t->failure, sizeof(t->failure), buf, FAILURE_LINES);
}

/* What heads gilrt's lines: whose words, and of which part of the run. */
static const char *output_heading(const struct ltui *t)
{
	static char h[128];
	bool cut = lesson_run_cut(t->run);

	snprintf(h, sizeof(h), "%s said%s", lesson_who(t->l),
		 t->live ? (cut ? " so far (it still ran)" : "") :
		 cut ? " when this trace was recorded (of the whole run, not only the part replayed)" :
		 " when this trace was recorded");
	return h;
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
	if (t->output[0] && used + 1 < len && !lesson_run_failed(t->run))
		snprintf(out + used, len - used, "\n%s:\n%s", output_heading(t), t->output);
}

/* Before the first step: what the lesson is about, and where in the notes. */
static void about_text(struct ltui *t)
{
	const char *notes = lesson_notes(t->l);
	snprintf(t->panel, sizeof(t->panel), "%s%s%s", lesson_about(t->l),
		 notes[0] ? "\nTeaching notes: " : "", notes);
}

/* Put the lesson's state into the panel; at a pause, stop the view; once
 * the narration reached the end of the run, show all of it. */
static void show(struct ltui *t)
{
	bool changed = lesson_run_changed(t->run), done = lesson_run_done(t->run);
	struct tui_state *st = app_state(t->app);

	if (lesson_run_over(t->run) && !t->fitted) {
		t->fitted = true;	/* first: the fit tells on_time, which comes here */
		app_zoom_fit(t->app);
	}
	if (!changed && done == t->table_shown)
		return;
	t->table_shown = done;
	int cur = lesson_run_current(t->run);
	size_t nsteps = lesson_nsteps(t->l);
	if (done && lesson_run_failed(t->run)) {
		/* the error first: the table of a part says little */
		int n = snprintf(t->panel, sizeof(t->panel), "%s failed; its last lines:\n%s\n",
				 lesson_who(t->l), t->failure[0] ? t->failure : "(nothing)");
		snprintf(t->title, sizeof(t->title), "The program failed (q: quit)");
		if (n > 0 && (size_t)n < sizeof(t->panel))
			table_text(t, t->panel + n, sizeof(t->panel) - n);
	} else if (done) {
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
		/* stopped at the step's very moment, not a frame later */
		uint64_t m = lesson_run_moment(t->run, (size_t)cur) + 1;

		st->paused = true;
		st->follow = false;
		if (cur >= 0 && m > 1 && m < st->now_ns)
			st->now_ns = m;
	}
}

/* Replay: feed the lesson every event before the view's time. */
static void feed_replay(struct ltui *t, uint64_t now)
{
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
	if (t->rd_eof && now > t->last_ns && !lesson_run_ended(t->run))
		lesson_run_end(t->run, t->last_ns);
}

/* The view's time moved: narrate up to it. */
static void on_time(void *ctx, struct app *a)
{
	struct ltui *t = ctx;
	uint64_t now = app_state(a)->now_ns;

	if (!t->live)
		feed_replay(t, now);
	lesson_run_time(t->run, now);
	show(t);
}

/* gilrt's output kept next to a saved recording (REC.gst.txt, as the
 * shipped traces have it), for a replay to show. Best effort: a note. */
static int save_output(struct ltui *t, char *why, size_t len)
{
	struct pipeline_stats st;
	struct outfile o = { .fd = -1 };
	char path[PATH_MAX], buf[8192];
	off_t at = 0;
	ssize_t n;
	int rc;

	pipeline_stats(t->pl, &st);
	if (!st.file[0])
		return 0;
	if (snprintf(path, sizeof(path), "%s.txt", st.file) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	if ((rc = outfile_create(&o, path, OUTFILE_FORCE, why, len)))
		return rc;
	while (at < OUTPUT_MAX && (n = pread(t->out_fd, buf, sizeof(buf), at)) > 0) {
		if (write(o.fd, buf, (size_t)n) != n) {
			rc = -errno;
			snprintf(why, len, "%.200s: %s", path, strerror(errno));
			break;
		}
		at += n;
	}
	outfile_close(&o);
	return rc;
}

static int live_save(void *ctx, char *msg, size_t len)
{
	struct ltui *t = ctx;
	char why[256];
	int rc = pipeline_save(t->pl, msg, len);

	if (rc)
		return rc;
	if (save_output(t, why, sizeof(why))) {
		size_t used = strlen(msg);

		snprintf(msg + used, len - used, "; gilrt's output not kept: %s", why);
	}
	return 0;
}

static int on_poll_live(void *ctx, struct app *a)
{
	struct ltui *t = ctx;
	int rc = pipeline_poll(t->pl);
	if (rc < 0)
		return rc;
	if (rc == 1) {
		/* the last events, then the narration's data ends (lesson_live_sink) */
		rc = pipeline_stop(t->pl);
		if (rc < 0)
			return rc;
		read_output(t, t->out_fd);
		lesson_run_time(t->run, app_state(a)->now_ns);
		show(t);
		return 1;
	}
	return 0;
}

static int on_key(void *ctx, struct app *a, int key)
{
	struct ltui *t = ctx;
	struct tui_state *st = app_state(a);
	if (key != ' ')
		return 0;
	if (lesson_run_paused(t->run)) {
		lesson_run_continue(t->run);
		st->paused = false;
		st->follow = false;	/* live: on from here, catching up */
		show(t);
		return 1;
	}
	/* live, a pause of the teacher's own: on from here too, so that no
	 * step is skipped (the app would jump to the newest events) */
	if (t->live && st->paused && !timeline_ended(t->tl)) {
		st->paused = false;
		st->follow = false;
		return 1;
	}
	return 0;
}

static int run_app(struct ltui *t, struct app_opts *ao, bool ascii)
{
	bool unicode, color;
	crt_probe(&unicode, &color);
	ao->ascii = ascii || !unicode;
	ao->color = color && !ascii;
	ao->on_key = on_key;
	ao->on_time = on_time;
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
	if (lesson_run_failed(t->run))
		printf("%s failed; its last lines:\n%s\n", lesson_who(t->l), t->failure);
	else if (t->output[0])
		printf("%s:\n%s\n", output_heading(t), t->output);
}

int lesson_tui_replay(const struct lesson *l, const char *path, const char *output,
		      bool ascii, double speed)
{
	struct ltui t = { .l = l, .out_fd = -1 };
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
	struct lesson_run_opts ro = { .ncpus = meta->ncpus, .trace_flags = meta->flags,
				      .view_clock = true, .names = trace_reader_names(t.rd) };
	if ((rc = lesson_run_new(&t.run, l, &ro)))
		goto fail;
	if ((rc = timeline_open_reader(&t.tl, view_rd, NULL)))
		goto fail;
	view_rd = NULL;	/* the timeline owns it now */
	struct app_opts ao = {
		.mode = TUI_REPLAY,
		.speed = speed > 0 ? speed : REPLAY_SPEED,
		.title = meta->command,
		.pid = meta->root_pid,
		.poll_fd = -1,
	};
	rc = run_app(&t, &ao, ascii);
	if (rc == 0) {
		char how[PATH_MAX + 96];
		uint64_t at = app_state(t.app)->now_ns;
		if (!lesson_run_ended(t.run)) {
			lesson_run_stop(t.run, at);
			snprintf(how, sizeof(how), "Replay of %s, quit at %.2f s of %.2f s: the "
				 "table covers that part", path,
				 at > info.first_ns ? (at - info.first_ns) / 1e9 : 0.0,
				 (info.last_ns - info.first_ns) / 1e9);
		} else {
			snprintf(how, sizeof(how), "Replay of %s", path);
		}
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
	return rc;
}

int lesson_tui_live(const struct lesson *l, const struct lesson_prog *prog, bool ascii,
		    double speed)
{
	struct ltui t = { .l = l, .live = true };
	int rc;
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
		return -ENOTTY;
	t.out_fd = memfd_create("gilrt-output", MFD_CLOEXEC);
	if (t.out_fd < 0)
		return -errno;
	/* the recorder follows what traced tasks hand their CPUs to */
	struct lesson_run_opts ro = { .ncpus = (uint32_t)sysconf(_SC_NPROCESSORS_ONLN),
				      .trace_flags = TRACE_META_HANDOVER, .view_clock = true };
	if ((rc = lesson_run_new(&t.run, l, &ro)))
		goto out;
	t.lv = (struct lesson_live){ .run = t.run, .ncpus = ro.ncpus };
	/* a temp recording that `s` saves, the view's timeline, the narration */
	struct pipeline_opts po = { .argv = prog->argv, .child_stdout = t.out_fd, .file = true,
				    .python = prog->python_form };
	if ((rc = pipeline_new(&t.pl, &po)) || (rc = pipeline_add_sink(t.pl, &timeline_sink, &t.tl)) ||
	    (rc = pipeline_add_sink(t.pl, &lesson_live_sink, &t.lv)))
		goto out;
	t.lv.pl = t.pl;
	if (pipeline_start(t.pl)) {
		fprintf(stderr, "gilscope lesson: %s (without root, try: gilscope lesson %s --replay)\n",
			pipeline_error(t.pl), lesson_name(l));
		rc = -ECANCELED;	/* said already */
		goto out;
	}
	const struct trace_meta *meta = pipeline_meta(t.pl);
	if (pipeline_names(t.pl))	/* Python thread names and functions, as learnt */
		timeline_set_names(t.tl, pipeline_names(t.pl));
	struct app_opts ao = {
		.mode = TUI_LIVE,
		.speed = speed > 0 ? speed : LIVE_SPEED,
		.title = meta->command,
		.pid = meta->root_pid,
		.poll_fd = pipeline_fd(t.pl),
		.on_poll = on_poll_live,
		.save = live_save,
	};
	rc = run_app(&t, &ao, ascii);
	pipeline_stop(t.pl);	/* a program still running: the run is cut short */
	/* the recording made complete where `s` saved it, gilrt's whole output
	 * beside it; the temp file goes */
	if (pipeline_finish(t.pl))
		fprintf(stderr, "gilscope lesson: %s\n", pipeline_error(t.pl));
	if (rc == 0) {
		struct pipeline_stats st;
		char how[sizeof(meta->command) + 4200], why[256];
		read_output(&t, t.out_fd);
		pipeline_stats(t.pl, &st);
		if (st.file[0] && save_output(&t, why, sizeof(why)))
			fprintf(stderr, "gilscope lesson: gilrt's output not kept: %s\n", why);
		snprintf(how, sizeof(how), "Live run: %s%s%s%s%s", meta->command,
			 lesson_run_cut(t.run) ? "\nQuit while it ran: the table covers the part "
						  "recorded" : "",
			 st.file[0] ? "\nSaved to " : "", st.file,
			 st.file[0] ? prog->python_form ? " (the script's output: that name + .txt)" :
				      " (gilrt's output: that name + .txt)" : "");
		print_table(&t, how);
		if (lesson_run_failed(t.run))
			rc = -ECHILD;	/* said, in the panel and above */
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
