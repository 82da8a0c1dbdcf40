/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * probe_loop - fires gilrt's gil_acquired USDT probe N times in a loop and
 * prints the mean thread CPU time per iteration, "NNN.N ns/probe" (CPU time,
 * not wall: a shared machine's other load does not count, while the kernel's
 * work for each hit does). Run it untraced, under `gilscope record --floor`
 * (empty BPF programs) and under `gilscope record` to get the cost of one
 * traced lock event against the bare probe. Each iteration also makes a
 * cheap system call, as a program's probes are separated by other work
 * that enters the kernel: hit back to back with nothing between, the
 * kernel's trap path stays hot and a 1-byte nop looked cheaper than a
 * 5-byte one, the reverse of what gilrt itself shows.
 * The site is a 5-byte nop like gilrt's (bpf/gs_usdt.h); probe_loop_sdt is
 * the same loop built with stock <sys/sdt.h> (a 1-byte nop).
 * usage: probe_loop [N]   (default 1000000)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "bpf/gs_usdt.h"

unsigned short gilrt_gil_acquired_semaphore __attribute__((section(".probes"), used));

static uint64_t clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	static int lock;
	uint64_t t0, now;

	if (n <= 0) {
		fprintf(stderr, "usage: probe_loop [N > 0]\n");
		return 2;
	}
	/* like gilrt: the last argument is the time of the event, which the
	 * tracer records instead of reading the clock (a fake one here, read
	 * once and counted up, so that the loop is the probe alone) */
	now = clock_ns(CLOCK_MONOTONIC);
	t0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	for (long i = 0; i < n; i++) {
		GS_USDT3(gilrt, gil_acquired, gilrt_gil_acquired_semaphore, &lock, 0, now + i);
		syscall(SYS_getppid);
	}
	printf("%.1f ns/probe\n", (double)(clock_ns(CLOCK_THREAD_CPUTIME_ID) - t0) / n);
	return 0;
}
