/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * trace_synth.c - see trace_synth.h. The simulation advances one "episode"
 * at a time (a hand-off, a preemption, an I/O) into a small queue that
 * trace_synth_next() drains, so any number of events streams in O(1) memory.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "trace/trace_synth.h"

#define QCAP 512	/* room for the start episode of 64 threads */
#define KWORKER 57	/* pid/tid of the untraced task that preempts us */

struct synth_thread {
	uint32_t tid;
	uint64_t req_ts;	/* when it last asked for the lock */
	uint64_t acq_ts;	/* when it last got it */
};

struct trace_synth {
	struct trace_synth_opts o;
	uint64_t rng;
	uint64_t t;		/* simulated now */
	bool started;
	int holder;		/* thread index holding the lock */
	uint16_t hcpu;		/* CPU the holder runs on */
	int next_waiter;	/* round robin over the waiters */
	uint32_t fd;		/* for I/O events */
	struct synth_thread thr[64];
	struct gs_event q[QCAP];
	size_t qhead, qlen;
};

static uint64_t rnd(struct trace_synth *s)
{
	/* xorshift64*: small, deterministic, good enough for jitter */
	s->rng ^= s->rng >> 12;
	s->rng ^= s->rng << 25;
	s->rng ^= s->rng >> 27;
	return s->rng * 2685821657736338717ull;
}

/* uniform in [lo, hi] */
static uint64_t between(struct trace_synth *s, uint64_t lo, uint64_t hi)
{
	return lo + rnd(s) % (hi - lo + 1);
}

static void emit(struct trace_synth *s, uint64_t dt, uint8_t type, uint32_t tid,
		 uint16_t cpu, uint8_t flags, uint64_t a0, uint64_t a1)
{
	struct gs_event *e = &s->q[(s->qhead + s->qlen++) % QCAP];

	s->t += dt;
	*e = (struct gs_event){
		.ts_ns = s->t, .pid = tid == KWORKER || !tid ? tid : s->o.pid,
		.tid = tid, .cpu = cpu, .type = type, .flags = flags,
		.arg0 = a0, .arg1 = a1,
	};
}

static uint64_t task(uint32_t pid, uint32_t tid)
{
	return tid | (uint64_t)pid << 32;
}

/* A switch on cpu from prev to next; tid 0 is idle, KWORKER is untraced. */
static void sw(struct trace_synth *s, uint64_t dt, uint16_t cpu, uint32_t prev,
	       uint32_t next, uint64_t prev_state)
{
	uint8_t f = 0;
	uint32_t npid = next == KWORKER || !next ? next : s->o.pid;

	if (prev && prev != KWORKER)
		f |= GS_F_TRACED_PREV;
	if (next && next != KWORKER)
		f |= GS_F_TRACED_NEXT;
	emit(s, dt, GS_EV_SCHED_SWITCH, prev, cpu, f, task(npid, next), prev_state);
}

static void wake(struct trace_synth *s, uint64_t dt, uint32_t tid, uint16_t cpu,
		 uint32_t waker)
{
	emit(s, dt, GS_EV_SCHED_WAKEUP, tid, cpu, tid == KWORKER ? 0 : GS_F_TRACED,
	     cpu, waker);
}

static uint16_t other_cpu(struct trace_synth *s)
{
	uint16_t c = (uint16_t)between(s, 0, s->o.cpus - 2);

	return c >= s->hcpu ? c + 1 : c;
}

static int pick_waiter(struct trace_synth *s)
{
	int w = s->next_waiter;

	do
		w = (w + 1) % (int)s->o.threads;
	while (w == s->holder);
	s->next_waiter = w;
	return w;
}

/* The holder h on hcpu gives the lock to w, which wakes on cpu c. */
static void acquire(struct trace_synth *s, int w, uint16_t c, uint64_t dt)
{
	struct synth_thread *t = &s->thr[w];

	sw(s, dt, c, 0, t->tid, 0);
	emit(s, between(s, 300, 1500), GS_EV_LOCK_ACQUIRED, t->tid, c, 0, s->o.lock,
	     s->t - t->req_ts);
	t->acq_ts = s->t;
	s->holder = w;
	s->hcpu = c;
}

