/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * promexp.h - the always-on counters (model/gilsnap.h) as Prometheus
 * metrics, in the Prometheus text exposition format 0.0.4, for `gilscope
 * exporter`. Pure: snapshots in, text out, so tests feed it by hand.
 *
 *   gilscope_gil_hold_seconds_total         counter   pid, comm, tid, thread
 *   gilscope_gil_wait_seconds_total         counter   pid, comm, tid, thread
 *   gilscope_gil_acquisitions_total         counter   pid, comm, tid, thread
 *   gilscope_gil_handoffs_total             counter   pid, comm, tid, thread
 *   gilscope_gil_wait_seconds               histogram pid, comm, tid, thread (finished waits)
 *   gilscope_python_processes               gauge     traceable, reason
 *   gilscope_interpreter_files              gauge     traceable
 *   gilscope_series_dropped_total           counter   kind (thread, process)
 *   gilscope_snapshot_timestamp_seconds     gauge     (Unix time the values were read)
 *
 * thread is the Python thread name when it is known, else "tid N". Hold
 * and wait times include what is in progress (a 15 s wait grows during
 * those 15 s); the histogram counts finished waits only. (The OpenMetrics
 * format is not offered: there a counter's family name drops "_total", and
 * gilscope_gil_wait_seconds would name both the counter and the histogram.)
 *
 * Label cardinality is bounded: at most max_threads thread series per
 * process and max_procs processes with series of their own. Threads past
 * the limit, and threads that ended, are counted under thread="(other)"
 * (tid "") of their process; processes past the limit under pid="(other)",
 * comm="(other)", thread="(other)". gilscope_series_dropped_total counts
 * the threads and processes that got no series of their own. Every counter
 * only grows while its series exists (a series' value never goes below
 * what it showed, even when the kernel side's numbers are read at slightly
 * different moments); a process's series end when it exits.
 *
 * A thread whose Python name is not known yet gets its series once it is
 * (or PROMEXP_NAME_WAIT_NS after it was first seen, where the name cannot
 * be read), so its label does not change; until then its numbers are in no
 * series. (record/gilwatch.c reads a new thread's name within a second.)
 *
 * Memory is the struct's; functions return 0 or -ENOMEM.
 */
#ifndef MODEL_PROMEXP_H
#define MODEL_PROMEXP_H
#include <stddef.h>
#include <stdint.h>
#include "model/gilsnap.h"

#define PROMEXP_NAME_WAIT_NS 3000000000ull	/* how long a thread waits for its name */

struct promexp;

struct promexp_opts {
	size_t max_threads;	/* thread series per process (0: 32) */
	size_t max_procs;	/* processes with series (0: 256) */
};

/* No series yet; o is copied (0 fields take their defaults). 0 or -ENOMEM. */
int promexp_new(struct promexp **out, const struct promexp_opts *o);
/* Takes in a snapshot: which series exist now and their values. */
int promexp_update(struct promexp *e, const struct gilsnap *s);
/* The metrics of the last update as text into a malloc'ed *text (the
 * caller frees it), *len bytes (no NUL counted). */
int promexp_render(const struct promexp *e, char **text, size_t *len);
/* Series in the last update (label sets of the per-thread metrics). */
size_t promexp_series(const struct promexp *e);
/* Frees every series. Safe on NULL. */
void promexp_free(struct promexp *e);

#endif
