/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * view_top.c - the screen of `gilscope top` (see top.h): a title line, the
 * column header, the table, and the key line (or the filter being typed,
 * or a note); the help overlay over them. Pure: rows + state -> grid.
 *
 *   gilscope top  every process  3 Python processes: 2 traced, 1 not traceable  every 1.0 s
 *       PID NAME                 THR  HELD%  WAIT%  HOFF/s  LONGEST   ACQ/s  STATE / FUNCTION
 *      4242 python3.11             3  100.0   99.8     0.0    1.00 s      1  holds the GIL
 *      4243 `- waiter                    0.0   99.8     0.0    1.00 s      0  waits
 *      5151 python3.11             1      -      -       -        -       -  not traceable: stripped
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "tui/top_impl.h"
#include "util/fmt.h"

#define W_PID 7
#define W_THR 4
#define W_PCT 6
#define W_HOFF 7
#define W_LONG 8
#define W_ACQ 7
#define NAME_MIN 14
#define NAME_MAX_W 30
#define STATE_MIN 24	/* "not traceable: stripped" */

struct cols {			/* x of each column, -1 if left out */
	int pid, name, thr, held, wait, hoff, lng, acq, state;
	int name_w, state_w;
};

/* Columns for a screen w wide: ACQ/s goes first when narrow, then the
 * name shrinks to NAME_MIN. */
static void layout_cols(int w, struct cols *c)
{
	/* every column with the space after it, and one more before the state */
	int fixed = W_PID + 1 + W_THR + 1 + 2 * (W_PCT + 1) + W_HOFF + 1 + W_LONG + 1 + 1;
	int x;
	bool acq = w >= fixed + NAME_MIN + 1 + W_ACQ + 1 + STATE_MIN;

	c->name_w = w - fixed - 1 - (acq ? W_ACQ + 1 : 0) - STATE_MIN;
	if (c->name_w > NAME_MAX_W)
		c->name_w = NAME_MAX_W;
	if (c->name_w < NAME_MIN)
		c->name_w = NAME_MIN;
	x = 0;
	c->pid = x;
	x += W_PID + 1;
	c->name = x;
	x += c->name_w + 1;
	c->thr = x;
	x += W_THR + 1;
	c->held = x;
	x += W_PCT + 1;
	c->wait = x;
	x += W_PCT + 1;
	c->hoff = x;
	x += W_HOFF + 1;
	c->lng = x;
	x += W_LONG + 1;
	c->acq = acq ? x : -1;
	x += acq ? W_ACQ + 1 : 0;
	c->state = x + 1;
	c->state_w = w - c->state;
}

/* Right-aligned text in a column of width cw at x. */
static void right(struct grid *g, int x, int y, int cw, struct cell_style st, const char *s)
{
	int n = (int)strlen(s);

	grid_print(g, x + (n < cw ? cw - n : 0), y, cw, st, s);
}

static void header(const struct top *t, struct grid *g, const struct cols *c, int y)
{
	const char *const arrow[2] = { t->o.ascii ? "v" : "\u25bc", t->o.ascii ? "^" : "\u25b2" };
	struct cell_style hs = { .attr = GA_REVERSE };
	const char *names[TOP_NSORT] = { "HELD%", "WAIT%", "HOFF/s", "LONGEST", "PID", "NAME" };
	int xs[TOP_NSORT] = { c->held, c->wait, c->hoff, c->lng, c->pid, c->name };
	int ws[TOP_NSORT] = { W_PCT, W_PCT, W_HOFF, W_LONG, W_PID, c->name_w };
	char buf[32];

	grid_fill(g, 0, y, g->w, 1, ' ', hs);
	for (int s = 0; s < TOP_NSORT; s++) {
		bool on = t->sort == s;
		/* numbers are largest first (v) unless reversed; pid and name smallest first */
		bool up = (s >= TOP_SORT_PID) != t->reverse;

		snprintf(buf, sizeof(buf), "%s%s", on ? arrow[up] : "", names[s]);
		if (s == TOP_SORT_NAME)
			grid_print(g, xs[s], y, ws[s], hs, buf);
		else
			right(g, xs[s], y, ws[s], hs, buf);
	}
	right(g, c->thr, y, W_THR, hs, "THR");
	if (c->acq >= 0)
		right(g, c->acq, y, W_ACQ, hs, "ACQ/s");
	grid_print(g, c->state, y, c->state_w, hs, "STATE / FUNCTION");
}

static void pct(char *buf, size_t len, const struct toprow *r, double v)
{
	if (!r->rated)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.1f", 100 * v);
}

static void rate(char *buf, size_t len, const struct toprow *r, double v)
{
	if (!r->rated)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, v < 10 ? "%.1f" : "%.0f", v);
}

/* What the last column says about a row. */
static void state_text(const struct toprow *r, char *buf, size_t len)
{
	if (r->state != GILSNAP_TRACED)
		snprintf(buf, len, "not traceable: %s", r->why);
	else if (r->exited)
		snprintf(buf, len, "exited");
	else if (r->func[0])
		snprintf(buf, len, "%s%s", r->tid ? "" : "mostly in ", r->func);
	else if (r->holding)
		snprintf(buf, len, "holds the GIL");
	else if (r->waiting)
		snprintf(buf, len, "waits");
	else
		buf[0] = '\0';
}

static void row(const struct top *t, struct grid *g, const struct cols *c, int y,
		const struct toprow *r, bool selected, bool last_thread)
{
	struct cell_style st = STYLE_PLAIN, hot = { .attr = GA_BOLD };
	char buf[GILSNAP_WHY_MAX + GILSNAP_FUNC_MAX + 32];
	bool dim = r->state != GILSNAP_TRACED || r->exited;
	int x;

	if (dim)
		st.attr = GA_DIM;
	if (t->o.color && !dim) {
		hot.fg = GC_RED;
		if (r->tid == 0)
			st.attr |= GA_BOLD;
	}
	if (selected) {
		st.attr |= GA_REVERSE;
		hot.attr |= GA_REVERSE;
		grid_fill(g, 0, y, g->w, 1, ' ', st);
	}
	snprintf(buf, sizeof(buf), "%u", r->tid ? r->tid : r->pid);
	right(g, c->pid, y, W_PID, st, buf);
	x = c->name;
	if (r->tid) {	/* a thread: under its process */
		const char *branch = t->o.ascii ? (last_thread ? "`- " : "|- ")
						: (last_thread ? "\u2514\u2500 " : "\u251c\u2500 ");

		x += grid_print(g, x, y, c->name_w, st, branch);
	}
	grid_print(g, x, y, c->name + c->name_w - x, st, r->name);
	if (!r->tid) {
		snprintf(buf, sizeof(buf), "%u", r->nthreads);
		right(g, c->thr, y, W_THR, st, buf);
	}
	pct(buf, sizeof(buf), r, r->held);
	right(g, c->held, y, W_PCT, r->rated && r->held >= 0.5 ? hot : st, buf);
	pct(buf, sizeof(buf), r, r->waited);
	right(g, c->wait, y, W_PCT, r->rated && r->waited >= 0.5 ? hot : st, buf);
	rate(buf, sizeof(buf), r, r->handoffs_per_s);
	right(g, c->hoff, y, W_HOFF, st, buf);
	if (r->rated)
		fmt_duration(buf, sizeof(buf), r->longest_ns);
	else
		snprintf(buf, sizeof(buf), "-");
	right(g, c->lng, y, W_LONG, st, r->rated && !r->longest_ns ? "0" : buf);
	if (c->acq >= 0) {
		rate(buf, sizeof(buf), r, r->acq_per_s);
		right(g, c->acq, y, W_ACQ, st, buf);
	}
	state_text(r, buf, sizeof(buf));
	grid_print(g, c->state, y, c->state_w, st, buf);
}

