/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * scratch.h - a test program's scratch folder, /tmp/gilscope-PROGRAM.XXXXXX:
 * made when a test first asks for it, removed with all it holds when the
 * program exits (by the process that made it, not by a forked child).
 * scratch_path() names a file in it that does not exist yet.
 */
#ifndef TEST_SCRATCH_H
#define TEST_SCRATCH_H
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char scratch__dir[64];
static pid_t scratch__owner;

static void scratch__remove(void)
{
	char cmd[128];

	if (getpid() != scratch__owner)
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", scratch__dir);
	if (system(cmd))
		printf("# could not remove %s\n", scratch__dir);
}

/* The folder, made on the first call; a program that cannot make it stops. */
static inline const char *scratch_folder(void)
{
	if (scratch__dir[0])
		return scratch__dir;
	snprintf(scratch__dir, sizeof(scratch__dir), "/tmp/gilscope-%s.XXXXXX",
		 program_invocation_short_name);
	if (!mkdtemp(scratch__dir)) {
		perror("mkdtemp");
		exit(1);
	}
	scratch__owner = getpid();
	atexit(scratch__remove);
	return scratch__dir;
}

/*
 * FOLDER/NAME, removed if an earlier test left it. The string lives until
 * the fourth call after this one (buffers taken in turn), so a test may
 * hold a few names at once.
 */
static inline const char *scratch_path(const char *name)
{
	static char p[4][128];
	static int k;

	k = (k + 1) % 4;
	snprintf(p[k], sizeof(p[k]), "%s/%s", scratch_folder(), name);
	unlink(p[k]);
	return p[k];
}

#endif
