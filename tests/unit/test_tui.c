/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * test_tui.c - the viewer without a terminal: events -> timeline -> app ->
 * grid, compared with golden screens in tests/golden/ (run from the top of
 * the tree; GILSCOPE_GOLDEN_UPDATE=1 rewrites them, then review them by eye
 * with cat on tests/golden), plus exact checks on small hand-built
 * scenes and on keys.
 *
 * Long file: the viewer's one test program, so its scenes, golden-screen
 * helpers and fixtures are written once; each test is a few dozen lines.
 */
#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "check.h"
#include "scratch.h"
#include "tui/app.h"
#include "tui/crt.h"
#include "tui/timeline.h"
#include "trace/trace_reader.h"
#include "trace/trace_synth.h"
#include "trace/trace_writer.h"

#define MS 1000000ull
#define T0 (5000 * MS)		/* hand-built scenes start here */
#define PID 100
#define A_TID 101
#define B_TID 102
#include "events.h"
#include "tracefile.h"
#include "pyscene.h"

/* ---- helpers --------------------------------------------------------- */

#define LOCK 0x1000

/*
 * Two threads, two CPUs, a lock passed every 10 ms:
 *   A runs on CPU0 holding the lock [0, 10) ms; B asks at 1 ms and sleeps;
 *   at 9 ms B asks A to drop it; at 10 ms A drops it, B runs on CPU1 and
 *   takes it, A asks again and sleeps; at 20 ms it goes back, and so on.
 */
static size_t pingpong(struct gs_event *e, int rounds)
{
	size_t n = 0;

	e[n++] = name_ev(T0, A_TID, "worker-a");
	e[n++] = name_ev(T0, B_TID, "worker-b");
	e[n++] = sw(T0, 0, 0, A_TID, 0);
	e[n++] = ev(T0, GS_EV_LOCK_ACQUIRED, A_TID, 0, LOCK, 0);
	e[n++] = sw(T0 + 1 * MS, 1, 0, B_TID, 0);
	e[n++] = ev(T0 + 1 * MS, GS_EV_LOCK_REQUEST, B_TID, 1, LOCK, 0);
	e[n++] = sw(T0 + 1 * MS + 1000, 1, B_TID, 0, 1);
	for (int r = 0; r < rounds; r++) {
		uint64_t t = T0 + (uint64_t)r * 10 * MS;
		uint32_t h = r % 2 ? B_TID : A_TID, w = r % 2 ? A_TID : B_TID;
		uint16_t hc = r % 2, wc = !hc;

		e[n++] = sw(t + 9 * MS, wc, 0, w, 0);
		e[n++] = ev(t + 9 * MS, GS_EV_DROP_REQUEST, w, wc, LOCK, h);
		e[n++] = sw(t + 9 * MS + 1000, wc, w, 0, 1);
		e[n++] = ev(t + 10 * MS, GS_EV_LOCK_RELEASED, h, hc, LOCK, 10 * MS);
		e[n++] = sw(t + 10 * MS, wc, 0, w, 0);
		e[n++] = ev(t + 10 * MS + 1000, GS_EV_LOCK_ACQUIRED, w, wc, LOCK, 9 * MS);
		e[n++] = ev(t + 10 * MS + 1000, GS_EV_LOCK_REQUEST, h, hc, LOCK, 0);
		e[n++] = sw(t + 10 * MS + 2000, hc, h, 0, 1);
	}
	return n;
}

static struct timeline *live_of(const struct gs_event *e, size_t n, uint32_t ncpus)
{
	struct trace_meta meta = { .ncpus = ncpus, .root_pid = PID };
	struct timeline *tl = NULL;

	CHECK(timeline_new_live(&tl, &meta, NULL) == 0);
	if (tl) {
		CHECK(timeline_append(tl, e, n) == 0);
		timeline_end(tl);
	}
	return tl;
}

static struct timeline *file_of(const char *name, const struct gs_event *e, size_t n,
				uint32_t ncpus, uint32_t block_events)
{
	struct trace_meta meta = { .ncpus = ncpus, .root_pid = PID };

	snprintf(meta.command, sizeof(meta.command), "pingpong");
	return timeline_of_file(scratch_folder(), name, &meta, e, n, block_events);
}

/* name written afresh: 40 rounds of the ping-pong scene on 2 CPUs, in
 * blocks of block_events */
static struct timeline *pingpong_file(const char *name, uint32_t block_events)
{
	struct gs_event e[1024];
	size_t n = pingpong(e, 40);

	return file_of(name, e, n, 2, block_events);
}

static struct app *app_of(struct timeline *tl, uint8_t mode, bool ascii, bool color)
{
	struct app_opts o = { .tl = tl, .mode = mode, .ascii = ascii, .color = color,
			      .title = "pingpong", .pid = PID, .poll_fd = -1 };
	struct app *a = NULL;

	CHECK(app_new(&a, &o) == 0);
	return a;
}

/*
 * A live screen: a live timeline (ring of cap events, 0: the default) given
 * the first n of e, and an app on it with options o (o->tl is set). The app,
 * or NULL after a failed check; *tl is for the caller to free either way.
 */
static struct app *live_app(struct timeline **tl, size_t cap, const struct gs_event *e, size_t n,
			    struct app_opts *o)
{
	struct trace_meta meta = { .ncpus = 2, .root_pid = PID };
	struct timeline_opts to = { .live_cap = cap };
	struct app *a = NULL;

	*tl = NULL;
	CHECK(timeline_new_live(tl, &meta, cap ? &to : NULL) == 0);
	if (!*tl)
		return NULL;
	o->tl = *tl;
	timeline_append(*tl, e, n);
	CHECK(app_new(&a, o) == 0);
	return a;
}

/* The end of a test on one screen: each safe on NULL. */
static void screen_free(struct grid *g, struct app *a, struct timeline *tl)
{
	grid_free(g);
	app_free(a);
	timeline_free(tl);
}

#include "gridtext.h"
#include "golden.h"

/* ---- tests -------------------------------------------------------------- */

/* Exact strips on the hand-built scene: 1 col = 1 ms, the window is [0, 40) ms. */
static void test_pingpong_lanes(void)
{
	struct gs_event e[256];
	size_t n = pingpong(e, 4);
	struct timeline *tl = live_of(e, n, 2);
	struct app *a = app_of(tl, TUI_REPLAY, true, false);
	struct grid *g = grid_new(46, 16);	/* too small: the message */
	int y;

	if (!a || !g)
		goto out;
	CHECK(app_render(a, g) == 0);
	CHECKF(strstr(row(g, 7), "terminal too small: 46x16") != NULL, "%s", row(g, 7));
	grid_free(g);
	/* 6 label + 40 lane columns */
	g = grid_new(46, 20);
	CHECK(TUI_MIN_W <= 46 + 4);
	grid_free(g);
	g = grid_new(56, 20);	/* lane of 50 ms */
	app_state(a)->now_ns = T0 + 40 * MS;
	app_state(a)->paused = true;
	CHECK(app_render(a, g) == 0);
	y = find_row(g, "LOCK");
	CHECKF(y > 0, "no LOCK row");
	/* nothing before T0, the first event: the lanes begin there with A,
	 * B, A, B for 10 ms each, and after "now" (40 ms) nothing is drawn */
	CHECKF(!strcmp(row(g, y), "LOCK  AAAAAAAAAABBBBBBBBBBAAAAAAAAAABBBBBBBBBB"),
	       "%s", row(g, y));
	y = find_row(g, "CPU0");
	/* A holds [0, 10) and [20, 30) ms; it wakes for a few us at 10 ms (to ask
	 * again), at 19 ms (drop request) and at 20 ms: lower case, no lock */
	CHECKF(y > 0 && !strcmp(row(g, y), "CPU0  AAAAAAAAAAa        aAAAAAAAAAAa        a"),
	       "%s", row(g, y));
	y = find_row(g, "CPU1");
	CHECKF(y > 0 && !strcmp(row(g, y),
				"CPU1   b       bBBBBBBBBBBb        bBBBBBBBBBB"),
	       "%s", row(g, y));
	y = find_row(g, "wait");
	CHECKF(y > 0 && !strcmp(row(g, y),
				"wait   bbbbbbbbbaaaaaaaaaabbbbbbbbbbaaaaaaaaaa"),
	       "%s", row(g, y));
	/* the table: each held the lock for 20 of the 40 ms there are */
	y = find_row(g, " A worker-a");
	CHECKF(y > 0 && strstr(row(g, y), " 50.0 %") != NULL, "%s", y > 0 ? row(g, y) : "");
	golden("pingpong_56x20_ascii", g);
out:
	screen_free(g, a, tl);
}

