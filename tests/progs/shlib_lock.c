/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * shlib_lock - a program for the pending-lock tests: its lock variable lives
 * in a shared library (libgslock.so, next to it), so `--lock ...=shlib_lock`
 * has an address only once ld.so has mapped the library, after exec.
 * THREADS threads each take the library's shlib_lock ITERS times; the main
 * thread takes its own main_lock OTHER times, which a filter on shlib_lock
 * must leave out. At the end it writes its own counts:
 *   shlib_lock 0x7f0c0de1040 acquisitions 20000
 *   main_lock 0x55d0c0de1080 acquisitions 100
 *
 * usage: shlib_lock [--go FIFO] [--out FILE] [THREADS [ITERS [OTHER]]]
 * --go FIFO: before taking any lock, wait for a line on FIFO (so a test can
 * let it run only once gilscope says the lock is placed); --out FILE: the
 * counts go there instead of stdout (under `live` stdout is /dev/null).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lock_workload.h"

void shlib_work(long iters);
unsigned long shlib_acquisitions(void);
void *shlib_lock_addr(void);

static pthread_mutex_t main_lock = PTHREAD_MUTEX_INITIALIZER;
static long iters = 5000;

static void *worker(void *arg)
{
	(void)arg;
	shlib_work(iters);
	return NULL;
}

/* Blocks until a line arrives on path (a fifo): 0, or 1 if none came. */
static int wait_go(const char *path)
{
	char line[16];
	FILE *f = fopen(path, "re");
	int ok = f && fgets(line, sizeof(line), f);

	if (f)
		fclose(f);
	if (!ok)
		fprintf(stderr, "shlib_lock: no go line on %s\n", path);
	return !ok;
}

int main(int argc, char **argv)
{
	const char *go = NULL, *out = NULL;
	long threads = 4, other = 100, v[3] = { 0 };
	int pos = 0;
	FILE *o = stdout;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--go") && i + 1 < argc)
			go = argv[++i];
		else if (!strcmp(argv[i], "--out") && i + 1 < argc)
			out = argv[++i];
		else if (pos < 3 && (v[pos] = strtol(argv[i], NULL, 10)) >= 0)
			pos++;
		else
			goto usage;
	}
	if (pos > 0)
		threads = v[0];
	if (pos > 1)
		iters = v[1];
	if (pos > 2)
		other = v[2];
	if (threads < 1 || threads > 64)
		goto usage;
	if (go && wait_go(go))
		return 1;

	if (run_workers(threads, worker, &main_lock, other))
		return 1;
	if (out && !(o = fopen(out, "we"))) {
		perror(out);
		return 1;
	}
	fprintf(o, "shlib_lock %p acquisitions %lu\n", shlib_lock_addr(), shlib_acquisitions());
	fprintf(o, "main_lock %p acquisitions %ld\n", (void *)&main_lock, other);
	return fclose(o) ? 1 : 0;
usage:
	fprintf(stderr, "usage: shlib_lock [--go FIFO] [--out FILE] [THREADS(1..64) [ITERS [OTHER]]]\n");
	return 2;
}
