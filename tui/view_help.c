/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * view_help.c - the key line at the bottom (or, instead, a prompt or a
 * message) and the help overlay opened with `?`.
 */
#include <string.h>
#include "tui/view.h"

struct key_help {
	const char *key, *ascii_key;	/* as drawn */
	const char *what;
	uint8_t modes;			/* 1 << enum tui_mode where it applies */
	uint8_t prio;			/* narrow screens drop the highest first */
};

#define BOTH ((1 << TUI_REPLAY) | (1 << TUI_LIVE))

static const struct key_help keys[] = {
	{ "space", "space", "pause", BOTH, 1 },
	{ "\u2190/\u2192", "<-/->", "step", BOTH, 1 },
	{ "+/-", "+/-", "zoom", BOTH, 1 },
	{ "z", "z", "fit", BOTH, 2 },
	{ "</>", "</>", "speed", 1 << TUI_REPLAY, 3 },
	{ "g", "g", "go to", BOTH, 2 },
	{ "f", "f", "follow", BOTH, 3 },
	{ "t", "t", "thread", BOTH, 3 },
	{ "/", "/", "find", BOTH, 2 },
	{ "Tab", "Tab", "table/log", BOTH, 3 },
	{ "s", "s", "save", 1 << TUI_LIVE, 1 },
	{ "?", "?", "help", BOTH, 0 },
	{ "q", "q", "quit", BOTH, 0 },
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static int key_width(const struct view_ctx *c, const struct key_help *k)
{
	const char *s = c->st->ascii ? k->ascii_key : k->key;

	/* the arrows are 3 bytes each, one cell each */
	return 3 + (int)strlen(k->what) + (!c->st->ascii && (s[0] & 0x80) ? 3 : (int)strlen(s));
}

static void keys_draw(const struct view_ctx *c, struct grid *g, struct tui_rect r)
{
	struct cell_style bold = { .attr = GA_BOLD };
	int x = r.x + 1;

	if (c->st->prompt) {
		int n = grid_print(g, x, r.y, r.w - 1, bold, c->st->prompt);

		grid_put(g, x + n, r.y, '_', (struct cell_style){ .attr = GA_REVERSE });
		return;
	}
	if (c->st->message) {
		grid_print(g, x, r.y, r.w - 1, bold, c->st->message);
		return;
	}
	/* drop the least needed keys until the line fits */
	int maxprio = 3, total;

	for (;; maxprio--) {
		total = 0;
		for (size_t i = 0; i < NKEYS; i++)
			if ((keys[i].modes & (1 << c->st->mode)) && keys[i].prio <= maxprio)
				total += key_width(c, &keys[i]);
		if (total <= r.w - 1 || maxprio == 0)
			break;
	}
	for (size_t i = 0; i < NKEYS; i++) {
		if (!(keys[i].modes & (1 << c->st->mode)) || keys[i].prio > maxprio)
			continue;
		x += grid_print(g, x, r.y, r.x + r.w - x, bold,
				c->st->ascii ? keys[i].ascii_key : keys[i].key) + 1;
		x += grid_print(g, x, r.y, r.x + r.w - x, STYLE_PLAIN, keys[i].what) + 2;
	}
}

const struct view view_keys = {
	.name = "keys",
	.draw = keys_draw,
};

/* Keys first: on a small screen the box is cut at the bottom. Each line as
 * drawn with Unicode and colours, then in monochrome or ASCII where that
 * differs (NULL: the same): the strips show letters there. */
static const struct help_line {
	const char *uni, *mono;
} help[] = {
	{ "Keys", NULL },
	{ "  space  pause / go on            \u2190 \u2192    previous / next lock event",
	  "  space  pause / go on            <- ->  previous / next lock event" },
	{ "  [ ]    back / on 1/4 window     { }    back / on a whole window", NULL },
	{ "  + -    zoom in / out            z      fit the whole run so far", NULL },
	{ "  < >    slower / faster          g      go to a time (s from the start)", NULL },
	{ "  f      follow the newest / end  t      highlight the next thread", NULL },
	{ "  Tab    focus table / log, then j k \u2191 \u2193 PgUp PgDn Home End move",
	  "  Tab    focus table / log, then j k Up Down PgUp PgDn Home End move" },
	{ "  o      sort the table           / n    find a thread (name, tid); next", NULL },
	{ "  e      only its events / all    Esc    no highlight", NULL },
	{ "  p      Python functions of the highlighted thread (held / waited in)", NULL },
	{ "  s      save (live)              ? q    close this help / quit", NULL },
	{ "  mouse  click: go there, or highlight a thread; wheel: zoom right there", NULL },
	{ "", NULL },
	{ "What you see", NULL },
	{ "  CPUn   one strip per core: who ran there, in the thread's colour",
	  "  CPUn   one strip per core: the letter of the thread that ran there" },
	{ "         \u2587 tall and bright: it held the lock   \u2581 low: it ran without it",
	  "         upper case: holds the lock        lower case: runs without it" },
	{ "         \u2591 grey: another process, while it had the core; blank: idle",
	  "         #: another process, while it had the core; blank: idle" },
	{ "  LOCK   the thread holding the lock; \u00b7 nobody (a lane per lock)",
	  "  LOCK   the thread holding the lock; . nobody (a lane per lock)" },
	{ "  wait   a thread waiting for the lock; ruler: time from the first event", NULL },
	{ "  table  hold % and wait %: of the time shown (\"% of\"); acq: lock taken", NULL },
	{ "  now    paused on a hand-off (B let go while C waited, C took it):", NULL },
	{ "         C \"got lock from B\", B \"handed lock to C\"; the log says so too", NULL },
};

#define NHELP ((int)(sizeof(help) / sizeof(help[0])))

static void help_draw(const struct view_ctx *c, struct grid *g, struct tui_rect r)
{
	bool mono = c->st->ascii || !c->st->color;
	int lines = NHELP, bw = 76, bh, x, y;

	bh = lines + 2;
	if (bw > r.w)
		bw = r.w;
	if (bh > r.h)
		bh = r.h;
	x = r.x + (r.w - bw) / 2;
	y = r.y + (r.h - bh) / 2;
	grid_fill(g, x, y, bw, bh, ' ', STYLE_PLAIN);
	/* frame */
	for (int i = 1; i < bw - 1; i++) {
		grid_put(g, x + i, y, view_glyph(c, 0x2500, '-'), STYLE_PLAIN);
		grid_put(g, x + i, y + bh - 1, view_glyph(c, 0x2500, '-'), STYLE_PLAIN);
	}
	for (int j = 1; j < bh - 1; j++) {
		grid_put(g, x, y + j, view_glyph(c, 0x2502, '|'), STYLE_PLAIN);
		grid_put(g, x + bw - 1, y + j, view_glyph(c, 0x2502, '|'), STYLE_PLAIN);
	}
	grid_put(g, x, y, view_glyph(c, 0x250c, '+'), STYLE_PLAIN);
	grid_put(g, x + bw - 1, y, view_glyph(c, 0x2510, '+'), STYLE_PLAIN);
	grid_put(g, x, y + bh - 1, view_glyph(c, 0x2514, '+'), STYLE_PLAIN);
	grid_put(g, x + bw - 1, y + bh - 1, view_glyph(c, 0x2518, '+'), STYLE_PLAIN);
	grid_print(g, x + 2, y, bw - 4, (struct cell_style){ .attr = GA_BOLD }, " help ");
	for (int i = 0; i < lines && i < bh - 2; i++) {
		const char *t = mono && help[i].mono ? help[i].mono : help[i].uni;

		grid_print(g, x + 2, y + 1 + i, bw - 4,
			   (struct cell_style){ .attr = t[0] != ' ' ? GA_BOLD : 0 }, t);
	}
}

const struct view view_help = {
	.name = "help",
	.draw = help_draw,
};