/* The same events from a trace file (small blocks: seeks land on keyframes)
 * and from memory give the same screen, wherever the window is. */
static void test_file_equals_live(void)
{
	struct gs_event e[1024];
	size_t n = pingpong(e, 40);
	struct timeline *live = live_of(e, n, 2);
	struct timeline *file = file_of("pingpong.gst", e, n, 2, 16);
	struct app *al = app_of(live, TUI_REPLAY, true, false);
	struct app *af = app_of(file, TUI_REPLAY, true, false);
	struct grid *gl = grid_new(100, 30), *gf = grid_new(100, 30);
	static const uint64_t at[] = { 45, 399, 120, 250, 80, 81, 300 };

	if (!al || !af || !gl || !gf)
		goto out;
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		char *tl_text, *tf_text;

		app_state(al)->now_ns = app_state(af)->now_ns = T0 + at[i] * MS;
		app_state(al)->paused = app_state(af)->paused = true;
		CHECK(app_render(al, gl) == 0);
		CHECK(app_render(af, gf) == 0);
		tl_text = grid_text(gl);
		tf_text = grid_text(gf);
		CHECKF(tl_text && tf_text && !strcmp(tl_text, tf_text),
		       "at %llu ms:\n%s\n--- file:\n%s", (unsigned long long)at[i],
		       tl_text, tf_text);
		free(tl_text);
		free(tf_text);
	}
out:
	grid_free(gl);
	grid_free(gf);
	app_free(al);
	app_free(af);
	timeline_free(live);
	timeline_free(file);
}

/* Keys: zoom, pause, step, go to, help, highlight. */
static void test_keys(void)
{
	struct timeline *tl = pingpong_file("keys.gst", 32);
	struct app *a = app_of(tl, TUI_REPLAY, true, false);
	struct grid *g = grid_new(100, 30);
	struct tui_state *st;
	uint64_t t;
	int y;

	if (!a || !g)
		goto out;
	st = app_state(a);
	CHECK(st->ns_per_col == MS);
	CHECK(!st->paused);
	app_tick(a, 10 * MS);
	t = st->now_ns;
	CHECK(app_key(a, ' ') == 0);
	CHECK(st->paused);
	app_tick(a, 100 * MS);
	CHECK(st->now_ns == t);		/* paused: time stands still */
	app_key(a, '+');
	CHECK(st->ns_per_col == 500000);
	app_key(a, '-');
	app_key(a, '-');
	CHECK(st->ns_per_col == 2 * MS);
	/* out no further than the whole trace (400 ms): 80 columns of 10 ms */
	for (int i = 0; i < 40; i++)
		app_key(a, '-');
	CHECKF(st->ns_per_col == 10 * MS, "%llu ns per column",
	       (unsigned long long)st->ns_per_col);
	CHECK(st->message && strstr(st->message, "whole recording is in view"));
	for (int i = 0; i < 40; i++)
		app_key(a, '+');
	CHECK(st->ns_per_col == TUI_NS_PER_COL_MIN);
	st->ns_per_col = MS;
	/* go to 0.1 s: the window ends at 100 ms after the first event */
	app_key(a, 'g');
	CHECK(st->prompt != NULL);
	app_key(a, '0');
	app_key(a, '.');
	app_key(a, '1');
	app_key(a, CRT_KEY_ENTER);
	CHECK(st->prompt == NULL);
	CHECKF(st->now_ns == st->origin_ns + 100 * MS + 1, "now %llu",
	       (unsigned long long)(st->now_ns - st->origin_ns));
	/* step: lock events after 100 ms: acquire + request at 100.001 ms (one
	 * step: same time), drop request at 109 ms; before: release at 100 ms */
	app_key(a, CRT_KEY_RIGHT);
	CHECKF(st->now_ns == T0 + 100 * MS + 1000 + 1, "now %llu",
	       (unsigned long long)(st->now_ns - T0));
	app_key(a, CRT_KEY_RIGHT);
	CHECKF(st->now_ns == T0 + 109 * MS + 1, "now %llu",
	       (unsigned long long)(st->now_ns - T0));
	CHECK(st->paused);
	app_key(a, CRT_KEY_LEFT);
	CHECKF(st->now_ns == T0 + 100 * MS + 1000 + 1, "now %llu",
	       (unsigned long long)(st->now_ns - T0));
	app_key(a, CRT_KEY_LEFT);
	CHECKF(st->now_ns == T0 + 100 * MS + 1, "now %llu",
	       (unsigned long long)(st->now_ns - T0));
	CHECK(app_render(a, g) == 0);
	y = find_row(g, "LOCK");
	CHECK(y > 0);
	/* the newest event in the log is the release at 100 ms */
	CHECKF(strstr(row(g, g->h - 2), "0.1000 s B worker-b releases the lock") != NULL,
	       "%s", row(g, g->h - 2));
	/* t highlights A, then B, then nothing */
	app_key(a, 't');
	CHECK(st->highlight_tid == A_TID);
	app_key(a, 't');
	CHECK(st->highlight_tid == B_TID);
	app_key(a, 't');
	CHECK(st->highlight_tid == 0);
	app_key(a, '?');
	CHECK(st->help);
	CHECK(app_render(a, g) == 0);
	golden("help_100x30_ascii", g);
	app_key(a, 'x');
	CHECK(!st->help);
	/* speed */
	app_key(a, '>');
	CHECK(st->speed == 2);
	app_key(a, '<');
	app_key(a, '<');
	CHECK(st->speed == 0.5);
	/* play to the end: it stops there */
	app_key(a, ' ');
	app_tick(a, 10000 * MS);
	CHECK(st->paused);
	CHECK(app_key(a, 'q') == 1);
out:
	screen_free(g, a, tl);
}

/* Golden screens of a synthetic trace (4 threads, 2 CPUs, preemptions, I/O). */
/* The mouse: a click on the strips goes to that moment, on a thread's row
 * highlights it; the wheel zooms; clicks elsewhere change nothing. */
