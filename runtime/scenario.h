/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * scenario.h - the programs gilrt runs to show what the GIL does, each tied
 * to a point of the teaching notes (gilrt list), and the numbers a run
 * yields (measured inside the runtime, at the points its probes fire).
 *
 * A run creates one interpreter and one lock per process, names its threads
 * (main, worker-N, io-N, feeder) so the kernel sees them, and reports per
 * thread: lock acquisitions, hold and wait time, drop requests, CPU time
 * and context switches. The caller owns the struct rt_result.
 */
#ifndef GILRT_SCENARIO_H
#define GILRT_SCENARIO_H
#include <stdint.h>
#include <stdio.h>
#include "gil.h"

struct rt_options {
	const char *scenario;	/* a name from rt_scenario_list() */
	int threads;		/* 0: the scenario's default */
	uint64_t seconds_ns;	/* run time, used when work == 0 (0: 2 s) */
	uint64_t work;		/* total work units instead of a run time */
	enum gil_policy policy;
	int policy_set;		/* 0: the scenario's default policy */
	unsigned interval_us;	/* switch interval (0: 5000) */
};

struct rt_scenario_info {
	const char *name;
	const char *summary;	/* one line, tied to the teaching notes */
	int hidden;		/* internal (used by compare), not listed */
};

/* The scenarios, *n of them (hidden ones last). */
const struct rt_scenario_info *rt_scenario_list(size_t *n);

/* One thread's numbers; plain data (procs children send it over a pipe). */
struct rt_report {
	int32_t pid;			/* process */
	int32_t tid;			/* kernel thread id */
	char name[16];			/* thread name as the kernel has it */
	struct gil_stats gil;		/* lock numbers, see gil.h */
	uint64_t cpu_ns;		/* CPU time of the thread */
	uint64_t voluntary_ctxsw;	/* the thread blocked */
	uint64_t involuntary_ctxsw;	/* the thread was preempted */
};

struct rt_result {
	char scenario[16];
	enum gil_policy policy;
	unsigned interval_us;
	int threads;			/* workers (coroutines for async) */
	uint64_t wall_ns;		/* from the first thread start to the last exit */
	uint64_t voluntary_ctxsw;	/* whole process (and procs children) */
	uint64_t involuntary_ctxsw;
	uint64_t work_done;		/* work units (events for io, yields for churn) */
	uint64_t switches;		/* lock changed hands (this process) */
	struct rt_report *reports;	/* every thread, children's too */
	size_t nreports;
	int has_latency;		/* io, convoy, async */
	uint64_t latency_count;		/* events whose response time was measured */
	uint64_t latency_p50_ns, latency_p99_ns, latency_max_ns;
	int has_unsafe;			/* unsafe */
	long refcnt_expected, refcnt_actual;	/* of the shared object */
	long refcnt_underflows;			/* times it reached 0 while in use */
	int64_t counter_expected, counter_actual;	/* shared counter += 1 */
	int corrupted;			/* unsafe: something did not add up */
};

/*
 * Run one scenario to the end. 0, or a negative errno with a one-line
 * reason in err (-EINVAL: unknown scenario or bad options).
 */
int rt_scenario_run(const struct rt_options *o, struct rt_result **out, char *err, size_t errlen);
void rt_result_destroy(struct rt_result *r);
/* Sum of the lock numbers of all threads (and histograms). */
void rt_result_totals(const struct rt_result *r, struct gil_stats *out);
/* The human summary and the --stats-json document. */
void rt_result_print(const struct rt_result *r, FILE *f);
int rt_result_write_json(const struct rt_result *r, FILE *f);

/*
 * How many steps of the C loop of native work make one work unit: measured
 * once against the interpreter (short runs), so that native work costs what
 * bytecode does and its speedup shows parallelism, not faster code.
 * rt_native_match() measures the C loop again and sets the steps so that a
 * unit costs unit_ps picoseconds (compare passes what its sequential run
 * measured); it returns the new value.
 */
uint64_t rt_native_steps_per_unit(void);
uint64_t rt_native_match(uint64_t unit_ps);

#endif /* GILRT_SCENARIO_H */
