/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * gil.c - see gil.h. The "new" policy follows CPython 3.11's
 * Python/ceval_gil.h take_gil()/drop_gil() step by step (FORCE_SWITCHING
 * on); names of the fields are CPython's where there is one.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "gil.h"
#include "gilrt_probes.h"

struct gil {
	enum gil_policy policy;
	unsigned long interval_us;	/* switch interval */
	pthread_mutex_t mutex;		/* protects locked, switch_number, tickets */
	pthread_cond_t cond;		/* "locked" became 0 */
	pthread_mutex_t switch_mutex;	/* forced switching: protects last_holder change */
	pthread_cond_t switch_cond;	/* another thread took the lock */
	int locked;			/* 1 while held; read relaxed outside mutex */
	struct gil_thread *last_holder;	/* atomic: who held it last */
	unsigned long switch_number;	/* times the holder changed */
	int drop_request;		/* atomic: the eval breaker */
	pid_t holder_tid;		/* atomic: for the drop_request probe */
	int waiters;			/* atomic: threads blocked in gil_take */
	uint64_t next_ticket;		/* fifo: ticket of the next arrival */
	uint64_t now_serving;		/* fifo: ticket that may take the lock next */
	struct gil_hooks hooks;		/* tests only */
};

static const char *const policy_names[] = {
	[GIL_NEW] = "new", [GIL_LEGACY] = "legacy", [GIL_FIFO] = "fifo", [GIL_NONE] = "none",
};