static void test_mouse(void)
{
	struct timeline *tl = pingpong_file("mouse.gst", 32);
	struct app *a = app_of(tl, TUI_REPLAY, true, false);
	struct grid *g = grid_new(100, 30);
	struct tui_state *st;
	const struct tl_window *w;
	struct tui_hit hit;
	uint32_t before[94];
	uint64_t now;
	int y, ya;

	if (!a || !g)
		goto out;
	st = app_state(a);
	app_key(a, 'g');
	for (const char *k = "0.3"; *k; k++)
		app_key(a, *k);
	app_key(a, CRT_KEY_ENTER);
	now = st->now_ns;
	CHECK(!st->paused);	/* going to a time keeps playing */
	CHECK(app_render(a, g) == 0);
	y = find_row(g, "CPU0");
	CHECK(y > 0);
	if (y <= 0)
		goto out;
	for (int k = 0; k < 94; k++)
		before[k] = grid_cell(g, 6 + k, y)->ch;
	/* outside the lanes: the status line, the labels */
	app_click(a, 50, 0);
	app_click(a, 2, y);
	CHECK(st->now_ns == now && !st->paused);
	/* column 50 of the lanes: it becomes the last column */
	app_click(a, 6 + 50, y);
	CHECK(st->paused);
	CHECKF(st->now_ns == now - 94 * MS + 51 * MS, "now %lld ns off",
	       (long long)(st->now_ns - (now - 94 * MS + 51 * MS)));
	CHECK(app_render(a, g) == 0);
	/* the strip moved 43 columns right: what was at 0..50 is at 43..93 */
	for (int k = 0; k <= 50; k++)
		CHECKF(grid_cell(g, 6 + 43 + k, y)->ch == before[k], "column %d: '%c', was '%c'",
		       43 + k, (int)grid_cell(g, 6 + 43 + k, y)->ch, (int)before[k]);
	/* the lock lane, the wait lane and the ruler share the strips' columns */
	if (timeline_window(tl, st->now_ns - 94 * MS, st->now_ns, &w) == 0) {
		struct tui_hit cpu;

		CHECK(tui_hit(w, st, 100, 30, 6 + 20, y, &cpu) == 0);
		CHECK(cpu.kind == TUI_HIT_TIME && cpu.ts_ns == st->now_ns - 94 * MS + 20 * MS);
		for (int dy = 1; dy <= 3; dy++) {
			CHECK(tui_hit(w, st, 100, 30, 6 + 20, find_row(g, "LOCK") + dy - 1,
				      &hit) == 0);
			CHECK(hit.kind == TUI_HIT_TIME && hit.ts_ns == cpu.ts_ns);
		}
		CHECK(tui_hit(w, st, 100, 30, 6 + 20, 0, &hit) == 0 && hit.kind == TUI_HIT_NONE);
		CHECK(tui_hit(w, st, 40, 30, 6 + 20, y, &hit) == 0 && hit.kind == TUI_HIT_NONE);
	}
	CHECK(tui_hit(NULL, st, 100, 30, 0, 0, &hit) == -EINVAL);
	/* a thread's row highlights it; again: none */
	ya = find_row(g, " A worker-a");
	CHECK(ya > y);
	app_click(a, 10, ya);
	CHECK(st->highlight_tid == A_TID);
	app_click(a, 10, ya + 1);
	CHECK(st->highlight_tid == B_TID);
	app_click(a, 10, ya + 1);
	CHECK(st->highlight_tid == 0);
	/* the header of the table is not a thread */
	app_click(a, 10, ya - 1);
	CHECK(st->highlight_tid == 0);
	/* the wheel zooms like + and - */
	app_key(a, CRT_KEY_WHEEL_UP);
	CHECK(st->ns_per_col == MS / 2);
	app_key(a, CRT_KEY_WHEEL_DOWN);
	CHECK(st->ns_per_col == MS);
	/* with the help open, a click only closes it */
	now = st->now_ns;
	app_key(a, '?');
	CHECK(app_render(a, g) == 0);
	app_click(a, 6 + 10, y);
	CHECK(!st->help && st->now_ns == now);
out:
	screen_free(g, a, tl);
}

static void test_golden_synth(void)
{
	struct timeline *tl = timeline_of_synth(scratch_folder());
	struct app *a = NULL;
	struct grid *g = NULL;

	if (!tl)
		return;
	a = app_of(tl, TUI_REPLAY, false, true);
	app_state(a)->title = timeline_meta(tl)->command;
	g = grid_new(120, 40);
	if (!a || !g)
		goto out;
	app_state(a)->now_ns = app_state(a)->origin_ns + 250 * MS;
	CHECK(app_render(a, g) == 0);
	golden("synth_120x40_unicode", g);
	CHECK(find_row(g, "CPU0") == 1);
	CHECK(find_row(g, "CPU1") == 2);
	CHECK(find_row(g, "LOCK") == 3);
	app_state(a)->ascii = true;
	app_state(a)->color = false;
	CHECK(app_render(a, g) == 0);
	golden("synth_120x40_ascii", g);
	grid_free(g);
	g = grid_new(80, 24);
	app_state(a)->ns_per_col = 200000;
	CHECK(app_render(a, g) == 0);
	golden("synth_80x24_ascii_zoomed", g);
	/* a lesson's narration panel */
	app_panel(a, "lesson: the lock", "Only the thread holding the lock runs Python code. "
		  "Watch the LOCK lane: one letter at a time, even with two CPUs.\n"
		  "Press space to go on.");
	CHECK(app_render(a, g) == 0);
	golden("synth_80x24_panel", g);
out:
	screen_free(g, a, tl);
}

/* Live: events appended while drawing; following keeps the newest in view. */
static void test_live_follow(void)
{
	struct gs_event e[1024];
	size_t n = pingpong(e, 20), half = n / 2;
	struct timeline *tl;
	struct app_opts o = { .mode = TUI_LIVE, .ascii = true, .poll_fd = -1 };
	struct app *a = live_app(&tl, 64, e, half, &o);
	struct grid *g = grid_new(80, 24);
	int y;

	if (!a || !g)
		goto out;
	CHECK(app_state(a)->follow);
	CHECK(app_render(a, g) == 0);
	CHECK(strstr(row(g, 0), "LIVE") != NULL);
	timeline_append(tl, e + half, n - half);	/* the ring drops the oldest */
	app_tick(a, 40 * MS);
	CHECK(app_state(a)->now_ns == e[n - 1].ts_ns + 1);
	CHECK(app_render(a, g) == 0);
	y = find_row(g, "LOCK");
	CHECKF(y > 0 && strstr(row(g, y), "AAAAAAAAAA") != NULL, "%s", y > 0 ? row(g, y) : "");
	app_source_ended(a);
	CHECK(app_render(a, g) == 0);
	CHECKF(strstr(row(g, 0), "ENDED") != NULL, "%s", row(g, 0));
	/* scrolling back before the oldest event kept starts over from it */
	app_state(a)->now_ns = T0 + 5 * MS;
	CHECK(app_render(a, g) == 0);
out:
	screen_free(g, a, tl);
}

/* Many CPUs: strips only where the program ran, the rest counted. */
static void test_many_cpus(void)
{
	struct trace_synth_opts so = { .threads = 4, .cpus = 64 };
	struct trace_meta meta = { .ncpus = 64, .root_pid = 4242 };
	struct trace_synth *s = NULL;
	struct timeline *tl = NULL;
	struct gs_event e[4000];
	struct app *a = NULL;
	struct grid *g = grid_new(100, 30);
	int strips = 0;

	CHECK(trace_synth_new(&s, &so) == 0);
	CHECK(timeline_new_live(&tl, &meta, NULL) == 0);
	if (!s || !tl || !g)
		goto out;
	trace_synth_next(s, e, 4000);
	timeline_append(tl, e, 4000);
	timeline_end(tl);
	a = app_of(tl, TUI_REPLAY, true, false);
	if (!a)
		goto out;
	app_state(a)->now_ns = app_state(a)->origin_ns + 200 * MS;
	CHECK(app_render(a, g) == 0);
	for (int y = 0; y < g->h; y++)
		strips += !strncmp(row(g, y), "CPU", 3);
	CHECKF(strips >= 1 && strips <= 14, "%d strips", strips);
	CHECK(find_row(g, "LOCK") == strips + 1);
	CHECKF(strstr(row(g, strips + 3), "other CPUs not shown") != NULL, "%s", row(g, strips + 3));
	golden("synth64cpus_100x30_ascii", g);
out:
	screen_free(g, a, tl);
	trace_synth_free(s);
}

/* Thread numbers (letters) stay the same across restarts, with many threads. */
static void test_stable_letters(void)
{
	struct trace_synth_opts so = { .threads = 48, .cpus = 4 };
	struct trace_meta meta = { .ncpus = 4, .root_pid = 4242 };
	struct trace_synth *s = NULL;
	struct timeline *tl = NULL;
	static struct gs_event e[40000];
	const struct tl_window *w;
	uint32_t idx[64] = { 0 }, seen = 0;
	bool used[64] = { false };

	CHECK(trace_synth_new(&s, &so) == 0);
	CHECK(timeline_new_live(&tl, &meta, NULL) == 0);
	if (!s || !tl)
		goto out;
	trace_synth_next(s, e, 40000);
	timeline_append(tl, e, 40000);
	for (int pass = 0; pass < 3; pass++) {
		/* late, early (a restart), late again */
		uint64_t t1 = e[pass == 1 ? 5000 : 39000].ts_ns;

		CHECK(timeline_window(tl, t1 - 50 * MS, t1, &w) == 0);
		for (size_t i = 0; i < w->nthreads; i++) {
			uint32_t k = w->threads[i].tid - 4242;

			CHECK(k < 64);
			if (k >= 64)
				continue;
			CHECKF(!idx[k] || idx[k] == w->threads[i].index + 1, "tid %u: %u then %u",
			       w->threads[i].tid, idx[k] - 1, w->threads[i].index);
			if (!idx[k]) {
				CHECK(!used[w->threads[i].index % 64]);
				used[w->threads[i].index % 64] = true;
				seen++;
			}
			idx[k] = w->threads[i].index + 1;
		}
	}
	CHECKF(seen >= 40, "%u threads", seen);
out:
	timeline_free(tl);
	trace_synth_free(s);
}

