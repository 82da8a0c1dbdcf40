/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * trace_synth.h - a deterministic generator of realistic gilscope events,
 * for tests and `make bench` (no kernel needed): one process whose threads
 * pass a GIL around on a few CPUs the way CPython's does. Every switch
 * interval (default 5 ms, jittered) a sleeping waiter is woken, issues a
 * DROP_REQUEST and sleeps again; the holder releases the lock at its next
 * check, re-requests it and is switched out while the waiter is switched in
 * and acquires it. Now and then the holder is preempted by a kworker (an
 * untraced task) or blocks in I/O, handing the lock over early. All events
 * come in non-decreasing ts order with matching SCHED_SWITCH/WAKEUP and lock
 * events, so a consumer can follow who runs where and who holds the lock.
 *
 * The generator owns its memory; the same opts give the same events.
 */
#ifndef TRACE_SYNTH_H
#define TRACE_SYNTH_H
#include <stddef.h>
#include "util/gs_types.h"
#include "trace/trace_writer.h"

struct trace_synth_opts {
	uint32_t threads;	/* threads of the traced process; 0 = 4 (max 64) */
	uint32_t cpus;		/* 0 = 2 (max 64) */
	uint32_t pid;		/* 0 = 4242; thread i has tid pid + i */
	uint64_t seed;		/* PRNG seed; 0 = 1 */
	uint64_t start_ns;	/* ts of the first event; 0 = 1 s */
	uint32_t interval_us;	/* switch interval; 0 = 5000 */
	uint64_t lock;		/* lock address; 0 = 0x55d0c0de1000 */
};

struct trace_synth;

int trace_synth_new(struct trace_synth **out, const struct trace_synth_opts *opts);
/* Fill ev[0..n) with the next n events. */
void trace_synth_next(struct trace_synth *s, struct gs_event *ev, size_t n);
void trace_synth_free(struct trace_synth *s);

/* Write a whole trace of nevents synthetic events to path (created with
 * O_EXCL). wopts may be NULL. 0 or a negative errno. */
int trace_synth_write(const char *path, uint64_t nevents,
		      const struct trace_synth_opts *opts,
		      const struct trace_writer_opts *wopts);

#endif
