/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * test_timeline.c - the window provider (tui/timeline.h) against itself: a
 * window served after a seek (a file with small blocks: the model starts
 * from a block's keyframe) must equal the window computed by reading every
 * event from the start (the same events held in memory), for nested locks,
 * lock address 0, waits across block boundaries and holds still open at the
 * end. Plus the phantom hold a seek used to leave behind.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "check.h"
#include "tracefile.h"
#include "tui/timeline.h"
#include "trace/trace_reader.h"
#include "trace/trace_writer.h"

#define PID 200
#define NT 5			/* threads, tids PID+1.. */
#define NCPU 3
#define NLOCK 3
#define NEV 4000
#define BLOCK 64		/* events per block: many seeks, many edges */
#define US 1000ull
#define MS 1000000ull

static char tmpdir[] = "/tmp/gilscope-timeline.XXXXXX";

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(uint64_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng % n;
}

/* ---- a small world that emits plausible events ------------------------ */

struct sim {
	struct gs_event *e;
	size_t n;
	uint64_t ts;
	int on[NCPU];			/* thread on each CPU, -1 idle */
	int cpu_of[NT];			/* CPU of each thread, -1 off */
	int held[NT][NLOCK], nheld[NT];	/* locks held, oldest first */
	int holder[NLOCK];		/* -1 free */
	int waits[NT];			/* lock waited for, -1 none */
	size_t wait_from[NT];		/* event index of the REQUEST */
	/* what the trace contains, so the test knows it tests something */
	int max_nest, rel0, any0, waits_across, failed;
};

static const uint64_t lock_addr[NLOCK] = { 0x1000, 0x2000, 0x3000 };

static struct gs_event *emit(struct sim *s, uint8_t type, int t, uint16_t cpu,
			     uint64_t a0, uint64_t a1)
{
	struct gs_event *e = &s->e[s->n++];

	s->ts += 300 + rnd(3000);	/* distinct times: no ties across blocks */
	*e = (struct gs_event){ .ts_ns = s->ts, .pid = t >= 0 ? PID : 0,
				.tid = t >= 0 ? PID + 1 + (uint32_t)t : 0, .cpu = cpu,
				.type = type, .arg0 = a0, .arg1 = a1 };
	return e;
}

static void sim_switch(struct sim *s, int c)
{
	int prev = s->on[c], next = -1, tries = 0;

	while (tries++ < 8) {
		int t = (int)rnd(NT + 1) - 1;	/* -1: idle */

		if (t == 3 && rnd(30))		/* "io" sleeps for blocks on end */
			continue;
		if (t < 0 || s->cpu_of[t] < 0) {
			next = t;
			break;
		}
	}
	if (next == prev)
		return;
	/* a waiter off its CPU sleeps; others are preempted or block */
	struct gs_event *e = emit(s, GS_EV_SCHED_SWITCH, prev, (uint16_t)c,
				  next >= 0 ? (PID + 1 + (uint64_t)next) | (uint64_t)PID << 32 : 0,
				  prev >= 0 && (s->waits[prev] >= 0 || rnd(2)));

	e->flags = (prev >= 0 ? GS_F_TRACED_PREV : 0) | (next >= 0 ? GS_F_TRACED_NEXT : 0);
	if (prev >= 0)
		s->cpu_of[prev] = -1;
	if (next >= 0)
		s->cpu_of[next] = c;
	s->on[c] = next;
}

static void sim_release(struct sim *s, int t, int k)
{
	int l = s->held[t][k];

	emit(s, GS_EV_LOCK_RELEASED, t, (uint16_t)s->cpu_of[t], lock_addr[l], 0);
	s->holder[l] = -1;
	memmove(&s->held[t][k], &s->held[t][k + 1], (size_t)(s->nheld[t] - k - 1) * sizeof(int));
	s->nheld[t]--;
}

static void sim_acquire(struct sim *s, int t, int l)
{
	emit(s, GS_EV_LOCK_ACQUIRED, t, (uint16_t)s->cpu_of[t], lock_addr[l], 0);
	if (s->waits[t] >= 0 && s->wait_from[t] / BLOCK != (s->n - 1) / BLOCK)
		s->waits_across++;
	s->waits[t] = -1;
	s->holder[l] = t;
	s->held[t][s->nheld[t]++] = l;
	if (s->nheld[t] > s->max_nest)
		s->max_nest = s->nheld[t];
}

/* One step of a thread running on a CPU. */
static void sim_act(struct sim *s, int t)
{
	uint16_t c = (uint16_t)s->cpu_of[t];
	int w = s->waits[t];
	uint64_t r = rnd(100);

	if (w >= 0) {
		if (s->holder[w] < 0)
			sim_acquire(s, t, w);
		else if (r < 10) {
			emit(s, GS_EV_LOCK_FAILED, t, c, lock_addr[w], 0);
			s->waits[t] = -1;
			s->failed++;
		} else if (r < 20) {
			emit(s, GS_EV_DROP_REQUEST, t, c, lock_addr[w], PID + 1 + (uint64_t)s->holder[w]);
		}
		return;
	}
	if (r < 6) {		/* address 0: "no lock", ignored by the model */
		emit(s, r < 3 ? GS_EV_LOCK_REQUEST : GS_EV_LOCK_ACQUIRED, t, c, 0, 0);
		s->any0++;
	} else if (r < 50 && s->nheld[t] < NLOCK) {
		int l = (int)rnd(NLOCK);

		for (int k = 0; k < s->nheld[t]; k++)
			if (s->held[t][k] == l)
				return;
		emit(s, GS_EV_LOCK_REQUEST, t, c, lock_addr[l], 0);
		s->waits[t] = l;
		s->wait_from[t] = s->n - 1;
		if (s->holder[l] < 0 && rnd(2))
			sim_acquire(s, t, l);
	} else if (s->nheld[t] && r < 58) {
		/* RELEASED of address 0: everything the thread holds */
		emit(s, GS_EV_LOCK_RELEASED, t, c, 0, 0);
		for (int k = 0; k < s->nheld[t]; k++)
			s->holder[s->held[t][k]] = -1;
		s->nheld[t] = 0;
		s->rel0++;
	} else if (s->nheld[t]) {
		/* mostly the innermost, now and then out of order */
		sim_release(s, t, r < 90 ? s->nheld[t] - 1 : (int)rnd((uint64_t)s->nheld[t]));
	}
}

static size_t sim_run(struct gs_event *e, size_t max, struct sim *s)
{
	static const char *names[NT] = { "main", "worker-1", "worker-2", "io", "worker-3" };

	memset(s, 0, sizeof(*s));
	s->e = e;
	s->ts = 1000 * MS;
	for (int c = 0; c < NCPU; c++)
		s->on[c] = -1;
	for (int t = 0; t < NT; t++) {
		struct gs_event *n = emit(s, GS_EV_THREAD_NAME, t, 0, 0, 0);

		gs_event_set_name(n, names[t]);
		s->cpu_of[t] = -1;
		s->waits[t] = -1;
	}
	for (int l = 0; l < NLOCK; l++)
		s->holder[l] = -1;
	while (s->n + 4 < max) {
		int c = (int)rnd(NCPU);

		if (s->on[c] < 0 || rnd(100) < 15)
			sim_switch(s, c);
		else
			sim_act(s, s->on[c]);
	}
	return s->n;
}

/* ---- windows ---------------------------------------------------------- */

static struct timeline *live_of(const struct gs_event *e, size_t n)
{
	struct trace_meta meta = { .ncpus = NCPU, .root_pid = PID };
	struct timeline_opts o = { .live_cap = n };
	struct timeline *tl = NULL;

	CHECK(timeline_new_live(&tl, &meta, &o) == 0);
	if (tl) {
		CHECK(timeline_append(tl, e, n) == 0);
		timeline_end(tl);
	}
	return tl;
}

static struct timeline *file_of(const char *name, const struct gs_event *e, size_t n)
{
	struct trace_meta meta = { .ncpus = NCPU, .root_pid = PID };

	return timeline_of_file(tmpdir, name, &meta, e, n, BLOCK);
}

static int cmp_span(const void *pa, const void *pb)
{
	const struct model_span *a = pa, *b = pb;
#define BY(f) if (a->f != b->f) return a->f < b->f ? -1 : 1
	BY(kind);
	BY(cpu);
	BY(tid);
	BY(start_ns);
	BY(end_ns);
	BY(lock);
	BY(flags);
	BY(pid);
	BY(state);
#undef BY
	return 0;
}

/* A window's content, in an order that does not depend on how it was made. */
struct snap {
	struct model_span *s;
	size_t ns;
	struct tl_thread th[NT + 4];
	size_t nth;
	struct tl_lock locks[TL_LOCKS_MAX];
	size_t nlocks;
	uint32_t holder;
};

static void snap_of(struct snap *o, const struct tl_window *w)
{
	o->s = realloc(o->s, (w->nspans + 1) * sizeof(*o->s));
	if (w->nspans)
		memcpy(o->s, w->spans, w->nspans * sizeof(*o->s));
	o->ns = w->nspans;
	qsort(o->s, o->ns, sizeof(*o->s), cmp_span);
	o->nth = w->nthreads < NT + 4 ? w->nthreads : NT + 4;
	memcpy(o->th, w->threads, o->nth * sizeof(*o->th));
	o->nlocks = w->nlocks;
	memcpy(o->locks, w->locks, w->nlocks * sizeof(*o->locks));
	o->holder = w->holder;
}

static const char *span_str(const struct model_span *s)
{
	static char buf[4][128];
	static int k;
	char *b = buf[k++ % 4];

	snprintf(b, 128, "kind %u cpu %u tid %u [%llu, %llu) lock %#llx flags %u", s->kind,
		 s->cpu, s->tid, (unsigned long long)s->start_ns, (unsigned long long)s->end_ns,
		 (unsigned long long)s->lock, s->flags);
	return b;
}

/* Compare two windows of [t0, t1); returns false (and says why) if they differ. */
static bool same_window(const struct snap *a, const struct snap *b, uint64_t t0, uint64_t t1)
{
	char what[64];

	snprintf(what, sizeof(what), "[%llu, %llu)", (unsigned long long)t0,
		 (unsigned long long)t1);
	for (size_t i = 0; i < a->ns || i < b->ns; i++)
		if (i >= a->ns || i >= b->ns || cmp_span(&a->s[i], &b->s[i])) {
			CHECKF(0, "%s: %zu vs %zu spans; first difference: %s / %s", what, a->ns,
			       b->ns, i < a->ns ? span_str(&a->s[i]) : "-",
			       i < b->ns ? span_str(&b->s[i]) : "-");
			return false;
		}
	if (a->nth != b->nth) {
		CHECKF(0, "%s: %zu vs %zu threads", what, a->nth, b->nth);
		return false;
	}
	for (size_t i = 0; i < a->nth; i++) {
		const struct tl_thread *x = &a->th[i], *y = NULL;

		for (size_t j = 0; j < b->nth; j++)
			if (b->th[j].tid == x->tid)
				y = &b->th[j];
		if (!y || x->hold_ns != y->hold_ns || x->wait_ns != y->wait_ns ||
		    x->cpu_ns != y->cpu_ns || x->acquisitions != y->acquisitions ||
		    x->state != y->state || x->cpu != y->cpu || strcmp(x->name, y->name)) {
			CHECKF(0, "%s: tid %u: hold %llu/%llu wait %llu/%llu cpu %llu/%llu acq %u/%u "
			       "state %d/%d cpu %d/%d", what, x->tid,
			       (unsigned long long)x->hold_ns, y ? (unsigned long long)y->hold_ns : 0,
			       (unsigned long long)x->wait_ns, y ? (unsigned long long)y->wait_ns : 0,
			       (unsigned long long)x->cpu_ns, y ? (unsigned long long)y->cpu_ns : 0,
			       x->acquisitions, y ? y->acquisitions : 0, x->state, y ? y->state : -1,
			       x->cpu, y ? y->cpu : -9);
			return false;
		}
	}
	bool locks = a->nlocks == b->nlocks;

	for (size_t i = 0; locks && i < a->nlocks; i++)
		locks = a->locks[i].pid == b->locks[i].pid && a->locks[i].addr == b->locks[i].addr;
	CHECKF(locks && a->holder == b->holder, "%s: %zu vs %zu locks, holder %u vs %u", what,
	       a->nlocks, b->nlocks, a->holder, b->holder);
	return locks && a->holder == b->holder;
}

/* The same trace from memory (fed from its first event) and from a file
 * (fed from the keyframe of the block holding t0) gives the same windows:
 * random ones, and ones starting or ending at block edges. */
static void test_seek_equals_sequential(void)
{
	static struct gs_event e[NEV];
	struct sim s;
	size_t n = sim_run(e, NEV, &s);
	struct timeline *seq = live_of(e, n), *seek = file_of("seek.gst", e, n);
	struct snap a = { 0 }, b = { 0 };
	const struct tl_window *w;
	size_t windows = 0, differ = 0, open_hold = 0, nested = 0;

	/* the trace has what the test is about */
	CHECKF(s.max_nest >= 2 && s.rel0 > 5 && s.any0 > 5 && s.waits_across > 5 && s.failed > 2,
	       "nest %d rel0 %d any0 %d across %d failed %d", s.max_nest, s.rel0, s.any0,
	       s.waits_across, s.failed);
	if (!seq || !seek)
		goto out;
	for (int round = 0; round < 500 && differ < 3; round++) {
		uint64_t t0, t1, first = e[0].ts_ns, last = e[n - 1].ts_ns;
		size_t blk = rnd(n / BLOCK);
		uint64_t edge = e[blk * BLOCK].ts_ns;

		switch (round % 4) {
		case 0:		/* anywhere, any width */
			t0 = first - MS + rnd(last - first + 2 * MS);
			t1 = t0 + 1 + rnd(round % 8 ? 5 * MS : 200 * MS);
			break;
		case 1:		/* starting at a block's first event, or next to it */
			t0 = edge - 1 + rnd(3);
			t1 = t0 + 1 + rnd(3 * MS);
			break;
		case 2:		/* ending there */
			t1 = edge - 1 + rnd(3);
			t0 = t1 - 1 - rnd(3 * MS);
			break;
		default:	/* past the end: holds still open */
			t1 = last + 1 + rnd(MS);
			t0 = t1 - 1 - rnd(20 * MS);
			break;
		}
		CHECK(timeline_window(seq, t0, t1, &w) == 0);
		snap_of(&a, w);
		CHECK(timeline_window(seek, t0, t1, &w) == 0);
		snap_of(&b, w);
		windows++;
		differ += !same_window(&a, &b, t0, t1);
		for (size_t i = 0; i < a.ns; i++) {
			open_hold += a.s[i].kind == SPAN_HOLD && (a.s[i].flags & SPAN_F_OPEN);
			for (size_t j = i + 1; j < a.ns && a.s[j].kind == SPAN_HOLD; j++)
				nested += a.s[i].kind == SPAN_HOLD && a.s[j].tid == a.s[i].tid &&
					  a.s[j].start_ns < a.s[i].end_ns;
		}
	}
	CHECKF(windows >= 500 && open_hold > 50 && nested > 50, "%zu windows, %zu open holds, "
	       "%zu nested", windows, open_hold, nested);
out:
	free(a.s);
	free(b.s);
	timeline_free(seq);
	timeline_free(seek);
}

/* A hold ended by RELEASED of address 0 before a block boundary must not
 * come back after a seek past it: the keyframe has the thread's ACQUIRED
 * and its RELEASED of 0, and the window must show the lock free. */
static void test_no_phantom_hold_after_seek(void)
{
	static struct gs_event e[400];
	size_t n = 0;
	const struct tl_window *w;
	struct timeline *tl;
	uint64_t ts = 1000 * MS;

#define EV(ty, th, c, a0) \
	(e[n++] = (struct gs_event){ .ts_ns = ts += 10 * US, .pid = PID, .tid = (th), \
				     .cpu = (c), .type = (ty), .arg0 = (a0) })
	e[n] = (struct gs_event){ .ts_ns = ts, .pid = PID, .tid = PID + 1,
				  .type = GS_EV_SCHED_SWITCH, .arg0 = (PID + 1) | (uint64_t)PID << 32,
				  .flags = GS_F_TRACED_NEXT };
	n++;
	EV(GS_EV_LOCK_ACQUIRED, PID + 1, 0, 0x1000);
	EV(GS_EV_LOCK_RELEASED, PID + 1, 0, 0);	/* address 0: ends the hold */
	while (n < 300) {				/* a few blocks of something else */
		EV(GS_EV_LOCK_REQUEST, PID + 2, 1, 0x2000);
		EV(GS_EV_LOCK_ACQUIRED, PID + 2, 1, 0x2000);
		EV(GS_EV_LOCK_RELEASED, PID + 2, 1, 0x2000);
	}
#undef EV
	tl = file_of("phantom.gst", e, n);
	if (!tl)
		return;
	CHECK(timeline_window(tl, e[250].ts_ns, e[n - 1].ts_ns + 1, &w) == 0);
	for (size_t i = 0; i < w->nspans; i++)
		CHECKF(w->spans[i].kind != SPAN_HOLD || w->spans[i].tid != PID + 1,
		       "phantom: %s", span_str(&w->spans[i]));
	for (size_t i = 0; i < w->nthreads; i++)
		if (w->threads[i].tid == PID + 1)
			CHECK(w->threads[i].hold_ns == 0 && w->threads[i].state == MS_RUNNING_FREE);
	for (size_t i = 0; i < w->nlocks; i++)
		CHECK(w->locks[i].addr == 0x2000);
	timeline_free(tl);
}

/*
 * A window too dense to draw span by span: 24 CPUs switching every
 * microsecond. Read in slices (-EAGAIN), it must complete in a bounded
 * number of calls, merged (merged_ns set, spans bounded), and keep each
 * thread's time on a CPU: the merging must not start the window over and
 * over.
 */
static void test_dense_window_completes_merged(void)
{
	enum { CPUS = 24, STEPS = 16000 };
	struct trace_meta meta = { .ncpus = CPUS, .root_pid = PID };
	struct timeline_opts o = { .live_cap = CPUS * STEPS + 16 };
	struct gs_event *e = calloc(CPUS * STEPS, sizeof(*e));
	const struct tl_window *w = NULL;
	struct timeline *tl = NULL;
	uint64_t t0 = 10 * MS, cpu_ns = 0;
	size_t n = 0;
	int calls = 0, err = -EAGAIN;

	if (!e)
		return;
	for (uint32_t k = 0; k < STEPS; k++)
		for (uint16_t c = 0; c < CPUS; c++) {
			/* two threads per CPU take turns */
			uint32_t prev = PID + 1 + c * 2 + (k & 1), next = PID + 1 + c * 2 + !(k & 1);
			struct gs_event *x = &e[n++];

			*x = (struct gs_event){ .ts_ns = t0 + k * US, .pid = PID, .tid = k ? prev : 0,
						.cpu = c, .type = GS_EV_SCHED_SWITCH,
						.flags = GS_F_TRACED_PREV | GS_F_TRACED_NEXT,
						.arg0 = next | (uint64_t)PID << 32 };
		}
	CHECK(timeline_new_live(&tl, &meta, &o) == 0);
	if (!tl) {
		free(e);
		return;
	}
	CHECK(timeline_append(tl, e, n) == 0);
	timeline_end(tl);
	while (err == -EAGAIN && calls++ < 1000)
		err = timeline_window(tl, t0, t0 + STEPS * US, &w);
	CHECKF(err == 0, "err %d after %d calls", err, calls);
	if (!err) {
		CHECKF(w->merged_ns > 0, "not merged: %zu spans", w->nspans);
		CHECKF(w->nspans < 4 * 65536, "%zu spans", w->nspans);
		for (size_t i = 0; i < w->nthreads; i++)
			cpu_ns += w->threads[i].cpu_ns;
		/* every CPU busy all along (but the first microsecond) */
		CHECKF(cpu_ns >= (uint64_t)CPUS * (STEPS - 2) * US && cpu_ns <= (uint64_t)CPUS * STEPS * US,
		       "cpu time %llu", (unsigned long long)cpu_ns);
	}
	timeline_free(tl);
	free(e);
}

/* A thread's number (its letter, its colour) is where it first shows in
 * the whole trace, whichever window is read first: from the start, after a
 * seek past threads that are gone (replay --at), or live. Threads 1 and 2
 * are gone by the end; 3 and 4 came later, 4 first shows switched to by 3. */
static void test_thread_numbers_stable(void)
{
	static struct gs_event e[1200];
	size_t n = 0;
	uint64_t ts = 1000 * MS;
	struct timeline *tl[3];
	const struct tl_window *w;
	uint32_t idx[3][NT + 1];

#define EV(ty, t, c, a0, a1) (e[n++] = (struct gs_event){ .ts_ns = ts += 50 * US, .pid = PID, \
		.tid = (t) ? PID + (t) : 0, .cpu = (c), .type = (ty), .arg0 = (a0), .arg1 = (a1) })
	EV(GS_EV_THREAD_START, 1, 0, 0, 0);
	EV(GS_EV_THREAD_START, 2, 1, 0, 0);
	for (int k = 0; k < 200; k++)	/* 1 and 2 take turns (four blocks) */
		EV(k % 2 ? GS_EV_LOCK_RELEASED : GS_EV_LOCK_ACQUIRED, 1 + k / 2 % 2, 0, 0x1000, 0);
	EV(GS_EV_THREAD_EXIT, 1, 0, 0, 0);
	EV(GS_EV_THREAD_EXIT, 2, 1, 0, 0);
	EV(GS_EV_THREAD_START, 3, 0, 0, 0);
	e[n] = (struct gs_event){ .ts_ns = ts += 50 * US, .pid = PID, .tid = PID + 3, .cpu = 0,
				  .type = GS_EV_SCHED_SWITCH, .flags = GS_F_TRACED_PREV | GS_F_TRACED_NEXT,
				  .arg0 = (uint64_t)PID << 32 | (PID + 4) };
	n++;
	for (int k = 0; k < 600; k++)	/* 4 and 3 take turns: many blocks on */
		EV(k % 2 ? GS_EV_LOCK_RELEASED : GS_EV_LOCK_ACQUIRED, 4 - k / 2 % 2, k / 2 % 2, 0x1000, 0);
