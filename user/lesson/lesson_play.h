/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * lesson_play.h - runs one lesson (lesson.h) from start to closing table:
 * its gilrt scenario live under the recorder (needs root), or, in its
 * CPython form (the lesson's selected form), its script under a real
 * CPython traced with --python; or its shipped trace (--replay, no
 * privileges); shown in the full-screen view with a narration panel, or as
 * plain text (steps printed as they come, pauses waiting for Enter only
 * when stdin is a terminal). A program that fails (an exit status, a
 * signal) ends the lesson there: its last lines are shown, no claim judged.
 *
 * lesson_play() returns the exit status for main: 0 done, 1 failure (one
 * line already printed on stderr, or the failed program's error shown).
 */
#ifndef LESSON_PLAY_H
#define LESSON_PLAY_H
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include "lesson/lesson.h"
#include "record/pipeline.h"

struct lesson_play_opts {
	const char *data;	/* directory holding lessons/ and traces/ */
	const char *trace;	/* replay this file instead of the shipped one */
	bool replay;		/* replay a trace instead of running live */
	const char *interpreter;	/* CPython form, live: this interpreter (NULL:
					 * lesson_find_python's choice) */
	bool plain;		/* plain text instead of the full-screen view */
	bool ascii;		/* full-screen view in plain ASCII, no colours */
	double speed;		/* full-screen view: replay speed (0 = 0.2), or live how
				 * fast it catches up after a pause (0 = 2) */
};

int lesson_play(const struct lesson *l, const struct lesson_play_opts *o);

/* The CPython to run a script written for Python `major` (2 or 3) with:
 * `given` if it is one whose lock can be traced, else the first found of
 * python3.11-dbg (python2.7-dbg), pyenv builds newest first ($PYENV_ROOT,
 * ~/.pyenv), python3 (python2.7) in $PATH. 0 and the command into out, or
 * a negative errno and one line into err naming the way out. */
int lesson_find_python(int major, const char *given, char *out, size_t len, char *err,
		       size_t errlen);
/* CPU time of the whole machine from /proc/stat: busy and total, in clock
 * ticks summed over cores. 0 or a negative errno. Two readings around a
 * run give how many cores were busy: ncpus * dbusy / dtotal. */
int lesson_machine_ticks(uint64_t *busy, uint64_t *total);
double lesson_machine_cores(uint64_t busy0, uint64_t total0, uint32_t ncpus);

/* The program a live lesson runs: gilrt run ARGS, or for the CPython form
 * INTERPRETER data/lessons/py/SCRIPT (found by lesson_find_python, given
 * by o->interpreter). 0, or a negative errno and one line into err. */
struct lesson_prog {
	char **argv;			/* NULL-terminated, one allocation */
	bool python_form;		/* trace CPython's lock (--python) */
	char path[PATH_MAX];		/* gilrt, or the script */
	char python[PATH_MAX];		/* the interpreter (CPython form) */
};
int lesson_prog_new(struct lesson_prog *prog, const struct lesson *l,
		    const struct lesson_play_opts *o, char *err, size_t len);
void lesson_prog_free(struct lesson_prog *prog);

/* Who printed a form's output, for its headings: "gilrt", "the script". */
const char *lesson_who(const struct lesson *l);

/* A live lesson's narration as a sink of the recording (record/pipeline.h),
 * whatever shows it: every event goes to run; at the end, how many cores
 * the machine kept busy since begin, and the run ends (or, stopped while
 * the program still ran, is cut short: lesson_run_stop; or the program
 * failed: lesson_run_fail). */
struct lesson_live {
	struct lesson_run *run;		/* the caller's */
	const struct pipeline *pl;	/* the recording: its Python thread names */
	uint32_t ncpus;			/* as given to lesson_run_new() */
	uint64_t busy0, total0;		/* the machine's CPU ticks at begin */
};
extern const struct pipeline_sink lesson_live_sink;	/* ctx: struct lesson_live */

#endif
