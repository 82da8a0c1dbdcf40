/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * view_threads.c - the thread table: letter, name, share of the window spent
 * holding and waiting for the lock, acquisitions in the window, and what
 * each thread is doing at the window's right edge.
 */
#include <inttypes.h>
#include <stdio.h>
#include "tui/view.h"

enum { X_NAME = 2, X_HOLD = 19, X_WAIT = 27, X_ACQ = 35, X_STATE = 43, X_CPU = 61, X_END = 68 };
#define NAME_W 16		/* the name column, widened for longer (Python) names */
#define NAME_W_MAX 40

static void header(const struct view_ctx *c, struct grid *g, struct tui_rect r, int dx)
{
	struct cell_style dim = { .attr = GA_DIM };

	view_rule(c, g, r.x, r.y, r.w, "threads");
	grid_print(g, r.x + dx + X_HOLD + 1, r.y, -1, dim, " hold ");
	grid_print(g, r.x + dx + X_WAIT + 1, r.y, -1, dim, " wait ");
	grid_print(g, r.x + dx + X_ACQ + 2, r.y, -1, dim, " acq ");
	grid_print(g, r.x + dx + X_STATE, r.y, -1, dim, " now ");
}

/* Cells a name takes: one per character (as grid_print draws it). */
static int cells(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* How many columns the name column grows by: enough for the longest name
 * shown, as far as the width allows (0 for names of 16 cells or less). */
static int name_extra(const struct tl_window *w, size_t shown, int width)
{
	int longest = 0, room = width - 1 - X_END;

	for (size_t i = 0; i < shown; i++) {
		int n = cells(w->threads[i].name);

		if (n > longest)
			longest = n;
	}
	if (longest > NAME_W_MAX)
		longest = NAME_W_MAX;
	longest -= NAME_W;
	return longest < 0 || room < 0 ? 0 : longest < room ? longest : room;
}

static void row(const struct view_ctx *c, struct grid *g, int x, int y, int w,
		const struct tl_thread *t, uint64_t span, int dx)
{
	struct cell_style plain = STYLE_PLAIN;
	struct cell_style me = view_thread_style(c, t, true);

	if (c->st->highlight_tid == t->tid)
		plain.attr = me.attr = GA_REVERSE | GA_BOLD;
	grid_fill(g, x, y, w, 1, ' ', plain);
	grid_put(g, x, y, view_letter(t), me);
	if (t->name[0])
		grid_print(g, x + X_NAME, y, NAME_W + dx, me, t->name);
	else
		grid_printf(g, x + X_NAME, y, NAME_W + dx, me, "tid %" PRIu32, t->tid);
	x += dx;
	grid_printf(g, x + X_HOLD, y, -1, plain, "%5.1f %%", 100.0 * t->hold_ns / span);
	grid_printf(g, x + X_WAIT, y, -1, plain, "%5.1f %%", 100.0 * t->wait_ns / span);
	grid_printf(g, x + X_ACQ, y, -1, plain, "%6" PRIu32, t->acquisitions);
	grid_print(g, x + X_STATE, y, 17, plain, view_state_words(t->state));
	if (t->cpu >= 0 && t->state != MS_EXITED)
		grid_printf(g, x + X_CPU, y, -1, plain, "CPU%" PRId32, t->cpu);
}

size_t view_threads_shown(size_t nthreads, int h)
{
	/* all of them under the header, or all but the "+N more" line */
	if ((int)nthreads > h - 1)
		return h - 2 > 0 ? (size_t)h - 2 : 0;
	return nthreads;
}

static void threads_draw(const struct view_ctx *c, struct grid *g, struct tui_rect r)
{
	const struct tl_window *w = c->win;
	uint64_t span = w->t1 > w->t0 ? w->t1 - w->t0 : 1;
	size_t shown = view_threads_shown(w->nthreads, r.h);
	int dx = name_extra(w, shown, r.w);

	header(c, g, r, dx);
	if (!w->nthreads) {
		if (r.h > 1)
			grid_print(g, r.x + 1, r.y + 1, r.w - 1, (struct cell_style){ .attr = GA_DIM },
				   "no threads seen yet");
		return;
	}
	for (size_t i = 0; i < shown; i++)
		row(c, g, r.x + 1, r.y + 1 + (int)i, r.w - 1, &w->threads[i], span, dx);
	if (shown < w->nthreads && r.h > 1)
		grid_printf(g, r.x + 1, r.y + 1 + (int)shown, r.w - 1,
			    (struct cell_style){ .attr = GA_DIM }, "+%zu more threads",
			    w->nthreads - shown);
}

const struct view view_threads = {
	.name = "threads",
	.draw = threads_draw,
};
