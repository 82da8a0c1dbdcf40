/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * lesson_play.h - runs one lesson (lesson.h) from start to closing table:
 * its gilrt scenario live under the recorder (needs root), or its shipped
 * trace (--replay, no privileges); shown in the full-screen view with a
 * narration panel, or as plain text (steps printed as they come, pauses
 * waiting for Enter only when stdin is a terminal).
 *
 * lesson_play() returns the exit status for main: 0 done, 1 failure (one
 * line already printed on stderr).
 */
#ifndef LESSON_PLAY_H
#define LESSON_PLAY_H
#include <stdbool.h>
#include <stdint.h>
#include "lesson/lesson.h"
#include "record/pipeline.h"

struct lesson_play_opts {
	const char *data;	/* directory holding lessons/ and traces/ */
	const char *trace;	/* replay this file instead of the shipped one */
	bool replay;		/* replay a trace instead of running live */
	bool plain;		/* plain text instead of the full-screen view */
	bool ascii;		/* full-screen view in plain ASCII, no colours */
	double speed;		/* full-screen view: replay speed (0 = 0.2), or live how
				 * fast it catches up after a pause (0 = 2) */
};

int lesson_play(const struct lesson *l, const struct lesson_play_opts *o);

/* CPU time of the whole machine from /proc/stat: busy and total, in clock
 * ticks summed over cores. 0 or a negative errno. Two readings around a
 * run give how many cores were busy: ncpus * dbusy / dtotal. */
int lesson_machine_ticks(uint64_t *busy, uint64_t *total);
double lesson_machine_cores(uint64_t busy0, uint64_t total0, uint32_t ncpus);

/* A live lesson's narration as a sink of the recording (record/pipeline.h),
 * whatever shows it: every event goes to run; at the end, how many cores
 * the machine kept busy since begin, and the run ends (or, stopped while
 * the program still ran, is cut short: lesson_run_stop). */
struct lesson_live {
	struct lesson_run *run;		/* the caller's */
	uint32_t ncpus;			/* as given to lesson_run_new() */
	uint64_t busy0, total0;		/* the machine's CPU ticks at begin */
};
extern const struct pipeline_sink lesson_live_sink;	/* ctx: struct lesson_live */

#endif
