/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * view.h - what the views (tui/view_*.c) share. A view is a const vtable
 * filled with designated initializers; tui_render() lays out rectangles and
 * calls each view's draw() with a context. Views read the window and the
 * state, write only inside their rectangle, and keep no state of their own.
 */
#ifndef VIEW_H
#define VIEW_H
#include "tui/grid.h"
#include "tui/tui.h"

struct tui_rect {
	int x, y, w, h;
};

struct view_ctx {
	const struct tl_window *win;	/* the data */
	const struct tui_state *st;	/* the view state */
	int label_w;			/* width of the lane labels ("CPU0 ") */
	int lane_w;			/* columns of a lane */
	const uint16_t *cpus;		/* the CPUs with a strip, in order */
	int cpu_rows;			/* how many */
	int cpus_hidden;		/* CPUs left out (no room, nothing traced) */
	int lock_lanes;			/* lock lanes that fit (one per lock) */
};

#define CPU_MAX 1024			/* CPUs the strips can tell apart */

struct view {
	const char *name;		/* for debugging and tests */
	void (*draw)(const struct view_ctx *ctx, struct grid *g, struct tui_rect r);
};

extern const struct view view_status;	/* top line */
extern const struct view view_cores;	/* one strip per CPU */
extern const struct view view_lock;	/* lock lane, wait lane, ruler */
extern const struct view view_threads;	/* thread table */
extern const struct view view_events;	/* event log */
extern const struct view view_funcs;	/* Python functions of a thread (p), in the log's place */
extern const struct view view_panel;	/* narration / summary text */
extern const struct view view_keys;	/* key line, prompt or message */
extern const struct view view_help;	/* help overlay */

/* The first of n threads (in table order) that a table h rows high (header
 * included) shows when asked to start at top: top, or less so that the last
 * page is full (view_threads.c). */
size_t view_threads_top(size_t n, int h, uint32_t top);

/* Shared helpers (tui/render.c). */
const struct tl_thread *view_thread(const struct view_ctx *c, uint32_t tid);
/* The thread's letter: A..Z, then 0..9, then (not in --ascii mode) Greek
 * and Cyrillic capitals unlike any Latin one, then '*'; lower: its lower
 * case, for a thread that waits (digits and '*' have none). view_letters:
 * how many threads get a letter of their own. */
size_t view_letters(const struct view_ctx *c);
uint32_t view_letter(const struct view_ctx *c, const struct tl_thread *t, bool lower);
/* Its colour style; bold when it holds the lock, dim when another thread is
 * highlighted. A NULL thread is "someone else" (grey). */
struct cell_style view_thread_style(const struct view_ctx *c,
				    const struct tl_thread *t, bool bold);
/* A titled rule: "─ title ───..." across the rectangle's width at row y. */
void view_rule(const struct view_ctx *c, struct grid *g, int x, int y, int w,
	       const char *title);
/* The glyph ch, or its ASCII stand-in in --ascii mode. */
uint32_t view_glyph(const struct view_ctx *c, uint32_t ch, uint32_t ascii);
/* "3.214 s" relative to the origin into buf. */
void view_fmt_time(const struct view_ctx *c, uint64_t ts, char *buf, size_t len);
/* Short state words for a model state ("holds lock", "waits", ...). */
const char *view_state_words(uint8_t state);

/* Per-column winner of a lane: the span covering most of each column. */
struct lane_col {
	uint64_t ov;			/* ns of the column covered by it */
	const struct model_span *s;	/* NULL: nothing in this column */
};
#define LANE_MAX 1024
/* When the first column of the lanes starts: win->t0. The lanes end at t1,
 * or after it when the window is narrower (it never begins before the
 * first event: tui.h); nothing is drawn after t1. */
uint64_t view_lane_t0(const struct view_ctx *c);
/* Fill cols[0..ctx->lane_w) from the spans that match(span, arg). */
void view_lane(const struct view_ctx *c, struct lane_col *cols,
	       bool (*match)(const struct view_ctx *c, const struct model_span *s,
			     uintptr_t arg),
	       uintptr_t arg);

#endif
