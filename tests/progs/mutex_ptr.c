/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * mutex_ptr - a program whose lock is a pointer, for `--lock ...=*the_lock`:
 * like many programs (and Python 2's interpreter_lock) it allocates its lock
 * at run time and keeps only a pointer to it in a global variable. Two
 * threads take *the_lock ITERS times each; the main thread takes other_lock
 * OTHER times (a filter must leave it out); then the program points
 * the_lock at a new lock and the threads take it ITERS times each again (a
 * filter must follow). It prints its own counts:
 *   lock1 0x55d0c0de12a0 acquisitions 10000
 *   lock2 0x55d0c0de1310 acquisitions 10000
 *   other_lock 0x55d0c0de1080 acquisitions 100
 *
 * usage: mutex_ptr DIR [ITERS [OTHER]]
 * After each store to the_lock it prints "the_lock = ADDR" and waits (at
 * most a minute) for the file DIR/go1, then DIR/go2, to exist, so that a
 * test can let it go on once the tracer has seen the pointer: the tracer
 * reads it every few milliseconds, and acquisitions in between would be
 * left out by design. DIR "-" does not wait.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

pthread_mutex_t *volatile the_lock;	/* what --lock ...=*the_lock follows */
pthread_mutex_t other_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long taken;		/* guarded by *the_lock */
static long iters = 5000;

static void *worker(void *arg)
{
	volatile unsigned long sink = 0;

	(void)arg;
	for (long i = 0; i < iters; i++) {
		pthread_mutex_t *m = the_lock;

		pthread_mutex_lock(m);
		taken++;
		for (int k = 0; k < 50; k++)
			sink += k;
		pthread_mutex_unlock(m);
	}
	return NULL;
}

/* Polls for DIR/NAME (1 ms apart, at most a minute). */
static int wait_file(const char *dir, const char *name)
{
	struct timespec ms = { 0, 1000000 };
	char path[4096];

	if (!strcmp(dir, "-"))
		return 0;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	for (int i = 0; i < 60000; i++) {
		if (!access(path, F_OK))
			return 0;
		nanosleep(&ms, NULL);
	}
	fprintf(stderr, "mutex_ptr: %s never appeared\n", path);
	return 1;
}

/* A new lock in the_lock; both threads take it iters times. */
static int phase(const char *dir, const char *go, long other, unsigned long *count,
		 pthread_mutex_t **lock)
{
	pthread_t tid[2];

	*lock = malloc(sizeof(**lock));
	if (!*lock || pthread_mutex_init(*lock, NULL))
		return 1;
	the_lock = *lock;
	printf("the_lock = %p\n", (void *)*lock);
	fflush(stdout);
	if (wait_file(dir, go))
		return 1;
	taken = 0;
	for (int i = 0; i < 2; i++)
		if (pthread_create(&tid[i], NULL, worker, NULL))
			return 1;
	for (long i = 0; i < other; i++) {
		pthread_mutex_lock(&other_lock);
		pthread_mutex_unlock(&other_lock);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(tid[i], NULL);
	*count = taken;
	return 0;
}

int main(int argc, char **argv)
{
	pthread_mutex_t *lock1, *lock2;
	unsigned long n1, n2;
	long other = 100;

	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: mutex_ptr DIR [ITERS [OTHER]]\n");
		return 2;
	}
	if (argc > 2)
		iters = strtol(argv[2], NULL, 10);
	if (argc > 3)
		other = strtol(argv[3], NULL, 10);
	if (iters < 1 || iters > 100000000 || other < 0 || other > 100000000) {
		fprintf(stderr, "mutex_ptr: ITERS 1..1e8, OTHER 0..1e8\n");
		return 2;
	}
	if (phase(argv[1], "go1", other, &n1, &lock1) || phase(argv[1], "go2", 0, &n2, &lock2))
		return 1;
	printf("lock1 %p acquisitions %lu\n", (void *)lock1, n1);
	printf("lock2 %p acquisitions %lu\n", (void *)lock2, n2);
	printf("other_lock %p acquisitions %ld\n", (void *)&other_lock, other);
	the_lock = NULL;
	free(lock1);	/* not before: the second lock must not reuse its address */
	free(lock2);
	return n1 == 2ul * iters && n2 == 2ul * iters ? 0 : 1;
}
