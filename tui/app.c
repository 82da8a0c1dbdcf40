/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * app.c - the viewer's controller (see app.h): keys -> view state, time ->
 * view state, view state + timeline -> grid -> terminal.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "util/outfile.h"
#include "tui/app.h"
#include "tui/crt.h"

#define MESSAGE_NS 4000000000ull	/* how long a note stays */
#define LIVE_LAG_NS 20000000ull		/* live edge: this much behind the clock
					 * (events come up to 35 ms late: the
					 * few that do are drawn when they come) */
#define FRAME_MS 30			/* 33 frames per second while moving */
#define MIN_FRAME_MS 15			/* at most 66 while live events come */

enum prompt_kind { PROMPT_NONE = 0, PROMPT_GOTO };

struct app {
	struct app_opts o;		/* as given (the timeline is not ours) */
	struct tui_state st;		/* what tui_render draws from */
	int lane_cols;			/* lane width of the last frame */
	int screen_w, screen_h;		/* size of the last frame */
	char title[256];		/* st.title points here */
	char message[160];		/* st.message points here */
	uint64_t message_left;		/* ns until the note goes */
	char prompt[64];		/* st.prompt points here */
	enum prompt_kind prompt_kind;	/* a prompt takes the keys */
	char input[32];			/* what was typed at the prompt */
	char *panel, *panel_title;	/* st.panel / panel_title (owned) */
	bool quit;			/* q was pressed */
};

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

static uint64_t span_ns(const struct app *a)
{
	return (uint64_t)(a->lane_cols ? a->lane_cols : 80) * a->st.ns_per_col;
}

static void extent(const struct app *a, uint64_t *first, uint64_t *last)
{
	timeline_extent(a->o.tl, first, last);
}

int app_new(struct app **out, const struct app_opts *o)
{
	struct app *a = calloc(1, sizeof(*a));
	uint64_t first, last;

	if (!a)
		return -ENOMEM;
	a->o = *o;
	a->st.mode = o->mode;
	a->st.ascii = o->ascii;
	a->st.color = o->color;
	a->st.speed = o->speed > 0 ? o->speed : 1;
	a->st.ns_per_col = o->ns_per_col ? o->ns_per_col : 1000000;
	a->st.pid = o->pid;
	if (o->title) {
		snprintf(a->title, sizeof(a->title), "%s", o->title);
		a->st.title = a->title;
	}
	extent(a, &first, &last);
	/* t=0 is the first event, or (live, nothing yet) when recording began */
	a->st.origin_ns = first ? first : timeline_meta(o->tl)->start_ns;
	if (o->mode == TUI_LIVE) {
		a->st.follow = true;
		a->st.now_ns = last + 1;
	} else {
		uint64_t at = o->at_ns ? o->at_ns : span_ns(a);

		a->st.now_ns = first + at;
		if (a->st.now_ns > last + 1)
			a->st.now_ns = last + 1;
	}
	*out = a;
	return 0;
}

void app_free(struct app *a)
{
	if (!a)
		return;
	free(a->panel);
	free(a->panel_title);
	free(a);
}

struct tui_state *app_state(struct app *a)
{
	return &a->st;
}

void app_message(struct app *a, const char *msg)
{
	snprintf(a->message, sizeof(a->message), "%s", msg);
	a->st.message = a->message;
	a->message_left = MESSAGE_NS;
}

void app_panel(struct app *a, const char *title, const char *text)
{
	free(a->panel);
	free(a->panel_title);
	a->panel = text ? strdup(text) : NULL;
	a->panel_title = title && text ? strdup(title) : NULL;
	a->st.panel = a->panel;
	a->st.panel_title = a->panel_title;
}

void app_source_ended(struct app *a)
{
	uint64_t first, last;

	timeline_end(a->o.tl);
	extent(a, &first, &last);
	if (a->st.follow) {
		a->st.now_ns = last + 1;
		a->st.follow = false;
	}
}

static void set_now(struct app *a, uint64_t ts)
{
	uint64_t first, last;

	extent(a, &first, &last);
	if (ts > last + 1)
		ts = last + 1;
	if (ts < first + 1)
		ts = first + 1;
	a->st.now_ns = ts;
}

static void step(struct app *a, int dir)
{
	uint64_t ts;
	int err;

	a->st.paused = true;
	a->st.follow = false;
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
	set_now(a, ts + 1);
}