static void release(struct trace_synth *s, uint64_t dt)
{
	struct synth_thread *h = &s->thr[s->holder];

	emit(s, dt, GS_EV_LOCK_RELEASED, h->tid, s->hcpu, 0, s->o.lock, s->t + dt - h->acq_ts);
}

/* CPython's forced switch: wake, drop request, release, hand-off. */
static void episode_handoff(struct trace_synth *s)
{
	struct synth_thread *h = &s->thr[s->holder];
	int w = pick_waiter(s);
	uint32_t wt = s->thr[w].tid;
	uint16_t c = s->o.cpus > 1 ? other_cpu(s) : s->hcpu, hc = s->hcpu;

	wake(s, 0, wt, c, 0);
	sw(s, between(s, 2000, 12000), c, 0, wt, 0);
	emit(s, between(s, 800, 3000), GS_EV_DROP_REQUEST, wt, c, 0, s->o.lock, h->tid);
	sw(s, between(s, 500, 2000), c, wt, 0, 1);
	release(s, between(s, 3000, 60000));
	wake(s, between(s, 400, 1200), wt, c, h->tid);
	emit(s, between(s, 300, 1000), GS_EV_LOCK_REQUEST, h->tid, hc, 0, s->o.lock, 0);
	h->req_ts = s->t;
	acquire(s, w, c, between(s, 2000, 9000));
	sw(s, between(s, 500, 3000), hc, h->tid, 0, 1);
}

/* A kworker preempts the holder for a while. */
static void episode_preempt(struct trace_synth *s)
{
	uint32_t ht = s->thr[s->holder].tid;

	wake(s, 0, KWORKER, s->hcpu, 0);
	sw(s, between(s, 1000, 5000), s->hcpu, ht, KWORKER, 0);
	sw(s, between(s, 5000, 150000), s->hcpu, KWORKER, ht, 1);
}

/* The holder blocks in I/O with the lock released; a waiter takes over on
 * the same CPU; the I/O completes later and the thread queues again. */
static void episode_io(struct trace_synth *s)
{
	struct synth_thread *h = &s->thr[s->holder];
	uint16_t hc = s->hcpu;
	uint32_t fd = s->fd++ % 64 + 3;
	uint64_t io_start;
	int w = pick_waiter(s);

	release(s, 0);
	emit(s, between(s, 500, 2000), GS_EV_IO_BEGIN, h->tid, hc, 0, fd, 0);
	io_start = s->t;
	sw(s, between(s, 1000, 4000), hc, h->tid, 0, 1);
	wake(s, between(s, 500, 2000), s->thr[w].tid, hc, h->tid);
	acquire(s, w, hc, between(s, 2000, 8000));
	uint16_t c = s->o.cpus > 1 ? other_cpu(s) : hc;

	wake(s, between(s, 50000, 2000000), h->tid, c, 0);
	sw(s, between(s, 2000, 10000), c, 0, h->tid, 0);
	emit(s, between(s, 500, 2000), GS_EV_IO_END, h->tid, c, 0, fd, s->t - io_start);
	emit(s, between(s, 500, 2000), GS_EV_LOCK_REQUEST, h->tid, c, 0, s->o.lock, 0);
	h->req_ts = s->t;
	sw(s, between(s, 500, 3000), c, h->tid, 0, 1);
}

