/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* test_model.c - the timeline model on hand-built event sequences: exact
 * spans and totals for a lock hand-off, keyframes after a seek, odd and
 * missing events, CPU spans split at the lock, untraced (-a) tasks, nested
 * locks.
 *
 * Long file: the one state machine's cases, each a short event table, share
 * the event builders and the sequential reference the seek tests compare to.
 */
#include "check.h"
#include "model/model.h"
#include "trace/trace_meta.h"

#define PID 100
#define A 101
#define B 102
#define C 103
#define L 0x5000
#include "events.h"

struct spans {
	struct model_span s[4096];
	size_t n;
	bool bad;	/* a span ended before it started */
};

static void on_span(const struct model_span *s, void *ctx)
{
	struct spans *sp = ctx;

	if (s->end_ns < s->start_ns)
		sp->bad = true;
	if (sp->n < sizeof(sp->s) / sizeof(sp->s[0]))
		sp->s[sp->n++] = *s;
}

/* the span of this kind/tid/cpu starting at start, or NULL */
static const struct model_span *find(const struct spans *sp, uint8_t kind, uint32_t tid,
				     uint64_t start)
{
	for (size_t i = 0; i < sp->n; i++)
		if (sp->s[i].kind == kind && sp->s[i].tid == tid && sp->s[i].start_ns == start)
			return &sp->s[i];
	return NULL;
}

static size_t count(const struct spans *sp, uint8_t kind, uint32_t tid)
{
	size_t n = 0;

	for (size_t i = 0; i < sp->n; i++)
		n += sp->s[i].kind == kind && sp->s[i].tid == tid;
	return n;
}

static struct model *mk(struct spans *sp, uint32_t ncpus)
{
	struct model_opts o = { .ncpus = ncpus, .on_span = on_span, .ctx = sp };

	sp->n = 0;
	sp->bad = false;
	return model_new(&o);
}

static void feed(struct model *m, const struct gs_event *e, size_t n)
{
	for (size_t i = 0; i < n; i++)
		CHECKF(model_feed(m, &e[i]) == 0, "event %zu", i);
}

#define SPAN_IS(sp, kind, tid, s, e, fl)                                            \
	do {                                                                         \
		const struct model_span *x_ = find(sp, kind, tid, s);                \
		CHECKF(x_ && x_->end_ns == (e) && x_->flags == (fl),                 \
		       "kind %d tid %d [%d,%d) flags %d: got end %lld flags %d",     \
		       kind, tid, (int)(s), (int)(e), (int)(fl),                     \
		       x_ ? (long long)x_->end_ns : -1LL, x_ ? (int)x_->flags : -1); \
	} while (0)

static struct spans sp;

