/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * lesson_tui.h - a lesson in the full-screen viewer: the timeline views
 * plus a narration panel that pauses at the lesson's moments and ends with
 * the closing table (also printed on stdout once the terminal is back).
 *
 * Both return 0 when the teacher quit, -ENOTTY when there is no terminal
 * (nothing was started: the caller may narrate as plain text), -ECHILD
 * (live) when the program failed (said in the panel and printed with the
 * table), or another negative errno after printing one line on stderr.
 */
#ifndef LESSON_TUI_H
#define LESSON_TUI_H
#include <stdbool.h>
#include "lesson/lesson.h"
#include "lesson/lesson_play.h"

/* Replay the trace at path at speed (0: a slow default). output: what gilrt
 * printed when the trace was recorded (shown under the closing table), or NULL. */
int lesson_tui_replay(const struct lesson *l, const char *path, const char *output,
		      bool ascii, double speed);
/* Run prog (gilrt run ..., or a CPython script) under the recorder; needs
 * root. speed: how fast the view catches up with the program after a pause
 * (0: twice its pace). A program that fails ends the narration: the panel
 * shows its last lines above the table. */
int lesson_tui_live(const struct lesson *l, const struct lesson_prog *prog, bool ascii,
		    double speed);

#endif