static void episode_start(struct trace_synth *s)
{
	for (uint32_t i = 0; i < s->o.threads; i++) {
		struct synth_thread *t = &s->thr[i];
		char name[24] = { 0 };	/* THREAD_NAME carries the first 16 */
		uint64_t a[2];

		t->tid = s->o.pid + i;
		if (i)
			snprintf(name, sizeof(name), "worker-%u", i);
		else
			strcpy(name, "main");
		memcpy(a, name, sizeof(a));	/* sizeof(a) == 16 */
		emit(s, i ? between(s, 20000, 80000) : 0, GS_EV_THREAD_START, t->tid, 0, 0, 0, 0);
		emit(s, 1000, GS_EV_THREAD_NAME, t->tid, 0, 0, a[0], a[1]);
		emit(s, 1000, GS_EV_LOCK_REQUEST, t->tid, 0, 0, s->o.lock, 0);
		t->req_ts = s->t;
		if (i == 0) {
			acquire(s, 0, 0, 500);
		} else {
			/* a new thread runs briefly on a free CPU, then waits */
			uint16_t c = s->o.cpus > 1 ? other_cpu(s) : 0;

			sw(s, 500, c, 0, t->tid, 0);
			sw(s, 2000, c, t->tid, 0, 1);
		}
	}
}

int trace_synth_new(struct trace_synth **out, const struct trace_synth_opts *opts)
{
	struct trace_synth *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	if (opts)
		s->o = *opts;
	if (!s->o.threads)
		s->o.threads = 4;
	if (!s->o.cpus)
		s->o.cpus = 2;
	if (!s->o.pid)
		s->o.pid = 4242;
	if (!s->o.start_ns)
		s->o.start_ns = 1000000000ull;
	if (!s->o.interval_us)
		s->o.interval_us = 5000;
	if (!s->o.lock)
		s->o.lock = 0x55d0c0de1000ull;
	if (s->o.threads < 2 || s->o.threads > 64 || s->o.cpus > 64 ||
	    s->o.pid > 0x7fffffff - 64 || s->o.pid <= KWORKER) {
		free(s);
		return -EINVAL;
	}
	s->rng = s->o.seed ? s->o.seed : 1;
	s->t = s->o.start_ns;
	*out = s;
	return 0;
}

void trace_synth_next(struct trace_synth *s, struct gs_event *ev, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!s->qlen) {
			uint64_t iv = s->o.interval_us * 1000ull;

			s->qhead = 0;
			if (!s->started) {
				episode_start(s);
				s->started = true;
			} else {
				/* the holder computes for about one interval */
				s->t += between(s, iv * 7 / 10, iv * 9 / 10);
				uint64_t r = rnd(s) % 100;

				if (r < 25)
					episode_preempt(s);
				else if (r < 30)
					episode_io(s);
				else
					episode_handoff(s);
			}
		}
		ev[i] = s->q[s->qhead];
		s->qhead = (s->qhead + 1) % QCAP;
		s->qlen--;
	}
}

void trace_synth_free(struct trace_synth *s)
{
	free(s);
}

int trace_synth_write(const char *path, uint64_t nevents,
		      const struct trace_synth_opts *opts,
		      const struct trace_writer_opts *wopts)
{
	struct trace_meta m = { .ncpus = 2, .clock_id = CLOCK_MONOTONIC,
				.start_ns = opts && opts->start_ns ? opts->start_ns : 1000000000ull };
	struct trace_writer *w = NULL;
	struct trace_synth *s = NULL;
	struct gs_event buf[1024];
	int err;

	snprintf(m.host, sizeof(m.host), "synth");
	snprintf(m.adapter, sizeof(m.adapter), "gilrt");
	snprintf(m.command, sizeof(m.command), "synthetic trace");
	err = trace_synth_new(&s, opts);
	if (!err) {
		m.ncpus = s->o.cpus;
		m.root_pid = s->o.pid;
		err = trace_writer_open(&w, path, &m, wopts);
	}
	while (!err && nevents) {
		size_t n = nevents < 1024 ? (size_t)nevents : 1024;

		trace_synth_next(s, buf, n);
		err = trace_writer_append(w, buf, n);
		nevents -= n;
	}
	int cerr = trace_writer_close(w);

	trace_synth_free(s);
	return err ? err : cerr;
}
