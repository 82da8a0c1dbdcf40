/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * view_threads.c - the thread table: letter, name, share of the window spent
 * holding and waiting for the lock, acquisitions in the window, and what
 * each thread is doing at the window's right edge. Ordered by st->sort
 * (its column is marked in the header), scrolled from st->thr_top; the
 * header says which rows show and what the shares are of.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/fmt.h"
#include "tui/view.h"
#include "util/search.h"

enum { X_NAME = 2, X_HOLD = 19, X_WAIT = 27, X_ACQ = 35, X_STATE = 43, X_CPU = 61, X_END = 68 };
#define NAME_W 16		/* the name column, widened for longer (Python) names */
#define NAME_W_MAX 40

struct order_ctx {
	const struct tl_window *win;
	uint8_t key;			/* enum tui_sort */
};

static uint64_t key_of(const struct tl_thread *t, uint8_t key)
{
	switch (key) {
	case TUI_SORT_HOLD: return t->hold_ns;
	case TUI_SORT_WAIT: return t->wait_ns;
	case TUI_SORT_ACQ: return t->acquisitions;
	case TUI_SORT_CPU: return t->cpu_ns;
	default: return 0;
	}
}

/* The most first; ties (and the name order) then by first seen, so the
 * order does not depend on how the window listed them. */
static int cmp_order(const void *a, const void *b, void *arg)
{
	const struct order_ctx *o = arg;
	const struct tl_thread *x = &o->win->threads[*(const uint32_t *)a];
	const struct tl_thread *y = &o->win->threads[*(const uint32_t *)b];
	uint64_t kx = key_of(x, o->key), ky = key_of(y, o->key);
	int c;

	if ((c = cmp_u64(ky, kx)))
		return c;
	if (o->key == TUI_SORT_NAME && (c = strncmp(x->name, y->name, sizeof(x->name))))
		return c;
	return cmp_u64(x->index, y->index);
}

size_t tui_thread_order(const struct tl_window *win, uint8_t sort, uint32_t *order)
{
	size_t n = win->nthreads < TUI_THREADS_MAX ? win->nthreads : TUI_THREADS_MAX;

	for (size_t i = 0; i < n; i++)
		order[i] = (uint32_t)i;
	if (sort != TUI_SORT_LETTER && n > 1) {
		struct order_ctx o = { win, sort };

		qsort_r(order, n, sizeof(*order), cmp_order, &o);
	}
	return n;
}

size_t view_threads_top(size_t n, int h, uint32_t top)
{
	size_t rows = h > 1 ? (size_t)h - 1 : 0;

	if (n <= rows)
		return 0;
	return top > n - rows ? n - rows : top;
}

static const struct {
	int x;
	const char *title;
	uint8_t sort;
} cols[] = {
	{ X_HOLD + 1, "hold", TUI_SORT_HOLD },
	{ X_WAIT + 1, "wait", TUI_SORT_WAIT },
	{ X_ACQ + 2, "acq", TUI_SORT_ACQ },
};

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
static int name_extra(const struct tl_window *w, const uint32_t *order, size_t top,
		      size_t shown, int width)
{
	int longest = 0, room = width - 1 - X_END;

	for (size_t i = 0; i < shown; i++) {
		int n = cells(w->threads[order[top + i]].name);

		if (n > longest)
			longest = n;
	}
	if (longest > NAME_W_MAX)
		longest = NAME_W_MAX;
	longest -= NAME_W;
	return longest < 0 || room < 0 ? 0 : longest < room ? longest : room;
}