static void title(const struct top *t, struct grid *g)
{
	const struct toprows *rs = &t->rows;
	char buf[256];
	int x = 0;

	x += grid_print(g, x, 0, g->w, (struct cell_style){ .attr = GA_BOLD }, "gilscope top");
	snprintf(buf, sizeof(buf), "  %s  %zu Python process%s: %zu traced, %zu not traceable"
		 "  every %.1f s%s", t->o.scope, rs->nprocs, rs->nprocs == 1 ? "" : "es",
		 rs->traced, rs->untraceable, t->interval_ms / 1000.0,
		 t->paused ? "  PAUSED" : "");
	x += grid_print(g, x, 0, g->w - x, STYLE_PLAIN, buf);
	if (t->filter[0] && !t->editing) {
		snprintf(buf, sizeof(buf), "  filter: %s", t->filter);
		grid_print(g, x, 0, g->w - x, (struct cell_style){ .attr = GA_BOLD }, buf);
	}
}

static void key_line(const struct top *t, struct grid *g, int y)
{
	static const char keys[] =
		"q quit  ? help  / filter  h w o l p n sort  Enter threads  t all threads"
		"  +/- interval  space pause";
	struct cell_style bold = { .attr = GA_BOLD };
	char buf[TOP_FILTER_MAX + 32];

	if (t->editing) {
		int n;

		snprintf(buf, sizeof(buf), "filter: %s", t->filter);
		n = grid_print(g, 0, y, g->w, bold, buf);
		grid_put(g, n, y, '_', (struct cell_style){ .attr = GA_REVERSE });
	} else if (t->message[0]) {
		grid_print(g, 0, y, g->w, bold, t->message);
	} else {
		grid_print(g, 0, y, g->w, STYLE_PLAIN, keys);
	}
}

