/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * view_events.c - the event log: the latest notable events before the right
 * edge of the window, newest at the bottom, each as the subject's letter and
 * a sentence in plain words (describe.h, via the timeline). Scrolled back
 * st->ev_back lines; only one thread's events when the timeline filters
 * them (st->ev_tid), which the rule says.
 */
#include <inttypes.h>
#include <stdio.h>
#include "tui/view.h"

static void title(const struct view_ctx *c, struct grid *g, struct tui_rect r,
		  size_t back, size_t n)
{
	const struct tl_thread *t = c->st->ev_tid ? view_thread(c, c->st->ev_tid) : NULL;
	char buf[96], who[40];
	int len = 0;

	if (c->st->ev_tid) {
		if (t && t->name[0])
			snprintf(who, sizeof(who), "%.16s", t->name);
		else
			snprintf(who, sizeof(who), "tid %" PRIu32, c->st->ev_tid);
	}
	len = snprintf(buf, sizeof(buf), "events%s%s%s", c->st->ev_tid ? " of " : "",
		       c->st->ev_tid ? who : "", c->st->ev_tid ? " only (e: all)" : "");
	if (back && len > 0 && (size_t)len < sizeof(buf))
		snprintf(buf + len, sizeof(buf) - (size_t)len, ", %zu newer below of %zu", back, n);
	view_rule(c, g, r.x, r.y, r.w, buf);
	if (c->st->focus == TUI_FOCUS_EVENTS)
		grid_style(g, r.x + 2, r.y, 6, (struct cell_style){ .attr = GA_BOLD | GA_REVERSE });
}

static void events_draw(const struct view_ctx *c, struct grid *g, struct tui_rect r)
{
	const struct tl_window *w = c->win;
	struct cell_style dim = { .attr = GA_DIM };
	size_t n = w->nlog, shown = r.h > 1 ? (size_t)r.h - 1 : 0, back = c->st->ev_back;

	/* scrolled back at most to a full page of the oldest lines */
	if (shown > n)
		shown = n;
	if (back > n - shown)
		back = n - shown;
	title(c, g, r, back, n);
	for (size_t i = 0; i < shown; i++) {
		const struct tl_note *e = &w->log[n - back - shown + i];
		const struct tl_thread *t = view_thread(c, e->ev.tid);
		struct cell_style text = STYLE_PLAIN;
		int y = r.y + 1 + (int)i, x = r.x + 1;
		char ts[32];

		view_fmt_time(c, e->ev.ts_ns, ts, sizeof(ts));
		x += grid_printf(g, x, y, r.w - 1, dim, "%11s ", ts);
		if (t)
			grid_put(g, x, y, view_letter(c, t, false), view_thread_style(c, t, true));
		x += 2;
		if (e->ev.type == GS_EV_LOST) {
			text.fg = c->st->color ? GC_RED : 0;
			text.attr = GA_BOLD;
		}
		grid_print(g, x, y, r.x + r.w - x, text, e->text);
	}
	if (!n && r.h > 1)
		grid_print(g, r.x + 1, r.y + 1, r.w - 1, dim, c->st->ev_tid ?
			   "no events of this thread in view yet" : "no lock events in view yet");
}

const struct view view_events = {
	.name = "events",
	.draw = events_draw,
};