/* The window the screen shows: [*t0, now), as wide as the lanes. */
static int shown_window(struct app *a, uint64_t *t0, const struct tl_window **w)
{
	uint64_t sp = span_ns(a);

	*t0 = a->st.now_ns > sp ? a->st.now_ns - sp : 0;
	if (*t0 >= a->st.now_ns)
		a->st.now_ns = *t0 + 1;
	return timeline_window(a->o.tl, *t0, a->st.now_ns, w);
}

/* Highlight thread t (NULL: none), saying so on the key line. */
static void highlight(struct app *a, const struct tl_thread *t)
{
	char msg[96];

	if (!t) {
		a->st.highlight_tid = 0;
		app_message(a, "highlight off");
		return;
	}
	a->st.highlight_tid = t->tid;
	snprintf(msg, sizeof(msg), "highlight: %s (tid %u); t: next, Esc: none",
		 t->name[0] ? t->name : "thread", t->tid);
	app_message(a, msg);
}

static void pick_thread(struct app *a)
{
	const struct tl_window *w;
	uint64_t t0;
	size_t i;

	int err = shown_window(a, &t0, &w);

	if (err || !w->nthreads) {
		app_message(a, err == -EAGAIN ? "still reading the trace here: t again in a moment"
					      : "no thread to highlight here");
		return;
	}
	for (i = 0; i < w->nthreads; i++)
		if (w->threads[i].tid == a->st.highlight_tid)
			break;
	/* none -> first -> ... -> last -> none */
	i = i == w->nthreads ? 0 : i + 1;
	highlight(a, i == w->nthreads ? NULL : &w->threads[i]);
}

int app_click(struct app *a, int x, int y)
{
	const struct tl_window *w;
	struct tui_hit hit;
	uint64_t t0;

	if (a->prompt_kind)
		return 0;
	if (a->st.help) {
		a->st.help = false;	/* as any key does */
		return 0;
	}
	if (shown_window(a, &t0, &w) ||
	    tui_hit(w, &a->st, a->screen_w, a->screen_h, x, y, &hit))
		return 0;
	if (hit.kind == TUI_HIT_TIME) {
		/* the clicked column becomes the last one: what the table and
		 * the log call "now" */
		a->st.paused = true;
		a->st.follow = false;
		set_now(a, hit.ts_ns + a->st.ns_per_col);
	} else if (hit.kind == TUI_HIT_THREAD) {
		for (size_t i = 0; i < w->nthreads; i++)
			if (w->threads[i].tid == hit.tid)
				highlight(a, hit.tid == a->st.highlight_tid ? NULL : &w->threads[i]);
	}
	return 0;
}

static void prompt_key(struct app *a, int key)
{
	size_t n = strlen(a->input);

	if (key == CRT_KEY_ESC) {
		a->prompt_kind = PROMPT_NONE;
	} else if (key == CRT_KEY_BACKSPACE) {
		if (n)
			a->input[n - 1] = '\0';
	} else if (key == CRT_KEY_ENTER) {
		char *end;
		double s = strtod(a->input, &end);

		a->prompt_kind = PROMPT_NONE;
		if (end == a->input || *end || s < 0) {
			app_message(a, "not a time: give seconds from the start, e.g. 1.5");
		} else {
			a->st.follow = false;
			set_now(a, a->st.origin_ns + (uint64_t)(s * 1e9) + 1);
		}
	} else if (((key >= '0' && key <= '9') || key == '.') && n + 1 < sizeof(a->input)) {
		a->input[n] = (char)key;
		a->input[n + 1] = '\0';
	}
	if (a->prompt_kind == PROMPT_GOTO) {
		snprintf(a->prompt, sizeof(a->prompt), "go to time (s, Enter/Esc): %s", a->input);
		a->st.prompt = a->prompt;
	} else {
		a->st.prompt = NULL;
	}
}

