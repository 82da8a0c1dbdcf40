/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * probe_loop - fires gilrt's gil_acquired USDT probe N times in a tight loop
 * and prints the mean time per probe, "NNN.N ns/probe". Run it untraced, under
 * `gilscope record --floor` (empty BPF programs) and under `gilscope record`
 * to get the cost of one traced lock event against the bare probe.
 * usage: probe_loop [N]   (default 1000000)
 */
#define _SDT_HAS_SEMAPHORES 1
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/sdt.h>
#include <time.h>

unsigned short gilrt_gil_acquired_semaphore __attribute__((section(".probes")));

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	static int lock;
	uint64_t t0;

	if (n <= 0) {
		fprintf(stderr, "usage: probe_loop [N > 0]\n");
		return 2;
	}
	t0 = now_ns();
	for (long i = 0; i < n; i++)
		STAP_PROBE2(gilrt, gil_acquired, &lock, i);
	printf("%.1f ns/probe\n", (double)(now_ns() - t0) / n);
	return 0;
}
