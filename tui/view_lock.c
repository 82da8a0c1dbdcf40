/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * view_lock.c - the lock lane (the holder's letter in every column, a dot
 * where nobody holds it), the wait lane (who waits for it) and a ruler with
 * the window's first and last time, the scale, and ticks at round times.
 */
#include <stdio.h>
#include <string.h>
#include "util/fmt.h"
#include "tui/view.h"

static bool is_wait(const struct view_ctx *c, const struct model_span *s, uintptr_t arg)
{
	(void)c;
	(void)arg;
	return s->kind == SPAN_WAIT;
}

/* A hold of the lock in lane arg; the last lane also takes the locks that
 * did not get one of their own. */
static bool is_hold(const struct view_ctx *c, const struct model_span *s, uintptr_t arg)
{
	size_t l;

	if (s->kind != SPAN_HOLD)
		return false;
	l = tl_lock_lane(c->win, s);
	return l == arg || (arg == (uintptr_t)c->lock_lanes - 1 && l > arg);
}

static void lane(const struct view_ctx *c, struct grid *g, int x, int y, int kind, int n)
{
	struct lane_col cols[LANE_MAX];
	struct cell_style gap = { .attr = GA_DIM };

	uint64_t t0 = view_lane_t0(c);

	view_lane(c, cols, kind == SPAN_HOLD ? is_hold : is_wait, (uintptr_t)n);
	for (int k = 0; k < c->lane_w; k++) {
		const struct model_span *s = cols[k].s;
		const struct tl_thread *t = s ? view_thread(c, s->tid) : NULL;

		if (!s) {
			/* nobody holds it: a dot, up to "now" (after it: blank) */
			if (kind == SPAN_HOLD && t0 + (uint64_t)k * c->st->ns_per_col < c->win->t1)
				grid_put(g, x + k, y, view_glyph(c, 0x00b7, '.'), gap);
			continue;
		}
		grid_put(g, x + k, y, view_letter(c, t, kind != SPAN_HOLD),
			 view_thread_style(c, t, kind == SPAN_HOLD));
	}
}

#define TICK_COLS 10	/* ticks at least this many columns apart */

/* The tick spacing: the first of 1, 2, 5, 10, 20... ns at least TICK_COLS
 * columns wide, so ticks fall on round times. */
static uint64_t tick_ns(uint64_t ns_per_col)
{
	static const uint64_t m[] = { 1, 2, 5 };

	for (uint64_t p = 1;; p *= 10)
		for (size_t i = 0; i < 3; i++)
			if (p * m[i] >= TICK_COLS * ns_per_col)
				return p * m[i];
}

/* a / b rounded down, for times before the origin too */
static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static void ruler(const struct view_ctx *c, struct grid *g, int x, int y)
{
	struct cell_style dim = { .attr = GA_DIM };
	uint64_t t0 = view_lane_t0(c), npc = c->st->ns_per_col, tick = tick_ns(npc);
	char a[32], b[32], scale[32], ticks[32], mid[3][128];
	int n, nmid = 0;

	grid_fill(g, x, y, c->lane_w, 1, view_glyph(c, 0x2500, '-'), dim);
	for (int k = 1; k < c->lane_w - 1; k++) {
		/* the column [cs, cs + npc) holds a multiple of tick */
		int64_t cs = (int64_t)(t0 + (uint64_t)k * npc - c->st->origin_ns);

		if (floor_div(cs + (int64_t)npc - 1, (int64_t)tick) != floor_div(cs - 1, (int64_t)tick))
			grid_put(g, x + k, y, view_glyph(c, 0x2534, '+'), dim);
	}
	grid_put(g, x, y, view_glyph(c, 0x2514, '\''), dim);
	grid_put(g, x + c->lane_w - 1, y, view_glyph(c, 0x2518, '\''), dim);
	view_fmt_time(c, t0, a, sizeof(a));
	view_fmt_time(c, t0 + (uint64_t)c->lane_w * npc, b, sizeof(b));	/* t1 unless near boot */
	fmt_duration(scale, sizeof(scale), npc);
	fmt_duration(ticks, sizeof(ticks), tick);
	grid_printf(g, x + 1, y, c->lane_w - 2, dim, " %s ", a);
	n = (int)strlen(b) + 2;
	if (c->lane_w > 2 * n + 4)
		grid_printf(g, x + c->lane_w - 1 - n, y, n, dim, " %s ", b);
	/* the middle: the most of scale, hidden CPUs and ticks that fits */
	if (c->cpus_hidden) {
		snprintf(mid[nmid++], sizeof(mid[0]), " 1 col = %s, ticks %s, %d other CPUs not shown ",
			 scale, ticks, c->cpus_hidden);
		snprintf(mid[nmid++], sizeof(mid[0]), " 1 col = %s, %d other CPUs not shown ",
			 scale, c->cpus_hidden);
	} else {
		snprintf(mid[nmid++], sizeof(mid[0]), " 1 col = %s, ticks %s ", scale, ticks);
	}
	snprintf(mid[nmid++], sizeof(mid[0]), " 1 col = %s ", scale);
	for (int i = 0; i < nmid; i++) {
		n = (int)strlen(mid[i]);
		if (c->lane_w > 2 * n + 2 && c->lane_w - n > 2 * (int)strlen(b) + 8) {
			grid_print(g, x + (c->lane_w - n) / 2, y, n, dim, mid[i]);
			break;
		}
	}
}

static void lock_draw(const struct view_ctx *c, struct grid *g, struct tui_rect r)
{
	struct cell_style label = { .attr = GA_BOLD };
	int x = r.x + c->label_w, n = c->lock_lanes;

	for (int i = 0; i < n; i++) {
		if (n == 1)
			grid_print(g, r.x, r.y, c->label_w, label, "LOCK");
		else
			grid_printf(g, r.x, r.y + i, c->label_w, label, "LOCK%d", i + 1);
		lane(c, g, x, r.y + i, SPAN_HOLD, i);
	}
	if (r.h >= n + 1) {
		grid_print(g, r.x, r.y + n, c->label_w, (struct cell_style){ .attr = GA_DIM },
			   "wait");
		lane(c, g, x, r.y + n, SPAN_WAIT, 0);
	}
	if (r.h >= n + 2)
		ruler(c, g, x, r.y + n + 1);
}

const struct view view_lock = {
	.name = "lock",
	.draw = lock_draw,
};
