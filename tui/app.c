/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * app.c - the viewer's controller (see app.h): time -> view state, view
 * state + timeline -> grid -> terminal, and the loop that waits for keys,
 * live events and frames. What each key does is app_keys.c.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "util/outfile.h"
#include "tui/app_impl.h"
#include "tui/crt.h"

#define MESSAGE_NS 4000000000ull	/* how long a note stays */
#define LIVE_LAG_NS 20000000ull		/* live edge: this much behind the clock
					 * (events come up to 35 ms late: the
					 * few that do are drawn when they come) */
#define FRAME_MS 30			/* 33 frames per second while moving */
#define MIN_FRAME_MS 15			/* at most 66 while live events come */

void app_extent(const struct app *a, uint64_t *first, uint64_t *last)
{
	timeline_extent(a->o.tl, first, last);
}

uint64_t app_span(const struct app *a)
{
	return (uint64_t)(a->lane_cols ? a->lane_cols : 80) * a->st.ns_per_col;
}

bool app_recorded(const struct app *a)
{
	return a->st.mode == TUI_REPLAY || timeline_ended(a->o.tl);
}

/* t=0 is the first event, live and replayed alike; until one came (live)
 * the start of the recording stands in. */
static void set_origin(struct app *a)
{
	uint64_t first, last;

	if (a->origin_set)
		return;
	app_extent(a, &first, &last);
	if (first) {
		a->st.origin_ns = first;
		a->origin_set = true;
	} else {
		a->st.origin_ns = timeline_meta(a->o.tl)->start_ns;
	}
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
	app_extent(a, &first, &last);
	set_origin(a);
	if (o->mode == TUI_LIVE) {
		a->st.follow = true;
		a->st.now_ns = last + 1;
	} else {
		/* from the first event on (--at: later) */
		a->st.now_ns = first + (o->at_ns ? o->at_ns : 1);
		if (a->st.now_ns > last + 1)
			a->st.now_ns = last + 1;
	}
	a->told_now = a->st.now_ns;
	a->dirty = true;
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
	a->dirty = true;
}

void app_panel(struct app *a, const char *title, const char *text)
{
	free(a->panel);
	free(a->panel_title);
	a->panel = text ? strdup(text) : NULL;
	a->panel_title = title && text ? strdup(title) : NULL;
	a->st.panel = a->panel;
	a->st.panel_title = a->panel_title;
	a->dirty = true;
}

void app_source_ended(struct app *a)
{
	uint64_t first, last;

	timeline_end(a->o.tl);
	app_extent(a, &first, &last);
	if (a->st.follow) {
		a->st.now_ns = last + 1;
		a->st.follow = false;
	}
	a->dirty = true;
	app_time_moved(a);
}

void app_set_now(struct app *a, uint64_t ts)
{
	uint64_t first, last;

	app_extent(a, &first, &last);
	if (ts > last + 1)
		ts = last + 1;
	if (ts < first + 1)
		ts = first + 1;
	a->st.now_ns = ts;
}

void app_time_moved(struct app *a)
{
	if (a->st.now_ns == a->told_now)
		return;
	a->told_now = a->st.now_ns;
	a->dirty = true;
	if (a->o.on_time)
		a->o.on_time(a->o.ctx, a);
}

int app_window(struct app *a, uint64_t *t0, const struct tl_window **w)
{
	uint64_t sp = app_span(a);

	set_origin(a);
	*t0 = a->st.now_ns > sp ? a->st.now_ns - sp : 0;
	/* nothing before the first event (ever: a live ring that forgot the
	 * oldest still starts there): the lanes fill from the left */
	if (a->origin_set && *t0 < a->st.origin_ns)
		*t0 = a->st.origin_ns;
	if (*t0 >= a->st.now_ns)
		a->st.now_ns = *t0 + 1;
	timeline_log_filter(a->o.tl, a->st.ev_tid);
	return timeline_window(a->o.tl, *t0, a->st.now_ns, w);
}

void app_zoom_fit(struct app *a)
{
	uint64_t first, last, npc, cols = (uint64_t)(a->lane_cols ? a->lane_cols : 80);

	app_extent(a, &first, &last);
	if (!first && !last)
		return;
	if (a->st.mode == TUI_LIVE && a->st.follow && a->st.now_ns > last + 1)
		last = a->st.now_ns - 1;
	npc = (last + 1 - first + cols - 1) / cols;
	if (npc < TUI_NS_PER_COL_MIN)
		npc = TUI_NS_PER_COL_MIN;
	if (npc > TUI_NS_PER_COL_MAX)
		npc = TUI_NS_PER_COL_MAX;
	a->st.ns_per_col = npc;
	a->st.now_ns = last + 1;
	if (a->st.mode == TUI_REPLAY)
		a->st.paused = true;	/* the whole run: nothing left to play */
	a->dirty = true;
	app_time_moved(a);
}

void app_tick(struct app *a, uint64_t dt_ns)
{
	struct tui_state *st = &a->st;
	uint64_t first, last;

	if (st->message) {
		if (a->message_left <= dt_ns) {
			st->message = NULL;
			a->dirty = true;
		} else {
			a->message_left -= dt_ns;
		}
	}
	if (st->paused || !dt_ns)
		return;
	app_extent(a, &first, &last);
	if (st->mode == TUI_LIVE && st->follow) {
		st->now_ns += dt_ns;
		if (st->now_ns < last + 1)
			st->now_ns = last + 1;
	} else if (st->mode == TUI_LIVE) {
		/* behind the newest events: play up to them, then follow */
		st->now_ns += (uint64_t)(dt_ns * st->speed);
		if (st->now_ns >= last + 1) {
			st->now_ns = last + 1;
			st->follow = !timeline_ended(a->o.tl);
		}
	} else if (st->now_ns < last + 1) {
		st->now_ns += (uint64_t)(dt_ns * st->speed);
		if (st->now_ns >= last + 1) {
			st->now_ns = last + 1;
			st->paused = true;
			app_message(a, "end of the trace: space plays it again");
		}
	}
	app_time_moved(a);
}

