/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * app_keys.c - what the viewer's keys, clicks and the wheel do (app.h):
 * time (play, step, pan, go to, follow), zoom (in, out, around the pointer,
 * to fit), the thread table and the event log (focus, highlight, scroll,
 * sort, find, filter), help and save. Every key first clears the note an
 * earlier one left on the key line.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tui/app_impl.h"
#include "tui/crt.h"

/* The next (dir > 0) or previous value of 1, 2, 5, 10, 20, 50... from v,
 * within [lo, hi]: zoom (ns per column) and speed (x 100). */
static uint64_t step125(uint64_t v, int dir, uint64_t lo, uint64_t hi)
{
	static const uint64_t m[] = { 1, 2, 5 };
	uint64_t prev = lo, s = 1;

	for (uint64_t p = 1; p <= hi; p *= 10) {
		for (int i = 0; i < 3; i++) {
			s = m[i] * p;
			if (dir > 0 && s > v)
				return s < hi ? s : hi;
			if (dir < 0 && s >= v)
				return prev > lo ? prev : lo;
			prev = s;
		}
	}
	return dir > 0 ? hi : (prev > lo ? prev : lo);
}

/* ---- time ------------------------------------------------------------------ */

/* Look at another moment: the view stops there. */
static void stop_at(struct app *a, uint64_t ts)
{
	a->st.paused = true;
	a->st.follow = false;
	app_set_now(a, ts);
}

static void step(struct app *a, int dir)
{
	uint64_t ts;
	int err;

	err = timeline_find_lock_event(a->o.tl, a->st.now_ns - 1, dir, &ts);
	if (err == -ENOENT) {
		app_message(a, dir > 0 ? "no later lock event" : "no earlier lock event");
		return;
	}
	if (err) {
		app_message(a, err == -ERANGE ? "no lock event in a million events: g goes to a time"
					      : "could not read the trace to step");
		return;
	}
	stop_at(a, ts + 1);
}

/* [ ] a quarter of the window, { } a whole one, back or forward. */
static void pan(struct app *a, int dir, uint64_t by)
{
	uint64_t now = a->st.now_ns;

	stop_at(a, dir > 0 ? now + by : now > by ? now - by : 0);
	if (a->st.now_ns == now)
		app_message(a, dir > 0 ? "this is the end of the recording" :
				       "this is the start of the recording");
}

static void zoom(struct app *a, int dir)
{
	struct tui_state *st = &a->st;
	uint64_t first, last;

	app_extent(a, &first, &last);
	/* out: no further than the whole recording (z fits it exactly) */
	if (dir < 0 && app_recorded(a) && app_span(a) > last + 1 - first) {
		app_message(a, "the whole recording is in view (z: fit it)");
		return;
	}
	st->ns_per_col = step125(st->ns_per_col, dir > 0 ? -1 : 1, TUI_NS_PER_COL_MIN,
				 TUI_NS_PER_COL_MAX);
}

int app_wheel(struct app *a, int x, int y, int dir)
{
	const struct tl_window *w;
	struct tui_hit hit;
	uint64_t t0, anchor, old = a->st.ns_per_col, k, start;

	if (a->prompt_kind || a->st.help)
		return 0;
	a->st.message = NULL;
	if (app_window(a, &t0, &w) ||
	    tui_hit(w, &a->st, a->screen_w, a->screen_h, x, y, &hit) ||
	    hit.kind != TUI_HIT_TIME || (a->st.mode == TUI_LIVE && a->st.follow)) {
		zoom(a, dir);	/* following: the right edge stays the newest */
		return 0;
	}
	/* the time under the pointer stays in its column */
	anchor = hit.ts_ns;
	k = (anchor - t0) / old;
	zoom(a, dir);
	if (a->st.ns_per_col == old)
		return 0;
	start = anchor > k * a->st.ns_per_col ? anchor - k * a->st.ns_per_col : 0;
	a->st.follow = false;
	app_set_now(a, start + app_span(a));
	app_time_moved(a);
	return 0;
}

/* ---- the thread table ------------------------------------------------------ */

/* Highlight thread t (NULL: none), saying so on the key line. */
static void highlight(struct app *a, const struct tl_thread *t)
{
	char msg[128];

	if (!t) {
		a->st.highlight_tid = 0;
		app_message(a, "highlight off");
		return;
	}
	a->st.highlight_tid = t->tid;
	snprintf(msg, sizeof(msg), "highlight: %s (tid %" PRIu32 "); e: only its events, "
		 "Esc: none", t->name[0] ? t->name : "thread", t->tid);
	app_message(a, msg);
}

/* The window's threads in table order; *pos: the highlighted one's place
 * (n if none). NULL when there is no window to look at. */