int app_key(struct app *a, int key)
{
	struct tui_state *st = &a->st;
	uint64_t first, last;

	if (a->o.on_key && a->o.on_key(a->o.ctx, a, key))
		return a->quit;
	if (a->prompt_kind) {
		prompt_key(a, key);
		return 0;
	}
	if (st->help && key != 'q') {
		st->help = false;	/* any key closes the help */
		return 0;
	}
	extent(a, &first, &last);
	switch (key) {
	case 'q':
	case 'Q':
		a->quit = true;
		return 1;
	case ' ':
		if (st->mode == TUI_REPLAY && st->paused && st->now_ns >= last + 1)
			st->now_ns = first + 1;	/* at the end: play again */
		st->paused = !st->paused;
		if (st->mode == TUI_LIVE)
			st->follow = !st->paused && !timeline_ended(a->o.tl);
		break;
	case CRT_KEY_LEFT:
		step(a, -1);
		break;
	case CRT_KEY_RIGHT:
		step(a, 1);
		break;
	case '+':
	case '=':
	case CRT_KEY_WHEEL_UP:
		st->ns_per_col = step125(st->ns_per_col, -1, TUI_NS_PER_COL_MIN,
					 TUI_NS_PER_COL_MAX);
		break;
	case '-':
	case '_':
	case CRT_KEY_WHEEL_DOWN:
		st->ns_per_col = step125(st->ns_per_col, 1, TUI_NS_PER_COL_MIN,
					 TUI_NS_PER_COL_MAX);
		break;
	case '<':
	case ',':
		if (st->mode == TUI_REPLAY)
			st->speed = step125((uint64_t)(st->speed * 100 + 0.5), -1, 1, 10000) / 100.0;
		break;
	case '>':
	case '.':
		if (st->mode == TUI_REPLAY)
			st->speed = step125((uint64_t)(st->speed * 100 + 0.5), 1, 1, 10000) / 100.0;
		break;
	case 'g':
		a->prompt_kind = PROMPT_GOTO;
		a->input[0] = '\0';
		prompt_key(a, CRT_KEY_NONE);
		break;
	case 'f':
		if (st->mode == TUI_LIVE && !timeline_ended(a->o.tl)) {
			st->follow = true;
			st->paused = false;
		}
		st->now_ns = last + 1;
		break;
	case 't':
		pick_thread(a);
		break;
	case CRT_KEY_ESC:
		st->highlight_tid = 0;
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
	return 0;
}

void app_tick(struct app *a, uint64_t dt_ns)
{
	struct tui_state *st = &a->st;
	uint64_t first, last;

	if (st->message) {
		if (a->message_left <= dt_ns)
			st->message = NULL;
		else
			a->message_left -= dt_ns;
	}
	if (st->paused || !dt_ns)
		return;
	extent(a, &first, &last);
	if (st->mode == TUI_LIVE) {
		if (!st->follow)
			return;
		st->now_ns += dt_ns;
		if (st->now_ns < last + 1)
			st->now_ns = last + 1;
		return;
	}
	st->now_ns += (uint64_t)(dt_ns * st->speed);
	if (st->now_ns >= last + 1) {
		st->now_ns = last + 1;
		st->paused = true;
		app_message(a, "end of the trace: space plays it again");
	}
}

int app_render(struct app *a, struct grid *g)
{
	const struct tl_window *w;
	uint64_t t0;
	int err;

	a->lane_cols = tui_lane_cols(g->w);
	a->screen_w = g->w;
	a->screen_h = g->h;
	err = shown_window(a, &t0, &w);
	if (err == -EAGAIN)	/* bounded work per call: the caller reads keys */
		return err;
	if (err == -EBADMSG || err == -EIO) {
		/* a damaged part of the file: say so over an empty window and
		 * let the user go elsewhere or quit */
		struct tl_window empty = {
			.t0 = t0, .t1 = a->st.now_ns, .ended = true,
			.ncpus = timeline_meta(a->o.tl)->ncpus ? timeline_meta(a->o.tl)->ncpus : 1,
		};
		char msg[160];

		snprintf(msg, sizeof(msg), "cannot read the trace here (%s): "
			 "g goes elsewhere, q quits", strerror(-err));
		a->st.paused = true;
		if (!a->st.message || strcmp(a->st.message, msg))
			app_message(a, msg);
		return tui_render(&empty, &a->st, g);
	}
	if (err)
		return err;
	return tui_render(w, &a->st, g);
}

/* Live event-to-screen latency, over the frames of app_run (written to
 * $GILSCOPE_LATENCY_FILE as JSON at the end, for `make bench`). */
struct latency {
	uint64_t frames, measured;	/* frames drawn; frames that showed new events */
	uint64_t sum_ns, max_ns;	/* over measured frames: age of the oldest new event */
	uint64_t first_ns, last_ns;	/* when the first and last frames were drawn */
	uint64_t prev_t1, seen;		/* what the previous frame showed */
	uint64_t frame_ns;		/* render + copy to the terminal, summed */
};

static void latency_frame(struct latency *l, struct app *a, uint64_t drawn)
{
	uint64_t ts;

	if (!l->frames++)
		l->first_ns = drawn;
	l->last_ns = drawn;
	if (a->st.mode == TUI_LIVE && a->st.follow &&
	    !timeline_first_new(a->o.tl, l->prev_t1, l->seen, a->st.now_ns, &ts) &&
	    l->prev_t1 && drawn > ts) {
		l->measured++;
		l->sum_ns += drawn - ts;
		if (drawn - ts > l->max_ns)
			l->max_ns = drawn - ts;
	}
	l->prev_t1 = a->st.now_ns;
	if (a->st.mode == TUI_LIVE)
		l->seen = timeline_appended(a->o.tl);
}

static void latency_write(const struct latency *l)
{
	const char *path = getenv("GILSCOPE_LATENCY_FILE");
	double secs = (l->last_ns - l->first_ns) / 1e9;
	char why[128];
	FILE *f;

	if (!path || !path[0] || !(f = outfile_fopen(path, OUTFILE_FORCE, why, sizeof(why))))
		return;
	fprintf(f, "{\"frames\": %llu, \"fps\": %.1f, \"frame_mean_ms\": %.3f, "
		"\"latency_frames\": %llu, \"latency_mean_ms\": %.2f, \"latency_max_ms\": %.2f}\n",
		(unsigned long long)l->frames, secs > 0 ? (l->frames - 1) / secs : 0,
		l->frames ? l->frame_ns / 1e6 / l->frames : 0, (unsigned long long)l->measured,
		l->measured ? l->sum_ns / 1e6 / l->measured : 0, l->max_ns / 1e6);
	fclose(f);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

int app_run(struct app *a)
{
	struct grid *g = NULL;
	struct latency lat = { 0 };
	uint64_t t = mono_ns(), next_frame = 0;
	bool redraw = true, fresh = false, reading = false;
	int err, w, h;

	err = crt_init(a->st.color);
	if (err)
		return err;
	a->st.color = a->st.color && crt_color();
	crt_size(&w, &h);
	while (!a->quit && !crt_interrupted()) {
		struct pollfd pfd[2] = {
			{ .fd = crt_fd(), .events = POLLIN },
			{ .fd = a->o.poll_fd, .events = POLLIN },
		};
		bool moving = !a->st.paused || a->st.message;
		int n = a->o.poll_fd >= 0 ? 2 : 1, key, timeout;
		uint64_t now = mono_ns();

		/* a frame when one is due, at once after a key, and soon after
		 * new live events (for the latency, at most every MIN_FRAME_MS) */
		if (redraw || now >= next_frame ||
		    (fresh && now >= next_frame - (FRAME_MS - MIN_FRAME_MS) * 1000000ull)) {
			if (!g || g->w != w || g->h != h) {
				grid_free(g);
				g = grid_new(w, h);
				if (!g) {
					err = -ENOMEM;
					break;
				}
			}
			/* -EAGAIN: the window is not read yet: keys first */
			if ((reading = (err = app_render(a, g)) == -EAGAIN)) {
				err = 0;
			} else if (err) {
				break;
			} else {
				crt_draw(g);
				next_frame = mono_ns();
				lat.frame_ns += next_frame - now;
				latency_frame(&lat, a, next_frame);
				next_frame += FRAME_MS * 1000000ull;
				redraw = fresh = false;
			}
			now = mono_ns();
		}
		timeout = moving || n == 2 ? (int)((next_frame - now) / 1000000) : 500;
		if (fresh)
			timeout = MIN_FRAME_MS;
		if (reading)
			timeout = 0;
		if (poll(pfd, n, timeout) < 0 && errno != EINTR) {
			err = -errno;
			break;
		}
		if (n == 2 && (pfd[1].revents & (POLLIN | POLLHUP | POLLERR))) {
			int r = a->o.on_poll(a->o.ctx, a);

			if (r < 0) {
				err = r;
				break;
			}
			if (r == 1) {
				app_source_ended(a);
				a->o.poll_fd = -1;
				redraw = true;
			}
			fresh = a->st.follow;
		}
		while ((key = crt_key(0)) != CRT_KEY_NONE) {
			redraw = true;
			if (key == CRT_KEY_RESIZE) {
				crt_size(&w, &h);
				continue;
			}
			if (key == CRT_KEY_CLICK) {
				int x, y;

				crt_click_at(&x, &y);
				app_click(a, x, y);
				continue;
			}
			if (app_key(a, key))
				break;
		}
		now = mono_ns();
		app_tick(a, now - t);
		t = now;
		if (a->st.mode == TUI_LIVE && a->st.follow && now > LIVE_LAG_NS &&
		    now - LIVE_LAG_NS > a->st.now_ns)
			a->st.now_ns = now - LIVE_LAG_NS;
	}
	grid_free(g);
	crt_done();
	latency_write(&lat);
	return err;
}
