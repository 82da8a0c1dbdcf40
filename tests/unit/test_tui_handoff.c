/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * test_tui_handoff.c - the viewer, paused on a lock event, marks a hand-off
 * (tui/view_handoff.c): the acquirer "got lock from B", the releaser
 * "handed lock to C", the log line "(hand-off from ...)"; and nothing on an
 * acquisition that was no hand-off (a free lock, the same thread again).
 * The marks are model/handoff.h's verdicts: at every lock event of a
 * synthetic trace the window says what the tracker says reading the whole
 * trace from the start (report counts the same), from a file read from
 * keyframes as from memory. Golden screens in tests/golden/handoff_*.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "check.h"
#include "model/handoff.h"
#include "model/model.h"
#include "model/report.h"
#include "tui/app.h"
#include "tui/crt.h"
#include "tui/timeline.h"
#include "trace/trace_reader.h"
#include "trace/trace_synth.h"

#define MS 1000000ull
#define T0 (5000 * MS)
#define PID 100
#define A_TID 101
#define B_TID 102
#define LOCK 0x1000
#include "events.h"
#include "tracefile.h"

static char tmpdir[] = "/tmp/gilscope-tuih.XXXXXX";

#include "gridtext.h"

/* How many rows show a hand-off: the two table marks and the log line's. */
static int handoff_marks(const struct grid *g)
{
	return rows_with(g, "got lock from") + rows_with(g, "handed lock to") +
	       rows_with(g, "(hand-off from");
}

/* The acquirer's row (starting with to_row) says "got lock from FROM", the
 * releaser's (from_row) "handed lock to TO": each row names the other. */
static void check_pair(const struct grid *g, const char *to_row, const char *from_row,
		       char from, char to)
{
	char got[32], handed[32];
	int y;

	snprintf(got, sizeof(got), "got lock from %c", from);
	snprintf(handed, sizeof(handed), "handed lock to %c", to);
	y = find_row(g, to_row);
	CHECKF(y > 0 && strstr(row(g, y), got), "%s", row(g, y));
	y = find_row(g, from_row);
	CHECKF(y > 0 && strstr(row(g, y), handed), "%s", row(g, y));
}
#include "golden.h"

static struct app *app_of(struct timeline *tl)
{
	struct app_opts o = { .tl = tl, .mode = TUI_REPLAY, .ascii = true, .color = false,
			      .title = "handoff", .pid = PID, .poll_fd = -1 };
	struct app *a = NULL;

	CHECK(app_new(&a, &o) == 0);
	return a;
}

/*
 * Two threads, one lock, every acquisition kind:
 *    0 ms  A takes the free lock (nobody waited: no hand-off)
 *   10 ms  A releases it, nobody waits
 *   12 ms  B asks and takes the free lock at once (no hand-off, though A
 *          released it last)
 *   13 ms  A asks (waits)
 *   20 ms  B releases; 20.001 ms A takes it: a hand-off, B to A
 *   21 ms  B asks (waits)
 *   30 ms  A releases and takes it again itself at 30.0005 ms, B still
 *          waiting (no hand-off: its own release)
 *   40 ms  A releases; 40.002 ms B takes it: a hand-off, A to B
 */
static size_t scene(struct gs_event *e)
{
	size_t n = 0;

	e[n++] = name_ev(T0, A_TID, "worker-a");
	e[n++] = name_ev(T0, B_TID, "worker-b");
	e[n++] = ev(T0 + 1000, GS_EV_LOCK_REQUEST, A_TID, 0, LOCK, 0);
	e[n++] = ev(T0 + 2000, GS_EV_LOCK_ACQUIRED, A_TID, 0, LOCK, 0);
	e[n++] = ev(T0 + 10 * MS, GS_EV_LOCK_RELEASED, A_TID, 0, LOCK, 0);
	e[n++] = ev(T0 + 12 * MS, GS_EV_LOCK_REQUEST, B_TID, 1, LOCK, 0);
	e[n++] = ev(T0 + 12 * MS + 500, GS_EV_LOCK_ACQUIRED, B_TID, 1, LOCK, 0);
	e[n++] = ev(T0 + 13 * MS, GS_EV_LOCK_REQUEST, A_TID, 0, LOCK, 0);
	e[n++] = ev(T0 + 20 * MS, GS_EV_LOCK_RELEASED, B_TID, 1, LOCK, 0);
	e[n++] = ev(T0 + 20 * MS + 1000, GS_EV_LOCK_ACQUIRED, A_TID, 0, LOCK, 0);
	e[n++] = ev(T0 + 21 * MS, GS_EV_LOCK_REQUEST, B_TID, 1, LOCK, 0);
	e[n++] = ev(T0 + 30 * MS, GS_EV_LOCK_RELEASED, A_TID, 0, LOCK, 0);
	e[n++] = ev(T0 + 30 * MS + 500, GS_EV_LOCK_REQUEST, A_TID, 0, LOCK, 0);
	e[n++] = ev(T0 + 30 * MS + 500, GS_EV_LOCK_ACQUIRED, A_TID, 0, LOCK, 0);
	e[n++] = ev(T0 + 40 * MS, GS_EV_LOCK_RELEASED, A_TID, 0, LOCK, 0);
	e[n++] = ev(T0 + 40 * MS + 2000, GS_EV_LOCK_ACQUIRED, B_TID, 1, LOCK, 0);
	e[n++] = ev(T0 + 50 * MS, GS_EV_LOCK_RELEASED, B_TID, 1, LOCK, 0);
	return n;
}

