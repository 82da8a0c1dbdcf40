/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * funcstat.h - where each thread's hold and wait time went, by Python
 * function: fed the model's HOLD and WAIT spans (model.h: a hold belongs to
 * the function running at its release, a wait to the one that asked), it
 * keeps per (thread, function) how many and how long. `report` feeds it a
 * whole trace; the TUI's view-model the spans of one window.
 *
 * Functions are told apart by what they are called, not by id: two ids with
 * the same name, file and first line in the names store (a recorder that
 * re-read a code object gives it a new id) count as one, under the first id
 * seen. Spans without a function (MODEL_NO_FUNC) and of untraced tasks are
 * left out; GS_FUNC_NONE ("no Python code") and GS_FUNC_UNKNOWN ("?") count
 * as functions of their own.
 *
 * Memory is bounded: at most per_thread functions per thread; the time of
 * any further function of that thread goes to one FUNCSTAT_OTHER row.
 * Functions return 0 or a negative errno; rows handed out are valid until
 * the next call that changes the set.
 */
#ifndef MODEL_FUNCSTAT_H
#define MODEL_FUNCSTAT_H
#include <stddef.h>
#include <stdint.h>

struct model_span;
struct trace_names;

#define FUNCSTAT_OTHER (UINT64_MAX - 1)	/* a thread's functions past its cap */
#define FUNCSTAT_PER_THREAD 64		/* the default cap */

struct funcstat_row {
	uint32_t pid, tid;
	uint64_t func;		/* GS_FUNC_NONE, GS_FUNC_UNKNOWN, a names id, FUNCSTAT_OTHER */
	uint64_t holds, hold_ns;
	uint64_t waits, wait_ns;
};

enum funcstat_order {
	FUNCSTAT_BY_HOLD,	/* hold_ns descending (then wait_ns, then func) */
	FUNCSTAT_BY_WAIT,	/* wait_ns descending (then hold_ns, then func) */
};

struct funcstat;

/* names (may be NULL: every id is its own function) is not owned and must
 * outlive the funcstat; per_thread 0 takes FUNCSTAT_PER_THREAD. */
int funcstat_new(struct funcstat **out, const struct trace_names *names, uint32_t per_thread);
/* Counts a HOLD or WAIT span (others are ignored). 0 or -ENOMEM. */
int funcstat_span(struct funcstat *fs, const struct model_span *s);
/* Forget every row (keeps the names and the id cache). */
void funcstat_clear(struct funcstat *fs);
/* Every row, sorted by order (stable for equal keys). */
const struct funcstat_row *funcstat_rows(struct funcstat *fs, enum funcstat_order order,
					 size_t *n);
/* Up to max rows of thread tid of pid into out, by order, leaving out rows
 * with nothing of what order sorts by; returns how many. */
size_t funcstat_thread(struct funcstat *fs, uint32_t pid, uint32_t tid,
		       enum funcstat_order order, struct funcstat_row *out, size_t max);
void funcstat_free(struct funcstat *fs);

#endif
