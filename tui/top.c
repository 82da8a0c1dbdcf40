/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * top.c - `gilscope top`'s controller (see top.h): keys -> state, rows +
 * state -> the layout (which rows, in which order), and the loop that adds
 * the clock and the terminal. Drawing is view_top.c's.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "tui/crt.h"
#include "tui/top_impl.h"
#include "util/grow.h"

static const uint32_t intervals_ms[] = { 500, 1000, 2000, 5000, 10000 };
#define NINTERVALS (sizeof(intervals_ms) / sizeof(intervals_ms[0]))

int top_new(struct top **out, const struct top_opts *o)
{
	struct top *t = calloc(1, sizeof(*t));

	*out = t;
	if (!t)
		return -ENOMEM;
	t->o = *o;
	snprintf(t->scope, sizeof(t->scope), "%s", o->scope ? o->scope : "every process");
	t->o.scope = t->scope;
	t->interval_ms = o->interval_ms ? o->interval_ms : 1000;
	return 0;
}

void top_free(struct top *t)
{
	if (!t)
		return;
	toprows_free(&t->rows);
	free(t->vis);
	free(t);
}

uint32_t top_interval_ms(const struct top *t)
{
	return t->interval_ms;
}

bool top_paused(const struct top *t)
{
	return t->paused;
}

void top_message(struct top *t, const char *msg)
{
	snprintf(t->message, sizeof(t->message), "%s", msg ? msg : "");
}

int top_set_rows(struct top *t, const struct toprows *rows)
{
	struct toprows *c = &t->rows;

	if (grow_array(&c->rows, &c->cap, rows->n, sizeof(*c->rows)))
		return -ENOMEM;
	if (rows->n)
		memcpy(c->rows, rows->rows, rows->n * sizeof(*c->rows));
	c->n = rows->n;
	c->interval_ns = rows->interval_ns;
	c->nprocs = rows->nprocs;
	c->traced = rows->traced;
	c->untraceable = rows->untraceable;
	return top_layout(t);
}

/* ---- the layout ----------------------------------------------------------------- */

static bool is_open(const struct top *t, uint32_t pid)
{
	bool listed = false;

	for (size_t i = 0; i < t->nopen && !listed; i++)
		listed = t->open[i] == pid;
	return t->all_open != listed;
}

/* Case-insensitive substring of the row's name or pid/tid. */
static bool matches(const struct top *t, const struct toprow *r)
{
	char num[16];
	size_t n = strlen(t->filter);

	if (!n)
		return true;
	snprintf(num, sizeof(num), "%u", r->tid ? r->tid : r->pid);
	if (strstr(num, t->filter))
		return true;
	for (const char *s = r->name; *s; s++)
		if (!strncasecmp(s, t->filter, n))
			return true;
	for (const char *s = r->func; *s; s++)
		if (!strncasecmp(s, t->filter, n))
			return true;
	return false;
}

/* A row's number for the sort column; rows without one sort last. */
static double key_of(const struct toprow *r, uint8_t sort)
{
	if (!r->rated)
		return -1;
	switch (sort) {
	case TOP_SORT_HELD: return r->held;
	case TOP_SORT_WAITED: return r->waited;
	case TOP_SORT_HANDOFFS: return r->handoffs_per_s;
	case TOP_SORT_LONGEST: return (double)r->longest_ns;
	default: return 0;
	}
}

static int row_cmp(const void *a, const void *b, void *ctx)
{
	const struct top *t = ctx;
	const struct toprow *x = &t->rows.rows[*(const size_t *)a];
	const struct toprow *y = &t->rows.rows[*(const size_t *)b];
	uint32_t ix = x->tid ? x->tid : x->pid, iy = y->tid ? y->tid : y->pid;
	int c = 0;

	if (t->sort == TOP_SORT_NAME) {
		c = strcmp(x->name, y->name);
	} else if (t->sort != TOP_SORT_PID) {
		double kx = key_of(x, t->sort), ky = key_of(y, t->sort);

		c = kx > ky ? -1 : kx < ky;	/* largest first */
	}
	if (t->reverse)
		c = -c;
	if (!c)		/* ties and the pid column: by id (reversed for pid only) */
		c = ix < iy ? -1 : ix > iy;
	if (t->reverse && t->sort == TOP_SORT_PID)
		c = -c;
	return c;
}

