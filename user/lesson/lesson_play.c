/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * lesson_play.c - one lesson from start to closing table (lesson_play.h).
 * The narration state machine (lesson_run) is fed the same ordered events
 * whatever their source: a trace reader (replay) or, live, a recording
 * (record/pipeline.h) with the narration as its sink. Only the presentation differs: plain text here, the full-screen
 * view through the TUI driver.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "lesson/lesson_play.h"
#include "util/err.h"
#include "util/path.h"
#include "util/sudo.h"
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
	struct lesson_run_opts ro = { .ncpus = meta->ncpus, .trace_flags = meta->flags,
				      .names = trace_reader_names(rd) };
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
	lesson_run_end(p->run, info.last_ns);
	settle(p);
	print_table(p);
	trace_reader_close(rd);	/* after the table: its names are the reader's */
	if (output) {
		char summary[1024];
		lesson_output_summary(summary, sizeof(summary), output);
		printf("%s said when this trace was recorded:\n%s\n", lesson_who(p->l), summary);
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
	if (lv->pl && pipeline_names(lv->pl))	/* Python thread names, as learnt */
		lesson_run_set_names(lv->run, pipeline_names(lv->pl));
	return 0;
}

/* The program the pipeline started ended on its own, but failed: 1 and
 * how into why. */