/* Two threads on two CPUs hand the lock back and forth. */
static void test_handoff(void)
{
	struct model *m = mk(&sp, 2);
	struct gs_event e[] = {
		sw(0, 0, 0, A, 0),
		sw(0, 1, 0, B, 0),
		ev(10, GS_EV_LOCK_REQUEST, A, 0, L, 0),
		ev(20, GS_EV_LOCK_ACQUIRED, A, 0, L, 10),
		ev(30, GS_EV_LOCK_REQUEST, B, 1, L, 0),
		ev(100, GS_EV_DROP_REQUEST, B, 1, L, A),
		ev(110, GS_EV_LOCK_RELEASED, A, 0, L, 90),
		ev(115, GS_EV_LOCK_ACQUIRED, B, 1, L, 85),
		ev(120, GS_EV_LOCK_REQUEST, A, 0, L, 0),
		sw(130, 0, A, 0, 1),
		ev(200, GS_EV_LOCK_RELEASED, B, 1, L, 85),
		ev(210, GS_EV_SCHED_WAKEUP, A, 1, 0, B),
		sw(220, 0, 0, A, 0),
		ev(225, GS_EV_LOCK_ACQUIRED, A, 0, L, 105),
	};

	feed(m, e, sizeof(e) / sizeof(e[0]));
	CHECK(model_lock_holder(m) == A);
	const struct model_thread *a = model_thread(m, A), *b = model_thread(m, B);

	CHECK(a && b);
	if (!a || !b)
		return;
	CHECK(a->state == MS_RUNNING_LOCKED);
	CHECK(b->state == MS_RUNNING_FREE);
	CHECK(a->last_wait_ns == 105 && b->last_hold_ns == 85);

	/* peeking shows what finishing will close, and changes nothing */
	static struct spans peek;
	size_t before = sp.n;

	peek.n = 0;
	model_open_spans(m, 300, on_span, &peek);
	CHECK(sp.n == before && a->hold_ns == 90 && a->hold_since_ns == 225);
	CHECK(model_finish(m, 300) == 0);
	CHECK(peek.n == sp.n - before);
	for (size_t i = 0; i < peek.n && before + i < sp.n; i++)
		CHECKF(!memcmp(&peek.s[i], &sp.s[before + i], sizeof(peek.s[i])), "open span %zu", i);
	CHECK(!sp.bad);

	CHECKF(a->acquisitions == 2 && a->hold_ns == 165 && a->wait_ns == 115,
	       "A acq %llu hold %llu wait %llu", (unsigned long long)a->acquisitions,
	       (unsigned long long)a->hold_ns, (unsigned long long)a->wait_ns);
	CHECKF(a->cpu_ns == 210 && a->ctx_switches == 1, "A cpu %llu",
	       (unsigned long long)a->cpu_ns);
	CHECKF(b->acquisitions == 1 && b->hold_ns == 85 && b->wait_ns == 85 &&
	       b->cpu_ns == 300 && b->drop_requests == 1 && b->ctx_switches == 0,
	       "B acq %llu hold %llu wait %llu cpu %llu", (unsigned long long)b->acquisitions,
	       (unsigned long long)b->hold_ns, (unsigned long long)b->wait_ns,
	       (unsigned long long)b->cpu_ns);

	size_t n;
	const struct model_cpu *c = model_cpus(m, &n);

	CHECK(n == 2);
	CHECKF(c[0].busy_ns == 210 && c[0].lock_held_ns == 165, "cpu0 %llu %llu",
	       (unsigned long long)c[0].busy_ns, (unsigned long long)c[0].lock_held_ns);
	CHECKF(c[1].busy_ns == 300 && c[1].lock_held_ns == 85, "cpu1 %llu %llu",
	       (unsigned long long)c[1].busy_ns, (unsigned long long)c[1].lock_held_ns);

	/* CPU spans split where the lock changes hands */
	SPAN_IS(&sp, SPAN_CPU, A, 0, 20, 0);
	SPAN_IS(&sp, SPAN_CPU, A, 20, 110, SPAN_F_LOCKED);
	SPAN_IS(&sp, SPAN_CPU, A, 110, 130, 0);
	SPAN_IS(&sp, SPAN_CPU, A, 220, 225, 0);
	SPAN_IS(&sp, SPAN_CPU, A, 225, 300, SPAN_F_LOCKED | SPAN_F_OPEN);
	SPAN_IS(&sp, SPAN_CPU, B, 0, 115, 0);
	SPAN_IS(&sp, SPAN_CPU, B, 115, 200, SPAN_F_LOCKED);
	SPAN_IS(&sp, SPAN_CPU, B, 200, 300, SPAN_F_OPEN);
	CHECK(count(&sp, SPAN_CPU, A) == 5 && count(&sp, SPAN_CPU, B) == 3);
	const struct model_span *x = find(&sp, SPAN_CPU, A, 20);

	CHECK(x && x->cpu == 0 && x->lock == L);

	SPAN_IS(&sp, SPAN_HOLD, A, 20, 110, 0);
	SPAN_IS(&sp, SPAN_HOLD, B, 115, 200, 0);
	SPAN_IS(&sp, SPAN_HOLD, A, 225, 300, SPAN_F_OPEN);
	SPAN_IS(&sp, SPAN_WAIT, A, 10, 20, 0);
	SPAN_IS(&sp, SPAN_WAIT, B, 30, 115, 0);
	SPAN_IS(&sp, SPAN_WAIT, A, 120, 225, 0);
	CHECK(count(&sp, SPAN_HOLD, A) == 2 && count(&sp, SPAN_WAIT, A) == 2);
	x = find(&sp, SPAN_HOLD, B, 115);
	CHECK(x && x->lock == L && x->pid == PID);

	/* thread states, waiting outranks being off the CPU */
	struct {
		uint64_t s, e;
		uint8_t st;
	} want[] = {
		{ 0, 10, MS_RUNNING_FREE }, { 10, 20, MS_WAITING },
		{ 20, 110, MS_RUNNING_LOCKED }, { 110, 120, MS_RUNNING_FREE },
		{ 120, 225, MS_WAITING }, { 225, 300, MS_RUNNING_LOCKED },
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		x = find(&sp, SPAN_STATE, A, want[i].s);
		CHECKF(x && x->end_ns == want[i].e && x->state == want[i].st,
		       "A state span %zu", i);
	}
	CHECK(count(&sp, SPAN_STATE, A) == 6);
	x = find(&sp, SPAN_STATE, B, 30);
	CHECK(x && x->state == MS_WAITING && x->end_ns == 115);
	model_free(m);
}

/* After a seek: keyframes (older, out of order) set state silently. */
static void test_keyframes(void)
{
	struct model *m = mk(&sp, 2);
	struct gs_event e[] = {
		kf(sw(45, 1, C, 0, 1)),		/* CPU1's last switch: idle */
		kf(sw(50, 0, C, A, 0)),		/* CPU0's last switch: A runs */
		kf(sw(40, 1, B, C, 1)),		/* B's last off-CPU (older than 45) */
		kf(ev(60, GS_EV_LOCK_ACQUIRED, A, 0, L, 0)),
		kf(ev(70, GS_EV_LOCK_REQUEST, B, 1, L, 0)),
		kf(ev(30, GS_EV_LOCK_REQUEST, A, 0, L, 0)),	/* older than A's ACQUIRED */
	};

	feed(m, e, sizeof(e) / sizeof(e[0]));
	CHECK(sp.n == 0);
	size_t n, nt;
	const struct model_cpu *c = model_cpus(m, &n);

	CHECK(c[0].tid == A && c[0].since_ns == 60 && c[0].locked);
	CHECK(c[1].tid == 0);
	const struct model_thread *a = model_thread(m, A), *b = model_thread(m, B);

	CHECK(a && b);
	if (!a || !b)
		return;
	CHECK(a->state == MS_RUNNING_LOCKED && a->lock == L && a->hold_since_ns == 60);
	CHECK(a->state_since_ns == 60);
	CHECK(b->state == MS_WAITING && b->state_since_ns == 70);
	CHECK(model_lock_holder(m) == A);
	model_threads(m, &nt);
	for (size_t i = 0; i < nt; i++) {
		const struct model_thread *t = &model_threads(m, &nt)[i];

		CHECK(t->acquisitions == 0 && t->hold_ns == 0 && t->cpu_ns == 0 &&
		      t->ctx_switches == 0);
	}

	struct gs_event e2[] = {
		ev(1005, GS_EV_SCHED_WAKEUP, B, 0, 1, A),
		sw(1006, 1, 0, B, 0),
		ev(1010, GS_EV_LOCK_RELEASED, A, 0, L, 0),
		ev(1012, GS_EV_LOCK_ACQUIRED, B, 1, L, 0),
	};
	feed(m, e2, sizeof(e2) / sizeof(e2[0]));
	CHECK(model_origin(m) == 1005);
	model_finish(m, 1100);
	SPAN_IS(&sp, SPAN_HOLD, A, 60, 1010, 0);	/* true start, from the keyframe */
	SPAN_IS(&sp, SPAN_WAIT, B, 70, 1012, 0);
	SPAN_IS(&sp, SPAN_CPU, A, 60, 1010, SPAN_F_LOCKED);
	SPAN_IS(&sp, SPAN_CPU, A, 1010, 1100, SPAN_F_OPEN);
	SPAN_IS(&sp, SPAN_CPU, B, 1006, 1012, 0);
	CHECK(find(&sp, SPAN_CPU, C, 40) == NULL);
	CHECKF(a->hold_ns == 5 && a->acquisitions == 0 && a->cpu_ns == 95,
	       "A hold %llu cpu %llu", (unsigned long long)a->hold_ns,
	       (unsigned long long)a->cpu_ns);
	CHECKF(b->wait_ns == 7 && b->acquisitions == 1 && b->hold_ns == 88 && b->cpu_ns == 94,
	       "B wait %llu hold %llu cpu %llu", (unsigned long long)b->wait_ns,
	       (unsigned long long)b->hold_ns, (unsigned long long)b->cpu_ns);
	CHECK(c[0].busy_ns == 95 && c[0].lock_held_ns == 5);
	CHECK(!sp.bad);

	/* reset forgets everything */
	model_reset(m);
	model_threads(m, &nt);
	CHECK(nt == 0 && model_lock_holder(m) == 0 && model_now(m) == 0);
	c = model_cpus(m, &n);
	CHECK(n == 2 && c[0].tid == 0 && c[0].busy_ns == 0);
	model_free(m);
}