/* Two processes, each holding its own lock: a lane each, both full. (The
 * model keys locks by address, so these two use different ones.) */
static void test_two_processes(void)
{
	struct gs_event e[16];
	size_t n = 0;
	struct timeline *tl;
	struct app *a;
	struct grid *g = grid_new(60, 20);
	int y;

	e[n++] = name_ev(T0, A_TID, "proc-a");
	e[n++] = name_ev(T0, B_TID, "proc-b");
	e[n++] = sw(T0, 0, 0, A_TID, 0);
	e[n++] = ev(T0, GS_EV_LOCK_ACQUIRED, A_TID, 0, LOCK, 0);
	e[n] = sw(T0, 1, 0, B_TID, 0);
	e[n].arg0 = B_TID | (uint64_t)(PID + 1) << 32;
	n++;
	e[n] = ev(T0, GS_EV_LOCK_ACQUIRED, B_TID, 1, LOCK + 0x40, 0);
	e[n++].pid = PID + 1;
	e[n++] = ev(T0 + 100 * MS, GS_EV_THREAD_START, A_TID, 0, 0, 0);
	tl = live_of(e, n, 2);
	a = app_of(tl, TUI_REPLAY, true, false);
	if (!a || !g)
		goto out;
	app_state(a)->now_ns = T0 + 60 * MS;
	CHECK(app_render(a, g) == 0);
	y = find_row(g, "LOCK1");
	CHECKF(y > 0 && find_row(g, "LOCK2") == y + 1, "no LOCK1/LOCK2:\n%s", row(g, 3));
	if (y > 0) {
		char l1[4096], l2[4096];

		snprintf(l1, sizeof(l1), "%s", row(g, y));
		snprintf(l2, sizeof(l2), "%s", row(g, y + 1));
		/* 54 columns: 44 before T0, then 10 ms each held by both */
		CHECKF((strstr(l1, "AAAAAAAAAA") && strstr(l2, "BBBBBBBBBB")) ||
		       (strstr(l1, "BBBBBBBBBB") && strstr(l2, "AAAAAAAAAA")), "%s / %s", l1, l2);
	}
	y = find_row(g, " A proc-a");
	CHECKF(y > 0 && strstr(row(g, y), "runs, holds lock"), "%s", y > 0 ? row(g, y) : "");
	y = find_row(g, " B proc-b");
	CHECKF(y > 0 && strstr(row(g, y), "runs, holds lock"), "%s", y > 0 ? row(g, y) : "");
out:
	screen_free(g, a, tl);
}

/* Lost events: counted in the status line, said in the log. */
static void test_lost(void)
{
	struct gs_event e[256];
	size_t n = pingpong(e, 4);
	struct timeline *tl;
	struct app *a;
	struct grid *g = grid_new(100, 30);

	e[n] = ev(e[n - 1].ts_ns, GS_EV_LOST, 0, 0, 7, 0);
	tl = live_of(e, n + 1, 2);
	a = app_of(tl, TUI_REPLAY, true, false);
	if (!a || !g)
		goto out;
	app_state(a)->now_ns = e[n].ts_ns + 1;
	CHECK(app_render(a, g) == 0);
	CHECKF(strstr(row(g, 0), "LOST 7 events") != NULL, "%s", row(g, 0));
	CHECKF(strstr(row(g, g->h - 2), "7") != NULL && strstr(row(g, g->h - 2), "lost") != NULL,
	       "%s", row(g, g->h - 2));
out:
	screen_free(g, a, tl);
}

/* Paused live: the view stays as it was while the ring forgets old events. */
static void test_live_paused_wraps(void)
{
	struct gs_event e[1024];
	size_t n = pingpong(e, 40);
	struct timeline *tl;
	struct app_opts o = { .mode = TUI_LIVE, .ascii = true, .poll_fd = -1 };
	struct app *a = live_app(&tl, 100, e, 60, &o);
	struct grid *g = grid_new(80, 24);
	char *before = NULL, *after = NULL;

	if (!a || !g)
		goto out;
	app_key(a, ' ');
	CHECK(app_state(a)->paused && !app_state(a)->follow);
	CHECK(app_render(a, g) == 0);
	before = grid_text(g);
	timeline_append(tl, e + 60, n - 60);	/* wraps the ring several times */
	app_tick(a, 100 * MS);
	CHECK(app_render(a, g) == 0);
	after = grid_text(g);
	CHECKF(before && after && !strcmp(before, after), "before:\n%s\nafter:\n%s", before, after);
	app_key(a, 'f');			/* follow again: the newest events */
	CHECK(app_state(a)->follow && !app_state(a)->paused);
	CHECK(app_state(a)->now_ns == e[n - 1].ts_ns + 1);
	CHECK(app_render(a, g) == 0);
out:
	free(before);
	free(after);
	screen_free(g, a, tl);
}

/* A damaged block in the middle of a file: a note over an empty window,
 * and the rest of the file still shows. */
static void test_damaged_file(void)
{
	struct timeline *tl = pingpong_file("damaged.gst", 16);
	struct app *a = app_of(tl, TUI_REPLAY, true, false);
	struct grid *g = grid_new(100, 30);
	char path[256];
	struct stat sb;
	int fd;

	if (!a || !g)
		goto out;
	snprintf(path, sizeof(path), "%s/damaged.gst", scratch_folder());
	/* flip bytes in the middle of the file (inside some block) */
	fd = open(path, O_RDWR);
	CHECK(fd >= 0 && fstat(fd, &sb) == 0);
	if (fd >= 0) {
		char junk[64];

		memset(junk, 0x5a, sizeof(junk));
		CHECK(pwrite(fd, junk, sizeof(junk), sb.st_size / 2) == sizeof(junk));
		close(fd);
	}
	bool noted = false, drawn = false;

	app_key(a, ' ');
	for (uint64_t t = 20; t <= 400; t += 20) {
		app_state(a)->now_ns = T0 + t * MS;
		CHECK(app_render(a, g) == 0);
		if (strstr(row(g, g->h - 1), "cannot read the trace here"))
			noted = true;
		else if (find_row(g, "LOCK") > 0 && strchr(row(g, find_row(g, "LOCK")), 'A'))
			drawn = true;
	}
	CHECK(noted);
	CHECK(drawn);
out:
	screen_free(g, a, tl);
}

/* A trace recorded within seconds of boot (first event at 1 s), viewed at
 * 1 s per column: the lanes would start before time 0 (and did start
 * before the first event, drawing a negative time). They start at the
 * first event, the data where it happened, the ruler from 0. */
