/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * hostile_probes - a traced program that lies, and a few other targets for
 * the tests of what gilscope refuses. It has gilrt's USDT probes (provider
 * "gilrt", semaphores), so gilscope traces it like gilrt.
 * usage: hostile_probes times N   fires N rounds of gil_request/acquired/
 *                                 released whose "now" argument is chosen:
 *                                 2^64 - 6, 1000, 2^64 - 1, then a true
 *                                 time; prints "rounds N"
 *        hostile_probes sleep S   sleeps S seconds (a setuid copy is a
 *                                 process whose uids differ)
 *        hostile_probes nodump S  makes itself non-dumpable (prctl), then
 *                                 sleeps S seconds
 *        hostile_probes ids       prints who it runs as: uids, gids,
 *                                 groups, effective capabilities, HOME,
 *                                 USER, LOGNAME
 *        hostile_probes wait      sleeps until killed; on SIGTERM prints
 *                                 "got SIGTERM" to stderr and exits 0
 *        hostile_probes deaf S    ignores SIGTERM, sleeps S seconds
 *        hostile_probes mutexes N takes and releases N distinct pthread
 *                                 mutexes, each once, in 2 threads; prints
 *                                 "mutexes N pid PID"
 */
#define _SDT_HAS_SEMAPHORES 1
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/sdt.h>
#include <time.h>
#include <unistd.h>

#define SEM(n) unsigned short gilrt_##n##_semaphore __attribute__((section(".probes")))
SEM(gil_request); SEM(gil_acquired); SEM(gil_released); SEM(gil_drop_request);
SEM(thread_start); SEM(thread_exit); SEM(io_begin); SEM(io_end);
SEM(native_begin); SEM(native_end);

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int times(long n)
{
	static int lock;
	uint64_t t;

	for (long i = 0; i < n; i++) {
		STAP_PROBE2(gilrt, gil_request, &lock, UINT64_MAX - 5);
		STAP_PROBE3(gilrt, gil_acquired, &lock, 1, 1000);
		STAP_PROBE3(gilrt, gil_released, &lock, 1, UINT64_MAX);
		t = now_ns();
		STAP_PROBE2(gilrt, gil_request, &lock, t);
		STAP_PROBE3(gilrt, gil_acquired, &lock, 0, t);
		STAP_PROBE3(gilrt, gil_released, &lock, now_ns() - t, now_ns());
	}
	printf("rounds %ld\n", n);
	return 0;
}

static int ids(void)
{
	uid_t r, e, s;
	gid_t gr, ge, gs, groups[64];
	int n = getgroups(64, groups);
	char line[256], cap[64] = "?";
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %63s", cap) == 1)
			break;
	if (f)
		fclose(f);
	getresuid(&r, &e, &s);
	getresgid(&gr, &ge, &gs);
	printf("uids %u %u %u gids %u %u %u groups", r, e, s, gr, ge, gs);
	for (int i = 0; i < n; i++)
		printf("%s%u", i ? "," : " ", groups[i]);
	printf(" capeff %s home %s user %s logname %s\n", cap, getenv("HOME") ?: "-",
	       getenv("USER") ?: "-", getenv("LOGNAME") ?: "-");
	return 0;
}

static long nmutex;
static pthread_mutex_t *mutexes;

static void *touch(void *arg)
{
	for (long i = (long)(intptr_t)arg; i < nmutex; i += 2) {
		pthread_mutex_lock(&mutexes[i]);
		pthread_mutex_unlock(&mutexes[i]);
	}
	return NULL;
}

/* A normal way to make a --lock ...:arg0 recording see 100,000 locks. */
static int many_mutexes(long n)
{
	pthread_t th[2];

	nmutex = n;
	if (n < 1 || !(mutexes = calloc((size_t)n, sizeof(*mutexes))))
		return 2;
	for (long i = 0; i < n; i++)
		pthread_mutex_init(&mutexes[i], NULL);
	for (long i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, touch, (void *)(intptr_t)i);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	printf("mutexes %ld pid %d\n", n, (int)getpid());
	return 0;
}

static void on_term(int sig)
{
	static const char msg[] = "got SIGTERM\n";

	(void)sig;
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(1);
	_exit(0);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	double arg = argc > 2 ? atof(argv[2]) : 1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(mode, "times"))
		return times((long)arg);
	if (!strcmp(mode, "ids"))
		return ids();
	if (!strcmp(mode, "mutexes"))
		return many_mutexes((long)arg);
	if (!strcmp(mode, "nodump") && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)) {
		perror("prctl");
		return 1;
	}
	if (!strcmp(mode, "deaf"))
		signal(SIGTERM, SIG_IGN);
	if (!strcmp(mode, "sleep") || !strcmp(mode, "nodump") || !strcmp(mode, "deaf")) {
		struct timespec ts = { (time_t)arg, (long)((arg - (time_t)arg) * 1e9) };

		while (nanosleep(&ts, &ts))
			;
		return 0;
	}
	if (!strcmp(mode, "wait")) {
		signal(SIGTERM, on_term);
		for (;;)
			pause();
	}
	fprintf(stderr, "usage: hostile_probes times N | sleep S | nodump S | ids | wait | deaf S | "
		"mutexes N\n");
	return 2;
}
