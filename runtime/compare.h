/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * compare.h - the teaching notes' table: the same total CPU work run as
 * sequential (one thread), threads (N threads, one lock), processes (N
 * processes, a lock each), native (N threads in a C builtin with the lock
 * released) and async (one thread, coroutines); wall time and speedup
 * against sequential, after a warm-up. Native work is scaled so that one
 * thread of it costs what the bytecode does: its speedup is parallelism,
 * not faster code. The five run `repeat` times in turn, and a sequential
 * run closes the last round: a round's speedups are against the better of
 * the sequential runs that open and close it, so drift cannot favour a row,
 * and each row reports its median over the rounds (a shared machine's speed
 * drifts by tens of % within seconds: rows measured together are compared
 * together).
 */
#ifndef GILRT_COMPARE_H
#define GILRT_COMPARE_H
#include <stdint.h>
#include <stdio.h>

#define RT_COMPARE_MODES 5
#define RT_COMPARE_REPEAT_MAX 20
#define RT_COMPARE_DEFAULT_WORK 20000000ull

struct rt_compare_row {
	const char *mode;	/* sequential, threads, processes, native, async */
	uint64_t wall_ns;
	double speedup;		/* sequential wall / this wall */
};

struct rt_compare {
	int cores;		/* online CPUs */
	int workers;		/* threads / processes used */
	int repeat;		/* rounds; each row is their median */
	uint64_t work;		/* work units, the same in every row */
	uint64_t native_k;	/* C loop steps per unit */
	struct rt_compare_row rows[RT_COMPARE_MODES];
};

/* Run all five, repeat times (0 = once, at most RT_COMPARE_REPEAT_MAX);
 * workers 0 = cores (at least 2), work 0 = default. */
int rt_compare_run(int workers, uint64_t work, int repeat, struct rt_compare *out, char *err,
		   size_t errlen);
void rt_compare_print(const struct rt_compare *c, FILE *f);
int rt_compare_write_json(const struct rt_compare *c, FILE *f);

#endif /* GILRT_COMPARE_H */
