/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * libgslock.so - the shared library of tests/progs/shlib_lock. Its lock,
 * shlib_lock, is a variable of this library: ld.so maps the library at a
 * random address only after exec, so a --lock SPEC naming it
 * (arg0=shlib_lock) can be placed only once the program has loaded it.
 * The library counts its own acquisitions (the test's expected number).
 */
#include <pthread.h>
#include "../lock_workload.h"

pthread_mutex_t shlib_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long acquisitions;	/* guarded by shlib_lock */
static unsigned long work;		/* guarded by shlib_lock */

/* Takes shlib_lock iters times, doing a little work inside. */
void shlib_work(long iters)
{
	for (long i = 0; i < iters; i++)
		lock_and_work(&shlib_lock, &acquisitions, &work);
}

/* How many times shlib_work() took the lock (call after the threads are joined). */
unsigned long shlib_acquisitions(void)
{
	return acquisitions;
}

/* Where the lock is in this process. */
void *shlib_lock_addr(void)
{
	return &shlib_lock;
}
