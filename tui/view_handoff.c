/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * view_handoff.c - the marks of a hand-off (view.h), for the thread table
 * and the event log. Paused where a step stops (an event at t1 - 1), on an
 * acquisition that was a hand-off (win->handoff, counted as `report` counts
 * them), the acquirer's "now" reads "got lock from B", the releaser's
 * "handed lock to C", and the acquisition's log line ends "(hand-off from
 * B worker-1)": who made whom wait, at the moment it happens, each letter
 * in its thread's colour. Only paused: while time runs the right edge is
 * no event in particular.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "tui/view.h"

static const struct tl_handoff *shown(const struct view_ctx *c)
{
	const struct tl_handoff *h = &c->win->handoff;

	return c->st->paused && h->to_tid ? h : NULL;
}

/* words in bold (on base: a highlighted row stays reversed), then the other
 * thread's letter in its colour: the cells drawn */
static int words_letter(const struct view_ctx *c, struct grid *g, int x, int y, int w,
			const char *words, uint32_t tid, struct cell_style base)
{
	const struct tl_thread *o = view_thread(c, tid);
	struct cell_style bold = base, letter;
	int n;

	bold.attr |= GA_BOLD;
	n = grid_print(g, x, y, w, bold, words);
	if (n < w) {
		if (o) {
			letter = view_thread_style(c, o, true);
			letter.attr |= base.attr & GA_REVERSE;
			grid_put(g, x + n++, y, view_letter(c, o, false), letter);
		} else {	/* not among the window's threads: its tid */
			n += grid_printf(g, x + n, y, w - n, bold, "tid %" PRIu32, tid);
		}
	}
	return n;
}

int view_handoff_now(const struct view_ctx *c, struct grid *g, int x, int y, int w,
		     const struct tl_thread *t, struct cell_style base)
{
	const struct tl_handoff *h = shown(c);

	if (!h || w <= 0)
		return 0;
	if (t->tid == h->to_tid)
		return words_letter(c, g, x, y, w, "got lock from ", h->from_tid, base);
	if (t->tid == h->from_tid)
		return words_letter(c, g, x, y, w, "handed lock to ", h->to_tid, base);
	return 0;
}

int view_handoff_note(const struct view_ctx *c, struct grid *g, int x, int y, int w,
		      const struct tl_note *n, struct cell_style text)
{
	const struct tl_handoff *h = shown(c);
	const struct tl_thread *o;
	struct cell_style bold = { .attr = GA_BOLD };
	char name[80] = "";
	int tw, lw, k;

	if (!h || n->ev.type != GS_EV_LOCK_ACQUIRED || n->ev.tid != h->to_tid ||
	    n->ev.ts_ns != h->at_ns || n->ev.arg0 != h->lock)
		return 0;
	o = view_thread(c, h->from_tid);
	/* " (hand-off from B worker-1)", without the name if that does not
	 * fit; the sentence is cut rather than the mark */
	lw = (int)strlen(" (hand-off from ") + 1 + 1;
	if (o && o->name[0])
		snprintf(name, sizeof(name), " %s", o->name);
	else if (!o)
		lw += (int)strlen("tid ") + 9;	/* its tid instead of a letter */
	tw = grid_cells(n->text);
	if (tw + lw + grid_cells(name) > w)
		name[0] = '\0';
	if (tw + lw > w)
		tw = w - lw;
	if (tw < 0)
		return 0;
	k = grid_print(g, x, y, tw, text, n->text);
	k += words_letter(c, g, x + k, y, w - k, " (hand-off from ", h->from_tid, STYLE_PLAIN);
	k += grid_print(g, x + k, y, w - k, bold, name);
	grid_print(g, x + k, y, w - k, bold, ")");
	return 1;
}