/* Does the view move by itself (play, follow)? Then frames are due. */
static bool moving(const struct app *a)
{
	uint64_t first, last;

	if (a->st.paused)
		return false;
	if (a->st.mode == TUI_LIVE && a->st.follow)
		return !timeline_ended(a->o.tl);
	app_extent(a, &first, &last);
	return a->st.now_ns < last + 1 || (a->st.mode == TUI_LIVE && !timeline_ended(a->o.tl));
}

/* The highlighted thread, if the table has the focus, stays in view as
 * time changes the table's order. */
static void keep_highlight_shown(struct app *a, const struct tl_window *w)
{
	uint32_t order[TUI_THREADS_MAX];
	int rows, ev_rows;
	size_t n, p;

	if (!a->st.highlight_tid || a->st.focus != TUI_FOCUS_THREADS)
		return;
	tui_pane_rows(w, &a->st, a->screen_w, a->screen_h, &rows, &ev_rows);
	n = tui_thread_order(w, a->st.sort, order);
	for (p = 0; p < n && w->threads[order[p]].tid != a->st.highlight_tid; p++)
		;
	if (p == n || rows < 2)
		return;
	if (p < a->st.thr_top)
		a->st.thr_top = (uint32_t)p;
	else if (p >= a->st.thr_top + (size_t)rows - 1)
		a->st.thr_top = (uint32_t)(p - (size_t)rows + 2);
}

int app_render(struct app *a, struct grid *g)
{
	const struct tl_window *w;
	uint64_t t0;
	int err;

	a->lane_cols = tui_lane_cols(g->w);
	a->screen_w = g->w;
	a->screen_h = g->h;
	a->dirty = false;
	err = app_window(a, &t0, &w);
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
		a->dirty = false;
		return tui_render(&empty, &a->st, g);
	}
	if (err)
		return err;
	keep_highlight_shown(a, w);
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

/* Live: the right edge keeps up with the clock (events come a little
 * late); a view playing behind it follows again once it got there. */
static void live_edge(struct app *a, uint64_t now)
{
	struct tui_state *st = &a->st;

	if (st->mode != TUI_LIVE || st->paused || timeline_ended(a->o.tl) || now <= LIVE_LAG_NS)
		return;
	if (!st->follow && st->now_ns + LIVE_LAG_NS >= now)
		st->follow = true;
	if (st->follow && now - LIVE_LAG_NS > st->now_ns)
		st->now_ns = now - LIVE_LAG_NS;
	app_time_moved(a);
}

/* How long poll() may sleep: till the next frame while the view moves,
 * till a note goes, or (nothing to wait for but keys and events) forever. */
static int wait_ms(const struct app *a, uint64_t now, uint64_t next_frame, bool fresh)
{
	if (fresh)
		return MIN_FRAME_MS;
	if (moving(a))
		return next_frame > now ? (int)((next_frame - now) / 1000000) : 0;
	if (a->st.message)
		return (int)(a->message_left / 1000000) + 1;
	return -1;
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
		int n = a->o.poll_fd >= 0 ? 2 : 1, key;
		uint64_t now = mono_ns();

		/* a frame at once after a key or a change, when one is due while
		 * the view moves, and soon after new live events (for the
		 * latency, at most every MIN_FRAME_MS); a window still being read
		 * (-EAGAIN) is read on until it is drawn */
		if (redraw || reading || a->dirty || (moving(a) && now >= next_frame) ||
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
		if (poll(pfd, n, reading ? 0 : wait_ms(a, now, next_frame, fresh)) < 0 &&
		    errno != EINTR) {
			err = -errno;
			break;
		}
		/* the time slept passed in the state it was slept in (paused:
		 * only a note's countdown runs), before any key changes it */
		now = mono_ns();
		app_tick(a, now - t);
		t = now;
		live_edge(a, now);
		if (n == 2 && (pfd[1].revents & (POLLIN | POLLHUP | POLLERR))) {
			int r = a->o.on_poll(a->o.ctx, a);

			if (r < 0) {
				err = r;
				break;
			}
			if (r == 1) {
				app_source_ended(a);
				a->o.poll_fd = -1;
			}
			fresh = a->st.follow && !a->st.paused;
		}
		while ((key = crt_key(0)) != CRT_KEY_NONE) {
			redraw = true;
			if (key == CRT_KEY_RESIZE) {
				crt_size(&w, &h);
				continue;
			}
			if (key == CRT_KEY_CLICK || key == CRT_KEY_WHEEL_UP ||
			    key == CRT_KEY_WHEEL_DOWN) {
				int x, y;

				crt_click_at(&x, &y);
				if (key == CRT_KEY_CLICK)
					app_click(a, x, y);
				else
					app_wheel(a, x, y, key == CRT_KEY_WHEEL_UP ? 1 : -1);
				continue;
			}
			if (app_key(a, key))
				break;
		}
	}
	grid_free(g);
	crt_done();
	latency_write(&lat);
	return err;
}
