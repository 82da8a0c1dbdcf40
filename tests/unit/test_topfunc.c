/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * test_topfunc.c - `top`'s function column on a real CPython (root, BPF):
 * tests/progs/py_funcs.py under Debian's python3.11-dbg (make deps; missing
 * is a failure under CI=true), watched as `top` watches it (record/gilwatch.h
 * with functions, then model/toprows.h as the view gets its rows). Its
 * thread "cruncher" spins in crunch() and "sleeper" naps in nap_loop(),
 * releasing the GIL at every nap. Within 60 s (a loaded machine: reading
 * the interpreter's DWARF takes seconds), snapshots taken every 0.3 s must
 * give: the process row "crunch" (where nearly all of its GIL
 * time goes), cruncher's row "crunch" and sleeper's row "nap_loop" (a hold
 * belongs to the function that lets go). Also: with the functions off (as
 * with --no-names, and the exporter) the rows have none, whatever runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "check.h"
#include "model/toprows.h"
#include "record/gilwatch.h"

#define PY "/usr/bin/python3.11-dbg"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* py_funcs.py for seconds s, once its process runs the interpreter. */
static pid_t start_py(double s)
{
	char arg[32], exe[PATH_MAX], link[64];
	pid_t pid;

	snprintf(arg, sizeof(arg), "%.1f", s);
	pid = fork();
	if (pid == 0) {
		execl(PY, PY, "tests/progs/py_funcs.py", arg, (char *)NULL);
		_exit(127);
	}
	CHECK(pid > 0);
	snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
	for (double end = now_s() + 10; pid > 0 && now_s() < end; usleep(10000)) {
		ssize_t n = readlink(link, exe, sizeof(exe) - 1);

		if (n > 0 && (exe[n] = '\0', strstr(exe, "python3.11")))
			return pid;
	}
	CHECKF(0, "%s did not start", PY);
	return pid;
}

static void stop_py(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static const struct toprow *row_of(const struct toprows *r, uint32_t pid, const char *name)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->rows[i].pid == pid && (name ? r->rows[i].tid && !strcmp(r->rows[i].name, name)
						   : !r->rows[i].tid))
			return &r->rows[i];
	return NULL;
}

/*
 * Watches pid (functions or not) with a snapshot every 0.3 s until the
 * rows of the process, "cruncher" and "sleeper" say want_proc, want_cr and
 * want_sl, or timeout seconds. Returns whether they did; got: the last seen.
 */
static bool watch(pid_t pid, bool functions, const char *want_proc, const char *want_cr,
		  const char *want_sl, double timeout, char *got, size_t gotlen)
{
	struct gilwatch_opts o = { .pids = &pid, .npids = 1, .attach_once = true,
				   .functions = functions };
	struct gilsnap prev = { 0 }, cur = { 0 };
	struct toprows rows = { 0 };
	struct gilwatch *w = NULL;
	char err[512];
	bool done = false;
	double t0 = now_s();
	int r = gilwatch_open(&w, &o, err, sizeof(err));

	CHECKF(r == 0, "%s", err);
	snprintf(got, gotlen, "no snapshot");
	for (double end = now_s() + timeout; !r && !done && now_s() < end;) {
		const struct toprow *p, *c, *s;

		usleep(300000);	/* the interval: what top's refresh would be */
		if ((r = gilwatch_snapshot(w, &cur)) || (r = toprows_compute(&rows, &prev, &cur)))
			break;
		p = row_of(&rows, (uint32_t)pid, NULL);
		c = row_of(&rows, (uint32_t)pid, "cruncher");
		s = row_of(&rows, (uint32_t)pid, "sleeper");
		snprintf(got, gotlen, "process '%s', cruncher '%s', sleeper '%s'", p ? p->func : "(none)",
			 c ? c->func : "(none)", s ? s->func : "(none)");
		done = p && c && s && !strcmp(p->func, want_proc) && !strcmp(c->func, want_cr) &&
		       !strcmp(s->func, want_sl);
		gilsnap_swap(&prev, &cur);
	}
	if (done)
		printf("# %s after %.1f s\n", got, now_s() - t0);
	CHECKF(r == 0, "snapshot: %s", strerror(-r));
	toprows_free(&rows);
	gilsnap_free(&prev);
	gilsnap_free(&cur);
	gilwatch_close(w);
	return done;
}

static void test_top_function(void)
{
	char got[512];
	pid_t pid;

	pid = start_py(120);
	if (pid > 0)
		CHECKF(watch(pid, true, "crunch", "crunch", "nap_loop", 60, got, sizeof(got)),
		       "want process 'crunch', cruncher 'crunch', sleeper 'nap_loop'; got %s", got);
	stop_py(pid);
}

/* Without functions the kernel side has no layout for the file: no names,
 * however long it is watched (2 s: several snapshots with holds). */
static void test_top_function_off(void)
{
	char got[512];
	pid_t pid = start_py(120);

	if (pid > 0) {
		watch(pid, false, "crunch", "crunch", "nap_loop", 2, got, sizeof(got));
		CHECKF(!strcmp(got, "process '', cruncher '', sleeper ''"), "%s", got);
	}
	stop_py(pid);
}

int main(void)
{
	struct stat st;

	if (!check_need_root("test_topfunc"))
		return 0;
	if (stat(PY, &st)) {
		if (getenv("CI") && !strcmp(getenv("CI"), "true")) {
			printf("not ok test_topfunc: %s is not installed (make deps)\n", PY);
			return 1;
		}
		printf("skip test_topfunc: %s not installed (make deps)\n", PY);
		return 0;
	}
	RUN(test_top_function);
	RUN(test_top_function_off);
	return check_done();
}