/* Step (->) from the start through the scene's lock events: a mark at
 * the two hand-offs, none at the free lock nor at A's taking it back. */
static void test_handoff_marks(void)
{
	struct gs_event e[64];
	size_t n = scene(e);
	struct trace_meta meta = { .ncpus = 2, .root_pid = PID };
	struct timeline *tl = timeline_of_file(tmpdir, "scene.gst", &meta, e, n, 0);
	struct app *a = tl ? app_of(tl) : NULL;
	struct grid *g = grid_new(80, 24);
	struct tui_state *st;
	int steps = 0, y;

	if (!a || !g)
		goto out;
	st = app_state(a);
	st->paused = true;
	st->now_ns = T0 + 1;	/* before the first lock event */
	for (;; steps++) {
		app_key(a, CRT_KEY_RIGHT);
		if (st->message)	/* "no later lock event" */
			break;
		CHECK(app_render(a, g) == 0);
		uint64_t at = st->now_ns - 1 - T0;
		int marks = handoff_marks(g);

		if (at == 20 * MS + 1000) {
			/* B's release let A, waiting since 13 ms, take it */
			check_pair(g, " A worker-a", " B worker-b", 'B', 'A');
			CHECK(rows_with(g, "0.0200 s A worker-a takes the lock after waiting "
					   "7.0 ms (hand-off from B)") == 1);
			golden("handoff_scene_80x24", g);
			/* on a highlighted row the mark keeps the row's reverse */
			st->highlight_tid = A_TID;
			CHECK(app_render(a, g) == 0);
			y = find_row(g, " A worker-a");
			const char *r = row(g, y), *m = strstr(r, "got lock from B");

			CHECK(m && grid_cell(g, (int)(m - r), y)->st.attr & GA_REVERSE &&
			      grid_cell(g, (int)(m - r) + 14, y)->st.attr & GA_REVERSE);
			st->highlight_tid = 0;
			/* narrow: the sentence is cut, not the mark */
			struct grid *n60 = grid_new(60, 24);

			CHECK(n60 && app_render(a, n60) == 0);
			y = n60 ? find_row(n60, "    0.0200 s A worker-a takes the lock") : -1;
			r = y >= 0 ? row(n60, y) : "";
			CHECKF(strlen(r) == 60 && !strcmp(r + 60 - 17, "(hand-off from B)"), "%s", r);
			grid_free(n60);
		} else if (at == 40 * MS + 2000) {
			check_pair(g, " B worker-b", " A worker-a", 'A', 'B');
			CHECK(marks == 3);
		} else {
			/* 12.0005 ms (the free lock) and 30.0005 ms (its own) among them */
			CHECKF(marks == 0, "a mark at %llu ns", (unsigned long long)at);
			if (at == 12 * MS + 500)
				golden("handoff_free_80x24", g);
		}
		if (steps > 40)
			break;
	}
	CHECKF(steps == 14, "%d lock events", steps);
	/* only paused: running, the right edge is no event in particular */
	app_key(a, CRT_KEY_LEFT);	/* back from 50 ms to 40.002 ms */
	CHECK(app_render(a, g) == 0 && rows_with(g, "got lock from A") == 1);
	st->paused = false;
	CHECK(app_render(a, g) == 0 && rows_with(g, "got lock from") == 0);
out:
	grid_free(g);
	app_free(a);
	timeline_free(tl);
}

/* A window read from a keyframe: A's wait began in an earlier block than
 * B's release and A's acquisition (blocks of 2 events; the window, 100 ns,
 * starts in the block of that release), yet the hand-off is marked. */
