/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * toprows.h - what `gilscope top` shows, from two snapshots of the
 * always-on counters (model/gilsnap.h): per process and per thread, the
 * share of the interval the GIL was held and waited for, hand-offs and
 * acquisitions per second, and the longest wait of the interval.
 *
 * Rows come in the snapshot's order: each process row is followed by its
 * thread rows (nthreads of them). A process or thread the previous
 * snapshot did not have gets its rates from its totals since it was first
 * counted, over the same interval (rated false when there is no previous
 * snapshot at all: the view shows dashes then).
 *
 * held is the fraction of the interval a thread (or any thread of the
 * process) held the GIL, 0..1. waited adds up every thread's waiting, like
 * CPU time: 2 threads waiting the whole interval make 2.0 (200 %).
 *
 * The struct owns its rows; toprows_free() frees them (a zeroed struct is
 * empty). Functions return 0 or -ENOMEM.
 */
#ifndef MODEL_TOPROWS_H
#define MODEL_TOPROWS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "model/gilsnap.h"

struct toprow {
	uint32_t pid;
	uint32_t tid;			/* 0: the process row */
	uint32_t nthreads;		/* process rows: how many thread rows follow */
	uint8_t state;			/* enum gilsnap_state (of the process) */
	bool exited;			/* the process is gone (its last row) */
	bool rated;			/* the rates below are known */
	bool holding, waiting;		/* at the snapshot (threads; a process: any) */
	char name[GILSNAP_NAME_MAX];	/* process: its comm; thread: its Python name or "tid N" */
	char why[GILSNAP_WHY_MAX];	/* not traceable: why */
	char func[GILSNAP_FUNC_MAX];	/* the function holding the GIL most, "" unknown */
	double held;			/* share of the interval holding the GIL, 0..1 */
	double waited;			/* waiting, in threads (see above) */
	double handoffs_per_s;
	double acq_per_s;
	uint64_t longest_ns;		/* longest wait of the interval */
	uint64_t hold_ns, wait_ns;	/* totals */
};

struct toprows {
	struct toprow *rows;
	size_t n, cap;
	uint64_t interval_ns;		/* between the two snapshots, 0 without a previous one */
	size_t nprocs;			/* process rows */
	size_t traced, untraceable;	/* processes by state */
};

/* Rows of cur, rated against prev (NULL or empty: not rated). */
int toprows_compute(struct toprows *out, const struct gilsnap *prev, const struct gilsnap *cur);
void toprows_free(struct toprows *r);

#endif