/* Missing, duplicated and out-of-order events: no crash, no negative time. */
static void test_odd(void)
{
	struct model *m = mk(&sp, 1);
	struct gs_event e[] = {
		ev(5, GS_EV_LOCK_RELEASED, A, 0, L, 3),		/* never acquired */
		ev(10, GS_EV_LOCK_ACQUIRED, A, 0, L, 0),	/* no REQUEST, no switch */
		ev(12, GS_EV_LOCK_ACQUIRED, A, 0, L, 0),	/* duplicate */
		ev(20, GS_EV_LOCK_ACQUIRED, B, 3, L, 0),	/* A's RELEASED lost */
		ev(15, GS_EV_LOCK_RELEASED, B, 3, L, 0),	/* older than the one before */
		ev(30, GS_EV_DROP_REQUEST, C, 0, L, B),		/* REQUEST lost */
		ev(40, GS_EV_LOCK_ACQUIRED, C, 0, L, 0),
		ev(41, GS_EV_THREAD_NAME, C, 0, 0x2d6f69, 0),	/* "io-" */
		ev(42, GS_EV_SCHED_MIGRATE, C, 0, 0, 7),
		ev(43, GS_EV_THREAD_EXIT, C, 0, 0, 0),		/* exits holding */
		sw(44, 0, C, 0, 0x40),
		ev(50, GS_EV_LOCK_RELEASED, 0, 0, L, 0),	/* tid 0 */
		ev(60, 200, A, 0, 0, 0),			/* unknown type */
		ev(70, GS_EV_LOST, 0, 0, 12, 0),
		ev(80, GS_EV_IO_END, A, 0, 3, 0),		/* no IO_BEGIN */
		ev(90, GS_EV_NATIVE_BEGIN, A, 0, 0, 0),
	};

	feed(m, e, sizeof(e) / sizeof(e[0]));
	model_finish(m, 10);	/* earlier than the last event */
	CHECK(!sp.bad);
	CHECK(model_lost(m) == 12);
	const struct model_thread *a = model_thread(m, A), *b = model_thread(m, B),
				   *c = model_thread(m, C);

	CHECK(a && b && c);
	if (!a || !b || !c)
		return;
	CHECK(a->acquisitions == 1 && a->hold_ns == 10 && a->wait_ns == 0);
	CHECK(b->acquisitions == 1 && b->hold_ns == 0 && b->lock == 0);
	CHECK(c->acquisitions == 1 && c->wait_ns == 10 && c->hold_ns == 3);
	CHECK(c->drop_requests == 1 && c->migrations == 1 && c->ctx_switches == 1);
	CHECK(!strcmp(c->name, "io-"));
	CHECK(c->state == MS_EXITED && c->lock == 0);
	CHECK(model_lock_holder(m) == 0);
	/* cpu 3 appeared though ncpus was 1 */
	size_t n;
	model_cpus(m, &n);
	CHECK(n == 4);
	CHECK(a->in_native && model_now(m) == 90);
	const struct model_span *x = find(&sp, SPAN_NATIVE, A, 90);

	CHECK(x && x->end_ns == 90 && (x->flags & SPAN_F_OPEN));
	model_free(m);

	/* NULL and empty inputs */
	model_free(NULL);
	model_reset(NULL);
	CHECK(model_feed(NULL, &e[0]) < 0);
	m = model_new(NULL);
	CHECK(m && model_finish(m, 0) == 0);
	model_free(m);
}

