/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * tui.h - the screen as a pure function: tui_render(window, view state,
 * grid) draws what the timeline says about one window into a grid of the
 * grid's size. Nothing here reads the terminal, the clock or a file, so the
 * same inputs always give the same screen (golden tests rely on it).
 *
 * Layout, top to bottom: status line; one strip per CPU; the lock lane (who
 * holds it), the wait lane (who waits) and a time ruler; the thread table;
 * the event log (or, with st->funcs, the Python functions of the
 * highlighted thread); an optional text panel (lesson narration or the closing
 * summary); the key line (or a prompt / message). The help overlay covers
 * the middle when st->help is set. A terminal smaller than TUI_MIN_W x
 * TUI_MIN_H gets a message saying so instead.
 *
 * Time: the strips, lanes and ruler begin at win->t0 and are as wide as
 * tui_lane_cols() columns of st->ns_per_col; the window the caller asks for
 * is the lanes' width ending at "now", but never begins before the first
 * event (the first moments of a run fill the lanes from the left, the rest
 * stays blank), so no time before the recording is drawn. The thread
 * table's shares are of [t0, t1), the part with data, and say so.
 *
 * The thread table and the event log scroll (st->thr_top, st->ev_back);
 * the table is ordered by st->sort, with the highlighted thread as its
 * cursor; the one that has the focus gets the larger share of the rows.
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

enum tui_focus {
	TUI_FOCUS_THREADS = 0,	/* j/k, PgUp/PgDn, Home/End move the highlight */
	TUI_FOCUS_EVENTS,	/* ... scroll the event log */
};

enum tui_sort {
	TUI_SORT_LETTER = 0,	/* first seen first */
	TUI_SORT_HOLD,		/* most time holding the lock first */
	TUI_SORT_WAIT,		/* most time waiting for it first */
	TUI_SORT_ACQ,		/* most acquisitions first */
	TUI_SORT_CPU,		/* most time on a CPU first */
	TUI_SORT_NAME,		/* by name, then tid */
	TUI_SORT__COUNT
};

#define TUI_THREADS_MAX 4096	/* threads the table orders and shows */

struct tui_state {
	uint8_t mode;		/* enum tui_mode */
	bool paused;		/* time stands still */
	bool follow;		/* live: the right edge tracks the newest event */
	bool ascii;		/* plain ASCII glyphs only */
	bool color;		/* colours (false: monochrome, letters in strips) */
	bool help;		/* the help overlay is open */
	bool funcs;		/* the Python functions panel (p) replaces the log */
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
	uint8_t focus;		/* enum tui_focus */
	uint8_t sort;		/* enum tui_sort: the thread table's order */
	uint32_t thr_top;	/* thread table: first row shown, in that order */
	uint32_t ev_back;	/* event log: lines scrolled back from the newest */
	uint32_t ev_tid;	/* event log shows only this thread's events (the
				 * timeline filters, timeline_log_filter); 0 = all */
};

/* Columns the CPU strips and lanes get for a grid w columns wide (the
 * caller sizes the window as lane_cols * ns_per_col). */
int tui_lane_cols(int w);
/* The thread table's order: indices into win->threads (at most
 * TUI_THREADS_MAX) into order[]. Returns how many. */
size_t tui_thread_order(const struct tl_window *win, uint8_t sort, uint32_t *order);
/* Rows of thread table (header included) and of event log (its rule
 * included) that a w x h screen drawn from win and st gets. */
void tui_pane_rows(const struct tl_window *win, const struct tui_state *st, int w, int h,
		   int *thread_rows, int *event_rows);
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
