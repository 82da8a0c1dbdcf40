/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * fake_gilrt - a stand-in for gilrt with the same USDT probes (provider
 * "gilrt", semaphores), for testing the recorder on its own: THREADS threads
 * take turns on a mutex for SECONDS seconds, firing the lock probes, and
 * print on stdout how many acquisitions each made ("acq TID N").
 * usage: fake_gilrt THREADS SECONDS [--wait] [END]
 * With --wait the threads start and name themselves, then wait for a line
 * on stdin (or its end) before their SECONDS begin: a test attaches to
 * threads that exist, or looks at the recorder, for as long as it needs on
 * a slow machine, then lets the program go.
 * END: a number N exits with code N, -N kills itself with signal N; either
 * says so first on stderr ("fake_gilrt: ending with N").
 */
#define _SDT_HAS_SEMAPHORES 1
#include <ctype.h>
#include <pthread.h>
#include <stdbool.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sdt.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define SEM(n) unsigned short gilrt_##n##_semaphore __attribute__((section(".probes")))
SEM(gil_request); SEM(gil_acquired); SEM(gil_released); SEM(gil_drop_request);
SEM(thread_start); SEM(thread_exit); SEM(io_begin); SEM(io_end);
SEM(native_begin); SEM(native_end);

static pthread_mutex_t gil = PTHREAD_MUTEX_INITIALIZER;
static double seconds;
static pthread_mutex_t go_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t go_cond = PTHREAD_COND_INITIALIZER;
static int go = 1;		/* 0 until stdin says go, with --wait */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void *worker(void *arg)
{
	long tid = syscall(SYS_gettid), n = 0;
	char name[16];
	uint64_t end;
	volatile uint64_t x = 0;

	snprintf(name, sizeof(name), "worker-%ld", (long)(intptr_t)arg);
	/* as gilrt does: a tracer that attaches later finds it in /proc */
	pthread_setname_np(pthread_self(), name);
	STAP_PROBE2(gilrt, thread_start, tid, name);
	pthread_mutex_lock(&go_lock);
	while (!go)
		pthread_cond_wait(&go_cond, &go_lock);
	pthread_mutex_unlock(&go_lock);
	end = now_ns() + (uint64_t)(seconds * 1e9);
	while (now_ns() < end) {
		uint64_t t0 = now_ns(), t1;

		STAP_PROBE1(gilrt, gil_request, &gil);
		pthread_mutex_lock(&gil);
		t1 = now_ns();
		STAP_PROBE2(gilrt, gil_acquired, &gil, t1 - t0);
		n++;
		for (int i = 0; i < 200000; i++)
			x += i;
		STAP_PROBE2(gilrt, gil_released, &gil, now_ns() - t1);
		pthread_mutex_unlock(&gil);
		STAP_PROBE1(gilrt, io_begin, 0);
		usleep(100);
		STAP_PROBE2(gilrt, io_end, 0, 100000);
	}
	STAP_PROBE1(gilrt, thread_exit, tid);
	printf("acq %ld %ld\n", tid, n);
	return NULL;
}

int main(int argc, char **argv)
{
	int nthreads = argc > 1 ? atoi(argv[1]) : 2;
	const char *end = NULL;
	pthread_t th[64];
	char line[64];
	bool bad = false;

	seconds = argc > 2 ? atof(argv[2]) : 1.0;
	for (int i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--wait") && go)
			go = 0;
		else if (!end && (isdigit((unsigned char)argv[i][0]) || argv[i][0] == '-'))
			end = argv[i];
		else
			bad = true;
	}
	if (nthreads < 1 || nthreads > 64 || seconds < 0 || bad) {
		fprintf(stderr, "usage: fake_gilrt THREADS(1..64) SECONDS [--wait] [END]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (long i = 0; i < nthreads; i++)
		pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i);
	if (!go) {
		if (!fgets(line, sizeof(line), stdin))
			line[0] = '\0';	/* end of input: go too */
		pthread_mutex_lock(&go_lock);
		go = 1;
		pthread_cond_broadcast(&go_cond);
		pthread_mutex_unlock(&go_lock);
	}
	for (int i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
	if (end) {
		int code = atoi(end);

		fprintf(stderr, "fake_gilrt: ending with %d\n", code);
		if (code < 0)
			raise(-code);
		return code;
	}
	return 0;
}
