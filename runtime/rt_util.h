/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * rt_util.h - small helpers shared by the gilrt modules: the one clock
 * (CLOCK_MONOTONIC, the same clock as bpf_ktime_get_ns, so runtime numbers
 * and traces line up), thread ids, log2 histograms, growing arrays.
 */
#ifndef RT_UTIL_H
#define RT_UTIL_H
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define RT_HIST_BUCKETS 40	/* bucket b holds [2^(b-1), 2^b) ns; last is open */

static inline uint64_t rt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline unsigned rt_hist_bucket(uint64_t ns)
{
	unsigned b = ns ? 64 - (unsigned)__builtin_clzll(ns) : 0;

	return b < RT_HIST_BUCKETS ? b : RT_HIST_BUCKETS - 1;
}

/* Lower bound in ns of histogram bucket b. */
static inline uint64_t rt_hist_lo(unsigned b)
{
	return b ? 1ull << (b - 1) : 0;
}

/*
 * The array v (*cap elements of size bytes, n of them used) with room for
 * one more: v itself when there is, else moved to twice the room (first,
 * for an empty one) and *cap updated. NULL when memory runs out; v and *cap
 * are then as they were.
 */
static inline void *rt_grow(void *v, size_t *cap, size_t n, size_t size, size_t first)
{
	size_t c = *cap ? *cap * 2 : first;

	if (n < *cap)
		return v;
	v = realloc(v, c * size);
	if (v)
		*cap = c;
	return v;
}

#define RT_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define RT_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif /* RT_UTIL_H */
