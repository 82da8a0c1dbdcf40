/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * render.c - layout: split the grid into the views' rectangles and let each
 * view draw (see tui.h). Also the helpers every view shares (view.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "tui/view.h"

#define LABEL_W 6		/* "CPU12 " */

static const uint8_t palette[] = {
	GC_CYAN, GC_GREEN, GC_YELLOW, GC_MAGENTA, GC_BLUE, GC_RED,
};

int tui_lane_cols(int w)
{
	int n = w - LABEL_W;

	if (n < 1)
		n = 1;
	return n > LANE_MAX ? LANE_MAX : n;
}

const struct tl_thread *view_thread(const struct view_ctx *c, uint32_t tid)
{
	for (size_t i = 0; i < c->win->nthreads; i++)
		if (c->win->threads[i].tid == tid)
			return &c->win->threads[i];
	return NULL;
}

/* Beyond A..Z and 0..9, letters that look like no Latin one and have a
 * lower case one code point +0x20 away: Greek, then Cyrillic (neither twice
 * the same shape, nor a digit's). */
static const uint16_t extra_letters[] = {
	0x0393, 0x0394, 0x0398, 0x039b, 0x039e, 0x03a0, 0x03a3, 0x03a6, 0x03a8, 0x03a9,
	0x0411, 0x0414, 0x0416, 0x0418, 0x041b, 0x0426, 0x0427, 0x0428, 0x042b, 0x042c,
	0x042d, 0x042e, 0x042f,
};

size_t view_letters(const struct view_ctx *c)
{
	return 36 + (c->st->ascii ? 0 : sizeof(extra_letters) / sizeof(extra_letters[0]));
}

uint32_t view_letter(const struct view_ctx *c, const struct tl_thread *t, bool lower)
{
	if (!t)
		return '?';
	if (t->index < 26)
		return (lower ? 'a' : 'A') + t->index;
	if (t->index < 36)
		return '0' + t->index - 26;
	if (t->index < view_letters(c))
		return extra_letters[t->index - 36] + (lower ? 0x20 : 0);
	return '*';
}

struct cell_style view_thread_style(const struct view_ctx *c,
				    const struct tl_thread *t, bool bold)
{
	struct cell_style st = STYLE_PLAIN;

	if (c->st->color)
		st.fg = t ? palette[t->index % sizeof(palette)] : GC_WHITE;
	if (!t)
		st.attr |= GA_DIM;
	else if (bold)
		st.attr |= GA_BOLD;
	if (c->st->highlight_tid && (!t || t->tid != c->st->highlight_tid))
		st.attr = (st.attr & ~GA_BOLD) | GA_DIM;
	return st;
}

uint32_t view_glyph(const struct view_ctx *c, uint32_t ch, uint32_t ascii)
{
	return c->st->ascii ? ascii : ch;
}

void view_rule(const struct view_ctx *c, struct grid *g, int x, int y, int w,
	       const char *title)
{
	struct cell_style dim = { .attr = GA_DIM };
	uint32_t h = view_glyph(c, 0x2500, '-');
	int n;

	grid_fill(g, x, y, w, 1, h, dim);
	if (!title)
		return;
	n = grid_print(g, x + 2, y, w - 3, (struct cell_style){ .attr = GA_BOLD }, title);
	grid_put(g, x + 1, y, ' ', dim);
	grid_put(g, x + 2 + n, y, ' ', dim);
}

void view_fmt_time(const struct view_ctx *c, uint64_t ts, char *buf, size_t len)
{
	uint64_t o = c->st->origin_ns;
	int digits = 3;

	/* about one digit finer than a column: 1 ms -> 0.1 ms, 10 us -> 1 us */
	for (uint64_t q = 10000000; q > c->st->ns_per_col && digits < 6; q /= 10)
		digits++;
	if (ts >= o)
		snprintf(buf, len, "%.*f s", digits, (ts - o) / 1e9);
	else
		snprintf(buf, len, "-%.*f s", digits, (o - ts) / 1e9);
}

const char *view_state_words(uint8_t state)
{
	switch (state) {
	case MS_SLEEPING: return "sleeping";
	case MS_RUNNABLE: return "runnable";
	case MS_WAITING: return "waits for lock";
	case MS_RUNNING_LOCKED: return "runs, holds lock";
	case MS_RUNNING_FREE: return "runs, no lock";
	case MS_EXITED: return "exited";
	default: return "?";
	}
}

/* Ties go to the span that ends first (of two waiters, the one served
 * next), then to the lower tid: the picture does not depend on the order
 * of the spans. */
static bool earlier(const struct model_span *a, const struct model_span *b)
{
	if (a->end_ns != b->end_ns)
		return a->end_ns < b->end_ns;
	return a->tid < b->tid;
}

uint64_t view_lane_t0(const struct view_ctx *c)
{
	/* the window never begins before the first event (tui.h): then it is
	 * narrower than the lanes, which begin with it and end after t1 */
	return c->win->t0;
}

void view_lane(const struct view_ctx *c, struct lane_col *cols,
	       bool (*match)(const struct view_ctx *c, const struct model_span *s,
			     uintptr_t arg),
	       uintptr_t arg)
{
	uint64_t npc = c->st->ns_per_col;
	uint64_t t0 = view_lane_t0(c);
	int w = c->lane_w;

	memset(cols, 0, (size_t)w * sizeof(*cols));
	for (size_t i = 0; i < c->win->nspans; i++) {
		const struct model_span *s = &c->win->spans[i];
		uint64_t a, b;
		int c0, c1;

		if (s->end_ns <= t0 || !match(c, s, arg))
			continue;
		a = s->start_ns > t0 ? s->start_ns : t0;
		b = s->end_ns;
		if (b <= a)	/* empty (a request granted at once): covers nothing */
			continue;
		c0 = (int)((a - t0) / npc);
		c1 = (int)((b - 1 - t0) / npc);
		if (c1 >= w)
			c1 = w - 1;
		for (int k = c0; k <= c1; k++) {
			uint64_t cs = t0 + (uint64_t)k * npc, ce = cs + npc;
			uint64_t ov = (b < ce ? b : ce) - (a > cs ? a : cs);

			if (ov > cols[k].ov || (ov == cols[k].ov && earlier(s, cols[k].s))) {
				cols[k].ov = ov;
				cols[k].s = s;
			}
		}
	}
}

static void too_small(struct grid *g)
{
	char msg[96];
	int n;

	snprintf(msg, sizeof(msg), "terminal too small: %dx%d, need %dx%d",
		 g->w, g->h, TUI_MIN_W, TUI_MIN_H);
	n = (int)strlen(msg);
	grid_print(g, n < g->w ? (g->w - n) / 2 : 0, g->h / 2 - (g->h > 1), g->w,
		   (struct cell_style){ .attr = GA_BOLD }, msg);
	if (g->h > 1)
		grid_print(g, g->w > 26 ? (g->w - 26) / 2 : 0, g->h / 2, g->w,
			   STYLE_PLAIN, "resize the window, q quits");
}

/* Rows of wrapped panel text for width w (without the border). */
static int panel_fit_rows(const char *text, int w)
{
	int rows = 0, col = 0;

	for (const char *p = text; *p; p++) {
		if (*p == '\n' || col >= w) {
			rows++;
			col = 0;
			if (*p == '\n')
				continue;
		}
		col++;
	}
	return rows + 1;
}

/* Which CPUs get a strip: all of them if they fit in budget rows, else
 * those where the traced program ran in the window (the rest are counted
 * as hidden). */
static int pick_cpus(const struct tl_window *win, int budget, uint16_t *ids, int *hidden)
{
	bool active[CPU_MAX] = { false };
	int ncpus = win->ncpus < CPU_MAX ? (int)win->ncpus : CPU_MAX, n = 0;

	if (budget < 1)
		budget = 1;
	if (ncpus <= budget) {
		for (int c = 0; c < ncpus; c++)
			ids[n++] = (uint16_t)c;
		*hidden = (int)win->ncpus - n;
		return n;
	}
	for (size_t i = 0; i < win->nspans; i++) {
		const struct model_span *s = &win->spans[i];

		if (s->kind == SPAN_CPU && !(s->flags & SPAN_F_OTHER) && s->cpu < CPU_MAX)
			active[s->cpu] = true;
	}
	for (int c = 0; c < ncpus && n < budget; c++)
		if (active[c])
			ids[n++] = (uint16_t)c;
	if (!n)
		ids[n++] = 0;
	*hidden = (int)win->ncpus - n;
	return n;
}

/* Where each view goes on a w x h screen: tui_render draws it, tui_hit
 * reads it, so a click lands on what was drawn. */
struct layout {
	struct view_ctx c;
	uint16_t cpus[CPU_MAX];
	int cpu_y, lock_y, lock_rows, thr_y, thr_rows, ev_y, ev_rows, panel_y, panel_rows;
};

static void layout(const struct tl_window *win, const struct tui_state *st, int w, int h,
		   struct layout *L)
{
	int y = 1, cpu_rows, rem, share;
	size_t nthr = win->nthreads ? win->nthreads : 1;

	L->c = (struct view_ctx){ .win = win, .st = st, .cpus = L->cpus };
	L->c.label_w = LABEL_W;
	L->c.lane_w = tui_lane_cols(w);
	L->panel_rows = 0;
	h -= 2;			/* status line, key line */
	if (st->panel) {
		L->panel_rows = st->panel_rows ? st->panel_rows :
				panel_fit_rows(st->panel, w - 4) + 2;
		if (L->panel_rows > h / 2)
			L->panel_rows = h / 2;
		h -= L->panel_rows;
	}
	/* CPUs first, then the lock lane and a thread, then the rest */
	/* with many CPUs, half the screen at most goes to strips */
	cpu_rows = (int)win->ncpus <= h - 3 ? (int)win->ncpus : h / 2;
	cpu_rows = pick_cpus(win, cpu_rows, L->cpus, &L->c.cpus_hidden);
	L->c.cpu_rows = cpu_rows;
	rem = h - cpu_rows;
	/* a lane per lock (forked processes have one each), then the wait
	 * lane and the ruler if there is room */
	L->c.lock_lanes = win->nlocks > 1 ? (int)win->nlocks : 1;
	if (L->c.lock_lanes > rem - 3)
		L->c.lock_lanes = rem - 3 > 1 ? rem - 3 : 1;
	L->lock_rows = L->c.lock_lanes +
		       (rem - L->c.lock_lanes >= 8 ? 2 : rem - L->c.lock_lanes >= 5 ? 1 : 0);
	rem -= L->lock_rows;
	/* the table gets what it needs, short of a quarter of the rest for
	 * the log (3 rows at least); with the focus on the log, the log
	 * gets two thirds; both scroll */
	if (st->focus == TUI_FOCUS_EVENTS)
		share = rem / 3 > 2 ? rem / 3 : 2;
	else
		share = rem - (rem >= 12 ? rem / 4 : rem >= 6 ? 3 : 0);
	L->thr_rows = (int)nthr + 1;
	if (L->thr_rows > share)
		L->thr_rows = share;
	if (L->thr_rows > rem)
		L->thr_rows = rem;
	rem -= L->thr_rows;
	L->ev_rows = rem;
	L->cpu_y = y;
	L->lock_y = y += cpu_rows;
	L->thr_y = y += L->lock_rows;
	L->ev_y = y += L->thr_rows > 0 ? L->thr_rows : 0;
	L->panel_y = y + (rem > 0 ? rem : 0);
}

void tui_pane_rows(const struct tl_window *win, const struct tui_state *st, int w, int h,
		   int *thread_rows, int *event_rows)
{
	struct layout L;

	*thread_rows = *event_rows = 0;
	if (!win || !st || w < TUI_MIN_W || h < TUI_MIN_H)
		return;
	layout(win, st, w, h, &L);
	*thread_rows = L.thr_rows > 0 ? L.thr_rows : 0;
	*event_rows = L.ev_rows > 0 ? L.ev_rows : 0;
}

int tui_render(const struct tl_window *win, const struct tui_state *st,
	       struct grid *g)
{
	struct layout L;
	const struct view_ctx *c = &L.c;

	if (!win || !st || !g || !st->ns_per_col)
		return -EINVAL;
	grid_clear(g);
	if (g->w < TUI_MIN_W || g->h < TUI_MIN_H) {
		too_small(g);
		return 0;
	}
	layout(win, st, g->w, g->h, &L);
	view_status.draw(c, g, (struct tui_rect){ 0, 0, g->w, 1 });
	view_cores.draw(c, g, (struct tui_rect){ 0, L.cpu_y, g->w, c->cpu_rows });
	view_lock.draw(c, g, (struct tui_rect){ 0, L.lock_y, g->w, L.lock_rows });
	if (L.thr_rows > 0)
		view_threads.draw(c, g, (struct tui_rect){ 0, L.thr_y, g->w, L.thr_rows });
	if (L.ev_rows > 0)
		(st->funcs ? &view_funcs : &view_events)->draw(c, g,
				(struct tui_rect){ 0, L.ev_y, g->w, L.ev_rows });
	if (L.panel_rows)
		view_panel.draw(c, g, (struct tui_rect){ 0, L.panel_y, g->w, L.panel_rows });
	view_keys.draw(c, g, (struct tui_rect){ 0, g->h - 1, g->w, 1 });
	if (st->help)
		view_help.draw(c, g, (struct tui_rect){ 0, 1, g->w, g->h - 2 });
	return 0;
}

int tui_hit(const struct tl_window *win, const struct tui_state *st, int w, int h,
	    int x, int y, struct tui_hit *hit)
{
	struct layout L;
	int row;

	if (!win || !st || !hit || !st->ns_per_col)
		return -EINVAL;
	*hit = (struct tui_hit){ .kind = TUI_HIT_NONE };
	if (w < TUI_MIN_W || h < TUI_MIN_H || x < 0 || y < 0 || x >= w || y >= h || st->help)
		return 0;
	layout(win, st, w, h, &L);
	if (y >= L.cpu_y && y < L.thr_y && x >= L.c.label_w &&
	    x < L.c.label_w + L.c.lane_w) {
		/* the strips, the lock and wait lanes and the ruler share columns */
		hit->kind = TUI_HIT_TIME;
		hit->ts_ns = view_lane_t0(&L.c) + (uint64_t)(x - L.c.label_w) * st->ns_per_col;
		return 0;
	}
	row = y - L.thr_y - 1;	/* below the table's header */
	if (L.thr_rows > 0 && row >= 0 && y < L.thr_y + L.thr_rows) {
		uint32_t order[TUI_THREADS_MAX];
		size_t n = tui_thread_order(win, st->sort, order);
		size_t top = view_threads_top(n, L.thr_rows, st->thr_top);

		if ((size_t)row < n - top && row < L.thr_rows - 1) {
			hit->kind = TUI_HIT_THREAD;
			hit->tid = win->threads[order[top + (size_t)row]].tid;
		}
	}
	return 0;
}