static void test_near_boot(void)
{
	const uint64_t S = 1000 * MS;
	struct gs_event e[16];
	size_t n = 0;
	struct timeline *tl;
	struct app *a;
	struct grid *g = grid_new(56, 20);
	struct tui_hit hit;
	const struct tl_window *w;
	int y;

	e[n++] = name_ev(S, A_TID, "worker-a");
	e[n++] = name_ev(S, B_TID, "worker-b");
	e[n++] = sw(S, 0, 0, A_TID, 0);
	e[n++] = ev(S, GS_EV_LOCK_ACQUIRED, A_TID, 0, LOCK, 0);
	e[n++] = sw(S, 1, 0, B_TID, 0);
	e[n++] = ev(S + S / 2, GS_EV_LOCK_REQUEST, B_TID, 1, LOCK, 0);
	e[n++] = ev(3 * S, GS_EV_LOCK_RELEASED, A_TID, 0, LOCK, 0);
	e[n++] = ev(3 * S, GS_EV_LOCK_ACQUIRED, B_TID, 1, LOCK, 0);
	e[n++] = sw(4 * S, 0, A_TID, 0, 1);
	e[n++] = ev(5 * S, GS_EV_LOCK_RELEASED, B_TID, 1, LOCK, 0);
	tl = live_of(e, n, 2);
	a = app_of(tl, TUI_REPLAY, true, false);
	if (!a || !g)
		goto out;
	app_state(a)->ns_per_col = S;
	app_state(a)->now_ns = 5 * S + 1;
	app_state(a)->paused = true;
	CHECK(app_render(a, g) == 0);
	/* from the first event: A holds [1, 3) s, B [3, 5) s; nothing after */
	y = find_row(g, "LOCK");
	CHECKF(y > 0 && !strcmp(row(g, y), "LOCK  AABB."), "%s", y > 0 ? row(g, y) : "");
	y = find_row(g, "CPU0");
	CHECKF(y > 0 && !strcmp(row(g, y), "CPU0  AAa"), "%s", y > 0 ? row(g, y) : "");
	y = find_row(g, "wait");
	CHECKF(y > 0 && !strcmp(row(g, y), "wait  bb"), "%s", y > 0 ? row(g, y) : "");
	/* the ruler: from the first event, 50 columns of 1 s */
	y = find_row(g, "wait") + 1;
	CHECKF(strstr(row(g, y), " 0.000 s ") && strstr(row(g, y), " 50.000 s ") &&
	       !strstr(row(g, y), "-0") && !strstr(row(g, y), "-1") && !strstr(row(g, y), "18446"),
	       "%s", row(g, y));
	/* a click lands on the time drawn there */
	CHECK(timeline_window(tl, S, 5 * S + 1, &w) == 0);
	CHECK(tui_hit(w, app_state(a), 56, 20, 6 + 3, find_row(g, "CPU0"), &hit) == 0);
	CHECKF(hit.kind == TUI_HIT_TIME && hit.ts_ns == 4 * S, "hit %llu",
	       (unsigned long long)hit.ts_ns);
	golden("nearboot_56x20_ascii", g);
out:
	screen_free(g, a, tl);
}

#define DOTS10 ".........."
#define DOTS94 DOTS10 DOTS10 DOTS10 DOTS10 DOTS10 DOTS10 DOTS10 DOTS10 DOTS10 "...."

/* A request granted at once (REQUEST and ACQUIRED at the same ts) and a
 * hold released at once: zero-length spans, drawn at every zoom without
 * crashing, and never handed out by the timeline. */
static void test_zero_length_spans(void)
{
	static const uint64_t zoom[] = { 100, 1000, 7000, 100000, MS, 10 * MS, 1000 * MS };
	struct gs_event e[64];
	size_t n = 0;
	struct timeline *live, *file;
	const struct tl_window *w;
	struct grid *g = grid_new(100, 30);

	e[n++] = name_ev(T0, A_TID, "worker-a");
	e[n++] = name_ev(T0, B_TID, "worker-b");
	e[n++] = sw(T0, 0, 0, A_TID, 0);
	e[n++] = sw(T0, 1, 0, B_TID, 0);
	for (uint64_t t = T0 + 1500; t < T0 + 40 * MS; t += 3 * MS + 333) {
		uint32_t tid = (t / MS) % 2 ? A_TID : B_TID;
		uint16_t cpu = tid == A_TID ? 0 : 1;

		e[n++] = ev(t, GS_EV_LOCK_REQUEST, tid, cpu, LOCK, 0);
		e[n++] = ev(t, GS_EV_LOCK_ACQUIRED, tid, cpu, LOCK, 0);
		e[n++] = ev(t + (tid == A_TID ? 0 : 700), GS_EV_LOCK_RELEASED, tid, cpu, LOCK, 0);
	}
	live = live_of(e, n, 2);
	file = file_of("zero.gst", e, n, 2, 4);
	for (int k = 0; k < 2; k++) {
		struct timeline *tl = k ? file : live;
		struct app *a = app_of(tl, TUI_REPLAY, true, false);

		if (!a || !g) {
			app_free(a);
			continue;
		}
		for (size_t z = 0; z < sizeof(zoom) / sizeof(zoom[0]); z++)
			for (uint64_t at = T0 + 1000; at < T0 + 42 * MS; at += 1700 * 1000 + 1) {
				app_state(a)->ns_per_col = zoom[z];
				app_state(a)->now_ns = at;
				app_state(a)->paused = true;
				CHECK(app_render(a, g) == 0);
			}
		/* B's holds of 700 ns show at 100 ns per column */
		app_state(a)->ns_per_col = 100;
		app_state(a)->now_ns = T0 + 2 * (3 * MS + 333) + 1500 + 800;
		CHECK(app_render(a, g) == 0);
		CHECKF(strstr(row(g, find_row(g, "LOCK")), "BBBBBBB") != NULL, "%s",
		       row(g, find_row(g, "LOCK")));
		CHECK(timeline_window(tl, T0, T0 + 50 * MS, &w) == 0);
		for (size_t i = 0; i < w->nspans; i++)
			CHECKF(w->spans[i].end_ns > w->spans[i].start_ns, "span %zu kind %d empty",
			       i, w->spans[i].kind);
		app_free(a);
	}
	/* tui_render on its own, given empty spans mid-column by any provider */
	struct model_span sp[] = {
		{ .start_ns = T0 + 500, .end_ns = T0 + 500, .pid = PID, .tid = A_TID,
		  .kind = SPAN_WAIT, .lock = LOCK },
		{ .start_ns = T0 + 700, .end_ns = T0 + 700, .pid = PID, .tid = A_TID,
		  .kind = SPAN_HOLD, .lock = LOCK },
		{ .start_ns = T0 + 900, .end_ns = T0 + 900, .pid = PID, .tid = A_TID,
		  .kind = SPAN_CPU, .cpu = 0 },
	};
	struct tl_thread th = { .pid = PID, .tid = A_TID, .traced = true };
	struct tl_lock lk = { .pid = PID, .addr = LOCK };
	struct tl_window win = { .t0 = T0, .t1 = T0 + 94000, .ncpus = 1, .spans = sp,
				 .nspans = 3, .threads = &th, .nthreads = 1, .locks = &lk,
				 .nlocks = 1 };
	struct tui_state st = { .ascii = true, .ns_per_col = 1000, .now_ns = T0 + 94000,
				.origin_ns = T0 };

	if (g) {
		CHECK(tui_render(&win, &st, g) == 0);
		CHECKF(!strcmp(row(g, find_row(g, "LOCK")), "LOCK  " DOTS94), "%s",
		       row(g, find_row(g, "LOCK")));
	}
	grid_free(g);
	timeline_free(live);
	timeline_free(file);
}

/* The first row holding text, or -1. */
static int find_text(const struct grid *g, const char *text)
{
	for (int y = 0; y < g->h; y++)
		if (strstr(row(g, y), text))
			return y;
	return -1;
}

/* Does the text show a negative time ("-0.1", "t=-2")? */
static bool negative(const char *r)
{
	for (const char *p = strchr(r, '-'); p; p = strchr(p + 1, '-'))
		if (p[1] >= '0' && p[1] <= '9')
			return true;
	return false;
}

/* A synthetic trace of n threads on 2 CPUs, in memory (ended). */
static struct timeline *synth_live(uint32_t threads, size_t nev)
{
	struct trace_synth_opts so = { .threads = threads, .cpus = 2 };
	struct trace_meta meta = { .ncpus = 2, .root_pid = 4242 };
	struct trace_synth *s = NULL;
	struct timeline *tl = NULL;
	struct gs_event *e = calloc(nev, sizeof(*e));

	CHECK(e && trace_synth_new(&s, &so) == 0);
	CHECK(timeline_new_live(&tl, &meta, NULL) == 0);
	if (e && s && tl) {
		trace_synth_next(s, e, nev);
		timeline_append(tl, e, nev);
		timeline_end(tl);
	}
	trace_synth_free(s);
	free(e);
	return tl;
}

/* The rows of the thread table, in order: tids (by name "worker-N"/"main"
 * only through the letters); *first: the y of the first row. */
static int table_rows(const struct grid *g, int *first)
{
	int y = find_row(g, "- threads"), n = 0;

	*first = y + 1;
	for (int k = y + 1; y >= 0 && k < g->h && row(g, k)[0] == ' ' &&
			    strchr(row(g, k), '%'); k++)
		n++;
	return n;
}