static int program_failed(const struct pipeline_stats *st, char *why, size_t len)
{
	int ws = st->rec.exit_status;

	if (!st->started || !st->rec.exited || st->rec.ended_by)
		return 0;
	if (WIFEXITED(ws) && WEXITSTATUS(ws))
		snprintf(why, len, "exit status %d", WEXITSTATUS(ws));
	else if (WIFSIGNALED(ws))
		snprintf(why, len, "killed by signal %d", WTERMSIG(ws));
	else
		return 0;
	return 1;
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
	lesson_run_set_cost(lv->run, st && st->has_cost ? &st->cost : NULL);
	char why[64];

	/* stopped while the program still ran (q, Ctrl-C): a part of the run */
	if (st && !st->rec.exited)
		lesson_run_stop(lv->run, 0);
	else if (st && program_failed(st, why, sizeof(why)))
		lesson_run_fail(lv->run, why);
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

const char *lesson_who(const struct lesson *l)
{
	return lesson_form(l) == LESSON_PYTHON ? "the script" : "gilrt";
}

/* argv for `gilrt run ARGS`, gilrt taken from beside this binary, into
 * prog (path: gilrt). */
static int gilrt_argv(const struct lesson *l, struct lesson_prog *prog)
{
	char exe[PATH_MAX];
	int w = path_self_dir(exe, sizeof(exe));
	if (w)
		return w;
	w = snprintf(prog->path, sizeof(prog->path), "%s/gilrt", exe);
	if (w < 0 || (size_t)w >= sizeof(prog->path))
		return -ENAMETOOLONG;
	if (access(prog->path, X_OK))
		return -ENOENT;
	int rc = lesson_split_args(lesson_run_args(l), 2, &prog->argv);
	if (rc < 0)
		return rc;
	prog->argv[0] = prog->path;
	prog->argv[1] = "run";
	return 0;
}

/* The CPython form: INTERPRETER data/lessons/py/SCRIPT. The script is read
 * as it is (no link) and, under sudo, must be the invoking user's to read:
 * it runs as that user. */
static int python_argv(const struct lesson *l, const struct lesson_play_opts *o,
		       struct lesson_prog *prog, char *err, size_t len)
{
	struct sudo_fs su;
	struct stat st;
	int fd, e, rc;

	if ((rc = lesson_find_python(lesson_python_major(l), o->interpreter, prog->python,
				     sizeof(prog->python), err, len)))
		return rc;
	if (snprintf(prog->path, sizeof(prog->path), "%s/lessons/py/%s", o->data,
		     lesson_python(l)) >= (int)sizeof(prog->path))
		return errf(err, len, -ENAMETOOLONG, "%s/lessons/py: path too long", o->data);
	sudo_fs_enter(&su);
	fd = open(prog->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	e = errno;
	sudo_fs_leave(&su);
	if (fd < 0)
		return errf(err, len, -e, "%s: %s", prog->path, e == ELOOP ?
			    "a symbolic link: lesson scripts are run as they are, never through a link" :
			    strerror(e));
	rc = fstat(fd, &st) || !S_ISREG(st.st_mode) ? -EINVAL : 0;
	close(fd);
	if (rc)
		return errf(err, len, rc, "%s: not a regular file", prog->path);
	prog->argv = calloc(3, sizeof(char *));
	if (!prog->argv)
		return errf(err, len, -ENOMEM, "out of memory");
	prog->argv[0] = prog->python;
	prog->argv[1] = prog->path;
	prog->python_form = true;
	return 0;
}

int lesson_prog_new(struct lesson_prog *prog, const struct lesson *l,
		    const struct lesson_play_opts *o, char *err, size_t len)
{
	int rc;

	memset(prog, 0, sizeof(*prog));
	if (lesson_form(l) == LESSON_PYTHON)
		return python_argv(l, o, prog, err, len);
	if ((rc = gilrt_argv(l, prog)))
		return errf(err, len, rc, "%s: %s", prog->path[0] ? prog->path : "gilrt",
			    strerror(-rc));
	return 0;
}

void lesson_prog_free(struct lesson_prog *prog)
{
	free(prog->argv);
	prog->argv = NULL;
}

static int play_live_plain(struct play *p, const struct lesson_prog *prog)
{
	/* the recorder follows what traced tasks hand their CPUs to */
	struct lesson_run_opts ro = { .ncpus = (uint32_t)sysconf(_SC_NPROCESSORS_ONLN),
				      .trace_flags = TRACE_META_HANDOVER };
	struct pipeline_opts po = { .argv = prog->argv, .child_stdout = -1, .catch_signals = true,
				    .python = prog->python_form };
	struct lesson_live live = { .ncpus = ro.ncpus };
	struct pipeline *pl = NULL;
	char how[2 * PATH_MAX + 64];
	int rc, rc2;

	if ((rc = lesson_run_new(&p->run, p->l, &ro))) {
		fprintf(stderr, "gilscope lesson: %s\n", strerror(-rc));
		return 1;
	}
	live.run = p->run;
	/* the narration, then what it put on screen printed */
	if (!(rc = pipeline_new(&pl, &po)))
		live.pl = pl;
	if (rc || (rc = pipeline_add_sink(pl, &lesson_live_sink, &live)) ||
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
	if (prog->python_form)
		snprintf(how, sizeof(how), "Live: %s %s", prog->python, prog->path);
	else
		snprintf(how, sizeof(how), "Live: gilrt run %s", lesson_run_args(p->l));
	print_header(p->l, how);
	rc = pipeline_run(pl);
	rc2 = pipeline_stop(pl);	/* the narration ends (lesson_live_sink) */
	if (rc < 0 || rc2 < 0) {
		fprintf(stderr, "gilscope lesson: recording failed: %s\n", strerror(-(rc < 0 ? rc : rc2)));
		pipeline_free(pl);
		return 1;
	}
	settle(p);
	print_table(p);
	pipeline_free(pl);	/* after the table: its Python names are the pipeline's */
	if (lesson_run_failed(p->run)) {	/* its error went to the terminal already */
		printf("%s failed: its error is above\n", prog->python_form ? "The script" : "gilrt");
		return 1;
	}
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
		struct lesson_prog prog;
		char err[PATH_MAX + 256];

		if (lesson_prog_new(&prog, l, o, err, sizeof(err))) {
			fprintf(stderr, "gilscope lesson: %s\n", err);
			return 1;
		}
		rc = o->plain ? -ENOTTY : lesson_tui_live(l, &prog, o->ascii, o->speed);
		if (rc == -ENOTTY)	/* the pipeline ends it cleanly on signals */
			rc = play_live_plain(&p, &prog) ? -ECANCELED : 0;
		lesson_prog_free(&prog);
	}
	lesson_run_free(p.run);
	return rc ? 1 : 0;
}
