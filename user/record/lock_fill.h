/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * lock_fill.h - completes the lock events of the uprobe adapters (--python,
 * --lock) in the recorder, once they are in time order. The BPF programs
 * record only the time and the lock of each event (a map per thread in
 * them cost the traced program more than the probe's own overhead), and
 * what they leave out follows from the thread's earlier events:
 *
 *   ACQUIRED, FAILED  lock 0 ("the one it asked for": a return probe has no
 *                     arguments) becomes the lock of the thread's pending
 *                     REQUEST; arg1 = ns since that REQUEST (waited).
 *   RELEASED          arg1 = ns since the thread's ACQUIRED of that lock
 *                     (held), 0 if that was not seen; not for one that
 *                     carries a Python function (GS_F_FUNC: arg1 is it).
 *   REQUEST           added right before an ACQUIRED (or FAILED) that has
 *                     none pending, at its time: CPython's takes that did
 *                     not wait run no program at take_gil's entry. A second
 *                     REQUEST for the lock a thread already waits for (the
 *                     wait loop asks again every interval) is dropped.
 *
 * An arg1 the event already has is kept. An ACQUIRED or FAILED with lock 0
 * and nothing pending (its REQUEST was lost) is dropped and counted.
 * Memory is bounded: a thread's state goes at its THREAD_EXIT/PROC_EXIT,
 * and past LOCK_FILL_MAX entries all of it is forgotten (holds then read 0,
 * "unknown"). The fill owns its memory; functions return 0 or -ENOMEM.
 */
#ifndef LOCK_FILL_H
#define LOCK_FILL_H
#include <stddef.h>
#include <stdint.h>
#include "util/gs_types.h"

#define LOCK_FILL_MAX (1u << 20)

struct lock_fill;

struct lock_fill_stats {
	uint64_t added;		/* REQUESTs added */
	uint64_t dropped;	/* repeated REQUESTs dropped */
	uint64_t unknown;	/* ACQUIRED/FAILED dropped: no lock known */
};

int lock_fill_new(struct lock_fill **out);
/* Safe on NULL. */
void lock_fill_free(struct lock_fill *f);
/* Completes ev[0..n) (non-decreasing ts_ns) into the fill's own buffer:
 * *out and *nout are valid until the next call. */
int lock_fill_events(struct lock_fill *f, const struct gs_event *ev, size_t n,
		     const struct gs_event **out, size_t *nout);
void lock_fill_stats(const struct lock_fill *f, struct lock_fill_stats *st);

#endif