/* With -a, untraced tasks occupy CPUs: shown as OTHER, not counted busy. */
static void test_other_tasks(void)
{
	struct model *m = mk(&sp, 1);
	struct gs_event e[] = {
		sw(0, 0, 0, A, 0),
		sw(10, 0, A, 900, 0),	/* A preempted by an untraced task */
		sw(30, 0, 900, A, 0),
		sw(40, 0, A, 0, 1),
	};

	e[1].flags = GS_F_TRACED_PREV;
	e[1].arg0 = 900 | (uint64_t)901 << 32;
	e[2].flags = GS_F_TRACED_NEXT;
	e[2].pid = 901;
	feed(m, e, 4);
	model_finish(m, 50);
	const struct model_thread *a = model_thread(m, A), *o = model_thread(m, 900);

	CHECK(a && o && a->traced && !o->traced && o->pid == 901);
	if (!a || !o)
		return;
	CHECK(a->cpu_ns == 20 && o->cpu_ns == 20);
	CHECK(a->state == MS_SLEEPING);
	size_t n;
	const struct model_cpu *c = model_cpus(m, &n);

	CHECK(c[0].busy_ns == 20 && c[0].other_ns == 20 && c[0].lock_held_ns == 0);
	SPAN_IS(&sp, SPAN_CPU, 900, 10, 30, SPAN_F_OTHER);
	SPAN_IS(&sp, SPAN_CPU, A, 30, 40, 0);
	const struct model_span *x = find(&sp, SPAN_STATE, A, 10);

	CHECK(x && x->state == MS_RUNNABLE && x->end_ns == 30);
	model_free(m);
}

/* An untraced task a traced one handed its CPU to. ms: 1 ms in ns. */
#define MSN 1000000ull

static struct gs_event handover_to(uint64_t ts, uint32_t other)
{
	struct gs_event e = sw(ts, 0, A, 0, 1);	/* A sleeps */

	e.arg0 = other | (uint64_t)(other + 1) << 32;
	e.flags = GS_F_TRACED_PREV;
	return e;
}

/* A switch between two untraced tasks (or to idle: next 0). */
static struct gs_event untraced_sw(uint64_t ts, uint32_t prev, uint32_t next)
{
	struct gs_event e = sw(ts, 0, prev, 0, 1);

	e.pid = prev + 1;
	e.arg0 = next ? next | (uint64_t)(next + 1) << 32 : 0;
	e.flags = 0;
	return e;
}

static struct model *mk_flags(struct spans *s, uint32_t flags)
{
	struct model_opts o = { .ncpus = 1, .on_span = on_span, .ctx = s, .trace_flags = flags };

	s->n = 0;
	s->bad = false;
	return model_new(&o);
}

static struct model_span peeked;	/* 900's CPU span from model_open_spans */

static void peek(const struct model_span *x, void *ctx)
{
	(void)ctx;
	if (x->kind == SPAN_CPU && x->tid == 900)
		peeked = *x;
}

/* Without -a an untraced task's stay on a CPU shows only as long as the
 * recording says it had the CPU: never seconds of "someone else" on a core
 * that idled unseen (traces/io.gst showed 2 s of grey at 1 % busy). */
static void test_other_unfollowed(void)
{
	struct model *m;
	const struct model_cpu *c;
	size_t n;

	/* an old trace: 900's departure was never recorded; the next switch
	 * on the core comes from idle 5 ms later: 900 stayed 1 ms at most */
	m = mk_flags(&sp, 0);
	struct gs_event old[] = { sw(0, 0, 0, A, 0), handover_to(10, 900), sw(5 * MSN, 0, 0, A, 0),
				  sw(6 * MSN, 0, A, 0, 1) };
	feed(m, old, 4);
	model_finish(m, 7 * MSN);
	SPAN_IS(&sp, SPAN_CPU, 900, 10, 10 + MSN, SPAN_F_OTHER | SPAN_F_GUESS);
	c = model_cpus(m, &n);
	CHECKF(c[0].other_ns == MSN && c[0].busy_ns == 10 + MSN, "other %llu busy %llu",
	       (unsigned long long)c[0].other_ns, (unsigned long long)c[0].busy_ns);
	model_free(m);

	/* ... even when it is the one leaving at the next switch: it may have
	 * taken turns with other programs meanwhile, unseen (they do) */
	m = mk_flags(&sp, 0);
	struct gs_event back[] = { sw(0, 0, 0, A, 0), handover_to(10, 900), sw(3 * MSN, 0, 0, A, 0) };
	back[2] = untraced_sw(3 * MSN, 900, A);
	back[2].flags = GS_F_TRACED_NEXT;
	back[2].arg0 = A | (uint64_t)PID << 32;
	feed(m, back, 3);
	SPAN_IS(&sp, SPAN_CPU, 900, 10, 10 + MSN, SPAN_F_OTHER | SPAN_F_GUESS);
	model_free(m);

	/* an old trace still being drawn (live, or a window's right edge):
	 * the open stay is cut at the same bound, the core idle after it;
	 * the totals after model_finish() agree */
	m = mk_flags(&sp, 0);
	feed(m, old, 2);
	peeked = (struct model_span){ 0 };
	model_open_spans(m, 4 * MSN, peek, NULL);
	CHECKF(peeked.start_ns == 10 && peeked.end_ns == 10 + MSN && (peeked.flags & SPAN_F_GUESS),
	       "open span %llu..%llu", (unsigned long long)peeked.start_ns,
	       (unsigned long long)peeked.end_ns);
	model_finish(m, 4 * MSN);
	c = model_cpus(m, &n);
	CHECK(c[0].other_ns == MSN && c[0].tid == 0);
	model_free(m);

	/* a new trace (TRACE_META_HANDOVER): the kernel side recorded the next
	 * switch, 900 going idle after 20 us: exactly that */
	m = mk_flags(&sp, TRACE_META_HANDOVER);
	struct gs_event ho[] = { sw(0, 0, 0, A, 0), handover_to(10, 900), untraced_sw(20010, 900, 0),
				 sw(5 * MSN, 0, 0, A, 0) };
	feed(m, ho, 4);
	SPAN_IS(&sp, SPAN_CPU, 900, 10, 20010, SPAN_F_OTHER);
	model_free(m);

	/* ... and a long stay that ends with its recorded departure is kept,
	 * while the third task it handed the core to is not followed */
	m = mk_flags(&sp, TRACE_META_HANDOVER);
	struct gs_event third[] = { sw(0, 0, 0, A, 0), handover_to(10, 900),
				    untraced_sw(4 * MSN, 900, 902), sw(9 * MSN, 0, 0, A, 0) };
	feed(m, third, 4);
	SPAN_IS(&sp, SPAN_CPU, 900, 10, 4 * MSN, SPAN_F_OTHER);
	SPAN_IS(&sp, SPAN_CPU, 902, 4 * MSN, 5 * MSN, SPAN_F_OTHER | SPAN_F_GUESS);
	model_free(m);

	/* with -a every departure is recorded: nothing is cut */
	m = mk_flags(&sp, TRACE_META_ALL_TASKS);
	feed(m, old, 3);
	SPAN_IS(&sp, SPAN_CPU, 900, 10, 5 * MSN, SPAN_F_OTHER);
	model_free(m);
}

