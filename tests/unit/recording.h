/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * recording.h - the unit tests' way to record one of the test programs
 * (tests/progs, built next to the test binaries) from its start to its
 * end with the recorder, as `gilscope record -- PROG` does, keeping what
 * the program printed. Needs root (the caller checks). Include after
 * check.h.
 */
#ifndef TEST_RECORDING_H
#define TEST_RECORDING_H
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>
#include "record/recorder.h"

/* The test program NAME: build/tests/progs/NAME beside this binary. */
static inline void helper_path(char *buf, size_t len, const char *name)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	self[n > 0 ? n : 0] = '\0';
	snprintf(buf, len, "%s/progs/%s", dirname(self), name);
}

/*
 * Runs o->argv under a new recorder until it has exited, its stdout and
 * stderr into out (outlen bytes, NUL-terminated) or, out NULL, to
 * /dev/null. The stopped recorder goes in *r, for its stats and cost; the
 * caller destroys it. 0, or recorder_start's error (a failed CHECK).
 */
static inline int record_to_end(struct recorder_opts *o, char *out, size_t outlen,
				struct recorder **r)
{
	char err[256];
	int pfd[2] = { -1, -1 }, rc;
	size_t got = 0;
	ssize_t n;

	if (out)
		CHECK(pipe(pfd) == 0);
	else
		pfd[1] = open("/dev/null", O_WRONLY | O_CLOEXEC);
	o->child_stdout = pfd[1];
	rc = recorder_start(r, o, err, sizeof(err));
	close(pfd[1]);
	CHECKF(rc == 0, "recorder_start: %s", err);
	if (rc == 0) {
		CHECK(recorder_run(*r, NULL) == 0);
		CHECK(recorder_stop(*r) == 0);
	}
	if (out) {
		while (rc == 0 && (n = read(pfd[0], out + got, outlen - 1 - got)) > 0)
			got += (size_t)n;
		close(pfd[0]);
		out[got] = '\0';
	}
	return rc;
}

#endif
