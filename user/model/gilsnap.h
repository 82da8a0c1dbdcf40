/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * gilsnap.h - one snapshot of the always-on GIL counters of a whole host:
 * every Python process seen (traced or not, and why not), its totals and
 * its threads' totals, at one moment. record/gilwatch.c fills it from the
 * BPF maps; `top` (model/toprows.h) and the exporter (model/promexp.h)
 * only read it, so both can be tested with hand-made snapshots.
 *
 * Totals are counters since the probes were attached (or since the process
 * or thread was first seen): they only grow while the process lives. `t`
 * holds what BPF counted, finished holds and waits only; hold_ns and
 * wait_ns add what is in progress at the snapshot (a thread holding the
 * GIL for 15 s shows it during those 15 s, not after).
 *
 * Processes are in procs[] in ascending pid order; each one's threads are
 * threads[first .. first + nthreads), ascending by tid. A gilsnap owns its
 * arrays (gilsnap_free); gilsnap_clear() keeps them for reuse.
 */
#ifndef MODEL_GILSNAP_H
#define MODEL_GILSNAP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util/gs_types.h"
#include "bpf/gilstat.h"

#define GILSNAP_NAME_MAX 64	/* bytes of a thread's Python name, with the NUL */
#define GILSNAP_WHY_MAX 48	/* bytes of "why not traceable", with the NUL */
#define GILSNAP_FUNC_MAX 96	/* bytes of a function's name, with the NUL */

enum gilsnap_state {
	GILSNAP_TRACED = 0,	/* its interpreter's take_gil/drop_gil are probed */
	GILSNAP_UNTRACEABLE,	/* seen, but cannot be traced: why says ("stripped") */
};

struct gilsnap_thread {
	uint32_t pid, tid;
	struct gilstat_totals t;	/* finished holds and waits (BPF's) */
	uint64_t hold_ns, wait_ns;	/* t's and what is in progress */
	uint64_t longest_ns;		/* longest wait of the interval, finished or not */
	bool holding;			/* holds the GIL at the snapshot */
	bool waiting;			/* waits for it at the snapshot */
	char name[GILSNAP_NAME_MAX];	/* threading's name; "" when not known */
	char func[GILSNAP_FUNC_MAX];	/* the function it held the GIL in most in the
					 * interval, "" when not known */
};

struct gilsnap_proc {
	uint32_t pid;
	uint8_t state;			/* enum gilsnap_state */
	bool exited;			/* gone: the last snapshot it is in */
	char comm[16];			/* the kernel's name of the process */
	char why[GILSNAP_WHY_MAX];	/* GILSNAP_UNTRACEABLE: why, a few words */
	struct gilstat_totals t;	/* as gilsnap_thread.t, over all its threads */
	uint64_t hold_ns, wait_ns;	/* t's and what its threads have in progress */
	uint64_t longest_ns;		/* longest wait of the interval, any thread */
	bool names;			/* its threads' Python names are read, or will be */
	uint32_t holder;		/* tid holding the GIL now, 0: none */
	size_t first, nthreads;		/* its threads in gilsnap.threads */
	char func[GILSNAP_FUNC_MAX];	/* the function holding the GIL most in the
					 * interval, "" when not known */
};

struct gilsnap {
	uint64_t ts_ns;			/* CLOCK_MONOTONIC of the reading */
	uint64_t wall_ns;		/* CLOCK_REALTIME at the same moment */
	struct gilsnap_proc *procs;
	size_t nprocs, cap_procs;
	struct gilsnap_thread *threads;
	size_t nthreads, cap_threads;
	uint32_t files_traced;		/* interpreter files probed */
	uint32_t files_untraceable;	/* interpreter files seen that cannot be */
	uint64_t execs_lost;		/* exec notices lost (a rescan made up for them) */
};

/* A new, zeroed process at the end of procs (pids must come ascending),
 * or NULL on out-of-memory. Its threads are the ones added after it. */
struct gilsnap_proc *gilsnap_add_proc(struct gilsnap *s, uint32_t pid);
/* A new, zeroed thread of the last process added (tids ascending), or NULL. */
struct gilsnap_thread *gilsnap_add_thread(struct gilsnap *s, uint32_t tid);
/* The process pid (binary search), or NULL. */
const struct gilsnap_proc *gilsnap_find(const struct gilsnap *s, uint32_t pid);
/* Empties s, keeping its arrays. */
void gilsnap_clear(struct gilsnap *s);
/* Frees the arrays (s stays valid and empty). Safe on a zeroed struct. */
void gilsnap_free(struct gilsnap *s);
/* Exchanges the contents of a and b (a new snapshot becomes the current one). */
void gilsnap_swap(struct gilsnap *a, struct gilsnap *b);

#endif