#undef EV
	tl[0] = live_of(e, n);
	tl[1] = file_of("numbers-a.gst", e, n);
	tl[2] = file_of("numbers-b.gst", e, n);
	if (!tl[0] || !tl[1] || !tl[2])
		goto out;
	/* b reads the start first, as a replay from the beginning would */
	CHECK(timeline_window(tl[2], e[0].ts_ns, e[50].ts_ns, &w) == 0);
	for (int k = 0; k < 3; k++) {
		memset(idx[k], 0xff, sizeof(idx[k]));
		CHECK(timeline_window(tl[k], ts - 5 * MS, ts, &w) == 0);
		for (size_t i = 0; i < w->nthreads; i++)
			if (w->threads[i].tid > PID && w->threads[i].tid <= PID + NT)
				idx[k][w->threads[i].tid - PID] = w->threads[i].index;
	}
	for (int t = 3; t <= 4; t++)
		for (int k = 0; k < 3; k++)
			CHECKF(idx[k][t] == (uint32_t)t - 1, "thread %d: number %u in %s", t,
			       idx[k][t], k == 0 ? "live" : k == 1 ? "the file read at the end"
			       : "the file read from the start");
out:
	for (int k = 0; k < 3; k++)
		timeline_free(tl[k]);
}

int main(void)
{
	char cmd[300];

	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_seek_equals_sequential);
	RUN(test_no_phantom_hold_after_seek);
	RUN(test_dense_window_completes_merged);
	RUN(test_thread_numbers_stable);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd))
		printf("# could not remove %s\n", tmpdir);
	return check_done();
}