static void test_handoff_after_seek(void)
{
	struct gs_event e[64];
	size_t n = scene(e);
	struct trace_meta meta = { .ncpus = 2, .root_pid = PID };
	struct timeline *tl = timeline_of_file(tmpdir, "seek.gst", &meta, e, n, 2);
	const struct tl_window *w = NULL;
	uint64_t at = T0 + 20 * MS + 1000;

	if (!tl)
		return;
	CHECK(timeline_window(tl, at + 1 - 100, at + 1, &w) == 0);
	CHECKF(w && w->handoff.to_tid == A_TID && w->handoff.from_tid == B_TID &&
	       w->handoff.release_ns == T0 + 20 * MS && w->handoff.at_ns == at &&
	       w->handoff.lock == LOCK && w->handoff.pid == PID,
	       "to %u from %u", w ? w->handoff.to_tid : 0, w ? w->handoff.from_tid : 0);
	/* one ns later the window's edge is no longer that acquisition */
	CHECK(timeline_window(tl, at + 2 - 100, at + 2, &w) == 0);
	CHECK(w && w->handoff.to_tid == 0);
	/* the free lock, read from a keyframe too */
	at = T0 + 12 * MS + 500;
	CHECK(timeline_window(tl, at + 1 - 100, at + 1, &w) == 0);
	CHECK(w && w->handoff.to_tid == 0);
	timeline_free(tl);
}

/* The verdicts of one tracker reading every event from the start. */
struct verdicts {
	struct model *m;
	struct handoff *h;
	const struct gs_event *ev;	/* being fed */
	uint64_t at[4096];
	uint32_t from[4096], to[4096];
	size_t n;
};

static void on_verdict(const struct handoff_info *hi, void *ctx)
{
	struct verdicts *v = ctx;

	if (v->n < 4096) {
		v->at[v->n] = v->ev->ts_ns;
		v->from[v->n] = hi->from_tid;
		v->to[v->n++] = hi->to_tid;
	}
}

static void on_span(const struct model_span *s, void *ctx)
{
	struct verdicts *v = ctx;
	struct handoff_span hs;

	if (v->h)
		handoff_span(v->h, s, &hs);
}

static bool is_lock_event(uint8_t t)
{
	return t == GS_EV_LOCK_REQUEST || t == GS_EV_LOCK_ACQUIRED ||
	       t == GS_EV_LOCK_RELEASED || t == GS_EV_DROP_REQUEST;
}

/* Every lock event of a synthetic trace: the window ending just after it
 * marks a hand-off exactly when the tracker, reading from the start, saw
 * one there; from a file of small blocks (each step reads from a keyframe)
 * and from memory alike; and their number is report's. */