/* Forty threads: the table takes the room it needs (80x24: more than one
 * row, as before), scrolls with the highlight (j, PgDn, End, Home), sorts
 * (o), finds (/ and n), and the log shows one thread's events (e). */
static void test_many_threads(void)
{
	struct timeline *tl = synth_live(40, 60000);
	struct app *a = app_of(tl, TUI_REPLAY, true, false), *uni = NULL;
	struct grid *g = grid_new(80, 24), *big = grid_new(120, 40);
	struct tui_state *st;
	int y0, n, y;

	if (!a || !g || !big)
		goto out;
	st = app_state(a);
	app_key(a, 'z');		/* the whole run: every thread has figures */
	CHECK(app_render(a, big) == 0);
	n = table_rows(big, &y0);
	CHECKF(n >= 24 && strstr(row(big, y0 - 1), " 1-"), "%d rows at 120x40: %s", n,
	       row(big, y0 - 1));
	CHECKF(strstr(row(big, y0 - 1), " of 40"), "%s", row(big, y0 - 1));
	CHECK(app_render(a, g) == 0);
	n = table_rows(g, &y0);
	CHECKF(n >= 8, "%d thread rows at 80x24", n);
	/* j: the first row is highlighted, then the second */
	app_key(a, 'j');
	app_key(a, 'j');
	CHECK(app_render(a, g) == 0);
	CHECKF(st->highlight_tid && grid_cell(g, 1, y0 + 1)->st.attr & GA_REVERSE,
	       "tid %u, row: %s", st->highlight_tid, row(g, y0 + 1));
	/* End: the last thread, shown at the bottom of the table */
	app_key(a, CRT_KEY_END);
	CHECK(app_render(a, g) == 0);
	CHECKF(strstr(row(g, y0 - 1), "-40 of 40"), "%s", row(g, y0 - 1));
	CHECKF(grid_cell(g, 1, y0 + n - 1)->st.attr & GA_REVERSE, "%s", row(g, y0 + n - 1));
	/* the last threads (worker-31 to worker-39) each have a letter of
	 * their own, past A..Z and 0..9 (--ascii: '*', none left) */
	CHECK(app_render(a, big) == 0);
	n = table_rows(big, &y0);
	CHECKF(grid_cell(big, 1, y0 + n - 1)->ch == '*', "%s", row(big, y0 + n - 1));
	uni = app_of(tl, TUI_REPLAY, false, false);
	if (uni) {
		app_key(uni, 'z');
		CHECK(app_render(uni, big) == 0);
		app_key(uni, CRT_KEY_END);	/* no highlight yet: still the last */
		CHECK(app_render(uni, big) == 0);
	}
	y0 = find_row(big, "\u2500 threads") + 1;
	for (n = 0; y0 > 0 && y0 + n < big->h && strchr(row(big, y0 + n), '%'); n++)
		;
	CHECKF(n >= 24, "%d rows", n);
	for (int k = 0; uni && k < n; k++) {
		uint32_t ch = grid_cell(big, 1, y0 + k)->ch;

		CHECKF(ch != '*' && ch != ' ', "row %d: %s", k, row(big, y0 + k));
		for (int j = 0; j < k; j++)
			CHECKF(grid_cell(big, 1, y0 + j)->ch != ch, "rows %d and %d: U+%04X", j, k,
			       ch);
	}
	CHECKF(strstr(row(big, y0 + n - 1), "worker-39"), "%s", row(big, y0 + n - 1));
	n = table_rows(g, &y0);
	/* PgUp moves a page up, Home back to the top */
	app_key(a, CRT_KEY_PGUP);
	CHECK(app_render(a, g) == 0);
	CHECKF(!strstr(row(g, y0 - 1), "-40 of 40"), "%s", row(g, y0 - 1));
	app_key(a, CRT_KEY_HOME);
	CHECK(app_render(a, g) == 0);
	CHECKF(strstr(row(g, y0 - 1), " now - 1-"), "%s", row(g, y0 - 1));
	/* o: by hold, most first: the column says so, the rows follow */
	app_key(a, 'o');
	CHECK(st->sort == TUI_SORT_HOLD);
	CHECK(app_render(a, big) == 0);
	n = table_rows(big, &y0);
	CHECKF(strstr(row(big, y0 - 1), "holdv"), "%s", row(big, y0 - 1));
	double prev = 101;
	for (int k = 0; k < n; k++) {
		double h = atof(row(big, y0 + k) + 19);

		CHECKF(h <= prev, "row %d: %.1f after %.1f", k, h, prev);
		prev = h;
	}
	for (int i = 1; i < TUI_SORT__COUNT; i++)
		app_key(a, 'o');
	CHECK(st->sort == TUI_SORT_LETTER);
	/* /worker-37: found, highlighted and scrolled into view at 80x24 */
	app_key(a, '/');
	CHECK(st->prompt && strstr(st->prompt, "find thread"));
	for (const char *k = "Worker-37"; *k; k++)
		app_key(a, *k);
	app_key(a, CRT_KEY_ENTER);
	CHECKF(st->highlight_tid == 4242 + 37, "highlight %u: %s", st->highlight_tid,
	       st->message ? st->message : "");
	CHECK(app_render(a, g) == 0);
	y = find_text(g, " worker-37 ");
	n = table_rows(g, &y0);
	CHECKF(y >= y0 && y < y0 + n && (grid_cell(g, 1, y)->st.attr & GA_REVERSE), "row %d",
	       y);
	/* n: the next match of "worker-3": worker-3, worker-30, ... wrapping */
	app_key(a, '/');
	for (const char *k = "worker-3"; *k; k++)
		app_key(a, *k);
	app_key(a, CRT_KEY_ENTER);
	CHECK(st->highlight_tid == 4242 + 38);
	app_key(a, 'n');
	CHECK(st->highlight_tid == 4242 + 39);
	app_key(a, 'n');
	CHECK(st->highlight_tid == 4242 + 3);
	/* a tid */
	app_key(a, '/');
	for (const char *k = "4262"; *k; k++)
		app_key(a, *k);
	app_key(a, CRT_KEY_ENTER);
	CHECK(st->highlight_tid == 4262);
	app_key(a, '/');
	app_key(a, 'x');
	app_key(a, CRT_KEY_ENTER);
	CHECKF(st->message && strstr(st->message, "no thread called \"x\""), "%s",
	       st->message ? st->message : "");
	/* e: the log holds only worker-20's events */
	app_key(a, 'e');
	CHECK(st->ev_tid == 4262);
	CHECK(app_render(a, big) == 0);
	y = find_row(big, "- events of worker-20 only");
	CHECKF(y > 0, "%s", row(big, find_row(big, "- events")));
	for (int k = y + 1; y > 0 && k < big->h - 1; k++)
		CHECKF(strstr(row(big, k), "worker-20") || !row(big, k)[0], "%s", row(big, k));
	/* Tab: the log has the focus and the larger share; k scrolls it back */
	app_key(a, 'e');
	app_key(a, '\t');
	CHECK(st->focus == TUI_FOCUS_EVENTS);
	CHECK(app_render(a, g) == 0);
	CHECKF(table_rows(g, &y0) < 8, "table still %d rows", table_rows(g, &y0));
	char newest[4096];

	snprintf(newest, sizeof(newest), "%s", row(g, g->h - 2));
	app_key(a, 'k');
	CHECK(st->ev_back == 1);
	CHECK(app_render(a, g) == 0);
	CHECKF(strcmp(newest, row(g, g->h - 2)) && strstr(row(g, find_row(g, "- events")),
							 "1 newer below"), "%s",
	       row(g, find_row(g, "- events")));
	app_key(a, CRT_KEY_END);
	CHECK(st->ev_back == 0);
out:
	grid_free(g);
	grid_free(big);
	app_free(uni);
	app_free(a);
	timeline_free(tl);
}

/* z: the whole run in the lanes, from its first event to its last; zoom
 * out stops there; no time before the first event or after the last is
 * ever shown, and the table's shares are of the time that is. */