int gil_policy_parse(const char *s, enum gil_policy *out)
{
	for (unsigned i = 0; i < RT_ARRAY_SIZE(policy_names); i++) {
		if (s && strcmp(s, policy_names[i]) == 0) {
			*out = (enum gil_policy)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *gil_policy_name(enum gil_policy p)
{
	return (unsigned)p < RT_ARRAY_SIZE(policy_names) ? policy_names[p] : "?";
}

static int cond_init_monotonic(pthread_cond_t *c)
{
	pthread_condattr_t a;
	int err;

	pthread_condattr_init(&a);
	/* timed waits must not jump with the wall clock */
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	err = pthread_cond_init(c, &a);
	pthread_condattr_destroy(&a);
	return -err;
}

int gil_create(struct gil **out, enum gil_policy policy, unsigned interval_us)
{
	struct gil *gil;

	if ((unsigned)policy > GIL_NONE || interval_us < 1)
		return -EINVAL;
	gil = calloc(1, sizeof(*gil));
	if (!gil)
		return -ENOMEM;
	gil->policy = policy;
	gil->interval_us = interval_us;
	pthread_mutex_init(&gil->mutex, NULL);
	pthread_mutex_init(&gil->switch_mutex, NULL);
	if (cond_init_monotonic(&gil->cond) || cond_init_monotonic(&gil->switch_cond)) {
		free(gil);
		return -ENOMEM;
	}
	*out = gil;
	return 0;
}

void gil_destroy(struct gil *gil)
{
	if (!gil)
		return;
	pthread_cond_destroy(&gil->cond);
	pthread_cond_destroy(&gil->switch_cond);
	pthread_mutex_destroy(&gil->mutex);
	pthread_mutex_destroy(&gil->switch_mutex);
	free(gil);
}

void gil_set_hooks(struct gil *gil, const struct gil_hooks *hooks)
{
	gil->hooks = hooks ? *hooks : (struct gil_hooks){ 0 };
}

enum gil_policy gil_policy(const struct gil *gil)
{
	return gil->policy;
}

unsigned gil_interval_us(const struct gil *gil)
{
	return (unsigned)gil->interval_us;
}

void gil_thread_init(struct gil_thread *gt)
{
	memset(gt, 0, sizeof(*gt));
	gt->tid = gettid();
}

const int *gil_eval_breaker(const struct gil *gil)
{
	return &gil->drop_request;
}

int gil_waiters(struct gil *gil)
{
	return __atomic_load_n(&gil->waiters, __ATOMIC_ACQUIRE);
}

uint64_t gil_switches(struct gil *gil)
{
	uint64_t n;

	pthread_mutex_lock(&gil->mutex);
	n = gil->switch_number;
	pthread_mutex_unlock(&gil->mutex);
	return n;
}

void gil_stats_add(struct gil_stats *dst, const struct gil_stats *src)
{
	dst->acquisitions += src->acquisitions;
	dst->hold_ns += src->hold_ns;
	dst->wait_ns += src->wait_ns;
	dst->drop_requests += src->drop_requests;
	dst->switches_in += src->switches_in;
	for (unsigned b = 0; b < RT_HIST_BUCKETS; b++) {
		dst->hold_hist[b] += src->hold_hist[b];
		dst->wait_hist[b] += src->wait_hist[b];
	}
}

static void set_drop_request(struct gil *gil)
{
	__atomic_store_n(&gil->drop_request, 1, __ATOMIC_RELAXED);
}

static void reset_drop_request(struct gil *gil)
{
	__atomic_store_n(&gil->drop_request, 0, __ATOMIC_RELAXED);
}

/* Wait on gil->cond for at most one switch interval; true if it timed out. */
static bool timed_wait(struct gil *gil)
{
	struct timespec ts;
	uint64_t ns;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ns = (uint64_t)ts.tv_nsec + gil->interval_us * 1000ull;
	ts.tv_sec += (time_t)(ns / 1000000000ull);
	ts.tv_nsec = (long)(ns % 1000000000ull);
	return pthread_cond_timedwait(&gil->cond, &gil->mutex, &ts) == ETIMEDOUT;
}

/* The waiter's side of a timeout: ask the holder to drop (CPython's rule). */
static void timed_out_waiter(struct gil *gil, struct gil_thread *gt)
{
	set_drop_request(gil);
	gt->stats.drop_requests++;
	GILRT_PROBE2(gil_drop_request, gil, __atomic_load_n(&gil->holder_tid, __ATOMIC_RELAXED));
}

/* Bookkeeping once the calling thread holds the lock (mutex held). */
static void mark_locked(struct gil *gil, struct gil_thread *gt)
{
	__atomic_store_n(&gil->locked, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&gil->holder_tid, gt->tid, __ATOMIC_RELAXED);
	if (__atomic_load_n(&gil->last_holder, __ATOMIC_RELAXED) != gt) {
		__atomic_store_n(&gil->last_holder, gt, __ATOMIC_RELAXED);
		gil->switch_number++;
		gt->stats.switches_in++;
	}
}

static void account_acquired(struct gil *gil, struct gil_thread *gt)
{
	uint64_t now = rt_now_ns();
	uint64_t waited = now - gt->t_request;

	gt->holding = 1;
	gt->t_acquired = now;
	gt->stats.acquisitions++;
	gt->stats.wait_ns += waited;
	gt->stats.wait_hist[rt_hist_bucket(waited)]++;
	if (gil->hooks.acquired)
		gil->hooks.acquired(gil->hooks.arg, gt);
	GILRT_PROBE3(gil_acquired, gil, waited, now);
}

static void account_releasing(struct gil *gil, struct gil_thread *gt)
{
	uint64_t now = rt_now_ns();
	uint64_t held = now - gt->t_acquired;

	gt->holding = 0;
	gt->stats.hold_ns += held;
	gt->stats.hold_hist[rt_hist_bucket(held)]++;
	if (gil->hooks.releasing)
		gil->hooks.releasing(gil->hooks.arg, gt);
	GILRT_PROBE3(gil_released, gil, held, now);
}

/* CPython take_gil(). */
static void take_new(struct gil *gil, struct gil_thread *gt)
{
	pthread_mutex_lock(&gil->mutex);
	if (gil->locked) {
		__atomic_add_fetch(&gil->waiters, 1, __ATOMIC_RELEASE);
		while (gil->locked) {
			unsigned long saved_switchnum = gil->switch_number;
			bool timed_out = timed_wait(gil);

			/* timed out and no switch meanwhile: time to ask the holder */
			if (timed_out && gil->locked && gil->switch_number == saved_switchnum)
				timed_out_waiter(gil, gt);
		}
		__atomic_sub_fetch(&gil->waiters, 1, __ATOMIC_RELEASE);
	}
	/* switch_mutex must be held to change last_holder: see drop_new() */
	pthread_mutex_lock(&gil->switch_mutex);
	mark_locked(gil, gt);
	pthread_cond_signal(&gil->switch_cond);
	pthread_mutex_unlock(&gil->switch_mutex);
	if (__atomic_load_n(&gil->drop_request, __ATOMIC_RELAXED))
		reset_drop_request(gil);
	pthread_mutex_unlock(&gil->mutex);
}

/*
 * Every policy's release: the lock marked free under its mutex, and one
 * waiter woken, or all of them (the ticket lock, where only the next
 * ticket may go and which waiter holds it is not known).
 */
static void release_and_wake(struct gil *gil, bool all)
{
	pthread_mutex_lock(&gil->mutex);
	__atomic_store_n(&gil->locked, 0, __ATOMIC_RELAXED);
	if (all)
		pthread_cond_broadcast(&gil->cond);
	else
		pthread_cond_signal(&gil->cond);
	pthread_mutex_unlock(&gil->mutex);
}

/* CPython drop_gil(). */
static void drop_new(struct gil *gil, struct gil_thread *gt)
{
	__atomic_store_n(&gil->last_holder, gt, __ATOMIC_RELAXED);
	release_and_wake(gil, false);
	/*
	 * Forced switching: if a waiter asked us to drop, do not race it for
	 * the lock; sleep until some other thread has taken it.
	 */
	if (__atomic_load_n(&gil->drop_request, __ATOMIC_RELAXED)) {
		pthread_mutex_lock(&gil->switch_mutex);
		if (__atomic_load_n(&gil->last_holder, __ATOMIC_RELAXED) == gt) {
			reset_drop_request(gil);
			pthread_cond_wait(&gil->switch_cond, &gil->switch_mutex);
		}
		pthread_mutex_unlock(&gil->switch_mutex);
	}
}

/* Python 2: a plain lock, first come first served by whoever runs first. */
static void take_legacy(struct gil *gil, struct gil_thread *gt)
{
	pthread_mutex_lock(&gil->mutex);
	if (gil->locked) {
		__atomic_add_fetch(&gil->waiters, 1, __ATOMIC_RELEASE);
		while (gil->locked)
			pthread_cond_wait(&gil->cond, &gil->mutex);
		__atomic_sub_fetch(&gil->waiters, 1, __ATOMIC_RELEASE);
	}
	mark_locked(gil, gt);
	pthread_mutex_unlock(&gil->mutex);
}

/*
 * Ticket lock: arrivals are served in order. A waiter still times out and
 * sets the drop request, so the holder lets go after a switch interval; it
 * then queues behind everyone, so no forced-switch wait is needed.
 */
static void take_fifo(struct gil *gil, struct gil_thread *gt)
{
	uint64_t ticket;

	pthread_mutex_lock(&gil->mutex);
	ticket = gil->next_ticket++;
	if (gil->locked || gil->now_serving != ticket) {
		__atomic_add_fetch(&gil->waiters, 1, __ATOMIC_RELEASE);
		while (gil->locked || gil->now_serving != ticket) {
			unsigned long saved_switchnum = gil->switch_number;
			bool timed_out = timed_wait(gil);

			if (timed_out && gil->locked && gil->switch_number == saved_switchnum)
				timed_out_waiter(gil, gt);
		}
		__atomic_sub_fetch(&gil->waiters, 1, __ATOMIC_RELEASE);
	}
	gil->now_serving = ticket + 1;
	mark_locked(gil, gt);
	if (__atomic_load_n(&gil->drop_request, __ATOMIC_RELAXED))
		reset_drop_request(gil);
	pthread_mutex_unlock(&gil->mutex);
}

void gil_take(struct gil *gil, struct gil_thread *gt)
{
	uint64_t now;

	if (gil->policy == GIL_NONE)
		return;
	now = rt_now_ns();
	gt->t_request = now;
	GILRT_PROBE2(gil_request, gil, now);
	switch (gil->policy) {
	case GIL_NEW:
		take_new(gil, gt);
		break;
	case GIL_LEGACY:
		take_legacy(gil, gt);
		break;
	case GIL_FIFO:
		take_fifo(gil, gt);
		break;
	case GIL_NONE:
		break;
	}
	account_acquired(gil, gt);
}

void gil_drop(struct gil *gil, struct gil_thread *gt)
{
	if (gil->policy == GIL_NONE)
		return;
	account_releasing(gil, gt);
	switch (gil->policy) {
	case GIL_NEW:
		drop_new(gil, gt);
		break;
	case GIL_LEGACY:
		release_and_wake(gil, false);
		break;
	case GIL_FIFO:
		release_and_wake(gil, true);
		break;
	case GIL_NONE:
		break;
	}
}

void gil_handle_eval_breaker(struct gil *gil, struct gil_thread *gt)
{
	if (!__atomic_load_n(&gil->drop_request, __ATOMIC_RELAXED) || !gt->holding)
		return;
	/* give another thread a chance; it may run now */
	gil_drop(gil, gt);
	gil_take(gil, gt);
}

void gil_legacy_tick(struct gil *gil, struct gil_thread *gt)
{
	if (gil->policy != GIL_LEGACY || !gt->holding)
		return;
	gil_drop(gil, gt);
	gil_take(gil, gt);
}