static void test_handoff_every_step(void)
{
	enum { NEV = 3000 };
	struct trace_synth_opts so = { .threads = 4, .cpus = 2, .seed = 7 };
	struct trace_synth *s = NULL;
	struct gs_event *e = calloc(NEV, sizeof(*e));
	static struct verdicts v;
	struct model_opts mo = { .ncpus = 2, .on_span = on_span, .ctx = &v,
				 .span_kinds = 1u << SPAN_HOLD | 1u << SPAN_WAIT };
	struct trace_meta meta = { .ncpus = 2, .root_pid = 4242 };
	struct timeline *tl = NULL, *live = NULL;
	struct trace_reader *r = NULL;
	struct report *rp = NULL;
	size_t k = 0, marked = 0, free_acq = 0;
	char path[300];

	memset(&v, 0, sizeof(v));
	CHECK(e && trace_synth_new(&s, &so) == 0);
	if (!e || !s)
		goto out;
	trace_synth_next(s, e, NEV);
	v.m = model_new(&mo);
	CHECK(v.m && handoff_new(&v.h, on_verdict, &v) == 0);
	if (!v.h)
		goto out;
	for (size_t i = 0; i < NEV; i++) {
		v.ev = &e[i];
		handoff_before(v.h, v.m, &e[i]);
		model_feed(v.m, &e[i]);
		CHECK(handoff_after(v.h, v.m, &e[i]) == 0);
	}
	CHECKF(v.n > 50 && v.n < 4096, "%zu hand-offs", v.n);
	/* report counts the same */
	tl = timeline_of_file(tmpdir, "every.gst", &meta, e, NEV, 64);
	snprintf(path, sizeof(path), "%s/every.gst", tmpdir);
	CHECK(trace_reader_open(&r, path) == 0);
	CHECK(r && report_new(&rp, trace_reader_meta(r)) == 0);
	CHECK(rp && report_read(rp, r) == 0);
	CHECKF(rp && report_summary(rp)->handoffs == v.n, "report %llu, tracker %zu",
	       rp ? (unsigned long long)report_summary(rp)->handoffs : 0ull, v.n);
	live = NULL;
	CHECK(timeline_new_live(&live, &meta, NULL) == 0);
	CHECK(live && timeline_append(live, e, NEV) == 0);
	if (!tl || !live)
		goto out;
	timeline_end(live);
	for (size_t i = 0; i < NEV; i++) {
		uint64_t at = e[i].ts_ns, t0;
		const struct tl_window *w = NULL;
		int err;

		if (!is_lock_event(e[i].type) || (i + 1 < NEV && e[i + 1].ts_ns == at))
			continue;	/* a step stops once at each time */
		while (k < v.n && v.at[k] < at)
			k++;
		/* the verdict at this time: the last hand-off there */
		size_t want = v.n;

		for (size_t j = k; j < v.n && v.at[j] == at; j++)
			want = j;
		/* narrow (100 us, ten columns at the finest zoom): the wait
		 * often began before the block the window is read from */
		t0 = at + 1 - 100000 > e[0].ts_ns ? at + 1 - 100000 : e[0].ts_ns;
		for (int src = 0; src < 2; src++) {
			struct timeline *t = src ? live : tl;

			/* a step moves the file's reader: the window starts over */
			if (!src) {
				uint64_t found;

				CHECK(timeline_find_lock_event(t, at - 1, 1, &found) == 0 &&
				      found == at);
			}
			while ((err = timeline_window(t, t0, at + 1, &w)) == -EAGAIN)
				;
			CHECK(err == 0);
			if (err)
				goto out;
			if (want < v.n)
				CHECKF(w->handoff.to_tid == v.to[want] &&
				       w->handoff.from_tid == v.from[want] && w->handoff.at_ns == at,
				       "%s at %llu: to %u from %u, want to %u from %u",
				       src ? "live" : "file", (unsigned long long)at,
				       w->handoff.to_tid, w->handoff.from_tid, v.to[want],
				       v.from[want]);
			else
				CHECKF(w->handoff.to_tid == 0, "%s at %llu: a mark, want none",
				       src ? "live" : "file", (unsigned long long)at);
			if (check__failed_now)
				goto out;
		}
		marked += want < v.n;
		free_acq += want == v.n && e[i].type == GS_EV_LOCK_ACQUIRED;
	}
	CHECKF(marked == v.n, "%zu marked of %zu", marked, v.n);
	CHECKF(free_acq >= 1, "no acquisition without a hand-off");	/* main's first */
out:
	report_free(rp);
	if (r)
		trace_reader_close(r);
	timeline_free(tl);
	timeline_free(live);
	handoff_free(v.h);
	model_free(v.m);
	trace_synth_free(s);
	free(e);
}

/* The golden screen: a synthetic trace, paused with -> on a hand-off. */
static void test_handoff_golden_synth(void)
{
	struct timeline *tl = timeline_of_synth(tmpdir);
	struct app *a = tl ? app_of(tl) : NULL;
	struct grid *g = grid_new(100, 30);
	struct tui_state *st;
	int i;

	if (!a || !g)
		goto out;
	st = app_state(a);
	st->title = timeline_meta(tl)->command;
	st->paused = true;
	st->now_ns = st->origin_ns + 250 * MS;
	/* drop request, release and ask again, then the acquisition */
	for (i = 0; i < 6; i++) {
		app_key(a, CRT_KEY_RIGHT);
		CHECK(app_render(a, g) == 0);
		if (rows_with(g, "got lock from"))
			break;
	}
	CHECKF(i < 6 && i > 0, "%d steps", i);
	golden("handoff_synth_100x30_ascii", g);
	/* C got it from B: each row names the other */
	check_pair(g, " C worker-2", " B worker-1", 'B', 'C');
	CHECK(rows_with(g, "C worker-2 takes the lock after waiting 12.2 ms "
			   "(hand-off from B worker-1)") == 1);
	/* the next step (a drop request) leaves it */
	app_key(a, CRT_KEY_RIGHT);
	CHECK(app_render(a, g) == 0);
	CHECK(handoff_marks(g) == 0);
out:
	grid_free(g);
	app_free(a);
	timeline_free(tl);
}

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_handoff_marks);
	RUN(test_handoff_after_seek);
	RUN(test_handoff_every_step);
	RUN(test_handoff_golden_synth);
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd))
		printf("# could not remove %s\n", tmpdir);
	return check_done();
}