/* After fork() two processes have a lock each at the same address. */
static void test_fork_locks(void)
{
	struct model *m = mk(&sp, 2);
	struct gs_event e[] = {
		ev(0, GS_EV_PROC_FORK, A, 0, 200, 0),
		ev(10, GS_EV_LOCK_ACQUIRED, A, 0, L, 0),
		ev(20, GS_EV_LOCK_ACQUIRED, 200, 1, L, 0),	/* the child's own lock */
		ev(30, GS_EV_LOCK_RELEASED, A, 0, L, 0),
		ev(40, GS_EV_LOCK_RELEASED, 200, 1, L, 0),
	};

	e[2].pid = e[4].pid = 200;
	feed(m, e, 5);
	model_finish(m, 50);
	const struct model_thread *a = model_thread(m, A), *c = model_thread(m, 200);

	CHECK(a && c && c->pid == 200 && c->traced);
	if (!a || !c)
		return;
	CHECK(a->hold_ns == 20 && c->hold_ns == 20);
	size_t n;
	const struct model_lock *l = model_locks(m, &n);

	CHECK(n == 2);
	if (n == 2)
		CHECK(l[0].pid == PID && l[1].pid == 200 && l[0].addr == L && l[1].addr == L &&
		      l[0].acquisitions == 1 && l[1].hold_ns == 20 && !l[0].holder);
	model_free(m);
}

/* A trylock that fails (or a timed wait that times out) ends the wait
 * without the lock: no hold, no acquisition; a later grant counts once. */
static void test_lock_failed(void)
{
	struct model *m = mk(&sp, 2);
	struct gs_event e[] = {
		ev(10, GS_EV_LOCK_ACQUIRED, A, 0, L, 0),
		ev(20, GS_EV_LOCK_REQUEST, B, 1, L, 0),
		ev(25, GS_EV_LOCK_FAILED, B, 1, L, 5),
		ev(30, GS_EV_LOCK_FAILED, B, 1, L + 8, 0),	/* not what it waits for */
		ev(40, GS_EV_LOCK_REQUEST, B, 1, L, 0),
		ev(50, GS_EV_LOCK_RELEASED, A, 0, L, 0),
		ev(55, GS_EV_LOCK_ACQUIRED, B, 1, L, 15),
		ev(60, GS_EV_LOCK_RELEASED, B, 1, L, 0),
	};

	feed(m, e, 8);
	model_finish(m, 70);
	const struct model_thread *b = model_thread(m, B);

	CHECK(b && b->acquisitions == 1 && b->wait_ns == 5 + 15 && b->hold_ns == 5);
	SPAN_IS(&sp, SPAN_WAIT, B, 20, 25, 0);
	SPAN_IS(&sp, SPAN_WAIT, B, 40, 55, 0);
	CHECK(count(&sp, SPAN_HOLD, B) == 1 && count(&sp, SPAN_WAIT, B) == 2);
	model_free(m);
}

/* Nested locks (--lock on an outer and an inner mutex): the outer hold
 * survives the inner one's release; RELEASED of address 0 ends every hold
 * of the thread; another thread's ACQUIRED ends a hold whose RELEASED got
 * lost. A thread's hold_ns counts time holding at least one lock. */
