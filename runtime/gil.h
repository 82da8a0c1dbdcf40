/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * gil.h - the interpreter lock of gilrt, modelled on CPython 3.2+ "new GIL"
 * (Python/ceval_gil.h, 3.11), with three other policies to compare designs:
 *
 *   new     mutex + condvar. A waiter sleeps at most the switch interval; if
 *           no switch happened meanwhile it sets the drop request (the eval
 *           breaker). The holder drops at its next eval-breaker check and,
 *           forced switching, waits until another thread took the lock.
 *   legacy  Python 2: the holder releases and at once retakes the lock every
 *           100 ticks (instructions); no drop request, no forced switch, so
 *           the releaser usually wins again (the known unfairness).
 *   fifo    like new, but the lock goes to waiters in arrival order (ticket
 *           lock): a dropper queues behind everyone already waiting.
 *   none    no lock at all (take/drop do nothing, nothing is counted).
 *
 * Each OS thread that uses the lock owns a struct gil_thread (the caller
 * allocates it, gil_thread_init() fills it). Its stats are written only by
 * that thread, with CLOCK_MONOTONIC read at the points where the
 * gil_request/acquired/released probes fire (see gilrt_probes.h), so the
 * counts equal what a tracer sees. Read them after the thread is done.
 */
#ifndef GILRT_GIL_H
#define GILRT_GIL_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "rt_util.h"

enum gil_policy { GIL_NEW, GIL_LEGACY, GIL_FIFO, GIL_NONE };

#define GIL_DEFAULT_INTERVAL_US 5000
#define GIL_LEGACY_TICKS 100

struct gil;

struct gil_stats {
	uint64_t acquisitions;		/* times this thread got the lock */
	uint64_t hold_ns;		/* total ns held (acquired -> released) */
	uint64_t wait_ns;		/* total ns waited (request -> acquired) */
	uint64_t drop_requests;		/* drop requests this thread made as a waiter */
	uint64_t switches_in;		/* acquisitions that took it from another thread */
	uint32_t hold_hist[RT_HIST_BUCKETS];	/* log2 histogram of hold times */
	uint32_t wait_hist[RT_HIST_BUCKETS];	/* log2 histogram of wait times */
};

struct gil_thread {
	struct gil_stats stats;	/* owned by the thread; read when it is done */
	pid_t tid;		/* kernel thread id, set by gil_thread_init() */
	int holding;		/* 1 while this thread holds the lock */
	uint64_t t_request;	/* private: when the current request started */
	uint64_t t_acquired;	/* private: when the current hold started */
};

/*
 * Hooks for tests: called by the holder right after it holds the lock and
 * right before it lets go (NULL = none). They let a test keep an
 * independent count of holders.
 */
struct gil_hooks {
	void (*acquired)(void *arg, struct gil_thread *gt);
	void (*releasing)(void *arg, struct gil_thread *gt);
	void *arg;
};

/* Parse "new" | "legacy" | "fifo" | "none"; 0 or -EINVAL. */
int gil_policy_parse(const char *s, enum gil_policy *out);
const char *gil_policy_name(enum gil_policy p);

/* Create a free lock; interval_us >= 1. *out is the caller's (gil_destroy). */
int gil_create(struct gil **out, enum gil_policy policy, unsigned interval_us);
/* Destroy a lock nobody holds or waits for. NULL is fine. */
void gil_destroy(struct gil *gil);
void gil_set_hooks(struct gil *gil, const struct gil_hooks *hooks);
enum gil_policy gil_policy(const struct gil *gil);
unsigned gil_interval_us(const struct gil *gil);

/* Bind gt to the calling thread (zeroes its stats). */
void gil_thread_init(struct gil_thread *gt);

/* Block until the calling thread holds the lock (no-op for policy none). */
void gil_take(struct gil *gil, struct gil_thread *gt);
/* Let go of the lock the calling thread holds (no-op for policy none). */
void gil_drop(struct gil *gil, struct gil_thread *gt);

/*
 * The eval breaker: the interpreter loads *gil_eval_breaker() (relaxed) at
 * back-edges and calls, and calls gil_handle_eval_breaker() when it is
 * non-zero; that drops the lock and takes it again, letting a waiter in.
 * gil_legacy_tick() is the legacy policy's periodic release and retake.
 */
const int *gil_eval_breaker(const struct gil *gil);
void gil_handle_eval_breaker(struct gil *gil, struct gil_thread *gt);
void gil_legacy_tick(struct gil *gil, struct gil_thread *gt);

/* Threads currently inside gil_take() waiting (for tests and demos). */
int gil_waiters(struct gil *gil);
/* Acquisitions by a thread other than the previous holder, in total. */
uint64_t gil_switches(struct gil *gil);

/* Add src's counters and histograms to dst. */
void gil_stats_add(struct gil_stats *dst, const struct gil_stats *src);

#endif /* GILRT_GIL_H */
