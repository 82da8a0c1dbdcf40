/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * mutex_nested - a small program for the --lock tests of nested and failed
 * acquisitions. THREADS threads each do ITERS times:
 *   lock(outer); lock(inner); unlock(inner);
 *   TRIES x trylock(outer)      - fails (EBUSY): the thread holds it itself;
 *   keep outer until HOLD_US microseconds after lock(outer) returned;
 *   unlock(outer);
 *   trylock(mine); unlock(mine) - succeeds: a mutex of the thread's own.
 * So with ACQUIRE pthread_mutex_lock every RELEASED of outer must carry a
 * hold of at least HOLD_US, though inner was taken and released inside it;
 * with ACQUIRE pthread_mutex_trylock only the trylocks of `mine` got a lock.
 * At the end it prints what it counted itself (from the return values):
 *   outer 0x55d0c0de1040 locks 400
 *   inner 0x55d0c0de1080 locks 400
 *   trylock ok 400 failed 1200
 *   hold_us 2000
 *
 * usage: mutex_nested [THREADS [ITERS [HOLD_US [TRIES]]]]   (defaults 2 200 2000 3)
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

pthread_mutex_t outer = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t inner = PTHREAD_MUTEX_INITIALIZER;
static long iters = 200, hold_us = 2000, tries = 3;
static unsigned long outer_locks, inner_locks, try_ok, try_failed;	/* atomic adds */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

static void count(unsigned long *c)
{
	__atomic_fetch_add(c, 1, __ATOMIC_RELAXED);
}

static void *worker(void *arg)
{
	pthread_mutex_t mine = PTHREAD_MUTEX_INITIALIZER;

	(void)arg;
	for (long i = 0; i < iters; i++) {
		if (pthread_mutex_lock(&outer))
			abort();
		uint64_t t0 = now_ns();
		count(&outer_locks);
		if (pthread_mutex_lock(&inner))
			abort();
		count(&inner_locks);
		pthread_mutex_unlock(&inner);
		for (long k = 0; k < tries; k++)
			count(pthread_mutex_trylock(&outer) == 0 ? &try_ok : &try_failed);
		while (now_ns() - t0 < (uint64_t)hold_us * 1000)
			;
		pthread_mutex_unlock(&outer);
		if (pthread_mutex_trylock(&mine) == 0) {
			count(&try_ok);
			pthread_mutex_unlock(&mine);
		} else {
			count(&try_failed);
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	long v[4] = { 2, iters, hold_us, tries };
	pthread_t tid[64];

	if (argc > 5) {
		fprintf(stderr, "usage: mutex_nested [THREADS [ITERS [HOLD_US [TRIES]]]]\n");
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		char *end;

		v[i - 1] = strtol(argv[i], &end, 10);
		if (*end || v[i - 1] < 0 || v[i - 1] > 1000000) {
			fprintf(stderr, "mutex_nested: bad number '%s'\n", argv[i]);
			return 2;
		}
	}
	if (v[0] < 1 || v[0] > 64) {
		fprintf(stderr, "mutex_nested: THREADS is 1..64\n");
		return 2;
	}
	iters = v[1];
	hold_us = v[2];
	tries = v[3];
	for (long i = 0; i < v[0]; i++)
		if (pthread_create(&tid[i], NULL, worker, NULL)) {
			perror("pthread_create");
			return 1;
		}
	for (long i = 0; i < v[0]; i++)
		pthread_join(tid[i], NULL);
	printf("outer %p locks %lu\n", (void *)&outer, outer_locks);
	printf("inner %p locks %lu\n", (void *)&inner, inner_locks);
	printf("trylock ok %lu failed %lu\n", try_ok, try_failed);
	printf("hold_us %ld\n", hold_us);
	return 0;
}
