/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * check.h - the unit-test harness. A test is a void function; RUN() calls it
 * and prints one TAP-like line, "ok NAME" or "not ok NAME: file:line: expr",
 * which tests/run.sh counts. CHECK() records a failure and goes on, so one run
 * shows every broken assertion. check_done() returns the exit status.
 *
 * check_need_root() is for tests that need root or BPF: it prints
 * "skip NAME: why" and returns false when they cannot run, except under
 * CI=true, where not being able to run is itself a failure.
 */
#ifndef CHECK_H
#define CHECK_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <unistd.h>

static int check__failed_now;
static int check__total_failed;
static const char *check__name;

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond)) {                                               \
			if (!check__failed_now)                              \
				printf("not ok %s: %s:%d: %s\n", check__name,   \
				       __FILE__, __LINE__, #cond);           \
			else                                                 \
				printf("#   also %s:%d: %s\n", __FILE__,       \
				       __LINE__, #cond);                     \
			check__failed_now = 1;                               \
		}                                                            \
	} while (0)

/* CHECKF(cond, fmt, ...) - like CHECK, with the values that explain a failure. */
#define CHECKF(cond, ...)                                                    \
	do {                                                                 \
		if (!(cond)) {                                               \
			CHECK(cond);                                         \
			printf("#   ");                                      \
			printf(__VA_ARGS__);                                 \
			printf("\n");                                        \
		}                                                            \
	} while (0)

#define RUN(fn)                                                              \
	do {                                                                 \
		check__name = #fn;                                           \
		check__failed_now = 0;                                       \
		fn();                                                        \
		if (!check__failed_now)                                      \
			printf("ok %s\n", #fn);                              \
		else                                                         \
			check__total_failed++;                               \
		fflush(stdout);                                              \
	} while (0)

static inline bool check_need_root(const char *what)
{
	if (geteuid() == 0)
		return true;
	const char *ci = getenv("CI");
	if (ci && strcmp(ci, "true") == 0) {
		printf("not ok %s: needs root (CI=true: cannot skip)\n", what);
		check__total_failed++;
	} else {
		printf("skip %s: needs root\n", what);
	}
	return false;
}

static inline int check_done(void)
{
	return check__total_failed ? 1 : 0;
}
#endif
