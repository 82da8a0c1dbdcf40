/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * rnd.h - pseudo-random numbers for the unit tests that make up odd input
 * (xorshift64): the same sequence on every run, so that a failure shows
 * again. A test program picks its sequence by defining RND_SEED (non-zero)
 * before including this.
 */
#ifndef TEST_RND_H
#define TEST_RND_H
#include <stdint.h>
#ifndef RND_SEED
#define RND_SEED 0x9e3779b97f4a7c15ull
#endif

static uint64_t rnd_state = RND_SEED;

/* The next number of the sequence, in [0, n); n > 0. */
static inline uint64_t rnd(uint64_t n)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state % n;
}

#endif