static void test_fit_and_bounds(void)
{
	struct gs_event e[16];
	size_t n = 0;
	struct timeline *tl;
	struct app *a;
	struct grid *g = grid_new(100, 30);
	struct tui_state *st;
	const char *r;
	int y;

	/* a 38 ms script: A holds the lock 33 of them (86.8 %) */
	e[n++] = name_ev(T0, A_TID, "worker-a");
	e[n++] = sw(T0, 0, 0, A_TID, 0);
	e[n++] = ev(T0 + 1 * MS, GS_EV_LOCK_ACQUIRED, A_TID, 0, LOCK, 0);
	e[n++] = ev(T0 + 34 * MS, GS_EV_LOCK_RELEASED, A_TID, 0, LOCK, 0);
	e[n++] = sw(T0 + 38 * MS, 0, A_TID, 0, 1);
	tl = live_of(e, n, 1);
	a = app_of(tl, TUI_REPLAY, true, false);
	if (!a || !g)
		goto out;
	st = app_state(a);
	CHECK(st->now_ns == T0 + 1);	/* a replay starts at the first event */
	app_tick(a, 1000 * MS);		/* and stops at the last */
	CHECK(st->paused && st->now_ns == T0 + 38 * MS + 1);
	CHECK(app_render(a, g) == 0);
	y = find_row(g, " A worker-a");
	/* 33 of the 38 ms there are, not of the 94 ms the lanes could hold */
	CHECKF(y > 0 && strstr(row(g, y), " 86.8 %"), "%s", y > 0 ? row(g, y) : "");
	CHECKF(strstr(row(g, find_row(g, "- threads")), "% of 38.0 ms, 0.0000 s to 0.0380 s"),
	       "%s", row(g, find_row(g, "- threads")));
	/* every zoom, here and earlier: no negative time anywhere */
	for (int i = 0; i < 12; i++) {
		for (int k = 0; k < 3; k++) {
			st->now_ns = T0 + (k == 0 ? 1 : k == 1 ? 20 * MS : 38 * MS + 1);
			CHECK(app_render(a, g) == 0);
			r = row(g, find_row(g, "wait") + 1);
			CHECKF(!negative(r) && strstr(r, " 0.0"), "zoom %llu: %s",
			       (unsigned long long)st->ns_per_col, r);
			CHECKF(!negative(row(g, 0)), "%s", row(g, 0));
		}
		app_key(a, i < 6 ? '-' : '+');
	}
	/* z: 38 ms over 94 columns, the last column holds the last event */
	app_key(a, 'z');
	CHECK(st->paused && st->now_ns == T0 + 38 * MS + 1);
	CHECKF(st->ns_per_col == (38 * MS + 1 + 93) / 94, "%llu",
	       (unsigned long long)st->ns_per_col);
	CHECK(app_render(a, g) == 0);
	y = find_row(g, "LOCK");
	CHECKF(strlen(row(g, y)) == 100 && row(g, y)[6] == '.' && row(g, y)[99] == '.' &&
	       strstr(row(g, y), "AAAA"), "%s", row(g, y));
	CHECKF(y > 0 && strstr(row(g, y + 2), " 0.00000 s ") && strstr(row(g, y + 2), " 0.03800 s "),
	       "%s", row(g, y + 2));
	y = find_row(g, " A worker-a");
	CHECKF(y > 0 && strstr(row(g, y), " 86.8 %"), "%s", y > 0 ? row(g, y) : "");
	/* zoom out from there: no further */
	app_key(a, '-');
	app_key(a, '-');
	CHECKF(st->ns_per_col <= 1000 * 1000, "%llu", (unsigned long long)st->ns_per_col);
out:
	screen_free(g, a, tl);
}

/* g: a negative time, or past the end, is said, not silently changed;
 * a note goes with the next key; the wheel zooms where it points; [ ] { }
 * pan. */
static void test_goto_and_pan(void)
{
	struct gs_event e[1024];
	size_t n = pingpong(e, 40);
	struct timeline *tl = live_of(e, n, 2);
	struct app *a = app_of(tl, TUI_REPLAY, true, false);
	struct grid *g = grid_new(100, 30);
	struct tui_state *st;
	uint64_t now;
	int y;

	if (!a || !g)
		goto out;
	st = app_state(a);
	CHECK(app_render(a, g) == 0);
	now = st->now_ns;
	app_key(a, 'g');
	app_key(a, '-');
	app_key(a, '5');
	app_key(a, CRT_KEY_ENTER);
	CHECKF(st->now_ns == now && st->message && strstr(st->message, "not a time"),
	       "now +%lld, %s", (long long)(st->now_ns - now), st->message ? st->message : "");
	app_key(a, 'g');
	app_key(a, '9');
	app_key(a, '9');
	app_key(a, CRT_KEY_ENTER);
	CHECKF(st->now_ns == e[n - 1].ts_ns + 1 && st->message &&
	       strstr(st->message, "ends at 0.400 s"), "%s", st->message ? st->message : "");
	/* the next key takes the note away */
	app_key(a, '+');
	CHECK(st->message == NULL);
	app_key(a, '-');
	/* pan: a quarter window back, a whole window back, then forward */
	app_key(a, 'g');
	for (const char *k = "0.3"; *k; k++)
		app_key(a, *k);
	app_key(a, CRT_KEY_ENTER);
	now = st->now_ns;
	app_key(a, '[');
	CHECK(st->paused && st->now_ns == now - 94 * MS / 4);
	app_key(a, '{');
	CHECK(st->now_ns == now - 94 * MS / 4 - 94 * MS);
	app_key(a, '}');
	app_key(a, ']');
	CHECK(st->now_ns == now);
	/* the wheel over column 20 of the lanes: that time stays there */
	CHECK(app_render(a, g) == 0);
	y = find_row(g, "CPU0");
	uint64_t at = now - 94 * MS + 20 * MS;

	app_wheel(a, 6 + 20, y, 1);
	CHECK(st->ns_per_col == MS / 2);
	CHECKF(st->now_ns - 94 * (MS / 2) + 20 * (MS / 2) == at, "%lld ns off",
	       (long long)(st->now_ns - 94 * (MS / 2) + 20 * (MS / 2) - at));
	/* elsewhere it zooms about the right edge, like + and - */
	now = st->now_ns;
	app_wheel(a, 50, 0, -1);
	CHECK(st->ns_per_col == MS && st->now_ns == now);
out:
	screen_free(g, a, tl);
}

/* Live, unpaused but behind the newest events (a lesson going on after a
 * pause): it plays at its speed, says so, and follows once it caught up. */
static void test_live_catch_up(void)
{
	struct gs_event e[1024];
	size_t n = pingpong(e, 40);
	struct timeline *tl;
	struct app_opts o = { .mode = TUI_LIVE, .ascii = true, .poll_fd = -1, .speed = 2 };
	struct app *a = live_app(&tl, 0, e, 10, &o);
	struct grid *g = grid_new(100, 30);
	struct tui_state *st;

	if (!a || !g)
		goto out;
	st = app_state(a);
	/* t=0 is the first event here too (a replay of the same events says
	 * the same times): not when the recording began */
	CHECK(st->origin_ns == T0);
	st->paused = true;
	st->follow = false;
	timeline_append(tl, e + 10, n - 10);
	uint64_t at = st->now_ns;

	st->paused = false;		/* go on from here, behind */
	app_tick(a, 10 * MS);
	CHECK(st->now_ns == at + 20 * MS && !st->follow);
	CHECK(app_render(a, g) == 0);
	CHECKF(strstr(row(g, 0), "> CATCHING UP") && strstr(row(g, 0), "speed x2"), "%s", row(g, 0));
	app_tick(a, 1000 * MS);
	CHECK(st->follow && st->now_ns == e[n - 1].ts_ns + 1);
	CHECK(app_render(a, g) == 0);
	CHECKF(strstr(row(g, 0), "* LIVE"), "%s", row(g, 0));
out:
	screen_free(g, a, tl);
}

/* Live, t=0 is the first event, as in a replay of the same recording: not
 * when the recording began (the view opens before any event; times were
 * 0.6 ms apart between live and replay). */