static const struct tl_window *table(struct app *a, uint32_t *order, size_t *n, size_t *pos)
{
	const struct tl_window *w;
	uint64_t t0;

	if (app_window(a, &t0, &w))
		return NULL;
	*n = tui_thread_order(w, a->st.sort, order);
	for (*pos = 0; *pos < *n && w->threads[order[*pos]].tid != a->st.highlight_tid; (*pos)++)
		;
	return w;
}

/* Move the highlight by d rows in table order (clamped; from none: the
 * first row shown, or the last for d < 0 from the end). */
static void move_highlight(struct app *a, long d)
{
	uint32_t order[TUI_THREADS_MAX];
	size_t n, pos;
	const struct tl_window *w = table(a, order, &n, &pos);
	long p;

	if (!w || !n) {
		app_message(a, "no thread to highlight here");
		return;
	}
	if (pos == n && (d >= (long)n || d <= -(long)n))	/* End, Home */
		p = d > 0 ? (long)n - 1 : 0;
	else if (pos == n)
		p = d > 0 ? (long)a->st.thr_top : (long)n - 1;
	else
		p = (long)pos + d;
	if (p < 0)
		p = 0;
	if (p >= (long)n)
		p = (long)n - 1;
	a->st.highlight_tid = w->threads[order[p]].tid;
	a->st.focus = TUI_FOCUS_THREADS;
}

/* t: none -> first -> ... -> last -> none, in table order */
static void pick_thread(struct app *a)
{
	uint32_t order[TUI_THREADS_MAX];
	size_t n, pos;
	const struct tl_window *w = table(a, order, &n, &pos);

	if (!w || !n) {
		app_message(a, "no thread to highlight here");
		return;
	}
	pos = pos == n ? 0 : pos + 1;
	highlight(a, pos == n ? NULL : &w->threads[order[pos]]);
}

static const char *const sort_words[TUI_SORT__COUNT] = {
	"order: first seen first (o: by hold)", "order: most time holding the lock first",
	"order: most time waiting for the lock first", "order: most acquisitions first",
	"order: most time on a CPU first", "order: by name",
};

/* Does thread t match what was typed: its tid, or part of its name? */
static bool matches(const struct tl_thread *t, const char *q)
{
	char *end, name[20], want[32];
	unsigned long tid = strtoul(q, &end, 10);
	size_t i;

	if (end != q && !*end && tid == t->tid)
		return true;
	for (i = 0; i < sizeof(name) - 1 && t->name[i] && i < sizeof(t->name); i++)
		name[i] = (char)tolower((unsigned char)t->name[i]);
	name[i] = '\0';
	for (i = 0; i < sizeof(want) - 1 && q[i]; i++)
		want[i] = (char)tolower((unsigned char)q[i]);
	want[i] = '\0';
	return want[0] && strstr(name, want);
}

/* The next thread after the highlighted one (in table order, wrapping)
 * that matches a->find: highlighted, with the focus on the table. */
static void find_next(struct app *a)
{
	uint32_t order[TUI_THREADS_MAX];
	size_t n, pos;
	const struct tl_window *w = table(a, order, &n, &pos);
	char msg[160];

	if (!a->find[0]) {
		app_message(a, "/ finds a thread by name or tid");
		return;
	}
	for (size_t i = 1; w && i <= n; i++) {
		const struct tl_thread *t = &w->threads[order[(pos == n ? i - 1 : pos + i) % n]];

		if (!matches(t, a->find))
			continue;
		a->st.highlight_tid = t->tid;
		a->st.focus = TUI_FOCUS_THREADS;
		snprintf(msg, sizeof(msg), "found %s (tid %" PRIu32 "): n finds the next, "
			 "e shows only its events", t->name[0] ? t->name : "a thread", t->tid);
		app_message(a, msg);
		return;
	}
	snprintf(msg, sizeof(msg), "no thread called \"%s\" here (a tid or part of a name)",
		 a->find);
	app_message(a, msg);
}

static void filter_events(struct app *a)
{
	char msg[128];

	if (a->st.ev_tid) {
		a->st.ev_tid = 0;
		app_message(a, "events: every thread's");
		return;
	}
	if (!a->st.highlight_tid) {
		app_message(a, "highlight a thread first (t, j/k, / or a click), then e");
		return;
	}
	a->st.ev_tid = a->st.highlight_tid;
	a->st.ev_back = 0;
	snprintf(msg, sizeof(msg), "events: only tid %" PRIu32 "'s (e: all again)", a->st.ev_tid);
	app_message(a, msg);
}