static void header(const struct view_ctx *c, struct grid *g, struct tui_rect r,
		   size_t top, size_t shown, size_t n, int dx)
{
	const struct tl_window *w = c->win;
	struct cell_style dim = { .attr = GA_DIM }, mark = { .attr = GA_BOLD };
	char title[48], note[128], len[32], a[32], b[32];
	bool focus = c->st->focus == TUI_FOCUS_THREADS;
	int x;

	view_rule(c, g, r.x, r.y, r.w, "threads");
	if (focus)	/* where j/k and the page keys go */
		grid_style(g, r.x + 2, r.y, 7, (struct cell_style){ .attr = GA_BOLD | GA_REVERSE });
	/* the column the table is sorted by, marked */
	for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++) {
		bool on = c->st->sort == cols[i].sort;

		grid_printf(g, r.x + dx + cols[i].x, r.y, -1, on ? mark : dim, " %s%s ", cols[i].title,
			    !on ? "" : c->st->ascii ? "v" : "\u2193");
	}
	x = r.x + dx + X_STATE;
	x += grid_print(g, x, r.y, -1, dim, " now ");
	if (shown < n) {	/* which rows show (the table scrolls) */
		snprintf(title, sizeof(title), " %zu-%zu of %zu ", top + 1, top + shown, n);
		x += grid_print(g, x + 1, r.y, -1, mark, title) + 1;
	}
	if (c->st->sort == TUI_SORT_CPU || c->st->sort == TUI_SORT_NAME)
		x += grid_printf(g, x + 1, r.y, -1, mark, " by %s ",
				 c->st->sort == TUI_SORT_CPU ? "cpu time" : "name") + 1;
	/* what the shares are of: the window's part with data */
	fmt_duration(len, sizeof(len), w->t1 > w->t0 ? w->t1 - w->t0 : 0);
	view_fmt_time(c, w->t0, a, sizeof(a));
	view_fmt_time(c, w->t1, b, sizeof(b));
	snprintf(note, sizeof(note), " %% of %s, %s to %s ", len, a, b);
	if ((int)strlen(note) < r.x + r.w - x - 2)
		grid_print(g, r.x + r.w - 1 - (int)strlen(note), r.y, -1, dim, note);
	else if ((int)strlen(len) + 7 < r.x + r.w - x - 2)
		grid_printf(g, r.x + r.w - 8 - (int)strlen(len), r.y, -1, dim, " %% of %s ", len);
}

static void row(const struct view_ctx *c, struct grid *g, int x, int y, int w,
		const struct tl_thread *t, uint64_t span, int dx)
{
	struct cell_style plain = STYLE_PLAIN;
	struct cell_style me = view_thread_style(c, t, true);

	if (c->st->highlight_tid == t->tid)
		plain.attr = me.attr = GA_REVERSE | GA_BOLD;
	grid_fill(g, x, y, w, 1, ' ', plain);
	grid_put(g, x, y, view_letter(c, t, false), me);
	if (t->name[0])
		grid_print(g, x + X_NAME, y, NAME_W + dx, me, t->name);
	else
		grid_printf(g, x + X_NAME, y, NAME_W + dx, me, "tid %" PRIu32, t->tid);
	x += dx;
	grid_printf(g, x + X_HOLD, y, -1, plain, "%5.1f %%", 100.0 * t->hold_ns / span);
	grid_printf(g, x + X_WAIT, y, -1, plain, "%5.1f %%", 100.0 * t->wait_ns / span);
	grid_printf(g, x + X_ACQ, y, -1, plain, "%6" PRIu32, t->acquisitions);
	if (!view_handoff_now(c, g, x + X_STATE, y, X_CPU - 1 - X_STATE, t, plain))
		grid_print(g, x + X_STATE, y, 17, plain, view_state_words(t->state));
	if (t->cpu >= 0 && t->state != MS_EXITED)
		grid_printf(g, x + X_CPU, y, -1, plain, "CPU%" PRId32, t->cpu);
}

static void threads_draw(const struct view_ctx *c, struct grid *g, struct tui_rect r)
{
	const struct tl_window *w = c->win;
	uint64_t span = w->t1 > w->t0 ? w->t1 - w->t0 : 1;
	uint32_t order[TUI_THREADS_MAX];
	size_t n = tui_thread_order(w, c->st->sort, order);
	size_t top = view_threads_top(n, r.h, c->st->thr_top);
	size_t shown = r.h > 1 ? (size_t)r.h - 1 : 0;

	if (shown > n - top)
		shown = n - top;
	int dx = name_extra(w, order, top, shown, r.w);

	header(c, g, r, top, shown, n, dx);
	if (!n) {
		if (r.h > 1)
			grid_print(g, r.x + 1, r.y + 1, r.w - 1, (struct cell_style){ .attr = GA_DIM },
				   "no threads seen yet");
		return;
	}
	for (size_t i = 0; i < shown; i++)
		row(c, g, r.x + 1, r.y + 1 + (int)i, r.w - 1, &w->threads[order[top + i]], span, dx);
}

const struct view view_threads = {
	.name = "threads",
	.draw = threads_draw,
};
