/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * mutex_count - a small program for the --lock tests: THREADS threads each
 * take the global pthread mutex counter_lock ITERS times (doing a little work
 * inside), and the main thread takes other_lock OTHER times, so a filter
 * on counter_lock has something to leave out. At the end it prints its own
 * counts and the lock's address:
 *   counter_lock 0x55d0c0de1040 acquisitions 40000
 *   other_lock 0x55d0c0de1080 acquisitions 100
 *
 * usage: mutex_count [THREADS [ITERS [OTHER]]] [--wait]
 * --wait: print "pid N counter_lock ADDR", then wait for a line on stdin
 * before taking any lock, so that a test can attach `gilscope record -p N`
 * first.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lock_workload.h"

pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t other_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long counter;		/* guarded by counter_lock */
static unsigned long acquisitions;	/* guarded by counter_lock */
static long iters = 10000;

static void *worker(void *arg)
{
	volatile unsigned long sink = 0;

	(void)arg;
	for (long i = 0; i < iters; i++) {
		lock_and_work(&counter_lock, &acquisitions, &counter);
		for (int k = 0; k < 50; k++)
			sink += k;
	}
	return NULL;
}

static int wait_go(void)
{
	char line[16];

	printf("pid %d counter_lock %p\n", (int)getpid(), (void *)&counter_lock);
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin)) {
		fprintf(stderr, "mutex_count: stdin closed before the go line\n");
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	long threads = 4, other = 100;
	int pos = 0;
	int want_wait = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--wait")) {
			want_wait = 1;
			continue;
		}
		long v = strtol(argv[i], NULL, 10);
		if (v < 0 || v > 100000000) {
			fprintf(stderr, "usage: mutex_count [THREADS [ITERS [OTHER]]] [--wait]\n");
			return 2;
		}
		if (pos == 0)
			threads = v;
		else if (pos == 1)
			iters = v;
		else
			other = v;
		pos++;
	}
	if (threads < 1 || threads > LOCK_WORKLOAD_MAX_THREADS) {
		fprintf(stderr, "mutex_count: THREADS is 1..256\n");
		return 2;
	}
	if (want_wait && wait_go())
		return 1;

	if (run_workers(threads, worker, &other_lock, other))
		return 1;
	printf("counter_lock %p acquisitions %lu\n", (void *)&counter_lock, acquisitions);
	printf("other_lock %p acquisitions %ld\n", (void *)&other_lock, other);
	return counter == (unsigned long)threads * iters * 1225 ? 0 : 1;
}