static void test_nested_locks(void)
{
	const uint64_t O = 0x7000, I = 0x8000;	/* outer, inner */
	struct model *m = mk(&sp, 2);
	struct gs_event e[] = {
		sw(0, 0, 0, A, 0),
		sw(0, 1, 0, B, 0),
		ev(10, GS_EV_LOCK_ACQUIRED, A, 0, O, 0),
		ev(20, GS_EV_LOCK_REQUEST, A, 0, I, 0),
		ev(25, GS_EV_LOCK_ACQUIRED, A, 0, I, 5),
		ev(30, GS_EV_LOCK_REQUEST, B, 1, I, 0),
		ev(40, GS_EV_LOCK_RELEASED, A, 0, I, 15),
	};
	struct gs_event e2[] = {
		ev(45, GS_EV_LOCK_ACQUIRED, B, 1, I, 15),
		ev(50, GS_EV_LOCK_RELEASED, B, 1, I, 5),
		ev(60, GS_EV_LOCK_RELEASED, A, 0, O, 50),
		ev(70, GS_EV_LOCK_ACQUIRED, A, 0, O, 0),
		ev(75, GS_EV_LOCK_ACQUIRED, A, 0, I, 0),
		ev(76, GS_EV_LOCK_ACQUIRED, A, 0, O, 0),	/* held already: nothing */
		ev(80, GS_EV_LOCK_RELEASED, A, 0, 0, 0),	/* address 0: all of them */
		ev(90, GS_EV_LOCK_ACQUIRED, A, 0, I, 0),
		ev(95, GS_EV_LOCK_ACQUIRED, B, 1, I, 0),	/* A's RELEASED lost */
	};

	feed(m, e, sizeof(e) / sizeof(e[0]));
	const struct model_thread *a = model_thread(m, A), *b = model_thread(m, B);

	CHECK(a && b);
	if (!a || !b)
		return;
	/* the inner lock went, the outer one stays */
	CHECKF(a->lock == O && a->nlocks == 1 && a->hold_since_ns == 10 &&
	       a->last_hold_ns == 15 && a->hold_end_ns == 40 && a->state == MS_RUNNING_LOCKED,
	       "A lock %#llx n %u since %llu", (unsigned long long)a->lock, a->nlocks,
	       (unsigned long long)a->hold_since_ns);
	CHECK(model_lock_holder(m) == A && model_lock(m, PID, O)->holder == A &&
	      model_lock(m, PID, I)->holder == 0);
	feed(m, e2, sizeof(e2) / sizeof(e2[0]));
	CHECK(a->lock == 0 && a->nlocks == 0 && b->lock == I && b->nlocks == 1);
	model_finish(m, 100);
	CHECK(!sp.bad);

	SPAN_IS(&sp, SPAN_HOLD, A, 10, 60, 0);
	SPAN_IS(&sp, SPAN_HOLD, A, 25, 40, 0);
	SPAN_IS(&sp, SPAN_HOLD, A, 70, 80, 0);
	SPAN_IS(&sp, SPAN_HOLD, A, 75, 80, 0);
	SPAN_IS(&sp, SPAN_HOLD, A, 90, 95, 0);
	SPAN_IS(&sp, SPAN_HOLD, B, 45, 50, 0);
	SPAN_IS(&sp, SPAN_HOLD, B, 95, 100, SPAN_F_OPEN);
	CHECK(count(&sp, SPAN_HOLD, A) == 5 && count(&sp, SPAN_HOLD, B) == 2);
	CHECK(find(&sp, SPAN_HOLD, A, 10)->lock == O && find(&sp, SPAN_HOLD, A, 25)->lock == I &&
	      find(&sp, SPAN_HOLD, A, 75)->lock == I);
	SPAN_IS(&sp, SPAN_WAIT, A, 20, 25, 0);
	SPAN_IS(&sp, SPAN_WAIT, B, 30, 45, 0);
	/* waiting for the inner lock outranks holding the outer one */
	const struct model_span *x = find(&sp, SPAN_STATE, A, 10);

	CHECK(x && x->state == MS_RUNNING_LOCKED && x->end_ns == 20);
	x = find(&sp, SPAN_STATE, A, 25);
	CHECK(x && x->state == MS_RUNNING_LOCKED && x->end_ns == 60);

	/* CPU spans split wherever A's newest lock changes */
	static const struct {
		uint64_t s, e, lock;
	} cpu[] = {
		{ 0, 10, 0 }, { 10, 25, O }, { 25, 40, I }, { 40, 60, O }, { 60, 70, 0 },
		{ 70, 75, O }, { 75, 80, I }, { 80, 90, 0 }, { 90, 95, I }, { 95, 100, 0 },
	};
	for (size_t i = 0; i < sizeof(cpu) / sizeof(cpu[0]); i++) {
		x = find(&sp, SPAN_CPU, A, cpu[i].s);
		CHECKF(x && x->end_ns == cpu[i].e && x->lock == cpu[i].lock &&
		       !(x->flags & SPAN_F_LOCKED) == !cpu[i].lock,
		       "A cpu span %zu: [%llu, %llu) lock %#llx", i,
		       x ? (unsigned long long)x->start_ns : 0, x ? (unsigned long long)x->end_ns : 0,
		       x ? (unsigned long long)x->lock : 0);
	}
	CHECK(count(&sp, SPAN_CPU, A) == 10);

	/* totals: A held something for [10,60) + [70,80) + [90,95) */
	CHECKF(a->hold_ns == 65 && a->acquisitions == 5 && a->wait_ns == 5,
	       "A hold %llu acq %llu", (unsigned long long)a->hold_ns,
	       (unsigned long long)a->acquisitions);
	CHECK(b->hold_ns == 10 && b->acquisitions == 2 && b->wait_ns == 15);
	size_t n;
	const struct model_cpu *c = model_cpus(m, &n);

	CHECK(c[0].lock_held_ns == 65 && c[1].lock_held_ns == 10);
	const struct model_lock *lo = model_lock(m, PID, O), *li = model_lock(m, PID, I);

	CHECK(lo && li && !model_lock(m, PID, 0x9000));
	if (lo && li)
		CHECKF(lo->hold_ns == 60 && lo->acquisitions == 2 && li->hold_ns == 35 &&
		       li->acquisitions == 5 && li->holder == B,
		       "outer %llu/%llu inner %llu/%llu", (unsigned long long)lo->hold_ns,
		       (unsigned long long)lo->acquisitions, (unsigned long long)li->hold_ns,
		       (unsigned long long)li->acquisitions);
	model_free(m);
}

/* Many threads: the tid table grows and keeps finding them all. */
static void test_many_threads(void)
{
	struct model *m = mk(&sp, 2);
	struct gs_event e;

	for (uint32_t t = 1; t <= 5000; t++) {
		e = ev(t, GS_EV_SCHED_WAKEUP, t * 7919u, 0, 0, 0);
		CHECK(model_feed(m, &e) == 0);
	}
	size_t n;
	model_threads(m, &n);
	CHECK(n == 5000);
	bool all = true;

	for (uint32_t t = 1; t <= 5000; t++) {
		const struct model_thread *x = model_thread(m, t * 7919u);

		all &= x && x->tid == t * 7919u && x->state == MS_RUNNABLE;
	}
	CHECK(all);
	CHECK(model_thread(m, 1) == NULL);
	model_free(m);
}

/* Random events, odd on purpose: the model's books must still balance. */
#define RND_SEED 88172645463325252ull
#include "rnd.h"