/* j/k, arrows, PgUp/PgDn, Home/End on the pane with the focus. */
static void scroll(struct app *a, long d, bool page, int end)
{
	const struct tl_window *w = NULL;
	uint64_t t0;
	int thr_rows = 0, ev_rows = 0;

	if (app_window(a, &t0, &w))
		w = NULL;
	else
		tui_pane_rows(w, &a->st, a->screen_w, a->screen_h, &thr_rows, &ev_rows);
	if (a->st.focus == TUI_FOCUS_THREADS) {
		long rows = thr_rows > 2 ? thr_rows - 1 : 1, top = (long)a->st.thr_top;

		if (end) {	/* Home: first row, End: last */
			move_highlight(a, end < 0 ? -(long)TUI_THREADS_MAX : (long)TUI_THREADS_MAX);
		} else if (page) {	/* the page turns, the highlight with it */
			top += d * rows;
			a->st.thr_top = top < 0 ? 0 : (uint32_t)top;
			move_highlight(a, d * rows);
		} else {
			move_highlight(a, d);
		}
		return;
	}
	/* the log: back is up, older; its length is the window's */
	long back = (long)a->st.ev_back, max = w ? (long)w->nlog : 0;

	if (end)
		back = end < 0 ? max : 0;
	else
		back -= page ? d * (ev_rows > 2 ? ev_rows - 2 : 1) : d;
	if (back > max)
		back = max;
	a->st.ev_back = back < 0 ? 0 : (uint32_t)back;
}

/* ---- prompts ---------------------------------------------------------------- */

static void go_to(struct app *a, const char *in)
{
	uint64_t first, last, ts;
	char *end, msg[128];
	double s = strtod(in, &end);

	app_extent(a, &first, &last);
	if (end == in || *end || !(s >= 0) || s > 1e9) {
		snprintf(msg, sizeof(msg), "not a time: give seconds from 0 to %.3f, e.g. 1.5",
			 last > a->st.origin_ns ? (last - a->st.origin_ns) / 1e9 : 0.0);
		app_message(a, msg);
		return;
	}
	a->st.follow = false;
	ts = a->st.origin_ns + (uint64_t)(s * 1e9) + 1;
	app_set_now(a, ts);
	if (a->st.now_ns < ts) {
		snprintf(msg, sizeof(msg), "the recording ends at %.3f s: that is where this is",
			 (last - a->st.origin_ns) / 1e9);
		app_message(a, msg);
	}
}

static void prompt_key(struct app *a, int key)
{
	size_t n = strlen(a->input);
	enum prompt_kind kind = a->prompt_kind;

	if (key == CRT_KEY_ESC) {
		a->prompt_kind = PROMPT_NONE;
	} else if (key == CRT_KEY_BACKSPACE) {
		if (n)
			a->input[n - 1] = '\0';
	} else if (key == CRT_KEY_ENTER) {
		a->prompt_kind = PROMPT_NONE;
		if (kind == PROMPT_GOTO) {
			go_to(a, a->input);
		} else {
			if (a->input[0])
				snprintf(a->find, sizeof(a->find), "%s", a->input);
			find_next(a);
		}
	} else if (n + 1 < sizeof(a->input) &&
		   (kind == PROMPT_FIND ? key >= ' ' && key < 0x7f :
		    (key >= '0' && key <= '9') || key == '.' || key == '-')) {
		a->input[n] = (char)key;
		a->input[n + 1] = '\0';
	}
	if (a->prompt_kind == PROMPT_GOTO)
		snprintf(a->prompt, sizeof(a->prompt), "go to time (s, Enter/Esc): %s", a->input);
	else if (a->prompt_kind == PROMPT_FIND)
		snprintf(a->prompt, sizeof(a->prompt), "find thread (name or tid, Enter/Esc): %s",
			 a->input);
	a->st.prompt = a->prompt_kind ? a->prompt : NULL;
}

static void open_prompt(struct app *a, enum prompt_kind kind)
{
	a->prompt_kind = kind;
	a->input[0] = '\0';
	prompt_key(a, CRT_KEY_NONE);
}

/* ---- keys and clicks --------------------------------------------------------- */

int app_click(struct app *a, int x, int y)
{
	const struct tl_window *w;
	struct tui_hit hit;
	uint64_t t0;

	if (a->prompt_kind)
		return 0;
	a->st.message = NULL;
	if (a->st.help) {
		a->st.help = false;	/* as any key does */
		return 0;
	}
	if (app_window(a, &t0, &w) ||
	    tui_hit(w, &a->st, a->screen_w, a->screen_h, x, y, &hit))
		return 0;
	if (hit.kind == TUI_HIT_TIME) {
		/* the clicked column becomes the last one: what the table and
		 * the log call "now" */
		stop_at(a, hit.ts_ns + a->st.ns_per_col);
		app_time_moved(a);
	} else if (hit.kind == TUI_HIT_THREAD) {
		a->st.focus = TUI_FOCUS_THREADS;
		for (size_t i = 0; i < w->nthreads; i++)
			if (w->threads[i].tid == hit.tid)
				highlight(a, hit.tid == a->st.highlight_tid ? NULL : &w->threads[i]);
	}
	return 0;
}

