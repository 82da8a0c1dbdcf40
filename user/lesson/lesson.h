/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * lesson.h - classroom lessons: a lesson is a text file (lessons/NN-NAME.lesson,
 * format in lessons/README.md) that says which gilrt scenario to run, which
 * shipped trace replays it, what to say at which moment, and which claims a
 * run must meet; a lesson about Python says the same again for a script in
 * lessons/py/ run by CPython itself (its CPython form). Two parts:
 *
 *  - struct lesson: the parsed file, owning its strings. It shows one form
 *    at a time (gilrt's unless lesson_select_form() chose the CPython one,
 *    before any run): trace, steps and claims are that form's.
 *  - struct lesson_run: the narration state machine for one run. Feed it every
 *    event (in time order) and the current time; it decides which step is on
 *    screen and whether the class is waiting for the teacher (space). It keeps
 *    its own timeline model, so the closing table ("what we measured in this
 *    very run") never depends on what a view chose to keep.
 *
 * Steps fire in file order: step k+1 is only considered once step k is on
 * screen and, if k pauses, once the teacher went on. Event triggers latch: an
 * event seen earlier still satisfies a later step. At the end of the run,
 * steps whose moment never came are still shown, marked missed.
 *
 * Functions return 0 or a negative errno; parse errors also fill err with
 * "LINE: reason". Pointers returned stay valid until the owner is freed.
 * Free functions accept NULL.
 */
#ifndef LESSON_H
#define LESSON_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util/gs_types.h"

#define LESSON_MAX_STEPS 32
#define LESSON_MAX_LINES 10	/* narration lines per step */
#define LESSON_MAX_CLAIMS 8

enum lesson_trigger {
	LT_AT = 1,	/* at a time (ns after the run's first event) */
	LT_ON,		/* when the count-th event of a kind has been seen */
	LT_END,		/* when the run is over */
};

struct lesson_step {
	uint8_t trigger;	/* enum lesson_trigger */
	uint8_t ev_type;	/* LT_ON: enum gs_event_type */
	bool pause;		/* wait for the teacher once shown */
	uint32_t count;		/* LT_ON: occurrence (1 = first) */
	uint64_t at_ns;		/* LT_AT */
	size_t nlines;
	const char *lines[LESSON_MAX_LINES];	/* narration, one screen line each */
};

enum lesson_metric {
	LM_PARALLELISM = 1,	/* average cores busy with traced tasks */
	LM_ACQUISITIONS,	/* lock acquisitions, all threads */
	LM_ACQ_PER_S,		/* acquisitions per second of trace */
	LM_LOCK_BUSY,		/* lock-held time / trace time (sum over locks) */
	LM_PROCESSES,		/* distinct traced processes that ran */
	LM_THREADS,		/* distinct traced threads that ran */
	LM_LONG_HOLDS,		/* holds >= 1024 us (histogram buckets >= 11) */
	LM_LONG_WAITS,		/* waits >= 1024 us */
	LM_HOLD_SHARE_MAX,	/* greediest thread's share of all lock-held time */
	LM_TAKEN_BACK,		/* share of acquisitions by the thread that had
				 * just released that lock (the old GIL's) */
	LM__COUNT
};

enum lesson_op { LO_LT = 1, LO_LE, LO_GT, LO_GE, LO_EQ };

struct lesson_claim {
	uint8_t metric;		/* enum lesson_metric */
	uint8_t op;		/* enum lesson_op */
	double value;
};

enum lesson_form_kind {
	LESSON_GILRT,		/* `run`, `trace`, `step`, `claim` */
	LESSON_PYTHON,		/* `python`, `python_trace`, `python_step`, `python_claim` */
	LESSON_FORM__COUNT
};

struct lesson;

/* Parse a lesson from text. name is the lesson's short name (copied). */
int lesson_parse(struct lesson **out, const char *name, const char *text,
		 size_t len, char *err, size_t errlen);
/* Load lessons/NN-NAME.lesson; the name is NAME (numeric prefix dropped). */
int lesson_load(struct lesson **out, const char *path, char *err, size_t errlen);
void lesson_free(struct lesson *l);

const char *lesson_name(const struct lesson *l);
const char *lesson_title(const struct lesson *l);
const char *lesson_about(const struct lesson *l);	/* one line for --list */
const char *lesson_notes(const struct lesson *l);	/* which point of the notes */
const char *lesson_run_args(const struct lesson *l);	/* gilrt run ARGS */
/* The CPython form's script, a file name in lessons/py/; NULL: none. */
const char *lesson_python(const struct lesson *l);
/* The Python the script is written for: 2 or 3 (0 without a script). */
int lesson_python_major(const struct lesson *l);
/* Show the given form from now on (before a lesson_run is made over it);
 * -ENOENT if the lesson has no such form. */
int lesson_select_form(struct lesson *l, enum lesson_form_kind form);
enum lesson_form_kind lesson_form(const struct lesson *l);
const char *lesson_trace(const struct lesson *l);	/* the form's file in traces/ */
size_t lesson_nsteps(const struct lesson *l);
const struct lesson_step *lesson_step(const struct lesson *l, size_t i);
size_t lesson_nclaims(const struct lesson *l);
const struct lesson_claim *lesson_claim(const struct lesson *l, size_t i);

/* Names for event kinds and metrics as written in lesson files; NULL if none. */
const char *lesson_event_name(unsigned ev_type);
const char *lesson_metric_name(unsigned metric);
const char *lesson_op_name(unsigned op);
bool lesson_claim_holds(const struct lesson_claim *c, double value);

/* Split "cpu --threads 2" into argv words (no quoting: lessons need none),
 * after `lead` NULL slots the caller fills (e.g. the program and "run").
 * *argv is one NULL-terminated allocation the caller frees; returns argc
 * (lead included) or a negative errno. */
int lesson_split_args(const char *args, size_t lead, char ***argv);

/* Lessons are data: 0 if args may follow `gilrt run` (a scenario, then only
 * whitelisted options and values), if name is a script's file name (no
 * path); else -EINVAL and the reason in err ("run: ..." / "python: ..."). */
int lesson_check_run(const char *args, char *err, size_t len);
int lesson_check_script(const char *name, char *err, size_t len);

/* The last LESSON_OUTPUT_LINES summary lines of what gilrt printed (its own
 * counts: lost updates, latencies), '\n'-separated, into dst (len bytes). */
#define LESSON_OUTPUT_LINES 4
void lesson_output_summary(char *dst, size_t len, const char *src);
/* The last `lines` lines of src as they are (a failed program's error),
 * trailing newlines dropped, into dst (len bytes). */
void lesson_output_tail(char *dst, size_t len, const char *src, size_t lines);

/* ---- one run: the narration state machine -------------------------------- */

struct lesson_run;

struct trace_names;

struct lesson_run_opts {
	uint32_t ncpus;		/* CPUs of the machine the events come from */
	uint32_t trace_flags;	/* the recording's TRACE_META_* flags (model_opts) */
	/* The narration follows a view's time (lesson_run_time) only, not the
	 * events: a live view can be behind the events it was given, and a
	 * step comes when the view shows its moment. false: the events' time
	 * (and lesson_run_time, whichever is later) drive it. */
	bool view_clock;
	const struct trace_names *names;	/* the trace's (Python thread names), or
						 * NULL; not owned, outlives the run */
};

int lesson_run_new(struct lesson_run **out, const struct lesson *l,
		   const struct lesson_run_opts *opts);
void lesson_run_free(struct lesson_run *r);
/* Feed one event (non-decreasing ts; GS_F_KEYFRAME events are ignored). */
int lesson_run_event(struct lesson_run *r, const struct gs_event *ev);
/* The narration's clock reached now_ns (absolute, same clock as events). */
void lesson_run_time(struct lesson_run *r, uint64_t now_ns);
/* The run is over at end_ns (0: at the last event seen): every event was
 * given. The `end` steps come once the narration's clock gets there. */
void lesson_run_end(struct lesson_run *r, uint64_t end_ns);
/* The run was cut short at at_ns (a replay quit early, a live program still
 * running): the table covers what was given and judges no claim. */
void lesson_run_stop(struct lesson_run *r, uint64_t at_ns);
/* The program failed (why: e.g. "exit status 1", copied): like a run cut
 * short (no claim judged, no further step), and the narration is over. */
void lesson_run_fail(struct lesson_run *r, const char *why);
bool lesson_run_cut(const struct lesson_run *r);
bool lesson_run_failed(const struct lesson_run *r);
/* The recording's thread names (a live Python run learns them as it goes),
 * before the first event; not owned, outlives the run. */
void lesson_run_set_names(struct lesson_run *r, const struct trace_names *names);
/* The run ended and the narration's clock reached its end. */
bool lesson_run_over(const struct lesson_run *r);
/* The teacher pressed space: leave the current pause. */
void lesson_run_continue(struct lesson_run *r);

/* Index of the step on screen, or -1 before the first. */
int lesson_run_current(const struct lesson_run *r);
/* True once after the step on screen or the pause changed (time to redraw). */
bool lesson_run_changed(struct lesson_run *r);
/* Shown but never reached: its moment did not happen in this run. */
bool lesson_run_missed(const struct lesson_run *r, size_t step);
/* A step's moment: when its trigger fired (an `at` time, its event, the
 * end), or when the class went on from the step before if that was later;
 * absolute, on the events' clock. A view pausing at a step shows that
 * moment, not the frame it noticed it in. */
uint64_t lesson_run_moment(const struct lesson_run *r, size_t step);
/* The step's moment, in ns since the first event. */
uint64_t lesson_run_shown_at(const struct lesson_run *r, size_t step);
/* Waiting for the teacher (space) on the current step. */
bool lesson_run_paused(const struct lesson_run *r);
/* Over, and every step shown and gone on from. */
bool lesson_run_done(const struct lesson_run *r);
bool lesson_run_ended(const struct lesson_run *r);

/* Step i's narration joined by '\n' (plus a note if its moment was missed),
 * into buf (at most len bytes, NUL-terminated). Returns the length. */
size_t lesson_run_text(const struct lesson_run *r, size_t step, char *buf, size_t len);

/* What this run measured so far (metrics above). */
double lesson_run_metric(const struct lesson_run *r, unsigned metric);

/* Live runs: how many cores the whole machine kept busy on average during
 * the run (from /proc/stat), so the table can say when other programs took
 * the cores a lesson is about. Not called: nothing is said. */
void lesson_run_set_machine_busy(struct lesson_run *r, double cores);

/* Live runs: what tracing cost the program (record/pipeline.h stats; NULL:
 * unknown), for the table's "tracing cost" row. A replay shows the trace's
 * own (its names record), without this. */
struct trace_cost;
void lesson_run_set_cost(struct lesson_run *r, const struct trace_cost *c);

/* The closing table: up to max lines of at most width-1 chars, written into
 * buf (rows of width bytes). Returns the number of lines. */
size_t lesson_run_table(const struct lesson_run *r, char *buf, size_t width,
			size_t max);

#endif
