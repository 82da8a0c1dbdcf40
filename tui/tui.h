/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * tui.h - the screen as a pure function: tui_render(window, view state,
 * grid) draws what the timeline says about one window into a grid of the
 * grid's size. Nothing here reads the terminal, the clock or a file, so the
 * same inputs always give the same screen (golden tests rely on it).
 *
 * Layout, top to bottom: status line; one strip per CPU; the lock lane (who
 * holds it), the wait lane (who waits) and a time ruler; the thread table;
 * the event log; an optional text panel (lesson narration or the closing
 * summary); the key line (or a prompt / message). The help overlay covers
 * the middle when st->help is set. A terminal smaller than TUI_MIN_W x
 * TUI_MIN_H gets a message saying so instead.
 *
 * The caller owns the state, the window and the grid.
 */
#ifndef TUI_H
#define TUI_H
#include <stdbool.h>
#include <stdint.h>
#include "tui/grid.h"
#include "tui/timeline.h"

#define TUI_MIN_W 50
#define TUI_MIN_H 10

#define TUI_NS_PER_COL_MIN 10000ull		/* 10 us per column */
#define TUI_NS_PER_COL_MAX 1000000000ull	/* 1 s per column */

enum tui_mode {
	TUI_REPLAY = 0,
	TUI_LIVE,
};

struct tui_state {
	uint8_t mode;		/* enum tui_mode */
	bool paused;		/* time stands still */
	bool follow;		/* live: the right edge tracks the newest event */
	bool ascii;		/* plain ASCII glyphs only */
	bool color;		/* colours (false: monochrome, letters in strips) */
	bool help;		/* the help overlay is open */
	uint64_t now_ns;	/* right edge of the window (exclusive) */
	uint64_t ns_per_col;	/* zoom */
	uint64_t origin_ns;	/* the time shown as t=0 */
	double speed;		/* replay speed factor */
	uint32_t highlight_tid;	/* thread picked with `t` (0 = none) */
	uint32_t pid;		/* traced process, for the status line */
	const char *title;	/* traced command, for the status line */
	const char *cost;	/* tracing cost for the status line ("cost +0.8 %"), or NULL */
	bool cost_warn;		/* ... above the warning threshold: drawn as an alert */
	const char *prompt;	/* a prompt replacing the key line, or NULL */
	const char *message;	/* a one-line note replacing the key line, or NULL */
	const char *panel;	/* panel text ('\n' separates paragraphs), or NULL */
	const char *panel_title;/* its title, or NULL */
	int panel_rows;		/* panel height including its border; 0 = fit */
};

/* Columns the CPU strips and lanes get for a grid w columns wide (the
 * caller sizes the window as lane_cols * ns_per_col). */
int tui_lane_cols(int w);
/* Draw the whole screen into g. Returns 0, or -EINVAL on bad arguments. */
int tui_render(const struct tl_window *win, const struct tui_state *st,
	       struct grid *g);

/* What a click at cell (x, y) of a w x h screen that tui_render drew from
 * the same window and state points at: a moment (a column of the strips,
 * lanes or ruler: ts_ns is where that column starts), a thread (a row of
 * the thread table), or nothing. Returns 0, or -EINVAL on bad arguments. */
enum tui_hit_kind {
	TUI_HIT_NONE = 0,
	TUI_HIT_TIME,
	TUI_HIT_THREAD,
};

struct tui_hit {
	uint8_t kind;		/* enum tui_hit_kind */
	uint64_t ts_ns;		/* TUI_HIT_TIME */
	uint32_t tid;		/* TUI_HIT_THREAD */
};

int tui_hit(const struct tl_window *win, const struct tui_state *st, int w, int h,
	    int x, int y, struct tui_hit *hit);

#endif