static const char *const help_text[] = {
	"What you see: every Python process on this machine, each held against",
	"the refresh interval (its threads with Enter):",
	"  HELD%    share of the interval its GIL was held (any thread)",
	"  WAIT%    time threads spent waiting for it, added up (2 threads",
	"           waiting all the time: 200 %)",
	"  HOFF/s   hand-offs: the GIL taken right after another thread let",
	"           go of it while this one waited",
	"  LONGEST  the longest wait of the interval, finished or still going",
	"  ACQ/s    acquisitions",
	"  not traceable: its interpreter has no take_gil/drop_gil symbols",
	"  (Debian's python3.X is stripped: use python3.X-dbg or a pyenv build)",
	"",
	"Keys",
	"  h w o l p n  sort by held, waited, hand-offs, longest, pid, name",
	"               (the same key again: the other order)",
	"  / filter     Enter keeps it, Esc clears it    up/down  select",
	"  Enter        the selected process's threads   t  all threads",
	"  + -          refresh interval                 space  pause",
	"  ?            close this help                  q  quit",
	NULL,
};

static void help(const struct top *t, struct grid *g)
{
	int lines = 0, bw = 76, bh, x, y;
	struct cell_style bold = { .attr = GA_BOLD };

	for (; help_text[lines]; lines++)
		;
	bh = lines + 2;
	bw = bw > g->w ? g->w : bw;
	bh = bh > g->h ? g->h : bh;
	x = (g->w - bw) / 2;
	y = (g->h - bh) / 2;
	grid_fill(g, 0, y, g->w, bh, ' ', STYLE_PLAIN);	/* whole rows: nothing peeks out */
	for (int i = 0; i < bw; i++) {
		grid_put(g, x + i, y, t->o.ascii ? '-' : 0x2500, STYLE_PLAIN);
		grid_put(g, x + i, y + bh - 1, t->o.ascii ? '-' : 0x2500, STYLE_PLAIN);
	}
	for (int j = 0; j < bh; j++) {
		grid_put(g, x, y + j, t->o.ascii ? '|' : 0x2502, STYLE_PLAIN);
		grid_put(g, x + bw - 1, y + j, t->o.ascii ? '|' : 0x2502, STYLE_PLAIN);
	}
	grid_put(g, x, y, t->o.ascii ? '+' : 0x250c, STYLE_PLAIN);
	grid_put(g, x + bw - 1, y, t->o.ascii ? '+' : 0x2510, STYLE_PLAIN);
	grid_put(g, x, y + bh - 1, t->o.ascii ? '+' : 0x2514, STYLE_PLAIN);
	grid_put(g, x + bw - 1, y + bh - 1, t->o.ascii ? '+' : 0x2518, STYLE_PLAIN);
	grid_print(g, x + 2, y, bw - 4, bold, " help ");
	for (int i = 0; i < lines && i < bh - 2; i++)
		grid_print(g, x + 2, y + 1 + i, bw - 4,
			   (struct cell_style){ .attr = help_text[i][0] != ' ' ? GA_BOLD : 0 },
			   help_text[i]);
}

int top_render(struct top *t, struct grid *g)
{
	int page = top_table_rows(g ? g->h : 0), y = 2;
	size_t sel = top_selected(t);
	struct cols c;

	if (!g || g->w < 40 || g->h < 5) {
		if (g) {
			grid_clear(g);
			grid_print(g, 0, 0, g->w, STYLE_PLAIN, "terminal too small (40x5)");
		}
		return g ? 0 : -EINVAL;
	}
	grid_clear(g);
	layout_cols(g->w, &c);
	title(t, g);
	header(t, g, &c, 1);
	if (t->scroll + (size_t)page > t->nvis)	/* rows went away: fill the screen */
		t->scroll = t->nvis > (size_t)page ? t->nvis - (size_t)page : 0;
	for (size_t i = t->scroll; i < t->nvis && y < 2 + page; i++, y++) {
		const struct toprow *r = &t->rows.rows[t->vis[i]];
		bool last = i + 1 == t->nvis || !t->rows.rows[t->vis[i + 1]].tid;

		row(t, g, &c, y, r, t->have_sel && i == sel, last);
	}
	if (!t->nvis)
		grid_print(g, 1, 3, g->w - 2, STYLE_PLAIN, t->filter[0] ?
			   "no process matches the filter (Esc clears it)" :
			   "no Python process found yet: watching for new ones");
	key_line(t, g, g->h - 1);
	if (t->help)
		help(t, g);
	return 0;
}