/* Space: pause or go on. A recording at its end plays again from the
 * start; live, going on means following the newest events again. */
static void play_pause(struct app *a)
{
	struct tui_state *st = &a->st;
	uint64_t first, last;

	app_extent(a, &first, &last);
	if (app_recorded(a) && st->paused && st->now_ns >= last + 1)
		st->now_ns = first + 1;
	st->paused = !st->paused;
	if (st->mode == TUI_LIVE)
		st->follow = !st->paused && !timeline_ended(a->o.tl);
}

int app_key(struct app *a, int key)
{
	struct tui_state *st = &a->st;
	uint64_t first, last;

	if (!a->prompt_kind)
		st->message = NULL;	/* a note lasts until the next key */
	a->dirty = true;
	if (a->o.on_key && a->o.on_key(a->o.ctx, a, key))
		goto out;
	if (a->prompt_kind) {
		prompt_key(a, key);
		goto out;
	}
	if (st->help && key != 'q') {
		st->help = false;	/* any key closes the help */
		return 0;
	}
	app_extent(a, &first, &last);
	switch (key) {
	case 'q':
	case 'Q':
		a->quit = true;
		return 1;
	case ' ':
		play_pause(a);
		break;
	case CRT_KEY_LEFT:
		step(a, -1);
		break;
	case CRT_KEY_RIGHT:
		step(a, 1);
		break;
	case '[':
	case ']':
		pan(a, key == ']' ? 1 : -1, app_span(a) / 4);
		break;
	case '{':
	case '}':
		pan(a, key == '}' ? 1 : -1, app_span(a));
		break;
	case '+':
	case '=':
	case CRT_KEY_WHEEL_UP:
		zoom(a, 1);
		break;
	case '-':
	case '_':
	case CRT_KEY_WHEEL_DOWN:
		zoom(a, -1);
		break;
	case 'z':
		app_zoom_fit(a);
		app_message(a, "the whole recording so far; + zooms in at its end");
		break;
	case '<':
	case ',':
		st->speed = step125((uint64_t)(st->speed * 100 + 0.5), -1, 1, 10000) / 100.0;
		break;
	case '>':
	case '.':
		st->speed = step125((uint64_t)(st->speed * 100 + 0.5), 1, 1, 10000) / 100.0;
		break;
	case 'g':
		open_prompt(a, PROMPT_GOTO);
		break;
	case '/':
		open_prompt(a, PROMPT_FIND);
		break;
	case 'n':
		find_next(a);
		break;
	case 'f':
		if (st->mode == TUI_LIVE && !timeline_ended(a->o.tl)) {
			st->follow = true;
			st->paused = false;
		}
		st->now_ns = last + 1;
		break;
	case 'p':	/* the highlighted thread's Python functions, in the log's place */
		st->funcs = !st->funcs;
		a->dirty = true;
		break;
	case 't':
		pick_thread(a);
		break;
	case CRT_KEY_ESC:
		st->highlight_tid = 0;
		break;
	case '\t':
		st->focus = st->focus == TUI_FOCUS_THREADS ? TUI_FOCUS_EVENTS : TUI_FOCUS_THREADS;
		break;
	case 'j':
	case CRT_KEY_DOWN:
		scroll(a, 1, false, 0);
		break;
	case 'k':
	case CRT_KEY_UP:
		scroll(a, -1, false, 0);
		break;
	case CRT_KEY_PGDN:
		scroll(a, 1, true, 0);
		break;
	case CRT_KEY_PGUP:
		scroll(a, -1, true, 0);
		break;
	case CRT_KEY_HOME:
		scroll(a, 0, false, -1);
		break;
	case CRT_KEY_END:
		scroll(a, 0, false, 1);
		break;
	case 'o':
		st->sort = (uint8_t)((st->sort + 1) % TUI_SORT__COUNT);
		app_message(a, sort_words[st->sort]);
		break;
	case 'e':
		filter_events(a);
		break;
	case '?':
	case 'h':
		st->help = true;
		break;
	case 's':
		if (a->o.save) {
			char msg[160];

			a->o.save(a->o.ctx, msg, sizeof(msg));
			app_message(a, msg);
		} else {
			app_message(a, "s saves a live recording; this is a replay");
		}
		break;
	default:
		break;
	}
out:
	app_time_moved(a);
	return a->quit;
}