static int push(struct top *t, size_t i)
{
	if (grow_array(&t->vis, &t->cap_vis, t->nvis + 1, sizeof(*t->vis)))
		return -ENOMEM;
	t->vis[t->nvis++] = i;
	return 0;
}

int top_layout(struct top *t)
{
	const struct toprows *rs = &t->rows;
	size_t nprocs = 0, first;

	t->nvis = 0;
	/* the processes that stay, sorted */
	for (size_t i = 0; i < rs->n; i += 1 + rs->rows[i].nthreads) {
		bool keep = matches(t, &rs->rows[i]);

		for (size_t k = 1; !keep && k <= rs->rows[i].nthreads && i + k < rs->n; k++)
			keep = matches(t, &rs->rows[i + k]);
		if (keep && push(t, i))
			return -ENOMEM;
	}
	nprocs = t->nvis;
	if (nprocs > 1)
		qsort_r(t->vis, nprocs, sizeof(*t->vis), row_cmp, t);
	/* then each one's threads after it: opened, or the ones the filter found */
	for (size_t p = 0; p < nprocs; p++) {
		size_t i = t->vis[p], nt = rs->rows[i].nthreads;
		bool open = is_open(t, rs->rows[i].pid), all = open && matches(t, &rs->rows[i]);

		if (push(t, i))
			return -ENOMEM;
		first = t->nvis;
		for (size_t k = 1; k <= nt && i + k < rs->n; k++)
			if (all || (t->filter[0] && matches(t, &rs->rows[i + k])))
				if (push(t, i + k))
					return -ENOMEM;
		if (t->nvis - first > 1)
			qsort_r(t->vis + first, t->nvis - first, sizeof(*t->vis), row_cmp, t);
	}
	/* the sorted processes were pushed twice: keep the second copy */
	if (nprocs)
		memmove(t->vis, t->vis + nprocs, (t->nvis - nprocs) * sizeof(*t->vis));
	t->nvis -= nprocs;
	return 0;
}

size_t top_selected(const struct top *t)
{
	if (!t->have_sel)
		return 0;
	for (size_t i = 0; i < t->nvis; i++) {
		const struct toprow *r = &t->rows.rows[t->vis[i]];

		if (r->pid == t->sel_pid && r->tid == t->sel_tid)
			return i;
	}
	/* a thread that went: its process, if it is still there */
	for (size_t i = 0; i < t->nvis; i++) {
		const struct toprow *r = &t->rows.rows[t->vis[i]];

		if (r->pid == t->sel_pid && !r->tid)
			return i;
	}
	return 0;
}

int top_table_rows(int h)
{
	return h > 3 ? h - 3 : 0;	/* title, header, key line */
}

/* ---- keys ----------------------------------------------------------------------- */

static void select_at(struct top *t, size_t i)
{
	const struct toprow *r;

	if (!t->nvis)
		return;
	if (i >= t->nvis)
		i = t->nvis - 1;
	r = &t->rows.rows[t->vis[i]];
	t->sel_pid = r->pid;
	t->sel_tid = r->tid;
	t->have_sel = true;
}

static void toggle_open(struct top *t, uint32_t pid)
{
	for (size_t i = 0; i < t->nopen; i++)
		if (t->open[i] == pid) {
			t->open[i] = t->open[--t->nopen];
			return;
		}
	if (t->nopen < TOP_OPEN_MAX)
		t->open[t->nopen++] = pid;
}

static void step_interval(struct top *t, int dir)
{
	size_t i = 0;

	while (i + 1 < NINTERVALS && intervals_ms[i] < t->interval_ms)
		i++;
	if (dir > 0 && i + 1 < NINTERVALS)
		i++;
	else if (dir < 0 && i > 0 && intervals_ms[i] >= t->interval_ms)
		i--;
	t->interval_ms = intervals_ms[i];
}

/* Typing the filter: printable keys add, Backspace takes back, Enter
 * keeps, Esc clears. */
static void edit_key(struct top *t, int key)
{
	size_t n = strlen(t->filter);

	if (key == CRT_KEY_ENTER) {
		t->editing = false;
	} else if (key == CRT_KEY_ESC) {
		t->editing = false;
		t->filter[0] = '\0';
	} else if (key == CRT_KEY_BACKSPACE) {
		if (n)
			t->filter[n - 1] = '\0';
	} else if (key >= ' ' && key < 0x7f && n + 1 < sizeof(t->filter)) {
		t->filter[n] = (char)key;
		t->filter[n + 1] = '\0';
	}
}

