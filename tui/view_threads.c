/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * view_threads.c - the thread table: letter, name, share of the window spent
 * holding and waiting for the lock, acquisitions in the window, and what
 * each thread is doing at the window's right edge.
 */
#include <inttypes.h>
#include <stdio.h>
#include "tui/view.h"

enum { X_NAME = 2, X_HOLD = 19, X_WAIT = 27, X_ACQ = 35, X_STATE = 43, X_CPU = 61 };

static void header(const struct view_ctx *c, struct grid *g, struct tui_rect r)
{
	struct cell_style dim = { .attr = GA_DIM };

	view_rule(c, g, r.x, r.y, r.w, "threads");
	grid_print(g, r.x + X_HOLD + 1, r.y, -1, dim, " hold ");
	grid_print(g, r.x + X_WAIT + 1, r.y, -1, dim, " wait ");
	grid_print(g, r.x + X_ACQ + 2, r.y, -1, dim, " acq ");
	grid_print(g, r.x + X_STATE, r.y, -1, dim, " now ");
}

static void row(const struct view_ctx *c, struct grid *g, int x, int y, int w,
		const struct tl_thread *t, uint64_t span)
{
	struct cell_style plain = STYLE_PLAIN;
	struct cell_style me = view_thread_style(c, t, true);

	if (c->st->highlight_tid == t->tid)
		plain.attr = me.attr = GA_REVERSE | GA_BOLD;
	grid_fill(g, x, y, w, 1, ' ', plain);
	grid_put(g, x, y, view_letter(t), me);
	if (t->name[0])
		grid_print(g, x + X_NAME, y, 16, me, t->name);
	else
		grid_printf(g, x + X_NAME, y, 16, me, "tid %" PRIu32, t->tid);
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

	header(c, g, r);
	if (!w->nthreads) {
		if (r.h > 1)
			grid_print(g, r.x + 1, r.y + 1, r.w - 1, (struct cell_style){ .attr = GA_DIM },
				   "no threads seen yet");
		return;
	}
	for (size_t i = 0; i < shown; i++)
		row(c, g, r.x + 1, r.y + 1 + (int)i, r.w - 1, &w->threads[i], span);
	if (shown < w->nthreads && r.h > 1)
		grid_printf(g, r.x + 1, r.y + 1 + (int)shown, r.w - 1,
			    (struct cell_style){ .attr = GA_DIM }, "+%zu more threads",
			    w->nthreads - shown);
}

const struct view view_threads = {
	.name = "threads",
	.draw = threads_draw,
};
