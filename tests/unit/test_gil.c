/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * test_gil.c - invariants of the gilrt lock under every policy that has
 * one: never two holders (an independent atomic count kept by hooks), the
 * runtime's own counts equal the events seen, fifo serves waiters in
 * arrival order, legacy hands the lock over at a small fraction of its
 * acquisitions (its known unfairness: the releaser takes it straight back)
 * where new and fifo hand it over at (nearly) every one.
 * Threads run the scenarios' own work(n), so drops happen at the eval breaker.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include "check.h"
#include "gil.h"
#include "scenario_vm.h"

#define NTHREADS 4
#define MAXT 8

struct shared {
	struct gil *gil;
	struct rt_vm *vm;
	int holders;			/* atomic: threads between acquired and releasing */
	int max_holders;		/* atomic: the most ever seen at once */
	uint64_t hook_acquired[MAXT];	/* per thread, from the hooks */
	uint64_t hook_released[MAXT];
	int64_t units;			/* work per thread */
	int chunks;			/* calls of work() per thread */
};

struct worker {
	struct shared *sh;
	int idx;
	struct gil_thread gt;
	int rc;
	pthread_t th;
};

static _Thread_local int my_idx = -1;

static void on_acquired(void *arg, struct gil_thread *gt)
{
	struct shared *sh = arg;
	int now = __atomic_add_fetch(&sh->holders, 1, __ATOMIC_SEQ_CST);
	int max = __atomic_load_n(&sh->max_holders, __ATOMIC_RELAXED);

	(void)gt;
	while (now > max && !__atomic_compare_exchange_n(&sh->max_holders, &max, now, 0,
							 __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
	if (my_idx >= 0)
		sh->hook_acquired[my_idx]++;
}

static void on_releasing(void *arg, struct gil_thread *gt)
{
	struct shared *sh = arg;

	(void)gt;
	if (my_idx >= 0)
		sh->hook_released[my_idx]++;
	__atomic_sub_fetch(&sh->holders, 1, __ATOMIC_SEQ_CST);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct rt_ctx *ctx;
	rt_val res;

	my_idx = w->idx;
	gil_thread_init(&w->gt);
	gil_take(w->sh->gil, &w->gt);
	w->rc = rt_ctx_create(&ctx, w->sh->vm, &w->gt, NULL);
	for (int i = 0; !w->rc && i < w->sh->chunks; i++)
		w->rc = rt_ctx_call(ctx, "work", &w->sh->units, 1, &res);
	rt_ctx_destroy(ctx);
	/* an explicit release and retake, as blocking I/O does */
	gil_drop(w->sh->gil, &w->gt);
	gil_take(w->sh->gil, &w->gt);
	gil_drop(w->sh->gil, &w->gt);
	return NULL;
}

/* Run n threads of bytecode under policy; fills ws[]. */
static void contend(struct shared *sh, struct worker *ws, int n, enum gil_policy policy,
		    unsigned interval_us, int64_t units, int chunks)
{
	struct rt_program *prog = NULL;
	struct gil_hooks hooks = { on_acquired, on_releasing, sh };
	char err[200];

	memset(sh, 0, sizeof(*sh));
	sh->units = units;
	sh->chunks = chunks;
	CHECK(gil_create(&sh->gil, policy, interval_us) == 0);
	gil_set_hooks(sh->gil, &hooks);
	CHECKF(scenario_vm(&prog, &sh->vm, sh->gil, err, sizeof(err)) == 0, "%s", err);
	for (int i = 0; i < n; i++) {
		ws[i] = (struct worker){ .sh = sh, .idx = i };
		pthread_create(&ws[i].th, NULL, worker_main, &ws[i]);
	}
	for (int i = 0; i < n; i++)
		pthread_join(ws[i].th, NULL);
	rt_vm_destroy(sh->vm);
	rt_prog_destroy(prog);
}

static void check_exclusion(enum gil_policy policy)
{
	struct shared sh;
	struct worker ws[NTHREADS];
	uint64_t switches;

	/* a short interval makes many hand-overs in little time */
	contend(&sh, ws, NTHREADS, policy, 100, 200000, 10);
	switches = gil_switches(sh.gil);
	CHECKF(sh.max_holders == 1, "%s: %d holders at once", gil_policy_name(policy), sh.max_holders);
	CHECK(sh.holders == 0);
	for (int i = 0; i < NTHREADS; i++) {
		CHECK(ws[i].rc == 0);
		/* the runtime's counts are exactly the events that happened */
		CHECKF(ws[i].gt.stats.acquisitions == sh.hook_acquired[i] &&
		       sh.hook_acquired[i] == sh.hook_released[i],
		       "%s thread %d: stats %llu, acquired %llu, released %llu", gil_policy_name(policy), i,
		       (unsigned long long)ws[i].gt.stats.acquisitions,
		       (unsigned long long)sh.hook_acquired[i], (unsigned long long)sh.hook_released[i]);
		CHECK(ws[i].gt.stats.acquisitions >= 2);
		CHECK(!ws[i].gt.holding);
		uint64_t hist = 0;
		for (int b = 0; b < RT_HIST_BUCKETS; b++)
			hist += ws[i].gt.stats.hold_hist[b];
		CHECK(hist == ws[i].gt.stats.acquisitions);
	}
	/* every thread got in more than once: the lock did change hands */
	CHECKF(switches >= NTHREADS, "%s: %llu switches", gil_policy_name(policy),
	       (unsigned long long)switches);
	gil_destroy(sh.gil);
}

static void test_gil_exclusion_new(void)
{
	check_exclusion(GIL_NEW);
}

static void test_gil_exclusion_legacy(void)
{
	check_exclusion(GIL_LEGACY);
}

static void test_gil_exclusion_fifo(void)
{
	check_exclusion(GIL_FIFO);
}

/* Policy none: nothing to take, nothing counted, no hooks. */
static void test_gil_none(void)
{
	struct shared sh;
	struct worker ws[2];

	contend(&sh, ws, 2, GIL_NONE, 100, 10000, 2);
	CHECK(sh.hook_acquired[0] == 0 && sh.hook_acquired[1] == 0);
	CHECK(ws[0].gt.stats.acquisitions == 0 && ws[1].gt.stats.hold_ns == 0);
	CHECK(gil_switches(sh.gil) == 0);
	gil_destroy(sh.gil);
}

static void test_gil_policy_names(void)
{
	enum gil_policy p;

	CHECK(gil_policy_parse("new", &p) == 0 && p == GIL_NEW);
	CHECK(gil_policy_parse("legacy", &p) == 0 && p == GIL_LEGACY);
	CHECK(gil_policy_parse("fifo", &p) == 0 && p == GIL_FIFO);
	CHECK(gil_policy_parse("none", &p) == 0 && p == GIL_NONE);
	CHECK(gil_policy_parse("New", &p) == -EINVAL);
	CHECK(gil_policy_parse("", &p) == -EINVAL);
	CHECK(gil_policy_parse(NULL, &p) == -EINVAL);
	CHECK(strcmp(gil_policy_name(GIL_FIFO), "fifo") == 0);
	CHECK(gil_create(&(struct gil *){ NULL }, GIL_NEW, 0) == -EINVAL);
}

/*
 * fifo: waiters queue one by one while main holds the lock; when main lets
 * go they must get it in the order they asked.
 */
struct queued {
	struct gil *gil;
	int idx;
	int *order;
	int *pos;
	pthread_t th;
};

static void *queue_main(void *arg)
{
	struct queued *q = arg;
	struct gil_thread gt;

	gil_thread_init(&gt);
	gil_take(q->gil, &gt);
	q->order[(*q->pos)++] = q->idx;	/* under the lock */
	gil_drop(q->gil, &gt);
	return NULL;
}

static void arrival_order(enum gil_policy policy, int *order, int n)
{
	struct gil *gil;
	struct gil_thread me;
	struct queued q[MAXT];
	int pos = 0;

	/* a long interval: nobody times out, only the order matters */
	CHECK(gil_create(&gil, policy, 1000000) == 0);
	gil_thread_init(&me);
	gil_take(gil, &me);
	for (int i = 0; i < n; i++) {
		q[i] = (struct queued){ .gil = gil, .idx = i, .order = order, .pos = &pos };
		pthread_create(&q[i].th, NULL, queue_main, &q[i]);
		/* the next one starts only once this one is queued */
		while (gil_waiters(gil) != i + 1)
			sched_yield();
	}
	gil_drop(gil, &me);
	for (int i = 0; i < n; i++)
		pthread_join(q[i].th, NULL);
	CHECK(pos == n);
	gil_destroy(gil);
}

static void test_gil_fifo_arrival_order(void)
{
	for (int round = 0; round < 5; round++) {
		int order[MAXT];

		arrival_order(GIL_FIFO, order, MAXT);
		for (int i = 0; i < MAXT; i++)
			CHECKF(order[i] == i, "round %d: position %d went to waiter %d", round, i, order[i]);
	}
}

/*
 * legacy vs the others, two CPU-bound threads: under legacy the holder
 * releases every 100 ticks and at once takes the lock back before the
 * woken waiter runs, so hand-overs are a tiny fraction of acquisitions;
 * new and fifo hand over at (nearly) every acquisition.
 */
static double handover_ratio(enum gil_policy policy, uint64_t *acq_out)
{
	struct shared sh;
	struct worker ws[2];
	uint64_t acq = 0, switches;

	contend(&sh, ws, 2, policy, 1000, 400000, 4);
	switches = gil_switches(sh.gil);
	for (int i = 0; i < 2; i++)
		acq += ws[i].gt.stats.acquisitions;
	gil_destroy(sh.gil);
	*acq_out = acq;
	return acq ? (double)switches / (double)acq : 0;
}

static void test_gil_legacy_unfair(void)
{
	uint64_t acq_legacy, acq_new, acq_fifo;
	double legacy = handover_ratio(GIL_LEGACY, &acq_legacy);
	double nw = handover_ratio(GIL_NEW, &acq_new);
	double fifo = handover_ratio(GIL_FIFO, &acq_fifo);

	printf("# hand-overs per acquisition: legacy %.4f (%llu acq), new %.3f (%llu), fifo %.3f (%llu)\n",
	       legacy, (unsigned long long)acq_legacy, nw, (unsigned long long)acq_new, fifo,
	       (unsigned long long)acq_fifo);
	/* legacy releases constantly: many acquisitions, almost all by the same thread */
	CHECKF(acq_legacy > 20 * acq_new, "legacy %llu acquisitions vs new %llu",
	       (unsigned long long)acq_legacy, (unsigned long long)acq_new);
	CHECKF(legacy < 0.2, "legacy hand-over ratio %.4f", legacy);
	CHECKF(nw > 0.5, "new hand-over ratio %.3f", nw);
	CHECKF(fifo > 0.5, "fifo hand-over ratio %.3f", fifo);
}

int main(void)
{
	RUN(test_gil_policy_names);
	RUN(test_gil_exclusion_new);
	RUN(test_gil_exclusion_legacy);
	RUN(test_gil_exclusion_fifo);
	RUN(test_gil_none);
	RUN(test_gil_fifo_arrival_order);
	RUN(test_gil_legacy_unfair);
	return check_done();
}