int top_key(struct top *t, int key, int screen_h)
{
	static const char sorts[TOP_NSORT] = { 'h', 'w', 'o', 'l', 'p', 'n' };
	int page = top_table_rows(screen_h);
	size_t sel = top_selected(t);

	t->message[0] = '\0';
	if (t->editing) {
		edit_key(t, key);
		top_layout(t);
		t->scroll = 0;
		select_at(t, 0);
		return 0;
	}
	if (t->help && key != 'q') {	/* any key closes the help */
		t->help = false;
		return 0;
	}
	for (int s = 0; s < TOP_NSORT; s++)
		if (key == sorts[s]) {
			t->reverse = t->sort == s ? !t->reverse : false;
			t->sort = (uint8_t)s;
			top_layout(t);
			return 0;
		}
	switch (key) {
	case 'q':
		return 1;
	case '?':
		t->help = true;
		break;
	case '/':
		t->editing = true;
		break;
	case CRT_KEY_ESC:
		t->filter[0] = '\0';
		top_layout(t);
		break;
	case CRT_KEY_UP:
	case 'k':
		select_at(t, sel ? sel - 1 : 0);
		break;
	case CRT_KEY_DOWN:
	case 'j':
		select_at(t, t->have_sel ? sel + 1 : 0);
		break;
	case CRT_KEY_HOME:
		select_at(t, 0);
		break;
	case CRT_KEY_END:
		select_at(t, t->nvis ? t->nvis - 1 : 0);
		break;
	case CRT_KEY_ENTER:
		if (t->nvis) {
			toggle_open(t, t->rows.rows[t->vis[sel]].pid);
			t->sel_tid = 0;	/* stay on the process */
			t->sel_pid = t->rows.rows[t->vis[sel]].pid;
			t->have_sel = true;
			top_layout(t);
		}
		break;
	case 't':
		t->all_open = !t->all_open;
		t->nopen = 0;
		top_layout(t);
		break;
	case '+':
	case '-':
		step_interval(t, key == '+' ? 1 : -1);
		snprintf(t->message, sizeof(t->message), "refresh every %.1f s",
			 t->interval_ms / 1000.0);
		break;
	case ' ':
		t->paused = !t->paused;
		break;
	default:
		break;
	}
	/* keep the selection on the screen */
	sel = top_selected(t);
	if (page > 0 && t->have_sel) {
		if (sel < t->scroll)
			t->scroll = sel;
		else if (sel >= t->scroll + (size_t)page)
			t->scroll = sel - (size_t)page + 1;
	}
	return 0;
}

/* ---- the loop ------------------------------------------------------------------- */

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int top_run(struct top *t, int (*snapshot)(void *ctx, struct gilsnap *s),
	    void (*work)(void *ctx), uint32_t work_ms, void *ctx)
{
	struct gilsnap prev = { 0 }, cur = { 0 };
	struct toprows rows = { 0 };
	struct grid *g = NULL;
	uint64_t next = 0;
	int r, w, h;

	r = crt_init(t->o.color);
	if (r)
		return r;
	t->o.color = crt_color();
	for (;;) {
		uint64_t now = mono_ms(), wait;
		int key;

		if (crt_interrupted())
			break;
		if (now >= next) {
			if (!t->paused) {
				gilsnap_swap(&prev, &cur);
				if ((r = snapshot(ctx, &cur)) ||
				    (r = toprows_compute(&rows, &prev, &cur)) ||
				    (r = top_set_rows(t, &rows)))
					break;
			}
			next = now + t->interval_ms;
		}
		crt_size(&w, &h);
		if (!g || g->w != w || g->h != h) {
			grid_free(g);
			if (!(g = grid_new(w, h))) {
				r = -ENOMEM;
				break;
			}
		}
		top_render(t, g);
		crt_draw(g);
		now = mono_ms();
		wait = next > now ? next - now : 0;
		if (work && wait > work_ms)
			wait = work_ms;
		key = crt_key((int)wait);
		if (key == CRT_KEY_NONE && work)
			work(ctx);
		if (key == CRT_KEY_NONE || key == CRT_KEY_RESIZE)
			continue;
		if (top_key(t, key, h))
			break;
		if (key == '+' || key == '-')	/* the new interval counts from now */
			next = mono_ms() + t->interval_ms;
	}
	crt_done();
	grid_free(g);
	gilsnap_free(&prev);
	gilsnap_free(&cur);
	toprows_free(&rows);
	return r;
}
