/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* view_status.c - the top line: what is traced, mode, time, scale, speed, loss,
 * whether the window was too dense to draw span by span, and what tracing
 * costs the program. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "util/fmt.h"
#include "tui/view.h"

static void status_draw(const struct view_ctx *c, struct grid *g, struct tui_rect r)
{
	const struct tui_state *st = c->st;
	struct cell_style bar = { .attr = GA_REVERSE }, mode_st = bar;
	char right[192], t[32], scale[32], speed[32] = "", lost[96] = "", who[64] = "";
	char merged[32], cost[40] = "";
	const char *mode;
	int n, x;

	/* live and behind the newest events (a lesson after a pause): it
	 * plays up to them, then follows again */
	bool behind = st->mode == TUI_LIVE && !st->follow && c->win->t1 <= c->win->last_ns;

	if (st->paused) {
		mode = st->ascii ? "|| PAUSED" : "\u2016 PAUSED";
		mode_st.fg = st->color ? GC_YELLOW : 0;
	} else if (behind) {
		mode = c->win->ended ? (st->ascii ? "> PLAYING" : "\u25b6 PLAYING") :
				       (st->ascii ? "> CATCHING UP" : "\u25b6 CATCHING UP");
		mode_st.fg = st->color ? GC_GREEN : 0;
	} else if (st->mode == TUI_LIVE && c->win->ended) {
		mode = st->ascii ? "# ENDED" : "\u25a0 ENDED";
	} else if (st->mode == TUI_LIVE) {
		mode = st->ascii ? "* LIVE" : "\u25cf LIVE";
		mode_st.fg = st->color ? GC_RED : 0;
	} else {
		mode = st->ascii ? "> REPLAY" : "\u25b6 REPLAY";
		mode_st.fg = st->color ? GC_GREEN : 0;
	}
	mode_st.attr |= GA_BOLD;
	view_fmt_time(c, c->win->t1, t, sizeof(t));
	fmt_duration(scale, sizeof(scale), st->ns_per_col);
	if (st->mode == TUI_REPLAY || (behind && !st->paused))
		snprintf(speed, sizeof(speed), "   speed %s%g", st->ascii ? "x" : "\u00d7",
			 st->speed);
	if (c->win->lost)
		snprintf(lost, sizeof(lost), "   LOST %" PRIu64 " events", c->win->lost);
	if (c->win->merged_ns)	/* timeline.h: spans shorter than this merged */
		snprintf(lost + strlen(lost), sizeof(lost) - strlen(lost), "   DENSE: <%s merged",
			 fmt_duration(merged, sizeof(merged), c->win->merged_ns));
	if (st->cost)
		snprintf(cost, sizeof(cost), "   %s", st->cost);
	snprintf(right, sizeof(right), "   t=%s   1 col = %s%s", t, scale, speed);
	if (st->pid)
		snprintf(who, sizeof(who), " (pid %" PRIu32 ")", st->pid);

	grid_fill(g, r.x, r.y, r.w, 1, ' ', bar);
	x = r.x + 1;
	x += grid_print(g, x, r.y, -1, (struct cell_style){ .attr = GA_REVERSE | GA_BOLD },
			"gilscope");
	x += 2;
	/* the title gets what the rest leaves */
	n = r.w - (x - r.x) - (int)strlen(who) - (int)strlen(mode) - 4 -
	    (int)strlen(right) - (int)strlen(lost) - (int)strlen(cost);
	if (n > 0 && st->title) {
		int k = grid_print(g, x, r.y, n, bar, st->title);

		if (k == n && (int)strlen(st->title) > n)
			grid_put(g, x + n - 1, r.y, view_glyph(c, 0x2026, '~'), bar);
		x += k;
	}
	if (n > 0)
		x += grid_print(g, x, r.y, -1, bar, who);
	x += 3;
	x += grid_print(g, x, r.y, r.w - (x - r.x), mode_st, mode);
	x += grid_print(g, x, r.y, r.w - (x - r.x), bar, right);
	mode_st.fg = st->color ? GC_RED : 0;
	x += grid_print(g, x, r.y, r.w - (x - r.x), mode_st, lost);
	/* the cost: plain, or as an alert past the warning threshold */
	grid_print(g, x, r.y, r.w - (x - r.x), st->cost_warn ? mode_st : bar, cost);
}

const struct view view_status = {
	.name = "status",
	.draw = status_draw,
};
