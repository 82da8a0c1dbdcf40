/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * view_funcs.c - the Python functions panel (key p), in the event log's
 * place: for the highlighted thread (else the one that held the lock
 * longest in the window), the functions it held the GIL in (the function
 * running when it let go) and those it waited in (the function that
 * asked), each with its share of the thread's hold or wait time in the
 * window, its count and where it is. Side by side when there is room,
 * else one after the other.
 */
#include <inttypes.h>
#include <stdio.h>
#include "tui/view.h"
#include "util/fmt.h"

/* The thread the panel is about. */
static const struct tl_thread *subject(const struct view_ctx *c)
{
	const struct tl_window *w = c->win;
	const struct tl_thread *best = NULL;

	if (c->st->highlight_tid && (best = view_thread(c, c->st->highlight_tid)))
		return best;
	for (size_t i = 0; i < w->nthreads; i++)
		if (!best || w->threads[i].hold_ns > best->hold_ns)
			best = &w->threads[i];
	return best;
}

/* One kind's rows at (x, y), w wide, at most h of them; returns rows used. */
static int column(const struct view_ctx *c, struct grid *g, int x, int y, int w, int h,
		  const struct tl_thread *t, bool wait)
{
	const struct tl_window *win = c->win;
	struct cell_style dim = { .attr = GA_DIM }, bold = { .attr = GA_BOLD };
	uint64_t whole = wait ? t->wait_ns : t->hold_ns;
	int row = 0;

	if (h < 1)
		return 0;
	grid_print(g, x, y, w, bold, wait ? "waits for the GIL in" : "holds the GIL in");
	for (size_t i = 0; i < win->nfuncs && row + 1 < h; i++) {
		const struct tl_func *f = &win->funcs[i];
		char pc[16], d[24];
		int n;

		if (f->tid != t->tid || f->wait != wait)
			continue;
		row++;
		fmt_percent(pc, sizeof(pc), f->ns, whole);
		n = grid_printf(g, x, y + row, w, STYLE_PLAIN, "%7s %8s %5" PRIu32 "x  ", pc,
				fmt_duration(d, sizeof(d), f->ns), f->count);
		n += grid_print(g, x + n, y + row, w - n, view_thread_style(c, t, false), f->name);
		if (f->where[0] && n + 2 < w)
			grid_print(g, x + n + 2, y + row, w - n - 2, dim, f->where);
	}
	if (!row && h > 1)
		grid_print(g, x + 2, y + 1, w - 2, dim, wait ? "no waits in view" : "no holds in view");
	return row + 1;
}

static void funcs_draw(const struct view_ctx *c, struct grid *g, struct tui_rect r)
{
	const struct tl_thread *t = subject(c);
	struct cell_style dim = { .attr = GA_DIM };
	char title[120];

	if (t)
		snprintf(title, sizeof(title), "Python functions of %s (tid %" PRIu32 ") - p closes",
			 t->name[0] ? t->name : "a thread", t->tid);
	else
		snprintf(title, sizeof(title), "Python functions - p closes");
	view_rule(c, g, r.x, r.y, r.w, title);
	if (r.h < 2)
		return;
	if (!c->win->nfuncs || !t) {
		grid_print(g, r.x + 1, r.y + 1, r.w - 1, dim,
			   c->win->nfuncs ? "no thread in view" :
			   "no Python functions in view (recorded with --python on CPython?)");
		return;
	}
	if (r.w >= 100) {	/* side by side */
		int half = (r.w - 2) / 2;

		column(c, g, r.x + 1, r.y + 1, half - 1, r.h - 1, t, false);
		column(c, g, r.x + 1 + half, r.y + 1, r.w - 2 - half, r.h - 1, t, true);
		return;
	}
	int used = column(c, g, r.x + 1, r.y + 1, r.w - 1, (r.h - 1 + 1) / 2, t, false);

	column(c, g, r.x + 1, r.y + 1 + used, r.w - 1, r.h - 1 - used, t, true);
}

const struct view view_funcs = {
	.name = "funcs",
	.draw = funcs_draw,
};