static void check_books(struct model *m, const char *when)
{
	size_t nt, nc, nl;
	const struct model_thread *t = model_threads(m, &nt);
	const struct model_cpu *c = model_cpus(m, &nc);
	const struct model_lock *l = model_locks(m, &nl);
	uint64_t cpu_t = 0, cpu_c = 0, hold_t = 0, hold_l = 0, acq_t = 0, acq_l = 0;

	for (size_t i = 0; i < nt; i++) {
		cpu_t += t[i].cpu_ns;
		hold_t += t[i].hold_ns;
		acq_t += t[i].acquisitions;
		CHECKF(t[i].state < MS__COUNT, "%s: tid %u state %d", when, t[i].tid, t[i].state);
	}
	for (size_t k = 0; k < nc; k++) {
		cpu_c += c[k].busy_ns + c[k].other_ns;
		CHECKF(c[k].lock_held_ns <= c[k].busy_ns, "%s: cpu %zu", when, k);
		if (!c[k].tid)
			continue;
		const struct model_thread *x = model_thread(m, c[k].tid);

		CHECKF(x && x->cpu == (int32_t)k &&
		       (x->state == MS_RUNNING_FREE || x->state == MS_RUNNING_LOCKED ||
			x->state == MS_WAITING),
		       "%s: cpu %zu runs tid %u: cpu %d state %d", when, k, c[k].tid,
		       x ? x->cpu : -9, x ? x->state : -1);
		CHECKF(!x || c[k].locked == (x->nlocks != 0), "%s: cpu %zu locked flag", when, k);
		for (size_t j = k + 1; j < nc; j++)
			CHECKF(c[j].tid != c[k].tid, "%s: tid %u on cpus %zu and %zu", when,
			       c[k].tid, k, j);
	}
	uint32_t held[16] = { 0 };	/* tids are < 12 */

	for (size_t k = 0; k < nl; k++) {
		hold_l += l[k].hold_ns;
		acq_l += l[k].acquisitions;
		if (l[k].holder) {
			const struct model_thread *x = model_thread(m, l[k].holder);

			CHECKF(x && x->nlocks && x->pid == l[k].pid,
			       "%s: lock %zu holder %u: holds %u, pid %u, lock pid %u", when, k,
			       l[k].holder, x ? x->nlocks : 0, x ? x->pid : 0, l[k].pid);
			held[l[k].holder % 16]++;
		}
	}
	/* each thread's count and newest lock agree with the locks' holders */
	for (size_t i = 0; i < nt; i++) {
		const struct model_lock *ml = model_lock(m, t[i].pid, t[i].lock);

		CHECKF(t[i].nlocks == held[t[i].tid % 16] && !t[i].lock == !t[i].nlocks &&
		       (!t[i].lock || (ml && ml->holder == t[i].tid)),
		       "%s: tid %u holds %u, locks say %u", when, t[i].tid, t[i].nlocks,
		       held[t[i].tid % 16]);
	}
	CHECKF(cpu_t == cpu_c, "%s: threads' cpu %llu, cores' %llu", when,
	       (unsigned long long)cpu_t, (unsigned long long)cpu_c);
	/* nested holds count once for the thread, once per lock for the locks */
	CHECKF(hold_t <= hold_l && acq_t == acq_l, "%s: holds %llu/%llu acq %llu/%llu", when,
	       (unsigned long long)hold_t, (unsigned long long)hold_l,
	       (unsigned long long)acq_t, (unsigned long long)acq_l);
}

static void test_random(void)
{
	static const uint8_t types[] = {
		GS_EV_LOCK_REQUEST, GS_EV_LOCK_ACQUIRED, GS_EV_LOCK_RELEASED, GS_EV_DROP_REQUEST,
		GS_EV_SCHED_SWITCH, GS_EV_SCHED_SWITCH, GS_EV_SCHED_SWITCH, GS_EV_SCHED_WAKEUP,
		GS_EV_SCHED_MIGRATE, GS_EV_IO_BEGIN, GS_EV_IO_END, GS_EV_NATIVE_BEGIN,
		GS_EV_NATIVE_END, GS_EV_THREAD_START, GS_EV_THREAD_EXIT, GS_EV_THREAD_NAME,
		GS_EV_PROC_FORK, GS_EV_PROC_EXIT, GS_EV_LOST, 0, 99,
	};
	struct model *m = mk(&sp, 2);
	uint64_t ts = 1000;

	for (int round = 0; round < 4; round++) {
		for (int i = 0; i < 50000; i++) {
			uint32_t tid = (uint32_t)rnd(12);
			struct gs_event e = {
				.ts_ns = ts, .pid = tid ? 100 + (uint32_t)rnd(2) : 0, .tid = tid,
				.cpu = (uint16_t)rnd(i % 1000 ? 3 : 9),
				.type = types[rnd(sizeof(types))],
				.flags = (uint8_t)rnd(8) | (rnd(50) ? 0 : GS_F_KEYFRAME),
				.arg0 = rnd(3) ? 0x5000 : rnd(4) * 0x1000,
				.arg1 = rnd(3),
			};

			if (e.type == GS_EV_SCHED_SWITCH)
				e.arg0 = rnd(12) | (uint64_t)(100 + rnd(2)) << 32;
			if (e.flags & GS_F_KEYFRAME)
				e.ts_ns -= rnd(ts);
			else
				ts += rnd(1000) - (rnd(20) ? 0 : 400);	/* now and then back */
			CHECK(model_feed(m, &e) == 0);
			if (i % 5000 == 0)
				check_books(m, "feeding");
		}
		model_finish(m, ts);
		check_books(m, "finished");
		CHECK(!sp.bad);
		sp.n = 0;
		if (round == 2)
			model_reset(m);
	}
	model_free(m);
}

/* Sums of counts that come from a file saturate: two crafted LOST events of
 * 2^64 - 1 make "at least 2^64 - 1", not 2^64 - 2 (nor, with a third, 3). */