static void test_live_origin(void)
{
	struct gs_event e[256];
	size_t n = pingpong(e, 4);
	struct trace_meta meta = { .ncpus = 2, .root_pid = PID, .start_ns = T0 - 600000 };
	struct timeline *tl = NULL, *rp = live_of(e, n, 2);
	struct app *a = NULL, *r = app_of(rp, TUI_REPLAY, true, false);
	struct grid *g = grid_new(100, 30), *h = grid_new(100, 30);
	struct app_opts o = { .mode = TUI_LIVE, .ascii = true, .poll_fd = -1 };

	CHECK(timeline_new_live(&tl, &meta, NULL) == 0);
	if (!tl || !g || !h || !r)
		goto out;
	o.tl = tl;
	CHECK(app_new(&a, &o) == 0);	/* before any event */
	if (!a)
		goto out;
	timeline_append(tl, e, n);
	app_tick(a, MS);
	app_state(a)->paused = app_state(r)->paused = true;
	app_state(a)->follow = false;
	app_state(a)->now_ns = app_state(r)->now_ns = T0 + 25 * MS;
	CHECK(app_render(a, g) == 0 && app_render(r, h) == 0);
	CHECKF(app_state(a)->origin_ns == T0, "origin %lld ns before the first event",
	       (long long)(T0 - app_state(a)->origin_ns));
	CHECKF(strstr(row(g, 0), "t=0.0250 s") && strstr(row(h, 0), "t=0.0250 s"), "live: %s",
	       row(g, 0));
	/* the log says the same times */
	CHECKF(!strcmp(row(g, g->h - 2), row(h, h->h - 2)), "live: %s", row(g, g->h - 2));
out:
	grid_free(g);
	grid_free(h);
	app_free(a);
	app_free(r);
	timeline_free(tl);
	timeline_free(rp);
}

/* The log says a thread's name once, however often it is given. */
static void test_names_once(void)
{
	struct gs_event e[8];
	size_t n = 0;
	struct timeline *tl;
	const struct tl_window *w;
	int said = 0;

	e[n++] = name_ev(T0, A_TID, "worker-a");	/* the recorder, from comm */
	e[n++] = ev(T0 + 1000, GS_EV_THREAD_START, A_TID, 0, 0, 0);
	e[n++] = name_ev(T0 + 1000, A_TID, "worker-a");	/* gilrt, again */
	e[n++] = name_ev(T0 + 2000, A_TID, "renamed");
	tl = live_of(e, n, 1);
	CHECK(timeline_window(tl, T0, T0 + 10000, &w) == 0);
	for (size_t i = 0; tl && i < w->nlog; i++)
		said += strstr(w->log[i].text, " is called ") != NULL;
	CHECKF(said == 2, "%d name lines", said);
	timeline_free(tl);
}

static void test_bad_trace(void)
{
	struct gs_event e[64];
	size_t n = pingpong(e, 2);
	struct timeline *tl = live_of(e, n, 2);
	const struct tl_window *w;

	CHECK(timeline_window(tl, 10, 10, &w) == -EINVAL);
	CHECK(timeline_window(tl, 0, 1, &w) == 0);
	CHECK(w->nspans == 0);
	timeline_free(tl);
	timeline_free(NULL);
	app_free(NULL);
}

/* crt_done() gives the caller its signal handlers back (a live recording is
 * finished after the view: Ctrl-C must then do what the command set up).
 * Run in a child on a pseudo-terminal, since curses needs one. "Back" is
 * what the child had, not SIG_DFL: a test run in the background ignores
 * SIGINT, and ASan catches SIGSEGV. */
static void test_crt_restores_signals(void)
{
	int master;
	pid_t pid = forkpty(&master, NULL, NULL, NULL);

	CHECK(pid >= 0);
	if (pid == 0) {
		static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGSEGV, SIGABRT };
		struct sigaction mine = { .sa_handler = SIG_IGN }, got, before[5];
		int bad = 0;

		setenv("TERM", "xterm", 1);
		sigaction(SIGHUP, &mine, NULL);	/* SIGHUP ignored before the view */
		/* (under ASan, SIGSEGV and friends have its handlers: compare) */
		for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
			sigaction(sigs[i], NULL, &before[i]);
		if (crt_init(false))
			_exit(2);
		sigaction(SIGINT, NULL, &got);
		bad |= got.sa_handler == before[0].sa_handler;	/* caught while the view runs */
		crt_done();
		for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
			sigaction(sigs[i], NULL, &got);
			bad |= got.sa_handler != before[i].sa_handler;
		}
		sigaction(SIGHUP, NULL, &got);
		bad |= got.sa_handler != SIG_IGN;	/* not reset to SIG_DFL */
		_exit(bad ? 1 : 0);
	}
	/* drain what curses writes so the child never blocks on the pty */
	char buf[4096];
	int status = -1;

	fcntl(master, F_SETFL, O_NONBLOCK);
	for (;;) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		struct timespec ts = { 0, 1000000 };
		if (read(master, buf, sizeof(buf)) < 0 && errno != EAGAIN && errno != EIO)
			break;
		nanosleep(&ts, NULL);
	}
	if (waitpid(pid, &status, WNOHANG) == 0)
		waitpid(pid, &status, 0);
	close(master);
	CHECKF(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x", status);
}

/* A CPython recording: Python thread names in the table (the long one
 * widens the name column), an event line that says where, and the p panel
 * with the highlighted thread's functions (pyscene.h). */
static void test_python_names(void)
{
	struct trace_reader *r = NULL;
	struct timeline *tl = NULL;
	struct app *a = NULL;
	struct grid *g = grid_new(100, 30);
	char path[256];

	snprintf(path, sizeof(path), "%s/python.gst", scratch_folder());
	if (!g || py_scene_file(path, T0, 8))
		goto out;
	CHECK(trace_reader_open(&r, path) == 0);
	if (!r || timeline_open_reader(&tl, r, NULL)) {
		trace_reader_close(r);
		goto out;
	}
	a = app_of(tl, TUI_REPLAY, true, false);
	if (!a)
		goto out;
	app_state(a)->title = timeline_meta(tl)->command;
	app_state(a)->now_ns = T0 + 45 * MS;
	CHECK(app_render(a, g) == 0);
	golden("python_100x30_ascii", g);
	CHECK(find_row(g, " B ThreadPoolExecutor-0_1 ") > 0);
	CHECK(find_row(g, "    0.0200 s B ThreadPoolExecutor-0_1 releases the GIL in `crunch` "
		       "(work.py:7) after 10.0 ms") > 0);
	CHECK(find_row(g, "    0.0400 s B ThreadPoolExecutor-0_1 releases the GIL in ? after 10.0 ms")
	      > 0);
	/* p: the highlighted thread's functions in the log's place */
	CHECK(app_key(a, 'p') == 0);
	app_state(a)->highlight_tid = PY_A;
	CHECK(app_render(a, g) == 0);
	golden("python_100x30_funcs", g);
	CHECK(find_row(g, "- Python functions of producer (tid 101) - p closes") > 0);
	CHECK(strstr(row(g, find_row(g, " holds the GIL in") + 1), "Worker.run  app.py:12") != NULL);
	CHECK(strstr(row(g, find_row(g, " holds the GIL in") + 1), "fetch  app.py:40") != NULL);
	CHECK(app_key(a, 'p') == 0 && find_row(g, "- events") < 0);
	CHECK(app_render(a, g) == 0 && find_row(g, "- events") > 0);
out:
	screen_free(g, a, tl);
}

int main(void)
{
	RUN(test_pingpong_lanes);
	RUN(test_file_equals_live);
	RUN(test_keys);
	RUN(test_mouse);
	RUN(test_golden_synth);
	RUN(test_python_names);
	RUN(test_live_follow);
	RUN(test_many_cpus);
	RUN(test_lost);
	RUN(test_two_processes);
	RUN(test_stable_letters);
	RUN(test_live_paused_wraps);
	RUN(test_damaged_file);
	RUN(test_near_boot);
	RUN(test_zero_length_spans);
	RUN(test_many_threads);
	RUN(test_fit_and_bounds);
	RUN(test_goto_and_pan);
	RUN(test_live_catch_up);
	RUN(test_live_origin);
	RUN(test_names_once);
	RUN(test_bad_trace);
	RUN(test_crt_restores_signals);
	return check_done();
}
