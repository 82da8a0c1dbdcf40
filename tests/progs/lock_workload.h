/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * lock_workload.h - the work of the --lock test programs (mutex_count,
 * shlib_lock and its libgslock.so): threads that take a pthread mutex many
 * times with a little work inside, beside a main thread that takes a lock
 * of its own, which a filter on theirs must leave out.
 */
#ifndef PROGS_LOCK_WORKLOAD_H
#define PROGS_LOCK_WORKLOAD_H
#include <pthread.h>
#include <stdio.h>

#define LOCK_WORKLOAD_MAX_THREADS 256

/* One acquisition of lock, counted in *acquisitions, with a little work
 * (*work grows by 1225) inside; both are guarded by lock. */
static inline void lock_and_work(pthread_mutex_t *lock, unsigned long *acquisitions,
				 unsigned long *work)
{
	pthread_mutex_lock(lock);
	(*acquisitions)++;
	for (int k = 0; k < 50; k++)
		*work += k;
	pthread_mutex_unlock(lock);
}

/*
 * Runs worker in n threads (1 to LOCK_WORKLOAD_MAX_THREADS) while this one
 * takes and lets go of other_lock other times, then waits for them: 0, or
 * 1 (said on stderr) when a thread could not start.
 */
static inline int run_workers(long n, void *(*worker)(void *), pthread_mutex_t *other_lock,
			      long other)
{
	pthread_t tid[LOCK_WORKLOAD_MAX_THREADS];

	for (long i = 0; i < n; i++)
		if (pthread_create(&tid[i], NULL, worker, NULL)) {
			perror("pthread_create");
			return 1;
		}
	for (long i = 0; i < other; i++) {
		pthread_mutex_lock(other_lock);
		pthread_mutex_unlock(other_lock);
	}
	for (long i = 0; i < n; i++)
		pthread_join(tid[i], NULL);
	return 0;
}

#endif