static void test_counts_saturate(void)
{
	static struct spans sp;
	struct model *m = mk(&sp, 1);
	struct gs_event e[] = {
		ev(10, GS_EV_LOST, 0, 0, UINT64_MAX, 0),
		ev(11, GS_EV_LOST, 0, 0, UINT64_MAX, 0),
		ev(12, GS_EV_LOST, 0, 0, 5, 0),
		ev(13, GS_EV_TIME_CLAMPED, 0, 0, UINT64_MAX, 0),
		ev(14, GS_EV_TIME_CLAMPED, 0, 0, 2, 0),
		kf(ev(9, GS_EV_TIME_CLAMPED, 0, 0, 1, 0)),	/* keyframes never count */
	};

	for (size_t i = 0; i < sizeof(e) / sizeof(e[0]); i++)
		CHECK(model_feed(m, &e[i]) == 0);
	CHECK(model_lost(m) == UINT64_MAX);
	CHECK(model_clamped(m) == UINT64_MAX);
	model_reset(m);
	CHECK(model_feed(m, &e[4]) == 0 && model_clamped(m) == 2 && model_lost(m) == 0);
	model_free(m);
}

/* A million distinct locks (--lock ...:arg0 on malloc does it): the table
 * stays at MODEL_LOCKS_MAX, the dropped ones' totals are folded, a lock held
 * all along is never dropped, and nothing is lost from the totals. */
static void test_lock_table_bounded(void)
{
	struct model_opts o = { .ncpus = 1 };
	struct model *m = model_new(&o);
	const uint64_t n = 4 * MODEL_LOCKS_MAX, outer = 0x1000;
	uint64_t ts = 1000, acq = 0, hold = 0;
	struct gs_event e;
	size_t nl;

	e = ev(ts, GS_EV_LOCK_ACQUIRED, A, 0, outer, 0);	/* held throughout */
	CHECK(model_feed(m, &e) == 0);
	for (uint64_t i = 0; i < n; i++) {
		uint64_t lock = 0x7f0000000000ull + i * 64;

		e = ev(ts += 10, GS_EV_LOCK_ACQUIRED, A, 0, lock, 0);
		CHECK(model_feed(m, &e) == 0);
		e = ev(ts += 10, GS_EV_LOCK_RELEASED, A, 0, lock, 0);
		CHECK(model_feed(m, &e) == 0);
	}
	const struct model_lock *l = model_locks(m, &nl);
	const struct model_folded *f = model_folded(m);

	CHECKF(nl == MODEL_LOCKS_MAX, "%zu locks in the table", nl);
	CHECKF(f->locks == n + 1 - MODEL_LOCKS_MAX, "%llu folded", (unsigned long long)f->locks);
	for (size_t i = 0; i < nl; i++) {
		acq += l[i].acquisitions;
		hold += l[i].hold_ns;
	}
	CHECK(acq + f->lock_acquisitions == n + 1);
	CHECK(hold + f->lock_hold_ns == n * 10);
	CHECK(model_lock(m, PID, outer) && model_lock(m, PID, outer)->holder == A);
	CHECK(model_thread(m, A)->nlocks == 1 && model_thread(m, A)->acquisitions == n + 1);
	model_free(m);
}

/* Threads that come and go without end: exited ones beyond the cap are
 * folded; threads alive at the same time are all kept, past the cap. */
static void test_thread_table_bounded(void)
{
	struct model_opts o = { .ncpus = 2 };
	struct model *m = model_new(&o);
	const uint32_t n = 3 * MODEL_THREADS_MAX, live = MODEL_THREADS_MAX + 10;
	uint64_t ts = 1000, acq = 0;
	struct gs_event e;
	size_t nt;

	for (uint32_t i = 0; i < n; i++) {	/* each runs, takes the lock, exits */
		uint32_t tid = 100000 + i;

		e = sw(ts += 10, 0, i ? tid - 1 : 0, tid, 0);
		CHECK(model_feed(m, &e) == 0);
		e = ev(ts += 10, GS_EV_LOCK_ACQUIRED, tid, 0, 0x1000, 0);
		CHECK(model_feed(m, &e) == 0);
		e = ev(ts += 10, GS_EV_LOCK_RELEASED, tid, 0, 0x1000, 0);
		CHECK(model_feed(m, &e) == 0);
		e = ev(ts += 10, GS_EV_THREAD_EXIT, tid, 0, 0, 0);
		CHECK(model_feed(m, &e) == 0);
	}
	const struct model_thread *t = model_threads(m, &nt);
	const struct model_folded *f = model_folded(m);

	CHECKF(nt <= MODEL_THREADS_MAX, "%zu threads in the table", nt);
	for (size_t i = 0; i < nt; i++)
		acq += t[i].acquisitions;
	CHECKF(acq + f->acquisitions == n, "%llu + %llu acquisitions", (unsigned long long)acq,
	       (unsigned long long)f->acquisitions);
	CHECK(f->threads + nt >= n);
	model_reset(m);
	for (uint32_t i = 0; i < live; i++) {	/* alive at once: none may go */
		e = ev(ts += 10, GS_EV_LOCK_REQUEST, 500000 + i, 1, 0x1000, 0);
		CHECK(model_feed(m, &e) == 0);
	}
	model_threads(m, &nt);
	CHECKF(nt == live && model_folded(m)->threads == 0, "%zu threads", nt);
	model_free(m);
}

int main(void)
{
	RUN(test_counts_saturate);
	RUN(test_lock_table_bounded);
	RUN(test_thread_table_bounded);
	RUN(test_handoff);
	RUN(test_keyframes);
	RUN(test_odd);
	RUN(test_other_tasks);
	RUN(test_other_unfollowed);
	RUN(test_fork_locks);
	RUN(test_lock_failed);
	RUN(test_nested_locks);
	RUN(test_many_threads);
	RUN(test_random);
	return check_done();
}
